//! `certtrace demo`: a realistic capture synthesised in memory and run
//! through the same pipeline as `read`.

use std::fs;
use std::io;
use std::path::Path;

use crate::certs::DEMO_CERTS;
use crate::simulate::{CrcBuild, SimConfig, Simulation};

/// Client certificates of the demo: the real DER certificates of the demo
/// catalog shipped with the crate, plus one that is in no catalog (an
/// unknown client).
pub fn demo_certificates() -> Vec<Vec<u8>> {
    let mut certs: Vec<Vec<u8>> = DEMO_CERTS.iter().map(|(_, der)| der.to_vec()).collect();
    certs.push(unknown_client_certificate());
    certs
}

/// Bytes standing for a client certificate that no catalog has (its CRC is
/// all the module logs of it).
fn unknown_client_certificate() -> Vec<u8> {
    let mut rng = crate::simulate::Rng::new(0xC0FFEE);
    (0..913).map(|_| rng.next_u64() as u8).collect()
}

/// The demo's simulation.
pub fn simulation(seed: u64, requests: usize) -> (SimConfig, Simulation) {
    let mut cfg = SimConfig::realistic(seed, requests, demo_certificates());
    // One pool runs a corrected module build (plain CRC-32 per
    // certificate), the others the shipped one (chained CRC).
    if let Some(api) = cfg.pools.iter_mut().find(|p| p.name == "ApiPool") {
        api.crc = CrcBuild::Plain;
    }
    // The shop pool's recycle keeps its pid, so that the capture shows a
    // recycle certtrace can tell from a first start.
    cfg.recycle_on_same_pid = true;
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
            "cert_file": r.cert_index.and_then(|i| DEMO_CERTS.get(i)).map(|c| c.0),
        });
        truth.push_str(&v.to_string());
        truth.push('\n');
    }
    put("truth.ndjson", truth.as_bytes())?;
    for (name, der) in DEMO_CERTS {
        let file = name.rsplit('/').next().unwrap_or(name);
        put(&format!("certs/{file}"), der)?;
    }
    Ok(written)
}
