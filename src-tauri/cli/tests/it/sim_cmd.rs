//! `asg-fota-cli sim`: the real binary starts the simulator, prints its URLs and profiles, serves,
//! keeps its state file, and refuses a bad fault plan.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::cloud_support::{http_request, spawn_sim};

fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_asg-fota-cli"))
}

#[test]
fn sim_prints_urls_and_profiles_then_serves_and_saves_its_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state.json");
    let state_arg = state.to_str().expect("utf-8 path");
    let (_running, printed) = spawn_sim(&["--gateways", "3", "--seed", "5", "--state", state_arg]);
    let control = printed
        .lines()
        .find_map(|l| l.trim().strip_prefix("control"))
        .map(|u| u.trim().to_string())
        .expect("the control URL is printed");
    assert!(
        printed.contains("/as3") && printed.contains("/login") && printed.contains("/iothub"),
        "{printed}"
    );
    let profiles_json =
        &printed[printed.find('{').expect("profile JSON")..printed.rfind('}').expect("end") + 1];
    let profiles: serde_json::Value =
        serde_json::from_str(profiles_json).expect("profiles are JSON");
    assert_eq!(
        profiles["profiles"]["Simulator (legacy)"]["backend"],
        "legacy"
    );
    assert_eq!(profiles["profiles"]["Simulator (ARM)"]["backend"], "arm");

    let (status, body) = http_request("GET", &format!("{control}/state"), None);
    assert!(status.contains("200"), "{status}");
    let snapshot: serde_json::Value = serde_json::from_str(&body).expect("snapshot JSON");
    assert_eq!(snapshot["devices"].as_array().map(Vec::len), Some(3));

    // The state file is written within a couple of seconds of a change (the GET is journalled).
    let deadline = Instant::now() + Duration::from_secs(5);
    while !state.exists() {
        assert!(
            Instant::now() < deadline,
            "the state file was never written"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn sim_refuses_a_bad_fault_plan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plan = dir.path().join("faults.json");
    std::fs::write(&plan, r#"{"rules": [{"action": {"kind": "teleport"}}]}"#).expect("write");
    let output = cli()
        .args(["sim", "--faults"])
        .arg(&plan)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("fault plan"), "{stderr}");
}
