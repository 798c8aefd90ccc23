//! The journal view: the latest changes this computer made to tenants.

use tauri::State;

use asg_fota_core::workflow::journal::JournalEntry;

use crate::tenant::TenantConnection;
use crate::wire::CommandError;

#[tauri::command]
pub(crate) fn journal_recent(
    limit: Option<usize>,
    connection: State<'_, TenantConnection>,
) -> Result<Vec<JournalEntry>, CommandError> {
    let limit = limit.unwrap_or(100).min(10_000);
    Ok(connection.host.journal_recent(limit)?)
}
