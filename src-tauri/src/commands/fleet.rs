//! Commands of steps 5 and 6: the group's gateways, "update now", and the nodes behind them.
//!
//! Runs go on in the background after the command answers with a run id; every status read is
//! sent on the command's channel as a `progress` message, and the end as a `done` message.

use std::sync::Arc;

use serde_json::Value;
use tauri::ipc::Channel;
use tauri::State;

use asg_fota_core::cloud::model::{DeviceGroupId, DeviceId};
use asg_fota_core::cloud::CloudError;
use asg_fota_core::workflow::fleet::Gateway;
use asg_fota_core::workflow::nodes::{self, NodeRef, NodeRow};

use crate::commands::on_worker;
use crate::runs::Runs;
use crate::tenant::TenantConnection;
use crate::wire::{
    CommandError, NodeUpdateEvent, NodeUpdateRequest, RunKind, RunStarted, UpdateNowEvent,
};

fn device_ids(ids: &[String]) -> Result<Vec<DeviceId>, CloudError> {
    ids.iter().map(|id| DeviceId::parse(id)).collect()
}

/// Step 5's table: the group's gateways with their IoT Hub state.
#[tauri::command]
pub(crate) async fn gateways_list(
    group_id: String,
    connection: State<'_, TenantConnection>,
) -> Result<Vec<Gateway>, CommandError> {
    let tenant = connection.tenant().await?;
    let group = DeviceGroupId::new(group_id);
    on_worker(move || async move { Ok(tenant.gateways(&group).await?) }).await
}

/// Step 5's "Update now": moves, restarts and watches the chosen gateways in the background.
/// Rejects `policy_blocks_updates` before touching anything.
#[tauri::command]
pub(crate) async fn update_now_start(
    group_id: String,
    device_ids: Vec<String>,
    on_event: Channel<Value>,
    connection: State<'_, TenantConnection>,
    runs: State<'_, Arc<Runs>>,
) -> Result<RunStarted, CommandError> {
    let devices = self::device_ids(&device_ids)?;
    let tenant = connection.tenant().await?;
    let group = DeviceGroupId::new(group_id);
    let rollout = tenant
        .prepare_update_now(&group, tenant.rollout_settings())
        .await?;
    let run = runs.start(RunKind::UpdateNow, Some(group.to_string()), on_event);
    Ok(runs.spawn(run, move |run| async move {
        let progress = |event| run.send(UpdateNowEvent::from(event));
        UpdateNowEvent::from(rollout.run(devices, &run.cancel_token(), &progress).await)
    }))
}

#[tauri::command]
pub(crate) fn update_now_cancel(run_id: String, runs: State<'_, Arc<Runs>>) {
    runs.cancel(&run_id);
}

/// Step 6's matrix: the nodes behind the given gateways.
#[tauri::command]
pub(crate) async fn nodes_list(
    device_ids: Vec<String>,
    connection: State<'_, TenantConnection>,
) -> Result<Vec<NodeRow>, CommandError> {
    let devices = self::device_ids(&device_ids)?;
    let tenant = connection.tenant().await?;
    on_worker(move || async move { Ok(tenant.nodes(&devices).await?) }).await
}

/// Step 6's "Update" / "Update all outdated": updates the nodes in the background.
#[tauri::command]
pub(crate) async fn node_update_start(
    items: Vec<NodeUpdateRequest>,
    on_event: Channel<Value>,
    connection: State<'_, TenantConnection>,
    runs: State<'_, Arc<Runs>>,
) -> Result<RunStarted, CommandError> {
    let refs = items
        .into_iter()
        .map(NodeRef::try_from)
        .collect::<Result<_, _>>()?;
    let tenant = connection.tenant().await?;
    let fleet = tenant.fleet().await?;
    let settings = tenant.node_settings();
    let run = runs.start(RunKind::NodeUpdate, None, on_event);
    Ok(runs.spawn(run, move |run| async move {
        let progress = |event| run.send(NodeUpdateEvent::from(event));
        let cancel = run.cancel_token();
        let report = nodes::update_nodes(&fleet, refs, &settings, &cancel, &progress).await;
        NodeUpdateEvent::from(report)
    }))
}

#[tauri::command]
pub(crate) fn node_update_cancel(run_id: String, runs: State<'_, Arc<Runs>>) {
    runs.cancel(&run_id);
}
