//! The exit-code contract, written once: the codes, the errors a command
//! ends with, and the one mapping from errors to codes. `--help` (and so the
//! man page) and docs/exit-codes.md state the same contract.

use std::io;

use clap::CommandFactory;

/// How certtrace exits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done (warnings about the input go to stderr and the summary; a closed
    /// output pipe, `q` in the dashboard, `--until` and `--duration` end
    /// here too).
    Done,
    /// An input or certificate file could not be read (the rest was
    /// processed), or the output could not be written.
    Unreadable,
    /// Usage: a bad flag value or combination, or a command this platform
    /// cannot run.
    Usage,
    /// `--fail-on` fired.
    Alert,
    /// Ctrl-C (the summary covers what was read).
    Interrupted,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Done => 0,
            Exit::Unreadable => 1,
            Exit::Usage => 2,
            Exit::Alert => 3,
            Exit::Interrupted => 130,
        }
    }

    /// The more important of two outcomes (an alert or Ctrl-C outranks an
    /// unreadable file, which outranks done).
    pub fn max(self, other: Exit) -> Exit {
        let rank = |e: Exit| match e {
            Exit::Done => 0,
            Exit::Unreadable => 1,
            Exit::Usage => 2,
            Exit::Alert => 3,
            Exit::Interrupted => 4,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e.code())
    }
}

/// The contract as `--help` shows it (and the man page, generated from it).
pub const AFTER_HELP: &str = "Exit codes: 0 done (warnings go to stderr, never stdout); \
1 an input or certificate file could not be read (the rest is processed), or the output could \
not be written; 2 usage: a bad flag value or combination, a --certs path that does not exist, \
`live` on a system other than Windows; 3 a --fail-on alert fired; 130 interrupted (Ctrl-C). A \
closed output pipe (| head), `q` in the dashboard, --until and --duration end with 0.";

/// Why a command could not finish.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad flag value or combination found after parsing, in clap's words.
    #[error("{0}")]
    Usage(Box<clap::Error>),
    /// An input or certificate file could not be read.
    #[error("{0}")]
    Unreadable(String),
    /// Writing the output (or a `--write`/`--save` file) failed.
    #[error("{0}")]
    Output(#[from] io::Error),
}

impl Error {
    /// A usage error of `certtrace SUBCOMMAND`, formatted by clap (message,
    /// usage line, `--help` hint) like the errors it finds itself.
    pub fn usage(subcommand: &str, message: impl std::fmt::Display) -> Error {
        let mut cmd = crate::cli::Cli::command();
        cmd.build();
        let kind = clap::error::ErrorKind::ArgumentConflict;
        let err = match cmd.find_subcommand_mut(subcommand) {
            Some(sub) => sub.error(kind, message),
            None => cmd.error(kind, message),
        };
        Error::Usage(Box::new(err))
    }

    /// The single mapping from errors to exit codes.
    pub fn exit(&self) -> Exit {
        match self {
            Error::Usage(_) => Exit::Usage,
            Error::Unreadable(_) => Exit::Unreadable,
            // `| head` closed the pipe: the reader has what it wanted.
            Error::Output(e) if e.kind() == io::ErrorKind::BrokenPipe => Exit::Done,
            Error::Output(_) => Exit::Unreadable,
        }
    }

    /// Says what went wrong on stderr (nothing for a closed pipe); returns
    /// the exit code.
    pub fn report(&self) -> Exit {
        match self {
            Error::Usage(e) => {
                let _ = e.print();
            }
            Error::Output(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
            other => eprintln!("certtrace: {other}"),
        }
        self.exit()
    }
}

/// What a subcommand returns.
pub type Result<T = Exit> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_mapping() {
        assert_eq!(Exit::Done.code(), 0);
        assert_eq!(Exit::Unreadable.code(), 1);
        assert_eq!(Exit::Usage.code(), 2);
        assert_eq!(Exit::Alert.code(), 3);
        assert_eq!(Exit::Interrupted.code(), 130);
        let pipe = Error::Output(io::Error::from(io::ErrorKind::BrokenPipe));
        assert_eq!(pipe.exit(), Exit::Done);
        let full = Error::Output(io::Error::other("disk full"));
        assert_eq!(full.exit(), Exit::Unreadable);
        assert_eq!(Error::Unreadable("x".into()).exit(), Exit::Unreadable);
        let u = Error::usage("live", "--save FILE.etl needs --etw");
        assert_eq!(u.exit(), Exit::Usage);
        let text = u.to_string();
        assert!(text.contains("--save FILE.etl needs --etw"), "{text}");
        assert!(text.contains("certtrace live"), "{text}");
        assert_eq!(Exit::Unreadable.max(Exit::Alert), Exit::Alert);
        assert_eq!(Exit::Done.max(Exit::Unreadable), Exit::Unreadable);
    }
}
