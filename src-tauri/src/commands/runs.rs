//! The runs in flight, for a page that reloaded: list them, and send a run's future messages to
//! the page's new channel.

use std::sync::Arc;

use serde_json::Value;
use tauri::ipc::Channel;
use tauri::State;

use crate::runs::Runs;
use crate::wire::{CommandError, RunSummary};

#[tauri::command]
pub(crate) fn runs_list(runs: State<'_, Arc<Runs>>) -> Vec<RunSummary> {
    runs.list()
}

/// Rejects `not_found` when the run has ended (its last message was sent on the old channel).
#[tauri::command]
pub(crate) fn run_attach(
    run_id: String,
    on_event: Channel<Value>,
    runs: State<'_, Arc<Runs>>,
) -> Result<(), CommandError> {
    runs.attach(&run_id, on_event)
}
