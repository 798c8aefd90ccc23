//! `HTTP_PROXY` / `HTTPS_PROXY` are honoured: a one-test binary (it changes the process
//! environment) with a tiny listener standing in for a corporate proxy.

use std::time::Duration;

use asg_fota_core::cloud::legacy::LegacyClient;
use asg_fota_core::cloud::model::TenantId;
use asg_fota_core::cloud::transport::Credentials;
use asg_fota_core::cloud::{
    ControlPlane, PlaneSettings, RetryPolicy, Transport, TransportSettings,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Accepts one connection, returns its first line, answers `[]` (or drops a CONNECT).
async fn proxy_once(listener: &tokio::net::TcpListener) -> String {
    let (mut sock, _) = listener
        .accept()
        .await
        .expect("a connection through the proxy");
    let mut buf = vec![0u8; 4096];
    let n = sock.read(&mut buf).await.expect("request head");
    let head = String::from_utf8_lossy(&buf[..n]).to_string();
    if !head.starts_with("CONNECT") {
        let _ = sock
            .write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n[]",
            )
            .await;
    }
    head.lines().next().unwrap_or_default().to_owned()
}

fn client(base: &str) -> ControlPlane {
    let transport = Transport::new(TransportSettings {
        connect_timeout: Duration::from_secs(2),
        total_timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        },
        limits: Default::default(),
    })
    .expect("transport");
    ControlPlane::Legacy(
        LegacyClient::new(
            transport,
            base,
            TenantId::new("t"),
            Credentials::Anonymous,
            PlaneSettings::default(),
        )
        .expect("client"),
    )
}

#[tokio::test]
async fn proxies_from_the_environment_are_used() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let proxy = format!("http://{}", listener.local_addr().expect("addr"));
    for var in [
        "NO_PROXY",
        "no_proxy",
        "ALL_PROXY",
        "all_proxy",
        "http_proxy",
        "https_proxy",
    ] {
        std::env::remove_var(var);
    }
    std::env::set_var("HTTP_PROXY", &proxy);
    std::env::set_var("HTTPS_PROXY", &proxy);

    // Plain http to a host that is not this machine is refused before any request (secrets
    // would travel in clear text), so only the HTTPS proxy is ever used for a real endpoint.
    let plain = LegacyClient::new(
        Transport::new(TransportSettings::default()).expect("transport"),
        "http://asg-fota-proxy-test.invalid",
        TenantId::new("t"),
        Credentials::Anonymous,
        PlaneSettings::default(),
    );
    assert_eq!(plain.unwrap_err().kind(), "invalid_input");

    let tls = client("https://asg-fota-proxy-test.invalid");
    let (line, answer) = tokio::join!(proxy_once(&listener), tls.tenants_or_catalogs());
    assert!(
        line.starts_with("CONNECT asg-fota-proxy-test.invalid:443"),
        "{line}"
    );
    assert!(answer.is_err(), "the proxy refused the tunnel");
}
