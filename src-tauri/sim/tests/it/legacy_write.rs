//! Conformance of the legacy API's changing calls: groups, moves, uploads, deployments and the
//! operations that carry them.

use crate::sim_harness;

use reqwest::Method;
use serde_json::{json, Value};
use sim_harness::{board_config, fixture, sim, status_json};
use uuid::Uuid;

fn expected(name: &str) -> Value {
    let path = asg_fota_testkit::fixtures::fixture_path("expected.json");
    let all: Value =
        serde_json::from_slice(&std::fs::read(path).expect("expected.json")).expect("json");
    all[name].clone()
}

async fn upload(sim: &sim_harness::Sim, token: &str, bytes: Vec<u8>) -> (u16, Value) {
    let response = sim
        .http
        .post(sim.legacy("/images"))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        // Stated even for an empty package, as every real client does (else 411).
        .header("content-length", bytes.len())
        .body(bytes)
        .send()
        .await
        .expect("request");
    status_json(response).await
}

fn assert_operation(op: &Value, kind: u64) {
    for key in [
        "OperationId",
        "TenantId",
        "CreatedDateUTC",
        "ResourceLocation",
    ] {
        assert!(op[key].is_string(), "{key} in {op}");
    }
    assert_eq!(op["OperationType"], kind, "{op}");
    assert!(op["State"].is_u64(), "{op}");
    for key in [
        "StartedDateUTC",
        "CompletedDateUTC",
        "DetailsLocation",
        "Error",
    ] {
        assert!(op.get(key).is_some(), "{key} missing in {op}");
    }
}

#[tokio::test]
async fn create_and_patch_groups_reading_keys_case_insensitively() {
    let sim = sim().await;
    let token = sim.legacy_token().await;
    let (_, products) = sim.get(&sim.legacy("/products"), &token).await;
    let product = products["Items"][0]["Id"]
        .as_str()
        .expect("product")
        .to_string();

    let (status, group) = sim
        .send_json(Method::POST, &sim.legacy("/devicegroups"), &token, &json!({"name": "Canary", "PRODUCTID": product, "osFeedType": 1, "UpdatePolicy": 1, "Description": "first wave"}))
        .await;
    assert_eq!(status, 200, "{group}");
    assert_eq!(group["Name"], "Canary");
    assert_eq!(group["ProductId"], product.as_str());
    assert_eq!(
        (group["OsFeedType"].as_u64(), group["UpdatePolicy"].as_u64()),
        (Some(1), Some(1))
    );
    let id = group["Id"].as_str().expect("Id").to_string();

    let (status, patched) = sim
        .send_json(Method::PATCH, &sim.legacy(&format!("/devicegroups/{id}")), &token, &json!({"OSFeedType": 0, "updatePolicy": 0, "AllowCrashDumpsCollection": true, "Description": "all"}))
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["OsFeedType"], 0);
    assert_eq!(patched["UpdatePolicy"], 0);
    assert_eq!(patched["AllowCrashDumpsCollection"], true);
    assert_eq!(patched["Name"], "Canary");
    let (_, fetched) = sim
        .get(&sim.legacy(&format!("/devicegroups/{id}")), &token)
        .await;
    assert_eq!(fetched, patched);

    let table = [
        (
            json!({"Name": "Canary", "ProductId": product}),
            409,
            "Conflict",
        ),
        (json!({"ProductId": product}), 400, "BadRequest"),
        (
            json!({"Name": "X", "ProductId": product, "UpdatePolicy": 9}),
            400,
            "BadRequest",
        ),
        (json!({"Name": "X", "ProductId": "nope"}), 400, "BadRequest"),
        (json!({"Name": "", "ProductId": product}), 400, "BadRequest"),
        (
            json!({"Name": "X", "ProductId": Uuid::nil()}),
            404,
            "NotFound",
        ),
        (json!(["not", "an", "object"]), 400, "BadRequest"),
    ];
    for (body, status, code) in table {
        let (got, error) = sim
            .send_json(Method::POST, &sim.legacy("/devicegroups"), &token, &body)
            .await;
        assert_eq!(got, status, "{body}: {error}");
        assert_eq!(error[0]["ErrorCode"], code, "{body}: {error}");
    }
}

#[tokio::test]
async fn move_device_takes_a_bare_string_and_completes_through_an_operation() {
    let sim = sim().await;
    let token = sim.legacy_token().await;
    let (_, groups) = sim.get(&sim.legacy("/devicegroups"), &token).await;
    let target = groups["Items"][4]["Id"]
        .as_str()
        .expect("group")
        .to_string();
    let (_, devices) = sim.get(&sim.legacy("/devices?maxPageSize=1"), &token).await;
    let device = devices["Items"][0]["DeviceId"]
        .as_str()
        .expect("device")
        .to_string();
    assert_ne!(devices["Items"][0]["DeviceGroupId"], target.as_str());

    let url = sim.legacy(&format!("/devices/{device}/devicegroup"));
    let (status, op) = sim
        .send_json(Method::PUT, &url, &token, &json!(target))
        .await;
    assert_eq!(status, 202, "{op}");
    assert_operation(&op, 2);
    assert_eq!(op["State"], 0);
    let done = sim
        .wait_operation(&token, op["OperationId"].as_str().expect("id"))
        .await;
    assert_eq!(done["State"], 2, "{done}");
    assert!(done["StartedDateUTC"].is_string() && done["CompletedDateUTC"].is_string());
    let (_, moved) = sim
        .get(&sim.legacy(&format!("/devices/{device}")), &token)
        .await;
    assert_eq!(moved["DeviceGroupId"], target.as_str());

    for (body, status) in [
        (json!({"DeviceGroupId": target}), 400),
        (json!("not-a-guid"), 400),
        (json!(Uuid::nil().to_string()), 404),
    ] {
        let (got, error) = sim.send_json(Method::PUT, &url, &token, &body).await;
        assert_eq!(got, status, "{body}: {error}");
        assert!(error.is_array(), "{error}");
    }
}

#[tokio::test]
async fn image_upload_reads_the_package_and_rejects_damage() {
    let sim = sim().await;
    let token = sim.legacy_token().await;
    let name = "hl_azure_sphere_blink.imagepackage";
    let facts = expected(name);
    let (status, op) = upload(&sim, &token, fixture(name)).await;
    assert_eq!(status, 200, "{op}");
    assert_operation(&op, 7);
    let done = sim
        .wait_operation(&token, op["OperationId"].as_str().expect("id"))
        .await;
    assert_eq!(done["State"], 2);
    let image_id = facts["image_id"].as_str().expect("image_id");
    assert!(
        done["ResourceLocation"]
            .as_str()
            .unwrap_or("")
            .contains(image_id),
        "{done}"
    );

    let (status, meta) = sim
        .get(&sim.legacy(&format!("/images/{image_id}/metadata")), &token)
        .await;
    assert_eq!(status, 200);
    assert_eq!(meta["Id"], image_id);
    assert_eq!(meta["ComponentId"], facts["component_id"]);
    assert_eq!(meta["Name"], facts["name"]);
    assert_eq!(meta["Type"], 10);
    assert!(meta["Description"].is_string());

    // The same package again is refused.
    let (status, error) = upload(&sim, &token, fixture(name)).await;
    assert_eq!((status, &error[0]["ErrorCode"]), (409, &json!("Conflict")));

    let mut truncated = fixture(name);
    truncated.truncate(truncated.len() / 2);
    for bad in [Vec::new(), b"not a package".to_vec(), truncated] {
        let (status, error) = upload(&sim, &token, bad).await;
        assert_eq!(status, 400, "{error}");
        assert_eq!(error[0]["ErrorCode"], "InvalidImagePackage", "{error}");
    }
    let response = sim
        .http
        .post(sim.legacy("/images"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 415);
}

#[tokio::test]
async fn images_list_pages() {
    let sim = sim().await;
    let token = sim.legacy_token().await;
    for i in 0..5u128 {
        let (status, _) = upload(
            &sim,
            &token,
            board_config(
                Uuid::from_u128(100 + i),
                Uuid::from_u128(200 + i),
                "ethernet",
            ),
        )
        .await;
        assert_eq!(status, 200);
    }
    let mut seen = Vec::new();
    let mut continuation: Option<String> = None;
    loop {
        let mut request = sim
            .http
            .get(sim.legacy("/images?maxPageSize=2"))
            .bearer_auth(&token);
        if let Some(c) = &continuation {
            request = request.header("Sphere-Continuation", c);
        }
        let (status, page) = status_json(request.send().await.expect("request")).await;
        assert_eq!(status, 200);
        seen.extend(
            page["Items"]
                .as_array()
                .expect("Items")
                .iter()
                .map(|i| i["Id"].clone()),
        );
        match page["ContinuationToken"].as_str() {
            Some(c) => continuation = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    assert!(seen.iter().all(|id| id
        .as_str()
        .is_some_and(|s| s.starts_with("00000000-0000-0000-0000-0000000000"))));
}

#[tokio::test]
async fn deployments_take_a_bare_array_and_become_current() {
    let sim = sim().await;
    let token = sim.legacy_token().await;
    let hl = "hl_anvil_test_app.imagepackage";
    let rt = "rt_avnet_grove_gps.imagepackage";
    for name in [hl, rt] {
        let (_, op) = upload(&sim, &token, fixture(name)).await;
        sim.wait_operation(&token, op["OperationId"].as_str().expect("id"))
            .await;
    }
    let images = json!([expected(hl)["image_id"], expected(rt)["image_id"]]);
    let (_, groups) = sim.get(&sim.legacy("/devicegroups"), &token).await;
    let group = groups["Items"][1]["Id"]
        .as_str()
        .expect("group")
        .to_string();
    let url = sim.legacy(&format!("/devicegroups/{group}/deployments"));

    let (status, op) = sim.send_json(Method::POST, &url, &token, &images).await;
    assert_eq!(status, 202, "{op}");
    assert_operation(&op, 5);
    let done = sim
        .wait_operation(&token, op["OperationId"].as_str().expect("id"))
        .await;
    assert_eq!(done["State"], 2);

    let (_, g) = sim
        .get(&sim.legacy(&format!("/devicegroups/{group}")), &token)
        .await;
    let current = &g["CurrentDeployment"];
    assert_eq!(current["DeployedImages"], images, "{g}");
    for key in ["Id", "TenantId", "DeploymentDateUtc"] {
        assert!(current[key].is_string(), "{key} in {current}");
    }
    let (status, list) = sim.get(&url, &token).await;
    assert_eq!(status, 200);
    assert_eq!(list["Items"].as_array().map(Vec::len), Some(1));
    assert!(list["ContinuationToken"].is_null());
    let id = current["Id"].as_str().expect("id");
    let (status, one) = sim
        .get(&sim.legacy(&format!("/deployments/{id}")), &token)
        .await;
    assert_eq!((status, &one), (200, current));

    let same_component = json!([expected(hl)["image_id"], expected(hl)["image_id"]]);
    for body in [
        json!({"images": images}),
        json!(["not-a-guid"]),
        json!([Uuid::nil()]),
        same_component,
    ] {
        let (status, error) = sim.send_json(Method::POST, &url, &token, &body).await;
        assert_eq!(status, 400, "{body}: {error}");
        assert_eq!(error[0]["ErrorCode"], "BadRequest");
    }
    // An empty deployment is allowed: it removes every image.
    let (status, _) = sim.send_json(Method::POST, &url, &token, &json!([])).await;
    assert_eq!(status, 202);
}
