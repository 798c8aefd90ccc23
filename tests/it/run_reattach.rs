//! Step 5 survives its own page: an "update now" in flight goes on when the page reloads, the
//! reloaded page finds it (`runs_list`), shows it and follows it (`run_attach`), and its Cancel
//! stops it between two steps: no gateway is restarted after the cancel.
//!
//! "In flight" is made deterministic with the simulator's holds, not sleeps: restarted gateways
//! do not check in (`check_ins` held), so with more online gateways than the profile's
//! concurrency (8) exactly 8 are restarted and watched while the others wait for a slot. The
//! outcome is read from the simulator's own log of direct methods (`GET /_sim/calls`).
//!
//! Needs an X display and tauri-driver: `bash .ci/test` runs it under Xvfb with
//! `--include-ignored`. With `ASG_FOTA_SCREENSHOT_DIR` set it saves the reattached run and the
//! phase options (docs/user-guide.md).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::harness::{sim_get, sim_send, AppSession};
use crate::APP;
use serde_json::{json, Value};

/// The Demo tenant's default concurrency: gateways worked on at the same time.
const CONCURRENCY: usize = 8;

/// How many `RestartDevice` calls reached each of the `online` gateways (lower-case ids; an
/// offline gateway's call is answered 404 by the hub and restarts nothing).
fn restarts(port: u16, online: &[String]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for call in sim_get(port, "/_sim/calls").as_array().expect("calls") {
        let device = call["device"]
            .as_str()
            .expect("device")
            .to_ascii_lowercase();
        if call["method"] == "RestartDevice" && online.contains(&device) {
            *counts.entry(device).or_insert(0) += 1;
        }
    }
    counts
}

/// Waits until the simulator's hold status satisfies `done`.
async fn wait_for_holds(port: u16, what: &str, done: impl Fn(&Value) -> bool) {
    let started = Instant::now();
    loop {
        let status = sim_get(port, "/_sim/holds");
        if done(&status) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}: {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Whether the page shows the run as going on (its Cancel button is visible).
async fn cancel_shown(app: &AppSession) -> bool {
    app.client
        .execute(
            "const b = document.querySelector('[data-testid=update-now-cancel]');
             return !!b && !b.hidden && !b.closest('[hidden]');",
            vec![],
        )
        .await
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// Waits until the run's Cancel button is shown (`true`) or gone (`false`).
async fn wait_for_cancel(app: &AppSession, shown: bool) {
    let started = Instant::now();
    while cancel_shown(app).await != shown {
        if started.elapsed() > Duration::from_secs(240) {
            app.screenshot("failure").await;
            panic!(
                "timed out waiting for the run's Cancel to be {}",
                if shown { "shown" } else { "gone" }
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Starts the app on a Demo tenant of 120 gateways, chooses a group whose policy takes updates
/// and that has more online gateways than the concurrency, and opens step 5 on it. Returns the
/// session, the simulator's port, the group's online gateways (lower-case ids) and how many
/// gateways it holds.
async fn step5_on_a_big_group() -> (AppSession, u16, Vec<String>, usize) {
    let (app, port) =
        AppSession::start_demo(APP, &[("ASG_FOTA_DEMO_GATEWAYS", "120".to_owned())]).await;

    // A group whose policy takes updates, with more online gateways than the concurrency.
    let state = sim_get(port, "/_sim/state");
    let devices = state["devices"].as_array().expect("devices");
    let online_of = |group: &Value| -> Vec<String> {
        devices
            .iter()
            .filter(|d| d["group_id"] == group["id"] && d["gateway"]["connected"] == true)
            .filter_map(|d| d["id"].as_str().map(str::to_ascii_lowercase))
            .collect()
    };
    let group = state["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter(|g| g["update_policy"] == "UpdateAll")
        .find(|g| online_of(g).len() > CONCURRENCY + 1)
        .expect("a group with more online gateways than the concurrency")
        .clone();
    let online = online_of(&group);
    let size = devices
        .iter()
        .filter(|d| d["group_id"] == group["id"])
        .count();
    let product = state["products"]
        .as_array()
        .expect("products")
        .iter()
        .find(|p| p["id"] == group["product_id"])
        .and_then(|p| p["name"].as_str())
        .expect("the group's product")
        .to_owned();
    app.choose_group(&product, group["name"].as_str().expect("name"))
        .await;
    app.click("[data-testid=step-link-5]").await;
    app.wait_for("[data-testid=gateway-row]").await;
    (app, port, online, size)
}

#[tokio::test]
#[ignore = "needs a display and tauri-driver: run by `bash .ci/test`"]
async fn a_reloaded_page_reattaches_to_the_update_in_flight_and_its_cancel_stops_it() {
    let (app, port, online, _) = step5_on_a_big_group().await;
    // Every gateway of the group, with the phase options shown (not used).
    app.click("[data-testid=run-options]").await;
    app.screenshot("step5-options-en").await;
    app.click("[data-testid=run-options]").await;
    sim_send(port, "PUT", "/_sim/holds", Some(&json!(["check_ins"])));
    app.click("[data-testid=select-all]").await;
    app.click("[data-testid=update-now]").await;
    app.click("[data-testid=confirm-ok]").await;
    wait_for_holds(port, "8 restarted gateways held offline", |s| {
        s["waiting"]["check_ins"].as_u64() == Some(CONCURRENCY as u64)
    })
    .await;
    let before_reload = restarts(port, &online);
    assert_eq!(
        before_reload.values().sum::<usize>(),
        CONCURRENCY,
        "one restart per gateway in a slot: {before_reload:?}"
    );

    // The page reloads; the run goes on in the shell and the new page reattaches to it.
    app.client.refresh().await.expect("reload the page");
    app.wait_for("[data-testid=gateway-row]").await;
    wait_for_cancel(&app, true).await;
    app.wait_for("[data-testid=gateway-row] [data-testid=device-status][data-status=restarting]")
        .await;
    let restarting = app
        .client
        .execute(
            "return document.querySelectorAll('[data-testid=device-status][data-status=restarting]').length",
            vec![],
        )
        .await
        .expect("count restarting rows");
    assert!(
        restarting.as_u64().is_some_and(|n| n > 0),
        "the reattached run shows its restarting gateways"
    );
    app.screenshot("step5-reattached-en").await;

    // Cancel: the run stops between two steps and the page sees its end.
    app.click("[data-testid=update-now-cancel]").await;
    wait_for_cancel(&app, false).await;
    let at_cancel = restarts(port, &online);
    // Whatever was held is let go: a run that had not stopped would now restart the gateways
    // waiting for a slot.
    sim_send(port, "PUT", "/_sim/holds", Some(&json!([])));
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = restarts(port, &online);
    assert_eq!(after, at_cancel, "no restart after the cancel");
    assert_eq!(
        after, before_reload,
        "nothing restarted between the reload and the cancel"
    );
    let never: Vec<&String> = online
        .iter()
        .filter(|id| !after.contains_key(*id))
        .collect();
    assert_eq!(
        never.len(),
        online.len() - CONCURRENCY,
        "the gateways waiting for a slot were never restarted"
    );
    let summary = app
        .wait_for("[data-testid=run-summary]")
        .await
        .text()
        .await
        .expect("summary");
    assert!(!summary.is_empty());
    app.close().await;
}

/// Whether the question between two phases is shown.
async fn phase_shown(app: &AppSession) -> bool {
    app.client
        .execute(
            "const p = document.querySelector('[data-testid=phase-prompt]');
             return !!p && !p.hidden && !p.closest('[hidden]');",
            vec![],
        )
        .await
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// Waits until the question between two phases is shown (a phase of ten gateways on the fast
/// Demo tenant takes a few 5 s watch polls: longer than the harness's usual wait).
async fn wait_for_phase(app: &AppSession) {
    let started = Instant::now();
    while !phase_shown(app).await {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "timed out waiting for the question between two phases"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
#[ignore = "needs a display and tauri-driver: run by `bash .ci/test`"]
async fn a_phased_run_stopped_after_its_canaries_is_resumed_without_restarting_them_again() {
    let (app, port, online, size) = step5_on_a_big_group().await;
    app.click("[data-testid=run-options]").await;
    for (field, value) in [
        ("opt-canary", "2"),
        ("opt-batch", "10"),
        ("opt-max-failed", "100%"),
        ("opt-window-from", "00:00"),
        ("opt-window-to", "23:59"),
    ] {
        app.type_into(&format!("[data-testid={field}]"), value)
            .await;
    }
    app.click("[data-testid=select-all]").await;
    app.click("[data-testid=update-now]").await;
    app.click("[data-testid=confirm-ok]").await;

    // After the canaries the step asks; the window's countdown is shown. Stop here.
    wait_for_phase(&app).await;
    app.wait_for("[data-testid=run-window]:not([hidden])").await;
    app.screenshot("step5-phase-en").await;
    let canaries = restarts(port, &online);
    assert!(
        canaries.len() <= 2,
        "only the canaries were restarted before the question: {canaries:?}"
    );
    app.click("[data-testid=phase-stop]").await;
    wait_for_cancel(&app, false).await;
    app.wait_for("[data-testid=run-ending]:not([hidden])").await;

    // The stopped run is listed as interrupted; Resume takes it up through the core.
    app.wait_for("[data-testid=interrupted-run] [data-testid=run-resume]")
        .await;
    app.screenshot("step5-interrupted-en").await;
    app.click("[data-testid=interrupted-run] [data-testid=run-resume]")
        .await;
    app.click("[data-testid=confirm-ok]").await;
    // Every later phase is continued until the run ends.
    wait_for_cancel(&app, true).await;
    let started = Instant::now();
    let mut asked = 0;
    while cancel_shown(&app).await {
        if phase_shown(&app).await {
            app.click("[data-testid=phase-continue]").await;
            asked += 1;
        }
        assert!(
            started.elapsed() < Duration::from_secs(240),
            "the resumed run did not end"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A canary phase of 2, then batches of 10: asked after each phase but the last.
    let phases = 1 + (size - 2).div_ceil(10);
    assert_eq!(asked, phases - 1, "the resumed run asks between its phases");
    let after = restarts(port, &online);
    for (device, count) in &canaries {
        assert_eq!(
            after.get(device),
            Some(count),
            "a canary on target was not restarted again by the resume"
        );
    }
    assert!(
        after.values().all(|n| *n == 1),
        "one restart per online gateway over the two attempts: {after:?}"
    );
    assert_eq!(
        after.len(),
        online.len(),
        "every online gateway was restarted once"
    );
    app.close().await;
}
