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
//! slot. Failed devices are retried by running again with [`RolloutReport::retry_ids`].
//!
//! # Runs that survive
//!
//! Every run is registered ([`super::runs`]): a gateway in a run in flight cannot be in a second
//! one. Before a move or a restart its *intent* is journaled and flushed; the outcome follows.
//! **Cancel** stops each gateway between two steps (before a move, before a restart, between two
//! reads), never inside a request; the report says per gateway what had been done
//! ([`GatewaySteps`]).
//!
//! A restart request that fails where it may still have reached the gateway (a network error,
//! a lost answer, a gateway too slow to answer) is **verified** before anything else: the
//! device's `LastUpdateRequestUTC` is polled until it shows a check-in after the intent (then the
//! restart was delivered and the gateway is watched) or until the restart delay plus
//! [`RolloutSettings::restart_settle`] has passed (then it was not, and it is sent once more).
//! A **resumed** run ([`Rollout::run_in`] with a [`Resume`]) treats a restart intent of the
//! interrupted attempt the same way — so a gateway that checked in after it is never restarted a
//! second time — skips gateways already seen on target, and moves only a gateway that is still
//! outside the group (a move that took effect is not repeated).
//!
//! # Phases and window
//!
//! With [`RunOptions::phases`] the gateways go in phases (a canary set, then batches,
//! [`super::schedule`]); after each phase the error threshold is checked (past it the run stops)
//! and the [`PhaseGate`] is asked whether to go on. With [`RunOptions::window`] a restart is sent
//! only while the window is open: a gateway reached after it closed is left `deferred`, untouched,
//! gateways already restarted are still watched, and the run stays resumable for the next window.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use super::fleet::{reported_text, ConnectionState, Fleet};
use serde_json::json;

use super::journal::{Action, Detail, JournalError, Outcome, RunMark, Said, Target};
use super::runs::{ActiveRun, RunError, RunHistory, RunKind, RunPlan, Runs, StageLine};
use super::schedule::{Clock, Phase, PhasePlan, Window};
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
    /// After a restart request that may or may not have reached the gateway (its answer was
    /// lost, or the run was interrupted), how long past the restart delay a check-in is waited
    /// for before the restart is taken as not delivered and sent again.
    pub restart_settle: Duration,
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
            // UNSURE: a reboot of an ASG210 with an update check takes a minute or two; three
            // minutes without a check-in means the gateway never got the request.
            restart_settle: Duration::from_secs(180),
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
    /// The maintenance window was closed before its restart: left for the next window.
    Deferred,
}

impl Stage {
    /// Whether nothing follows this stage.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Stage::OnTarget | Stage::Failed | Stage::Cancelled | Stage::Deferred
        )
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
    /// The rollout phase (`canary`, `batch 1`, ...) of a phased run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
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
    /// The registered run's id (resume it with this id when it stopped early). Serialized as
    /// `run`: the app tags its events with its own `runId`.
    #[serde(rename = "run", skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    pub succeeded: Vec<DeviceId>,
    pub failed: Vec<DeviceFailure>,
    pub cancelled: Vec<DeviceId>,
    /// For each cancelled gateway: what had been done to it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cancelled_steps: Vec<GatewaySteps>,
    /// Gateways left untouched because the maintenance window closed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deferred: Vec<DeviceId>,
    /// Gateways of phases that did not start (threshold reached, or not continued).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_started: Vec<DeviceId>,
    /// Why the run stopped early and stays resumable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// `stopped` as data: `runs.stop.<key>` of the front ends' catalogs with its values
    /// (`threshold` {phase, failed, done, limit}, `not_continued` {phase}, `window_closed`
    /// {window, count}); `phase` is the core's phase name (`canary`, `batch 2`), `limit` a
    /// [`FailureLimit`](super::schedule::FailureLimit) as typed (`3`, `10%`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_said: Option<Said>,
}

impl RolloutReport {
    /// Whether every gateway reached "on target".
    pub fn all_on_target(&self) -> bool {
        self.failed.is_empty()
            && self.cancelled.is_empty()
            && self.deferred.is_empty()
            && self.not_started.is_empty()
    }

    /// The gateways to run again: the failed, cancelled, deferred and not started ones.
    pub fn retry_ids(&self) -> Vec<DeviceId> {
        self.failed
            .iter()
            .map(|f| f.device_id.clone())
            .chain(self.cancelled.iter().cloned())
            .chain(self.deferred.iter().cloned())
            .chain(self.not_started.iter().cloned())
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
        self.describe_with(
            |v| format!("an app at {v}"),
            || "stable versions after the check-in".to_owned(),
        )
    }

    /// The expectation in words, with the two phrases that are not a product name and a version
    /// said by the caller: an unplaced version, and no version known (the CLI says them in the
    /// user's language; [`describe`](Self::describe) in English).
    pub fn describe_with(
        &self,
        unplaced: impl Fn(&FirmwareVersion) -> String,
        stable: impl FnOnce() -> String,
    ) -> String {
        let mut parts = Vec::new();
        if let Some(v) = &self.hl_app {
            parts.push(format!("HLApp {v}"));
        }
        if let Some(v) = &self.rt_app {
            parts.push(format!("RTApp {v}"));
        }
        parts.extend(self.unplaced.iter().map(unplaced));
        if parts.is_empty() {
            stable()
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

    /// The plan of a run of this rollout over `devices`, as [`super::runs`] keeps it.
    pub fn plan(&self, devices: &[DeviceId], options: &RunOptions) -> RunPlan {
        let mut plan = RunPlan::new(RunKind::UpdateNow, self.fleet.profile());
        plan.group_id = Some(self.group.id.to_string());
        plan.group_name = Some(self.group.name.clone());
        plan.devices = unique(devices.to_vec())
            .iter()
            .map(|d| d.to_string())
            .collect();
        plan.options = serde_json::to_value(options.saved()).unwrap_or_default();
        plan
    }

    /// Registers a run over `devices`: refused when one of them is in a run in flight (in this
    /// process or in another one).
    pub fn begin(&self, devices: &[DeviceId], options: &RunOptions) -> Result<ActiveRun, RunError> {
        let plan = self.plan(devices, options);
        self.fleet.runs().begin(plan)
    }

    /// Runs "update now" on `devices` (duplicates are ignored) and reports how each ended, as one
    /// registered run without phases or window. A gateway already in a run in flight makes every
    /// gateway fail with `run_in_flight`, nothing touched. Every status change goes to
    /// `progress` as it is read.
    pub async fn run(
        &self,
        devices: Vec<DeviceId>,
        cancel: &CancellationToken,
        progress: &(dyn Fn(RolloutEvent) + Send + Sync),
    ) -> RolloutReport {
        let options = RunOptions::default();
        match self.begin(&devices, &options) {
            Ok(run) => {
                self.run_in(
                    run,
                    devices,
                    None,
                    &options,
                    &continue_always,
                    cancel,
                    progress,
                )
                .await
            }
            Err(error) => refused(devices, &error, progress),
        }
    }

    /// Works a registered run: phase by phase (one phase without [`RunOptions::phases`]), the
    /// threshold checked and `gate` asked between phases, restarts sent only while the window is
    /// open. With `resume`, what the journal recorded of an earlier attempt decides what is
    /// repeated (see the module doc). Ends the run (or leaves it paused and resumable when the
    /// window closed or a phase was not continued).
    #[allow(clippy::too_many_arguments)]
    pub async fn run_in(
        &self,
        run: ActiveRun,
        devices: Vec<DeviceId>,
        resume: Option<Resume>,
        options: &RunOptions,
        gate: PhaseGate<'_>,
        cancel: &CancellationToken,
        progress: &(dyn Fn(RolloutEvent) + Send + Sync),
    ) -> RolloutReport {
        let devices = unique(devices);
        let recorded = |event: RolloutEvent| {
            run.record_stage(&StageLine {
                device_id: event.device_id.to_string(),
                mac: None,
                stage: stage_name(event.stage).to_owned(),
                phase: event.phase.clone(),
                at: event.at,
            });
            progress(event)
        };
        let phases: Vec<Phase> = match &options.phases {
            Some(plan) => plan.split(devices.len()),
            None => vec![Phase {
                name: String::new(),
                range: 0..devices.len(),
            }],
        };
        let mut report = RolloutReport {
            run_id: Some(run.id().to_owned()),
            ..RolloutReport::default()
        };
        let mut stopped_at = None;
        for (i, phase) in phases.iter().enumerate() {
            let name = (!phase.name.is_empty()).then(|| phase.name.clone());
            if i > 0 {
                let done = phases[..i].iter().map(|p| p.range.len()).sum::<usize>();
                let failed = report.failed.len();
                let summary = PhaseSummary {
                    finished: phases[i - 1].name.clone(),
                    next: phase.name.clone(),
                    next_size: phase.range.len(),
                    succeeded: report.succeeded.len(),
                    failed,
                    remaining: devices.len() - done,
                    threshold_exceeded: options
                        .phases
                        .as_ref()
                        .is_some_and(|p| p.max_failed.exceeded(failed, done)),
                };
                if summary.threshold_exceeded {
                    let limit = options.phases.as_ref().map(|p| &p.max_failed);
                    report.stopped = Some(format!(
                        "the rollout stopped after the {} phase: {failed} of {done} gateways \
                         failed ({}); look at the failures, then resume the run to go on",
                        summary.finished,
                        limit.map(|l| l.describe()).unwrap_or_default()
                    ));
                    report.stopped_said = Some(Said::new(
                        "threshold",
                        serde_json::json!({
                            "phase": summary.finished,
                            "failed": failed,
                            "done": done,
                            "limit": limit.map(|l| l.spec()).unwrap_or_default(),
                        }),
                    ));
                } else if !cancel.is_cancelled() && !gate(summary).await {
                    report.stopped = Some(format!(
                        "the rollout was stopped after the {} phase; resume the run to go on",
                        phases[i - 1].name
                    ));
                    report.stopped_said = Some(Said::new(
                        "not_continued",
                        serde_json::json!({ "phase": phases[i - 1].name }),
                    ));
                }
                if report.stopped.is_some() {
                    stopped_at = Some(phase.range.start);
                    break;
                }
            }
            let work = Work {
                rollout: self,
                run_id: run.id(),
                resume: resume.as_ref(),
                options,
                cancel,
                phase: name,
                progress: &recorded,
            };
            let mut results = futures_util::stream::iter(devices[phase.range.clone()].to_vec())
                .map(|device| work.one(device))
                .buffer_unordered(self.settings.concurrency.max(1));
            while let Some((device, result)) = results.next().await {
                match result {
                    Ended::OnTarget => report.succeeded.push(device),
                    Ended::Cancelled(steps) => {
                        report.cancelled_steps.push(steps);
                        report.cancelled.push(device);
                    }
                    Ended::Deferred => report.deferred.push(device),
                    Ended::Failed(f) => report.failed.push(DeviceFailure {
                        device_id: device,
                        kind: f.kind,
                        reason: f.reason,
                    }),
                }
            }
        }
        if let Some(start) = stopped_at {
            report.not_started = devices[start..].to_vec();
        }
        if !report.deferred.is_empty() {
            let window = options.window.map(|w| w.describe()).unwrap_or_default();
            if report.stopped.is_none() {
                report.stopped = Some(format!(
                    "the maintenance window {window} closed: {} gateway(s) were not restarted; \
                     resume the run in the next window",
                    report.deferred.len()
                ));
                report.stopped_said = Some(Said::new(
                    "window_closed",
                    serde_json::json!({ "window": window, "count": report.deferred.len() }),
                ));
            }
        }
        match &report.stopped {
            Some(reason) => run.pause(reason, report.stopped_said.as_ref()),
            None => run.end(&report),
        }
        report
    }
}

/// Every gateway failed with `run_in_flight`: the run was refused before anything was touched.
fn refused(
    devices: Vec<DeviceId>,
    error: &RunError,
    progress: &(dyn Fn(RolloutEvent) + Send + Sync),
) -> RolloutReport {
    let mut report = RolloutReport::default();
    for device in unique(devices) {
        progress(RolloutEvent {
            device_id: device.clone(),
            stage: Stage::Failed,
            at: OffsetDateTime::now_utc(),
            reason: Some(error.to_string()),
            kind: Some(error.kind()),
            hl_app_ver: None,
            rt_app_ver: None,
            phase: None,
        });
        report.failed.push(DeviceFailure {
            device_id: device,
            kind: error.kind(),
            reason: error.to_string(),
        });
    }
    report
}

/// The ids in order, each once.
fn unique(devices: Vec<DeviceId>) -> Vec<DeviceId> {
    let mut seen = HashSet::new();
    devices
        .into_iter()
        .filter(|d| seen.insert(d.as_str().to_ascii_lowercase()))
        .collect()
}

/// The GUI contract's name of a stage.
pub fn stage_name(stage: Stage) -> &'static str {
    match stage {
        Stage::Requested => "requested",
        Stage::Moved => "moved",
        Stage::Restarting => "restarting",
        Stage::CheckedIn => "checked_in",
        Stage::OnTarget => "on_target",
        Stage::Failed => "failed",
        Stage::Cancelled => "cancelled",
        Stage::Deferred => "deferred",
    }
}

/// What a phase gate is told between two phases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhaseSummary {
    /// The phase that just ended.
    pub finished: String,
    /// The phase that would start.
    pub next: String,
    pub next_size: usize,
    /// So far, over the whole run.
    pub succeeded: usize,
    pub failed: usize,
    /// Gateways not yet worked on.
    pub remaining: usize,
    /// Whether the error threshold is past (then the rollout stops whatever the gate says).
    pub threshold_exceeded: bool,
}

/// Asked between two phases whether to go on.
pub type PhaseGate<'a> = &'a (dyn Fn(PhaseSummary) -> BoxFuture<'static, bool> + Send + Sync);

/// A gate that always goes on (runs without phases; pipelines with `--yes`).
pub fn continue_always(_: PhaseSummary) -> BoxFuture<'static, bool> {
    Box::pin(async { true })
}

/// Waits until `window` opens (at once when it is open), or until `cancel`: a run started
/// outside its window sends nothing before it.
pub async fn until_open(window: &Window, clock: &Clock, cancel: &CancellationToken) {
    let now = clock.now();
    if window.contains(now) {
        return;
    }
    let wait = (window.opens_at(now) - now).unsigned_abs();
    tokio::select! {
        () = tokio::time::sleep(wait) => {}
        () = cancel.cancelled() => {}
    }
}

/// A run's phases, window and time source.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub phases: Option<PhasePlan>,
    pub window: Option<Window>,
    /// Where the window is read against (the system clock unless a test sets one).
    pub clock: Clock,
}

/// The part of [`RunOptions`] kept in the run's plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phases: Option<PhasePlan>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
}

impl RunOptions {
    fn saved(&self) -> SavedOptions {
        SavedOptions {
            phases: self.phases.clone(),
            window: self.window,
        }
    }

    /// The options a run was started with, read back from its plan (system clock).
    pub fn from_plan(plan: &RunPlan) -> RunOptions {
        let saved: Option<SavedOptions> = serde_json::from_value(plan.options.clone()).ok();
        RunOptions {
            phases: saved.as_ref().and_then(|s| s.phases.clone()),
            window: saved.and_then(|s| s.window),
            clock: Clock::system(),
        }
    }
}

/// What a resumed run knows from its first attempt: the journal's intents and outcomes, and the
/// gateways already seen on target.
#[derive(Debug, Clone, Default)]
pub struct Resume {
    pub history: RunHistory,
    /// Lower-case ids of gateways whose last stage was `on_target`.
    pub on_target: HashSet<String>,
}

impl Resume {
    /// Reads what `runs` holds about `plan`'s run.
    pub fn read(runs: &Runs, plan: &RunPlan) -> Result<Resume, RunError> {
        let mut last: std::collections::HashMap<String, String> = Default::default();
        for line in runs.stages(&plan.id)? {
            last.insert(line.device_id.to_ascii_lowercase(), line.stage);
        }
        Ok(Resume {
            history: runs.history(plan)?,
            on_target: last
                .into_iter()
                .filter(|(_, s)| s == "on_target")
                .map(|(d, _)| d)
                .collect(),
        })
    }
}

/// An interrupted or paused "update now" run taken up again: its lock, its group and gateways in
/// their order, what its first attempt did, and the phases and window it was started with.
#[derive(Debug)]
pub struct ResumedRun {
    pub run: ActiveRun,
    pub group_id: DeviceGroupId,
    pub devices: Vec<DeviceId>,
    pub resume: Resume,
    pub options: RunOptions,
}

impl ResumedRun {
    /// Takes over the run `id` of `profile` from `runs` (refused when it is another kind of run,
    /// another profile's, finished, or in flight).
    pub fn take(runs: &Runs, profile: &str, id: &str) -> Result<ResumedRun, RunError> {
        let (run, plan) = runs.resume_as(id, RunKind::UpdateNow, profile)?;
        let damaged = |what: &'static str| RunError::DamagedPlan {
            id: id.to_owned(),
            what,
        };
        let group = plan.group_id.clone().ok_or_else(|| damaged("no group"))?;
        let devices = plan
            .devices
            .iter()
            .map(|d| DeviceId::parse(d))
            .collect::<Result<_, _>>()
            .map_err(|_| damaged("a damaged device id"))?;
        Ok(ResumedRun {
            resume: Resume::read(runs, &plan)?,
            options: RunOptions::from_plan(&plan),
            group_id: DeviceGroupId::new(group),
            devices,
            run,
        })
    }
}

/// What was done to a gateway when its work stopped early.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewaySteps {
    pub device_id: String,
    pub moved: bool,
    pub restart_sent: bool,
    pub checked_in: bool,
}

/// One step of a gateway's update, done or the first one not seen ([`GatewaySteps::steps`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Moved,
    RestartSent,
    CheckedIn,
    NoRestart,
    NotCheckedIn,
    NotOnTarget,
}

impl GatewaySteps {
    /// The steps in words: "moved, restart sent, not yet checked in".
    pub fn describe(&self) -> String {
        let (done, not) = self.steps();
        let word = |step| match step {
            Step::Moved => "it was moved into the group",
            Step::RestartSent => "its restart was sent",
            Step::CheckedIn => "it checked in",
            Step::NoRestart => "no restart was sent",
            Step::NotCheckedIn => "it was not yet seen checking in",
            Step::NotOnTarget => "it was not yet seen on target",
        };
        let not = word(not);
        if done.is_empty() {
            format!("nothing was changed ({not})")
        } else {
            let done: Vec<&str> = done.into_iter().map(word).collect();
            format!("{}; {not}", done.join(", "))
        }
    }

    /// What was done, in order, and the first step not seen, as data: what
    /// [`describe`](Self::describe) says in English and the CLI in the user's language.
    pub fn steps(&self) -> (Vec<Step>, Step) {
        let done = [
            (self.moved, Step::Moved),
            (self.restart_sent, Step::RestartSent),
            (self.checked_in, Step::CheckedIn),
        ]
        .into_iter()
        .filter_map(|(happened, step)| happened.then_some(step))
        .collect();
        let not = if !self.restart_sent {
            Step::NoRestart
        } else if !self.checked_in {
            Step::NotCheckedIn
        } else {
            Step::NotOnTarget
        };
        (done, not)
    }
}

/// How one gateway's work ended.
enum Ended {
    OnTarget,
    Failed(Failure),
    Cancelled(GatewaySteps),
    /// The window was closed before its restart: nothing more was done.
    Deferred,
}

/// Why [`Watch::drive`] stopped before "on target".
enum Stop {
    Failed(Failure),
    Cancelled,
    Deferred,
}

impl From<Failure> for Stop {
    fn from(f: Failure) -> Stop {
        Stop::Failed(f)
    }
}

/// One phase's shared context.
struct Work<'a> {
    rollout: &'a Rollout,
    run_id: &'a str,
    resume: Option<&'a Resume>,
    options: &'a RunOptions,
    cancel: &'a CancellationToken,
    phase: Option<String>,
    progress: &'a (dyn Fn(RolloutEvent) + Send + Sync),
}

impl Work<'_> {
    fn run_id(&self) -> String {
        self.run_id.to_owned()
    }

    fn event(
        &self,
        device: &DeviceId,
        stage: Stage,
        reason: Option<String>,
        kind: Option<&'static str>,
    ) {
        (self.progress)(RolloutEvent {
            device_id: device.clone(),
            stage,
            at: OffsetDateTime::now_utc(),
            reason,
            kind,
            hl_app_ver: None,
            rt_app_ver: None,
            phase: self.phase.clone(),
        })
    }

    async fn one(&self, device: DeviceId) -> (DeviceId, Ended) {
        if self.cancel.is_cancelled() {
            self.event(
                &device,
                Stage::Cancelled,
                Some("cancelled before this gateway was started; nothing was changed".into()),
                None,
            );
            let steps = GatewaySteps {
                device_id: device.to_string(),
                ..GatewaySteps::default()
            };
            return (device, Ended::Cancelled(steps));
        }
        if self
            .resume
            .is_some_and(|r| r.on_target.contains(&device.as_str().to_ascii_lowercase()))
        {
            self.event(
                &device,
                Stage::OnTarget,
                Some("on target before the run was interrupted; not touched again".into()),
                None,
            );
            return (device, Ended::OnTarget);
        }
        self.event(&device, Stage::Requested, None, None);
        let watch = Watch {
            work: self,
            device: &device,
            steps: Mutex::new(GatewaySteps {
                device_id: device.to_string(),
                ..GatewaySteps::default()
            }),
            intent_at: Mutex::new(None),
        };
        let ended = match watch.drive().await {
            Ok(()) => Ended::OnTarget,
            Err(Stop::Failed(f)) => Ended::Failed(f),
            Err(Stop::Cancelled) => Ended::Cancelled(watch.steps()),
            Err(Stop::Deferred) => Ended::Deferred,
        };
        match &ended {
            Ended::Failed(f) => {
                self.event(&device, Stage::Failed, Some(f.reason.clone()), Some(f.kind))
            }
            Ended::Cancelled(steps) => self.event(
                &device,
                Stage::Cancelled,
                Some(format!("cancelled: {}", steps.describe())),
                None,
            ),
            Ended::Deferred => self.event(
                &device,
                Stage::Deferred,
                Some(
                    "the maintenance window is closed; not restarted, resume the run in the \
                     next window"
                        .into(),
                ),
                None,
            ),
            Ended::OnTarget => {}
        }
        (device, ended)
    }
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

/// Whether a failed request may still have reached the gateway (the answer was lost, or the
/// gateway took the method but did not answer in time): such a restart is verified, never
/// simply repeated.
fn may_have_arrived(err: &CloudError) -> bool {
    matches!(
        err,
        CloudError::Transport { .. }
            | CloudError::DeviceTimeout { .. }
            | CloudError::Service { .. }
    )
}

impl From<&CloudError> for Failure {
    fn from(err: &CloudError) -> Failure {
        let (kind, reason) = device_failure(err);
        Failure::new(kind, reason)
    }
}

/// The failure of a journal that cannot take an intent: nothing is sent without one.
fn journal_failure(err: &JournalError) -> Failure {
    Failure::new(
        "journal",
        format!("nothing was sent, because the journal could not record it first: {err}"),
    )
}

/// The two app versions a twin reports.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Versions {
    hl: Option<String>,
    rt: Option<String>,
}

/// The work on one gateway.
struct Watch<'a> {
    work: &'a Work<'a>,
    device: &'a DeviceId,
    steps: Mutex<GatewaySteps>,
    /// When the last restart intent was written (the watch counts check-ins after it).
    intent_at: Mutex<Option<OffsetDateTime>>,
}

impl Watch<'_> {
    fn rollout(&self) -> &Rollout {
        self.work.rollout
    }

    fn steps(&self) -> GatewaySteps {
        self.steps.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn step(&self, change: impl FnOnce(&mut GatewaySteps)) {
        if let Ok(mut steps) = self.steps.lock() {
            change(&mut steps);
        }
    }

    fn emit(&self, stage: Stage, at: OffsetDateTime, versions: Option<&Versions>) {
        (self.work.progress)(RolloutEvent {
            device_id: self.device.clone(),
            stage,
            at,
            reason: None,
            kind: None,
            hl_app_ver: versions.and_then(|v| v.hl.clone()),
            rt_app_ver: versions.and_then(|v| v.rt.clone()),
            phase: self.work.phase.clone(),
        });
    }

    fn target(&self) -> Target {
        let group = &self.rollout().group;
        Target {
            group_id: Some(group.id.to_string()),
            group_name: Some(group.name.clone()),
            device_id: Some(self.device.to_string()),
            ..Target::default()
        }
    }

    fn mark(&self, last_check_in: Option<OffsetDateTime>) -> RunMark {
        RunMark {
            id: self.work_run_id(),
            phase: self.work.phase.clone(),
            last_check_in,
        }
    }

    fn work_run_id(&self) -> String {
        self.work.run_id()
    }

    /// Writes the intent of `action` (flushed) before its request; failing it stops the gateway.
    fn intend(
        &self,
        action: Action,
        detail: impl Into<Detail>,
        last_check_in: Option<OffsetDateTime>,
    ) -> Result<(), Failure> {
        self.rollout()
            .fleet
            .record_in_run(
                action,
                self.target(),
                Outcome::Pending,
                detail,
                self.mark(last_check_in),
            )
            .map_err(|e| journal_failure(&e))
    }

    /// Writes the outcome of `action`; a journal that cannot be written is a warning here (the
    /// change has happened).
    fn journal(&self, action: Action, result: Outcome, detail: impl Into<Detail>) {
        if let Err(error) = self.rollout().fleet.record_in_run(
            action,
            self.target(),
            result,
            detail,
            self.mark(None),
        ) {
            tracing::warn!(%error, "journal entry not written");
        }
    }

    /// Stops here when the run was cancelled (between two steps, never inside a request).
    fn check_cancel(&self) -> Result<(), Stop> {
        if self.work.cancel.is_cancelled() {
            Err(Stop::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Stops here when the window is closed (no restart is sent outside it).
    fn check_window(&self) -> Result<(), Stop> {
        match &self.work.options.window {
            Some(w) if !w.contains(self.work.options.clock.now()) => Err(Stop::Deferred),
            _ => Ok(()),
        }
    }

    /// Waits one poll interval, or stops when the run is cancelled meanwhile.
    async fn pause(&self) -> Result<(), Stop> {
        tokio::select! {
            () = tokio::time::sleep(self.rollout().settings.poll_interval) => Ok(()),
            () = self.work.cancel.cancelled() => Err(Stop::Cancelled),
        }
    }

    /// Reads the twin: connection and versions, with the time read.
    async fn twin(&self) -> Result<(ConnectionState, Versions, OffsetDateTime), CloudError> {
        let twin = self.rollout().fleet.iothub().twin(self.device).await?;
        let contract = self.rollout().fleet.contract();
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

    async fn drive(&self) -> Result<(), Stop> {
        let rollout = self.rollout();
        let fleet = &rollout.fleet;
        let group = &rollout.group;
        if let Some(reason) = rollout.policy_block() {
            return Err(Failure::new("policy_blocks_updates", reason).into());
        }
        self.check_window()?;
        let earlier = self
            .work
            .resume
            .and_then(|r| r.history.step(Action::Restart, self.device.as_str(), None))
            .filter(|s| s.intent_at.is_some())
            .cloned();

        // The twin first: an offline gateway fails here, before it is moved. A gateway whose
        // restart was sent by the interrupted attempt may be rebooting: it is checked below.
        let (connection, _, _) = self.twin().await.map_err(|e| match e {
            CloudError::NotFound { .. } => Failure::new(
                "not_found",
                "IoT Hub has no device with this id; check that the gateway is provisioned to the \
                 profile's IoT Hub",
            ),
            other => Failure::from(&other),
        })?;
        if connection == ConnectionState::Disconnected && earlier.is_none() {
            return Err(Failure::from(&CloudError::DeviceOffline {
                device: self.device.to_string(),
            })
            .into());
        }

        let record = fleet
            .plane()
            .device(self.device, &group.id)
            .await
            .map_err(|e| Failure::from(&e))?;

        if let Some(step) = &earlier {
            // A restart of the interrupted attempt: it may have been delivered, its answer lost.
            // A check-in after its intent proves it was; then the gateway is only watched.
            let intent_at = step.intent_at.unwrap_or(rollout_epoch());
            let unknown = step.outcome != Some(Outcome::Failed);
            if unknown {
                self.step(|s| s.restart_sent = true);
                self.emit(Stage::Restarting, OffsetDateTime::now_utc(), None);
                if self.verify(step.last_check_in, intent_at).await? {
                    return self.watch(step.last_check_in, intent_at).await;
                }
                self.step(|s| s.restart_sent = false);
            }
        }

        let elsewhere = !record
            .group
            .as_ref()
            .is_some_and(|g| g.as_str().eq_ignore_ascii_case(group.id.as_str()));
        if elsewhere {
            self.check_cancel()?;
            self.intend(
                Action::Move,
                Detail::said("moving_for_update", json!({}), "moving for an update now"),
                None,
            )?;
            match fleet.plane().move_device(self.device, &group.id).await {
                Ok(()) => {
                    self.journal(
                        Action::Move,
                        Outcome::Ok,
                        Detail::said("moved_for_update", json!({}), "moved for an update now"),
                    );
                    self.step(|s| s.moved = true);
                    self.emit(Stage::Moved, OffsetDateTime::now_utc(), None);
                }
                Err(e) => {
                    self.journal(
                        Action::Move,
                        Outcome::Failed,
                        Detail::error(e.kind(), e.to_string()),
                    );
                    let (kind, reason) = device_failure(&e);
                    return Err(Failure::new(
                        kind,
                        format!("the gateway could not be moved into the group: {reason}"),
                    )
                    .into());
                }
            }
        }

        let baseline = record.last_update_request;
        self.restart(baseline).await?;
        self.emit(Stage::Restarting, OffsetDateTime::now_utc(), None);
        let requested_at = self
            .restart_intent_at()
            .unwrap_or_else(OffsetDateTime::now_utc);
        self.watch(baseline, requested_at).await
    }

    fn restart_intent_at(&self) -> Option<OffsetDateTime> {
        self.intent_at.lock().ok().and_then(|t| *t)
    }

    /// Sends the restart (its intent first). A request that failed where it may still have
    /// reached the gateway is verified (a check-in after the intent) before it is sent once more.
    async fn restart(&self, baseline: Option<OffsetDateTime>) -> Result<(), Stop> {
        for attempt in 0..2 {
            self.check_cancel()?;
            self.check_window()?;
            let intent_at = OffsetDateTime::now_utc();
            if let Ok(mut t) = self.intent_at.lock() {
                *t = Some(intent_at);
            }
            self.intend(
                Action::Restart,
                Detail::said(
                    "restarting_for_update",
                    json!({}),
                    "restarting for an update now",
                ),
                baseline,
            )?;
            match self.send_restart().await {
                Ok(()) => {
                    self.step(|s| s.restart_sent = true);
                    return Ok(());
                }
                Err(SendError::Refused(f)) => return Err(f.into()),
                Err(SendError::Unknown(e)) => {
                    self.step(|s| s.restart_sent = true);
                    if self.verify(baseline, intent_at).await? {
                        self.journal(
                            Action::Restart,
                            Outcome::Ok,
                            Detail::said(
                                "restart_delivered",
                                json!({}),
                                format!(
                                    "the restart request failed ({e}), but the gateway checked \
                                     in after it: it was delivered"
                                ),
                            ),
                        );
                        return Ok(());
                    }
                    self.step(|s| s.restart_sent = false);
                    self.journal(
                        Action::Restart,
                        Outcome::Failed,
                        Detail::said(
                            "restart_not_delivered",
                            json!({"kind": e.kind()}),
                            format!("the restart request failed ({e}) and the gateway did not check in: it was not delivered"),
                        ),
                    );
                    if attempt == 1 {
                        return Err(Failure::from(&e).into());
                    }
                }
            }
        }
        unreachable!("the loop returns on its second attempt")
    }

    /// Calls the restart method and journals a definite outcome.
    async fn send_restart(&self) -> Result<(), SendError> {
        let fleet = &self.rollout().fleet;
        let method = &fleet.contract().restart_method;
        let payload =
            serde_json::json!({ "delaySeconds": self.rollout().settings.restart_delay_seconds });
        let answer = fleet
            .iothub()
            .invoke_method(
                self.device,
                method,
                &payload,
                self.rollout().settings.method_timeouts,
            )
            .await;
        match answer {
            Ok(a) if (200..300).contains(&a.status) => {
                self.journal(
                    Action::Restart,
                    Outcome::Ok,
                    Detail::said(
                        "method_answered",
                        json!({"method": method, "status": a.status}),
                        format!("{method} answered {}", a.status),
                    ),
                );
                Ok(())
            }
            Ok(a) => {
                let reason = format!(
                    "the gateway rejected the restart ({method} answered {}); check that its \
                     firmware implements this method, or set the profile's restart method",
                    a.status
                );
                self.journal(
                    Action::Restart,
                    Outcome::Failed,
                    Detail::error("restart_rejected", reason.clone()),
                );
                Err(SendError::Refused(Failure::new("restart_rejected", reason)))
            }
            Err(e) if may_have_arrived(&e) => Err(SendError::Unknown(e)),
            Err(e) => {
                self.journal(
                    Action::Restart,
                    Outcome::Failed,
                    Detail::error(e.kind(), e.to_string()),
                );
                Err(SendError::Refused(Failure::from(&e)))
            }
        }
    }

    /// Whether the gateway checks in after a restart whose request may or may not have reached
    /// it: polls its check-in until one after `intent_at` shows, or until the restart delay plus
    /// [`RolloutSettings::restart_settle`] has passed since the intent (then it was not
    /// delivered).
    async fn verify(
        &self,
        baseline: Option<OffsetDateTime>,
        intent_at: OffsetDateTime,
    ) -> Result<bool, Stop> {
        let settings = &self.rollout().settings;
        let give_up = intent_at
            + Duration::from_secs(settings.restart_delay_seconds.into())
            + settings.restart_settle;
        loop {
            match self
                .rollout()
                .fleet
                .plane()
                .device(self.device, &self.rollout().group.id)
                .await
            {
                Ok(r) if checked_in_after(r.last_update_request, baseline, intent_at) => {
                    return Ok(true)
                }
                Ok(_) => {}
                Err(e) if e.is_transient() => {}
                Err(e) => return Err(Failure::from(&e).into()),
            }
            if OffsetDateTime::now_utc() > give_up {
                return Ok(false);
            }
            self.pause().await?;
        }
    }

    /// Polls the device record and the twin until the gateway is on target or the deadline
    /// passes.
    async fn watch(
        &self,
        baseline: Option<OffsetDateTime>,
        requested_at: OffsetDateTime,
    ) -> Result<(), Stop> {
        let settings = &self.rollout().settings;
        let target = &self.rollout().target;
        let fleet = &self.rollout().fleet;
        let started = tokio::time::Instant::now();
        let mut checked_in = false;
        let mut previous: Option<Versions> = None;
        let mut last_seen: Option<Versions> = None;
        loop {
            self.pause().await?;
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
                return Err(Failure::new("timed_out", reason).into());
            }
            if !checked_in {
                let record = match fleet
                    .plane()
                    .device(self.device, &self.rollout().group.id)
                    .await
                {
                    Ok(r) => r,
                    Err(e) if e.is_transient() => continue,
                    Err(e) => return Err(Failure::from(&e).into()),
                };
                if !checked_in_after(record.last_update_request, baseline, requested_at) {
                    continue;
                }
                checked_in = true;
                self.step(|s| s.checked_in = true);
                self.emit(Stage::CheckedIn, OffsetDateTime::now_utc(), None);
            }
            let (connection, versions, at) = match self.twin().await {
                Ok(t) => t,
                Err(e) if e.is_transient() => continue,
                Err(e) => return Err(Failure::from(&e).into()),
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

/// How a restart request ended when it did not succeed.
enum SendError {
    /// Certainly not delivered or refused by the gateway.
    Refused(Failure),
    /// It may have arrived (answer lost, gateway too slow to answer).
    Unknown(CloudError),
}

/// A time before any intent (a journal line without a time cannot exist; this is a fallback).
fn rollout_epoch() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH
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
