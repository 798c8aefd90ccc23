//! `journal [--limit N] [--json]`: the local record of every change made to a tenant (uploads,
//! deployments, moves, restarts, node updates), newest first. Reads a file; needs no sign-in.

use std::process::ExitCode;

use anyhow::Result;
use asg_fota_core::workflow::journal::{Action, JournalEntry, Outcome};
use clap::Args;

use crate::context::{table, when, Context, GlobalArgs, Output};
use crate::say;

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
            let empty = say!("journal.empty", file = journal.path().display());
            return format!("{empty}\n");
        }
        table(
            &[
                &say!("col.at"),
                &say!("col.profile"),
                &say!("col.action"),
                &say!("col.result"),
                &say!("col.target"),
                &say!("col.detail"),
            ],
            &entries.iter().map(row).collect::<Vec<_>>(),
        )
    })?;
    Ok(ExitCode::SUCCESS)
}

fn row(entry: &JournalEntry) -> Vec<String> {
    let t = &entry.target;
    let mut target = Vec::new();
    if let Some(name) = t.group_name.as_ref().or(t.group_id.as_ref()) {
        target.push(say!("journal.group", name = name));
    }
    if let Some(device) = &t.device_id {
        target.push(say!("journal.device", id = &device[..device.len().min(8)]));
    }
    if let Some(mac) = &t.mac {
        target.push(say!("journal.node", mac = mac));
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
        target.push(say!("journal.deployment", id = deployment));
    }
    vec![
        when(Some(entry.at)),
        entry.profile.clone(),
        match entry.action {
            Action::Upload => say!("action.upload"),
            Action::Deploy => say!("action.deploy"),
            Action::Move => say!("action.move"),
            Action::Restart => say!("action.restart"),
            Action::NodeUpdate => say!("action.node_update"),
        },
        match entry.result {
            Outcome::Ok => say!("journal.ok"),
            Outcome::Failed => say!("result.failed"),
            Outcome::Skipped => say!("journal.skipped"),
            Outcome::Pending => say!("journal.pending"),
        },
        target.join(", "),
        detail(entry),
    ]
}

/// The entry's detail: in Korean the sentence the core keyed (`journal.<key>`, as Activity
/// shows it; a `kind` param as its GUI kind's title), else the English detail it wrote.
fn detail(entry: &JournalEntry) -> String {
    let lang = crate::lang::current();
    match (&entry.said, lang) {
        (Some(said), crate::lang::Lang::Ko) => {
            let mut params = said.params.clone();
            if let Some(kind) = params.get("kind").and_then(|k| k.as_str()) {
                let gui =
                    asg_fota_core::kinds::fold_journal(kind, entry.action == Action::NodeUpdate);
                let title = crate::lang::text(lang, &format!("errors.{gui}.title"), &params)
                    .unwrap_or_else(|| gui.to_owned());
                params.insert("kind".into(), title.into());
            }
            crate::lang::text(lang, &format!("journal.{}", said.key), &params)
                .unwrap_or_else(|| entry.detail.clone())
        }
        _ => entry.detail.clone(),
    }
}
