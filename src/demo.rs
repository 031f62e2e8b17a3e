//! `certtrace demo`: a realistic capture synthesised in memory and run
//! through the same pipeline as `read`.

use std::fs;
use std::io;
use std::path::Path;

use crate::simulate::{SimConfig, Simulation};

/// Client certificates of the demo: real DER certificates shipped with the
/// crate (`tests/data/certs/demo/`).
pub fn demo_certificates() -> Vec<Vec<u8>> {
    DEMO_CERTS.iter().map(|(_, der)| der.to_vec()).collect()
}

/// (file name, DER bytes) of the shipped demo certificates.
pub const DEMO_CERTS: &[(&str, &[u8])] = &[
    (
        "alice.der",
        include_bytes!("../tests/data/certs/demo/alice.der"),
    ),
    (
        "bob.der",
        include_bytes!("../tests/data/certs/demo/bob.der"),
    ),
    (
        "carol.der",
        include_bytes!("../tests/data/certs/demo/carol.der"),
    ),
    (
        "dave.der",
        include_bytes!("../tests/data/certs/demo/dave.der"),
    ),
    (
        "erin.der",
        include_bytes!("../tests/data/certs/demo/erin.der"),
    ),
    (
        "frank.der",
        include_bytes!("../tests/data/certs/demo/frank.der"),
    ),
    (
        "kiosk.der",
        include_bytes!("../tests/data/certs/demo/kiosk.der"),
    ),
    (
        "svc-backup.der",
        include_bytes!("../tests/data/certs/demo/svc-backup.der"),
    ),
];

/// The demo's simulation.
pub fn simulation(seed: u64, requests: usize) -> (SimConfig, Simulation) {
    let cfg = SimConfig::realistic(seed, requests, demo_certificates());
    let sim = Simulation::run(&cfg);
    (cfg, sim)
}

/// Writes the capture files to `dir`: `capture.log` (DebugView),
/// `capture.ndjson` (certtrace events with thread ids), `truth.ndjson` (what
/// really happened to each request) and the certificates under `certs/`.
pub fn write(dir: &Path, sim: &Simulation) -> io::Result<Vec<String>> {
    fs::create_dir_all(dir.join("certs"))?;
    let mut written = Vec::new();
    let mut put = |name: &str, data: &[u8]| -> io::Result<()> {
        let p = dir.join(name);
        fs::write(&p, data)?;
        written.push(p.display().to_string());
        Ok(())
    };
    put("capture.log", sim.debugview_log().as_bytes())?;
    put("capture.ndjson", sim.json_events().as_bytes())?;
    let mut truth = String::new();
    for r in &sim.requests {
        let v = serde_json::json!({
            "pid": r.pid, "tid": r.tid, "instance_ordinal": r.instance_ordinal, "cnt": r.cnt,
            "uri": r.uri, "outcome": r.outcome,
            "hresult": r.hresult.map(|h| format!("{h:08x}")),
            "cert_size": r.cert_size, "cert_crc": r.cert_crc,
            "cert_file": r.cert_index.map(|i| DEMO_CERTS[i].0),
        });
        truth.push_str(&v.to_string());
        truth.push('\n');
    }
    put("truth.ndjson", truth.as_bytes())?;
    for (name, der) in DEMO_CERTS {
        put(&format!("certs/{name}"), der)?;
    }
    Ok(written)
}
