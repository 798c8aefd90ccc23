//! Commands of steps 1, 3 and 4: device groups, the deployment preflight and diff, creating a
//! deployment, and the deployment history (from which a rollback is planned like any other).

use tauri::State;

use asg_fota_core::cloud::model::{DeviceGroupId, ImageId};

use crate::commands::on_worker;
use crate::tenant::TenantConnection;
use crate::wire::{CommandError, Deployment, Group, GroupsCached, Plan};

fn image_ids(ids: Vec<String>) -> Vec<ImageId> {
    ids.into_iter().map(ImageId::new).collect()
}

/// Step 1 at start-up: the last group list seen for the active profile, read from the data
/// directory without opening the tenant (`null` when there is none or it is unusable). Not
/// async on purpose: a plain command runs on the main thread, which is idle once the page loads,
/// while the async runtime's workers are busy starting the Demo tenant and signing in (measured:
/// as an async command its answer came only with the listing's).
#[tauri::command]
pub(crate) fn groups_cached(
    connection: State<'_, TenantConnection>,
) -> Result<Option<GroupsCached>, CommandError> {
    Ok(connection.host.cached_groups(None)?.map(GroupsCached::from))
}

/// Step 1: every group of the tenant or catalog with its policy and current deployment.
#[tauri::command]
pub(crate) async fn groups_list(
    connection: State<'_, TenantConnection>,
) -> Result<Vec<Group>, CommandError> {
    let tenant = connection.tenant().await?;
    on_worker(move || async move { Ok(tenant.groups().await?.iter().map(Group::from).collect()) })
        .await
}

/// Step 3: the preflight and the diff against the current deployment, before any change.
#[tauri::command]
pub(crate) async fn deployment_plan(
    group_id: String,
    image_ids: Vec<String>,
    connection: State<'_, TenantConnection>,
) -> Result<Plan, CommandError> {
    let tenant = connection.tenant().await?;
    let group = DeviceGroupId::new(group_id);
    let planned = tenant.plan(&group, &self::image_ids(image_ids)).await?;
    Ok(Plan::of(&planned.plan, &planned.group))
}

/// Step 3's "Create" after the confirmation: runs the preflight again on fresh data, creates the
/// deployment, waits for the service to finish, and journals it.
#[tauri::command]
pub(crate) async fn deployment_create(
    group_id: String,
    image_ids: Vec<String>,
    connection: State<'_, TenantConnection>,
) -> Result<Deployment, CommandError> {
    let tenant = connection.tenant().await?;
    let group = DeviceGroupId::new(group_id);
    let created = tenant
        .deploy(&group, &self::image_ids(image_ids), None)
        .await?;
    Ok((&created.deployment).into())
}

/// Step 4: the group's deployments, newest first, the current one marked.
#[tauri::command]
pub(crate) async fn deployments_list(
    group_id: String,
    connection: State<'_, TenantConnection>,
) -> Result<Vec<Deployment>, CommandError> {
    let tenant = connection.tenant().await?;
    let history = tenant.history(&DeviceGroupId::new(group_id)).await?;
    Ok(history.iter().map(Deployment::from).collect())
}
