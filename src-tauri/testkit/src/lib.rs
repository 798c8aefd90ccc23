//! What ASG FOTA's tests share, in one place instead of `#[path]` includes: the synthetic
//! `.imagepackage` builder (also used by the benchmarks), the real fixtures beside the
//! repository, a fast simulated tenant with clients wired to it as a profile would wire them
//! (tokens included), and — with the `window` feature — the real app window driven through
//! tauri-driver in a sandboxed HOME.
//!
//! Test-only code: `publish = false`, and nothing in the product depends on it.

pub mod builder;
pub mod cloud;
pub mod fixtures;
pub mod korean;
pub mod scenario;
#[cfg(feature = "window")]
pub mod window;

/// A test that cannot run on this machine says why and passes — except under `CI=true` (set by
/// `.ci/run` and by CI services), where every skip is a failure: CI has everything a test needs.
pub fn skip(reason: &str) {
    if std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true")) {
        panic!("CI=true, and a test was about to be skipped: {reason}");
    }
    eprintln!("skipped: {reason}");
}

/// Every file under `dir`, recursively (symbolic links are not followed): what the leak tests
/// search, so that a file written anywhere under a test's directories is searched too.
pub fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => pending.push(entry.path()),
                Ok(kind) if kind.is_file() => out.push(entry.path()),
                _ => {}
            }
        }
    }
    out.sort();
    out
}
