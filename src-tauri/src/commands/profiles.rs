//! Commands of the profile screen: list, edit, switch and remove profiles; sign in and out.
//!
//! Secrets go one way only: from a password field into the OS keychain. What comes back says
//! whether a secret is stored (`hasClientSecret`), never what it is. The rules (what counts as
//! signed in, an empty secret, the Demo tenant signing itself in) are the core's `TenantHost`.

use tauri::State;

use asg_fota_core::secrets::Sensitive;

use crate::tenant::TenantConnection;
use crate::wire::{CommandError, ProfileList, ProfileView, SecretWhat, SessionInfo, SignInPrompt};

/// The profile screen opens with this. Async, so it runs off the main thread: it asks the
/// keychain about every profile that is not the Demo tenant, and a slow Secret Service (or a
/// macOS keychain prompt) must not freeze the window.
#[tauri::command]
pub(crate) async fn profiles_list(
    connection: State<'_, TenantConnection>,
) -> Result<ProfileList, CommandError> {
    let (active, states) = connection.host.profile_states()?;
    let profiles = states.into_iter().map(ProfileView::of).collect();
    Ok(ProfileList { active, profiles })
}

/// "Save" on the profile form: creates or replaces a profile (non-secret settings only).
#[tauri::command]
pub(crate) async fn profile_save(
    profile: ProfileView,
    connection: State<'_, TenantConnection>,
) -> Result<ProfileView, CommandError> {
    let (name, profile) = profile.into_profile();
    let saved = connection.host.save_profile(&name, profile)?;
    connection.reset().await;
    Ok(ProfileView::of(saved))
}

/// A password field of the profile form: the value goes into the OS keychain, never back.
#[tauri::command]
pub(crate) async fn profile_set_secret(
    name: String,
    what: SecretWhat,
    value: String,
    connection: State<'_, TenantConnection>,
) -> Result<(), CommandError> {
    let value = Sensitive::from(value);
    connection.host.set_secret(&name, what.into(), &value)?;
    connection.reset().await;
    Ok(())
}

/// "Remove" on a profile: deletes its settings and its secrets in the keychain.
#[tauri::command]
pub(crate) async fn profile_remove(
    name: String,
    connection: State<'_, TenantConnection>,
) -> Result<(), CommandError> {
    connection.host.remove_profile(&name)?;
    connection.reset().await;
    Ok(())
}

/// Who is signed in on the active profile, or why its session could not open.
async fn describe(connection: &TenantConnection) -> Result<SessionInfo, CommandError> {
    let name = connection.host.profile_name(None)?;
    let backend = connection.host.profiles()?.get(&name)?.backend;
    let who = match connection.tenant().await {
        Ok(tenant) => tenant.whoami().await.map_err(CommandError::from),
        Err(error) => Err(error),
    };
    Ok(SessionInfo::of(name, backend, who))
}

#[tauri::command]
pub(crate) async fn session_info(
    connection: State<'_, TenantConnection>,
) -> Result<SessionInfo, CommandError> {
    describe(&connection).await
}

/// "Use this profile": makes it active and opens its session.
#[tauri::command]
pub(crate) async fn profile_activate(
    name: String,
    connection: State<'_, TenantConnection>,
) -> Result<SessionInfo, CommandError> {
    connection.host.activate(&name)?;
    connection.reset().await;
    describe(&connection).await
}

/// "Sign in": starts a device-code sign-in and returns the code to show (and opens the browser).
#[tauri::command]
pub(crate) async fn sign_in_start(
    name: String,
    connection: State<'_, TenantConnection>,
) -> Result<SignInPrompt, CommandError> {
    let pending = connection
        .host
        .start_sign_in(&name, Default::default())
        .await?;
    let answer = SignInPrompt::from(&pending.prompt);
    pending.open_browser();
    connection.wait_for_sign_in(pending).await;
    Ok(answer)
}

/// Resolves when the person approved the code in the browser (or rejects: cancelled, expired).
#[tauri::command]
pub(crate) async fn sign_in_finish(
    connection: State<'_, TenantConnection>,
) -> Result<SessionInfo, CommandError> {
    let pending = connection.waiting_sign_in().await?;
    let finished = connection.host.finish_sign_in(&pending).await;
    connection.sign_in_ended(&pending).await;
    finished?;
    connection.reset().await;
    describe(&connection).await
}

/// "Cancel" while the code is shown.
#[tauri::command]
pub(crate) async fn sign_in_cancel(
    connection: State<'_, TenantConnection>,
) -> Result<(), CommandError> {
    connection.cancel_sign_in().await;
    Ok(())
}

/// Signs a profile in as its service principal: stores the secret, then proves it works.
#[tauri::command]
pub(crate) async fn sign_in_service_principal(
    name: String,
    client_secret: String,
    connection: State<'_, TenantConnection>,
) -> Result<SessionInfo, CommandError> {
    let secret = Sensitive::from(client_secret);
    connection.host.sign_in_service_principal(&name, &secret)?;
    connection.reset().await;
    describe(&connection).await
}

/// "Sign out": forgets the profile's sign-in (refresh token and client secret).
#[tauri::command]
pub(crate) async fn sign_out(
    name: String,
    connection: State<'_, TenantConnection>,
) -> Result<(), CommandError> {
    connection.host.sign_out(&name)?;
    connection.reset().await;
    Ok(())
}
