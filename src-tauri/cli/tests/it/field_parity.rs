//! Field parity through the real CLI: what works against the simulator must work against the
//! real services, where the simulator is as strict as they are.
//!
//! - Gateways named by the device id the Sphere APIs hand out (upper case) are restarted and
//!   their twins read, although IoT Hub knows them in lower case only and compares ids
//!   case-sensitively (the simulator answers an upper-case hub id with 404, as IoT Hub does).
//! - A profile whose endpoints would carry secrets over plain `http` is refused, except on
//!   loopback (the simulator).

use crate::cloud_support;

use cloud_support::{legacy_profile, sim, text, Cli};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upper_case_device_ids_are_restarted_and_their_twins_read() {
    let sim = sim().await;
    let cli = Cli::new(&sim, legacy_profile(&sim));
    let snapshot = sim.snapshot();
    let field = snapshot["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Field Test")
        .unwrap()["id"]
        .clone();
    let online: Vec<String> = snapshot["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["group_id"] == field && d["gateway"]["connected"] == true)
        .map(|d| d["id"].as_str().unwrap().to_ascii_uppercase())
        .take(3)
        .collect();
    assert_eq!(online.len(), 3);
    // The ids as the legacy API lists them: upper case.
    let listed = cli.json(&["devices", "--group", "Field Test"]);
    let listed: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert!(listed.contains(&online[0].as_str()), "{listed:?}");

    let twin = cli.json(&["twin", &online[0]]);
    assert_eq!(
        twin["deviceId"].as_str().unwrap(),
        online[0].to_ascii_lowercase(),
        "IoT Hub's own (lower-case) id"
    );
    // (The third gateway: one rebooting from this restart must not be in the update below.)
    let answer = cli.json(&[
        "invoke",
        &online[2],
        "RestartDevice",
        "--payload",
        r#"{"delaySeconds":0}"#,
    ]);
    assert_eq!(answer["status"], 200);

    // Step 5 on upper-case ids: restarted, checked in, on target.
    let (ok, lines, stderr) = cli.lines(&[
        "update-now",
        "--group",
        "Field Test",
        "--poll-interval",
        "0.05",
        "--timeout",
        "20",
        &online[0],
        &online[1],
    ]);
    assert!(ok, "{stderr}\n{lines:#?}");
    for device in &online[..2] {
        let last: Vec<&Value> = lines
            .iter()
            .filter(|l| {
                l["deviceId"]
                    .as_str()
                    .is_some_and(|d| d.eq_ignore_ascii_case(device))
            })
            .collect();
        assert_eq!(
            last.last().unwrap()["status"],
            "on_target",
            "{device}: {last:#?}"
        );
    }
    // The hub saw only lower-case ids.
    let journal = sim.snapshot()["journal"].clone();
    let hub_paths: Vec<&str> = journal
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["service"] == "iothub")
        .filter_map(|e| e["path"].as_str())
        .collect();
    assert!(hub_paths.iter().any(|p| p.contains("/twins/")));
    for path in &hub_paths {
        assert_eq!(*path, path.to_ascii_lowercase(), "{path}");
    }
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_add_refuses_plain_http_except_on_loopback() {
    let sim = sim().await;
    let cli = Cli::new(&sim, legacy_profile(&sim));
    for (flag, url, field) in [
        (
            "--api-base",
            "http://prod.core.sphere.azure.net",
            "api_base",
        ),
        (
            "--authority-host",
            "http://login.microsoftonline.com",
            "authority_host",
        ),
        ("--api-base", "http://10.20.30.40:8080/as3", "api_base"),
    ] {
        let out = cli.run(&["profile", "add", "clear", "--backend", "legacy", flag, url]);
        assert!(!out.status.success(), "{flag} {url} was accepted");
        let stderr = text(&out.stderr);
        assert!(stderr.contains(field), "{stderr}");
        assert!(stderr.contains("plain http"), "{stderr}");
        assert!(stderr.contains("Use https"), "{stderr}");
        assert!(stderr.trim().lines().count() <= 2, "{stderr}");
    }
    let hub = cli.run(&[
        "profile",
        "add",
        "hub",
        "--backend",
        "legacy",
        "--iothub-host",
        "asg-demo-hub.azure-devices.net",
        "--iothub-api-base",
        "http://asg-demo-hub.azure-devices.net",
    ]);
    assert!(!hub.status.success());
    assert!(text(&hub.stderr).contains("iothub.api_base"));
    // The simulator's loopback addresses are fine.
    let local = cli.run(&[
        "profile",
        "add",
        "local",
        "--backend",
        "legacy",
        "--api-base",
        &sim.urls().legacy,
        "--authority-host",
        &sim.urls().authority,
    ]);
    assert!(local.status.success(), "{}", text(&local.stderr));
    sim.shutdown().await;
}
