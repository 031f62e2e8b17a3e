//! Following growing captures end to end: the binary runs `tail` on files
//! this test appends to in steps (with rotation, truncation, partial lines,
//! binary data), and the NDJSON it prints is read as it arrives, with the
//! time each line came. Waits are bounded (a missing record fails after a
//! few seconds) and assert on records, not on sleeps.

mod support;

use std::fs::{self, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::Value;

const WAIT: Duration = Duration::from_secs(5);

struct Run {
    child: Child,
    rx: Receiver<(Instant, Value)>,
    seen: Vec<Value>,
    /// Records already returned by `expect`.
    claimed: Vec<usize>,
}

fn start(args: &[&str], dir: &Path) -> Run {
    start_with(args, dir, Stdio::null())
}

fn start_with(args: &[&str], dir: &Path, stdin: Stdio) -> Run {
    start_command(
        Command::new(env!("CARGO_BIN_EXE_certtrace")),
        args,
        dir,
        stdin,
    )
}

/// Runs `certtrace` through `program` (the binary, or a wrapper running it).
fn start_command(mut program: Command, args: &[&str], dir: &Path, stdin: Stdio) -> Run {
    let mut child = program
        .args(args)
        .current_dir(dir)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn certtrace");
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            let v: Value = serde_json::from_str(&line).expect("NDJSON line");
            if tx.send((Instant::now(), v)).is_err() {
                break;
            }
        }
    });
    Run {
        child,
        rx,
        seen: Vec::new(),
        claimed: Vec::new(),
    }
}

impl Run {
    /// Waits (bounded) for a record matching `pred` (one that arrived
    /// earlier and was not returned yet counts); returns it and when it
    /// arrived.
    fn expect(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> (Instant, Value) {
        if let Some(i) =
            (0..self.seen.len()).find(|i| !self.claimed.contains(i) && pred(&self.seen[*i]))
        {
            self.claimed.push(i);
            return (Instant::now(), self.seen[i].clone());
        }
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok((t, v)) => {
                    self.seen.push(v.clone());
                    if pred(&v) {
                        self.claimed.push(self.seen.len() - 1);
                        return (t, v);
                    }
                }
                Err(_) => panic!("no {what} within {WAIT:?}; got {:#?}", self.seen),
            }
        }
    }

    /// Asserts nothing matching `pred` arrives within `d`.
    fn quiet_for(&mut self, d: Duration, pred: impl Fn(&Value) -> bool) {
        let deadline = Instant::now() + d;
        while let Ok((_, v)) = self
            .rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            assert!(!pred(&v), "unexpected record {v}");
            self.seen.push(v);
        }
    }

    fn wait_exit(&mut self) -> i32 {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "certtrace did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn rest(&mut self) -> Vec<Value> {
        while let Ok((_, v)) = self.rx.recv_timeout(Duration::from_millis(500)) {
            self.seen.push(v);
        }
        self.seen.clone()
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn append(path: &Path, text: &str) {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f.flush().unwrap();
}

/// A DebugView log entry (elapsed time, pid on).
fn dv(i: u32, pid: u32, msg: &str) -> String {
    format!("{i:08}\t{:.8}\t[{pid}] {msg}\t\r\n", f64::from(i) * 0.001)
}

fn start_line(i: u32, pid: u32, cnt: u32, uri: &str) -> String {
    dv(
        i,
        pid,
        &format!("Line: 28 rMsg1638: cnt = {cnt} URI: {uri}"),
    )
}

fn not_ssl(i: u32, pid: u32) -> String {
    dv(i, pid, "Line: 32 rMsg1638: connection is not using SSL")
}

fn is_request(cnt: u64) -> impl Fn(&Value) -> bool {
    move |v| v["type"] == "request" && v["cnt"] == cnt
}

fn is_problem(kind: &'static str) -> impl Fn(&Value) -> bool {
    move |v| v["type"] == "problem" && v["kind"] == kind
}

fn tmp() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("capture.log");
    (d, p)
}

#[test]
fn starts_at_the_end_and_holds_partial_lines() {
    let (d, log) = tmp();
    append(&log, &start_line(1, 10, 1, "http://old.example/"));
    append(&log, &not_ssl(2, 10));
    let mut run = start(&["tail", "capture.log"], d.path());
    // Give the follower time to open the file at its end (it reads no
    // history, so there is nothing to wait for on the output).
    std::thread::sleep(Duration::from_millis(300));
    append(&log, &start_line(3, 10, 2, "http://new.example/ab")[..60]);
    run.quiet_for(Duration::from_millis(300), |v| v["type"] == "request");
    let rest = &start_line(3, 10, 2, "http://new.example/abc")[60..];
    append(&log, rest);
    let t0 = Instant::now();
    append(&log, &not_ssl(4, 10));
    let (t, v) = run.expect("request cnt 2", is_request(2));
    assert_eq!(
        v["uri"], "http://new.example/abc",
        "a partial line was parsed half"
    );
    assert_eq!(v["outcome"], "plain_http");
    assert!(
        t.duration_since(t0) < Duration::from_secs(1),
        "took {:?}",
        t.duration_since(t0)
    );
    // The old request was never reported.
    assert!(!run.seen.iter().any(|v| v["cnt"] == 1));
}

#[test]
fn rotation_mid_request_keeps_the_request_whole() {
    let (d, log) = tmp();
    append(&log, "");
    let mut run = start(&["tail", "--from-start", "capture.log"], d.path());
    append(&log, &start_line(1, 20, 1, "http://a.example/1"));
    append(&log, &not_ssl(2, 20));
    run.expect("request 1", is_request(1));
    append(&log, &start_line(3, 20, 2, "http://a.example/2"));
    // Rotate: rename, the writer finishes a line in the old file, then a
    // new file takes the name.
    let old = d.path().join("capture.log.1");
    fs::rename(&log, &old).unwrap();
    append(&old, &not_ssl(4, 20));
    append(&log, &start_line(5, 20, 3, "http://a.example/3"));
    append(&log, &not_ssl(6, 20));
    let (_, v) = run.expect("request 2", is_request(2));
    assert_eq!(v["outcome"], "plain_http");
    let (_, v) = run.expect("request 3", is_request(3));
    assert_eq!(v["outcome"], "plain_http");
    assert_eq!(v["source"], "capture.log:1", "new file read from its start");
    assert!(
        run.seen.iter().any(is_problem("rotated")),
        "{:#?}",
        run.seen
    );
}

#[test]
fn truncation_mid_request_drops_the_partial_line_and_rereads() {
    let (d, log) = tmp();
    append(&log, "");
    let mut run = start(&["tail", "--from-start", "capture.log"], d.path());
    append(&log, &start_line(1, 30, 7, "https://b.example/x"));
    append(&log, "00000002\t0.002\t[30] Line: 45 rMsg1638: cert si");
    // The follower must see the partial line before the file shrinks.
    std::thread::sleep(Duration::from_millis(300));
    // Truncate in place (copytruncate rotation), then the process restarts.
    OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&log)
        .unwrap();
    // ... and the shrink before it grows again (as `tail -F`, truncation is
    // noticed by size).
    std::thread::sleep(Duration::from_millis(300));
    append(
        &log,
        &dv(
            1,
            30,
            "Line: 27 rMsg1638: DBGVIEWCLEAR DBG-VIEW-CLEAR RegisterModule one time call when loading DLL",
        ),
    );
    append(&log, &start_line(2, 30, 1, "http://b.example/after"));
    append(&log, &not_ssl(3, 30));
    run.expect("truncation notice", is_problem("truncated"));
    let (_, v) = run.expect("the cut request", is_request(7));
    assert_eq!(v["outcome"], "incomplete");
    let (_, v) = run.expect("request after truncation", is_request(1));
    assert_eq!(v["uri"], "http://b.example/after");
    assert!(
        run.seen.iter().any(is_problem("partial_line")),
        "{:#?}",
        run.seen
    );
}

#[test]
fn a_file_that_appears_later_is_read_from_its_start_and_deletion_is_told() {
    let (d, log) = tmp();
    let mut run = start(&["tail", "capture.log"], d.path());
    run.expect("missing notice", is_problem("missing"));
    append(&log, &start_line(1, 40, 1, "http://c.example/"));
    append(&log, &not_ssl(2, 40));
    let (_, v) = run.expect("request", is_request(1));
    assert_eq!(v["source"], "capture.log:1");
    fs::remove_file(&log).unwrap();
    run.expect("deleted notice", is_problem("missing"));
    append(&log, &start_line(1, 41, 5, "http://c.example/again"));
    append(&log, &not_ssl(2, 41));
    run.expect("request in the recreated file", is_request(5));
}

#[test]
fn several_files_and_binary_garbage() {
    let d = tempfile::tempdir().unwrap();
    let a = d.path().join("a.log");
    let b = d.path().join("b.log");
    append(&a, "");
    append(&b, "");
    let mut run = start(&["read", "-f", "--from-start", "a.log", "b.log"], d.path());
    append(&b, "\0\0\u{1}\u{2}binary\0garbage\n");
    append(&a, &start_line(1, 50, 1, "http://a/"));
    append(&a, &not_ssl(2, 50));
    append(&b, &start_line(1, 51, 1, "http://b/"));
    append(&b, &not_ssl(2, 51));
    run.expect("request from a", |v| {
        v["type"] == "request" && v["pid"] == 50
    });
    run.expect("request from b", |v| {
        v["type"] == "request" && v["pid"] == 51
    });
    assert!(run.seen.iter().any(is_problem("binary")), "{:#?}", run.seen);
}

#[test]
fn stdin_pipe_ends_with_incomplete_and_summary() {
    let d = tempfile::tempdir().unwrap();
    let mut run = start_with(&["tail", "-"], d.path(), Stdio::piped());
    let mut stdin = run.child.stdin.take().unwrap();
    stdin
        .write_all(start_line(1, 60, 1, "http://p/").as_bytes())
        .unwrap();
    stdin.write_all(not_ssl(2, 60).as_bytes()).unwrap();
    stdin.flush().unwrap();
    run.expect("request 1 while stdin is open", is_request(1));
    stdin
        .write_all(start_line(3, 60, 2, "https://p/open").as_bytes())
        .unwrap();
    drop(stdin);
    let (_, v) = run.expect("open request at the end", is_request(2));
    assert_eq!(v["outcome"], "incomplete");
    let (_, s) = run.expect("summary", |v| v["type"] == "summary");
    assert_eq!(s["snapshot"], false);
    assert_eq!(run.wait_exit(), 0);
}

#[test]
fn fail_on_exits_3_right_after_the_alert() {
    let (d, log) = tmp();
    append(&log, &start_line(1, 70, 1, "http://x/"));
    append(&log, &not_ssl(2, 70));
    let mut run = start(
        &[
            "tail",
            "--from-start",
            "--fail-on",
            "gap,cert_not_found",
            "capture.log",
        ],
        d.path(),
    );
    run.expect("request 1", is_request(1));
    append(&log, &start_line(3, 70, 2, "https://x/secure"));
    append(
        &log,
        &dv(4, 70, "Line: 40 rMsg1638: HR = 80070490  Cert not found"),
    );
    let (_, v) = run.expect("the alert", is_request(2));
    assert_eq!(v["outcome"], "cert_not_found");
    let (_, s) = run.expect("summary", |v| v["type"] == "summary");
    assert_eq!(s["interrupted"], true);
    assert_eq!(run.wait_exit(), 3);
}

#[test]
fn until_duration_and_periodic_summaries() {
    let (d, log) = tmp();
    for i in 0..5 {
        append(&log, &start_line(2 * i + 1, 80, i + 1, "http://u/"));
        append(&log, &not_ssl(2 * i + 2, 80));
    }
    let mut run = start(
        &["tail", "--from-start", "--until", "3", "capture.log"],
        d.path(),
    );
    assert_eq!(run.wait_exit(), 0);
    let all = run.rest();
    let n = all.iter().filter(|v| v["type"] == "request").count();
    assert_eq!(n, 3, "{all:#?}");

    let t0 = Instant::now();
    let mut run = start(
        &[
            "tail",
            "--duration",
            "1",
            "--summary-every",
            "0.2",
            "capture.log",
        ],
        d.path(),
    );
    let (_, s) = run.expect("a periodic summary", |v| {
        v["type"] == "summary" && v["snapshot"] == true
    });
    assert_eq!(s["requests"], 0);
    assert_eq!(run.wait_exit(), 0);
    let took = t0.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(4),
        "{took:?}"
    );
    let all = run.rest();
    let snaps = all
        .iter()
        .filter(|v| v["type"] == "summary" && v["snapshot"] == true)
        .count();
    assert!(snaps >= 3, "{snaps} snapshots");
    assert_eq!(all.last().unwrap()["snapshot"], false);
}

#[test]
fn permission_denied_is_told_and_retried() {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let (d, log) = tmp();
        append(&log, &start_line(1, 90, 1, "http://perm/"));
        append(&log, &not_ssl(2, 90));
        fs::set_permissions(&log, fs::Permissions::from_mode(0o000)).unwrap();
        // As root: run as an unprivileged user, who cannot read the file.
        support::open_to_others(d.path());
        let bin = Path::new(env!("CARGO_BIN_EXE_certtrace"));
        let Some(program) = support::honouring_permissions(bin, &log) else {
            return;
        };
        let mut run = start_command(program, &["tail", "capture.log"], d.path(), Stdio::null());
        run.expect("permission notice", is_problem("unreadable"));
        fs::set_permissions(&log, fs::Permissions::from_mode(0o644)).unwrap();
        // Opened late: read from its start.
        run.expect("request after access came back", is_request(1));
    }
}

#[test]
fn capture_time_window_in_batch_mode() {
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("c.log");
    for i in 0..10u32 {
        append(
            &log,
            &format!(
                "{:08}\t{}.5\t[7] Line: 28 rMsg1638: cnt = {} URI: http://t/{i}\t\r\n",
                2 * i,
                i,
                i + 1
            ),
        );
        append(
            &log,
            &format!(
                "{:08}\t{}.6\t[7] Line: 32 rMsg1638: connection is not using SSL\t\r\n",
                2 * i + 1,
                i
            ),
        );
    }
    let out = Command::new(env!("CARGO_BIN_EXE_certtrace"))
        .args(["read", "--since", "3", "--until-time", "6", "c.log"])
        .current_dir(d.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let cnts: Vec<u64> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["type"] == "request")
        .map(|v| v["cnt"].as_u64().unwrap())
        .collect();
    assert_eq!(cnts, [4, 5, 6]);
}

#[test]
fn dashboard_needs_a_terminal() {
    let (d, log) = tmp();
    append(&log, &start_line(1, 1, 1, "http://x/"));
    let out = Command::new(env!("CARGO_BIN_EXE_certtrace"))
        .args(["read", "--format", "dashboard", "capture.log"])
        .current_dir(d.path())
        .output()
        .unwrap();
    // A usage error: the flag does not fit where stdout goes.
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("needs a terminal"), "{err}");
}

#[test]
fn a_line_being_written_at_start_is_read_whole() {
    let (d, log) = tmp();
    append(&log, &start_line(1, 10, 1, "http://old.example/"));
    let line = start_line(2, 10, 2, "http://half.example/abc");
    append(&log, &line[..40]);
    let mut run = start(&["tail", "capture.log"], d.path());
    std::thread::sleep(Duration::from_millis(300));
    append(&log, &line[40..]);
    append(&log, &not_ssl(3, 10));
    let (_, v) = run.expect("request 2", is_request(2));
    assert_eq!(v["uri"], "http://half.example/abc");
    assert_eq!(v["outcome"], "plain_http");
}

/// The request counters of the whole NDJSON lines in `dir`'s
/// `certtrace.ndjson*` files (a line being written is not read yet, as a
/// shipper does).
fn output_requests(dir: &Path) -> Vec<u64> {
    let mut cnts = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("certtrace.ndjson") {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        for line in text.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{name}: half a record {line:?}: {e}"));
            if v["type"] == "request" {
                cnts.push(v["cnt"].as_u64().unwrap());
            }
        }
    }
    cnts.sort_unstable();
    cnts
}

#[test]
fn tail_writes_rotated_output_as_requests_end() {
    let (d, log) = tmp();
    append(&log, "");
    let mut run = start(
        &[
            "tail",
            "--from-start",
            "--until",
            "30",
            "--output",
            "certtrace.ndjson",
            "--rotate-size",
            "1K",
            "--rotate-keep",
            "50",
            "capture.log",
        ],
        d.path(),
    );
    append(&log, &start_line(1, 90, 1, "http://first/"));
    append(&log, &not_ssl(2, 90));
    let deadline = Instant::now() + WAIT;
    while output_requests(d.path()) != [1] {
        assert!(Instant::now() < deadline, "request 1 not in the file");
        std::thread::sleep(Duration::from_millis(20));
    }
    for i in 1..30 {
        append(&log, &start_line(2 * i + 1, 90, i + 1, "http://more/"));
        append(&log, &not_ssl(2 * i + 2, 90));
    }
    assert_eq!(run.wait_exit(), 0);
    assert!(run.rest().is_empty(), "records on stdout with --output");
    assert_eq!(output_requests(d.path()), (1..=30).collect::<Vec<u64>>());
    let rotated = fs::read(d.path().join("certtrace.ndjson.1")).unwrap();
    assert!(rotated.len() >= 1024 && rotated.ends_with(b"\n"));
}
