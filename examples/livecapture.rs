//! Test driver for `certtrace::live::capture`: captures until N events were
//! seen or a time-out, prints every event as a JSON line on stdout and the
//! summary as the last line (`{"summary": ...}`).
//!
//! ```text
//! livecapture (--debug-output [--global] | --etw PROVIDER [--field NAME] [--session NAME] [--save-etl FILE])
//!             [--process NAME] [--save-log FILE] [--count N] [--seconds S]
//! ```
//!
//! `tests/wine/run.sh` runs it under wine (until `certtrace live` is wired
//! into the CLI); on real Windows it is the manual check for the ETW path
//! together with `examples/etwproducer.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use certtrace::event::TraceEvent;
use certtrace::live::{LiveOptions, capture};

fn main() {
    let mut opts = LiveOptions::default();
    let mut count: Option<u64> = None;
    let mut seconds = 30u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = |what: &str| {
            args.next()
                .unwrap_or_else(|| panic!("{what} needs a value"))
        };
        match a.as_str() {
            "--debug-output" => opts.debug_output = true,
            "--global" => opts.global = true,
            "--etw" => {
                opts.etw = Some(val("--etw").parse().unwrap_or_else(|e| {
                    eprintln!("livecapture: {e}");
                    std::process::exit(2)
                }))
            }
            "--field" => opts.field = Some(val("--field")),
            "--session" => opts.session = val("--session"),
            "--save-etl" => opts.save_etl = Some(val("--save-etl").into()),
            "--save-log" => opts.save_log = Some(val("--save-log").into()),
            "--process" => opts.process = Some(val("--process")),
            "--count" => count = val("--count").parse().ok(),
            "--seconds" => seconds = val("--seconds").parse().unwrap_or(30),
            other => {
                eprintln!("livecapture: unknown argument {other:?}");
                std::process::exit(2);
            }
        }
    }

    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(seconds));
            stop.store(true, Ordering::SeqCst);
        });
    }
    let stop_sink = stop.clone();
    let mut seen = 0u64;
    let mut sink = |e: TraceEvent| {
        seen += 1;
        let line = serde_json::json!({
            "origin": e.origin.to_string(),
            "time": e.time.map(|t| t.to_string()),
            "pid": e.pid,
            "tid": e.tid,
            "provider": e.provider,
            "activity_id": e.activity_id,
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
            println!("{}", serde_json::json!({ "summary": summary }));
        }
        Err(e) => {
            eprintln!("livecapture: {e}");
            std::process::exit(1);
        }
    }
}
