//! Identification throughput: 1,000,000 `cert crc` observations against a
//! catalog of 10,000 synthetic (size, CRC) entries.
//!
//!     cargo bench --bench certs
//!
//! Figures are recorded in bench/README-certs.md.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use certtrace::certs::crc;
use certtrace::certs::{Catalog, CertInfo, CertObservation, ChainDecoder, CrcMode};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const CATALOG: usize = 10_000;
const OBSERVATIONS: usize = 1_000_000;
const INSTANCES: usize = 8;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn catalog(rng: &mut Rng) -> Vec<CertInfo> {
    (0..CATALOG)
        .map(|i| {
            let size = 600 + rng.below(1400) as u32;
            CertInfo::synthetic(size, rng.next() as u32, &format!("client-{i}"))
        })
        .collect()
}

/// Per instance, the observations in capture order. `gap_pct` of the
/// requests are lost (their certificate still advances the CRC state),
/// `unknown_pct` present a certificate that is not in the catalog.
fn workload(
    rng: &mut Rng,
    certs: &[CertInfo],
    chained: bool,
    gap_per_mille: u64,
    unknown_per_mille: u64,
) -> Vec<Vec<CertObservation>> {
    let per = OBSERVATIONS / INSTANCES;
    (0..INSTANCES)
        .map(|_| {
            let mut state = 0u32;
            let mut out = Vec::with_capacity(per);
            let mut gap = 0;
            let mut cnt = 0u64;
            while out.len() < per {
                cnt += 1;
                let (size, c) = if rng.below(1000) < unknown_per_mille {
                    (600 + rng.below(1400) as u32, rng.next() as u32)
                } else {
                    let e = &certs[rng.below(certs.len() as u64) as usize];
                    (e.der_size, e.crc32)
                };
                let logged = if chained {
                    state = crc::combine(state, c, size as u64);
                    state
                } else {
                    c
                };
                if rng.below(1000) < gap_per_mille {
                    gap += 1;
                    continue;
                }
                out.push(CertObservation {
                    cnt,
                    size: Some(size),
                    logged_crc: logged,
                    preceded_by_gap: gap,
                });
                gap = 0;
            }
            out
        })
        .collect()
}

fn run(cat: &Arc<Catalog>, mode: CrcMode, load: &[Vec<CertObservation>]) -> (u64, u64) {
    let mut identified = 0;
    let mut total = 0;
    for inst in load {
        let mut dec = ChainDecoder::with_mode(Arc::clone(cat), mode);
        for &o in inst {
            let id = dec.observe(o);
            total += 1;
            identified += u64::from(id.cert.is_some());
        }
    }
    (total, identified)
}

/// A stand-in for "reading the capture": splitting and parsing 3 DebugView
/// lines per request (cnt, cert size, cert crc). Not the real pipeline.
fn baseline_lines(load: &[Vec<CertObservation>]) -> String {
    let mut s = String::with_capacity(OBSERVATIONS * 200);
    let mut i = 0u64;
    for (p, inst) in load.iter().enumerate() {
        for o in inst {
            let pid = 5000 + p;
            i += 1;
            s.push_str(&format!("{i:08}\t{:.8}\t[{pid}] Line: 28 rMsg1638: cnt = {} URI: https://shop.example:443/login FILE = c:\\src\\mymodule.cpp Build Tue Jun 23 16:23:14 2026\t\r\n", i as f64 * 1e-4, o.cnt));
            i += 1;
            s.push_str(&format!("{i:08}\t{:.8}\t[{pid}] Line: 45 rMsg1638: cert size: {} Previously negotiated 1\t\r\n", i as f64 * 1e-4, o.size.unwrap_or(0)));
            i += 1;
            s.push_str(&format!(
                "{i:08}\t{:.8}\t[{pid}] Line: 49 rMsg1638: cert crc: {}\t\r\n",
                i as f64 * 1e-4,
                o.logged_crc
            ));
        }
    }
    s
}

fn parse_lines(text: &str) -> u64 {
    let mut acc = 0u64;
    for line in text.lines() {
        let mut cols = line.split('\t');
        let _idx = cols.next();
        let _time: f64 = cols.next().and_then(|t| t.parse().ok()).unwrap_or(0.0);
        let msg = cols.next().unwrap_or("");
        let pid: u64 = msg
            .strip_prefix('[')
            .and_then(|m| m.split(']').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        if let Some(v) = msg.split("cert crc: ").nth(1) {
            acc = acc.wrapping_add(v.trim().parse::<u64>().unwrap_or(0) ^ pid);
        } else if let Some(v) = msg.split("cert size: ").nth(1) {
            acc = acc.wrapping_add(
                v.split(' ')
                    .next()
                    .and_then(|x| x.parse::<u64>().ok())
                    .unwrap_or(0),
            );
        }
    }
    acc
}

fn bench(c: &mut Criterion) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let entries = catalog(&mut rng);
    let mut g = c.benchmark_group("certs");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .warm_up_time(Duration::from_secs(1));

    g.throughput(Throughput::Elements(CATALOG as u64));
    g.bench_function("catalog_build_10k", |b| {
        b.iter(|| black_box(Catalog::from_certs(entries.clone())))
    });
    let cat = Arc::new(Catalog::from_certs(entries.clone()));
    eprintln!(
        "catalog: {} entries, {} distinct sizes",
        cat.len(),
        cat.distinct_sizes()
    );

    g.throughput(Throughput::Elements(OBSERVATIONS as u64));
    let scenarios: [(&str, CrcMode, bool, u64, u64); 5] = [
        ("chained_clean", CrcMode::Auto, true, 0, 0),
        ("chained_1pct_gaps", CrcMode::Auto, true, 10, 0),
        (
            "chained_1pct_gaps_5pct_unknown",
            CrcMode::Auto,
            true,
            10,
            50,
        ),
        ("plain_5pct_unknown", CrcMode::Auto, false, 10, 50),
        ("chained_forced_1pct_gaps", CrcMode::Chained, true, 10, 0),
    ];
    for (name, mode, chained, gaps, unknown) in scenarios {
        let load = workload(&mut rng, &entries, chained, gaps, unknown);
        let (total, identified) = run(&cat, mode, &load);
        eprintln!("{name}: {identified}/{total} identified");
        g.bench_function(name, |b| b.iter(|| black_box(run(&cat, mode, &load))));
        if name == "chained_clean" {
            let text = baseline_lines(&load);
            eprintln!("baseline text: {} MB", text.len() / 1_000_000);
            g.bench_function("baseline_parse_3M_lines", |b| {
                b.iter(|| black_box(parse_lines(&text)))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
