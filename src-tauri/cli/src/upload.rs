//! `upload --group G FILE...` and `deploy --group G IMAGE-ID|FILE...`: image packages into the
//! tenant, and a group's image set replaced — through the same workflow functions the desktop
//! app's steps 2 and 3 use (through the core's `Tenant`), so the CLI gets the same local identity check, the same skip of images
//! the tenant already holds, the same preflight and the same journal entries.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use asg_fota_core::cloud::model::ImageId;
use asg_fota_core::session::group_label;
use asg_fota_core::tenant::Tenant;
use asg_fota_core::workflow::deploy::CreatedDeployment;
use asg_fota_core::workflow::upload::{UploadOutcome, UploadResult};
use clap::Args;
use serde::Serialize;

use crate::context::{cancel_on_ctrl_c, table, Context, Output};
use crate::say;

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
    /// Create without asking (at a terminal, the plan is shown and a "y" is asked for).
    #[arg(long, short = 'y')]
    yes: bool,
    #[command(flatten)]
    pub(crate) output: Output,
}

pub async fn upload(ctx: &Context, args: UploadArgs) -> Result<ExitCode> {
    let results = ctx
        .with_tenant(async |tenant| {
            // The group is checked first so a typo fails before anything is uploaded.
            tenant.session().find_group(&args.group).await?;
            Ok(upload_files(tenant, &args.files).await)
        })
        .await?;
    report_failures(&results);
    ctx.print(&results, || upload_table(&results))?;
    Ok(if results.iter().all(succeeded) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn upload_files(tenant: &Tenant, files: &[PathBuf]) -> Vec<UploadResult> {
    let cancel = cancel_on_ctrl_c().await;
    tenant.upload(files, &cancel, &|_| {}).await
}

fn succeeded(result: &UploadResult) -> bool {
    matches!(
        result.outcome,
        UploadOutcome::Uploaded | UploadOutcome::Skipped
    )
}

fn report_failures(results: &[UploadResult]) {
    for result in results.iter().filter(|r| !succeeded(r)) {
        let why = result.error.as_ref().map_or_else(
            || say!("result.cancelled"),
            |e| {
                let mut params = serde_json::Map::new();
                params.insert("file".into(), result.file.clone().into());
                crate::lang::failure_line(&e.kind, &params, &e.message)
            },
        );
        eprintln!("asg-fota-cli: {}: {why}", result.file);
    }
}

fn upload_table(results: &[UploadResult]) -> String {
    let cells: Vec<Vec<String>> = results
        .iter()
        .map(|r| {
            vec![
                r.file.clone(),
                r.image_id
                    .as_ref()
                    .map_or_else(|| "-".into(), ToString::to_string),
                r.report
                    .as_ref()
                    .map_or_else(|| "-".into(), |p| p.kind.clone()),
                match r.outcome {
                    UploadOutcome::Uploaded => say!("upload.uploaded"),
                    UploadOutcome::Skipped => say!("upload.skipped"),
                    UploadOutcome::Failed => say!("result.failed"),
                    UploadOutcome::Cancelled => say!("result.cancelled"),
                },
            ]
        })
        .collect();
    table(
        &[
            &say!("col.file"),
            &say!("col.image"),
            &say!("col.kind"),
            &say!("col.result"),
        ],
        &cells,
    )
}

#[derive(Serialize)]
struct DeployView {
    group: String,
    uploads: Vec<UploadResult>,
    #[serde(flatten)]
    created: CreatedDeployment,
}

pub async fn deploy(ctx: &Context, args: DeployArgs) -> Result<ExitCode> {
    let view = ctx
        .with_tenant(async |tenant| deploy_in(ctx, tenant, &args).await)
        .await?;
    ctx.print(&view, || deploy_text(&view))?;
    Ok(ExitCode::SUCCESS)
}

fn deploy_text(view: &DeployView) -> String {
    let mut text = String::new();
    if !view.uploads.is_empty() {
        text.push_str(&upload_table(&view.uploads));
        text.push('\n');
    }
    let lang = crate::lang::current();
    for warning in &view.created.plan.warnings {
        text.push_str(&format!(
            "{}: {}\n",
            crate::lang::cli_word(lang, "warning"),
            crate::lang::finding(lang, "warning", warning)
        ));
    }
    let images: Vec<String> = view
        .created
        .plan
        .images
        .iter()
        .map(ToString::to_string)
        .collect();
    text.push_str(&say!(
        "deploy.created",
        id = view.created.deployment.id,
        group = view.group,
        devices = view.created.plan.reach_devices,
        images = images.join(", "),
    ));
    text.push('\n');
    text
}

async fn deploy_in(ctx: &Context, tenant: &Tenant, args: &DeployArgs) -> Result<DeployView> {
    let group = tenant.session().find_group(&args.group).await?;
    let products = if group.product_name.is_none() {
        tenant.session().plane().products().await?
    } else {
        Vec::new()
    };
    // Files are uploaded (or found in the tenant) first; their place in the list is kept.
    let files: Vec<PathBuf> = args
        .images
        .iter()
        .filter(|i| is_file(i))
        .map(PathBuf::from)
        .collect();
    let uploads = match files.is_empty() {
        true => Vec::new(),
        false => upload_files(tenant, &files).await,
    };
    report_failures(&uploads);
    if !uploads.iter().all(succeeded) {
        return Err(crate::refusal!("error.upload_failed_no_deployment").into());
    }
    let images = image_ids(&args.images, &uploads);
    // The tenant plans again right before creating, refuses what the service or the devices
    // would reject (kinds, component ids, missing images) and journals the result.
    let planned = tenant.plan(&group.id, &images).await?;
    crate::deploy_plan::review(ctx, &planned, args.yes)?;
    let created = tenant
        .deploy(&group.id, &images, Some(&planned.plan))
        .await?;
    let group = group_label(&group, &products);
    Ok(DeployView {
        group,
        uploads,
        created,
    })
}

fn is_file(item: &str) -> bool {
    Path::new(item).is_file()
}

/// The images named on the command line, files replaced by the ids they uploaded as.
fn image_ids(items: &[String], uploads: &[UploadResult]) -> Vec<ImageId> {
    let mut from_files = uploads.iter().filter_map(|r| r.image_id.clone());
    items
        .iter()
        .filter_map(|item| match is_file(item) {
            true => from_files.next(),
            false => Some(ImageId::new(item.trim())),
        })
        .collect()
}
