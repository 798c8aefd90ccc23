//! Tauri commands: short adapters from the web view to the core, one module per area.
//!
//! Each command takes state, converts its input, calls one core function and converts the
//! output. No domain logic lives here, and nothing secret is ever returned. The shapes are the
//! GUI contract (`ui/js/backend.js` is the other side).

pub(crate) mod compliance;
pub(crate) mod deploy;
pub(crate) mod fleet;
pub(crate) mod help;
pub(crate) mod journal;
pub(crate) mod packages;
pub(crate) mod profiles;
pub(crate) mod runs;
pub(crate) mod updates;
pub(crate) mod upload;

/// Runs a core future on a blocking worker of the runtime and awaits its result.
///
/// A few core futures stream over borrowing closures (`stream::iter(&items).map(..).buffered(n)`),
/// and rustc cannot prove such a future `Send` for every lifetime (the "implementation of
/// `FnOnce` is not general enough" limitation), which Tauri's command futures must be. Driving
/// the future with `block_on` on a blocking thread needs no `Send` bound on it.
pub(crate) async fn on_worker<T, F, Fut>(make: F) -> Result<T, crate::wire::CommandError>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<T, crate::wire::CommandError>>,
    T: Send + 'static,
{
    let handle = tokio::runtime::Handle::current();
    tauri::async_runtime::spawn_blocking(move || handle.block_on(make()))
        .await
        .map_err(|error| {
            crate::wire::CommandError::new(
                "internal",
                format!("The work stopped unexpectedly: {error}"),
            )
        })?
}
