//! DebugView (Sysinternals) logs: `<index>\t<time>\t[<pid>] <message>\t`.
//!
//! Time is elapsed seconds (`0.00012345`) or clock time (`12:34:56.789`,
//! optionally with a date and AM/PM); the `[pid] ` prefix is present when
//! "show process id" was on (kernel-mode output has none).

use chrono::{NaiveDate, NaiveTime};

use crate::input::event::EventTime;

/// The columns of one DebugView entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry<'a> {
    pub index: u64,
    pub time: Option<EventTime>,
    pub pid: Option<u32>,
    pub message: &'a str,
}

/// Splits a DebugView log line; `None` when the line is not an entry.
pub fn parse_line(line: &str) -> Option<Entry<'_>> {
    usual_entry(line).or_else(|| any_entry(line))
}

/// The usual spelling of an entry, `<index>\t<seconds>\t[<pid>] <message>`,
/// in one pass over its first bytes: no blanks around the columns, elapsed
/// seconds, a pid of at most 9 digits or none. `None` means "not that
/// spelling" ([`parse_line`] then reads it in full, to the same answer
/// for every line this reads: a property test holds them equal).
fn usual_entry(line: &str) -> Option<Entry<'_>> {
    let b = line.as_bytes();
    let digits_from = |i: usize, max: usize| crate::parse::text::leading_digits(b, i, max);
    // DebugView writes eight-digit indexes and times with eight decimals:
    // those are read eight digits at once.
    let eight_then_tab = |at: usize| match b.get(at..at + 9) {
        Some(&[ref digits @ .., b'\t']) => match crate::input::event::eight_digits(digits) {
            (value, 8) => Some(value),
            _ => None,
        },
        _ => None,
    };
    let (index, len) = match eight_then_tab(0) {
        Some(index) => (index, 8),
        None => digits_from(0, 19),
    };
    if len == 0 || b.get(len) != Some(&b'\t') {
        return None;
    }
    let time_at = len + 1;
    let (whole, whole_digits) = digits_from(time_at, 7);
    let point = time_at + whole_digits;
    let (time, time_end) = match eight_then_tab(point + 1) {
        Some(fraction) if whole_digits > 0 && b[point] == b'.' => (
            // As `fast_decimal` reads it: all the digits as one integer,
            // divided once.
            (whole * 100_000_000 + fraction) as f64 / 1e8,
            point + 9,
        ),
        _ => {
            let time_end = time_at + memchr::memchr(b'\t', &b[time_at..b.len().min(time_at + 18)])?;
            (fast_decimal(&line[time_at..time_end])?, time_end)
        }
    };
    let mut message = &line[time_end + 1..];
    message = message.strip_suffix('\t').unwrap_or(message);
    let mut pid = None;
    if message.as_bytes().first() == Some(&b'[') {
        let (n, len) = digits_from(time_end + 2, 9);
        if len == 0 || b.get(time_end + 2 + len) != Some(&b']') {
            return None;
        }
        pid = Some(n as u32);
        message = &message[len + 2..];
        message = message.strip_prefix(' ').unwrap_or(message);
    }
    Some(Entry {
        index,
        time: Some(EventTime::Elapsed(time)),
        pid,
        message,
    })
}

/// [`parse_line`] for every spelling.
fn any_entry(line: &str) -> Option<Entry<'_>> {
    // Byte-level: this runs once per input line. Tabs are ASCII, so every
    // split below falls on a character boundary.
    let b = line.as_bytes();
    let tab = memchr::memchr(b'\t', b)?;
    let index = parse_index(&b[..tab])?;
    let rest = &line[tab + 1..];
    let (time_text, message) = match memchr::memchr(b'\t', rest.as_bytes()) {
        Some(t) => (&rest[..t], &rest[t + 1..]),
        None => (rest, ""),
    };
    let time_text = crate::parse::text::trim(time_text);
    let time = if time_text.is_empty() {
        None
    } else {
        Some(parse_time(time_text)?)
    };
    // DebugView ends each message with a tab; the module's newline is gone.
    let message = message.strip_suffix('\t').unwrap_or(message);
    let (pid, message) = split_pid(message);
    Some(Entry {
        index,
        time,
        pid,
        message,
    })
}

/// The index column: 1 to 20 digits, blanks around them allowed.
fn parse_index(b: &[u8]) -> Option<u64> {
    let b = b.trim_ascii();
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    let mut n: u64 = 0;
    for &d in b {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(n)
}

/// `[5120] text` → (Some(5120), `text`).
pub fn split_pid(message: &str) -> (Option<u32>, &str) {
    let b = message.as_bytes();
    if b.first() == Some(&b'[')
        && let Some(close) = memchr::memchr(b']', &b[1..b.len().min(12)])
    {
        let digits = &b[1..1 + close];
        if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) {
            let pid = digits.iter().try_fold(0u32, |n, &d| {
                n.checked_mul(10)?.checked_add(u32::from(d - b'0'))
            });
            if let Some(pid) = pid {
                let text = &message[close + 2..];
                return (Some(pid), text.strip_prefix(' ').unwrap_or(text));
            }
        }
    }
    (None, message)
}

/// Elapsed seconds or a clock time, with optional date and AM/PM.
pub fn parse_time(s: &str) -> Option<EventTime> {
    let s = crate::parse::text::trim(s);
    // Elapsed seconds: digits with an optional fraction (the common case).
    if let Some(v) = fast_decimal(s) {
        return Some(EventTime::Elapsed(v));
    }
    if memchr::memchr(b':', s.as_bytes()).is_none() {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return s.parse::<f64>().ok().map(EventTime::Elapsed);
        }
        return None;
    }
    let mut parts: Vec<&str> = s.split_whitespace().collect();
    let mut pm = None;
    if let Some(last) = parts.last() {
        match last.to_ascii_uppercase().as_str() {
            "AM" => pm = Some(false),
            "PM" => pm = Some(true),
            _ => {}
        }
        if pm.is_some() {
            parts.pop();
        }
    }
    let (date, time) = match parts.as_slice() {
        [t] => (None, *t),
        [d, t] => (Some(parse_date(d)?), *t),
        _ => return None,
    };
    let mut t = parse_clock(time)?;
    if let Some(pm) = pm {
        let h = chrono::Timelike::hour(&t);
        if !(1..=12).contains(&h) {
            return None;
        }
        let h24 = match (pm, h) {
            (false, 12) => 0,
            (false, h) => h,
            (true, 12) => 12,
            (true, h) => h + 12,
        };
        t = chrono::Timelike::with_hour(&t, h24)?;
    }
    Some(match date {
        Some(d) => EventTime::Local(d.and_time(t)),
        None => EventTime::TimeOfDay(t),
    })
}

/// `digits[.digits]` as f64 by one exact integer division, which IEEE
/// rounds correctly, so the result equals `str::parse` (None when the
/// digits do not fit the exact range; the caller then parses).
fn fast_decimal(s: &str) -> Option<f64> {
    /// Powers of ten, all exact in f64.
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 16 {
        return None;
    }
    let mut n: u64 = 0;
    let mut digits = 0;
    let mut point = None;
    for (i, &c) in b.iter().enumerate() {
        if c.is_ascii_digit() {
            n = n * 10 + u64::from(c - b'0');
            digits += 1;
        } else if c == b'.' && point.is_none() && i > 0 {
            point = Some(i);
        } else {
            return None;
        }
    }
    if digits > 15 {
        return None;
    }
    let frac = point.map_or(0, |p| b.len() - p - 1);
    Some(n as f64 / POW10[frac])
}

/// `H:MM:SS`, `H:MM:SS.fff…` (up to nanoseconds), `H:MM`.
fn parse_clock(s: &str) -> Option<NaiveTime> {
    let (hms, frac) = match s.split_once(['.', ',']) {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let nums: Vec<&str> = hms.split(':').collect();
    if !(2..=3).contains(&nums.len())
        || nums
            .iter()
            .any(|n| n.is_empty() || n.len() > 2 || !n.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let h: u32 = nums[0].parse().ok()?;
    let m: u32 = nums[1].parse().ok()?;
    let sec: u32 = nums.get(2).map_or(Some(0), |x| x.parse().ok())?;
    let nanos = match frac {
        Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
            f.parse::<u32>().ok()? * 10u32.pow(9 - f.len() as u32)
        }
        Some(_) => return None,
        None => 0,
    };
    NaiveTime::from_hms_nano_opt(h, m, sec, nanos)
}

/// `2026/06/23`, `2026-06-23`, `6/23/2026` (US, DebugView's default),
/// `23.06.2026`.
fn parse_date(s: &str) -> Option<NaiveDate> {
    let sep = s.chars().find(|c| matches!(c, '/' | '-' | '.'))?;
    let p: Vec<&str> = s.split(sep).collect();
    if p.len() != 3
        || p.iter()
            .any(|x| x.is_empty() || !x.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let n: Vec<u32> = p.iter().map(|x| x.parse().ok()).collect::<Option<_>>()?;
    if p[0].len() == 4 {
        NaiveDate::from_ymd_opt(n[0] as i32, n[1], n[2])
    } else if p[2].len() == 4 {
        if sep == '.' {
            NaiveDate::from_ymd_opt(n[2] as i32, n[1], n[0])
        } else {
            NaiveDate::from_ymd_opt(n[2] as i32, n[0], n[1])
                .or_else(|| NaiveDate::from_ymd_opt(n[2] as i32, n[1], n[0]))
        }
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_entry_with_pid_and_trailing_tab() {
        let e = parse_line("00000001\t0.00004120\t[5120] Line: 45 rMsg1638: cert size: 1042 Previously negotiated 1\t").unwrap();
        assert_eq!(e.index, 1);
        assert_eq!(e.time, Some(EventTime::Elapsed(0.0000412)));
        assert_eq!(e.pid, Some(5120));
        assert_eq!(
            e.message,
            "Line: 45 rMsg1638: cert size: 1042 Previously negotiated 1"
        );
    }

    #[test]
    fn kernel_entry_without_pid() {
        let e = parse_line("0\t0.5\tDriver says hi\t").unwrap();
        assert_eq!(e.pid, None);
        assert_eq!(e.message, "Driver says hi");
    }

    #[test]
    fn clock_time_forms() {
        let t = |s| parse_time(s).unwrap().to_string();
        assert_eq!(t("12:34:56.789"), "12:34:56.789000");
        assert_eq!(t("12:34:56"), "12:34:56.000000");
        assert_eq!(t("1:02:03 PM"), "13:02:03.000000");
        assert_eq!(t("12:00:01.5 AM"), "00:00:01.500000");
        assert_eq!(t("2026/06/23 16:23:14.120"), "2026-06-23T16:23:14.120000");
        assert_eq!(t("6/23/2026 4:23:14 PM"), "2026-06-23T16:23:14.000000");
        assert_eq!(t("23.06.2026 16:23:14"), "2026-06-23T16:23:14.000000");
        assert_eq!(t("16:23:14.1234567"), "16:23:14.123456");
        assert!(parse_time("13:00:00 PM").is_none());
        assert!(parse_time("25:00:00").is_none());
        assert!(parse_time("abc").is_none());
        assert!(parse_time("1:2:3:4").is_none());
    }

    proptest::proptest! {
        /// What it reads, it reads as `str::parse` does; and it reads every
        /// plain decimal of up to 15 digits.
        #[test]
        fn fast_decimal_reads_as_parse(s in "[0-9.x]{0,18}|[0-9]{1,8}\\.[0-9]{0,9}") {
            let plain = s.bytes().filter(u8::is_ascii_digit).count() <= 15
                && !s.starts_with('.')
                && !s.contains('x')
                && s.matches('.').count() <= 1
                && !s.is_empty();
            match fast_decimal(&s) {
                Some(v) => proptest::prop_assert_eq!(Ok(v), s.parse::<f64>()),
                None => proptest::prop_assert!(!plain, "{:?} not read", s),
            }
        }
    }

    #[test]
    fn fast_decimal_equals_parse() {
        for t in [
            "0.00000000",
            "0.00004120",
            "12.5",
            "7",
            "123456.12345678",
            "0.1",
            "99999.99999999",
        ] {
            assert_eq!(fast_decimal(t), t.parse::<f64>().ok(), "{t}");
        }
        assert_eq!(fast_decimal("1.2.3"), None);
        assert_eq!(fast_decimal(".5"), None);
        assert_eq!(fast_decimal("1234567890.1234567"), None);
        assert_eq!(fast_decimal("5."), Some(5.0));
        assert_eq!(fast_decimal(""), None);
        assert_eq!(fast_decimal("1e5"), None);
    }

    /// The one-pass reading of the usual spelling answers as the full
    /// reading does, on every combination of columns near it.
    #[test]
    fn usual_entries_read_as_any_entry_reads_them() {
        let indexes = [
            "00000001",
            "99999999",
            "0000001x",
            "000000012",
            "7",
            "",
            " 7",
            "1234567890123456789",
            "12345678901234567890",
            "x",
        ];
        let times = [
            "0.00004120",
            "1234567.12345678",
            "12345678.12345678",
            "12.123456789",
            "12.1234567",
            "12.1234567x",
            "x.12345678",
            ".12345678",
            "0x12345678",
            "12.5",
            "7",
            "",
            " 0.5",
            "0.5 ",
            ".5",
            "5.",
            "1.2.3",
            "123456789012345.6",
            "1234567890123456.7",
            "12:34:56.789",
            "1e5",
        ];
        let messages = [
            "[5120] Line: 45 rMsg1638: cert size: 1042 Previously negotiated 1\t",
            "[5120] x",
            "[5120]x",
            "[5120]",
            "[123456789] x",
            "[1234567890] x",
            "[4294967296] x",
            "[] x",
            "[12",
            "[ab] x",
            "Driver says hi\t",
            "",
            "\t",
            "a\tb\t",
            "[7] \u{e9}t\u{e9}\t",
        ];
        let mut usual = 0;
        for i in indexes {
            for t in times {
                for m in messages {
                    for line in [format!("{i}\t{t}\t{m}"), format!("{i}\t{t}")] {
                        if let Some(e) = usual_entry(&line) {
                            usual += 1;
                            assert_eq!(Some(e), any_entry(&line), "{line:?}");
                        }
                    }
                }
            }
        }
        assert!(usual > 100, "{usual}");
    }

    #[test]
    fn not_entries() {
        assert!(parse_line("hello world").is_none());
        assert!(parse_line("x\t0.1\tmsg").is_none());
        assert!(parse_line("1\tnot a time\tmsg").is_none());
        assert_eq!(split_pid("[abc] x"), (None, "[abc] x"));
        assert_eq!(split_pid("[99999999999] x").0, None);
        assert_eq!(split_pid("[4294967296] x").0, None);
        assert_eq!(split_pid("[4294967295] x"), (Some(u32::MAX), "x"));
        assert_eq!(split_pid("[] x").0, None);
        assert_eq!(split_pid("[12]x"), (Some(12), "x"));
        assert_eq!(split_pid("[12"), (None, "[12"));
        assert!(parse_line("123456789012345678901\t0.1\tmsg").is_none());
        assert!(
            parse_line("99999999999999999999\t0.1\tmsg").is_none(),
            "overflows u64"
        );
        assert_eq!(parse_line(" 7 \t0.1\tmsg").unwrap().index, 7);
    }
}
