//! The Fleet screen and the migration screen in the real app window, on the Demo tenant (issue
//! 14). After a partial rollout made on the app's own simulator (the shared scenario of
//! `asg_fota_testkit::scenario`: two gateways updated, one offline, one failed) the Fleet
//! screen shows, once it has counted, for every group, the figures the simulator's state gives;
//! a group's figure drills down to exactly its gateways, and step 5 opens with them selected. A
//! fleet-level figure spanning several groups offers each of them with its count, and the
//! group chosen opens in step 5 with exactly its gateways of that figure selected. Then the
//! simulator's ARM plane is made to differ (a group renamed, an image hidden, a device moved)
//! and the migration screen lists exactly those three differences.
//!
//! Needs an X display and tauri-driver: `bash .ci/test` runs it under Xvfb. With
//! `ASG_FOTA_SCREENSHOT_DIR` set it saves the screenshots of docs/user-guide.md.

use std::collections::{BTreeMap, BTreeSet};

use crate::harness::AppSession;
use crate::APP;
use asg_fota_testkit::scenario::{self, expected_from_sim, figure_from_sim, id_where, snapshot};
use fantoccini::Locator;
use serde_json::json;

/// Per group name, the figures the window shows: gateways then nodes, as in the oracle.
async fn figures_in_window(app: &AppSession) -> BTreeMap<String, (Vec<usize>, Vec<usize>)> {
    let value = app
        .client
        .execute(
            "const out = {};
             for (const tr of document.querySelectorAll('[data-testid=fleet-row][data-level=group]')) {
               const n = (key) => Number(tr.querySelector(`[data-figure='${key}']`).dataset.count);
               out[tr.dataset.group] = [
                 ['onTarget', 'pending', 'failed', 'offline', 'unknown'].map((k) => n('gateways.' + k)),
                 ['outdated', 'upToDate', 'updating'].map((k) => n('nodes.' + k)),
               ];
             }
             return out;",
            vec![],
        )
        .await
        .expect("read the figures");
    serde_json::from_value(value).expect("figures")
}

/// The figures once the report is counted completely (they grow while it is counted).
const COUNTED: &str = "[data-testid=fleet-figures][data-counting=false]";

/// The gateways selected in step 5, once step 1 holds `group` and step 5 shows its rows.
async fn selected_in_step5(app: &AppSession, group: &str) -> BTreeSet<String> {
    app.wait_text("[data-testid=step-link-1] .step-note", |t| t == group)
        .await;
    app.wait_for("[data-testid=gateway-row].is-selected").await;
    texts(
        app,
        "[data-testid=gateway-row].is-selected",
        "data-device-id",
    )
    .await
    .into_iter()
    .map(|id| id.to_lowercase())
    .collect()
}

async fn texts(app: &AppSession, css: &str, attr: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in app
        .client
        .find_all(Locator::Css(css))
        .await
        .unwrap_or_default()
    {
        if let Ok(Some(v)) = e.attr(attr).await {
            out.push(v);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a display and tauri-driver: run by `bash .ci/test`"]
async fn the_fleet_screen_shows_the_simulators_figures_and_the_migration_screen_its_differences() {
    let (app, port) = AppSession::start_demo(APP, &[]).await;

    // The partial rollout, through the product's own clients, on the app's simulator.
    let work = tempfile::tempdir().expect("temp dir");
    let config = asg_fota_sim::SimConfig {
        port,
        timing: asg_fota_sim::SimTiming::fast(),
        ..asg_fota_sim::SimConfig::default()
    };
    let tenant = scenario::open_attached(port, config, work.path()).await;
    let rollout = scenario::partial_rollout(&tenant, port, work.path()).await;
    tenant.close().await;

    // The Fleet screen: every group's figures equal what the simulator's state gives.
    app.click("[data-testid=fleet-link]").await;
    app.wait_for(COUNTED).await;
    let expected = expected_from_sim(&snapshot(port));
    let shown = figures_in_window(&app).await;
    assert_eq!(shown, expected);
    assert_eq!(expected["Field Test"].0[0], 2, "two on target");
    assert_eq!(expected["Frozen"].0[2], 1, "one failed");
    assert!(expected["Field Test"].0[3] >= 1, "one offline");
    // Every figure says as of when and from where.
    let titled = texts(&app, "[data-testid=fleet-figure]:not([disabled])", "title").await;
    assert!(
        !titled.is_empty() && titled.iter().all(|t| !t.is_empty()),
        "{titled:?}"
    );
    app.screenshot("fleet-en").await;

    // Drill-down: Field Test's "on target" lists exactly the two updated gateways…
    app.click("[data-testid=fleet-row][data-group='Field Test'] [data-figure='gateways.onTarget']")
        .await;
    app.wait_for("[data-testid=fleet-drill-row]").await;
    let drilled: BTreeSet<String> = texts(&app, "[data-testid=fleet-drill-row]", "data-device")
        .await
        .into_iter()
        .collect();
    let updated: BTreeSet<String> = rollout.updated.iter().map(|d| d.to_lowercase()).collect();
    assert_eq!(drilled, updated);
    app.screenshot("fleet-drill-en").await;

    // … and step 5 opens on Field Test with exactly those gateways selected.
    app.click("[data-testid=fleet-to-step5]").await;
    assert_eq!(selected_in_step5(&app, "Field Test").await, updated);
    let field_id = id_where(&snapshot(port), "groups", "name", "Field Test");

    // A figure of the whole fleet spanning several groups: "pending" (Field Test's gateways
    // not restarted, Frozen's but the failed one). The drill-down lists them all with their
    // group; the hand-off offers each group with its count, and the group chosen opens in step 5
    // with exactly its pending gateways selected.
    let pending = figure_from_sim(&snapshot(port), 1);
    assert!(
        pending.len() >= 2 && pending.contains_key("Frozen"),
        "{pending:?}"
    );
    app.click("[data-testid=fleet-link]").await;
    app.click("[data-testid=fleet-row][data-level=fleet] [data-figure='gateways.pending']")
        .await;
    app.wait_for("[data-testid=fleet-handoff-group] option")
        .await;
    let drilled: BTreeSet<String> = texts(&app, "[data-testid=fleet-drill-row]", "data-device")
        .await
        .into_iter()
        .collect();
    let all_pending: BTreeSet<String> = pending.values().flatten().cloned().collect();
    // The windowed table builds the rows in view; those it built are pending ones.
    assert!(
        !drilled.is_empty() && drilled.is_subset(&all_pending),
        "{drilled:?}"
    );
    let offered = app
        .client
        .execute(
            "return Object.fromEntries([...document.querySelectorAll('[data-testid=fleet-handoff-group] option')]
               .map((o) => [o.dataset.group, Number(o.dataset.count)]));",
            vec![],
        )
        .await
        .expect("the groups offered");
    let expected_offer: BTreeMap<String, usize> = pending
        .iter()
        .map(|(g, ids)| (g.clone(), ids.len()))
        .collect();
    assert_eq!(
        serde_json::from_value::<BTreeMap<String, usize>>(offered).expect("offer"),
        expected_offer
    );
    app.client
        .execute(
            "const s = document.querySelector('[data-testid=fleet-handoff-group]');
             s.value = [...s.options].find((o) => o.dataset.group === 'Frozen').value;
             s.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![],
        )
        .await
        .expect("choose Frozen");
    app.wait_text("[data-testid=fleet-to-step5]", |t| {
        t.contains(&pending["Frozen"].len().to_string())
    })
    .await;
    // Two painted frames, so the screenshot shows the choice (WebKit may not have painted yet).
    app.client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             requestAnimationFrame(() => requestAnimationFrame(() => done(null)));",
            vec![],
        )
        .await
        .expect("a painted frame");
    app.screenshot("fleet-handoff-en").await;
    app.click("[data-testid=fleet-to-step5]").await;
    assert_eq!(selected_in_step5(&app, "Frozen").await, pending["Frozen"]);

    // The migration screen: the ARM plane renamed a group, hid the spare image and moved a
    // device; the Demo tenant read through its legacy plane (from) and its ARM plane (to).
    let snap = snapshot(port);
    let moved = snap["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .find(|d| d["group_id"].as_str() == Some(&id_where(&snap, "groups", "name", "Development")))
        .and_then(|d| d["id"].as_str())
        .expect("a Development device")
        .to_owned();
    let plan = json!({"arm": {
        "rename_groups": {id_where(&snap, "groups", "name", "Production"): "Production EU"},
        "hide_images": [rollout.spare_image],
        "move_devices": {moved.clone(): field_id},
    }});
    let (status, body) = scenario::control(port, "PUT", "/_sim/divergence", Some(&plan));
    assert!((200..300).contains(&status), "divergence: {status} {body}");
    app.click("[data-testid=profile-button]").await;
    app.click("[data-testid=profile-migration]").await;
    app.click("[data-testid=migration-run]").await;
    app.wait_for("[data-testid=migration-item]").await;
    let kinds = texts(&app, "[data-testid=migration-item]", "data-kind").await;
    let statuses = texts(&app, "[data-testid=migration-item]", "data-status").await;
    let keys = texts(&app, "[data-testid=migration-item]", "data-key").await;
    let mut found: Vec<(String, String, String)> = kinds
        .into_iter()
        .zip(statuses)
        .zip(keys)
        .map(|((k, s), key)| (k, s, key.to_lowercase()))
        .collect();
    found.sort();
    let rows: Vec<(&str, &str)> = found
        .iter()
        .map(|(k, s, _)| (k.as_str(), s.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("device", "differs"),
            ("device_group", "differs"),
            ("image", "missing_on_to")
        ],
        "{found:#?}"
    );
    assert_eq!(found[0].2, moved.to_lowercase());
    assert_eq!(found[2].2, rollout.spare_image.to_lowercase());
    app.screenshot("migration-en").await;

    // The same screens in Korean, for the user guide.
    app.click("[data-testid=migration-close]").await;
    app.click("[data-testid=lang-switch] [data-lang=ko]").await;
    app.click("[data-testid=fleet-link]").await;
    app.wait_for(COUNTED).await;
    app.screenshot("fleet-ko").await;
    // The drill-down chosen in English is still open (the choice is kept): show it.
    app.wait_for("[data-testid=fleet-drill-row]").await;
    app.client
        .execute(
            "document.querySelector('[data-testid=fleet-drill-row]').scrollIntoView({block: 'center'});",
            vec![],
        )
        .await
        .expect("scroll to the drill-down");
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    app.screenshot("fleet-drill-ko").await;
    app.click("[data-testid=profile-button]").await;
    app.click("[data-testid=profile-migration]").await;
    app.click("[data-testid=migration-run]").await;
    app.wait_for("[data-testid=migration-item]").await;
    app.screenshot("migration-ko").await;
    app.close().await;
}
