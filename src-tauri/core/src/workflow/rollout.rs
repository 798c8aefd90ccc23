//! Step 5, "update now": move gateways into the group, restart them, and confirm that they took
//! the group's deployment.
//!
//! No cloud call makes an Azure Sphere device look for updates (azure-sphere-api.md §4), so an
//! "update now" is: move the device into the group when it is elsewhere (waiting for the move's
//! operation), ask the gateway's own app to reboot through the profile's restart direct method,
//! then watch the device until it has checked in and reports the deployed versions.
//!
//! # When a gateway is "on target"
//!
//! A gateway is on target when, at one read, all of this holds:
//! 1. it has **checked in after the request**: its `LastUpdateRequestUTC` (control plane) is later
//!    than the value read before the restart and not earlier than the request time minus
//!    [`CLOCK_SKEW`];
//! 2. its twin says it is **connected** (the app came back after the reboot);
//! 3. its **versions** are the expected ones: [`expected_versions`] derives the HLApp and RTApp
//!    versions from the names of the images in the group's current deployment (the
//!    `v<major>.<minor>.<patch>` token convention); each version it could derive must equal the
//!    twin's `HLAppVer` / `RTAppVer` (the profile's property names), compared numerically. When no
//!    version can be derived (names without a token, no deployment), the twin's two versions must
//!    instead be the same at two reads in a row after the check-in.
//!
//! Anything else before the deadline is a failure with a plain reason. The statuses a device goes
//! through are `requested → moved (only when it was elsewhere) → restarting → checked_in →
//! on_target`, or `failed` / `cancelled`, each with the time it was read, delivered through a
//! progress callback.
//!
//! # Running many
//!
//! Devices are worked on [`RolloutSettings::concurrency`] at a time from a lazy stream, so a run
//! over 10,000 gateways holds 8 small futures and the ids, not 10,000 tasks. An offline gateway
//! fails at its first twin read or at the restart (IoT Hub answers 404103 at once) and frees its
//! slot. Cancelling stops new work: devices not started are reported `cancelled`, devices in
//! flight stop at their next await. Failed devices are retried by running again with
//! [`RolloutReport::retry_ids`].

use std::collections::HashSet;
use std::time::Duration;

use futures_util::StreamExt;
use serde::Serialize;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use super::fleet::{reported_text, ConnectionState, Fleet};
use super::journal::{Action, Outcome, Target};
use super::version::FirmwareVersion;
use crate::cloud::iothub::MethodTimeouts;
use crate::cloud::model::{DeviceGroup, DeviceGroupId, DeviceId, ImageInfo};
use crate::cloud::CloudError;
use crate::profiles::DeviceContract;

/// How far the service's clock may lag ours when deciding that a check-in came after the request.
// UNSURE: one minute covers the skew between a desktop clock and Azure's.
pub const CLOCK_SKEW: Duration = Duration::from_secs(60);

/// How a rollout runs.
#[derive(Debug, Clone)]
pub struct RolloutSettings {
    /// Gateways worked on at the same time (the profile's `concurrency`, default 8).
    pub concurrency: usize,
    /// Wait between two reads of a watched gateway.
    pub poll_interval: Duration,
    /// How long one gateway may take from the restart request to "on target".
    pub deadline: Duration,
    /// The `delaySeconds` sent with the restart method.
    pub restart_delay_seconds: u32,
    /// IoT Hub's timeouts for the restart call (connect 0 = an offline gateway fails at once).
    pub method_timeouts: MethodTimeouts,
}

impl Default for RolloutSettings {
    fn default() -> Self {
        RolloutSettings {
            concurrency: 8,
            poll_interval: Duration::from_secs(5),
            // A reboot, an update check, a download and a second reboot: minutes, not seconds.
            deadline: Duration::from_secs(15 * 60),
            restart_delay_seconds: DeviceContract::default().restart_delay_seconds,
            method_timeouts: MethodTimeouts::default(),
        }
    }
}

impl RolloutSettings {
    /// The defaults with the profile's concurrency and restart delay.
    pub fn for_profile(contract: &DeviceContract, concurrency: u32) -> RolloutSettings {
        RolloutSettings {
            concurrency: concurrency.max(1) as usize,
            restart_delay_seconds: contract.restart_delay_seconds,
            ..RolloutSettings::default()
        }
    }
}

/// Where one gateway is in the rollout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The gateway is being worked on.
    Requested,
    /// It was moved into the group (only shown when it was elsewhere).
    Moved,
    /// The restart method answered; the gateway is rebooting.
    Restarting,
    /// It checked for updates after the request.
    CheckedIn,
    /// It reports the deployed versions (see the module doc).
    OnTarget,
    /// It failed; the event says why.
    Failed,
    /// The run was cancelled before this gateway finished.
    Cancelled,
}

impl Stage {
    /// Whether nothing follows this stage.
    pub fn is_final(self) -> bool {
        matches!(self, Stage::OnTarget | Stage::Failed | Stage::Cancelled)
    }
}

/// One status change of one gateway.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutEvent {
    pub device_id: DeviceId,
    /// Serialized as `status`, the GUI contract's name.
    #[serde(rename = "status")]
    pub stage: Stage,
    /// When the state behind this status was read.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// For `failed` and `cancelled`: what happened and what to do, in plain words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For `failed`: a stable code the UI may act on (`device_offline`, `timed_out`,
    /// `policy_blocks_updates`, `restart_rejected`, `unauthorized`, ...; the shell folds them into
    /// the GUI's kinds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    /// The versions read with this status, when a twin was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hl_app_ver: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rt_app_ver: Option<String>,
}

/// Why one gateway failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceFailure {
    pub device_id: DeviceId,
    /// The stable code of [`RolloutEvent::kind`].
    pub kind: &'static str,
    pub reason: String,
}

/// The end of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutReport {
    pub succeeded: Vec<DeviceId>,
    pub failed: Vec<DeviceFailure>,
    pub cancelled: Vec<DeviceId>,
}

impl RolloutReport {
    /// Whether every gateway reached "on target".
    pub fn all_on_target(&self) -> bool {
        self.failed.is_empty() && self.cancelled.is_empty()
    }

    /// The gateways to run again: the failed and the cancelled ones.
    pub fn retry_ids(&self) -> Vec<DeviceId> {
        self.failed
            .iter()
            .map(|f| f.device_id.clone())
            .chain(self.cancelled.iter().cloned())
            .collect()
    }
}

/// The app versions a gateway should report after taking a deployment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetVersions {
    /// From the high-level app's image name.
    pub hl_app: Option<FirmwareVersion>,
    /// From the real-time app's image name.
    pub rt_app: Option<FirmwareVersion>,
    /// Versions of app images whose kind the name does not tell: each must be reported by one of
    /// the two properties.
    pub unplaced: Vec<FirmwareVersion>,
}

impl TargetVersions {
    /// Whether any version could be derived (else "on target" falls back to stable versions).
    pub fn is_known(&self) -> bool {
        self.hl_app.is_some() || self.rt_app.is_some() || !self.unplaced.is_empty()
    }

    /// Whether reported versions meet every derived one (numerically).
    pub fn met_by(&self, hl: Option<&str>, rt: Option<&str>) -> bool {
        let parse = |v: Option<&str>| v.and_then(|t| t.parse::<FirmwareVersion>().ok());
        let (hl, rt) = (parse(hl), parse(rt));
        let matches = |want: &Option<FirmwareVersion>, got: &Option<FirmwareVersion>| {
            want.as_ref().is_none_or(|w| got.as_ref() == Some(w))
        };
        matches(&self.hl_app, &hl)
            && matches(&self.rt_app, &rt)
            && self
                .unplaced
                .iter()
                .all(|w| hl.as_ref() == Some(w) || rt.as_ref() == Some(w))
    }

    /// The expectation in words, for messages.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(v) = &self.hl_app {
            parts.push(format!("HLApp {v}"));
        }
        if let Some(v) = &self.rt_app {
            parts.push(format!("RTApp {v}"));
        }
        for v in &self.unplaced {
            parts.push(format!("an app at {v}"));
        }
        if parts.is_empty() {
            "stable versions after the check-in".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

/// Derives the versions a gateway should report from the names of the deployment's images.
///
/// The convention (docs/simulator.md): a name carries its version as a token
/// `v<major>.<minor>.<patch>` at the start or after `_`, `-` or a space, the last such token
/// winning (`ASG210_HLApp_v1.2.3` → 1.2.3); in an RTApp's name, everything from `nodefw` on is the
/// node firmware, not the app's version. The app kind comes from the name: `rtapp`, `nodefw`, an
/// `rt_` prefix or an `_rt_` part mean the real-time app; `hlapp`, an `hl_` prefix or `_hl_` the
/// high-level app; an app whose name says neither must match either property. Board
/// configurations carry no app version.
// UNSURE: WIZnet's production packages may name their versions differently (or not at all); then
// this derives nothing and "on target" falls back to stable versions after the check-in.
pub fn expected_versions(images: &[ImageInfo]) -> TargetVersions {
    let mut target = TargetVersions::default();
    for image in images {
        if image
            .image_type
            .as_deref()
            .is_some_and(|t| t.contains("BoardConfig"))
        {
            continue;
        }
        let Some(name) = image.name.as_deref() else {
            continue;
        };
        let lower = name.to_ascii_lowercase();
        let app_part = lower.find("nodefw").map_or(&lower[..], |at| &lower[..at]);
        let Some(version) = last_version_token(app_part) else {
            continue;
        };
        let has = |part: &str| {
            lower.starts_with(&format!("{part}_"))
                || lower.starts_with(&format!("{part}-"))
                || lower.contains(&format!("_{part}_"))
                || lower.contains(&format!("-{part}-"))
        };
        if lower.contains("rtapp") || lower.contains("nodefw") || has("rt") {
            target.rt_app = Some(version);
        } else if lower.contains("hlapp") || has("hl") {
            target.hl_app = Some(version);
        } else {
            target.unplaced.push(version);
        }
    }
    target
}

/// The last `v<x.y.z>` token that starts `text` or follows `_`, `-` or a space.
fn last_version_token(text: &str) -> Option<FirmwareVersion> {
    let bytes = text.as_bytes();
    let mut found = None;
    for (i, &b) in bytes.iter().enumerate() {
        let starts_token = i == 0 || matches!(bytes[i - 1], b'_' | b'-' | b' ');
        if b == b'v' && starts_token {
            let rest = &text[i + 1..];
            let end = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(rest.len());
            if let Ok(v) = rest[..end].trim_end_matches('.').parse() {
                found = Some(v);
            }
        }
    }
    found
}

/// A prepared "update now" for one group: the group, its policy and the target versions.
#[derive(Debug, Clone)]
pub struct Rollout {
    fleet: Fleet,
    group: DeviceGroup,
    target: TargetVersions,
    settings: RolloutSettings,
}

impl Rollout {
    /// Reads the group, its current deployment and that deployment's image names.
    pub async fn prepare(
        fleet: Fleet,
        group: &DeviceGroupId,
        settings: RolloutSettings,
    ) -> Result<Rollout, CloudError> {
        let group = fleet.plane().device_group(group).await?;
        let deployment = match &group.current_deployment {
            Some(d) => Some(d.clone()),
            None => fleet.plane().current_deployment(&group.id).await?,
        };
        let mut images = Vec::new();
        for id in deployment.iter().flat_map(|d| d.images.iter()) {
            images.push(fleet.plane().image(id).await?);
        }
        Ok(Rollout {
            target: expected_versions(&images),
            fleet,
            group,
            settings,
        })
    }

    pub fn group(&self) -> &DeviceGroup {
        &self.group
    }

    /// What "on target" means for this group.
    pub fn target(&self) -> &TargetVersions {
        &self.target
    }

    /// Why the group's policy keeps its deployment from reaching devices, if it does.
    pub fn policy_block(&self) -> Option<String> {
        let policy = self.group.update_policy.as_ref()?;
        (!policy.takes_app_updates()).then(|| {
            format!(
                "the group {} has the update policy {policy:?}, which keeps application updates \
                 from its devices; set the group's policy to UpdateAll, then retry",
                self.group.name
            )
        })
    }

    /// Runs "update now" on `devices` (duplicates are ignored) and reports how each ended.
    /// Every status change goes to `progress` as it is read.
    pub async fn run(
        &self,
        devices: Vec<DeviceId>,
        cancel: &CancellationToken,
        progress: &(dyn Fn(RolloutEvent) + Send + Sync),
    ) -> RolloutReport {
        let mut seen = HashSet::new();
        let unique = devices.into_iter().filter(move |d| seen.insert(d.clone()));
        let mut results = futures_util::stream::iter(unique)
            .map(|device| self.one(device, cancel, progress))
            .buffer_unordered(self.settings.concurrency.max(1));
        let mut report = RolloutReport::default();
        while let Some((device, result)) = results.next().await {
            match result {
                Ended::OnTarget => report.succeeded.push(device),
                Ended::Cancelled => report.cancelled.push(device),
                Ended::Failed(f) => report.failed.push(DeviceFailure {
                    device_id: device,
                    kind: f.kind,
                    reason: f.reason,
                }),
            }
        }
        report
    }

    async fn one(
        &self,
        device: DeviceId,
        cancel: &CancellationToken,
        progress: &(dyn Fn(RolloutEvent) + Send + Sync),
    ) -> (DeviceId, Ended) {
        let emit = |stage, reason: Option<String>, kind, versions: Option<&Versions>| {
            progress(RolloutEvent {
                device_id: device.clone(),
                stage,
                at: OffsetDateTime::now_utc(),
                reason,
                kind,
                hl_app_ver: versions.and_then(|v| v.hl.clone()),
                rt_app_ver: versions.and_then(|v| v.rt.clone()),
            })
        };
        if cancel.is_cancelled() {
            emit(
                Stage::Cancelled,
                Some("cancelled before this gateway was started".into()),
                None,
                None,
            );
            return (device, Ended::Cancelled);
        }
        emit(Stage::Requested, None, None, None);
        let watch = Watch {
            rollout: self,
            device: &device,
            progress,
        };
        let ended = tokio::select! {
            result = watch.drive() => match result {
                Ok(()) => Ended::OnTarget,
                Err(failure) => Ended::Failed(failure),
            },
            _ = cancel.cancelled() => Ended::Cancelled,
        };
        match &ended {
            Ended::Failed(f) => emit(Stage::Failed, Some(f.reason.clone()), Some(f.kind), None),
            Ended::Cancelled => emit(
                Stage::Cancelled,
                Some(
                    "cancelled while this gateway was being worked on; a move or restart already \
                     sent still takes effect"
                        .into(),
                ),
                None,
                None,
            ),
            Ended::OnTarget => {}
        }
        (device, ended)
    }
}

/// How one gateway's work ended.
enum Ended {
    OnTarget,
    Failed(Failure),
    Cancelled,
}

/// A failure with its stable code and plain words.
#[derive(Debug)]
struct Failure {
    kind: &'static str,
    reason: String,
}

impl Failure {
    fn new(kind: &'static str, reason: impl Into<String>) -> Failure {
        Failure {
            kind,
            reason: reason.into(),
        }
    }
}

/// The plain-words failure of a cloud error met while working on one gateway.
pub(crate) fn device_failure(err: &CloudError) -> (&'static str, String) {
    match err {
        CloudError::DeviceOffline { .. } => (
            "device_offline",
            "the gateway is not connected to IoT Hub; check its power and network, then retry"
                .to_owned(),
        ),
        CloudError::DeviceTimeout { .. } => (
            "device_timeout",
            "the gateway did not answer the command in time; it may be busy or rebooting, retry \
             in a minute"
                .to_owned(),
        ),
        other => (other.kind(), other.to_string()),
    }
}

impl From<&CloudError> for Failure {
    fn from(err: &CloudError) -> Failure {
        let (kind, reason) = device_failure(err);
        Failure::new(kind, reason)
    }
}

/// The two app versions a twin reports.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Versions {
    hl: Option<String>,
    rt: Option<String>,
}

/// The work on one gateway.
struct Watch<'a> {
    rollout: &'a Rollout,
    device: &'a DeviceId,
    progress: &'a (dyn Fn(RolloutEvent) + Send + Sync),
}

impl Watch<'_> {
    fn emit(&self, stage: Stage, at: OffsetDateTime, versions: Option<&Versions>) {
        (self.progress)(RolloutEvent {
            device_id: self.device.clone(),
            stage,
            at,
            reason: None,
            kind: None,
            hl_app_ver: versions.and_then(|v| v.hl.clone()),
            rt_app_ver: versions.and_then(|v| v.rt.clone()),
        });
    }

    fn journal(&self, action: Action, result: Outcome, detail: &str) {
        let group = &self.rollout.group;
        self.rollout.fleet.record(
            action,
            Target {
                group_id: Some(group.id.to_string()),
                group_name: Some(group.name.clone()),
                device_id: Some(self.device.to_string()),
                ..Target::default()
            },
            result,
            detail,
        );
    }

    /// Reads the twin: connection and versions, with the time read.
    async fn twin(&self) -> Result<(ConnectionState, Versions, OffsetDateTime), CloudError> {
        let twin = self.rollout.fleet.iothub().twin(self.device).await?;
        let contract = self.rollout.fleet.contract();
        let versions = Versions {
            hl: reported_text(&twin, &contract.hl_app_version_property),
            rt: reported_text(&twin, &contract.rt_app_version_property),
        };
        Ok((
            ConnectionState::of(Some(&twin)),
            versions,
            OffsetDateTime::now_utc(),
        ))
    }

    async fn drive(&self) -> Result<(), Failure> {
        let rollout = self.rollout;
        let fleet = &rollout.fleet;
        let group = &rollout.group;
        if let Some(reason) = rollout.policy_block() {
            return Err(Failure::new("policy_blocks_updates", reason));
        }

        // The twin first: an offline gateway fails here, before it is moved.
        let (connection, _, _) = self.twin().await.map_err(|e| match e {
            CloudError::NotFound { .. } => Failure::new(
                "not_found",
                "IoT Hub has no device with this id; check that the gateway is provisioned to the \
                 profile's IoT Hub",
            ),
            other => Failure::from(&other),
        })?;
        if connection == ConnectionState::Disconnected {
            return Err(Failure::from(&CloudError::DeviceOffline {
                device: self.device.to_string(),
            }));
        }

        let record = fleet
            .plane()
            .device(self.device, &group.id)
            .await
            .map_err(|e| Failure::from(&e))?;
        let elsewhere = !record
            .group
            .as_ref()
            .is_some_and(|g| g.as_str().eq_ignore_ascii_case(group.id.as_str()));
        if elsewhere {
            match fleet.plane().move_device(self.device, &group.id).await {
                Ok(()) => {
                    self.journal(Action::Move, Outcome::Ok, "moved for an update now");
                    self.emit(Stage::Moved, OffsetDateTime::now_utc(), None);
                }
                Err(e) => {
                    self.journal(Action::Move, Outcome::Failed, &e.to_string());
                    let (kind, reason) = device_failure(&e);
                    return Err(Failure::new(
                        kind,
                        format!("the gateway could not be moved into the group: {reason}"),
                    ));
                }
            }
        }

        let baseline = record.last_update_request;
        let requested_at = OffsetDateTime::now_utc();
        self.restart().await?;
        self.emit(Stage::Restarting, OffsetDateTime::now_utc(), None);
        self.watch(baseline, requested_at).await
    }

    async fn restart(&self) -> Result<(), Failure> {
        let fleet = &self.rollout.fleet;
        let method = &fleet.contract().restart_method;
        let payload =
            serde_json::json!({ "delaySeconds": self.rollout.settings.restart_delay_seconds });
        let answer = fleet
            .iothub()
            .invoke_method(
                self.device,
                method,
                &payload,
                self.rollout.settings.method_timeouts,
            )
            .await;
        match answer {
            Ok(a) if (200..300).contains(&a.status) => {
                self.journal(
                    Action::Restart,
                    Outcome::Ok,
                    &format!("{method} answered {}", a.status),
                );
                Ok(())
            }
            Ok(a) => {
                let reason = format!(
                    "the gateway rejected the restart ({method} answered {}); check that its \
                     firmware implements this method, or set the profile's restart method",
                    a.status
                );
                self.journal(Action::Restart, Outcome::Failed, &reason);
                Err(Failure::new("restart_rejected", reason))
            }
            Err(e) => {
                self.journal(Action::Restart, Outcome::Failed, &e.to_string());
                Err(Failure::from(&e))
            }
        }
    }

    /// Polls the device record and the twin until the gateway is on target or the deadline
    /// passes.
    async fn watch(
        &self,
        baseline: Option<OffsetDateTime>,
        requested_at: OffsetDateTime,
    ) -> Result<(), Failure> {
        let settings = &self.rollout.settings;
        let target = &self.rollout.target;
        let fleet = &self.rollout.fleet;
        let started = tokio::time::Instant::now();
        let mut checked_in = false;
        let mut previous: Option<Versions> = None;
        let mut last_seen: Option<Versions> = None;
        loop {
            tokio::time::sleep(settings.poll_interval).await;
            if started.elapsed() > settings.deadline {
                let reason = match (&last_seen, checked_in) {
                    (_, false) => format!(
                        "the gateway did not check in within {}s of the restart; it may still be \
                         rebooting or offline: look at it in a few minutes and retry",
                        settings.deadline.as_secs()
                    ),
                    (Some(v), true) => format!(
                        "the gateway checked in but reports HLApp {} and RTApp {} instead of {} \
                         within {}s; the update may still be installing, retry later",
                        v.hl.as_deref().unwrap_or("-"),
                        v.rt.as_deref().unwrap_or("-"),
                        target.describe(),
                        settings.deadline.as_secs()
                    ),
                    (None, true) => "the gateway checked in but its twin could not be read".into(),
                };
                return Err(Failure::new("timed_out", reason));
            }
            if !checked_in {
                let record = match fleet
                    .plane()
                    .device(self.device, &self.rollout.group.id)
                    .await
                {
                    Ok(r) => r,
                    Err(e) if e.is_transient() => continue,
                    Err(e) => return Err(Failure::from(&e)),
                };
                if !checked_in_after(record.last_update_request, baseline, requested_at) {
                    continue;
                }
                checked_in = true;
                self.emit(Stage::CheckedIn, OffsetDateTime::now_utc(), None);
            }
            let (connection, versions, at) = match self.twin().await {
                Ok(t) => t,
                Err(e) if e.is_transient() => continue,
                Err(e) => return Err(Failure::from(&e)),
            };
            last_seen = Some(versions.clone());
            if connection != ConnectionState::Connected {
                previous = None;
                continue;
            }
            let on_target = if target.is_known() {
                target.met_by(versions.hl.as_deref(), versions.rt.as_deref())
            } else {
                previous.as_ref() == Some(&versions)
            };
            if on_target {
                self.emit(Stage::OnTarget, at, Some(&versions));
                return Ok(());
            }
            previous = Some(versions);
        }
    }
}

/// Whether a device's last update check-in shows a check-in after the request: later than the
/// value read before the restart, and not before the request time (less the clock skew).
pub fn checked_in_after(
    last: Option<OffsetDateTime>,
    baseline: Option<OffsetDateTime>,
    requested_at: OffsetDateTime,
) -> bool {
    let Some(last) = last else {
        return false;
    };
    baseline.is_none_or(|b| last > b) && last >= requested_at - CLOCK_SKEW
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::model::{ImageId, ImageState};

    fn image(name: &str, image_type: &str) -> ImageInfo {
        ImageInfo {
            id: ImageId::new(name),
            component_id: None,
            name: Some(name.to_owned()),
            description: None,
            image_type: Some(image_type.to_owned()),
            state: ImageState::Ready,
        }
    }

    fn v(text: &str) -> Option<FirmwareVersion> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn versions_are_derived_from_image_names() {
        // (images as (name, type), HLApp, RTApp, versions of unplaced apps)
        type Case<'a> = (
            &'a [(&'a str, &'a str)],
            Option<&'a str>,
            Option<&'a str>,
            &'a [&'a str],
        );
        let cases: &[Case] = &[
            (
                &[
                    ("ASG210_HLApp_v1.2.3", "Applications"),
                    ("ASG210_RTApp_v1.1.0_nodefw1.0.4", "Applications"),
                    ("ASG210_Board_v9.9.9", "CustomerBoardConfig"),
                ],
                Some("1.2.3"),
                Some("1.1.0"),
                &[],
            ),
            (
                &[("hl_blink_v2.0.10", "Applications")],
                Some("2.0.10"),
                None,
                &[],
            ),
            (
                &[("rt-gps-v0.1.2", "Applications")],
                None,
                Some("0.1.2"),
                &[],
            ),
            (
                &[("app_v1.0.0_v1.1.0", "Applications")],
                None,
                None,
                &["1.1.0"],
            ),
            // No token, a `v` inside a word, a token without three numbers: nothing derived.
            (&[("AzureSphereBlinkTest", "Applications")], None, None, &[]),
            (
                &[("ASG210_HLApp_dev1.2.3", "Applications")],
                None,
                None,
                &[],
            ),
            (&[("ASG210_HLApp_v1.2", "Applications")], None, None, &[]),
        ];
        for (images, hl, rt, unplaced) in cases {
            let infos: Vec<ImageInfo> = images.iter().map(|(n, t)| image(n, t)).collect();
            let target = expected_versions(&infos);
            assert_eq!(target.hl_app, hl.and_then(v), "{images:?}");
            assert_eq!(target.rt_app, rt.and_then(v), "{images:?}");
            let want: Vec<FirmwareVersion> = unplaced.iter().filter_map(|u| v(u)).collect();
            assert_eq!(target.unplaced, want, "{images:?}");
        }
    }

    #[test]
    fn targets_compare_numerically() {
        let target = TargetVersions {
            hl_app: v("1.0.10"),
            rt_app: None,
            unplaced: vec![],
        };
        assert!(target.met_by(Some("1.0.10"), Some("anything")));
        assert!(!target.met_by(Some("1.0.9"), None));
        assert!(!target.met_by(Some("1.0.10dev"), None));
        assert!(!target.met_by(None, None));
        let either = TargetVersions {
            unplaced: v("2.0.0").into_iter().collect(),
            ..TargetVersions::default()
        };
        assert!(either.met_by(Some("1.0.0"), Some("2.0.0")));
        assert!(!either.met_by(Some("1.0.0"), Some("1.0.0")));
        assert!(!TargetVersions::default().is_known());
    }

    #[test]
    fn a_check_in_counts_only_after_the_request() {
        let t = |s: i64| OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(1_800_000_000 + s);
        let requested = t(0);
        let cases = [
            (None, Some(t(-100)), false),
            (Some(t(-100)), Some(t(-100)), false),
            (Some(t(5)), Some(t(-100)), true),
            (Some(t(5)), None, true),
            // Earlier than the request by more than the skew: an old check-in.
            (Some(t(-3600)), Some(t(-7200)), false),
            // Slightly earlier than our clock, but newer than the baseline: the service's clock lags.
            (Some(t(-10)), Some(t(-7200)), true),
        ];
        for (last, baseline, want) in cases {
            assert_eq!(
                checked_in_after(last, baseline, requested),
                want,
                "{last:?} {baseline:?}"
            );
        }
    }
}
