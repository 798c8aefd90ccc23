//! Self-update of the installed app (issue 12): where to look, when to look, and whether this
//! installation can install what it finds.
//!
//! `tauri-plugin-updater` does the downloading, the minisign verification against the public key
//! in `tauri.conf.json` and the installing (NSIS, MSI, `.app`, `.deb`, `.rpm`, AppImage). This
//! module owns what the plugin leaves to the app:
//! - the endpoint: `ASG_FOTA_UPDATE_ENDPOINT`, else `endpoint` in `update-settings.json` in the
//!   config directory, else the releases page named in `tauri.conf.json`;
//! - the start-up check: at most once a day, never while a run is in flight, only in release
//!   builds (or when `ASG_FOTA_UPDATE_CHECK=on`), and silent when it fails — an offline factory
//!   network must not get an error at every launch;
//! - the install route: on Linux the plugin can only replace an AppImage it may write, or a
//!   `.deb`/`.rpm` through `pkexec` or `sudo`; anywhere else the app says how to update instead.
//!
//! Nothing here is secret: the settings file holds a URL and a time.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_updater::{Update, UpdaterExt};
use time::OffsetDateTime;

use crate::wire::CommandError;
use std::sync::Arc;

use crate::runs::Runs;
use crate::settings::{read_or_default, write_atomically};

/// The automatic check runs at most this often.
pub(crate) const CHECK_INTERVAL: time::Duration = time::Duration::hours(24);
/// The automatic check waits this long after start-up, so it never competes with the first screen.
const STARTUP_DELAY: Duration = Duration::from_secs(10);
/// Where people download installers by hand (the manual route and every refusal point here).
pub(crate) const RELEASES_URL: &str = concat!(env!("CARGO_PKG_REPOSITORY"), "/releases/latest");

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    /// An update endpoint other than the one in `tauri.conf.json` (a company mirror).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    endpoint: Option<String>,
    /// When the last check started, successful or not.
    #[serde(default, with = "time::serde::rfc3339::option")]
    last_check: Option<OffsetDateTime>,
}

/// The updater's state in the running app: the settings file and the update last found.
pub(crate) struct Updates {
    path: PathBuf,
    stored: Mutex<Stored>,
    found: tokio::sync::Mutex<Option<Update>>,
}

/// What `update_check` answers (GUI contract: docs/gui-contract.md).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UpdateCheck {
    pub(crate) current_version: String,
    /// `None` when this is the newest version.
    pub(crate) update: Option<AvailableUpdate>,
    pub(crate) install: InstallRoute,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AvailableUpdate {
    pub(crate) version: String,
    /// The release notes as published (plain text or Markdown; show as text).
    pub(crate) notes: Option<String>,
    /// RFC 3339.
    pub(crate) date: Option<String>,
}

/// Whether the app can install an update itself, and if not, why and what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InstallRoute {
    /// `true`: `update_install` can install it here.
    pub(crate) in_app: bool,
    /// When `in_app` is false: `not_packaged` (built from source or unpacked), `appimage_read_only`,
    /// `no_privileges` (a `.deb`/`.rpm` install with neither `pkexec` nor `sudo`).
    pub(crate) reason: Option<&'static str>,
    /// Plain English words saying how to update instead (the UI may show its own translation
    /// chosen by `reason`).
    pub(crate) hint: Option<String>,
    pub(crate) download_url: &'static str,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct DownloadProgress {
    downloaded: u64,
    total: Option<u64>,
}

impl Updates {
    pub(crate) fn load(path: PathBuf) -> Self {
        // A damaged file only holds a time and a URL: start afresh rather than refuse to start.
        let stored = read_or_default(&path);
        Self {
            path,
            stored: Mutex::new(stored),
            found: tokio::sync::Mutex::new(None),
        }
    }

    fn endpoint(&self) -> Result<Option<url::Url>, CommandError> {
        let configured = std::env::var("ASG_FOTA_UPDATE_ENDPOINT")
            .ok()
            .filter(|v| !v.trim().is_empty())
            .or_else(|| self.stored.lock().ok().and_then(|s| s.endpoint.clone()));
        configured
            .map(|text| {
                url::Url::parse(text.trim()).map_err(|error| {
                    CommandError::new(
                        "update_endpoint",
                        format!(
                            "The update address “{text}” is not a URL ({error}). Correct \
                             ASG_FOTA_UPDATE_ENDPOINT or “endpoint” in {}.",
                            self.path.display()
                        ),
                    )
                })
            })
            .transpose()
    }

    fn last_check(&self) -> Option<OffsetDateTime> {
        self.stored.lock().ok().and_then(|s| s.last_check)
    }

    fn record_check(&self, at: OffsetDateTime) {
        let Ok(mut stored) = self.stored.lock() else {
            return;
        };
        stored.last_check = Some(at);
        if let Err(error) = write_atomically(&self.path, &*stored) {
            tracing::warn!(%error, path = %self.path.display(), "could not save update settings");
        }
    }
}

/// Whether the automatic check should run now: never during a run, at most once per interval.
/// A last check in the future (a clock set back) counts as long ago.
pub(crate) fn check_due(last: Option<OffsetDateTime>, now: OffsetDateTime, busy: bool) -> bool {
    if busy {
        return false;
    }
    match last {
        None => true,
        Some(last) => last > now || now - last >= CHECK_INTERVAL,
    }
}

/// Whether the automatic check is on: release builds unless `ASG_FOTA_UPDATE_CHECK=off`; debug
/// builds (development, the test suite) only with `ASG_FOTA_UPDATE_CHECK=on`, so tests never
/// reach out to the internet.
fn automatic_check_enabled() -> bool {
    match std::env::var("ASG_FOTA_UPDATE_CHECK").as_deref() {
        Ok("off") | Ok("0") | Ok("false") => false,
        Ok("on") | Ok("1") | Ok("true") => true,
        _ => !cfg!(debug_assertions),
    }
}

/// Checks the endpoint and remembers what it found for `install`.
pub(crate) async fn check(app: &AppHandle) -> Result<UpdateCheck, CommandError> {
    let updates = app.state::<Updates>();
    let mut builder = app.updater_builder().timeout(Duration::from_secs(30));
    if let Some(endpoint) = updates.endpoint()? {
        builder = builder
            .endpoints(vec![endpoint])
            .map_err(|error| plugin_error(&error))?;
    }
    let updater = builder.build().map_err(|error| plugin_error(&error))?;
    updates.record_check(OffsetDateTime::now_utc());
    let found = updater
        .check()
        .await
        .map_err(|error| plugin_error(&error))?;
    let answer = UpdateCheck {
        current_version: app.package_info().version.to_string(),
        update: found.as_ref().map(|update| AvailableUpdate {
            version: update.version.clone(),
            notes: update.body.clone(),
            date: update.date.and_then(|d| {
                d.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            }),
        }),
        install: route_for(app),
    };
    *updates.found.lock().await = found;
    Ok(answer)
}

/// Downloads, verifies and installs the update the last check found. Refused while a run is in
/// flight (installing replaces the app under it) and where the app cannot install.
pub(crate) async fn install(app: &AppHandle) -> Result<String, CommandError> {
    if app.state::<Arc<Runs>>().busy() {
        return Err(CommandError::new(
            "update_busy",
            "An upload or update run is still in progress. Install the app update when it has \
             finished.",
        ));
    }
    let route = route_for(app);
    if !route.in_app {
        return Err(CommandError::new(
            "update_manual",
            route.hint.unwrap_or_default(),
        ));
    }
    let updates = app.state::<Updates>();
    let found = updates.found.lock().await;
    let Some(update) = found.as_ref() else {
        return Err(CommandError::new(
            "update_none",
            "There is no update to install. Check for updates first.",
        ));
    };
    let mut downloaded = 0u64;
    let progress = |chunk: usize, total: Option<u64>| {
        downloaded += chunk as u64;
        let event = DownloadProgress { downloaded, total };
        if let Err(error) = app.emit("update-progress", event) {
            tracing::debug!(%error, "update progress could not reach the window");
        }
    };
    tracing::info!(version = %update.version, "installing an app update");
    update
        .download_and_install(progress, || {})
        .await
        .map_err(|error| plugin_error(&error))?;
    tracing::info!(version = %update.version, "app update installed");
    Ok(update.version.clone())
}

/// The start-up check: quiet unless it finds an update, which it announces to the window as
/// `update-available` (the same shape `update_check` answers). The user decides.
pub(crate) fn spawn_startup_check(app: &AppHandle) {
    if !automatic_check_enabled() {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(STARTUP_DELAY).await;
        let busy = app.state::<Arc<Runs>>().busy();
        let last = app.state::<Updates>().last_check();
        if !check_due(last, OffsetDateTime::now_utc(), busy) {
            return;
        }
        match check(&app).await {
            Ok(answer) if answer.update.is_some() => {
                if let Err(error) = app.emit("update-available", answer) {
                    tracing::warn!(%error, "the update notice could not reach the window");
                }
            }
            Ok(_) => tracing::info!("the app is up to date"),
            Err(error) => tracing::info!(kind = error.kind, message = %error.message,
                "the start-up update check failed"),
        }
    });
}

/// Maps the plugin's errors to what the user can act on. A signature that does not verify is
/// named as such: the download was refused and nothing was changed.
fn plugin_error(error: &tauri_plugin_updater::Error) -> CommandError {
    use tauri_plugin_updater::Error as E;
    match error {
        E::Minisign(_)
        | E::Base64(_)
        | E::SignatureUtf8(_)
        | E::SignedVersionMismatch { .. }
        | E::MissingSignedVersion => CommandError::new(
            "update_signature",
            format!(
                "The downloaded update is not signed by the ASG FOTA release key, so it was not \
                 installed and this version is unchanged. Download the installer from \
                 {RELEASES_URL} instead. ({error})"
            ),
        ),
        E::Reqwest(_) | E::Network(_) | E::ReleaseNotFound => CommandError::new(
            "update_network",
            format!(
                "The update server could not be reached or gave no valid answer ({error}). \
                 Check the network, or download the installer from {RELEASES_URL}."
            ),
        ),
        E::TargetNotFound(_) | E::TargetsNotFound(_) => CommandError::new(
            "update_network",
            format!(
                "The newest release has no installer for this system ({error}). Download one \
                 from {RELEASES_URL}."
            ),
        ),
        E::AuthenticationFailed => CommandError::new(
            "update_install",
            "Installing the update needs administrator rights, and the request was cancelled. \
             This version is unchanged; try again, or install the downloaded package by hand.",
        ),
        E::InsecureTransportProtocol | E::UrlParse(_) | E::EmptyEndpoints => CommandError::new(
            "update_endpoint",
            format!("The update address is not usable: {error}."),
        ),
        _ => CommandError::new(
            "update_install",
            format!(
                "The update could not be installed ({error}). Download the installer from \
                 {RELEASES_URL}."
            ),
        ),
    }
}

/// How this copy gets an update: never in the app when it was built without the project's update
/// key (`plugins.updater.pubkey` still the placeholder of a fresh checkout: nothing could verify a
/// download, and every install would fail as a bad signature), else as `install_route` decides.
fn route_for(app: &AppHandle) -> InstallRoute {
    let pubkey = app
        .config()
        .plugins
        .0
        .get("updater")
        .and_then(|updater| updater.get("pubkey"))
        .and_then(|key| key.as_str());
    if has_update_key(pubkey) {
        install_route()
    } else {
        unsigned_build()
    }
}

/// Whether `pubkey` can be an updater public key (minisign, base64): the placeholder cannot.
fn has_update_key(pubkey: Option<&str>) -> bool {
    pubkey.is_some_and(|key| !key.trim().is_empty() && !key.starts_with("REPLACE-ME"))
}

fn unsigned_build() -> InstallRoute {
    manual(
        "unsigned_build",
        format!(
            "This copy was built without the project's update key, so it cannot verify or install \
             updates itself. Download the new installer from {RELEASES_URL} and run it."
        ),
    )
}

/// Whether this installation can install an update itself. Windows (NSIS per user, MSI with the
/// installer's own elevation) and macOS (the plugin replaces the `.app`) always can.
pub(crate) fn install_route() -> InstallRoute {
    #[cfg(target_os = "linux")]
    {
        let appimage = std::env::var_os("APPIMAGE").map(PathBuf::from);
        let has_tool = |name: &str| find_on_path(name).is_some();
        linux_route(
            tauri::utils::platform::bundle_type(),
            appimage.as_deref(),
            has_tool("pkexec") || has_tool("sudo"),
        )
    }
    #[cfg(not(target_os = "linux"))]
    {
        in_app()
    }
}

fn in_app() -> InstallRoute {
    InstallRoute {
        in_app: true,
        reason: None,
        hint: None,
        download_url: RELEASES_URL,
    }
}

fn manual(reason: &'static str, hint: String) -> InstallRoute {
    InstallRoute {
        in_app: false,
        reason: Some(reason),
        hint: Some(hint),
        download_url: RELEASES_URL,
    }
}

/// The Linux decision, apart from the environment it reads so it can be tested.
#[cfg(target_os = "linux")]
fn linux_route(
    bundle: Option<tauri::utils::config::BundleType>,
    appimage: Option<&Path>,
    can_elevate: bool,
) -> InstallRoute {
    use tauri::utils::config::BundleType;
    match bundle {
        Some(BundleType::Deb) | Some(BundleType::Rpm) if can_elevate => in_app(),
        Some(kind @ (BundleType::Deb | BundleType::Rpm)) => {
            let (ext, command) = if kind == BundleType::Deb {
                ("deb", "sudo apt install ./asg-fota_VERSION_amd64.deb")
            } else {
                ("rpm", "sudo dnf install ./asg-fota-VERSION-1.x86_64.rpm")
            };
            manual(
                "no_privileges",
                format!(
                    "This copy was installed from a .{ext} package, and installing packages needs \
                     pkexec or sudo, which this system does not offer to the app. Download the \
                     new .{ext} from {RELEASES_URL} and install it as an administrator: \
                     {command}."
                ),
            )
        }
        Some(BundleType::AppImage) => match appimage {
            Some(path) if writable_dir(path) => in_app(),
            Some(path) => manual(
                "appimage_read_only",
                format!(
                    "This AppImage ({}) is in a folder the app cannot write to. Download the new \
                     AppImage from {RELEASES_URL} and replace it there, or move the AppImage to a \
                     folder of yours.",
                    path.display()
                ),
            ),
            None => not_packaged(),
        },
        _ => not_packaged(),
    }
}

#[cfg(target_os = "linux")]
fn not_packaged() -> InstallRoute {
    manual(
        "not_packaged",
        format!(
            "This copy was not installed from a package the app can replace (it was built from \
             source or started outside its AppImage). Install a .deb, .rpm or AppImage from \
             {RELEASES_URL}, or pull and rebuild from source."
        ),
    )
}

#[cfg(target_os = "linux")]
fn writable_dir(file: &Path) -> bool {
    let Some(dir) = file.parent() else {
        return false;
    };
    // Creating a file is the only honest test (permissions, ACLs, read-only mounts).
    match tempfile_probe(dir) {
        Ok(()) => true,
        Err(error) => {
            tracing::info!(%error, dir = %dir.display(), "the AppImage's folder is not writable");
            false
        }
    }
}

#[cfg(target_os = "linux")]
fn tempfile_probe(dir: &Path) -> std::io::Result<()> {
    let probe = dir.join(format!(".asg-fota-write-probe-{}", std::process::id()));
    std::fs::write(&probe, b"")?;
    std::fs::remove_file(probe)
}

#[cfg(target_os = "linux")]
fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_automatic_check_runs_once_a_day_and_never_during_a_run() {
        let now = datetime!(2026-12-02 10:00 UTC);
        assert!(check_due(None, now, false));
        assert!(!check_due(None, now, true));
        assert!(!check_due(
            Some(now - time::Duration::hours(23)),
            now,
            false
        ));
        assert!(check_due(Some(now - time::Duration::hours(24)), now, false));
        assert!(!check_due(Some(now - time::Duration::hours(48)), now, true));
        // A clock set back must not silence the check for good.
        assert!(check_due(Some(now + time::Duration::days(30)), now, false));
    }

    #[test]
    fn settings_keep_the_last_check_and_survive_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("update-settings.json");
        std::fs::write(&path, b"{not json").unwrap();
        let updates = Updates::load(path.clone());
        assert_eq!(updates.last_check(), None);
        let at = datetime!(2026-12-01 08:30 UTC);
        updates.record_check(at);
        assert_eq!(Updates::load(path).last_check(), Some(at));
    }

    #[test]
    fn a_build_without_the_update_key_says_how_to_update_instead() {
        assert!(!has_update_key(None));
        assert!(!has_update_key(Some("")));
        assert!(!has_update_key(Some(
            "REPLACE-ME: the public key from `tauri signer generate`"
        )));
        assert!(has_update_key(Some(
            "dW50cnVzdGVkIGNvbW1lbnQ6IG1pbmlzaWduIHB1YmxpYyBrZXk6"
        )));
        let route = unsigned_build();
        assert!(!route.in_app);
        assert_eq!(route.reason, Some("unsigned_build"));
        assert!(route.hint.unwrap().contains(RELEASES_URL));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_installs_only_what_it_can_replace_and_says_how_otherwise() {
        use tauri::utils::config::BundleType;
        assert!(linux_route(Some(BundleType::Deb), None, true).in_app);
        assert!(linux_route(Some(BundleType::Rpm), None, true).in_app);
        let deb = linux_route(Some(BundleType::Deb), None, false);
        assert_eq!(deb.reason, Some("no_privileges"));
        assert!(deb.hint.as_deref().unwrap().contains("apt install"));
        assert_eq!(
            linux_route(None, None, true).reason,
            Some("not_packaged"),
            "a binary built from source has nothing the updater can replace"
        );
        assert_eq!(
            linux_route(Some(BundleType::AppImage), None, true).reason,
            Some("not_packaged")
        );
        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("ASG_FOTA.AppImage");
        assert!(linux_route(Some(BundleType::AppImage), Some(&image), false).in_app);
        let missing = Path::new("/nonexistent-dir/ASG_FOTA.AppImage");
        assert_eq!(
            linux_route(Some(BundleType::AppImage), Some(missing), false).reason,
            Some("appimage_read_only")
        );
    }
}
