//! `compliance [--group G] [--show STATUS] [--json]`: where the fleet stands against each group's
//! current deployment — gateways on target, pending, failed, offline, unknown; nodes outdated, up
//! to date, updating — with the time and source of every figure. A thin adapter over
//! `asg_fota_core::workflow::compliance`; `--show` lists the gateways behind one figure (the
//! drill-down), to pipe into `update-now` or `nodes`. `--watch SECONDS` reads the report again
//! on that interval until Ctrl-C (with `--json`: one report a line), on one signed-in session.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use asg_fota_core::workflow::compliance::{
    ComplianceReport, Figure, GatewayFigures, GatewayStatus, NodeFigures, Source,
};
use clap::{Args, ValueEnum};

use crate::context::{cancel_on_ctrl_c, table, when, write_stdout, Context, Output};
use crate::update_now::{json_line, seconds};
use crate::{say, say_n};

#[derive(Args, Debug)]
pub struct ComplianceArgs {
    /// Only this device group: its id, `product/group`, or a group name that is unique.
    #[arg(long, short = 'g', value_name = "GROUP")]
    group: Option<String>,
    /// Print the gateways behind one figure, one id a line (with --json: the group rows of that
    /// status).
    #[arg(long, value_enum, value_name = "STATUS")]
    show: Option<ShowArg>,
    /// Read the report again every SECONDS until Ctrl-C (with --json: one report a line).
    #[arg(long, value_name = "SECONDS", conflicts_with = "show")]
    watch: Option<f64>,
    #[command(flatten)]
    pub(crate) output: Output,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ShowArg {
    OnTarget,
    Pending,
    Failed,
    Offline,
    Unknown,
    /// Gateways with at least one outdated node.
    NodesOutdated,
}

pub async fn run(ctx: &Context, args: ComplianceArgs) -> Result<ExitCode> {
    if let Some(every) = args.watch {
        let every = seconds(every, "--watch")?;
        return watch(ctx, args.group.as_deref(), every).await;
    }
    let group = args.group.as_deref();
    let report = ctx
        .with_tenant(async |tenant| Ok(tenant.compliance(group).await?))
        .await?;
    match args.show {
        Some(show) => drill_down(ctx, &report, show)?,
        None => ctx.print(&report, || human(&report))?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The report again and again, `every` apart, until Ctrl-C.
async fn watch(ctx: &Context, group: Option<&str>, every: Duration) -> Result<ExitCode> {
    let cancel = cancel_on_ctrl_c().await;
    ctx.with_tenant(async |tenant| {
        while !cancel.is_cancelled() {
            let report = tenant.compliance(group).await?;
            if ctx.output.json {
                json_line(&report)?;
            } else {
                write_stdout(&format!("{}\n", human(&report)))?;
            }
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = cancel.cancelled() => {}
            }
        }
        anyhow::Ok(())
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

/// The gateways behind one figure of the whole report.
fn drill_down(ctx: &Context, report: &ComplianceReport, show: ShowArg) -> Result<()> {
    let figure = match show {
        ShowArg::OnTarget => &report.gateways.on_target,
        ShowArg::Pending => &report.gateways.pending,
        ShowArg::Failed => &report.gateways.failed,
        ShowArg::Offline => &report.gateways.offline,
        ShowArg::Unknown => &report.gateways.unknown,
        ShowArg::NodesOutdated => &report.nodes.outdated,
    };
    if ctx.output.json {
        return ctx.print(figure, String::new);
    }
    let mut text = String::new();
    for id in &figure.gateways {
        text.push_str(id.as_str());
        text.push('\n');
    }
    write_stdout(&text)
}

fn sources(figure: &Figure) -> String {
    figure
        .sources
        .iter()
        .map(|s| match s {
            Source::ControlPlane => say!("source.control_plane"),
            Source::IotHubTwin => say!("source.twin"),
        })
        .collect::<Vec<_>>()
        .join("+")
}

fn gateway_cells(g: &GatewayFigures) -> Vec<String> {
    vec![
        g.total.to_string(),
        g.on_target.count.to_string(),
        g.pending.count.to_string(),
        g.failed.count.to_string(),
        g.offline.count.to_string(),
        g.unknown.count.to_string(),
    ]
}

fn node_cells(n: &NodeFigures) -> Vec<String> {
    vec![
        n.outdated.count.to_string(),
        n.up_to_date.count.to_string(),
        n.updating.count.to_string(),
    ]
}

fn human(report: &ComplianceReport) -> String {
    let mut rows = Vec::new();
    for product in &report.products {
        for group in &product.groups {
            let label = format!(
                "{}/{}",
                group.product_name.as_deref().unwrap_or("-"),
                group.group_name
            );
            let target = match &group.target {
                Some(t) if group.policy_blocks_apps => {
                    say!("compliance.policy_blocks", target = t.expected)
                }
                Some(t) => t.expected.clone(),
                None => say!("compliance.no_deployment"),
            };
            let mut row = vec![label];
            row.extend(gateway_cells(&group.gateways));
            row.extend(node_cells(&group.nodes));
            row.push(target);
            rows.push(row);
        }
    }
    let mut total = vec![say!("col.total")];
    total.extend(gateway_cells(&report.gateways));
    total.extend(node_cells(&report.nodes));
    total.push(String::new());
    rows.push(total);
    let mut text = table(
        &[
            &say!("col.group"),
            &say!("col.gateways"),
            &say!("col.on_target"),
            &say!("col.pending"),
            &say!("col.failed"),
            &say!("col.offline"),
            &say!("col.unknown"),
            &say!("col.nodes_outdated"),
            &say!("col.up_to_date"),
            &say!("col.updating"),
            &say!("col.target"),
        ],
        &rows,
    );
    text.push('\n');
    let figures = [
        (say!("figure.on_target"), GatewayStatus::OnTarget),
        (say!("figure.pending"), GatewayStatus::Pending),
        (say!("figure.failed"), GatewayStatus::Failed),
        (say!("figure.offline"), GatewayStatus::Offline),
        (say!("figure.unknown"), GatewayStatus::Unknown),
    ];
    for (name, status) in figures {
        let f = report.gateways.figure(status);
        if f.count > 0 {
            text.push_str(&say_n!(
                "compliance.figure",
                f.count,
                name = name,
                at = when(f.as_of),
                sources = sources(f),
            ));
            text.push('\n');
        }
    }
    let n = &report.nodes.outdated;
    if n.count > 0 {
        text.push_str(&say_n!(
            "compliance.nodes_outdated",
            n.gateways.len(),
            nodes = n.count,
            at = when(n.as_of),
            sources = sources(n),
        ));
        text.push('\n');
    }
    text.push_str(&say!(
        "compliance.read",
        from = when(Some(report.started_at)),
        to = when(Some(report.as_of)),
    ));
    text.push('\n');
    text
}
