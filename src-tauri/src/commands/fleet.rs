//! Commands of steps 5 and 6: the group's gateways, "update now", and the nodes behind them.
//!
//! Runs go on in the background after the command answers with a run id; every status read is
//! sent on the command's channel as a `progress` message, and the end as a `done` message.
//! An "update now" run is registered in the core's run registry before the command answers
//! (refused with `run_in_flight` when a gateway is in another run); in phases it asks between
//! two phases (a `phase` message, answered by `update_now_continue`), and with a maintenance
//! window it first waits for the window (a `waiting` message).

use std::sync::Arc;

use serde_json::Value;
use tauri::ipc::Channel;
use tauri::State;

use asg_fota_core::cloud::model::{DeviceGroupId, DeviceId};
use asg_fota_core::cloud::CloudError;
use asg_fota_core::workflow::fleet::Gateway;
use asg_fota_core::workflow::nodes::{self, NodeRef, NodeRow};
use asg_fota_core::workflow::rollout::{
    continue_always, until_open, PhaseGate, PhaseSummary, Resume, Rollout, RunOptions,
};
use asg_fota_core::workflow::runs::ActiveRun;

use crate::commands::on_worker;
use crate::runs::{Run, Runs};
use crate::tenant::TenantConnection;
use crate::wire::{
    CommandError, NodeUpdateEvent, NodeUpdateRequest, RunKind, RunStarted, UpdateNowEvent,
    UpdateNowOptions,
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

/// Step 5's "Update now": moves, restarts and watches the chosen gateways in the background,
/// in the phases and window of `options`. Rejects `invalid_input` (bad options),
/// `policy_blocks_updates` and `run_in_flight` before touching anything.
#[tauri::command]
pub(crate) async fn update_now_start(
    group_id: String,
    device_ids: Vec<String>,
    options: Option<UpdateNowOptions>,
    on_event: Channel<Value>,
    connection: State<'_, TenantConnection>,
    runs: State<'_, Arc<Runs>>,
) -> Result<RunStarted, CommandError> {
    let devices = self::device_ids(&device_ids)?;
    let options = options.unwrap_or_default();
    let run_options = options.to_core()?;
    let tenant = connection.tenant().await?;
    let group = DeviceGroupId::new(group_id);
    let rollout = tenant
        .prepare_update_now(&group, tenant.rollout_settings())
        .await?;
    let active = rollout.begin(&devices, &run_options)?;
    let run = runs.start_with(
        RunKind::UpdateNow,
        Some(group.to_string()),
        Some(options),
        on_event,
    );
    Ok(runs.spawn(run, move |run| {
        work_update_now(rollout, active, devices, None, run_options, run)
    }))
}

/// Works a registered "update now" run for the window: waits for its maintenance window, asks
/// the window between phases, streams every status change.
pub(crate) async fn work_update_now(
    rollout: Rollout,
    active: ActiveRun,
    devices: Vec<DeviceId>,
    resume: Option<Resume>,
    options: RunOptions,
    run: Arc<Run>,
) -> UpdateNowEvent {
    let cancel = run.cancel_token();
    if let Some(window) = &options.window {
        let now = options.clock.now();
        if !window.contains(now) {
            run.send_waiting(UpdateNowEvent::waiting(window.opens_at(now)));
            until_open(window, &options.clock, &cancel).await;
            run.set_waiting(None);
        }
    }
    let progress = |event| run.send(UpdateNowEvent::from(event));
    let asker = run.clone();
    let ask = move |summary: PhaseSummary| {
        let run = asker.clone();
        Box::pin(async move { run.ask(UpdateNowEvent::from(summary)).await })
            as std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>>
    };
    let gate: PhaseGate<'_> = if options.phases.is_some() {
        &ask
    } else {
        &continue_always
    };
    let report = rollout
        .run_in(active, devices, resume, &options, gate, &cancel, &progress)
        .await;
    UpdateNowEvent::from(report)
}

/// Between two phases of a run: `go` starts the next phase, else the run stops (resumable).
#[tauri::command]
pub(crate) fn update_now_continue(
    run_id: String,
    go: bool,
    runs: State<'_, Arc<Runs>>,
) -> Result<(), CommandError> {
    runs.answer(&run_id, go)
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
