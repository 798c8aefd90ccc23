//! The FOTA workflow: the six steps of the guide, as core functions the GUI and the CLI share.
//!
//! Each submodule owns one part of the flow:
//! - `groups`: step 1's view of products and device groups with what their deployments hold;
//! - `group_cache`: the last group list seen per profile, drawn at start-up before the tenant answers;
//! - `upload`: step 2, uploading image packages (skipping what the tenant already holds);
//! - `plan`: step 3's preflight and diff, pure (inputs in, plan out, no IO);
//! - `deploy`: step 3's create and step 4's history and redeploy;
//! - `version`: firmware version parsing and numeric comparison (steps 5 and 6);
//! - `journal`: the local record of every change made to a tenant.
//! - `fleet`: step 5's table, a group's gateways joined with their IoT Hub twins (batched queries);
//! - `rollout`: step 5's "update now" (move, restart, watch until on target);
//! - `nodes`: step 6's node matrix and node firmware updates;
//! - `compliance`: the fleet overview, every gateway and node against its group's deployment;
//! - `runs`: runs registered on disk (one per gateway at a time), interrupted runs and resume;
//! - `schedule`: phased rollouts (canary, batches, error threshold) and maintenance windows.

pub mod compliance;
pub mod deploy;
pub mod fleet;
pub mod group_cache;
pub mod groups;
pub mod journal;
pub mod nodes;
pub mod plan;
pub mod rollout;
pub mod runs;
pub mod schedule;
pub mod upload;
pub mod version;
