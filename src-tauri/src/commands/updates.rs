//! "Check for updates" and "Install" of the app itself (not the gateways' firmware): adapters
//! over `crate::updates`, which owns the endpoint, the timing and the install route.

use tauri::AppHandle;

use crate::wire::CommandError;
use crate::updates::{self, UpdateCheck};

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateInstalled {
    version: String,
    restarting: bool,
}

/// Asks the update endpoint whether a newer version exists; never installs anything.
#[tauri::command]
pub(crate) async fn update_check(app: AppHandle) -> Result<UpdateCheck, CommandError> {
    updates::check(&app).await
}

/// Downloads, verifies and installs the update the last `update_check` found, after the user
/// chose to. With `restart`, the app then restarts into the new version (Windows installers
/// always end the app themselves).
#[tauri::command]
pub(crate) async fn update_install(
    app: AppHandle,
    restart: bool,
) -> Result<UpdateInstalled, CommandError> {
    let version = updates::install(&app).await?;
    if restart {
        // Let the answer reach the window before the process is replaced.
        let handle = app.clone();
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            handle.restart();
        });
    }
    Ok(UpdateInstalled {
        version,
        restarting: restart,
    })
}
