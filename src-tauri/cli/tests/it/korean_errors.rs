//! Every way a command fails, in Korean (issue 13): the real binary with `LANG=ko_KR.UTF-8`
//! against a simulator is given an unknown group and profile, no sign-in, a damaged package, a
//! service that refuses or throttles, an offline gateway and bad arguments, and each failure's
//! output is checked by the Korean walk's own rules (`testkit/src/latin.js`): it must say
//! something in Hangul and hold no Latin-script word that is not data, an id, a version, a file
//! or product name, a command to type or the core's original text on its `기술 정보(원문):` line.
//! Clap's own usage errors (an unknown flag, a missing argument) are clap's English and not
//! checked here.

use std::collections::BTreeSet;

use asg_fota_testkit::korean::{latin_left, strings_of};
use serde_json::json;

use crate::cloud_support::{legacy_profile, package, sim, text, Cli};
use crate::flow::{gateways_with_nodes, HL};

fn hangul(text: &str) -> bool {
    text.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c))
}

/// Runs `args` in Korean; it must fail (`failing`) or succeed, speak Hangul, and leave no English
/// sentence (what is left goes to `findings`). Returns what it printed.
fn korean(
    cli: &Cli,
    sim: &asg_fota_sim::SimHandle,
    args: &[&str],
    failing: bool,
    extra_data: &[&str],
    findings: &mut Vec<String>,
) -> String {
    let out = cli.run_in("ko_KR.UTF-8", args);
    let printed = format!("{}\n{}", text(&out.stdout), text(&out.stderr));
    eprintln!("$ {}\n{printed}", args.join(" "));
    assert_eq!(
        !out.status.success(),
        failing,
        "{args:?} exit status {:?}:\n{printed}",
        out.status
    );
    if !hangul(&printed) {
        findings.push(format!("{}: nothing in Korean: {printed}", args.join(" ")));
    }
    let mut data = BTreeSet::new();
    strings_of(&sim.snapshot(), &mut data);
    data.extend(
        ["sim", "Demo tenant"]
            .iter()
            .chain(extra_data)
            .map(|s| (*s).to_owned()),
    );
    let data: Vec<String> = data.into_iter().collect();
    for line in latin_left(&printed, &data).expect("node runs the shared Latin check") {
        eprintln!("korean error output, {}: {line}", args.join(" "));
        findings.push(format!("{}: {line}", args.join(" ")));
    }
    printed
}

#[tokio::test(flavor = "multi_thread")]
async fn every_failure_is_told_in_korean_in_a_korean_locale() {
    let sim = sim().await;
    let cli = Cli::new(&sim, legacy_profile(&sim));
    let files = tempfile::tempdir().unwrap();
    let damaged = files.path().join("damaged.imagepackage");
    std::fs::write(&damaged, b"not an image package at all").unwrap();
    let damaged = damaged.to_str().unwrap().to_owned();
    let (hl, _) = package(files.path(), HL, false);
    let gateways = gateways_with_nodes(&sim, "Field Test");
    let one = gateways[0].clone();
    let mut findings = Vec::new();
    let mut check = |args: &[&str], failing: bool, extra: &[&str]| {
        korean(&cli, &sim, args, failing, extra, &mut findings)
    };

    // What the person typed wrong.
    check(
        &["devices", "-g", "No Such Group"],
        true,
        &["No Such Group"],
    );
    check(&["--profile", "nope", "groups"], true, &["nope"]);
    check(&["profile", "use"], true, &[]);
    check(&["profile", "remove"], true, &[]);
    check(&["profile", "add", "sim", "--backend", "demo"], true, &[]);
    check(&["update-node", &one], true, &[]);
    // A node the gateway does not list: said as that (issue 13), not as an internal error.
    let unknown_node = check(
        &[
            "update-node",
            &one,
            "02:00:00:00:00:99",
            "--poll-interval",
            "0.05",
        ],
        true,
        &[],
    );
    assert!(
        !unknown_node.contains("내부 오류") && unknown_node.contains("MAC 주소의 노드"),
        "{unknown_node}"
    );
    check(
        &[
            "update-now",
            "-g",
            "Field Test",
            &one,
            "--max-failed",
            "abc",
        ],
        true,
        &["abc"],
    );
    check(
        &["update-now", "-g", "Field Test", &one, "--window", "late"],
        true,
        &["late"],
    );
    check(
        &[
            "update-now",
            "-g",
            "Field Test",
            &one,
            "--poll-interval",
            "0",
        ],
        true,
        &[],
    );
    check(
        &["invoke", &one, "reboot", "--payload", "{nope"],
        true,
        &["{nope"],
    );
    let bad_id = check(&["twin", "not-a-device-id"], true, &["not-a-device-id"]);
    assert!(
        bad_id.contains("16진수 128자"),
        "a bad device id is said exactly (errors.invalid_input.reason.device_id): {bad_id}"
    );
    check(&["login"], true, &[]);
    check(
        &["migrate", "check", "--from", "sim", "--to", "sim"],
        true,
        &[],
    );
    check(&["migrate", "profile", "--from", "sim"], true, &[]);

    // A damaged package: read alone, and as part of an upload (the deployment is then refused).
    check(&["inspect", &damaged], true, &[]);
    check(&["upload", "-g", "Field Test", &damaged], true, &[]);
    check(
        &["deploy", "-g", "Field Test", &damaged, "--yes"],
        true,
        &[],
    );

    // The service refuses, throttles beyond the retries, or the gateway is offline.
    sim.set_faults(
        serde_json::from_value(json!({"rules": [{"service": "legacy", "method": "POST",
            "action": {"kind": "status", "status": 400}}]}))
        .unwrap(),
    );
    check(&["upload", "-g", "Field Test", &hl], true, &[]);
    sim.set_faults(
        serde_json::from_value(json!({"rules": [{"service": "legacy",
            "action": {"kind": "throttle", "retry_after_secs": 0}}]}))
        .unwrap(),
    );
    check(&["groups"], true, &[]);
    sim.set_faults(
        serde_json::from_value(json!({"rules": [{"service": "legacy",
            "action": {"kind": "status", "status": 403}}]}))
        .unwrap(),
    );
    check(&["groups"], true, &[]);
    sim.set_faults(
        serde_json::from_value(json!({"offline_devices": [one.to_lowercase()]})).unwrap(),
    );
    check(&["invoke", &one, "reboot"], true, &[]);
    check(
        &[
            "update-now",
            "-g",
            "Field Test",
            &one,
            "--yes",
            "--poll-interval",
            "0.05",
            "--timeout",
            "5",
        ],
        true,
        &[],
    );
    sim.set_faults(serde_json::from_value(json!({})).unwrap());

    // The journal of those failures (the refused upload's entry, its target the package's name):
    // a failed entry names its kind by the kind's Korean title, not by the core's code.
    let journal = check(&["journal"], false, &["ASG210_HLApp_v1.2.3"]);
    assert!(
        journal.contains("실패: 요청이 거부됨") && !journal.contains("rejected"),
        "the refused upload's entry: {journal}"
    );

    // Nobody signed in and no keychain to look in (the test's environment has none).
    let mut signed_out = Cli::new(&sim, legacy_profile(&sim));
    signed_out
        .env
        .retain(|(k, _)| k != "ASG_FOTA_CLIENT_SECRET");
    korean(&signed_out, &sim, &["groups"], true, &[], &mut findings);

    assert!(
        findings.is_empty(),
        "English left in Korean failures:\n{}",
        findings.join("\n")
    );
}
