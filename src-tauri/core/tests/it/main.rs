//! The core's integration tests, one test binary (a binary per file links slowly on two cores).
//! Two tests keep binaries of their own because they change the whole process: `cloud_leak`
//! installs the global log subscriber and `cloud_proxy` sets proxy environment variables.
//! Keychain tests are `#[ignore]`d: `bash .ci/test` runs them against a real Secret Service with
//! `--include-ignored`. See docs/testing.md.

mod arm_request_bodies;
mod cloud_arm;
mod cloud_auth;
mod cloud_iothub;
mod cloud_legacy;
mod fault_matrix;
mod hostile_endpoint;
mod imagepackage_fixtures;
mod imagepackage_mutations;
mod imagepackage_oracle;
mod imagepackage_synthetic;
mod profiles_session;
mod secrets_keychain;
mod workflow_deploy;
mod workflow_journal;
mod workflow_nodes;
mod workflow_plan;
mod workflow_rollout;
mod workflow_support;
