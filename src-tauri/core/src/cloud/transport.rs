//! The HTTP layer shared by every cloud client: timeouts, retries, authorization, logging and the
//! one place where a non-2xx answer becomes a typed [`CloudError`].
//!
//! Retry discipline: a request marked [`Retry::Safe`] (reads, and read-only POST actions such as
//! `countDevices` or a twin query) is resent on 429, 5xx and broken connections, waiting what the
//! service's `Retry-After` asks, else an exponential backoff with full jitter and a cap. A request that
//! changes the tenant is sent with [`Retry::Never`] and only ever retried through
//! [`Transport::retry_mutation`], which first asks the caller whether the earlier attempt took effect.
//! A 401 is retried once with a renewed token (a refreshed bearer token, a newly signed SAS): the service rejected the
//! request before acting on it, so that is safe for every method.
//!
//! What a wrong or hostile endpoint can make a run do is bounded here: redirects are never followed
//! (a 307 would re-post a token form with the client secret to another host), answers larger than
//! [`Limits::max_body_bytes`] are refused unread, a `Retry-After` longer than
//! [`Limits::max_retry_after`] stops the call at once instead of hanging the run, and listings
//! stop at [`Limits::max_pages`] or on a next-page link seen before ([`PageGuard`]). Every mutation
//! states its length, an empty one `Content-Length: 0` (HTTP/1.1 front ends answer 411 otherwise).
//!
//! Nothing here logs an `Authorization` header, a token, or a query string.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Once;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Method;
use serde::de::DeserializeOwned;

use super::auth::TokenCache;
use super::error::{CloudError, Service, TransportFailure};
use super::iothub::SasSigner;

/// How long to wait and how often to try.
#[derive(Debug, Clone)]
pub struct TransportSettings {
    /// Time allowed to open a connection (TCP + TLS).
    pub connect_timeout: Duration,
    /// Time allowed for one whole request, body upload and answer included.
    pub total_timeout: Duration,
    pub retry: RetryPolicy,
    /// Bounds on answers, listings and waits.
    pub limits: Limits,
}

/// What the network may make a run read, follow or wait for.
#[derive(Debug, Clone)]
pub struct Limits {
    /// The largest answer body read; a larger one is a [`CloudError::TooLarge`], not read.
    pub max_body_bytes: u64,
    /// The most pages one listing follows ([`CloudError::EndlessPaging`] beyond).
    pub max_pages: u32,
    /// The longest `Retry-After` obeyed. A service asking for longer is not waited for: the call
    /// stops at once with the wait in its message.
    pub max_retry_after: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // The largest real answers are pages of 1,000 devices or twins (a few hundred KB).
            max_body_bytes: 32 * 1024 * 1024,
            // 10,000 pages of 50 ARM devices is half a million devices, far past any catalog.
            max_pages: 10_000,
            max_retry_after: MAX_RETRY_AFTER,
        }
    }
}

impl Default for TransportSettings {
    fn default() -> Self {
        TransportSettings {
            connect_timeout: Duration::from_secs(15),
            // Image packages can be several MB over a slow uplink.
            total_timeout: Duration::from_secs(300),
            retry: RetryPolicy::default(),
            limits: Limits::default(),
        }
    }
}

/// Retries of transient failures (429, 5xx, broken connections).
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// The first backoff step; doubled on each further attempt.
    pub base_delay: Duration,
    /// The largest backoff step (before jitter). A service's `Retry-After` is honoured even when
    /// longer, up to [`MAX_RETRY_AFTER`].
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        // Microsoft's own scripts retry 429 and 500 up to 3 times; one more costs little.
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

/// The longest `Retry-After` obeyed by default (see [`Limits::max_retry_after`]); [`RetryPolicy::delay`]
/// clamps to it as well, so a run never hangs for hours.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

impl RetryPolicy {
    /// The wait before attempt `attempt + 1`, after `attempt` failed attempts (1-based).
    /// `jitter` is a number in `[0, 1]`: the fraction of the capped exponential step to wait
    /// ("full jitter"), passed in so the computation stays pure.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>, jitter: f64) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(MAX_RETRY_AFTER);
        }
        let exp = attempt.saturating_sub(1).min(20);
        let step = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        step.mul_f64(jitter.clamp(0.0, 1.0))
    }

    fn delay_now(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        self.delay(attempt, retry_after, rand::random::<f64>())
    }
}

/// The largest wait read from the network (about 31 years): any sum with an `Instant` or a
/// `SystemTime` of today stays representable, so no arithmetic on it can panic.
pub const MAX_WAIT_SECS: u64 = 1_000_000_000;

/// Reads a `Retry-After` value: delta seconds (`"5"`, `"1.5"` from some Azure services) or an
/// HTTP date, relative to `now`. A date in the past means "now".
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs.min(MAX_WAIT_SECS)));
    }
    if let Ok(secs) = value.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            // Capped well inside what `Duration` and `Instant` arithmetic can hold.
            return Some(Duration::from_secs_f64(secs.min(MAX_WAIT_SECS as f64)));
        }
        return None;
    }
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // More seconds than a u64 holds: as good as "never".
        return Some(Duration::from_secs(MAX_WAIT_SECS));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Whether a request may be resent blindly when it fails transiently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Reading: resend on 429, 5xx and broken connections.
    Safe,
    /// Changes the tenant: send once; see [`Transport::retry_mutation`].
    Never,
}

/// How a request is authorized.
#[derive(Clone)]
pub enum Credentials {
    /// No `Authorization` header (the identity platform's own endpoints).
    Anonymous,
    /// `Authorization: Bearer <token>` from a token cache, refreshed once on a 401.
    Bearer(TokenCache),
    /// `Authorization: SharedAccessSignature ...` made from an IoT Hub policy key.
    IotHubSas(SasSigner),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Credentials::Anonymous => "Anonymous",
            Credentials::Bearer(_) => "Bearer(<redacted>)",
            Credentials::IotHubSas(_) => "IotHubSas(<redacted>)",
        })
    }
}

/// What a request sends. Each variant can be produced again for a retry.
#[derive(Debug, Clone)]
pub(crate) enum RequestBody {
    Empty,
    /// `application/json`.
    Json(Bytes),
    /// `application/x-www-form-urlencoded`.
    Form(String),
    /// Bytes in memory as `application/octet-stream`.
    Octets(Bytes),
    /// A file streamed from disk as `application/octet-stream`.
    File {
        path: PathBuf,
        len: u64,
    },
    /// `prefix + base64(file) + suffix` as `application/json`, base64 encoded while streaming so
    /// the package is never held in memory twice.
    Base64File {
        path: PathBuf,
        len: u64,
        prefix: &'static str,
        suffix: &'static str,
    },
}

/// One HTTP request, as the clients describe it.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) method: Method,
    pub(crate) url: url::Url,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: RequestBody,
    pub(crate) retry: Retry,
    pub(crate) service: Service,
    /// The IoT Hub device the call is about, so "offline" and "timeout" answers name it.
    pub(crate) device: Option<String>,
}

impl Request {
    pub(crate) fn new(service: Service, method: Method, url: url::Url) -> Self {
        let retry = if method == Method::GET {
            Retry::Safe
        } else {
            Retry::Never
        };
        Request {
            method,
            url,
            headers: Vec::new(),
            body: RequestBody::Empty,
            retry,
            service,
            device: None,
        }
    }

    pub(crate) fn json<T: serde::Serialize + ?Sized>(
        mut self,
        body: &T,
    ) -> Result<Self, CloudError> {
        let bytes = serde_json::to_vec(body).map_err(|e| CloudError::InvalidInput {
            what: "request body",
            reason: e.to_string(),
        })?;
        self.body = RequestBody::Json(Bytes::from(bytes));
        Ok(self)
    }

    pub(crate) fn body(mut self, body: RequestBody) -> Self {
        self.body = body;
        self
    }

    pub(crate) fn header(mut self, name: &'static str, value: &str) -> Result<Self, CloudError> {
        let value = HeaderValue::from_str(value).map_err(|e| CloudError::InvalidInput {
            what: "HTTP header value",
            reason: e.to_string(),
        })?;
        let name =
            HeaderName::from_bytes(name.as_bytes()).map_err(|e| CloudError::InvalidInput {
                what: "HTTP header name",
                reason: e.to_string(),
            })?;
        self.headers.push((name, value));
        Ok(self)
    }

    /// Marks a read-only POST (a query or count) as safe to resend.
    pub(crate) fn read_only(mut self) -> Self {
        self.retry = Retry::Safe;
        self
    }

    pub(crate) fn about_device(mut self, device: &str) -> Self {
        self.device = Some(device.to_owned());
        self
    }
}

/// A 2xx answer, fully read.
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) service: Service,
}

impl Response {
    /// Decodes the body, naming the JSON path that broke when it does not fit.
    pub(crate) fn json<T: DeserializeOwned>(&self, what: &str) -> Result<T, CloudError> {
        decode_json(self.service, what, &self.body)
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub(crate) fn retry_after(&self) -> Option<Duration> {
        self.header("retry-after")
            .and_then(|v| parse_retry_after(v, SystemTime::now()))
    }
}

/// Decodes JSON with `serde_path_to_error`, so the error names where the answer did not fit.
pub(crate) fn decode_json<T: DeserializeOwned>(
    service: Service,
    what: &str,
    body: &[u8],
) -> Result<T, CloudError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| CloudError::decode(service, what, body, e))
}

/// Installs rustls' ring provider as the process default, once. Later calls (and a provider
/// installed by someone else first) are fine.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // An Err here only means another provider was installed first, which serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The shared HTTP client. Cheap to clone (reqwest's client is reference-counted).
#[derive(Debug, Clone)]
pub struct Transport {
    http: reqwest::Client,
    settings: TransportSettings,
}

/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("asg-fota/", env!("CARGO_PKG_VERSION"));

impl Transport {
    pub fn new(settings: TransportSettings) -> Result<Transport, CloudError> {
        install_crypto_provider();
        // The system proxy and HTTP(S)_PROXY / NO_PROXY are reqwest's default (feature
        // `system-proxy` adds the OS settings); nothing here turns them off.
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.total_timeout)
            // A redirect would re-send the request (a token form with the client secret, a bearer
            // token, a SAS) to a host the profile does not name: it becomes an error instead.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| CloudError::Transport {
                failure: TransportFailure::Other,
                url_path: "(client set-up)".into(),
                detail: error_chain(&e),
                attempts: 0,
            })?;
        Ok(Transport { http, settings })
    }

    pub fn settings(&self) -> &TransportSettings {
        &self.settings
    }

    /// Whether the service asked for a longer wait than [`Limits::max_retry_after`]: then the
    /// call stops at once rather than hang the run (the error names the wait).
    fn asks_too_long(&self, err: &CloudError) -> bool {
        err.retry_after()
            .is_some_and(|wait| wait > self.settings.limits.max_retry_after)
    }

    /// A guard for one listing of `what` (see [`PageGuard`]).
    pub(crate) fn page_guard(&self, service: Service, what: &str) -> PageGuard {
        PageGuard {
            service,
            what: what.to_owned(),
            seen: std::collections::HashSet::new(),
            pages: 0,
            max_pages: self.settings.limits.max_pages,
        }
    }

    /// Sends a request with the retry discipline described in the module doc.
    pub(crate) async fn send(
        &self,
        request: &Request,
        credentials: &Credentials,
    ) -> Result<Response, CloudError> {
        let started = Instant::now();
        let policy = &self.settings.retry;
        let mut attempt: u32 = 0;
        let mut reauthorized = false;
        loop {
            attempt += 1;
            let outcome = self.send_once(request, credentials, reauthorized).await;
            let err = match outcome {
                Ok(resp) => {
                    tracing::debug!(
                        method = %request.method, path = request.url.path(), status = resp.status,
                        attempt, elapsed_ms = started.elapsed().as_millis() as u64, "cloud call"
                    );
                    return Ok(resp);
                }
                Err(e) => e,
            };
            tracing::debug!(
                method = %request.method, path = request.url.path(), kind = err.kind(), attempt,
                elapsed_ms = started.elapsed().as_millis() as u64, "cloud call failed"
            );
            if matches!(err, CloudError::Unauthorized { .. })
                && matches!(
                    credentials,
                    Credentials::Bearer(_) | Credentials::IotHubSas(_)
                )
                && !reauthorized
            {
                // The token may have expired or been revoked between the cache's check and the
                // service's: refresh it once and resend (a SAS is signed anew on every send). The
                // service refused before acting, so this is safe for every method, and it does
                // not count as an attempt.
                reauthorized = true;
                attempt -= 1;
                continue;
            }
            if self.asks_too_long(&err) {
                return Err(err.with_attempts(attempt));
            }
            if err.is_transient() && request.retry == Retry::Safe && attempt < policy.max_attempts {
                tokio::time::sleep(policy.delay_now(attempt, err.retry_after())).await;
                continue;
            }
            return Err(err.with_attempts(attempt));
        }
    }

    async fn send_once(
        &self,
        request: &Request,
        credentials: &Credentials,
        force_new_token: bool,
    ) -> Result<Response, CloudError> {
        let mut builder = self
            .http
            .request(request.method.clone(), request.url.clone());
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        match credentials {
            Credentials::Anonymous => {}
            Credentials::Bearer(cache) => {
                let token = if force_new_token {
                    cache.refreshed_token().await?
                } else {
                    cache.token().await?
                };
                builder = builder.bearer_auth(token.expose());
            }
            Credentials::IotHubSas(signer) => {
                let sas = signer.token(SystemTime::now())?;
                builder = builder.header(reqwest::header::AUTHORIZATION, sas.expose());
            }
        }
        builder = match &request.body {
            // hyper sends no length for an empty body on HTTP/1.1, and front ends answer such a
            // POST with 411 Length Required; Azure's SDKs always state it.
            RequestBody::Empty
                if request.method != Method::GET && request.method != Method::HEAD =>
            {
                builder.header("content-length", "0")
            }
            RequestBody::Empty => builder,
            RequestBody::Json(bytes) => builder
                .header("content-type", "application/json")
                .body(bytes.clone()),
            RequestBody::Octets(bytes) => builder
                .header("content-type", "application/octet-stream")
                .body(bytes.clone()),
            RequestBody::Form(text) => builder
                .header("content-type", "application/x-www-form-urlencoded")
                .body(text.clone()),
            RequestBody::File { path, len } => {
                let file = open_upload(path).await?;
                // Every read of a tokio file is a hop to the blocking pool: the default 4 KiB
                // chunks made an 8 MiB upload 2,048 hops and 2.7× slower than curl (see
                // docs/benchmarks.md); 256 KiB chunks cost 32 hops and no more memory worth naming.
                let stream = tokio_util::io::ReaderStream::with_capacity(file, UPLOAD_CHUNK);
                builder
                    .header("content-type", "application/octet-stream")
                    .header("content-length", *len)
                    .body(reqwest::Body::wrap_stream(observed(stream, *len)))
            }
            RequestBody::Base64File {
                path,
                len,
                prefix,
                suffix,
            } => {
                let file = open_upload(path).await?;
                let total = prefix.len() as u64 + base64_len(*len) + suffix.len() as u64;
                builder
                    .header("content-type", "application/json")
                    // UNSURE: ARM accepts a streamed body with an explicit Content-Length (it is
                    // the same bytes a buffered body would send).
                    .header("content-length", total)
                    .body(reqwest::Body::wrap_stream(observed(
                        base64_json_stream(file, prefix, suffix),
                        total,
                    )))
            }
        };
        let resp = builder
            .send()
            .await
            .map_err(|e| transport_error(&request.url, e))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        if (300..400).contains(&status) {
            let target = headers
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| request.url.join(v).ok())
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_else(|| "(no location)".to_owned());
            return Err(CloudError::Redirected {
                service: request.service,
                status,
                target,
            });
        }
        let success = (200..300).contains(&status);
        // An error body only feeds a message: a short read of it is enough.
        let cap = if success {
            self.settings.limits.max_body_bytes
        } else {
            self.settings.limits.max_body_bytes.min(ERROR_BODY_CAP)
        };
        let body = read_capped(resp, cap, success, request).await?;
        if success {
            return Ok(Response {
                status,
                headers,
                body,
                service: request.service,
            });
        }
        let retry_after = headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        Err(CloudError::from_status(
            request.service,
            status,
            &body,
            retry_after,
            request.device.as_deref(),
        ))
    }

    /// Runs a call that changes the tenant, retrying transient failures only after
    /// `already_done` says the earlier attempt did not take effect. `already_done` answers
    /// `Some(result)` when the change is already there (then that is the result).
    pub(crate) async fn retry_mutation<T, A, AF, C, CF>(
        &self,
        what: &str,
        mut attempt_call: A,
        mut already_done: C,
    ) -> Result<T, CloudError>
    where
        A: FnMut() -> AF,
        AF: Future<Output = Result<T, CloudError>>,
        C: FnMut() -> CF,
        CF: Future<Output = Result<Option<T>, CloudError>>,
    {
        let policy = &self.settings.retry;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let err = match attempt_call().await {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            if !err.is_transient() || attempt >= policy.max_attempts || self.asks_too_long(&err) {
                return Err(err.with_attempts(attempt));
            }
            tokio::time::sleep(policy.delay_now(attempt, err.retry_after())).await;
            // The failed attempt may have reached the service: look before sending it again.
            match already_done().await {
                Ok(Some(done)) => {
                    tracing::info!(
                        what,
                        attempt,
                        "earlier attempt had taken effect; not repeating it"
                    );
                    return Ok(done);
                }
                Ok(None) => {}
                Err(check) if check.is_transient() => {}
                Err(check) => return Err(check),
            }
        }
    }
}

/// The most of an error answer read: enough for any service's error document.
const ERROR_BODY_CAP: u64 = 64 * 1024;

/// Reads an answer body up to `cap` bytes. A success larger than that is refused unread (by its
/// `Content-Length` when it states one); an error body is cut at `cap`, it only feeds a message.
async fn read_capped(
    mut resp: reqwest::Response,
    cap: u64,
    success: bool,
    request: &Request,
) -> Result<Bytes, CloudError> {
    let too_large = || CloudError::TooLarge {
        service: request.service,
        url_path: request.url.path().to_owned(),
        limit: cap,
    };
    if success && resp.content_length().is_some_and(|n| n > cap) {
        return Err(too_large());
    }
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| transport_error(&request.url, e))?
    {
        let room = cap.saturating_sub(body.len() as u64) as usize;
        if chunk.len() > room {
            if success {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk[..room]);
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Follows one listing's next-page links (ARM `nextLink`, legacy `ContinuationToken`, IoT Hub
/// `x-ms-continuation`) and stops it when a link comes back or the page cap is reached: a
/// misbehaving service or proxy must not make a run loop forever.
#[derive(Debug)]
pub(crate) struct PageGuard {
    service: Service,
    what: String,
    seen: std::collections::HashSet<String>,
    pages: u32,
    max_pages: u32,
}

impl PageGuard {
    /// Records the link (or token) of the next page before it is fetched.
    pub(crate) fn follow(&mut self, link: &str) -> Result<(), CloudError> {
        self.pages += 1;
        let repeated = !self.seen.insert(link.to_owned());
        if repeated || self.pages > self.max_pages {
            return Err(CloudError::EndlessPaging {
                service: self.service,
                what: self.what.clone(),
                pages: self.pages,
                repeated,
            });
        }
        Ok(())
    }
}

/// The bytes read from a package file at a time while streaming it.
const UPLOAD_CHUNK: usize = 256 * 1024;

/// Opens a package for streaming; opened again on every attempt, so a retry resends it whole.
async fn open_upload(path: &std::path::Path) -> Result<tokio::fs::File, CloudError> {
    tokio::fs::File::open(path)
        .await
        .map_err(|source| CloudError::File {
            path: path.display().to_string(),
            source,
        })
}

/// The length of the base64 (padded) encoding of `n` bytes.
pub(crate) fn base64_len(n: u64) -> u64 {
    n.div_ceil(3) * 4
}

/// Streams `prefix + base64(file) + suffix`, reading the file in blocks whose length is a multiple
/// of 3 so each block encodes on its own without padding in the middle.
fn base64_json_stream(
    file: tokio::fs::File,
    prefix: &'static str,
    suffix: &'static str,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    use base64::Engine as _;
    use tokio::io::AsyncReadExt as _;
    const BLOCK: usize = 3 * 16 * 1024;
    enum Stage {
        Prefix,
        Body,
        Suffix,
        Done,
    }
    futures_util::stream::unfold((file, Stage::Prefix), move |(mut file, stage)| async move {
        match stage {
            Stage::Prefix => Some((
                Ok(Bytes::from_static(prefix.as_bytes())),
                (file, Stage::Body),
            )),
            Stage::Body => {
                let mut buf = vec![0u8; BLOCK];
                let mut filled = 0;
                while filled < BLOCK {
                    match file.read(&mut buf[filled..]).await {
                        Ok(0) => break,
                        Ok(n) => filled += n,
                        Err(e) => return Some((Err(e), (file, Stage::Done))),
                    }
                }
                if filled == 0 {
                    return Some((
                        Ok(Bytes::from_static(suffix.as_bytes())),
                        (file, Stage::Done),
                    ));
                }
                let encoded = base64::engine::general_purpose::STANDARD.encode(&buf[..filled]);
                let next = if filled < BLOCK {
                    Stage::Suffix
                } else {
                    Stage::Body
                };
                Some((Ok(Bytes::from(encoded)), (file, next)))
            }
            Stage::Suffix => Some((
                Ok(Bytes::from_static(suffix.as_bytes())),
                (file, Stage::Done),
            )),
            Stage::Done => None,
        }
    })
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn transport_error(url: &url::Url, e: reqwest::Error) -> CloudError {
    let failure = if e.is_timeout() {
        TransportFailure::Timeout
    } else if e.is_connect() {
        TransportFailure::Connect
    } else if e.is_request() || e.is_body() || e.is_decode() {
        TransportFailure::Reset
    } else {
        TransportFailure::Other
    };
    // `without_url` keeps query strings (which could one day hold a signature) out of messages.
    let e = e.without_url();
    CloudError::Transport {
        failure,
        url_path: url.path().to_owned(),
        detail: error_chain(&e),
        attempts: 1,
    }
}

/// A hook told `(body bytes handed to the connection, body length)` while an upload body streams.
pub type UploadProgress = std::sync::Arc<dyn Fn(u64, u64) + Send + Sync>;

tokio::task_local! {
    /// The upload progress hook of the current task, if any (see [`with_upload_progress`]).
    static UPLOAD_PROGRESS: UploadProgress;
}

/// Runs `work` with `hook` observing every file body it streams. A task-local rather than a
/// parameter keeps the progress concern out of every client signature; the hook is captured when
/// the body is built (in the caller's task), so it still fires when the connection polls the
/// body on another task. A retried attempt restarts from 0.
pub async fn with_upload_progress<F: Future>(hook: UploadProgress, work: F) -> F::Output {
    UPLOAD_PROGRESS.scope(hook, work).await
}

/// Reports each chunk of `stream` to the current task's progress hook, if one is set.
fn observed<S>(stream: S, total: u64) -> impl futures_util::Stream<Item = S::Item> + Send + 'static
where
    S: futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
{
    use futures_util::StreamExt as _;
    let hook = UPLOAD_PROGRESS.try_with(|h| h.clone()).ok();
    let mut sent = 0u64;
    stream.inspect(move |chunk| {
        if let (Some(hook), Ok(bytes)) = (&hook, chunk) {
            sent += bytes.len() as u64;
            hook(sent, total);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = httpdate::parse_http_date("Fri, 27 Nov 2026 12:00:00 GMT").unwrap();
        let cases: &[(&str, Option<Duration>)] = &[
            ("5", Some(Duration::from_secs(5))),
            (" 0 ", Some(Duration::ZERO)),
            ("1.5", Some(Duration::from_millis(1500))),
            (
                "Fri, 27 Nov 2026 12:00:30 GMT",
                Some(Duration::from_secs(30)),
            ),
            ("Fri, 27 Nov 2026 11:59:00 GMT", Some(Duration::ZERO)),
            ("-3", None),
            ("soon", None),
            ("", None),
        ];
        for (value, expected) in cases {
            assert_eq!(parse_retry_after(value, now), *expected, "{value:?}");
        }
    }

    #[test]
    fn backoff_is_exponential_capped_and_jittered() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        assert_eq!(p.delay(1, None, 1.0), Duration::from_millis(100));
        assert_eq!(p.delay(2, None, 1.0), Duration::from_millis(200));
        assert_eq!(p.delay(3, None, 1.0), Duration::from_millis(400));
        assert_eq!(p.delay(5, None, 1.0), Duration::from_secs(1), "capped");
        assert_eq!(
            p.delay(60, None, 1.0),
            Duration::from_secs(1),
            "no overflow"
        );
        assert_eq!(
            p.delay(3, None, 0.5),
            Duration::from_millis(200),
            "full jitter scales the step"
        );
        assert_eq!(p.delay(3, None, 0.0), Duration::ZERO);
        assert_eq!(
            p.delay(3, Some(Duration::from_secs(7)), 0.1),
            Duration::from_secs(7),
            "Retry-After wins"
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(9999)), 0.1),
            MAX_RETRY_AFTER
        );
        for _ in 0..100 {
            assert!(p.delay_now(4, None) <= Duration::from_millis(800));
        }
    }

    #[test]
    fn base64_length_matches_the_encoder() {
        use base64::Engine as _;
        for n in 0..20usize {
            let data = vec![7u8; n];
            let enc = base64::engine::general_purpose::STANDARD.encode(&data);
            assert_eq!(base64_len(n as u64), enc.len() as u64);
        }
    }

    #[tokio::test]
    async fn base64_stream_equals_one_shot_encoding() {
        use base64::Engine as _;
        use futures_util::StreamExt as _;
        for n in [0usize, 1, 2, 3, 49_151, 49_152, 49_153, 200_000] {
            let data: Vec<u8> = (0..n).map(|i| (i * 31 % 251) as u8).collect();
            let mut tmp = std::env::temp_dir();
            tmp.push(format!("asg-fota-b64-{}-{n}", std::process::id()));
            std::fs::write(&tmp, &data).unwrap();
            let file = tokio::fs::File::open(&tmp).await.unwrap();
            let chunks: Vec<Bytes> = base64_json_stream(file, "{\"a\":\"", "\"}")
                .map(|c| c.unwrap())
                .collect()
                .await;
            let joined: Vec<u8> = chunks.concat();
            let expected = format!(
                "{{\"a\":\"{}\"}}",
                base64::engine::general_purpose::STANDARD.encode(&data)
            );
            assert_eq!(String::from_utf8(joined).unwrap(), expected, "n = {n}");
            std::fs::remove_file(&tmp).unwrap();
        }
    }
}
