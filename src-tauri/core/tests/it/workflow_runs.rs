//! The write-ahead journal and the run registry without a tenant: rotation keeps old files and
//! `recent` reads across them newest first (lines longer than a read block included); intents are
//! marked and found again; a run in flight refuses a second run on one of its gateways (naming
//! it); a run whose owner went away without ending is interrupted, lists each gateway's last
//! stage and what is unconfirmed, and can be resumed or discarded.

use asg_fota_core::profiles::Backend;
use asg_fota_core::workflow::journal::{
    Action, Actor, Journal, JournalEntry, Outcome, RunMark, Target,
};
use asg_fota_core::workflow::runs::{RunError, RunKind, RunPlan, Runs, StageLine};
use time::OffsetDateTime;

fn actor() -> Actor {
    Actor {
        profile: "p".into(),
        backend: Backend::Arm,
    }
}

fn device(n: u8) -> String {
    format!("{n:02x}").repeat(64)
}

fn entry(n: usize, result: Outcome, detail: &str) -> JournalEntry {
    JournalEntry::new(
        OffsetDateTime::now_utc(),
        &actor(),
        Action::Restart,
        Target {
            device_id: Some(device((n % 200) as u8)),
            ..Target::default()
        },
        result,
        detail,
    )
}

#[test]
fn rotation_keeps_old_files_and_recent_reads_across_them_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::at(dir.path().join("journal.jsonl")).with_max_bytes(4_000);
    for n in 0..200 {
        // Every 50th line is longer than one read block (64 KiB), so lines cross blocks.
        let detail = if n % 50 == 7 {
            format!("long {}", "word ".repeat(20_000))
        } else {
            format!("line {n}")
        };
        journal.append(&entry(n, Outcome::Ok, &detail)).unwrap();
    }
    let files = journal.files().unwrap();
    assert!(files.len() > 10, "rotated into {} files", files.len());
    // Nothing was deleted: every line is still in some file, once.
    let total: usize = files
        .iter()
        .map(|f| {
            std::fs::read_to_string(f)
                .unwrap_or_default()
                .lines()
                .filter(|l| !l.is_empty())
                .count()
        })
        .sum();
    assert_eq!(total, 200);
    let recent = journal.recent(200).unwrap();
    assert_eq!(recent.len(), 200);
    for (i, e) in recent.iter().enumerate() {
        let n = 199 - i;
        if n % 50 == 7 {
            assert!(e.detail.starts_with("long "), "{n}");
            assert_eq!(e.detail.len(), "long ".len() + 5 * 20_000);
        } else {
            assert_eq!(e.detail, format!("line {n}"));
        }
    }
    assert_eq!(journal.recent(3).unwrap()[2].detail, "line 197");
    assert!(journal.recent(0).unwrap().is_empty());
}

#[test]
fn a_second_run_on_a_gateway_in_flight_is_refused_naming_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::at(dir.path().join("journal.jsonl"));
    let runs = Runs::beside(&journal);
    let mut first = RunPlan::new(RunKind::UpdateNow, "p");
    first.devices = vec![device(11), device(12).to_ascii_uppercase()];
    let active = runs.begin(first.clone()).unwrap();
    let mut second = RunPlan::new(RunKind::NodeUpdate, "p");
    second.nodes = vec![asg_fota_core::workflow::runs::PlannedNode {
        gateway_id: device(12),
        mac: "0008DC000001".into(),
    }];
    match runs.begin(second.clone()) {
        Err(RunError::Busy { run, device: d }) => {
            assert_eq!(run, first.id);
            assert_eq!(d, device(12));
        }
        other => panic!("expected Busy, got {other:?}"),
    }
    let message = runs.begin(second.clone()).unwrap_err().to_string();
    assert!(message.contains(&first.id), "{message}");
    // A run in flight is not interrupted, and cannot be resumed twice.
    assert!(runs.interrupted().unwrap().is_empty());
    assert_eq!(runs.in_flight().unwrap().len(), 1);
    assert!(matches!(
        runs.resume(&first.id),
        Err(RunError::InFlight(_)) | Err(RunError::Busy { .. })
    ));
    // Ended: its gateways are free again and it is not listed.
    active.end(&serde_json::json!({"done": true}));
    let other = runs.begin(second).unwrap();
    drop(other);
    assert!(matches!(runs.resume(&first.id), Err(RunError::Ended(_))));
}

#[test]
fn a_run_dropped_without_ending_is_interrupted_with_its_last_stages_and_intents() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::at(dir.path().join("journal.jsonl"));
    let runs = Runs::beside(&journal);
    let mut plan = RunPlan::new(RunKind::UpdateNow, "p");
    plan.group_name = Some("Field Test".into());
    plan.devices = vec![device(21), device(22), device(23)];
    let active = runs.begin(plan.clone()).unwrap();
    let mark = |check_in| RunMark {
        id: plan.id.clone(),
        phase: None,
        last_check_in: check_in,
    };
    let before = OffsetDateTime::now_utc() - time::Duration::hours(1);
    // Device 1: restart sent and answered, then on target. Device 2: restart intent only.
    for (n, result) in [
        (21, Outcome::Pending),
        (21, Outcome::Ok),
        (22, Outcome::Pending),
    ] {
        journal
            .append(&entry(n, result, "restart").in_run(mark(Some(before))))
            .unwrap();
    }
    // A line of another run for device 2 must not count.
    journal
        .append(&entry(22, Outcome::Ok, "other").in_run(RunMark {
            id: "another".into(),
            ..RunMark::default()
        }))
        .unwrap();
    for (n, stage) in [(21, "restarting"), (21, "on_target"), (22, "restarting")] {
        active.record_stage(&StageLine {
            device_id: device(n),
            mac: None,
            stage: stage.into(),
            phase: None,
            at: OffsetDateTime::now_utc(),
        });
    }
    drop(active); // the process went away without ending the run
    let interrupted = runs.interrupted().unwrap();
    assert_eq!(interrupted.len(), 1);
    let run = &interrupted[0];
    assert_eq!(run.plan.id, plan.id);
    assert_eq!(run.paused, None);
    let stages: Vec<(&str, Option<Action>)> = run
        .items
        .iter()
        .map(|i| (i.stage.as_str(), i.unconfirmed))
        .collect();
    assert_eq!(
        stages,
        [
            ("on_target", None),
            ("restarting", Some(Action::Restart)),
            ("not_started", None)
        ]
    );
    let history = runs.history(&plan).unwrap();
    let two = history.step(Action::Restart, &device(22), None).unwrap();
    assert!(two.intent_at.is_some());
    assert_eq!(two.outcome, None);
    assert_eq!(
        two.last_check_in.map(|t| t.unix_timestamp()),
        Some(before.unix_timestamp())
    );
    let one = history.step(Action::Restart, &device(21), None).unwrap();
    assert_eq!(one.outcome, Some(Outcome::Ok));
    // The intent line reached the file as a pending line with the run's mark.
    let text = std::fs::read_to_string(journal.path()).unwrap();
    assert!(text.contains("\"result\":\"pending\""), "{text}");
    assert!(text.contains(&format!("\"id\":\"{}\"", plan.id)), "{text}");

    // Resumed: no longer interrupted while it runs; discarded: gone for good.
    let (resumed, again) = runs.resume(&plan.id).unwrap();
    assert_eq!(again, plan);
    assert!(runs.interrupted().unwrap().is_empty());
    drop(resumed);
    runs.discard(&plan.id).unwrap();
    assert!(runs.interrupted().unwrap().is_empty());
    assert!(matches!(runs.resume(&plan.id), Err(RunError::Ended(_))));
    assert!(matches!(runs.resume("nope"), Err(RunError::Unknown(_))));
}
