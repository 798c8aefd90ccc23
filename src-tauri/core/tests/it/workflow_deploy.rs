//! Steps 1–4 of the workflow against the real simulator, once over the legacy plane and once over
//! ARM: upload (a second upload is skipped), preflight refusals that create nothing, the diff
//! against the current deployment, deploy + history + redeploy, the policy warning, faults
//! (503 during an upload, a burst of 429s, a lost deployment answer) and the journal lines.

use asg_fota_testkit::cloud as cloud_support;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use asg_fota_core::cloud::model::{ImageId, UpdatePolicy};
use asg_fota_core::cloud::ControlPlane;
use asg_fota_core::inspect::inspect_file;
use asg_fota_core::profiles::Backend;
use asg_fota_core::workflow::deploy::{self, DeployError, Recorder};
use asg_fota_core::workflow::groups::{group_views, LocalKinds};
use asg_fota_core::workflow::journal::{Action, Actor, Journal, Outcome};
use asg_fota_core::workflow::plan::{ProblemKind, WarningKind};
use asg_fota_core::workflow::upload::{
    local_kinds, upload_packages, UploadOutcome, UploadPhase, UploadProgress, UploadSettings,
};
use asg_fota_testkit::builder::{app_package, manifest_json, PackageSpec, SigningKey};
use cloud_support::{arm, calls, faults, fixture, legacy, sim};
use serde_json::json;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// The packages of the test: four real ones and synthetic ones for the cases fixtures lack.
struct Packages {
    hl_blink: PathBuf,
    hl_anvil: PathBuf,
    rt_grove: PathBuf,
    rt_reference: PathBuf,
    /// A newer build of the blink app: same component, new image.
    hl_blink_v2: PathBuf,
    board_1: PathBuf,
    board_2: PathBuf,
    /// A different image of rt_grove's component.
    rt_grove_twin: PathBuf,
}

impl Packages {
    fn all(&self) -> Vec<PathBuf> {
        vec![
            self.hl_blink.clone(),
            self.hl_anvil.clone(),
            self.rt_grove.clone(),
            self.rt_reference.clone(),
            self.hl_blink_v2.clone(),
            self.board_1.clone(),
            self.board_2.clone(),
            self.rt_grove_twin.clone(),
        ]
    }
}

fn component_of(path: &Path) -> Uuid {
    let report = inspect_file(path).expect("fixture reads");
    report.component_id.parse().expect("a GUID")
}

fn id(path: &Path) -> ImageId {
    ImageId::new(inspect_file(path).expect("package reads").image_id)
}

fn write_app(
    dir: &Path,
    file: &str,
    name: &str,
    component: Uuid,
    app_type: Option<&str>,
) -> PathBuf {
    let mut spec = PackageSpec::app(name);
    spec.component_id = component;
    write_package(dir, file, &spec, app_type)
}

fn write_board(dir: &Path, file: &str, name: &str) -> PathBuf {
    let mut spec = PackageSpec::app(name);
    spec.image_type = 21;
    spec.temporary_flags = None;
    write_package(dir, file, &spec, None)
}

fn write_package(dir: &Path, file: &str, spec: &PackageSpec, app_type: Option<&str>) -> PathBuf {
    let name = String::from_utf8_lossy(&spec.debug_name).into_owned();
    let built = app_package(
        spec,
        &manifest_json(spec, &name, app_type),
        &SigningKey::p256(),
    );
    let path = dir.join(file);
    std::fs::write(&path, built.bytes).expect("write package");
    path
}

fn packages(dir: &Path) -> Packages {
    let hl_blink = fixture("hl_azure_sphere_blink.imagepackage");
    let rt_grove = fixture("rt_avnet_grove_gps.imagepackage");
    Packages {
        hl_blink_v2: write_app(
            dir,
            "blink_v2.imagepackage",
            "ASG210_HLApp_v2",
            component_of(&hl_blink),
            None,
        ),
        rt_grove_twin: write_app(
            dir,
            "grove_twin.imagepackage",
            "ASG210_RTApp_twin",
            component_of(&rt_grove),
            Some("RealTimeCapable"),
        ),
        board_1: write_board(dir, "board1.imagepackage", "ASG210_Ethernet_1"),
        board_2: write_board(dir, "board2.imagepackage", "ASG210_Ethernet_2"),
        hl_blink,
        hl_anvil: fixture("hl_anvil_test_app.imagepackage"),
        rt_grove,
        rt_reference: fixture("rt_avnet_reference_design.imagepackage"),
    }
}

fn upload_calls(sim: &asg_fota_sim::SimHandle) -> usize {
    calls(sim)
        .iter()
        .filter(|c| {
            (c.method == "POST" && c.path.ends_with("/images"))
                || (c.method == "PUT" && c.path.contains("/images/"))
        })
        .count()
}

fn deployment_calls(sim: &asg_fota_sim::SimHandle) -> usize {
    calls(sim)
        .iter()
        .filter(|c| {
            (c.method == "POST" && c.path.ends_with("/deployments"))
                || (c.method == "PUT" && c.path.contains("/deployments/"))
        })
        .count()
}

async fn flow(plane: ControlPlane, sim: asg_fota_sim::SimHandle, backend: Backend) {
    let dir = tempfile::tempdir().expect("temp dir");
    let journal = Journal::at(dir.path().join("data/journal.jsonl"));
    let actor = Actor {
        profile: format!("{backend} test"),
        backend,
    };
    let recorder = Recorder {
        journal: &journal,
        actor: &actor,
    };
    let pkgs = packages(dir.path());

    // Step 1: the groups, with counts and policies.
    let groups = group_views(&plane, &LocalKinds::new())
        .await
        .expect("groups");
    assert_eq!(groups.len(), 5, "{groups:#?}");
    let target = groups
        .iter()
        .find(|g| g.update_policy == Some(UpdatePolicy::UpdateAll) && g.device_count > Some(0))
        .expect("an UpdateAll group with devices")
        .clone();
    let blocked = groups
        .iter()
        .find(|g| g.policy_blocks_apps)
        .expect("a group whose policy blocks apps")
        .clone();
    assert!(target.current_deployment.is_none());

    // Step 2: upload everything through a 503 and a burst of 429s.
    let service = match backend {
        Backend::Legacy => "legacy",
        _ => "arm",
    };
    let (upload_method, upload_path) = match backend {
        Backend::Legacy => ("POST", "/v2/tenants/*/images".to_owned()),
        _ => (
            "PUT",
            "/subscriptions/*/resourceGroups/*/providers/Microsoft.AzureSphere/catalogs/*/images/*"
                .to_owned(),
        ),
    };
    faults(
        &sim,
        json!({"rules": [
            {"service": service, "method": upload_method, "path": upload_path, "when": {"first_n": 1}, "action": {"kind": "status", "status": 503}},
            {"service": service, "when": {"first_n": 3}, "action": {"kind": "throttle", "retry_after_secs": 0}}
        ]}),
    );
    let seen: Mutex<Vec<UploadProgress>> = Mutex::new(Vec::new());
    let on_progress = |p: &UploadProgress| seen.lock().expect("lock").push(p.clone());
    let cancel = CancellationToken::new();
    let results = upload_packages(
        &plane,
        recorder,
        &pkgs.all(),
        &UploadSettings::default(),
        &cancel,
        &on_progress,
    )
    .await;
    faults(&sim, json!({}));
    let statuses: Vec<u16> = calls(&sim).iter().map(|c| c.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 503).count(),
        1,
        "{statuses:?}"
    );
    for r in &results {
        assert_eq!(r.outcome, UploadOutcome::Uploaded, "{r:#?}");
        let image = r.image.as_ref().expect("the tenant's view");
        assert!(image.processed, "{image:?}");
    }
    {
        let seen = seen.lock().expect("lock");
        for path in pkgs.all() {
            let file = path.display().to_string();
            let phases: Vec<UploadPhase> = seen
                .iter()
                .filter(|p| p.path == file)
                .map(|p| p.phase)
                .collect();
            assert_eq!(
                phases.first(),
                Some(&UploadPhase::Queued),
                "{file}: {phases:?}"
            );
            assert_eq!(
                phases.last(),
                Some(&UploadPhase::Done),
                "{file}: {phases:?}"
            );
            assert!(
                phases.contains(&UploadPhase::Processing),
                "{file}: {phases:?}"
            );
            let done = seen
                .iter()
                .rfind(|p| p.path == file)
                .expect("a last report");
            assert!(
                done.total_bytes > 0 && done.bytes_sent == done.total_bytes,
                "{done:?}"
            );
        }
    }
    let local = local_kinds(&results);
    assert_eq!(local.len(), 8);
    for r in &results {
        assert_eq!(
            r.path,
            pkgs.all()
                .iter()
                .find(|p| p.ends_with(&r.file))
                .expect("its path")
                .display()
                .to_string()
        );
    }

    // A second upload sends nothing.
    let before = upload_calls(&sim);
    let again = upload_packages(
        &plane,
        recorder,
        &pkgs.all(),
        &UploadSettings::default(),
        &cancel,
        &|_| {},
    )
    .await;
    assert!(
        again.iter().all(|r| r.outcome == UploadOutcome::Skipped),
        "{again:#?}"
    );
    assert_eq!(
        upload_calls(&sim),
        before,
        "a second upload must send nothing"
    );

    // Step 3: the preflight refuses and creates nothing.
    let unknown = ImageId::new(Uuid::new_v4().to_string());
    let refusals: Vec<(&str, Vec<ImageId>, ProblemKind)> = vec![
        (
            "five images",
            vec![
                id(&pkgs.hl_blink),
                id(&pkgs.rt_grove),
                id(&pkgs.rt_reference),
                id(&pkgs.board_1),
                id(&pkgs.board_2),
            ],
            ProblemKind::TooManyImages,
        ),
        (
            "two HLApps",
            vec![id(&pkgs.hl_blink), id(&pkgs.hl_anvil)],
            ProblemKind::TooManyHlApps,
        ),
        (
            "duplicate component",
            vec![id(&pkgs.rt_grove), id(&pkgs.rt_grove_twin)],
            ProblemKind::DuplicateComponent,
        ),
        (
            "unknown image",
            vec![id(&pkgs.hl_blink), unknown],
            ProblemKind::NotInTenant,
        ),
    ];
    let deployments_before = deployment_calls(&sim);
    for (name, images, kind) in refusals {
        let err = deploy::create(&plane, recorder, &target.id, &images, &local, None)
            .await
            .expect_err(name);
        assert_eq!(err.kind(), "preflight_failed", "{name}: {err}");
        let plan = err.plan().expect("the refusing plan");
        assert!(
            plan.problems.iter().any(|p| p.kind == kind),
            "{name}: {:?}",
            plan.problems
        );
    }
    assert_eq!(
        deployment_calls(&sim),
        deployments_before,
        "nothing is created"
    );
    assert!(deploy::history(&plane, &target.id, &local)
        .await
        .expect("history")
        .is_empty());

    // Deploy set A, with a lost answer on the first attempt: exactly one deployment results.
    let set_a = vec![id(&pkgs.hl_blink), id(&pkgs.rt_grove), id(&pkgs.board_1)];
    let planned = deploy::plan_deployment(&plane, &target.id, &set_a, &local)
        .await
        .expect("plan A");
    assert!(!planned.plan.is_blocked(), "{:?}", planned.plan.problems);
    assert_eq!(planned.plan.diff.added.len(), 3);
    assert_eq!(Some(planned.plan.reach_devices), target.device_count);
    let deploy_rule = match backend {
        Backend::Legacy => {
            json!({"service": "legacy", "method": "POST", "path": "/v2/tenants/*/devicegroups/*/deployments", "when": {"first_n": 1}, "action": {"kind": "reset_response", "after_bytes": 0}})
        }
        _ => {
            json!({"service": "arm", "method": "PUT", "path": "/subscriptions/*/resourceGroups/*/providers/Microsoft.AzureSphere/catalogs/*/products/*/deviceGroups/*/deployments/*", "when": {"first_n": 1}, "action": {"kind": "reset_response", "after_bytes": 0}})
        }
    };
    faults(&sim, json!({ "rules": [deploy_rule] }));
    let a = deploy::create(
        &plane,
        recorder,
        &target.id,
        &set_a,
        &local,
        Some(&planned.plan),
    )
    .await
    .expect("deploy A after a lost answer");
    faults(&sim, json!({}));
    assert_eq!(
        deployment_calls(&sim),
        deployments_before + 1,
        "the lost answer's request was not sent twice"
    );
    assert!(a.deployment.current);
    let history = deploy::history(&plane, &target.id, &local)
        .await
        .expect("history");
    assert_eq!(
        history.len(),
        1,
        "a lost answer must not make a duplicate: {history:#?}"
    );

    // The diff of set B against A: blink replaced by its v2, the rest kept.
    let set_b = vec![id(&pkgs.hl_blink_v2), id(&pkgs.rt_grove), id(&pkgs.board_1)];
    let planned_b = deploy::plan_deployment(&plane, &target.id, &set_b, &local)
        .await
        .expect("plan B");
    let diff = &planned_b.plan.diff;
    assert_eq!(diff.kept.len(), 2, "{diff:#?}");
    assert_eq!(diff.replaced.len(), 1, "{diff:#?}");
    assert_eq!(diff.replaced[0].from.id, id(&pkgs.hl_blink));
    assert_eq!(diff.replaced[0].to.id, id(&pkgs.hl_blink_v2));
    assert!(diff.added.is_empty() && diff.removed.is_empty());
    // Dropping the board configuration is warned about.
    let set_c = vec![id(&pkgs.hl_blink_v2), id(&pkgs.rt_grove)];
    let planned_c = deploy::plan_deployment(&plane, &target.id, &set_c, &local)
        .await
        .expect("plan C");
    assert_eq!(planned_c.plan.diff.removed.len(), 1);
    assert!(planned_c
        .plan
        .warnings
        .iter()
        .any(|w| w.kind == WarningKind::DropsComponent));
    // The same set again: nothing to do.
    let same = deploy::plan_deployment(&plane, &target.id, &set_a, &local)
        .await
        .expect("plan A again");
    assert!(same
        .plan
        .warnings
        .iter()
        .any(|w| w.kind == WarningKind::NothingToDo));

    // A plan confirmed before someone else deployed is refused.
    let b = deploy::create(
        &plane,
        recorder,
        &target.id,
        &set_b,
        &local,
        Some(&planned_b.plan),
    )
    .await
    .expect("deploy B");
    let stale = deploy::create(
        &plane,
        recorder,
        &target.id,
        &set_c,
        &local,
        Some(&planned_b.plan),
    )
    .await
    .expect_err("stale confirmation");
    assert!(matches!(stale, DeployError::PlanChanged { .. }), "{stale}");

    // Step 4: history newest first, the current one marked; redeploy A.
    let history = deploy::history(&plane, &target.id, &local)
        .await
        .expect("history");
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].id, b.deployment.id);
    assert!(history[0].current && !history[1].current);
    assert_eq!(history[1].id, a.deployment.id);
    assert!(history[1].found().iter().any(|i| i.name.is_some()));
    let rollback = deploy::plan_redeploy(&plane, &target.id, &a.deployment.id, &local)
        .await
        .expect("plan the rollback");
    assert_eq!(rollback.plan.diff.replaced.len(), 1);
    assert_eq!(rollback.plan.diff.replaced[0].to.id, id(&pkgs.hl_blink));
    let again = deploy::redeploy(
        &plane,
        recorder,
        &target.id,
        &a.deployment.id,
        &local,
        Some(&rollback.plan),
    )
    .await
    .expect("redeploy A");
    let history = deploy::history(&plane, &target.id, &local)
        .await
        .expect("history");
    assert_eq!(history.len(), 3);
    assert_eq!(history[0].id, again.deployment.id);
    assert!(history[0].current);
    let mut now: Vec<String> = history[0]
        .image_ids()
        .iter()
        .map(|i| i.as_str().to_ascii_lowercase())
        .collect();
    let mut want: Vec<String> = set_a
        .iter()
        .map(|i| i.as_str().to_ascii_lowercase())
        .collect();
    now.sort();
    want.sort();
    assert_eq!(now, want);

    // A group whose policy blocks application updates is warned about.
    let policy = deploy::plan_deployment(&plane, &blocked.id, &set_a, &local)
        .await
        .expect("plan for the blocked group");
    assert!(policy.group.policy_blocks_apps);
    assert!(policy
        .plan
        .warnings
        .iter()
        .any(|w| w.kind == WarningKind::PolicyBlocksApps));

    // The journal holds every upload and deployment, and no secret.
    let entries = journal.recent(100).expect("journal");
    let count = |action, result| {
        entries
            .iter()
            .filter(|e| e.action == action && e.result == result)
            .count()
    };
    assert_eq!(count(Action::Upload, Outcome::Ok), 8);
    assert_eq!(count(Action::Upload, Outcome::Skipped), 8);
    assert_eq!(count(Action::Deploy, Outcome::Ok), 3);
    assert!(entries
        .iter()
        .all(|e| e.profile == actor.profile && e.backend == backend));
    let text = std::fs::read_to_string(journal.path()).expect("journal text");
    assert!(!text.contains(&sim.demo().service_principal_secret));
    assert!(!text.to_ascii_lowercase().contains("bearer"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_upload_plan_deploy_history_redeploy() {
    let sim = sim().await;
    let plane = legacy(&sim, Some(10));
    flow(plane, sim, Backend::Legacy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arm_upload_plan_deploy_history_redeploy() {
    let sim = sim().await;
    let plane = arm(&sim, Some(10));
    flow(plane, sim, Backend::Arm).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_cancel_stops_the_rest_and_a_damaged_file_fails_alone() {
    let sim = sim().await;
    let plane = legacy(&sim, None);
    let dir = tempfile::tempdir().expect("temp dir");
    let journal = Journal::at(dir.path().join("journal.jsonl"));
    let actor = Actor {
        profile: "cancel test".into(),
        backend: Backend::Legacy,
    };
    let recorder = Recorder {
        journal: &journal,
        actor: &actor,
    };
    let damaged = dir.path().join("damaged.imagepackage");
    std::fs::write(&damaged, b"not an image package at all").expect("write");
    let files = vec![
        damaged.clone(),
        fixture("hl_azure_sphere_blink.imagepackage"),
        fixture("rt_avnet_grove_gps.imagepackage"),
    ];
    let cancel = CancellationToken::new();
    // Cancel as soon as the second file starts being checked.
    let blink = files[1].display().to_string();
    let on_progress = |p: &UploadProgress| {
        if p.phase == UploadPhase::Checking && p.path == blink {
            cancel.cancel();
        }
    };
    let results = upload_packages(
        &plane,
        recorder,
        &files,
        &UploadSettings::default(),
        &cancel,
        &on_progress,
    )
    .await;
    let outcomes: Vec<UploadOutcome> = results.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        vec![
            UploadOutcome::Failed,
            UploadOutcome::Cancelled,
            UploadOutcome::Cancelled
        ]
    );
    assert_eq!(
        results[0].error.as_ref().map(|e| e.kind.as_str()),
        Some("damaged_package")
    );
    assert_eq!(upload_calls(&sim), 0, "nothing was sent");
    // A damaged file changed nothing in the tenant, so it is not journaled; a cancelled one that
    // was identified is, as failed.
    let entries = journal.recent(10).expect("journal");
    assert_eq!(entries.len(), 1, "{entries:#?}");
    assert_eq!(entries[0].result, Outcome::Failed);
}
