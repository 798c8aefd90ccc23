//! `upload --group G FILE...` and `deploy --group G IMAGE-ID|FILE...`: image packages into the
//! tenant, and a group's image set replaced.
//!
//! Each file's identity (image id, component id, kind) is read locally with the core's package
//! reader before anything is sent, so a damaged file fails here with its reason, and an image the
//! tenant already holds is skipped rather than uploaded again.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _, Result};
use asg_fota_core::cloud::model::{Deployment, ImageId};
use asg_fota_core::cloud::{CloudError, ImageSource};
use asg_fota_core::inspect::inspect_file;
use asg_fota_core::session::{group_label, Session};
use clap::Args;
use serde::Serialize;

use crate::context::{table, Context, Output};

/// The most images one deployment may hold on an ASG210 (one HLApp, two RTApps, one board
/// configuration).
const MAX_IMAGES_PER_DEPLOYMENT: usize = 4;

#[derive(Args, Debug)]
pub struct UploadArgs {
    /// The device group the images are for: its id, `product/group`, or a unique group name.
    #[arg(long, short = 'g', value_name = "GROUP")]
    group: String,
    /// The .imagepackage files.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) output: Output,
}

#[derive(Args, Debug)]
pub struct DeployArgs {
    /// The device group: its id, `product/group`, or a unique group name.
    #[arg(long, short = 'g', value_name = "GROUP")]
    group: String,
    /// Image ids already in the tenant, or .imagepackage files (uploaded first when missing).
    /// The deployment REPLACES the group's image set: name every image that must stay.
    #[arg(value_name = "IMAGE-ID|FILE", required = true)]
    images: Vec<String>,
    #[command(flatten)]
    pub(crate) output: Output,
}

/// What happened to one file.
#[derive(Debug, Serialize)]
#[serde(rename_all = "snake_case")]
enum UploadStatus {
    Uploaded,
    AlreadyPresent,
    Failed,
}

#[derive(Debug, Serialize)]
struct UploadRow {
    file: String,
    image_id: Option<String>,
    component_id: Option<String>,
    name: Option<String>,
    kind: Option<String>,
    status: UploadStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub async fn upload(ctx: &Context, args: UploadArgs) -> Result<ExitCode> {
    let (session, resolved) = ctx.open().await?;
    let outcome = async {
        // The group is checked first so a typo fails before anything is uploaded.
        session.find_group(&args.group).await?;
        let mut rows = Vec::new();
        for file in &args.files {
            rows.push(upload_one(&session, file).await);
        }
        anyhow::Ok(rows)
    }
    .await;
    ctx.finish(&session, resolved).await;
    let rows = outcome?;
    let failed = rows
        .iter()
        .any(|r| matches!(r.status, UploadStatus::Failed));
    for row in &rows {
        if let Some(error) = &row.error {
            eprintln!("asg-fota-cli: {}: {error}", row.file);
        }
    }
    ctx.print(&rows, || upload_table(&rows))?;
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn upload_table(rows: &[UploadRow]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.file.clone(),
                r.image_id.clone().unwrap_or_else(|| "-".into()),
                r.kind.clone().unwrap_or_else(|| "-".into()),
                match r.status {
                    UploadStatus::Uploaded => "uploaded",
                    UploadStatus::AlreadyPresent => "already in the tenant (skipped)",
                    UploadStatus::Failed => "FAILED",
                }
                .to_owned(),
            ]
        })
        .collect();
    table(&["FILE", "IMAGE", "KIND", "RESULT"], &cells)
}

/// Reads the file's identity, then uploads it unless the tenant holds that image already.
async fn upload_one(session: &Session, file: &Path) -> UploadRow {
    let mut row = UploadRow {
        file: file.display().to_string(),
        image_id: None,
        component_id: None,
        name: None,
        kind: None,
        status: UploadStatus::Failed,
        error: None,
    };
    let report = match inspect_file(file) {
        Ok(report) => report,
        Err(err) => {
            row.error = Some(err.message());
            return row;
        }
    };
    row.image_id = Some(report.image_id.clone());
    row.component_id = Some(report.component_id.clone());
    row.name = Some(report.name.clone());
    row.kind = Some(report.kind.clone());
    let image = ImageId::new(&report.image_id);
    let result = async {
        if image_present(session, &image).await? {
            return Ok(UploadStatus::AlreadyPresent);
        }
        let source = ImageSource::file(file)?;
        session.plane().upload_image(&source, &image).await?;
        Ok::<_, CloudError>(UploadStatus::Uploaded)
    }
    .await;
    match result {
        Ok(status) => row.status = status,
        Err(err) => row.error = Some(err.to_string()),
    }
    row
}

/// Whether the tenant holds the image (a 404 means no).
async fn image_present(session: &Session, image: &ImageId) -> Result<bool, CloudError> {
    match session.plane().image(image).await {
        Ok(_) => Ok(true),
        Err(err) if err.kind() == "not_found" => Ok(false),
        Err(err) => Err(err),
    }
}

/// An ASG210 takes one HLApp, up to two RTApps and one board configuration per deployment. Only
/// files say their kind (the tenant's metadata does not tell an HLApp from an RTApp), so this
/// checks the files named; the wizard's preflight checks the whole set.
fn check_kinds(uploads: &[UploadRow]) -> Result<()> {
    for (kind, limit) in [("HLApp", 1), ("RTApp", 2), ("BoardConfig", 1)] {
        let count = uploads
            .iter()
            .filter(|r| r.kind.as_deref() == Some(kind))
            .count();
        if count > limit {
            bail!("{count} {kind} images named: a deployment holds at most {limit}");
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct DeployView {
    group: String,
    uploads: Vec<UploadRow>,
    deployment: Deployment,
}

pub async fn deploy(ctx: &Context, args: DeployArgs) -> Result<ExitCode> {
    let (session, resolved) = ctx.open().await?;
    let outcome = deploy_in(&session, &args).await;
    ctx.finish(&session, resolved).await;
    let view = outcome?;
    ctx.print(&view, || {
        let mut text = String::new();
        if !view.uploads.is_empty() {
            text.push_str(&upload_table(&view.uploads));
            text.push('\n');
        }
        text.push_str(&format!(
            "Deployment {} created for {}: {}\n",
            view.deployment.id,
            view.group,
            view.deployment
                .images
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
        text
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn deploy_in(session: &Session, args: &DeployArgs) -> Result<DeployView> {
    let group = session.find_group(&args.group).await?;
    let products = if group.product_name.is_none() {
        session.plane().products().await?
    } else {
        Vec::new()
    };
    if args.images.len() > MAX_IMAGES_PER_DEPLOYMENT {
        bail!(
            "{} images named: a deployment holds at most {MAX_IMAGES_PER_DEPLOYMENT} (one HLApp, \
             two RTApps, one board configuration)",
            args.images.len()
        );
    }
    let mut uploads = Vec::new();
    let mut images = Vec::new();
    let mut components = HashSet::new();
    for item in &args.images {
        let path = Path::new(item);
        let (image, component) = if path.is_file() {
            let row = upload_one(session, path).await;
            if let Some(error) = &row.error {
                bail!("{item}: {error}");
            }
            let image = ImageId::new(row.image_id.clone().unwrap_or_default());
            let component = row.component_id.clone();
            uploads.push(row);
            (image, component)
        } else {
            let image = ImageId::new(item.trim());
            let info = session.plane().image(&image).await.with_context(|| {
                format!("`{item}` is neither a file nor an image in the tenant")
            })?;
            (image, info.component_id)
        };
        // Two images of one component would make the service refuse the deployment; say so here
        // with the names the person typed.
        if let Some(component) = component {
            if !components.insert(component.to_ascii_lowercase()) {
                bail!("two of the images named share the component id {component}: a deployment holds one image per component");
            }
        }
        images.push(image);
    }
    check_kinds(&uploads)?;
    let deployment = session
        .plane()
        .create_deployment(&group.id, &images)
        .await?;
    Ok(DeployView {
        group: group_label(&group, &products),
        uploads,
        deployment,
    })
}
