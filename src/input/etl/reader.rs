//! The buffer and record layer: `WMI_BUFFER_HEADER` sequence, compressed
//! buffers, the logfile header, and the walk over every record header kind.
//!
//! Layouts (all little-endian) follow the public descriptions of the format
//! (Geoff Chappell's ETW studies, the Windows SDK's `evntcons.h` /
//! `evntrace.h`) as cross-checked with the real files under `tests/data/etl`.

use std::collections::VecDeque;
use std::io::{self, Read};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::EtlIssue;
use super::lz77;
use crate::input::provider::Guid;

/// Size of `WMI_BUFFER_HEADER` at the start of every buffer.
pub const BUFFER_HEADER_LEN: usize = 0x48;
/// No ETW buffer is larger than 16 MiB (the session maximum); anything larger
/// in a header is corruption, and is never allocated.
pub const MAX_BUFFER_SIZE: usize = 16 << 20;

/// `ETW_BUFFER_FLAG_COMPRESSED`: the buffer's data (after the header) is
/// MS-XCA plain LZ77; `BufferSize` is then the size on disk and `FilledBytes`
/// the size once decompressed.
pub const BUFFER_FLAG_COMPRESSED: u16 = 0x40;

/// Seconds between 1601-01-01 and 1970-01-01, in FILETIME ticks (100 ns).
const FILETIME_UNIX_EPOCH: i64 = 116_444_736_000_000_000;

pub(crate) fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    b.get(at..at.checked_add(2)?)
        .map(|x| u16::from_le_bytes([x[0], x[1]]))
}

pub(crate) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at.checked_add(4)?)
        .map(|x| u32::from_le_bytes([x[0], x[1], x[2], x[3]]))
}

pub(crate) fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    b.get(at..at.checked_add(8)?)
        .map(|x| u64::from_le_bytes(x.try_into().expect("8 bytes")))
}

pub(crate) fn guid_at(b: &[u8], at: usize) -> Option<Guid> {
    b.get(at..at.checked_add(16)?)
        .map(|x| Guid::from_le_bytes(x.try_into().expect("16 bytes")))
}

/// A FILETIME (100 ns ticks since 1601) as UTC.
pub fn filetime_to_utc(ft: i64) -> Option<DateTime<Utc>> {
    let t = ft.checked_sub(FILETIME_UNIX_EPOCH)?;
    DateTime::from_timestamp(
        t.div_euclid(10_000_000),
        (t.rem_euclid(10_000_000) * 100) as u32,
    )
}

/// The record header kinds (`TRACE_HEADER_TYPE_*`, byte 2 of the marker).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HeaderKind {
    System32,
    System64,
    Compact32,
    Compact64,
    Full32,
    Instance32,
    Timed,
    Error,
    Wnode,
    Message,
    Perfinfo32,
    Perfinfo64,
    EventHeader32,
    EventHeader64,
    Full64,
    Instance64,
}

impl HeaderKind {
    pub const ALL: [HeaderKind; 16] = [
        HeaderKind::System32,
        HeaderKind::System64,
        HeaderKind::Compact32,
        HeaderKind::Compact64,
        HeaderKind::Full32,
        HeaderKind::Instance32,
        HeaderKind::Timed,
        HeaderKind::Error,
        HeaderKind::Wnode,
        HeaderKind::Message,
        HeaderKind::Perfinfo32,
        HeaderKind::Perfinfo64,
        HeaderKind::EventHeader32,
        HeaderKind::EventHeader64,
        HeaderKind::Full64,
        HeaderKind::Instance64,
    ];

    pub fn from_type(t: u8) -> Option<HeaderKind> {
        Some(match t {
            0x01 => HeaderKind::System32,
            0x02 => HeaderKind::System64,
            0x03 => HeaderKind::Compact32,
            0x04 => HeaderKind::Compact64,
            0x0A => HeaderKind::Full32,
            0x0B => HeaderKind::Instance32,
            0x0C => HeaderKind::Timed,
            0x0D => HeaderKind::Error,
            0x0E => HeaderKind::Wnode,
            0x0F => HeaderKind::Message,
            0x10 => HeaderKind::Perfinfo32,
            0x11 => HeaderKind::Perfinfo64,
            0x12 => HeaderKind::EventHeader32,
            0x13 => HeaderKind::EventHeader64,
            0x14 => HeaderKind::Full64,
            0x15 => HeaderKind::Instance64,
            _ => return None,
        })
    }

    /// The `TRACE_HEADER_TYPE_*` value.
    pub fn type_code(self) -> u8 {
        match self {
            HeaderKind::System32 => 0x01,
            HeaderKind::System64 => 0x02,
            HeaderKind::Compact32 => 0x03,
            HeaderKind::Compact64 => 0x04,
            HeaderKind::Full32 => 0x0A,
            HeaderKind::Instance32 => 0x0B,
            HeaderKind::Timed => 0x0C,
            HeaderKind::Error => 0x0D,
            HeaderKind::Wnode => 0x0E,
            HeaderKind::Message => 0x0F,
            HeaderKind::Perfinfo32 => 0x10,
            HeaderKind::Perfinfo64 => 0x11,
            HeaderKind::EventHeader32 => 0x12,
            HeaderKind::EventHeader64 => 0x13,
            HeaderKind::Full64 => 0x14,
            HeaderKind::Instance64 => 0x15,
        }
    }

    /// Stable name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            HeaderKind::System32 => "system32",
            HeaderKind::System64 => "system64",
            HeaderKind::Compact32 => "compact32",
            HeaderKind::Compact64 => "compact64",
            HeaderKind::Full32 => "full32",
            HeaderKind::Instance32 => "instance32",
            HeaderKind::Timed => "timed",
            HeaderKind::Error => "error",
            HeaderKind::Wnode => "wnode",
            HeaderKind::Message => "message",
            HeaderKind::Perfinfo32 => "perfinfo32",
            HeaderKind::Perfinfo64 => "perfinfo64",
            HeaderKind::EventHeader32 => "event_header32",
            HeaderKind::EventHeader64 => "event_header64",
            HeaderKind::Full64 => "full64",
            HeaderKind::Instance64 => "instance64",
        }
    }

    /// Kinds whose size sits at offset 4 (after version + marker), with the
    /// hook id (group, opcode) at offset 6.
    fn is_system_like(self) -> bool {
        matches!(
            self,
            HeaderKind::System32
                | HeaderKind::System64
                | HeaderKind::Compact32
                | HeaderKind::Compact64
                | HeaderKind::Perfinfo32
                | HeaderKind::Perfinfo64
        )
    }

    /// Fixed header length (before any extension words).
    fn min_size(self) -> usize {
        match self {
            HeaderKind::System32 | HeaderKind::System64 => 0x20,
            HeaderKind::Compact32 | HeaderKind::Compact64 => 0x18,
            HeaderKind::Perfinfo32 | HeaderKind::Perfinfo64 => 0x10,
            HeaderKind::Full32 | HeaderKind::Full64 => 0x30,
            HeaderKind::Wnode => 0x30,
            HeaderKind::Instance32 | HeaderKind::Instance64 => 0x48,
            HeaderKind::EventHeader32 | HeaderKind::EventHeader64 => 0x50,
            HeaderKind::Error => 0x50,
            HeaderKind::Message | HeaderKind::Timed => 0x08,
        }
    }
}

/// `WMI_BUFFER_HEADER`, the fields the reader uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct BufferHeader {
    pub buffer_size: u32,
    pub saved_offset: u32,
    pub filled_bytes: u32,
    pub flags: u16,
    pub buffer_type: u16,
    pub processor_index: u16,
    pub logger_id: u16,
}

impl BufferHeader {
    pub fn parse(b: &[u8]) -> Option<BufferHeader> {
        Some(BufferHeader {
            buffer_size: u32_at(b, 0x00)?,
            saved_offset: u32_at(b, 0x04)?,
            processor_index: u16_at(b, 0x28)?,
            logger_id: u16_at(b, 0x2A)?,
            filled_bytes: u32_at(b, 0x30)?,
            flags: u16_at(b, 0x34)?,
            buffer_type: u16_at(b, 0x36)?,
        })
    }

    pub fn compressed(&self) -> bool {
        self.flags & BUFFER_FLAG_COMPRESSED != 0
    }
}

/// `TRACE_LOGFILE_HEADER`: the payload of the first record (a system header
/// with hook id 0) of the first buffer.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LogfileHeader {
    pub buffer_size: u32,
    /// Windows version that wrote the file, `major.minor.sub.subminor`.
    pub version: String,
    pub provider_version: u32,
    pub number_of_processors: u32,
    pub end_time: u64,
    pub timer_resolution: u32,
    pub maximum_file_size: u32,
    pub log_file_mode: u32,
    pub buffers_written: u32,
    pub start_buffers: u32,
    pub pointer_size: u32,
    pub events_lost: u32,
    pub cpu_speed_mhz: u32,
    pub boot_time: u64,
    pub perf_freq: u64,
    pub start_time: u64,
    /// `ReservedFlags`: the clock type (1 QPC, 2 system time, 3 CPU cycles).
    pub clock_type: u32,
    pub buffers_lost: u32,
    pub logger_name: String,
    pub log_file_name: String,
}

fn utf16z(b: &[u8]) -> (String, usize) {
    let mut units = Vec::new();
    let mut i = 0;
    while let Some(u) = u16_at(b, i) {
        i += 2;
        if u == 0 {
            break;
        }
        units.push(u);
    }
    (String::from_utf16_lossy(&units), i)
}

impl LogfileHeader {
    /// Parses the payload; `ptr64` when the record header is a 64-bit one.
    pub fn parse(p: &[u8], ptr64: bool) -> Option<LogfileHeader> {
        let ps = if ptr64 { 8 } else { 4 };
        // Two pointers after CpuSpeedInMHz, then TIME_ZONE_INFORMATION
        // (0xAC bytes) padded to 8.
        let tz = 0x38 + 2 * ps;
        let tail = (tz + 0xAC + 7) & !7;
        let v = u32_at(p, 0x04)?;
        let mut h = LogfileHeader {
            buffer_size: u32_at(p, 0x00)?,
            version: format!(
                "{}.{}.{}.{}",
                v & 0xFF,
                (v >> 8) & 0xFF,
                (v >> 16) & 0xFF,
                v >> 24
            ),
            provider_version: u32_at(p, 0x08)?,
            number_of_processors: u32_at(p, 0x0C)?,
            end_time: u64_at(p, 0x10)?,
            timer_resolution: u32_at(p, 0x18)?,
            maximum_file_size: u32_at(p, 0x1C)?,
            log_file_mode: u32_at(p, 0x20)?,
            buffers_written: u32_at(p, 0x24)?,
            start_buffers: u32_at(p, 0x28)?,
            pointer_size: u32_at(p, 0x2C)?,
            events_lost: u32_at(p, 0x30)?,
            cpu_speed_mhz: u32_at(p, 0x34)?,
            boot_time: u64_at(p, tail)?,
            perf_freq: u64_at(p, tail + 8)?,
            start_time: u64_at(p, tail + 16)?,
            clock_type: u32_at(p, tail + 24)?,
            buffers_lost: u32_at(p, tail + 28)?,
            logger_name: String::new(),
            log_file_name: String::new(),
        };
        let names = &p[tail + 32..];
        let (logger, used) = utf16z(names);
        let (file, _) = utf16z(&names[used..]);
        h.logger_name = logger;
        h.log_file_name = file;
        Some(h)
    }

    pub fn clock_name(&self) -> &'static str {
        match self.clock_type {
            1 => "qpc",
            2 => "system_time",
            3 => "cpu_cycle",
            _ => "unknown",
        }
    }
}

/// Converts record time stamps to FILETIME: the logfile header record's own
/// time stamp is `StartTime`, and every other record is offset from it by
/// its clock difference, scaled by the clock type (QPC frequency, 100 ns
/// system time, or CPU MHz). Exact integer arithmetic, rounding down.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: i64,
    origin: u64,
    num: i128,
    den: i128,
}

impl Clock {
    pub fn new(h: &LogfileHeader, header_delta: u64) -> Option<Clock> {
        let (num, den) = match h.clock_type {
            1 if h.perf_freq > 0 => (10_000_000, h.perf_freq as i128),
            2 => (1, 1),
            3 if h.cpu_speed_mhz > 0 => (10, h.cpu_speed_mhz as i128),
            _ => return None,
        };
        Some(Clock {
            start: i64::try_from(h.start_time).ok()?,
            origin: header_delta,
            num,
            den,
        })
    }

    pub fn filetime(&self, delta: u64) -> i64 {
        let ticks = ((delta as i128 - self.origin as i128) * self.num).div_euclid(self.den);
        (self.start as i128 + ticks).clamp(i64::MIN as i128, i64::MAX as i128) as i64
    }

    pub fn utc(&self, delta: u64) -> Option<DateTime<Utc>> {
        filetime_to_utc(self.filetime(delta))
    }
}

/// `EVENT_HEADER` flags.
pub const EVENT_HEADER_FLAG_EXTENDED_INFO: u16 = 0x0001;
pub const EVENT_HEADER_FLAG_STRING_ONLY: u16 = 0x0004;
pub const EVENT_HEADER_FLAG_32_BIT_HEADER: u16 = 0x0020;
pub const EVENT_HEADER_FLAG_64_BIT_HEADER: u16 = 0x0040;

/// Extended data item types.
pub const EXT_TYPE_RELATED_ACTIVITYID: u16 = 1;
pub const EXT_TYPE_EVENT_SCHEMA_TL: u16 = 11;
pub const EXT_TYPE_PROV_TRAITS: u16 = 12;

/// One record, borrowed from the current buffer.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    pub kind: HeaderKind,
    /// The whole record (`size` bytes, header included).
    pub data: &'a [u8],
    /// File offset of the record (for a compressed buffer: of the buffer).
    pub offset: u64,
    /// Index of the buffer in the file (0-based).
    pub buffer_index: u64,
    /// The file's clock, once the logfile header is known.
    pub clock: Option<Clock>,
}

/// The `EVENT_HEADER` of a record of kind `EventHeader32/64`, with its
/// extended data items and user data located.
#[derive(Debug, Clone, Copy)]
pub struct EventHeaderView<'a> {
    pub flags: u16,
    pub event_property: u16,
    pub tid: u32,
    pub pid: u32,
    pub time_delta: u64,
    pub provider: Guid,
    pub id: u16,
    pub version: u8,
    pub channel: u8,
    pub level: u8,
    pub opcode: u8,
    pub task: u16,
    pub keywords: u64,
    pub activity_id: Guid,
    /// Pointer size of the writing process (4 or 8).
    pub pointer_size: usize,
    ext: &'a [u8],
    pub user_data: &'a [u8],
}

impl<'a> EventHeaderView<'a> {
    /// Extended data items as `(ExtType, data)`.
    pub fn ext_items(&self) -> ExtItems<'a> {
        ExtItems { rest: self.ext }
    }

    pub fn ext_item(&self, ty: u16) -> Option<&'a [u8]> {
        self.ext_items().find(|(t, _)| *t == ty).map(|(_, d)| d)
    }
}

/// Iterates extended data items already validated by [`Record::event_header`].
pub struct ExtItems<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for ExtItems<'a> {
    type Item = (u16, &'a [u8]);

    fn next(&mut self) -> Option<(u16, &'a [u8])> {
        let size = u16_at(self.rest, 0)? as usize;
        let ty = u16_at(self.rest, 2)?;
        let data_size = u16_at(self.rest, 6)? as usize;
        let data = self.rest.get(8..8 + data_size)?;
        self.rest = self.rest.get(size..).unwrap_or(&[]);
        Some((ty, data))
    }
}

impl<'a> Record<'a> {
    /// Header length including the extension words system headers may carry
    /// (PEBS index, bit 15 of the version word; PMC counters, bits 8-10).
    pub fn header_len(&self) -> usize {
        let base = self.kind.min_size();
        if self.kind.is_system_like() {
            let v = u16_at(self.data, 0).unwrap_or(0);
            let mut extra = 0;
            if v & 0x8000 != 0 {
                extra += 8;
            }
            extra += 8 * ((v as usize & 0x0700) >> 8);
            base + extra
        } else {
            base
        }
    }

    /// Bytes after the header (for system kinds: after extension words).
    pub fn payload(&self) -> &'a [u8] {
        self.data.get(self.header_len()..).unwrap_or(&[])
    }

    /// The record's time as FILETIME ticks, when it has a time stamp and the
    /// clock is known.
    pub fn filetime(&self) -> Option<i64> {
        Some(self.clock?.filetime(self.time_delta()?))
    }

    /// The record's time in UTC.
    pub fn utc(&self) -> Option<DateTime<Utc>> {
        filetime_to_utc(self.filetime()?)
    }

    /// `(group, opcode)` of system, compact and perfinfo records.
    pub fn hook(&self) -> Option<(u8, u8)> {
        if self.kind.is_system_like() {
            Some((*self.data.get(7)?, *self.data.get(6)?))
        } else {
            None
        }
    }

    fn message_fields(&self) -> MessageFields {
        let mut m = MessageFields::default();
        let props = u16_at(self.data, 6).unwrap_or(0);
        let mut at = 8usize;
        let left = |at: usize| self.data.len().saturating_sub(at);
        if props & 0x0001 != 0 {
            at += 4;
        }
        if props & 0x0004 != 0 {
            at += 4; // component id
        } else if props & 0x0002 != 0 && left(at) >= 16 {
            m.guid = guid_at(self.data, at);
            at += 16;
        }
        if props & 0x0008 != 0 && left(at) >= 8 {
            m.time_delta = u64_at(self.data, at);
            at += 8;
        }
        if props & 0x0020 != 0 && left(at) >= 8 {
            m.tid = u32_at(self.data, at);
            m.pid = u32_at(self.data, at + 4);
        }
        m
    }

    /// The raw time stamp (in clock units).
    pub fn time_delta(&self) -> Option<u64> {
        match self.kind {
            HeaderKind::Perfinfo32 | HeaderKind::Perfinfo64 => u64_at(self.data, 0x08),
            HeaderKind::Message => self.message_fields().time_delta,
            HeaderKind::Timed | HeaderKind::Error => None,
            _ => u64_at(self.data, 0x10),
        }
    }

    pub fn pid(&self) -> Option<u32> {
        match self.kind {
            HeaderKind::Perfinfo32
            | HeaderKind::Perfinfo64
            | HeaderKind::Timed
            | HeaderKind::Error
            | HeaderKind::Wnode => None,
            HeaderKind::Message => self.message_fields().pid,
            _ => u32_at(self.data, 0x0C),
        }
    }

    pub fn tid(&self) -> Option<u32> {
        match self.kind {
            HeaderKind::Perfinfo32
            | HeaderKind::Perfinfo64
            | HeaderKind::Timed
            | HeaderKind::Error
            | HeaderKind::Wnode => None,
            HeaderKind::Message => self.message_fields().tid,
            _ => u32_at(self.data, 0x08),
        }
    }

    /// The provider GUID, for the kinds that carry one.
    pub fn provider(&self) -> Option<Guid> {
        match self.kind {
            HeaderKind::Full32
            | HeaderKind::Full64
            | HeaderKind::Instance32
            | HeaderKind::Instance64
            | HeaderKind::EventHeader32
            | HeaderKind::EventHeader64 => guid_at(self.data, 0x18),
            HeaderKind::Message => self.message_fields().guid,
            _ => None,
        }
    }

    /// The `EVENT_HEADER` view; `Err` names what is corrupt in the extended
    /// data items.
    pub fn event_header(&self) -> Option<Result<EventHeaderView<'a>, String>> {
        if !matches!(
            self.kind,
            HeaderKind::EventHeader32 | HeaderKind::EventHeader64
        ) {
            return None;
        }
        let d = self.data;
        if d.len() < 0x50 {
            return Some(Err(format!("EVENT_HEADER record of {} bytes", d.len())));
        }
        let flags = u16_at(d, 0x04)?;
        let mut at = 0x50usize;
        if flags & EVENT_HEADER_FLAG_EXTENDED_INFO != 0 {
            loop {
                let (Some(size), Some(linkage), Some(data_size)) =
                    (u16_at(d, at), u16_at(d, at + 4), u16_at(d, at + 6))
                else {
                    return Some(Err(format!(
                        "extended data item at record byte {at} runs past the record"
                    )));
                };
                let size = size as usize;
                if size < 8 || data_size as usize > size - 8 || at + size > d.len() {
                    return Some(Err(format!(
                        "extended data item at record byte {at}: size {size}, data size {data_size}, record size {}",
                        d.len()
                    )));
                }
                at += size;
                if linkage & 1 == 0 {
                    break;
                }
            }
        }
        let pointer_size = if flags & EVENT_HEADER_FLAG_32_BIT_HEADER != 0 {
            4
        } else if flags & EVENT_HEADER_FLAG_64_BIT_HEADER != 0 {
            8
        } else if self.kind == HeaderKind::EventHeader32 {
            4
        } else {
            8
        };
        Some(Ok(EventHeaderView {
            flags,
            event_property: u16_at(d, 0x06)?,
            tid: u32_at(d, 0x08)?,
            pid: u32_at(d, 0x0C)?,
            time_delta: u64_at(d, 0x10)?,
            provider: guid_at(d, 0x18)?,
            id: u16_at(d, 0x28)?,
            version: d[0x2A],
            channel: d[0x2B],
            level: d[0x2C],
            opcode: d[0x2D],
            task: u16_at(d, 0x2E)?,
            keywords: u64_at(d, 0x30)?,
            activity_id: guid_at(d, 0x40)?,
            pointer_size,
            ext: &d[0x50..at],
            user_data: &d[at..],
        }))
    }
}

#[derive(Default)]
struct MessageFields {
    guid: Option<Guid>,
    time_delta: Option<u64>,
    tid: Option<u32>,
    pid: Option<u32>,
}

/// Counters kept while reading.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub buffers: u64,
    pub compressed_buffers: u64,
    pub records: u64,
    pub per_kind: [u64; 16],
    pub bytes: u64,
}

enum Step {
    Issue(EtlIssue),
    Record {
        kind: HeaderKind,
        start: usize,
        size: usize,
    },
    End,
}

/// Reads buffers one at a time and walks their records.
pub struct RecordReader<R> {
    src: R,
    /// File offset of the next buffer header.
    next_offset: u64,
    /// The current buffer: header followed by its (decompressed) records,
    /// up to `FilledBytes`.
    buf: Vec<u8>,
    /// Compressed bytes of the current buffer, and their decompression.
    raw: Vec<u8>,
    plain: Vec<u8>,
    buf_offset: u64,
    buf_compressed: bool,
    /// The current buffer ended early (already reported).
    buf_truncated: bool,
    buffer_index: u64,
    pos: usize,
    eof: bool,
    issues: VecDeque<EtlIssue>,
    seen_compressed: bool,
    pub logfile: Option<LogfileHeader>,
    pub clock: Option<Clock>,
    pub stats: Stats,
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full<R: Read>(src: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match src.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

impl<R: Read> RecordReader<R> {
    pub fn new(src: R) -> Self {
        RecordReader {
            src,
            next_offset: 0,
            buf: Vec::new(),
            raw: Vec::new(),
            plain: Vec::new(),
            buf_offset: 0,
            buf_compressed: false,
            buf_truncated: false,
            buffer_index: 0,
            pos: 0,
            eof: false,
            issues: VecDeque::new(),
            seen_compressed: false,
            logfile: None,
            clock: None,
            stats: Stats::default(),
        }
    }

    /// Largest buffer accepted: the session's buffer size once the logfile
    /// header is known, else the ETW maximum.
    fn limit(&self) -> usize {
        match &self.logfile {
            Some(h) if (h.buffer_size as usize) >= BUFFER_HEADER_LEN => {
                (h.buffer_size as usize).min(MAX_BUFFER_SIZE)
            }
            _ => MAX_BUFFER_SIZE,
        }
    }

    fn issue(&mut self, offset: u64, what: String) {
        self.issues.push_back(EtlIssue::Corrupt { offset, what });
    }

    fn skip(&mut self, n: u64) -> u64 {
        let got = io::copy(&mut (&mut self.src).take(n), &mut io::sink()).unwrap_or(0);
        self.next_offset += got;
        got
    }

    /// Loads the next buffer into `buf`; at the end of input sets `eof`.
    /// A buffer that cannot be used leaves `buf` empty (and an issue).
    fn load_buffer(&mut self) {
        self.pos = 0;
        self.buf.clear();
        self.buf_truncated = false;
        let offset = self.next_offset;
        self.buf_offset = offset;
        let Some(h) = self.read_buffer_header(offset) else {
            self.buf.clear();
            return;
        };
        let size = h.buffer_size as usize;
        let limit = self.limit();
        if size < BUFFER_HEADER_LEN || size > limit {
            let what = format!("buffer size {size} (expected {BUFFER_HEADER_LEN}..={limit})");
            self.buf.clear();
            self.resynchronise(offset, what);
            return;
        }
        self.stats.buffers += 1;
        self.buffer_index = self.stats.buffers - 1;
        self.buf_compressed = h.compressed();
        let loaded = if self.buf_compressed {
            self.load_compressed(offset, size, h.filled_bytes as usize, limit)
        } else {
            self.load_plain(offset, size, h.filled_bytes as usize);
            true
        };
        if !loaded {
            self.buf.clear();
            return;
        }
        self.stats.bytes = self.next_offset;
        self.pos = BUFFER_HEADER_LEN;
    }

    /// Reads a buffer's header into `buf`; `None` at the end of input (a
    /// cut header or a read error is an issue).
    fn read_buffer_header(&mut self, offset: u64) -> Option<BufferHeader> {
        self.buf.resize(BUFFER_HEADER_LEN, 0);
        let got = match read_full(&mut self.src, &mut self.buf) {
            Ok(n) => n,
            Err(e) => {
                self.eof = true;
                self.issues.push_back(EtlIssue::Io {
                    offset,
                    message: e.to_string(),
                });
                return None;
            }
        };
        self.next_offset += got as u64;
        if got < BUFFER_HEADER_LEN {
            self.eof = true;
            if got > 0 {
                self.issues.push_back(EtlIssue::Truncated {
                    offset,
                    what: format!("buffer header: {got} of {BUFFER_HEADER_LEN} bytes"),
                });
            }
            return None;
        }
        Some(BufferHeader::parse(&self.buf).expect("header length checked"))
    }

    /// After a buffer of impossible size: uncompressed files keep every
    /// buffer at a multiple of the session's buffer size, so reading goes
    /// on there. Otherwise the next buffer cannot be found.
    fn resynchronise(&mut self, offset: u64, what: String) {
        match &self.logfile {
            Some(lf) if !self.seen_compressed && lf.buffer_size as usize >= BUFFER_HEADER_LEN => {
                let bs = lf.buffer_size as u64;
                // First multiple of the buffer size past this header.
                let next = self.next_offset.div_ceil(bs) * bs;
                self.issue(offset, format!("{what}; skipped to offset {next}"));
                let want = next - self.next_offset;
                if self.skip(want) < want {
                    self.eof = true;
                }
            }
            _ => {
                self.issue(
                    offset,
                    format!("{what}; cannot find the next buffer, reading stops"),
                );
                self.eof = true;
            }
        }
    }

    /// Reads up to `len` more bytes of input into `into`; a read error ends
    /// the input (an issue).
    fn read_body(&mut self, offset: u64, len: u64, into: &mut Vec<u8>) -> usize {
        match (&mut self.src).take(len).read_to_end(into) {
            Ok(n) => n,
            Err(e) => {
                self.eof = true;
                self.issues.push_back(EtlIssue::Io {
                    offset,
                    message: e.to_string(),
                });
                0
            }
        }
    }

    /// A compressed buffer's body, decompressed after its header in `buf`;
    /// false when it cannot be used.
    fn load_compressed(&mut self, offset: u64, size: usize, filled: usize, limit: usize) -> bool {
        self.seen_compressed = true;
        self.stats.compressed_buffers += 1;
        let body = (size - BUFFER_HEADER_LEN) as u64;
        let mut raw = std::mem::take(&mut self.raw);
        raw.clear();
        let n = self.read_body(offset, body, &mut raw);
        self.raw = raw;
        self.next_offset += n as u64;
        if (n as u64) < body {
            self.eof = true;
            self.issues.push_back(EtlIssue::Truncated {
                offset,
                what: format!("compressed buffer: {n} of {body} data bytes; skipped"),
            });
            return false;
        }
        if filled < BUFFER_HEADER_LEN || filled > limit {
            self.issue(
                offset,
                format!("compressed buffer: filled bytes {filled} out of range; skipped"),
            );
            return false;
        }
        self.buf.truncate(BUFFER_HEADER_LEN);
        let want = filled - BUFFER_HEADER_LEN;
        if let Err(e) = lz77::decompress(&self.raw, &mut self.plain, want) {
            self.issue(offset, format!("compressed buffer: {e}; skipped"));
            return false;
        }
        if self.plain.len() != want {
            self.issue(
                offset,
                format!(
                    "compressed buffer decompresses to {} bytes, header says {want}",
                    self.plain.len()
                ),
            );
        }
        self.buf.extend_from_slice(&self.plain);
        true
    }

    /// An uncompressed buffer's filled part after its header in `buf`; the
    /// unused rest is skipped. A cut buffer keeps its complete records.
    fn load_plain(&mut self, offset: u64, size: usize, filled: usize) {
        if filled > size {
            self.issue(
                offset,
                format!(
                    "filled bytes {filled} exceed buffer size {size}; read up to the buffer size"
                ),
            );
        }
        let want = filled.min(size).max(BUFFER_HEADER_LEN);
        let data_len = (want - BUFFER_HEADER_LEN) as u64;
        let mut buf = std::mem::take(&mut self.buf);
        let n = self.read_body(offset, data_len, &mut buf);
        self.buf = buf;
        self.next_offset += n as u64;
        if (n as u64) < data_len {
            self.eof = true;
            self.buf_truncated = true;
            self.issues.push_back(EtlIssue::Truncated {
                offset,
                what: format!(
                    "buffer: {} of {size} bytes; the complete records in it are read",
                    BUFFER_HEADER_LEN + n
                ),
            });
            return;
        }
        let rest = (size - BUFFER_HEADER_LEN) as u64 - data_len;
        if self.skip(rest) < rest {
            // The unused tail of the last buffer is missing: nothing of
            // value is lost.
            self.eof = true;
        }
    }

    fn record_offset(&self, pos: usize) -> u64 {
        if self.buf_compressed {
            self.buf_offset
        } else {
            self.buf_offset + pos as u64
        }
    }

    fn scan(&mut self) -> Step {
        loop {
            if let Some(i) = self.issues.pop_front() {
                return Step::Issue(i);
            }
            if self.pos + 4 > self.buf.len() {
                if self.eof {
                    return Step::End;
                }
                self.load_buffer();
                continue;
            }
            let pos = self.pos;
            let at = self.record_offset(pos);
            let marker = u32_at(&self.buf, pos).expect("checked");
            if marker == 0xFFFF_FFFF {
                self.pos = self.buf.len();
                continue;
            }
            let flags = (marker >> 24) as u8;
            let kind = if flags & 0xC0 == 0xC0 {
                HeaderKind::from_type((marker >> 16) as u8)
            } else if flags & 0xF0 == 0x90 {
                Some(HeaderKind::Message)
            } else {
                None
            };
            let Some(kind) = kind else {
                self.pos = self.buf.len();
                self.issue(
                    at,
                    format!("unknown record marker {marker:#010x} at buffer byte {pos}; rest of buffer skipped"),
                );
                continue;
            };
            let size_at = if kind.is_system_like() { 4 } else { 0 };
            let size = match u16_at(&self.buf, pos + size_at) {
                Some(s) => s as usize,
                None => {
                    self.pos = self.buf.len();
                    self.issue(
                        at,
                        format!("{} record cut off at buffer end", kind.as_str()),
                    );
                    continue;
                }
            };
            if size < kind.min_size() || pos + size > self.buf.len() {
                self.pos = self.buf.len();
                if self.buf_truncated && size >= kind.min_size() {
                    // Cut off by the truncation reported for the buffer.
                    continue;
                }
                self.issue(
                    at,
                    format!(
                        "{} record at buffer byte {pos}: size {size} (minimum {}, {} bytes left); rest of buffer skipped",
                        kind.as_str(),
                        kind.min_size(),
                        self.buf.len() - pos
                    ),
                );
                continue;
            }
            self.pos = pos + ((size + 7) & !7);
            self.stats.records += 1;
            self.stats.per_kind[kind as usize] += 1;
            if self.logfile.is_none()
                && self.buffer_index == 0
                && kind.is_system_like()
                && self.buf[pos + 6] == 0
                && self.buf[pos + 7] == 0
            {
                let rec = Record {
                    kind,
                    data: &self.buf[pos..pos + size],
                    offset: at,
                    buffer_index: 0,
                    clock: None,
                };
                let ptr64 = matches!(
                    kind,
                    HeaderKind::System64 | HeaderKind::Compact64 | HeaderKind::Perfinfo64
                );
                match LogfileHeader::parse(rec.payload(), ptr64) {
                    Some(h) => {
                        self.clock = rec.time_delta().and_then(|d| Clock::new(&h, d));
                        self.logfile = Some(h);
                    }
                    None => self.issue(at, "logfile header record too short".into()),
                }
            }
            return Step::Record {
                kind,
                start: pos,
                size,
            };
        }
    }

    /// The next record, or an issue found on the way.
    pub fn next_record(&mut self) -> Option<Result<Record<'_>, EtlIssue>> {
        match self.scan() {
            Step::End => None,
            Step::Issue(i) => Some(Err(i)),
            Step::Record { kind, start, size } => Some(Ok(Record {
                kind,
                data: &self.buf[start..start + size],
                offset: self.record_offset(start),
                buffer_index: self.buffer_index,
                clock: self.clock,
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(clock_type: u32, perf_freq: u64, cpu_mhz: u32) -> LogfileHeader {
        LogfileHeader {
            clock_type,
            perf_freq,
            cpu_speed_mhz: cpu_mhz,
            start_time: 134_267_053_940_000_000, // 2026-06-23T16:23:14Z
            ..LogfileHeader::default()
        }
    }

    #[test]
    fn clocks() {
        // QPC at 3,117,777 Hz: one second after the header record.
        let c = Clock::new(&header(1, 3_117_777, 0), 1_000_000).unwrap();
        assert_eq!(c.filetime(1_000_000), 134_267_053_940_000_000);
        let t = c.utc(1_000_000 + 3_117_777).unwrap();
        assert_eq!(super::super::rfc3339(t), "2026-06-23T16:23:15.0000000Z");
        // System time: deltas are FILETIMEs.
        let c = Clock::new(&header(2, 0, 0), 134_267_053_940_000_000).unwrap();
        assert_eq!(c.filetime(134_267_053_940_000_123), 134_267_053_940_000_123);
        // CPU cycles at 2400 MHz: 2400 cycles = 1 us = 10 ticks.
        let c = Clock::new(&header(3, 0, 2400), 0).unwrap();
        assert_eq!(c.filetime(2400), 134_267_053_940_000_010);
        // Unknown or zero frequencies give no clock, not a division by zero.
        assert!(Clock::new(&header(1, 0, 0), 5).is_none());
        assert!(Clock::new(&header(3, 0, 0), 5).is_none());
        assert!(Clock::new(&header(9, 1, 1), 5).is_none());
        assert_eq!(
            filetime_to_utc(0).map(|t| t.timestamp()),
            Some(-11_644_473_600)
        );
    }

    #[test]
    fn short_records_do_not_panic() {
        for len in 0..0x60 {
            let data = vec![0xC0u8; len];
            for kind in HeaderKind::ALL {
                let r = Record {
                    kind,
                    data: &data,
                    offset: 0,
                    buffer_index: 0,
                    clock: None,
                };
                let _ = (r.time_delta(), r.pid(), r.tid(), r.provider(), r.hook());
                let _ = (r.payload(), r.header_len(), r.filetime());
                if let Some(Ok(eh)) = r.event_header() {
                    let _ = eh.ext_items().count();
                }
            }
        }
    }

    #[test]
    fn marker_kinds() {
        for k in HeaderKind::ALL {
            assert_eq!(HeaderKind::from_type(k.type_code()), Some(k));
        }
        assert_eq!(HeaderKind::from_type(0x16), None);
    }
}
