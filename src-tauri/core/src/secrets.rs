//! Secrets: the [`Sensitive`] wrapper type and the credential store they live in.
//!
//! This module owns every secret the product handles — a service principal's client secret, a
//! refresh token, an IoT Hub shared-access connection string — from the moment it is read until it
//! is dropped. Two rules hold here:
//!
//! - A secret is a [`Sensitive<T>`]: its `Debug` and `Display` print `<redacted>`, it does not
//!   implement `Serialize`, reading it takes an explicit [`Sensitive::expose`], and its memory is
//!   zeroed when it is dropped. So a secret cannot slip into a log line, a config file or an IPC
//!   answer by accident.
//! - Secrets are stored only in the OS keychain ([`KeychainStore`]: Windows Credential Manager,
//!   macOS Keychain, the freedesktop Secret Service on Linux), behind the small [`SecretStore`]
//!   trait, so the rest of the core and its tests can use [`MemoryStore`] instead.
//!
//! Keys are `asg-fota/<profile>/<what>` ([`SecretKey`]), where `<what>` is one of
//! [`SecretKind`]'s names (`client-secret`, `refresh-token`, `iothub-connection-string`).

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use zeroize::Zeroize;

/// The service name every keychain entry of this product carries, and the first part of a key.
pub const KEYCHAIN_SERVICE: &str = "asg-fota";

/// A value that must never be printed, logged or serialized.
///
/// The only way to the inner value is [`Sensitive::expose`], so every place that reads a secret is
/// visible in a code search. The inner value is zeroed on drop.
pub struct Sensitive<T: Zeroize>(T);

impl<T: Zeroize> Sensitive<T> {
    /// Wraps a secret value (`Sensitive::<String>::new("...")` takes a `&str` too).
    pub fn new(value: impl Into<T>) -> Self {
        Self(value.into())
    }

    /// Gives read access to the secret. Call it only at the point where the secret leaves for
    /// the wire or the keychain.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl Sensitive<String> {
    /// True when the secret is the empty string (an empty secret is never worth storing).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T: Zeroize> Drop for Sensitive<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize + Clone> Clone for Sensitive<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: Zeroize> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T: Zeroize> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl From<String> for Sensitive<String> {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Sensitive<String> {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl<T: Zeroize + PartialEq> PartialEq for Sensitive<T> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<T: Zeroize + Eq> Eq for Sensitive<T> {}

/// Secrets arrive inside service answers (token responses), so they can be read from JSON; there
/// is deliberately no `Serialize`, so they can never be written back out.
impl<'de, T: Zeroize + serde::Deserialize<'de>> serde::Deserialize<'de> for Sensitive<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Self)
    }
}

/// Which secret of a profile a key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretKind {
    /// The client secret of a service principal (client-credentials flow).
    ClientSecret,
    /// The refresh token of a signed-in user (device-code flow).
    RefreshToken,
    /// An IoT Hub shared access policy connection string (`HostName=...;SharedAccessKey=...`).
    IotHubConnectionString,
}

impl SecretKind {
    /// Every kind, for callers that clear a whole profile.
    pub const ALL: [SecretKind; 3] = [
        SecretKind::ClientSecret,
        SecretKind::RefreshToken,
        SecretKind::IotHubConnectionString,
    ];

    /// The last part of the key, as stored in the keychain.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::ClientSecret => "client-secret",
            SecretKind::RefreshToken => "refresh-token",
            SecretKind::IotHubConnectionString => "iothub-connection-string",
        }
    }
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name of one secret: `asg-fota/<profile>/<what>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SecretKey {
    profile: String,
    kind: SecretKind,
}

impl SecretKey {
    /// The key of `kind` for the profile named `profile`.
    pub fn new(profile: impl Into<String>, kind: SecretKind) -> Self {
        Self {
            profile: profile.into(),
            kind,
        }
    }

    /// The profile the secret belongs to.
    pub fn profile(&self) -> &str {
        &self.profile
    }

    /// Which secret of the profile it is.
    pub fn kind(&self) -> SecretKind {
        self.kind
    }
}

impl fmt::Display for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{KEYCHAIN_SERVICE}/{}/{}", self.profile, self.kind)
    }
}

/// What can go wrong with the credential store. No variant ever carries secret bytes.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// No OS keychain could be reached at all (on Linux: no D-Bus session bus or no Secret Service
    /// on it).
    #[error(
        "no OS keychain is reachable ({reason}). On Linux, sign in to a desktop session that runs a \
         Secret Service (GNOME Keyring, KWallet) or start one inside `dbus-run-session`; in a \
         pipeline, pass secrets through the environment variables ASG_FOTA_CLIENT_SECRET, \
         ASG_FOTA_REFRESH_TOKEN and ASG_FOTA_IOTHUB_CONNECTION_STRING instead"
    )]
    Unavailable {
        /// The platform's own words.
        reason: String,
    },
    /// The keychain is there but refused access (locked, or the user dismissed the prompt).
    #[error(
        "the OS keychain refused access to {key} ({reason}); unlock the keychain and try again"
    )]
    AccessDenied {
        /// The key that was being read or written.
        key: String,
        /// The platform's own words.
        reason: String,
    },
    /// The stored value is not UTF-8 text (written by something other than this product).
    #[error("the keychain entry {key} is not text; delete it and store the secret again")]
    NotText {
        /// The damaged key.
        key: String,
    },
    /// Several keychain entries match one key.
    #[error("{count} keychain entries match {key}; delete the duplicates in the OS keychain")]
    Ambiguous {
        /// The key.
        key: String,
        /// How many entries match it.
        count: usize,
    },
    /// Any other failure of the platform store.
    #[error("the OS keychain failed to {operation} {key}: {reason}")]
    Platform {
        /// `store`, `read` or `delete`.
        operation: &'static str,
        /// The key.
        key: String,
        /// The platform's own words.
        reason: String,
    },
}

/// A place where secrets are kept, in GitButler's three-operation style.
///
/// The operations are blocking (keychains are local and quick); async callers wrap them in
/// `spawn_blocking` when they care about the executor.
pub trait SecretStore: Send + Sync {
    /// Stores `value` under `key`, replacing what was there.
    fn persist(&self, key: &SecretKey, value: &Sensitive<String>) -> Result<(), SecretError>;
    /// Reads the value under `key`; a key that was never stored (or was deleted) is `Ok(None)`.
    fn retrieve(&self, key: &SecretKey) -> Result<Option<Sensitive<String>>, SecretError>;
    /// Removes the value under `key`; removing a missing key succeeds.
    fn delete(&self, key: &SecretKey) -> Result<(), SecretError>;
}

/// How [`KeychainStore`] lays values out in the platform store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeychainSettings {
    /// The largest value, in bytes, kept in one keychain entry; longer ones are split over
    /// several entries. Windows Credential Manager holds at most 2,560 bytes per credential, and
    /// a refresh token of the Microsoft identity platform can come close to that.
    pub chunk_bytes: usize,
}

impl Default for KeychainSettings {
    fn default() -> Self {
        Self { chunk_bytes: 2048 }
    }
}

/// The first entry of a value split over several entries holds this marker and the number of
/// further entries (`asg-fota-chunks:3`); they are named `<key>#1`, `<key>#2`, ...
const CHUNK_MARKER: &str = "asg-fota-chunks:";

/// More parts than this means something else wrote the entry: refuse rather than loop.
const MAX_CHUNKS: usize = 32;

/// The OS keychain, through the `keyring` crate.
///
/// The platform store is opened once per process (on Linux that is the D-Bus connection to the
/// Secret Service); [`KeychainStore::open`] reports when that failed, so a missing keychain is one
/// clear error up front rather than a confusing one at the first secret.
///
/// Values are stored as UTF-8 bytes. The service name of an entry is the whole key
/// (`asg-fota/<profile>/<what>`, with `#n` for the further parts of a long value) and its account
/// name is `<what>`, so keychain UIs (Keychain Access, Seahorse, Credential Manager) show which
/// profile and which secret an entry is.
#[derive(Debug, Clone, Copy)]
pub struct KeychainStore {
    settings: KeychainSettings,
}

impl KeychainStore {
    /// Opens the OS keychain, or says clearly why none is reachable.
    pub fn open() -> Result<Self, SecretError> {
        Self::open_with(KeychainSettings::default())
    }

    /// [`KeychainStore::open`] with explicit layout settings (tests use small chunks).
    pub fn open_with(settings: KeychainSettings) -> Result<Self, SecretError> {
        match keyring::Entry::store_status() {
            Ok(()) => Ok(Self {
                settings: KeychainSettings {
                    chunk_bytes: settings.chunk_bytes.max(1),
                },
            }),
            Err(err) => Err(SecretError::Unavailable {
                reason: describe_platform_error(err),
            }),
        }
    }

    /// The entry holding part `part` of the value under `key` (0 = the first entry).
    fn entry(
        &self,
        key: &SecretKey,
        part: usize,
        operation: &'static str,
    ) -> Result<keyring::Entry, SecretError> {
        let service = match part {
            0 => key.to_string(),
            n => format!("{key}#{n}"),
        };
        keyring::Entry::new(&service, key.kind.as_str())
            .map_err(|err| map_keyring_error(err, key, operation))
    }

    /// The raw bytes of one entry, `None` when it does not exist.
    fn read_part(
        &self,
        key: &SecretKey,
        part: usize,
    ) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>, SecretError> {
        match self.entry(key, part, "read")?.get_secret() {
            Ok(bytes) => Ok(Some(zeroize::Zeroizing::new(bytes))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(map_keyring_error(err, key, "read")),
        }
    }

    fn write_part(&self, key: &SecretKey, part: usize, bytes: &[u8]) -> Result<(), SecretError> {
        self.entry(key, part, "store")?
            .set_secret(bytes)
            .map_err(|err| map_keyring_error(err, key, "store"))
    }

    fn delete_part(&self, key: &SecretKey, part: usize) -> Result<(), SecretError> {
        match self.entry(key, part, "delete")?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(map_keyring_error(err, key, "delete")),
        }
    }

    /// How many further parts the first entry announces (0 for a value kept whole).
    fn announced_parts(&self, key: &SecretKey, first: &[u8]) -> Result<usize, SecretError> {
        let Some(count) = first.strip_prefix(CHUNK_MARKER.as_bytes()) else {
            return Ok(0);
        };
        std::str::from_utf8(count)
            .ok()
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| (1..=MAX_CHUNKS).contains(n))
            .ok_or_else(|| SecretError::NotText {
                key: key.to_string(),
            })
    }

    /// The parts a stored value currently has beyond the first entry.
    fn stored_parts(&self, key: &SecretKey) -> Result<usize, SecretError> {
        match self.read_part(key, 0)? {
            Some(first) => Ok(self.announced_parts(key, &first).unwrap_or(MAX_CHUNKS)),
            None => Ok(0),
        }
    }
}

impl SecretStore for KeychainStore {
    fn persist(&self, key: &SecretKey, value: &Sensitive<String>) -> Result<(), SecretError> {
        let bytes = value.expose().as_bytes();
        let old_parts = self.stored_parts(key)?;
        let fits =
            bytes.len() <= self.settings.chunk_bytes && !bytes.starts_with(CHUNK_MARKER.as_bytes());
        let new_parts = if fits {
            self.write_part(key, 0, bytes)?;
            0
        } else {
            let chunks: Vec<&[u8]> = bytes.chunks(self.settings.chunk_bytes).collect();
            if chunks.len() > MAX_CHUNKS {
                return Err(SecretError::Platform {
                    operation: "store",
                    key: key.to_string(),
                    reason: format!(
                        "the value is {} bytes, more than {} parts of {} bytes",
                        bytes.len(),
                        MAX_CHUNKS,
                        self.settings.chunk_bytes
                    ),
                });
            }
            // The parts go first and the announcing entry last, so a reader never finds an
            // announcement of parts that are not there yet.
            for (i, chunk) in chunks.iter().enumerate() {
                self.write_part(key, i + 1, chunk)?;
            }
            self.write_part(key, 0, format!("{CHUNK_MARKER}{}", chunks.len()).as_bytes())?;
            chunks.len()
        };
        for stale in (new_parts + 1)..=old_parts {
            self.delete_part(key, stale)?;
        }
        Ok(())
    }

    fn retrieve(&self, key: &SecretKey) -> Result<Option<Sensitive<String>>, SecretError> {
        let Some(first) = self.read_part(key, 0)? else {
            return Ok(None);
        };
        let parts = self.announced_parts(key, &first)?;
        let bytes = if parts == 0 {
            first
        } else {
            let mut whole = zeroize::Zeroizing::new(Vec::new());
            for part in 1..=parts {
                let chunk = self
                    .read_part(key, part)?
                    .ok_or_else(|| SecretError::NotText {
                        key: key.to_string(),
                    })?;
                whole.extend_from_slice(&chunk);
            }
            whole
        };
        match String::from_utf8(bytes.to_vec()) {
            Ok(text) => Ok(Some(Sensitive::new(text))),
            Err(err) => {
                let mut raw = err.into_bytes();
                raw.zeroize();
                Err(SecretError::NotText {
                    key: key.to_string(),
                })
            }
        }
    }

    fn delete(&self, key: &SecretKey) -> Result<(), SecretError> {
        let parts = self.stored_parts(key)?;
        self.delete_part(key, 0)?;
        for part in 1..=parts {
            self.delete_part(key, part)?;
        }
        Ok(())
    }
}

/// Turns a `keyring` error into ours, dropping any secret bytes some variants carry.
fn map_keyring_error(err: keyring::Error, key: &SecretKey, operation: &'static str) -> SecretError {
    let key = key.to_string();
    match err {
        keyring::Error::NoDefaultStore => SecretError::Unavailable {
            reason: match keyring::Entry::store_status() {
                Err(init) => describe_platform_error(init),
                Ok(()) => "no platform credential store is configured".to_owned(),
            },
        },
        keyring::Error::NoStorageAccess(inner) => SecretError::AccessDenied {
            key,
            reason: inner.to_string(),
        },
        // Both variants carry the raw stored bytes: never let them into an error message.
        keyring::Error::BadEncoding(_) | keyring::Error::BadDataFormat(_, _) => {
            SecretError::NotText { key }
        }
        keyring::Error::Ambiguous(entries) => SecretError::Ambiguous {
            key,
            count: entries.len(),
        },
        other => SecretError::Platform {
            operation,
            key,
            reason: describe_platform_error(&other),
        },
    }
}

/// The platform's message for a store-level failure, without any secret payload.
fn describe_platform_error(err: &keyring::Error) -> String {
    match err {
        keyring::Error::PlatformFailure(inner) | keyring::Error::NoStorageAccess(inner) => {
            inner.to_string()
        }
        keyring::Error::BadEncoding(_) | keyring::Error::BadDataFormat(_, _) => {
            "the stored value is malformed".to_owned()
        }
        other => other.to_string(),
    }
}

/// Stands in for the OS keychain when none is reachable: every operation fails with the reason
/// the keychain could not be opened. Callers that get their secrets elsewhere (the CLI's
/// environment variables) never touch it and so still work.
#[derive(Debug, Clone)]
pub struct UnreachableStore {
    reason: String,
}

impl UnreachableStore {
    /// A store that reports `error` (normally [`KeychainStore::open`]'s) on every use.
    pub fn new(error: &SecretError) -> Self {
        let reason = match error {
            SecretError::Unavailable { reason } => reason.clone(),
            other => other.to_string(),
        };
        Self { reason }
    }

    fn fail(&self) -> SecretError {
        SecretError::Unavailable {
            reason: self.reason.clone(),
        }
    }
}

impl SecretStore for UnreachableStore {
    fn persist(&self, _key: &SecretKey, _value: &Sensitive<String>) -> Result<(), SecretError> {
        Err(self.fail())
    }

    fn retrieve(&self, _key: &SecretKey) -> Result<Option<Sensitive<String>>, SecretError> {
        Err(self.fail())
    }

    fn delete(&self, _key: &SecretKey) -> Result<(), SecretError> {
        Err(self.fail())
    }
}

/// The OS keychain, or an [`UnreachableStore`] that explains why there is none.
pub fn os_store() -> Box<dyn SecretStore> {
    match KeychainStore::open() {
        Ok(store) => Box::new(store),
        Err(err) => Box::new(UnreachableStore::new(&err)),
    }
}

/// An in-memory store for tests and for code that must not touch the OS keychain (the Demo
/// tenant, whose secrets are made up by the simulator).
#[derive(Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<SecretKey, Sensitive<String>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many secrets are stored (for tests).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SecretKey, Sensitive<String>>> {
        // A poisoned lock only means another thread panicked mid-insert; the map itself is
        // still a valid map, so keep using it rather than spreading the panic.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("entries", &self.len())
            .finish()
    }
}

impl SecretStore for MemoryStore {
    fn persist(&self, key: &SecretKey, value: &Sensitive<String>) -> Result<(), SecretError> {
        self.lock().insert(key.clone(), value.clone());
        Ok(())
    }

    fn retrieve(&self, key: &SecretKey) -> Result<Option<Sensitive<String>>, SecretError> {
        Ok(self.lock().get(key).cloned())
    }

    fn delete(&self, key: &SecretKey) -> Result<(), SecretError> {
        self.lock().remove(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_never_prints_its_value() {
        let secret = Sensitive::from("hunter2-very-secret");
        assert_eq!(format!("{secret}"), "<redacted>");
        assert_eq!(format!("{secret:?}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(&secret)), "Some(<redacted>)");
        assert_eq!(secret.expose(), "hunter2-very-secret");
    }

    #[test]
    fn sensitive_reads_from_json_but_stays_redacted() {
        #[derive(serde::Deserialize, Debug)]
        struct Answer {
            access_token: Sensitive<String>,
        }
        let answer: Answer = serde_json::from_str(r#"{"access_token":"eyJ.secret.sig"}"#).unwrap();
        assert_eq!(answer.access_token.expose(), "eyJ.secret.sig");
        assert!(!format!("{answer:?}").contains("eyJ"));
    }

    #[test]
    fn keys_follow_the_documented_layout() {
        let cases = [
            (SecretKind::ClientSecret, "asg-fota/prod/client-secret"),
            (SecretKind::RefreshToken, "asg-fota/prod/refresh-token"),
            (
                SecretKind::IotHubConnectionString,
                "asg-fota/prod/iothub-connection-string",
            ),
        ];
        for (kind, expected) in cases {
            assert_eq!(SecretKey::new("prod", kind).to_string(), expected);
        }
    }

    #[test]
    fn memory_store_round_trip_overwrite_and_delete() {
        let store = MemoryStore::new();
        let key = SecretKey::new("p", SecretKind::RefreshToken);
        assert!(store.retrieve(&key).unwrap().is_none());
        store.persist(&key, &"one".into()).unwrap();
        store.persist(&key, &"two".into()).unwrap();
        assert_eq!(store.retrieve(&key).unwrap().unwrap().expose(), "two");
        store.delete(&key).unwrap();
        store.delete(&key).unwrap();
        assert!(store.retrieve(&key).unwrap().is_none());
        assert!(store.is_empty());
    }

    #[test]
    fn errors_name_the_key_but_never_a_value() {
        let key = SecretKey::new("p", SecretKind::ClientSecret);
        let err = map_keyring_error(
            keyring::Error::BadEncoding(b"s3cret".to_vec()),
            &key,
            "read",
        );
        let text = err.to_string();
        assert!(matches!(err, SecretError::NotText { .. }));
        assert!(text.contains("asg-fota/p/client-secret"));
        assert!(!text.contains("s3cret"));
    }

    #[test]
    fn unavailable_error_says_what_to_do() {
        let err = SecretError::Unavailable {
            reason: "no session bus".into(),
        };
        let text = err.to_string();
        assert!(text.contains("no OS keychain is reachable"));
        assert!(text.contains("ASG_FOTA_CLIENT_SECRET"));
    }
}
