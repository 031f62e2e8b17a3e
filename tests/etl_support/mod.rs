//! A small `.etl` writer for the tests: buffers (`WMI_BUFFER_HEADER`), the
//! logfile header record, and records of every header kind, laid out the way
//! Windows writes them (little-endian, records 8-byte aligned, the unused
//! tail of a buffer filled with 0xFF). Optionally compresses every buffer
//! after the first with MS-XCA plain LZ77, as the relogger does (flag 0x40,
//! `BufferSize` = bytes on disk, `FilledBytes` = bytes once decompressed), so
//! buffers end up at offsets that are not 8-aligned.

#![allow(dead_code)]

use certtrace::input::etl::lz77;
use certtrace::input::provider::Guid;

pub const BUFFER_HEADER_LEN: usize = 0x48;

/// Start of the session: 2026-06-23T16:23:14Z as FILETIME.
pub const START_FILETIME: u64 = 134_267_053_940_000_000;
/// QPC value of the logfile header record.
pub const T0: u64 = 5_000_000_000;

pub struct EtlWriter {
    pub buffer_size: usize,
    pub ptr64: bool,
    pub compress: bool,
    pub perf_freq: u64,
    pub events_lost: u32,
    buffers: Vec<Vec<u8>>,
    cur: Vec<u8>,
}

fn put16(b: &mut Vec<u8>, v: u16) {
    b.extend_from_slice(&v.to_le_bytes());
}
fn put32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}
fn put64(b: &mut Vec<u8>, v: u64) {
    b.extend_from_slice(&v.to_le_bytes());
}

pub fn utf16z(s: &str) -> Vec<u8> {
    s.encode_utf16()
        .chain([0])
        .flat_map(|u| u.to_le_bytes())
        .collect()
}

/// Sets the size field (u16 at `at`) of a finished record.
fn set_size(rec: &mut [u8], at: usize) {
    let n = rec.len() as u16;
    rec[at..at + 2].copy_from_slice(&n.to_le_bytes());
}

/// A system (full, 0x20 bytes) header record: `type_code` 0x01 or 0x02.
pub fn system_record(
    type_code: u8,
    group: u8,
    opcode: u8,
    pid: u32,
    tid: u32,
    ts: u64,
    payload: &[u8],
) -> Vec<u8> {
    let mut r = Vec::new();
    put16(&mut r, 2); // version
    r.push(type_code);
    r.push(0xC0);
    put16(&mut r, 0); // size, set below
    r.push(opcode);
    r.push(group);
    put32(&mut r, tid);
    put32(&mut r, pid);
    put64(&mut r, ts);
    put64(&mut r, 0); // kernel/user time
    r.extend_from_slice(payload);
    set_size(&mut r, 4);
    r
}

/// A compact system header record (0x18 bytes): `type_code` 0x03 or 0x04.
pub fn compact_record(type_code: u8, pid: u32, tid: u32, ts: u64, payload: &[u8]) -> Vec<u8> {
    let mut r = Vec::new();
    put16(&mut r, 2);
    r.push(type_code);
    r.push(0xC0);
    put16(&mut r, 0);
    r.push(0x24);
    r.push(0x05);
    put32(&mut r, tid);
    put32(&mut r, pid);
    put64(&mut r, ts);
    r.extend_from_slice(payload);
    set_size(&mut r, 4);
    r
}

/// A perfinfo header record (0x10 bytes): `type_code` 0x10 or 0x11; `pmc`
/// adds that many PMC counter words (bits 8-10 of the version word).
pub fn perfinfo_record(type_code: u8, ts: u64, pmc: u16, payload: &[u8]) -> Vec<u8> {
    let mut r = Vec::new();
    put16(&mut r, 2 | (pmc << 8));
    r.push(type_code);
    r.push(0xC0);
    put16(&mut r, 0);
    r.push(0x2E);
    r.push(0x0F);
    put64(&mut r, ts);
    for i in 0..pmc {
        put64(&mut r, 1000 + i as u64);
    }
    r.extend_from_slice(payload);
    set_size(&mut r, 4);
    r
}

/// An `EVENT_TRACE_HEADER` (full) record, 0x30 bytes: `type_code` 0x0A/0x14.
pub fn full_record(
    type_code: u8,
    provider: Guid,
    pid: u32,
    tid: u32,
    ts: u64,
    payload: &[u8],
) -> Vec<u8> {
    let mut r = Vec::new();
    put16(&mut r, 0);
    r.push(type_code);
    r.push(0xC0);
    put32(&mut r, 0x0002_0000); // type 0, level 2? version
    put32(&mut r, tid);
    put32(&mut r, pid);
    put64(&mut r, ts);
    r.extend_from_slice(&provider.to_le_bytes());
    put64(&mut r, 0);
    r.extend_from_slice(payload);
    set_size(&mut r, 0);
    r
}

/// An `EVENT_INSTANCE_GUID_HEADER` record, 0x48 bytes: `type_code` 0x0B/0x15.
pub fn instance_record(type_code: u8, provider: Guid, pid: u32, tid: u32, ts: u64) -> Vec<u8> {
    let mut r = Vec::new();
    put16(&mut r, 0);
    r.push(type_code);
    r.push(0xC0);
    put32(&mut r, 0);
    put32(&mut r, tid);
    put32(&mut r, pid);
    put64(&mut r, ts);
    r.extend_from_slice(&provider.to_le_bytes());
    put64(&mut r, 0);
    put32(&mut r, 7);
    put32(&mut r, 0);
    r.extend_from_slice(&[0x11; 16]);
    set_size(&mut r, 0);
    r
}

/// A `TRACE_MESSAGE` (WPP) record with sequence, GUID, timestamp and
/// system information.
pub fn message_record(provider: Guid, pid: u32, tid: u32, ts: u64, payload: &[u8]) -> Vec<u8> {
    let mut r = Vec::new();
    put16(&mut r, 0);
    r.push(0);
    r.push(0x90);
    put16(&mut r, 10); // message number
    put16(&mut r, 0x01 | 0x02 | 0x08 | 0x20);
    put32(&mut r, 42); // sequence
    r.extend_from_slice(&provider.to_le_bytes());
    put64(&mut r, ts);
    put32(&mut r, tid);
    put32(&mut r, pid);
    r.extend_from_slice(payload);
    set_size(&mut r, 0);
    r
}

/// One extended data item: (type, data).
pub type ExtItem = (u16, Vec<u8>);

/// An `EVENT_HEADER` record (0x50 bytes, type 0x12/0x13) with extended
/// items (linkage bit set on all but the last) and user data.
#[allow(clippy::too_many_arguments)]
pub fn event_header_record(
    type_code: u8,
    flags: u16,
    provider: Guid,
    pid: u32,
    tid: u32,
    ts: u64,
    activity: Guid,
    ext: &[ExtItem],
    user_data: &[u8],
) -> Vec<u8> {
    let mut r = Vec::new();
    put16(&mut r, 0);
    r.push(type_code);
    r.push(0xC0);
    let flags = flags | if ext.is_empty() { 0 } else { 0x0001 };
    let flags = flags | if type_code == 0x13 { 0x0040 } else { 0x0020 };
    put16(&mut r, flags);
    put16(&mut r, 0); // event property
    put32(&mut r, tid);
    put32(&mut r, pid);
    put64(&mut r, ts);
    r.extend_from_slice(&provider.to_le_bytes());
    put16(&mut r, 1); // id
    r.push(0); // version
    r.push(0); // channel
    r.push(4); // level
    r.push(0); // opcode
    put16(&mut r, 0); // task
    put64(&mut r, 0); // keywords
    put64(&mut r, 0); // processor time
    r.extend_from_slice(&activity.to_le_bytes());
    for (i, (ty, data)) in ext.iter().enumerate() {
        let size = (8 + data.len()).div_ceil(8) * 8;
        put16(&mut r, size as u16);
        put16(&mut r, *ty);
        put16(&mut r, u16::from(i + 1 < ext.len()));
        put16(&mut r, data.len() as u16);
        r.extend_from_slice(data);
        r.resize(r.len() + size - 8 - data.len(), 0);
    }
    r.extend_from_slice(user_data);
    set_size(&mut r, 0);
    r
}

/// The provider-traits item data: size, NUL-terminated name.
pub fn prov_traits(name: &str) -> Vec<u8> {
    let mut d = Vec::new();
    put16(&mut d, (2 + name.len() + 1) as u16);
    d.extend_from_slice(name.as_bytes());
    d.push(0);
    d
}

/// A string-only event (`EventWriteString`) in the 64-bit layout.
pub fn string_only(provider: Guid, pid: u32, tid: u32, ts: u64, text: &str) -> Vec<u8> {
    event_header_record(
        0x13,
        0x0004,
        provider,
        pid,
        tid,
        ts,
        Guid::default(),
        &[],
        &utf16z(text),
    )
}

/// A TraceLogging event with provider traits and a schema.
#[allow(clippy::too_many_arguments)]
pub fn tracelogging(
    provider_name: &str,
    event_name: &str,
    fields: &[(&str, u8, Option<u8>)],
    data: &[u8],
    pid: u32,
    tid: u32,
    ts: u64,
    activity: Guid,
) -> Vec<u8> {
    let schema = certtrace::input::etl::tracelogging::encode_schema(event_name, fields);
    event_header_record(
        0x13,
        0,
        Guid::from_provider_name(provider_name),
        pid,
        tid,
        ts,
        activity,
        &[(12, prov_traits(provider_name)), (11, schema)],
        data,
    )
}

impl EtlWriter {
    pub fn new(buffer_size: usize, ptr64: bool, compress: bool) -> Self {
        let mut w = EtlWriter {
            buffer_size,
            ptr64,
            compress,
            perf_freq: 10_000_000,
            events_lost: 0,
            buffers: Vec::new(),
            cur: Vec::new(),
        };
        w.cur.resize(BUFFER_HEADER_LEN, 0);
        w
    }

    /// The logfile header record; must come first.
    pub fn logfile_header(&mut self, logger: &str) {
        let ps = if self.ptr64 { 8 } else { 4 };
        let mut p = Vec::new();
        put32(&mut p, self.buffer_size as u32);
        p.extend_from_slice(&[10, 0, 0, 0]); // Windows 10.0.0.0
        put32(&mut p, 19041);
        put32(&mut p, 2);
        put64(&mut p, START_FILETIME + 600_000_000); // end time
        put32(&mut p, 156_250);
        put32(&mut p, 0);
        put32(&mut p, 0x0001_0001);
        put32(&mut p, 0); // buffers written
        put32(&mut p, 1);
        put32(&mut p, ps as u32);
        put32(&mut p, self.events_lost);
        put32(&mut p, 2400);
        p.resize(p.len() + 2 * ps, 0); // LoggerName, LogFileName pointers
        p.resize(p.len() + 0xAC, 0); // TIME_ZONE_INFORMATION
        while !p.len().is_multiple_of(8) {
            p.push(0);
        }
        put64(&mut p, START_FILETIME - 36_000_000_000); // boot
        put64(&mut p, self.perf_freq);
        put64(&mut p, START_FILETIME);
        put32(&mut p, 1); // QPC
        put32(&mut p, 0); // buffers lost
        p.extend_from_slice(&utf16z(logger));
        p.extend_from_slice(&utf16z("C:\\trace.etl"));
        let code = if self.ptr64 { 0x02 } else { 0x01 };
        let rec = system_record(code, 0, 0, 4, 8, T0, &p);
        self.push(&rec);
    }

    /// Appends a record, starting a new buffer when it does not fit.
    pub fn push(&mut self, rec: &[u8]) {
        assert!(rec.len() + BUFFER_HEADER_LEN <= self.buffer_size);
        if self.cur.len() + rec.len() > self.buffer_size {
            self.flush();
        }
        self.cur.extend_from_slice(rec);
        while !self.cur.len().is_multiple_of(8) && self.cur.len() < self.buffer_size {
            self.cur.push(0);
        }
    }

    fn flush(&mut self) {
        let mut b = std::mem::take(&mut self.cur);
        let filled = b.len();
        let first = self.buffers.is_empty();
        let compressed = self.compress && !first;
        let mut h = Vec::new();
        if compressed {
            let c = lz77::compress(&b[BUFFER_HEADER_LEN..]);
            b.truncate(BUFFER_HEADER_LEN);
            b.extend_from_slice(&c);
        } else {
            b.resize(self.buffer_size, 0xFF);
        }
        put32(&mut h, b.len() as u32); // BufferSize (on disk)
        put32(&mut h, filled as u32); // SavedOffset
        put32(&mut h, filled as u32); // CurrentOffset
        put32(&mut h, 0); // reference count
        put64(&mut h, 0); // time stamp
        put64(&mut h, self.buffers.len() as u64); // sequence number
        put64(&mut h, 0);
        put16(&mut h, 0); // processor index
        put16(&mut h, 3); // logger id
        put32(&mut h, 0); // state
        put32(&mut h, filled as u32); // FilledBytes
        put16(&mut h, if compressed { 0x40 } else { 0 } | u16::from(first));
        put16(&mut h, if first { 4 } else { 0 }); // buffer type
        h.resize(BUFFER_HEADER_LEN, 0);
        b[..BUFFER_HEADER_LEN].copy_from_slice(&h);
        self.buffers.push(b);
        self.cur.resize(BUFFER_HEADER_LEN, 0);
    }

    /// The file's bytes.
    pub fn finish(mut self) -> Vec<u8> {
        if self.cur.len() > BUFFER_HEADER_LEN || self.buffers.is_empty() {
            self.flush();
        }
        // BuffersWritten in the logfile header (first record's payload).
        let n = self.buffers.len() as u32;
        let at = BUFFER_HEADER_LEN + 0x20 + 0x24;
        self.buffers[0][at..at + 4].copy_from_slice(&n.to_le_bytes());
        self.buffers.concat()
    }
}
