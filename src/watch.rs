//! Watching a capture as it grows: when to stop (`--until`, `--duration`),
//! what raises an alert (`--fail-on`), periodic summaries
//! (`--summary-every`) and the capture-time window (`--since`,
//! `--until-time`). The pipeline driver ([`crate::app`]) applies them in
//! every mode; following files is [`crate::input::follow`].

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, NaiveTime, Timelike};

use crate::input::event::EventTime;
use crate::record::{Outcome, Record};

/// What `--fail-on` watches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alert {
    /// A request with this outcome.
    Outcome(Outcome),
    /// Any failed request (cert_not_found, negotiate_failed, get_cert_failed).
    Failure,
    /// Requests missing from the capture (a counter gap).
    Gap,
    /// A worker process started again: its module reloaded, its request
    /// counter restarted, or its pid reused (not a process's first start).
    Recycle,
    /// A module error outside a request.
    ModuleError,
}

impl Alert {
    pub fn matches(self, r: &Record) -> bool {
        match (self, r) {
            (Alert::Outcome(o), Record::Request(q)) => q.outcome == o,
            (Alert::Failure, Record::Request(q)) => q.outcome.is_failure(),
            (Alert::Gap, Record::Gap(_)) => true,
            (Alert::Recycle, Record::Recycle(_)) => true,
            (Alert::ModuleError, Record::ModuleError(_)) => true,
            _ => false,
        }
    }
}

impl std::str::FromStr for Alert {
    type Err = String;
    fn from_str(s: &str) -> Result<Alert, String> {
        match s {
            "failure" => Ok(Alert::Failure),
            "gap" => Ok(Alert::Gap),
            "recycle" => Ok(Alert::Recycle),
            "module_error" => Ok(Alert::ModuleError),
            _ => s.parse::<Outcome>().map(Alert::Outcome).map_err(|_| {
                let names: Vec<_> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
                format!(
                    "unknown alert {s:?}; one of: {}, failure, gap, recycle, module_error",
                    names.join(", ")
                )
            }),
        }
    }
}

/// When a run stops by itself, and what it reports on the way.
#[derive(Debug, Clone, Default)]
pub struct StopRules {
    /// Stop with exit code 3 at the first matching record (`--fail-on`).
    pub fail_on: Vec<Alert>,
    /// Stop after this many reported requests (`--until`).
    pub until_requests: Option<u64>,
    /// Stop after this long (`--duration`).
    pub duration: Option<Duration>,
    /// Emit a summary of the totals so far this often (`--summary-every`).
    pub summary_every: Option<Duration>,
}

impl StopRules {
    pub fn alert(&self, r: &Record) -> bool {
        self.fail_on.iter().any(|a| a.matches(r))
    }
}

/// A bound on capture time, as typed on the command line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimeBound {
    /// Seconds since the capture started (`12.5`): DebugView elapsed time.
    Elapsed(f64),
    /// A time of day (`16:23:14`, `16:23:14.250`).
    TimeOfDay(NaiveTime),
    /// A date and time without zone (`2026-06-23T16:23:14`, also with a space).
    Local(NaiveDateTime),
    /// RFC 3339 with a zone (`2026-06-23T16:23:14Z`, `...+02:00`), kept in UTC.
    Utc(NaiveDateTime),
}

impl std::str::FromStr for TimeBound {
    type Err = String;
    fn from_str(s: &str) -> Result<TimeBound, String> {
        let s = s.trim();
        if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
            return Ok(TimeBound::Utc(dt.naive_utc()));
        }
        for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
            if let Ok(dt) = NaiveDateTime::parse_from_str(s, f) {
                return Ok(TimeBound::Local(dt));
            }
        }
        if s.contains(':')
            && let Ok(t) = NaiveTime::parse_from_str(s, "%H:%M:%S%.f")
                .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M"))
        {
            return Ok(TimeBound::TimeOfDay(t));
        }
        if let Ok(x) = s.parse::<f64>()
            && x.is_finite()
            && x >= 0.0
        {
            return Ok(TimeBound::Elapsed(x));
        }
        Err(format!(
            "{s:?} is not a time: use RFC 3339 (2026-06-23T16:23:14Z), a local date and time \
             (2026-06-23T16:23:14), a time of day (16:23:14) or elapsed seconds (12.5)"
        ))
    }
}

fn tod_secs(t: NaiveTime) -> f64 {
    t.num_seconds_from_midnight() as f64 + t.nanosecond() as f64 / 1e9
}

fn naive_secs(dt: NaiveDateTime) -> f64 {
    let u = dt.and_utc();
    u.timestamp() as f64 + u.timestamp_subsec_nanos() as f64 / 1e9
}

impl TimeBound {
    /// `t - bound` in seconds when the two can be compared: elapsed times
    /// only with elapsed bounds; a time of day with any clock time (its
    /// time of day); a date and time with clock times that have a date
    /// (local times taken as in the bound's zone) and, by its time of
    /// day, with times of day.
    pub fn compare(&self, t: &EventTime) -> Option<f64> {
        match (self, t) {
            (TimeBound::Elapsed(b), EventTime::Elapsed(s)) => Some(s - b),
            (TimeBound::Elapsed(_), _) | (_, EventTime::Elapsed(_)) => None,
            (TimeBound::TimeOfDay(b), t) => {
                let tt = match t {
                    EventTime::TimeOfDay(x) => *x,
                    EventTime::Local(dt) => dt.time(),
                    EventTime::Utc(dt) => dt.time(),
                    EventTime::Elapsed(_) => return None,
                };
                Some(tod_secs(tt) - tod_secs(*b))
            }
            (TimeBound::Local(b) | TimeBound::Utc(b), EventTime::TimeOfDay(x)) => {
                Some(tod_secs(*x) - tod_secs(b.time()))
            }
            (TimeBound::Local(b) | TimeBound::Utc(b), EventTime::Local(dt)) => {
                Some(naive_secs(*dt) - naive_secs(*b))
            }
            (TimeBound::Local(b) | TimeBound::Utc(b), EventTime::Utc(dt)) => {
                Some(naive_secs(dt.naive_utc()) - naive_secs(*b))
            }
        }
    }
}

/// `--since` / `--until-time`: which records, by capture time, are shown.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TimeWindow {
    pub since: Option<TimeBound>,
    pub until: Option<TimeBound>,
}

impl TimeWindow {
    pub fn is_empty(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }

    /// Whether a time is inside the window; `None` when a bound cannot be
    /// compared with this kind of time (the record is kept).
    pub fn admits(&self, t: &EventTime) -> Option<bool> {
        let mut ok = true;
        if let Some(b) = &self.since {
            ok &= b.compare(t)? >= 0.0;
        }
        if let Some(b) = &self.until {
            ok &= b.compare(t)? <= 0.0;
        }
        Some(ok)
    }
}

/// The capture time a record is placed at, for the time window (records
/// about the whole run have none).
pub fn record_time(r: &Record) -> Option<&EventTime> {
    match r {
        Record::Request(q) => q.time.as_ref(),
        Record::Gap(g) => g.time.as_ref(),
        Record::Orphan(o) => o.time.as_ref(),
        Record::Unknown(u) => u.time.as_ref(),
        Record::ModuleError(m) => m.time.as_ref(),
        Record::Recycle(r) => r.time.as_ref(),
        Record::Instance(_) | Record::Certificate(_) | Record::Problem(_) | Record::Summary(_) => {
            None
        }
    }
}

/// Parses a number of seconds (`2`, `0.5`) for `--duration`/`--summary-every`.
pub fn parse_seconds(s: &str) -> Result<Duration, String> {
    let x: f64 = s
        .trim()
        .trim_end_matches('s')
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(x.is_finite() && x > 0.0) {
        return Err(format!("{s:?}: seconds must be positive"));
    }
    Ok(Duration::from_secs_f64(x))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn bounds_parse() {
        assert_eq!("12.5".parse(), Ok(TimeBound::Elapsed(12.5)));
        assert!(matches!(
            "16:23:14".parse::<TimeBound>(),
            Ok(TimeBound::TimeOfDay(_))
        ));
        assert!(matches!(
            "2026-06-23T16:23:14".parse::<TimeBound>(),
            Ok(TimeBound::Local(_))
        ));
        let Ok(TimeBound::Utc(u)) = "2026-06-23T18:23:14+02:00".parse::<TimeBound>() else {
            panic!()
        };
        assert_eq!(u.to_string(), "2026-06-23 16:23:14");
        assert!("yesterday".parse::<TimeBound>().is_err());
    }

    #[test]
    fn windows_match_the_event_time_kind() {
        let w = TimeWindow {
            since: Some("10".parse().unwrap()),
            until: Some("20".parse().unwrap()),
        };
        assert_eq!(w.admits(&EventTime::Elapsed(15.0)), Some(true));
        assert_eq!(w.admits(&EventTime::Elapsed(25.0)), Some(false));
        let t = NaiveTime::from_hms_opt(12, 0, 0).unwrap();
        assert_eq!(w.admits(&EventTime::TimeOfDay(t)), None);
        let w = TimeWindow {
            since: Some("11:59:59".parse().unwrap()),
            until: None,
        };
        assert_eq!(w.admits(&EventTime::TimeOfDay(t)), Some(true));
        let dt = NaiveDate::from_ymd_opt(2026, 6, 23)
            .unwrap()
            .and_hms_opt(11, 0, 0)
            .unwrap();
        assert_eq!(w.admits(&EventTime::Local(dt)), Some(false));
        assert_eq!(w.admits(&EventTime::Utc(dt.and_utc())), Some(false));
        let w = TimeWindow {
            since: Some("2026-06-23T10:00:00Z".parse().unwrap()),
            until: None,
        };
        assert_eq!(w.admits(&EventTime::Utc(dt.and_utc())), Some(true));
        assert_eq!(w.admits(&EventTime::Elapsed(1.0)), None);
    }

    #[test]
    fn alerts_parse() {
        assert_eq!("gap".parse(), Ok(Alert::Gap));
        assert_eq!(
            "cert_not_found".parse(),
            Ok(Alert::Outcome(Outcome::CertNotFound))
        );
        assert!("nope".parse::<Alert>().is_err());
        assert_eq!(parse_seconds("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_seconds("0").is_err());
    }
}
