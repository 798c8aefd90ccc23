//! The language of what the CLI prints, and its sentences.
//!
//! Korean when `--lang ko` says so, else when the system locale does (`LC_ALL`, then
//! `LC_MESSAGES`, then `LANG`, as POSIX orders them; when none is set — usual on Windows, and on
//! macOS outside a terminal that sets `LANG` — the OS's preferred UI language through the
//! `sys-locale` crate, as the app asks it); English otherwise. The sentences for what
//! the core says as data — every error kind's title, message and next action, the deployment
//! plan's findings — come from the app's own catalogs (`ui/i18n/en.js`, `ui/i18n/ko.js`, embedded
//! at build time), so the window and the terminal say the same thing; the few words only the CLI
//! prints (labels) are in [`cli_word`].

use std::sync::OnceLock;

use serde_json::{Map, Value};

static EN: &str = include_str!("../../../ui/i18n/en.js");
static KO: &str = include_str!("../../../ui/i18n/ko.js");

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    En,
    Ko,
}

static CHOSEN: OnceLock<Lang> = OnceLock::new();

/// Fixes the language for this process: `flag` (`--lang`), else the locale variables, else the
/// OS's language.
pub fn init(flag: Option<Lang>) {
    let lang = flag
        .unwrap_or_else(|| from_locale(|name| std::env::var(name).ok(), sys_locale::get_locale));
    let _ = CHOSEN.set(lang);
}

/// The language chosen by [`init`] (English before it).
pub fn current() -> Lang {
    CHOSEN.get().copied().unwrap_or(Lang::En)
}

/// The language the locale variables ask for: the first of `LC_ALL`, `LC_MESSAGES`, `LANG` that
/// is set and not empty decides (`ko`, `ko_KR.UTF-8`, `ko-KR` → Korean); without any, `os` (the
/// OS's own answer: Windows' preferred UI language, macOS' preferred languages) does.
pub fn from_locale(
    var: impl Fn(&str) -> Option<String>,
    os: impl FnOnce() -> Option<String>,
) -> Lang {
    let value = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .into_iter()
        .find_map(|name| var(name).filter(|v| !v.is_empty()))
        .or_else(os)
        .unwrap_or_default();
    let language = value.split(['_', '-', '.', '@']).next().unwrap_or_default();
    if language.eq_ignore_ascii_case("ko") {
        Lang::Ko
    } else {
        Lang::En
    }
}

/// The catalog entry `key` in `lang` with its `{name}` placeholders filled from `params`; a
/// placeholder without a value is dropped with the parentheses around it, as the UI does.
pub fn text(lang: Lang, key: &str, params: &Map<String, Value>) -> Option<String> {
    let source = match lang {
        Lang::En => EN,
        Lang::Ko => KO,
    };
    let template = entry(source, key)?;
    Some(fill(&template, params))
}

/// The value of `'key': '…',` in a catalog file (one entry a line, single-quoted).
fn entry(source: &str, key: &str) -> Option<String> {
    let prefix = format!("'{key}': '");
    source.lines().find_map(|line| {
        let rest = line.trim_start().strip_prefix(&prefix)?;
        let end = rest.rfind('\'')?;
        Some(rest[..end].replace("\\n", "\n"))
    })
}

fn fill(template: &str, params: &Map<String, Value>) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else {
            break;
        };
        let name = &rest[open + 1..close];
        out.push_str(&rest[..open]);
        match params.get(name) {
            Some(Value::String(s)) => out.push_str(s),
            Some(Value::Array(items)) => out.push_str(
                &items
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            Some(other) => out.push_str(&other.to_string()),
            None => {
                // "(… {name} …)" goes whole when the value is missing.
                if let (Some(p), Some(q)) = (out.rfind('('), rest[close..].find(')')) {
                    out.truncate(p);
                    let out_trimmed = out.trim_end().len();
                    out.truncate(out_trimmed);
                    rest = &rest[close + q + 1..];
                    continue;
                }
            }
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// `cli.<key>` in the chosen language, `{name}` placeholders filled from `params`; the English
/// entry when the Korean one is missing, the key itself when both are (a test forbids both).
pub fn say(key: &str, params: &[(&str, String)]) -> String {
    let params = params_of(params);
    text(current(), key, &params)
        .or_else(|| text(Lang::En, key, &params))
        .unwrap_or_else(|| key.to_owned())
}

/// A sentence of the CLI's own: `say!("upload.uploaded")`, `say!("runs.discarded", id = id)`
/// says `cli.<key>` in the chosen language (see [`say`]).
#[macro_export]
macro_rules! say {
    ($key:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::lang::say(
            concat!("cli.", $key),
            &[$((stringify!($name), ($value).to_string())),*],
        )
    };
}

/// [`say!`] with a count: `cli.<key>.one` when `count` is 1, else `cli.<key>.other`, with
/// `{count}` filled.
#[macro_export]
macro_rules! say_n {
    ($key:literal, $count:expr $(, $name:ident = $value:expr)* $(,)?) => {{
        let count: usize = $count;
        let key = if count == 1 {
            concat!("cli.", $key, ".one")
        } else {
            concat!("cli.", $key, ".other")
        };
        $crate::lang::say(
            key,
            &[("count", count.to_string()) $(, (stringify!($name), ($value).to_string()))*],
        )
    }};
}

/// A machine word the English output always printed as it is (an enum's name, an image type, a
/// backend): in Korean the catalog's `key` says it, in English (or without the entry) `english`.
pub fn korean_or(key: &str, english: impl Into<String>) -> String {
    let english = english.into();
    match current() {
        Lang::Ko => text(Lang::Ko, key, &Map::new()).unwrap_or(english),
        Lang::En => english,
    }
}

/// Words only the CLI prints.
pub fn cli_word(lang: Lang, word: &str) -> &'static str {
    match (lang, word) {
        (Lang::Ko, "next") => "다음에 할 일",
        // The core's own English text, kept for support (docs/gui-contract.md, "Details").
        (Lang::Ko, "details") => "기술 정보(원문)",
        (Lang::Ko, "problem") => "문제",
        (Lang::Ko, "warning") => "경고",
        (_, "next") => "next",
        (_, "details") => "details",
        (_, "problem") => "problem",
        (_, "warning") => "warning",
        _ => "",
    }
}

/// A failure the CLI finds itself (a missing argument, a profile that cannot do what was asked,
/// a file that is not JSON): said as the catalog key `cli.error.<key>` with its values, so that
/// it is told in the chosen language. Its `Display` is the English sentence, what scripts read.
/// Made with [`refusal!`]; used as an error or as an error's context.
#[derive(Debug)]
pub struct Refusal {
    key: &'static str,
    params: Vec<(&'static str, String)>,
}

impl Refusal {
    pub fn new(key: &'static str, params: Vec<(&'static str, String)>) -> Refusal {
        Refusal { key, params }
    }

    /// The sentence in `lang` (English when the entry is missing, the key when both are).
    pub fn said(&self, lang: Lang) -> String {
        let params = params_of(&self.params);
        text(lang, self.key, &params)
            .or_else(|| text(Lang::En, self.key, &params))
            .unwrap_or_else(|| self.key.to_owned())
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.said(Lang::En))
    }
}

impl std::error::Error for Refusal {}

/// A [`Refusal`] with the sentence `cli.<key>`: `refusal!("error.no_profile_name")`,
/// `refusal!("error.profile_exists", name = name)`.
#[macro_export]
macro_rules! refusal {
    ($key:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::lang::Refusal::new(
            concat!("cli.", $key),
            vec![$((stringify!($name), ($value).to_string())),*],
        )
    };
}

fn params_of(params: &[(&str, String)]) -> Map<String, Value> {
    params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::String(v.clone())))
        .collect()
}

/// The core's error kind behind `error` (the first typed error in its chain) with its params,
/// and, where the CLI can say it more exactly than the kind's message (the group or profile
/// asked for, the value that is not a threshold), that sentence's catalog key.
fn core_kind(
    error: &anyhow::Error,
) -> Option<(&'static str, Map<String, Value>, Option<&'static str>)> {
    use asg_fota_core::cloud::CloudError;
    use asg_fota_core::inspect::InspectError;
    use asg_fota_core::profiles::ProfileError;
    use asg_fota_core::secrets::SecretError;
    use asg_fota_core::session::SessionError;
    use asg_fota_core::tenant::{cloud_params, TenantError};
    use asg_fota_core::workflow::deploy::DeployError;
    use asg_fota_core::workflow::runs::RunError;
    use asg_fota_core::workflow::schedule::ScheduleError;
    let one = |k: &str, v: &str| {
        let mut params = Map::new();
        params.insert(k.to_owned(), v.to_owned().into());
        params
    };
    let session = |e: &SessionError| -> (&'static str, Map<String, Value>, Option<&'static str>) {
        match e {
            SessionError::GroupNotFound { spec, known } => {
                let mut params = one("group", spec);
                params.insert("known".into(), known.join(", ").into());
                (e.kind(), params, Some("cli.error.group_not_found"))
            }
            SessionError::AmbiguousGroup { spec, candidates } => {
                let mut params = one("group", spec);
                params.insert("candidates".into(), candidates.join(", ").into());
                (e.kind(), params, Some("cli.error.ambiguous_group"))
            }
            SessionError::Profile(p) => profile(p, e.kind()),
            _ => (e.kind(), e.params(), None),
        }
    };
    fn profile(
        e: &ProfileError,
        kind: &'static str,
    ) -> (&'static str, Map<String, Value>, Option<&'static str>) {
        let mut params = Map::new();
        match e {
            ProfileError::NotFound { name, known } => {
                params.insert("name".into(), name.clone().into());
                params.insert("known".into(), known.join(", ").into());
                (kind, params, Some("cli.error.unknown_profile"))
            }
            _ => (kind, e.params(), None),
        }
    }
    error.chain().find_map(|cause| {
        if let Some(e) = cause.downcast_ref::<TenantError>() {
            return Some(match e {
                TenantError::Session(s) => {
                    let (kind, mut params, said) = session(s);
                    params.extend(e.params());
                    (kind, params, said)
                }
                _ => (e.kind(), e.params(), None),
            });
        }
        if let Some(e) = cause.downcast_ref::<CloudError>() {
            return Some((e.kind(), cloud_params(e), None));
        }
        if let Some(e) = cause.downcast_ref::<SessionError>() {
            return Some(session(e));
        }
        if let Some(e) = cause.downcast_ref::<ProfileError>() {
            let kind = match e {
                ProfileError::Damaged { .. } => "config_damaged",
                _ => "profile",
            };
            return Some(profile(e, kind));
        }
        if let Some(e) = cause.downcast_ref::<SecretError>() {
            let kind = match e {
                SecretError::Unavailable { .. } => "keychain_unavailable",
                _ => "keychain",
            };
            return Some((kind, Map::new(), None));
        }
        if let Some(e) = cause.downcast_ref::<DeployError>() {
            return Some((e.kind(), Map::new(), None));
        }
        if let Some(e) = cause.downcast_ref::<RunError>() {
            return Some((e.kind(), e.params(), None));
        }
        if let Some(e) = cause.downcast_ref::<ScheduleError>() {
            let said = match e {
                ScheduleError::Limit(_) => "cli.error.not_a_limit",
                ScheduleError::Window(_) => "cli.error.not_a_window",
                ScheduleError::Offset(_) => "cli.error.not_an_offset",
            };
            return Some(("invalid_input", one("value", e.value()), Some(said)));
        }
        if let Some(e) = cause.downcast_ref::<InspectError>() {
            let mut params = Map::new();
            params.insert("file".into(), e.path().display().to_string().into());
            return Some((e.kind(), params, None));
        }
        None
    })
}

/// What the CLI prints for a failed command: in English the error itself (unchanged for
/// scripts that read it). In Korean: for a failure of the core, the kind's title and message (or
/// the CLI's more exact sentence), the next action, then the core's English detail; for one the
/// CLI found itself, its sentence (and the English detail when it wraps another error); anything
/// else as an internal error with its English detail. No English sentence outside the detail.
pub fn error_report(lang: Lang, error: &anyhow::Error) -> String {
    let english = format!("asg-fota-cli: {error:#}");
    if lang == Lang::En {
        return english;
    }
    let detail = format!("{error:#}");
    // The CLI's own words about what it was doing, when it said any (outermost first).
    let refusal = error.downcast_ref::<Refusal>().map(|r| r.said(lang));
    let report = match core_kind(error) {
        Some((core, params, said)) => {
            let message = said.and_then(|key| text(lang, key, &params));
            kind_report_with(lang, core, &params, message, &detail)
        }
        None if refusal.is_some() => {
            let mut out = format!("asg-fota-cli: {}", refusal.unwrap_or_default());
            if error.chain().count() > 1 {
                out.push_str(&format!("\n  {}: {detail}", cli_word(lang, "details")));
            }
            return out;
        }
        None => kind_report(lang, "internal", &Map::new(), &detail),
    };
    let report = report.unwrap_or(english);
    match refusal {
        Some(said) => format!("asg-fota-cli: {said}\n{report}"),
        None => report,
    }
}

/// A failure of the core's kind `core` in `lang`: the kind's title and message, the next action
/// and the core's English `detail`; `None` when the catalog lacks the kind's entries.
pub fn kind_report(
    lang: Lang,
    core: &str,
    params: &Map<String, Value>,
    detail: &str,
) -> Option<String> {
    kind_report_with(lang, core, params, None, detail)
}

/// [`kind_report`] with `message` said instead of the kind's own message when given.
fn kind_report_with(
    lang: Lang,
    core: &str,
    params: &Map<String, Value>,
    message: Option<String>,
    detail: &str,
) -> Option<String> {
    let kind = asg_fota_core::kinds::fold(core);
    let part = |name: &str| text(lang, &format!("errors.{kind}.{name}"), params);
    let message = match message {
        Some(m) => m,
        None => kind_message(lang, kind, params)?,
    };
    Some(format!(
        "asg-fota-cli: {}: {message}\n  {}: {}\n  {}: {detail}",
        part("title")?,
        cli_word(lang, "next"),
        part("action")?,
        cli_word(lang, "details"),
    ))
}

/// The message of the GUI kind `kind`: the more exact `errors.<kind>.reason.<reason>` when
/// `params` names a `reason` the catalog has (an empty secret, a run of another profile…), else
/// `errors.<kind>.message` — as the window's `errorParts` chooses.
fn kind_message(lang: Lang, kind: &str, params: &Map<String, Value>) -> Option<String> {
    params
        .get("reason")
        .and_then(Value::as_str)
        .and_then(|reason| text(lang, &format!("errors.{kind}.reason.{reason}"), params))
        .or_else(|| text(lang, &format!("errors.{kind}.message"), params))
}

/// One item's failure on its own line (a file that was not uploaded, a device not moved): the
/// core's English `english` in English; in another language the title and message of the core's
/// error `kind` (with `params`), then the English on a details line.
pub fn failure_line(kind: &str, params: &Map<String, Value>, english: &str) -> String {
    let lang = current();
    let gui = asg_fota_core::kinds::fold(kind);
    let part = |name: &str| text(lang, &format!("errors.{gui}.{name}"), params);
    match (lang, part("title"), kind_message(lang, gui, params)) {
        (Lang::Ko, Some(title), Some(message)) => format!(
            "{title}: {message}\n  {}: {english}",
            cli_word(lang, "details")
        ),
        _ => english.to_owned(),
    }
}

/// A plan finding (`plan.<problem|warning>.<kind>`) in `lang`; the core's English sentence when
/// the catalog has no entry.
pub fn finding<K: serde::Serialize>(
    lang: Lang,
    class: &str,
    finding: &asg_fota_core::workflow::plan::Finding<K>,
) -> String {
    let kind = serde_json::to_value(&finding.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let mut params = finding.params.clone();
    if let Some(Value::String(policy)) = params.get("policy") {
        if let Some(name) = text(lang, &format!("policy.{policy}"), &Map::new()) {
            params.insert("policy".into(), name.into());
        }
    }
    match lang {
        Lang::En => finding.message.clone(),
        Lang::Ko => text(lang, &format!("plan.{class}.{kind}"), &params)
            .unwrap_or_else(|| finding.message.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locale_variables_choose_in_posix_order() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let no_os = || None;
        assert_eq!(
            from_locale(env(&[("LANG", "ko_KR.UTF-8")]), no_os),
            Lang::Ko
        );
        assert_eq!(
            from_locale(
                env(&[("LC_ALL", "en_US.UTF-8"), ("LANG", "ko_KR.UTF-8")]),
                no_os
            ),
            Lang::En
        );
        assert_eq!(
            from_locale(
                env(&[("LC_ALL", ""), ("LC_MESSAGES", "ko"), ("LANG", "C")]),
                no_os
            ),
            Lang::Ko
        );
        assert_eq!(from_locale(env(&[("LANG", "C.UTF-8")]), no_os), Lang::En);
        assert_eq!(from_locale(env(&[]), no_os), Lang::En);
        // No POSIX variable (Windows, macOS apps): the OS's answer, a BCP 47 tag, decides.
        let korean_os = || Some("ko-KR".to_owned());
        assert_eq!(from_locale(env(&[]), korean_os), Lang::Ko);
        assert_eq!(from_locale(env(&[("LC_ALL", "")]), korean_os), Lang::Ko);
        // A POSIX variable that is set wins over the OS.
        assert_eq!(from_locale(env(&[("LANG", "C")]), korean_os), Lang::En);
    }

    #[test]
    fn every_error_kind_has_a_title_message_and_action_in_both_languages() {
        for kind in asg_fota_core::kinds::GUI_KINDS {
            for lang in [Lang::En, Lang::Ko] {
                for part in ["title", "message", "action"] {
                    let key = format!("errors.{kind}.{part}");
                    let found = text(lang, &key, &Map::new());
                    assert!(
                        found.as_deref().is_some_and(|t| !t.trim().is_empty()),
                        "{lang:?} {key}"
                    );
                }
            }
        }
    }

    /// Every `say!("key"…)` / `say_n!("key"…)` in the CLI's sources, with the placeholders it
    /// fills, as catalog keys (`cli.<key>`, plural ones with `.one` and `.other`).
    fn said_keys() -> Vec<(String, Vec<String>)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut keys = Vec::new();
        for file in std::fs::read_dir(dir).expect("src").flatten() {
            let source = std::fs::read_to_string(file.path()).expect("source");
            // Not this test's own strings.
            let source = source.split("#[cfg(test)]").next().unwrap_or_default();
            for (mark, plural) in [("say!(", false), ("say_n!(", true), ("refusal!(", false)] {
                for (at, _) in source.match_indices(mark) {
                    // Not in a comment (the macros' own docs show them).
                    let line_start = source[..at].rfind('\n').map_or(0, |n| n + 1);
                    if source[line_start..at].trim_start().starts_with("//") {
                        continue;
                    }
                    // rustfmt may put the key on the next line.
                    let rest = source[at + mark.len()..].trim_start();
                    let Some(rest) = rest.strip_prefix('"') else {
                        continue; // the macro's definition
                    };
                    let key = &rest[..rest.find('"').expect("closing quote")];
                    let call = &rest[..rest.find(");").unwrap_or(rest.len())];
                    let mut names: Vec<String> = call
                        .split(',')
                        .skip(if plural { 2 } else { 1 })
                        .filter_map(|p| p.split_once('=').map(|(n, _)| n.trim().to_owned()))
                        .collect();
                    if plural {
                        names.push("count".into());
                        for form in ["one", "other"] {
                            keys.push((format!("cli.{key}.{form}"), names.clone()));
                        }
                    } else {
                        keys.push((format!("cli.{key}"), names));
                    }
                }
            }
        }
        keys
    }

    #[test]
    fn every_sentence_the_cli_says_is_in_both_catalogs_with_its_placeholders() {
        let keys = said_keys();
        assert!(keys.len() > 50, "found only {} keys", keys.len());
        for (key, names) in keys {
            for lang in [Lang::En, Lang::Ko] {
                let source = if lang == Lang::En { EN } else { KO };
                let template = entry(source, &key)
                    .unwrap_or_else(|| panic!("{key} is missing from the {lang:?} catalog"));
                let mut used: Vec<&str> = template
                    .split('{')
                    .skip(1)
                    .filter_map(|p| p.split_once('}').map(|(n, _)| n))
                    .collect();
                used.sort_unstable();
                used.dedup();
                for name in used {
                    assert!(
                        names.iter().any(|n| n == name),
                        "{lang:?} {key} uses {{{name}}}, which the code does not fill"
                    );
                }
            }
        }
    }

    #[test]
    fn placeholders_are_filled_and_missing_ones_dropped_with_their_parentheses() {
        let mut params = Map::new();
        params.insert("count".into(), 2.into());
        params.insert("max".into(), 1.into());
        let text_ko = text(Lang::Ko, "plan.problem.too_many_hl_apps", &params).expect("entry");
        assert!(text_ko.contains("HLApp) 2개"), "{text_ko}");
        assert!(text_ko.contains("최대 1개"), "{text_ko}");
        let throttled = text(Lang::En, "errors.throttled.message", &Map::new()).expect("entry");
        assert!(!throttled.contains('{'), "{throttled}");
    }

    #[test]
    fn a_korean_error_report_names_the_kind_the_next_action_and_the_english_detail() {
        let error = anyhow::Error::new(asg_fota_core::inspect::InspectError::Io {
            path: "/x/a.imagepackage".into(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        });
        let report = error_report(Lang::Ko, &error);
        let title = text(Lang::Ko, "errors.io.title", &Map::new()).expect("title");
        assert!(report.contains(&title), "{report}");
        assert!(report.contains("다음에 할 일"), "{report}");
        assert!(report.contains("no such file"), "{report}");
        assert_eq!(
            error_report(Lang::En, &error),
            format!("asg-fota-cli: {error:#}")
        );
    }
}
