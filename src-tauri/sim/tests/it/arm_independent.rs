//! The simulator's ARM answers checked by a second, independent implementation of the spec:
//! `tests/reference/arm_validate.py` (Python, standard library only) reads `shared/spec` itself,
//! matches paths and resolves `$ref`s itself and validates closed, sharing no code with the
//! simulator's own validator (`asg_fota_sim::openapi`) that the rest of the ARM tests lean on.
//!
//! One sweep calls every operation of the spec — the operation list is read here from the spec
//! file with `serde_json`, not from the simulator — with the status each must answer (the
//! simulator's implemented operations succeed, the others answer `501 NotImplemented`, none is
//! "no such route"), polls every long-running operation it starts, and hands the whole recorded
//! traffic to the validator. The validator is shown to fail on a misspelt property first, so a
//! pass means something. `.ci/test` runs the same validator over the traffic of the whole suite.
//!
//! Needs `python3` (installed by `.ci/setup --test`); without it the test skips, which fails
//! under `CI=true`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::arm_support::*;
use asg_fota_testkit::fixtures::shared_dir;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn validator() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/reference/arm_validate.py")
}

fn spec_dir() -> PathBuf {
    shared_dir().join("spec")
}

/// The validator's verdict on some recorded answers: exit code and its JSON summary. `None` when
/// python3 cannot run here (the caller skips).
fn validate(records: &[Value]) -> Option<(i32, Value)> {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("traffic.jsonl");
    let lines: Vec<String> = records.iter().map(Value::to_string).collect();
    std::fs::write(&file, lines.join("\n") + "\n").expect("traffic file");
    let output = match Command::new("python3")
        .arg(validator())
        .arg(spec_dir())
        .arg(&file)
        .output()
    {
        Ok(output) => output,
        Err(e) => {
            asg_fota_testkit::skip(&format!(
                "python3 cannot run ({e}): run `bash .ci/setup --test`"
            ));
            return None;
        }
    };
    let code = output.status.code().unwrap_or(-1);
    let summary = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "the validator printed no summary ({e}), exit {code}:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    Some((code, summary))
}

/// Every operation of the spec: (operationId, method, path template), read straight from the file.
fn spec_operations() -> Vec<(String, Method, String)> {
    let file = spec_dir().join("azuresphere-2024-04-01.json");
    let text = std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("{}: {e} (the spec lives in shared/spec)", file.display()));
    let spec: Value = serde_json::from_str(&text).expect("spec JSON");
    let mut operations = Vec::new();
    for (template, item) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            if method == "parameters" {
                continue;
            }
            let id = operation["operationId"].as_str().expect("operationId");
            let method =
                Method::from_bytes(method.to_ascii_uppercase().as_bytes()).expect("method");
            operations.push((id.to_owned(), method, template.clone()));
        }
    }
    operations
}

/// The status each operation must answer in the sweep (after the set-up: two images, a
/// deployment). Operations FOTA uses are implemented; the rest answer 501, never 404.
const EXPECTED: [(&str, u16); 45] = [
    ("Operations_List", 501),
    ("Catalogs_ListBySubscription", 200),
    ("Catalogs_ListByResourceGroup", 200),
    ("Catalogs_Get", 200),
    ("Catalogs_CreateOrUpdate", 501),
    ("Catalogs_Update", 501),
    ("Catalogs_Delete", 501),
    ("Certificates_ListByCatalog", 501),
    ("Certificates_Get", 501),
    ("Certificates_RetrieveCertChain", 501),
    ("Certificates_RetrieveProofOfPossessionNonce", 501),
    ("Catalogs_CountDevices", 200),
    ("Images_ListByCatalog", 200),
    ("Images_Get", 200),
    ("Images_CreateOrUpdate", 200),
    ("Images_Delete", 501),
    ("Catalogs_ListDeployments", 200),
    ("Catalogs_ListDeviceGroups", 200),
    ("Catalogs_ListDeviceInsights", 501),
    ("Catalogs_ListDevices", 200),
    ("Products_ListByCatalog", 200),
    ("Products_Get", 200),
    ("Products_CreateOrUpdate", 501),
    ("Products_Update", 501),
    ("Products_Delete", 501),
    ("Products_CountDevices", 200),
    ("DeviceGroups_ListByProduct", 200),
    ("DeviceGroups_Get", 200),
    ("DeviceGroups_CreateOrUpdate", 201),
    ("DeviceGroups_Update", 200),
    ("DeviceGroups_Delete", 501),
    ("DeviceGroups_ClaimDevices", 501),
    ("DeviceGroups_CountDevices", 200),
    ("Deployments_ListByDeviceGroup", 200),
    ("Deployments_Get", 200),
    ("Deployments_CreateOrUpdate", 201),
    ("Deployments_Delete", 501),
    ("Devices_ListByDeviceGroup", 200),
    ("Devices_Get", 200),
    ("Devices_CreateOrUpdate", 501),
    ("Devices_Update", 202),
    ("Devices_Delete", 501),
    ("Devices_GenerateCapabilityImage", 501),
    ("Products_GenerateDefaultDeviceGroups", 501),
    ("Catalogs_UploadImage", 202),
];

/// A body the operation accepts (a valid one, so that a 501 is the route's answer and not the
/// body check's).
fn body_for(operation: &str, other_group_id: &str) -> Option<Value> {
    Some(match operation {
        "Catalogs_CreateOrUpdate" => json!({"location": "global"}),
        "Catalogs_Update" | "Products_Update" => json!({}),
        "Certificates_RetrieveProofOfPossessionNonce" => {
            json!({"proofOfPossessionNonce": "3d5e0c52"})
        }
        "Images_CreateOrUpdate" => json!({"properties": {"image": fixture_b64(HL_APP.0)}}),
        "Catalogs_UploadImage" => json!({"properties": {"image": fixture_b64(HL_APP_2.0)}}),
        "Catalogs_ListDeviceGroups" => json!({}),
        "Products_CreateOrUpdate" => json!({"properties": {"description": "independent"}}),
        "DeviceGroups_CreateOrUpdate" => {
            json!({"properties": {"description": "independent", "osFeedType": "Retail"}})
        }
        "DeviceGroups_Update" => json!({"properties": {"description": "patched"}}),
        "DeviceGroups_ClaimDevices" => json!({"deviceIdentifiers": ["a".repeat(128)]}),
        "Deployments_CreateOrUpdate" => json!({"properties": {"deployedImages": [
            {"properties": {"imageId": HL_APP.1}},
            {"properties": {"imageId": RT_APP.1}},
        ]}}),
        "Devices_CreateOrUpdate" => json!({}),
        "Devices_Update" => json!({"properties": {"deviceGroupId": other_group_id}}),
        "Devices_GenerateCapabilityImage" => json!({"capabilities": ["ApplicationDevelopment"]}),
        _ => return None,
    })
}

/// Follows a started long-running operation to its end, so the polling answers are recorded too.
async fn finish(arm: &Arm, answer: &Answer) {
    // A 201 without a polling URL finished at once (the validator checks it is terminal).
    if let (StatusCode::CREATED, Some(url)) = (answer.status, answer.header("azure-asyncoperation"))
    {
        assert_eq!(arm.poll_status(url).await.body["status"], "Succeeded");
    } else if answer.status == StatusCode::ACCEPTED {
        let url = answer.header("location").expect("Location").to_owned();
        let result = arm.poll_location(&url).await;
        assert_eq!(result.status, StatusCode::OK, "{}", result.body);
    }
}

#[tokio::test]
async fn every_spec_operation_is_routed_and_all_answers_pass_an_independent_validator() {
    let Some((code, summary)) = validate(&[misspelt_group()]) else {
        return;
    };
    assert_eq!(
        code, 1,
        "the validator must reject a misspelt property: {summary}"
    );
    assert!(
        summary["errors"]
            .to_string()
            .contains("'provisioningSate' is not in the spec"),
        "{summary}"
    );

    let arm = Arm::fast().await;
    let c = arm.c();
    let demo = arm.sim.demo().clone();
    // Set-up through the API itself (recorded too): two images and the group's deployment.
    for image in [HL_APP, RT_APP] {
        finish(&arm, &arm.put_image(image).await).await;
    }
    let (product, group, _) = populated_group(&arm, 2).await;
    let group_path = format!(
        "{c}/products/{product}/deviceGroups/{}",
        group.replace(' ', "%20")
    );
    let deployment =
        json!({"properties": {"deployedImages": [{"properties": {"imageId": HL_APP.1}}]}});
    let put = arm
        .call(
            Method::PUT,
            &format!("{group_path}/deployments/.default"),
            Some(deployment),
        )
        .await;
    finish(&arm, &put).await;
    let current = arm.get(&format!("{group_path}/deployments/.default")).await;
    let deployment_name = current.body["name"]
        .as_str()
        .expect("deployment name")
        .to_owned();
    let device = arm.get(&format!("{group_path}/devices")).await.body["value"][0]["name"]
        .as_str()
        .expect("a device")
        .to_owned();
    let (groups, _) = walk(
        &arm,
        Method::POST,
        &format!("{c}/listDeviceGroups"),
        Some(json!({})),
    )
    .await;
    let other_group = groups
        .iter()
        .find(|g| g["name"] != json!(group))
        .and_then(|g| g["id"].as_str())
        .expect("another group")
        .to_owned();

    let values = BTreeMap::from([
        ("subscriptionId", demo.subscription_id.clone()),
        ("resourceGroupName", demo.resource_group.clone()),
        ("catalogName", demo.catalog.clone()),
        ("productName", product.clone()),
        ("deviceGroupName", group.replace(' ', "%20")),
        ("deviceName", device),
        ("imageName", HL_APP.1.to_owned()),
        ("deploymentName", deployment_name),
        ("serialNumber", "5C8B2F1A".to_owned()),
    ]);
    let expected: BTreeMap<&str, u16> = EXPECTED.into_iter().collect();
    let operations = spec_operations();
    let in_spec: BTreeSet<&str> = operations.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(
        in_spec,
        expected.keys().copied().collect(),
        "the table of expected answers names exactly the spec's operations"
    );

    // Deletions come last (all 501 here, but a simulator that implemented one must not empty
    // the tenant under the operations that follow); the device moves just before them.
    let mut order: Vec<&(String, Method, String)> = operations.iter().collect();
    order.sort_by_key(|(id, method, _)| (*method == Method::DELETE, id == "Devices_Update"));
    let mut wrong = Vec::new();
    for (id, method, template) in order {
        let mut path = template.clone();
        for (name, value) in &values {
            path = path.replace(&format!("{{{name}}}"), value);
        }
        // A new group for the group PUT, so the sweep's own group keeps its devices.
        if id == "DeviceGroups_CreateOrUpdate" {
            path = path.replace(&values["deviceGroupName"], "Independent%20Check");
        }
        assert!(!path.contains('{'), "{id}: unfilled parameter in {path}");
        let answer = arm
            .call(method.clone(), &path, body_for(id, &other_group))
            .await;
        assert_ne!(
            answer.code(),
            "InvalidResourceType",
            "{method} {path} ({id}) is in the spec but has no route: {}",
            answer.body
        );
        if answer.status.as_u16() != expected[id.as_str()] {
            wrong.push(format!("{id}: {} {}", answer.status, answer.body));
        }
        finish(&arm, &answer).await;
    }
    assert!(
        wrong.is_empty(),
        "unexpected answers:\n{}",
        wrong.join("\n")
    );

    let traffic = arm.traffic.lock().expect("traffic").clone();
    arm.sim.shutdown().await;
    let Some((code, summary)) = validate(&traffic) else {
        return;
    };
    assert_eq!(
        code, 0,
        "the independent validator found violations: {summary:#}"
    );
    assert_eq!(summary["answers"], json!(traffic.len()));
    let routed: BTreeSet<&str> = summary["routed"]
        .as_array()
        .expect("routed")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        routed, in_spec,
        "every operation of the spec answered through its route"
    );
    let succeeded: BTreeSet<&str> = summary["succeeded"]
        .as_array()
        .expect("succeeded")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let implemented: BTreeSet<&str> = EXPECTED
        .iter()
        .filter(|(_, s)| *s < 300)
        .map(|(id, _)| *id)
        .collect();
    assert_eq!(succeeded, implemented);
}

/// A device-group answer with one property misspelt, as a broken simulator would send it.
fn misspelt_group() -> Value {
    let id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/\
              Microsoft.AzureSphere/catalogs/c/products/p/deviceGroups/g";
    json!({
        "method": "GET",
        "path": id,
        "status": 200,
        "body": {
            "id": id,
            "name": "g",
            "type": "Microsoft.AzureSphere/catalogs/products/deviceGroups",
            "properties": {"osFeedType": "Retail", "provisioningSate": "Succeeded"},
        },
        "headers": {},
    })
}
