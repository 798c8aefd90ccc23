//! The simulated Microsoft identity platform (`/login/{tenant}/oauth2/v2.0/...`) and the token
//! checks every other service uses.
//!
//! Owns: issuing and verifying access tokens, device codes, refresh tokens, the demo service
//! principal's client credentials, IoT Hub SAS verification, and the 401 answers in each
//! service's format ([`unauthorized`]).
//!
//! Tokens are JWT-shaped (`header.payload.signature`, base64url JSON) and signed HS256 with a key
//! derived from the seed; claims: `aud`, `iss`, `tid`, `oid`, `upn`, `name`, `exp`, `iat`, `nbf`,
//! `scp` (user tokens) or `roles` (service principal tokens), `azp`/`appid`, and `xms_sim_gen`,
//! the revocation generation (`POST /_sim/tokens/revoke` bumps it, invalidating every token
//! issued before). Real Entra signs RS256 with published keys; clients are not expected to check
//! signatures of access tokens meant for other resources, so the difference does not show.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;
use time::OffsetDateTime;

use crate::rng::SeededRng;
use crate::service::{self, Service};
use crate::{AppState, DemoIdentity, SimConfig, SimTiming};

type HmacSha256 = Hmac<Sha256>;

/// Azure Sphere's own Entra tenant, the legacy API's authority.
pub const SPHERE_TENANT: &str = "7d71c83c-ccdf-45b7-b3c9-9c41b94406d9";
/// Audience of legacy API tokens for users.
pub const LEGACY_AUDIENCE: &str = "https://sphere.azure.net/api";
/// Audience of legacy API tokens for service principals.
pub const LEGACY_SP_AUDIENCE: &str = "https://firstparty.sphere.azure.net/api";
pub const ARM_AUDIENCE: &str = "https://management.azure.com";
pub const IOTHUB_AUDIENCE: &str = "https://iothubs.azure.net";

/// Which API a token must be meant for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Legacy,
    Arm,
    IotHub,
}

impl Audience {
    fn accepts(self, aud: &str) -> bool {
        let aud = aud.trim_end_matches('/');
        match self {
            Audience::Legacy => aud == LEGACY_AUDIENCE || aud == LEGACY_SP_AUDIENCE,
            Audience::Arm => aud == ARM_AUDIENCE,
            Audience::IotHub => aud == IOTHUB_AUDIENCE,
        }
    }
}

/// Why a request is not authorized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    #[error("the request carries no credentials")]
    Missing,
    #[error("the token is malformed")]
    Malformed,
    #[error("the token signature is invalid")]
    BadSignature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is not meant for this service")]
    WrongAudience,
    #[error("the token has been revoked")]
    Revoked,
}

/// The claims of a token the simulator issued.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub aud: String,
    pub iss: String,
    pub tid: String,
    pub oid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    pub azp: String,
    pub appid: String,
    pub xms_sim_gen: u64,
}

/// Who a grant is for.
#[derive(Debug, Clone)]
struct Principal {
    oid: String,
    upn: Option<String>,
    name: Option<String>,
    roles: Option<Vec<String>>,
}

#[derive(Debug, Clone)]
struct DeviceCode {
    device_code: String,
    user_code: String,
    client_id: String,
    tenant: String,
    scope: String,
    created: OffsetDateTime,
    expires: OffsetDateTime,
    approved: bool,
    last_poll: Option<OffsetDateTime>,
}

#[derive(Debug, Clone)]
struct RefreshGrant {
    client_id: String,
    tenant: String,
    generation: u64,
}

#[derive(Debug)]
struct IdentityStore {
    device_codes: Vec<DeviceCode>,
    refresh_tokens: HashMap<String, RefreshGrant>,
    generation: u64,
    rng: SeededRng,
    /// Every token, signature and device code issued or received, for the leak tests.
    seen: std::collections::BTreeSet<String>,
}

/// Bounds [`IdentityStore::seen`] in a long-running demo tenant.
const SEEN_LIMIT: usize = 100_000;

struct IdentityInner {
    key: Vec<u8>,
    timing: SimTiming,
    demo: DemoIdentity,
    iothub_host: String,
    iothub_key: Vec<u8>,
    store: Mutex<IdentityStore>,
}

/// The identity platform's state. Cheap to clone.
#[derive(Clone)]
pub struct Identity {
    inner: Arc<IdentityInner>,
}

/// A token request's answer or error, before it becomes HTTP.
type TokenResult = Result<serde_json::Value, OAuthError>;

/// An error of the token or device-code endpoint, answered in Entra's JSON format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error} (AADSTS{aadsts}): {text}")]
pub struct OAuthError {
    pub status: StatusCode,
    /// The OAuth error (`invalid_grant`, `authorization_pending`, ...).
    pub error: &'static str,
    /// The AADSTS number Entra gives with it.
    pub aadsts: u32,
    pub text: String,
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        service::identity_error(self.status, self.error, self.aadsts, &self.text)
    }
}

/// A 400 OAuth error.
fn oauth_error(error: &'static str, aadsts: u32, text: &str) -> OAuthError {
    OAuthError {
        status: StatusCode::BAD_REQUEST,
        error,
        aadsts,
        text: text.to_string(),
    }
}

impl Identity {
    pub fn new(config: &SimConfig, demo: &DemoIdentity) -> Self {
        let mut rng = SeededRng::new(config.seed, 5);
        let mut key = vec![0u8; 32];
        rng.fill(&mut key);
        let iothub_key = demo
            .iothub_connection_string
            .split(';')
            .find_map(|part| part.strip_prefix("SharedAccessKey="))
            .and_then(|k| STANDARD.decode(k).ok())
            .unwrap_or_default();
        Identity {
            inner: Arc::new(IdentityInner {
                key,
                timing: config.timing.clone(),
                demo: demo.clone(),
                iothub_host: config.iothub_host.clone(),
                iothub_key,
                store: Mutex::new(IdentityStore {
                    device_codes: Vec::new(),
                    refresh_tokens: HashMap::new(),
                    seen: Default::default(),
                    generation: 0,
                    rng,
                }),
            }),
        }
    }

    fn store(&self) -> std::sync::MutexGuard<'_, IdentityStore> {
        self.inner.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Remembers a secret this platform issued or was sent, for [`Identity::secrets_seen`].
    fn saw(&self, secret: &str) {
        let mut store = self.store();
        if store.seen.len() < SEEN_LIMIT && !secret.is_empty() {
            store.seen.insert(secret.to_owned());
        }
    }

    /// Every access, refresh and ID token issued, every bearer token, refresh token and SAS token
    /// (and its signature) received, and every device code: what no client may ever log or store
    /// outside the keychain (`GET /_sim/secrets`).
    pub fn secrets_seen(&self) -> Vec<String> {
        self.store().seen.iter().cloned().collect()
    }

    /// Invalidates every access and refresh token issued so far.
    pub fn revoke_all(&self) {
        let mut store = self.store();
        store.generation += 1;
        store.refresh_tokens.clear();
    }

    /// Approves the pending device code with this user code, or every pending one when `None`.
    /// Returns how many were approved.
    pub fn approve(&self, user_code: Option<&str>) -> usize {
        let mut store = self.store();
        let mut count = 0;
        for code in store.device_codes.iter_mut() {
            if !code.approved && user_code.is_none_or(|u| u.eq_ignore_ascii_case(&code.user_code)) {
                code.approved = true;
                count += 1;
            }
        }
        count
    }

    /// Issues an access token for `audience` (e.g. tests that need a token without the flow).
    pub fn issue_for_demo_user(&self, audience: &str) -> String {
        let principal = self.demo_user();
        let client = self.inner.demo.legacy_client_id.clone();
        self.issue(
            audience,
            &self.inner.demo.tenant_id,
            &client,
            &principal,
            Some("user_impersonation"),
        )
    }

    fn demo_user(&self) -> Principal {
        Principal {
            oid: self.inner.demo.user_object_id.clone(),
            upn: Some(self.inner.demo.user_upn.clone()),
            name: Some(self.inner.demo.user_name.clone()),
            roles: None,
        }
    }

    fn service_principal(&self) -> Principal {
        Principal {
            oid: self.inner.demo.service_principal_object_id.clone(),
            upn: None,
            name: None,
            roles: Some(vec!["Contributor".to_string()]),
        }
    }

    fn sign(&self, message: &str) -> Vec<u8> {
        let mut mac = match HmacSha256::new_from_slice(&self.inner.key) {
            Ok(m) => m,
            Err(_) => return Vec::new(),
        };
        mac.update(message.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    fn issue(
        &self,
        audience: &str,
        tenant: &str,
        client_id: &str,
        principal: &Principal,
        scp: Option<&str>,
    ) -> String {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let generation = self.store().generation;
        let claims = Claims {
            aud: audience.to_string(),
            iss: format!("https://sts.windows.net/{tenant}/"),
            tid: tenant.to_string(),
            oid: principal.oid.clone(),
            upn: principal.upn.clone(),
            name: principal.name.clone(),
            exp: now + self.inner.timing.token_lifetime.as_secs() as i64,
            iat: now,
            nbf: now,
            scp: if principal.roles.is_some() {
                None
            } else {
                scp.map(str::to_string)
            },
            roles: principal.roles.clone(),
            azp: client_id.to_string(),
            appid: client_id.to_string(),
            xms_sim_gen: generation,
        };
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"HS256","kid":"asg-fota-sim"}"#);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default());
        let signing_input = format!("{header}.{payload}");
        let signature = URL_SAFE_NO_PAD.encode(self.sign(&signing_input));
        let token = format!("{signing_input}.{signature}");
        self.saw(&token);
        token
    }

    /// Verifies a bearer token for `audience`.
    pub fn verify(&self, token: &str, audience: Audience) -> Result<Claims, AuthFailure> {
        self.saw(token);
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AuthFailure::Malformed);
        };
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| AuthFailure::Malformed)?;
        let mut mac =
            HmacSha256::new_from_slice(&self.inner.key).map_err(|_| AuthFailure::BadSignature)?;
        mac.update(format!("{header}.{payload}").as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| AuthFailure::BadSignature)?;
        let claims: Claims = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or(AuthFailure::Malformed)?;
        if claims.xms_sim_gen != self.store().generation {
            return Err(AuthFailure::Revoked);
        }
        if claims.exp <= OffsetDateTime::now_utc().unix_timestamp() {
            return Err(AuthFailure::Expired);
        }
        if !audience.accepts(&claims.aud) {
            return Err(AuthFailure::WrongAudience);
        }
        Ok(claims)
    }

    /// Checks the `Authorization: Bearer ...` header of a request.
    pub fn authorize(
        &self,
        headers: &HeaderMap,
        audience: Audience,
    ) -> Result<Claims, AuthFailure> {
        let value = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .ok_or(AuthFailure::Missing)?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or(AuthFailure::Malformed)?;
        self.verify(token.trim(), audience)
    }

    /// Verifies an IoT Hub `SharedAccessSignature sr=..&sig=..&se=..&skn=..` value: `sr` must be
    /// the hub host (URL-encoded), `skn` the demo policy, `se` in the future, and `sig` the
    /// base64 HMAC-SHA256, keyed with the policy key, of `"<sr as sent>\n<se>"`.
    pub fn verify_sas(&self, value: &str) -> Result<(), AuthFailure> {
        self.saw(value);
        let fields = value
            .strip_prefix("SharedAccessSignature ")
            .ok_or(AuthFailure::Malformed)?;
        let mut sr = None;
        let mut sig = None;
        let mut se = None;
        let mut skn = None;
        for pair in fields.split('&') {
            let (k, v) = pair.split_once('=').ok_or(AuthFailure::Malformed)?;
            match k {
                "sr" => sr = Some(v),
                "sig" => sig = Some(v),
                "se" => se = Some(v),
                "skn" => skn = Some(v),
                _ => {}
            }
        }
        let (Some(sr), Some(sig), Some(se)) = (sr, sig, se) else {
            return Err(AuthFailure::Malformed);
        };
        self.saw(sig);
        if skn != Some(crate::fleet::IOTHUB_POLICY) {
            return Err(AuthFailure::BadSignature);
        }
        let decoded_sr: String = url::form_urlencoded::parse(format!("x={sr}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        let resource = decoded_sr.trim_end_matches('/').to_ascii_lowercase();
        let host = self.inner.iothub_host.to_ascii_lowercase();
        // `sr` may name the hub or a resource under it (`<host>/devices/...`).
        if resource != host && !resource.starts_with(&format!("{host}/")) {
            return Err(AuthFailure::WrongAudience);
        }
        let expiry: i64 = se.parse().map_err(|_| AuthFailure::Malformed)?;
        let sig_bytes = url::form_urlencoded::parse(format!("x={sig}").as_bytes())
            .next()
            .and_then(|(_, v)| STANDARD.decode(v.as_bytes()).ok())
            .ok_or(AuthFailure::Malformed)?;
        // The signature as base64 too (`sig` arrives URL-encoded).
        self.saw(&STANDARD.encode(&sig_bytes));
        let mut mac = HmacSha256::new_from_slice(&self.inner.iothub_key)
            .map_err(|_| AuthFailure::BadSignature)?;
        mac.update(format!("{sr}\n{se}").as_bytes());
        if mac.verify_slice(&sig_bytes).is_err() {
            // Clients differ in whether they sign the encoded or the decoded `sr`; accept both.
            let mut mac = HmacSha256::new_from_slice(&self.inner.iothub_key)
                .map_err(|_| AuthFailure::BadSignature)?;
            mac.update(format!("{decoded_sr}\n{se}").as_bytes());
            mac.verify_slice(&sig_bytes)
                .map_err(|_| AuthFailure::BadSignature)?;
        }
        if expiry <= OffsetDateTime::now_utc().unix_timestamp() {
            return Err(AuthFailure::Expired);
        }
        Ok(())
    }

    fn known_public_client(&self, client_id: &str) -> bool {
        client_id.eq_ignore_ascii_case(&self.inner.demo.legacy_client_id)
            || client_id.eq_ignore_ascii_case(&self.inner.demo.arm_client_id)
    }

    /// Whether `client_id` may obtain tokens for `audience`: each app registration has the API
    /// permissions it was given. The legacy public client (the azsphere CLI's first-party app)
    /// reaches only the Azure Sphere API; the demo ARM app registration ARM and IoT Hub; the demo
    /// service principal every API it has a role on.
    fn may_obtain(&self, client_id: &str, audience: &str) -> bool {
        let demo = &self.inner.demo;
        if client_id.eq_ignore_ascii_case(&demo.legacy_client_id) {
            audience == LEGACY_AUDIENCE
        } else if client_id.eq_ignore_ascii_case(&demo.arm_client_id) {
            audience == ARM_AUDIENCE || audience == IOTHUB_AUDIENCE
        } else {
            client_id.eq_ignore_ascii_case(&demo.service_principal_client_id)
        }
    }

    /// Entra's consent error for an app asking for an API it has no permission for.
    fn check_permission(&self, client_id: &str, audience: &str) -> Result<(), OAuthError> {
        if self.may_obtain(client_id, audience) {
            return Ok(());
        }
        // UNSURE: the exact wording; AADSTS65001 (consent required) is what Entra answers.
        Err(oauth_error(
            "invalid_grant",
            65001,
            &format!(
                "The user or administrator has not consented to use the application with ID \
                 '{client_id}' for the resource '{audience}'. Send an interactive authorization \
                 request for this user and resource."
            ),
        ))
    }

    fn known_tenant(&self, tenant: &str) -> bool {
        tenant.eq_ignore_ascii_case(&self.inner.demo.tenant_id)
            || tenant.eq_ignore_ascii_case(SPHERE_TENANT)
            || tenant == "organizations"
            || tenant == "common"
    }

    /// Entra's answer for an authority tenant it does not know.
    fn check_tenant(&self, tenant: &str) -> Result<(), OAuthError> {
        if self.known_tenant(tenant) {
            Ok(())
        } else {
            Err(oauth_error(
                "invalid_request",
                90002,
                &format!("Tenant '{tenant}' not found."),
            ))
        }
    }

    fn random_text(&self, bytes: usize) -> String {
        let mut buf = vec![0u8; bytes];
        self.store().rng.fill(&mut buf);
        URL_SAFE_NO_PAD.encode(buf)
    }

    fn device_code(
        &self,
        tenant: &str,
        verification_uri: &str,
        form: &HashMap<String, String>,
    ) -> TokenResult {
        let client_id = form.get("client_id").cloned().unwrap_or_default();
        if client_id.is_empty() {
            return Err(oauth_error(
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'client_id'.",
            ));
        }
        if !self.known_public_client(&client_id) {
            return Err(oauth_error(
                "unauthorized_client",
                700016,
                &format!(
                    "Application with identifier '{client_id}' was not found in the directory."
                ),
            ));
        }
        let scope = form.get("scope").cloned().unwrap_or_default();
        if resource_of(&scope).is_none() {
            return Err(oauth_error("invalid_scope", 70011, &format!("The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid.")));
        }
        let now = OffsetDateTime::now_utc();
        let timing = &self.inner.timing;
        let user_code = {
            let mut store = self.store();
            let letters: String = (0..9)
                .map(|_| char::from(b'A' + store.rng.below(26) as u8))
                .collect();
            letters
        };
        let device_code = format!("DAQABAAEAAA{}", self.random_text(48));
        self.saw(&device_code);
        let code = DeviceCode {
            device_code: device_code.clone(),
            user_code: user_code.clone(),
            client_id,
            tenant: tenant.to_string(),
            scope,
            created: now,
            expires: now + timing.device_code_lifetime,
            approved: false,
            last_poll: None,
        };
        self.store().device_codes.push(code);
        if let Some(delay) = timing.device_code_auto_approve {
            let identity = self.clone();
            let user_code = user_code.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                identity.approve(Some(&user_code));
            });
        }
        Ok(json!({
            "user_code": user_code,
            "device_code": device_code,
            // The sim's own page (approve by typing the code); Entra's is
            // https://microsoft.com/devicelogin.
            "verification_uri": verification_uri,
            "expires_in": timing.device_code_lifetime.as_secs(),
            "interval": timing.device_code_interval.as_secs(),
            "message": format!("To sign in, use a web browser to open the page {verification_uri} and enter the code {user_code} to authenticate."),
        }))
    }

    fn token(&self, tenant: &str, form: &HashMap<String, String>) -> TokenResult {
        let grant = form.get("grant_type").map(String::as_str).unwrap_or("");
        match grant {
            "urn:ietf:params:oauth:grant-type:device_code" | "device_code" => {
                self.device_code_grant(form)
            }
            "client_credentials" => self.client_credentials(tenant, form),
            "refresh_token" => self.refresh(tenant, form),
            "" => Err(oauth_error(
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'grant_type'.",
            )),
            other => Err(oauth_error(
                "unsupported_grant_type",
                70003,
                &format!("The app requested an unsupported grant type '{other}'."),
            )),
        }
    }

    fn token_answer(
        &self,
        audience: &str,
        tenant: &str,
        client_id: &str,
        principal: &Principal,
        scope: &str,
        refresh: bool,
    ) -> serde_json::Value {
        let scp = scope_names(scope);
        let access = self.issue(audience, tenant, client_id, principal, Some(&scp));
        let lifetime = self.inner.timing.token_lifetime.as_secs();
        let mut body = json!({
            "token_type": "Bearer",
            "scope": scope.split(' ').filter(|s| !matches!(*s, "offline_access" | "openid" | "profile")).collect::<Vec<_>>().join(" "),
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": access,
        });
        if refresh {
            let token = format!("1.AXsim{}", self.random_text(48));
            self.saw(&token);
            let generation = self.store().generation;
            self.store().refresh_tokens.insert(
                token.clone(),
                RefreshGrant {
                    client_id: client_id.to_string(),
                    tenant: tenant.to_string(),
                    generation,
                },
            );
            body["refresh_token"] = json!(token);
        }
        if scope.split(' ').any(|s| s == "openid") {
            body["id_token"] = json!(self.issue(client_id, tenant, client_id, principal, None));
        }
        body
    }

    fn device_code_grant(&self, form: &HashMap<String, String>) -> TokenResult {
        let code_text = form.get("device_code").cloned().unwrap_or_default();
        let now = OffsetDateTime::now_utc();
        let interval = self.inner.timing.device_code_interval;
        let code = {
            let mut store = self.store();
            let Some(index) = store
                .device_codes
                .iter()
                .position(|c| c.device_code == code_text)
            else {
                // UNSURE: Entra's exact error for an unknown or already redeemed device code.
                return Err(oauth_error(
                    "invalid_grant",
                    70000,
                    "The provided value for the 'device_code' is not valid.",
                ));
            };
            let code = &mut store.device_codes[index];
            if form
                .get("client_id")
                .is_some_and(|c| !c.eq_ignore_ascii_case(&code.client_id))
            {
                return Err(oauth_error(
                    "invalid_grant",
                    70000,
                    "The device code was issued to another client.",
                ));
            }
            if now >= code.expires {
                return Err(oauth_error(
                    "expired_token",
                    70019,
                    "Verification code expired.",
                ));
            }
            let too_fast = code.last_poll.is_some_and(|last| now - last < interval);
            code.last_poll = Some(now);
            if !code.approved {
                if too_fast {
                    // UNSURE: Entra rarely sends slow_down; the sim sends it (with the pending code
                    // number) when the client polls faster than `interval`.
                    return Err(oauth_error(
                        "slow_down",
                        70016,
                        "OAuth 2.0 device flow error. Polling too fast; slow down.",
                    ));
                }
                return Err(oauth_error(
                    "authorization_pending",
                    70016,
                    "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
                ));
            }
            store.device_codes.remove(index)
        };
        let _ = code.created;
        let Some(audience) = resource_of(&code.scope) else {
            return Err(oauth_error(
                "invalid_scope",
                70011,
                "The scope is not valid.",
            ));
        };
        self.check_permission(&code.client_id, &audience)?;
        let principal = self.demo_user();
        let refresh = code.scope.split(' ').any(|s| s == "offline_access");
        Ok(self.token_answer(
            &audience,
            &self.entra_tenant(&code.tenant),
            &code.client_id,
            &principal,
            &code.scope,
            refresh,
        ))
    }

    /// The tenant a token says it came from: the demo user's home tenant, whatever authority
    /// tenant was used (Sphere's own tenant for the legacy API).
    fn entra_tenant(&self, authority_tenant: &str) -> String {
        if authority_tenant.eq_ignore_ascii_case(SPHERE_TENANT) {
            SPHERE_TENANT.to_string()
        } else {
            self.inner.demo.tenant_id.clone()
        }
    }

    fn client_credentials(&self, tenant: &str, form: &HashMap<String, String>) -> TokenResult {
        let client_id = form.get("client_id").cloned().unwrap_or_default();
        let secret = form.get("client_secret").cloned().unwrap_or_default();
        if !client_id.eq_ignore_ascii_case(&self.inner.demo.service_principal_client_id) {
            return Err(oauth_error(
                "unauthorized_client",
                700016,
                &format!(
                    "Application with identifier '{client_id}' was not found in the directory."
                ),
            ));
        }
        if secret != self.inner.demo.service_principal_secret {
            return Err(OAuthError {
                status: StatusCode::UNAUTHORIZED,
                error: "invalid_client",
                aadsts: 7000215,
                text: "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.".to_string(),
            });
        }
        let scope = form.get("scope").cloned().unwrap_or_default();
        if !scope.trim().ends_with("/.default") {
            return Err(oauth_error("invalid_scope", 1002012, &format!("The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")));
        }
        let Some(audience) = resource_of(&scope) else {
            return Err(oauth_error(
                "invalid_resource",
                500011,
                "The resource principal was not found in the tenant.",
            ));
        };
        self.check_permission(&client_id, &audience)?;
        let principal = self.service_principal();
        Ok(self.token_answer(
            &audience,
            &self.entra_tenant(tenant),
            &client_id,
            &principal,
            &scope,
            false,
        ))
    }

    fn refresh(&self, tenant: &str, form: &HashMap<String, String>) -> TokenResult {
        let token = form.get("refresh_token").cloned().unwrap_or_default();
        self.saw(&token);
        let generation = self.store().generation;
        let grant = self.store().refresh_tokens.get(&token).cloned();
        let Some(grant) = grant.filter(|g| g.generation == generation) else {
            // UNSURE: the AADSTS number for a revoked (rather than expired) refresh token.
            return Err(oauth_error("invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity or has been revoked."));
        };
        // A refresh token belongs to the client it was issued to: another client's is refused.
        let client_id = form.get("client_id").cloned().unwrap_or_default();
        if !client_id.eq_ignore_ascii_case(&grant.client_id) {
            // UNSURE: the AADSTS number Entra gives for a refresh token of another client.
            return Err(oauth_error(
                "invalid_grant",
                70000,
                "The refresh token was issued to a different client id.",
            ));
        }
        // And to the tenant that issued it.
        // UNSURE: Entra may redeem a refresh token at another tenant where the same user is a
        // guest (MSAL does so for multi-tenant accounts); the simulator refuses it, so the client
        // never relies on it.
        if self.entra_tenant(tenant) != grant.tenant {
            return Err(oauth_error(
                "invalid_grant",
                70000,
                &format!("The refresh token was issued by another tenant than '{tenant}'."),
            ));
        }
        let scope = form.get("scope").cloned().unwrap_or_default();
        let Some(audience) = resource_of(&scope) else {
            return Err(oauth_error(
                "invalid_scope",
                70011,
                "The scope is not valid.",
            ));
        };
        self.check_permission(&grant.client_id, &audience)?;
        // Redeemed: the token rotates (a used one is not accepted again).
        self.store().refresh_tokens.remove(&token);
        Ok(self.token_answer(
            &audience,
            &grant.tenant,
            &grant.client_id,
            &self.demo_user(),
            &format!("{scope} offline_access"),
            true,
        ))
    }
}

/// The resource (audience) a scope list asks for: the first scope that is not an OpenID one,
/// cut before its last `/` (`https://sphere.azure.net/api/user_impersonation` →
/// `https://sphere.azure.net/api`). Only the simulated services' resources are known.
fn resource_of(scope: &str) -> Option<String> {
    let first = scope
        .split(' ')
        .find(|s| !s.is_empty() && !matches!(*s, "offline_access" | "openid" | "profile"))?;
    let resource = first
        .rsplit_once('/')
        .map(|(r, _)| r)?
        .trim_end_matches('/');
    let known = [
        LEGACY_AUDIENCE,
        LEGACY_SP_AUDIENCE,
        ARM_AUDIENCE,
        IOTHUB_AUDIENCE,
    ];
    known
        .iter()
        .find(|k| k.eq_ignore_ascii_case(resource))
        .map(|k| k.to_string())
}

/// The `scp` claim for a scope list: the scope names without the resource.
fn scope_names(scope: &str) -> String {
    scope
        .split(' ')
        .filter(|s| !s.is_empty() && !matches!(*s, "offline_access" | "openid" | "profile"))
        .filter_map(|s| s.rsplit('/').next())
        .filter(|s| *s != ".default")
        .collect::<Vec<_>>()
        .join(" ")
}

/// The 401 answer of `service` for `failure`.
pub fn unauthorized(service: Service, failure: AuthFailure) -> Response {
    let text = failure.to_string();
    let mut response = match service {
        Service::Arm => {
            let code = match failure {
                AuthFailure::Missing => "AuthenticationFailed",
                AuthFailure::Expired => "ExpiredAuthenticationToken",
                AuthFailure::WrongAudience => "InvalidAuthenticationTokenAudience",
                _ => "InvalidAuthenticationToken",
            };
            service::arm_error(
                StatusCode::UNAUTHORIZED,
                code,
                &format!("Authentication failed: {text}."),
            )
        }
        Service::IotHub => service::iothub_error(
            StatusCode::UNAUTHORIZED,
            "IotHubUnauthorizedAccess",
            &format!("Unauthorized: {text}"),
        ),
        other => service::error_for(
            other,
            StatusCode::UNAUTHORIZED,
            &format!("Unauthorized: {text}."),
            None,
        ),
    };
    let challenge = match failure {
        AuthFailure::Missing => {
            "Bearer authorization_uri=\"https://login.microsoftonline.com/common\"".to_string()
        }
        _ => format!("Bearer error=\"invalid_token\", error_description=\"{text}\""),
    };
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert("www-authenticate", value);
    }
    response
}

/// Parses an `application/x-www-form-urlencoded` body.
fn form(body: &Bytes) -> HashMap<String, String> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

async fn devicecode_route(
    State(app): State<AppState>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Result<Json<serde_json::Value>, OAuthError> {
    app.identity.check_tenant(&tenant)?;
    let page = format!("{}/devicelogin", app.urls.authority);
    app.identity
        .device_code(&tenant, &page, &form(&body))
        .map(Json)
}

async fn token_route(
    State(app): State<AppState>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Result<Response, OAuthError> {
    app.identity.check_tenant(&tenant)?;
    let tokens = app.identity.token(&tenant, &form(&body))?;
    let mut response = Json(tokens).into_response();
    response.headers_mut().insert(
        "cache-control",
        HeaderValue::from_static("no-store, no-cache"),
    );
    Ok(response)
}

/// A minimal sign-in page: enter the user code to approve it (demo convenience).
async fn devicelogin_page() -> Html<&'static str> {
    Html(
        "<!doctype html><title>Simulated sign-in</title><h1>ASG FOTA simulated sign-in</h1>\
         <form method=post><label>Code <input name=user_code autofocus></label> <button>Approve</button></form>",
    )
}

async fn devicelogin_submit(State(app): State<AppState>, body: Bytes) -> Html<String> {
    let code = form(&body).get("user_code").cloned().unwrap_or_default();
    let approved = app.identity.approve(Some(code.trim()));
    Html(if approved > 0 {
        "<!doctype html><p>Signed in as the demo operator. You can close this window.</p>"
            .to_string()
    } else {
        "<!doctype html><p>That code is not pending.</p>".to_string()
    })
}

/// The identity routes, mounted under `/login`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/devicecode", post(devicecode_route))
        .route("/{tenant}/oauth2/v2.0/token", post(token_route))
        .route(
            "/devicelogin",
            get(devicelogin_page).post(devicelogin_submit),
        )
        .with_state(state)
}

/// How long ago a pending code was issued (keeps the field used for the journal of tests).
pub fn pending_codes(identity: &Identity) -> Vec<serde_json::Value> {
    identity
        .store()
        .device_codes
        .iter()
        .map(|c| json!({"user_code": c.user_code, "approved": c.approved, "client_id": c.client_id, "age_ms": (OffsetDateTime::now_utc() - c.created).whole_milliseconds() as u64}))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_map_to_audiences() {
        let table = [
            (
                "https://sphere.azure.net/api/user_impersonation offline_access",
                Some(LEGACY_AUDIENCE),
            ),
            (
                "offline_access https://management.azure.com/user_impersonation",
                Some(ARM_AUDIENCE),
            ),
            ("https://management.azure.com//.default", Some(ARM_AUDIENCE)),
            (
                "https://firstparty.sphere.azure.net/api/.default",
                Some(LEGACY_SP_AUDIENCE),
            ),
            ("https://iothubs.azure.net/.default", Some(IOTHUB_AUDIENCE)),
            ("https://graph.microsoft.com/.default", None),
            ("offline_access", None),
            ("", None),
        ];
        for (scope, expected) in table {
            assert_eq!(resource_of(scope).as_deref(), expected, "{scope}");
        }
    }
}
