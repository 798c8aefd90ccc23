//! `login`, `logout` and `whoami`: putting a profile's secrets into the OS keychain, taking them
//! out, and showing who a profile is signed in as.
//!
//! `login` without options runs the device-code flow: it prints the code and the address (on
//! stderr, so `--json` output stays clean), tries to open the browser, waits for the approval
//! (Ctrl-C cancels) and keeps the refresh token in the keychain. `--service-principal` stores a
//! client secret read from `ASG_FOTA_CLIENT_SECRET` or typed at a hidden prompt (or piped on
//! stdin); `--iothub-connection-string` does the same for IoT Hub. No secret is ever printed.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use asg_fota_core::cloud::iothub::ConnectionString;
use asg_fota_core::profiles::{Backend, Profile};
use asg_fota_core::secrets::{SecretKey, SecretKind, Sensitive};
use asg_fota_core::session::{forget_profile_secrets, Identity};
use clap::Args;

// Re-exported: the update-now and node verbs arm Ctrl-C the same way.
pub(crate) use crate::context::cancel_on_ctrl_c;
use crate::context::{or_dash, Context, Output, CLIENT_SECRET_ENV, IOTHUB_CONNECTION_STRING_ENV};

/// Sign a profile in and keep the sign-in in the OS keychain.
#[derive(Args, Debug)]
#[command(
    long_about = "Signs the profile in and keeps what is needed to stay signed in in the \
                        OS keychain (Windows Credential Manager, macOS Keychain, Secret Service).\n\n\
                        Without options: the device-code flow for a person. Open the address \
                        shown, enter the code, approve; Ctrl-C cancels.\n\n\
                        --service-principal: stores the client secret of the profile's service \
                        principal, read from ASG_FOTA_CLIENT_SECRET or from a hidden prompt / stdin.\n\n\
                        --iothub-connection-string: stores the IoT Hub shared access policy \
                        connection string, read from ASG_FOTA_IOTHUB_CONNECTION_STRING or from a \
                        hidden prompt / stdin."
)]
pub struct LoginArgs {
    /// Store a service principal's client secret instead of signing a person in.
    #[arg(long, conflicts_with = "iothub_connection_string")]
    service_principal: bool,

    /// With --service-principal: the application (client) id to save in the profile.
    #[arg(long, requires = "service_principal", value_name = "ID")]
    client_id: Option<String>,

    /// Store the IoT Hub connection string instead of signing in.
    #[arg(long)]
    iothub_connection_string: bool,

    /// Do not try to open the browser during the device-code flow.
    #[arg(long)]
    no_browser: bool,

    #[command(flatten)]
    pub(crate) output: Output,
}

/// Forget every secret the profile keeps in the OS keychain.
#[derive(Args, Debug)]
pub struct LogoutArgs {
    #[command(flatten)]
    pub(crate) output: Output,
}

pub async fn login(ctx: &Context, args: LoginArgs) -> Result<ExitCode> {
    let (name, profile) = ctx.profile()?;
    if profile.backend == Backend::Demo {
        return Err(crate::refusal!("error.demo_needs_no_sign_in", name = name).into());
    }
    // Ask the keychain once before anything else, so that a missing keychain is reported before
    // a person types a secret or approves a code that could then not be kept.
    ctx.host
        .keychain()
        .retrieve(&SecretKey::new(&name, SecretKind::RefreshToken))
        .context(crate::refusal!("error.sign_in_not_kept"))?;
    if args.iothub_connection_string {
        return keep_iothub_connection_string(ctx, &name);
    }
    if args.service_principal {
        sign_in_service_principal(ctx, &name, profile, args.client_id).await?;
    } else {
        sign_in_person(ctx, &name, args.no_browser).await?;
    }
    // Prove the kept sign-in works before saying so.
    let who = whoami_of(ctx).await?;
    ctx.print(&who, || describe(&who))?;
    Ok(ExitCode::SUCCESS)
}

fn keep_iothub_connection_string(ctx: &Context, name: &str) -> Result<ExitCode> {
    let text = read_secret(IOTHUB_CONNECTION_STRING_ENV)?;
    // Check the shape before storing, so a typo is caught now and not at the first restart.
    ConnectionString::parse(&text).context(crate::refusal!("error.not_a_connection_string"))?;
    ctx.host
        .set_secret(name, SecretKind::IotHubConnectionString, &text)?;
    eprintln!("{}", crate::say!("login.iothub_kept", name = name));
    Ok(ExitCode::SUCCESS)
}

async fn sign_in_service_principal(
    ctx: &Context,
    name: &str,
    mut profile: Profile,
    client_id: Option<String>,
) -> Result<()> {
    if let Some(client_id) = client_id {
        profile.service_principal_client_id = Some(client_id);
        ctx.host.save_profile(name, profile.clone())?;
    }
    if profile.service_principal_client_id.is_none() {
        return Err(crate::refusal!("error.no_service_principal", name = name).into());
    }
    let secret = read_secret(CLIENT_SECRET_ENV)?;
    ctx.host
        .set_secret(name, SecretKind::ClientSecret, &secret)?;
    // A secret the identity platform refuses is not kept: the next command would only fail
    // with a less helpful message.
    if let Err(err) = whoami_of(ctx).await {
        ctx.host
            .keychain()
            .delete(&SecretKey::new(name, SecretKind::ClientSecret))?;
        return Err(err.context(crate::refusal!("error.secret_not_kept")));
    }
    Ok(())
}

async fn sign_in_person(ctx: &Context, name: &str, no_browser: bool) -> Result<()> {
    // Armed before the prompt is shown, so a Ctrl-C right after it still cancels cleanly.
    let cancel = cancel_on_ctrl_c().await;
    let pending = ctx.host.start_sign_in(name, cancel).await?;
    // The identity service's own instructions are English (what English output has always
    // shown); another language says the same from the catalogs.
    match crate::lang::current() {
        crate::lang::Lang::En => eprintln!("{}", pending.prompt.message),
        _ => eprintln!(
            "{}",
            crate::say!(
                "login.device_code",
                url = pending.prompt.verification_uri,
                code = pending.prompt.user_code
            )
        ),
    }
    if !no_browser {
        pending.open_browser();
    }
    Ok(ctx.host.finish_sign_in(&pending).await?)
}

pub async fn logout(ctx: &Context, _args: LogoutArgs) -> Result<ExitCode> {
    let (name, _) = ctx.profile()?;
    forget_profile_secrets(&name, ctx.host.keychain())?;
    eprintln!("{}", crate::say!("login.forgotten", name = name));
    Ok(ExitCode::SUCCESS)
}

pub async fn whoami(ctx: &Context) -> Result<ExitCode> {
    let who = whoami_of(ctx).await?;
    ctx.print(&who, || describe(&who))?;
    Ok(ExitCode::SUCCESS)
}

async fn whoami_of(ctx: &Context) -> Result<Identity> {
    ctx.with_tenant(async |tenant| Ok(tenant.whoami().await?))
        .await
}

/// A plane or sign-in kind (`Legacy`, `ServicePrincipal`), in Korean from `cli.word.<name>`.
fn word(name: String) -> String {
    crate::lang::korean_or(&format!("cli.word.{name}"), name)
}

/// The core's scope (`Azure Sphere tenant <id>`, `catalog <resource id>`) in the chosen language.
fn scope(scope: &str) -> String {
    if let Some(id) = scope.strip_prefix("Azure Sphere tenant ") {
        crate::say!("who.scope_tenant", id = id)
    } else if let Some(id) = scope.strip_prefix("catalog ") {
        crate::say!("who.scope_catalog", id = id)
    } else {
        scope.to_owned()
    }
}

fn describe(who: &Identity) -> String {
    let roles = if who.roles.is_empty() {
        "-".to_owned()
    } else {
        who.roles.join(", ")
    };
    crate::context::fields(&[
        (crate::say!("who.profile"), who.profile.clone()),
        (crate::say!("who.plane"), word(format!("{:?}", who.plane))),
        (
            crate::say!("who.sign_in"),
            word(format!("{:?}", who.sign_in)),
        ),
        (crate::say!("who.account"), or_dash(who.account.as_ref())),
        (crate::say!("who.tenant"), or_dash(who.tenant.as_ref())),
        (crate::say!("who.scope"), scope(&who.scope)),
        (crate::say!("who.roles"), roles),
    ])
}

/// Reads a secret from `env`, else from a hidden prompt (a terminal) or the first line of stdin.
fn read_secret(env: &str) -> Result<Sensitive<String>> {
    if let Ok(value) = std::env::var(env) {
        if !value.is_empty() {
            return Ok(Sensitive::new(value));
        }
    }
    let value = if std::io::stdin().is_terminal() {
        let prompt = match env {
            CLIENT_SECRET_ENV => crate::say!("login.prompt_client_secret"),
            _ => crate::say!("login.prompt_connection_string"),
        };
        rpassword::prompt_password(format!("{prompt}: "))
            .with_context(|| crate::refusal!("error.cannot_read_terminal"))?
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .with_context(|| crate::refusal!("error.cannot_read_stdin"))?;
        line
    };
    let value = Sensitive::<String>::new(value.trim().to_owned());
    if value.is_empty() {
        return Err(match env {
            CLIENT_SECRET_ENV => crate::refusal!("error.no_client_secret", env = env),
            _ => crate::refusal!("error.no_connection_string", env = env),
        }
        .into());
    }
    Ok(value)
}
