//! The window's size, position and maximized state across restarts, on top of
//! `tauri-plugin-window-state`: the plugin restores the state when the window is created and
//! saves it when the app exits *gracefully*, which a killed process, a crash, a logout or an
//! ended WebDriver session is not. So the state is also saved whenever the window is moved,
//! resized or (un)maximized, once it has been still for [`SAVE_AFTER`].
//!
//! After the plugin restored it, the window is checked against the monitors it can be on now
//! ([`placement`], pure): never smaller than the configured minimum, never where no monitor shows
//! a usable part of it (a monitor unplugged since, a resolution lowered) — then it is centred.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tauri::{AppHandle, Manager, PhysicalPosition, PhysicalSize, WebviewWindow, WindowEvent};
use tauri_plugin_window_state::{AppHandleExt, StateFlags};

/// How long the window must be still before its state is written (a drag or a resize sends
/// dozens of events a second).
pub(crate) const SAVE_AFTER: Duration = Duration::from_millis(400);

/// What is saved and restored: everything but visibility. A state written while the window
/// happened to be hidden never opens an invisible window, and a restored state never shows the
/// window before its page has loaded (`lib.rs` shows it then).
pub(crate) fn flags() -> StateFlags {
    StateFlags::all() & !StateFlags::VISIBLE
}

/// Counts changes, so that only the last one of a burst writes the file.
#[derive(Default)]
pub(crate) struct SaveOnChange {
    generation: Arc<AtomicU64>,
}

impl SaveOnChange {
    /// Called with every window event: a move or resize schedules a save.
    pub(crate) fn on_event(&self, app: &AppHandle, event: &WindowEvent) {
        if !matches!(event, WindowEvent::Moved(_) | WindowEvent::Resized(_)) {
            return;
        }
        let mine = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let generation = self.generation.clone();
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(SAVE_AFTER).await;
            if generation.load(Ordering::SeqCst) != mine {
                return; // A later change will save.
            }
            if let Err(error) = app.save_window_state(flags()) {
                tracing::info!(%error, "the window state was not saved");
            }
        });
    }
}

/// A rectangle in physical pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rect {
    pub(crate) x: i32,
    pub(crate) y: i32,
    pub(crate) width: u32,
    pub(crate) height: u32,
}

impl Rect {
    fn overlap(&self, other: &Rect) -> (i64, i64) {
        let span = |a0: i32, a1: u32, b0: i32, b1: u32| {
            let (a0, b0) = (i64::from(a0), i64::from(b0));
            ((a0 + i64::from(a1)).min(b0 + i64::from(b1)) - a0.max(b0)).max(0)
        };
        (
            span(self.x, self.width, other.x, other.width),
            span(self.y, self.height, other.y, other.height),
        )
    }
}

/// How much of a window must be on a monitor to count as reachable: enough of its top to grab
/// the title bar and see the header.
const VISIBLE_WIDTH: i64 = 200;
const VISIBLE_HEIGHT: i64 = 100;

/// Where the window should be instead of `window`, or `None` when it is fine: at least `min`
/// large (and no larger than the monitor it ends up on), and with a usable part on one of
/// `monitors` — otherwise centred on the first monitor (the primary one, as the caller orders
/// them). With no monitor known, only the size is corrected.
pub(crate) fn placement(window: Rect, monitors: &[Rect], min: (u32, u32)) -> Option<Rect> {
    let mut fixed = window;
    fixed.width = fixed.width.max(min.0);
    fixed.height = fixed.height.max(min.1);
    let reachable = |r: &Rect| {
        monitors.iter().any(|m| {
            let (w, h) = r.overlap(m);
            w >= VISIBLE_WIDTH.min(i64::from(r.width))
                && h >= VISIBLE_HEIGHT.min(i64::from(r.height))
                // The top edge (title bar) must be on the monitor, not above it.
                && r.y >= m.y
                && i64::from(r.y) < i64::from(m.y) + i64::from(m.height)
        })
    };
    if let Some(monitor) = monitors.first().filter(|_| !reachable(&fixed)) {
        fixed.width = fixed.width.min(monitor.width.max(min.0));
        fixed.height = fixed.height.min(monitor.height.max(min.1));
        let centre = |start: i32, outer: u32, inner: u32| {
            start + i32::try_from((i64::from(outer) - i64::from(inner)).max(0) / 2).unwrap_or(0)
        };
        fixed.x = centre(monitor.x, monitor.width, fixed.width);
        fixed.y = centre(monitor.y, monitor.height, fixed.height);
    }
    (fixed != window).then_some(fixed)
}

/// Puts the restored window where [`placement`] says, if anywhere. Best effort: a window system
/// that reports no monitors or refuses a move leaves the window where it is.
pub(crate) fn keep_reachable(window: &WebviewWindow, min: (u32, u32)) {
    let (Ok(position), Ok(size)) = (window.outer_position(), window.inner_size()) else {
        return;
    };
    if window.is_maximized().unwrap_or(false) {
        return;
    }
    let scale = window.scale_factor().unwrap_or(1.0);
    let min = (
        (f64::from(min.0) * scale).round() as u32,
        (f64::from(min.1) * scale).round() as u32,
    );
    let mut monitors: Vec<Rect> = Vec::new();
    if let Ok(Some(primary)) = window.primary_monitor() {
        monitors.push(monitor_rect(&primary));
    }
    for m in window.available_monitors().unwrap_or_default() {
        let rect = monitor_rect(&m);
        if !monitors.contains(&rect) {
            monitors.push(rect);
        }
    }
    let now = Rect {
        x: position.x,
        y: position.y,
        width: size.width,
        height: size.height,
    };
    if let Some(fixed) = placement(now, &monitors, min) {
        tracing::info!(?now, ?fixed, "the restored window was moved back on screen");
        let _ = window.set_size(PhysicalSize::new(fixed.width, fixed.height));
        let _ = window.set_position(PhysicalPosition::new(fixed.x, fixed.y));
    }
}

fn monitor_rect(m: &tauri::Monitor) -> Rect {
    Rect {
        x: m.position().x,
        y: m.position().y,
        width: m.size().width,
        height: m.size().height,
    }
}

/// The main window's minimum size from `tauri.conf.json` (logical pixels).
pub(crate) fn configured_min(app: &AppHandle) -> (u32, u32) {
    app.config()
        .app
        .windows
        .iter()
        .find(|w| w.label == "main")
        .map_or((900, 600), |w| {
            (
                w.min_width.unwrap_or(900.0) as u32,
                w.min_height.unwrap_or(600.0) as u32,
            )
        })
}

/// Checks the main window after the plugin restored it (called from the app's setup).
pub(crate) fn check_restored(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        keep_reachable(&window, configured_min(app));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCREEN: Rect = Rect {
        x: 0,
        y: 0,
        width: 1920,
        height: 1080,
    };
    const MIN: (u32, u32) = (900, 600);

    fn rect(x: i32, y: i32, width: u32, height: u32) -> Rect {
        Rect {
            x,
            y,
            width,
            height,
        }
    }

    #[test]
    fn a_window_on_screen_stays_where_it_is() {
        assert_eq!(placement(rect(100, 80, 1200, 800), &[SCREEN], MIN), None);
        // Partly off to the right, but its title bar is reachable.
        assert_eq!(placement(rect(1600, 80, 1200, 800), &[SCREEN], MIN), None);
    }

    #[test]
    fn a_window_below_the_minimum_grows_to_it_in_place() {
        assert_eq!(
            placement(rect(100, 80, 400, 300), &[SCREEN], MIN),
            Some(rect(100, 80, 900, 600))
        );
    }

    #[test]
    fn a_window_off_every_monitor_is_centred_on_the_first() {
        let second = rect(1920, 0, 1280, 1024);
        // Saved on a monitor that is gone now.
        assert_eq!(
            placement(rect(3400, 100, 1200, 800), &[SCREEN], MIN),
            Some(rect(360, 140, 1200, 800))
        );
        // Still there: it stays.
        assert_eq!(
            placement(rect(2000, 100, 1200, 800), &[SCREEN, second], MIN),
            None
        );
        // Only a sliver showing, or the title bar above the screen.
        assert_eq!(
            placement(rect(1900, 100, 1200, 800), &[SCREEN], MIN),
            Some(rect(360, 140, 1200, 800))
        );
        assert_eq!(
            placement(rect(100, -300, 1200, 800), &[SCREEN], MIN),
            Some(rect(360, 140, 1200, 800))
        );
    }

    #[test]
    fn a_window_larger_than_its_new_monitor_is_fitted_to_it() {
        let small = rect(0, 0, 1280, 720);
        assert_eq!(
            placement(rect(-3000, 0, 2560, 1440), &[small], MIN),
            Some(rect(0, 0, 1280, 720))
        );
        // Never below the minimum, even on a monitor smaller than it.
        let tiny = rect(0, 0, 800, 480);
        assert_eq!(
            placement(rect(-3000, 0, 2560, 1440), &[tiny], MIN),
            Some(rect(0, 0, 900, 600))
        );
    }

    #[test]
    fn with_no_monitor_known_only_the_size_is_corrected() {
        assert_eq!(placement(rect(-5000, -5000, 1200, 800), &[], MIN), None);
        assert_eq!(
            placement(rect(-5000, -5000, 10, 10), &[], MIN),
            Some(rect(-5000, -5000, 900, 600))
        );
    }
}
