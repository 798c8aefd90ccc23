//! The simulated Microsoft identity platform: device code, client credentials, refresh tokens,
//! Entra's error bodies, expiry and revocation.

use crate::sim_harness;

use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};
use sim_harness::{config, form, sim, sim_with, status_json, Sim};

const LEGACY_SCOPE: &str = "https://sphere.azure.net/api/user_impersonation offline_access";

async fn post_form(sim: &Sim, url: &str, fields: &[(&str, &str)]) -> (u16, Value) {
    let body = form(fields);
    let response = sim
        .http
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        // Stated even when empty, as every real client does (else 411).
        .header("content-length", body.len())
        .body(body)
        .send()
        .await
        .expect("request");
    status_json(response).await
}

fn devicecode_url(sim: &Sim, tenant: &str) -> String {
    format!(
        "{}/{tenant}/oauth2/v2.0/devicecode",
        sim.handle.urls().authority
    )
}

async fn start_flow(sim: &Sim, tenant: &str) -> Value {
    let client = sim.demo().legacy_client_id.clone();
    let (status, body) = post_form(
        sim,
        &devicecode_url(sim, tenant),
        &[("client_id", &client), ("scope", LEGACY_SCOPE)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn poll(sim: &Sim, tenant: &str, device_code: &str) -> (u16, Value) {
    let client = sim.demo().legacy_client_id.clone();
    post_form(
        sim,
        &sim.token_url(tenant),
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", &client),
            ("device_code", device_code),
        ],
    )
    .await
}

fn assert_entra_error(body: &Value, error: &str, code: u64) {
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"][0], code, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.starts_with(&format!("AADSTS{code}:"))),
        "{body}"
    );
    for key in ["timestamp", "trace_id", "correlation_id"] {
        assert!(body[key].is_string(), "{key} in {body}");
    }
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("JWT shape");
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64url"),
    )
    .expect("json")
}

#[tokio::test]
async fn device_code_flow_pending_then_approved_then_refreshed() {
    let sim = sim().await;
    let tenant = "7d71c83c-ccdf-45b7-b3c9-9c41b94406d9";
    let flow = start_flow(&sim, tenant).await;
    for key in ["user_code", "device_code", "verification_uri", "message"] {
        assert!(flow[key].is_string(), "{key} in {flow}");
    }
    assert!(flow["expires_in"].is_u64() && flow["interval"].is_u64());
    let code = flow["device_code"].as_str().expect("device_code");

    let (status, body) = poll(&sim, tenant, code).await;
    assert_eq!(status, 400);
    assert_entra_error(&body, "authorization_pending", 70016);

    let approved = sim
        .control_post(
            "/devicecode/approve",
            &json!({"user_code": flow["user_code"]}),
        )
        .await;
    assert_eq!(approved, 200);
    let (status, tokens) = poll(&sim, tenant, code).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["expires_in"].is_u64() && tokens["refresh_token"].is_string());
    let access = tokens["access_token"].as_str().expect("access_token");
    let c = claims(access);
    assert_eq!(c["aud"], "https://sphere.azure.net/api");
    assert_eq!(c["upn"], sim.demo().user_upn.as_str());
    assert_eq!(c["scp"], "user_impersonation");
    assert!(c["exp"].as_i64() > c["iat"].as_i64());
    assert_eq!(sim.get(&sim.legacy("/products"), access).await.0, 200);

    // A redeemed code cannot be used again.
    let (status, body) = poll(&sim, tenant, code).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");

    // Refresh: a new pair; the old refresh token is spent.
    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    let fields = [
        ("grant_type", "refresh_token"),
        ("client_id", sim.demo().legacy_client_id.as_str()),
        ("refresh_token", refresh),
        ("scope", LEGACY_SCOPE),
    ];
    let (status, renewed) = post_form(&sim, &sim.token_url(tenant), &fields).await;
    assert_eq!(status, 200, "{renewed}");
    assert_ne!(renewed["refresh_token"], tokens["refresh_token"]);
    let (status, body) = post_form(&sim, &sim.token_url(tenant), &fields).await;
    assert_eq!(status, 400);
    assert_entra_error(&body, "invalid_grant", 70008);

    // Revocation kills refresh tokens too.
    assert_eq!(sim.control_post("/tokens/revoke", &json!({})).await, 204);
    let fields = [
        ("grant_type", "refresh_token"),
        (
            "refresh_token",
            renewed["refresh_token"].as_str().expect("refresh"),
        ),
        ("scope", LEGACY_SCOPE),
    ];
    let (status, body) = post_form(&sim, &sim.token_url(tenant), &fields).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn approve_all_auto_approval_slow_down_and_expiry() {
    // Approving every pending code with `{}`.
    let sim = sim().await;
    let tenant = sim.demo().tenant_id.clone();
    let flow = start_flow(&sim, &tenant).await;
    assert_eq!(
        sim.control_post("/devicecode/approve", &json!({})).await,
        200
    );
    assert_eq!(
        poll(&sim, &tenant, flow["device_code"].as_str().expect("code"))
            .await
            .0,
        200
    );

    // The sign-in page named by verification_uri approves a typed code.
    let flow = start_flow(&sim, &tenant).await;
    let page = flow["verification_uri"].as_str().expect("uri").to_string();
    assert!(page.starts_with(&sim.handle.urls().authority), "{page}");
    assert_eq!(
        sim.http.get(&page).send().await.expect("page").status(),
        200
    );
    let user_code = flow["user_code"].as_str().expect("code").to_string();
    let (status, _) = post_form(&sim, &page, &[("user_code", &user_code)]).await;
    assert_eq!(status, 200);
    let code = flow["device_code"].as_str().expect("code").to_string();
    assert_eq!(poll(&sim, &tenant, &code).await.0, 200);

    // slow_down when polling faster than the interval. Nobody approves the code until the test
    // does (no auto approval), so the first two polls see it pending however slow the machine.
    let mut cfg = config();
    cfg.timing.device_code_auto_approve = None;
    cfg.timing.device_code_interval = Duration::from_secs(1);
    cfg.timing.device_code_lifetime = Duration::from_millis(3000);
    let sim = sim_with(cfg.clone()).await;
    let flow = start_flow(&sim, &tenant).await;
    assert_eq!(flow["interval"], 1);
    let code = flow["device_code"].as_str().expect("code").to_string();
    let (_, first) = poll(&sim, &tenant, &code).await;
    assert_eq!(first["error"], "authorization_pending");
    let (_, second) = poll(&sim, &tenant, &code).await;
    assert_entra_error(&second, "slow_down", 70016);
    let user_code = flow["user_code"].as_str().expect("user code");
    assert_eq!(
        sim.control_post("/devicecode/approve", &json!({"user_code": user_code}))
            .await,
        200
    );
    tokio::time::sleep(Duration::from_millis(1050)).await;
    assert_eq!(poll(&sim, &tenant, &code).await.0, 200);

    // Auto approval: a code is approved by itself after the delay (waited out, not raced).
    let mut auto = cfg.clone();
    auto.timing.device_code_auto_approve = Some(Duration::from_millis(300));
    let auto_sim = sim_with(auto).await;
    let flow = start_flow(&auto_sim, &tenant).await;
    tokio::time::sleep(Duration::from_millis(1050)).await;
    let (status, body) = poll(
        &auto_sim,
        &tenant,
        flow["device_code"].as_str().expect("code"),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // An unapproved code expires.
    let flow = start_flow(&sim, &tenant).await;
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let (status, body) = poll(&sim, &tenant, flow["device_code"].as_str().expect("code")).await;
    assert_eq!(status, 400);
    assert_entra_error(&body, "expired_token", 70019);
}

#[tokio::test]
async fn client_credentials_and_bad_requests_answer_like_entra() {
    let sim = sim().await;
    let demo = sim.demo().clone();
    let url = sim.token_url(&demo.tenant_id);
    let scope = "https://management.azure.com/.default";
    let (status, tokens) = post_form(
        &sim,
        &url,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &demo.service_principal_client_id),
            ("client_secret", &demo.service_principal_secret),
            ("scope", scope),
        ],
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    assert!(
        tokens.get("refresh_token").is_none(),
        "client credentials never return a refresh token"
    );
    let c = claims(tokens["access_token"].as_str().expect("token"));
    assert_eq!(c["aud"], "https://management.azure.com");
    assert_eq!(c["roles"][0], "Contributor");
    assert_eq!(c["tid"], demo.tenant_id.as_str());

    let cases: Vec<(Vec<(&str, &str)>, u16, &str, u64)> = vec![
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &demo.service_principal_client_id),
                ("client_secret", "wrong"),
                ("scope", scope),
            ],
            401,
            "invalid_client",
            7000215,
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &demo.service_principal_client_id),
                ("client_secret", &demo.service_principal_secret),
                ("scope", "https://management.azure.com/user_impersonation"),
            ],
            400,
            "invalid_scope",
            1002012,
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &demo.service_principal_client_id),
                ("client_secret", &demo.service_principal_secret),
                ("scope", "https://graph.microsoft.com/.default"),
            ],
            400,
            "invalid_resource",
            500011,
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", "someone-else"),
                ("client_secret", "x"),
                ("scope", scope),
            ],
            400,
            "unauthorized_client",
            700016,
        ),
        (
            vec![("grant_type", "password")],
            400,
            "unsupported_grant_type",
            70003,
        ),
        (vec![], 400, "invalid_request", 900144),
    ];
    for (fields, status, error, code) in cases {
        let (got, body) = post_form(&sim, &url, &fields).await;
        assert_eq!(got, status, "{fields:?}: {body}");
        assert_entra_error(&body, error, code);
    }

    // Device code: unknown client and unknown tenant.
    let (status, body) = post_form(
        &sim,
        &devicecode_url(&sim, &demo.tenant_id),
        &[("client_id", "unknown"), ("scope", LEGACY_SCOPE)],
    )
    .await;
    assert_eq!(status, 400);
    assert_entra_error(&body, "unauthorized_client", 700016);
    let (status, body) = post_form(
        &sim,
        &devicecode_url(&sim, "11111111-1111-1111-1111-111111111111"),
        &[
            ("client_id", &demo.legacy_client_id),
            ("scope", LEGACY_SCOPE),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_entra_error(&body, "invalid_request", 90002);
}
