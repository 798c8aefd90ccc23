//! `runs [--json] [--discard RUN_ID]`: the update runs that stopped without finishing — killed,
//! crashed, or paused by a maintenance window or a phase that was not continued — with each
//! gateway's (or node's) last known stage and any change whose intent is journaled without an
//! outcome. Resume one with `update-now --resume RUN_ID` or `update-node --resume RUN_ID`. Reads
//! files in the data directory; needs no sign-in.

use std::process::ExitCode;

use anyhow::Result;
use asg_fota_core::workflow::journal::Action;
use asg_fota_core::workflow::runs::{InterruptedRun, RunKind};
use clap::Args;

use crate::context::{table, when, write_stdout, Context, GlobalArgs, Output};
use crate::say;

#[derive(Args, Debug)]
pub struct RunsArgs {
    /// Give up on an interrupted run: it is no longer listed and cannot be resumed.
    #[arg(long, value_name = "RUN_ID")]
    discard: Option<String>,
    #[command(flatten)]
    pub(crate) output: Output,
}

pub fn run(args: RunsArgs, global: GlobalArgs) -> Result<ExitCode> {
    let ctx = Context::new(global, args.output)?;
    let runs = ctx.host.runs();
    if let Some(id) = &args.discard {
        runs.discard(id)?;
        if !ctx.output.json {
            write_stdout(&format!("{}\n", say!("runs.discarded", id = id)))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let interrupted = runs.interrupted()?;
    ctx.print(&interrupted, || {
        if interrupted.is_empty() {
            return format!("{}\n", say!("runs.none"));
        }
        interrupted
            .iter()
            .map(describe)
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    Ok(ExitCode::SUCCESS)
}

fn describe(run: &InterruptedRun) -> String {
    let plan = &run.plan;
    let (kind, resume) = match plan.kind {
        RunKind::UpdateNow => (say!("runs.update_now"), "update-now"),
        RunKind::NodeUpdate => (say!("runs.node_update"), "update-node"),
    };
    let mut text = match &plan.group_name {
        Some(group) => say!(
            "runs.head_group",
            id = plan.id,
            kind = kind,
            profile = plan.profile,
            started = when(Some(plan.started)),
            group = group,
        ),
        None => say!(
            "runs.head",
            id = plan.id,
            kind = kind,
            profile = plan.profile,
            started = when(Some(plan.started)),
        ),
    };
    text.push('\n');
    match &run.paused {
        Some(reason) => {
            let reason = crate::update_now::stop_text(run.paused_said.as_ref(), reason);
            text.push_str(&format!("  {}\n", say!("runs.paused", reason = reason)));
        }
        None => text.push_str(&format!("  {}\n", say!("runs.interrupted"))),
    }
    let rows: Vec<Vec<String>> = run
        .items
        .iter()
        .map(|item| {
            vec![
                item.device_id[..item.device_id.len().min(16)].to_owned(),
                item.mac.clone().unwrap_or_else(|| "-".into()),
                item.stage.clone(),
                item.phase
                    .as_deref()
                    .map_or_else(|| "-".into(), crate::update_now::phase_name),
                when(item.at),
                match item.unconfirmed {
                    Some(Action::Move) => say!("runs.unconfirmed_move"),
                    Some(Action::Restart) => say!("runs.unconfirmed_restart"),
                    Some(Action::NodeUpdate) => say!("runs.unconfirmed_node_update"),
                    Some(_) | None => "-".into(),
                },
            ]
        })
        .collect();
    for line in table(
        &[
            &say!("col.gateway"),
            &say!("col.node"),
            &say!("col.last_stage"),
            &say!("col.phase"),
            &say!("col.at"),
            &say!("col.unconfirmed"),
        ],
        &rows,
    )
    .lines()
    {
        text.push_str("  ");
        text.push_str(line);
        text.push('\n');
    }
    text.push_str(&format!(
        "  {}: {resume} --resume {}\n",
        say!("resume_with"),
        plan.id
    ));
    text
}
