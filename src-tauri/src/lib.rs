//! The desktop shell of ASG FOTA: a thin Tauri 2 layer over `asg-fota-core`.
//!
//! It owns the window, the native file picker, logging to the OS log directory and the mapping of
//! core results to what the web view receives (`wire`). Every command is a short adapter over one
//! core call (see `commands/`); domain logic lives in the core, never here.

mod commands;
mod crash;
mod demo;
mod diagnostics;
mod logging;
mod picker;
mod rendering;
mod runs;
mod settings;
mod tenant;
mod updates;
mod window_state;
mod wire;

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
    // Before anything else: the choice is read from the environment by WebKit when it starts.
    let rendering = rendering::choose();
    crash::install_panic_hook();
    let mut builder = tauri::Builder::default();
    // Registered first, so a second launch hands over before anything else starts.
    if let Some(single_instance) = single_instance() {
        builder = builder.plugin(single_instance);
    }
    let app = builder
        .plugin(tauri_plugin_updater::Builder::new().build())
        // Size, position and maximized state come back as the person left them: the plugin
        // restores them and saves them on exit; `window_state` also saves each change (a kill or
        // crash is no exit) and keeps the restored window on a monitor and above the minimum.
        .plugin(
            tauri_plugin_window_state::Builder::default()
                .with_state_flags(window_state::flags())
                .build(),
        )
        .plugin(reload_guard())
        // Closing the window while a run is in flight asks first (the run goes on, or is
        // stopped cleanly through `close_after_runs`): it is never dropped.
        .on_window_event(|window, event| {
            if let Some(saver) = window.try_state::<window_state::SaveOnChange>() {
                saver.on_event(window.app_handle(), event);
            }
            if let tauri::WindowEvent::CloseRequested { api, .. } = event {
                let runs = window.state::<Arc<runs::Runs>>();
                if commands::runs::hold_close(window.app_handle(), &runs) {
                    api.prevent_close();
                }
            }
        })
        // The window is created hidden (tauri.conf.json) and shown once its page has loaded.
        // Without a GPU, WebKitGTK draws the page on the CPU, and a window shown before the web
        // process can paint makes the UI thread wait for it, up to 0.5 s, before the page even
        // starts loading (seen as start-ups ~0.5 s slower now and then, docs/benchmarks.md);
        // on every system it also spares the person a blank white frame.
        .on_page_load(|webview, payload| {
            if payload.event() == tauri::webview::PageLoadEvent::Finished {
                show_main_window(webview.app_handle());
            }
        })
        .setup(move |app| {
            crash::remember_app(app.handle());
            window_state::check_restored(app.handle());
            app.manage(window_state::SaveOnChange::default());
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
            app.manage(Arc::new(runs::Runs::default()));
            app.manage(AppState {
                picker: picker::from_environment(),
                settings: ShellSettings::load(config_dir.join("shell-settings.json")),
            });
            app.manage(updates::Updates::load(
                config_dir.join("update-settings.json"),
            ));
            updates::spawn_startup_check(app.handle());
            // Should the page never finish loading, the window shows anyway, with whatever the
            // web view has (an error page), rather than never.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                tokio::time::sleep(SHOW_AT_THE_LATEST).await;
                show_main_window(&handle);
            });
            tracing::info!(
                version = env!("CARGO_PKG_VERSION"),
                rendering = rendering.label(),
                "ASG FOTA started"
            );
            // Open the active profile's session while the web view loads, so step 1 does not
            // wait for the Demo tenant to start and sign in. A failure here is not shown: the
            // first command that needs the session opens it again and reports why.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                if let Err(error) = handle.state::<tenant::TenantConnection>().tenant().await {
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
            commands::deploy::groups_cached,
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
            commands::fleet::update_now_continue,
            commands::runs::runs_list,
            commands::runs::run_attach,
            commands::runs::runs_interrupted,
            commands::runs::run_resume,
            commands::runs::run_discard,
            commands::runs::close_after_runs,
            commands::journal::journal_recent,
            commands::help::about_info,
            commands::help::log_folder_open,
            commands::help::diagnostics_save,
            commands::help::export_save,
            commands::updates::update_check,
            commands::updates::update_install,
            // Issue 14: the Fleet screen and the migration screen.
            commands::compliance::compliance_report,
            commands::compliance::migration_check,
            commands::compliance::migration_profile_create,
            commands::compliance::legacy_retirement,
        ])
        .build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                // Stops the Demo tenant's simulator cleanly (saving nothing else: a renewed sign-in was
                // kept when it rotated).
                let connection = app.state::<tenant::TenantConnection>();
                tauri::async_runtime::block_on(connection.reset());
            }
        }),
        Err(error) => {
            // Without a window a native message box is the only place people will see it
            // (Windows release builds have no console); stderr still helps from a terminal.
            tracing::error!(%error, "ASG FOTA could not start");
            eprintln!("ASG FOTA could not start: {error}");
            crash::show_error(
                "ASG FOTA could not start",
                &format!(
                    "{error}\n\nIf this keeps happening, reinstall the app from the releases \
                     page ({}) or report this message.",
                    updates::RELEASES_URL
                ),
            );
            std::process::exit(1);
        }
    }
}

/// Release builds mark the page so that it blocks the reload keys (F5, Ctrl+R, Ctrl+Shift+R,
/// Cmd+R: `ui/js/reload-guard.js`): a reload would leave runs in flight unseen. Debug builds do
/// not, so the WebDriver tests can reload (the page reattaches to runs in flight either way).
fn reload_guard() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    let builder = tauri::plugin::Builder::new("reload-guard");
    if cfg!(debug_assertions) {
        builder.build()
    } else {
        builder
            .js_init_script("window.__ASG_FOTA_BLOCK_RELOAD__ = true;")
            .build()
    }
}

/// How long after set-up the hidden window is shown even if its page has not loaded.
const SHOW_AT_THE_LATEST: std::time::Duration = std::time::Duration::from_secs(5);

/// Shows the main window if it is still hidden (the page has loaded, or the fallback fired).
fn show_main_window(app: &tauri::AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        if !window.is_visible().unwrap_or(false) {
            if let Err(error) = window.show() {
                tracing::warn!(%error, "the window could not be shown");
            }
        }
    }
}

/// One running app at a time: a second launch focuses the first and exits. The instance is keyed
/// by the config directory, so an app started with its own `ASG_FOTA_CONFIG_DIR` (the WebDriver
/// tests, side-by-side setups) is independent: on Linux through its own D-Bus name; on Windows and
/// macOS, where the plugin's key is always the app identifier, by not registering the plugin.
fn single_instance() -> Option<tauri::plugin::TauriPlugin<tauri::Wry>> {
    let focus = |app: &tauri::AppHandle, _args: Vec<String>, _cwd: String| {
        if let Some(window) = app.get_webview_window("main") {
            let _ = window.unminimize();
            let _ = window.show();
            let _ = window.set_focus();
        }
    };
    let builder = tauri_plugin_single_instance::Builder::new().callback(focus);
    match std::env::var_os("ASG_FOTA_CONFIG_DIR") {
        None => Some(builder.build()),
        #[cfg(target_os = "linux")]
        Some(dir) => {
            use std::hash::{Hash, Hasher};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            dir.hash(&mut hasher);
            // D-Bus name elements may not start with a digit: prefix the hash with a letter.
            let id = format!("com.wiznet.asg_fota.i{:016x}", hasher.finish());
            Some(builder.dbus_id(id).build())
        }
        #[cfg(not(target_os = "linux"))]
        Some(_) => None,
    }
}
