//! Times the pipeline's stages on one thread, cumulatively (read; read and
//! parse; and correlate; and render NDJSON to a sink), to see which stage a
//! change affects; a second argument (`read`, `parse`, `correlate`, `all`)
//! runs only that pass, for a profiler. Also prints the sizes of the types
//! moved per line and per record. (A DebugView source parses the commonest
//! messages itself, see `parse::Preparsed`: for such input `read` includes
//! most of the grammar, and the `parse` pass parses again.)
//!
//! `cargo run --release --example stages -- FILE [read|parse|correlate|all]`
use std::time::Instant;

use certtrace::correlate::{CorrelateOptions, Correlator};
use certtrace::input::{self, ReadOptions, SourceItem};
use certtrace::output::Renderer;

// The same allocator as the binary.
#[cfg(not(windows))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let Some(name) = std::env::args().nth(1) else {
        eprintln!("usage: stages FILE [read]");
        std::process::exit(2);
    };
    println!(
        "bytes: TraceEvent {} SourceItem {} Record {} RequestRecord {} EventTime {} Origin {}",
        std::mem::size_of::<certtrace::input::event::TraceEvent>(),
        std::mem::size_of::<SourceItem>(),
        std::mem::size_of::<certtrace::record::Record>(),
        std::mem::size_of::<certtrace::record::RequestRecord>(),
        std::mem::size_of::<certtrace::input::event::EventTime>(),
        std::mem::size_of::<certtrace::input::event::Origin>()
    );
    sizes();
    let only = std::env::args().nth(2);
    let pass = |name: &str| only.as_deref().is_none_or(|o| o == name);
    if pass("read") {
        let t = Instant::now();
        let mut n = 0u64;
        for item in input::open(&name, &ReadOptions::default()).expect("readable FILE") {
            if let SourceItem::Event(ev) = item {
                n += ev.text.len() as u64;
            }
        }
        println!("read: {:.3}s ({n})", t.elapsed().as_secs_f64());
    }

    if pass("parse") {
        let t = Instant::now();
        let mut k = 0u64;
        for item in input::open(&name, &ReadOptions::default()).expect("readable FILE") {
            if let SourceItem::Event(ev) = item {
                k += certtrace::parse::parse(&ev.text).message.kind_name().len() as u64;
            }
        }
        println!("read+parse: {:.3}s ({k})", t.elapsed().as_secs_f64());
    }

    if pass("correlate") {
        let t = Instant::now();
        let mut c = Correlator::new(CorrelateOptions::default());
        c.set_inputs(vec![name.clone()]);
        let mut records = 0u64;
        for item in input::open(&name, &ReadOptions::default()).expect("readable FILE") {
            if let SourceItem::Event(ev) = item {
                c.push_event(&ev);
                records += c.drain().count() as u64;
            }
        }
        c.finish();
        records += c.drain().count() as u64;
        println!(
            "read+parse+correlate: {:.3}s ({records} records)",
            t.elapsed().as_secs_f64()
        );
    }

    if !pass("all") {
        return;
    }
    let t = Instant::now();
    let mut c = Correlator::new(CorrelateOptions::default());
    c.set_inputs(vec![name.clone()]);
    let mut r = certtrace::output::ndjson::NdjsonRenderer::new(std::io::sink());
    for item in input::open(&name, &ReadOptions::default()).expect("readable FILE") {
        if let SourceItem::Event(ev) = item {
            c.push_event(&ev);
            for rec in c.drain() {
                r.record(&rec).unwrap();
            }
        }
    }
    c.finish();
    for rec in c.drain() {
        r.record(&rec).unwrap();
    }
    r.finish().unwrap();
    println!("all, one thread: {:.3}s", t.elapsed().as_secs_f64());
}

/// The sizes of the record types (a `Record` holds the small ones inline).
fn sizes() {
    use certtrace::record::*;
    println!(
        "Gap {} Orphan {} Unknown {} ModuleError {} Recycle {} Problem {} Instance {}",
        std::mem::size_of::<GapRecord>(),
        std::mem::size_of::<OrphanRecord>(),
        std::mem::size_of::<UnknownRecord>(),
        std::mem::size_of::<ModuleErrorRecord>(),
        std::mem::size_of::<RecycleRecord>(),
        std::mem::size_of::<ProblemRecord>(),
        std::mem::size_of::<InstanceRecord>(),
    );
}
