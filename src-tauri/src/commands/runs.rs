//! Runs beyond one page: the runs in flight, for a page that reloaded (list them, and send a
//! run's future messages to the page's new channel); the runs a crash, a kill or a pause left
//! unfinished (list, resume through the core's resume — no second restart —, discard); and
//! closing the window while a run is in flight (asked first; stopped cleanly, never dropped).

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tauri::ipc::Channel;
use tauri::{AppHandle, Emitter, State};

use asg_fota_core::tenant::Tenant;
use asg_fota_core::workflow::nodes::{planned_nodes, update_nodes_in};
use asg_fota_core::workflow::rollout::ResumedRun;
use asg_fota_core::workflow::runs::RunKind as CoreRunKind;

use crate::commands::fleet::work_update_now;
use crate::runs::Runs;
use crate::tenant::TenantConnection;
use crate::wire::{
    CommandError, InterruptedRunView, NodeUpdateEvent, RunKind, RunStarted, RunSummary,
    UpdateNowOptions,
};

/// The event the window gets when it is asked to close while runs are in flight.
pub(crate) const CLOSE_REQUESTED: &str = "close_requested";

#[tauri::command]
pub(crate) fn runs_list(runs: State<'_, Arc<Runs>>) -> Vec<RunSummary> {
    runs.list()
}

/// Rejects `not_found` when the run has ended (its last message was sent on the old channel).
#[tauri::command]
pub(crate) fn run_attach(
    run_id: String,
    on_event: Channel<Value>,
    runs: State<'_, Arc<Runs>>,
) -> Result<(), CommandError> {
    runs.attach(&run_id, on_event)
}

/// The active profile's runs that stopped without finishing, oldest first, with each gateway's
/// (or node's) last known stage.
#[tauri::command]
pub(crate) async fn runs_interrupted(
    connection: State<'_, TenantConnection>,
) -> Result<Vec<InterruptedRunView>, CommandError> {
    let tenant = connection.tenant().await?;
    Ok(tenant
        .runs()
        .interrupted()?
        .into_iter()
        .filter(|r| r.plan.profile == tenant.name())
        .map(InterruptedRunView::from)
        .collect())
}

/// Resumes an interrupted run as a new run in flight streaming on `on_event`: the core decides
/// from the journal what is repeated (a gateway that checked in after its recorded restart is
/// only watched). Rejects `not_found` (unknown or finished run), `run_in_flight`.
#[tauri::command]
pub(crate) async fn run_resume(
    run_id: String,
    on_event: Channel<Value>,
    connection: State<'_, TenantConnection>,
    runs: State<'_, Arc<Runs>>,
) -> Result<RunStarted, CommandError> {
    let tenant = connection.tenant().await?;
    match tenant.runs().plan(&run_id)?.kind {
        CoreRunKind::UpdateNow => resume_update_now(&tenant, &run_id, on_event, &runs).await,
        CoreRunKind::NodeUpdate => resume_node_update(&tenant, &run_id, on_event, &runs).await,
    }
}

/// `run_resume` of an update-now run: the core's `ResumedRun` with the options it started with.
async fn resume_update_now(
    tenant: &Tenant,
    run_id: &str,
    on_event: Channel<Value>,
    runs: &Arc<Runs>,
) -> Result<RunStarted, CommandError> {
    let taken = ResumedRun::take(&tenant.runs(), tenant.name(), run_id)?;
    let rollout = tenant
        .prepare_update_now(&taken.group_id, tenant.rollout_settings())
        .await?;
    let run = runs.start_with(
        RunKind::UpdateNow,
        Some(taken.group_id.to_string()),
        Some(UpdateNowOptions::from_core(&taken.options)),
        on_event,
    );
    Ok(runs.spawn(run, move |run| {
        work_update_now(
            rollout,
            taken.run,
            taken.devices,
            Some(taken.resume),
            taken.options,
            run,
        )
    }))
}

/// `run_resume` of a node-update run: the journal's history says which nodes are done.
async fn resume_node_update(
    tenant: &Tenant,
    run_id: &str,
    on_event: Channel<Value>,
    runs: &Arc<Runs>,
) -> Result<RunStarted, CommandError> {
    let registry = tenant.runs();
    let (active, plan) = registry.resume_as(run_id, CoreRunKind::NodeUpdate, tenant.name())?;
    let history = registry.history(&plan)?;
    let nodes = planned_nodes(&plan)?;
    let fleet = tenant.fleet().await?;
    let settings = tenant.node_settings();
    let run = runs.start(RunKind::NodeUpdate, None, on_event);
    Ok(runs.spawn(run, move |run| async move {
        let progress = |event| run.send(NodeUpdateEvent::from(event));
        let cancel = run.cancel_token();
        let report = update_nodes_in(
            &fleet,
            active,
            nodes,
            Some(&history),
            &settings,
            &cancel,
            &progress,
        )
        .await;
        NodeUpdateEvent::from(report)
    }))
}

/// Gives up on an interrupted run: it is no longer listed (its journal lines stay).
#[tauri::command]
pub(crate) async fn run_discard(
    run_id: String,
    connection: State<'_, TenantConnection>,
) -> Result<(), CommandError> {
    let tenant = connection.tenant().await?;
    Ok(tenant.runs().discard(&run_id)?)
}

/// The window's "stop the runs and close": every run in flight is cancelled (each stops
/// between two steps and journals what was done), and the app exits once they have all ended.
#[tauri::command]
pub(crate) fn close_after_runs(app: AppHandle, runs: State<'_, Arc<Runs>>) {
    runs.cancel_all();
    let runs = Arc::clone(&runs);
    tauri::async_runtime::spawn(async move {
        while runs.busy() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        app.exit(0);
    });
}

/// Whether a close request of the main window must be asked about first: true (and the window
/// told) while a run is in flight.
pub(crate) fn hold_close(app: &AppHandle, runs: &Runs) -> bool {
    if !runs.busy() {
        return false;
    }
    if let Err(error) = app.emit(CLOSE_REQUESTED, ()) {
        tracing::warn!(%error, "the window could not be asked about closing");
        return false;
    }
    true
}
