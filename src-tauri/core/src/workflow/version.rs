//! Firmware versions of gateways' apps and of WIZ750SR nodes: parsing and numeric comparison.
//!
//! A version is `major.minor.maintenance` with an optional suffix glued to the last number
//! (`1.0.1dev`, `1.0.1-rc2`), optionally prefixed by `v`. Components compare as numbers, so
//! `1.0.10` is newer than `1.0.9`. A suffix marks a pre-release: `1.0.1dev` sorts *before* `1.0.1`.
//! Two suffixes of the same numbers compare case-insensitively as ASCII text (`1.0.1alpha` <
//! `1.0.1beta` < `1.0.1rc`), which is the usual pre-release order; numbers inside a suffix are not
//! compared numerically (`rc10` < `rc9`), because nothing in the device contract defines them.
//!
//! Anything else is unparseable, and an unparseable version is never "newer": step 6 offers
//! "Update" only when both versions parse and the available one is strictly higher.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A parsed firmware version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FirmwareVersion {
    /// The first number.
    pub major: u32,
    /// The second number.
    pub minor: u32,
    /// The third number (the guide's "maintenance").
    pub maintenance: u32,
    /// A pre-release suffix after the third number, without a leading `-`, `+` or `.`.
    pub suffix: Option<String>,
}

/// A node's firmware version is a firmware version; the alias names it where it is used.
pub type NodeVersion = FirmwareVersion;

/// Why a text is not a version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// Nothing to read.
    #[error("the version is empty")]
    Empty,
    /// Not exactly three dot-separated numbers.
    #[error("'{0}' is not a version of the form major.minor.maintenance")]
    Shape(String),
    /// A component is not a number or is too large.
    #[error("'{0}' has a component that is not a number")]
    Number(String),
    /// The suffix holds characters a version suffix cannot.
    #[error("'{0}' has a suffix with characters other than letters, digits, '-', '_', '.' or '+'")]
    Suffix(String),
}

impl FromStr for FirmwareVersion {
    type Err = VersionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(VersionError::Empty);
        }
        let body = trimmed
            .strip_prefix('v')
            .or_else(|| trimmed.strip_prefix('V'))
            .unwrap_or(trimmed);
        let mut parts = body.splitn(3, '.');
        let (Some(major), Some(minor), Some(rest)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(VersionError::Shape(trimmed.to_owned()));
        };
        let digits_end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (maintenance, suffix) = rest.split_at(digits_end);
        let number = |s: &str| -> Result<u32, VersionError> {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(VersionError::Number(trimmed.to_owned()));
            }
            s.parse::<u32>()
                .map_err(|_| VersionError::Number(trimmed.to_owned()))
        };
        let (major, minor, maintenance) = (number(major)?, number(minor)?, number(maintenance)?);
        // A separator before the suffix is allowed (`1.0.1-rc1`) but a fourth number is not
        // (`1.0.1.2` would otherwise read as 1.0.1 with suffix "2" and sort below 1.0.1).
        let suffix = suffix.strip_prefix(['-', '+', '_']).unwrap_or(suffix);
        if suffix.starts_with('.') || suffix.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(VersionError::Shape(trimmed.to_owned()));
        }
        if !suffix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'+'))
        {
            return Err(VersionError::Suffix(trimmed.to_owned()));
        }
        if rest.len() > digits_end && suffix.is_empty() {
            // A lone separator (`1.0.1-`) is a damaged version, not a release.
            return Err(VersionError::Suffix(trimmed.to_owned()));
        }
        Ok(Self {
            major,
            minor,
            maintenance,
            suffix: (!suffix.is_empty()).then(|| suffix.to_owned()),
        })
    }
}

impl Ord for FirmwareVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.maintenance)
            .cmp(&(other.major, other.minor, other.maintenance))
            .then_with(|| match (&self.suffix, &other.suffix) {
                (None, None) => Ordering::Equal,
                // A pre-release comes before its release.
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(a), Some(b)) => a
                    .to_ascii_lowercase()
                    .cmp(&b.to_ascii_lowercase())
                    .then_with(|| a.cmp(b)),
            })
    }
}

impl PartialOrd for FirmwareVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for FirmwareVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.maintenance)?;
        if let Some(suffix) = &self.suffix {
            f.write_str(suffix)?;
        }
        Ok(())
    }
}

/// Whether `available` is strictly newer than `current`. Either one unparseable (or missing)
/// means "no": an update is offered only when the comparison is certain.
pub fn is_newer(available: &str, current: &str) -> bool {
    match (
        available.parse::<FirmwareVersion>(),
        current.parse::<FirmwareVersion>(),
    ) {
        (Ok(a), Ok(c)) => a > c,
        _ => false,
    }
}

/// The order of two version texts when both parse, `None` otherwise.
pub fn compare(a: &str, b: &str) -> Option<Ordering> {
    let a = a.parse::<FirmwareVersion>().ok()?;
    let b = b.parse::<FirmwareVersion>().ok()?;
    Some(a.cmp(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(major: u32, minor: u32, maintenance: u32, suffix: Option<&str>) -> FirmwareVersion {
        FirmwareVersion {
            major,
            minor,
            maintenance,
            suffix: suffix.map(str::to_owned),
        }
    }

    #[test]
    fn parses_good_versions() {
        let table = [
            ("1.0.1", v(1, 0, 1, None)),
            (" 1.0.1 ", v(1, 0, 1, None)),
            ("v1.2.3", v(1, 2, 3, None)),
            ("V1.2.3", v(1, 2, 3, None)),
            ("1.0.1dev", v(1, 0, 1, Some("dev"))),
            ("1.0.1-rc2", v(1, 0, 1, Some("rc2"))),
            ("1.0.1+build.5", v(1, 0, 1, Some("build.5"))),
            ("01.002.0003", v(1, 2, 3, None)),
            ("4294967295.0.0", v(u32::MAX, 0, 0, None)),
        ];
        for (text, want) in table {
            assert_eq!(text.parse::<FirmwareVersion>(), Ok(want), "{text}");
        }
    }

    #[test]
    fn rejects_bad_versions_with_the_right_kind() {
        type IsKind = fn(&VersionError) -> bool;
        let table: [(&str, IsKind); 13] = [
            ("", |e| matches!(e, VersionError::Empty)),
            ("   ", |e| matches!(e, VersionError::Empty)),
            ("1.0", |e| matches!(e, VersionError::Shape(_))),
            ("1", |e| matches!(e, VersionError::Shape(_))),
            ("1.0.1.2", |e| matches!(e, VersionError::Shape(_))),
            ("1.0.1-2", |e| matches!(e, VersionError::Shape(_))),
            ("1.a.1", |e| matches!(e, VersionError::Number(_))),
            ("1..1", |e| matches!(e, VersionError::Number(_))),
            ("1.0.", |e| matches!(e, VersionError::Number(_))),
            ("-1.0.1", |e| matches!(e, VersionError::Number(_))),
            ("4294967296.0.0", |e| matches!(e, VersionError::Number(_))),
            ("1.0.1 beta", |e| matches!(e, VersionError::Suffix(_))),
            ("1.0.1-", |e| matches!(e, VersionError::Suffix(_))),
        ];
        for (text, is_kind) in table {
            match text.parse::<FirmwareVersion>() {
                Err(e) => assert!(is_kind(&e), "{text}: wrong kind {e:?}"),
                Ok(v) => panic!("{text} parsed as {v:?}"),
            }
        }
    }

    #[test]
    fn compares_numerically_with_pre_releases_first() {
        use Ordering::*;
        let table = [
            ("1.0.10", "1.0.9", Greater),
            ("1.0.9", "1.0.10", Less),
            ("1.10.0", "1.9.99", Greater),
            ("2.0.0", "1.99.99", Greater),
            ("1.0.1", "1.0.1", Equal),
            ("v1.0.1", "1.0.1", Equal),
            ("01.0.1", "1.0.1", Equal),
            ("1.0.1dev", "1.0.1", Less),
            ("1.0.1dev", "1.0.0", Greater),
            ("1.0.1alpha", "1.0.1beta", Less),
            ("1.0.1RC", "1.0.1rc", Less),
            ("1.0.1rc10", "1.0.1rc9", Less),
        ];
        for (a, b, want) in table {
            assert_eq!(compare(a, b), Some(want), "{a} vs {b}");
        }
    }

    #[test]
    fn update_is_offered_only_when_certain() {
        let table = [
            ("1.0.10", "1.0.9", true),
            ("1.0.9", "1.0.10", false),
            ("1.0.1", "1.0.1", false),
            ("1.0.1", "1.0.1dev", true),
            ("1.0.1dev", "1.0.1", false),
            ("garbage", "1.0.0", false),
            ("1.0.2", "garbage", false),
            ("", "", false),
            ("9.9.9", "", false),
        ];
        for (available, current, want) in table {
            assert_eq!(
                is_newer(available, current),
                want,
                "{available} vs {current}"
            );
        }
    }

    #[test]
    fn display_round_trips() {
        for text in ["1.0.1", "1.0.1dev", "10.20.30rc1"] {
            let parsed: FirmwareVersion = text.parse().unwrap();
            assert_eq!(parsed.to_string(), text);
        }
    }
}
