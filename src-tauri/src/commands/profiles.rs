//! Commands of the profile screen: list, edit, switch and remove profiles; sign in and out.
//!
//! Secrets go one way only: from a password field into the OS keychain. What comes back says
//! whether a secret is stored (`hasClientSecret`), never what it is.

use serde::{Deserialize, Serialize};
use tauri::State;
use tokio_util::sync::CancellationToken;

use asg_fota_core::profiles::{
    Backend, DeviceContract, IotHubAuth, IotHubSettings, Profile, DEMO_PROFILE,
};
use asg_fota_core::secrets::{SecretKey, SecretKind, Sensitive};
use asg_fota_core::session as core_session;

use crate::error::CommandError;
use crate::tenant::{PendingSignIn, TenantConnection};

/// A profile as the profile screen shows and edits it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProfileView {
    name: String,
    backend: Backend,
    #[serde(default)]
    authority_host: Option<String>,
    #[serde(default)]
    api_base_url: Option<String>,
    #[serde(default)]
    tenant_id: Option<String>,
    #[serde(default)]
    sphere_tenant_id: Option<String>,
    #[serde(default)]
    subscription_id: Option<String>,
    #[serde(default)]
    resource_group: Option<String>,
    #[serde(default)]
    catalog: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    service_principal_client_id: Option<String>,
    #[serde(default)]
    iothub_host: Option<String>,
    #[serde(default)]
    iothub_auth: Option<IotHubAuthView>,
    #[serde(default)]
    contract: Option<ContractView>,
    #[serde(default)]
    concurrency: Option<u32>,
    // Filled in by the shell; ignored when the UI sends a profile back.
    #[serde(default, skip_deserializing)]
    signed_in: bool,
    #[serde(default, skip_deserializing)]
    has_client_secret: bool,
    #[serde(default, skip_deserializing)]
    has_iothub_connection_string: bool,
    #[serde(default, skip_deserializing)]
    built_in: bool,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum IotHubAuthView {
    ConnectionString,
    Entra,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContractView {
    restart_method: String,
    restart_delay_seconds: u32,
    hl_app_ver_property: String,
    rt_app_ver_property: String,
    nodes_property: String,
    node_fw_available_property: String,
    update_node_method: String,
}

impl From<&DeviceContract> for ContractView {
    fn from(c: &DeviceContract) -> Self {
        Self {
            restart_method: c.restart_method.clone(),
            restart_delay_seconds: c.restart_delay_seconds,
            hl_app_ver_property: c.hl_app_version_property.clone(),
            rt_app_ver_property: c.rt_app_version_property.clone(),
            nodes_property: c.nodes_property.clone(),
            node_fw_available_property: c.node_fw_available_property.clone(),
            update_node_method: c.update_node_method.clone(),
        }
    }
}

impl From<ContractView> for DeviceContract {
    fn from(c: ContractView) -> Self {
        Self {
            restart_method: c.restart_method,
            restart_delay_seconds: c.restart_delay_seconds,
            hl_app_version_property: c.hl_app_ver_property,
            rt_app_version_property: c.rt_app_ver_property,
            nodes_property: c.nodes_property,
            node_fw_available_property: c.node_fw_available_property,
            update_node_method: c.update_node_method,
        }
    }
}

impl ProfileView {
    fn of(name: &str, profile: &Profile, connection: &TenantConnection) -> Self {
        let has = |kind| {
            profile.backend != Backend::Demo
                && matches!(
                    connection.secrets().retrieve(&SecretKey::new(name, kind)),
                    Ok(Some(_))
                )
        };
        let has_client_secret = has(SecretKind::ClientSecret);
        let has_refresh_token = has(SecretKind::RefreshToken);
        Self {
            name: name.to_owned(),
            backend: profile.backend,
            authority_host: Some(profile.authority_host.clone()),
            api_base_url: Some(profile.api_base()),
            tenant_id: profile.tenant_id.clone(),
            sphere_tenant_id: profile.sphere_tenant_id.clone(),
            subscription_id: profile.subscription_id.clone(),
            resource_group: profile.resource_group.clone(),
            catalog: profile.catalog.clone(),
            client_id: profile.client_id.clone(),
            service_principal_client_id: profile.service_principal_client_id.clone(),
            iothub_host: profile.iothub.as_ref().map(|h| h.host.clone()),
            iothub_auth: profile.iothub.as_ref().map(|h| match h.auth {
                IotHubAuth::ConnectionString => IotHubAuthView::ConnectionString,
                IotHubAuth::Entra => IotHubAuthView::Entra,
            }),
            contract: Some((&profile.device_contract).into()),
            concurrency: Some(profile.concurrency),
            signed_in: profile.backend == Backend::Demo
                || has_refresh_token
                || (profile.service_principal_client_id.is_some() && has_client_secret),
            has_client_secret,
            has_iothub_connection_string: has(SecretKind::IotHubConnectionString),
            built_in: name == DEMO_PROFILE,
        }
    }

    /// The profile to store: empty fields mean "not set", absent URLs mean the public cloud.
    fn into_profile(self) -> Profile {
        let text =
            |value: Option<String>| value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let mut profile = Profile::new(self.backend);
        if let Some(host) = text(self.authority_host) {
            profile.authority_host = host;
        }
        profile.api_base =
            text(self.api_base_url).filter(|url| url != self.backend.default_api_base());
        profile.tenant_id = text(self.tenant_id);
        profile.sphere_tenant_id = text(self.sphere_tenant_id);
        profile.subscription_id = text(self.subscription_id);
        profile.resource_group = text(self.resource_group);
        profile.catalog = text(self.catalog);
        profile.client_id = text(self.client_id);
        profile.service_principal_client_id = text(self.service_principal_client_id);
        profile.iothub = text(self.iothub_host).map(|host| IotHubSettings {
            host,
            api_base: None,
            auth: match self.iothub_auth {
                Some(IotHubAuthView::Entra) => IotHubAuth::Entra,
                _ => IotHubAuth::ConnectionString,
            },
        });
        if let Some(contract) = self.contract {
            profile.device_contract = contract.into();
        }
        if let Some(concurrency) = self.concurrency {
            profile.concurrency = concurrency;
        }
        profile
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProfileList {
    active: String,
    profiles: Vec<ProfileView>,
}

/// The profile screen opens with this.
#[tauri::command]
pub(crate) fn profiles_list(
    connection: State<'_, TenantConnection>,
) -> Result<ProfileList, CommandError> {
    let profiles = connection.profiles()?;
    let views = profiles
        .names()
        .into_iter()
        .filter_map(|name| {
            profiles
                .get(&name)
                .ok()
                .map(|p| ProfileView::of(&name, &p, &connection))
        })
        .collect();
    Ok(ProfileList {
        active: profiles.active_name(),
        profiles: views,
    })
}

/// "Save" on the profile form: creates or replaces a profile (non-secret settings only).
#[tauri::command]
pub(crate) async fn profile_save(
    profile: ProfileView,
    connection: State<'_, TenantConnection>,
) -> Result<ProfileView, CommandError> {
    let name = profile.name.trim().to_owned();
    let store = connection.profile_store();
    let mut profiles = store.load()?;
    let old = profiles.profiles.get(&name).cloned();
    let new = profile.into_profile();
    profiles.upsert(&name, new.clone())?;
    store.save(&profiles)?;
    // Secrets are never handed to endpoints other than those they were stored for.
    core_session::forget_secrets_if_endpoints_changed(
        &name,
        old.as_ref(),
        &new,
        connection.secrets(),
    )?;
    if profiles.active_name() == name {
        connection.reset().await;
    }
    Ok(ProfileView::of(&name, &profiles.get(&name)?, &connection))
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum SecretWhat {
    ClientSecret,
    IothubConnectionString,
}

/// A password field of the profile form: the value goes into the OS keychain, never back.
#[tauri::command]
pub(crate) async fn profile_set_secret(
    name: String,
    what: SecretWhat,
    value: String,
    connection: State<'_, TenantConnection>,
) -> Result<(), CommandError> {
    connection.profiles()?.get(&name)?;
    let kind = match what {
        SecretWhat::ClientSecret => SecretKind::ClientSecret,
        SecretWhat::IothubConnectionString => SecretKind::IotHubConnectionString,
    };
    let value = Sensitive::from(value);
    if value.expose().trim().is_empty() {
        return Err(CommandError::new(
            "invalid_input",
            "The value is empty: paste the secret and try again.",
        ));
    }
    connection
        .secrets()
        .persist(&SecretKey::new(&name, kind), &value)?;
    connection.reset().await;
    Ok(())
}

/// "Remove" on a profile: deletes its settings and its secrets in the keychain.
#[tauri::command]
pub(crate) async fn profile_remove(
    name: String,
    connection: State<'_, TenantConnection>,
) -> Result<(), CommandError> {
    let store = connection.profile_store();
    let mut profiles = store.load()?;
    profiles.remove(&name)?;
    store.save(&profiles)?;
    core_session::forget_profile_secrets(&name, connection.secrets())?;
    connection.reset().await;
    Ok(())
}

/// Who is signed in, for the header and the profile screen.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SessionInfo {
    profile: String,
    backend: Backend,
    signed_in: bool,
    account: Option<String>,
    roles: Vec<String>,
    scope: Option<String>,
    tenant: Option<String>,
    demo: bool,
    /// Why the session could not open (`signed_out`, `keychain_unavailable`...), when it did not.
    problem: Option<CommandError>,
}

async fn describe(connection: &TenantConnection) -> Result<SessionInfo, CommandError> {
    let profiles = connection.profiles()?;
    let name = profiles.active_name();
    let profile = profiles.get(&name)?;
    let demo = profile.backend == Backend::Demo;
    let opened: Result<_, CommandError> = match connection.session().await {
        Ok(session) => session.whoami().await.map_err(CommandError::from),
        Err(error) => Err(error),
    };
    Ok(match opened {
        Ok(identity) => SessionInfo {
            profile: name,
            backend: profile.backend,
            signed_in: true,
            account: identity.account,
            roles: identity.roles,
            scope: Some(identity.scope),
            tenant: identity.tenant,
            demo,
            problem: None,
        },
        Err(problem) => SessionInfo {
            profile: name,
            backend: profile.backend,
            signed_in: false,
            account: None,
            roles: Vec::new(),
            scope: None,
            tenant: None,
            demo,
            problem: Some(problem),
        },
    })
}

#[tauri::command]
pub(crate) async fn session_info(
    connection: State<'_, TenantConnection>,
) -> Result<SessionInfo, CommandError> {
    describe(&connection).await
}

/// "Use this profile": makes it active and opens its session.
#[tauri::command]
pub(crate) async fn profile_activate(
    name: String,
    connection: State<'_, TenantConnection>,
) -> Result<SessionInfo, CommandError> {
    let store = connection.profile_store();
    let mut profiles = store.load()?;
    profiles.set_active(&name)?;
    store.save(&profiles)?;
    connection.reset().await;
    describe(&connection).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SignInPrompt {
    user_code: String,
    verification_uri: String,
    message: String,
    expires_in_seconds: u64,
}

/// "Sign in": starts a device-code sign-in and returns the code to show.
#[tauri::command]
pub(crate) async fn sign_in_start(
    name: String,
    connection: State<'_, TenantConnection>,
) -> Result<SignInPrompt, CommandError> {
    let profile = connection.profiles()?.get(&name)?;
    if profile.backend == Backend::Demo {
        return Err(CommandError::new(
            "invalid_input",
            "The Demo tenant signs itself in; there is nothing to do.",
        ));
    }
    let config = connection.config_for(&name, &profile)?;
    let (identity, prompt) = core_session::start_device_code_sign_in(&config).await?;
    let answer = SignInPrompt {
        user_code: prompt.user_code.clone(),
        verification_uri: prompt.verification_uri.clone(),
        message: prompt.message.clone(),
        expires_in_seconds: prompt.expires_in.as_secs(),
    };
    asg_fota_core::browser::open_sign_in_page_or_log(
        &prompt.verification_uri,
        &config.authority_host,
    );
    let pending = PendingSignIn {
        profile: name,
        config,
        identity,
        prompt,
        cancel: CancellationToken::new(),
    };
    if let Some(previous) = connection.pending_sign_in.lock().await.replace(pending) {
        previous.cancel.cancel();
    }
    Ok(answer)
}

/// Resolves when the person approved the code in the browser (or rejects: cancelled, expired).
#[tauri::command]
pub(crate) async fn sign_in_finish(
    connection: State<'_, TenantConnection>,
) -> Result<SessionInfo, CommandError> {
    let pending = connection
        .pending_sign_in
        .lock()
        .await
        .take()
        .ok_or_else(|| {
            CommandError::new(
                "invalid_input",
                "No sign-in is waiting. Press “Sign in” to start one.",
            )
        })?;
    let finished = core_session::finish_device_code_sign_in(
        &pending.config,
        &pending.identity,
        &pending.prompt,
        &pending.cancel,
        connection.secrets(),
    )
    .await;
    finished?;
    tracing::info!(profile = %pending.profile, "signed in with a device code");
    connection.reset().await;
    describe(&connection).await
}

/// "Cancel" while the code is shown.
#[tauri::command]
pub(crate) async fn sign_in_cancel(
    connection: State<'_, TenantConnection>,
) -> Result<(), CommandError> {
    if let Some(pending) = connection.pending_sign_in.lock().await.as_ref() {
        pending.cancel.cancel();
    }
    Ok(())
}

/// Signs a profile in as its service principal: stores the secret, then proves it works.
#[tauri::command]
pub(crate) async fn sign_in_service_principal(
    name: String,
    client_secret: String,
    connection: State<'_, TenantConnection>,
) -> Result<SessionInfo, CommandError> {
    profile_set_secret(
        name.clone(),
        SecretWhat::ClientSecret,
        client_secret,
        connection.clone(),
    )
    .await?;
    let store = connection.profile_store();
    let mut profiles = store.load()?;
    profiles.set_active(&name)?;
    store.save(&profiles)?;
    connection.reset().await;
    describe(&connection).await
}

/// "Sign out": forgets the profile's sign-in (refresh token and client secret).
#[tauri::command]
pub(crate) async fn sign_out(
    name: String,
    connection: State<'_, TenantConnection>,
) -> Result<(), CommandError> {
    for kind in [SecretKind::RefreshToken, SecretKind::ClientSecret] {
        connection.secrets().delete(&SecretKey::new(&name, kind))?;
    }
    connection.reset().await;
    Ok(())
}
