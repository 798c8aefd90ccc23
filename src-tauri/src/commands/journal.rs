//! The journal view: the latest changes this computer made to tenants.

use tauri::State;

use asg_fota_core::workflow::journal::{Action, JournalEntry};

use crate::tenant::TenantConnection;
use crate::wire::{fold_journal, CommandError};

#[tauri::command]
pub(crate) fn journal_recent(
    limit: Option<usize>,
    connection: State<'_, TenantConnection>,
) -> Result<Vec<JournalEntry>, CommandError> {
    let limit = limit.unwrap_or(100).min(10_000);
    let mut entries = connection.host.journal_recent(limit)?;
    // What an entry says names the core's error kind; the UI's catalogs know the GUI's.
    for entry in entries.iter_mut() {
        let node_update = entry.action == Action::NodeUpdate;
        let Some(said) = entry.said.as_mut() else {
            continue;
        };
        if let Some(kind) = said.params.get("kind").and_then(|k| k.as_str()) {
            let gui = fold_journal(kind, node_update);
            said.params.insert("kind".into(), gui.into());
        }
    }
    Ok(entries)
}
