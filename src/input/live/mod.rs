//! Live capture on Windows: an ETW real-time session (`--etw PROVIDER`) and
//! OutputDebugString over the DBWIN protocol (`--debug-output`), feeding the
//! same [`TraceEvent`]s as the file sources.
//!
//! Everything that does not need Windows (payload decoding, TraceLogging
//! decoding (the `.etl` reader's decoder), session-name rules, the ETW
//! session's call order, buffer sizes and lost-event reports
//! ([`etw_session`]), DBWIN buffer parsing, the DebugView log writer, the
//! process filter and the event pipeline below) is portable and tested on
//! every OS; the Windows calls live in `windows/` behind
//! `cfg(windows)`. On other systems [`capture`] returns
//! [`LiveError::Unsupported`].

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use chrono::{DateTime, Utc};

use crate::input::event::{EventTime, InputName, Origin, Position, TraceEvent, trim_message_end};
use crate::input::provider::ProviderSpec;
use crate::input::{InputProblem, ProblemKind, SourceItem};

pub mod args;
pub mod dbwin;
pub mod debugview_log;
pub mod etw_session;
pub mod payload;
pub mod session;

#[cfg(windows)]
mod windows;
/// ferrisetw records to certtrace's pieces, shared with `.etl` files read
/// through ferrisetw (`read --etl-backend ferrisetw`).
#[cfg(windows)]
pub(crate) use windows::record as etw_record;

pub use args::LiveArgs;
pub use session::DEFAULT_SESSION;

/// What to capture and how. [`LiveOptions::default`] gives the documented
/// defaults (session `certtrace`, all keywords, verbose level, no source).
#[derive(Debug, Clone, PartialEq)]
pub struct LiveOptions {
    /// `--etw PROVIDER`: capture this provider in a real-time ETW session.
    pub etw: Option<ProviderSpec>,
    /// `--session NAME`: the ETW session name (default `certtrace`).
    pub session: String,
    /// `--field NAME`: the TraceLogging field holding the message (default:
    /// the event's first string field).
    pub field: Option<String>,
    /// `--keywords`: the provider's match-any keyword mask (default all).
    pub keywords: u64,
    /// `--level`: highest level enabled (default 5, verbose).
    pub level: u8,
    /// `--save FILE.etl`: also record the ETW session to this file.
    pub save_etl: Option<PathBuf>,
    /// `--save-max-mb`: the `.etl` file is circular, at most this size.
    pub save_max_mb: u32,
    /// `--buffer-kb`, `--min-buffers`, `--max-buffers`, `--flush-ms`.
    pub buffers: etw_session::BufferConfig,
    /// `--debug-output`: capture OutputDebugString (DBWIN protocol).
    pub debug_output: bool,
    /// `--global`: use the `Global\` DBWIN objects (services, IIS worker
    /// processes in session 0; needs administrator rights).
    pub global: bool,
    /// `--process NAME`: keep only messages of processes with this exe name
    /// (case-insensitive; `w3wp` or `w3wp.exe`).
    pub process: Option<String>,
    /// `--save FILE.log`: write what was captured as a DebugView log.
    pub save_log: Option<PathBuf>,
    /// Print notices (session replaced, unknown process names...) to stderr
    /// as they happen. They are also in [`LiveSummary::notices`].
    pub notices_to_stderr: bool,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            etw: None,
            session: DEFAULT_SESSION.to_string(),
            field: None,
            keywords: u64::MAX,
            level: 5,
            save_etl: None,
            save_max_mb: DEFAULT_SAVE_MAX_MB,
            buffers: etw_session::DEFAULT_BUFFERS,
            debug_output: false,
            global: false,
            process: None,
            save_log: None,
            notices_to_stderr: true,
        }
    }
}

/// Default bound of a `--save FILE.etl` file, in MB.
pub const DEFAULT_SAVE_MAX_MB: u32 = 1024;

/// Why a capture ended.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[serde(tag = "kind", content = "reason", rename_all = "snake_case")]
pub enum LiveEnd {
    /// The stop flag was set (Ctrl-C).
    #[default]
    Stopped,
    /// A source ended on its own, e.g. the ETW session was stopped from
    /// outside (`logman stop certtrace -ets`).
    SourceEnded(String),
}

/// ETW session counters: queried every second while capturing, and the
/// final ones returned by the stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct EtwSessionStats {
    /// Events the session could not record (buffers full).
    pub events_lost: u32,
    /// Buffers that could not be written to the `.etl` file.
    pub log_buffers_lost: u32,
    /// Buffers that could not be delivered to the real-time consumer
    /// (certtrace too slow).
    pub realtime_buffers_lost: u32,
    pub buffers_written: u32,
}

/// What a capture did, for the final summary.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct LiveSummary {
    pub end: LiveEnd,
    /// Events handed to the sink.
    pub events: u64,
    /// Events left out by `--process`.
    pub filtered_out: u64,
    /// Events kept although `--process` was given, because their process
    /// name could not be found (process gone, access denied).
    pub unknown_process: u64,
    /// U+FFFD characters inserted while decoding string-only payloads.
    pub replaced_chars: u64,
    /// TraceLogging/manifest events without the wanted string field, shown
    /// as `name=value` pairs instead.
    pub field_fallbacks: u64,
    /// ETW events whose payload could not be decoded at all (kept, with a
    /// placeholder text).
    pub undecodable: u64,
    /// TraceLogging events with a field that could not be decoded (kept
    /// with the fields before it).
    pub field_problems: u64,
    /// Callback invocations that panicked (caught; the event is lost).
    pub callback_panics: u64,
    /// ETW session counters (`None` without `--etw`, or when the query
    /// failed).
    pub etw: Option<EtwSessionStats>,
    /// A leftover session of the same name was found and replaced.
    pub session_replaced: bool,
    /// Process names seen, by pid (when they could be looked up).
    pub processes: BTreeMap<u32, String>,
    /// Things the operator was told during the capture.
    pub notices: Vec<String>,
}

impl std::fmt::Display for LiveSummary {
    /// The closing lines `certtrace live` prints: what was captured, what
    /// was lost, why it ended.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.end {
            LiveEnd::Stopped => write!(f, "capture stopped")?,
            LiveEnd::SourceEnded(why) => write!(f, "capture ended: {why}")?,
        }
        write!(f, "; {} message(s) captured", self.events)?;
        if self.filtered_out > 0 {
            write!(f, ", {} left out by --process", self.filtered_out)?;
        }
        if self.unknown_process > 0 {
            write!(
                f,
                ", {} kept from processes whose name could not be read",
                self.unknown_process
            )?;
        }
        writeln!(f)?;
        if let Some(etw) = &self.etw {
            let lost = etw.events_lost + etw.realtime_buffers_lost + etw.log_buffers_lost;
            writeln!(
                f,
                "ETW session: {} event(s) lost, {} real-time buffer(s) lost, {} file buffer(s) lost{}",
                etw.events_lost,
                etw.realtime_buffers_lost,
                etw.log_buffers_lost,
                if lost > 0 {
                    " - the capture is incomplete"
                } else {
                    ""
                }
            )?;
        }
        let mut extra = Vec::new();
        if self.session_replaced {
            extra.push("a leftover ETW session of the same name was replaced".to_string());
        }
        if self.field_fallbacks > 0 {
            extra.push(format!(
                "{} event(s) without the message field shown as name=value",
                self.field_fallbacks
            ));
        }
        if self.replaced_chars > 0 {
            extra.push(format!(
                "{} invalid UTF-16 character(s) replaced by U+FFFD",
                self.replaced_chars
            ));
        }
        if self.undecodable > 0 {
            extra.push(format!(
                "{} event(s) could not be decoded",
                self.undecodable
            ));
        }
        if self.field_problems > 0 {
            extra.push(format!(
                "{} event(s) with a field that could not be decoded (the others kept)",
                self.field_problems
            ));
        }
        if self.callback_panics > 0 {
            extra.push(format!(
                "{} event(s) lost to an internal error (callback panic)",
                self.callback_panics
            ));
        }
        for e in extra {
            writeln!(f, "note: {e}")?;
        }
        Ok(())
    }
}

/// Why live capture could not start or had to stop.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(
        "live capture needs Windows (ETW and OutputDebugString exist only there). On the server, \
         save a DebugView log (Dbgview.exe /l FILE.log) or record an ETW session to an .etl file \
         (logman, see the README section 'On the server'), then use `certtrace read FILE.log` or \
         `certtrace read FILE.etl` here"
    )]
    Unsupported,

    #[error("nothing to capture: give --etw PROVIDER and/or --debug-output")]
    NoSource,

    #[error("invalid option: {0}")]
    InvalidOption(String),

    #[error(
        "not allowed to start the ETW session {session:?} ({what}): run certtrace from an \
         elevated prompt (administrator), or as a member of the \"Performance Log Users\" group, \
         or with the SeSystemProfilePrivilege right"
    )]
    EtwAccessDenied { session: String, what: String },

    #[error(
        "the ETW session {session:?} already exists and could not be stopped ({detail}); stop it \
         by hand with `logman stop {session} -ets`, or use another --session name"
    )]
    SessionInUse { session: String, detail: String },

    #[error("ETW session {session:?}: {step} failed: {detail}")]
    Etw {
        session: String,
        step: String,
        detail: String,
    },

    #[error(
        "another debug-output listener already owns {objects} (DebugView, a debugger, or another \
         `certtrace live --debug-output`{global_hint}); close it and retry"
    )]
    DebuggerPresent {
        objects: String,
        global_hint: &'static str,
    },

    #[error(
        "not allowed to create the Global\\DBWIN_* objects: capturing OutputDebugString of \
         services (IIS worker processes run in session 0) with --global needs administrator \
         rights; run certtrace from an elevated prompt"
    )]
    GlobalDbwinNeedsAdmin,

    #[error("OutputDebugString capture: {step} failed: {detail}")]
    Dbwin { step: String, detail: String },

    #[error("cannot write {path}: {source}")]
    SaveLog {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Captures live until `stop` is set (or a source ends), handing every
/// message to `sink` as it arrives. Returns the summary (events, losses,
/// ETW session counters queried before stopping).
///
/// Both sources can run at once. Notices (a leftover ETW session replaced,
/// ...) go to stderr when [`LiveOptions::notices_to_stderr`] is set and are
/// listed in the summary.
pub fn capture(
    opts: &LiveOptions,
    stop: Arc<AtomicBool>,
    sink: &mut dyn FnMut(SourceItem),
) -> Result<LiveSummary, LiveError> {
    check_options(opts)?;
    #[cfg(windows)]
    {
        windows::capture(opts, stop, sink)
    }
    #[cfg(not(windows))]
    {
        let _ = (stop, sink);
        Err(LiveError::Unsupported)
    }
}

/// The option checks that need no Windows call.
pub fn check_options(opts: &LiveOptions) -> Result<(), LiveError> {
    if opts.etw.is_none() && !opts.debug_output {
        return Err(LiveError::NoSource);
    }
    if opts.etw.is_some() {
        session::validate_session_name(&opts.session)
            .map_err(|e| LiveError::InvalidOption(format!("--session: {e}")))?;
        opts.buffers.validate().map_err(LiveError::InvalidOption)?;
        if opts.save_max_mb == 0 {
            return Err(LiveError::InvalidOption(
                "--save-max-mb must be at least 1".into(),
            ));
        }
        if opts.level == 0 {
            // Level 0 would enable only "always logged" events: accepted by
            // ETW, but almost certainly a mistake for this module's events.
            return Err(LiveError::InvalidOption(
                "--level must be 1 (critical) to 5 (verbose), or higher".into(),
            ));
        }
    } else {
        if opts.field.is_some() {
            return Err(LiveError::InvalidOption(
                "--field only applies to --etw capture".into(),
            ));
        }
        if opts.save_etl.is_some() {
            return Err(LiveError::InvalidOption(
                "--save FILE.etl needs --etw".into(),
            ));
        }
    }
    if opts.global && !opts.debug_output {
        return Err(LiveError::InvalidOption(
            "--global applies to --debug-output".into(),
        ));
    }
    if let Some(p) = &opts.process
        && p.trim().is_empty()
    {
        return Err(LiveError::InvalidOption("--process is empty".into()));
    }
    // Last, so that option mistakes are told on every platform.
    if !cfg!(windows) {
        return Err(LiveError::Unsupported);
    }
    Ok(())
}

/// One message as a live source captured it, before numbering, filtering
/// and logging.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(not(windows), allow(dead_code))] // used by tests there
pub(crate) struct Captured {
    pub time: DateTime<Utc>,
    pub pid: Option<u32>,
    pub tid: Option<u32>,
    pub provider: Option<String>,
    pub activity_id: Option<String>,
    pub text: String,
    /// Executable name of the process, when it could be looked up.
    pub process: Option<Arc<str>>,
    /// `etw:<guid>`, `dbwin` or `dbwin:global`.
    pub input: InputName,
    /// DBWIN messages are split on embedded newlines, as DebugView does.
    pub split_lines: bool,
}

/// The portable back half of a capture: process filter, sequence numbers,
/// `--save FILE.log`, the sink, the counters.
#[cfg_attr(not(windows), allow(dead_code))] // used by tests there
pub(crate) struct Pipeline<'a> {
    started: DateTime<Utc>,
    seq: u64,
    process_filter: Option<String>,
    log: Option<(PathBuf, debugview_log::DebugViewLogWriter<BufWriter<File>>)>,
    sink: &'a mut dyn FnMut(SourceItem),
    notices_to_stderr: bool,
    warned_unknown_process: bool,
    pub summary: LiveSummary,
}

#[cfg_attr(not(windows), allow(dead_code))]
impl<'a> Pipeline<'a> {
    pub fn new(
        opts: &LiveOptions,
        started: DateTime<Utc>,
        sink: &'a mut dyn FnMut(SourceItem),
    ) -> Result<Self, LiveError> {
        let log = match &opts.save_log {
            None => None,
            Some(path) => {
                let f = File::create(path).map_err(|source| LiveError::SaveLog {
                    path: path.clone(),
                    source,
                })?;
                Some((
                    path.clone(),
                    debugview_log::DebugViewLogWriter::new(BufWriter::new(f)),
                ))
            }
        };
        Ok(Pipeline {
            started,
            seq: 0,
            process_filter: opts.process.clone(),
            log,
            sink,
            notices_to_stderr: opts.notices_to_stderr,
            warned_unknown_process: false,
            summary: LiveSummary::default(),
        })
    }

    /// Tells the operator something (stderr when asked) and records it.
    pub fn notice(&mut self, msg: String) {
        if self.notices_to_stderr {
            eprintln!("certtrace live: {msg}");
        }
        self.summary.notices.push(msg);
    }

    pub fn push(&mut self, c: Captured) -> Result<(), LiveError> {
        if let (Some(pid), Some(name)) = (c.pid, &c.process) {
            self.summary
                .processes
                .entry(pid)
                .or_insert_with(|| name.to_string());
        }
        if let Some(filter) = &self.process_filter {
            match &c.process {
                Some(name) if !dbwin::process_matches(filter, name) => {
                    self.summary.filtered_out += 1;
                    return Ok(());
                }
                Some(_) => {}
                None => {
                    self.summary.unknown_process += 1;
                    if !self.warned_unknown_process {
                        self.warned_unknown_process = true;
                        let pid = c.pid.map_or("?".to_string(), |p| p.to_string());
                        self.notice(format!(
                            "the name of process {pid} could not be looked up (exited, or not \
                             elevated); its messages are kept although --process is given"
                        ));
                    }
                }
            }
        }
        let elapsed = (c.time - self.started).num_microseconds().unwrap_or(0) as f64 / 1e6;
        if let Some((path, w)) = &mut self.log {
            w.write_entry(elapsed, c.pid, &c.text)
                .and_then(|_| w.flush())
                .map_err(|source| LiveError::SaveLog {
                    path: path.clone(),
                    source,
                })?;
        }
        let lines: Vec<&str> = if c.split_lines {
            dbwin::split_debug_lines(&c.text)
        } else {
            vec![trim_message_end(&c.text)]
        };
        for line in lines {
            self.seq += 1;
            let mut ev = TraceEvent {
                time: Some(EventTime::Utc(c.time)),
                pid: c.pid,
                tid: c.tid,
                context: None,
                preparsed: None,
                text: line.to_string(),
                origin: Origin {
                    input: c.input,
                    position: Position::Sequence(self.seq),
                },
            };
            ev.set_context(None, c.provider.clone(), c.activity_id.clone());
            self.summary.events += 1;
            (self.sink)(SourceItem::Event(ev));
        }
        Ok(())
    }

    /// Lost events (the session's counters moved): an input problem of
    /// `input` (a record in NDJSON, a line on the dashboard, counted in the
    /// summary), and a notice.
    pub fn events_lost(&mut self, input: InputName, text: String) {
        self.summary.notices.push(text.clone());
        (self.sink)(SourceItem::Problem(InputProblem {
            origin: Origin {
                input,
                position: Position::Sequence(self.seq),
            },
            kind: ProblemKind::EventsLost,
            detail: text,
        }));
    }

    /// Flushes `--save FILE.log` and hands back the summary.
    pub fn finish(mut self) -> Result<LiveSummary, LiveError> {
        if let Some((path, mut w)) = self.log.take() {
            w.flush()
                .map_err(|source| LiveError::SaveLog { path, source })?;
        }
        Ok(self.summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn captured(pid: u32, process: Option<&str>, text: &str, split: bool) -> Captured {
        Captured {
            time: DateTime::from_timestamp(1_782_231_794, 500_000_000).unwrap(),
            pid: Some(pid),
            tid: None,
            provider: None,
            activity_id: None,
            text: text.to_string(),
            process: process.map(Arc::from),
            input: InputName::from("dbwin"),
            split_lines: split,
        }
    }

    fn quiet() -> LiveOptions {
        LiveOptions {
            debug_output: true,
            notices_to_stderr: false,
            ..LiveOptions::default()
        }
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let o = LiveOptions::default();
        assert_eq!(o.session, "certtrace");
        assert_eq!(o.keywords, u64::MAX);
        assert_eq!(o.level, 5);
        assert!(!o.debug_output && !o.global && o.etw.is_none());
    }

    #[test]
    fn option_checks() {
        // Option mistakes are found on every platform.
        assert!(matches!(
            check_options(&LiveOptions::default()),
            Err(LiveError::NoSource)
        ));
        let mut o = quiet();
        o.field = Some("msg".into());
        assert!(matches!(
            check_options(&o),
            Err(LiveError::InvalidOption(_))
        ));
        let o = LiveOptions {
            etw: Some("MyCompany.MyComponent".parse().unwrap()),
            session: "NT Kernel Logger".into(),
            ..LiveOptions::default()
        };
        assert!(matches!(
            check_options(&o),
            Err(LiveError::InvalidOption(_))
        ));
        if !cfg!(windows) {
            assert!(matches!(
                check_options(&quiet()),
                Err(LiveError::Unsupported)
            ));
        }
    }

    #[cfg(not(windows))]
    #[test]
    fn capture_on_other_systems_says_it_needs_windows() {
        let stop = Arc::new(AtomicBool::new(false));
        let err = capture(&quiet(), stop, &mut |_| {}).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("needs Windows"), "{msg}");
        assert!(msg.contains("certtrace read FILE.log"), "{msg}");
        assert!(msg.contains(".etl"), "{msg}");
    }

    #[test]
    fn error_messages_name_the_missing_right() {
        let e = LiveError::EtwAccessDenied {
            session: "certtrace".into(),
            what: "access denied".into(),
        }
        .to_string();
        assert!(e.contains("administrator"));
        assert!(e.contains("Performance Log Users"));
        assert!(e.contains("SeSystemProfilePrivilege"));
        assert!(
            LiveError::GlobalDbwinNeedsAdmin
                .to_string()
                .contains("administrator")
        );
        let e = LiveError::DebuggerPresent {
            objects: "DBWIN_BUFFER_READY".into(),
            global_hint: "",
        }
        .to_string();
        assert!(e.contains("DebugView"));
    }

    #[test]
    fn pipeline_numbers_splits_and_filters() {
        let mut got = Vec::new();
        let mut sink = |i: SourceItem| {
            if let SourceItem::Event(e) = i {
                got.push(e)
            }
        };
        let mut o = quiet();
        o.process = Some("w3wp.exe".into());
        let start = DateTime::from_timestamp(1_782_231_794, 0).unwrap();
        let mut p = Pipeline::new(&o, start, &mut sink).unwrap();
        p.push(captured(
            5120,
            Some("w3wp.exe"),
            "Line: 28 rMsg1638: cnt = 1 URI: x\n",
            true,
        ))
        .unwrap();
        p.push(captured(77, Some("notepad.exe"), "other\n", true))
            .unwrap();
        p.push(captured(5120, Some("w3wp.exe"), "a\nb\n", true))
            .unwrap();
        p.push(captured(9, None, "unknown process\n", true))
            .unwrap();
        let s = p.finish().unwrap();
        assert_eq!(s.events, 4);
        assert_eq!(s.filtered_out, 1);
        assert_eq!(s.unknown_process, 1);
        assert_eq!(s.notices.len(), 1);
        assert_eq!(s.processes.get(&5120).map(String::as_str), Some("w3wp.exe"));
        assert_eq!(
            s.processes.get(&77).map(String::as_str),
            Some("notepad.exe")
        );
        let texts: Vec<&str> = got.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Line: 28 rMsg1638: cnt = 1 URI: x",
                "a",
                "b",
                "unknown process"
            ]
        );
        let seqs: Vec<String> = got.iter().map(|e| e.origin.to_string()).collect();
        assert_eq!(seqs, ["dbwin#1", "dbwin#2", "dbwin#3", "dbwin#4"]);
        assert!(
            got.iter()
                .all(|e| matches!(e.time, Some(EventTime::Utc(_))))
        );
    }

    #[test]
    fn etw_messages_are_not_split_but_trimmed() {
        let mut got = Vec::new();
        let mut sink = |i: SourceItem| {
            if let SourceItem::Event(e) = i {
                got.push(e)
            }
        };
        let o = quiet();
        let mut p = Pipeline::new(&o, Utc::now(), &mut sink).unwrap();
        let mut c = captured(1, None, "Line: 28 rMsg1638: x\r\n", false);
        c.tid = Some(42);
        c.activity_id = Some("ce5fa4ea-ab00-5402-8b76-9f76ac858fb5".into());
        p.push(c).unwrap();
        p.finish().unwrap();
        assert_eq!(got[0].text, "Line: 28 rMsg1638: x");
        assert_eq!(got[0].tid, Some(42));
        assert_eq!(
            got[0].activity_id(),
            Some("ce5fa4ea-ab00-5402-8b76-9f76ac858fb5")
        );
    }

    #[test]
    fn pipeline_writes_the_debugview_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("capture.log");
        let mut o = quiet();
        o.save_log = Some(path.clone());
        let start = DateTime::from_timestamp(1_782_231_794, 0).unwrap();
        let mut sink = |_: SourceItem| {};
        let mut p = Pipeline::new(&o, start, &mut sink).unwrap();
        p.push(captured(
            5120,
            Some("w3wp.exe"),
            "Line: 45 rMsg1638: cert size: 1042 Previously negotiated 1\n",
            true,
        ))
        .unwrap();
        p.finish().unwrap();
        let s = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            s,
            "00000001\t0.50000000\t[5120] Line: 45 rMsg1638: cert size: 1042 Previously negotiated 1\t\r\n"
        );
    }

    #[test]
    fn lost_events_become_input_problems() {
        let mut got = Vec::new();
        let mut sink = |i: SourceItem| got.push(i);
        let o = quiet();
        let mut p = Pipeline::new(&o, Utc::now(), &mut sink).unwrap();
        p.push(captured(1, None, "a", false)).unwrap();
        p.events_lost(
            InputName::from("etw:x"),
            "the ETW session lost 3 event(s)".into(),
        );
        let s = p.finish().unwrap();
        assert_eq!(s.notices, ["the ETW session lost 3 event(s)"]);
        match &got[1] {
            SourceItem::Problem(pr) => {
                assert_eq!(pr.kind, ProblemKind::EventsLost);
                assert_eq!(pr.to_string(), "etw:x#1: the ETW session lost 3 event(s)");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unwritable_log_is_a_clear_error() {
        let mut o = quiet();
        o.save_log = Some(PathBuf::from("/nonexistent-dir/x/capture.log"));
        let mut sink = |_: SourceItem| {};
        let e = Pipeline::new(&o, Utc::now(), &mut sink).err().unwrap();
        assert!(
            e.to_string()
                .contains("cannot write /nonexistent-dir/x/capture.log")
        );
    }

    #[test]
    fn summary_text() {
        let s = LiveSummary {
            events: 12,
            filtered_out: 3,
            etw: Some(EtwSessionStats {
                events_lost: 2,
                ..EtwSessionStats::default()
            }),
            session_replaced: true,
            ..LiveSummary::default()
        };
        assert_eq!(
            s.to_string(),
            "capture stopped; 12 message(s) captured, 3 left out by --process\n\
             ETW session: 2 event(s) lost, 0 real-time buffer(s) lost, 0 file buffer(s) lost - the capture is incomplete\n\
             note: a leftover ETW session of the same name was replaced\n"
        );
        let s = LiveSummary {
            end: LiveEnd::SourceEnded("x".into()),
            ..LiveSummary::default()
        };
        assert_eq!(s.to_string(), "capture ended: x; 0 message(s) captured\n");
    }

    #[test]
    fn summary_serializes() {
        let s = LiveSummary {
            end: LiveEnd::SourceEnded("session stopped".into()),
            ..LiveSummary::default()
        };
        let j = serde_json::to_value(&s).unwrap();
        assert_eq!(j["end"]["kind"], "source_ended");
        assert_eq!(j["end"]["reason"], "session stopped");
    }
}
