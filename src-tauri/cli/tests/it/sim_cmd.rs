//! `asg-fota-cli sim`: the real binary starts the simulator, prints its URLs and profiles, serves,
//! keeps its state file, and refuses a bad fault plan.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn cli() -> Command {
    Command::new(env!("CARGO_BIN_EXE_asg-fota-cli"))
}

/// Kills the child when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A plain HTTP/1.0 GET; returns the status line and the body.
fn get(url: &str) -> (String, String) {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_once('/').expect("path");
    let mut stream = TcpStream::connect(host).expect("connect");
    write!(stream, "GET /{path} HTTP/1.0\r\nHost: {host}\r\n\r\n").expect("write");
    let mut text = String::new();
    stream.read_to_string(&mut text).expect("read");
    let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
    (
        head.lines().next().unwrap_or("").to_string(),
        body.to_string(),
    )
}

#[test]
fn sim_prints_urls_and_profiles_then_serves_and_saves_its_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state.json");
    let child = cli()
        .args(["sim", "--gateways", "3", "--seed", "5", "--state"])
        .arg(&state)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut running = Running(child);
    let stdout = running.0.stdout.take().expect("stdout");
    let mut printed = String::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        let done = line.starts_with("Running");
        printed.push_str(&line);
        printed.push('\n');
        if done {
            break;
        }
    }
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

    let (status, body) = get(&format!("{control}/state"));
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
