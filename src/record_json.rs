//! A hand-written JSON writer for request records, the one record type of
//! which a capture has hundreds of thousands: byte-for-byte the output of the
//! serde derive (a test checks that), without its per-field overhead.

use std::fmt::Write as _;

use crate::event::{EventTime, Origin, Position, elapsed_units};
use crate::hresult::HResult;
use crate::record::{InstanceId, RequestRecord};

/// Records gathered for output: bytes like a `Vec<u8>`, but the room past
/// the end stays initialized from one record to the next, so writing a
/// record's dozen numbers and fields needs neither zeroing nor a call to
/// copy each piece (fixed-size pieces are copied inline).
#[derive(Debug, Default)]
pub struct RecordBuf {
    room: Vec<u8>,
    len: usize,
    /// Static strings (names from the program's tables, interned input
    /// names) found to need no escaping, by address and length: a static
    /// string never changes, so it is scanned once, not once per record.
    clean_statics: [(usize, usize); 8],
    next_static: usize,
}

impl RecordBuf {
    pub fn with_capacity(n: usize) -> Self {
        RecordBuf {
            room: vec![0; n],
            ..RecordBuf::default()
        }
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.room[..self.len]
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The room it holds (at least [`RecordBuf::len`]).
    pub fn capacity(&self) -> usize {
        self.room.len()
    }

    pub fn clear(&mut self) {
        self.len = 0;
    }

    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// `n` more bytes at the end, to be written by the caller.
    #[inline(always)]
    fn extend_room(&mut self, n: usize) -> &mut [u8] {
        let start = self.len;
        let end = start + n;
        if end > self.room.len() {
            self.grow(end);
        }
        self.len = end;
        &mut self.room[start..end]
    }

    #[cold]
    fn grow(&mut self, end: usize) {
        let n = end.max(2 * self.room.len()).max(4096);
        self.room.resize(n, 0);
    }

    #[inline(always)]
    pub fn extend_from_slice(&mut self, s: &[u8]) {
        self.extend_room(s.len()).copy_from_slice(s);
    }

    #[inline(always)]
    pub fn push(&mut self, b: u8) {
        self.extend_room(1)[0] = b;
    }

    fn pop(&mut self) {
        self.len = self.len.saturating_sub(1);
    }

    pub fn get(&self, i: usize) -> Option<&u8> {
        self.as_slice().get(i)
    }

    pub fn set(&mut self, i: usize, b: u8) {
        if i < self.len {
            self.room[i] = b;
        }
    }
}

impl std::io::Write for RecordBuf {
    fn write(&mut self, s: &[u8]) -> std::io::Result<usize> {
        self.extend_from_slice(s);
        Ok(s.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Bytes that JSON strings must escape (control characters, `"`, `\\`).
const NEEDS_ESCAPE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Index of the first byte that must be escaped: eight bytes at a time
/// (exact tests for "a byte below 0x20", "a byte equal to `\"` or `\\`"),
/// then the exact byte.
fn first_escape(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |w: u64| w.wrapping_sub(ONES) & !w & HIGH;
    let mut i = 0;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
        let special =
            zero_byte(w ^ (ONES * u64::from(b'"'))) | zero_byte(w ^ (ONES * u64::from(b'\\')));
        if control | special != 0 {
            break;
        }
        i += 8;
    }
    bytes[i..]
        .iter()
        .position(|&b| NEEDS_ESCAPE[b as usize])
        .map(|p| i + p)
}

/// Appends `"…"` with JSON escaping exactly as serde_json does it.
pub fn string(buf: &mut RecordBuf, s: &str) {
    buf.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    while let Some(off) = first_escape(&bytes[start..]) {
        let i = start + off;
        buf.extend_from_slice(&bytes[start..i]);
        let b = bytes[i];
        match b {
            b'"' => buf.extend_from_slice(b"\\\""),
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            0x08 => buf.extend_from_slice(b"\\b"),
            0x0c => buf.extend_from_slice(b"\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                buf.extend_from_slice(b"\\u00");
                buf.push(HEX[(b >> 4) as usize]);
                buf.push(HEX[(b & 0xf) as usize]);
            }
        }
        start = i + 1;
    }
    buf.extend_from_slice(&bytes[start..]);
    buf.push(b'"');
}

/// [`string`] for a string that lives for the whole run.
fn static_string(buf: &mut RecordBuf, s: &'static str) {
    let key = (s.as_ptr() as usize, s.len());
    if buf.clean_statics.contains(&key) {
        buf.push(b'"');
        buf.extend_from_slice(s.as_bytes());
        buf.push(b'"');
        return;
    }
    if first_escape(s.as_bytes()).is_none() && !s.is_empty() {
        buf.clean_statics[buf.next_static] = key;
        buf.next_static = (buf.next_static + 1) % buf.clean_statics.len();
    }
    string(buf, s);
}

fn opt_static(buf: &mut RecordBuf, s: Option<&'static str>) {
    match s {
        Some(s) => static_string(buf, s),
        None => buf.extend_from_slice(b"null"),
    }
}

/// A name that is usually static (from the HRESULT tables).
fn opt_cow(buf: &mut RecordBuf, s: Option<&std::borrow::Cow<'static, str>>) {
    match s {
        Some(std::borrow::Cow::Borrowed(s)) => static_string(buf, s),
        Some(std::borrow::Cow::Owned(s)) => string(buf, s),
        None => buf.extend_from_slice(b"null"),
    }
}

/// Two-digit groups "00" to "99", for writing numbers two digits a step.
const DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Writes `n` in decimal into all of `out`, which has exactly its digits'
/// room (the last digit goes last): four digits a step.
fn digits_into(out: &mut [u8], mut n: u64) {
    let pair = |d: usize| -> [u8; 2] { [DIGIT_PAIRS[2 * d], DIGIT_PAIRS[2 * d + 1]] };
    let mut rest = out;
    while let [head @ .., a, b, c, d] = rest {
        let four = (n % 10_000) as usize;
        n /= 10_000;
        [*a, *b] = pair(four / 100);
        [*c, *d] = pair(four % 100);
        rest = head;
    }
    match rest {
        [a, b, c] => {
            let three = n as usize % 1000;
            *a = b'0' + (three / 100) as u8;
            [*b, *c] = pair(three % 100);
        }
        [a, b] => [*a, *b] = pair(n as usize % 100),
        [a] => *a = b'0' + (n % 10) as u8,
        _ => {}
    }
}

/// How many decimal digits `n` has (1 for 0): from its bit length, without
/// the library's loop.
fn digit_count(n: u64) -> usize {
    const POW10: [u64; 20] = {
        let mut p = [1u64; 20];
        let mut i = 1;
        while i < 20 {
            p[i] = p[i - 1] * 10;
            i += 1;
        }
        p
    };
    let bits = 64 - (n | 1).leading_zeros() as usize;
    // floor(log10(2^bits)) (1233 / 4096 ~ log10 2): n has that many digits
    // or one more.
    let guess = (bits * 1233) >> 12;
    (guess + usize::from(n >= POW10[guess])).max(1)
}

/// `n` in decimal (as many digits as it has).
pub fn uint(buf: &mut RecordBuf, n: u64) {
    padded(buf, n, digit_count(n));
}

/// `n` as exactly `width` digits, zero-padded (`n` must fit), written in
/// place (numbers are written a dozen times per record).
fn padded(buf: &mut RecordBuf, n: u64, width: usize) {
    digits_into(buf.extend_room(width), n);
}

fn opt_uint(buf: &mut RecordBuf, n: Option<u64>) {
    match n {
        Some(n) => uint(buf, n),
        None => buf.extend_from_slice(b"null"),
    }
}

fn opt_str(buf: &mut RecordBuf, s: Option<&str>) {
    match s {
        Some(s) => string(buf, s),
        None => buf.extend_from_slice(b"null"),
    }
}

fn opt_bool(buf: &mut RecordBuf, b: Option<bool>) {
    buf.extend_from_slice(match b {
        Some(true) => b"true",
        Some(false) => b"false",
        None => b"null",
    });
}

/// Appends a `Display` value as a JSON string.
fn display(buf: &mut RecordBuf, v: &dyn std::fmt::Display) {
    let mut text = String::new();
    let _ = write!(text, "{v}");
    string(buf, &text);
}

/// `"5120#1"`: [`InstanceId`]'s `Display` without the formatter.
fn instance(buf: &mut RecordBuf, id: &InstanceId) {
    if id.host.is_some() {
        return display(buf, id);
    }
    buf.push(b'"');
    match id.pid {
        Some(p) => uint(buf, u64::from(p)),
        None => buf.push(b'?'),
    }
    buf.push(b'#');
    uint(buf, u64::from(id.ordinal));
    buf.push(b'"');
}

/// A time as [`EventTime`]'s `Display` writes it, elapsed seconds directly.
fn time(buf: &mut RecordBuf, t: Option<&EventTime>) {
    let Some(t) = t else {
        return buf.extend_from_slice(b"null");
    };
    match *t {
        EventTime::Elapsed(s) => match elapsed_units(s) {
            Some(units) => {
                buf.push(b'"');
                uint(buf, units / 100_000_000);
                buf.push(b'.');
                padded(buf, units % 100_000_000, 8);
                buf.push(b'"');
            }
            None => display(buf, t),
        },
        _ => display(buf, t),
    }
}

/// `"file:line"`: [`Origin`]'s `Display` for text inputs, directly.
fn origin(buf: &mut RecordBuf, o: &Origin) {
    let Position::Line(n) = o.position else {
        return display(buf, o);
    };
    static_string(buf, o.input.as_str());
    // Replace the closing quote by `:<line>"`.
    buf.pop();
    buf.push(b':');
    uint(buf, n);
    buf.push(b'"');
}

/// `"8007000e"`: eight lowercase hex digits, or null.
fn hresult(buf: &mut RecordBuf, h: Option<HResult>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let Some(h) = h else {
        return buf.extend_from_slice(b"null");
    };
    buf.push(b'"');
    for shift in (0..8).rev() {
        buf.push(HEX[((h.0 >> (shift * 4)) & 0xf) as usize]);
    }
    buf.push(b'"');
}

/// The `cert` object (`CertRecord`'s serde form): one per identified
/// request, so most requests' with `--certs`.
fn cert(buf: &mut RecordBuf, c: &crate::certs::identify::CertRecord) {
    let info = &c.cert;
    for (key, value) in [
        (&b"{\"thumbprint_sha1\":"[..], &info.thumbprint_sha1),
        (b",\"subject\":", &info.subject),
        (b",\"issuer\":", &info.issuer),
        (b",\"serial\":", &info.serial),
        (b",\"not_before\":", &info.not_before),
        (b",\"not_after\":", &info.not_after),
    ] {
        buf.extend_from_slice(key);
        string(buf, value);
    }
    buf.extend_from_slice(b",\"identified_by\":");
    static_string(buf, c.identified_by.as_str());
    buf.extend_from_slice(b",\"search_depth\":");
    uint(buf, u64::from(c.search_depth));
    buf.push(b'}');
}

/// A confidence (0-1, four decimals) as serde_json writes the float:
/// `1.0`, `0.5`, `0.9871`.
fn confidence(buf: &mut RecordBuf, c: f64) {
    let tenths_of_mille = (c.clamp(0.0, 1.0) * 1e4).round() as u32;
    if tenths_of_mille == 10_000 {
        buf.extend_from_slice(b"1.0");
        return;
    }
    let digits = [1000, 100, 10, 1].map(|d| b'0' + (tenths_of_mille / d % 10) as u8);
    let len = digits.iter().rposition(|&d| d != b'0').map_or(1, |i| i + 1);
    buf.extend_from_slice(b"0.");
    buf.extend_from_slice(&digits[..len]);
}

/// The record's fields, starting with a comma (the caller has written
/// `{"type":"request","schema_version":1`), and the closing brace.
pub fn request_fields(buf: &mut RecordBuf, r: &RequestRecord) {
    buf.extend_from_slice(b",\"instance\":");
    instance(buf, &r.instance);
    buf.extend_from_slice(b",\"host\":");
    opt_str(buf, r.host.as_deref());
    buf.extend_from_slice(b",\"pid\":");
    opt_uint(buf, r.pid.map(u64::from));
    buf.extend_from_slice(b",\"tid\":");
    opt_uint(buf, r.tid.map(u64::from));
    buf.extend_from_slice(b",\"cnt\":");
    uint(buf, r.cnt);
    buf.extend_from_slice(b",\"uri\":");
    string(buf, &r.uri);
    buf.extend_from_slice(b",\"time\":");
    time(buf, r.time.as_ref());
    buf.extend_from_slice(b",\"time_kind\":");
    opt_static(buf, r.time_kind.map(crate::event::TimeKind::as_str));
    buf.extend_from_slice(b",\"end_time\":");
    time(buf, r.end_time.as_ref());
    buf.extend_from_slice(b",\"outcome\":\"");
    buf.extend_from_slice(r.outcome.as_str().as_bytes());
    buf.extend_from_slice(b"\",\"hresult\":");
    hresult(buf, r.hresult);
    buf.extend_from_slice(b",\"hresult_name\":");
    opt_cow(buf, r.hresult_name.as_ref());
    buf.extend_from_slice(b",\"hresult_hint\":");
    opt_cow(buf, r.hresult_hint.as_ref());
    buf.extend_from_slice(b",\"cert_size\":");
    opt_uint(buf, r.cert_size.map(u64::from));
    buf.extend_from_slice(b",\"cert_crc\":");
    opt_uint(buf, r.cert_crc.map(u64::from));
    buf.extend_from_slice(b",\"previously_negotiated\":");
    opt_bool(buf, r.previously_negotiated);
    buf.extend_from_slice(b",\"fcc_neg\":");
    opt_bool(buf, r.fcc_neg);
    buf.extend_from_slice(b",\"forced_negotiation\":");
    opt_bool(buf, r.forced_negotiation);
    buf.extend_from_slice(match r.assignment {
        crate::record::Assignment::Exact => b",\"assignment\":\"exact\"",
        crate::record::Assignment::Inferred => b",\"assignment\":\"inferred\"",
    });
    if let Some(c) = r.confidence {
        buf.extend_from_slice(b",\"confidence\":");
        confidence(buf, c);
    }
    buf.extend_from_slice(if r.duplicate_cnt {
        b",\"duplicate_cnt\":true"
    } else {
        b",\"duplicate_cnt\":false"
    });
    buf.extend_from_slice(b",\"source\":");
    origin(buf, &r.source);
    buf.extend_from_slice(b",\"messages\":");
    uint(buf, u64::from(r.messages));
    buf.extend_from_slice(b",\"cert\":");
    match &r.cert {
        Some(c) => cert(buf, c),
        None => buf.extend_from_slice(b"null"),
    }
    buf.extend_from_slice(b",\"cert_status\":");
    opt_static(buf, r.cert_status);
    buf.extend_from_slice(b",\"cert_warnings\":[");
    for (i, w) in r.cert_warnings.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        string(buf, w);
    }
    buf.extend_from_slice(b"]}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::correlate::{CorrelateOptions, correlate_all};
    use crate::record::Record;
    use crate::simulate::{SimConfig, Simulation};

    /// A buffer whose room past its end holds bytes of earlier records
    /// (as the renderer's does), starting with `head`.
    fn used_buf(head: &[u8]) -> RecordBuf {
        let mut buf = RecordBuf::default();
        buf.extend_from_slice(&[b'#'; 8192]);
        buf.clear();
        buf.extend_from_slice(head);
        buf
    }

    fn same_as_serde(r: &RequestRecord) {
        let mut mine = used_buf(b"{\"x\":0");
        request_fields(&mut mine, r);
        let mut theirs = serde_json::to_vec(r).unwrap();
        theirs.splice(0..1, b"{\"x\":0,".iter().copied());
        assert_eq!(
            String::from_utf8_lossy(mine.as_slice()),
            String::from_utf8_lossy(&theirs)
        );
    }

    /// Every confidence a record can carry (four decimals, 0.5-1) is
    /// written as serde_json writes it.
    #[test]
    fn confidence_matches_serde() {
        for k in 5000..=10_000u32 {
            let c = f64::from(k) / 1e4;
            let mut mine = used_buf(b"");
            confidence(&mut mine, c);
            assert_eq!(mine.as_slice(), serde_json::to_vec(&c).unwrap(), "{c}");
        }
    }

    #[test]
    fn matches_serde_on_simulated_records() {
        let certs = crate::demo::demo_certificates();
        let sim = Simulation::run(&SimConfig::realistic(5, 500, certs));
        let log = sim.debugview_log();
        let events = crate::sources::events_of(log.as_bytes(), "a\"b\\c.log");
        let mut n = 0;
        let opts = CorrelateOptions {
            certs: Some(std::sync::Arc::new(crate::certs::demo_catalog())),
            ..CorrelateOptions::default()
        };
        let mut identified = 0;
        for r in correlate_all(&events, opts) {
            if let Record::Request(q) = &r
                && q.cert.is_some()
            {
                identified += 1;
            }
            if let Record::Request(q) = r {
                same_as_serde(&q);
                n += 1;
            }
        }
        assert!(n > 400);
        assert!(identified > 100, "{identified}");
    }

    #[test]
    fn matches_serde_on_unusual_fields() {
        use chrono::{NaiveDate, NaiveTime};
        let certs = crate::demo::demo_certificates();
        let sim = Simulation::run(&SimConfig::realistic(1, 50, certs));
        let events = crate::sources::events_of(sim.debugview_log().as_bytes(), "x.log");
        let mut base = correlate_all(&events, CorrelateOptions::default())
            .into_iter()
            .find_map(|r| match r {
                Record::Request(q) => Some(q),
                _ => None,
            })
            .unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 6, 23).unwrap();
        let clock = NaiveTime::from_hms_micro_opt(16, 23, 14, 120_500).unwrap();
        let times = [
            None,
            Some(EventTime::Elapsed(0.0)),
            Some(EventTime::Elapsed(12.345_678_915)),
            Some(EventTime::Elapsed(9_999_999_999.5)),
            Some(EventTime::Elapsed(1e12)),
            Some(EventTime::TimeOfDay(clock)),
            Some(EventTime::Local(day.and_time(clock))),
            Some(EventTime::Utc(day.and_time(clock).and_utc())),
        ];
        for (i, t) in times.into_iter().enumerate() {
            base.time = t;
            base.end_time = t;
            base.host = (i % 2 == 1).then(|| "web\"01".to_string());
            base.instance.host = base.host.clone();
            base.pid = (i % 3 != 0).then_some(4_294_967_295);
            base.instance.pid = base.pid;
            base.tid = Some(i as u32);
            base.hresult = Some(HResult([0, 0x8007_0490, 0xffff_ffff, 0xe][i % 4]));
            base.source.position = [
                Position::Line(i as u64),
                Position::Offset(77),
                Position::Sequence(3),
            ][i % 3];
            base.cert_warnings = vec!["expired".into(); i % 3];
            same_as_serde(&base);
        }
    }

    /// Every digit count's edges (random numbers seldom fall on them).
    #[test]
    fn numbers_print_like_std_near_powers_of_ten() {
        let edges = (0..20u32)
            .flat_map(|p| (-2..=2i64).map(move |o| 10u64.pow(p).saturating_add_signed(o)));
        for v in edges.chain([0, u64::from(u32::MAX), u64::from(u32::MAX) + 1, u64::MAX]) {
            let mut mine = used_buf(b"x");
            uint(&mut mine, v);
            assert_eq!(mine.as_slice(), format!("x{v}").as_bytes());
        }
    }

    proptest::proptest! {
        #[test]
        fn strings_escape_like_serde(
            s in "\\PC*|[\\x00-\\x7f]*|[ -~]{0,40}[\\x00-\\x1f\"\\\\]?[ -~é]{0,40}"
        ) {
            let mut mine = used_buf(b"");
            string(&mut mine, &s);
            proptest::prop_assert_eq!(mine.as_slice(), serde_json::to_vec(&s).unwrap());
        }

        #[test]
        fn numbers_print_like_std(n in proptest::num::u64::ANY, small in 0u64..1_000_000, width in 8usize..=20) {
            for v in [n, small, n >> (n % 64)] {
                let mut mine = used_buf(b"x");
                uint(&mut mine, v);
                proptest::prop_assert_eq!(mine.as_slice(), format!("x{v}").into_bytes());
            }
            let mut mine = used_buf(b"");
            padded(&mut mine, small, width);
            proptest::prop_assert_eq!(mine.as_slice(), format!("{small:0width$}").into_bytes());
        }
    }

    /// Static strings are scanned once and then written as they are; those
    /// that need escaping are escaped every time, and more distinct ones
    /// than the buffer remembers are still written right.
    #[test]
    fn static_strings_escape_like_serde() {
        const NAMES: [&str; 12] = [
            "elapsed",
            "a\"b",
            "unknown",
            "c\\d",
            "ERROR_NOT_FOUND",
            "e\u{1}f",
            "identified",
            "x",
            "y",
            "z",
            "w",
            "\u{e9}t\u{e9}",
        ];
        let mut buf = used_buf(b"");
        // Each name twice in a row (remembered), all of them in turn (more
        // than are remembered).
        for round in 0..3 {
            for name in NAMES.iter().flat_map(|n| [n, n]) {
                let start = buf.len();
                static_string(&mut buf, name);
                assert_eq!(
                    &buf.as_slice()[start..],
                    serde_json::to_vec(name).unwrap(),
                    "{name:?} in round {round}"
                );
            }
        }
        let owned = std::borrow::Cow::Owned("o\"k".to_string());
        let mut buf = used_buf(b"");
        opt_cow(&mut buf, Some(&owned));
        assert_eq!(buf.as_slice(), br#""o\"k""#);
    }

    #[test]
    fn number_edges() {
        for v in [
            0,
            9,
            10,
            99,
            100,
            101,
            999,
            1000,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut mine = used_buf(b"");
            uint(&mut mine, v);
            assert_eq!(mine.as_slice(), v.to_string().as_bytes());
        }
    }
}
