//! Where the product keeps its files: the OS config, data and log directories.
//!
//! This module owns the answer to "which directory", for the desktop app and the CLI alike, so
//! both read the same profiles and write the same journal. The directories follow each OS's
//! conventions (through the `directories` crate) under the app identifier `com.wiznet.asg-fota`,
//! the same folder names Tauri's path resolver uses, and each can be overridden by an environment
//! variable so tests and portable installs can point them elsewhere:
//!
//! | directory | override | Linux default | macOS default | Windows default |
//! |---|---|---|---|---|
//! | config | `ASG_FOTA_CONFIG_DIR` | `~/.config/com.wiznet.asg-fota` | `~/Library/Application Support/com.wiznet.asg-fota` | `%APPDATA%\com.wiznet.asg-fota` |
//! | data | `ASG_FOTA_DATA_DIR` | `~/.local/share/com.wiznet.asg-fota` | `~/Library/Application Support/com.wiznet.asg-fota` | `%APPDATA%\com.wiznet.asg-fota` |
//! | log | `ASG_FOTA_LOG_DIR` | `~/.local/share/com.wiznet.asg-fota/logs` | `~/Library/Logs/com.wiznet.asg-fota` | `%LOCALAPPDATA%\com.wiznet.asg-fota\logs` |
//!
//! Nothing is created here: a caller creates a directory when it first writes into it.

use std::ffi::OsString;
use std::path::PathBuf;

/// The application identifier (as in `tauri.conf.json`), used as the folder name.
pub const APP_IDENTIFIER: &str = "com.wiznet.asg-fota";

/// Environment variable overriding the config directory.
pub const CONFIG_DIR_ENV: &str = "ASG_FOTA_CONFIG_DIR";
/// Environment variable overriding the data directory.
pub const DATA_DIR_ENV: &str = "ASG_FOTA_DATA_DIR";
/// Environment variable overriding the log directory.
pub const LOG_DIR_ENV: &str = "ASG_FOTA_LOG_DIR";

/// The three directories the product writes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppDirs {
    /// Non-secret settings: `profiles.json`.
    pub config: PathBuf,
    /// State: the journal, the Demo tenant's saved state.
    pub data: PathBuf,
    /// Log files.
    pub log: PathBuf,
}

/// No home directory could be found and no override was given.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot find the {which} directory: the OS reports no home directory; set {env} to a \
     directory ASG FOTA may use"
)]
pub struct PathsError {
    /// `config`, `data` or `log`.
    pub which: &'static str,
    /// The environment variable that would fix it.
    pub env: &'static str,
}

impl AppDirs {
    /// The directories for this user, with the environment overrides applied.
    pub fn discover() -> Result<Self, PathsError> {
        Self::resolve(|name| std::env::var_os(name))
    }

    /// The directories with overrides looked up through `lookup`, so tests need not touch the
    /// process environment.
    pub fn resolve(lookup: impl Fn(&str) -> Option<OsString>) -> Result<Self, PathsError> {
        let over = |name: &str| lookup(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let base = directories::BaseDirs::new();
        let missing = |which, env| PathsError { which, env };

        let config = match over(CONFIG_DIR_ENV) {
            Some(dir) => dir,
            None => base
                .as_ref()
                .map(|b| b.config_dir().join(APP_IDENTIFIER))
                .ok_or(missing("config", CONFIG_DIR_ENV))?,
        };
        let data = match over(DATA_DIR_ENV) {
            Some(dir) => dir,
            None => base
                .as_ref()
                .map(|b| b.data_dir().join(APP_IDENTIFIER))
                .ok_or(missing("data", DATA_DIR_ENV))?,
        };
        let log = match over(LOG_DIR_ENV) {
            Some(dir) => dir,
            None => base
                .as_ref()
                .map(default_log_dir)
                .ok_or(missing("log", LOG_DIR_ENV))?,
        };
        Ok(Self { config, data, log })
    }

    /// The profiles file inside the config directory.
    pub fn profiles_file(&self) -> PathBuf {
        self.config.join("profiles.json")
    }

    /// The saved state of the CLI's Demo tenant inside the data directory.
    pub fn demo_state_file(&self) -> PathBuf {
        self.data.join("demo-tenant.json")
    }
}

/// Each OS's customary log folder, matching Tauri's `app_log_dir`.
fn default_log_dir(base: &directories::BaseDirs) -> PathBuf {
    if cfg!(target_os = "macos") {
        base.home_dir().join("Library/Logs").join(APP_IDENTIFIER)
    } else {
        base.data_local_dir().join(APP_IDENTIFIER).join("logs")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_win_over_os_defaults() {
        let dirs = AppDirs::resolve(|name| match name {
            CONFIG_DIR_ENV => Some("/tmp/c".into()),
            DATA_DIR_ENV => Some("/tmp/d".into()),
            LOG_DIR_ENV => Some("/tmp/l".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(dirs.config, PathBuf::from("/tmp/c"));
        assert_eq!(dirs.profiles_file(), PathBuf::from("/tmp/c/profiles.json"));
        assert_eq!(
            dirs.demo_state_file(),
            PathBuf::from("/tmp/d/demo-tenant.json")
        );
        assert_eq!(dirs.log, PathBuf::from("/tmp/l"));
    }

    #[test]
    fn empty_override_is_ignored() {
        let dirs = AppDirs::resolve(|_| Some(OsString::new()));
        if let Ok(dirs) = dirs {
            assert!(dirs.config.ends_with(APP_IDENTIFIER));
        }
    }
}
