//! One handler per implemented ARM operation, keyed by the spec's `operationId`.
//!
//! Handlers run after the front door (token, api-version, scope, body schema), so they deal with
//! the tenant only: they resolve names to tenant objects (case-insensitively, as ARM does), call
//! the shared state's methods and render the result. Operations of the spec that FOTA never uses
//! (certificates, claiming, deletion, capability images, insights) answer
//! `501 NotImplemented` in ARM's error format.

use axum::http::StatusCode;
use base64::Engine;
use serde_json::{json, Value};
use uuid::Uuid;

use super::error::ArmError;
use super::paging::PageRequest;
use super::render::{self, Scope, CURRENT_DEPLOYMENT, NO_GROUP, NO_PRODUCT};
use super::{Call, Reply};
use crate::state::{
    Device, DeviceGroup, DeviceGroupPatch, NewDeviceGroup, OsFeedType, Product, TenantState,
    UpdatePolicy,
};

pub(super) fn handle(call: &Call<'_>) -> Result<Reply, ArmError> {
    match call.operation_id() {
        "Catalogs_ListBySubscription" | "Catalogs_ListByResourceGroup" => {
            let body = call.app.tenant.read(|s| render::catalog(&call.scope, s));
            Ok(call.ok(json!({ "value": [body] })))
        }
        "Catalogs_Get" => Ok(call.ok(call.app.tenant.read(|s| render::catalog(&call.scope, s)))),
        "Catalogs_CountDevices" => count(call, |s| Ok(s.devices.len())),
        "Catalogs_ListDeviceGroups" => list_catalog_groups(call),
        "Catalogs_ListDevices" => call.app.tenant.read(|s| {
            let devices: Vec<&Device> = s.devices.iter().collect();
            list(call, &devices, |d| render::device(&call.scope, s, d))
        }),
        "Catalogs_ListDeployments" => call.app.tenant.read(|s| {
            let deployments: Vec<_> = s.deployments.iter().collect();
            list(call, &deployments, |d| {
                render::deployment(&call.scope, s, d)
            })
        }),
        "Catalogs_UploadImage" => upload_image(call),
        "Products_ListByCatalog" => call.app.tenant.read(|s| {
            let products: Vec<&Product> = s.products.iter().collect();
            list(call, &products, |p| render::product(&call.scope, p))
        }),
        "Products_Get" => call.app.tenant.read(|s| {
            let product = named_product(call, s)?
                .ok_or_else(|| not_found(call, "catalogs/products", NO_PRODUCT))?;
            Ok(call.ok(render::product(&call.scope, product)))
        }),
        "Products_CountDevices" => count(call, |s| {
            let product = named_product(call, s)?;
            let id = product.map(|p| p.id);
            Ok(s.devices.iter().filter(|d| d.product_id == id).count())
        }),
        "DeviceGroups_ListByProduct" => call.app.tenant.read(|s| {
            let product = named_product(call, s)?;
            let groups: Vec<&DeviceGroup> = s
                .groups
                .iter()
                .filter(|g| Some(g.product_id) == product.map(|p| p.id))
                .collect();
            list(call, &groups, |g| render::group(&call.scope, s, g))
        }),
        "DeviceGroups_Get" => call.app.tenant.read(|s| {
            let group = existing_group(call, s)?;
            Ok(call.ok(render::group(&call.scope, s, group)))
        }),
        "DeviceGroups_CreateOrUpdate" => put_group(call),
        "DeviceGroups_Update" => patch_group(call),
        "DeviceGroups_CountDevices" => count(call, |s| {
            let (product, group) = place(call, s)?;
            Ok(s.devices
                .iter()
                .filter(|d| in_place(d, product, group))
                .count())
        }),
        "Devices_ListByDeviceGroup" => call.app.tenant.read(|s| {
            let (product, group) = place(call, s)?;
            let devices: Vec<&Device> = s
                .devices
                .iter()
                .filter(|d| in_place(d, product, group))
                .collect();
            list(call, &devices, |d| render::device(&call.scope, s, d))
        }),
        "Devices_Get" => call.app.tenant.read(|s| {
            let device = placed_device(call, s)?;
            Ok(call.ok(render::device(&call.scope, s, device)))
        }),
        "Devices_Update" => move_device(call),
        "Images_ListByCatalog" => call.app.tenant.read(|s| {
            let images: Vec<_> = s.images.iter().collect();
            list(call, &images, |i| render::image(&call.scope, s, i))
        }),
        "Images_Get" => call.app.tenant.read(|s| {
            let name = call.param("imageName")?;
            let image = name
                .parse::<Uuid>()
                .ok()
                .and_then(|id| s.image(id).ok())
                .ok_or_else(|| not_found(call, "catalogs/images", name))?;
            Ok(call.ok(render::image(&call.scope, s, image)))
        }),
        "Images_CreateOrUpdate" => put_image(call),
        "Deployments_ListByDeviceGroup" => call.app.tenant.read(|s| {
            let group = existing_group(call, s)?;
            let deployments: Vec<_> = s.deployments_of(group.id).collect();
            list(call, &deployments, |d| {
                render::deployment(&call.scope, s, d)
            })
        }),
        "Deployments_Get" => call.app.tenant.read(|s| {
            let group = existing_group(call, s)?;
            let name = call.param("deploymentName")?;
            let id = if name == CURRENT_DEPLOYMENT {
                group.current_deployment
            } else {
                name.parse::<Uuid>().ok()
            };
            let deployment = id
                .and_then(|id| s.deployment(id).ok())
                .filter(|d| d.group_id == group.id)
                .ok_or_else(|| {
                    not_found(call, "catalogs/products/deviceGroups/deployments", name)
                })?;
            Ok(call.ok(render::deployment(&call.scope, s, deployment)))
        }),
        "Deployments_CreateOrUpdate" => put_deployment(call),
        other => Err(ArmError::not_implemented(other)),
    }
}

fn not_found(call: &Call<'_>, resource_type: &str, name: &str) -> ArmError {
    ArmError::resource_not_found(resource_type, name, &call.scope.resource_group)
}

/// One page of a list (see [`PageRequest`]); the list key is the lower-cased path, so a
/// `$skipToken` only works on the list that issued it.
fn list<T>(call: &Call<'_>, items: &[T], render: impl Fn(&T) -> Value) -> Result<Reply, ArmError> {
    let key = call.path.to_ascii_lowercase();
    let request = PageRequest::parse(&call.query, call.declares_paging(), &key)?;
    Ok(call.ok(request.page(items, render, &key, &call.self_url(), &call.query)))
}

fn count(
    call: &Call<'_>,
    counter: impl FnOnce(&TenantState) -> Result<usize, ArmError>,
) -> Result<Reply, ArmError> {
    let n = call.app.tenant.read(counter)?;
    Ok(call.ok(json!({ "value": i32::try_from(n).unwrap_or(i32::MAX) })))
}

/// The path's product: `None` for `.default` (devices in no product).
fn named_product<'s>(
    call: &Call<'_>,
    state: &'s TenantState,
) -> Result<Option<&'s Product>, ArmError> {
    let name = call.param("productName")?;
    if name.eq_ignore_ascii_case(NO_PRODUCT) {
        return Ok(None);
    }
    state
        .product_by_name(name)
        .map(Some)
        .map_err(|_| not_found(call, "catalogs/products", name))
}

/// The path's product and group, `None` standing for `.default` / `.unassigned`.
fn place<'s>(
    call: &Call<'_>,
    state: &'s TenantState,
) -> Result<(Option<&'s Product>, Option<&'s DeviceGroup>), ArmError> {
    let product = named_product(call, state)?;
    let name = call.param("deviceGroupName")?;
    if name.eq_ignore_ascii_case(NO_GROUP) {
        return Ok((product, None));
    }
    let group = product
        .and_then(|p| state.group_by_name(p.id, name).ok())
        .ok_or_else(|| not_found(call, "catalogs/products/deviceGroups", name))?;
    Ok((product, Some(group)))
}

/// The path's group, which must be a real one (not `.unassigned`).
fn existing_group<'s>(
    call: &Call<'_>,
    state: &'s TenantState,
) -> Result<&'s DeviceGroup, ArmError> {
    match place(call, state)? {
        (_, Some(group)) => Ok(group),
        (_, None) => Err(not_found(
            call,
            "catalogs/products/deviceGroups",
            call.param("deviceGroupName")?,
        )),
    }
}

fn in_place(device: &Device, product: Option<&Product>, group: Option<&DeviceGroup>) -> bool {
    match group {
        Some(group) => device.group_id == Some(group.id),
        None => device.group_id.is_none() && device.product_id == product.map(|p| p.id),
    }
}

/// The path's device, which must be where the path says it is.
fn placed_device<'s>(call: &Call<'_>, state: &'s TenantState) -> Result<&'s Device, ArmError> {
    let (product, group) = place(call, state)?;
    let name = call.param("deviceName")?;
    state
        .device_by_text(name)
        .ok()
        .filter(|d| in_place(d, product, group))
        .ok_or_else(|| not_found(call, "catalogs/products/deviceGroups/devices", name))
}

/// Body enums were checked against the spec already; a value the tenant does not know is
/// still refused rather than guessed.
fn enum_value<T>(
    body: &Value,
    key: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, ArmError> {
    match body
        .get("properties")
        .and_then(|p| p.get(key))
        .and_then(Value::as_str)
    {
        None => Ok(None),
        Some(text) => parse(text).map(Some).ok_or_else(|| {
            ArmError::invalid_request_content(format!("'{text}' is not a valid {key}."))
                .with_target(format!("properties.{key}"))
        }),
    }
}

fn group_patch(body: &Value) -> Result<DeviceGroupPatch, ArmError> {
    let properties = body.get("properties");
    Ok(DeviceGroupPatch {
        name: None,
        description: properties
            .and_then(|p| p.get("description"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        os_feed_type: enum_value(body, "osFeedType", OsFeedType::from_arm)?,
        update_policy: enum_value(body, "updatePolicy", UpdatePolicy::from_arm)?,
        allow_crash_dumps: enum_value(body, "allowCrashDumpsCollection", |t| match t {
            "Enabled" => Some(true),
            "Disabled" => Some(false),
            _ => None,
        })?,
        regional_data_boundary_eu: enum_value(body, "regionalDataBoundary", |t| match t {
            "EU" => Some(true),
            "None" => Some(false),
            _ => None,
        })?,
    })
}

/// `PUT deviceGroups/{name}`: creates the group (201) or changes an existing one (200).
/// Creation is synchronous in the tenant, so the answer carries the finished resource.
fn put_group(call: &Call<'_>) -> Result<Reply, ArmError> {
    let spec = crate::openapi::arm_spec().map_err(|e| ArmError::internal(e.to_string()))?;
    // ARM refuses a new resource's name outside the spec's pattern. Only the new name is
    // checked: the demo fleet's product names hold hyphens, which the spec's product pattern
    // does not allow (a real catalog could not hold them).
    // UNSURE: the code ARM gives for a bad name (`InvalidResourceName` assumed).
    spec.validate_path_parameter(&call.matched, "deviceGroupName")
        .map_err(|e| {
            ArmError::new(
                StatusCode::BAD_REQUEST,
                "InvalidResourceName",
                e.to_string(),
            )
        })?;
    let patch = group_patch(&call.body)?;
    let name = call.param("deviceGroupName")?.to_owned();
    let (product, existing) = call.app.tenant.read(|s| -> Result<_, ArmError> {
        let product = named_product(call, s)?
            .ok_or_else(|| not_found(call, "catalogs/products", NO_PRODUCT))?;
        Ok((
            product.id,
            s.group_by_name(product.id, &name).ok().map(|g| g.id),
        ))
    })?;
    let (status, group) = match existing {
        Some(id) => (StatusCode::OK, call.app.tenant.patch_group(id, patch)),
        None => {
            let new = NewDeviceGroup {
                product_id: product,
                name,
                description: patch.description.clone().unwrap_or_default(),
                // UNSURE: the service's defaults when a PUT leaves these out.
                os_feed_type: patch.os_feed_type.unwrap_or(OsFeedType::Retail),
                update_policy: patch.update_policy.unwrap_or(UpdatePolicy::UpdateAll),
                allow_crash_dumps: patch.allow_crash_dumps.unwrap_or(false),
            };
            let created = call.app.tenant.create_group(new).and_then(|g| {
                match patch.regional_data_boundary_eu {
                    Some(eu) => call.app.tenant.patch_group(
                        g.id,
                        DeviceGroupPatch {
                            regional_data_boundary_eu: Some(eu),
                            ..DeviceGroupPatch::default()
                        },
                    ),
                    None => Ok(g),
                }
            });
            (StatusCode::CREATED, created)
        }
    };
    let group = group.map_err(|e| call.tenant_error(&e))?;
    let body = call
        .app
        .tenant
        .read(|s| render::group(&call.scope, s, &group));
    Ok(Reply::json(status, body, call.contract()))
}

/// `PATCH deviceGroups/{name}`: synchronous, 200 with the changed group.
fn patch_group(call: &Call<'_>) -> Result<Reply, ArmError> {
    let patch = group_patch(&call.body)?;
    let id = call
        .app
        .tenant
        .read(|s| existing_group(call, s).map(|g| g.id))?;
    let group = call
        .app
        .tenant
        .patch_group(id, patch)
        .map_err(|e| call.tenant_error(&e))?;
    let body = call
        .app
        .tenant
        .read(|s| render::group(&call.scope, s, &group));
    Ok(call.ok(body))
}

/// Reads a full ARM device group id into `(product name, group name)`, checking that it names
/// a group of this catalog.
fn parse_group_id(scope: &Scope, text: &str) -> Option<(String, String)> {
    let segments: Vec<&str> = text.trim_matches('/').split('/').collect();
    let [subs, sub, rgs, rg, providers, provider, catalogs, catalog, products, product, groups, group] =
        segments[..]
    else {
        return None;
    };
    let literal = [
        (subs, "subscriptions"),
        (rgs, "resourceGroups"),
        (providers, "providers"),
        (provider, "Microsoft.AzureSphere"),
        (catalogs, "catalogs"),
        (products, "products"),
        (groups, "deviceGroups"),
    ];
    let ours = literal.iter().all(|(a, b)| a.eq_ignore_ascii_case(b))
        && sub.eq_ignore_ascii_case(&scope.subscription)
        && rg.eq_ignore_ascii_case(&scope.resource_group)
        && catalog.eq_ignore_ascii_case(&scope.catalog);
    ours.then(|| (product.to_owned(), group.to_owned()))
}

/// `PATCH devices/{id}` with `properties.deviceGroupId`: moves the device (202, LRO).
fn move_device(call: &Call<'_>) -> Result<Reply, ArmError> {
    // UNSURE: ARM's answer to a device PATCH without deviceGroupId (the spec makes it optional).
    let target = required_property(&call.body, "deviceGroupId", Value::as_str)?;
    let (device, group) = call.app.tenant.read(|s| -> Result<_, ArmError> {
        let device = placed_device(call, s)?.id;
        // UNSURE: a group id that is not a full ARM id of this catalog's group, or names a
        // missing group, is assumed to be a 400 BadRequest rather than a 404.
        let bad = || {
            ArmError::new(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                format!("'{target}' is not the id of a device group of this catalog."),
            )
            .with_target("properties.deviceGroupId")
        };
        let (product, group) = parse_group_id(&call.scope, target).ok_or_else(bad)?;
        let product = s.product_by_name(&product).map_err(|_| bad())?;
        let group = s.group_by_name(product.id, &group).map_err(|_| bad())?;
        Ok((device, group.id))
    })?;
    let operation = call
        .app
        .tenant
        .move_device(&device, group)
        .map_err(|e| call.tenant_error(&e))?;
    Ok(call.accepted(&operation))
}

/// `properties.<key>` of a body, read as `read` reads it, which the handler cannot do without.
/// The spec makes every property optional, so its absence is only caught here.
fn required_property<'b, T: ?Sized>(
    body: &'b Value,
    key: &str,
    read: impl Fn(&'b Value) -> Option<&'b T>,
) -> Result<&'b T, ArmError> {
    body.get("properties")
        .and_then(|p| p.get(key))
        .and_then(read)
        .ok_or_else(|| {
            ArmError::invalid_request_content(format!("properties.{key} is required."))
                .with_target(format!("properties.{key}"))
        })
}

/// The package bytes of an image body (`properties.image`, base64).
fn image_bytes(body: &Value) -> Result<Vec<u8>, ArmError> {
    let text = required_property(body, "image", Value::as_str)?;
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| {
            // UNSURE: the code ARM gives for an image that is not base64.
            ArmError::new(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                format!("properties.image is not valid base 64: {e}"),
            )
            .with_target("properties.image")
        })
}

/// `POST {C}/uploadImage`: 202 with `Location`; the final `Location` answer is the image.
fn upload_image(call: &Call<'_>) -> Result<Reply, ArmError> {
    let bytes = image_bytes(&call.body)?;
    let (_, operation) = call
        .app
        .tenant
        .add_image(&bytes)
        .map_err(|e| call.tenant_error(&e))?;
    Ok(call.accepted(&operation))
}

/// `PUT {C}/images/{imageId}`: 201 with the image (Provisioning) and `Azure-AsyncOperation`.
/// The path's name must be the package's own image id (or `.default`, which the spec's example
/// uses); putting an image that already exists answers 200 with it, as a PUT is idempotent.
fn put_image(call: &Call<'_>) -> Result<Reply, ArmError> {
    let bytes = image_bytes(&call.body)?;
    let facts = crate::package::facts(&bytes).map_err(|e| call.tenant_error(&e))?;
    let name = call.param("imageName")?;
    let named = name.parse::<Uuid>().ok();
    if named != Some(facts.image_id) && name != ".default" {
        // UNSURE: the real service's answer when the path's id is not the package's.
        return Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            format!(
                "The image name '{name}' is not the image id {} inside the package.",
                facts.image_id
            ),
        )
        .with_target("imageName"));
    }
    let existing = call.app.tenant.read(|s| {
        s.image(facts.image_id)
            .ok()
            .map(|i| render::image(&call.scope, s, i))
    });
    if let Some(body) = existing {
        // UNSURE: re-putting an uploaded image is assumed to be a no-op answered 200.
        return Ok(call.ok(body));
    }
    let (image, operation) = call
        .app
        .tenant
        .add_image(&bytes)
        .map_err(|e| call.tenant_error(&e))?;
    let body = call
        .app
        .tenant
        .read(|s| render::image(&call.scope, s, &image));
    Ok(call.created(&operation, body))
}

/// The image id an element of `deployedImages` names: `properties.imageId`, else the last
/// segment of `id`, else `name` (clients send images back as `Images_Get` returned them).
// UNSURE: the minimal element the real service accepts.
fn deployed_image_id(element: &Value) -> Option<Uuid> {
    let from_properties = element
        .get("properties")
        .and_then(|p| p.get("imageId"))
        .and_then(Value::as_str);
    let from_id = element
        .get("id")
        .and_then(Value::as_str)
        .and_then(|id| id.rsplit('/').next());
    let from_name = element.get("name").and_then(Value::as_str);
    [from_properties, from_id, from_name]
        .into_iter()
        .flatten()
        .find_map(|text| text.parse::<Uuid>().ok())
}

// UNSURE: any deployment name is accepted on PUT (the new deployment gets a fresh id); the
// service may insist on `.default`.
/// `PUT deployments/{name}` (normally `.default`): 201 with the deployment (Provisioning) and
/// `Azure-AsyncOperation`; it becomes the group's current deployment when the operation ends.
fn put_deployment(call: &Call<'_>) -> Result<Reply, ArmError> {
    // UNSURE: whether the service accepts a deployment without deployedImages.
    let elements = required_property(&call.body, "deployedImages", Value::as_array)?;
    let mut images = Vec::with_capacity(elements.len());
    for (index, element) in elements.iter().enumerate() {
        let id = deployed_image_id(element).ok_or_else(|| {
            ArmError::invalid_request_content(format!(
                "properties.deployedImages[{index}] names no image id."
            ))
            .with_target(format!("properties.deployedImages[{index}]"))
        })?;
        images.push(id);
    }
    let group = call
        .app
        .tenant
        .read(|s| existing_group(call, s).map(|g| g.id))?;
    let (deployment, operation) = call
        .app
        .tenant
        .create_deployment(group, images)
        .map_err(|e| call.tenant_error(&e))?;
    let body = call
        .app
        .tenant
        .read(|s| render::deployment(&call.scope, s, &deployment));
    Ok(call.created(&operation, body))
}

/// `POST {C}/listDeviceGroups`: every group of the catalog, optionally one name only.
fn list_catalog_groups(call: &Call<'_>) -> Result<Reply, ArmError> {
    let wanted = call
        .body
        .get("deviceGroupName")
        .and_then(Value::as_str)
        .map(str::to_owned);
    call.app.tenant.read(|s| {
        let groups: Vec<&DeviceGroup> = s
            .groups
            .iter()
            .filter(|g| {
                wanted
                    .as_deref()
                    .is_none_or(|w| g.name.eq_ignore_ascii_case(w))
            })
            .collect();
        list(call, &groups, |g| render::group(&call.scope, s, g))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope {
            base: "http://x/arm".into(),
            subscription: "sub".into(),
            resource_group: "rg".into(),
            catalog: "cat".into(),
        }
    }

    #[test]
    fn group_ids_must_name_this_catalog() {
        let table = [
            (
                "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.AzureSphere/catalogs/cat/products/P x/deviceGroups/G y",
                Some(("P x", "G y")),
            ),
            (
                "/SUBSCRIPTIONS/SUB/resourcegroups/RG/providers/microsoft.azuresphere/catalogs/CAT/products/p/devicegroups/g",
                Some(("p", "g")),
            ),
            ("/subscriptions/other/resourceGroups/rg/providers/Microsoft.AzureSphere/catalogs/cat/products/p/deviceGroups/g", None),
            ("/subscriptions/sub/resourceGroups/rg/providers/Microsoft.AzureSphere/catalogs/cat/products/p", None),
            ("3f2504e0-4f89-11d3-9a0c-0305e82c3301", None),
            ("", None),
        ];
        for (text, expected) in table {
            let got = parse_group_id(&scope(), text);
            assert_eq!(
                got.as_ref().map(|(p, g)| (p.as_str(), g.as_str())),
                expected,
                "{text}"
            );
        }
    }

    #[test]
    fn deployed_images_are_named_by_image_id_then_id_then_name() {
        let id = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
        let table = [
            (json!({"properties": {"imageId": id}}), true),
            (
                json!({"id": format!("/subscriptions/s/.../images/{id}")}),
                true,
            ),
            (json!({"name": id}), true),
            (
                json!({"properties": {"imageId": "not-a-guid"}, "name": id}),
                true,
            ),
            (json!({"properties": {}}), false),
            (json!({}), false),
        ];
        for (element, found) in table {
            assert_eq!(deployed_image_id(&element).is_some(), found, "{element}");
        }
    }
}
