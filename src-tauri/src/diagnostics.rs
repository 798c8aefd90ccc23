//! "Save diagnostics…" (Help): one zip a person can attach to a support request — the recent
//! logs, the journal, the profiles file and the app's and OS's versions — with every secret the
//! app knows of removed.
//!
//! Nothing here should hold a secret in the first place (logs, journal and profiles are written
//! without them), so the scrubbing is a second line: every secret the keychain and the Demo
//! tenant hold is cut out by value, and anything shaped like a key, a signature or a bearer token
//! is cut out by pattern, before a byte reaches the zip.

use std::io::Write;
use std::path::{Path, PathBuf};

use asg_fota_core::secrets::Sensitive;

/// Logs older than the newest few are rarely what support needs, and keep the zip small.
const NEWEST_LOGS: usize = 3;
/// The tail of each file that goes in (a journal of years is not needed to read one failure).
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// What goes into the zip.
pub(crate) struct Diagnostics<'a> {
    pub(crate) log_dir: &'a Path,
    pub(crate) journal: &'a Path,
    /// The profiles as the app reads them (the built-in Demo tenant has no file of its own).
    pub(crate) profiles: String,
    /// `about.json`: versions, commit, build date, OS.
    pub(crate) about: serde_json::Value,
    /// Every secret the app can read now; their values are removed from every file.
    pub(crate) secrets: &'a [Sensitive<String>],
}

/// What was written, for the UI's confirmation.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Saved {
    pub(crate) path: String,
    pub(crate) files: Vec<String>,
}

/// Writes the zip to `out`.
pub(crate) fn save(out: &Path, input: &Diagnostics<'_>) -> std::io::Result<Saved> {
    let mut entries: Vec<(String, PathBuf)> = newest_logs(input.log_dir)
        .into_iter()
        .map(|path| (format!("logs/{}", file_name(&path)), path))
        .collect();
    entries.push(("journal.jsonl".into(), input.journal.to_path_buf()));

    let file = std::fs::File::create(out)?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut files = Vec::new();
    let about = serde_json::to_string_pretty(&input.about).unwrap_or_default();
    for (name, text) in [("about.json", &about), ("profiles.json", &input.profiles)] {
        zip.start_file(name, options)
            .map_err(std::io::Error::other)?;
        zip.write_all(scrub(text, input.secrets).as_bytes())?;
        files.push(name.to_owned());
    }
    for (name, path) in entries {
        // A file that does not exist yet (no journal before the first change) is left out.
        let Some(text) = read_tail(&path) else {
            continue;
        };
        zip.start_file(name.as_str(), options)
            .map_err(std::io::Error::other)?;
        zip.write_all(scrub(&text, input.secrets).as_bytes())?;
        files.push(name);
    }
    zip.finish().map_err(std::io::Error::other)?;
    Ok(Saved {
        path: out.display().to_string(),
        files,
    })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The newest log files (their names end in the date, so the name orders them).
fn newest_logs(dir: &Path) -> Vec<PathBuf> {
    let mut logs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|read| {
            read.filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| path.is_file() && file_name(path).starts_with("asg-fota"))
                .collect()
        })
        .unwrap_or_default();
    logs.sort();
    logs.split_off(logs.len().saturating_sub(NEWEST_LOGS))
}

/// The last `MAX_FILE_BYTES` of a file as text (lossy), or None when it cannot be read.
fn read_tail(path: &Path) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path).ok()?;
    let length = file.metadata().ok()?.len();
    file.seek(SeekFrom::Start(length.saturating_sub(MAX_FILE_BYTES)))
        .ok()?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

const REDACTED: &str = "[redacted]";

/// Cuts every known secret out of `text`, then anything shaped like one: the value after
/// `SharedAccessKey=`, `sig=`, `SharedAccessSignature `, `Bearer `, `refresh_token`,
/// `access_token` and `client_secret`.
pub(crate) fn scrub(text: &str, secrets: &[Sensitive<String>]) -> String {
    let mut out = text.to_owned();
    let mut values: Vec<&str> = Vec::new();
    for secret in secrets {
        let value = secret.expose().as_str();
        values.push(value);
        // A connection string's key can appear on its own, too.
        values.extend(
            value
                .split(';')
                .filter_map(|part| part.strip_prefix("SharedAccessKey=")),
        );
    }
    // Longest first, so a secret that contains another is cut whole.
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    for value in values.into_iter().filter(|v| v.len() >= 4) {
        out = out.replace(value, REDACTED);
    }
    for marker in [
        "SharedAccessKey=",
        "sig=",
        "SharedAccessSignature ",
        "Bearer ",
        "refresh_token\":\"",
        "access_token\":\"",
        "client_secret\":\"",
        "refresh_token=",
        "client_secret=",
    ] {
        out = cut_after(&out, marker);
    }
    out
}

/// Replaces the value after each `marker` (up to a delimiter) with `[redacted]`.
fn cut_after(text: &str, marker: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(marker) {
        let (before, after) = rest.split_at(at + marker.len());
        out.push_str(before);
        let end = after
            .find(|c: char| c.is_whitespace() || matches!(c, ';' | '&' | '"' | '\'' | ',' | '}'))
            .unwrap_or(after.len());
        if after[..end] != *REDACTED && end > 0 {
            out.push_str(REDACTED);
        } else {
            out.push_str(&after[..end]);
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The OS for `about.json`: "Debian GNU/Linux 12 (bookworm)" from os-release on Linux, the
/// family elsewhere (what could not be proven here: the Windows and macOS version strings).
pub(crate) fn os_description() -> String {
    let pretty = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_owned())
        });
    let family = format!("{} {}", std::env::consts::OS, std::env::consts::ARCH);
    match pretty {
        Some(name) => format!("{name} ({family})"),
        None => family,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn unzip(path: &Path) -> Vec<(String, String)> {
        let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
        (0..archive.len())
            .map(|i| {
                let mut file = archive.by_index(i).unwrap();
                let mut text = String::new();
                file.read_to_string(&mut text).unwrap();
                (file.name().unwrap().into_owned(), text)
            })
            .collect()
    }

    #[test]
    fn the_zip_holds_logs_journal_profiles_and_versions_without_any_secret() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("logs");
        std::fs::create_dir_all(&logs).unwrap();
        let client_secret = "Xy7~client-secret-value-0123456789";
        let key = "c2VjcmV0LWtleS1iYXNlNjQtdmFsdWU=";
        let connection =
            format!("HostName=hub.example;SharedAccessKeyName=owner;SharedAccessKey={key}");
        let refresh = "0.AAAArefresh-token-value-abcdef";
        // Secrets where they must never be, to prove the scrubbing: a log line, the profiles
        // file, the journal; plus a signature and a bearer token the store does not know.
        for day in ["2026-11-28", "2026-11-29", "2026-11-30", "2026-12-01"] {
            std::fs::write(
                logs.join(format!("asg-fota.{day}.log")),
                format!("{day} INFO started\n{day} WARN leaked {client_secret} and {key} and Bearer eyJhbGciOi.x.y and sig=abc%2Fdef&se=1\n"),
            )
            .unwrap();
        }
        std::fs::write(logs.join("unrelated.txt"), "not a log").unwrap();
        let journal = dir.path().join("journal.jsonl");
        std::fs::write(
            &journal,
            format!("{{\"action\":\"upload\",\"note\":\"{refresh}\"}}\n"),
        )
        .unwrap();
        let profiles = dir.path().join("profiles.json");
        std::fs::write(
            &profiles,
            format!(
                "{{\"active\":\"x\",\"iothub\":\"{connection}\",\"refresh_token\":\"{refresh}\"}}"
            ),
        )
        .unwrap();
        let secrets =
            [client_secret, connection.as_str(), refresh].map(|s| Sensitive::new(s.to_owned()));
        let out = dir.path().join("diagnostics.zip");

        let saved = save(
            &out,
            &Diagnostics {
                log_dir: &logs,
                journal: &journal,
                profiles: std::fs::read_to_string(&profiles).unwrap(),
                about: serde_json::json!({"version": "0.1.0", "os": os_description()}),
                secrets: &secrets,
            },
        )
        .unwrap();

        let files = unzip(&out);
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "about.json",
                "profiles.json",
                "logs/asg-fota.2026-11-29.log",
                "logs/asg-fota.2026-11-30.log",
                "logs/asg-fota.2026-12-01.log",
                "journal.jsonl"
            ]
        );
        assert_eq!(saved.files, names);
        let all: String = files.iter().map(|(_, t)| t.as_str()).collect();
        for secret in [
            client_secret,
            key,
            refresh,
            connection.as_str(),
            "eyJhbGciOi",
            "abc%2Fdef",
        ] {
            assert!(!all.contains(secret), "{secret} is in the zip");
        }
        assert!(all.contains("INFO started"), "the logs themselves are kept");
        assert!(all.contains("\"action\":\"upload\""), "the journal is kept");
        assert!(all.contains("\"active\":\"x\""), "what is not secret stays");
    }

    #[test]
    fn a_missing_journal_is_left_out_rather_than_failing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("d.zip");
        let saved = save(
            &out,
            &Diagnostics {
                log_dir: &dir.path().join("no-logs"),
                journal: &dir.path().join("none.jsonl"),
                profiles: String::new(),
                about: serde_json::json!({}),
                secrets: &[],
            },
        )
        .unwrap();
        assert_eq!(saved.files, ["about.json", "profiles.json"]);
    }
}
