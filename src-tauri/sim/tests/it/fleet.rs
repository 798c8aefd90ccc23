//! Fleet scenarios: deploy → restart → check-in → on target; node updates; offline gateways;
//! a policy that blocks app updates; determinism and the state file.

use crate::sim_harness;

use std::time::{Duration, Instant};

use asg_fota_sim::SimConfig;
use reqwest::Method;
use serde_json::{json, Value};
use sim_harness::{config, fixture, sim, sim_with, Sim};

/// `(device id lowercase, group id)` of an online gateway in a group with `policy`.
fn gateway_in(sim: &Sim, policy: &str, with_nodes: bool) -> (String, String) {
    let snapshot = sim.handle.snapshot();
    let groups = snapshot["groups"].as_array().expect("groups");
    snapshot["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .find(|d| {
            let group = groups.iter().find(|g| g["id"] == d["group_id"]);
            d["gateway"]["connected"] == true
                && group.is_some_and(|g| g["update_policy"] == policy)
                && (!with_nodes
                    || d["gateway"]["nodes"]
                        .as_array()
                        .is_some_and(|n| !n.is_empty()))
        })
        .map(|d| {
            (
                d["id"].as_str().expect("id").to_lowercase(),
                d["group_id"].as_str().expect("group").to_string(),
            )
        })
        .expect("a matching gateway")
}

async fn upload_and_deploy(sim: &Sim, token: &str, group: &str, packages: &[&str]) {
    let mut ids = Vec::new();
    for name in packages {
        let response = sim
            .http
            .post(sim.legacy("/images"))
            .bearer_auth(token)
            .header("content-type", "application/octet-stream")
            .body(fixture(name))
            .send()
            .await
            .expect("upload");
        let (status, op) = sim_harness::status_json(response).await;
        assert_eq!(status, 200, "{op}");
        let done = sim
            .wait_operation(token, op["OperationId"].as_str().expect("id"))
            .await;
        let location = done["ResourceLocation"].as_str().expect("location");
        ids.push(location.split('/').nth(5).expect("image id").to_string());
    }
    let (status, op) = sim
        .send_json(
            Method::POST,
            &sim.legacy(&format!("/devicegroups/{group}/deployments")),
            token,
            &json!(ids),
        )
        .await;
    assert_eq!(status, 202, "{op}");
    assert_eq!(
        sim.wait_operation(token, op["OperationId"].as_str().expect("id"))
            .await["State"],
        2
    );
}

async fn wait_twin(sim: &Sim, device: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let twin = sim.twin(device).await;
        if done(&twin) {
            return twin;
        }
        assert!(Instant::now() < deadline, "{what} never happened: {twin}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn last_check_in(sim: &Sim, token: &str, device: &str) -> String {
    let (_, d) = sim
        .get(&sim.legacy(&format!("/devices/{device}")), token)
        .await;
    d["LastUpdateRequestUTC"]
        .as_str()
        .expect("LastUpdateRequestUTC")
        .to_string()
}

#[tokio::test]
async fn deploy_restart_check_in_lands_on_target() {
    let sim = sim().await;
    let token = sim.legacy_token().await;
    let (device, group) = gateway_in(&sim, "UpdateAll", false);
    upload_and_deploy(
        &sim,
        &token,
        &group,
        &[
            "hl_anvil_test_app.imagepackage",
            "rt_avnet_grove_gps.imagepackage",
        ],
    )
    .await;
    let before = last_check_in(&sim, &token, &device).await;

    let (status, answer) = sim
        .method(&device, "RestartDevice", json!({"delaySeconds": 5}))
        .await;
    assert_eq!((status, &answer["status"]), (200, &json!(200)), "{answer}");
    wait_twin(&sim, &device, "going offline", |t| {
        t["connectionState"] == "Disconnected"
    })
    .await;
    let twin = wait_twin(&sim, &device, "coming back", |t| {
        t["connectionState"] == "Connected"
    })
    .await;
    let reported = &twin["properties"]["reported"];
    // First upload of each component: 1.0.1; the RTApp carries node firmware 1.0.1.
    assert_eq!(reported["HLAppVer"], "1.0.1", "{reported}");
    assert_eq!(reported["RTAppVer"], "1.0.1");
    assert_eq!(reported["NodeFwAvailable"], "1.0.1");
    let after = last_check_in(&sim, &token, &device).await;
    assert!(
        after > before,
        "check-in did not advance: {before} → {after}"
    );

    // A method with connectTimeoutInSeconds waits for a rebooting gateway to come back.
    assert_eq!(sim.method(&device, "RestartDevice", json!({})).await.0, 200);
    wait_twin(&sim, &device, "rebooting", |t| {
        t["connectionState"] == "Disconnected"
    })
    .await;
    let (status, answer) = sim
        .hub_post(
            &format!("/twins/{device}/methods"),
            &json!({"methodName": "RestartDevice", "payload": {}, "connectTimeoutInSeconds": 5}),
        )
        .await;
    assert_eq!((status, &answer["status"]), (200, &json!(200)), "{answer}");

    // A second restart with nothing new changes nothing but the check-in time.
    let (status, _) = sim.method(&device, "RestartDevice", json!({})).await;
    assert_eq!(status, 200);
    wait_twin(&sim, &device, "offline again", |t| {
        t["connectionState"] == "Disconnected"
    })
    .await;
    let again = wait_twin(&sim, &device, "back again", |t| {
        t["connectionState"] == "Connected"
    })
    .await;
    assert_eq!(again["properties"]["reported"]["HLAppVer"], "1.0.1");
}

#[tokio::test]
async fn a_policy_without_app_updates_keeps_the_versions() {
    let sim = sim().await;
    let token = sim.legacy_token().await;
    let (device, group) = gateway_in(&sim, "No3rdPartyAppUpdates", false);
    let before_twin = sim.twin(&device).await;
    upload_and_deploy(
        &sim,
        &token,
        &group,
        &["hl_azure_sphere_blink.imagepackage"],
    )
    .await;
    let before = last_check_in(&sim, &token, &device).await;
    assert_eq!(sim.method(&device, "RestartDevice", json!({})).await.0, 200);
    wait_twin(&sim, &device, "offline", |t| {
        t["connectionState"] == "Disconnected"
    })
    .await;
    let twin = wait_twin(&sim, &device, "online", |t| {
        t["connectionState"] == "Connected"
    })
    .await;
    assert_eq!(
        twin["properties"]["reported"]["HLAppVer"],
        before_twin["properties"]["reported"]["HLAppVer"]
    );
    assert!(last_check_in(&sim, &token, &device).await > before);
}

#[tokio::test]
async fn node_update_reports_progress_then_the_new_version() {
    let sim = sim().await;
    let (device, _) = gateway_in(&sim, "UpdateAll", true);
    let twin = sim.twin(&device).await;
    let available = twin["properties"]["reported"]["NodeFwAvailable"].clone();
    let mac = twin["properties"]["reported"]["Nodes"]
        .as_object()
        .expect("nodes")
        .keys()
        .next()
        .expect("a node")
        .clone();

    let (status, answer) = sim
        .method(&device, "UpdateNodeFirmware", json!({"mac": mac}))
        .await;
    assert_eq!((status, &answer["status"]), (200, &json!(202)), "{answer}");
    let (_, busy) = sim
        .method(
            &device,
            "UpdateNodeFirmware",
            json!({"mac": mac.to_lowercase()}),
        )
        .await;
    assert_eq!(busy["status"], 409, "{busy}");
    let (_, unknown) = sim
        .method(
            &device,
            "UpdateNodeFirmware",
            json!({"mac": "0008DCFFFFFF"}),
        )
        .await;
    assert_eq!(unknown["status"], 404, "{unknown}");

    let during = wait_twin(&sim, &device, "progress", |t| {
        t["properties"]["reported"]["Nodes"][&mac]["update"]["percent"]
            .as_u64()
            .is_some_and(|p| p > 0 && p < 100)
    })
    .await;
    let node = &during["properties"]["reported"]["Nodes"][&mac];
    assert_eq!(node["update"]["state"], "InProgress");
    assert_eq!(node["status"], "UPDATING");
    let done = wait_twin(&sim, &device, "update end", |t| {
        t["properties"]["reported"]["Nodes"][&mac]["update"]["state"] == "Succeeded"
    })
    .await;
    let node = &done["properties"]["reported"]["Nodes"][&mac];
    assert_eq!(node["fwVersion"], available);
    assert_eq!(node["update"]["percent"], 100);
    assert_eq!(node["status"], "READY");
}

#[tokio::test]
async fn an_offline_gateway_answers_404103_until_it_reconnects() {
    let sim = sim().await;
    let (device, _) = gateway_in(&sim, "UpdateAll", true);
    assert_eq!(
        sim.control_post(
            &format!("/devices/{device}/connection"),
            &json!({"connected": false})
        )
        .await,
        204
    );
    for (name, payload) in [
        ("RestartDevice", json!({})),
        ("UpdateNodeFirmware", json!({"mac": "0008DC000000"})),
    ] {
        let (status, body) = sim.method(&device, name, payload).await;
        assert_eq!(
            (status, &json!(sim_harness::hub_error_code(&body))),
            (404, &json!(404103)),
            "{name}: {body}"
        );
    }
    assert_eq!(
        sim.control_post(
            &format!("/devices/{device}/connection"),
            &json!({"connected": true})
        )
        .await,
        204
    );
    assert_eq!(sim.method(&device, "RestartDevice", json!({})).await.0, 200);
}

#[tokio::test]
async fn the_fleet_is_deterministic_for_a_seed_and_scales() {
    let a = sim().await.handle.snapshot();
    let b = sim().await.handle.snapshot();
    for key in ["devices", "groups", "products", "tenant"] {
        assert_eq!(a[key][0]["id"], b[key][0]["id"], "{key}");
    }
    // Everything but the wall-clock times is the same.
    let project = |s: &Value| -> Vec<String> {
        s["devices"]
            .as_array()
            .expect("devices")
            .iter()
            .map(|d| {
                format!(
                    "{} {} {} {} {}",
                    d["id"],
                    d["group_id"],
                    d["gateway"]["nodes"],
                    d["gateway"]["rt_app"],
                    d["gateway"]["connected"]
                )
            })
            .collect()
    };
    assert!(project(&a) == project(&b), "same seed, different fleet");
    let c = sim_with(SimConfig {
        seed: 7,
        ..config()
    })
    .await
    .handle
    .snapshot();
    assert_ne!(a["devices"][0]["id"], c["devices"][0]["id"]);

    let big = sim_with(SimConfig {
        gateways: 10_000,
        ..config()
    })
    .await;
    let snapshot = big.handle.snapshot();
    assert_eq!(snapshot["devices"].as_array().map(Vec::len), Some(10_000));
    assert_eq!(snapshot["groups"].as_array().map(Vec::len), Some(5));
}

#[tokio::test]
async fn the_state_file_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sim-state.json");
    let cfg = SimConfig {
        state_file: Some(path.clone()),
        ..config()
    };
    let sim = sim_with(cfg.clone()).await;
    let token = sim.legacy_token().await;
    let (_, products) = sim.get(&sim.legacy("/products"), &token).await;
    let product = products["Items"][0]["Id"].clone();
    let (status, group) = sim
        .send_json(
            Method::POST,
            &sim.legacy("/devicegroups"),
            &token,
            &json!({"Name": "Persisted", "ProductId": product}),
        )
        .await;
    assert_eq!(status, 200);
    sim.handle.shutdown().await;
    assert!(path.exists());
    assert!(
        !dir.path().join(".sim-state.json.tmp").exists(),
        "the temporary file is renamed away"
    );

    let again = sim_with(cfg).await;
    let token = again.legacy_token().await;
    let (status, found) = again
        .get(
            &again.legacy(&format!(
                "/devicegroups/{}",
                group["Id"].as_str().expect("id")
            )),
            &token,
        )
        .await;
    assert_eq!((status, &found["Name"]), (200, &json!("Persisted")));
}
