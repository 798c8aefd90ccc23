//! Leak test: after a full sign-in → upload → deploy run (plus twin and a direct method), none of
//! the secrets involved — client secret, IoT Hub shared access key, refresh token — nor any access
//! token or SAS token appears in what the CLI printed, in the config directory, in the log
//! directory, or in the data directory (where the journal lives once it exists).
//!
//! Two runs: a pipeline run with the service principal's secret and the connection string in
//! environment variables (always runs), and a person's device-code sign-in whose refresh token and
//! connection string go through the real OS keychain (needs a Secret Service, so it runs under
//! `.ci/with-keyring` with `--include-ignored`).

use crate::cloud_support;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use asg_fota_core::secrets::{KeychainStore, SecretKey, SecretKind, SecretStore};
use asg_fota_sim::SimTiming;
use cloud_support::{
    arm_person_profile, arm_profile, fixture, path_str as path, shared_access_key, start_sim,
};
use serde_json::{json, Value};

/// One CLI home and everything its invocations printed.
struct Run {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    printed: Vec<u8>,
}

impl Run {
    fn new(profile: Value) -> Run {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        std::fs::create_dir_all(&config).unwrap();
        let file = json!({"version": 1, "active": "leak", "profiles": {"leak": profile}});
        std::fs::write(config.join("profiles.json"), file.to_string()).unwrap();
        let env = vec![
            ("ASG_FOTA_CONFIG_DIR".to_owned(), path(&config)),
            (
                "ASG_FOTA_DATA_DIR".to_owned(),
                path(&dir.path().join("data")),
            ),
            (
                "ASG_FOTA_LOG_DIR".to_owned(),
                path(&dir.path().join("logs")),
            ),
            // Whatever the CLI logs, it logs at the most talkative level here.
            ("RUST_LOG".to_owned(), "trace".to_owned()),
        ];
        Run {
            dir,
            env,
            printed: Vec::new(),
        }
    }

    fn cli(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_asg-fota-cli"));
        command
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env_remove("ASG_FOTA_PROFILE");
        command
    }

    /// Runs a verb that must succeed; keeps its output for the leak check.
    fn ok(&mut self, args: &[&str]) -> Output {
        let out = self.cli(args).output().unwrap();
        self.keep(&out);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn keep(&mut self, out: &Output) {
        self.printed.extend_from_slice(&out.stdout);
        self.printed.extend_from_slice(&out.stderr);
    }

    /// Fails the test if any needle is in the printed output or in any file the CLI wrote.
    fn assert_no_leak(&self, needles: &[(&str, String)]) {
        let mut haystacks = vec![("printed output".to_owned(), self.printed.clone())];
        for sub in ["config", "data", "logs"] {
            collect_files(&self.dir.path().join(sub), &mut haystacks);
        }
        assert!(
            haystacks.len() > 1,
            "the config directory should hold at least profiles.json"
        );
        for (what, needle) in needles {
            assert!(
                needle.len() >= 8,
                "{what} is too short to be a meaningful needle"
            );
            for (place, bytes) in &haystacks {
                let text = String::from_utf8_lossy(bytes);
                assert!(
                    !text.contains(needle.as_str()),
                    "{what} leaked into {place}"
                );
            }
        }
        for (place, bytes) in &haystacks {
            let text = String::from_utf8_lossy(bytes);
            // Every JWT (access tokens, and the simulator's refresh tokens) starts with the
            // base64url of `{"`; a SAS token with its scheme name.
            assert!(!text.contains("eyJ"), "a JWT leaked into {place}");
            assert!(
                !text.contains("SharedAccessSignature"),
                "a SAS token leaked into {place}"
            );
        }
    }
}

fn collect_files(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let p = entry.path();
        if p.is_dir() {
            collect_files(&p, out);
        } else if let Ok(bytes) = std::fs::read(&p) {
            out.push((p.display().to_string(), bytes));
        }
    }
}

/// Upload, deploy, twin, direct method: the work a pipeline does.
fn work(run: &mut Run) -> String {
    let hl = path(&fixture("hl_azure_sphere_blink.imagepackage"));
    let rt = path(&fixture("rt_avnet_reference_design.imagepackage"));
    run.ok(&["upload", "--group", "Production", &hl, &rt]);
    run.ok(&["deploy", "--group", "Production", &hl, &rt, "--json"]);
    run.ok(&["deployments", "--group", "Production"]);
    let devices = run.ok(&["devices", "--group", "Production", "--json"]);
    let devices: Value = serde_json::from_slice(&devices.stdout).unwrap();
    let device = devices[0]["id"].as_str().unwrap().to_owned();
    run.ok(&["twin", &device]);
    run.ok(&[
        "invoke",
        &device,
        "RestartDevice",
        "--payload",
        r#"{"delaySeconds":0}"#,
    ]);
    device
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_principal_pipeline_run_leaks_no_secret() {
    let sim = start_sim(SimTiming::fast()).await;
    let demo = sim.demo().clone();
    let mut run = Run::new(arm_profile(&sim));
    run.env.push((
        "ASG_FOTA_CLIENT_SECRET".into(),
        demo.service_principal_secret.clone(),
    ));
    run.env.push((
        "ASG_FOTA_IOTHUB_CONNECTION_STRING".into(),
        demo.iothub_connection_string.clone(),
    ));
    run.env.push((
        "DBUS_SESSION_BUS_ADDRESS".into(),
        "unix:path=/nonexistent/asg-fota-test-bus".into(),
    ));
    run.ok(&["whoami"]);
    run.ok(&["whoami", "--json"]);
    work(&mut run);
    run.ok(&["profile", "show"]);
    run.ok(&["profile", "show", "--json"]);
    // A failing call prints its error: that path must not leak either.
    let failed = run.cli(&["twin", &"0".repeat(128)]).output().unwrap();
    run.keep(&failed);

    // The journal records the changes; it is part of what must hold no secret.
    assert!(run.dir.path().join("data/journal.jsonl").exists());
    run.assert_no_leak(&[
        ("the client secret", demo.service_principal_secret.clone()),
        (
            "the IoT Hub shared access key",
            shared_access_key(&demo.iothub_connection_string),
        ),
    ]);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a Secret Service: run by .ci/test under dbus-run-session"]
async fn a_device_code_sign_in_through_the_keychain_leaks_no_secret() {
    let store = KeychainStore::open().expect("needs a Secret Service");
    // The simulated person approves the code by themselves shortly after it is shown.
    let sim = start_sim(SimTiming {
        device_code_auto_approve: Some(Duration::from_millis(200)),
        ..SimTiming::fast()
    })
    .await;
    let demo = sim.demo().clone();
    let profile_name = format!("leak-{}", std::process::id());
    let mut run = Run::new(arm_person_profile(&sim));
    // The profile file names the profile `leak`; rename it so parallel runs never share keys.
    let config = run.dir.path().join("config/profiles.json");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("\"leak\"", &format!("\"{profile_name}\""));
    std::fs::write(&config, text).unwrap();

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
    work(&mut run);
    run.ok(&["profile", "show", "--json"]);
    let last_refresh = store
        .retrieve(&SecretKey::new(&profile_name, SecretKind::RefreshToken))
        .unwrap()
        .unwrap();

    run.assert_no_leak(&[
        ("the first refresh token", first_refresh.expose().clone()),
        ("the last refresh token", last_refresh.expose().clone()),
        (
            "the IoT Hub shared access key",
            shared_access_key(&demo.iothub_connection_string),
        ),
    ]);

    run.ok(&["logout"]);
    for kind in SecretKind::ALL {
        assert!(store
            .retrieve(&SecretKey::new(&profile_name, kind))
            .unwrap()
            .is_none());
    }
    sim.shutdown().await;
}
