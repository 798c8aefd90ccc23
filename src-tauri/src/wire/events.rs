//! The messages runs stream on their channel (`{type: "progress" | "done", ...}`), the answer
//! of a run's start, and the runs in flight as `runs_list` gives them. Failure kinds are folded
//! into the GUI's here, as every other kind is (see [`super::fold`]).

use serde::Serialize;

use asg_fota_core::workflow::nodes::{
    NodeEvent, NodeFailure, NodeRef, NodeStage, NodeUpdateReport,
};
use asg_fota_core::workflow::rollout::{DeviceFailure, RolloutEvent, RolloutReport, Stage};
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
    Done(UpdateNowDone),
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
        })
    }
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateNowDone {
    succeeded: Vec<String>,
    failed: Vec<GatewayFailure>,
    cancelled: Vec<String>,
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
        })
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
            Self::Done(_) => None,
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
