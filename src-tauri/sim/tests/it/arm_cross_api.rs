//! The legacy API and ARM are two views of one tenant: what one changes, the other shows.
//!
//! Both are spoken to with raw `reqwest` (`arm_support`); ARM answers are checked against the
//! spec by the harness.

use crate::arm_support;

use arm_support::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

fn async_url(answer: &Answer) -> String {
    answer
        .header("azure-asyncoperation")
        .expect("Azure-AsyncOperation")
        .to_owned()
}

#[tokio::test]
async fn an_image_uploaded_through_one_api_is_seen_by_the_other() {
    let arm = Arm::fast().await;
    let legacy = arm.legacy_token().await;
    let c = arm.c();

    // ARM PUT → legacy metadata.
    let put = arm.put_image(HL_APP).await;
    assert_eq!(put.status, StatusCode::CREATED);
    // The ARM operation is the tenant's operation: the legacy API polls it by the same id.
    let legacy_op = arm
        .legacy_wait(&legacy, &operation_id_of(&async_url(&put)))
        .await;
    assert_eq!(legacy_op["State"], 2);
    assert_eq!(legacy_op["OperationType"], 7);
    assert_eq!(
        arm.poll_status(&async_url(&put)).await.body["status"],
        "Succeeded"
    );
    let (status, metadata) = arm
        .legacy(
            &legacy,
            Method::GET,
            &format!("/images/{}/metadata", HL_APP.1),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{metadata}");
    assert_eq!(metadata["Id"], HL_APP.1);
    assert_eq!(metadata["Type"], 10);
    assert_eq!(metadata["Name"], "Anvil Test App");

    // Legacy POST (raw bytes) → ARM image.
    let (status, op) = arm
        .legacy(
            &legacy,
            Method::POST,
            "/images",
            Some(("application/octet-stream", fixture(RT_APP_2.0))),
        )
        .await;
    assert!(status.is_success(), "{op}");
    let op_id = op["OperationId"].as_str().expect("OperationId");
    assert_eq!(arm.legacy_wait(&legacy, op_id).await["State"], 2);
    let image = arm.get(&format!("{c}/images/{}", RT_APP_2.1)).await;
    assert_eq!(image.status, StatusCode::OK);
    assert_eq!(image.body["properties"]["imageType"], "Applications");
    assert_eq!(
        image.body["properties"]["componentId"],
        "005180bc-402f-4cb3-a662-72937dbcde47"
    );
    assert_eq!(image.body["properties"]["provisioningState"], "Succeeded");
    arm.sim.shutdown().await;
}

#[tokio::test]
async fn groups_deployments_and_moves_are_shared() {
    let arm = Arm::fast().await;
    let legacy = arm.legacy_token().await;
    let c = arm.c();
    let (_, products) = arm.legacy(&legacy, Method::GET, "/products", None).await;
    let product = products["Items"][0].clone();
    let product_name = product["Name"].as_str().expect("Name").to_owned();
    let product_id = product["Id"].as_str().expect("Id").to_owned();

    // A group made through the legacy API is an ARM resource.
    let new_group = json!({"Name": "Legacy Made", "Description": "d", "ProductId": product_id, "OsFeedType": 1, "UpdatePolicy": 0});
    let (status, group) = arm
        .legacy(
            &legacy,
            Method::POST,
            "/devicegroups",
            Some(("application/json", new_group.to_string().into_bytes())),
        )
        .await;
    assert!(status.is_success(), "{group}");
    let legacy_group_id = group["Id"].as_str().expect("Id").to_owned();
    let group_path = format!("{c}/products/{product_name}/deviceGroups/Legacy%20Made");
    let arm_group = arm.get(&group_path).await;
    assert_eq!(arm_group.status, StatusCode::OK);
    assert_eq!(arm_group.body["properties"]["osFeedType"], "RetailEval");
    assert_eq!(arm_group.body["properties"]["hasDeployment"], false);

    // A group made through ARM is a legacy group.
    let created = arm
        .call(
            Method::PUT,
            &format!("{c}/products/{product_name}/deviceGroups/Arm%20Made"),
            Some(json!({"properties": {"updatePolicy": "No3rdPartyAppUpdates"}})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let (_, groups) = arm
        .legacy(&legacy, Method::GET, "/devicegroups?maxPageSize=100", None)
        .await;
    let arm_made = groups["Items"]
        .as_array()
        .expect("Items")
        .iter()
        .find(|g| g["Name"] == "Arm Made")
        .expect("ARM group in legacy list")
        .clone();
    assert_eq!(arm_made["UpdatePolicy"], 1);

    // An ARM deployment is the legacy group's CurrentDeployment.
    let put = arm.put_image(HL_APP).await;
    arm.poll_status(&async_url(&put)).await;
    let deploy = arm
        .call(
            Method::PUT,
            &format!("{group_path}/deployments/.default"),
            Some(
                json!({"properties": {"deployedImages": [{"properties": {"imageId": HL_APP.1}}]}}),
            ),
        )
        .await;
    assert_eq!(deploy.status, StatusCode::CREATED);
    assert_eq!(
        arm.poll_status(&async_url(&deploy)).await.body["status"],
        "Succeeded"
    );
    let (_, legacy_group) = arm
        .legacy(
            &legacy,
            Method::GET,
            &format!("/devicegroups/{legacy_group_id}"),
            None,
        )
        .await;
    assert_eq!(
        legacy_group["CurrentDeployment"]["DeployedImages"],
        json!([HL_APP.1])
    );

    // A legacy move shows in ARM at the device's new path; an ARM move shows in legacy.
    let (_, devices) = arm
        .legacy(&legacy, Method::GET, "/devices?maxPageSize=100", None)
        .await;
    let device = devices["Items"][0]["DeviceId"]
        .as_str()
        .expect("DeviceId")
        .to_owned();
    let (status, op) = arm
        .legacy(
            &legacy,
            Method::PUT,
            &format!("/devices/{device}/devicegroup"),
            Some((
                "application/json",
                json!(legacy_group_id).to_string().into_bytes(),
            )),
        )
        .await;
    assert!(status.is_success(), "{op}");
    let op_id = op["OperationId"].as_str().expect("OperationId");
    assert_eq!(arm.legacy_wait(&legacy, op_id).await["State"], 2);
    let arm_device = arm.get(&format!("{group_path}/devices/{device}")).await;
    assert_eq!(arm_device.status, StatusCode::OK);
    assert_eq!(arm_device.body["name"], json!(device));

    let target = format!("{c}/products/{product_name}/deviceGroups/Arm Made");
    let moved = arm
        .call(
            Method::PATCH,
            &format!("{group_path}/devices/{device}"),
            Some(json!({"properties": {"deviceGroupId": target}})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::ACCEPTED);
    assert_eq!(
        arm.poll_status(&async_url(&moved)).await.body["status"],
        "Succeeded"
    );
    let (_, legacy_device) = arm
        .legacy(&legacy, Method::GET, &format!("/devices/{device}"), None)
        .await;
    assert_eq!(legacy_device["DeviceGroupId"], arm_made["Id"]);
    arm.sim.shutdown().await;
}
