//! The `certtrace` binary as a user runs it.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command as StdCommand, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

fn certtrace() -> Command {
    let mut c = Command::cargo_bin("certtrace").unwrap();
    c.env_remove("NO_COLOR");
    c
}

/// Runs certtrace with `stdin`, expects success, returns stdout.
fn stdout_of(args: &[&str], stdin: impl Into<Vec<u8>>) -> Vec<u8> {
    certtrace()
        .args(args)
        .write_stdin(stdin.into())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone()
}

fn ndjson(out: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn of_type<'a>(records: &'a [Value], t: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["type"] == t).collect()
}

fn summary(records: &[Value]) -> &Value {
    let last = records.last().expect("no output");
    assert_eq!(last["type"], "summary", "the summary comes last");
    last
}

const CAPTURE: &str = "00000001\t0.00000000\t[5120] Line: 28 rMsg1638: cnt = 1 URI: https://shop.example:443/login FILE = c:\\src\\mymodule.cpp Build Tue Jun 23 16:23:14 2026\t\r\n\
00000002\t0.00004120\t[5120] Line: 45 rMsg1638: cert size: 1042 Previously negotiated 1\t\r\n\
00000003\t0.00005310\t[5120] Line: 49 rMsg1638: cert crc: 2844112431\t\r\n\
00000004\t0.01830000\t[5120] Line: 28 rMsg1638: cnt = 2 URI: http://shop.example:80/ FILE = c:\\src\\mymodule.cpp Build Tue Jun 23 16:23:14 2026\t\r\n\
00000005\t0.01831200\t[5120] Line: 32 rMsg1638: connection is not using SSL\t\r\n\
00000006\t0.02210000\t[6044] Line: 28 rMsg1638: cnt = 7 URI: https://api.example:443/v1 FILE = c:\\src\\mymodule.cpp Build Tue Jun 23 16:23:14 2026\t\r\n\
00000007\t0.02211500\t[6044] Line: 40 rMsg1638: HR = 80070490  Cert not found\t\r\n";

#[test]
fn spec_capture_as_ndjson() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("c.log");
    std::fs::write(&f, CAPTURE).unwrap();
    let out = certtrace()
        .arg("read")
        .arg(&f)
        .assert()
        .success()
        .get_output()
        .clone();
    let records = ndjson(&out.stdout);
    let reqs = of_type(&records, "request");
    assert_eq!(reqs.len(), 3);
    let r1 = reqs.iter().find(|r| r["cnt"] == 1).unwrap();
    assert_eq!(r1["schema_version"], 1);
    assert_eq!(r1["outcome"], "cert_ok");
    assert_eq!(r1["cert_size"], 1042);
    assert_eq!(r1["cert_crc"], 2844112431u64);
    assert_eq!(r1["pid"], 5120);
    assert_eq!(r1["tid"], Value::Null);
    assert_eq!(r1["assignment"], "exact");
    assert_eq!(r1["source"], format!("{}:1", f.display()));
    let r7 = reqs.iter().find(|r| r["cnt"] == 7).unwrap();
    assert_eq!(r7["hresult"], "80070490");
    assert_eq!(r7["hresult_name"], "ERROR_NOT_FOUND");
    assert_eq!(summary(&records)["requests"], 3);
    assert!(out.stderr.is_empty());
}

#[test]
fn json_document_for_jq() {
    let out = stdout_of(&["read", "-", "--format", "json"], CAPTURE);
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["requests"].as_array().unwrap().len(), 3);
    assert_eq!(v["instances"].as_array().unwrap().len(), 2);
    assert_eq!(v["summary"]["outcomes"]["cert_ok"], 1);
}

#[test]
fn table_shows_requests_and_verdict() {
    let out = stdout_of(
        &["read", "-", "--format", "table", "--color", "never"],
        CAPTURE,
    );
    let text = String::from_utf8(out).unwrap();
    insta::assert_snapshot!("spec_capture_table", text);
}

#[test]
fn colour_only_when_asked_and_no_color_honoured() {
    let out = stdout_of(
        &["read", "-", "--format", "table", "--color", "always"],
        CAPTURE,
    );
    assert!(out.contains(&0x1b), "--color always colours");
    let out = certtrace()
        .args(["read", "-", "--format", "table"])
        .env("NO_COLOR", "1")
        .write_stdin(CAPTURE)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert!(!out.contains(&0x1b));
}

#[test]
fn unreadable_input_is_named_and_the_rest_processed() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("c.log");
    std::fs::write(&f, CAPTURE).unwrap();
    let missing = dir.path().join("missing.log");
    let out = certtrace()
        .arg("read")
        .arg(&missing)
        .arg(&f)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("missing.log: no such file"), "{err}");
    let records = ndjson(&out.stdout);
    assert_eq!(of_type(&records, "request").len(), 3);
    assert_eq!(
        summary(&records)["unreadable_inputs"][0],
        missing.display().to_string()
    );
}

#[test]
fn bad_bytes_are_reported_with_their_line_and_counted() {
    let mut data = CAPTURE.as_bytes().to_vec();
    data.extend_from_slice(b"00000008\t0.03\t[6044] caf\xe9 \xff latin-1 noise\t\r\n");
    data.extend_from_slice(b"not a debugview line at all\r\n");
    let mut long = b"00000009\t0.04\t[6044] ".to_vec();
    long.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    long.extend_from_slice(b"\r\n");
    data.extend_from_slice(&long);
    data.extend_from_slice(
        b"00000010\t0.05\t[6044] Line: 28 rMsg1638: cnt = 8 URI: http://api.example:80/\t\r\n",
    );
    data.extend_from_slice(
        b"00000011\t0.06\t[6044] Line: 32 rMsg1638: connection is not using SSL\t\r\n",
    );
    let out = certtrace()
        .args(["read", "-"])
        .write_stdin(data)
        .assert()
        .success()
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("-:8: not valid UTF-8"), "{err}");
    assert!(err.contains("-:9: not a DebugView entry"), "{err}");
    assert!(err.contains("-:10: line of 10485"), "{err}");
    let records = ndjson(&out.stdout);
    let s = summary(&records);
    assert_eq!(s["input_problems"]["encoding"], 1);
    assert_eq!(s["input_problems"]["malformed"], 1);
    assert_eq!(s["input_problems"]["line_too_long"], 1);
    // Processing went on after them.
    assert_eq!(of_type(&records, "request").len(), 4);
    assert_eq!(s["foreign_lines"], 3);
}

#[test]
fn utf16_capture_with_bom() {
    let mut data = vec![0xFF, 0xFE];
    for u in CAPTURE.encode_utf16() {
        data.extend_from_slice(&u.to_le_bytes());
    }
    let out = certtrace()
        .args(["read", "-"])
        .write_stdin(data)
        .assert()
        .success();
    let records = ndjson(&out.get_output().stdout);
    assert_eq!(of_type(&records, "request").len(), 3);
}

#[test]
fn raw_lines_with_pid_and_clock_time_debugview() {
    let raw = "Line: 28 rMsg1638: cnt = 1 URI: http://a/\nLine: 32 rMsg1638: connection is not using SSL\n";
    let out = certtrace()
        .args(["read", "-", "--pid", "77"])
        .write_stdin(raw)
        .assert()
        .success();
    let records = ndjson(&out.get_output().stdout);
    let r = of_type(&records, "request")[0];
    assert_eq!(r["pid"], 77);
    assert_eq!(r["outcome"], "plain_http");

    let clock = "1\t12:34:56.789 PM\t[9] Line: 28 rMsg1638: cnt = 3 URI: http://a/\t\r\n2\t12:34:56.790 PM\t[9] Line: 32 rMsg1638: connection is not using SSL\t\r\n";
    let out = certtrace()
        .args(["read", "-"])
        .write_stdin(clock)
        .assert()
        .success();
    let records = ndjson(&out.get_output().stdout);
    let r = of_type(&records, "request")[0];
    assert_eq!(r["time"], "12:34:56.789000");
    assert_eq!(r["time_kind"], "time_of_day");
}

#[test]
fn collector_json_lines_use_thread_ids() {
    let silk = r#"{"ProviderGuid":"ce5fa4ea-ab00-5402-8b76-9f76ac858fb5","ProviderName":"MyCompany.MyComponent","EventName":"TraceMsg","TimeStamp":"2026-06-23T16:23:14.1000000+00:00","ThreadID":11,"ProcessID":5120,"ProcessName":"w3wp","XmlEventData":{"msg":"Line: 28 rMsg1638: cnt = 1 URI: https://a/\n"}}
{"ProviderGuid":"ce5fa4ea-ab00-5402-8b76-9f76ac858fb5","ProviderName":"MyCompany.MyComponent","EventName":"TraceMsg","TimeStamp":"2026-06-23T16:23:14.1000100+00:00","ThreadID":12,"ProcessID":5120,"ProcessName":"w3wp","XmlEventData":{"msg":"Line: 28 rMsg1638: cnt = 2 URI: https://b/\n"}}
{"header":{"process_id":5120,"thread_id":12,"timestamp":"2026-06-23 16:23:15Z","provider_name":"MyCompany.MyComponent","event_name":"TraceMsg"},"properties":{"msg":"Line: 55 rMsg1638: No client certificate. fccNeg = 0\n"},"property_types":{"msg":"STRINGW"}}
{"header":{"process_id":5120,"thread_id":11,"timestamp":"2026-06-23 16:23:15Z","provider_name":"MyCompany.MyComponent","event_name":"TraceMsg"},"properties":{"msg":"Line: 40 rMsg1638: HR = 80070490  Cert not found\n"},"property_types":{"msg":"STRINGW"}}
"#;
    let out = certtrace()
        .args(["read", "-"])
        .write_stdin(silk)
        .assert()
        .success();
    let records = ndjson(&out.get_output().stdout);
    let reqs = of_type(&records, "request");
    let r1 = reqs.iter().find(|r| r["cnt"] == 1).unwrap();
    let r2 = reqs.iter().find(|r| r["cnt"] == 2).unwrap();
    assert_eq!(
        (r1["outcome"].as_str(), r1["tid"].as_u64()),
        (Some("cert_not_found"), Some(11))
    );
    assert_eq!(
        (r2["outcome"].as_str(), r2["tid"].as_u64()),
        (Some("no_cert"), Some(12))
    );
    assert!(reqs.iter().all(|r| r["assignment"] == "exact"));
}

#[test]
fn show_unknown_lists_foreign_lines() {
    let text = "1\t0.1\t[44] some other program\t\r\n2\t0.2\t[5120] Line: 9 rMsg1638: new message kind\t\r\n";
    let out = certtrace()
        .args(["read", "-", "--show-unknown"])
        .write_stdin(text)
        .assert()
        .success();
    let records = ndjson(&out.get_output().stdout);
    let unknown = of_type(&records, "unknown");
    assert_eq!(unknown.len(), 2);
    assert_eq!(unknown[0]["kind"], "foreign");
    assert_eq!(unknown[1]["kind"], "module");
    assert_eq!(unknown[1]["source"], "-:2");
}

#[test]
fn outcome_and_uri_filters() {
    let out = certtrace()
        .args([
            "read",
            "-",
            "--outcome",
            "cert_ok",
            "--outcome",
            "plain_http",
            "--uri",
            "shop",
        ])
        .write_stdin(CAPTURE)
        .assert()
        .success();
    let records = ndjson(&out.get_output().stdout);
    assert_eq!(of_type(&records, "request").len(), 2);
    certtrace()
        .args(["read", "-", "--outcome", "nope"])
        .write_stdin(CAPTURE)
        .assert()
        .code(2);
}

#[test]
fn demo_shows_every_outcome_and_round_trips_through_files() {
    let out = certtrace()
        .args(["demo", "--format", "ndjson"])
        .assert()
        .success();
    let records = ndjson(&out.get_output().stdout);
    let s = summary(&records);
    for o in certtrace::record::Outcome::ALL {
        if o != certtrace::record::Outcome::Incomplete {
            let n = s["outcomes"][o.as_str()].as_u64().unwrap_or(0);
            assert!(n > 0, "demo lacks {o:?}");
        }
    }
    // Four processes start (no recycle); one of them recycles on its pid.
    assert_eq!(s["instances"], 5);
    assert_eq!(s["processes"], 4);
    assert_eq!(s["recycles"], 1);
    let recycles = of_type(&records, "recycle");
    assert_eq!(recycles.len(), 1);
    assert_eq!(recycles[0]["reason"], "module_load");
    assert_eq!(recycles[0]["previous"], "5320#1");
    assert!(s["duplicate_cnts"].as_u64().unwrap() > 0);
    assert!(s["foreign_lines"].as_u64().unwrap() > 0);

    let dir = tempfile::tempdir().unwrap();
    certtrace()
        .args(["demo", "--write"])
        .arg(dir.path())
        .assert()
        .success();
    let log = certtrace()
        .arg("read")
        .arg(dir.path().join("capture.log"))
        .assert()
        .success();
    let from_file = ndjson(&log.get_output().stdout);
    assert_eq!(summary(&from_file)["requests"], s["requests"]);
    // The JSON events carry thread ids: every request is exact.
    let json = certtrace()
        .arg("read")
        .arg(dir.path().join("capture.ndjson"))
        .assert()
        .success();
    let records = ndjson(&json.get_output().stdout);
    let reqs = of_type(&records, "request");
    assert!(reqs.iter().all(|r| r["assignment"] == "exact"));
}

#[test]
fn stopped_runs_count_what_they_reported() {
    let dir = tempfile::tempdir().unwrap();
    certtrace()
        .args(["demo", "--write"])
        .arg(dir.path())
        .assert()
        .success();
    let log = dir.path().join("capture.log");
    let all = certtrace().arg("read").arg(&log).assert().success();
    let all = ndjson(&all.get_output().stdout);
    let read = summary(&all)["requests"].as_u64().unwrap();
    assert_eq!(summary(&all)["unreported_requests"], 0);
    for (args, code) in [
        (&["--until", "1"][..], 0),
        (&["--until", "25"][..], 0),
        (&["--fail-on", "recycle"][..], 3),
    ] {
        let out = certtrace()
            .arg("read")
            .arg(&log)
            .args(args)
            .assert()
            .code(code);
        let records = ndjson(&out.get_output().stdout);
        let shown = of_type(&records, "request").len() as u64;
        let s = summary(&records);
        assert_eq!(s["requests"], shown, "{args:?}");
        // Read ahead of the stop (not all of the capture): said, not counted.
        let unreported = s["unreported_requests"].as_u64().unwrap();
        assert!(unreported > 0 && shown + unreported <= read, "{args:?}");
        let by_outcome: u64 = s["outcomes"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(by_outcome, shown, "{args:?}");
        assert_eq!(
            s["exact"].as_u64().unwrap() + s["inferred"].as_u64().unwrap(),
            shown
        );
        assert_eq!(s["interrupted"], true);
    }
    let table = certtrace()
        .arg("read")
        .arg(&log)
        .args(["--until", "1", "--format", "table"])
        .assert()
        .success();
    let text = String::from_utf8_lossy(&table.get_output().stdout).to_string();
    assert!(
        text.contains("Stopped early: ") && text.contains(" more requests read but not reported"),
        "{text}"
    );
}

#[test]
fn certtrace_output_read_back_is_told_once() {
    let dir = tempfile::tempdir().unwrap();
    certtrace()
        .args(["demo", "--requests", "50", "--write"])
        .arg(dir.path())
        .assert()
        .success();
    let report = dir.path().join("report.ndjson");
    let out = certtrace()
        .args(["demo", "--requests", "50", "--format", "ndjson"])
        .assert()
        .success();
    std::fs::write(&report, &out.get_output().stdout).unwrap();
    for (file, kind) in [("truth.ndjson", "truth"), ("report.ndjson", "request")] {
        let out = certtrace()
            .arg("read")
            .arg(dir.path().join(file))
            .assert()
            .success();
        let o = out.get_output();
        let err = String::from_utf8_lossy(&o.stderr);
        let told: Vec<&str> = err.lines().collect();
        assert_eq!(told.len(), 1, "{err}");
        assert!(
            told[0].contains("certtrace's own output") && told[0].contains(kind),
            "{err}"
        );
        let records = ndjson(&o.stdout);
        let s = summary(&records);
        let lines = std::fs::read_to_string(dir.path().join(file))
            .unwrap()
            .lines()
            .count();
        assert!(told[0].contains(&format!("{lines} records")), "{err}");
        assert_eq!(s["input_problems"]["certtrace_output"], 1, "{file}");
        assert_eq!(s["input_problems"].as_object().unwrap().len(), 1, "{file}");
    }
}

#[test]
fn closed_pipe_ends_quietly() {
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("certtrace"))
        .args(["demo", "--requests", "20000", "--format", "ndjson"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    drop(stdout);
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "{status:?} {err}");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn stdin_streams_records_as_lines_arrive() {
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("certtrace"))
        .args(["read", "-", "--format", "ndjson"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"1\t0.1\t[7] Line: 28 rMsg1638: cnt = 1 URI: http://a/\t\r\n2\t0.2\t[7] Line: 32 rMsg1638: connection is not using SSL\t\r\n")
        .unwrap();
    stdin.flush().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let start = Instant::now();
    // The request must show up while stdin is still open.
    let line = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("no streamed output");
    assert!(line.contains("\"type\":\"request\""), "{line}");
    assert!(start.elapsed() < Duration::from_secs(10));
    drop(stdin);
    let status = child.wait().unwrap();
    assert!(status.success());
}

#[test]
fn etl_files_are_detected_and_inspected() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/etl/perfview_SelfDescribingSingleEvent.etl");
    let out = certtrace()
        .args(["read", "--show-unknown"])
        .arg(&fixture)
        .assert()
        .success();
    let records = ndjson(&out.get_output().stdout);
    let unknown = of_type(&records, "unknown");
    assert_eq!(unknown[0]["text"], "Hello");
    let out = certtrace()
        .args(["etl", "--format", "json"])
        .arg(&fixture)
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert!(v["records"].as_u64().unwrap() > 0);
    assert!(v["start"].as_str().unwrap().ends_with('Z'));
    assert!(
        v["providers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["events"] == 1)
    );
}

#[test]
fn etl_backend_option() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/etl/perfview_SelfDescribingSingleEvent.etl");
    let run = |extra: &[&str]| {
        let out = certtrace()
            .args(["read", "--show-unknown", "--format", "ndjson"])
            .args(extra)
            .arg(&fixture)
            .assert()
            .success();
        out.get_output().stdout.clone()
    };
    // The portable reader is the default.
    assert_eq!(run(&[]), run(&["--etl-backend", "portable"]));
    certtrace()
        .args(["read", "--etl-backend", "bogus"])
        .arg(&fixture)
        .assert()
        .code(2);
    #[cfg(not(windows))]
    for cmd in ["read", "tail", "certs"] {
        let out = certtrace()
            .args([cmd, "--etl-backend", "ferrisetw"])
            .arg(&fixture)
            .assert()
            .code(2);
        let o = out.get_output();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("--etl-backend ferrisetw needs Windows"),
            "{err}"
        );
        assert!(o.stdout.is_empty());
    }
}

#[test]
fn usage_errors_exit_2_and_help_names_exit_codes() {
    certtrace().arg("frobnicate").assert().code(2);
    let out = certtrace().arg("--help").assert().success();
    let help = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    assert!(help.contains("Exit codes"), "{help}");
}

#[test]
fn live_buffer_options_out_of_range_are_usage_errors() {
    certtrace()
        .args(["live", "--etw", "x.y", "--buffer-kb", "2"])
        .assert()
        .code(2);
    certtrace()
        .args(["live", "--etw", "x.y", "--min-buffers", "600"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "--min-buffers 600 is more than --max-buffers 512",
        ));
}
