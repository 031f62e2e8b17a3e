//! Captures as real tools write them: the real files of ../shared/fixtures,
//! each line or event accounted for, and one simulated capture written in
//! every shape a saved capture takes, each giving the requests of the plain
//! DebugView log.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn certtrace() -> Command {
    let mut c = Command::cargo_bin("certtrace").unwrap();
    c.env_remove("NO_COLOR");
    c
}

/// A shared fixture; `None` (with a note) when missing, except in CI,
/// where a missing fixture fails the test.
fn fixture(dir: &str, name: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures")
        .join(dir)
        .join(name);
    if p.exists() {
        return Some(p);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "fixture {} missing (CI=true)",
        p.display()
    );
    eprintln!("note: fixture {} not found; skipped", p.display());
    None
}

/// Reads `args` as NDJSON: (records, stderr).
fn read(args: &[&str]) -> (Vec<Value>, String) {
    let out = certtrace()
        .arg("read")
        .args(["-o", "ndjson"])
        .args(args)
        .assert()
        .success()
        .get_output()
        .clone();
    let records = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (records, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn summary(records: &[Value]) -> &Value {
    let s = records.last().expect("output");
    assert_eq!(s["type"], "summary");
    s
}

#[test]
fn every_real_fixture_is_accounted_for() {
    // (dir, file, events, stderr says): none holds a module message, so
    // every event is foreign and the input is said once to hold none.
    let cases: &[(&str, &str, u64, &str)] = &[
        (
            "real",
            "wkhttp_dbgview_kernel_nopid.log",
            7946,
            "no module message in 7946 lines read as a DebugView log",
        ),
        (
            "real",
            "silketw_readme_event_pretty.json",
            1,
            "no module message in 36 lines read as JSON",
        ),
        (
            "real",
            "silketw_fork_pipe_line.json",
            1,
            "no module message in 1 line read as JSON",
        ),
        (
            "real",
            "hw3d_tracelogging.etl",
            1,
            "providers: Atum-Hw3d (1)",
        ),
        (
            "real",
            "pyetw_user_string_only.etl",
            4,
            "it holds 6 records: event_header64 5, system64 1",
        ),
        (
            "real",
            "pyetwkit_manifest_only.etl",
            73,
            "it holds 149 records: event_header64 73, full64 73, system64 3",
        ),
        (
            "etl",
            "airbus_AMSITrace.etl",
            19,
            "providers: AmsiTrace (19)",
        ),
        (
            "etl",
            "airbus_ShutdownPerfDiagLogger.etl",
            0,
            "it holds 17078 records: perfinfo64 8645, system64 8433; providers: none",
        ),
        (
            "etl",
            "perfview_SelfDescribingSingleEvent.etl",
            1,
            "MySource (1)",
        ),
        ("etl", "perfview_primitive-types.etl", 5, "solar_system (5)"),
        (
            "etl",
            "perfview_smallEtlFile.etl",
            0,
            "it holds 2 records: event_header32 1, system32 1",
        ),
        ("etl", "sonde_test.etl", 9, "sonde-gateway (9)"),
    ];
    for &(dir, name, events, says) in cases {
        let Some(path) = fixture(dir, name) else {
            continue;
        };
        let (records, stderr) = read(&[path.to_str().unwrap()]);
        let s = summary(&records);
        assert_eq!(s["events"], events, "{name}");
        assert_eq!(s["foreign_lines"], events, "{name}");
        assert_eq!(s["module_messages"], 0, "{name}");
        assert_eq!(
            s["input_problems"],
            serde_json::json!({"no_module_messages": 1}),
            "{name}"
        );
        let said: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains("no module message"))
            .collect();
        assert_eq!(said.len(), 1, "{name}: {stderr}");
        assert!(said[0].contains(says), "{name}: {}", said[0]);
        assert!(said[0].contains(name), "{name}: {}", said[0]);
    }
}

#[test]
fn real_silketw_fields_are_read() {
    let Some(pretty) = fixture("real", "silketw_readme_event_pretty.json") else {
        return;
    };
    let (records, _) = read(&["--show-unknown", pretty.to_str().unwrap()]);
    let unknown: Vec<&Value> = records.iter().filter(|r| r["type"] == "unknown").collect();
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0]["source"], format!("{}:1", pretty.display()));
    assert!(unknown[0]["pid"].is_u64(), "{}", unknown[0]);
}

#[test]
fn silketw_08_wrapping_is_reported_and_read_through() {
    let Some(line) = fixture("real", "silketw_fork_pipe_line.json") else {
        return;
    };
    let text = std::fs::read_to_string(line).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("silk08.json");
    // Two wrapped events around a broken one: all three said, two read.
    let wrapped = format!("\"event\":{{{}}}", text.trim());
    std::fs::write(&f, format!("{wrapped}\n{{\"broken\": \n{wrapped}\n")).unwrap();
    let (records, stderr) = read(&[f.to_str().unwrap()]);
    let s = summary(&records);
    assert_eq!(s["events"], 2, "{stderr}");
    assert_eq!(
        s["input_problems"],
        serde_json::json!({"malformed": 3, "no_module_messages": 1}),
        "{stderr}"
    );
    assert!(
        stderr.contains("silk08.json:2: invalid JSON value"),
        "{stderr}"
    );
}

// ---- one simulated capture, every shape ----

/// The plain DebugView log of the demo's simulation: (its text, its lines
/// as (index, time, message with its pid)).
///
/// Its times are rounded to the millisecond: DebugView's clock-time column
/// has no finer resolution, so a shape that switches to clock time carries
/// the same timing evidence (message assignment without thread ids weighs
/// delays) as the plain log it is compared with.
fn plain_capture(dir: &Path) -> String {
    certtrace()
        .args(["demo", "--requests", "300", "--write"])
        .arg(dir)
        .assert()
        .success();
    let log = std::fs::read_to_string(dir.join("capture.log")).unwrap();
    let mut rounded = String::new();
    for line in log.split_inclusive('\n') {
        match line.split_once('\t') {
            Some((index, rest)) if index.bytes().all(|b| b.is_ascii_digit()) => {
                let (time, rest) = rest.split_once('\t').unwrap();
                let ms = (time.parse::<f64>().unwrap() * 1000.0).round() / 1000.0;
                rounded.push_str(&format!("{index}\t{ms:.8}\t{rest}"));
            }
            _ => rounded.push_str(line),
        }
    }
    std::fs::write(dir.join("capture.log"), &rounded).unwrap();
    rounded
}

fn columns(line: &str) -> (&str, &str, &str) {
    let mut c = line.splitn(3, '\t');
    (c.next().unwrap(), c.next().unwrap(), c.next().unwrap())
}

/// The request records of an input, without what differs between shapes
/// (where and when: line numbers, the kind of time), sorted; and the
/// summary's input problems.
fn requests(args: &[&str]) -> (Vec<String>, Value) {
    let (records, _) = read(args);
    let problems = summary(&records)["input_problems"].clone();
    let mut reqs: Vec<String> = records
        .into_iter()
        .filter(|r| r["type"] == "request")
        .map(|mut r| {
            let o = r.as_object_mut().unwrap();
            for k in ["source", "time", "end_time", "time_kind"] {
                o.remove(k);
            }
            // Confidence comes of float arithmetic on the shape's kind of
            // time (seconds since the epoch for dated clock times): equal
            // to two decimals.
            if let Some(c) = o.get("confidence").and_then(Value::as_f64) {
                o.insert("confidence".into(), ((c * 100.0).round() / 100.0).into());
            }
            r.to_string()
        })
        .collect();
    reqs.sort();
    (reqs, problems)
}

/// The same request records, or a failure listing only those that differ.
fn same_requests(got: &[String], want: &[String], shape: &str) {
    let missing: Vec<&String> = want.iter().filter(|r| !got.contains(r)).collect();
    let extra: Vec<&String> = got.iter().filter(|r| !want.contains(r)).collect();
    assert!(
        missing.is_empty() && extra.is_empty() && got.len() == want.len(),
        "{shape}: {} requests, want {}\nmissing: {missing:#?}\nextra: {extra:#?}",
        got.len(),
        want.len()
    );
}

/// Seconds as DebugView's clock time (from 09:00).
fn clock(seconds: f64) -> String {
    let ms = (seconds * 1000.0).round() as u64 + 9 * 3_600_000;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// `[5120] text` → (`5120`, `text`); `0` without a pid.
fn pid_and_message(msg: &str) -> (&str, &str) {
    let msg = msg.trim_end_matches('\t');
    msg.strip_prefix('[')
        .and_then(|m| m.split_once("] "))
        .unwrap_or(("0", msg))
}

/// Saved with the header, numbered from 223, the time column switched to
/// clock time halfway.
fn saved_shape(lines: &[&str]) -> String {
    let mut saved = String::from("[\\\\WEB01]\r\n");
    for (i, l) in lines.iter().enumerate() {
        let (_, t, msg) = columns(l);
        let t = if i < lines.len() / 2 {
            t.to_string()
        } else {
            clock(t.parse().unwrap())
        };
        saved.push_str(&format!("{:08}\t{t}\t{msg}\r\n", i + 223));
    }
    saved
}

fn dblog_shape(lines: &[&str]) -> String {
    let mut dblog = String::from(
        "0.000000\t2026/06/23 09:00:00.000\t0\tDebugView++.exe\tFile Identification Header, DebugView++ Format Version 1\n",
    );
    for l in lines {
        let (_, t, msg) = columns(l);
        let (pid, msg) = pid_and_message(msg);
        let secs: f64 = t.parse().unwrap();
        dblog.push_str(&format!(
            "{secs:.6}\t2026/06/23 {}\t{pid}\tw3wp.exe\t{msg}\n",
            clock(secs)
        ));
    }
    dblog
}

/// DebugViewConsole's console output (-c -s -p -n, tabs) redirected to a
/// file.
fn console_shape(lines: &[&str]) -> String {
    let mut console = String::new();
    for l in lines {
        let (_, t, msg) = columns(l);
        let (pid, msg) = pid_and_message(msg);
        let clock = clock(t.parse().unwrap());
        console.push_str(&format!("{clock}\t{pid}\tw3wp.exe\t\t{msg}\r\n"));
    }
    console
}

/// Pretty-printed JSON events, some back to back.
fn pretty_shape(lines: &[&str]) -> String {
    let mut pretty = String::new();
    for (i, l) in lines.iter().enumerate() {
        let (_, t, msg) = columns(l);
        let (pid, msg) = pid_and_message(msg);
        let pid = pid.parse::<u32>().ok().filter(|&p| p != 0);
        let v = serde_json::json!({"type": "event", "time": t, "time_kind": "elapsed",
            "pid": pid, "message": msg});
        pretty.push_str(&serde_json::to_string_pretty(&v).unwrap());
        pretty.push_str(if i % 3 == 0 { "" } else { "\n" });
    }
    if !pretty.ends_with('\n') {
        pretty.push('\n');
    }
    pretty
}

/// GBK noise lines (other software on a Chinese Windows), one in 40.
fn gbk_shape(lines: &[&str]) -> Vec<u8> {
    let mut gbk = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        gbk.extend_from_slice(l.as_bytes());
        gbk.push(b'\n');
        if i % 40 == 5 {
            let noise = format!(
                "{:08}\t0.5\t[4242] 服务已启动：证书存储打开失败\t\n",
                90000 + i
            );
            gbk.extend_from_slice(&encoding_rs::GBK.encode(&noise).0);
        }
    }
    gbk
}

/// The requests of the saved shape, with the host its header gave taken
/// off (checked to be there).
fn without_host(requests: &[String]) -> Vec<String> {
    let mut out: Vec<String> = requests
        .iter()
        .map(|r| {
            let mut v: Value = serde_json::from_str(r).unwrap();
            assert_eq!(v["host"], "WEB01");
            let inst = v["instance"].as_str().unwrap().to_string();
            v["instance"] = inst
                .strip_prefix("WEB01/")
                .expect("host in instance")
                .into();
            v["host"] = Value::Null;
            v.to_string()
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_shape_gives_the_plain_logs_requests() {
    let dir = tempfile::tempdir().unwrap();
    let log = plain_capture(dir.path());
    let lines: Vec<&str> = log.lines().filter(|l| !l.is_empty()).collect();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let (want, problems) = requests(&[&path("capture.log")]);
    assert!(want.len() > 250, "{}", want.len());
    assert_eq!(problems, serde_json::json!({}));

    let mut big = vec![b'x'; 20 << 20];
    big.push(b'\n');
    big.extend_from_slice(log.as_bytes());
    let noisy = lines.len().div_ceil(40) as u64;
    // (file, content, options, input problems)
    let shapes: Vec<(&str, Vec<u8>, &[&str], Value)> = vec![
        (
            "saved.log",
            saved_shape(&lines).into(),
            &[],
            serde_json::json!({}),
        ),
        (
            "junk.log",
            format!("capture started by ops\n{log}").into(),
            &[],
            serde_json::json!({"malformed": 1}),
        ),
        (
            "big.log",
            big,
            &[],
            serde_json::json!({"line_too_long": 1, "malformed": 1}),
        ),
        (
            "capture.dblog",
            dblog_shape(&lines).into(),
            &[],
            serde_json::json!({}),
        ),
        (
            "console.txt",
            console_shape(&lines).into(),
            &[],
            serde_json::json!({}),
        ),
        (
            "pretty.json",
            pretty_shape(&lines).into(),
            &[],
            serde_json::json!({}),
        ),
        (
            "gbk.log",
            gbk_shape(&lines),
            &["--encoding", "gbk"],
            serde_json::json!({}),
        ),
        (
            "gbk.log",
            gbk_shape(&lines),
            &[],
            serde_json::json!({"encoding": noisy}),
        ),
    ];
    for (name, content, options, want_problems) in shapes {
        std::fs::write(path(name), content).unwrap();
        let mut args = options.to_vec();
        let file = path(name);
        args.push(&file);
        let (got, problems) = requests(&args);
        let got = if name == "saved.log" {
            without_host(&got)
        } else {
            got
        };
        same_requests(&got, &want, &format!("{name} {options:?}"));
        assert_eq!(problems, want_problems, "{name} {options:?}");
    }
    let (records, _) = read(&[&path("capture.dblog")]);
    let instances: Vec<&Value> = records.iter().filter(|r| r["type"] == "instance").collect();
    assert!(!instances.is_empty());
    assert!(instances.iter().all(|r| r["process"] == "w3wp.exe"));
    let first = records.iter().find(|r| r["type"] == "request").unwrap();
    assert_eq!(first["time_kind"], "local");
}

#[test]
fn stdin_pipe_decides_after_a_quiet_time() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command as StdCommand, Stdio};
    let start = "00000001\t0.00000000\t[5120] Line: 28 rMsg1638: cnt = 1 URI: http://a:80/x\t\n\
                 00000002\t0.00001000\t[5120] Line: 32 rMsg1638: connection is not using SSL\t\n";
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("certtrace"))
        .args(["read", "-o", "ndjson", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(start.as_bytes()).unwrap();
    stdin.flush().unwrap();
    // The next request's start settles the first; two lines are far from
    // the 64 of the window: only the quiet time can decide.
    std::thread::sleep(std::time::Duration::from_millis(600));
    stdin
        .write_all(b"00000003\t0.1\t[5120] Line: 28 rMsg1638: cnt = 2 URI: https://a:443/y\t\n")
        .unwrap();
    stdin.flush().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let _ = tx.send(line.unwrap());
        }
    });
    let first = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("a record while stdin is still open");
    assert!(first.contains("\"type\":\"request\""), "{first}");
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_pid_that_leaves_out_everything_is_said() {
    let dir = tempfile::tempdir().unwrap();
    plain_capture(dir.path());
    let log = dir.path().join("capture.log");
    let (records, stderr) = read(&["--pid", "999", log.to_str().unwrap()]);
    let s = summary(&records);
    assert_eq!(s["requests"], 0);
    assert_eq!(
        s["input_problems"],
        serde_json::json!({"no_module_messages": 1})
    );
    assert!(
        stderr.contains("--pid 999: all ") && stderr.contains(" events are of other pids ("),
        "{stderr}"
    );
}

#[test]
fn following_a_saved_log_from_its_end_keeps_its_host() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("saved.log");
    std::fs::write(
        &f,
        "[\\\\WEB01]\r\n00000223\t0.00000000\t[5120] Line: 32 rMsg1638: connection is not using SSL\t\r\n",
    )
    .unwrap();
    let appended = f.clone();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(1000));
        let mut out = std::fs::OpenOptions::new()
            .append(true)
            .open(appended)
            .unwrap();
        out.write_all(
            b"00000224\t0.5\t[5120] Line: 28 rMsg1638: cnt = 1 URI: http://a:80/x\t\r\n\
              00000225\t0.6\t[5120] Line: 32 rMsg1638: connection is not using SSL\t\r\n",
        )
        .unwrap();
    });
    let out = certtrace()
        .args(["tail", "-o", "ndjson", "--duration", "4"])
        .arg(&f)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    writer.join().unwrap();
    let requests: Vec<Value> = String::from_utf8_lossy(&out)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["type"] == "request")
        .collect();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0]["host"], "WEB01");
    assert_eq!(requests[0]["outcome"], "plain_http");
}

#[test]
fn a_pipe_silent_at_first_is_decided_on_its_lines() {
    use std::io::Write;
    use std::process::{Command as StdCommand, Stdio};
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("certtrace"))
        .args(["read", "-o", "ndjson", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Nothing for longer than the quiet time, then pretty JSON.
    std::thread::sleep(std::time::Duration::from_millis(800));
    stdin
        .write_all(b"{\n  \"type\": \"event\",\n  \"pid\": 7,\n  \"message\": \"Line: 32 rMsg1638: connection is not using SSL\"\n}\n")
        .unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["module_messages"], 1, "{stdout}");
    assert_eq!(summary["input_problems"], serde_json::json!({}), "{stdout}");
}
