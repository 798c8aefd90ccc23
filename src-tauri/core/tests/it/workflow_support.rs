//! The harness of the step 5 and 6 tests: a real simulated tenant, a [`Fleet`] wired to it as a
//! profile would wire it (control plane + IoT Hub with the demo connection string + a journal in a
//! temporary directory), synthetic image packages whose names carry versions, and readers of the
//! simulator's own state so outcomes are checked there, not in what the workflow says.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use asg_fota_core::cloud::iothub::{ConnectionString, IotHubClient};
use asg_fota_core::cloud::model::{DeviceGroupId, DeviceId, ImageId};
use asg_fota_core::cloud::{ControlPlane, ImageSource, Secret};
use asg_fota_core::profiles::{Backend, DeviceContract};
use asg_fota_core::workflow::fleet::Fleet;
use asg_fota_core::workflow::journal::{Actor, Journal};
use asg_fota_sim::SimHandle;
use serde_json::Value;

use asg_fota_testkit::builder::{app_package, manifest_json, PackageSpec, SigningKey};
use asg_fota_testkit::cloud as cloud_support;

/// A fleet on `plane` with the default device contract, journaling into `dir`.
pub fn fleet(sim: &SimHandle, plane: ControlPlane, dir: &tempfile::TempDir) -> Fleet {
    fleet_with(sim, plane, dir, DeviceContract::default())
}

/// A fleet on `plane` with `contract`, journaling into `dir`.
pub fn fleet_with(
    sim: &SimHandle,
    plane: ControlPlane,
    dir: &tempfile::TempDir,
    contract: DeviceContract,
) -> Fleet {
    let conn = ConnectionString::parse(&Secret::new(sim.demo().iothub_connection_string.clone()))
        .expect("demo connection string");
    let hub = IotHubClient::with_sas(cloud_support::transport(), &sim.urls().iothub, &conn)
        .expect("IoT Hub client");
    Fleet::new(
        plane,
        hub,
        contract,
        Journal::at(dir.path().join("journal.jsonl")),
        Actor {
            profile: "test".into(),
            backend: Backend::Legacy,
        },
    )
}

/// A signed synthetic application package named `name` (its manifest name, which is what the
/// service shows as the image name).
pub fn app(name: &str, real_time: bool) -> (ImageId, Vec<u8>) {
    let spec = PackageSpec::app(&name[..name.len().min(32)]);
    let kind = if real_time {
        "RealTimeCapable"
    } else {
        "Default"
    };
    let manifest = manifest_json(&spec, name, Some(kind));
    let built = app_package(&spec, &manifest, &SigningKey::p256());
    (ImageId::new(spec.image_id.to_string()), built.bytes)
}

/// Uploads `packages` and makes them the group's deployment.
pub async fn deploy(
    plane: &ControlPlane,
    group: &DeviceGroupId,
    packages: Vec<(ImageId, Vec<u8>)>,
) {
    let mut ids = Vec::new();
    for (id, bytes) in packages {
        plane
            .upload_image(&ImageSource::Bytes(bytes.into()), &id)
            .await
            .expect("upload");
        ids.push(id);
    }
    plane.create_deployment(group, &ids).await.expect("deploy");
}

/// The simulator's group with this name: `(legacy uuid, update policy)`.
pub fn group(sim: &SimHandle, name: &str) -> String {
    sim.snapshot()["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["name"] == name)
        .and_then(|g| g["id"].as_str())
        .expect("the group")
        .to_owned()
}

/// The group id as the plane names it (legacy: the uuid; ARM: found by name).
pub async fn plane_group(plane: &ControlPlane, name: &str) -> DeviceGroupId {
    plane
        .device_groups()
        .await
        .expect("groups")
        .into_iter()
        .find(|g| g.name == name)
        .expect("the group")
        .id
}

/// Gateways of the group (by the simulator's uuid) that match `filter`, from the snapshot.
pub fn gateways(
    sim: &SimHandle,
    group_uuid: &str,
    filter: impl Fn(&Value) -> bool,
) -> Vec<DeviceId> {
    sim.snapshot()["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .filter(|d| d["group_id"] == group_uuid && filter(d))
        .map(|d| DeviceId::parse(d["id"].as_str().expect("id")).expect("a device id"))
        .collect()
}

pub fn online(d: &Value) -> bool {
    d["gateway"]["connected"] == true
}

/// The simulator's rendered twin of a device.
pub fn twin(sim: &SimHandle, device: &DeviceId) -> Value {
    let snapshot = sim.snapshot();
    let twins = snapshot["twins"].as_object().expect("twins");
    twins
        .values()
        .find(|t| {
            t["deviceId"]
                .as_str()
                .is_some_and(|id| id.eq_ignore_ascii_case(device.as_str()))
        })
        .cloned()
        .expect("the twin")
}

/// The simulator's record of a device.
pub fn device(sim: &SimHandle, device: &DeviceId) -> Value {
    sim.snapshot()["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .find(|d| {
            d["id"]
                .as_str()
                .is_some_and(|id| id.eq_ignore_ascii_case(device.as_str()))
        })
        .cloned()
        .expect("the device")
}

/// Every IoT Hub call the simulator journaled, as `(method, path)`.
pub fn hub_calls(sim: &SimHandle) -> Vec<(String, String)> {
    cloud_support::calls(sim)
        .into_iter()
        .filter(|c| c.service == "iothub")
        .map(|c| (c.method, c.path))
        .collect()
}

/// A progress sink that keeps every event.
pub fn recorder<T: Send + 'static>() -> (Arc<Mutex<Vec<T>>>, impl Fn(T) + Send + Sync) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = {
        let events = events.clone();
        move |e: T| events.lock().expect("events").push(e)
    };
    (events, sink)
}

/// The journal's lines.
pub fn journal(dir: &tempfile::TempDir) -> Vec<Value> {
    std::fs::read_to_string(dir.path().join("journal.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}
