//! Conformance of the legacy API's read calls: shapes, paging across many pages, errors, auth.

use crate::sim_harness;

use std::collections::HashSet;

use asg_fota_sim::SimConfig;
use serde_json::Value;
use sim_harness::{config, sim, sim_with, status_json};

fn assert_error_array(body: &Value, code: &str) {
    let errors = body
        .as_array()
        .unwrap_or_else(|| panic!("error body is not an array: {body}"));
    assert_eq!(errors.len(), 1, "{body}");
    assert_eq!(errors[0]["ErrorCode"], code, "{body}");
    assert!(
        errors[0]["Title"].is_string() && errors[0]["Detail"].is_string(),
        "{body}"
    );
}

#[tokio::test]
async fn tenants_is_a_bare_array_and_products_are_paged() {
    let sim = sim().await;
    let token = sim.legacy_token().await;
    let (status, tenants) = sim
        .get(&format!("{}/v2/tenants", sim.handle.urls().legacy), &token)
        .await;
    assert_eq!(status, 200);
    let tenants = tenants.as_array().expect("bare array");
    assert_eq!(tenants[0]["Id"], sim.demo().legacy_tenant_id.as_str());
    assert!(tenants[0]["Name"].is_string() && tenants[0]["Roles"].is_array());

    let (status, products) = sim.get(&sim.legacy("/products"), &token).await;
    assert_eq!(status, 200);
    assert!(products["ContinuationToken"].is_null());
    let items = products["Items"].as_array().expect("Items");
    assert_eq!(items.len(), 2);
    for key in ["Id", "TenantId", "Name", "Description"] {
        assert!(items[0][key].is_string(), "{key} in {}", items[0]);
    }
}

#[tokio::test]
async fn device_groups_list_get_and_per_product() {
    let sim = sim().await;
    let token = sim.legacy_token().await;
    let (status, groups) = sim.get(&sim.legacy("/devicegroups"), &token).await;
    assert_eq!(status, 200);
    let groups = groups["Items"].as_array().expect("Items").clone();
    assert_eq!(groups.len(), 5);
    let g = &groups[0];
    for key in ["Id", "TenantId", "ProductId", "Name", "Description"] {
        assert!(g[key].is_string(), "{key} in {g}");
    }
    assert!(
        g["OsFeedType"].is_u64() && g["UpdatePolicy"].is_u64(),
        "integer enums: {g}"
    );
    assert!(g["AllowCrashDumpsCollection"].is_boolean());
    assert!(g["CurrentDeployment"].is_null());

    let product = g["ProductId"].as_str().expect("ProductId");
    let (status, per_product) = sim
        .get(
            &sim.legacy(&format!("/products/{product}/deviceGroups")),
            &token,
        )
        .await;
    assert_eq!(status, 200);
    let per_product = per_product["Items"].as_array().expect("Items");
    assert_eq!(per_product.len(), 3);
    assert!(per_product.iter().all(|x| x["ProductId"] == product));

    let id = g["Id"].as_str().expect("Id");
    let (status, one) = sim
        .get(&sim.legacy(&format!("/devicegroups/{id}")), &token)
        .await;
    assert_eq!((status, &one), (200, g));
}

/// Walks a paged list with `maxPageSize` and `Sphere-Continuation`, returning every item.
async fn walk(sim: &sim_harness::Sim, url: &str, token: &str, page: usize) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut pages = 0;
    let mut continuation: Option<String> = None;
    loop {
        let mut request = sim
            .http
            .get(format!("{url}?maxPageSize={page}"))
            .bearer_auth(token);
        if let Some(token) = &continuation {
            request = request.header("Sphere-Continuation", token);
        }
        let (status, body) = status_json(request.send().await.expect("request")).await;
        assert_eq!(status, 200, "{body}");
        let got = body["Items"].as_array().expect("Items");
        assert!(got.len() <= page);
        items.extend(got.iter().cloned());
        pages += 1;
        match body["ContinuationToken"].as_str() {
            Some(next) => continuation = Some(next.to_string()),
            None => return (items, pages),
        }
    }
}

#[tokio::test]
async fn devices_page_across_many_pages_without_loss_or_repeat() {
    let sim = sim_with(SimConfig {
        gateways: 250,
        ..config()
    })
    .await;
    let token = sim.legacy_token().await;
    let (devices, pages) = walk(&sim, &sim.legacy("/devices"), &token, 7).await;
    assert_eq!(devices.len(), 250);
    assert_eq!(pages, 36);
    let ids: HashSet<&str> = devices
        .iter()
        .filter_map(|d| d["DeviceId"].as_str())
        .collect();
    assert_eq!(ids.len(), 250);
    for d in &devices {
        let id = d["DeviceId"].as_str().expect("DeviceId");
        assert!(
            id.len() == 128 && id.chars().all(|c| c.is_ascii_hexdigit()),
            "{id}"
        );
        for key in [
            "TenantId",
            "ProductId",
            "DeviceGroupId",
            "LastAvailableOSVersion",
            "LastInstalledOSVersion",
            "LastOSUpdateUTC",
            "LastUpdateRequestUTC",
        ] {
            assert!(d[key].is_string(), "{key} in {d}");
        }
        assert_eq!(d["ChipSku"], 0);
    }

    // The devices of one group: 250 round-robin over 5 groups = 50.
    let group = devices[0]["DeviceGroupId"].as_str().expect("group");
    let (in_group, _) = walk(
        &sim,
        &sim.legacy(&format!("/devicegroups/{group}/devices")),
        &token,
        8,
    )
    .await;
    assert_eq!(in_group.len(), 50);
    assert!(in_group.iter().all(|d| d["DeviceGroupId"] == group));

    // One device, by either case of its id.
    let id = devices[3]["DeviceId"].as_str().expect("id");
    let (status, one) = sim
        .get(
            &sim.legacy(&format!("/devices/{}", id.to_lowercase())),
            &token,
        )
        .await;
    assert_eq!((status, &one), (200, &devices[3]));
}

#[tokio::test]
async fn errors_are_json_arrays_with_the_right_code() {
    let sim = sim().await;
    let token = sim.legacy_token().await;
    let unknown = "00000000-0000-0000-0000-000000000001";
    let table = [
        (
            sim.legacy(&format!("/devicegroups/{unknown}")),
            404,
            "NotFound",
        ),
        (
            sim.legacy(&format!("/devices/{}", "A".repeat(128))),
            404,
            "NotFound",
        ),
        (
            sim.legacy(&format!("/deployments/{unknown}")),
            404,
            "NotFound",
        ),
        (
            sim.legacy(&format!("/operations/{unknown}")),
            404,
            "NotFound",
        ),
        (
            sim.legacy(&format!("/images/{unknown}/metadata")),
            404,
            "NotFound",
        ),
        (sim.legacy("/devices?maxPageSize=0"), 400, "BadRequest"),
        (sim.legacy("/devices?maxPageSize=ten"), 400, "BadRequest"),
        (
            format!("{}/v2/tenants/{unknown}/devices", sim.handle.urls().legacy),
            403,
            "Forbidden",
        ),
        (
            format!("{}/v2/nowhere", sim.handle.urls().legacy),
            404,
            "NotFound",
        ),
    ];
    for (url, status, code) in table {
        let (got, body) = sim.get(&url, &token).await;
        assert_eq!(got, status, "{url}: {body}");
        assert_error_array(&body, code);
    }
    // A continuation token from another list is refused.
    let (_, page) = sim.get(&sim.legacy("/devices?maxPageSize=2"), &token).await;
    let foreign = page["ContinuationToken"].as_str().expect("token");
    let response = sim
        .http
        .get(sim.legacy("/images"))
        .bearer_auth(&token)
        .header("Sphere-Continuation", foreign)
        .send()
        .await
        .expect("request");
    let (status, body) = status_json(response).await;
    assert_eq!(status, 400);
    assert_error_array(&body, "BadRequest");
}

#[tokio::test]
async fn role_call_answers_for_the_demo_user_and_service_principal() {
    let sim = sim().await;
    let token = sim.legacy_token().await;
    let upn = sim.demo().user_upn.clone();
    let (status, body) = sim
        .get(&sim.legacy(&format!("/users/{upn}/role")), &token)
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["Roles"][0]["RoleNames"][0], "Administrator");
    assert_eq!(
        body["Roles"][0]["TenantId"],
        sim.demo().legacy_tenant_id.as_str()
    );
    let sp = format!(
        "{}@{}.onmicrosoft.com",
        sim.demo().service_principal_object_id,
        sim.demo().tenant_id
    );
    let (status, body) = sim
        .get(&sim.legacy(&format!("/users/{sp}/role")), &token)
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["Roles"][0]["RoleNames"][0], "Contributor");
    let (status, body) = sim
        .get(&sim.legacy("/users/nobody@example.com/role"), &token)
        .await;
    assert_eq!(status, 404);
    assert_error_array(&body, "NotFound");
}

#[tokio::test]
async fn missing_wrong_audience_expired_and_revoked_tokens_get_401_arrays() {
    let mut cfg = config();
    // Token expiry has one-second granularity (`exp` is whole seconds): 2 s leaves at least 1 s.
    cfg.timing.token_lifetime = std::time::Duration::from_secs(2);
    let sim = sim_with(cfg).await;
    let url = sim.legacy("/devicegroups");

    let response = sim.http.get(&url).send().await.expect("request");
    let (status, body) = status_json(response).await;
    assert_eq!(status, 401);
    assert_error_array(&body, "Unauthorized");

    let arm = sim.sp_token("https://management.azure.com/.default").await;
    let (status, body) = sim.get(&url, &arm).await;
    assert_eq!(status, 401);
    assert_error_array(&body, "Unauthorized");

    let (status, _) = sim.get(&url, "not.a.token").await;
    assert_eq!(status, 401);

    let token = sim.legacy_token().await;
    assert_eq!(sim.get(&url, &token).await.0, 200);
    assert_eq!(
        sim.control_post("/tokens/revoke", &serde_json::json!({}))
            .await,
        204
    );
    let (status, body) = sim.get(&url, &token).await;
    assert_eq!(status, 401);
    assert!(
        body[0]["Detail"].as_str().unwrap_or("").contains("revoked"),
        "{body}"
    );

    let token = sim.legacy_token().await;
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    let (status, body) = sim.get(&url, &token).await;
    assert_eq!(status, 401);
    assert!(
        body[0]["Detail"].as_str().unwrap_or("").contains("expired"),
        "{body}"
    );
}
