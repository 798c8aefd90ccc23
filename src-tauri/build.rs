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
    "groups_cached",
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
    "update_now_continue",
    "runs_list",
    "run_attach",
    "runs_interrupted",
    "run_resume",
    "run_discard",
    "close_after_runs",
    "journal_recent",
    "about_info",
    "log_folder_open",
    "diagnostics_save",
    "export_save",
    "update_check",
    "update_install",
    // Issue 14: the Fleet screen and the migration screen.
    "compliance_report",
    "migration_check",
    "migration_profile_create",
    "legacy_retirement",
];

fn main() {
    build_identity();
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {error:#}");
    }
}

/// The commit and build time Help → About shows: `ASG_FOTA_COMMIT` (short hash, "unknown"
/// outside a git checkout) and `ASG_FOTA_BUILD_EPOCH` (`SOURCE_DATE_EPOCH` when set, for
/// reproducible builds; otherwise now).
fn build_identity() {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=ASG_FOTA_COMMIT={commit}");
    // Rebuild the identity when HEAD moves (a commit, a checkout).
    for path in [
        Some("HEAD".to_owned()),
        git(&["symbolic-ref", "-q", "HEAD"]),
    ]
    .into_iter()
    .flatten()
    {
        if let Some(file) = git(&["rev-parse", "--git-path", &path]) {
            println!("cargo:rerun-if-changed={file}");
        }
    }
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        });
    println!("cargo:rustc-env=ASG_FOTA_BUILD_EPOCH={epoch}");
}
