//! The IoT Hub service API under `/iothub` (being written).
use crate::faults::Faults;
use crate::state::Device;
use crate::AppState;
use axum::Router;
use serde_json::{json, Value};
/// A device's twin as IoT Hub renders it.
pub fn twin_json(device: &Device, faults: &Faults) -> Value {
    let _ = faults;
    json!({"deviceId": device.id.lower()})
}
/// The IoT Hub routes, mounted under `/iothub`.
pub fn router(state: AppState) -> Router {
    Router::new().with_state(state)
}
