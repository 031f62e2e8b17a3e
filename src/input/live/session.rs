//! ETW session names and Windows error codes: the rules, portable.

/// The session name `certtrace live --etw` uses unless `--session` says
/// otherwise. Fixed and documented, so a leftover session from a crashed run
/// is recognised (and `logman stop certtrace -ets` stops it by hand).
pub const DEFAULT_SESSION: &str = "certtrace";

/// Longest accepted session name, in UTF-16 code units. Windows allows 1024
/// characters; certtrace keeps the limit of 200 it had with ferrisetw (which
/// truncated longer names) so that names that worked still work, and no
/// more.
pub const MAX_SESSION_NAME_UNITS: usize = 200;

/// Longest `--save FILE.etl` path (UTF-16 code units), same limit.
pub const MAX_ETL_PATH_UNITS: usize = 200;

/// Sessions that belong to Windows or to other tools. certtrace stops a
/// leftover session of its own name before starting; it must never do that
/// to one of these. Compared ignoring ASCII case.
const RESERVED_NAMES: &[&str] = &[
    "NT Kernel Logger",
    "Circular Kernel Context Logger",
    "Global Logger",
    "GlobalLogger",
    "AutoLogger",
    "DiagLog",
    "Diagtrack-Listener",
    "DefenderApiLogger",
    "DefenderAuditLogger",
    "EventLog-Application",
    "EventLog-System",
    "EventLog-Security",
    "ReadyBoot",
    "UBPM",
    "WiFiSession",
    "NtfsLog",
    "LwtNetLog",
    "SleepStudyTraceSession",
    "SgrmEtwSession",
    "ScreenOnPowerStudyTraceSession",
    "PerfDiag Logger",
];

/// Prefixes of Windows' own session families.
const RESERVED_PREFIXES: &[&str] = &["EventLog-", "AutoLogger-", "Microsoft-Windows-"];

/// Checks a `--session` name. `Err` says what is wrong, in words for the
/// operator.
pub fn validate_session_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the session name is empty".into());
    }
    if name.trim() != name {
        return Err("the session name starts or ends with white space".into());
    }
    let units = name.encode_utf16().count();
    if units > MAX_SESSION_NAME_UNITS {
        return Err(format!(
            "the session name is {units} characters long; at most {MAX_SESSION_NAME_UNITS} are supported"
        ));
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(format!(
            "the session name contains a control character ({c:?})"
        ));
    }
    if name.contains('\\') {
        return Err("the session name contains a backslash".into());
    }
    let reserved = RESERVED_NAMES.iter().any(|r| r.eq_ignore_ascii_case(name))
        || RESERVED_PREFIXES.iter().any(|p| {
            name.len() >= p.len()
                && name.is_char_boundary(p.len())
                && name[..p.len()].eq_ignore_ascii_case(p)
        });
    if reserved {
        return Err(format!(
            "{name:?} is the name of a Windows (or other tool's) session; certtrace stops and \
             replaces an existing session of its name, so pick another (default {DEFAULT_SESSION:?})"
        ));
    }
    Ok(())
}

/// Checks a `--save FILE.etl` path (as it will be handed to Windows).
pub fn validate_etl_path(path: &str) -> Result<(), String> {
    let units = path.encode_utf16().count();
    if units > MAX_ETL_PATH_UNITS {
        return Err(format!(
            "the .etl path is {units} characters long; at most {MAX_ETL_PATH_UNITS} are supported"
        ));
    }
    if path.is_empty() {
        return Err("the .etl path is empty".into());
    }
    Ok(())
}

/// Windows error codes certtrace tells apart.
pub mod code {
    pub const ERROR_ACCESS_DENIED: u32 = 5;
    pub const ERROR_INVALID_PARAMETER: u32 = 87;
    pub const ERROR_BAD_PATHNAME: u32 = 161;
    pub const ERROR_ALREADY_EXISTS: u32 = 183;
    pub const ERROR_NO_SYSTEM_RESOURCES: u32 = 1450;
    pub const ERROR_WMI_INSTANCE_NOT_FOUND: u32 = 4201;
    pub const ERROR_PRIVILEGE_NOT_HELD: u32 = 1314;
}

/// The Win32 error in a raw OS error value: ferrisetw hands HRESULTs
/// (`0x8007xxxx`, HRESULT_FROM_WIN32) to `io::Error::from_raw_os_error`,
/// Windows APIs give plain Win32 codes; both map to the Win32 code.
pub fn win32_code(raw: i32) -> u32 {
    let r = raw as u32;
    if r & 0xFFFF_0000 == 0x8007_0000 {
        r & 0xFFFF
    } else {
        r
    }
}

/// A short name for the codes an operator meets, for messages.
pub fn describe_code(code: u32) -> String {
    let name = match code {
        code::ERROR_ACCESS_DENIED => "access denied",
        code::ERROR_INVALID_PARAMETER => "invalid parameter",
        code::ERROR_BAD_PATHNAME => "bad path name",
        code::ERROR_ALREADY_EXISTS => "already exists",
        code::ERROR_NO_SYSTEM_RESOURCES => "no system resources (too many ETW sessions?)",
        code::ERROR_WMI_INSTANCE_NOT_FOUND => "no such session",
        code::ERROR_PRIVILEGE_NOT_HELD => "privilege not held",
        _ => return format!("Windows error {code}"),
    };
    format!("{name} (Windows error {code})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_and_ordinary_names_are_valid() {
        assert_eq!(validate_session_name(DEFAULT_SESSION), Ok(()));
        assert_eq!(validate_session_name("certtrace-2"), Ok(()));
        assert_eq!(validate_session_name("my trace (iis)"), Ok(()));
        assert_eq!(validate_session_name("spüren"), Ok(()));
    }

    #[test]
    fn length_limit_counts_utf16_units() {
        assert!(validate_session_name(&"a".repeat(200)).is_ok());
        assert!(validate_session_name(&"a".repeat(201)).is_err());
        // 100 astral characters are 200 UTF-16 units.
        assert!(validate_session_name(&"😀".repeat(100)).is_ok());
        assert!(validate_session_name(&"😀".repeat(101)).is_err());
        assert!(validate_session_name(&"a".repeat(1025)).is_err());
    }

    #[test]
    fn malformed_names_are_refused() {
        assert!(validate_session_name("").is_err());
        assert!(validate_session_name(" certtrace").is_err());
        assert!(validate_session_name("certtrace\t").is_err());
        assert!(validate_session_name("cert\ntrace").is_err());
        assert!(validate_session_name("cert\0trace").is_err());
        assert!(validate_session_name("Global\\certtrace").is_err());
    }

    #[test]
    fn windows_sessions_are_never_taken() {
        for n in [
            "NT Kernel Logger",
            "nt kernel logger",
            "EventLog-System",
            "eventlog-Microsoft-Windows-Foo",
            "DiagLog",
            "Microsoft-Windows-Rdp-Graphics-RdpIdd-Trace",
        ] {
            let e = validate_session_name(n).unwrap_err();
            assert!(e.contains("Windows"), "{n}: {e}");
        }
        // Not a prefix match on a character boundary problem.
        assert!(validate_session_name("EventLoü").is_ok());
    }

    #[test]
    fn etl_paths() {
        assert!(validate_etl_path(r"C:\traces\capture.etl").is_ok());
        assert!(validate_etl_path(&format!(r"C:\{}.etl", "x".repeat(300))).is_err());
        assert!(validate_etl_path("").is_err());
    }

    #[test]
    fn hresults_and_win32_codes_agree() {
        assert_eq!(win32_code(5), 5);
        assert_eq!(win32_code(0x8007_0005_u32 as i32), 5);
        assert_eq!(win32_code(0x8007_00B7_u32 as i32), 183);
        assert_eq!(win32_code(0x8000_4005_u32 as i32), 0x8000_4005);
        assert_eq!(describe_code(5), "access denied (Windows error 5)");
        assert_eq!(describe_code(12345), "Windows error 12345");
    }
}
