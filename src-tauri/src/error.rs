//! The one error type every command returns: `{kind, message}` for the web view.
//!
//! `kind` is a stable snake_case string the UI may act on (see the GUI contract in
//! ARCHITECTURE.md); `message` is plain words saying what happened and what to do. Both are
//! built from the core's typed errors, whose texts never carry a secret.

use serde::Serialize;

use asg_fota_core::cloud::CloudError;
use asg_fota_core::profiles::ProfileError;
use asg_fota_core::secrets::SecretError;
use asg_fota_core::session::SessionError;
use asg_fota_core::workflow::deploy::DeployError;

#[derive(Debug, Clone, Serialize)]
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

impl From<CloudError> for CommandError {
    fn from(error: CloudError) -> Self {
        Self::new(ui_kind(error.kind()), error.to_string())
    }
}

impl From<ProfileError> for CommandError {
    fn from(error: ProfileError) -> Self {
        let kind = match &error {
            ProfileError::Damaged { .. } => "config_damaged",
            _ => "profile",
        };
        Self::new(kind, error.to_string())
    }
}

impl From<SecretError> for CommandError {
    fn from(error: SecretError) -> Self {
        let kind = match &error {
            SecretError::Unavailable { .. } => "keychain_unavailable",
            _ => "keychain",
        };
        Self::new(kind, error.to_string())
    }
}

impl From<SessionError> for CommandError {
    fn from(error: SessionError) -> Self {
        match error {
            SessionError::Cloud(error) => error.into(),
            SessionError::Profile(error) => error.into(),
            SessionError::Secret(error) => error.into(),
            // The core's text names the CLI; in the app the way out is the profile screen.
            SessionError::NotSignedIn { profile, .. } => Self::new(
                "signed_out",
                format!(
                    "Profile “{profile}” is not signed in. Open the profile screen and sign in."
                ),
            ),
            other => Self::new(ui_kind(other.kind()), other.to_string()),
        }
    }
}

impl From<DeployError> for CommandError {
    fn from(error: DeployError) -> Self {
        match error {
            DeployError::Cloud(error) => error.into(),
            other => Self::new(other.kind(), other.to_string()),
        }
    }
}

impl From<asg_fota_core::workflow::journal::JournalError> for CommandError {
    fn from(error: asg_fota_core::workflow::journal::JournalError) -> Self {
        Self::new("journal", error.to_string())
    }
}

/// The core's kinds, folded into the few the UI acts on where one fits.
fn ui_kind(kind: &'static str) -> &'static str {
    match kind {
        "unauthorized" | "not_signed_in" => "signed_out",
        "timeout" | "connect" | "connection_reset" | "transport" => "network",
        other => other,
    }
}
