//! The profile screen's shapes: profiles (never a secret, only `has*` booleans), the session
//! header, the device-code prompt.

use serde::{Deserialize, Serialize};

use asg_fota_core::profiles::{Backend, DeviceContract, IotHubAuth, IotHubSettings, Profile};
use asg_fota_core::secrets::SecretKind;
use asg_fota_core::session::Identity;
use asg_fota_core::tenant::ProfileState;

use super::CommandError;

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
    pub(crate) fn of(state: ProfileState) -> Self {
        let ProfileState { name, profile, .. } = &state;
        Self {
            name: name.clone(),
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
            signed_in: state.signed_in,
            has_client_secret: state.has_client_secret,
            has_iothub_connection_string: state.has_iothub_connection_string,
            built_in: state.built_in,
        }
    }

    /// The profile to store: empty fields mean "not set", absent URLs mean the public cloud.
    pub(crate) fn into_profile(self) -> (String, Profile) {
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
        (self.name, profile)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProfileList {
    pub(crate) active: String,
    pub(crate) profiles: Vec<ProfileView>,
}

/// Which secret a password field of the profile form holds.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum SecretWhat {
    ClientSecret,
    IothubConnectionString,
}

impl From<SecretWhat> for SecretKind {
    fn from(what: SecretWhat) -> Self {
        match what {
            SecretWhat::ClientSecret => SecretKind::ClientSecret,
            SecretWhat::IothubConnectionString => SecretKind::IotHubConnectionString,
        }
    }
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

impl SessionInfo {
    pub(crate) fn of(
        profile: String,
        backend: Backend,
        who: Result<Identity, CommandError>,
    ) -> Self {
        let demo = backend == Backend::Demo;
        match who {
            Ok(identity) => Self {
                profile,
                backend,
                signed_in: true,
                account: identity.account,
                roles: identity.roles,
                scope: Some(identity.scope),
                tenant: identity.tenant,
                demo,
                problem: None,
            },
            Err(problem) => Self {
                profile,
                backend,
                signed_in: false,
                account: None,
                roles: Vec::new(),
                scope: None,
                tenant: None,
                demo,
                problem: Some(problem),
            },
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SignInPrompt {
    user_code: String,
    verification_uri: String,
    message: String,
    expires_in_seconds: u64,
}

impl From<&asg_fota_core::cloud::auth::DeviceCodePrompt> for SignInPrompt {
    fn from(prompt: &asg_fota_core::cloud::auth::DeviceCodePrompt) -> Self {
        Self {
            user_code: prompt.user_code.clone(),
            verification_uri: prompt.verification_uri.clone(),
            message: prompt.message.clone(),
            expires_in_seconds: prompt.expires_in.as_secs(),
        }
    }
}
