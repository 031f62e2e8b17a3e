//! `.etl` reader: real Windows files checked against an independent parser
//! (dissect.etl, see tests/oracle/), round trips through a test writer, and
//! robustness over mutated files.

mod etl_support;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use certtrace::etl::{self, EtlEvents, EtlOptions, HeaderKind, RecordReader};
use certtrace::event::{EventTime, Position};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

/// The fixture: the copy in the repo, else the shared directory beside the
/// clone (CI copies shared/ there). `None` (with a note) when neither exists.
fn fixture(name: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["tests/data/etl", "../shared/fixtures/etl"] {
        let p = root.join(dir).join(name);
        if p.exists() {
            return Some(p);
        }
    }
    eprintln!("note: fixture {name} not found (tests/data/etl or ../shared/fixtures/etl); skipped");
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

fn messages(path: &Path, opts: EtlOptions) -> Vec<certtrace::event::TraceEvent> {
    let f = fs::File::open(path).unwrap();
    EtlEvents::new(f, Arc::from(path.to_string_lossy().as_ref()), opts)
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn dump_for_debugging() {
    for name in FIXTURES {
        let Some(path) = fixture(&format!("{name}.etl")) else {
            continue;
        };
        let rep = etl::inspect(fs::File::open(&path).unwrap(), name, 12).unwrap();
        println!("{}", rep.render_text());
        for e in messages(&path, EtlOptions::default()).iter().take(5) {
            println!("{e:?}");
        }
    }
    let _ = (EventTime::Elapsed(0.0), Position::Offset(0));
}
