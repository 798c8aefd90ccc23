//! What every cloud verb of the CLI shares: the chosen profile, the OS directories, the secret
//! store, the environment variables for pipelines, opening a session (starting the simulated
//! Demo tenant when that is the profile), and printing results as a table or as JSON.
//!
//! Environment variables read here (and only here) for pipelines, each winning over the keychain:
//! `ASG_FOTA_CLIENT_SECRET`, `ASG_FOTA_REFRESH_TOKEN`, `ASG_FOTA_IOTHUB_CONNECTION_STRING`; plus
//! `ASG_FOTA_PROFILE` (the profile, like `--profile`) and the directory overrides
//! `ASG_FOTA_CONFIG_DIR` / `ASG_FOTA_DATA_DIR` / `ASG_FOTA_LOG_DIR`.

use std::io::Write;

use anyhow::{Context as _, Result};
use asg_fota_core::paths::AppDirs;
use asg_fota_core::profiles::{Backend, Profile, ProfileStore, Profiles};
use asg_fota_core::secrets::{os_store, MemoryStore, SecretStore, Sensitive};
use asg_fota_core::session::{PlaneKind, SecretOverrides, SecretSources, Session, SessionConfig};
use asg_fota_core::workflow::deploy::Recorder;
use asg_fota_core::workflow::journal::{Actor, Journal};
use clap::Args;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

/// Environment variable with a service principal's client secret.
pub const CLIENT_SECRET_ENV: &str = "ASG_FOTA_CLIENT_SECRET";
/// Environment variable with a refresh token of a person's sign-in.
pub const REFRESH_TOKEN_ENV: &str = "ASG_FOTA_REFRESH_TOKEN";
/// Environment variable with an IoT Hub shared access policy connection string.
pub const IOTHUB_CONNECTION_STRING_ENV: &str = "ASG_FOTA_IOTHUB_CONNECTION_STRING";

/// Options of the whole CLI (flattened into the top-level parser; `global` so they may follow
/// the verb).
#[derive(Args, Debug, Clone, Default)]
pub struct GlobalArgs {
    /// The profile to use (default: the active profile, else the Demo tenant).
    #[arg(long, global = true, env = "ASG_FOTA_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,
}

/// The output switch every cloud verb takes.
#[derive(Args, Debug, Clone, Copy, Default)]
pub struct Output {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// The CLI's view of the machine: directories, profiles, keychain, environment.
pub struct Context {
    pub global: GlobalArgs,
    pub output: Output,
    pub dirs: AppDirs,
    pub profiles_file: ProfileStore,
    pub store: Box<dyn SecretStore>,
}

impl Context {
    /// Finds the directories and opens the keychain (an unreachable keychain is reported only
    /// when a secret is actually needed from it).
    pub fn new(global: GlobalArgs, output: Output) -> Result<Self> {
        let dirs = AppDirs::discover()?;
        let profiles_file = ProfileStore::new(dirs.profiles_file());
        Ok(Self {
            global,
            output,
            dirs,
            profiles_file,
            store: os_store(),
        })
    }

    /// Every profile, from the file.
    pub fn profiles(&self) -> Result<Profiles> {
        Ok(self.profiles_file.load()?)
    }

    /// The name and settings of the profile this invocation uses.
    pub fn profile(&self) -> Result<(String, Profile)> {
        let profiles = self.profiles()?;
        let name = self
            .global
            .profile
            .clone()
            .unwrap_or_else(|| profiles.active_name());
        let profile = profiles.get(&name)?;
        Ok((name, profile))
    }

    /// Secrets from the environment, for pipelines.
    // UNSURE: that Entra keeps a refresh token valid after it rotated it (as documented for
    // confidential and public clients alike), so ASG_FOTA_REFRESH_TOKEN keeps working run after run
    // even though a rotated token cannot be written back when no keychain is reachable.
    pub fn overrides() -> SecretOverrides {
        let read = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|v| !v.is_empty())
                .map(Sensitive::<String>::new)
        };
        SecretOverrides {
            client_secret: read(CLIENT_SECRET_ENV),
            refresh_token: read(REFRESH_TOKEN_ENV),
            iothub_connection_string: read(IOTHUB_CONNECTION_STRING_ENV),
        }
    }

    /// The resolved settings of the chosen profile; for the Demo tenant this starts the simulator
    /// (its state kept in `<data dir>/demo-tenant.json` between runs).
    pub async fn resolve(&self) -> Result<Resolved> {
        let (name, profile) = self.profile()?;
        if profile.backend != Backend::Demo {
            let config = SessionConfig::from_profile(&name, &profile)?;
            return Ok(Resolved { config, demo: None });
        }
        std::fs::create_dir_all(&self.dirs.data).with_context(|| {
            format!(
                "cannot create the data directory {}",
                self.dirs.data.display()
            )
        })?;
        // The Demo tenant's secrets are made up by the simulator: they stay in memory and never
        // reach the OS keychain.
        let demo = asg_fota_sim::demo::start_demo(asg_fota_sim::demo::DemoSettings {
            profile: name.clone(),
            plane: PlaneKind::Arm,
            state_file: Some(self.dirs.demo_state_file()),
            sim: asg_fota_sim::SimConfig::default(),
        })
        .await
        .context("cannot start the Demo tenant")?;
        Ok(Resolved {
            config: SessionConfig::demo(&name, &profile, &demo.tenant),
            demo: Some(Demo {
                sim: demo.sim,
                secrets: demo.secrets,
            }),
        })
    }

    /// Opens a signed-in session on the chosen profile. Call [`Context::finish`] afterwards.
    pub async fn open(&self) -> Result<(Session, Resolved)> {
        let resolved = self.resolve().await?;
        let session = {
            let sources = SecretSources {
                store: resolved.store_or(self.store.as_ref()),
                overrides: Self::overrides(),
            };
            Session::open(resolved.config.clone(), &sources).await?
        };
        Ok((session, resolved))
    }

    /// Ends a session: keeps a refresh token the identity platform rotated during the run (the
    /// old one stops working once used), then stops the Demo tenant if one runs. Called whether
    /// the verb worked or not; a failure here is a warning, not the verb's result.
    pub async fn finish(&self, session: &Session, resolved: Resolved) {
        // A refresh token handed in through the environment belongs to the pipeline that set it:
        // writing its successor into this machine's keychain would only surprise someone.
        if Self::overrides().refresh_token.is_none() {
            let store = resolved.store_or(self.store.as_ref());
            if let Err(err) = session.keep_rotated_refresh_token(store).await {
                eprintln!("asg-fota-cli: warning: the renewed sign-in could not be kept: {err}");
            }
        }
        resolved.stop().await;
    }

    /// Runs `work` on a signed-in session of the chosen profile, then [`Context::finish`]es the
    /// session whether the work succeeded or not.
    pub async fn with_session<T>(
        &self,
        work: impl AsyncFnOnce(&Session) -> Result<T>,
    ) -> Result<T> {
        let (session, resolved) = self.open().await?;
        let outcome = work(&session).await;
        self.finish(&session, resolved).await;
        outcome
    }

    /// Prints `value` as JSON, or `human` as text.
    pub fn print<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) -> Result<()> {
        let text = if self.output.json {
            let mut json =
                serde_json::to_string_pretty(value).context("cannot format the answer as JSON")?;
            json.push('\n');
            json
        } else {
            human()
        };
        write_stdout(&text)
    }
}

/// A running simulated Demo tenant and its in-memory secrets.
pub struct Demo {
    sim: asg_fota_sim::SimHandle,
    secrets: MemoryStore,
}

/// A resolved profile, plus the Demo tenant when it is one.
pub struct Resolved {
    pub config: SessionConfig,
    demo: Option<Demo>,
}

impl Resolved {
    /// The Demo tenant's memory store, else `os`.
    pub fn store_or<'a>(&'a self, os: &'a dyn SecretStore) -> &'a dyn SecretStore {
        match &self.demo {
            Some(demo) => &demo.secrets,
            None => os,
        }
    }

    /// Stops the Demo tenant (saving its state) if one was started.
    pub async fn stop(self) {
        if let Some(demo) = self.demo {
            demo.sim.shutdown().await;
        }
    }
}

/// Writes to stdout; a reader that stops early (`| head`) is not an error.
pub fn write_stdout(text: &str) -> Result<()> {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(err).context("cannot write to stdout")
        }
        _ => Ok(()),
    }
}

/// A token cancelled by Ctrl-C. Returns once the signal handler is installed: tokio installs it
/// when the `ctrl_c` future is first polled, and a Ctrl-C before that would kill the process.
pub async fn cancel_on_ctrl_c() -> CancellationToken {
    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    let (armed, is_armed) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let mut ctrl_c = std::pin::pin!(tokio::signal::ctrl_c());
        tokio::select! {
            biased;
            result = &mut ctrl_c => {
                if result.is_ok() {
                    on_ctrl_c.cancel();
                }
                return;
            }
            () = std::future::ready(()) => {}
        }
        let _ = armed.send(());
        if ctrl_c.await.is_ok() {
            on_ctrl_c.cancel();
        }
    });
    let _ = is_armed.await;
    cancel
}

/// Where the changes of this invocation are journaled, and under which profile.
pub struct Journaling {
    pub journal: Journal,
    pub actor: Actor,
}

impl Journaling {
    pub fn new(ctx: &Context) -> Result<Self> {
        let (profile, settings) = ctx.profile()?;
        Ok(Self {
            journal: Journal::in_dirs(&ctx.dirs),
            actor: Actor {
                profile,
                backend: settings.backend,
            },
        })
    }

    pub fn recorder(&self) -> Recorder<'_> {
        Recorder {
            journal: &self.journal,
            actor: &self.actor,
        }
    }
}

/// A multi-thread runtime for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Formats rows as left-aligned columns under a header.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let last = i + 1 == cells.len();
            out.push_str(cell);
            if !last {
                let pad = widths[i].saturating_sub(cell.chars().count()) + 2;
                out.push_str(&" ".repeat(pad));
            }
        }
        out.push('\n');
        out
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    if rows.is_empty() {
        out.push_str("(none)\n");
    }
    out
}

/// A time as RFC 3339 (UTC), or `-`.
pub fn when(value: Option<time::OffsetDateTime>) -> String {
    value
        .and_then(|t| {
            t.to_offset(time::UtcOffset::UTC)
                .replace_nanosecond(0)
                .ok()?
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "-".to_owned())
}

/// `-` for a missing value in a table.
pub fn or_dash(value: Option<impl ToString>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// This machine's UTC offset, read once at start-up by [`init_local_offset`] (the OS can only be
/// asked safely while the process has one thread).
static LOCAL_OFFSET: std::sync::OnceLock<Option<time::UtcOffset>> = std::sync::OnceLock::new();

/// Reads the local UTC offset; call first thing in `main`, before any thread starts.
pub fn init_local_offset() {
    let _ = LOCAL_OFFSET.set(time::UtcOffset::current_local_offset().ok());
}

/// This machine's UTC offset, when it could be read at start-up.
pub fn local_offset() -> Option<time::UtcOffset> {
    LOCAL_OFFSET.get().copied().flatten()
}
