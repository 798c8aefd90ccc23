//! Generates the Tauri context (config, capabilities, icons) for the desktop shell.
//!
//! The app manifest lists every command, so each needs an explicit `allow-*` permission in
//! `src-tauri/capabilities/`: the web view can call exactly what the wizard uses.

const COMMANDS: &[&str] = &["app_info", "pick_packages", "inspect_packages"];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {error:#}");
    }
}
