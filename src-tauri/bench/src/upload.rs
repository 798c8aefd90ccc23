//! Upload: 1 MiB and 8 MiB packages sent to the simulated tenant through the project's client
//! (`ControlPlane::upload_image`, what step 2's workflow calls), legacy (raw bytes POST) and ARM
//! (base64 in a JSON PUT), against `curl` sending the same bytes to the same endpoint with a valid
//! token. Each run uses a fresh simulator, so each upload really stores; after each one the
//! simulator's state must hold the image with exactly the file's length and SHA-256 (the
//! simulator hashes the bytes it received), so a corrupted or partial body cannot pass.
//!
//! Two figures per upload. The goal's: the **request** — from the call to the service's answer to
//! the upload request (for the client: the simulator journals the answer's time, read back from
//! its state; for curl: its `time_total`, the answer being a few hundred bytes; curl is told not to
//! send `Expect: 100-continue`, which the client does not send either). And the
//! **end-to-end** call, which also waits for the service to process the image (an operation or
//! LRO and one image read, which curl does not do), reported beside curl's `time_total`.
//!
//! The client runs in a child process (`upload-client`) that reports its peak resident memory
//! before and after the upload: the growth must stay below the file's size (both APIs accept a
//! streamed body, so the client never needs the package in memory).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, bail, Context};
use asg_fota_core::cloud::auth::scopes;
use asg_fota_core::cloud::model::ImageId;
use asg_fota_core::cloud::ImageSource;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::clients::{self, Plane};
use crate::memory;
use crate::package;
use crate::report::{median, UploadFigure};
use crate::simproc::{run_child, SimArgs, SimInfo, SimProcess};

/// The `upload-client` role's arguments.
#[derive(clap::Args, Debug)]
pub struct ClientArgs {
    /// The simulator's [`SimInfo`] as JSON.
    #[arg(long)]
    sim: String,
    #[arg(long, value_enum)]
    plane: Plane,
    #[arg(long)]
    file: PathBuf,
    #[arg(long)]
    image_id: String,
}

/// What the `upload-client` role prints.
#[derive(Debug, Serialize, Deserialize)]
pub struct ClientAnswer {
    /// `upload_image` from call to processed image, in seconds.
    seconds: f64,
    /// Wall clock at the call, in Unix nanoseconds (compared with the simulator's journal).
    started_unix_ns: i128,
    /// Peak resident memory before and after the upload, in bytes.
    peak_before: u64,
    peak_after: u64,
}

/// The `upload-client` role: sign in and open the connection first (not timed), then time one
/// upload.
pub async fn client(args: ClientArgs) -> anyhow::Result<()> {
    let sim: SimInfo = serde_json::from_str(&args.sim)?;
    let plane = clients::plane(&sim, args.plane, None)?;
    // Warm-up: the token and the keep-alive connection, as a signed-in app has them.
    plane.products().await?;
    let source = ImageSource::file(&args.file)?;
    let id = ImageId::new(args.image_id);
    let peak_before = memory::own_peak();
    let started_unix_ns = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    let started = Instant::now();
    let info = plane.upload_image(&source, &id).await?;
    let seconds = started.elapsed().as_secs_f64();
    let peak_after = memory::own_peak();
    if info.id != id {
        bail!("the service answered image {} for {}", info.id, id);
    }
    println!(
        "{}",
        serde_json::to_string(&ClientAnswer {
            seconds,
            started_unix_ns,
            peak_before,
            peak_after
        })?
    );
    Ok(())
}

/// Runs every upload figure `runs` times, client and curl alternating.
pub async fn run(runs: usize) -> anyhow::Result<Vec<UploadFigure>> {
    let dir = std::env::temp_dir().join(format!("asg-fota-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut figures = Vec::new();
    for (label, size) in [("1 MiB", 1usize << 20), ("8 MiB", 8usize << 20)] {
        let (id, bytes) = package::sized(&format!("BenchUpload_{}M", size >> 20), size);
        let file = dir.join(format!("bench-{}.imagepackage", size >> 20));
        std::fs::write(&file, &bytes)?;
        let sha256 = asg_fota_core::imagepackage::read(&bytes)
            .context("the benchmark's package reads")?
            .sha256_hex();
        let json = dir.join(format!("bench-{}.json", size >> 20));
        std::fs::write(
            &json,
            format!(
                "{{\"properties\":{{\"image\":\"{}\"}}}}",
                base64::engine::general_purpose::STANDARD.encode(&bytes)
            ),
        )?;
        drop(bytes);
        for plane in Plane::BOTH {
            let mut client_s = Vec::new();
            let mut curl_s = Vec::new();
            let mut client_total_s = Vec::new();
            let mut growth = 0u64;
            for _ in 0..runs {
                let sim = SimProcess::spawn(&SimArgs {
                    gateways: 24,
                    operation_ms: 0,
                    restart_ms: 10,
                    reboot_ms: 60,
                })
                .await?;
                curl_s.push(curl(&sim, plane, &id, &file, &json).await?);
                check_stored(&sim, &id, size, &sha256).await?;
                drop(sim);

                let sim = SimProcess::spawn(&SimArgs {
                    gateways: 24,
                    operation_ms: 0,
                    restart_ms: 10,
                    reboot_ms: 60,
                })
                .await?;
                let answer = run_client(&sim.info, plane, &file, &id).await?;
                check_stored(&sim, &id, size, &sha256).await?;
                client_s.push(answered_after(&sim, answer.started_unix_ns).await?);
                client_total_s.push(answer.seconds);
                growth = growth.max(answer.peak_after.saturating_sub(answer.peak_before));
            }
            let (client, curl) = (median(&client_s), median(&curl_s));
            let client_total = median(&client_total_s);
            println!(
                "upload {label} {}: request client {:.1} ms, curl {:.1} ms, ratio {:.2}; end-to-end client {:.1} ms; peak growth {}",
                plane.name(),
                client * 1e3,
                curl * 1e3,
                client / curl,
                client_total * 1e3,
                memory::mib(growth)
            );
            figures.push(UploadFigure {
                label,
                plane: plane.name(),
                file_bytes: size as u64,
                client_s: client,
                curl_s: curl,
                client_total_s: client_total,
                peak_growth: growth,
                client_runs: client_s,
                curl_runs: curl_s,
            });
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(figures)
}

/// The simulator must hold the image with exactly `size` bytes, hashing to `sha256`.
async fn check_stored(
    sim: &SimProcess,
    id: &ImageId,
    size: usize,
    sha256: &str,
) -> anyhow::Result<()> {
    let state = sim.state().await?;
    let image = state["images"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| {
            i["id"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(id.as_str()))
        })
        .ok_or_else(|| anyhow!("the tenant does not hold image {id} after its upload"))?;
    if image["length"].as_u64() != Some(size as u64) {
        bail!(
            "the tenant stored {} bytes of image {id}, not {size}",
            image["length"]
        );
    }
    if image["sha256"].as_str() != Some(sha256) {
        bail!(
            "the tenant stored image {id} with SHA-256 {}, not the file's {sha256}",
            image["sha256"]
        );
    }
    Ok(())
}

async fn run_client(
    sim: &SimInfo,
    plane: Plane,
    file: &Path,
    id: &ImageId,
) -> anyhow::Result<ClientAnswer> {
    run_child(vec![
        "upload-client".into(),
        "--sim".into(),
        serde_json::to_string(sim)?,
        "--plane".into(),
        plane.arg().into(),
        "--file".into(),
        file.display().to_string(),
        "--image-id".into(),
        id.as_str().into(),
    ])
    .await
}

/// Seconds from `started_unix_ns` to the simulator's answer to the upload request (its journal
/// entry of the image POST or PUT).
async fn answered_after(sim: &SimProcess, started_unix_ns: i128) -> anyhow::Result<f64> {
    let state = sim.state().await?;
    let at = state["journal"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| {
            let path = c["path"].as_str().unwrap_or_default();
            (c["method"] == "POST" && path.ends_with("/images"))
                || (c["method"] == "PUT" && path.contains("/images/"))
        })
        .and_then(|c| c["at"].as_str())
        .ok_or_else(|| anyhow!("the simulator journaled no upload request"))?;
    let at = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)?;
    Ok((at.unix_timestamp_nanos() - started_unix_ns) as f64 / 1e9)
}

/// `curl` sending the same bytes with a valid token: its `time_total`, in seconds.
async fn curl(
    sim: &SimProcess,
    plane: Plane,
    id: &ImageId,
    file: &Path,
    json: &Path,
) -> anyhow::Result<f64> {
    let info = &sim.info;
    let demo = &info.demo;
    let (method, url, content_type, body, scope) = match plane {
        Plane::Legacy => (
            "POST",
            format!("{}/v2/tenants/{}/images", info.legacy, demo.legacy_tenant_id),
            "application/octet-stream",
            file,
            scopes::LEGACY_SERVICE_PRINCIPAL,
        ),
        Plane::Arm => (
            "PUT",
            format!(
                "{}/subscriptions/{}/resourceGroups/{}/providers/Microsoft.AzureSphere/catalogs/{}/images/{}?api-version={}",
                info.arm,
                demo.subscription_id,
                demo.resource_group,
                demo.catalog,
                id,
                asg_fota_core::cloud::arm::API_VERSION
            ),
            "application/json",
            json,
            scopes::ARM_SERVICE_PRINCIPAL,
        ),
    };
    let token = sim.token(scope).await?;
    let mut command = std::process::Command::new("curl");
    command
        .args(["-sS", "--noproxy", "*", "-o", "/dev/null"])
        .args(["-w", "%{http_code} %{time_total}"])
        // `Expect: 100-continue` would add a round trip the client does not make.
        .args(["-H", "Expect:"])
        .args(["-X", method])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .args(["-H", &format!("Content-Type: {content_type}")])
        .arg("--data-binary")
        .arg(format!("@{}", body.display()))
        .arg(&url);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await?
        .context("running curl")?;
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    let mut parts = text.split_whitespace();
    let status: u16 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let seconds: f64 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("curl printed {text:?}"))?;
    if !(200..300).contains(&status) {
        bail!(
            "curl's {method} {url} answered {status}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(seconds)
}
