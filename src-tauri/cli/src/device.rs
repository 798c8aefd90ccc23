//! `twin DEVICE` and `invoke DEVICE METHOD [--payload JSON]`: a gateway's IoT Hub twin, and a
//! direct method called on it (the profile's IoT Hub settings and keychain secret are used).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result};
use asg_fota_core::cloud::iothub::{MethodResponse, MethodTimeouts, Twin};
use asg_fota_core::cloud::model::DeviceId;
use clap::Args;

use crate::context::{Context, Output};

#[derive(Args, Debug)]
pub struct TwinArgs {
    /// The device id (128 hexadecimal characters).
    #[arg(value_name = "DEVICE")]
    device: String,
    #[command(flatten)]
    pub(crate) output: Output,
}

#[derive(Args, Debug)]
pub struct InvokeArgs {
    /// The device id (128 hexadecimal characters).
    #[arg(value_name = "DEVICE")]
    device: String,
    /// The direct method, e.g. RestartDevice or UpdateNodeFirmware.
    #[arg(value_name = "METHOD")]
    method: String,
    /// The method's JSON payload.
    #[arg(long, value_name = "JSON", default_value = "{}")]
    payload: String,
    /// Seconds IoT Hub waits for the device's answer (5..=300).
    #[arg(long, value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(5..=300))]
    timeout: u64,
    #[command(flatten)]
    pub(crate) output: Output,
}

pub async fn twin(ctx: &Context, args: TwinArgs) -> Result<ExitCode> {
    let device = DeviceId::parse(&args.device)?;
    let outcome = ctx
        .with_session(async |session| {
            let twin = session.iothub().await?.twin(&device).await?;
            let contract = session.device_contract().clone();
            anyhow::Ok((twin, contract))
        })
        .await;
    let (twin, contract) = outcome?;
    ctx.print(&twin, || describe_twin(&twin, &contract))?;
    Ok(ExitCode::SUCCESS)
}

fn describe_twin(twin: &Twin, contract: &asg_fota_core::profiles::DeviceContract) -> String {
    let text = |name: &str| {
        twin.reported(name)
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .unwrap_or_else(|| "-".to_owned())
    };
    let mut out = format!(
        "{:<12} {}\n{:<12} {}\n{:<12} {}\n{:<12} {}\n{:<12} {}\n{:<12} {}\n",
        format!("{}:", crate::say!("twin.device")),
        twin.device_id,
        format!("{}:", crate::say!("twin.connection")),
        twin.connection_state.as_deref().unwrap_or("-"),
        format!("{}:", crate::say!("twin.last_seen")),
        twin.last_activity_time.as_deref().unwrap_or("-"),
        format!("{}:", contract.hl_app_version_property),
        text(&contract.hl_app_version_property),
        format!("{}:", contract.rt_app_version_property),
        text(&contract.rt_app_version_property),
        format!("{}:", contract.node_fw_available_property),
        text(&contract.node_fw_available_property),
    );
    if let Some(nodes) = twin
        .reported(&contract.nodes_property)
        .and_then(|v| v.as_object())
    {
        out.push_str(&format!("{}:\n", crate::say!("twin.nodes")));
        for (mac, node) in nodes {
            let field = |k: &str| node.get(k).and_then(|v| v.as_str()).unwrap_or("-");
            out.push_str(&format!(
                "  {mac}  {}  {}  {}\n",
                field("name"),
                field("fwVersion"),
                field("status")
            ));
        }
    }
    out
}

pub async fn invoke(ctx: &Context, args: InvokeArgs) -> Result<ExitCode> {
    let device = DeviceId::parse(&args.device)?;
    let payload: serde_json::Value = serde_json::from_str(&args.payload)
        .with_context(|| crate::refusal!("error.payload_not_json", payload = args.payload))?;
    let timeouts = MethodTimeouts {
        response: Duration::from_secs(args.timeout),
        ..MethodTimeouts::default()
    };
    let answer: MethodResponse = ctx
        .with_tenant(async |tenant| {
            Ok(tenant
                .invoke(&device, &args.method, &payload, timeouts)
                .await?)
        })
        .await?;
    report_answer(ctx, &answer, &args.method)
}

/// Prints a direct method's answer; the device's own status decides the exit code, so a
/// pipeline notices a 404 or 409.
fn report_answer(ctx: &Context, answer: &MethodResponse, method: &str) -> Result<ExitCode> {
    ctx.print(
        &serde_json::json!({"status": answer.status, "payload": answer.payload}),
        || format!("status:  {}\npayload: {}\n", answer.status, answer.payload),
    )?;
    let ok = (200..300).contains(&answer.status);
    if !ok {
        eprintln!(
            "asg-fota-cli: {}",
            crate::say!("device.answered", status = answer.status, method = method)
        );
    }
    Ok(crate::update_now::exit_code(ok))
}
