//! Runs the real `asg-fota-cli inspect` binary on the real fixtures and on a damaged file.

use std::path::PathBuf;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_asg-fota-cli");

use asg_fota_testkit::fixtures::fixture_path as fixture;

const FIXTURES: [&str; 4] = [
    "hl_anvil_test_app.imagepackage",
    "hl_azure_sphere_blink.imagepackage",
    "rt_avnet_grove_gps.imagepackage",
    "rt_avnet_reference_design.imagepackage",
];

fn cli(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("the CLI binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

#[test]
fn json_reports_every_fixture_as_expected() {
    let paths: Vec<PathBuf> = FIXTURES.iter().map(|f| fixture(f)).collect();
    let mut args = vec![std::ffi::OsStr::new("inspect"), "--json".as_ref()];
    args.extend(paths.iter().map(|p| p.as_os_str()));
    let output = cli(&args);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let reports: Vec<serde_json::Value> =
        serde_json::from_str(&stdout(&output)).expect("--json prints a JSON array");
    assert_eq!(reports.len(), 4);

    let expected: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixture("expected.json")).expect("expected.json is readable"),
    )
    .expect("expected.json is JSON");
    // RFC 3339 renderings of expected.json's built_unix values (checked with Python's datetime).
    let built_at = [
        "2020-09-10T03:40:38Z",
        "2022-06-09T14:57:48Z",
        "2021-04-02T11:31:06Z",
        "2020-12-28T22:21:13Z",
    ];
    for ((name, report), built) in FIXTURES.iter().zip(&reports).zip(&built_at) {
        let want = &expected[name];
        assert!(report["file"].as_str().unwrap().ends_with(name));
        assert_eq!(report["imageId"], want["image_id"], "{name}");
        assert_eq!(report["componentId"], want["component_id"], "{name}");
        assert_eq!(report["imageType"], want["image_type"], "{name}");
        assert_eq!(report["imageTypeName"], "Applications", "{name}");
        assert_eq!(report["kind"], want["kind"], "{name}");
        assert_eq!(
            report["signingThumbprint"], want["signing_cert_thumbprint"],
            "{name}"
        );
        assert_eq!(report["signingType"], "ECDsa256", "{name}");
        assert_eq!(report["developmentTestCertificate"], true, "{name}");
        assert_eq!(report["temporaryImage"]["underDevelopment"], true, "{name}");
        assert_eq!(
            report["builtAt"], *built,
            "{name}: RFC 3339 UTC of {}",
            want["built_unix"]
        );
        assert_eq!(report["sha256"].as_str().unwrap().len(), 64, "{name}");
        assert!(report["sizeBytes"].as_u64().unwrap() > 0);
        assert!(report["capabilities"].is_object(), "{name}");
    }
}

#[test]
fn table_lists_kind_name_and_ids() {
    let output = cli(&["inspect".as_ref(), fixture(FIXTURES[2]).as_os_str()]);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "header and one row:\n{text}");
    assert!(lines[0].starts_with("FILE"));
    for column in [
        "KIND",
        "NAME",
        "IMAGE ID",
        "COMPONENT ID",
        "TYPE",
        "BUILT (UTC)",
        "SIZE",
    ] {
        assert!(lines[0].contains(column), "missing {column}:\n{text}");
    }
    assert!(lines[1].contains("RTApp"));
    assert!(lines[1].contains("AvnetGroveGPSV1"));
    assert!(lines[1].contains("592b46b7-5552-4c58-9163-9185f46b96aa"));
    assert!(lines[1].contains("10 Applications"));
    assert!(lines[1].contains("2021-04-02T11:31:06Z"));
    // Columns line up: KIND starts at the same position in the header and the row.
    let kind_at = lines[0].find("KIND").unwrap();
    assert_eq!(&lines[1][kind_at..kind_at + 5], "RTApp");
}

#[test]
fn damaged_file_fails_alone_and_the_good_one_is_still_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let damaged = dir.path().join("damaged.imagepackage");
    let mut bytes = std::fs::read(fixture(FIXTURES[0])).expect("fixture readable");
    // Break the metadata magic: the 148-byte metadata block starts 212 bytes before the end.
    let metadata_start = bytes.len() - 64 - 148;
    bytes[metadata_start] = 0;
    std::fs::write(&damaged, &bytes).expect("temp dir writable");

    let good = fixture(FIXTURES[1]);
    let output = cli(&[
        "inspect".as_ref(),
        "--json".as_ref(),
        damaged.as_os_str(),
        good.as_os_str(),
    ]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "a failed file makes the exit code 1"
    );
    let err = stderr(&output);
    let err_lines: Vec<&str> = err.lines().collect();
    assert_eq!(err_lines.len(), 1, "exactly one stderr line:\n{err}");
    assert!(err_lines[0].contains("damaged.imagepackage"), "{err}");
    assert!(
        err_lines[0].contains("not a valid Azure Sphere image package"),
        "{err}"
    );
    assert!(
        err_lines[0].contains(&format!("at byte {metadata_start}")),
        "{err}"
    );
    let reports: Vec<serde_json::Value> =
        serde_json::from_str(&stdout(&output)).expect("stdout is still a JSON array");
    assert_eq!(reports.len(), 1);
    assert_eq!(
        reports[0]["componentId"],
        "2f074b0f-d99d-4692-82d9-ef93a7d6463c"
    );
}

#[test]
fn missing_file_is_reported_on_stderr_with_exit_code_1() {
    let output = cli(&["inspect".as_ref(), "/nonexistent/x.imagepackage".as_ref()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("/nonexistent/x.imagepackage"));
    assert!(stdout(&output).is_empty());
}

#[test]
fn help_documents_the_commands() {
    let output = cli(&["--help".as_ref()]);
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(text.contains("inspect"), "{text}");
    assert!(text.contains("Azure Sphere"), "{text}");

    let output = cli(&["inspect".as_ref(), "--help".as_ref()]);
    assert!(output.status.success());
    let text = stdout(&output);
    for needle in [
        "--json",
        "FILE",
        "HLApp",
        "RTApp",
        "BoardConfig",
        "exit code is 1",
    ] {
        assert!(
            text.contains(needle),
            "inspect --help lacks {needle}:\n{text}"
        );
    }
}

#[test]
fn inspect_without_files_is_a_usage_error() {
    let output = cli(&["inspect".as_ref()]);
    assert_eq!(output.status.code(), Some(2), "clap's usage error code");
}

/// The CLI speaks the system locale's language (LANG, overridden by LC_ALL) or `--lang`: a
/// damaged package in Korean names the kind, the next action and keeps the English detail.
#[test]
fn errors_follow_the_locale_and_lang_flag() {
    let dir = tempfile::tempdir().expect("temp dir");
    let damaged = dir.path().join("damaged.imagepackage");
    std::fs::write(&damaged, b"not an image package").expect("temp dir writable");
    let run = |env: &[(&str, &str)], flag: Option<&str>| {
        let mut command = Command::new(BIN);
        command
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env_remove("LANG");
        command.envs(env.iter().copied());
        if let Some(lang) = flag {
            command.args(["--lang", lang]);
        }
        let output = command
            .args(["inspect".as_ref(), damaged.as_os_str()])
            .output()
            .expect("the CLI binary runs");
        assert_eq!(output.status.code(), Some(1));
        stderr(&output)
    };
    let hangul = |s: &str| s.chars().any(|c| ('\u{ac00}'..='\u{d7a3}').contains(&c));

    let korean = run(&[("LANG", "ko_KR.UTF-8")], None);
    assert!(hangul(&korean), "{korean}");
    assert!(korean.contains("다음에 할 일"), "{korean}");
    assert!(
        korean.contains("not a valid Azure Sphere image package"),
        "the English detail stays: {korean}"
    );
    let english = run(&[("LC_ALL", "en_US.UTF-8"), ("LANG", "ko_KR.UTF-8")], None);
    assert!(!hangul(&english), "LC_ALL wins over LANG: {english}");
    assert!(
        !hangul(&run(&[("LANG", "ko_KR.UTF-8")], Some("en"))),
        "--lang en wins"
    );
    assert!(
        hangul(&run(&[("LANG", "C.UTF-8")], Some("ko"))),
        "--lang ko wins"
    );
}
