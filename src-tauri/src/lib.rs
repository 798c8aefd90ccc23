//! The desktop shell of ASG FOTA: a thin Tauri 2 layer over `asg-fota-core`.
//!
//! It owns the window, the native file picker, logging to the OS log directory and the mapping of
//! core results to what the web view receives. Every command is a short adapter (see
//! `commands.rs`); domain logic lives in the core, never here.

mod commands;
mod diagnostics;
mod error;
mod logging;
mod picker;
mod settings;
mod tenant;
mod work;

use std::sync::Arc;

use tauri::Manager;

use crate::picker::FilePicker;
use crate::settings::ShellSettings;

/// What every command can reach. Secrets are deliberately absent: they stay in the core's
/// keychain store and never cross to the web view.
pub(crate) struct AppState {
    pub(crate) picker: Arc<dyn FilePicker>,
    pub(crate) settings: ShellSettings,
}

/// Starts the desktop app; called by `main`.
pub fn run() {
    let app = tauri::Builder::default()
        // Size, position and maximized state come back as the person left them.
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .setup(|app| {
            let log_dir = logging::log_dir(app.handle());
            // Logging is best effort: the app stays usable when the log directory is read-only.
            let guard = logging::init(&log_dir);
            app.manage(logging::LogState {
                dir: log_dir,
                _guard: guard,
            });
            let config_dir = app.path().app_config_dir()?;
            let dirs = asg_fota_core::paths::AppDirs::discover()
                .map_err(|error| Box::new(error) as Box<dyn std::error::Error>)?;
            app.manage(tenant::TenantConnection::new(dirs));
            app.manage(work::WorkInFlight::default());
            app.manage(AppState {
                picker: picker::from_environment(),
                settings: ShellSettings::load(config_dir.join("shell-settings.json")),
            });
            tracing::info!(version = env!("CARGO_PKG_VERSION"), "ASG FOTA started");
            // Open the active profile's session while the web view loads, so step 1 does not
            // wait for the Demo tenant to start and sign in. A failure here is not shown: the
            // first command that needs the session opens it again and reports why.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                if let Err(error) = handle.state::<tenant::TenantConnection>().session().await {
                    tracing::info!(kind = error.kind, "the session did not open at start-up");
                }
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::packages::app_info,
            commands::packages::pick_packages,
            commands::packages::inspect_packages,
            commands::profiles::profiles_list,
            commands::profiles::profile_save,
            commands::profiles::profile_set_secret,
            commands::profiles::profile_remove,
            commands::profiles::profile_activate,
            commands::profiles::session_info,
            commands::profiles::sign_in_start,
            commands::profiles::sign_in_finish,
            commands::profiles::sign_in_cancel,
            commands::profiles::sign_in_service_principal,
            commands::profiles::sign_out,
            commands::deploy::groups_list,
            commands::deploy::deployment_plan,
            commands::deploy::deployment_create,
            commands::deploy::deployments_list,
            commands::upload::packages_upload,
            commands::upload::upload_cancel,
            commands::fleet::gateways_list,
            commands::fleet::update_now_start,
            commands::fleet::update_now_cancel,
            commands::fleet::nodes_list,
            commands::fleet::node_update_start,
            commands::fleet::node_update_cancel,
            commands::journal::journal_recent,
            commands::help::about_info,
            commands::help::log_folder_open,
            commands::help::diagnostics_save,
            commands::help::export_save,
        ])
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                // Keeps a renewed sign-in and stops the Demo tenant's simulator cleanly.
                let connection = app.state::<tenant::TenantConnection>();
                tauri::async_runtime::block_on(connection.reset());
            }
        }),
        Err(error) => {
            // Without a window there is nowhere else to say it.
            eprintln!("ASG FOTA could not start: {error}");
            std::process::exit(1);
        }
    }
}
