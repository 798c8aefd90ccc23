//! `asg-fota-cli migrate check|profile` and the legacy API's days left, against a simulator
//! started by the test (both planes of one tenant) and against the built-in Demo tenant.
//!
//! Equal planes give exit 0 with every item matched; a group renamed, an image hidden and a device
//! moved on one plane only (the simulator's divergence plan) give exit 1 with exactly those three
//! differences — once with the ARM plane diverging, once with the legacy plane.

use crate::cloud_support;

use std::path::Path;

use asg_fota_sim::divergence::{DivergencePlan, PlaneDivergence};
use asg_fota_sim::SimHandle;
use serde_json::{json, Value};

use cloud_support::{arm_profile, legacy_profile, sim, text, Cli};

fn package(dir: &Path, name: &str) -> String {
    cloud_support::package(dir, name, false).0
}

/// A CLI whose profiles file holds `legacy` and `arm`, both on `sim`.
fn two_profiles(sim: &SimHandle) -> Cli {
    let cli = Cli::new(sim, legacy_profile(sim));
    let file = json!({"version": 1, "active": "legacy",
                      "profiles": {"legacy": legacy_profile(sim), "arm": arm_profile(sim)}});
    std::fs::write(
        cli.dir.path().join("config").join("profiles.json"),
        serde_json::to_string_pretty(&file).unwrap(),
    )
    .unwrap();
    cli
}

/// Runs `migrate check --json`; returns the exit status and the report.
fn check(cli: &Cli, from: &str, to: &str) -> (i32, Value) {
    let out = cli.run(&["migrate", "check", "--from", from, "--to", to, "--json"]);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}): {} / {}",
            text(&out.stdout),
            text(&out.stderr)
        )
    });
    (out.status.code().unwrap(), report)
}

fn differences(report: &Value) -> Vec<(String, String, String)> {
    report["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] != "matched")
        .map(|i| {
            (
                i["kind"].as_str().unwrap().to_owned(),
                i["key"].as_str().unwrap().to_lowercase(),
                i["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn snapshot_id(sim: &SimHandle, list: &str, field: &str, value: &str) -> String {
    sim.snapshot()[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x[field] == value)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A tenant with two images, one of them deployed to Field Test.
fn prepare(sim: &SimHandle, cli: &Cli) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let deployed = package(dir.path(), "ASG210_HLApp_v1.2.3");
    let spare = package(dir.path(), "ASG210_HLApp_v1.3.0");
    cli.json(&["upload", "--group", "Field Test", &spare]);
    cli.json(&["deploy", "--group", "Field Test", &deployed]);
    let spare_id = snapshot_id(sim, "images", "name", "ASG210_HLApp_v1.3.0");
    let moved = sim.snapshot()["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| {
            d["group_id"].as_str() == Some(&snapshot_id(sim, "groups", "name", "Development"))
        })
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (spare_id, moved)
}

fn diverging(sim: &SimHandle, spare: &str, moved: &str) -> PlaneDivergence {
    serde_json::from_value(json!({
        "rename_groups": {snapshot_id(sim, "groups", "name", "Production"): "Production EU"},
        "hide_images": [spare],
        "move_devices": {moved: snapshot_id(sim, "groups", "name", "Field Test")},
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn equal_planes_match_and_three_divergences_are_exactly_three_differences() {
    let sim = sim().await;
    let cli = two_profiles(&sim);
    let (spare, moved) = prepare(&sim, &cli);

    let (code, report) = check(&cli, "legacy", "arm");
    assert_eq!(code, 0, "{report:#}");
    assert!(differences(&report).is_empty(), "{report:#}");
    let kinds: std::collections::BTreeSet<&str> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["deployment", "device", "device_group", "image", "product"]
    );
    let devices = sim.snapshot()["devices"].as_array().unwrap().len();
    let device_items = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "device")
        .count();
    assert_eq!(device_items, devices);
    assert_eq!(
        report["counts"]["matched"].as_u64().unwrap() as usize,
        report["items"].as_array().unwrap().len()
    );

    // The ARM plane diverges.
    sim.set_divergence(DivergencePlan {
        arm: diverging(&sim, &spare, &moved),
        ..Default::default()
    })
    .unwrap();
    let (code, report) = check(&cli, "legacy", "arm");
    assert_eq!(code, 1, "{report:#}");
    let mut diffs = differences(&report);
    diffs.sort();
    assert_eq!(
        diffs,
        vec![
            ("device".into(), moved.to_lowercase(), "differs".into()),
            (
                "device_group".into(),
                "asg210-gateways/production".into(),
                "differs".into()
            ),
            ("image".into(), spare.to_lowercase(), "missing_on_to".into()),
        ],
        "{report:#}"
    );
    let group = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "device_group" && i["status"] == "differs")
        .unwrap();
    assert_eq!(
        group["differences"],
        json!([{"field": "name", "from": "Production", "to": "Production EU"}])
    );
    let human = cli.run(&["migrate", "check", "--from", "legacy", "--to", "arm"]);
    assert_eq!(human.status.code(), Some(1));
    let human = text(&human.stdout);
    // Shown with `--nocapture` (the example in docs/user-guide.md comes from here).
    println!("{human}");
    assert!(
        human.contains("missing on arm") && human.contains("Production EU"),
        "{human}"
    );

    // The legacy plane diverges instead: the image is now missing on the other side.
    sim.set_divergence(DivergencePlan {
        legacy: diverging(&sim, &spare, &moved),
        ..Default::default()
    })
    .unwrap();
    let (code, report) = check(&cli, "legacy", "arm");
    assert_eq!(code, 1);
    let mut diffs = differences(&report);
    diffs.sort();
    assert_eq!(diffs.len(), 3, "{report:#}");
    assert_eq!(diffs[0].0, "device");
    assert_eq!(diffs[1].1, "asg210-gateways/production eu");
    assert_eq!(
        diffs[2],
        (
            "image".into(),
            spare.to_lowercase(),
            "missing_on_from".into()
        )
    );

    // Agreeing again.
    sim.set_divergence(DivergencePlan::default()).unwrap();
    assert_eq!(check(&cli, "legacy", "arm").0, 0);

    // A plan naming what the tenant does not hold is refused.
    let bad: PlaneDivergence =
        serde_json::from_value(json!({"hide_images": ["00000000-0000-0000-0000-000000000000"]}))
            .unwrap();
    assert!(sim
        .set_divergence(DivergencePlan {
            arm: bad,
            ..Default::default()
        })
        .is_err());

    // Wrong sides are refused with a clear message.
    let out = cli.run(&["migrate", "check", "--from", "arm", "--to", "legacy"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("must be a legacy profile"),
        "{}",
        text(&out.stderr)
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_profile_makes_an_arm_profile_that_sees_the_same_tenant() {
    let sim = sim().await;
    let cli = two_profiles(&sim);
    let demo = sim.demo();
    let out = cli.run(&[
        "migrate",
        "profile",
        "--from",
        "legacy",
        "--name",
        "moved",
        "--subscription-id",
        &demo.subscription_id,
        "--resource-group",
        &demo.resource_group,
        "--catalog",
        &demo.catalog,
        "--api-base",
        &sim.urls().arm,
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(created["settings"]["backend"], "arm");
    let hub = &created["settings"]["iothub"];
    assert_eq!(hub["host"], legacy_profile(&sim)["iothub"]["host"]);
    assert_eq!(hub["api_base"], legacy_profile(&sim)["iothub"]["api_base"]);
    assert_eq!(
        created["settings"]["service_principal_client_id"],
        json!(demo.service_principal_client_id)
    );
    let (code, report) = check(&cli, "legacy", "moved");
    assert_eq!(code, 0, "{report:#}");

    // Without the catalog and no terminal to ask on, it says what is missing.
    let out = cli.run(&["migrate", "profile", "--from", "legacy", "--name", "x"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--subscription-id"),
        "{}",
        text(&out.stderr)
    );

    // Legacy profiles show the days left; ARM profiles do not.
    let list = cli.json(&["profile", "list"]);
    let row = |name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .cloned()
            .unwrap()
    };
    let today = time::OffsetDateTime::now_utc().date();
    let want = (asg_fota_core::migrate::LEGACY_RETIREMENT - today).whole_days();
    assert_eq!(row("legacy")["retirement"]["retiresOn"], "2027-09-27");
    assert_eq!(row("legacy")["retirement"]["daysLeft"], want);
    assert!(row("moved")["retirement"].is_null());
    let shown = cli.run(&["profile", "show", "legacy"]);
    assert!(
        text(&shown.stdout).contains(&format!("{want} days left")),
        "{}",
        text(&shown.stdout)
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_tenant_checks_its_own_two_planes() {
    // Any simulator will do for the CLI's home; the Demo tenant starts its own.
    let sim = sim().await;
    let mut cli = Cli::new(&sim, legacy_profile(&sim));
    // The Demo tenant brings its own secrets: the test simulator's must not override them.
    cli.env
        .retain(|(k, _)| k != "ASG_FOTA_CLIENT_SECRET" && k != "ASG_FOTA_IOTHUB_CONNECTION_STRING");
    let (code, report) = check(&cli, "Demo tenant", "Demo tenant");
    assert_eq!(code, 0, "{report:#}");
    assert!(report["counts"]["matched"].as_u64().unwrap() > 20);
    sim.shutdown().await;
}
