//! Profiles: the named, non-secret connection settings kept in `<config dir>/profiles.json`.
//!
//! This module owns the on-disk profile file and its serde types — they ARE the file format, so
//! changing a field name here changes what users have on disk. A profile says which control plane
//! to talk to (`legacy`, `arm`, or the built-in `demo` tenant), where its endpoints are (Azure public
//! cloud by default; sovereign clouds, proxies and test servers override them), which tenant,
//! catalog and app registrations to use, how to reach IoT Hub, and the names of the gateway
//! firmware's commands. No secret is ever part of a profile: client secrets, refresh tokens and
//! IoT Hub connection strings live in the OS keychain (see [`crate::secrets`]), and the file
//! format refuses fields that look like one.
//!
//! Two promises about the file:
//! - A damaged file gives a [`ProfileError::Damaged`] naming the file, the line and column, and
//!   what to do. It is never silently replaced: [`ProfileStore::save`] re-reads the file first and
//!   refuses to write over one that does not parse.
//! - Writes are atomic (a temporary file in the same directory, then a rename), so a crash leaves
//!   either the old or the new file, never half of one.
//!
//! The "Demo tenant" profile exists out of the box: it is built in, and written to the file only
//! when the user edits it.
//!
//! File layout (version 1):
//! ```json
//! {
//!   "version": 1,
//!   "active": "contoso-prod",
//!   "profiles": {
//!     "contoso-prod": { "backend": "arm", "tenant_id": "...", "subscription_id": "...",
//!                       "resource_group": "...", "catalog": "...", "client_id": "..." }
//!   }
//! }
//! ```

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The name of the built-in profile that talks to the simulated tenant.
pub const DEMO_PROFILE: &str = "Demo tenant";

/// Microsoft identity platform authority host of the Azure public cloud.
pub const DEFAULT_AUTHORITY_HOST: &str = "https://login.microsoftonline.com";
/// The legacy Azure Sphere public API.
pub const DEFAULT_LEGACY_API_BASE: &str = "https://prod.core.sphere.azure.net";
/// Azure Resource Manager of the Azure public cloud.
pub const DEFAULT_ARM_API_BASE: &str = "https://management.azure.com";
/// The legacy API's public client id (the `azsphere` CLI's app registration), which the device-code
/// flow uses when a legacy profile names no client id of its own.
pub const LEGACY_PUBLIC_CLIENT_ID: &str = "0B1C8F7E-28D2-4378-97E2-7D7D63F7C87F";
/// Azure Sphere's own Entra tenant, the authority for user sign-in to the legacy API.
pub const LEGACY_USER_AUTHORITY_TENANT: &str = "7d71c83c-ccdf-45b7-b3c9-9c41b94406d9";

/// The version of the file layout this build writes and reads.
pub const FILE_VERSION: u32 = 1;

/// Which control plane a profile talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// The legacy Azure Sphere public API (retires 2027-09-27).
    Legacy,
    /// Azure Resource Manager, `Microsoft.AzureSphere`.
    Arm,
    /// The simulated tenant that ships with the product.
    Demo,
}

impl Backend {
    /// The API base URL when a profile names none.
    pub fn default_api_base(self) -> &'static str {
        match self {
            Backend::Legacy => DEFAULT_LEGACY_API_BASE,
            // The Demo tenant's URLs are known only once its simulator runs; the session is handed
            // them then, so this default is never used for `demo`.
            Backend::Arm | Backend::Demo => DEFAULT_ARM_API_BASE,
        }
    }

    /// The name used in the file and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Legacy => "legacy",
            Backend::Arm => "arm",
            Backend::Demo => "demo",
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the product authenticates to IoT Hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum IotHubAuth {
    /// A shared access policy connection string, kept in the OS keychain.
    #[default]
    ConnectionString,
    /// A Microsoft Entra token (scope `https://iothubs.azure.net/.default`) from the profile's
    /// sign-in.
    Entra,
}

/// Where the gateways' IoT Hub is and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IotHubSettings {
    /// The hub's host name, `<hub>.azure-devices.net`.
    pub host: String,
    /// The base URL of its service API; `https://<host>` when absent (tests point it elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_base: Option<String>,
    /// Connection string (in the keychain) or Entra token.
    #[serde(default)]
    pub auth: IotHubAuth,
}

impl IotHubSettings {
    /// The base URL the IoT Hub client is given.
    pub fn api_base(&self) -> String {
        self.api_base
            .clone()
            .unwrap_or_else(|| format!("https://{}", self.host))
    }
}

/// The names of the gateway firmware's commands and twin properties (see device-contract.md).
/// Every one is a setting so that a customer's firmware with other names works without a rebuild.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeviceContract {
    /// Direct method that reboots the gateway so it checks for updates.
    pub restart_method: String,
    /// Delay the restart method is asked to wait, in seconds (`{"delaySeconds": n}`).
    pub restart_delay_seconds: u32,
    /// Reported twin property holding the high-level app's version.
    pub hl_app_version_property: String,
    /// Reported twin property holding the real-time app's version.
    pub rt_app_version_property: String,
    /// Reported twin property listing the nodes behind the gateway.
    pub nodes_property: String,
    /// Reported twin property naming the node firmware inside the installed RTApp.
    pub node_fw_available_property: String,
    /// Direct method that updates one node.
    pub update_node_method: String,
}

impl Default for DeviceContract {
    fn default() -> Self {
        Self {
            restart_method: "RestartDevice".into(),
            restart_delay_seconds: 5,
            hl_app_version_property: "HLAppVer".into(),
            rt_app_version_property: "RTAppVer".into(),
            nodes_property: "Nodes".into(),
            node_fw_available_property: "NodeFwAvailable".into(),
            update_node_method: "UpdateNodeFirmware".into(),
        }
    }
}

fn default_authority_host() -> String {
    DEFAULT_AUTHORITY_HOST.to_owned()
}

fn default_concurrency() -> u32 {
    8
}

fn is_default_authority(host: &String) -> bool {
    host == DEFAULT_AUTHORITY_HOST
}

fn is_default_concurrency(value: &u32) -> bool {
    *value == default_concurrency()
}

fn is_default_contract(contract: &DeviceContract) -> bool {
    *contract == DeviceContract::default()
}

/// One named set of connection settings. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Which control plane.
    pub backend: Backend,
    /// The Microsoft identity platform host (`https://login.microsoftonline.com` in the public
    /// cloud).
    #[serde(
        default = "default_authority_host",
        skip_serializing_if = "is_default_authority"
    )]
    pub authority_host: String,
    /// The control plane's base URL; the backend's public-cloud default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_base: Option<String>,
    /// The Microsoft Entra directory (tenant) id: the authority for ARM sign-in and for service
    /// principals of both control planes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// Legacy only: the Azure Sphere tenant id; when absent, the only tenant the account sees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sphere_tenant_id: Option<String>,
    /// ARM only: the subscription holding the catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_id: Option<String>,
    /// ARM only: the resource group holding the catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_group: Option<String>,
    /// ARM only: the Azure Sphere catalog.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<String>,
    /// The public-client app registration used for device-code sign-in (legacy: the `azsphere`
    /// client id when absent; ARM: required for user sign-in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The service principal's application (client) id; its secret is in the OS keychain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_principal_client_id: Option<String>,
    /// The gateways' IoT Hub, if steps 5 and 6 are to be used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iothub: Option<IotHubSettings>,
    /// Names of the gateway firmware's commands and properties.
    #[serde(default, skip_serializing_if = "is_default_contract")]
    pub device_contract: DeviceContract,
    /// How many gateways are worked on at once in "update now" and node updates.
    #[serde(
        default = "default_concurrency",
        skip_serializing_if = "is_default_concurrency"
    )]
    pub concurrency: u32,
}

impl Profile {
    /// A profile of `backend` with every other setting at its default.
    pub fn new(backend: Backend) -> Self {
        Self {
            backend,
            authority_host: default_authority_host(),
            api_base: None,
            tenant_id: None,
            sphere_tenant_id: None,
            subscription_id: None,
            resource_group: None,
            catalog: None,
            client_id: None,
            service_principal_client_id: None,
            iothub: None,
            device_contract: DeviceContract::default(),
            concurrency: default_concurrency(),
        }
    }

    /// The built-in Demo tenant profile.
    pub fn demo() -> Self {
        Self::new(Backend::Demo)
    }

    /// The control plane's base URL, with the backend's default applied.
    pub fn api_base(&self) -> String {
        self.api_base
            .clone()
            .unwrap_or_else(|| self.backend.default_api_base().to_owned())
    }

    /// Checks the settings a profile of its backend needs, naming the first one missing.
    pub fn validate(&self, name: &str) -> Result<(), ProfileError> {
        let invalid = |field: &'static str, reason: String| ProfileError::Invalid {
            profile: name.to_owned(),
            field,
            reason,
        };
        for (field, value) in [
            ("authority_host", Some(self.authority_host.as_str())),
            ("api_base", self.api_base.as_deref()),
            (
                "iothub.api_base",
                self.iothub.as_ref().and_then(|h| h.api_base.as_deref()),
            ),
        ] {
            if let Some(value) = value {
                let url = url::Url::parse(value.trim())
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                    .ok_or_else(|| invalid(field, format!("`{value}` is not an http(s) URL")))?;
                // Secrets, refresh tokens and hub-wide SAS tokens travel to these addresses.
                if let Some(reason) = crate::cloud::insecure_url_reason(&url) {
                    return Err(invalid(field, reason));
                }
            }
        }
        if self.backend == Backend::Arm {
            for (field, value) in [
                ("subscription_id", &self.subscription_id),
                ("resource_group", &self.resource_group),
                ("catalog", &self.catalog),
            ] {
                if value.as_deref().is_none_or(str::is_empty) {
                    return Err(invalid(field, "an ARM profile needs it".into()));
                }
            }
        }
        if self.concurrency == 0 || self.concurrency > 64 {
            return Err(invalid(
                "concurrency",
                format!("{} is outside 1..=64", self.concurrency),
            ));
        }
        if let Some(hub) = &self.iothub {
            if hub.host.trim().is_empty() || hub.host.contains(['/', ':', '@', ' ']) {
                return Err(invalid(
                    "iothub.host",
                    format!("`{}` is not a host name", hub.host),
                ));
            }
            // The hub's SAS or Entra token must reach the hub itself; only the simulator (on
            // loopback) answers for a hub under another address.
            if let Some(url) = hub
                .api_base
                .as_deref()
                .and_then(|b| url::Url::parse(b).ok())
            {
                let host = url.host_str().unwrap_or_default();
                if !crate::cloud::is_loopback(&url) && !host.eq_ignore_ascii_case(&hub.host) {
                    return Err(invalid(
                        "iothub.api_base",
                        format!(
                            "`{url}` is not on the hub's host {}: IoT Hub credentials go to the hub only",
                            hub.host
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Where this profile's secrets travel: the sign-in authority, the control plane and the
    /// IoT Hub (host and service URL), with defaults applied.
    pub fn endpoints(&self) -> Vec<String> {
        let norm = |s: &str| s.trim().trim_end_matches('/').to_ascii_lowercase();
        let mut out = vec![norm(&self.authority_host), norm(&self.api_base())];
        if let Some(hub) = &self.iothub {
            out.push(norm(&hub.host));
            out.push(norm(&hub.api_base()));
        }
        out
    }

    /// Whether replacing `self` with `new` sends the stored secrets somewhere else: then they
    /// must be dropped (or confirmed again) rather than handed to the new host.
    pub fn endpoints_changed(&self, new: &Profile) -> bool {
        self.endpoints() != new.endpoints()
    }
}

/// The whole file: every profile plus which one is active.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profiles {
    /// The file layout version.
    pub version: u32,
    /// The profile commands use when none is named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<String>,
    /// The profiles by name (only the Demo tenant is built in, and stored only once edited).
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

impl Default for Profiles {
    fn default() -> Self {
        Self {
            version: FILE_VERSION,
            active: None,
            profiles: BTreeMap::new(),
        }
    }
}

impl Profiles {
    /// Every profile name, the built-in Demo tenant included, in a stable order.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.profiles.keys().cloned().collect();
        if !self.profiles.contains_key(DEMO_PROFILE) {
            names.push(DEMO_PROFILE.to_owned());
        }
        names.sort();
        names
    }

    /// The profile named `name`; the Demo tenant exists even when the file does not list it.
    pub fn get(&self, name: &str) -> Result<Profile, ProfileError> {
        match self.profiles.get(name) {
            Some(profile) => Ok(profile.clone()),
            None if name == DEMO_PROFILE => Ok(Profile::demo()),
            None => Err(ProfileError::NotFound {
                name: name.to_owned(),
                known: self.names(),
            }),
        }
    }

    /// The name of the profile used when none is named: the active one, else the Demo tenant.
    pub fn active_name(&self) -> String {
        self.active
            .clone()
            .unwrap_or_else(|| DEMO_PROFILE.to_owned())
    }

    /// Adds or replaces a profile after checking its name and settings.
    pub fn upsert(&mut self, name: &str, profile: Profile) -> Result<(), ProfileError> {
        validate_name(name)?;
        profile.validate(name)?;
        if name == DEMO_PROFILE && profile.backend != Backend::Demo {
            return Err(ProfileError::Invalid {
                profile: name.to_owned(),
                field: "backend",
                reason: "the built-in Demo tenant profile always uses the demo backend".into(),
            });
        }
        self.profiles.insert(name.to_owned(), profile);
        Ok(())
    }

    /// Removes a profile. Removing the Demo tenant resets it to its built-in settings; removing the
    /// active profile makes the Demo tenant active.
    pub fn remove(&mut self, name: &str) -> Result<(), ProfileError> {
        if self.profiles.remove(name).is_none() && name != DEMO_PROFILE {
            return Err(ProfileError::NotFound {
                name: name.to_owned(),
                known: self.names(),
            });
        }
        if self.active.as_deref() == Some(name) {
            self.active = None;
        }
        Ok(())
    }

    /// Makes `name` the active profile.
    pub fn set_active(&mut self, name: &str) -> Result<(), ProfileError> {
        self.get(name)?;
        self.active = Some(name.to_owned());
        Ok(())
    }
}

/// Checks that a profile name can be a file key and a keychain key part.
pub fn validate_name(name: &str) -> Result<(), ProfileError> {
    let bad = |reason: &str| ProfileError::InvalidName {
        name: name.to_owned(),
        reason: reason.to_owned(),
    };
    if name.trim().is_empty() {
        return Err(bad("it is empty"));
    }
    if name.trim() != name {
        return Err(bad("it starts or ends with a space"));
    }
    if name.chars().count() > 64 {
        return Err(bad("it is longer than 64 characters"));
    }
    // A slash would make keychain keys (`asg-fota/<profile>/<what>`) ambiguous.
    if name.contains('/') || name.contains('\\') {
        return Err(bad("it contains a slash"));
    }
    if name.chars().any(char::is_control) {
        return Err(bad("it contains a control character"));
    }
    Ok(())
}

/// What can go wrong with profiles.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file does not parse (bad JSON, an unknown backend, a misspelt field...).
    #[error(
        "the profile file {} is damaged at line {line}, column {column}: {message}. \
         Fix it in a text editor, or move it away to start over; ASG FOTA will not overwrite it",
        path.display()
    )]
    Damaged {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What the parser found.
        message: String,
    },
    /// The file was written by a newer ASG FOTA.
    #[error(
        "the profile file {} has format version {found}, but this ASG FOTA reads version {FILE_VERSION}; \
         update ASG FOTA. The file was left untouched",
        path.display()
    )]
    UnsupportedVersion {
        /// The file.
        path: PathBuf,
        /// The version it declares.
        found: u32,
    },
    /// The file holds something that looks like a secret.
    #[error(
        "the profile file {} holds a secret in `{field}` (profile `{profile}`). Secrets belong in \
         the OS keychain: remove the field and store the secret with `asg-fota-cli login`",
        path.display()
    )]
    SecretInFile {
        /// The file.
        path: PathBuf,
        /// The profile.
        profile: String,
        /// The offending field.
        field: String,
    },
    /// Reading or writing the file failed.
    #[error("cannot {operation} the profile file {}: {source}", path.display())]
    Io {
        /// `read` or `write`.
        operation: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// No profile has that name.
    #[error("there is no profile named `{name}`; known profiles: {}", known.join(", "))]
    NotFound {
        /// The name asked for.
        name: String,
        /// The names that exist.
        known: Vec<String>,
    },
    /// The name cannot be used for a profile.
    #[error("`{name}` cannot be a profile name: {reason}")]
    InvalidName {
        /// The name.
        name: String,
        /// Why not.
        reason: String,
    },
    /// A setting is missing or malformed.
    #[error("profile `{profile}`: `{field}` is not valid: {reason}")]
    Invalid {
        /// The profile.
        profile: String,
        /// The setting.
        field: &'static str,
        /// Why not.
        reason: String,
    },
}

impl ProfileError {
    /// Non-secret values a front end may say the error with: the file, the profile, the setting,
    /// and `reason` (a catalog key under `errors.profile.reason.`) for a bad setting or name.
    pub fn params(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut params = serde_json::Map::new();
        match self {
            ProfileError::Invalid { profile, field, .. } => {
                params.insert("reason".into(), "invalid_setting".into());
                params.insert("profile".into(), profile.clone().into());
                params.insert("setting".into(), (*field).into());
            }
            ProfileError::InvalidName { name, .. } => {
                params.insert("reason".into(), "invalid_name".into());
                params.insert("profile".into(), name.clone().into());
            }
            ProfileError::NotFound { name, .. } => {
                params.insert("profile".into(), name.clone().into());
            }
            ProfileError::Damaged { path, .. }
            | ProfileError::UnsupportedVersion { path, .. }
            | ProfileError::SecretInFile { path, .. }
            | ProfileError::Io { path, .. } => {
                params.insert("file".into(), path.display().to_string().into());
            }
        }
        params
    }
}

/// Field names that must never appear in the file: a hand-edited secret is refused with a clear
/// message rather than the generic "unknown field".
const SECRET_LOOKING_FIELDS: [&str; 6] = [
    "client_secret",
    "secret",
    "password",
    "refresh_token",
    "connection_string",
    "iothub_connection_string",
];

/// The profile file at a path.
#[derive(Debug, Clone)]
pub struct ProfileStore {
    path: PathBuf,
}

impl ProfileStore {
    /// The store backed by `path` (usually [`crate::paths::AppDirs::profiles_file`]).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the profiles; a missing file means "only the built-in Demo tenant".
    pub fn load(&self) -> Result<Profiles, ProfileError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Profiles::default())
            }
            Err(source) => {
                return Err(ProfileError::Io {
                    operation: "read",
                    path: self.path.clone(),
                    source,
                })
            }
        };
        parse(&self.path, &text)
    }

    /// Writes the profiles atomically. Refuses to replace a file that does not parse, so a
    /// damaged file the user may want to repair is never lost.
    pub fn save(&self, profiles: &Profiles) -> Result<(), ProfileError> {
        self.load()?;
        for (name, profile) in &profiles.profiles {
            validate_name(name)?;
            profile.validate(name)?;
        }
        let io_err = |source| ProfileError::Io {
            operation: "write",
            path: self.path.clone(),
            source,
        };
        let dir = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).map_err(io_err)?;
        let mut text = serde_json::to_string_pretty(profiles).map_err(|err| ProfileError::Io {
            operation: "write",
            path: self.path.clone(),
            source: std::io::Error::other(err),
        })?;
        text.push('\n');
        // The temporary file lives beside the target so the rename stays on one file system and
        // is atomic.
        let tmp = dir.join(format!(
            ".profiles.json.{}.{}.tmp",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        let written = (|| {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        })();
        if let Err(err) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(io_err(err));
        }
        Ok(())
    }
}

/// Parses the file text, mapping every failure to a typed error that names the file.
fn parse(path: &Path, text: &str) -> Result<Profiles, ProfileError> {
    let damaged = |err: serde_json::Error| ProfileError::Damaged {
        path: path.to_path_buf(),
        line: err.line(),
        column: err.column(),
        message: strip_position(&err.to_string()),
    };
    // A first pass as plain JSON finds the version and secret-looking fields before the typed
    // pass, so a newer file or a pasted secret gets its own message instead of "unknown field".
    let raw: serde_json::Value = serde_json::from_str(text).map_err(damaged)?;
    if let Some(found) = raw.get("version").and_then(serde_json::Value::as_u64) {
        if found > u64::from(FILE_VERSION) {
            return Err(ProfileError::UnsupportedVersion {
                path: path.to_path_buf(),
                found: u32::try_from(found).unwrap_or(u32::MAX),
            });
        }
    }
    if let Some(profiles) = raw.get("profiles").and_then(serde_json::Value::as_object) {
        for (name, profile) in profiles {
            if let Some(field) = find_secret_field(profile) {
                return Err(ProfileError::SecretInFile {
                    path: path.to_path_buf(),
                    profile: name.clone(),
                    field,
                });
            }
        }
    }
    let profiles: Profiles = serde_json::from_str(text).map_err(damaged)?;
    for (name, profile) in &profiles.profiles {
        validate_name(name)?;
        profile.validate(name)?;
    }
    Ok(profiles)
}

/// The first key (at any depth) whose name marks it as a secret.
fn find_secret_field(value: &serde_json::Value) -> Option<String> {
    let object = value.as_object()?;
    for (key, inner) in object {
        if SECRET_LOOKING_FIELDS.contains(&key.to_ascii_lowercase().as_str()) {
            return Some(key.clone());
        }
        if let Some(found) = find_secret_field(inner) {
            return Some(format!("{key}.{found}"));
        }
    }
    None
}

/// serde_json appends " at line L column C" to its messages; the error states them separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arm_profile() -> Profile {
        Profile {
            tenant_id: Some("72f988bf-0000-0000-0000-000000000000".into()),
            subscription_id: Some("sub-1".into()),
            resource_group: Some("rg-1".into()),
            catalog: Some("cat-1".into()),
            client_id: Some("client-1".into()),
            service_principal_client_id: Some("sp-1".into()),
            iothub: Some(IotHubSettings {
                host: "hub.azure-devices.net".into(),
                api_base: None,
                auth: IotHubAuth::ConnectionString,
            }),
            ..Profile::new(Backend::Arm)
        }
    }

    fn store() -> (tempfile::TempDir, ProfileStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = ProfileStore::new(dir.path().join("cfg").join("profiles.json"));
        (dir, store)
    }

    #[test]
    fn missing_file_has_only_the_demo_tenant() {
        let (_dir, store) = store();
        let profiles = store.load().unwrap();
        assert_eq!(profiles.names(), vec![DEMO_PROFILE.to_owned()]);
        assert_eq!(profiles.active_name(), DEMO_PROFILE);
        assert_eq!(profiles.get(DEMO_PROFILE).unwrap().backend, Backend::Demo);
        assert!(!store.path().exists(), "loading must not create the file");
    }

    #[test]
    fn round_trip_keeps_every_setting() {
        let (_dir, store) = store();
        let mut profiles = Profiles::default();
        let mut profile = arm_profile();
        profile.device_contract.restart_method = "Reboot".into();
        profile.concurrency = 3;
        profiles.upsert("prod", profile.clone()).unwrap();
        profiles
            .upsert("old", Profile::new(Backend::Legacy))
            .unwrap();
        profiles.set_active("prod").unwrap();
        store.save(&profiles).unwrap();
        let loaded = store.load().unwrap();
        assert_eq!(loaded, profiles);
        assert_eq!(loaded.get("prod").unwrap(), profile);
        assert_eq!(
            loaded.get("old").unwrap().api_base(),
            DEFAULT_LEGACY_API_BASE
        );
        assert_eq!(loaded.get("prod").unwrap().api_base(), DEFAULT_ARM_API_BASE);
    }

    #[test]
    fn defaults_are_the_public_cloud_and_the_default_contract() {
        let profile: Profile = serde_json::from_str(r#"{"backend":"legacy"}"#).unwrap();
        assert_eq!(profile.authority_host, DEFAULT_AUTHORITY_HOST);
        assert_eq!(profile.concurrency, 8);
        assert_eq!(profile.device_contract.restart_method, "RestartDevice");
        assert_eq!(profile.device_contract.restart_delay_seconds, 5);
        assert_eq!(
            profile.device_contract.update_node_method,
            "UpdateNodeFirmware"
        );
        assert_eq!(
            profile.device_contract.node_fw_available_property,
            "NodeFwAvailable"
        );
    }

    #[test]
    fn damaged_files_are_reported_with_position_and_never_overwritten() {
        // (file text, expected line, a word the message must contain)
        let cases = [
            ("{\n  \"version\": 1,\n  \"profiles\": {\n", 4, "EOF"),
            (
                "{\"version\":1,\n\"profiles\":{\"x\":{\"backend\":\"cloudy\"}}}",
                2,
                "legacy",
            ),
            (
                "{\"version\":1,\n\"profiles\":{\"x\":{\"backend\":\"legacy\",\"tenant\":\"t\"}}}",
                2,
                "tenant",
            ),
            ("not json at all", 1, "expected"),
        ];
        for (text, line, word) in cases {
            let (_dir, store) = store();
            std::fs::create_dir_all(store.path().parent().unwrap()).unwrap();
            std::fs::write(store.path(), text).unwrap();
            let err = store.load().unwrap_err();
            match &err {
                ProfileError::Damaged {
                    line: l, message, ..
                } => {
                    assert_eq!(*l, line, "{text:?}");
                    assert!(message.contains(word), "{message}");
                }
                other => panic!("{text:?}: expected Damaged, got {other:?}"),
            }
            let shown = err.to_string();
            assert!(shown.contains("profiles.json"), "{shown}");
            assert!(shown.contains("will not overwrite"), "{shown}");
            let save = store.save(&Profiles::default()).unwrap_err();
            assert!(matches!(save, ProfileError::Damaged { .. }));
            assert_eq!(std::fs::read_to_string(store.path()).unwrap(), text);
        }
    }

    #[test]
    fn unknown_backend_names_the_allowed_ones() {
        let (_dir, store) = store();
        std::fs::create_dir_all(store.path().parent().unwrap()).unwrap();
        std::fs::write(
            store.path(),
            r#"{"version":1,"profiles":{"p":{"backend":"azure"}}}"#,
        )
        .unwrap();
        let err = store.load().unwrap_err().to_string();
        assert!(err.contains("azure"), "{err}");
        assert!(err.contains("arm") && err.contains("demo"), "{err}");
    }

    #[test]
    fn secret_fields_in_the_file_are_refused() {
        for field in ["client_secret", "refresh_token", "Password"] {
            let (_dir, store) = store();
            std::fs::create_dir_all(store.path().parent().unwrap()).unwrap();
            let text = format!(
                r#"{{"version":1,"profiles":{{"p":{{"backend":"legacy","{field}":"x"}}}}}}"#
            );
            std::fs::write(store.path(), &text).unwrap();
            let err = store.load().unwrap_err();
            assert!(
                matches!(&err, ProfileError::SecretInFile { field: f, .. } if f == field),
                "{err:?}"
            );
            assert!(err.to_string().contains("OS keychain"));
        }
    }

    #[test]
    fn newer_file_versions_are_refused_and_kept() {
        let (_dir, store) = store();
        std::fs::create_dir_all(store.path().parent().unwrap()).unwrap();
        std::fs::write(store.path(), r#"{"version":7,"profiles":{},"future":1}"#).unwrap();
        assert!(matches!(
            store.load(),
            Err(ProfileError::UnsupportedVersion { found: 7, .. })
        ));
        assert!(store.save(&Profiles::default()).is_err());
    }

    #[test]
    fn bad_settings_are_rejected_by_kind() {
        let mut no_catalog = arm_profile();
        no_catalog.catalog = None;
        let mut bad_url = arm_profile();
        bad_url.api_base = Some("management.azure.com".into());
        let mut zero = arm_profile();
        zero.concurrency = 0;
        let mut clear_authority = arm_profile();
        clear_authority.authority_host = "http://login.microsoftonline.com".into();
        let mut clear_api = arm_profile();
        clear_api.api_base = Some("http://10.1.2.3:8080/arm".into());
        let hub = |api_base: &str| IotHubSettings {
            host: "hub.azure-devices.net".into(),
            api_base: Some(api_base.into()),
            auth: IotHubAuth::ConnectionString,
        };
        let mut clear_hub = arm_profile();
        clear_hub.iothub = Some(hub("http://hub.azure-devices.net"));
        let mut other_hub = arm_profile();
        other_hub.iothub = Some(hub("https://elsewhere.example.com"));
        let cases: [(&str, Profile, &str); 8] = [
            ("p", no_catalog, "catalog"),
            ("p", bad_url, "api_base"),
            ("p", zero, "concurrency"),
            (DEMO_PROFILE, arm_profile(), "backend"),
            ("p", clear_authority, "authority_host"),
            ("p", clear_api, "api_base"),
            ("p", clear_hub, "iothub.api_base"),
            ("p", other_hub, "iothub.api_base"),
        ];
        for (name, profile, field) in cases {
            let err = Profiles::default().upsert(name, profile).unwrap_err();
            assert!(
                matches!(&err, ProfileError::Invalid { field: f, .. } if *f == field),
                "{err:?}"
            );
        }
        for name in ["", " x", "a/b", "tab\there"] {
            let err = Profiles::default()
                .upsert(name, Profile::new(Backend::Legacy))
                .unwrap_err();
            assert!(matches!(err, ProfileError::InvalidName { .. }), "{name:?}");
        }
    }

    #[test]
    fn loopback_http_is_allowed_and_endpoint_changes_are_seen() {
        let mut sim = arm_profile();
        sim.authority_host = "http://127.0.0.1:7870/login".into();
        sim.api_base = Some("http://localhost:7870/arm".into());
        sim.iothub = Some(IotHubSettings {
            host: "asg-demo-hub.azure-devices.net".into(),
            api_base: Some("http://[::1]:7870/iothub".into()),
            auth: IotHubAuth::ConnectionString,
        });
        Profiles::default().upsert("sim", sim.clone()).unwrap();
        assert!(!sim.endpoints_changed(&sim.clone()));
        let mut renamed = sim.clone();
        renamed.catalog = Some("other".into());
        assert!(
            !sim.endpoints_changed(&renamed),
            "a catalog is not an endpoint"
        );
        for change in [
            |p: &mut Profile| p.authority_host = "https://login.example.com".into(),
            |p: &mut Profile| p.api_base = None,
            |p: &mut Profile| p.iothub = None,
            |p: &mut Profile| p.iothub.as_mut().unwrap().host = "x.azure-devices.net".into(),
        ] {
            let mut moved = sim.clone();
            change(&mut moved);
            assert!(sim.endpoints_changed(&moved), "{moved:?}");
        }
    }

    #[test]
    fn remove_and_active() {
        let mut profiles = Profiles::default();
        profiles.upsert("a", Profile::new(Backend::Legacy)).unwrap();
        profiles.set_active("a").unwrap();
        assert_eq!(profiles.active_name(), "a");
        profiles.remove("a").unwrap();
        assert_eq!(profiles.active_name(), DEMO_PROFILE);
        assert!(matches!(
            profiles.remove("a"),
            Err(ProfileError::NotFound { .. })
        ));
        assert!(matches!(
            profiles.set_active("nope"),
            Err(ProfileError::NotFound { .. })
        ));
        // The Demo tenant cannot disappear: removing it resets it.
        profiles.remove(DEMO_PROFILE).unwrap();
        assert!(profiles.get(DEMO_PROFILE).is_ok());
    }

    #[test]
    fn the_file_holds_no_secret_and_unicode_names_survive() {
        let (_dir, store) = store();
        let mut profiles = Profiles::default();
        profiles.upsert("운영 테넌트", arm_profile()).unwrap();
        store.save(&profiles).unwrap();
        let text = std::fs::read_to_string(store.path()).unwrap();
        for word in ["secret\"", "password", "token", "SharedAccessKey"] {
            assert!(!text.contains(word), "{word} in {text}");
        }
        assert_eq!(store.load().unwrap(), profiles);
        // Only profiles.json is left in the directory: no temporary file survives the rename.
        let entries: Vec<_> = std::fs::read_dir(store.path().parent().unwrap())
            .unwrap()
            .collect();
        assert_eq!(entries.len(), 1);
    }
}
