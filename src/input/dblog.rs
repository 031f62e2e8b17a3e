//! DebugView++ logs (`.dblog`): every save of DebugView++ (Save Log, Save
//! View, Save Selection, and DebugViewConsole's `-d` file) writes one
//! message a line, `elapsed<TAB>date time<TAB>pid<TAB>process<TAB>message`,
//! after a header entry of pid 0, process `DebugView++.exe`, message
//! `File Identification Header, DebugView++ Format Version 1`.
//!
//! Elapsed is seconds with six decimals; the date-time is local time
//! `YYYY/MM/DD HH:MM:SS.mmm` (very old versions wrote a 64-bit FILETIME
//! number instead, in UTC); the message is right-trimmed of blanks.
//!
//! DebugViewConsole's console output (not a save format, but what its
//! users redirect to a file) is read too: [`parse_console_line`].

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use crate::input::event::EventTime;

/// The message of the header entry DebugView++ writes first.
pub const IDENTIFICATION: &str = "File Identification Header, DebugView++ Format Version";

/// The columns of one DebugView++ log line.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry<'a> {
    pub elapsed: f64,
    /// Absolute time: local (date-time text) or UTC (old FILETIME form).
    pub time: Option<EventTime>,
    pub pid: u32,
    pub process: &'a str,
    pub message: &'a str,
}

impl Entry<'_> {
    /// The header entry DebugView++ writes at the start of each save.
    pub fn is_header(&self) -> bool {
        self.pid == 0 && self.message.starts_with(IDENTIFICATION)
    }
}

/// Splits a DebugView++ log line; `None` when it is not one.
pub fn parse_line(line: &str) -> Option<Entry<'_>> {
    let mut cols = line.splitn(5, '\t');
    let elapsed = cols.next()?;
    let when = cols.next()?;
    let pid = cols.next()?;
    let process = cols.next()?;
    let message = cols.next()?;
    // Elapsed seconds: digits and one point (DebugView's index column is
    // digits only, so the two logs are never taken for each other).
    if !elapsed.contains('.') || !elapsed.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let elapsed = elapsed.parse::<f64>().ok()?;
    let pid = pid.parse::<u32>().ok()?;
    let time = parse_when(when)?;
    Some(Entry {
        elapsed,
        time,
        pid,
        process,
        message: message.trim_end_matches([' ', '\r', '\t']),
    })
}

/// `YYYY/MM/DD HH:MM:SS.mmm` (local) or a FILETIME number (UTC); `Some(None)`
/// for the `0` of an unset time.
fn parse_when(s: &str) -> Option<Option<EventTime>> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let ticks: u64 = s.parse().ok()?;
        if ticks == 0 {
            return Some(None);
        }
        // 100 ns ticks since 1601-01-01 UTC.
        const UNIX_FROM_1601: i64 = 11_644_473_600;
        let secs = (ticks / 10_000_000) as i64 - UNIX_FROM_1601;
        let nanos = (ticks % 10_000_000) as u32 * 100;
        return Some(Some(EventTime::Utc(DateTime::<Utc>::from_timestamp(
            secs, nanos,
        )?)));
    }
    let (date, time) = s.split_once(' ')?;
    let mut d = date.split('/');
    let (y, m, day) = (d.next()?, d.next()?, d.next()?);
    let date = NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, day.parse().ok()?)?;
    let time = NaiveTime::parse_from_str(time, "%H:%M:%S%.f").ok()?;
    Some(Some(EventTime::Local(date.and_time(time))))
}

/// A line of DebugViewConsole's console output (`-c`, redirected to a
/// file): the columns asked for (`-l` line number, `-s` clock time, the
/// QueryPerformanceCounter offset, `-p` pid, `-n` process name), each
/// followed by the separator (a tab, or a space), then the separator again
/// and the message.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsoleEntry<'a> {
    pub time: Option<EventTime>,
    pub pid: Option<u32>,
    pub process: Option<&'a str>,
    pub message: &'a str,
}

/// Reads a DebugViewConsole line; `None` unless its columns before the
/// doubled separator are those DebugViewConsole writes, in its order, with
/// a time or a pid among them.
pub fn parse_console_line(line: &str) -> Option<ConsoleEntry<'_>> {
    let (sep, at) = match memchr::memmem::find(line.as_bytes(), b"\t\t") {
        Some(at) => ('\t', at),
        None => (' ', memchr::memmem::find(line.as_bytes(), b"  ")?),
    };
    let (head, message) = (&line[..at], &line[at + 2..]);
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let mut tokens: Vec<&str> = head.split(sep).collect();
    if tokens.iter().any(|t| t.is_empty()) || tokens.len() > 5 {
        return None;
    }
    // `-l`: a zero-padded line number, when a time or number follows.
    if tokens.len() > 1 && tokens[0].len() >= 5 && digits(tokens[0]) {
        let next = tokens[1];
        if next.contains(':') || next.contains('.') || digits(next) {
            tokens.remove(0);
        }
    }
    let mut entry = ConsoleEntry {
        time: None,
        pid: None,
        process: None,
        message,
    };
    let mut rest = tokens.as_slice();
    if let Some((t, more)) = rest.split_first()
        && t.contains(':')
    {
        entry.time = Some(EventTime::TimeOfDay(
            NaiveTime::parse_from_str(t, "%H:%M:%S%.f").ok()?,
        ));
        rest = more;
    }
    if let Some((t, more)) = rest.split_first()
        && t.contains('.')
        && t.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    {
        let elapsed: f64 = t.parse().ok()?;
        entry.time = entry.time.or(Some(EventTime::Elapsed(elapsed)));
        rest = more;
    }
    if let Some((t, more)) = rest.split_first()
        && digits(t)
    {
        entry.pid = Some(t.parse().ok()?);
        rest = more;
    }
    match rest {
        [] => {}
        [name] => entry.process = Some(name),
        _ => return None,
    }
    (entry.time.is_some() || entry.pid.is_some()).then_some(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_entries() {
        let h = parse_line("0.000000\t2026/06/23 16:23:14.120\t0\tDebugView++.exe\tFile Identification Header, DebugView++ Format Version 1").unwrap();
        assert!(h.is_header());
        let e = parse_line(
            "1.250000\t2026/06/23 16:23:15.370\t5120\tw3wp.exe\tLine: 32 rMsg1638: connection is not using SSL",
        )
        .unwrap();
        assert!(!e.is_header());
        assert_eq!(e.pid, 5120);
        assert_eq!(e.process, "w3wp.exe");
        assert_eq!(e.elapsed, 1.25);
        assert_eq!(e.time.unwrap().to_string(), "2026-06-23T16:23:15.370000");
        assert_eq!(e.message, "Line: 32 rMsg1638: connection is not using SSL");
        // A message with tabs keeps them.
        assert_eq!(parse_line("0.1\t0\t1\tp\ta\tb \t").unwrap().message, "a\tb");
        // The old FILETIME form.
        let old = parse_line("0.5\t133000000000000000\t7\tp.exe\tx").unwrap();
        assert_eq!(old.time.unwrap().to_string(), "2022-06-18T04:26:40.000000Z");
    }

    #[test]
    fn console_lines() {
        let m = "Line: 40 rMsg1638: HR = 80070490  Cert not found";
        let line = format!("16:23:14.120\t5120\tw3wp.exe\t\t{m}");
        let tab = parse_console_line(&line).unwrap();
        assert_eq!(tab.time.unwrap().to_string(), "16:23:14.120000");
        assert_eq!(
            (tab.pid, tab.process, tab.message),
            (Some(5120), Some("w3wp.exe"), m)
        );
        let line = format!("00012 16:23:14.120 0.125000 5120 w3wp.exe  {m}");
        let all = parse_console_line(&line).unwrap();
        assert_eq!(
            (all.pid, all.process, all.message),
            (Some(5120), Some("w3wp.exe"), m)
        );
        let perf = parse_console_line("0.125000\t7\t\tx").unwrap();
        assert_eq!(perf.time, Some(EventTime::Elapsed(0.125)));
        assert_eq!(parse_console_line("5120  x").unwrap().pid, Some(5120));
        // The module's own lines, and others, are not.
        assert_eq!(parse_console_line(m), None);
        assert_eq!(parse_console_line("w3wp.exe  x"), None);
        assert_eq!(parse_console_line("a b  c"), None);
        assert_eq!(parse_console_line("no separator"), None);
    }

    #[test]
    fn not_entries() {
        assert!(parse_line("00000001\t0.00000000\t[5120] x").is_none());
        assert!(parse_line("1\t2026/06/23 16:23:15.370\t5\tp\tm").is_none());
        assert!(parse_line("0.5\t2026/06/23\t5\tp\tm").is_none());
        assert!(parse_line("0.5\t2026/06/23 16:23:15.370\tx\tp\tm").is_none());
        assert!(parse_line("0.5\t2026/06/23 16:23:15.370\t5\tp").is_none());
    }
}
