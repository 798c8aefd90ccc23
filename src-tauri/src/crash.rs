//! What the user sees when the app cannot start or stops on a bug: a native message box (rfd)
//! with what happened and where the log is, instead of text on a console that Windows release
//! builds do not have (`windows_subsystem = "windows"`) and that macOS and Linux users launching
//! from a menu never see.
//!
//! The panic hook is the core's (`asg_fota_core::crash`: the log line, stderr); this module
//! gives it the box as its callback. Native dialogs must be
//! shown on the main thread (AppKit requires it; GTK is not thread-safe), so a panic on another
//! thread asks the main thread to show it through the app's event loop and waits a bounded time.

use std::sync::mpsc;
use std::sync::OnceLock;
use std::time::Duration;

use tauri::AppHandle;

static APP: OnceLock<AppHandle> = OnceLock::new();

/// Lets panics on other threads reach the main thread's event loop once the app runs.
pub(crate) fn remember_app(app: &AppHandle) {
    let _ = APP.set(app.clone());
}

/// Installs the core's panic hook (log line, stderr) with a native dialog as its callback: one
/// hook for the CLI and the app. Release builds then abort (`panic = "abort"`).
pub(crate) fn install_panic_hook() {
    asg_fota_core::crash::install_panic_hook(Some(std::sync::Arc::new(|report| {
        show_error(
            "ASG FOTA stopped because of a bug",
            &format!(
                "{report}\n\nWhat was in progress may not have finished: check the deployment \
                 history before trying again. The log file is in the app's log folder."
            ),
        );
    })));
}

/// Shows an error box and returns when it is closed (or, off the main thread with the event
/// loop not answering, after a bounded wait: a stuck app must still end).
pub(crate) fn show_error(title: &str, text: &str) {
    if dialogs_disabled() {
        return;
    }
    let on_main = std::thread::current().name() == Some("main");
    if on_main {
        dialog(title, text);
        return;
    }
    let Some(app) = APP.get() else {
        // Before the app exists there is no event loop to hand the dialog to.
        return;
    };
    let (done, wait) = mpsc::channel();
    let (title, text) = (title.to_owned(), text.to_owned());
    let posted = app.run_on_main_thread(move || {
        dialog(&title, &text);
        let _ = done.send(());
    });
    if posted.is_ok() {
        let _ = wait.recv_timeout(Duration::from_secs(600));
    }
}

fn dialog(title: &str, text: &str) {
    rfd::MessageDialog::new()
        .set_level(rfd::MessageLevel::Error)
        .set_title(title)
        .set_description(text)
        .set_buttons(rfd::MessageButtons::Ok)
        .show();
}

/// Tests and headless runs (no one to press OK) set `ASG_FOTA_NO_DIALOGS=1`; the log still has it.
/// On Linux without a display there is nowhere to show one (and GTK would fail to start).
fn dialogs_disabled() -> bool {
    let headless = cfg!(target_os = "linux")
        && std::env::var_os("DISPLAY").is_none()
        && std::env::var_os("WAYLAND_DISPLAY").is_none();
    headless || std::env::var_os("ASG_FOTA_NO_DIALOGS").is_some_and(|v| v != "0")
}
