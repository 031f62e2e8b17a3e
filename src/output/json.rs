//! JSON: one document with every record grouped by type, for `jq`:
//! `{"schema_version":1,"requests":[…],"instances":[…],"certificates":[…],"gaps":[…],
//! "orphans":[…],"module_errors":[…],"recycles":[…],"unknown":[…],
//! "problems":[…],"summary":{…}}`. Each element carries the same fields as
//! its NDJSON line.
//!
//! The document streams: requests (by far the most records) are written
//! as they come; the other groups are held until the end, so memory is
//! bounded by those (instances, gaps, certificates...), not by the input.

use std::io::{self, Write};

use crate::output::Renderer;
use crate::output::ndjson::write_record;
use crate::record::{Record, SCHEMA_VERSION};

const GROUPS: [(&str, &str); 9] = [
    ("request", "requests"),
    ("instance", "instances"),
    ("certificate", "certificates"),
    ("gap", "gaps"),
    ("orphan", "orphans"),
    ("module_error", "module_errors"),
    ("recycle", "recycles"),
    ("unknown", "unknown"),
    ("problem", "problems"),
];

pub struct JsonRenderer<W: Write> {
    out: W,
    /// Whether the document and its `requests` array are open.
    started: bool,
    requests: u64,
    /// Serialized records of the groups after `requests`.
    groups: Vec<Vec<u8>>,
    summary: Option<Vec<u8>>,
    buf: Vec<u8>,
}

impl<W: Write> JsonRenderer<W> {
    pub fn new(out: W) -> Self {
        JsonRenderer {
            out,
            started: false,
            requests: 0,
            groups: vec![Vec::new(); GROUPS.len()],
            summary: None,
            buf: Vec::new(),
        }
    }

    fn start(&mut self) -> io::Result<()> {
        if !self.started {
            self.started = true;
            write!(
                self.out,
                "{{\"schema_version\":{SCHEMA_VERSION},\"requests\":"
            )?;
        }
        Ok(())
    }
}

impl<W: Write> Renderer for JsonRenderer<W> {
    fn record(&mut self, record: &Record) -> io::Result<()> {
        self.buf.clear();
        write_record(&mut self.buf, record)?;
        match record {
            Record::Summary(_) => self.summary = Some(self.buf.clone()),
            Record::Request(_) => {
                self.start()?;
                let sep = if self.requests == 0 { b"[" } else { b"," };
                self.requests += 1;
                self.out.write_all(sep)?;
                self.out.write_all(&self.buf)?;
            }
            _ => {
                let name = record.type_name();
                if let Some(i) = GROUPS.iter().position(|(t, _)| *t == name) {
                    let g = &mut self.groups[i];
                    g.push(if g.is_empty() { b'[' } else { b',' });
                    g.extend_from_slice(&self.buf);
                }
            }
        }
        Ok(())
    }

    fn idle(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.start()?;
        self.out
            .write_all(if self.requests == 0 { b"[]" } else { b"]" })?;
        for (i, (_, key)) in GROUPS.iter().enumerate().skip(1) {
            write!(self.out, ",\"{key}\":")?;
            let g = &self.groups[i];
            if g.is_empty() {
                self.out.write_all(b"[]")?;
            } else {
                self.out.write_all(g)?;
                self.out.write_all(b"]")?;
            }
        }
        self.out.write_all(b",\"summary\":")?;
        match &self.summary {
            Some(s) => self.out.write_all(s)?,
            None => self.out.write_all(b"null")?,
        }
        self.out.write_all(b"}\n")?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_is_valid_json_with_groups() {
        let mut out = Vec::new();
        {
            let mut r = JsonRenderer::new(&mut out);
            r.record(&Record::Summary(Box::default())).unwrap();
            r.finish().unwrap();
        }
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["schema_version"], 1);
        assert!(v["requests"].as_array().unwrap().is_empty());
        assert_eq!(v["summary"]["type"], "summary");
    }
}
