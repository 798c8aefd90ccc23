//! Every verb's human output in Korean (issue 13): the real binary with `LANG=ko_KR.UTF-8`
//! against a simulator walks the six steps and the verbs around them — groups, devices, images,
//! upload, deploy, deployments, move, update-now (in phases), nodes, update-node, compliance,
//! twin, whoami, journal, runs, profile list/show, migrate check/profile — and fails on any line
//! with a Latin-script word that is not the tenant's data, an id, a version, a file or product
//! name or a command to type (the rules are `testkit/src/latin.js`, shared with the app's Korean
//! walk). Each verb must also say something in Hangul, and `--lang en` must beat the locale.

use std::collections::BTreeSet;

use asg_fota_testkit::korean::{latin_left, strings_of};
use serde_json::{json, Value};

use crate::cloud_support::{arm_profile, legacy_profile, package, sim, text, Cli};
use crate::flow::{gateways_with_nodes, HL, RT};

fn hangul(text: &str) -> bool {
    text.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c))
}

#[tokio::test(flavor = "multi_thread")]
async fn every_verb_speaks_korean_in_a_korean_locale_and_english_with_lang_en() {
    let sim = sim().await;
    let cli = Cli::new(&sim, legacy_profile(&sim));
    let file = json!({"version": 1, "active": "legacy",
                      "profiles": {"legacy": legacy_profile(&sim), "arm": arm_profile(&sim)}});
    std::fs::write(
        cli.dir.path().join("config").join("profiles.json"),
        serde_json::to_string_pretty(&file).unwrap(),
    )
    .unwrap();
    let packages = tempfile::tempdir().unwrap();
    let (hl, hl_id) = package(packages.path(), HL, false);
    let (rt, rt_id) = package(packages.path(), RT, true);
    let gateways = gateways_with_nodes(&sim, "Field Test");
    assert!(
        gateways.len() >= 2,
        "the demo fleet has online gateways with nodes"
    );
    let (one, two) = (gateways[0].as_str(), gateways[1].as_str());
    // A device of another group, for `move`.
    let snapshot = sim.snapshot();
    let field_test =
        asg_fota_testkit::scenario::id_where(&snapshot, "groups", "name", "Field Test");
    let elsewhere = snapshot["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["group_id"].as_str() != Some(field_test.as_str()))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let fast = ["--poll-interval", "0.05", "--timeout", "20"];
    let verbs: Vec<Vec<&str>> = vec![
        vec!["groups"],
        vec!["devices", "-g", "Field Test"],
        vec!["upload", "-g", "Field Test", &hl, &rt],
        vec!["images"],
        vec!["deploy", "-g", "Field Test", &hl_id, &rt_id, "--yes"],
        vec!["deployments", "-g", "Field Test"],
        vec!["move", "-g", "Field Test", &elsewhere],
        [
            &[
                "update-now",
                "-g",
                "Field Test",
                one,
                two,
                "--canary",
                "1",
                "--yes",
            ][..],
            &fast[..],
        ]
        .concat(),
        vec!["nodes", one],
        vec![
            "update-node",
            one,
            "--all-outdated",
            "--poll-interval",
            "0.05",
        ],
        vec!["compliance"],
        vec!["twin", one],
        vec!["whoami"],
        vec!["journal"],
        vec!["runs"],
        vec!["profile", "list"],
        vec!["profile", "show"],
        vec!["migrate", "check", "--from", "legacy", "--to", "arm"],
        vec![
            "migrate",
            "profile",
            "--from",
            "legacy",
            "--subscription-id",
            "00000000-0000-0000-0000-000000000001",
            "--resource-group",
            "rg-fota",
            "--catalog",
            "fota-catalog",
        ],
    ];
    let mut findings = Vec::new();
    for args in &verbs {
        let out = cli.run_in("ko_KR.UTF-8", args);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert!(out.status.success(), "{args:?} failed:\n{stdout}\n{stderr}");
        let printed = format!("{stdout}\n{stderr}");
        assert!(
            hangul(&printed),
            "{args:?} said nothing in Korean:\n{printed}"
        );
        // The tenant's data as it is now (names, ids, versions the verbs print), the package
        // files, and the profile names.
        let mut data = BTreeSet::new();
        strings_of(&sim.snapshot(), &mut data);
        data.extend(
            [
                // Profile names (the built-in one too) and the values given on the command line.
                "legacy",
                "arm",
                "legacy-arm",
                "Demo tenant",
                "rg-fota",
                "fota-catalog",
                HL,
                RT,
                // The device contract's twin property names (`twin` prints them as labels).
                "HLAppVer",
                "RTAppVer",
                "NodeFwAvailable",
                // Azure Sphere's own role name (the service's word).
                "Administrator",
            ]
            .map(str::to_owned),
        );
        let data: Vec<String> = data.into_iter().collect();
        let left = latin_left(&printed, &data).expect("node runs the shared Latin check");
        for line in left {
            eprintln!("korean output, {}: {line}", args.join(" "));
            findings.push(format!("{}: {line}", args.join(" ")));
        }
    }
    assert!(
        findings.is_empty(),
        "English left in Korean output:\n{}",
        findings.join("\n")
    );

    // `--lang en` beats the locale; English output is what it was.
    for args in [
        vec!["groups"],
        vec!["compliance"],
        vec!["runs"],
        vec!["journal"],
    ] {
        let out = cli.run_in("ko_KR.UTF-8", &[&args[..], &["--lang", "en"]].concat());
        let printed = text(&out.stdout);
        assert!(
            out.status.success() && !hangul(&printed),
            "{args:?}: {printed}"
        );
    }
    let groups = text(
        &cli.run_in("ko_KR.UTF-8", &["groups", "--lang", "en"])
            .stdout,
    );
    assert!(groups.starts_with("GROUP"), "{groups}");
    // JSON stays the machine's: the same keys and values in either language.
    let json_of = |lang: &str| -> Value {
        serde_json::from_slice(&cli.run_in(lang, &["compliance", "--json"]).stdout).unwrap()
    };
    let (ko, en) = (json_of("ko_KR.UTF-8"), json_of("C.UTF-8"));
    let keys = |v: &Value| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
    assert_eq!(keys(&ko), keys(&en));
    assert!(!hangul(&ko.to_string()), "{ko}");
}
