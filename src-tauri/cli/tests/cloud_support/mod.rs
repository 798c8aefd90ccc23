//! What the CLI's cloud tests share: the real image packages, a simulator with test timings, and
//! profiles (as they are written to `profiles.json`) pointing at it.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use asg_fota_sim::{SimConfig, SimHandle, SimTiming};
use serde_json::{json, Value};

/// A real SDK-built package from `shared/fixtures/imagepackages`, beside the repository.
pub fn fixture(name: &str) -> PathBuf {
    let near = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures/imagepackages"
    ))
    .join(name);
    if near.exists() {
        near
    } else {
        Path::new("/work/shared/fixtures/imagepackages").join(name)
    }
}

pub fn path_str(path: &Path) -> String {
    path.to_str().unwrap().to_owned()
}

/// A simulator on an ephemeral port with `timing` (start from `SimTiming::fast()`).
pub async fn start_sim(timing: SimTiming) -> SimHandle {
    asg_fota_sim::start(SimConfig {
        timing,
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

/// The simulator's IoT Hub, reached with a connection string.
pub fn iothub(sim: &SimHandle) -> Value {
    json!({"host": iothub_host(&sim.demo().iothub_connection_string), "api_base": sim.urls().iothub})
}

fn iothub_host(connection_string: &str) -> String {
    connection_string
        .split(';')
        .find_map(|p| p.strip_prefix("HostName="))
        .unwrap()
        .to_owned()
}

/// The `SharedAccessKey` part of a connection string.
pub fn shared_access_key(connection_string: &str) -> String {
    connection_string
        .split(';')
        .find_map(|p| p.strip_prefix("SharedAccessKey="))
        .unwrap()
        .to_owned()
}

/// A legacy profile signed in as the demo service principal. It names no Azure Sphere tenant:
/// the session must find the account's only one by itself.
pub fn legacy_profile(sim: &SimHandle) -> Value {
    let demo = sim.demo();
    json!({
        "backend": "legacy",
        "authority_host": sim.urls().authority,
        "api_base": sim.urls().legacy,
        "tenant_id": demo.tenant_id,
        "service_principal_client_id": demo.service_principal_client_id,
        "iothub": iothub(sim),
    })
}

/// An ARM profile signed in as the demo service principal.
pub fn arm_profile(sim: &SimHandle) -> Value {
    let demo = sim.demo();
    json!({
        "backend": "arm",
        "authority_host": sim.urls().authority,
        "api_base": sim.urls().arm,
        "tenant_id": demo.tenant_id,
        "subscription_id": demo.subscription_id,
        "resource_group": demo.resource_group,
        "catalog": demo.catalog,
        "service_principal_client_id": demo.service_principal_client_id,
        "iothub": iothub(sim),
    })
}

/// An ARM profile for a person's device-code sign-in (the demo public client, no principal).
pub fn arm_person_profile(sim: &SimHandle) -> Value {
    let mut profile = arm_profile(sim);
    let object = profile.as_object_mut().unwrap();
    object.remove("service_principal_client_id");
    object.insert("client_id".into(), json!(sim.demo().arm_client_id));
    profile
}
