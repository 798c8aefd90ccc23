//! The whole FOTA flow in the real app window, on the Demo tenant: all six steps through the UI,
//! then the outcome checked in the simulator's own state (not in what the UI says).
//!
//! Needs an X display and tauri-driver: `bash .ci/test` runs it under Xvfb with
//! `--include-ignored`. With `ASG_FOTA_SCREENSHOT_DIR` set it saves a screenshot of every step
//! (English, and step 1 in Korean): that is how `docs/screenshots/` is made.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::harness::{sim_get, AppSession};
use crate::APP;
use asg_fota_testkit::builder::{app_package, manifest_json, PackageSpec, SigningKey};
use fantoccini::Locator;
use serde_json::Value;

/// Whether the simulator's gateway is online and has WIZ750SR nodes behind it.
pub(crate) fn usable(device: &Value) -> bool {
    device["gateway"]["connected"].as_bool() == Some(true)
        && device["gateway"]["nodes"]
            .as_array()
            .is_some_and(|n| !n.is_empty())
}

fn id_of(device: &Value) -> String {
    device["id"].as_str().expect("device id").to_owned()
}

#[tokio::test]
#[ignore = "needs a display and tauri-driver: run by `bash .ci/test`"]
async fn the_six_steps_update_gateways_and_nodes_on_the_demo_tenant() {
    let (app, port) = AppSession::start_demo(APP, &[]).await;

    // Step 1: the groups appear; the test chooses one whose policy takes app updates and that
    // holds online gateways with nodes, and one online gateway from another group to be moved.
    let state = sim_get(port, "/_sim/state");
    let devices = state["devices"].as_array().expect("devices");
    let (group, product) = update_group(&state);
    let group_id = group["id"].as_str().expect("group id").to_owned();
    let in_group: Vec<String> = devices
        .iter()
        .filter(|d| d["group_id"] == group["id"] && usable(d))
        .take(2)
        .map(id_of)
        .collect();
    let elsewhere = devices
        .iter()
        .find(|d| d["group_id"] != group["id"] && usable(d))
        .map(id_of)
        .expect("an online gateway in another group");
    app.screenshot("step1-en").await;
    let group_name = group["name"].as_str().expect("group name");
    app.choose_group(&product, group_name).await;

    // Step 2: a high-level and a real-time app, read locally, then uploaded ("Just upload").
    // Synthetic packages whose names carry their versions, as WIZnet's builds would (the
    // simulated gateways report what the names say; the RTApp brings node firmware 1.0.9).
    let (hl, hl_image) = package(app.dirs.path(), "ASG210_HLApp_v1.2.3", "Default");
    let (rt, rt_image) = package(
        app.dirs.path(),
        "ASG210_RTApp_v1.1.0_nodefw1.0.9",
        "RealTimeCapable",
    );
    app.set_picked_files(&[&hl, &rt]);
    app.click("[data-testid=step-link-2]").await;
    app.click("[data-testid=add-packages]").await;
    wait_read(&app, &[&hl, &rt]).await;
    app.click("[data-testid=upload-button]").await;
    wait_uploaded(&app, &[&hl, &rt]).await;
    app.screenshot("step2-upload-en").await;

    // Step 3: the preflight passes, the diff shows two added components, the deployment is
    // created after the confirmation.
    app.click("[data-testid=step-link-3]").await;
    app.wait_for(&format!(
        "[data-testid=deploy-image][data-image-id='{hl_image}']"
    ))
    .await;
    app.click("[data-testid=deploy-plan]").await;
    app.wait_for("[data-testid=diff-row]").await;
    let problems = app
        .client
        .find_all(Locator::Css("[data-testid=deploy-problem]"))
        .await
        .expect("problems");
    assert!(
        problems.is_empty(),
        "the preflight must pass for one HLApp and one RTApp"
    );
    app.screenshot("step3-en").await;
    app.click("[data-testid=deploy-create]").await;
    app.click("[data-testid=confirm-ok]").await;
    app.wait_for("[data-testid=deploy-success]").await;

    // Step 4: the new deployment is the current one.
    app.click("[data-testid=step-link-4]").await;
    app.wait_for("[data-testid=history-row][data-current='true']")
        .await;
    app.screenshot("step4-en").await;

    // Step 5: two gateways of the group and one from elsewhere (moved in), updated now.
    app.click("[data-testid=step-link-5]").await;
    app.wait_for("[data-testid=gateway-row]").await;
    // Open the "from another group" box (a <details>) as a click on its summary would.
    app.click("details.add-devices > summary").await;
    app.type_into("[data-testid=add-device-ids]", &elsewhere)
        .await;
    app.click("[data-testid=add-devices]").await;
    let chosen: Vec<String> = in_group
        .iter()
        .cloned()
        .chain([elsewhere.clone()])
        .collect();
    for id in &chosen {
        app.type_into("[data-testid=gateway-filter]", &id[..16])
            .await;
        let row = format!("[data-testid=gateway-row][data-device-id='{id}' i]");
        // "Add and select" already ticked the gateway added from elsewhere.
        let tick = app
            .wait_for(&format!("{row} [data-testid=gateway-select]"))
            .await;
        if !tick
            .prop("checked")
            .await
            .ok()
            .flatten()
            .is_some_and(|c| c == "true")
        {
            tick.click().await.expect("tick the gateway");
        }
    }
    app.type_into("[data-testid=gateway-filter]", "").await;
    app.click("[data-testid=update-now]").await;
    app.click("[data-testid=confirm-ok]").await;
    for id in &chosen {
        app.type_into("[data-testid=gateway-filter]", &id[..16])
            .await;
        let status = format!(
            "[data-testid=gateway-row][data-device-id='{id}' i] [data-testid=device-status]"
        );
        let ended = app
            .wait_attr(&status, "data-status", |s| {
                s == "on_target" || s == "failed"
            })
            .await;
        assert_eq!(
            ended, "on_target",
            "gateway {id} must reach the deployed versions"
        );
    }
    app.type_into("[data-testid=gateway-filter]", "").await;
    app.screenshot("step5-en").await;

    // Step 6: the installed RTApp carries newer node firmware: update every outdated node.
    app.click("[data-testid=step-link-6]").await;
    app.wait_for("[data-testid=node-row]").await;
    app.click("[data-testid=update-all-outdated]").await;
    app.click("[data-testid=confirm-ok]").await;
    let after = wait_for_nodes(port, &chosen).await;
    app.screenshot("step6-en").await;

    // Activity (the journal in the app) shows what this flow changed, in English, and Help its
    // About: the user guide's light-theme pictures of both.
    app.click("[data-testid=activity-button]").await;
    app.wait_for("[data-testid=activity-row]").await;
    let actions = app
        .client
        .execute(
            "return [...document.querySelectorAll('[data-testid=activity-row]')]\
             .map(r => r.cells[2].textContent + '/' + r.className);",
            vec![],
        )
        .await
        .expect("activity rows");
    let actions: Vec<String> = serde_json::from_value(actions).expect("row texts");
    for kind in ["Upload", "Deployment", "Restart", "Node update"] {
        assert!(
            actions.iter().any(|a| a.starts_with(&format!("{kind}/"))),
            "Activity lists no {kind}: {actions:?}"
        );
    }
    let restarts_ok = actions
        .iter()
        .filter(|a| a.starts_with("Restart/") && a.contains("result-ok"))
        .count();
    assert!(
        restarts_ok >= chosen.len(),
        "one restart per chosen gateway in Activity: {actions:?}"
    );
    app.screenshot("activity-en").await;
    app.click("[data-testid=activity-close]").await;
    app.click("[data-testid=help-button]").await;
    app.wait_for("[data-testid=help-dialog]").await;
    app.wait_text("[data-testid=about-version]", |v| {
        !v.trim().is_empty() && v.trim() != "—"
    })
    .await;
    app.screenshot("help-en").await;
    app.click("[data-testid=help-close]").await;

    // The outcome, read from the simulator itself.
    let group_now = after["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["id"] == group_id.as_str())
        .cloned();
    let current = group_now
        .and_then(|g| g["current_deployment"].as_str().map(str::to_owned))
        .expect("current deployment");
    let deployment = after["deployments"]
        .as_array()
        .expect("deployments")
        .iter()
        .find(|d| d["id"] == current.as_str())
        .cloned()
        .expect("the current deployment");
    let images: BTreeSet<&str> = deployment["images"]
        .as_array()
        .expect("images")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        images,
        BTreeSet::from([hl_image.as_str(), rt_image.as_str()]),
        "the deployment holds exactly the chosen images"
    );
    for id in &chosen {
        let device = after["devices"]
            .as_array()
            .expect("devices")
            .iter()
            .find(|d| d["id"].as_str().is_some_and(|x| x.eq_ignore_ascii_case(id)))
            .expect("chosen device");
        assert_eq!(
            device["group_id"],
            group_id.as_str(),
            "{id} was moved into the group"
        );
        assert_eq!(
            device["gateway"]["installed_deployment"],
            current.as_str(),
            "{id} installed the deployment"
        );
    }

    // The same wizard in Korean.
    app.click("[data-testid=lang-switch] [data-lang=ko]").await;
    app.click("[data-testid=step-link-1]").await;
    app.wait_for("[data-testid=group-row]").await;
    app.screenshot("step1-ko").await;
    app.close().await;
}

/// A group whose policy takes app updates and that holds two online gateways with nodes, and
/// the name of its product.
pub(crate) fn update_group(state: &Value) -> (Value, String) {
    let devices = state["devices"].as_array().expect("devices");
    let group = state["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter(|g| g["update_policy"] == "UpdateAll")
        .find(|g| {
            devices
                .iter()
                .filter(|d| d["group_id"] == g["id"] && usable(d))
                .count()
                >= 2
        })
        .cloned()
        .expect("a group with two online gateways");
    let product = state["products"]
        .as_array()
        .expect("products")
        .iter()
        .find(|p| p["id"] == group["product_id"])
        .and_then(|p| p["name"].as_str())
        .expect("the group's product")
        .to_owned();
    (group, product)
}

/// Waits until step 2 has read each of `files` (its image id shows).
pub(crate) async fn wait_read(app: &AppSession, files: &[&std::path::Path]) {
    for file in files {
        app.wait_for(&format!(
            "[data-testid=package-row][data-file='{}'] [data-testid=image-id]",
            file.display()
        ))
        .await;
    }
}

/// Waits until the upload of each of `files` ended as uploaded or already in the tenant.
pub(crate) async fn wait_uploaded(app: &AppSession, files: &[&std::path::Path]) {
    for file in files {
        let status = format!(
            "[data-testid=package-row][data-file='{}'] [data-testid=upload-status]",
            file.display()
        );
        app.wait_attr(&status, "data-phase", |phase| {
            phase == "done" || phase == "skipped"
        })
        .await;
    }
}

/// Writes a signed synthetic app package named `name` and returns its path and image id.
pub(crate) fn package(
    dir: &std::path::Path,
    name: &str,
    application_type: &str,
) -> (std::path::PathBuf, String) {
    let spec = PackageSpec::app(&name[..name.len().min(32)]);
    let built = app_package(
        &spec,
        &manifest_json(&spec, name, Some(application_type)),
        &SigningKey::p256(),
    );
    let path = dir.join(format!("{name}.imagepackage"));
    std::fs::write(&path, built.bytes).expect("write package");
    (path, spec.image_id.to_string())
}

/// Waits until every node behind the chosen gateways runs the firmware its gateway offers.
async fn wait_for_nodes(port: u16, gateways: &[String]) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let state = sim_get(port, "/_sim/state");
        let pending: Vec<String> = state["devices"]
            .as_array()
            .expect("devices")
            .iter()
            .filter(|d| {
                gateways
                    .iter()
                    .any(|g| d["id"].as_str().is_some_and(|x| x.eq_ignore_ascii_case(g)))
            })
            .flat_map(|d| {
                let available = d["gateway"]["node_fw_available"].clone();
                d["gateway"]["nodes"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(move |n| n["fw_version"] != available)
                    .map(|n| n["name"].to_string())
            })
            .collect();
        if pending.is_empty() {
            return state;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "nodes still outdated: {pending:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
