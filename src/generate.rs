//! Generated artifacts: shell completions and the man page, produced from the
//! clap definition. `tests/generated.rs` fails when the committed copies under
//! `completions/` and `man/` are stale; run it with
//! `CERTTRACE_UPDATE_GENERATED=1` to rewrite them.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

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
