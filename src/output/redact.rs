//! `--redact query,subject`: URI query strings and certificate subjects
//! are replaced by stable hashes before any renderer sees a record. The
//! same value hashes the same on every host (with the same
//! `CERTTRACE_REDACT_KEY`, or none), so fleet queries still group by them.
//! Only the records are redacted: stderr diagnostics stay as they are.

use std::io;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use sha2::{Digest, Sha256};

use crate::certs::CertInfo;
use crate::certs::identify::CertRecord;
use crate::output::Renderer;
use crate::record::Record;

/// What `--redact` replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Redact {
    /// The query string of every URI (after `?`), in request and
    /// certificate records and in message texts.
    Query,
    /// Certificate subjects (request and certificate records), and the
    /// catalog file a certificate was loaded from.
    Subject,
}

/// The hashing of redacted values: SHA-256 over the key (length first)
/// and the value, the first 16 hex digits shown as `redacted:<hex>`.
#[derive(Debug, Clone, Default)]
pub struct Hasher {
    key: Vec<u8>,
}

impl Hasher {
    pub fn new(key: Option<&str>) -> Hasher {
        Hasher {
            key: key.unwrap_or_default().as_bytes().to_vec(),
        }
    }

    /// `redacted:` and the first 16 hex digits of the keyed hash.
    pub fn hash(&self, value: &str) -> String {
        let mut h = Sha256::new();
        if !self.key.is_empty() {
            h.update((self.key.len() as u64).to_le_bytes());
            h.update(&self.key);
        }
        h.update(value.as_bytes());
        let digest = h.finalize();
        let mut out = String::with_capacity(9 + 16);
        out.push_str("redacted:");
        for b in &digest[..8] {
            out.push_str(&format!("{b:02x}"));
        }
        out
    }

    /// The URI with its query string (after `?`, before any `#`) hashed.
    pub fn uri(&self, uri: &str) -> String {
        let Some(q) = uri.find('?') else {
            return uri.to_string();
        };
        let end = uri[q..].find('#').map_or(uri.len(), |f| q + f);
        format!(
            "{}?{}{}",
            &uri[..q],
            self.hash(&uri[q + 1..end]),
            &uri[end..]
        )
    }

    /// A message text with the query of every URI in it hashed (a URI: a
    /// space-separated word with `://`, or starting with `/`).
    pub fn text(&self, text: &str) -> String {
        if !text.contains('?') {
            return text.to_string();
        }
        let mut out = String::with_capacity(text.len() + 32);
        for (i, word) in text.split(' ').enumerate() {
            if i > 0 {
                out.push(' ');
            }
            if word.contains('?') && (word.contains("://") || word.starts_with('/')) {
                out.push_str(&self.uri(word));
            } else {
                out.push_str(word);
            }
        }
        out
    }
}

/// Passes every record, redacted, to the renderer it wraps.
pub struct RedactingRenderer<'a> {
    inner: Box<dyn Renderer + Send + 'a>,
    query: bool,
    subject: bool,
    hasher: Hasher,
    /// Catalog certificates with their subject hashed, by thumbprint.
    certs: FxHashMap<String, Arc<CertInfo>>,
}

impl<'a> RedactingRenderer<'a> {
    pub fn new(
        inner: Box<dyn Renderer + Send + 'a>,
        what: &[Redact],
        hasher: Hasher,
    ) -> RedactingRenderer<'a> {
        RedactingRenderer {
            inner,
            query: what.contains(&Redact::Query),
            subject: what.contains(&Redact::Subject),
            hasher,
            certs: FxHashMap::default(),
        }
    }

    fn cert(&mut self, cert: &Arc<CertInfo>) -> Arc<CertInfo> {
        let hasher = &self.hasher;
        self.certs
            .entry(cert.thumbprint_sha1.clone())
            .or_insert_with(|| {
                // The catalog file's name often says whose it is.
                Arc::new(CertInfo {
                    subject: hasher.hash(&cert.subject),
                    source: hasher.hash(&cert.source),
                    ..(**cert).clone()
                })
            })
            .clone()
    }

    /// The record as it may be shown.
    pub fn redact(&mut self, record: &Record) -> Record {
        let mut r = record.clone();
        match &mut r {
            Record::Request(q) => {
                if self.query {
                    q.uri = self.hasher.uri(&q.uri);
                }
                if self.subject
                    && let Some(c) = &q.cert
                {
                    q.cert = Some(CertRecord {
                        cert: self.cert(&c.cert),
                        ..c.clone()
                    });
                }
            }
            Record::Certificate(c) => {
                if self.query {
                    c.uris = c.uris.iter().map(|u| self.hasher.uri(u)).collect();
                }
                if self.subject
                    && let Some(info) = c.cert.clone()
                {
                    c.cert = Some(self.cert(&info));
                }
            }
            Record::Orphan(o) if self.query => o.text = self.hasher.text(&o.text),
            Record::Unknown(u) if self.query => u.text = self.hasher.text(&u.text),
            Record::ModuleError(m) if self.query => m.text = self.hasher.text(&m.text),
            Record::Problem(p) if self.query => p.detail = self.hasher.text(&p.detail),
            _ => {}
        }
        r
    }
}

impl Renderer for RedactingRenderer<'_> {
    fn record(&mut self, record: &Record) -> io::Result<()> {
        let r = self.redact(record);
        self.inner.record(&r)
    }

    fn idle(&mut self) -> io::Result<()> {
        self.inner.idle()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.inner.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_stable_and_keyed() {
        let plain = Hasher::new(None);
        assert_eq!(plain.hash("page=2"), plain.hash("page=2"));
        assert_ne!(plain.hash("page=2"), plain.hash("page=3"));
        // SHA-256("page=2"), its first 8 bytes.
        let want = format!("redacted:{}", &sha_hex("page=2")[..16]);
        assert_eq!(plain.hash("page=2"), want);
        let keyed = Hasher::new(Some("fleet-secret"));
        assert_ne!(keyed.hash("page=2"), plain.hash("page=2"));
        assert_eq!(
            keyed.hash("page=2"),
            Hasher::new(Some("fleet-secret")).hash("page=2")
        );
    }

    fn sha_hex(s: &str) -> String {
        Sha256::digest(s.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn only_the_query_of_a_uri_is_hashed() {
        let h = Hasher::new(None);
        let q = h.hash("id=7&u=carol");
        assert_eq!(
            h.uri("https://shop:443/api/orders?id=7&u=carol"),
            format!("https://shop:443/api/orders?{q}")
        );
        assert_eq!(h.uri("/a?id=7&u=carol#top"), format!("/a?{q}#top"));
        assert_eq!(h.uri("https://shop/health"), "https://shop/health");
        assert_eq!(
            h.text("Line: 28 rMsg1638: cnt = 3 URI: https://s/x?id=7&u=carol"),
            format!("Line: 28 rMsg1638: cnt = 3 URI: https://s/x?{q}")
        );
        assert_eq!(h.text("what? no URI here"), "what? no URI here");
    }
}
