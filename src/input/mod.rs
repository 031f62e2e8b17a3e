//! Sources: one module per input kind, each yielding normalized
//! [`TraceEvent`]s and the [`InputProblem`]s met on the way.
//!
//! `certtrace read` inputs are auto-detected per file from a window of their
//! first lines ([`shape`]): DebugView logs ([`debugview`]), DebugView++ logs
//! ([`dblog`]), JSON values ([`jsonl`]), raw message lines, in UTF-8, ANSI
//! (Windows-1252, or `--encoding`) or UTF-16 ([`lines`]); each line is then
//! read by its own shape. [`follow`] follows growing files (`read -f`,
//! `tail`) and yields the same items as lines are appended.

pub mod dblog;
pub mod debugview;
pub mod etl;
#[cfg(windows)]
pub mod etl_ferrisetw;
pub mod event;
pub mod follow;
pub mod handoff;
pub mod jsonl;
pub mod lines;
pub mod live;
pub mod merge;
pub mod provider;
pub mod shape;

use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::input::event::{EventTime, InputName, Origin, Position, TraceEvent};
use lines::{Line, LineReader, LineRef};

/// What a source yields: an event, or a problem with the input (counted in
/// the summary, reported with its place; reading goes on).
#[derive(Debug, Clone, PartialEq)]
pub enum SourceItem {
    Event(TraceEvent),
    Problem(InputProblem),
}

/// A problem with the input, with where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct InputProblem {
    pub origin: Origin,
    pub kind: ProblemKind,
    pub detail: String,
}

impl fmt::Display for InputProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.detail)
    }
}

/// Kinds of input problems, as counted in the summary (`input_problems`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProblemKind {
    /// The input could not be opened or read.
    Unreadable,
    /// Bytes that are not valid text in the detected encoding.
    Encoding,
    /// A line longer than the limit (cut).
    LineTooLong,
    /// A line that does not fit the input's format (kept as a raw message).
    Malformed,
    /// Binary data in a text input.
    Binary,
    /// A truncated or corrupt record of a binary input.
    Corrupt,
    /// Followed file: renamed away and recreated (log rotation).
    Rotated,
    /// Followed file: shrank (truncated in place); read again from its start.
    Truncated,
    /// Followed file: deleted, or not there yet (waited for).
    Missing,
    /// Followed file: an unterminated last line dropped at rotation or
    /// truncation (never parsed half); read file: a last line without its
    /// line end.
    PartialLine,
    /// An input without a single line or event.
    Empty,
    /// An input that held no module message (said once, with what it
    /// looked like and what to try).
    NoModuleMessages,
    /// certtrace's own output (request, summary... records) given as input.
    OwnOutput,
    /// A live ETW session lost events or buffers (its counters moved).
    EventsLost,
}

impl ProblemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Unreadable => "unreadable",
            ProblemKind::Encoding => "encoding",
            ProblemKind::LineTooLong => "line_too_long",
            ProblemKind::Malformed => "malformed",
            ProblemKind::Binary => "binary",
            ProblemKind::Corrupt => "corrupt",
            ProblemKind::Rotated => "rotated",
            ProblemKind::Truncated => "truncated",
            ProblemKind::Missing => "missing",
            ProblemKind::PartialLine => "partial_line",
            ProblemKind::Empty => "empty",
            ProblemKind::NoModuleMessages => "no_module_messages",
            ProblemKind::OwnOutput => "certtrace_output",
            ProblemKind::EventsLost => "events_lost",
        }
    }

    /// Said of a whole input, once: shown even past the limit of problems
    /// shown.
    pub fn of_whole_input(self) -> bool {
        matches!(
            self,
            ProblemKind::Empty | ProblemKind::NoModuleMessages | ProblemKind::OwnOutput
        )
    }
}

/// The format of an input, auto-detected unless named with `--input-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// Detect from the first 64 lines (or the first bytes for `.etl`).
    Auto,
    /// DebugView log: `index<TAB>time<TAB>[pid] message`, saved with or
    /// without its `[\\COMPUTER]` header.
    Debugview,
    /// DebugView++ log (`.dblog`): `elapsed<TAB>date time<TAB>pid<TAB>process<TAB>message`.
    Dblog,
    /// One message per line, nothing else.
    Raw,
    /// JSON values (one a line, pretty-printed or back to back): certtrace
    /// events, SilkETW or Sealighter output.
    Json,
}

impl InputFormat {
    /// How messages name it.
    pub fn name(self) -> &'static str {
        match self {
            InputFormat::Auto => "auto",
            InputFormat::Debugview => "a DebugView log",
            InputFormat::Dblog => "a DebugView++ log",
            InputFormat::Raw => "raw lines",
            InputFormat::Json => "JSON",
        }
    }
}

/// Which reader turns `.etl` files into events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum EtlBackend {
    /// certtrace's own reader, on every OS (the same results everywhere).
    #[default]
    Portable,
    /// Windows' ETW consumer API through ferrisetw's FileTrace, to
    /// cross-check (Windows only).
    Ferrisetw,
}

impl EtlBackend {
    /// Whether this backend can run here; the usage error when not.
    pub fn check(self) -> Result<(), String> {
        if self == EtlBackend::Ferrisetw && !cfg!(windows) {
            return Err(
                "--etl-backend ferrisetw needs Windows (it reads .etl files through the \
                        Windows ETW API); the default, --etl-backend portable, reads them on \
                        every OS"
                    .into(),
            );
        }
        Ok(())
    }
}

/// Options that shape how inputs become events.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// pid for inputs that have none (raw lines, DebugView without pids).
    pub pid: Option<u32>,
    /// Payload field holding the message (JSON collectors, TraceLogging).
    pub field: Option<String>,
    pub format: Option<InputFormat>,
    /// ETW provider whose events carry the module's messages (`.etl`).
    pub provider: Option<crate::input::provider::ProviderSpec>,
    /// Reader for `.etl` files.
    pub etl_backend: EtlBackend,
    /// Host for inputs that do not name one (`--host`).
    pub host: Option<String>,
    /// Code page of text that is not UTF-8 or UTF-16 (`--encoding`;
    /// default: Windows-1252 for lines that are not UTF-8).
    pub encoding: Option<&'static encoding_rs::Encoding>,
}

/// A boxed stream of source items.
pub type ItemStream = Box<dyn Iterator<Item = SourceItem> + Send>;

/// Opens a named input (`-` is stdin) as a stream of items: an `.etl` file
/// (sniffed from its first bytes) or text. An input that cannot be opened is
/// an error naming it.
pub fn open(name: &str, opts: &ReadOptions) -> io::Result<ItemStream> {
    let forced_text = opts.format.is_some_and(|f| f != InputFormat::Auto);
    // A pipe: read on its own thread, so the format can be decided when it
    // is quiet (not only once 64 lines came).
    let quiet = (name == "-" && !forced_text && !stdin_is_regular_file())
        .then(|| Arc::new(AtomicBool::new(true)));
    let mut reader: Box<dyn Read + Send> = if name == "-" {
        match &quiet {
            Some(flag) => Box::new(shape::QuietPipe::spawn(io::stdin(), flag.clone())),
            None => Box::new(io::stdin()),
        }
    } else {
        let f = File::open(name)?;
        if f.metadata()?.is_dir() {
            return Err(io::Error::other("is a directory"));
        }
        Box::new(f)
    };
    // Sniff: a file is read until the ETL header fits; stdin only as far as
    // one read goes, so a live pipe is not held back.
    let mut head = vec![0u8; ETL_SNIFF];
    let mut n = 0;
    while n < ETL_SNIFF {
        let got = match reader.read(&mut head[n..]) {
            Ok(g) => g,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::Interrupted | io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(e) => return Err(e),
        };
        n += got;
        if got == 0 || name == "-" {
            break;
        }
    }
    head.truncate(n);
    let input: InputName = name.into();
    let is_etl = !forced_text && crate::input::etl::is_etl(&head);
    let reader = io::Cursor::new(head).chain(reader);
    if is_etl {
        let eopts = crate::input::etl::EtlOptions {
            provider: opts.provider.clone(),
            field: opts.field.clone(),
            ansi: None,
        };
        if opts.etl_backend == EtlBackend::Ferrisetw {
            drop(reader);
            return ferrisetw_etl(name, eopts);
        }
        return Ok(Box::new(etl_items(
            crate::input::etl::EtlEvents::new(reader, input, eopts),
            input,
            opts.host.clone(),
        )));
    }
    let text = TextSource::new(reader, input, opts.clone());
    Ok(match quiet {
        Some(flag) => Box::new(text.with_deciding(flag)),
        None => Box::new(text),
    })
}

/// An `.etl` file through ferrisetw's `FileTrace`, which reads by path.
#[cfg(windows)]
fn ferrisetw_etl(name: &str, eopts: crate::input::etl::EtlOptions) -> io::Result<ItemStream> {
    if name == "-" {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "--etl-backend ferrisetw reads .etl files by name, not from stdin (save it to a \
             file, or use --etl-backend portable)",
        ));
    }
    etl_ferrisetw::open(std::path::Path::new(name), name.into(), eopts)
}

#[cfg(not(windows))]
fn ferrisetw_etl(_name: &str, _eopts: crate::input::etl::EtlOptions) -> io::Result<ItemStream> {
    let why = EtlBackend::Ferrisetw.check().err().unwrap_or_default();
    Err(io::Error::new(io::ErrorKind::Unsupported, why))
}

/// Bytes needed to recognise an `.etl` file.
const ETL_SNIFF: usize = 0x50;

/// `.etl` events as source items: an issue with the file becomes a problem
/// naming its byte offset; a file without a module message is said once,
/// with the providers and record kinds it holds.
fn etl_items<R: Read + Send + 'static>(
    events: crate::input::etl::EtlEvents<R>,
    input: InputName,
    host: Option<String>,
) -> impl Iterator<Item = SourceItem> + Send {
    let mut module_seen = false;
    let mut messages = 0u64;
    let mut events = events.fuse();
    let mut ended = false;
    std::iter::from_fn(move || {
        if ended {
            return None;
        }
        let item = match events.next() {
            Some(item) => item,
            None => {
                ended = true;
                return (!module_seen).then(|| etl_nothing_found(input, messages));
            }
        };
        Some(match item {
            Ok(mut ev) => {
                messages += 1;
                if !module_seen {
                    module_seen = !matches!(
                        crate::parse::parse(&ev.text).message,
                        crate::parse::Message::Foreign
                    );
                }
                if let Some(h) = &host
                    && ev.host().is_none()
                {
                    ev.context.get_or_insert_default().host = Some(h.clone());
                }
                SourceItem::Event(ev)
            }
            Err(issue) => SourceItem::Problem(InputProblem {
                origin: Origin {
                    input,
                    position: Position::Offset(issue.offset().unwrap_or(0)),
                },
                kind: ProblemKind::Corrupt,
                detail: issue.to_string(),
            }),
        })
    })
}

/// What to say of an `.etl` file without a module message: the providers
/// and record kinds it holds (read again, only in this case).
fn etl_nothing_found(input: InputName, messages: u64) -> SourceItem {
    let name = input.as_str();
    let held = if name == "-" {
        String::new()
    } else {
        match File::open(name).map(io::BufReader::new) {
            Ok(f) => match crate::input::etl::inspect(f, name, 0) {
                Ok(r) => {
                    let providers: Vec<String> = r
                        .providers
                        .iter()
                        .take(6)
                        .map(|p| {
                            format!(
                                "{} ({})",
                                p.name.clone().unwrap_or_else(|| p.guid.clone()),
                                p.events
                            )
                        })
                        .collect();
                    let kinds: Vec<String> = r
                        .header_kinds
                        .iter()
                        .map(|(k, n)| format!("{k} {n}"))
                        .collect();
                    format!(
                        "; it holds {} records: {}; providers: {}{}",
                        r.records,
                        kinds.join(", "),
                        if providers.is_empty() {
                            "none".to_string()
                        } else {
                            providers.join(", ")
                        },
                        if r.providers.len() > 6 { ", ..." } else { "" }
                    )
                }
                Err(e) => format!("; {e}"),
            },
            Err(_) => String::new(),
        }
    };
    let inspect = if name == "-" { "FILE" } else { name };
    SourceItem::Problem(InputProblem {
        origin: Origin {
            input,
            position: Position::Offset(0),
        },
        kind: ProblemKind::NoModuleMessages,
        detail: format!(
            "no module message in this .etl file ({messages} string-only or TraceLogging \
             event{} read){held}; try --provider GUID|NAME and --field NAME, and `certtrace \
             etl {inspect}` to see its events",
            if messages == 1 { "" } else { "s" }
        ),
    })
}

/// Reads lines of a text input and turns them into events.
pub struct TextSource<R> {
    lines: LineReader<R>,
    events: LineEvents,
    done: bool,
    /// Set while the format is being decided: a [`shape::QuietPipe`] then
    /// gives up waiting after a quiet time.
    deciding: Option<Arc<AtomicBool>>,
}

/// Turns the lines of one text input into items. Unless given, the format
/// is decided from a window of the first lines ([`shape::decide`]); every
/// line is then read by its own shape.
struct LineEvents {
    input: InputName,
    opts: ReadOptions,
    format: Option<InputFormat>,
    /// Lines held while the format is being decided.
    window: Vec<Line>,
    window_lines: usize,
    window_bytes: usize,
    /// From DebugView's `[\\NAME]` header, else `--host`.
    host: Option<String>,
    json: shape::JsonValues,
    pieces: Vec<shape::Piece>,
    stats: InputStats,
    /// Items waiting to go out (a line's problem goes before its event).
    pending: VecDeque<SourceItem>,
}

/// What is said of an input at its end.
#[derive(Debug, Default)]
struct InputStats {
    /// The last line number handled.
    last_line: u64,
    first_line: Option<String>,
    module_seen: bool,
    /// Lines that were not valid text in the input's encoding.
    undecoded: u64,
    /// certtrace's own output records met (not a capture): how many, of
    /// which kinds, from which line.
    own_output: u64,
    own_kinds: std::collections::BTreeSet<String>,
    own_first: u64,
}

impl<R: Read> TextSource<R> {
    pub fn new(reader: R, input: InputName, opts: ReadOptions) -> Self {
        let format = opts.format.filter(|f| *f != InputFormat::Auto);
        TextSource {
            lines: LineReader::with_encoding(reader, opts.encoding),
            events: LineEvents {
                input,
                host: opts.host.clone(),
                opts,
                format,
                window: Vec::new(),
                window_lines: 0,
                window_bytes: 0,
                json: shape::JsonValues::default(),
                pieces: Vec::new(),
                stats: InputStats::default(),
                pending: VecDeque::new(),
            },
            done: false,
            deciding: None,
        }
    }

    /// Reads through a [`shape::QuietPipe`] sharing `flag`: the format is
    /// decided when the pipe is quiet (the flag is cleared then).
    fn with_deciding(mut self, flag: Arc<AtomicBool>) -> Self {
        flag.store(self.events.format.is_none(), Ordering::Relaxed);
        self.deciding = Some(flag);
        self
    }

    /// For sources that split lines themselves (following a growing file):
    /// the items of one line.
    pub fn push_line(&mut self, line: Line) -> std::collections::vec_deque::Drain<'_, SourceItem> {
        if self.events.format.is_none() {
            if self.events.hold(line) {
                self.events.decide();
            }
        } else if let Some(ev) = self.events.handle_line(LineRef::from(line)) {
            self.events.pending.push_back(SourceItem::Event(ev));
        }
        self.events.pending.drain(..)
    }

    /// For sources that split lines themselves: no more lines for now, so
    /// decide the format on those held.
    pub fn settle(&mut self) -> std::collections::vec_deque::Drain<'_, SourceItem> {
        if self.events.format.is_none() && !self.events.window.is_empty() {
            self.events.decide();
        }
        self.events.pending.drain(..)
    }

    /// The host of the input's events (a header read elsewhere).
    pub fn set_host(&mut self, name: &str) {
        self.events.host = Some(name.to_string());
    }

    /// Whether the format is decided (no lines are held).
    pub fn decided(&self) -> bool {
        self.events.format.is_some()
    }

    fn decide(&mut self) {
        if let Some(flag) = &self.deciding {
            flag.store(false, Ordering::Relaxed);
        }
        self.events.decide();
    }

    /// End of input: what is left, and what is to be said of the input.
    fn finish(&mut self) {
        self.decide();
        let lines = self.lines.lines_read().max(self.events.stats.last_line);
        self.events
            .finish(lines, self.lines.last_line_unterminated());
    }
}

impl LineEvents {
    fn origin(&self, line: u64) -> Origin {
        Origin {
            input: self.input,
            position: Position::Line(line),
        }
    }

    fn problem(&mut self, line: u64, kind: ProblemKind, detail: String) {
        let origin = self.origin(line);
        self.pending.push_back(SourceItem::Problem(InputProblem {
            origin,
            kind,
            detail,
        }));
    }

    /// Holds a line while the format is undecided; true when the window is
    /// full.
    fn hold(&mut self, line: Line) -> bool {
        if line.problem != Some(lines::LineProblem::Binary)
            && !crate::parse::text::trim(&line.text).is_empty()
        {
            self.window_lines += 1;
        }
        self.window_bytes += line.text.len();
        self.window.push(line);
        self.window_lines >= shape::WINDOW_LINES || self.window_bytes >= shape::WINDOW_BYTES
    }

    /// Decides the format on the lines held (if not decided yet) and reads
    /// them.
    fn decide(&mut self) {
        if self.format.is_some() {
            return;
        }
        self.format = Some(shape::decide(&self.window));
        for line in std::mem::take(&mut self.window) {
            if let Some(ev) = self.handle_line(LineRef::from(line)) {
                self.pending.push_back(SourceItem::Event(ev));
            }
        }
    }

    /// Notes whether an event is a module message (until one is).
    fn note(&mut self, ev: &TraceEvent) {
        use crate::parse::{Message, Preparsed, parse};
        self.stats.module_seen = match ev.preparsed {
            Some(Preparsed::Foreign) => false,
            Some(_) => true,
            None => !matches!(parse(&ev.text).message, Message::Foreign),
        };
    }

    /// The event of one line (none for a blank or header line); problems
    /// and further events go to `pending`.
    fn handle_line(&mut self, line: LineRef<'_>) -> Option<TraceEvent> {
        self.stats.last_line = line.number;
        if let Some(p) = &line.problem {
            let kind = match p {
                lines::LineProblem::NotUtf8
                | lines::LineProblem::Undecodable { .. }
                | lines::LineProblem::BadUtf16 { .. } => {
                    self.stats.undecoded += 1;
                    ProblemKind::Encoding
                }
                lines::LineProblem::TooLong { .. } => ProblemKind::LineTooLong,
                lines::LineProblem::Binary => ProblemKind::Binary,
            };
            self.problem(line.number, kind, p.to_string());
        }
        let text: &str = &line.text;
        let blank = crate::parse::text::trim(text).is_empty();
        if self.stats.first_line.is_none() && !blank {
            self.stats.first_line = Some(shape::shorten(text, 60));
        }
        if self.format == Some(InputFormat::Json) {
            self.json_line(text, line.number);
            return None;
        }
        if blank {
            return None;
        }
        let ev = self.shaped_event(text, line.number)?;
        if !self.stats.module_seen {
            self.note(&ev);
        }
        Some(ev)
    }

    /// A line read by its own shape: a DebugView header, DebugView or
    /// DebugView++ entry, else a raw message (reported when the input's
    /// format says it should have been an entry).
    fn shaped_event(&mut self, text: &str, number: u64) -> Option<TraceEvent> {
        if let Some(name) = shape::host_header(text) {
            self.host = Some(name.to_string());
            return None;
        }
        let origin = self.origin(number);
        let format = self.format.unwrap_or(InputFormat::Raw);
        if shape::may_be_entry(text) {
            let dblog_first = format == InputFormat::Dblog;
            if dblog_first && let Some(e) = dblog::parse_line(text) {
                return (!e.is_header()).then(|| self.dblog_event(&e, origin));
            }
            if let Some(entry) = debugview::parse_line(text) {
                return Some(self.debugview_event(&entry, origin));
            }
            if !dblog_first && let Some(e) = dblog::parse_line(text) {
                return (!e.is_header()).then(|| self.dblog_event(&e, origin));
            }
        }
        if let Some(e) = dblog::parse_console_line(text) {
            return Some(self.console_event(&e, origin));
        }
        let expected = match format {
            InputFormat::Debugview => Some("a DebugView entry (index<TAB>time<TAB>message)"),
            InputFormat::Dblog => Some("a DebugView++ entry"),
            InputFormat::Json => Some("JSON"),
            InputFormat::Raw | InputFormat::Auto => None,
        };
        if let Some(expected) = expected {
            self.problem(
                number,
                ProblemKind::Malformed,
                format!("not {expected}; kept as a raw message"),
            );
        }
        Some(self.raw_event(text, origin))
    }

    /// The events of one line of a JSON input (values may span lines).
    fn json_line(&mut self, text: &str, number: u64) {
        let mut pieces = std::mem::take(&mut self.pieces);
        self.json.feed(text, number, &mut pieces);
        self.json_pieces(&mut pieces);
        self.pieces = pieces;
    }

    fn json_pieces(&mut self, pieces: &mut Vec<shape::Piece>) {
        for piece in pieces.drain(..) {
            match piece {
                shape::Piece::Value { text, line } => self.json_value(&text, line),
                shape::Piece::Text { text, line } => {
                    if let Some(inner) = shape::silk_unwrapped(&text) {
                        self.problem(
                            line,
                            ProblemKind::Malformed,
                            "not JSON: SilkETW 0.8's `\"event\":{{...}}}` wrapping (its issue \
                             #21); read the value inside"
                                .into(),
                        );
                        self.json_value(inner, line);
                        continue;
                    }
                    if let Some(ev) = self.shaped_event(&text, line) {
                        if !self.stats.module_seen {
                            self.note(&ev);
                        }
                        self.pending.push_back(SourceItem::Event(ev));
                    }
                }
            }
        }
    }

    /// One JSON value (an array: each of its items); a value that does not
    /// parse is reported with its line, and reading goes on after it.
    fn json_value(&mut self, text: &str, line: u64) {
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Array(items)) => {
                for item in items {
                    self.json_event(item, line);
                }
            }
            Ok(value) => self.json_event(value, line),
            Err(e) => self.problem(
                line,
                ProblemKind::Malformed,
                format!(
                    "invalid JSON value ({e}, counted from this line); skipped to the next value"
                ),
            ),
        }
    }

    fn json_event(&mut self, value: serde_json::Value, line: u64) {
        let origin = self.origin(line);
        match jsonl::parse_value(value, origin, self.opts.field.as_deref()) {
            Ok(mut ev) => {
                ev.pid = ev.pid.or(self.opts.pid);
                if ev.host().is_none()
                    && let Some(h) = &self.host
                {
                    ev.context.get_or_insert_default().host = Some(h.clone());
                }
                if !self.stats.module_seen {
                    self.note(&ev);
                }
                self.pending.push_back(SourceItem::Event(ev));
            }
            Err(jsonl::JsonProblem::NotAnEvent(kind)) => {
                if self.stats.own_output == 0 {
                    self.stats.own_first = line;
                }
                self.stats.own_output += 1;
                self.stats.own_kinds.insert(kind);
            }
            Err(e) => self.problem(line, ProblemKind::Malformed, format!("{e}; skipped")),
        }
    }

    /// The event of a DebugView entry. Its message is parsed here, while
    /// the text is in this core's cache (see [`crate::parse::Preparsed`]).
    fn debugview_event(&self, entry: &debugview::Entry<'_>, origin: Origin) -> TraceEvent {
        let mut ev = TraceEvent::new(handoff::text(entry.message), origin);
        ev.time = entry.time;
        ev.pid = entry.pid.or(self.opts.pid);
        ev.preparsed = crate::parse::Preparsed::of(&ev.text);
        if let Some(h) = &self.host {
            ev.set_context(Some(h.clone()), None, None);
        }
        ev
    }

    /// The event of a DebugView++ entry: its absolute time, its process.
    fn dblog_event(&self, entry: &dblog::Entry<'_>, origin: Origin) -> TraceEvent {
        let mut ev = TraceEvent::new(entry.message, origin);
        ev.time = entry.time.or(Some(EventTime::Elapsed(entry.elapsed)));
        ev.pid = Some(entry.pid).filter(|&p| p != 0).or(self.opts.pid);
        ev.set_context(self.host.clone(), None, None);
        if !entry.process.is_empty() {
            ev.context.get_or_insert_default().process = Some(entry.process.to_string());
        }
        ev
    }

    /// The event of a line of DebugViewConsole's output.
    fn console_event(&self, entry: &dblog::ConsoleEntry<'_>, origin: Origin) -> TraceEvent {
        let mut ev = TraceEvent::new(entry.message.trim_end_matches(['\t', '\r']), origin);
        ev.time = entry.time;
        ev.pid = entry.pid.or(self.opts.pid);
        ev.set_context(self.host.clone(), None, None);
        if let Some(p) = entry.process {
            ev.context.get_or_insert_default().process = Some(p.to_string());
        }
        ev
    }

    fn raw_event(&self, text: &str, origin: Origin) -> TraceEvent {
        let (pid, msg) = debugview::split_pid(text);
        let mut ev = TraceEvent::new(msg.trim_end_matches(['\t', '\r']), origin);
        ev.pid = pid.or(self.opts.pid);
        if let Some(h) = &self.host {
            ev.set_context(Some(h.clone()), None, None);
        }
        ev
    }

    /// End of input (`lines` read): an open JSON value, and what is to be
    /// said of the input as a whole.
    fn finish(&mut self, lines: u64, unterminated: bool) {
        if self.json.is_open() {
            let mut pieces = std::mem::take(&mut self.pieces);
            self.json.cut(&mut pieces);
            self.json_pieces(&mut pieces);
        }
        if lines == 0 {
            self.problem(
                1,
                ProblemKind::Empty,
                "empty input: no lines, no module message".into(),
            );
            return;
        }
        if unterminated {
            self.problem(
                lines,
                ProblemKind::PartialLine,
                "the last line has no line end (cut while being written?); read as it is".into(),
            );
        }
        if self.stats.own_output > 0 {
            let kinds: Vec<&str> = self.stats.own_kinds.iter().map(String::as_str).collect();
            let n = self.stats.own_output;
            self.problem(
                self.stats.own_first,
                ProblemKind::OwnOutput,
                format!(
                    "certtrace's own output, not a capture: {n} record{} ({}) not read as \
                     messages; read the capture it was made from",
                    if n == 1 { "" } else { "s" },
                    kinds.join(", ")
                ),
            );
            return;
        }
        if !self.stats.module_seen {
            let detail = self.nothing_found(lines);
            self.problem(lines, ProblemKind::NoModuleMessages, detail);
        }
    }

    /// What to say of an input without a module message.
    fn nothing_found(&self, lines: u64) -> String {
        let format = self.format.unwrap_or(InputFormat::Raw);
        let first = self.stats.first_line.as_deref().unwrap_or("");
        let mut tries = vec![format!(
            "--input-format {} if it is another format",
            match format {
                InputFormat::Debugview => "raw|json|dblog",
                InputFormat::Raw | InputFormat::Auto => "debugview|dblog|json",
                InputFormat::Json => "raw|debugview|dblog",
                InputFormat::Dblog => "raw|debugview|json",
            }
        )];
        if self.stats.undecoded > 0 || self.opts.encoding.is_some() {
            tries.push(format!(
                "--encoding LABEL ({} line{} not valid text here: gbk, shift_jis, windows-1251...)",
                self.stats.undecoded,
                if self.stats.undecoded == 1 { "" } else { "s" }
            ));
        }
        if self.opts.pid.is_none() {
            tries.push("--pid N if its messages have no pid".into());
        }
        format!(
            "no module message in {lines} line{} read as {} (first line: {first:?}); try {}",
            if lines == 1 { "" } else { "s" },
            format.name(),
            tries.join("; ")
        )
    }
}

/// The events of a text capture held in memory, read with the default
/// options (its problems left out): for tests.
#[cfg(test)]
pub(crate) fn events_of(text: &[u8], input: &str) -> Vec<TraceEvent> {
    TextSource::new(text, input.into(), ReadOptions::default())
        .filter_map(|i| match i {
            SourceItem::Event(e) => Some(e),
            SourceItem::Problem(_) => None,
        })
        .collect()
}

impl<R: Read> Iterator for TextSource<R> {
    type Item = SourceItem;

    fn next(&mut self) -> Option<SourceItem> {
        loop {
            if let Some(item) = self.events.pending.pop_front() {
                return Some(item);
            }
            if self.done {
                return None;
            }
            match self.lines.next_line_ref() {
                Ok(Some(line)) => {
                    // The common case first: a clean DebugView entry (as
                    // `handle_line` would read it, without its checks).
                    if line.problem.is_none()
                        && self.events.format == Some(InputFormat::Debugview)
                        && let Some(entry) = debugview::parse_line(&line.text)
                    {
                        let origin = self.events.origin(line.number);
                        let ev = self.events.debugview_event(&entry, origin);
                        if !self.events.stats.module_seen {
                            if self.events.stats.first_line.is_none() {
                                self.events.stats.first_line = Some(shape::shorten(&line.text, 60));
                            }
                            self.events.note(&ev);
                        }
                        return Some(SourceItem::Event(ev));
                    }
                    if self.events.format.is_none() {
                        let line = line.into_owned();
                        if self.events.hold(line) {
                            self.decide();
                        }
                        continue;
                    }
                    let Some(ev) = self.events.handle_line(line) else {
                        continue;
                    };
                    if self.events.pending.is_empty() {
                        return Some(SourceItem::Event(ev));
                    }
                    self.events.pending.push_back(SourceItem::Event(ev));
                }
                Ok(None) => {
                    self.done = true;
                    self.finish();
                }
                Err(e) if e.kind() == io::ErrorKind::TimedOut && self.events.format.is_none() => {
                    // A quiet pipe: decide on the lines that came so far
                    // (none yet: wait on).
                    if !self.events.window.is_empty() {
                        self.decide();
                    }
                }
                Err(e) => {
                    // A read error ends this input, but not the run.
                    self.done = true;
                    let n = self.lines.lines_read() + 1;
                    let kind = if e.kind() == io::ErrorKind::InvalidData {
                        ProblemKind::Corrupt
                    } else {
                        ProblemKind::Unreadable
                    };
                    self.events
                        .problem(n, kind, format!("read error: {e}; rest of input skipped"));
                    self.finish();
                }
            }
        }
    }
}

/// Whether stdin is redirected from a regular file (read in big batches)
/// rather than a pipe or terminal (handled line by line as it arrives).
pub fn stdin_is_regular_file() -> bool {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        let stdin = std::io::stdin();
        if let Ok(fd) = stdin.as_fd().try_clone_to_owned() {
            let f = std::fs::File::from(fd);
            return f.metadata().map(|m| m.is_file()).unwrap_or(false);
        }
        false
    }
    #[cfg(windows)]
    {
        use std::os::windows::io::AsHandle;
        let stdin = std::io::stdin();
        if let Ok(h) = stdin.as_handle().try_clone_to_owned() {
            let f = std::fs::File::from(h);
            return f.metadata().map(|m| m.is_file()).unwrap_or(false);
        }
        false
    }
    #[cfg(not(any(unix, windows)))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(text: &[u8], opts: ReadOptions) -> Vec<SourceItem> {
        TextSource::new(text, "t".into(), opts).collect()
    }

    fn events(text: &[u8]) -> Vec<TraceEvent> {
        events_of(text, "t")
    }

    #[test]
    fn debugview_log_detected() {
        let ev = events(b"00000001\t0.00000000\t[5120] Line: 28 rMsg1638: cnt = 1 URI: x\t\r\n\r\n00000002\t0.1\t[5120] b\t\r\n");
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].pid, Some(5120));
        assert_eq!(ev[0].text, "Line: 28 rMsg1638: cnt = 1 URI: x");
        assert_eq!(ev[1].origin.to_string(), "t:3");
    }

    #[test]
    fn malformed_debugview_line_is_kept_and_reported() {
        let it = items(b"1\t0.1\t[1] a\ngarbage here\n", ReadOptions::default());
        assert_eq!(it.len(), 4);
        assert!(
            matches!(&it[3], SourceItem::Problem(p) if p.kind == ProblemKind::NoModuleMessages),
            "{:?}",
            it[3]
        );
        match &it[1] {
            SourceItem::Problem(p) => {
                assert_eq!(p.kind, ProblemKind::Malformed);
                assert_eq!(p.origin.to_string(), "t:2");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(&it[2], SourceItem::Event(e) if e.text == "garbage here"));
    }

    #[test]
    fn etl_backend_parses_and_defaults_to_portable() {
        use clap::Parser;
        let parse = |args: &[&str]| -> Result<EtlBackend, clap::Error> {
            let cli = crate::cli::Cli::try_parse_from(args)?;
            match cli.command {
                crate::cli::Command::Read(a) | crate::cli::Command::Tail(a) => Ok(a.etl_backend),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(
            parse(&["certtrace", "read", "t.etl"]).unwrap(),
            EtlBackend::Portable
        );
        assert_eq!(
            parse(&["certtrace", "read", "--etl-backend", "ferrisetw", "t.etl"]).unwrap(),
            EtlBackend::Ferrisetw
        );
        assert_eq!(
            parse(&["certtrace", "tail", "--etl-backend=portable", "t.etl"]).unwrap(),
            EtlBackend::Portable
        );
        let e = parse(&["certtrace", "read", "--etl-backend", "tdh"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::InvalidValue);
        assert_eq!(e.exit_code(), 2);
        assert_eq!(ReadOptions::default().etl_backend, EtlBackend::Portable);
    }

    #[test]
    fn etl_backend_availability() {
        assert_eq!(EtlBackend::Portable.check(), Ok(()));
        let ferris = EtlBackend::Ferrisetw.check();
        if cfg!(windows) {
            assert_eq!(ferris, Ok(()));
        } else {
            assert!(ferris.unwrap_err().contains("needs Windows"));
        }
    }

    #[cfg(not(windows))]
    #[test]
    fn ferrisetw_backend_elsewhere_is_an_error_for_etl_files_only() {
        let dir = env!("CARGO_MANIFEST_DIR");
        let etl = format!("{dir}/tests/data/etl/perfview_SelfDescribingSingleEvent.etl");
        let opts = ReadOptions {
            etl_backend: EtlBackend::Ferrisetw,
            ..Default::default()
        };
        let e = open(&etl, &opts).err().expect("an error");
        assert_eq!(e.kind(), io::ErrorKind::Unsupported);
        assert!(e.to_string().contains("needs Windows"), "{e}");
        // Text inputs do not use an .etl backend.
        let text = std::env::temp_dir().join(format!("certtrace-etlb-{}.log", std::process::id()));
        std::fs::write(&text, "Line: 32 rMsg1638: connection is not using SSL\n").unwrap();
        let items: Vec<SourceItem> = open(text.to_str().unwrap(), &opts).unwrap().collect();
        let _ = std::fs::remove_file(&text);
        assert!(matches!(&items[..], [SourceItem::Event(e)] if e.text.contains("not using SSL")));
    }

    #[test]
    fn raw_lines_take_the_given_pid() {
        let it = items(
            b"Line: 32 rMsg1638: connection is not using SSL\n",
            ReadOptions {
                pid: Some(42),
                ..Default::default()
            },
        );
        assert!(matches!(&it[0], SourceItem::Event(e) if e.pid == Some(42)));
    }

    fn problems(it: &[SourceItem]) -> Vec<String> {
        it.iter()
            .filter_map(|i| match i {
                SourceItem::Problem(p) => Some(format!("{} {}", p.origin, p.kind.as_str())),
                SourceItem::Event(_) => None,
            })
            .collect()
    }

    fn texts(it: &[SourceItem]) -> Vec<String> {
        it.iter()
            .filter_map(|i| match i {
                SourceItem::Event(e) => Some(format!("{} {}", e.origin, e.text)),
                SourceItem::Problem(_) => None,
            })
            .collect()
    }

    const START: &str = "Line: 28 rMsg1638: cnt = 1 URI: https://a/";

    #[test]
    fn entries_after_foreign_lines_are_entries() {
        let text = format!(
            "capture started by ops\n{}00000009\t0.5\t[7] {START}\t\n",
            "more notes\n".repeat(3)
        );
        let it = items(text.as_bytes(), ReadOptions::default());
        let ev: Vec<_> = it
            .iter()
            .filter_map(|i| match i {
                SourceItem::Event(e) => Some(e),
                _ => None,
            })
            .collect();
        assert_eq!(ev.len(), 5);
        assert_eq!((ev[4].pid, ev[4].text.as_str()), (Some(7), START));
        assert_eq!(ev[4].time, Some(EventTime::Elapsed(0.5)));
        // Mostly other text: read as raw lines, nothing reported.
        assert_eq!(problems(&it), Vec::<String>::new());
    }

    #[test]
    fn saved_debugview_header_names_the_host_and_time_may_switch() {
        let text = format!(
            "[\\\\WEB01]\r\n00000223\t0.00000000\t[5] {START}\t\r\n00000224\t16:23:14.120\t[5] x\t\r\n"
        );
        let it = items(text.as_bytes(), ReadOptions::default());
        assert_eq!(problems(&it), Vec::<String>::new());
        let ev: Vec<_> = events_of(text.as_bytes(), "t");
        assert_eq!(ev.len(), 2);
        assert!(ev.iter().all(|e| e.host() == Some("WEB01")));
        assert_eq!(ev[1].time.unwrap().to_string(), "16:23:14.120000");
        assert_eq!(ev[1].origin.to_string(), "t:3");
        // --host: for inputs without a header only.
        let opts = ReadOptions {
            host: Some("OTHER".into()),
            ..Default::default()
        };
        let it = items(text.as_bytes(), opts.clone());
        assert!(
            it.iter()
                .all(|i| !matches!(i, SourceItem::Event(e) if e.host() != Some("WEB01")))
        );
        let it = items(format!("{START}\n").as_bytes(), opts);
        assert!(matches!(&it[0], SourceItem::Event(e) if e.host() == Some("OTHER")));
    }

    #[test]
    fn json_values_in_any_layout_and_bad_ones_reported() {
        let text = format!(
            "{{\n  \"type\": \"event\",\n  \"message\": \"{START}\"\n}}\n{{\"event\":{{{{\"a\":1}}}}}}\n{{\"message\":\"b\"}}{{\"message\":\"c\"}}\n"
        );
        let it = items(text.as_bytes(), ReadOptions::default());
        assert_eq!(
            texts(&it),
            [format!("t:1 {START}"), "t:6 b".into(), "t:6 c".into()]
        );
        assert_eq!(problems(&it), ["t:5 malformed"]);
        // SilkETW 0.8's wrapping, an unterminated value, then a good one.
        let text = format!(
            "\"event\":{{{{\"XmlEventData\":{{\"msg\":\"{START}\"}}}}}}\n{{\"message\":\n{{\"message\":\"d\"}}\n"
        );
        let it = items(text.as_bytes(), ReadOptions::default());
        assert_eq!(texts(&it), [format!("t:1 {START}"), "t:3 d".into()]);
        assert_eq!(problems(&it), ["t:1 malformed", "t:2 malformed"]);
    }

    #[test]
    fn certtrace_output_is_said_once() {
        let text = "{\"pid\":1,\"cnt\":1,\"uri\":\"x\",\"outcome\":\"cert_ok\"}\n".repeat(5)
            + "{\"type\":\"summary\",\"requests\":5}\n";
        let it = items(text.as_bytes(), ReadOptions::default());
        assert_eq!(texts(&it), Vec::<String>::new());
        assert_eq!(problems(&it), ["t:1 certtrace_output"]);
        let report = items(
            b"{\"schema_version\":1,\n \"requests\":[],\n \"summary\":{}}\n",
            ReadOptions::default(),
        );
        assert_eq!(problems(&report), ["t:1 certtrace_output"]);
        match &it[0] {
            SourceItem::Problem(p) => assert!(
                p.detail.contains("6 records (summary, truth)"),
                "{}",
                p.detail
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn empty_cut_and_silent_inputs_are_reported() {
        assert_eq!(problems(&items(b"", ReadOptions::default())), ["t:1 empty"]);
        let it = items(
            format!("{START}\n{START}").as_bytes(),
            ReadOptions::default(),
        );
        assert_eq!(problems(&it), ["t:2 partial_line"]);
        assert_eq!(texts(&it).len(), 2);
        let it = items(b"hello\nworld\n", ReadOptions::default());
        assert_eq!(problems(&it), ["t:2 no_module_messages"]);
        match it.last() {
            Some(SourceItem::Problem(p)) => assert!(
                p.detail
                    .contains("2 lines read as raw lines (first line: \"hello\")")
                    && p.detail.contains("--input-format"),
                "{}",
                p.detail
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn dblog_entries_carry_time_and_process() {
        let text = format!(
            "0.000000\t2026/06/23 16:23:14.000\t0\tDebugView++.exe\tFile Identification Header, DebugView++ Format Version 1\n\
             0.250000\t2026/06/23 16:23:14.250\t5120\tw3wp.exe\t{START}\n"
        );
        let ev = events_of(text.as_bytes(), "t");
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].pid, Some(5120));
        assert_eq!(ev[0].process(), Some("w3wp.exe"));
        assert_eq!(
            ev[0].time.unwrap().to_string(),
            "2026-06-23T16:23:14.250000"
        );
        assert_eq!(ev[0].origin.to_string(), "t:2");
    }

    #[test]
    fn encoding_decodes_code_pages() {
        let (gbk, _, _) = encoding_rs::GBK.encode("证书");
        let mut text = b"00000001\t0.1\t[5] ".to_vec();
        text.extend_from_slice(&gbk);
        text.extend_from_slice(b"\t\n");
        let opts = ReadOptions {
            encoding: encoding_rs::Encoding::for_label(b"gbk"),
            ..Default::default()
        };
        let it = items(&text, opts);
        assert_eq!(texts(&it), ["t:1 证书"]);
        assert_eq!(problems(&it), ["t:1 no_module_messages"]);
        // Without it: Windows-1252, reported.
        let it = items(&text, ReadOptions::default());
        assert_eq!(problems(&it), ["t:1 encoding", "t:1 no_module_messages"]);
    }
}
