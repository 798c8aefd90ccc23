//! A session: the cloud clients of one profile, built and signed in, ready for the workflow.
//!
//! This module owns the step from "a profile and where its secrets are" to "a [`ControlPlane`], an
//! IoT Hub client and the token cache behind them". It decides which sign-in a profile uses (a
//! service principal when the profile names one and its secret is at hand, else the refresh token
//! a device-code sign-in left in the keychain), which scopes and authorities each control plane
//! needs, and how a device group named by a person (`product/group` or an id) is found.
//!
//! The core never starts the simulator (the simulator depends on the core, not the other way
//! round), so the Demo tenant arrives here already resolved: the desktop app and the CLI start the
//! simulator, describe it as a [`DemoTenant`], and pass its made-up secrets in a
//! [`crate::secrets::MemoryStore`].
//!
//! Secrets are looked up first in [`SecretOverrides`] (the CLI fills them from environment variables
//! for pipelines), then in the [`SecretStore`]; they go from there into the token cache and the
//! SAS signer and nowhere else.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::cloud::arm::{ArmClient, CatalogRef};
use crate::cloud::auth::{
    scopes, DeviceCodePrompt, IdentityClient, RotationHook, ServicePrincipal, TokenCache,
    TokenClaims, UserGrant, LEGACY_AUTHORITY_TENANT, LEGACY_PUBLIC_CLIENT_ID,
};
use crate::cloud::iothub::{ConnectionString, IotHubClient};
use crate::cloud::legacy::LegacyClient;
use crate::cloud::model::{DeviceGroup, Product, TenantId};
use crate::cloud::transport::Credentials;
use crate::cloud::{CloudError, ControlPlane, PlaneSettings, Transport, TransportSettings};
use crate::profiles::{Backend, DeviceContract, IotHubAuth, IotHubSettings, Profile};
use crate::secrets::{SecretError, SecretKey, SecretKind, SecretStore, Sensitive};

/// Which control plane a resolved session talks to (the Demo tenant speaks both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaneKind {
    /// The legacy Azure Sphere public API.
    Legacy,
    /// Azure Resource Manager.
    Arm,
}

/// The simulated tenant as the desktop app or the CLI started it: its URLs and its (non-secret)
/// identity. Its secrets travel separately, in a memory store.
#[derive(Debug, Clone)]
pub struct DemoTenant {
    /// Which of the simulator's two control planes to use.
    pub plane: PlaneKind,
    /// The simulator's legacy API base URL (`.../as3`).
    pub legacy_api_base: String,
    /// The simulator's ARM base URL (`.../arm`).
    pub arm_api_base: String,
    /// The simulator's identity platform (`.../login`).
    pub authority_host: String,
    /// The simulator's IoT Hub service API (`.../iothub`).
    pub iothub_api_base: String,
    /// The hub's host name used in SAS tokens.
    pub iothub_host: String,
    /// The Entra tenant of the demo user and service principal.
    pub tenant_id: String,
    /// The legacy Azure Sphere tenant id.
    pub sphere_tenant_id: String,
    /// The ARM catalog's subscription.
    pub subscription_id: String,
    /// The ARM catalog's resource group.
    pub resource_group: String,
    /// The ARM catalog.
    pub catalog: String,
    /// The demo service principal's client id (its secret is in the memory store).
    pub service_principal_client_id: String,
}

/// A profile with every endpoint and id resolved: what [`Session::open`] needs.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// The profile's name (keychain keys are made from it).
    pub profile: String,
    /// Which control plane.
    pub plane: PlaneKind,
    /// The identity platform host.
    pub authority_host: String,
    /// The control plane's base URL.
    pub api_base: String,
    /// The Entra tenant (ARM sign-in, service principals).
    pub tenant_id: Option<String>,
    /// Legacy: the Azure Sphere tenant; `None` = the only one the account sees.
    pub sphere_tenant_id: Option<String>,
    /// ARM: the catalog.
    pub catalog: Option<CatalogRef>,
    /// The public client for device-code sign-in.
    pub client_id: Option<String>,
    /// The service principal's client id, if the profile signs in as one.
    pub service_principal_client_id: Option<String>,
    /// The IoT Hub, if any.
    pub iothub: Option<IotHubSettings>,
    /// The gateway firmware's command names.
    pub device_contract: DeviceContract,
    /// Fan-out concurrency.
    pub concurrency: u32,
    /// HTTP timeouts and retries.
    pub transport: TransportSettings,
    /// Paging and operation polling.
    pub plane_settings: PlaneSettings,
}

impl SessionConfig {
    /// Resolves a `legacy` or `arm` profile. A `demo` profile needs [`SessionConfig::demo`].
    pub fn from_profile(name: &str, profile: &Profile) -> Result<Self, SessionError> {
        profile.validate(name)?;
        let plane = match profile.backend {
            Backend::Legacy => PlaneKind::Legacy,
            Backend::Arm => PlaneKind::Arm,
            Backend::Demo => {
                return Err(SessionError::DemoNeedsSimulator {
                    profile: name.to_owned(),
                })
            }
        };
        let catalog = match plane {
            PlaneKind::Arm => Some(CatalogRef {
                subscription: profile.subscription_id.clone().unwrap_or_default(),
                resource_group: profile.resource_group.clone().unwrap_or_default(),
                catalog: profile.catalog.clone().unwrap_or_default(),
            }),
            PlaneKind::Legacy => None,
        };
        Ok(Self {
            profile: name.to_owned(),
            plane,
            authority_host: profile.authority_host.clone(),
            api_base: profile.api_base(),
            tenant_id: profile.tenant_id.clone(),
            sphere_tenant_id: profile.sphere_tenant_id.clone(),
            catalog,
            client_id: profile.client_id.clone(),
            service_principal_client_id: profile.service_principal_client_id.clone(),
            iothub: profile.iothub.clone(),
            device_contract: profile.device_contract.clone(),
            concurrency: profile.concurrency,
            transport: TransportSettings::default(),
            plane_settings: PlaneSettings::default(),
        })
    }

    /// Resolves the Demo tenant profile against a running simulator. The profile contributes its
    /// device contract and concurrency (a user may edit those); everything else is the simulator's.
    pub fn demo(name: &str, profile: &Profile, demo: &DemoTenant) -> Self {
        let api_base = match demo.plane {
            PlaneKind::Legacy => demo.legacy_api_base.clone(),
            PlaneKind::Arm => demo.arm_api_base.clone(),
        };
        Self {
            profile: name.to_owned(),
            plane: demo.plane,
            authority_host: demo.authority_host.clone(),
            api_base,
            tenant_id: Some(demo.tenant_id.clone()),
            sphere_tenant_id: Some(demo.sphere_tenant_id.clone()),
            catalog: Some(CatalogRef {
                subscription: demo.subscription_id.clone(),
                resource_group: demo.resource_group.clone(),
                catalog: demo.catalog.clone(),
            }),
            client_id: None,
            service_principal_client_id: Some(demo.service_principal_client_id.clone()),
            iothub: Some(IotHubSettings {
                host: demo.iothub_host.clone(),
                api_base: Some(demo.iothub_api_base.clone()),
                auth: IotHubAuth::ConnectionString,
            }),
            device_contract: profile.device_contract.clone(),
            concurrency: profile.concurrency,
            transport: TransportSettings::default(),
            plane_settings: PlaneSettings::default(),
        }
    }

    /// Who a person signs in as for this plane: authority tenant, public client and scopes.
    pub fn user_grant(&self) -> Result<UserGrant, SessionError> {
        match self.plane {
            // UNSURE: the legacy interactive sign-in always goes through Azure Sphere's own tenant
            // with the azsphere public client, as the API doc says; a profile's client id replaces
            // the client only.
            PlaneKind::Legacy => Ok(UserGrant {
                tenant: LEGACY_AUTHORITY_TENANT.to_owned(),
                client_id: self
                    .client_id
                    .clone()
                    .unwrap_or_else(|| LEGACY_PUBLIC_CLIENT_ID.to_owned()),
                scope: scopes::LEGACY_USER.to_owned(),
            }),
            PlaneKind::Arm => Ok(UserGrant {
                // The device-code flow needs a tenant-specific authority: no `organizations`.
                tenant: self.tenant_id()?,
                client_id: self
                    .client_id
                    .clone()
                    .ok_or_else(|| SessionError::MissingSetting {
                        profile: self.profile.clone(),
                        setting: "client_id",
                        advice: "an ARM profile needs its own public-client app registration for \
                                 interactive sign-in (or a service principal)",
                    })?,
                scope: scopes::ARM_USER.to_owned(),
            }),
        }
    }

    /// The same person's grant for IoT Hub (Entra mode): same authority and client, IoT Hub scope.
    fn iothub_user_grant(&self) -> Result<UserGrant, SessionError> {
        let mut grant = self.user_grant()?;
        if self.plane == PlaneKind::Legacy {
            // The azsphere public client is Microsoft's first-party app: it has no permission for
            // IoT Hub, and Entra answers a consent error. Only the customer's own app registration
            // can ask for an IoT Hub token.
            if self
                .client_id
                .as_deref()
                .is_none_or(|c| c.trim().is_empty())
            {
                return Err(SessionError::MissingSetting {
                    profile: self.profile.clone(),
                    setting: "client_id",
                    advice:
                        "IoT Hub through Entra on a legacy profile needs your own public-client \
                             app registration with IoT Hub permission (the azsphere client cannot \
                             get IoT Hub tokens); or use a service principal or a connection string",
                });
            }
            // UNSURE: that a person's IoT Hub token on a legacy profile comes from the customer's
            // own tenant, as the legacy authority (Azure Sphere's tenant) knows nothing of the
            // customer's IoT Hub, and that Entra redeems the legacy sign-in's refresh token there
            // (the simulator refuses a refresh token at another tenant than the one that issued it).
            grant.tenant = self.tenant_id()?;
        }
        grant.scope = format!("{} offline_access", scopes::IOTHUB);
        Ok(grant)
    }

    /// The Entra tenant, or a clear "set tenant_id".
    fn tenant_id(&self) -> Result<String, SessionError> {
        self.tenant_id
            .clone()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| SessionError::MissingSetting {
                profile: self.profile.clone(),
                setting: "tenant_id",
                advice:
                    "sign-in needs the Microsoft Entra tenant (directory) id of your organisation",
            })
    }

    fn service_principal(
        &self,
        client_id: &str,
        secret: &Sensitive<String>,
        scope: &str,
    ) -> Result<ServicePrincipal, SessionError> {
        let tenant = self.tenant_id()?;
        Ok(ServicePrincipal {
            tenant,
            client_id: client_id.to_owned(),
            client_secret: secret.clone(),
            scope: scope.to_owned(),
        })
    }

    fn plane_sp_scope(&self) -> &'static str {
        match self.plane {
            PlaneKind::Legacy => scopes::LEGACY_SERVICE_PRINCIPAL,
            PlaneKind::Arm => scopes::ARM_SERVICE_PRINCIPAL,
        }
    }
}

/// Secrets handed in from outside the keychain (the CLI reads them from environment variables).
/// Each one set here wins over the keychain.
#[derive(Debug, Default, Clone)]
pub struct SecretOverrides {
    /// The service principal's client secret.
    pub client_secret: Option<Sensitive<String>>,
    /// A refresh token of a person's sign-in.
    pub refresh_token: Option<Sensitive<String>>,
    /// The IoT Hub shared access policy connection string.
    pub iothub_connection_string: Option<Sensitive<String>>,
}

impl SecretOverrides {
    fn get(&self, kind: SecretKind) -> Option<&Sensitive<String>> {
        match kind {
            SecretKind::ClientSecret => self.client_secret.as_ref(),
            SecretKind::RefreshToken => self.refresh_token.as_ref(),
            SecretKind::IotHubConnectionString => self.iothub_connection_string.as_ref(),
        }
    }
}

/// Where a session's secrets come from.
pub struct SecretSources<'a> {
    /// The keychain (or a memory store).
    pub store: &'a dyn SecretStore,
    /// Values that win over the store.
    pub overrides: SecretOverrides,
}

impl SecretSources<'_> {
    /// The secret of `kind` for `profile`: the override, else the store.
    pub fn lookup(
        &self,
        profile: &str,
        kind: SecretKind,
    ) -> Result<Option<Sensitive<String>>, SecretError> {
        match self.overrides.get(kind) {
            Some(value) if !value.is_empty() => Ok(Some(value.clone())),
            _ => self.store.retrieve(&SecretKey::new(profile, kind)),
        }
    }
}

/// How the session signed in to the control plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInKind {
    /// A person, through the refresh token of a device-code sign-in.
    User,
    /// A service principal with a client secret.
    ServicePrincipal,
}

/// Who is signed in, for `whoami` and the profile screen. Holds no token.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Identity {
    /// The profile.
    pub profile: String,
    /// The control plane.
    pub plane: PlaneKind,
    /// Person or service principal.
    pub sign_in: SignInKind,
    /// UPN, name or app id from the token.
    pub account: Option<String>,
    /// The Entra tenant that issued the token.
    pub tenant: Option<String>,
    /// Legacy: the Azure Sphere tenant; ARM: the catalog.
    pub scope: String,
    /// Legacy: the account's roles in the Azure Sphere tenant (empty on ARM, where Azure RBAC
    /// applies).
    pub roles: Vec<String>,
}

/// A signed-in set of clients for one profile.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    plane: ControlPlane,
    tokens: TokenCache,
    sign_in: SignInKind,
    iothub: IotHubAccess,
    scope: String,
    starting_refresh_token: Option<Sensitive<String>>,
    rotation: Rotation,
}

/// Where a rotated refresh token goes the moment it rotates (see [`Session::keep_rotations_in`]).
#[derive(Default)]
struct Rotation(std::sync::OnceLock<RotationHook>);

impl std::fmt::Debug for Rotation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "Rotation(kept)"
        } else {
            "Rotation(none)"
        })
    }
}

impl Session {
    /// Builds the clients of `config`, reading its secrets from `secrets`. Makes a network call
    /// only for a legacy profile without a Sphere tenant id (to find the account's only tenant).
    pub async fn open(
        config: SessionConfig,
        secrets: &SecretSources<'_>,
    ) -> Result<Session, SessionError> {
        let transport = Transport::new(config.transport.clone())?;
        let identity = IdentityClient::new(transport.clone(), &config.authority_host)?;

        let client_secret = match &config.service_principal_client_id {
            Some(_) => secrets.lookup(&config.profile, SecretKind::ClientSecret)?,
            None => None,
        };
        let (tokens, sign_in, starting_refresh_token) =
            match (&config.service_principal_client_id, &client_secret) {
                (Some(client_id), Some(secret)) => {
                    let principal =
                        config.service_principal(client_id, secret, config.plane_sp_scope())?;
                    (
                        TokenCache::for_service_principal(identity.clone(), principal),
                        SignInKind::ServicePrincipal,
                        None,
                    )
                }
                _ => {
                    let refresh = secrets
                        .lookup(&config.profile, SecretKind::RefreshToken)?
                        .ok_or_else(|| SessionError::NotSignedIn {
                            profile: config.profile.clone(),
                            service_principal: config.service_principal_client_id.is_some(),
                        })?;
                    (
                        TokenCache::for_user(
                            identity.clone(),
                            config.user_grant()?,
                            None,
                            Some(refresh.clone()),
                        ),
                        SignInKind::User,
                        Some(refresh),
                    )
                }
            };

        let credentials = Credentials::Bearer(tokens.clone());
        let (plane, scope) = match config.plane {
            PlaneKind::Legacy => {
                let tenant = match &config.sphere_tenant_id {
                    Some(tenant) => TenantId::new(tenant.clone()),
                    None => {
                        only_tenant(&transport, &config, credentials.clone(), &config.profile)
                            .await?
                    }
                };
                let scope = format!("Azure Sphere tenant {tenant}");
                let client = LegacyClient::new(
                    transport.clone(),
                    &config.api_base,
                    tenant,
                    credentials,
                    config.plane_settings.clone(),
                )?;
                (ControlPlane::Legacy(client), scope)
            }
            PlaneKind::Arm => {
                let catalog =
                    config
                        .catalog
                        .clone()
                        .ok_or_else(|| SessionError::MissingSetting {
                            profile: config.profile.clone(),
                            setting: "catalog",
                            advice:
                                "an ARM profile needs a subscription, resource group and catalog",
                        })?;
                let scope = format!("catalog {}", catalog.resource_id());
                let client = ArmClient::new(
                    transport.clone(),
                    &config.api_base,
                    catalog,
                    credentials,
                    config.plane_settings.clone(),
                )?;
                (ControlPlane::Arm(client), scope)
            }
        };

        let iothub = build_iothub(
            &config,
            secrets,
            &transport,
            &identity,
            sign_in,
            &client_secret,
        )?;
        Ok(Session {
            config,
            plane,
            tokens,
            sign_in,
            iothub,
            scope,
            starting_refresh_token,
            rotation: Rotation::default(),
        })
    }

    /// The control plane.
    pub fn plane(&self) -> &ControlPlane {
        &self.plane
    }

    /// The resolved settings.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// The gateway firmware's command names.
    pub fn device_contract(&self) -> &DeviceContract {
        &self.config.device_contract
    }

    /// The IoT Hub client, or why the profile has none.
    pub async fn iothub(&self) -> Result<&IotHubClient, SessionError> {
        match &self.iothub {
            IotHubAccess::Ready(client) => Ok(client),
            IotHubAccess::Missing(reason) => Err(SessionError::NoIotHub {
                profile: self.config.profile.clone(),
                reason: reason.clone(),
            }),
            IotHubAccess::Person(lazy) => {
                let (client, _) = lazy
                    .built
                    .get_or_try_init(|| async {
                        // The control plane renews first, so its access token outlives this
                        // session, and IoT Hub starts from the newest refresh token: the identity
                        // platform may revoke a refresh token once it has been used.
                        self.tokens.token().await?;
                        let refresh = self.tokens.refresh_token().await;
                        let tokens = TokenCache::for_user(
                            lazy.identity.clone(),
                            lazy.grant.clone(),
                            None,
                            refresh,
                        );
                        if let Some(hook) = self.rotation.0.get() {
                            tokens.on_rotation(hook.clone());
                        }
                        let client = IotHubClient::with_token(
                            lazy.transport.clone(),
                            &lazy.base,
                            tokens.clone(),
                        )?;
                        Ok::<_, SessionError>((client, tokens))
                    })
                    .await?;
                Ok(client)
            }
        }
    }

    /// Who is signed in (fetches a token if none is held yet; the legacy plane also reads roles).
    pub async fn whoami(&self) -> Result<Identity, SessionError> {
        self.tokens.token().await?;
        let claims: TokenClaims = self.tokens.claims().await.unwrap_or_default();
        let roles = match &self.plane {
            ControlPlane::Legacy(client) => {
                let mine = client.tenant().clone();
                client
                    .tenants()
                    .await?
                    .into_iter()
                    .find(|t| t.id.as_str().eq_ignore_ascii_case(mine.as_str()))
                    .map(|t| t.roles)
                    .unwrap_or_default()
            }
            ControlPlane::Arm(_) => Vec::new(),
        };
        Ok(Identity {
            profile: self.config.profile.clone(),
            plane: self.config.plane,
            sign_in: self.sign_in,
            account: claims.display_name().map(str::to_owned),
            tenant: claims.tid.clone(),
            scope: self.scope.clone(),
            roles,
        })
    }

    /// Writes every refresh token the identity platform rotates during this session to `store`
    /// the moment it rotates (the old one may stop working once used, and a crash or a killed
    /// process must not leave a spent one in the keychain). A service principal has none.
    pub fn keep_rotations_in(&self, store: std::sync::Arc<dyn SecretStore>) {
        if self.sign_in != SignInKind::User {
            return;
        }
        let key = SecretKey::new(&self.config.profile, SecretKind::RefreshToken);
        let hook: RotationHook = std::sync::Arc::new(move |renewed: &Sensitive<String>| {
            if let Err(error) = store.persist(&key, renewed) {
                tracing::warn!(%error, "the renewed sign-in could not be kept");
            }
        });
        if self.rotation.0.set(hook.clone()).is_ok() {
            self.tokens.on_rotation(hook);
        }
    }

    /// Stores the refresh token in `store` if the identity platform rotated it during this
    /// session, so the next run starts from a valid one.
    pub async fn keep_rotated_refresh_token(
        &self,
        store: &dyn SecretStore,
    ) -> Result<(), SessionError> {
        if self.sign_in != SignInKind::User {
            return Ok(());
        }
        // IoT Hub's cache, when it was built, started from the control plane's newest token and
        // so holds the newest of the two.
        let newest = match &self.iothub {
            IotHubAccess::Person(lazy) => match lazy.built.get() {
                Some((_, tokens)) => tokens.refresh_token().await,
                None => self.tokens.refresh_token().await,
            },
            _ => self.tokens.refresh_token().await,
        };
        if let Some(current) = newest {
            if Some(&current) != self.starting_refresh_token.as_ref() {
                store.persist(
                    &SecretKey::new(&self.config.profile, SecretKind::RefreshToken),
                    &current,
                )?;
            }
        }
        Ok(())
    }

    /// Finds a device group named by id, by `product/group`, or by a group name that is unique.
    pub async fn find_group(&self, spec: &str) -> Result<DeviceGroup, SessionError> {
        let groups = self.plane.device_groups().await?;
        let products = if groups.iter().any(|g| g.product_name.is_none()) {
            self.plane.products().await?
        } else {
            Vec::new()
        };
        resolve_group(spec, groups, &products)
    }
}

/// The label a person would use for a group: `product/group`.
pub fn group_label(group: &DeviceGroup, products: &[Product]) -> String {
    let product = group
        .product_name
        .clone()
        .or_else(|| {
            products
                .iter()
                .find(|p| p.id == group.product)
                .map(|p| p.name.clone())
        })
        .unwrap_or_else(|| group.product.to_string());
    format!("{product}/{}", group.name)
}

/// Picks the group `spec` names among `groups` (pure, so it is tested without a server).
pub fn resolve_group(
    spec: &str,
    groups: Vec<DeviceGroup>,
    products: &[Product],
) -> Result<DeviceGroup, SessionError> {
    let spec = spec.trim();
    let labels: Vec<String> = groups.iter().map(|g| group_label(g, products)).collect();
    if let Some(i) = groups
        .iter()
        .position(|g| g.id.as_str().eq_ignore_ascii_case(spec))
    {
        let mut groups = groups;
        return Ok(groups.swap_remove(i));
    }
    let by_label: Vec<usize> = labels
        .iter()
        .enumerate()
        .filter(|(_, label)| label.eq_ignore_ascii_case(spec))
        .map(|(i, _)| i)
        .collect();
    let by_name: Vec<usize> = groups
        .iter()
        .enumerate()
        .filter(|(_, g)| g.name.eq_ignore_ascii_case(spec))
        .map(|(i, _)| i)
        .collect();
    let hits = if by_label.is_empty() {
        by_name
    } else {
        by_label
    };
    match hits.as_slice() {
        [one] => {
            let mut groups = groups;
            Ok(groups.swap_remove(*one))
        }
        [] => Err(SessionError::GroupNotFound {
            spec: spec.to_owned(),
            known: labels,
        }),
        many => Err(SessionError::AmbiguousGroup {
            spec: spec.to_owned(),
            candidates: many.iter().map(|&i| labels[i].clone()).collect(),
        }),
    }
}

/// The Azure Sphere tenant of an account that sees exactly one.
// UNSURE: that `GET /v2/tenants` answers a service principal too (it is documented for users);
// a profile can always name `sphere_tenant_id` and skip this call.
async fn only_tenant(
    transport: &Transport,
    config: &SessionConfig,
    credentials: Credentials,
    profile: &str,
) -> Result<TenantId, SessionError> {
    let probe = LegacyClient::new(
        transport.clone(),
        &config.api_base,
        TenantId::new(""),
        credentials,
        config.plane_settings.clone(),
    )?;
    let tenants = probe.tenants().await?;
    match tenants.as_slice() {
        [one] => Ok(one.id.clone()),
        _ => Err(SessionError::ChooseTenant {
            profile: profile.to_owned(),
            found: tenants
                .iter()
                .map(|t| format!("{} ({})", t.id, t.name))
                .collect(),
        }),
    }
}

/// How a session reaches IoT Hub.
#[derive(Debug)]
enum IotHubAccess {
    /// A client ready to use (connection string, or a service principal's Entra token).
    Ready(Box<IotHubClient>),
    /// Why the profile cannot reach IoT Hub, kept until a command needs it, so commands that never
    /// touch IoT Hub work without it.
    Missing(String),
    /// A person's Entra token, made on first use (see [`Session::iothub`]).
    Person(Box<PersonIotHub>),
}

#[derive(Debug)]
struct PersonIotHub {
    transport: Transport,
    identity: IdentityClient,
    base: String,
    grant: UserGrant,
    built: tokio::sync::OnceCell<(IotHubClient, TokenCache)>,
}

/// Decides how the profile reaches IoT Hub.
fn build_iothub(
    config: &SessionConfig,
    secrets: &SecretSources<'_>,
    transport: &Transport,
    identity: &IdentityClient,
    sign_in: SignInKind,
    client_secret: &Option<Sensitive<String>>,
) -> Result<IotHubAccess, SessionError> {
    let Some(hub) = &config.iothub else {
        return Ok(IotHubAccess::Missing(
            "the profile names no IoT Hub (set iothub.host)".to_owned(),
        ));
    };
    let base = hub.api_base();
    match hub.auth {
        IotHubAuth::ConnectionString => {
            let text = match secrets.lookup(&config.profile, SecretKind::IotHubConnectionString) {
                Ok(Some(text)) => text,
                Ok(None) => {
                    return Ok(IotHubAccess::Missing(
                        "no IoT Hub connection string is stored: run `asg-fota-cli login \
                         --iothub-connection-string` or set ASG_FOTA_IOTHUB_CONNECTION_STRING"
                            .to_owned(),
                    ))
                }
                Err(err) => return Ok(IotHubAccess::Missing(err.to_string())),
            };
            let conn = ConnectionString::parse(&text)?;
            // A connection string for another hub than the profile's is a reason to refuse IoT Hub
            // (its SAS would go to the wrong host), not the whole session.
            match IotHubClient::with_sas(transport.clone(), &base, &conn) {
                Ok(client) => Ok(IotHubAccess::Ready(Box::new(client))),
                Err(err) => Ok(IotHubAccess::Missing(err.to_string())),
            }
        }
        IotHubAuth::Entra => match (sign_in, &config.service_principal_client_id, client_secret) {
            (SignInKind::ServicePrincipal, Some(client_id), Some(secret)) => {
                let tokens = TokenCache::for_service_principal(
                    identity.clone(),
                    config.service_principal(client_id, secret, scopes::IOTHUB)?,
                );
                Ok(IotHubAccess::Ready(Box::new(IotHubClient::with_token(
                    transport.clone(),
                    &base,
                    tokens,
                )?)))
            }
            _ => match config.iothub_user_grant() {
                Ok(grant) => Ok(IotHubAccess::Person(Box::new(PersonIotHub {
                    transport: transport.clone(),
                    identity: identity.clone(),
                    base,
                    grant,
                    built: tokio::sync::OnceCell::new(),
                }))),
                // Only IoT Hub needs it: the control plane keeps working.
                Err(err) => Ok(IotHubAccess::Missing(err.to_string())),
            },
        },
    }
}

/// Starts a person's device-code sign-in for a profile: show the prompt, then call
/// [`finish_device_code_sign_in`].
pub async fn start_device_code_sign_in(
    config: &SessionConfig,
) -> Result<(IdentityClient, DeviceCodePrompt), SessionError> {
    let transport = Transport::new(config.transport.clone())?;
    let identity = IdentityClient::new(transport, &config.authority_host)?;
    let prompt = identity.start_device_code(&config.user_grant()?).await?;
    Ok((identity, prompt))
}

/// Waits for the person to approve the code (or `cancel`), then stores the refresh token.
pub async fn finish_device_code_sign_in(
    config: &SessionConfig,
    identity: &IdentityClient,
    prompt: &DeviceCodePrompt,
    cancel: &CancellationToken,
    store: &dyn SecretStore,
) -> Result<(), SessionError> {
    let set = identity.finish_device_code(prompt, cancel).await?;
    let refresh = set
        .refresh_token
        .ok_or_else(|| SessionError::NoRefreshToken {
            profile: config.profile.clone(),
        })?;
    store.persist(
        &SecretKey::new(&config.profile, SecretKind::RefreshToken),
        &refresh,
    )?;
    Ok(())
}

/// Saving `new` over `old` (the same profile name): when the authority, control-plane or IoT Hub
/// endpoints changed, the stored secrets are deleted, so they are never sent to the new hosts
/// before the person confirms them again. Answers whether they were.
pub fn forget_secrets_if_endpoints_changed(
    profile: &str,
    old: Option<&Profile>,
    new: &Profile,
    store: &dyn SecretStore,
) -> Result<bool, SecretError> {
    match old {
        Some(old) if old.endpoints_changed(new) => {
            forget_profile_secrets(profile, store)?;
            tracing::info!(
                profile,
                "the profile's endpoints changed: its stored secrets were removed"
            );
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Removes every secret of a profile from the store.
pub fn forget_profile_secrets(profile: &str, store: &dyn SecretStore) -> Result<(), SecretError> {
    for kind in SecretKind::ALL {
        store.delete(&SecretKey::new(profile, kind))?;
    }
    Ok(())
}

/// How long a device-code prompt is shown before it expires, for callers that print it.
pub fn prompt_lifetime(prompt: &DeviceCodePrompt) -> Duration {
    prompt.expires_in
}

/// What can go wrong building or using a session.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The profile is broken.
    #[error(transparent)]
    Profile(#[from] crate::profiles::ProfileError),
    /// The keychain failed.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// A cloud call failed.
    #[error(transparent)]
    Cloud(#[from] CloudError),
    /// No sign-in is stored for the profile.
    #[error(
        "profile `{profile}` is not signed in: {}",
        if *service_principal {
            "store the service principal's secret with `asg-fota-cli login --service-principal` \
             or set ASG_FOTA_CLIENT_SECRET"
        } else {
            "run `asg-fota-cli login`, or set ASG_FOTA_REFRESH_TOKEN in a pipeline"
        }
    )]
    NotSignedIn {
        /// The profile.
        profile: String,
        /// Whether the profile names a service principal (changes the advice).
        service_principal: bool,
    },
    /// A setting the chosen sign-in or plane needs is missing.
    #[error("profile `{profile}` has no `{setting}`: {advice}")]
    MissingSetting {
        /// The profile.
        profile: String,
        /// The setting.
        setting: &'static str,
        /// What it is for.
        advice: &'static str,
    },
    /// The account sees several (or no) Azure Sphere tenants and the profile names none.
    #[error(
        "profile `{profile}` names no Azure Sphere tenant and the account sees {}: set \
         `sphere_tenant_id` to one of them",
        if found.is_empty() { "none".to_owned() } else { found.join(", ") }
    )]
    ChooseTenant {
        /// The profile.
        profile: String,
        /// The tenants seen.
        found: Vec<String>,
    },
    /// The profile cannot reach IoT Hub.
    #[error("profile `{profile}` cannot reach IoT Hub: {reason}")]
    NoIotHub {
        /// The profile.
        profile: String,
        /// Why.
        reason: String,
    },
    /// The Demo tenant needs the simulator started by the caller.
    #[error(
        "profile `{profile}` is the Demo tenant: start the simulator and use SessionConfig::demo"
    )]
    DemoNeedsSimulator {
        /// The profile.
        profile: String,
    },
    /// Sign-in worked but gave no refresh token, so it cannot be kept.
    #[error("the sign-in for profile `{profile}` returned no refresh token, so it cannot be kept")]
    NoRefreshToken {
        /// The profile.
        profile: String,
    },
    /// No group matches.
    #[error("no device group matches `{spec}`; groups: {}", known.join(", "))]
    GroupNotFound {
        /// What was asked for.
        spec: String,
        /// `product/group` of every group.
        known: Vec<String>,
    },
    /// Several groups match.
    #[error("`{spec}` matches several device groups ({}): name it as product/group or by id", candidates.join(", "))]
    AmbiguousGroup {
        /// What was asked for.
        spec: String,
        /// The matches.
        candidates: Vec<String>,
    },
}

impl SessionError {
    /// A stable snake_case code for the UI and `--json` output.
    pub fn kind(&self) -> &'static str {
        match self {
            SessionError::Profile(crate::profiles::ProfileError::Damaged { .. }) => {
                "config_damaged"
            }
            SessionError::Profile(_) => "profile",
            SessionError::Secret(SecretError::Unavailable { .. }) => "keychain_unavailable",
            SessionError::Secret(_) => "keychain",
            SessionError::Cloud(err) => err.kind(),
            SessionError::NotSignedIn { .. } => "not_signed_in",
            SessionError::MissingSetting { .. } => "missing_setting",
            SessionError::ChooseTenant { .. } => "choose_tenant",
            SessionError::NoIotHub { .. } => "no_iothub",
            SessionError::DemoNeedsSimulator { .. } => "demo_needs_simulator",
            SessionError::NoRefreshToken { .. } => "no_refresh_token",
            SessionError::GroupNotFound { .. } => "group_not_found",
            SessionError::AmbiguousGroup { .. } => "ambiguous_group",
        }
    }

    /// Non-secret values a front end may show beside the message: the profile, the setting it
    /// lacks, the tenants an account sees (ids and names), the wait the service asked for.
    pub fn params(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut params = serde_json::Map::new();
        match self {
            SessionError::NotSignedIn { profile, .. }
            | SessionError::NoIotHub { profile, .. }
            | SessionError::DemoNeedsSimulator { profile } => {
                params.insert("profile".into(), profile.clone().into());
            }
            SessionError::MissingSetting {
                profile, setting, ..
            } => {
                params.insert("profile".into(), profile.clone().into());
                params.insert("setting".into(), (*setting).into());
            }
            SessionError::ChooseTenant { profile, found } => {
                params.insert("profile".into(), profile.clone().into());
                if !found.is_empty() {
                    params.insert("tenants".into(), found.join(", ").into());
                }
            }
            SessionError::Cloud(e) => return crate::tenant::cloud_params(e),
            SessionError::Profile(e) => return e.params(),
            _ => {}
        }
        params
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::model::{DeviceGroupId, ProductId};
    use crate::secrets::MemoryStore;

    fn blank_group() -> DeviceGroup {
        DeviceGroup {
            id: DeviceGroupId::new(""),
            name: String::new(),
            product: ProductId::new(""),
            product_name: None,
            description: None,
            os_feed: None,
            update_policy: None,
            current_deployment: None,
            has_deployment: None,
        }
    }

    fn group(id: &str, product: &str, product_name: Option<&str>, name: &str) -> DeviceGroup {
        DeviceGroup {
            id: DeviceGroupId::new(id),
            name: name.into(),
            product: ProductId::new(product),
            product_name: product_name.map(str::to_owned),
            ..blank_group()
        }
    }

    fn fleet() -> (Vec<DeviceGroup>, Vec<Product>) {
        let groups = vec![
            group("g-1", "p-1", None, "Field Test"),
            group("g-2", "p-1", None, "Production"),
            group("g-3", "p-2", Some("ASG210-B"), "Production"),
        ];
        let products = vec![Product {
            id: ProductId::new("p-1"),
            name: "ASG210".into(),
            description: None,
        }];
        (groups, products)
    }

    #[test]
    fn groups_are_found_by_id_label_or_unique_name() {
        let cases = [
            ("g-2", "g-2"),
            ("G-3", "g-3"),
            ("ASG210/Production", "g-2"),
            ("asg210-b/production", "g-3"),
            ("field test", "g-1"),
        ];
        for (spec, id) in cases {
            let (groups, products) = fleet();
            let found = resolve_group(spec, groups, &products).unwrap();
            assert_eq!(found.id.as_str(), id, "{spec}");
        }
    }

    #[test]
    fn bad_group_names_fail_by_kind() {
        let cases = [
            ("Production", "ambiguous_group"),
            ("nope", "group_not_found"),
            ("ASG210/Nope", "group_not_found"),
            ("", "group_not_found"),
        ];
        for (spec, kind) in cases {
            let (groups, products) = fleet();
            let err = resolve_group(spec, groups, &products).unwrap_err();
            assert_eq!(err.kind(), kind, "{spec}");
        }
    }

    fn arm_profile() -> Profile {
        Profile {
            tenant_id: Some("t-1".into()),
            subscription_id: Some("s".into()),
            resource_group: Some("rg".into()),
            catalog: Some("c".into()),
            ..Profile::new(Backend::Arm)
        }
    }

    #[tokio::test]
    async fn a_profile_without_any_sign_in_says_how_to_sign_in() {
        let store = MemoryStore::new();
        let sources = SecretSources {
            store: &store,
            overrides: SecretOverrides::default(),
        };
        let config = SessionConfig::from_profile("p", &arm_profile()).unwrap();
        let err = Session::open(config, &sources).await.unwrap_err();
        assert_eq!(err.kind(), "not_signed_in");
        assert!(err.to_string().contains("asg-fota-cli login"));
    }

    #[tokio::test]
    async fn overrides_win_over_the_store_and_no_network_is_needed_to_open() {
        let store = MemoryStore::new();
        store
            .persist(
                &SecretKey::new("p", SecretKind::ClientSecret),
                &Sensitive::from("from-store"),
            )
            .unwrap();
        let mut profile = arm_profile();
        profile.service_principal_client_id = Some("sp".into());
        let sources = SecretSources {
            store: &store,
            overrides: SecretOverrides {
                client_secret: Some(Sensitive::from("from-env")),
                ..Default::default()
            },
        };
        assert_eq!(
            sources
                .lookup("p", SecretKind::ClientSecret)
                .unwrap()
                .unwrap()
                .expose(),
            "from-env"
        );
        let config = SessionConfig::from_profile("p", &profile).unwrap();
        let session = Session::open(config, &sources).await.unwrap();
        assert!(matches!(session.plane(), ControlPlane::Arm(_)));
        assert_eq!(session.iothub().await.unwrap_err().kind(), "no_iothub");
        assert!(!format!("{session:?}").contains("from-env"));
    }

    #[test]
    fn demo_profiles_need_the_simulator_and_arm_user_sign_in_needs_a_client_id() {
        let err = SessionConfig::from_profile("Demo tenant", &Profile::demo()).unwrap_err();
        assert_eq!(err.kind(), "demo_needs_simulator");
        let config = SessionConfig::from_profile("p", &arm_profile()).unwrap();
        assert_eq!(config.user_grant().unwrap_err().kind(), "missing_setting");
        let no_tenant = Profile {
            tenant_id: None,
            client_id: Some("c".into()),
            ..arm_profile()
        };
        let config = SessionConfig::from_profile("p", &no_tenant).unwrap();
        let err = config.user_grant().unwrap_err();
        assert!(err.to_string().contains("tenant_id"), "{err}");
        let legacy = SessionConfig::from_profile("l", &Profile::new(Backend::Legacy)).unwrap();
        let grant = legacy.user_grant().unwrap();
        assert_eq!(grant.client_id, LEGACY_PUBLIC_CLIENT_ID);
        assert_eq!(grant.tenant, LEGACY_AUTHORITY_TENANT);
    }
}
