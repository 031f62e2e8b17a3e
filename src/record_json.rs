//! A hand-written JSON writer for request records, the one record type of
//! which a capture has hundreds of thousands: byte-for-byte the output of the
//! serde derive (a test checks that), without its per-field overhead.

use std::fmt::Write as _;

use crate::record::RequestRecord;

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

/// Appends `"…"` with JSON escaping exactly as serde_json does it.
pub fn string(buf: &mut Vec<u8>, s: &str) {
    buf.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    while let Some(off) = bytes[start..]
        .iter()
        .position(|&b| NEEDS_ESCAPE[b as usize])
    {
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

fn key(buf: &mut Vec<u8>, k: &str) {
    buf.push(b',');
    buf.push(b'"');
    buf.extend_from_slice(k.as_bytes());
    buf.extend_from_slice(b"\":");
}

fn uint(buf: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
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

/// Appends a `Display` value as a JSON string.
fn display(buf: &mut Vec<u8>, scratch: &mut String, v: &dyn std::fmt::Display) {
    scratch.clear();
    let _ = write!(scratch, "{v}");
    string(buf, scratch);
}

fn opt_display<T: std::fmt::Display>(buf: &mut Vec<u8>, scratch: &mut String, v: Option<&T>) {
    match v {
        Some(v) => display(buf, scratch, v),
        None => buf.extend_from_slice(b"null"),
    }
}

/// The record's fields, starting with a comma (the caller has written
/// `{"type":"request","schema_version":1`), and the closing brace.
pub fn request_fields(buf: &mut Vec<u8>, r: &RequestRecord) {
    let mut scratch = String::new();
    key(buf, "instance");
    display(buf, &mut scratch, &r.instance);
    key(buf, "host");
    opt_str(buf, r.host.as_deref());
    key(buf, "pid");
    opt_uint(buf, r.pid.map(u64::from));
    key(buf, "tid");
    opt_uint(buf, r.tid.map(u64::from));
    key(buf, "cnt");
    uint(buf, r.cnt);
    key(buf, "uri");
    string(buf, &r.uri);
    key(buf, "time");
    opt_display(buf, &mut scratch, r.time.as_ref());
    key(buf, "time_kind");
    opt_str(buf, r.time_kind.map(crate::event::TimeKind::as_str));
    key(buf, "end_time");
    opt_display(buf, &mut scratch, r.end_time.as_ref());
    key(buf, "outcome");
    string(buf, r.outcome.as_str());
    key(buf, "hresult");
    opt_display(buf, &mut scratch, r.hresult.as_ref());
    key(buf, "hresult_name");
    opt_str(buf, r.hresult_name.as_deref());
    key(buf, "hresult_hint");
    opt_str(buf, r.hresult_hint.as_deref());
    key(buf, "cert_size");
    opt_uint(buf, r.cert_size.map(u64::from));
    key(buf, "cert_crc");
    opt_uint(buf, r.cert_crc.map(u64::from));
    key(buf, "previously_negotiated");
    opt_bool(buf, r.previously_negotiated);
    key(buf, "fcc_neg");
    opt_bool(buf, r.fcc_neg);
    key(buf, "forced_negotiation");
    opt_bool(buf, r.forced_negotiation);
    key(buf, "assignment");
    string(
        buf,
        match r.assignment {
            crate::record::Assignment::Exact => "exact",
            crate::record::Assignment::Inferred => "inferred",
        },
    );
    key(buf, "duplicate_cnt");
    buf.extend_from_slice(if r.duplicate_cnt { b"true" } else { b"false" });
    key(buf, "source");
    display(buf, &mut scratch, &r.source);
    key(buf, "messages");
    uint(buf, u64::from(r.messages));
    key(buf, "cert");
    match &r.cert {
        // Rare enough (one per identified request) to go through serde.
        Some(c) => {
            let _ = serde_json::to_writer(&mut *buf, c);
        }
        None => buf.extend_from_slice(b"null"),
    }
    key(buf, "cert_status");
    opt_str(buf, r.cert_status);
    key(buf, "cert_warnings");
    buf.push(b'[');
    for (i, w) in r.cert_warnings.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        string(buf, w);
    }
    buf.push(b']');
    buf.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::correlate::{CorrelateOptions, correlate_all};
    use crate::record::Record;
    use crate::simulate::{SimConfig, Simulation};
    use crate::sources::{ReadOptions, SourceItem, TextSource};

    fn same_as_serde(r: &RequestRecord) {
        let mut mine = b"{\"x\":0".to_vec();
        request_fields(&mut mine, r);
        let mut theirs = serde_json::to_vec(r).unwrap();
        theirs.splice(0..1, b"{\"x\":0,".iter().copied());
        assert_eq!(
            String::from_utf8_lossy(&mine),
            String::from_utf8_lossy(&theirs)
        );
    }

    #[test]
    fn matches_serde_on_simulated_records() {
        let certs = crate::demo::demo_certificates();
        let sim = Simulation::run(&SimConfig::realistic(5, 500, certs));
        let log = sim.debugview_log();
        let events: Vec<_> =
            TextSource::new(log.as_bytes(), "a\"b\\c.log".into(), ReadOptions::default())
                .filter_map(|i| match i {
                    SourceItem::Event(e) => Some(e),
                    _ => None,
                })
                .collect();
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

    proptest::proptest! {
        #[test]
        fn strings_escape_like_serde(s in "\\PC*|[\\x00-\\x7f]*") {
            let mut mine = Vec::new();
            string(&mut mine, &s);
            proptest::prop_assert_eq!(mine, serde_json::to_vec(&s).unwrap());
        }
    }
}
