//! The shell's connection to a tenant: the open session of the active profile.
//!
//! A session is opened lazily, on the first command that needs the cloud, and replaced when the
//! user switches profile or signs in. For the Demo tenant the simulator is started in-process on
//! an ephemeral loopback port; for any other profile no port is opened. Secrets stay in the core
//! (keychain or the demo's memory store) and never pass through here on their way out.

use std::sync::Arc;

use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use asg_fota_core::cloud::auth::{DeviceCodePrompt, IdentityClient};
use asg_fota_core::paths::AppDirs;
use asg_fota_core::profiles::{Backend, Profile, ProfileStore, Profiles};
use asg_fota_core::secrets::{os_store, SecretKey, SecretKind, SecretStore, Sensitive};
use asg_fota_core::session::{PlaneKind, SecretOverrides, SecretSources, Session, SessionConfig};
use asg_fota_core::workflow::journal::{Actor, Journal};
use asg_fota_sim::demo::{start_demo, DemoRuntime, DemoSettings};

use crate::error::CommandError;

/// An open session and what keeps it alive.
pub(crate) struct OpenTenant {
    pub(crate) profile: String,
    pub(crate) session: Arc<Session>,
    demo: Option<DemoRuntime>,
}

/// A device-code sign-in waiting for the person to approve it in the browser.
pub(crate) struct PendingSignIn {
    pub(crate) profile: String,
    pub(crate) config: SessionConfig,
    pub(crate) identity: IdentityClient,
    pub(crate) prompt: DeviceCodePrompt,
    pub(crate) cancel: CancellationToken,
}

pub(crate) struct TenantConnection {
    dirs: AppDirs,
    store: Box<dyn SecretStore>,
    open: Mutex<Option<OpenTenant>>,
    pub(crate) pending_sign_in: Mutex<Option<PendingSignIn>>,
}

impl TenantConnection {
    pub(crate) fn new(dirs: AppDirs) -> Self {
        Self {
            dirs,
            store: os_store(),
            open: Mutex::new(None),
            pending_sign_in: Mutex::new(None),
        }
    }

    pub(crate) fn profile_store(&self) -> ProfileStore {
        ProfileStore::new(self.dirs.profiles_file())
    }

    pub(crate) fn profiles(&self) -> Result<Profiles, CommandError> {
        Ok(self.profile_store().load()?)
    }

    /// The journal of changes made to tenants, and who makes them now (the active profile).
    pub(crate) fn journal(&self) -> Result<(Journal, Actor), CommandError> {
        let profiles = self.profiles()?;
        let profile = profiles.active_name();
        let backend = profiles.get(&profile)?.backend;
        Ok((Journal::in_dirs(&self.dirs), Actor { profile, backend }))
    }

    /// How many gateways the active profile works on at once.
    pub(crate) fn concurrency(&self) -> Result<u32, CommandError> {
        let profiles = self.profiles()?;
        Ok(profiles.get(&profiles.active_name())?.concurrency.max(1))
    }

    pub(crate) fn secrets(&self) -> &dyn SecretStore {
        self.store.as_ref()
    }

    pub(crate) fn dirs(&self) -> &AppDirs {
        &self.dirs
    }

    /// Every secret the app can read now — each profile's in the keychain, the Demo tenant's
    /// while it runs — so that what leaves the machine (diagnostics) can be scrubbed of them.
    pub(crate) async fn known_secrets(&self) -> Vec<Sensitive<String>> {
        let names = self.profiles().map(|p| p.names()).unwrap_or_default();
        let open = self.open.lock().await;
        let demo = open.as_ref().and_then(|o| o.demo.as_ref());
        let mut stores: Vec<&dyn SecretStore> = vec![self.store.as_ref()];
        if let Some(demo) = demo {
            stores.push(&demo.secrets);
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

    /// The session of the active profile, opening it (and the Demo tenant's simulator) if needed.
    pub(crate) async fn session(&self) -> Result<Arc<Session>, CommandError> {
        let mut open = self.open.lock().await;
        let active = self.profiles()?.active_name();
        if let Some(current) = open.as_ref().filter(|o| o.profile == active) {
            return Ok(current.session.clone());
        }
        if let Some(previous) = open.take() {
            previous.close(self.store.as_ref()).await;
        }
        let opened = self.open_profile(&active).await?;
        let session = opened.session.clone();
        *open = Some(opened);
        Ok(session)
    }

    /// Forgets the open session (after a switch, a sign-in or a sign-out); the next command opens
    /// a fresh one.
    pub(crate) async fn reset(&self) {
        if let Some(previous) = self.open.lock().await.take() {
            previous.close(self.store.as_ref()).await;
        }
    }

    /// Resolves a profile to the endpoints and ids a session needs. The Demo tenant has none
    /// until its simulator runs, so it resolves through the open session.
    pub(crate) fn config_for(
        &self,
        name: &str,
        profile: &Profile,
    ) -> Result<SessionConfig, CommandError> {
        Ok(SessionConfig::from_profile(name, profile)?)
    }

    async fn open_profile(&self, name: &str) -> Result<OpenTenant, CommandError> {
        let profile = self.profiles()?.get(name)?;
        if profile.backend == Backend::Demo {
            let demo = start_demo(DemoSettings {
                profile: name.to_owned(),
                plane: PlaneKind::Arm,
                state_file: None,
                sim: demo_sim_config(),
            })
            .await
            .map_err(|error| {
                CommandError::new(
                    "internal",
                    format!("The Demo tenant could not start: {error}"),
                )
            })?;
            let config = SessionConfig::demo(name, &profile, &demo.tenant);
            let sources = SecretSources {
                store: &demo.secrets,
                overrides: SecretOverrides::default(),
            };
            let session = Session::open(config, &sources).await?;
            tracing::info!(profile = name, base = %demo.sim.urls().base, "Demo tenant started on loopback");
            return Ok(OpenTenant {
                profile: name.to_owned(),
                session: Arc::new(session),
                demo: Some(demo),
            });
        }
        let config = self.config_for(name, &profile)?;
        let sources = SecretSources {
            store: self.store.as_ref(),
            overrides: SecretOverrides::default(),
        };
        let session = Session::open(config, &sources).await?;
        Ok(OpenTenant {
            profile: name.to_owned(),
            session: Arc::new(session),
            demo: None,
        })
    }
}

impl OpenTenant {
    /// Ends the session. A person's refresh token may have been renewed while it was open: the
    /// renewed one is kept in the keychain, or the next start would find a spent one.
    async fn close(self, store: &dyn SecretStore) {
        match self.demo {
            Some(demo) => demo.sim.shutdown().await,
            None => {
                if let Err(error) = self.session.keep_rotated_refresh_token(store).await {
                    tracing::warn!(profile = %self.profile, %error, "the renewed sign-in could not be kept");
                }
            }
        }
    }
}

/// The Demo tenant's simulator settings. `ASG_FOTA_DEMO_PORT` pins its loopback port (tests and
/// curious users reach its control API there; by default the port is ephemeral),
/// `ASG_FOTA_DEMO_GATEWAYS` sizes its fleet (the benchmark's 10,000-row table uses it), and
/// `ASG_FOTA_DEMO_FAST=1` shortens every simulated delay (restarts, operations) for the
/// end-to-end tests.
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
        ..defaults
    }
}
