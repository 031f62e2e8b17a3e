//! Throughput of the portable `.etl` reader, for `bench/etl.sh`.
//!
//! `cargo run --release --example etl_bench -- FILE [MIN_SECONDS]` reads FILE
//! (from memory, through the streaming `Read` interface) repeatedly for at
//! least MIN_SECONDS (default 2) and prints one JSON line: records walked
//! (every header kind, with time, pid, tid and provider read as the oracle
//! does), messages extracted, and rates.

use std::time::Instant;

use certtrace::input::etl::{EtlEvents, EtlOptions, RecordReader};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: etl_bench FILE [MIN_SECONDS]");
    let min_secs: f64 = args.next().map_or(2.0, |s| s.parse().expect("seconds"));
    let bytes = std::fs::read(&path).expect("read file");
    let name = certtrace::input::event::InputName::from(path.as_str());

    // Pass 1: every record, the facts the oracle extracts.
    let start = Instant::now();
    let mut iterations = 0u64;
    let mut records = 0u64;
    let mut checksum = 0u64;
    while iterations == 0 || start.elapsed().as_secs_f64() < min_secs {
        let mut rr = RecordReader::new(bytes.as_slice());
        while let Some(r) = rr.next_record() {
            if let Ok(rec) = r {
                records += 1;
                checksum = checksum
                    .wrapping_add(rec.filetime().unwrap_or(0) as u64)
                    .wrapping_add(rec.pid().unwrap_or(0) as u64)
                    .wrapping_add(rec.tid().unwrap_or(0) as u64)
                    .wrapping_add(rec.provider().map_or(0, |g| g.data1 as u64));
            }
        }
        iterations += 1;
    }
    let rec_secs = start.elapsed().as_secs_f64();

    // Pass 2: message extraction (TraceLogging / string-only decoding).
    let start = Instant::now();
    let mut msg_iterations = 0u64;
    let mut messages = 0u64;
    while msg_iterations == 0 || start.elapsed().as_secs_f64() < min_secs {
        messages += EtlEvents::new(bytes.as_slice(), name, EtlOptions::default())
            .filter(Result::is_ok)
            .count() as u64;
        msg_iterations += 1;
    }
    let msg_secs = start.elapsed().as_secs_f64();
    println!(
        "{{\"reader\": \"certtrace\", \"file\": {:?}, \"bytes\": {}, \"records_per_pass\": {}, \"passes\": {}, \"records_per_s\": {:.0}, \"mb_per_s\": {:.1}, \"messages_per_pass\": {}, \"messages_per_s\": {:.0}, \"checksum\": {}}}",
        path,
        bytes.len(),
        records / iterations,
        iterations,
        records as f64 / rec_secs,
        (bytes.len() as f64 * iterations as f64) / rec_secs / 1e6,
        messages / msg_iterations,
        messages as f64 / msg_secs,
        checksum
    );
}
