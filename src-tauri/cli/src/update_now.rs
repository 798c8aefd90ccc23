//! `update-now --group G [DEVICE...|--all]`: step 5. Each chosen gateway is moved into the group
//! when it is elsewhere, restarted through the profile's restart method, and watched until it
//! has checked in and reports the deployed versions. Every status change is printed with the time
//! it was read (one JSON object per line with `--json`, then the summary). Ctrl-C cancels: no new
//! gateway is started and the rest are reported cancelled. Exit 1 when any gateway did not reach
//! "on target".
//!
//! Also holds what `nodes` / `update-node` share with it: progress printing, the exit code, and
//! the short form of a device id.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use asg_fota_core::cloud::model::DeviceId;
use asg_fota_core::tenant::Tenant;
use asg_fota_core::workflow::rollout::{RolloutEvent, RolloutReport, RolloutSettings, Stage};
use clap::Args;

use crate::context::{when, write_stdout, Context, Output};

#[derive(Args, Debug)]
pub struct UpdateNowArgs {
    /// The device group whose deployment the gateways should take: its id, `product/group`, or a
    /// unique group name.
    #[arg(long, short = 'g', value_name = "GROUP")]
    group: String,
    /// Gateway ids (128 hexadecimal characters); gateways of other groups are moved in first.
    #[arg(
        value_name = "DEVICE",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    devices: Vec<String>,
    /// Every gateway of the group.
    #[arg(long)]
    all: bool,
    /// Gateways worked on at the same time (default: the profile's, 8 unless set).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
    concurrency: Option<u32>,
    /// Seconds one gateway may take from the restart to "on target".
    #[arg(long, value_name = "SECONDS", default_value_t = 900)]
    timeout: u64,
    /// Seconds between two reads of a watched gateway (fractions allowed).
    #[arg(long, value_name = "SECONDS", default_value_t = 5.0)]
    poll_interval: f64,
    #[command(flatten)]
    pub(crate) output: Output,
}

/// Exit 0 when every item ended well, else 1.
pub fn exit_code(all_well: bool) -> ExitCode {
    if all_well {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// A poll interval given in seconds on the command line.
pub fn seconds(value: f64, what: &str) -> Result<Duration> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .with_context(|| format!("{what} must be a positive number of seconds, not {value}"))
}

/// The first 16 characters of a device id, enough to tell gateways apart in a terminal.
pub fn short(device: &DeviceId) -> &str {
    device.as_str().get(..16).unwrap_or(device.as_str())
}

/// A progress callback that prints each event as a JSON line or as the line `describe` makes.
/// A write that fails (a closed pipe) is reported once per event on stderr and does not stop
/// the work: the changes in flight still finish and are journaled.
pub fn progress_printer<T: serde::Serialize>(
    json: bool,
    describe: fn(&T) -> String,
) -> impl Fn(T) + Send + Sync {
    move |event: T| {
        let printed = if json {
            json_line(&event)
        } else {
            write_stdout(&describe(&event))
        };
        if let Err(err) = printed {
            eprintln!("asg-fota-cli: {err:#}");
        }
    }
}

/// Prints one value as a JSON line.
pub fn json_line<T: serde::Serialize>(value: &T) -> Result<()> {
    let mut line = serde_json::to_string(value).context("cannot format a JSON line")?;
    line.push('\n');
    write_stdout(&line)
}

pub async fn run(ctx: &Context, args: UpdateNowArgs) -> Result<ExitCode> {
    let chosen = args
        .devices
        .iter()
        .map(|text| DeviceId::parse(text))
        .collect::<Result<Vec<_>, _>>()?;
    let report = ctx
        .with_tenant(async |tenant| run_in(ctx, tenant, &args, chosen).await)
        .await?;
    if ctx.output.json {
        json_line(&report)?;
    } else {
        write_stdout(&summary(&report))?;
    }
    Ok(exit_code(report.all_on_target()))
}

async fn run_in(
    ctx: &Context,
    tenant: &Tenant,
    args: &UpdateNowArgs,
    mut chosen: Vec<DeviceId>,
) -> Result<RolloutReport> {
    let cancel = crate::context::cancel_on_ctrl_c().await;
    let group = tenant.session().find_group(&args.group).await?;
    if args.all {
        let devices = tenant.session().plane().devices(&group.id).await?;
        chosen = devices.into_iter().map(|d| d.id).collect();
    }
    if chosen.is_empty() {
        bail!("the group {} has no devices", group.name);
    }
    let settings = RolloutSettings {
        concurrency: args.concurrency.map_or(tenant.concurrency(), |n| n.max(1)) as usize,
        poll_interval: seconds(args.poll_interval, "--poll-interval")?,
        deadline: Duration::from_secs(args.timeout),
        ..tenant.rollout_settings()
    };
    let rollout = tenant.prepare_update_now(&group.id, settings).await?;
    if !ctx.output.json {
        let (n, target) = (chosen.len(), rollout.target().describe());
        write_stdout(&format!(
            "update now: {n} gateway(s) to {} (on target = {target})\n",
            group.name
        ))?;
    }
    let print = progress_printer(ctx.output.json, describe);
    Ok(rollout.run(chosen, &cancel, &print).await)
}

fn describe(event: &RolloutEvent) -> String {
    let stage = match event.stage {
        Stage::Requested => "requested",
        Stage::Moved => "moved into the group",
        Stage::Restarting => "restarting",
        Stage::CheckedIn => "checked in",
        Stage::OnTarget => "on target",
        Stage::Failed => "FAILED",
        Stage::Cancelled => "cancelled",
    };
    let mut line = format!(
        "{}  {}  {stage}",
        when(Some(event.at)),
        short(&event.device_id)
    );
    if let (Some(hl), Some(rt)) = (&event.hl_app_ver, &event.rt_app_ver) {
        line.push_str(&format!(" (HLApp {hl}, RTApp {rt})"));
    }
    if let Some(reason) = &event.reason {
        line.push_str(": ");
        line.push_str(reason);
    }
    line.push('\n');
    line
}

fn summary(report: &RolloutReport) -> String {
    let mut text = format!(
        "{} on target, {} failed, {} cancelled\n",
        report.succeeded.len(),
        report.failed.len(),
        report.cancelled.len()
    );
    if !report.all_on_target() {
        let ids: Vec<&str> = report
            .failed
            .iter()
            .map(|f| f.device_id.as_str())
            .chain(report.cancelled.iter().map(|d| d.as_str()))
            .collect();
        text.push_str(&format!(
            "retry with: update-now --group <GROUP> {}\n",
            ids.join(" ")
        ));
    }
    text
}
