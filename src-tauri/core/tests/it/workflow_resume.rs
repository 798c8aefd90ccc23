//! Runs that survive, against the real simulated tenant: a restart whose answer was lost is
//! verified and not sent twice; one that never arrived is sent again after the settle time; a run
//! dropped mid-way (its restarts delivered, answers held by the simulator) resumes without a
//! second restart; a phased rollout stops before anyone else is touched when the canaries fail
//! and goes phase by phase under its threshold; a maintenance window that closes mid-run lets no
//! restart out after its end. What reached the gateways is read from the simulator's own call log.

use asg_fota_testkit::cloud as cloud_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::workflow_support::*;
use asg_fota_core::cloud::model::DeviceId;
use asg_fota_core::workflow::rollout::{
    continue_always, PhaseGate, PhaseSummary, Resume, Rollout, RolloutEvent, RolloutReport,
    RolloutSettings, RunOptions, Stage,
};
use asg_fota_core::workflow::runs::Runs;
use asg_fota_core::workflow::schedule::{Clock, FailureLimit, PhasePlan, Window};
use asg_fota_sim::holds::Hold;
use asg_fota_sim::{SimConfig, SimHandle, SimTiming};
use futures_util::future::BoxFuture;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

fn settings(concurrency: usize) -> RolloutSettings {
    RolloutSettings {
        concurrency,
        poll_interval: Duration::from_millis(20),
        deadline: Duration::from_secs(10),
        restart_delay_seconds: 0,
        restart_settle: Duration::from_millis(400),
        ..RolloutSettings::default()
    }
}

struct Setup {
    sim: SimHandle,
    dir: tempfile::TempDir,
    rollout: Rollout,
    /// Online gateways of Field Test.
    field: Vec<DeviceId>,
}

/// A simulated tenant with its own seed: device ids must differ between tests, because runs in
/// one process claim their gateways (one run per gateway at a time).
async fn setup(seed: u64, fleet_size: usize, concurrency: usize) -> Setup {
    let sim = asg_fota_sim::start(SimConfig {
        timing: SimTiming::fast(),
        gateways: fleet_size,
        seed,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let plane = cloud_support::legacy(&sim, None);
    let fleet = fleet(&sim, plane.clone(), &dir);
    let group_id = plane_group(&plane, "Field Test").await;
    deploy(
        &plane,
        &group_id,
        vec![
            app("ASG210_HLApp_v1.2.3", false),
            app("ASG210_RTApp_v1.1.0_nodefw1.0.4", true),
        ],
    )
    .await;
    let rollout = Rollout::prepare(fleet, &group_id, settings(concurrency))
        .await
        .unwrap();
    let field = gateways(&sim, &group(&sim, "Field Test"), online);
    Setup {
        sim,
        dir,
        rollout,
        field,
    }
}

impl Setup {
    /// Begins a registered run of `chosen` (nothing to resume) and runs it to its end.
    async fn run_fresh(
        &self,
        chosen: &[DeviceId],
        options: &RunOptions,
        gate: PhaseGate<'_>,
        sink: &(dyn Fn(RolloutEvent) + Send + Sync),
    ) -> RolloutReport {
        let run = self.rollout.begin(chosen, options).unwrap();
        self.rollout
            .run_in(
                run,
                chosen.to_vec(),
                None,
                options,
                gate,
                &CancellationToken::new(),
                sink,
            )
            .await
    }
}

/// How many `RestartDevice` calls reached `device`.
fn restarts(sim: &SimHandle, device: &DeviceId) -> usize {
    sim.app()
        .tenant
        .holds()
        .calls()
        .iter()
        .filter(|c| c.method == "RestartDevice" && c.device.eq_ignore_ascii_case(device.as_str()))
        .count()
}

fn on_target(sim: &SimHandle, device: &DeviceId) -> bool {
    let t = twin(sim, device);
    t["properties"]["reported"]["HLAppVer"] == "1.2.3"
        && t["properties"]["reported"]["RTAppVer"] == "1.1.0"
}

fn set_faults(sim: &SimHandle, plan: serde_json::Value) {
    sim.set_faults(serde_json::from_value(plan).unwrap());
}

#[tokio::test]
async fn a_restart_whose_answer_was_lost_is_verified_and_not_sent_again() {
    let s = setup(102, 24, 1).await;
    let g = s.field[0].clone();
    // The restart reaches the gateway, then the connection drops before the answer is read.
    set_faults(
        &s.sim,
        serde_json::json!({"rules": [{"service": "iothub", "method": "POST",
            "path": "/twins/*/methods", "when": {"first_n": 1},
            "action": {"kind": "reset_response", "after_bytes": 0}}]}),
    );
    let report = s
        .rollout
        .run(vec![g.clone()], &CancellationToken::new(), &|_| {})
        .await;
    assert_eq!(report.succeeded, vec![g.clone()], "{report:#?}");
    assert_eq!(restarts(&s.sim, &g), 1);
    assert!(on_target(&s.sim, &g));
    let lines = journal(&s.dir);
    let restart: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l["action"] == "restart").collect();
    assert_eq!(restart.len(), 2, "{restart:#?}");
    assert_eq!(restart[0]["result"], "pending");
    assert_eq!(restart[1]["result"], "ok");
    assert!(
        restart[1]["detail"]
            .as_str()
            .unwrap()
            .contains("it was delivered"),
        "{restart:#?}"
    );
}

#[tokio::test]
async fn a_restart_that_never_arrived_is_sent_again_after_the_settle_time() {
    let s = setup(103, 24, 1).await;
    let g = s.field[0].clone();
    // The connection drops before the request reaches the gateway.
    set_faults(
        &s.sim,
        serde_json::json!({"rules": [{"service": "iothub", "method": "POST",
            "path": "/twins/*/methods", "when": {"first_n": 1},
            "action": {"kind": "reset_request", "after_bytes": 0}}]}),
    );
    let report = s
        .rollout
        .run(vec![g.clone()], &CancellationToken::new(), &|_| {})
        .await;
    assert_eq!(report.succeeded, vec![g.clone()], "{report:#?}");
    assert_eq!(restarts(&s.sim, &g), 1, "only the second attempt arrived");
    let results: Vec<String> = journal(&s.dir)
        .iter()
        .filter(|l| l["action"] == "restart")
        .map(|l| l["result"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(results, ["pending", "failed", "pending", "ok"]);
}

#[tokio::test]
async fn an_interrupted_run_resumes_without_a_second_restart() {
    let s = setup(104, 24, 3).await;
    let chosen: Vec<DeviceId> = s.field[..3].to_vec();
    let holds = s.sim.app().tenant.holds().clone();
    // Restarts take effect on the gateways, but neither their answers nor their check-ins come.
    holds.set([Hold::CheckIns, Hold::MethodAnswers].into());
    let rollout = s.rollout.clone();
    let ids = chosen.clone();
    let task =
        tokio::spawn(async move { rollout.run(ids, &CancellationToken::new(), &|_| {}).await });
    let started = std::time::Instant::now();
    while holds.waiting(Hold::MethodAnswers) < 3 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            holds.status()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The process "dies": the run's future is dropped mid-request, nothing more is written.
    task.abort();
    let _ = task.await;
    holds.set(Default::default());

    let runs = Runs::beside(&asg_fota_core::workflow::journal::Journal::at(
        s.dir.path().join("journal.jsonl"),
    ));
    let interrupted = runs.interrupted().unwrap();
    assert_eq!(interrupted.len(), 1);
    assert!(
        interrupted[0]
            .items
            .iter()
            .all(|i| i.unconfirmed == Some(asg_fota_core::workflow::journal::Action::Restart)),
        "{interrupted:#?}"
    );
    let id = interrupted[0].plan.id.clone();
    let (run, plan) = runs.resume(&id).unwrap();
    let resume = Resume::read(&runs, &plan).unwrap();
    let (events, sink) = recorder::<RolloutEvent>();
    let report = s
        .rollout
        .run_in(
            run,
            chosen.clone(),
            Some(resume),
            &RunOptions::default(),
            &continue_always,
            &CancellationToken::new(),
            &sink,
        )
        .await;
    assert_eq!(report.succeeded.len(), 3, "{report:#?}");
    for g in &chosen {
        assert_eq!(restarts(&s.sim, g), 1, "one restart for {g:?}");
        assert!(on_target(&s.sim, g));
    }
    assert!(events
        .lock()
        .unwrap()
        .iter()
        .all(|e| e.stage != Stage::Failed));
    assert!(runs.interrupted().unwrap().is_empty());
}

#[tokio::test]
async fn failing_canaries_stop_the_rollout_before_anyone_else_is_touched() {
    let s = setup(105, 60, 3).await;
    let chosen: Vec<DeviceId> = s.field[..9].to_vec();
    set_faults(
        &s.sim,
        serde_json::json!({"offline_devices": [chosen[0].as_str(), chosen[2].as_str()]}),
    );
    let options = RunOptions {
        phases: Some(PhasePlan {
            canary: 3,
            batch: 3,
            max_failed: FailureLimit::Count(1),
        }),
        ..RunOptions::default()
    };
    let asked = Arc::new(Mutex::new(Vec::<PhaseSummary>::new()));
    let gate = {
        let asked = asked.clone();
        move |summary: PhaseSummary| -> BoxFuture<'static, bool> {
            asked.lock().unwrap().push(summary);
            Box::pin(async { true })
        }
    };
    let (events, sink) = recorder::<RolloutEvent>();
    let report = s.run_fresh(&chosen, &options, &gate, &sink).await;
    assert_eq!(report.failed.len(), 2, "{report:#?}");
    assert_eq!(report.succeeded, vec![chosen[1].clone()]);
    assert_eq!(report.not_started, chosen[3..].to_vec());
    assert!(
        report.stopped.as_deref().unwrap().contains("2 of 3"),
        "{report:#?}"
    );
    assert!(
        asked.lock().unwrap().is_empty(),
        "past the threshold nobody is asked"
    );
    let events = events.lock().unwrap();
    for g in &chosen[3..] {
        assert!(
            events.iter().all(|e| &e.device_id != g),
            "{g:?} was touched"
        );
        assert_eq!(restarts(&s.sim, g), 0);
    }
    assert!(events.iter().all(|e| e.phase.as_deref() == Some("canary")));
    // Paused, not ended: resumable.
    let runs = Runs::beside(&asg_fota_core::workflow::journal::Journal::at(
        s.dir.path().join("journal.jsonl"),
    ));
    let paused = runs.interrupted().unwrap();
    assert_eq!(paused.len(), 1);
    assert!(paused[0].paused.as_deref().unwrap().contains("stopped"));
}

#[tokio::test]
async fn under_the_threshold_the_batches_go_in_order() {
    let s = setup(106, 60, 3).await;
    let chosen: Vec<DeviceId> = s.field[..8].to_vec();
    set_faults(
        &s.sim,
        serde_json::json!({"offline_devices": [chosen[1].as_str()]}),
    );
    let options = RunOptions {
        phases: Some(PhasePlan {
            canary: 2,
            batch: 3,
            max_failed: FailureLimit::Percent(50.0),
        }),
        ..RunOptions::default()
    };
    let asked = Arc::new(Mutex::new(Vec::<String>::new()));
    let gate = {
        let asked = asked.clone();
        move |summary: PhaseSummary| -> BoxFuture<'static, bool> {
            asked.lock().unwrap().push(summary.finished.clone());
            Box::pin(async { true })
        }
    };
    let (events, sink) = recorder::<RolloutEvent>();
    let report = s.run_fresh(&chosen, &options, &gate, &sink).await;
    assert_eq!(report.succeeded.len(), 7, "{report:#?}");
    assert_eq!(report.failed.len(), 1);
    assert_eq!(*asked.lock().unwrap(), ["canary", "batch 1"]);
    // Each phase's gateways all ended before the next phase's first one was requested.
    let events = events.lock().unwrap();
    let phase_of = |i: usize| match i {
        0..=1 => "canary",
        2..=4 => "batch 1",
        _ => "batch 2",
    };
    let mut last_final = std::collections::HashMap::new();
    let mut first_requested = std::collections::HashMap::new();
    for (n, e) in events.iter().enumerate() {
        let i = chosen.iter().position(|c| c == &e.device_id).unwrap();
        assert_eq!(e.phase.as_deref(), Some(phase_of(i)));
        if e.stage.is_final() {
            last_final.insert(phase_of(i), n);
        }
        if e.stage == Stage::Requested {
            first_requested.entry(phase_of(i)).or_insert(n);
        }
    }
    assert!(last_final["canary"] < first_requested["batch 1"]);
    assert!(last_final["batch 1"] < first_requested["batch 2"]);
}

#[tokio::test]
async fn no_restart_is_sent_after_the_window_closes() {
    let s = setup(107, 60, 1).await;
    let chosen: Vec<DeviceId> = s.field[..5].to_vec();
    let open = time::macros::datetime!(2026-12-02 22:30 UTC);
    let clock = Clock::manual(open);
    let options = RunOptions {
        window: Some(Window::parse("22:00-23:00", time::UtcOffset::UTC).unwrap()),
        clock: clock.clone(),
        ..RunOptions::default()
    };
    // After the second restart was sent, the window's end passes.
    let closed_at: Arc<Mutex<Option<OffsetDateTime>>> = Arc::default();
    let restarted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let sink = {
        let (clock, closed_at, restarted) = (clock.clone(), closed_at.clone(), restarted.clone());
        move |e: RolloutEvent| {
            if e.stage == Stage::Restarting
                && restarted.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 1
            {
                clock.set(time::macros::datetime!(2026-12-02 23:00 UTC));
                *closed_at.lock().unwrap() = Some(OffsetDateTime::now_utc());
            }
        }
    };
    let report = s
        .run_fresh(&chosen, &options, &continue_always, &sink)
        .await;
    assert_eq!(report.succeeded, chosen[..2].to_vec(), "{report:#?}");
    assert_eq!(report.deferred, chosen[2..].to_vec());
    assert!(report.stopped.as_deref().unwrap().contains("window"));
    let closed_at = closed_at.lock().unwrap().unwrap();
    let calls = s.sim.app().tenant.holds().calls();
    let sent: Vec<_> = calls
        .iter()
        .filter(|c| c.method == "RestartDevice")
        .collect();
    assert_eq!(sent.len(), 2, "{sent:#?}");
    assert!(sent.iter().all(|c| c.at <= closed_at), "{sent:#?}");
    for g in &chosen[2..] {
        assert_eq!(restarts(&s.sim, g), 0);
    }
}
