//! What the CLI's cloud tests share: the real image packages, a simulator with test timings,
//! profiles (as they are written to `profiles.json`) pointing at it, and a temporary CLI home that
//! runs the real binary with the pipeline environment and no keychain.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use asg_fota_sim::{SimConfig, SimHandle, SimTiming};
use serde_json::{json, Value};

/// A real SDK-built package from `shared/fixtures/imagepackages`, beside the repository.
pub use asg_fota_testkit::fixtures::fixture_path as fixture;

/// A synthetic application package `name` in `dir` (real-time with `real_time`): its path as a
/// string (what the CLI takes) and its image id.
pub fn package(dir: &Path, name: &str, real_time: bool) -> (String, String) {
    let (path, image_id) = asg_fota_testkit::scenario::package_with_id(dir, name, real_time);
    (path_str(&path), image_id)
}

/// Kills the child when the test ends, however it ends.
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `asg-fota-cli sim ARGS` as its own process and reads what it prints up to its
/// "Running" line (URLs, secrets, profiles JSON).
pub fn spawn_sim(args: &[&str]) -> (Running, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_asg-fota-cli"))
        .arg("sim")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the simulator starts");
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
    (running, printed)
}

/// A plain HTTP/1.0 request (no client crate) with an optional JSON body; returns the status
/// line and the body.
pub fn http_request(method: &str, url: &str, body: Option<&Value>) -> (String, String) {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_once('/').expect("path");
    let mut stream = TcpStream::connect(host).expect("connect");
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    write!(
        stream,
        "{method} /{path} HTTP/1.0\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut text = String::new();
    stream.read_to_string(&mut text).expect("read");
    let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
    (
        head.lines().next().unwrap_or("").to_owned(),
        body.to_owned(),
    )
}

pub fn path_str(path: &Path) -> String {
    path.to_str().unwrap().to_owned()
}

/// A simulator on an ephemeral port with `timing` (start from `SimTiming::fast()`).
pub async fn start_sim(timing: SimTiming) -> SimHandle {
    asg_fota_sim::start(SimConfig {
        timing,
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

/// The simulator's IoT Hub, reached with a connection string.
pub fn iothub(sim: &SimHandle) -> Value {
    json!({"host": sim.demo().iothub_host, "api_base": sim.urls().iothub})
}

/// The `SharedAccessKey` part of a connection string.
pub fn shared_access_key(connection_string: &str) -> String {
    connection_string
        .split(';')
        .find_map(|p| p.strip_prefix("SharedAccessKey="))
        .unwrap()
        .to_owned()
}

/// A legacy profile signed in as the demo service principal. It names no Azure Sphere tenant:
/// the session must find the account's only one by itself.
pub fn legacy_profile(sim: &SimHandle) -> Value {
    let demo = sim.demo();
    json!({
        "backend": "legacy",
        "authority_host": sim.urls().authority,
        "api_base": sim.urls().legacy,
        "tenant_id": demo.tenant_id,
        "service_principal_client_id": demo.service_principal_client_id,
        "iothub": iothub(sim),
    })
}

/// An ARM profile signed in as the demo service principal.
pub fn arm_profile(sim: &SimHandle) -> Value {
    let demo = sim.demo();
    json!({
        "backend": "arm",
        "authority_host": sim.urls().authority,
        "api_base": sim.urls().arm,
        "tenant_id": demo.tenant_id,
        "subscription_id": demo.subscription_id,
        "resource_group": demo.resource_group,
        "catalog": demo.catalog,
        "service_principal_client_id": demo.service_principal_client_id,
        "iothub": iothub(sim),
    })
}

/// An ARM profile for a person's device-code sign-in (the demo public client, no principal).
pub fn arm_person_profile(sim: &SimHandle) -> Value {
    let mut profile = arm_profile(sim);
    let object = profile.as_object_mut().unwrap();
    object.remove("service_principal_client_id");
    object.insert("client_id".into(), json!(sim.demo().arm_client_id));
    profile
}

/// A temporary home for one CLI: config, data and log directories, plus the pipeline environment
/// (the demo service principal's secret and the IoT Hub connection string).
pub struct Cli {
    pub dir: tempfile::TempDir,
    pub env: Vec<(String, String)>,
}

impl Cli {
    /// Writes `profile` as the active profile `sim` and prepares the environment for `sim`.
    pub fn new(sim: &SimHandle, profile: Value) -> Cli {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        std::fs::create_dir_all(&config).unwrap();
        let file = json!({"version": 1, "active": "sim", "profiles": {"sim": profile}});
        std::fs::write(
            config.join("profiles.json"),
            serde_json::to_string_pretty(&file).unwrap(),
        )
        .unwrap();
        let demo = sim.demo();
        let env = vec![
            ("ASG_FOTA_CONFIG_DIR".into(), path_str(&config)),
            (
                "ASG_FOTA_DATA_DIR".into(),
                path_str(&dir.path().join("data")),
            ),
            (
                "ASG_FOTA_LOG_DIR".into(),
                path_str(&dir.path().join("logs")),
            ),
            (
                "ASG_FOTA_CLIENT_SECRET".into(),
                demo.service_principal_secret.clone(),
            ),
            (
                "ASG_FOTA_IOTHUB_CONNECTION_STRING".into(),
                demo.iothub_connection_string.clone(),
            ),
        ];
        Cli { dir, env }
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_in("C.UTF-8", args)
    }

    /// [`Cli::run`] in the locale `lang` (`LANG`; `LC_ALL` and `LC_MESSAGES` cleared, so the
    /// machine's own locale never decides what a test reads).
    pub fn run_in(&self, lang: &str, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_asg-fota-cli"))
            .args(args)
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("LANG", lang)
            // Cleared first, so that only what the test sets reaches the CLI (a test may put
            // `ASG_FOTA_REFRESH_TOKEN` into `env` itself).
            .env_remove("ASG_FOTA_PROFILE")
            .env_remove("ASG_FOTA_REFRESH_TOKEN")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            // No keychain: a pipeline must work from the environment alone, and a test must never
            // write into the developer's real keychain.
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/asg-fota-test-bus",
            )
            .env("HOME", self.dir.path())
            .output()
            .unwrap()
    }

    /// Runs a verb with `--json` that must succeed, and parses its stdout as one JSON document.
    pub fn json(&self, args: &[&str]) -> Value {
        let out = self.run(&[args, &["--json"]].concat());
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            text(&out.stderr)
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {}", text(&out.stdout)))
    }

    /// A `--json` verb printing JSON lines; returns them with the exit status and stderr.
    pub fn lines(&self, args: &[&str]) -> (bool, Vec<Value>, String) {
        let out = self.run(&[args, &["--json"]].concat());
        let lines = text(&out.stdout)
            .lines()
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}"))
            })
            .collect();
        (out.status.success(), lines, text(&out.stderr))
    }

    /// The local journal's lines.
    pub fn journal(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.path().join("data").join("journal.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

/// What a process printed, as text (lossy, for messages and assertions).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A simulator with the fast test timings.
pub async fn sim() -> SimHandle {
    start_sim(SimTiming::fast()).await
}
