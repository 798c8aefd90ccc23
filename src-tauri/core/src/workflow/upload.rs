//! Step 2: uploading image packages to the tenant, with per-file progress, cancel and journal.
//!
//! This module owns the order of one file's upload: read its identity locally (the image id is in
//! the package, so nobody types it), ask the tenant whether it already holds that image (then the
//! upload is skipped: the service would refuse or duplicate it), stream it while reporting bytes
//! and rate, then wait for the service to process it. Files are uploaded one after another: a
//! user watches each one's progress, and the service's processing, not the link, is the slow part.
//!
//! Progress comes from the cloud transport's body stream through
//! [`crate::cloud::transport::with_upload_progress`]; the hook only stores the latest count in a
//! `watch` channel and this module decides how often to tell the caller (`progress_interval`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::deploy::Recorder;
use super::groups::LocalKinds;
use super::journal::{Action, Detail, Outcome, Target};
use super::plan::PlannedImage;
use crate::cloud::model::ImageId;
use crate::cloud::transport::with_upload_progress;
use crate::cloud::{CloudError, ControlPlane, ImageSource};
use crate::imagepackage::PackageKind;
use crate::inspect::{inspect_file, PackageReport};

/// Where one file's upload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadPhase {
    Queued,
    /// Reading the package and asking the tenant whether it holds the image.
    Checking,
    Uploading,
    /// Sent; the service is processing it.
    Processing,
    Done,
    Skipped,
    Failed,
    Cancelled,
}

/// One progress report of one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadProgress {
    /// The path as given: the key of this file in every report and result.
    pub path: String,
    /// Its file name, for display.
    pub file: String,
    pub image_id: Option<ImageId>,
    pub phase: UploadPhase,
    /// Package bytes sent so far (scaled from the request body when it is base64-encoded JSON).
    pub bytes_sent: u64,
    pub total_bytes: u64,
    pub bytes_per_second: f64,
    /// Why the file failed (the same as its result's).
    pub error: Option<UploadFailure>,
}

/// How one file ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadOutcome {
    Uploaded,
    /// The tenant already held the image; nothing was sent.
    Skipped,
    Failed,
    Cancelled,
}

/// Why a file failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UploadFailure {
    /// `damaged_package`, `io`, `too_large`, or a cloud error kind (`throttled`, `forbidden`...).
    pub kind: String,
    pub message: String,
}

/// The result of one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadResult {
    /// The path as given (the key of the file's progress reports).
    pub path: String,
    /// Its file name, for display.
    pub file: String,
    pub image_id: Option<ImageId>,
    pub outcome: UploadOutcome,
    /// What the package file says (when it could be read).
    pub report: Option<PackageReport>,
    /// What the tenant says about the image afterwards.
    pub image: Option<PlannedImage>,
    pub error: Option<UploadFailure>,
}

/// Upload knobs.
#[derive(Debug, Clone)]
pub struct UploadSettings {
    /// The least time between two `Uploading` reports of one file.
    pub progress_interval: Duration,
}

impl Default for UploadSettings {
    fn default() -> Self {
        Self {
            progress_interval: Duration::from_millis(100),
        }
    }
}

/// The local kinds of the packages that were read (for step 3's preflight).
pub fn local_kinds(results: &[UploadResult]) -> LocalKinds {
    results
        .iter()
        .filter_map(|r| {
            let report = r.report.as_ref()?;
            Some((ImageId::new(report.image_id.clone()), kind_of(report)?))
        })
        .collect()
}

/// The package kind a report names.
pub fn kind_of(report: &PackageReport) -> Option<PackageKind> {
    package_kind(&report.kind)
}

/// Reads a kind's name as `PackageKind::as_str` writes it.
fn package_kind(name: &str) -> Option<PackageKind> {
    match name {
        "HLApp" => Some(PackageKind::HLApp),
        "RTApp" => Some(PackageKind::RTApp),
        "BoardConfig" => Some(PackageKind::BoardConfig),
        "Other" => Some(PackageKind::Other),
        _ => None,
    }
}

/// Uploads `paths` one after another. Never fails as a whole: each file gets its own result, and
/// after `cancel` the remaining files are `Cancelled`.
pub async fn upload_packages(
    plane: &ControlPlane,
    recorder: Recorder<'_>,
    paths: &[PathBuf],
    settings: &UploadSettings,
    cancel: &CancellationToken,
    on_progress: &(dyn Fn(&UploadProgress) + Send + Sync),
) -> Vec<UploadResult> {
    for path in paths {
        on_progress(&progress(path, None, UploadPhase::Queued, 0, 0, 0.0));
    }
    let mut results = Vec::with_capacity(paths.len());
    for path in paths {
        let result = if cancel.is_cancelled() {
            cancelled(path, None, None)
        } else {
            upload_one(plane, path, settings, cancel, on_progress).await
        };
        journal(recorder, &result);
        let (phase, sent) = match result.outcome {
            UploadOutcome::Uploaded => (UploadPhase::Done, total_of(&result)),
            UploadOutcome::Skipped => (UploadPhase::Skipped, 0),
            UploadOutcome::Failed => (UploadPhase::Failed, 0),
            UploadOutcome::Cancelled => (UploadPhase::Cancelled, 0),
        };
        let mut last = progress(
            path,
            result.image_id.clone(),
            phase,
            sent,
            total_of(&result),
            0.0,
        );
        last.error = result.error.clone();
        on_progress(&last);
        results.push(result);
    }
    results
}

fn total_of(result: &UploadResult) -> u64 {
    result.report.as_ref().map_or(0, |r| r.size_bytes)
}

async fn upload_one(
    plane: &ControlPlane,
    path: &Path,
    settings: &UploadSettings,
    cancel: &CancellationToken,
    on_progress: &(dyn Fn(&UploadProgress) + Send + Sync),
) -> UploadResult {
    on_progress(&progress(path, None, UploadPhase::Checking, 0, 0, 0.0));
    let owned = path.to_path_buf();
    let report = match tokio::task::spawn_blocking(move || inspect_file(&owned)).await {
        Ok(Ok(report)) => report,
        Ok(Err(e)) => return failed(path, None, None, e.kind(), e.message()),
        Err(e) => return failed(path, None, None, "internal", e.to_string()),
    };
    let id = ImageId::new(report.image_id.clone());
    let local = kind_of(&report);
    let total = report.size_bytes;

    match plane.image(&id).await {
        Ok(info) => {
            return UploadResult {
                path: path.display().to_string(),
                file: file_name(path),
                image_id: Some(id),
                outcome: UploadOutcome::Skipped,
                image: Some(PlannedImage::from_tenant(&info, local)),
                report: Some(report),
                error: None,
            }
        }
        Err(CloudError::NotFound { .. }) => {}
        Err(e) => return failed(path, Some(id), Some(report), e.kind(), e.to_string()),
    }
    let source = match ImageSource::file(path) {
        Ok(s) => s,
        Err(e) => return failed(path, Some(id), Some(report), e.kind(), e.to_string()),
    };

    let upload_id = id.clone();
    let (tx, mut rx) = tokio::sync::watch::channel((0u64, 0u64));
    let hook: crate::cloud::transport::UploadProgress = Arc::new(move |sent, body| {
        tx.send_replace((sent, body));
    });
    let work = with_upload_progress(hook, plane.upload_image(&source, &upload_id));
    tokio::pin!(work);
    let mut started = Instant::now();
    let mut last_sent = 0u64;
    let mut last_report: Option<Instant> = None;
    let mut processing = false;
    let answer = loop {
        tokio::select! {
            biased;
            () = cancel.cancelled() => return cancelled(path, Some(id.clone()), Some(report)),
            answer = &mut work => break answer,
            Ok(()) = rx.changed() => {
                let (sent_body, body_total) = *rx.borrow_and_update();
                // A retry starts the body again: restart the rate too.
                if sent_body < last_sent {
                    started = Instant::now();
                    processing = false;
                }
                last_sent = sent_body;
                let sent = scale(sent_body, body_total, total);
                let done = body_total > 0 && sent_body >= body_total;
                let due = last_report.is_none_or(|at| at.elapsed() >= settings.progress_interval);
                if done && !processing {
                    processing = true;
                    on_progress(&progress(path, Some(id.clone()), UploadPhase::Uploading, total, total, rate(total, started)));
                    on_progress(&progress(path, Some(id.clone()), UploadPhase::Processing, total, total, rate(total, started)));
                } else if due && !done {
                    last_report = Some(Instant::now());
                    on_progress(&progress(path, Some(id.clone()), UploadPhase::Uploading, sent, total, rate(sent, started)));
                }
            }
        }
    };
    match answer {
        Ok(info) => UploadResult {
            path: path.display().to_string(),
            file: file_name(path),
            image_id: Some(id.clone()),
            outcome: UploadOutcome::Uploaded,
            image: Some(PlannedImage::from_tenant(&info, local)),
            report: Some(report),
            error: None,
        },
        Err(e) => failed(
            path,
            Some(id.clone()),
            Some(report),
            e.kind(),
            e.to_string(),
        ),
    }
}

/// Package bytes for `sent` body bytes of a `body_total`-byte body carrying a `file_total`-byte file.
fn scale(sent: u64, body_total: u64, file_total: u64) -> u64 {
    if body_total == 0 {
        return 0;
    }
    ((sent as u128 * file_total as u128) / body_total as u128).min(file_total as u128) as u64
}

fn rate(sent: u64, started: Instant) -> f64 {
    let secs = started.elapsed().as_secs_f64();
    if secs > 0.0 {
        sent as f64 / secs
    } else {
        0.0
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn progress(
    path: &Path,
    image_id: Option<ImageId>,
    phase: UploadPhase,
    bytes_sent: u64,
    total_bytes: u64,
    bytes_per_second: f64,
) -> UploadProgress {
    UploadProgress {
        path: path.display().to_string(),
        file: file_name(path),
        image_id,
        phase,
        bytes_sent,
        total_bytes,
        bytes_per_second,
        error: None,
    }
}

fn failed(
    path: &Path,
    image_id: Option<ImageId>,
    report: Option<PackageReport>,
    kind: &str,
    message: String,
) -> UploadResult {
    UploadResult {
        path: path.display().to_string(),
        file: file_name(path),
        image_id,
        outcome: UploadOutcome::Failed,
        report,
        image: None,
        error: Some(UploadFailure {
            kind: kind.to_owned(),
            message,
        }),
    }
}

fn cancelled(
    path: &Path,
    image_id: Option<ImageId>,
    report: Option<PackageReport>,
) -> UploadResult {
    UploadResult {
        path: path.display().to_string(),
        file: file_name(path),
        image_id,
        outcome: UploadOutcome::Cancelled,
        report,
        image: None,
        error: Some(UploadFailure {
            kind: "cancelled".into(),
            message: "the upload was cancelled; the service may still finish processing a file that was fully sent".into(),
        }),
    }
}

fn journal(recorder: Recorder<'_>, result: &UploadResult) {
    let outcome = match result.outcome {
        UploadOutcome::Uploaded => Outcome::Ok,
        UploadOutcome::Skipped => Outcome::Skipped,
        UploadOutcome::Failed | UploadOutcome::Cancelled => Outcome::Failed,
    };
    // A file that could not even be read changed nothing in the tenant.
    if result.image_id.is_none() {
        return;
    }
    let name = result
        .image
        .as_ref()
        .and_then(|i| i.name.clone())
        .or_else(|| result.report.as_ref().map(|r| r.name.clone()));
    let target = Target {
        image_ids: result.image_id.iter().map(ToString::to_string).collect(),
        image_names: name.into_iter().collect(),
        image_kinds: result.report.iter().map(|r| r.kind.clone()).collect(),
        file: Some(result.file.clone()),
        ..Target::default()
    };
    let detail = match (&result.outcome, &result.error) {
        (UploadOutcome::Skipped, _) => Detail::said(
            "upload_skipped",
            serde_json::json!({}),
            "the tenant already holds this image",
        ),
        (_, Some(e)) => Detail::error(&e.kind, e.message.clone()),
        _ => Detail::said("uploaded", serde_json::json!({}), "uploaded and processed"),
    };
    recorder
        .journal
        .record_or_warn(recorder.actor, Action::Upload, target, outcome, detail);
}
