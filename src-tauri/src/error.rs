//! The one error type every command returns: `{kind, message}` for the web view.
//!
//! `kind` is a stable snake_case string the UI may act on; `message` is plain words saying what
//! happened and what to do. Nothing secret is ever put in either.

use serde::Serialize;

#[derive(Debug, Serialize)]
pub(crate) struct CommandError {
    pub(crate) kind: &'static str,
    pub(crate) message: String,
}

impl CommandError {
    pub(crate) fn new(kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

impl From<tauri::Error> for CommandError {
    fn from(error: tauri::Error) -> Self {
        Self::new("internal", format!("The app could not do this: {error}"))
    }
}
