//! The open session of one profile, and the one place that opens and closes it.
//!
//! This module owns what both front ends used to write twice: choosing the profile, starting the
//! Demo tenant (through [`DemoLauncher`], which the app and the CLI hand in so the core does not
//! depend on the simulator), signing in, keeping a rotated refresh token the moment it rotates,
//! the journal every change is written to, the image kinds read locally, and the rules of the
//! profile screen ("a service principal counts as signed in", "an empty secret is refused").
//! A [`Tenant`] is the open session; a [`TenantHost`] is what a front end holds between them.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use crate::cloud::auth::{BoxFuture, DeviceCodePrompt, IdentityClient};
use crate::cloud::iothub::{MethodResponse, MethodTimeouts};
use crate::cloud::model::{DeviceGroupId, DeviceId, ImageId};
use crate::cloud::CloudError;
use crate::inspect::{self, InspectError, PackageReport};
use crate::migrate::{self, MigrationReport};
use crate::paths::AppDirs;
use crate::profiles::{Backend, Profile, ProfileError, ProfileStore, Profiles, DEMO_PROFILE};
use crate::secrets::{SecretError, SecretKey, SecretKind, SecretStore, Sensitive};
use crate::session::{
    self, DemoTenant, Identity, PlaneKind, SecretOverrides, SecretSources, Session, SessionConfig,
    SessionError,
};
use crate::workflow::compliance::{self, ComplianceError, ComplianceReport};
use crate::workflow::deploy::{self, CreatedDeployment, DeployError, PlannedDeployment, Recorder};
use crate::workflow::fleet::{Fleet, Gateway};
use crate::workflow::group_cache::{self, CachedGroups, GroupCache};
use crate::workflow::groups::{self, DeploymentView, GroupView, LocalKinds};
use crate::workflow::journal::{
    Action, Actor, Detail, Journal, JournalEntry, JournalError, Outcome, Target,
};
use crate::workflow::nodes::NodeUpdateSettings;
use crate::workflow::nodes::{self, NodeEvent, NodeRef, NodeRow, NodeUpdateReport};
use crate::workflow::plan::DeploymentPlan;
use crate::workflow::rollout::{Rollout, RolloutSettings};
use crate::workflow::upload::{self, UploadProgress, UploadResult, UploadSettings};

/// Starts the simulated Demo tenant for a profile. The app and the CLI implement it (through the
/// simulator crate) with their own settings: the app keeps the demo in memory, the CLI in a file.
pub trait DemoLauncher: Send + Sync {
    /// Starts the Demo tenant whose secrets are stored under `profile`.
    fn launch(&self, profile: &str) -> BoxFuture<'static, Result<RunningDemo, String>>;
}

/// A started Demo tenant: where it answers, its made-up secrets, and how to stop it.
pub struct RunningDemo {
    pub tenant: DemoTenant,
    /// The demo's secrets; they never reach the OS keychain.
    pub secrets: Arc<dyn SecretStore>,
    /// Stops the simulator (saving its state) when awaited.
    pub stop: BoxFuture<'static, ()>,
}

/// Why a tenant operation failed. `kind()` is the core's stable code; front ends fold it into
/// their own (the shell into the GUI's kinds, in one function).
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Deploy(#[from] DeployError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The Demo tenant's simulator did not start.
    #[error("The Demo tenant could not start: {0}")]
    DemoStart(String),
    /// A secret to store is empty: it would look like a sign-in and fail later.
    #[error("The value is empty: paste the secret and try again.")]
    EmptySecret,
    /// A sign-in was asked for the Demo tenant, which signs itself in.
    #[error("The Demo tenant signs itself in; there is nothing to do.")]
    DemoSignsItselfIn,
    /// The group's update policy keeps application updates from its devices.
    #[error("{0}")]
    PolicyBlocksUpdates(String),
}

impl TenantError {
    /// The core's stable snake_case code.
    pub fn kind(&self) -> &'static str {
        match self {
            TenantError::Session(e) => e.kind(),
            TenantError::Deploy(e) => e.kind(),
            TenantError::Journal(_) => "journal",
            TenantError::DemoStart(_) => "demo_start",
            TenantError::EmptySecret | TenantError::DemoSignsItselfIn => "invalid_input",
            TenantError::PolicyBlocksUpdates(_) => "policy_blocks_updates",
        }
    }

    /// Non-secret values a front end may show beside the message (the profile, a setting, the
    /// wait the service asked for).
    pub fn params(&self) -> serde_json::Map<String, serde_json::Value> {
        let reason = |key: &str| {
            let mut params = serde_json::Map::new();
            params.insert("reason".into(), key.into());
            params
        };
        match self {
            TenantError::Session(e) => e.params(),
            TenantError::Deploy(DeployError::Cloud(e)) => cloud_params(e),
            TenantError::EmptySecret => reason("empty_secret"),
            TenantError::DemoSignsItselfIn => reason("demo_signs_itself_in"),
            _ => serde_json::Map::new(),
        }
    }
}

/// The non-secret values of a cloud error.
pub fn cloud_params(error: &CloudError) -> serde_json::Map<String, serde_json::Value> {
    let mut params = serde_json::Map::new();
    if let Some(wait) = error.retry_after() {
        params.insert("retryAfterSeconds".into(), wait.as_secs().into());
    }
    // A value a person typed or pasted, named so the front end can say which (never the value:
    // it may be a secret).
    if let CloudError::InvalidInput { what, .. } = error {
        let reason = match *what {
            "device id" => Some("device_id"),
            "service URL" => Some("service_url"),
            "IoT Hub connection string" => Some("iothub_connection_string"),
            _ => None,
        };
        if let Some(reason) = reason {
            params.insert("reason".into(), reason.into());
        }
    }
    params
}

impl From<CloudError> for TenantError {
    fn from(error: CloudError) -> Self {
        TenantError::Session(SessionError::Cloud(error))
    }
}

impl From<ComplianceError> for TenantError {
    fn from(error: ComplianceError) -> Self {
        match error {
            ComplianceError::Cloud(e) => e.into(),
            ComplianceError::Group(e) => TenantError::Session(e),
        }
    }
}

impl From<ProfileError> for TenantError {
    fn from(error: ProfileError) -> Self {
        TenantError::Session(SessionError::Profile(error))
    }
}

impl From<SecretError> for TenantError {
    fn from(error: SecretError) -> Self {
        TenantError::Session(SessionError::Secret(error))
    }
}

/// What a front end holds between sessions: the OS directories, the keychain, secrets handed in
/// from outside (the CLI's environment), the Demo tenant's launcher, and the image kinds read
/// locally (they outlive a profile switch: an image id names the same package everywhere).
pub struct TenantHost {
    dirs: AppDirs,
    keychain: Arc<dyn SecretStore>,
    overrides: SecretOverrides,
    demo: Arc<dyn DemoLauncher>,
    kinds: Arc<Mutex<LocalKinds>>,
}

/// A profile as the profile screen lists it, with what the keychain holds for it (never what).
#[derive(Debug, Clone)]
pub struct ProfileState {
    pub name: String,
    pub profile: Profile,
    pub signed_in: bool,
    pub has_client_secret: bool,
    pub has_iothub_connection_string: bool,
    pub built_in: bool,
    /// Set by [`TenantHost::save_profile`] when the endpoints changed and the stored secrets
    /// were removed (the front end tells the person to sign in again).
    pub secrets_removed: bool,
}

/// A device-code sign-in waiting for the person to approve it in the browser.
pub struct PendingSignIn {
    pub profile: String,
    pub prompt: DeviceCodePrompt,
    config: SessionConfig,
    identity: IdentityClient,
    cancel: CancellationToken,
}

impl PendingSignIn {
    /// Stops waiting; [`TenantHost::finish_sign_in`] then fails with `cancelled`.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// Opens the sign-in page in the browser, if it is one this product opens (see
    /// [`crate::browser`]); the prompt shows the address either way.
    pub fn open_browser(&self) {
        crate::browser::open_sign_in_page_or_log(
            &self.prompt.verification_uri,
            &self.config.authority_host,
        );
    }
}

impl TenantHost {
    pub fn new(
        dirs: AppDirs,
        keychain: Arc<dyn SecretStore>,
        overrides: SecretOverrides,
        demo: Arc<dyn DemoLauncher>,
    ) -> Self {
        Self {
            dirs,
            keychain,
            overrides,
            demo,
            kinds: Arc::default(),
        }
    }

    pub fn dirs(&self) -> &AppDirs {
        &self.dirs
    }

    pub fn keychain(&self) -> &dyn SecretStore {
        self.keychain.as_ref()
    }

    fn store(&self) -> ProfileStore {
        ProfileStore::new(self.dirs.profiles_file())
    }

    /// Every profile, from the file.
    pub fn profiles(&self) -> Result<Profiles, TenantError> {
        Ok(self.store().load()?)
    }

    /// The journal of every change made from this computer.
    pub fn journal(&self) -> Journal {
        Journal::in_dirs(&self.dirs)
    }

    /// The last group list seen per profile, in the data directory.
    pub fn group_cache(&self) -> GroupCache {
        GroupCache::in_data_dir(&self.dirs.data)
    }

    /// The last group list read for profile `chosen` (else the active one), without opening it:
    /// what step 1 draws at start-up until the listing arrives. `None` when there is none or it
    /// is unusable (see [`GroupCache::load`]).
    pub fn cached_groups(&self, chosen: Option<&str>) -> Result<Option<CachedGroups>, TenantError> {
        let name = self.profile_name(chosen)?;
        let profile = self.profiles()?.get(&name)?;
        Ok(self
            .group_cache()
            .load(&name, &group_cache::tenant_fingerprint(&profile)))
    }

    /// The registry of this computer's runs, beside the journal (needs no sign-in): the app
    /// lists interrupted runs at start-up, the CLI's `runs` verb lists and discards them.
    pub fn runs(&self) -> crate::workflow::runs::Runs {
        crate::workflow::runs::Runs::beside(&self.journal())
    }

    /// The latest `limit` journal entries, newest first.
    pub fn journal_recent(&self, limit: usize) -> Result<Vec<JournalEntry>, TenantError> {
        Ok(self.journal().recent(limit)?)
    }

    /// `chosen`, else the active profile.
    pub fn profile_name(&self, chosen: Option<&str>) -> Result<String, TenantError> {
        match chosen {
            Some(name) => Ok(name.to_owned()),
            None => Ok(self.profiles()?.active_name()),
        }
    }

    /// Reads packages locally, remembering each readable one's kind (the tenant cannot tell a
    /// high-level app from a real-time one; the package can). One bad file hides no other.
    pub fn inspect(&self, paths: &[PathBuf]) -> Vec<Result<PackageReport, InspectError>> {
        let reports: Vec<_> = paths.iter().map(|p| inspect::inspect_file(p)).collect();
        self.remember(reports.iter().filter_map(|r| r.as_ref().ok()));
        reports
    }

    fn remember<'a>(&self, reports: impl Iterator<Item = &'a PackageReport>) {
        if let Ok(mut kinds) = self.kinds.lock() {
            for report in reports {
                if let Some(kind) = upload::kind_of(report) {
                    kinds.insert(ImageId::new(report.image_id.clone()), kind);
                }
            }
        }
    }

    /// Opens profile `chosen` (else the active one): starts the Demo tenant if it is that, signs
    /// in, and from then on writes every rotated refresh token to the keychain at once (not when
    /// a refresh token was handed in from outside: its successor belongs to whoever handed it).
    pub async fn open(&self, chosen: Option<&str>) -> Result<Tenant, TenantError> {
        let name = self.profile_name(chosen)?;
        let profile = self.profiles()?.get(&name)?;
        self.open_on(&name, profile, None).await
    }

    /// Opens the two sides of a migration check: `from` read through the legacy plane, `to`
    /// through ARM. The Demo tenant may stand on either side (its simulator serves one tenant on
    /// both planes); when both name it, one simulator is started and read through both, owned
    /// (and stopped) by `from`. Close both afterwards.
    pub async fn open_migration(
        &self,
        from: &str,
        to: &str,
    ) -> Result<(Tenant, Tenant), TenantError> {
        let profiles = self.profiles()?;
        let (from_profile, to_profile) = (profiles.get(from)?, profiles.get(to)?);
        if from_profile.backend == Backend::Demo && to_profile.backend == Backend::Demo {
            let demo = self.launch(from).await?;
            let on = |plane| DemoTenant {
                plane,
                ..demo.tenant.clone()
            };
            // Both configs name `from`: the demo's secrets are kept under the name it started for.
            let from_config = SessionConfig::demo(from, &from_profile, &on(PlaneKind::Legacy));
            let to_config = SessionConfig::demo(from, &to_profile, &on(PlaneKind::Arm));
            let secrets = demo.secrets.clone();
            let from_tenant = self
                .sign_in(
                    from,
                    from_profile,
                    from_config,
                    secrets.clone(),
                    Some(demo.stop),
                )
                .await?;
            return match self.sign_in(to, to_profile, to_config, secrets, None).await {
                Ok(to_tenant) => Ok((from_tenant, to_tenant)),
                Err(err) => {
                    from_tenant.close().await;
                    Err(err)
                }
            };
        }
        let from_tenant = self
            .open_on(from, from_profile, Some(PlaneKind::Legacy))
            .await?;
        match self.open_on(to, to_profile, Some(PlaneKind::Arm)).await {
            Ok(to_tenant) => Ok((from_tenant, to_tenant)),
            Err(err) => {
                from_tenant.close().await;
                Err(err)
            }
        }
    }

    /// [`TenantHost::open_migration`], the comparison of both planes item by item, and closing
    /// both whether the comparison worked or not.
    pub async fn migration_check(
        &self,
        from: &str,
        to: &str,
    ) -> Result<MigrationReport, TenantError> {
        let (from_tenant, to_tenant) = self.open_migration(from, to).await?;
        let report = migrate::check(from_tenant.session.plane(), to_tenant.session.plane()).await;
        to_tenant.close().await;
        from_tenant.close().await;
        Ok(report?)
    }

    /// Saves `arm` (made from the legacy profile `from`) as profile `name`, active with
    /// `activate`, and copies `from`'s service-principal secret and IoT Hub connection string to
    /// it in the keychain. Person sign-ins are not copied: ARM needs its own. A secret that
    /// cannot be read or stored does not undo the profile: it is a warning in the answer.
    pub fn save_migrated_profile(
        &self,
        from: &str,
        name: &str,
        arm: Profile,
        activate: bool,
    ) -> Result<MigratedSecrets, TenantError> {
        self.save_profile(name, arm)?;
        if activate {
            self.activate(name)?;
        }
        let mut answer = MigratedSecrets::default();
        for kind in [SecretKind::ClientSecret, SecretKind::IotHubConnectionString] {
            let copy = self
                .keychain
                .retrieve(&SecretKey::new(from, kind))
                .map_err(|e| format!("could not be read from `{from}` in the OS keychain: {e}"))
                .and_then(|found| match found {
                    Some(value) => self
                        .keychain
                        .persist(&SecretKey::new(name, kind), &value)
                        .map(|()| true)
                        .map_err(|e| format!("could not be stored for `{name}`: {e}")),
                    None => Ok(false),
                });
            match copy {
                Ok(true) => answer.copied.push(kind),
                Ok(false) => {}
                Err(why) => {
                    answer.not_copied.push(kind);
                    answer.warnings.push(format!("the {} {why}", kind.as_str()));
                }
            }
        }
        Ok(answer)
    }

    async fn launch(&self, name: &str) -> Result<RunningDemo, TenantError> {
        self.demo.launch(name).await.map_err(TenantError::DemoStart)
    }

    /// Opens `name`; a Demo tenant answers on `demo_plane` when given.
    async fn open_on(
        &self,
        name: &str,
        profile: Profile,
        demo_plane: Option<PlaneKind>,
    ) -> Result<Tenant, TenantError> {
        if profile.backend == Backend::Demo {
            let mut demo = self.launch(name).await?;
            if let Some(plane) = demo_plane {
                demo.tenant.plane = plane;
            }
            let config = SessionConfig::demo(name, &profile, &demo.tenant);
            return self
                .sign_in(name, profile, config, demo.secrets, Some(demo.stop))
                .await;
        }
        let config = SessionConfig::from_profile(name, &profile)?;
        self.sign_in(name, profile, config, self.keychain.clone(), None)
            .await
    }

    /// Signs `config` in with `secrets` (the environment's winning) and keeps rotated refresh
    /// tokens in them from then on (not when a refresh token was handed in from outside: its
    /// successor belongs to whoever handed it). `stop` is the Demo tenant's, run on failure.
    async fn sign_in(
        &self,
        name: &str,
        profile: Profile,
        config: SessionConfig,
        secrets: Arc<dyn SecretStore>,
        stop: Option<BoxFuture<'static, ()>>,
    ) -> Result<Tenant, TenantError> {
        let sources = SecretSources {
            store: secrets.as_ref(),
            overrides: self.overrides.clone(),
        };
        let session = match Session::open(config, &sources).await {
            Ok(session) => session,
            Err(err) => {
                if let Some(stop) = stop {
                    stop.await;
                }
                return Err(err.into());
            }
        };
        if self.overrides.refresh_token.is_none() {
            session.keep_rotations_in(secrets.clone());
        }
        Ok(Tenant {
            group_cache: self.group_cache(),
            journal: self.journal(),
            actor: Actor {
                profile: name.to_owned(),
                backend: profile.backend,
            },
            name: name.to_owned(),
            profile,
            session,
            secrets,
            kinds: self.kinds.clone(),
            stop: tokio::sync::Mutex::new(stop),
        })
    }

    /// Every profile with its sign-in state, and the active one's name.
    pub fn profile_states(&self) -> Result<(String, Vec<ProfileState>), TenantError> {
        let profiles = self.profiles()?;
        let states = profiles
            .names()
            .into_iter()
            .filter_map(|name| {
                let profile = profiles.get(&name).ok()?;
                Some(self.state_of(&name, profile))
            })
            .collect();
        Ok((profiles.active_name(), states))
    }

    /// A profile with what the keychain holds for it. The one rule of "signed in": the Demo
    /// tenant always is; a profile is when it holds a person's refresh token, or names a service
    /// principal and holds its secret.
    pub fn state_of(&self, name: &str, profile: Profile) -> ProfileState {
        let has = |kind| {
            profile.backend != Backend::Demo
                && matches!(
                    self.keychain.retrieve(&SecretKey::new(name, kind)),
                    Ok(Some(_))
                )
        };
        let has_client_secret = has(SecretKind::ClientSecret);
        let signed_in = profile.backend == Backend::Demo
            || has(SecretKind::RefreshToken)
            || (profile.service_principal_client_id.is_some() && has_client_secret);
        ProfileState {
            name: name.to_owned(),
            signed_in,
            has_client_secret,
            has_iothub_connection_string: has(SecretKind::IotHubConnectionString),
            built_in: name == DEMO_PROFILE,
            secrets_removed: false,
            profile,
        }
    }

    /// Creates or replaces a profile's settings; answers it as stored. When a replaced profile's
    /// endpoints change, its stored secrets are removed first (`secrets_removed`), so they are
    /// never sent to the new hosts; if that fails, nothing is saved.
    pub fn save_profile(&self, name: &str, profile: Profile) -> Result<ProfileState, TenantError> {
        let name = name.trim();
        let store = self.store();
        let mut profiles = store.load()?;
        let old = profiles.profiles.get(name).cloned();
        profiles.upsert(name, profile)?;
        let saved = profiles.get(name)?;
        let secrets_removed = saved.backend != Backend::Demo
            && session::forget_secrets_if_endpoints_changed(
                name,
                old.as_ref(),
                &saved,
                self.keychain(),
            )?;
        store.save(&profiles)?;
        Ok(ProfileState {
            secrets_removed,
            ..self.state_of(name, saved)
        })
    }

    /// Makes `name` the active profile.
    pub fn activate(&self, name: &str) -> Result<(), TenantError> {
        let store = self.store();
        let mut profiles = store.load()?;
        profiles.set_active(name)?;
        store.save(&profiles)?;
        Ok(())
    }

    /// Removes a profile's settings, then its secrets in the keychain (the Demo tenant has
    /// none there). The settings are gone even when the keychain then fails: a keychain that
    /// cannot be reached must not keep a profile alive.
    pub fn remove_profile(&self, name: &str) -> Result<(), TenantError> {
        let store = self.store();
        let mut profiles = store.load()?;
        let backend = profiles.get(name)?.backend;
        profiles.remove(name)?;
        store.save(&profiles)?;
        if backend != Backend::Demo {
            session::forget_profile_secrets(name, self.keychain())?;
        }
        Ok(())
    }

    /// Stores a secret of an existing profile in the keychain. An empty value is refused: it
    /// would look like a sign-in and fail later, far from where it was typed.
    pub fn set_secret(
        &self,
        name: &str,
        kind: SecretKind,
        value: &Sensitive<String>,
    ) -> Result<(), TenantError> {
        self.profiles()?.get(name)?;
        if value.expose().trim().is_empty() {
            return Err(TenantError::EmptySecret);
        }
        Ok(self.keychain.persist(&SecretKey::new(name, kind), value)?)
    }

    /// Signs a profile in as its service principal: keeps the secret and makes it active (the
    /// caller opens it to prove the secret works).
    pub fn sign_in_service_principal(
        &self,
        name: &str,
        secret: &Sensitive<String>,
    ) -> Result<(), TenantError> {
        self.set_secret(name, SecretKind::ClientSecret, secret)?;
        self.activate(name)
    }

    /// Forgets a profile's sign-in (refresh token and client secret).
    pub fn sign_out(&self, name: &str) -> Result<(), TenantError> {
        for kind in [SecretKind::RefreshToken, SecretKind::ClientSecret] {
            self.keychain.delete(&SecretKey::new(name, kind))?;
        }
        Ok(())
    }

    /// Starts a person's device-code sign-in; show `prompt`, then [`TenantHost::finish_sign_in`].
    /// `cancel` (or [`PendingSignIn::cancel`]) stops the wait.
    pub async fn start_sign_in(
        &self,
        name: &str,
        cancel: CancellationToken,
    ) -> Result<PendingSignIn, TenantError> {
        let profile = self.profiles()?.get(name)?;
        if profile.backend == Backend::Demo {
            return Err(TenantError::DemoSignsItselfIn);
        }
        let config = SessionConfig::from_profile(name, &profile)?;
        let (identity, prompt) = session::start_device_code_sign_in(&config).await?;
        Ok(PendingSignIn {
            profile: name.to_owned(),
            prompt,
            config,
            identity,
            cancel,
        })
    }

    /// Waits until the person approved the code (or it expired, or was cancelled), then keeps
    /// the sign-in in the keychain.
    pub async fn finish_sign_in(&self, pending: &PendingSignIn) -> Result<(), TenantError> {
        session::finish_device_code_sign_in(
            &pending.config,
            &pending.identity,
            &pending.prompt,
            &pending.cancel,
            self.keychain(),
        )
        .await?;
        tracing::info!(profile = %pending.profile, "signed in with a device code");
        Ok(())
    }
}

/// What [`TenantHost::save_migrated_profile`] copied, and what it could not.
#[derive(Debug, Default)]
pub struct MigratedSecrets {
    pub copied: Vec<SecretKind>,
    /// The secrets that could not be copied, one `warnings` sentence each (its English, with
    /// the keychain's error) for a front end to say in its language.
    pub not_copied: Vec<SecretKind>,
    pub warnings: Vec<String>,
}

/// The open session of one profile: its clients, its settings (read once), its journal and who
/// writes it, and the image kinds known locally.
pub struct Tenant {
    name: String,
    profile: Profile,
    session: Session,
    /// Where its secrets are: the keychain, or the Demo tenant's own store.
    secrets: Arc<dyn SecretStore>,
    journal: Journal,
    group_cache: GroupCache,
    actor: Actor,
    kinds: Arc<Mutex<LocalKinds>>,
    stop: tokio::sync::Mutex<Option<BoxFuture<'static, ()>>>,
}

impl std::fmt::Debug for Tenant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tenant").field("name", &self.name).finish()
    }
}

impl Tenant {
    /// The profile's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The profile's settings, as read when it opened.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    pub fn is_demo(&self) -> bool {
        self.profile.backend == Backend::Demo
    }

    /// The signed-in clients.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The store this tenant's secrets are read from (the Demo tenant's are its own).
    pub fn secrets(&self) -> &dyn SecretStore {
        self.secrets.as_ref()
    }

    /// Where this session's changes are journaled, and as whom.
    pub fn recorder(&self) -> Recorder<'_> {
        Recorder {
            journal: &self.journal,
            actor: &self.actor,
        }
    }

    /// How many gateways or nodes are worked on at once.
    pub fn concurrency(&self) -> u32 {
        self.profile.concurrency.max(1)
    }

    /// What this computer knows of each image's kind (packages read or uploaded in this run).
    pub fn local_kinds(&self) -> LocalKinds {
        self.kinds.lock().map(|k| k.clone()).unwrap_or_default()
    }

    /// Who is signed in.
    pub async fn whoami(&self) -> Result<Identity, TenantError> {
        Ok(self.session.whoami().await?)
    }

    /// Ends the session: stops the Demo tenant (saving its state) if one runs. Rotated refresh
    /// tokens were kept as they rotated; nothing else needs saving.
    pub async fn close(&self) {
        if let Some(stop) = self.stop.lock().await.take() {
            stop.await;
        }
    }

    /// Step 1: every group with its policy and current deployment.
    /// Step 1: every group with its policy and current deployment. The listing also replaces
    /// the profile's cached group list (a failure to write it is logged, not returned).
    pub async fn groups(&self) -> Result<Vec<GroupView>, TenantError> {
        let views = groups::group_views(self.session.plane(), &self.local_kinds()).await?;
        let as_of = views
            .first()
            .map_or_else(OffsetDateTime::now_utc, |g| g.as_of);
        let tenant = group_cache::tenant_fingerprint(&self.profile);
        if let Err(error) = self.group_cache.save(&self.name, &tenant, as_of, &views) {
            tracing::warn!(%error, "the group list was not cached");
        }
        Ok(views)
    }

    /// Step 3: the preflight and diff of deploying `images` to `group`, before any change.
    pub async fn plan(
        &self,
        group: &DeviceGroupId,
        images: &[ImageId],
    ) -> Result<PlannedDeployment, TenantError> {
        let kinds = self.local_kinds();
        Ok(deploy::plan_deployment(self.session.plane(), group, images, &kinds).await?)
    }

    /// Step 3's "Create": the preflight again on fresh data, the deployment, journaled. With
    /// `reviewed`, a plan that changed since it was shown is refused (`conflict`).
    pub async fn deploy(
        &self,
        group: &DeviceGroupId,
        images: &[ImageId],
        reviewed: Option<&DeploymentPlan>,
    ) -> Result<CreatedDeployment, TenantError> {
        let kinds = self.local_kinds();
        let plane = self.session.plane();
        Ok(deploy::create(plane, self.recorder(), group, images, &kinds, reviewed).await?)
    }

    /// Step 4: the group's deployments, newest first.
    pub async fn history(&self, group: &DeviceGroupId) -> Result<Vec<DeploymentView>, TenantError> {
        let kinds = self.local_kinds();
        Ok(deploy::history(self.session.plane(), group, &kinds).await?)
    }

    /// Step 2: uploads each file unless the tenant holds its image, journaled, remembering the
    /// kinds read on the way. Never fails as a whole: each file has its own result.
    pub async fn upload(
        &self,
        paths: &[PathBuf],
        cancel: &CancellationToken,
        progress: &(dyn Fn(&UploadProgress) + Send + Sync),
    ) -> Vec<UploadResult> {
        let settings = UploadSettings::default();
        let plane = self.session.plane();
        let results =
            upload::upload_packages(plane, self.recorder(), paths, &settings, cancel, progress)
                .await;
        self.remember_uploads(&results);
        results
    }

    fn remember_uploads(&self, results: &[UploadResult]) {
        if let Ok(mut kinds) = self.kinds.lock() {
            kinds.extend(upload::local_kinds(results));
        }
    }

    /// The clients of steps 5 and 6, journaling into this session's journal.
    pub async fn fleet(&self) -> Result<Fleet, TenantError> {
        Ok(Fleet::from_session(&self.session, self.journal.clone(), self.actor.clone()).await?)
    }

    /// The fleet overview: gateways and nodes on target or not, per product and group (of the
    /// whole tenant, or of the group `group` names).
    pub async fn compliance(&self, group: Option<&str>) -> Result<ComplianceReport, TenantError> {
        Ok(compliance::compliance(&self.fleet().await?, group).await?)
    }

    /// [`Tenant::compliance`], telling `progress` each page and group as it is counted (the
    /// app's Fleet screen draws the figures as they grow).
    pub async fn compliance_with(
        &self,
        group: Option<&str>,
        progress: &(dyn Fn(compliance::Progress<'_>) + Sync),
    ) -> Result<ComplianceReport, TenantError> {
        Ok(compliance::compliance_with(&self.fleet().await?, group, progress).await?)
    }

    /// Step 5's table.
    pub async fn gateways(&self, group: &DeviceGroupId) -> Result<Vec<Gateway>, TenantError> {
        Ok(self.fleet().await?.gateways(group).await?)
    }

    /// The registry of this computer's runs (beside the journal): interrupted runs to resume or
    /// discard, runs in flight.
    pub fn runs(&self) -> crate::workflow::runs::Runs {
        crate::workflow::runs::Runs::beside(&self.journal)
    }

    /// The profile's rollout settings (its concurrency and restart method).
    pub fn rollout_settings(&self) -> RolloutSettings {
        RolloutSettings::for_profile(&self.profile.device_contract, self.concurrency())
    }

    /// Step 5's "Update now", prepared: refused before anything is touched when the group's
    /// update policy keeps application updates from its devices.
    pub async fn prepare_update_now(
        &self,
        group: &DeviceGroupId,
        settings: RolloutSettings,
    ) -> Result<Rollout, TenantError> {
        let rollout = Rollout::prepare(self.fleet().await?, group, settings).await?;
        match rollout.policy_block() {
            Some(reason) => Err(TenantError::PolicyBlocksUpdates(reason)),
            None => Ok(rollout),
        }
    }

    /// Step 6's matrix: the nodes behind `gateways`.
    pub async fn nodes(&self, gateways: &[DeviceId]) -> Result<Vec<NodeRow>, TenantError> {
        Ok(nodes::node_matrix(&self.fleet().await?, gateways).await?)
    }

    /// The profile's node-update settings (its concurrency).
    pub fn node_settings(&self) -> NodeUpdateSettings {
        NodeUpdateSettings {
            concurrency: self.concurrency() as usize,
            ..NodeUpdateSettings::default()
        }
    }

    /// Step 6's "Update": updates `items`, reporting each status change to `progress`.
    pub async fn update_nodes(
        &self,
        items: Vec<NodeRef>,
        settings: &NodeUpdateSettings,
        cancel: &CancellationToken,
        progress: &(dyn Fn(NodeEvent) + Send + Sync),
    ) -> Result<NodeUpdateReport, TenantError> {
        let fleet = self.fleet().await?;
        Ok(nodes::update_nodes(&fleet, items, settings, cancel, progress).await)
    }

    /// Moves `device` (as typed) into `group`, journaled under the group's `label`.
    pub async fn move_device(
        &self,
        device: &str,
        group: &DeviceGroupId,
        label: &str,
    ) -> Result<(), CloudError> {
        let moved = match DeviceId::parse(device) {
            Ok(id) => self.session.plane().move_device(&id, group).await,
            Err(err) => Err(err),
        };
        let target = Target {
            group_id: Some(group.to_string()),
            group_name: Some(label.to_owned()),
            device_id: Some(device.trim().to_owned()),
            ..Target::default()
        };
        let (result, detail) = match &moved {
            Ok(()) => (
                Outcome::Ok,
                Detail::said(
                    "moved",
                    serde_json::json!({"group": label}),
                    format!("moved into {label}"),
                ),
            ),
            Err(err) => (Outcome::Failed, Detail::error(err.kind(), err.to_string())),
        };
        self.journal
            .record_or_warn(&self.actor, Action::Move, target, result, detail);
        moved
    }

    /// Calls a direct method on `device`. The profile's restart and node-update methods change
    /// a gateway and are journaled; other methods only read or are unknown to the product.
    pub async fn invoke(
        &self,
        device: &DeviceId,
        method: &str,
        payload: &serde_json::Value,
        timeouts: MethodTimeouts,
    ) -> Result<MethodResponse, TenantError> {
        let hub = self.session.iothub().await?;
        let answer = hub.invoke_method(device, method, payload, timeouts).await;
        let contract = &self.profile.device_contract;
        let action = match method {
            m if m == contract.restart_method => Some(Action::Restart),
            m if m == contract.update_node_method => Some(Action::NodeUpdate),
            _ => None,
        };
        if let Some(action) = action {
            self.journal_invocation(action, device, method, payload, &answer);
        }
        Ok(answer?)
    }

    fn journal_invocation(
        &self,
        action: Action,
        device: &DeviceId,
        method: &str,
        payload: &serde_json::Value,
        answer: &Result<MethodResponse, CloudError>,
    ) {
        let (result, detail) = match answer {
            Ok(a) => {
                let result = if (200..300).contains(&a.status) {
                    Outcome::Ok
                } else {
                    Outcome::Failed
                };
                let detail = Detail::said(
                    "method_answered",
                    serde_json::json!({"method": method, "status": a.status}),
                    format!("{method} answered {}", a.status),
                );
                (result, detail)
            }
            Err(err) => (Outcome::Failed, Detail::error(err.kind(), err.to_string())),
        };
        let target = Target {
            device_id: Some(device.to_string()),
            mac: payload
                .get("mac")
                .and_then(|m| m.as_str())
                .map(str::to_owned),
            ..Target::default()
        };
        self.journal
            .record_or_warn(&self.actor, action, target, result, detail);
    }
}
