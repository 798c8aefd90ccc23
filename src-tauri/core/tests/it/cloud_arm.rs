//! The ARM client against the simulated tenant over real HTTP: paging, LROs, retries under injected
//! faults, idempotent upload and deployment retries, token renewal, typed 401/403.

use asg_fota_testkit::cloud as cloud_support;

use asg_fota_core::cloud::auth::AccessToken;
use asg_fota_core::cloud::auth::TokenCache;
use asg_fota_core::cloud::model::{DeviceGroup, ImageState};
use asg_fota_core::cloud::{ControlPlane, Secret};
use cloud_support::*;
use serde_json::json;

/// The group with the most devices, and another group of the same product.
async fn two_groups(plane: &ControlPlane) -> (DeviceGroup, DeviceGroup) {
    let groups = plane.device_groups().await.expect("groups");
    let mut best: Option<(u64, DeviceGroup)> = None;
    for g in &groups {
        let n = plane.count_devices(&g.id).await.expect("count");
        if best.as_ref().is_none_or(|(m, _)| n > *m) {
            best = Some((n, g.clone()));
        }
    }
    let (_, main) = best.expect("the demo tenant has groups");
    let other = groups
        .iter()
        .find(|g| g.id != main.id && g.product == main.product)
        .or_else(|| groups.iter().find(|g| g.id != main.id))
        .expect("a second group")
        .clone();
    (main, other)
}

fn count_matching(sim: &asg_fota_sim::SimHandle, key: &str, needle: &str) -> usize {
    let snap = sim.snapshot();
    let needle = needle.to_ascii_lowercase();
    snap.get(key)
        .and_then(|v| v.as_array())
        .map(|items| {
            items
                .iter()
                .filter(|i| i.to_string().to_ascii_lowercase().contains(&needle))
                .count()
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn lists_page_to_the_end() {
    // The devices list pages by 50 in the simulator: a big fleet gives several pages.
    let sim = asg_fota_sim::start(asg_fota_sim::SimConfig {
        timing: asg_fota_sim::SimTiming::fast(),
        gateways: 400,
        ..Default::default()
    })
    .await
    .expect("sim");
    let plane = arm(&sim, Some(50));
    let catalogs = plane.tenants_or_catalogs().await.expect("catalogs");
    assert!(
        catalogs.iter().any(|c| c.name == sim.demo().catalog),
        "{catalogs:?}"
    );
    assert!(!plane.products().await.expect("products").is_empty());
    let (group, _) = two_groups(&plane).await;
    assert!(
        group.update_policy.is_some(),
        "groups carry their update policy"
    );
    let count = plane.count_devices(&group.id).await.expect("count");
    assert!(count > 50, "the test needs more than one page ({count})");

    let mut pages = plane.device_pages(&group.id);
    let mut n_pages = 0;
    let mut paged = Vec::new();
    while let Some(page) = pages.next_page().await.expect("page") {
        assert!(page.len() <= 50);
        n_pages += 1;
        paged.extend(page);
    }
    assert!(n_pages > 1);
    assert_eq!(paged.len() as u64, count);
    let unpaged = arm(&sim, None).devices(&group.id).await.expect("devices");
    assert_eq!(paged, unpaged);
    assert!(paged.iter().all(|d| d.group.as_ref() == Some(&group.id)));
    sim.shutdown().await;
}

#[tokio::test]
async fn upload_deploy_and_move() {
    let sim = sim().await;
    let plane = arm(&sim, None);
    let (group, other) = two_groups(&plane).await;
    let (id, source) = fixture_package("hl_azure_sphere_blink.imagepackage");
    let image = plane.upload_image(&source, &id).await.expect("upload");
    assert_eq!(image.id, id);
    assert_eq!(image.state, ImageState::Ready);
    assert!(plane
        .images()
        .await
        .expect("images")
        .iter()
        .any(|i| i.id == id));

    let deployment = plane
        .create_deployment(&group.id, std::slice::from_ref(&id))
        .await
        .expect("deploy");
    assert!(deployment.holds_exactly(std::slice::from_ref(&id)));
    let current = plane
        .current_deployment(&group.id)
        .await
        .expect("current")
        .expect("a current deployment");
    assert!(current.holds_exactly(std::slice::from_ref(&id)));
    assert!(!plane
        .deployments(&group.id)
        .await
        .expect("deployments")
        .is_empty());

    move_first_device(&plane, &group.id, &other.id).await;

    // The simulator checks every ARM request against the 2024-04-01 spec and answers 400 to one
    // that does not fit: a clean journal means every request this client sent validated.
    let arm_calls: Vec<Call> = calls(&sim)
        .into_iter()
        .filter(|c| c.service == "arm")
        .collect();
    assert!(arm_calls.len() > 10, "{arm_calls:?}");
    let refused: Vec<&Call> = arm_calls.iter().filter(|c| c.status >= 400).collect();
    assert!(refused.is_empty(), "ARM refused requests: {refused:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn reads_are_retried_under_429_and_503_and_give_up_typed() {
    let sim = sim().await;
    let plane = arm(&sim, None);
    plane.products().await.expect("warm-up (token)");
    faults(
        &sim,
        json!({"rules": [
            {"service": "arm", "method": "GET", "path": "/subscriptions/**", "when": {"first_n": 1}, "action": {"kind": "throttle", "retry_after_secs": 1}},
            {"service": "arm", "method": "GET", "path": "/subscriptions/**", "when": {"first_n": 2}, "action": {"kind": "status", "status": 503}}
        ]}),
    );
    let started = std::time::Instant::now();
    plane.products().await.expect("products after retries");
    assert!(
        started.elapsed() >= std::time::Duration::from_millis(900),
        "Retry-After: 1 was honoured"
    );

    faults(
        &sim,
        json!({"rules": [
            {"service": "arm", "method": "GET", "action": {"kind": "status", "status": 503}}
        ]}),
    );
    let e = plane.products().await.expect_err("always 503");
    assert_eq!(e.kind(), "service");
    assert!(e.to_string().contains("4 attempts"), "{e}");

    faults(
        &sim,
        json!({"rules": [
            {"service": "arm", "method": "GET", "action": {"kind": "throttle", "retry_after_secs": 0}}
        ]}),
    );
    assert_eq!(
        plane.products().await.expect_err("always 429").kind(),
        "throttled"
    );

    faults(
        &sim,
        json!({"rules": [
            {"service": "arm", "method": "GET", "when": {"first_n": 1}, "action": {"kind": "reset_response", "after_bytes": 5}}
        ]}),
    );
    plane
        .products()
        .await
        .expect("a reset connection is retried");
    sim.shutdown().await;
}

#[tokio::test]
async fn an_upload_reset_mid_body_is_retried_without_a_second_image() {
    let sim = sim().await;
    let plane = arm(&sim, None);
    plane.products().await.expect("warm-up (token)");
    let (id, source) = fixture_package("rt_avnet_grove_gps.imagepackage");
    faults(
        &sim,
        json!({"rules": [
            {"service": "arm", "method": "PUT", "path": "/subscriptions/**", "when": {"first_n": 1}, "action": {"kind": "reset_request", "after_bytes": 2000}}
        ]}),
    );
    let image = plane
        .upload_image(&source, &id)
        .await
        .expect("upload after a reset mid-body");
    assert_eq!(image.id, id);
    assert_eq!(
        count_matching(&sim, "images", id.as_str()),
        1,
        "exactly one image"
    );

    // The answer is lost after the service took the upload: the retry must see the image and stop.
    let (id2, source2) = fixture_package("rt_avnet_reference_design.imagepackage");
    faults(
        &sim,
        json!({"rules": [
            {"service": "arm", "method": "PUT", "path": "/subscriptions/**", "when": {"first_n": 1}, "action": {"kind": "reset_response", "after_bytes": 0}}
        ]}),
    );
    plane
        .upload_image(&source2, &id2)
        .await
        .expect("upload whose answer was lost");
    assert_eq!(
        count_matching(&sim, "images", id2.as_str()),
        1,
        "exactly one image"
    );
    let puts = calls(&sim)
        .iter()
        .filter(|c| {
            c.method == "PUT"
                && c.path
                    .to_ascii_lowercase()
                    .contains(&id2.as_str().to_ascii_lowercase())
        })
        .count();
    assert!(
        puts <= 1,
        "the lost-answer upload was not sent again ({puts} PUTs)"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_deployment_whose_answer_was_lost_is_not_created_twice() {
    let sim = sim().await;
    let plane = arm(&sim, None);
    let (group, _) = two_groups(&plane).await;
    let (id, source) = fixture_package("hl_anvil_test_app.imagepackage");
    plane.upload_image(&source, &id).await.expect("upload");
    let before = count_matching(&sim, "deployments", "");
    faults(
        &sim,
        json!({"rules": [
            {"service": "arm", "method": "PUT", "path": "/subscriptions/**/deployments/*", "when": {"first_n": 1}, "action": {"kind": "reset_response", "after_bytes": 0}}
        ]}),
    );
    let d = plane
        .create_deployment(&group.id, std::slice::from_ref(&id))
        .await
        .expect("deployment");
    assert!(d.holds_exactly(std::slice::from_ref(&id)));
    assert_eq!(
        count_matching(&sim, "deployments", "") - before,
        1,
        "one deployment created"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn tokens_are_renewed_and_refusals_are_typed() {
    let sim = sim().await;
    let plane = arm(&sim, None);
    plane.products().await.expect("first call");
    // A token the service calls expired once: renewed and resent.
    faults(
        &sim,
        json!({"rules": [
            {"service": "arm", "when": {"first_n": 1}, "action": {"kind": "expired_token"}}
        ]}),
    );
    plane.products().await.expect("renewed after a 401");
    faults(&sim, json!({}));
    // Every token revoked: the service principal's cache signs in again.
    reqwest::Client::new()
        .post(format!("{}/tokens/revoke", sim.urls().control))
        .json(&json!({}))
        .send()
        .await
        .expect("revoke");
    plane.products().await.expect("renewed after revocation");

    // A token that cannot be renewed gives a typed 401 that says what to do.
    let fixed = TokenCache::fixed(AccessToken::new(
        Secret::new("not-a-token"),
        std::time::SystemTime::now() + std::time::Duration::from_secs(3600),
    ));
    let e = arm_with(&sim, fixed, None)
        .products()
        .await
        .expect_err("bad token");
    assert_eq!(e.kind(), "unauthorized");
    assert!(e.to_string().contains("Sign in again"), "{e}");

    faults(
        &sim,
        json!({"rules": [{"service": "arm", "action": {"kind": "status", "status": 403}}]}),
    );
    let e = plane.products().await.expect_err("403");
    assert_eq!(e.kind(), "forbidden");
    assert!(
        e.to_string().contains("Administrator or Contributor"),
        "{e}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn a_failed_deployment_operation_is_an_error_on_arm() {
    let sim = sim().await;
    crate::cloud_legacy::a_failed_deployment_operation_is_an_error(arm(&sim, None), &sim).await;
    sim.shutdown().await;
}
