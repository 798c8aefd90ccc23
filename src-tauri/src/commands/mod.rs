//! Tauri commands: short adapters from the web view to the core, one module per area.
//!
//! Each command takes state, converts its input, calls one core function and converts the
//! output. No domain logic lives here, and nothing secret is ever returned. The shapes are the
//! GUI contract (`ui/js/backend.js` is the other side).

pub(crate) mod packages;
pub(crate) mod profiles;
