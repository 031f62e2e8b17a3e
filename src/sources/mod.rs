//! Sources: one module per input kind, each yielding normalized
//! [`TraceEvent`]s and the [`InputProblem`]s met on the way.
//!
//! `certtrace read` inputs are auto-detected per file: DebugView logs
//! ([`debugview`]), JSON lines ([`jsonl`]), raw message lines, in UTF-8, ANSI
//! (Windows-1252) or UTF-16 ([`lines`]). [`follow`] follows growing files
//! (`read -f`, `tail`) and yields the same items as lines are appended.

pub mod debugview;
#[cfg(windows)]
pub mod etl_ferrisetw;
pub mod follow;
pub mod handoff;
pub mod jsonl;
pub mod lines;
pub mod merge;

use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::{self, Read};

use crate::event::{InputName, Origin, Position, TraceEvent};
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
    /// truncation (never parsed half).
    PartialLine,
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
            ProblemKind::EventsLost => "events_lost",
        }
    }
}

/// The format of an input, auto-detected unless named with `--input-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// Detect from the first line (or the first bytes for binary formats).
    Auto,
    /// DebugView log: `index<TAB>time<TAB>[pid] message`.
    Debugview,
    /// One message per line, nothing else.
    Raw,
    /// JSON lines: certtrace events, SilkETW or Sealighter output.
    Json,
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
    pub provider: Option<crate::provider::ProviderSpec>,
    /// Reader for `.etl` files.
    pub etl_backend: EtlBackend,
}

/// A boxed stream of source items.
pub type ItemStream = Box<dyn Iterator<Item = SourceItem> + Send>;

/// Opens a named input (`-` is stdin) as a stream of items: an `.etl` file
/// (sniffed from its first bytes) or text. An input that cannot be opened is
/// an error naming it.
pub fn open(name: &str, opts: &ReadOptions) -> io::Result<ItemStream> {
    let mut reader: Box<dyn Read + Send> = if name == "-" {
        Box::new(io::stdin())
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
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        n += got;
        if got == 0 || name == "-" {
            break;
        }
    }
    head.truncate(n);
    let input: InputName = name.into();
    let forced_text = opts.format.is_some_and(|f| f != InputFormat::Auto);
    let is_etl = !forced_text && crate::etl::is_etl(&head);
    let reader = io::Cursor::new(head).chain(reader);
    if is_etl {
        let eopts = crate::etl::EtlOptions {
            provider: opts.provider.clone(),
            field: opts.field.clone(),
            ansi: None,
        };
        if opts.etl_backend == EtlBackend::Ferrisetw {
            drop(reader);
            return ferrisetw_etl(name, eopts);
        }
        return Ok(Box::new(etl_items(
            crate::etl::EtlEvents::new(reader, input, eopts),
            input,
        )));
    }
    Ok(Box::new(TextSource::new(reader, input, opts.clone())))
}

/// An `.etl` file through ferrisetw's `FileTrace`, which reads by path.
#[cfg(windows)]
fn ferrisetw_etl(name: &str, eopts: crate::etl::EtlOptions) -> io::Result<ItemStream> {
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
fn ferrisetw_etl(_name: &str, _eopts: crate::etl::EtlOptions) -> io::Result<ItemStream> {
    let why = EtlBackend::Ferrisetw.check().err().unwrap_or_default();
    Err(io::Error::new(io::ErrorKind::Unsupported, why))
}

/// Bytes needed to recognise an `.etl` file.
const ETL_SNIFF: usize = 0x50;

/// `.etl` events as source items: an issue with the file becomes a problem
/// naming its byte offset.
fn etl_items<R: Read + Send + 'static>(
    events: crate::etl::EtlEvents<R>,
    input: InputName,
) -> impl Iterator<Item = SourceItem> + Send {
    events.map(move |item| match item {
        Ok(ev) => SourceItem::Event(ev),
        Err(issue) => SourceItem::Problem(InputProblem {
            origin: Origin {
                input,
                position: Position::Offset(issue.offset().unwrap_or(0)),
            },
            kind: ProblemKind::Corrupt,
            detail: issue.to_string(),
        }),
    })
}

/// Reads lines of a text input and turns them into events.
pub struct TextSource<R> {
    lines: LineReader<R>,
    events: LineEvents,
    done: bool,
}

/// Turns the lines of one text input into items (the format is detected
/// on the first non-empty line unless given).
struct LineEvents {
    input: InputName,
    opts: ReadOptions,
    format: Option<InputFormat>,
    /// Items waiting to go out (a line's problem goes before its event).
    pending: VecDeque<SourceItem>,
}

impl<R: Read> TextSource<R> {
    pub fn new(reader: R, input: InputName, opts: ReadOptions) -> Self {
        let format = opts.format.filter(|f| *f != InputFormat::Auto);
        TextSource {
            lines: LineReader::new(reader),
            events: LineEvents {
                input,
                opts,
                format,
                pending: VecDeque::new(),
            },
            done: false,
        }
    }

    /// For sources that split lines themselves (following a growing file):
    /// the items of one line.
    pub fn push_line(&mut self, line: Line) -> std::collections::vec_deque::Drain<'_, SourceItem> {
        let line = LineRef {
            number: line.number,
            text: line.text.into(),
            problem: line.problem,
        };
        if let Some(ev) = self.events.handle_line(line) {
            self.events.pending.push_back(SourceItem::Event(ev));
        }
        self.events.pending.drain(..)
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

    /// The event of one line (none for a blank line); problems go to
    /// `pending`.
    fn handle_line(&mut self, line: LineRef<'_>) -> Option<TraceEvent> {
        if let Some(p) = &line.problem {
            let kind = match p {
                lines::LineProblem::NotUtf8 | lines::LineProblem::BadUtf16 { .. } => {
                    ProblemKind::Encoding
                }
                lines::LineProblem::TooLong { .. } => ProblemKind::LineTooLong,
                lines::LineProblem::Binary => ProblemKind::Binary,
            };
            self.problem(line.number, kind, p.to_string());
        }
        let text: &str = &line.text;
        if crate::event::trim(text).is_empty() {
            return None;
        }
        // Binary garbage says nothing about the format: decide on the next line.
        let format = if self.format.is_none() && line.problem == Some(lines::LineProblem::Binary) {
            InputFormat::Raw
        } else {
            *self.format.get_or_insert_with(|| detect(text))
        };
        let origin = self.origin(line.number);
        Some(match format {
            InputFormat::Debugview => match debugview::parse_line(text) {
                Some(entry) => self.debugview_event(&entry, origin),
                None => {
                    self.problem(
                        line.number,
                        ProblemKind::Malformed,
                        "not a DebugView entry (index<TAB>time<TAB>message); kept as a raw message"
                            .into(),
                    );
                    self.raw_event(text, origin)
                }
            },
            InputFormat::Json => {
                match jsonl::parse_line(text, origin, self.opts.field.as_deref()) {
                    Ok(mut ev) => {
                        ev.pid = ev.pid.or(self.opts.pid);
                        ev
                    }
                    Err(e) => {
                        self.problem(
                            line.number,
                            ProblemKind::Malformed,
                            format!("{e}; kept as a raw message"),
                        );
                        self.raw_event(text, origin)
                    }
                }
            }
            InputFormat::Raw | InputFormat::Auto => self.raw_event(text, origin),
        })
    }

    /// The event of a DebugView entry. Its message is parsed here, while
    /// the text is in this core's cache (see [`crate::parse::Preparsed`]).
    fn debugview_event(&self, entry: &debugview::Entry<'_>, origin: Origin) -> TraceEvent {
        let mut ev = TraceEvent::new(handoff::text(entry.message), origin);
        ev.time = entry.time;
        ev.pid = entry.pid.or(self.opts.pid);
        ev.preparsed = crate::parse::Preparsed::of(&ev.text);
        ev
    }

    fn raw_event(&self, text: &str, origin: Origin) -> TraceEvent {
        let (pid, msg) = debugview::split_pid(text);
        let mut ev = TraceEvent::new(msg.trim_end_matches(['\t', '\r']), origin);
        ev.pid = pid.or(self.opts.pid);
        ev
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

/// The format of a text input, from its first non-empty line.
pub fn detect(first_line: &str) -> InputFormat {
    if debugview::parse_line(first_line).is_some() {
        InputFormat::Debugview
    } else if first_line.trim_start().starts_with('{') {
        InputFormat::Json
    } else {
        InputFormat::Raw
    }
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
                        return Some(SourceItem::Event(
                            self.events.debugview_event(&entry, origin),
                        ));
                    }
                    let Some(ev) = self.events.handle_line(line) else {
                        continue;
                    };
                    if self.events.pending.is_empty() {
                        return Some(SourceItem::Event(ev));
                    }
                    self.events.pending.push_back(SourceItem::Event(ev));
                }
                Ok(None) => self.done = true,
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
                }
            }
        }
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
        assert_eq!(it.len(), 3);
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
}
