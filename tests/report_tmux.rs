//! The report for people in a real terminal: runs `tests/tmux/report.sh`
//! (tmux `send-keys` / `capture-pane`) against the built binary, at 80x24
//! and 120x40. Without tmux or less the test is skipped with a note, except
//! in CI (`CI=true`), where it fails.

use std::process::Command;

fn missing(tool: &str, version_arg: &str) -> bool {
    Command::new(tool).arg(version_arg).output().is_err()
}

#[test]
fn report_in_tmux() {
    let missing: Vec<&str> = [("tmux", "-V"), ("less", "--version")]
        .into_iter()
        .filter(|(t, v)| missing(t, v))
        .map(|(t, _)| t)
        .collect();
    if !missing.is_empty() {
        let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        assert!(
            !in_ci,
            "CI: {missing:?} not installed; report_in_tmux cannot run (apt-get install -y tmux less)"
        );
        eprintln!(
            "note: {missing:?} not installed; report_in_tmux skipped (apt-get install -y tmux less)"
        );
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tmux/report.sh");
    let out = Command::new("bash")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_certtrace"))
        .output()
        .expect("run tests/tmux/report.sh");
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{text}");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "report checks failed:\n{text}");
    assert!(text.contains("0 failed"), "{text}");
}
