//! No secret reaches a log line: a run with every kind of credential (a client secret, user access
//! and refresh tokens, an IoT Hub key and its SAS tokens) under TRACE logging of every crate,
//! reqwest and hyper included, then a search of everything logged and of the clients' `Debug`.
//! One test in its own binary, because it installs the process-wide log subscriber.

use asg_fota_testkit::cloud as cloud_support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asg_fota_core::cloud::auth::{scopes, TokenCache, UserGrant};
use asg_fota_core::cloud::iothub::{ConnectionString, IotHubClient, MethodTimeouts, SasSigner};
use asg_fota_core::cloud::model::DeviceId;
use asg_fota_core::cloud::Secret;
use cloud_support::*;
use serde_json::json;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_never_reach_the_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let sim = sim().await;
    let demo = sim.demo().clone();

    // A service principal on ARM: upload and deploy.
    let sp_tokens = service_principal(&sim, scopes::ARM_SERVICE_PRINCIPAL);
    let plane = arm_with(&sim, sp_tokens.clone(), None);
    let group = first_group(&plane).await;
    let (id, source) = fixture_package("hl_azure_sphere_blink.imagepackage");
    plane.upload_image(&source, &id).await.expect("upload");
    plane
        .create_deployment(&group.id, std::slice::from_ref(&id))
        .await
        .expect("deploy");
    let sp_access = sp_tokens.token().await.expect("token");

    // A person through the device-code flow, then a refresh.
    let identity = identity(&sim);
    let grant = UserGrant {
        tenant: demo.tenant_id.clone(),
        client_id: demo.legacy_client_id.clone(),
        scope: scopes::LEGACY_USER.to_owned(),
    };
    let prompt = identity
        .start_device_code(&grant)
        .await
        .expect("device code");
    let approve = reqwest::Client::new()
        .post(format!("{}/devicecode/approve", sim.urls().control))
        .json(&json!({}))
        .send();
    let cancel = CancellationToken::new();
    let (tokens, approved) = tokio::join!(identity.finish_device_code(&prompt, &cancel), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        approve.await
    });
    approved.expect("approve");
    let tokens = tokens.expect("signed in");
    let refresh = tokens.refresh_token.clone().expect("refresh token");
    let user_cache = TokenCache::for_user(identity.clone(), grant, None, Some(refresh.clone()));
    let user_plane = legacy_with(&sim, user_cache.clone(), None);
    user_plane
        .products()
        .await
        .expect("legacy products as the person");
    let user_access = user_cache.token().await.expect("token");

    // IoT Hub with a SAS token.
    let conn_text = Secret::new(demo.iothub_connection_string.clone());
    let conn = ConnectionString::parse(&conn_text).expect("connection string");
    let hub = IotHubClient::with_sas(transport(), &sim.urls().iothub, &conn).expect("hub");
    let twins = hub
        .query_twins("SELECT * FROM devices", None, |_| {})
        .await
        .expect("twins");
    let online = twins
        .iter()
        .find(|t| t.is_connected())
        .expect("a connected gateway");
    let device = DeviceId::parse(&online.device_id).expect("id");
    hub.twin(&device).await.expect("twin");
    hub.invoke_method(
        &device,
        "RestartDevice",
        &json!({"delaySeconds": 0}),
        MethodTimeouts::default(),
    )
    .await
    .expect("restart");
    let sas = SasSigner::new(&conn)
        .token(std::time::SystemTime::now())
        .expect("sas");
    // The signature of a SAS token made here with the same key: searched for as sent
    // (URL-encoded) and as base64, like the ones the simulator received.
    let sig = sas
        .expose()
        .split("sig=")
        .nth(1)
        .and_then(|s| s.split('&').next())
        .expect("a SAS token carries sig=")
        .to_owned();
    let sig_base64 = url::form_urlencoded::parse(format!("x={sig}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .expect("sig decodes");
    assert!(
        sig.len() >= 40 && sig_base64.len() == 44,
        "an HMAC-SHA256 signature: {} / {} characters",
        sig.len(),
        sig_base64.len()
    );

    // Failures log too: a refused secret and a refused token.
    let _ = TokenCache::for_service_principal(
        identity.clone(),
        asg_fota_core::cloud::auth::ServicePrincipal {
            tenant: demo.tenant_id.clone(),
            client_id: demo.service_principal_client_id.clone(),
            client_secret: Secret::new("wrong-secret-5f2a9c"),
            scope: scopes::ARM_SERVICE_PRINCIPAL.to_owned(),
        },
    )
    .token()
    .await;

    let debug_dump = format!(
        "{plane:?} {user_plane:?} {hub:?} {sp_tokens:?} {user_cache:?} {conn:?} {tokens:?}"
    );
    // Every token, refresh token, SAS token and signature the simulator issued or received.
    let seen = sim.secrets_seen();
    sim.shutdown().await;

    let logs = String::from_utf8_lossy(&captured.0.lock().expect("logs")).to_string();
    assert!(
        logs.contains("cloud call"),
        "logging was on: {} bytes",
        logs.len()
    );
    let secrets = [
        ("client secret", demo.service_principal_secret.clone()),
        ("wrong client secret", "wrong-secret-5f2a9c".to_owned()),
        (
            "service principal access token",
            sp_access.expose().to_owned(),
        ),
        ("user access token", user_access.expose().to_owned()),
        (
            "user access token (device code)",
            tokens.access.expose().to_owned(),
        ),
        ("refresh token", refresh.expose().clone()),
        ("IoT Hub key", conn.key.expose().clone()),
        ("IoT Hub connection string", conn_text.expose().clone()),
    ];
    for (what, value) in &secrets {
        assert!(value.len() >= 8, "{what} is too short to search for");
        assert!(!logs.contains(value.as_str()), "the {what} was logged");
        assert!(
            !debug_dump.contains(value.as_str()),
            "the {what} shows in Debug output"
        );
    }
    assert!(
        seen.len() >= 5,
        "the simulator saw the run's tokens: {} recorded",
        seen.len()
    );
    // The hub was reached with SAS tokens, and their signatures were recorded on their own.
    let received_sas: Vec<&String> = seen
        .iter()
        .filter(|v| v.starts_with("SharedAccessSignature "))
        .collect();
    assert!(!received_sas.is_empty(), "the hub received no SAS token");
    for token in &received_sas {
        let sent_sig = token
            .split("sig=")
            .nth(1)
            .and_then(|s| s.split('&').next())
            .expect("sig=");
        assert!(
            seen.iter().any(|v| v == sent_sig),
            "a received SAS signature was not recorded on its own"
        );
    }
    for value in seen.iter().chain([&sig, &sig_base64]) {
        assert!(value.len() >= 8, "too short to search for: {value}");
        assert!(
            !logs.contains(value.as_str()),
            "a secret the simulator issued or received was logged: {}…",
            &value[..8]
        );
        assert!(
            !debug_dump.contains(value.as_str()),
            "a secret the simulator issued or received shows in Debug output: {}…",
            &value[..8]
        );
    }
    assert!(
        !logs.contains("SharedAccessSignature"),
        "a SAS token was logged"
    );
    assert!(
        !logs.to_ascii_lowercase().contains("bearer "),
        "an Authorization header was logged"
    );
}
