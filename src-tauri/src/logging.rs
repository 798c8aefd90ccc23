//! Logging to a daily-rotated file in the OS log directory (seven files are kept).
//!
//! Linux: `$XDG_DATA_HOME/com.wiznet.asg-fota/logs`, macOS: `~/Library/Logs/com.wiznet.asg-fota`,
//! Windows: `%LOCALAPPDATA%\com.wiznet.asg-fota\logs`. `ASG_FOTA_LOG_DIR` overrides it (tests).
//! Log lines carry ids, paths, statuses and timings — never a token, key or secret.

use std::path::{Path, PathBuf};

use tauri::Manager;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Keeps the log writer alive for the life of the app and remembers where logs go.
pub(crate) struct LogState {
    pub(crate) dir: PathBuf,
    pub(crate) _guard: Option<WorkerGuard>,
}

pub(crate) fn log_dir(app: &tauri::AppHandle) -> PathBuf {
    if let Some(dir) = std::env::var_os("ASG_FOTA_LOG_DIR") {
        return PathBuf::from(dir);
    }
    app.path()
        .app_log_dir()
        .unwrap_or_else(|_| std::env::temp_dir().join("asg-fota-logs"))
}

pub(crate) fn init(dir: &Path) -> Option<WorkerGuard> {
    // The appender lists the folder to prune old files: on a first start the folder does not
    // exist yet and it would print "Error reading the log directory/files" to stderr.
    if let Err(error) = std::fs::create_dir_all(dir) {
        eprintln!(
            "ASG FOTA: cannot create the log folder {}: {error}",
            dir.display()
        );
        return None;
    }
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("asg-fota")
        .filename_suffix("log")
        .max_log_files(7)
        .build(dir);
    let appender = match appender {
        Ok(appender) => appender,
        Err(error) => {
            eprintln!("ASG FOTA: cannot write logs to {}: {error}", dir.display());
            return None;
        }
    };
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_env("ASG_FOTA_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(writer)
        .try_init();
    installed.ok().map(|()| guard)
}
