//! `move --group G DEVICE...`: devices into a device group (each move waits for the service's
//! operation to finish). One device failing does not stop the others; the exit code says whether
//! every move worked.

use std::process::ExitCode;

use anyhow::Result;
use asg_fota_core::session::group_label;
use asg_fota_core::tenant::Tenant;
use clap::Args;
use serde::Serialize;

use crate::context::{table, Context, Output};
use crate::say;

#[derive(Args, Debug)]
pub struct MoveArgs {
    /// The target device group: its id, `product/group`, or a unique group name.
    #[arg(long, short = 'g', value_name = "GROUP")]
    group: String,
    /// Device ids (128 hexadecimal characters).
    #[arg(value_name = "DEVICE", required = true)]
    devices: Vec<String>,
    #[command(flatten)]
    pub(crate) output: Output,
}

#[derive(Serialize)]
struct MoveRow {
    device: String,
    group: String,
    moved: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    /// The core's kind of `error`, to say it in the person's language (not in `--json`).
    #[serde(skip)]
    kind: Option<&'static str>,
}

pub async fn run(ctx: &Context, args: MoveArgs) -> Result<ExitCode> {
    let rows = ctx
        .with_tenant(async |tenant| move_in(tenant, &args).await)
        .await?;
    for row in &rows {
        if let Some(error) = &row.error {
            let said = match row.kind {
                Some(kind) => crate::lang::failure_line(kind, &serde_json::Map::new(), error),
                None => error.clone(),
            };
            eprintln!("asg-fota-cli: {}: {said}", short(&row.device));
        }
    }
    ctx.print(&rows, || rows_table(&rows))?;
    Ok(crate::update_now::exit_code(rows.iter().all(|r| r.moved)))
}

/// The human table: device, group, result.
fn rows_table(rows: &[MoveRow]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let result = if r.moved {
                say!("move.moved")
            } else {
                say!("result.failed")
            };
            vec![short(&r.device).to_owned(), r.group.clone(), result]
        })
        .collect();
    table(
        &[&say!("col.device"), &say!("col.group"), &say!("col.result")],
        &cells,
    )
}

async fn move_in(tenant: &Tenant, args: &MoveArgs) -> Result<Vec<MoveRow>> {
    let session = tenant.session();
    let group = session.find_group(&args.group).await?;
    let products = if group.product_name.is_none() {
        session.plane().products().await?
    } else {
        Vec::new()
    };
    let label = group_label(&group, &products);
    let mut rows = Vec::new();
    for text in &args.devices {
        let result = tenant.move_device(text, &group.id, &label).await;
        rows.push(MoveRow {
            device: text.trim().to_owned(),
            group: label.clone(),
            moved: result.is_ok(),
            kind: result.as_ref().err().map(|e| e.kind()),
            error: result.err().map(|e| e.to_string()),
        });
    }
    Ok(rows)
}

/// The first 16 characters of a device id, enough to tell devices apart in a terminal.
fn short(device: &str) -> &str {
    device.get(..16).unwrap_or(device)
}
