//! The committed completions and man pages must match the clap definition:
//! this test generates them (clap_complete, clap_mangen) and fails when the
//! copies under `completions/` and `man/` are stale; run it with
//! `CERTTRACE_UPDATE_GENERATED=1` to rewrite them.

use std::path::Path;

use certtrace::cli::Cli;
use clap::CommandFactory;
use clap_complete::Shell;

/// (path relative to the crate root, contents) of every generated file.
pub fn artifacts() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (shell, file) in [
        (Shell::Bash, "completions/certtrace.bash"),
        (Shell::Zsh, "completions/_certtrace"),
        (Shell::Fish, "completions/certtrace.fish"),
        (Shell::PowerShell, "completions/_certtrace.ps1"),
        (Shell::Elvish, "completions/certtrace.elv"),
    ] {
        let mut buf = Vec::new();
        let mut cmd = Cli::command();
        clap_complete::generate(shell, &mut cmd, "certtrace", &mut buf);
        out.push((file.to_string(), buf));
    }
    let cmd = Cli::command();
    let mut buf = Vec::new();
    // Rendering into memory cannot fail.
    let _ = clap_mangen::Man::new(cmd.clone()).render(&mut buf);
    out.push(("man/certtrace.1".to_string(), buf));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("certtrace-{}", sub.get_name());
        let mut buf = Vec::new();
        let _ = clap_mangen::Man::new(sub.clone().name(name.clone())).render(&mut buf);
        out.push((format!("man/{name}.1"), buf));
    }
    out
}

#[test]
fn completions_and_man_pages_are_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let update = std::env::var_os("CERTTRACE_UPDATE_GENERATED").is_some();
    let mut stale = Vec::new();
    for (rel, data) in artifacts() {
        let path = root.join(&rel);
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &data).unwrap();
            continue;
        }
        match std::fs::read(&path) {
            Ok(current) if current == data => {}
            _ => stale.push(rel),
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files {stale:?}: run `CERTTRACE_UPDATE_GENERATED=1 cargo test --test generated` and commit"
    );
}
