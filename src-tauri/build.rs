//! Generates the Tauri context (config, capabilities, icons) for the desktop shell.

fn main() {
    // A fixed capabilities directory keeps tauri-build from rebuilding the app on every build.
    let attributes = tauri_build::Attributes::new().capabilities_path_pattern("./src-tauri/capabilities/**/*");
    tauri_build::try_build(attributes).expect("failed to run tauri-build");
}
