//! The kinds of failure a person is told about, and the one fold of the core's many error kinds
//! (of a `CloudError`, `SessionError`, `TenantError`, `InspectError`, a rollout or node failure,
//! an upload failure, the app updater) into them. Both front ends use it: the app's GUI contract
//! (`wire/error.rs`) and the CLI's messages in the user's language; each kind has a title, a
//! message and a next action in the UI catalogs (`ui/i18n/`), which the CLI reads too.

/// The kinds the GUI knows; anything else folds into `internal`.
pub const GUI_KINDS: &[&str] = &[
    "signed_out",
    "sign_in_failed",
    "forbidden",
    "not_found",
    "conflict",
    "rejected",
    "throttled",
    "service",
    "network",
    "device_offline",
    "device_timeout",
    "restart_rejected",
    "timed_out",
    "policy_blocks_updates",
    "operation_failed",
    "cancelled",
    "invalid_input",
    "damaged_package",
    "io",
    "too_large",
    "preflight_failed",
    "keychain_unavailable",
    "keychain",
    "config_damaged",
    "profile",
    "choose_tenant",
    "demo_unavailable",
    "node_not_found",
    "node_busy",
    "node_no_firmware",
    "node_update_failed",
    "journal",
    "run_in_flight",
    "update_busy",
    "update_manual",
    "update_signature",
    "update_failed",
    "internal",
];

/// The kind a journal entry's sentence names (`said.params.kind`) as the GUI's: as [`fold`],
/// except that a node update's `update_failed` — the node's code before it became
/// `node_update_failed` — is the node's failure, not the app updater's.
pub fn fold_journal(core_kind: &str, node_update: bool) -> &'static str {
    match core_kind {
        "update_failed" if node_update => "node_update_failed",
        other => fold(other),
    }
}

/// The core's kind (of a `CloudError`, `SessionError`, `TenantError`, `InspectError`, a rollout
/// or node failure, an upload failure) as the GUI's kind.
pub fn fold(core_kind: &str) -> &'static str {
    match core_kind {
        "unauthorized" | "not_signed_in" | "no_refresh_token" => "signed_out",
        "sign_in" => "sign_in_failed",
        "not_found" | "group_not_found" => "not_found",
        // An answer too large or a listing that never ends is the service misbehaving.
        "service" | "decode" | "response_too_large" | "endless_paging" => "service",
        // A redirect is never followed: something between the app and the service (a proxy, a
        // captive portal) answered instead of it.
        "timeout" | "connect" | "connection_reset" | "transport" | "redirected" => "network",
        "timed_out" | "deadline_exceeded" => "timed_out",
        "invalid_input" | "ambiguous_group" => "invalid_input",
        // A run that has finished cannot be resumed or attached to.
        "run_ended" => "not_found",
        "io" | "file" => "io",
        "profile" | "missing_setting" | "no_iothub" => "profile",
        // The Demo tenant's simulator did not start, or a caller opened the Demo tenant without
        // starting it: either way the person can only restart the app or choose another profile.
        "demo_start" | "demo_needs_simulator" => "demo_unavailable",
        // A node run's failures (workflow/nodes.rs). The node's `update_failed` of earlier
        // versions is not folded here: it is the app updater's GUI kind.
        "unknown_node" => "node_not_found",
        "no_firmware_available" => "node_no_firmware",
        "update_rejected" => "node_update_failed",
        // The app updater (updates.rs).
        "update_network" => "network",
        "update_install" | "update_endpoint" | "update_none" => "update_failed",
        same => GUI_KINDS
            .iter()
            .find(|kind| **kind == same)
            .copied()
            .unwrap_or("internal"),
    }
}
