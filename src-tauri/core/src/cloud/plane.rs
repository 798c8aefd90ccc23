//! [`ControlPlane`]: the one interface over both Azure Sphere control planes.
//!
//! The legacy public API (retiring 2027-09-27) and ARM `Microsoft.AzureSphere` reach the same
//! tenant; the rest of the product calls this enum and never asks which one it talks to. Ids are
//! plane-specific strings (GUIDs on legacy, full resource ids on ARM) wrapped in the same newtypes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;

use super::arm::ArmClient;
use super::error::{CloudError, Service};
use super::legacy::LegacyClient;
use super::model::*;
use super::transport::{PageGuard, Transport};

/// Paging and operation polling of a control plane.
#[derive(Debug, Clone)]
pub struct PlaneSettings {
    /// Items per page to ask for (`maxPageSize` / `$maxpagesize`); `None` = the service's default.
    pub page_size: Option<u32>,
    /// Wait between operation polls when the service gives no `Retry-After`.
    pub poll_interval: Duration,
    /// Give up waiting for an operation after this long.
    pub operation_deadline: Duration,
}

impl Default for PlaneSettings {
    fn default() -> Self {
        // The legacy API documents no poll interval: 1–2 s with a deadline.
        PlaneSettings {
            page_size: None,
            poll_interval: Duration::from_millis(1500),
            operation_deadline: Duration::from_secs(600),
        }
    }
}

/// An image package to upload.
#[derive(Debug, Clone)]
pub enum ImageSource {
    /// A file, streamed from disk (never read into memory whole).
    Path {
        path: PathBuf,
        len: u64,
    },
    Bytes(Bytes),
}

impl ImageSource {
    /// A file source; reads its length now so a missing file fails before any request.
    pub fn file(path: &Path) -> Result<ImageSource, CloudError> {
        let meta = std::fs::metadata(path).map_err(|source| CloudError::File {
            path: path.display().to_string(),
            source,
        })?;
        Ok(ImageSource::Path {
            path: path.to_owned(),
            len: meta.len(),
        })
    }
}

/// Where the next page of a listing starts.
#[derive(Debug, Clone)]
enum PageCursor {
    Start,
    Legacy(String),
    Arm(url::Url),
    Done,
}

/// The devices of a group, one page at a time, so a UI can show progress.
#[derive(Debug)]
pub struct DevicePages<'a> {
    plane: &'a ControlPlane,
    group: DeviceGroupId,
    cursor: PageCursor,
    guard: PageGuard,
}

impl DevicePages<'_> {
    /// The next page, or `None` after the last one.
    pub async fn next_page(&mut self) -> Result<Option<Vec<Device>>, CloudError> {
        let (devices, next) = match (&self.cursor, self.plane) {
            (PageCursor::Done, _) => return Ok(None),
            (PageCursor::Start, ControlPlane::Legacy(c))
            | (PageCursor::Legacy(_), ControlPlane::Legacy(c)) => {
                let token = match &self.cursor {
                    PageCursor::Legacy(t) => Some(t.as_str()),
                    _ => None,
                };
                let (devices, next) = c.device_page(&self.group, token).await?;
                (devices, next.map(PageCursor::Legacy))
            }
            (PageCursor::Start, ControlPlane::Arm(c))
            | (PageCursor::Arm(_), ControlPlane::Arm(c)) => {
                let url = match &self.cursor {
                    PageCursor::Arm(u) => Some(u.clone()),
                    _ => None,
                };
                let (devices, next) = c.device_page(&self.group, url).await?;
                (devices, next.map(PageCursor::Arm))
            }
            // A cursor of the other plane cannot happen: the cursor is made by this plane.
            _ => return Ok(None),
        };
        match &next {
            Some(PageCursor::Legacy(token)) => self.guard.follow(token)?,
            Some(PageCursor::Arm(url)) => self.guard.follow(url.as_str())?,
            _ => {}
        }
        self.cursor = next.unwrap_or(PageCursor::Done);
        Ok(Some(devices))
    }
}

/// One of the two control planes.
#[derive(Debug, Clone)]
pub enum ControlPlane {
    Legacy(LegacyClient),
    Arm(ArmClient),
}

impl ControlPlane {
    /// Legacy: the tenants the account sees; ARM: the subscription's catalogs.
    pub async fn tenants_or_catalogs(&self) -> Result<Vec<TenantInfo>, CloudError> {
        match self {
            ControlPlane::Legacy(c) => c.tenants().await,
            ControlPlane::Arm(c) => c.catalogs().await,
        }
    }

    pub async fn products(&self) -> Result<Vec<Product>, CloudError> {
        match self {
            ControlPlane::Legacy(c) => c.products().await,
            ControlPlane::Arm(c) => c.products().await,
        }
    }

    /// Every device group with its update policy.
    pub async fn device_groups(&self) -> Result<Vec<DeviceGroup>, CloudError> {
        match self {
            ControlPlane::Legacy(c) => c.device_groups().await,
            ControlPlane::Arm(c) => c.device_groups().await,
        }
    }

    pub async fn device_group(&self, group: &DeviceGroupId) -> Result<DeviceGroup, CloudError> {
        match self {
            ControlPlane::Legacy(c) => c.device_group(group).await,
            ControlPlane::Arm(c) => c.device_group(group).await,
        }
    }

    /// The devices of a group, page by page.
    pub fn device_pages(&self, group: &DeviceGroupId) -> DevicePages<'_> {
        let guard = match self {
            ControlPlane::Legacy(c) => c
                .transport()
                .page_guard(Service::Legacy, "a group's devices"),
            ControlPlane::Arm(c) => c.transport().page_guard(Service::Arm, "a group's devices"),
        };
        DevicePages {
            plane: self,
            group: group.clone(),
            cursor: PageCursor::Start,
            guard,
        }
    }

    /// All devices of a group (every page).
    pub async fn devices(&self, group: &DeviceGroupId) -> Result<Vec<Device>, CloudError> {
        let mut pages = self.device_pages(group);
        let mut all = Vec::new();
        while let Some(page) = pages.next_page().await? {
            all.extend(page);
        }
        Ok(all)
    }

    /// The number of devices in a group (ARM counts on the service; legacy pages through them).
    pub async fn count_devices(&self, group: &DeviceGroupId) -> Result<u64, CloudError> {
        match self {
            ControlPlane::Legacy(_) => Ok(self.devices(group).await?.len() as u64),
            ControlPlane::Arm(c) => c.count_devices(group).await,
        }
    }

    pub async fn images(&self) -> Result<Vec<ImageInfo>, CloudError> {
        match self {
            ControlPlane::Legacy(c) => c.images().await,
            ControlPlane::Arm(c) => c.images().await,
        }
    }

    pub async fn image(&self, image: &ImageId) -> Result<ImageInfo, CloudError> {
        match self {
            ControlPlane::Legacy(c) => c.image(image).await,
            ControlPlane::Arm(c) => c.image(image).await,
        }
    }

    /// Uploads a package whose image id was read locally from the file, and waits until the service
    /// has processed it. Retried only after checking the image is not already there.
    pub async fn upload_image(
        &self,
        source: &ImageSource,
        image: &ImageId,
    ) -> Result<ImageInfo, CloudError> {
        match self {
            ControlPlane::Legacy(c) => c.upload_image(source, image).await,
            ControlPlane::Arm(c) => c.upload_image(source, image).await,
        }
    }

    /// Replaces the group's image set with `images` and waits for it. Retried only after checking
    /// that the current deployment does not already hold exactly these images.
    pub async fn create_deployment(
        &self,
        group: &DeviceGroupId,
        images: &[ImageId],
    ) -> Result<Deployment, CloudError> {
        match self {
            ControlPlane::Legacy(c) => c.create_deployment(group, images).await,
            ControlPlane::Arm(c) => c.create_deployment(group, images).await,
        }
    }

    pub async fn deployments(&self, group: &DeviceGroupId) -> Result<Vec<Deployment>, CloudError> {
        match self {
            ControlPlane::Legacy(c) => c.deployments(group).await,
            ControlPlane::Arm(c) => c.deployments(group).await,
        }
    }

    pub async fn current_deployment(
        &self,
        group: &DeviceGroupId,
    ) -> Result<Option<Deployment>, CloudError> {
        match self {
            ControlPlane::Legacy(c) => c.current_deployment(group).await,
            ControlPlane::Arm(c) => c.current_deployment(group).await,
        }
    }

    /// One device's record (its group and last update check-in), read where it is expected to
    /// be: legacy reads it by id; ARM reads it in `group` (one request) and pages the catalog only
    /// when it is not there.
    pub async fn device(
        &self,
        device: &DeviceId,
        group: &DeviceGroupId,
    ) -> Result<Device, CloudError> {
        match self {
            ControlPlane::Legacy(c) => c.device(device).await,
            ControlPlane::Arm(c) => match c.device_in_group(group, device).await {
                Err(CloudError::NotFound { .. }) => c.locate_device(device).await,
                other => other,
            },
        }
    }

    /// Moves a device into `target` and waits for the move to finish.
    pub async fn move_device(
        &self,
        device: &DeviceId,
        target: &DeviceGroupId,
    ) -> Result<(), CloudError> {
        match self {
            ControlPlane::Legacy(c) => c.move_device(device, target).await,
            ControlPlane::Arm(c) => c.move_device(device, target).await,
        }
    }
}

/// What one look at something the service is still working on found.
pub(crate) enum Probe<T> {
    Done(T),
    /// Not yet: look again after the service's `Retry-After`, else the settings' interval.
    Again(Option<Duration>),
}

/// The longest single wait between two polls, whatever `Retry-After` says.
const MAX_POLL_WAIT: Duration = Duration::from_secs(60);

/// Polls `probe` until it is done, the deadline of `settings` passes ([`CloudError::DeadlineExceeded`]
/// naming `what`), or it fails. `first_wait` is slept before the first look (an LRO's
/// `Retry-After`); `None` looks at once. Every operation and processing wait of both planes goes
/// through here.
pub(crate) async fn poll_until<T, F, Fut>(
    what: &str,
    settings: &PlaneSettings,
    first_wait: Option<Duration>,
    mut probe: F,
) -> Result<T, CloudError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Probe<T>, CloudError>>,
{
    let started = tokio::time::Instant::now();
    let mut wait = first_wait;
    loop {
        if let Some(w) = wait {
            if started.elapsed().saturating_add(w) > settings.operation_deadline {
                return Err(CloudError::DeadlineExceeded {
                    what: what.to_owned(),
                    waited: started.elapsed(),
                });
            }
            tokio::time::sleep(w.min(MAX_POLL_WAIT)).await;
        }
        match probe().await? {
            Probe::Done(v) => return Ok(v),
            Probe::Again(after) => wait = Some(after.unwrap_or(settings.poll_interval)),
        }
    }
}

/// A deployment operation that succeeded but left the group without a current deployment.
pub(crate) fn no_current_deployment() -> CloudError {
    CloudError::OperationFailed {
        operation: "deployment".into(),
        fault: super::error::ServiceFault {
            code: None,
            message: "the operation succeeded but the group has no current deployment".into(),
            target: None,
        },
    }
}

/// How far a service's clock may lag ours when deciding that a deployment is the one an earlier
/// attempt created.
// UNSURE: one minute covers the clock skew between a desktop and Azure.
const CLOCK_SKEW: Duration = Duration::from_secs(60);

/// The idempotency check of a deployment retry: the earlier attempt took effect when the group's
/// current deployment holds exactly `images`, or when a deployment of exactly these images was
/// created since the first attempt (then it is waited for until it is current).
pub(crate) async fn deployment_taken_effect<C, CF, L, LF>(
    since: time::OffsetDateTime,
    images: &[ImageId],
    settings: PlaneSettings,
    current: C,
    list: L,
) -> Result<Option<Deployment>, CloudError>
where
    C: Fn() -> CF,
    CF: std::future::Future<Output = Result<Option<Deployment>, CloudError>>,
    L: Fn() -> LF,
    LF: std::future::Future<Output = Result<Vec<Deployment>, CloudError>>,
{
    if let Some(d) = current().await?.filter(|d| d.holds_exactly(images)) {
        return Ok(Some(d));
    }
    let recent = list().await?.into_iter().any(|d| {
        d.holds_exactly(images) && d.deployed_at.is_some_and(|at| at >= since - CLOCK_SKEW)
    });
    if !recent {
        return Ok(None);
    }
    poll_until("deployment", &settings, None, || async {
        Ok(match current().await?.filter(|d| d.holds_exactly(images)) {
            Some(d) => Probe::Done(Some(d)),
            None => Probe::Again(None),
        })
    })
    .await
}

/// The retry frame of a deployment on either plane. `submit` sends the plane's request and waits
/// for its operation; the answer is then the group's current deployment. A failed attempt is
/// repeated only after [`deployment_taken_effect`] found that it did not already take effect.
pub(crate) async fn replace_deployment<S, SF, C, CF, L, LF>(
    transport: &Transport,
    settings: &PlaneSettings,
    images: &[ImageId],
    submit: S,
    current: C,
    list: L,
) -> Result<Deployment, CloudError>
where
    S: Fn() -> SF,
    SF: std::future::Future<Output = Result<(), CloudError>>,
    C: Fn() -> CF,
    CF: std::future::Future<Output = Result<Option<Deployment>, CloudError>>,
    L: Fn() -> LF,
    LF: std::future::Future<Output = Result<Vec<Deployment>, CloudError>>,
{
    // The first attempt starts now: a deployment of the same images created since then is the
    // one an earlier attempt made.
    let since = time::OffsetDateTime::now_utc();
    transport
        .retry_mutation(
            "deployment",
            || async {
                submit().await?;
                current().await?.ok_or_else(no_current_deployment)
            },
            || deployment_taken_effect(since, images, settings.clone(), &current, &list),
        )
        .await
}

/// The retry frame of a device move on either plane. `submit` sends the plane's request and waits
/// for its operation. A failed attempt is repeated only after `read` (the device as the service
/// now has it) shows that the device is not in `target` yet; group ids compare case-insensitively.
pub(crate) async fn move_into_group<S, SF, R, RF>(
    transport: &Transport,
    target: &DeviceGroupId,
    submit: S,
    read: R,
) -> Result<(), CloudError>
where
    S: Fn() -> SF,
    SF: std::future::Future<Output = Result<(), CloudError>>,
    R: Fn() -> RF,
    RF: std::future::Future<Output = Result<Device, CloudError>>,
{
    transport
        .retry_mutation("device move", &submit, || async {
            let now = read().await?;
            Ok(now
                .group
                .filter(|g| g.as_str().eq_ignore_ascii_case(target.as_str()))
                .map(|_| ()))
        })
        .await
}
