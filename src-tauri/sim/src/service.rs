//! Which simulated service a request is for, and each service's own error body.
//!
//! The simulator serves every service from one port under a path prefix. Code that must answer
//! "in the service's own format" (the auth check, fault injection, unknown routes) asks this
//! module for the body, so the four formats live in one place:
//!
//! | service | error body |
//! |---|---|
//! | legacy AS3 | JSON array `[{"ErrorCode","Title","Detail","Extensions","Type","Status"}]` |
//! | ARM | `{"error":{"code","message","target","details":[]}}` |
//! | identity | Entra's `{"error","error_description","error_codes","timestamp","trace_id","correlation_id"}` |
//! | IoT Hub | `{"Message":"ErrorCode:<Name>;<text>","ExceptionMessage":"Tracking ID:..."}` |

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A simulated service, named by the first path segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    /// `/as3` (and the role call under it).
    Legacy,
    /// `/arm`.
    Arm,
    /// `/login`.
    Identity,
    /// `/iothub`.
    #[serde(rename = "iothub")]
    IotHub,
    /// `/_sim`, never faulted.
    Control,
}

impl Service {
    /// The service a request path belongs to, or `None` for an unknown prefix.
    pub fn of_path(path: &str) -> Option<Service> {
        let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
        match first {
            "as3" => Some(Service::Legacy),
            "arm" => Some(Service::Arm),
            "login" => Some(Service::Identity),
            "iothub" => Some(Service::IotHub),
            "_sim" => Some(Service::Control),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Service::Legacy => "legacy",
            Service::Arm => "arm",
            Service::Identity => "identity",
            Service::IotHub => "iothub",
            Service::Control => "control",
        }
    }
}

/// The current time as RFC 3339 (`2026-11-27T13:45:00Z`).
pub fn now_text() -> String {
    rfc3339(OffsetDateTime::now_utc())
}

/// RFC 3339 text of a time (UTC, `Z`).
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// The legacy API's error body: a JSON array with one error.
// UNSURE: the fields beyond ErrorCode/Title/Detail (Extensions, Type, Status) are modelled on
// ASP.NET problem details; the real service's exact set is not documented.
pub fn legacy_error(status: StatusCode, code: &str, detail: &str) -> Response {
    let body = json!([{
        "ErrorCode": code,
        "Title": status.canonical_reason().unwrap_or("Error"),
        "Detail": detail,
        "Extensions": {},
        "Type": null,
        "Status": status.as_u16(),
    }]);
    (status, Json(body)).into_response()
}

/// ARM's error body.
pub fn arm_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"error": {"code": code, "message": message, "details": []}});
    (status, Json(body)).into_response()
}

/// Entra's OAuth error body. `error` is the OAuth error (`invalid_grant`, ...), `aadsts` the
/// AADSTS number that Entra also puts at the start of the description.
pub fn identity_error(status: StatusCode, error: &str, aadsts: u32, text: &str) -> Response {
    let trace = uuid::Uuid::new_v4();
    let body = json!({
        "error": error,
        "error_description": format!("AADSTS{aadsts}: {text} Trace ID: {trace} Correlation ID: {trace} Timestamp: {}", now_text()),
        "error_codes": [aadsts],
        "timestamp": now_text(),
        "trace_id": trace,
        "correlation_id": trace,
        "error_uri": format!("https://login.microsoftonline.com/error?code={aadsts}"),
    });
    (status, Json(body)).into_response()
}

/// IoT Hub's error body, e.g. `ErrorCode:IotHubUnauthorizedAccess;Unauthorized`, with the
/// `iothub-errorcode` header the hub sends beside it.
pub fn iothub_error(status: StatusCode, code_name: &str, text: &str) -> Response {
    let body = json!({
        "Message": format!("ErrorCode:{code_name};{text}"),
        "ExceptionMessage": format!("Tracking ID:{}-G:0-TimeStamp:{}", uuid::Uuid::new_v4().simple(), now_text()),
    });
    with_error_header((status, Json(body)).into_response(), code_name)
}

fn with_error_header(mut response: Response, code_name: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(code_name) {
        response.headers_mut().insert("iothub-errorcode", value);
    }
    response
}

/// IoT Hub's newer error form, used for direct methods: the numeric code (404103, 504101)
/// inside a JSON document carried as the `Message` string, e.g.
/// `{"Message":"{\"errorCode\":404103,\"trackingId\":\"...\",\"message\":\"...\",\"info\":{\"timeout\":\"00:00:00\"},\"timestampUtc\":\"...\"}","ExceptionMessage":""}`
/// (as captured from a real hub in azure-iot-sdk-csharp issue 3442).
pub fn iothub_numeric_error(
    status: StatusCode,
    error_code: u32,
    code_name: &str,
    text: &str,
) -> Response {
    let inner = json!({
        "errorCode": error_code,
        "trackingId": format!("{}-TimeStamp:{}", uuid::Uuid::new_v4().simple(), now_text()),
        "message": text,
        "info": {"timeout": "00:00:00"},
        "timestampUtc": now_text(),
    });
    let body = json!({"Message": inner.to_string(), "ExceptionMessage": ""});
    with_error_header((status, Json(body)).into_response(), code_name)
}

/// The error a service gives for `status` with a generic text (used by fault injection, the
/// auth check and unknown routes). `retry_after` adds the `Retry-After` header (seconds).
pub fn error_for(
    service: Service,
    status: StatusCode,
    text: &str,
    retry_after: Option<u64>,
) -> Response {
    let mut response = match service {
        Service::Legacy | Service::Control => {
            let code = match status {
                StatusCode::UNAUTHORIZED => "Unauthorized",
                StatusCode::FORBIDDEN => "Forbidden",
                StatusCode::NOT_FOUND => "NotFound",
                StatusCode::TOO_MANY_REQUESTS => "TooManyRequests",
                StatusCode::SERVICE_UNAVAILABLE => "ServiceUnavailable",
                _ if status.is_server_error() => "InternalServerError",
                _ => "BadRequest",
            };
            legacy_error(status, code, text)
        }
        Service::Arm => {
            let code = match status {
                StatusCode::UNAUTHORIZED => "AuthenticationFailed",
                StatusCode::FORBIDDEN => "AuthorizationFailed",
                StatusCode::NOT_FOUND => "NotFound",
                StatusCode::TOO_MANY_REQUESTS => "TooManyRequests",
                StatusCode::SERVICE_UNAVAILABLE => "ServiceUnavailable",
                _ if status.is_server_error() => "InternalServerError",
                _ => "BadRequest",
            };
            arm_error(status, code, text)
        }
        Service::Identity => {
            let (error, number) = match status {
                StatusCode::TOO_MANY_REQUESTS => ("temporarily_unavailable", 90033),
                _ if status.is_server_error() => ("temporarily_unavailable", 90033),
                StatusCode::UNAUTHORIZED => ("invalid_client", 7000215),
                _ => ("invalid_request", 900144),
            };
            identity_error(status, error, number, text)
        }
        Service::IotHub => {
            let name = match status {
                StatusCode::UNAUTHORIZED => "IotHubUnauthorizedAccess",
                StatusCode::NOT_FOUND => "DeviceNotFound",
                StatusCode::TOO_MANY_REQUESTS => "ThrottlingException",
                StatusCode::SERVICE_UNAVAILABLE => "ServiceUnavailable",
                _ if status.is_server_error() => "ServerError",
                _ => "ArgumentInvalid",
            };
            iothub_error(status, name, text)
        }
    };
    if let Some(seconds) = retry_after {
        if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
            response.headers_mut().insert("retry-after", value);
        }
    }
    response
}
