//! The exit-code contract (docs/exit-codes.md), held for every subcommand:
//! 0 done; 1 an input or certificate file could not be read; 2 usage; 3
//! `--fail-on` fired. One row per (subcommand, case): the code, and where
//! its message goes (stderr; stdout never carries a warning).

mod support;

use std::path::Path;

use assert_cmd::Command;

/// Where a row's message must appear.
#[derive(Debug, Clone, Copy)]
enum Says {
    /// Nothing on stderr.
    Nothing,
    /// This text on stderr (and not on stdout).
    Stderr(&'static str),
}

struct Row {
    cmd: &'static str,
    case: &'static str,
    args: &'static [&'static str],
    code: i32,
    says: Says,
}

const fn row(
    cmd: &'static str,
    case: &'static str,
    args: &'static [&'static str],
    code: i32,
    says: Says,
) -> Row {
    Row {
        cmd,
        case,
        args,
        code,
        says,
    }
}

use Says::{Nothing, Stderr};

/// A worker process that starts (its module loads) and serves requests; a
/// second one fails a request.
const FIRST_STARTS: &str = "\
00000001\t0.00000000\t[5120] Line: 27 rMsg1638: DBGVIEWCLEAR DBG-VIEW-CLEAR RegisterModule one time call when loading DLL\t\r\n\
00000002\t0.00001000\t[5120] Line: 28 rMsg1638: Trace Window Reset FILE = c:\\src\\mymodule.cpp Build Tue Jun 23 16:23:14 2026\t\r\n\
00000003\t0.01000000\t[5120] Line: 28 rMsg1638: cnt = 1 URI: http://shop.example:80/ FILE = c:\\src\\mymodule.cpp Build Tue Jun 23 16:23:14 2026\t\r\n\
00000004\t0.01001000\t[5120] Line: 32 rMsg1638: connection is not using SSL\t\r\n\
00000005\t0.02000000\t[6044] Line: 27 rMsg1638: DBGVIEWCLEAR DBG-VIEW-CLEAR RegisterModule one time call when loading DLL\t\r\n\
00000006\t0.02001000\t[6044] Line: 28 rMsg1638: Trace Window Reset FILE = c:\\src\\mymodule.cpp Build Tue Jun 23 16:23:14 2026\t\r\n\
00000007\t0.03000000\t[6044] Line: 28 rMsg1638: cnt = 1 URI: https://api.example:443/v1 FILE = c:\\src\\mymodule.cpp Build Tue Jun 23 16:23:14 2026\t\r\n\
00000008\t0.03001000\t[6044] Line: 40 rMsg1638: HR = 80070490  Cert not found\t\r\n";

/// The same, and then process 5120 starts again on its pid (a recycle).
const RECYCLE: &str = "\
00000009\t0.04000000\t[5120] Line: 27 rMsg1638: DBGVIEWCLEAR DBG-VIEW-CLEAR RegisterModule one time call when loading DLL\t\r\n\
00000010\t0.04001000\t[5120] Line: 28 rMsg1638: Trace Window Reset FILE = c:\\src\\mymodule.cpp Build Tue Jun 23 16:23:14 2026\t\r\n\
00000011\t0.05000000\t[5120] Line: 28 rMsg1638: cnt = 1 URI: http://shop.example:80/ FILE = c:\\src\\mymodule.cpp Build Tue Jun 23 16:23:14 2026\t\r\n\
00000012\t0.05001000\t[5120] Line: 32 rMsg1638: connection is not using SSL\t\r\n";

#[rustfmt::skip]
const ROWS: &[Row] = &[
    // read
    row("read", "done", &["read", "capture.log"], 0, Nothing),
    row("read", "--fail-on recycle, first starts only", &["read", "capture.log", "--fail-on", "recycle"], 0, Nothing),
    row("read", "empty --certs directory warns", &["read", "capture.log", "--certs", "empty"], 0, Stderr("--certs empty: no certificate could be loaded")),
    row("read", "duplicate certificates warn, naming --certs", &["read", "capture.log", "--certs", "certs", "--certs", "certs"], 0, Stderr("warning: --certs: 1 duplicate certificate(s)")),
    row("read", "input missing", &["read", "missing.log", "capture.log"], 1, Stderr("missing.log: no such file")),
    row("read", "certificate file unreadable", &["read", "capture.log", "--certs", "unreadable-certs"], 1, Stderr("dangling.der: cannot read")),
    row("read", "--uri not a regex", &["read", "capture.log", "--uri", "("], 2, Stderr("'--uri <REGEX>'")),
    row("read", "--certs path missing", &["read", "capture.log", "--certs", "nope"], 2, Stderr("'--certs <PATH>': no such file or directory")),
    row("read", "--until 0", &["read", "capture.log", "--until", "0"], 2, Stderr("--until")),
    row("read", "--outcome unknown", &["read", "capture.log", "--outcome", "nope"], 2, Stderr("--outcome")),
    row("read", "--since not a time", &["read", "capture.log", "--since", "noon"], 2, Stderr("--since")),
    row("read", "--fail-on unknown", &["read", "capture.log", "--fail-on", "boom"], 2, Stderr("--fail-on")),
    row("read", "--format dashboard without a terminal", &["read", "capture.log", "--format", "dashboard"], 2, Stderr("needs a terminal")),
    row("read", "stdin twice", &["read", "-", "-"], 2, Stderr("only once")),
    row("read", "--fail-on fired", &["read", "capture.log", "--fail-on", "cert_not_found"], 3, Stderr("--fail-on")),
    row("read", "--fail-on recycle, a real recycle", &["read", "recycle.log", "--fail-on", "recycle"], 3, Stderr("--fail-on")),
    // tail
    row("tail", "done (--until)", &["tail", "--from-start", "--duration", "20", "--until", "1", "capture.log"], 0, Nothing),
    row("tail", "certificate file unreadable", &["tail", "--from-start", "--duration", "20", "--until", "1", "capture.log", "--certs", "unreadable-certs"], 1, Stderr("dangling.der: cannot read")),
    row("tail", "--uri not a regex", &["tail", "capture.log", "--uri", "("], 2, Stderr("'--uri <REGEX>'")),
    row("tail", "--certs path missing", &["tail", "capture.log", "--certs", "nope"], 2, Stderr("'--certs <PATH>'")),
    row("tail", "--duration not a number", &["tail", "capture.log", "--duration", "soon"], 2, Stderr("--duration")),
    row("tail", "--fail-on fired", &["tail", "--from-start", "--duration", "20", "capture.log", "--fail-on", "failure"], 3, Stderr("--fail-on")),
    // certs
    row("certs", "done", &["certs", "capture.log", "--certs", "certs"], 0, Nothing),
    row("certs", "input missing", &["certs", "missing.log"], 1, Stderr("missing.log: no such file")),
    row("certs", "certificate file unreadable", &["certs", "capture.log", "--certs", "unreadable-certs"], 1, Stderr("dangling.der: cannot read")),
    row("certs", "--uri not a regex", &["certs", "capture.log", "--uri", "("], 2, Stderr("'--uri <REGEX>'")),
    row("certs", "--certs path missing", &["certs", "capture.log", "--certs", "nope"], 2, Stderr("'--certs <PATH>'")),
    row("certs", "--fail-on fired", &["certs", "capture.log", "--fail-on", "cert_not_found"], 3, Stderr("--fail-on")),
    // demo
    row("demo", "done, piped: says why NDJSON", &["demo", "--requests", "40"], 0, Stderr("stdout is not a terminal")),
    row("demo", "done, --format ndjson", &["demo", "--requests", "40", "--format", "ndjson"], 0, Nothing),
    row("demo", "done (--write)", &["demo", "--write", "out"], 0, Nothing),
    row("demo", "certificate file unreadable", &["demo", "--requests", "40", "--certs", "unreadable-certs"], 1, Stderr("dangling.der: cannot read")),
    row("demo", "--write cannot be written", &["demo", "--write", "capture.log/sub"], 1, Stderr("--write capture.log/sub")),
    row("demo", "--requests not a number", &["demo", "--requests", "many"], 2, Stderr("--requests")),
    row("demo", "--requests 0", &["demo", "--requests", "0"], 2, Stderr("--requests")),
    row("demo", "--uri not a regex", &["demo", "--uri", "("], 2, Stderr("'--uri <REGEX>'")),
    row("demo", "--certs path missing", &["demo", "--certs", "nope"], 2, Stderr("'--certs <PATH>'")),
    // etl
    row("etl", "done", &["etl", "small.etl"], 0, Nothing),
    row("etl", "file missing", &["etl", "missing.etl"], 1, Stderr("missing.etl: no such file")),
    row("etl", "not an .etl file", &["etl", "capture.log"], 1, Stderr("capture.log: not an .etl file")),
    row("etl", "no file", &["etl"], 2, Stderr("<FILE>")),
    row("etl", "--first not a number", &["etl", "small.etl", "--first", "x"], 2, Stderr("--first")),
    // crc
    row("crc", "done", &["crc", "certs/alice.der"], 0, Nothing),
    row("crc", "one file missing", &["crc", "missing.der", "certs/alice.der"], 1, Stderr("missing.der: cannot read")),
    row("crc", "no certificate in the files", &["crc", "capture.log"], 1, Stderr("capture.log: skipped")),
    row("crc", "no file", &["crc"], 2, Stderr("<FILE>")),
    row("crc", "--format unknown", &["crc", "certs/alice.der", "--format", "yaml"], 2, Stderr("--format")),
    // live (on Windows it captures: its rows there are tests/wine)
    row("live", "no source", &["live"], 2, Stderr("nothing to capture")),
    row("live", "--save FILE.etl without --etw", &["live", "--debug-output", "--save", "x.etl"], 2, Stderr("needs --etw")),
    row("live", "--field without --etw", &["live", "--debug-output", "--field", "msg"], 2, Stderr("--etw <PROVIDER>")),
    row("live", "--global without --debug-output", &["live", "--etw", "MyCompany.MyComponent", "--global"], 2, Stderr("--debug-output")),
    row("live", "--level 0", &["live", "--debug-output", "--level", "0"], 2, Stderr("--level")),
    row("live", "--etw not a GUID or name", &["live", "--etw", "{bad"], 2, Stderr("--etw")),
    // completions
    row("completions", "bash", &["completions", "bash"], 0, Nothing),
    row("completions", "zsh", &["completions", "zsh"], 0, Nothing),
    row("completions", "fish", &["completions", "fish"], 0, Nothing),
    row("completions", "powershell", &["completions", "powershell"], 0, Nothing),
    row("completions", "elvish", &["completions", "elvish"], 0, Nothing),
    row("completions", "unknown shell", &["completions", "tcsh"], 2, Stderr("tcsh")),
    // no subcommand
    row("", "unknown subcommand", &["frobnicate"], 2, Stderr("frobnicate")),
    row("", "no subcommand", &[], 2, Stderr("Usage")),
    row("", "--help", &["--help"], 0, Nothing),
    row("", "--version", &["--version"], 0, Nothing),
];

/// Which codes apply to which subcommand (the rest cannot happen: `demo`,
/// `etl`, `crc` have no `--fail-on`; `live` off Windows is always usage;
/// `completions` reads nothing).
const APPLIES: &[(&str, &[i32])] = &[
    ("read", &[0, 1, 2, 3]),
    ("tail", &[0, 1, 2, 3]),
    ("certs", &[0, 1, 2, 3]),
    ("demo", &[0, 1, 2]),
    ("etl", &[0, 1, 2]),
    ("crc", &[0, 1, 2]),
    ("live", &[2]),
    ("completions", &[0, 2]),
];

/// The files the rows name, in a fresh directory.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    std::fs::write(d.join("capture.log"), FIRST_STARTS).unwrap();
    std::fs::write(d.join("recycle.log"), format!("{FIRST_STARTS}{RECYCLE}")).unwrap();
    std::fs::create_dir(d.join("empty")).unwrap();
    std::fs::create_dir(d.join("certs")).unwrap();
    std::fs::copy(data.join("certs/demo/alice.der"), d.join("certs/alice.der")).unwrap();
    std::fs::create_dir(d.join("unreadable-certs")).unwrap();
    std::fs::copy(
        data.join("certs/demo/alice.der"),
        d.join("unreadable-certs/alice.der"),
    )
    .unwrap();
    // A file that cannot be read even by root: a link to nothing.
    #[cfg(unix)]
    std::os::unix::fs::symlink("gone.der", d.join("unreadable-certs/dangling.der")).unwrap();
    std::fs::copy(
        data.join("etl/perfview_smallEtlFile.etl"),
        d.join("small.etl"),
    )
    .unwrap();
    dir
}

fn certtrace(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("certtrace").unwrap();
    c.current_dir(dir).env_remove("NO_COLOR");
    c
}

/// Runs one row; the mismatch, if any.
fn check(dir: &Path, r: &Row) -> Option<String> {
    let out = certtrace(dir)
        .args(r.args)
        .write_stdin(Vec::new())
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let code = out.status.code();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let name = format!("{} / {}: certtrace {}", r.cmd, r.case, r.args.join(" "));
    let mut wrong = Vec::new();
    if code != Some(r.code) {
        wrong.push(format!("exit {code:?}, expected {}", r.code));
    }
    if stdout.contains("warning:") {
        wrong.push("a warning on stdout".to_string());
    }
    if stderr.contains("warning: :") {
        wrong.push("a warning with a blank path".to_string());
    }
    match r.says {
        Nothing if !stderr.is_empty() => wrong.push("stderr not empty".to_string()),
        Stderr(text) => {
            if !stderr.contains(text) {
                wrong.push(format!("stderr lacks {text:?}"));
            }
            if stdout.contains(text) {
                wrong.push(format!("stdout has {text:?}"));
            }
        }
        _ => {}
    }
    if r.code == 2 && !stdout.is_empty() {
        wrong.push("a usage error wrote to stdout".to_string());
    }
    (!wrong.is_empty()).then(|| {
        format!(
            "{name}: {}\n  stdout: {}\n  stderr: {stderr}",
            wrong.join("; "),
            stdout.chars().take(300).collect::<String>()
        )
    })
}

#[test]
fn every_subcommand_keeps_the_exit_code_contract() {
    let dir = workspace();
    let failures: Vec<String> = ROWS.iter().filter_map(|r| check(dir.path(), r)).collect();
    assert!(
        failures.is_empty(),
        "{} of {} rows broke the contract:\n{}",
        failures.len(),
        ROWS.len(),
        failures.join("\n")
    );
}

#[test]
fn the_table_covers_every_code_of_every_subcommand() {
    use clap::CommandFactory;
    let cli = certtrace::cli::Cli::command();
    for sub in cli.get_subcommands() {
        let name = sub.get_name();
        let Some((_, codes)) = APPLIES.iter().find(|(n, _)| *n == name) else {
            panic!("subcommand {name} has no row in APPLIES");
        };
        for code in *codes {
            assert!(
                ROWS.iter().any(|r| r.cmd == name && r.code == *code),
                "no row for `certtrace {name}` exiting {code}"
            );
        }
    }
}

/// `live` elsewhere than on Windows is a usage error, told before
/// anything starts.
#[cfg(not(windows))]
#[test]
fn live_off_windows_is_a_usage_error() {
    let dir = workspace();
    let r = row(
        "live",
        "not Windows",
        &["live", "--debug-output"],
        2,
        Stderr("needs Windows"),
    );
    assert_eq!(check(dir.path(), &r), None);
}

/// Files that exist but cannot be read (mode 000): exit 1, the file named
/// on stderr. As root, certtrace runs as an unprivileged user.
#[cfg(unix)]
#[test]
fn permission_denied_exits_1() {
    use std::os::unix::fs::PermissionsExt;
    let dir = workspace();
    let d = dir.path();
    let locked = |name: &str| {
        let p = d.join(name);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
        p
    };
    std::fs::copy(d.join("capture.log"), d.join("locked.log")).unwrap();
    std::fs::copy(d.join("certs/alice.der"), d.join("locked.der")).unwrap();
    std::fs::copy(d.join("small.etl"), d.join("locked.etl")).unwrap();
    std::fs::create_dir(d.join("locked-certs")).unwrap();
    std::fs::copy(d.join("certs/alice.der"), d.join("locked-certs/a.der")).unwrap();
    std::fs::copy(d.join("certs/alice.der"), d.join("locked-certs/b.der")).unwrap();
    let probe = locked("locked.log");
    locked("locked.der");
    locked("locked.etl");
    locked("locked-certs/b.der");
    for sub in ["", "certs", "empty", "unreadable-certs", "locked-certs"] {
        support::open_to_others(&d.join(sub));
    }
    for f in ["capture.log", "certs/alice.der", "locked-certs/a.der"] {
        std::fs::set_permissions(d.join(f), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let bin = assert_cmd::cargo::cargo_bin("certtrace");
    let cases: &[(&[&str], &str)] = &[
        (
            &["read", "locked.log", "capture.log"],
            "locked.log: permission denied",
        ),
        (&["certs", "locked.log"], "locked.log: permission denied"),
        (
            &["read", "capture.log", "--certs", "locked-certs"],
            "b.der: cannot read",
        ),
        (
            &["demo", "--requests", "20", "--certs", "locked-certs"],
            "b.der: cannot read",
        ),
        (
            &["crc", "locked.der", "certs/alice.der"],
            "locked.der: cannot read",
        ),
        (&["etl", "locked.etl"], "locked.etl: permission denied"),
    ];
    for (args, says) in cases {
        let Some(mut cmd) = support::honouring_permissions(&bin, &probe) else {
            return;
        };
        let out = cmd.args(*args).current_dir(d).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(!stdout.contains(says), "{args:?}: {stdout}");
    }
}
