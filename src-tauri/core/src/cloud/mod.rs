//! Typed clients of the cloud services the product talks to, in the octocrab mould.
//!
//! - [`transport`]: the shared HTTP layer (timeouts, retries, `Retry-After`, the one place where a
//!   non-2xx answer becomes a [`CloudError`]).
//! - [`error`]: [`CloudError`] and the parsers of each service's own error body.
//! - [`auth`]: Microsoft identity sign-in (device code, client credentials, refresh) and the token cache.
//! - [`model`]: the domain types both control planes are read into.
//! - [`plane`]: [`ControlPlane`], the one interface over the legacy API ([`legacy`]) and ARM ([`arm`]).
//! - [`iothub`]: the IoT Hub service client (direct methods, twins, queries).
//!
//! Every base URL is injectable, so a profile can point at a sovereign cloud, a proxy, or the
//! simulator. Nothing here knows about Tauri.

pub mod arm;
pub mod auth;
pub mod error;
pub mod iothub;
pub mod legacy;
pub mod model;
pub mod plane;
pub mod secret;
pub mod transport;

pub use error::{CloudError, Service, ServiceFault, TransportFailure};
pub use plane::{ControlPlane, DevicePages, ImageSource, PlaneSettings};
pub use secret::Secret;
pub use transport::{Limits, RetryPolicy, Transport, TransportSettings};

/// Whether a URL names this machine (`localhost`, `127.0.0.0/8`, `::1`): the only place plain
/// `http` is allowed, because nothing sent there leaves the machine (the simulator lives there).
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Why a service URL is refused, or `None` when it may carry secrets: `https`, or `http` to a
/// loopback address.
pub fn insecure_url_reason(url: &url::Url) -> Option<String> {
    match url.scheme() {
        "https" => None,
        "http" if is_loopback(url) => None,
        "http" => Some(format!(
            "`{url}` is plain http: tokens and secrets would travel unencrypted. Use https \
             (http is allowed only for this machine's own addresses, such as the simulator)"
        )),
        other => Some(format!("`{url}` is not an https URL (scheme `{other}`)")),
    }
}

/// Parses a configured base URL; a trailing slash is ignored. Only `https` (or `http` on
/// loopback) is accepted.
pub(crate) fn base_url(text: &str) -> Result<url::Url, CloudError> {
    let url = url::Url::parse(text.trim().trim_end_matches('/')).map_err(|e| {
        CloudError::InvalidInput {
            what: "service URL",
            reason: format!("{text:?}: {e}"),
        }
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(CloudError::InvalidInput {
            what: "service URL",
            reason: format!("{text:?} is not an http(s) URL"),
        });
    }
    if let Some(reason) = insecure_url_reason(&url) {
        return Err(CloudError::InvalidInput {
            what: "service URL",
            reason,
        });
    }
    Ok(url)
}

/// Appends path segments to a base URL, percent-encoding each (names with spaces, `.default`).
pub(crate) fn join_segments(base: &url::Url, segments: &[&str]) -> Result<url::Url, CloudError> {
    let mut url = base.clone();
    {
        let mut path = url
            .path_segments_mut()
            .map_err(|_| CloudError::InvalidInput {
                what: "service URL",
                reason: "cannot hold a path".into(),
            })?;
        path.pop_if_empty();
        for s in segments {
            path.push(s);
        }
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_joined_and_encoded() {
        let base = base_url("http://127.0.0.1:9/arm/").unwrap();
        let url = join_segments(
            &base,
            &["products", "My Product", "deviceGroups", ".default"],
        )
        .unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/arm/products/My%20Product/deviceGroups/.default"
        );
        for bad in [
            "",
            "not a url",
            "ftp://x/y",
            "mailto:a@b",
            "http://management.azure.com",
            "http://10.0.0.1:8080/arm",
            "http://127.0.0.1.example.com/",
        ] {
            assert_eq!(base_url(bad).unwrap_err().kind(), "invalid_input", "{bad}");
        }
        for good in [
            "https://management.azure.com",
            "http://127.0.0.1:7870/arm",
            "http://localhost:1/x",
            "http://[::1]:9/login",
        ] {
            assert!(base_url(good).is_ok(), "{good}");
        }
    }
}
