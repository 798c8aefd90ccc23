//! The read-only verbs over the control plane: `groups`, `devices --group G`, `images`,
//! `deployments --group G`.

use std::process::ExitCode;

use anyhow::Result;
use asg_fota_core::cloud::model::{Deployment, Device, DeviceGroup, ImageInfo, ImageState};
use asg_fota_core::session::group_label;
use clap::Args;
use serde::Serialize;

use crate::context::{or_dash, table, when, Context, Output};
use crate::say;

/// A verb that works on one device group.
#[derive(Args, Debug)]
pub struct GroupArgs {
    /// The device group: its id, `product/group`, or a group name that is unique.
    #[arg(long, short = 'g', value_name = "GROUP")]
    pub group: String,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Serialize)]
struct GroupView {
    label: String,
    #[serde(flatten)]
    group: DeviceGroup,
}

pub async fn groups(ctx: &Context) -> Result<ExitCode> {
    let (groups, products) = ctx
        .with_session(async |session| {
            let groups = session.plane().device_groups().await?;
            Ok((groups, session.plane().products().await?))
        })
        .await?;
    let views: Vec<GroupView> = groups
        .into_iter()
        .map(|group| GroupView {
            label: group_label(&group, &products),
            group,
        })
        .collect();
    ctx.print(&views, || groups_table(&views))?;
    Ok(ExitCode::SUCCESS)
}

fn groups_table(views: &[GroupView]) -> String {
    let rows: Vec<Vec<String>> = views
        .iter()
        .map(|v| {
            vec![
                v.label.clone(),
                or_dash(v.group.update_policy.as_ref().map(|p| format!("{p:?}"))),
                or_dash(v.group.os_feed.as_ref().map(|f| format!("{f:?}"))),
                v.group.id.to_string(),
            ]
        })
        .collect();
    table(
        &[
            &say!("col.group"),
            &say!("col.update_policy"),
            &say!("col.os_feed"),
            "ID",
        ],
        &rows,
    )
}

pub async fn devices(ctx: &Context, args: GroupArgs) -> Result<ExitCode> {
    let listed = ctx
        .with_session(async |session| {
            let group = session.find_group(&args.group).await?;
            let devices = session.plane().devices(&group.id).await?;
            anyhow::Ok(devices)
        })
        .await;
    let devices: Vec<Device> = listed?;
    ctx.print(&devices, || {
        let rows: Vec<Vec<String>> = devices
            .iter()
            .map(|d| {
                vec![
                    d.id.to_string(),
                    or_dash(d.last_installed_os_version.as_ref()),
                    when(d.last_update_request),
                ]
            })
            .collect();
        table(
            &[&say!("col.device"), "OS", &say!("col.last_update_check")],
            &rows,
        )
    })?;
    Ok(ExitCode::SUCCESS)
}

pub async fn images(ctx: &Context) -> Result<ExitCode> {
    let images: Vec<ImageInfo> = ctx
        .with_session(async |session| Ok(session.plane().images().await?))
        .await?;
    ctx.print(&images, || image_table(&images))?;
    Ok(ExitCode::SUCCESS)
}

pub fn image_table(images: &[ImageInfo]) -> String {
    let rows: Vec<Vec<String>> = images
        .iter()
        .map(|i| {
            vec![
                i.id.to_string(),
                or_dash(i.name.as_ref()),
                or_dash(i.component_id.as_ref()),
                or_dash(i.image_type.as_ref().map(|t| image_type(t))),
                image_state(&i.state),
            ]
        })
        .collect();
    table(
        &[
            &say!("col.image"),
            &say!("col.name"),
            &say!("col.component"),
            &say!("col.type"),
            &say!("col.state"),
        ],
        &rows,
    )
}

/// The legacy image type names the core gives (`Applications`, `CustomerBoardConfig`), in
/// Korean as the app shows them.
fn image_type(name: &str) -> String {
    let key = match name {
        "Applications" => "imageType.10",
        "CustomerBoardConfig" => "imageType.21",
        other => return other.to_owned(),
    };
    crate::lang::korean_or(key, name)
}

fn image_state(state: &ImageState) -> String {
    match state {
        ImageState::Ready => say!("image.ready"),
        ImageState::Processing => say!("image.processing"),
        ImageState::Failed => say!("image.failed"),
        ImageState::Unknown => say!("image.unknown"),
    }
}

#[derive(Serialize)]
struct DeploymentView {
    current: bool,
    #[serde(flatten)]
    deployment: Deployment,
}

pub async fn deployments(ctx: &Context, args: GroupArgs) -> Result<ExitCode> {
    let (all, current) = ctx
        .with_session(async |session| {
            let group = session.find_group(&args.group).await?;
            let all = session.plane().deployments(&group.id).await?;
            Ok((all, session.plane().current_deployment(&group.id).await?))
        })
        .await?;
    let current_id = current.map(|d| d.id);
    let views: Vec<DeploymentView> = all
        .into_iter()
        .map(|deployment| DeploymentView {
            current: Some(&deployment.id) == current_id.as_ref(),
            deployment,
        })
        .collect();
    ctx.print(&views, || deployments_table(&views))?;
    Ok(ExitCode::SUCCESS)
}

fn deployments_table(views: &[DeploymentView]) -> String {
    let rows: Vec<Vec<String>> = views
        .iter()
        .map(|v| {
            let images: Vec<String> = v
                .deployment
                .images
                .iter()
                .map(ToString::to_string)
                .collect();
            vec![
                if v.current { "*" } else { "" }.to_owned(),
                v.deployment.id.to_string(),
                when(v.deployment.deployed_at),
                images.join(" "),
            ]
        })
        .collect();
    table(
        &[
            "",
            &say!("col.deployment"),
            &say!("col.date"),
            &say!("col.images"),
        ],
        &rows,
    )
}
