//! The simulated tenant: a local Azure Sphere (legacy AS3 and ARM APIs), Microsoft identity
//! platform and IoT Hub that speak the real wire formats, on one loopback port.
//!
//! Module map (each module's doc says what it owns):
//! - [`state`]: the tenant model shared by every API ([`state::Tenant`]).
//! - [`fleet`]: the seeded demo fleet and how gateways behave (restart, check-in, node updates).
//! - [`legacy`]: `/as3/v2/...`; [`arm`]: `/arm/...`; [`identity`]: `/login/...` and token checks;
//!   [`iothub`]: `/iothub/...`; [`control`]: `/_sim/...`.
//! - [`faults`]: the fault plan and the middleware applying it; [`service`]: error bodies.
//! - [`persist`]: the optional state file.
//!
//! The stable entry point is [`start`] with a [`SimConfig`]; it returns a [`SimHandle`].

pub mod arm;
pub mod control;
pub mod demo;
pub mod divergence;
pub mod faults;
pub mod fleet;
pub mod holds;
pub mod identity;
pub mod iothub;
pub mod legacy;
pub mod openapi;
pub mod package;
pub mod paging;
pub mod persist;
pub mod rng;
pub mod service;
pub mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use serde::Serialize;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use faults::FaultPlan;

use crate::faults::Faults;
use crate::identity::Identity;
use crate::state::Tenant;

/// Durations of everything time-driven. Tests use short ones ([`SimTiming::fast`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimTiming {
    /// NotStarted → InProgress.
    pub operation_start: Duration,
    /// InProgress → Complete/Failed.
    pub operation_run: Duration,
    /// From the `RestartDevice` answer to the gateway going offline.
    pub restart_delay: Duration,
    /// How long a restarting gateway stays offline before it checks in.
    pub reboot_offline: Duration,
    /// How long a node firmware update takes (progress is reported in 5 steps).
    pub node_update: Duration,
    /// A pending device code is approved by itself after this long (`None`: only through
    /// `POST /_sim/devicecode/approve`).
    pub device_code_auto_approve: Option<Duration>,
    /// The polling interval the device-code answer asks for; polling faster gives `slow_down`.
    pub device_code_interval: Duration,
    /// How long a device code stays valid.
    pub device_code_lifetime: Duration,
    /// Lifetime of issued access tokens.
    pub token_lifetime: Duration,
}

impl Default for SimTiming {
    /// Demo timings: slow enough to watch, fast enough not to bore.
    fn default() -> Self {
        SimTiming {
            operation_start: Duration::from_millis(500),
            operation_run: Duration::from_secs(2),
            restart_delay: Duration::from_secs(1),
            reboot_offline: Duration::from_secs(5),
            node_update: Duration::from_secs(10),
            device_code_auto_approve: Some(Duration::from_secs(5)),
            device_code_interval: Duration::from_secs(5),
            device_code_lifetime: Duration::from_secs(900),
            token_lifetime: Duration::from_secs(3600),
        }
    }
}

impl SimTiming {
    /// Timings for tests: everything within tens of milliseconds.
    pub fn fast() -> Self {
        SimTiming {
            operation_start: Duration::from_millis(20),
            operation_run: Duration::from_millis(40),
            restart_delay: Duration::from_millis(10),
            reboot_offline: Duration::from_millis(60),
            node_update: Duration::from_millis(100),
            device_code_auto_approve: None,
            device_code_interval: Duration::ZERO,
            device_code_lifetime: Duration::from_secs(60),
            token_lifetime: Duration::from_secs(60),
        }
    }
}

/// How to start the simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Loopback port; 0 picks a free one.
    pub port: u16,
    /// Seeds the fleet, every id and the fault decisions.
    pub seed: u64,
    /// Number of gateways in the generated fleet.
    pub gateways: usize,
    pub faults: FaultPlan,
    /// Persist the tenant here (atomically) and reload it at start when it exists.
    pub state_file: Option<PathBuf>,
    pub timing: SimTiming,
    /// The IoT Hub host name used in SAS `sr` and the connection string.
    pub iothub_host: String,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            port: 0,
            seed: 42,
            gateways: 24,
            faults: FaultPlan::default(),
            state_file: None,
            timing: SimTiming::default(),
            iothub_host: "asg-demo-hub.azure-devices.net".to_string(),
        }
    }
}

/// The base URL of every simulated service.
#[derive(Debug, Clone, Serialize)]
pub struct SimUrls {
    pub base: String,
    pub legacy: String,
    pub arm: String,
    pub authority: String,
    pub iothub: String,
    pub control: String,
}

impl SimUrls {
    /// The URLs of a simulator listening on loopback port `port` (one started by another
    /// process, such as the app's Demo tenant pinned with `ASG_FOTA_DEMO_PORT`).
    pub fn on_port(port: u16) -> Self {
        Self::new(SocketAddr::from(([127, 0, 0, 1], port)))
    }

    fn new(addr: SocketAddr) -> Self {
        let base = format!("http://{addr}");
        SimUrls {
            legacy: format!("{base}/as3"),
            arm: format!("{base}/arm"),
            authority: format!("{base}/login"),
            iothub: format!("{base}/iothub"),
            control: format!("{base}/_sim"),
            base,
        }
    }
}

/// The identities and names the demo tenant accepts (demo secrets only; never real ones).
#[derive(Debug, Clone, Serialize)]
pub struct DemoIdentity {
    /// The Entra tenant of the demo user and service principal (the authority's `{tenant}`).
    pub tenant_id: String,
    /// The Azure Sphere tenant id of the legacy API.
    pub legacy_tenant_id: String,
    pub subscription_id: String,
    pub resource_group: String,
    pub catalog: String,
    /// The legacy API's public client id (Microsoft's).
    pub legacy_client_id: String,
    /// The demo public client registration for ARM sign-in.
    pub arm_client_id: String,
    pub service_principal_client_id: String,
    pub service_principal_secret: String,
    /// `HostName=...;SharedAccessKeyName=...;SharedAccessKey=...`.
    pub iothub_connection_string: String,
    /// The hub's host name (the connection string's `HostName`, used in SAS `sr`).
    pub iothub_host: String,
    pub user_upn: String,
    pub user_name: String,
    /// The demo user's object id (`oid`).
    pub user_object_id: String,
    pub service_principal_object_id: String,
}

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error(transparent)]
    State(#[from] persist::PersistError),
}

/// Where the simulator can be made more lenient than the real services, for a test that needs
/// both answers. Strict by default.
#[derive(Debug, Default)]
pub struct Leniency {
    arm_read_only: std::sync::atomic::AtomicBool,
}

impl Leniency {
    /// Whether ARM request bodies may carry `readOnly` properties (ARM's documented "ignored")
    /// instead of being refused with 400 as a strict resource provider does.
    pub fn read_only_accepted(&self) -> bool {
        self.arm_read_only
            .load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Everything a route handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub tenant: Tenant,
    pub identity: Identity,
    pub leniency: Arc<Leniency>,
    pub config: Arc<SimConfig>,
    pub urls: Arc<SimUrls>,
    pub demo: Arc<DemoIdentity>,
    /// What the legacy and ARM planes show differently (normally nothing).
    pub divergence: divergence::Divergence,
}

/// A running simulator.
pub struct SimHandle {
    app: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    server: JoinHandle<()>,
    saver: Option<JoinHandle<()>>,
}

impl SimHandle {
    pub fn urls(&self) -> &SimUrls {
        &self.app.urls
    }

    pub fn demo(&self) -> &DemoIdentity {
        &self.app.demo
    }

    /// The whole tenant state plus the journal of calls, as JSON (`GET /_sim/state`).
    pub fn snapshot(&self) -> serde_json::Value {
        control::snapshot(&self.app)
    }

    /// Replaces the fault plan (counters restart).
    pub fn set_faults(&self, plan: FaultPlan) {
        control::apply_faults(&self.app, plan);
    }

    /// Accepts (`true`) or refuses (`false`, the default) `readOnly` properties in ARM request
    /// bodies.
    pub fn set_lenient_read_only(&self, accepted: bool) {
        self.app
            .leniency
            .arm_read_only
            .store(accepted, std::sync::atomic::Ordering::Relaxed);
    }

    /// Makes the legacy and ARM planes show the tenant differently (see [`divergence`]); an empty
    /// plan makes them agree again. Fails when the plan names what the tenant does not hold.
    pub fn set_divergence(&self, plan: divergence::DivergencePlan) -> Result<(), String> {
        self.app.divergence.set(plan, &self.app.tenant)
    }

    /// Parks `hold`'s kind of background work before its last step until [`SimHandle::release`].
    pub fn hold(&self, hold: holds::Hold) {
        self.app.tenant.holds().hold(hold);
    }

    /// Every token, signature and device code the identity platform issued or was sent.
    pub fn secrets_seen(&self) -> Vec<String> {
        self.app.identity.secrets_seen()
    }

    /// Lets held work of this kind finish.
    pub fn release(&self, hold: holds::Hold) {
        self.app.tenant.holds().release(hold);
    }

    /// The shared state, for in-process callers (tests, the ARM module's own tests).
    pub fn app(&self) -> &AppState {
        &self.app
    }

    /// Stops serving, then saves the state file (if any).
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.server).await;
        if let Some(saver) = self.saver.take() {
            saver.abort();
        }
        if let Some(path) = &self.app.config.state_file {
            if let Err(e) = persist::save(&self.app.tenant, path) {
                tracing::warn!("could not save the simulator state: {e}");
            }
        }
    }
}

/// Every route of every service, with fault injection and the journal around them.
pub fn router(state: AppState) -> Router {
    let services = Router::new()
        .nest_service(
            "/as3",
            divergence::lens(divergence::Plane::Legacy, state.clone(), legacy::router),
        )
        .nest("/login", identity::router(state.clone()))
        .nest("/iothub", iothub::router(state.clone()))
        .nest("/_sim", control::router(state.clone()))
        // ARM routes are merged here
        .nest_service(
            "/arm",
            divergence::lens(divergence::Plane::Arm, state.clone(), arm::router),
        );
    services
        .fallback(fallback)
        .layer(axum::middleware::from_fn(length_required))
        .layer(axum::middleware::from_fn_with_state(state, faults::layer))
        // Image packages can be a few megabytes; axum's default limit is 2 MB.
        .layer(axum::extract::DefaultBodyLimit::max(64 * 1024 * 1024))
}

/// A POST, PUT or PATCH that states no length (neither `Content-Length` nor chunked
/// `Transfer-Encoding`) is refused with 411, as the HTTP/1.1 front ends before Azure's services do
/// (hyper sends no length for an empty body). The control API is the simulator's own and exempt.
async fn length_required(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::Method;
    let path = request.uri().path();
    let mutating = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH
    );
    let service = service::Service::of_path(path);
    let states_length = request.headers().contains_key("content-length")
        || request.headers().contains_key("transfer-encoding");
    match service {
        Some(service) if mutating && !states_length && service != service::Service::Control => {
            service::error_for(
                service,
                axum::http::StatusCode::LENGTH_REQUIRED,
                "Length Required: the request states no Content-Length.",
                None,
            )
        }
        _ => next.run(request).await,
    }
}

/// Unknown routes answer 404 in the format of the service the prefix names.
async fn fallback(uri: axum::http::Uri) -> axum::response::Response {
    let service = service::Service::of_path(uri.path()).unwrap_or(service::Service::Control);
    service::error_for(
        service,
        axum::http::StatusCode::NOT_FOUND,
        &format!("No route for {}", uri.path()),
        None,
    )
}

/// Builds the shared state for `config` (loading the state file when it exists).
pub fn build_state(config: SimConfig, addr: SocketAddr) -> Result<AppState, SimError> {
    let faults = Faults::new(config.faults.clone(), config.seed);
    let (fleet, mut demo) = fleet::generate(&config);
    let loaded = match &config.state_file {
        Some(path) if path.exists() => Some(persist::load(path)?),
        _ => None,
    };
    let tenant_state = loaded.unwrap_or(fleet);
    // A state saved under another seed keeps its own tenant id.
    demo.legacy_tenant_id = tenant_state.info.id.to_string();
    let tenant = Tenant::new(tenant_state, config.timing.clone(), faults);
    let identity = Identity::new(&config, &demo);
    let app = AppState {
        tenant,
        identity,
        leniency: Arc::default(),
        urls: Arc::new(SimUrls::new(addr)),
        demo: Arc::new(demo),
        config: Arc::new(config),
        divergence: divergence::Divergence::default(),
    };
    control::apply_faults(&app, app.config.faults.clone());
    Ok(app)
}

/// Starts the simulator on 127.0.0.1:`config.port`.
pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
    let port = config.port;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|source| SimError::Bind { port, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| SimError::Bind { port, source })?;
    let app = build_state(config, addr)?;
    let (tx, rx) = oneshot::channel::<()>();
    let routes = router(app.clone());
    let server = tokio::spawn(async move {
        let served = axum::serve(listener, routes)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
        if let Err(e) = served {
            tracing::warn!("the simulator stopped serving: {e}");
        }
    });
    let saver = app
        .config
        .state_file
        .clone()
        .map(|path| tokio::spawn(persist::autosave(app.tenant.clone(), path)));
    Ok(SimHandle {
        app,
        shutdown: Some(tx),
        server,
        saver,
    })
}
