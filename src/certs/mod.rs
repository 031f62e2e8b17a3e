//! Client certificates: the catalog (`--certs`), the module's CRC (plain and
//! chained), identification of each request's certificate from the logged
//! `cert size` / `cert crc` values. (What `certtrace crc` prints is output:
//! [`crate::output::certs_report`].)
//!
//! - [`catalog`]: load DER/PEM files into a [`catalog::Catalog`] indexed by
//!   (DER size, plain CRC-32).
//! - [`crc`]: plain and chained CRC-32 and the GF(2) shortcut that makes a
//!   chained check a table lookup.
//! - [`identify`]: the per-process-instance [`identify::ChainDecoder`],
//!   plain/chained auto-detection, the per-certificate summary and warnings.
//!
//! # Use from the correlator
//!
//! ```no_run
//! use std::sync::Arc;
//! use certtrace::certs::{Catalog, CertObservation, ChainDecoder, CrcMode, DecoderConfig};
//! # let paths: Vec<std::path::PathBuf> = vec![];
//! let (catalog, warnings) = Catalog::load(&paths); // print the warnings
//! let catalog = Arc::new(catalog);
//! // one decoder per worker-process instance (new pid, or counter restart)
//! let mut dec = ChainDecoder::new(
//!     Arc::clone(&catalog),
//!     DecoderConfig { mode: CrcMode::Auto, ..Default::default() },
//! );
//! // for every `cert crc` line of that instance, in capture order:
//! // - requests of the instance seen with `cert size` but whose `cert crc`
//! //   line is missing: dec.note_missing_cert(Some(size)) first;
//! // - several open requests? dec.explains(size, value) tells which size fits.
//! let id = dec.observe(CertObservation {
//!     cnt: 17,
//!     size: Some(855),
//!     logged_crc: 2844112431,
//!     preceded_by_gap: 0, // requests of the instance missing since the last observation
//! });
//! let record = id.record(); // the request's `cert` object, None = null
//! for late in dec.take_revisions() {
//!     // an earlier request (late.cnt, late.logged_crc) is now identified
//! }
//! let exact = id.is_exact(); // single-hypothesis match (no search)
//! let instance_line = dec.summary(); // detected mode + explanation
//! ```
//!
//! Unknown certificates: group by [`Identification::unknown_key`] in plain
//! mode; in chained mode they cannot be grouped
//! ([`identify::CHAINED_UNKNOWN_EXPLANATION`]). [`CertSummaryBuilder`]
//! builds the per-certificate table; [`validity_warning`] and
//! [`eku_warning`] give the request warnings.

pub mod catalog;
pub mod crc;
pub mod identify;

pub use catalog::{Catalog, CatalogWarning, CertInfo};
pub use identify::{
    CertMatch, CertObservation, CertRecord, CertSighting, CertSummary, CertSummaryBuilder,
    ChainDecoder, CrcMode, DecoderConfig, Identification, IdentifiedBy, UnknownCertKey,
    eku_warning, validity_warning,
};

/// The DER files of the demo catalog shipped with the crate (made by
/// `tests/data/certs/make.sh`): Contoso client certificates.
pub const DEMO_CERTS: &[(&str, &[u8])] = &[
    (
        "demo/alice.der",
        include_bytes!("../../tests/data/certs/demo/alice.der"),
    ),
    (
        "demo/bob.der",
        include_bytes!("../../tests/data/certs/demo/bob.der"),
    ),
    (
        "demo/carol.der",
        include_bytes!("../../tests/data/certs/demo/carol.der"),
    ),
    (
        "demo/dave.der",
        include_bytes!("../../tests/data/certs/demo/dave.der"),
    ),
    (
        "demo/erin.der",
        include_bytes!("../../tests/data/certs/demo/erin.der"),
    ),
    (
        "demo/frank.der",
        include_bytes!("../../tests/data/certs/demo/frank.der"),
    ),
    (
        "demo/kiosk.der",
        include_bytes!("../../tests/data/certs/demo/kiosk.der"),
    ),
    (
        "demo/svc-backup.der",
        include_bytes!("../../tests/data/certs/demo/svc-backup.der"),
    ),
];

/// The demo catalog: eight Contoso certificates (alice, bob, carol, dave,
/// erin, kiosk-12 are valid client certificates 2025-11-24..2027-11-24;
/// frank expired 2025-01-01; svc-backup has only the serverAuth EKU).
pub fn demo_catalog() -> Catalog {
    let mut cat = Catalog::new();
    for (name, der) in DEMO_CERTS {
        let info = CertInfo::from_der(der, format!("embedded:{name}"))
            .expect("embedded demo certificate parses");
        cat.insert(std::sync::Arc::new(info));
    }
    cat
}

/// A file of the certificate test data (`tests/data/certs/`).
#[cfg(test)]
pub(crate) fn test_data(p: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/certs")
        .join(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certs_demo_catalog_loads() {
        let cat = demo_catalog();
        assert_eq!(cat.len(), 8);
        assert!(
            cat.certs()
                .iter()
                .any(|c| c.subject.contains("CN=alice@contoso.example"))
        );
        // alice and frank share a DER size: the decoder must tell them apart by CRC
        assert_eq!(cat.count_of_size(855), 2);
    }
}
