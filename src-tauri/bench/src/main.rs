//! `asg-fota-bench`: the benchmark suite of issue 6. Not a test suite: it measures, side by side in
//! one run on one machine, each figure and the limit it is judged against, and writes the ratios to
//! `docs/benchmarks.md`. Run it through `bash .ci/bench`, which builds everything in release first.
//!
//! The simulated tenant always runs in a child process (`asg-fota-bench sim`), and the client whose
//! memory is measured runs in a child of its own (`upload-client`, `fanout-client`), so a resident
//! memory figure never mixes the client with the server or with an earlier benchmark.
//!
//! Each benchmark checks the work was really done (every byte stored, every gateway on target,
//! every row listed) and stops the run with an error otherwise: a fast wrong answer is no figure.

mod clients;
mod fanout;
mod fleet;
mod listing;
mod memory;
mod package;
mod report;
mod simproc;
mod size;
mod upload;
mod window;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "asg-fota-bench",
    about = "ASG FOTA's benchmark suite (issue 6)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the benchmarks and writes the report.
    Run(RunArgs),
    /// Child role: starts a simulated tenant, prints its URLs and identities as one JSON line,
    /// and serves until its standard input closes.
    Sim(simproc::SimArgs),
    /// Child role: one timed upload through the project's client; prints one JSON line.
    UploadClient(upload::ClientArgs),
    /// Child role: one timed update-now rollout; prints one JSON line.
    FanoutClient(fanout::ClientArgs),
}

/// What `run` measures and where it writes.
#[derive(clap::Args)]
pub struct RunArgs {
    /// The Markdown report to write.
    #[arg(long, default_value = "docs/benchmarks.md")]
    out: PathBuf,
    /// Benchmarks to run (comma-separated): upload, listing, fanout, window, table, fleet, size,
    /// compliance (read from `--compliance-log`: the CLI's benchmark test runs in `.ci/bench`).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "upload,listing,fanout,window,table,fleet,size"
    )]
    only: Vec<String>,
    /// What the CLI's compliance benchmark test printed (`compliance`).
    #[arg(long)]
    compliance_log: Option<PathBuf>,
    /// Repetitions of each timed figure (the median is reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// The release app binary (cold start, table).
    #[arg(long)]
    app: Option<PathBuf>,
    /// The release bare Tauri window binary (cold-start floor).
    #[arg(long)]
    bare: Option<PathBuf>,
    /// The release CLI binary (size).
    #[arg(long)]
    cli: Option<PathBuf>,
    /// Where `cargo tauri build` put the bundles (size).
    #[arg(long)]
    bundle_dir: Option<PathBuf>,
    /// A file with what the bundling step printed (size: the AppImage attempt).
    #[arg(long)]
    bundle_log: Option<PathBuf>,
    /// Gateways worked on at once in the fan-out (the profile's `concurrency`, 1..=64).
    #[arg(long, default_value_t = 50)]
    concurrency: usize,
}

fn main() {
    let cli = Cli::parse();
    asg_fota_core::cloud::transport::install_crypto_provider();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("asg-fota-bench: cannot start the runtime: {e}");
            std::process::exit(2);
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Run(args) => run(args).await,
            Command::Sim(args) => simproc::serve(args).await,
            Command::UploadClient(args) => upload::client(args).await,
            Command::FanoutClient(args) => fanout::client(args).await,
        }
    });
    if let Err(e) = result {
        eprintln!("asg-fota-bench: FAILED: {e:#}");
        std::process::exit(1);
    }
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let wants = |name: &str| args.only.iter().any(|o| o == name);
    let mut report = report::Report::new(args.runs);
    report.binaries = [
        ("app", &args.app),
        ("bare window", &args.bare),
        ("CLI", &args.cli),
    ]
    .iter()
    .filter_map(|(what, path)| path.as_ref().map(|p| format!("{what} `{}`", p.display())))
    .collect::<Vec<_>>()
    .join(", ");
    if wants("upload") {
        report.upload = Some(upload::run(args.runs).await?);
        report.write(&args.out)?;
    }
    if wants("listing") {
        report.listing = Some(listing::run(args.runs.min(3)).await?);
        report.write(&args.out)?;
    }
    if wants("fanout") {
        report.fanout = Some(fanout::run(args.concurrency).await?);
        report.write(&args.out)?;
    }
    if wants("window") {
        report.window = Some(window::cold_start(&args).await);
        report.write(&args.out)?;
    }
    if wants("table") {
        report.table = Some(window::table(&args).await);
        report.write(&args.out)?;
    }
    if wants("fleet") {
        report.fleet = Some(fleet::fleet(&args).await);
        report.write(&args.out)?;
    }
    if wants("size") {
        report.size = Some(size::measure(&args));
        report.write(&args.out)?;
    }
    if wants("compliance") {
        report.compliance = Some(report::compliance_from_log(args.compliance_log.as_deref()));
        report.write(&args.out)?;
    }
    println!("wrote {}", args.out.display());
    Ok(())
}
