//! What every cloud verb of the CLI shares: the chosen profile, the environment variables for
//! pipelines, the core's `TenantHost` (which opens and closes the profile's `Tenant`, starting
//! the simulated Demo tenant when that is the profile), and printing results as a table or JSON.
//!
//! Environment variables read here (and only here) for pipelines, each winning over the keychain:
//! `ASG_FOTA_CLIENT_SECRET`, `ASG_FOTA_REFRESH_TOKEN`, `ASG_FOTA_IOTHUB_CONNECTION_STRING`; plus
//! `ASG_FOTA_PROFILE` (the profile, like `--profile`) and the directory overrides
//! `ASG_FOTA_CONFIG_DIR` / `ASG_FOTA_DATA_DIR` / `ASG_FOTA_LOG_DIR`; and the log (`--log-file`,
//! `ASG_FOTA_LOG_FILE`, `ASG_FOTA_LOG`), see [`start_logging`].

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use asg_fota_core::logging::{self as core_log, LogGuard, LogTarget};
use asg_fota_core::paths::AppDirs;
use asg_fota_core::profiles::Profile;
use asg_fota_core::secrets::{os_store, Sensitive};
use asg_fota_core::session::{SecretOverrides, Session};
use asg_fota_core::tenant::{Tenant, TenantHost};
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

    /// Write a log to this file, appending (`-`: to stderr). Without it the CLI logs only when
    /// ASG_FOTA_LOG is set, then to `<log directory>/cli/asg-fota-cli.<date>.log`. ASG_FOTA_LOG
    /// is the filter (`info` by default; `debug`, `trace`, `asg_fota_core=trace,info`, ...).
    #[arg(
        long,
        global = true,
        env = "ASG_FOTA_LOG_FILE",
        value_name = "PATH",
        verbatim_doc_comment
    )]
    pub log_file: Option<PathBuf>,
}

/// The output switch every cloud verb takes.
#[derive(Args, Debug, Clone, Copy, Default)]
pub struct Output {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// The CLI's view of the machine: the chosen profile, and the core's host of tenants (the
/// directories, the keychain, the environment's secrets, the Demo tenant kept in a file).
pub struct Context {
    pub global: GlobalArgs,
    pub output: Output,
    pub host: TenantHost,
}

impl Context {
    /// Finds the directories and opens the keychain (an unreachable keychain is reported only
    /// when a secret is actually needed from it).
    pub fn new(global: GlobalArgs, output: Output) -> Result<Self> {
        let dirs = AppDirs::discover()?;
        // The Demo tenant's state is kept in `<data dir>/demo-tenant.json` between invocations.
        let demo = asg_fota_sim::demo::Launcher {
            state_file: Some(dirs.demo_state_file()),
            sim: asg_fota_sim::SimConfig::default(),
        };
        let host = TenantHost::new(dirs, Arc::from(os_store()), overrides(), Arc::new(demo));
        Ok(Self {
            global,
            output,
            host,
        })
    }

    /// The name and settings of the profile this invocation uses.
    pub fn profile(&self) -> Result<(String, Profile)> {
        let name = self.host.profile_name(self.global.profile.as_deref())?;
        let profile = self.host.profiles()?.get(&name)?;
        Ok((name, profile))
    }

    /// Opens the chosen profile (starting the Demo tenant when it is that). Call
    /// [`Tenant::close`] afterwards, or use [`Context::with_tenant`].
    pub async fn open(&self) -> Result<Tenant> {
        Ok(self.host.open(self.global.profile.as_deref()).await?)
    }

    /// Runs `work` on the chosen profile's open tenant, then closes it whether the work
    /// succeeded or not.
    pub async fn with_tenant<T>(&self, work: impl AsyncFnOnce(&Tenant) -> Result<T>) -> Result<T> {
        let tenant = self.open().await?;
        let outcome = work(&tenant).await;
        tenant.close().await;
        outcome
    }

    /// [`Context::with_tenant`] for verbs that need only the signed-in clients.
    pub async fn with_session<T>(
        &self,
        work: impl AsyncFnOnce(&Session) -> Result<T>,
    ) -> Result<T> {
        self.with_tenant(async |tenant| work(tenant.session()).await)
            .await
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

/// Starts the log the options ask for: `--log-file PATH` (or `-` for stderr), else the daily file
/// in the log directory's `cli` folder when `ASG_FOTA_LOG` is set, else none — a pipeline gets no
/// file it did not ask for. The `cli` folder keeps the app's pruning of its own seven files away
/// from the CLI's (the appender prunes every file that starts with its prefix).
pub fn start_logging(global: &GlobalArgs) -> Result<Option<LogGuard>> {
    let filter = core_log::filter_from_env();
    let target = match (&global.log_file, &filter) {
        (Some(path), _) if path.as_os_str() == "-" => LogTarget::Stderr,
        (Some(path), _) => LogTarget::File(path.clone()),
        (None, Some(_)) => LogTarget::Daily {
            dir: AppDirs::discover()?.log.join("cli"),
            prefix: "asg-fota-cli",
        },
        (None, None) => return Ok(None),
    };
    let guard = core_log::init(&target, core_log::parse_filter(filter.as_deref())?)?;
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "asg-fota-cli started");
    Ok(Some(guard))
}

/// Secrets from the environment, for pipelines.
// UNSURE: that Entra keeps a refresh token valid after it rotated it (as documented for
// confidential and public clients alike), so ASG_FOTA_REFRESH_TOKEN keeps working run after run
// even though a rotated token is not written back (it belongs to the pipeline that set it).
fn overrides() -> SecretOverrides {
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

/// A multi-thread runtime for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The columns `text` takes in a terminal: Hangul and other East Asian wide characters take two
/// (without this, Korean table heads push every column out of line).
pub fn columns(text: &str) -> usize {
    text.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

/// `label: value` lines, the values in one column (`label:` padded to the widest label + 1).
pub fn fields(lines: &[(String, String)]) -> String {
    let width = lines.iter().map(|(l, _)| columns(l)).max().unwrap_or(0) + 1;
    let mut out = String::new();
    for (label, value) in lines {
        let pad = width.saturating_sub(columns(label)) + 1;
        out.push_str(&format!("{label}:{}{value}\n", " ".repeat(pad)));
    }
    out
}

/// Formats rows as left-aligned columns under a header.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| columns(h)).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(columns(cell));
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let last = i + 1 == cells.len();
            out.push_str(cell);
            if !last {
                let pad = widths[i].saturating_sub(columns(cell)) + 2;
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
        out.push_str(&crate::say!("none"));
        out.push('\n');
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
