//! ARM's error object, `{"error":{"code","message","target","details"}}`, and the codes the
//! simulated `Microsoft.AzureSphere` provider answers with.
//!
//! The codes and messages of the ARM front door (subscription, resource group, api-version,
//! authentication) are ARM's well-known ones; those of the provider itself are not documented for
//! Azure Sphere and are marked UNSURE where they are chosen.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::openapi::SpecViolation;
use crate::state::TenantError;

/// The api-version every ARM request must carry.
pub const API_VERSION: &str = "2024-04-01";

/// An ARM error answer before it becomes HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub target: Option<String>,
    pub details: Vec<ArmErrorDetail>,
}

/// One entry of `error.details`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmErrorDetail {
    pub code: String,
    pub message: String,
    pub target: Option<String>,
}

impl ArmError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ArmError {
            status,
            code: code.to_owned(),
            message: message.into(),
            target: None,
            details: Vec::new(),
        }
    }

    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// The JSON body (`ErrorResponse` of the ARM common types).
    pub fn body(&self) -> Value {
        let details: Vec<Value> = self
            .details
            .iter()
            .map(|d| {
                let mut detail = json!({"code": d.code, "message": d.message});
                if let Some(target) = &d.target {
                    detail["target"] = json!(target);
                }
                detail
            })
            .collect();
        let mut error = json!({"code": self.code, "message": self.message, "details": details});
        if let Some(target) = &self.target {
            error["target"] = json!(target);
        }
        json!({ "error": error })
    }

    /// `MissingApiVersionParameter`: ARM's answer when `?api-version=` is absent.
    pub fn missing_api_version() -> Self {
        ArmError::new(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    }

    /// The answer to an api-version other than 2024-04-01: ARM routes by api-version, so a
    /// well-formed but unknown version finds no provider registration, and a malformed one is
    /// rejected outright.
    // UNSURE: ARM's exact wording; the codes are the ones ARM is known to use for these cases.
    pub fn unsupported_api_version(version: &str, resource_type: &str) -> Self {
        if looks_like_api_version(version) {
            ArmError::new(
                StatusCode::BAD_REQUEST,
                "NoRegisteredProviderFound",
                format!(
                    "No registered resource provider found for location 'global' and API version \
                     '{version}' for type '{resource_type}'. The supported api-versions are \
                     '{API_VERSION}'. The supported locations are 'global'."
                ),
            )
        } else {
            ArmError::new(
                StatusCode::BAD_REQUEST,
                "InvalidApiVersionParameter",
                format!(
                    "The api-version '{version}' is invalid. The supported versions are '{API_VERSION}'."
                ),
            )
        }
    }

    pub fn subscription_not_found(subscription: &str) -> Self {
        ArmError::new(
            StatusCode::NOT_FOUND,
            "SubscriptionNotFound",
            format!("The subscription '{subscription}' could not be found."),
        )
    }

    pub fn resource_group_not_found(resource_group: &str) -> Self {
        ArmError::new(
            StatusCode::NOT_FOUND,
            "ResourceGroupNotFound",
            format!("Resource group '{resource_group}' could not be found."),
        )
    }

    /// `ResourceNotFound` for a resource of `resource_type` (e.g. `catalogs/products`).
    pub fn resource_not_found(resource_type: &str, name: &str, resource_group: &str) -> Self {
        ArmError::new(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!(
                "The Resource 'Microsoft.AzureSphere/{resource_type}/{name}' under resource group \
                 '{resource_group}' was not found. For more details please go to \
                 https://aka.ms/ARMResourceNotFoundFix"
            ),
        )
    }

    /// A path that names no resource type of the provider.
    // UNSURE: ARM's code for a path matching no route of the provider (`InvalidResourceType`
    // assumed, 404); a known path with an unsupported method gets the same answer.
    pub fn invalid_resource_type(path: &str) -> Self {
        ArmError::new(
            StatusCode::NOT_FOUND,
            "InvalidResourceType",
            format!(
                "The resource type could not be found in the namespace 'Microsoft.AzureSphere' \
                 for api version '{API_VERSION}' (path '{path}')."
            ),
        )
    }

    /// A body that is not JSON, or not the JSON the operation takes.
    // UNSURE: ARM answers schema violations with `InvalidRequestContent` and one detail per
    // violation; some providers use `BadRequest` or `InvalidRequestFormat` instead.
    pub fn invalid_request_content(message: impl Into<String>) -> Self {
        ArmError::new(StatusCode::BAD_REQUEST, "InvalidRequestContent", message)
    }

    /// The 400 for a body that fails the spec, with each violation as a detail.
    pub fn from_violation(violation: &SpecViolation) -> Self {
        let mut error = ArmError::invalid_request_content(format!(
            "The request content was invalid and could not be deserialized: {violation}"
        ));
        if let SpecViolation::Schema { messages, .. } = violation {
            error.details = messages
                .iter()
                .map(|m| ArmErrorDetail {
                    code: "InvalidRequestContent".to_owned(),
                    message: m.clone(),
                    target: target_of(m),
                })
                .collect();
        }
        error
    }

    /// A route of the spec that the simulator does not implement.
    pub fn not_implemented(operation_id: &str) -> Self {
        ArmError::new(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            format!("The simulator does not implement {operation_id}."),
        )
    }

    /// The simulator broke its own contract (a response that fails the spec).
    pub fn internal(message: impl Into<String>) -> Self {
        ArmError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            message,
        )
    }

    /// The ARM form of a tenant error. `resource_group` fills ARM's not-found wording.
    // UNSURE: the provider's codes for a rule violation (400 `BadRequest`) and a conflict
    // (409 `Conflict`) are not documented for Azure Sphere.
    pub fn from_tenant(error: &TenantError, resource_group: &str) -> Self {
        match error {
            TenantError::NotFound { what, id } => {
                let resource_type = match *what {
                    "product" => "catalogs/products",
                    "device group" => "catalogs/products/deviceGroups",
                    "device" => "catalogs/products/deviceGroups/devices",
                    "image" => "catalogs/images",
                    "deployment" => "catalogs/products/deviceGroups/deployments",
                    other => other,
                };
                ArmError::resource_not_found(resource_type, id, resource_group)
            }
            TenantError::BadRequest(message) => {
                ArmError::new(StatusCode::BAD_REQUEST, "BadRequest", message.clone())
            }
            TenantError::Conflict(message) => {
                ArmError::new(StatusCode::CONFLICT, "Conflict", message.clone())
            }
        }
    }
}

/// `2024-04-01` or `2022-09-01-preview`.
fn looks_like_api_version(text: &str) -> bool {
    let date = text.strip_suffix("-preview").unwrap_or(text);
    let bytes = date.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
}

/// The dotted property path (`properties.osFeedType`) of a violation message
/// (`at `/properties/osFeedType`: ...`), for `details[].target`.
fn target_of(message: &str) -> Option<String> {
    let pointer = message.strip_prefix("at `")?.split('`').next()?;
    let dotted = pointer.trim_start_matches('/').replace('/', ".");
    (!dotted.is_empty()).then_some(dotted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions_are_told_apart_from_garbage() {
        let table = [
            ("2023-01-01", "NoRegisteredProviderFound"),
            ("2022-09-01-preview", "NoRegisteredProviderFound"),
            ("latest", "InvalidApiVersionParameter"),
            ("2024-4-1", "InvalidApiVersionParameter"),
            ("", "InvalidApiVersionParameter"),
        ];
        for (version, code) in table {
            assert_eq!(
                ArmError::unsupported_api_version(version, "catalogs").code,
                code,
                "{version}"
            );
        }
    }

    #[test]
    fn violation_targets_are_dotted_paths() {
        assert_eq!(
            target_of("at `/properties/osFeedType`: \"Beta\" is not one of ..."),
            Some("properties.osFeedType".to_owned())
        );
        assert_eq!(target_of("at ``: bad"), None);
        assert_eq!(target_of("no pointer"), None);
    }
}
