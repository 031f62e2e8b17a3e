//! The certificate catalog (`--certs PATH`): what certtrace knows about the
//! certificates clients may present, indexed by (DER size, plain CRC-32).
//!
//! Only identity and the two numbers the module logs are kept per
//! certificate, never the DER bytes, so a catalog of 100,000 files stays
//! small. Files larger than [`MAX_FILE_SIZE`] are skipped with a warning.

use std::collections::HashSet;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use sha1::Digest as _;
use x509_parser::prelude::*;

use super::crc::{self, ShiftOp};
use rustc_hash::FxHashMap;

/// Files larger than this are not read (no certificate file is that big).
pub const MAX_FILE_SIZE: u64 = 1 << 20;
/// At most this many individual warnings are kept; the rest are counted in
/// one closing warning.
pub const MAX_WARNINGS: usize = 1000;

/// What the catalog knows about one certificate.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CertInfo {
    /// Size of the DER encoding in bytes (the module's `cert size`).
    pub der_size: u32,
    /// Plain CRC-32 of the DER bytes (what a corrected module build logs).
    pub crc32: u32,
    pub subject: String,
    pub issuer: String,
    /// Serial number, lowercase hex without separators.
    pub serial: String,
    /// SHA-1 of the DER bytes, lowercase hex: the thumbprint Windows shows.
    pub thumbprint_sha1: String,
    /// SHA-256 of the DER bytes, lowercase hex.
    pub sha256: String,
    /// RFC 3339, UTC.
    pub not_before: String,
    /// RFC 3339, UTC.
    pub not_after: String,
    /// `RSA`, `EC P-256`, `EC P-384`, `EC P-521`, `Ed25519`, `Ed448`, `DSA`,
    /// or the algorithm OID.
    pub key_type: String,
    /// Key size in bits (0 when unknown).
    pub key_bits: u32,
    /// Extended key usages (RFC 5280 names, other OIDs dotted); empty when
    /// the certificate has no EKU extension.
    pub ekus: Vec<String>,
    /// Whether the certificate carries an EKU extension at all.
    pub eku_present: bool,
    /// Usable for TLS client authentication: EKU has clientAuth or
    /// anyExtendedKeyUsage, or there is no EKU extension (RFC 5280: no
    /// restriction).
    pub client_auth: bool,
    /// Basic constraints CA:TRUE.
    pub is_ca: bool,
    /// Where it was loaded from (`file`, or `file#n` for the n-th PEM block).
    pub source: String,
    #[serde(skip)]
    pub not_before_ts: i64,
    #[serde(skip)]
    pub not_after_ts: i64,
    /// [`crate::certs::identify::eku_warning`]'s text, made once: it goes
    /// into every request that presented this certificate.
    #[serde(skip)]
    pub(crate) eku_warning: std::sync::OnceLock<Option<String>>,
}

impl CertInfo {
    /// Parses one DER certificate. The DER size is the length of the
    /// certificate's encoding; trailing bytes are an error.
    pub fn from_der(der: &[u8], source: impl Into<String>) -> Result<CertInfo, String> {
        if let Some(total) = der_sequence_len(der)
            && total > der.len()
        {
            return Err(format!(
                "truncated DER: the certificate's header announces {total} bytes, only {} present",
                der.len()
            ));
        }
        let (rest, cert) = parse_x509_certificate(der).map_err(|e| match e {
            x509_parser::nom::Err::Incomplete(_) => {
                "truncated certificate (incomplete DER)".to_string()
            }
            x509_parser::nom::Err::Error(e) | x509_parser::nom::Err::Failure(e) => {
                format!("not an X.509 certificate: {e}")
            }
        })?;
        if !rest.is_empty() {
            return Err(format!(
                "{} bytes of trailing data after the certificate",
                rest.len()
            ));
        }
        let der_size = u32::try_from(der.len()).map_err(|_| "certificate too large".to_string())?;
        let tbs = &cert.tbs_certificate;
        let spki = tbs.subject_pki.clone();
        let alg = spki.algorithm.algorithm.to_id_string();
        let key_bits = spki.parsed().map(|k| k.key_size() as u32).unwrap_or(0);
        let key_type = match alg.as_str() {
            "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => "RSA".to_string(),
            "1.2.840.10045.2.1" => {
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .map(|o| o.to_id_string());
                match curve.as_deref() {
                    Some("1.2.840.10045.3.1.7") => "EC P-256".to_string(),
                    Some("1.3.132.0.34") => "EC P-384".to_string(),
                    Some("1.3.132.0.35") => "EC P-521".to_string(),
                    Some(o) => format!("EC {o}"),
                    None => "EC".to_string(),
                }
            }
            "1.3.101.112" => "Ed25519".to_string(),
            "1.3.101.113" => "Ed448".to_string(),
            "1.2.840.10040.4.1" => "DSA".to_string(),
            o => o.to_string(),
        };
        let key_bits = match key_type.as_str() {
            "Ed25519" => 256,
            "Ed448" => 456,
            "EC P-521" => 521,
            _ => key_bits,
        };
        let (mut ekus, mut eku_present, mut client_auth) = (Vec::new(), false, true);
        if let Ok(Some(ext)) = cert.extended_key_usage() {
            let e = ext.value;
            eku_present = true;
            for (on, name) in [
                (e.any, "anyExtendedKeyUsage"),
                (e.server_auth, "serverAuth"),
                (e.client_auth, "clientAuth"),
                (e.code_signing, "codeSigning"),
                (e.email_protection, "emailProtection"),
                (e.time_stamping, "timeStamping"),
                (e.ocsp_signing, "OCSPSigning"),
            ] {
                if on {
                    ekus.push(name.to_string());
                }
            }
            ekus.extend(e.other.iter().map(|o| o.to_id_string()));
            client_auth = e.client_auth || e.any;
        }
        let is_ca = cert
            .basic_constraints()
            .ok()
            .flatten()
            .map(|b| b.value.ca)
            .unwrap_or(false);
        let nb = tbs.validity.not_before.timestamp();
        let na = tbs.validity.not_after.timestamp();
        Ok(CertInfo {
            der_size,
            crc32: crc::plain_crc(der),
            subject: rfc4514(&tbs.subject),
            issuer: rfc4514(&tbs.issuer),
            serial: hex(tbs.raw_serial()),
            thumbprint_sha1: hex(&sha1::Sha1::digest(der)),
            sha256: hex(&sha2::Sha256::digest(der)),
            not_before: rfc3339(nb),
            not_after: rfc3339(na),
            key_type,
            key_bits,
            ekus,
            eku_present,
            client_auth,
            is_ca,
            source: source.into(),
            not_before_ts: nb,
            not_after_ts: na,
            eku_warning: std::sync::OnceLock::new(),
        })
    }

    /// A catalog entry with only a size and a CRC (tests, benchmarks).
    pub fn synthetic(der_size: u32, crc32: u32, label: &str) -> CertInfo {
        let thumb = hex(&sha1::Sha1::digest(
            format!("{label}/{der_size}/{crc32}").as_bytes(),
        ));
        CertInfo {
            der_size,
            crc32,
            subject: format!("CN={label}"),
            issuer: "CN=synthetic".to_string(),
            serial: format!("{crc32:08x}"),
            thumbprint_sha1: thumb,
            sha256: String::new(),
            not_before: rfc3339(0),
            not_after: rfc3339(4_102_444_800),
            key_type: "synthetic".to_string(),
            key_bits: 0,
            ekus: vec!["clientAuth".to_string()],
            eku_present: true,
            client_auth: true,
            is_ca: false,
            source: "synthetic".to_string(),
            not_before_ts: 0,
            not_after_ts: 4_102_444_800,
            eku_warning: std::sync::OnceLock::new(),
        }
    }

    pub fn not_before_utc(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(self.not_before_ts, 0)
    }

    pub fn not_after_utc(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(self.not_after_ts, 0)
    }

    /// The common name of the subject, or the whole subject.
    pub fn display_name(&self) -> &str {
        self.subject
            .split(", ")
            .find_map(|p| p.strip_prefix("CN="))
            .unwrap_or(&self.subject)
    }

    /// The thumbprint as Windows shows it in certificate dialogs
    /// (`82:93:...`, uppercase) is a matter of display; this is lowercase hex.
    pub fn thumbprint_colons(&self) -> String {
        self.thumbprint_sha1
            .as_bytes()
            .chunks(2)
            .map(|c| std::str::from_utf8(c).unwrap_or("??"))
            .collect::<Vec<_>>()
            .join(":")
    }
}

/// The total length (header included) announced by a DER SEQUENCE header.
fn der_sequence_len(der: &[u8]) -> Option<usize> {
    if der.first() != Some(&0x30) {
        return None;
    }
    let first = *der.get(1)? as usize;
    if first < 0x80 {
        return Some(2 + first);
    }
    let n = first & 0x7f;
    if n == 0 || n > 4 {
        return None;
    }
    let mut len = 0usize;
    for i in 0..n {
        len = (len << 8) | *der.get(2 + i)? as usize;
    }
    Some(2 + n + len)
}

/// A distinguished name as an RFC 4514 string (last RDN first, as .NET's
/// `X509Certificate2.Subject` and PowerShell show it): `CN=alice, O=Contoso`.
fn rfc4514(name: &X509Name<'_>) -> String {
    let reg = x509_parser::objects::oid_registry();
    let rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|atv| {
                    let oid = atv.attr_type();
                    let k = match x509_parser::objects::oid2abbrev(oid, reg) {
                        Ok("emailAddress") => "E".to_string(),
                        Ok(a) => a.to_string(),
                        Err(_) => oid.to_id_string(),
                    };
                    let v = match atv.as_str() {
                        Ok(v) => escape_dn(v),
                        Err(_) => format!("#{}", hex(atv.as_slice())),
                    };
                    format!("{k}={v}")
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(", ")
}

fn escape_dn(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for (i, ch) in v.chars().enumerate() {
        let special = matches!(ch, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (ch == '#' || ch == ' '))
            || (i + 1 == v.chars().count() && ch == ' ');
        if special {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// The 20 bytes of a hex SHA-1 thumbprint (garbage in, some key out: only
/// used as a map key).
fn thumb_bytes(hex: &str) -> [u8; 20] {
    let mut out = [0u8; 20];
    for (i, pair) in hex.as_bytes().chunks(2).take(20).enumerate() {
        let v = std::str::from_utf8(pair)
            .ok()
            .and_then(|p| u8::from_str_radix(p, 16).ok())
            .unwrap_or(0);
        out[i] = v;
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn rfc3339(ts: i64) -> String {
    DateTime::from_timestamp(ts, 0)
        .map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_else(|| format!("@{ts}"))
}

/// A file that was skipped or only partly loaded.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CatalogWarning {
    /// Empty for warnings about the whole catalog.
    pub path: PathBuf,
    pub message: String,
    /// A file or directory could not be read (exit code 1), as opposed to
    /// one read but not (fully) usable.
    #[serde(skip)]
    pub unreadable: bool,
}

impl CatalogWarning {
    /// A warning about the whole catalog (no one path).
    fn about_catalog(message: String, unreadable: bool) -> Self {
        CatalogWarning {
            path: PathBuf::new(),
            message,
            unreadable,
        }
    }
}

impl fmt::Display for CatalogWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.as_os_str().is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path.display(), self.message)
        }
    }
}

/// All certificates of a distinct DER size: the shift operator for that size
/// and the distinct plain CRCs present.
#[derive(Debug)]
pub(crate) struct SizeClass {
    pub size: u32,
    pub shift: ShiftOp,
    /// The inverse of `shift`.
    pub unshift: ShiftOp,
    /// Distinct plain CRCs of the certificates of this size.
    pub crcs: Vec<u32>,
    /// Certificates of this size.
    pub count: usize,
    /// Made at the first search that needs it ([`SizeClass::finals`]).
    finals: std::sync::OnceLock<FinalStates>,
}

impl SizeClass {
    /// `unshift(crc)` of each certificate of this size, for finding which
    /// of them, hashed last, explains a logged value: from state `s` a
    /// certificate with plain CRC `crc` logs `shift(s) ^ crc`, so the state
    /// that explains `logged` is `unshift(logged) ^ unshift(crc)` (`unshift`
    /// is linear). One table serves every search: a search probes it with
    /// `state ^ unshift(logged)`.
    pub(crate) fn finals(&self, cat: &Catalog) -> &FinalStates {
        self.finals.get_or_init(|| {
            let mut pairs = Vec::new();
            for &crc in &self.crcs {
                let u = self.unshift.apply(crc);
                pairs.extend(cat.indices(self.size, crc).iter().map(|&idx| (u, idx)));
            }
            FinalStates::new(pairs)
        })
    }
}

/// (key, catalog index) pairs sorted by key, with a small bit filter so
/// most probes cost one bit test.
#[derive(Debug, Default)]
pub(crate) struct FinalStates {
    pairs: Vec<(u32, u32)>,
    filter: [u64; 16],
}

impl FinalStates {
    pub(crate) fn new(mut pairs: Vec<(u32, u32)>) -> Self {
        pairs.sort_unstable();
        let mut filter = [0u64; 16];
        for &(key, _) in &pairs {
            filter[((key >> 6) & 15) as usize] |= 1 << (key & 63);
        }
        FinalStates { pairs, filter }
    }

    /// The pairs whose key is `key`, by catalog index.
    #[inline]
    pub(crate) fn find(&self, key: u32) -> &[(u32, u32)] {
        if self.filter[((key >> 6) & 15) as usize] & (1 << (key & 63)) == 0 {
            return &[];
        }
        let lo = self.pairs.partition_point(|p| p.0 < key);
        let hi = lo + self.pairs[lo..].partition_point(|p| p.0 == key);
        &self.pairs[lo..hi]
    }
}

/// Indices into `Catalog::certs` sharing one (size, crc) key.
#[derive(Debug, Clone)]
enum Slot {
    One(u32),
    Many(Vec<u32>),
}

impl Slot {
    fn as_slice(&self) -> &[u32] {
        match self {
            Slot::One(i) => std::slice::from_ref(i),
            Slot::Many(v) => v,
        }
    }
}

/// The (size, CRC) pair as one key.
pub(crate) fn key(size: u32, crc: u32) -> u64 {
    ((size as u64) << 32) | crc as u64
}

/// The loaded certificates, de-duplicated by SHA-1 thumbprint and indexed by
/// (DER size, plain CRC-32).
#[derive(Debug, Default)]
pub struct Catalog {
    certs: Vec<Arc<CertInfo>>,
    by_key: FxHashMap<u64, Slot>,
    classes: Vec<SizeClass>,
    class_of_size: FxHashMap<u32, usize>,
    by_thumb: FxHashMap<[u8; 20], u32>,
    duplicates: usize,
}

impl Catalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }

    /// Loads files and directories (recursively; symlinked directories are
    /// not followed). DER (`.cer`, `.der`, `.crt`, or any file starting like
    /// a DER SEQUENCE) and PEM (any file with `-----BEGIN`; several
    /// certificates per file). Problems become warnings naming the file; the
    /// rest still loads. Duplicates (same SHA-1) are kept once.
    pub fn load(paths: &[PathBuf]) -> (Catalog, Vec<CatalogWarning>) {
        let (certs, mut warnings) = load_ordered(paths);
        let mut cat = Catalog::new();
        for c in certs {
            cat.insert(c);
        }
        if cat.duplicates > 0 {
            warnings.push(CatalogWarning::about_catalog(
                format!(
                    "{} duplicate certificate(s) (same SHA-1 thumbprint) loaded once",
                    cat.duplicates
                ),
                false,
            ));
        }
        (cat, warnings)
    }

    /// Builds a catalog from already parsed entries (de-duplicated).
    pub fn from_certs(certs: impl IntoIterator<Item = CertInfo>) -> Catalog {
        let mut cat = Catalog::new();
        for c in certs {
            cat.insert(Arc::new(c));
        }
        cat
    }

    /// Adds one certificate; returns false (and counts a duplicate) when a
    /// certificate with the same thumbprint is already present.
    pub fn insert(&mut self, cert: Arc<CertInfo>) -> bool {
        let thumb = thumb_bytes(&cert.thumbprint_sha1);
        if self.by_thumb.contains_key(&thumb) {
            self.duplicates += 1;
            return false;
        }
        let idx = self.certs.len() as u32;
        self.by_thumb.insert(thumb, idx);
        let k = key(cert.der_size, cert.crc32);
        let new_crc = match self.by_key.get_mut(&k) {
            Some(slot) => {
                match slot {
                    Slot::One(i) => *slot = Slot::Many(vec![*i, idx]),
                    Slot::Many(v) => v.push(idx),
                }
                false
            }
            None => {
                self.by_key.insert(k, Slot::One(idx));
                true
            }
        };
        let ci = match self.class_of_size.get(&cert.der_size) {
            Some(&ci) => ci,
            None => {
                let shift = ShiftOp::new(cert.der_size as u64);
                self.classes.push(SizeClass {
                    size: cert.der_size,
                    unshift: shift.inverse(),
                    shift,
                    crcs: Vec::new(),
                    count: 0,
                    finals: std::sync::OnceLock::new(),
                });
                self.class_of_size
                    .insert(cert.der_size, self.classes.len() - 1);
                self.classes.len() - 1
            }
        };
        let class = &mut self.classes[ci];
        if new_crc {
            class.crcs.push(cert.crc32);
        }
        class.count += 1;
        // A table made before is out of date.
        class.finals = std::sync::OnceLock::new();
        self.certs.push(cert);
        true
    }

    pub fn len(&self) -> usize {
        self.certs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    /// Certificates in load order.
    pub fn certs(&self) -> &[Arc<CertInfo>] {
        &self.certs
    }

    /// How many duplicates were dropped while loading.
    pub fn duplicates(&self) -> usize {
        self.duplicates
    }

    /// Number of distinct DER sizes.
    pub fn distinct_sizes(&self) -> usize {
        self.classes.len()
    }

    /// Number of distinct (size, CRC) keys.
    pub fn distinct_keys(&self) -> usize {
        self.by_key.len()
    }

    /// The distinct DER sizes, in first-seen order.
    pub fn sizes(&self) -> impl Iterator<Item = u32> + '_ {
        self.classes.iter().map(|c| c.size)
    }

    /// How many certificates have this DER size.
    pub fn count_of_size(&self, size: u32) -> usize {
        self.class(size).map(|c| c.count).unwrap_or(0)
    }

    pub fn cert(&self, idx: u32) -> &Arc<CertInfo> {
        &self.certs[idx as usize]
    }

    /// Indices of the certificates with this size and plain CRC.
    pub(crate) fn indices(&self, size: u32, crc: u32) -> &[u32] {
        self.by_key
            .get(&key(size, crc))
            .map(Slot::as_slice)
            .unwrap_or(&[])
    }

    /// The certificates with this DER size and plain CRC-32.
    pub fn lookup(&self, size: u32, crc: u32) -> impl Iterator<Item = &Arc<CertInfo>> + '_ {
        self.indices(size, crc).iter().map(|&i| self.cert(i))
    }

    /// The certificates of `size` bytes that the shipped (chained) module,
    /// in state `prev` (the previously logged value, 0 at process start),
    /// would log as `logged`: a lookup of the plain CRC such a certificate
    /// needs, `logged ^ shift(prev, size)` ([`crc::required_plain_crc`]).
    pub fn lookup_chained(
        &self,
        prev: u32,
        size: u32,
        logged: u32,
    ) -> impl Iterator<Item = &Arc<CertInfo>> + '_ {
        let idx = match self.class(size) {
            Some(c) => self.indices(size, logged ^ c.shift.apply(prev)),
            None => &[],
        };
        idx.iter().map(|&i| self.cert(i))
    }

    /// The certificates with this plain CRC-32, whatever their size.
    pub fn lookup_any_size(&self, crc: u32) -> Vec<&Arc<CertInfo>> {
        self.classes
            .iter()
            .flat_map(|c| self.indices(c.size, crc))
            .map(|&i| self.cert(i))
            .collect()
    }

    pub fn by_thumbprint(&self, thumbprint_sha1: &str) -> Option<&Arc<CertInfo>> {
        let t = thumbprint_sha1.replace([':', ' '], "").to_ascii_lowercase();
        self.by_thumb.get(&thumb_bytes(&t)).map(|&i| self.cert(i))
    }

    pub(crate) fn class(&self, size: u32) -> Option<&SizeClass> {
        self.class_of_size.get(&size).map(|&i| &self.classes[i])
    }

    pub(crate) fn classes(&self) -> &[SizeClass] {
        &self.classes
    }
}

/// Loads certificates in the order given (directories sorted by name,
/// recursively), without de-duplication: what `certtrace crc` needs.
pub fn load_ordered(paths: &[PathBuf]) -> (Vec<Arc<CertInfo>>, Vec<CatalogWarning>) {
    load_ordered_on(paths, None)
}

/// [`load_ordered`] with the files read by at most `threads` threads (by
/// default, one per core).
fn load_ordered_on(
    paths: &[PathBuf],
    threads: Option<usize>,
) -> (Vec<Arc<CertInfo>>, Vec<CatalogWarning>) {
    let threads = threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_LOAD_THREADS)
    });
    let mut walk = Walk::default();
    for p in paths {
        walk.path(p);
    }
    let mut loader = Loader::default();
    // A window at a time: the files' answers wait for their turn in order,
    // so only a window's worth of them is held.
    let mut found = walk.found.into_iter().peekable();
    while found.peek().is_some() {
        let window: Vec<Found> = found.by_ref().take(LOAD_WINDOW).collect();
        let read = read_files(&window, threads);
        for (found, file) in window.into_iter().zip(read) {
            loader.add(found, file);
        }
    }
    if loader.dropped_warnings > 0 {
        loader.warnings.push(CatalogWarning::about_catalog(
            format!(
                "{} more warning(s) not shown ({} files skipped in all)",
                loader.dropped_warnings, loader.skipped_files
            ),
            loader.dropped_unreadable,
        ));
    }
    (loader.certs, loader.warnings)
}

/// Parses the certificates in one file's bytes (DER or PEM). Used for files
/// and for embedded data.
pub fn parse_bytes(data: &[u8], source: &str) -> (Vec<CertInfo>, Vec<String>) {
    let mut certs = Vec::new();
    let mut problems = Vec::new();
    if looks_like_pem(data) {
        let mut blocks = 0usize;
        let mut other_labels = HashSet::new();
        let text = normalize_pem(data);
        for (i, item) in x509_parser::pem::Pem::iter_from_buffer(&text).enumerate() {
            match item {
                Ok(pem) => {
                    if pem.label == "CERTIFICATE" || pem.label == "X509 CERTIFICATE" {
                        blocks += 1;
                        match CertInfo::from_der(&pem.contents, format!("{source}#{i}")) {
                            Ok(c) => certs.push(c),
                            Err(e) => problems.push(format!("PEM block {i}: {e}")),
                        }
                    } else {
                        other_labels.insert(pem.label);
                    }
                }
                Err(e) => problems.push(format!("PEM block {i}: {e}")),
            }
        }
        if blocks == 0 && problems.is_empty() {
            let mut l: Vec<_> = other_labels.into_iter().collect();
            l.sort();
            problems.push(if l.is_empty() {
                "not a certificate (text without a PEM block)".to_string()
            } else {
                format!("no CERTIFICATE block in PEM file (found: {})", l.join(", "))
            });
        }
    } else if data.first() == Some(&0x30) {
        match CertInfo::from_der(data, source.to_string()) {
            Ok(c) => certs.push(c),
            Err(e) => problems.push(e),
        }
    } else {
        problems.push("not a certificate (neither DER nor PEM)".to_string());
    }
    (certs, problems)
}

/// Strips a UTF-8 BOM and the indentation of every line (mail clients and
/// config files indent PEM blocks), so that the PEM reader sees each
/// `-----BEGIN` at the start of a line.
fn normalize_pem(data: &[u8]) -> Vec<u8> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut out = Vec::with_capacity(data.len());
    for line in data.split(|&b| b == b'\n') {
        let start = line
            .iter()
            .position(|b| !matches!(b, b' ' | b'\t'))
            .unwrap_or(line.len());
        out.extend_from_slice(&line[start..]);
        out.push(b'\n');
    }
    out
}

fn looks_like_pem(data: &[u8]) -> bool {
    memchr::memmem::find(&data[..data.len().min(64 * 1024)], b"-----BEGIN ").is_some()
}

/// What the walk over the catalog's paths met, in order.
enum Found {
    File {
        path: PathBuf,
    },
    /// A file that cannot be read (counted as skipped).
    Problem {
        path: PathBuf,
        message: String,
    },
    /// A directory that cannot be listed, or one not followed.
    DirectoryProblem {
        path: PathBuf,
        message: String,
    },
}

/// Lists the files to load (directories sorted by name, depth-first) without
/// reading them.
#[derive(Default)]
struct Walk {
    found: Vec<Found>,
}

impl Walk {
    fn path(&mut self, path: &Path) {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => self.dir(path),
            Ok(_) => self.file(path),
            Err(e) => self.problem(path, format!("cannot read: {e}")),
        }
    }

    fn file(&mut self, path: &Path) {
        self.found.push(Found::File {
            path: path.to_path_buf(),
        });
    }

    fn problem(&mut self, path: &Path, message: String) {
        self.found.push(Found::Problem {
            path: path.to_path_buf(),
            message,
        });
    }

    fn directory_problem(&mut self, path: &Path, message: String) {
        self.found.push(Found::DirectoryProblem {
            path: path.to_path_buf(),
            message,
        });
    }

    fn dir(&mut self, root: &Path) {
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            let rd = match std::fs::read_dir(&dir) {
                Ok(rd) => rd,
                Err(e) => {
                    self.directory_problem(&dir, format!("cannot list directory: {e}"));
                    continue;
                }
            };
            // The listing tells each entry's type (no call per file where
            // the file system gives it).
            let mut entries: Vec<(PathBuf, io::Result<std::fs::FileType>)> = rd
                .filter_map(|e| e.ok().map(|e| (e.path(), e.file_type())))
                .collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            let mut subdirs = Vec::new();
            for (p, kind) in entries {
                let kind = match kind {
                    Ok(k) => k,
                    Err(e) => {
                        self.problem(&p, format!("cannot read: {e}"));
                        continue;
                    }
                };
                if kind.is_dir() {
                    subdirs.push(p);
                } else if kind.is_symlink() {
                    match std::fs::metadata(&p) {
                        Ok(m) if m.is_dir() => self
                            .directory_problem(&p, "symlinked directory not followed".to_string()),
                        Ok(_) => self.file(&p),
                        Err(e) => self.problem(&p, format!("cannot read: {e}")),
                    }
                } else if kind.is_file() {
                    self.file(&p);
                }
            }
            // depth-first, in name order
            stack.extend(subdirs.into_iter().rev());
        }
    }
}

/// One file read and parsed: its certificates and problems, or why it was
/// not read.
type FileRead = Result<(Vec<CertInfo>, Vec<String>), String>;

/// Reads and parses the walk's files on up to `threads` threads (a catalog
/// can hold thousands of files, and reading the capture starts once it is
/// loaded; few files are not worth a thread); the answers come back in the
/// walk's order (`None` for its problems, and for files a failed thread
/// did not finish).
fn read_files(found: &[Found], threads: usize) -> Vec<Option<FileRead>> {
    let files = found
        .iter()
        .filter(|f| matches!(f, Found::File { .. }))
        .count();
    let threads = threads.min(files.div_ceil(FILES_PER_LOAD_THREAD)).max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(f) = found.get(i) else { break };
            if let Found::File { path } = f {
                done.push((i, read_file(path)));
            }
        }
        done
    };
    let mut out: Vec<Option<FileRead>> = Vec::new();
    out.resize_with(found.len(), || None);
    let parts: Vec<Vec<(usize, FileRead)>> = if threads == 1 {
        vec![work()]
    } else {
        std::thread::scope(|scope| {
            let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
            let mut parts = vec![work()];
            // A helper that panicked lost its files: they are read again
            // in order (so a panic there surfaces where it belongs).
            parts.extend(helpers.into_iter().filter_map(|h| h.join().ok()));
            parts
        })
    };
    for (i, r) in parts.into_iter().flatten() {
        out[i] = Some(r);
    }
    out
}

/// Files read in parallel before their answers are taken in order.
const LOAD_WINDOW: usize = 1024;
/// At most this many threads read a catalog ...
const MAX_LOAD_THREADS: usize = 8;
/// ... each with at least this many files (fewer are not worth a thread).
const FILES_PER_LOAD_THREAD: usize = 64;

/// Reads one file (its size checked first) and parses it.
fn read_file(path: &Path) -> FileRead {
    use std::io::Read as _;
    let cannot = |e: io::Error| format!("cannot read: {e}");
    let mut file = std::fs::File::open(path).map_err(cannot)?;
    let len = file.metadata().map_err(cannot)?.len();
    if len > MAX_FILE_SIZE {
        return Err(format!(
            "skipped: {len} bytes is too large for a certificate file"
        ));
    }
    let mut data = Vec::with_capacity(len as usize);
    file.read_to_end(&mut data).map_err(cannot)?;
    Ok(parse_bytes(&data, &path.display().to_string()))
}

/// Puts the files' answers together, in order, with the warnings capped.
#[derive(Default)]
struct Loader {
    certs: Vec<Arc<CertInfo>>,
    warnings: Vec<CatalogWarning>,
    dropped_warnings: usize,
    /// Some warning not shown is about a file that could not be read.
    dropped_unreadable: bool,
    skipped_files: usize,
}

impl Loader {
    fn warn(&mut self, path: &Path, message: String) {
        // The walk's and the reader's messages for files and directories
        // that could not be opened, listed or read.
        let unreadable = message.starts_with("cannot read") || message.starts_with("cannot list");
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(CatalogWarning {
                path: path.to_path_buf(),
                message,
                unreadable,
            });
        } else {
            self.dropped_warnings += 1;
            self.dropped_unreadable |= unreadable;
        }
    }

    /// Takes what the walk found, with its file's answer.
    fn add(&mut self, found: Found, file: Option<FileRead>) {
        match found {
            Found::Problem { path, message } => {
                self.skipped_files += 1;
                self.warn(&path, message);
            }
            Found::DirectoryProblem { path, message } => self.warn(&path, message),
            // Not read when its thread failed: read here.
            Found::File { path } => {
                let file = file.unwrap_or_else(|| read_file(&path));
                self.file(&path, file);
            }
        }
    }

    fn file(&mut self, path: &Path, file: FileRead) {
        let (certs, problems) = match file {
            Ok(parsed) => parsed,
            Err(message) => {
                self.skipped_files += 1;
                return self.warn(path, message);
            }
        };
        if certs.is_empty() {
            self.skipped_files += 1;
        }
        for p in problems {
            let msg = if certs.is_empty() {
                format!("skipped: {p}")
            } else {
                p
            };
            self.warn(path, msg);
        }
        self.certs.extend(certs.into_iter().map(Arc::new));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::certs::test_data as data;

    #[test]
    fn certs_catalog_der_fields() {
        let der = std::fs::read(data("rsa2048-client.der")).unwrap();
        let c = CertInfo::from_der(&der, "x").unwrap();
        assert_eq!(c.der_size as usize, der.len());
        assert_eq!(c.subject, "CN=rsa2048-client, O=certtrace tests");
        assert_eq!(c.issuer, "CN=certtrace Test Root CA, O=certtrace tests");
        assert_eq!(c.key_type, "RSA");
        assert_eq!(c.key_bits, 2048);
        assert!(c.client_auth && c.eku_present);
        assert_eq!(c.ekus, vec!["clientAuth"]);
        assert_eq!(c.not_before, "2025-11-24T00:00:00Z");
        assert_eq!(c.not_after, "2027-11-24T00:00:00Z");
        assert_eq!(c.display_name(), "rsa2048-client");
        assert!(!c.is_ca);
        assert_eq!(c.thumbprint_sha1.len(), 40);

        let k = |f: &str| {
            let d = std::fs::read(data(f)).unwrap();
            let c = CertInfo::from_der(&d, f).unwrap();
            (c.key_type, c.key_bits, c.client_auth)
        };
        assert_eq!(k("rsa4096-client.der"), ("RSA".into(), 4096, true));
        assert_eq!(k("ec-p256-client.der"), ("EC P-256".into(), 256, true));
        assert_eq!(k("ec-p384-server.der"), ("EC P-384".into(), 384, false));
        assert_eq!(k("ed25519-client.der"), ("Ed25519".into(), 256, true));
        assert_eq!(k("rsa2048-noeku.der"), ("RSA".into(), 2048, true));
        let ca =
            CertInfo::from_der(&std::fs::read(data("test-root-ca.der")).unwrap(), "ca").unwrap();
        assert!(ca.is_ca);
        assert_eq!(ca.serial, "0a1b2c3d");
    }

    #[test]
    fn certs_catalog_load_everything_with_warnings() {
        let (cat, warnings) = Catalog::load(&[data("")]);
        // 9 top-level DER + demo 9 + pem: chain(2, one duplicate of
        // rsa2048-client and one of the root) + .crt (duplicate) + garbage(1 ed25519 duplicate)
        assert_eq!(cat.len(), 18, "{warnings:#?}");
        assert_eq!(cat.duplicates(), 4);
        let msgs: Vec<String> = warnings.iter().map(|w| w.to_string()).collect();
        let has =
            |file: &str, text: &str| msgs.iter().any(|m| m.contains(file) && m.contains(text));
        assert!(has("truncated.der", "truncated DER"), "{msgs:#?}");
        assert!(has("readme.txt", "not a certificate"), "{msgs:#?}");
        assert!(has("garbage.pem", "PEM block"), "{msgs:#?}");
        assert!(has("make.sh", "not a certificate"), "{msgs:#?}");
        assert!(has("", "duplicate"), "{msgs:#?}");
        // indexed
        let der = std::fs::read(data("ec-p256-client.der")).unwrap();
        let hits: Vec<_> = cat.lookup(der.len() as u32, crc::plain_crc(&der)).collect();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].display_name(), "ec-p256-client");
        assert!(cat.by_thumbprint(&hits[0].thumbprint_colons()).is_some());
        // chained lookup: the value the module logs after another cert
        let first = std::fs::read(data("ed25519-client.der")).unwrap();
        let prev = crc::plain_crc(&first);
        let logged = crc::chain(prev, &der);
        let hits: Vec<_> = cat.lookup_chained(prev, der.len() as u32, logged).collect();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].display_name(), "ec-p256-client");
        assert_eq!(
            crc::required_plain_crc(prev, logged, der.len() as u64),
            hits[0].crc32
        );
    }

    #[test]
    fn certs_catalog_pem_chain_order() {
        let (certs, warnings) = load_ordered(&[data("pem/chain.pem")]);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(certs.len(), 2);
        assert!(certs[0].subject.contains("rsa2048-client"));
        assert!(certs[1].is_ca);
        assert!(certs[1].source.ends_with("chain.pem#1"));
    }

    #[test]
    fn certs_catalog_pem_crlf_bom_indent() {
        let pem = std::fs::read_to_string(data("pem/chain.pem")).unwrap();
        let crlf = pem.replace('\n', "\r\n");
        let (c, p) = parse_bytes(crlf.as_bytes(), "crlf");
        assert_eq!((c.len(), p.len()), (2, 0), "{p:?}");
        let bom = format!("\u{feff}{pem}");
        let (c, p) = parse_bytes(bom.as_bytes(), "bom");
        assert_eq!((c.len(), p.len()), (2, 0), "{p:?}");
        let indented: String = pem.lines().map(|l| format!("    {l}\n")).collect();
        let (c, p) = parse_bytes(indented.as_bytes(), "indented");
        assert_eq!((c.len(), p.len()), (2, 0), "{p:?}");
        // a DER file and the same certificate from PEM agree
        let der = std::fs::read(data("rsa2048-client.der")).unwrap();
        assert_eq!(c[0].crc32, crc::plain_crc(&der));
        assert_eq!(c[0].der_size as usize, der.len());
    }

    #[test]
    fn certs_catalog_bad_inputs_do_not_panic() {
        let (c, p) = parse_bytes(b"", "empty");
        assert!(c.is_empty() && !p.is_empty());
        let (c, p) = parse_bytes(&[0x30, 0x82, 0xff, 0xff, 1, 2, 3], "short");
        assert!(c.is_empty() && p[0].contains("truncated") || p[0].contains("X.509"));
        let (c, p) = parse_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA", "open");
        assert!(c.is_empty() && !p.is_empty());
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.cer");
        std::fs::write(&big, vec![0x30u8; (MAX_FILE_SIZE + 1) as usize]).unwrap();
        let (cat, w) = Catalog::load(&[big.clone(), dir.path().join("missing.der")]);
        assert!(cat.is_empty());
        assert_eq!(w.len(), 2);
        assert!(w[0].message.contains("too large"));
        assert!(w[1].message.contains("cannot read"));
    }

    /// Files read on several threads load exactly as on one: the same
    /// certificates in the same order, the same warnings in the same order
    /// (a tree of good, duplicate, bad, empty, too large and vanished
    /// files: more than each thread's share, and than a window).
    #[test]
    fn certs_catalog_threads_load_as_one() {
        let template = std::fs::read(data("rsa2048-client.der")).unwrap();
        let n = template.len();
        let dir = tempfile::tempdir().unwrap();
        let mut vanished = Vec::new();
        for i in 0..1100u32 {
            let sub = dir.path().join(format!("d{}", i % 7));
            std::fs::create_dir_all(sub.join("deeper")).unwrap();
            let path = match i % 5 {
                0 => sub.join(format!("c{i:04}.cer")),
                _ => sub.join("deeper").join(format!("c{i:04}.der")),
            };
            let bytes = match i % 11 {
                0 => b"not a certificate".to_vec(),
                1 => template[..n / 2].to_vec(),
                2 => Vec::new(),
                3 => template.clone(),
                _ => {
                    let mut der = template.clone();
                    der[n - 4..].copy_from_slice(&i.to_be_bytes());
                    der
                }
            };
            std::fs::write(&path, bytes).unwrap();
            if i % 97 == 0 {
                vanished.push(path);
            }
        }
        std::fs::write(
            dir.path().join("d3/big.cer"),
            vec![0x30u8; (MAX_FILE_SIZE + 1) as usize],
        )
        .unwrap();
        let paths = [
            dir.path().to_path_buf(),
            dir.path().join("missing"),
            data("pem/chain.pem"),
        ];
        let one = load_ordered_on(&paths, Some(1));
        for threads in [2, 3, 8] {
            let many = load_ordered_on(&paths, Some(threads));
            let names = |c: &[Arc<CertInfo>]| -> Vec<String> {
                c.iter()
                    .map(|c| format!("{} {}", c.source, c.thumbprint_sha1))
                    .collect()
            };
            assert_eq!(names(&many.0), names(&one.0), "{threads} threads");
            assert_eq!(many.1, one.1, "{threads} threads");
        }
        assert!(one.0.len() > 700, "{}", one.0.len());
        assert!(one.1.iter().any(|w| w.message.contains("too large")));
        assert!(one.1.iter().any(|w| w.message.contains("cannot read")));
        // Files listed, then gone before they are read: named, not fatal.
        let mut walk = Walk::default();
        walk.path(dir.path());
        for v in &vanished {
            std::fs::remove_file(v).unwrap();
        }
        let read = read_files(&walk.found, 2);
        let gone = read
            .iter()
            .flatten()
            .filter(|r| matches!(r, Err(e) if e.starts_with("cannot read")))
            .count();
        assert_eq!(gone, vanished.len());
    }

    #[test]
    fn certs_catalog_many_files_bounded_warnings() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..(MAX_WARNINGS + 50) {
            std::fs::write(dir.path().join(format!("f{i:05}.txt")), b"x").unwrap();
        }
        let (cat, w) = Catalog::load(&[dir.path().to_path_buf()]);
        assert!(cat.is_empty());
        assert_eq!(w.len(), MAX_WARNINGS + 1);
        assert!(w.last().unwrap().message.contains("50 more warning(s)"));
    }

    fn vm_hwm_kib() -> Option<u64> {
        std::fs::read_to_string("/proc/self/status")
            .ok()?
            .lines()
            .find(|l| l.starts_with("VmHWM:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }

    /// 100,000 distinct certificate files (a real certificate with its
    /// signature's last bytes replaced by a counter: x509-parser does not
    /// check signatures) plus 1,000 unrelated files. Slow (writes 100 MB):
    /// `cargo test --release --lib certs_catalog_100k -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn certs_catalog_100k_files() {
        let template = std::fs::read(data("rsa2048-client.der")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let n = template.len();
        for i in 0..100_000u32 {
            let sub = dir.path().join(format!("d{:03}", i / 1000));
            if i % 1000 == 0 {
                std::fs::create_dir(&sub).unwrap();
            }
            let mut der = template.clone();
            der[n - 4..].copy_from_slice(&i.to_be_bytes());
            std::fs::write(sub.join(format!("c{i:06}.cer")), &der).unwrap();
        }
        for i in 0..1000 {
            std::fs::write(dir.path().join(format!("junk{i}.txt")), b"hello").unwrap();
        }
        let before = vm_hwm_kib();
        let t = std::time::Instant::now();
        let (cat, warnings) = Catalog::load(&[dir.path().to_path_buf()]);
        let took = t.elapsed();
        let after = vm_hwm_kib();
        eprintln!(
            "100k catalog: {} certs, {} warnings, {:?}, VmHWM {:?} -> {:?} KiB",
            cat.len(),
            warnings.len(),
            took,
            before,
            after
        );
        assert_eq!(cat.len(), 100_000);
        assert_eq!(warnings.len(), 1000);
        assert_eq!(cat.distinct_sizes(), 1);
    }
}
