//! Listing: the 10,000 gateways of one group in pages of 100 through `ControlPlane::devices`, on
//! both planes, with 20 ms of injected latency on every page (a fault-plan `latency` rule on the
//! device list path only), against the sum of the page latencies (100 × 20 ms = 2.0 s; on ARM
//! the pages the service really serves, counted by the raw walk below).
//!
//! Beside the client, a raw walk of the same pages (reqwest, each page parsed into a generic JSON
//! value, nothing else) shows what the simulator and HTTP alone cost on this machine, so an excess
//! over the floor can be split between the client and the server.
//!
//! The simulator deals its gateways round-robin over its five groups, so a 50,000-gateway fleet
//! puts exactly 10,000 in "Development". Every run must return 10,000 distinct device ids.

use std::collections::HashSet;
use std::time::Instant;

use anyhow::bail;

use crate::clients::{self, Plane};
use crate::report::{median, ListingFigure};
use crate::simproc::{SimArgs, SimProcess};

pub const GATEWAYS: usize = 10_000;
pub const PAGE: u32 = 100;
pub const LATENCY_MS: u64 = 20;
const GROUPS_IN_FLEET: usize = 5;

pub async fn run(runs: usize) -> anyhow::Result<Vec<ListingFigure>> {
    let sim = SimProcess::spawn(&SimArgs {
        gateways: GATEWAYS * GROUPS_IN_FLEET,
        operation_ms: 0,
        restart_ms: 10,
        reboot_ms: 60,
    })
    .await?;
    sim.set_faults(serde_json::json!({
        "rules": [
            {"service": "legacy", "method": "GET", "path": "/v2/tenants/*/devicegroups/*/devices",
             "action": {"kind": "latency", "fixed_ms": LATENCY_MS}},
            {"service": "arm", "method": "GET",
             "path": "/subscriptions/*/resourceGroups/*/providers/Microsoft.AzureSphere/catalogs/*/products/*/deviceGroups/*/devices",
             "action": {"kind": "latency", "fixed_ms": LATENCY_MS}}
        ]
    }))
    .await?;
    let mut figures = Vec::new();
    for plane_kind in Plane::BOTH {
        let plane = clients::plane(&sim.info, plane_kind, Some(PAGE))?;
        let group = clients::group(&plane, "Development").await?;
        let token = sim
            .token(match plane_kind {
                Plane::Legacy => asg_fota_core::cloud::auth::scopes::LEGACY_SERVICE_PRINCIPAL,
                Plane::Arm => asg_fota_core::cloud::auth::scopes::ARM_SERVICE_PRINCIPAL,
            })
            .await?;
        // The pages the service really serves: the simulated ARM list declares no
        // `$maxpagesize` and serves its own page size (50), so it takes 200 pages, not 100.
        let (rows, pages) = raw_walk(&sim, plane_kind, group.as_str(), &token).await?;
        if rows != GATEWAYS || pages < GATEWAYS.div_ceil(PAGE as usize) {
            bail!(
                "the raw {} walk saw {rows} devices in {pages} pages",
                plane_kind.name()
            );
        }
        let floor = pages as f64 * LATENCY_MS as f64 / 1000.0;
        let mut times = Vec::new();
        let mut raw_times = Vec::new();
        for _ in 0..runs {
            let started = Instant::now();
            let (rows, requests) = raw_walk(&sim, plane_kind, group.as_str(), &token).await?;
            raw_times.push(started.elapsed().as_secs_f64());
            if rows != GATEWAYS || requests != pages {
                bail!(
                    "the raw {} walk saw {rows} devices in {requests} pages",
                    plane_kind.name()
                );
            }
            let started = Instant::now();
            let devices = plane.devices(&group).await?;
            let seconds = started.elapsed().as_secs_f64();
            let distinct: HashSet<_> = devices.iter().map(|d| d.id.clone()).collect();
            if devices.len() != GATEWAYS || distinct.len() != GATEWAYS {
                bail!(
                    "the {} listing returned {} devices ({} distinct), not {GATEWAYS}",
                    plane_kind.name(),
                    devices.len(),
                    distinct.len()
                );
            }
            if seconds < floor {
                bail!(
                    "the {} listing took {seconds:.3} s, less than its injected latency: the fault rule did not match",
                    plane_kind.name()
                );
            }
            times.push(seconds);
        }
        let measured = median(&times);
        let raw = median(&raw_times);
        println!(
            "listing {}: {:.3} s for {pages} pages (floor {floor:.1} s), ratio {:.3}; raw HTTP walk {raw:.3} s",
            plane_kind.name(),
            measured,
            measured / floor
        );
        figures.push(ListingFigure {
            plane: plane_kind.name(),
            pages,
            seconds: measured,
            floor,
            raw,
            runs: times,
        });
    }
    Ok(figures)
}

/// Walks the group's device pages with plain reqwest: `(devices, requests)`.
async fn raw_walk(
    sim: &SimProcess,
    plane: Plane,
    group: &str,
    token: &str,
) -> anyhow::Result<(usize, usize)> {
    let http = reqwest::Client::builder().no_proxy().build()?;
    let (mut rows, mut requests) = (0, 0);
    let mut continuation: Option<String> = None;
    let mut next: Option<String> = Some(match plane {
        Plane::Legacy => format!(
            "{}/v2/tenants/{}/devicegroups/{group}/devices?maxPageSize={PAGE}",
            sim.info.legacy, sim.info.demo.legacy_tenant_id
        ),
        Plane::Arm => format!(
            "{}{group}/devices?api-version={}&$maxpagesize={PAGE}",
            sim.info.arm,
            asg_fota_core::cloud::arm::API_VERSION
        ),
    });
    while let Some(url) = next.take() {
        let mut request = http.get(&url).bearer_auth(token);
        if let Some(c) = &continuation {
            request = request.header("Sphere-Continuation", c);
        }
        let page: serde_json::Value = request.send().await?.error_for_status()?.json().await?;
        requests += 1;
        match plane {
            Plane::Legacy => {
                rows += page["Items"].as_array().map_or(0, Vec::len);
                continuation = page["ContinuationToken"].as_str().map(str::to_owned);
                if continuation.is_some() {
                    next = Some(url);
                }
            }
            Plane::Arm => {
                rows += page["value"].as_array().map_or(0, Vec::len);
                next = page["nextLink"].as_str().map(str::to_owned);
            }
        }
    }
    Ok((rows, requests))
}
