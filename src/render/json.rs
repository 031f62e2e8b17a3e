//! JSON: one document with every record grouped by type, for `jq`:
//! `{"schema_version":1,"requests":[…],"instances":[…],"certificates":[…],"gaps":[…],
//! "orphans":[…],"module_errors":[…],"recycles":[…],"unknown":[…],
//! "problems":[…],"summary":{…}}`. Each element carries the same fields as
//! its NDJSON line.

use std::io::{self, Write};

use crate::record::{Record, SCHEMA_VERSION};
use crate::render::Renderer;
use crate::render::ndjson::write_record;

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
    /// Serialized records per group (the document needs all of them).
    groups: Vec<Vec<u8>>,
    summary: Option<Vec<u8>>,
}

impl<W: Write> JsonRenderer<W> {
    pub fn new(out: W) -> Self {
        JsonRenderer {
            out,
            groups: vec![Vec::new(); GROUPS.len()],
            summary: None,
        }
    }
}

impl<W: Write> Renderer for JsonRenderer<W> {
    fn record(&mut self, record: &Record) -> io::Result<()> {
        let mut buf = crate::record_json::RecordBuf::default();
        write_record(&mut buf, record)?;
        let buf = buf.as_slice().to_vec();
        if let Record::Summary(_) = record {
            self.summary = Some(buf);
            return Ok(());
        }
        let name = record.type_name();
        if let Some(i) = GROUPS.iter().position(|(t, _)| *t == name) {
            let g = &mut self.groups[i];
            g.push(if g.is_empty() { b'[' } else { b',' });
            g.extend_from_slice(&buf);
        }
        Ok(())
    }

    fn idle(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        write!(self.out, "{{\"schema_version\":{SCHEMA_VERSION}")?;
        for (i, (_, key)) in GROUPS.iter().enumerate() {
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
