//! Fan-out: "update now" (`workflow::rollout`) on the 1,000 gateways of one group with 50 ms of
//! latency on every API call and a 2 s restart (the simulator's `restart_delay` 0.5 s +
//! `reboot_offline` 1.5 s), against the ideal at the configured concurrency:
//!
//! ```text
//! ideal = ceil(N / concurrency) × (k × latency + restart)
//! k = 5 sequential calls per gateway on the success path: twin read, device read, restart
//!     method, the device read that sees the check-in, the twin read that sees the versions.
//! ```
//!
//! The ideal assumes the watch sees the check-in the instant it happens; the rollout polls, so
//! each gateway also pays part of one poll interval (100 ms here; the product's default is 5 s
//! because real gateways take minutes).
//!
//! The group's deployment is an HLApp named `..._v1.2.3`; afterwards every gateway of the group
//! must report HLApp 1.2.3 in the simulator's own twins. Gateways the seeded fleet has offline are
//! connected first, so the work is the same for every gateway. The rollout runs in a child
//! process (`fanout-client`) that reports its peak resident memory before and after.

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use asg_fota_core::cloud::model::DeviceId;
use asg_fota_core::cloud::ImageSource;
use asg_fota_core::profiles::DeviceContract;
use asg_fota_core::workflow::fleet::Fleet;
use asg_fota_core::workflow::rollout::{Rollout, RolloutSettings};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::clients::{self, Plane};
use crate::package;
use crate::report::FanoutFigure;
use crate::simproc::{run_child, SimArgs, SimInfo, SimProcess};

pub const GATEWAYS: usize = 1_000;
pub const LATENCY_MS: u64 = 50;
pub const RESTART_MS: u64 = 2_000;
pub const CALLS_PER_GATEWAY: u64 = 5;
pub const POLL_MS: u64 = 100;
const GROUP: &str = "Development";
const TARGET_VERSION: &str = "1.2.3";

/// The `fanout-client` role's arguments.
#[derive(clap::Args, Debug)]
pub struct ClientArgs {
    #[arg(long)]
    sim: String,
    #[arg(long, value_enum)]
    plane: Plane,
    #[arg(long)]
    concurrency: usize,
}

/// What the `fanout-client` role prints.
#[derive(Debug, Serialize, Deserialize)]
pub struct ClientAnswer {
    seconds: f64,
    gateways: usize,
    succeeded: usize,
    failed: Vec<String>,
    peak_before: u64,
    peak_after: u64,
    /// Intent lines (each fsynced before its request) the run wrote to its journal.
    intents: usize,
}

/// The `fanout-client` role: read the group's gateways (not timed), then time `Rollout::run`.
pub async fn client(args: ClientArgs) -> anyhow::Result<()> {
    let sim: SimInfo = serde_json::from_str(&args.sim)?;
    let plane = clients::plane(&sim, args.plane, Some(1000))?;
    let group = clients::group(&plane, GROUP).await?;
    let devices: Vec<DeviceId> = plane
        .devices(&group)
        .await?
        .into_iter()
        .map(|d| d.id)
        .collect();
    // The journal is required, as in the app, and timed: the run is registered beside it
    // (`runs/`), and each move and restart is preceded by an fsynced intent line (write-ahead).
    // A directory of its own, on the temporary directory's file system, removed afterwards.
    let dir = std::env::temp_dir().join(format!("asg-fota-bench-{}", std::process::id()));
    let journal = asg_fota_core::workflow::journal::Journal::at(dir.join("journal.jsonl"));
    let actor = asg_fota_core::workflow::journal::Actor {
        profile: "bench".into(),
        backend: asg_fota_core::profiles::Backend::Demo,
    };
    let fleet = Fleet::new(
        plane,
        clients::iothub(&sim)?,
        DeviceContract::default(),
        journal.clone(),
        actor,
    );
    let settings = RolloutSettings {
        concurrency: args.concurrency,
        poll_interval: Duration::from_millis(POLL_MS),
        deadline: Duration::from_secs(120),
        ..RolloutSettings::for_profile(&DeviceContract::default(), args.concurrency as u32)
    };
    let rollout = Rollout::prepare(fleet, &group, settings).await?;
    let gateways = devices.len();
    let cancel = CancellationToken::new();
    let peak_before = crate::memory::own_peak();
    let started = Instant::now();
    let report = rollout.run(devices, &cancel, &|_| {}).await;
    let seconds = started.elapsed().as_secs_f64();
    let intents = count_intents(journal.path());
    let _ = std::fs::remove_dir_all(&dir);
    let peak_after = crate::memory::own_peak();
    println!(
        "{}",
        serde_json::to_string(&ClientAnswer {
            seconds,
            gateways,
            succeeded: report.succeeded.len(),
            failed: report
                .failed
                .iter()
                .take(5)
                .map(|f| format!("{}: {} ({})", f.device_id, f.reason, f.kind))
                .collect(),
            peak_before,
            peak_after,
            intents,
        })?
    );
    Ok(())
}

/// One rollout per plane, each on a fresh simulator.
pub async fn run(concurrency: usize) -> anyhow::Result<Vec<FanoutFigure>> {
    let mut figures = Vec::new();
    for plane in Plane::BOTH {
        let sim = SimProcess::spawn(&SimArgs {
            // Round-robin over five groups: 1,000 in "Development".
            gateways: GATEWAYS * 5,
            operation_ms: 20,
            restart_ms: RESTART_MS / 4,
            reboot_ms: RESTART_MS - RESTART_MS / 4,
        })
        .await?;
        prepare_group(&sim).await?;
        sim.set_faults(serde_json::json!({
            "rules": [{"action": {"kind": "latency", "fixed_ms": LATENCY_MS}}]
        }))
        .await?;
        let answer = run_client(&sim.info, plane, concurrency).await?;
        sim.set_faults(serde_json::json!({"rules": []})).await?;
        if answer.gateways != GATEWAYS || answer.succeeded != GATEWAYS {
            bail!(
                "{} update-now: {} of {} gateways on target; first failures: {:?}",
                plane.name(),
                answer.succeeded,
                answer.gateways,
                answer.failed
            );
        }
        check_on_target(&sim).await?;
        let rounds = GATEWAYS.div_ceil(concurrency) as f64;
        let ideal = rounds * (CALLS_PER_GATEWAY * LATENCY_MS + RESTART_MS) as f64 / 1000.0;
        let growth = answer.peak_after.saturating_sub(answer.peak_before);
        println!(
            "fan-out {}: {:.1} s, ideal {ideal:.1} s, ratio {:.3}, {} bytes/gateway, {} fsynced intents",
            plane.name(),
            answer.seconds,
            answer.seconds / ideal,
            growth / GATEWAYS as u64,
            answer.intents
        );
        figures.push(FanoutFigure {
            plane: plane.name(),
            gateways: GATEWAYS,
            concurrency,
            seconds: answer.seconds,
            ideal,
            peak_growth: growth,
            intents: answer.intents,
        });
    }
    Ok(figures)
}

/// The write-ahead intent lines (`"result":"pending"`) in the journal at `path`.
fn count_intents(path: &std::path::Path) -> usize {
    std::fs::read_to_string(path)
        .map(|text| {
            text.lines()
                .filter(|l| l.contains("\"result\":\"pending\""))
                .count()
        })
        .unwrap_or(0)
}

/// Deploys an HLApp `v1.2.3` to the group and connects its offline gateways.
async fn prepare_group(sim: &SimProcess) -> anyhow::Result<()> {
    let plane = clients::plane(&sim.info, Plane::Legacy, None)?;
    let group = clients::group(&plane, GROUP).await?;
    let (id, bytes) = package::sized(&format!("ASG210_HLApp_v{TARGET_VERSION}"), 16 * 1024);
    plane
        .upload_image(&ImageSource::Bytes(bytes.into()), &id)
        .await?;
    plane.create_deployment(&group, &[id]).await?;
    let uuid = sim.group_id(GROUP).await?;
    let state = sim.state().await?;
    for device in state["devices"].as_array().into_iter().flatten() {
        if device["group_id"] == uuid.as_str() && device["gateway"]["connected"] != true {
            let id = device["id"]
                .as_str()
                .ok_or_else(|| anyhow!("a device without id"))?;
            sim.set_connected(id, true).await?;
        }
    }
    Ok(())
}

/// Every gateway of the group reports the target HLApp version in the simulator's twins.
async fn check_on_target(sim: &SimProcess) -> anyhow::Result<()> {
    let uuid = sim.group_id(GROUP).await?;
    let state = sim.state().await?;
    let members: std::collections::HashSet<String> = state["devices"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["group_id"] == uuid.as_str())
        .filter_map(|d| d["id"].as_str().map(str::to_ascii_lowercase))
        .collect();
    let on_target = state["twins"]
        .as_object()
        .into_iter()
        .flat_map(|t| t.values())
        .filter(|t| {
            t["deviceId"]
                .as_str()
                .is_some_and(|id| members.contains(&id.to_ascii_lowercase()))
                && t["properties"]["reported"]["HLAppVer"] == TARGET_VERSION
        })
        .count();
    if members.len() != GATEWAYS || on_target != GATEWAYS {
        bail!(
            "the simulator shows {on_target} of {} gateways of {GROUP} on HLApp {TARGET_VERSION}",
            members.len()
        );
    }
    Ok(())
}

async fn run_client(
    sim: &SimInfo,
    plane: Plane,
    concurrency: usize,
) -> anyhow::Result<ClientAnswer> {
    run_child(vec![
        "fanout-client".into(),
        "--sim".into(),
        serde_json::to_string(sim)?,
        "--plane".into(),
        plane.arg().into(),
        "--concurrency".into(),
        concurrency.to_string(),
    ])
    .await
}
