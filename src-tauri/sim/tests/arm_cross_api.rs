//! The legacy API and ARM are two views of one tenant: what one changes, the other shows.
//!
//! Both are spoken to with raw `reqwest`; ARM answers are checked against the spec.

use std::path::Path;
use std::time::{Duration, Instant};

use asg_fota_sim::openapi::arm_spec;
use asg_fota_sim::{start, SimConfig, SimHandle, SimTiming};
use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const API: &str = "api-version=2024-04-01";
const HL_APP: (&str, &str) = (
    "hl_anvil_test_app.imagepackage",
    "c25d88f4-9900-4a8e-9d2c-afc199c28151",
);
const RT_APP: (&str, &str) = (
    "rt_avnet_reference_design.imagepackage",
    "157a2c84-5e02-431e-be83-c5939ea4b214",
);

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/imagepackages")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Both APIs of one simulator, each with its own token.
struct Tenant {
    sim: SimHandle,
    http: reqwest::Client,
    arm_token: String,
    legacy_token: String,
}

async fn token(http: &reqwest::Client, sim: &SimHandle, scope: &str) -> String {
    let demo = sim.demo();
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "client_credentials")
        .append_pair("client_id", &demo.service_principal_client_id)
        .append_pair("client_secret", &demo.service_principal_secret)
        .append_pair("scope", scope)
        .finish();
    let answer: Value = http
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            sim.urls().authority,
            demo.tenant_id
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .expect("token answer")
        .json()
        .await
        .expect("token JSON");
    answer["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

impl Tenant {
    async fn start() -> Tenant {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sim = start(SimConfig {
            timing: SimTiming::fast(),
            ..SimConfig::default()
        })
        .await
        .expect("simulator starts");
        let http = reqwest::Client::new();
        let arm_token = token(&http, &sim, "https://management.azure.com/.default").await;
        let legacy_token = token(
            &http,
            &sim,
            "https://firstparty.sphere.azure.net/api/.default",
        )
        .await;
        Tenant {
            sim,
            http,
            arm_token,
            legacy_token,
        }
    }

    fn c(&self) -> String {
        let d = self.sim.demo();
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.AzureSphere/catalogs/{}",
            d.subscription_id, d.resource_group, d.catalog
        )
    }

    /// An ARM call; the answer is checked against the spec.
    async fn arm(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!(
                "{}{path}{}{API}",
                self.sim.urls().arm,
                if path.contains('?') { '&' } else { '?' }
            )
        };
        let mut request = self
            .http
            .request(method.clone(), &url)
            .bearer_auth(&self.arm_token);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().await.expect("ARM answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body");
        let body: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("JSON")
        };
        let relative = url::Url::parse(&url)
            .expect("url")
            .path()
            .trim_start_matches("/arm")
            .to_owned();
        if let Some(m) = arm_spec()
            .expect("spec")
            .match_operation(method.as_str(), &relative)
        {
            if let Err(v) = arm_spec().expect("spec").validate_response(
                &m.operation.operation_id,
                status.as_u16(),
                &body,
            ) {
                panic!("{method} {url}: {v}");
            }
        }
        (status, headers, body)
    }

    /// A legacy call under `/v2/tenants/{t}`.
    async fn legacy(
        &self,
        method: Method,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> (StatusCode, Value) {
        let url = format!(
            "{}/v2/tenants/{}{path}",
            self.sim.urls().legacy,
            self.sim.demo().legacy_tenant_id
        );
        let mut request = self
            .http
            .request(method, &url)
            .bearer_auth(&self.legacy_token);
        if let Some((content_type, bytes)) = body {
            request = request.header("content-type", content_type).body(bytes);
        }
        let response = request.send().await.expect("legacy answers");
        let status = response.status();
        let bytes = response.bytes().await.expect("body");
        (
            status,
            if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes).expect("JSON")
            },
        )
    }

    /// Polls a legacy operation until it is Complete (2), Failed (3) or CompleteWithErrors (4).
    async fn legacy_wait(&self, operation: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (status, op) = self
                .legacy(Method::GET, &format!("/operations/{operation}"), None)
                .await;
            assert_eq!(status, StatusCode::OK, "{op}");
            if matches!(op["State"].as_u64(), Some(2..=4)) {
                return op;
            }
            assert!(Instant::now() < deadline, "legacy operation never ended");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Polls an ARM `Azure-AsyncOperation` URL until it is terminal.
    async fn arm_wait(&self, status_url: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (_, _, body) = self.arm(Method::GET, status_url, None).await;
            if body["status"] != "InProgress" {
                return body;
            }
            assert!(Instant::now() < deadline, "ARM operation never ended");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn async_url(headers: &reqwest::header::HeaderMap) -> String {
    headers
        .get("azure-asyncoperation")
        .and_then(|v| v.to_str().ok())
        .expect("Azure-AsyncOperation")
        .to_owned()
}

#[tokio::test]
async fn an_image_uploaded_through_one_api_is_seen_by_the_other() {
    let t = Tenant::start().await;
    let c = t.c();

    // ARM PUT → legacy metadata.
    let b64 = base64::engine::general_purpose::STANDARD.encode(fixture(HL_APP.0));
    let (status, headers, _) = t
        .arm(
            Method::PUT,
            &format!("{c}/images/{}", HL_APP.1),
            Some(json!({"properties": {"image": b64}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let status_url = async_url(&headers);
    // The ARM operation is the tenant's operation: the legacy API polls it by the same id.
    let operation_id = status_url
        .split('?')
        .next()
        .and_then(|u| u.rsplit('/').next())
        .expect("operation id")
        .to_owned();
    let legacy_op = t.legacy_wait(&operation_id).await;
    assert_eq!(legacy_op["State"], 2);
    assert_eq!(legacy_op["OperationType"], 7);
    assert_eq!(t.arm_wait(&status_url).await["status"], "Succeeded");
    let (status, metadata) = t
        .legacy(Method::GET, &format!("/images/{}/metadata", HL_APP.1), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{metadata}");
    assert_eq!(metadata["Id"], HL_APP.1);
    assert_eq!(metadata["Type"], 10);
    assert_eq!(metadata["Name"], "Anvil Test App");

    // Legacy POST (raw bytes) → ARM image.
    let (status, op) = t
        .legacy(
            Method::POST,
            "/images",
            Some(("application/octet-stream", fixture(RT_APP.0))),
        )
        .await;
    assert!(status.is_success(), "{op}");
    let op_id = op["OperationId"].as_str().expect("OperationId").to_owned();
    assert_eq!(t.legacy_wait(&op_id).await["State"], 2);
    let (status, _, image) = t
        .arm(Method::GET, &format!("{c}/images/{}", RT_APP.1), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(image["properties"]["imageType"], "Applications");
    assert_eq!(
        image["properties"]["componentId"],
        "005180bc-402f-4cb3-a662-72937dbcde47"
    );
    assert_eq!(image["properties"]["provisioningState"], "Succeeded");
    t.sim.shutdown().await;
}

#[tokio::test]
async fn groups_deployments_and_moves_are_shared() {
    let t = Tenant::start().await;
    let c = t.c();
    let (_, products) = t.legacy(Method::GET, "/products", None).await;
    let product = products["Items"][0].clone();
    let product_name = product["Name"].as_str().expect("Name").to_owned();
    let product_id = product["Id"].as_str().expect("Id").to_owned();

    // A group made through the legacy API is an ARM resource.
    let (status, group) = t
        .legacy(
            Method::POST,
            "/devicegroups",
            Some(("application/json", json!({"Name": "Legacy Made", "Description": "d", "ProductId": product_id, "OsFeedType": 1, "UpdatePolicy": 0}).to_string().into_bytes())),
        )
        .await;
    assert!(status.is_success(), "{group}");
    let legacy_group_id = group["Id"].as_str().expect("Id").to_owned();
    let group_path = format!("{c}/products/{product_name}/deviceGroups/Legacy%20Made");
    let (status, _, arm_group) = t.arm(Method::GET, &group_path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(arm_group["properties"]["osFeedType"], "RetailEval");
    assert_eq!(arm_group["properties"]["hasDeployment"], false);

    // A group made through ARM is a legacy group.
    let (status, _, _) = t
        .arm(
            Method::PUT,
            &format!("{c}/products/{product_name}/deviceGroups/Arm%20Made"),
            Some(json!({"properties": {"updatePolicy": "No3rdPartyAppUpdates"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, groups) = t
        .legacy(Method::GET, "/devicegroups?maxPageSize=100", None)
        .await;
    let arm_made = groups["Items"]
        .as_array()
        .expect("Items")
        .iter()
        .find(|g| g["Name"] == "Arm Made")
        .expect("ARM group in legacy list")
        .clone();
    assert_eq!(arm_made["UpdatePolicy"], 1);

    // An ARM deployment is the legacy group's CurrentDeployment.
    let b64 = base64::engine::general_purpose::STANDARD.encode(fixture(HL_APP.0));
    let (_, headers, _) = t
        .arm(
            Method::PUT,
            &format!("{c}/images/{}", HL_APP.1),
            Some(json!({"properties": {"image": b64}})),
        )
        .await;
    t.arm_wait(&async_url(&headers)).await;
    let (status, headers, _) = t
        .arm(
            Method::PUT,
            &format!("{group_path}/deployments/.default"),
            Some(
                json!({"properties": {"deployedImages": [{"properties": {"imageId": HL_APP.1}}]}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        t.arm_wait(&async_url(&headers)).await["status"],
        "Succeeded"
    );
    let (_, legacy_group) = t
        .legacy(
            Method::GET,
            &format!("/devicegroups/{legacy_group_id}"),
            None,
        )
        .await;
    assert_eq!(
        legacy_group["CurrentDeployment"]["DeployedImages"],
        json!([HL_APP.1])
    );

    // A legacy move shows in ARM at the device's new path; an ARM move shows in legacy.
    let (_, devices) = t
        .legacy(Method::GET, "/devices?maxPageSize=100", None)
        .await;
    let device = devices["Items"][0]["DeviceId"]
        .as_str()
        .expect("DeviceId")
        .to_owned();
    let (status, op) = t
        .legacy(
            Method::PUT,
            &format!("/devices/{device}/devicegroup"),
            Some((
                "application/json",
                json!(legacy_group_id).to_string().into_bytes(),
            )),
        )
        .await;
    assert!(status.is_success(), "{op}");
    assert_eq!(
        t.legacy_wait(op["OperationId"].as_str().expect("OperationId"))
            .await["State"],
        2
    );
    let (status, _, arm_device) = t
        .arm(Method::GET, &format!("{group_path}/devices/{device}"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(arm_device["name"], json!(device));

    let target = format!("{c}/products/{product_name}/deviceGroups/Arm Made");
    let (status, headers, _) = t
        .arm(
            Method::PATCH,
            &format!("{group_path}/devices/{device}"),
            Some(json!({"properties": {"deviceGroupId": target}})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(
        t.arm_wait(&async_url(&headers)).await["status"],
        "Succeeded"
    );
    let (_, legacy_device) = t
        .legacy(Method::GET, &format!("/devices/{device}"), None)
        .await;
    assert_eq!(legacy_device["DeviceGroupId"], arm_made["Id"]);
    t.sim.shutdown().await;
}
