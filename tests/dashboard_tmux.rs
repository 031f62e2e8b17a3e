//! The live dashboard in a real terminal: runs `tests/tmux/dashboard.sh`
//! (tmux `send-keys` / `capture-pane`) against the built binary. Skipped,
//! with a note, when tmux is not installed.

use std::process::Command;

#[test]
fn dashboard_in_tmux() {
    if Command::new("tmux").arg("-V").output().is_err() {
        eprintln!(
            "note: tmux is not installed; dashboard_in_tmux skipped (apt-get install -y tmux)"
        );
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
