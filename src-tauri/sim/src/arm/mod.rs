//! The ARM `Microsoft.AzureSphere` 2024-04-01 API of the simulated tenant, under `/arm`.
//!
//! This module owns the ARM front door: the bearer-token check (ARM audience), the mandatory
//! `api-version`, the subscription / resource group / catalog that the tenant is shown as, request
//! body validation against the spec, long-running operations and paging. The data itself is the
//! shared [`crate::state::Tenant`], so the legacy API and ARM always show the same tenant.
//!
//! Routing is the spec's own: one catch-all route asks [`crate::openapi`] which operation a
//! `(method, path)` is, then calls that operation's handler (`handlers`). A request body is
//! checked against the operation's body schema before any handler runs (ARM rejects the rest
//! with `400 InvalidRequestContent`), and in debug builds (tests included) every response is
//! checked against the schema the spec declares for its status: a response that fails is a
//! simulator bug, logged and turned into a 500 so that tests cannot miss it.
//!
//! Files: `error` (ARM error objects and codes), `render` (resources as JSON), `paging`
//! (`nextLink`), `lro` (asynchronous operations), `handlers` (one function per operation).

mod error;
mod handlers;
mod lro;
mod paging;
mod render;

pub use error::{ArmError, ArmErrorDetail, API_VERSION};
pub use render::{encode_segment, image_type_name, Scope};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::Value;

use crate::identity::{self, Audience};
use crate::openapi::{self, OperationMatch};
use crate::service::Service;
use crate::AppState;

/// The ARM routes, mounted under `/arm`.
pub fn router(app: AppState) -> axum::Router {
    axum::Router::new()
        .route("/", any(dispatch))
        .route("/{*path}", any(dispatch))
        .with_state(app)
}

/// Which schema a reply must satisfy (checked in debug builds).
#[derive(Debug, Clone)]
enum Contract {
    /// The spec operation's declared response for the reply's status.
    Operation(String),
    /// A named definition (`Device`, `ct.OperationStatusResult`, ...) for bodies no spec path
    /// describes, such as the long-running operation endpoints.
    Definition(&'static str),
}

/// An answer before it becomes HTTP.
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    headers: Vec<(&'static str, String)>,
    body: Option<Value>,
    contract: Contract,
}

impl Reply {
    fn json(status: StatusCode, body: Value, contract: Contract) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: Some(body),
            contract,
        }
    }

    fn header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    fn error(error: &ArmError, contract: Contract) -> Self {
        Reply::json(error.status, error.body(), contract)
    }
}

/// Everything a handler needs about the request it serves.
struct Call<'a> {
    app: &'a AppState,
    scope: Scope,
    matched: OperationMatch<'a>,
    /// The request path below `/arm`, as received (percent-encoded).
    path: &'a str,
    query: Vec<(String, String)>,
    /// The parsed body; `Null` when there was none.
    body: Value,
}

impl Call<'_> {
    fn operation_id(&self) -> &str {
        &self.matched.operation.operation_id
    }

    /// A path parameter; the spec declares every parameter a handler asks for, so a missing one
    /// is a handler/template mismatch, answered as an internal error.
    fn param(&self, name: &str) -> Result<&str, ArmError> {
        self.matched
            .parameter(name)
            .ok_or_else(|| ArmError::internal(format!("no path parameter {name}")))
    }

    /// The absolute URL of this request's path, without the query (for `nextLink`).
    fn self_url(&self) -> String {
        format!("{}{}", self.scope.base, self.path)
    }

    /// Whether the operation declares `$top`/`$skip`/`$maxpagesize`.
    fn declares_paging(&self) -> bool {
        self.matched
            .operation
            .query_parameters
            .iter()
            .any(|q| q == "$maxpagesize")
    }

    fn ok(&self, body: Value) -> Reply {
        Reply::json(StatusCode::OK, body, self.contract())
    }

    /// `201 Created` with `body` for a started operation (see [`lro::created`]).
    fn created(&self, operation: &crate::state::Operation, body: Value) -> Reply {
        lro::created(self.app, &self.scope, operation, body, self.contract())
    }

    /// `202 Accepted` for a started operation (see [`lro::accepted`]).
    fn accepted(&self, operation: &crate::state::Operation) -> Reply {
        lro::accepted(self.app, &self.scope, operation, self.contract())
    }

    fn contract(&self) -> Contract {
        Contract::Operation(self.operation_id().to_owned())
    }

    /// Maps a tenant error to ARM, naming the scope's resource group.
    fn tenant_error(&self, error: &crate::state::TenantError) -> ArmError {
        ArmError::from_tenant(error, &self.scope.resource_group)
    }
}

async fn dispatch(
    State(app): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // ARM authenticates before it looks at anything else.
    // UNSURE: that a missing token wins over a missing api-version (401 before 400).
    if let Err(failure) = app.identity.authorize(&headers, Audience::Arm) {
        return identity::unauthorized(Service::Arm, failure);
    }
    let reply = answer(&app, &method, &uri, &body);
    finish(reply)
}

fn answer(app: &AppState, method: &Method, uri: &Uri, body: &Bytes) -> Reply {
    let path = uri.path();
    let query: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let error_contract = Contract::Definition("ct.ErrorResponse");

    match query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("api-version"))
    {
        None => return Reply::error(&ArmError::missing_api_version(), error_contract),
        Some((_, v)) if v != API_VERSION => {
            return Reply::error(
                &ArmError::unsupported_api_version(v, &resource_type_of(path)),
                error_contract,
            )
        }
        Some(_) => {}
    }

    let scope = Scope {
        base: app.urls.arm.clone(),
        subscription: app.demo.subscription_id.clone(),
        resource_group: app.demo.resource_group.clone(),
        catalog: app.demo.catalog.clone(),
    };

    if let Some(reply) = lro::answer(app, &scope, method, path) {
        return reply;
    }

    let spec = match openapi::arm_spec() {
        Ok(spec) => spec,
        Err(e) => return Reply::error(&ArmError::internal(e.to_string()), error_contract),
    };
    let matched = match spec.match_operation(method.as_str(), path) {
        Some(matched) => matched,
        None => match next_page_by_get(spec, method, path, &query) {
            Some(matched) => matched,
            None => return Reply::error(&ArmError::invalid_resource_type(path), error_contract),
        },
    };
    let contract = Contract::Operation(matched.operation.operation_id.clone());

    let body = if body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(value) => value,
            Err(e) => {
                return Reply::error(
                    &ArmError::invalid_request_content(format!(
                        "The request content was invalid and could not be deserialized: {e}"
                    )),
                    contract,
                )
            }
        }
    };
    // A later page of a POST list action may come without the body (its nextLink is followed
    // as it is); the first page's body was checked, so the continuation reads as `{}`.
    // UNSURE: whether clients resend the body when they follow such a nextLink.
    let continues = query
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("$skipToken"));
    let body = if body.is_null() && continues {
        serde_json::json!({})
    } else {
        body
    };
    if method == Method::POST || method == Method::PUT || method == Method::PATCH {
        if let Err(violation) = spec.validate_request_body(&matched.operation.operation_id, &body) {
            return Reply::error(&ArmError::from_violation(&violation), contract);
        }
        // A strict resource provider refuses read-only properties (see `openapi`).
        if !app.leniency.read_only_accepted() {
            if let Err(violation) = spec.validate_writable(&matched.operation.operation_id, &body) {
                return Reply::error(&ArmError::from_violation(&violation), contract);
            }
        }
    }

    let call = Call {
        app,
        scope,
        matched,
        path,
        query,
        body,
    };
    if let Some(error) = front_door(&call) {
        return Reply::error(&error, contract);
    }
    match handlers::handle(&call) {
        Ok(reply) => reply,
        Err(error) => Reply::error(&error, contract),
    }
}

/// A POST list action's `nextLink` may be followed with GET (generated clients do so); such a
/// GET is served as the POST it continues.
// UNSURE: whether ARM expects POST or GET on the nextLink of a POST list action.
fn next_page_by_get<'a>(
    spec: &'a openapi::ArmSpec,
    method: &Method,
    path: &str,
    query: &[(String, String)],
) -> Option<OperationMatch<'a>> {
    let continues = query
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("$skipToken"));
    if method != Method::GET || !continues {
        return None;
    }
    spec.match_operation("POST", path).filter(|m| {
        m.operation
            .query_parameters
            .iter()
            .any(|q| q == "$maxpagesize")
    })
}

/// ARM's own checks of the scope: the subscription, then the resource group, then the catalog.
fn front_door(call: &Call<'_>) -> Option<ArmError> {
    let scope = &call.scope;
    let given = |name: &str| call.matched.parameter(name);
    if let Some(sub) = given("subscriptionId") {
        if !sub.eq_ignore_ascii_case(&scope.subscription) {
            return Some(ArmError::subscription_not_found(sub));
        }
    }
    if let Some(rg) = given("resourceGroupName") {
        if !rg.eq_ignore_ascii_case(&scope.resource_group) {
            return Some(ArmError::resource_group_not_found(rg));
        }
    }
    if let Some(catalog) = given("catalogName") {
        if !catalog.eq_ignore_ascii_case(&scope.catalog) {
            return Some(ArmError::resource_not_found(
                "catalogs",
                catalog,
                &scope.resource_group,
            ));
        }
    }
    None
}

/// `catalogs/products/deviceGroups` for a path, for ARM's api-version message.
fn resource_type_of(path: &str) -> String {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let Some(start) = segments
        .iter()
        .position(|s| s.eq_ignore_ascii_case("Microsoft.AzureSphere"))
    else {
        return "catalogs".to_owned();
    };
    segments[start + 1..]
        .iter()
        .step_by(2)
        .copied()
        .collect::<Vec<_>>()
        .join("/")
}

/// Checks the reply against its contract (debug builds) and turns it into HTTP.
fn finish(mut reply: Reply) -> Response {
    if cfg!(debug_assertions) {
        if let Err(violation) = check(&reply) {
            tracing::error!("ARM simulator response breaks the spec: {violation}");
            reply = Reply::error(
                &ArmError::internal(format!(
                    "The simulator's response breaks the spec: {violation}"
                )),
                Contract::Definition("ct.ErrorResponse"),
            );
        }
    }
    let mut response = match &reply.body {
        Some(body) => (reply.status, axum::Json(body)).into_response(),
        None => reply.status.into_response(),
    };
    let headers = response.headers_mut();
    for (name, value) in &reply.headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    if let Ok(value) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        headers.insert(HeaderName::from_static("x-ms-request-id"), value.clone());
        headers.insert(
            HeaderName::from_static("x-ms-correlation-request-id"),
            value,
        );
    }
    response
}

fn check(reply: &Reply) -> Result<(), openapi::SpecViolation> {
    let spec = match openapi::arm_spec() {
        Ok(spec) => spec,
        // Without a spec nothing can be checked; the load error is reported by every request.
        Err(_) => return Ok(()),
    };
    let body = reply.body.as_ref().unwrap_or(&Value::Null);
    match &reply.contract {
        Contract::Operation(operation_id) => {
            spec.validate_response(operation_id, reply.status.as_u16(), body)
        }
        Contract::Definition(_) if reply.body.is_none() => Ok(()),
        Contract::Definition(name) => spec.validate_definition(name, body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reply that breaks the spec is the simulator's bug: in debug builds it becomes a 500.
    #[test]
    fn replies_outside_the_spec_become_internal_errors() {
        let typo = serde_json::json!({"id": "/x", "name": "d", "properties": {"lastOSUpdateUtc": "2024-01-01T00:00:00Z"}});
        let table = [
            (
                Reply::json(
                    StatusCode::OK,
                    typo,
                    Contract::Operation("Devices_Get".into()),
                ),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
            (
                Reply::json(
                    StatusCode::OK,
                    serde_json::json!({"value": 3}),
                    Contract::Operation("DeviceGroups_CountDevices".into()),
                ),
                StatusCode::OK,
            ),
            (
                Reply::json(
                    StatusCode::CREATED,
                    serde_json::json!({"value": 3}),
                    Contract::Operation("DeviceGroups_CountDevices".into()),
                ),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
            (
                Reply::json(
                    StatusCode::OK,
                    serde_json::json!({"status": "Running"}),
                    Contract::Definition("ct.OperationStatusResult"),
                ),
                StatusCode::OK,
            ),
            (
                Reply::json(
                    StatusCode::OK,
                    serde_json::json!({"state": "Running"}),
                    Contract::Definition("ct.OperationStatusResult"),
                ),
                StatusCode::INTERNAL_SERVER_ERROR,
            ),
        ];
        for (reply, expected) in table {
            let shown = format!("{reply:?}");
            assert_eq!(finish(reply).status(), expected, "{shown}");
        }
    }

    #[test]
    fn resource_types_are_read_from_paths() {
        let table = [
            ("/subscriptions/s/providers/Microsoft.AzureSphere/catalogs", "catalogs"),
            (
                "/subscriptions/s/resourceGroups/r/providers/Microsoft.AzureSphere/catalogs/c/products/p/deviceGroups",
                "catalogs/products/deviceGroups",
            ),
            ("/nonsense", "catalogs"),
        ];
        for (path, expected) in table {
            assert_eq!(resource_type_of(path), expected, "{path}");
        }
    }
}
