//! The simulator's own control API under `/_sim` (no auth, loopback only): inspect the state,
//! replace the fault plan, approve device codes, revoke tokens, connect or disconnect a
//! gateway, reset the tenant.
//!
//! | call | body | answer |
//! |---|---|---|
//! | `GET /_sim/state` | – | the snapshot (see [`snapshot`]) |
//! | `GET /_sim/faults`, `PUT /_sim/faults` | a `FaultPlan` | the plan in force |
//! | `POST /_sim/devicecode/approve` | `{"user_code": "..."}` or `{}` (all pending) | `{"approved": n}` |
//! | `POST /_sim/tokens/revoke` | – | 204 |
//! | `GET /_sim/holds`, `PUT /_sim/holds` | `["operations", "node_updates", "check_ins"]` (any subset) | the set held |
//! | `GET /_sim/secrets` | – | `{"secrets": [...]}`: every token, key and signature issued or received |
//! | `POST /_sim/devices/{id}/connection` | `{"connected": bool}` | 204 |
//! | `POST /_sim/reset` | – | 204 (fresh fleet from the seed; faults back to the start plan) |

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::faults::FaultPlan;
use crate::holds::Hold;
use crate::service;
use crate::state::DeviceId;
use crate::{fleet, iothub, AppState};

/// The whole tenant as JSON: `tenant`, `products`, `groups`, `devices` (each with its
/// `gateway`), `images`, `deployments`, `operations`, `journal`, plus `twins` (the rendered IoT
/// Hub twins, by lowercase device id), `device_codes` and `faults`.
pub fn snapshot(app: &AppState) -> Value {
    let mut value = app
        .tenant
        .read(|s| serde_json::to_value(s).unwrap_or(Value::Null));
    let twins: serde_json::Map<String, Value> = app.tenant.read(|s| {
        s.devices
            .iter()
            .map(|d| (d.id.lower(), iothub::twin_json(d, app.tenant.faults())))
            .collect()
    });
    if let Value::Object(map) = &mut value {
        if let Some(info) = map.remove("info") {
            map.insert("tenant".to_string(), info);
        }
        map.remove("rng");
        map.insert("twins".to_string(), Value::Object(twins));
        map.insert(
            "device_codes".to_string(),
            json!(crate::identity::pending_codes(&app.identity)),
        );
        map.insert("faults".to_string(), json!(app.tenant.faults().plan()));
    }
    value
}

/// Replaces the fault plan.
pub fn apply_faults(app: &AppState, plan: FaultPlan) {
    app.tenant.faults().set(plan);
}

fn bad_request(text: &str) -> Response {
    service::legacy_error(StatusCode::BAD_REQUEST, "BadRequest", text)
}

async fn state_route(State(app): State<AppState>) -> Json<Value> {
    Json(snapshot(&app))
}

async fn get_faults(State(app): State<AppState>) -> Json<FaultPlan> {
    Json(app.tenant.faults().plan())
}

async fn put_faults(State(app): State<AppState>, body: Bytes) -> Response {
    match serde_json::from_slice::<FaultPlan>(&body) {
        Ok(plan) => {
            apply_faults(&app, plan.clone());
            Json(plan).into_response()
        }
        Err(e) => bad_request(&format!("not a fault plan: {e}")),
    }
}

async fn get_holds(State(app): State<AppState>) -> Json<Vec<Hold>> {
    Json(app.tenant.holds().held().into_iter().collect())
}

async fn put_holds(State(app): State<AppState>, body: Bytes) -> Response {
    match serde_json::from_slice::<std::collections::BTreeSet<Hold>>(&body) {
        Ok(holds) => {
            app.tenant.holds().set(holds.clone());
            Json(holds).into_response()
        }
        Err(e) => bad_request(&format!(
            "expected a list of \"operations\", \"node_updates\", \"check_ins\": {e}"
        )),
    }
}

async fn secrets(State(app): State<AppState>) -> Json<Value> {
    Json(json!({"secrets": app.identity.secrets_seen()}))
}

#[derive(Deserialize)]
struct Approve {
    #[serde(default)]
    user_code: Option<String>,
}

async fn approve(State(app): State<AppState>, body: Bytes) -> Response {
    let request: Approve = if body.is_empty() {
        Approve { user_code: None }
    } else {
        match serde_json::from_slice(&body) {
            Ok(r) => r,
            Err(e) => return bad_request(&format!("expected {{\"user_code\": ...}}: {e}")),
        }
    };
    let approved = app.identity.approve(request.user_code.as_deref());
    Json(json!({"approved": approved})).into_response()
}

async fn revoke(State(app): State<AppState>) -> StatusCode {
    app.identity.revoke_all();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Connection {
    connected: bool,
}

async fn connection(State(app): State<AppState>, Path(id): Path<String>, body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<Connection>(&body) else {
        return bad_request("expected {\"connected\": true|false}");
    };
    let Ok(id) = id.parse::<DeviceId>() else {
        return service::legacy_error(StatusCode::NOT_FOUND, "NotFound", "no such device");
    };
    let found = app.tenant.write(|s| match s.device_mut(&id) {
        Ok(device) => {
            device.gateway.held_offline = !request.connected;
            if !device.gateway.restarting {
                device.gateway.connected = request.connected;
            }
            device.gateway.twin_version += 1;
            true
        }
        Err(_) => false,
    });
    if found {
        StatusCode::NO_CONTENT.into_response()
    } else {
        service::legacy_error(StatusCode::NOT_FOUND, "NotFound", "no such device")
    }
}

async fn reset(State(app): State<AppState>) -> StatusCode {
    let (fresh, _) = fleet::generate(&app.config);
    app.tenant.replace(fresh);
    apply_faults(&app, app.config.faults.clone());
    StatusCode::NO_CONTENT
}

/// The control routes, mounted under `/_sim`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/state", get(state_route))
        .route("/faults", get(get_faults).put(put_faults))
        .route("/devicecode/approve", post(approve))
        .route("/tokens/revoke", post(revoke))
        .route("/holds", get(get_holds).put(put_holds))
        .route("/secrets", get(secrets))
        .route("/devices/{id}/connection", post(connection))
        .route("/reset", post(reset))
        .with_state(state)
}
