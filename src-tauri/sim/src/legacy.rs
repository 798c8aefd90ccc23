//! The legacy AS3 public API under `/as3/v2/...` (being written).
use crate::AppState;
use axum::Router;
/// The legacy routes, mounted under `/as3`.
pub fn router(state: AppState) -> Router {
    Router::new().with_state(state)
}
