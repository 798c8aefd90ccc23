//! How the tenant's objects look as ARM resources: ids, names, types and `properties`.
//!
//! Everything here is a pure function of the tenant state and the [`Scope`] (which subscription,
//! resource group and catalog the tenant is shown as), so the legacy and ARM views of one object
//! can never disagree. Every body built here is checked against the spec in debug builds.

use serde_json::{json, Map, Value};
use uuid::Uuid;

use crate::service::rfc3339;
use crate::state::{
    Deployment, Device, DeviceGroup, Image, OperationEffect, OperationState, Product, TenantState,
    OS_VERSIONS,
};

/// ARM's name for "no product" in a path.
pub const NO_PRODUCT: &str = ".default";
/// ARM's name for "no device group" in a path.
pub const NO_GROUP: &str = ".unassigned";
/// The deployment name that stands for a group's current deployment.
pub const CURRENT_DEPLOYMENT: &str = ".default";

const PROVIDER: &str = "Microsoft.AzureSphere";

/// Where the tenant lives in ARM: the one catalog of the demo subscription.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The ARM base URL (`http://127.0.0.1:P/arm`), for absolute links.
    pub base: String,
    pub subscription: String,
    pub resource_group: String,
    pub catalog: String,
}

impl Scope {
    /// `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.AzureSphere/catalogs/{c}`.
    pub fn catalog_id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/{PROVIDER}/catalogs/{}",
            self.subscription, self.resource_group, self.catalog
        )
    }

    pub fn product_id(&self, product: &str) -> String {
        format!("{}/products/{product}", self.catalog_id())
    }

    pub fn group_id(&self, product: &str, group: &str) -> String {
        format!("{}/deviceGroups/{group}", self.product_id(product))
    }

    pub fn image_id(&self, image: Uuid) -> String {
        format!("{}/images/{image}", self.catalog_id())
    }

    /// The subscription-level id of an asynchronous operation's status resource.
    pub fn operation_status_id(&self, operation: Uuid) -> String {
        format!(
            "/subscriptions/{}/providers/{PROVIDER}/locations/global/operationStatuses/{operation}",
            self.subscription
        )
    }

    /// An absolute URL for an ARM resource path (already percent-encoded where needed).
    pub fn url(&self, encoded_path: &str) -> String {
        format!(
            "{}{encoded_path}?api-version={}",
            self.base,
            super::error::API_VERSION
        )
    }
}

/// Percent-encodes one path segment (names may hold spaces).
pub fn encode_segment(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        // form encoding turns a space into `+`, which a path does not decode.
        .replace('+', "%20")
}

/// The ARM `systemData`-free resource envelope.
fn resource(id: String, name: &str, resource_type: &str, properties: Value) -> Value {
    json!({
        "id": id,
        "name": name,
        "type": format!("{PROVIDER}/{resource_type}"),
        "properties": properties,
    })
}

/// Inserts `key` only when there is a value (ARM omits unknown times rather than sending null).
fn insert_opt(map: &mut Map<String, Value>, key: &str, value: Option<String>) {
    if let Some(value) = value {
        map.insert(key.to_owned(), Value::String(value));
    }
}

/// The catalog (a tracked resource, so it has a location).
pub fn catalog(scope: &Scope, state: &TenantState) -> Value {
    json!({
        "id": scope.catalog_id(),
        "name": scope.catalog,
        "type": format!("{PROVIDER}/catalogs"),
        // UNSURE: catalogs are global resources ("global" is what the spec's examples show).
        "location": "global",
        "tags": {},
        "properties": {
            "tenantId": state.info.id.to_string(),
            "provisioningState": "Succeeded",
        },
    })
}

pub fn product(scope: &Scope, product: &Product) -> Value {
    resource(
        scope.product_id(&product.name),
        &product.name,
        "catalogs/products",
        json!({"description": product.description, "provisioningState": "Succeeded"}),
    )
}

/// The product name a group or device shows under (`.default` when none).
fn product_name(state: &TenantState, product: Option<Uuid>) -> String {
    product
        .and_then(|id| state.product(id).ok())
        .map(|p| p.name.clone())
        .unwrap_or_else(|| NO_PRODUCT.to_owned())
}

pub fn group(scope: &Scope, state: &TenantState, group: &DeviceGroup) -> Value {
    let product = product_name(state, Some(group.product_id));
    resource(
        scope.group_id(&product, &group.name),
        &group.name,
        "catalogs/products/deviceGroups",
        json!({
            "description": group.description,
            "osFeedType": group.os_feed_type.arm(),
            "updatePolicy": group.update_policy.arm(),
            "allowCrashDumpsCollection": if group.allow_crash_dumps { "Enabled" } else { "Disabled" },
            "regionalDataBoundary": if group.regional_data_boundary_eu { "EU" } else { "None" },
            "hasDeployment": group.current_deployment.is_some(),
            "provisioningState": "Succeeded",
        }),
    )
}

/// The product and group names a device shows under (`.default` / `.unassigned` when none).
pub fn device_place(state: &TenantState, device: &Device) -> (String, String) {
    let group = device.group_id.and_then(|id| state.group(id).ok());
    let product = product_name(state, device.product_id.or(group.map(|g| g.product_id)));
    let group = group
        .map(|g| g.name.clone())
        .unwrap_or_else(|| NO_GROUP.to_owned());
    (product, group)
}

pub fn device(scope: &Scope, state: &TenantState, device: &Device) -> Value {
    let (product, group) = device_place(state, device);
    let id = device.id.upper();
    let mut properties = Map::new();
    properties.insert("deviceId".to_owned(), json!(id));
    // UNSURE: ARM's chipSku text; the ASG210 carries an MT3620AN, the only SKU in the field.
    properties.insert("chipSku".to_owned(), json!(chip_sku(device.chip_sku)));
    insert_opt(
        &mut properties,
        "lastAvailableOsVersion",
        OS_VERSIONS
            .get(usize::from(device.available_os))
            .map(|v| v.to_string()),
    );
    insert_opt(
        &mut properties,
        "lastInstalledOsVersion",
        OS_VERSIONS
            .get(usize::from(device.installed_os))
            .map(|v| v.to_string()),
    );
    insert_opt(
        &mut properties,
        "lastOsUpdateUtc",
        device.last_os_update.map(rfc3339),
    );
    insert_opt(
        &mut properties,
        "lastUpdateRequestUtc",
        device.last_update_request.map(rfc3339),
    );
    properties.insert("provisioningState".to_owned(), json!("Succeeded"));
    resource(
        format!("{}/devices/{id}", scope.group_id(&product, &group)),
        &id,
        "catalogs/products/deviceGroups/devices",
        Value::Object(properties),
    )
}

fn chip_sku(sku: u8) -> &'static str {
    match sku {
        0 => "MT3620AN",
        _ => "Unknown",
    }
}

/// ARM's `imageType` name for Azure Sphere's numeric image type.
// UNSURE: only 10 (Applications) and 21 (CustomerBoardConfig) are confirmed; the other numbers
// follow the order of the SDK's image type list and matter to no FOTA image.
pub fn image_type_name(image_type: u16) -> &'static str {
    match image_type {
        0 => "InvalidImageType",
        1 => "OneBl",
        2 => "PlutonRuntime",
        3 => "WifiFirmware",
        4 => "SecurityMonitor",
        5 => "NormalWorldLoader",
        6 => "NormalWorldDtb",
        7 => "NormalWorldKernel",
        8 => "RootFs",
        9 => "Services",
        10 => "Applications",
        13 => "FwConfig",
        16 => "BootManifest",
        17 => "Nwfs",
        19 => "TrustedKeystore",
        20 => "Policy",
        21 => "CustomerBoardConfig",
        23 => "UpdateCertStore",
        24 => "BaseSystemUpdateManifest",
        25 => "FirmwareUpdateManifest",
        26 => "CustomerUpdateManifest",
        27 => "RecoveryManifest",
        28 => "ManifestSet",
        _ => "Other",
    }
}

/// ARM's `provisioningState` for a resource whose creation is an operation.
fn provisioning_state(
    state: &TenantState,
    is_it: impl Fn(&OperationEffect) -> bool,
) -> &'static str {
    match state.operations.iter().rev().find(|o| is_it(&o.effect)) {
        None => "Succeeded",
        Some(op) => match op.state {
            OperationState::NotStarted => "Accepted",
            OperationState::InProgress => "Provisioning",
            OperationState::Complete => "Succeeded",
            OperationState::Failed | OperationState::CompleteWithErrors => "Failed",
        },
    }
}

pub fn image(scope: &Scope, state: &TenantState, image: &Image) -> Value {
    let id = scope.image_id(image.id);
    // UNSURE: the real `uri` is a storage URL; the image's own resource URL stands in for it.
    let uri = format!("{}{id}", scope.base);
    let provisioning = if image.ready {
        "Succeeded"
    } else {
        provisioning_state(
            state,
            |e| matches!(e, OperationEffect::ImageUpload { image: i } if *i == image.id),
        )
    };
    resource(
        id,
        &image.id.to_string(),
        "catalogs/images",
        json!({
            // The spec: "This field contains the image URI on image reads."
            "image": uri,
            "imageId": image.id.to_string(),
            "imageName": image.name,
            // UNSURE: images uploaded without a boundary report `None`.
            "regionalDataBoundary": "None",
            "uri": uri,
            "description": image.description,
            "componentId": image.component_id.to_string(),
            "imageType": image_type_name(image.image_type),
            "provisioningState": provisioning,
        }),
    )
}

pub fn deployment(scope: &Scope, state: &TenantState, deployment: &Deployment) -> Value {
    let group = state.group(deployment.group_id).ok();
    let product = product_name(state, group.map(|g| g.product_id));
    let group_name = group
        .map(|g| g.name.clone())
        .unwrap_or_else(|| NO_GROUP.to_owned());
    let images: Vec<Value> = deployment
        .images
        .iter()
        .filter_map(|id| state.image(*id).ok())
        .map(|i| image(scope, state, i))
        .collect();
    let id = deployment.id.to_string();
    resource(
        format!("{}/deployments/{id}", scope.group_id(&product, &group_name)),
        &id,
        "catalogs/products/deviceGroups/deployments",
        json!({
            "deploymentId": id,
            "deployedImages": images,
            "deploymentDateUtc": rfc3339(deployment.created),
            "provisioningState": provisioning_state(
                state,
                |e| matches!(e, OperationEffect::Deploy { deployment: d, .. } if *d == deployment.id),
            ),
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded_for_paths() {
        assert_eq!(encode_segment("Field Test"), "Field%20Test");
        assert_eq!(encode_segment(".default"), ".default");
        assert_eq!(encode_segment("a+b"), "a%2Bb");
    }

    #[test]
    fn fota_image_types_have_their_arm_names() {
        assert_eq!(image_type_name(10), "Applications");
        assert_eq!(image_type_name(21), "CustomerBoardConfig");
        assert_eq!(image_type_name(999), "Other");
    }
}
