//! Fault injection: the [`FaultPlan`] (a serde document, loaded from a file at start and replaced
//! through `PUT /_sim/faults`) and the middleware that applies it to every request.
//!
//! A plan is a list of [`FaultRule`]s, each matching requests by service, method and a path
//! pattern, firing on a [`Trigger`] (always, every Nth match, the first N matches, or with a
//! probability drawn from the plan's seeded generator) and applying one [`FaultAction`]. Plus
//! [`OperationFault`]s (asynchronous operations that end Failed) and devices held offline.
//! Decisions depend only on the seed and the order of matching requests, so a sequential test
//! replays exactly. Replacing the plan resets every counter and the generator.
//!
//! Example (`faults.json`):
//! ```json
//! {
//!   "seed": 7,
//!   "rules": [
//!     {"service": "legacy", "method": "GET", "path": "/v2/tenants/*/devicegroups/**",
//!      "when": {"every_nth": 3}, "action": {"kind": "throttle", "retry_after_secs": 1}},
//!     {"service": "iothub", "path": "/twins/*/methods",
//!      "action": {"kind": "device_timeout"}},
//!     {"action": {"kind": "latency", "fixed_ms": 20, "jitter_ms": 10}}
//!   ],
//!   "operations": [{"kind": "deploy", "when": {"first_n": 1}, "code": 0, "message": "boom"}],
//!   "offline_devices": ["<128 hex>"]
//! }
//! ```
//! Paths are matched without the service prefix (`/as3`, `/arm`, `/login`, `/iothub`) and
//! without the query; `*` matches one segment, `**` any number of segments (only at the end).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::rng::SeededRng;
use crate::service::{self, Service};
use crate::state::{JournalEntry, OperationError, OperationKind};
use crate::AppState;

/// The whole fault plan. The empty plan (`{}`) injects nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultPlan {
    /// Seed of the plan's generator (probabilities, jitter); `None` uses the simulator's seed.
    pub seed: Option<u64>,
    pub rules: Vec<FaultRule>,
    pub operations: Vec<OperationFault>,
    /// Device ids (128 hex, any case) held offline while the plan is active; `"*"` = all.
    pub offline_devices: Vec<String>,
}

/// One request-level fault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// `None` = every service except the control API.
    #[serde(default)]
    pub service: Option<Service>,
    /// HTTP method, case-insensitive; `None` = any.
    #[serde(default)]
    pub method: Option<String>,
    /// Path pattern after the service prefix; `None` = any.
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub when: Trigger,
    pub action: FaultAction,
}

/// When a matching rule fires. With several fields set, all must agree.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Trigger {
    /// Fires on the Nth, 2Nth, ... matching request (1-based).
    pub every_nth: Option<u64>,
    /// Fires on the first N matching requests only.
    pub first_n: Option<u64>,
    /// Fires with this probability (0..=1), drawn from the plan's seeded generator.
    pub probability: Option<f64>,
}

/// What a firing rule does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultAction {
    /// Delays the answer by `fixed_ms` plus a seeded random `0..=jitter_ms`.
    Latency {
        fixed_ms: u64,
        #[serde(default)]
        jitter_ms: u64,
    },
    /// 429 with `Retry-After: retry_after_secs`, in the service's error format.
    Throttle {
        #[serde(default = "one")]
        retry_after_secs: u64,
    },
    /// Answers `status` (500, 503, ...) in the service's error format.
    Status {
        status: u16,
        #[serde(default)]
        retry_after_secs: Option<u64>,
    },
    /// Sends the headers and the first `after_bytes` of the body, then drops the connection.
    ResetResponse {
        #[serde(default)]
        after_bytes: usize,
    },
    /// Reads the first `after_bytes` of the request body, then drops the connection without
    /// an answer.
    ResetRequest {
        #[serde(default)]
        after_bytes: usize,
    },
    /// Sends the body in `chunk_bytes` pieces with `delay_ms` between them.
    SlowBody { chunk_bytes: usize, delay_ms: u64 },
    /// Treats the request's token as expired (401 in the service's format).
    ExpiredToken,
    /// Treats the request's token as revoked (401 in the service's format).
    RevokedToken,
    /// For IoT Hub direct methods: the device does not answer in time (504).
    DeviceTimeout,
    /// For IoT Hub direct methods: the device is not connected (404, 404103).
    DeviceOffline,
    /// For list answers: the page always announces a next page that leads back to itself (ARM
    /// `nextLink` = the request's own URL; legacy `ContinuationToken` and IoT Hub
    /// `x-ms-continuation` = [`ENDLESS_TOKEN`], which this fault then serves as the first page
    /// again), as a misbehaving service or proxy could.
    EndlessNextLink,
}

/// The continuation token of [`FaultAction::EndlessNextLink`] (legacy and IoT Hub).
pub const ENDLESS_TOKEN: &str = "sim-endless-page";

fn one() -> u64 {
    1
}

/// Which operations end Failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationFault {
    /// `move`, `deploy`, `upload`; `None` = any.
    #[serde(default)]
    pub kind: Option<OperationFaultKind>,
    #[serde(default)]
    pub when: Trigger,
    /// Legacy `Error.Code` (0 OperationFailed, 5 BadRequest, 6 Forbidden, 7 Conflict, 8 NotFound).
    #[serde(default)]
    pub code: u8,
    #[serde(default = "default_failure_message")]
    pub message: String,
}

fn default_failure_message() -> String {
    "The operation failed (simulated fault).".to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationFaultKind {
    Move,
    Deploy,
    Upload,
}

impl OperationFaultKind {
    fn matches(self, kind: OperationKind) -> bool {
        matches!(
            (self, kind),
            (
                OperationFaultKind::Move,
                OperationKind::DeviceUpdateDeviceGroup
            ) | (
                OperationFaultKind::Deploy,
                OperationKind::DeployToDeviceGroup
            ) | (OperationFaultKind::Upload, OperationKind::ImageUpload)
        )
    }
}

/// Why a plan file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FaultPlanError {
    #[error("cannot read the fault plan {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the fault plan {path} is not valid: {source}")]
    Parse {
        path: String,
        source: serde_json::Error,
    },
}

impl FaultPlan {
    /// Reads a plan from a JSON file.
    pub fn load(path: &std::path::Path) -> Result<FaultPlan, FaultPlanError> {
        let text = std::fs::read_to_string(path).map_err(|source| FaultPlanError::Read {
            path: path.display().to_string(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| FaultPlanError::Parse {
            path: path.display().to_string(),
            source,
        })
    }
}

/// The plan in force plus its counters.
#[derive(Debug)]
struct FaultRuntime {
    plan: FaultPlan,
    rule_matches: Vec<u64>,
    operation_matches: Vec<u64>,
    rng: SeededRng,
    default_seed: u64,
}

impl FaultRuntime {
    fn fires(trigger: &Trigger, count: u64, rng: &mut SeededRng) -> bool {
        if let Some(n) = trigger.every_nth {
            if n == 0 || !count.is_multiple_of(n) {
                return false;
            }
        }
        if let Some(n) = trigger.first_n {
            if count > n {
                return false;
            }
        }
        if let Some(p) = trigger.probability {
            if rng.unit() >= p {
                return false;
            }
        }
        true
    }
}

/// The shared, replaceable fault plan.
#[derive(Clone, Debug)]
pub struct Faults {
    inner: Arc<Mutex<FaultRuntime>>,
}

impl Faults {
    pub fn new(plan: FaultPlan, default_seed: u64) -> Self {
        let faults = Faults {
            inner: Arc::new(Mutex::new(FaultRuntime {
                plan: FaultPlan::default(),
                rule_matches: Vec::new(),
                operation_matches: Vec::new(),
                rng: SeededRng::new(default_seed, 3),
                default_seed,
            })),
        };
        faults.set(plan);
        faults
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FaultRuntime> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the plan and resets its counters and generator.
    pub fn set(&self, plan: FaultPlan) {
        let mut rt = self.lock();
        rt.rule_matches = vec![0; plan.rules.len()];
        rt.operation_matches = vec![0; plan.operations.len()];
        rt.rng = SeededRng::new(plan.seed.unwrap_or(rt.default_seed), 3);
        rt.plan = plan;
    }

    pub fn plan(&self) -> FaultPlan {
        self.lock().plan.clone()
    }

    /// Whether the plan holds `device` (lowercase or uppercase hex) offline.
    pub fn holds_offline(&self, device_hex: &str) -> bool {
        self.lock()
            .plan
            .offline_devices
            .iter()
            .any(|d| d == "*" || d.eq_ignore_ascii_case(device_hex))
    }

    /// The failure an operation of `kind` is to end with, if the plan says so.
    pub fn operation_failure(&self, kind: OperationKind) -> Option<OperationError> {
        let mut rt = self.lock();
        let rt = &mut *rt;
        for (i, fault) in rt.plan.operations.iter().enumerate() {
            if fault.kind.is_some_and(|k| !k.matches(kind)) {
                continue;
            }
            rt.operation_matches[i] += 1;
            if FaultRuntime::fires(&fault.when, rt.operation_matches[i], &mut rt.rng) {
                return Some(OperationError {
                    code: fault.code,
                    message: fault.message.clone(),
                });
            }
        }
        None
    }

    /// The actions that fire for this request (in rule order), counting the match.
    fn decide(&self, service: Service, method: &str, path: &str) -> Vec<(FaultAction, u64)> {
        let mut rt = self.lock();
        let rt = &mut *rt;
        let mut fired = Vec::new();
        for (i, rule) in rt.plan.rules.iter().enumerate() {
            if rule.service.is_some_and(|s| s != service) {
                continue;
            }
            if rule
                .method
                .as_ref()
                .is_some_and(|m| !m.eq_ignore_ascii_case(method))
            {
                continue;
            }
            if rule.path.as_ref().is_some_and(|p| !path_matches(p, path)) {
                continue;
            }
            rt.rule_matches[i] += 1;
            if FaultRuntime::fires(&rule.when, rt.rule_matches[i], &mut rt.rng) {
                // Jitter is drawn now, under the lock, so it stays in the seeded sequence.
                let jitter = match &rule.action {
                    FaultAction::Latency { jitter_ms, .. } if *jitter_ms > 0 => {
                        rt.rng.below(jitter_ms + 1)
                    }
                    _ => 0,
                };
                fired.push((rule.action.clone(), jitter));
            }
        }
        fired
    }
}

/// Matches a path against a pattern: `*` = one segment, a final `**` = any rest (even none).
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let mut pat = pattern.trim_matches('/').split('/');
    let mut segs = path.trim_matches('/').split('/');
    loop {
        match (pat.next(), segs.next()) {
            (Some("**"), _) => return true,
            (Some(p), Some(s)) => {
                if p != "*" && !p.eq_ignore_ascii_case(s) {
                    return false;
                }
            }
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// A request-level fault the IoT Hub method handler must act on (set as a request extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceFault {
    Timeout,
    Offline,
}

/// The middleware: records the call in the journal and applies the plan.
pub async fn layer(State(app): State<AppState>, mut request: Request, next: Next) -> Response {
    let full_path = request.uri().path().to_string();
    let method = request.method().as_str().to_string();
    let Some(service) = Service::of_path(&full_path) else {
        return next.run(request).await;
    };
    let path = full_path
        .trim_start_matches('/')
        .split_once('/')
        .map(|(_, rest)| format!("/{rest}"))
        .unwrap_or_else(|| "/".to_string());

    let actions = if service == Service::Control {
        Vec::new()
    } else {
        app.tenant.faults().decide(service, &method, &path)
    };

    let mut response = None;
    let mut response_transform = None;
    for (action, jitter) in actions {
        match action {
            FaultAction::Latency { fixed_ms, .. } => {
                tokio::time::sleep(Duration::from_millis(fixed_ms + jitter)).await;
            }
            FaultAction::Throttle { retry_after_secs } => {
                response.get_or_insert_with(|| {
                    service::error_for(
                        service,
                        StatusCode::TOO_MANY_REQUESTS,
                        "Too many requests (simulated fault).",
                        Some(retry_after_secs),
                    )
                });
            }
            FaultAction::Status {
                status,
                retry_after_secs,
            } => {
                let status =
                    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                response.get_or_insert_with(|| {
                    service::error_for(
                        service,
                        status,
                        "The service failed (simulated fault).",
                        retry_after_secs,
                    )
                });
            }
            FaultAction::ExpiredToken => {
                response.get_or_insert_with(|| {
                    crate::identity::unauthorized(service, crate::identity::AuthFailure::Expired)
                });
            }
            FaultAction::RevokedToken => {
                response.get_or_insert_with(|| {
                    crate::identity::unauthorized(service, crate::identity::AuthFailure::Revoked)
                });
            }
            FaultAction::DeviceTimeout => {
                request.extensions_mut().insert(DeviceFault::Timeout);
            }
            FaultAction::DeviceOffline => {
                request.extensions_mut().insert(DeviceFault::Offline);
            }
            FaultAction::ResetRequest { after_bytes } => {
                // Read part of the request body, then answer with a body that fails at once:
                // hyper then closes the connection without a complete answer.
                let mut stream = std::mem::take(request.body_mut()).into_data_stream();
                let mut read = 0usize;
                while read < after_bytes {
                    match stream.next().await {
                        Some(Ok(chunk)) => read += chunk.len(),
                        _ => break,
                    }
                }
                response = Some(broken_response());
            }
            FaultAction::ResetResponse { after_bytes } => {
                response_transform = Some(BodyTransform::Reset { after_bytes });
            }
            FaultAction::EndlessNextLink => {
                // The endless token names the first page again.
                for header in ["sphere-continuation", "x-ms-continuation"] {
                    if request
                        .headers()
                        .get(header)
                        .is_some_and(|v| v.as_bytes() == ENDLESS_TOKEN.as_bytes())
                    {
                        request.headers_mut().remove(header);
                    }
                }
                let own = format!("{}{}", app.urls.base, request.uri());
                response_transform = Some(BodyTransform::Endless { own_url: own });
            }
            FaultAction::SlowBody {
                chunk_bytes,
                delay_ms,
            } => {
                response_transform = Some(BodyTransform::Slow {
                    chunk_bytes: chunk_bytes.max(1),
                    delay: Duration::from_millis(delay_ms),
                });
            }
        }
    }

    let response = match response {
        Some(r) => r,
        None => next.run(request).await,
    };
    app.tenant.write(|s| {
        s.record(JournalEntry {
            at: OffsetDateTime::now_utc(),
            service: service.name().to_string(),
            method: method.clone(),
            path: full_path.clone(),
            status: response.status().as_u16(),
        })
    });
    match response_transform {
        Some(transform) => transform.apply(response).await,
        None => response,
    }
}

/// A response whose body fails before its first byte: the client sees the connection drop.
fn broken_response() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "simulated connection reset",
        ))
    });
    let mut response = Response::new(Body::from_stream(stream));
    // A Content-Length makes the client notice the truncation instead of seeing an empty body.
    response.headers_mut().insert(
        "content-length",
        axum::http::HeaderValue::from_static("1024"),
    );
    response
}

enum BodyTransform {
    Reset { after_bytes: usize },
    Slow { chunk_bytes: usize, delay: Duration },
    Endless { own_url: String },
}

impl BodyTransform {
    async fn apply(self, response: Response) -> Response {
        let (mut parts, body) = response.into_parts();
        let bytes = match axum::body::to_bytes(body, usize::MAX).await {
            Ok(b) => b,
            Err(_) => return broken_response(),
        };
        match self {
            BodyTransform::Endless { own_url } => {
                if !parts.status.is_success() {
                    return Response::from_parts(parts, Body::from(bytes));
                }
                let mut body = serde_json::from_slice::<serde_json::Value>(&bytes).ok();
                match body.as_mut() {
                    // ARM: `{"value": [...], "nextLink"}`.
                    Some(serde_json::Value::Object(page)) if page.contains_key("value") => {
                        page.insert("nextLink".into(), own_url.into());
                    }
                    // Legacy: `{"Items": [...], "ContinuationToken"}`.
                    Some(serde_json::Value::Object(page)) if page.contains_key("Items") => {
                        page.insert("ContinuationToken".into(), ENDLESS_TOKEN.into());
                    }
                    // IoT Hub query: a bare array, continued by a header.
                    Some(serde_json::Value::Array(_)) => {
                        parts.headers.insert(
                            "x-ms-continuation",
                            axum::http::HeaderValue::from_static(ENDLESS_TOKEN),
                        );
                    }
                    _ => {}
                }
                let bytes = match body {
                    Some(value) => Bytes::from(serde_json::to_vec(&value).unwrap_or_default()),
                    None => bytes,
                };
                parts.headers.remove("content-length");
                Response::from_parts(parts, Body::from(bytes))
            }
            BodyTransform::Reset { after_bytes } => {
                let head = bytes.slice(..after_bytes.min(bytes.len().saturating_sub(1)));
                // Keep the full length announced so the client knows the body was cut short.
                if let Ok(v) = axum::http::HeaderValue::from_str(&bytes.len().max(1).to_string()) {
                    parts.headers.insert("content-length", v);
                }
                // The pause lets hyper flush the headers and the first bytes before the
                // error tears the connection down.
                let stream =
                    futures_util::stream::iter([Some(head), None]).then(|chunk| async move {
                        match chunk {
                            Some(bytes) => Ok(bytes),
                            None => {
                                tokio::time::sleep(Duration::from_millis(20)).await;
                                Err(std::io::Error::new(
                                    std::io::ErrorKind::ConnectionReset,
                                    "simulated connection reset",
                                ))
                            }
                        }
                    });
                Response::from_parts(parts, Body::from_stream(stream))
            }
            BodyTransform::Slow { chunk_bytes, delay } => {
                let chunks: Vec<Bytes> = bytes
                    .chunks(chunk_bytes)
                    .map(Bytes::copy_from_slice)
                    .collect();
                let stream = futures_util::stream::iter(chunks).then(move |chunk| async move {
                    tokio::time::sleep(delay).await;
                    Ok::<Bytes, std::io::Error>(chunk)
                });
                Response::from_parts(parts, Body::from_stream(stream)).into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_patterns_match_segments() {
        let table = [
            ("/v2/tenants/*/devices", "/v2/tenants/abc/devices", true),
            ("/v2/tenants/*/devices", "/v2/tenants/abc/devices/x", false),
            ("/v2/tenants/**", "/v2/tenants", true),
            ("/v2/tenants/**", "/v2/tenants/a/b/c", true),
            ("/twins/*/methods", "/twins/AB/methods", true),
            ("/twins/*/methods", "/twins/AB", false),
        ];
        for (pattern, path, expected) in table {
            assert_eq!(path_matches(pattern, path), expected, "{pattern} vs {path}");
        }
    }

    #[test]
    fn triggers_fire_as_documented() {
        let mut rng = SeededRng::new(1, 1);
        let every = Trigger {
            every_nth: Some(3),
            ..Trigger::default()
        };
        let fired: Vec<bool> = (1..=6)
            .map(|c| FaultRuntime::fires(&every, c, &mut rng))
            .collect();
        assert_eq!(fired, [false, false, true, false, false, true]);
        let first = Trigger {
            first_n: Some(2),
            ..Trigger::default()
        };
        let fired: Vec<bool> = (1..=4)
            .map(|c| FaultRuntime::fires(&first, c, &mut rng))
            .collect();
        assert_eq!(fired, [true, true, false, false]);
    }

    #[test]
    fn bad_plans_are_rejected() {
        for bad in [
            r#"{"rules":[{"action":{"kind":"explode"}}]}"#,
            r#"{"unknown":1}"#,
            r#"{"rules":[{"action":{"kind":"status"}}]}"#,
        ] {
            assert!(serde_json::from_str::<FaultPlan>(bad).is_err(), "{bad}");
        }
    }
}
