//! Every ARM request body the client sends is one the spec lets a client write, and every
//! mutation states its length.
//!
//! The simulator refuses, as a strict resource provider does, any body that carries a property the
//! spec marks `readOnly` (400 `InvalidRequestContent`), and any POST, PUT or PATCH without a
//! length (411, as an HTTP/1.1 front end does). The client's whole ARM tour (listings, counts, an
//! upload, a deployment, a move) runs against it and no call may be refused; the negative controls
//! prove that the simulator really refuses what it should, and accepts it again when lenient.

use asg_fota_testkit::cloud as cloud_support;

use asg_fota_core::cloud::auth::scopes;
use asg_fota_core::cloud::model::DeviceGroupId;
use asg_fota_sim::SimHandle;
use serde_json::{json, Value};

/// A real SDK-built package: beside the repository, else in the shared reference copy (a
/// worktree checked out elsewhere).
fn fixture(name: &str) -> std::path::PathBuf {
    let near = cloud_support::fixture(name);
    if near.exists() {
        near
    } else {
        std::path::Path::new("/work/shared/fixtures/imagepackages").join(name)
    }
}

/// A fixture's image id (read from the package, as the product does) and its upload source.
fn fixture_package(
    name: &str,
) -> (
    asg_fota_core::cloud::model::ImageId,
    asg_fota_core::cloud::ImageSource,
) {
    let path = fixture(name);
    let bytes = std::fs::read(&path).expect("fixture");
    let pkg = asg_fota_core::imagepackage::read(&bytes).expect("fixture reads");
    (
        asg_fota_core::cloud::model::ImageId::new(pkg.image_id.0.to_string()),
        asg_fota_core::cloud::ImageSource::file(&path).expect("fixture"),
    )
}

/// A token for raw requests beside the client.
async fn bearer(sim: &SimHandle) -> String {
    cloud_support::service_principal(sim, scopes::ARM_SERVICE_PRINCIPAL)
        .token()
        .await
        .expect("a token")
        .expose()
        .to_owned()
}

fn catalog_url(sim: &SimHandle) -> String {
    let d = sim.demo();
    format!(
        "{}/subscriptions/{}/resourceGroups/{}/providers/Microsoft.AzureSphere/catalogs/{}",
        sim.urls().arm,
        d.subscription_id,
        d.resource_group,
        d.catalog
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clients_arm_bodies_pass_a_strict_provider() {
    let sim = cloud_support::sim().await;
    let plane = cloud_support::arm(&sim, Some(5));
    let groups = plane.device_groups().await.expect("groups");
    let field = groups
        .iter()
        .find(|g| g.name == "Field Test")
        .expect("Field Test")
        .id
        .clone();
    let development: DeviceGroupId = groups
        .iter()
        .find(|g| g.name == "Development")
        .expect("Development")
        .id
        .clone();
    // POST actions without a body: countDevices, listDevices (through the move's lookup).
    assert!(plane.count_devices(&field).await.expect("count") > 0);
    let (hl, hl_source) = fixture_package("hl_azure_sphere_blink.imagepackage");
    let (rt, rt_source) = fixture_package("rt_avnet_grove_gps.imagepackage");
    plane.upload_image(&hl_source, &hl).await.expect("upload");
    plane.upload_image(&rt_source, &rt).await.expect("upload");
    let deployment = plane
        .create_deployment(&field, &[hl.clone(), rt.clone()])
        .await
        .expect("deployment");
    assert!(deployment.holds_exactly(&[hl, rt]));
    let device = plane.devices(&development).await.expect("devices")[0].clone();
    plane.move_device(&device.id, &field).await.expect("move");
    plane.deployments(&field).await.expect("history");

    let calls = cloud_support::calls(&sim);
    let arm: Vec<_> = calls.iter().filter(|c| c.service == "arm").collect();
    let mutations: Vec<_> = arm.iter().filter(|c| c.method != "GET").collect();
    assert!(
        mutations.len() >= 6,
        "POST count, 2 PUT images, PUT deployment, POST listDevices, PATCH device: {mutations:#?}"
    );
    let refused: Vec<_> = arm.iter().filter(|c| c.status >= 400).collect();
    assert!(refused.is_empty(), "the simulator refused: {refused:#?}");
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_properties_and_missing_lengths_are_refused_and_lenience_is_a_switch() {
    let sim = cloud_support::sim().await;
    let plane = cloud_support::arm(&sim, None);
    let (hl, source) = fixture_package("hl_azure_sphere_blink.imagepackage");
    plane.upload_image(&source, &hl).await.expect("upload");
    let group = plane
        .device_groups()
        .await
        .expect("groups")
        .into_iter()
        .find(|g| g.name == "Field Test")
        .expect("Field Test")
        .id;
    let token = bearer(&sim).await;
    let http = reqwest::Client::new();
    let catalog = catalog_url(&sim);
    let api = "api-version=2024-04-01";

    // The image element as `Images_Get` returned it: id, name, type, uri, imageName... all
    // read-only in the spec.
    let image: Value = http
        .get(format!("{catalog}/images/{hl}?{api}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let deployment_url = format!(
        "{}{}/deployments/.default?{api}",
        sim.urls().arm,
        group.as_str()
    );
    let whole = json!({"properties": {"deployedImages": [image]}});
    let refused = http
        .put(&deployment_url)
        .bearer_auth(&token)
        .json(&whole)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "InvalidRequestContent", "{body}");
    let targets: Vec<&str> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["target"].as_str())
        .collect();
    for read_only in [
        "properties.deployedImages.0.id",
        "properties.deployedImages.0.name",
        "properties.deployedImages.0.type",
        "properties.deployedImages.0.properties.uri",
    ] {
        assert!(targets.contains(&read_only), "{read_only} in {targets:?}");
    }

    // What the client sends is accepted.
    let minimal =
        json!({"properties": {"deployedImages": [{"properties": {"imageId": hl.as_str()}}]}});
    let accepted = http
        .put(&deployment_url)
        .bearer_auth(&token)
        .json(&minimal)
        .send()
        .await
        .unwrap();
    assert!(accepted.status().is_success(), "{}", accepted.status());

    // ARM's documented "read-only properties are ignored", for a test that needs it.
    sim.set_lenient_read_only(true);
    let lenient = http
        .put(&deployment_url)
        .bearer_auth(&token)
        .json(&whole)
        .send()
        .await
        .unwrap();
    assert!(lenient.status().is_success(), "{}", lenient.status());
    sim.set_lenient_read_only(false);

    // A POST action without a length (hyper sends none for an empty body) is refused with 411;
    // with `Content-Length: 0` it is answered.
    let count_url = format!("{}{}/countDevices?{api}", sim.urls().arm, group.as_str());
    let bare = http
        .post(&count_url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 411);
    let stated = http
        .post(&count_url)
        .bearer_auth(&token)
        .header("content-length", "0")
        .send()
        .await
        .unwrap();
    assert_eq!(stated.status(), 200);
    sim.shutdown().await;
}
