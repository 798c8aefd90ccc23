//! The CLI's integration tests, one test binary (a binary per file links slowly on two cores).
//! They run the real `asg-fota-cli` binary against a simulated tenant. See docs/testing.md.

mod cloud_support;
mod cloud_verbs;
mod field_parity;
mod fleet_compliance;
mod flow;
mod inspect;
mod korean_errors;
mod korean_output;
mod leak;
mod migrate_check;
mod run_survival;
mod sim_cmd;
