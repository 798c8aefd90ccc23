//! The Fleet screen's and the migration screen's shapes (issue 14): the compliance report as the
//! messages it streams while it is made, with the gateway ids kept only at the group level (the
//! product and fleet sums are counts, as-of and sources: their ids are the union of their
//! groups', which the UI joins when a person drills down — this keeps a 10,000-gateway report to
//! one copy of every id), the migrated profile, and the legacy API's retirement notice. The migration report is the core's
//! `MigrationReport`, passed through.

use serde::Serialize;
use time::OffsetDateTime;

use asg_fota_core::cloud::model::{DeviceGroupId, ProductId};
use asg_fota_core::tenant::MigratedSecrets;
use asg_fota_core::workflow::compliance::{
    ComplianceReport, Figure, GatewayFigures, GroupCompliance, GroupHeading, NodeFigures, Progress,
    Source, Tally,
};

use super::ProfileView;

/// A sum above the group level: how many, as of when, from where.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Total {
    count: usize,
    #[serde(with = "time::serde::rfc3339::option")]
    as_of: Option<OffsetDateTime>,
    sources: Vec<Source>,
}

impl From<&Figure> for Total {
    fn from(f: &Figure) -> Self {
        Self {
            count: f.count,
            as_of: f.as_of,
            sources: f.sources.clone(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GatewayTotals {
    total: usize,
    on_target: Total,
    pending: Total,
    failed: Total,
    offline: Total,
    unknown: Total,
}

impl From<&GatewayFigures> for GatewayTotals {
    fn from(f: &GatewayFigures) -> Self {
        Self {
            total: f.total,
            on_target: (&f.on_target).into(),
            pending: (&f.pending).into(),
            failed: (&f.failed).into(),
            offline: (&f.offline).into(),
            unknown: (&f.unknown).into(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NodeTotals {
    total: usize,
    outdated: Total,
    up_to_date: Total,
    updating: Total,
    unknown: Total,
}

impl From<&NodeFigures> for NodeTotals {
    fn from(f: &NodeFigures) -> Self {
        Self {
            total: f.total,
            outdated: (&f.outdated).into(),
            up_to_date: (&f.up_to_date).into(),
            updating: (&f.updating).into(),
            unknown: (&f.unknown).into(),
        }
    }
}

/// The sums of a product (or, without a product id, of the fleet) so far.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Sums {
    #[serde(skip_serializing_if = "Option::is_none")]
    product_id: Option<ProductId>,
    gateways: GatewayTotals,
    nodes: NodeTotals,
}

impl Sums {
    fn of(tally: &Tally, product: Option<&ProductId>) -> Sums {
        let (gateways, nodes) = tally.sums(product);
        Sums {
            product_id: product.cloned(),
            gateways: (&gateways).into(),
            nodes: (&nodes).into(),
        }
    }
}

/// A group still being counted: its figures so far, without ids or rows.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GroupCount {
    group_id: DeviceGroupId,
    gateways: GatewayTotals,
    nodes: NodeTotals,
}

/// One message on `compliance_report`'s channel. The Fleet screen draws the figures from them
/// as they arrive: the groups to count, each page counted (the group's figures so far), each
/// group complete (with its gateway ids and rows), then the end. Every message but the first
/// carries the sums so far of the group's product and of the fleet, so the page adds nothing up.
// Made and serialized at once, never stored: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum ComplianceEvent<'a> {
    #[serde(rename_all = "camelCase")]
    Groups {
        #[serde(with = "time::serde::rfc3339")]
        started_at: OffsetDateTime,
        groups: &'a [GroupHeading],
    },
    Counted {
        group: GroupCount,
        product: Sums,
        fleet: Sums,
    },
    Group {
        group: &'a GroupCompliance,
        product: Sums,
        fleet: Sums,
    },
}

impl<'a> ComplianceEvent<'a> {
    /// The message for `progress`, after adding it to `tally` (the sums so far).
    pub(crate) fn of(progress: Progress<'a>, tally: &mut Tally) -> ComplianceEvent<'a> {
        let sums = |tally: &Tally, group: &GroupCompliance| {
            (
                Sums::of(tally, Some(&group.product_id)),
                Sums::of(tally, None),
            )
        };
        match progress {
            Progress::Listed { started_at, groups } => {
                ComplianceEvent::Groups { started_at, groups }
            }
            Progress::Counted(group) => {
                tally.update(group);
                let (product, fleet) = sums(tally, group);
                ComplianceEvent::Counted {
                    group: GroupCount {
                        group_id: group.group_id.clone(),
                        gateways: (&group.gateways).into(),
                        nodes: (&group.nodes).into(),
                    },
                    product,
                    fleet,
                }
            }
            Progress::Complete(group) => {
                tally.update(group);
                let (product, fleet) = sums(tally, group);
                ComplianceEvent::Group {
                    group,
                    product,
                    fleet,
                }
            }
        }
    }
}

/// `compliance_report`'s answer and the channel's last message: when the report started and
/// ended, and the fleet's sums.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename = "done", rename_all = "camelCase")]
pub(crate) struct ComplianceDone {
    #[serde(with = "time::serde::rfc3339")]
    started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    as_of: OffsetDateTime,
    gateways: GatewayTotals,
    nodes: NodeTotals,
}

impl From<&ComplianceReport> for ComplianceDone {
    fn from(r: &ComplianceReport) -> Self {
        Self {
            started_at: r.started_at,
            as_of: r.as_of,
            gateways: (&r.gateways).into(),
            nodes: (&r.nodes).into(),
        }
    }
}

/// `migration_profile_create`'s answer: the new ARM profile, the secrets copied to it from the
/// legacy profile's keychain entries, and what could not be copied.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MigratedProfile {
    pub(crate) profile: ProfileView,
    pub(crate) copied: Vec<&'static str>,
    /// The secrets that could not be copied (the UI says so in the user's language; `warnings`
    /// holds the English with the keychain's error).
    pub(crate) not_copied: Vec<&'static str>,
    pub(crate) warnings: Vec<String>,
}

impl MigratedProfile {
    pub(crate) fn of(profile: ProfileView, secrets: MigratedSecrets) -> Self {
        Self {
            profile,
            copied: secrets.copied.iter().map(|k| k.as_str()).collect(),
            not_copied: secrets.not_copied.iter().map(|k| k.as_str()).collect(),
            warnings: secrets.warnings,
        }
    }
}
