//! The simulator's benchmark (a measurement, not a test).
//!
//! `cargo run --release -p asg-fota-sim --example bench [-- --gateways N --seconds S --connections C]`
//!
//! Starts a simulator with a 10,000-gateway fleet on loopback, reports its resident memory, then
//! runs C (default 16) concurrent connections that walk the legacy device list in pages of 100
//! (`maxPageSize=100` + `Sphere-Continuation`) for S seconds and reports requests per second.
//! Client and server share this process and its 2-worker runtime, as on the 2-core target.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use asg_fota_sim::{SimConfig, SimTiming};

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `VmRSS` and `VmHWM` of this process in MiB (Linux).
fn memory_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map(|kib| kib / 1024.0)
            .unwrap_or(0.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn main() {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    runtime.block_on(run());
}

async fn run() {
    let gateways = arg("--gateways", 10_000) as usize;
    let seconds = arg("--seconds", 10);
    let connections = arg("--connections", 16) as usize;
    let _ = rustls::crypto::ring::default_provider().install_default();

    let (rss_before, _) = memory_mib();
    let sim = match asg_fota_sim::start(SimConfig {
        gateways,
        timing: SimTiming::fast(),
        ..SimConfig::default()
    })
    .await
    {
        Ok(sim) => sim,
        Err(e) => {
            eprintln!("the simulator did not start: {e}");
            std::process::exit(1);
        }
    };
    let (rss_fleet, _) = memory_mib();
    println!("fleet: {gateways} gateways; resident memory {rss_fleet:.1} MiB (process before start: {rss_before:.1} MiB)");

    let demo = sim.demo().clone();
    let token_url = format!(
        "{}/{}/oauth2/v2.0/token",
        sim.urls().authority,
        demo.tenant_id
    );
    let form = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}&scope=https%3A%2F%2Ffirstparty.sphere.azure.net%2Fapi%2F.default",
        demo.service_principal_client_id, demo.service_principal_secret
    );
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let token: serde_json::Value = client
        .post(&token_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .expect("token request")
        .json()
        .await
        .expect("token json");
    let token = token["access_token"]
        .as_str()
        .expect("access token")
        .to_string();
    let url = format!(
        "{}/v2/tenants/{}/devices?maxPageSize=100",
        sim.urls().legacy,
        demo.legacy_tenant_id
    );

    let served = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        // One client per task: one keep-alive connection each.
        let client = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(1)
            .build()
            .expect("client");
        let (url, token, served, failed) =
            (url.clone(), token.clone(), served.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            let mut continuation: Option<String> = None;
            while Instant::now() < deadline {
                let mut request = client.get(&url).bearer_auth(&token);
                if let Some(c) = &continuation {
                    request = request.header("Sphere-Continuation", c);
                }
                match request.send().await {
                    Ok(response) if response.status().is_success() => {
                        match response.json::<serde_json::Value>().await {
                            Ok(page) => {
                                continuation =
                                    page["ContinuationToken"].as_str().map(str::to_string);
                                served.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(_) => {
                                failed.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let n = served.load(Ordering::Relaxed);
    let (rss_after, peak) = memory_mib();
    println!(
        "{connections} connections, pages of 100 devices: {n} requests in {elapsed:.1} s = {:.0} requests/s ({} failed)",
        n as f64 / elapsed,
        failed.load(Ordering::Relaxed)
    );
    println!("resident memory after the run {rss_after:.1} MiB, peak {peak:.1} MiB (client and server in one process)");
    sim.shutdown().await;
}
