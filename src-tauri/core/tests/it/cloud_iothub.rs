//! The IoT Hub client against the simulated hub over real HTTP, authorized with a SAS token made
//! from the demo connection string: twins, queries across pages, direct methods, offline and
//! timeout answers as typed errors.

use asg_fota_testkit::cloud as cloud_support;

use asg_fota_core::cloud::iothub::{ConnectionString, IotHubClient, MethodTimeouts};
use asg_fota_core::cloud::model::DeviceId;
use asg_fota_core::cloud::Secret;
use cloud_support::*;
use serde_json::json;

fn hub(sim: &asg_fota_sim::SimHandle) -> IotHubClient {
    let conn = ConnectionString::parse(&Secret::new(sim.demo().iothub_connection_string.clone()))
        .expect("demo connection string");
    IotHubClient::with_sas(transport(), &sim.urls().iothub, &conn).expect("client")
}

#[tokio::test]
async fn twins_queries_and_methods() {
    let sim = sim().await;
    let hub = hub(&sim);
    let mut pages = 0;
    let twins = hub
        .query_twins("SELECT * FROM devices", Some(5), |_| pages += 1)
        .await
        .expect("query");
    assert!(twins.len() > 5);
    assert!(pages > 1, "paged with x-ms-continuation");
    let online = twins
        .iter()
        .find(|t| t.is_connected())
        .expect("a connected gateway");
    let id = DeviceId::parse(&online.device_id).expect("a device id");
    let twin = hub.twin(&id).await.expect("twin");
    assert!(twin.reported("HLAppVer").is_some(), "{twin:?}");
    let answer = hub
        .invoke_method(
            &id,
            "RestartDevice",
            &json!({"delaySeconds": 0}),
            MethodTimeouts::default(),
        )
        .await
        .expect("restart");
    assert_eq!(answer.status, 200);

    faults(&sim, json!({"offline_devices": [id.as_str()]}));
    let e = hub
        .invoke_method(&id, "RestartDevice", &json!({}), MethodTimeouts::default())
        .await
        .expect_err("offline");
    assert_eq!(e.kind(), "device_offline");
    faults(
        &sim,
        json!({"rules": [{"service": "iothub", "path": "/twins/*/methods", "action": {"kind": "device_timeout"}}]}),
    );
    let e = hub
        .invoke_method(&id, "RestartDevice", &json!({}), MethodTimeouts::default())
        .await
        .expect_err("timeout");
    assert_eq!(e.kind(), "device_timeout");
    sim.shutdown().await;
}

#[tokio::test]
async fn an_entra_token_works_too_and_a_bad_key_is_refused() {
    let sim = sim().await;
    let tokens = service_principal(&sim, asg_fota_core::cloud::auth::scopes::IOTHUB);
    let hub = IotHubClient::with_token(transport(), &sim.urls().iothub, tokens).expect("client");
    let twins = hub
        .query_twins("SELECT * FROM devices", None, |_| {})
        .await
        .expect("query");
    assert!(!twins.is_empty());

    let real = sim.demo().iothub_connection_string.clone();
    let host = real
        .split(';')
        .find_map(|p| p.strip_prefix("HostName="))
        .expect("a host name")
        .to_owned();
    let wrong = ConnectionString::parse(&Secret::new(format!(
        "HostName={host};SharedAccessKeyName=service;SharedAccessKey=d3Jvbmcta2V5LXdyb25nLWtleQ=="
    )))
    .expect("well-formed");
    let hub = IotHubClient::with_sas(transport(), &sim.urls().iothub, &wrong).expect("client");
    let e = hub
        .query_twins("SELECT * FROM devices", None, |_| {})
        .await
        .expect_err("bad key");
    assert_eq!(e.kind(), "unauthorized", "{e}");
    sim.shutdown().await;
}
