//! `migrate check --from LEGACY --to ARM` and `migrate profile --from LEGACY`: the move from the
//! legacy Azure Sphere API (retiring 2027-09-27) to ARM. Thin adapters over
//! `asg_fota_core::migrate`.
//!
//! `check` signs both profiles in, reads both planes and prints every item that is not the same
//! (with `--json`: every item); it exits 1 when anything differs. The Demo tenant may stand on
//! either side: its simulator serves one tenant on both planes, so `--from` reads its legacy
//! plane and `--to` its ARM plane (one simulator when both name it).
//!
//! `profile` writes the ARM profile of the tenant a legacy profile reaches, asking only for the
//! subscription, resource group and catalog (prompted on a terminal when not given), and copies
//! the legacy profile's service-principal secret and IoT Hub connection string to the new
//! profile in the OS keychain. Person sign-ins are not copied: ARM needs its own.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use asg_fota_core::migrate::{arm_profile_from_legacy, Item, ItemStatus, MigrationReport};
use asg_fota_core::profiles::{Backend, Profile};
use clap::{Args, Subcommand};

use crate::context::{table, Context, Output};
use crate::say;

/// Check and prepare the move from the legacy Azure Sphere API to ARM (legacy retires 2027-09-27).
#[derive(Subcommand, Debug)]
pub enum MigrateCommand {
    /// Compare what a legacy profile and an ARM profile see, item by item (exit 1 on any difference).
    Check(CheckArgs),
    /// Create the ARM profile of a legacy profile's tenant (IoT Hub and settings carried over).
    Profile(ProfileArgs),
}

impl MigrateCommand {
    pub fn output(&self) -> Output {
        match self {
            MigrateCommand::Check(a) => a.output,
            MigrateCommand::Profile(a) => a.output,
        }
    }
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The legacy profile (or the Demo tenant, read through its legacy plane).
    #[arg(long, value_name = "PROFILE")]
    from: String,
    /// The ARM profile (or the Demo tenant, read through its ARM plane).
    #[arg(long, value_name = "PROFILE")]
    to: String,
    /// Also list the items that match.
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    output: Output,
}

#[derive(Args, Debug)]
pub struct ProfileArgs {
    /// The legacy profile to start from.
    #[arg(long, value_name = "PROFILE")]
    from: String,
    /// The new profile's name (default: `<from>-arm`).
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// The subscription holding the catalog (asked for on a terminal when missing).
    #[arg(long, value_name = "ID")]
    subscription_id: Option<String>,
    /// The resource group holding the catalog (asked for on a terminal when missing).
    #[arg(long, value_name = "NAME")]
    resource_group: Option<String>,
    /// The Azure Sphere catalog (asked for on a terminal when missing).
    #[arg(long, value_name = "NAME")]
    catalog: Option<String>,
    /// ARM's base URL (default: the public cloud's).
    #[arg(long, value_name = "URL")]
    api_base: Option<String>,
    /// Replace an existing profile of that name.
    #[arg(long)]
    replace: bool,
    /// Make the new profile the active one.
    #[arg(long = "use")]
    make_active: bool,
    #[command(flatten)]
    output: Output,
}

pub async fn run(ctx: &Context, command: MigrateCommand) -> Result<ExitCode> {
    match command {
        MigrateCommand::Check(args) => check_cmd(ctx, args).await,
        MigrateCommand::Profile(args) => profile_cmd(ctx, args),
    }
}

fn named(ctx: &Context, name: &str, allowed: Backend, flag: &str) -> Result<()> {
    let profile = ctx.host.profiles()?.get(name)?;
    if profile.backend != allowed && profile.backend != Backend::Demo {
        return Err(crate::refusal!(
            "error.wrong_backend",
            flag = flag,
            name = name,
            backend = backend_word(profile.backend),
            allowed = backend_word(allowed),
        )
        .into());
    }
    Ok(())
}

async fn check_cmd(ctx: &Context, args: CheckArgs) -> Result<ExitCode> {
    named(ctx, &args.from, Backend::Legacy, "--from")?;
    named(ctx, &args.to, Backend::Arm, "--to")?;
    let report = ctx.host.migration_check(&args.from, &args.to).await?;
    let shown: Vec<&Item> = report
        .items
        .iter()
        .filter(|i| args.all || i.status != ItemStatus::Matched)
        .collect();
    ctx.print(&report, || human(&report, &shown, &args.from, &args.to))?;
    Ok(if report.all_matched() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn status_text(status: ItemStatus, from: &str, to: &str) -> String {
    match status {
        ItemStatus::Matched => say!("migrate.matched"),
        ItemStatus::MissingOnTo => say!("migrate.missing_on", profile = to),
        ItemStatus::MissingOnFrom => say!("migrate.missing_on", profile = from),
        ItemStatus::Differs => say!("migrate.differs"),
    }
}

fn human(report: &MigrationReport, shown: &[&Item], from: &str, to: &str) -> String {
    let rows: Vec<Vec<String>> = shown
        .iter()
        .map(|i| {
            let details = i
                .differences
                .iter()
                .map(|d| {
                    format!(
                        "{}: {} → {}",
                        d.field,
                        d.from.as_deref().unwrap_or("-"),
                        d.to.as_deref().unwrap_or("-")
                    )
                })
                .collect::<Vec<_>>()
                .join("; ");
            let kind = serde_json::to_value(i.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            vec![
                // English keeps the machine word (`device_group`) it always printed.
                match crate::lang::current() {
                    crate::lang::Lang::En => kind,
                    lang => crate::lang::text(
                        lang,
                        &format!("migration.kind.{kind}"),
                        &serde_json::Map::new(),
                    )
                    .unwrap_or(kind),
                },
                i.key.clone(),
                status_text(i.status, from, to),
                details,
            ]
        })
        .collect();
    let mut text = if rows.is_empty() {
        String::new()
    } else {
        table(
            &[
                &say!("col.kind"),
                &say!("col.item"),
                &say!("col.status"),
                &say!("col.details"),
            ],
            &rows,
        )
    };
    let c = report.counts;
    text.push_str(&say!(
        "migrate.counts",
        matched = c.matched,
        missing_on_to = c.missing_on_to,
        to = to,
        missing_on_from = c.missing_on_from,
        from = from,
        differs = c.differs,
    ));
    text.push('\n');
    text.push_str(&if report.all_matched() {
        say!("migrate.same")
    } else {
        say!("migrate.not_same")
    });
    text.push('\n');
    text
}

/// A backend's name: as the profile file spells it in English, the catalog's word in Korean.
fn backend_word(backend: Backend) -> String {
    crate::lang::korean_or(&format!("cli.word.{backend:?}"), backend.to_string())
}

/// The value of a flag, else asked for on a terminal.
fn ask(value: Option<String>, what: &str, flag: &str) -> Result<String> {
    if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
        return Ok(v);
    }
    if !std::io::stdin().is_terminal() {
        return Err(crate::refusal!("error.value_needed", what = what, flag = flag).into());
    }
    eprint!("{what}: ");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context(crate::refusal!("error.cannot_read_answer"))?;
    let line = line.trim().to_owned();
    if line.is_empty() {
        return Err(crate::refusal!("error.value_needed", what = what, flag = flag).into());
    }
    Ok(line)
}

#[derive(serde::Serialize)]
struct Created {
    name: String,
    settings: Profile,
    /// The secrets copied from the legacy profile in the OS keychain.
    copied_secrets: Vec<&'static str>,
}

fn profile_cmd(ctx: &Context, args: ProfileArgs) -> Result<ExitCode> {
    let (legacy, name) = source_and_name(ctx, &args)?;
    let subscription = ask(
        args.subscription_id,
        &say!("ask.subscription_id"),
        "--subscription-id",
    )?;
    let resource_group = ask(
        args.resource_group,
        &say!("ask.resource_group"),
        "--resource-group",
    )?;
    let catalog = ask(args.catalog, &say!("ask.catalog"), "--catalog")?;
    let arm = arm_profile_from_legacy(
        &name,
        &legacy,
        &subscription,
        &resource_group,
        &catalog,
        args.api_base,
    )?;
    let secrets =
        (ctx.host).save_migrated_profile(&args.from, &name, arm.clone(), args.make_active)?;
    for warning in &secrets.warnings {
        let lang = crate::lang::current();
        let store_it = say!(
            "migrate.store_it",
            name = name,
            command = format!("asg-fota-cli login --profile {name:?}"),
        );
        match lang {
            // English as it always was: the core's sentence, then what to do.
            crate::lang::Lang::En => eprintln!("warning: {warning}; {store_it}"),
            // The core's sentence is its own English: said in Korean, the original kept below.
            crate::lang::Lang::Ko => eprintln!(
                "{}: {} {store_it}\n  {}: {warning}",
                crate::lang::cli_word(lang, "warning"),
                say!("migrate.not_copied", from = args.from),
                crate::lang::cli_word(lang, "details"),
            ),
        }
    }
    let copied = secrets.copied.iter().map(|k| k.as_str()).collect();
    let created = Created {
        name,
        settings: arm,
        copied_secrets: copied,
    };
    ctx.print(&created, || created_text(ctx, &created, &args.from))?;
    Ok(ExitCode::SUCCESS)
}

/// The legacy profile `migrate profile` starts from, and the new profile's name (refused when it
/// exists and `--replace` was not given).
fn source_and_name(ctx: &Context, args: &ProfileArgs) -> Result<(Profile, String)> {
    let legacy = ctx.host.profiles()?.get(&args.from)?;
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| format!("{}-arm", args.from));
    if ctx.host.profiles()?.profiles.contains_key(&name) && !args.replace {
        return Err(crate::refusal!("error.profile_exists_rename", name = name).into());
    }
    if legacy.backend != Backend::Legacy {
        let from = &args.from;
        return Err(crate::refusal!(
            "error.not_legacy",
            from = from,
            backend = backend_word(legacy.backend)
        )
        .into());
    }
    Ok((legacy, name))
}

/// What `migrate profile` prints without `--json`.
fn created_text(ctx: &Context, created: &Created, from: &str) -> String {
    let catalog = created.settings.catalog.as_deref().unwrap_or_default();
    let resource_group = created
        .settings
        .resource_group
        .as_deref()
        .unwrap_or_default();
    let mut text = say!(
        "migrate.saved",
        name = created.name,
        catalog = catalog,
        resource_group = resource_group,
        file = ctx.host.dirs().profiles_file().display(),
    );
    text.push('\n');
    if !created.copied_secrets.is_empty() {
        text.push_str(&say!(
            "migrate.copied",
            from = from,
            secrets = created.copied_secrets.join(", "),
        ));
        text.push('\n');
    }
    text.push_str(&format!(
        "{}: asg-fota-cli migrate check --from {from:?} --to {:?}\n",
        say!("next"),
        created.name
    ));
    text
}
