//! The legacy client against the simulated tenant over real HTTP: paging with
//! `Sphere-Continuation`, operations, retries, idempotent upload/deployment retries, typed errors.

use asg_fota_testkit::cloud as cloud_support;

use asg_fota_core::cloud::ControlPlane;
use asg_fota_sim::SimHandle;
use cloud_support::*;
use serde_json::json;

#[tokio::test]
async fn lists_page_upload_deploy_and_move() {
    let sim = sim().await;
    let plane = legacy(&sim, Some(3));
    let tenants = plane.tenants_or_catalogs().await.expect("tenants");
    assert!(
        tenants.iter().any(|t| t
            .id
            .as_str()
            .eq_ignore_ascii_case(&sim.demo().legacy_tenant_id)),
        "{tenants:?}"
    );
    let groups = plane.device_groups().await.expect("groups");
    let mut sized = Vec::new();
    for g in &groups {
        sized.push((plane.count_devices(&g.id).await.expect("count"), g.clone()));
    }
    sized.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
    let (count, group) = sized[0].clone();
    assert!(count > 3, "needs several pages of 3 ({count})");
    let mut pages = plane.device_pages(&group.id);
    let mut n_pages = 0;
    while let Some(page) = pages.next_page().await.expect("page") {
        assert!(page.len() <= 3);
        n_pages += 1;
    }
    assert!(n_pages > 1);
    assert_eq!(
        legacy(&sim, None)
            .devices(&group.id)
            .await
            .expect("devices")
            .len() as u64,
        count
    );

    let (id, source) = fixture_package("hl_azure_sphere_blink.imagepackage");
    faults(
        &sim,
        json!({"rules": [
            {"service": "legacy", "method": "POST", "path": "/v2/tenants/*/images", "when": {"first_n": 1}, "action": {"kind": "reset_request", "after_bytes": 2000}}
        ]}),
    );
    let image = plane
        .upload_image(&source, &id)
        .await
        .expect("upload after a reset mid-body");
    assert_eq!(image.id, id);
    faults(
        &sim,
        json!({"rules": [
            {"service": "legacy", "method": "POST", "path": "/v2/tenants/*/devicegroups/*/deployments", "when": {"first_n": 1}, "action": {"kind": "reset_response", "after_bytes": 0}}
        ]}),
    );
    let before = plane
        .deployments(&group.id)
        .await
        .expect("deployments")
        .len();
    let d = plane
        .create_deployment(&group.id, std::slice::from_ref(&id))
        .await
        .expect("deploy");
    assert!(d.holds_exactly(std::slice::from_ref(&id)));
    assert_eq!(
        plane
            .deployments(&group.id)
            .await
            .expect("deployments")
            .len(),
        before + 1,
        "not created twice"
    );
    faults(&sim, json!({}));

    let (_, other) = sized[1].clone();
    move_first_device(&plane, &group.id, &other.id).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn errors_are_typed_from_the_error_array() {
    let sim = sim().await;
    let plane = legacy(&sim, None);
    plane.products().await.expect("warm-up");
    faults(
        &sim,
        json!({"rules": [{"service": "legacy", "action": {"kind": "status", "status": 403}}]}),
    );
    let e = plane.products().await.expect_err("403");
    assert_eq!(e.kind(), "forbidden");
    assert!(
        e.to_string().contains("Administrator or Contributor"),
        "{e}"
    );
    faults(
        &sim,
        json!({"rules": [{"service": "legacy", "when": {"first_n": 1}, "action": {"kind": "expired_token"}}]}),
    );
    plane
        .products()
        .await
        .expect("a token the service calls expired is renewed once");
    faults(
        &sim,
        json!({"rules": [{"service": "legacy", "action": {"kind": "revoked_token"}}]}),
    );
    let e = plane.products().await.expect_err("every token refused");
    assert_eq!(e.kind(), "unauthorized");
    assert!(e.to_string().contains("Sign in again"), "{e}");
    faults(
        &sim,
        json!({"rules": [{"service": "legacy", "when": {"first_n": 2}, "action": {"kind": "status", "status": 500}}]}),
    );
    plane.products().await.expect("500 retried");
    sim.shutdown().await;
}

/// A deployment whose asynchronous operation ends Failed is an `operation_failed` error carrying
/// the service's message, on each plane; the group keeps no deployment of that image.
pub(crate) async fn a_failed_deployment_operation_is_an_error(
    plane: ControlPlane,
    sim: &SimHandle,
) {
    let (id, source) = fixture_package("hl_azure_sphere_blink.imagepackage");
    plane.upload_image(&source, &id).await.expect("upload");
    let images = plane.images().await.expect("images");
    assert!(
        images.iter().any(|i| i.id == id),
        "the uploaded image is listed: {images:?}"
    );
    faults(
        sim,
        json!({"operations": [{"kind": "deploy", "code": 0, "message": "boom: the deployment failed"}]}),
    );
    let g = first_group(&plane).await;
    let e = plane
        .create_deployment(&g.id, std::slice::from_ref(&id))
        .await
        .expect_err("the operation ended Failed");
    assert_eq!(e.kind(), "operation_failed", "{e}");
    assert!(e.to_string().contains("boom"), "the service's message: {e}");
    let failed = sim.snapshot()["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .filter(|o| o["kind"] == "DeployToDeviceGroup" && o["state"] == "Failed")
        .count();
    assert_eq!(failed, 1, "the simulator ran one failed deployment");
}

#[tokio::test]
async fn a_failed_deployment_operation_is_an_error_on_legacy() {
    let sim = sim().await;
    a_failed_deployment_operation_is_an_error(legacy(&sim, None), &sim).await;
    sim.shutdown().await;
}

#[tokio::test]
async fn who_is_signed_in_and_with_which_role() {
    let sim = sim().await;
    let tokens = service_principal(
        &sim,
        asg_fota_core::cloud::auth::scopes::LEGACY_SERVICE_PRINCIPAL,
    );
    let plane = legacy_with(&sim, tokens.clone(), None);
    plane.products().await.expect("signed in");
    let claims = tokens.claims().await.expect("a token is held");
    let oid = claims.oid.clone().expect("an object id");
    let asg_fota_core::cloud::ControlPlane::Legacy(client) = &plane else {
        unreachable!("built as legacy")
    };
    let roles = client.user_roles(&oid).await.expect("roles");
    assert_eq!(roles, vec!["Contributor".to_owned()]);
    let e = client
        .user_roles("nobody@example.com")
        .await
        .expect_err("unknown user");
    assert_eq!(e.kind(), "not_found");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_slow_operation_ends_at_the_deadline() {
    let sim = sim_with(asg_fota_sim::SimTiming {
        operation_run: std::time::Duration::from_secs(30),
        ..asg_fota_sim::SimTiming::fast()
    })
    .await;
    let tokens = service_principal(
        &sim,
        asg_fota_core::cloud::auth::scopes::LEGACY_SERVICE_PRINCIPAL,
    );
    let plane = asg_fota_core::cloud::ControlPlane::Legacy(
        asg_fota_core::cloud::legacy::LegacyClient::new(
            transport(),
            &sim.urls().legacy,
            asg_fota_core::cloud::model::TenantId::new(sim.demo().legacy_tenant_id.clone()),
            asg_fota_core::cloud::transport::Credentials::Bearer(tokens),
            asg_fota_core::cloud::PlaneSettings {
                page_size: None,
                poll_interval: std::time::Duration::from_millis(50),
                operation_deadline: std::time::Duration::from_millis(400),
            },
        )
        .expect("client"),
    );
    let (id, source) = fixture_package("hl_anvil_test_app.imagepackage");
    let started = std::time::Instant::now();
    let e = plane
        .upload_image(&source, &id)
        .await
        .expect_err("the operation outlives the deadline");
    assert_eq!(e.kind(), "deadline_exceeded", "{e}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    sim.shutdown().await;
}

#[tokio::test]
async fn an_upload_whose_answer_was_lost_is_not_repeated() {
    let sim = sim().await;
    let plane = legacy(&sim, None);
    plane.products().await.expect("warm-up");
    let (id, source) = fixture_package("rt_avnet_grove_gps.imagepackage");
    faults(
        &sim,
        json!({"rules": [
            {"service": "legacy", "method": "POST", "path": "/v2/tenants/*/images", "when": {"first_n": 1}, "action": {"kind": "reset_response", "after_bytes": 0}}
        ]}),
    );
    let image = plane
        .upload_image(&source, &id)
        .await
        .expect("upload whose answer was lost");
    assert_eq!(image.id, id);
    let posts = calls(&sim)
        .iter()
        .filter(|c| c.service == "legacy" && c.method == "POST" && c.path.ends_with("/images"))
        .count();
    assert_eq!(posts, 1, "the package was sent once");
    sim.shutdown().await;
}

#[tokio::test]
async fn uploading_an_image_the_tenant_already_holds_counts_as_uploaded() {
    let sim = sim().await;
    let plane = legacy(&sim, None);
    let (id, source) = fixture_package("hl_anvil_test_app.imagepackage");
    let first = plane
        .upload_image(&source, &id)
        .await
        .expect("first upload");
    let second = plane
        .upload_image(&source, &id)
        .await
        .expect("second upload of the same package");
    assert_eq!(first.id, second.id);
    let images = plane.images().await.expect("images");
    assert_eq!(images.iter().filter(|i| i.id == id).count(), 1);
    sim.shutdown().await;
}
