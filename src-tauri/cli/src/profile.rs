//! `profile list|add|show|remove|use`: the named connection settings in `profiles.json`.
//!
//! Only non-secret settings are written here; `show` says which secrets the OS keychain holds for
//! a profile (yes/no), never their values.

use std::process::ExitCode;

use anyhow::Result;
use asg_fota_core::migrate::{retirement, Retirement};
use asg_fota_core::profiles::{Backend, IotHubAuth, IotHubSettings, Profile};
use asg_fota_core::secrets::{SecretKey, SecretKind};
use asg_fota_core::session::SessionError;
use asg_fota_core::tenant::TenantError;
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use crate::context::{table, Context, Output};
use crate::say;

/// Manage profiles (named connection settings; secrets stay in the OS keychain).
// Parsed once per process: the size difference between the variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum ProfileCommand {
    /// List every profile and mark the active one.
    List(Output),
    /// Create a profile (or replace one with --replace).
    Add(AddArgs),
    /// Show a profile's settings and which secrets the keychain holds for it.
    Show(NameArgs),
    /// Delete a profile and its secrets.
    Remove(NameArgs),
    /// Make a profile the one used when --profile is not given.
    Use(NameArgs),
}

impl ProfileCommand {
    pub fn output(&self) -> Output {
        match self {
            ProfileCommand::List(o) => *o,
            ProfileCommand::Add(a) => a.output,
            ProfileCommand::Show(a) | ProfileCommand::Remove(a) | ProfileCommand::Use(a) => {
                a.output
            }
        }
    }
}

#[derive(Args, Debug)]
pub struct NameArgs {
    /// The profile's name (default for `show`: the profile in use).
    #[arg(value_name = "NAME")]
    name: Option<String>,
    #[command(flatten)]
    output: Output,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum BackendArg {
    Legacy,
    Arm,
    /// The simulated tenant (use it to change the Demo tenant's command names).
    Demo,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum IotHubAuthArg {
    ConnectionString,
    Entra,
}

#[derive(Args, Debug)]
pub struct AddArgs {
    /// The new profile's name.
    #[arg(value_name = "NAME")]
    name: String,
    /// Which control plane: the legacy Azure Sphere API or Azure Resource Manager.
    #[arg(long, value_enum)]
    backend: BackendArg,
    /// Microsoft Entra tenant (directory) id.
    #[arg(long, value_name = "ID")]
    tenant_id: Option<String>,
    /// Legacy: the Azure Sphere tenant id (default: the only one the account sees).
    #[arg(long, value_name = "ID")]
    sphere_tenant_id: Option<String>,
    /// ARM: subscription id.
    #[arg(long, value_name = "ID")]
    subscription_id: Option<String>,
    /// ARM: resource group.
    #[arg(long, value_name = "NAME")]
    resource_group: Option<String>,
    /// ARM: Azure Sphere catalog.
    #[arg(long, value_name = "NAME")]
    catalog: Option<String>,
    /// Public-client app registration for device-code sign-in.
    #[arg(long, value_name = "ID")]
    client_id: Option<String>,
    /// A service principal's application id (store its secret with `login --service-principal`).
    #[arg(long, value_name = "ID")]
    service_principal_client_id: Option<String>,
    /// Identity platform host (default: https://login.microsoftonline.com).
    #[arg(long, value_name = "URL")]
    authority_host: Option<String>,
    /// Control plane base URL (default: the public cloud's).
    #[arg(long, value_name = "URL")]
    api_base: Option<String>,
    /// IoT Hub host name, `<hub>.azure-devices.net`.
    #[arg(long, value_name = "HOST")]
    iothub_host: Option<String>,
    /// IoT Hub service API base URL (default: https://<host>).
    #[arg(long, value_name = "URL", requires = "iothub_host")]
    iothub_api_base: Option<String>,
    /// How to authenticate to IoT Hub.
    #[arg(long, value_enum, default_value = "connection-string")]
    iothub_auth: IotHubAuthArg,
    /// Gateways worked on at once (1..=64).
    #[arg(long, default_value_t = 8)]
    concurrency: u32,
    /// Direct method that restarts a gateway.
    #[arg(long, value_name = "NAME")]
    restart_method: Option<String>,
    /// Direct method that updates a node.
    #[arg(long, value_name = "NAME")]
    update_node_method: Option<String>,
    /// Replace an existing profile of that name.
    #[arg(long)]
    replace: bool,
    /// Make the new profile the active one.
    #[arg(long = "use")]
    make_active: bool,
    #[command(flatten)]
    output: Output,
}

#[derive(Serialize)]
struct ProfileRow {
    name: String,
    backend: Backend,
    active: bool,
    /// Legacy profiles: when their API retires and the days left.
    retirement: Option<Retirement>,
}

#[derive(Serialize)]
struct ProfileView {
    name: String,
    active: bool,
    settings: Profile,
    /// Legacy profiles: when their API retires and the days left.
    retirement: Option<Retirement>,
    /// Which secrets the keychain holds: `true`/`false`, or `null` when it cannot be asked.
    secrets: Vec<SecretPresence>,
}

#[derive(Serialize)]
struct SecretPresence {
    secret: &'static str,
    stored: Option<bool>,
}

pub async fn run(ctx: &Context, command: ProfileCommand) -> Result<ExitCode> {
    match command {
        ProfileCommand::List(_) => list(ctx),
        ProfileCommand::Add(args) => add(ctx, args),
        ProfileCommand::Show(args) => show(ctx, args),
        ProfileCommand::Remove(args) => remove(ctx, args),
        ProfileCommand::Use(args) => use_profile(ctx, args),
    }
}

/// Today's date (UTC), read here so the core's date logic stays pure.
fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// `retires 2027-09-27 (N days left)`, or empty for profiles of other backends.
pub fn retirement_text(r: Option<&Retirement>) -> String {
    match r {
        Some(r) if r.days_left >= 0 => {
            say!("profile.retires", date = r.retires_on, days = r.days_left,)
        }
        Some(r) => say!("profile.retired", date = r.retires_on, days = -r.days_left),
        None => String::new(),
    }
}

fn list(ctx: &Context) -> Result<ExitCode> {
    let profiles = ctx.host.profiles()?;
    let today = today();
    let active = profiles.active_name();
    let mut rows = Vec::new();
    for name in profiles.names() {
        let backend = profiles.get(&name)?.backend;
        rows.push(ProfileRow {
            active: name == active,
            backend,
            retirement: retirement(backend, today),
            name,
        });
    }
    ctx.print(&rows, || list_text(&rows))?;
    Ok(ExitCode::SUCCESS)
}

/// What `profile list` prints without `--json`.
fn list_text(rows: &[ProfileRow]) -> String {
    table(
        &[
            "",
            &say!("col.profile"),
            &say!("col.backend"),
            &say!("col.note"),
        ],
        &rows
            .iter()
            .map(|r| {
                vec![
                    if r.active { "*" } else { "" }.to_owned(),
                    r.name.clone(),
                    crate::lang::korean_or(
                        &format!("backend.{}", r.backend),
                        r.backend.to_string(),
                    ),
                    retirement_text(r.retirement.as_ref()),
                ]
            })
            .collect::<Vec<_>>(),
    )
}

fn add(ctx: &Context, args: AddArgs) -> Result<ExitCode> {
    if ctx.host.profiles()?.profiles.contains_key(&args.name) && !args.replace {
        return Err(crate::refusal!("error.profile_exists", name = args.name).into());
    }
    let name = args.name.clone();
    let make_active = args.make_active;
    let saved = ctx.host.save_profile(&name, profile_of(args))?;
    if saved.secrets_removed {
        eprintln!("{}", say!("profile.secrets_removed", name = name));
    }
    if make_active {
        ctx.host.activate(&name)?;
    }
    let file = ctx.host.dirs().profiles_file();
    eprintln!(
        "{}",
        say!("profile.saved", name = name, file = file.display())
    );
    Ok(ExitCode::SUCCESS)
}

/// The profile `profile add` describes.
fn profile_of(args: AddArgs) -> Profile {
    let backend = match args.backend {
        BackendArg::Legacy => Backend::Legacy,
        BackendArg::Arm => Backend::Arm,
        BackendArg::Demo => Backend::Demo,
    };
    let mut profile = Profile::new(backend);
    profile.tenant_id = args.tenant_id;
    profile.sphere_tenant_id = args.sphere_tenant_id;
    profile.subscription_id = args.subscription_id;
    profile.resource_group = args.resource_group;
    profile.catalog = args.catalog;
    profile.client_id = args.client_id;
    profile.service_principal_client_id = args.service_principal_client_id;
    if let Some(host) = args.authority_host {
        profile.authority_host = host;
    }
    profile.api_base = args.api_base;
    profile.iothub = args.iothub_host.map(|host| IotHubSettings {
        host,
        api_base: args.iothub_api_base,
        auth: match args.iothub_auth {
            IotHubAuthArg::ConnectionString => IotHubAuth::ConnectionString,
            IotHubAuthArg::Entra => IotHubAuth::Entra,
        },
    });
    profile.concurrency = args.concurrency;
    if let Some(method) = args.restart_method {
        profile.device_contract.restart_method = method;
    }
    if let Some(method) = args.update_node_method {
        profile.device_contract.update_node_method = method;
    }
    profile
}

fn show(ctx: &Context, args: NameArgs) -> Result<ExitCode> {
    let profiles = ctx.host.profiles()?;
    let name = match args.name {
        Some(name) => name,
        None => ctx.profile()?.0,
    };
    let settings = profiles.get(&name)?;
    let secrets = secret_presence(ctx, &name, settings.backend);
    let view = ProfileView {
        active: profiles.active_name() == name,
        name,
        retirement: retirement(settings.backend, today()),
        settings,
        secrets,
    };
    ctx.print(&view, || show_text(&view))?;
    Ok(ExitCode::SUCCESS)
}

/// Which of a profile's secrets the keychain holds (`None`: the keychain could not say).
fn secret_presence(ctx: &Context, name: &str, backend: Backend) -> Vec<SecretPresence> {
    SecretKind::ALL
        .iter()
        .map(|&kind| SecretPresence {
            secret: kind.as_str(),
            stored: if backend == Backend::Demo {
                // The Demo tenant's secrets are the simulator's and never stored.
                Some(false)
            } else {
                ctx.host
                    .keychain()
                    .retrieve(&SecretKey::new(name, kind))
                    .ok()
                    .map(|found| found.is_some())
            },
        })
        .collect()
}

fn show_text(view: &ProfileView) -> String {
    let mut text = if view.active {
        say!("profile.show_active", name = view.name)
    } else {
        say!("profile.show", name = view.name)
    };
    text.push('\n');
    if view.retirement.is_some() {
        text.push_str(&retirement_text(view.retirement.as_ref()));
        text.push('\n');
    }
    let settings = serde_json::to_string_pretty(&view.settings).unwrap_or_default();
    text.push_str(&settings);
    text.push('\n');
    for s in &view.secrets {
        let stored = match s.stored {
            Some(true) => say!("profile.stored"),
            Some(false) => say!("profile.not_stored"),
            None => say!("profile.keychain_unknown"),
        };
        let secret = crate::lang::korean_or(&format!("cli.secret.{}", s.secret), s.secret);
        text.push_str(&format!("{secret}: {stored}\n"));
    }
    text
}

fn remove(ctx: &Context, args: NameArgs) -> Result<ExitCode> {
    let Some(name) = args.name else {
        return Err(crate::refusal!("error.name_profile_to_remove").into());
    };
    match ctx.host.remove_profile(&name) {
        // The settings are gone; only the keychain failed.
        Err(TenantError::Session(SessionError::Secret(err))) => {
            let lang = crate::lang::current();
            let (warning, said) = (
                crate::lang::cli_word(lang, "warning"),
                say!("profile.not_deleted", name = name),
            );
            match lang {
                crate::lang::Lang::En => eprintln!("{warning}: {said}: {err}"),
                // The keychain's own words are English: kept on a details line.
                crate::lang::Lang::Ko => eprintln!(
                    "{warning}: {said}\n  {}: {err}",
                    crate::lang::cli_word(lang, "details")
                ),
            }
        }
        other => other?,
    }
    eprintln!("{}", say!("profile.removed", name = name));
    Ok(ExitCode::SUCCESS)
}

fn use_profile(ctx: &Context, args: NameArgs) -> Result<ExitCode> {
    let Some(name) = args.name else {
        return Err(crate::refusal!("error.name_profile_to_use").into());
    };
    ctx.host.activate(&name)?;
    eprintln!("{}", say!("profile.active", name = name));
    Ok(ExitCode::SUCCESS)
}
