//! `asg-fota-cli`: the command-line twin of the desktop app, for pipelines.
//!
//! The binary is glue: each verb lives in its own module with a clap `Args` struct and a `run`
//! function that calls into `asg_fota_core` and returns the process exit code. Library errors are
//! typed in the core; here they become `anyhow` errors with context for the person at the terminal.

mod compliance_cmd;
mod context;
mod deploy_plan;
mod device;
mod inspect;
mod journal_cmd;
mod lang;
mod listing;
mod login;
mod migrate_cmd;
mod move_cmd;
mod nodes;
mod profile;
mod runs_cmd;
mod sim;
mod update_now;
mod upload;
mod verbs;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "asg-fota-cli",
    version,
    about = "Over-the-air firmware updates for WIZnet ASG210 gateways (Azure Sphere), from the command line",
    long_about = "asg-fota-cli does what the ASG FOTA desktop app does, for scripts and pipelines: \
                  inspect Azure Sphere image packages before they are uploaded and deployed to \
                  ASG210 gateways.\n\n\
                  Every command exits with 0 on success and 1 when any part of the work failed; \
                  errors go to stderr, results to stdout.",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,

    #[command(flatten)]
    global: context::GlobalArgs,

    /// The language of messages: `ko` or `en` (default: the system locale — LC_ALL,
    /// LC_MESSAGES, LANG — else the OS's display language).
    #[arg(long, global = true, value_enum, value_name = "LANG")]
    lang: Option<lang::Lang>,
}

// Parsed once per process: the size difference between the variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    Inspect(inspect::InspectArgs),
    /// Run the simulated tenant (Azure Sphere, sign-in, IoT Hub, demo fleet) on loopback until Ctrl-C.
    Sim(sim::SimArgs),
    /// Show the local journal of changes made to tenants (uploads, deployments, moves, restarts, node updates).
    Journal(journal_cmd::JournalArgs),
    /// List interrupted or paused update runs (resume one with `update-now --resume RUN_ID`).
    Runs(runs_cmd::RunsArgs),
    #[command(flatten)]
    Cloud(verbs::CloudCommand),
}

fn main() -> ExitCode {
    // A panic (release builds abort on one) is written to stderr with what to do, never silent.
    asg_fota_core::crash::install_panic_hook(None);
    context::init_local_offset();
    let cli = Cli::parse();
    // Kept until the end of `main`: dropping it writes out what is still queued.
    let _log = match context::start_logging(&cli.global) {
        Ok(log) => log,
        Err(err) => {
            eprintln!("asg-fota-cli: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    lang::init(cli.lang);
    let result = match cli.command {
        Command::Inspect(args) => inspect::run(args),
        Command::Sim(args) => sim::run(args),
        Command::Journal(args) => journal_cmd::run(args, cli.global),
        Command::Runs(args) => runs_cmd::run(args, cli.global),
        Command::Cloud(command) => verbs::run(command, cli.global),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            tracing::error!("the command failed: {err:#}");
            eprintln!("{}", lang::error_report(lang::current(), &err));
            ExitCode::FAILURE
        }
    }
}
