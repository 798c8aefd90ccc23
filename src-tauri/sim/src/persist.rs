//! The optional state file: the tenant saved as JSON, written atomically (a temporary file in
//! the same directory, then a rename) so a crash never leaves half a file, and reloaded at start.
//!
//! Operations still running when the state was saved are finished at load (their timers are
//! gone); gateway restarts and node updates in flight are settled the same way.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::state::{NodeUpdateState, Tenant, TenantState};

/// Why the state file cannot be read or written.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    #[error("cannot read the state file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the state file {path} is not a simulator state: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("cannot write the state file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Reads a saved state and settles whatever was in flight.
pub fn load(path: &Path) -> Result<TenantState, PersistError> {
    let text = std::fs::read(path).map_err(|source| PersistError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut state: TenantState =
        serde_json::from_slice(&text).map_err(|source| PersistError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
    state.reindex();
    state.finish_all_operations();
    for device in &mut state.devices {
        let gateway = &mut device.gateway;
        if gateway.restarting {
            gateway.restarting = false;
            gateway.connected = !gateway.held_offline;
        }
        for node in &mut gateway.nodes {
            if let Some(update) = &mut node.update {
                if update.state == NodeUpdateState::InProgress {
                    update.state = NodeUpdateState::Succeeded;
                    update.percent = 100;
                    node.fw_version = update.target;
                }
            }
        }
    }
    Ok(state)
}

/// Writes the state atomically.
pub fn save(tenant: &Tenant, path: &Path) -> Result<(), PersistError> {
    // Copy under the lock, serialize outside it: a large fleet takes a while to serialize and
    // requests must not wait for that.
    let copy = tenant.read(TenantState::clone);
    let bytes = serde_json::to_vec(&copy).map_err(|source| PersistError::Parse {
        path: path.to_path_buf(),
        source,
    })?;
    let write_err = |source| PersistError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".to_string());
    let temp = dir.join(format!(".{file_name}.tmp"));
    std::fs::write(&temp, &bytes).map_err(write_err)?;
    std::fs::rename(&temp, path).map_err(write_err)
}

/// Saves the state every second while it keeps changing (runs until aborted).
pub async fn autosave(tenant: Tenant, path: PathBuf) {
    let mut saved = tenant.revision();
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = tenant.revision();
        if now != saved {
            match save(&tenant, &path) {
                Ok(()) => saved = now,
                Err(e) => tracing::warn!("{e}"),
            }
        }
    }
}
