//! Robustness of the `.etl` reader over mutated real files (truncation, byte
//! flips, overwritten header fields): no panic, bounded allocation, bounded
//! time. Runs in CI as a normal test (`PROPTEST_CASES` raises the count).

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;
use std::time::{Duration, Instant};

use certtrace::input::etl::{self, EtlEvents, EtlOptions};
use proptest::prelude::*;

/// Tracks, per thread, the bytes currently allocated and their peak.
struct Counting;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn add(n: usize) {
    let _ = LIVE.try_with(|l| {
        let v = l.get() + n;
        l.set(v);
        let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
    });
}

fn sub(n: usize) {
    let _ = LIVE.try_with(|l| l.set(l.get().saturating_sub(n)));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        add(l.size());
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        sub(l.size());
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        add(new);
        sub(l.size());
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static A: Counting = Counting;

/// Peak extra bytes allocated on this thread while running `f`.
fn peak_during(f: impl FnOnce()) -> usize {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    f();
    PEAK.with(Cell::get) - base
}

fn load(name: &str) -> Option<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["tests/data/etl", "../shared/fixtures/etl"] {
        if let Ok(b) = std::fs::read(root.join(dir).join(name)) {
            return Some(b);
        }
    }
    support::missing(&format!(
        "fixture {name} not found (tests/data/etl or ../shared/fixtures/etl)"
    ));
    None
}

const FILES: [&str; 4] = [
    "perfview_smallEtlFile.etl",
    "perfview_SelfDescribingSingleEvent.etl",
    "perfview_primitive-types.etl",
    "airbus_AMSITrace.etl",
];

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Flip(usize, u8),
    /// Overwrite 4 bytes with a hostile value (sizes, counts, markers).
    Word(usize, u32),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 1u8..=255).prop_map(|(a, b)| Mutation::Flip(a, b)),
        (
            any::<usize>(),
            prop_oneof![
                Just(0u32),
                Just(0xFFFF_FFFF),
                Just(0x48),
                Just(0xFFFF),
                Just(0x7FFF_FFFF),
                Just(0xC013_0000),
                any::<u32>()
            ]
        )
            .prop_map(|(a, v)| Mutation::Word(a, v)),
    ]
}

/// Positions biased towards the structures: buffer headers, the first
/// records, extended items and schemas (within the first 0x200 bytes of a
/// 64 KiB buffer or of the file).
fn position(bytes: &[u8], raw: usize) -> usize {
    let len = bytes.len().max(1);
    match raw % 3 {
        0 => (raw / 3) % len,
        1 => ((raw / 3) % 0x200).min(len - 1),
        _ => {
            let buffers = len.div_ceil(0x10000);
            let b = (raw / 3) % buffers;
            (b * 0x10000 + (raw / 7) % 0x200).min(len - 1)
        }
    }
}

fn mutate(mut bytes: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        if bytes.is_empty() {
            break;
        }
        match *m {
            Mutation::Truncate(n) => {
                let n = n % (bytes.len() + 1);
                bytes.truncate(n);
            }
            Mutation::Flip(at, x) => {
                let at = position(&bytes, at);
                bytes[at] ^= x;
            }
            Mutation::Word(at, v) => {
                let at = position(&bytes, at);
                let end = (at + 4).min(bytes.len());
                bytes[at..end].copy_from_slice(&v.to_le_bytes()[..end - at]);
            }
        }
    }
    bytes
}

fn read_everything(bytes: &[u8]) {
    let events = EtlEvents::new(bytes, "fuzz.etl".into(), EtlOptions::default());
    for e in events.flatten() {
        assert!(e.text.len() <= bytes.len() * 2);
    }
    let with_field = EtlEvents::new(
        bytes,
        "fuzz.etl".into(),
        EtlOptions {
            provider: None,
            field: Some("Script".into()),
            ansi: None,
        },
    );
    for r in with_field {
        let _ = r;
    }
    if let Ok(rep) = etl::inspect(bytes, "fuzz.etl", 5) {
        let _ = rep.render_text();
        let _ = serde_json::to_string(&rep).unwrap();
    }
    let _ = etl::is_etl(bytes);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
    ))]

    #[test]
    fn mutated_files_never_panic(
        file in 0usize..FILES.len(),
        muts in proptest::collection::vec(mutation(), 1..6),
    ) {
        let Some(orig) = load(FILES[file]) else { return Ok(()) };
        let bytes = mutate(orig, &muts);
        let start = Instant::now();
        let peak = peak_during(|| read_everything(&bytes));
        // Memory: a few buffers (64 KiB here) plus decoded values, never a
        // size taken from the file.
        prop_assert!(peak <= 4 * bytes.len() + (1 << 20), "peak {peak} for {} bytes", bytes.len());
        prop_assert!(start.elapsed() < Duration::from_secs(10), "took {:?}", start.elapsed());
    }
}

#[test]
fn memory_stays_near_one_buffer_on_a_big_file() {
    let Some(bytes) = load("airbus_ShutdownPerfDiagLogger.etl") else {
        return;
    };
    // Streaming from a reader: the file is not held in memory by the reader.
    let peak = peak_during(|| {
        let n = EtlEvents::new(
            std::io::Cursor::new(&bytes),
            "big.etl".into(),
            EtlOptions::default(),
        )
        .count();
        assert_eq!(n, 0);
        let rep = etl::inspect(std::io::Cursor::new(&bytes), "big.etl", 0).unwrap();
        assert_eq!(rep.records, 17078);
    });
    assert!(peak < 3 * 65536 + 64 * 1024, "peak {peak} bytes");
}

#[test]
fn hostile_buffer_sizes_do_not_allocate() {
    // First buffer claims 16 MiB but the input holds 200 bytes.
    let mut b = vec![0u8; 200];
    b[0..4].copy_from_slice(&(16u32 << 20).to_le_bytes());
    b[0x30..0x34].copy_from_slice(&(16u32 << 20).to_le_bytes());
    let peak = peak_during(|| read_everything(&b));
    assert!(peak < 64 * 1024, "peak {peak}");
    // A compressed buffer whose FilledBytes promises far more than the data.
    let mut b = vec![0u8; 0x48 + 16];
    b[0..4].copy_from_slice(&((0x48 + 16) as u32).to_le_bytes());
    b[0x30..0x34].copy_from_slice(&(16u32 << 20).to_le_bytes());
    b[0x34..0x36].copy_from_slice(&0x40u16.to_le_bytes());
    let peak = peak_during(|| read_everything(&b));
    assert!(peak < 64 * 1024, "peak {peak}");
}
