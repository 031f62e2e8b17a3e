//! The request record's JSON: the one writer of the record type a capture
//! has hundreds of thousands of. Written by hand (keys as literals, numbers
//! by `itoa`) because serde's derive, which escapes every key, made the
//! whole `read --format ndjson` run a third slower (bench/README.md).
//! A new request field is one line in [`request_fields`] and one in
//! docs/schema/record.schema.json, which the test suite checks.

use crate::certs::identify::CertRecord;
use crate::input::event::{EventTime, Origin, Position, elapsed_units};
use crate::parse::hresult::HResult;
use crate::record::{InstanceId, RequestRecord};

/// The record's fields, starting with a comma (the caller has written
/// `{"type":"request","schema_version":1`), and the closing brace.
pub fn request_fields(buf: &mut Vec<u8>, r: &RequestRecord) {
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
    opt_str(buf, r.time_kind.map(crate::input::event::TimeKind::as_str));
    buf.extend_from_slice(b",\"end_time\":");
    time(buf, r.end_time.as_ref());
    buf.extend_from_slice(b",\"outcome\":");
    string(buf, r.outcome.as_str());
    buf.extend_from_slice(b",\"hresult\":");
    hresult(buf, r.hresult);
    buf.extend_from_slice(b",\"hresult_name\":");
    opt_str(buf, r.hresult_name.as_deref());
    buf.extend_from_slice(b",\"hresult_hint\":");
    opt_str(buf, r.hresult_hint.as_deref());
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
    buf.extend_from_slice(b",\"assignment\":");
    string(buf, r.assignment.as_str());
    buf.extend_from_slice(b",\"confidence\":");
    match r.confidence {
        Some(c) => confidence(buf, c),
        None => buf.extend_from_slice(b"null"),
    }
    buf.extend_from_slice(b",\"duplicate_cnt\":");
    opt_bool(buf, Some(r.duplicate_cnt));
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
    opt_str(buf, r.cert_status);
    buf.extend_from_slice(b",\"cert_warnings\":");
    buf.push(b'[');
    for (i, w) in r.cert_warnings.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        string(buf, w);
    }
    buf.extend_from_slice(b"]}");
}

/// Bytes that JSON strings must escape (control characters, `"`, `\`).
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

/// `"…"` with JSON escaping exactly as serde_json does it.
pub fn string(buf: &mut Vec<u8>, s: &str) {
    buf.push(b'"');
    let bytes = s.as_bytes();
    // Most strings need no escaping: one pass without an early exit (which
    // the compiler vectorizes), then one copy.
    let clean = !bytes.iter().fold(false, |esc, &b| {
        esc | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if clean {
        buf.extend_from_slice(bytes);
        buf.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !NEEDS_ESCAPE[b as usize] {
            continue;
        }
        buf.extend_from_slice(&bytes[start..i]);
        start = i + 1;
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
                buf.extend_from_slice(&[HEX[(b >> 4) as usize], HEX[(b & 0xf) as usize]]);
            }
        }
    }
    buf.extend_from_slice(&bytes[start..]);
    buf.push(b'"');
}

fn uint(buf: &mut Vec<u8>, n: u64) {
    buf.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

fn opt_uint(buf: &mut Vec<u8>, n: Option<u64>) {
    match n {
        Some(n) => uint(buf, n),
        None => buf.extend_from_slice(b"null"),
    }
}

fn opt_str(buf: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => string(buf, s),
        None => buf.extend_from_slice(b"null"),
    }
}

fn opt_bool(buf: &mut Vec<u8>, b: Option<bool>) {
    buf.extend_from_slice(match b {
        Some(true) => b"true",
        Some(false) => b"false",
        None => b"null",
    });
}

/// A `Display` value as a JSON string.
fn display(buf: &mut Vec<u8>, v: &dyn std::fmt::Display) {
    string(buf, &v.to_string());
}

/// `"5120#1"`: [`InstanceId`]'s `Display`, without the formatter when
/// there is no host.
fn instance(buf: &mut Vec<u8>, id: &InstanceId) {
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

/// A time as [`EventTime`]'s `Display` writes it; elapsed seconds (every
/// DebugView record) without the formatter.
fn time(buf: &mut Vec<u8>, t: Option<&EventTime>) {
    let Some(t) = t else {
        return buf.extend_from_slice(b"null");
    };
    let units = match *t {
        EventTime::Elapsed(s) => elapsed_units(s),
        _ => None,
    };
    let Some(units) = units else {
        return display(buf, t);
    };
    buf.push(b'"');
    uint(buf, units / 100_000_000);
    let mut fraction = itoa::Buffer::new();
    let fraction = fraction.format(units % 100_000_000);
    buf.push(b'.');
    buf.extend(std::iter::repeat_n(b'0', 8 - fraction.len()));
    buf.extend_from_slice(fraction.as_bytes());
    buf.push(b'"');
}

/// `"file:line"`: [`Origin`]'s `Display`, without the formatter for text
/// inputs.
fn origin(buf: &mut Vec<u8>, o: &Origin) {
    let Position::Line(n) = o.position else {
        return display(buf, o);
    };
    string(buf, o.input.as_str());
    // `:<line>` goes inside the closing quote.
    buf.pop();
    buf.push(b':');
    uint(buf, n);
    buf.push(b'"');
}

/// `"8007000e"`: eight lowercase hex digits, or null.
fn hresult(buf: &mut Vec<u8>, h: Option<HResult>) {
    match h {
        Some(h) => display(buf, &h),
        None => buf.extend_from_slice(b"null"),
    }
}

/// A confidence (0-1, four decimals) as a JSON number: `1.0`, `0.5`,
/// `0.9871`.
fn confidence(buf: &mut Vec<u8>, c: f64) {
    let tenths_of_mille = (c.clamp(0.0, 1.0) * 1e4).round() as u32;
    if tenths_of_mille == 10_000 {
        return buf.extend_from_slice(b"1.0");
    }
    let digits = [1000, 100, 10, 1].map(|d| b'0' + (tenths_of_mille / d % 10) as u8);
    let len = digits.iter().rposition(|&d| d != b'0').map_or(1, |i| i + 1);
    buf.extend_from_slice(b"0.");
    buf.extend_from_slice(&digits[..len]);
}

/// The `cert` object of an identified request.
fn cert(buf: &mut Vec<u8>, c: &CertRecord) {
    let info = &c.cert;
    buf.push(b'{');
    for (i, (name, value)) in [
        ("thumbprint_sha1", &info.thumbprint_sha1),
        ("subject", &info.subject),
        ("issuer", &info.issuer),
        ("serial", &info.serial),
        ("not_before", &info.not_before),
        ("not_after", &info.not_after),
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            buf.push(b',');
        }
        string(buf, name);
        buf.push(b':');
        string(buf, value);
    }
    buf.extend_from_slice(b",\"identified_by\":");
    string(buf, c.identified_by.as_str());
    buf.extend_from_slice(b",\"search_depth\":");
    uint(buf, u64::from(c.search_depth));
    buf.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::correlate::{CorrelateOptions, correlate_all};
    use crate::record::Record;
    use crate::simulate::{SimConfig, Simulation};
    use serde_json::Value;

    fn parsed(r: &RequestRecord) -> Value {
        let mut buf = b"{\"type\":\"request\"".to_vec();
        request_fields(&mut buf, r);
        serde_json::from_slice(&buf).expect("valid JSON")
    }

    fn a_request() -> Box<RequestRecord> {
        let certs = crate::demo::demo_certificates();
        let sim = Simulation::run(&SimConfig::realistic(1, 50, certs));
        let events = crate::input::events_of(sim.debugview_log().as_bytes(), "x.log");
        correlate_all(&events, CorrelateOptions::default())
            .into_iter()
            .find_map(|r| match r {
                Record::Request(q) => Some(q),
                _ => None,
            })
            .unwrap()
    }

    /// Times, instances, sources and HRESULTs are written as their
    /// `Display` forms (the one definition of their text), whatever kind.
    #[test]
    fn fields_are_their_display_forms() {
        use chrono::{NaiveDate, NaiveTime};
        let mut r = a_request();
        let day = NaiveDate::from_ymd_opt(2026, 6, 23).unwrap();
        let clock = NaiveTime::from_hms_micro_opt(16, 23, 14, 120_500).unwrap();
        let times = [
            None,
            Some(EventTime::Elapsed(0.0)),
            Some(EventTime::Elapsed(12.345_678_915)),
            Some(EventTime::Elapsed(0.000_000_01)),
            Some(EventTime::Elapsed(9_999_999_999.5)),
            Some(EventTime::Elapsed(1e12)),
            Some(EventTime::TimeOfDay(clock)),
            Some(EventTime::Local(day.and_time(clock))),
            Some(EventTime::Utc(day.and_time(clock).and_utc())),
        ];
        for (i, t) in times.into_iter().enumerate() {
            r.time = t;
            r.host = (i % 2 == 1).then(|| "web\"01".to_string());
            r.instance.host = r.host.clone();
            r.pid = (i % 3 != 0).then_some(u32::MAX);
            r.instance.pid = r.pid;
            r.hresult = Some(HResult([0, 0x8007_0490, 0xffff_ffff, 0xe][i % 4]));
            r.source.position = [
                Position::Line(i as u64),
                Position::Offset(77),
                Position::Sequence(3),
            ][i % 3];
            r.cert_warnings = vec!["expired \"now\"".into(); i % 3];
            let v = parsed(&r);
            let text = |t: Option<&EventTime>| t.map(|t| Value::from(t.to_string()));
            assert_eq!(
                v["time"],
                text(r.time.as_ref()).unwrap_or(Value::Null),
                "{t:?}"
            );
            assert_eq!(v["instance"], r.instance.to_string());
            assert_eq!(v["host"], r.host.clone().map_or(Value::Null, Value::from));
            assert_eq!(v["pid"], r.pid.map_or(Value::Null, Value::from));
            assert_eq!(v["source"], r.source.to_string());
            assert_eq!(v["hresult"], r.hresult.unwrap().to_string());
            assert_eq!(v["cert_warnings"].as_array().unwrap().len(), i % 3);
            assert_eq!(v["uri"], r.uri.as_str());
            assert_eq!(v["cnt"], r.cnt);
        }
    }

    /// Confidence reads back as the value rounded to four decimals.
    #[test]
    fn confidence_is_a_number_of_four_decimals() {
        let mut r = a_request();
        for (c, text) in [
            (None, "null"),
            (Some(1.0), "1.0"),
            (Some(0.99996), "1.0"),
            (Some(0.5), "0.5"),
            (Some(0.98714), "0.9871"),
            (Some(0.0001), "0.0001"),
            (Some(0.0), "0.0"),
        ] {
            r.confidence = c;
            let mut buf = Vec::new();
            request_fields(&mut buf, &r);
            let line = String::from_utf8(buf).unwrap();
            assert!(line.contains(&format!(",\"confidence\":{text},")), "{line}");
        }
    }

    proptest::proptest! {
        #[test]
        fn strings_escape_like_serde(
            s in "\\PC*|[\\x00-\\x7f]*|[ -~]{0,40}[\\x00-\\x1f\"\\\\]?[ -~é]{0,40}"
        ) {
            let mut mine = Vec::new();
            string(&mut mine, &s);
            proptest::prop_assert_eq!(mine, serde_json::to_vec(&s).unwrap());
        }
    }
}
