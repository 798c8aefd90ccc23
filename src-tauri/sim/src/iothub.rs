//! The IoT Hub service API (api-version `2021-04-12`) under `/iothub`: device twins, direct
//! methods and twin queries for the simulated gateways.
//!
//! Owns the twin rendering ([`twin_json`]), the direct-method contract of the gateways
//! (`RestartDevice`, `UpdateNodeFirmware`, see `device-contract.md`; the behaviour itself is in
//! [`crate::fleet`]), the small query language and the hub's auth (SAS or Entra bearer).
//!
//! Query language (what the simulator understands of IoT Hub's SQL):
//! `SELECT * FROM devices [WHERE <cond> [AND <cond>]...]` where `<cond>` is
//! `<path> = <literal>`, `<path> != <literal>` or `<path> IN [<literal>, ...]`; `<path>` is a
//! dotted twin path (`deviceId`, `connectionState`, `properties.reported.HLAppVer`, ...; segments
//! compared case-insensitively); literals are `'text'`, `"text"`, numbers, `true`/`false`.
//! Anything else is refused with 400. Paging: `x-ms-max-item-count` (default 100, max 1000),
//! `x-ms-continuation` on the answer and on the next request.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{json, Map, Value};

use crate::faults::{DeviceFault, Faults};
use crate::fleet::GatewayError;
use crate::holds::Hold;
use crate::identity::{self, Audience, AuthFailure};
use crate::paging;
use crate::service::{self, Service};
use crate::state::{Device, DeviceId, NodeUpdateState};
use crate::AppState;

/// The hub's answer when a gateway is not connected.
const DEVICE_NOT_ONLINE: u32 = 404103;
/// The hub's answer when a gateway did not answer a method in time.
const DEVICE_TIMEOUT: u32 = 504101;

/// A device's twin as IoT Hub renders it, with the gateway's reported properties.
// UNSURE: the twin's `authenticationType` for Azure Sphere devices registered through DPS
// (certificateAuthority assumed) and the exact etag format.
pub fn twin_json(device: &Device, faults: &Faults) -> Value {
    let gateway = &device.gateway;
    let connected =
        gateway.connected && !gateway.held_offline && !faults.holds_offline(&device.id.lower());
    let last = service::rfc3339(gateway.last_activity);
    let mut nodes = Map::new();
    for node in &gateway.nodes {
        let mut entry = json!({
            "name": node.name,
            "fwVersion": node.fw_version.to_string(),
            "status": node.status(),
        });
        if let Some(update) = &node.update {
            let state = match update.state {
                NodeUpdateState::InProgress => "InProgress",
                NodeUpdateState::Succeeded => "Succeeded",
                NodeUpdateState::Failed => "Failed",
            };
            let mut u = json!({"state": state, "percent": update.percent});
            if let Some(error) = &update.error {
                u["error"] = json!(error);
            }
            entry["update"] = u;
        }
        nodes.insert(node.mac_text(), entry);
    }
    let etag = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("{:08}", gateway.twin_version),
    );
    json!({
        "deviceId": device.id.lower(),
        "etag": etag,
        "deviceEtag": etag,
        "status": "enabled",
        "statusUpdateTime": "0001-01-01T00:00:00Z",
        "connectionState": if connected { "Connected" } else { "Disconnected" },
        "lastActivityTime": last,
        "cloudToDeviceMessageCount": 0,
        "authenticationType": "certificateAuthority",
        "x509Thumbprint": {"primaryThumbprint": null, "secondaryThumbprint": null},
        "modelId": "",
        "version": gateway.twin_version + 1,
        "properties": {
            "desired": {"$metadata": {"$lastUpdated": last}, "$version": 1},
            "reported": {
                "Manufacturer": "WIZnet",
                "Model": "ASG210-DEMO",
                "HLAppVer": gateway.hl_app.to_string(),
                "RTAppVer": gateway.rt_app.to_string(),
                "LocalNetwork": "true",
                "NodeFwAvailable": gateway.node_fw_available.to_string(),
                "Nodes": nodes,
                "$metadata": {"$lastUpdated": last},
                "$version": gateway.twin_version,
            }
        },
        "capabilities": {"iotEdge": false},
    })
}

/// An IoT Hub error answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HubError {
    /// 404 `DeviceNotFound`.
    // UNSURE: DeviceNotFound answers also carry the numeric code 404001 on the real hub.
    #[error("Device {0} not registered")]
    DeviceNotFound(String),
    /// 400 with the hub's error name (`ArgumentInvalid`, `ArgumentNull`, ...).
    #[error("{text}")]
    BadRequest { name: &'static str, text: String },
    /// 404 with 404103: the gateway is not connected.
    #[error("The operation failed because the requested device isn't online or hasn't registered the direct method callback. To learn more, see https://aka.ms/iothub404103")]
    NotOnline,
    /// 504 with 504101: the gateway did not answer in time.
    #[error("Timed out waiting for the response from device.")]
    Timeout,
}

impl HubError {
    fn bad_request(name: &'static str, text: impl Into<String>) -> Self {
        HubError::BadRequest {
            name,
            text: text.into(),
        }
    }
}

impl IntoResponse for HubError {
    fn into_response(self) -> Response {
        let text = self.to_string();
        match self {
            HubError::DeviceNotFound(_) => {
                service::iothub_error(StatusCode::NOT_FOUND, "DeviceNotFound", &text)
            }
            HubError::BadRequest { name, .. } => {
                service::iothub_error(StatusCode::BAD_REQUEST, name, &text)
            }
            HubError::NotOnline => service::iothub_numeric_error(
                StatusCode::NOT_FOUND,
                DEVICE_NOT_ONLINE,
                "DeviceNotOnline",
                &text,
            ),
            HubError::Timeout => service::iothub_numeric_error(
                StatusCode::GATEWAY_TIMEOUT,
                DEVICE_TIMEOUT,
                "GatewayTimeout",
                &text,
            ),
        }
    }
}

/// Parses the path's device id. IoT Hub device ids are case-sensitive, and Azure Sphere gateways
/// are registered (through DPS, with the id their certificate carries) in lower case: the same id
/// in upper case, as the Sphere APIs spell it, names no device (404), as on a real hub.
fn device_id(text: &str) -> Result<DeviceId, HubError> {
    let id: DeviceId = text
        .parse()
        .map_err(|_| HubError::DeviceNotFound(text.to_string()))?;
    if id.lower() != text {
        return Err(HubError::DeviceNotFound(text.to_string()));
    }
    Ok(id)
}

/// IoT Hub's ranges for a direct method's timeouts (documented: 5..=300 s for the answer,
/// 0..=300 s for the device to connect); a value outside is 400 `ArgumentInvalid`.
const RESPONSE_TIMEOUT_SECS: std::ops::RangeInclusive<u64> = 5..=300;
const CONNECT_TIMEOUT_SECS: std::ops::RangeInclusive<u64> = 0..=300;

/// Reads one timeout of a method call: absent is `default`, a number outside `range` is refused.
fn timeout_secs(
    request: &Map<String, Value>,
    name: &str,
    range: std::ops::RangeInclusive<u64>,
    default: u64,
) -> Result<u64, HubError> {
    match request.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(value) => value.as_u64().filter(|n| range.contains(n)).ok_or_else(|| {
            // UNSURE: the error name the hub gives an out-of-range timeout.
            HubError::bad_request(
                "ArgumentInvalid",
                format!(
                    "{name} must be an integer between {} and {} seconds.",
                    range.start(),
                    range.end()
                ),
            )
        }),
    }
}

/// Requests must name an api-version.
fn check_api_version(query: &Option<String>) -> Result<(), HubError> {
    let has = query
        .as_deref()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .any(|(k, v)| k == "api-version" && !v.is_empty())
        })
        .unwrap_or(false);
    if has {
        Ok(())
    } else {
        // UNSURE: the hub's error name for a missing api-version.
        Err(HubError::bad_request(
            "InvalidProtocolVersion",
            "Missing api-version query parameter.",
        ))
    }
}

/// The device a twin or method call names, after the api-version check.
fn addressed_device(query: &Option<String>, id: &str) -> Result<DeviceId, HubError> {
    check_api_version(query)?;
    device_id(id)
}

async fn get_twin(
    State(app): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Json<Value>, HubError> {
    let id = addressed_device(&q, &id)?;
    let faults = app.tenant.faults().clone();
    app.tenant
        .read(|s| s.device(&id).map(|d| twin_json(d, &faults)))
        .map(Json)
        .map_err(|_| HubError::DeviceNotFound(id.lower()))
}

/// The hub's 200 answer carrying the device's own status and payload.
fn method_answer(status: u16, payload: Value) -> Response {
    let mut response = Json(json!({"status": status, "payload": payload})).into_response();
    response.extensions_mut().insert(DeviceStatus(status));
    response
}

/// Waits up to `seconds` (at most 300, the hub's limit) for a gateway that is not connected, e.g.
/// one that is rebooting, as the hub does with `connectTimeoutInSeconds`.
async fn wait_online(app: &AppState, id: &DeviceId, seconds: u64) -> Result<bool, HubError> {
    let deadline =
        tokio::time::Instant::now() + Duration::from_secs(seconds.min(*CONNECT_TIMEOUT_SECS.end()));
    loop {
        match app.tenant.gateway_online(id) {
            Ok(true) => return Ok(true),
            Ok(false) if tokio::time::Instant::now() >= deadline => return Ok(false),
            Ok(false) => tokio::time::sleep(Duration::from_millis(20)).await,
            Err(_) => return Err(HubError::DeviceNotFound(id.lower())),
        }
    }
}

async fn invoke_method(
    State(app): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
    fault: Option<Extension<DeviceFault>>,
    body: Bytes,
) -> Result<Response, HubError> {
    let id = addressed_device(&q, &id)?;
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(&body) else {
        return Err(HubError::bad_request(
            "ArgumentInvalid",
            "The request body must be a JSON object with methodName.",
        ));
    };
    let method = request
        .get("methodName")
        .and_then(Value::as_str)
        .ok_or_else(|| HubError::bad_request("ArgumentNull", "methodName is required."))?;
    let payload = request.get("payload").cloned().unwrap_or(Value::Null);
    // Simulated gateways answer at once, so the response timeout is only range-checked.
    timeout_secs(
        &request,
        "responseTimeoutInSeconds",
        RESPONSE_TIMEOUT_SECS,
        30,
    )?;
    let connect_timeout =
        timeout_secs(&request, "connectTimeoutInSeconds", CONNECT_TIMEOUT_SECS, 0)?;
    let online = wait_online(&app, &id, connect_timeout).await?;
    let holds = app.tenant.holds().clone();
    match fault.map(|Extension(f)| f) {
        Some(DeviceFault::Timeout) => {
            holds.record_call(&id.lower(), method, 504);
            return Err(HubError::Timeout);
        }
        Some(DeviceFault::Offline) => {
            holds.record_call(&id.lower(), method, 404);
            return Err(HubError::NotOnline);
        }
        None if !online => {
            holds.record_call(&id.lower(), method, 404);
            return Err(HubError::NotOnline);
        }
        None => {}
    }
    let result = match method {
        "RestartDevice" => app.tenant.restart_gateway(id).map(|()| {
            let delay = payload
                .get("delaySeconds")
                .and_then(Value::as_u64)
                .unwrap_or(5);
            method_answer(200, json!({"message": "Restarting", "delaySeconds": delay}))
        }),
        "UpdateNodeFirmware" => {
            let Some(mac) = payload.get("mac").and_then(Value::as_str) else {
                return Ok(method_answer(
                    400,
                    json!({"error": "payload.mac is required"}),
                ));
            };
            let target = app.tenant.read(|s| {
                s.device(&id)
                    .map(|d| d.gateway.node_fw_available.to_string())
                    .unwrap_or_default()
            });
            app.tenant
                .update_node(id, mac)
                .map(|()| method_answer(202, json!({"mac": mac, "targetVersion": target})))
        }
        // The gateway's app answers 404 for a method it does not know.
        // UNSURE: what the ASG210 production firmware answers for an unknown method.
        other => Ok(method_answer(
            404,
            json!({"error": format!("unknown method {other}")}),
        )),
    };
    let answered = match &result {
        Ok(response) => response_status(response),
        Err(GatewayError::UnknownDevice | GatewayError::Offline) => 404,
        Err(GatewayError::UnknownNode(_)) => 404,
        Err(GatewayError::NodeBusy(_)) => 409,
    };
    holds.record_call(&id.lower(), method, answered);
    // The method has taken effect; a test may keep its answer from the caller.
    holds.pass(Hold::MethodAnswers).await;
    match result {
        Ok(response) => Ok(response),
        Err(GatewayError::UnknownDevice) => Err(HubError::DeviceNotFound(id.lower())),
        Err(GatewayError::Offline) => Err(HubError::NotOnline),
        Err(GatewayError::UnknownNode(mac)) => Ok(method_answer(
            404,
            json!({"error": format!("no node with MAC {mac}")}),
        )),
        Err(GatewayError::NodeBusy(mac)) => Ok(method_answer(
            409,
            json!({"error": format!("node {mac} is busy")}),
        )),
    }
}

/// The device's status inside a method answer (the hub's own status is 200).
fn response_status(response: &Response) -> u16 {
    response
        .extensions()
        .get::<DeviceStatus>()
        .map_or(200, |s| s.0)
}

/// The device's status of a method answer, kept beside the body for the call log.
#[derive(Debug, Clone, Copy)]
struct DeviceStatus(u16);

/// One condition of a query's WHERE clause.
#[derive(Debug, Clone, PartialEq)]
enum Condition {
    Equals(Vec<String>, Value),
    NotEquals(Vec<String>, Value),
    In(Vec<String>, Vec<Value>),
}

/// The device ids a query is limited to by a `deviceId` condition, as written (device ids are
/// case-sensitive); `None` when it names none (then every device is a candidate).
fn wanted_device_ids(conditions: &[Condition]) -> Option<std::collections::HashSet<String>> {
    let is_device_id =
        |path: &[String]| matches!(path, [one] if one.eq_ignore_ascii_case("deviceId"));
    let text = |v: &Value| v.as_str().map(str::to_owned);
    conditions.iter().find_map(|condition| match condition {
        Condition::Equals(path, value) if is_device_id(path) => {
            Some(text(value).into_iter().collect())
        }
        Condition::In(path, values) if is_device_id(path) => {
            Some(values.iter().filter_map(text).collect())
        }
        _ => None,
    })
}

/// Why a query is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported query: {0}")]
pub struct QueryError(String);

/// Parses the supported subset of IoT Hub's query language (see the module doc).
fn parse_query(query: &str) -> Result<Vec<Condition>, QueryError> {
    let text = query.trim();
    let lower = text.to_ascii_lowercase();
    let prefix = "select * from devices";
    if !lower.starts_with(prefix) {
        return Err(QueryError(
            "only SELECT * FROM devices is supported".to_string(),
        ));
    }
    let rest = text[prefix.len()..].trim();
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    let rest_lower = rest.to_ascii_lowercase();
    if !rest_lower.starts_with("where ") {
        return Err(QueryError(format!("unexpected '{rest}'")));
    }
    let clause = &rest["where ".len()..];
    split_and(clause)
        .iter()
        .map(|c| parse_condition(c.trim()))
        .collect()
}

/// Splits on ` AND ` outside quotes and brackets.
fn split_and(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut depth = 0;
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '[' => depth += 1,
                ']' => depth -= 1,
                _ => {}
            },
        }
        if quote.is_none() && depth == 0 && i + 5 <= chars.len() {
            let window: String = chars[i..i + 5].iter().collect();
            if window.eq_ignore_ascii_case(" and ") {
                parts.push(std::mem::take(&mut current));
                i += 5;
                continue;
            }
        }
        current.push(c);
        i += 1;
    }
    parts.push(current);
    parts
}

fn parse_literal(text: &str) -> Result<Value, QueryError> {
    let t = text.trim();
    if t.len() >= 2
        && ((t.starts_with('\'') && t.ends_with('\'')) || (t.starts_with('"') && t.ends_with('"')))
    {
        return Ok(Value::String(t[1..t.len() - 1].to_string()));
    }
    match t {
        "true" => return Ok(Value::Bool(true)),
        "false" => return Ok(Value::Bool(false)),
        _ => {}
    }
    serde_json::from_str::<serde_json::Number>(t)
        .map(Value::Number)
        .map_err(|_| QueryError(format!("'{t}' is not a literal")))
}

fn parse_path(text: &str) -> Result<Vec<String>, QueryError> {
    let t = text.trim();
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '$'))
    {
        return Err(QueryError(format!("'{t}' is not a property path")));
    }
    Ok(t.split('.').map(str::to_string).collect())
}

fn parse_condition(text: &str) -> Result<Condition, QueryError> {
    if let Some(at) = text.find("!=") {
        return Ok(Condition::NotEquals(
            parse_path(&text[..at])?,
            parse_literal(&text[at + 2..])?,
        ));
    }
    if let Some(at) = text.find('=') {
        return Ok(Condition::Equals(
            parse_path(&text[..at])?,
            parse_literal(&text[at + 1..])?,
        ));
    }
    let lower = text.to_ascii_lowercase();
    if let Some(at) = lower.find(" in ") {
        let list = text[at + 4..].trim();
        let inner = list
            .strip_prefix('[')
            .and_then(|l| l.strip_suffix(']'))
            .ok_or_else(|| QueryError("IN needs a [list]".to_string()))?;
        let values = inner
            .split(',')
            .filter(|v| !v.trim().is_empty())
            .map(parse_literal)
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Condition::In(parse_path(&text[..at])?, values));
    }
    Err(QueryError(format!("cannot read the condition '{text}'")))
}

fn lookup<'a>(twin: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(twin, |value, segment| {
        value
            .as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(segment))
            .map(|(_, v)| v)
    })
}

/// Compares a twin value and a literal at `path`: device ids exactly (IoT Hub device ids are
/// case-sensitive), other strings ignoring case.
// UNSURE: how the hub's query language compares other string values.
fn same(path: &[String], a: &Value, b: &Value) -> bool {
    let is_device_id = matches!(path, [one] if one.eq_ignore_ascii_case("deviceId"));
    match (a, b) {
        (Value::String(x), Value::String(y)) if !is_device_id => x.eq_ignore_ascii_case(y),
        (x, y) => x == y,
    }
}

fn matches_all(twin: &Value, conditions: &[Condition]) -> bool {
    conditions.iter().all(|c| match c {
        Condition::Equals(path, v) => lookup(twin, path).is_some_and(|x| same(path, x, v)),
        Condition::NotEquals(path, v) => !lookup(twin, path).is_some_and(|x| same(path, x, v)),
        Condition::In(path, vs) => {
            lookup(twin, path).is_some_and(|x| vs.iter().any(|v| same(path, x, v)))
        }
    })
}

async fn query(
    State(app): State<AppState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HubError> {
    check_api_version(&q)?;
    let text = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("query").and_then(Value::as_str).map(str::to_string))
        .ok_or_else(|| {
            HubError::bad_request(
                "ArgumentInvalid",
                "The request body must be {\"query\": \"...\"}.",
            )
        })?;
    // UNSURE: the hub's error name for a query it cannot parse.
    let conditions =
        parse_query(&text).map_err(|e| HubError::bad_request("ArgumentInvalid", e.to_string()))?;
    let size = match headers
        .get("x-ms-max-item-count")
        .and_then(|v| v.to_str().ok())
    {
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n) if n >= 1 => n.min(1000),
            _ => {
                return Err(HubError::bad_request(
                    "ArgumentInvalid",
                    "x-ms-max-item-count must be a positive integer.",
                ))
            }
        },
        None => 100,
    };
    let key = {
        use sha2::Digest;
        format!(
            "query:{}",
            hex::encode(&sha2::Sha256::digest(text.trim().as_bytes())[..8])
        )
    };
    let offset = match headers
        .get("x-ms-continuation")
        .and_then(|v| v.to_str().ok())
    {
        Some(token) if !token.trim().is_empty() => paging::decode(&key, token)
            .map_err(|e| HubError::bad_request("ArgumentInvalid", e.to_string()))?,
        _ => 0,
    };
    let faults = app.tenant.faults().clone();
    // A query naming device ids (`deviceId = '..'` or `deviceId IN [..]`, what clients send for a
    // page of gateways) only looks up and renders those devices' twins instead of walking the
    // whole fleet; every condition (the id's exact case included) is still checked on the
    // rendered twin below.
    let wanted = wanted_device_ids(&conditions);
    let (items, more) = app.tenant.read(|s| {
        let candidates: Vec<&Device> = match &wanted {
            Some(ids) => s.devices_named(ids.iter().map(String::as_str)),
            None => s.devices.iter().collect(),
        };
        let mut matching = candidates
            .into_iter()
            .map(|d| twin_json(d, &faults))
            .filter(|t| conditions.is_empty() || matches_all(t, &conditions))
            .skip(offset);
        let items: Vec<Value> = matching.by_ref().take(size).collect();
        let more = items.len() == size && matching.next().is_some();
        (items, more)
    });
    let mut response = Json(items).into_response();
    response
        .headers_mut()
        .insert("x-ms-item-type", HeaderValue::from_static("Twin"));
    if more {
        if let Ok(v) = HeaderValue::from_str(&paging::encode(&key, offset + size)) {
            response.headers_mut().insert("x-ms-continuation", v);
        }
    }
    Ok(response)
}

/// Accepts a SAS token for the hub or an Entra bearer token for `https://iothubs.azure.net`.
async fn require_auth(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let header = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    let result = match header {
        None => Err(AuthFailure::Missing),
        Some(v) if v.starts_with("SharedAccessSignature ") => app.identity.verify_sas(v),
        Some(_) => app
            .identity
            .authorize(request.headers(), Audience::IotHub)
            .map(|_| ()),
    };
    match result {
        Ok(()) => next.run(request).await,
        Err(failure) => identity::unauthorized(Service::IotHub, failure),
    }
}

/// The IoT Hub routes, mounted under `/iothub`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/twins/{id}", get(get_twin))
        .route("/twins/{id}/methods", post(invoke_method))
        .route("/devices/query", post(query))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_auth,
        ))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supported_queries_parse() {
        assert_eq!(parse_query("SELECT * FROM devices"), Ok(vec![]));
        assert_eq!(
            parse_query("select * from devices where deviceId IN ['a', 'b'] AND properties.reported.HLAppVer = '1.0.0'"),
            Ok(vec![
                Condition::In(vec!["deviceId".into()], vec![json!("a"), json!("b")]),
                Condition::Equals(vec!["properties".into(), "reported".into(), "HLAppVer".into()], json!("1.0.0")),
            ])
        );
        assert_eq!(
            parse_query("SELECT * FROM devices WHERE connectionState != 'Connected'"),
            Ok(vec![Condition::NotEquals(
                vec!["connectionState".into()],
                json!("Connected")
            )])
        );
    }

    #[test]
    fn unsupported_queries_are_refused() {
        for bad in [
            "SELECT deviceId FROM devices",
            "SELECT * FROM devices.modules",
            "SELECT * FROM devices WHERE",
            "SELECT * FROM devices WHERE x > 3",
            "SELECT * FROM devices WHERE a = b",
            "SELECT * FROM devices WHERE deviceId IN 'a'",
            "SELECT * FROM devices GROUP BY x",
        ] {
            assert!(parse_query(bad).is_err(), "{bad}");
        }
    }
}
