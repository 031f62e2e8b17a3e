//! Portable reader for ETW log files (`.etl`), on every OS.
//!
//! Operators capture ETW on the server (`logman`, `tracelog`, `wpr`) and read
//! the file anywhere: [`EtlEvents`] streams the module's messages out of it as
//! normalized [`TraceEvent`]s (string-only events and TraceLogging events),
//! holding one buffer in memory at a time; [`inspect`] summarises any `.etl`
//! file (logfile header, record kinds, providers, first events).
//!
//! Wiring into the CLI:
//!
//! ```text
//! // `certtrace read FILE`: sniff, then stream (the sniffed bytes are chained back).
//! let mut head = [0u8; 0x50];
//! let n = file.read(&mut head)?;            // (read_exact-like loop in practice)
//! if etl::is_etl(&head[..n]) {
//!     let input = std::io::Cursor::new(head[..n].to_vec()).chain(file);
//!     let opts = EtlOptions { provider: args.provider, field: args.field };
//!     for item in EtlEvents::new(input, Arc::from(path), opts) {
//!         match item {
//!             Ok(event) => pipeline.push(event),
//!             Err(issue) => eprintln!("warning: {path}: {issue}"), // reading goes on
//!         }
//!     }
//! }
//! // `certtrace etl FILE [--format json]`
//! let report = etl::inspect(file, path, 20)?;
//! print!("{}", report.render_text());       // or serde_json::to_string_pretty(&report)
//! ```
//!
//! What each event carries: UTC time (converted with the file's clock),
//! pid, tid, provider (the TraceLogging provider name when the event has
//! provider traits, else the GUID), activity id (when not all zero), the
//! message without its trailing newline, and the origin (file offset of the
//! record; of the buffer for records in compressed buffers).
//!
//! Layers: [`reader`] (buffers, compression, logfile header, record header
//! kinds), [`lz77`] (MS-XCA plain LZ77 for relogged, compressed buffers),
//! [`tracelogging`] (self-describing event schemas).

pub mod lz77;
pub mod reader;
pub mod tracelogging;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::Read;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::input::event::{EventTime, InputName, Origin, Position, TraceEvent, trim_message_end};
use crate::input::provider::{Guid, ProviderSpec};
pub use reader::{
    BUFFER_HEADER_LEN, BufferHeader, EventHeaderView, HeaderKind, LogfileHeader, Record,
    RecordReader, Stats, filetime_to_utc,
};
use tracelogging::{DEFAULT_ANSI, provider_name};

/// What to extract from an `.etl` file.
#[derive(Debug, Clone, Default)]
pub struct EtlOptions {
    /// Only events of this provider (by GUID; a TraceLogging name also
    /// matches the provider-traits name recorded in the event).
    pub provider: Option<ProviderSpec>,
    /// The TraceLogging field holding the message (`msg`, or a dotted path
    /// into structs; non-string values are rendered as text); default: the
    /// first string field. Events without it give their fields as
    /// `name=value` text (kept and counted, never dropped). String-only
    /// events have a single string and ignore this option.
    pub field: Option<String>,
    /// The code page of ANSI strings that are not UTF-8 (default
    /// windows-1252).
    pub ansi: Option<&'static encoding_rs::Encoding>,
}

/// A problem found while reading: where (byte offset in the file) and what.
/// Reading goes on after it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EtlIssue {
    #[error("byte {offset}: truncated {what}")]
    Truncated { offset: u64, what: String },
    #[error("byte {offset}: corrupt {what}")]
    Corrupt { offset: u64, what: String },
    #[error("byte {offset}: read error: {message}")]
    Io { offset: u64, message: String },
    #[error("byte {offset}: event cannot be decoded: {what}")]
    Event { offset: u64, what: String },
    #[error("not an .etl file: {0}")]
    NotEtl(String),
}

impl EtlIssue {
    /// The file offset the issue is about (for a record in a compressed
    /// buffer: the buffer's offset).
    pub fn offset(&self) -> Option<u64> {
        match self {
            EtlIssue::Truncated { offset, .. }
            | EtlIssue::Corrupt { offset, .. }
            | EtlIssue::Io { offset, .. }
            | EtlIssue::Event { offset, .. } => Some(*offset),
            EtlIssue::NotEtl(_) => None,
        }
    }
}

/// Whether the first bytes of a file look like an `.etl` file: a
/// `WMI_BUFFER_HEADER` whose first record is the system record carrying the
/// logfile header (hook id 0). Needs the first 0x50 bytes.
pub fn is_etl(first_bytes: &[u8]) -> bool {
    let Some(h) = BufferHeader::parse(first_bytes) else {
        return false;
    };
    let size = h.buffer_size as usize;
    let filled = h.filled_bytes as usize;
    let Some(rec) = first_bytes.get(BUFFER_HEADER_LEN..BUFFER_HEADER_LEN + 8) else {
        return false;
    };
    (BUFFER_HEADER_LEN + 8..=reader::MAX_BUFFER_SIZE).contains(&size)
        && (BUFFER_HEADER_LEN + 8..=size).contains(&filled)
        && rec[3] & 0xC0 == 0xC0
        && matches!(rec[2], 0x01 | 0x02)
        && rec[6] == 0
        && rec[7] == 0
}

/// The module's messages in an `.etl` file, as normalized events: one per
/// string-only event (`EventWriteString`) and per TraceLogging event with
/// the selected string field. Other records are walked and skipped.
pub struct EtlEvents<R> {
    records: RecordReader<R>,
    input: InputName,
    opts: EtlOptions,
    /// A field that could not be decoded in the event just returned.
    pending: Option<EtlIssue>,
}

impl<R: Read> EtlEvents<R> {
    pub fn new(reader: R, input_name: InputName, opts: EtlOptions) -> Self {
        EtlEvents {
            records: RecordReader::new(reader),
            input: input_name,
            opts,
            pending: None,
        }
    }

    /// The logfile header, once the first buffer has been read.
    pub fn logfile_header(&self) -> Option<&LogfileHeader> {
        self.records.logfile.as_ref()
    }

    /// Buffers and records read so far (every header kind).
    pub fn stats(&self) -> &Stats {
        &self.records.stats
    }
}

impl<R: Read> Iterator for EtlEvents<R> {
    type Item = Result<TraceEvent, EtlIssue>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(issue) = self.pending.take() {
            return Some(Err(issue));
        }
        loop {
            let rec = match self.records.next_record()? {
                Ok(r) => r,
                Err(e) => return Some(Err(e)),
            };
            match message(&rec, &self.opts) {
                Ok(None) => continue,
                Ok(Some(m)) => {
                    self.pending = m.problem.map(|what| EtlIssue::Event {
                        offset: rec.offset,
                        what,
                    });
                    let mut ev = TraceEvent {
                        time: rec.utc().map(EventTime::Utc),
                        pid: Some(m.pid),
                        tid: Some(m.tid),
                        text: trim_message_end(&m.text).to_string(),
                        origin: Origin {
                            input: self.input,
                            position: Position::Offset(rec.offset),
                        },
                        context: None,
                        preparsed: None,
                    };
                    ev.set_context(
                        None,
                        Some(m.provider_name.unwrap_or_else(|| m.provider.to_string())),
                        (!m.activity_id.is_nil()).then(|| m.activity_id.to_string()),
                    );
                    return Some(Ok(ev));
                }
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// What [`message`] finds in one `EVENT_HEADER` record.
struct Message {
    pid: u32,
    tid: u32,
    provider: Guid,
    provider_name: Option<String>,
    activity_id: Guid,
    text: String,
    /// A field that could not be decoded (the event keeps the others).
    problem: Option<String>,
}

fn utf16z(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    String::from_utf16_lossy(&units)
}

fn message(rec: &Record<'_>, opts: &EtlOptions) -> Result<Option<Message>, EtlIssue> {
    let Some(eh) = rec.event_header() else {
        return Ok(None);
    };
    let eh = eh.map_err(|what| EtlIssue::Event {
        offset: rec.offset,
        what,
    })?;
    let name = eh
        .ext_item(reader::EXT_TYPE_PROV_TRAITS)
        .and_then(provider_name);
    if let Some(spec) = &opts.provider {
        let by_name = match (&spec.name, &name) {
            (Some(want), Some(have)) => want.eq_ignore_ascii_case(have),
            _ => false,
        };
        if eh.provider != spec.guid && !by_name {
            return Ok(None);
        }
    }
    let (text, problem) = if eh.flags & reader::EVENT_HEADER_FLAG_STRING_ONLY != 0 {
        (utf16z(eh.user_data), None)
    } else {
        let Some(schema) = eh.ext_item(reader::EXT_TYPE_EVENT_SCHEMA_TL) else {
            return Ok(None);
        };
        let ansi = opts.ansi.unwrap_or(DEFAULT_ANSI);
        let m = tracelogging::message(
            schema,
            eh.user_data,
            eh.pointer_size,
            ansi,
            opts.field.as_deref(),
        )
        .map_err(|what| EtlIssue::Event {
            offset: rec.offset,
            what,
        })?;
        // No such field: every field as `name=value`, as live capture does,
        // so the event is still seen (and counted) rather than dropped.
        (m.choice.text().to_string(), m.problem)
    };
    Ok(Some(Message {
        pid: eh.pid,
        tid: eh.tid,
        provider: eh.provider,
        provider_name: name,
        activity_id: eh.activity_id,
        text,
        problem,
    }))
}

/// A TraceLogging event as its name and every field as `name=value` (with
/// what could not be decoded), for the inspection view.
fn tl_fields(eh: &EventHeaderView<'_>) -> Option<Result<(String, String), String>> {
    let schema = eh.ext_item(reader::EXT_TYPE_EVENT_SCHEMA_TL)?;
    Some(tracelogging::Schema::parse(schema).map(|s| {
        let d = s.decode(eh.user_data, eh.pointer_size, DEFAULT_ANSI);
        let mut text = tracelogging::fields_text(&d.fields);
        if let Some(p) = d.problem {
            let _ = write!(text, " (cannot decode {p})");
        }
        (s.event_name, text)
    }))
}

/// One provider seen in the file.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProviderCount {
    pub guid: String,
    /// TraceLogging provider name (from the provider traits), when known.
    pub name: Option<String>,
    /// Records carrying this provider GUID.
    pub events: u64,
}

/// One of the first records, for the inspection view.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReportEvent {
    pub offset: u64,
    pub kind: &'static str,
    pub time: Option<String>,
    pub pid: Option<u32>,
    pub tid: Option<u32>,
    pub provider: Option<String>,
    /// TraceLogging event name, or `hook 0xGGOO` for kernel records.
    pub name: Option<String>,
    /// String-only text, or the TraceLogging fields as `name=value`.
    pub text: Option<String>,
}

/// Summary of an `.etl` file (`certtrace etl FILE`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EtlReport {
    pub input: String,
    pub logger_name: Option<String>,
    pub log_file_name: Option<String>,
    /// Windows version that wrote the file.
    pub os_version: Option<String>,
    /// `ReservedFlags` of the logfile header: 1 QPC, 2 system time, 3 CPU.
    pub clock_type: Option<u32>,
    pub clock: Option<&'static str>,
    pub perf_freq: Option<u64>,
    pub cpu_speed_mhz: Option<u32>,
    pub pointer_size: Option<u32>,
    pub buffer_size: Option<u32>,
    pub number_of_processors: Option<u32>,
    /// Session start, UTC, RFC 3339.
    pub start: Option<String>,
    pub end: Option<String>,
    pub events_lost: Option<u32>,
    pub buffers_lost: Option<u32>,
    /// Buffers the logfile header says were written.
    pub buffers_written: Option<u32>,
    /// Buffers read (`compressed_buffers` of them compressed).
    pub buffers: u64,
    pub compressed_buffers: u64,
    /// Every record of every header kind.
    pub records: u64,
    /// Records per header kind (kinds that occur).
    pub header_kinds: BTreeMap<String, u64>,
    pub providers: Vec<ProviderCount>,
    /// Events that yield a message with the default options.
    pub messages: u64,
    pub first_events: Vec<ReportEvent>,
    /// Problems found (the first 100), and how many there were.
    pub issues: Vec<String>,
    pub issues_total: u64,
}

/// RFC 3339 in UTC with the 100 ns precision of ETW time stamps.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    format!(
        "{}.{:07}Z",
        t.format("%Y-%m-%dT%H:%M:%S"),
        t.timestamp_subsec_nanos() / 100
    )
}

fn filetime_text(ft: u64) -> Option<String> {
    i64::try_from(ft)
        .ok()
        .and_then(filetime_to_utc)
        .map(rfc3339)
}

/// Per provider: TraceLogging name, records, order of first appearance.
type ProviderTally = (Option<String>, u64, usize);

/// Reads a whole `.etl` file and summarises it; `first` events are listed.
/// Fails only when the input holds no readable buffer at all.
pub fn inspect<R: Read>(reader: R, input_name: &str, first: usize) -> Result<EtlReport, EtlIssue> {
    let mut records = RecordReader::new(reader);
    let mut providers: HashMap<Guid, ProviderTally> = HashMap::new();
    let mut first_events = Vec::new();
    let mut issues = Vec::new();
    let mut issues_total = 0u64;
    let mut messages = 0u64;
    let defaults = EtlOptions::default();
    while let Some(r) = records.next_record() {
        let rec = match r {
            Ok(rec) => rec,
            Err(e) => {
                issues_total += 1;
                if issues.len() < 100 {
                    issues.push(e.to_string());
                }
                continue;
            }
        };
        let eh = rec.event_header().and_then(Result::ok);
        if let Some(g) = rec.provider() {
            let n = providers.len();
            let entry = providers.entry(g).or_insert((None, 0, n));
            entry.1 += 1;
            if entry.0.is_none()
                && let Some(eh) = &eh
            {
                entry.0 = eh
                    .ext_item(reader::EXT_TYPE_PROV_TRAITS)
                    .and_then(provider_name);
            }
        }
        let msg = message(&rec, &defaults);
        if let Ok(Some(_)) = &msg {
            messages += 1;
        }
        if first_events.len() < first {
            let (name, text) = match &eh {
                Some(eh) if eh.flags & reader::EVENT_HEADER_FLAG_STRING_ONLY != 0 => {
                    (None, Some(utf16z(eh.user_data)))
                }
                Some(eh) => match tl_fields(eh) {
                    Some(Ok((name, text))) => (Some(name), Some(text)),
                    Some(Err(e)) => (None, Some(format!("(TraceLogging schema: {e})"))),
                    None => (Some(format!("event id {}", eh.id)), None),
                },
                None => (
                    rec.hook().map(|(g, o)| format!("hook {g:#04x}{o:02x}")),
                    None,
                ),
            };
            first_events.push(ReportEvent {
                offset: rec.offset,
                kind: rec.kind.as_str(),
                time: rec.utc().map(rfc3339),
                pid: rec.pid(),
                tid: rec.tid(),
                provider: rec.provider().map(|g| g.to_string()),
                name,
                text: text.map(|t| trim_message_end(&t).to_string()),
            });
        }
    }
    if records.stats.buffers == 0 {
        return Err(EtlIssue::NotEtl(match issues.first() {
            Some(i) => format!("{input_name}: {i}"),
            None => format!("{input_name}: no buffer"),
        }));
    }
    let lf = records.logfile.clone();
    let mut providers: Vec<(Guid, ProviderTally)> = providers.into_iter().collect();
    providers.sort_by_key(|(_, (_, n, first_seen))| (std::cmp::Reverse(*n), *first_seen));
    let st = &records.stats;
    Ok(EtlReport {
        input: input_name.to_string(),
        logger_name: lf.as_ref().map(|h| h.logger_name.clone()),
        log_file_name: lf.as_ref().map(|h| h.log_file_name.clone()),
        os_version: lf.as_ref().map(|h| h.version.clone()),
        clock_type: lf.as_ref().map(|h| h.clock_type),
        clock: lf.as_ref().map(|h| h.clock_name()),
        perf_freq: lf.as_ref().map(|h| h.perf_freq),
        cpu_speed_mhz: lf.as_ref().map(|h| h.cpu_speed_mhz),
        pointer_size: lf.as_ref().map(|h| h.pointer_size),
        buffer_size: lf.as_ref().map(|h| h.buffer_size),
        number_of_processors: lf.as_ref().map(|h| h.number_of_processors),
        start: lf.as_ref().and_then(|h| filetime_text(h.start_time)),
        end: lf.as_ref().and_then(|h| filetime_text(h.end_time)),
        events_lost: lf.as_ref().map(|h| h.events_lost),
        buffers_lost: lf.as_ref().map(|h| h.buffers_lost),
        buffers_written: lf.as_ref().map(|h| h.buffers_written),
        buffers: st.buffers,
        compressed_buffers: st.compressed_buffers,
        records: st.records,
        header_kinds: HeaderKind::ALL
            .iter()
            .filter(|k| st.per_kind[**k as usize] > 0)
            .map(|k| (k.as_str().to_string(), st.per_kind[*k as usize]))
            .collect(),
        providers: providers
            .into_iter()
            .map(|(g, (name, events, _))| ProviderCount {
                guid: g.to_string(),
                name,
                events,
            })
            .collect(),
        messages,
        first_events,
        issues,
        issues_total,
    })
}

/// At most `max` characters of `t` on one line (line breaks and tabs escaped).
fn one_line(t: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in t.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref()
        .map_or_else(|| "?".to_string(), |x| x.to_string())
}

impl EtlReport {
    /// The human view of `certtrace etl FILE`.
    pub fn render_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{}", self.input);
        let _ = writeln!(
            s,
            "  logger        {} (file {}), written by Windows {}",
            opt(&self.logger_name),
            opt(&self.log_file_name),
            opt(&self.os_version)
        );
        let _ = writeln!(
            s,
            "  clock         {} (type {}, perf freq {} Hz, CPU {} MHz)",
            self.clock.unwrap_or("?"),
            opt(&self.clock_type),
            opt(&self.perf_freq),
            opt(&self.cpu_speed_mhz)
        );
        let _ = writeln!(
            s,
            "  start / end   {} / {}",
            opt(&self.start),
            opt(&self.end)
        );
        let _ = writeln!(
            s,
            "  layout        pointer size {}, buffer size {}, {} processors",
            opt(&self.pointer_size),
            opt(&self.buffer_size),
            opt(&self.number_of_processors)
        );
        let _ = writeln!(
            s,
            "  buffers       {} read ({} compressed), {} written per header",
            self.buffers,
            self.compressed_buffers,
            opt(&self.buffers_written)
        );
        let _ = writeln!(
            s,
            "  lost          {} events, {} buffers",
            opt(&self.events_lost),
            opt(&self.buffers_lost)
        );
        let kinds: Vec<String> = self
            .header_kinds
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        let _ = writeln!(s, "  records       {} ({})", self.records, kinds.join(", "));
        let _ = writeln!(s, "  messages      {}", self.messages);
        if !self.providers.is_empty() {
            let _ = writeln!(s, "providers");
            for p in &self.providers {
                let _ = writeln!(
                    s,
                    "  {}  {:>8}  {}",
                    p.guid,
                    p.events,
                    p.name.as_deref().unwrap_or("")
                );
            }
        }
        if !self.first_events.is_empty() {
            let _ = writeln!(s, "first records");
            for e in &self.first_events {
                let _ = writeln!(
                    s,
                    "  @{:<8} {:<14} {:<28} pid {:<6} tid {:<6} {} {}{}",
                    e.offset,
                    e.kind,
                    e.time.as_deref().unwrap_or("-"),
                    opt(&e.pid),
                    opt(&e.tid),
                    e.provider.as_deref().unwrap_or("-"),
                    e.name.as_deref().unwrap_or(""),
                    e.text
                        .as_deref()
                        .map(|t| format!(": {}", one_line(t, 200)))
                        .unwrap_or_default()
                );
            }
        }
        if self.issues_total > 0 {
            let _ = writeln!(s, "issues ({})", self.issues_total);
            for i in &self.issues {
                let _ = writeln!(s, "  {i}");
            }
        }
        s
    }
}
