//! The domain model both control planes are read into: tenants or catalogs, products, device groups,
//! devices, images, deployments, operations. Ids are newtypes so a group id can never be passed
//! where an image id belongs.
//!
//! Boundary promise: these plain data types derive `Serialize` so the app and the CLI (`--json`) can
//! show them as they are; they hold no secrets and no wire-format quirks (the legacy API's integer
//! enums and ARM's nested `properties` are translated in `legacy.rs` / `arm.rs`).

use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::error::{CloudError, ServiceFault};

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(id: impl Into<String>) -> Self {
                $name(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// A legacy tenant id (GUID) or an ARM catalog's full resource id.
    TenantId
);
string_id!(
    /// A legacy product id (GUID) or an ARM product's full resource id.
    ProductId
);
string_id!(
    /// A legacy device group id (GUID) or an ARM device group's full resource id.
    DeviceGroupId
);
string_id!(
    /// An operation id (legacy) or an operation URL (ARM).
    OperationId
);
string_id!(
    /// A deployment id.
    DeploymentId
);

/// An image id: the GUID inside the image package. Compared case-insensitively (the legacy API
/// and ARM do not agree on case).
#[derive(Debug, Clone, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(transparent)]
pub struct ImageId(String);

impl ImageId {
    pub fn new(id: impl Into<String>) -> Self {
        ImageId(id.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl PartialEq for ImageId {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}
impl Eq for ImageId {}
impl Hash for ImageId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.to_ascii_lowercase().hash(state)
    }
}
impl fmt::Display for ImageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An Azure Sphere device id: 128 hexadecimal characters, compared case-insensitively. It is also
/// the device's id on IoT Hub.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DeviceId(String);

impl DeviceId {
    /// Checks the shape (128 hex characters) and keeps the spelling given.
    pub fn parse(text: &str) -> Result<DeviceId, CloudError> {
        let text = text.trim();
        if text.len() != 128 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(CloudError::InvalidInput {
                what: "device id",
                reason: format!(
                    "expected 128 hexadecimal characters, got {} characters",
                    text.chars().count()
                ),
            });
        }
        Ok(DeviceId(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 8 characters, for compact display.
    pub fn short(&self) -> &str {
        &self.0[..8]
    }
}

impl TryFrom<String> for DeviceId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        DeviceId::parse(&value).map_err(|e| e.to_string())
    }
}
impl From<DeviceId> for String {
    fn from(value: DeviceId) -> Self {
        value.0
    }
}
impl PartialEq for DeviceId {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}
impl Eq for DeviceId {}
impl Hash for DeviceId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.to_ascii_lowercase().hash(state)
    }
}
impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A legacy tenant or an ARM catalog: the top of the tree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TenantInfo {
    pub id: TenantId,
    pub name: String,
    /// The signed-in account's roles there (legacy only; empty on ARM).
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Product {
    pub id: ProductId,
    pub name: String,
    pub description: Option<String>,
}

/// Which devices of a group take cloud deployments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum UpdatePolicy {
    /// Every image is updated: the only policy under which FOTA deployments reach devices.
    UpdateAll,
    /// The OS is updated, customer applications are not.
    No3rdPartyAppUpdates,
    /// Nothing is updated.
    NoUpdates,
    /// A value this version does not know, kept verbatim.
    Other(String),
}

impl UpdatePolicy {
    /// Reads the legacy integer.
    pub fn from_legacy(n: i64) -> Self {
        match n {
            0 => UpdatePolicy::UpdateAll,
            1 => UpdatePolicy::No3rdPartyAppUpdates,
            // UNSURE: 2 = NoUpdates (seen in clients, not in the documentation).
            2 => UpdatePolicy::NoUpdates,
            other => UpdatePolicy::Other(other.to_string()),
        }
    }

    /// Reads ARM's string.
    pub fn from_arm(s: &str) -> Self {
        match s {
            "UpdateAll" => UpdatePolicy::UpdateAll,
            "No3rdPartyAppUpdates" => UpdatePolicy::No3rdPartyAppUpdates,
            "NoUpdates" => UpdatePolicy::NoUpdates,
            other => UpdatePolicy::Other(other.to_owned()),
        }
    }

    /// Whether deployments of customer images reach the group's devices.
    pub fn takes_app_updates(&self) -> bool {
        matches!(self, UpdatePolicy::UpdateAll)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum OsFeed {
    Retail,
    RetailEval,
    Other(String),
}

impl OsFeed {
    pub fn from_legacy(n: i64) -> Self {
        match n {
            0 => OsFeed::Retail,
            1 => OsFeed::RetailEval,
            other => OsFeed::Other(other.to_string()),
        }
    }
    pub fn from_arm(s: &str) -> Self {
        match s {
            "Retail" => OsFeed::Retail,
            "RetailEval" => OsFeed::RetailEval,
            other => OsFeed::Other(other.to_owned()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceGroup {
    pub id: DeviceGroupId,
    pub name: String,
    pub product: ProductId,
    /// The product's name where the answer carries it (ARM: from the resource id).
    pub product_name: Option<String>,
    pub description: Option<String>,
    pub os_feed: Option<OsFeed>,
    pub update_policy: Option<UpdatePolicy>,
    /// The legacy API embeds it; ARM only says `hasDeployment` (read it with
    /// `ControlPlane::current_deployment`).
    pub current_deployment: Option<Deployment>,
    pub has_deployment: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Device {
    pub id: DeviceId,
    pub product: Option<ProductId>,
    pub group: Option<DeviceGroupId>,
    pub chip_sku: Option<String>,
    pub last_available_os_version: Option<String>,
    pub last_installed_os_version: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_os_update: Option<OffsetDateTime>,
    /// The device's last update check-in: watch it advance to confirm an "update now".
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_update_request: Option<OffsetDateTime>,
}

/// Whether the service finished processing an uploaded image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ImageState {
    Ready,
    Processing,
    Failed,
    /// The service does not say (legacy metadata carries no state).
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageInfo {
    pub id: ImageId,
    pub component_id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    /// `Applications`, `CustomerBoardConfig`, ... (legacy integers translated).
    pub image_type: Option<String>,
    pub state: ImageState,
}

/// Names the legacy image-type integers the product meets.
pub fn legacy_image_type(n: i64) -> String {
    match n {
        10 => "Applications".into(),
        21 => "CustomerBoardConfig".into(),
        other => format!("ImageType{other}"),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deployment {
    pub id: DeploymentId,
    #[serde(with = "time::serde::rfc3339::option")]
    pub deployed_at: Option<OffsetDateTime>,
    pub images: Vec<ImageId>,
}

impl Deployment {
    /// Whether this deployment holds exactly `images` (order and case ignored).
    pub fn holds_exactly(&self, images: &[ImageId]) -> bool {
        let mine: std::collections::HashSet<&ImageId> = self.images.iter().collect();
        let theirs: std::collections::HashSet<&ImageId> = images.iter().collect();
        mine == theirs
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum OperationState {
    NotStarted,
    InProgress,
    Succeeded,
    Failed,
    /// Legacy state 4.
    CompleteWithErrors,
    Canceled,
}

impl OperationState {
    pub fn is_terminal(&self) -> bool {
        !matches!(
            self,
            OperationState::NotStarted | OperationState::InProgress
        )
    }

    pub fn from_legacy(n: i64) -> Self {
        match n {
            0 => OperationState::NotStarted,
            1 => OperationState::InProgress,
            2 => OperationState::Succeeded,
            3 => OperationState::Failed,
            4 => OperationState::CompleteWithErrors,
            // Unknown states are treated as still running; the deadline ends the wait.
            _ => OperationState::InProgress,
        }
    }

    pub fn from_arm(s: &str) -> Self {
        match s {
            "Succeeded" => OperationState::Succeeded,
            "Failed" => OperationState::Failed,
            "Canceled" | "Cancelled" => OperationState::Canceled,
            "NotStarted" | "Accepted" => OperationState::NotStarted,
            _ => OperationState::InProgress,
        }
    }
}

/// The state of an asynchronous operation (legacy Operation, ARM LRO).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperationStatus {
    pub id: OperationId,
    pub state: OperationState,
    /// Where the result lives, when the service says.
    pub resource_location: Option<String>,
    #[serde(skip)]
    pub error: Option<ServiceFault>,
}

/// Reads an ISO-8601 timestamp as .NET and ARM write it (with or without an offset, any number of
/// fractional digits). Unreadable values become `None` rather than failing a whole listing.
pub(crate) fn parse_timestamp(text: Option<&str>) -> Option<OffsetDateTime> {
    use time::format_description::well_known::Rfc3339;
    let text = text?.trim();
    if text.is_empty() {
        return None;
    }
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()
        // .NET writes UTC times without an offset ("2024-05-01T10:00:00.1234567").
        .or_else(|| OffsetDateTime::parse(&format!("{text}Z"), &Rfc3339).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_ids_are_checked_and_compared_case_insensitively() {
        let lower = "ab".repeat(64);
        let upper = "AB".repeat(64);
        let a = DeviceId::parse(&lower).unwrap();
        let b = DeviceId::parse(&upper).unwrap();
        assert_eq!(a, b);
        let mut set = std::collections::HashSet::new();
        set.insert(a);
        assert!(set.contains(&b));
        for bad in [
            "",
            "abc",
            &"g".repeat(128),
            &"a".repeat(127),
            &"a".repeat(129),
        ] {
            assert_eq!(
                DeviceId::parse(bad).unwrap_err().kind(),
                "invalid_input",
                "{bad}"
            );
        }
        assert!(serde_json::from_str::<DeviceId>("\"short\"").is_err());
    }

    #[test]
    fn timestamps_with_and_without_offsets_are_read() {
        assert!(parse_timestamp(Some("2024-05-01T10:00:00Z")).is_some());
        assert!(parse_timestamp(Some("2024-05-01T10:00:00.1234567")).is_some());
        assert!(parse_timestamp(Some("2024-05-01T10:00:00+02:00")).is_some());
        assert!(parse_timestamp(Some("yesterday")).is_none());
        assert!(parse_timestamp(None).is_none());
    }

    #[test]
    fn deployments_compare_image_sets() {
        let d = Deployment {
            id: DeploymentId::new("d"),
            deployed_at: None,
            images: vec![ImageId::new("AA"), ImageId::new("bb")],
        };
        assert!(d.holds_exactly(&[ImageId::new("BB"), ImageId::new("aa")]));
        assert!(!d.holds_exactly(&[ImageId::new("aa")]));
        assert!(!d.holds_exactly(&[ImageId::new("aa"), ImageId::new("bb"), ImageId::new("cc")]));
    }
}
