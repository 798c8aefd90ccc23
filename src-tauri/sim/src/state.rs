//! The simulated tenant's data model: the one source of truth that every simulated API reads
//! and changes.
//!
//! # Shape
//!
//! [`Tenant`] is a cheap-to-clone handle on one [`TenantState`] behind a `std::sync::Mutex`.
//! Every API (legacy AS3, ARM, IoT Hub, the control API) goes through it, so the legacy and ARM
//! views of a group, a device or an image are always the same object:
//!
//! - one Azure Sphere tenant ([`TenantInfo`]: the legacy tenant id, also used as the ARM catalog's
//!   tenant) holding [`Product`]s, [`DeviceGroup`]s (each in one product), [`Device`]s (each in at
//!   most one product and group), uploaded [`Image`]s, [`Deployment`]s (each belongs to one group;
//!   a group's *current* deployment is `DeviceGroup::current_deployment`) and asynchronous
//!   [`Operation`]s;
//! - per device, the gateway's IoT Hub side ([`Gateway`]): connection state, the reported app
//!   versions, `NodeFwAvailable` and its WIZ750SR [`Node`]s. The twin JSON is rendered from it by
//!   the IoT Hub module; the data lives here so that a deployment can change it.
//!
//! # Rules for callers
//!
//! - Lock briefly: use [`Tenant::read`] / [`Tenant::write`] with a closure that copies out what it
//!   needs; never hold the lock across an `.await` (the closure form makes that impossible).
//! - Ids are `uuid::Uuid` (rendered lowercase with hyphens by both APIs) except devices, which
//!   are [`DeviceId`] (128 hex characters; parsed case-insensitively).
//! - Times are `time::OffsetDateTime` in UTC, read from the wall clock at the edges.
//! - Errors are [`TenantError`]; each API turns them into its own error format
//!   (legacy: JSON array; ARM: `{"error":{...}}`).
//! - Changes that are asynchronous in the real service (move device, image upload, deployment)
//!   return an [`Operation`] whose effect is applied when it completes, after
//!   `SimTiming::operation_start` (NotStarted → InProgress) and `SimTiming::operation_run`
//!   (InProgress → Complete/Failed). Both APIs poll the same operation: the ARM module can use
//!   [`Tenant::operation`] to answer `Azure-AsyncOperation` / `Location` polls.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::faults::Faults;
use crate::holds::{Hold, Holds};
use crate::rng::SeededRng;
use crate::SimTiming;

/// How many journal entries the tenant keeps (oldest dropped first).
const JOURNAL_CAPACITY: usize = 2000;

/// Errors of tenant operations. Each API maps them onto its own wire format and status code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenantError {
    /// The named resource does not exist (404).
    #[error("{what} {id} was not found")]
    NotFound { what: &'static str, id: String },
    /// The request is malformed or breaks a rule of the service (400).
    #[error("{0}")]
    BadRequest(String),
    /// The request conflicts with the resource's current state (409).
    #[error("{0}")]
    Conflict(String),
}

impl TenantError {
    pub fn not_found(what: &'static str, id: impl fmt::Display) -> Self {
        TenantError::NotFound {
            what,
            id: id.to_string(),
        }
    }
}

/// A device id: 64 bytes, shown as 128 hex characters. Azure Sphere prints them uppercase;
/// IoT Hub device ids registered through DPS are lowercase. Parsing accepts either case.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceId(pub [u8; 64]);

impl DeviceId {
    /// Uppercase hex, the way the Azure Sphere APIs show it.
    // UNSURE: the legacy API and ARM return device ids uppercase (azsphere prints them so).
    pub fn upper(&self) -> String {
        hex::encode_upper(self.0)
    }
    /// Lowercase hex, the IoT Hub device id (DPS registers the lowercase form).
    // UNSURE: the gateways' IoT Hub device ids are the lowercase form of the Sphere device id.
    pub fn lower(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceId({}…)", &self.upper()[..12])
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.upper())
    }
}

/// Why a string is not a device id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a device id is 128 hexadecimal characters")]
pub struct BadDeviceId;

impl FromStr for DeviceId {
    type Err = BadDeviceId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 128 {
            return Err(BadDeviceId);
        }
        let mut bytes = [0u8; 64];
        hex::decode_to_slice(s, &mut bytes).map_err(|_| BadDeviceId)?;
        Ok(DeviceId(bytes))
    }
}

impl Serialize for DeviceId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.upper())
    }
}

impl<'de> Deserialize<'de> for DeviceId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A `major.minor.patch` version as the gateways report it (`HLAppVer`, `RTAppVer`, node
/// `fwVersion`). Ordered numerically per component.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Version {
    pub major: u16,
    pub minor: u16,
    pub patch: u16,
}

impl Version {
    pub const fn new(major: u16, minor: u16, patch: u16) -> Self {
        Version {
            major,
            minor,
            patch,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl FromStr for Version {
    type Err = TenantError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || TenantError::BadRequest(format!("'{s}' is not a major.minor.patch version"));
        let mut parts = s.split('.');
        let mut next = || -> Result<u16, TenantError> {
            parts.next().ok_or_else(bad)?.parse().map_err(|_| bad())
        };
        let version = Version::new(next()?, next()?, next()?);
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(version)
    }
}

impl Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The tenant itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TenantInfo {
    /// The legacy API's tenant id (`/v2/tenants/{id}`).
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Product {
    pub id: Uuid,
    pub name: String,
    pub description: String,
}

/// The OS feed of a device group. Legacy: integer; ARM: string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OsFeedType {
    Retail,
    RetailEval,
}

impl OsFeedType {
    pub fn legacy(self) -> u8 {
        match self {
            OsFeedType::Retail => 0,
            OsFeedType::RetailEval => 1,
        }
    }
    pub fn from_legacy(value: u64) -> Option<Self> {
        match value {
            0 => Some(OsFeedType::Retail),
            1 => Some(OsFeedType::RetailEval),
            _ => None,
        }
    }
    /// ARM's spelling (`osFeedType`).
    pub fn arm(self) -> &'static str {
        match self {
            OsFeedType::Retail => "Retail",
            OsFeedType::RetailEval => "RetailEval",
        }
    }
    pub fn from_arm(value: &str) -> Option<Self> {
        match value {
            "Retail" => Some(OsFeedType::Retail),
            "RetailEval" => Some(OsFeedType::RetailEval),
            _ => None,
        }
    }
}

/// What a group's devices take from the cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UpdatePolicy {
    /// Apps and the OS (legacy 0).
    UpdateAll,
    /// The OS only, no customer apps (legacy 1).
    No3rdPartyAppUpdates,
    /// Nothing at all (legacy 2; seen in clients, not in ARM).
    // UNSURE: legacy value 2 = NoUpdates exists on the real service.
    NoUpdates,
}

impl UpdatePolicy {
    pub fn legacy(self) -> u8 {
        match self {
            UpdatePolicy::UpdateAll => 0,
            UpdatePolicy::No3rdPartyAppUpdates => 1,
            UpdatePolicy::NoUpdates => 2,
        }
    }
    pub fn from_legacy(value: u64) -> Option<Self> {
        match value {
            0 => Some(UpdatePolicy::UpdateAll),
            1 => Some(UpdatePolicy::No3rdPartyAppUpdates),
            2 => Some(UpdatePolicy::NoUpdates),
            _ => None,
        }
    }
    /// ARM's spelling (`updatePolicy`); ARM has no NoUpdates, so it shows as
    /// No3rdPartyAppUpdates there.
    pub fn arm(self) -> &'static str {
        match self {
            UpdatePolicy::UpdateAll => "UpdateAll",
            UpdatePolicy::No3rdPartyAppUpdates | UpdatePolicy::NoUpdates => "No3rdPartyAppUpdates",
        }
    }
    pub fn from_arm(value: &str) -> Option<Self> {
        match value {
            "UpdateAll" => Some(UpdatePolicy::UpdateAll),
            "No3rdPartyAppUpdates" => Some(UpdatePolicy::No3rdPartyAppUpdates),
            _ => None,
        }
    }
    /// Whether devices of the group install customer images.
    pub fn allows_apps(self) -> bool {
        self == UpdatePolicy::UpdateAll
    }
}

/// A device group (one product holds many).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceGroup {
    pub id: Uuid,
    pub product_id: Uuid,
    pub name: String,
    pub description: String,
    pub os_feed_type: OsFeedType,
    pub update_policy: UpdatePolicy,
    pub allow_crash_dumps: bool,
    /// ARM's `regionalDataBoundary`: false = "None", true = "EU".
    pub regional_data_boundary_eu: bool,
    /// The group's current deployment (a [`Deployment`] id), set when a deployment operation
    /// completes.
    pub current_deployment: Option<Uuid>,
}

/// The fields of a new device group (legacy `POST devicegroups`, ARM `PUT deviceGroups/{name}`).
#[derive(Debug, Clone)]
pub struct NewDeviceGroup {
    pub product_id: Uuid,
    pub name: String,
    pub description: String,
    pub os_feed_type: OsFeedType,
    pub update_policy: UpdatePolicy,
    pub allow_crash_dumps: bool,
}

/// A partial change of a device group (legacy `PATCH`, ARM `PATCH`); `None` keeps the value.
#[derive(Debug, Clone, Default)]
pub struct DeviceGroupPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub os_feed_type: Option<OsFeedType>,
    pub update_policy: Option<UpdatePolicy>,
    pub allow_crash_dumps: Option<bool>,
    pub regional_data_boundary_eu: Option<bool>,
}

/// Azure Sphere OS versions the simulated devices report, oldest first.
pub const OS_VERSIONS: [&str; 4] = ["23.10", "24.03", "24.10", "25.02"];

/// A claimed Azure Sphere device; its IoT Hub side is [`Gateway`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Device {
    pub id: DeviceId,
    /// `None` = not in a product (ARM `.default`).
    pub product_id: Option<Uuid>,
    /// `None` = not in a group (ARM `.unassigned`).
    pub group_id: Option<Uuid>,
    /// 0 for MT3620AN, the only chip the ASG210 carries.
    pub chip_sku: u8,
    /// Index into [`OS_VERSIONS`].
    pub available_os: u8,
    /// Index into [`OS_VERSIONS`].
    pub installed_os: u8,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_os_update: Option<OffsetDateTime>,
    /// The last update check-in (`LastUpdateRequestUTC` / `lastUpdateRequestUtc`): set each time
    /// the gateway comes back online after a restart.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_update_request: Option<OffsetDateTime>,
    pub gateway: Gateway,
}

/// The IoT Hub side of a device: what its twin reports and whether it is connected.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Gateway {
    /// Connected to IoT Hub right now.
    pub connected: bool,
    /// Held offline by the control API or a fault plan (it stays offline through restarts).
    pub held_offline: bool,
    /// A restart is under way (between the `RestartDevice` answer and the check-in).
    pub restarting: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub last_activity: OffsetDateTime,
    /// Increments on every twin change; rendered as the twin's `etag` and `$version`.
    pub twin_version: u64,
    /// `HLAppVer`.
    pub hl_app: Version,
    /// `RTAppVer`.
    pub rt_app: Version,
    /// `NodeFwAvailable`: the WIZ750SR firmware compiled into the installed RTApp.
    pub node_fw_available: Version,
    /// The deployment whose images the gateway runs (`None`: factory images).
    pub installed_deployment: Option<Uuid>,
    pub nodes: Vec<Node>,
}

/// A WIZ750SR node behind a gateway.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Node {
    /// 6 bytes, shown as 12 uppercase hex characters.
    pub mac: [u8; 6],
    /// e.g. `WIZ750SR-WATON-03`.
    pub name: String,
    pub fw_version: Version,
    /// `Nodes.<MAC>.update` while/after an update, `None` before the first one.
    pub update: Option<NodeUpdate>,
}

impl Node {
    /// The MAC as the twin shows it: 12 uppercase hex characters.
    // UNSURE: the real firmware's MAC spelling in the twin (case, separators) is not public.
    pub fn mac_text(&self) -> String {
        hex::encode_upper(self.mac)
    }
    /// `status` in the twin: `READY`, or `UPDATING` while an update runs.
    pub fn status(&self) -> &'static str {
        match &self.update {
            Some(update) if update.state == NodeUpdateState::InProgress => "UPDATING",
            _ => "READY",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeUpdateState {
    InProgress,
    Succeeded,
    Failed,
}

/// A node update's progress (`Nodes.<MAC>.update` in the twin).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeUpdate {
    pub state: NodeUpdateState,
    pub percent: u8,
    pub error: Option<String>,
    /// The version being flashed.
    pub target: Version,
}

/// What an image package is, as far as a deployment is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImageKind {
    HighLevelApp,
    RealTimeApp,
    BoardConfig,
    Other,
}

/// An uploaded image (the package bytes are not kept: only what the APIs report).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Image {
    /// The image id read from the package (every build has a fresh one).
    pub id: Uuid,
    pub component_id: Uuid,
    /// The package's name (the app manifest's `Name`, else the debug name).
    pub name: String,
    pub description: String,
    /// Azure Sphere image type: 10 Applications, 21 CustomerBoardConfig, ...
    pub image_type: u16,
    pub kind: ImageKind,
    /// Size of the uploaded package in bytes.
    pub length: u64,
    /// SHA-256 of the bytes received, lower-case hex (`GET /_sim/state`; not part of either
    /// API's image resource). Empty in state saved before it was recorded.
    #[serde(default)]
    pub sha256: String,
    #[serde(with = "time::serde::rfc3339")]
    pub uploaded: OffsetDateTime,
    /// False while the upload operation runs (ARM `provisioningState` Provisioning).
    pub ready: bool,
    /// The version a gateway reports after installing it (see [`crate::fleet::image_version`]).
    pub version: Version,
    /// For an RTApp: the WIZ750SR firmware it carries (the gateway's `NodeFwAvailable`).
    pub node_fw: Option<Version>,
}

/// The facts of an uploaded package that the tenant keeps (read by `package::facts`).
#[derive(Debug, Clone)]
pub struct PackageFacts {
    pub image_id: Uuid,
    pub component_id: Uuid,
    pub name: String,
    pub image_type: u16,
    pub kind: ImageKind,
    pub length: u64,
    /// SHA-256 of the package's bytes, lower-case hex.
    pub sha256: String,
}

/// A deployment: the image set a group's devices should run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deployment {
    pub id: Uuid,
    pub group_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    pub images: Vec<Uuid>,
}

/// Legacy `OperationType` values (integers on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OperationKind {
    /// 2: a device moved to another group.
    DeviceUpdateDeviceGroup,
    /// 5: a deployment to a group.
    DeployToDeviceGroup,
    /// 7: an image upload.
    ImageUpload,
}

impl OperationKind {
    pub fn legacy(self) -> u8 {
        match self {
            OperationKind::DeviceUpdateDeviceGroup => 2,
            OperationKind::DeployToDeviceGroup => 5,
            OperationKind::ImageUpload => 7,
        }
    }
}

/// Legacy operation `State` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OperationState {
    NotStarted,
    InProgress,
    Complete,
    Failed,
    CompleteWithErrors,
}

impl OperationState {
    pub fn legacy(self) -> u8 {
        match self {
            OperationState::NotStarted => 0,
            OperationState::InProgress => 1,
            OperationState::Complete => 2,
            OperationState::Failed => 3,
            OperationState::CompleteWithErrors => 4,
        }
    }
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            OperationState::Complete | OperationState::Failed | OperationState::CompleteWithErrors
        )
    }
}

/// A failed operation's error: legacy `Error: {Code, Message}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationError {
    /// 0 OperationFailed, 5 BadRequest, 6 Forbidden, 7 Conflict, 8 NotFound.
    pub code: u8,
    pub message: String,
}

/// What an operation does when it completes, and the resource it is about.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum OperationEffect {
    MoveDevice { device: DeviceId, group: Uuid },
    Deploy { group: Uuid, deployment: Uuid },
    ImageUpload { image: Uuid },
}

/// An asynchronous change.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Operation {
    pub id: Uuid,
    pub kind: OperationKind,
    pub state: OperationState,
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub started: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub completed: Option<OffsetDateTime>,
    pub effect: OperationEffect,
    /// Set when the operation ends Failed.
    pub error: Option<OperationError>,
    /// Decided at creation (fault plan): the error it will end with.
    pub planned_failure: Option<OperationError>,
}

/// One API call, kept for tests (`snapshot()["journal"]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JournalEntry {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub service: String,
    pub method: String,
    pub path: String,
    pub status: u16,
}

/// Everything the tenant holds. Public fields: read it through [`Tenant::read`], change it
/// through [`Tenant::write`] or the named methods (which keep the indexes right).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TenantState {
    pub info: TenantInfo,
    pub products: Vec<Product>,
    pub groups: Vec<DeviceGroup>,
    /// In creation order (stable paging order).
    pub devices: Vec<Device>,
    pub images: Vec<Image>,
    pub deployments: Vec<Deployment>,
    pub operations: Vec<Operation>,
    pub journal: VecDeque<JournalEntry>,
    /// Images uploaded so far per component id (the `1.0.<n>` version rule).
    pub uploads_per_component: HashMap<Uuid, u16>,
    /// Draws new ids; seeded so a replayed run gives the same ids.
    pub rng: SeededRng,
    #[serde(skip)]
    device_index: HashMap<DeviceId, usize>,
}

impl TenantState {
    /// A tenant holding exactly these parts (the fleet generator builds them).
    pub fn new(
        info: TenantInfo,
        products: Vec<Product>,
        groups: Vec<DeviceGroup>,
        devices: Vec<Device>,
        rng: SeededRng,
    ) -> Self {
        let mut state = TenantState {
            info,
            products,
            groups,
            devices,
            images: Vec::new(),
            deployments: Vec::new(),
            operations: Vec::new(),
            journal: VecDeque::new(),
            uploads_per_component: HashMap::new(),
            rng,
            device_index: HashMap::new(),
        };
        state.reindex();
        state
    }

    /// Rebuilds the device index (after loading from a file).
    pub fn reindex(&mut self) {
        self.device_index = self
            .devices
            .iter()
            .enumerate()
            .map(|(i, d)| (d.id, i))
            .collect();
    }

    pub fn product(&self, id: Uuid) -> Result<&Product, TenantError> {
        self.products
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| TenantError::not_found("product", id))
    }

    /// A product by name (ARM addresses products by name), case-insensitively.
    pub fn product_by_name(&self, name: &str) -> Result<&Product, TenantError> {
        self.products
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| TenantError::not_found("product", name))
    }

    pub fn group(&self, id: Uuid) -> Result<&DeviceGroup, TenantError> {
        self.groups
            .iter()
            .find(|g| g.id == id)
            .ok_or_else(|| TenantError::not_found("device group", id))
    }

    fn group_mut(&mut self, id: Uuid) -> Result<&mut DeviceGroup, TenantError> {
        self.groups
            .iter_mut()
            .find(|g| g.id == id)
            .ok_or_else(|| TenantError::not_found("device group", id))
    }

    /// A group by product and group name (ARM addresses groups by names), case-insensitively.
    pub fn group_by_name(&self, product: Uuid, name: &str) -> Result<&DeviceGroup, TenantError> {
        self.groups
            .iter()
            .find(|g| g.product_id == product && g.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| TenantError::not_found("device group", name))
    }

    pub fn device(&self, id: &DeviceId) -> Result<&Device, TenantError> {
        self.device_index
            .get(id)
            .map(|&i| &self.devices[i])
            .ok_or_else(|| TenantError::not_found("device", id))
    }

    pub fn device_mut(&mut self, id: &DeviceId) -> Result<&mut Device, TenantError> {
        match self.device_index.get(id) {
            Some(&i) => Ok(&mut self.devices[i]),
            None => Err(TenantError::not_found("device", id)),
        }
    }

    /// The devices whose ids (either case) `ids` names, each once, in creation order; ids that
    /// name no device are left out. An index lookup per id: a twin query naming a page of
    /// gateways costs that page, not the fleet.
    pub fn devices_named<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> Vec<&Device> {
        let mut found: Vec<usize> = ids
            .into_iter()
            .filter_map(|text| text.parse::<DeviceId>().ok())
            .filter_map(|id| self.device_index.get(&id).copied())
            .collect();
        found.sort_unstable();
        found.dedup();
        found.into_iter().map(|i| &self.devices[i]).collect()
    }

    /// A device by its id text (either case).
    pub fn device_by_text(&self, id: &str) -> Result<&Device, TenantError> {
        let parsed: DeviceId = id
            .parse()
            .map_err(|_| TenantError::not_found("device", id))?;
        self.device(&parsed)
    }

    pub fn image(&self, id: Uuid) -> Result<&Image, TenantError> {
        self.images
            .iter()
            .find(|i| i.id == id)
            .ok_or_else(|| TenantError::not_found("image", id))
    }

    pub fn deployment(&self, id: Uuid) -> Result<&Deployment, TenantError> {
        self.deployments
            .iter()
            .find(|d| d.id == id)
            .ok_or_else(|| TenantError::not_found("deployment", id))
    }

    /// A group's deployments, oldest first.
    pub fn deployments_of(&self, group: Uuid) -> impl Iterator<Item = &Deployment> {
        self.deployments.iter().filter(move |d| d.group_id == group)
    }

    /// The devices of a group, in creation order.
    pub fn devices_of(&self, group: Uuid) -> impl Iterator<Item = &Device> {
        self.devices
            .iter()
            .filter(move |d| d.group_id == Some(group))
    }

    pub fn operation(&self, id: Uuid) -> Result<&Operation, TenantError> {
        self.operations
            .iter()
            .rev()
            .find(|o| o.id == id)
            .ok_or_else(|| TenantError::not_found("operation", id))
    }

    /// Appends to the journal, dropping the oldest entry when full.
    pub fn record(&mut self, entry: JournalEntry) {
        if self.journal.len() >= JOURNAL_CAPACITY {
            self.journal.pop_front();
        }
        self.journal.push_back(entry);
    }

    /// Creates a device group (synchronous in both APIs).
    pub fn create_group(&mut self, new: NewDeviceGroup) -> Result<DeviceGroup, TenantError> {
        self.product(new.product_id)?;
        check_name(&new.name)?;
        if self
            .groups
            .iter()
            .any(|g| g.product_id == new.product_id && g.name.eq_ignore_ascii_case(&new.name))
        {
            // UNSURE: the real service's answer to a duplicate group name (409 assumed).
            return Err(TenantError::Conflict(format!(
                "a device group named '{}' already exists in this product",
                new.name
            )));
        }
        let group = DeviceGroup {
            id: self.rng.uuid(),
            product_id: new.product_id,
            name: new.name,
            description: new.description,
            os_feed_type: new.os_feed_type,
            update_policy: new.update_policy,
            allow_crash_dumps: new.allow_crash_dumps,
            regional_data_boundary_eu: false,
            current_deployment: None,
        };
        self.groups.push(group.clone());
        Ok(group)
    }

    /// Changes the given fields of a group.
    pub fn patch_group(
        &mut self,
        id: Uuid,
        patch: DeviceGroupPatch,
    ) -> Result<DeviceGroup, TenantError> {
        if let Some(name) = &patch.name {
            check_name(name)?;
            let product = self.group(id)?.product_id;
            if self
                .groups
                .iter()
                .any(|g| g.id != id && g.product_id == product && g.name.eq_ignore_ascii_case(name))
            {
                return Err(TenantError::Conflict(format!(
                    "a device group named '{name}' already exists in this product"
                )));
            }
        }
        let group = self.group_mut(id)?;
        if let Some(v) = patch.name {
            group.name = v;
        }
        if let Some(v) = patch.description {
            group.description = v;
        }
        if let Some(v) = patch.os_feed_type {
            group.os_feed_type = v;
        }
        if let Some(v) = patch.update_policy {
            group.update_policy = v;
        }
        if let Some(v) = patch.allow_crash_dumps {
            group.allow_crash_dumps = v;
        }
        if let Some(v) = patch.regional_data_boundary_eu {
            group.regional_data_boundary_eu = v;
        }
        Ok(group.clone())
    }

    fn new_operation(&mut self, kind: OperationKind, effect: OperationEffect) -> Operation {
        let op = Operation {
            id: self.rng.uuid(),
            kind,
            state: OperationState::NotStarted,
            created: OffsetDateTime::now_utc(),
            started: None,
            completed: None,
            effect,
            error: None,
            planned_failure: None,
        };
        self.operations.push(op.clone());
        op
    }

    /// Checks a move and records its operation; the device changes group when it completes.
    pub fn move_device(
        &mut self,
        device: &DeviceId,
        group: Uuid,
    ) -> Result<Operation, TenantError> {
        self.device(device)?;
        self.group(group)?;
        Ok(self.new_operation(
            OperationKind::DeviceUpdateDeviceGroup,
            OperationEffect::MoveDevice {
                device: *device,
                group,
            },
        ))
    }

    /// Records an uploaded image (not ready until its operation completes).
    pub fn add_image(&mut self, facts: PackageFacts) -> Result<(Image, Operation), TenantError> {
        if let Ok(existing) = self.image(facts.image_id) {
            // UNSURE: re-uploading the same image id; the real service is assumed to refuse.
            return Err(TenantError::Conflict(format!(
                "image {} was already uploaded",
                existing.id
            )));
        }
        let count = self
            .uploads_per_component
            .entry(facts.component_id)
            .or_insert(0);
        *count = count.saturating_add(1);
        let (version, node_fw) = crate::fleet::image_version(&facts.name, facts.kind, *count);
        let image = Image {
            id: facts.image_id,
            component_id: facts.component_id,
            name: facts.name,
            description: String::new(),
            image_type: facts.image_type,
            kind: facts.kind,
            length: facts.length,
            sha256: facts.sha256,
            uploaded: OffsetDateTime::now_utc(),
            ready: false,
            version,
            node_fw,
        };
        self.images.push(image.clone());
        let op = self.new_operation(
            OperationKind::ImageUpload,
            OperationEffect::ImageUpload { image: image.id },
        );
        Ok((image, op))
    }

    /// Checks and records a deployment; it becomes the group's current one when its operation
    /// completes. Rules: every image exists, at most one image per component id, only
    /// application (10) and board configuration (21) images.
    pub fn create_deployment(
        &mut self,
        group: Uuid,
        images: Vec<Uuid>,
    ) -> Result<(Deployment, Operation), TenantError> {
        self.group(group)?;
        let mut components = Vec::with_capacity(images.len());
        for id in &images {
            let image = self
                .image(*id)
                .map_err(|_| TenantError::BadRequest(format!("image {id} does not exist")))?;
            if !matches!(image.image_type, 10 | 21) {
                return Err(TenantError::BadRequest(format!(
                    "image {id} has type {} which cannot be deployed",
                    image.image_type
                )));
            }
            if components.contains(&image.component_id) {
                return Err(TenantError::BadRequest(format!(
                    "two images of the deployment share component {}",
                    image.component_id
                )));
            }
            components.push(image.component_id);
        }
        let deployment = Deployment {
            id: self.rng.uuid(),
            group_id: group,
            created: OffsetDateTime::now_utc(),
            images,
        };
        self.deployments.push(deployment.clone());
        let op = self.new_operation(
            OperationKind::DeployToDeviceGroup,
            OperationEffect::Deploy {
                group,
                deployment: deployment.id,
            },
        );
        Ok((deployment, op))
    }

    /// Moves an operation on: to InProgress, or to its end (applying its effect).
    fn advance_operation(&mut self, id: Uuid, finish: bool) {
        let now = OffsetDateTime::now_utc();
        let Some(index) = self.operations.iter().rposition(|o| o.id == id) else {
            return;
        };
        if !finish {
            let op = &mut self.operations[index];
            if op.state == OperationState::NotStarted {
                op.state = OperationState::InProgress;
                op.started = Some(now);
            }
            return;
        }
        if self.operations[index].state.is_terminal() {
            return;
        }
        let failure = self.operations[index].planned_failure.clone();
        let effect = self.operations[index].effect.clone();
        let result = match failure {
            Some(error) => Err(error),
            None => self.apply_effect(&effect),
        };
        let op = &mut self.operations[index];
        op.started.get_or_insert(now);
        op.completed = Some(now);
        match result {
            Ok(()) => op.state = OperationState::Complete,
            Err(error) => {
                op.state = OperationState::Failed;
                op.error = Some(error);
            }
        }
    }

    fn apply_effect(&mut self, effect: &OperationEffect) -> Result<(), OperationError> {
        let not_found = |e: TenantError| OperationError {
            code: 8,
            message: e.to_string(),
        };
        match effect {
            OperationEffect::MoveDevice { device, group } => {
                let product = self.group(*group).map_err(not_found)?.product_id;
                let device = self.device_mut(device).map_err(not_found)?;
                device.group_id = Some(*group);
                device.product_id = Some(product);
            }
            OperationEffect::Deploy { group, deployment } => {
                self.group_mut(*group)
                    .map_err(not_found)?
                    .current_deployment = Some(*deployment);
            }
            OperationEffect::ImageUpload { image } => {
                if let Some(image) = self.images.iter_mut().find(|i| i.id == *image) {
                    image.ready = true;
                }
            }
        }
        Ok(())
    }

    /// Finishes every unfinished operation at once (after loading a saved state, whose timers
    /// are gone).
    pub fn finish_all_operations(&mut self) {
        let pending: Vec<Uuid> = self
            .operations
            .iter()
            .filter(|o| !o.state.is_terminal())
            .map(|o| o.id)
            .collect();
        for id in pending {
            self.advance_operation(id, true);
        }
    }
}

/// Rejects names the services would refuse (empty or over 50 characters).
// UNSURE: the legacy service's exact name rules; ARM's are in the spec.
fn check_name(name: &str) -> Result<(), TenantError> {
    if name.trim().is_empty() || name.chars().count() > 50 {
        return Err(TenantError::BadRequest(
            "a name must be 1 to 50 characters".to_string(),
        ));
    }
    Ok(())
}

/// A page of a list: the items and, when more follow, the offset of the next page.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_offset: Option<usize>,
}

/// Cuts one page out of `items`, starting at `offset`, holding at most `size` (≥ 1) items.
/// Each API wraps `next_offset` in its own opaque token (`paging` module).
pub fn page<'a, T: Clone + 'a>(
    items: impl Iterator<Item = &'a T>,
    offset: usize,
    size: usize,
) -> Page<T> {
    let size = size.max(1);
    let mut items = items.skip(offset);
    let taken: Vec<T> = items.by_ref().take(size).cloned().collect();
    let next_offset = if taken.len() == size && items.next().is_some() {
        Some(offset + size)
    } else {
        None
    };
    Page {
        items: taken,
        next_offset,
    }
}

/// The shared handle on the tenant. Clone it freely; all clones see the same state.
#[derive(Clone)]
pub struct Tenant {
    inner: Arc<Mutex<TenantState>>,
    /// Counts changes, so the state file is written only when something changed.
    revision: Arc<AtomicU64>,
    timing: SimTiming,
    faults: Faults,
    holds: Holds,
}

impl Tenant {
    pub fn new(state: TenantState, timing: SimTiming, faults: Faults) -> Self {
        Tenant {
            inner: Arc::new(Mutex::new(state)),
            revision: Arc::new(AtomicU64::new(0)),
            timing,
            faults,
            holds: Holds::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, TenantState> {
        // A panic while holding the lock would poison it; the state is still usable because
        // every change is applied field by field, so the poison is ignored.
        self.inner
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Reads the state under the lock.
    pub fn read<R>(&self, f: impl FnOnce(&TenantState) -> R) -> R {
        f(&self.lock())
    }

    /// Changes the state under the lock.
    pub fn write<R>(&self, f: impl FnOnce(&mut TenantState) -> R) -> R {
        self.revision.fetch_add(1, Ordering::Relaxed);
        f(&mut self.lock())
    }

    /// A number that changes whenever the state may have changed.
    pub fn revision(&self) -> u64 {
        self.revision.load(Ordering::Relaxed)
    }

    /// Replaces the whole state (control API reset, loading a file).
    pub fn replace(&self, state: TenantState) {
        *self.lock() = state;
    }

    pub fn timing(&self) -> &SimTiming {
        &self.timing
    }

    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// What tests hold back and the direct-method call log (see [`crate::holds`]).
    pub fn holds(&self) -> &Holds {
        &self.holds
    }

    /// Creates a group (see [`TenantState::create_group`]).
    pub fn create_group(&self, new: NewDeviceGroup) -> Result<DeviceGroup, TenantError> {
        self.write(|s| s.create_group(new))
    }

    /// Patches a group (see [`TenantState::patch_group`]).
    pub fn patch_group(
        &self,
        id: Uuid,
        patch: DeviceGroupPatch,
    ) -> Result<DeviceGroup, TenantError> {
        self.write(|s| s.patch_group(id, patch))
    }

    /// Starts moving a device into a group; returns the running operation.
    pub fn move_device(&self, device: &DeviceId, group: Uuid) -> Result<Operation, TenantError> {
        let op = self.write(|s| s.move_device(device, group))?;
        Ok(self.run_operation(op))
    }

    /// Reads a package with the project's reader and starts its upload operation.
    /// A damaged package gives `BadRequest` with the reader's message.
    pub fn add_image(&self, bytes: &[u8]) -> Result<(Image, Operation), TenantError> {
        let facts = crate::package::facts(bytes)?;
        let (image, op) = self.write(|s| s.add_image(facts))?;
        Ok((image, self.run_operation(op)))
    }

    /// Starts a deployment of `images` to `group`.
    pub fn create_deployment(
        &self,
        group: Uuid,
        images: Vec<Uuid>,
    ) -> Result<(Deployment, Operation), TenantError> {
        let (deployment, op) = self.write(|s| s.create_deployment(group, images))?;
        Ok((deployment, self.run_operation(op)))
    }

    /// The operation as it stands now.
    pub fn operation(&self, id: Uuid) -> Result<Operation, TenantError> {
        self.read(|s| s.operation(id).cloned())
    }

    /// Plans the operation's outcome (fault plan) and drives it with timers:
    /// NotStarted → (operation_start) → InProgress → (operation_run) → Complete/Failed.
    fn run_operation(&self, mut op: Operation) -> Operation {
        if let Some(error) = self.faults.operation_failure(op.kind) {
            op.planned_failure = Some(error.clone());
            self.write(|s| {
                if let Some(stored) = s.operations.iter_mut().rev().find(|o| o.id == op.id) {
                    stored.planned_failure = Some(error);
                }
            });
        }
        let tenant = self.clone();
        let id = op.id;
        let start = self.timing.operation_start;
        let run = self.timing.operation_run;
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    tokio::time::sleep(start).await;
                    tenant.write(|s| s.advance_operation(id, false));
                    tokio::time::sleep(run).await;
                    tenant.holds.pass(Hold::Operations).await;
                    tenant.write(|s| s.advance_operation(id, true));
                });
            }
            // Outside a runtime (plain unit tests) the operation completes at once.
            Err(_) => self.write(|s| s.advance_operation(id, true)),
        }
        op
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_id_parses_either_case_and_rejects_bad_text() {
        let upper = "AB".repeat(64);
        let lower = "ab".repeat(64);
        assert_eq!(
            upper.parse::<DeviceId>().ok(),
            lower.parse::<DeviceId>().ok()
        );
        for bad in [
            "",
            "AB",
            &"ZZ".repeat(64),
            &"A".repeat(127),
            &"A".repeat(129),
        ] {
            assert_eq!(bad.parse::<DeviceId>(), Err(BadDeviceId), "{bad}");
        }
    }

    #[test]
    fn versions_order_numerically_and_reject_bad_text() {
        let a: Version = "1.0.10".parse().unwrap_or_default();
        let b: Version = "1.0.9".parse().unwrap_or_default();
        assert!(a > b);
        for bad in ["", "1", "1.0", "1.0.0.0", "a.b.c", "1.0.-1"] {
            assert!(matches!(
                bad.parse::<Version>(),
                Err(TenantError::BadRequest(_))
            ));
        }
    }

    #[test]
    fn paging_walks_every_item_once() {
        let items: Vec<u32> = (0..25).collect();
        let mut offset = 0;
        let mut seen = Vec::new();
        loop {
            let p = page(items.iter(), offset, 10);
            seen.extend(p.items);
            match p.next_offset {
                Some(next) => offset = next,
                None => break,
            }
        }
        assert_eq!(seen, items);
        // An exact multiple ends without an empty extra page.
        assert_eq!(page(items[..20].iter(), 10, 10).next_offset, None);
    }
}
