//! The simulator's conformance tests, one test binary (a binary per file links slowly on two
//! cores). They talk to the simulator with a plain `reqwest` client, never the product's own
//! clients, so that the two cannot share a mistake. See docs/testing.md.

mod arm_conformance;
mod arm_cross_api;
mod arm_independent;
mod arm_spec;
mod arm_support;
mod arm_throughput;
mod faults;
mod fleet;
mod identity;
mod iothub;
mod legacy_read;
mod legacy_write;
mod sim_harness;
