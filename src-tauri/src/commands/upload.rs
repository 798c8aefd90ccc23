//! Step 2's cloud side: uploading the listed packages to the tenant, with progress events.

use serde::Serialize;
use tauri::{AppHandle, Emitter, State};

use asg_fota_core::workflow::deploy::Recorder;
use asg_fota_core::workflow::upload::{
    self, UploadOutcome, UploadPhase, UploadProgress, UploadSettings,
};

use crate::error::CommandError;
use crate::tenant::TenantConnection;
use crate::work::WorkInFlight;

/// The `upload-progress` event.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct ProgressEvent {
    file: String,
    image_id: Option<String>,
    phase: UploadPhase,
    bytes_sent: u64,
    total_bytes: u64,
    bytes_per_second: f64,
    error: Option<CommandError>,
}

impl From<&UploadProgress> for ProgressEvent {
    fn from(p: &UploadProgress) -> Self {
        Self {
            file: p.file.clone(),
            image_id: p.image_id.as_ref().map(ToString::to_string),
            phase: p.phase,
            bytes_sent: p.bytes_sent,
            total_bytes: p.total_bytes,
            bytes_per_second: p.bytes_per_second,
            error: p
                .error
                .clone()
                .map(|message| CommandError::new("upload_failed", message)),
        }
    }
}

/// How one file ended.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UploadAnswer {
    file: String,
    image_id: Option<String>,
    outcome: &'static str,
    error: Option<CommandError>,
}

/// "Upload" in step 2: uploads each file unless the tenant already holds its image. Never fails
/// as a whole for one bad file: each file's outcome is in the answer.
#[tauri::command]
pub(crate) async fn packages_upload(
    paths: Vec<String>,
    app: AppHandle,
    connection: State<'_, TenantConnection>,
    work: State<'_, WorkInFlight>,
) -> Result<Vec<UploadAnswer>, CommandError> {
    let session = connection.session().await?;
    let (journal, actor) = connection.journal()?;
    let cancel = work.start_upload();
    let files: Vec<std::path::PathBuf> = paths.iter().map(std::path::PathBuf::from).collect();
    let emit = |progress: &UploadProgress| {
        if let Err(error) = app.emit("upload-progress", ProgressEvent::from(progress)) {
            tracing::warn!(%error, "upload progress could not reach the window");
        }
    };
    let recorder = Recorder {
        journal: &journal,
        actor: &actor,
    };
    let results = upload::upload_packages(
        session.plane(),
        recorder,
        &files,
        &UploadSettings::default(),
        &cancel,
        &emit,
    )
    .await;
    for (image, kind) in upload::local_kinds(&results) {
        work.remember_kind(image, kind);
    }
    Ok(results
        .into_iter()
        .map(|r| UploadAnswer {
            file: r.file,
            image_id: r.image_id.map(|id| id.to_string()),
            outcome: match r.outcome {
                UploadOutcome::Uploaded => "uploaded",
                UploadOutcome::Skipped => "skipped",
                UploadOutcome::Failed => "failed",
                UploadOutcome::Cancelled => "cancelled",
            },
            error: r
                .error
                .map(|e| CommandError::new(kind_name(&e.kind), e.message)),
        })
        .collect())
}

/// "Cancel" while uploading.
#[tauri::command]
pub(crate) fn upload_cancel(work: State<'_, WorkInFlight>) {
    work.cancel_upload();
}

/// The error kinds are a closed set for the UI: keep the known ones, fold the rest.
fn kind_name(kind: &str) -> &'static str {
    const KNOWN: &[&str] = &[
        "damaged_package",
        "io",
        "too_large",
        "throttled",
        "forbidden",
        "signed_out",
        "unauthorized",
        "cancelled",
        "conflict",
        "not_found",
        "service",
        "timeout",
        "connect",
        "connection_reset",
    ];
    KNOWN
        .iter()
        .find(|k| **k == kind)
        .copied()
        .unwrap_or("upload_failed")
}
