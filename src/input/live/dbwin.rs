//! The DBWIN (OutputDebugString) protocol's data, portable: buffer layout,
//! line splitting as DebugView does it, and the `--process` filter.
//!
//! A writer (`OutputDebugStringA/W` in the traced process) waits for the
//! `DBWIN_BUFFER_READY` event, writes into the 4096-byte `DBWIN_BUFFER`
//! mapping its process id (u32, little-endian) followed by the message in
//! the ANSI code page, NUL-terminated (at most 4091 bytes of text), and sets
//! `DBWIN_DATA_READY`. The listener copies the buffer out and sets
//! `DBWIN_BUFFER_READY` again.

/// Size of the `DBWIN_BUFFER` mapping.
pub const DBWIN_BUFFER_SIZE: usize = 4096;

/// The kernel object names; with `--global` each gets the `Global\` prefix.
pub const BUFFER_NAME: &str = "DBWIN_BUFFER";
pub const BUFFER_READY_NAME: &str = "DBWIN_BUFFER_READY";
pub const DATA_READY_NAME: &str = "DBWIN_DATA_READY";

/// The object name to create: `DBWIN_BUFFER` or `Global\DBWIN_BUFFER`.
pub fn object_name(base: &str, global: bool) -> String {
    if global {
        format!("Global\\{base}")
    } else {
        base.to_string()
    }
}

/// Splits a filled DBWIN buffer into the writer's pid and the message bytes
/// (ANSI, up to the first NUL or the end of the buffer). `None` when the
/// buffer is too short to hold a pid.
pub fn parse_dbwin_buffer(buf: &[u8]) -> Option<(u32, &[u8])> {
    let pid = u32::from_le_bytes(buf.get(..4)?.try_into().ok()?);
    let rest = &buf[4..];
    let end = memchr::memchr(0, rest).unwrap_or(rest.len());
    Some((pid, &rest[..end]))
}

/// The lines DebugView shows for one OutputDebugString message: a message
/// ending in a newline is one line (the module appends `\n` to every
/// message); embedded newlines split it into several; `\r` at a line end is
/// dropped. An empty message is one empty line.
pub fn split_debug_lines(text: &str) -> Vec<&str> {
    let body = text
        .strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t))
        .unwrap_or(text);
    body.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect()
}

/// The file name in a process image path (`C:\Windows\System32\inetsrv\w3wp.exe`
/// → `w3wp.exe`), either separator.
pub fn exe_name(image_path: &str) -> &str {
    image_path.rsplit(['\\', '/']).next().unwrap_or(image_path)
}

/// The `--process` filter: compares exe names ignoring case; a filter
/// without an extension also matches the name without `.exe`
/// (`w3wp` matches `w3wp.exe`). A filter with a path compares only its file
/// name.
pub fn process_matches(filter: &str, image_path: &str) -> bool {
    let want = exe_name(filter.trim());
    let have = exe_name(image_path);
    if want.eq_ignore_ascii_case(have) {
        return true;
    }
    if !want.contains('.')
        && let Some(stem) = have
            .len()
            .checked_sub(4)
            .filter(|&i| have.is_char_boundary(i) && have[i..].eq_ignore_ascii_case(".exe"))
            .map(|i| &have[..i])
    {
        return want.eq_ignore_ascii_case(stem);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buffer(pid: u32, text: &[u8]) -> Vec<u8> {
        let mut b = vec![0xAA; DBWIN_BUFFER_SIZE];
        b[..4].copy_from_slice(&pid.to_le_bytes());
        b[4..4 + text.len()].copy_from_slice(text);
        b[4 + text.len()] = 0;
        b
    }

    #[test]
    fn buffer_gives_pid_and_text_up_to_nul() {
        let b = buffer(
            5120,
            b"Line: 45 rMsg1638: cert size: 1042 Previously negotiated 1\n",
        );
        let (pid, text) = parse_dbwin_buffer(&b).unwrap();
        assert_eq!(pid, 5120);
        assert_eq!(
            text,
            b"Line: 45 rMsg1638: cert size: 1042 Previously negotiated 1\n"
        );
    }

    #[test]
    fn unterminated_and_short_buffers() {
        let mut b = vec![b'x'; 10];
        b[..4].copy_from_slice(&7u32.to_le_bytes());
        assert_eq!(parse_dbwin_buffer(&b), Some((7, &b"xxxxxx"[..])));
        assert_eq!(parse_dbwin_buffer(&[1, 2, 3]), None);
        assert_eq!(parse_dbwin_buffer(&[1, 0, 0, 0]), Some((1, &b""[..])));
    }

    #[test]
    fn lines_split_like_debugview() {
        assert_eq!(
            split_debug_lines("Line: 28 rMsg1638: x\n"),
            ["Line: 28 rMsg1638: x"]
        );
        assert_eq!(split_debug_lines("no newline"), ["no newline"]);
        assert_eq!(split_debug_lines("a\nb\n"), ["a", "b"]);
        assert_eq!(split_debug_lines("a\r\nb\r\n"), ["a", "b"]);
        assert_eq!(split_debug_lines("a\n\nb"), ["a", "", "b"]);
        assert_eq!(split_debug_lines(""), [""]);
        assert_eq!(split_debug_lines("\n"), [""]);
        // CHK_HR_LOG has no newline and keeps its spacing.
        assert_eq!(
            split_debug_lines("rMsg1638 FAILURE at : 77 HR = 80070490      x"),
            ["rMsg1638 FAILURE at : 77 HR = 80070490      x"]
        );
    }

    #[test]
    fn object_names() {
        assert_eq!(object_name(BUFFER_NAME, false), "DBWIN_BUFFER");
        assert_eq!(
            object_name(DATA_READY_NAME, true),
            "Global\\DBWIN_DATA_READY"
        );
    }

    #[test]
    fn process_filter() {
        let w3wp = r"C:\Windows\System32\inetsrv\w3wp.exe";
        assert!(process_matches("w3wp.exe", w3wp));
        assert!(process_matches("W3WP.EXE", w3wp));
        assert!(process_matches("w3wp", w3wp));
        assert!(process_matches(
            r"c:\windows\system32\inetsrv\W3wp.exe",
            w3wp
        ));
        assert!(!process_matches("w3", w3wp));
        assert!(!process_matches("w3wp.ex", w3wp));
        assert!(!process_matches("svchost.exe", w3wp));
        assert!(process_matches("odsproducer.exe", "Z:/tmp/odsproducer.exe"));
        assert!(process_matches("tool.v2", "tool.v2"));
        assert!(!process_matches("w3wp", "w3wp.dll"));
        assert_eq!(exe_name("w3wp.exe"), "w3wp.exe");
    }
}
