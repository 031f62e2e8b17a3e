//! The normalized trace event every source yields.
//!
//! Whatever the input (DebugView log, raw lines, collector JSON, `.etl` file,
//! live ETW or OutputDebugString capture), a source turns each message into a
//! [`TraceEvent`]: when, where (host, pid, tid), from which provider, the raw
//! message text, and the place in the input it came from. Everything after the
//! sources works on this type only.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};

/// When an event happened, as precisely as its source says.
///
/// DebugView logs give either seconds elapsed since the capture started or a
/// local wall-clock time (with or without a date); ETW and collector JSON give
/// absolute UTC times.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EventTime {
    /// Seconds since the capture started (DebugView "elapsed time" mode).
    Elapsed(f64),
    /// Local wall-clock time of day without a date.
    TimeOfDay(NaiveTime),
    /// Local wall-clock date and time (no time zone known).
    Local(NaiveDateTime),
    /// Absolute time in UTC.
    Utc(DateTime<Utc>),
}

/// Which kinds of [`EventTime`] can be ordered against each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeKind {
    Elapsed,
    TimeOfDay,
    Local,
    Utc,
}

impl serde::Serialize for TimeKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl TimeKind {
    /// The stable name used in JSON output (`time_kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            TimeKind::Elapsed => "elapsed",
            TimeKind::TimeOfDay => "time_of_day",
            TimeKind::Local => "local",
            TimeKind::Utc => "utc",
        }
    }
}

impl EventTime {
    pub fn kind(&self) -> TimeKind {
        match self {
            EventTime::Elapsed(_) => TimeKind::Elapsed,
            EventTime::TimeOfDay(_) => TimeKind::TimeOfDay,
            EventTime::Local(_) => TimeKind::Local,
            EventTime::Utc(_) => TimeKind::Utc,
        }
    }

    /// A number that orders events of the same [`TimeKind`]: seconds since the
    /// capture start, since midnight, or since the Unix epoch.
    #[inline]
    pub fn sort_key(&self) -> f64 {
        match self {
            EventTime::Elapsed(s) => *s,
            EventTime::TimeOfDay(t) => {
                t.num_seconds_from_midnight() as f64 + t.nanosecond() as f64 / 1e9
            }
            EventTime::Local(dt) => {
                let utc = dt.and_utc();
                utc.timestamp() as f64 + utc.timestamp_subsec_nanos() as f64 / 1e9
            }
            EventTime::Utc(dt) => dt.timestamp() as f64 + dt.timestamp_subsec_nanos() as f64 / 1e9,
        }
    }

    /// The calendar date, when the source gave one.
    pub fn date(&self) -> Option<NaiveDate> {
        match self {
            EventTime::Local(dt) => Some(dt.date()),
            EventTime::Utc(dt) => Some(dt.date_naive()),
            _ => None,
        }
    }

    /// Date and time as UTC, when the time is absolute. Local times are taken
    /// as UTC (the capture does not say its zone); good enough for validity
    /// checks that work in days.
    pub fn to_utc_lossy(&self) -> Option<DateTime<Utc>> {
        match self {
            EventTime::Local(dt) => Some(dt.and_utc()),
            EventTime::Utc(dt) => Some(*dt),
            _ => None,
        }
    }
}

impl fmt::Display for EventTime {
    /// Stable text form: RFC 3339 for UTC (`2026-06-23T16:23:14.123456Z`),
    /// ISO 8601 without zone for local times, `HH:MM:SS.ffffff` for a time of
    /// day and decimal seconds (`12.00004120`) for elapsed time.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventTime::Elapsed(s) => match elapsed_units(*s) {
                // Fixed-point: much faster than float formatting.
                Some(units) => write!(f, "{}.{:08}", units / 100_000_000, units % 100_000_000),
                None => write!(f, "{s:.8}"),
            },
            EventTime::TimeOfDay(t) => write!(f, "{}", t.format("%H:%M:%S%.6f")),
            EventTime::Local(dt) => write!(f, "{}", dt.format("%Y-%m-%dT%H:%M:%S%.6f")),
            EventTime::Utc(dt) => write!(f, "{}", dt.format("%Y-%m-%dT%H:%M:%S%.6fZ")),
        }
    }
}

/// Elapsed seconds as a count of the 10 ns units their text shows (eight
/// decimals), when in the range written as fixed-point.
pub fn elapsed_units(seconds: f64) -> Option<u64> {
    (0.0..1e10).contains(&seconds).then(|| {
        // `(x).round()` without the library call (x86-64 has no rounding
        // instruction by default, and this runs twice per record): the
        // integer part, plus one from a half up. Exact: x is below 1e18,
        // so the integer part fits and `x - whole` loses nothing.
        let x = seconds * 1e8;
        let whole = x as u64;
        whole + u64::from(x - whole as f64 >= 0.5)
    })
}

/// The name of an input: a file path as given on the command line, `-` for
/// stdin, or a live source's name (`etw:<guid>`, `dbwin`).
///
/// Names are interned (each distinct name is stored once for the life of the
/// process, so their number is bounded by the inputs opened), which makes the
/// name `Copy`: every event carries one, and a shared reference count would
/// be written by the reading thread and again by the correlating one for
/// every line, a cache line passed between cores millions of times.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InputName(&'static str);

impl InputName {
    pub fn new(name: &str) -> Self {
        static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
        let mut names = NAMES
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(&known) = names.get(name) {
            return InputName(known);
        }
        let stored: &'static str = Box::leak(name.to_owned().into_boxed_str());
        names.insert(stored);
        InputName(stored)
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl std::ops::Deref for InputName {
    type Target = str;
    fn deref(&self) -> &str {
        self.0
    }
}

impl AsRef<str> for InputName {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl From<&str> for InputName {
    fn from(name: &str) -> Self {
        InputName::new(name)
    }
}

impl From<String> for InputName {
    fn from(name: String) -> Self {
        InputName::new(&name)
    }
}

impl From<&String> for InputName {
    fn from(name: &String) -> Self {
        InputName::new(name)
    }
}

impl PartialEq<str> for InputName {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for InputName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl fmt::Display for InputName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for InputName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

/// Where in the input an event came from: the input's name and a position
/// (a 1-based line number for text inputs, a byte offset for binary ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub input: InputName,
    pub position: Position,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    Line(u64),
    Offset(u64),
    /// Live sources: the sequence number of the captured event (1-based).
    Sequence(u64),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Position::Line(n) => write!(f, "{}:{}", self.input, n),
            Position::Offset(n) => write!(f, "{}@{}", self.input, n),
            Position::Sequence(n) => write!(f, "{}#{}", self.input, n),
        }
    }
}

/// One message as captured, before the module grammar is applied.
#[derive(Debug, Clone)]
pub struct TraceEvent {
    pub time: Option<EventTime>,
    pub pid: Option<u32>,
    /// Thread id: known for ETW and collector JSON, unknown for DebugView.
    pub tid: Option<u32>,
    /// The message text, without the trailing newline the module appends.
    pub text: String,
    pub origin: Origin,
    /// Host, provider, activity id and process name, which only some sources
    /// have: boxed, so the events of other sources stay small (they move through
    /// queues by the million).
    pub context: Option<Box<EventContext>>,
    /// The grammar's answer, when the source already parsed the text (the
    /// reading thread does, for the commonest messages; see
    /// [`crate::parse::Preparsed`]). Derived from `text`: not compared.
    pub preparsed: Option<crate::parse::Preparsed>,
}

impl PartialEq for TraceEvent {
    fn eq(&self, other: &Self) -> bool {
        // Every field named, so a new one cannot be left out unnoticed.
        let TraceEvent {
            time,
            pid,
            tid,
            text,
            origin,
            context,
            preparsed: _,
        } = self;
        *time == other.time
            && *pid == other.pid
            && *tid == other.tid
            && *text == other.text
            && *origin == other.origin
            && *context == other.context
    }
}

/// What ETW-based sources add to an event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventContext {
    /// Machine name, when the source records it (ETW collectors do).
    pub host: Option<String>,
    /// Provider GUID or name.
    pub provider: Option<String>,
    /// ETW activity id, when the source has one (lowercase GUID text).
    pub activity_id: Option<String>,
    /// Process name, when the source records it (DebugView++ logs).
    pub process: Option<String>,
}

impl TraceEvent {
    /// A bare event: only text and origin, everything else unknown.
    pub fn new(text: impl Into<String>, origin: Origin) -> Self {
        TraceEvent {
            time: None,
            pid: None,
            tid: None,
            text: text.into(),
            origin,
            context: None,
            preparsed: None,
        }
    }

    /// Machine name, when the source records it.
    pub fn host(&self) -> Option<&str> {
        self.context.as_ref()?.host.as_deref()
    }

    /// Provider GUID or name (ETW-based sources).
    pub fn provider(&self) -> Option<&str> {
        self.context.as_ref()?.provider.as_deref()
    }

    /// Process name (DebugView++ logs).
    pub fn process(&self) -> Option<&str> {
        self.context.as_ref()?.process.as_deref()
    }

    /// ETW activity id (lowercase GUID text).
    pub fn activity_id(&self) -> Option<&str> {
        self.context.as_ref()?.activity_id.as_deref()
    }

    /// Sets host, provider and activity id (no allocation when all are
    /// unknown).
    pub fn set_context(
        &mut self,
        host: Option<String>,
        provider: Option<String>,
        activity_id: Option<String>,
    ) {
        self.context = (host.is_some() || provider.is_some() || activity_id.is_some()).then(|| {
            Box::new(EventContext {
                host,
                provider,
                activity_id,
                process: None,
            })
        });
    }
}

/// The leading ASCII decimal digits of eight bytes: their value and how
/// many there are (0 to 8), all eight bytes at once.
pub fn eight_digits(chunk: &[u8]) -> (u64, usize) {
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(chunk);
    // The first byte lowest.
    let x = u64::from_le_bytes(bytes);
    // Each byte becomes 0x33 exactly when it is a digit: its high nibble
    // is 3, and adding 6 leaves it 3 (0x3a..0x3f carry into 4). A carry out
    // of a byte (0xfa..0xff) only disturbs bytes after a non-digit, which
    // are not counted.
    const HIGH: u64 = 0xf0f0_f0f0_f0f0_f0f0;
    let tags = (x & HIGH) | ((x.wrapping_add(0x0606_0606_0606_0606) & HIGH) >> 4);
    let count = ((tags ^ 0x3333_3333_3333_3333).trailing_zeros() / 8) as usize;
    if count == 0 {
        return (0, 0);
    }
    // The digits moved to the top, zero bytes (value 0) before them.
    let digits = x << (8 * (8 - count));
    // Pairs, then fours, then all eight combined (each byte's low nibble
    // is its digit).
    let v = (digits & 0x0f0f_0f0f_0f0f_0f0f).wrapping_mul(10 << 8 | 1) >> 8;
    let v = (v & 0x00ff_00ff_00ff_00ff).wrapping_mul(100 << 16 | 1) >> 16;
    let v = (v & 0x0000_ffff_0000_ffff).wrapping_mul(10_000 << 32 | 1) >> 32;
    (v, count)
}

/// Removes the line terminator(s) the module and collectors leave at the end
/// of a message (`\n`, `\r\n`, stray trailing tabs are kept by callers that
/// care about them).
pub fn trim_message_end(s: &str) -> &str {
    s.trim_end_matches(['\n', '\r', '\0'])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::text::{leading_digits, trim, trim_start};

    /// The plain reading `leading_digits` must equal.
    fn digits_one_by_one(b: &[u8], from: usize, max: usize) -> (u64, usize) {
        let max = max.min(19);
        let count = b
            .get(from..)
            .unwrap_or_default()
            .iter()
            .take(max)
            .take_while(|d| d.is_ascii_digit())
            .count();
        let value = b[from..from + count]
            .iter()
            .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        (value, count)
    }

    /// Every count of digits from 0 to 20, followed by every byte value
    /// (each can stop a run of digits), at several starts and limits.
    #[test]
    fn leading_digits_read_as_one_by_one() {
        for len in 0..=20usize {
            for stop in 0..=255u8 {
                for tail in [&b""[..], b"1234567", b"\xff\xff\xff\xff\xff\xff\xff\xff"] {
                    let mut b: Vec<u8> = (0..len).map(|i| b"9071856342"[i % 10]).collect();
                    b.push(stop);
                    b.extend_from_slice(tail);
                    for from in [0, 1, 3] {
                        for max in [0, 1, 7, 8, 9, 16, 19, 25] {
                            if from <= b.len() {
                                assert_eq!(
                                    leading_digits(&b, from, max),
                                    digits_one_by_one(&b, from, max),
                                    "{b:?} from {from} max {max}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn eight_digits_read_as_one_by_one() {
        for len in 0..=8usize {
            for stop in 0..=255u8 {
                let mut b: Vec<u8> = (0..len).map(|i| b"90718563"[i]).collect();
                b.push(stop);
                b.resize(8, 0xff);
                let b = &b[..8];
                assert_eq!(eight_digits(b), digits_one_by_one(b, 0, 8), "{b:?}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn eight_digits_of_any_bytes_read_as_one_by_one(
            b in proptest::collection::vec(proptest::prop_oneof![b'0'..=b'9', proptest::num::u8::ANY], 8),
        ) {
            proptest::prop_assert_eq!(eight_digits(&b), digits_one_by_one(&b, 0, 8));
        }

        #[test]
        fn leading_digits_of_any_bytes_read_as_one_by_one(
            b in proptest::collection::vec(proptest::prop_oneof![b'0'..=b'9', proptest::num::u8::ANY], 0..40),
            from in 0usize..40,
            max in 0usize..25,
        ) {
            let from = from.min(b.len());
            proptest::prop_assert_eq!(leading_digits(&b, from, max), digits_one_by_one(&b, from, max));
        }
    }

    #[test]
    fn time_display_is_stable() {
        assert_eq!(EventTime::Elapsed(0.0183).to_string(), "0.01830000");
        let t = NaiveTime::from_hms_milli_opt(12, 34, 56, 789).unwrap();
        assert_eq!(EventTime::TimeOfDay(t).to_string(), "12:34:56.789000");
        let d = NaiveDate::from_ymd_opt(2026, 6, 23).unwrap().and_time(t);
        assert_eq!(
            EventTime::Local(d).to_string(),
            "2026-06-23T12:34:56.789000"
        );
        assert_eq!(
            EventTime::Utc(d.and_utc()).to_string(),
            "2026-06-23T12:34:56.789000Z"
        );
    }

    #[test]
    fn sort_keys_order_within_a_kind() {
        let a = EventTime::TimeOfDay(NaiveTime::from_hms_opt(1, 0, 0).unwrap());
        let b = EventTime::TimeOfDay(NaiveTime::from_hms_opt(1, 0, 1).unwrap());
        assert!(a.sort_key() < b.sort_key());
    }

    #[test]
    fn origin_display() {
        let o = Origin {
            input: "a.log".into(),
            position: Position::Line(7),
        };
        assert_eq!(o.to_string(), "a.log:7");
    }

    #[test]
    fn input_names_are_stored_once() {
        let a = InputName::from("interned.log");
        let b = InputName::from(String::from("interned.log"));
        assert_eq!(a, b);
        assert!(std::ptr::eq(a.as_str(), b.as_str()));
        assert_ne!(a, InputName::from("other.log"));
        assert_eq!(format!("{a} {a:?}"), "interned.log \"interned.log\"");
    }

    proptest::proptest! {
        #[test]
        fn elapsed_units_round_like_std(
            seconds in 0.0f64..1e10,
            units in 0u64..1_000_000_000_000_000_000,
            half in proptest::bool::ANY,
        ) {
            let want = |s: f64| (0.0..1e10).contains(&s).then(|| (s * 1e8).round() as u64);
            proptest::prop_assert_eq!(elapsed_units(seconds), want(seconds));
            // Values printed with eight decimals, and exact halves.
            let s = units as f64 / 1e8 + if half { 0.5e-8 } else { 0.0 };
            proptest::prop_assert_eq!(elapsed_units(s), want(s));
        }

        #[test]
        fn fast_trims_equal_std(s in "\\PC{0,12}|[ \\t\\x0b\u{a0}\u{3000}a-z]{0,12}") {
            proptest::prop_assert_eq!(trim(&s), s.trim());
            proptest::prop_assert_eq!(trim_start(&s), s.trim_start());
        }
    }
}
