//! The command line, defined once with clap: `main.rs` wires it to the
//! library, and the completions and man page are generated from it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::input::{EtlBackend, InputFormat};
use crate::output::{ColorChoice, Format};

/// Correlate the client-certificate trace of an IIS native module: which
/// request got which client certificate, which failed and why, which
/// requests are missing, which worker process recycled.
#[derive(Debug, Parser)]
#[command(name = "certtrace", version, about, long_about = None, max_term_width = 100)]
#[command(after_help = crate::exit::AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// When to colour table output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read captures (DebugView and DebugView++ logs, raw lines, JSON,
    /// `.etl` files; `-` is stdin)
    /// and report every request.
    Read(ReadArgs),
    /// Follow captures as they grow, like `tail -F` (same as `read -f`): a
    /// live dashboard on a terminal, NDJSON for scripts.
    Tail(ReadArgs),
    /// Run the pipeline on a built-in realistic capture (several worker
    /// processes, a recycle, concurrency, lost lines, every outcome).
    Demo(DemoArgs),
    /// Inspect any `.etl` file: logfile header, record kinds, providers,
    /// lost events, first events.
    Etl(EtlArgs),
    /// Print what the module would log for certificates: DER size, plain
    /// CRC-32, and the chained CRCs one worker process would print for
    /// them in this order, with their identity.
    Crc(CrcArgs),
    /// Read captures and list one row per distinct client certificate seen
    /// (requests, first and last seen, pids, URIs, outcomes).
    Certs(ReadArgs),
    /// Capture live on Windows (ETW real-time session and/or
    /// OutputDebugString) and report requests as they happen; Ctrl-C stops
    /// the capture, drains it and prints the summary.
    Live(LiveCommandArgs),
    /// Print a shell completion script.
    Completions {
        /// Shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Options shared by every command that reports requests.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Output format [default: table on a terminal (dashboard when
    /// following), ndjson otherwise].
    #[arg(long, short = 'o', value_enum)]
    pub format: Option<Format>,

    /// Also list lines that are not module messages (other software, unknown
    /// module messages).
    #[arg(long)]
    pub show_unknown: bool,

    /// Only report requests with this outcome (repeatable): plain_http,
    /// cert_ok, no_cert, cert_not_found, negotiate_failed, get_cert_failed,
    /// incomplete.
    #[arg(long, value_name = "OUTCOME")]
    pub outcome: Vec<crate::record::Outcome>,

    /// Only report requests whose URI matches this regular expression.
    #[arg(long, value_name = "REGEX", value_parser = parse_regex)]
    pub uri: Option<regex::Regex>,

    /// Certificates to name the client certificates by: DER (.cer, .der,
    /// .crt) or PEM files, or directories searched recursively
    /// (repeatable).
    #[arg(long, value_name = "PATH", value_parser = existing_path)]
    pub certs: Vec<PathBuf>,

    /// How the module build logs certificate CRCs: auto (detect per worker
    /// process), chained (the shipped module: one CRC register per process,
    /// never reset), plain (a corrected build).
    #[arg(long, value_name = "MODE", default_value = "auto", value_parser = ["auto", "chained", "plain"])]
    pub crc_mode: String,

    /// Only report what happened at or after this capture time: RFC 3339
    /// (2026-06-23T16:23:14Z), a local date and time, a time of day
    /// (16:23:14) or elapsed seconds (12.5), compared with the capture's own
    /// kind of time.
    #[arg(long, value_name = "TIME")]
    pub since: Option<crate::watch::TimeBound>,

    /// Only report what happened at or before this capture time (same forms
    /// as --since).
    #[arg(long, value_name = "TIME")]
    pub until_time: Option<crate::watch::TimeBound>,

    /// Table: list every request (`--requests` of read and certs,
    /// `--list-requests` of demo; following, rows print as they come).
    #[arg(skip)]
    pub list_requests: bool,

    /// Table on a terminal: show a long report through a pager ($PAGER,
    /// else `less -FRX`); never when output is piped.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = crate::output::pager::Paging::Auto)]
    pub paging: crate::output::pager::Paging,

    /// Write the records to this file instead of standard output (NDJSON
    /// unless --format says otherwise); an existing file is appended to.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// With --output: rotate the file at the first line end at this size
    /// (bytes, or with K, M, G): FILE becomes FILE.1, FILE.1 becomes
    /// FILE.2, ..., as log shippers expect.
    #[arg(long, value_name = "SIZE", requires = "output",
          value_parser = crate::output::rotate::parse_size)]
    pub rotate_size: Option<u64>,

    /// With --rotate-size: how many rotated files to keep (FILE.1 ...
    /// FILE.N); older ones are deleted.
    #[arg(long, value_name = "N", default_value_t = 5, requires = "rotate_size")]
    pub rotate_keep: u32,

    /// Replace URI query strings (`query`) and certificate subjects
    /// (`subject`) in the records by stable hashes (`redacted:<hex>`): the
    /// same value hashes the same on every host. Comma-separated.
    #[arg(long, value_name = "WHAT", value_enum, value_delimiter = ',')]
    pub redact: Vec<crate::output::redact::Redact>,

    /// Secret mixed into the --redact hashes, the same on every host (so a
    /// guessed value cannot be confirmed by hashing it).
    #[arg(
        long,
        value_name = "KEY",
        env = "CERTTRACE_REDACT_KEY",
        hide_env_values = true
    )]
    pub redact_key: Option<String>,
}

/// Following growing captures, alerts and stop conditions.
#[derive(Debug, Args, Clone)]
pub struct FollowArgs {
    /// Follow the files as they grow, like `tail -F` (survives rotation,
    /// truncation, files that appear later); `tail` implies it.
    #[arg(long, short = 'f')]
    pub follow: bool,

    /// Following: read what the files hold already first (default: start
    /// at their end).
    #[arg(long)]
    pub from_start: bool,

    /// Following: check the files every 50 ms instead of waiting for OS
    /// file notifications (network shares, unusual file systems).
    #[arg(long)]
    pub poll: bool,

    /// Exit with code 3 as soon as one of these is reported (after
    /// flushing it): an outcome, `failure` (any failed request), `gap`,
    /// `recycle`, `module_error`. Comma-separated or repeated.
    #[arg(long, value_name = "WHAT", value_delimiter = ',')]
    pub fail_on: Vec<crate::watch::Alert>,

    /// Stop (exit 0) after reporting this many requests.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub until: Option<u64>,

    /// Stop (exit 0) after this many seconds.
    #[arg(long, value_name = "SECS", value_parser = crate::watch::parse_seconds)]
    pub duration: Option<std::time::Duration>,

    /// Emit a `summary` record of the totals so far (`"snapshot": true`)
    /// every SECS seconds.
    #[arg(long, value_name = "SECS", value_parser = crate::watch::parse_seconds)]
    pub summary_every: Option<std::time::Duration>,
}

#[derive(Debug, Args, Clone)]
pub struct ReadArgs {
    /// Capture files; `-` reads stdin. Several files are merged in time
    /// order when their times allow it, else read one after the other
    /// (followed files: in the order lines arrive).
    #[arg(value_name = "FILE", default_value = "-")]
    pub inputs: Vec<String>,

    /// Input format (auto-detected per file from its first 64 lines; each
    /// line is then read by its own shape).
    #[arg(long, value_enum, default_value_t = InputFormat::Auto)]
    pub input_format: InputFormat,

    /// Code page of captures that are not UTF-8 or UTF-16, as a WHATWG
    /// label: windows-1252, gbk, shift_jis, windows-1251, ... [default:
    /// UTF-8, lines that are not valid UTF-8 as windows-1252].
    #[arg(long, value_name = "LABEL", value_parser = parse_encoding)]
    pub encoding: Option<&'static encoding_rs::Encoding>,

    /// The host (computer) of inputs that do not name one (a saved
    /// DebugView log's `[\\NAME]` header does).
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,

    /// The worker process pid for input without pids (raw lines, DebugView
    /// without "show process id"); input with pids is limited to this pid.
    #[arg(long)]
    pub pid: Option<u32>,

    /// JSON collectors and TraceLogging events: the payload field holding
    /// the message [default: msg/message, else the first string field].
    #[arg(long, value_name = "NAME")]
    pub field: Option<String>,

    /// `.etl` files: only events of this ETW provider (GUID, or a
    /// TraceLogging provider name, hashed to its GUID as Windows does).
    #[arg(long, value_name = "GUID|NAME")]
    pub provider: Option<crate::input::provider::ProviderSpec>,

    /// `.etl` files: which reader turns them into events.
    #[arg(long, value_enum, value_name = "BACKEND", default_value_t = EtlBackend::Portable)]
    pub etl_backend: EtlBackend,

    /// Table: list every request, in start-time order, after the report
    /// (without it, requests are listed when there are at most 40;
    /// following, they print as they come).
    #[arg(long)]
    pub requests: bool,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub follow: FollowArgs,
}

#[derive(Debug, Args, Clone)]
pub struct EtlArgs {
    /// The `.etl` file to inspect.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// How many of the first events to list.
    #[arg(long, default_value_t = 10)]
    pub first: usize,

    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

#[derive(Debug, Args, Clone)]
pub struct DemoArgs {
    /// Save the capture (DebugView log, certtrace JSON events with thread
    /// ids, the truth) to this directory instead of reporting on it.
    #[arg(long, value_name = "DIR")]
    pub write: Option<PathBuf>,

    /// Requests to simulate.
    #[arg(long, default_value_t = 600,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub requests: usize,

    /// Seed of the simulation (same seed, same capture).
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,

    /// Table: list every request, in start-time order, after the report
    /// (without it, requests are listed when there are at most 40).
    #[arg(long)]
    pub list_requests: bool,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args, Clone)]
pub struct LiveCommandArgs {
    #[command(flatten)]
    pub capture: crate::input::live::LiveArgs,

    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args, Clone)]
pub struct CrcArgs {
    /// Certificate files or directories (DER or PEM), in hashing order.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,

    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// `--uri`: a regular expression, checked while parsing (a bad one is a
/// usage error).
fn parse_regex(s: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(s).map_err(|e| e.to_string())
}

/// A path that exists (`--certs`): a missing one is a usage error; one that
/// exists but cannot be read is reported when loading (exit code 1).
fn existing_path(s: &str) -> Result<PathBuf, String> {
    let p = PathBuf::from(s);
    match std::fs::symlink_metadata(&p) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err("no such file or directory".into())
        }
        _ => Ok(p),
    }
}

/// An `--encoding` label (WHATWG names and aliases, as browsers take them).
fn parse_encoding(label: &str) -> Result<&'static encoding_rs::Encoding, String> {
    encoding_rs::Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| {
        format!(
            "unknown encoding {label:?}: use a WHATWG label such as windows-1252, gbk, \
             shift_jis, windows-1251, iso-8859-2, utf-16le"
        )
    })
}
