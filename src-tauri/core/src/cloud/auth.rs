//! Sign-in with the Microsoft identity platform (OAuth 2.0 v2 endpoints) and the token cache the
//! clients draw their bearer tokens from.
//!
//! Flows: the device-code flow for people (show a code and a URL, poll until they approved it, can be
//! cancelled), client credentials for service principals, and the refresh-token grant behind the
//! cache. The authority host is injectable (`https://login.microsoftonline.com` for Azure's public
//! cloud, a sovereign cloud, or the simulator). Tokens and refresh tokens are [`Secret`]s.
//!
//! "Who is signed in" is read from the access token's claims without verifying the signature:
//! the token is only ever checked by the service it is for; we only display names from it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::Method;
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use super::error::{CloudError, Service};
use super::secret::Secret;
use super::transport::{Credentials, Request, RequestBody, Retry, Transport};

/// A boxed, sendable future (see [`TokenCache::token`]).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The authority host of Azure's public cloud.
pub const PUBLIC_AUTHORITY_HOST: &str = "https://login.microsoftonline.com";
/// The legacy API's public client (the Azure Sphere CLI's own app registration).
pub const LEGACY_PUBLIC_CLIENT_ID: &str = "0B1C8F7E-28D2-4378-97E2-7D7D63F7C87F";
/// Azure Sphere's own Entra tenant: the authority of the legacy interactive sign-in.
pub const LEGACY_AUTHORITY_TENANT: &str = "7d71c83c-ccdf-45b7-b3c9-9c41b94406d9";

/// The scopes each plane asks for (the API doc, section 1).
pub mod scopes {
    /// A person on the legacy API (`offline_access` for a refresh token).
    pub const LEGACY_USER: &str = "https://sphere.azure.net/api/user_impersonation offline_access";
    /// A service principal on the legacy API.
    pub const LEGACY_SERVICE_PRINCIPAL: &str = "https://firstparty.sphere.azure.net/api/.default";
    /// A person on ARM.
    pub const ARM_USER: &str = "https://management.azure.com/user_impersonation offline_access";
    /// A service principal on ARM.
    pub const ARM_SERVICE_PRINCIPAL: &str = "https://management.azure.com/.default";
    /// IoT Hub's service API with an Entra token.
    pub const IOTHUB: &str = "https://iothubs.azure.net/.default";
}

/// Renew a token this long before it expires, so that a call never starts with a dying token
/// (at most: short-lived tokens use a quarter of their lifetime).
pub const REFRESH_MARGIN: Duration = Duration::from_secs(120);

/// An access token and when it stops working.
#[derive(Debug, Clone)]
pub struct AccessToken {
    secret: Secret,
    issued_at: SystemTime,
    expires_at: SystemTime,
}

impl AccessToken {
    /// A token received now that expires at `expires_at`.
    pub fn new(secret: Secret, expires_at: SystemTime) -> Self {
        Self::issued(secret, SystemTime::now(), expires_at)
    }

    /// A token received at `issued_at`.
    pub fn issued(secret: Secret, issued_at: SystemTime, expires_at: SystemTime) -> Self {
        AccessToken {
            secret,
            issued_at,
            expires_at,
        }
    }

    /// How long before expiry the cache renews this token: [`REFRESH_MARGIN`], or a quarter of
    /// the token's lifetime for short-lived tokens, so those are still reused between calls.
    pub fn renewal_margin(&self) -> Duration {
        let lifetime = self
            .expires_at
            .duration_since(self.issued_at)
            .unwrap_or_default();
        REFRESH_MARGIN.min(lifetime / 4)
    }

    pub fn expose(&self) -> &str {
        self.secret.expose()
    }

    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// Whether the token is still good for at least `margin` after `now`.
    pub fn fresh_at(&self, now: SystemTime, margin: Duration) -> bool {
        now.checked_add(margin)
            .is_some_and(|later| later < self.expires_at)
    }

    /// The claims inside the token, read without verification (for display only).
    pub fn claims(&self) -> Result<TokenClaims, CloudError> {
        TokenClaims::decode_unverified(self.secret.expose())
    }
}

/// What a token answer gives.
#[derive(Debug, Clone)]
pub struct TokenSet {
    pub access: AccessToken,
    /// Present for people with `offline_access`; never for client credentials. Store it in the
    /// keychain to stay signed in.
    pub refresh_token: Option<Secret>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Secret,
    #[serde(default)]
    refresh_token: Option<Secret>,
    #[serde(default = "default_expires_in", deserialize_with = "number_or_string")]
    expires_in: u64,
}

/// Decodes a token answer. On failure the error keeps the JSON path but not the usual snippet of
/// the body: the body holds the tokens.
fn token_answer(resp: &super::transport::Response) -> Result<TokenAnswer, CloudError> {
    resp.json::<TokenAnswer>("the token answer")
        .map_err(|e| withhold_body(e, "the answer holds tokens"))
}

/// Drops the body snippet of a decode error whose body holds a secret (tokens, a device code).
fn withhold_body(e: CloudError, why: &str) -> CloudError {
    match e {
        CloudError::Decode {
            service,
            what,
            path,
            source,
            ..
        } => CloudError::Decode {
            service,
            what,
            path,
            snippet: format!("(withheld: {why})"),
            source,
        },
        other => other,
    }
}

/// The longest lifetime taken from an `expires_in`: a day. Entra's tokens live about an hour; a
/// larger (or absurd) number from the network must not overflow `SystemTime` arithmetic.
const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// The longest device-code lifetime believed (Entra gives 15 minutes).
const MAX_DEVICE_CODE_LIFETIME: Duration = Duration::from_secs(3600);
/// The device-code polling interval is kept within 1 s..=60 s, whatever the answer says.
const MAX_POLL_INTERVAL: Duration = Duration::from_secs(60);

/// `now + secs`, the seconds capped at `max`: never panics, whatever the network sent.
fn expiry(now: SystemTime, secs: u64, max: Duration) -> SystemTime {
    let lifetime = Duration::from_secs(secs).min(max);
    now.checked_add(lifetime).unwrap_or(now)
}

fn default_expires_in() -> u64 {
    3600
}

/// Entra's v1 endpoints answered numbers as strings; accept both.
fn number_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        N(u64),
        S(String),
    }
    match N::deserialize(d)? {
        N::N(n) => Ok(n),
        N::S(s) => s.parse().map_err(serde::de::Error::custom),
    }
}

impl TokenAnswer {
    fn into_set(self, now: SystemTime) -> TokenSet {
        TokenSet {
            access: AccessToken::issued(
                self.access_token,
                now,
                expiry(now, self.expires_in, MAX_TOKEN_LIFETIME),
            ),
            refresh_token: self.refresh_token,
        }
    }
}

/// The claims of an access token that say who is signed in.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct TokenClaims {
    /// The user principal name (people only).
    #[serde(default)]
    pub upn: Option<String>,
    #[serde(default)]
    pub preferred_username: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// The object id of the user or service principal.
    #[serde(default)]
    pub oid: Option<String>,
    /// The Entra tenant that issued the token.
    #[serde(default)]
    pub tid: Option<String>,
    #[serde(default)]
    pub aud: Option<String>,
    #[serde(default)]
    pub exp: Option<u64>,
    /// The app id of a service principal.
    #[serde(default)]
    pub appid: Option<String>,
}

impl TokenClaims {
    /// Reads the payload of a JWT (`header.payload.signature`, base64url) without verifying it.
    pub fn decode_unverified(token: &str) -> Result<TokenClaims, CloudError> {
        use base64::Engine as _;
        let bad = |reason: &str| CloudError::InvalidInput {
            what: "access token",
            reason: reason.to_owned(),
        };
        let mut parts = token.split('.');
        let (_header, payload) = match (parts.next(), parts.next(), parts.next()) {
            (Some(h), Some(p), Some(_)) => (h, p),
            _ => return Err(bad("not a JWT (expected three dot-separated parts)")),
        };
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|e| bad(&format!("payload is not base64url: {e}")))?;
        serde_json::from_slice(&bytes).map_err(|e| bad(&format!("payload is not JSON claims: {e}")))
    }

    /// The name to show for the signed-in account: UPN, else preferred username, else name, else
    /// the app id or object id.
    pub fn display_name(&self) -> Option<&str> {
        self.upn
            .as_deref()
            .or(self.preferred_username.as_deref())
            .or(self.name.as_deref())
            .or(self.appid.as_deref())
            .or(self.oid.as_deref())
    }
}

/// What to show a person during the device-code flow.
#[derive(Debug, Clone)]
pub struct DeviceCodePrompt {
    /// The short code the person types in.
    pub user_code: String,
    /// Where to type it (open this in the browser).
    pub verification_uri: String,
    /// The identity platform's own sentence, ready to show.
    pub message: String,
    pub expires_in: Duration,
    interval: Duration,
    device_code: Secret,
    grant: UserGrant,
}

/// Who asks for a person's tokens: the tenant authority, the public client and the scopes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserGrant {
    /// The tenant part of the authority (`organizations`, a tenant id, or Sphere's own tenant).
    pub tenant: String,
    pub client_id: String,
    /// Space-separated scopes, e.g. [`scopes::ARM_USER`].
    pub scope: String,
}

/// A service principal's identity; the secret is the keychain's.
#[derive(Debug, Clone)]
pub struct ServicePrincipal {
    /// The customer's Entra tenant.
    pub tenant: String,
    pub client_id: String,
    pub client_secret: Secret,
    /// E.g. [`scopes::ARM_SERVICE_PRINCIPAL`].
    pub scope: String,
}

#[derive(Deserialize)]
struct DeviceCodeAnswer {
    device_code: Secret,
    user_code: String,
    #[serde(alias = "verification_url")]
    verification_uri: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(deserialize_with = "number_or_string")]
    expires_in: u64,
    #[serde(default = "default_interval", deserialize_with = "number_or_string")]
    interval: u64,
}

fn default_interval() -> u64 {
    5
}

/// The client of the identity platform's token endpoints.
#[derive(Debug, Clone)]
pub struct IdentityClient {
    transport: Transport,
    authority_host: url::Url,
}

impl IdentityClient {
    /// `authority_host`: e.g. [`PUBLIC_AUTHORITY_HOST`] or the simulator's `/login` URL.
    pub fn new(transport: Transport, authority_host: &str) -> Result<Self, CloudError> {
        Ok(IdentityClient {
            transport,
            authority_host: super::base_url(authority_host)?,
        })
    }

    fn endpoint(&self, tenant: &str, leaf: &str) -> Result<url::Url, CloudError> {
        super::join_segments(&self.authority_host, &[tenant, "oauth2", "v2.0", leaf])
    }

    async fn post_form(
        &self,
        url: url::Url,
        form: &[(&str, &str)],
        retry: Retry,
    ) -> Result<super::transport::Response, CloudError> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        // Token requests change nothing in a tenant. Client credentials and refresh may be
        // resent on 429/5xx; the device-code calls handle their own waiting (`retry` = Never).
        let mut request =
            Request::new(Service::Identity, Method::POST, url).body(RequestBody::Form(body));
        if retry == Retry::Safe {
            request = request.read_only();
        }
        self.transport.send(&request, &Credentials::Anonymous).await
    }

    /// Starts the device-code flow: show the answer's `message` (or code and URL) to the person.
    pub async fn start_device_code(
        &self,
        grant: &UserGrant,
    ) -> Result<DeviceCodePrompt, CloudError> {
        let url = self.endpoint(&grant.tenant, "devicecode")?;
        let resp = self
            .post_form(
                url,
                &[("client_id", &grant.client_id), ("scope", &grant.scope)],
                Retry::Never,
            )
            .await
            .map_err(sign_in_error)?;
        let a: DeviceCodeAnswer = resp
            .json("the device-code answer")
            .map_err(|e| withhold_body(e, "the answer holds the device code"))?;
        let message = a.message.unwrap_or_else(|| {
            format!(
                "To sign in, open {} and enter the code {}.",
                a.verification_uri, a.user_code
            )
        });
        Ok(DeviceCodePrompt {
            user_code: a.user_code,
            verification_uri: a.verification_uri,
            message,
            expires_in: Duration::from_secs(a.expires_in).min(MAX_DEVICE_CODE_LIFETIME),
            interval: Duration::from_secs(a.interval)
                .clamp(Duration::from_secs(1), MAX_POLL_INTERVAL),
            device_code: a.device_code,
            grant: grant.clone(),
        })
    }

    /// Polls the token endpoint until the person approved the code, declined it, it expired, or
    /// `cancel` fired. Honours `interval` and `slow_down`.
    pub async fn finish_device_code(
        &self,
        prompt: &DeviceCodePrompt,
        cancel: &CancellationToken,
    ) -> Result<TokenSet, CloudError> {
        let url = self.endpoint(&prompt.grant.tenant, "token")?;
        let deadline = tokio::time::Instant::now() + prompt.expires_in;
        let mut interval = prompt.interval;
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return Err(CloudError::Cancelled),
                _ = tokio::time::sleep(interval) => {}
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(expired_code());
            }
            let form = [
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("client_id", prompt.grant.client_id.as_str()),
                ("device_code", prompt.device_code.expose().as_str()),
            ];
            let now = SystemTime::now();
            let outcome = tokio::select! {
                _ = cancel.cancelled() => return Err(CloudError::Cancelled),
                r = self.post_form(url.clone(), &form, Retry::Never) => r,
            };
            match outcome {
                Ok(resp) => return Ok(token_answer(&resp)?.into_set(now)),
                Err(e) => match e.service_code() {
                    Some("authorization_pending") => {}
                    // RFC 8628 §3.5: add 5 seconds to the interval on every slow_down.
                    Some("slow_down") => {
                        interval = (interval + Duration::from_secs(5)).min(MAX_POLL_INTERVAL)
                    }
                    Some("expired_token") | Some("code_expired") => return Err(expired_code()),
                    _ if e.is_transient() => {}
                    _ => return Err(sign_in_error(e)),
                },
            }
        }
    }

    /// Client credentials for a service principal (no refresh token comes back).
    pub async fn client_credentials(&self, sp: &ServicePrincipal) -> Result<TokenSet, CloudError> {
        let url = self.endpoint(&sp.tenant, "token")?;
        let now = SystemTime::now();
        let resp = self
            .post_form(
                url,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", &sp.client_id),
                    ("client_secret", sp.client_secret.expose()),
                    ("scope", &sp.scope),
                ],
                Retry::Safe,
            )
            .await
            .map_err(sign_in_error)?;
        Ok(token_answer(&resp)?.into_set(now))
    }

    /// Trades a refresh token for a new access token (and usually a new refresh token).
    pub async fn refresh(
        &self,
        grant: &UserGrant,
        refresh_token: &Secret,
    ) -> Result<TokenSet, CloudError> {
        let url = self.endpoint(&grant.tenant, "token")?;
        let now = SystemTime::now();
        let resp = self
            .post_form(
                url,
                &[
                    ("grant_type", "refresh_token"),
                    ("client_id", &grant.client_id),
                    ("refresh_token", refresh_token.expose()),
                    ("scope", &grant.scope),
                ],
                Retry::Safe,
            )
            .await
            .map_err(sign_in_error)?;
        let mut set = token_answer(&resp)?.into_set(now);
        // The identity platform may not rotate the refresh token: keep the old one then.
        if set.refresh_token.is_none() {
            set.refresh_token = Some(refresh_token.clone());
        }
        Ok(set)
    }
}

fn expired_code() -> CloudError {
    CloudError::SignIn {
        fault: super::error::ServiceFault {
            code: Some("expired_token".into()),
            ..Default::default()
        },
        advice: "The sign-in code expired before it was used: start the sign-in again.",
    }
}

/// Turns an identity platform refusal into a sign-in error with advice; passes transport errors on.
fn sign_in_error(e: CloudError) -> CloudError {
    let consent = match &e {
        CloudError::Rejected { fault, .. } | CloudError::Unauthorized { fault, .. } => {
            fault.message.contains("AADSTS65001")
        }
        _ => false,
    };
    let advice = match e.service_code() {
        // Entra's consent error: the app registration lacks the permission, signing in again
        // would not help.
        Some("invalid_grant") | Some("consent_required") if consent => {
            "The app registration (the profile's client id) has no permission for this service: \
             grant it that API permission, or use a client id or service principal that has it."
        }
        Some("authorization_declined") | Some("access_denied") => {
            "The sign-in was declined: start it again to retry."
        }
        Some("invalid_grant") | Some("interaction_required") => {
            "The saved sign-in is no longer valid: sign in again."
        }
        Some("invalid_client") | Some("unauthorized_client") => {
            "The client id or client secret was refused: check the profile's client id and secret."
        }
        Some("invalid_scope") => {
            "The requested permission (scope) was refused: check the profile's backend."
        }
        _ => "Check the profile's tenant and client id, then sign in again.",
    };
    match e {
        CloudError::Unauthorized { fault, .. }
        | CloudError::Forbidden { fault, .. }
        | CloudError::NotFound { fault, .. }
        | CloudError::Rejected { fault, .. } => CloudError::SignIn { fault, advice },
        other => other,
    }
}

/// Where a cache gets new tokens from.
#[derive(Debug)]
enum TokenSource {
    /// A person: renewed with the refresh token kept in the cache.
    User {
        identity: IdentityClient,
        grant: UserGrant,
    },
    /// A service principal: a fresh client-credentials grant.
    ServicePrincipal {
        identity: IdentityClient,
        principal: ServicePrincipal,
    },
    /// A token handed in from outside; cannot be renewed.
    Fixed,
}

#[derive(Debug, Default)]
struct CacheState {
    access: Option<AccessToken>,
    refresh_token: Option<Secret>,
}

/// Hands out a valid access token, renewing it `REFRESH_MARGIN` before expiry and on demand after
/// a 401. Cheap to clone; clones share the tokens. Concurrent callers wait for one renewal.
#[derive(Debug, Clone)]
pub struct TokenCache {
    inner: Arc<CacheInner>,
}

/// Called with a refresh token the identity platform has just rotated (the old one may stop
/// working once used, so the new one must be kept at once).
pub type RotationHook = Arc<dyn Fn(&Secret) + Send + Sync>;

struct CacheInner {
    source: TokenSource,
    state: tokio::sync::Mutex<CacheState>,
    on_rotation: std::sync::OnceLock<RotationHook>,
}

impl std::fmt::Debug for CacheInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheInner")
            .field("source", &self.source)
            .field("state", &self.state)
            .field("on_rotation", &self.on_rotation.get().is_some())
            .finish()
    }
}

impl TokenCache {
    /// A person's tokens from the device-code flow, or a refresh token read from the keychain
    /// (pass `TokenSet`'s `access` as `None` then, and the first call refreshes).
    pub fn for_user(
        identity: IdentityClient,
        grant: UserGrant,
        access: Option<AccessToken>,
        refresh_token: Option<Secret>,
    ) -> Self {
        Self::build(
            TokenSource::User { identity, grant },
            CacheState {
                access,
                refresh_token,
            },
        )
    }

    /// A service principal; the first call fetches a token.
    pub fn for_service_principal(identity: IdentityClient, principal: ServicePrincipal) -> Self {
        Self::build(
            TokenSource::ServicePrincipal {
                identity,
                principal,
            },
            CacheState::default(),
        )
    }

    /// A token obtained elsewhere (tests, a pipeline's own token); it is never renewed.
    pub fn fixed(token: AccessToken) -> Self {
        Self::build(
            TokenSource::Fixed,
            CacheState {
                access: Some(token),
                refresh_token: None,
            },
        )
    }

    fn build(source: TokenSource, state: CacheState) -> Self {
        TokenCache {
            inner: Arc::new(CacheInner {
                source,
                state: tokio::sync::Mutex::new(state),
                on_rotation: std::sync::OnceLock::new(),
            }),
        }
    }

    /// A token good for at least its renewal margin (see [`AccessToken::renewal_margin`]),
    /// renewing it if needed.
    ///
    /// Boxed (here and in [`TokenCache::refreshed_token`]): renewing sends a request through the
    /// transport, which itself asks the cache for tokens, so the future type would contain itself.
    pub fn token(&self) -> BoxFuture<'_, Result<AccessToken, CloudError>> {
        Box::pin(async move {
            let mut state = self.inner.state.lock().await;
            if let Some(t) = &state.access {
                if t.fresh_at(SystemTime::now(), t.renewal_margin()) {
                    return Ok(t.clone());
                }
            }
            self.renew(&mut state).await
        })
    }

    /// A newly issued token, whatever the cached one's expiry says (after the service answered 401).
    pub fn refreshed_token(&self) -> BoxFuture<'_, Result<AccessToken, CloudError>> {
        Box::pin(async move {
            let mut state = self.inner.state.lock().await;
            self.renew(&mut state).await
        })
    }

    /// Calls `hook` with every refresh token the identity platform rotates from now on (shared by
    /// every clone; the first hook set stays).
    pub fn on_rotation(&self, hook: RotationHook) {
        let _ = self.inner.on_rotation.set(hook);
    }

    /// The current refresh token (it may have rotated).
    pub async fn refresh_token(&self) -> Option<Secret> {
        self.inner.state.lock().await.refresh_token.clone()
    }

    /// Who the current token belongs to, if a token is held.
    pub async fn claims(&self) -> Option<TokenClaims> {
        let state = self.inner.state.lock().await;
        state.access.as_ref().and_then(|t| t.claims().ok())
    }

    async fn renew(&self, state: &mut CacheState) -> Result<AccessToken, CloudError> {
        let set = match &self.inner.source {
            TokenSource::User { identity, grant } => {
                let Some(refresh) = state.refresh_token.clone() else {
                    return Err(not_signed_in());
                };
                identity.refresh(grant, &refresh).await?
            }
            TokenSource::ServicePrincipal {
                identity,
                principal,
            } => identity.client_credentials(principal).await?,
            TokenSource::Fixed => return Err(not_signed_in()),
        };
        tracing::debug!(
            expires_in_s = set
                .access
                .expires_at()
                .duration_since(SystemTime::now())
                .unwrap_or_default()
                .as_secs(),
            "access token renewed"
        );
        state.access = Some(set.access.clone());
        if let Some(renewed) = set.refresh_token {
            let rotated = state.refresh_token.as_ref() != Some(&renewed);
            if rotated {
                if let Some(hook) = self.inner.on_rotation.get() {
                    hook(&renewed);
                }
            }
            state.refresh_token = Some(renewed);
        }
        Ok(set.access)
    }
}

fn not_signed_in() -> CloudError {
    CloudError::Unauthorized {
        service: Service::Identity,
        fault: super::error::ServiceFault {
            code: None,
            message: "no valid sign-in is held for this profile".into(),
            target: None,
        },
    }
}

/// Seconds since the Unix epoch (for SAS expiry and claims).
pub(crate) fn unix_seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn jwt(claims: &str) -> String {
        let b = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.sig", b(r#"{"alg":"HS256","typ":"JWT"}"#), b(claims))
    }

    #[test]
    fn claims_are_read_from_the_payload() {
        let t = jwt(
            r#"{"upn":"ana@contoso.com","name":"Ana","oid":"o-1","tid":"t-1","exp":1900000000,"aud":"https://management.azure.com"}"#,
        );
        let c = TokenClaims::decode_unverified(&t).unwrap();
        assert_eq!(c.upn.as_deref(), Some("ana@contoso.com"));
        assert_eq!(c.display_name(), Some("ana@contoso.com"));
        assert_eq!(c.tid.as_deref(), Some("t-1"));
        assert_eq!(c.exp, Some(1_900_000_000));
        let sp = TokenClaims::decode_unverified(&jwt(r#"{"appid":"app-9","oid":"o-2"}"#)).unwrap();
        assert_eq!(sp.display_name(), Some("app-9"));
    }

    #[test]
    fn a_broken_token_answer_does_not_quote_the_tokens() {
        let resp = crate::cloud::transport::Response {
            status: 200,
            headers: Default::default(),
            body: bytes::Bytes::from_static(
                br#"{"access_token":"eyJ.SECRET-ACCESS.sig","refresh_token":"SECRET-REFRESH","expires_in":[1]}"#,
            ),
            service: Service::Identity,
        };
        let Err(e) = token_answer(&resp) else {
            panic!("expires_in as an array must not decode");
        };
        assert_eq!(e.kind(), "decode");
        let text = format!("{e} {e:?}");
        assert!(text.contains("expires_in"), "{text}");
        assert!(!text.contains("SECRET"), "{text}");
    }

    #[test]
    fn malformed_tokens_are_invalid_input() {
        for bad in [
            "",
            "abc",
            "a.b",
            "a.!!!.c",
            &format!(
                "x.{}.y",
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("not json")
            ),
        ] {
            let e = TokenClaims::decode_unverified(bad).unwrap_err();
            assert_eq!(e.kind(), "invalid_input", "{bad:?}");
        }
    }

    #[test]
    fn freshness_respects_the_margin() {
        let now = SystemTime::now();
        let t = AccessToken::new(Secret::new("x"), now + Duration::from_secs(100));
        assert!(t.fresh_at(now, Duration::from_secs(60)));
        assert!(!t.fresh_at(now, REFRESH_MARGIN));
        let hour = AccessToken::issued(Secret::new("x"), now, now + Duration::from_secs(3600));
        assert_eq!(hour.renewal_margin(), REFRESH_MARGIN);
        let short = AccessToken::issued(Secret::new("x"), now, now + Duration::from_secs(4));
        assert_eq!(short.renewal_margin(), Duration::from_secs(1));
        assert!(format!("{t:?}").contains("<redacted>"));
    }
}
