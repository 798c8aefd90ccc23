//! Runs that survive `kill -9`, through the real binaries: `asg-fota-cli sim` runs as its own
//! process, `update-now` on 12 gateways (half of them in another group, so they are moved first)
//! is killed with SIGKILL while gateways are mid-way — some on target, some moved, some with a
//! restart delivered whose answer and check-in the simulator holds back — then `runs` lists the
//! run as interrupted with its unconfirmed restarts, and `update-now --resume` finishes it. The
//! simulator's call log must show exactly one `RestartDevice` per gateway and every gateway on the
//! deployed versions. The same with the kill during a node update: exactly one
//! `UpdateNodeFirmware` per node, every node on the new firmware.
//!
//! "Mid-way" is made deterministic with the simulator's holds (`PUT /_sim/holds`), not sleeps:
//! the kill comes once the simulator reports answers waiting.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::cloud_support::{self, http_request, spawn_sim, Running};
use serde_json::{json, Value};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_asg-fota-cli"))
}

/// A plain HTTP/1.0 request to the simulator's control API; returns the body as JSON.
fn http(method: &str, url: &str, body: Option<&Value>) -> Value {
    let (status, body) = http_request(method, url, body);
    assert!(status.contains(" 200 "), "{method} {url}: {status}\n{body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

/// The simulator process and what it printed.
struct Sim {
    _process: Running,
    control: String,
    profile: Value,
    secret: String,
    connection_string: String,
}

fn start_sim() -> Sim {
    let (process, printed) = spawn_sim(&["--fast", "--gateways", "60", "--seed", "11"]);
    let field = |prefix: &str, pick: &dyn Fn(&str) -> bool| {
        printed
            .lines()
            .filter_map(|l| l.trim().strip_prefix(prefix).map(|v| v.trim().to_owned()))
            .find(|v| pick(v))
            .unwrap_or_else(|| panic!("{prefix} not printed:\n{printed}"))
    };
    let control = field("control", &|_| true);
    let secret = field("service principal", &|_| true)
        .rsplit(' ')
        .next()
        .unwrap()
        .to_owned();
    let connection_string = field("IoT Hub", &|v| v.starts_with("HostName="));
    let profiles: Value = serde_json::from_str(
        &printed[printed.find('{').expect("profiles")..=printed.rfind('}').expect("end")],
    )
    .expect("profiles JSON");
    Sim {
        control,
        profile: profiles["profiles"]["Simulator (ARM)"].clone(),
        secret,
        connection_string,
        _process: process,
    }
}

/// A CLI home on the simulator: config, data and logs in a temporary directory, the pipeline
/// environment, no keychain.
struct Home {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Home {
    fn new(sim: &Sim) -> Home {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        std::fs::create_dir_all(&config).unwrap();
        let file = json!({"version": 1, "active": "sim", "profiles": {"sim": sim.profile}});
        std::fs::write(config.join("profiles.json"), file.to_string()).unwrap();
        let p = |q: &Path| q.to_str().unwrap().to_owned();
        let env = vec![
            ("ASG_FOTA_CONFIG_DIR".into(), p(&config)),
            ("ASG_FOTA_DATA_DIR".into(), p(&dir.path().join("data"))),
            ("ASG_FOTA_LOG_DIR".into(), p(&dir.path().join("logs"))),
            ("ASG_FOTA_CLIENT_SECRET".into(), sim.secret.clone()),
            (
                "ASG_FOTA_IOTHUB_CONNECTION_STRING".into(),
                sim.connection_string.clone(),
            ),
        ];
        Home { dir, env }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = bin();
        command
            .args(args)
            .env_remove("ASG_FOTA_PROFILE")
            .env_remove("ASG_FOTA_REFRESH_TOKEN")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/asg-fota-test-bus",
            )
            .env("HOME", self.dir.path());
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.run(&[args, &["--json"]].concat());
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{args:?} printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// Starts a verb with `--json` whose stdout lines are read as they come.
    fn spawn(&self, args: &[&str]) -> (Running, std::sync::mpsc::Receiver<Value>) {
        let mut child = self
            .command(&[args, &["--json"]].concat())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    if tx.send(v).is_err() {
                        break;
                    }
                }
            }
        });
        (Running(child), rx)
    }

    /// The last JSON line of a `--json` verb (its report) and whether it succeeded.
    fn report(&self, args: &[&str]) -> (bool, Value, String) {
        let out = self.run(&[args, &["--json"]].concat());
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let last = text
            .lines()
            .rev()
            .find_map(|l| serde_json::from_str::<Value>(l).ok())
            .unwrap_or(Value::Null);
        (
            out.status.success(),
            last,
            String::from_utf8_lossy(&out.stderr).into_owned() + &text,
        )
    }
}

/// A signed synthetic application package in `dir`; returns its path.
fn package(dir: &Path, name: &str, real_time: bool) -> String {
    cloud_support::package(dir, name, real_time).0
}

fn state(sim: &Sim) -> Value {
    http("GET", &format!("{}/state", sim.control), None)
}

fn holds(sim: &Sim, check_ins: bool, method_answers: bool) -> Value {
    let held: Vec<&str> = [(check_ins, "check_ins"), (method_answers, "method_answers")]
        .into_iter()
        .filter_map(|(on, kind)| on.then_some(kind))
        .collect();
    http("PUT", &format!("{}/holds", sim.control), Some(&json!(held)))
}

/// Lifts every hold and waits until no answer is counted as waiting any more, so that a later
/// "n answers wait" counts only what is held after it.
fn release_all(sim: &Sim) {
    holds(sim, false, false);
    wait_for(sim, "the held answers to drain", |s| {
        s["waiting"].as_object().is_some_and(|w| w.is_empty())
    });
}

/// Waits until `done` holds for the simulator's hold status (answers waiting, ...).
fn wait_for(sim: &Sim, what: &str, done: impl Fn(&Value) -> bool) {
    let started = Instant::now();
    loop {
        let status = http("GET", &format!("{}/holds", sim.control), None);
        if done(&status) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}: {status}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// How many calls of `method` reached each device (lower-case id).
fn calls(sim: &Sim, method: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for call in http("GET", &format!("{}/calls", sim.control), None)
        .as_array()
        .unwrap()
    {
        if call["method"] == method {
            *counts
                .entry(call["device"].as_str().unwrap().to_owned())
                .or_insert(0) += 1;
        }
    }
    counts
}

/// Ids of online gateways of a group, from the simulator's state.
fn online_in(state: &Value, group: &str) -> Vec<String> {
    let group_id = state["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == group)
        .unwrap()["id"]
        .clone();
    state["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["group_id"] == group_id && d["gateway"]["connected"] == true)
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect()
}

fn twin<'a>(state: &'a Value, id: &str) -> &'a Value {
    &state["twins"][id.to_ascii_lowercase()]
}

#[test]
fn update_now_and_node_updates_survive_kill_9_and_resume_without_a_second_request() {
    let sim = start_sim();
    let home = Home::new(&sim);
    let files = tempfile::tempdir().unwrap();
    let hl = package(files.path(), "ASG210_HLApp_v1.2.3", false);
    let rt = package(files.path(), "ASG210_RTApp_v1.1.0_nodefw1.0.9", true);
    home.json(&["deploy", "--group", "Field Test", "--yes", &hl, &rt]);

    // 12 gateways, every other one in another group (it is moved first).
    let before = state(&sim);
    let inside = online_in(&before, "Field Test");
    let outside = online_in(&before, "Development");
    let chosen: Vec<String> = inside[..6]
        .iter()
        .zip(&outside[..6])
        .flat_map(|(a, b)| [a.clone(), b.clone()])
        .collect();
    let mut args = vec![
        "update-now",
        "--group",
        "Field Test",
        "--concurrency",
        "4",
        "--poll-interval",
        "0.05",
        "--timeout",
        "60",
    ];
    args.extend(chosen.iter().map(String::as_str));
    let (mut running, events) = home.spawn(&args);

    // Let four gateways reach on target, then hold: restarts sent from now on take effect on the
    // gateway, but their answers and the gateways' check-ins do not come.
    let started = Instant::now();
    let mut on_target = 0;
    while on_target < 4 {
        let event = events
            .recv_timeout(Duration::from_secs(60))
            .expect("progress from update-now");
        if event["status"] == "on_target" {
            on_target += 1;
        }
        assert!(started.elapsed() < Duration::from_secs(120));
    }
    holds(&sim, true, true);
    wait_for(&sim, "two held restart answers", |s| {
        s["waiting"]["method_answers"].as_u64() >= Some(2)
    });
    // SIGKILL: no chance to write anything more.
    running.0.kill().unwrap();
    running.0.wait().unwrap();
    release_all(&sim);

    let interrupted = home.json(&["runs"]);
    let runs = interrupted.as_array().unwrap();
    assert_eq!(runs.len(), 1, "{interrupted:#}");
    let run_id = runs[0]["plan"]["id"].as_str().unwrap().to_owned();
    let items = runs[0]["items"].as_array().unwrap();
    assert_eq!(items.len(), 12);
    let unconfirmed = items
        .iter()
        .filter(|i| i["unconfirmed"] == "restart")
        .count();
    assert!(unconfirmed >= 2, "{interrupted:#}");
    assert!(
        items.iter().any(|i| i["stage"] == "on_target"),
        "{interrupted:#}"
    );
    // The human listing names the run and how to resume it.
    let listing = String::from_utf8_lossy(&home.run(&["runs"]).stdout).into_owned();
    assert!(
        listing.contains(&run_id) && listing.contains("update-now --resume"),
        "{listing}"
    );

    let (ok, report, output) = home.report(&[
        "update-now",
        "--resume",
        &run_id,
        "--poll-interval",
        "0.05",
        "--restart-settle",
        "3",
        "--timeout",
        "60",
    ]);
    assert!(ok, "{output}");
    assert_eq!(
        report["succeeded"].as_array().unwrap().len(),
        12,
        "{report:#}"
    );
    let restarts = calls(&sim, "RestartDevice");
    let after = state(&sim);
    for id in &chosen {
        assert_eq!(
            restarts.get(&id.to_ascii_lowercase()),
            Some(&1),
            "{id}: {restarts:?}"
        );
        let reported = &twin(&after, id)["properties"]["reported"];
        assert_eq!(reported["HLAppVer"], "1.2.3", "{id}");
        assert_eq!(reported["RTAppVer"], "1.1.0", "{id}");
    }
    assert_eq!(home.json(&["runs"]), json!([]));

    // Node updates: every outdated node behind the 12 gateways; kill while some are installing.
    let nodes: Vec<(String, String)> = chosen
        .iter()
        .flat_map(|id| {
            let reported = twin(&after, id)["properties"]["reported"].clone();
            reported["Nodes"]
                .as_object()
                .unwrap()
                .iter()
                .filter(|(_, n)| n["fwVersion"] != "1.0.9")
                .map(|(mac, _)| (id.clone(), mac.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(nodes.len() >= 6, "{nodes:?}");
    let mut args = vec![
        "update-node",
        "--all-outdated",
        "--concurrency",
        "4",
        "--poll-interval",
        "0.05",
    ];
    args.extend(chosen.iter().map(String::as_str));
    let (mut running, events) = home.spawn(&args);
    let mut succeeded = 0;
    while succeeded < 2 {
        let event = events
            .recv_timeout(Duration::from_secs(60))
            .expect("progress from update-node");
        if event["state"] == "Succeeded" {
            succeeded += 1;
        }
    }
    holds(&sim, false, true);
    wait_for(&sim, "two held node update answers", |s| {
        s["waiting"]["method_answers"].as_u64() >= Some(2)
    });
    running.0.kill().unwrap();
    running.0.wait().unwrap();
    release_all(&sim);

    let interrupted = home.json(&["runs"]);
    let runs = interrupted.as_array().unwrap();
    assert_eq!(runs.len(), 1, "{interrupted:#}");
    assert_eq!(runs[0]["plan"]["kind"], "node_update");
    let run_id = runs[0]["plan"]["id"].as_str().unwrap().to_owned();
    assert!(
        runs[0]["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["unconfirmed"] == "node_update"),
        "{interrupted:#}"
    );
    let (ok, report, output) = home.report(&[
        "update-node",
        "--resume",
        &run_id,
        "--poll-interval",
        "0.05",
    ]);
    assert!(ok, "{output}");
    assert_eq!(
        report["succeeded"].as_array().unwrap().len(),
        nodes.len(),
        "{report:#}"
    );
    let updates = calls(&sim, "UpdateNodeFirmware");
    let total: usize = updates.values().sum();
    assert_eq!(total, nodes.len(), "one request per node: {updates:?}");
    let end = state(&sim);
    for (id, mac) in &nodes {
        assert_eq!(
            twin(&end, id)["properties"]["reported"]["Nodes"][mac]["fwVersion"],
            "1.0.9",
            "{id} {mac}"
        );
    }
    assert_eq!(home.json(&["runs"]), json!([]));
}

#[test]
fn a_second_run_on_a_gateway_in_flight_is_refused_across_processes() {
    let sim = start_sim();
    let home = Home::new(&sim);
    let before = state(&sim);
    let inside = online_in(&before, "Field Test");
    holds(&sim, true, true);
    let mut args = vec![
        "update-now",
        "--group",
        "Field Test",
        "--poll-interval",
        "0.05",
    ];
    args.push(&inside[0]);
    args.push(&inside[1]);
    let (running, _events) = home.spawn(&args);
    wait_for(&sim, "the first run's restarts", |s| {
        s["waiting"]["method_answers"].as_u64() >= Some(2)
    });
    let out = home.run(&[
        "update-now",
        "--group",
        "Field Test",
        &inside[1],
        &inside[2],
    ]);
    assert!(!out.status.success());
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("already in the run update-"),
        "the refusal names the run: {text}"
    );
    assert_eq!(
        calls(&sim, "RestartDevice").get(&inside[2].to_ascii_lowercase()),
        None
    );
    drop(running);
    holds(&sim, false, false);
}
