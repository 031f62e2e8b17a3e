//! NDJSON: one JSON object per line, each with `"type"` and
//! `"schema_version"` first. Lines go out as soon as the input pauses, so a
//! script reading a live stream sees each record promptly.

use std::io::{self, Write};

use crate::output::Renderer;
use crate::record::{Record, SCHEMA_VERSION};

pub struct NdjsonRenderer<W: Write> {
    out: W,
    buf: Vec<u8>,
}

impl<W: Write> NdjsonRenderer<W> {
    pub fn new(out: W) -> Self {
        NdjsonRenderer {
            out,
            buf: Vec::with_capacity(BLOCK + 4096),
        }
    }
}

/// Serializes a record as one JSON object: `{"type":…,"schema_version":…,…}`.
pub fn write_record(buf: &mut Vec<u8>, record: &Record) -> io::Result<()> {
    buf.extend_from_slice(b"{\"type\":\"");
    buf.extend_from_slice(record.type_name().as_bytes());
    buf.extend_from_slice(b"\",\"schema_version\":");
    buf.extend_from_slice(itoa::Buffer::new().format(SCHEMA_VERSION).as_bytes());
    let start = buf.len();
    let res = match record {
        Record::Request(r) => {
            crate::output::request_json::request_fields(buf, r);
            return Ok(());
        }
        Record::Gap(r) => serde_json::to_writer(&mut *buf, r),
        Record::Orphan(r) => serde_json::to_writer(&mut *buf, r),
        Record::Unknown(r) => serde_json::to_writer(&mut *buf, r),
        Record::ModuleError(r) => serde_json::to_writer(&mut *buf, r),
        Record::Recycle(r) => serde_json::to_writer(&mut *buf, r),
        Record::Instance(r) => serde_json::to_writer(&mut *buf, r),
        Record::Certificate(r) => serde_json::to_writer(&mut *buf, r),
        Record::Problem(r) => serde_json::to_writer(&mut *buf, r),
        Record::Summary(r) => serde_json::to_writer(&mut *buf, r),
    };
    res.map_err(io::Error::other)?;
    // The body is an object: replace its `{` by the separating comma.
    if buf.get(start + 1) == Some(&b'}') {
        buf.truncate(start);
        buf.push(b'}');
    } else {
        buf[start] = b',';
    }
    Ok(())
}

/// [`Renderer::batch_format`]: each record's line in turn.
pub fn write_records(buf: &mut Vec<u8>, records: &[Record]) -> io::Result<()> {
    for record in records {
        write_record(buf, record)?;
        buf.push(b'\n');
    }
    Ok(())
}

/// Records are gathered into one buffer and written in blocks of about
/// this size (and whenever the input pauses).
const BLOCK: usize = 256 * 1024;

impl<W: Write> NdjsonRenderer<W> {
    fn write_out(&mut self) -> io::Result<()> {
        let res = self.out.write_all(&self.buf);
        self.buf.clear();
        res
    }
}

impl<W: Write> Renderer for NdjsonRenderer<W> {
    fn record(&mut self, record: &Record) -> io::Result<()> {
        let start = self.buf.len();
        if let Err(e) = write_record(&mut self.buf, record) {
            self.buf.truncate(start);
            return Err(e);
        }
        self.buf.push(b'\n');
        if self.buf.len() >= BLOCK {
            self.write_out()?;
        }
        Ok(())
    }

    fn idle(&mut self) -> io::Result<()> {
        self.write_out()?;
        self.out.flush()
    }

    fn batch_format(&self) -> Option<crate::output::batches::BatchFormat> {
        Some(write_records)
    }

    fn write_formatted(&mut self, text: &[u8]) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.write_out()?;
        }
        self.out.write_all(text)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.write_out()?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_and_version_come_first() {
        let mut buf = Vec::new();
        write_record(&mut buf, &Record::Summary(Box::default())).unwrap();
        let s = String::from_utf8(buf).unwrap();
        assert!(
            s.starts_with(r#"{"type":"summary","schema_version":1,"inputs":[]"#),
            "{s}"
        );
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["requests"], 0);
    }
}
