//! A measurement, not a check: how many ARM device pages per second the simulator serves.
//!
//! Run it on purpose:
//! `cargo test -p asg-fota-sim --test it arm_throughput -- --ignored --nocapture`
//! (add `--release` to measure without the debug-build response validation).

use crate::arm_support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arm_support::*;
use asg_fota_sim::{SimConfig, SimTiming};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement; run with --ignored --nocapture"]
async fn arm_device_pages_per_second() {
    let arm = Arc::new(
        Arm::start(SimConfig {
            gateways: 10_000,
            timing: SimTiming::fast(),
            ..SimConfig::default()
        })
        .await,
    );
    let url = arm.url(&format!("{}/listDevices?$maxpagesize=100", arm.c()));
    let served = Arc::new(AtomicU64::new(0));
    let run_for = Duration::from_secs(5);
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..16 {
        let arm = Arc::clone(&arm);
        let url = url.clone();
        let served = Arc::clone(&served);
        workers.push(tokio::spawn(async move {
            while started.elapsed() < run_for {
                // The raw client, without the harness's per-answer spec check: the server's own
                // check (debug builds) is part of what is measured.
                let response = arm
                    .http
                    .post(&url)
                    .bearer_auth(&arm.token)
                    .header("content-length", "0")
                    .send()
                    .await
                    .expect("answered");
                assert_eq!(response.status(), 200);
                let _ = response.bytes().await.expect("body");
                served.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for worker in workers {
        worker.await.expect("worker");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let n = served.load(Ordering::Relaxed);
    println!(
        "ARM POST listDevices, pages of 100 of 10,000 gateways, 16 connections: {n} pages in {elapsed:.1} s = {:.0} pages/s ({})",
        n as f64 / elapsed,
        if cfg!(debug_assertions) { "debug build, responses validated" } else { "release build" }
    );
}
