//! The demo fleet and how its gateways behave.
//!
//! # The generated fleet
//!
//! [`generate`] builds, from the seed alone: one Azure Sphere tenant, 2 products
//! (`ASG210-Gateways`, `ASG210-Lab`), 5 device groups and `SimConfig::gateways` devices spread
//! round-robin over the groups. Each gateway reports `Manufacturer` `WIZnet`, `Model`
//! `ASG210-DEMO`, factory app versions (`HLAppVer` 1.0.0, `RTAppVer` 1.0.0 or 1.0.1) and 0–4
//! WIZ750SR nodes (MACs in WIZnet's OUI `0008DC`, names `WIZ750SR-<SITE>-<nn>`, firmware
//! 1.0.0 up to the gateway's `NodeFwAvailable`, status READY). About one gateway in twelve is
//! offline. Per gateway the model holds a few dozen bytes plus its nodes, so 10,000 gateways
//! fit in a few megabytes.
//!
//! # How an image maps to a version
//!
//! A gateway that installs a deployment reports, for each image in it:
//! - high-level app → `HLAppVer`; real-time app → `RTAppVer` (board configs change no version);
//! - the version is the one carried in the package name as `v<major>.<minor>.<patch>` after `_`,
//!   `-`, a space or at the start (e.g. `ASG210_HLApp_v1.2.3`; the last such token wins), else
//!   `1.0.<n>` where n counts the uploads of that component id (the first upload is 1.0.1,
//!   which is newer than the factory 1.0.0);
//! - an RTApp carries WIZ750SR firmware: the name token `nodefw<major>.<minor>.<patch>`
//!   (e.g. `ASG210_RTApp_v1.1.0_nodefw1.0.4`) when present, else `1.0.<patch of the RTApp version>`.
//!   Installing it sets `NodeFwAvailable`.
//!
//! # Behaviour
//!
//! - `RestartDevice`: answered 200 at once; after `SimTiming::restart_delay` the gateway goes
//!   offline, after `SimTiming::reboot_offline` it comes back, sets `LastUpdateRequestUTC`, and
//!   [`TenantState::check_in`] installs the group's current deployment if it differs from what
//!   the gateway runs and the group's policy is UpdateAll (No3rdPartyAppUpdates/NoUpdates: the
//!   check-in is recorded, the app versions stay).
//! - `UpdateNodeFirmware`: the node goes to `update: {state: InProgress, percent}` in five steps
//!   over `SimTiming::node_update`, then `fwVersion` becomes `NodeFwAvailable` and the update
//!   state `Succeeded`.

use std::time::Duration;

use time::OffsetDateTime;

use crate::holds::Hold;
use crate::rng::SeededRng;
use crate::state::{
    Device, DeviceGroup, DeviceId, Gateway, ImageKind, Node, NodeUpdate, NodeUpdateState,
    OsFeedType, Product, Tenant, TenantError, TenantInfo, TenantState, UpdatePolicy, Version,
};
use crate::{DemoIdentity, SimConfig};

/// The legacy API's public client id (Microsoft's, from the Azure Sphere CLI).
pub const LEGACY_CLIENT_ID: &str = "0B1C8F7E-28D2-4378-97E2-7D7D63F7C87F";
/// The shared access policy name of the demo hub's connection string.
pub const IOTHUB_POLICY: &str = "service";

/// Sites used in node names.
const SITES: [&str; 5] = ["WATON", "SEOUL", "PANGYO", "BUSAN", "DAEJON"];

/// `(product index, name, description, feed, policy)` of the five demo groups.
const GROUPS: [(usize, &str, &str, OsFeedType, UpdatePolicy); 5] = [
    (
        0,
        "Development",
        "Bench gateways",
        OsFeedType::RetailEval,
        UpdatePolicy::UpdateAll,
    ),
    (
        0,
        "Field Test",
        "Pilot sites",
        OsFeedType::Retail,
        UpdatePolicy::UpdateAll,
    ),
    (
        0,
        "Production",
        "Customer sites",
        OsFeedType::Retail,
        UpdatePolicy::UpdateAll,
    ),
    (
        1,
        "Lab",
        "Lab gateways",
        OsFeedType::RetailEval,
        UpdatePolicy::UpdateAll,
    ),
    (
        1,
        "Frozen",
        "No app updates",
        OsFeedType::Retail,
        UpdatePolicy::No3rdPartyAppUpdates,
    ),
];

/// Builds the seeded demo tenant and the identities that go with it.
pub fn generate(config: &SimConfig) -> (TenantState, DemoIdentity) {
    let mut ids = SeededRng::new(config.seed, 1);
    let mut rng = SeededRng::new(config.seed, 2);
    let now = OffsetDateTime::now_utc();

    let info = TenantInfo {
        id: ids.uuid(),
        name: "ASG Demo Tenant".to_string(),
    };
    let products = vec![
        Product {
            id: ids.uuid(),
            name: "ASG210-Gateways".to_string(),
            description: "WIZnet ASG210 gateways in the field".to_string(),
        },
        Product {
            id: ids.uuid(),
            name: "ASG210-Lab".to_string(),
            description: "Gateways in the lab".to_string(),
        },
    ];
    let groups: Vec<DeviceGroup> = GROUPS
        .iter()
        .map(|(product, name, description, feed, policy)| DeviceGroup {
            id: ids.uuid(),
            product_id: products[*product].id,
            name: name.to_string(),
            description: description.to_string(),
            os_feed_type: *feed,
            update_policy: *policy,
            allow_crash_dumps: false,
            regional_data_boundary_eu: false,
            current_deployment: None,
        })
        .collect();

    let devices = (0..config.gateways)
        .map(|i| {
            let group = &groups[i % groups.len()];
            let mut id = [0u8; 64];
            rng.fill(&mut id);
            let rt_patch = rng.below(2) as u16;
            let node_fw_available = Version::new(1, 0, rt_patch);
            let node_count = rng.below(5) as usize;
            let site = SITES[rng.below(SITES.len() as u64) as usize];
            let nodes = (0..node_count)
                .map(|n| {
                    let mut mac = [0x00, 0x08, 0xDC, 0, 0, 0];
                    rng.fill(&mut mac[3..]);
                    Node {
                        mac,
                        name: format!("WIZ750SR-{site}-{:02}", n + 1),
                        fw_version: Version::new(1, 0, rng.below(rt_patch as u64 + 1) as u16),
                        update: None,
                    }
                })
                .collect();
            let installed_os = 2 + rng.below(2) as u8;
            let checked_in = now - time::Duration::hours(rng.below(24) as i64 + 1);
            Device {
                id: DeviceId(id),
                product_id: Some(group.product_id),
                group_id: Some(group.id),
                chip_sku: 0,
                available_os: 3,
                installed_os,
                last_os_update: Some(checked_in - time::Duration::days(30)),
                last_update_request: Some(checked_in),
                gateway: Gateway {
                    connected: rng.below(12) != 0,
                    held_offline: false,
                    restarting: false,
                    last_activity: checked_in,
                    twin_version: 1,
                    hl_app: Version::new(1, 0, 0),
                    rt_app: Version::new(1, 0, rt_patch),
                    node_fw_available,
                    installed_deployment: None,
                    nodes,
                },
            }
        })
        .collect();

    let entra_tenant = ids.uuid();
    let key = {
        let mut bytes = [0u8; 32];
        ids.fill(&mut bytes);
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes)
    };
    let demo = DemoIdentity {
        tenant_id: entra_tenant.to_string(),
        legacy_tenant_id: info.id.to_string(),
        subscription_id: ids.uuid().to_string(),
        resource_group: "asg-demo-rg".to_string(),
        catalog: "asg-demo-catalog".to_string(),
        legacy_client_id: LEGACY_CLIENT_ID.to_string(),
        arm_client_id: ids.uuid().to_string(),
        service_principal_client_id: ids.uuid().to_string(),
        service_principal_secret: format!("demo-secret-{}", ids.uuid().simple()),
        iothub_host: config.iothub_host.clone(),
        iothub_connection_string: format!(
            "HostName={};SharedAccessKeyName={IOTHUB_POLICY};SharedAccessKey={key}",
            config.iothub_host
        ),
        user_upn: "demo.operator@asg-demo.example".to_string(),
        user_name: "Demo Operator".to_string(),
        user_object_id: ids.uuid().to_string(),
        service_principal_object_id: ids.uuid().to_string(),
    };
    let state = TenantState::new(
        info,
        products,
        groups,
        devices,
        SeededRng::new(config.seed, 4),
    );
    (state, demo)
}

/// The version a gateway reports after installing an image, and for an RTApp the node firmware
/// it carries (see the module doc). `upload_count` is the number of uploads of the component so
/// far, this one included.
pub fn image_version(name: &str, kind: ImageKind, upload_count: u16) -> (Version, Option<Version>) {
    let lower = name.to_ascii_lowercase();
    let node_marker = lower.find("nodefw");
    let app_part = match node_marker {
        Some(at) => &lower[..at],
        None => &lower[..],
    };
    let version = last_tagged_version(app_part).unwrap_or(Version::new(1, 0, upload_count));
    let node_fw = match kind {
        ImageKind::RealTimeApp => Some(
            node_marker
                .and_then(|at| {
                    leading_version(
                        lower[at + "nodefw".len()..].trim_start_matches(['_', '-', 'v']),
                    )
                })
                .unwrap_or(Version::new(1, 0, version.patch)),
        ),
        _ => None,
    };
    (version, node_fw)
}

/// The last `v<x.y.z>` token that starts the text or follows `_`, `-` or a space.
fn last_tagged_version(text: &str) -> Option<Version> {
    let bytes = text.as_bytes();
    let mut found = None;
    for (i, &b) in bytes.iter().enumerate() {
        let starts_token = i == 0 || matches!(bytes[i - 1], b'_' | b'-' | b' ');
        if b == b'v' && starts_token {
            if let Some(v) = leading_version(&text[i + 1..]) {
                found = Some(v);
            }
        }
    }
    found
}

/// A `x.y.z` version at the start of `text` (digits stop at the first other character).
fn leading_version(text: &str) -> Option<Version> {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let candidate = text[..end].trim_end_matches('.');
    candidate.parse().ok()
}

impl TenantState {
    /// A gateway's update check-in: records the time and installs the group's current
    /// deployment when the policy allows and the gateway runs something else.
    pub fn check_in(&mut self, id: &DeviceId, now: OffsetDateTime) -> Result<(), TenantError> {
        let (group_id, installed) = {
            let device = self.device(id)?;
            (device.group_id, device.gateway.installed_deployment)
        };
        let group = group_id.and_then(|g| self.group(g).ok()).cloned();
        let mut hl = None;
        let mut rt = None;
        let mut install = None;
        if let Some(group) = &group {
            if let Some(current) = group.current_deployment {
                if installed != Some(current) && group.update_policy.allows_apps() {
                    let deployment = self.deployment(current)?.clone();
                    for image_id in &deployment.images {
                        if let Ok(image) = self.image(*image_id) {
                            match image.kind {
                                ImageKind::HighLevelApp => hl = Some(image.version),
                                ImageKind::RealTimeApp => rt = Some((image.version, image.node_fw)),
                                ImageKind::BoardConfig | ImageKind::Other => {}
                            }
                        }
                    }
                    install = Some(current);
                }
            }
        }
        let policy = group.map(|g| g.update_policy);
        let device = self.device_mut(id)?;
        device.last_update_request = Some(now);
        // The OS updates with every policy but NoUpdates.
        if policy.is_some_and(|p| p != UpdatePolicy::NoUpdates)
            && device.installed_os < device.available_os
        {
            device.installed_os = device.available_os;
            device.last_os_update = Some(now);
        }
        let gateway = &mut device.gateway;
        if let Some(v) = hl {
            gateway.hl_app = v;
        }
        if let Some((v, node_fw)) = rt {
            gateway.rt_app = v;
            if let Some(fw) = node_fw {
                gateway.node_fw_available = fw;
            }
        }
        if install.is_some() {
            gateway.installed_deployment = install;
        }
        gateway.twin_version += 1;
        gateway.last_activity = now;
        Ok(())
    }
}

/// Why a direct method cannot run (the IoT Hub module turns these into its answers).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    #[error("no such device")]
    UnknownDevice,
    #[error("the device is not connected")]
    Offline,
    #[error("no node with MAC {0}")]
    UnknownNode(String),
    #[error("node {0} is already updating")]
    NodeBusy(String),
}

impl Tenant {
    /// Whether a gateway is reachable now (connected and not held offline by the fault plan).
    pub fn gateway_online(&self, id: &DeviceId) -> Result<bool, GatewayError> {
        let held = self.faults().holds_offline(&id.lower());
        self.read(|s| {
            s.device(id)
                .map(|d| d.gateway.connected && !d.gateway.held_offline && !held)
                .map_err(|_| GatewayError::UnknownDevice)
        })
    }

    /// `RestartDevice`: checks the gateway is online, then runs the reboot in the background.
    pub fn restart_gateway(&self, id: DeviceId) -> Result<(), GatewayError> {
        if !self.gateway_online(&id)? {
            return Err(GatewayError::Offline);
        }
        self.write(|s| {
            if let Ok(d) = s.device_mut(&id) {
                d.gateway.restarting = true;
            }
        });
        let tenant = self.clone();
        let delay = self.timing().restart_delay;
        let offline = self.timing().reboot_offline;
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            tenant.write(|s| {
                if let Ok(d) = s.device_mut(&id) {
                    d.gateway.connected = false;
                    d.gateway.twin_version += 1;
                }
            });
            tokio::time::sleep(offline).await;
            tenant.holds().pass(Hold::CheckIns).await;
            tenant.write(|s| {
                let now = OffsetDateTime::now_utc();
                if let Ok(d) = s.device_mut(&id) {
                    d.gateway.restarting = false;
                    d.gateway.connected = !d.gateway.held_offline;
                }
                if let Err(e) = s.check_in(&id, now) {
                    tracing::warn!("check-in of {id:?} failed: {e}");
                }
            });
        });
        Ok(())
    }

    /// `UpdateNodeFirmware`: checks the node, then flashes it in the background to the
    /// gateway's `NodeFwAvailable`.
    pub fn update_node(&self, id: DeviceId, mac: &str) -> Result<(), GatewayError> {
        if !self.gateway_online(&id)? {
            return Err(GatewayError::Offline);
        }
        let mac_bytes = parse_mac(mac).ok_or_else(|| GatewayError::UnknownNode(mac.to_string()))?;
        self.write(|s| {
            let device = s.device_mut(&id).map_err(|_| GatewayError::UnknownDevice)?;
            let target = device.gateway.node_fw_available;
            let node = device
                .gateway
                .nodes
                .iter_mut()
                .find(|n| n.mac == mac_bytes)
                .ok_or_else(|| GatewayError::UnknownNode(mac.to_string()))?;
            if node
                .update
                .as_ref()
                .is_some_and(|u| u.state == NodeUpdateState::InProgress)
            {
                return Err(GatewayError::NodeBusy(mac.to_string()));
            }
            node.update = Some(NodeUpdate {
                state: NodeUpdateState::InProgress,
                percent: 0,
                error: None,
                target,
            });
            device.gateway.twin_version += 1;
            Ok(())
        })?;
        let tenant = self.clone();
        let step = self.timing().node_update / 5;
        tokio::spawn(async move {
            for percent in [20u8, 40, 60, 80, 100] {
                tokio::time::sleep(step.max(Duration::from_millis(1))).await;
                if percent == 100 {
                    tenant.holds().pass(Hold::NodeUpdates).await;
                }
                tenant.write(|s| {
                    if let Ok(device) = s.device_mut(&id) {
                        if let Some(node) =
                            device.gateway.nodes.iter_mut().find(|n| n.mac == mac_bytes)
                        {
                            if let Some(update) = &mut node.update {
                                update.percent = percent;
                                if percent == 100 {
                                    update.state = NodeUpdateState::Succeeded;
                                    node.fw_version = update.target;
                                }
                            }
                        }
                        device.gateway.twin_version += 1;
                    }
                });
            }
        });
        Ok(())
    }
}

/// A MAC as 12 hex digits, optionally separated by `:` or `-`, any case.
pub fn parse_mac(text: &str) -> Option<[u8; 6]> {
    let digits: String = text.chars().filter(|c| *c != ':' && *c != '-').collect();
    let mut mac = [0u8; 6];
    hex::decode_to_slice(digits, &mut mac).ok()?;
    Some(mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_versions_follow_the_documented_rule() {
        let table = [
            (
                "ASG210_HLApp_v1.2.3",
                ImageKind::HighLevelApp,
                1,
                Version::new(1, 2, 3),
                None,
            ),
            (
                "ASG210_HLApp",
                ImageKind::HighLevelApp,
                4,
                Version::new(1, 0, 4),
                None,
            ),
            (
                "v2.0.0 build",
                ImageKind::HighLevelApp,
                1,
                Version::new(2, 0, 0),
                None,
            ),
            (
                "app_v1.0.0_v1.1.0",
                ImageKind::HighLevelApp,
                1,
                Version::new(1, 1, 0),
                None,
            ),
            (
                "rt_v1.1.0_nodefw1.0.4",
                ImageKind::RealTimeApp,
                1,
                Version::new(1, 1, 0),
                Some(Version::new(1, 0, 4)),
            ),
            (
                "rt",
                ImageKind::RealTimeApp,
                2,
                Version::new(1, 0, 2),
                Some(Version::new(1, 0, 2)),
            ),
            (
                "devapp",
                ImageKind::HighLevelApp,
                1,
                Version::new(1, 0, 1),
                None,
            ),
        ];
        for (name, kind, count, version, node) in table {
            assert_eq!(image_version(name, kind, count), (version, node), "{name}");
        }
    }

    #[test]
    fn same_seed_same_fleet() {
        let config = SimConfig::default();
        let (a, demo_a) = generate(&config);
        let (b, demo_b) = generate(&config);
        assert_eq!(a.devices.len(), 24);
        assert_eq!(a.groups.len(), 5);
        assert_eq!(a.products.len(), 2);
        assert_eq!(a.devices[7].id, b.devices[7].id);
        assert_eq!(
            demo_a.iothub_connection_string,
            demo_b.iothub_connection_string
        );
        let other = generate(&SimConfig {
            seed: 7,
            ..SimConfig::default()
        })
        .0;
        assert_ne!(a.devices[0].id, other.devices[0].id);
    }

    #[test]
    fn macs_parse_with_or_without_separators() {
        assert_eq!(parse_mac("0008DC0A0B0C"), Some([0, 8, 0xDC, 10, 11, 12]));
        assert_eq!(
            parse_mac("00:08:dc:0a:0b:0c"),
            Some([0, 8, 0xDC, 10, 11, 12])
        );
        assert_eq!(parse_mac("0008DC"), None);
        assert_eq!(parse_mac("zz08DC0A0B0C"), None);
    }
}
