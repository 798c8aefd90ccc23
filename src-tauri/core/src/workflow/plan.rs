//! Work in progress (helper-7): see workflow/mod.rs for what this module will own.
