//! Making the legacy and ARM planes disagree, so a migration check has differences to find.
//!
//! Normally both APIs serve the one [`crate::state::Tenant`]. A [`DivergencePlan`] (control API
//! `PUT /_sim/divergence`, or [`crate::SimHandle::set_divergence`]) names, per plane, groups shown
//! under another name, images that plane does not list, and devices shown in another group. While
//! a plane has a divergence, its reads are answered from a *view*: a copy of the tenant with those
//! changes applied, made for each request, served by that plane's own unchanged handlers (so ids,
//! paging links and error formats stay those of the real API). Changes (uploads, deployments,
//! moves) still go to the real tenant, which both planes keep showing apart from the divergence.
//!
//! This module owns the plan, its validation, the view and the lens that routes a request to the
//! view or to the real tenant. `POST /_sim/reset` clears the plan.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{OriginalUri, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tower::ServiceExt;
use uuid::Uuid;

use crate::state::{DeviceId, Tenant, TenantState};
use crate::{service, AppState};

/// Which plane a divergence applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plane {
    Legacy,
    Arm,
}

/// What one plane shows differently from the tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaneDivergence {
    /// Device groups (by id) shown under another name.
    #[serde(default)]
    pub rename_groups: BTreeMap<Uuid, String>,
    /// Images (by id) the plane does not list; reading one is 404.
    #[serde(default)]
    pub hide_images: BTreeSet<Uuid>,
    /// Devices (by id) shown in another group (by id).
    #[serde(default)]
    pub move_devices: BTreeMap<DeviceId, Uuid>,
}

impl PlaneDivergence {
    pub fn is_empty(&self) -> bool {
        self.rename_groups.is_empty() && self.hide_images.is_empty() && self.move_devices.is_empty()
    }

    /// The tenant as this plane shows it.
    pub fn view(&self, state: &TenantState) -> TenantState {
        let mut view = state.clone();
        for group in &mut view.groups {
            if let Some(name) = self.rename_groups.get(&group.id) {
                group.name = name.clone();
            }
        }
        view.images.retain(|i| !self.hide_images.contains(&i.id));
        for (device, group) in &self.move_devices {
            let product = view.group(*group).map(|g| g.product_id).ok();
            if let Ok(d) = view.device_mut(device) {
                d.group_id = Some(*group);
                d.product_id = product;
            }
        }
        view
    }

    /// Checks that every group, image and device named exists.
    fn validate(&self, state: &TenantState) -> Result<(), String> {
        for (group, name) in &self.rename_groups {
            state.group(*group).map_err(|e| e.to_string())?;
            if name.trim().is_empty() {
                return Err(format!("the new name of group {group} is empty"));
            }
        }
        for image in &self.hide_images {
            state.image(*image).map_err(|e| e.to_string())?;
        }
        for (device, group) in &self.move_devices {
            state.device(device).map_err(|e| e.to_string())?;
            state.group(*group).map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// What each plane shows differently (both empty: the planes agree).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DivergencePlan {
    #[serde(default)]
    pub legacy: PlaneDivergence,
    #[serde(default)]
    pub arm: PlaneDivergence,
}

impl DivergencePlan {
    fn of(&self, plane: Plane) -> &PlaneDivergence {
        match plane {
            Plane::Legacy => &self.legacy,
            Plane::Arm => &self.arm,
        }
    }
}

/// The shared, replaceable plan.
#[derive(Debug, Clone, Default)]
pub struct Divergence {
    plan: Arc<Mutex<DivergencePlan>>,
}

impl Divergence {
    pub fn plan(&self) -> DivergencePlan {
        self.plan
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone()
    }

    /// Replaces the plan after checking it against `tenant`.
    pub fn set(&self, plan: DivergencePlan, tenant: &Tenant) -> Result<(), String> {
        tenant.read(|s| {
            plan.legacy
                .validate(s)
                .map_err(|e| format!("legacy: {e}"))?;
            plan.arm.validate(s).map_err(|e| format!("arm: {e}"))
        })?;
        *self
            .plan
            .lock()
            .unwrap_or_else(|poison| poison.into_inner()) = plan;
        Ok(())
    }

    /// Back to planes that agree.
    pub fn clear(&self) {
        *self
            .plan
            .lock()
            .unwrap_or_else(|poison| poison.into_inner()) = DivergencePlan::default();
    }
}

/// Whether a request only reads (ARM's list and count actions are POSTs that read).
fn reads(request: &Request) -> bool {
    let method = request.method();
    if method == Method::GET || method == Method::HEAD {
        return true;
    }
    let last = request
        .uri()
        .path()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    method == Method::POST && (last.starts_with("list") || last.starts_with("count"))
}

/// `build`'s routes with the plane's own 404 for a path they do not know (mounted with
/// `nest_service`, the routes no longer fall back to the top-level router's answer).
fn routes(plane: Plane, app: AppState, build: fn(AppState) -> Router) -> Router {
    let service = match plane {
        Plane::Legacy => service::Service::Legacy,
        Plane::Arm => service::Service::Arm,
    };
    build(app).fallback(move |OriginalUri(uri): OriginalUri| async move {
        service::error_for(
            service,
            StatusCode::NOT_FOUND,
            &format!("No route for {}", uri.path()),
            None,
        )
    })
}

/// The routes `build` makes for `plane`, reading from the plane's view while it diverges.
pub fn lens(plane: Plane, app: AppState, build: fn(AppState) -> Router) -> Router {
    let real = routes(plane, app.clone(), build);
    Router::new().fallback(move |request: Request| {
        let (real, app) = (real.clone(), app.clone());
        async move {
            let divergence = app.divergence.plan();
            let divergence = divergence.of(plane);
            let router = if divergence.is_empty() || !reads(&request) {
                real
            } else {
                let view = app.tenant.read(|s| divergence.view(s));
                let tenant = Tenant::new(
                    view,
                    app.tenant.timing().clone(),
                    app.tenant.faults().clone(),
                );
                routes(plane, AppState { tenant, ..app }, build)
            };
            match router.oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            }
        }
    })
}

/// `GET /_sim/divergence`.
pub async fn get_route(State(app): State<AppState>) -> Json<DivergencePlan> {
    Json(app.divergence.plan())
}

/// `PUT /_sim/divergence` with a [`DivergencePlan`].
pub async fn put_route(State(app): State<AppState>, body: Bytes) -> Response {
    let plan = match serde_json::from_slice::<DivergencePlan>(&body) {
        Ok(plan) => plan,
        Err(e) => {
            return service::legacy_error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                &format!("not a divergence plan: {e}"),
            )
        }
    };
    match app.divergence.set(plan.clone(), &app.tenant) {
        Ok(()) => Json(plan).into_response(),
        Err(e) => service::legacy_error(StatusCode::BAD_REQUEST, "BadRequest", &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SimConfig;

    #[test]
    fn a_view_renames_hides_and_moves_and_a_plan_must_name_what_exists() {
        let (state, _) = crate::fleet::generate(&SimConfig::default());
        let (group, target) = (state.groups[0].id, state.groups[1].id);
        let device = state
            .devices
            .iter()
            .find(|d| d.group_id == Some(group))
            .unwrap()
            .id;
        let plan = PlaneDivergence {
            rename_groups: [(group, "Renamed".to_owned())].into(),
            hide_images: BTreeSet::new(),
            move_devices: [(device, target)].into(),
        };
        assert!(plan.validate(&state).is_ok());
        let view = plan.view(&state);
        assert_eq!(view.group(group).unwrap().name, "Renamed");
        assert_eq!(view.device(&device).unwrap().group_id, Some(target));
        // The tenant itself is untouched.
        assert_ne!(state.group(group).unwrap().name, "Renamed");
        assert_eq!(state.device(&device).unwrap().group_id, Some(group));

        let missing = PlaneDivergence {
            hide_images: [Uuid::nil()].into(),
            ..Default::default()
        };
        assert!(missing.validate(&state).is_err());
        let empty_name = PlaneDivergence {
            rename_groups: [(group, " ".to_owned())].into(),
            ..Default::default()
        };
        assert!(empty_name.validate(&state).is_err());
        assert!(PlaneDivergence::default().is_empty());
        assert!(!plan.is_empty());
    }
}
