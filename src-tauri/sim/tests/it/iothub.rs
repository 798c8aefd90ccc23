//! Conformance of the simulated IoT Hub service API: twins, direct methods, queries, auth.

use crate::sim_harness;

use serde_json::{json, Value};
use sim_harness::{now, sas_from, sim, status_json, Sim};

fn online_device(sim: &Sim) -> String {
    let snapshot = sim.handle.snapshot();
    let twins = snapshot["twins"].as_object().expect("twins");
    twins
        .iter()
        .find(|(_, t)| t["connectionState"] == "Connected")
        .map(|(id, _)| id.clone())
        .expect("an online gateway")
}

#[tokio::test]
async fn twins_have_the_gateway_contract_properties() {
    let sim = sim().await;
    let id = online_device(&sim);
    // Device ids are case-sensitive on the hub: the gateway is registered in lower case.
    let twin = sim.twin(&id.to_lowercase()).await;
    assert_eq!(twin["deviceId"], id.to_lowercase().as_str());
    assert_eq!(twin["connectionState"], "Connected");
    for key in ["etag", "status", "lastActivityTime"] {
        assert!(twin[key].is_string(), "{key} in {twin}");
    }
    let reported = &twin["properties"]["reported"];
    assert_eq!(reported["Manufacturer"], "WIZnet");
    assert_eq!(reported["Model"], "ASG210-DEMO");
    for key in ["HLAppVer", "RTAppVer", "NodeFwAvailable"] {
        let v = reported[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} in {reported}"));
        assert_eq!(
            v.split('.').filter(|p| p.parse::<u16>().is_ok()).count(),
            3,
            "{key}={v}"
        );
    }
    let nodes = reported["Nodes"].as_object().expect("Nodes");
    assert!(nodes.len() <= 4);
    for (mac, node) in nodes {
        assert!(
            mac.len() == 12 && mac.chars().all(|c| c.is_ascii_hexdigit()),
            "{mac}"
        );
        assert!(
            node["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("WIZ750SR-")),
            "{node}"
        );
        assert!(
            node["fwVersion"]
                .as_str()
                .is_some_and(|v| v.starts_with("1.0.")),
            "{node}"
        );
        assert_eq!(node["status"], "READY");
    }
    // Some gateway of the default fleet has nodes.
    let snapshot = sim.handle.snapshot();
    let with_nodes = snapshot["twins"]
        .as_object()
        .expect("twins")
        .values()
        .filter(|t| {
            t["properties"]["reported"]["Nodes"]
                .as_object()
                .is_some_and(|n| !n.is_empty())
        })
        .count();
    assert!(with_nodes > 0);
}

#[tokio::test]
async fn query_pages_with_continuation_and_filters() {
    let sim = sim().await;
    let mut all = Vec::new();
    let mut continuation: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut request = sim
            .http
            .post(sim.iothub("/devices/query"))
            .header("authorization", sim.sas(now() + 600))
            .header("x-ms-max-item-count", "5")
            .json(&json!({"query": "SELECT * FROM devices"}));
        if let Some(c) = &continuation {
            request = request.header("x-ms-continuation", c);
        }
        let response = request.send().await.expect("request");
        let next = response
            .headers()
            .get("x-ms-continuation")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let (status, page) = status_json(response).await;
        assert_eq!(status, 200, "{page}");
        all.extend(page.as_array().expect("array of twins").iter().cloned());
        pages += 1;
        match next {
            Some(c) => continuation = Some(c),
            None => break,
        }
    }
    assert_eq!((all.len(), pages), (24, 5));

    // `deviceId` compares exactly (ids are case-sensitive): the upper-case spelling the Sphere
    // APIs use finds nothing.
    for (spell, expected) in [
        (str::to_lowercase as fn(&str) -> String, 3),
        (str::to_uppercase, 0),
    ] {
        let ids: Vec<String> = all
            .iter()
            .take(3)
            .map(|t| spell(t["deviceId"].as_str().expect("id")))
            .collect();
        let query = format!(
            "SELECT * FROM devices WHERE deviceId IN ['{}', '{}', '{}']",
            ids[0], ids[1], ids[2]
        );
        let (status, found) = sim
            .hub_post("/devices/query", &json!({"query": query}))
            .await;
        assert_eq!(status, 200);
        assert_eq!(found.as_array().map(Vec::len), Some(expected), "{query}");
    }

    let expected = all
        .iter()
        .filter(|t| t["properties"]["reported"]["RTAppVer"] == "1.0.1")
        .count();
    let (_, found) = sim
        .hub_post(
            "/devices/query",
            &json!({"query": "SELECT * FROM devices WHERE properties.reported.RTAppVer = '1.0.1'"}),
        )
        .await;
    assert_eq!(found.as_array().map(Vec::len), Some(expected));
    let (_, found) = sim.hub_post("/devices/query", &json!({"query": "SELECT * FROM devices WHERE connectionState = 'Connected' AND properties.reported.Model = 'ASG210-DEMO'"})).await;
    let connected = all
        .iter()
        .filter(|t| t["connectionState"] == "Connected")
        .count();
    assert_eq!(found.as_array().map(Vec::len), Some(connected));

    for bad in [
        json!({"query": "SELECT deviceId FROM devices"}),
        json!({"q": 1}),
    ] {
        let (status, body) = sim.hub_post("/devices/query", &bad).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["Message"]
                .as_str()
                .is_some_and(|m| m.starts_with("ErrorCode:")),
            "{body}"
        );
    }
}

#[tokio::test]
async fn sas_and_bearer_auth_are_checked() {
    let sim = sim().await;
    let id = online_device(&sim);
    let url = sim.iothub(&format!("/twins/{id}"));
    let wrong_key = sim
        .demo()
        .iothub_connection_string
        .replace("SharedAccessKey=", "SharedAccessKey=AAAA");
    let other_host = sim
        .demo()
        .iothub_connection_string
        .replace("asg-demo-hub", "other-hub");
    let cases: Vec<(Option<String>, u16)> = vec![
        (Some(sim.sas(now() + 600)), 200),
        (None, 401),
        (Some(sim.sas(now() - 10)), 401),
        (Some(sas_from(&wrong_key, now() + 600)), 401),
        (Some(sas_from(&other_host, now() + 600)), 401),
        (Some("SharedAccessSignature garbage".to_string()), 401),
        (
            Some(format!(
                "Bearer {}",
                sim.sp_token("https://iothubs.azure.net/.default").await
            )),
            200,
        ),
        (Some(format!("Bearer {}", sim.legacy_token().await)), 401),
    ];
    for (auth, status) in cases {
        let mut request = sim.http.get(&url);
        if let Some(a) = &auth {
            request = request.header("authorization", a);
        }
        let (got, body) = status_json(request.send().await.expect("request")).await;
        assert_eq!(got, status, "{auth:?}: {body}");
        if status == 401 {
            assert!(
                body["Message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("ErrorCode:IotHubUnauthorizedAccess;")),
                "{body}"
            );
            assert!(body["ExceptionMessage"].is_string());
        }
    }
    // api-version is required.
    let response = sim
        .http
        .get(format!("{}/twins/{id}", sim.handle.urls().iothub))
        .header("authorization", sim.sas(now() + 600))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn methods_answer_per_contract_for_unknown_offline_and_unknown_method() {
    let sim = sim().await;
    let id = online_device(&sim);
    let (status, body) = sim
        .method(&"ab".repeat(64), "RestartDevice", json!({}))
        .await;
    assert_eq!(status, 404);
    assert!(
        body["Message"]
            .as_str()
            .is_some_and(|m| m.contains("DeviceNotFound")),
        "{body}"
    );

    let (status, body) = sim.method(&id, "Dance", json!({})).await;
    assert_eq!((status, &body["status"]), (200, &json!(404)));

    let (status, body) = sim.method(&id, "UpdateNodeFirmware", json!({})).await;
    assert_eq!((status, &body["status"]), (200, &json!(400)));

    assert_eq!(
        sim.control_post(
            &format!("/devices/{id}/connection"),
            &json!({"connected": false})
        )
        .await,
        204
    );
    assert_eq!(sim.twin(&id).await["connectionState"], "Disconnected");
    let (status, body) = sim
        .method(&id, "RestartDevice", json!({"delaySeconds": 5}))
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(sim_harness::hub_error_code(&body), Some(404103), "{body}");
    let inner: Value =
        serde_json::from_str(body["Message"].as_str().expect("Message")).expect("nested JSON");
    assert_eq!(inner["errorCode"], 404103);

    let (status, body) = sim
        .hub_post(&format!("/twins/{id}/methods"), &json!({"payload": {}}))
        .await;
    assert_eq!(status, 400, "{body}");
}
