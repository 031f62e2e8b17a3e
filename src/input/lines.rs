//! Text inputs as lines: encoding detection (UTF-8, ANSI code page 1252,
//! UTF-16LE/BE with a BOM), CRLF/LF, a cap on line length, and problems
//! reported with the line number instead of failing.

use std::borrow::Cow;
use std::io::{self, Read};

/// Longest line kept whole. Longer lines are cut here (the rest is skipped and
/// its length reported): no module message comes near this.
pub const MAX_LINE: usize = 1 << 20;

const CHUNK: usize = 256 * 1024;

/// One decoded line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// 1-based line number.
    pub number: u64,
    pub text: String,
    /// What was wrong with the line's bytes, if anything (the text is still
    /// the best decoding of them).
    pub problem: Option<LineProblem>,
}

/// One decoded line, borrowed from the reader's buffer when its bytes were
/// valid UTF-8 (the common case: no copy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRef<'a> {
    /// 1-based line number.
    pub number: u64,
    pub text: Cow<'a, str>,
    pub problem: Option<LineProblem>,
}

impl From<Line> for LineRef<'_> {
    fn from(line: Line) -> Self {
        LineRef {
            number: line.number,
            text: Cow::Owned(line.text),
            problem: line.problem,
        }
    }
}

impl LineRef<'_> {
    pub fn into_owned(self) -> Line {
        Line {
            number: self.number,
            text: self.text.into_owned(),
            problem: self.problem,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineProblem {
    /// Not valid UTF-8: decoded as Windows-1252 (ANSI), which maps every byte.
    NotUtf8,
    /// Invalid UTF-16 (unpaired surrogate, odd trailing byte): replaced by U+FFFD.
    BadUtf16 { replaced: usize },
    /// Longer than [`MAX_LINE`]: cut, `total` bytes in all.
    TooLong { total: u64 },
    /// Contains NUL bytes (binary data?).
    Binary,
    /// Not valid in the encoding given with `--encoding`: those bytes
    /// replaced by U+FFFD.
    Undecodable { encoding: &'static str },
}

impl std::fmt::Display for LineProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LineProblem::NotUtf8 => write!(f, "not valid UTF-8; decoded as Windows-1252 (ANSI)"),
            LineProblem::BadUtf16 { replaced } => {
                write!(
                    f,
                    "invalid UTF-16: {replaced} code unit(s) replaced by U+FFFD"
                )
            }
            LineProblem::TooLong { total } => write!(
                f,
                "line of {total} bytes is longer than {MAX_LINE}; kept its first {MAX_LINE} bytes"
            ),
            LineProblem::Binary => write!(f, "line contains NUL bytes (binary data?)"),
            LineProblem::Undecodable { encoding } => {
                write!(f, "bytes not valid in {encoding}; replaced by U+FFFD")
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Unknown,
    Utf8,
    Utf16Le,
    Utf16Be,
}

/// Splits a byte stream into decoded lines, streaming: a line is returned as
/// soon as its terminator has been read (or at end of input).
pub struct LineReader<R> {
    inner: R,
    /// Read room: the input's bytes are `room[start..end]`; past `end` it
    /// holds bytes of earlier reads (kept initialized, so a read does not
    /// zero its room first).
    room: Vec<u8>,
    end: usize,
    start: usize,
    eof: bool,
    encoding: Encoding,
    number: u64,
    /// `room[..clean_end]` ends with a newline, and its lines from `start`
    /// on are valid UTF-8 without NUL bytes: checked once for the span, so
    /// not again line by line.
    clean_end: usize,
    /// `room[..checked_end]` has been tried as such a span (lines up to
    /// there that are not known clean are checked one by one).
    checked_end: usize,
    /// The code page of `--encoding`: lines that are not ASCII are decoded
    /// with it (default: UTF-8, else Windows-1252).
    ansi: Option<&'static encoding_rs::Encoding>,
    /// The last line returned ended without a line end.
    unterminated: bool,
    /// A UTF-16 line being read (kept across a read that gave up).
    units: Vec<u16>,
    units_total: u64,
}

impl<R: Read> LineReader<R> {
    pub fn new(inner: R) -> Self {
        Self::with_encoding(inner, None)
    }

    /// A reader that decodes text that is not UTF-8 or UTF-16 (no BOM) with
    /// `ansi` (UTF-16 and UTF-8 labels choose those).
    pub fn with_encoding(inner: R, ansi: Option<&'static encoding_rs::Encoding>) -> Self {
        let encoding = match ansi {
            Some(e) if e == encoding_rs::UTF_16LE => Encoding::Utf16Le,
            Some(e) if e == encoding_rs::UTF_16BE => Encoding::Utf16Be,
            _ => Encoding::Unknown,
        };
        let ansi = ansi.filter(|e| {
            *e != encoding_rs::UTF_8 && *e != encoding_rs::UTF_16LE && *e != encoding_rs::UTF_16BE
        });
        LineReader {
            inner,
            room: Vec::new(),
            end: 0,
            start: 0,
            eof: false,
            encoding,
            number: 0,
            clean_end: 0,
            checked_end: 0,
            ansi,
            unterminated: false,
            units: Vec::new(),
            units_total: 0,
        }
    }

    /// Whether the last line read had no line end (the input ended in it).
    pub fn last_line_unterminated(&self) -> bool {
        self.unterminated
    }

    /// How many lines have been returned so far.
    pub fn lines_read(&self) -> u64 {
        self.number
    }

    /// Reads more bytes; `Ok(false)` at end of input.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.start > 0 && self.start == self.end {
            self.start = 0;
            self.end = 0;
            self.clean_end = 0;
            self.checked_end = 0;
        } else if self.start > CHUNK {
            self.room.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.clean_end = self.clean_end.saturating_sub(self.start);
            self.checked_end = self.checked_end.saturating_sub(self.start);
            self.start = 0;
        }
        let old = self.end;
        if self.room.len() < old + CHUNK {
            self.room.resize(old + CHUNK, 0);
        }
        // The read may block (a pipe, a terminal): let the pipeline take
        // what was read so far first.
        super::handoff::input_may_block();
        let n = loop {
            match self.inner.read(&mut self.room[old..old + CHUNK]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        self.end = old + n;
        if n == 0 {
            self.eof = true;
        }
        Ok(n > 0)
    }

    /// The bytes read and not yet taken as lines, and those before them.
    fn buf(&self) -> &[u8] {
        &self.room[..self.end]
    }

    /// [`Self::fill`], waiting through a read that gave up (`TimedOut`),
    /// for callers that hold part of a line.
    fn fill_waiting(&mut self) -> io::Result<bool> {
        loop {
            match self.fill() {
                Err(e) if e.kind() == io::ErrorKind::TimedOut => continue,
                other => return other,
            }
        }
    }

    fn detect_encoding(&mut self) -> io::Result<()> {
        while self.end - self.start < 4 && self.fill()? {}
        let head = &self.buf()[self.start..];
        self.encoding = if head.starts_with(&[0xFF, 0xFE]) {
            self.start += 2;
            Encoding::Utf16Le
        } else if head.starts_with(&[0xFE, 0xFF]) {
            self.start += 2;
            Encoding::Utf16Be
        } else if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
            self.start += 3;
            Encoding::Utf8
        } else if head.len() >= 4 && head[1] == 0 && head[3] == 0 && head[0] != 0 && head[2] != 0 {
            // UTF-16LE without a BOM (ASCII text with every other byte NUL).
            Encoding::Utf16Le
        } else {
            Encoding::Utf8
        };
        Ok(())
    }

    /// The next line, `None` at end of input.
    pub fn next_line(&mut self) -> io::Result<Option<Line>> {
        Ok(self.next_line_ref()?.map(LineRef::into_owned))
    }

    /// The next line, borrowed from the buffer when it can be.
    pub fn next_line_ref(&mut self) -> io::Result<Option<LineRef<'_>>> {
        if self.encoding == Encoding::Unknown {
            self.detect_encoding()?;
        }
        match self.encoding {
            Encoding::Utf16Le | Encoding::Utf16Be => Ok(self.next_line_utf16()?.map(|l| LineRef {
                number: l.number,
                text: Cow::Owned(l.text),
                problem: l.problem,
            })),
            _ => self.next_line_bytes(),
        }
    }

    fn next_line_bytes(&mut self) -> io::Result<Option<LineRef<'_>>> {
        // Bytes of the pending line already searched for a newline (relative
        // to `self.start`, which `fill` may move).
        let mut searched = 0;
        loop {
            let search_from = self.start + searched;
            if let Some(i) = memchr::memchr(b'\n', &self.buf()[search_from..]) {
                let end = search_from + i;
                let begin = std::mem::replace(&mut self.start, end + 1);
                return Ok(Some(self.bytes_line(begin, end)));
            }
            searched = self.end - self.start;
            if searched > MAX_LINE {
                // Keep the first MAX_LINE bytes, skip the rest of the line.
                let keep_end = self.start + MAX_LINE;
                let mut total = (self.end - self.start) as u64;
                let kept = self.room[self.start..keep_end].to_vec();
                self.end = self.start;
                self.clean_end = self.clean_end.min(self.start);
                self.checked_end = self.checked_end.min(self.start);
                loop {
                    if !self.fill_waiting()? {
                        break;
                    }
                    if let Some(i) = memchr::memchr(b'\n', &self.buf()[self.start..]) {
                        total += i as u64;
                        self.start += i + 1;
                        break;
                    }
                    total += (self.end - self.start) as u64;
                    self.end = self.start;
                }
                self.number += 1;
                let text = decode_bytes_in(&kept, self.ansi).0.into_owned();
                return Ok(Some(LineRef {
                    number: self.number,
                    text: Cow::Owned(text),
                    problem: Some(LineProblem::TooLong { total }),
                }));
            }
            if !self.fill()? {
                if self.start < self.end {
                    let end = self.end;
                    let begin = std::mem::replace(&mut self.start, end);
                    self.unterminated = true;
                    return Ok(Some(self.bytes_line(begin, end)));
                }
                return Ok(None);
            }
        }
    }

    /// The line in `room[begin..end]` (without its `\n`).
    fn bytes_line(&mut self, begin: usize, end: usize) -> LineRef<'_> {
        self.number += 1;
        if end >= self.checked_end {
            self.check_span(begin, end);
        }
        let clean = end < self.clean_end;
        let bytes = &self.room[begin..end];
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        let (text, problem) = if clean {
            debug_assert!(std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0));
            // SAFETY: `bytes` lies in `room[..clean_end]` and ends at a line
            // end, which `check_span` found to be valid UTF-8 as a whole;
            // a valid UTF-8 text split at ASCII bytes (`\n`, `\r`) gives
            // valid UTF-8 pieces.
            (
                Cow::Borrowed(unsafe { std::str::from_utf8_unchecked(bytes) }),
                None,
            )
        } else {
            decode_bytes_in(bytes, self.ansi)
        };
        LineRef {
            number: self.number,
            text,
            problem,
        }
    }

    /// Checks the complete lines in the buffer from the one in
    /// `room[begin..line_end]` on as one span (valid UTF-8, no NUL): the
    /// common case of a clean capture then costs one pass per read, not one
    /// per line.
    fn check_span(&mut self, begin: usize, line_end: usize) {
        let span_end = match memchr::memrchr(b'\n', &self.buf()[begin..]) {
            Some(i) => begin + i + 1,
            None => line_end + 1,
        }
        .max(line_end + 1)
        .min(self.end);
        self.checked_end = span_end;
        let span = &self.room[begin..span_end];
        let text = match self.ansi {
            // Another code page: only ASCII reads the same.
            Some(_) => span.is_ascii(),
            None => std::str::from_utf8(span).is_ok(),
        };
        if text && memchr::memchr(0, span).is_none() {
            self.clean_end = span_end;
        }
    }

    fn next_line_utf16(&mut self) -> io::Result<Option<Line>> {
        let le = self.encoding == Encoding::Utf16Le;
        let unit_at = |b: &[u8], i: usize| {
            if le {
                u16::from_le_bytes([b[i], b[i + 1]])
            } else {
                u16::from_be_bytes([b[i], b[i + 1]])
            }
        };
        loop {
            let avail = self.end - self.start;
            if avail < 2 {
                // A read that gives up (`TimedOut`) leaves the line held.
                if !self.fill()? {
                    // Odd trailing byte: a truncated code unit.
                    let truncated = self.end - self.start == 1;
                    let mut units = std::mem::take(&mut self.units);
                    let mut total = std::mem::take(&mut self.units_total);
                    if truncated {
                        self.start += 1;
                        units.push(0xFFFD);
                        total += 1;
                    }
                    if units.is_empty() && total == 0 {
                        return Ok(None);
                    }
                    self.unterminated = true;
                    return Ok(Some(self.finish_utf16(units, total, truncated)));
                }
                continue;
            }
            let u = unit_at(self.buf(), self.start);
            self.start += 2;
            if u == u16::from(b'\n') {
                let units = std::mem::take(&mut self.units);
                let total = std::mem::take(&mut self.units_total);
                return Ok(Some(self.finish_utf16(units, total, false)));
            }
            self.units_total += 2;
            if self.units.len() < MAX_LINE / 2 {
                self.units.push(u);
            }
        }
    }

    /// The line of `units`; `truncated`: its last unit was an odd trailing
    /// byte (already a U+FFFD in `units`, counted as replaced).
    fn finish_utf16(&mut self, units: Vec<u16>, total: u64, truncated: bool) -> Line {
        self.number += 1;
        let (text, problem) = decode_utf16_units(units, truncated);
        let problem = if total > MAX_LINE as u64 {
            Some(LineProblem::TooLong { total })
        } else {
            problem
        };
        Line {
            number: self.number,
            text,
            problem,
        }
    }
}

/// The UTF-16 code units of one line as text, a final CR dropped; unpaired
/// surrogates become U+FFFD. `truncated`: the input ended in an odd byte,
/// already a U+FFFD at the end of `units`, counted as replaced.
pub fn decode_utf16_units(mut units: Vec<u16>, truncated: bool) -> (String, Option<LineProblem>) {
    if units.last() == Some(&u16::from(b'\r')) {
        units.pop();
    }
    let mut replaced = usize::from(truncated);
    let text: String = char::decode_utf16(units)
        .map(|r| {
            r.unwrap_or_else(|_| {
                replaced += 1;
                '\u{FFFD}'
            })
        })
        .collect();
    let problem = if replaced > 0 {
        Some(LineProblem::BadUtf16 { replaced })
    } else if text.contains('\0') {
        Some(LineProblem::Binary)
    } else {
        None
    };
    (text, problem)
}

/// UTF-8 when valid, else Windows-1252 (every byte maps to a character).
pub fn decode_bytes(bytes: &[u8]) -> (String, Option<LineProblem>) {
    let (text, problem) = decode_bytes_ref(bytes);
    (text.into_owned(), problem)
}

/// The text of a line's bytes: in `ansi` when given (ASCII and UTF-8 BOM-less
/// text aside), else as [`decode_bytes_ref`].
pub fn decode_bytes_in<'a>(
    bytes: &'a [u8],
    ansi: Option<&'static encoding_rs::Encoding>,
) -> (Cow<'a, str>, Option<LineProblem>) {
    let Some(enc) = ansi else {
        return decode_bytes_ref(bytes);
    };
    let (text, had_errors) = enc.decode_without_bom_handling(bytes);
    let problem = if memchr::memchr(0, bytes).is_some() {
        Some(LineProblem::Binary)
    } else if had_errors {
        Some(LineProblem::Undecodable {
            encoding: enc.name(),
        })
    } else {
        None
    };
    (text, problem)
}

/// [`decode_bytes`], borrowing valid UTF-8.
pub fn decode_bytes_ref(bytes: &[u8]) -> (Cow<'_, str>, Option<LineProblem>) {
    match std::str::from_utf8(bytes) {
        Ok(s) => {
            let problem = memchr::memchr(0, bytes).map(|_| LineProblem::Binary);
            (Cow::Borrowed(s), problem)
        }
        Err(_) => (
            Cow::Owned(bytes.iter().map(|&b| cp1252(b)).collect()),
            Some(if memchr::memchr(0, bytes).is_some() {
                LineProblem::Binary
            } else {
                LineProblem::NotUtf8
            }),
        ),
    }
}

/// Windows-1252 byte to character (undefined bytes map to C1 controls, as
/// Windows' MultiByteToWideChar does).
pub fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '\u{20AC}', '\u{81}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}',
        '\u{2021}', '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{8D}',
        '\u{017D}', '\u{8F}', '\u{90}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}',
        '\u{2013}', '\u{2014}', '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}',
        '\u{9D}', '\u{017E}', '\u{0178}',
    ];
    match b {
        0x80..=0x9F => HIGH[(b - 0x80) as usize],
        _ => b as char,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(bytes: &[u8]) -> Vec<Line> {
        let mut r = LineReader::new(bytes);
        let mut out = Vec::new();
        while let Some(l) = r.next_line().unwrap() {
            out.push(l);
        }
        out
    }

    #[test]
    fn crlf_lf_and_no_final_newline() {
        let l = lines(b"a\r\nb\nc");
        let texts: Vec<_> = l.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["a", "b", "c"]);
        assert_eq!(l[2].number, 3);
        assert!(lines(b"").is_empty());
    }

    #[test]
    fn ansi_fallback_is_flagged() {
        let l = lines(b"caf\xe9\n\x80x\n");
        assert_eq!(l[0].text, "café");
        assert_eq!(l[0].problem, Some(LineProblem::NotUtf8));
        assert_eq!(l[1].text, "€x");
    }

    #[test]
    fn utf8_bom_is_skipped() {
        assert_eq!(lines(b"\xEF\xBB\xBFhi\n")[0].text, "hi");
    }

    #[test]
    fn utf16le_with_bom_and_bad_surrogate() {
        let mut b = vec![0xFF, 0xFE];
        for u in "ab\r\nc".encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        b.extend_from_slice(&0xD800u16.to_le_bytes());
        b.extend_from_slice(&u16::from(b'\n').to_le_bytes());
        b.push(b'x'); // odd trailing byte
        let l = lines(&b);
        assert_eq!(l[0].text, "ab");
        assert_eq!(l[1].text, "c\u{FFFD}");
        assert_eq!(l[1].problem, Some(LineProblem::BadUtf16 { replaced: 1 }));
        assert_eq!(l[2].text, "\u{FFFD}");
    }

    #[test]
    fn utf16be_with_bom() {
        let mut b = vec![0xFE, 0xFF];
        for u in "x\ny".encode_utf16() {
            b.extend_from_slice(&u.to_be_bytes());
        }
        let texts: Vec<_> = lines(&b).into_iter().map(|l| l.text).collect();
        assert_eq!(texts, ["x", "y"]);
    }

    #[test]
    fn utf16_truncated_last_unit_is_reported() {
        let mut b = vec![0xFF, 0xFE];
        for u in "ab\ncd".encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        b.push(b'e');
        let got = lines(&b);
        assert_eq!(got[0].problem, None);
        assert_eq!(got[1].text, "cd\u{FFFD}");
        assert_eq!(got[1].problem, Some(LineProblem::BadUtf16 { replaced: 1 }));
    }

    #[test]
    fn overlong_line_is_cut_and_reading_goes_on() {
        let mut b = vec![b'x'; MAX_LINE * 3 + 17];
        b.extend_from_slice(b"\nnext\n");
        let l = lines(&b);
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].text.len(), MAX_LINE);
        assert_eq!(
            l[0].problem,
            Some(LineProblem::TooLong {
                total: (MAX_LINE * 3 + 17) as u64
            })
        );
        assert_eq!(l[1].text, "next");
        assert_eq!(l[1].number, 2);
    }

    #[test]
    fn lines_spanning_chunks() {
        let mut b = Vec::new();
        for i in 0..100_000 {
            b.extend_from_slice(format!("line {i}\r\n").as_bytes());
        }
        let l = lines(&b);
        assert_eq!(l.len(), 100_000);
        assert_eq!(l[99_999].text, "line 99999");
        assert!(l.iter().all(|l| l.problem.is_none()));

        // Bad lines here and there, across buffer refills and compactions.
        let mut b = Vec::new();
        for i in 0..100_000 {
            b.extend_from_slice(format!("line {i}").as_bytes());
            match i % 997 {
                3 => b.push(0x80),
                5 => b.push(0),
                _ => {}
            }
            b.push(b'\n');
        }
        let l = lines(&b);
        assert_eq!(l.len(), 100_000);
        for (i, line) in l.iter().enumerate() {
            let want = match i % 997 {
                3 => Some(LineProblem::NotUtf8),
                5 => Some(LineProblem::Binary),
                _ => None,
            };
            assert_eq!(line.problem, want, "line {i}");
        }
        assert_eq!(l[3].text, "line 3\u{20ac}");
    }

    use proptest::strategy::Strategy as _;

    /// Reads in pieces of the given sizes (cycled), as a pipe would.
    struct Pieces<'a> {
        data: &'a [u8],
        sizes: Vec<usize>,
        next: usize,
    }

    impl Read for Pieces<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let want = self.sizes[self.next % self.sizes.len()].max(1);
            self.next += 1;
            let n = want.min(out.len()).min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    proptest::proptest! {
        /// Lines checked as spans of the buffer decode exactly as lines
        /// checked one by one, wherever the reads split them and whatever
        /// bad bytes (invalid UTF-8, NUL) some lines hold.
        #[test]
        fn span_checks_equal_line_checks(
            lines_in in proptest::collection::vec(
                proptest::prop_oneof![
                    "[ -~]{0,30}".prop_map(String::into_bytes),
                    "[ -~é€😀]{0,12}".prop_map(String::into_bytes),
                    proptest::collection::vec(proptest::num::u8::ANY, 0..12),
                ],
                0..60,
            ),
            crlf in proptest::collection::vec(proptest::bool::ANY, 60),
            final_newline in proptest::bool::ANY,
            sizes in proptest::collection::vec(1usize..300, 1..5),
        ) {
            let mut data = Vec::new();
            for (i, l) in lines_in.iter().enumerate() {
                // A line's own bytes hold no newline (it would split it).
                data.extend(l.iter().copied().filter(|&b| b != b'\n'));
                if i + 1 < lines_in.len() || final_newline {
                    data.extend_from_slice(if crlf[i] { b"\r\n" } else { b"\n" });
                }
            }
            // Skip inputs that would be taken for UTF-16 or carry a BOM.
            proptest::prop_assume!(!(data.len() >= 2 && (data[..2] == [0xFF, 0xFE] || data[..2] == [0xFE, 0xFF])));
            proptest::prop_assume!(!data.starts_with(&[0xEF, 0xBB, 0xBF]));
            proptest::prop_assume!(!(data.len() >= 4 && data[1] == 0 && data[3] == 0 && data[0] != 0 && data[2] != 0));
            let mut r = LineReader::new(Pieces { data: &data, sizes, next: 0 });
            let mut got = Vec::new();
            while let Some(l) = r.next_line().unwrap() {
                got.push((l.text, l.problem));
            }
            let mut want = Vec::new();
            if !data.is_empty() {
                let body = data.strip_suffix(b"\n").unwrap_or(&data);
                for line in body.split(|&b| b == b'\n') {
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    want.push(decode_bytes(line));
                }
            }
            proptest::prop_assert_eq!(got, want);
        }
    }
}
