//! Commands of steps 1, 3 and 4: device groups, the deployment preflight and diff, creating a
//! deployment, and the deployment history (from which a rollback is planned like any other).

use tauri::State;

use asg_fota_core::cloud::model::{DeviceGroupId, ImageId};
use asg_fota_core::workflow::deploy::{self, Recorder};
use asg_fota_core::workflow::groups::{self, LocalKinds};
use asg_fota_core::workflow::upload;

use crate::commands::on_worker;
use crate::commands::views::{Deployment, Group, Plan};
use crate::error::CommandError;
use crate::tenant::TenantConnection;
use crate::work::WorkInFlight;

/// Step 1: every group of the tenant or catalog with its policy and current deployment.
#[tauri::command]
pub(crate) async fn groups_list(
    connection: State<'_, TenantConnection>,
    work: State<'_, WorkInFlight>,
) -> Result<Vec<Group>, CommandError> {
    let session = connection.session().await?;
    let kinds = local_kinds(&connection, &work);
    on_worker(move || async move {
        let views = groups::group_views(session.plane(), &kinds).await?;
        Ok(views.iter().map(Group::from).collect())
    })
    .await
}

/// Step 3: the preflight and the diff against the current deployment, before any change.
#[tauri::command]
pub(crate) async fn deployment_plan(
    group_id: String,
    image_ids: Vec<String>,
    connection: State<'_, TenantConnection>,
    work: State<'_, WorkInFlight>,
) -> Result<Plan, CommandError> {
    let session = connection.session().await?;
    let images: Vec<ImageId> = image_ids.into_iter().map(ImageId::new).collect();
    let planned = deploy::plan_deployment(
        session.plane(),
        &DeviceGroupId::new(group_id),
        &images,
        &local_kinds(&connection, &work),
    )
    .await?;
    Ok(Plan::of(&planned.plan, &planned.group))
}

/// Step 3's "Create" after the confirmation: runs the preflight again on fresh data, creates the
/// deployment, waits for the service to finish, and journals it.
#[tauri::command]
pub(crate) async fn deployment_create(
    group_id: String,
    image_ids: Vec<String>,
    connection: State<'_, TenantConnection>,
    work: State<'_, WorkInFlight>,
) -> Result<Deployment, CommandError> {
    let session = connection.session().await?;
    let (journal, actor) = connection.journal()?;
    let images: Vec<ImageId> = image_ids.into_iter().map(ImageId::new).collect();
    let recorder = Recorder {
        journal: &journal,
        actor: &actor,
    };
    let group = DeviceGroupId::new(group_id);
    let created = deploy::create(
        session.plane(),
        recorder,
        &group,
        &images,
        &local_kinds(&connection, &work),
        None,
    )
    .await?;
    Ok((&created.deployment).into())
}

/// Step 4: the group's deployments, newest first, the current one marked.
#[tauri::command]
pub(crate) async fn deployments_list(
    group_id: String,
    connection: State<'_, TenantConnection>,
    work: State<'_, WorkInFlight>,
) -> Result<Vec<Deployment>, CommandError> {
    let session = connection.session().await?;
    let history = deploy::history(
        session.plane(),
        &DeviceGroupId::new(group_id),
        &local_kinds(&connection, &work),
    )
    .await?;
    Ok(history.iter().map(Deployment::from).collect())
}

/// What this computer knows of each image's kind: packages read in step 2 during this run, and
/// every upload the journal remembers (the tenant cannot tell a high-level app from a real-time
/// one).
fn local_kinds(connection: &TenantConnection, work: &WorkInFlight) -> LocalKinds {
    let mut kinds = connection
        .journal()
        .ok()
        .and_then(|(journal, _)| upload::remembered_kinds(&journal).ok())
        .unwrap_or_default();
    kinds.extend(work.local_kinds());
    kinds
}
