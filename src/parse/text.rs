//! Byte-level text helpers of the per-line paths (message grammar and
//! capture readers).

/// `str::trim`, without decoding characters when both ends are printable
/// ASCII already (the usual case on the per-line paths).
pub fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// `str::trim_start`, without decoding characters when the first byte is
/// printable ASCII already.
pub fn trim_start(s: &str) -> &str {
    match s.as_bytes().first() {
        Some(a) if a.is_ascii_graphic() => s,
        _ => s.trim_start(),
    }
}

/// The decimal digits at `b[from..]`, at most `max` (at most 19, so the
/// value fits): their value and how many there were.
pub fn leading_digits(b: &[u8], from: usize, max: usize) -> (u64, usize) {
    let max = max.min(19);
    let mut n: u64 = 0;
    let mut i = from;
    while i - from < max
        && let Some(d) = b.get(i).filter(|d| d.is_ascii_digit())
    {
        n = n * 10 + u64::from(d - b'0');
        i += 1;
    }
    (n, i - from)
}
