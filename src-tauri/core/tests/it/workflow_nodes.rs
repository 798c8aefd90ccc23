//! Step 6 against the real simulated tenant: the node matrix, "update all outdated" until the
//! nodes report the new firmware, a busy node (409), an unknown MAC, an offline gateway, and a
//! retry of the failed ones. Outcomes are checked in the simulator's own twins.

use crate::workflow_support;
use asg_fota_testkit::cloud as cloud_support;

use std::time::Duration;

use asg_fota_core::cloud::iothub::MethodTimeouts;
use asg_fota_core::cloud::model::DeviceId;
use asg_fota_core::workflow::nodes::{
    node_matrix, outdated, update_nodes, NodeEvent, NodeRef, NodeStage, NodeUpdateSettings,
};
use asg_fota_sim::holds::Hold;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;
use workflow_support::*;

fn settings() -> NodeUpdateSettings {
    NodeUpdateSettings {
        concurrency: 4,
        poll_interval: Duration::from_millis(20),
        deadline: Duration::from_secs(10),
        method_timeouts: MethodTimeouts::default(),
    }
}

/// Online gateways (any group) with at least one node older than their available firmware.
fn with_outdated_nodes(sim: &asg_fota_sim::SimHandle) -> Vec<DeviceId> {
    let snapshot = sim.snapshot();
    snapshot["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| online(d))
        .filter(|d| {
            let available = d["gateway"]["node_fw_available"].clone();
            d["gateway"]["nodes"]
                .as_array()
                .is_some_and(|nodes| nodes.iter().any(|n| n["fw_version"] != available))
        })
        .map(|d| DeviceId::parse(d["id"].as_str().unwrap()).unwrap())
        .collect()
}

fn nodes_in_twin(sim: &asg_fota_sim::SimHandle, gateway: &DeviceId) -> (Value, Value) {
    let t = twin(sim, gateway);
    let reported = &t["properties"]["reported"];
    (
        reported["Nodes"].clone(),
        reported["NodeFwAvailable"].clone(),
    )
}

#[tokio::test]
async fn the_matrix_and_update_all_outdated_bring_every_node_to_the_available_firmware() {
    let sim = cloud_support::sim().await;
    let dir = tempfile::tempdir().unwrap();
    let fleet = fleet(&sim, cloud_support::legacy(&sim, None), &dir);
    let chosen: Vec<DeviceId> = with_outdated_nodes(&sim).into_iter().take(3).collect();
    assert!(chosen.len() >= 2, "the seeded fleet has outdated nodes");

    let rows = node_matrix(&fleet, &chosen).await.unwrap();
    // Every node of every chosen gateway is a row; updatable exactly where the twin says older.
    let total: usize = chosen
        .iter()
        .map(|g| nodes_in_twin(&sim, g).0.as_object().unwrap().len())
        .sum();
    assert_eq!(rows.len(), total);
    for row in &rows {
        let (nodes, available) = nodes_in_twin(&sim, &row.gateway_id);
        let node = &nodes[&row.mac];
        assert_eq!(row.current.as_deref(), node["fwVersion"].as_str());
        assert_eq!(row.available.as_deref(), available.as_str());
        assert_eq!(row.updatable, node["fwVersion"] != available, "{row:?}");
    }
    let todo = outdated(&rows);
    assert!(!todo.is_empty());

    let (events, sink) = recorder::<NodeEvent>();
    let report = update_nodes(
        &fleet,
        todo.clone(),
        &settings(),
        &CancellationToken::new(),
        &sink,
    )
    .await;
    assert!(report.all_succeeded(), "{report:#?}");
    assert_eq!(report.succeeded.len(), todo.len());
    let events = events.lock().unwrap().clone();
    for node in &todo {
        let mine: Vec<&NodeEvent> = events
            .iter()
            .filter(|e| e.gateway_id == node.gateway_id && e.mac == node.mac)
            .collect();
        assert_eq!(mine.first().unwrap().state, NodeStage::Requested);
        let last = mine.last().unwrap();
        assert_eq!(last.state, NodeStage::Succeeded);
        let (_, available) = nodes_in_twin(&sim, &node.gateway_id);
        assert_eq!(last.version.as_deref(), available.as_str());
    }
    assert!(
        events
            .iter()
            .any(|e| e.state == NodeStage::InProgress && e.percent.is_some()),
        "progress was followed"
    );

    // The simulator's twins: every node now runs the available firmware.
    for gateway in &chosen {
        let (nodes, available) = nodes_in_twin(&sim, gateway);
        for (mac, node) in nodes.as_object().unwrap() {
            assert_eq!(node["fwVersion"], available, "{mac}");
        }
    }
    assert!(outdated(&node_matrix(&fleet, &chosen).await.unwrap()).is_empty());
    let journaled = journal(&dir)
        .iter()
        .filter(|l| l["action"] == "node_update" && l["result"] == "ok")
        .count();
    assert_eq!(journaled, todo.len());
    sim.shutdown().await;
}

#[tokio::test]
async fn a_busy_node_an_unknown_mac_and_an_offline_gateway_fail_clearly_and_retry_works() {
    // Node updates are held before they finish, so the first one is still running when the
    // second request arrives, however slow the machine.
    let sim = cloud_support::sim().await;
    sim.hold(Hold::NodeUpdates);
    let dir = tempfile::tempdir().unwrap();
    let fleet = fleet(&sim, cloud_support::legacy(&sim, None), &dir);
    let gateways = with_outdated_nodes(&sim);
    let (busy_gateway, offline_gateway) = (gateways[0].clone(), gateways[1].clone());
    let rows = node_matrix(&fleet, &[busy_gateway.clone(), offline_gateway.clone()])
        .await
        .unwrap();
    let busy = outdated(&rows)
        .into_iter()
        .find(|n| n.gateway_id == busy_gateway)
        .unwrap();
    let on_offline = rows
        .iter()
        .find(|r| r.gateway_id == offline_gateway)
        .map(|r| NodeRef {
            gateway_id: r.gateway_id.clone(),
            mac: r.mac.clone(),
        })
        .unwrap();

    // Someone else starts the busy node's update first.
    let answer = fleet
        .iothub()
        .invoke_method(
            &busy.gateway_id,
            "UpdateNodeFirmware",
            &json!({"mac": busy.mac}),
            MethodTimeouts::default(),
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 202);
    sim.set_faults(
        serde_json::from_value(json!({"offline_devices": [offline_gateway.as_str()]})).unwrap(),
    );

    let unknown = NodeRef {
        gateway_id: busy_gateway.clone(),
        mac: "00:08:DC:FF:FF:FF".into(),
    };
    let asked = vec![busy.clone(), unknown.clone(), on_offline.clone()];
    let (_events, sink) = recorder::<NodeEvent>();
    let report = update_nodes(&fleet, asked, &settings(), &CancellationToken::new(), &sink).await;
    let kind_of = |node: &NodeRef| {
        report
            .failed
            .iter()
            .find(|f| f.node.gateway_id == node.gateway_id && f.node.mac == node.mac)
            .map(|f| (f.kind, f.reason.clone()))
    };
    let (kind, reason) = kind_of(&busy).expect("busy failed");
    assert_eq!(kind, "node_busy", "{reason}");
    assert!(reason.contains("already being updated"), "{reason}");
    let (kind, _) = kind_of(&NodeRef {
        gateway_id: busy_gateway.clone(),
        mac: "0008DCFFFFFF".into(),
    })
    .expect("unknown failed");
    assert_eq!(kind, "unknown_node");
    let (kind, reason) = kind_of(&on_offline).expect("offline failed");
    assert_eq!(kind, "device_offline");
    assert!(reason.contains("not connected to IoT Hub"), "{reason}");
    assert!(report.succeeded.is_empty());

    // The first update finishes, the gateway comes back; retrying the failed nodes that exist
    // works (the busy one is then already on the new firmware, which counts as done).
    sim.release(Hold::NodeUpdates);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while device(&sim, &busy.gateway_id)["gateway"]["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .any(|n| n["update"]["state"] == "InProgress")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the released update never finished"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    sim.set_faults(Default::default());
    let retry: Vec<NodeRef> = report
        .retry()
        .into_iter()
        .filter(|n| n.mac != "0008DCFFFFFF")
        .collect();
    assert_eq!(retry.len(), 2);
    let (_events, sink) = recorder::<NodeEvent>();
    let again = update_nodes(&fleet, retry, &settings(), &CancellationToken::new(), &sink).await;
    assert!(again.all_succeeded(), "{again:#?}");
    for node in [&busy, &on_offline] {
        let (nodes, available) = nodes_in_twin(&sim, &node.gateway_id);
        assert_eq!(nodes[&node.mac]["fwVersion"], available);
    }
    let failed_lines = journal(&dir)
        .iter()
        .filter(|l| l["action"] == "node_update" && l["result"] == "failed")
        .count();
    assert_eq!(
        failed_lines, 1,
        "the 409 was journaled; unknown and offline never reached a gateway"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn cancelling_a_node_run_marks_the_waiting_nodes_cancelled() {
    let sim = cloud_support::sim().await;
    let dir = tempfile::tempdir().unwrap();
    let fleet = fleet(&sim, cloud_support::legacy(&sim, None), &dir);
    let chosen = with_outdated_nodes(&sim);
    let todo = outdated(&node_matrix(&fleet, &chosen).await.unwrap());
    assert!(todo.len() >= 3);
    let cancel = CancellationToken::new();
    cancel.cancel();
    let (events, sink) = recorder::<NodeEvent>();
    let settings = NodeUpdateSettings {
        concurrency: 1,
        ..settings()
    };
    let report = update_nodes(&fleet, todo.clone(), &settings, &cancel, &sink).await;
    assert_eq!(report.cancelled.len(), todo.len());
    assert!(events
        .lock()
        .unwrap()
        .iter()
        .all(|e| e.state == NodeStage::Cancelled));
    assert!(!hub_calls(&sim).iter().any(|(_, p)| p.ends_with("/methods")));
    sim.shutdown().await;
}
