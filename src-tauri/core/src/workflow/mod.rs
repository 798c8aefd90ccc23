//! The FOTA workflow: the six steps of the guide, as core functions the GUI and the CLI share.
//!
//! Each submodule owns one part of the flow:
//! - `groups`: step 1's view of products and device groups with what their deployments hold;
//! - `upload`: step 2, uploading image packages (skipping what the tenant already holds);
//! - `plan`: step 3's preflight and diff, pure (inputs in, plan out, no IO);
//! - `deploy`: step 3's create and step 4's history and redeploy;
//! - `version`: firmware version parsing and numeric comparison (steps 5 and 6);
//! - `journal`: the local record of every change made to a tenant.

pub mod deploy;
pub mod groups;
pub mod journal;
pub mod plan;
pub mod upload;
pub mod version;
