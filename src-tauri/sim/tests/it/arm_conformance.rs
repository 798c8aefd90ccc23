//! Conformance of the simulated ARM `Microsoft.AzureSphere` 2024-04-01 API, spoken to with a
//! plain HTTP client (raw `reqwest`, never the project's own ARM client, so the two cannot share
//! a mistake).
//!
//! Every answer the tests receive is checked against the spec here, independently of the
//! server's own debug-build check: the harness (`arm_support::Arm::call`) finds the operation of
//! each request from the spec's paths and validates the body for the status it came with.

use crate::arm_support;

use arm_support::*;
use asg_fota_sim::{FaultPlan, SimConfig, SimTiming};
use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test]
async fn read_endpoints_answer_spec_shaped_resources() {
    let arm = Arm::fast().await;
    let c = arm.c();
    let demo = arm.sim.demo().clone();

    let catalogs = arm
        .get(&format!(
            "/subscriptions/{}/providers/Microsoft.AzureSphere/catalogs",
            demo.subscription_id
        ))
        .await;
    assert_eq!(catalogs.status, StatusCode::OK);
    assert!(catalogs.header("x-ms-request-id").is_some());
    assert_eq!(catalogs.body["value"][0]["id"], json!(c));
    assert_eq!(
        catalogs.body["value"][0]["type"],
        "Microsoft.AzureSphere/catalogs"
    );
    let by_rg = arm
        .get(&format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.AzureSphere/catalogs",
            demo.subscription_id, demo.resource_group
        ))
        .await;
    assert_eq!(by_rg.body["value"][0]["name"], json!(demo.catalog));
    let catalog = arm.get(&c).await;
    assert_eq!(catalog.body["location"], "global");
    assert_eq!(
        catalog.body["properties"]["tenantId"],
        json!(demo.legacy_tenant_id)
    );

    let products = arm.get(&format!("{c}/products")).await;
    let products = products.body["value"]
        .as_array()
        .cloned()
        .expect("products");
    assert_eq!(products.len(), 2);
    let product_name = products[0]["name"].as_str().expect("name").to_owned();
    let product = arm.get(&format!("{c}/products/{product_name}")).await;
    assert_eq!(product.status, StatusCode::OK);
    assert_eq!(
        product.body["type"],
        "Microsoft.AzureSphere/catalogs/products"
    );

    let groups = arm
        .get(&format!("{c}/products/{product_name}/deviceGroups"))
        .await;
    let groups = groups.body["value"].as_array().cloned().expect("groups");
    assert!(!groups.is_empty());
    let all_groups = arm
        .call(
            Method::POST,
            &format!("{c}/listDeviceGroups"),
            Some(json!({})),
        )
        .await;
    assert_eq!(all_groups.body["value"].as_array().map(Vec::len), Some(5));
    let group = &groups[0];
    let group_path = path_of(group["id"].as_str().expect("id"));
    for key in [
        "osFeedType",
        "updatePolicy",
        "allowCrashDumpsCollection",
        "regionalDataBoundary",
        "hasDeployment",
    ] {
        assert!(group["properties"].get(key).is_some(), "group lacks {key}");
    }
    let one = arm.get(&group_path).await;
    assert_eq!(one.body, *group);
    let group_name = group["name"].as_str().expect("name").to_owned();
    let filtered = arm
        .call(
            Method::POST,
            &format!("{c}/listDeviceGroups"),
            Some(json!({"deviceGroupName": group_name})),
        )
        .await;
    assert_eq!(filtered.body["value"].as_array().map(Vec::len), Some(1));

    let total = arm
        .call(Method::POST, &format!("{c}/countDevices"), None)
        .await;
    assert_eq!(total.body, json!({"value": 24}));
    let per_product = arm
        .call(
            Method::POST,
            &format!("{c}/products/{product_name}/countDevices"),
            None,
        )
        .await;
    let in_group = arm
        .call(Method::POST, &format!("{group_path}/countDevices"), None)
        .await;
    assert!(in_group.body["value"].as_u64() <= per_product.body["value"].as_u64());

    let devices = arm.get(&format!("{group_path}/devices")).await;
    let devices = devices.body["value"].as_array().cloned().expect("devices");
    assert_eq!(
        devices.len() as u64,
        in_group.body["value"].as_u64().expect("n")
    );
    let device = devices
        .first()
        .expect("a device in the first group")
        .clone();
    let device_id = device["name"].as_str().expect("name");
    assert_eq!(device_id.len(), 128);
    assert_eq!(device["properties"]["deviceId"], json!(device_id));
    let got = arm.get(&format!("{group_path}/devices/{device_id}")).await;
    assert_eq!(got.body, device);
    let lower = arm
        .get(&format!(
            "{group_path}/devices/{}",
            device_id.to_ascii_lowercase()
        ))
        .await;
    assert_eq!(
        lower.status,
        StatusCode::OK,
        "device ids are case-insensitive"
    );

    let images = arm.get(&format!("{c}/images")).await;
    assert_eq!(images.body, json!({"value": []}));
    let deployments = arm.get(&format!("{group_path}/deployments")).await;
    assert_eq!(deployments.body, json!({"value": []}));
    let current = arm.get(&format!("{group_path}/deployments/.default")).await;
    assert_eq!(current.status, StatusCode::NOT_FOUND);
    assert_eq!(current.code(), "ResourceNotFound");

    arm.sim.shutdown().await;
}

#[tokio::test]
async fn front_door_errors_are_arm_errors() {
    let arm = Arm::fast().await;
    let c = arm.c();
    let base = arm.sim.urls().arm.clone();
    let demo = arm.sim.demo().clone();
    let legacy_token = client_credentials(
        &arm.http,
        &arm.sim,
        "https://firstparty.sphere.azure.net/api/.default",
    )
    .await;

    // (url, token, expected status, expected code)
    let table: Vec<(String, Option<&str>, u16, &str)> = vec![
        (
            format!("{base}{c}/products?{API}"),
            None,
            401,
            "AuthenticationFailed",
        ),
        (
            format!("{base}{c}/products?{API}"),
            Some("not.a.token"),
            401,
            "InvalidAuthenticationToken",
        ),
        (
            format!("{base}{c}/products?{API}"),
            Some(&legacy_token),
            401,
            "InvalidAuthenticationTokenAudience",
        ),
        (
            format!("{base}{c}/products"),
            Some(&arm.token),
            400,
            "MissingApiVersionParameter",
        ),
        (
            format!("{base}{c}/products?api-version=2023-01-01"),
            Some(&arm.token),
            400,
            "NoRegisteredProviderFound",
        ),
        (
            format!("{base}{c}/products?api-version=2022-09-01-preview"),
            Some(&arm.token),
            400,
            "NoRegisteredProviderFound",
        ),
        (
            format!("{base}{c}/products?api-version=latest"),
            Some(&arm.token),
            400,
            "InvalidApiVersionParameter",
        ),
        (
            format!(
                "{base}{}/products?{API}",
                c.replace(
                    &demo.subscription_id,
                    "00000000-0000-0000-0000-000000000000"
                )
            ),
            Some(&arm.token),
            404,
            "SubscriptionNotFound",
        ),
        (
            format!(
                "{base}{}/products?{API}",
                c.replace(&demo.resource_group, "other-rg")
            ),
            Some(&arm.token),
            404,
            "ResourceGroupNotFound",
        ),
        (
            format!(
                "{base}{}/products?{API}",
                c.replace(&format!("catalogs/{}", demo.catalog), "catalogs/other")
            ),
            Some(&arm.token),
            404,
            "ResourceNotFound",
        ),
        (
            format!("{base}{c}/products/NoSuchProduct?{API}"),
            Some(&arm.token),
            404,
            "ResourceNotFound",
        ),
        (
            format!("{base}{c}/images/{}?{API}", uuid::Uuid::nil()),
            Some(&arm.token),
            404,
            "ResourceNotFound",
        ),
        (
            format!("{base}{c}/gadgets?{API}"),
            Some(&arm.token),
            404,
            "InvalidResourceType",
        ),
        (
            format!("{base}{c}/certificates?{API}"),
            Some(&arm.token),
            501,
            "NotImplemented",
        ),
    ];
    for (url, token, status, code) in table {
        let answer = arm.call_with(Method::GET, &url, None, token).await;
        assert_eq!(answer.status.as_u16(), status, "{url}: {}", answer.body);
        assert_eq!(answer.code(), code, "{url}: {}", answer.body);
        assert!(answer.body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
        if status == 401 {
            assert!(
                answer.header("www-authenticate").is_some(),
                "{url}: 401 without a challenge"
            );
        }
    }
    arm.sim.shutdown().await;
}

#[tokio::test]
async fn invalid_request_bodies_are_rejected_and_change_nothing() {
    let arm = Arm::fast().await;
    let c = arm.c();
    let (product, group, _) = populated_group(&arm, 1).await;
    let group_path = format!(
        "{c}/products/{product}/deviceGroups/{}",
        group.replace(' ', "%20")
    );
    let devices = arm.get(&format!("{group_path}/devices")).await;
    let device = devices.body["value"][0]["name"]
        .as_str()
        .expect("device")
        .to_owned();
    let device_path = format!("{group_path}/devices/{device}");
    let before = arm.sim.snapshot();

    // (method, path, raw body, expected status, expected code, expected detail target)
    let table: Vec<(Method, String, String, u16, &str, Option<&str>)> = vec![
        (Method::PATCH, group_path.clone(), json!({"properties": {"osFeedType": "Beta"}}).to_string(), 400, "InvalidRequestContent", Some("properties.osFeedType")),
        (Method::PATCH, group_path.clone(), json!({"properties": {"updatePolicy": 1}}).to_string(), 400, "InvalidRequestContent", Some("properties.updatePolicy")),
        (Method::PATCH, group_path.clone(), "{not json".to_owned(), 400, "InvalidRequestContent", None),
        (Method::PATCH, device_path.clone(), json!({"properties": {"deviceGroupId": 42}}).to_string(), 400, "InvalidRequestContent", Some("properties.deviceGroupId")),
        (Method::PATCH, device_path.clone(), json!({"properties": {}}).to_string(), 400, "InvalidRequestContent", None),
        (Method::PATCH, device_path.clone(), json!({"properties": {"deviceGroupId": uuid::Uuid::nil().to_string()}}).to_string(), 400, "BadRequest", None),
        (Method::PUT, format!("{group_path}/deployments/.default"), json!({"properties": {"deployedImages": "x"}}).to_string(), 400, "InvalidRequestContent", Some("properties.deployedImages")),
        (Method::PUT, format!("{group_path}/deployments/.default"), json!({"properties": {"deployedImages": [{"properties": {"imageId": uuid::Uuid::nil().to_string()}}]}}).to_string(), 400, "BadRequest", None),
        (Method::PUT, format!("{c}/images/{}", HL_APP.1), String::new(), 400, "InvalidRequestContent", None),
        (Method::PUT, format!("{c}/images/{}", HL_APP.1), json!({"properties": {"image": "%%%"}}).to_string(), 400, "BadRequest", Some("properties.image")),
        (Method::PUT, format!("{c}/images/{}", HL_APP.1), json!({"properties": {"image": base64::engine::general_purpose::STANDARD.encode(b"not a package")}}).to_string(), 400, "BadRequest", None),
        (Method::PUT, format!("{c}/images/{}", uuid::Uuid::nil()), json!({"properties": {"image": fixture_b64(HL_APP.0)}}).to_string(), 400, "BadRequest", None),
        (Method::POST, format!("{c}/uploadImage"), json!({"properties": {"regionalDataBoundary": "Mars"}}).to_string(), 400, "InvalidRequestContent", Some("properties.regionalDataBoundary")),
        (Method::PUT, format!("{c}/products/{product}/deviceGroups/bad-name!"), json!({"properties": {}}).to_string(), 400, "InvalidResourceName", None),
    ];
    for (method, path, body, status, code, target) in table {
        let mut request = arm
            .http
            .request(method.clone(), arm.url(&path))
            .bearer_auth(&arm.token);
        if body.is_empty() {
            // A stated empty body: the 411 for an unstated one is not what this table tests.
            request = request.header("content-length", "0");
        } else {
            request = request
                .header("content-type", "application/json")
                .body(body.clone());
        }
        let response = request.send().await.expect("answered");
        let answer = Answer {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.json().await.expect("error JSON"),
        };
        check_against_spec(&arm.sim, &method, &arm.url(&path), &answer);
        assert_eq!(
            answer.status.as_u16(),
            status,
            "{method} {path} {body}: {}",
            answer.body
        );
        assert_eq!(
            answer.code(),
            code,
            "{method} {path} {body}: {}",
            answer.body
        );
        if let Some(target) = target {
            let targets: Vec<&str> = answer.body["error"]["details"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(std::iter::once(&answer.body["error"]))
                .filter_map(|d| d["target"].as_str())
                .collect();
            assert!(
                targets.contains(&target),
                "{body}: targets {targets:?} lack {target}"
            );
        }
    }
    // Every change the simulator makes later starts as an operation recorded at once, so an
    // unchanged operation list means nothing is still on its way (no sleep, no race).
    let after = arm.sim.snapshot();
    for part in ["groups", "devices", "images", "deployments", "operations"] {
        assert_eq!(
            before[part], after[part],
            "a rejected request changed {part}"
        );
    }
    arm.sim.shutdown().await;
}

#[tokio::test]
async fn next_links_walk_a_large_fleet_page_by_page() {
    let arm = Arm::start(SimConfig {
        gateways: 500,
        timing: SimTiming::fast(),
        ..SimConfig::default()
    })
    .await;
    let c = arm.c();

    let (all, pages) = walk(
        &arm,
        Method::POST,
        &format!("{c}/listDevices?$maxpagesize=20"),
        None,
    )
    .await;
    assert_eq!(all.len(), 500);
    assert_eq!(pages, 25);
    let mut ids: Vec<&str> = all.iter().filter_map(|d| d["name"].as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 500, "a device appeared twice");

    // The default page size, on a list that declares no paging parameters.
    let (product, group, count) = populated_group(&arm, 60).await;
    let group_path = format!(
        "{c}/products/{product}/deviceGroups/{}",
        group.replace(' ', "%20")
    );
    let (devices, pages) = walk(&arm, Method::GET, &format!("{group_path}/devices"), None).await;
    assert_eq!(devices.len(), count);
    assert_eq!(pages, count.div_ceil(50));

    // $skip and $top bound the list across pages.
    let (window, pages) = walk(
        &arm,
        Method::POST,
        &format!("{c}/listDevices?$skip=10&$top=45&$maxpagesize=10"),
        None,
    )
    .await;
    assert_eq!(window.len(), 45);
    assert_eq!(pages, 5);
    assert_eq!(window[0], all[10]);
    assert_eq!(window[44], all[54]);

    // A POST list action's nextLink may be followed with GET, and with POST without a body.
    let first = arm
        .call(
            Method::POST,
            &format!("{c}/listDeviceGroups?$maxpagesize=2"),
            Some(json!({})),
        )
        .await;
    let next = first.body["nextLink"]
        .as_str()
        .expect("a second page")
        .to_owned();
    let by_get = arm.get(&next).await;
    assert_eq!(by_get.status, StatusCode::OK, "{}", by_get.body);
    let by_bare_post = arm.call(Method::POST, &next, None).await;
    assert_eq!(by_bare_post.body, by_get.body);
    let (by_get_walk, pages) = walk(
        &arm,
        Method::POST,
        &format!("{c}/listDeviceGroups?$maxpagesize=2"),
        Some(json!({})),
    )
    .await;
    assert_eq!((by_get_walk.len(), pages), (5, 3));

    // A token only works on the list that issued it.
    let first = arm
        .call(
            Method::POST,
            &format!("{c}/listDevices?$maxpagesize=5"),
            None,
        )
        .await;
    let next = first.body["nextLink"].as_str().expect("nextLink");
    let token = url::Url::parse(next)
        .expect("url")
        .query_pairs()
        .find(|(k, _)| k == "$skipToken")
        .map(|(_, v)| v.into_owned())
        .expect("token");
    let stolen = arm.get(&format!("{c}/images?$skipToken={token}")).await;
    assert_eq!(stolen.status, StatusCode::BAD_REQUEST);
    arm.sim.shutdown().await;
}

#[tokio::test]
async fn image_put_and_upload_image_are_long_running_operations() {
    let arm = Arm::fast().await;
    let c = arm.c();

    let put = arm.put_image(HL_APP).await;
    assert_eq!(put.status, StatusCode::CREATED, "{}", put.body);
    assert_eq!(put.body["name"], HL_APP.1);
    assert!(["Accepted", "Provisioning"].contains(
        &put.body["properties"]["provisioningState"]
            .as_str()
            .unwrap_or("")
    ));
    retry_after(&put);
    let status_url = put
        .header("azure-asyncoperation")
        .expect("Azure-AsyncOperation")
        .to_owned();
    let done = arm.poll_status(&status_url).await;
    assert_eq!(done.body["status"], "Succeeded");
    assert!(done.body["endTime"].is_string());

    let image = arm.get(&format!("{c}/images/{}", HL_APP.1)).await;
    assert_eq!(image.status, StatusCode::OK);
    let props = &image.body["properties"];
    assert_eq!(props["provisioningState"], "Succeeded");
    assert_eq!(props["imageType"], "Applications");
    assert_eq!(props["imageId"], HL_APP.1);
    assert_eq!(props["componentId"], "1689d8b2-c835-2e27-27ad-e894d6d15fa9");
    assert_eq!(props["imageName"], "Anvil Test App");

    // PUT is idempotent: the same package again answers 200 with the image.
    let again = arm.put_image(HL_APP).await;
    assert_eq!(again.status, StatusCode::OK);

    // uploadImage of a package already uploaded is a conflict.
    let twice = arm.upload_image(HL_APP.0).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.body);
    assert_eq!(twice.code(), "Conflict");

    // uploadImage: 202 + Location, whose final answer is the image (the id is learnt there).
    let upload = arm.upload_image(RT_APP.0).await;
    assert_eq!(upload.status, StatusCode::ACCEPTED);
    assert_eq!(upload.body, Value::Null);
    let location = upload.header("location").expect("Location").to_owned();
    retry_after(&upload);
    let result = arm.poll_location(&location).await;
    assert_eq!(result.status, StatusCode::OK, "{}", result.body);
    assert_eq!(result.body["properties"]["imageId"], RT_APP.1);
    assert_eq!(result.body["properties"]["provisioningState"], "Succeeded");

    let (images, _) = walk(&arm, Method::GET, &format!("{c}/images"), None).await;
    assert_eq!(images.len(), 2);
    arm.sim.shutdown().await;
}

#[tokio::test]
async fn deployment_put_and_device_move_are_long_running_operations() {
    let arm = Arm::fast().await;
    let c = arm.c();
    for (file, id) in [HL_APP, RT_APP] {
        let put = arm.put_image((file, id)).await;
        let url = put
            .header("azure-asyncoperation")
            .expect("async")
            .to_owned();
        assert_eq!(arm.poll_status(&url).await.body["status"], "Succeeded");
    }
    let (product, group, _) = populated_group(&arm, 2).await;
    let group_path = format!(
        "{c}/products/{product}/deviceGroups/{}",
        group.replace(' ', "%20")
    );

    // Images named by their one writable property (read-only ones are refused: see
    // `core/tests/arm_request_bodies.rs`).
    let hl = json!({"properties": {"imageId": HL_APP.1}});
    let rt = json!({"properties": {"imageId": RT_APP.1}});
    let put = arm
        .call(
            Method::PUT,
            &format!("{group_path}/deployments/.default"),
            Some(json!({"properties": {"deployedImages": [hl, rt]}})),
        )
        .await;
    assert_eq!(put.status, StatusCode::CREATED, "{}", put.body);
    let status_url = put
        .header("azure-asyncoperation")
        .expect("async")
        .to_owned();
    assert_eq!(
        arm.poll_status(&status_url).await.body["status"],
        "Succeeded"
    );
    let current = arm.get(&format!("{group_path}/deployments/.default")).await;
    assert_eq!(current.status, StatusCode::OK);
    let mut deployed: Vec<&str> = current.body["properties"]["deployedImages"]
        .as_array()
        .expect("deployedImages")
        .iter()
        .filter_map(|i| i["properties"]["imageId"].as_str())
        .collect();
    deployed.sort_unstable();
    let mut expected = vec![HL_APP.1, RT_APP.1];
    expected.sort_unstable();
    assert_eq!(deployed, expected);
    let by_id = arm
        .get(&format!(
            "{group_path}/deployments/{}",
            current.body["name"].as_str().expect("name")
        ))
        .await;
    assert_eq!(by_id.body, current.body);
    let listed = arm.get(&format!("{group_path}/deployments")).await;
    assert_eq!(listed.body["value"].as_array().map(Vec::len), Some(1));
    let group_now = arm.get(&group_path).await;
    assert_eq!(group_now.body["properties"]["hasDeployment"], true);

    // A deployment may name an image by its id alone.
    let minimal = arm
        .call(
            Method::PUT,
            &format!("{group_path}/deployments/.default"),
            Some(
                json!({"properties": {"deployedImages": [{"properties": {"imageId": HL_APP.1}}]}}),
            ),
        )
        .await;
    assert_eq!(minimal.status, StatusCode::CREATED, "{}", minimal.body);

    // Move a device: PATCH its current path with the target group's full ARM id.
    let devices = arm.get(&format!("{group_path}/devices")).await;
    let device = devices.body["value"][0]["name"]
        .as_str()
        .expect("device")
        .to_owned();
    let groups = arm
        .call(
            Method::POST,
            &format!("{c}/listDeviceGroups"),
            Some(json!({})),
        )
        .await;
    let target = groups.body["value"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["name"] != json!(group))
        .expect("another group")
        .clone();
    let target_id = target["id"].as_str().expect("id").to_owned();
    let moved = arm
        .call(
            Method::PATCH,
            &format!("{group_path}/devices/{device}"),
            Some(json!({"properties": {"deviceGroupId": target_id}})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::ACCEPTED, "{}", moved.body);
    let status_url = moved
        .header("azure-asyncoperation")
        .expect("async")
        .to_owned();
    let location = moved.header("location").expect("Location").to_owned();
    let result = arm.poll_location(&location).await;
    assert_eq!(result.status, StatusCode::OK, "{}", result.body);
    assert_eq!(
        result.body["id"],
        json!(format!("{target_id}/devices/{device}"))
    );
    assert_eq!(arm.get(&status_url).await.body["status"], "Succeeded");
    assert_eq!(
        arm.get(&format!("{group_path}/devices/{device}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        arm.get(&format!("{}/devices/{device}", path_of(&target_id)))
            .await
            .status,
        StatusCode::OK
    );
    arm.sim.shutdown().await;
}

#[tokio::test]
async fn a_failed_operation_reports_failed_on_both_polling_urls() {
    let arm = Arm::fast().await;
    let c = arm.c();
    let plan: FaultPlan = serde_json::from_value(json!({
        "operations": [{"kind": "upload", "code": 7, "message": "simulated conflict"}]
    }))
    .expect("plan");
    arm.sim.set_faults(plan);
    let upload = arm.upload_image(HL_APP_2.0).await;
    assert_eq!(upload.status, StatusCode::ACCEPTED);
    let status = arm
        .poll_status(upload.header("azure-asyncoperation").expect("async"))
        .await;
    assert_eq!(status.body["status"], "Failed");
    assert_eq!(status.body["error"]["code"], "Conflict");
    let result = arm
        .poll_location(upload.header("location").expect("location"))
        .await;
    assert_eq!(result.status, StatusCode::CONFLICT);
    assert_eq!(result.code(), "Conflict");
    let image = arm.get(&format!("{c}/images/{}", HL_APP_2.1)).await;
    assert_eq!(image.body["properties"]["provisioningState"], "Failed");

    let unknown = arm
        .get(&format!(
            "/subscriptions/{}/providers/Microsoft.AzureSphere/locations/global/operationStatuses/{}",
            arm.sim.demo().subscription_id,
            uuid::Uuid::nil()
        ))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    arm.sim.shutdown().await;
}

#[tokio::test]
async fn device_groups_change_through_put_and_patch() {
    let arm = Arm::fast().await;
    let c = arm.c();
    let product = arm.get(&format!("{c}/products")).await.body["value"][0]["name"]
        .as_str()
        .expect("product")
        .to_owned();
    let path = format!("{c}/products/{product}/deviceGroups/Night%20Shift");
    let created = arm
        .call(Method::PUT, &path, Some(json!({"properties": {"description": "made by ARM", "osFeedType": "RetailEval", "regionalDataBoundary": "EU"}})))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["name"], "Night Shift");
    assert_eq!(created.body["properties"]["regionalDataBoundary"], "EU");
    let patched = arm.call(Method::PATCH, &path, Some(json!({"properties": {"updatePolicy": "No3rdPartyAppUpdates", "allowCrashDumpsCollection": "Enabled"}}))).await;
    assert_eq!(patched.status, StatusCode::OK);
    assert_eq!(
        patched.body["properties"]["updatePolicy"],
        "No3rdPartyAppUpdates"
    );
    assert_eq!(patched.body["properties"]["osFeedType"], "RetailEval");
    assert_eq!(
        patched.body["properties"]["allowCrashDumpsCollection"],
        "Enabled"
    );
    let again = arm
        .call(
            Method::PUT,
            &path,
            Some(json!({"properties": {"description": "again"}})),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    // The same group, seen through the shared tenant state (what the legacy API serves).
    let snapshot = arm.sim.snapshot();
    let group = snapshot["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["name"] == "Night Shift")
        .expect("the ARM-created group is in the tenant")
        .clone();
    assert_eq!(group["description"], "again");
    arm.sim.shutdown().await;
}
