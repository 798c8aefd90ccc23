//! `asg-fota-cli sim`: runs the simulated tenant alone on loopback until Ctrl-C, and prints its
//! URLs, the demo identities and ready-made profiles (JSON) that point the app or the CLI at it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use asg_fota_core::profiles::{Backend, IotHubAuth, IotHubSettings, Profile};
use asg_fota_sim::{FaultPlan, SimConfig, SimHandle, SimTiming};
use serde_json::json;

#[derive(clap::Args, Debug)]
pub struct SimArgs {
    /// Loopback port (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Seed of the fleet, the ids and the fault decisions.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Number of gateways in the fleet.
    #[arg(long, default_value_t = 24)]
    pub gateways: usize,
    /// A fault plan (JSON) to apply from the start; `PUT /_sim/faults` replaces it later.
    #[arg(long)]
    pub faults: Option<PathBuf>,
    /// Keep the tenant in this file (written atomically, reloaded at start).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// The tests' timings: operations, reboots and node updates within tens of milliseconds.
    #[arg(long)]
    pub fast: bool,
}

/// Profiles for the running simulator, one per control plane, in the profiles file's shape.
fn profiles(sim: &SimHandle, iothub_host: &str) -> serde_json::Value {
    let urls = sim.urls();
    let demo = sim.demo();
    let iothub = IotHubSettings {
        host: iothub_host.to_owned(),
        api_base: Some(urls.iothub.clone()),
        auth: IotHubAuth::ConnectionString,
    };
    let legacy = Profile {
        authority_host: urls.authority.clone(),
        api_base: Some(urls.legacy.clone()),
        tenant_id: Some(demo.tenant_id.clone()),
        sphere_tenant_id: Some(demo.legacy_tenant_id.clone()),
        client_id: Some(demo.legacy_client_id.clone()),
        service_principal_client_id: Some(demo.service_principal_client_id.clone()),
        iothub: Some(iothub.clone()),
        ..Profile::new(Backend::Legacy)
    };
    let arm = Profile {
        authority_host: urls.authority.clone(),
        api_base: Some(urls.arm.clone()),
        tenant_id: Some(demo.tenant_id.clone()),
        subscription_id: Some(demo.subscription_id.clone()),
        resource_group: Some(demo.resource_group.clone()),
        catalog: Some(demo.catalog.clone()),
        client_id: Some(demo.arm_client_id.clone()),
        service_principal_client_id: Some(demo.service_principal_client_id.clone()),
        iothub: Some(iothub),
        ..Profile::new(Backend::Arm)
    };
    json!({"profiles": {"Simulator (legacy)": legacy, "Simulator (ARM)": arm}})
}

pub fn run(args: SimArgs) -> Result<ExitCode> {
    let config = config_of(&args)?;
    let iothub_host = config.iothub_host.clone();
    crate::context::runtime()?.block_on(async move {
        let sim = asg_fota_sim::start(config)
            .await
            .context("the simulator did not start")?;
        announce(&sim, &args, &iothub_host)?;
        tokio::signal::ctrl_c()
            .await
            .context("cannot wait for Ctrl-C")?;
        sim.shutdown().await;
        Ok(ExitCode::SUCCESS)
    })
}

/// The simulator's configuration from the command line.
fn config_of(args: &SimArgs) -> Result<SimConfig> {
    let faults = match &args.faults {
        Some(path) => FaultPlan::load(path)?,
        None => FaultPlan::default(),
    };
    Ok(SimConfig {
        port: args.port,
        seed: args.seed,
        gateways: args.gateways,
        faults,
        state_file: args.state.clone(),
        timing: if args.fast {
            SimTiming::fast()
        } else {
            SimTiming::default()
        },
        ..SimConfig::default()
    })
}

/// Prints where the simulator answers and the demo identities and profiles.
fn announce(sim: &asg_fota_sim::SimHandle, args: &SimArgs, iothub_host: &str) -> Result<()> {
    let (urls, demo) = (sim.urls(), sim.demo());
    println!(
        "ASG FOTA simulator: {} gateways, seed {}",
        args.gateways, args.seed
    );
    println!("  legacy AS3 API   {}", urls.legacy);
    println!("  ARM              {}", urls.arm);
    println!("  identity         {}", urls.authority);
    println!("  IoT Hub          {}", urls.iothub);
    println!("  control          {}", urls.control);
    println!("Demo identities (simulator only, not secrets anywhere else):");
    println!("  user             {} ({})", demo.user_upn, demo.user_name);
    println!(
        "  service principal {} / secret {}",
        demo.service_principal_client_id, demo.service_principal_secret
    );
    println!("  IoT Hub          {}", demo.iothub_connection_string);
    println!("Profiles:");
    println!(
        "{}",
        serde_json::to_string_pretty(&profiles(sim, iothub_host))?
    );
    println!("Running; Ctrl-C stops.");
    Ok(())
}
