//! Fault injection: every kind exercised, in each service's own error format, deterministic for
//! a seed.

use crate::sim_harness;

use std::time::{Duration, Instant};

use asg_fota_sim::{FaultPlan, SimConfig};
use reqwest::Method;
use serde_json::{json, Value};
use sim_harness::{config, fixture, sim, sim_with, status_json, Sim};

async fn statuses(sim: &Sim, url: &str, token: &str, n: usize) -> Vec<u16> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(sim.get(url, token).await.0);
    }
    out
}

#[tokio::test]
async fn throttling_every_nth_and_errors_for_the_first_n() {
    let sim = sim().await;
    let token = sim.legacy_token().await;
    sim.put_faults(json!({"rules": [
        {"service": "legacy", "method": "GET", "path": "/v2/tenants/*/products", "when": {"every_nth": 3}, "action": {"kind": "throttle", "retry_after_secs": 2}},
        {"service": "legacy", "path": "/v2/tenants/*/devicegroups/**", "when": {"first_n": 2}, "action": {"kind": "status", "status": 503}}
    ]}))
    .await;
    let url = sim.legacy("/products");
    assert_eq!(
        statuses(&sim, &url, &token, 6).await,
        [200, 200, 429, 200, 200, 429]
    );
    let response = sim
        .http
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    let _ = response; // the 7th is a 200; the 9th is the next 429
    let _ = sim.get(&url, &token).await;
    let response = sim
        .http
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("2")
    );
    let (status, body) = status_json(response).await;
    assert_eq!(
        (status, &body[0]["ErrorCode"]),
        (429, &json!("TooManyRequests"))
    );

    let groups = sim.legacy("/devicegroups");
    assert_eq!(statuses(&sim, &groups, &token, 3).await, [503, 503, 200]);
}

#[tokio::test]
async fn faults_speak_each_services_error_format_and_spare_the_control_api() {
    let sim = sim().await;
    sim.put_faults(json!({"rules": [{"action": {"kind": "status", "status": 500}}]}))
        .await;
    let token = "irrelevant";
    let (status, body) = sim.get(&sim.legacy("/products"), token).await;
    assert_eq!(status, 500);
    assert_eq!(body[0]["ErrorCode"], "InternalServerError");
    let (status, body) = sim.get(&format!("{}/subscriptions/x/providers/Microsoft.AzureSphere/catalogs?api-version=2024-04-01", sim.handle.urls().arm), token).await;
    assert_eq!(status, 500);
    assert!(body["error"]["code"].is_string(), "{body}");
    let response = sim
        .http
        .post(sim.token_url("common"))
        .body("grant_type=client_credentials")
        .send()
        .await
        .expect("request");
    let (status, body) = status_json(response).await;
    assert_eq!(status, 500);
    assert!(
        body["error"].is_string() && body["error_codes"].is_array(),
        "{body}"
    );
    let (status, body) = sim.get(&sim.iothub("/twins/x"), token).await;
    assert_eq!(status, 500);
    assert!(
        body["Message"]
            .as_str()
            .is_some_and(|m| m.starts_with("ErrorCode:")),
        "{body}"
    );
    // The control API is never faulted.
    let response = sim
        .http
        .get(format!("{}/state", sim.handle.urls().control))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn probabilistic_faults_replay_for_the_same_seed() {
    async fn run(seed: u64) -> Vec<u16> {
        let sim = sim().await;
        let token = sim.legacy_token().await;
        sim.put_faults(json!({"seed": seed, "rules": [{"service": "legacy", "when": {"probability": 0.5}, "action": {"kind": "status", "status": 503}}]})).await;
        statuses(&sim, &sim.legacy("/products"), &token, 24).await
    }
    let a = run(11).await;
    assert_eq!(a, run(11).await);
    assert!(a.contains(&503) && a.contains(&200), "{a:?}");
    assert_ne!(a, run(12).await);
}

#[tokio::test]
async fn latency_and_slow_bodies_delay_the_answer() {
    let sim = sim().await;
    let token = sim.legacy_token().await;
    sim.put_faults(json!({"rules": [
        {"service": "legacy", "path": "/v2/tenants/*/products", "action": {"kind": "latency", "fixed_ms": 150, "jitter_ms": 50}},
        {"service": "legacy", "path": "/v2/tenants/*/devices", "action": {"kind": "slow_body", "chunk_bytes": 1024, "delay_ms": 30}}
    ]}))
    .await;
    let started = Instant::now();
    assert_eq!(sim.get(&sim.legacy("/products"), &token).await.0, 200);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(150) && took < Duration::from_millis(3000),
        "{took:?}"
    );

    let started = Instant::now();
    let (status, body) = sim.get(&sim.legacy("/devices"), &token).await;
    assert_eq!(status, 200);
    let chunks = body.to_string().len() / 1024;
    assert!(chunks >= 3, "body too small to test: {chunks} chunks");
    assert!(
        started.elapsed() >= Duration::from_millis(30 * chunks as u64),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        body["Items"].as_array().map(Vec::len),
        Some(24),
        "the slow body arrives whole"
    );
}

#[tokio::test]
async fn connection_resets_mid_response_and_mid_request() {
    let sim = sim().await;
    let token = sim.legacy_token().await;
    sim.put_faults(json!({"rules": [
        {"service": "legacy", "method": "GET", "path": "/v2/tenants/*/devices", "action": {"kind": "reset_response", "after_bytes": 100}},
        {"service": "legacy", "method": "POST", "path": "/v2/tenants/*/images", "action": {"kind": "reset_request", "after_bytes": 1000}}
    ]}))
    .await;
    let response = sim
        .http
        .get(sim.legacy("/devices"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("headers arrive");
    assert_eq!(response.status(), 200);
    assert!(response.bytes().await.is_err(), "the body must be cut off");

    let upload = sim
        .http
        .post(sim.legacy("/images"))
        .bearer_auth(&token)
        .header("content-type", "application/octet-stream")
        .body(fixture("hl_anvil_test_app.imagepackage"))
        .send()
        .await;
    match upload {
        Err(_) => {}
        Ok(response) => assert!(
            response.bytes().await.is_err(),
            "no complete answer may arrive"
        ),
    }
    // Nothing was uploaded.
    sim.put_faults(json!({})).await;
    let (_, images) = sim.get(&sim.legacy("/images"), &token).await;
    assert_eq!(images["Items"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn an_operation_can_be_made_to_fail() {
    let sim = sim().await;
    let token = sim.legacy_token().await;
    sim.put_faults(json!({"operations": [{"kind": "deploy", "when": {"first_n": 1}, "code": 7, "message": "Conflict (simulated)"}]})).await;
    let (_, groups) = sim.get(&sim.legacy("/devicegroups"), &token).await;
    let group = groups["Items"][0]["Id"]
        .as_str()
        .expect("group")
        .to_string();
    let url = sim.legacy(&format!("/devicegroups/{group}/deployments"));
    let (_, op) = sim.send_json(Method::POST, &url, &token, &json!([])).await;
    let failed = sim
        .wait_operation(&token, op["OperationId"].as_str().expect("id"))
        .await;
    assert_eq!(failed["State"], 3, "{failed}");
    assert_eq!(
        failed["Error"],
        json!({"Code": 7, "Message": "Conflict (simulated)"})
    );
    let (_, g) = sim
        .get(&sim.legacy(&format!("/devicegroups/{group}")), &token)
        .await;
    assert!(
        g["CurrentDeployment"].is_null(),
        "a failed deployment does not become current"
    );
    let (_, op) = sim.send_json(Method::POST, &url, &token, &json!([])).await;
    assert_eq!(
        sim.wait_operation(&token, op["OperationId"].as_str().expect("id"))
            .await["State"],
        2
    );
}

#[tokio::test]
async fn token_faults_answer_401() {
    let sim = sim().await;
    let token = sim.legacy_token().await;
    sim.put_faults(json!({"rules": [
        {"service": "legacy", "path": "/v2/tenants/*/products", "when": {"first_n": 1}, "action": {"kind": "expired_token"}},
        {"service": "legacy", "path": "/v2/tenants/*/images", "when": {"first_n": 1}, "action": {"kind": "revoked_token"}}
    ]}))
    .await;
    let (status, body) = sim.get(&sim.legacy("/products"), &token).await;
    assert_eq!(status, 401);
    assert!(
        body[0]["Detail"]
            .as_str()
            .is_some_and(|d| d.contains("expired")),
        "{body}"
    );
    let (status, body) = sim.get(&sim.legacy("/images"), &token).await;
    assert_eq!(status, 401);
    assert!(
        body[0]["Detail"]
            .as_str()
            .is_some_and(|d| d.contains("revoked")),
        "{body}"
    );
    assert_eq!(sim.get(&sim.legacy("/products"), &token).await.0, 200);
}

#[tokio::test]
async fn devices_offline_or_too_slow_per_the_plan() {
    let sim = sim().await;
    let snapshot = sim.handle.snapshot();
    let (id, _) = snapshot["twins"]
        .as_object()
        .expect("twins")
        .iter()
        .find(|(_, t)| t["connectionState"] == "Connected")
        .expect("online");
    let id = id.clone();
    sim.put_faults(json!({"offline_devices": [id.to_uppercase()]}))
        .await;
    assert_eq!(sim.twin(&id).await["connectionState"], "Disconnected");
    let (status, body) = sim.method(&id, "RestartDevice", json!({})).await;
    assert_eq!(
        (status, &json!(sim_harness::hub_error_code(&body))),
        (404, &json!(404103))
    );

    sim.put_faults(json!({"rules": [{"service": "iothub", "method": "POST", "path": "/twins/*/methods", "action": {"kind": "device_timeout"}}]})).await;
    let (status, body) = sim.method(&id, "RestartDevice", json!({})).await;
    assert_eq!(
        (status, &json!(sim_harness::hub_error_code(&body))),
        (504, &json!(504101)),
        "{body}"
    );
    assert_eq!(sim.twin(&id).await["connectionState"], "Connected");
}

#[tokio::test]
async fn plans_load_from_a_file_and_bad_plans_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("faults.json");
    std::fs::write(
        &path,
        r#"{"rules": [{"service": "legacy", "action": {"kind": "status", "status": 503}}]}"#,
    )
    .expect("write");
    let plan = FaultPlan::load(&path).expect("plan loads");
    let sim = sim_with(SimConfig {
        faults: plan,
        ..config()
    })
    .await;
    let token = sim.legacy_token().await;
    assert_eq!(sim.get(&sim.legacy("/products"), &token).await.0, 503);
    assert_eq!(
        sim.handle.snapshot()["faults"]["rules"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    std::fs::write(&path, r#"{"rules": [{"action": {"kind": "teleport"}}]}"#).expect("write");
    assert!(FaultPlan::load(&path).is_err());
    let response = sim
        .http
        .put(format!("{}/faults", sim.handle.urls().control))
        .json(&json!({"rules": 3}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 400);
    // Replacing the plan through the Rust API works too.
    sim.handle.set_faults(FaultPlan::default());
    assert_eq!(sim.get(&sim.legacy("/products"), &token).await.0, 200);
    let _: Value = sim.handle.snapshot();
}
