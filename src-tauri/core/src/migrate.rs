//! The move from the legacy Azure Sphere API to ARM, which retires the legacy API on
//! [`LEGACY_RETIREMENT`]: the check that an ARM profile sees what a legacy profile sees, the ARM
//! profile made from a legacy one, and the days left.
//!
//! This module owns three things:
//! - [`read_view`] reads one plane's view of the tenant (products, device groups with their
//!   update policy and OS feed, the devices of each group, the images, each group's current
//!   deployment), and [`compare`] — pure — reports item by item what matches, what is missing on
//!   one side and what differs ([`check`] does both for two planes);
//! - [`arm_profile_from_legacy`] — pure — the ARM profile that keeps a legacy profile's IoT Hub,
//!   sign-in and device contract, given only the subscription, resource group and catalog;
//! - [`retirement`] — pure, the date passed in — the days left on a legacy profile.
//!
//! # How items are matched
//!
//! The two planes share no ids for products and groups (GUIDs on legacy, resource ids on ARM), so
//! products match by name and groups by `product/group` name, ignoring case. A group found on one
//! side only is paired with a group found on the other side only in the same product when both
//! hold mostly the same devices (at least half of the larger group) or the same current
//! deployment: that is a rename, reported
//! as one difference of `name`, not as two missing groups. Devices and images match by their ids,
//! which both planes share; a device is matched when it sits in paired groups on both sides.
//! Deployments are compared per paired group by the set of image ids they hold.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use futures_util::{StreamExt, TryStreamExt};
use serde::Serialize;
use time::{Date, Month, OffsetDateTime};

use crate::cloud::model::{Deployment, DeviceGroup, DeviceId, ImageInfo, Product};
use crate::cloud::{CloudError, ControlPlane};
use crate::profiles::{Backend, Profile, ProfileError};
use crate::workflow::groups::{current_deployment_of, READ_CONCURRENCY};

/// The day the legacy Azure Sphere public API retires.
pub const LEGACY_RETIREMENT: Date = match Date::from_calendar_date(2027, Month::September, 27) {
    Ok(d) => d,
    Err(_) => panic!("a valid date"),
};

/// What a legacy profile shows about the retirement of its API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Retirement {
    /// `2027-09-27` (written as that text).
    #[serde(serialize_with = "iso_date")]
    pub retires_on: Date,
    /// Days from `today` to that day (0 on the day, negative after it).
    pub days_left: i64,
}

fn iso_date<S: serde::Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(date)
}

/// The retirement notice of a profile of `backend` on `today`; `None` for ARM and Demo profiles.
pub fn retirement(backend: Backend, today: Date) -> Option<Retirement> {
    (backend == Backend::Legacy).then(|| Retirement {
        retires_on: LEGACY_RETIREMENT,
        days_left: (LEGACY_RETIREMENT - today).whole_days(),
    })
}

/// The ARM profile for a tenant a legacy profile reaches: the same Entra tenant, sign-in (the
/// profile's own public client and service principal, if any), IoT Hub, device contract and
/// concurrency; ARM's endpoint (`api_base`, else the public cloud's) and the catalog given.
/// The legacy-only settings (Azure Sphere tenant id, the legacy API base) are dropped.
pub fn arm_profile_from_legacy(
    name: &str,
    legacy: &Profile,
    subscription_id: &str,
    resource_group: &str,
    catalog: &str,
    api_base: Option<String>,
) -> Result<Profile, ProfileError> {
    if legacy.backend != Backend::Legacy {
        return Err(ProfileError::Invalid {
            profile: name.to_owned(),
            field: "backend",
            reason: format!(
                "the profile to migrate from is a {} profile; pick a legacy one",
                legacy.backend
            ),
        });
    }
    let mut arm = Profile::new(Backend::Arm);
    arm.authority_host = legacy.authority_host.clone();
    arm.api_base = api_base;
    arm.tenant_id = legacy.tenant_id.clone();
    arm.subscription_id = Some(subscription_id.trim().to_owned());
    arm.resource_group = Some(resource_group.trim().to_owned());
    arm.catalog = Some(catalog.trim().to_owned());
    // The legacy default (the azsphere public client) cannot sign in to ARM: only a client the
    // customer registered is carried over.
    arm.client_id = legacy.client_id.clone();
    arm.service_principal_client_id = legacy.service_principal_client_id.clone();
    arm.iothub = legacy.iothub.clone();
    arm.device_contract = legacy.device_contract.clone();
    arm.concurrency = legacy.concurrency;
    arm.validate(name)?;
    Ok(arm)
}

/// One device group as a plane shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupEntry {
    pub group: DeviceGroup,
    pub product_name: String,
    pub devices: Vec<DeviceId>,
    pub current_deployment: Option<Deployment>,
}

impl GroupEntry {
    fn label(&self) -> String {
        format!("{}/{}", self.product_name, self.group.name)
    }

    fn key(&self) -> (String, String) {
        (
            self.product_name.to_lowercase(),
            self.group.name.to_lowercase(),
        )
    }

    fn device_set(&self) -> BTreeSet<String> {
        self.devices
            .iter()
            .map(|d| d.as_str().to_ascii_lowercase())
            .collect()
    }
}

/// Everything one plane shows of the tenant or catalog.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaneView {
    pub products: Vec<Product>,
    pub groups: Vec<GroupEntry>,
    pub images: Vec<ImageInfo>,
    #[serde(with = "time::serde::rfc3339")]
    pub as_of: OffsetDateTime,
}

/// Reads a plane's view: products, groups and images once, then each group's devices (every page)
/// and current deployment, a few groups at a time.
pub async fn read_view(plane: &ControlPlane) -> Result<PlaneView, CloudError> {
    let (products, groups, images) =
        tokio::try_join!(plane.products(), plane.device_groups(), plane.images())?;
    let names: HashMap<_, _> = products
        .iter()
        .map(|p| (p.id.clone(), p.name.clone()))
        .collect();
    let names = &names;
    let groups: Vec<GroupEntry> = futures_util::stream::iter(groups)
        .map(|group| async move {
            let (devices, current) = tokio::try_join!(
                plane.devices(&group.id),
                current_deployment_of(plane, &group)
            )?;
            let product_name = group
                .product_name
                .clone()
                .or_else(|| names.get(&group.product).cloned())
                .unwrap_or_else(|| group.product.to_string());
            Ok::<_, CloudError>(GroupEntry {
                devices: devices.into_iter().map(|d| d.id).collect(),
                current_deployment: current,
                product_name,
                group,
            })
        })
        .buffered(READ_CONCURRENCY)
        .try_collect()
        .await?;
    Ok(PlaneView {
        products,
        groups,
        images,
        as_of: OffsetDateTime::now_utc(),
    })
}

/// What kind of thing an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Product,
    DeviceGroup,
    Device,
    Image,
    Deployment,
}

/// How an item compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// The same on both sides.
    Matched,
    /// Only the `from` (legacy) side shows it.
    MissingOnTo,
    /// Only the `to` (ARM) side shows it.
    MissingOnFrom,
    /// Both show it, with the differences listed.
    Differs,
}

/// One field that differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldDifference {
    pub field: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// One compared item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    pub kind: ItemKind,
    /// What a person calls it: `product`, `product/group`, a device or image id, the group of a
    /// deployment.
    pub key: String,
    pub status: ItemStatus,
    pub differences: Vec<FieldDifference>,
}

/// How many items of each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub matched: usize,
    pub missing_on_to: usize,
    pub missing_on_from: usize,
    pub differs: usize,
}

/// The whole comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MigrationReport {
    pub counts: Counts,
    /// Every item, matched ones included, by kind then key.
    pub items: Vec<Item>,
    #[serde(with = "time::serde::rfc3339")]
    pub from_as_of: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub to_as_of: OffsetDateTime,
}

impl MigrationReport {
    /// Whether both sides show the same.
    pub fn all_matched(&self) -> bool {
        self.items.iter().all(|i| i.status == ItemStatus::Matched)
    }

    /// The items that are not matched.
    pub fn differences(&self) -> impl Iterator<Item = &Item> {
        self.items
            .iter()
            .filter(|i| i.status != ItemStatus::Matched)
    }
}

/// Reads both planes (at the same time) and compares them.
pub async fn check(from: &ControlPlane, to: &ControlPlane) -> Result<MigrationReport, CloudError> {
    let (a, b) = tokio::try_join!(read_view(from), read_view(to))?;
    Ok(compare(&a, &b))
}

/// Builds items while walking both views.
#[derive(Default)]
struct Items(Vec<Item>);

impl Items {
    fn push(&mut self, kind: ItemKind, key: String, differences: Vec<FieldDifference>) {
        let status = if differences.is_empty() {
            ItemStatus::Matched
        } else {
            ItemStatus::Differs
        };
        self.0.push(Item {
            kind,
            key,
            status,
            differences,
        });
    }

    fn missing(&mut self, kind: ItemKind, key: String, status: ItemStatus) {
        self.0.push(Item {
            kind,
            key,
            status,
            differences: Vec::new(),
        });
    }
}

/// Adds a difference when `from` and `to` differ (`None` = not shown).
fn field(out: &mut Vec<FieldDifference>, name: &str, from: Option<String>, to: Option<String>) {
    let same = match (&from, &to) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (a, b) => a == b,
    };
    if !same {
        out.push(FieldDifference {
            field: name.to_owned(),
            from,
            to,
        });
    }
}

fn debug_text<T: std::fmt::Debug>(value: Option<&T>) -> Option<String> {
    value.map(|v| format!("{v:?}"))
}

fn image_set(d: &Deployment) -> BTreeSet<String> {
    d.images
        .iter()
        .map(|i| i.as_str().to_ascii_lowercase())
        .collect()
}

fn set_text(set: &BTreeSet<String>) -> String {
    set.iter().cloned().collect::<Vec<_>>().join(", ")
}

/// Compares two views item by item (pure).
pub fn compare(from: &PlaneView, to: &PlaneView) -> MigrationReport {
    let mut items = Items::default();
    compare_products(from, to, &mut items);
    let pairs = pair_groups(from, to, &mut items);
    compare_devices(from, to, &pairs, &mut items);
    compare_images(from, to, &mut items);
    compare_deployments(from, to, &pairs, &mut items);
    let mut items = items.0;
    items.sort_by(|a, b| (a.kind, &a.key).cmp(&(b.kind, &b.key)));
    let mut counts = Counts::default();
    for item in &items {
        match item.status {
            ItemStatus::Matched => counts.matched += 1,
            ItemStatus::MissingOnTo => counts.missing_on_to += 1,
            ItemStatus::MissingOnFrom => counts.missing_on_from += 1,
            ItemStatus::Differs => counts.differs += 1,
        }
    }
    MigrationReport {
        counts,
        items,
        from_as_of: from.as_of,
        to_as_of: to.as_of,
    }
}

fn compare_products(from: &PlaneView, to: &PlaneView, items: &mut Items) {
    let theirs: BTreeMap<String, &Product> = to
        .products
        .iter()
        .map(|p| (p.name.to_lowercase(), p))
        .collect();
    let mut seen = BTreeSet::new();
    for p in &from.products {
        let key = p.name.to_lowercase();
        match theirs.get(&key) {
            Some(q) => {
                seen.insert(key);
                let mut diffs = Vec::new();
                field(
                    &mut diffs,
                    "description",
                    p.description.clone(),
                    q.description.clone(),
                );
                items.push(ItemKind::Product, p.name.clone(), diffs);
            }
            None => items.missing(ItemKind::Product, p.name.clone(), ItemStatus::MissingOnTo),
        }
    }
    for (key, q) in theirs {
        if !seen.contains(&key) {
            items.missing(ItemKind::Product, q.name.clone(), ItemStatus::MissingOnFrom);
        }
    }
}

/// Index pairs `(from group, to group)` of the groups that are the same group on both sides.
type Pairs = Vec<(usize, usize)>;

fn pair_groups(from: &PlaneView, to: &PlaneView, items: &mut Items) -> Pairs {
    let theirs: HashMap<(String, String), usize> = to
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.key(), i))
        .collect();
    let mut pairs = Vec::new();
    let mut lone_from = Vec::new();
    for (i, g) in from.groups.iter().enumerate() {
        match theirs.get(&g.key()) {
            Some(&j) => pairs.push((i, j)),
            None => lone_from.push(i),
        }
    }
    let mut lone_to: Vec<usize> = (0..to.groups.len())
        .filter(|j| !pairs.iter().any(|(_, pj)| pj == j))
        .collect();
    // A lone group on each side, in the same product, with the same devices or deployment: renamed.
    let mut renamed = Vec::new();
    lone_from.retain(|&i| {
        let a = &from.groups[i];
        let found = lone_to.iter().position(|&j| {
            let b = &to.groups[j];
            let same_product = a.product_name.eq_ignore_ascii_case(&b.product_name);
            let (x, y) = (a.device_set(), b.device_set());
            let shared = x.intersection(&y).count();
            // Most devices in common: a device may have moved as well.
            let same_devices = shared > 0 && 2 * shared >= x.len().max(y.len());
            let same_deployment = match (&a.current_deployment, &b.current_deployment) {
                (Some(x), Some(y)) => x.id.as_str().eq_ignore_ascii_case(y.id.as_str()),
                _ => false,
            };
            same_product && (same_devices || same_deployment)
        });
        match found {
            Some(k) => {
                renamed.push((i, lone_to.remove(k)));
                false
            }
            None => true,
        }
    });
    for &(i, j) in pairs.iter().chain(renamed.iter()) {
        let (a, b) = (&from.groups[i], &to.groups[j]);
        let mut diffs = Vec::new();
        field(
            &mut diffs,
            "name",
            Some(a.group.name.clone()),
            Some(b.group.name.clone()),
        );
        field(
            &mut diffs,
            "update_policy",
            debug_text(a.group.update_policy.as_ref()),
            debug_text(b.group.update_policy.as_ref()),
        );
        field(
            &mut diffs,
            "os_feed",
            debug_text(a.group.os_feed.as_ref()),
            debug_text(b.group.os_feed.as_ref()),
        );
        items.push(ItemKind::DeviceGroup, a.label(), diffs);
    }
    for i in lone_from {
        items.missing(
            ItemKind::DeviceGroup,
            from.groups[i].label(),
            ItemStatus::MissingOnTo,
        );
    }
    for j in lone_to {
        items.missing(
            ItemKind::DeviceGroup,
            to.groups[j].label(),
            ItemStatus::MissingOnFrom,
        );
    }
    pairs.extend(renamed);
    pairs
}

fn compare_devices(from: &PlaneView, to: &PlaneView, pairs: &Pairs, items: &mut Items) {
    let placed = |view: &PlaneView| -> BTreeMap<String, (usize, DeviceId)> {
        let mut out = BTreeMap::new();
        for (i, g) in view.groups.iter().enumerate() {
            for d in &g.devices {
                out.insert(d.as_str().to_ascii_lowercase(), (i, d.clone()));
            }
        }
        out
    };
    let (mine, theirs) = (placed(from), placed(to));
    for (key, (i, id)) in &mine {
        match theirs.get(key) {
            Some((j, _)) => {
                let mut diffs = Vec::new();
                if !pairs.contains(&(*i, *j)) {
                    diffs.push(FieldDifference {
                        field: "group".into(),
                        from: Some(from.groups[*i].label()),
                        to: Some(to.groups[*j].label()),
                    });
                }
                items.push(ItemKind::Device, id.to_string(), diffs);
            }
            None => items.missing(ItemKind::Device, id.to_string(), ItemStatus::MissingOnTo),
        }
    }
    for (key, (_, id)) in &theirs {
        if !mine.contains_key(key) {
            items.missing(ItemKind::Device, id.to_string(), ItemStatus::MissingOnFrom);
        }
    }
}

fn compare_images(from: &PlaneView, to: &PlaneView, items: &mut Items) {
    let index = |view: &PlaneView| -> BTreeMap<String, ImageInfo> {
        view.images
            .iter()
            .map(|i| (i.id.as_str().to_ascii_lowercase(), i.clone()))
            .collect()
    };
    let (mine, theirs) = (index(from), index(to));
    for (key, a) in &mine {
        match theirs.get(key) {
            Some(b) => {
                let mut diffs = Vec::new();
                field(&mut diffs, "name", a.name.clone(), b.name.clone());
                field(
                    &mut diffs,
                    "component_id",
                    a.component_id.clone(),
                    b.component_id.clone(),
                );
                field(
                    &mut diffs,
                    "image_type",
                    a.image_type.clone(),
                    b.image_type.clone(),
                );
                items.push(ItemKind::Image, a.id.to_string(), diffs);
            }
            None => items.missing(ItemKind::Image, a.id.to_string(), ItemStatus::MissingOnTo),
        }
    }
    for (key, b) in &theirs {
        if !mine.contains_key(key) {
            items.missing(ItemKind::Image, b.id.to_string(), ItemStatus::MissingOnFrom);
        }
    }
}

fn compare_deployments(from: &PlaneView, to: &PlaneView, pairs: &Pairs, items: &mut Items) {
    for &(i, j) in pairs {
        let (a, b) = (&from.groups[i], &to.groups[j]);
        let key = a.label();
        match (&a.current_deployment, &b.current_deployment) {
            (None, None) => {}
            (Some(_), None) => items.missing(ItemKind::Deployment, key, ItemStatus::MissingOnTo),
            (None, Some(_)) => items.missing(ItemKind::Deployment, key, ItemStatus::MissingOnFrom),
            (Some(x), Some(y)) => {
                let (xs, ys) = (image_set(x), image_set(y));
                let mut diffs = Vec::new();
                if xs != ys {
                    diffs.push(FieldDifference {
                        field: "images".into(),
                        from: Some(set_text(&xs)),
                        to: Some(set_text(&ys)),
                    });
                }
                items.push(ItemKind::Deployment, key, diffs);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::model::{
        DeploymentId, DeviceGroupId, ImageId, ImageState, OsFeed, ProductId, UpdatePolicy,
    };

    fn dev(n: u8) -> DeviceId {
        DeviceId::parse(&format!("{n:02x}").repeat(64)).unwrap()
    }

    fn group(name: &str, devices: &[u8], deployment: Option<&str>) -> GroupEntry {
        GroupEntry {
            group: DeviceGroup {
                id: DeviceGroupId::new(name),
                name: name.into(),
                product: ProductId::new("p"),
                product_name: Some("P".into()),
                description: None,
                os_feed: Some(OsFeed::Retail),
                update_policy: Some(UpdatePolicy::UpdateAll),
                current_deployment: None,
                has_deployment: None,
            },
            product_name: "P".into(),
            devices: devices.iter().map(|&n| dev(n)).collect(),
            current_deployment: deployment.map(|id| Deployment {
                id: DeploymentId::new(id),
                deployed_at: None,
                images: vec![ImageId::new("IMG-A")],
            }),
        }
    }

    fn image(id: &str) -> ImageInfo {
        ImageInfo {
            id: ImageId::new(id),
            component_id: Some("c".into()),
            name: Some("n".into()),
            description: None,
            image_type: Some("Applications".into()),
            state: ImageState::Ready,
        }
    }

    fn view() -> PlaneView {
        PlaneView {
            products: vec![Product {
                id: ProductId::new("p"),
                name: "P".into(),
                description: None,
            }],
            groups: vec![
                group("Dev", &[1, 2], Some("d1")),
                group("Prod", &[3, 4], None),
            ],
            images: vec![image("img-a"), image("img-b")],
            as_of: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn equal_views_match_item_by_item() {
        let report = compare(&view(), &view());
        assert!(report.all_matched(), "{:#?}", report.items);
        // 1 product, 2 groups, 4 devices, 2 images, 1 deployment.
        assert_eq!(report.counts.matched, 10);
    }

    #[test]
    fn a_rename_a_missing_image_and_a_moved_device_are_three_differences() {
        let mut arm = view();
        arm.groups[1].group.name = "Production".into();
        arm.images.retain(|i| i.id.as_str() != "img-b");
        arm.groups[0].devices.retain(|d| d != &dev(2));
        arm.groups[1].devices.push(dev(2));
        let report = compare(&view(), &arm);
        let diffs: Vec<&Item> = report.differences().collect();
        assert_eq!(diffs.len(), 3, "{diffs:#?}");
        assert_eq!(diffs[0].kind, ItemKind::DeviceGroup);
        assert_eq!(diffs[0].differences[0].to.as_deref(), Some("Production"));
        assert_eq!(diffs[1].kind, ItemKind::Device);
        assert_eq!(diffs[1].differences[0].to.as_deref(), Some("P/Production"));
        assert_eq!(diffs[2].kind, ItemKind::Image);
        assert_eq!(diffs[2].status, ItemStatus::MissingOnTo);
    }

    #[test]
    fn unpaired_groups_and_policies_are_reported() {
        let mut arm = view();
        arm.groups[1].group.name = "Other".into();
        arm.groups[1].devices.clear();
        arm.groups[0].group.update_policy = Some(UpdatePolicy::No3rdPartyAppUpdates);
        arm.groups[0].current_deployment = None;
        let report = compare(&view(), &arm);
        let statuses: Vec<(ItemKind, ItemStatus)> =
            report.differences().map(|i| (i.kind, i.status)).collect();
        assert!(statuses.contains(&(ItemKind::DeviceGroup, ItemStatus::Differs)));
        assert!(statuses.contains(&(ItemKind::DeviceGroup, ItemStatus::MissingOnTo)));
        assert!(statuses.contains(&(ItemKind::DeviceGroup, ItemStatus::MissingOnFrom)));
        assert!(statuses.contains(&(ItemKind::Deployment, ItemStatus::MissingOnTo)));
        assert_eq!(
            statuses
                .iter()
                .filter(|s| **s == (ItemKind::Device, ItemStatus::MissingOnTo))
                .count(),
            2
        );
    }

    #[test]
    fn days_left_count_to_the_retirement_day() {
        let day = |y, m, d| Date::from_calendar_date(y, m, d).unwrap();
        let left = |today| retirement(Backend::Legacy, today).unwrap().days_left;
        assert_eq!(left(day(2027, Month::September, 27)), 0);
        assert_eq!(left(day(2027, Month::September, 26)), 1);
        assert_eq!(left(day(2026, Month::September, 27)), 365);
        assert_eq!(left(day(2027, Month::October, 1)), -4);
        assert_eq!(retirement(Backend::Arm, day(2026, Month::January, 1)), None);
        assert_eq!(
            retirement(Backend::Demo, day(2026, Month::January, 1)),
            None
        );
    }

    #[test]
    fn the_arm_profile_keeps_hub_sign_in_and_contract() {
        let mut legacy = Profile::new(Backend::Legacy);
        legacy.tenant_id = Some("t".into());
        legacy.sphere_tenant_id = Some("s".into());
        legacy.service_principal_client_id = Some("sp".into());
        legacy.api_base = Some("http://127.0.0.1:1/as3".into());
        legacy.iothub = Some(crate::profiles::IotHubSettings {
            host: "hub.azure-devices.net".into(),
            api_base: None,
            auth: Default::default(),
        });
        legacy.device_contract.restart_method = "Reboot".into();
        legacy.concurrency = 3;
        let arm = arm_profile_from_legacy("new", &legacy, "sub", "rg", "cat", None).unwrap();
        assert_eq!(arm.backend, Backend::Arm);
        assert_eq!(arm.tenant_id.as_deref(), Some("t"));
        assert_eq!(arm.sphere_tenant_id, None);
        assert_eq!(arm.api_base, None);
        assert_eq!(arm.service_principal_client_id.as_deref(), Some("sp"));
        assert_eq!(arm.iothub, legacy.iothub);
        assert_eq!(arm.device_contract.restart_method, "Reboot");
        assert_eq!(arm.concurrency, 3);
        assert_eq!(arm.catalog.as_deref(), Some("cat"));
        assert!(arm_profile_from_legacy("new", &legacy, "sub", "", "cat", None).is_err());
        assert!(arm_profile_from_legacy("new", &arm, "sub", "rg", "cat", None).is_err());
    }
}
