//! A fast simulated tenant on loopback, tokens from its sign-in, and the product's clients wired to
//! it exactly as a profile would wire them to the real services (only the base URLs differ).

use std::time::Duration;

use asg_fota_core::cloud::arm::{ArmClient, CatalogRef};
use asg_fota_core::cloud::auth::{scopes, IdentityClient, ServicePrincipal, TokenCache};
use asg_fota_core::cloud::legacy::LegacyClient;
use asg_fota_core::cloud::model::{DeviceGroup, DeviceGroupId, TenantId};
use asg_fota_core::cloud::transport::Credentials;
use asg_fota_core::cloud::{
    ControlPlane, ImageSource, PlaneSettings, RetryPolicy, Secret, Transport, TransportSettings,
};
use asg_fota_sim::{SimConfig, SimHandle, SimTiming};

pub async fn sim() -> SimHandle {
    sim_with(SimTiming::fast()).await
}

pub async fn sim_with(timing: SimTiming) -> SimHandle {
    asg_fota_sim::start(SimConfig {
        timing,
        ..SimConfig::default()
    })
    .await
    .expect("the simulator starts")
}

/// Retries quick enough for tests, still exercising the real policy.
pub fn transport() -> Transport {
    Transport::new(TransportSettings {
        connect_timeout: Duration::from_secs(5),
        total_timeout: Duration::from_secs(30),
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(100),
        },
        limits: Default::default(),
    })
    .expect("a transport")
}

pub fn settings(page_size: Option<u32>) -> PlaneSettings {
    PlaneSettings {
        page_size,
        poll_interval: Duration::from_millis(20),
        operation_deadline: Duration::from_secs(20),
    }
}

pub fn identity(sim: &SimHandle) -> IdentityClient {
    IdentityClient::new(transport(), &sim.urls().authority).expect("identity client")
}

pub fn service_principal(sim: &SimHandle, scope: &str) -> TokenCache {
    let demo = sim.demo();
    TokenCache::for_service_principal(
        identity(sim),
        ServicePrincipal {
            tenant: demo.tenant_id.clone(),
            client_id: demo.service_principal_client_id.clone(),
            client_secret: Secret::new(demo.service_principal_secret.clone()),
            scope: scope.to_owned(),
        },
    )
}

pub fn arm_with(sim: &SimHandle, tokens: TokenCache, page_size: Option<u32>) -> ControlPlane {
    let demo = sim.demo();
    ControlPlane::Arm(
        ArmClient::new(
            transport(),
            &sim.urls().arm,
            CatalogRef {
                subscription: demo.subscription_id.clone(),
                resource_group: demo.resource_group.clone(),
                catalog: demo.catalog.clone(),
            },
            Credentials::Bearer(tokens),
            settings(page_size),
        )
        .expect("ARM client"),
    )
}

pub fn arm(sim: &SimHandle, page_size: Option<u32>) -> ControlPlane {
    arm_with(
        sim,
        service_principal(sim, scopes::ARM_SERVICE_PRINCIPAL),
        page_size,
    )
}

pub fn legacy_with(sim: &SimHandle, tokens: TokenCache, page_size: Option<u32>) -> ControlPlane {
    ControlPlane::Legacy(
        LegacyClient::new(
            transport(),
            &sim.urls().legacy,
            TenantId::new(sim.demo().legacy_tenant_id.clone()),
            Credentials::Bearer(tokens),
            settings(page_size),
        )
        .expect("legacy client"),
    )
}

pub fn legacy(sim: &SimHandle, page_size: Option<u32>) -> ControlPlane {
    legacy_with(
        sim,
        service_principal(sim, scopes::LEGACY_SERVICE_PRINCIPAL),
        page_size,
    )
}

pub fn faults(sim: &SimHandle, plan: serde_json::Value) {
    sim.set_faults(serde_json::from_value(plan).expect("a valid fault plan"));
}

pub fn fixture(name: &str) -> std::path::PathBuf {
    crate::fixtures::fixture_path(name)
}

pub fn fixture_image_id(name: &str) -> asg_fota_core::cloud::model::ImageId {
    let bytes = std::fs::read(fixture(name)).expect("fixture");
    let pkg = asg_fota_core::imagepackage::read(&bytes).expect("fixture reads");
    asg_fota_core::cloud::model::ImageId::new(pkg.image_id.0.to_string())
}

/// A fixture package ready to upload: its image id (read from the package, as the product does)
/// and the file as an upload source.
pub fn fixture_package(name: &str) -> (asg_fota_core::cloud::model::ImageId, ImageSource) {
    let source = ImageSource::file(&fixture(name)).expect("fixture");
    (fixture_image_id(name), source)
}

/// The first device group the plane lists.
pub async fn first_group(plane: &ControlPlane) -> DeviceGroup {
    plane
        .device_groups()
        .await
        .expect("groups")
        .into_iter()
        .next()
        .expect("a group")
}

/// Moves the first device of `from` into `to`, and checks that `to` lists it afterwards.
pub async fn move_first_device(plane: &ControlPlane, from: &DeviceGroupId, to: &DeviceGroupId) {
    let device = plane
        .devices(from)
        .await
        .expect("devices")
        .into_iter()
        .next()
        .expect("a device");
    plane.move_device(&device.id, to).await.expect("move");
    let moved = plane.devices(to).await.expect("devices");
    assert!(
        moved.iter().any(|d| d.id == device.id),
        "the device is in the target group now"
    );
}

/// One call the simulator journaled.
#[derive(Debug, Clone)]
pub struct Call {
    pub service: String,
    pub method: String,
    pub path: String,
    pub status: u16,
}

/// Every call the simulator journaled, in order, with its status.
pub fn calls(sim: &SimHandle) -> Vec<Call> {
    let snap = sim.snapshot();
    let entries = snap
        .get("journal")
        .and_then(|j| j.as_array())
        .cloned()
        .unwrap_or_default();
    entries
        .iter()
        .map(|e| {
            let s = |k: &str| {
                e.get(k)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            Call {
                service: s("service"),
                method: s("method"),
                path: s("path"),
                status: e.get("status").and_then(|v| v.as_u64()).unwrap_or(0) as u16,
            }
        })
        .collect()
}
