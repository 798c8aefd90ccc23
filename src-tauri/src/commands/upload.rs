//! Step 2's cloud side: uploading the listed packages to the tenant, streaming each file's
//! progress on the command's channel (keyed by the file's full path, like the answer).

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;
use tauri::ipc::Channel;
use tauri::State;

use crate::runs::Runs;
use crate::tenant::TenantConnection;
use crate::wire::{CommandError, RunKind, UploadAnswer, UploadEvent};

/// "Upload" in step 2: uploads each file unless the tenant already holds its image. Never fails
/// as a whole for one bad file: each file's outcome is in the answer.
#[tauri::command]
pub(crate) async fn packages_upload(
    paths: Vec<String>,
    on_event: Channel<Value>,
    connection: State<'_, TenantConnection>,
    runs: State<'_, Arc<Runs>>,
) -> Result<Vec<UploadAnswer>, CommandError> {
    let tenant = connection.tenant().await?;
    let files: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
    let run = runs.start(RunKind::Upload, None, on_event);
    let progress = |p: &_| run.send(UploadEvent::from(p));
    let results = tenant.upload(&files, &run.cancel_token(), &progress).await;
    runs.finish(run.id());
    Ok(results.into_iter().map(UploadAnswer::from).collect())
}

/// "Cancel" while uploading.
#[tauri::command]
pub(crate) fn upload_cancel(runs: State<'_, Arc<Runs>>) {
    runs.cancel_upload();
}
