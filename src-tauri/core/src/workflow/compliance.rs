//! The fleet overview: where every gateway and node of the tenant (or of one group) stands against
//! its group's current deployment, as of when, and according to which source.
//!
//! This module owns the compliance report: per product and device group, how many gateways are
//! **on target**, **pending** (not checked in since the deployment), **failed** (checked in since,
//! but reporting other versions), **offline** or **unknown**, and how many WIZ750SR nodes are
//! **outdated**, **up to date** or **updating**. Every figure carries the ids of the gateways behind
//! it (for drill-down into steps 5 and 6), the time of the oldest read it rests on, and its source
//! (the control plane, the IoT Hub twin, or both).
//!
//! # How a gateway is classified
//!
//! One gateway, one status, decided in this order (the first that applies wins):
//! 1. **unknown** — the gateway has no twin on the hub, or its group has no current deployment
//!    (there is no target), or its twin reports a connection state this version does not know;
//! 2. **offline** — its twin says `Disconnected` (what it reports is stale, and nothing can be
//!    done to it now);
//! 3. **on target** — its reported versions meet the versions derived from the deployment's image
//!    names ([`expected_versions`], the same rule as "update now");
//! 4. **pending** — its last update check-in (control plane) is older than the deployment, or
//!    missing: it has not had the chance to take it;
//! 5. **failed** — it checked in since the deployment and still reports other versions; when the
//!    deployment's names carry no versions, nothing can be compared and it is **unknown** instead.
//!
//! # Cost
//!
//! The control plane is listed once: the products, the groups, the images (one listing, to read the
//! deployments' image names) and each group's device list, page by page. Twins are read with the
//! batched queries of [`Fleet::twins`] for each page as it arrives, so 10,000 gateways cost about
//! `groups + devices / 100` control-plane pages and `devices / TWIN_BATCH` twin queries, and only
//! a few pages of twins are held at a time.
//!
//! # Time
//!
//! A group's device pages come one after the other (each continuation comes with the previous
//! page), so the groups are read side by side ([`GROUP_CONCURRENCY`]), and within a group the
//! next page is listed while the twins of the pages before it are queried ([`PAGES_AHEAD`]);
//! the twin queries of the whole report share one bound ([`TWIN_QUERIES_IN_FLIGHT`]). A large
//! tenant then takes about as long as its largest group's page chain. [`compliance_with`] tells
//! what it has counted page by page, so a front end can show the figures as they grow.

use std::collections::HashMap;

use futures_util::{StreamExt, TryStreamExt};
use serde::Serialize;
use time::OffsetDateTime;
use tokio::sync::Semaphore;

use super::fleet::{reported_text, ConnectionState, Fleet};
use super::groups::current_deployment_of;
use super::journal::Said;
use super::nodes::nodes_of;
use super::plan::policy_blocks_apps;
use super::rollout::{expected_versions, TargetVersions};
use crate::cloud::iothub::Twin;
use crate::cloud::model::{
    Deployment, DeploymentId, Device, DeviceGroup, DeviceGroupId, DeviceId, ImageId, ImageInfo,
    ProductId, UpdatePolicy,
};
use crate::cloud::CloudError;
use crate::profiles::DeviceContract;
use crate::session::{resolve_group, SessionError};

/// Where a figure's deciding facts come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The Azure Sphere control plane (legacy API or ARM): groups, deployments, check-ins.
    ControlPlane,
    /// The gateway's IoT Hub device twin: connection, reported versions, nodes.
    IotHubTwin,
}

/// A gateway's status against its group's current deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GatewayStatus {
    OnTarget,
    Pending,
    Failed,
    Offline,
    Unknown,
}

/// A node's firmware state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeStatus {
    /// The gateway offers newer firmware than the node runs.
    Outdated,
    /// The node runs the firmware its gateway offers (or newer).
    UpToDate,
    /// An update is running.
    Updating,
    /// The versions cannot be compared (missing or unreadable).
    Unknown,
}

/// One figure of the report: how many, which gateways, as of when, from where.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Figure {
    /// Gateways (or, for node figures, nodes) counted.
    pub count: usize,
    /// The gateways behind the figure (for node figures: the gateways of those nodes, once each).
    pub gateways: Vec<DeviceId>,
    /// The oldest read the figure rests on; `None` when the figure is empty.
    #[serde(with = "time::serde::rfc3339::option")]
    pub as_of: Option<OffsetDateTime>,
    /// Where its deciding facts come from.
    pub sources: Vec<Source>,
}

impl Figure {
    fn add(
        &mut self,
        gateway: &DeviceId,
        count: usize,
        read_at: OffsetDateTime,
        sources: &[Source],
    ) {
        self.count += count;
        if self.gateways.last() != Some(gateway) {
            self.gateways.push(gateway.clone());
        }
        self.as_of = Some(self.as_of.map_or(read_at, |t| t.min(read_at)));
        for s in sources {
            if !self.sources.contains(s) {
                self.sources.push(*s);
                self.sources.sort();
            }
        }
    }

    /// Adds `other`: its count, its as-of (the older wins), its sources, and with `ids` its
    /// gateway ids.
    fn merge(&mut self, other: &Figure, ids: bool) {
        self.count += other.count;
        if ids {
            self.gateways.extend(other.gateways.iter().cloned());
        }
        self.as_of = match (self.as_of, other.as_of) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        for s in &other.sources {
            if !self.sources.contains(s) {
                self.sources.push(*s);
            }
        }
        self.sources.sort();
    }
}

/// The gateway figures of a group, product or fleet.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayFigures {
    pub total: usize,
    pub on_target: Figure,
    pub pending: Figure,
    pub failed: Figure,
    pub offline: Figure,
    pub unknown: Figure,
}

impl GatewayFigures {
    fn figure_mut(&mut self, status: GatewayStatus) -> &mut Figure {
        match status {
            GatewayStatus::OnTarget => &mut self.on_target,
            GatewayStatus::Pending => &mut self.pending,
            GatewayStatus::Failed => &mut self.failed,
            GatewayStatus::Offline => &mut self.offline,
            GatewayStatus::Unknown => &mut self.unknown,
        }
    }

    /// The figure of `status`.
    pub fn figure(&self, status: GatewayStatus) -> &Figure {
        match status {
            GatewayStatus::OnTarget => &self.on_target,
            GatewayStatus::Pending => &self.pending,
            GatewayStatus::Failed => &self.failed,
            GatewayStatus::Offline => &self.offline,
            GatewayStatus::Unknown => &self.unknown,
        }
    }

    fn merge(&mut self, other: &GatewayFigures, ids: bool) {
        self.total += other.total;
        for status in GATEWAY_STATUSES {
            self.figure_mut(status).merge(other.figure(status), ids);
        }
    }
}

/// Every gateway status, in the report's order.
pub const GATEWAY_STATUSES: [GatewayStatus; 5] = [
    GatewayStatus::OnTarget,
    GatewayStatus::Pending,
    GatewayStatus::Failed,
    GatewayStatus::Offline,
    GatewayStatus::Unknown,
];

/// Every node status, in the report's order.
pub const NODE_STATUSES: [NodeStatus; 4] = [
    NodeStatus::Outdated,
    NodeStatus::UpToDate,
    NodeStatus::Updating,
    NodeStatus::Unknown,
];

/// The node figures of a group, product or fleet (counts are nodes; ids are their gateways).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeFigures {
    pub total: usize,
    pub outdated: Figure,
    pub up_to_date: Figure,
    pub updating: Figure,
    pub unknown: Figure,
}

impl NodeFigures {
    fn figure_mut(&mut self, status: NodeStatus) -> &mut Figure {
        match status {
            NodeStatus::Outdated => &mut self.outdated,
            NodeStatus::UpToDate => &mut self.up_to_date,
            NodeStatus::Updating => &mut self.updating,
            NodeStatus::Unknown => &mut self.unknown,
        }
    }

    /// The figure of `status`.
    pub fn figure(&self, status: NodeStatus) -> &Figure {
        match status {
            NodeStatus::Outdated => &self.outdated,
            NodeStatus::UpToDate => &self.up_to_date,
            NodeStatus::Updating => &self.updating,
            NodeStatus::Unknown => &self.unknown,
        }
    }

    fn merge(&mut self, other: &NodeFigures, ids: bool) {
        self.total += other.total;
        for status in NODE_STATUSES {
            self.figure_mut(status).merge(other.figure(status), ids);
        }
    }
}

/// What a group's gateways are measured against: its current deployment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetView {
    pub deployment_id: DeploymentId,
    #[serde(with = "time::serde::rfc3339::option")]
    pub deployed_at: Option<OffsetDateTime>,
    pub images: Vec<ImageId>,
    /// The expected versions in words (`HLApp 1.2.3, RTApp 1.1.0`).
    pub expected: String,
    /// Whether any version could be derived from the image names.
    pub versions_known: bool,
}

/// One gateway's line in the drill-down.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayCompliance {
    pub device_id: DeviceId,
    pub status: GatewayStatus,
    /// Why, in English words (logs, old front ends).
    pub reason: String,
    /// Why, as data: `fleet.reason.<key>` in the UI's catalogs with `params` (versions).
    pub said: Said,
    pub connection_state: ConnectionState,
    pub hl_app_ver: Option<String>,
    pub rt_app_ver: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_check_in: Option<OffsetDateTime>,
    pub nodes_outdated: usize,
    pub nodes_updating: usize,
    pub nodes_total: usize,
}

/// One device group's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupCompliance {
    pub group_id: DeviceGroupId,
    pub group_name: String,
    pub product_id: ProductId,
    pub product_name: Option<String>,
    pub update_policy: Option<UpdatePolicy>,
    /// Whether the policy keeps the deployment's apps from the gateways (they then fail).
    pub policy_blocks_apps: bool,
    /// The group's current deployment; `None` = no target (every gateway is unknown).
    pub target: Option<TargetView>,
    pub gateways: GatewayFigures,
    pub nodes: NodeFigures,
    /// Every gateway with its status, in listing order.
    pub rows: Vec<GatewayCompliance>,
    /// When the group and its deployment were read.
    #[serde(with = "time::serde::rfc3339")]
    pub as_of: OffsetDateTime,
}

/// One product's groups and their sums.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductCompliance {
    pub product_id: ProductId,
    pub product_name: Option<String>,
    pub gateways: GatewayFigures,
    pub nodes: NodeFigures,
    pub groups: Vec<GroupCompliance>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComplianceReport {
    /// When the first read started.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// When the last read ended.
    #[serde(with = "time::serde::rfc3339")]
    pub as_of: OffsetDateTime,
    pub gateways: GatewayFigures,
    pub nodes: NodeFigures,
    pub products: Vec<ProductCompliance>,
}

/// Why the report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ComplianceError {
    #[error(transparent)]
    Cloud(#[from] CloudError),
    /// The group asked for is not there (or the name is ambiguous).
    #[error(transparent)]
    Group(#[from] SessionError),
}

impl ComplianceError {
    /// A stable kind for the app and scripts.
    pub fn kind(&self) -> &'static str {
        match self {
            ComplianceError::Cloud(e) => e.kind(),
            ComplianceError::Group(_) => "group_not_found",
        }
    }
}

/// The compliance report of the whole tenant or catalog, or of the group `group` names (an id,
/// `product/group` or a unique group name).
pub async fn compliance(
    fleet: &Fleet,
    group: Option<&str>,
) -> Result<ComplianceReport, ComplianceError> {
    compliance_with(fleet, group, &|_| {}).await
}

/// [`compliance`], telling `progress` what it has counted while it counts: the groups it will
/// read, each page of gateways as it is counted, each group when it is complete. A front end
/// draws the figures from these as they arrive (with a [`Tally`] for the sums) instead of
/// waiting for the whole tenant.
pub async fn compliance_with(
    fleet: &Fleet,
    group: Option<&str>,
    progress: &(dyn Fn(Progress<'_>) + Sync),
) -> Result<ComplianceReport, ComplianceError> {
    let started_at = OffsetDateTime::now_utc();
    let plane = fleet.plane();
    let (products, groups, images) =
        tokio::try_join!(plane.products(), plane.device_groups(), plane.images())?;
    let groups = match group {
        Some(spec) => vec![resolve_group(spec, groups, &products)?],
        None => groups,
    };
    let product_names: HashMap<ProductId, String> = products
        .iter()
        .map(|p| (p.id.clone(), p.name.clone()))
        .collect();
    let headings: Vec<GroupHeading> = groups
        .iter()
        .map(|g| GroupHeading::of(g, &product_names))
        .collect();
    progress(Progress::Listed {
        started_at,
        groups: &headings,
    });
    let images: HashMap<ImageId, ImageInfo> =
        images.into_iter().map(|i| (i.id.clone(), i)).collect();
    let read = Reading {
        fleet,
        product_names: &product_names,
        images: &images,
        queries: Semaphore::new(TWIN_QUERIES_IN_FLIGHT),
        progress,
    };
    let read = &read;
    let mut groups: Vec<GroupCompliance> = futures_util::stream::iter(groups)
        .map(|g| async move {
            let group = group_compliance(read, g).await?;
            (read.progress)(Progress::Complete(&group));
            Ok::<_, CloudError>(group)
        })
        .buffer_unordered(GROUP_CONCURRENCY)
        .try_collect()
        .await?;
    groups.sort_by(|a, b| {
        (a.product_name.as_deref(), a.group_name.as_str())
            .cmp(&(b.product_name.as_deref(), b.group_name.as_str()))
    });
    Ok(assemble(started_at, groups))
}

/// How many groups are read at the same time. A group's device pages are sequential (each
/// continuation comes with the previous page), so groups are what runs side by side.
// UNSURE: the Azure Sphere APIs document no throttling (azure-sphere-api.md); the transport
// honours 429 and Retry-After, so a lower bound only makes a large tenant slower, never wrong.
pub const GROUP_CONCURRENCY: usize = 8;

/// How many twin queries one report has in flight at once, across all its groups.
// UNSURE: IoT Hub throttles queries per unit and minute; device-contract.md gives no figure
// (the transport honours 429 and Retry-After).
pub const TWIN_QUERIES_IN_FLIGHT: usize = 8;

/// How many listed pages of one group may wait for their twins while the next page is listed.
const PAGES_AHEAD: usize = 2;

/// What [`compliance_with`] tells while it counts.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// The groups it will count, before any device is read.
    Listed {
        started_at: OffsetDateTime,
        groups: &'a [GroupHeading],
    },
    /// One more page of a group's gateways was counted: the group so far.
    Counted(&'a GroupCompliance),
    /// A group is counted completely.
    Complete(&'a GroupCompliance),
}

/// A group the report will count: what names it before its figures are known.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupHeading {
    pub group_id: DeviceGroupId,
    pub group_name: String,
    pub product_id: ProductId,
    pub product_name: Option<String>,
}

impl GroupHeading {
    fn of(group: &DeviceGroup, product_names: &HashMap<ProductId, String>) -> GroupHeading {
        GroupHeading {
            group_id: group.id.clone(),
            group_name: group.name.clone(),
            product_id: group.product.clone(),
            product_name: group
                .product_name
                .clone()
                .or_else(|| product_names.get(&group.product).cloned()),
        }
    }
}

/// Running sums of the groups counted so far (complete or not), per product and for the fleet:
/// counts, as-of and sources, without gateway ids. Fed with every [`Progress::Counted`] and
/// [`Progress::Complete`], it gives the figures a front end shows while the report is made.
#[derive(Debug, Default)]
pub struct Tally {
    groups: Vec<(DeviceGroupId, ProductId, GatewayFigures, NodeFigures)>,
}

impl Tally {
    /// Takes `group`'s figures so far in place of what it had of that group.
    pub fn update(&mut self, group: &GroupCompliance) {
        let mut gateways = GatewayFigures::default();
        gateways.merge(&group.gateways, false);
        let mut nodes = NodeFigures::default();
        nodes.merge(&group.nodes, false);
        let entry = (
            group.group_id.clone(),
            group.product_id.clone(),
            gateways,
            nodes,
        );
        match self.groups.iter_mut().find(|g| g.0 == group.group_id) {
            Some(known) => *known = entry,
            None => self.groups.push(entry),
        }
    }

    /// The sums of product `product`'s groups (`None`: of every group).
    pub fn sums(&self, product: Option<&ProductId>) -> (GatewayFigures, NodeFigures) {
        let (mut gateways, mut nodes) = (GatewayFigures::default(), NodeFigures::default());
        for (_, p, g, n) in &self.groups {
            if product.is_none_or(|want| want == p) {
                gateways.merge(g, false);
                nodes.merge(n, false);
            }
        }
        (gateways, nodes)
    }
}

/// What every group's read shares: the clients, the listings made once, the bound on twin
/// queries and whom to tell.
struct Reading<'a> {
    fleet: &'a Fleet,
    product_names: &'a HashMap<ProductId, String>,
    images: &'a HashMap<ImageId, ImageInfo>,
    queries: Semaphore,
    progress: &'a (dyn Fn(Progress<'_>) + Sync),
}

/// Sums groups into products and the fleet.
fn assemble(started_at: OffsetDateTime, groups: Vec<GroupCompliance>) -> ComplianceReport {
    let mut products: Vec<ProductCompliance> = Vec::new();
    let (mut gateways, mut nodes) = (GatewayFigures::default(), NodeFigures::default());
    for group in groups {
        gateways.merge(&group.gateways, true);
        nodes.merge(&group.nodes, true);
        let product = match products
            .iter_mut()
            .position(|p| p.product_id == group.product_id)
        {
            Some(i) => &mut products[i],
            None => {
                products.push(ProductCompliance {
                    product_id: group.product_id.clone(),
                    product_name: group.product_name.clone(),
                    gateways: GatewayFigures::default(),
                    nodes: NodeFigures::default(),
                    groups: Vec::new(),
                });
                products.last_mut().expect("just pushed")
            }
        };
        product.gateways.merge(&group.gateways, true);
        product.nodes.merge(&group.nodes, true);
        product.groups.push(group);
    }
    ComplianceReport {
        started_at,
        as_of: OffsetDateTime::now_utc(),
        gateways,
        nodes,
        products,
    }
}

async fn group_compliance(
    read: &Reading<'_>,
    group: DeviceGroup,
) -> Result<GroupCompliance, CloudError> {
    let fleet = read.fleet;
    let plane = fleet.plane();
    let current = current_deployment_of(plane, &group).await?;
    let as_of = OffsetDateTime::now_utc();
    let target = current.as_ref().map(|d| Target::of(d, read.images));
    let heading = GroupHeading::of(&group, read.product_names);
    let mut out = GroupCompliance {
        product_name: heading.product_name,
        policy_blocks_apps: group.update_policy.as_ref().is_some_and(policy_blocks_apps),
        target: target.as_ref().map(|t| t.view.clone()),
        group_id: group.id.clone(),
        group_name: group.name,
        product_id: group.product,
        update_policy: group.update_policy,
        gateways: GatewayFigures::default(),
        nodes: NodeFigures::default(),
        rows: Vec::new(),
        as_of,
    };
    // The pages of a list are sequential, their twins are not: the next pages are listed while
    // the twins of earlier ones are queried (in listing order, so rows keep the list's order).
    let pages =
        futures_util::stream::try_unfold(plane.device_pages(&group.id), |mut pages| async move {
            let page = pages.next_page().await?;
            let listed_at = OffsetDateTime::now_utc();
            Ok::<_, CloudError>(page.map(|devices| ((devices, listed_at), pages)))
        });
    let mut joined = std::pin::pin!(pages
        .map_ok(|(devices, listed_at)| async move {
            let ids: Vec<DeviceId> = devices.iter().map(|d| d.id.clone()).collect();
            let twins = fleet.twins_within(&ids, &read.queries).await?;
            Ok((devices, listed_at, twins))
        })
        .try_buffered(PAGES_AHEAD));
    while let Some((devices, listed_at, twins)) = joined.try_next().await? {
        for device in &devices {
            let twin = twins.get(&device.id);
            out.add(
                device,
                twin.map(|(t, at)| (t, *at)),
                target.as_ref(),
                fleet.contract(),
                listed_at,
            );
        }
        (read.progress)(Progress::Counted(&out));
    }
    Ok(out)
}

/// A deployment with the versions it should bring.
struct Target {
    view: TargetView,
    versions: TargetVersions,
}

impl Target {
    fn of(deployment: &Deployment, images: &HashMap<ImageId, ImageInfo>) -> Target {
        let infos: Vec<ImageInfo> = deployment
            .images
            .iter()
            .filter_map(|id| images.get(id).cloned())
            .collect();
        let versions = expected_versions(&infos);
        Target {
            view: TargetView {
                deployment_id: deployment.id.clone(),
                deployed_at: deployment.deployed_at,
                images: deployment.images.clone(),
                expected: versions.describe(),
                versions_known: versions.is_known(),
            },
            versions,
        }
    }
}

/// Why a gateway has its status: the English sentence and the same as a key with its values.
#[derive(Debug, Clone, PartialEq)]
struct Why {
    text: String,
    said: Said,
}

/// `fleet.reason.<key>` with `params`, and its English `text`.
fn why(key: &str, params: serde_json::Value, text: impl Into<String>) -> Why {
    Why {
        text: text.into(),
        said: Said {
            key: key.to_owned(),
            params: match params {
                serde_json::Value::Object(map) => map,
                _ => serde_json::Map::new(),
            },
        },
    }
}

/// One gateway's status and why (pure: the device record, its twin and the target in).
fn classify(
    device: &Device,
    twin: Option<&Twin>,
    target: Option<&Target>,
    contract: &DeviceContract,
) -> (GatewayStatus, Why, &'static [Source]) {
    let none = serde_json::Value::Null;
    const PLANE: &[Source] = &[Source::ControlPlane];
    const TWIN: &[Source] = &[Source::IotHubTwin];
    const BOTH: &[Source] = &[Source::ControlPlane, Source::IotHubTwin];
    let Some(twin) = twin else {
        return (
            GatewayStatus::Unknown,
            why("no_twin", none, "no device twin on the IoT Hub"),
            TWIN,
        );
    };
    let Some(target) = target else {
        return (
            GatewayStatus::Unknown,
            why(
                "no_deployment",
                none,
                "the group has no deployment to measure against",
            ),
            PLANE,
        );
    };
    match ConnectionState::of(Some(twin)) {
        ConnectionState::Disconnected => {
            return (
                GatewayStatus::Offline,
                why("disconnected", none, "the twin says Disconnected"),
                TWIN,
            )
        }
        ConnectionState::Unknown => {
            return (
                GatewayStatus::Unknown,
                why(
                    "unknown_connection",
                    none,
                    "the twin names no known connection state",
                ),
                TWIN,
            )
        }
        ConnectionState::Connected => {}
    }
    let hl = reported_text(twin, &contract.hl_app_version_property);
    let rt = reported_text(twin, &contract.rt_app_version_property);
    let versions = &target.versions;
    if versions.is_known() && versions.met_by(hl.as_deref(), rt.as_deref()) {
        return (
            GatewayStatus::OnTarget,
            why(
                "on_target",
                serde_json::json!({"versions": versions.describe()}),
                format!("reports {}", versions.describe()),
            ),
            TWIN,
        );
    }
    let checked_in_since = match (device.last_update_request, target.view.deployed_at) {
        (Some(check_in), Some(deployed)) => check_in >= deployed,
        // A deployment without a date cannot be ordered: a check-in is taken as after it.
        (Some(_), None) => true,
        (None, _) => false,
    };
    if !checked_in_since {
        return (
            GatewayStatus::Pending,
            why(
                "not_checked_in",
                none,
                "not checked in since the deployment",
            ),
            PLANE,
        );
    }
    if !versions.is_known() {
        return (
            GatewayStatus::Unknown,
            why(
                "no_versions",
                none,
                "the deployment's image names carry no versions to compare",
            ),
            PLANE,
        );
    }
    let (hl, rt) = (hl.as_deref().unwrap_or("-"), rt.as_deref().unwrap_or("-"));
    let expected = versions.describe();
    (
        GatewayStatus::Failed,
        why(
            "other_versions",
            serde_json::json!({"hl": hl, "rt": rt, "expected": expected}),
            format!(
                "checked in since the deployment but reports HLApp {hl} and RTApp {rt}, expected {expected}"
            ),
        ),
        BOTH,
    )
}

/// A node's status from its row.
fn node_status(row: &super::nodes::NodeRow) -> NodeStatus {
    let running = row
        .update
        .as_ref()
        .is_some_and(|u| u.state.eq_ignore_ascii_case("InProgress"))
        || row
            .status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("UPDATING"));
    if running {
        return NodeStatus::Updating;
    }
    if row.updatable {
        return NodeStatus::Outdated;
    }
    match (row.available.as_deref(), row.current.as_deref()) {
        (Some(a), Some(c)) if super::version::compare(a, c).is_some() => NodeStatus::UpToDate,
        _ => NodeStatus::Unknown,
    }
}

impl GroupCompliance {
    fn add(
        &mut self,
        device: &Device,
        twin: Option<(&Twin, OffsetDateTime)>,
        target: Option<&Target>,
        contract: &DeviceContract,
        listed_at: OffsetDateTime,
    ) {
        let (status, reason, sources) = classify(device, twin.map(|(t, _)| t), target, contract);
        // A figure is as old as the oldest read it rests on.
        let read_at = match twin {
            Some((_, at)) if sources.contains(&Source::IotHubTwin) => at.min(listed_at),
            _ => listed_at,
        };
        self.gateways.total += 1;
        self.gateways
            .figure_mut(status)
            .add(&device.id, 1, read_at, sources);
        let (mut outdated, mut updating, mut total) = (0, 0, 0);
        if let Some((twin, at)) = twin {
            for row in nodes_of(twin, contract, at) {
                let node = node_status(&row);
                total += 1;
                match node {
                    NodeStatus::Outdated => outdated += 1,
                    NodeStatus::Updating => updating += 1,
                    _ => {}
                }
                self.nodes.total += 1;
                self.nodes
                    .figure_mut(node)
                    .add(&device.id, 1, at, &[Source::IotHubTwin]);
            }
        }
        let twin_ref = twin.map(|(t, _)| t);
        self.rows.push(GatewayCompliance {
            device_id: device.id.clone(),
            status,
            reason: reason.text,
            said: reason.said,
            connection_state: ConnectionState::of(twin_ref),
            hl_app_ver: twin_ref.and_then(|t| reported_text(t, &contract.hl_app_version_property)),
            rt_app_ver: twin_ref.and_then(|t| reported_text(t, &contract.rt_app_version_property)),
            last_check_in: device.last_update_request,
            nodes_outdated: outdated,
            nodes_updating: updating,
            nodes_total: total,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::iothub::TwinProperties;
    use crate::workflow::version::FirmwareVersion;

    fn device(check_in: Option<OffsetDateTime>) -> Device {
        Device {
            id: DeviceId::parse(&"ab".repeat(64)).unwrap(),
            product: None,
            group: None,
            chip_sku: None,
            last_available_os_version: None,
            last_installed_os_version: None,
            last_os_update: None,
            last_update_request: check_in,
        }
    }

    fn twin(state: &str, hl: &str, rt: &str, nodes: serde_json::Value) -> Twin {
        let mut reported = serde_json::Map::new();
        reported.insert("HLAppVer".into(), hl.into());
        reported.insert("RTAppVer".into(), rt.into());
        reported.insert("NodeFwAvailable".into(), "1.0.4".into());
        reported.insert("Nodes".into(), nodes);
        Twin {
            device_id: "ab".repeat(64),
            etag: None,
            status: None,
            connection_state: Some(state.into()),
            last_activity_time: None,
            properties: TwinProperties {
                desired: Default::default(),
                reported,
            },
        }
    }

    fn target(deployed_at: OffsetDateTime, hl: Option<&str>) -> Target {
        let versions = TargetVersions {
            hl_app: hl.map(|v| v.parse::<FirmwareVersion>().unwrap()),
            rt_app: None,
            unplaced: Vec::new(),
        };
        Target {
            view: TargetView {
                deployment_id: DeploymentId::new("d"),
                deployed_at: Some(deployed_at),
                images: Vec::new(),
                expected: versions.describe(),
                versions_known: versions.is_known(),
            },
            versions,
        }
    }

    #[test]
    fn gateways_are_classified_in_the_documented_order() {
        let contract = DeviceContract::default();
        let deployed = OffsetDateTime::now_utc() - time::Duration::hours(1);
        let before = Some(deployed - time::Duration::hours(1));
        let after = Some(deployed + time::Duration::minutes(5));
        let t = target(deployed, Some("1.2.3"));
        let none = serde_json::json!({});
        let cases = [
            (device(after), None, Some(&t), GatewayStatus::Unknown),
            (
                device(after),
                Some(twin("Connected", "1.2.3", "1.0.0", none.clone())),
                None,
                GatewayStatus::Unknown,
            ),
            (
                device(after),
                Some(twin("Disconnected", "1.2.3", "1.0.0", none.clone())),
                Some(&t),
                GatewayStatus::Offline,
            ),
            (
                device(before),
                Some(twin("Connected", "1.2.3", "1.0.0", none.clone())),
                Some(&t),
                GatewayStatus::OnTarget,
            ),
            (
                device(before),
                Some(twin("Connected", "1.0.0", "1.0.0", none.clone())),
                Some(&t),
                GatewayStatus::Pending,
            ),
            (
                device(None),
                Some(twin("Connected", "1.0.0", "1.0.0", none.clone())),
                Some(&t),
                GatewayStatus::Pending,
            ),
            (
                device(after),
                Some(twin("Connected", "1.0.0", "1.0.0", none.clone())),
                Some(&t),
                GatewayStatus::Failed,
            ),
            (
                device(after),
                Some(twin("Sleeping", "1.2.3", "1.0.0", none.clone())),
                Some(&t),
                GatewayStatus::Unknown,
            ),
        ];
        for (i, (d, tw, tg, want)) in cases.into_iter().enumerate() {
            let (got, reason, _) = classify(&d, tw.as_ref(), tg, &contract);
            assert_eq!(got, want, "case {i}: {}", reason.text);
        }
        let unversioned = target(deployed, None);
        let tw = twin("Connected", "1.0.0", "1.0.0", none);
        assert_eq!(
            classify(&device(after), Some(&tw), Some(&unversioned), &contract).0,
            GatewayStatus::Unknown
        );
        assert_eq!(
            classify(&device(before), Some(&tw), Some(&unversioned), &contract).0,
            GatewayStatus::Pending
        );
    }

    #[test]
    fn figures_carry_ids_oldest_read_and_sources_and_sum_into_products() {
        let contract = DeviceContract::default();
        let deployed = OffsetDateTime::now_utc() - time::Duration::hours(1);
        let t = target(deployed, Some("1.2.3"));
        let nodes = serde_json::json!({
            "0008DC000001": {"name": "a", "fwVersion": "1.0.1", "status": "READY"},
            "0008DC000002": {"name": "b", "fwVersion": "1.0.4", "status": "READY"},
            "0008DC000003": {"name": "c", "fwVersion": "1.0.1", "status": "UPDATING",
                             "update": {"state": "InProgress", "percent": 40}},
        });
        let mut group = GroupCompliance {
            group_id: DeviceGroupId::new("g"),
            group_name: "G".into(),
            product_id: ProductId::new("p"),
            product_name: Some("P".into()),
            update_policy: None,
            policy_blocks_apps: false,
            target: Some(t.view.clone()),
            gateways: GatewayFigures::default(),
            nodes: NodeFigures::default(),
            rows: Vec::new(),
            as_of: deployed,
        };
        let early = deployed + time::Duration::minutes(1);
        let late = deployed + time::Duration::minutes(2);
        let tw = twin("Connected", "1.2.3", "1.0.0", nodes);
        group.add(&device(None), Some((&tw, late)), Some(&t), &contract, early);
        assert_eq!(group.gateways.on_target.count, 1);
        assert_eq!(group.gateways.on_target.as_of, Some(early));
        assert_eq!(group.gateways.on_target.sources, vec![Source::IotHubTwin]);
        assert_eq!(group.nodes.total, 3);
        assert_eq!(group.nodes.outdated.count, 1);
        assert_eq!(group.nodes.up_to_date.count, 1);
        assert_eq!(group.nodes.updating.count, 1);
        assert_eq!(group.nodes.outdated.gateways.len(), 1);
        assert_eq!(group.rows[0].nodes_outdated, 1);
        // The running sums a front end shows while counting: a group counted again replaces
        // its earlier figures; sums carry counts, the oldest read and the sources, not ids.
        let mut other = group.clone();
        other.group_id = DeviceGroupId::new("h");
        other.product_id = ProductId::new("q");
        let mut tally = Tally::default();
        tally.update(&group);
        tally.update(&group);
        tally.update(&other);
        let (all, _) = tally.sums(None);
        assert_eq!(all.total, 2);
        assert_eq!(all.on_target.count, 2);
        assert_eq!(all.on_target.as_of, Some(early));
        assert!(all.on_target.gateways.is_empty());
        let (p, nodes) = tally.sums(Some(&ProductId::new("p")));
        assert_eq!((p.total, nodes.outdated.count), (1, 1));
        let report = assemble(deployed, vec![group.clone(), group]);
        assert_eq!(report.gateways.total, 2);
        assert_eq!(report.gateways.on_target.count, 2);
        assert_eq!(report.products.len(), 1);
        assert_eq!(report.products[0].groups.len(), 2);
        assert_eq!(report.nodes.outdated.count, 2);
    }
}
