//! The GUI contract's Rust side: every shape the web view receives or sends, in one module.
//!
//! `docs/gui-contract.json` is the authority for field names and types; `tests/gui_contract.rs`
//! serializes real answers and channel messages built here and checks them against it. Core
//! types that already have the contract's shape pass through as they are (gateways, nodes,
//! journal entries, package reports); everything else is mapped here, and only here.

mod compliance;
mod error;
mod events;
mod profiles;
mod views;

pub(crate) use compliance::*;
#[cfg(test)]
pub(crate) use error::GUI_KINDS;
pub(crate) use error::{fold, fold_journal, CommandError};
pub(crate) use events::*;
pub(crate) use profiles::*;
pub(crate) use views::*;

#[cfg(test)]
mod contract;
#[cfg(test)]
mod contract_tests;
