//! The fault matrix: every step's cloud calls × every fault the simulator can inject.
//!
//! For each cell a fresh simulated tenant is prepared without faults (images uploaded, a
//! deployment in place, where the step needs them), then the fault plan aimed at the step's own
//! calls is set and the step runs as the product runs it (the workflow functions, with their
//! journal). Each cell must end correctly or stop with the plain message of its fault, and three
//! invariants are checked in the simulator's own state and the journal:
//! - never a partial deployment: the group's current image set is the old one or exactly the
//!   requested one;
//! - never a duplicate upload: at most one upload operation per image;
//! - never a lost journal line: every change that reached the tenant has its journal line, and a
//!   step that failed after trying a change says so in the journal.
//!
//! The matrix is printed (`cargo test -p asg-fota-core --test it fault_matrix -- --nocapture`).

use crate::workflow_support;
use asg_fota_testkit::cloud as cloud_support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use asg_fota_core::cloud::auth::{scopes, IdentityClient, ServicePrincipal, TokenCache};
use asg_fota_core::cloud::iothub::{ConnectionString, IotHubClient, MethodTimeouts};
use asg_fota_core::cloud::legacy::LegacyClient;
use asg_fota_core::cloud::model::{DeviceGroupId, DeviceId, ImageId, TenantId};
use asg_fota_core::cloud::transport::{Credentials, Limits};
use asg_fota_core::cloud::{
    ControlPlane, PlaneSettings, RetryPolicy, Secret, Transport, TransportSettings,
};
use asg_fota_core::profiles::{Backend, DeviceContract};
use asg_fota_core::workflow::deploy::{self, Recorder};
use asg_fota_core::workflow::fleet::Fleet;
use asg_fota_core::workflow::journal::{Actor, Journal};
use asg_fota_core::workflow::nodes::{node_matrix, outdated, update_nodes, NodeUpdateSettings};
use asg_fota_core::workflow::rollout::{Rollout, RolloutSettings};
use asg_fota_core::workflow::upload::{upload_packages, UploadOutcome, UploadSettings};
use asg_fota_sim::{SimConfig, SimHandle, SimTiming};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;
use workflow_support::{app, gateways, group, online, plane_group};

/// The client's total timeout per request in this test; the `timeout` fault holds a request
/// longer than this.
const REQUEST_TIMEOUT: Duration = Duration::from_millis(800);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Groups,
    Upload,
    Deploy,
    History,
    Move,
    Restart,
    TwinRead,
    NodeUpdate,
}

const STEPS: [Step; 8] = [
    Step::Groups,
    Step::Upload,
    Step::Deploy,
    Step::History,
    Step::Move,
    Step::Restart,
    Step::TwinRead,
    Step::NodeUpdate,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Burst429,
    Status5xx,
    Reset,
    Timeout,
    TokenExpiry,
    OperationFailed,
    DeviceOffline,
    HugeRetryAfter,
    EndlessNextLink,
}

const FAULTS: [Fault; 9] = [
    Fault::Burst429,
    Fault::Status5xx,
    Fault::Reset,
    Fault::Timeout,
    Fault::TokenExpiry,
    Fault::OperationFailed,
    Fault::DeviceOffline,
    Fault::HugeRetryAfter,
    Fault::EndlessNextLink,
];

impl Fault {
    fn name(self) -> &'static str {
        match self {
            Fault::Burst429 => "429 burst",
            Fault::Status5xx => "5xx",
            Fault::Reset => "conn reset",
            Fault::Timeout => "timeout",
            Fault::TokenExpiry => "token expiry",
            Fault::OperationFailed => "op Failed",
            Fault::DeviceOffline => "offline",
            Fault::HugeRetryAfter => "huge R-A",
            Fault::EndlessNextLink => "endless next",
        }
    }
}

impl Step {
    fn name(self) -> &'static str {
        match self {
            Step::Groups => "groups",
            Step::Upload => "upload",
            Step::Deploy => "deploy",
            Step::History => "history",
            Step::Move => "move",
            Step::Restart => "restart",
            Step::TwinRead => "twin read",
            Step::NodeUpdate => "node update",
        }
    }

    /// The step's own call (service, method, path pattern): where its faults are aimed.
    fn target(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Step::Groups => ("legacy", "GET", "/v2/tenants/*/devicegroups"),
            Step::Upload => ("legacy", "POST", "/v2/tenants/*/images"),
            Step::Deploy => ("legacy", "POST", "/v2/tenants/*/devicegroups/*/deployments"),
            Step::History => ("legacy", "GET", "/v2/tenants/*/devicegroups/*/deployments"),
            Step::Move => ("legacy", "PUT", "/v2/tenants/*/devices/*/devicegroup"),
            Step::Restart | Step::NodeUpdate => ("iothub", "POST", "/twins/*/methods"),
            Step::TwinRead => ("iothub", "POST", "/devices/query"),
        }
    }

    /// The journal action of a step that changes the tenant.
    fn action(self) -> Option<&'static str> {
        match self {
            Step::Upload => Some("upload"),
            Step::Deploy => Some("deploy"),
            Step::Move => Some("move"),
            Step::Restart => Some("restart"),
            Step::NodeUpdate => Some("node_update"),
            _ => None,
        }
    }

    fn lists(self) -> bool {
        matches!(self, Step::Groups | Step::History | Step::TwinRead)
    }
}

/// The fault plan of a cell.
fn plan(step: Step, fault: Fault) -> Value {
    let (service, method, path) = step.target();
    let rule = |when: Value, action: Value| {
        json!({"rules": [{"service": service, "method": method, "path": path,
                          "when": when, "action": action}]})
    };
    match fault {
        Fault::Burst429 => rule(
            json!({"first_n": 2}),
            json!({"kind": "throttle", "retry_after_secs": 1}),
        ),
        Fault::Status5xx => rule(
            json!({"first_n": 1}),
            json!({"kind": "status", "status": 503}),
        ),
        Fault::Reset => rule(
            json!({"first_n": 1}),
            json!({"kind": "reset_response", "after_bytes": 2}),
        ),
        Fault::Timeout => rule(
            json!({"first_n": 1}),
            json!({"kind": "latency", "fixed_ms": REQUEST_TIMEOUT.as_millis() as u64 + 700}),
        ),
        Fault::TokenExpiry => rule(json!({"first_n": 1}), json!({"kind": "expired_token"})),
        Fault::OperationFailed => json!({"operations": [
            {"code": 0, "message": "The operation failed (simulated fault)."}]}),
        Fault::DeviceOffline => json!({"offline_devices": ["*"]}),
        Fault::HugeRetryAfter => rule(
            json!({}),
            json!({"kind": "throttle", "retry_after_secs": 1_000_000_000u64}),
        ),
        // Every listing of the step's service loops.
        Fault::EndlessNextLink => json!({"rules": [{"service": service,
            "action": {"kind": "endless_next_link"}}]}),
    }
}

/// How a step ended: `Ok` or the error's stable kind and message.
type Ended = Result<String, (String, String)>;

/// What a cell may end with, and the words its message must hold when it stops.
fn expected(step: Step, fault: Fault) -> (&'static [&'static str], &'static str) {
    // Kinds allowed besides `ok`: a change that must not be resent blindly (a direct method)
    // may stop with its fault's own kind.
    let restartish = matches!(step, Step::Restart | Step::NodeUpdate);
    match fault {
        Fault::Burst429 if restartish => (&["ok", "throttled"], "throttling"),
        Fault::Status5xx if restartish => (&["ok", "service"], "service's side"),
        // The rollout and node runs call a lost answer a `network` failure.
        Fault::Reset if restartish => (
            &["ok", "network", "connection_reset"],
            "lost the connection",
        ),
        Fault::Timeout if restartish => (&["ok", "network", "timeout"], "timed out"),
        Fault::Burst429 | Fault::Status5xx | Fault::Reset | Fault::Timeout | Fault::TokenExpiry => {
            (&["ok"], "")
        }
        Fault::OperationFailed if matches!(step, Step::Upload | Step::Deploy | Step::Move) => {
            (&["operation_failed"], "operation failed in the cloud")
        }
        Fault::OperationFailed => (&["ok"], ""),
        Fault::DeviceOffline if matches!(step, Step::Move | Step::Restart | Step::NodeUpdate) => {
            (&["device_offline"], "not connected to IoT Hub")
        }
        Fault::DeviceOffline => (&["ok"], ""),
        Fault::HugeRetryAfter => (&["throttled"], "asks to wait"),
        Fault::EndlessNextLink if step.lists() => (&["endless_paging"], "kept sending more pages"),
        // Other steps list only on the side (a preflight, an idempotency check): either they
        // never list, or their listing stops plainly.
        Fault::EndlessNextLink => (&["ok", "endless_paging"], "kept sending more pages"),
    }
}

/// The transport of the matrix: the product's retry discipline with short waits and a short
/// request timeout, and a `Retry-After` ceiling of a few seconds.
fn transport() -> Transport {
    Transport::new(TransportSettings {
        connect_timeout: Duration::from_secs(2),
        total_timeout: REQUEST_TIMEOUT,
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(100),
        },
        limits: Limits {
            max_retry_after: Duration::from_secs(5),
            max_pages: 50,
            ..Limits::default()
        },
    })
    .expect("a transport")
}

struct Cell {
    sim: SimHandle,
    dir: tempfile::TempDir,
    plane: ControlPlane,
    fleet: Fleet,
    field: DeviceGroupId,
}

impl Cell {
    async fn new() -> Cell {
        let sim = asg_fota_sim::start(SimConfig {
            timing: SimTiming::fast(),
            gateways: 24,
            ..SimConfig::default()
        })
        .await
        .expect("the simulator starts");
        let demo = sim.demo().clone();
        let transport = transport();
        let identity =
            IdentityClient::new(transport.clone(), &sim.urls().authority).expect("identity");
        let tokens = TokenCache::for_service_principal(
            identity,
            ServicePrincipal {
                tenant: demo.tenant_id.clone(),
                client_id: demo.service_principal_client_id.clone(),
                client_secret: Secret::new(demo.service_principal_secret.clone()),
                scope: scopes::LEGACY_SERVICE_PRINCIPAL.to_owned(),
            },
        );
        let plane = ControlPlane::Legacy(
            LegacyClient::new(
                transport.clone(),
                &sim.urls().legacy,
                TenantId::new(demo.legacy_tenant_id.clone()),
                Credentials::Bearer(tokens),
                PlaneSettings {
                    page_size: Some(10),
                    poll_interval: Duration::from_millis(20),
                    operation_deadline: Duration::from_secs(20),
                },
            )
            .expect("legacy client"),
        );
        let conn = ConnectionString::parse(&Secret::new(demo.iothub_connection_string.clone()))
            .expect("connection string");
        let hub = IotHubClient::with_sas(transport, &sim.urls().iothub, &conn).expect("hub");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let fleet = Fleet::new(
            plane.clone(),
            hub,
            DeviceContract::default(),
            journal(&dir),
            actor(),
        );
        let field = plane_group(&plane, "Field Test").await;
        Cell {
            sim,
            dir,
            plane,
            fleet,
            field,
        }
    }

    fn faults(&self, plan: Value) {
        self.sim
            .set_faults(serde_json::from_value(plan).expect("a valid fault plan"));
    }

    fn journal_lines(&self) -> Vec<Value> {
        workflow_support::journal(&self.dir)
    }

    /// The group's current image set in the simulator (sorted, lower case).
    fn current_images(&self, group_name: &str) -> Vec<String> {
        let snap = self.sim.snapshot();
        let group = snap["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .find(|g| g["name"] == group_name)
            .expect("the group")
            .clone();
        let Some(current) = group["current_deployment"].as_str() else {
            return Vec::new();
        };
        let mut images: Vec<String> = snap["deployments"]
            .as_array()
            .expect("deployments")
            .iter()
            .find(|d| d["id"] == current)
            .expect("the deployment")["images"]
            .as_array()
            .expect("images")
            .iter()
            .map(|i| i.as_str().unwrap_or_default().to_ascii_lowercase())
            .collect();
        images.sort();
        images
    }

    /// How many upload operations the simulator holds per image.
    fn uploads_per_image(&self) -> Vec<(String, usize)> {
        let snap = self.sim.snapshot();
        let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
        for op in snap["operations"].as_array().expect("operations") {
            if let Some(image) = op["effect"]["ImageUpload"]["image"].as_str() {
                *counts.entry(image.to_ascii_lowercase()).or_default() += 1;
            }
        }
        counts.into_iter().collect()
    }
}

fn journal(dir: &tempfile::TempDir) -> Journal {
    Journal::at(dir.path().join("journal.jsonl"))
}

fn actor() -> Actor {
    Actor {
        profile: "matrix".into(),
        backend: Backend::Legacy,
    }
}

/// A real SDK-built package: beside the repository, else in the shared reference copy (a
/// worktree checked out elsewhere).
fn fixture_file(name: &str) -> PathBuf {
    let near = cloud_support::fixture(name);
    if near.exists() {
        near
    } else {
        std::path::Path::new("/work/shared/fixtures/imagepackages").join(name)
    }
}

/// Writes a synthetic application package (its name carries its version) to `dir`.
fn package_file(dir: &tempfile::TempDir, name: &str, real_time: bool) -> (ImageId, PathBuf) {
    let (id, bytes) = app(name, real_time);
    let path = dir.path().join(format!("{name}.imagepackage"));
    std::fs::write(&path, bytes).expect("package written");
    (id, path)
}

async fn upload_files(
    cell: &Cell,
    files: &[PathBuf],
) -> Vec<asg_fota_core::workflow::upload::UploadResult> {
    let journal = journal(&cell.dir);
    let actor = actor();
    upload_packages(
        &cell.plane,
        Recorder {
            journal: &journal,
            actor: &actor,
        },
        files,
        &UploadSettings::default(),
        &CancellationToken::new(),
        &|_| {},
    )
    .await
}

fn rollout_settings() -> RolloutSettings {
    RolloutSettings {
        concurrency: 2,
        poll_interval: Duration::from_millis(20),
        deadline: Duration::from_secs(15),
        restart_delay_seconds: 0,
        method_timeouts: MethodTimeouts::default(),
        // A restart whose answer was lost is verified (a check-in after the intent) before it is
        // sent again; a short settle keeps the matrix quick.
        restart_settle: Duration::from_millis(200),
    }
}

/// Puts an HLApp + RTApp deployment on Field Test (before any fault).
async fn baseline_deployment(cell: &Cell) -> Vec<ImageId> {
    let (hl, hl_path) = package_file(&cell.dir, "ASG210_HLApp_v1.2.3", false);
    let (rt, rt_path) = package_file(&cell.dir, "ASG210_RTApp_v1.1.0_nodefw1.0.4", true);
    let results = upload_files(cell, &[hl_path, rt_path]).await;
    assert!(
        results.iter().all(|r| r.outcome == UploadOutcome::Uploaded),
        "{results:#?}"
    );
    cell.plane
        .create_deployment(&cell.field, &[hl.clone(), rt.clone()])
        .await
        .expect("baseline deployment");
    vec![hl, rt]
}

/// What the step did that the invariants need to know.
#[derive(Default)]
struct Facts {
    /// Deploy: the image set requested and the one in place before.
    requested: Vec<String>,
    before: Vec<String>,
}

fn sorted_lower(ids: &[ImageId]) -> Vec<String> {
    let mut v: Vec<String> = ids
        .iter()
        .map(|i| i.as_str().to_ascii_lowercase())
        .collect();
    v.sort();
    v
}

/// Prepares the cell for `step` (no faults yet), sets the fault, runs the step.
async fn run_cell(step: Step, fault: Fault) -> (Cell, Ended, Facts) {
    let cell = Cell::new().await;
    let mut facts = Facts::default();
    let local = asg_fota_core::workflow::groups::LocalKinds::default();
    let ended: Ended = match step {
        Step::Groups => {
            cell.faults(plan(step, fault));
            match cell.plane.device_groups().await {
                Ok(groups) if !groups.is_empty() => Ok(format!("{} groups", groups.len())),
                Ok(_) => Err(("empty".into(), "no groups".into())),
                Err(e) => Err((e.kind().into(), e.to_string())),
            }
        }
        Step::Upload => {
            let file = fixture_file("hl_azure_sphere_blink.imagepackage");
            cell.faults(plan(step, fault));
            let results = upload_files(&cell, &[file]).await;
            let result = &results[0];
            match (&result.outcome, &result.error) {
                (UploadOutcome::Uploaded, _) => Ok("uploaded".into()),
                (_, Some(e)) => Err((e.kind.clone(), e.message.clone())),
                (other, None) => Err((format!("{other:?}"), String::new())),
            }
        }
        Step::Deploy => {
            let (hl, hl_path) = package_file(&cell.dir, "ASG210_HLApp_v2.0.0", false);
            let (rt, rt_path) = package_file(&cell.dir, "ASG210_RTApp_v2.0.0", true);
            upload_files(&cell, &[hl_path, rt_path]).await;
            facts.before = cell.current_images("Field Test");
            facts.requested = sorted_lower(&[hl.clone(), rt.clone()]);
            cell.faults(plan(step, fault));
            let journal = journal(&cell.dir);
            let actor = actor();
            match deploy::create(
                &cell.plane,
                Recorder {
                    journal: &journal,
                    actor: &actor,
                },
                &cell.field,
                &[hl, rt],
                &local,
                None,
            )
            .await
            {
                Ok(_) => Ok("deployed".into()),
                Err(e) => Err((e.kind().into(), e.to_string())),
            }
        }
        Step::History => {
            baseline_deployment(&cell).await;
            cell.faults(plan(step, fault));
            match deploy::history(&cell.plane, &cell.field, &local).await {
                Ok(h) if !h.is_empty() => Ok(format!("{} deployments", h.len())),
                Ok(_) => Err(("empty".into(), "no history".into())),
                Err(e) => Err((e.kind().into(), e.to_string())),
            }
        }
        Step::Move | Step::Restart => {
            baseline_deployment(&cell).await;
            let from = if step == Step::Move {
                "Development"
            } else {
                "Field Test"
            };
            let device: DeviceId = gateways(&cell.sim, &group(&cell.sim, from), online)[0].clone();
            let rollout = Rollout::prepare(cell.fleet.clone(), &cell.field, rollout_settings())
                .await
                .expect("prepared");
            cell.faults(plan(step, fault));
            let report = rollout
                .run(vec![device], &CancellationToken::new(), &|_| {})
                .await;
            match report.failed.first() {
                None if report.succeeded.len() == 1 => Ok("on target".into()),
                None => Err(("cancelled".into(), format!("{report:?}"))),
                Some(f) => Err((f.kind.into(), f.reason.clone())),
            }
        }
        Step::TwinRead => {
            cell.faults(plan(step, fault));
            match cell.fleet.gateways(&cell.field).await {
                Ok(rows) if !rows.is_empty() => Ok(format!("{} gateways", rows.len())),
                Ok(_) => Err(("empty".into(), "no gateways".into())),
                Err(e) => Err((e.kind().into(), e.to_string())),
            }
        }
        Step::NodeUpdate => {
            let snapshot = cell.sim.snapshot();
            let gateway = snapshot["devices"]
                .as_array()
                .expect("devices")
                .iter()
                .filter(|d| online(d))
                .find(|d| {
                    let available = d["gateway"]["node_fw_available"].clone();
                    d["gateway"]["nodes"]
                        .as_array()
                        .is_some_and(|nodes| nodes.iter().any(|n| n["fw_version"] != available))
                })
                .and_then(|d| DeviceId::parse(d["id"].as_str()?).ok())
                .expect("a gateway with an outdated node");
            let rows = node_matrix(&cell.fleet, std::slice::from_ref(&gateway))
                .await
                .expect("the node matrix");
            let one = outdated(&rows).into_iter().take(1).collect::<Vec<_>>();
            cell.faults(plan(step, fault));
            let report = update_nodes(
                &cell.fleet,
                one,
                &NodeUpdateSettings {
                    concurrency: 1,
                    poll_interval: Duration::from_millis(20),
                    deadline: Duration::from_secs(15),
                    method_timeouts: MethodTimeouts::default(),
                },
                &CancellationToken::new(),
                &|_| {},
            )
            .await;
            match report.failed.first() {
                None if report.succeeded.len() == 1 => Ok("node updated".into()),
                None => Err(("cancelled".into(), format!("{report:?}"))),
                Some(f) => Err((f.kind.into(), f.reason.clone())),
            }
        }
    };
    cell.faults(json!({}));
    (cell, ended, facts)
}

/// Checks the cell's outcome and the invariants; returns the matrix entry or what is wrong.
fn judge(
    step: Step,
    fault: Fault,
    cell: &Cell,
    ended: &Ended,
    facts: &Facts,
) -> Result<String, String> {
    let (allowed, words) = expected(step, fault);
    let kind = match ended {
        Ok(_) => "ok",
        Err((kind, _)) => kind.as_str(),
    };
    if !allowed.contains(&kind) {
        return Err(format!("ended {ended:?}, expected one of {allowed:?}"));
    }
    if let Err((_, message)) = ended {
        if !message.contains(words) {
            return Err(format!("message {message:?} does not say {words:?}"));
        }
        // A plain message: one sentence or two, no JSON body, no Rust debug output.
        if message.contains("{\"") || message.contains("Error {") {
            return Err(format!("message is not plain: {message}"));
        }
    }
    // Never a duplicate upload.
    if let Some((image, n)) = cell.uploads_per_image().into_iter().find(|(_, n)| *n > 1) {
        return Err(format!("image {image} was uploaded {n} times"));
    }
    // Never a partial deployment.
    if step == Step::Deploy {
        let now = cell.current_images("Field Test");
        if now != facts.before && now != facts.requested {
            return Err(format!(
                "partial deployment: {now:?} is neither {:?} nor {:?}",
                facts.before, facts.requested
            ));
        }
        if ended.is_ok() && now != facts.requested {
            return Err("the deployment reported done is not in place".into());
        }
    }
    // Never a lost journal line.
    if let Some(action) = step.action() {
        let lines: Vec<Value> = cell
            .journal_lines()
            .into_iter()
            .filter(|l| l["action"] == action)
            .collect();
        // (The deploy step's own uploads are journaled as `upload`, not `deploy`.)
        let ok = lines.iter().filter(|l| l["result"] == "ok").count();
        match ended {
            Ok(_) if ok == 0 => {
                return Err(format!("a {action} succeeded without an ok journal line"))
            }
            // A step that stopped before it tried its change (a preflight read failed) has
            // nothing to journal; one that tried must say how it ended.
            Err(_) if attempted(step, cell) && lines.is_empty() => {
                return Err(format!("a failed {action} left no journal line"))
            }
            _ => {}
        }
        // A change the tenant holds must have an ok line.
        if step == Step::Deploy && cell.current_images("Field Test") == facts.requested && ok == 0 {
            return Err("the deployment is in place but the journal has no ok line".into());
        }
    }
    Ok(match ended {
        Ok(_) => "ok".into(),
        Err((kind, _)) => format!("stop:{kind}"),
    })
}

/// Whether the step's own change request reached the simulator (its journal of calls).
fn attempted(step: Step, cell: &Cell) -> bool {
    let (service, method, pattern) = step.target();
    cloud_support::calls(&cell.sim).iter().any(|c| {
        let path = c
            .path
            .trim_start_matches('/')
            .split_once('/')
            .map(|(_, rest)| format!("/{rest}"))
            .unwrap_or_default();
        c.service == service
            && c.method == method
            && asg_fota_sim::faults::path_matches(pattern, &path)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_step_under_every_fault_ends_correctly_or_stops_plainly() {
    let started = Instant::now();
    let mut table: Vec<(Step, Vec<String>)> = Vec::new();
    let mut wrong = Vec::new();
    for step in STEPS {
        let mut row = Vec::new();
        for fault in FAULTS {
            let began = Instant::now();
            let (cell, ended, facts) = run_cell(step, fault).await;
            let verdict = judge(step, fault, &cell, &ended, &facts);
            let took = began.elapsed();
            match verdict {
                Ok(entry) => row.push(entry),
                Err(why) => {
                    row.push("WRONG".into());
                    wrong.push(format!("{} × {}: {why}", step.name(), fault.name()));
                }
            }
            if took > Duration::from_secs(20) {
                wrong.push(format!(
                    "{} × {}: took {took:?} (a fault must not stall a step)",
                    step.name(),
                    fault.name()
                ));
            }
            cell.sim.shutdown().await;
        }
        table.push((step, row));
    }
    // The matrix, for the closing note.
    let width = 22;
    let mut text = format!("{:<12}", "step \\ fault");
    for fault in FAULTS {
        text.push_str(&format!("{:<width$}", fault.name()));
    }
    text.push('\n');
    for (step, row) in &table {
        text.push_str(&format!("{:<12}", step.name()));
        for entry in row {
            text.push_str(&format!("{entry:<width$}"));
        }
        text.push('\n');
    }
    println!("{text}");
    println!(
        "fault matrix: {} cells in {:?}",
        STEPS.len() * FAULTS.len(),
        started.elapsed()
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
