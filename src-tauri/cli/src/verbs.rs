//! The cloud verbs of the CLI, as one clap subcommand group flattened into the top-level parser:
//! sign-in (`login`, `logout`, `whoami`), `profile ...`, and the verbs over the control plane and
//! IoT Hub. Each verb's module holds its arguments and its `run`; this module only dispatches and
//! turns every error into one line on stderr (done by `main`) and a non-zero exit.

use std::process::ExitCode;

use anyhow::Result;
use clap::Subcommand;

use crate::context::{runtime, Context, GlobalArgs, Output};
use crate::{
    compliance_cmd, device, listing, login, migrate_cmd, move_cmd, nodes, profile, update_now,
    upload,
};

// Parsed once per process: the size difference between the variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum CloudCommand {
    /// Sign the profile in (device code, or --service-principal) and keep the sign-in in the OS keychain.
    Login(login::LoginArgs),
    /// Forget the profile's secrets in the OS keychain.
    Logout(login::LogoutArgs),
    /// Show who the profile is signed in as, and the role (legacy).
    Whoami(Output),
    /// Manage profiles.
    #[command(subcommand)]
    Profile(profile::ProfileCommand),
    /// List the device groups (product/group, update policy, OS feed, id).
    Groups(Output),
    /// List the devices of a group.
    Devices(listing::GroupArgs),
    /// List the images in the tenant or catalog.
    Images(Output),
    /// Upload image packages (images already in the tenant are skipped).
    Upload(upload::UploadArgs),
    /// List a group's deployments; the current one is marked.
    Deployments(listing::GroupArgs),
    /// Replace a group's image set with the images named (files are uploaded first when missing).
    Deploy(upload::DeployArgs),
    /// Move devices into a group.
    Move(move_cmd::MoveArgs),
    /// Show a device's IoT Hub twin (connection, app versions, nodes).
    Twin(device::TwinArgs),
    /// Call a direct method on a device through IoT Hub.
    Invoke(device::InvokeArgs),
    /// Update gateways now: move them into the group, restart them, watch until they are on target.
    UpdateNow(update_now::UpdateNowArgs),
    /// Show the WIZ750SR nodes behind gateways: current and available firmware, updates offered.
    Nodes(nodes::NodesArgs),
    /// Update node firmware (named MACs of one gateway, or every outdated node) and follow progress.
    UpdateNode(nodes::UpdateNodeArgs),
    /// Show where the fleet stands: gateways on target, pending, failed, offline; nodes outdated.
    Compliance(compliance_cmd::ComplianceArgs),
    /// Check and prepare the move from the legacy Azure Sphere API to ARM (legacy retires 2027-09-27).
    #[command(subcommand)]
    Migrate(migrate_cmd::MigrateCommand),
}

impl CloudCommand {
    fn output(&self) -> Output {
        match self {
            CloudCommand::Login(a) => a.output,
            CloudCommand::Logout(a) => a.output,
            CloudCommand::Whoami(o) | CloudCommand::Groups(o) | CloudCommand::Images(o) => *o,
            CloudCommand::Profile(p) => p.output(),
            CloudCommand::Devices(a) | CloudCommand::Deployments(a) => a.output,
            CloudCommand::Upload(a) => a.output,
            CloudCommand::Deploy(a) => a.output,
            CloudCommand::Move(a) => a.output,
            CloudCommand::Twin(a) => a.output,
            CloudCommand::Invoke(a) => a.output,
            CloudCommand::UpdateNow(a) => a.output,
            CloudCommand::Nodes(a) => a.output,
            CloudCommand::UpdateNode(a) => a.output,
            CloudCommand::Compliance(a) => a.output,
            CloudCommand::Migrate(m) => m.output(),
        }
    }
}

/// Runs one cloud verb to completion on its own runtime.
pub fn run(command: CloudCommand, global: GlobalArgs) -> Result<ExitCode> {
    let ctx = Context::new(global, command.output())?;
    runtime()?.block_on(async move {
        match command {
            CloudCommand::Login(args) => login::login(&ctx, args).await,
            CloudCommand::Logout(args) => login::logout(&ctx, args).await,
            CloudCommand::Whoami(_) => login::whoami(&ctx).await,
            CloudCommand::Profile(command) => profile::run(&ctx, command).await,
            CloudCommand::Groups(_) => listing::groups(&ctx).await,
            CloudCommand::Devices(args) => listing::devices(&ctx, args).await,
            CloudCommand::Images(_) => listing::images(&ctx).await,
            CloudCommand::Upload(args) => upload::upload(&ctx, args).await,
            CloudCommand::Deployments(args) => listing::deployments(&ctx, args).await,
            CloudCommand::Deploy(args) => upload::deploy(&ctx, args).await,
            CloudCommand::Move(args) => move_cmd::run(&ctx, args).await,
            CloudCommand::Twin(args) => device::twin(&ctx, args).await,
            CloudCommand::Invoke(args) => device::invoke(&ctx, args).await,
            CloudCommand::UpdateNow(args) => update_now::run(&ctx, args).await,
            CloudCommand::Nodes(args) => nodes::list(&ctx, args).await,
            CloudCommand::UpdateNode(args) => nodes::update(&ctx, args).await,
            CloudCommand::Compliance(args) => compliance_cmd::run(&ctx, args).await,
            CloudCommand::Migrate(command) => migrate_cmd::run(&ctx, command).await,
        }
    })
}
