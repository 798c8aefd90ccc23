//! The legacy Azure Sphere public API (AS3), served under `/as3/v2/...`.
//!
//! Owns the legacy wire format: PascalCase fields, integer enums, request JSON keys read
//! case-insensitively (the service is .NET), bare-array and bare-string bodies where the service
//! takes them, `{"Items","ContinuationToken"}` paging driven by `?maxPageSize=` and the
//! `Sphere-Continuation` request header, errors as a JSON array, and asynchronous calls answered
//! with an Operation. Every call needs a bearer token for `https://sphere.azure.net/api` (or the
//! first-party audience of service principals).
//!
//! | call | answer |
//! |---|---|
//! | `GET /v2/tenants` | bare array `[{"Id","Name","Roles"}]` |
//! | `GET /v2/tenants/{t}/users/{user}/role` | `{"Roles":[{"TenantId","RoleNames"}]}` |
//! | `GET /v2/tenants/{t}/products` | paged Product |
//! | `GET`/`POST /v2/tenants/{t}/devicegroups`, `GET /v2/tenants/{t}/products/{p}/deviceGroups` | paged DeviceGroup / 200 DeviceGroup |
//! | `GET`/`PATCH /v2/tenants/{t}/devicegroups/{dg}` | DeviceGroup |
//! | `GET /v2/tenants/{t}/devicegroups/{dg}/devices`, `GET /v2/tenants/{t}/devices` | paged Device |
//! | `GET /v2/tenants/{t}/devices/{id}` | Device |
//! | `PUT /v2/tenants/{t}/devices/{id}/devicegroup` (bare JSON string) | 202 Operation |
//! | `POST /v2/tenants/{t}/images` (raw bytes) | 200 Operation |
//! | `GET /v2/tenants/{t}/images`, `GET .../images/{id}/metadata` | paged ImageMetadata / ImageMetadata |
//! | `POST`/`GET /v2/tenants/{t}/devicegroups/{dg}/deployments` (bare JSON array) | 202 Operation / paged Deployment |
//! | `GET /v2/tenants/{t}/deployments/{id}` | Deployment |
//! | `GET /v2/tenants/{t}/operations/{op}` | Operation |

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{json, Map, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::identity::{self, Audience};
use crate::paging;
use crate::service::{self, Service};
use crate::state::{
    self, Deployment, Device, DeviceGroup, DeviceGroupPatch, DeviceId, Image, NewDeviceGroup,
    Operation, OperationEffect, OsFeedType, TenantError, TenantState, UpdatePolicy, OS_VERSIONS,
};
use crate::AppState;

/// Page size when the request gives no `maxPageSize`.
// UNSURE: the legacy service's default and maximum page sizes are not documented.
const DEFAULT_PAGE_SIZE: usize = 100;
/// Larger `maxPageSize` values are cut to this.
const MAX_PAGE_SIZE: usize = 1000;

/// A legacy API error answer.
struct LegacyError(StatusCode, &'static str, String);

impl IntoResponse for LegacyError {
    fn into_response(self) -> Response {
        service::legacy_error(self.0, self.1, &self.2)
    }
}

impl From<TenantError> for LegacyError {
    fn from(e: TenantError) -> Self {
        match e {
            TenantError::NotFound { .. } => {
                LegacyError(StatusCode::NOT_FOUND, "NotFound", e.to_string())
            }
            TenantError::BadRequest(text) => {
                LegacyError(StatusCode::BAD_REQUEST, "BadRequest", text)
            }
            TenantError::Conflict(text) => LegacyError(StatusCode::CONFLICT, "Conflict", text),
        }
    }
}

fn bad_request(text: impl Into<String>) -> LegacyError {
    LegacyError(StatusCode::BAD_REQUEST, "BadRequest", text.into())
}

type LegacyResult = Result<Response, LegacyError>;

// ----- wire shapes -------------------------------------------------------------------------

#[derive(Serialize)]
struct DeploymentOut {
    #[serde(rename = "Id")]
    id: Uuid,
    #[serde(rename = "TenantId")]
    tenant_id: Uuid,
    #[serde(rename = "DeploymentDateUtc", with = "time::serde::rfc3339")]
    date: OffsetDateTime,
    #[serde(rename = "DeployedImages")]
    images: Vec<Uuid>,
}

fn deployment_out(tenant: Uuid, d: &Deployment) -> DeploymentOut {
    DeploymentOut {
        id: d.id,
        tenant_id: tenant,
        date: d.created,
        images: d.images.clone(),
    }
}

#[derive(Serialize)]
struct GroupOut {
    #[serde(rename = "Id")]
    id: Uuid,
    #[serde(rename = "TenantId")]
    tenant_id: Uuid,
    #[serde(rename = "ProductId")]
    product_id: Uuid,
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Description")]
    description: String,
    #[serde(rename = "OsFeedType")]
    os_feed_type: u8,
    #[serde(rename = "UpdatePolicy")]
    update_policy: u8,
    #[serde(rename = "AllowCrashDumpsCollection")]
    allow_crash_dumps: bool,
    #[serde(rename = "CurrentDeployment")]
    current_deployment: Option<DeploymentOut>,
}

fn group_out(s: &TenantState, g: &DeviceGroup) -> GroupOut {
    GroupOut {
        id: g.id,
        tenant_id: s.info.id,
        product_id: g.product_id,
        name: g.name.clone(),
        description: g.description.clone(),
        os_feed_type: g.os_feed_type.legacy(),
        update_policy: g.update_policy.legacy(),
        allow_crash_dumps: g.allow_crash_dumps,
        current_deployment: g
            .current_deployment
            .and_then(|id| s.deployment(id).ok())
            .map(|d| deployment_out(s.info.id, d)),
    }
}

#[derive(Serialize)]
struct DeviceOut {
    #[serde(rename = "DeviceId")]
    id: DeviceId,
    #[serde(rename = "TenantId")]
    tenant_id: Uuid,
    #[serde(rename = "ProductId")]
    product_id: Option<Uuid>,
    #[serde(rename = "DeviceGroupId")]
    group_id: Option<Uuid>,
    #[serde(rename = "ChipSku")]
    chip_sku: u8,
    #[serde(rename = "LastAvailableOSVersion")]
    available_os: &'static str,
    #[serde(rename = "LastInstalledOSVersion")]
    installed_os: &'static str,
    #[serde(rename = "LastOSUpdateUTC", with = "time::serde::rfc3339::option")]
    last_os_update: Option<OffsetDateTime>,
    #[serde(rename = "LastUpdateRequestUTC", with = "time::serde::rfc3339::option")]
    last_update_request: Option<OffsetDateTime>,
}

fn os_name(index: u8) -> &'static str {
    OS_VERSIONS
        .get(index as usize)
        .copied()
        .unwrap_or(OS_VERSIONS[OS_VERSIONS.len() - 1])
}

fn device_out(tenant: Uuid, d: &Device) -> DeviceOut {
    DeviceOut {
        id: d.id,
        tenant_id: tenant,
        product_id: d.product_id,
        group_id: d.group_id,
        chip_sku: d.chip_sku,
        available_os: os_name(d.available_os),
        installed_os: os_name(d.installed_os),
        last_os_update: d.last_os_update,
        last_update_request: d.last_update_request,
    }
}

#[derive(Serialize)]
struct ImageOut {
    #[serde(rename = "Id")]
    id: Uuid,
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "ComponentId")]
    component_id: Uuid,
    #[serde(rename = "Description")]
    description: String,
    #[serde(rename = "Type")]
    image_type: u16,
}

fn image_out(i: &Image) -> ImageOut {
    ImageOut {
        id: i.id,
        name: i.name.clone(),
        component_id: i.component_id,
        description: i.description.clone(),
        image_type: i.image_type,
    }
}

/// The Operation object; `ResourceLocation` is a path relative to the API base.
// UNSURE: whether ResourceLocation is relative or absolute, and what DetailsLocation holds.
fn operation_json(tenant: Uuid, op: &Operation) -> Value {
    let resource = match &op.effect {
        OperationEffect::MoveDevice { device, .. } => {
            format!("/v2/tenants/{tenant}/devices/{device}")
        }
        OperationEffect::Deploy { deployment, .. } => {
            format!("/v2/tenants/{tenant}/deployments/{deployment}")
        }
        OperationEffect::ImageUpload { image } => {
            format!("/v2/tenants/{tenant}/images/{image}/metadata")
        }
    };
    json!({
        "OperationId": op.id,
        "TenantId": tenant,
        "OperationType": op.kind.legacy(),
        "State": op.state.legacy(),
        "CreatedDateUTC": service::rfc3339(op.created),
        "StartedDateUTC": op.started.map(service::rfc3339),
        "CompletedDateUTC": op.completed.map(service::rfc3339),
        "ResourceLocation": resource,
        "DetailsLocation": null,
        "Error": op.error.as_ref().map(|e| json!({"Code": e.code, "Message": e.message})),
    })
}

// ----- request helpers -------------------------------------------------------------------------

/// A query parameter, its name compared case-insensitively.
fn query_param(query: &Option<String>, name: &str) -> Option<String> {
    let query = query.as_deref()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.into_owned())
}

/// A list request's `maxPageSize` query parameter and `Sphere-Continuation` header.
struct PageQuery {
    max_page_size: Option<String>,
    continuation: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for PageQuery {
    type Rejection = LegacyError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().map(str::to_string);
        Ok(PageQuery {
            max_page_size: query_param(&query, "maxPageSize"),
            continuation: parts
                .headers
                .get("sphere-continuation")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
                .filter(|t| !t.trim().is_empty()),
        })
    }
}

impl PageQuery {
    /// Where the page of the list named `key` starts and how long it is.
    fn window(&self, key: &str) -> Result<(usize, usize), LegacyError> {
        let size = match &self.max_page_size {
            Some(text) => match text.parse::<usize>() {
                Ok(n) if n >= 1 => n.min(MAX_PAGE_SIZE),
                _ => return Err(bad_request("maxPageSize must be a positive integer")),
            },
            None => DEFAULT_PAGE_SIZE,
        };
        let offset = match &self.continuation {
            Some(token) => paging::decode(key, token).map_err(|e| bad_request(e.to_string()))?,
            None => 0,
        };
        Ok((offset, size))
    }
}

fn paged<T: Serialize>(items: Vec<T>, next: Option<usize>, key: &str) -> Response {
    #[derive(Serialize)]
    struct PageOut<T> {
        #[serde(rename = "Items")]
        items: Vec<T>,
        #[serde(rename = "ContinuationToken")]
        token: Option<String>,
    }
    Json(PageOut {
        items,
        token: next.map(|offset| paging::encode(key, offset)),
    })
    .into_response()
}

/// The request body as a JSON value.
fn json_body(body: &Bytes) -> Result<Value, LegacyError> {
    serde_json::from_slice(body)
        .map_err(|e| bad_request(format!("The request body is not valid JSON: {e}")))
}

/// A field of a JSON object, its name compared case-insensitively (the service is .NET).
fn field<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
}

fn string_field(object: &Map<String, Value>, name: &str) -> Result<Option<String>, LegacyError> {
    match field(object, name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad_request(format!("{name} must be a string"))),
    }
}

fn int_field(object: &Map<String, Value>, names: &[&str]) -> Result<Option<u64>, LegacyError> {
    for name in names {
        match field(object, name) {
            None => continue,
            Some(v) => {
                return v
                    .as_u64()
                    .map(Some)
                    .ok_or_else(|| bad_request(format!("{name} must be an integer")))
            }
        }
    }
    Ok(None)
}

fn parse_uuid(text: &str, what: &'static str) -> Result<Uuid, LegacyError> {
    Uuid::parse_str(text.trim()).map_err(|_| {
        LegacyError(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("{what} {text} was not found"),
        )
    })
}

/// The simulated tenant's id.
fn tenant_id(app: &AppState) -> Uuid {
    app.tenant.read(|s| s.info.id)
}

/// Checks that a `/v2/tenants/{t}/...` path names the simulated tenant.
// UNSURE: the real service's answer for a tenant the caller has no access to (403 assumed).
fn check_tenant(app: &AppState, path: &str) -> Result<(), LegacyError> {
    let mut segments = path.trim_start_matches('/').split('/');
    let (Some("v2"), Some("tenants"), Some(tenant)) =
        (segments.next(), segments.next(), segments.next())
    else {
        return Ok(());
    };
    if Uuid::parse_str(tenant).ok() == Some(tenant_id(app)) {
        Ok(())
    } else {
        Err(LegacyError(
            StatusCode::FORBIDDEN,
            "Forbidden",
            format!("The caller has no access to tenant {tenant}"),
        ))
    }
}

// ----- handlers --------------------------------------------------------------------------------

async fn tenants(State(app): State<AppState>) -> Response {
    let body = app
        .tenant
        .read(|s| json!([{ "Id": s.info.id, "Name": s.info.name, "Roles": ["Administrator"] }]));
    Json(body).into_response()
}

async fn role(
    State(app): State<AppState>,
    Path((_, user)): Path<(String, String)>,
) -> LegacyResult {
    let tenant = tenant_id(&app);
    let demo = &app.demo;
    let user = user.to_ascii_lowercase();
    let roles = if user == demo.user_upn.to_ascii_lowercase() || user == demo.user_object_id {
        "Administrator"
    } else if user.starts_with(&demo.service_principal_object_id) {
        "Contributor"
    } else {
        return Err(LegacyError(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("user {user} has no role in tenant {tenant}"),
        ));
    };
    Ok(Json(json!({"Roles": [{"TenantId": tenant, "RoleNames": [roles]}]})).into_response())
}

async fn products(State(app): State<AppState>, page: PageQuery) -> LegacyResult {
    let tenant = tenant_id(&app);
    let (offset, size) = page.window("products")?;
    let page = app
        .tenant
        .read(|s| state::page(s.products.iter(), offset, size));
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|p| json!({"Id": p.id, "TenantId": tenant, "Name": p.name, "Description": p.description}))
        .collect();
    Ok(paged(items, page.next_offset, "products"))
}

async fn groups(State(app): State<AppState>, page: PageQuery) -> LegacyResult {
    let (offset, size) = page.window("groups")?;
    let (items, next) = app.tenant.read(|s| {
        let page = state::page(s.groups.iter(), offset, size);
        (
            page.items
                .iter()
                .map(|g| group_out(s, g))
                .collect::<Vec<_>>(),
            page.next_offset,
        )
    });
    Ok(paged(items, next, "groups"))
}

async fn product_groups(
    State(app): State<AppState>,
    Path((_, p)): Path<(String, String)>,
    page: PageQuery,
) -> LegacyResult {
    let product = parse_uuid(&p, "product")?;
    let key = format!("groups:{product}");
    let (offset, size) = page.window(&key)?;
    let (items, next) = app.tenant.read(|s| -> Result<_, TenantError> {
        s.product(product)?;
        let page = state::page(
            s.groups.iter().filter(|g| g.product_id == product),
            offset,
            size,
        );
        Ok((
            page.items
                .iter()
                .map(|g| group_out(s, g))
                .collect::<Vec<_>>(),
            page.next_offset,
        ))
    })?;
    Ok(paged(items, next, &key))
}

async fn group(State(app): State<AppState>, Path((_, dg)): Path<(String, String)>) -> LegacyResult {
    let id = parse_uuid(&dg, "device group")?;
    let out = app.tenant.read(|s| s.group(id).map(|g| group_out(s, g)))?;
    Ok(Json(out).into_response())
}

fn feed(value: u64) -> Result<OsFeedType, LegacyError> {
    OsFeedType::from_legacy(value)
        .ok_or_else(|| bad_request(format!("OsFeedType {value} is not valid")))
}

fn policy(value: u64) -> Result<UpdatePolicy, LegacyError> {
    UpdatePolicy::from_legacy(value)
        .ok_or_else(|| bad_request(format!("UpdatePolicy {value} is not valid")))
}

async fn create_group(State(app): State<AppState>, body: Bytes) -> LegacyResult {
    let value = json_body(&body)?;
    let object = value
        .as_object()
        .ok_or_else(|| bad_request("The request body must be a JSON object"))?;
    let name = string_field(object, "Name")?.ok_or_else(|| bad_request("Name is required"))?;
    let product =
        string_field(object, "ProductId")?.ok_or_else(|| bad_request("ProductId is required"))?;
    let product_id =
        Uuid::parse_str(&product).map_err(|_| bad_request("ProductId is not a valid id"))?;
    let new = NewDeviceGroup {
        product_id,
        name,
        description: string_field(object, "Description")?.unwrap_or_default(),
        os_feed_type: feed(int_field(object, &["OsFeedType"])?.unwrap_or(0))?,
        update_policy: policy(int_field(object, &["UpdatePolicy"])?.unwrap_or(0))?,
        allow_crash_dumps: match field(object, "AllowCrashDumpsCollection") {
            Some(v) => v
                .as_bool()
                .ok_or_else(|| bad_request("AllowCrashDumpsCollection must be true or false"))?,
            None => false,
        },
    };
    let group = app.tenant.create_group(new)?;
    let out = app.tenant.read(|s| group_out(s, &group));
    Ok(Json(out).into_response())
}

async fn patch_group(
    State(app): State<AppState>,
    Path((_, dg)): Path<(String, String)>,
    body: Bytes,
) -> LegacyResult {
    let id = parse_uuid(&dg, "device group")?;
    let value = json_body(&body)?;
    let object = value
        .as_object()
        .ok_or_else(|| bad_request("The request body must be a JSON object"))?;
    let patch =
        DeviceGroupPatch {
            name: string_field(object, "Name")?,
            description: string_field(object, "Description")?,
            os_feed_type: int_field(object, &["OSFeedType"])?.map(feed).transpose()?,
            update_policy: int_field(object, &["UpdatePolicy"])?
                .map(policy)
                .transpose()?,
            allow_crash_dumps: match field(object, "AllowCrashDumpsCollection") {
                Some(v) => Some(v.as_bool().ok_or_else(|| {
                    bad_request("AllowCrashDumpsCollection must be true or false")
                })?),
                None => None,
            },
            regional_data_boundary_eu: None,
        };
    let group = app.tenant.patch_group(id, patch)?;
    let out = app.tenant.read(|s| group_out(s, &group));
    Ok(Json(out).into_response())
}

async fn group_devices(
    State(app): State<AppState>,
    Path((_, dg)): Path<(String, String)>,
    page: PageQuery,
) -> LegacyResult {
    let tenant = tenant_id(&app);
    let id = parse_uuid(&dg, "device group")?;
    let key = format!("devices:{id}");
    let (offset, size) = page.window(&key)?;
    let (items, next) = app.tenant.read(|s| -> Result<_, TenantError> {
        s.group(id)?;
        let mut devices = s.devices_of(id).skip(offset);
        let items: Vec<DeviceOut> = devices
            .by_ref()
            .take(size)
            .map(|d| device_out(tenant, d))
            .collect();
        let next = (items.len() == size && devices.next().is_some()).then_some(offset + size);
        Ok((items, next))
    })?;
    Ok(paged(items, next, &key))
}

async fn tenant_devices(State(app): State<AppState>, page: PageQuery) -> LegacyResult {
    let tenant = tenant_id(&app);
    let (offset, size) = page.window("devices")?;
    let (items, next) = app.tenant.read(|s| {
        let end = (offset + size).min(s.devices.len());
        let items: Vec<DeviceOut> = s
            .devices
            .get(offset..end)
            .unwrap_or(&[])
            .iter()
            .map(|d| device_out(tenant, d))
            .collect();
        (items, (end < s.devices.len()).then_some(end))
    });
    Ok(paged(items, next, "devices"))
}

async fn device(
    State(app): State<AppState>,
    Path((_, id)): Path<(String, String)>,
) -> LegacyResult {
    let tenant = tenant_id(&app);
    let out = app
        .tenant
        .read(|s| s.device_by_text(&id).map(|d| device_out(tenant, d)))?;
    Ok(Json(out).into_response())
}

fn accepted(tenant: Uuid, op: &Operation, status: StatusCode) -> Response {
    (status, Json(operation_json(tenant, op))).into_response()
}

async fn move_device(
    State(app): State<AppState>,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> LegacyResult {
    let tenant = tenant_id(&app);
    let device: DeviceId = id.parse().map_err(|_| {
        LegacyError(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("device {id} was not found"),
        )
    })?;
    let target = match json_body(&body)? {
        Value::String(s) => s,
        _ => {
            return Err(bad_request(
                "The request body must be the device group id as a JSON string",
            ))
        }
    };
    let group = Uuid::parse_str(target.trim())
        .map_err(|_| bad_request(format!("'{target}' is not a device group id")))?;
    let op = app.tenant.move_device(&device, group)?;
    Ok(accepted(tenant, &op, StatusCode::ACCEPTED))
}

async fn upload_image(
    State(app): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> LegacyResult {
    let tenant = tenant_id(&app);
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/octet-stream")
    {
        return Err(LegacyError(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            format!("Expected Content-Type application/octet-stream, got '{content_type}'"),
        ));
    }
    let (_, op) = app.tenant.add_image(&body).map_err(|e| match e {
        // UNSURE: the service's ErrorCode for a package it cannot read.
        TenantError::BadRequest(text) => {
            LegacyError(StatusCode::BAD_REQUEST, "InvalidImagePackage", text)
        }
        other => other.into(),
    })?;
    // UNSURE: the upload answers 200 (as the docs say) rather than 202.
    Ok(accepted(tenant, &op, StatusCode::OK))
}

async fn images(State(app): State<AppState>, page: PageQuery) -> LegacyResult {
    let (offset, size) = page.window("images")?;
    let page = app
        .tenant
        .read(|s| state::page(s.images.iter(), offset, size));
    Ok(paged(
        page.items.iter().map(image_out).collect(),
        page.next_offset,
        "images",
    ))
}

async fn image_metadata(
    State(app): State<AppState>,
    Path((_, id)): Path<(String, String)>,
) -> LegacyResult {
    let id = parse_uuid(&id, "image")?;
    let out = app.tenant.read(|s| s.image(id).map(image_out))?;
    Ok(Json(out).into_response())
}

async fn create_deployment(
    State(app): State<AppState>,
    Path((_, dg)): Path<(String, String)>,
    body: Bytes,
) -> LegacyResult {
    let tenant = tenant_id(&app);
    let group = parse_uuid(&dg, "device group")?;
    let Value::Array(values) = json_body(&body)? else {
        return Err(bad_request(
            "The request body must be a JSON array of image ids",
        ));
    };
    let images = values
        .iter()
        .map(|v| {
            v.as_str()
                .and_then(|s| Uuid::parse_str(s.trim()).ok())
                .ok_or_else(|| bad_request(format!("{v} is not an image id")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (_, op) = app.tenant.create_deployment(group, images)?;
    Ok(accepted(tenant, &op, StatusCode::ACCEPTED))
}

async fn deployments(
    State(app): State<AppState>,
    Path((_, dg)): Path<(String, String)>,
    page: PageQuery,
) -> LegacyResult {
    let tenant = tenant_id(&app);
    let group = parse_uuid(&dg, "device group")?;
    let key = format!("deployments:{group}");
    let (offset, size) = page.window(&key)?;
    let page = app.tenant.read(|s| -> Result<_, TenantError> {
        s.group(group)?;
        Ok(state::page(s.deployments_of(group), offset, size))
    })?;
    Ok(paged(
        page.items
            .iter()
            .map(|d| deployment_out(tenant, d))
            .collect(),
        page.next_offset,
        &key,
    ))
}

async fn deployment(
    State(app): State<AppState>,
    Path((_, id)): Path<(String, String)>,
) -> LegacyResult {
    let tenant = tenant_id(&app);
    let id = parse_uuid(&id, "deployment")?;
    let out = app
        .tenant
        .read(|s| s.deployment(id).map(|d| deployment_out(tenant, d)))?;
    Ok(Json(out).into_response())
}

async fn operation(
    State(app): State<AppState>,
    Path((_, id)): Path<(String, String)>,
) -> LegacyResult {
    let tenant = tenant_id(&app);
    let id = parse_uuid(&id, "operation")?;
    let op = app.tenant.operation(id)?;
    Ok(Json(operation_json(tenant, &op)).into_response())
}

/// Rejects calls without a valid legacy-audience bearer token or for another tenant.
async fn require_token(State(app): State<AppState>, request: Request, next: Next) -> Response {
    if let Err(failure) = app.identity.authorize(request.headers(), Audience::Legacy) {
        return identity::unauthorized(Service::Legacy, failure);
    }
    match check_tenant(&app, request.uri().path()) {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

/// The legacy routes, mounted under `/as3`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v2/tenants", get(tenants))
        .route("/v2/tenants/{t}/users/{user}/role", get(role))
        .route("/v2/tenants/{t}/products", get(products))
        .route(
            "/v2/tenants/{t}/products/{p}/deviceGroups",
            get(product_groups),
        )
        .route(
            "/v2/tenants/{t}/products/{p}/devicegroups",
            get(product_groups),
        )
        .route(
            "/v2/tenants/{t}/devicegroups",
            get(groups).post(create_group),
        )
        .route(
            "/v2/tenants/{t}/devicegroups/{dg}",
            get(group).patch(patch_group),
        )
        .route(
            "/v2/tenants/{t}/devicegroups/{dg}/devices",
            get(group_devices),
        )
        .route(
            "/v2/tenants/{t}/devicegroups/{dg}/deployments",
            get(deployments).post(create_deployment),
        )
        .route("/v2/tenants/{t}/devices", get(tenant_devices))
        .route("/v2/tenants/{t}/devices/{id}", get(device))
        .route("/v2/tenants/{t}/devices/{id}/devicegroup", put(move_device))
        .route("/v2/tenants/{t}/images", get(images).post(upload_image))
        .route("/v2/tenants/{t}/images/{id}/metadata", get(image_metadata))
        .route("/v2/tenants/{t}/deployments/{id}", get(deployment))
        .route("/v2/tenants/{t}/operations/{id}", get(operation))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            require_token,
        ))
        .with_state(state)
}
