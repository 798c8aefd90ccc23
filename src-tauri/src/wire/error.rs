//! The one error type every command returns, `{kind, message, params?}`, and the one fold of the
//! core's error kinds into the GUI's.
//!
//! `kind` is one of [`GUI_KINDS`] (each has a title, a message and an action in both UI
//! catalogs; `docs/gui-contract.json` lists them); `message` is the core's plain-words detail;
//! `params` are non-secret values the catalogs interpolate. Every `CommandError` is built through
//! [`CommandError::new`], which folds: no other place turns a core kind into a GUI kind.

use serde::Serialize;
use serde_json::{Map, Value};

use asg_fota_core::cloud::CloudError;
use asg_fota_core::inspect::InspectError;
use asg_fota_core::session::SessionError;
use asg_fota_core::tenant::{cloud_params, TenantError};
use asg_fota_core::workflow::runs::RunError;
use asg_fota_core::workflow::schedule::ScheduleError;

#[cfg(test)]
pub(crate) use asg_fota_core::kinds::GUI_KINDS;
pub(crate) use asg_fota_core::kinds::{fold, fold_journal};

#[derive(Debug, Clone, Serialize)]
pub(crate) struct CommandError {
    pub(crate) kind: &'static str,
    pub(crate) message: String,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub(crate) params: Map<String, Value>,
}

impl CommandError {
    /// An error of the core's kind `core_kind`, folded into the GUI's.
    pub(crate) fn new(core_kind: &str, message: impl Into<String>) -> Self {
        Self {
            kind: fold(core_kind),
            message: message.into(),
            params: Map::new(),
        }
    }

    pub(crate) fn with_params(mut self, params: Map<String, Value>) -> Self {
        self.params = params;
        self
    }
}

impl From<tauri::Error> for CommandError {
    fn from(error: tauri::Error) -> Self {
        Self::new("internal", format!("The app could not do this: {error}"))
    }
}

impl From<CloudError> for CommandError {
    fn from(error: CloudError) -> Self {
        let params = cloud_params(&error);
        Self::new(error.kind(), error.to_string()).with_params(params)
    }
}

impl From<RunError> for CommandError {
    fn from(error: RunError) -> Self {
        let params = error.params();
        Self::new(error.kind(), error.to_string()).with_params(params)
    }
}

impl From<ScheduleError> for CommandError {
    fn from(error: ScheduleError) -> Self {
        Self::new("invalid_input", error.to_string())
    }
}

impl From<InspectError> for CommandError {
    fn from(error: InspectError) -> Self {
        let mut params = Map::new();
        params.insert("file".into(), error.path().display().to_string().into());
        if let InspectError::Package { source, .. } = &error {
            params.insert("offset".into(), source.offset().into());
        }
        Self::new(error.kind(), error.message()).with_params(params)
    }
}

impl From<asg_fota_core::profiles::ProfileError> for CommandError {
    fn from(error: asg_fota_core::profiles::ProfileError) -> Self {
        TenantError::from(error).into()
    }
}

impl From<TenantError> for CommandError {
    fn from(error: TenantError) -> Self {
        let params = error.params();
        let message = match &error {
            // The core's text names the CLI; in the app the way out is the profile screen.
            TenantError::Session(SessionError::NotSignedIn { profile, .. }) => format!(
                "Profile “{profile}” is not signed in. Open the profile screen and sign in."
            ),
            other => other.to_string(),
        };
        Self::new(error.kind(), message).with_params(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every core kind the core can produce, and the GUI kind it becomes.
    const TABLE: &[(&str, &str)] = &[
        // CloudError
        ("unauthorized", "signed_out"),
        ("forbidden", "forbidden"),
        ("not_found", "not_found"),
        ("conflict", "conflict"),
        ("rejected", "rejected"),
        ("throttled", "throttled"),
        ("service", "service"),
        ("device_offline", "device_offline"),
        ("device_timeout", "device_timeout"),
        ("decode", "service"),
        ("timeout", "network"),
        ("connect", "network"),
        ("connection_reset", "network"),
        ("transport", "network"),
        ("redirected", "network"),
        ("response_too_large", "service"),
        ("endless_paging", "service"),
        ("operation_failed", "operation_failed"),
        ("deadline_exceeded", "timed_out"),
        ("cancelled", "cancelled"),
        ("sign_in", "sign_in_failed"),
        ("invalid_input", "invalid_input"),
        ("file", "io"),
        // SessionError
        ("profile", "profile"),
        ("config_damaged", "config_damaged"),
        ("keychain_unavailable", "keychain_unavailable"),
        ("keychain", "keychain"),
        ("not_signed_in", "signed_out"),
        ("missing_setting", "profile"),
        ("choose_tenant", "choose_tenant"),
        ("no_iothub", "profile"),
        ("demo_needs_simulator", "demo_unavailable"),
        ("no_refresh_token", "signed_out"),
        ("group_not_found", "not_found"),
        ("ambiguous_group", "invalid_input"),
        // DeployError, TenantError
        ("preflight_failed", "preflight_failed"),
        ("journal", "journal"),
        ("demo_start", "demo_unavailable"),
        ("policy_blocks_updates", "policy_blocks_updates"),
        // InspectError and upload failures
        ("io", "io"),
        ("too_large", "too_large"),
        ("damaged_package", "damaged_package"),
        ("internal", "internal"),
        // Rollout failures
        ("restart_rejected", "restart_rejected"),
        ("timed_out", "timed_out"),
        // Node failures (workflow/nodes.rs)
        ("unknown_node", "node_not_found"),
        ("node_busy", "node_busy"),
        ("no_firmware_available", "node_no_firmware"),
        ("update_rejected", "node_update_failed"),
        ("node_update_failed", "node_update_failed"),
        // Runs (one run per gateway at a time)
        ("run_in_flight", "run_in_flight"),
        ("run_ended", "not_found"),
        // The app updater
        ("update_busy", "update_busy"),
        ("update_manual", "update_manual"),
        ("update_signature", "update_signature"),
        ("update_network", "network"),
        ("update_install", "update_failed"),
        ("update_endpoint", "update_failed"),
        ("update_none", "update_failed"),
        // Anything new folds into `internal` until it is given a place here.
        ("a_kind_nobody_made_yet", "internal"),
    ];

    #[test]
    fn every_core_kind_folds_into_the_gui_kind_of_the_table() {
        for (core, gui) in TABLE {
            assert_eq!(fold(core), *gui, "fold({core:?})");
        }
    }

    /// A node update journaled before its failure became `node_update_failed` said
    /// `update_failed`: in the Activity view it is the node's failure, not the app updater's.
    #[test]
    fn journal_kinds_of_node_updates() {
        assert_eq!(fold_journal("update_failed", true), "node_update_failed");
        assert_eq!(fold_journal("update_failed", false), "update_failed");
        assert_eq!(fold_journal("node_busy", true), "node_busy");
        assert_eq!(fold_journal("unknown_node", false), "node_not_found");
    }

    /// Issue 13: a kind with a real meaning is said as that meaning, never as "internal error".
    #[test]
    fn no_core_kind_with_a_meaning_folds_into_internal() {
        let generic: Vec<&str> = TABLE
            .iter()
            .filter(|(core, gui)| {
                *gui == "internal" && !matches!(*core, "internal" | "a_kind_nobody_made_yet")
            })
            .map(|(core, _)| *core)
            .collect();
        assert!(generic.is_empty(), "fold into internal: {generic:?}");
    }

    #[test]
    fn a_session_error_carries_its_values_as_params() {
        let choose = CommandError::from(TenantError::Session(SessionError::ChooseTenant {
            profile: "field".into(),
            found: vec!["t1 (Plant A)".into(), "t2 (Plant B)".into()],
        }));
        assert_eq!(choose.kind, "choose_tenant");
        assert_eq!(choose.params["profile"], "field");
        assert_eq!(choose.params["tenants"], "t1 (Plant A), t2 (Plant B)");
        let demo = CommandError::from(TenantError::DemoStart("port in use".into()));
        assert_eq!(demo.kind, "demo_unavailable");
        assert_eq!(demo.message, "The Demo tenant could not start: port in use");
    }

    /// Every `reason` the core gives an error is a more exact message in both catalogs (the
    /// window and the CLI say it instead of the kind's own), with the placeholders it fills.
    #[test]
    fn every_reason_of_an_error_has_its_message_in_both_catalogs() {
        use asg_fota_core::profiles::ProfileError;
        let profile = |e: ProfileError| CommandError::from(TenantError::from(e));
        let errors = [
            TenantError::EmptySecret.into(),
            TenantError::DemoSignsItselfIn.into(),
            CommandError::from(RunError::OtherKind {
                id: "update-1".into(),
                how: "a node update run",
            }),
            RunError::OtherProfile {
                id: "update-1".into(),
                profile: "field".into(),
            }
            .into(),
            RunError::DamagedPlan {
                id: "update-1".into(),
                what: "no group",
            }
            .into(),
            asg_fota_core::cloud::model::DeviceId::parse("abc")
                .expect_err("too short")
                .into(),
            CloudError::InvalidInput {
                what: "service URL",
                reason: "not https".into(),
            }
            .into(),
            CloudError::InvalidInput {
                what: "IoT Hub connection string",
                reason: "no HostName".into(),
            }
            .into(),
            profile(ProfileError::Invalid {
                profile: "field".into(),
                field: "api_base_url",
                reason: "not a URL".into(),
            }),
            profile(ProfileError::InvalidName {
                name: "a/b".into(),
                reason: "it contains a slash".into(),
            }),
        ];
        let catalogs = [
            ("en", include_str!("../../../ui/i18n/en.js")),
            ("ko", include_str!("../../../ui/i18n/ko.js")),
        ];
        for error in errors {
            let reason = error.params["reason"].as_str().expect("a reason");
            let key = format!("'errors.{}.reason.{reason}': '", error.kind);
            for (lang, catalog) in catalogs {
                let line = catalog
                    .lines()
                    .find_map(|l| l.trim_start().strip_prefix(&key))
                    .unwrap_or_else(|| panic!("{lang}: no {key}"));
                for (name, _) in line.match_indices('{').filter_map(|(i, _)| {
                    let rest = &line[i + 1..];
                    rest.find('}').map(|end| (&rest[..end], ()))
                }) {
                    assert!(
                        error.params.contains_key(name),
                        "{lang} {key} uses {{{name}}}, which the error does not carry"
                    );
                }
            }
        }
    }

    #[test]
    fn every_gui_kind_is_reached_and_folds_into_itself() {
        for kind in GUI_KINDS {
            assert_eq!(fold(kind), *kind);
            assert!(
                kind == &"internal" || TABLE.iter().any(|(_, gui)| gui == kind),
                "no core kind folds into {kind}"
            );
        }
    }

    #[test]
    fn a_signed_out_upload_offers_sign_in() {
        let error = CommandError::new("unauthorized", "the token was refused");
        assert_eq!(error.kind, "signed_out");
    }
}
