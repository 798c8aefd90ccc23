//! The Fleet screen's and the migration screen's shapes (issue 14): the compliance report with
//! the gateway ids kept only at the group level (the product and fleet sums are counts, as-of
//! and sources: their ids are the union of their groups', which the UI joins when a person
//! drills down — this keeps a 10,000-gateway answer to one copy of every id), the migrated
//! profile, and the legacy API's retirement notice. The migration report is the core's
//! `MigrationReport`, passed through.

use serde::Serialize;
use time::OffsetDateTime;

use asg_fota_core::cloud::model::ProductId;
use asg_fota_core::tenant::MigratedSecrets;
use asg_fota_core::workflow::compliance::{
    ComplianceReport, Figure, GatewayFigures, GroupCompliance, NodeFigures, ProductCompliance,
    Source,
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

/// One product: its sums and its groups (the core's, with their ids and rows).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProductFleet {
    product_id: ProductId,
    product_name: Option<String>,
    gateways: GatewayTotals,
    nodes: NodeTotals,
    groups: Vec<GroupCompliance>,
}

/// `compliance_report`'s answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FleetCompliance {
    #[serde(with = "time::serde::rfc3339")]
    started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    as_of: OffsetDateTime,
    gateways: GatewayTotals,
    nodes: NodeTotals,
    products: Vec<ProductFleet>,
}

impl From<ComplianceReport> for FleetCompliance {
    fn from(r: ComplianceReport) -> Self {
        let product = |p: ProductCompliance| ProductFleet {
            gateways: (&p.gateways).into(),
            nodes: (&p.nodes).into(),
            product_id: p.product_id,
            product_name: p.product_name,
            groups: p.groups,
        };
        Self {
            started_at: r.started_at,
            as_of: r.as_of,
            gateways: (&r.gateways).into(),
            nodes: (&r.nodes).into(),
            products: r.products.into_iter().map(product).collect(),
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
    pub(crate) warnings: Vec<String>,
}

impl MigratedProfile {
    pub(crate) fn of(profile: ProfileView, secrets: MigratedSecrets) -> Self {
        Self {
            profile,
            copied: secrets.copied.iter().map(|k| k.as_str()).collect(),
            warnings: secrets.warnings,
        }
    }
}
