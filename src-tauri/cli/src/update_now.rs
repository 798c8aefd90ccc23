//! `update-now --group G [DEVICE...|--all]`: step 5. Each chosen gateway is moved into the group
//! when it is elsewhere, restarted through the profile's restart method, and watched until it
//! has checked in and reports the deployed versions. Every status change is printed with the time
//! it was read (one JSON object per line with `--json`, then the summary). Ctrl-C cancels between
//! steps (never inside a request): no new gateway is started, and the summary says per gateway
//! what had been done. Exit 1 when any gateway did not reach "on target".
//!
//! `--canary N --batch N --max-failed N|P%` rolls out in phases (between phases: a prompt on a
//! terminal, `--yes` to go on by itself while under the threshold); `--window HH:MM-HH:MM`
//! (`--window-tz`) sends restarts only inside a maintenance window. `--resume RUN_ID` continues
//! an interrupted or paused run (`asg-fota-cli runs` lists them) without restarting a gateway that
//! checked in after its recorded restart.
//!
//! Also holds what `nodes` / `update-node` share with it: progress printing, the exit code, and
//! the short form of a device id.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result};
use asg_fota_core::cloud::model::{DeviceGroupId, DeviceId};
use asg_fota_core::tenant::Tenant;
use asg_fota_core::workflow::rollout::{
    continue_always, until_open, PhaseSummary, Resume, ResumedRun, RolloutEvent, RolloutReport,
    RolloutSettings, RunOptions, Stage,
};
use asg_fota_core::workflow::runs::ActiveRun;
use asg_fota_core::workflow::schedule::{parse_offset, Clock, PhasePlan, Window};
use clap::Args;
use futures_util::future::BoxFuture;

use crate::context::{when, write_stdout, Context, Output};
use crate::say;

#[derive(Args, Debug)]
pub struct UpdateNowArgs {
    /// The device group whose deployment the gateways should take: its id, `product/group`, or a
    /// unique group name.
    #[arg(
        long,
        short = 'g',
        value_name = "GROUP",
        required_unless_present = "resume"
    )]
    group: Option<String>,
    /// Gateway ids (128 hexadecimal characters); gateways of other groups are moved in first.
    #[arg(
        value_name = "DEVICE",
        required_unless_present_any = ["all", "resume"],
        conflicts_with = "all"
    )]
    devices: Vec<String>,
    /// Continue an interrupted or paused run (see `asg-fota-cli runs`): gateways already on
    /// target are left alone, and a gateway that checked in after its recorded restart is only
    /// watched, never restarted again.
    #[arg(long, value_name = "RUN_ID", conflicts_with_all = ["group", "devices", "all"])]
    resume: Option<String>,
    /// Phased rollout: this many gateways first, as canaries.
    #[arg(long, value_name = "N")]
    canary: Option<usize>,
    /// Phased rollout: then this many at a time (default: all the rest at once).
    #[arg(long, value_name = "N")]
    batch: Option<usize>,
    /// Phased rollout: stop before the next phase when more than N gateways (or P% of those
    /// worked on) failed. Default 0.
    #[arg(long, value_name = "N|P%")]
    max_failed: Option<String>,
    /// Between phases, go on without asking while under the threshold (for pipelines).
    #[arg(long, short = 'y')]
    yes: bool,
    /// Send restarts only inside this daily maintenance window (local time, or --window-tz).
    #[arg(long, value_name = "HH:MM-HH:MM")]
    window: Option<String>,
    /// The UTC offset of --window (`+09:00`, `-05:00`, `UTC`); default: this machine's.
    #[arg(long, value_name = "OFFSET", requires = "window")]
    window_tz: Option<String>,
    /// Seconds past the restart delay to wait for a check-in after a restart whose request may
    /// not have arrived (a network error, an interrupted run), before sending it again.
    #[arg(long, value_name = "SECONDS", default_value_t = 180)]
    restart_settle: u64,
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
        .with_context(|| crate::refusal!("error.not_seconds", what = what, value = value))
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

/// The phases and window asked for on the command line.
fn run_options(args: &UpdateNowArgs) -> Result<RunOptions> {
    let phases = PhasePlan::from_options(args.canary, args.batch, args.max_failed.as_deref())?;
    let window = match &args.window {
        Some(text) => {
            let offset = match &args.window_tz {
                Some(tz) => parse_offset(tz)?,
                None => crate::context::local_offset()
                    .context(crate::refusal!("error.no_local_offset"))?,
            };
            Some(Window::parse(text, offset)?)
        }
        None => None,
    };
    Ok(RunOptions {
        phases,
        window,
        ..RunOptions::default()
    })
}

/// Between phases: on with `--yes`; else asks on a terminal; else stops (resumable).
fn phase_gate(yes: bool, json: bool) -> impl Fn(PhaseSummary) -> BoxFuture<'static, bool> {
    move |summary: PhaseSummary| {
        Box::pin(async move {
            let line = say!(
                "phase.done",
                finished = phase_name(&summary.finished),
                succeeded = summary.succeeded,
                failed = summary.failed,
                next = phase_name(&summary.next),
                size = summary.next_size,
                remaining = summary.remaining,
            );
            if yes {
                if !json {
                    let _ = write_stdout(&format!("{line}{}\n", say!("phase.going_on")));
                }
                return true;
            }
            if !std::io::stdin().is_terminal() {
                eprintln!("asg-fota-cli: {line}{}", say!("phase.not_going_on"));
                return false;
            }
            tokio::task::spawn_blocking(move || {
                let next = phase_name(&summary.next);
                eprint!("{line}\n{} [y/N] ", say!("phase.continue", next = next));
                let mut answer = String::new();
                std::io::stdin().read_line(&mut answer).is_ok()
                    && matches!(answer.trim(), "y" | "Y" | "yes" | "YES")
            })
            .await
            .unwrap_or(false)
        })
    }
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
    chosen: Vec<DeviceId>,
) -> Result<RolloutReport> {
    let mut options = run_options(args)?;
    let cancel = crate::context::cancel_on_ctrl_c().await;
    let (group_id, chosen, run, resume) = match &args.resume {
        Some(id) => resumed(tenant, id, &mut options)?,
        None => chosen_run(tenant, args, chosen).await?,
    };
    let settings = RolloutSettings {
        concurrency: args.concurrency.map_or(tenant.concurrency(), |n| n.max(1)) as usize,
        poll_interval: seconds(args.poll_interval, "--poll-interval")?,
        deadline: Duration::from_secs(args.timeout),
        restart_settle: Duration::from_secs(args.restart_settle),
        ..tenant.rollout_settings()
    };
    let rollout = tenant.prepare_update_now(&group_id, settings).await?;
    let run = match run {
        Some(run) => run,
        None => rollout.begin(&chosen, &options)?,
    };
    if !ctx.output.json {
        write_stdout(&headline(&run, &chosen, &rollout, &options))?;
    }
    if let Some(w) = options.window {
        wait_for_window(&w, &cancel, ctx.output.json).await;
    }
    let print = progress_printer(ctx.output.json, describe);
    let gate = phase_gate(args.yes, ctx.output.json);
    let gate: &(dyn Fn(PhaseSummary) -> BoxFuture<'static, bool> + Send + Sync) =
        if options.phases.is_some() {
            &gate
        } else {
            &continue_always
        };
    Ok(rollout
        .run_in(run, chosen, resume, &options, gate, &cancel, &print)
        .await)
}

type Planned = (
    DeviceGroupId,
    Vec<DeviceId>,
    Option<ActiveRun>,
    Option<Resume>,
);

/// A new run: the group and the gateways named (or all of the group's).
async fn chosen_run(
    tenant: &Tenant,
    args: &UpdateNowArgs,
    mut chosen: Vec<DeviceId>,
) -> Result<Planned> {
    let spec = args.group.as_deref().unwrap_or_default();
    let group = tenant.session().find_group(spec).await?;
    if args.all {
        let devices = tenant.session().plane().devices(&group.id).await?;
        chosen = devices.into_iter().map(|d| d.id).collect();
    }
    if chosen.is_empty() {
        return Err(crate::refusal!("error.group_empty", group = group.name).into());
    }
    Ok((group.id, chosen, None, None))
}

/// An interrupted or paused run taken up again: its plan, with its saved phases and window
/// (options given on the command line fill in what the run did not save).
fn resumed(tenant: &Tenant, id: &str, options: &mut RunOptions) -> Result<Planned> {
    let taken = ResumedRun::take(&tenant.runs(), tenant.name(), id)?;
    options.phases = taken.options.phases.or(options.phases.take());
    options.window = taken.options.window.or(options.window.take());
    Ok((
        taken.group_id,
        taken.devices,
        Some(taken.run),
        Some(taken.resume),
    ))
}

/// A phase's name as the core gives it (`canary`, `batch 2`) in the chosen language.
pub fn phase_name(name: &str) -> String {
    match name.strip_prefix("batch ") {
        _ if name == "canary" => say!("phase.canary"),
        Some(n) => say!("phase.batch", n = n),
        None => name.to_owned(),
    }
}

/// A failure threshold in words.
fn limit_text(limit: &asg_fota_core::workflow::schedule::FailureLimit) -> String {
    use asg_fota_core::workflow::schedule::FailureLimit;
    match limit {
        FailureLimit::Count(n) => say!("phase.limit_count", n = n),
        FailureLimit::Percent(p) => say!("phase.limit_percent", p = p),
    }
}

/// A failure's reason: the core's English sentence, or in Korean its kind's message (the
/// sentence itself has the values; the kind's message says what happened in the person's words,
/// as the app's step 5 does).
pub fn reason_text(kind: Option<&str>, english: &str) -> String {
    let lang = crate::lang::current();
    match (lang, kind) {
        (crate::lang::Lang::Ko, Some(kind)) => {
            let kind = asg_fota_core::kinds::fold(kind);
            let key = format!("errors.{kind}.message");
            crate::lang::text(lang, &key, &serde_json::Map::new())
                .unwrap_or_else(|| english.to_owned())
        }
        _ => english.to_owned(),
    }
}

/// Why a run stopped early and stays resumable: the core's English sentence, or in another
/// language its `said` form (`runs.stop.<key>`, as the app's step 5 says it).
pub fn stop_text(said: Option<&asg_fota_core::workflow::journal::Said>, english: &str) -> String {
    let lang = crate::lang::current();
    let Some(said) = said.filter(|_| lang != crate::lang::Lang::En) else {
        return english.to_owned();
    };
    let mut params = said.params.clone();
    if let Some(serde_json::Value::String(phase)) = params.get("phase") {
        let name = phase_name(phase);
        params.insert("phase".into(), name.into());
    }
    crate::lang::text(lang, &format!("runs.stop.{}", said.key), &params)
        .unwrap_or_else(|| english.to_owned())
}

/// The versions a gateway must report to be on target, in words (the core's
/// `TargetVersions::describe`, said in the chosen language).
fn target_text(target: &asg_fota_core::workflow::rollout::TargetVersions) -> String {
    target.describe_with(
        |v| say!("target.unplaced", version = v),
        || say!("target.stable"),
    )
}

/// What was done to a cancelled gateway, in words (the core's `GatewaySteps::describe`, said in
/// the chosen language).
fn steps_text(steps: &asg_fota_core::workflow::rollout::GatewaySteps) -> String {
    use asg_fota_core::workflow::rollout::Step;
    let word = |step| match step {
        Step::Moved => say!("steps.moved"),
        Step::RestartSent => say!("steps.restart_sent"),
        Step::CheckedIn => say!("steps.checked_in"),
        Step::NoRestart => say!("steps.no_restart"),
        Step::NotCheckedIn => say!("steps.not_checked_in"),
        Step::NotOnTarget => say!("steps.not_on_target"),
    };
    let (done, not) = steps.steps();
    let not = word(not);
    if done.is_empty() {
        say!("steps.nothing", not = not)
    } else {
        let done: Vec<String> = done.into_iter().map(word).collect();
        say!("steps.done", done = done.join(", "), not = not)
    }
}

/// The first line of a run: its id, size, group, target, phases and window.
fn headline(
    run: &ActiveRun,
    chosen: &[DeviceId],
    rollout: &asg_fota_core::workflow::rollout::Rollout,
    options: &RunOptions,
) -> String {
    let mut head = say!(
        "update_now.head",
        run = run.id(),
        count = chosen.len(),
        group = rollout.group().name,
        target = target_text(rollout.target()),
    );
    if let Some(p) = &options.phases {
        let batch = match p.batch {
            0 => say!("phase.the_rest"),
            n => n.to_string(),
        };
        head.push_str(&say!(
            "update_now.phases",
            canary = p.canary,
            batch = batch,
            limit = limit_text(&p.max_failed),
        ));
    }
    if let Some(w) = &options.window {
        head.push_str(&say!("update_now.window", window = w.describe()));
    }
    head.push('\n');
    head
}

/// Waits until the window opens (a run started before it), printing when it will.
async fn wait_for_window(
    window: &Window,
    cancel: &tokio_util::sync::CancellationToken,
    json: bool,
) {
    let now = time::OffsetDateTime::now_utc();
    if window.contains(now) {
        return;
    }
    let opens = window.opens_at(now);
    if !json {
        let _ = write_stdout(&format!(
            "{}\n",
            say!(
                "update_now.waiting",
                window = window.describe(),
                opens = when(Some(opens)),
            )
        ));
    }
    until_open(window, &Clock::system(), cancel).await;
}

fn describe(event: &RolloutEvent) -> String {
    let stage = match event.stage {
        Stage::Requested => say!("stage.requested"),
        Stage::Moved => say!("stage.moved"),
        Stage::Restarting => say!("stage.restarting"),
        Stage::CheckedIn => say!("stage.checked_in"),
        Stage::OnTarget => say!("stage.on_target"),
        Stage::Failed => say!("result.failed"),
        Stage::Cancelled => say!("result.cancelled"),
        Stage::Deferred => say!("stage.deferred"),
    };
    let mut line = format!(
        "{}  {}  {stage}",
        when(Some(event.at)),
        short(&event.device_id)
    );
    if let Some(phase) = &event.phase {
        line.push_str(&format!(" [{}]", phase_name(phase)));
    }
    if let (Some(hl), Some(rt)) = (&event.hl_app_ver, &event.rt_app_ver) {
        line.push_str(&format!(" (HLApp {hl}, RTApp {rt})"));
    }
    if let Some(reason) = &event.reason {
        line.push_str(": ");
        line.push_str(&reason_text(event.kind, reason));
    }
    line.push('\n');
    line
}

fn summary(report: &RolloutReport) -> String {
    let mut text = say!(
        "update_now.summary",
        succeeded = report.succeeded.len(),
        failed = report.failed.len(),
        cancelled = report.cancelled.len(),
    );
    if !report.deferred.is_empty() {
        text.push_str(&say!("update_now.deferred", count = report.deferred.len()));
    }
    if !report.not_started.is_empty() {
        text.push_str(&say!(
            "update_now.not_started",
            count = report.not_started.len()
        ));
    }
    text.push('\n');
    for steps in &report.cancelled_steps {
        text.push_str(&format!(
            "  {}\n",
            say!(
                "update_now.cancelled_steps",
                device = &steps.device_id[..steps.device_id.len().min(16)],
                steps = steps_text(steps),
            )
        ));
    }
    if let (Some(reason), Some(run)) = (&report.stopped, &report.run_id) {
        text.push_str(&format!(
            "{}\n{}: update-now --resume {run}\n",
            stop_text(report.stopped_said.as_ref(), reason),
            say!("resume_with")
        ));
    } else if !report.all_on_target() {
        let ids: Vec<&str> = report
            .failed
            .iter()
            .map(|f| f.device_id.as_str())
            .chain(report.cancelled.iter().map(|d| d.as_str()))
            .collect();
        text.push_str(&format!(
            "{}: update-now --group <GROUP> {}\n",
            say!("retry_with"),
            ids.join(" ")
        ));
    }
    text
}
