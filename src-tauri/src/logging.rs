//! The app's log: a daily-rotated file in the OS log directory (seven files are kept), written by
//! the core's subscriber (`asg_fota_core::logging`, shared with the CLI).
//!
//! Linux: `$XDG_DATA_HOME/com.wiznet.asg-fota/logs`, macOS: `~/Library/Logs/com.wiznet.asg-fota`,
//! Windows: `%LOCALAPPDATA%\com.wiznet.asg-fota\logs`. `ASG_FOTA_LOG_DIR` overrides it (tests),
//! `ASG_FOTA_LOG` sets the filter (`info` by default).

use std::path::{Path, PathBuf};

use asg_fota_core::logging::{self as core_log, LogGuard, LogTarget};
use tauri::Manager;

/// Keeps the log writer alive for the life of the app and remembers where logs go.
pub(crate) struct LogState {
    pub(crate) dir: PathBuf,
    pub(crate) _guard: Option<LogGuard>,
}

pub(crate) fn log_dir(app: &tauri::AppHandle) -> PathBuf {
    if let Some(dir) = std::env::var_os(asg_fota_core::paths::LOG_DIR_ENV) {
        return PathBuf::from(dir);
    }
    app.path()
        .app_log_dir()
        .unwrap_or_else(|_| std::env::temp_dir().join("asg-fota-logs"))
}

/// Starts the log; best effort: without it (a read-only folder) the app still runs, and says why
/// on stderr. A filter that does not parse is reported and replaced by the default.
pub(crate) fn init(dir: &Path) -> Option<LogGuard> {
    let filter = match core_log::parse_filter(core_log::filter_from_env().as_deref()) {
        Ok(filter) => filter,
        Err(error) => {
            eprintln!("ASG FOTA: {error}");
            core_log::parse_filter(None).ok()?
        }
    };
    let target = LogTarget::Daily {
        dir: dir.to_owned(),
        prefix: "asg-fota",
    };
    match core_log::init(&target, filter) {
        Ok(guard) => Some(guard),
        Err(error) => {
            eprintln!("ASG FOTA: {error}");
            None
        }
    }
}
