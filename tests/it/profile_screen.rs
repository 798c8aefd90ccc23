//! The profile screen in the real window: create a legacy profile, make it active, sign in with
//! a device code shown in the app, and see who is signed in — against a simulated tenant started
//! by the test (its identity platform approves the code by itself after a second); then step 1
//! lists the groups with the session's token. The app logs at TRACE meanwhile, and afterwards
//! every file it left (its log, config, data, and the HOME, XDG and TMPDIR the harness gives it,
//! WebKit's storage included) is searched for every token the simulator issued or received: the
//! device code, the access, refresh and ID tokens, every bearer. The log must hold TRACE lines
//! and the transport's "cloud call" lines, so an app that logs nothing cannot pass.
//!
//! Needs an X display, tauri-driver and a Secret Service (the refresh token goes to the OS
//! keychain): `bash .ci/test` provides all three and runs it with `--include-ignored`.

use std::path::{Path, PathBuf};
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
    let app = AppSession::start_with(APP, &[("ASG_FOTA_LOG", "trace".to_owned())]).await;

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

    // The session at work: step 1 lists the groups with the person's access token.
    // Esc closes the dialog, as a person would (its close button can sit under the
    // sign-in panel at this window size).
    app.client
        .execute(
            "document.activeElement.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true}));",
            vec![],
        )
        .await
        .expect("escape");
    app.click("[data-testid=step-link-1]").await;
    app.wait_for("[data-testid=group-row]").await;
    let files = app.close_keeping_files().await;
    let secrets = sim.secrets_seen();
    sim.shutdown().await;
    assert_no_secret_left(files.path(), &secrets);
}

/// The app's log is there and talkative, and no secret is in any file under `dir`.
fn assert_no_secret_left(dir: &Path, secrets: &[String]) {
    // The device code, an access, refresh and ID token, and the bearers received at least.
    assert!(
        secrets.len() >= 4,
        "the simulator recorded only {} secrets",
        secrets.len()
    );
    let files = asg_fota_testkit::files_under(dir);
    let logs: Vec<&PathBuf> = files
        .iter()
        .filter(|f| f.starts_with(dir.join("logs")))
        .collect();
    let log: String = logs
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_default())
        .collect();
    assert!(log.contains("ASG FOTA started"), "no app log in {logs:?}");
    assert!(log.contains(" TRACE "), "the log has no TRACE line");
    assert!(log.contains("cloud call"), "the log has no transport line");
    let mut searched = 0;
    for file in &files {
        let Ok(bytes) = std::fs::read(file) else {
            continue;
        };
        searched += 1;
        for secret in secrets {
            assert!(secret.len() >= 8, "too short to search for: {secret}");
            assert!(
                !contains(&bytes, secret.as_bytes()),
                "a secret the simulator issued or received ({}…) is in {}",
                &secret[..8],
                file.display()
            );
        }
    }
    // The generic shapes only where the app writes text of its own (WebKit's binary caches may
    // hold `eyJ` by chance): no JWT and no Authorization header in the log or the config.
    for file in files
        .iter()
        .filter(|f| f.starts_with(dir.join("logs")) || f.starts_with(dir.join("app-config")))
    {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        assert!(!text.contains("eyJ"), "a JWT is in {}", file.display());
        assert!(
            !text.to_ascii_lowercase().contains("bearer "),
            "an Authorization header is in {}",
            file.display()
        );
    }
    eprintln!(
        "searched {searched} files ({} log bytes) for {} secrets",
        log.len(),
        secrets.len()
    );
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
