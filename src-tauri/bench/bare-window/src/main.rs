//! A bare Tauri 2 window: the floor the app's cold start and memory are measured against.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    if let Err(e) = tauri::Builder::default().run(tauri::generate_context!()) {
        eprintln!("the bare window could not run: {e}");
        std::process::exit(1);
    }
}
