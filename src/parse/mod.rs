//! The module's message grammar: raw message text into a typed [`Message`].
//!
//! Prefixes (`I7traceErr.h` and sibling builds):
//! `Line: <n> rMsg1638: <body>`, `Line: <n> rMsg: <body>`,
//! `Line: <n> Fun: <function> rMsg: <body>`, and the `CHK_HR_LOG` form
//! `rMsg1638 FAILURE at : <n> HR = <hex>      <text>`. A body may end with the
//! `TRC_MSG_FULL` suffix ` FILE = <path> Build <__TIMESTAMP__>`.
//!
//! Text that is not the module's is [`Message::Foreign`]; module text with an
//! unknown body is [`Message::UnknownModule`]. Nothing is dropped.

pub mod hresult;
pub mod text;

use crate::parse::hresult::HResult;

/// Where the module says a message came from (`Line: <n>`, `Fun: <f>`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Prefix<'a> {
    /// `__LINE__` of the trace macro in the module's source.
    pub line: Option<u32>,
    /// `Fun: <function>` in sibling builds.
    pub function: Option<&'a str>,
    /// The tag (`rMsg1638`, `rMsg`).
    pub tag: &'a str,
}

/// The `TRC_MSG_FULL` suffix: source file and build timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo<'a> {
    pub file: &'a str,
    pub build: &'a str,
}

/// Which failure a `FATAL Error` line reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FatalKind {
    /// `NegotiateClientCertificate` failed (snippet1).
    Negotiate,
    /// `GetClientCertificate` failed otherwise than ERROR_NOT_FOUND.
    GetClientCertificate,
    /// `RegisterModule` failed (null params, factory allocation,
    /// `SetRequestNotifications`).
    ModuleInit,
    /// Any other `FATAL Error`.
    Other,
}

/// One module message, typed. Borrowed from the event text.
#[derive(Debug, Clone, PartialEq)]
pub enum Message<'a> {
    /// `cnt = <N> URI: <url>`: a request entered the module.
    RequestStart {
        cnt: u64,
        uri: &'a str,
        build: Option<BuildInfo<'a>>,
    },
    /// `connection is not using SSL`.
    NotSsl,
    /// `forcing load of client cert` (`forced = true`) or
    /// `Not forcing load of client cert` (snippet1).
    ForcingCertLoad { forced: bool },
    /// `HR = <hex>  Cert not found` (snippet2) or `Cert not found` (snippet1).
    CertNotFound { hresult: Option<HResult> },
    /// `cert size: <bytes> Previously negotiated <0|1>`.
    CertSize {
        size: u32,
        previously_negotiated: bool,
    },
    /// `cert crc: <decimal u32>`.
    CertCrc { crc: u32 },
    /// `No client certificate. fccNeg = <0|1>` / `No client certificate.`.
    NoCertificate { fcc_neg: Option<bool> },
    /// `FATAL Error ... function : <fn>`.
    Fatal {
        kind: FatalKind,
        hresult: Option<HResult>,
        /// The `X` of `LOG_ERR_HR(X, hr)`, e.g. `GetClientCertificate`.
        context: &'a str,
        function: Option<&'a str>,
    },
    /// `CHK_HR_LOG`: `rMsg1638 FAILURE at : <n> HR = <hex>      <text>`.
    CheckFailure {
        hresult: Option<HResult>,
        text: &'a str,
    },
    /// `DBGVIEWCLEAR DBG-VIEW-CLEAR RegisterModule one time call when loading DLL`:
    /// the module was loaded into a (new) worker process.
    ModuleLoad,
    /// `DBGVIEWCLEAR DBG-VIEW-CLEAR <other text>`.
    ViewClear { text: &'a str },
    /// `Trace Window Reset`: second lifecycle line of `RegisterModule`.
    TraceWindowReset { build: Option<BuildInfo<'a>> },
    /// Module prefix, body not understood.
    UnknownModule { body: &'a str },
    /// Not the module's text (other software's debug output).
    Foreign,
}

/// A parsed message with its prefix.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<'a> {
    pub prefix: Option<Prefix<'a>>,
    pub message: Message<'a>,
}

impl Message<'_> {
    /// Stable snake_case name of the message kind (JSON `message_kind`).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Message::RequestStart { .. } => "request_start",
            Message::NotSsl => "not_ssl",
            Message::ForcingCertLoad { .. } => "forcing_cert_load",
            Message::CertNotFound { .. } => "cert_not_found",
            Message::CertSize { .. } => "cert_size",
            Message::CertCrc { .. } => "cert_crc",
            Message::NoCertificate { .. } => "no_certificate",
            Message::Fatal { .. } => "fatal",
            Message::CheckFailure { .. } => "check_failure",
            Message::ModuleLoad => "module_load",
            Message::ViewClear { .. } => "view_clear",
            Message::TraceWindowReset { .. } => "trace_window_reset",
            Message::UnknownModule { .. } => "unknown_module",
            Message::Foreign => "foreign",
        }
    }
}

/// A place in a message text: start and length in bytes. Small (texts
/// past 64 KiB are not kept parsed, see [`Preparsed`]): it keeps events
/// small enough to move by a few register copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    start: u16,
    len: u16,
}

impl Span {
    /// Where `part` (a slice of `text`) lies in `text`.
    fn of(part: &str, text: &str) -> Option<Span> {
        let start = (part.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
        (start + part.len() <= text.len()).then_some(())?;
        Some(Span {
            start: u16::try_from(start).ok()?,
            len: u16::try_from(part.len()).ok()?,
        })
    }

    fn get(self, text: &str) -> Option<&str> {
        let start = self.start as usize;
        text.get(start..start + self.len as usize)
    }
}

/// A request's URI and its ` FILE = <path> Build <timestamp>` suffix
/// (file, build) in their usual spelling: each part non-empty with
/// printable ASCII at both ends, the suffix's `=` the last of the text.
/// `None` for any other spelling (the full grammar's to read).
fn usual_build_suffix(rest: &str) -> Option<(&str, Option<(&str, &str)>)> {
    let b = rest.as_bytes();
    let neat = |part: &[u8]| matches!((part.first(), part.last()), (Some(x), Some(y)) if x.is_ascii_graphic() && y.is_ascii_graphic());
    let Some(eq) = memchr::memrchr(b'=', b) else {
        return neat(b).then_some((rest, None));
    };
    let file_at = eq.checked_sub(" FILE ".len())?;
    if !b[file_at..].starts_with(b" FILE = ") {
        return None;
    }
    let tail = &b[eq + 2..];
    let build_at = memchr::memrchr(b'B', tail)?.checked_sub(1)?;
    if !tail[build_at..].starts_with(b" Build ") {
        return None;
    }
    let uri = &b[..file_at];
    let file = &tail[..build_at];
    let build = &tail[build_at + " Build ".len()..];
    if !(neat(uri) && neat(file) && neat(build)) {
        return None;
    }
    let file_start = eq + 2;
    let build_start = file_start + build_at + " Build ".len();
    Some((
        &rest[..file_at],
        Some((
            &rest[file_start..file_start + build_at],
            &rest[build_start..],
        )),
    ))
}

/// A reading position in a message's bytes, for [`Preparsed::of_usual`].
struct Cursor<'a> {
    b: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    /// Steps over `lit` if it comes next (a fixed size: compared inline).
    #[inline(always)]
    fn literal<const N: usize>(&mut self, lit: &[u8; N]) -> Option<()> {
        let next = self.b.get(self.at..self.at + N)?;
        (next == lit).then(|| self.at += N)
    }

    /// Steps over `min` to `max` (at most 19) decimal digits; their value.
    /// More digits than that leave a digit next, which no literal of the
    /// usual spellings takes: the full grammar then decides.
    fn digits(&mut self, min: usize, max: usize) -> Option<u64> {
        let (n, count) = crate::parse::text::leading_digits(self.b, self.at, max);
        self.at += count;
        (count >= min).then_some(n)
    }

    /// `0` or `1` as the last byte.
    fn last_flag(&mut self) -> Option<bool> {
        let flag = match self.b.get(self.at)? {
            b'0' => false,
            b'1' => true,
            _ => return None,
        };
        self.at += 1;
        self.end()?;
        Some(flag)
    }

    fn end(&self) -> Option<()> {
        (self.at == self.b.len()).then_some(())
    }
}

/// The grammar's answer for the commonest messages, in a form that can
/// travel with the event to another thread: text fields as [`Span`]s into
/// the message text. The reading thread parses the text while it is in its
/// cache; the correlating thread then reads the message back
/// ([`Preparsed::message`]) without parsing, or touching text it does not
/// need. Rare messages are not kept (parsed again where they are used).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Preparsed {
    RequestStart {
        cnt: u64,
        uri: Span,
        build: Option<(Span, Span)>,
    },
    NotSsl,
    ForcingCertLoad {
        forced: bool,
    },
    CertNotFound {
        hresult: Option<HResult>,
    },
    CertSize {
        size: u32,
        previously_negotiated: bool,
    },
    CertCrc {
        crc: u32,
    },
    NoCertificate {
        fcc_neg: Option<bool>,
    },
    ModuleLoad,
    Foreign,
}

impl Preparsed {
    /// The message of `text` in this form, when it is one of those kept.
    pub fn of(text: &str) -> Option<Preparsed> {
        Preparsed::of_usual(text).or_else(|| Preparsed::of_grammar(text))
    }

    /// A request start whose URI and (file, build) are slices of `text`.
    fn request_start(
        text: &str,
        cnt: u64,
        uri: &str,
        build: Option<(&str, &str)>,
    ) -> Option<Preparsed> {
        Some(Preparsed::RequestStart {
            cnt,
            uri: Span::of(uri, text)?,
            build: match build {
                Some((file, build)) => Some((Span::of(file, text)?, Span::of(build, text)?)),
                None => None,
            },
        })
    }

    /// [`Preparsed::of`] through the full grammar.
    fn of_grammar(text: &str) -> Option<Preparsed> {
        Some(match parse(text).message {
            Message::RequestStart { cnt, uri, build } => {
                Preparsed::request_start(text, cnt, uri, build.map(|b| (b.file, b.build)))?
            }
            Message::NotSsl => Preparsed::NotSsl,
            Message::ForcingCertLoad { forced } => Preparsed::ForcingCertLoad { forced },
            Message::CertNotFound { hresult } => Preparsed::CertNotFound { hresult },
            Message::CertSize {
                size,
                previously_negotiated,
            } => Preparsed::CertSize {
                size,
                previously_negotiated,
            },
            Message::CertCrc { crc } => Preparsed::CertCrc { crc },
            Message::NoCertificate { fcc_neg } => Preparsed::NoCertificate { fcc_neg },
            Message::ModuleLoad => Preparsed::ModuleLoad,
            Message::Foreign => Preparsed::Foreign,
            _ => return None,
        })
    }

    /// The commonest messages in their one usual spelling
    /// (`Line: <n> rMsg<digits>: <body>`, single spaces, a request's
    /// `FILE/Build` suffix as [`usual_build_suffix`] takes it, a printable
    /// ASCII last byte), read in one pass over the bytes. `None` means "not
    /// that spelling", not "not a message": [`Preparsed::of`] then asks the
    /// full grammar, which reads every message this reads to the same
    /// answer (an exhaustive test over near-usual texts holds them equal).
    fn of_usual(text: &str) -> Option<Preparsed> {
        let b = text.as_bytes();
        if !b.last()?.is_ascii_graphic() {
            return None;
        }
        let mut at = Cursor { b, at: 0 };
        at.literal(b"Line: ")?;
        at.digits(1, usize::MAX)?;
        at.literal(b" rMsg")?;
        at.digits(0, usize::MAX)?;
        at.literal(b":")?;
        let _ = at.literal(b" ");
        let body = &b[at.at..];
        Some(match *body.first()? {
            b'c' => {
                if at.literal(b"cnt = ").is_some() {
                    let cnt = at.digits(1, 19)?;
                    at.literal(b" URI: ")?;
                    let (uri, build) = usual_build_suffix(&text[at.at..])?;
                    Preparsed::request_start(text, cnt, uri, build)?
                } else if at.literal(b"cert size: ").is_some() {
                    let size = at.digits(1, 9)?;
                    at.literal(b" Previously negotiated ")?;
                    Preparsed::CertSize {
                        size: u32::try_from(size).ok()?,
                        previously_negotiated: at.last_flag()?,
                    }
                } else if at.literal(b"cert crc: ").is_some() {
                    let crc = u32::try_from(at.digits(1, 10)?).ok()?;
                    at.end()?;
                    Preparsed::CertCrc { crc }
                } else if body == b"connection is not using SSL" {
                    Preparsed::NotSsl
                } else {
                    return None;
                }
            }
            b'N' => {
                if body == b"Not forcing load of client cert" {
                    Preparsed::ForcingCertLoad { forced: false }
                } else if body == b"No client certificate." {
                    Preparsed::NoCertificate { fcc_neg: None }
                } else {
                    at.literal(b"No client certificate. fccNeg = ")?;
                    Preparsed::NoCertificate {
                        fcc_neg: Some(at.last_flag()?),
                    }
                }
            }
            b'H' => {
                at.literal(b"HR = ")?;
                let rest = &text[at.at..];
                let end = memchr::memchr(b' ', rest.as_bytes())?;
                let hresult = HResult::parse(&rest[..end])?;
                (rest[end..].trim_start_matches(' ') == "Cert not found").then_some(())?;
                Preparsed::CertNotFound {
                    hresult: Some(hresult),
                }
            }
            _ if body == b"forcing load of client cert" => {
                Preparsed::ForcingCertLoad { forced: true }
            }
            _ if body == b"Cert not found" => Preparsed::CertNotFound { hresult: None },
            _ if body.starts_with(b"DBGVIEWCLEAR DBG-VIEW-CLEAR RegisterModule") => {
                Preparsed::ModuleLoad
            }
            _ => return None,
        })
    }

    /// Whether [`Preparsed::message`] reads the text (only a request start
    /// has text fields).
    pub fn reads_text(self) -> bool {
        matches!(self, Preparsed::RequestStart { .. })
    }

    /// The message, its text fields read from `text` (the text it was
    /// made from; `None` if it does not fit).
    pub fn message(self, text: &str) -> Option<Message<'_>> {
        Some(match self {
            Preparsed::RequestStart { cnt, uri, build } => Message::RequestStart {
                cnt,
                uri: uri.get(text)?,
                build: match build {
                    Some((file, build)) => Some(BuildInfo {
                        file: file.get(text)?,
                        build: build.get(text)?,
                    }),
                    None => None,
                },
            },
            Preparsed::NotSsl => Message::NotSsl,
            Preparsed::ForcingCertLoad { forced } => Message::ForcingCertLoad { forced },
            Preparsed::CertNotFound { hresult } => Message::CertNotFound { hresult },
            Preparsed::CertSize {
                size,
                previously_negotiated,
            } => Message::CertSize {
                size,
                previously_negotiated,
            },
            Preparsed::CertCrc { crc } => Message::CertCrc { crc },
            Preparsed::NoCertificate { fcc_neg } => Message::NoCertificate { fcc_neg },
            Preparsed::ModuleLoad => Message::ModuleLoad,
            Preparsed::Foreign => Message::Foreign,
        })
    }
}

/// Parses one message (trailing newline, CR and tabs are ignored).
pub fn parse(text: &str) -> Parsed<'_> {
    // Byte-level trims (ASCII only, so the cuts are character boundaries):
    // this runs once per line.
    let end = text
        .bytes()
        .rposition(|b| !matches!(b, b'\n' | b'\r' | b'\t' | b'\0' | b' '))
        .map_or(0, |i| i + 1);
    let text = &text[..end];
    let trimmed = crate::parse::text::trim_start(text);
    if let Some((prefix, body)) = split_prefix(trimmed) {
        let message = parse_body(body).unwrap_or(Message::UnknownModule { body });
        return Parsed {
            prefix: Some(prefix),
            message,
        };
    }
    if let Some(m) = parse_check_failure(trimmed) {
        return m;
    }
    // A bare body (another listener stripped the prefix): only the request
    // messages, whose shapes are specific enough not to catch foreign text.
    if let Some(m) = parse_body(trimmed).filter(is_specific_bare_body) {
        return Parsed {
            prefix: None,
            message: m,
        };
    }
    Parsed {
        prefix: None,
        message: Message::Foreign,
    }
}

fn is_specific_bare_body(m: &Message<'_>) -> bool {
    matches!(
        m,
        Message::RequestStart { .. }
            | Message::CertSize { .. }
            | Message::CertCrc { .. }
            | Message::NotSsl
            | Message::NoCertificate { .. }
            | Message::CertNotFound { hresult: Some(_) }
            | Message::ModuleLoad
    )
}

/// `Line: <n> [Fun: <f>] rMsg<digits>: <body>`.
fn split_prefix(s: &str) -> Option<(Prefix<'_>, &str)> {
    let rest = s.strip_prefix("Line:")?.trim_start();
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let line = rest[..digits].parse::<u32>().ok();
    let mut rest = rest[digits..].trim_start();
    let mut function = None;
    if let Some(after) = rest.strip_prefix("Fun:") {
        let after = after.trim_start();
        let idx = after.find(" rMsg")?;
        function = Some(after[..idx].trim());
        rest = after[idx + 1..].trim_start();
    }
    let (tag, body) = split_tag(rest)?;
    Some((
        Prefix {
            line,
            function,
            tag,
        },
        body,
    ))
}

/// `rMsg<digits>: <body>` → (`rMsg<digits>`, body).
fn split_tag(s: &str) -> Option<(&str, &str)> {
    if !s.starts_with("rMsg") {
        return None;
    }
    let digits = s[4..].bytes().take_while(u8::is_ascii_digit).count();
    let tag_end = 4 + digits;
    let body = s[tag_end..].strip_prefix(':')?;
    Some((&s[..tag_end], body.strip_prefix(' ').unwrap_or(body)))
}

/// `rMsg<digits> FAILURE at : <n> HR = <hex>      <text>` (`CHK_HR_LOG`).
fn parse_check_failure(s: &str) -> Option<Parsed<'_>> {
    if !s.starts_with("rMsg") {
        return None;
    }
    let digits = s[4..].bytes().take_while(u8::is_ascii_digit).count();
    let tag = &s[..4 + digits];
    let rest = s[4 + digits..].trim_start().strip_prefix("FAILURE at")?;
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let ldigits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let line = rest[..ldigits].parse::<u32>().ok();
    let rest = rest[ldigits..].trim_start();
    let (hresult, text) = match rest.strip_prefix("HR =") {
        Some(after) => {
            let after = after.trim_start();
            let end = after.find(' ').unwrap_or(after.len());
            (HResult::parse(&after[..end]), after[end..].trim())
        }
        None => (None, rest.trim()),
    };
    Some(Parsed {
        prefix: Some(Prefix {
            line,
            function: None,
            tag,
        }),
        message: Message::CheckFailure { hresult, text },
    })
}

/// Splits the ` FILE = <path> Build <timestamp>` suffix off a body.
fn split_build(body: &str) -> (&str, Option<BuildInfo<'_>>) {
    use std::sync::LazyLock;
    static FILE: LazyLock<memchr::memmem::FinderRev<'static>> =
        LazyLock::new(|| memchr::memmem::FinderRev::new(b" FILE = "));
    static BUILD: LazyLock<memchr::memmem::FinderRev<'static>> =
        LazyLock::new(|| memchr::memmem::FinderRev::new(b" Build "));
    // Usually the last `=` of the body is the suffix's (a path with `=`
    // in it takes the full search).
    let bytes = body.as_bytes();
    let found = match memchr::memrchr(b'=', bytes) {
        Some(eq) if eq >= 6 && bytes[eq - 6..].starts_with(b" FILE = ") => Some(eq - 6),
        Some(_) => FILE.rfind(bytes),
        None => None,
    };
    if let Some(idx) = found {
        let tail = &body[idx + " FILE = ".len()..];
        let tb = tail.as_bytes();
        let build = match memchr::memrchr(b'B', tb) {
            Some(b) if b >= 1 && tb[b - 1..].starts_with(b" Build ") => Some(b - 1),
            _ => BUILD.rfind(tb),
        };
        if let Some(b) = build {
            let info = BuildInfo {
                file: tail[..b].trim(),
                build: tail[b + " Build ".len()..].trim(),
            };
            return (&body[..idx], Some(info));
        }
    }
    (body, None)
}

fn parse_body(body: &str) -> Option<Message<'_>> {
    let body_t = crate::parse::text::trim_start(body);
    // Only the two TRC_MSG_FULL messages carry the FILE/Build suffix; the
    // rest are matched exactly, so a suffix there leaves them unknown.
    let (core, build) = if body_t.starts_with("cnt") || body_t.starts_with("Trace") {
        split_build(body_t)
    } else {
        (body_t, None)
    };
    let core_t = crate::parse::text::trim(core);

    if let Some(rest) = core_t.strip_prefix("cnt =") {
        let rest = rest.trim_start();
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let cnt = rest[..digits].parse::<u64>().ok()?;
        let after = rest[digits..].trim_start();
        let uri = after.strip_prefix("URI:")?;
        return Some(Message::RequestStart {
            cnt,
            uri: crate::parse::text::trim(uri),
            build,
        });
    }
    if core_t == "Trace Window Reset" {
        return Some(Message::TraceWindowReset { build });
    }
    match core_t {
        "connection is not using SSL" => return Some(Message::NotSsl),
        "forcing load of client cert" => return Some(Message::ForcingCertLoad { forced: true }),
        "Not forcing load of client cert" => {
            return Some(Message::ForcingCertLoad { forced: false });
        }
        "Cert not found" => return Some(Message::CertNotFound { hresult: None }),
        "No client certificate." => return Some(Message::NoCertificate { fcc_neg: None }),
        _ => {}
    }
    if let Some(rest) = core_t.strip_prefix("cert size:") {
        // ASCII without vertical tabs (the one ASCII byte `char` calls
        // whitespace and `u8` does not): split by bytes, no decoding.
        return if rest.bytes().all(|b| b.is_ascii() && b != 0x0b) {
            cert_size(rest.split_ascii_whitespace())
        } else {
            cert_size(rest.split_whitespace())
        };
    }
    if let Some(rest) = core_t.strip_prefix("cert crc:") {
        let crc = rest.trim().parse::<u32>().ok()?;
        return Some(Message::CertCrc { crc });
    }
    if let Some(rest) = core_t.strip_prefix("No client certificate.") {
        let v = rest.trim().strip_prefix("fccNeg =")?.trim();
        return Some(Message::NoCertificate {
            fcc_neg: Some(parse_flag(v)?),
        });
    }
    if let Some(rest) = core_t.strip_prefix("DBGVIEWCLEAR") {
        let text = rest.trim_start();
        let text = text.strip_prefix("DBG-VIEW-CLEAR").unwrap_or(text).trim();
        if text.starts_with("RegisterModule") {
            return Some(Message::ModuleLoad);
        }
        return Some(Message::ViewClear { text });
    }
    if let Some(rest) = core_t.strip_prefix("FATAL Error") {
        return Some(parse_fatal(rest.trim()));
    }
    if let Some(rest) = core_t.strip_prefix("HR =") {
        // TRC_HR_MSG: `HR = <hex>  <text>`.
        let rest = rest.trim_start();
        let end = rest.find(' ').unwrap_or(rest.len());
        let hresult = HResult::parse(&rest[..end])?;
        let text = rest[end..].trim();
        if text == "Cert not found" {
            return Some(Message::CertNotFound {
                hresult: Some(hresult),
            });
        }
        return None;
    }
    None
}

/// The words after `cert size:`: `<size> Previously negotiated <flag>`.
fn cert_size<'a>(mut words: impl Iterator<Item = &'a str>) -> Option<Message<'a>> {
    let size = words.next()?.parse::<u32>().ok()?;
    if words.next()? != "Previously" || words.next()? != "negotiated" {
        return None;
    }
    let previously_negotiated = parse_flag(words.next()?)?;
    words.next().is_none().then_some(Message::CertSize {
        size,
        previously_negotiated,
    })
}

/// `0`/`1` as the module prints a BOOL (any non-zero is true).
fn parse_flag(s: &str) -> Option<bool> {
    s.parse::<i64>().ok().map(|v| v != 0)
}

/// Body of `FATAL Error <x> function : <fn>`, where `<x>` is either plain
/// text (`LOG_ERR`) or `HR = <hex> <text>` / `HR = <text> <hex>`
/// (`LOG_ERR_HR` with its arguments in either order).
fn parse_fatal(rest: &str) -> Message<'_> {
    let (x, function) = match rest.rfind(" function :") {
        Some(i) => (
            rest[..i].trim(),
            Some(rest[i + " function :".len()..].trim()).filter(|f| !f.is_empty()),
        ),
        None => match rest.strip_suffix("function :") {
            Some(x) => (x.trim(), None),
            None => (rest, None),
        },
    };
    let (hresult, context) = match x.strip_prefix("HR =") {
        Some(after) => {
            let after = after.trim();
            let first_end = after.find(' ').unwrap_or(after.len());
            let last_start = after.rfind(' ').map(|i| i + 1).unwrap_or(0);
            if let Some(h) = HResult::parse(&after[..first_end]).filter(|_| first_end > 0) {
                // `HR = <hex> <text>`
                (Some(h), after[first_end..].trim())
            } else if let Some(h) = HResult::parse(&after[last_start..]) {
                // `HR = <text> <hex>` (swapped arguments)
                (Some(h), after[..last_start].trim())
            } else {
                (None, after)
            }
        }
        None => (None, x),
    };
    let context_core = context
        .trim_end_matches(['=', ' ', ':'])
        .trim_end_matches("HR")
        .trim_end_matches([' ', ':']);
    let kind = if context.contains("NegotiateClientCertificate") {
        FatalKind::Negotiate
    } else if context.contains("GetClientCertificate") {
        FatalKind::GetClientCertificate
    } else if function == Some("RegisterModule")
        || context.contains("Null params at init")
        || context.contains("CMyHttpModuleFactory")
        || context.contains("SetRequestNotifications")
    {
        FatalKind::ModuleInit
    } else {
        FatalKind::Other
    };
    Message::Fatal {
        kind,
        hresult,
        context: context_core,
        function,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUFFIX: &str = " FILE = c:\\src\\mymodule.cpp Build Tue Jun 23 16:23:14 2026";

    fn msg(text: &str) -> Message<'_> {
        parse(text).message
    }

    #[test]
    fn request_start_with_build_suffix() {
        let text =
            format!("Line: 28 rMsg1638: cnt = 17 URI: https://shop.example:443/login{SUFFIX}\n");
        let p = parse(&text);
        assert_eq!(
            p.prefix,
            Some(Prefix {
                line: Some(28),
                function: None,
                tag: "rMsg1638"
            })
        );
        match p.message {
            Message::RequestStart { cnt, uri, build } => {
                assert_eq!(cnt, 17);
                assert_eq!(uri, "https://shop.example:443/login");
                let b = build.unwrap();
                assert_eq!(b.file, "c:\\src\\mymodule.cpp");
                assert_eq!(b.build, "Tue Jun 23 16:23:14 2026");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn request_start_space_padded_day_and_no_suffix() {
        let t = "Line: 28 rMsg1638: cnt = 3 URI: http://h/ FILE = c:\\a b\\m.cpp Build Tue Jun  2 06:03:04 2026";
        match msg(t) {
            Message::RequestStart { cnt, uri, build } => {
                assert_eq!((cnt, uri), (3, "http://h/"));
                assert_eq!(build.unwrap().build, "Tue Jun  2 06:03:04 2026");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            msg("Line: 28 rMsg1638: cnt = 4 URI: https://x/?q=a b"),
            Message::RequestStart {
                cnt: 4,
                uri: "https://x/?q=a b",
                build: None
            }
        ));
        // URI lost to a null pointer: empty.
        assert!(matches!(
            msg("Line: 28 rMsg1638: cnt = 5 URI: "),
            Message::RequestStart {
                cnt: 5,
                uri: "",
                ..
            }
        ));
    }

    #[test]
    fn sibling_prefixes() {
        assert!(matches!(
            msg("Line: 32 rMsg: connection is not using SSL"),
            Message::NotSsl
        ));
        let p =
            parse("Line: 45 Fun: checkForClientCert rMsg: cert size: 1042 Previously negotiated 1");
        assert_eq!(p.prefix.unwrap().function, Some("checkForClientCert"));
        assert_eq!(
            p.message,
            Message::CertSize {
                size: 1042,
                previously_negotiated: true
            }
        );
    }

    #[test]
    fn snippet2_request_messages() {
        assert_eq!(
            msg("Line: 49 rMsg1638: cert crc: 2844112431"),
            Message::CertCrc { crc: 2844112431 }
        );
        assert_eq!(
            msg("Line: 40 rMsg1638: HR = 80070490  Cert not found"),
            Message::CertNotFound {
                hresult: Some(HResult(0x8007_0490))
            }
        );
        assert_eq!(
            msg("Line: 40 rMsg1638: HR = 0  Cert not found"),
            Message::CertNotFound {
                hresult: Some(HResult(0))
            }
        );
        assert_eq!(
            msg("Line: 55 rMsg1638: No client certificate. fccNeg = 0"),
            Message::NoCertificate {
                fcc_neg: Some(false)
            }
        );
        assert_eq!(
            msg("Line: 45 rMsg1638: cert size: 0 Previously negotiated 0"),
            Message::CertSize {
                size: 0,
                previously_negotiated: false
            }
        );
        match msg(
            "Line: 44 rMsg1638: FATAL Error HR = 80070032 GetClientCertificate function : checkForClientCert",
        ) {
            Message::Fatal {
                kind,
                hresult,
                context,
                function,
            } => {
                assert_eq!(kind, FatalKind::GetClientCertificate);
                assert_eq!(hresult, Some(HResult(0x8007_0032)));
                assert_eq!(context, "GetClientCertificate");
                assert_eq!(function, Some("checkForClientCert"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn snippet1_request_messages() {
        assert_eq!(
            msg("Line: 90 rMsg1638: forcing load of client cert"),
            Message::ForcingCertLoad { forced: true }
        );
        assert_eq!(
            msg("Line: 97 rMsg1638: Not forcing load of client cert"),
            Message::ForcingCertLoad { forced: false }
        );
        assert_eq!(
            msg("Line: 108 rMsg1638: Cert not found"),
            Message::CertNotFound { hresult: None }
        );
        assert_eq!(
            msg("Line: 124 rMsg1638: No client certificate."),
            Message::NoCertificate { fcc_neg: None }
        );
        // LOG_ERR_HR(hr, "NegotiateClientCertificate : HR = "): swapped arguments.
        match msg(
            "Line: 93 rMsg1638: FATAL Error HR = NegotiateClientCertificate : HR =  80070032 function : CMyHttpModule::OnBeginRequest",
        ) {
            Message::Fatal {
                kind,
                hresult,
                context,
                function,
            } => {
                assert_eq!(kind, FatalKind::Negotiate);
                assert_eq!(hresult, Some(HResult(0x8007_0032)));
                assert_eq!(context, "NegotiateClientCertificate");
                assert_eq!(function, Some("CMyHttpModule::OnBeginRequest"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lifecycle_messages() {
        assert_eq!(
            msg(
                "Line: 27 rMsg1638: DBGVIEWCLEAR DBG-VIEW-CLEAR RegisterModule one time call when loading DLL"
            ),
            Message::ModuleLoad
        );
        assert!(matches!(
            msg(&format!("Line: 28 rMsg1638: Trace Window Reset{SUFFIX}")),
            Message::TraceWindowReset { build: Some(_) }
        ));
        assert_eq!(
            msg("Line: 12 rMsg1638: DBGVIEWCLEAR DBG-VIEW-CLEAR something else"),
            Message::ViewClear {
                text: "something else"
            }
        );
        for (text, hr, ctx) in [
            (
                "Line: 33 rMsg1638: FATAL Error HR = Null params at init: 80070057 function : RegisterModule",
                0x8007_0057,
                "Null params at init",
            ),
            (
                "Line: 33 rMsg1638: FATAL Error HR = 80070057 Null params at init: function : RegisterModule",
                0x8007_0057,
                "Null params at init",
            ),
            (
                "Line: 45 rMsg1638: FATAL Error HR = new CMyHttpModuleFactory() hr= 80070008 function : RegisterModule",
                0x8007_0008,
                "new CMyHttpModuleFactory() hr",
            ),
            (
                "Line: 55 rMsg1638: FATAL Error HR = Failure at  SetRequestNotifications 80004005 function : RegisterModule",
                0x8000_4005,
                "Failure at  SetRequestNotifications",
            ),
        ] {
            match msg(text) {
                Message::Fatal {
                    kind,
                    hresult,
                    context,
                    ..
                } => {
                    assert_eq!(kind, FatalKind::ModuleInit, "{text}");
                    assert_eq!(hresult, Some(HResult(hr)), "{text}");
                    assert_eq!(context, ctx, "{text}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn check_failure() {
        let p = parse("rMsg1638 FAILURE at : 77 HR = 80004005      SetRequestNotifications");
        assert_eq!(p.prefix.as_ref().unwrap().line, Some(77));
        assert_eq!(
            p.message,
            Message::CheckFailure {
                hresult: Some(HResult(0x8000_4005)),
                text: "SetRequestNotifications"
            }
        );
        assert!(matches!(
            msg("rMsg FAILURE at : 12 HR = 8007000e      alloc"),
            Message::CheckFailure {
                hresult: Some(HResult(0x8007_000e)),
                text: "alloc"
            }
        ));
    }

    #[test]
    fn unknown_and_foreign_are_kept() {
        assert_eq!(
            msg("Line: 99 rMsg1638: something new"),
            Message::UnknownModule {
                body: "something new"
            }
        );
        assert_eq!(msg("[SQL] connection pool grown"), Message::Foreign);
        assert_eq!(msg(""), Message::Foreign);
        assert_eq!(msg("Line: x rMsg1638: cnt = 1 URI: a"), Message::Foreign);
        // Malformed numbers stay unknown, never panic.
        assert!(matches!(
            msg("Line: 49 rMsg1638: cert crc: 99999999999"),
            Message::UnknownModule { .. }
        ));
        assert!(matches!(
            msg("Line: 45 rMsg1638: cert size: 12 Previously negotiated"),
            Message::UnknownModule { .. }
        ));
    }

    #[test]
    fn bare_bodies_from_other_listeners() {
        assert!(matches!(
            msg("cnt = 9 URI: https://a/"),
            Message::RequestStart { cnt: 9, .. }
        ));
        assert!(matches!(msg("cert crc: 12"), Message::CertCrc { crc: 12 }));
        // Generic bodies without a prefix are not claimed.
        assert_eq!(msg("Cert not found"), Message::Foreign);
    }

    #[test]
    fn never_panics_on_odd_text() {
        for t in [
            "Line:",
            "Line: 1",
            "Line: 1 rMsg",
            "Line: 1 Fun: rMsg: ",
            "rMsg",
            "rMsg1638 FAILURE at :",
            "Line: 1 rMsg1638: FATAL Error",
            "Line: 1 rMsg1638: FATAL Error HR =",
            "Line: 1 rMsg1638: HR =",
            "Line: 1 rMsg1638: é FILE = Build ",
            "Line: 1 rMsg1638: cnt = 99999999999999999999999 URI: x",
        ] {
            let _ = parse(t);
        }
    }

    proptest::proptest! {
        /// The byte-split fast path reads `cert size:` lines exactly as
        /// splitting on any Unicode whitespace does.
        #[test]
        fn cert_size_words_split_like_unicode_whitespace(
            words in proptest::collection::vec(
                "[0-9]{1,4}|Previously|negotiated|[01]|x\u{e9}", 0..6),
            gaps in proptest::collection::vec("[ \t\x0b\x0c\r\u{a0}\u{3000}]{1,3}", 6),
        ) {
            let mut rest = String::new();
            for (w, g) in words.iter().zip(&gaps) {
                rest.push_str(g);
                rest.push_str(w);
            }
            let body = format!("cert size:{rest}");
            proptest::prop_assert_eq!(parse_body(&body), cert_size(rest.split_whitespace()));
        }
    }

    /// The one-pass reading of the usual spellings answers as the full
    /// grammar does, on every combination of texts near those spellings
    /// (spaces, digits, suffixes, case, endings and prefixes varied).
    #[test]
    fn usual_spellings_read_as_the_grammar_reads_them() {
        let prefixes = [
            "Line: 28 rMsg1638: ",
            "Line: 3 rMsg:",
            "Line: 7 rMsg12:  ",
            "Line:  7 rMsg: ",
            "Line: 12345678901234567890 rMsg: ",
            "Line: 3 Fun: f rMsg: ",
            "Line: 28rMsg1638: ",
            " Line: 28 rMsg1638: ",
            "",
        ];
        let bodies = [
            "cnt = 17 URI: https://a.example/x?y=1",
            "cnt = 17 URI: https://a.example/x",
            "cnt = 17 URI:  https://a.example/x",
            "cnt = 17 URI: ",
            "cnt = 99999999999999999999 URI: x",
            "cnt = 1234567890123456789 URI: x",
            "cnt = 5 URI: x FILE = c:\\m.cpp Build Tue Jun 23 16:23:14 2026",
            "cnt =  5 URI: x",
            "cnt = 5 URI: https://a/x?y=2 FILE = c:\\m.cpp Build Tue Jun 23 16:23:14 2026",
            "cnt = 5 URI: https://a/x FILE = c:\\m=.cpp Build Tue Jun 23 16:23:14 2026",
            "cnt = 5 URI: https://a/x FILE = c:\\m.cpp Build  Tue Jun 23 16:23:14 2026",
            "cnt = 5 URI: https://a/x FILE = c:\\m.cpp  Build Tue Jun 23 16:23:14 2026",
            "cnt = 5 URI: https://a/x  FILE = c:\\m.cpp Build Tue Jun 23 16:23:14 2026",
            "cnt = 5 URI: https://a/x FILE =  c:\\m.cpp Build B",
            "cnt = 5 URI: https://a/x FILE = Build 1",
            "cnt = 5 URI: https://a/x FILE = c:\\m.cpp Build ",
            "cnt = 5 URI: https://a/x FILE = c:\\m.cpp Build B Build C",
            "cnt = 5 URI: https://a/x FILE = c:\\Build.cpp Build C",
            "cnt = 5 URI: https://a/x FILE = c:\\m.cpp",
            "cnt = 5 URI: FILE = c:\\m.cpp Build 1",
            "cnt = 5 URI: x FILE = ",
            "cnt = 5 URI: =",
            "cert size: 1042 Previously negotiated 1",
            "cert size: 1042 Previously negotiated 0",
            "cert size: 1042 Previously negotiated 2",
            "cert size: 4294967296 Previously negotiated 1",
            "cert size: 999999999 Previously negotiated 1",
            "cert size: 1042  Previously negotiated 1",
            "cert crc: 4294967295",
            "cert crc: 4294967296",
            "cert crc: 0012",
            "cert crc: ",
            "connection is not using SSL",
            "connection is not using SSLx",
            "forcing load of client cert",
            "Not forcing load of client cert",
            "No client certificate.",
            "No client certificate. fccNeg = 1",
            "No client certificate. fccNeg = 0",
            "No client certificate. fccNeg = 7",
            "No client certificate. fccNeg =1",
            "HR = 80070490  Cert not found",
            "HR = 80070490 Cert not found",
            "HR = 0x80070490  Cert not found",
            "HR = 80070490",
            "HR =  80070490  Cert not found",
            "HR = zz  Cert not found",
            "Cert not found",
            "cert not found",
            "DBGVIEWCLEAR DBG-VIEW-CLEAR RegisterModule one time call when loading DLL",
            "DBGVIEWCLEAR DBG-VIEW-CLEAR other",
            "Trace Window Reset",
            "FATAL Error HR = 80070490 GetClientCertificate function : OnBegin",
        ];
        let ends = ["", "\t", " ", "\r\n", "\u{e9}", "x", "\0"];
        let mut usual = 0;
        for prefix in prefixes {
            for body in bodies {
                for end in ends {
                    let text = format!("{prefix}{body}{end}");
                    if let Some(p) = Preparsed::of_usual(&text) {
                        usual += 1;
                        assert_eq!(Some(p), Preparsed::of_grammar(&text), "{text:?}");
                    }
                }
            }
        }
        assert!(usual > 40, "{usual}");
    }

    /// The module's usual lines take the one-pass reading (it is not left
    /// unused by a slip that sends every line to the full grammar).
    #[test]
    fn usual_lines_take_the_one_pass_reading() {
        for body in [
            "cnt = 17 URI: https://a.example/x",
            "cnt = 17 URI: https://a.example/x?y=1 FILE = c:\\inetpub\\m.cpp Build Tue Jun 23 16:23:14 2026",
            "cert size: 1042 Previously negotiated 1",
            "cert crc: 4294967295",
            "connection is not using SSL",
            "forcing load of client cert",
            "Not forcing load of client cert",
            "No client certificate.",
            "No client certificate. fccNeg = 0",
            "HR = 80070490  Cert not found",
            "Cert not found",
            "DBGVIEWCLEAR DBG-VIEW-CLEAR RegisterModule one time call when loading DLL",
        ] {
            for prefix in ["Line: 28 rMsg1638: ", "Line: 3 rMsg:"] {
                let text = format!("{prefix}{body}");
                let usual = Preparsed::of_usual(&text);
                assert!(usual.is_some(), "{text}");
                assert_eq!(usual, Preparsed::of_grammar(&text), "{text}");
            }
        }
    }

    /// Read back, a message parsed ahead equals the message parsed where it
    /// is used, for every line of a simulated capture (all outcomes, noise,
    /// lost lines) and odd texts.
    #[test]
    fn preparsed_messages_read_back_as_parsed() {
        let certs = crate::demo::demo_certificates();
        let sim =
            crate::simulate::Simulation::run(&crate::simulate::SimConfig::realistic(3, 400, certs));
        let log = sim.debugview_log();
        let mut kept = 0;
        let mut texts: Vec<String> = log
            .lines()
            .filter_map(|l| crate::input::debugview::parse_line(l).map(|e| e.message.to_string()))
            .collect();
        texts.extend(
            [
                "",
                "cnt = 5 URI: https://x/\u{e9}t\u{e9} FILE = c:\\m.cpp Build Tue Jun 23 16:23:14 2026",
                "Line: 28 rMsg1638: cnt = 7 URI:   FILE = a Build b",
                "  cert size: 12 Previously negotiated 1  ",
                "Line: 3 rMsg: cert crc: 4294967295",
            ]
            .map(String::from),
        );
        for text in &texts {
            let parsed = parse(text).message;
            if let Some(p) = Preparsed::of(text) {
                kept += 1;
                assert_eq!(p.message(text), Some(parsed.clone()), "{text}");
                assert_eq!(
                    p.reads_text(),
                    matches!(parsed, Message::RequestStart { .. })
                );
            } else {
                assert!(
                    matches!(
                        parsed,
                        Message::Fatal { .. }
                            | Message::CheckFailure { .. }
                            | Message::ViewClear { .. }
                            | Message::TraceWindowReset { .. }
                            | Message::UnknownModule { .. }
                    ),
                    "{text}: {parsed:?}"
                );
            }
        }
        assert!(kept > 1000, "{kept}");
        // A text too long for the spans is left to be parsed where used.
        let long = format!("cnt = 1 URI: https://x/{}", "a".repeat(70_000));
        assert!(Preparsed::of(&long).is_none());
        assert!(matches!(parse(&long).message, Message::RequestStart { .. }));
    }
}
