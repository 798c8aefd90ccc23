//! The shell's hold on the core's [`Tenant`]: the open session of the active profile, opened
//! lazily on the first command that needs the cloud and replaced when the user switches profile
//! or signs in; and a device-code sign-in waiting for approval. Opening, closing, the Demo
//! tenant and the sign-in rules are the core's ([`TenantHost`]); the shell only supplies the
//! Demo tenant's settings from its environment.

use std::sync::Arc;

use tokio::sync::Mutex;

use asg_fota_core::paths::AppDirs;
use asg_fota_core::secrets::{os_store, SecretKey, SecretKind, SecretStore, Sensitive};
use asg_fota_core::session::SecretOverrides;
use asg_fota_core::tenant::{PendingSignIn, Tenant, TenantHost};

use crate::wire::CommandError;

pub(crate) struct TenantConnection {
    pub(crate) host: TenantHost,
    open: Mutex<Option<Arc<Tenant>>>,
    pending_sign_in: Mutex<Option<Arc<PendingSignIn>>>,
}

impl TenantConnection {
    pub(crate) fn new(dirs: AppDirs) -> Self {
        let launcher = asg_fota_sim::demo::Launcher {
            state_file: std::env::var_os("ASG_FOTA_DEMO_STATE")
                .filter(|v| !v.is_empty())
                .map(std::path::PathBuf::from),
            sim: demo_sim_config(),
        };
        Self {
            host: TenantHost::new(
                dirs,
                Arc::from(os_store()),
                SecretOverrides::default(),
                Arc::new(crate::demo::SharedDemo::new(launcher)),
            ),
            open: Mutex::new(None),
            pending_sign_in: Mutex::new(None),
        }
    }

    /// The open tenant of the active profile, opening it (and the Demo tenant) if needed.
    pub(crate) async fn tenant(&self) -> Result<Arc<Tenant>, CommandError> {
        let mut open = self.open.lock().await;
        let active = self.host.profile_name(None)?;
        if let Some(current) = open.as_ref().filter(|t| t.name() == active) {
            return Ok(current.clone());
        }
        if let Some(previous) = open.take() {
            previous.close().await;
        }
        let opened = Arc::new(self.host.open(None).await?);
        *open = Some(opened.clone());
        Ok(opened)
    }

    /// Every secret the app can read now — each profile's in the keychain, the open tenant's
    /// (the Demo tenant's own) — so that what leaves the machine (diagnostics) can be scrubbed
    /// of them.
    pub(crate) async fn known_secrets(&self) -> Vec<Sensitive<String>> {
        let names = self.host.profiles().map(|p| p.names()).unwrap_or_default();
        let open = self.open.lock().await.clone();
        let mut stores: Vec<&dyn SecretStore> = vec![self.host.keychain()];
        if let Some(tenant) = open.as_ref() {
            stores.push(tenant.secrets());
        }
        let mut found = Vec::new();
        for name in &names {
            for kind in SecretKind::ALL {
                for store in &stores {
                    if let Ok(Some(value)) = store.retrieve(&SecretKey::new(name, kind)) {
                        found.push(value);
                    }
                }
            }
        }
        found
    }

    /// Closes the open tenant (after a switch, a sign-in or a sign-out); the next command opens
    /// a fresh one.
    pub(crate) async fn reset(&self) {
        if let Some(previous) = self.open.lock().await.take() {
            previous.close().await;
        }
    }

    /// Keeps a started device-code sign-in, cancelling one that was waiting.
    pub(crate) async fn wait_for_sign_in(&self, pending: PendingSignIn) {
        if let Some(previous) = self.pending_sign_in.lock().await.replace(Arc::new(pending)) {
            previous.cancel();
        }
    }

    /// The sign-in waiting for approval.
    pub(crate) async fn waiting_sign_in(&self) -> Result<Arc<PendingSignIn>, CommandError> {
        self.pending_sign_in.lock().await.clone().ok_or_else(|| {
            CommandError::new(
                "invalid_input",
                "No sign-in is waiting. Press “Sign in” to start one.",
            )
        })
    }

    /// Forgets `done` once its wait ended (a newer sign-in stays).
    pub(crate) async fn sign_in_ended(&self, done: &Arc<PendingSignIn>) {
        let mut pending = self.pending_sign_in.lock().await;
        if pending.as_ref().is_some_and(|p| Arc::ptr_eq(p, done)) {
            pending.take();
        }
    }

    /// Cancels the sign-in waiting for approval (its `sign_in_finish` then rejects `cancelled`).
    pub(crate) async fn cancel_sign_in(&self) {
        if let Some(pending) = self.pending_sign_in.lock().await.take() {
            pending.cancel();
        }
    }
}

/// The Demo tenant's simulator settings. `ASG_FOTA_DEMO_PORT` pins its loopback port (tests and
/// curious users reach its control API there; by default the port is ephemeral),
/// `ASG_FOTA_DEMO_GATEWAYS` sizes its fleet (the benchmark's 10,000-row table uses it), and
/// `ASG_FOTA_DEMO_FAST=1` shortens every simulated delay (restarts, operations) for the
/// end-to-end tests. Two more are for tests that restart the app: `ASG_FOTA_DEMO_STATE=<file>`
/// keeps the Demo tenant in that file between starts (in memory otherwise), and
/// `ASG_FOTA_DEMO_FAULTS=<file>` applies a fault plan (`docs/simulator.md`) from the very first
/// request — a plan that cannot be read is logged and ignored.
fn demo_sim_config() -> asg_fota_sim::SimConfig {
    fn number<T: std::str::FromStr>(name: &str) -> Option<T> {
        std::env::var(name)
            .ok()
            .and_then(|value| value.parse().ok())
    }
    let defaults = asg_fota_sim::SimConfig::default();
    let timing = match std::env::var("ASG_FOTA_DEMO_FAST").as_deref() {
        Ok("1") => asg_fota_sim::SimTiming::fast(),
        _ => defaults.timing.clone(),
    };
    asg_fota_sim::SimConfig {
        port: number("ASG_FOTA_DEMO_PORT").unwrap_or(0),
        gateways: number("ASG_FOTA_DEMO_GATEWAYS").unwrap_or(defaults.gateways),
        timing,
        faults: demo_faults().unwrap_or_default(),
        ..defaults
    }
}

/// The fault plan named by `ASG_FOTA_DEMO_FAULTS`, if any and readable.
fn demo_faults() -> Option<asg_fota_sim::FaultPlan> {
    let path = std::env::var_os("ASG_FOTA_DEMO_FAULTS").filter(|v| !v.is_empty())?;
    let read = std::fs::read(&path)
        .map_err(|e| e.to_string())
        .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| e.to_string()));
    match read {
        Ok(plan) => Some(plan),
        Err(error) => {
            tracing::warn!(path = %std::path::Path::new(&path).display(), %error, "the Demo tenant's fault plan was not applied");
            None
        }
    }
}
