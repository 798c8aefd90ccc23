//! The local journal: lines written by concurrent writers stay whole, a damaged last line is
//! skipped, `recent` is newest first, and no secret reaches the file.

use std::io::Write;

use asg_fota_core::cloud::CloudError;
use asg_fota_core::paths::AppDirs;
use asg_fota_core::profiles::Backend;
use asg_fota_core::secrets::Sensitive;
use asg_fota_core::workflow::journal::{
    Action, Actor, Journal, JournalEntry, Outcome, Target, JOURNAL_FILE,
};
use time::OffsetDateTime;

fn actor() -> Actor {
    Actor {
        profile: "Contoso legacy".into(),
        backend: Backend::Legacy,
    }
}

fn target(n: usize) -> Target {
    Target {
        group_id: Some(format!("group-{n}")),
        group_name: Some("Field".into()),
        image_ids: vec![format!("image-{n}")],
        ..Target::default()
    }
}

#[test]
fn lives_in_the_data_directory() {
    let dirs = AppDirs::resolve(|name| match name {
        "ASG_FOTA_DATA_DIR" => Some("/tmp/asg-data".into()),
        _ => Some("/tmp/other".into()),
    })
    .expect("dirs");
    assert_eq!(
        Journal::in_dirs(&dirs).path(),
        std::path::Path::new("/tmp/asg-data").join(JOURNAL_FILE)
    );
}

#[test]
fn concurrent_appends_stay_whole_lines_and_recent_is_newest_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    let journal = Journal::at(dir.path().join("nested/journal.jsonl"));
    std::thread::scope(|scope| {
        for t in 0..8 {
            let journal = journal.clone();
            scope.spawn(move || {
                for i in 0..50 {
                    journal
                        .record(
                            &actor(),
                            Action::Move,
                            target(t * 100 + i),
                            Outcome::Ok,
                            "moved",
                        )
                        .expect("append");
                }
            });
        }
    });
    let text = std::fs::read_to_string(journal.path()).expect("journal");
    // A writer that reads the file while another's line is landing may start on a fresh line:
    // that leaves an empty line, which readers skip.
    let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 400);
    for line in lines {
        let entry: serde_json::Value = serde_json::from_str(line).expect("a whole JSON line");
        for key in [
            "at", "profile", "backend", "action", "target", "result", "detail",
        ] {
            assert!(entry.get(key).is_some(), "{key} missing in {line}");
        }
        assert!(
            entry["at"].as_str().is_some_and(|at| at.ends_with('Z')),
            "{line}"
        );
    }
    let recent = journal.recent(5).expect("recent");
    assert_eq!(recent.len(), 5);
    // Newest first means file order reversed (concurrent writers may stamp times out of order).
    let last_line: JournalEntry =
        serde_json::from_str(text.lines().last().expect("a line")).expect("entry");
    assert_eq!(recent[0], last_line);
}

#[test]
fn damaged_last_line_is_skipped_and_missing_file_is_empty() {
    let dir = tempfile::tempdir().expect("temp dir");
    let journal = Journal::at(dir.path().join("journal.jsonl"));
    assert!(journal.recent(10).expect("no file yet").is_empty());
    let at = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
    for n in 0..3 {
        journal
            .append(&JournalEntry::new(
                at,
                &actor(),
                Action::Deploy,
                target(n),
                Outcome::Failed,
                "the service refused",
            ))
            .expect("append");
    }
    // A crash in the middle of a write leaves half a line (and maybe invalid UTF-8).
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(journal.path())
        .expect("open");
    file.write_all(b"{\"at\":\"2027-01-15T08:00:00Z\",\"profile\":\"x\",\"act\xff")
        .expect("write");
    let recent = journal.recent(10).expect("recent");
    assert_eq!(recent.len(), 3);
    assert_eq!(recent[0].target, target(2));
    // Appending after the damage still yields readable new entries.
    journal
        .record(
            &actor(),
            Action::Restart,
            target(9),
            Outcome::Ok,
            "restarted",
        )
        .expect("append after damage");
    let recent = journal.recent(10).expect("recent");
    assert_eq!(recent.len(), 4);
    assert_eq!(recent[0].action, Action::Restart);
}

#[test]
fn no_secret_reaches_the_journal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let journal = Journal::at(dir.path().join("journal.jsonl"));
    // Secrets that exist in the process while changes are journaled.
    let client_secret = Sensitive::<String>::new("cs-8f2Q~very-secret-client-value".to_owned());
    let token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl";
    let connection = "HostName=hub.azure-devices.net;SharedAccessKeyName=service;SharedAccessKey=QUJDREVGR0hJSktMTU5PUA==";
    let failures = [
        CloudError::InvalidInput {
            what: "token",
            reason: format!("Bearer {token}"),
        }
        .to_string(),
        format!("connection refused for {connection}"),
        format!(
            "client_secret={} rejected",
            "cs-8f2Q~very-secret-client-value"
        ),
        format!("{client_secret:?}"),
    ];
    for detail in &failures {
        journal
            .record(&actor(), Action::Upload, target(1), Outcome::Failed, detail)
            .expect("append");
    }
    let text = std::fs::read_to_string(journal.path()).expect("journal");
    for secret in [
        "cs-8f2Q~very-secret-client-value",
        token,
        "QUJDREVGR0hJSktMTU5PUA==",
    ] {
        assert!(!text.contains(secret), "{secret} leaked into {text}");
    }
    assert_eq!(text.lines().count(), failures.len());
}
