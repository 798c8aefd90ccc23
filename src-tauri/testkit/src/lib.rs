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
