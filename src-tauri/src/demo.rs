//! The app's one Demo tenant: every session the core opens on it shares a single simulator.
//!
//! The wizard's session and the migration screen's check (the Demo tenant read through its
//! legacy and its ARM plane) must see the very tenant the window shows — with what was uploaded
//! and deployed in this run, and on the port `ASG_FOTA_DEMO_PORT` pins — not a second, fresh
//! copy. So the first launch starts the simulator, later launches share it, and it stops when the
//! last session using it closes (a profile switch away from the Demo tenant, or exit).

use std::sync::Arc;

use tokio::sync::Mutex;

use asg_fota_core::cloud::auth::BoxFuture;
use asg_fota_core::secrets::{SecretKey, SecretKind, SecretStore};
use asg_fota_core::session::DemoTenant;
use asg_fota_core::tenant::{DemoLauncher, RunningDemo};

/// A [`DemoLauncher`] that hands every session the same running simulator.
pub(crate) struct SharedDemo {
    inner: asg_fota_sim::demo::Launcher,
    running: Arc<Mutex<Option<Running>>>,
}

struct Running {
    tenant: DemoTenant,
    secrets: Arc<dyn SecretStore>,
    /// The profile name its secrets were stored under.
    profile: String,
    sessions: usize,
    stop: Option<BoxFuture<'static, ()>>,
}

impl SharedDemo {
    pub(crate) fn new(inner: asg_fota_sim::demo::Launcher) -> Self {
        Self {
            inner,
            running: Arc::new(Mutex::new(None)),
        }
    }
}

impl DemoLauncher for SharedDemo {
    fn launch(&self, profile: &str) -> BoxFuture<'static, Result<RunningDemo, String>> {
        let (inner, running, profile) =
            (self.inner.clone(), self.running.clone(), profile.to_owned());
        Box::pin(async move {
            let mut slot = running.lock().await;
            if slot.is_none() {
                let demo = inner.launch(&profile).await?;
                *slot = Some(Running {
                    tenant: demo.tenant,
                    secrets: demo.secrets,
                    profile: profile.clone(),
                    sessions: 0,
                    stop: Some(demo.stop),
                });
            }
            let Some(shared) = slot.as_mut() else {
                return Err("the Demo tenant did not start".to_owned());
            };
            shared.sessions += 1;
            if shared.profile != profile {
                // Another name for the same tenant: its made-up secrets under that name too.
                for kind in [SecretKind::ClientSecret, SecretKind::IotHubConnectionString] {
                    let from = SecretKey::new(&shared.profile, kind);
                    if let Ok(Some(value)) = shared.secrets.retrieve(&from) {
                        let _ = shared
                            .secrets
                            .persist(&SecretKey::new(&profile, kind), &value);
                    }
                }
            }
            let (tenant, secrets) = (shared.tenant.clone(), shared.secrets.clone());
            drop(slot);
            Ok(RunningDemo {
                tenant,
                secrets,
                stop: Box::pin(release(running)),
            })
        })
    }
}

/// One session let go of the simulator; the last one stops it.
async fn release(running: Arc<Mutex<Option<Running>>>) {
    let mut slot = running.lock().await;
    let last = slot.as_mut().is_some_and(|shared| {
        shared.sessions = shared.sessions.saturating_sub(1);
        shared.sessions == 0
    });
    let ended = if last { slot.take() } else { None };
    drop(slot);
    if let Some(stop) = ended.and_then(|mut shared| shared.stop.take()) {
        stop.await;
    }
}
