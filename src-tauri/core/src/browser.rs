//! Opening the sign-in page in the person's browser (device-code flow), best effort.
//!
//! The code and the address are always shown as well, so a failure here only costs a copy and
//! paste. `ASG_FOTA_NO_BROWSER=1` turns it off (tests, remote shells).

use std::process::{Command, Stdio};

/// Opens `url` in the default browser. Only `http(s)` addresses are opened: the address comes
/// from the identity platform's answer, and nothing else should reach the OS's opener.
pub fn open(url: &str) {
    if std::env::var_os("ASG_FOTA_NO_BROWSER").is_some_and(|v| v == "1") {
        return;
    }
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return;
    }
    let mut command = if cfg!(target_os = "windows") {
        // `start` treats its first quoted argument as a window title: pass an empty one.
        let mut c = Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    } else if cfg!(target_os = "macos") {
        Command::new("open")
    } else {
        Command::new("xdg-open")
    };
    let spawned = command
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    if let Err(error) = spawned {
        tracing::info!(%error, "the browser could not be opened; the sign-in address is shown instead");
    }
}
