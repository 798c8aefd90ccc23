//! The log both front ends write: `tracing` events of every crate, filtered by `ASG_FOTA_LOG`
//! (the `RUST_LOG` syntax: `debug`, `asg_fota_core=trace,info`, ...; `info` when unset), without
//! colours, to a daily-rotated file in a log directory (the app always; the CLI when
//! `ASG_FOTA_LOG` is set), to one file (`asg-fota-cli --log-file PATH`) or to stderr
//! (`--log-file -`).
//!
//! One subscriber for the app and the CLI, so both follow one rule about what reaches a log line:
//! ids, paths, statuses and timings, never a token, key or secret. Secrets are `Sensitive`
//! values whose `Debug` prints `[redacted]`, and the transport logs a request's method, path,
//! status and timing, never its headers or body. The leak tests (core `cloud_leak`, the CLI's
//! `leak`, the app's `profile_screen`) search every log for every secret the simulator saw.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// The environment variable holding the log filter (`RUST_LOG` syntax).
pub const FILTER_ENV: &str = "ASG_FOTA_LOG";
/// The filter when [`FILTER_ENV`] is not set.
pub const DEFAULT_FILTER: &str = "info";
/// How many daily files a [`LogTarget::Daily`] log keeps.
pub const KEPT_FILES: usize = 7;

/// Where log lines go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogTarget {
    /// `<dir>/<prefix>.<YYYY-MM-DD>.log`, a new file each day, the newest [`KEPT_FILES`] kept.
    Daily { dir: PathBuf, prefix: &'static str },
    /// One file, appended to (created with its folder when missing).
    File(PathBuf),
    /// The process's stderr.
    Stderr,
}

/// Keeps the log writer running; dropping it writes out what is still queued.
#[must_use = "the log stops being written when the guard is dropped"]
pub struct LogGuard {
    _worker: WorkerGuard,
}

/// The log could not be started.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The filter does not parse.
    #[error(
        "{FILTER_ENV}={value:?} is not a log filter ({reason}); give a level such as `debug`, \
         or per-crate levels such as `asg_fota_core=trace,info`"
    )]
    Filter { value: String, reason: String },
    /// The file or folder cannot be created or written.
    #[error(
        "cannot write the log to {path}: {reason}; choose a writable place (ASG_FOTA_LOG_DIR, \
         or the CLI's --log-file)"
    )]
    Write { path: PathBuf, reason: String },
}

/// The filter [`FILTER_ENV`] asks for, when it is set and not empty.
pub fn filter_from_env() -> Option<String> {
    std::env::var(FILTER_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())
}

/// Parses a filter (`None`: [`DEFAULT_FILTER`]).
pub fn parse_filter(filter: Option<&str>) -> Result<EnvFilter, LogError> {
    let value = filter.unwrap_or(DEFAULT_FILTER);
    EnvFilter::builder()
        .parse(value)
        .map_err(|error| LogError::Filter {
            value: value.to_owned(),
            reason: error.to_string(),
        })
}

/// Installs the process-wide subscriber writing to `target` with `filter`. When a subscriber is
/// already installed (a test harness), that one stays and the guard does nothing more.
pub fn init(target: &LogTarget, filter: EnvFilter) -> Result<LogGuard, LogError> {
    let (writer, worker) = match target {
        LogTarget::Daily { dir, prefix } => tracing_appender::non_blocking(daily(dir, prefix)?),
        LogTarget::File(path) => tracing_appender::non_blocking(append_to(path)?),
        LogTarget::Stderr => tracing_appender::non_blocking(std::io::stderr()),
    };
    let _already_installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(writer)
        .try_init();
    Ok(LogGuard { _worker: worker })
}

fn daily(
    dir: &Path,
    prefix: &str,
) -> Result<tracing_appender::rolling::RollingFileAppender, LogError> {
    // The appender lists the folder to prune old files: on a first start the folder does not
    // exist yet and it would print "Error reading the log directory/files" to stderr.
    create_folder(dir)?;
    tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix(prefix)
        .filename_suffix("log")
        .max_log_files(KEPT_FILES)
        .build(dir)
        .map_err(|error| write_error(dir, error))
}

fn append_to(path: &Path) -> Result<std::fs::File, LogError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_folder(parent)?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|error| write_error(path, error))
}

fn create_folder(dir: &Path) -> Result<(), LogError> {
    std::fs::create_dir_all(dir).map_err(|error| write_error(dir, error))
}

fn write_error(path: &Path, error: impl std::fmt::Display) -> LogError {
    LogError::Write {
        path: path.to_owned(),
        reason: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_like_rust_log_and_bad_ones_say_what_to_write() {
        for good in [
            None,
            Some("trace"),
            Some("asg_fota_core=trace,info"),
            Some("warn"),
        ] {
            assert!(parse_filter(good).is_ok(), "{good:?}");
        }
        let error = parse_filter(Some("asg_fota_core=loud")).unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("ASG_FOTA_LOG=\"asg_fota_core=loud\""),
            "{text}"
        );
        assert!(text.contains("`debug`"), "{text}");
    }

    #[test]
    fn a_log_file_and_its_folder_are_created_and_appended_to() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/cli.log");
        drop(append_to(&path).unwrap());
        std::fs::write(&path, "first\n").unwrap();
        use std::io::Write;
        append_to(&path).unwrap().write_all(b"second\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "first\nsecond\n");
    }

    #[test]
    fn an_unwritable_place_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        // A file where the folder should be: creating the folder fails on every OS.
        let blocker = dir.path().join("blocker");
        std::fs::write(&blocker, "").unwrap();
        let error = append_to(&blocker.join("cli.log")).unwrap_err();
        assert!(matches!(error, LogError::Write { .. }));
        assert!(error.to_string().contains("--log-file"), "{error}");
        let error = daily(&blocker.join("logs"), "asg-fota").unwrap_err();
        assert!(matches!(error, LogError::Write { .. }));
    }
}
