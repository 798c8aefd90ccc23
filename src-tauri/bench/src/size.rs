//! Size: the release binaries and the Linux bundles that `.ci/bench` built with
//! `cargo tauri build`. A bundle that could not be built is reported with the reason the bundler
//! printed (the AppImage step downloads linuxdeploy from GitHub, which some machines cannot reach).

use std::path::{Path, PathBuf};

use crate::report::{Measured, NotMeasured, SizeFigure};
use crate::RunArgs;

fn file_size(path: Option<&PathBuf>) -> Measured<u64> {
    let path = path.ok_or_else(|| NotMeasured("no path given".to_owned()))?;
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| NotMeasured(format!("{}: {e}", path.display())))
}

/// The first file in `dir` whose name ends with `ext`.
fn bundle(dir: &Path, ext: &str) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(ext))
}

/// Why a bundle is missing: the error lines of its section of the bundling log (`.ci/bench` starts
/// each section with `[bench] bundle <word>`).
fn reason(log: Option<&PathBuf>, word: &str) -> String {
    let text = log
        .and_then(|l| std::fs::read_to_string(l).ok())
        .unwrap_or_default();
    let marker = format!("[bench] bundle {word}");
    let section = text.rsplit_once(&marker).map_or("", |(_, rest)| rest);
    let section = section.split("[bench] bundle ").next().unwrap_or_default();
    let errors: Vec<&str> = section
        .lines()
        .map(str::trim)
        .filter(|l| l.to_ascii_lowercase().contains("error"))
        .collect();
    if errors.is_empty() {
        "the bundler produced no file (see the bundling log)".into()
    } else {
        errors.join(" / ")
    }
}

pub fn measure(args: &RunArgs) -> SizeFigure {
    let binaries = vec![
        (
            "`asg-fota` (app binary)".to_owned(),
            file_size(args.app.as_ref()),
        ),
        ("`asg-fota-cli`".to_owned(), file_size(args.cli.as_ref())),
        (
            "bare Tauri 2 window (floor)".to_owned(),
            file_size(args.bare.as_ref()),
        ),
    ];
    let mut bundles = Vec::new();
    let mut installed = Vec::new();
    for (what, sub, ext, word) in [
        (".deb", "deb", ".deb", "deb"),
        (".rpm", "rpm", ".rpm", "rpm"),
        ("AppImage", "appimage", ".AppImage", "appimage"),
    ] {
        let found = args
            .bundle_dir
            .as_ref()
            .and_then(|d| bundle(&d.join(sub), ext));
        let size = match &found {
            Some(path) => file_size(Some(path)),
            None => Err(NotMeasured(reason(args.bundle_log.as_ref(), word))),
        };
        bundles.push((what.to_owned(), size));
        if let Some(path) = found.as_ref().filter(|_| word != "appimage") {
            installed.push((format!("{what} installed"), installed_size(path, word)));
        }
    }
    SizeFigure {
        binaries,
        bundles,
        installed,
    }
}

/// What a package occupies once installed, as its package manager reports it: the `.deb`'s
/// `Installed-Size` (KiB) and the `.rpm`'s `SIZE` header (bytes, read with `rpm`).
fn installed_size(package: &Path, kind: &str) -> Measured<u64> {
    let output = if kind == "deb" {
        std::process::Command::new("dpkg-deb")
            .args(["-f"])
            .arg(package)
            .arg("Installed-Size")
            .output()
    } else {
        std::process::Command::new("rpm")
            .args(["-qp", "--qf", "%{SIZE}"])
            .arg(package)
            .output()
    };
    let output = output.map_err(|e| NotMeasured(format!("cannot read {kind} metadata: {e}")))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let number: u64 = text
        .trim()
        .parse()
        .map_err(|_| NotMeasured(format!("no installed size in {}", package.display())))?;
    Ok(if kind == "deb" { number * 1024 } else { number })
}
