//! `.etl` reader: real Windows files checked against an independent parser
//! (dissect.etl, see tests/oracle/), round trips through a test writer, and
//! robustness over mutated files.

mod etl_support;
mod support;

use std::fs;
use std::path::{Path, PathBuf};

use certtrace::input::etl::{self, EtlEvents, EtlOptions, HeaderKind, RecordReader};
use certtrace::input::event::{EventTime, Position};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

/// The fixture: the copy in the repo, else the shared directory beside the
/// clone (CI copies shared/ there). `None` (with a note) when neither exists;
/// in CI a missing fixture fails the test.
fn fixture(name: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["tests/data/etl", "../shared/fixtures/etl"] {
        let p = root.join(dir).join(name);
        if p.exists() {
            return Some(p);
        }
    }
    support::missing(&format!(
        "fixture {name} not found (tests/data/etl or ../shared/fixtures/etl)"
    ));
    None
}

fn expected(name: &str) -> Json {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/etl/expected")
        .join(format!("{name}.json"));
    serde_json::from_str(&fs::read_to_string(p).unwrap()).unwrap()
}

const FIXTURES: [&str; 6] = [
    "airbus_AMSITrace",
    "airbus_ShutdownPerfDiagLogger",
    "perfview_SelfDescribingSingleEvent",
    "perfview_primitive-types",
    "perfview_smallEtlFile",
    "sonde_test",
];

fn dash<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_string(), |x| x.to_string())
}

#[test]
fn fixtures_match_dissect_etl() {
    for name in FIXTURES {
        let Some(path) = fixture(&format!("{name}.etl")) else {
            continue;
        };
        let exp = expected(name);
        let mut rr = RecordReader::new(fs::File::open(&path).unwrap());
        let mut lines = Vec::new();
        let mut providers = std::collections::BTreeMap::<String, u64>::new();
        while let Some(r) = rr.next_record() {
            let rec = r.unwrap_or_else(|e| panic!("{name}: {e}"));
            let guid = rec.provider().map(|g| g.to_string());
            if let Some(g) = &guid {
                *providers.entry(g.clone()).or_default() += 1;
            }
            lines.push(format!(
                "{:02x} {} {} {} {}",
                rec.kind.type_code(),
                dash(rec.filetime()),
                dash(rec.pid()),
                dash(rec.tid()),
                dash(guid)
            ));
        }
        let lf = rr.logfile.as_ref().expect("logfile header");
        assert_eq!(lf.pointer_size as u64, exp["pointer_size"], "{name}");
        assert_eq!(lf.buffer_size as u64, exp["buffer_size"], "{name}");
        assert_eq!(lf.buffers_written as u64, exp["buffers_written"], "{name}");
        assert_eq!(lf.clock_type as u64, exp["clock_type"], "{name}");
        assert_eq!(lf.perf_freq, exp["perf_freq"], "{name}");
        assert_eq!(lf.start_time, exp["start_filetime"], "{name}");
        assert_eq!(lf.end_time, exp["end_filetime"], "{name}");
        assert_eq!(lf.events_lost as u64, exp["events_lost"], "{name}");
        assert_eq!(lf.buffers_lost as u64, exp["buffers_lost"], "{name}");
        assert_eq!(lf.logger_name, exp["logger_name"], "{name}");
        assert_eq!(lines.len() as u64, exp["records"], "{name}");
        let mut kinds = serde_json::Map::new();
        for k in HeaderKind::ALL {
            let n = rr.stats.per_kind[k as usize];
            if n > 0 {
                kinds.insert(format!("{:#04x}", k.type_code()), n.into());
            }
        }
        assert_eq!(Json::Object(kinds), exp["header_kinds"], "{name}");
        let providers: serde_json::Map<String, Json> =
            providers.into_iter().map(|(k, v)| (k, v.into())).collect();
        assert_eq!(Json::Object(providers), exp["providers"], "{name}");
        let first: Vec<String> = exp["first_records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(&lines[..first.len()], &first[..], "{name}");
        let mut h = Sha256::new();
        for l in &lines {
            h.update(l.as_bytes());
            h.update(b"\n");
        }
        let digest: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            digest, exp["records_sha256"],
            "{name}: per-record facts differ"
        );
    }
}

fn messages(path: &Path, opts: EtlOptions) -> Vec<certtrace::input::event::TraceEvent> {
    let f = fs::File::open(path).unwrap();
    EtlEvents::new(
        f,
        certtrace::input::event::InputName::from(path.to_string_lossy().as_ref()),
        opts,
    )
    .map(|r| r.unwrap())
    .collect()
}

fn texts(path: &Path, opts: EtlOptions) -> Vec<String> {
    messages(path, opts).into_iter().map(|e| e.text).collect()
}

fn opts(provider: Option<&str>, field: Option<&str>) -> EtlOptions {
    EtlOptions {
        provider: provider.map(|p| p.parse().unwrap()),
        field: field.map(str::to_string),
        ansi: None,
    }
}

#[test]
fn tracelogging_strings_decode() {
    if let Some(p) = fixture("perfview_SelfDescribingSingleEvent.etl") {
        let ev = messages(&p, EtlOptions::default());
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].text, "Hello");
        assert_eq!(ev[0].provider(), Some("MySource"));
        assert_eq!((ev[0].pid, ev[0].tid), (Some(111592), Some(52284)));
        assert_eq!(
            ev[0].time.unwrap().to_string(),
            "2022-04-20T21:27:16.590409Z"
        );
        assert_eq!(texts(&p, opts(None, Some("c"))), ["World!"]);
        assert_eq!(texts(&p, opts(None, Some("a.c"))), ["World!"]);
        assert_eq!(texts(&p, opts(None, Some("a"))), ["{b: Hello, c: World!}"]);
        assert_eq!(texts(&p, opts(Some("MySource"), None)), ["Hello"]);
        assert!(texts(&p, opts(Some("OtherSource"), None)).is_empty());
        // No such field: the event is kept, every field as `name=value`.
        let fallback = texts(&p, opts(None, Some("nope")));
        assert_eq!(fallback.len(), 1);
        assert!(fallback[0].starts_with("a="), "{fallback:?}");
        assert!(fallback[0].contains("World!"), "{fallback:?}");
    }
    if let Some(p) = fixture("airbus_AMSITrace.etl") {
        let engine = "PowerShell_C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe_10.0.18362.1";
        let all = texts(&p, EtlOptions::default());
        assert_eq!(all.len(), 19);
        assert_eq!(all[0], engine);
        assert_eq!(all.iter().filter(|t| *t == engine).count(), 15);
        assert_eq!(all.iter().filter(|t| *t == "VBScript").count(), 4);
        let scripts = texts(
            &p,
            opts(Some("8e805eb3-6a8f-4a1e-90fa-a831d94e54a1"), Some("Script")),
        );
        assert_eq!(scripts.len(), 19);
        assert_eq!(scripts[1], "$global:?");
        assert_eq!(scripts[2], "Get-Alias");
        assert!(scripts[0].starts_with("if ($this.Name.IndexOf('-') -lt 0)"));
        assert_eq!(
            texts(&p, opts(Some("AmsiTrace"), Some("Raw Script")))[2],
            "Get-Alias"
        );
    }
    if let Some(p) = fixture("sonde_test.etl") {
        let ev = messages(&p, opts(Some("sonde-gateway"), None));
        assert_eq!(ev.len(), 9);
        assert_eq!(ev[0].text, "modem health poll failed");
        assert_eq!(ev[1].text, "session created");
        assert_eq!(ev[2].text, "WAKE received");
        assert!(ev.iter().all(|e| e.provider() == Some("sonde-gateway")));
        // The provider GUID is the TraceLogging hash of its name.
        let guid = certtrace::input::provider::Guid::from_provider_name("sonde-gateway");
        assert_eq!(guid.to_string(), "559e1292-fdb4-551e-6ee3-4e8c6d9da223");
        assert_eq!(texts(&p, opts(Some(&guid.to_string()), None)).len(), 9);
    }
    if let Some(p) = fixture("perfview_primitive-types.etl") {
        assert_eq!(
            texts(&p, EtlOptions::default()),
            ["Mercury", "Venus", "Earth", "Mars", "Jupiter"]
        );
        assert_eq!(texts(&p, opts(None, Some("char_type")))[0], "M");
        assert_eq!(texts(&p, opts(None, Some("int16_type")))[0], "-51");
        assert_eq!(texts(&p, opts(None, Some("boolean_type")))[1], "true");
    }
}

#[test]
fn sniffing_and_report() {
    for name in FIXTURES {
        let Some(path) = fixture(&format!("{name}.etl")) else {
            continue;
        };
        let bytes = fs::read(&path).unwrap();
        assert!(etl::is_etl(&bytes[..0x50]), "{name}");
        let exp = expected(name);
        let rep = etl::inspect(bytes.as_slice(), name, 3).unwrap();
        assert_eq!(rep.records, exp["records"], "{name}");
        assert!(rep.issues.is_empty(), "{name}: {:?}", rep.issues);
        let json = serde_json::to_value(&rep).unwrap();
        assert_eq!(json["records"], exp["records"]);
        assert!(json["start"].as_str().unwrap().ends_with('Z'));
        for p in json["providers"].as_array().unwrap() {
            assert_eq!(
                exp["providers"][p["guid"].as_str().unwrap()],
                p["events"],
                "{name}"
            );
            assert!(p.get("name").is_some());
        }
        assert!(rep.render_text().contains("records"));
    }
    assert!(!etl::is_etl(b"Line: 28 rMsg1638: cnt = 1\r\n"));
    assert!(!etl::is_etl(&[0u8; 0x50]));
    if let Some(p) = fixture("perfview_smallEtlFile.etl") {
        let rep = etl::inspect(fs::File::open(p).unwrap(), "small", 10).unwrap();
        assert_eq!(rep.start.as_deref(), Some("2016-08-17T23:30:22.0379266Z"));
        assert_eq!(rep.pointer_size, Some(4));
        assert_eq!(rep.compressed_buffers, 1);
        assert_eq!(rep.header_kinds["system32"], 1);
        assert_eq!(rep.header_kinds["event_header32"], 1);
    }
    if let Some(p) = fixture("airbus_AMSITrace.etl") {
        let rep = etl::inspect(fs::File::open(p).unwrap(), "amsi", 0).unwrap();
        assert_eq!(rep.events_lost, Some(3));
        assert_eq!(rep.providers[0].name.as_deref(), Some("AmsiTrace"));
        assert_eq!(rep.messages, 19);
        let rep = etl::inspect(
            fs::File::open(fixture("airbus_AMSITrace.etl").unwrap()).unwrap(),
            "amsi",
            5,
        )
        .unwrap();
        let text = rep.render_text();
        assert!(
            text.contains("8e805eb3-6a8f-4a1e-90fa-a831d94e54a1        19  AmsiTrace"),
            "{text}"
        );
        assert!(
            text.contains("records       21 (event_header64 19, system64 2)"),
            "{text}"
        );
        assert!(text.contains("lost          3 events, 0 buffers"), "{text}");
        // One line per record even when a field holds a multi-line script.
        assert_eq!(
            text.lines().filter(|l| l.starts_with("  @")).count(),
            5,
            "{text}"
        );
    }
}

const MODULE_MESSAGES: [&str; 4] = [
    "Line: 28 rMsg1638: cnt = 1 URI: https://shop.example:443/login\n",
    "Line: 57 rMsg1638: HR = 80070005  CertGetCertificateChain failed\n",
    "rMsg1638 FAILURE at : 112 HR = 800b0109      chain not trusted",
    "Line: 31 rMsg1638: DBGVIEWCLEAR DBG-VIEW-CLEAR start \u{e9}t\u{e9} \u{1F512}\n",
];

const MODULE: &str = "Contoso.IIS.ClientCertModule";

/// Writes `n` events alternating string-only (GUID provider) and
/// TraceLogging (`MODULE`, field `msg` after an integer field).
fn module_file(n: usize, buffer_size: usize, ptr64: bool, compress: bool) -> Vec<u8> {
    use etl_support::*;
    let mut w = EtlWriter::new(buffer_size, ptr64, compress);
    w.logfile_header("certtrace-test");
    let guid: certtrace::input::provider::Guid =
        "3f0e1c2d-4b5a-4c6d-8e7f-901a2b3c4d5e".parse().unwrap();
    for i in 0..n {
        let text = MODULE_MESSAGES[i % MODULE_MESSAGES.len()];
        let ts = T0 + 10_000 * i as u64 + 3;
        let pid = 4000 + (i % 3) as u32;
        let tid = 100 + i as u32;
        let rec = if i % 2 == 0 {
            string_only(guid, pid, tid, ts, text)
        } else {
            let mut data = Vec::new();
            data.extend_from_slice(&(i as u32).to_le_bytes());
            data.extend_from_slice(&utf16z(text));
            let activity = certtrace::input::provider::Guid::from_le_bytes([i as u8; 16]);
            tracelogging(
                MODULE,
                "Trace",
                &[("seq", 8, None), ("msg", 1, None)],
                &data,
                pid,
                tid,
                ts,
                activity,
            )
        };
        w.push(&rec);
    }
    w.finish()
}

fn read_all(
    bytes: &[u8],
    opts: EtlOptions,
) -> (Vec<certtrace::input::event::TraceEvent>, Vec<etl::EtlIssue>) {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for r in EtlEvents::new(bytes, "mem.etl".into(), opts) {
        match r {
            Ok(e) => ok.push(e),
            Err(e) => bad.push(e),
        }
    }
    (ok, bad)
}

#[test]
fn round_trip_string_only_and_tracelogging() {
    for (ptr64, compress) in [(true, false), (false, false), (true, true), (false, true)] {
        let n = 300;
        let bytes = module_file(n, 4096, ptr64, compress);
        assert!(etl::is_etl(&bytes));
        let (events, issues) = read_all(&bytes, EtlOptions::default());
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(events.len(), n, "ptr64 {ptr64} compress {compress}");
        let mut last_offset = 0;
        for (i, e) in events.iter().enumerate() {
            let want = certtrace::input::event::trim_message_end(MODULE_MESSAGES[i % 4]);
            assert_eq!(e.text, want);
            assert_eq!(e.pid, Some(4000 + (i % 3) as u32));
            assert_eq!(e.tid, Some(100 + i as u32));
            // QPC at 10 MHz: 1 tick = 100 ns; T0 is the session start.
            let t = chrono::DateTime::parse_from_rfc3339("2026-06-23T16:23:14Z").unwrap()
                + chrono::Duration::nanoseconds(100 * (10_000 * i as i64 + 3));
            assert_eq!(e.time, Some(EventTime::Utc(t.to_utc())));
            if i % 2 == 0 {
                assert_eq!(e.provider(), Some("3f0e1c2d-4b5a-4c6d-8e7f-901a2b3c4d5e"));
                assert_eq!(e.activity_id(), None);
            } else {
                assert_eq!(e.provider(), Some(MODULE));
                let activity = certtrace::input::provider::Guid::from_le_bytes([i as u8; 16]);
                assert_eq!(e.activity_id(), Some(activity.to_string().as_str()));
            }
            let Position::Offset(o) = e.origin.position else {
                panic!("offset expected")
            };
            assert!(o >= last_offset);
            last_offset = o;
        }
        let rep = etl::inspect(bytes.as_slice(), "mem.etl", 2).unwrap();
        assert_eq!(rep.records, n as u64 + 1);
        assert_eq!(rep.messages, n as u64);
        assert!(rep.buffers > 5);
        if compress {
            assert_eq!(rep.compressed_buffers, rep.buffers - 1);
            assert!(bytes.len() < 4096 * rep.buffers as usize / 2);
        }
        assert_eq!(rep.start.as_deref(), Some("2026-06-23T16:23:14.0000000Z"));
        assert_eq!(rep.pointer_size, Some(if ptr64 { 8 } else { 4 }));
        // Provider filter and field selection.
        let (only_tl, _) = read_all(&bytes, opts(Some(MODULE), None));
        assert_eq!(only_tl.len(), n / 2);
        let (seq, _) = read_all(&bytes, opts(Some(MODULE), Some("seq")));
        assert_eq!(seq[0].text, "1");
        let (only_so, _) = read_all(
            &bytes,
            opts(Some("3f0e1c2d-4b5a-4c6d-8e7f-901a2b3c4d5e"), None),
        );
        assert_eq!(only_so.len(), n / 2);
    }
}

#[test]
fn compressed_buffers_are_not_aligned() {
    let bytes = module_file(200, 8192, true, true);
    let mut offsets = Vec::new();
    let mut at = 0usize;
    while at + 0x48 <= bytes.len() {
        offsets.push(at);
        at += u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    }
    assert_eq!(at, bytes.len());
    assert!(offsets.iter().any(|o| o % 8 != 0), "{offsets:?}");
    let (events, issues) = read_all(&bytes, EtlOptions::default());
    assert!(issues.is_empty());
    assert_eq!(events.len(), 200);
    let mut it = EtlEvents::new(bytes.as_slice(), "m".into(), EtlOptions::default());
    assert_eq!(it.by_ref().count(), 200);
    assert_eq!(it.stats().records, 201);
    assert_eq!(it.stats().compressed_buffers, it.stats().buffers - 1);
    assert_eq!(it.logfile_header().unwrap().logger_name, "certtrace-test");
}

#[test]
fn every_header_kind_is_walked() {
    use etl_support::*;
    let g: certtrace::input::provider::Guid =
        "11111111-2222-3333-4444-555555555555".parse().unwrap();
    let mut w = EtlWriter::new(4096, true, false);
    w.logfile_header("kinds");
    let ts = |k: u64| T0 + 1000 * k;
    let recs: Vec<(u8, Vec<u8>)> = vec![
        (
            0x01,
            system_record(0x01, 0x05, 0x03, 11, 12, ts(1), &[1, 2, 3]),
        ),
        (0x02, system_record(0x02, 0x05, 0x03, 21, 22, ts(2), &[])),
        (0x03, compact_record(0x03, 31, 32, ts(3), &[9; 5])),
        (0x04, compact_record(0x04, 41, 42, ts(4), &[])),
        (0x10, perfinfo_record(0x10, ts(5), 0, &[7; 4])),
        (0x11, perfinfo_record(0x11, ts(6), 2, &[7; 12])),
        (0x0a, full_record(0x0A, g, 71, 72, ts(7), b"abc")),
        (0x14, full_record(0x14, g, 81, 82, ts(8), &[])),
        (0x0b, instance_record(0x0B, g, 91, 92, ts(9))),
        (0x15, instance_record(0x15, g, 101, 102, ts(10))),
        (0x0f, message_record(g, 111, 112, ts(11), b"wpp")),
        (
            0x12,
            event_header_record(
                0x12,
                0x0004,
                g,
                121,
                122,
                ts(12),
                g,
                &[],
                &utf16z("thirty-two"),
            ),
        ),
        (
            0x13,
            event_header_record(
                0x13,
                0,
                g,
                131,
                132,
                ts(13),
                g,
                &[
                    (1, vec![0x22; 16]),
                    (12, prov_traits("Kinds.Provider")),
                    (
                        11,
                        certtrace::input::etl::tracelogging::encode_schema(
                            "E",
                            &[("msg", 2, None)],
                        ),
                    ),
                ],
                b"ansi text\0",
            ),
        ),
    ];
    for (_, r) in &recs {
        w.push(r);
    }
    let bytes = w.finish();
    let mut rr = RecordReader::new(bytes.as_slice());
    let mut seen = Vec::new();
    while let Some(r) = rr.next_record() {
        let rec = r.unwrap();
        seen.push((
            rec.kind.type_code(),
            rec.filetime(),
            rec.pid(),
            rec.tid(),
            rec.provider(),
            rec.payload().len(),
        ));
    }
    assert_eq!(seen.len(), recs.len() + 1);
    for (k, ((code, _), s)) in recs.iter().zip(&seen[1..]).enumerate() {
        let k = k as u64 + 1;
        assert_eq!(s.0, *code);
        assert_eq!(
            s.1,
            Some((etl_support::START_FILETIME + 1000 * k) as i64),
            "kind {code:#x}"
        );
        let has_ids = !matches!(code, 0x10 | 0x11);
        assert_eq!(s.2, has_ids.then_some(k as u32 * 10 + 1), "kind {code:#x}");
        assert_eq!(s.3, has_ids.then_some(k as u32 * 10 + 2), "kind {code:#x}");
        let has_guid = matches!(code, 0x0a | 0x14 | 0x0b | 0x15 | 0x0f | 0x12 | 0x13);
        assert_eq!(s.4, has_guid.then_some(g), "kind {code:#x}");
    }
    // Payloads exclude the header and the PMC counter words.
    assert_eq!(seen[1].5, 3);
    assert_eq!(seen[5].5, 4);
    assert_eq!(seen[6].5, 12);
    let (ev, issues) = read_all(&bytes, EtlOptions::default());
    assert!(issues.is_empty(), "{issues:?}");
    let t: Vec<&str> = ev.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(t, ["thirty-two", "ansi text"]);
    assert_eq!(ev[1].provider(), Some("Kinds.Provider"));
    assert_eq!(ev[1].activity_id(), Some(g.to_string().as_str()));
    // A TraceLogging provider registered with an explicit GUID is still found
    // by its name (from the provider traits); the string-only one is not.
    let (by_name, _) = read_all(&bytes, opts(Some("Kinds.Provider"), None));
    assert_eq!(by_name.len(), 1);
    assert_eq!(by_name[0].text, "ansi text");
    let rep = etl::inspect(bytes.as_slice(), "kinds", 0).unwrap();
    assert_eq!(rep.header_kinds.len(), 13);
    assert_eq!(rep.records, 14);
}

#[test]
fn corrupt_and_truncated_buffers_are_reported_and_skipped() {
    let bytes = module_file(300, 4096, true, false);
    let (all, _) = read_all(&bytes, EtlOptions::default());
    // A record with an impossible size in the third buffer.
    let mut bad = bytes.clone();
    let third = 2 * 4096 + 0x48;
    bad[third..third + 2].copy_from_slice(&0xFFF0u16.to_le_bytes());
    let (ev, issues) = read_all(&bad, EtlOptions::default());
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].offset(), Some(third as u64));
    assert!(ev.len() < all.len() && ev.len() > all.len() - 40);
    // A buffer whose size is garbage: resynchronised on the buffer size.
    let mut bad = bytes.clone();
    bad[3 * 4096..3 * 4096 + 4].copy_from_slice(&7u32.to_le_bytes());
    let (ev, issues) = read_all(&bad, EtlOptions::default());
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(issues[0].offset(), Some(3 * 4096));
    assert!(ev.len() < all.len() && ev.len() > all.len() - 40);
    // Truncated in the middle of a buffer: complete records are read.
    let cut = &bytes[..5 * 4096 + 1000];
    let (ev, issues) = read_all(cut, EtlOptions::default());
    assert!(
        matches!(issues.as_slice(), [etl::EtlIssue::Truncated { offset, .. }] if *offset == 5 * 4096),
        "{issues:?}"
    );
    assert!(ev.len() > 5 * all.len() / (bytes.len() / 4096) - 10);
    assert_eq!(ev[..], all[..ev.len()]);
    // Compressed buffer with corrupt data.
    let bytes = module_file(300, 4096, true, true);
    let second = u32::from_le_bytes(bytes[0..4].try_into().unwrap()) as usize;
    let mut bad = bytes.clone();
    for b in &mut bad[second + 0x48..second + 0x60] {
        *b = 0xFF;
    }
    let (ev, issues) = read_all(&bad, EtlOptions::default());
    assert!(!issues.is_empty());
    assert!(
        issues.iter().all(|i| i.offset() == Some(second as u64)),
        "{issues:?}"
    );
    assert!(ev.len() > 200);
}

#[test]
fn tracelogging_strings_match_etl_parser() {
    use certtrace::input::etl::tracelogging::{DEFAULT_ANSI, Schema, Value, find_field};
    let exp = expected("tracelogging_strings");
    for (file, events) in exp.as_object().unwrap() {
        let Some(path) = fixture(file) else {
            continue;
        };
        let mut rr = RecordReader::new(fs::File::open(&path).unwrap());
        let mut got = Vec::new();
        while let Some(r) = rr.next_record() {
            let rec = r.unwrap();
            let Some(eh) = rec.event_header() else {
                continue;
            };
            let eh = eh.unwrap();
            let Some(meta) = eh.ext_item(11) else {
                continue;
            };
            let schema = Schema::parse(meta).unwrap();
            let decoded = schema.decode(eh.user_data, eh.pointer_size, DEFAULT_ANSI);
            assert_eq!(decoded.problem, None, "{file}");
            let fields = decoded.fields;
            got.push((
                eh.provider.to_string(),
                eh.pid,
                eh.tid,
                schema.event_name,
                fields,
            ));
        }
        let events = events.as_array().unwrap();
        assert_eq!(got.len(), events.len(), "{file}");
        for (g, e) in got.iter().zip(events) {
            assert_eq!(g.0, e["provider"], "{file}");
            assert_eq!(g.1 as u64, e["pid"], "{file}");
            assert_eq!(g.2 as u64, e["tid"], "{file}");
            assert_eq!(g.3, e["event"], "{file}");
            for (name, want) in e["strings"].as_object().unwrap() {
                assert_eq!(
                    find_field(&g.4, name),
                    Some(&Value::Str(want.as_str().unwrap().to_string())),
                    "{file}: field {name}"
                );
            }
        }
    }
}

/// The events live capture meets on a real server, in a file: a counted
/// UTF-16 string (`TraceLoggingCountedWideString`), a counted UTF-8 string
/// (the `str8` of Rust's tracelogging crate), an ANSI string in the code
/// page, and an event with a field the decoder does not know (reported,
/// the message before it kept).
#[test]
fn counted_ansi_and_undecodable_fields_in_a_file() {
    use etl_support::*;
    let line = "Line: 28 rMsg1638: cnt = 1 URI: https://shop.example:443/login";
    let counted = |b: &[u8]| {
        let mut d = (b.len() as u16).to_le_bytes().to_vec();
        d.extend_from_slice(b);
        d
    };
    let w16: Vec<u8> = line.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let nil = certtrace::input::provider::Guid::from_le_bytes([0; 16]);
    let mut w = EtlWriter::new(4096, true, false);
    w.logfile_header("certtrace");
    let mut ansi = b"Line: 45 rMsg1638: caf\xe9 \x80\0".to_vec();
    ansi.extend_from_slice(&7u32.to_le_bytes());
    let mut odd = b"Line: 46 rMsg1638: kept\0".to_vec();
    odd.extend_from_slice(&[1, 2, 3]);
    for (i, (fields, data)) in [
        (vec![("msg", 22u8, None)], counted(&w16)),
        (vec![("msg", 23, Some(35))], counted(line.as_bytes())),
        (vec![("msg", 2, None), ("n", 8, None)], ansi),
        (vec![("msg", 2, None), ("odd", 31, None)], odd),
    ]
    .into_iter()
    .enumerate()
    {
        w.push(&tracelogging(
            MODULE,
            "Trace",
            &fields,
            &data,
            5120,
            77,
            1 + i as u64,
            nil,
        ));
    }
    let (ev, issues) = read_all(&w.finish(), EtlOptions::default());
    let texts: Vec<&str> = ev.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            line,
            line,
            "Line: 45 rMsg1638: café €",
            "Line: 46 rMsg1638: kept"
        ]
    );
    assert_eq!(issues.len(), 1, "{issues:?}");
    let issue = issues[0].to_string();
    assert!(
        issue.contains("\"odd\"") && issue.contains("InType 31"),
        "{issue}"
    );
    // GBK when the code page is given.
    let mut w = EtlWriter::new(4096, true, false);
    w.logfile_header("certtrace");
    w.push(&tracelogging(
        MODULE,
        "Trace",
        &[("msg", 2, None)],
        b"\xd6\xd0\xce\xc4\0",
        1,
        2,
        3,
        nil,
    ));
    let opts = EtlOptions {
        ansi: Some(encoding_rs::GBK),
        ..EtlOptions::default()
    };
    let (ev, issues) = read_all(&w.finish(), opts);
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(ev[0].text, "中文");
}
