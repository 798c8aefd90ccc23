//! The Azure Resource Manager client for `Microsoft.AzureSphere` (api-version 2024-04-01).
//!
//! Wire format: camelCase resources `{id, name, type, properties: {...}}`, pages
//! `{"value", "nextLink"}`, errors `{"error": {code, message, target, details}}`, long-running
//! operations announced by `Azure-AsyncOperation` (polled for `status`) or `Location` (202 while
//! running). Groups, products and images are addressed by their full ARM resource ids, which is what
//! the domain ids hold on this plane.

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::error::{ArmErrorBody, CloudError, Service, ServiceFault};
use super::model::*;
use super::plane::{
    move_into_group, poll_until, replace_deployment, ImageSource, PlaneSettings, Probe,
};
use super::transport::{Credentials, Request, RequestBody, Response, Transport};

/// Azure Resource Manager of Azure's public cloud.
pub const PUBLIC_BASE_URL: &str = "https://management.azure.com";
pub const API_VERSION: &str = "2024-04-01";
/// The name of a device group's current deployment.
// UNSURE: a deployment is created and read as `deployments/.default` (the API doc's reading of
// "`.default` = the current one"); the spec would also accept any other name.
pub const CURRENT_DEPLOYMENT: &str = ".default";

/// Which catalog a client works on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogRef {
    pub subscription: String,
    pub resource_group: String,
    pub catalog: String,
}

impl CatalogRef {
    /// `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.AzureSphere/catalogs/{c}`.
    pub fn resource_id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.AzureSphere/catalogs/{}",
            self.subscription, self.resource_group, self.catalog
        )
    }
}

#[derive(Deserialize)]
struct Resource<P> {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default = "Option::default")]
    properties: Option<P>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page<T> {
    value: Vec<T>,
    #[serde(default)]
    next_link: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ProductProps {
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct GroupProps {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    os_feed_type: Option<String>,
    #[serde(default)]
    update_policy: Option<String>,
    #[serde(default)]
    has_deployment: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct DeviceProps {
    #[serde(default)]
    device_id: Option<String>,
    #[serde(default)]
    chip_sku: Option<String>,
    #[serde(default)]
    last_available_os_version: Option<String>,
    #[serde(default)]
    last_installed_os_version: Option<String>,
    #[serde(default)]
    last_os_update_utc: Option<String>,
    #[serde(default)]
    last_update_request_utc: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ImageProps {
    #[serde(default)]
    image_id: Option<String>,
    #[serde(default)]
    image_name: Option<String>,
    /// The base64 package on create; on reads the image's URI, or (in the spec's examples) its
    /// name when `imageName` is empty.
    #[serde(default)]
    image: Option<String>,
    #[serde(default)]
    component_id: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    image_type: Option<String>,
    #[serde(default)]
    provisioning_state: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct DeploymentProps {
    #[serde(default)]
    deployment_id: Option<String>,
    #[serde(default)]
    deployed_images: Vec<Resource<ImageProps>>,
    #[serde(default)]
    deployment_date_utc: Option<String>,
}

#[derive(Deserialize)]
struct AsyncStatus {
    status: String,
    #[serde(default)]
    error: Option<ArmErrorBody>,
}

#[derive(Deserialize)]
struct CountAnswer {
    value: u64,
}

/// The name that follows `key` in an ARM id (`.../products/{name}/...`), case-insensitively.
pub fn id_segment<'a>(id: &'a str, key: &str) -> Option<&'a str> {
    let mut parts = id.split('/');
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case(key) {
            return parts.next().filter(|s| !s.is_empty());
        }
    }
    None
}

/// The product's resource id: the group id cut after `products/{p}`.
fn product_of_group(group_id: &str) -> Option<String> {
    let lower = group_id.to_ascii_lowercase();
    let at = lower.find("/devicegroups/")?;
    Some(group_id[..at].to_owned())
}

fn image_from(r: Resource<ImageProps>) -> ImageInfo {
    let p = r.properties.unwrap_or_default();
    let state = match p.provisioning_state.as_deref() {
        None | Some("Succeeded") => ImageState::Ready,
        Some("Failed") | Some("Canceled") => ImageState::Failed,
        Some(_) => ImageState::Processing,
    };
    ImageInfo {
        id: ImageId::new(
            p.image_id
                .or(r.name)
                .unwrap_or_else(|| r.id.rsplit('/').next().unwrap_or_default().to_owned()),
        ),
        component_id: p.component_id,
        name: image_name(p.image_name, p.image),
        description: p.description,
        image_type: p.image_type,
        state,
    }
}

/// An image's name: `imageName`, else `image` when that holds a name rather than a URI (the
/// spec's examples answer `imageName` empty and the name in `image`).
// UNSURE: which of the two a real catalog fills; either gives the name here.
fn image_name(image_name: Option<String>, image: Option<String>) -> Option<String> {
    let usable = |s: &String| !s.trim().is_empty();
    image_name.filter(usable).or_else(|| {
        image.filter(|s| {
            usable(s) && s.len() <= 256 && !s.contains("://") && !s.contains(char::is_whitespace)
        })
    })
}

fn deployment_from(r: Resource<DeploymentProps>) -> Deployment {
    let p = r.properties.unwrap_or_default();
    Deployment {
        id: DeploymentId::new(p.deployment_id.or(r.name).unwrap_or(r.id)),
        deployed_at: parse_timestamp(p.deployment_date_utc.as_deref()),
        images: p
            .deployed_images
            .into_iter()
            .map(|i| image_from(i).id)
            .collect(),
    }
}

fn group_from(r: Resource<GroupProps>) -> DeviceGroup {
    let p = r.properties.unwrap_or_default();
    DeviceGroup {
        name: r
            .name
            .clone()
            .or_else(|| id_segment(&r.id, "deviceGroups").map(str::to_owned))
            .unwrap_or_default(),
        product: ProductId::new(product_of_group(&r.id).unwrap_or_default()),
        product_name: id_segment(&r.id, "products").map(str::to_owned),
        description: p.description,
        os_feed: p.os_feed_type.as_deref().map(OsFeed::from_arm),
        update_policy: p.update_policy.as_deref().map(UpdatePolicy::from_arm),
        current_deployment: None,
        has_deployment: p.has_deployment,
        id: DeviceGroupId::new(r.id),
    }
}

fn device_from(r: Resource<DeviceProps>) -> Result<Device, CloudError> {
    let p = r.properties.unwrap_or_default();
    let raw = p
        .device_id
        .or(r.name)
        .unwrap_or_else(|| r.id.rsplit('/').next().unwrap_or_default().to_owned());
    let group =
        r.id.to_ascii_lowercase()
            .find("/devices/")
            .map(|at| DeviceGroupId::new(&r.id[..at]));
    Ok(Device {
        id: DeviceId::parse(&raw)?,
        product: group
            .as_ref()
            .and_then(|g| product_of_group(g.as_str()))
            .map(ProductId::new),
        group,
        chip_sku: p.chip_sku,
        last_available_os_version: p.last_available_os_version,
        last_installed_os_version: p.last_installed_os_version,
        last_os_update: parse_timestamp(p.last_os_update_utc.as_deref()),
        last_update_request: parse_timestamp(p.last_update_request_utc.as_deref()),
    })
}

/// Reads `properties.provisioningState` of a resource answer; absent means done.
fn provisioning_state(body: &[u8]) -> OperationState {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("properties")?
                .get("provisioningState")?
                .as_str()
                .map(OperationState::from_arm)
        })
        .unwrap_or(OperationState::Succeeded)
}

/// The ARM client, bound to one catalog.
#[derive(Debug, Clone)]
pub struct ArmClient {
    transport: Transport,
    base: url::Url,
    catalog: CatalogRef,
    credentials: Credentials,
    settings: PlaneSettings,
}

impl ArmClient {
    /// `base`: [`PUBLIC_BASE_URL`] or the simulator's `/arm` URL.
    pub fn new(
        transport: Transport,
        base: &str,
        catalog: CatalogRef,
        credentials: Credentials,
        settings: PlaneSettings,
    ) -> Result<Self, CloudError> {
        Ok(ArmClient {
            transport,
            base: super::base_url(base)?,
            catalog,
            credentials,
            settings,
        })
    }

    pub fn catalog(&self) -> &CatalogRef {
        &self.catalog
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.transport
    }

    /// The URL of a resource id (or any ARM path) plus extra segments, with the api-version.
    fn url(&self, id: &str, extra: &[&str]) -> Result<url::Url, CloudError> {
        let mut segs: Vec<&str> = id.split('/').filter(|s| !s.is_empty()).collect();
        segs.extend_from_slice(extra);
        let mut url = super::join_segments(&self.base, &segs)?;
        url.query_pairs_mut()
            .append_pair("api-version", API_VERSION);
        Ok(url)
    }

    fn catalog_url(&self, extra: &[&str]) -> Result<url::Url, CloudError> {
        self.url(&self.catalog.resource_id(), extra)
    }

    /// A service-given URL (nextLink, LRO) is followed only on the configured host: the bearer
    /// token must never be sent elsewhere.
    fn followed_url(&self, link: &str) -> Result<url::Url, CloudError> {
        let url = url::Url::parse(link).map_err(|e| CloudError::InvalidInput {
            what: "service link",
            reason: e.to_string(),
        })?;
        if url.origin() != self.base.origin() {
            return Err(CloudError::InvalidInput {
                what: "service link",
                reason: format!(
                    "points to another host ({}), not followed",
                    url.host_str().unwrap_or("?")
                ),
            });
        }
        Ok(url)
    }

    async fn get(&self, url: url::Url) -> Result<Response, CloudError> {
        self.transport
            .send(
                &Request::new(Service::Arm, Method::GET, url),
                &self.credentials,
            )
            .await
    }

    pub(crate) async fn page<T: DeserializeOwned>(
        &self,
        url: url::Url,
        what: &str,
    ) -> Result<(Vec<T>, Option<url::Url>), CloudError> {
        let mut url = url;
        if let Some(n) = self.settings.page_size {
            if !url
                .query_pairs()
                .any(|(k, _)| k == "$maxpagesize" || k == "$skipToken")
            {
                // UNSURE: Azure Sphere ARM list calls honour `$maxpagesize` like other RPs.
                url.query_pairs_mut()
                    .append_pair("$maxpagesize", &n.to_string());
            }
        }
        let page: Page<T> = self.get(url).await?.json(what)?;
        let next = match page.next_link.filter(|l| !l.is_empty()) {
            Some(link) => Some(self.followed_url(&link)?),
            None => None,
        };
        Ok((page.value, next))
    }

    async fn all<T: DeserializeOwned>(
        &self,
        url: url::Url,
        what: &str,
    ) -> Result<Vec<T>, CloudError> {
        let mut out = Vec::new();
        let mut guard = self.transport.page_guard(Service::Arm, what);
        let mut next = Some(url);
        while let Some(url) = next {
            guard.follow(url.as_str())?;
            let (items, following) = self.page::<T>(url, what).await?;
            out.extend(items);
            next = following;
        }
        Ok(out)
    }

    /// The catalogs of the subscription.
    pub async fn catalogs(&self) -> Result<Vec<TenantInfo>, CloudError> {
        let url = self.url(
            &format!(
                "/subscriptions/{}/providers/Microsoft.AzureSphere/catalogs",
                self.catalog.subscription
            ),
            &[],
        )?;
        let items: Vec<Resource<serde_json::Value>> = self.all(url, "a catalog page").await?;
        Ok(items
            .into_iter()
            .map(|r| TenantInfo {
                name: r.name.unwrap_or_default(),
                id: TenantId::new(r.id),
                roles: Vec::new(),
            })
            .collect())
    }

    pub async fn products(&self) -> Result<Vec<Product>, CloudError> {
        let items: Vec<Resource<ProductProps>> = self
            .all(self.catalog_url(&["products"])?, "a product page")
            .await?;
        Ok(items
            .into_iter()
            .map(|r| Product {
                name: r.name.unwrap_or_default(),
                description: r.properties.and_then(|p| p.description),
                id: ProductId::new(r.id),
            })
            .collect())
    }

    pub async fn device_groups(&self) -> Result<Vec<DeviceGroup>, CloudError> {
        let mut out = Vec::new();
        for product in self.products().await? {
            let url = self.url(product.id.as_str(), &["deviceGroups"])?;
            let items: Vec<Resource<GroupProps>> = self.all(url, "a device group page").await?;
            out.extend(items.into_iter().map(group_from));
        }
        Ok(out)
    }

    pub async fn device_group(&self, group: &DeviceGroupId) -> Result<DeviceGroup, CloudError> {
        let r: Resource<GroupProps> = self
            .get(self.url(group.as_str(), &[])?)
            .await?
            .json("the device group")?;
        Ok(group_from(r))
    }

    pub(crate) async fn device_page(
        &self,
        group: &DeviceGroupId,
        next: Option<url::Url>,
    ) -> Result<(Vec<Device>, Option<url::Url>), CloudError> {
        let url = match next {
            Some(u) => u,
            None => self.url(group.as_str(), &["devices"])?,
        };
        let (items, next) = self
            .page::<Resource<DeviceProps>>(url, "a device page")
            .await?;
        let devices = items
            .into_iter()
            .map(device_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((devices, next))
    }

    pub async fn count_devices(&self, group: &DeviceGroupId) -> Result<u64, CloudError> {
        let request = Request::new(
            Service::Arm,
            Method::POST,
            self.url(group.as_str(), &["countDevices"])?,
        )
        .read_only();
        let answer: CountAnswer = self
            .transport
            .send(&request, &self.credentials)
            .await?
            .json("the device count")?;
        Ok(answer.value)
    }

    pub async fn images(&self) -> Result<Vec<ImageInfo>, CloudError> {
        let items: Vec<Resource<ImageProps>> = self
            .all(self.catalog_url(&["images"])?, "an image page")
            .await?;
        Ok(items.into_iter().map(image_from).collect())
    }

    pub async fn image(&self, image: &ImageId) -> Result<ImageInfo, CloudError> {
        Ok(image_from(
            self.get(self.catalog_url(&["images", image.as_str()])?)
                .await?
                .json("the image")?,
        ))
    }

    /// The image once the service finished processing it; `None` if absent or failed. An image
    /// still processing is waited for (an earlier attempt reached the service).
    async fn image_if_ready(&self, image: &ImageId) -> Result<Option<ImageInfo>, CloudError> {
        poll_until("image processing", &self.settings, None, || async {
            match self.image(image).await {
                Ok(i) if i.state == ImageState::Ready => Ok(Probe::Done(Some(i))),
                Ok(i) if i.state == ImageState::Processing => Ok(Probe::Again(None)),
                Ok(_) | Err(CloudError::NotFound { .. }) => Ok(Probe::Done(None)),
                Err(e) => Err(e),
            }
        })
        .await
    }

    /// Uploads a package (`PUT images/{id}` with its base64, streamed from disk) and waits for the
    /// LRO. A retried upload first checks whether the image already exists.
    pub async fn upload_image(
        &self,
        source: &ImageSource,
        image: &ImageId,
    ) -> Result<ImageInfo, CloudError> {
        const PREFIX: &str = "{\"properties\":{\"image\":\"";
        const SUFFIX: &str = "\"}}";
        let body = match source {
            ImageSource::Path { path, len } => RequestBody::Base64File {
                path: path.clone(),
                len: *len,
                prefix: PREFIX,
                suffix: SUFFIX,
            },
            ImageSource::Bytes(bytes) => {
                use base64::Engine as _;
                let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
                RequestBody::Json(bytes::Bytes::from(format!("{PREFIX}{encoded}{SUFFIX}")))
            }
        };
        let request = Request::new(
            Service::Arm,
            Method::PUT,
            self.catalog_url(&["images", image.as_str()])?,
        )
        .body(body);
        self.transport
            .retry_mutation(
                "image upload",
                || async {
                    let resp = self.transport.send(&request, &self.credentials).await?;
                    self.wait_lro(&resp, &request.url, "image upload").await?;
                    self.image(image).await
                },
                || self.image_if_ready(image),
            )
            .await
    }

    /// Makes `images` the group's deployment (replacing the current set) and waits for the LRO.
    pub async fn create_deployment(
        &self,
        group: &DeviceGroupId,
        images: &[ImageId],
    ) -> Result<Deployment, CloudError> {
        // Only what the spec lets a client write: an `Image` element's `id`, `name`, `type` and most
        // of its properties are `readOnly`, and a strict resource provider refuses a body carrying
        // them (generated Azure SDKs never send them).
        // UNSURE: that `properties.imageId` alone names the image (it is the only writable property
        // that identifies one).
        let deployed: Vec<serde_json::Value> = images
            .iter()
            .map(|id| serde_json::json!({ "properties": { "imageId": id.as_str() } }))
            .collect();
        let body = serde_json::json!({ "properties": { "deployedImages": deployed } });
        let request = Request::new(
            Service::Arm,
            Method::PUT,
            self.url(group.as_str(), &["deployments", CURRENT_DEPLOYMENT])?,
        )
        .json(&body)?;
        replace_deployment(
            &self.transport,
            &self.settings,
            images,
            || async {
                let resp = self.transport.send(&request, &self.credentials).await?;
                self.wait_lro(&resp, &request.url, "deployment").await?;
                Ok(())
            },
            || self.current_deployment(group),
            || self.deployments(group),
        )
        .await
    }

    pub async fn deployments(&self, group: &DeviceGroupId) -> Result<Vec<Deployment>, CloudError> {
        let items: Vec<Resource<DeploymentProps>> = self
            .all(
                self.url(group.as_str(), &["deployments"])?,
                "a deployment page",
            )
            .await?;
        Ok(items.into_iter().map(deployment_from).collect())
    }

    pub async fn current_deployment(
        &self,
        group: &DeviceGroupId,
    ) -> Result<Option<Deployment>, CloudError> {
        match self
            .get(self.url(group.as_str(), &["deployments", CURRENT_DEPLOYMENT])?)
            .await
        {
            Ok(resp) => Ok(Some(deployment_from(resp.json("the current deployment")?))),
            Err(CloudError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// One device read at its place in a known group (`Devices_Get`): one request, unlike
    /// [`ArmClient::locate_device`], so a rollout can poll it. A device no longer in `group` is
    /// `NotFound`.
    pub async fn device_in_group(
        &self,
        group: &DeviceGroupId,
        device: &DeviceId,
    ) -> Result<Device, CloudError> {
        let url = self.url(group.as_str(), &["devices", device.as_str()])?;
        let resource: Resource<DeviceProps> = self.get(url).await?.json("the device")?;
        device_from(resource)
    }

    /// Where a device is now: its full ARM id (`.../products/P/deviceGroups/G/devices/ID`), found
    /// with `POST listDevices` (paged to the device).
    pub async fn locate_device(&self, device: &DeviceId) -> Result<Device, CloudError> {
        let mut next = Some(self.catalog_url(&["listDevices"])?);
        let mut guard = self
            .transport
            .page_guard(Service::Arm, "the catalog's devices");
        while let Some(url) = next {
            guard.follow(url.as_str())?;
            let request = Request::new(Service::Arm, Method::POST, url).read_only();
            let resp = self.transport.send(&request, &self.credentials).await?;
            let page: Page<Resource<DeviceProps>> = resp.json("a device page")?;
            for r in page.value {
                let d = device_from(r)?;
                if &d.id == device {
                    return Ok(d);
                }
            }
            next = match page.next_link.filter(|l| !l.is_empty()) {
                Some(link) => Some(self.followed_url(&link)?),
                None => None,
            };
        }
        Err(CloudError::NotFound {
            service: Service::Arm,
            fault: ServiceFault {
                code: None,
                message: format!("device {} is not in the catalog", device.short()),
                target: None,
            },
        })
    }

    /// Moves a device: PATCH on its *current* path with the target group's full ARM id.
    pub async fn move_device(
        &self,
        device: &DeviceId,
        target: &DeviceGroupId,
    ) -> Result<(), CloudError> {
        let current = self.locate_device(device).await?;
        let Some(from) = current.group else {
            return Err(CloudError::InvalidInput {
                what: "device",
                reason: "its current group is unknown".into(),
            });
        };
        if from.as_str().eq_ignore_ascii_case(target.as_str()) {
            return Ok(());
        }
        let url = self.url(from.as_str(), &["devices", device.as_str()])?;
        let request = Request::new(Service::Arm, Method::PATCH, url)
            .json(&serde_json::json!({ "properties": { "deviceGroupId": target.as_str() } }))?;
        move_into_group(
            &self.transport,
            target,
            || async {
                let resp = self.transport.send(&request, &self.credentials).await?;
                self.wait_lro(&resp, &request.url, "device move").await?;
                Ok(())
            },
            || self.locate_device(device),
        )
        .await
    }

    /// Waits for a long-running operation announced by `resp`: `Azure-AsyncOperation` when given
    /// (polled for `status`), else `Location` (202 while running), else the answer's own
    /// `provisioningState` (then `resource` is polled until it is terminal).
    async fn wait_lro(
        &self,
        resp: &Response,
        resource: &url::Url,
        what: &str,
    ) -> Result<OperationStatus, CloudError> {
        let first_wait = Some(resp.retry_after().unwrap_or(self.settings.poll_interval));
        if let Some(link) = resp.header("azure-asyncoperation") {
            let url = self.followed_url(link)?;
            let (state, error) = poll_until(what, &self.settings, first_wait, || async {
                let poll = self.get(url.clone()).await?;
                let s: AsyncStatus = poll.json("the operation status")?;
                let state = OperationState::from_arm(&s.status);
                Ok(if state.is_terminal() {
                    Probe::Done((state, s.error.map(ServiceFault::from)))
                } else {
                    Probe::Again(poll.retry_after())
                })
            })
            .await?;
            return self.finish(OperationId::new(url.path()), state, error, what);
        }
        if let Some(link) = resp.header("location") {
            let url = self.followed_url(link)?;
            poll_until(what, &self.settings, first_wait, || async {
                let poll = self.get(url.clone()).await?;
                Ok(if poll.status == 202 {
                    Probe::Again(poll.retry_after())
                } else {
                    Probe::Done(())
                })
            })
            .await?;
            return self.finish(
                OperationId::new(url.path()),
                OperationState::Succeeded,
                None,
                what,
            );
        }
        let mut state = provisioning_state(&resp.body);
        if !state.is_terminal() {
            state = poll_until(what, &self.settings, first_wait, || async {
                let poll = self.get(resource.clone()).await?;
                let state = provisioning_state(&poll.body);
                Ok(if state.is_terminal() {
                    Probe::Done(state)
                } else {
                    Probe::Again(poll.retry_after())
                })
            })
            .await?;
        }
        self.finish(OperationId::new(resource.path()), state, None, what)
    }

    fn finish(
        &self,
        id: OperationId,
        state: OperationState,
        error: Option<ServiceFault>,
        what: &str,
    ) -> Result<OperationStatus, CloudError> {
        match state {
            OperationState::Succeeded => Ok(OperationStatus {
                id,
                state,
                resource_location: None,
                error: None,
            }),
            _ => Err(CloudError::OperationFailed {
                operation: what.to_owned(),
                fault: error.unwrap_or_else(|| ServiceFault {
                    code: None,
                    message: format!("ended {state:?}"),
                    target: None,
                }),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_errors_name_the_path() {
        let body = br#"{"value":[{"id":"/a","properties":{"hasDeployment":"yes"}}]}"#;
        let Err(e) = super::super::transport::decode_json::<Page<Resource<GroupProps>>>(
            Service::Arm,
            "a page",
            body,
        ) else {
            panic!("a string hasDeployment must not decode");
        };
        match &e {
            CloudError::Decode { path, .. } => {
                assert_eq!(path, "value[0].properties.hasDeployment")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ids_are_split_case_insensitively() {
        let id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.AzureSphere/catalogs/c/Products/P1/devicegroups/G1";
        assert_eq!(id_segment(id, "products"), Some("P1"));
        assert_eq!(id_segment(id, "deviceGroups"), Some("G1"));
        assert_eq!(product_of_group(id).as_deref(), Some("/subscriptions/s/resourceGroups/rg/providers/Microsoft.AzureSphere/catalogs/c/Products/P1"));
        assert_eq!(id_segment(id, "images"), None);
    }

    #[test]
    fn an_image_is_named_from_image_name_else_from_image() {
        let cases: &[(Option<&str>, Option<&str>, Option<&str>)] = &[
            (
                Some("ASG210_HLApp_v1.2.3"),
                Some("https://x/y"),
                Some("ASG210_HLApp_v1.2.3"),
            ),
            (Some(""), Some("MyImage"), Some("MyImage")),
            (None, Some("MyImage"), Some("MyImage")),
            (None, Some("https://storage/images/abc"), None),
            (Some(" "), Some("bXli YmFzZTY0"), None),
            (None, None, None),
        ];
        for (name, image, expected) in cases {
            let got = image_name(name.map(str::to_owned), image.map(str::to_owned));
            assert_eq!(got.as_deref(), *expected, "{name:?} {image:?}");
        }
    }

    #[test]
    fn the_spec_example_group_list_is_read() {
        let body = br#"{"value":[{"id":"/subscriptions/0/resourceGroups/R/providers/Microsoft.AzureSphere/catalogs/C/products/MyProduct1/devicegroups/MyDeviceGroup1","name":"MyDeviceGroup1","type":"t"}]}"#;
        let page: Page<Resource<GroupProps>> =
            super::super::transport::decode_json(Service::Arm, "p", body).unwrap();
        let g = group_from(page.value.into_iter().next().unwrap());
        assert_eq!(g.name, "MyDeviceGroup1");
        assert_eq!(g.product_name.as_deref(), Some("MyProduct1"));
        assert_eq!(g.update_policy, None);
    }
}
