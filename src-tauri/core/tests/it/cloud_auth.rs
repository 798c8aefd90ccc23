//! Sign-in against the simulated identity platform: the device-code flow (approve, cancel,
//! expiry), client credentials, refresh, and a token cache that renews a short-lived token in the
//! middle of a run.

use asg_fota_testkit::cloud as cloud_support;

use std::time::Duration;

use asg_fota_core::cloud::auth::{scopes, TokenCache, UserGrant};
use asg_fota_core::cloud::Secret;
use asg_fota_sim::SimTiming;
use cloud_support::*;
use serde_json::json;
use tokio_util::sync::CancellationToken;

fn legacy_user_grant(sim: &asg_fota_sim::SimHandle) -> UserGrant {
    UserGrant {
        tenant: sim.demo().tenant_id.clone(),
        client_id: sim.demo().legacy_client_id.clone(),
        scope: scopes::LEGACY_USER.to_owned(),
    }
}

async fn approve(sim: &asg_fota_sim::SimHandle, user_code: &str) {
    let resp = reqwest::Client::new()
        .post(format!("{}/devicecode/approve", sim.urls().control))
        .json(&json!({ "user_code": user_code }))
        .send()
        .await
        .expect("approve");
    assert!(
        resp.status().is_success(),
        "approve answered {}",
        resp.status()
    );
}

#[tokio::test]
async fn device_code_flow_signs_in_and_shows_who() {
    let sim = sim().await;
    let identity = identity(&sim);
    let grant = legacy_user_grant(&sim);
    let prompt = identity
        .start_device_code(&grant)
        .await
        .expect("device code");
    assert!(!prompt.user_code.is_empty());
    assert!(
        prompt.message.contains(&prompt.user_code)
            || prompt.message.contains(&prompt.verification_uri),
        "{}",
        prompt.message
    );
    let cancel = CancellationToken::new();
    let (tokens, ()) = tokio::join!(identity.finish_device_code(&prompt, &cancel), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        approve(&sim, &prompt.user_code).await;
    });
    let tokens = tokens.expect("signed in");
    let claims = tokens.access.claims().expect("claims");
    assert_eq!(claims.upn.as_deref(), Some(sim.demo().user_upn.as_str()));
    assert!(
        tokens.refresh_token.is_some(),
        "offline_access gives a refresh token"
    );

    // The refresh token keeps the person signed in, and the legacy API sees them.
    let cache = TokenCache::for_user(identity.clone(), grant, None, tokens.refresh_token.clone());
    let renewed = cache.token().await.expect("refreshed");
    assert_eq!(renewed.claims().expect("claims").upn, claims.upn);
    assert!(
        format!("{cache:?}").contains("redacted")
            || !format!("{cache:?}").contains(renewed.expose())
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn device_code_flow_can_be_cancelled() {
    let sim = sim().await;
    let identity = identity(&sim);
    let prompt = identity
        .start_device_code(&legacy_user_grant(&sim))
        .await
        .expect("device code");
    let cancel = CancellationToken::new();
    let c2 = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        c2.cancel();
    });
    let started = std::time::Instant::now();
    let e = identity
        .finish_device_code(&prompt, &cancel)
        .await
        .expect_err("cancelled");
    assert_eq!(e.kind(), "cancelled");
    assert!(started.elapsed() < Duration::from_secs(5));
    sim.shutdown().await;
}

#[tokio::test]
async fn an_expired_device_code_says_start_again() {
    let sim = sim_with(SimTiming {
        device_code_lifetime: Duration::from_millis(300),
        ..SimTiming::fast()
    })
    .await;
    let identity = identity(&sim);
    let prompt = identity
        .start_device_code(&legacy_user_grant(&sim))
        .await
        .expect("device code");
    let e = tokio::time::timeout(
        Duration::from_secs(10),
        identity.finish_device_code(&prompt, &CancellationToken::new()),
    )
    .await
    .expect("ends")
    .expect_err("expired");
    assert_eq!(e.kind(), "sign_in");
    assert!(e.to_string().contains("start the sign-in again"), "{e}");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_wrong_client_secret_is_a_sign_in_error() {
    let sim = sim().await;
    let cache = TokenCache::for_service_principal(
        identity(&sim),
        asg_fota_core::cloud::auth::ServicePrincipal {
            tenant: sim.demo().tenant_id.clone(),
            client_id: sim.demo().service_principal_client_id.clone(),
            client_secret: Secret::new("wrong"),
            scope: scopes::ARM_SERVICE_PRINCIPAL.to_owned(),
        },
    );
    let e = cache.token().await.expect_err("refused");
    assert_eq!(e.kind(), "sign_in");
    assert!(
        !e.to_string().contains("wrong"),
        "the secret is not echoed: {e}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn short_lived_tokens_are_renewed_in_the_middle_of_a_run() {
    // Tokens live 3 s, so the cache renews them 0.75 s before expiry: five calls a second apart
    // span two lifetimes, reuse the token between renewals and never fail.
    let sim = sim_with(SimTiming {
        token_lifetime: Duration::from_secs(3),
        ..SimTiming::fast()
    })
    .await;
    let plane = arm(&sim, None);
    for _ in 0..5 {
        plane.products().await.expect("products");
        tokio::time::sleep(Duration::from_millis(1000)).await;
    }
    let token_requests = calls(&sim)
        .iter()
        .filter(|c| c.service == "identity" && c.path.ends_with("/token"))
        .count();
    assert!(
        (2..=3).contains(&token_requests),
        "renewed mid-run but reused between renewals: {token_requests} token requests"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_person_signs_in_to_arm_with_the_device_code_flow() {
    let sim = sim().await;
    let identity = identity(&sim);
    let grant = UserGrant {
        tenant: sim.demo().tenant_id.clone(),
        client_id: sim.demo().arm_client_id.clone(),
        scope: scopes::ARM_USER.to_owned(),
    };
    let prompt = identity
        .start_device_code(&grant)
        .await
        .expect("device code");
    let cancel = CancellationToken::new();
    let (tokens, ()) = tokio::join!(identity.finish_device_code(&prompt, &cancel), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        approve(&sim, &prompt.user_code).await;
    });
    let tokens = tokens.expect("signed in");
    let cache = TokenCache::for_user(identity, grant, Some(tokens.access), tokens.refresh_token);
    let plane = arm_with(&sim, cache.clone(), None);
    assert!(!plane
        .products()
        .await
        .expect("products as the person")
        .is_empty());
    let who = cache.claims().await.expect("claims");
    assert_eq!(who.display_name(), Some(sim.demo().user_upn.as_str()));
    sim.shutdown().await;
}
