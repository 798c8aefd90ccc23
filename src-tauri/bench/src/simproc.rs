//! The simulated tenant in a child process: the `sim` role that serves it, and [`SimProcess`], the
//! parent's handle (spawn, URLs and identities, the control API: faults, state, connections).
//!
//! A child of its own keeps the server's memory and CPU accounting apart from the client's, and a
//! fresh child per run gives every upload an empty tenant (an image id can be stored only once).

use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use asg_fota_sim::{DemoIdentity, SimConfig, SimTiming, SimUrls};
use serde::{Deserialize, Serialize};

/// The child's start settings.
#[derive(clap::Args, Debug, Clone)]
pub struct SimArgs {
    #[arg(long, default_value_t = 24)]
    pub gateways: usize,
    /// Each of an operation's two phases (NotStarted → InProgress → done), in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub operation_ms: u64,
    /// From a restart's answer to the gateway going offline, in milliseconds.
    #[arg(long, default_value_t = 10)]
    pub restart_ms: u64,
    /// How long a rebooting gateway stays offline, in milliseconds.
    #[arg(long, default_value_t = 60)]
    pub reboot_ms: u64,
}

/// What the child prints once it listens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimInfo {
    pub legacy: String,
    pub arm: String,
    pub authority: String,
    pub iothub: String,
    pub control: String,
    pub demo: DemoInfo,
}

/// The demo identities the benchmarks use (a subset of [`DemoIdentity`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoInfo {
    pub tenant_id: String,
    pub legacy_tenant_id: String,
    pub subscription_id: String,
    pub resource_group: String,
    pub catalog: String,
    pub service_principal_client_id: String,
    pub service_principal_secret: String,
    pub iothub_connection_string: String,
}

impl SimInfo {
    fn new(urls: &SimUrls, demo: &DemoIdentity) -> SimInfo {
        SimInfo {
            legacy: urls.legacy.clone(),
            arm: urls.arm.clone(),
            authority: urls.authority.clone(),
            iothub: urls.iothub.clone(),
            control: urls.control.clone(),
            demo: DemoInfo {
                tenant_id: demo.tenant_id.clone(),
                legacy_tenant_id: demo.legacy_tenant_id.clone(),
                subscription_id: demo.subscription_id.clone(),
                resource_group: demo.resource_group.clone(),
                catalog: demo.catalog.clone(),
                service_principal_client_id: demo.service_principal_client_id.clone(),
                service_principal_secret: demo.service_principal_secret.clone(),
                iothub_connection_string: demo.iothub_connection_string.clone(),
            },
        }
    }
}

/// The `sim` role: serve until standard input closes (the parent died or dropped its handle).
pub async fn serve(args: SimArgs) -> anyhow::Result<()> {
    let op = Duration::from_millis(args.operation_ms);
    let sim = asg_fota_sim::start(SimConfig {
        gateways: args.gateways,
        timing: SimTiming {
            operation_start: op,
            operation_run: op,
            restart_delay: Duration::from_millis(args.restart_ms),
            reboot_offline: Duration::from_millis(args.reboot_ms),
            token_lifetime: Duration::from_secs(3600),
            ..SimTiming::fast()
        },
        ..SimConfig::default()
    })
    .await
    .map_err(|e| anyhow!("the simulator did not start: {e}"))?;
    println!(
        "{}",
        serde_json::to_string(&SimInfo::new(sim.urls(), sim.demo()))?
    );
    // Blocking reads on a thread of their own: the runtime keeps serving meanwhile.
    let (closed, wait) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut sink = [0u8; 64];
        let mut stdin = std::io::stdin();
        while stdin.read(&mut sink).unwrap_or(0) > 0 {}
        let _ = closed.send(());
    });
    let _ = wait.await;
    sim.shutdown().await;
    Ok(())
}

/// A running `sim` child. Dropping it kills it and waits for it.
pub struct SimProcess {
    child: Child,
    pub info: SimInfo,
    http: reqwest::Client,
}

impl SimProcess {
    pub async fn spawn(args: &SimArgs) -> anyhow::Result<SimProcess> {
        let exe = std::env::current_exe().context("where this benchmark binary is")?;
        let mut child = Command::new(exe)
            .arg("sim")
            .args(["--gateways", &args.gateways.to_string()])
            .args(["--operation-ms", &args.operation_ms.to_string()])
            .args(["--restart-ms", &args.restart_ms.to_string()])
            .args(["--reboot-ms", &args.reboot_ms.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the simulator child")?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow!("the simulator child has no stdout"))?;
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        })
        .await?
        .context("reading the simulator's URLs")?;
        let info: SimInfo = serde_json::from_str(line.trim())
            .with_context(|| format!("the simulator printed {line:?}"))?;
        let http = reqwest::Client::builder().no_proxy().build()?;
        Ok(SimProcess { child, info, http })
    }

    /// Replaces the fault plan.
    pub async fn set_faults(&self, plan: serde_json::Value) -> anyhow::Result<()> {
        let resp = self
            .http
            .put(format!("{}/faults", self.info.control))
            .json(&plan)
            .send()
            .await?;
        if !resp.status().is_success() {
            bail!(
                "the simulator refused the fault plan: {} {}",
                resp.status(),
                resp.text().await.unwrap_or_default()
            );
        }
        Ok(())
    }

    /// The simulator's whole state (`GET /_sim/state`).
    pub async fn state(&self) -> anyhow::Result<serde_json::Value> {
        Ok(self
            .http
            .get(format!("{}/state", self.info.control))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }

    /// Connects a gateway (or holds it offline).
    pub async fn set_connected(&self, device: &str, connected: bool) -> anyhow::Result<()> {
        self.http
            .post(format!("{}/devices/{device}/connection", self.info.control))
            .json(&serde_json::json!({ "connected": connected }))
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }

    /// An access token of the demo service principal for `scope`, as `curl` would send it.
    pub async fn token(&self, scope: &str) -> anyhow::Result<String> {
        let demo = &self.info.demo;
        let answer: serde_json::Value = self
            .http
            .post(format!(
                "{}/{}/oauth2/v2.0/token",
                self.info.authority, demo.tenant_id
            ))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("grant_type", "client_credentials")
                    .append_pair("client_id", &demo.service_principal_client_id)
                    .append_pair("client_secret", &demo.service_principal_secret)
                    .append_pair("scope", scope)
                    .finish(),
            )
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        answer["access_token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("the token answer has no access_token"))
    }

    /// The legacy uuid of the simulator's group `name`.
    pub async fn group_id(&self, name: &str) -> anyhow::Result<String> {
        let state = self.state().await?;
        state["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|g| g["name"] == name)
            .and_then(|g| g["id"].as_str())
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("the simulator has no group {name}"))
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs this binary in a child `role` and parses the one JSON line it prints.
pub async fn run_child<T: serde::de::DeserializeOwned>(args: Vec<String>) -> anyhow::Result<T> {
    let exe = std::env::current_exe()?;
    let role = args.first().cloned().unwrap_or_default();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(exe)
            .args(&args)
            .stderr(Stdio::inherit())
            .output()
    })
    .await??;
    if !output.status.success() {
        bail!("the {role} child failed ({})", output.status);
    }
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(text.trim()).with_context(|| format!("the {role} child printed {text:?}"))
}
