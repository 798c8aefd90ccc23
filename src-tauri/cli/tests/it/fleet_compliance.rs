//! `asg-fota-cli compliance` after a partial rollout, once through a legacy and once through an
//! ARM profile, against a simulator started by the test.
//!
//! The rollout: a deployment to Field Test (UpdateAll), two of its gateways updated with
//! `update-now`, one held offline; a deployment to Frozen (No3rdPartyAppUpdates), one of its
//! gateways restarted, so it checks in and keeps its versions (failed). Every other gateway has
//! not checked in since its deployment (pending), and groups without a deployment have no target
//! (unknown). The CLI's JSON counts are compared with counts worked out from the simulator's own
//! state (its devices, deployments, images and rendered twins), not from the CLI's answer — the
//! oracle `asg_fota_testkit::scenario::expected_from_sim`, which the app's Fleet-screen window
//! test shares (there the same rollout is made through the core's `Tenant`).

use crate::cloud_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use asg_fota_sim::SimHandle;
use serde_json::{json, Value};

use asg_fota_testkit::scenario::{self, expected_from_sim, last_check_in, online_in};
use cloud_support::{arm_profile, legacy_profile, sim, text, Cli};

fn package(dir: &Path, name: &str, real_time: bool) -> String {
    let path = scenario::package(dir, name, real_time);
    path.to_str().unwrap().to_owned()
}

fn time(v: &Value) -> time::OffsetDateTime {
    time::OffsetDateTime::parse(
        v.as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap()
}

fn counts_from_cli(report: &Value) -> BTreeMap<String, (Vec<usize>, Vec<usize>)> {
    let n = |f: &Value| f["count"].as_u64().unwrap() as usize;
    let mut out = BTreeMap::new();
    for product in report["products"].as_array().unwrap() {
        for g in product["groups"].as_array().unwrap() {
            let gw = &g["gateways"];
            let nodes = &g["nodes"];
            out.insert(
                g["groupName"].as_str().unwrap().to_owned(),
                (
                    ["onTarget", "pending", "failed", "offline", "unknown"]
                        .iter()
                        .map(|k| n(&gw[*k]))
                        .collect(),
                    ["outdated", "upToDate", "updating"]
                        .iter()
                        .map(|k| n(&nodes[*k]))
                        .collect(),
                ),
            );
        }
    }
    out
}

async fn partial_rollout_then_compliance(profile: fn(&SimHandle) -> Value) {
    let sim = sim().await;
    let cli = Cli::new(&sim, profile(&sim));
    let dir = tempfile::tempdir().unwrap();
    let hl = package(dir.path(), "ASG210_HLApp_v1.2.3", false);
    let rt = package(dir.path(), "ASG210_RTApp_v1.1.0_nodefw1.0.9", true);

    // Before any deployment there is no target: every gateway is unknown.
    let before = cli.json(&["compliance"]);
    assert_eq!(
        before["gateways"]["unknown"]["count"], before["gateways"]["total"],
        "{before}"
    );
    assert!(before["gateways"]["total"].as_u64().unwrap() > 0);

    cli.json(&["deploy", "--group", "Field Test", &hl, &rt]);
    cli.json(&["deploy", "--group", "Frozen", &hl, &rt]);

    let field = online_in(&sim.snapshot(), "Field Test");
    assert!(
        field.len() >= 4,
        "the demo fleet has online gateways: {field:?}"
    );
    let (updated, offline) = (&field[..2], &field[2]);
    let mut args = vec![
        "update-now",
        "--group",
        "Field Test",
        "--poll-interval",
        "0.05",
        "--timeout",
        "20",
    ];
    args.extend(updated.iter().map(String::as_str));
    let (ok, lines, stderr) = cli.lines(&args);
    assert!(ok, "update-now failed: {stderr} {lines:#?}");

    // One gateway held offline (the fault plan's way of unplugging it).
    sim.set_faults(
        serde_json::from_value(json!({"offline_devices": [offline.to_lowercase()]})).unwrap(),
    );

    // A gateway of Frozen restarts: it checks in, and its policy keeps the apps away.
    let frozen = online_in(&sim.snapshot(), "Frozen")[0].clone();
    let was = last_check_in(&sim.snapshot(), &frozen);
    let out = cli.run(&[
        "invoke",
        &frozen,
        "RestartDevice",
        "--payload",
        r#"{"delaySeconds":0}"#,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let started = Instant::now();
    while last_check_in(&sim.snapshot(), &frozen) == was {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the gateway never checked in"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Back online after the reboot.
    while !online_in(&sim.snapshot(), "Frozen").contains(&frozen) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the gateway never came back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let report = cli.json(&["compliance"]);
    let expected = expected_from_sim(&sim.snapshot());
    assert_eq!(counts_from_cli(&report), expected, "{report:#}");

    // The scenario holds what it says it holds.
    let (field_counts, _) = &expected["Field Test"];
    assert_eq!(field_counts[0], 2, "two gateways on target");
    assert!(
        field_counts[3] >= 1,
        "one held offline (the fleet may have more)"
    );
    assert!(field_counts[1] >= 1, "the rest pending");
    assert_eq!(expected["Frozen"].0[2], 1, "one failed");
    assert_eq!(
        expected["Development"].0[4],
        expected["Development"].0.iter().sum::<usize>()
    );

    // Drill-down: the ids behind the figures are the gateways of the scenario.
    let field_test = report["products"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["groups"].as_array().unwrap())
        .find(|g| g["groupName"] == "Field Test")
        .unwrap();
    let ids = |f: &Value| -> Vec<String> {
        f["gateways"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_lowercase())
            .collect()
    };
    let mut on_target = ids(&field_test["gateways"]["onTarget"]);
    on_target.sort();
    let mut want: Vec<String> = updated.iter().map(|s| s.to_lowercase()).collect();
    want.sort();
    assert_eq!(on_target, want);
    assert!(ids(&field_test["gateways"]["offline"]).contains(&offline.to_lowercase()));
    assert_eq!(
        field_test["gateways"]["onTarget"]["sources"],
        json!(["iot_hub_twin"])
    );
    assert_eq!(
        field_test["gateways"]["pending"]["sources"],
        json!(["control_plane"])
    );
    assert!(field_test["gateways"]["onTarget"]["asOf"].is_string());
    assert_eq!(
        report["gateways"]["failed"]["gateways"][0]
            .as_str()
            .unwrap()
            .to_lowercase(),
        frozen.to_lowercase()
    );

    // One group, and the drill-down as plain ids for pipes.
    let only = cli.json(&["compliance", "--group", "Field Test"]);
    assert_eq!(only["products"][0]["groups"].as_array().unwrap().len(), 1);
    let listed = cli.run(&["compliance", "--show", "on-target", "--group", "Field Test"]);
    assert!(listed.status.success());
    let mut printed: Vec<String> = text(&listed.stdout)
        .lines()
        .map(str::to_lowercase)
        .collect();
    printed.sort();
    assert_eq!(printed, want);
    let human = cli.run(&["compliance"]);
    let human = text(&human.stdout);
    // Shown with `--nocapture` (the example in docs/user-guide.md comes from here).
    println!("{human}");
    assert!(
        human.contains("ON TARGET") && human.contains("policy blocks apps"),
        "{human}"
    );
    // On an interval: one report a line until stopped.
    let mut watching = std::process::Command::new(env!("CARGO_BIN_EXE_asg-fota-cli"))
        .args([
            "compliance",
            "--group",
            "Field Test",
            "--watch",
            "0.1",
            "--json",
        ])
        .env_remove("ASG_FOTA_PROFILE")
        .envs(cli.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/asg-fota-test-bus",
        )
        .env("HOME", cli.dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let reports: Vec<Value> = {
        use std::io::BufRead;
        let stdout = std::io::BufReader::new(watching.stdout.take().unwrap());
        stdout
            .lines()
            .take(2)
            .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
            .collect()
    };
    watching.kill().unwrap();
    watching.wait().unwrap();
    assert_eq!(reports.len(), 2);
    assert!(time(&reports[1]["startedAt"]) > time(&reports[0]["startedAt"]));
    assert_eq!(reports[1]["gateways"]["onTarget"]["count"], 2);

    let missing = cli.run(&["compliance", "--group", "No Such Group"]);
    assert!(!missing.status.success());
    assert!(
        text(&missing.stderr).contains("No Such Group"),
        "{}",
        text(&missing.stderr)
    );

    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compliance_after_a_partial_rollout_on_legacy() {
    partial_rollout_then_compliance(legacy_profile).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compliance_after_a_partial_rollout_on_arm() {
    partial_rollout_then_compliance(arm_profile).await;
}

/// The benchmark of docs/benchmarks.md ("Fleet compliance"): `compliance --json` over a
/// 10,000-gateway simulated fleet, once per plane, timed from the process start to its exit
/// (sign-in, every group's device pages, 250 batched twin queries, the report). Not a timed
/// assertion: it prints the figures.
/// `bash .ci/bench` runs it (`cargo test --release -p asg-fota-cli --test it
/// benchmark_compliance -- --ignored --exact --nocapture`); the test suite leaves it out (`.ci/test`
/// skips `benchmark_` tests), so it never skips and never slows CI.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: run by `bash .ci/bench`"]
async fn benchmark_compliance_on_10000_gateways() {
    let sim = asg_fota_sim::start(asg_fota_sim::SimConfig {
        gateways: 10_000,
        timing: asg_fota_sim::SimTiming::fast(),
        ..asg_fota_sim::SimConfig::default()
    })
    .await
    .unwrap();
    for (plane, profile) in [("legacy", legacy_profile(&sim)), ("arm", arm_profile(&sim))] {
        let cli = Cli::new(&sim, profile);
        for run in 0..3 {
            let started = Instant::now();
            let out = cli.run(&["compliance", "--json"]);
            let took = started.elapsed();
            assert!(out.status.success(), "{}", text(&out.stderr));
            let report: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(report["gateways"]["total"], 10_000);
            println!(
                "{plane} run {run}: {:.2} s, {} KB of JSON",
                took.as_secs_f64(),
                out.stdout.len() / 1024
            );
        }
    }
    sim.shutdown().await;
}
