//! Step 1's view: the products and device groups of the tenant (legacy) or catalog (ARM), each with
//! its device count, update policy, OS feed and what its current deployment holds.
//!
//! This module owns reading that view and resolving image ids to names and kinds. Every read is
//! stamped with the time it was made (`as_of`), because the UI shows cloud state that may change
//! under it. Groups are read concurrently, a few at a time, so a tenant with dozens of groups is not
//! read one group after another and the service is not flooded either.

use std::collections::{HashMap, HashSet};

use futures_util::{StreamExt, TryStreamExt};
use serde::Serialize;
use time::OffsetDateTime;

use super::plan::{policy_blocks_apps, ImageLookup, PlannedImage};
use crate::cloud::model::{
    Deployment, DeploymentId, DeviceGroup, DeviceGroupId, ImageId, OsFeed, UpdatePolicy,
};
use crate::cloud::{CloudError, ControlPlane};
use crate::imagepackage::PackageKind;

/// How many groups (and images) are read at once.
pub const READ_CONCURRENCY: usize = 4;

/// What the product knows locally about image kinds (from package files inspected in step 2);
/// the tenant does not say whether an application is an HLApp or an RTApp.
pub type LocalKinds = HashMap<ImageId, PackageKind>;

/// A deployment with its images resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentView {
    pub id: DeploymentId,
    #[serde(with = "time::serde::rfc3339::option")]
    pub date: Option<OffsetDateTime>,
    /// Whether this is the group's current deployment.
    pub current: bool,
    /// The images, in the deployment's order; an image the tenant no longer lists is `Missing`.
    pub images: Vec<ImageLookup>,
}

impl DeploymentView {
    /// The image ids, in order (what a redeploy sends).
    pub fn image_ids(&self) -> Vec<ImageId> {
        self.images
            .iter()
            .map(|l| match l {
                ImageLookup::Found(i) => i.id.clone(),
                ImageLookup::Missing(id) => id.clone(),
            })
            .collect()
    }

    /// The images the tenant still holds.
    pub fn found(&self) -> Vec<PlannedImage> {
        self.images
            .iter()
            .filter_map(|l| match l {
                ImageLookup::Found(i) => Some(i.clone()),
                ImageLookup::Missing(_) => None,
            })
            .collect()
    }
}

/// One row of step 1.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupView {
    pub id: DeviceGroupId,
    pub name: String,
    pub product_id: crate::cloud::model::ProductId,
    pub product_name: Option<String>,
    pub description: Option<String>,
    /// `None` when counting failed (the row still shows; the count says "unknown").
    pub device_count: Option<u64>,
    pub os_feed: Option<OsFeed>,
    pub update_policy: Option<UpdatePolicy>,
    /// Whether the policy keeps customer images from reaching the devices.
    pub policy_blocks_apps: bool,
    pub current_deployment: Option<DeploymentView>,
    #[serde(with = "time::serde::rfc3339")]
    pub as_of: OffsetDateTime,
}

/// Resolves image ids to what the tenant says about them, each id read once per resolver.
#[derive(Debug, Default)]
pub struct ImageCatalog {
    known: HashMap<ImageId, ImageLookup>,
    local: LocalKinds,
}

impl ImageCatalog {
    /// A resolver that knows the kinds of local packages.
    pub fn new(local: LocalKinds) -> Self {
        Self {
            known: HashMap::new(),
            local,
        }
    }

    /// Reads every id not read yet, a few at a time. A missing image is `Missing`, not an error.
    pub async fn fetch(
        &mut self,
        plane: &ControlPlane,
        ids: impl IntoIterator<Item = &ImageId>,
    ) -> Result<(), CloudError> {
        let wanted: HashSet<ImageId> = ids
            .into_iter()
            .filter(|id| !self.known.contains_key(*id))
            .cloned()
            .collect();
        let local = &self.local;
        let read: Vec<(ImageId, ImageLookup)> = futures_util::stream::iter(wanted)
            .map(|id| async move {
                match plane.image(&id).await {
                    Ok(info) => {
                        let kind = local.get(&id).copied();
                        Ok((
                            id,
                            ImageLookup::Found(PlannedImage::from_tenant(&info, kind)),
                        ))
                    }
                    Err(CloudError::NotFound { .. }) => Ok((id.clone(), ImageLookup::Missing(id))),
                    Err(e) => Err(e),
                }
            })
            .buffer_unordered(READ_CONCURRENCY)
            .try_collect()
            .await?;
        self.known.extend(read);
        Ok(())
    }

    /// Adds what was already read elsewhere (a plan's images), so it is not read again.
    pub fn remember(&mut self, lookup: ImageLookup) {
        let id = match &lookup {
            ImageLookup::Found(i) => i.id.clone(),
            ImageLookup::Missing(id) => id.clone(),
        };
        self.known.insert(id, lookup);
    }

    /// What was read about `id` (`Missing` when it was not fetched or not found).
    pub fn lookup(&self, id: &ImageId) -> ImageLookup {
        self.known
            .get(id)
            .cloned()
            .unwrap_or_else(|| ImageLookup::Missing(id.clone()))
    }

    /// Resolves a deployment's images (fetching the ones not read yet).
    pub async fn deployment(
        &mut self,
        plane: &ControlPlane,
        deployment: &Deployment,
        current: bool,
    ) -> Result<DeploymentView, CloudError> {
        self.fetch(plane, &deployment.images).await?;
        Ok(DeploymentView {
            id: deployment.id.clone(),
            date: deployment.deployed_at,
            current,
            images: deployment.images.iter().map(|id| self.lookup(id)).collect(),
        })
    }
}

/// The group's current deployment: embedded in the legacy answer, read separately on ARM.
pub(crate) async fn current_deployment_of(
    plane: &ControlPlane,
    group: &DeviceGroup,
) -> Result<Option<Deployment>, CloudError> {
    if group.current_deployment.is_some() || group.has_deployment == Some(false) {
        return Ok(group.current_deployment.clone());
    }
    plane.current_deployment(&group.id).await
}

/// One group's row, read now.
pub async fn group_view(
    plane: &ControlPlane,
    group: &DeviceGroupId,
    local: &LocalKinds,
) -> Result<GroupView, CloudError> {
    let (group, products) = tokio::try_join!(plane.device_group(group), plane.products())?;
    let product_names = products.into_iter().map(|p| (p.id, p.name)).collect();
    let mut catalog = ImageCatalog::new(local.clone());
    view_of(plane, group, &product_names, &mut catalog).await
}

/// Every group of the tenant or catalog, with product names, sorted by product then group name.
pub async fn group_views(
    plane: &ControlPlane,
    local: &LocalKinds,
) -> Result<Vec<GroupView>, CloudError> {
    let (products, groups) = tokio::try_join!(plane.products(), plane.device_groups())?;
    let product_names: HashMap<_, _> = products
        .into_iter()
        .map(|p| (p.id.clone(), p.name))
        .collect();
    // Images shared by several groups' deployments are read once.
    let mut catalog = ImageCatalog::new(local.clone());
    let mut deployments = Vec::with_capacity(groups.len());
    let currents: Vec<Option<Deployment>> = futures_util::stream::iter(&groups)
        .map(|g| current_deployment_of(plane, g))
        .buffered(READ_CONCURRENCY)
        .try_collect()
        .await?;
    for d in currents.iter().flatten() {
        deployments.extend(d.images.iter().cloned());
    }
    catalog.fetch(plane, &deployments).await?;
    let catalog = &catalog;
    let product_names = &product_names;
    let mut views: Vec<GroupView> = futures_util::stream::iter(groups.into_iter().zip(currents))
        .map(|(group, current)| async move {
            let device_count = count_or_none(plane, &group.id).await;
            let current_deployment = current.map(|d| DeploymentView {
                id: d.id.clone(),
                date: d.deployed_at,
                current: true,
                images: d.images.iter().map(|id| catalog.lookup(id)).collect(),
            });
            assemble(group, product_names, device_count, current_deployment)
        })
        .buffered(READ_CONCURRENCY)
        .collect()
        .await;
    views.sort_by(|a, b| {
        (a.product_name.as_deref(), a.name.as_str())
            .cmp(&(b.product_name.as_deref(), b.name.as_str()))
    });
    Ok(views)
}

async fn view_of(
    plane: &ControlPlane,
    group: DeviceGroup,
    product_names: &HashMap<crate::cloud::model::ProductId, String>,
    catalog: &mut ImageCatalog,
) -> Result<GroupView, CloudError> {
    let current = current_deployment_of(plane, &group).await?;
    let current_deployment = match &current {
        Some(d) => Some(catalog.deployment(plane, d, true).await?),
        None => None,
    };
    let device_count = count_or_none(plane, &group.id).await;
    Ok(assemble(
        group,
        product_names,
        device_count,
        current_deployment,
    ))
}

/// The device count, or `None` with a log line: one group's failed count should not hide the list.
async fn count_or_none(plane: &ControlPlane, group: &DeviceGroupId) -> Option<u64> {
    match plane.count_devices(group).await {
        Ok(n) => Some(n),
        Err(error) => {
            tracing::warn!(%error, group = %group, "device count not read");
            None
        }
    }
}

fn assemble(
    group: DeviceGroup,
    product_names: &HashMap<crate::cloud::model::ProductId, String>,
    device_count: Option<u64>,
    current_deployment: Option<DeploymentView>,
) -> GroupView {
    let product_name = group
        .product_name
        .clone()
        .or_else(|| product_names.get(&group.product).cloned());
    GroupView {
        policy_blocks_apps: group.update_policy.as_ref().is_some_and(policy_blocks_apps),
        id: group.id,
        name: group.name,
        product_id: group.product,
        product_name,
        description: group.description,
        device_count,
        os_feed: group.os_feed,
        update_policy: group.update_policy,
        current_deployment,
        as_of: OffsetDateTime::now_utc(),
    }
}
