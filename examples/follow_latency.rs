//! End-to-end latency and sustained rate of `certtrace tail`: appends
//! DebugView entries to a file and times each request record on the
//! binary's NDJSON output against the append of the request's last line.
//!
//! usage: follow_latency [--bin target/release/certtrace] [--requests 10000]
//!        [--rate 1000] [--burst 200000] [--poll]
//!
//! 1. Latency: `--requests` requests (two lines each) appended at `--rate`
//!    requests/s, each line written and flushed on its own; p50/p90/p99/max
//!    of (record read from stdout) - (last line appended).
//! 2. Sustained rate: `--burst` requests appended as fast as the disk takes
//!    them in 1 MiB writes; requests/s and lines/s from the first append to
//!    the last record read.

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn entry(i: u64, pid: u32, msg: &str) -> String {
    format!("{i:08}\t{:.8}\t[{pid}] {msg}\t\r\n", i as f64 * 0.0001)
}

fn request(k: u64) -> (String, String) {
    (
        entry(
            2 * k,
            4242,
            &format!("Line: 28 rMsg1638: cnt = {k} URI: http://bench.example/r{k}"),
        ),
        entry(
            2 * k + 1,
            4242,
            "Line: 32 rMsg1638: connection is not using SSL",
        ),
    )
}

/// Starts `certtrace tail` on the file; records come back as (cnt, when).
fn start(
    bin: &str,
    file: &Path,
    poll: bool,
) -> (std::process::Child, mpsc::Receiver<(u64, Instant)>) {
    let mut cmd = Command::new(bin);
    cmd.args(["tail", "--format", "ndjson"]);
    if poll {
        cmd.arg("--poll");
    }
    let mut child = cmd
        .arg(file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start certtrace");
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            let now = Instant::now();
            if !line.starts_with("{\"type\":\"request\"") {
                continue;
            }
            let Some(i) = line.find("\"cnt\":") else {
                continue;
            };
            let rest = &line[i + 6..];
            let end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            if let Ok(cnt) = rest[..end].parse::<u64>()
                && tx.send((cnt, now)).is_err()
            {
                break;
            }
        }
    });
    (child, rx)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bin: String = arg(&args, "--bin", "target/release/certtrace".to_string());
    let requests: u64 = arg(&args, "--requests", 10_000);
    let rate: f64 = arg(&args, "--rate", 1000.0);
    let burst: u64 = arg(&args, "--burst", 200_000);
    let poll = args.iter().any(|a| a == "--poll");
    let dir = tempfile::tempdir().unwrap();

    // 1. Latency.
    let file = dir.path().join("latency.log");
    std::fs::write(&file, "").unwrap();
    let (mut child, rx) = start(&bin, &file, poll);
    std::thread::sleep(Duration::from_millis(500));
    let mut f = OpenOptions::new().append(true).open(&file).unwrap();
    let mut appended = vec![None; requests as usize + 1];
    let t0 = Instant::now();
    let period = Duration::from_secs_f64(1.0 / rate);
    for k in 1..=requests {
        let due = t0 + period.mul_f64(k as f64);
        if let Some(d) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(d);
        }
        let (a, b) = request(k);
        f.write_all(a.as_bytes()).unwrap();
        f.flush().unwrap();
        f.write_all(b.as_bytes()).unwrap();
        f.flush().unwrap();
        appended[k as usize] = Some(Instant::now());
    }
    let mut lat = Vec::with_capacity(requests as usize);
    let deadline = Instant::now() + Duration::from_secs(10);
    while lat.len() < requests as usize {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((cnt, when)) => {
                if let Some(Some(a)) = appended.get(cnt as usize) {
                    lat.push(when.saturating_duration_since(*a).as_secs_f64() * 1000.0);
                }
            }
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "latency ({}; {} of {requests} requests at {rate} req/s, 2 lines each, each line flushed):",
        if poll { "--poll" } else { "notify" },
        lat.len()
    );
    if !lat.is_empty() {
        println!(
            "  p50 {:.1} ms  p90 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
            pct(&lat, 0.5),
            pct(&lat, 0.9),
            pct(&lat, 0.99),
            lat[lat.len() - 1]
        );
    }

    // 2. Sustained rate.
    if burst == 0 {
        return;
    }
    let file = dir.path().join("burst.log");
    std::fs::write(&file, "").unwrap();
    let (mut child, rx) = start(&bin, &file, poll);
    std::thread::sleep(Duration::from_millis(500));
    let mut f = OpenOptions::new().append(true).open(&file).unwrap();
    let t0 = Instant::now();
    let mut buf = String::with_capacity(1 << 20);
    for k in 1..=burst {
        let (a, b) = request(k);
        buf.push_str(&a);
        buf.push_str(&b);
        if buf.len() >= 1 << 20 {
            f.write_all(buf.as_bytes()).unwrap();
            buf.clear();
        }
    }
    f.write_all(buf.as_bytes()).unwrap();
    f.flush().unwrap();
    let written = t0.elapsed();
    let mut got = 0u64;
    let mut last = t0;
    while got < burst {
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok((_, when)) => {
                got += 1;
                last = when;
            }
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let secs = last.duration_since(t0).as_secs_f64();
    println!(
        "sustained: {got} of {burst} requests ({} lines) appended in {:.2} s, all reported after {:.2} s: {:.0} requests/s, {:.0} lines/s",
        2 * burst,
        written.as_secs_f64(),
        secs,
        got as f64 / secs,
        2.0 * got as f64 / secs
    );
}
