//! Leak test: the real `asg-fota-cli`, logging at TRACE, signs in, uploads, deploys, updates
//! gateways (`update-now`) and a gateway's nodes (`update-node`), reads a twin and invokes a
//! direct method; then no secret may be anywhere it wrote or printed.
//!
//! Every place a process can write to is inside the test's temporary directory: HOME, every XDG
//! directory (config, data, cache, state, runtime), TMPDIR, and APPDATA / LOCALAPPDATA. The CLI
//! finds its config, data and log directories itself (no `ASG_FOTA_*_DIR` override), so a file
//! written to a default place lands there too. The search covers EVERY file under that
//! directory plus stdout and stderr, and looks for every secret: those the test handed in (the
//! client secret, the IoT Hub key), the keychain's refresh tokens, and every access, refresh and
//! ID token, bearer token, SAS token and SAS signature the simulator issued or received
//! (`SimHandle::secrets_seen`). The log must exist, hold TRACE lines and the transport's
//! "cloud call" lines: a CLI that logs nothing cannot pass.
//!
//! Two runs: a pipeline run with the service principal's secret and the connection string in
//! environment variables, logging to the default log directory because `ASG_FOTA_LOG` is set
//! (always runs); and a person's device-code sign-in whose refresh token and connection string go
//! through the real OS keychain, logging with `--log-file` (needs a Secret Service, so it runs
//! under `.ci/with-keyring` with `--include-ignored`).

use crate::cloud_support;
use crate::cloud_support::package;
use crate::flow::{gateways_with_nodes, HL, RT};

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use asg_fota_core::secrets::{KeychainStore, SecretKey, SecretKind, SecretStore};
use asg_fota_sim::{SimHandle, SimTiming};
use cloud_support::{arm_person_profile, arm_profile, path_str as path, shared_access_key};
use serde_json::{json, Value};

/// The directory variables pointed into the test's directory (sub-folder, variable).
const REDIRECTED: [(&str, &str); 9] = [
    ("home", "HOME"),
    ("xdg/config", "XDG_CONFIG_HOME"),
    ("xdg/data", "XDG_DATA_HOME"),
    ("xdg/cache", "XDG_CACHE_HOME"),
    ("xdg/state", "XDG_STATE_HOME"),
    ("xdg/runtime", "XDG_RUNTIME_DIR"),
    ("tmp", "TMPDIR"),
    ("appdata", "APPDATA"),
    ("localappdata", "LOCALAPPDATA"),
];

/// What must not reach the CLI from the test's own environment: every variable that moves a
/// directory or the log elsewhere, or hands in a secret the run does not name itself.
const CLEARED: [&str; 9] = [
    "ASG_FOTA_PROFILE",
    "ASG_FOTA_CONFIG_DIR",
    "ASG_FOTA_DATA_DIR",
    "ASG_FOTA_LOG_DIR",
    "ASG_FOTA_LOG_FILE",
    "ASG_FOTA_REFRESH_TOKEN",
    "ASG_FOTA_CLIENT_SECRET",
    "ASG_FOTA_IOTHUB_CONNECTION_STRING",
    "RUST_LOG",
];

/// One CLI machine inside a temporary directory, and everything its invocations printed.
struct Run {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    /// `--log-file` for every invocation, or None: the default log directory.
    log_file: Option<PathBuf>,
    printed: Vec<u8>,
}

impl Run {
    fn new(profile_name: &str, profile: Value, log_file: bool) -> Run {
        let dir = tempfile::tempdir().unwrap();
        let mut env = Vec::new();
        for (sub, var) in REDIRECTED {
            let place = dir.path().join(sub);
            std::fs::create_dir_all(&place).unwrap();
            env.push((var.to_owned(), path(&place)));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let runtime = dir.path().join("xdg/runtime");
            std::fs::set_permissions(runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        // Where the CLI looks for profiles by itself: `$XDG_CONFIG_HOME/com.wiznet.asg-fota`.
        let config = dir.path().join("xdg/config/com.wiznet.asg-fota");
        std::fs::create_dir_all(&config).unwrap();
        let file =
            json!({"version": 1, "active": profile_name, "profiles": {profile_name: profile}});
        std::fs::write(config.join("profiles.json"), file.to_string()).unwrap();
        // Everything the CLI and the crates under it log, reqwest and hyper included.
        env.push(("ASG_FOTA_LOG".to_owned(), "trace".to_owned()));
        let log_file = log_file.then(|| dir.path().join("home/asg-fota-cli.log"));
        Run {
            dir,
            env,
            log_file,
            printed: Vec::new(),
        }
    }

    fn cli(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_asg-fota-cli"));
        command.args(args);
        if let Some(file) = &self.log_file {
            command.arg("--log-file").arg(file);
        }
        for name in CLEARED {
            command.env_remove(name);
        }
        command.envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        command
    }

    /// Runs a verb that must succeed; keeps its output for the leak check.
    fn ok(&mut self, args: &[&str]) -> Output {
        let out = self.cli(args).output().unwrap();
        self.keep(&out);
        assert!(
            out.status.success(),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn keep(&mut self, out: &Output) {
        self.printed.extend_from_slice(&out.stdout);
        self.printed.extend_from_slice(&out.stderr);
    }

    /// The log the run wrote: the `--log-file`, or the daily files in the default log directory
    /// (`$XDG_DATA_HOME/com.wiznet.asg-fota/logs/cli` on Linux). It must hold TRACE lines from
    /// the HTTP stack and the transport's "cloud call" lines.
    fn log(&self) -> String {
        let files: Vec<PathBuf> = match &self.log_file {
            Some(file) => vec![file.clone()],
            None => {
                let dir = self
                    .dir
                    .path()
                    .join("xdg/data/com.wiznet.asg-fota/logs/cli");
                asg_fota_testkit::files_under(&dir)
            }
        };
        let mut text = String::new();
        for file in &files {
            text.push_str(&std::fs::read_to_string(file).unwrap_or_default());
        }
        assert!(
            !text.is_empty(),
            "the CLI wrote no log at TRACE level (looked in {files:?})"
        );
        assert!(text.contains(" TRACE "), "the log has no TRACE line");
        assert!(text.contains("cloud call"), "the log has no transport line");
        eprintln!("the log: {} bytes in {files:?}", text.len());
        text
    }

    /// Fails the test if any needle is in the printed output or in any file under the run's
    /// directory. Returns how many files were searched.
    fn assert_no_leak(&self, needles: &[(String, String)]) -> usize {
        let mut haystacks = vec![("printed output".to_owned(), self.printed.clone())];
        for file in asg_fota_testkit::files_under(self.dir.path()) {
            if let Ok(bytes) = std::fs::read(&file) {
                haystacks.push((file.display().to_string(), bytes));
            }
        }
        for (what, needle) in needles {
            assert!(
                needle.len() >= 8,
                "{what} is too short to be a meaningful needle"
            );
            for (place, bytes) in &haystacks {
                let text = String::from_utf8_lossy(bytes);
                assert!(
                    !text.contains(needle.as_str()),
                    "{what} ({}…) leaked into {place}",
                    &needle[..8]
                );
            }
        }
        for (place, bytes) in &haystacks {
            let text = String::from_utf8_lossy(bytes);
            // Every JWT (access tokens, and the simulator's refresh tokens) starts with the
            // base64url of `{"`; a SAS token with its scheme name; a header with its scheme.
            assert!(!text.contains("eyJ"), "a JWT leaked into {place}");
            assert!(
                !text.contains("SharedAccessSignature"),
                "a SAS token leaked into {place}"
            );
            assert!(
                !text.to_ascii_lowercase().contains("bearer ey"),
                "an Authorization header leaked into {place}"
            );
        }
        let files = haystacks.len() - 1;
        eprintln!(
            "searched stdout/stderr ({} bytes) and {files} files for {} secrets",
            self.printed.len(),
            needles.len()
        );
        files
    }
}

/// Every secret of a run: the named ones, and every token and signature the simulator saw.
fn needles(sim: &SimHandle, named: &[(&str, String)]) -> Vec<(String, String)> {
    let seen = sim.secrets_seen();
    // A sign-in, several API calls and IoT Hub calls: tokens issued, bearers and SAS received.
    assert!(
        seen.len() >= 5,
        "the simulator recorded only {} secrets: did the run reach it?",
        seen.len()
    );
    let mut all: Vec<(String, String)> = named
        .iter()
        .map(|(what, value)| ((*what).to_owned(), value.clone()))
        .collect();
    all.extend(
        seen.into_iter()
            .map(|value| ("a token the simulator issued or received".to_owned(), value)),
    );
    all
}

/// Upload, deploy, update a gateway now, update its nodes, twin, direct method: the work a
/// pipeline does. The packages are synthetic, with versions in their names, so the gateway and
/// its nodes really move to new firmware (the simulator reads the versions from the names).
fn work(run: &mut Run, sim: &SimHandle) {
    let packages = tempfile::tempdir().unwrap();
    let (hl, _) = package(packages.path(), HL, false);
    let (rt, _) = package(packages.path(), RT, true);
    run.ok(&["upload", "--group", "Field Test", &hl, &rt]);
    run.ok(&["deploy", "--group", "Field Test", &hl, &rt, "--json"]);
    run.ok(&["deployments", "--group", "Field Test"]);
    let gateway = gateways_with_nodes(sim, "Field Test")
        .into_iter()
        .next()
        .expect("an online gateway with nodes in Field Test");
    run.ok(&[
        "update-now",
        "--group",
        "Field Test",
        "--poll-interval",
        "0.05",
        "--timeout",
        "20",
        &gateway,
    ]);
    run.ok(&["nodes", &gateway]);
    run.ok(&[
        "update-node",
        &gateway,
        "--all-outdated",
        "--poll-interval",
        "0.05",
    ]);
    let nodes = run.ok(&["nodes", &gateway, "--json"]);
    let nodes: Value = serde_json::from_slice(&nodes.stdout).unwrap();
    assert!(
        nodes
            .as_array()
            .is_some_and(|rows| !rows.is_empty() && rows.iter().all(|r| r["updatable"] == false)),
        "the node update ran: {nodes}"
    );
    run.ok(&["twin", &gateway]);
    run.ok(&[
        "invoke",
        &gateway,
        "RestartDevice",
        "--payload",
        r#"{"delaySeconds":0}"#,
    ]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_principal_pipeline_run_leaks_no_secret() {
    let sim = cloud_support::sim().await;
    let demo = sim.demo().clone();
    let mut run = Run::new("leak", arm_profile(&sim), false);
    run.env.push((
        "ASG_FOTA_CLIENT_SECRET".into(),
        demo.service_principal_secret.clone(),
    ));
    run.env.push((
        "ASG_FOTA_IOTHUB_CONNECTION_STRING".into(),
        demo.iothub_connection_string.clone(),
    ));
    // No keychain: a pipeline works from the environment alone.
    run.env.push((
        "DBUS_SESSION_BUS_ADDRESS".into(),
        "unix:path=/nonexistent/asg-fota-test-bus".into(),
    ));
    run.ok(&["whoami"]);
    run.ok(&["whoami", "--json"]);
    work(&mut run, &sim);
    run.ok(&["profile", "show"]);
    run.ok(&["profile", "show", "--json"]);
    // A failing call prints (and logs) its error: that path must not leak either.
    let failed = run.cli(&["twin", &"0".repeat(128)]).output().unwrap();
    assert!(!failed.status.success());
    run.keep(&failed);

    // The journal records the changes; it is part of what must hold no secret.
    assert!(run
        .dir
        .path()
        .join("xdg/data/com.wiznet.asg-fota/journal.jsonl")
        .exists());
    run.log();
    let needles = needles(
        &sim,
        &[
            ("the client secret", demo.service_principal_secret.clone()),
            (
                "the IoT Hub shared access key",
                shared_access_key(&demo.iothub_connection_string),
            ),
        ],
    );
    let files = run.assert_no_leak(&needles);
    assert!(files >= 3, "profiles, journal and log at least: {files}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a Secret Service: run by .ci/test under dbus-run-session"]
async fn a_device_code_sign_in_through_the_keychain_leaks_no_secret() {
    let store = KeychainStore::open().expect("needs a Secret Service");
    // The simulated person approves the code by themselves shortly after it is shown.
    let sim = cloud_support::start_sim(SimTiming {
        device_code_auto_approve: Some(Duration::from_millis(200)),
        ..SimTiming::fast()
    })
    .await;
    let demo = sim.demo().clone();
    // Its own profile name, so parallel runs never share keychain entries.
    let profile_name = format!("leak-{}", std::process::id());
    let mut run = Run::new(&profile_name, arm_person_profile(&sim), true);

    run.ok(&["login", "--no-browser"]);
    let mut stdin_login = run
        .cli(&["login", "--iothub-connection-string"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = stdin_login.stdin.take().unwrap();
        writeln!(stdin, "{}", demo.iothub_connection_string).unwrap();
    }
    let out = stdin_login.wait_with_output().unwrap();
    run.keep(&out);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let first_refresh = store
        .retrieve(&SecretKey::new(&profile_name, SecretKind::RefreshToken))
        .unwrap()
        .expect("login stores the refresh token in the keychain");
    run.ok(&["whoami"]);
    work(&mut run, &sim);
    run.ok(&["profile", "show", "--json"]);
    let last_refresh = store
        .retrieve(&SecretKey::new(&profile_name, SecretKind::RefreshToken))
        .unwrap()
        .unwrap();

    run.log();
    let needles = needles(
        &sim,
        &[
            ("the first refresh token", first_refresh.expose().clone()),
            ("the last refresh token", last_refresh.expose().clone()),
            (
                "the IoT Hub shared access key",
                shared_access_key(&demo.iothub_connection_string),
            ),
        ],
    );
    run.assert_no_leak(&needles);

    run.ok(&["logout"]);
    for kind in SecretKind::ALL {
        assert!(store
            .retrieve(&SecretKey::new(&profile_name, kind))
            .unwrap()
            .is_none());
    }
    sim.shutdown().await;
}
