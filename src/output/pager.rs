//! Long reports on a terminal go through a pager, as git and bat do it:
//! `$PAGER`, else `less -FRX`. The first screenful is held back: a report
//! that fits the screen is printed as is (whatever the pager), a longer one
//! starts the pager. A pager that cannot be started leaves the report on
//! standard output; one the user quits early ends the report quietly.

use std::io::{self, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};

/// A pager is showing the report: Ctrl-C belongs to it (less uses it to
/// stop a search), so certtrace neither stops nor exits meanwhile.
static PAGER_RUNNING: AtomicBool = AtomicBool::new(false);

/// Whether a pager is showing the report now.
pub fn pager_running() -> bool {
    PAGER_RUNNING.load(Ordering::SeqCst)
}

/// `--paging`: when to use a pager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Paging {
    /// On a terminal, when the report is longer than the screen.
    #[default]
    Auto,
    /// On a terminal, always.
    Always,
    /// Never.
    Never,
}

/// Standard output, or a pager once the output is longer than the screen.
pub struct PagedStdout {
    state: State,
    screen_rows: usize,
    always: bool,
}

enum State {
    /// The first screenful, held until it is known to need a pager.
    Holding(Vec<u8>),
    Direct(io::Stdout),
    Pager(Child, Option<ChildStdin>),
    /// The user quit the pager: the rest of the report is not wanted.
    Quit(Child),
}

impl PagedStdout {
    /// Pages output longer than `screen_rows` lines (all output when
    /// `always`).
    pub fn new(screen_rows: u16, always: bool) -> Self {
        PagedStdout {
            state: State::Holding(Vec::new()),
            screen_rows: usize::from(screen_rows.max(2)),
            always,
        }
    }

    /// The height of the terminal on stdout, else `LINES`, else 24.
    pub fn terminal_rows() -> u16 {
        crossterm::terminal::size()
            .ok()
            .map(|(_, h)| h)
            .or_else(|| std::env::var("LINES").ok()?.trim().parse().ok())
            .filter(|h| *h > 0)
            .unwrap_or(24)
    }

    /// Starts the pager and hands it what was held; without a pager the
    /// held text goes to stdout.
    fn start(&mut self, held: Vec<u8>) -> io::Result<()> {
        match spawn_pager(self.always) {
            Some(mut child) => {
                PAGER_RUNNING.store(true, Ordering::SeqCst);
                let stdin = child.stdin.take();
                self.state = State::Pager(child, stdin);
            }
            None => self.state = State::Direct(io::stdout()),
        }
        self.write_all(&held)
    }
}

impl Write for PagedStdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let result = match &mut self.state {
            State::Holding(held) => {
                held.extend_from_slice(buf);
                let overflow = memchr::memchr_iter(b'\n', held).count() >= self.screen_rows;
                if self.always || overflow {
                    let held = std::mem::take(held);
                    self.start(held)?;
                }
                return Ok(buf.len());
            }
            State::Direct(out) => return out.write(buf),
            State::Pager(_, Some(pipe)) => pipe.write(buf),
            State::Pager(_, None) | State::Quit(_) => Err(io::ErrorKind::BrokenPipe.into()),
        };
        self.quit_on_broken_pipe(result)
    }

    /// Output that is flushed while still held fits the screen: it goes to
    /// stdout now.
    fn flush(&mut self) -> io::Result<()> {
        let result = match &mut self.state {
            State::Holding(held) => {
                let held = std::mem::take(held);
                self.state = State::Direct(io::stdout());
                self.write_all(&held)?;
                return self.flush();
            }
            State::Direct(out) => return out.flush(),
            State::Pager(_, Some(pipe)) => pipe.flush(),
            State::Pager(_, None) | State::Quit(_) => return Ok(()),
        };
        self.quit_on_broken_pipe(result)
    }
}

impl PagedStdout {
    /// The pager closed its input (the user quit it): it is left to exit,
    /// and the broken pipe ends the report as a closed pipe does.
    fn quit_on_broken_pipe<T>(&mut self, result: io::Result<T>) -> io::Result<T> {
        if let Err(e) = &result
            && e.kind() == io::ErrorKind::BrokenPipe
        {
            let state = std::mem::replace(&mut self.state, State::Holding(Vec::new()));
            self.state = match state {
                State::Pager(child, _) => State::Quit(child),
                other => other,
            };
        }
        result
    }
}

impl Drop for PagedStdout {
    /// Short output goes out; a pager gets the end of its input and is
    /// waited for, so the shell prompt comes back after it.
    fn drop(&mut self) {
        let _ = self.flush();
        match std::mem::replace(&mut self.state, State::Holding(Vec::new())) {
            State::Pager(mut child, stdin) => {
                drop(stdin);
                let _ = child.wait();
            }
            State::Quit(mut child) => {
                if let Ok(status) = child.wait()
                    && !status.success()
                {
                    eprintln!("certtrace: warning: the pager exited with {status}");
                }
            }
            _ => {}
        }
        PAGER_RUNNING.store(false, Ordering::SeqCst);
    }
}

/// Starts `$PAGER` (its words split at spaces, no shell), else `less
/// -FRX`.
/// `None` when there is no pager to start (a missing `$PAGER` is said on
/// stderr; a missing `less` silently means no pager).
fn spawn_pager(always: bool) -> Option<Child> {
    let from_env = std::env::var("PAGER").ok().filter(|p| !p.trim().is_empty());
    let mut cmd = match &from_env {
        Some(p) => {
            let mut words = p.split_whitespace();
            let mut c = Command::new(words.next().unwrap_or("less"));
            c.args(words);
            c
        }
        None => {
            let mut c = Command::new("less");
            c.arg(if always { "-RX" } else { "-FRX" });
            c
        }
    };
    let is_less = from_env.as_deref().is_none_or(|p| {
        p.split_whitespace()
            .next()
            .is_some_and(|b| b.ends_with("less"))
    });
    if std::env::var_os("LESS").is_none() {
        // -F quits at once on a report that fits the screen: not when
        // paging always.
        cmd.env("LESS", if always { "RX" } else { "FRX" });
    }
    if is_less && std::env::var_os("LESSCHARSET").is_none() {
        cmd.env("LESSCHARSET", "utf-8");
    }
    if std::env::var_os("LV").is_none() {
        cmd.env("LV", "-c");
    }
    match cmd.stdin(Stdio::piped()).spawn() {
        Ok(child) => Some(child),
        Err(e) => {
            if let Some(p) = from_env {
                eprintln!(
                    "certtrace: warning: pager `{p}` could not be started ({e}); printing instead"
                );
            }
            None
        }
    }
}
