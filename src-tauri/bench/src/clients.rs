//! The project's own clients wired to a simulator child exactly as a profile wires them to the
//! real services (only the base URLs differ): the same transport, sign-in and planes.

use std::time::Duration;

use anyhow::Context;
use asg_fota_core::cloud::arm::{ArmClient, CatalogRef};
use asg_fota_core::cloud::auth::{scopes, IdentityClient, ServicePrincipal, TokenCache};
use asg_fota_core::cloud::iothub::{ConnectionString, IotHubClient};
use asg_fota_core::cloud::legacy::LegacyClient;
use asg_fota_core::cloud::model::TenantId;
use asg_fota_core::cloud::transport::Credentials;
use asg_fota_core::cloud::{
    ControlPlane, PlaneSettings, RetryPolicy, Secret, Transport, TransportSettings,
};

use crate::simproc::SimInfo;

/// Which control plane a figure is measured on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Plane {
    Legacy,
    Arm,
}

impl Plane {
    pub const BOTH: [Plane; 2] = [Plane::Legacy, Plane::Arm];

    /// The command-line spelling of the child roles' `--plane`.
    pub fn arg(self) -> &'static str {
        match self {
            Plane::Legacy => "legacy",
            Plane::Arm => "arm",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Plane::Legacy => "legacy",
            Plane::Arm => "ARM",
        }
    }
}

/// The transport with the product's own retry policy and generous timeouts (an 8 MiB upload
/// and a 10,000-row listing must not be cut short by a test-sized timeout).
pub fn transport() -> anyhow::Result<Transport> {
    Ok(Transport::new(TransportSettings {
        connect_timeout: Duration::from_secs(10),
        total_timeout: Duration::from_secs(120),
        retry: RetryPolicy::default(),
        limits: Default::default(),
    })?)
}

/// Operation polls a few milliseconds apart, so a benchmark measures the link and not the
/// product's 1.5 s default poll interval (which is right for Azure, whose operations take seconds).
pub fn settings(page_size: Option<u32>) -> PlaneSettings {
    PlaneSettings {
        page_size,
        poll_interval: Duration::from_millis(5),
        operation_deadline: Duration::from_secs(120),
    }
}

fn tokens(sim: &SimInfo, scope: &str) -> anyhow::Result<TokenCache> {
    let identity = IdentityClient::new(transport()?, &sim.authority)?;
    Ok(TokenCache::for_service_principal(
        identity,
        ServicePrincipal {
            tenant: sim.demo.tenant_id.clone(),
            client_id: sim.demo.service_principal_client_id.clone(),
            client_secret: Secret::new(sim.demo.service_principal_secret.clone()),
            scope: scope.to_owned(),
        },
    ))
}

/// The control plane signed in as the demo service principal.
pub fn plane(sim: &SimInfo, plane: Plane, page_size: Option<u32>) -> anyhow::Result<ControlPlane> {
    Ok(match plane {
        Plane::Legacy => ControlPlane::Legacy(LegacyClient::new(
            transport()?,
            &sim.legacy,
            TenantId::new(sim.demo.legacy_tenant_id.clone()),
            Credentials::Bearer(tokens(sim, scopes::LEGACY_SERVICE_PRINCIPAL)?),
            settings(page_size),
        )?),
        Plane::Arm => ControlPlane::Arm(ArmClient::new(
            transport()?,
            &sim.arm,
            CatalogRef {
                subscription: sim.demo.subscription_id.clone(),
                resource_group: sim.demo.resource_group.clone(),
                catalog: sim.demo.catalog.clone(),
            },
            Credentials::Bearer(tokens(sim, scopes::ARM_SERVICE_PRINCIPAL)?),
            settings(page_size),
        )?),
    })
}

/// The IoT Hub client with the demo connection string.
pub fn iothub(sim: &SimInfo) -> anyhow::Result<IotHubClient> {
    let conn = ConnectionString::parse(&Secret::new(sim.demo.iothub_connection_string.clone()))
        .context("the demo IoT Hub connection string")?;
    Ok(IotHubClient::with_sas(transport()?, &sim.iothub, &conn)?)
}

/// The group's id as `plane` names it.
pub async fn group(
    plane: &ControlPlane,
    name: &str,
) -> anyhow::Result<asg_fota_core::cloud::model::DeviceGroupId> {
    plane
        .device_groups()
        .await?
        .into_iter()
        .find(|g| g.name == name)
        .map(|g| g.id)
        .with_context(|| format!("the tenant has no group {name}"))
}
