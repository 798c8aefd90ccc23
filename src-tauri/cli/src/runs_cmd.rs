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
            write_stdout(&format!("the run {id} is discarded\n"))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let interrupted = runs.interrupted()?;
    ctx.print(&interrupted, || {
        if interrupted.is_empty() {
            return "No interrupted runs.\n".to_owned();
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
        RunKind::UpdateNow => ("update now", "update-now"),
        RunKind::NodeUpdate => ("node update", "update-node"),
    };
    let mut text = format!(
        "run {} ({kind}, profile {}, started {}{})\n",
        plan.id,
        plan.profile,
        when(Some(plan.started)),
        plan.group_name
            .as_ref()
            .map(|g| format!(", group {g}"))
            .unwrap_or_default()
    );
    match &run.paused {
        Some(reason) => text.push_str(&format!("  paused: {reason}\n")),
        None => text.push_str("  interrupted: the process running it ended before it finished\n"),
    }
    let rows: Vec<Vec<String>> = run
        .items
        .iter()
        .map(|item| {
            vec![
                item.device_id[..item.device_id.len().min(16)].to_owned(),
                item.mac.clone().unwrap_or_else(|| "-".into()),
                item.stage.clone(),
                item.phase.clone().unwrap_or_else(|| "-".into()),
                when(item.at),
                match item.unconfirmed {
                    Some(Action::Move) => "move sent, outcome unknown".into(),
                    Some(Action::Restart) => "restart sent, outcome unknown".into(),
                    Some(Action::NodeUpdate) => "node update sent, outcome unknown".into(),
                    Some(_) | None => "-".into(),
                },
            ]
        })
        .collect();
    for line in table(
        &[
            "GATEWAY",
            "NODE",
            "LAST STAGE",
            "PHASE",
            "AT",
            "UNCONFIRMED",
        ],
        &rows,
    )
    .lines()
    {
        text.push_str("  ");
        text.push_str(line);
        text.push('\n');
    }
    text.push_str(&format!("  resume with: {resume} --resume {}\n", plan.id));
    text
}
