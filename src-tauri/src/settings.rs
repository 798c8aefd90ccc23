//! The shell's own small, non-secret settings: for now, the folder the picker opened last.
//!
//! Stored as JSON in the OS config directory. A damaged file is ignored (it only holds a
//! convenience) and replaced on the next save; it never holds anything secret.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    last_package_folder: Option<PathBuf>,
}

pub(crate) struct ShellSettings {
    path: PathBuf,
    stored: Mutex<Stored>,
}

impl ShellSettings {
    pub(crate) fn load(path: PathBuf) -> Self {
        let stored = read_or_default(&path);
        Self {
            path,
            stored: Mutex::new(stored),
        }
    }

    pub(crate) fn last_package_folder(&self) -> Option<PathBuf> {
        self.stored
            .lock()
            .ok()
            .and_then(|s| s.last_package_folder.clone())
    }

    /// Remembers the folder of the files just picked, so the next picker opens there.
    pub(crate) fn remember_package_folder(&self, folder: &Path) {
        let Ok(mut stored) = self.stored.lock() else {
            return;
        };
        stored.last_package_folder = Some(folder.to_path_buf());
        if let Err(error) = write_atomically(&self.path, &*stored) {
            tracing::warn!(%error, path = %self.path.display(), "could not save shell settings");
        }
    }
}

/// Writes `value` as pretty JSON beside `path` and renames it into place, so a crash never leaves
/// half a file (also used by `updates.rs`).
/// Reads a small JSON settings file; a missing or damaged one reads as the defaults (it holds
/// only conveniences, so the app starts afresh rather than refusing to start).
pub(crate) fn read_or_default<T: serde::de::DeserializeOwned + Default>(path: &Path) -> T {
    std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

pub(crate) fn write_atomically<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let temp = path.with_extension("json.tmp");
    std::fs::write(&temp, serde_json::to_vec_pretty(value)?)?;
    std::fs::rename(temp, path)
}
