//! ARM `Microsoft.AzureSphere` 2024-04-01 routes (stub: the ARM work replaces this file).

use crate::AppState;

/// The ARM routes, mounted under `/arm`.
pub fn router(_app: AppState) -> axum::Router {
    axum::Router::new()
}
