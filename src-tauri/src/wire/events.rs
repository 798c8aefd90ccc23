//! The messages runs stream on their channel (`{type: "progress" | "done", ...}`), the answer
//! of a run's start, and the runs in flight as `runs_list` gives them. Failure kinds are folded
//! into the GUI's here, as every other kind is (see [`super::fold`]).

use serde::Serialize;

use asg_fota_core::workflow::journal::Said;
use asg_fota_core::workflow::nodes::{
    NodeEvent, NodeFailure, NodeRef, NodeStage, NodeUpdateReport,
};
use asg_fota_core::workflow::rollout::{
    DeviceFailure, GatewaySteps, PhaseSummary, RolloutEvent, RolloutReport, RunOptions, Stage,
};
use asg_fota_core::workflow::runs::{InterruptedRun, LastKnown};
use asg_fota_core::workflow::schedule::{parse_offset, PhasePlan, ScheduleError, Window};
use asg_fota_core::workflow::upload::{UploadPhase, UploadProgress};

use super::views::upload_error;
use super::{fold, CommandError};

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RunStarted {
    pub(crate) run_id: String,
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A message of an "update now" run.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum UpdateNowEvent {
    Progress(UpdateNowProgress),
    /// A phase ended: the run waits for `update_now_continue`.
    Phase(PhasePrompt),
    /// The maintenance window is closed: the run waits for it to open.
    Waiting(WindowWait),
    Done(UpdateNowDone),
}

/// Between two phases: what the finished phase did and what would come next.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PhasePrompt {
    finished: String,
    next: String,
    next_size: usize,
    succeeded: usize,
    failed: usize,
    remaining: usize,
}

impl From<PhaseSummary> for UpdateNowEvent {
    fn from(s: PhaseSummary) -> Self {
        Self::Phase(PhasePrompt {
            finished: s.finished,
            next: s.next,
            next_size: s.next_size,
            succeeded: s.succeeded,
            failed: s.failed,
            remaining: s.remaining,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WindowWait {
    opens_at: String,
}

impl UpdateNowEvent {
    pub(crate) fn waiting(opens_at: time::OffsetDateTime) -> Self {
        Self::Waiting(WindowWait {
            opens_at: rfc3339(opens_at),
        })
    }
}

/// The phases and maintenance window of an "update now" run, as the window sends them (all
/// optional; none = one phase, restarts at any time) and as `runs_list` gives them back.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct UpdateNowOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) canary: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) batch: Option<usize>,
    /// `N` gateways or `P%`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_failed: Option<String>,
    /// `HH:MM-HH:MM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) window: Option<String>,
    /// The window's UTC offset, `+09:00` (the UI sends the computer's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) window_tz: Option<String>,
}

impl UpdateNowOptions {
    /// The core's options (system clock); bad text is `invalid_input` with the core's words.
    pub(crate) fn to_core(&self) -> Result<RunOptions, ScheduleError> {
        let window = match &self.window {
            Some(text) => {
                let offset = parse_offset(self.window_tz.as_deref().unwrap_or("UTC"))?;
                Some(Window::parse(text, offset)?)
            }
            None => None,
        };
        Ok(RunOptions {
            phases: PhasePlan::from_options(self.canary, self.batch, self.max_failed.as_deref())?,
            window,
            ..RunOptions::default()
        })
    }

    /// The options a (resumed) run goes on with.
    pub(crate) fn from_core(options: &RunOptions) -> Self {
        let phases = options.phases.as_ref();
        Self {
            canary: phases.map(|p| p.canary),
            batch: phases.map(|p| p.batch),
            max_failed: phases.map(|p| p.max_failed.text()),
            window: options.window.map(|w| w.spec()),
            window_tz: options.window.map(|w| w.offset_text()),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateNowProgress {
    device_id: String,
    status: Stage,
    at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hl_app_ver: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rt_app_ver: Option<String>,
    /// `canary`, `batch 1`, ... in a phased run.
    #[serde(skip_serializing_if = "Option::is_none")]
    phase: Option<String>,
}

impl From<RolloutEvent> for UpdateNowEvent {
    fn from(e: RolloutEvent) -> Self {
        Self::Progress(UpdateNowProgress {
            device_id: e.device_id.to_string(),
            status: e.stage,
            at: rfc3339(e.at),
            reason: e.reason,
            kind: e.kind.map(fold),
            hl_app_ver: e.hl_app_ver,
            rt_app_ver: e.rt_app_ver,
            phase: e.phase,
        })
    }
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateNowDone {
    /// The run registry's id (resume it with this id when it stopped early).
    #[serde(skip_serializing_if = "Option::is_none")]
    run: Option<String>,
    succeeded: Vec<String>,
    failed: Vec<GatewayFailure>,
    cancelled: Vec<String>,
    /// For each cancelled gateway: what had been done to it.
    cancelled_steps: Vec<CancelledSteps>,
    /// Left untouched because the maintenance window closed.
    deferred: Vec<String>,
    /// In phases that did not start.
    not_started: Vec<String>,
    /// Why the run stopped early and stays resumable.
    #[serde(skip_serializing_if = "Option::is_none")]
    stopped: Option<String>,
    /// `stopped` as data: the UI says `runs.stop.<key>` with its params.
    #[serde(skip_serializing_if = "Option::is_none")]
    stopped_said: Option<Said>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CancelledSteps {
    device_id: String,
    moved: bool,
    restart_sent: bool,
    checked_in: bool,
}

impl From<GatewaySteps> for CancelledSteps {
    fn from(s: GatewaySteps) -> Self {
        Self {
            device_id: s.device_id,
            moved: s.moved,
            restart_sent: s.restart_sent,
            checked_in: s.checked_in,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GatewayFailure {
    device_id: String,
    kind: &'static str,
    reason: String,
}

impl From<RolloutReport> for UpdateNowEvent {
    fn from(r: RolloutReport) -> Self {
        let ids = |list: Vec<asg_fota_core::cloud::model::DeviceId>| {
            list.into_iter().map(|d| d.to_string()).collect()
        };
        Self::Done(UpdateNowDone {
            run: r.run_id,
            succeeded: ids(r.succeeded),
            failed: r
                .failed
                .into_iter()
                .map(|f: DeviceFailure| GatewayFailure {
                    device_id: f.device_id.to_string(),
                    kind: fold(f.kind),
                    reason: f.reason,
                })
                .collect(),
            cancelled: ids(r.cancelled),
            cancelled_steps: r.cancelled_steps.into_iter().map(Into::into).collect(),
            deferred: ids(r.deferred),
            not_started: ids(r.not_started),
            stopped: r.stopped,
            stopped_said: r.stopped_said,
        })
    }
}

/// A run that stopped without finishing (a crash, a kill, a closed window, a phase not
/// continued), for step 5's and step 6's "Resume".
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InterruptedRunView {
    run_id: String,
    kind: asg_fota_core::workflow::runs::RunKind,
    started_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_name: Option<String>,
    /// Why it stopped, when on purpose; absent after a crash.
    #[serde(skip_serializing_if = "Option::is_none")]
    paused: Option<String>,
    /// `paused` as data (`runs.stop.<key>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    paused_said: Option<Said>,
    #[serde(skip_serializing_if = "Option::is_none")]
    options: Option<UpdateNowOptions>,
    items: Vec<LastKnownView>,
}

/// Where one gateway (or node) of an interrupted run was last seen.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LastKnownView {
    device_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    mac: Option<String>,
    /// The last status seen, `not_started` when none.
    stage: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    phase: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    at: Option<String>,
    /// A change journaled as intended without an outcome: `move`, `restart`, `node_update`.
    #[serde(skip_serializing_if = "Option::is_none")]
    unconfirmed: Option<asg_fota_core::workflow::journal::Action>,
}

impl From<InterruptedRun> for InterruptedRunView {
    fn from(r: InterruptedRun) -> Self {
        let options = RunOptions::from_plan(&r.plan);
        let options = (options.phases.is_some() || options.window.is_some())
            .then(|| UpdateNowOptions::from_core(&options));
        Self {
            run_id: r.plan.id,
            kind: r.plan.kind,
            started_at: rfc3339(r.plan.started),
            group_id: r.plan.group_id,
            group_name: r.plan.group_name,
            paused: r.paused,
            paused_said: r.paused_said,
            options,
            items: r
                .items
                .into_iter()
                .map(|i: LastKnown| LastKnownView {
                    device_id: i.device_id,
                    mac: i.mac,
                    stage: i.stage,
                    phase: i.phase,
                    at: i.at.map(rfc3339),
                    unconfirmed: i.unconfirmed,
                })
                .collect(),
        }
    }
}

/// A message of a node update run.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum NodeUpdateEvent {
    Progress(NodeUpdateProgress),
    Done(NodeUpdateDone),
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeUpdateProgress {
    gateway_id: String,
    mac: String,
    state: NodeStage,
    #[serde(skip_serializing_if = "Option::is_none")]
    percent: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    at: String,
}

impl From<NodeEvent> for NodeUpdateEvent {
    fn from(e: NodeEvent) -> Self {
        Self::Progress(NodeUpdateProgress {
            gateway_id: e.gateway_id.to_string(),
            mac: e.mac,
            state: e.state,
            percent: e.percent,
            version: e.version,
            error: e.error,
            kind: e.kind.map(fold),
            at: rfc3339(e.at),
        })
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeItem {
    gateway_id: String,
    mac: String,
}

impl From<NodeRef> for NodeItem {
    fn from(node: NodeRef) -> Self {
        Self {
            gateway_id: node.gateway_id.to_string(),
            mac: node.mac,
        }
    }
}

/// A node `node_update_start` is asked to update.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeUpdateRequest {
    gateway_id: String,
    mac: String,
}

impl TryFrom<NodeUpdateRequest> for NodeRef {
    type Error = asg_fota_core::cloud::CloudError;

    fn try_from(item: NodeUpdateRequest) -> Result<Self, Self::Error> {
        Ok(NodeRef {
            gateway_id: asg_fota_core::cloud::model::DeviceId::parse(&item.gateway_id)?,
            mac: item.mac,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeUpdateDone {
    succeeded: Vec<NodeItem>,
    failed: Vec<NodeFailureItem>,
    cancelled: Vec<NodeItem>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeFailureItem {
    node: NodeItem,
    kind: &'static str,
    reason: String,
}

impl From<NodeUpdateReport> for NodeUpdateEvent {
    fn from(r: NodeUpdateReport) -> Self {
        let items = |list: Vec<NodeRef>| list.into_iter().map(NodeItem::from).collect();
        Self::Done(NodeUpdateDone {
            succeeded: items(r.succeeded),
            failed: r
                .failed
                .into_iter()
                .map(|f: NodeFailure| NodeFailureItem {
                    node: f.node.into(),
                    kind: fold(f.kind),
                    reason: f.reason,
                })
                .collect(),
            cancelled: items(r.cancelled),
        })
    }
}

/// A message of an upload: one file's progress, keyed by its full path.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum UploadEvent {
    Progress(UploadProgressMessage),
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UploadProgressMessage {
    path: String,
    file: String,
    image_id: Option<String>,
    phase: UploadPhase,
    bytes_sent: u64,
    total_bytes: u64,
    bytes_per_second: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<CommandError>,
}

impl From<&UploadProgress> for UploadEvent {
    fn from(p: &UploadProgress) -> Self {
        Self::Progress(UploadProgressMessage {
            path: p.path.clone(),
            file: p.file.clone(),
            image_id: p.image_id.as_ref().map(ToString::to_string),
            phase: p.phase,
            bytes_sent: p.bytes_sent,
            total_bytes: p.total_bytes,
            bytes_per_second: p.bytes_per_second,
            error: p.error.as_ref().map(upload_error),
        })
    }
}

/// Which kind of work a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RunKind {
    UpdateNow,
    NodeUpdate,
    Upload,
}

impl RunKind {
    /// The start of its run ids.
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            RunKind::UpdateNow => "update",
            RunKind::NodeUpdate => "nodes",
            RunKind::Upload => "upload",
        }
    }
}

/// A run in flight, for a page that reloaded: the latest progress message of each item.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RunSummary {
    pub(crate) run_id: String,
    pub(crate) kind: RunKind,
    pub(crate) started_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) group_id: Option<String>,
    pub(crate) items: Vec<serde_json::Value>,
    /// An "update now" run's phases and window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) options: Option<UpdateNowOptions>,
    /// The last `phase` or `waiting` message while the run waits on it (a reloaded page asks
    /// again / shows the countdown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) waiting: Option<serde_json::Value>,
}

/// What identifies the item a progress message is about (`None` for the final message), so a
/// run keeps only the latest message of each.
pub(crate) trait RunMessage: Serialize {
    fn item_key(&self) -> Option<String>;
}

impl RunMessage for UpdateNowEvent {
    fn item_key(&self) -> Option<String> {
        match self {
            Self::Progress(p) => Some(p.device_id.to_ascii_lowercase()),
            Self::Phase(_) | Self::Waiting(_) | Self::Done(_) => None,
        }
    }
}

impl RunMessage for NodeUpdateEvent {
    fn item_key(&self) -> Option<String> {
        match self {
            Self::Progress(p) => Some(format!("{}/{}", p.gateway_id.to_ascii_lowercase(), p.mac)),
            Self::Done(_) => None,
        }
    }
}

impl RunMessage for UploadEvent {
    fn item_key(&self) -> Option<String> {
        match self {
            Self::Progress(p) => Some(p.path.clone()),
        }
    }
}

pub(crate) fn now_rfc3339() -> String {
    rfc3339(time::OffsetDateTime::now_utc())
}
