//! A wrong or hostile endpoint meets the client: redirects, huge answers, absurd numbers, a
//! device-code answer that does not parse, an IoT Hub address that is not the connection string's,
//! endpoints that change under stored secrets, and IoT Hub's case-sensitive device ids.
//!
//! The misbehaving endpoints are a few lines of raw HTTP on loopback ([`canned`]): each answers
//! every request with the same bytes and counts what it was asked.

use asg_fota_testkit::cloud as cloud_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use asg_fota_core::cloud::auth::{IdentityClient, ServicePrincipal, UserGrant};
use asg_fota_core::cloud::iothub::{ConnectionString, IotHubClient, SasSigner};
use asg_fota_core::cloud::transport::Limits;
use asg_fota_core::cloud::{RetryPolicy, Secret, Transport, TransportSettings};
use asg_fota_core::profiles::{Backend, IotHubAuth, IotHubSettings, Profile};
use asg_fota_core::secrets::{MemoryStore, SecretKey, SecretKind, SecretStore, Sensitive};
use asg_fota_core::session::{
    forget_secrets_if_endpoints_changed, SecretOverrides, SecretSources, Session, SessionConfig,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A loopback server answering every request with `response`; returns its base URL and a count
/// of the requests it read.
async fn canned(response: Vec<u8>) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let response = response.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let mut read = 0;
                // The head is enough: every answer here is the same whatever the body.
                while !buf[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf[read..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => read += n,
                    }
                }
                seen.fetch_add(1, Ordering::SeqCst);
                let _ = socket.write_all(&response).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (format!("http://{addr}"), count)
}

fn transport(limits: Limits) -> Transport {
    Transport::new(TransportSettings {
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(10),
        },
        limits,
    })
    .unwrap()
}

fn principal() -> ServicePrincipal {
    ServicePrincipal {
        tenant: "contoso".into(),
        client_id: "app".into(),
        client_secret: Secret::new("TOP-SECRET-VALUE"),
        scope: "https://management.azure.com/.default".into(),
    }
}

#[tokio::test]
async fn a_redirect_is_never_followed_so_the_secret_stays_put() {
    let (elsewhere, elsewhere_hits) =
        canned(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}".to_vec()).await;
    let redirect = format!(
        "HTTP/1.1 307 Temporary Redirect\r\nlocation: {elsewhere}/steal\r\ncontent-length: 0\r\n\r\n"
    );
    let (authority, hits) = canned(redirect.into_bytes()).await;
    let identity = IdentityClient::new(transport(Limits::default()), &authority).unwrap();
    let err = identity.client_credentials(&principal()).await.unwrap_err();
    assert_eq!(err.kind(), "redirected", "{err}");
    let text = err.to_string();
    assert!(
        text.contains("127.0.0.1") && text.contains("not followed"),
        "{text}"
    );
    assert!(!text.contains("TOP-SECRET"), "{text}");
    assert_eq!(hits.load(Ordering::SeqCst), 1, "sent once, not retried");
    assert_eq!(
        elsewhere_hits.load(Ordering::SeqCst),
        0,
        "the redirect target never heard of it"
    );
}

#[tokio::test]
async fn answers_larger_than_the_cap_are_not_read() {
    let limits = Limits {
        max_body_bytes: 1024,
        ..Limits::default()
    };
    // Announced by its length...
    let (announced, _) =
        canned(b"HTTP/1.1 200 OK\r\ncontent-length: 900000000\r\n\r\n{\"access_token\":".to_vec())
            .await;
    let identity = IdentityClient::new(transport(limits.clone()), &announced).unwrap();
    let err = identity.client_credentials(&principal()).await.unwrap_err();
    assert_eq!(err.kind(), "response_too_large", "{err}");
    // ... or streamed without one.
    let mut chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..8 {
        chunked.extend_from_slice(b"200\r\n");
        chunked.extend_from_slice(&[b' '; 0x200]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let (streamed, _) = canned(chunked).await;
    let identity = IdentityClient::new(transport(limits), &streamed).unwrap();
    let err = identity.client_credentials(&principal()).await.unwrap_err();
    assert_eq!(err.kind(), "response_too_large", "{err}");
}

#[tokio::test]
async fn absurd_numbers_from_the_network_do_not_panic() {
    // A token that "expires" past the end of time, and a Retry-After of more seconds than a u64.
    let body = r#"{"access_token":"a.b.c","expires_in":18446744073709551615}"#;
    let answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let (authority, _) = canned(answer.into_bytes()).await;
    let identity = IdentityClient::new(transport(Limits::default()), &authority).unwrap();
    let set = identity.client_credentials(&principal()).await.unwrap();
    assert!(set.access.expires_at() > std::time::SystemTime::now());

    let throttled = "HTTP/1.1 429 Too Many Requests\r\nretry-after: 999999999999999999999999999\r\ncontent-length: 0\r\n\r\n";
    let (authority, hits) = canned(throttled.as_bytes().to_vec()).await;
    let identity = IdentityClient::new(transport(Limits::default()), &authority).unwrap();
    let started = std::time::Instant::now();
    let err = identity.client_credentials(&principal()).await.unwrap_err();
    assert_eq!(err.kind(), "throttled");
    assert!(err.to_string().contains("asks to wait"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2), "not waited for");
    assert_eq!(hits.load(Ordering::SeqCst), 1);

    // A device-code answer with an absurd lifetime and interval.
    let body = r#"{"device_code":"DC","user_code":"U","verification_uri":"https://microsoft.com/devicelogin","expires_in":18446744073709551615,"interval":18446744073709551615}"#;
    let answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let (authority, _) = canned(answer.into_bytes()).await;
    let identity = IdentityClient::new(transport(Limits::default()), &authority).unwrap();
    let prompt = identity.start_device_code(&grant()).await.unwrap();
    assert!(prompt.expires_in <= Duration::from_secs(3600));
}

fn grant() -> UserGrant {
    UserGrant {
        tenant: "contoso".into(),
        client_id: "app".into(),
        scope: "https://management.azure.com/user_impersonation offline_access".into(),
    }
}

#[tokio::test]
async fn a_device_code_answer_that_does_not_parse_does_not_quote_the_code() {
    let body = r#"{"device_code":"SECRET-DEVICE-CODE-123","user_code":7}"#;
    let answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let (authority, _) = canned(answer.into_bytes()).await;
    let identity = IdentityClient::new(transport(Limits::default()), &authority).unwrap();
    let err = identity.start_device_code(&grant()).await.unwrap_err();
    assert_eq!(err.kind(), "decode");
    let text = format!("{err} {err:?}");
    assert!(text.contains("user_code"), "the path is named: {text}");
    assert!(!text.contains("SECRET-DEVICE-CODE"), "{text}");
}

#[tokio::test]
async fn the_sas_goes_only_to_the_connection_strings_hub() {
    let conn = ConnectionString::parse(&Secret::new(
        "HostName=asg-demo-hub.azure-devices.net;SharedAccessKeyName=service;SharedAccessKey=c2VjcmV0a2V5MTIzNDU2Nzg5MA==",
    ))
    .unwrap();
    let t = || transport(Limits::default());
    assert!(IotHubClient::with_sas(t(), "https://asg-demo-hub.azure-devices.net", &conn).is_ok());
    assert!(IotHubClient::with_sas(t(), "https://ASG-DEMO-HUB.azure-devices.net/", &conn).is_ok());
    // The simulator answers for any hub on loopback.
    assert!(IotHubClient::with_sas(t(), "http://127.0.0.1:9/iothub", &conn).is_ok());
    let err =
        IotHubClient::with_sas(t(), "https://other-hub.azure-devices.net", &conn).unwrap_err();
    assert_eq!(err.kind(), "invalid_input");
    assert!(err.to_string().contains("HostName"), "{err}");
    let err =
        IotHubClient::with_sas(t(), "http://asg-demo-hub.azure-devices.net", &conn).unwrap_err();
    assert!(err.to_string().contains("plain http"), "{err}");
}

#[tokio::test]
async fn the_simulated_hub_knows_gateways_by_their_lower_case_id_only() {
    let sim = cloud_support::sim().await;
    let snapshot = sim.snapshot();
    let id = snapshot["devices"][0]["id"].as_str().unwrap().to_owned();
    let conn =
        ConnectionString::parse(&Secret::new(sim.demo().iothub_connection_string.clone())).unwrap();
    let sas = SasSigner::new(&conn)
        .token(std::time::SystemTime::now())
        .unwrap();
    let http = reqwest::Client::new();
    let twin = |id: String| {
        http.get(format!(
            "{}/twins/{id}?api-version=2021-04-12",
            sim.urls().iothub
        ))
        .header("authorization", sas.expose())
        .send()
    };
    let lower = twin(id.to_ascii_lowercase()).await.unwrap();
    assert_eq!(lower.status(), 200);
    let upper = twin(id.to_ascii_uppercase()).await.unwrap();
    assert_eq!(upper.status(), 404);
    let body: serde_json::Value = upper.json().await.unwrap();
    assert!(body.to_string().contains("DeviceNotFound"), "{body}");
    sim.shutdown().await;
}

#[test]
fn changed_endpoints_drop_the_stored_secrets() {
    let store = MemoryStore::new();
    let keep = |store: &MemoryStore| {
        for kind in SecretKind::ALL {
            store
                .persist(&SecretKey::new("p", kind), &Sensitive::from("s3cret"))
                .unwrap();
        }
    };
    let stored = |store: &MemoryStore| {
        SecretKind::ALL
            .iter()
            .filter(|&&k| store.retrieve(&SecretKey::new("p", k)).unwrap().is_some())
            .count()
    };
    let old = Profile {
        tenant_id: Some("t".into()),
        iothub: Some(IotHubSettings {
            host: "hub.azure-devices.net".into(),
            api_base: None,
            auth: IotHubAuth::ConnectionString,
        }),
        ..Profile::new(Backend::Legacy)
    };
    keep(&store);
    // A setting that sends nothing elsewhere keeps them.
    let renamed = Profile {
        sphere_tenant_id: Some("x".into()),
        ..old.clone()
    };
    assert!(!forget_secrets_if_endpoints_changed("p", Some(&old), &renamed, &store).unwrap());
    assert_eq!(stored(&store), SecretKind::ALL.len());
    // A new profile has nothing to drop.
    assert!(!forget_secrets_if_endpoints_changed("p", None, &old, &store).unwrap());
    for moved in [
        Profile {
            authority_host: "https://login.example.com".into(),
            ..old.clone()
        },
        Profile {
            api_base: Some("https://sphere.example.com".into()),
            ..old.clone()
        },
        Profile {
            iothub: Some(IotHubSettings {
                host: "other.azure-devices.net".into(),
                api_base: None,
                auth: IotHubAuth::ConnectionString,
            }),
            ..old.clone()
        },
    ] {
        keep(&store);
        assert!(forget_secrets_if_endpoints_changed("p", Some(&old), &moved, &store).unwrap());
        assert_eq!(stored(&store), 0, "{moved:?}");
    }
}

#[tokio::test]
async fn iothub_through_entra_on_a_legacy_profile_needs_the_profiles_own_client() {
    let store = MemoryStore::new();
    store
        .persist(
            &SecretKey::new("l", SecretKind::RefreshToken),
            &Sensitive::from("rt"),
        )
        .unwrap();
    let profile = Profile {
        tenant_id: Some("contoso".into()),
        sphere_tenant_id: Some("sphere".into()),
        iothub: Some(IotHubSettings {
            host: "hub.azure-devices.net".into(),
            api_base: None,
            auth: IotHubAuth::Entra,
        }),
        ..Profile::new(Backend::Legacy)
    };
    let config = SessionConfig::from_profile("l", &profile).unwrap();
    let sources = SecretSources {
        store: &store,
        overrides: SecretOverrides::default(),
    };
    let session = Session::open(config, &sources).await.unwrap();
    let err = session.iothub().await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("client_id") && text.contains("azsphere"),
        "{text}"
    );
}
