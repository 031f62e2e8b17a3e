//! The live dashboard in a real terminal: runs `tests/tmux/dashboard.sh`
//! (tmux `send-keys` / `capture-pane`) against the built binary. Without
//! tmux: skipped with a note, or failed in CI.

use std::process::Command;

mod support;

#[test]
fn dashboard_in_tmux() {
    if Command::new("tmux").arg("-V").output().is_err() {
        support::missing("tmux is not installed (apt-get install -y tmux)");
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tmux/dashboard.sh");
    let out = Command::new("bash")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_certtrace"))
        .output()
        .expect("run tests/tmux/dashboard.sh");
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{text}");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "dashboard checks failed:\n{text}");
}
