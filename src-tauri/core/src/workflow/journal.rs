//! The local journal: one JSON line per change made to a tenant, in `<data dir>/journal.jsonl`.
//!
//! This module owns the journal's file format and the rule that nothing secret reaches it. Entries
//! are typed (`JournalEntry` with an `Action`, a `Target` of ids and names, an `Outcome` and a
//! one-sentence `detail`): there is no way to put a request body, a header map or a token into
//! one. Beside the English `detail` an entry may say what happened as data (`said`: a catalog key
//! and its non-secret parameters) for the front ends to put into the user's language. The `detail`
//! text is the only free field; it is meant for an error's plain-words message,
//! and as a second line of defence it is scrubbed of anything shaped like a bearer token, a JWT or
//! a connection-string key before it is written.
//!
//! Each entry is appended with one `write` on a file opened in append mode, so concurrent writers
//! (the GUI and a CLI run at once) interleave whole lines, not bytes. Reading tolerates damaged
//! lines (a crash in the middle of a write leaves a partial last line): they are skipped.
//!
//! # Write-ahead
//!
//! Moves, restarts and node updates made by a run are journaled twice: an *intent* line
//! (`result: "pending"`, with the run's id and, for a restart, the device's last check-in read
//! before it) is written **and flushed to disk** (`fsync`) before the request is sent, and the
//! outcome line after it. A crash between the two leaves an intent without an outcome, which is
//! how `workflow::runs` finds interrupted runs and how a resumed run knows what may already have
//! happened. Outcome lines are not flushed: losing one only makes a resumed run check the device
//! again.
//!
//! # Rotation
//!
//! When `journal.jsonl` has grown past [`Journal::max_bytes`] (4 MiB by default) the next append
//! first renames it to `journal-<UTC time>.jsonl` beside it; rotated files are kept, never
//! deleted. Readers walk the files newest first and each file from its end in blocks, so reading
//! recent entries costs what is read, not the size of the whole history.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::paths::AppDirs;
use crate::profiles::Backend;

/// The journal file's name inside the data directory.
pub const JOURNAL_FILE: &str = "journal.jsonl";

/// The size past which the journal is rotated before the next append.
pub const DEFAULT_MAX_BYTES: u64 = 4 * 1024 * 1024;

/// How much of a file is read at a time when walking it backwards.
const READ_BLOCK: usize = 64 * 1024;

/// What kind of change was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    /// About to be sent: written and flushed before the request; a later line of the same run
    /// says how it ended. An intent with no outcome is a change that may or may not have happened.
    Pending,
}

/// The run a journal line belongs to (moves, restarts and node updates of "update now" and node
/// update runs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunMark {
    /// The run's id (`workflow::runs`).
    pub id: String,
    /// The rollout phase (`canary`, `batch 2`), when the run is phased.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// With a restart's intent: the device's last update check-in read before the restart, so a
    /// resumed run can tell a check-in that came after it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub last_check_in: Option<OffsetDateTime>,
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

/// What an entry says happened, as data: a key of the front ends' catalogs (`journal.<key>` in
/// the UI's; `error` names the failure's kind in `params.kind`) and the values it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Said {
    pub key: String,
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub params: serde_json::Map<String, serde_json::Value>,
}

impl Said {
    /// The catalog key `key` with `params` (a JSON object; anything else is no params).
    pub fn new(key: &str, params: serde_json::Value) -> Said {
        Said {
            key: key.to_owned(),
            params: match params {
                serde_json::Value::Object(map) => map,
                _ => serde_json::Map::new(),
            },
        }
    }
}

/// An entry's detail as a writer gives it: the English sentence, and optionally what it says as
/// data. A plain `&str`/`String` is a sentence alone.
#[derive(Debug, Clone)]
pub struct Detail {
    text: String,
    said: Option<Said>,
}

impl Detail {
    /// The sentence `text`, said as the catalog key `key` with `params` (a JSON object).
    pub fn said(key: &str, params: serde_json::Value, text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            said: Some(Said::new(key, params)),
        }
    }

    /// A failure of the core's error kind `kind`, with its English message `text`.
    pub fn error(kind: &str, text: impl Into<String>) -> Self {
        Self::said("error", serde_json::json!({ "kind": kind }), text)
    }
}

impl From<&str> for Detail {
    fn from(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            said: None,
        }
    }
}

impl From<&String> for Detail {
    fn from(text: &String) -> Self {
        text.as_str().into()
    }
}

impl From<String> for Detail {
    fn from(text: String) -> Self {
        Self { text, said: None }
    }
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
    /// The same as data, when the writer gave it: the front ends' catalog key and parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub said: Option<Said>,
    /// The run the change belongs to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<RunMark>,
}

impl JournalEntry {
    /// An entry stamped at `at` (converted to UTC), with `detail` scrubbed of secret-shaped text.
    pub fn new(
        at: OffsetDateTime,
        actor: &Actor,
        action: Action,
        target: Target,
        result: Outcome,
        detail: impl Into<Detail>,
    ) -> Self {
        let Detail { text, said } = detail.into();
        let said = said.map(|mut said| {
            for value in said.params.values_mut() {
                if let serde_json::Value::String(s) = value {
                    *s = scrub(s);
                }
            }
            said
        });
        Self {
            at: at.to_offset(time::UtcOffset::UTC),
            profile: actor.profile.clone(),
            backend: actor.backend,
            action,
            target,
            result,
            detail: scrub(&text),
            said,
            run: None,
        }
    }

    /// The same entry, marked as part of a run.
    pub fn in_run(mut self, run: RunMark) -> Self {
        self.run = Some(run);
        self
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

/// The journal file (and its rotated predecessors beside it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journal {
    path: PathBuf,
    max_bytes: u64,
}

impl Journal {
    /// The journal at an explicit path (tests, portable installs).
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }

    /// The same journal, rotated once it has grown past `max_bytes`.
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes.max(1);
        self
    }

    /// The size past which the file is rotated.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
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
        let mut file = self.open_for_append().map_err(io)?;
        // A crash in the middle of an earlier write leaves a partial last line; start on a new
        // line so this entry is not glued to it (and lost with it).
        if ends_without_newline(&mut file).map_err(io)? {
            line.insert(0, '\n');
        }
        // One write of the whole line: with O_APPEND the OS places it at the end in one piece.
        file.write_all(line.as_bytes()).map_err(io)?;
        if entry.result == Outcome::Pending {
            // Write-ahead: the intent must be on disk before the request leaves.
            file.sync_data().map_err(io)?;
        }
        Ok(())
    }

    /// Opens the file for appending, rotating it first when it has grown past `max_bytes`.
    fn open_for_append(&self) -> std::io::Result<std::fs::File> {
        let open = || {
            OpenOptions::new()
                .create(true)
                .read(true)
                .append(true)
                .open(&self.path)
        };
        let file = open()?;
        if file.metadata()?.len() <= self.max_bytes {
            return Ok(file);
        }
        // Another writer may have rotated the file between our open and now: rename only when
        // the path still names the file we opened, so a fresh journal is never rotated away.
        if same_file(&file, &self.path)? {
            let rotated = self.rotated_name(OffsetDateTime::now_utc());
            match std::fs::rename(&self.path, &rotated) {
                Ok(()) => {}
                // Lost a race with another writer's rotation: theirs did the job.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        drop(file);
        open()
    }

    /// The name a file rotated at `at` gets: `journal-20261202T101500123456789Z.jsonl`.
    fn rotated_name(&self, at: OffsetDateTime) -> PathBuf {
        let at = at.to_offset(time::UtcOffset::UTC);
        let stem = self
            .path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("journal");
        let stamp = format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}{:09}Z",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute(),
            at.second(),
            at.nanosecond()
        );
        let mut name = self.path.with_file_name(format!("{stem}-{stamp}.jsonl"));
        let mut n = 1;
        while name.exists() {
            name = self
                .path
                .with_file_name(format!("{stem}-{stamp}-{n}.jsonl"));
            n += 1;
        }
        name
    }

    /// The journal's files, newest first: the current one, then the rotated ones by name (their
    /// names sort by rotation time).
    pub fn files(&self) -> Result<Vec<PathBuf>, JournalError> {
        let io = |source| JournalError::Io {
            path: self.path.clone(),
            source,
        };
        let stem = self
            .path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("journal")
            .to_owned();
        let dir = match self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            Some(dir) => dir.to_path_buf(),
            None => PathBuf::from("."),
        };
        let mut rotated = Vec::new();
        match std::fs::read_dir(&dir) {
            Ok(entries) => {
                for entry in entries {
                    let name = entry.map_err(io)?.file_name();
                    let Some(name) = name.to_str() else { continue };
                    if name.starts_with(&format!("{stem}-")) && name.ends_with(".jsonl") {
                        rotated.push(dir.join(name));
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        rotated.sort();
        rotated.reverse();
        let mut files = vec![self.path.clone()];
        files.extend(rotated);
        Ok(files)
    }

    /// Visits entries newest first (file order reversed, across rotated files) until `visit`
    /// breaks. Damaged lines are skipped; missing files are empty.
    pub fn scan_back(
        &self,
        mut visit: impl FnMut(JournalEntry) -> ControlFlow<()>,
    ) -> Result<(), JournalError> {
        for path in self.files()? {
            let flow = read_back(&path, |line| {
                match serde_json::from_slice::<JournalEntry>(line) {
                    Ok(entry) => visit(entry),
                    Err(_) => ControlFlow::Continue(()),
                }
            })
            .map_err(|source| JournalError::Io {
                path: path.clone(),
                source,
            })?;
            if flow.is_break() {
                break;
            }
        }
        Ok(())
    }

    /// Stamps an entry with the current time and appends it.
    pub fn record(
        &self,
        actor: &Actor,
        action: Action,
        target: Target,
        result: Outcome,
        detail: impl Into<Detail>,
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
        detail: impl Into<Detail>,
    ) {
        if let Err(error) = self.record(actor, action, target, result, detail) {
            tracing::warn!(%error, "journal entry not written");
        }
    }

    /// The last `limit` entries, newest first. A missing file is an empty journal; damaged lines
    /// are skipped. Only as much of the files is read as the entries need.
    pub fn recent(&self, limit: usize) -> Result<Vec<JournalEntry>, JournalError> {
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        self.scan_back(|entry| {
            out.push(entry);
            if out.len() >= limit {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })?;
        Ok(out)
    }
}

/// Whether `path` names the same file as the open `file`.
fn same_file(file: &std::fs::File, path: &Path) -> std::io::Result<bool> {
    let at_path = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    let opened = file.metadata()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Ok(opened.dev() == at_path.dev() && opened.ino() == at_path.ino())
    }
    #[cfg(not(unix))]
    {
        // No inode number in std here: the same length is the best cheap evidence.
        Ok(opened.len() == at_path.len())
    }
}

/// Calls `visit` with each non-empty line of `path`, last line first, reading the file from its
/// end in blocks of [`READ_BLOCK`]. A missing file has no lines.
fn read_back(
    path: &Path,
    mut visit: impl FnMut(&[u8]) -> ControlFlow<()>,
) -> std::io::Result<ControlFlow<()>> {
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ControlFlow::Continue(())),
        Err(e) => return Err(e),
    };
    let mut end = file.metadata()?.len();
    // The start of the line that continues past the block read last (bytes after its last
    // newline), carried into the next (earlier) block.
    let mut carry: Vec<u8> = Vec::new();
    let mut block = vec![0u8; READ_BLOCK];
    while end > 0 {
        let start = end.saturating_sub(READ_BLOCK as u64);
        let len = (end - start) as usize;
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut block[..len])?;
        let mut chunk = block[..len].to_vec();
        chunk.extend_from_slice(&carry);
        // Every line that is whole inside `chunk` (it has a newline before it) is visited, the
        // first partial line is carried.
        let mut line_end = chunk.len();
        while let Some(nl) = chunk[..line_end].iter().rposition(|&b| b == b'\n') {
            let line = &chunk[nl + 1..line_end];
            if !line.iter().all(u8::is_ascii_whitespace) && visit(line).is_break() {
                return Ok(ControlFlow::Break(()));
            }
            line_end = nl;
        }
        carry = chunk[..line_end].to_vec();
        end = start;
    }
    if !carry.iter().all(u8::is_ascii_whitespace) {
        return Ok(visit(&carry));
    }
    Ok(ControlFlow::Continue(()))
}

/// Whether a non-empty file's last byte is not a newline.
fn ends_without_newline(file: &mut std::fs::File) -> std::io::Result<bool> {
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
