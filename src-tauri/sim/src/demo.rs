//! The Demo tenant as the core sees it: a running simulator described as a
//! [`asg_fota_core::session::DemoTenant`], with its made-up secrets in a memory store.
//!
//! The desktop app (Demo tenant profile) and the CLI (`--profile "Demo tenant"`) both start the
//! simulator through this one function, so they resolve the Demo tenant identically. The demo
//! secrets never touch the OS keychain: they are the simulator's own and mean nothing elsewhere.

use std::path::PathBuf;

use asg_fota_core::secrets::{MemoryStore, SecretKey, SecretKind, SecretStore};
use asg_fota_core::session::{DemoTenant, PlaneKind};

use crate::{SimConfig, SimError, SimHandle};

/// A simulator started for the Demo tenant profile, ready for `SessionConfig::demo`.
pub struct DemoRuntime {
    pub sim: SimHandle,
    pub tenant: DemoTenant,
    /// The demo service principal's secret and the demo hub's connection string, stored under
    /// `profile`'s keys.
    pub secrets: MemoryStore,
}

/// How to start the Demo tenant.
#[derive(Debug, Clone)]
pub struct DemoSettings {
    /// The profile name the secrets are stored under.
    pub profile: String,
    /// Which of the simulator's control planes the session talks to.
    pub plane: PlaneKind,
    /// Persist the tenant here so that it survives restarts (the CLI needs that between
    /// invocations); `None` keeps it in memory.
    pub state_file: Option<PathBuf>,
    /// Everything else about the simulator (port 0 = an ephemeral loopback port).
    pub sim: SimConfig,
}

/// Starts the simulator on loopback and describes it for a session.
pub async fn start_demo(settings: DemoSettings) -> Result<DemoRuntime, SimError> {
    let sim = crate::start(SimConfig {
        state_file: settings.state_file,
        ..settings.sim
    })
    .await?;
    let tenant = describe(sim.urls(), sim.demo(), settings.plane);
    let secrets = secrets_for(&settings.profile, sim.demo());
    Ok(DemoRuntime {
        sim,
        tenant,
        secrets,
    })
}

/// A simulator at `urls` with identity `id`, as the core's session sees the Demo tenant.
pub fn describe(urls: &crate::SimUrls, id: &crate::DemoIdentity, plane: PlaneKind) -> DemoTenant {
    DemoTenant {
        plane,
        legacy_api_base: urls.legacy.clone(),
        arm_api_base: urls.arm.clone(),
        authority_host: urls.authority.clone(),
        iothub_api_base: urls.iothub.clone(),
        iothub_host: id.iothub_host.clone(),
        tenant_id: id.tenant_id.clone(),
        sphere_tenant_id: id.legacy_tenant_id.clone(),
        subscription_id: id.subscription_id.clone(),
        resource_group: id.resource_group.clone(),
        catalog: id.catalog.clone(),
        service_principal_client_id: id.service_principal_client_id.clone(),
    }
}

/// The demo service principal's secret and the demo hub's connection string, stored under
/// `profile`'s keys in a memory store (never the OS keychain).
pub fn secrets_for(profile: &str, id: &crate::DemoIdentity) -> MemoryStore {
    let secrets = MemoryStore::new();
    // A memory store cannot fail; the results are checked all the same rather than unwrapped.
    let stored = secrets
        .persist(
            &SecretKey::new(profile, SecretKind::ClientSecret),
            &id.service_principal_secret.as_str().into(),
        )
        .and_then(|()| {
            secrets.persist(
                &SecretKey::new(profile, SecretKind::IotHubConnectionString),
                &id.iothub_connection_string.as_str().into(),
            )
        });
    if let Err(error) = stored {
        tracing::error!(%error, "the demo secrets could not be kept in memory");
    }
    secrets
}

/// The Demo tenant as the core's [`asg_fota_core::tenant::TenantHost`] starts it: the app keeps
/// it in memory on an ephemeral port, the CLI keeps its state in a file between invocations.
#[derive(Debug, Clone)]
pub struct Launcher {
    /// Persist the tenant here (`None`: in memory).
    pub state_file: Option<PathBuf>,
    /// The simulator's settings.
    pub sim: SimConfig,
}

impl asg_fota_core::tenant::DemoLauncher for Launcher {
    fn launch(
        &self,
        profile: &str,
    ) -> asg_fota_core::cloud::auth::BoxFuture<
        'static,
        Result<asg_fota_core::tenant::RunningDemo, String>,
    > {
        let settings = DemoSettings {
            profile: profile.to_owned(),
            plane: PlaneKind::Arm,
            state_file: self.state_file.clone(),
            sim: self.sim.clone(),
        };
        Box::pin(async move {
            if let Some(dir) = settings.state_file.as_ref().and_then(|f| f.parent()) {
                std::fs::create_dir_all(dir).map_err(|error| {
                    format!(
                        "cannot create the data directory {}: {error}",
                        dir.display()
                    )
                })?;
            }
            let demo = start_demo(settings)
                .await
                .map_err(|error| error.to_string())?;
            tracing::info!(base = %demo.sim.urls().base, "Demo tenant started on loopback");
            let sim = demo.sim;
            Ok(asg_fota_core::tenant::RunningDemo {
                tenant: demo.tenant,
                secrets: std::sync::Arc::new(demo.secrets),
                stop: Box::pin(async move { sim.shutdown().await }),
            })
        })
    }
}
