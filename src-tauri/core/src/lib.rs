//! ASG FOTA's core: every piece of domain logic, with no dependency on Tauri.
//!
//! The desktop shell (`asg-fota`), the command-line twin (`asg-fota-cli`) and the simulated tenant
//! (`asg-fota-sim`) are all thin layers over this crate.

pub mod browser;
pub mod cloud;
pub mod crash;
pub mod imagepackage;
pub mod inspect;
pub mod kinds;
pub mod locale;
pub mod logging;
pub mod migrate;
pub mod paths;
pub mod profiles;
pub mod secrets;
pub mod session;
pub mod tenant;
pub mod workflow;
