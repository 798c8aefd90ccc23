//! The shapes the web view receives for the cloud steps (the GUI contract), made from the core's
//! workflow types. Only this boundary decides field names; the core's types stay free to change.

use serde::Serialize;

use asg_fota_core::cloud::model::{OsFeed, UpdatePolicy};
use asg_fota_core::imagepackage::ImageType;
use asg_fota_core::inspect::{InspectError, PackageReport};
use asg_fota_core::workflow::group_cache::{CachedGroup, CachedGroups};
use asg_fota_core::workflow::groups::{DeploymentView, GroupView};
use asg_fota_core::workflow::plan::{DeploymentPlan, Finding, ImageLookup, PlannedImage};
use asg_fota_core::workflow::upload::{UploadFailure, UploadOutcome, UploadResult};

use super::CommandError;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AppInfo {
    pub(crate) version: &'static str,
    pub(crate) locale: String,
    pub(crate) log_dir: String,
}

/// One file's outcome: its identity, or why it cannot be read. One bad file never hides the others.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum InspectOutcome {
    Read {
        file: String,
        ok: bool,
        report: Box<PackageReport>,
    },
    Failed {
        file: String,
        ok: bool,
        error: CommandError,
    },
}

impl InspectOutcome {
    pub(crate) fn of(file: String, read: Result<PackageReport, InspectError>) -> Self {
        match read {
            Ok(report) => Self::Read {
                file,
                ok: true,
                report: Box::new(report),
            },
            Err(error) => Self::Failed {
                file,
                ok: false,
                error: error.into(),
            },
        }
    }
}

/// How one file of an upload ended, keyed by its full path like its progress messages.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UploadAnswer {
    path: String,
    file: String,
    image_id: Option<String>,
    outcome: UploadOutcome,
    /// The package's kind, when the file could be read: the one time it crosses to the UI.
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<CommandError>,
}

impl From<UploadResult> for UploadAnswer {
    fn from(r: UploadResult) -> Self {
        Self {
            path: r.path,
            file: r.file,
            image_id: r.image_id.map(|id| id.to_string()),
            outcome: r.outcome,
            kind: r.report.map(|report| report.kind),
            error: r.error.as_ref().map(upload_error),
        }
    }
}

/// An upload failure as the GUI's error, the same in the answer and in the progress messages.
pub(crate) fn upload_error(failure: &UploadFailure) -> CommandError {
    CommandError::new(&failure.kind, failure.message.clone())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Image {
    id: String,
    name: Option<String>,
    kind: &'static str,
    component_id: Option<String>,
    #[serde(rename = "type")]
    image_type: Option<&'static str>,
    processed: bool,
    /// The tenant no longer holds it (a deployment in the history may name a deleted image).
    missing: bool,
}

impl From<&PlannedImage> for Image {
    fn from(image: &PlannedImage) -> Self {
        Self {
            id: image.id.to_string(),
            name: image.name.clone(),
            kind: image.kind.as_str(),
            component_id: image.component_id.clone(),
            image_type: image.image_type.map(|t| ImageType(t).name()),
            processed: image.processed,
            missing: false,
        }
    }
}

impl From<&ImageLookup> for Image {
    fn from(lookup: &ImageLookup) -> Self {
        match lookup {
            ImageLookup::Found(image) => image.into(),
            ImageLookup::Missing(id) => Self {
                id: id.to_string(),
                name: None,
                kind: "Unknown",
                component_id: None,
                image_type: None,
                processed: false,
                missing: true,
            },
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Deployment {
    id: String,
    date: Option<String>,
    current: bool,
    images: Vec<Image>,
}

impl From<&DeploymentView> for Deployment {
    fn from(view: &DeploymentView) -> Self {
        Self {
            id: view.id.to_string(),
            date: view.date.and_then(rfc3339),
            current: view.current,
            images: view.images.iter().map(Image::from).collect(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Group {
    id: String,
    name: String,
    product_id: String,
    product_name: Option<String>,
    description: Option<String>,
    device_count: Option<u64>,
    os_feed: Option<String>,
    update_policy: Option<String>,
    policy_blocks_apps: bool,
    current_deployment: Option<Deployment>,
    as_of: Option<String>,
}

/// Step 1 at start-up: the last group list seen for the active profile (ids, names, products,
/// counts — nothing else is kept), to show as of `asOf` until `groups_list` answers. The core's
/// `CachedGroup` is passed through as it is (its fields are already the contract's).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GroupsCached {
    as_of: Option<String>,
    groups: Vec<CachedGroup>,
}

impl From<CachedGroups> for GroupsCached {
    fn from(cached: CachedGroups) -> Self {
        Self {
            as_of: rfc3339(cached.as_of),
            groups: cached.groups,
        }
    }
}

impl From<&GroupView> for Group {
    fn from(view: &GroupView) -> Self {
        Self {
            id: view.id.to_string(),
            name: view.name.clone(),
            product_id: view.product_id.to_string(),
            product_name: view.product_name.clone(),
            description: view.description.clone(),
            device_count: view.device_count,
            os_feed: view.os_feed.as_ref().map(|feed| match feed {
                OsFeed::Retail => "Retail".to_owned(),
                OsFeed::RetailEval => "RetailEval".to_owned(),
                OsFeed::Other(other) => other.clone(),
            }),
            update_policy: view.update_policy.as_ref().map(|policy| match policy {
                UpdatePolicy::UpdateAll => "UpdateAll".to_owned(),
                UpdatePolicy::No3rdPartyAppUpdates => "No3rdPartyAppUpdates".to_owned(),
                UpdatePolicy::NoUpdates => "NoUpdates".to_owned(),
                UpdatePolicy::Other(other) => other.clone(),
            }),
            policy_blocks_apps: view.policy_blocks_apps,
            current_deployment: view.current_deployment.as_ref().map(Deployment::from),
            as_of: rfc3339(view.as_of),
        }
    }
}

/// A finding of a plan: its kind, the values it names (the UI's `plan.<problem|warning>.<kind>`
/// sentence fills them in) and the core's English sentence.
#[derive(Serialize)]
pub(crate) struct Note {
    kind: String,
    message: String,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    params: serde_json::Map<String, serde_json::Value>,
}

impl<K: Serialize> From<&Finding<K>> for Note {
    fn from(finding: &Finding<K>) -> Self {
        let kind = serde_json::to_value(&finding.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "other".to_owned());
        Self {
            kind,
            message: finding.message.clone(),
            params: finding.params.clone(),
        }
    }
}

#[derive(Serialize)]
pub(crate) struct Replacement {
    from: Image,
    to: Image,
}

#[derive(Serialize)]
pub(crate) struct Diff {
    kept: Vec<Image>,
    replaced: Vec<Replacement>,
    added: Vec<Image>,
    removed: Vec<Image>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Plan {
    ok: bool,
    problems: Vec<Note>,
    warnings: Vec<Note>,
    diff: Diff,
    reach_devices: u64,
    group: Group,
    as_of: Option<String>,
}

impl Plan {
    pub(crate) fn of(plan: &DeploymentPlan, group: &GroupView) -> Self {
        let images = |list: &[PlannedImage]| list.iter().map(Image::from).collect();
        Self {
            ok: !plan.is_blocked(),
            problems: plan.problems.iter().map(Note::from).collect(),
            warnings: plan.warnings.iter().map(Note::from).collect(),
            diff: Diff {
                kept: images(&plan.diff.kept),
                replaced: plan
                    .diff
                    .replaced
                    .iter()
                    .map(|r| Replacement {
                        from: (&r.from).into(),
                        to: (&r.to).into(),
                    })
                    .collect(),
                added: images(&plan.diff.added),
                removed: images(&plan.diff.removed),
            },
            reach_devices: plan.reach_devices,
            group: group.into(),
            as_of: rfc3339(plan.as_of),
        }
    }
}

fn rfc3339(at: time::OffsetDateTime) -> Option<String> {
    at.format(&time::format_description::well_known::Rfc3339)
        .ok()
}
