//! The journal view: the latest changes this computer made to tenants.

use tauri::State;

use asg_fota_core::workflow::journal::JournalEntry;

use crate::error::CommandError;
use crate::tenant::TenantConnection;

#[tauri::command]
pub(crate) fn journal_recent(
    limit: Option<usize>,
    connection: State<'_, TenantConnection>,
) -> Result<Vec<JournalEntry>, CommandError> {
    let (journal, _) = connection.journal()?;
    journal
        .recent(limit.unwrap_or(100).min(10_000))
        .map_err(|error| CommandError::new("journal", error.to_string()))
}
