//! Step 6: `nodes [--group G | DEVICE...]` prints the WIZ750SR nodes behind gateways (current and
//! available firmware, whether an update is offered, an update in flight); `update-node DEVICE
//! MAC...` or `update-node --group G --all-outdated` updates nodes and follows each one's
//! progress in the gateway's twin. Exit 1 when any node did not end on the new firmware.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use asg_fota_core::cloud::model::DeviceId;
use asg_fota_core::session::Session;
use asg_fota_core::tenant::Tenant;
use asg_fota_core::workflow::nodes::{
    begin_node_run, outdated, planned_nodes, update_nodes_in, NodeEvent, NodeRef, NodeRow,
    NodeStage, NodeUpdateReport, NodeUpdateSettings,
};
use asg_fota_core::workflow::runs::RunKind;
use clap::Args;

use crate::context::{or_dash, table, when, write_stdout, Context, Output};
use crate::say;
use crate::update_now::{exit_code, json_line, progress_printer, reason_text, seconds, short};

#[derive(Args, Debug)]
pub struct NodesArgs {
    /// The gateways of this device group.
    #[arg(long, short = 'g', value_name = "GROUP", conflicts_with = "devices")]
    group: Option<String>,
    /// Gateway ids (128 hexadecimal characters).
    #[arg(value_name = "DEVICE", required_unless_present = "group")]
    devices: Vec<String>,
    #[command(flatten)]
    pub(crate) output: Output,
}

#[derive(Args, Debug)]
pub struct UpdateNodeArgs {
    /// The gateway, then the MACs of its nodes (12 hex digits, separators allowed).
    #[arg(value_name = "DEVICE MAC", required_unless_present_any = ["group", "resume"])]
    targets: Vec<String>,
    /// Continue an interrupted node update run (see `asg-fota-cli runs`): a node whose update was
    /// asked for and that already runs the new firmware, or is installing it, is not asked again.
    #[arg(long, value_name = "RUN_ID", conflicts_with_all = ["targets", "group", "all_outdated"])]
    resume: Option<String>,
    /// Work on the gateways of this device group (with --all-outdated).
    #[arg(long, short = 'g', value_name = "GROUP", requires = "all_outdated")]
    group: Option<String>,
    /// Every node whose gateway holds newer firmware than it runs.
    #[arg(long)]
    all_outdated: bool,
    /// Gateways worked on at the same time (nodes of one gateway go one after the other).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
    concurrency: Option<u32>,
    /// Seconds one node may take from the request to its new firmware.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    timeout: u64,
    /// Seconds between two reads of the gateway's twin (fractions allowed).
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    poll_interval: f64,
    #[command(flatten)]
    pub(crate) output: Output,
}

/// The gateways a verb names: the group's, or the ids given.
async fn gateways(session: &Session, group: Option<&str>, ids: &[String]) -> Result<Vec<DeviceId>> {
    match group {
        Some(spec) => {
            let group = session.find_group(spec).await?;
            Ok(session
                .plane()
                .devices(&group.id)
                .await?
                .into_iter()
                .map(|d| d.id)
                .collect())
        }
        None => ids
            .iter()
            .map(|t| DeviceId::parse(t).map_err(anyhow::Error::from))
            .collect(),
    }
}

pub async fn list(ctx: &Context, args: NodesArgs) -> Result<ExitCode> {
    let rows = ctx
        .with_tenant(async |tenant| {
            let ids = gateways(tenant.session(), args.group.as_deref(), &args.devices).await?;
            Ok(tenant.nodes(&ids).await?)
        })
        .await?;
    ctx.print(&rows, || matrix_table(&rows))?;
    Ok(ExitCode::SUCCESS)
}

fn matrix_table(rows: &[NodeRow]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let update = r.update.as_ref().map(|u| match u.percent {
                Some(p) if u.state == "InProgress" => format!("{} {p}%", node_state(&u.state)),
                _ => node_state(&u.state),
            });
            vec![
                short(&r.gateway_id).to_owned(),
                r.mac.clone(),
                or_dash(r.name.as_ref()),
                or_dash(r.current.as_ref()),
                or_dash(r.available.as_ref()),
                or_dash(r.status.as_deref().map(node_state)),
                if r.updatable {
                    say!("yes")
                } else {
                    "-".to_owned()
                },
                or_dash(update),
                when(Some(r.as_of)),
            ]
        })
        .collect();
    table(
        &[
            &say!("col.gateway"),
            "MAC",
            &say!("col.name"),
            &say!("col.current"),
            &say!("col.available"),
            &say!("col.status"),
            &say!("col.update"),
            &say!("col.in_flight"),
            &say!("col.as_of"),
        ],
        &cells,
    )
}

pub async fn update(ctx: &Context, args: UpdateNodeArgs) -> Result<ExitCode> {
    let poll_interval = seconds(args.poll_interval, "--poll-interval")?;
    let report = ctx
        .with_tenant(async |tenant| update_in(ctx, tenant, &args, poll_interval).await)
        .await?;
    if ctx.output.json {
        json_line(&report)?;
    } else {
        let (ok, failed) = (report.succeeded.len(), report.failed.len());
        let cancelled = report.cancelled.len();
        write_stdout(&format!(
            "{}\n",
            say!(
                "update_node.summary",
                ok = ok,
                failed = failed,
                cancelled = cancelled,
            )
        ))?;
    }
    Ok(exit_code(report.all_succeeded()))
}

async fn update_in(
    ctx: &Context,
    tenant: &Tenant,
    args: &UpdateNodeArgs,
    poll_interval: Duration,
) -> Result<NodeUpdateReport> {
    let cancel = crate::context::cancel_on_ctrl_c().await;
    let fleet = tenant.fleet().await?;
    let (nodes, resumed) = match &args.resume {
        Some(id) => {
            let runs = tenant.runs();
            let (run, plan) = runs.resume_as(id, RunKind::NodeUpdate, tenant.name())?;
            let history = runs.history(&plan)?;
            (planned_nodes(&plan)?, Some((run, history)))
        }
        None => (chosen_nodes(tenant, args).await?, None),
    };
    if nodes.is_empty() {
        if !ctx.output.json {
            write_stdout(&format!("{}\n", say!("update_node.none")))?;
        }
        return Ok(NodeUpdateReport::default());
    }
    let settings = NodeUpdateSettings {
        concurrency: args.concurrency.unwrap_or(tenant.concurrency()).max(1) as usize,
        poll_interval,
        deadline: Duration::from_secs(args.timeout),
        ..tenant.node_settings()
    };
    let (run, history) = match resumed {
        Some((run, history)) => (run, Some(history)),
        None => (begin_node_run(&fleet, &nodes)?, None),
    };
    if !ctx.output.json {
        let (id, n) = (run.id(), nodes.len());
        write_stdout(&format!(
            "{}\n",
            say!("update_node.head", run = id, count = n)
        ))?;
    }
    let print = progress_printer(ctx.output.json, describe);
    Ok(update_nodes_in(
        &fleet,
        run,
        nodes,
        history.as_ref(),
        &settings,
        &cancel,
        &print,
    )
    .await)
}

/// The nodes `update-node` works on: the MACs given for one gateway, or every outdated node of
/// the gateway or the group.
async fn chosen_nodes(tenant: &Tenant, args: &UpdateNodeArgs) -> Result<Vec<NodeRef>> {
    if args.all_outdated {
        let ids = gateways(tenant.session(), args.group.as_deref(), &args.targets).await?;
        return Ok(outdated(&tenant.nodes(&ids).await?));
    }
    let Some((device, macs)) = args.targets.split_first() else {
        return Err(crate::refusal!("error.no_gateway").into());
    };
    if macs.is_empty() {
        return Err(crate::refusal!("error.no_mac").into());
    }
    let gateway_id = DeviceId::parse(device)?;
    Ok(macs
        .iter()
        .map(|mac| NodeRef {
            gateway_id: gateway_id.clone(),
            mac: mac.clone(),
        })
        .collect())
}

/// A node's status or update state as the gateway reports it, in the chosen language when it is
/// one the device contract names; any other word is the device's own and shown as it is.
fn node_state(state: &str) -> String {
    match state {
        "READY" => say!("node.ready"),
        "InProgress" => say!("node.installing"),
        "Succeeded" => say!("node.succeeded"),
        "Failed" => say!("node.failed"),
        other => other.to_owned(),
    }
}

fn describe(event: &NodeEvent) -> String {
    let state = match event.state {
        NodeStage::Requested => say!("stage.requested"),
        NodeStage::InProgress => say!("node.in_progress", percent = event.percent.unwrap_or(0)),
        NodeStage::Succeeded => match event.version.as_deref() {
            Some(version) => say!("node.updated_to", version = version),
            None => say!("node.updated"),
        },
        NodeStage::Failed => say!("result.failed"),
        NodeStage::Cancelled => say!("result.cancelled"),
    };
    let mut line = format!(
        "{}  {}  {}  {state}",
        when(Some(event.at)),
        short(&event.gateway_id),
        event.mac
    );
    if let Some(error) = &event.error {
        line.push_str(": ");
        line.push_str(&reason_text(event.kind, error));
    }
    line.push('\n');
    line
}
