//! Commands of the app itself and of step 2's local side: the picker and package inspection.

use std::path::PathBuf;

use serde::Serialize;
use tauri::{AppHandle, State};

use asg_fota_core::cloud::model::ImageId;
use asg_fota_core::inspect::{self, PackageReport};
use asg_fota_core::workflow::upload;

use crate::error::CommandError;
use crate::logging::LogState;
use crate::picker::{self, PackagePick};
use crate::work::WorkInFlight;
use crate::AppState;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AppInfo {
    version: &'static str,
    locale: String,
    log_dir: String,
}

/// The UI calls this once at start: the version for the footer, the OS locale for the language.
#[tauri::command]
pub(crate) fn app_info(logs: State<'_, LogState>) -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        locale: asg_fota_core::locale::bcp47_from_os(&sys_locale::get_locale().unwrap_or_default()),
        log_dir: logs.dir.display().to_string(),
    }
}

/// "Add packages…" in step 2: opens the picker and returns the chosen paths (empty on cancel).
#[tauri::command]
pub(crate) async fn pick_packages(
    app: AppHandle,
    title: Option<String>,
    filter: Option<String>,
    state: State<'_, AppState>,
) -> Result<Vec<String>, CommandError> {
    let request = PackagePick {
        start_folder: state.settings.last_package_folder(),
        title,
        filter_name: filter,
    };
    let picker = state.picker.clone();
    let picked = tauri::async_runtime::spawn_blocking(move || picker.pick_packages(&app, request))
        .await
        .map_err(|error| {
            CommandError::new("internal", format!("The file dialog failed: {error}"))
        })??;
    if let Some(folder) = picker::folder_of(&picked) {
        state.settings.remember_package_folder(folder);
    }
    Ok(picked
        .into_iter()
        .map(|path| path.display().to_string())
        .collect())
}

/// One file's outcome: its identity, or why it cannot be read. One bad file never hides the others.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum InspectOutcome {
    Read {
        file: String,
        ok: bool,
        report: Box<PackageReport>,
    },
    Failed {
        file: String,
        ok: bool,
        error: CommandError,
    },
}

/// Step 2 calls this for picked or dropped files: reads each package's identity locally.
#[tauri::command]
pub(crate) async fn inspect_packages(
    paths: Vec<String>,
    work: State<'_, WorkInFlight>,
) -> Result<Vec<InspectOutcome>, CommandError> {
    let outcomes = tauri::async_runtime::spawn_blocking(move || {
        paths
            .into_iter()
            .map(|file| match inspect::inspect_file(&PathBuf::from(&file)) {
                Ok(report) => InspectOutcome::Read {
                    file,
                    ok: true,
                    report: Box::new(report),
                },
                Err(error) => {
                    tracing::info!(file = %file, kind = error.kind(), "package could not be read");
                    let error = CommandError::new(error.kind(), error.to_string());
                    InspectOutcome::Failed {
                        file,
                        ok: false,
                        error,
                    }
                }
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|error| {
        CommandError::new("internal", format!("Reading the packages failed: {error}"))
    })?;
    // Later steps need each image's kind, which only the package file tells.
    for outcome in &outcomes {
        if let InspectOutcome::Read { report, .. } = outcome {
            if let Some(kind) = upload::kind_of(report.as_ref()) {
                work.remember_kind(ImageId::new(report.image_id.clone()), kind);
            }
        }
    }
    Ok(outcomes)
}
