//! What the integration tests share about their environment: in CI
//! (`CI=true`) a missing tool or fixture fails the test instead of skipping
//! it, and tests of unreadable files run as an unprivileged user when the
//! suite runs as root (root reads any file).

#![allow(dead_code)] // each test crate uses a part

use std::path::Path;
use std::process::Command;

/// Running in CI (`CI=true`, or `1`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// A tool or fixture the test needs is missing: in CI the test fails; else
/// it says so on stderr, and the caller skips the test.
pub fn missing(what: &str) {
    assert!(
        !in_ci(),
        "{what} (CI=true: a missing tool or fixture fails the test)"
    );
    eprintln!("note: {what}; skipped");
}

/// The unprivileged user and group the tests of unreadable files run as
/// when the suite runs as root (`nobody`/`nogroup` on Debian).
const NOBODY: &str = "65534";

/// Whether this process reads files it has no permission for (root): `probe`
/// is a file made unreadable (mode 000).
pub fn reads_anything(probe: &Path) -> bool {
    std::fs::File::open(probe).is_ok()
}

/// A command for `program` that honours file permissions: as is, or under
/// `setpriv` as an unprivileged user when this process reads anything
/// (`probe`: a file with mode 000). The files the command must read, and
/// their directories, must be readable by others. `None` (after
/// [`missing`]) when setpriv is not available.
pub fn honouring_permissions(program: &Path, probe: &Path) -> Option<Command> {
    if !reads_anything(probe) {
        return Some(Command::new(program));
    }
    if Command::new("setpriv").arg("--version").output().is_err() {
        missing("running as root and setpriv (util-linux) is not installed");
        return None;
    }
    let mut c = Command::new("setpriv");
    c.args([
        &format!("--reuid={NOBODY}"),
        &format!("--regid={NOBODY}"),
        "--clear-groups",
    ])
    .arg(program);
    Some(c)
}

/// Makes a test's directory (and so the files in it) reachable by the
/// unprivileged user of [`honouring_permissions`].
#[cfg(unix)]
pub fn open_to_others(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
}
