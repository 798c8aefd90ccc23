//! When a run may touch which gateways: phased rollouts and maintenance windows (pure: no IO).
//!
//! - [`PhasePlan`]: a canary set first, then batches of a fixed size, with an error threshold
//!   ([`FailureLimit`]) checked after each phase; past it the rollout stops before the next phase.
//!   [`PhasePlan::split`] cuts the run's gateways into [`Phase`]s in order.
//! - [`Window`]: a daily maintenance window `HH:MM-HH:MM` at a fixed UTC offset (the operator's
//!   local offset, or one given). Restarts are sent only while it is open; a window whose end is
//!   before its start spans midnight (`22:00-02:00`).
//! - [`Clock`]: where a run reads the time, so that tests pass time in instead of waiting hours.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, Time, UtcOffset};

/// How many failures stop a phased rollout.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FailureLimit {
    /// More than this many failed gateways stop it.
    Count(usize),
    /// More than this share (0–100) of the gateways worked on so far stop it.
    Percent(f64),
}

impl FailureLimit {
    /// Parses `N` or `P%`.
    pub fn parse(text: &str) -> Result<FailureLimit, ScheduleError> {
        let t = text.trim();
        let bad = || ScheduleError::Limit(text.to_owned());
        if let Some(p) = t.strip_suffix('%') {
            let p: f64 = p.trim().parse().map_err(|_| bad())?;
            if !(0.0..=100.0).contains(&p) {
                return Err(bad());
            }
            return Ok(FailureLimit::Percent(p));
        }
        t.parse().map(FailureLimit::Count).map_err(|_| bad())
    }

    /// Whether `failed` of `done` gateways is past the limit.
    pub fn exceeded(&self, failed: usize, done: usize) -> bool {
        match *self {
            FailureLimit::Count(n) => failed > n,
            FailureLimit::Percent(p) => done > 0 && (failed as f64) * 100.0 / (done as f64) > p,
        }
    }

    /// The limit as [`FailureLimit::parse`] reads it: `3` or `10%`.
    pub fn text(&self) -> String {
        match self {
            FailureLimit::Count(n) => n.to_string(),
            FailureLimit::Percent(p) => format!("{p}%"),
        }
    }

    /// The limit as [`FailureLimit::parse`] reads it: `3`, `10%`.
    pub fn spec(&self) -> String {
        match self {
            FailureLimit::Count(n) => n.to_string(),
            FailureLimit::Percent(p) => format!("{p}%"),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            FailureLimit::Count(n) => format!("more than {n} failed"),
            FailureLimit::Percent(p) => format!("more than {p}% failed"),
        }
    }
}

/// A phased rollout: canaries, then batches, with an error threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhasePlan {
    /// Gateways in the first phase (0: no canary phase).
    pub canary: usize,
    /// Gateways per later phase (0: all the rest in one).
    pub batch: usize,
    /// Past this the rollout stops before the next phase.
    pub max_failed: FailureLimit,
}

/// One phase of a run: its name (`canary`, `batch 1`, ...) and its gateways' positions in the
/// run's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phase {
    pub name: String,
    pub range: std::ops::Range<usize>,
}

impl PhasePlan {
    /// The phases a front end was asked for (canary size, batch size, threshold text): none
    /// when none of the three is given; a missing threshold is 0 (the first failure stops).
    pub fn from_options(
        canary: Option<usize>,
        batch: Option<usize>,
        max_failed: Option<&str>,
    ) -> Result<Option<PhasePlan>, ScheduleError> {
        if canary.is_none() && batch.is_none() && max_failed.is_none() {
            return Ok(None);
        }
        Ok(Some(PhasePlan {
            canary: canary.unwrap_or(0),
            batch: batch.unwrap_or(0),
            max_failed: match max_failed {
                Some(text) => FailureLimit::parse(text)?,
                None => FailureLimit::Count(0),
            },
        }))
    }

    /// Cuts `count` gateways into phases, in order.
    pub fn split(&self, count: usize) -> Vec<Phase> {
        let mut phases = Vec::new();
        let mut at = 0;
        if self.canary > 0 && count > 0 {
            let end = self.canary.min(count);
            phases.push(Phase {
                name: "canary".into(),
                range: 0..end,
            });
            at = end;
        }
        let mut n = 1;
        while at < count {
            let end = if self.batch == 0 {
                count
            } else {
                (at + self.batch).min(count)
            };
            phases.push(Phase {
                name: format!("batch {n}"),
                range: at..end,
            });
            at = end;
            n += 1;
        }
        phases
    }
}

/// A daily maintenance window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Window {
    #[serde(with = "hhmm")]
    pub start: Time,
    #[serde(with = "hhmm")]
    pub end: Time,
    /// The offset the times are in, in seconds east of UTC.
    pub offset_seconds: i32,
}

mod hhmm {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Time;

    pub fn serialize<S: Serializer>(t: &Time, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{:02}:{:02}", t.hour(), t.minute()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Time, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_hhmm(&text).map_err(serde::de::Error::custom)
    }
}

fn parse_hhmm(text: &str) -> Result<Time, ScheduleError> {
    let bad = || ScheduleError::Window(text.to_owned());
    let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u8, u8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    Time::from_hms(h, m, 0).map_err(|_| bad())
}

/// Parses a UTC offset: `+09:00`, `-05:30`, `Z`/`UTC`.
pub fn parse_offset(text: &str) -> Result<UtcOffset, ScheduleError> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("z") || t.eq_ignore_ascii_case("utc") {
        return Ok(UtcOffset::UTC);
    }
    let bad = || ScheduleError::Offset(text.to_owned());
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1i8, &t[1..]),
        Some(b'-') => (-1i8, &t[1..]),
        _ => return Err(bad()),
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let (h, m): (i8, i8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    UtcOffset::from_hms(sign * h, sign * m, 0).map_err(|_| bad())
}

impl Window {
    /// Parses `HH:MM-HH:MM` at `offset`. A window of no length is refused.
    pub fn parse(text: &str, offset: UtcOffset) -> Result<Window, ScheduleError> {
        let (a, b) = text
            .split_once('-')
            .ok_or_else(|| ScheduleError::Window(text.to_owned()))?;
        let (start, end) = (parse_hhmm(a)?, parse_hhmm(b)?);
        if start == end {
            return Err(ScheduleError::Window(text.to_owned()));
        }
        Ok(Window {
            start,
            end,
            offset_seconds: offset.whole_seconds(),
        })
    }

    fn offset(&self) -> UtcOffset {
        UtcOffset::from_whole_seconds(self.offset_seconds).unwrap_or(UtcOffset::UTC)
    }

    /// Whether the window is open at `now`.
    pub fn contains(&self, now: OffsetDateTime) -> bool {
        let t = now.to_offset(self.offset()).time();
        if self.start < self.end {
            self.start <= t && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }

    /// When the window next closes (the end of the open window, or of the next one).
    pub fn closes_at(&self, now: OffsetDateTime) -> OffsetDateTime {
        self.next(now, self.end)
    }

    /// When the window next opens (`now` itself when it is open).
    pub fn opens_at(&self, now: OffsetDateTime) -> OffsetDateTime {
        if self.contains(now) {
            return now;
        }
        self.next(now, self.start)
    }

    /// The first moment at or after `now` whose local time is `at`.
    fn next(&self, now: OffsetDateTime, at: Time) -> OffsetDateTime {
        let local = now.to_offset(self.offset());
        let today = local.replace_time(at);
        if today > local {
            today
        } else {
            today + time::Duration::days(1)
        }
    }

    /// The window as [`Window::parse`] reads it: `22:00-04:00`.
    pub fn spec(&self) -> String {
        format!(
            "{:02}:{:02}-{:02}:{:02}",
            self.start.hour(),
            self.start.minute(),
            self.end.hour(),
            self.end.minute()
        )
    }

    /// Its offset as [`parse_offset`] reads it: `+09:00`.
    pub fn offset_text(&self) -> String {
        let o = self.offset();
        format!(
            "{}{:02}:{:02}",
            if o.is_negative() { '-' } else { '+' },
            o.whole_hours().unsigned_abs(),
            o.minutes_past_hour().unsigned_abs()
        )
    }

    pub fn describe(&self) -> String {
        format!("{} (UTC{})", self.spec(), self.offset_text())
    }
}

/// Bad phase or window options.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("'{0}' is not an error threshold; give a number of gateways (3) or a share (10%)")]
    Limit(String),
    #[error("'{0}' is not a window; give HH:MM-HH:MM, e.g. 22:00-05:00")]
    Window(String),
    #[error("'{0}' is not a UTC offset; give +09:00, -05:30 or UTC")]
    Offset(String),
}

impl ScheduleError {
    /// The text that was refused, as typed.
    pub fn value(&self) -> &str {
        match self {
            ScheduleError::Limit(v) | ScheduleError::Window(v) | ScheduleError::Offset(v) => v,
        }
    }
}

/// Where a run reads the time: the system clock, or one a test sets.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    manual: Option<Arc<Mutex<OffsetDateTime>>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that says `at` until it is [`Clock::set`].
    pub fn manual(at: OffsetDateTime) -> Clock {
        Clock {
            manual: Some(Arc::new(Mutex::new(at))),
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        match &self.manual {
            Some(t) => *t.lock().unwrap_or_else(|p| p.into_inner()),
            None => OffsetDateTime::now_utc(),
        }
    }

    /// Sets a manual clock (no effect on the system clock).
    pub fn set(&self, at: OffsetDateTime) {
        if let Some(t) = &self.manual {
            *t.lock().unwrap_or_else(|p| p.into_inner()) = at;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn phases_are_cut_in_order() {
        let plan = PhasePlan {
            canary: 3,
            batch: 4,
            max_failed: FailureLimit::Count(1),
        };
        let names: Vec<(String, std::ops::Range<usize>)> = plan
            .split(12)
            .into_iter()
            .map(|p| (p.name, p.range))
            .collect();
        assert_eq!(
            names,
            [
                ("canary".into(), 0..3),
                ("batch 1".into(), 3..7),
                ("batch 2".into(), 7..11),
                ("batch 3".into(), 11..12)
            ]
        );
        let rest = PhasePlan {
            canary: 0,
            batch: 0,
            max_failed: FailureLimit::Count(0),
        };
        assert_eq!(rest.split(5).len(), 1);
        assert!(rest.split(0).is_empty());
    }

    #[test]
    fn limits_parse_and_compare() {
        assert_eq!(FailureLimit::parse("2"), Ok(FailureLimit::Count(2)));
        assert_eq!(FailureLimit::parse("10%"), Ok(FailureLimit::Percent(10.0)));
        assert!(FailureLimit::parse("x").is_err());
        assert!(FailureLimit::parse("120%").is_err());
        assert!(FailureLimit::Count(1).exceeded(2, 3));
        assert!(!FailureLimit::Count(1).exceeded(1, 3));
        assert!(FailureLimit::Percent(10.0).exceeded(2, 10));
        assert!(!FailureLimit::Percent(10.0).exceeded(1, 10));
    }

    #[test]
    fn windows_open_close_and_span_midnight() {
        let kst = parse_offset("+09:00").unwrap();
        let w = Window::parse("22:00-02:00", kst).unwrap();
        // 13:30 UTC = 22:30 KST: open; closes at 02:00 KST = 17:00 UTC.
        let open = datetime!(2026-12-02 13:30 UTC);
        assert!(w.contains(open));
        assert_eq!(w.closes_at(open), datetime!(2026-12-02 17:00 UTC));
        let shut = datetime!(2026-12-02 03:00 UTC); // 12:00 KST
        assert!(!w.contains(shut));
        assert_eq!(w.opens_at(shut), datetime!(2026-12-02 13:00 UTC));
        let day = Window::parse("09:00-17:30", UtcOffset::UTC).unwrap();
        assert!(day.contains(datetime!(2026-12-02 17:29 UTC)));
        assert!(!day.contains(datetime!(2026-12-02 17:30 UTC)));
        assert!(Window::parse("9-17", UtcOffset::UTC).is_err());
        assert!(Window::parse("10:00-10:00", UtcOffset::UTC).is_err());
        assert!(parse_offset("KST").is_err());
        assert_eq!(day.describe(), "09:00-17:30 (UTC+00:00)");
    }

    #[test]
    fn options_read_back_as_they_are_written() {
        assert_eq!(PhasePlan::from_options(None, None, None), Ok(None));
        let plan = PhasePlan::from_options(Some(3), None, None)
            .unwrap()
            .unwrap();
        assert_eq!((plan.canary, plan.batch), (3, 0));
        assert_eq!(
            plan.max_failed,
            FailureLimit::Count(0),
            "the first failure stops it"
        );
        assert!(PhasePlan::from_options(None, Some(5), Some("lots")).is_err());
        for limit in ["0", "7", "12.5%", "100%"] {
            let parsed = FailureLimit::parse(limit).unwrap();
            assert_eq!(FailureLimit::parse(&parsed.text()), Ok(parsed), "{limit}");
        }
        let w = Window::parse("22:00-05:30", parse_offset("-05:30").unwrap()).unwrap();
        assert_eq!(
            (w.spec().as_str(), w.offset_text().as_str()),
            ("22:00-05:30", "-05:30")
        );
        let again = Window::parse(&w.spec(), parse_offset(&w.offset_text()).unwrap()).unwrap();
        assert_eq!(again, w);
    }
}
