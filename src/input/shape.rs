//! What a text input looks like: its format decided from a window of its
//! first lines, the DebugView computer-name header, JSON values split out of
//! lines whatever their layout, and stdin read so that the decision can be
//! taken after a quiet time.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, sync_channel};
use std::time::Duration;

use super::lines::{Line, LineProblem};
use super::{InputFormat, dblog, debugview};

/// Non-empty lines the format is decided from.
pub const WINDOW_LINES: usize = 64;
/// Bytes of buffered lines after which the format is decided anyway.
pub const WINDOW_BYTES: usize = 8 << 20;
/// A pipe quiet this long: decide on the lines that came so far.
pub const QUIET: Duration = Duration::from_millis(300);

/// The computer name of DebugView's `[\\NAME]` header line (DebugView
/// writes it first when saving a capture of a named computer).
pub fn host_header(line: &str) -> Option<&str> {
    let t = line.trim();
    let name = t.strip_prefix("[\\\\")?.strip_suffix(']')?;
    let ok = !name.is_empty() && name.len() <= 255 && !name.contains(['\\', '[', ']', '\t', ' ']);
    ok.then_some(name)
}

/// Whether a trimmed line opens a JSON value (`[5120] text`, a raw line
/// with a pid, does not).
pub fn opens_json(t: &str) -> bool {
    if t.starts_with(SILK_WRAPPED) {
        return true;
    }
    let b = t.as_bytes();
    match b.first() {
        Some(b'{') => true,
        Some(b'[') => matches!(
            b.get(1..)
                .and_then(|r| r.iter().find(|c| !c.is_ascii_whitespace())),
            None | Some(b'{' | b'[' | b']' | b'"')
        ),
        _ => false,
    }
}

/// How SilkETW 0.8's release binary began some events (its issue #21):
/// `"event":{{...}}}`, not JSON; the value inside is.
pub const SILK_WRAPPED: &str = "\"event\":{{";

/// The JSON value inside SilkETW 0.8's wrapping.
pub fn silk_unwrapped(t: &str) -> Option<&str> {
    let t = t.trim_end();
    t.strip_prefix(SILK_WRAPPED)
        .and_then(|r| r.strip_suffix('}'))
        .map(|_| &t[SILK_WRAPPED.len() - 1..t.len() - 1])
}

/// Whether a line may be a DebugView or DebugView++ entry (both begin
/// with digits, DebugView's index may have blanks before it): a one-byte
/// test before trying them.
#[inline]
pub fn may_be_entry(line: &str) -> bool {
    matches!(line.as_bytes().first(), Some(b'0'..=b'9' | b' '))
}

/// The format of the window's lines: DebugView (or DebugView++) when at
/// least half are its entries, else JSON when values open there, else raw. Lines of every shape
/// are still read by their own shape afterwards; the format says which
/// lines are reported as not fitting, and whether JSON values may span
/// lines.
pub fn decide(window: &[Line]) -> InputFormat {
    let (mut debugview, mut dblog, mut json, mut lines) = (0usize, 0usize, 0usize, 0usize);
    for line in window {
        if line.problem == Some(LineProblem::Binary) {
            continue;
        }
        let t = line.text.trim();
        if t.is_empty() || host_header(t).is_some() {
            continue;
        }
        lines += 1;
        if may_be_entry(&line.text) {
            if let Some(e) = dblog::parse_line(&line.text) {
                if e.is_header() {
                    return InputFormat::Dblog;
                }
                dblog += 1;
                continue;
            }
            if debugview::parse_line(&line.text).is_some() {
                debugview += 1;
                continue;
            }
        }
        if opens_json(t) {
            json += 1;
        }
    }
    // Entries: when at least half the lines are.
    if dblog > 0 && dblog * 2 >= lines {
        InputFormat::Dblog
    } else if debugview > 0 && debugview * 2 >= lines {
        InputFormat::Debugview
    } else if json > 0 && json >= debugview + dblog {
        InputFormat::Json
    } else {
        InputFormat::Raw
    }
}

/// A line for a message: at most `max` characters, the rest marked `…`.
pub fn shorten(text: &str, max: usize) -> String {
    let t = text.trim();
    match t.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &t[..i]),
        None => t.to_string(),
    }
}

/// What [`JsonValues::feed`] finds in a line.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// The text of one JSON value (complete, or cut at a resync point or the
    /// end of input), and the line it starts on.
    Value { text: String, line: u64 },
    /// Text outside any value: not JSON.
    Text { text: String, line: u64 },
}

/// Splits lines into JSON values, whatever their layout: one a line,
/// pretty-printed over many lines, or back to back. Values are found by
/// their brackets (strings and escapes skipped); a line that begins with
/// `{` (or SilkETW 0.8's wrapping) while a value is still open starts anew
/// (the open one was broken), so one bad value never swallows the rest.
#[derive(Debug, Default)]
pub struct JsonValues {
    text: String,
    start_line: u64,
    depth: u32,
    in_string: bool,
    escaped: bool,
}

impl JsonValues {
    pub fn is_open(&self) -> bool {
        self.depth > 0
    }

    /// The pieces of one line, in order.
    pub fn feed(&mut self, line: &str, number: u64, out: &mut Vec<Piece>) {
        if self.depth > 0 && (line.starts_with('{') || line.starts_with(SILK_WRAPPED)) {
            self.cut(out);
        }
        let b = line.as_bytes();
        let mut i = 0;
        // Where the open value's text starts in this line.
        let mut from = 0;
        while i < b.len() {
            if self.depth == 0 {
                while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b',') {
                    i += 1;
                }
                if i == b.len() {
                    break;
                }
                if !matches!(b[i], b'{' | b'[') || host_header(&line[i..]).is_some() {
                    out.push(Piece::Text {
                        text: line[i..].to_string(),
                        line: number,
                    });
                    return;
                }
                from = i;
                self.start_line = number;
            }
            let c = b[i];
            i += 1;
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if c == b'\\' {
                    self.escaped = true;
                } else if c == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match c {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        self.text.push_str(&line[from..i]);
                        out.push(Piece::Value {
                            text: std::mem::take(&mut self.text),
                            line: self.start_line,
                        });
                    }
                }
                _ => {}
            }
        }
        if self.depth > 0 {
            self.text.push_str(&line[from..]);
            self.text.push('\n');
            // A JSON string never spans lines.
            self.in_string = false;
            self.escaped = false;
        }
    }

    /// Ends the open value as it is (end of input, or a resync point).
    pub fn cut(&mut self, out: &mut Vec<Piece>) {
        if self.depth > 0 {
            out.push(Piece::Value {
                text: std::mem::take(&mut self.text),
                line: self.start_line,
            });
        }
        *self = JsonValues::default();
    }
}

/// A pipe read on its own thread, so that reading it can give up after
/// [`QUIET`] while the format is being decided (`TimedOut`); once decided,
/// reads wait as long as the pipe does.
pub struct QuietPipe {
    rx: Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    at: usize,
    eof: bool,
    deciding: Arc<AtomicBool>,
}

impl QuietPipe {
    pub fn spawn<R: Read + Send + 'static>(mut inner: R, deciding: Arc<AtomicBool>) -> Self {
        let (tx, rx) = sync_channel(4);
        let spawned = std::thread::Builder::new()
            .name("certtrace-stdin".into())
            .spawn(move || {
                loop {
                    let mut buf = vec![0u8; 64 * 1024];
                    let sent = match inner.read(&mut buf) {
                        Ok(n) => {
                            buf.truncate(n);
                            tx.send(Ok(buf)).is_ok() && n > 0
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => true,
                        Err(e) => {
                            let _ = tx.send(Err(e));
                            false
                        }
                    };
                    if !sent {
                        return;
                    }
                }
            });
        if let Err(e) = spawned {
            // No thread: the pipe reads as this error (reported, not lost).
            let (etx, erx) = sync_channel(1);
            let _ = etx.send(Err(e));
            return QuietPipe {
                rx: erx,
                chunk: Vec::new(),
                at: 0,
                eof: false,
                deciding,
            };
        }
        QuietPipe {
            rx,
            chunk: Vec::new(),
            at: 0,
            eof: false,
            deciding,
        }
    }
}

impl Read for QuietPipe {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.at == self.chunk.len() {
            if self.eof {
                return Ok(0);
            }
            let got = if self.deciding.load(Ordering::Relaxed) {
                match self.rx.recv_timeout(QUIET) {
                    Ok(got) => got,
                    Err(RecvTimeoutError::Timeout) => {
                        return Err(io::Error::new(io::ErrorKind::TimedOut, "quiet pipe"));
                    }
                    Err(RecvTimeoutError::Disconnected) => Ok(Vec::new()),
                }
            } else {
                self.rx.recv().unwrap_or_else(|_| Ok(Vec::new()))
            };
            self.chunk = got?;
            self.at = 0;
            if self.chunk.is_empty() {
                self.eof = true;
                return Ok(0);
            }
        }
        let n = out.len().min(self.chunk.len() - self.at);
        out[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(lines: &[&str]) -> Vec<Piece> {
        let mut v = JsonValues::default();
        let mut out = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            v.feed(l, i as u64 + 1, &mut out);
        }
        v.cut(&mut out);
        out
    }

    fn value(text: &str, line: u64) -> Piece {
        Piece::Value {
            text: text.into(),
            line,
        }
    }

    #[test]
    fn values_in_every_layout() {
        assert_eq!(
            pieces(&[r#"{"a":"}{\"x"}"#, r#" {"b":1}{"c":[2]} , [3]"#]),
            [
                value(r#"{"a":"}{\"x"}"#, 1),
                value(r#"{"b":1}"#, 2),
                value(r#"{"c":[2]}"#, 2),
                value("[3]", 2)
            ]
        );
        assert_eq!(
            pieces(&["{", r#"  "a": {"#, "    \"b\": 1", "  }", "}", "{\"c\":2}"]),
            [
                value("{\n  \"a\": {\n    \"b\": 1\n  }\n}", 1),
                value("{\"c\":2}", 6)
            ]
        );
    }

    #[test]
    fn broken_values_do_not_swallow_the_rest() {
        // Unbalanced: cut where the next line opens a value.
        assert_eq!(
            pieces(&["[\\\\WEB01]", "[1]"]),
            [
                Piece::Text {
                    text: "[\\\\WEB01]".into(),
                    line: 1
                },
                value("[1]", 2)
            ]
        );
        assert_eq!(
            pieces(&[r#"{"event":{{"a":1}}"#, r#"{"b":2}"#]),
            [value("{\"event\":{{\"a\":1}}\n", 1), value(r#"{"b":2}"#, 2)]
        );
        // Text outside values, and an unterminated value at the end.
        assert_eq!(
            pieces(&["junk {", r#"{"a":1}}"#, "{\"x\":"]),
            [
                Piece::Text {
                    text: "junk {".into(),
                    line: 1
                },
                value(r#"{"a":1}"#, 2),
                Piece::Text {
                    text: "}".into(),
                    line: 2
                },
                value("{\"x\":\n", 3)
            ]
        );
    }

    #[test]
    fn headers_and_json_openers() {
        assert_eq!(host_header("[\\\\WEB01]\r"), Some("WEB01"));
        assert_eq!(host_header("[\\\\ADMIN-PC]"), Some("ADMIN-PC"));
        assert_eq!(host_header("[\\\\]"), None);
        assert_eq!(host_header("[5120] x"), None);
        assert!(opens_json("{\"a\":1}"));
        assert_eq!(
            silk_unwrapped("\"event\":{{\"a\":{\"b\":1}}} "),
            Some("{\"a\":{\"b\":1}}")
        );
        assert_eq!(silk_unwrapped("\"event\":{\"a\":1}"), None);
        assert!(opens_json("[{\"a\":1}]"));
        assert!(opens_json("["));
        assert!(!opens_json("[5120] Line: 28 rMsg1638: x"));
        assert!(!opens_json("Line: 28"));
        assert_eq!(shorten("  abcdef ", 3), "abc…");
        assert_eq!(shorten("ab", 3), "ab");
    }
}
