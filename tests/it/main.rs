//! The app's integration tests, one test binary (a binary per file links slowly on two cores).
//! Window tests drive the real app through tauri-driver and are `#[ignore]`d: `bash .ci/test`
//! runs them under Xvfb with `--include-ignored`. See docs/testing.md.

mod app_window;
mod command_surface;
mod desktop_window;
mod fleet_window;
mod korean_walk;
mod profile_screen;
mod run_reattach;
mod single_instance;
mod start_window;
mod wizard_flow;

/// The app binary the window tests open.
const APP: &str = env!("CARGO_BIN_EXE_asg-fota");

use asg_fota_testkit::window as harness;
