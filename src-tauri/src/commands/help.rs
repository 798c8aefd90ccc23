//! Help: About (version, commit, build date, the dependencies' licences), opening the log
//! folder, "Save diagnostics…", and saving an export (Activity, steps 5 and 6) where the person
//! chooses. The save dialog goes through the picker seam, so the WebDriver tests can answer it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, State};

use crate::diagnostics::{self, Diagnostics, Saved};
use crate::logging::LogState;
use crate::picker::SavePick;
use crate::tenant::TenantConnection;
use crate::wire::CommandError;
use crate::AppState;

/// One dependency of the app and its licence, from `cargo metadata` (`src-tauri/licences.json`,
/// kept current by the test below).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct Licence {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) license: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct About {
    version: &'static str,
    commit: &'static str,
    /// Seconds since the Unix epoch when the build script ran (SOURCE_DATE_EPOCH if set).
    build_epoch: u64,
    os: String,
    log_dir: String,
    licences: Vec<Licence>,
}

const LICENCES_JSON: &str = include_str!("../../licences.json");

fn licences() -> Vec<Licence> {
    serde_json::from_str(LICENCES_JSON).unwrap_or_default()
}

fn about(logs: &LogState) -> About {
    About {
        version: env!("CARGO_PKG_VERSION"),
        commit: env!("ASG_FOTA_COMMIT"),
        build_epoch: env!("ASG_FOTA_BUILD_EPOCH").parse().unwrap_or(0),
        os: diagnostics::os_description(),
        log_dir: logs.dir.display().to_string(),
        licences: licences(),
    }
}

/// Help → About.
#[tauri::command]
pub(crate) fn about_info(logs: State<'_, LogState>) -> About {
    about(&logs)
}

/// Help → "Open log folder": shows the folder in the file manager and returns its path (the UI
/// shows it too, for when no file manager opens). `ASG_FOTA_NO_BROWSER` (tests) skips the opening.
#[tauri::command]
pub(crate) fn log_folder_open(logs: State<'_, LogState>) -> Result<String, CommandError> {
    std::fs::create_dir_all(&logs.dir).map_err(|error| {
        CommandError::new(
            "io",
            format!(
                "The log folder {} cannot be created: {error}",
                logs.dir.display()
            ),
        )
    })?;
    if std::env::var_os("ASG_FOTA_NO_BROWSER").is_none() {
        let opener = if cfg!(windows) {
            "explorer"
        } else if cfg!(target_os = "macos") {
            "open"
        } else {
            "xdg-open"
        };
        if let Err(error) = std::process::Command::new(opener).arg(&logs.dir).spawn() {
            tracing::warn!(%error, opener, "the log folder could not be opened");
        }
    }
    Ok(logs.dir.display().to_string())
}

/// The native save dialog (or the test seam); `None` when the person cancelled.
async fn pick_save(
    app: AppHandle,
    state: &AppState,
    request: SavePick,
) -> Result<Option<PathBuf>, CommandError> {
    let picker = state.picker.clone();
    tauri::async_runtime::spawn_blocking(move || picker.pick_save(&app, request))
        .await
        .map_err(|error| {
            CommandError::new("internal", format!("The file dialog failed: {error}"))
        })?
}

/// Help → "Save diagnostics…": asks where, then writes the zip. `title` is the dialog's title
/// in the UI's language. `None` when the person cancelled.
#[tauri::command]
pub(crate) async fn diagnostics_save(
    app: AppHandle,
    title: String,
    state: State<'_, AppState>,
    connection: State<'_, TenantConnection>,
    logs: State<'_, LogState>,
) -> Result<Option<Saved>, CommandError> {
    let request = SavePick {
        title,
        file_name: "asg-fota-diagnostics.zip".into(),
        extension: "zip",
    };
    let Some(out) = pick_save(app, &state, request).await? else {
        return Ok(None);
    };
    let saved = write_diagnostics(&out, &connection, &logs).await?;
    tracing::info!(path = %saved.path, files = saved.files.len(), "diagnostics saved");
    Ok(Some(saved))
}

/// Gathers what a support request needs (logs, journal, profiles, versions) and writes the zip
/// to `out`, every known secret cut out.
async fn write_diagnostics(
    out: &std::path::Path,
    connection: &TenantConnection,
    logs: &LogState,
) -> Result<Saved, CommandError> {
    let secrets = connection.known_secrets().await;
    let journal = connection.host.journal();
    let mut about = serde_json::to_value(about(logs)).unwrap_or_default();
    if let Some(map) = about.as_object_mut() {
        // The licence list is in every build; the zip need not carry it.
        map.remove("licences");
    }
    diagnostics::save(
        out,
        &Diagnostics {
            log_dir: &logs.dir,
            journal: journal.path(),
            profiles: connection
                .host
                .profiles()
                .ok()
                .and_then(|p| serde_json::to_string_pretty(&p).ok())
                .unwrap_or_default(),
            about,
            secrets: &secrets,
        },
    )
    .map_err(|error| {
        CommandError::new(
            "io",
            format!(
                "The diagnostics could not be written to {}: {error}",
                out.display()
            ),
        )
    })
}

/// Saves text the UI exported (CSV or JSON of the Activity view, step 5's gateways, step 6's
/// nodes) where the person chooses. Returns the path, `None` when cancelled.
#[tauri::command]
pub(crate) async fn export_save(
    app: AppHandle,
    title: String,
    file_name: String,
    contents: String,
    state: State<'_, AppState>,
) -> Result<Option<String>, CommandError> {
    let extension = if file_name.ends_with(".json") {
        "json"
    } else {
        "csv"
    };
    let request = SavePick {
        title,
        file_name,
        extension,
    };
    let Some(out) = pick_save(app, &state, request).await? else {
        return Ok(None);
    };
    std::fs::write(&out, contents).map_err(|error| {
        CommandError::new(
            "io",
            format!("{} could not be written: {error}", out.display()),
        )
    })?;
    Ok(Some(out.display().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dependencies and licences of the whole workspace, as `cargo metadata` reports them.
    fn from_cargo_metadata() -> Vec<Licence> {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let output = std::process::Command::new(cargo)
            .args(["metadata", "--format-version", "1", "--locked"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo metadata runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let members: Vec<&str> = metadata["workspace_members"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m.as_str())
            .collect();
        let mut list: Vec<Licence> = metadata["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| !members.contains(&p["id"].as_str().unwrap_or_default()))
            .map(|p| Licence {
                name: p["name"].as_str().unwrap_or_default().to_owned(),
                version: p["version"].as_str().unwrap_or_default().to_owned(),
                license: p["license"]
                    .as_str()
                    .map(str::to_owned)
                    .or_else(|| p["license_file"].as_str().map(|f| format!("see {f}")))
                    .unwrap_or_else(|| "not stated".into()),
            })
            .collect();
        list.sort();
        list.dedup();
        list
    }

    #[test]
    fn the_licence_list_is_current_with_cargo_lock() {
        let expected = from_cargo_metadata();
        if std::env::var_os("ASG_FOTA_BLESS").is_some() {
            let path =
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src-tauri/licences.json");
            let mut text = serde_json::to_string_pretty(&expected).unwrap();
            text.push('\n');
            std::fs::write(path, text).unwrap();
            return;
        }
        assert!(
            expected.len() > 100,
            "cargo metadata listed only {} packages",
            expected.len()
        );
        assert!(
            licences() == expected,
            "src-tauri/licences.json is out of date with Cargo.lock: run \
             `ASG_FOTA_BLESS=1 cargo test -p asg-fota --lib licence` and commit the file"
        );
    }
}
