//! Commands of steps 5 and 6: the group's gateways, "update now", and the nodes behind them.
//!
//! Runs go on in the background after the command answers with a run id; every status read is
//! sent as an event (`update-now-progress`, `node-update-progress`) and the end as a `*-done`.

use std::future::Future;
use std::sync::Arc;

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, State};
use tokio_util::sync::CancellationToken;

use asg_fota_core::cloud::model::{DeviceGroupId, DeviceId};
use asg_fota_core::workflow::fleet::{Fleet, Gateway};
use asg_fota_core::workflow::nodes::{self, NodeRef, NodeRow, NodeUpdateSettings};
use asg_fota_core::workflow::rollout::{Rollout, RolloutSettings};

use crate::commands::on_worker;
use crate::error::CommandError;
use crate::tenant::TenantConnection;
use crate::work::WorkInFlight;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RunStarted {
    run_id: String,
}

#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Tagged<T: Serialize> {
    run_id: String,
    #[serde(flatten)]
    event: T,
}

async fn fleet(connection: &TenantConnection) -> Result<Fleet, CommandError> {
    let session = connection.session().await?;
    let (journal, actor) = connection.journal()?;
    Ok(Fleet::from_session(&session)
        .await?
        .with_journal(journal, actor))
}

fn device_ids(ids: &[String]) -> Result<Vec<DeviceId>, CommandError> {
    ids.iter()
        .map(|id| DeviceId::parse(id).map_err(CommandError::from))
        .collect()
}

/// The two events of a background run: one per status read, and one with the final report.
struct RunEvents {
    progress: &'static str,
    done: &'static str,
}

const UPDATE_NOW: RunEvents = RunEvents {
    progress: "update-now-progress",
    done: "update-now-done",
};
const NODE_UPDATE: RunEvents = RunEvents {
    progress: "node-update-progress",
    done: "node-update-done",
};

/// A run's progress callback, as the core's runs take it.
type Progress<E> = Arc<dyn Fn(E) + Send + Sync>;

/// Starts `run` in the background under a new run id: every progress event and the final report
/// reach the window tagged with that id, and the run is forgotten when it ends (or is cancelled
/// through its token).
fn spawn_run<E, R, F, Fut>(
    app: AppHandle,
    work: &WorkInFlight,
    prefix: &str,
    events: RunEvents,
    run: F,
) -> RunStarted
where
    E: Serialize + Clone + Send + 'static,
    R: Serialize + Clone + Send + 'static,
    F: FnOnce(CancellationToken, Progress<E>) -> Fut + Send + 'static,
    Fut: Future<Output = R> + Send + 'static,
{
    let (run_id, cancel) = work.start_run(prefix);
    let started = RunStarted {
        run_id: run_id.clone(),
    };
    tauri::async_runtime::spawn(async move {
        let (window, tag) = (app.clone(), run_id.clone());
        let progress: Progress<E> = Arc::new(move |event| {
            emit(
                &window,
                events.progress,
                Tagged {
                    run_id: tag.clone(),
                    event,
                },
            )
        });
        let report = run(cancel, progress).await;
        emit(
            &app,
            events.done,
            Tagged {
                run_id: run_id.clone(),
                event: report,
            },
        );
        app.state::<WorkInFlight>().finish_run(&run_id);
    });
    started
}

fn emit<T: Serialize + Clone>(app: &AppHandle, event: &str, payload: T) {
    if let Err(error) = app.emit(event, payload) {
        tracing::warn!(%error, event, "progress could not reach the window");
    }
}

/// Step 5's table: the group's gateways with their IoT Hub state.
#[tauri::command]
pub(crate) async fn gateways_list(
    group_id: String,
    connection: State<'_, TenantConnection>,
) -> Result<Vec<Gateway>, CommandError> {
    let fleet = fleet(&connection).await?;
    on_worker(move || async move { Ok(fleet.gateways(&DeviceGroupId::new(group_id)).await?) }).await
}

/// Step 5's "Update now": moves, restarts and watches the chosen gateways in the background.
#[tauri::command]
pub(crate) async fn update_now_start(
    group_id: String,
    device_ids: Vec<String>,
    app: AppHandle,
    connection: State<'_, TenantConnection>,
    work: State<'_, WorkInFlight>,
) -> Result<RunStarted, CommandError> {
    let devices = self::device_ids(&device_ids)?;
    let fleet = fleet(&connection).await?;
    let settings = RolloutSettings::for_profile(fleet.contract(), connection.concurrency()?);
    let rollout = Rollout::prepare(fleet, &DeviceGroupId::new(group_id), settings).await?;
    if let Some(reason) = rollout.policy_block() {
        return Err(CommandError::new("policy_blocks_updates", reason));
    }
    let run = spawn_run(
        app,
        &work,
        "update",
        UPDATE_NOW,
        move |cancel, progress| async move { rollout.run(devices, &cancel, &*progress).await },
    );
    Ok(run)
}

#[tauri::command]
pub(crate) fn update_now_cancel(run_id: String, work: State<'_, WorkInFlight>) {
    work.cancel_run(&run_id);
}

/// Step 6's matrix: the nodes behind the given gateways.
#[tauri::command]
pub(crate) async fn nodes_list(
    device_ids: Vec<String>,
    connection: State<'_, TenantConnection>,
) -> Result<Vec<NodeRow>, CommandError> {
    let devices = self::device_ids(&device_ids)?;
    let fleet = fleet(&connection).await?;
    on_worker(move || async move { Ok(nodes::node_matrix(&fleet, &devices).await?) }).await
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeItem {
    gateway_id: String,
    mac: String,
}

/// Step 6's "Update" / "Update all outdated": updates the nodes in the background.
#[tauri::command]
pub(crate) async fn node_update_start(
    items: Vec<NodeItem>,
    app: AppHandle,
    connection: State<'_, TenantConnection>,
    work: State<'_, WorkInFlight>,
) -> Result<RunStarted, CommandError> {
    let refs = items
        .into_iter()
        .map(|item| {
            Ok(NodeRef {
                gateway_id: DeviceId::parse(&item.gateway_id)?,
                mac: item.mac,
            })
        })
        .collect::<Result<Vec<_>, asg_fota_core::cloud::CloudError>>()?;
    let fleet = fleet(&connection).await?;
    let settings = NodeUpdateSettings {
        concurrency: connection.concurrency()? as usize,
        ..NodeUpdateSettings::default()
    };
    let run = spawn_run(
        app,
        &work,
        "nodes",
        NODE_UPDATE,
        move |cancel, progress| async move {
            nodes::update_nodes(&fleet, refs, &settings, &cancel, &*progress).await
        },
    );
    Ok(run)
}

#[tauri::command]
pub(crate) fn node_update_cancel(run_id: String, work: State<'_, WorkInFlight>) {
    work.cancel_run(&run_id);
}
