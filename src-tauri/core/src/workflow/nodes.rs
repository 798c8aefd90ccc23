//! Step 6: the WIZ750SR nodes behind gateways, and their firmware updates.
//!
//! This module owns the node matrix (one row per node, read from the gateways' twins: the
//! contract's `Nodes` and `NodeFwAvailable` properties) and the node update run: invoke the
//! contract's update method with `{"mac"}` (the gateway answers 202 when it started, 409 when the
//! node is busy, 404 for a MAC it does not know), then follow `Nodes.<MAC>.update` in the twin
//! until it says Succeeded or Failed and the node reports the new `fwVersion`.
//!
//! A node is offered an update only when its gateway's available firmware is numerically higher
//! than the node's (`version::is_newer`). Nodes of one gateway are updated one after the other,
//! gateways [`NodeUpdateSettings::concurrency`] at a time.
//!
//! A node update run is registered like an "update now" run ([`super::runs`]): its intent is
//! journaled and flushed before the method is called, cancel stops between nodes and between two
//! reads (never inside a request), and a resumed run ([`update_nodes_in`] with the run's
//! [`RunHistory`]) does not send an update again to a node whose earlier request is recorded and
//! which already runs the new firmware (it is reported done) or is still installing it (it is
//! followed).
// UNSURE: the RTApp flashes one node at a time over the local Ethernet (the public flashing
// protocol uses one UDP broadcast port), so nodes of one gateway are never updated in parallel.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::StreamExt;
use serde::Serialize;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use super::fleet::{reported_text, ConnectionState, Fleet};
use super::journal::{Action, Detail, Outcome, RunMark, Target};
use super::rollout::device_failure;
use super::runs::{ActiveRun, PlannedNode, RunError, RunHistory, RunKind, RunPlan, StageLine};
use super::version::{compare, is_newer};
use crate::cloud::iothub::{MethodTimeouts, Twin};
use crate::cloud::model::DeviceId;
use crate::cloud::CloudError;
use crate::profiles::DeviceContract;

/// A node's in-flight or last update, as its gateway reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeUpdateState {
    /// `InProgress`, `Succeeded` or `Failed`.
    pub state: String,
    pub percent: Option<u8>,
    pub error: Option<String>,
}

/// One row of step 6's matrix.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeRow {
    pub gateway_id: DeviceId,
    /// 12 hex digits as the gateway reports it.
    pub mac: String,
    pub name: Option<String>,
    /// The firmware the node runs (`fwVersion`).
    pub current: Option<String>,
    /// The node firmware inside the gateway's installed RTApp (`NodeFwAvailable`).
    pub available: Option<String>,
    /// The node's `status` (`READY`, `UPDATING`, ...).
    pub status: Option<String>,
    /// Whether `available` is numerically newer than `current`.
    pub updatable: bool,
    pub update: Option<NodeUpdateState>,
    pub gateway_connection: ConnectionState,
    #[serde(with = "time::serde::rfc3339")]
    pub as_of: OffsetDateTime,
}

/// Normalizes a MAC for comparison: hex digits only, upper case.
pub fn normalize_mac(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_hexdigit())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// The nodes of one twin, in MAC order (pure: the twin and the read time in, rows out).
pub fn nodes_of(twin: &Twin, contract: &DeviceContract, as_of: OffsetDateTime) -> Vec<NodeRow> {
    let Ok(gateway_id) = DeviceId::parse(&twin.device_id) else {
        return Vec::new();
    };
    let available = reported_text(twin, &contract.node_fw_available_property);
    let connection = ConnectionState::of(Some(twin));
    let Some(nodes) = twin
        .reported(&contract.nodes_property)
        .and_then(|v| v.as_object())
    else {
        return Vec::new();
    };
    let ordered: BTreeMap<&String, &serde_json::Value> = nodes.iter().collect();
    ordered
        .into_iter()
        .filter(|(_, node)| node.is_object())
        .map(|(mac, node)| {
            let text = |k: &str| node.get(k).and_then(|v| v.as_str()).map(str::to_owned);
            let current = text("fwVersion");
            let updatable = match (&available, &current) {
                (Some(a), Some(c)) => is_newer(a, c),
                _ => false,
            };
            NodeRow {
                gateway_id: gateway_id.clone(),
                mac: mac.clone(),
                name: text("name"),
                current,
                available: available.clone(),
                status: text("status"),
                updatable,
                update: node.get("update").and_then(update_state),
                gateway_connection: connection,
                as_of,
            }
        })
        .collect()
}

fn update_state(value: &serde_json::Value) -> Option<NodeUpdateState> {
    let state = value.get("state")?.as_str()?.to_owned();
    Some(NodeUpdateState {
        state,
        percent: value
            .get("percent")
            .and_then(|p| p.as_u64())
            .map(|p| p.min(100) as u8),
        error: value
            .get("error")
            .and_then(|e| e.as_str())
            .filter(|e| !e.is_empty())
            .map(str::to_owned),
    })
}

/// Step 6's matrix for `gateways`, read with batched twin queries. Gateways without a twin have
/// no rows.
pub async fn node_matrix(fleet: &Fleet, gateways: &[DeviceId]) -> Result<Vec<NodeRow>, CloudError> {
    let twins = fleet.twins(gateways).await?;
    let mut rows = Vec::new();
    for id in gateways {
        if let Some((twin, at)) = twins.get(id) {
            rows.extend(nodes_of(twin, fleet.contract(), *at));
        }
    }
    Ok(rows)
}

/// One node to update.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeRef {
    pub gateway_id: DeviceId,
    pub mac: String,
}

/// The nodes of `rows` that can be updated ("update all outdated").
pub fn outdated(rows: &[NodeRow]) -> Vec<NodeRef> {
    rows.iter()
        .filter(|r| r.updatable)
        .map(|r| NodeRef {
            gateway_id: r.gateway_id.clone(),
            mac: r.mac.clone(),
        })
        .collect()
}

/// How a node update run goes.
#[derive(Debug, Clone)]
pub struct NodeUpdateSettings {
    /// Gateways worked on at the same time (nodes of one gateway go one after the other).
    pub concurrency: usize,
    /// Wait between two twin reads while a node updates.
    pub poll_interval: Duration,
    /// How long one node may take from the request to its new version.
    pub deadline: Duration,
    pub method_timeouts: MethodTimeouts,
}

impl Default for NodeUpdateSettings {
    fn default() -> Self {
        NodeUpdateSettings {
            concurrency: 8,
            poll_interval: Duration::from_secs(2),
            deadline: Duration::from_secs(5 * 60),
            method_timeouts: MethodTimeouts::default(),
        }
    }
}

/// Where one node is in its update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum NodeStage {
    /// The update method is being called.
    #[serde(rename = "requested")]
    Requested,
    /// The gateway reports progress.
    InProgress,
    /// The node reports the new firmware.
    Succeeded,
    Failed,
    #[serde(rename = "cancelled")]
    Cancelled,
}

/// One status change of one node.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeEvent {
    pub gateway_id: DeviceId,
    pub mac: String,
    pub state: NodeStage,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent: Option<u8>,
    /// With `Succeeded`: the version the node now reports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// With `Failed` / `cancelled`: plain words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// With `Failed`: a stable code (`node_busy`, `unknown_node`, `device_offline`, `timed_out`,
    /// `node_update_failed`, ...). Not `update_failed`: that is the app updater's kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// Why one node failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeFailure {
    pub node: NodeRef,
    pub kind: &'static str,
    pub reason: String,
}

/// The end of a node update run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NodeUpdateReport {
    /// The registered run's id (`run`: the app tags its events with its own `runId`).
    #[serde(rename = "run", skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    pub succeeded: Vec<NodeRef>,
    pub failed: Vec<NodeFailure>,
    pub cancelled: Vec<NodeRef>,
}

impl NodeUpdateReport {
    pub fn all_succeeded(&self) -> bool {
        self.failed.is_empty() && self.cancelled.is_empty()
    }

    /// The nodes to run again: the failed and the cancelled ones.
    pub fn retry(&self) -> Vec<NodeRef> {
        self.failed
            .iter()
            .map(|f| f.node.clone())
            .chain(self.cancelled.iter().cloned())
            .collect()
    }
}

/// Groups nodes by gateway, keeping the order in which gateways were first named; MACs are
/// normalized and duplicates dropped.
fn by_gateway(nodes: Vec<NodeRef>) -> Vec<(DeviceId, Vec<String>)> {
    let mut by_gateway: Vec<(DeviceId, Vec<String>)> = Vec::new();
    for node in nodes {
        let mac = normalize_mac(&node.mac);
        match by_gateway.iter_mut().find(|(g, _)| *g == node.gateway_id) {
            Some((_, macs)) if macs.contains(&mac) => {}
            Some((_, macs)) => macs.push(mac),
            None => by_gateway.push((node.gateway_id, vec![mac])),
        }
    }
    by_gateway
}

/// The plan of a node update run over `nodes`.
pub fn node_plan(fleet: &Fleet, nodes: &[NodeRef]) -> RunPlan {
    let mut plan = RunPlan::new(RunKind::NodeUpdate, fleet.profile());
    plan.nodes = by_gateway(nodes.to_vec())
        .into_iter()
        .flat_map(|(g, macs)| {
            macs.into_iter().map(move |mac| PlannedNode {
                gateway_id: g.to_string(),
                mac,
            })
        })
        .collect();
    plan
}

/// Registers a node update run: refused when one of the gateways is in a run in flight.
pub fn begin_node_run(fleet: &Fleet, nodes: &[NodeRef]) -> Result<ActiveRun, RunError> {
    let plan = node_plan(fleet, nodes);
    fleet.runs().begin(plan)
}

/// The nodes of a node update run's plan.
pub fn planned_nodes(plan: &RunPlan) -> Result<Vec<NodeRef>, CloudError> {
    plan.nodes
        .iter()
        .map(|n| {
            Ok(NodeRef {
                gateway_id: DeviceId::parse(&n.gateway_id)?,
                mac: n.mac.clone(),
            })
        })
        .collect()
}

/// Updates `nodes` (duplicates ignored) as one registered run, reporting every status change to
/// `progress`. When a gateway is in a run in flight, every node fails with `run_in_flight` and
/// nothing is sent.
pub async fn update_nodes(
    fleet: &Fleet,
    nodes: Vec<NodeRef>,
    settings: &NodeUpdateSettings,
    cancel: &CancellationToken,
    progress: &(dyn Fn(NodeEvent) + Send + Sync),
) -> NodeUpdateReport {
    match begin_node_run(fleet, &nodes) {
        Ok(run) => update_nodes_in(fleet, run, nodes, None, settings, cancel, progress).await,
        Err(error) => {
            let mut report = NodeUpdateReport::default();
            for (gateway, macs) in by_gateway(nodes) {
                for mac in macs {
                    let node = NodeRef {
                        gateway_id: gateway.clone(),
                        mac,
                    };
                    progress(NodeEvent {
                        gateway_id: node.gateway_id.clone(),
                        mac: node.mac.clone(),
                        state: NodeStage::Failed,
                        percent: None,
                        version: None,
                        error: Some(error.to_string()),
                        kind: Some(error.kind()),
                        at: OffsetDateTime::now_utc(),
                    });
                    report.failed.push(NodeFailure {
                        node,
                        kind: error.kind(),
                        reason: error.to_string(),
                    });
                }
            }
            report
        }
    }
}

/// Works a registered node update run; with `resume`, the journal of its interrupted attempt
/// decides which nodes are asked again (see the module doc). Ends the run.
pub async fn update_nodes_in(
    fleet: &Fleet,
    run: ActiveRun,
    nodes: Vec<NodeRef>,
    resume: Option<&RunHistory>,
    settings: &NodeUpdateSettings,
    cancel: &CancellationToken,
    progress: &(dyn Fn(NodeEvent) + Send + Sync),
) -> NodeUpdateReport {
    let recorded = |event: NodeEvent| {
        let stage = serde_json::to_value(event.state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        run.record_stage(&StageLine {
            device_id: event.gateway_id.to_string(),
            mac: Some(event.mac.clone()),
            stage,
            phase: None,
            at: event.at,
        });
        progress(event)
    };
    let node_run = NodeRun {
        fleet,
        settings,
        cancel,
        progress: &recorded,
        run_id: run.id(),
        resume,
    };
    let mut results = futures_util::stream::iter(by_gateway(nodes))
        .map(|(gateway, macs)| node_run.gateway(gateway, macs))
        .buffer_unordered(settings.concurrency.max(1));
    let mut report = NodeUpdateReport {
        run_id: Some(run.id().to_owned()),
        ..NodeUpdateReport::default()
    };
    while let Some(ends) = results.next().await {
        for (node, end) in ends {
            match end {
                NodeEnd::Succeeded => report.succeeded.push(node),
                NodeEnd::Cancelled => report.cancelled.push(node),
                NodeEnd::Failed(kind, reason) => {
                    report.failed.push(NodeFailure { node, kind, reason })
                }
            }
        }
    }
    drop(results);
    run.end(&report);
    report
}

enum NodeEnd {
    Succeeded,
    Failed(&'static str, String),
    Cancelled,
}

struct NodeRun<'a> {
    fleet: &'a Fleet,
    settings: &'a NodeUpdateSettings,
    cancel: &'a CancellationToken,
    progress: &'a (dyn Fn(NodeEvent) + Send + Sync),
    run_id: &'a str,
    resume: Option<&'a RunHistory>,
}

impl NodeRun<'_> {
    fn emit(&self, node: &NodeRef, state: NodeStage, detail: EventDetail) {
        (self.progress)(NodeEvent {
            gateway_id: node.gateway_id.clone(),
            mac: node.mac.clone(),
            state,
            percent: detail.percent,
            version: detail.version,
            error: detail.error,
            kind: detail.kind,
            at: OffsetDateTime::now_utc(),
        });
    }

    async fn gateway(&self, gateway: DeviceId, macs: Vec<String>) -> Vec<(NodeRef, NodeEnd)> {
        let mut ends = Vec::with_capacity(macs.len());
        for mac in macs {
            let node = NodeRef {
                gateway_id: gateway.clone(),
                mac,
            };
            let end = if self.cancel.is_cancelled() {
                NodeEnd::Cancelled
            } else {
                self.emit(&node, NodeStage::Requested, EventDetail::default());
                self.one(&node).await
            };
            match &end {
                NodeEnd::Failed(kind, reason) => self.emit(
                    &node,
                    NodeStage::Failed,
                    EventDetail {
                        error: Some(reason.clone()),
                        kind: Some(kind),
                        ..EventDetail::default()
                    },
                ),
                NodeEnd::Cancelled => self.emit(
                    &node,
                    NodeStage::Cancelled,
                    EventDetail {
                        error: Some(
                            "cancelled; an update the gateway already started still finishes"
                                .into(),
                        ),
                        // The kind says it in the person's language (the sentence is English).
                        kind: Some("cancelled"),
                        ..EventDetail::default()
                    },
                ),
                NodeEnd::Succeeded => {}
            }
            ends.push((node, end));
        }
        ends
    }

    fn journal(
        &self,
        node: &NodeRef,
        result: Outcome,
        detail: impl Into<Detail>,
    ) -> Result<(), NodeEnd> {
        let written = self.fleet.record_in_run(
            Action::NodeUpdate,
            Target {
                device_id: Some(node.gateway_id.to_string()),
                mac: Some(node.mac.clone()),
                ..Target::default()
            },
            result,
            detail,
            RunMark {
                id: self.run_id.to_owned(),
                ..RunMark::default()
            },
        );
        match written {
            Ok(()) => Ok(()),
            // An intent that cannot be written stops the node: nothing is sent without one.
            Err(e) if result == Outcome::Pending => Err(NodeEnd::Failed(
                "journal",
                format!("nothing was sent, because the journal could not record it first: {e}"),
            )),
            Err(error) => {
                tracing::warn!(%error, "journal entry not written");
                Ok(())
            }
        }
    }

    /// Reads the gateway's twin and finds the node in it.
    async fn read(&self, node: &NodeRef) -> Result<Option<NodeRow>, CloudError> {
        let twin = self.fleet.iothub().twin(&node.gateway_id).await?;
        let rows = nodes_of(&twin, self.fleet.contract(), OffsetDateTime::now_utc());
        Ok(rows.into_iter().find(|r| normalize_mac(&r.mac) == node.mac))
    }

    async fn one(&self, node: &NodeRef) -> NodeEnd {
        let before = match self.read(node).await {
            Ok(Some(row)) => row,
            Ok(None) => return unknown_node(node),
            Err(e) => return cloud_end(&e),
        };
        if before.gateway_connection == ConnectionState::Disconnected {
            return cloud_end(&CloudError::DeviceOffline {
                device: node.gateway_id.to_string(),
            });
        }
        let Some(target) = before.available.clone() else {
            return NodeEnd::Failed(
                "no_firmware_available",
                "the gateway reports no node firmware to install; deploy an RTApp that carries it \
                 and update the gateway first"
                    .into(),
            );
        };
        let earlier = self
            .resume
            .and_then(|h| {
                h.step(
                    Action::NodeUpdate,
                    node.gateway_id.as_str(),
                    Some(&node.mac),
                )
            })
            .is_some_and(|s| s.intent_at.is_some());
        let installing = before
            .update
            .as_ref()
            .is_some_and(|u| u.state == "InProgress");
        if earlier {
            // The interrupted attempt asked for this update: a node already on the firmware is
            // done, one installing it is followed; neither is asked again.
            let on_version = before
                .current
                .as_deref()
                .is_some_and(|c| compare(c, &target) == Some(std::cmp::Ordering::Equal));
            if on_version && !installing {
                self.emit(
                    node,
                    NodeStage::Succeeded,
                    EventDetail {
                        percent: Some(100),
                        version: before.current.clone(),
                        ..EventDetail::default()
                    },
                );
                return NodeEnd::Succeeded;
            }
            if installing {
                return self.follow(node, &target, None).await;
            }
        }
        if self.cancel.is_cancelled() {
            return NodeEnd::Cancelled;
        }
        let method = &self.fleet.contract().update_node_method;
        if let Err(end) = self.journal(
            node,
            Outcome::Pending,
            Detail::said(
                "node_asking",
                serde_json::json!({"version": target}),
                format!("asking for {method} to install {target}"),
            ),
        ) {
            return end;
        }
        // The MAC is sent as the gateway spells it in its twin.
        let answer = self
            .fleet
            .iothub()
            .invoke_method(
                &node.gateway_id,
                method,
                &serde_json::json!({ "mac": before.mac }),
                self.settings.method_timeouts,
            )
            .await;
        match answer {
            Ok(a) if (200..300).contains(&a.status) => {
                let _ = self.journal(
                    node,
                    Outcome::Ok,
                    Detail::said(
                        "node_installing",
                        serde_json::json!({"version": target}),
                        format!("{method} answered {}; installing {target}", a.status),
                    ),
                );
            }
            Ok(a) if a.status == 409 && earlier => {
                // Busy with the update the interrupted attempt asked for: follow it.
                let _ = self.journal(
                    node,
                    Outcome::Skipped,
                    Detail::said(
                        "node_still_installing",
                        serde_json::json!({}),
                        format!("{method} answered 409: the earlier request is still installing"),
                    ),
                );
            }
            Ok(a) => {
                let (kind, reason) = match a.status {
                    409 => (
                        "node_busy",
                        "the node is already being updated; wait for that update to finish, then \
                         retry"
                            .to_owned(),
                    ),
                    404 => (
                        "unknown_node",
                        format!(
                            "the gateway does not know a node with MAC {} (or does not implement \
                             {method}); refresh the node list",
                            node.mac
                        ),
                    ),
                    other => (
                        "update_rejected",
                        format!("the gateway rejected the node update ({method} answered {other})"),
                    ),
                };
                let _ = self.journal(node, Outcome::Failed, Detail::error(kind, reason.clone()));
                return NodeEnd::Failed(kind, reason);
            }
            Err(e) => {
                let _ = self.journal(
                    node,
                    Outcome::Failed,
                    Detail::error(e.kind(), e.to_string()),
                );
                return cloud_end(&e);
            }
        }
        self.follow(node, &target, before.update).await
    }

    /// Follows the node's update in the twin until it reports `target` or fails. `stale` is the
    /// update state read before the request: a `Failed` left from an earlier attempt is not this
    /// attempt's result until the gateway has shown this one's progress or a new state.
    async fn follow(
        &self,
        node: &NodeRef,
        target: &str,
        stale: Option<NodeUpdateState>,
    ) -> NodeEnd {
        let started = tokio::time::Instant::now();
        let mut last_percent = None;
        let mut seen_progress = false;
        loop {
            tokio::select! {
                () = tokio::time::sleep(self.settings.poll_interval) => {}
                () = self.cancel.cancelled() => return NodeEnd::Cancelled,
            }
            if started.elapsed() > self.settings.deadline {
                return NodeEnd::Failed(
                    "timed_out",
                    format!(
                        "the node did not report firmware {target} within {}s; look at the \
                         gateway's node list and retry",
                        self.settings.deadline.as_secs()
                    ),
                );
            }
            let row = match self.read(node).await {
                Ok(Some(row)) => row,
                Ok(None) => return unknown_node(node),
                Err(e) if e.is_transient() => continue,
                Err(e) => return cloud_end(&e),
            };
            let state = row.update.as_ref().map(|u| u.state.as_str());
            let on_version = row
                .current
                .as_deref()
                .is_some_and(|c| compare(c, target) == Some(std::cmp::Ordering::Equal));
            if state == Some("InProgress") {
                seen_progress = true;
            }
            match state {
                Some("Failed") if seen_progress || row.update != stale => {
                    let error = row
                        .update
                        .and_then(|u| u.error)
                        .unwrap_or_else(|| "no reason given".into());
                    return NodeEnd::Failed(
                        "node_update_failed",
                        format!("the gateway reports the node update failed: {error}; retry it"),
                    );
                }
                _ if on_version && state != Some("InProgress") => {
                    self.emit(
                        node,
                        NodeStage::Succeeded,
                        EventDetail {
                            percent: Some(100),
                            version: row.current,
                            ..EventDetail::default()
                        },
                    );
                    return NodeEnd::Succeeded;
                }
                Some("InProgress") => {
                    let percent = row.update.and_then(|u| u.percent);
                    if percent != last_percent {
                        last_percent = percent;
                        self.emit(
                            node,
                            NodeStage::InProgress,
                            EventDetail {
                                percent,
                                ..EventDetail::default()
                            },
                        );
                    }
                }
                _ => {}
            }
        }
    }
}

#[derive(Default)]
struct EventDetail {
    percent: Option<u8>,
    version: Option<String>,
    error: Option<String>,
    kind: Option<&'static str>,
}

fn unknown_node(node: &NodeRef) -> NodeEnd {
    NodeEnd::Failed(
        "unknown_node",
        format!(
            "the gateway does not list a node with MAC {}; refresh the node list",
            node.mac
        ),
    )
}

fn cloud_end(err: &CloudError) -> NodeEnd {
    let (kind, reason) = device_failure(err);
    NodeEnd::Failed(kind, reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn twin(reported: serde_json::Value) -> Twin {
        serde_json::from_value(json!({
            "deviceId": "ab".repeat(64),
            "connectionState": "Connected",
            "properties": {"desired": {}, "reported": reported},
        }))
        .unwrap()
    }

    #[test]
    fn the_matrix_offers_updates_only_for_numerically_newer_firmware() {
        let t = twin(json!({
            "NodeFwAvailable": "1.0.10",
            "Nodes": {
                "0008DC000002": {"name": "B", "fwVersion": "1.0.9", "status": "READY"},
                "0008DC000001": {"name": "A", "fwVersion": "1.0.10", "status": "READY"},
                "0008DC000003": {"name": "C", "fwVersion": "1.0.10dev", "status": "READY"},
                "0008DC000004": {"name": "D", "fwVersion": "garbage", "status": "READY"},
                "0008DC000005": {"name": "E", "fwVersion": "1.0.2", "status": "UPDATING",
                                  "update": {"state": "InProgress", "percent": 40}},
                "0008DC000006": "not an object",
            }
        }));
        let rows = nodes_of(&t, &DeviceContract::default(), OffsetDateTime::UNIX_EPOCH);
        let got: Vec<(&str, bool)> = rows.iter().map(|r| (r.mac.as_str(), r.updatable)).collect();
        assert_eq!(
            got,
            [
                ("0008DC000001", false),
                ("0008DC000002", true),
                ("0008DC000003", true),
                ("0008DC000004", false),
                ("0008DC000005", true),
            ]
        );
        assert_eq!(
            rows[4].update,
            Some(NodeUpdateState {
                state: "InProgress".into(),
                percent: Some(40),
                error: None
            })
        );
        assert_eq!(outdated(&rows).len(), 3);
    }

    #[test]
    fn twins_without_nodes_or_firmware_give_no_updatable_rows() {
        let cases = [
            json!({}),
            json!({"Nodes": "broken"}),
            json!({"Nodes": {"0008DC000001": {"fwVersion": "1.0.0"}}}),
        ];
        for reported in cases {
            let rows = nodes_of(
                &twin(reported.clone()),
                &DeviceContract::default(),
                OffsetDateTime::UNIX_EPOCH,
            );
            assert!(rows.iter().all(|r| !r.updatable), "{reported}");
        }
    }

    #[test]
    fn macs_are_normalized() {
        for (text, want) in [
            ("00:08:dc:00:00:01", "0008DC000001"),
            ("00-08-DC-00-00-01", "0008DC000001"),
            ("0008dc000001", "0008DC000001"),
        ] {
            assert_eq!(normalize_mac(text), want);
        }
    }
}
