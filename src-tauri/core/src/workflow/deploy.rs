//! Step 3's create and step 4's history and redeploy.
//!
//! This module owns the rule that no deployment is created without a preflight: [`create`] plans
//! again against tenant data read right before the call (so a plan confirmed minutes ago cannot
//! slip past a change made since), refuses a blocked plan, sends exactly the planned image set
//! (never part of it), waits for the service's operation, and journals the outcome. A retry after a
//! lost answer does not create a duplicate: the cloud client checks whether the earlier attempt
//! took effect before sending again.
//!
//! A redeploy (a rollback to an earlier row of the history) is the same path with that row's
//! image ids: plan, confirm, create.

use serde::Serialize;

use super::groups::{
    current_deployment_of, group_view, DeploymentView, GroupView, ImageCatalog, LocalKinds,
};
use super::journal::{Action, Actor, Detail, Journal, Outcome, Target};
use super::plan::{plan, DeploymentPlan, ImageLookup, PlanRequest};
use crate::cloud::model::{DeploymentId, DeviceGroupId, ImageId};
use crate::cloud::{CloudError, ControlPlane};

/// Why a deployment was not created.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The preflight found something the service or the devices would reject.
    #[error("the deployment was not created because the preflight found problems:\n{}", .plan.problem_text())]
    PreflightFailed { plan: Box<DeploymentPlan> },
    /// The tenant changed between the confirmed plan and the fresh one (someone deployed, an
    /// image was removed): the user must look at the new plan.
    #[error("the group's deployment changed since the plan was confirmed: review the new plan and confirm again")]
    PlanChanged { plan: Box<DeploymentPlan> },
    /// The history holds no such deployment.
    #[error("deployment {id} is not in the group's history: reload the history")]
    UnknownDeployment { id: DeploymentId },
    #[error(transparent)]
    Cloud(#[from] CloudError),
}

impl DeployError {
    /// A stable snake_case code for the UI and `--json`.
    pub fn kind(&self) -> &'static str {
        match self {
            DeployError::PreflightFailed { .. } => "preflight_failed",
            DeployError::PlanChanged { .. } => "conflict",
            DeployError::UnknownDeployment { .. } => "not_found",
            DeployError::Cloud(e) => e.kind(),
        }
    }

    /// The plan that refused the deployment, if that is why.
    pub fn plan(&self) -> Option<&DeploymentPlan> {
        match self {
            DeployError::PreflightFailed { plan } | DeployError::PlanChanged { plan } => Some(plan),
            _ => None,
        }
    }
}

/// A plan with the group it was made for.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedDeployment {
    pub plan: DeploymentPlan,
    pub group: GroupView,
}

/// A created deployment with the plan it passed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedDeployment {
    pub plan: DeploymentPlan,
    pub deployment: DeploymentView,
}

/// Who makes changes and where they are recorded.
#[derive(Debug, Clone, Copy)]
pub struct Recorder<'a> {
    pub journal: &'a Journal,
    pub actor: &'a Actor,
}

/// The preflight and diff of deploying `images` to `group`, read from the tenant now.
pub async fn plan_deployment(
    plane: &ControlPlane,
    group: &DeviceGroupId,
    images: &[ImageId],
    local: &LocalKinds,
) -> Result<PlannedDeployment, CloudError> {
    let view = group_view(plane, group, local).await?;
    let reach_devices = match view.device_count {
        Some(n) => n,
        // The confirmation must say how many devices the change reaches: a failed count is an
        // error here, not a blank.
        None => plane.count_devices(group).await?,
    };
    let mut catalog = ImageCatalog::new(local.clone());
    catalog.fetch(plane, images).await?;
    let request = PlanRequest {
        requested: images.iter().map(|id| catalog.lookup(id)).collect(),
        current: view
            .current_deployment
            .as_ref()
            .map(DeploymentView::found)
            .unwrap_or_default(),
        update_policy: view.update_policy.clone(),
        reach_devices,
        as_of: view.as_of,
    };
    Ok(PlannedDeployment {
        plan: plan(&request),
        group: view,
    })
}

/// Creates the deployment of `images` after a fresh preflight, waits for it, and journals it.
/// With `confirmed`, the fresh plan's diff must equal the confirmed one's (else `PlanChanged`).
pub async fn create(
    plane: &ControlPlane,
    recorder: Recorder<'_>,
    group: &DeviceGroupId,
    images: &[ImageId],
    local: &LocalKinds,
    confirmed: Option<&DeploymentPlan>,
) -> Result<CreatedDeployment, DeployError> {
    let fresh = plan_deployment(plane, group, images, local).await?;
    if fresh.plan.is_blocked() {
        return Err(DeployError::PreflightFailed {
            plan: Box::new(fresh.plan),
        });
    }
    if confirmed.is_some_and(|c| c.diff != fresh.plan.diff || c.images != fresh.plan.images) {
        return Err(DeployError::PlanChanged {
            plan: Box::new(fresh.plan),
        });
    }
    let mut target = Target {
        group_id: Some(group.to_string()),
        group_name: Some(fresh.group.name.clone()),
        image_ids: fresh.plan.images.iter().map(ToString::to_string).collect(),
        image_names: fresh
            .plan
            .resolved
            .iter()
            .map(|i| i.name.clone().unwrap_or_default())
            .collect(),
        ..Target::default()
    };
    // Exactly the planned set: the preflight found every id in the tenant, so nothing is dropped.
    let created = match plane.create_deployment(group, &fresh.plan.images).await {
        Ok(d) => d,
        Err(error) => {
            recorder.journal.record_or_warn(
                recorder.actor,
                Action::Deploy,
                target,
                Outcome::Failed,
                Detail::error(error.kind(), error.to_string()),
            );
            return Err(error.into());
        }
    };
    target.deployment_id = Some(created.id.to_string());
    recorder.journal.record_or_warn(
        recorder.actor,
        Action::Deploy,
        target,
        Outcome::Ok,
        Detail::said(
            "deployed",
            serde_json::json!({"images": fresh.plan.images.len(), "devices": fresh.plan.reach_devices}),
            format!(
                "deployment of {} image(s) reaching {} device(s)",
                fresh.plan.images.len(),
                fresh.plan.reach_devices
            ),
        ),
    );
    let mut catalog = ImageCatalog::new(local.clone());
    for image in &fresh.plan.resolved {
        // Reuse what the plan read instead of asking again.
        catalog.remember(ImageLookup::Found(image.clone()));
    }
    let deployment = catalog.deployment(plane, &created, true).await?;
    Ok(CreatedDeployment {
        plan: fresh.plan,
        deployment,
    })
}

/// The group's deployments, newest first, the current one marked, images resolved.
pub async fn history(
    plane: &ControlPlane,
    group: &DeviceGroupId,
    local: &LocalKinds,
) -> Result<Vec<DeploymentView>, CloudError> {
    let group_record = plane.device_group(group).await?;
    let (current, mut all) = tokio::try_join!(
        current_deployment_of(plane, &group_record),
        plane.deployments(group)
    )?;
    let current_id = current.map(|d| d.id);
    // Newest first; a deployment without a date goes last, in the service's order.
    all.sort_by_key(|d| std::cmp::Reverse(d.deployed_at));
    let mut catalog = ImageCatalog::new(local.clone());
    let ids: Vec<ImageId> = all.iter().flat_map(|d| d.images.iter().cloned()).collect();
    catalog.fetch(plane, &ids).await?;
    let mut views = Vec::with_capacity(all.len());
    for d in &all {
        let current = current_id.as_ref() == Some(&d.id);
        views.push(catalog.deployment(plane, d, current).await?);
    }
    Ok(views)
}

/// The plan of redeploying an earlier deployment of `group` (a rollback).
pub async fn plan_redeploy(
    plane: &ControlPlane,
    group: &DeviceGroupId,
    deployment: &DeploymentId,
    local: &LocalKinds,
) -> Result<PlannedDeployment, DeployError> {
    let images = images_of(plane, group, deployment).await?;
    Ok(plan_deployment(plane, group, &images, local).await?)
}

/// Redeploys an earlier deployment through the same preflight and create path.
pub async fn redeploy(
    plane: &ControlPlane,
    recorder: Recorder<'_>,
    group: &DeviceGroupId,
    deployment: &DeploymentId,
    local: &LocalKinds,
    confirmed: Option<&DeploymentPlan>,
) -> Result<CreatedDeployment, DeployError> {
    let images = images_of(plane, group, deployment).await?;
    create(plane, recorder, group, &images, local, confirmed).await
}

async fn images_of(
    plane: &ControlPlane,
    group: &DeviceGroupId,
    deployment: &DeploymentId,
) -> Result<Vec<ImageId>, DeployError> {
    plane
        .deployments(group)
        .await?
        .into_iter()
        .find(|d| &d.id == deployment)
        .map(|d| d.images)
        .ok_or_else(|| DeployError::UnknownDeployment {
            id: deployment.clone(),
        })
}
