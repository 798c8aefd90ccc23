//! The spec validator against the spec's own examples, hand-made bad bodies and the path table.
//!
//! These tests pin the validator itself; `arm_conformance.rs` uses it on the simulator's traffic.

use std::path::{Path, PathBuf};

use asg_fota_sim::openapi::{arm_spec, ArmSpec, SpecViolation};
use serde_json::{json, Value};

fn spec() -> &'static ArmSpec {
    match arm_spec() {
        Ok(spec) => spec,
        Err(e) => panic!("the embedded spec does not load: {e}"),
    }
}

fn crate_spec_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("spec")
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The crate's copies must never drift from the project's read-only facts.
#[test]
fn embedded_spec_files_are_verbatim_copies_of_shared_spec() {
    let shared = asg_fota_testkit::fixtures::shared_dir().join("spec");
    if !shared.is_dir() {
        // A clone without `shared/` beside it cannot compare; CI always has it.
        asg_fota_testkit::skip("shared/spec not found beside the repository: no comparison");
        return;
    }
    let mut compared = 0;
    for relative in ["azuresphere-2024-04-01.json", "common-types-v3-types.json"]
        .into_iter()
        .map(PathBuf::from)
        .chain(
            std::fs::read_dir(shared.join("examples"))
                .expect("shared/spec/examples is readable")
                .map(|e| Path::new("examples").join(e.expect("dir entry").file_name())),
        )
    {
        let ours = std::fs::read(crate_spec_dir().join(&relative))
            .unwrap_or_else(|e| panic!("missing copy of {}: {e}", relative.display()));
        let theirs = std::fs::read(shared.join(&relative)).expect("shared file is readable");
        assert!(
            ours == theirs,
            "{} differs from shared/spec",
            relative.display()
        );
        compared += 1;
    }
    assert!(compared >= 12, "only {compared} files compared");
}

/// Every example's request body and response bodies, against the operation it names.
/// The known flaw (`"imageType": "ImageType"`) must be caught, everything else must pass.
#[test]
fn spec_examples_validate_except_the_known_image_type_placeholder() {
    let spec = spec();
    let mut checked = 0;
    let mut rejected = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(crate_spec_dir().join("examples"))
        .expect("examples dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let example = read_json(&path);
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let operation_id = example["operationId"].as_str().expect("operationId");
        let op = spec
            .operation(operation_id)
            .unwrap_or_else(|| panic!("{name}: unknown op"));
        for (param, value) in example["parameters"].as_object().expect("parameters") {
            let is_body = [
                "resource",
                "uploadImageRequest",
                "properties",
                "listDeviceGroupsRequest",
            ]
            .contains(&param.as_str());
            if is_body && value.is_object() {
                spec.validate_request_body(&op.operation_id, value)
                    .unwrap_or_else(|e| panic!("{name}: request body rejected: {e}"));
                checked += 1;
            }
        }
        for (status, response) in example["responses"].as_object().expect("responses") {
            let status: u16 = status.parse().expect("numeric status");
            let body = response.get("body").cloned().unwrap_or(Value::Null);
            match spec.validate_response(operation_id, status, &body) {
                Ok(()) => {}
                Err(SpecViolation::Schema { messages, .. }) => {
                    rejected.push((name.clone(), messages));
                }
                Err(other) => panic!("{name} {status}: {other}"),
            }
            checked += 1;
        }
    }
    assert!(checked >= 12, "only {checked} bodies checked");
    let rejected_files: Vec<&str> = rejected.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        rejected_files,
        ["GetDeployment.json", "GetDeployments.json"]
    );
    for (name, messages) in &rejected {
        assert!(
            messages
                .iter()
                .all(|m| m.contains("imageType") && m.contains("\"ImageType\"")),
            "{name} was rejected for something else: {messages:?}"
        );
    }
}

/// The flawed example, repaired with a real enum name, passes: the rejection is the enum alone.
#[test]
fn repaired_deployment_example_validates() {
    let mut example = read_json(&crate_spec_dir().join("examples/GetDeployment.json"));
    let body = &mut example["responses"]["200"]["body"];
    body["properties"]["deployedImages"][0]["properties"]["imageType"] = json!("Applications");
    spec()
        .validate_response("Deployments_Get", 200, body)
        .expect("repaired example validates");
}

/// Every declared response and request schema of every operation compiles.
#[test]
fn every_schema_of_the_spec_compiles() {
    let spec = spec();
    assert!(
        spec.operations().len() >= 40,
        "{} operations",
        spec.operations().len()
    );
    for op in spec.operations() {
        for status in [200, 201, 202, 204, 404] {
            match spec.validate_response(&op.operation_id, status, &json!({})) {
                Err(SpecViolation::BrokenSchema { subject, message }) => {
                    panic!("{subject}: {message}")
                }
                _ => {}
            }
        }
        if let Err(SpecViolation::BrokenSchema { subject, message }) =
            spec.validate_request_body(&op.operation_id, &json!({}))
        {
            panic!("{subject}: {message}")
        }
    }
    spec.validate_definition("ct.OperationStatusResult", &json!({"status": "Succeeded"}))
        .expect("operation status compiles and validates");
}

/// Bad bodies, each with the kind of violation it must produce.
#[test]
fn bad_request_bodies_are_rejected_with_the_right_kind() {
    #[derive(Debug)]
    enum Kind {
        Schema(&'static str),
        MissingBody,
        Unknown,
    }
    let table: Vec<(&str, Value, Kind)> = vec![
        (
            "DeviceGroups_Update",
            json!({"properties": {"osFeedType": "Beta"}}),
            Kind::Schema("osFeedType"),
        ),
        (
            "DeviceGroups_Update",
            json!({"properties": {"updatePolicy": 0}}),
            Kind::Schema("updatePolicy"),
        ),
        (
            "Devices_Update",
            json!({"properties": {"deviceGroupId": 42}}),
            Kind::Schema("deviceGroupId"),
        ),
        ("Devices_Update", json!("just a string"), Kind::Schema("")),
        (
            "Deployments_CreateOrUpdate",
            json!({"properties": {"deployedImages": "not-an-array"}}),
            Kind::Schema("deployedImages"),
        ),
        (
            "Deployments_CreateOrUpdate",
            json!({"properties": {"deployedImages": [{"properties": {"regionalDataBoundary": "US"}}]}}),
            Kind::Schema("regionalDataBoundary"),
        ),
        (
            "Images_CreateOrUpdate",
            json!({"properties": {"image": ["AAAA"]}}),
            Kind::Schema("image"),
        ),
        // A catalog is a tracked resource: `location` is required.
        (
            "Catalogs_CreateOrUpdate",
            json!({"properties": {}}),
            Kind::Schema("location"),
        ),
        ("Images_CreateOrUpdate", Value::Null, Kind::MissingBody),
        ("Catalogs_UploadImage", Value::Null, Kind::MissingBody),
        ("No_Such_Operation", json!({}), Kind::Unknown),
    ];
    for (operation_id, body, expected) in table {
        let result = spec().validate_request_body(operation_id, &body);
        match (&expected, result) {
            (Kind::Schema(field), Err(SpecViolation::Schema { messages, .. })) => {
                assert!(
                    messages.iter().any(|m| m.contains(field)),
                    "{operation_id} {body}: {messages:?} does not name {field}"
                );
            }
            (Kind::MissingBody, Err(SpecViolation::MissingBody(_))) => {}
            (Kind::Unknown, Err(SpecViolation::UnknownOperation(_))) => {}
            (_, other) => panic!("{operation_id} {body}: expected {expected:?}, got {other:?}"),
        }
    }
}

/// Requests may carry read-only and unknown properties (ARM ignores them); responses may not carry
/// unknown ones (the simulator's own typo would hide there).
#[test]
fn requests_are_open_and_responses_are_closed() {
    let image_as_returned = json!({
        "id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.AzureSphere/catalogs/c/images/i",
        "name": "i", "type": "Microsoft.AzureSphere/catalogs/images",
        "properties": {"imageId": "i", "imageType": "Applications", "uri": "https://x/i", "componentId": "c"}
    });
    spec()
        .validate_request_body(
            "Deployments_CreateOrUpdate",
            &json!({"properties": {"deployedImages": [image_as_returned]}, "somethingElse": 1}),
        )
        .expect("read-only and unknown properties are accepted in requests");

    let typo = json!({
        "id": "/x", "name": "d", "type": "Microsoft.AzureSphere/catalogs/products/deviceGroups/devices",
        "properties": {"deviceId": "d", "lastOSUpdateUtc": "2024-01-01T00:00:00Z"}
    });
    match spec().validate_response("Devices_Get", 200, &typo) {
        Err(SpecViolation::Schema { messages, .. }) => {
            assert!(
                messages.iter().any(|m| m.contains("lastOSUpdateUtc")),
                "{messages:?}"
            )
        }
        other => panic!("a misspelt property passed: {other:?}"),
    }
    let relative_link = json!({"value": [], "nextLink": "page 2"});
    assert!(
        spec()
            .validate_response("Devices_ListByDeviceGroup", 200, &relative_link)
            .is_err(),
        "nextLink must be a URI"
    );
    let bad_date = json!({"id": "/x", "name": "d", "properties": {"lastOsUpdateUtc": "yesterday"}});
    assert!(spec()
        .validate_response("Devices_Get", 200, &bad_date)
        .is_err());
}

#[test]
fn response_statuses_follow_the_declared_ones() {
    let spec = spec();
    // Catalogs_UploadImage declares a bodiless 202 only.
    spec.validate_response("Catalogs_UploadImage", 202, &Value::Null)
        .expect("202 without body");
    assert!(matches!(
        spec.validate_response("Catalogs_UploadImage", 202, &json!({"x": 1})),
        Err(SpecViolation::UnexpectedBody { .. })
    ));
    assert!(matches!(
        spec.validate_response("Catalogs_UploadImage", 200, &json!({})),
        Err(SpecViolation::UndeclaredStatus { .. })
    ));
    // Errors fall back to the default response, the ARM error object.
    let error = json!({"error": {"code": "ResourceNotFound", "message": "m", "target": "t", "details": []}});
    spec.validate_response("Images_Get", 404, &error)
        .expect("ARM error object");
    assert!(spec
        .validate_response("Images_Get", 404, &json!({"Code": "x"}))
        .is_err());
    assert!(spec
        .validate_response("Images_Get", 404, &json!([{"ErrorCode": "x"}]))
        .is_err());
}

#[test]
fn request_paths_match_their_operations() {
    let c = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.AzureSphere/catalogs/cat";
    let table = [
        (
            "GET",
            "/subscriptions/s1/providers/Microsoft.AzureSphere/catalogs".to_owned(),
            Some("Catalogs_ListBySubscription"),
        ),
        ("GET", c.to_owned(), Some("Catalogs_Get")),
        (
            "POST",
            format!("{c}/countDevices"),
            Some("Catalogs_CountDevices"),
        ),
        (
            "POST",
            format!("{c}/listDeviceGroups"),
            Some("Catalogs_ListDeviceGroups"),
        ),
        (
            "POST",
            format!("{c}/uploadImage"),
            Some("Catalogs_UploadImage"),
        ),
        ("GET", format!("{c}/images/abc"), Some("Images_Get")),
        (
            "PUT",
            format!("{c}/images/abc"),
            Some("Images_CreateOrUpdate"),
        ),
        (
            "GET",
            format!("{c}/products/Product1/deviceGroups/My%20Group/devices"),
            Some("Devices_ListByDeviceGroup"),
        ),
        (
            "PATCH",
            format!("{c}/products/Product1/deviceGroups/G/devices/abc"),
            Some("Devices_Update"),
        ),
        (
            "PUT",
            format!("{c}/products/Product1/deviceGroups/G/deployments/.default"),
            Some("Deployments_CreateOrUpdate"),
        ),
        // ARM routes case-insensitively.
        (
            "get",
            format!("{c}/PRODUCTS/Product1/devicegroups"),
            Some("DeviceGroups_ListByProduct"),
        ),
        ("GET", format!("{c}/products/Product1/nonsense"), None),
        ("POST", format!("{c}/images/abc"), None),
    ];
    for (method, path, expected) in table {
        let found = spec().match_operation(method, &path);
        assert_eq!(
            found.as_ref().map(|m| m.operation.operation_id.as_str()),
            expected,
            "{method} {path}"
        );
    }
    let m = spec()
        .match_operation(
            "GET",
            &format!("{c}/products/Product1/deviceGroups/My%20Group/devices"),
        )
        .expect("matches");
    assert_eq!(m.parameter("deviceGroupName"), Some("My Group"));
    assert_eq!(m.parameter("catalogName"), Some("cat"));
    spec().validate_path_parameters(&m).expect("valid names");
    let bad = spec()
        .match_operation(
            "GET",
            "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.AzureSphere/catalogs/bad%20catalog/products/Product1",
        )
        .expect("matches");
    assert!(matches!(
        spec().validate_path_parameters(&bad),
        Err(SpecViolation::PathParameter { ref name, .. }) if name == "catalogName"
    ));
}
