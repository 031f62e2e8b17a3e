//! Writes a realistic multi-process DebugView capture for benchmarks:
//! `cargo run --release --example gen_capture -- <requests> <out.log> [seed] [cert-dir]`.
//! With a directory of DER certificates, clients present those (else the
//! demo certificates).
//! Large captures are written in slices of 50,000 simulated requests so
//! memory stays small whatever the size.

use std::io::{BufWriter, Write};

use certtrace::simulate::{SimConfig, Simulation};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(n), Some(out)) = (
        args.get(1).and_then(|s| s.parse::<usize>().ok()),
        args.get(2),
    ) else {
        eprintln!("usage: gen_capture <requests> <out.log> [seed]");
        std::process::exit(2);
    };
    let seed: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    let certs = match args.get(4) {
        Some(dir) => {
            let mut certs = Vec::new();
            for entry in std::fs::read_dir(dir)? {
                let path = entry?.path();
                if path.extension().is_some_and(|e| e == "der") {
                    certs.push(std::fs::read(path)?);
                }
            }
            certs.sort();
            certs
        }
        None => certtrace::demo::demo_certificates(),
    };
    let mut w = BufWriter::new(std::fs::File::create(out)?);
    let slice = 50_000;
    let mut done = 0;
    let mut index = 0u64;
    let mut t_offset = 0.0;
    let mut part = 0;
    while done < n {
        let k = slice.min(n - done);
        let mut cfg = SimConfig::realistic(seed + part, k, certs.clone());
        // Keep pids apart between slices: each slice is a fresh set of
        // worker processes (the previous ones recycled).
        cfg.reuse_pids = false;
        let sim = Simulation::run(&cfg);
        let mut last = 0.0;
        for l in sim.lines.iter().filter(|l| !l.lost) {
            index += 1;
            last = l.time;
            write!(
                w,
                "{index:08}\t{:.8}\t[{}] {}\t\r\n",
                l.time + t_offset,
                l.pid,
                l.text
            )?;
        }
        t_offset += last;
        done += k;
        part += 1;
    }
    w.flush()
}
