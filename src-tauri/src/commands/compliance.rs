//! Commands of the Fleet screen and the migration screen (issue 14): the compliance report, the
//! legacy-to-ARM check, the ARM profile made from a legacy one, and the days the legacy API has
//! left. Adapters over the core's `Tenant::compliance`, `TenantHost::migration_check` /
//! `save_migrated_profile` and `migrate::{arm_profile_from_legacy, retirement}`.

use std::sync::Mutex;

use serde::Serialize;

use tauri::ipc::{Channel, InvokeResponseBody};
use tauri::State;

use asg_fota_core::migrate::{self, MigrationReport, Retirement};
use asg_fota_core::profiles::Backend;

use crate::commands::on_worker;
use crate::tenant::TenantConnection;
use crate::wire::{CommandError, ComplianceDone, ComplianceEvent, MigratedProfile, ProfileView};
use asg_fota_core::workflow::compliance::Tally;

/// The Fleet screen: every group's gateways and nodes against its current deployment (or only
/// the group `group` names: an id, `product/group` or a unique group name), streamed on
/// `on_event` as it is counted (`ComplianceEvent`s, then `ComplianceDone`, which is also the
/// answer).
#[tauri::command]
pub(crate) async fn compliance_report(
    group: Option<String>,
    on_event: Channel,
    connection: State<'_, TenantConnection>,
) -> Result<ComplianceDone, CommandError> {
    let tenant = connection.tenant().await?;
    on_worker(move || async move {
        let tally = Mutex::new(Tally::default());
        let report = tenant
            .compliance_with(group.as_deref(), &|progress| {
                let mut tally = tally.lock().unwrap_or_else(|e| e.into_inner());
                send(&on_event, &ComplianceEvent::of(progress, &mut tally));
            })
            .await?;
        let done = ComplianceDone::from(&report);
        send(&on_event, &done);
        Ok(done)
    })
    .await
}

/// Sends one message on `channel`, serialized once (a complete group is a large message). A page
/// that went away (reloaded) only loses the rest of this report's messages.
fn send(channel: &Channel, message: &impl Serialize) {
    if let Ok(json) = serde_json::to_string(message) {
        let _ = channel.send(InvokeResponseBody::Json(json));
    }
}

/// The migration screen's "Check": what the legacy profile `from` and the ARM profile `to` see,
/// item by item. The Demo tenant may stand on either side (one simulator, read through both
/// planes).
#[tauri::command]
pub(crate) async fn migration_check(
    from: String,
    to: String,
    connection: State<'_, TenantConnection>,
) -> Result<MigrationReport, CommandError> {
    Ok(connection.host.migration_check(&from, &to).await?)
}

/// "Create ARM profile from this legacy one": only the subscription, resource group and catalog
/// are asked; the IoT Hub, sign-in and device contract are the legacy profile's, and its service
/// principal secret and IoT Hub connection string are copied in the keychain. An existing
/// profile is never replaced.
#[tauri::command]
pub(crate) async fn migration_profile_create(
    from: String,
    name: String,
    subscription_id: String,
    resource_group: String,
    catalog: String,
    connection: State<'_, TenantConnection>,
) -> Result<MigratedProfile, CommandError> {
    let host = &connection.host;
    let profiles = host.profiles()?;
    let name = name.trim().to_owned();
    if profiles.names().contains(&name) {
        return Err(CommandError::new(
            "invalid_input",
            format!("A profile named “{name}” exists already. Choose another name."),
        ));
    }
    let legacy = profiles.get(&from)?;
    let arm = migrate::arm_profile_from_legacy(
        &name,
        &legacy,
        &subscription_id,
        &resource_group,
        &catalog,
        None,
    )?;
    let secrets = host.save_migrated_profile(&from, &name, arm.clone(), false)?;
    Ok(MigratedProfile::of(
        ProfileView::of(host.state_of(&name, arm)),
        secrets,
    ))
}

/// The legacy API's retirement (2027-09-27) and the days left today, shown on legacy profiles.
#[tauri::command]
pub(crate) fn legacy_retirement() -> Option<Retirement> {
    migrate::retirement(Backend::Legacy, time::OffsetDateTime::now_utc().date())
}
