//! ARM long-running operations over the tenant's shared [`Operation`]s.
//!
//! A change that the real service makes asynchronously (image upload, deployment, device move)
//! answers with two URLs, both under the subscription as ARM providers publish them:
//! - `Azure-AsyncOperation`: `.../locations/global/operationStatuses/{id}` → always 200 with the
//!   status resource `{"id","name","status","startTime","endTime","error"}` (`OperationStatusResult`
//!   of the ARM common types), `status` one of InProgress / Succeeded / Failed;
//! - `Location`: `.../locations/global/operationResults/{id}` → 202 (with `Location` and
//!   `Retry-After`) while the operation runs, then 200 with the final resource, or the operation's
//!   error as an ARM error answer when it failed.
//!
//! `Retry-After` is the operation's remaining planned time in whole seconds (0 with test timings),
//! so that clients honouring it neither hammer the simulator nor wait for nothing.
//! The legacy API polls the very same operations (`/v2/tenants/{t}/operations/{id}`).

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use uuid::Uuid;

use super::error::ArmError;
use super::render::{self, Scope};
use super::{Contract, Reply};
use crate::service::rfc3339;
use crate::state::{Operation, OperationEffect, OperationState, TenantState};
use crate::AppState;

/// Which of the two polling resources a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Poll {
    Status,
    Result,
}

impl Poll {
    fn segment(self) -> &'static str {
        match self {
            Poll::Status => "operationStatuses",
            Poll::Result => "operationResults",
        }
    }
}

// UNSURE: the real provider's polling URLs; these follow the common ARM shape
// `/subscriptions/{s}/providers/{namespace}/locations/{location}/operationStatuses/{id}`.
fn poll_url(scope: &Scope, poll: Poll, operation: Uuid) -> String {
    scope.url(&format!(
        "/subscriptions/{}/providers/Microsoft.AzureSphere/locations/global/{}/{operation}",
        scope.subscription,
        poll.segment()
    ))
}

/// Seconds a client should wait before polling `operation`.
fn retry_after(app: &AppState, operation: &Operation) -> String {
    let timing = app.tenant.timing();
    let planned = timing.operation_start + timing.operation_run;
    let elapsed = (time::OffsetDateTime::now_utc() - operation.created)
        .try_into()
        .unwrap_or(std::time::Duration::ZERO);
    let remaining = planned.saturating_sub(elapsed);
    remaining.as_secs_f64().round().to_string()
}

/// `202 Accepted` for a started operation, without a body: `Location`, `Azure-AsyncOperation`
/// and `Retry-After` (POST actions and PATCH, whose final state is read through `Location`).
pub(super) fn accepted(
    app: &AppState,
    scope: &Scope,
    operation: &Operation,
    contract: Contract,
) -> Reply {
    let reply = Reply {
        status: StatusCode::ACCEPTED,
        headers: Vec::new(),
        body: None,
        contract,
    };
    with_status_url(app, scope, operation, reply)
        .header("location", poll_url(scope, Poll::Result, operation.id))
}

/// `201 Created` with the resource as it starts: `Azure-AsyncOperation` and `Retry-After` (PUT,
/// whose final state is read through the status URL and then the resource itself).
pub(super) fn created(
    app: &AppState,
    scope: &Scope,
    operation: &Operation,
    body: Value,
    contract: Contract,
) -> Reply {
    with_status_url(
        app,
        scope,
        operation,
        Reply::json(StatusCode::CREATED, body, contract),
    )
}

fn with_status_url(app: &AppState, scope: &Scope, operation: &Operation, reply: Reply) -> Reply {
    reply
        .header(
            "azure-asyncoperation",
            poll_url(scope, Poll::Status, operation.id),
        )
        .header("retry-after", retry_after(app, operation))
}

/// Serves the polling URLs; `None` when the path is not one of them.
pub(super) fn answer(app: &AppState, scope: &Scope, method: &Method, path: &str) -> Option<Reply> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let [subs, subscription, providers, provider, locations, _location, kind, id] = segments[..]
    else {
        return None;
    };
    let is_ours = subs.eq_ignore_ascii_case("subscriptions")
        && providers.eq_ignore_ascii_case("providers")
        && provider.eq_ignore_ascii_case("Microsoft.AzureSphere")
        && locations.eq_ignore_ascii_case("locations");
    let poll = if kind.eq_ignore_ascii_case(Poll::Status.segment()) {
        Poll::Status
    } else if kind.eq_ignore_ascii_case(Poll::Result.segment()) {
        Poll::Result
    } else {
        return None;
    };
    if !is_ours {
        return None;
    }
    let error_contract = Contract::Definition("ct.ErrorResponse");
    if method != Method::GET {
        return Some(Reply::error(
            &ArmError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "Operation results can only be read.",
            ),
            error_contract,
        ));
    }
    if !subscription.eq_ignore_ascii_case(&scope.subscription) {
        return Some(Reply::error(
            &ArmError::subscription_not_found(subscription),
            error_contract,
        ));
    }
    let operation = id
        .parse::<Uuid>()
        .ok()
        .and_then(|id| app.tenant.operation(id).ok());
    let Some(operation) = operation else {
        return Some(Reply::error(
            &ArmError::new(
                StatusCode::NOT_FOUND,
                "OperationNotFound",
                format!("The operation '{id}' was not found."),
            ),
            error_contract,
        ));
    };
    Some(match poll {
        Poll::Status => status(app, scope, &operation),
        Poll::Result => result(app, scope, &operation),
    })
}

/// ARM's `status` for a tenant operation state.
// UNSURE: whether the provider reports `Accepted` or `NotStarted` before `InProgress`.
fn status_text(state: OperationState) -> &'static str {
    match state {
        OperationState::NotStarted | OperationState::InProgress => "InProgress",
        OperationState::Complete => "Succeeded",
        OperationState::Failed | OperationState::CompleteWithErrors => "Failed",
    }
}

/// The ARM error of a failed operation, from the legacy error code it carries.
fn operation_error(operation: &Operation) -> ArmError {
    let (code, message) = match &operation.error {
        Some(e) => (e.code, e.message.clone()),
        None => (0, "The operation failed.".to_owned()),
    };
    // UNSURE: the status and code a failed Azure Sphere operation reports through ARM.
    let (status, name) = match code {
        5 => (StatusCode::BAD_REQUEST, "BadRequest"),
        6 => (StatusCode::FORBIDDEN, "Forbidden"),
        7 => (StatusCode::CONFLICT, "Conflict"),
        8 => (StatusCode::NOT_FOUND, "ResourceNotFound"),
        _ => (StatusCode::BAD_REQUEST, "OperationFailed"),
    };
    ArmError::new(status, name, message)
}

fn status(app: &AppState, scope: &Scope, operation: &Operation) -> Reply {
    let mut body = json!({
        "id": scope.operation_status_id(operation.id),
        "name": operation.id.to_string(),
        "status": status_text(operation.state),
        "startTime": rfc3339(operation.started.unwrap_or(operation.created)),
    });
    if let Some(end) = operation.completed {
        body["endTime"] = json!(rfc3339(end));
    }
    match operation.state {
        OperationState::Complete => body["percentComplete"] = json!(100.0),
        OperationState::Failed | OperationState::CompleteWithErrors => {
            body["error"] = operation_error(operation).body()["error"].clone();
        }
        _ => {}
    }
    let reply = Reply::json(
        StatusCode::OK,
        body,
        Contract::Definition("ct.OperationStatusResult"),
    );
    // While the operation runs, the status answer says when to look again.
    if operation.state.is_terminal() {
        reply
    } else {
        reply.header("retry-after", retry_after(app, operation))
    }
}

fn result(app: &AppState, scope: &Scope, operation: &Operation) -> Reply {
    match operation.state {
        OperationState::NotStarted | OperationState::InProgress => {
            let reply = Reply {
                status: StatusCode::ACCEPTED,
                headers: Vec::new(),
                body: None,
                contract: Contract::Definition("ct.ErrorResponse"),
            };
            reply
                .header("location", poll_url(scope, Poll::Result, operation.id))
                .header("retry-after", retry_after(app, operation))
        }
        OperationState::Failed | OperationState::CompleteWithErrors => Reply::error(
            &operation_error(operation),
            Contract::Definition("ct.ErrorResponse"),
        ),
        OperationState::Complete => {
            let effect = operation.effect.clone();
            let rendered = app.tenant.read(|s| final_resource(scope, s, &effect));
            match rendered {
                Ok((definition, body)) => {
                    Reply::json(StatusCode::OK, body, Contract::Definition(definition))
                }
                Err(error) => Reply::error(&error, Contract::Definition("ct.ErrorResponse")),
            }
        }
    }
}

/// The resource an operation produced, as ARM's final `Location` answer shows it.
fn final_resource(
    scope: &Scope,
    state: &TenantState,
    effect: &OperationEffect,
) -> Result<(&'static str, Value), ArmError> {
    let gone = |e: crate::state::TenantError| ArmError::from_tenant(&e, &scope.resource_group);
    Ok(match effect {
        OperationEffect::MoveDevice { device, .. } => (
            "Device",
            render::device(scope, state, state.device(device).map_err(gone)?),
        ),
        OperationEffect::ImageUpload { image } => (
            "Image",
            render::image(scope, state, state.image(*image).map_err(gone)?),
        ),
        OperationEffect::Deploy { deployment, .. } => (
            "Deployment",
            render::deployment(scope, state, state.deployment(*deployment).map_err(gone)?),
        ),
    })
}
