//! The whole six-step FOTA flow through the real `asg-fota-cli` binary, once through a `legacy`
//! and once through an `arm` profile, each pointing at a simulator started by the test:
//! groups → upload → deploy → deployments → update-now → nodes → update-node --all-outdated.
//! The outcome is checked in the simulator's own state: the deployment holds exactly the chosen
//! images, the chosen gateways were moved and restarted and report the deployed versions, and
//! their outdated nodes run the new node firmware. A fault run repeats the flow under 429 bursts,
//! a 503 and a connection reset during uploads, a lost deployment answer, an expired token and an
//! offline gateway: every step completes or stops with a clear message, and the tenant never
//! holds a partial or duplicate deployment.
//!
//! The packages are synthetic (the core's test builder): their names carry versions
//! (`ASG210_HLApp_v1.2.3`, `ASG210_RTApp_v1.1.0_nodefw1.0.9`), which is how the simulator decides
//! what a gateway reports after installing them.

use crate::cloud_support;

use asg_fota_sim::SimHandle;
use serde_json::{json, Value};

use cloud_support::{arm_profile, legacy_profile, package, sim, text, Cli};

pub(crate) const HL: &str = "ASG210_HLApp_v1.2.3";
pub(crate) const RT: &str = "ASG210_RTApp_v1.1.0_nodefw1.0.9";

fn snapshot_group(sim: &SimHandle, name: &str) -> Value {
    sim.snapshot()["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == name)
        .cloned()
        .unwrap()
}

fn snapshot_device(sim: &SimHandle, id: &str) -> Value {
    sim.snapshot()["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"].as_str().unwrap().eq_ignore_ascii_case(id))
        .cloned()
        .unwrap()
}

fn snapshot_twin(sim: &SimHandle, id: &str) -> Value {
    sim.snapshot()["twins"]
        .as_object()
        .unwrap()
        .values()
        .find(|t| t["deviceId"].as_str().unwrap().eq_ignore_ascii_case(id))
        .cloned()
        .unwrap()
}

/// Online gateways with nodes in the group named `group`.
pub(crate) fn gateways_with_nodes(sim: &SimHandle, group: &str) -> Vec<String> {
    let group_id = snapshot_group(sim, group)["id"].clone();
    sim.snapshot()["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| {
            d["group_id"] == group_id
                && d["gateway"]["connected"] == true
                && d["gateway"]["nodes"]
                    .as_array()
                    .is_some_and(|n| !n.is_empty())
        })
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The deployments the simulator holds for a group, as image id sets.
fn deployments_of(sim: &SimHandle, group: &str) -> Vec<Vec<String>> {
    let group_id = snapshot_group(sim, group)["id"].clone();
    sim.snapshot()["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["group_id"] == group_id)
        .map(|d| {
            let mut ids: Vec<String> = d["images"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i.as_str().unwrap().to_lowercase())
                .collect();
            ids.sort();
            ids
        })
        .collect()
}

/// How many calls the simulator answered with `status` on a path containing `part`.
fn answered(sim: &SimHandle, status: u64, part: &str) -> usize {
    sim.snapshot()["journal"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == status && c["path"].as_str().is_some_and(|p| p.contains(part)))
        .count()
}

fn set_faults(sim: &SimHandle, plan: Value) {
    sim.set_faults(serde_json::from_value(plan).unwrap());
}

/// Steps 1–4: groups, upload, deploy, deployments. Returns the two image ids.
fn steps_one_to_four(cli: &Cli, hl: &str, rt: &str) -> (String, String) {
    let groups = cli.json(&["groups"]);
    assert!(groups
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["label"] == "ASG210-Gateways/Field Test"));

    let uploaded = cli.json(&["upload", "--group", "Field Test", hl, rt]);
    let ids: Vec<String> = uploaded
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            // The upload verb's row names (`outcome`/`imageId`, formerly `status`/`image_id`).
            let outcome = r.get("outcome").or_else(|| r.get("status")).unwrap();
            assert!(
                ["uploaded", "skipped", "already_present"].contains(&outcome.as_str().unwrap()),
                "{r}"
            );
            let id = r.get("imageId").or_else(|| r.get("image_id")).unwrap();
            id.as_str().unwrap().to_owned()
        })
        .collect();
    let (hl_id, rt_id) = (ids[0].clone(), ids[1].clone());

    cli.json(&["deploy", "--group", "Field Test", &hl_id, &rt_id]);
    let history = cli.json(&["deployments", "--group", "Field Test"]);
    let current: Vec<&Value> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["current"] == true)
        .collect();
    assert_eq!(current.len(), 1, "{history}");
    (hl_id, rt_id)
}

/// Step 5 on `chosen`; returns the JSON lines and whether the verb succeeded.
fn update_now(cli: &Cli, chosen: &[&str]) -> (bool, Vec<Value>, String) {
    let mut args = vec![
        "update-now",
        "--group",
        "Field Test",
        "--concurrency",
        "2",
        "--poll-interval",
        "0.05",
        "--timeout",
        "20",
    ];
    args.extend_from_slice(chosen);
    cli.lines(&args)
}

fn stages_of(lines: &[Value], device: &str) -> Vec<String> {
    lines
        .iter()
        .filter(|l| {
            l["deviceId"]
                .as_str()
                .is_some_and(|d| d.eq_ignore_ascii_case(device))
        })
        .map(|l| l["status"].as_str().unwrap().to_owned())
        .collect()
}

/// Step 6: the node matrix of `chosen`, then every outdated node of each updated.
fn nodes_step(sim: &SimHandle, cli: &Cli, chosen: &[&str]) {
    let matrix = cli.json(&[&["nodes"], chosen].concat());
    let rows = matrix.as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["available"] == "1.0.9"), "{matrix}");
    let outdated = rows.iter().filter(|r| r["updatable"] == true).count();
    assert!(outdated > 0, "the new node firmware makes nodes outdated");
    for gateway in chosen {
        let (ok, lines, stderr) = cli.lines(&[
            "update-node",
            gateway,
            "--all-outdated",
            "--poll-interval",
            "0.05",
        ]);
        assert!(ok, "update-node {gateway}: {stderr} {lines:?}");
        let report = lines.last().unwrap();
        assert!(report["failed"].as_array().unwrap().is_empty(), "{report}");
    }
    // The simulator's twins: every node of every chosen gateway runs 1.0.9.
    for gateway in chosen {
        let twin = snapshot_twin(sim, gateway);
        for (mac, node) in twin["properties"]["reported"]["Nodes"].as_object().unwrap() {
            assert_eq!(node["fwVersion"], "1.0.9", "{gateway} {mac}");
        }
    }
    // The human forms: the group's matrix as a table; a MAC the gateway does not list fails
    // with plain words and exit 1.
    let table = cli.run(&["nodes", "--group", "Field Test"]);
    assert!(table.status.success(), "{}", text(&table.stderr));
    assert!(
        text(&table.stdout).starts_with("GATEWAY"),
        "{}",
        text(&table.stdout)
    );
    let unknown = cli.run(&[
        "update-node",
        chosen[0],
        "00:08:DC:FF:FF:FF",
        "--poll-interval",
        "0.05",
    ]);
    assert!(!unknown.status.success());
    assert!(
        text(&unknown.stdout).contains("does not list a node with MAC 0008DCFFFFFF"),
        "{}",
        text(&unknown.stdout)
    );

    let after = cli.json(&[&["nodes"], chosen].concat());
    assert!(after
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["updatable"] == false));
}

/// The six steps, checked in the simulator's state.
fn whole_flow(sim: &SimHandle, cli: &Cli) {
    let packages = tempfile::tempdir().unwrap();
    let (hl, hl_expected) = package(packages.path(), HL, false);
    let (rt, rt_expected) = package(packages.path(), RT, true);
    let (hl_id, rt_id) = steps_one_to_four(cli, &hl, &rt);
    assert!(hl_id.eq_ignore_ascii_case(&hl_expected) && rt_id.eq_ignore_ascii_case(&rt_expected));

    // The deployment holds exactly the chosen images.
    let field = snapshot_group(sim, "Field Test");
    let deployments = deployments_of(sim, "Field Test");
    let mut want = vec![hl_expected.to_lowercase(), rt_expected.to_lowercase()];
    want.sort();
    assert_eq!(deployments, vec![want.clone()]);
    assert!(field["current_deployment"].is_string());

    let in_group = gateways_with_nodes(sim, "Field Test");
    let elsewhere = gateways_with_nodes(sim, "Development");
    let chosen = [
        in_group[0].as_str(),
        in_group[1].as_str(),
        elsewhere[0].as_str(),
    ];
    let before: Vec<Value> = chosen
        .iter()
        .map(|d| snapshot_device(sim, d)["last_update_request"].clone())
        .collect();
    let (ok, lines, stderr) = update_now(cli, &chosen);
    assert!(ok, "update-now failed: {stderr} {lines:#?}");
    let report = lines.last().unwrap();
    assert_eq!(report["succeeded"].as_array().unwrap().len(), 3, "{report}");
    assert_eq!(
        stages_of(&lines, chosen[2]),
        [
            "requested",
            "moved",
            "restarting",
            "checked_in",
            "on_target"
        ]
    );
    assert_eq!(
        stages_of(&lines, chosen[0]),
        ["requested", "restarting", "checked_in", "on_target"]
    );
    assert!(lines
        .iter()
        .filter(|l| l.get("status").is_some())
        .all(|l| l["at"].is_string()));

    // Moved, restarted (checked in again), on the deployed versions.
    for (device, before) in chosen.iter().zip(&before) {
        let record = snapshot_device(sim, device);
        assert_eq!(record["group_id"], field["id"], "{device}");
        assert_ne!(
            &record["last_update_request"], before,
            "{device} checked in again"
        );
        let reported = &snapshot_twin(sim, device)["properties"]["reported"];
        assert_eq!(reported["HLAppVer"], "1.2.3");
        assert_eq!(reported["RTAppVer"], "1.1.0");
    }

    nodes_step(sim, cli, &chosen);

    // The local journal recorded every change, with no secret in it.
    let journal = cli.journal();
    // Moves, restarts and node updates are write-ahead: a `pending` intent, then the outcome.
    let count = |action: &str| {
        let lines = journal.iter().filter(|l| l["action"] == action);
        let (intents, outcomes): (Vec<_>, Vec<_>) = lines.partition(|l| l["result"] == "pending");
        if action != "upload" && action != "deploy" {
            assert_eq!(intents.len(), outcomes.len(), "{action}: {journal:#?}");
        }
        outcomes.len()
    };
    assert_eq!(count("move"), 1, "{journal:#?}");
    assert_eq!(count("restart"), 3);
    assert!(count("node_update") > 0);
    let raw = serde_json::to_string(&journal).unwrap();
    assert!(!raw.contains(&sim.demo().service_principal_secret));
    assert!(!raw.contains("SharedAccessKey="));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_six_steps_through_a_legacy_profile() {
    let sim = sim().await;
    let cli = Cli::new(&sim, legacy_profile(&sim));
    whole_flow(&sim, &cli);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_six_steps_through_an_arm_profile() {
    let sim = sim().await;
    let cli = Cli::new(&sim, arm_profile(&sim));
    whole_flow(&sim, &cli);
    sim.shutdown().await;
}

/// Runs a verb that may fail under a fault: it either succeeds or names the problem in plain
/// words on stderr; a failed run is then repeated without the fault and must succeed.
fn completes_or_stops_clearly(sim: &SimHandle, cli: &Cli, args: &[&str], words: &[&str]) -> Value {
    let out = cli.run(&[args, &["--json"]].concat());
    if out.status.success() {
        return serde_json::from_slice(&out.stdout).unwrap();
    }
    let stderr = text(&out.stderr);
    assert!(
        words.iter().any(|w| stderr.contains(w)),
        "{args:?} failed without a clear message: {stderr}"
    );
    set_faults(sim, json!({}));
    cli.json(args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_faults_the_flow_completes_or_stops_clearly_and_never_leaves_a_bad_deployment() {
    let sim = sim().await;
    let cli = Cli::new(&sim, legacy_profile(&sim));
    let packages = tempfile::tempdir().unwrap();
    let (hl, hl_id) = package(packages.path(), HL, false);
    let (rt, rt_id) = package(packages.path(), RT, true);
    let images_path = "/v2/tenants/*/images";
    let deploy_path = "/v2/tenants/*/devicegroups/*/deployments";

    // A burst of 429s on reads: retried after Retry-After.
    set_faults(
        &sim,
        json!({"rules": [{"service": "legacy", "method": "GET", "when": {"first_n": 3},
                          "action": {"kind": "throttle", "retry_after_secs": 1}}]}),
    );
    cli.json(&["groups"]);
    assert_eq!(answered(&sim, 429, "/v2/tenants"), 3, "the burst happened");

    // A 503 on the first upload request, then a connection reset in the middle of the next.
    set_faults(
        &sim,
        json!({"rules": [{"service": "legacy", "method": "POST", "path": images_path,
                          "when": {"first_n": 1}, "action": {"kind": "status", "status": 503}}]}),
    );
    completes_or_stops_clearly(
        &sim,
        &cli,
        &["upload", "--group", "Field Test", &hl],
        &["503"],
    );
    set_faults(
        &sim,
        json!({"rules": [{"service": "legacy", "method": "POST", "path": images_path,
                          "when": {"first_n": 1},
                          "action": {"kind": "reset_request", "after_bytes": 2000}}]}),
    );
    completes_or_stops_clearly(
        &sim,
        &cli,
        &["upload", "--group", "Field Test", &rt],
        &["connection", "reset"],
    );
    assert_eq!(answered(&sim, 503, "/images"), 1, "the 503 happened");
    let images = sim.snapshot()["images"].clone();
    for id in [&hl_id, &rt_id] {
        let copies = images
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["id"].as_str().unwrap().eq_ignore_ascii_case(id))
            .count();
        assert_eq!(copies, 1, "image {id} is in the tenant exactly once");
    }

    // The deployment's answer is lost (reset after the service acted) and the token has expired:
    // never a duplicate, never a partial set.
    set_faults(
        &sim,
        json!({"rules": [
            {"service": "legacy", "method": "POST", "path": deploy_path, "when": {"first_n": 1},
             "action": {"kind": "reset_response", "after_bytes": 0}},
            {"service": "legacy", "method": "GET", "path": "/v2/tenants/*/devicegroups/*",
             "when": {"first_n": 1}, "action": {"kind": "expired_token"}}
        ]}),
    );
    completes_or_stops_clearly(
        &sim,
        &cli,
        &["deploy", "--group", "Field Test", &hl_id, &rt_id],
        &["Sign in again", "connection", "check its state"],
    );
    let mut want = vec![hl_id.to_lowercase(), rt_id.to_lowercase()];
    want.sort();
    assert_eq!(
        deployments_of(&sim, "Field Test"),
        vec![want],
        "one deployment, both images"
    );

    // Update now with one gateway offline and a token expiring on the way: the others finish,
    // the offline one fails with plain words, and its retry works once it is back.
    let in_group = gateways_with_nodes(&sim, "Field Test");
    let offline = in_group[1].clone();
    let chosen = [in_group[0].as_str(), offline.as_str()];
    set_faults(
        &sim,
        json!({"offline_devices": [offline.to_lowercase()],
               "rules": [{"service": "legacy", "method": "GET", "path": "/v2/tenants/*/devices/*",
                          "when": {"first_n": 1}, "action": {"kind": "expired_token"}},
                         {"service": "iothub", "path": "/twins/*", "when": {"first_n": 2},
                          "action": {"kind": "throttle", "retry_after_secs": 0}}]}),
    );
    let (ok, lines, _) = update_now(&cli, &chosen);
    assert!(!ok, "a failed gateway makes the exit code 1");
    let report = lines.last().unwrap();
    assert_eq!(report["succeeded"].as_array().unwrap().len(), 1, "{report}");
    let failure = &report["failed"][0];
    assert!(failure["deviceId"]
        .as_str()
        .unwrap()
        .eq_ignore_ascii_case(&offline));
    assert_eq!(failure["kind"], "device_offline");
    assert!(failure["reason"]
        .as_str()
        .unwrap()
        .contains("not connected to IoT Hub"));
    // The human form says the same and how to retry.
    set_faults(&sim, json!({"offline_devices": [offline.to_lowercase()]}));
    let out = cli.run(&[
        "update-now",
        "--group",
        "Field Test",
        "--poll-interval",
        "0.05",
        &offline,
    ]);
    assert!(!out.status.success());
    let human = text(&out.stdout);
    assert!(
        human.contains("FAILED: the gateway is not connected to IoT Hub"),
        "{human}"
    );
    assert!(human.contains("retry with: update-now"), "{human}");

    set_faults(&sim, json!({}));
    let (ok, lines, stderr) = update_now(&cli, &[offline.as_str()]);
    assert!(ok, "the retry works: {stderr} {lines:?}");
    assert_eq!(
        snapshot_twin(&sim, &offline)["properties"]["reported"]["HLAppVer"],
        "1.2.3"
    );
    assert_eq!(
        deployments_of(&sim, "Field Test").len(),
        1,
        "still one deployment"
    );
    sim.shutdown().await;
}
