//! `certtrace live` command-line arguments, ready to be flattened into the
//! CLI (`#[command(flatten)] live: LiveArgs`) and turned into
//! [`LiveOptions`].

use std::path::PathBuf;

use crate::input::provider::ProviderSpec;

use super::etw_session::{BufferConfig, DEFAULT_BUFFERS};
use super::{DEFAULT_SAVE_MAX_MB, DEFAULT_SESSION, LiveOptions};

/// Capture live on Windows: an ETW provider and/or OutputDebugString.
#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct LiveArgs {
    /// Capture this ETW provider: a GUID, or a TraceLogging provider name
    /// (hashed to its GUID as Windows does). Needs administrator rights or
    /// the "Performance Log Users" group.
    #[arg(long, value_name = "PROVIDER")]
    pub etw: Option<ProviderSpec>,

    /// ETW session name; an existing session of this name left over from a
    /// run that did not stop is stopped and replaced (never one another
    /// running certtrace owns).
    #[arg(long, value_name = "NAME", default_value = DEFAULT_SESSION)]
    pub session: String,

    /// Size of each ETW session buffer in KB (logman -bs; 4 to 16384).
    #[arg(long, value_name = "KB", default_value_t = DEFAULT_BUFFERS.buffer_kb,
          value_parser = clap::value_parser!(u32).range(4..=16384))]
    pub buffer_kb: u32,

    /// ETW session buffers allocated at start (logman -nb MIN).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BUFFERS.min_buffers,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub min_buffers: u32,

    /// Most ETW session buffers while certtrace is behind (logman -nb ..
    /// MAX); events beyond them are lost and reported.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_BUFFERS.max_buffers,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_buffers: u32,

    /// Deliver ETW buffers that are not full after this many milliseconds
    /// (logman -ft).
    #[arg(long, value_name = "MS", default_value_t = DEFAULT_BUFFERS.flush_ms,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub flush_ms: u32,

    /// Largest --save FILE.etl in MB: the file is circular, the newest
    /// events are kept.
    #[arg(long, value_name = "MB", default_value_t = DEFAULT_SAVE_MAX_MB,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub save_max_mb: u32,

    /// TraceLogging field holding the message (default: the event's first
    /// string field).
    #[arg(long, value_name = "NAME", requires = "etw")]
    pub field: Option<String>,

    /// Match-any keyword mask for the provider (hex with 0x, or decimal).
    #[arg(long, value_name = "MASK", default_value = "0xffffffffffffffff", value_parser = parse_keywords)]
    pub keywords: u64,

    /// Highest event level enabled (1 critical .. 5 verbose).
    #[arg(long, value_name = "LEVEL", default_value_t = 5, value_parser = clap::value_parser!(u8).range(1..))]
    pub level: u8,

    /// Capture OutputDebugString output (the DBWIN protocol, as DebugView).
    #[arg(long)]
    pub debug_output: bool,

    /// With --debug-output: listen on the Global\ objects, where services
    /// such as IIS worker processes (session 0) write. Needs administrator
    /// rights.
    #[arg(long, requires = "debug_output")]
    pub global: bool,

    /// Keep only messages of processes with this executable name
    /// (case-insensitive; `w3wp` or `w3wp.exe`).
    #[arg(long, value_name = "EXE")]
    pub process: Option<String>,

    /// Also save the capture: FILE.etl records the ETW session itself (with
    /// --etw), any other name writes a DebugView-format log. May be given
    /// twice (one .etl, one log).
    #[arg(long, value_name = "FILE")]
    pub save: Vec<PathBuf>,
}

fn parse_keywords(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let r = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(&hex.replace('_', ""), 16),
        None => t.replace('_', "").parse(),
    };
    r.map_err(|e| format!("{s:?} is not a keyword mask: {e}"))
}

/// Whether a `--save` path is an ETW trace file (`.etl`, any case).
pub fn is_etl_path(p: &std::path::Path) -> bool {
    p.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("etl"))
}

impl LiveArgs {
    /// The capture options; `Err` for `--save` combinations that make no
    /// sense (two logs, two .etl files, .etl without --etw).
    pub fn to_options(&self) -> Result<LiveOptions, String> {
        let mut save_etl = None;
        let mut save_log = None;
        for p in &self.save {
            let slot = if is_etl_path(p) {
                &mut save_etl
            } else {
                &mut save_log
            };
            if slot.is_some() {
                return Err(format!(
                    "--save {}: only one {} file can be written",
                    p.display(),
                    if is_etl_path(p) { ".etl" } else { "log" }
                ));
            }
            *slot = Some(p.clone());
        }
        if self.min_buffers > self.max_buffers {
            return Err(format!(
                "--min-buffers {} is more than --max-buffers {}",
                self.min_buffers, self.max_buffers
            ));
        }
        if save_etl.is_some() && self.etw.is_none() {
            return Err("--save FILE.etl records an ETW session: it needs --etw".into());
        }
        Ok(LiveOptions {
            etw: self.etw.clone(),
            session: self.session.clone(),
            field: self.field.clone(),
            keywords: self.keywords,
            level: self.level,
            save_etl,
            save_max_mb: self.save_max_mb,
            buffers: BufferConfig {
                buffer_kb: self.buffer_kb,
                min_buffers: self.min_buffers,
                max_buffers: self.max_buffers,
                flush_ms: self.flush_ms,
            },
            debug_output: self.debug_output,
            global: self.global,
            process: self.process.clone(),
            save_log,
            notices_to_stderr: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        live: LiveArgs,
    }

    fn parse(args: &[&str]) -> Result<LiveArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("live").chain(args.iter().copied())).map(|c| c.live)
    }

    #[test]
    fn defaults_match_live_options() {
        let a = parse(&["--debug-output"]).unwrap();
        let o = a.to_options().unwrap();
        let d = LiveOptions::default();
        assert_eq!(o.session, d.session);
        assert_eq!(o.keywords, d.keywords);
        assert_eq!(o.level, d.level);
        assert_eq!(o.buffers, d.buffers);
        assert_eq!(o.save_max_mb, d.save_max_mb);
        assert!(o.debug_output);
        let a = parse(&[
            "--etw",
            "MyCompany.MyComponent",
            "--buffer-kb",
            "128",
            "--min-buffers",
            "32",
            "--max-buffers",
            "1024",
            "--flush-ms",
            "250",
            "--save-max-mb",
            "200",
        ])
        .unwrap();
        let o = a.to_options().unwrap();
        assert_eq!(
            o.buffers,
            BufferConfig {
                buffer_kb: 128,
                min_buffers: 32,
                max_buffers: 1024,
                flush_ms: 250
            }
        );
        assert_eq!(o.save_max_mb, 200);
    }

    #[test]
    fn etw_with_name_and_save_files() {
        let a = parse(&[
            "--etw",
            "MyCompany.MyComponent",
            "--field",
            "msg",
            "--keywords",
            "0x23",
            "--level",
            "4",
            "--save",
            "C:/t/x.ETL",
            "--save",
            "C:/t/x.log",
        ])
        .unwrap();
        let o = a.to_options().unwrap();
        assert_eq!(
            o.etw.unwrap().guid.to_string(),
            "ce5fa4ea-ab00-5402-8b76-9f76ac858fb5"
        );
        assert_eq!(o.keywords, 0x23);
        assert_eq!(o.level, 4);
        assert_eq!(o.save_etl, Some(PathBuf::from("C:/t/x.ETL")));
        assert_eq!(o.save_log, Some(PathBuf::from("C:/t/x.log")));
        assert_eq!(o.field.as_deref(), Some("msg"));
    }

    #[test]
    fn bad_combinations() {
        assert!(
            parse(&["--global"]).is_err(),
            "--global needs --debug-output"
        );
        assert!(parse(&["--debug-output", "--level", "0"]).is_err());
        for bad in [
            &["--buffer-kb", "2"][..],
            &["--buffer-kb", "20000"],
            &["--min-buffers", "0"],
            &["--flush-ms", "0"],
            &["--save-max-mb", "0"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let a = parse(&["--etw", "x.y", "--min-buffers", "600"]).unwrap();
        assert!(a.to_options().unwrap_err().contains("--max-buffers 512"));
        assert!(parse(&["--etw", "{bad guid"]).is_err());
        let a = parse(&["--debug-output", "--save", "a.etl"]).unwrap();
        assert!(a.to_options().unwrap_err().contains("needs --etw"));
        let a = parse(&["--debug-output", "--save", "a.log", "--save", "b.txt"]).unwrap();
        assert!(a.to_options().is_err());
    }

    #[test]
    fn keyword_masks() {
        assert_eq!(parse_keywords("0xFFFF_FFFF_FFFF_FFFF"), Ok(u64::MAX));
        assert_eq!(parse_keywords("35"), Ok(35));
        assert!(parse_keywords("0xZZ").is_err());
        assert!(parse_keywords("-1").is_err());
    }
}
