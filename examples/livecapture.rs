//! Test driver for `certtrace::input::live::capture`: captures until N events were
//! seen or a time-out, prints every event as a JSON line on stdout and the
//! summary as the last line (`{"summary": ...}`).
//!
//! ```text
//! livecapture [certtrace live options: --etw P, --debug-output, --global,
//!              --process EXE, --save FILE, ...] [--count N] [--seconds S]
//! ```
//!
//! `tests/wine/run.sh` runs it under wine (until `certtrace live` is wired
//! into the CLI); on real Windows it is the manual check for the ETW path
//! together with `examples/etwproducer.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use certtrace::input::SourceItem;
use certtrace::input::live::{LiveArgs, capture};
use clap::Parser;

/// Capture live, print JSON lines (test driver for certtrace::input::live).
#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    live: LiveArgs,
    /// Stop after this many events.
    #[arg(long)]
    count: Option<u64>,
    /// Stop after this many seconds.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
}

fn main() {
    let cli = Cli::parse();
    let opts = cli.live.to_options().unwrap_or_else(|e| {
        eprintln!("livecapture: {e}");
        std::process::exit(2)
    });
    let (count, seconds) = (cli.count, cli.seconds);

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(seconds));
            stop.store(true, Ordering::SeqCst);
        });
    }
    {
        // Ctrl-C stops the capture (the session is stopped in order).
        let stop = stop.clone();
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst));
    }
    let stop_sink = stop.clone();
    let mut seen = 0u64;
    let mut sink = |item: SourceItem| {
        let e = match item {
            SourceItem::Event(e) => e,
            SourceItem::Problem(p) => {
                println!("{}", serde_json::json!({ "problem": p.to_string() }));
                return;
            }
        };
        seen += 1;
        let line = serde_json::json!({
            "origin": e.origin.to_string(),
            "time": e.time.map(|t| t.to_string()),
            "pid": e.pid,
            "tid": e.tid,
            "provider": e.provider(),
            "activity_id": e.activity_id(),
            "text": e.text,
        });
        println!("{line}");
        if count.is_some_and(|n| seen >= n) {
            stop_sink.store(true, Ordering::SeqCst);
        }
    };
    eprintln!("livecapture: capturing (up to {seconds} s)");
    match capture(&opts, stop, &mut sink) {
        Ok(summary) => {
            eprint!("{summary}");
            println!("{}", serde_json::json!({ "summary": summary }));
        }
        Err(e) => {
            eprintln!("livecapture: {e}");
            std::process::exit(1);
        }
    }
}
