//! How right certtrace assigns messages without thread ids, per timing
//! family, against the newest-first rule (issue 19):
//! `cargo run --release --example inference_accuracy -- [seeds] [requests]`
//! (default 3 seeds of 6,000 requests per family). Simulated DebugView
//! captures; the simulation's thread ids are the truth.

use certtrace::correlate::accuracy::{BANDS, Score, certtrace_debugview, newest_first};
use certtrace::simulate::{FAMILIES, SimConfig, Simulation};

fn pct(right: usize, of: usize) -> String {
    if of == 0 {
        "-".into()
    } else {
        format!("{:.2}%", right as f64 * 100.0 / of as f64)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seeds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(3);
    let requests: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(6000);
    let certs = certtrace::demo::demo_certificates();
    println!(
        "{:13} {:>8} {:>13} {:>10} {:>9} {:>10} {:>10}",
        "family", "requests", "newest-first", "certtrace", "inferred", "inf.right", "exact.right"
    );
    let (mut all_rule, mut all) = (Score::default(), Score::default());
    let mut bands = [(0usize, 0usize); 6];
    for family in FAMILIES {
        let (mut rule, mut ct) = (Score::default(), Score::default());
        for seed in 0..seeds {
            let Some(cfg) = SimConfig::family(family, 1000 + seed, requests, certs.clone()) else {
                continue;
            };
            let sim = Simulation::run(&cfg);
            rule.add(&newest_first(&sim));
            let (score, calibration) = certtrace_debugview(&sim);
            ct.add(&score);
            for (band, (n, right)) in bands.iter_mut().zip(calibration) {
                band.0 += n;
                band.1 += right;
            }
        }
        println!(
            "{:13} {:>8} {:>13} {:>10} {:>9} {:>10} {:>10}",
            family,
            ct.captured,
            pct(rule.right, rule.captured),
            pct(ct.right, ct.captured),
            pct(ct.inferred, ct.captured),
            pct(ct.inferred_right, ct.inferred),
            pct(ct.exact_right, ct.exact),
        );
        all_rule.add(&rule);
        all.add(&ct);
    }
    println!(
        "{:13} {:>8} {:>13} {:>10} {:>9} {:>10} {:>10}",
        "all",
        all.captured,
        pct(all_rule.right, all_rule.captured),
        pct(all.right, all.captured),
        pct(all.inferred, all.captured),
        pct(all.inferred_right, all.inferred),
        pct(all.exact_right, all.exact),
    );
    println!("\ninferred records by confidence (all families):");
    for (i, (n, right)) in bands.iter().enumerate() {
        let band = match BANDS.get(i + 1) {
            Some(hi) => format!("{:.3}-{:.3}", BANDS[i], hi),
            None => format!("{:.3}", BANDS[i]),
        };
        println!("  {band:12} {n:>7} records  {:>8} right", pct(*right, *n));
    }
}
