//! The profile screen in the real window: create a legacy profile, make it active, sign in with
//! a device code shown in the app, and see who is signed in — against a simulated tenant started
//! by the test (its identity platform approves the code by itself after a second).
//!
//! Needs an X display, tauri-driver and a Secret Service (the refresh token goes to the OS
//! keychain): `bash .ci/test` provides all three and runs it with `--include-ignored`.

use std::time::Duration;

use crate::harness::AppSession;
use crate::APP;
use asg_fota_sim::{SimConfig, SimTiming};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display, tauri-driver and a Secret Service: run by `bash .ci/test`"]
async fn a_legacy_profile_is_created_and_signed_in_with_a_device_code() {
    let sim = asg_fota_sim::start(SimConfig {
        timing: SimTiming {
            device_code_auto_approve: Some(Duration::from_secs(1)),
            device_code_interval: Duration::from_secs(1),
            ..SimTiming::fast()
        },
        ..SimConfig::default()
    })
    .await
    .expect("simulator");
    let urls = sim.urls().clone();
    let demo = sim.demo().clone();
    let app = AppSession::start(APP).await;

    // The header button is in the static page before app.js wires it; the step rail is drawn
    // right after the header is wired.
    app.wait_for("[data-testid=step-link-1]").await;
    app.click("[data-testid=profile-button]").await;
    app.wait_for("[data-testid=profile-dialog]").await;
    app.click("[data-testid=profile-new-legacy]").await;
    app.type_into("#pf-name", "Factory").await;
    app.type_into("#pf-tenantId", &demo.tenant_id).await;
    app.type_into("#pf-sphereTenantId", &demo.legacy_tenant_id)
        .await;
    app.click("details.advanced > summary").await;
    app.type_into("#pf-authorityHost", &urls.authority).await;
    app.type_into("#pf-apiBaseUrl", &urls.legacy).await;
    app.click("[data-testid=profile-save]").await;

    app.click("[data-testid=profile-row][data-name='Factory'] [data-testid=profile-activate]")
        .await;
    app.click("[data-testid=signin-start]").await;
    let code = app.wait_for("[data-testid=signin-code]").await;
    let shown = code.text().await.expect("code text");
    assert!(
        !shown.trim().is_empty(),
        "the device code must be shown in the app"
    );
    app.screenshot("profile-signin-en").await;

    // The simulated identity platform approves the code; the app then shows who signed in.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let who = app
            .wait_for("[data-testid=session-who]")
            .await
            .text()
            .await
            .unwrap_or_default();
        if who.contains(&demo.user_upn) || who.contains(&demo.user_name) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the signed-in account never appeared (last: {who:?})"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    app.screenshot("profile-signed-in-en").await;
    app.close().await;
    sim.shutdown().await;
}
