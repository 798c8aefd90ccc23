//! The IoT Hub service client (api-version 2021-04-12): direct methods, twins, twin queries.
//!
//! This is how the product reaches a gateway's own application (restart it so it checks for updates,
//! read its reported versions and nodes, start a node update). Authorization is either a SAS token
//! made from a shared-access-policy connection string (HMAC-SHA256, the scheme in
//! `device-contract.md`) or an Entra bearer token with scope `https://iothubs.azure.net/.default`.

use std::time::{Duration, SystemTime};

use hmac::{Hmac, Mac};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::auth::{unix_seconds, TokenCache};
use super::error::{CloudError, Service};
use super::model::DeviceId;
use super::secret::Secret;
use super::transport::{Credentials, Request, Transport};

/// The API version of every call.
pub const API_VERSION: &str = "2021-04-12";

/// How long a SAS token made here stays valid. Each request makes a new one, so this only needs to
/// cover one request and its retries.
pub const SAS_LIFETIME: Duration = Duration::from_secs(3600);

/// A parsed `HostName=...;SharedAccessKeyName=...;SharedAccessKey=...` connection string.
#[derive(Debug, Clone)]
pub struct ConnectionString {
    pub host_name: String,
    pub key_name: String,
    pub key: Secret,
}

impl ConnectionString {
    /// Parses a shared-access-policy connection string. The key must be base64.
    pub fn parse(text: &Secret) -> Result<ConnectionString, CloudError> {
        use base64::Engine as _;
        let bad = |reason: &str| CloudError::InvalidInput {
            what: "IoT Hub connection string",
            reason: reason.to_owned(),
        };
        let (mut host, mut name, mut key) = (None, None, None);
        for part in text
            .expose()
            .trim()
            .split(';')
            .filter(|p| !p.trim().is_empty())
        {
            // Split at the first '=' only: base64 keys end in '='.
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| bad("every part must be Name=Value"))?;
            match k.trim() {
                "HostName" => host = Some(v.trim().to_owned()),
                "SharedAccessKeyName" => name = Some(v.trim().to_owned()),
                "SharedAccessKey" => key = Some(v.trim().to_owned()),
                // DeviceId, ModuleId, GatewayHostName belong to device connection strings.
                "DeviceId" => {
                    return Err(bad(
                        "this is a device connection string; a shared access policy's is needed",
                    ))
                }
                _ => {}
            }
        }
        let host_name = host
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("HostName is missing"))?;
        let key_name = name
            .filter(|n| !n.is_empty())
            .ok_or_else(|| bad("SharedAccessKeyName is missing"))?;
        let key = key
            .filter(|k| !k.is_empty())
            .ok_or_else(|| bad("SharedAccessKey is missing"))?;
        base64::engine::general_purpose::STANDARD
            .decode(&key)
            .map_err(|_| bad("SharedAccessKey is not base64"))?;
        Ok(ConnectionString {
            host_name,
            key_name,
            key: Secret::new(key),
        })
    }
}

/// Makes SAS tokens for an IoT Hub shared access policy.
#[derive(Clone)]
pub struct SasSigner {
    host_name: String,
    key_name: String,
    key: Secret,
}

impl std::fmt::Debug for SasSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SasSigner")
            .field("host_name", &self.host_name)
            .field("key_name", &self.key_name)
            .finish_non_exhaustive()
    }
}

fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl SasSigner {
    pub fn new(conn: &ConnectionString) -> Self {
        SasSigner {
            host_name: conn.host_name.clone(),
            key_name: conn.key_name.clone(),
            key: conn.key.clone(),
        }
    }

    /// The SAS token valid until `now + SAS_LIFETIME`.
    pub fn token(&self, now: SystemTime) -> Result<Secret, CloudError> {
        self.token_expiring_at(unix_seconds(now + SAS_LIFETIME))
    }

    /// `SharedAccessSignature sr=<enc host>&sig=<enc b64 hmac>&se=<expiry>&skn=<policy>` where the
    /// HMAC-SHA256 (key = base64-decoded policy key) is over `"<enc host>\n<expiry>"`.
    pub fn token_expiring_at(&self, expiry: u64) -> Result<Secret, CloudError> {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let key = b64
            .decode(self.key.expose())
            .map_err(|_| CloudError::InvalidInput {
                what: "IoT Hub key",
                reason: "not base64".into(),
            })?;
        // UNSURE: `sr` is the bare host name (hub-wide scope) as in device-contract.md; Microsoft's
        // SDKs also accept it lower-cased, which we do not do.
        let resource = url_encode(&self.host_name);
        let to_sign = format!("{resource}\n{expiry}");
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&key).map_err(|e| CloudError::InvalidInput {
                what: "IoT Hub key",
                reason: e.to_string(),
            })?;
        mac.update(to_sign.as_bytes());
        let sig = b64.encode(mac.finalize().into_bytes());
        Ok(Secret::new(format!(
            "SharedAccessSignature sr={resource}&sig={}&se={expiry}&skn={}",
            url_encode(&sig),
            url_encode(&self.key_name)
        )))
    }
}

/// What a direct method call answered.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct MethodResponse {
    /// The status code the device's handler returned (200, 202, 404, 409, ...).
    pub status: i64,
    #[serde(default)]
    pub payload: serde_json::Value,
}

/// A device twin (the parts the product reads).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Twin {
    pub device_id: String,
    #[serde(default)]
    pub etag: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    /// `Connected` or `Disconnected`.
    #[serde(default)]
    pub connection_state: Option<String>,
    #[serde(default)]
    pub last_activity_time: Option<String>,
    #[serde(default)]
    pub properties: TwinProperties,
}

impl Twin {
    pub fn is_connected(&self) -> bool {
        self.connection_state
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("Connected"))
    }

    /// A reported property by name (top level).
    pub fn reported(&self, name: &str) -> Option<&serde_json::Value> {
        self.properties.reported.get(name)
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct TwinProperties {
    #[serde(default)]
    pub desired: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub reported: serde_json::Map<String, serde_json::Value>,
}

/// Timeouts of a direct method call, in IoT Hub's terms.
#[derive(Debug, Clone, Copy)]
pub struct MethodTimeouts {
    /// How long IoT Hub waits for the device's answer (5..=300 s).
    pub response: Duration,
    /// How long IoT Hub waits for the device to connect (0 = it must be connected now).
    pub connect: Duration,
}

impl MethodTimeouts {
    /// `responseTimeoutInSeconds` within IoT Hub's range (5..=300; the hub refuses others).
    pub fn response_secs(&self) -> u64 {
        self.response.as_secs().clamp(5, 300)
    }

    /// `connectTimeoutInSeconds` within IoT Hub's range (0..=300).
    pub fn connect_secs(&self) -> u64 {
        self.connect.as_secs().min(300)
    }
}

/// A device's id as IoT Hub knows it. Azure Sphere devices are registered (through DPS, with the
/// id their certificate carries) in lower case, while the Sphere APIs hand the id out in upper
/// case, and IoT Hub device ids are case-sensitive: every path and query uses the lower case.
pub fn hub_device_id(device: &DeviceId) -> String {
    device.as_str().to_ascii_lowercase()
}

impl Default for MethodTimeouts {
    fn default() -> Self {
        MethodTimeouts {
            response: Duration::from_secs(30),
            connect: Duration::ZERO,
        }
    }
}

/// The IoT Hub service client.
#[derive(Debug, Clone)]
pub struct IotHubClient {
    transport: Transport,
    base: url::Url,
    credentials: Credentials,
}

impl IotHubClient {
    /// `base`: `https://<hub>.azure-devices.net` or the simulator's `/iothub` URL.
    ///
    /// The SAS token is signed for the connection string's `HostName` and must go to that host
    /// only: a `base` on another host is refused (a loopback `base`, the simulator, is allowed).
    pub fn with_sas(
        transport: Transport,
        base: &str,
        conn: &ConnectionString,
    ) -> Result<Self, CloudError> {
        let base = super::base_url(base)?;
        let host = base.host_str().unwrap_or_default();
        if !super::is_loopback(&base) && !host.eq_ignore_ascii_case(&conn.host_name) {
            return Err(CloudError::InvalidInput {
                what: "IoT Hub address",
                reason: format!(
                    "the connection string is for {} but the profile sends it to {host}: set the \
                     profile's IoT Hub host to the connection string's HostName",
                    conn.host_name
                ),
            });
        }
        Ok(IotHubClient {
            transport,
            base,
            credentials: Credentials::IotHubSas(SasSigner::new(conn)),
        })
    }

    /// Entra token with scope [`super::auth::scopes::IOTHUB`].
    pub fn with_token(
        transport: Transport,
        base: &str,
        tokens: TokenCache,
    ) -> Result<Self, CloudError> {
        Ok(IotHubClient {
            transport,
            base: super::base_url(base)?,
            credentials: Credentials::Bearer(tokens),
        })
    }

    fn url(&self, segments: &[&str]) -> Result<url::Url, CloudError> {
        let mut url = super::join_segments(&self.base, segments)?;
        url.query_pairs_mut()
            .append_pair("api-version", API_VERSION);
        Ok(url)
    }

    /// The hub's base URL (what tells two hubs apart, e.g. for runs claiming gateways).
    pub fn base_url(&self) -> &url::Url {
        &self.base
    }

    /// Invokes a direct method on a device. The device's own status code is in the answer; a device
    /// that is offline or silent is [`CloudError::DeviceOffline`] / [`CloudError::DeviceTimeout`].
    pub async fn invoke_method(
        &self,
        device: &DeviceId,
        method_name: &str,
        payload: &serde_json::Value,
        timeouts: MethodTimeouts,
    ) -> Result<MethodResponse, CloudError> {
        let body = serde_json::json!({
            "methodName": method_name,
            "payload": payload,
            "responseTimeoutInSeconds": timeouts.response_secs(),
            "connectTimeoutInSeconds": timeouts.connect_secs(),
        });
        // A direct method may reboot a device or start a node update: never resent blindly.
        let request = Request::new(
            Service::IotHub,
            Method::POST,
            self.url(&["twins", &hub_device_id(device), "methods"])?,
        )
        .json(&body)?
        .about_device(device.as_str());
        let resp = self.transport.send(&request, &self.credentials).await?;
        resp.json("the direct method answer")
    }

    /// Reads a device twin.
    pub async fn twin(&self, device: &DeviceId) -> Result<Twin, CloudError> {
        let request = Request::new(
            Service::IotHub,
            Method::GET,
            self.url(&["twins", &hub_device_id(device)])?,
        );
        self.transport
            .send(&request, &self.credentials)
            .await?
            .json("the twin")
    }

    /// Runs a twin query to the end, following `x-ms-continuation`. `page_size` sets
    /// `x-ms-max-item-count`; `on_page` sees each page as it arrives (for progress).
    pub async fn query_twins(
        &self,
        query: &str,
        page_size: Option<u32>,
        mut on_page: impl FnMut(&[Twin]),
    ) -> Result<Vec<Twin>, CloudError> {
        let url = self.url(&["devices", "query"])?;
        let mut all = Vec::new();
        let mut guard = self.transport.page_guard(Service::IotHub, "the twin query");
        let mut continuation: Option<String> = None;
        loop {
            let mut request = Request::new(Service::IotHub, Method::POST, url.clone())
                .json(&serde_json::json!({ "query": query }))?
                .read_only();
            if let Some(n) = page_size {
                request = request.header("x-ms-max-item-count", &n.to_string())?;
            }
            if let Some(c) = &continuation {
                request = request.header("x-ms-continuation", c)?;
            }
            let resp = self.transport.send(&request, &self.credentials).await?;
            let page: Vec<Twin> = resp.json("a twin query page")?;
            on_page(&page);
            all.extend(page);
            continuation = resp
                .header("x-ms-continuation")
                .filter(|c| !c.is_empty())
                .map(str::to_owned);
            match &continuation {
                Some(token) => guard.follow(token)?,
                None => return Ok(all),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sas_token_matches_a_known_vector() {
        // Computed independently with Python:
        //   key = base64.b64decode("c2VjcmV0a2V5MTIzNDU2Nzg5MA==")  # b"secretkey1234567890"
        //   sig = base64.b64encode(hmac.new(key, b"asg-demo-hub.azure-devices.net\n1900000000", sha256).digest())
        //   urllib.parse.quote_plus(sig)
        let conn = ConnectionString::parse(&Secret::new(
            "HostName=asg-demo-hub.azure-devices.net;SharedAccessKeyName=service;SharedAccessKey=c2VjcmV0a2V5MTIzNDU2Nzg5MA==",
        ))
        .unwrap();
        let token = SasSigner::new(&conn)
            .token_expiring_at(1_900_000_000)
            .unwrap();
        assert_eq!(token.expose(), SAS_VECTOR);
    }

    const SAS_VECTOR: &str = "SharedAccessSignature sr=asg-demo-hub.azure-devices.net&sig=F0sTt1HRVk0d47vOJF%2FvOJnf5fICtudAX%2ByMUKj7FSQ%3D&se=1900000000&skn=service";

    #[test]
    fn bad_connection_strings_are_invalid_input() {
        let cases = [
            "",
            "HostName=h",
            "HostName=h;SharedAccessKeyName=s",
            "HostName=h;SharedAccessKeyName=s;SharedAccessKey=",
            "HostName=h;SharedAccessKeyName=s;SharedAccessKey=!!notbase64!!",
            "HostName=h;DeviceId=d;SharedAccessKey=c2VjcmV0",
            "garbage",
        ];
        for c in cases {
            let e = ConnectionString::parse(&Secret::new(c)).unwrap_err();
            assert_eq!(e.kind(), "invalid_input", "{c:?}");
            assert!(
                !e.to_string().contains("c2VjcmV0"),
                "the key must not appear in messages"
            );
        }
    }
}
