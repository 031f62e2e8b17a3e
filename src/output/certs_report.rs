//! `certtrace crc FILE...`: what the module would log for each certificate.
//!
//! Per certificate, in the order given (directories sorted by name): the
//! `cert size`, the plain CRC-32 (what a corrected build logs), and the
//! chained CRC a single worker process would log if it hashed these files in
//! this order right after starting, plus the identity fields. Operators use
//! it to check a certificate against a trace by hand. The chained values are
//! computed with [`crc::combine`] from size and plain CRC (the catalog does
//! not keep certificate bytes).

use std::path::PathBuf;
use std::sync::Arc;

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;

use crate::certs::catalog::{self, CatalogWarning, CertInfo};
use crate::certs::crc;
use crate::certs::identify::CertSummary;

/// One certificate of the report.
#[derive(Debug, Clone, Serialize)]
pub struct CrcReportRow {
    /// 1-based position in the hashing order.
    pub order: usize,
    /// What the module logs as `cert crc:` in a corrected build (decimal in
    /// the log); also in `cert.crc32`.
    pub plain_crc: u32,
    /// What the shipped (chained) module logs for this certificate when one
    /// process hashed the previous rows first.
    pub chained_crc: u32,
    pub plain_crc_hex: String,
    pub chained_crc_hex: String,
    pub cert: CertInfo,
}

/// The whole `certtrace crc` output.
#[derive(Debug, Clone, Serialize)]
pub struct CrcReport {
    pub rows: Vec<CrcReportRow>,
    pub warnings: Vec<CatalogWarning>,
}

/// Loads `paths` in order (no de-duplication: a certificate given twice is
/// hashed twice, as the module would) and computes the report.
pub fn crc_report(paths: &[PathBuf]) -> CrcReport {
    let (certs, warnings) = catalog::load_ordered(paths);
    CrcReport {
        rows: rows_for(&certs),
        warnings,
    }
}

/// The report rows for certificates in hashing order.
pub fn rows_for(certs: &[Arc<CertInfo>]) -> Vec<CrcReportRow> {
    let mut prev = 0u32;
    certs
        .iter()
        .enumerate()
        .map(|(i, c)| {
            prev = crc::combine(prev, c.crc32, c.der_size as u64);
            CrcReportRow {
                order: i + 1,
                plain_crc: c.crc32,
                chained_crc: prev,
                plain_crc_hex: format!("{:08x}", c.crc32),
                chained_crc_hex: format!("{prev:08x}"),
                cert: (**c).clone(),
            }
        })
        .collect()
}

/// The `(cert size, cert crc)` pairs a worker process would log for these
/// certificates, in this order, right after starting: chained CRCs for the
/// shipped build, plain CRC-32 for a corrected build. For demo captures and
/// tests.
pub fn module_values(certs: &[&CertInfo], chained: bool) -> Vec<(u32, u32)> {
    let mut prev = 0u32;
    certs
        .iter()
        .map(|c| {
            let v = if chained {
                prev = crc::combine(prev, c.crc32, c.der_size as u64);
                prev
            } else {
                c.crc32
            };
            (c.der_size, v)
        })
        .collect()
}

/// `RSA 2048`, `EC P-256`, `Ed25519`: the size only where the type does
/// not already say it.
pub fn key_label(c: &CertInfo) -> String {
    if c.key_bits > 0 && (c.key_type == "RSA" || c.key_type == "DSA") {
        format!("{} {}", c.key_type, c.key_bits)
    } else {
        c.key_type.clone()
    }
}

/// A terminal table (the warnings go to stderr, not here).
pub fn render_table(report: &CrcReport) -> String {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(vec![
            "#",
            "cert size",
            "plain crc",
            "chained crc",
            "subject",
            "issuer",
            "serial",
            "not after",
            "key",
            "client auth",
            "thumbprint (sha1)",
            "file",
        ]);
    for r in &report.rows {
        let c = &r.cert;
        t.add_row(vec![
            r.order.to_string(),
            c.der_size.to_string(),
            r.plain_crc.to_string(),
            r.chained_crc.to_string(),
            c.subject.clone(),
            c.issuer.clone(),
            c.serial.clone(),
            c.not_after.clone(),
            key_label(c),
            if c.client_auth { "yes" } else { "no" }.to_string(),
            c.thumbprint_sha1.clone(),
            c.source.clone(),
        ]);
    }
    if report.rows.is_empty() {
        "no certificates\n".to_string()
    } else {
        format!(
            "{t}\nplain crc: what a corrected module build logs as `cert crc:`; chained crc: what the shipped module logs when one worker process hashes these certificates in this order right after starting.\n"
        )
    }
}

/// The per-certificate summary (`certtrace certs`, the report's "Client
/// certificates") as a table fitted to `width`: each certificate's
/// warnings flagged in its row (expired, not yet valid, no client-auth
/// EKU), thumbprints shortened (JSON has them whole); the legend, the
/// notes of unknown groups and the warnings follow the table.
pub fn render_summary_table(rows: &[CertSummary], width: u16, color: bool) -> String {
    use crate::output::fit::{Col, Fitted, wrap_text};
    use comfy_table::Color;

    let now = chrono::Utc::now().timestamp();
    let mut t = Fitted::new(vec![
        Col::wrap("CERTIFICATE", 20, 16),
        Col::whole("WARNING", 19).blank_dropped(),
        Col::count("REQUESTS", 18),
        Col::whole("VALID UNTIL", 17).blank_dropped(),
        Col::whole("THUMBPRINT", 15).blank_dropped(),
        Col::count("URIS", 14),
        Col::wrap("OUTCOMES", 13, 10),
        Col::whole("FIRST SEEN", 12),
        Col::whole("LAST SEEN", 11),
        Col::whole("PIDS", 10),
        Col::wrap("IDENTIFIED BY", 9, 12).blank_dropped(),
    ]);
    let mut notes: Vec<String> = Vec::new();
    let mut any_truncated = false;
    for r in rows {
        let (name, thumb, valid_until) = match (&r.cert, r.unknown, r.unknown_size) {
            (Some(c), _, _) => (
                c.display_name().to_string(),
                short_thumbprint(&c.thumbprint_sha1),
                c.not_after.get(..10).unwrap_or(&c.not_after).to_string(),
            ),
            (None, Some(k), _) => (k.to_string(), String::new(), String::new()),
            (None, None, Some(n)) => (
                format!("unknown/undecoded, {n} bytes"),
                String::new(),
                String::new(),
            ),
            (None, None, None) => (
                "unknown/undecoded, size not logged".to_string(),
                String::new(),
                String::new(),
            ),
        };
        let flags = warning_flags(r, now, &mut notes);
        let join = |m: &std::collections::BTreeMap<String, u64>| {
            m.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        any_truncated |= r.uris_truncated;
        let warn = (!flags.is_empty()).then_some(Color::Red);
        t.row(vec![
            (name, warn),
            (flags.join(", "), warn),
            (r.requests.to_string(), None),
            (valid_until, None),
            (thumb, None),
            (
                format!(
                    "{}{}",
                    r.uris.len(),
                    if r.uris_truncated { "+" } else { "" }
                ),
                None,
            ),
            (join(&r.outcomes), None),
            (r.first_seen.clone().unwrap_or_default(), None),
            (r.last_seen.clone().unwrap_or_default(), None),
            (
                r.pids
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
                None,
            ),
            (join(&r.identified_by), None),
        ]);
        notes.extend(r.warnings.iter().map(|w| format!("warning: {w}")));
        if let Some(n) = &r.note
            && !notes.iter().any(|x| x.ends_with(n.as_str()))
        {
            notes.push(format!("note: {n}"));
        }
    }
    let fitted = t.render(width, color);
    let mut lines = Vec::new();
    let shown = |header: &str| !fitted.hidden.contains(&header);
    if shown("THUMBPRINT") && fitted.text.contains("…") {
        lines.push(
            "THUMBPRINT: the start of the SHA-1 thumbprint (--format json has it whole)."
                .to_string(),
        );
    }
    if any_truncated && shown("URIS") {
        lines.push(format!(
            "URIS: distinct URIs; 20+: more than {} (--format json lists the first {}).",
            crate::certs::identify::MAX_SUMMARY_URIS,
            crate::certs::identify::MAX_SUMMARY_URIS
        ));
    }
    if !fitted.hidden.is_empty() {
        lines.push(format!(
            "Not shown at this width: {} (a wider terminal, or --format json).",
            fitted.hidden.join(", ")
        ));
    }
    lines.extend(notes);
    let mut s = format!("{}\n", fitted.text);
    for l in lines {
        s.push_str(&wrap_text(&l, width));
        s.push('\n');
    }
    s
}

/// A certificate's warnings in a word or two each: expired (at a request,
/// or by `now`, UTC seconds), not yet valid, no client-auth EKU. An expiry
/// the requests' times could not show is added to `notes`.
fn warning_flags(r: &CertSummary, now: i64, notes: &mut Vec<String>) -> Vec<&'static str> {
    let mut flags = Vec::new();
    let Some(c) = &r.cert else {
        return flags;
    };
    let expired_now = c.not_after_ts < now;
    if r.expired_requests > 0 || expired_now {
        flags.push("expired");
    }
    if r.not_yet_valid_requests > 0 {
        flags.push("not yet valid");
    }
    if !c.client_auth {
        flags.push("no client auth");
    }
    if expired_now && r.expired_requests == 0 {
        notes.push(format!(
            "warning: certificate {} expired on {}",
            c.display_name(),
            c.not_after
        ));
    }
    flags
}

/// One line for the report's verdict naming the certificates with warnings
/// (`None` when none has any): the operator's first screen shows them.
pub fn warnings_line(rows: &[CertSummary]) -> Option<String> {
    let now = chrono::Utc::now().timestamp();
    let flagged: Vec<String> = rows
        .iter()
        .filter_map(|r| {
            let flags = warning_flags(r, now, &mut Vec::new());
            let c = r.cert.as_ref()?;
            (!flags.is_empty()).then(|| {
                format!(
                    "{} ({}, {} request{})",
                    c.display_name(),
                    flags.join(", "),
                    r.requests,
                    if r.requests == 1 { "" } else { "s" }
                )
            })
        })
        .collect();
    (!flagged.is_empty()).then(|| format!("Certificates to look at: {}.", flagged.join("; ")))
}

/// The first ten hex digits of a thumbprint, marked as cut.
fn short_thumbprint(sha1: &str) -> String {
    match sha1.get(..10) {
        Some(head) if sha1.len() > 10 => format!("{head}…"),
        _ => sha1.to_string(),
    }
}

/// The report as pretty JSON.
pub fn render_json(report: &CrcReport) -> String {
    serde_json::to_string_pretty(report).expect("report serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::certs::test_data as data;
    use crate::record::Outcome;

    fn expected() -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(data("expected.json")).unwrap()).unwrap()
    }

    /// Against values computed independently with Python's zlib/hashlib.
    fn check_group(group: &str, files: Vec<PathBuf>) {
        let exp = expected();
        let exp = exp[group].as_array().unwrap();
        let report = crc_report(&files);
        assert!(report.warnings.is_empty(), "{:?}", report.warnings);
        assert_eq!(report.rows.len(), exp.len());
        let mut prev = 0;
        for (row, e) in report.rows.iter().zip(exp) {
            let name = e["file"].as_str().unwrap();
            assert_eq!(
                row.cert.der_size as u64,
                e["size"].as_u64().unwrap(),
                "{name}"
            );
            assert_eq!(row.plain_crc as u64, e["crc32"].as_u64().unwrap(), "{name}");
            assert_eq!(
                row.chained_crc as u64,
                e["chained_crc"].as_u64().unwrap(),
                "{name}"
            );
            assert_eq!(
                row.cert.thumbprint_sha1,
                e["sha1"].as_str().unwrap(),
                "{name}"
            );
            assert_eq!(row.cert.sha256, e["sha256"].as_str().unwrap(), "{name}");
            // the bytes, hashed and chained directly, agree too
            if !name.contains('#') {
                let base = if group == "demo" {
                    data("demo")
                } else {
                    data("")
                };
                let der = std::fs::read(base.join(name)).unwrap();
                assert_eq!(crc::plain_crc(&der), row.plain_crc);
                prev = crc::chain(prev, &der);
                assert_eq!(prev, row.chained_crc);
            }
        }
    }

    #[test]
    fn certs_report_matches_python_zlib() {
        let exp = expected();
        let files: Vec<PathBuf> = exp["certs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| data(e["file"].as_str().unwrap()))
            .collect();
        check_group("certs", files);
        check_group("demo", vec![data("demo")]);
        check_group("chain_pem", vec![data("pem/chain.pem")]);
    }

    #[test]
    fn certs_report_module_values() {
        let cat = crate::certs::demo_catalog();
        let certs: Vec<&CertInfo> = cat.certs().iter().map(|c| c.as_ref()).collect();
        let chained = module_values(&certs, true);
        let ders: Vec<&[u8]> = crate::certs::DEMO_CERTS.iter().map(|d| d.1).collect();
        let direct = crc::chain_all(ders.iter().copied());
        assert_eq!(chained.iter().map(|v| v.1).collect::<Vec<_>>(), direct);
        let plain = module_values(&certs, false);
        assert_eq!(plain[1], (certs[1].der_size, certs[1].crc32));
    }

    #[test]
    fn certs_report_summary_table() {
        use crate::certs::CertObservation;
        use crate::certs::identify::{CertSighting, CertSummaryBuilder, ChainDecoder, CrcMode};
        let cat = Arc::new(crate::certs::demo_catalog());
        let svc = cat
            .certs()
            .iter()
            .find(|c| c.display_name().starts_with("svc-backup"))
            .unwrap()
            .clone();
        let mut dec = ChainDecoder::with_mode(cat, CrcMode::Chained);
        let mut b = CertSummaryBuilder::new();
        for (i, (size, v)) in module_values(&[&svc, &svc], true).into_iter().enumerate() {
            let id = dec.observe(CertObservation {
                cnt: i as u64 + 1,
                size: Some(size),
                logged_crc: v,
                preceded_by_gap: 0,
            });
            b.add(
                &id,
                Some(size),
                &CertSighting {
                    pid: Some(7),
                    outcome: Outcome::CertOk,
                    ..Default::default()
                },
            );
        }
        let id = dec.observe(CertObservation {
            cnt: 3,
            size: Some(1),
            logged_crc: 5,
            preceded_by_gap: 0,
        });
        b.add(
            &id,
            Some(1),
            &CertSighting {
                pid: Some(7),
                outcome: Outcome::CertOk,
                ..Default::default()
            },
        );
        let t = render_summary_table(&b.build(), 200, false);
        assert!(t.contains("svc-backup.contoso.example"), "{t}");
        assert!(t.contains("chained_crc 1, plain_crc 1"), "{t}");
        assert!(t.contains("unknown/undecoded, 1 bytes"), "{t}");
        assert!(t.contains("lacks the client-auth EKU"), "{t}");
        assert!(t.contains("unrelated values"), "{t}");
    }

    #[test]
    fn certs_report_render() {
        let report = crc_report(&[data("demo/alice.der"), data("bad/truncated.der")]);
        assert_eq!(report.rows.len(), 1);
        let t = render_table(&report);
        assert!(t.contains("alice@contoso.example"), "{t}");
        assert!(t.contains(&report.rows[0].plain_crc.to_string()));
        assert!(
            !t.contains("warning:") && !t.contains("truncated.der"),
            "{t}"
        );
        assert!(report.warnings[0].path.ends_with("truncated.der"));
        assert!(
            !report.warnings[0].unreadable,
            "read, but not a certificate"
        );
        let j: serde_json::Value = serde_json::from_str(&render_json(&report)).unwrap();
        assert_eq!(j["rows"][0]["cert"]["der_size"], 855);
        assert_eq!(j["rows"][0]["chained_crc"], j["rows"][0]["plain_crc"]);
        assert!(
            j["warnings"][0]["message"]
                .as_str()
                .unwrap()
                .contains("skipped")
        );
    }
}
