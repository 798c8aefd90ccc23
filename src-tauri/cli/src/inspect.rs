//! `asg-fota-cli inspect`: reads image packages and reports what they are, as an aligned table
//! for people or as JSON (one `PackageReport` per readable file) for scripts.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use asg_fota_core::inspect::{inspect_file, PackageReport};
use clap::Args;

/// Show what Azure Sphere image packages contain.
#[derive(Args)]
#[command(
    long_about = "Reads each .imagepackage file and shows what it is: high-level app (HLApp), \
                  real-time app (RTApp), board configuration (BoardConfig) or another image \
                  type; its name, image id, component id, image type, build time and size.\n\n\
                  A file that is not a valid image package gets one line on stderr naming the file \
                  and the reason; the other files are still reported, and the exit code is 1.\n\n\
                  With --json, stdout is a JSON array with one object per file that could be \
                  read (imageId, componentId, imageType, imageTypeName, kind, name, builtAt, \
                  signingType, signingThumbprint, developmentTestCertificate, temporaryImage, \
                  targetApiSet, abiDepends, capabilities, sha256, sizeBytes)."
)]
pub struct InspectArgs {
    /// Print a JSON array of reports instead of a table.
    #[arg(long)]
    json: bool,

    /// The .imagepackage files to inspect.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
}

pub fn run(args: InspectArgs) -> anyhow::Result<ExitCode> {
    let mut reports = Vec::with_capacity(args.files.len());
    let mut failed = false;
    for path in &args.files {
        match inspect_file(path) {
            Ok(report) => reports.push(report),
            Err(err) => {
                failed = true;
                let english = format!("asg-fota-cli: {}", err.message());
                let said = match crate::lang::current() {
                    crate::lang::Lang::En => None,
                    lang => {
                        let mut params = serde_json::Map::new();
                        params.insert("file".into(), err.path().display().to_string().into());
                        crate::lang::kind_report(lang, err.kind(), &params, &err.message())
                    }
                };
                eprintln!("{}", said.unwrap_or(english));
            }
        }
    }
    let text = if args.json {
        let json =
            serde_json::to_string_pretty(&reports).context("cannot format the reports as JSON")?;
        json + "\n"
    } else {
        table(&reports)
    };
    crate::context::write_stdout(&text)?;
    Ok(crate::update_now::exit_code(!failed))
}

/// The reports as a table with a header row and columns padded to their widest cell.
fn table(reports: &[PackageReport]) -> String {
    if reports.is_empty() {
        return String::new();
    }
    let header = [
        "FILE",
        "KIND",
        "NAME",
        "IMAGE ID",
        "COMPONENT ID",
        "TYPE",
        "BUILT (UTC)",
        "SIZE",
    ]
    .map(String::from);
    let rows: Vec<[String; 8]> = reports
        .iter()
        .map(|r| {
            [
                r.file.clone(),
                r.kind.clone(),
                r.name.clone(),
                r.image_id.clone(),
                r.component_id.clone(),
                format!("{} {}", r.image_type, r.image_type_name),
                r.built_at.clone().unwrap_or_else(|| "-".into()),
                r.size_bytes.to_string(),
            ]
        })
        .collect();

    let mut widths = [0usize; 8];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            let pad = width - cell.chars().count();
            // Sizes line up on their last digit; everything else reads left to right.
            if i + 1 == row.len() {
                line.extend(std::iter::repeat_n(' ', pad));
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
