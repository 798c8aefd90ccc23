//! The legacy Azure Sphere public API client (`https://prod.core.sphere.azure.net`, `/v2/...`).
//!
//! Wire format: PascalCase JSON written by .NET, with keys read case-insensitively (the service
//! spells `OsFeedType` and `OSFeedType` on different calls), integer enums, pages
//! `{"Items", "ContinuationToken"}` continued with the `Sphere-Continuation` header, errors as a JSON
//! array, and asynchronous calls answering an Operation polled at `/operations/{id}`.

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::error::{CloudError, Service, ServiceFault};
use super::model::*;
use super::plane::{
    move_into_group, poll_until, replace_deployment, ImageSource, PlaneSettings, Probe,
};
use super::transport::{decode_json, Credentials, Request, RequestBody, Response, Transport};

/// The legacy API of Azure's public cloud.
pub const PUBLIC_BASE_URL: &str = "https://prod.core.sphere.azure.net";

/// The legacy client, bound to one tenant.
#[derive(Debug, Clone)]
pub struct LegacyClient {
    transport: Transport,
    base: url::Url,
    tenant: TenantId,
    credentials: Credentials,
    settings: PlaneSettings,
}

/// Decodes a legacy answer: keys are lower-cased first, so every struct below names its fields in
/// lower case and the service's casing never matters. The error path is reported in lower case.
fn decode<T: DeserializeOwned>(what: &str, body: &[u8]) -> Result<T, CloudError> {
    let value: serde_json::Value = decode_json(Service::Legacy, what, body)?;
    let value = lowercase_keys(value);
    serde_path_to_error::deserialize(value).map_err(|e| CloudError::Decode {
        service: Service::Legacy,
        what: what.to_owned(),
        path: e.path().to_string(),
        snippet: super::error::snippet(body),
        source: serde::de::Error::custom(e.into_inner().to_string()),
    })
}

fn lowercase_keys(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), lowercase_keys(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(lowercase_keys).collect()),
        other => other,
    }
}

#[derive(Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    items: Vec<T>,
    #[serde(default, rename = "continuationtoken")]
    continuation_token: Option<String>,
}

#[derive(Deserialize)]
struct WireTenant {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    roles: Vec<String>,
}

#[derive(Deserialize)]
struct WireProduct {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
struct WireDeployment {
    id: String,
    #[serde(default, rename = "deploymentdateutc")]
    deployment_date_utc: Option<String>,
    #[serde(default, rename = "deployedimages")]
    deployed_images: Vec<String>,
}

impl From<WireDeployment> for Deployment {
    fn from(w: WireDeployment) -> Self {
        Deployment {
            id: DeploymentId::new(w.id),
            deployed_at: parse_timestamp(w.deployment_date_utc.as_deref()),
            images: w.deployed_images.into_iter().map(ImageId::new).collect(),
        }
    }
}

#[derive(Deserialize)]
struct WireDeviceGroup {
    id: String,
    #[serde(rename = "productid")]
    product_id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, rename = "osfeedtype")]
    os_feed_type: Option<i64>,
    #[serde(default, rename = "updatepolicy")]
    update_policy: Option<i64>,
    #[serde(default, rename = "currentdeployment")]
    current_deployment: Option<WireDeployment>,
}

impl From<WireDeviceGroup> for DeviceGroup {
    fn from(w: WireDeviceGroup) -> Self {
        let current = w.current_deployment.map(Deployment::from);
        DeviceGroup {
            id: DeviceGroupId::new(w.id),
            name: w.name.unwrap_or_default(),
            product: ProductId::new(w.product_id),
            product_name: None,
            description: w.description,
            os_feed: w.os_feed_type.map(OsFeed::from_legacy),
            update_policy: w.update_policy.map(UpdatePolicy::from_legacy),
            has_deployment: Some(current.is_some()),
            current_deployment: current,
        }
    }
}

#[derive(Deserialize)]
struct WireDevice {
    #[serde(rename = "deviceid")]
    device_id: DeviceId,
    #[serde(default, rename = "productid")]
    product_id: Option<String>,
    #[serde(default, rename = "devicegroupid")]
    device_group_id: Option<String>,
    #[serde(default, rename = "chipsku")]
    chip_sku: Option<serde_json::Value>,
    #[serde(default, rename = "lastavailableosversion")]
    last_available_os_version: Option<String>,
    #[serde(default, rename = "lastinstalledosversion")]
    last_installed_os_version: Option<String>,
    #[serde(default, rename = "lastosupdateutc")]
    last_os_update_utc: Option<String>,
    #[serde(default, rename = "lastupdaterequestutc")]
    last_update_request_utc: Option<String>,
}

impl From<WireDevice> for Device {
    fn from(w: WireDevice) -> Self {
        Device {
            id: w.device_id,
            product: w.product_id.map(ProductId::new),
            group: w.device_group_id.map(DeviceGroupId::new),
            chip_sku: w.chip_sku.map(|v| match v {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            }),
            last_available_os_version: w.last_available_os_version,
            last_installed_os_version: w.last_installed_os_version,
            last_os_update: parse_timestamp(w.last_os_update_utc.as_deref()),
            last_update_request: parse_timestamp(w.last_update_request_utc.as_deref()),
        }
    }
}

#[derive(Deserialize)]
struct WireImage {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "componentid")]
    component_id: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, rename = "type")]
    image_type: Option<i64>,
}

impl From<WireImage> for ImageInfo {
    fn from(w: WireImage) -> Self {
        ImageInfo {
            id: ImageId::new(w.id),
            component_id: w.component_id,
            name: w.name,
            description: w.description,
            image_type: w.image_type.map(legacy_image_type),
            // UNSURE: the legacy metadata has no processing state; an image whose metadata can be
            // read has finished processing.
            state: ImageState::Ready,
        }
    }
}

#[derive(Deserialize)]
struct WireOperationError {
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct WireOperation {
    #[serde(rename = "operationid")]
    operation_id: String,
    #[serde(default)]
    state: i64,
    #[serde(default, rename = "resourcelocation")]
    resource_location: Option<String>,
    #[serde(default)]
    error: Option<WireOperationError>,
}

impl From<WireOperation> for OperationStatus {
    fn from(w: WireOperation) -> Self {
        OperationStatus {
            id: OperationId::new(w.operation_id),
            state: OperationState::from_legacy(w.state),
            resource_location: w.resource_location,
            error: w.error.map(|e| ServiceFault {
                code: e.code.map(|c| match c {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                }),
                message: e.message.unwrap_or_default(),
                target: None,
            }),
        }
    }
}

#[derive(Deserialize)]
struct WireRoles {
    #[serde(default)]
    roles: Vec<WireTenantRoles>,
}

#[derive(Deserialize)]
struct WireTenantRoles {
    #[serde(default, rename = "tenantid")]
    tenant_id: Option<String>,
    #[serde(default, rename = "rolenames")]
    role_names: Vec<String>,
}

impl LegacyClient {
    /// `base`: [`PUBLIC_BASE_URL`] or the simulator's `/as3` URL; `tenant`: the Azure Sphere tenant id.
    pub fn new(
        transport: Transport,
        base: &str,
        tenant: TenantId,
        credentials: Credentials,
        settings: PlaneSettings,
    ) -> Result<Self, CloudError> {
        Ok(LegacyClient {
            transport,
            base: super::base_url(base)?,
            tenant,
            credentials,
            settings,
        })
    }

    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.transport
    }

    fn url(&self, tail: &[&str]) -> Result<url::Url, CloudError> {
        let mut segs = vec!["v2", "tenants", self.tenant.as_str()];
        segs.extend_from_slice(tail);
        super::join_segments(&self.base, &segs)
    }

    async fn get(&self, url: url::Url) -> Result<Response, CloudError> {
        self.transport
            .send(
                &Request::new(Service::Legacy, Method::GET, url),
                &self.credentials,
            )
            .await
    }

    /// One page; `continuation` is the previous page's token.
    async fn page<W: DeserializeOwned>(
        &self,
        mut url: url::Url,
        continuation: Option<&str>,
        what: &str,
    ) -> Result<(Vec<W>, Option<String>), CloudError> {
        if let Some(n) = self.settings.page_size {
            url.query_pairs_mut()
                .append_pair("maxPageSize", &n.to_string());
        }
        let mut request = Request::new(Service::Legacy, Method::GET, url);
        if let Some(token) = continuation {
            request = request.header("sphere-continuation", token)?;
        }
        let resp = self.transport.send(&request, &self.credentials).await?;
        let page: Page<W> = decode(what, &resp.body)?;
        Ok((
            page.items,
            page.continuation_token.filter(|t| !t.is_empty()),
        ))
    }

    async fn all<W: DeserializeOwned>(
        &self,
        url: url::Url,
        what: &str,
    ) -> Result<Vec<W>, CloudError> {
        let mut out = Vec::new();
        let mut guard = self.transport.page_guard(Service::Legacy, what);
        let mut token = None;
        loop {
            let (items, next) = self.page::<W>(url.clone(), token.as_deref(), what).await?;
            out.extend(items);
            match next {
                Some(t) => {
                    guard.follow(&t)?;
                    token = Some(t)
                }
                None => return Ok(out),
            }
        }
    }

    /// `GET /v2/tenants`: the tenants the account can see (a bare array, not paged).
    pub async fn tenants(&self) -> Result<Vec<TenantInfo>, CloudError> {
        let url = super::join_segments(&self.base, &["v2", "tenants"])?;
        let resp = self.get(url).await?;
        let items: Vec<WireTenant> = decode("the tenant list", &resp.body)?;
        Ok(items
            .into_iter()
            .map(|t| TenantInfo {
                id: TenantId::new(t.id),
                name: t.name.unwrap_or_default(),
                roles: t.roles,
            })
            .collect())
    }

    /// The signed-in account's roles in this tenant (`Administrator`, `Contributor`, `Reader`).
    /// `user`: the UPN or object id from the token's claims.
    pub async fn user_roles(&self, user: &str) -> Result<Vec<String>, CloudError> {
        // UNSURE: `{user}` is the account's UPN (email form); the object id may be needed instead.
        let resp = self.get(self.url(&["users", user, "role"])?).await?;
        let roles: WireRoles = decode("the role answer", &resp.body)?;
        Ok(roles
            .roles
            .into_iter()
            .filter(|r| {
                r.tenant_id
                    .as_deref()
                    .is_none_or(|t| t.eq_ignore_ascii_case(self.tenant.as_str()))
            })
            .flat_map(|r| r.role_names)
            .collect())
    }

    pub async fn products(&self) -> Result<Vec<Product>, CloudError> {
        let items: Vec<WireProduct> = self.all(self.url(&["products"])?, "a product page").await?;
        Ok(items
            .into_iter()
            .map(|p| Product {
                id: ProductId::new(p.id),
                name: p.name.unwrap_or_default(),
                description: p.description,
            })
            .collect())
    }

    pub async fn device_groups(&self) -> Result<Vec<DeviceGroup>, CloudError> {
        let items: Vec<WireDeviceGroup> = self
            .all(self.url(&["devicegroups"])?, "a device group page")
            .await?;
        Ok(items.into_iter().map(DeviceGroup::from).collect())
    }

    pub async fn device_group(&self, group: &DeviceGroupId) -> Result<DeviceGroup, CloudError> {
        let resp = self
            .get(self.url(&["devicegroups", group.as_str()])?)
            .await?;
        Ok(decode::<WireDeviceGroup>("the device group", &resp.body)?.into())
    }

    pub(crate) async fn device_page(
        &self,
        group: &DeviceGroupId,
        continuation: Option<&str>,
    ) -> Result<(Vec<Device>, Option<String>), CloudError> {
        let url = self.url(&["devicegroups", group.as_str(), "devices"])?;
        let (items, next) = self
            .page::<WireDevice>(url, continuation, "a device page")
            .await?;
        Ok((items.into_iter().map(Device::from).collect(), next))
    }

    pub async fn device(&self, device: &DeviceId) -> Result<Device, CloudError> {
        let resp = self.get(self.url(&["devices", device.as_str()])?).await?;
        Ok(decode::<WireDevice>("the device", &resp.body)?.into())
    }

    pub async fn images(&self) -> Result<Vec<ImageInfo>, CloudError> {
        let items: Vec<WireImage> = self.all(self.url(&["images"])?, "an image page").await?;
        Ok(items.into_iter().map(ImageInfo::from).collect())
    }

    pub async fn image(&self, image: &ImageId) -> Result<ImageInfo, CloudError> {
        let resp = self
            .get(self.url(&["images", image.as_str(), "metadata"])?)
            .await?;
        Ok(decode::<WireImage>("the image metadata", &resp.body)?.into())
    }

    /// The image if the service has it, `None` on 404.
    async fn image_if_present(&self, image: &ImageId) -> Result<Option<ImageInfo>, CloudError> {
        match self.image(image).await {
            Ok(i) => Ok(Some(i)),
            Err(CloudError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Waits until the image's metadata can be read (the service is still processing it).
    async fn wait_for_image(&self, image: &ImageId) -> Result<ImageInfo, CloudError> {
        poll_until("image processing", &self.settings, None, || async {
            Ok(match self.image_if_present(image).await? {
                Some(found) => Probe::Done(found),
                None => Probe::Again(None),
            })
        })
        .await
    }

    /// Uploads a package (raw bytes, `application/octet-stream`, streamed from disk) and waits for
    /// the service to process it. A retried upload first checks whether the image already exists.
    pub async fn upload_image(
        &self,
        source: &ImageSource,
        image: &ImageId,
    ) -> Result<ImageInfo, CloudError> {
        let url = self.url(&["images"])?;
        let body = match source {
            ImageSource::Path { path, len } => RequestBody::File {
                path: path.clone(),
                len: *len,
            },
            ImageSource::Bytes(bytes) => RequestBody::Octets(bytes.clone()),
        };
        let request = Request::new(Service::Legacy, Method::POST, url).body(body);
        self.transport
            .retry_mutation(
                "image upload",
                || async {
                    let resp = match self.transport.send(&request, &self.credentials).await {
                        Ok(resp) => resp,
                        // UNSURE: 409 to an upload means the tenant already holds this image id
                        // (an earlier attempt or an earlier run): that counts as uploaded.
                        Err(CloudError::Conflict { .. }) => {
                            return self.wait_for_image(image).await
                        }
                        Err(e) => return Err(e),
                    };
                    // UNSURE: the upload answers an Operation (docs say 200; 202 is accepted too).
                    let op: WireOperation = decode("the upload operation", &resp.body)?;
                    self.wait_operation(&OperationId::new(op.operation_id), "image upload")
                        .await?;
                    self.image(image).await
                },
                || self.image_if_present(image),
            )
            .await
    }

    /// Makes `images` the group's deployment (it replaces the current image set) and waits for it.
    pub async fn create_deployment(
        &self,
        group: &DeviceGroupId,
        images: &[ImageId],
    ) -> Result<Deployment, CloudError> {
        let ids: Vec<&str> = images.iter().map(ImageId::as_str).collect();
        let request = Request::new(
            Service::Legacy,
            Method::POST,
            self.url(&["devicegroups", group.as_str(), "deployments"])?,
        )
        .json(&ids)?;
        replace_deployment(
            &self.transport,
            &self.settings,
            images,
            || async {
                let resp = self.transport.send(&request, &self.credentials).await?;
                let op: WireOperation = decode("the deployment operation", &resp.body)?;
                self.wait_operation(&OperationId::new(op.operation_id), "deployment")
                    .await?;
                Ok(())
            },
            || self.current_deployment(group),
            || self.deployments(group),
        )
        .await
    }

    pub async fn deployments(&self, group: &DeviceGroupId) -> Result<Vec<Deployment>, CloudError> {
        let url = self.url(&["devicegroups", group.as_str(), "deployments"])?;
        let items: Vec<WireDeployment> = self.all(url, "a deployment page").await?;
        Ok(items.into_iter().map(Deployment::from).collect())
    }

    pub async fn current_deployment(
        &self,
        group: &DeviceGroupId,
    ) -> Result<Option<Deployment>, CloudError> {
        Ok(self.device_group(group).await?.current_deployment)
    }

    /// Moves a device into `target` (`PUT .../devices/{id}/devicegroup` with a bare JSON string)
    /// and waits for the operation.
    pub async fn move_device(
        &self,
        device: &DeviceId,
        target: &DeviceGroupId,
    ) -> Result<(), CloudError> {
        let request = Request::new(
            Service::Legacy,
            Method::PUT,
            self.url(&["devices", device.as_str(), "devicegroup"])?,
        )
        .json(target.as_str())?;
        move_into_group(
            &self.transport,
            target,
            || async {
                let resp = self.transport.send(&request, &self.credentials).await?;
                if !resp.body.is_empty() {
                    let op: WireOperation = decode("the move operation", &resp.body)?;
                    self.wait_operation(&OperationId::new(op.operation_id), "device move")
                        .await?;
                }
                Ok(())
            },
            || self.device(device),
        )
        .await
    }

    pub async fn operation(&self, id: &OperationId) -> Result<OperationStatus, CloudError> {
        let resp = self.get(self.url(&["operations", id.as_str()])?).await?;
        Ok(decode::<WireOperation>("the operation", &resp.body)?.into())
    }

    /// Polls an operation until it ends (states 2, 3, 4), honouring `Retry-After` and the
    /// settings' deadline. Failed and CompleteWithErrors are errors.
    pub async fn wait_operation(
        &self,
        id: &OperationId,
        what: &str,
    ) -> Result<OperationStatus, CloudError> {
        poll_until(what, &self.settings, None, || async {
            let resp = self.get(self.url(&["operations", id.as_str()])?).await?;
            let status: OperationStatus =
                decode::<WireOperation>("the operation", &resp.body)?.into();
            match status.state {
                OperationState::Succeeded => Ok(Probe::Done(status)),
                OperationState::NotStarted | OperationState::InProgress => {
                    Ok(Probe::Again(resp.retry_after()))
                }
                _ => Err(CloudError::OperationFailed {
                    operation: what.to_owned(),
                    fault: status.error.unwrap_or_else(|| ServiceFault {
                        code: None,
                        message: format!("ended in state {:?}", status.state),
                        target: None,
                    }),
                }),
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_read_case_insensitively() {
        let a: WireDeviceGroup = decode(
            "g",
            br#"{"Id":"g1","ProductId":"p","OSFeedType":1,"UpdatePolicy":0}"#,
        )
        .unwrap();
        let b: WireDeviceGroup = decode(
            "g",
            br#"{"id":"g1","productId":"p","OsFeedType":1,"updatePolicy":0}"#,
        )
        .unwrap();
        assert_eq!(DeviceGroup::from(a), DeviceGroup::from(b));
    }

    #[test]
    fn decode_errors_name_the_path() {
        let Err(e) =
            decode::<Page<WireDevice>>("a device page", br#"{"Items":[{"DeviceId":"abc"}]}"#)
        else {
            panic!("a short device id must not decode");
        };
        match &e {
            CloudError::Decode { path, .. } => assert_eq!(path, "items[0].deviceid"),
            other => panic!("{other:?}"),
        }
        assert_eq!(e.kind(), "decode");
        let Err(e) = decode::<Page<WireDevice>>("a device page", b"{not json") else {
            panic!("broken JSON must not decode");
        };
        assert_eq!(e.kind(), "decode");
    }

    #[test]
    fn operations_map_states_and_errors() {
        let op: OperationStatus = decode::<WireOperation>(
            "op",
            br#"{"OperationId":"o","State":3,"Error":{"Code":7,"Message":"conflict"}}"#,
        )
        .unwrap()
        .into();
        assert_eq!(op.state, OperationState::Failed);
        assert_eq!(op.error.unwrap().code.as_deref(), Some("7"));
    }
}
