//! `journal [--limit N] [--json]`: the local record of every change made to a tenant (uploads,
//! deployments, moves, restarts, node updates), newest first. Reads a file; needs no sign-in.

use std::process::ExitCode;

use anyhow::Result;
use asg_fota_core::workflow::journal::{Action, JournalEntry, Outcome};
use clap::Args;

use crate::context::{table, when, Context, GlobalArgs, Output};

#[derive(Args, Debug)]
pub struct JournalArgs {
    /// How many entries to show, newest first.
    #[arg(long, short = 'n', default_value_t = 50)]
    limit: usize,
    #[command(flatten)]
    pub(crate) output: Output,
}

/// Prints the last entries of the journal in the data directory.
pub fn run(args: JournalArgs, global: GlobalArgs) -> Result<ExitCode> {
    let ctx = Context::new(global, args.output)?;
    let journal = ctx.host.journal();
    let entries = journal.recent(args.limit)?;
    ctx.print(&entries, || {
        if entries.is_empty() {
            return format!("The journal is empty ({}).\n", journal.path().display());
        }
        table(
            &["AT", "PROFILE", "ACTION", "RESULT", "TARGET", "DETAIL"],
            &entries.iter().map(row).collect::<Vec<_>>(),
        )
    })?;
    Ok(ExitCode::SUCCESS)
}

fn row(entry: &JournalEntry) -> Vec<String> {
    let t = &entry.target;
    let mut target = Vec::new();
    if let Some(name) = t.group_name.as_ref().or(t.group_id.as_ref()) {
        target.push(format!("group {name}"));
    }
    if let Some(device) = &t.device_id {
        target.push(format!("device {}", &device[..device.len().min(8)]));
    }
    if let Some(mac) = &t.mac {
        target.push(format!("node {mac}"));
    }
    if let Some(file) = &t.file {
        target.push(file.clone());
    }
    if !t.image_names.is_empty() {
        target.push(t.image_names.join("+"));
    } else if !t.image_ids.is_empty() {
        target.push(t.image_ids.join("+"));
    }
    if let Some(deployment) = &t.deployment_id {
        target.push(format!("deployment {deployment}"));
    }
    vec![
        when(Some(entry.at)),
        entry.profile.clone(),
        match entry.action {
            Action::Upload => "upload",
            Action::Deploy => "deploy",
            Action::Move => "move",
            Action::Restart => "restart",
            Action::NodeUpdate => "node update",
        }
        .into(),
        match entry.result {
            Outcome::Ok => "ok",
            Outcome::Failed => "FAILED",
            Outcome::Skipped => "skipped",
        }
        .into(),
        target.join(", "),
        entry.detail.clone(),
    ]
}
