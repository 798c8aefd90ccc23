//! The one error type of the cloud layer, and the parsers of each service's own error body.
//!
//! Every non-2xx answer of every service (legacy AS3, ARM, IoT Hub, Microsoft identity) is turned
//! into a [`CloudError`] in exactly one place (`transport::Transport::send`), so the UI and the CLI
//! see the same classification everywhere: `kind()` is a stable snake_case code the UI can act on,
//! and `Display` says what happened and what the person can do about it.

use std::time::Duration;

use serde::Deserialize;

/// Which service answered: decides how its error body is read and how a message is worded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// The legacy Azure Sphere public API (`prod.core.sphere.azure.net`).
    Legacy,
    /// Azure Resource Manager, provider `Microsoft.AzureSphere`.
    Arm,
    /// The IoT Hub service API.
    IotHub,
    /// The Microsoft identity platform (sign-in).
    Identity,
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Service::Legacy => "the Azure Sphere service",
            Service::Arm => "Azure Resource Manager",
            Service::IotHub => "IoT Hub",
            Service::Identity => "Microsoft sign-in",
        })
    }
}

/// What the service said about the failure, read from its own error body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceFault {
    /// The service's error code (`ErrorCode`, `error.code`, IoT Hub's numeric `errorCode`, OAuth's `error`).
    pub code: Option<String>,
    /// The service's human message (`Detail`/`Title`, `error.message`, `error_description`).
    pub message: String,
    /// ARM's `error.target`, when given.
    pub target: Option<String>,
}

impl std::fmt::Display for ServiceFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.code, self.message.is_empty()) {
            (Some(code), false) => write!(f, "{code}: {}", self.message),
            (Some(code), true) => f.write_str(code),
            (None, false) => f.write_str(&self.message),
            (None, true) => f.write_str("no details given"),
        }
    }
}

/// How a transport-level failure happened (no HTTP answer was read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportFailure {
    /// The connect or total timeout elapsed.
    Timeout,
    /// No connection could be made (DNS, refused, TLS, proxy).
    Connect,
    /// The connection broke while the request or the answer was in flight.
    Reset,
    /// Anything else reqwest reports (a body that could not be read from disk, for instance).
    Other,
}

/// Every way a call to a cloud service can fail.
#[derive(Debug, thiserror::Error)]
pub enum CloudError {
    #[error("{service} did not accept the sign-in ({fault}). Sign in again.")]
    Unauthorized {
        service: Service,
        fault: ServiceFault,
    },

    #[error(
        "{service} refused this action for your account ({fault}): your role cannot do this. \
         Ask an Administrator or Contributor of the tenant to do it or to give you that role."
    )]
    Forbidden {
        service: Service,
        fault: ServiceFault,
    },

    #[error("{service} does not know this item ({fault}). Check the id or name, and the profile's tenant.")]
    NotFound {
        service: Service,
        fault: ServiceFault,
    },

    #[error("{service} reports a conflict ({fault}). Reload the current state and try again.")]
    Conflict {
        service: Service,
        fault: ServiceFault,
    },

    #[error("{service} rejected the request as invalid (HTTP {status}: {fault}).")]
    Rejected {
        service: Service,
        status: u16,
        fault: ServiceFault,
    },

    #[error("{}", throttled_message(*.service, *.attempts, *.retry_after, .fault))]
    Throttled {
        service: Service,
        attempts: u32,
        retry_after: Option<Duration>,
        fault: ServiceFault,
    },

    #[error(
        "{service} failed (HTTP {status}: {fault}) after {attempts} attempts. This is on the service's \
         side: try again later."
    )]
    Service {
        service: Service,
        status: u16,
        attempts: u32,
        retry_after: Option<Duration>,
        fault: ServiceFault,
    },

    #[error(
        "The gateway {device} is not connected to IoT Hub. Check that it is powered and online, then try \
         again."
    )]
    DeviceOffline { device: String },

    #[error(
        "The gateway {device} did not answer the command in time. It may be busy or rebooting: read \
         its twin in a minute."
    )]
    DeviceTimeout { device: String },

    #[error(
        "The answer of {service} to {what} could not be read at `{path}`: {source}. Start of the \
         answer: {snippet}"
    )]
    Decode {
        service: Service,
        what: String,
        path: String,
        snippet: String,
        #[source]
        source: serde_json::Error,
    },

    #[error("{}", transport_message(*.failure, .url_path, .detail, *.attempts))]
    Transport {
        failure: TransportFailure,
        url_path: String,
        detail: String,
        attempts: u32,
    },

    #[error("The {operation} operation failed in the cloud ({fault}).")]
    OperationFailed {
        operation: String,
        fault: ServiceFault,
    },

    #[error(
        "{what} did not finish within {waited:?}. It may still complete in the cloud: check its state \
         before trying again."
    )]
    DeadlineExceeded { what: String, waited: Duration },

    #[error("Cancelled.")]
    Cancelled,

    /// An answer larger than [`super::transport::Limits::max_body_bytes`]: not read.
    #[error(
        "{service} sent an answer to {url_path} larger than {limit} bytes; it was not read. The real \
         service sends nothing that large: check the profile's service URLs."
    )]
    TooLarge {
        service: Service,
        url_path: String,
        limit: u64,
    },

    /// A listing whose next-page link repeated, or that went on past the page cap.
    #[error(
        "{service} kept sending more pages of {what} ({}): the listing was stopped so the run cannot \
         loop forever. Try again later; if it happens again, the service or a proxy is misbehaving.",
        if *.repeated { format!("a next-page link came back after {} pages", .pages) }
        else { format!("more than {} pages", .pages) }
    )]
    EndlessPaging {
        service: Service,
        what: String,
        pages: u32,
        repeated: bool,
    },

    /// A 3xx answer: redirects are never followed, so a token or a client secret is never re-sent
    /// to a host the profile does not name.
    #[error(
        "{service} answered with a redirect (HTTP {status}) to {target}. Redirects are not followed, \
         so no sign-in secret or token was sent there: check the profile's service URLs."
    )]
    Redirected {
        service: Service,
        status: u16,
        /// The redirect's host, or `(no location)`; never its query.
        target: String,
    },

    #[error("Sign-in failed ({fault}). {advice}")]
    SignIn {
        fault: ServiceFault,
        advice: &'static str,
    },

    #[error("{what} is not valid: {reason}")]
    InvalidInput { what: &'static str, reason: String },

    #[error("Could not read {path}: {source}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

fn throttled_message(
    service: Service,
    attempts: u32,
    retry_after: Option<Duration>,
    fault: &ServiceFault,
) -> String {
    let advice = match retry_after {
        Some(wait) if wait > Duration::from_secs(60) => format!(
            "It asks to wait {} before trying again: try again after that.",
            human_wait(wait)
        ),
        _ => "Wait a minute and try again.".to_owned(),
    };
    format!(
        "{service} is throttling requests (HTTP 429) and still did after {attempts} attempts ({fault}). \
         {advice}"
    )
}

/// A wait in the largest whole unit that fits (`"5 minutes"`, `"3 days"`).
fn human_wait(wait: Duration) -> String {
    let secs = wait.as_secs();
    let (n, unit) = match secs {
        0..=119 => (secs, "seconds"),
        120..=7_199 => (secs / 60, "minutes"),
        7_200..=172_799 => (secs / 3_600, "hours"),
        _ => (secs / 86_400, "days"),
    };
    format!("{n} {unit}")
}

fn transport_message(
    failure: TransportFailure,
    url_path: &str,
    detail: &str,
    attempts: u32,
) -> String {
    let what = match failure {
        TransportFailure::Timeout => "timed out",
        TransportFailure::Connect => "could not connect",
        TransportFailure::Reset => "lost the connection",
        TransportFailure::Other => "failed",
    };
    format!(
        "The request to {url_path} {what} after {attempts} attempts ({detail}). Check the network, a \
         proxy (HTTPS_PROXY) and the profile's service URLs."
    )
}

impl CloudError {
    /// A stable snake_case code for the UI and `--json` output; never reworded.
    pub fn kind(&self) -> &'static str {
        match self {
            CloudError::Unauthorized { .. } => "unauthorized",
            CloudError::Forbidden { .. } => "forbidden",
            CloudError::NotFound { .. } => "not_found",
            CloudError::Conflict { .. } => "conflict",
            CloudError::Rejected { .. } => "rejected",
            CloudError::Throttled { .. } => "throttled",
            CloudError::Service { .. } => "service",
            CloudError::DeviceOffline { .. } => "device_offline",
            CloudError::DeviceTimeout { .. } => "device_timeout",
            CloudError::Decode { .. } => "decode",
            CloudError::Transport { failure, .. } => match failure {
                TransportFailure::Timeout => "timeout",
                TransportFailure::Connect => "connect",
                TransportFailure::Reset => "connection_reset",
                TransportFailure::Other => "transport",
            },
            CloudError::OperationFailed { .. } => "operation_failed",
            CloudError::DeadlineExceeded { .. } => "deadline_exceeded",
            CloudError::Cancelled => "cancelled",
            CloudError::TooLarge { .. } => "response_too_large",
            CloudError::EndlessPaging { .. } => "endless_paging",
            CloudError::Redirected { .. } => "redirected",
            CloudError::SignIn { .. } => "sign_in",
            CloudError::InvalidInput { .. } => "invalid_input",
            CloudError::File { .. } => "file",
        }
    }

    /// Whether the same request may succeed if sent again later (429, 5xx, a broken connection).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            CloudError::Throttled { .. }
                | CloudError::Service { .. }
                | CloudError::Transport { .. }
        )
    }

    /// The wait the service asked for, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            CloudError::Throttled { retry_after, .. } | CloudError::Service { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }

    /// Records how many attempts were made before this error became final.
    pub(crate) fn with_attempts(mut self, n: u32) -> Self {
        match &mut self {
            CloudError::Throttled { attempts, .. }
            | CloudError::Service { attempts, .. }
            | CloudError::Transport { attempts, .. } => *attempts = n,
            _ => {}
        }
        self
    }

    /// The service's error code when the service gave one.
    pub fn service_code(&self) -> Option<&str> {
        match self {
            CloudError::Unauthorized { fault, .. }
            | CloudError::Forbidden { fault, .. }
            | CloudError::NotFound { fault, .. }
            | CloudError::Conflict { fault, .. }
            | CloudError::Rejected { fault, .. }
            | CloudError::Throttled { fault, .. }
            | CloudError::Service { fault, .. }
            | CloudError::OperationFailed { fault, .. }
            | CloudError::SignIn { fault, .. } => fault.code.as_deref(),
            _ => None,
        }
    }

    /// Classifies a non-2xx answer. `device` names the IoT Hub device the call was about, so that
    /// IoT Hub's "device offline" and gateway-timeout answers become their own variants.
    pub(crate) fn from_status(
        service: Service,
        status: u16,
        body: &[u8],
        retry_after: Option<Duration>,
        device: Option<&str>,
    ) -> CloudError {
        let fault = parse_fault(service, body);
        if service == Service::IotHub {
            if let Some(device) = device {
                // UNSURE: IoT Hub's "device not online" is 404 with errorCode 404103 (documented), and
                // a device that does not answer within responseTimeoutInSeconds is 504.
                if status == 404 && fault.code.as_deref() == Some("404103") {
                    return CloudError::DeviceOffline {
                        device: device.to_owned(),
                    };
                }
                if status == 504 {
                    return CloudError::DeviceTimeout {
                        device: device.to_owned(),
                    };
                }
            }
        }
        match status {
            401 => CloudError::Unauthorized { service, fault },
            403 => CloudError::Forbidden { service, fault },
            404 => CloudError::NotFound { service, fault },
            409 => CloudError::Conflict { service, fault },
            429 => CloudError::Throttled {
                service,
                attempts: 1,
                retry_after,
                fault,
            },
            500..=599 => CloudError::Service {
                service,
                status,
                attempts: 1,
                retry_after,
                fault,
            },
            _ => CloudError::Rejected {
                service,
                status,
                fault,
            },
        }
    }

    pub(crate) fn decode(
        service: Service,
        what: impl Into<String>,
        body: &[u8],
        e: serde_path_to_error::Error<serde_json::Error>,
    ) -> Self {
        CloudError::Decode {
            service,
            what: what.into(),
            path: e.path().to_string(),
            snippet: snippet(body),
            source: e.into_inner(),
        }
    }
}

/// The first 200 characters of a body, for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut s: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        s.push('…');
    }
    s
}

/// One element of the legacy API's error array `[{ErrorCode, Title, Detail, Extensions, ...}]`.
#[derive(Debug, Deserialize)]
struct LegacyErrorItem {
    #[serde(alias = "errorCode", alias = "Code", alias = "code")]
    #[serde(rename = "ErrorCode", default)]
    error_code: Option<serde_json::Value>,
    #[serde(rename = "Title", alias = "title", default)]
    title: Option<String>,
    #[serde(rename = "Detail", alias = "detail", default)]
    detail: Option<String>,
}

/// ARM's `{"error": {code, message, target, details}}`.
#[derive(Debug, Deserialize)]
struct ArmErrorEnvelope {
    error: ArmErrorBody,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ArmErrorBody {
    #[serde(default)]
    pub(crate) code: Option<String>,
    #[serde(default)]
    pub(crate) message: Option<String>,
    #[serde(default)]
    pub(crate) target: Option<String>,
}

impl From<ArmErrorBody> for ServiceFault {
    fn from(e: ArmErrorBody) -> Self {
        ServiceFault {
            code: e.code,
            message: e.message.unwrap_or_default(),
            target: e.target,
        }
    }
}

/// OAuth 2.0 error answer: `{"error": "...", "error_description": "..."}`.
#[derive(Debug, Deserialize)]
pub(crate) struct OAuthErrorBody {
    pub(crate) error: String,
    #[serde(default)]
    pub(crate) error_description: Option<String>,
}

fn value_to_code(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads the service's error body, whatever shape it has; falls back to the raw text.
pub(crate) fn parse_fault(service: Service, body: &[u8]) -> ServiceFault {
    let raw = || ServiceFault {
        code: None,
        message: snippet(body),
        target: None,
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return ServiceFault::default();
    }
    match service {
        Service::Legacy => {
            // The documented shape is an array; a single object has been seen from .NET middleware.
            let items: Option<Vec<LegacyErrorItem>> =
                serde_json::from_slice(body).ok().or_else(|| {
                    serde_json::from_slice::<LegacyErrorItem>(body)
                        .ok()
                        .map(|i| vec![i])
                });
            match items.and_then(|v| v.into_iter().next()) {
                Some(item) => ServiceFault {
                    code: item.error_code.as_ref().and_then(value_to_code),
                    message: match (item.title, item.detail) {
                        (Some(t), Some(d)) if !d.is_empty() => format!("{t}: {d}"),
                        (Some(t), _) => t,
                        (None, Some(d)) => d,
                        (None, None) => String::new(),
                    },
                    target: None,
                },
                None => raw(),
            }
        }
        Service::Arm => match serde_json::from_slice::<ArmErrorEnvelope>(body) {
            Ok(env) => env.error.into(),
            Err(_) => raw(),
        },
        Service::IotHub => parse_iothub_fault(body).unwrap_or_else(raw),
        Service::Identity => match serde_json::from_slice::<OAuthErrorBody>(body) {
            Ok(e) => ServiceFault {
                code: Some(e.error),
                message: e.error_description.unwrap_or_default(),
                target: None,
            },
            Err(_) => raw(),
        },
    }
}

/// IoT Hub answers errors as `{"Message": "<json or text>", "ExceptionMessage": "..."}` where the
/// inner JSON carries `errorCode` and `message`; some paths answer the inner object directly.
fn parse_iothub_fault(body: &[u8]) -> Option<ServiceFault> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let from_inner = |inner: &serde_json::Value| -> Option<ServiceFault> {
        let code = inner
            .get("errorCode")
            .or_else(|| inner.get("ErrorCode"))
            .and_then(value_to_code)?;
        let message = inner
            .get("message")
            .or_else(|| inner.get("Message"))
            .and_then(|m| m.as_str())
            .unwrap_or_default()
            .to_owned();
        Some(ServiceFault {
            code: Some(code),
            message,
            target: None,
        })
    };
    if let Some(f) = from_inner(&v) {
        return Some(f);
    }
    let message = v
        .get("Message")
        .or_else(|| v.get("message"))
        .and_then(|m| m.as_str())?;
    if let Ok(inner) = serde_json::from_str::<serde_json::Value>(message) {
        if let Some(f) = from_inner(&inner) {
            return Some(f);
        }
    }
    // Older answers put the code in the text: "ErrorCode:DeviceNotOnline;...".
    let code = message
        .strip_prefix("ErrorCode:")
        .and_then(|rest| rest.split(';').next())
        .map(str::to_owned);
    Some(ServiceFault {
        code,
        message: message.to_owned(),
        target: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_of_each_service_are_read() {
        let cases: &[(Service, &str, Option<&str>, &str)] = &[
            (
                Service::Legacy,
                r#"[{"ErrorCode":"Forbidden","Title":"Access denied","Detail":"Reader role","Extensions":{}}]"#,
                Some("Forbidden"),
                "Access denied: Reader role",
            ),
            (
                Service::Legacy,
                r#"[{"ErrorCode":6,"Title":"Nope"}]"#,
                Some("6"),
                "Nope",
            ),
            (
                Service::Arm,
                r#"{"error":{"code":"ResourceNotFound","message":"gone","target":"x","details":[]}}"#,
                Some("ResourceNotFound"),
                "gone",
            ),
            (
                Service::IotHub,
                r#"{"Message":"{\"errorCode\":404103,\"trackingId\":\"t\",\"message\":\"Timed out waiting for device to connect.\"}","ExceptionMessage":""}"#,
                Some("404103"),
                "Timed out waiting for device to connect.",
            ),
            (
                Service::IotHub,
                r#"{"errorCode":404103,"message":"offline"}"#,
                Some("404103"),
                "offline",
            ),
            (
                Service::Identity,
                r#"{"error":"authorization_pending","error_description":"wait"}"#,
                Some("authorization_pending"),
                "wait",
            ),
            (
                Service::Arm,
                "<html>Bad gateway</html>",
                None,
                "<html>Bad gateway</html>",
            ),
        ];
        for (service, body, code, message) in cases {
            let f = parse_fault(*service, body.as_bytes());
            assert_eq!(f.code.as_deref(), *code, "{body}");
            assert_eq!(f.message, *message, "{body}");
        }
    }

    #[test]
    fn statuses_map_to_kinds() {
        let cases: &[(Service, u16, &str, Option<&str>, &str)] = &[
            (Service::Legacy, 401, "", None, "unauthorized"),
            (Service::Arm, 403, "", None, "forbidden"),
            (Service::Arm, 404, "", None, "not_found"),
            (Service::Legacy, 409, "", None, "conflict"),
            (Service::Legacy, 400, "", None, "rejected"),
            (Service::Arm, 429, "", None, "throttled"),
            (Service::Arm, 503, "", None, "service"),
            (
                Service::IotHub,
                404,
                r#"{"errorCode":404103}"#,
                Some("dev"),
                "device_offline",
            ),
            (
                Service::IotHub,
                404,
                r#"{"errorCode":404001}"#,
                Some("dev"),
                "not_found",
            ),
            (Service::IotHub, 504, "", Some("dev"), "device_timeout"),
        ];
        for (service, status, body, device, kind) in cases {
            let e = CloudError::from_status(*service, *status, body.as_bytes(), None, *device);
            assert_eq!(e.kind(), *kind, "{status} {body}");
        }
    }

    #[test]
    fn forbidden_message_says_what_to_do() {
        let e = CloudError::from_status(
            Service::Legacy,
            403,
            br#"[{"ErrorCode":"Forbidden","Title":"t"}]"#,
            None,
            None,
        );
        let text = e.to_string();
        assert!(text.contains("Administrator or Contributor"), "{text}");
        let e = CloudError::from_status(Service::Arm, 401, b"", None, None);
        assert!(e.to_string().contains("Sign in again"));
    }
}
