//! Step 5's table: a device group's gateways joined with their IoT Hub twins.
//!
//! This module owns [`Fleet`] (the control plane, the IoT Hub client and the profile's device
//! contract, bundled so that steps 5 and 6 can run as background work), the batched twin reads
//! every gateway view is built from, and the [`Gateway`] row.
//!
//! Twins are never read one `GET` at a time for a list: a group of 10,000 gateways would be 10,000
//! requests. Instead each page of the group's device list is joined with one twin query per
//! [`TWIN_BATCH`] devices (`SELECT * FROM devices WHERE deviceId IN [...]`), so the whole table
//! costs `pages + devices / TWIN_BATCH` requests and holds one page of twins at a time.

use std::collections::HashMap;

use futures_util::StreamExt;
use serde::Serialize;
use time::OffsetDateTime;
use tokio::sync::Semaphore;

use crate::cloud::iothub::{IotHubClient, Twin};
use crate::cloud::model::{Device, DeviceGroupId, DeviceId};
use crate::cloud::{CloudError, ControlPlane};
use crate::profiles::DeviceContract;
use crate::session::{Session, SessionError};
use crate::workflow::journal::{
    Action, Actor, Detail, Journal, JournalEntry, JournalError, Outcome, RunMark, Target,
};
use crate::workflow::runs::Runs;

/// How many device ids one twin query names.
// UNSURE: IoT Hub limits a query's text (documented as "query size" without a figure in the REST
// reference); 40 ids of 128 characters keep it near 5.5 KB, well under the 8 KB seen in practice.
pub const TWIN_BATCH: usize = 40;

/// How many twin queries of one listing run at the same time (step 5's table; the compliance
/// report bounds its queries across all its groups instead, see `compliance.rs`).
const PARALLEL_QUERIES: usize = 4;

/// The clients steps 5 and 6 need, owned so a rollout can run on its own task, and the journal
/// every change made through them is written to: it is required, a change that is not journaled
/// cannot be made.
#[derive(Debug, Clone)]
pub struct Fleet {
    plane: ControlPlane,
    iothub: IotHubClient,
    contract: DeviceContract,
    journal: Journal,
    actor: Actor,
}

impl Fleet {
    /// Bundles clients made elsewhere (the tenant, tests, the benchmarks) with the journal.
    pub fn new(
        plane: ControlPlane,
        iothub: IotHubClient,
        contract: DeviceContract,
        journal: Journal,
        actor: Actor,
    ) -> Fleet {
        Fleet {
            plane,
            iothub,
            contract,
            journal,
            actor,
        }
    }

    /// Writes one journal line of a run: an intent (`Outcome::Pending`, flushed to disk) must be
    /// written before its request is sent, so its failure is returned.
    pub(crate) fn record_in_run(
        &self,
        action: Action,
        target: Target,
        result: Outcome,
        detail: impl Into<Detail>,
        run: RunMark,
    ) -> Result<(), JournalError> {
        let entry = JournalEntry::new(
            OffsetDateTime::now_utc(),
            &self.actor,
            action,
            target,
            result,
            detail,
        )
        .in_run(run);
        self.journal.append(&entry)
    }

    /// The run registry beside the journal.
    pub fn runs(&self) -> Runs {
        Runs::beside(&self.journal)
    }

    /// The fleet of a signed-in session; fails when the profile has no IoT Hub.
    pub async fn from_session(
        session: &Session,
        journal: Journal,
        actor: Actor,
    ) -> Result<Fleet, SessionError> {
        Ok(Fleet::new(
            session.plane().clone(),
            session.iothub().await?.clone(),
            session.device_contract().clone(),
            journal,
            actor,
        ))
    }

    pub fn plane(&self) -> &ControlPlane {
        &self.plane
    }

    pub fn iothub(&self) -> &IotHubClient {
        &self.iothub
    }

    /// The gateway firmware's command and property names.
    pub fn contract(&self) -> &DeviceContract {
        &self.contract
    }

    /// The profile's name (written into the journal).
    pub fn profile(&self) -> &str {
        &self.actor.profile
    }

    /// The twins of `devices`, read with batched twin queries. A device without a twin (not
    /// registered on the hub) is simply absent from the answer.
    pub async fn twins(&self, devices: &[DeviceId]) -> Result<TwinsById, CloudError> {
        self.twins_within(devices, &Semaphore::new(PARALLEL_QUERIES))
            .await
    }

    /// [`Fleet::twins`], with at most as many queries in flight as `limit` has permits; several
    /// listings sharing one `limit` share the bound (the compliance report's groups do).
    pub(crate) async fn twins_within(
        &self,
        devices: &[DeviceId],
        limit: &Semaphore,
    ) -> Result<TwinsById, CloudError> {
        let batches: Vec<&[DeviceId]> = devices.chunks(TWIN_BATCH).collect();
        let in_flight = batches.len().max(1);
        let mut answers = futures_util::stream::iter(batches)
            .map(|batch| async move {
                let query = twin_query(batch);
                // The semaphore is never closed, so a permit always comes.
                let _permit = limit.acquire().await.ok();
                self.iothub
                    .query_twins(&query, Some(TWIN_BATCH as u32), |_| {})
                    .await
            })
            .buffer_unordered(in_flight);
        let mut twins = TwinsById::default();
        while let Some(answer) = answers.next().await {
            let read_at = OffsetDateTime::now_utc();
            for twin in answer? {
                twins.insert(twin, read_at);
            }
        }
        Ok(twins)
    }

    /// Step 5's table: every gateway of `group` with its twin's state, page by page.
    pub async fn gateways(&self, group: &DeviceGroupId) -> Result<Vec<Gateway>, CloudError> {
        let names = self.group_names().await?;
        let mut pages = self.plane.device_pages(group);
        let mut rows = Vec::new();
        // The next page is read while the twins of the current one are queried: the pages of a
        // list are sequential (each continuation comes with the previous page), the twins are
        // not, so the two overlap and a large group costs about the longer of the two chains.
        let mut page = pages.next_page().await?;
        while let Some(devices) = page {
            let (next, current) =
                tokio::join!(pages.next_page(), self.rows(devices, group, &names));
            rows.extend(current?);
            page = next?;
        }
        Ok(rows)
    }

    /// Rows for gateways picked by id, which may sit in other groups (the UI's "add a device").
    /// Each device record is read on its own, so this is for a handful of ids, not a fleet.
    pub async fn gateways_by_id(
        &self,
        devices: &[DeviceId],
        group: &DeviceGroupId,
    ) -> Result<Vec<Gateway>, CloudError> {
        let mut records = Vec::with_capacity(devices.len());
        for id in devices {
            records.push(self.plane.device(id, group).await?);
        }
        self.rows(records, group, &self.group_names().await?).await
    }

    /// Group names by lower-cased group id (one listing), for the "current group" column.
    async fn group_names(&self) -> Result<HashMap<String, String>, CloudError> {
        Ok(self
            .plane
            .device_groups()
            .await?
            .into_iter()
            .map(|g| (g.id.as_str().to_ascii_lowercase(), g.name))
            .collect())
    }

    async fn rows(
        &self,
        devices: Vec<Device>,
        group: &DeviceGroupId,
        group_names: &HashMap<String, String>,
    ) -> Result<Vec<Gateway>, CloudError> {
        let ids: Vec<DeviceId> = devices.iter().map(|d| d.id.clone()).collect();
        let twins = self.twins(&ids).await?;
        Ok(devices
            .into_iter()
            .map(|device| {
                let twin = twins.get(&device.id);
                Gateway::from_parts(device, twin, &self.contract, group, group_names)
            })
            .collect())
    }
}

/// Twins keyed by device id (case-insensitive), each with the time it was read.
#[derive(Debug, Default)]
pub struct TwinsById {
    twins: HashMap<String, (Twin, OffsetDateTime)>,
}

impl TwinsById {
    fn insert(&mut self, twin: Twin, read_at: OffsetDateTime) {
        self.twins
            .insert(twin.device_id.to_ascii_lowercase(), (twin, read_at));
    }

    /// The twin of `device` and when it was read.
    pub fn get(&self, device: &DeviceId) -> Option<&(Twin, OffsetDateTime)> {
        self.twins.get(&device.as_str().to_ascii_lowercase())
    }

    pub fn len(&self) -> usize {
        self.twins.len()
    }

    pub fn is_empty(&self) -> bool {
        self.twins.is_empty()
    }
}

/// The twin query naming `devices`.
fn twin_query(devices: &[DeviceId]) -> String {
    // Azure Sphere devices register on IoT Hub (through DPS) with their device id in lower case;
    // IoT Hub compares device ids case-sensitively (see `iothub::hub_device_id`).
    let ids: Vec<String> = devices
        .iter()
        .map(|d| format!("'{}'", crate::cloud::iothub::hub_device_id(d)))
        .collect();
    format!(
        "SELECT * FROM devices WHERE deviceId IN [{}]",
        ids.join(", ")
    )
}

/// A gateway's connection to IoT Hub, as its twin says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ConnectionState {
    Connected,
    Disconnected,
    /// No twin (the device is not registered on the hub) or a state this version does not know.
    Unknown,
}

impl ConnectionState {
    pub fn of(twin: Option<&Twin>) -> ConnectionState {
        match twin.and_then(|t| t.connection_state.as_deref()) {
            Some(s) if s.eq_ignore_ascii_case("Connected") => ConnectionState::Connected,
            Some(s) if s.eq_ignore_ascii_case("Disconnected") => ConnectionState::Disconnected,
            _ => ConnectionState::Unknown,
        }
    }
}

/// One row of step 5's table.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Gateway {
    pub device_id: DeviceId,
    pub connection_state: ConnectionState,
    /// The reported high-level app version (the contract's `HLAppVer` property).
    pub hl_app_ver: Option<String>,
    /// The reported real-time app version (the contract's `RTAppVer` property).
    pub rt_app_ver: Option<String>,
    /// The device's last update check-in (`LastUpdateRequestUTC`), from the control plane.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_check_in: Option<OffsetDateTime>,
    /// The group the device is in now.
    pub group_id: Option<DeviceGroupId>,
    /// That group's name, when it is known.
    pub group_name: Option<String>,
    /// Whether that is the group the table was asked for.
    pub in_group: bool,
    /// When the twin was read (the device record was read just before it).
    #[serde(with = "time::serde::rfc3339")]
    pub as_of: OffsetDateTime,
}

impl Gateway {
    fn from_parts(
        device: Device,
        twin: Option<&(Twin, OffsetDateTime)>,
        contract: &DeviceContract,
        group: &DeviceGroupId,
        group_names: &HashMap<String, String>,
    ) -> Gateway {
        let twin_ref = twin.map(|(t, _)| t);
        let in_group = device
            .group
            .as_ref()
            .is_some_and(|g| g.as_str().eq_ignore_ascii_case(group.as_str()));
        Gateway {
            connection_state: ConnectionState::of(twin_ref),
            hl_app_ver: twin_ref.and_then(|t| reported_text(t, &contract.hl_app_version_property)),
            rt_app_ver: twin_ref.and_then(|t| reported_text(t, &contract.rt_app_version_property)),
            last_check_in: device.last_update_request,
            group_name: device
                .group
                .as_ref()
                .and_then(|g| group_names.get(&g.as_str().to_ascii_lowercase()))
                .cloned(),
            group_id: device.group,
            in_group,
            as_of: twin.map_or_else(OffsetDateTime::now_utc, |(_, at)| *at),
            device_id: device.id,
        }
    }
}

/// A reported property as text: strings as they are, other JSON values as JSON.
pub fn reported_text(twin: &Twin, name: &str) -> Option<String> {
    match twin.reported(name)? {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twin_queries_name_lowercase_ids_in_one_in_list() {
        let a = DeviceId::parse(&"AB".repeat(64)).unwrap();
        let b = DeviceId::parse(&"0c".repeat(64)).unwrap();
        let q = twin_query(&[a, b]);
        assert_eq!(
            q,
            format!(
                "SELECT * FROM devices WHERE deviceId IN ['{}', '{}']",
                "ab".repeat(64),
                "0c".repeat(64)
            )
        );
        let full: Vec<DeviceId> = (0..TWIN_BATCH)
            .map(|_| DeviceId::parse(&"ab".repeat(64)).unwrap())
            .collect();
        assert!(
            twin_query(&full).len() < 8 * 1024,
            "a full batch stays under 8 KB"
        );
    }

    #[test]
    fn connection_state_reads_the_twin_or_is_unknown() {
        let twin = |state: Option<&str>| Twin {
            device_id: "x".into(),
            etag: None,
            status: None,
            connection_state: state.map(str::to_owned),
            last_activity_time: None,
            properties: Default::default(),
        };
        let cases = [
            (Some("Connected"), ConnectionState::Connected),
            (Some("connected"), ConnectionState::Connected),
            (Some("Disconnected"), ConnectionState::Disconnected),
            (Some("Sleeping"), ConnectionState::Unknown),
            (None, ConnectionState::Unknown),
        ];
        for (state, want) in cases {
            assert_eq!(ConnectionState::of(Some(&twin(state))), want, "{state:?}");
        }
        assert_eq!(ConnectionState::of(None), ConnectionState::Unknown);
    }
}
