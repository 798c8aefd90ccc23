//! Shared harness of the simulator's conformance tests: start a simulator with short timings and
//! talk to it with a plain `reqwest` client (never the project's own API clients, so that the two
//! cannot share a mistake).
#![allow(dead_code)]

use std::time::{Duration, Instant};

use asg_fota_sim::{start, SimConfig, SimHandle, SimTiming};
use base64::Engine;
use hmac::Mac;
use serde_json::{json, Value};

pub struct Sim {
    pub handle: SimHandle,
    pub http: reqwest::Client,
}

pub fn config() -> SimConfig {
    SimConfig {
        timing: SimTiming::fast(),
        ..SimConfig::default()
    }
}

pub async fn sim() -> Sim {
    sim_with(config()).await
}

pub async fn sim_with(config: SimConfig) -> Sim {
    // reqwest is built without a default TLS provider; plain HTTP still needs one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let handle = start(config).await.expect("the simulator starts");
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    Sim { handle, http }
}

impl Sim {
    pub fn demo(&self) -> &asg_fota_sim::DemoIdentity {
        self.handle.demo()
    }

    /// `{legacy}/v2/tenants/{tenant}{path}`.
    pub fn legacy(&self, path: &str) -> String {
        format!(
            "{}/v2/tenants/{}{}",
            self.handle.urls().legacy,
            self.demo().legacy_tenant_id,
            path
        )
    }

    pub fn token_url(&self, tenant: &str) -> String {
        format!(
            "{}/{tenant}/oauth2/v2.0/token",
            self.handle.urls().authority
        )
    }

    /// A token for `scope` through the client-credentials flow of the demo service principal.
    pub async fn sp_token(&self, scope: &str) -> String {
        let demo = self.demo();
        let answer: Value = self
            .http
            .post(self.token_url(&demo.tenant_id))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[
                ("grant_type", "client_credentials"),
                ("client_id", demo.service_principal_client_id.as_str()),
                ("client_secret", demo.service_principal_secret.as_str()),
                ("scope", scope),
            ]))
            .send()
            .await
            .expect("token request")
            .json()
            .await
            .expect("token json");
        answer["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    pub async fn legacy_token(&self) -> String {
        self.sp_token("https://firstparty.sphere.azure.net/api/.default")
            .await
    }

    pub async fn get(&self, url: &str, token: &str) -> (u16, Value) {
        let response = self
            .http
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        status_json(response).await
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        url: &str,
        token: &str,
        body: &Value,
    ) -> (u16, Value) {
        let response = self
            .http
            .request(method, url)
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request");
        status_json(response).await
    }

    /// Polls a legacy operation until it ends (State 2, 3 or 4).
    pub async fn wait_operation(&self, token: &str, operation_id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let (status, op) = self
                .get(&self.legacy(&format!("/operations/{operation_id}")), token)
                .await;
            assert_eq!(status, 200, "{op}");
            if matches!(op["State"].as_u64(), Some(2..=4)) {
                return op;
            }
            assert!(Instant::now() < deadline, "operation never ended: {op}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// The IoT Hub SAS token built from the demo connection string, as device-contract.md says.
    pub fn sas(&self, expiry: i64) -> String {
        sas_from(&self.demo().iothub_connection_string, expiry)
    }

    pub fn iothub(&self, path: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        format!(
            "{}{path}{sep}api-version=2021-04-12",
            self.handle.urls().iothub
        )
    }

    pub async fn hub_post(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .http
            .post(self.iothub(path))
            .header("authorization", self.sas(now() + 3600))
            .json(body)
            .send()
            .await
            .expect("request");
        status_json(response).await
    }

    pub async fn twin(&self, device: &str) -> Value {
        let response = self
            .http
            .get(self.iothub(&format!("/twins/{device}")))
            .header("authorization", self.sas(now() + 3600))
            .send()
            .await
            .expect("request");
        let (status, body) = status_json(response).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    pub async fn method(&self, device: &str, name: &str, payload: Value) -> (u16, Value) {
        self.hub_post(
            &format!("/twins/{device}/methods"),
            &json!({"methodName": name, "payload": payload, "responseTimeoutInSeconds": 10}),
        )
        .await
    }

    pub async fn put_faults(&self, plan: Value) {
        let response = self
            .http
            .put(format!("{}/faults", self.handle.urls().control))
            .json(&plan)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200, "{:?}", response.text().await);
    }

    pub async fn control_post(&self, path: &str, body: &Value) -> u16 {
        self.http
            .post(format!("{}{path}", self.handle.urls().control))
            .json(body)
            .send()
            .await
            .expect("request")
            .status()
            .as_u16()
    }
}

/// An `application/x-www-form-urlencoded` body.
pub fn form(fields: &[(&str, &str)]) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        serializer.append_pair(k, v);
    }
    serializer.finish()
}

pub async fn status_json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, value)
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `SharedAccessSignature sr=..&sig=..&se=..&skn=..` from a connection string.
pub fn sas_from(connection_string: &str, expiry: i64) -> String {
    let field = |name: &str| {
        connection_string
            .split(';')
            .find_map(|p| p.strip_prefix(&format!("{name}=")))
            .expect("connection string field")
            .to_string()
    };
    let host = field("HostName");
    let key = base64::engine::general_purpose::STANDARD
        .decode(field("SharedAccessKey"))
        .expect("key");
    let sr: String = url::form_urlencoded::byte_serialize(host.as_bytes()).collect();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).expect("hmac");
    mac.update(format!("{sr}\n{expiry}").as_bytes());
    let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let sig: String = url::form_urlencoded::byte_serialize(sig.as_bytes()).collect();
    format!(
        "SharedAccessSignature sr={sr}&sig={sig}&se={expiry}&skn={}",
        field("SharedAccessKeyName")
    )
}

/// A real package from `shared/fixtures/imagepackages`.
pub use asg_fota_testkit::fixtures::fixture_bytes as fixture;

/// A minimal synthetic board-configuration package (type 21, metadata only) with the given
/// ids and debug name, laid out as imagepackage-format.md says (signature bytes are filler).
pub fn board_config(component: uuid::Uuid, image: uuid::Uuid, name: &str) -> Vec<u8> {
    fn guid(id: uuid::Uuid) -> [u8; 16] {
        id.to_bytes_le()
    }
    let mut identity = Vec::new();
    identity.extend_from_slice(&21u16.to_le_bytes());
    identity.extend_from_slice(&0u16.to_le_bytes());
    identity.extend_from_slice(&guid(component));
    identity.extend_from_slice(&guid(image));
    let mut debug = Vec::new();
    debug.extend_from_slice(&1_700_000_000u64.to_le_bytes());
    let mut name_bytes = [0u8; 32];
    let n = name.len().min(32);
    name_bytes[..n].copy_from_slice(&name.as_bytes()[..n]);
    debug.extend_from_slice(&name_bytes);
    let sections: [(u16, Vec<u8>); 2] = [(0x4449, identity), (0x4244, debug)];
    let mut block = Vec::new();
    block.extend_from_slice(&0x4D34_5834u32.to_le_bytes());
    block.extend_from_slice(&(sections.len() as u32).to_le_bytes());
    for (id, data) in &sections {
        block.extend_from_slice(&id.to_le_bytes());
        block.extend_from_slice(&(data.len() as u16).to_le_bytes());
        block.extend_from_slice(data);
    }
    let total = block.len() as u32 + 4;
    block.extend_from_slice(&total.to_le_bytes());
    let mut file = vec![0u8; 128];
    file.extend_from_slice(&block);
    file.extend_from_slice(&[0x5A; 64]);
    file
}

/// The numeric IoT Hub error code nested in an error body's `Message` (404103, 504101, ...).
pub fn hub_error_code(body: &Value) -> Option<u64> {
    let message = body["Message"].as_str()?;
    let inner: Value = serde_json::from_str(message).ok()?;
    inner["errorCode"].as_u64()
}
