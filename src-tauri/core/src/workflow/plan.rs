//! Step 3's deployment preflight and diff: pure, inputs in and a [`DeploymentPlan`] out, no IO.
//!
//! The preflight blocks what the service or the device would reject (see `azure-sphere-api.md` §4
//! and the guide): an empty set, more than four images, more than one HLApp, more than two RTApps,
//! more than three applications of any core, more than one board configuration, an image type
//! customers cannot deploy (only 10 Applications and 21 CustomerBoardConfig can), two images with
//! the same component id (or the same image twice), an image that is not in the tenant, an image
//! the service has not finished processing.
//!
//! The diff compares the requested set with the group's current deployment by component id (an
//! image without a known component id is matched by its image id): kept, replaced, added, removed.
//! A deployment replaces the whole image set, so a removed component is warned about.
//!
//! # Kinds of images the product has no package file for
//! The tenant says only the image type: 21 is a board configuration; 10 is an application, but
//! whether it runs on the A7 (HLApp) or an M4 core (RTApp) is in the package's manifest, which the
//! service does not return. [`infer_kind`] therefore uses, in order: a local package report, a
//! hint in the image's name (`HLApp`/`HighLevel` or `RTApp`/`RealTime`), else
//! [`ImageKind::Unknown`]. The HLApp/RTApp limits count only images whose kind is known, so an
//! unknown kind never invents a violation; it produces a warning instead.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::cloud::model::{ImageId, ImageInfo, ImageState, UpdatePolicy};
use crate::imagepackage::PackageKind;

/// The most images one deployment may hold.
pub const MAX_IMAGES: usize = 4;
/// The most high-level apps (A7 core).
pub const MAX_HL_APPS: usize = 1;
/// The most real-time apps (two M4 cores).
pub const MAX_RT_APPS: usize = 2;
/// The most board configurations.
pub const MAX_BOARD_CONFIGS: usize = 1;
/// Image type 10: applications, high-level and real-time alike.
pub const TYPE_APPLICATIONS: u16 = 10;
/// Image type 21: customer board configuration.
pub const TYPE_BOARD_CONFIG: u16 = 21;

/// Which deployment slot an image takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ImageKind {
    #[serde(rename = "HLApp")]
    HlApp,
    #[serde(rename = "RTApp")]
    RtApp,
    BoardConfig,
    /// An image type customers cannot deploy (OS images).
    Other,
    /// Not known: an application whose core the tenant does not say, or no type at all.
    Unknown,
}

impl ImageKind {
    /// The name shown in the UI and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            ImageKind::HlApp => "HLApp",
            ImageKind::RtApp => "RTApp",
            ImageKind::BoardConfig => "BoardConfig",
            ImageKind::Other => "Other",
            ImageKind::Unknown => "Unknown",
        }
    }
}

impl From<PackageKind> for ImageKind {
    fn from(kind: PackageKind) -> Self {
        match kind {
            PackageKind::HLApp => ImageKind::HlApp,
            PackageKind::RTApp => ImageKind::RtApp,
            PackageKind::BoardConfig => ImageKind::BoardConfig,
            PackageKind::Other => ImageKind::Other,
        }
    }
}

/// An image as the plan sees it: what the tenant (and a local package, if any) says about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedImage {
    pub id: ImageId,
    pub component_id: Option<String>,
    pub name: Option<String>,
    pub kind: ImageKind,
    /// The numeric image type (10, 21, ...), when known.
    pub image_type: Option<u16>,
    /// Whether the service has finished processing it.
    pub processed: bool,
}

impl PlannedImage {
    /// Reads the tenant's metadata, with the kind of a local package when one is known.
    pub fn from_tenant(info: &ImageInfo, local: Option<PackageKind>) -> Self {
        let image_type = info.image_type.as_deref().and_then(image_type_code);
        PlannedImage {
            id: info.id.clone(),
            component_id: info.component_id.clone(),
            name: info.name.clone(),
            kind: infer_kind(image_type, info.name.as_deref(), local),
            image_type,
            // UNSURE: legacy metadata carries no processing state; an image the tenant lists is
            // taken as processed (the upload waited for its operation to complete).
            processed: matches!(info.state, ImageState::Ready | ImageState::Unknown),
        }
    }

    /// A display label: the name, else the id.
    pub fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("{name} ({})", self.id),
            None => self.id.to_string(),
        }
    }

    fn diff_key(&self) -> String {
        match &self.component_id {
            Some(c) => format!("component:{}", c.to_ascii_lowercase()),
            None => format!("image:{}", self.id.as_str().to_ascii_lowercase()),
        }
    }
}

/// The numeric image type of a type name as either control plane spells it (`Applications`,
/// `CustomerBoardConfig`, legacy `ImageType<n>`, ARM's enum names).
pub fn image_type_code(name: &str) -> Option<u16> {
    if let Some(n) = name.strip_prefix("ImageType") {
        return n.parse().ok();
    }
    if let Ok(n) = name.parse::<u16>() {
        return Some(n);
    }
    const NAMES: [(&str, u16); 28] = [
        ("InvalidImageType", 0),
        ("Invalid", 0),
        ("OneBl", 1),
        ("PlutonRuntime", 2),
        ("WifiFirmware", 3),
        ("SecurityMonitor", 4),
        ("NormalWorldLoader", 5),
        ("NormalWorldDtb", 6),
        ("NormalWorldKernel", 7),
        ("RootFs", 8),
        ("Services", 9),
        ("Applications", 10),
        ("FwConfig", 13),
        ("FirmwareConfig", 13),
        ("BootManifest", 16),
        ("Nwfs", 17),
        ("NormalWorldFileSystem", 17),
        ("TrustedKeystore", 19),
        ("Policy", 20),
        ("CustomerBoardConfig", 21),
        ("UpdateCertStore", 22),
        ("BaseSystemUpdateManifest", 23),
        ("FirmwareUpdateManifest", 24),
        ("CustomerUpdateManifest", 25),
        ("RecoveryManifest", 26),
        ("ManifestSet", 27),
        ("Other", 28),
        ("Application", 10),
    ];
    NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, code)| *code)
}

/// The kind of an image: a local package's kind wins; else type 21 is a board configuration, type
/// 10 an application whose core comes from a name hint or stays unknown; any other known type is
/// not deployable; no type at all is unknown.
pub fn infer_kind(
    image_type: Option<u16>,
    name: Option<&str>,
    local: Option<PackageKind>,
) -> ImageKind {
    if let Some(kind) = local {
        return kind.into();
    }
    match image_type {
        Some(TYPE_BOARD_CONFIG) => ImageKind::BoardConfig,
        Some(TYPE_APPLICATIONS) => name.map_or(ImageKind::Unknown, kind_from_name),
        Some(_) => ImageKind::Other,
        None => ImageKind::Unknown,
    }
}

/// The core an application's name hints at.
// UNSURE: ASG210 builds name their apps with `HLApp`/`RTApp` (the guide's and the simulator's
// naming); other names stay Unknown.
fn kind_from_name(name: &str) -> ImageKind {
    let lower = name.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    match (
        has(&["hlapp", "highlevel", "high-level", "high_level"]),
        has(&["rtapp", "realtime", "real-time", "real_time"]),
    ) {
        (true, false) => ImageKind::HlApp,
        (false, true) => ImageKind::RtApp,
        _ => ImageKind::Unknown,
    }
}

/// Whether a group's update policy keeps customer images from reaching its devices.
pub fn policy_blocks_apps(policy: &UpdatePolicy) -> bool {
    matches!(
        policy,
        UpdatePolicy::No3rdPartyAppUpdates | UpdatePolicy::NoUpdates
    )
}

/// A requested image as looked up in the tenant. Serialized as
/// `{"presence":"found","image":{...}}` or `{"presence":"missing","image":"<id>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "presence", content = "image", rename_all = "snake_case")]
pub enum ImageLookup {
    Found(PlannedImage),
    /// The tenant holds no image with this id.
    Missing(ImageId),
}

impl ImageLookup {
    fn id(&self) -> &ImageId {
        match self {
            ImageLookup::Found(image) => &image.id,
            ImageLookup::Missing(id) => id,
        }
    }
}

/// Everything the plan is computed from.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    /// The requested image set, in the order chosen.
    pub requested: Vec<ImageLookup>,
    /// The group's current deployment, resolved (empty when it has none).
    pub current: Vec<PlannedImage>,
    /// The group's update policy, when known.
    pub update_policy: Option<UpdatePolicy>,
    /// How many devices the group holds.
    pub reach_devices: u64,
    /// When the inputs were read.
    pub as_of: OffsetDateTime,
}

/// Why a plan is blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    Empty,
    TooManyImages,
    TooManyHlApps,
    TooManyRtApps,
    TooManyApps,
    TooManyBoardConfigs,
    NotDeployable,
    DuplicateComponent,
    DuplicateImage,
    NotInTenant,
    NotProcessed,
}

/// What a plan warns about without blocking it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// A currently deployed component is not in the new set and will be removed from devices.
    DropsComponent,
    /// The group's update policy keeps devices from installing customer images.
    PolicyBlocksApps,
    /// The new set is the current one: nothing would change.
    NothingToDo,
    /// An image's kind (HLApp or RTApp) is unknown, so the per-core limits could not be checked.
    UnknownKind,
    /// An image has no known component id, so duplicates could not be checked for it.
    UnknownComponent,
    /// The group holds no devices: the deployment reaches none now.
    NoDevices,
}

/// One finding: what it is as data (`kind` and the values it names, `params`, which the UI and
/// the CLI put into their own catalogs' sentence for the kind) and the English sentence for logs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding<K> {
    pub kind: K,
    pub message: String,
    pub params: serde_json::Map<String, serde_json::Value>,
}

/// A blocking finding.
pub type Problem = Finding<ProblemKind>;
/// A non-blocking finding.
pub type Warning = Finding<WarningKind>;

/// A component whose image changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Replacement {
    pub from: PlannedImage,
    pub to: PlannedImage,
}

/// The requested set against the current deployment, by component.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    pub kept: Vec<PlannedImage>,
    pub replaced: Vec<Replacement>,
    pub added: Vec<PlannedImage>,
    pub removed: Vec<PlannedImage>,
}

impl Diff {
    /// Whether the new set equals the current one.
    pub fn is_unchanged(&self) -> bool {
        self.replaced.is_empty() && self.added.is_empty() && self.removed.is_empty()
    }
}

/// The outcome of the preflight and the diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentPlan {
    /// The requested image ids, in order (what would be sent).
    pub images: Vec<ImageId>,
    /// The requested images the tenant holds.
    pub resolved: Vec<PlannedImage>,
    pub problems: Vec<Problem>,
    pub warnings: Vec<Warning>,
    pub diff: Diff,
    /// How many devices the change reaches (the group's device count).
    pub reach_devices: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub as_of: OffsetDateTime,
}

impl DeploymentPlan {
    /// Whether the preflight found something the service or the device would reject.
    pub fn is_blocked(&self) -> bool {
        !self.problems.is_empty()
    }

    /// The problems as one plain sentence per line.
    pub fn problem_text(&self) -> String {
        self.problems
            .iter()
            .map(|p| p.message.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Runs the preflight and the diff.
pub fn plan(request: &PlanRequest) -> DeploymentPlan {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();

    let requested = &request.requested;
    let found: Vec<&PlannedImage> = requested
        .iter()
        .filter_map(|r| match r {
            ImageLookup::Found(image) => Some(image),
            ImageLookup::Missing(_) => None,
        })
        .collect();

    if requested.is_empty() {
        problems.push(finding(
            ProblemKind::Empty,
            "no image is chosen: a deployment needs at least one image".into(),
            json!({}),
        ));
    }
    if requested.len() > MAX_IMAGES {
        problems.push(finding(
            ProblemKind::TooManyImages,
            format!(
                "{} images are chosen; a deployment holds at most {MAX_IMAGES} (one HLApp, two RTApps, one board configuration)",
                requested.len()
            ),
            json!({"count": requested.len(), "max": MAX_IMAGES}),
        ));
    }

    let mut seen_ids = HashSet::new();
    for r in requested {
        if !seen_ids.insert(r.id().clone()) {
            problems.push(finding(
                ProblemKind::DuplicateImage,
                format!("image {} is chosen twice", r.id()),
                json!({"image": r.id().to_string()}),
            ));
        }
        if let ImageLookup::Missing(id) = r {
            problems.push(finding(
                ProblemKind::NotInTenant,
                format!("image {id} is not in the tenant: upload its package first"),
                json!({"image": id.to_string()}),
            ));
        }
    }

    for image in &found {
        if !image.processed {
            problems.push(finding(
                ProblemKind::NotProcessed,
                format!(
                    "{} is still being processed by the service (or failed processing): wait, then try again",
                    image.label()
                ),
                json!({"image": image.label()}),
            ));
        }
        match image.image_type {
            Some(TYPE_APPLICATIONS | TYPE_BOARD_CONFIG) => {}
            Some(other) => problems.push(finding(
                ProblemKind::NotDeployable,
                format!(
                    "{} has image type {other}, which customers cannot deploy (only applications and board configurations)",
                    image.label()
                ),
                json!({"image": image.label(), "type": other}),
            )),
            None => {}
        }
        if image.kind == ImageKind::Unknown {
            warnings.push(finding(
                WarningKind::UnknownKind,
                format!(
                    "the kind of {} is not known (HLApp or RTApp): its core limit was not checked",
                    image.label()
                ),
                json!({"image": image.label()}),
            ));
        }
        if image.component_id.is_none() {
            warnings.push(finding(
                WarningKind::UnknownComponent,
                format!(
                    "the component id of {} is not known: duplicates were not checked for it",
                    image.label()
                ),
                json!({"image": image.label()}),
            ));
        }
    }

    // Two distinct images of one component: the device can run only one of them.
    let mut by_component: HashMap<String, Vec<&PlannedImage>> = HashMap::new();
    let mut distinct_found = HashSet::new();
    for image in found.iter().filter(|i| distinct_found.insert(i.id.clone())) {
        if let Some(component) = &image.component_id {
            by_component
                .entry(component.to_ascii_lowercase())
                .or_default()
                .push(image);
        }
    }
    let mut duplicate_components: Vec<_> = by_component
        .into_iter()
        .filter(|(_, images)| images.len() > 1)
        .collect();
    duplicate_components.sort_by(|a, b| a.0.cmp(&b.0));
    for (component, images) in duplicate_components {
        let labels: Vec<String> = images.iter().map(|i| i.label()).collect();
        problems.push(finding(
            ProblemKind::DuplicateComponent,
            format!(
                "component {component} appears more than once ({}): choose one image per component",
                labels.join(", ")
            ),
            json!({"component": component, "images": labels}),
        ));
    }

    let distinct: Vec<&PlannedImage> = {
        let mut seen = HashSet::new();
        found
            .iter()
            .copied()
            .filter(|i| seen.insert(i.id.clone()))
            .collect()
    };
    let count = |kind| distinct.iter().filter(|i| i.kind == kind).count();
    let limits = [
        (
            ImageKind::HlApp,
            MAX_HL_APPS,
            ProblemKind::TooManyHlApps,
            "HLApps",
        ),
        (
            ImageKind::RtApp,
            MAX_RT_APPS,
            ProblemKind::TooManyRtApps,
            "RTApps",
        ),
        (
            ImageKind::BoardConfig,
            MAX_BOARD_CONFIGS,
            ProblemKind::TooManyBoardConfigs,
            "board configurations",
        ),
    ];
    for (kind, max, problem_kind, what) in limits {
        let n = count(kind);
        if n > max {
            problems.push(finding(
                problem_kind,
                format!("{n} {what} are chosen; a deployment holds at most {max}"),
                json!({"count": n, "max": max}),
            ));
        }
    }
    // Whatever their cores, more than three applications cannot fit one A7 and two M4 cores.
    let apps = distinct
        .iter()
        .filter(|i| i.image_type == Some(TYPE_APPLICATIONS))
        .count();
    if apps > MAX_HL_APPS + MAX_RT_APPS
        && count(ImageKind::HlApp) <= MAX_HL_APPS
        && count(ImageKind::RtApp) <= MAX_RT_APPS
    {
        problems.push(finding(
            ProblemKind::TooManyApps,
            format!(
                "{apps} applications are chosen; a device runs at most {} (one HLApp, two RTApps)",
                MAX_HL_APPS + MAX_RT_APPS
            ),
            json!({"count": apps, "max": MAX_HL_APPS + MAX_RT_APPS}),
        ));
    }

    let diff = diff(&request.current, &distinct);
    if !diff.removed.is_empty() {
        let labels: Vec<String> = diff.removed.iter().map(|i| i.label()).collect();
        warnings.push(finding(
            WarningKind::DropsComponent,
            format!(
                "a new deployment replaces the whole image set: {} would be removed from the devices",
                labels.join(", ")
            ),
            json!({"images": labels}),
        ));
    }
    if !request.current.is_empty()
        && diff.is_unchanged()
        && !distinct.is_empty()
        && found.len() == requested.len()
    {
        warnings.push(finding(
            WarningKind::NothingToDo,
            "the chosen images are exactly the current deployment: nothing would change".into(),
            json!({}),
        ));
    }
    if let Some(policy) = &request.update_policy {
        if policy_blocks_apps(policy) {
            warnings.push(finding(
                WarningKind::PolicyBlocksApps,
                format!(
                    "the group's update policy is {policy:?}: its devices will not install this deployment until the policy is UpdateAll"
                ),
                json!({"policy": match policy {
                    UpdatePolicy::Other(other) => other.clone(),
                    known => format!("{known:?}"),
                }}),
            ));
        }
    }
    if request.reach_devices == 0 {
        warnings.push(finding(
            WarningKind::NoDevices,
            "the group holds no devices: the deployment reaches none now".into(),
            json!({}),
        ));
    }

    DeploymentPlan {
        images: requested.iter().map(|r| r.id().clone()).collect(),
        resolved: distinct.into_iter().cloned().collect(),
        problems,
        warnings,
        diff,
        reach_devices: request.reach_devices,
        as_of: request.as_of,
    }
}

/// A finding; `params` is a JSON object of the values the message names.
fn finding<K>(kind: K, message: String, params: serde_json::Value) -> Finding<K> {
    let params = match params {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    Finding {
        kind,
        message,
        params,
    }
}

/// The new set against the current one, by component id (image id when the component is unknown).
fn diff(current: &[PlannedImage], new: &[&PlannedImage]) -> Diff {
    let mut out = Diff::default();
    let new_keys: HashSet<String> = new.iter().map(|i| i.diff_key()).collect();
    let current_by_key: HashMap<String, &PlannedImage> =
        current.iter().map(|i| (i.diff_key(), i)).collect();
    for image in new {
        match current_by_key.get(&image.diff_key()) {
            Some(old) if old.id == image.id => out.kept.push((*image).clone()),
            Some(old) => out.replaced.push(Replacement {
                from: (*old).clone(),
                to: (*image).clone(),
            }),
            None => out.added.push((*image).clone()),
        }
    }
    for old in current {
        if !new_keys.contains(&old.diff_key()) {
            out.removed.push(old.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img(id: &str, component: &str, kind: ImageKind) -> PlannedImage {
        let image_type = match kind {
            ImageKind::BoardConfig => Some(TYPE_BOARD_CONFIG),
            ImageKind::Other => Some(1),
            ImageKind::Unknown => None,
            _ => Some(TYPE_APPLICATIONS),
        };
        PlannedImage {
            id: ImageId::new(id),
            component_id: Some(component.into()),
            name: Some(format!("name-{id}")),
            kind,
            image_type,
            processed: true,
        }
    }

    fn found(images: &[PlannedImage]) -> Vec<ImageLookup> {
        images.iter().cloned().map(ImageLookup::Found).collect()
    }

    fn request(requested: Vec<ImageLookup>, current: Vec<PlannedImage>) -> PlanRequest {
        PlanRequest {
            requested,
            current,
            update_policy: Some(UpdatePolicy::UpdateAll),
            reach_devices: 3,
            as_of: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn kinds(plan: &DeploymentPlan) -> Vec<ProblemKind> {
        plan.problems.iter().map(|p| p.kind).collect()
    }

    #[test]
    fn preflight_blocks_what_the_service_rejects() {
        use ImageKind::*;
        use ProblemKind as P;
        let hl = img("h1", "c-h1", HlApp);
        let rt1 = img("r1", "c-r1", RtApp);
        let rt2 = img("r2", "c-r2", RtApp);
        let bc = img("b1", "c-b1", BoardConfig);
        let mut unprocessed = img("u1", "c-u1", RtApp);
        unprocessed.processed = false;
        let table: Vec<(&str, Vec<ImageLookup>, Vec<ProblemKind>)> = vec![
            (
                "full ASG210 set",
                found(&[hl.clone(), rt1.clone(), rt2.clone(), bc.clone()]),
                vec![],
            ),
            ("empty", vec![], vec![P::Empty]),
            (
                "five images",
                found(&[
                    hl.clone(),
                    rt1.clone(),
                    rt2.clone(),
                    bc.clone(),
                    img("b2", "c-b2", BoardConfig),
                ]),
                vec![P::TooManyImages, P::TooManyBoardConfigs],
            ),
            (
                "two HLApps",
                found(&[hl.clone(), img("h2", "c-h2", HlApp)]),
                vec![P::TooManyHlApps],
            ),
            (
                "three RTApps",
                found(&[rt1.clone(), rt2.clone(), img("r3", "c-r3", RtApp)]),
                vec![P::TooManyRtApps],
            ),
            (
                "two board configs",
                found(&[bc.clone(), img("b2", "c-b2", BoardConfig)]),
                vec![P::TooManyBoardConfigs],
            ),
            (
                "four apps of unknown cores",
                found(&[
                    img("a1", "c-a1", Unknown),
                    img("a2", "c-a2", Unknown),
                    img("a3", "c-a3", Unknown),
                    img("a4", "c-a4", Unknown),
                ])
                .into_iter()
                .map(|l| match l {
                    ImageLookup::Found(mut i) => {
                        i.image_type = Some(TYPE_APPLICATIONS);
                        ImageLookup::Found(i)
                    }
                    other => other,
                })
                .collect(),
                vec![P::TooManyApps],
            ),
            (
                "OS image",
                found(&[img("o1", "c-o1", Other)]),
                vec![P::NotDeployable],
            ),
            (
                "same component twice",
                found(&[rt1.clone(), img("r1b", "c-r1", RtApp)]),
                vec![P::DuplicateComponent],
            ),
            (
                "same image twice",
                found(&[rt1.clone(), rt1.clone()]),
                vec![P::DuplicateImage],
            ),
            (
                "not in the tenant",
                vec![
                    ImageLookup::Found(hl.clone()),
                    ImageLookup::Missing(ImageId::new("zz")),
                ],
                vec![P::NotInTenant],
            ),
            (
                "not processed",
                found(&[unprocessed]),
                vec![P::NotProcessed],
            ),
        ];
        for (name, requested, want) in table {
            let plan = plan(&request(requested, vec![]));
            assert_eq!(kinds(&plan), want, "{name}: {:?}", plan.problems);
            assert_eq!(plan.is_blocked(), !want.is_empty(), "{name}");
        }
    }

    #[test]
    fn unknown_kinds_warn_but_never_block() {
        let a = img("a1", "c-a1", ImageKind::Unknown);
        let b = img("a2", "c-a2", ImageKind::Unknown);
        let plan = plan(&request(found(&[a, b]), vec![]));
        assert!(!plan.is_blocked(), "{:?}", plan.problems);
        assert!(plan
            .warnings
            .iter()
            .any(|w| w.kind == WarningKind::UnknownKind));
    }

    #[test]
    fn diff_by_component() {
        use ImageKind::*;
        let hl_old = img("h1", "c-h", HlApp);
        let hl_new = img("h2", "c-h", HlApp);
        let rt = img("r1", "c-r", RtApp);
        let bc = img("b1", "c-b", BoardConfig);
        let rt2 = img("r2", "c-r2", RtApp);
        let current = vec![hl_old.clone(), rt.clone(), bc.clone()];
        let plan = plan(&request(
            found(&[hl_new.clone(), rt.clone(), rt2.clone()]),
            current,
        ));
        assert_eq!(plan.diff.kept, vec![rt.clone()]);
        assert_eq!(
            plan.diff.replaced,
            vec![Replacement {
                from: hl_old,
                to: hl_new
            }]
        );
        assert_eq!(plan.diff.added, vec![rt2]);
        assert_eq!(plan.diff.removed, vec![bc]);
        assert!(!plan.is_blocked());
        let drop = plan
            .warnings
            .iter()
            .find(|w| w.kind == WarningKind::DropsComponent)
            .expect("a drop warning");
        assert!(
            drop.message.contains("replaces the whole image set"),
            "{}",
            drop.message
        );
        assert!(drop.message.contains("name-b1"));
    }

    #[test]
    fn warnings_for_policy_nothing_to_do_and_no_devices() {
        let rt = img("r1", "c-r", ImageKind::RtApp);
        let table = [
            (
                Some(UpdatePolicy::UpdateAll),
                vec![rt.clone()],
                3,
                vec![WarningKind::NothingToDo],
            ),
            (
                Some(UpdatePolicy::No3rdPartyAppUpdates),
                vec![],
                3,
                vec![WarningKind::PolicyBlocksApps],
            ),
            (
                Some(UpdatePolicy::NoUpdates),
                vec![],
                3,
                vec![WarningKind::PolicyBlocksApps],
            ),
            (None, vec![], 0, vec![WarningKind::NoDevices]),
            (Some(UpdatePolicy::UpdateAll), vec![], 2, vec![]),
        ];
        for (policy, current, devices, want) in table {
            let mut req = request(found(std::slice::from_ref(&rt)), current);
            req.update_policy = policy.clone();
            req.reach_devices = devices;
            let plan = plan(&req);
            let got: Vec<WarningKind> = plan.warnings.iter().map(|w| w.kind).collect();
            assert_eq!(got, want, "{policy:?}");
            assert_eq!(plan.reach_devices, devices);
        }
    }

    #[test]
    fn kinds_are_inferred_without_guessing_cores() {
        use ImageKind::*;
        let table = [
            (Some(21), None, None, BoardConfig),
            (Some(10), Some("ASG210_HLApp_v1.0.2"), None, HlApp),
            (Some(10), Some("asg210_rtapp"), None, RtApp),
            (Some(10), Some("Ethernet app"), None, Unknown),
            (Some(10), Some("HLApp and RTApp"), None, Unknown),
            (Some(10), Some("whatever"), Some(PackageKind::RTApp), RtApp),
            (Some(3), None, None, Other),
            (None, Some("HLApp"), None, Unknown),
        ];
        for (ty, name, local, want) in table {
            assert_eq!(infer_kind(ty, name, local), want, "{ty:?} {name:?}");
        }
        let types = [
            ("Applications", Some(10)),
            ("CustomerBoardConfig", Some(21)),
            ("customerboardconfig", Some(21)),
            ("ImageType7", Some(7)),
            ("OneBl", Some(1)),
            ("Gibberish", None),
        ];
        for (name, want) in types {
            assert_eq!(image_type_code(name), want, "{name}");
        }
    }
}
