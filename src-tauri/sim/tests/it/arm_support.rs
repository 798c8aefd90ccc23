//! The shared harness of the ARM tests: a simulator, tokens obtained over plain HTTP, raw
//! `reqwest` calls whose every ARM answer is checked against the spec, LRO polling, fixtures.
//!
//! Every ARM answer is also recorded ([`Arm::traffic`], and appended to the file named by
//! `ASG_FOTA_ARM_TRAFFIC` when set) for the independent validator `tests/reference/arm_validate.py`,
//! which shares no code with the simulator's own spec check (`arm_independent`, `.ci/test`).
//!
//! Each test binary uses a different part of it, hence the dead-code allowance.
#![allow(dead_code)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use asg_fota_sim::openapi::{arm_spec, ArmSpec};
use asg_fota_sim::{start, SimConfig, SimHandle, SimTiming};
use base64::Engine;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub const API: &str = "api-version=2024-04-01";

pub fn spec() -> &'static ArmSpec {
    arm_spec().unwrap_or_else(|e| panic!("spec: {e}"))
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

/// The simulator plus an ARM-audience token, and a raw client.
pub struct Arm {
    pub sim: SimHandle,
    pub http: reqwest::Client,
    pub token: String,
    /// Every ARM answer received, in order, as the independent validator reads it.
    pub traffic: Arc<Mutex<Vec<Value>>>,
}

impl Arm {
    pub async fn start(config: SimConfig) -> Arm {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sim = start(config).await.expect("simulator starts");
        let http = reqwest::Client::new();
        let token = client_credentials(&http, &sim, "https://management.azure.com/.default").await;
        Arm {
            sim,
            http,
            token,
            traffic: Arc::default(),
        }
    }

    pub async fn fast() -> Arm {
        Arm::start(SimConfig {
            timing: SimTiming::fast(),
            ..SimConfig::default()
        })
        .await
    }

    /// `{C}`: the catalog path below the ARM base.
    pub fn c(&self) -> String {
        let d = self.sim.demo();
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.AzureSphere/catalogs/{}",
            d.subscription_id, d.resource_group, d.catalog
        )
    }

    /// A path or absolute URL, with `?api-version=2024-04-01` added to bare paths.
    pub fn url(&self, target: &str) -> String {
        if target.starts_with("http") {
            return target.to_owned();
        }
        let sep = if target.contains('?') { '&' } else { '?' };
        format!("{}{target}{sep}{API}", self.sim.urls().arm)
    }

    pub async fn call(&self, method: Method, target: &str, body: Option<Value>) -> Answer {
        self.call_with(method, &self.url(target), body, Some(&self.token))
            .await
    }

    pub async fn get(&self, target: &str) -> Answer {
        self.call(Method::GET, target, None).await
    }

    /// Sends exactly this URL, with this token, and checks the answer against the spec.
    pub async fn call_with(
        &self,
        method: Method,
        url: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> Answer {
        let mut request = self.http.request(method.clone(), url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        match body {
            Some(body) => {
                request = request
                    .header("content-type", "application/json")
                    .body(body.to_string());
            }
            // As Azure's SDKs (and the product) do: a mutation always states its length, else
            // the simulator answers 411 as an HTTP/1.1 front end does.
            None if method != Method::GET => request = request.header("content-length", "0"),
            None => {}
        }
        let response = request.send().await.expect("request is answered");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("{url}: not JSON ({e}): {bytes:?}"))
        };
        let answer = Answer {
            status,
            headers,
            body,
        };
        self.record(&method, url, &answer);
        check_against_spec(&self.sim, &method, url, &answer);
        answer
    }

    /// Keeps one answer for the independent validator: the path below the ARM base, the status,
    /// the body and the two polling headers (made relative the same way).
    fn record(&self, method: &Method, url: &str, answer: &Answer) {
        let base = &self.sim.urls().arm;
        let relative = |u: &str| u.strip_prefix(base.as_str()).unwrap_or(u).to_owned();
        let path = relative(url)
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned();
        let mut headers = serde_json::Map::new();
        for name in ["azure-asyncoperation", "location"] {
            if let Some(value) = answer.header(name) {
                headers.insert(name.to_owned(), Value::String(relative(value)));
            }
        }
        let record = json!({
            "method": method.as_str(),
            "path": path,
            "status": answer.status.as_u16(),
            "body": answer.body,
            "headers": headers,
        });
        if let Some(file) = std::env::var_os("ASG_FOTA_ARM_TRAFFIC") {
            append_line(&file, &record);
        }
        self.traffic.lock().expect("traffic").push(record);
    }

    /// `PUT {C}/images/{id}` with a fixture package as base64.
    pub async fn put_image(&self, (file, id): (&str, &str)) -> Answer {
        let body = json!({"properties": {"image": fixture_b64(file)}});
        self.call(
            Method::PUT,
            &format!("{}/images/{id}", self.c()),
            Some(body),
        )
        .await
    }

    /// `POST {C}/uploadImage` with a fixture package as base64.
    pub async fn upload_image(&self, file: &str) -> Answer {
        let body = json!({"properties": {"image": fixture_b64(file)}});
        self.call(
            Method::POST,
            &format!("{}/uploadImage", self.c()),
            Some(body),
        )
        .await
    }

    /// Polls an `Azure-AsyncOperation` URL until the status is terminal, honouring `Retry-After`.
    pub async fn poll_status(&self, url: &str) -> Answer {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let answer = self.get(url).await;
            assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
            let status = answer.body["status"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if ["Succeeded", "Failed", "Canceled"].contains(&status.as_str()) {
                return answer;
            }
            assert_eq!(status, "InProgress");
            assert!(Instant::now() < deadline, "operation never ended");
            tokio::time::sleep(retry_after(&answer).max(Duration::from_millis(10))).await;
        }
    }

    /// Polls a `Location` URL until it stops answering 202.
    pub async fn poll_location(&self, url: &str) -> Answer {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let answer = self.get(url).await;
            if answer.status != StatusCode::ACCEPTED {
                return answer;
            }
            assert!(answer.header("location").is_some(), "202 without Location");
            assert!(Instant::now() < deadline, "operation never ended");
            tokio::time::sleep(retry_after(&answer).max(Duration::from_millis(10))).await;
        }
    }
}

/// Appends one JSON line to the suite's traffic file: one `write` per line, under a lock, so
/// concurrent tests never interleave inside a line.
fn append_line(file: &std::ffi::OsStr, record: &Value) {
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let mut line = record.to_string();
    line.push('\n');
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)
        .and_then(|mut f| f.write_all(line.as_bytes()))
        .unwrap_or_else(|e| panic!("ASG_FOTA_ARM_TRAFFIC {file:?}: {e}"));
}

pub fn retry_after(answer: &Answer) -> Duration {
    let seconds: u64 = answer
        .header("retry-after")
        .expect("polling answers carry Retry-After")
        .parse()
        .expect("Retry-After is whole seconds");
    Duration::from_secs(seconds)
}

/// Client credentials for the demo service principal, over plain HTTP.
pub async fn client_credentials(http: &reqwest::Client, sim: &SimHandle, scope: &str) -> String {
    let demo = sim.demo();
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "client_credentials")
        .append_pair("client_id", &demo.service_principal_client_id)
        .append_pair("client_secret", &demo.service_principal_secret)
        .append_pair("scope", scope)
        .finish();
    let response = http
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            sim.urls().authority,
            demo.tenant_id
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .expect("token endpoint answers");
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("token JSON");
    body["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// The test's own spec check of one answer (the server checks too, in debug builds).
pub fn check_against_spec(sim: &SimHandle, method: &Method, url: &str, answer: &Answer) {
    let parsed = url::Url::parse(url).expect("absolute URL");
    let arm_prefix = url::Url::parse(&sim.urls().arm)
        .expect("arm URL")
        .path()
        .to_owned();
    let path = parsed
        .path()
        .strip_prefix(&arm_prefix)
        .unwrap_or(parsed.path());
    let spec = spec();
    let result = if let Some(kind) = polling_kind(path) {
        match (kind, answer.status.as_u16(), &answer.body) {
            (_, _, Value::Null) => Ok(()),
            ("operationStatuses", 200, body) => {
                spec.validate_definition("ct.OperationStatusResult", body)
            }
            ("operationResults", 200, body) => ["Image", "Device", "Deployment"]
                .iter()
                .find(|d| spec.validate_definition(d, body).is_ok())
                .map(|_| ())
                .ok_or_else(|| {
                    spec.validate_definition("Image", body)
                        .expect_err("no definition fits")
                }),
            (_, _, body) => spec.validate_definition("ct.ErrorResponse", body),
        }
    } else {
        let matched = spec.match_operation(method.as_str(), path).or_else(|| {
            spec.match_operation("POST", path)
                .filter(|_| method == Method::GET)
        });
        match matched {
            Some(m) => spec.validate_response(
                &m.operation.operation_id,
                answer.status.as_u16(),
                &answer.body,
            ),
            None => spec.validate_definition("ct.ErrorResponse", &answer.body),
        }
    };
    if let Err(violation) = result {
        panic!(
            "{method} {url} answered {} outside the spec: {violation}\n{}",
            answer.status, answer.body
        );
    }
    assert!(
        answer.status.as_u16() < 500 || answer.status == StatusCode::NOT_IMPLEMENTED,
        "{method} {url}: server error {}",
        answer.body
    );
}

pub fn polling_kind(path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        [_, _, _, _, "locations", _, "operationStatuses", _] => Some("operationStatuses"),
        [_, _, _, _, "locations", _, "operationResults", _] => Some("operationResults"),
        _ => None,
    }
}

pub use asg_fota_testkit::fixtures::fixture_bytes as fixture;

pub fn fixture_b64(name: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(fixture(name))
}

pub const HL_APP: (&str, &str) = (
    "hl_anvil_test_app.imagepackage",
    "c25d88f4-9900-4a8e-9d2c-afc199c28151",
);
pub const RT_APP: (&str, &str) = (
    "rt_avnet_grove_gps.imagepackage",
    "d5874d13-00d2-4820-a3fb-fc6e1683d039",
);
pub const HL_APP_2: (&str, &str) = (
    "hl_azure_sphere_blink.imagepackage",
    "6415a939-c098-48cf-8e5c-02b52a9f0ffb",
);

pub const RT_APP_2: (&str, &str) = (
    "rt_avnet_reference_design.imagepackage",
    "157a2c84-5e02-431e-be83-c5939ea4b214",
);

/// The operation id at the end of an `Azure-AsyncOperation` / `Location` URL.
pub fn operation_id_of(url: &str) -> String {
    url.split('?')
        .next()
        .and_then(|u| u.rsplit('/').next())
        .expect("operation id")
        .to_owned()
}

/// Every item of a list, following nextLinks; returns the items and the number of pages.
pub async fn walk(
    arm: &Arm,
    method: Method,
    first: &str,
    body: Option<Value>,
) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut pages = 0;
    let mut answer = arm.call(method.clone(), first, body.clone()).await;
    loop {
        assert_eq!(answer.status, StatusCode::OK, "{first}: {}", answer.body);
        pages += 1;
        items.extend(
            answer.body["value"]
                .as_array()
                .cloned()
                .expect("value array"),
        );
        let Some(next) = answer.body["nextLink"].as_str().map(str::to_owned) else {
            break;
        };
        assert!(
            next.starts_with(&arm.sim.urls().arm),
            "nextLink is absolute: {next}"
        );
        answer = arm.call(method.clone(), &next, body.clone()).await;
    }
    (items, pages)
}

/// The first group (product name, group name) with at least `min` devices.
pub async fn populated_group(arm: &Arm, min: usize) -> (String, String, usize) {
    let c = arm.c();
    let (groups, _) = walk(
        arm,
        Method::POST,
        &format!("{c}/listDeviceGroups"),
        Some(json!({})),
    )
    .await;
    for group in groups {
        let id = group["id"].as_str().expect("id");
        let product = id
            .split("/products/")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .expect("product");
        let name = group["name"].as_str().expect("name");
        let count = arm
            .call(Method::POST, &format!("{}/countDevices", path_of(id)), None)
            .await;
        let n = count.body["value"].as_u64().expect("count") as usize;
        if n >= min {
            return (product.to_owned(), name.to_owned(), n);
        }
    }
    panic!("no group has {min} devices");
}

/// An ARM id as a request path (names with spaces encoded).
pub fn path_of(id: &str) -> String {
    id.split('/')
        .map(|s| s.replace(' ', "%20"))
        .collect::<Vec<_>>()
        .join("/")
}

/// The legacy API of the same simulator, for cross-API checks.
impl Arm {
    /// A legacy-audience token (service principal).
    pub async fn legacy_token(&self) -> String {
        client_credentials(
            &self.http,
            &self.sim,
            "https://firstparty.sphere.azure.net/api/.default",
        )
        .await
    }

    /// A legacy call under `/v2/tenants/{t}`, with a body of the given content type.
    pub async fn legacy(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> (StatusCode, Value) {
        let url = format!(
            "{}/v2/tenants/{}{path}",
            self.sim.urls().legacy,
            self.sim.demo().legacy_tenant_id
        );
        let mut request = self.http.request(method, &url).bearer_auth(token);
        if let Some((content_type, bytes)) = body {
            request = request.header("content-type", content_type).body(bytes);
        }
        let response = request.send().await.expect("legacy answers");
        let status = response.status();
        let bytes = response.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).expect("legacy JSON")
        };
        (status, body)
    }

    /// Polls a legacy operation until Complete (2), Failed (3) or CompleteWithErrors (4).
    pub async fn legacy_wait(&self, token: &str, operation: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (status, op) = self
                .legacy(
                    token,
                    Method::GET,
                    &format!("/operations/{operation}"),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{op}");
            if matches!(op["State"].as_u64(), Some(2..=4)) {
                return op;
            }
            assert!(Instant::now() < deadline, "legacy operation never ended");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
