//! Decoding of ETW payload pieces that do not need Windows: string-only
//! event payloads (UTF-16LE), FILETIME timestamps, GUID text.

use chrono::{DateTime, Utc};

use crate::input::provider::Guid;

/// `EVENT_HEADER_FLAG_STRING_ONLY`: the event's payload is one UTF-16LE
/// string (`EventWriteString`), with no schema.
pub const EVENT_HEADER_FLAG_STRING_ONLY: u16 = 0x0004;

/// A decoded UTF-16 payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedText {
    pub text: String,
    /// How many U+FFFD replacement characters decoding had to insert (lone
    /// surrogates, a dangling odd byte).
    pub replaced: usize,
}

/// Decodes the payload of a string-only event: UTF-16LE code units up to the
/// first NUL unit (or the end of the payload when it has none). An odd final
/// byte cannot be a code unit: it becomes one U+FFFD. Unpaired surrogates
/// become U+FFFD each. Every replacement is counted.
pub fn decode_utf16le_payload(bytes: &[u8]) -> DecodedText {
    let mut units = Vec::with_capacity(bytes.len() / 2);
    let mut terminated = false;
    for pair in bytes.chunks_exact(2) {
        let u = u16::from_le_bytes([pair[0], pair[1]]);
        if u == 0 {
            terminated = true;
            break;
        }
        units.push(u);
    }
    let mut text = String::with_capacity(units.len());
    let mut replaced = 0;
    for r in char::decode_utf16(units.iter().copied()) {
        match r {
            Ok(c) => text.push(c),
            Err(_) => {
                text.push(char::REPLACEMENT_CHARACTER);
                replaced += 1;
            }
        }
    }
    if !terminated && bytes.len() % 2 == 1 {
        text.push(char::REPLACEMENT_CHARACTER);
        replaced += 1;
    }
    DecodedText { text, replaced }
}

/// 100-ns intervals between 1601-01-01 and 1970-01-01.
const FILETIME_UNIX_EPOCH: i64 = 116_444_736_000_000_000;

/// Converts an ETW timestamp (FILETIME: 100-ns ticks since 1601-01-01 UTC,
/// what `ProcessTrace` delivers unless raw timestamps are asked for) to UTC.
pub fn filetime_to_utc(ticks: i64) -> Option<DateTime<Utc>> {
    if ticks <= 0 {
        return None;
    }
    let since_unix = ticks.checked_sub(FILETIME_UNIX_EPOCH)?;
    let secs = since_unix.div_euclid(10_000_000);
    let nanos = (since_unix.rem_euclid(10_000_000) * 100) as u32;
    DateTime::from_timestamp(secs, nanos)
}

/// The activity id as certtrace shows it: lowercase GUID text, `None` for
/// the nil GUID (no activity).
pub fn activity_text(g: Guid) -> Option<String> {
    if g.is_nil() {
        None
    } else {
        Some(g.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn le(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    #[test]
    fn nul_terminated_string_stops_at_the_nul() {
        let mut b = le("Line: 45 rMsg1638: cert size: 1042 Previously negotiated 1\n");
        b.extend([0, 0]);
        b.extend(le("garbage after the terminator"));
        let d = decode_utf16le_payload(&b);
        assert_eq!(
            d.text,
            "Line: 45 rMsg1638: cert size: 1042 Previously negotiated 1\n"
        );
        assert_eq!(d.replaced, 0);
    }

    #[test]
    fn unterminated_and_empty_payloads() {
        assert_eq!(decode_utf16le_payload(&le("abc")).text, "abc");
        assert_eq!(
            decode_utf16le_payload(&[]),
            DecodedText {
                text: String::new(),
                replaced: 0
            }
        );
        assert_eq!(decode_utf16le_payload(&[0, 0]).text, "");
    }

    #[test]
    fn odd_length_gives_one_replacement() {
        let mut b = le("ab");
        b.push(b'c');
        let d = decode_utf16le_payload(&b);
        assert_eq!(d.text, "ab\u{FFFD}");
        assert_eq!(d.replaced, 1);
        // An odd byte after the terminator is not part of the string.
        let mut b = le("ab");
        b.extend([0, 0, 7]);
        assert_eq!(decode_utf16le_payload(&b).replaced, 0);
    }

    #[test]
    fn lone_surrogates_are_replaced_and_counted() {
        // 'a', lone high surrogate, 'b', lone low surrogate, valid pair (U+1F600)
        let units: [u16; 6] = [0x61, 0xD800, 0x62, 0xDC00, 0xD83D, 0xDE00];
        let b: Vec<u8> = units.iter().flat_map(|u| u.to_le_bytes()).collect();
        let d = decode_utf16le_payload(&b);
        assert_eq!(d.text, "a\u{FFFD}b\u{FFFD}\u{1F600}");
        assert_eq!(d.replaced, 2);
    }

    #[test]
    fn non_ascii_survives() {
        let d = decode_utf16le_payload(&le("URI: https://bücher.example/ä"));
        assert_eq!(d.text, "URI: https://bücher.example/ä");
    }

    #[test]
    fn filetime_conversion() {
        // 2026-06-23T16:23:14.1234567Z
        let t = chrono::DateTime::parse_from_rfc3339("2026-06-23T16:23:14.1234567Z")
            .unwrap()
            .with_timezone(&Utc);
        let ticks = FILETIME_UNIX_EPOCH
            + t.timestamp() * 10_000_000
            + i64::from(t.timestamp_subsec_nanos() / 100);
        assert_eq!(filetime_to_utc(ticks), Some(t));
        assert_eq!(filetime_to_utc(FILETIME_UNIX_EPOCH).unwrap().timestamp(), 0);
        assert_eq!(filetime_to_utc(0), None);
        // Before 1970 is still a valid instant.
        assert!(filetime_to_utc(1).is_some());
    }

    #[test]
    fn nil_activity_is_none() {
        assert_eq!(activity_text(Guid::default()), None);
        let g: Guid = "ce5fa4ea-ab00-5402-8b76-9f76ac858fb5".parse().unwrap();
        assert_eq!(
            activity_text(g).as_deref(),
            Some("ce5fa4ea-ab00-5402-8b76-9f76ac858fb5")
        );
    }
}
