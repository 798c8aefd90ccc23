//! Generates the Tauri context (config, capabilities, icons) for the desktop shell.
//!
//! The app manifest lists every command, so each needs an explicit `allow-*` permission in
//! `src-tauri/capabilities/`: the web view can call exactly what the wizard uses.

const COMMANDS: &[&str] = &[
    "app_info",
    "pick_packages",
    "inspect_packages",
    "profiles_list",
    "profile_save",
    "profile_set_secret",
    "profile_remove",
    "profile_activate",
    "session_info",
    "sign_in_start",
    "sign_in_finish",
    "sign_in_cancel",
    "sign_in_service_principal",
    "sign_out",
    "groups_list",
    "deployment_plan",
    "deployment_create",
    "deployments_list",
    "packages_upload",
    "upload_cancel",
    "gateways_list",
    "update_now_start",
    "update_now_cancel",
    "nodes_list",
    "node_update_start",
    "node_update_cancel",
    "runs_list",
    "run_attach",
    "journal_recent",
    "update_check",
    "update_install",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {error:#}");
    }
}
