//! Commands of the app itself and of step 2's local side: the picker and package inspection.

use std::path::PathBuf;

use tauri::{AppHandle, State};

use crate::logging::LogState;
use crate::picker::{self, PackagePick};
use crate::tenant::TenantConnection;
use crate::wire::{AppInfo, CommandError, InspectOutcome};
use crate::AppState;

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
    state: State<'_, AppState>,
) -> Result<Vec<String>, CommandError> {
    let request = PackagePick {
        start_folder: state.settings.last_package_folder(),
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

/// Step 2 calls this for picked or dropped files: reads each package's identity locally (the
/// core remembers each image's kind for later steps).
#[tauri::command]
pub(crate) async fn inspect_packages(
    paths: Vec<String>,
    connection: State<'_, TenantConnection>,
) -> Result<Vec<InspectOutcome>, CommandError> {
    let files: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
    let host = connection.inner();
    let reports = tokio::task::block_in_place(|| host.host.inspect(&files));
    Ok(paths
        .into_iter()
        .zip(reports)
        .map(|(file, read)| InspectOutcome::of(file, read))
        .collect())
}
