//! The local journal: one JSON line per change made to a tenant, in `<data dir>/journal.jsonl`.
//!
//! This module owns the journal's file format and the rule that nothing secret reaches it. Entries
//! are typed (`JournalEntry` with an `Action`, a `Target` of ids and names, an `Outcome` and a
//! one-sentence `detail`): there is no way to put a request body, a header map or a token into
//! one. The `detail` text is the only free field; it is meant for an error's plain-words message,
//! and as a second line of defence it is scrubbed of anything shaped like a bearer token, a JWT or
//! a connection-string key before it is written.
//!
//! Each entry is appended with one `write` on a file opened in append mode, so concurrent writers
//! (the GUI and a CLI run at once) interleave whole lines, not bytes. Reading tolerates damaged
//! lines (a crash in the middle of a write leaves a partial last line): they are skipped.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::paths::AppDirs;
use crate::profiles::Backend;

/// The journal file's name inside the data directory.
pub const JOURNAL_FILE: &str = "journal.jsonl";

/// What kind of change was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// An image package was uploaded to the tenant (or skipped because it was already there).
    Upload,
    /// A deployment was created for a device group.
    Deploy,
    /// A device was moved into another device group.
    Move,
    /// A device was asked to restart (the "update now" direct method).
    Restart,
    /// A node behind a gateway was asked to update its firmware.
    NodeUpdate,
}

/// How the change ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The service accepted and finished the change.
    Ok,
    /// The change failed; `detail` says why.
    Failed,
    /// Nothing needed doing (an image already in the tenant, a device already in the group).
    Skipped,
}

/// What a change was made to: ids and display names, never request data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// The device group's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<String>,
    /// The device group's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
    /// The device (gateway) id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// A node's MAC address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    /// The images involved (uploaded, or the deployment's set).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_ids: Vec<String>,
    /// The images' names, in the order of `image_ids`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_names: Vec<String>,
    /// The images' kinds read from their package files (`HLApp`, `RTApp`, `BoardConfig`), in the
    /// order of `image_ids`: the tenant does not say whether an application is an HLApp or an
    /// RTApp, so what this machine once read from a file is remembered here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_kinds: Vec<String>,
    /// The deployment created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_id: Option<String>,
    /// The local package file (its name, not its directory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// Who made a change: the profile and the control plane it spoke to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The profile's name.
    pub profile: String,
    /// The profile's backend.
    pub backend: Backend,
}

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    /// When the change finished, UTC, written as RFC 3339.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The profile's name.
    pub profile: String,
    /// The profile's backend.
    pub backend: Backend,
    /// What was done.
    pub action: Action,
    /// What it was done to.
    pub target: Target,
    /// How it ended.
    pub result: Outcome,
    /// One sentence: why it failed or was skipped, or what was done.
    pub detail: String,
}

impl JournalEntry {
    /// An entry stamped at `at` (converted to UTC), with `detail` scrubbed of secret-shaped text.
    pub fn new(
        at: OffsetDateTime,
        actor: &Actor,
        action: Action,
        target: Target,
        result: Outcome,
        detail: &str,
    ) -> Self {
        Self {
            at: at.to_offset(time::UtcOffset::UTC),
            profile: actor.profile.clone(),
            backend: actor.backend,
            action,
            target,
            result,
            detail: scrub(detail),
        }
    }
}

/// The journal could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// The file or its directory could not be created, written or read.
    #[error(
        "cannot use the journal at {path}: {source}; check that the data directory is writable"
    )]
    Io {
        /// The journal file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// An entry could not be encoded (cannot happen with the typed entries; kept typed anyway).
    #[error("cannot encode a journal entry: {0}")]
    Encode(#[from] serde_json::Error),
}

/// The journal file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    path: PathBuf,
}

impl Journal {
    /// The journal at an explicit path (tests, portable installs).
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The journal in the product's data directory.
    pub fn in_dirs(dirs: &AppDirs) -> Self {
        Self::at(dirs.data.join(JOURNAL_FILE))
    }

    /// The file it writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one entry as one line, creating the file and its directory on first use.
    pub fn append(&self, entry: &JournalEntry) -> Result<(), JournalError> {
        let mut line = serde_json::to_string(entry)?;
        line.push('\n');
        let io = |source| JournalError::Io {
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        // A crash in the middle of an earlier write leaves a partial last line; start on a new
        // line so this entry is not glued to it (and lost with it).
        if ends_without_newline(&mut file).map_err(io)? {
            line.insert(0, '\n');
        }
        // One write of the whole line: with O_APPEND the OS places it at the end in one piece.
        file.write_all(line.as_bytes()).map_err(io)
    }

    /// Stamps an entry with the current time and appends it.
    pub fn record(
        &self,
        actor: &Actor,
        action: Action,
        target: Target,
        result: Outcome,
        detail: &str,
    ) -> Result<(), JournalError> {
        let entry = JournalEntry::new(
            OffsetDateTime::now_utc(),
            actor,
            action,
            target,
            result,
            detail,
        );
        self.append(&entry)
    }

    /// Like `record`, but a journal that cannot be written is logged instead of failing the
    /// change it describes: the change has already happened in the tenant, and failing it
    /// afterwards would only invite the user to repeat it.
    pub fn record_or_warn(
        &self,
        actor: &Actor,
        action: Action,
        target: Target,
        result: Outcome,
        detail: &str,
    ) {
        if let Err(error) = self.record(actor, action, target, result, detail) {
            tracing::warn!(%error, "journal entry not written");
        }
    }

    /// The last `limit` entries, newest first. A missing file is an empty journal; damaged lines
    /// are skipped.
    pub fn recent(&self, limit: usize) -> Result<Vec<JournalEntry>, JournalError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(JournalError::Io {
                    path: self.path.clone(),
                    source,
                })
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        Ok(text
            .lines()
            .rev()
            .filter(|line| !line.trim().is_empty())
            .filter_map(|line| serde_json::from_str::<JournalEntry>(line).ok())
            .take(limit)
            .collect())
    }
}

/// Whether a non-empty file's last byte is not a newline.
fn ends_without_newline(file: &mut std::fs::File) -> std::io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(false);
    }
    file.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

/// Replaces secret-shaped words in a detail sentence with `[redacted]`: JWTs (`eyJ…`), the word
/// after `Bearer`, and the values of `SharedAccessKey=`, `SharedAccessSignature`, `sig=`,
/// `client_secret=`, `access_token`, `refresh_token`, `password=`.
fn scrub(detail: &str) -> String {
    const KEYS: [&str; 8] = [
        "sharedaccesskey=",
        "sharedaccesssignature",
        "sig=",
        "client_secret=",
        "access_token",
        "refresh_token",
        "password=",
        "bearer",
    ];
    let mut out = Vec::new();
    let mut redact_next = false;
    for word in detail.split(' ') {
        let lower = word.to_ascii_lowercase();
        if redact_next && !word.is_empty() {
            out.push("[redacted]".to_owned());
            redact_next = false;
            continue;
        }
        if word.starts_with("eyJ") && word.len() > 20 {
            out.push("[redacted]".to_owned());
            continue;
        }
        match KEYS.iter().find_map(|k| lower.find(k).map(|i| (i, k))) {
            Some((i, key)) => {
                let keep = &word[..i + key.len()];
                if word.len() > keep.len() + 1 {
                    out.push(format!("{keep}[redacted]"));
                } else {
                    // The value follows as the next word (`Bearer abc`, `access_token: abc`).
                    out.push(word.to_owned());
                    redact_next = true;
                }
            }
            None => out.push(word.to_owned()),
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_secret_shapes() {
        let table = [
            ("plain words stay", "plain words stay"),
            ("Bearer abc.def", "Bearer [redacted]"),
            (
                "HostName=h;SharedAccessKeyName=x;SharedAccessKey=c2VjcmV0",
                "HostName=h;SharedAccessKeyName=x;SharedAccessKey=[redacted]",
            ),
            (
                "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
                "token [redacted]",
            ),
            (
                "client_secret=hunter2 rejected",
                "client_secret=[redacted] rejected",
            ),
            ("refresh_token: xyz", "refresh_token: [redacted]"),
        ];
        for (input, want) in table {
            assert_eq!(scrub(input), want, "{input}");
        }
    }
}
