//! The real `asg-fota-cli` binary against a real simulated tenant, once through a `legacy` profile
//! and once through an `arm` profile, signed in as the demo service principal whose secret (and
//! the IoT Hub connection string) come from the pipeline environment variables.
//!
//! Each test starts its own simulator on an ephemeral port, writes a profile pointing at it into a
//! temporary config directory, runs the verbs one by one and checks the outcome in the simulator's
//! own state, not only in what the CLI printed. The OS keychain is made unreachable on purpose, so
//! these tests prove that a pipeline needs nothing but the environment.

use crate::cloud_support;

use std::process::{Command, Output};

use asg_fota_sim::{SimHandle, SimTiming};
use cloud_support::{
    arm_person_profile, arm_profile, fixture, legacy_profile, path_str, sim, start_sim, Cli,
};
use serde_json::Value;

/// The whole verb tour; the same assertions hold for both control planes.
fn tour(sim: &SimHandle, cli: &Cli) {
    // groups: every group of the simulated tenant, labelled product/group.
    let groups = cli.json(&["groups"]);
    let labels: Vec<&str> = groups
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["label"].as_str().unwrap())
        .collect();
    assert!(labels.contains(&"ASG210-Gateways/Production"), "{labels:?}");
    assert_eq!(
        labels.len(),
        sim.snapshot()["groups"].as_array().unwrap().len()
    );

    // devices of a group named by product/group.
    let devices = cli.json(&["devices", "--group", "ASG210-Gateways/Field Test"]);
    let device = devices[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(device.len(), 128);

    // upload twice: the second run skips both images and creates nothing new.
    let hl = fixture("hl_azure_sphere_blink.imagepackage");
    let rt = fixture("rt_avnet_grove_gps.imagepackage");
    let (hl, rt) = (path_str(&hl), path_str(&rt));
    let first = cli.json(&["upload", "--group", "Production", &hl, &rt]);
    let statuses: Vec<&str> = first
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["uploaded", "uploaded"]);
    let images_after_first = sim.snapshot()["images"].as_array().unwrap().len();
    let second = cli.json(&["upload", "--group", "Production", &hl, &rt]);
    assert!(second
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["outcome"] == "skipped"));
    assert_eq!(
        sim.snapshot()["images"].as_array().unwrap().len(),
        images_after_first
    );
    let ids: Vec<String> = first
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["imageId"].as_str().unwrap().to_lowercase())
        .collect();

    // deploy one file (already uploaded) and one image by id; the group now holds exactly them.
    let deployed = cli.json(&[
        "deploy",
        "--group",
        "ASG210-Gateways/Production",
        &hl,
        &ids[1],
    ]);
    let mut held: Vec<String> = deployed["plan"]["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap().to_lowercase())
        .collect();
    held.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(held, want);
    let snapshot = sim.snapshot();
    let production = snapshot["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Production")
        .unwrap()
        .clone();
    let sim_deployments: Vec<&Value> = snapshot["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["group_id"] == production["id"])
        .collect();
    assert_eq!(
        sim_deployments.len(),
        1,
        "exactly one deployment was created"
    );
    let mut in_sim: Vec<String> = sim_deployments[0]["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap().to_lowercase())
        .collect();
    in_sim.sort();
    assert_eq!(in_sim, want);

    // deployments: the new one is there and marked current.
    let listed = cli.json(&["deployments", "--group", "Production"]);
    let current: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["current"] == true)
        .collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["id"], deployed["deployment"]["id"]);

    // move the Field Test device into Production; the simulator agrees.
    let moved = cli.json(&["move", "--group", "Production", &device]);
    assert_eq!(moved[0]["moved"], true);
    let snapshot = sim.snapshot();
    let sim_device = snapshot["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"].as_str().unwrap().eq_ignore_ascii_case(&device))
        .unwrap();
    assert_eq!(sim_device["group_id"], production["id"]);

    // twin and invoke through IoT Hub with the SAS made from the connection string.
    let twin = cli.json(&["twin", &device]);
    assert!(twin["deviceId"]
        .as_str()
        .unwrap()
        .eq_ignore_ascii_case(&device));
    assert!(twin["properties"]["reported"]["HLAppVer"].is_string());
    let answer = cli.json(&[
        "invoke",
        &device,
        "RestartDevice",
        "--payload",
        r#"{"delaySeconds":0}"#,
    ]);
    assert_eq!(answer["status"], 200);

    // Errors: one line on stderr and a non-zero exit.
    for (args, words) in [
        (
            vec!["devices", "--group", "No Such Group"],
            "no device group matches",
        ),
        (vec!["twin", "not-a-device"], "128 hexadecimal"),
        (
            vec![
                "upload",
                "--group",
                "Production",
                "/nonexistent.imagepackage",
            ],
            "nonexistent",
        ),
        (
            vec!["invoke", &device, "RestartDevice", "--payload", "{oops"],
            "not JSON",
        ),
    ] {
        let out = cli.run(&args);
        assert!(!out.status.success(), "{args:?} should fail");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(words), "{args:?}: {stderr}");
        assert!(stderr.trim().lines().count() <= 2, "{args:?}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_profile_runs_every_verb() {
    let sim = sim().await;
    let cli = Cli::new(&sim, legacy_profile(&sim));
    let who = cli.json(&["whoami"]);
    assert_eq!(who["plane"], "legacy");
    assert_eq!(who["sign_in"], "service_principal");
    assert!(!who["roles"].as_array().unwrap().is_empty(), "{who}");
    tour(&sim, &cli);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arm_profile_runs_every_verb() {
    let sim = sim().await;
    let cli = Cli::new(&sim, arm_profile(&sim));
    let who = cli.json(&["whoami"]);
    assert_eq!(who["plane"], "arm");
    tour(&sim, &cli);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_secrets_or_keychain_the_cli_says_what_to_do() {
    let sim = sim().await;
    let mut cli = Cli::new(&sim, arm_profile(&sim));
    cli.env.retain(|(k, _)| k != "ASG_FOTA_CLIENT_SECRET");
    let out = cli.run(&["groups"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no OS keychain is reachable"), "{stderr}");
    assert!(stderr.contains("ASG_FOTA_CLIENT_SECRET"), "{stderr}");
    sim.shutdown().await;
}

#[test]
fn profile_verbs_manage_the_file_and_refuse_a_damaged_one() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_asg-fota-cli"))
            .args(args)
            .env("ASG_FOTA_CONFIG_DIR", &config)
            .env("ASG_FOTA_DATA_DIR", dir.path().join("data"))
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/asg-fota-test-bus",
            )
            .env_remove("ASG_FOTA_PROFILE")
            .output()
            .unwrap()
    };
    let listed = run(&["profile", "list", "--json"]);
    let listed: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed[0]["name"], "Demo tenant");
    assert_eq!(listed[0]["active"], true);

    let add = run(&[
        "profile",
        "add",
        "contoso",
        "--backend",
        "arm",
        "--tenant-id",
        "t",
        "--subscription-id",
        "s",
        "--resource-group",
        "rg",
        "--catalog",
        "c",
        "--use",
    ]);
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    let shown: Value = serde_json::from_slice(&run(&["profile", "show", "--json"]).stdout).unwrap();
    assert_eq!(shown["name"], "contoso");
    assert_eq!(shown["settings"]["catalog"], "c");
    // The keychain cannot be asked here, so presence is unknown rather than a guess.
    assert!(shown["secrets"][0]["stored"].is_null());

    let missing_catalog = run(&["profile", "add", "x", "--backend", "arm"]);
    assert!(!missing_catalog.status.success());
    assert!(String::from_utf8_lossy(&missing_catalog.stderr).contains("subscription_id"));

    assert!(run(&["profile", "use", "Demo tenant"]).status.success());
    assert!(run(&["profile", "remove", "contoso"]).status.success());
    let names: Value = serde_json::from_slice(&run(&["profile", "list", "--json"]).stdout).unwrap();
    assert_eq!(names.as_array().unwrap().len(), 1);

    // A damaged file: a clear error naming it, and the file is left exactly as it was.
    let file = config.join("profiles.json");
    std::fs::write(&file, "{\"version\": 1,\n \"profiles\": {,}}").unwrap();
    let out = run(&["profile", "add", "y", "--backend", "legacy"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("profiles.json") && stderr.contains("line 2"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "{\"version\": 1,\n \"profiles\": {,}}"
    );
}

#[test]
fn the_demo_tenant_keeps_its_state_between_invocations() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_asg-fota-cli"))
            .args(args)
            .env("ASG_FOTA_CONFIG_DIR", dir.path().join("config"))
            .env("ASG_FOTA_DATA_DIR", dir.path().join("data"))
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/asg-fota-test-bus",
            )
            .env_remove("ASG_FOTA_PROFILE")
            .env_remove("ASG_FOTA_CLIENT_SECRET")
            .output()
            .unwrap()
    };
    let devices = run(&["devices", "--group", "Field Test", "--json"]);
    assert!(
        devices.status.success(),
        "{}",
        String::from_utf8_lossy(&devices.stderr)
    );
    let devices: Value = serde_json::from_slice(&devices.stdout).unwrap();
    let device = devices[0]["id"].as_str().unwrap().to_owned();
    assert!(run(&["move", "--group", "Lab", &device]).status.success());
    assert!(dir.path().join("data/demo-tenant.json").exists());
    // A second process sees the move made by the first.
    let lab: Value =
        serde_json::from_slice(&run(&["devices", "--group", "Lab", "--json"]).stdout).unwrap();
    assert!(lab
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["id"].as_str().unwrap().eq_ignore_ascii_case(&device)));
    // No config file is written just by using the Demo tenant.
    assert!(!dir.path().join("config/profiles.json").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_without_a_keychain_fails_before_asking_for_anything() {
    let sim = sim().await;
    let cli = Cli::new(&sim, arm_person_profile(&sim));
    let out = cli.run(&["login", "--no-browser"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no OS keychain is reachable"), "{stderr}");
    // No device code was requested: nobody is asked to approve a sign-in that cannot be kept.
    assert!(sim.snapshot()["device_codes"]
        .as_array()
        .is_none_or(Vec::is_empty));
    sim.shutdown().await;
}

/// Runs `login` with the real keychain of the surrounding D-Bus session (`.ci/with-keyring`).
fn keychain_cli(sim: &SimHandle, profile: Value) -> Cli {
    let mut cli = Cli::new(sim, profile);
    cli.env
        .retain(|(k, _)| !k.starts_with("ASG_FOTA_CLIENT_SECRET"));
    cli
}

fn run_with_bus(cli: &Cli, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_asg-fota-cli"))
        .args(args)
        .envs(cli.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env_remove("ASG_FOTA_PROFILE")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{stdin}").unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a Secret Service: run by .ci/test under dbus-run-session"]
async fn service_principal_login_keeps_only_a_secret_that_works() {
    use asg_fota_core::secrets::{KeychainStore, SecretKey, SecretKind, SecretStore};
    let store = KeychainStore::open().expect("needs a Secret Service");
    let sim = sim().await;
    let name = format!("sp-login-{}", std::process::id());
    let mut profile = arm_profile(&sim);
    profile
        .as_object_mut()
        .unwrap()
        .remove("service_principal_client_id");
    let cli = keychain_cli(&sim, profile);
    let file = cli.dir.path().join("config/profiles.json");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("\"sim\"", &format!("\"{name}\""));
    std::fs::write(&file, text).unwrap();
    let key = SecretKey::new(&name, SecretKind::ClientSecret);
    let sp = sim.demo().service_principal_client_id.clone();

    let wrong = run_with_bus(
        &cli,
        &["login", "--service-principal", "--client-id", &sp],
        "not-the-secret",
    );
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("was not kept"));
    assert!(store.retrieve(&key).unwrap().is_none());

    let right = run_with_bus(
        &cli,
        &["login", "--service-principal", "--json"],
        &sim.demo().service_principal_secret,
    );
    assert!(
        right.status.success(),
        "{}",
        String::from_utf8_lossy(&right.stderr)
    );
    let who: Value = serde_json::from_slice(&right.stdout).unwrap();
    assert_eq!(who["sign_in"], "service_principal");
    assert_eq!(
        store.retrieve(&key).unwrap().unwrap().expose(),
        &sim.demo().service_principal_secret
    );
    // The keychain alone now signs the profile in.
    assert!(run_with_bus(&cli, &["groups"], "").status.success());
    assert!(run_with_bus(&cli, &["logout"], "").status.success());
    assert!(store.retrieve(&key).unwrap().is_none());
    sim.shutdown().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a Secret Service: run by .ci/test under dbus-run-session"]
async fn ctrl_c_cancels_a_device_code_login() {
    use std::io::{BufRead, BufReader};
    let sim = sim().await;
    let cli = keychain_cli(&sim, arm_person_profile(&sim));
    let mut child = Command::new(env!("CARGO_BIN_EXE_asg-fota-cli"))
        .args(["login", "--no-browser"])
        .envs(cli.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env_remove("ASG_FOTA_PROFILE")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut prompt = String::new();
    stderr.read_line(&mut prompt).unwrap();
    assert!(prompt.contains("code"), "{prompt}");
    let started = std::time::Instant::now();
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(!status.success());
    assert!(rest.contains("Cancelled"), "{rest}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pipeline_can_run_on_a_refresh_token_from_the_environment() {
    use asg_fota_core::profiles::Profile;
    use asg_fota_core::secrets::{MemoryStore, SecretKey, SecretKind, SecretStore};
    use asg_fota_core::session::{
        finish_device_code_sign_in, start_device_code_sign_in, SessionConfig,
    };
    let sim = start_sim(SimTiming {
        device_code_auto_approve: Some(std::time::Duration::from_millis(50)),
        ..SimTiming::fast()
    })
    .await;
    let profile_json = arm_person_profile(&sim);
    // A refresh token got once, elsewhere (here: in-process, as `login` would).
    let profile: Profile = serde_json::from_value(profile_json.clone()).unwrap();
    let config = SessionConfig::from_profile("sim", &profile).unwrap();
    let (identity, prompt) = start_device_code_sign_in(&config).await.unwrap();
    let store = MemoryStore::new();
    finish_device_code_sign_in(
        &config,
        &identity,
        &prompt,
        &tokio_util::sync::CancellationToken::new(),
        &store,
    )
    .await
    .unwrap();
    let refresh = store
        .retrieve(&SecretKey::new("sim", SecretKind::RefreshToken))
        .unwrap()
        .unwrap();

    let mut cli = Cli::new(&sim, profile_json);
    cli.env
        .push(("ASG_FOTA_REFRESH_TOKEN".into(), refresh.expose().clone()));
    let out = cli.run(&["whoami", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let who: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(who["sign_in"], "user");
    assert_eq!(who["account"], sim.demo().user_upn.as_str());
    // No keychain here, and none needed: the pipeline's token is not written anywhere, so there
    // is no warning about keeping its successor either.
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    sim.shutdown().await;
}
