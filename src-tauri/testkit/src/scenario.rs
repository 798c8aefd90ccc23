//! The fleet-compliance scenario the CLI's and the app's tests share (issue 14): a partial
//! rollout — a deployment to Field Test (UpdateAll) with two of its gateways updated now and one
//! held offline, a deployment to Frozen (No3rdPartyAppUpdates) with one gateway restarted, so it
//! checks in and keeps its versions (failed) — and the oracle that works out every group's
//! figures from the simulator's own state (its devices, deployments, images and rendered twins),
//! never from what the product says.
//!
//! Everything here speaks to the simulator over loopback by port (its control API, and the
//! product's own clients through [`AttachedDemo`]), so it serves a simulator the test started
//! and the app's Demo tenant (pinned with `ASG_FOTA_DEMO_PORT`) alike.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use asg_fota_core::cloud::auth::BoxFuture;
use asg_fota_core::cloud::iothub::MethodTimeouts;
use asg_fota_core::cloud::model::{DeviceGroupId, DeviceId, ImageId};
use asg_fota_core::paths::AppDirs;
use asg_fota_core::secrets::MemoryStore;
use asg_fota_core::session::{PlaneKind, SecretOverrides};
use asg_fota_core::tenant::{DemoLauncher, RunningDemo, Tenant, TenantHost};
use asg_fota_core::workflow::rollout::RolloutSettings;
use asg_fota_sim::{SimConfig, SimUrls};

use crate::builder::{app_package, manifest_json, PackageSpec, SigningKey};

/// Sends one request to the simulator on `port` (plain HTTP/1.0 over loopback, no client crate)
/// and returns the status and body.
pub fn control(port: u16, method: &str, path: &str, body: Option<&Value>) -> (u16, String) {
    let mut stream =
        std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect to the simulator");
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = answer
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    (status, body)
}

/// The simulator's whole state (`GET /_sim/state`).
pub fn snapshot(port: u16) -> Value {
    let (_, body) = control(port, "GET", "/_sim/state", None);
    serde_json::from_str(&body)
        .unwrap_or_else(|e| panic!("/_sim/state is not JSON ({e}): {body:.200}"))
}

/// The id of the first item of `list` whose `field` is `value` (`"groups"`, `"name"`, …).
pub fn id_where(snap: &Value, list: &str, field: &str, value: &str) -> String {
    snap[list]
        .as_array()
        .expect("a list")
        .iter()
        .find(|x| x[field] == value)
        .and_then(|x| x["id"].as_str())
        .unwrap_or_else(|| panic!("no {list} with {field} = {value}"))
        .to_owned()
}

/// The connected gateways of group `group` (by name), in the simulator's order.
pub fn online_in(snap: &Value, group: &str) -> Vec<String> {
    let id = id_where(snap, "groups", "name", group);
    snap["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .filter(|d| d["group_id"] == id.as_str() && d["gateway"]["connected"] == true)
        .map(|d| d["id"].as_str().expect("id").to_owned())
        .collect()
}

/// When `device` last asked for updates (its check-in), as the simulator recorded it.
pub fn last_check_in(snap: &Value, device: &str) -> Value {
    snap["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .find(|d| {
            d["id"]
                .as_str()
                .is_some_and(|i| i.eq_ignore_ascii_case(device))
        })
        .map(|d| d["last_update_request"].clone())
        .unwrap_or(Value::Null)
}

fn time(v: &Value) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(
        v.as_str().expect("a time"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("RFC 3339")
}

/// Per group name: gateways `[on target, pending, failed, offline, unknown]` and nodes
/// `[outdated, up to date, updating]`, worked out from the simulator's state alone.
pub fn expected_from_sim(snap: &Value) -> BTreeMap<String, (Vec<usize>, Vec<usize>)> {
    let mut out = BTreeMap::new();
    for group in snap["groups"].as_array().expect("groups") {
        let deployment = snap["deployments"]
            .as_array()
            .expect("deployments")
            .iter()
            .find(|d| d["id"] == group["current_deployment"]);
        // The versions the deployment's images carry, as the simulator applies them.
        let (mut hl, mut rt) = (None, None);
        for image in deployment
            .and_then(|d| d["images"].as_array())
            .into_iter()
            .flatten()
        {
            let info = snap["images"]
                .as_array()
                .expect("images")
                .iter()
                .find(|i| &i["id"] == image)
                .expect("a deployed image");
            match info["kind"].as_str() {
                Some("HighLevelApp") => hl = Some(info["version"].clone()),
                Some("RealTimeApp") => rt = Some(info["version"].clone()),
                _ => {}
            }
        }
        let mut gateways = vec![0; 5];
        let mut nodes = vec![0; 3];
        for device in snap["devices"]
            .as_array()
            .expect("devices")
            .iter()
            .filter(|d| d["group_id"] == group["id"])
        {
            let id = device["id"].as_str().expect("id").to_lowercase();
            let twin = &snap["twins"][&id];
            let reported = &twin["properties"]["reported"];
            let status = match deployment {
                None => 4,
                Some(_) if twin["connectionState"] == "Disconnected" => 3,
                Some(_)
                    if hl.as_ref().is_none_or(|v| &reported["HLAppVer"] == v)
                        && rt.as_ref().is_none_or(|v| &reported["RTAppVer"] == v) =>
                {
                    0
                }
                Some(d) if time(&device["last_update_request"]) < time(&d["created"]) => 1,
                Some(_) => 2,
            };
            gateways[status] += 1;
            let available = device["gateway"]["node_fw_available"].as_str().expect("fw");
            for node in device["gateway"]["nodes"].as_array().expect("nodes") {
                let parse =
                    |v: &str| -> Vec<u32> { v.split('.').filter_map(|p| p.parse().ok()).collect() };
                let i = if node["update"]["state"] == "InProgress" {
                    2
                } else if parse(available) > parse(node["fw_version"].as_str().expect("fw")) {
                    0
                } else {
                    1
                };
                nodes[i] += 1;
            }
        }
        out.insert(
            group["name"].as_str().expect("name").to_owned(),
            (gateways, nodes),
        );
    }
    out
}

/// A synthetic app package named `name` in `dir` (a real-time one with `real_time`).
pub fn package(dir: &Path, name: &str, real_time: bool) -> PathBuf {
    package_with_id(dir, name, real_time).0
}

/// [`package`], with the image id the package carries.
pub fn package_with_id(dir: &Path, name: &str, real_time: bool) -> (PathBuf, String) {
    let spec = PackageSpec::app(&name[..name.len().min(32)]);
    let kind = if real_time {
        "RealTimeCapable"
    } else {
        "Default"
    };
    let built = app_package(
        &spec,
        &manifest_json(&spec, name, Some(kind)),
        &SigningKey::p256(),
    );
    let path = dir.join(format!("{name}.imagepackage"));
    std::fs::write(&path, built.bytes).expect("write package");
    (path, spec.image_id.to_string())
}

/// The simulator already running on `port`, as the core's Demo tenant: the product's own
/// clients (sign-in, control plane, IoT Hub) reach it exactly as a Demo profile would. Its
/// identity is the one `config` generates (the simulator is deterministic from its seed), and
/// closing a session leaves the simulator running.
pub struct AttachedDemo {
    pub port: u16,
    pub config: SimConfig,
}

impl DemoLauncher for AttachedDemo {
    fn launch(&self, profile: &str) -> BoxFuture<'static, Result<RunningDemo, String>> {
        let (_, id) = asg_fota_sim::fleet::generate(&self.config);
        let tenant =
            asg_fota_sim::demo::describe(&SimUrls::on_port(self.port), &id, PlaneKind::Arm);
        let secrets = asg_fota_sim::demo::secrets_for(profile, &id);
        Box::pin(async move {
            Ok(RunningDemo {
                tenant,
                secrets: Arc::new(secrets),
                stop: Box::pin(async {}),
            })
        })
    }
}

/// Opens the Demo tenant profile of a fresh host over `dir`, attached to the simulator on `port`.
pub async fn open_attached(port: u16, config: SimConfig, dir: &Path) -> Tenant {
    let dirs = AppDirs {
        config: dir.join("config"),
        data: dir.join("data"),
        log: dir.join("log"),
    };
    let host = TenantHost::new(
        dirs,
        Arc::new(MemoryStore::new()),
        SecretOverrides::default(),
        Arc::new(AttachedDemo { port, config }),
    );
    host.open(None)
        .await
        .expect("the attached Demo tenant opens")
}

/// What [`partial_rollout`] did.
#[derive(Debug, Clone)]
pub struct PartialRollout {
    /// The two Field Test gateways updated now (on target).
    pub updated: Vec<String>,
    /// The Field Test gateway held offline.
    pub offline: String,
    /// The Frozen gateway restarted under No3rdPartyAppUpdates (failed).
    pub failed: String,
    /// An image uploaded and deployed nowhere.
    pub spare_image: String,
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{what} did not happen in 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The partial rollout (see the module doc) on the simulator on `port`, through `tenant`'s
/// clients: the very calls steps 2, 3 and 5 make.
pub async fn partial_rollout(tenant: &Tenant, port: u16, dir: &Path) -> PartialRollout {
    let paths = [
        package(dir, "ASG210_HLApp_v1.2.3", false),
        package(dir, "ASG210_RTApp_v1.1.0_nodefw1.0.9", true),
        package(dir, "ASG210_HLApp_v1.3.0", false),
    ];
    let uploaded = tenant
        .upload(&paths, &CancellationToken::new(), &|_| {})
        .await;
    let ids: Vec<ImageId> = uploaded
        .iter()
        .map(|u| {
            u.image_id
                .clone()
                .unwrap_or_else(|| panic!("{} did not upload: {u:?}", u.file))
        })
        .collect();
    // The plane's own group ids (ARM resource ids on the Demo tenant), found by name.
    let groups = tenant.groups().await.expect("groups");
    let by_name = |name: &str| -> DeviceGroupId {
        groups
            .iter()
            .find(|g| g.name == name)
            .map(|g| g.id.clone())
            .unwrap_or_else(|| panic!("no group {name}"))
    };
    let (field, frozen) = (by_name("Field Test"), by_name("Frozen"));
    let snap = snapshot(port);
    for group in [&field, &frozen] {
        tenant
            .deploy(group, &ids[..2], None)
            .await
            .expect("deployed");
    }

    let online = online_in(&snap, "Field Test");
    assert!(
        online.len() >= 4,
        "the demo fleet has online gateways: {online:?}"
    );
    let updated = online[..2].to_vec();
    let settings = RolloutSettings {
        poll_interval: Duration::from_millis(100),
        deadline: Duration::from_secs(60),
        ..tenant.rollout_settings()
    };
    let rollout = tenant
        .prepare_update_now(&field, settings)
        .await
        .expect("prepared");
    let devices = updated
        .iter()
        .map(|d| DeviceId::parse(d).expect("id"))
        .collect();
    let report = rollout
        .run(devices, &CancellationToken::new(), &|_| {})
        .await;
    assert_eq!(report.succeeded.len(), 2, "update now: {report:?}");

    // One gateway held offline (the fault plan's way of unplugging it).
    let offline = online[2].clone();
    let (status, body) = control(
        port,
        "PUT",
        "/_sim/faults",
        Some(&json!({"offline_devices": [offline.to_lowercase()]})),
    );
    assert!((200..300).contains(&status), "faults: {status} {body}");

    // A gateway of Frozen restarts: it checks in, and its policy keeps the apps away.
    let failed = online_in(&snap, "Frozen")[0].clone();
    let was = last_check_in(&snapshot(port), &failed);
    let device = DeviceId::parse(&failed).expect("id");
    tenant
        .invoke(
            &device,
            "RestartDevice",
            &json!({"delaySeconds": 0}),
            MethodTimeouts::default(),
        )
        .await
        .expect("restart");
    wait_until("the Frozen gateway's check-in", || {
        last_check_in(&snapshot(port), &failed) != was
    });
    wait_until("the Frozen gateway's return", || {
        online_in(&snapshot(port), "Frozen").contains(&failed)
    });
    PartialRollout {
        updated,
        offline,
        failed,
        spare_image: ids[2].to_string(),
    }
}
