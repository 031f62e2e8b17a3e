//! Which certificate did a request present? Decoding the module's logged
//! (size, CRC) per worker-process instance.
//!
//! # Plain and chained builds
//!
//! A corrected module build logs the plain CRC-32 of each certificate: a
//! direct lookup by (size, CRC) in the [`Catalog`]. The shipped module logs a
//! *chained* CRC (see [`super::crc`]): the printed value is the CRC state
//! after every certificate hashed so far in that worker process, so
//! `logged_k = crc32(logged_{k-1}, cert_k)`. Decoding uses the previous
//! logged value of the same instance as the state, computes the plain CRC the
//! certificate would need (`logged XOR shift(prev, size)`) and looks it up.
//!
//! # What the decoder can and cannot know
//!
//! - **The state is the last logged value.** After a certificate that is not
//!   in the catalog the state is still known (it is the value just logged),
//!   so one unknown certificate never hides the next one.
//! - **Missing requests** (a counter gap, lost lines): each may have hashed
//!   one certificate or none (plain HTTP, no certificate, errors do not touch
//!   the register). The decoder tries "none of them hashed" first (depth 0,
//!   one hypothesis), then 1, 2, ... up to [`DecoderConfig::max_depth`]
//!   catalog certificates hashed in between, in every order allowed, pruning
//!   by known sizes. A request known to have hashed a certificate whose `cert
//!   crc` line was lost ([`ChainDecoder::note_missing_cert`]) must be part of
//!   every explanation; its size, when logged, restricts the candidates.
//! - **Lost predecessor whose certificate is not in the catalog**: no
//!   explanation exists, the value stays unknown, but it becomes the state
//!   for the next observation, so decoding resumes with the next `cert crc`
//!   line of the instance. At most the one observation after each lost
//!   unknown-certificate line is lost to the decoder.
//! - **First observation of an instance**: the state is the process start
//!   (CRC state 0, so the logged value is a plain CRC-32) when no request is
//!   missing before it; with missing requests the search starts from the
//!   process start too (`preceded_by_gap` counts the requests missing since
//!   process start, e.g. `cnt - 1` when the capture started late). When the
//!   process had hashed more than `max_depth` certificates before the
//!   capture started, the first value cannot be decoded; the next one can.
//! - **Lines out of order** (concurrent requests print in a different order
//!   than they hashed): the decoder also tries the few previous logged values
//!   as the state ([`DecoderConfig::recent_states`]) and, when nothing is
//!   missing, one certificate hashed before this one whose line comes later
//!   ([`DecoderConfig::reorder_search`], small catalogs only); an
//!   unexplained value is also re-checked against the next few values
//!   logged after it, and a late identification is handed out by
//!   [`ChainDecoder::take_revisions`]. Bytes of two certificates hashed
//!   at the same moment interleave inside the register and explain nothing.
//! - **Never a guess.** Every identity returned satisfies the CRC equation
//!   for a concrete hypothesis. Because a search tests many hypotheses, a
//!   coincidental 32-bit match becomes possible: the decoder counts the
//!   hypotheses it tested ([`Identification::hypotheses`]) and does not search
//!   deeper once a coincidence would have a probability above
//!   [`DecoderConfig::max_false_match`] (by default 1e-4, about 430,000
//!   hypotheses). With a catalog of 10,000 certificates this allows depth 1;
//!   with the demo catalog depth 3. When several catalog certificates explain
//!   the value equally well the result is `ambiguous` with no identity.
//!
//! # Unknown certificates
//!
//! In plain mode two requests that presented the same unknown certificate log
//! the same (size, CRC): [`Identification::unknown_key`] groups them. In
//! chained mode they do not (see [`CHAINED_UNKNOWN_EXPLANATION`]).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};

use super::catalog::{self, Catalog, CertInfo, FinalStates, SizeClass};
use crate::input::event::EventTime;
use crate::record::{Outcome, OutcomeCounts};
use rustc_hash::{FxHashMap, FxHashSet};

/// Why unknown certificates cannot be grouped in chained mode.
pub const CHAINED_UNKNOWN_EXPLANATION: &str = "with the chained CRC the logged value depends on every certificate the worker process hashed before, so two requests with the same certificate log unrelated values; a certificate that is not in the catalog can only be described by its size (add it with --certs to name and group it)";

/// Which CRC the module build logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CrcMode {
    /// Corrected build: plain CRC-32 of each certificate.
    Plain,
    /// Shipped build: CRC register never reset (chained).
    Chained,
    /// Decide per instance from the evidence (as a detection result:
    /// undecided).
    #[default]
    Auto,
}

impl CrcMode {
    pub fn as_str(self) -> &'static str {
        match self {
            CrcMode::Plain => "plain",
            CrcMode::Chained => "chained",
            CrcMode::Auto => "auto",
        }
    }
}

impl fmt::Display for CrcMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CrcMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "plain" => Ok(CrcMode::Plain),
            "chained" => Ok(CrcMode::Chained),
            "auto" => Ok(CrcMode::Auto),
            o => Err(format!("unknown CRC mode {o:?} (plain, chained, auto)")),
        }
    }
}

/// How an identity was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifiedBy {
    /// The logged value is the certificate's plain CRC-32 (plain build, or
    /// the first certificate after process start).
    PlainCrc,
    /// The logged value continues the previous logged value of the instance
    /// with this certificate (one hypothesis; missing requests, if any,
    /// hashed nothing).
    ChainedCrc,
    /// Explained only after a search: missing certificates in between, or
    /// lines out of order. See `search_depth` and `hypotheses`.
    ChainedCrcSearch,
}

impl IdentifiedBy {
    pub const ALL: [IdentifiedBy; 3] = [
        IdentifiedBy::PlainCrc,
        IdentifiedBy::ChainedCrc,
        IdentifiedBy::ChainedCrcSearch,
    ];

    /// Its place in [`IdentifiedBy::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            IdentifiedBy::PlainCrc => "plain_crc",
            IdentifiedBy::ChainedCrc => "chained_crc",
            IdentifiedBy::ChainedCrcSearch => "chained_crc_search",
        }
    }
}

impl fmt::Display for IdentifiedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `cert crc` line of a request, as the correlator saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertObservation {
    /// The request's counter (`cnt = N`), for notes.
    pub cnt: u64,
    /// The request's `cert size`, when that line was captured.
    pub size: Option<u32>,
    /// The value of the `cert crc:` line.
    pub logged_crc: u32,
    /// Requests of this instance missing before this one since the previous
    /// observation (counter gaps, lost start lines); for the first
    /// observation, since process start.
    pub preceded_by_gap: u32,
}

/// What the per-certificate summary needs of an [`Identification`] (its
/// certificate, or the key of an unknown one, and how it was found): small
/// enough to travel with every request record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CertMatch {
    pub cert: Option<Arc<CertInfo>>,
    pub unknown: Option<UnknownCertKey>,
    pub identified_by: Option<IdentifiedBy>,
}

impl From<&Identification> for CertMatch {
    fn from(id: &Identification) -> Self {
        CertMatch {
            cert: id.cert.clone(),
            unknown: id.unknown,
            identified_by: id.identified_by,
        }
    }
}

/// The certificate moves (no clone: a catalog entry's count is shared
/// between threads).
impl From<Identification> for CertMatch {
    fn from(id: Identification) -> Self {
        CertMatch {
            cert: id.cert,
            unknown: id.unknown,
            identified_by: id.identified_by,
        }
    }
}

/// Groups unknown certificates in plain mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct UnknownCertKey {
    pub size: u32,
    pub crc32: u32,
}

impl fmt::Display for UnknownCertKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown {} bytes, crc32 {:08x}", self.size, self.crc32)
    }
}

fn ser_opt_cert<S: Serializer>(c: &Option<Arc<CertInfo>>, s: S) -> Result<S::Ok, S::Error> {
    match c {
        Some(c) => c.as_ref().serialize(s),
        None => s.serialize_none(),
    }
}

/// The decoder's answer for one observation.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Identification {
    /// The identified certificate; `None` when unknown or ambiguous.
    #[serde(serialize_with = "ser_opt_cert")]
    pub cert: Option<Arc<CertInfo>>,
    pub identified_by: Option<IdentifiedBy>,
    /// Certificates hashed in between (missing requests, out-of-order
    /// lines) in the explanation found; 0 for a direct match.
    pub search_depth: u32,
    /// Several catalog certificates explain the value equally well.
    pub ambiguous: bool,
    /// SHA-1 thumbprints of the competing certificates when ambiguous (at
    /// most 8).
    pub candidates: Vec<String>,
    /// Hypotheses tested for this value; a coincidental match has
    /// probability about `hypotheses / 2^32`.
    pub hypotheses: u64,
    pub note: Option<String>,
    /// Set for unknown certificates in plain mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unknown: Option<UnknownCertKey>,
}

impl Identification {
    /// The grouping key of an unknown certificate (plain mode only).
    pub fn unknown_key(&self) -> Option<UnknownCertKey> {
        self.unknown
    }

    /// Identified by a single-hypothesis check (plain or chained, no search).
    pub fn is_exact(&self) -> bool {
        self.cert.is_some()
            && !self.ambiguous
            && matches!(
                self.identified_by,
                Some(IdentifiedBy::PlainCrc | IdentifiedBy::ChainedCrc)
            )
    }
}

/// The `cert` object of a request record (issue 4 output): identity plus
/// how it was verified. Holds the catalog entry itself (no copies per
/// request); serializes as `thumbprint_sha1`, `subject`, `issuer`, `serial`,
/// `not_before`, `not_after`, `identified_by`, `search_depth`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertRecord {
    pub cert: Arc<CertInfo>,
    pub identified_by: IdentifiedBy,
    pub search_depth: u32,
}

impl Serialize for CertRecord {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let c = &self.cert;
        let mut st = s.serialize_struct("CertRecord", 8)?;
        st.serialize_field("thumbprint_sha1", &c.thumbprint_sha1)?;
        st.serialize_field("subject", &c.subject)?;
        st.serialize_field("issuer", &c.issuer)?;
        st.serialize_field("serial", &c.serial)?;
        st.serialize_field("not_before", &c.not_before)?;
        st.serialize_field("not_after", &c.not_after)?;
        st.serialize_field("identified_by", &self.identified_by)?;
        st.serialize_field("search_depth", &self.search_depth)?;
        st.end()
    }
}

impl Identification {
    /// The request record's `cert` object; `None` (JSON `null`) when the
    /// certificate is unknown or ambiguous.
    pub fn record(&self) -> Option<CertRecord> {
        let c = self.cert.as_ref()?;
        Some(CertRecord {
            cert: c.clone(),
            identified_by: self.identified_by?,
            search_depth: self.search_depth,
        })
    }
}

/// Tuning of [`ChainDecoder`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecoderConfig {
    /// `--crc-mode`; `Auto` detects per instance.
    pub mode: CrcMode,
    /// At most this many certificates hashed by missing requests are
    /// searched for.
    pub max_depth: u32,
    /// A search is not extended to hypotheses whose coincidental match
    /// probability (hypotheses / 2^32) would exceed this.
    pub max_false_match: f64,
    /// How many previous logged values are tried as the state when the
    /// last one explains nothing (out-of-order lines).
    pub recent_states: usize,
    /// With nothing missing, also try one certificate hashed before this
    /// one (a line printed later or lost without trace).
    pub reorder_search: bool,
    /// The reorder search costs one probe per distinct catalog (size, CRC)
    /// for every value that nothing else explains (each unknown
    /// certificate); it is skipped for catalogs with more distinct keys.
    pub reorder_max_keys: usize,
    /// Write each identification's `note` (an explanation for people). The
    /// correlator shows none and turns them off: they cost a formatted
    /// string per `cert crc` line.
    pub notes: bool,
}

impl Default for DecoderConfig {
    fn default() -> Self {
        DecoderConfig {
            mode: CrcMode::Auto,
            max_depth: 3,
            max_false_match: 1e-4,
            recent_states: 4,
            reorder_search: true,
            reorder_max_keys: 2_000,
            notes: true,
        }
    }
}

impl DecoderConfig {
    fn hypothesis_budget(&self) -> u64 {
        (self.max_false_match * 4_294_967_296.0).max(1.0) as u64
    }
}

/// Evidence for plain vs chained CRC in one instance.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ModeEvidence {
    /// Values that are a catalog certificate's plain CRC-32 but do not
    /// continue the previous value.
    pub plain: u64,
    /// Values that continue the previous value (directly or by search) but
    /// are no catalog certificate's plain CRC-32.
    pub chained: u64,
    /// The same (size, value) logged again later in the instance: equal
    /// certificates give equal values only in plain builds.
    pub repeats: u64,
    /// Values that say nothing (first value, unknown certificates).
    pub neutral: u64,
}

/// A late identification of an earlier observation
/// ([`ChainDecoder::take_revisions`]).
#[derive(Debug, Clone, Serialize)]
pub struct Revision {
    pub cnt: u64,
    pub logged_crc: u32,
    pub identification: Identification,
}

/// What [`ChainDecoder::summary`] reports for one instance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecoderSummary {
    pub configured_mode: CrcMode,
    /// `auto` means undetermined.
    pub detected_mode: CrcMode,
    pub effective_mode: CrcMode,
    pub explanation: String,
    pub observations: u64,
    pub identified: u64,
    pub evidence: ModeEvidence,
}

/// One slot of a search pattern: a certificate hashed in between.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// A request known to have hashed a certificate (its `cert crc` line
    /// lost); its size when logged.
    Known(Option<u32>),
    /// A missing request that hashed a certificate of any size.
    Any,
}

struct Solution {
    finals: Vec<u32>,
    path: Vec<(u32, u32)>,
    alt_state: bool,
}

/// The states from which one final catalog certificate explains the logged
/// value `logged`: `unshift_n(logged ^ crc)` per candidate (size n, crc).
enum Targets<'a> {
    /// The size is known: its class's table of `unshift_n(crc)`, probed
    /// with `state ^ unshift_n(logged)` (see [`SizeClass::finals`]).
    Class {
        finals: &'a FinalStates,
        offset: u32,
    },
    /// The size line was lost: every class, in a table made for this value.
    Merged(FinalStates),
}

impl<'a> Targets<'a> {
    fn new(cat: &'a Catalog, size: Option<u32>, logged: u32) -> Targets<'a> {
        match size {
            Some(n) => match cat.class(n) {
                Some(c) => Targets::Class {
                    finals: c.finals(cat),
                    offset: c.unshift.apply(logged),
                },
                None => Targets::Merged(FinalStates::default()),
            },
            None => Targets::Merged(Self::merged(cat, cat.classes(), logged)),
        }
    }

    /// The (state, catalog index) pairs of `classes` for `logged`.
    fn merged(cat: &Catalog, classes: &[SizeClass], logged: u32) -> FinalStates {
        let mut pairs = Vec::new();
        for c in classes {
            for &crc in &c.crcs {
                let st = c.unshift.apply(logged ^ crc);
                pairs.extend(cat.indices(c.size, crc).iter().map(|&idx| (st, idx)));
            }
        }
        FinalStates::new(pairs)
    }

    /// The candidates (their catalog index is `.1`) that, hashed last from
    /// `state`, log the value.
    #[inline]
    fn find(&self, state: u32) -> &[(u32, u32)] {
        match self {
            Targets::Class { finals, offset } => finals.find(state ^ offset),
            Targets::Merged(finals) => finals.find(state),
        }
    }
}

struct Dfs<'a> {
    cat: &'a Catalog,
    targets: Targets<'a>,
    path: Vec<(u32, u32)>,
    solutions: Vec<Solution>,
    alt_state: bool,
}

const MAX_SOLUTIONS: usize = 64;

impl Dfs<'_> {
    fn leaf(&mut self, state: u32) {
        let hits = self.targets.find(state);
        if !hits.is_empty() {
            let finals = hits.iter().map(|p| p.1).collect();
            self.solutions.push(Solution {
                finals,
                path: self.path.clone(),
                alt_state: self.alt_state,
            });
        }
    }

    fn step(&mut self, class: &SizeClass, state: u32, rest: &[Slot]) {
        let sh = class.shift.apply(state);
        if rest.is_empty() {
            // innermost level: one filter probe per candidate
            for &crc in &class.crcs {
                let s = sh ^ crc;
                if !self.targets.find(s).is_empty() && self.solutions.len() < MAX_SOLUTIONS {
                    self.path.push((class.size, crc));
                    self.leaf(s);
                    self.path.pop();
                }
            }
        } else {
            for &crc in &class.crcs {
                self.path.push((class.size, crc));
                self.run(sh ^ crc, rest);
                self.path.pop();
            }
        }
    }

    fn run(&mut self, state: u32, slots: &[Slot]) {
        if self.solutions.len() >= MAX_SOLUTIONS {
            return;
        }
        let cat = self.cat;
        let Some((first, rest)) = slots.split_first() else {
            self.leaf(state);
            return;
        };
        match *first {
            Slot::Known(Some(n)) => {
                if let Some(class) = cat.class(n) {
                    self.step(class, state, rest);
                }
            }
            Slot::Known(None) | Slot::Any => {
                for class in cat.classes() {
                    self.step(class, state, rest);
                }
            }
        }
    }
}

/// Catalog certificates whose chained value from `state` is `logged`.
fn chained_hits(cat: &Catalog, state: u32, size: Option<u32>, logged: u32) -> Cow<'_, [u32]> {
    match size {
        Some(n) => match cat.class(n) {
            Some(c) => Cow::Borrowed(cat.indices(n, logged ^ c.shift.apply(state))),
            None => Cow::Borrowed(&[]),
        },
        None => Cow::Owned(
            cat.classes()
                .iter()
                .flat_map(|c| cat.indices(c.size, logged ^ c.shift.apply(state)))
                .copied()
                .collect(),
        ),
    }
}

fn plain_hits(cat: &Catalog, size: Option<u32>, logged: u32) -> Cow<'_, [u32]> {
    match size {
        Some(n) => Cow::Borrowed(cat.indices(n, logged)),
        None => Cow::Owned(
            cat.classes()
                .iter()
                .flat_map(|c| cat.indices(c.size, logged))
                .copied()
                .collect(),
        ),
    }
}

/// All orders of `known` (kept in order) with `extras` [`Slot::Any`]
/// inserted anywhere.
fn patterns(known: &[Option<u32>], extras: usize) -> Vec<Vec<Slot>> {
    fn go(known: &[Option<u32>], extras: usize, cur: &mut Vec<Slot>, out: &mut Vec<Vec<Slot>>) {
        if known.is_empty() && extras == 0 {
            out.push(cur.clone());
            return;
        }
        if let Some((k, rest)) = known.split_first() {
            cur.push(Slot::Known(*k));
            go(rest, extras, cur, out);
            cur.pop();
        }
        if extras > 0 {
            cur.push(Slot::Any);
            go(known, extras - 1, cur, out);
            cur.pop();
        }
    }
    let mut out = Vec::new();
    go(known, extras, &mut Vec::new(), &mut out);
    out
}

/// Decodes the `cert crc` values of one worker-process instance, fed in
/// capture order.
pub struct ChainDecoder {
    catalog: Arc<Catalog>,
    cfg: DecoderConfig,
    last: Option<u32>,
    recent: VecDeque<u32>,
    pending_unknown: u32,
    pending_certs: Vec<Option<u32>>,
    evidence: ModeEvidence,
    seen: FxHashSet<u64>,
    observations: u64,
    identified: u64,
    /// Recent observations nothing explained (not ambiguous), for
    /// [`ChainDecoder::take_revisions`]: (obs, observations seen since).
    unresolved: VecDeque<(CertObservation, u32)>,
    revisions: Vec<Revision>,
}

impl fmt::Debug for ChainDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChainDecoder")
            .field("catalog_len", &self.catalog.len())
            .field("config", &self.cfg)
            .field("last", &self.last)
            .field("pending_unknown", &self.pending_unknown)
            .field("pending_certs", &self.pending_certs)
            .field("evidence", &self.evidence)
            .field("observations", &self.observations)
            .field("identified", &self.identified)
            .finish()
    }
}

const MAX_SEEN: usize = 1 << 16;
/// Unexplained observations kept for [`ChainDecoder::take_revisions`].
const REVISIT_WINDOW: usize = 4;
/// ... for at most this many following observations.
const REVISIT_AGE: u32 = 3;

impl ChainDecoder {
    pub fn new(catalog: Arc<Catalog>, config: DecoderConfig) -> Self {
        ChainDecoder {
            catalog,
            cfg: config,
            last: None,
            recent: VecDeque::new(),
            pending_unknown: 0,
            pending_certs: Vec::new(),
            evidence: ModeEvidence::default(),
            seen: HashSet::default(),
            observations: 0,
            identified: 0,
            unresolved: VecDeque::new(),
            revisions: Vec::new(),
        }
    }

    /// A decoder with the default configuration and the given mode.
    pub fn with_mode(catalog: Arc<Catalog>, mode: CrcMode) -> Self {
        Self::new(
            catalog,
            DecoderConfig {
                mode,
                ..DecoderConfig::default()
            },
        )
    }

    pub fn config(&self) -> &DecoderConfig {
        &self.cfg
    }

    /// A request of this instance hashed a certificate but its `cert crc`
    /// line was lost (its `cert size` line, if captured, gives `size`). Call
    /// in capture order, before the next [`observe`](Self::observe).
    pub fn note_missing_cert(&mut self, size: Option<u32>) {
        self.pending_certs.push(size);
    }

    /// Requests of this instance that are missing (may or may not have
    /// hashed a certificate), in addition to `preceded_by_gap` of the next
    /// observation.
    pub fn note_gap(&mut self, missing_requests: u32) {
        self.pending_unknown = self.pending_unknown.saturating_add(missing_requests);
    }

    pub fn evidence(&self) -> ModeEvidence {
        self.evidence
    }

    /// Number of observations fed so far, and how many got an identity.
    pub fn counts(&self) -> (u64, u64) {
        (self.observations, self.identified)
    }

    /// The mode the evidence shows: `Plain`, `Chained`, or `Auto` when there
    /// is no or conflicting evidence.
    pub fn detected_mode(&self) -> CrcMode {
        let p = self.evidence.plain + self.evidence.repeats;
        let c = self.evidence.chained;
        match (p, c) {
            (0, 0) => CrcMode::Auto,
            (_, 0) => CrcMode::Plain,
            (0, _) => CrcMode::Chained,
            (p, c) if c >= 3 * p => CrcMode::Chained,
            (p, c) if p >= 3 * c => CrcMode::Plain,
            _ => CrcMode::Auto,
        }
    }

    /// The mode used for decoding: the configured one, or the detected one.
    pub fn effective_mode(&self) -> CrcMode {
        match self.cfg.mode {
            CrcMode::Auto => self.detected_mode(),
            m => m,
        }
    }

    /// One sentence for the instance summary: which CRC the instance shows
    /// and why.
    pub fn mode_explanation(&self) -> String {
        let e = self.evidence;
        let p = e.plain + e.repeats;
        let detail = format!(
            "{} value(s) continue the previous value as a chained CRC, {} are plain CRC-32 of catalog certificates only, {} repeat an earlier (size, value), {} tell nothing",
            e.chained, e.plain, e.repeats, e.neutral
        );
        let detected = self.detected_mode();
        let what = match detected {
            CrcMode::Chained => {
                "chained CRC (shipped module: CRC register never reset)".to_string()
            }
            CrcMode::Plain => "plain CRC-32 (corrected module build)".to_string(),
            CrcMode::Auto if p == 0 && e.chained == 0 => {
                "undetermined: no value matched a catalog certificate either way".to_string()
            }
            CrcMode::Auto => "undetermined: conflicting evidence".to_string(),
        };
        let mut s = format!("{what}; {detail}");
        if self.cfg.mode != CrcMode::Auto {
            s = format!(
                "--crc-mode {} set; the values look like: {s}",
                self.cfg.mode
            );
            if detected != CrcMode::Auto && detected != self.cfg.mode {
                s.push_str(" (the override contradicts the evidence)");
            }
        }
        s
    }

    /// The per-instance summary: which CRC the instance shows and why.
    pub fn summary(&self) -> DecoderSummary {
        DecoderSummary {
            configured_mode: self.cfg.mode,
            detected_mode: self.detected_mode(),
            effective_mode: self.effective_mode(),
            explanation: self.mode_explanation(),
            observations: self.observations,
            identified: self.identified,
            evidence: self.evidence,
        }
    }

    /// Whether a catalog certificate of `size` bytes explains `logged_crc`
    /// directly (no search), without changing the decoder: for the
    /// correlator to decide which of several open requests (with different
    /// `cert size` lines) a `cert crc` line belongs to. Uses the effective
    /// mode; when undecided, either a plain or a chained match counts.
    pub fn explains(&self, size: u32, logged_crc: u32) -> bool {
        let cat = self.catalog.as_ref();
        let plain = || !cat.indices(size, logged_crc).is_empty();
        let chained = || match self.last {
            None => plain(),
            Some(state) => !chained_hits(cat, state, Some(size), logged_crc).is_empty(),
        };
        match self.effective_mode() {
            CrcMode::Plain => plain(),
            CrcMode::Chained => chained(),
            CrcMode::Auto => chained() || plain(),
        }
    }

    /// Identifies the certificate of one `cert crc` line. Call in capture
    /// order for every `cert crc` line of the instance.
    pub fn observe(&mut self, obs: CertObservation) -> Identification {
        if self.catalog.is_empty() && !self.cfg.notes {
            return self.observe_without_catalog(obs);
        }
        let cat = Arc::clone(&self.catalog);
        let cat = cat.as_ref();
        let gap = obs.preceded_by_gap.saturating_add(self.pending_unknown);
        let pending_certs = std::mem::take(&mut self.pending_certs);
        self.pending_unknown = 0;
        let at_start = self.last.is_none();
        let state = self.last.unwrap_or(0);
        let plain = plain_hits(cat, obs.size, obs.logged_crc);
        // depth 0: none of the missing requests hashed a certificate
        let chained0 = if at_start || !pending_certs.is_empty() {
            Cow::Borrowed(&[][..])
        } else {
            chained_hits(cat, state, obs.size, obs.logged_crc)
        };
        let look = Lookup {
            obs,
            gap,
            pending_certs,
            at_start,
            state,
            plain,
            chained0,
        };
        let key = catalog::key(obs.size.unwrap_or(0), obs.logged_crc);
        let repeat = obs.size.is_some() && self.seen.contains(&key);
        let hypotheses = match obs.size {
            Some(n) => cat.count_of_size(n) as u64,
            None => cat.len() as u64,
        };
        let mut id = Identification {
            hypotheses,
            ..Identification::default()
        };

        let eff = self.effective_mode();
        let search_evidence = match eff {
            CrcMode::Plain => {
                self.resolve(&mut id, cat, &look.plain, IdentifiedBy::PlainCrc);
                self.note_plain_unknown(&mut id, obs);
                false
            }
            CrcMode::Chained | CrcMode::Auto => self.identify_chained(&mut id, cat, &look, eff),
        };
        self.count_evidence(&look, repeat, search_evidence);

        // an earlier unexplained value may continue this one (its line was
        // printed before this one although it hashed after it)
        if eff != CrcMode::Plain && !self.unresolved.is_empty() {
            self.revisit(cat, obs.logged_crc);
        }
        if id.cert.is_none() && !id.ambiguous && eff != CrcMode::Plain && obs.size.is_some() {
            self.unresolved.push_back((obs, 0));
            if self.unresolved.len() > REVISIT_WINDOW {
                self.unresolved.pop_front();
            }
        }

        self.take_as_state(obs, key);
        if id.cert.is_some() {
            self.identified += 1;
        }
        if !self.cfg.notes {
            id.note = None;
        }
        id
    }

    /// Chained or undecided mode: the value continues the previous one
    /// (depth 0), is a plain CRC-32, or a search finds the certificates
    /// hashed in between. Returns whether a search explained it.
    fn identify_chained(
        &self,
        id: &mut Identification,
        cat: &Catalog,
        look: &Lookup,
        eff: CrcMode,
    ) -> bool {
        let (plain, chained0) = (&look.plain, &look.chained0);
        let both_same = !plain.is_empty() && plain == chained0;
        let mut search_evidence = false;
        if look.at_start && !plain.is_empty() && look.pending_certs.is_empty() {
            // process start: the chained value is the plain CRC-32
            self.resolve(id, cat, plain, IdentifiedBy::PlainCrc);
        } else if !chained0.is_empty() && (plain.is_empty() || both_same || eff == CrcMode::Chained)
        {
            self.resolve(id, cat, chained0, IdentifiedBy::ChainedCrc);
        } else if !chained0.is_empty() {
            // undecided mode, both lookups hit different certificates
            let mut all = chained0.to_vec();
            all.extend_from_slice(plain);
            all.sort_unstable();
            all.dedup();
            id.ambiguous = true;
            id.candidates = all
                .iter()
                .take(8)
                .map(|&i| cat.cert(i).thumbprint_sha1.clone())
                .collect();
            id.note = Some("the value is a catalog certificate's plain CRC-32 and also continues the previous value with another one; the build type is not yet known".into());
        } else if !plain.is_empty() && eff == CrcMode::Auto {
            self.resolve(id, cat, plain, IdentifiedBy::PlainCrc);
        } else {
            // chained search (missing certificates, out-of-order lines)
            let out = self.search(cat, look.obs, look.gap, &look.pending_certs);
            id.hypotheses += out.hypotheses;
            if !out.solutions.is_empty() {
                search_evidence = true;
                self.resolve_search(id, cat, &out);
            } else if !plain.is_empty() {
                // chained mode: a plain CRC-32 that does not continue
                self.resolve(id, cat, plain, IdentifiedBy::PlainCrc);
                id.note = Some(format!(
                    "the value is this certificate's plain CRC-32 and does not continue the previous value ({:08x}): a new worker process (recycle) or a corrected build?",
                    look.state
                ));
            } else if self.cfg.notes {
                id.note = Some(self.unexplained_note(cat, look, &out, eff));
            }
        }
        if self.cfg.notes
            && id.note.is_none()
            && id.cert.is_some()
            && !look.nothing_missing()
            && id.search_depth == 0
        {
            id.note = Some(format!(
                "{}: none of them hashed a certificate",
                look.describe_gap()
            ));
        }
        search_evidence
    }

    /// Why a chained value was not decoded.
    fn unexplained_note(
        &self,
        cat: &Catalog,
        look: &Lookup,
        out: &SearchOutcome,
        eff: CrcMode,
    ) -> String {
        let mut note = match look.obs.size {
            Some(n) if cat.count_of_size(n) == 0 => {
                format!("unknown certificate: no catalog certificate has {n} bytes")
            }
            _ if !look.nothing_missing() => format!(
                "not decoded: {}; no catalog certificate explains the value after {} hashed in between (searched {} hypotheses{})",
                look.describe_gap(),
                match out.max_depth_tried {
                    Some(d) => format!("up to {d} certificate(s)"),
                    None => "any certificates".to_string(),
                },
                out.hypotheses,
                out.stopped
                    .as_deref()
                    .map(|s| format!("; {s}"))
                    .unwrap_or_default()
            ),
            _ => "unknown certificate: no catalog certificate continues the previous value"
                .to_string(),
        };
        if eff == CrcMode::Chained {
            note.push_str("; ");
            note.push_str(CHAINED_UNKNOWN_EXPLANATION);
        }
        note
    }

    /// Plain mode: a value no catalog certificate has is grouped by its
    /// (size, CRC-32).
    fn note_plain_unknown(&self, id: &mut Identification, obs: CertObservation) {
        if id.cert.is_some() || id.ambiguous {
            return;
        }
        if let Some(n) = obs.size {
            id.unknown = Some(UnknownCertKey {
                size: n,
                crc32: obs.logged_crc,
            });
        }
        if self.cfg.notes && id.note.is_none() {
            id.note =
                Some("unknown certificate: no catalog certificate has this size and CRC-32".into());
        }
    }

    /// What this value says about the build type (independent of the mode
    /// used to identify it).
    fn count_evidence(&mut self, look: &Lookup, repeat: bool, search_evidence: bool) {
        let informative = !look.at_start;
        let (plain, chained0) = (!look.plain.is_empty(), !look.chained0.is_empty());
        if repeat && !look.at_start {
            self.evidence.repeats += 1;
        } else if search_evidence {
            self.evidence.chained += 1;
        } else if informative && plain && !chained0 {
            self.evidence.plain += 1;
        } else if informative && !plain && chained0 {
            self.evidence.chained += 1;
        } else {
            self.evidence.neutral += 1;
        }
    }

    /// [`observe`](Self::observe) with an empty catalog and no notes: no
    /// value can be explained, so only the mode evidence and the state
    /// change, as the full path would change them. (Its queue of values to
    /// revisit is skipped: with no certificate to find it is never read.)
    fn observe_without_catalog(&mut self, obs: CertObservation) -> Identification {
        self.pending_certs.clear();
        self.pending_unknown = 0;
        let at_start = self.last.is_none();
        let eff = self.effective_mode();
        let key = catalog::key(obs.size.unwrap_or(0), obs.logged_crc);
        if obs.size.is_some() && self.seen.contains(&key) && !at_start {
            self.evidence.repeats += 1;
        } else {
            self.evidence.neutral += 1;
        }
        let mut id = Identification::default();
        if eff == CrcMode::Plain {
            id.unknown = obs.size.map(|size| UnknownCertKey {
                size,
                crc32: obs.logged_crc,
            });
        }
        self.take_as_state(obs, key);
        id
    }

    /// The logged value becomes the chain's state.
    fn take_as_state(&mut self, obs: CertObservation, key: u64) {
        self.last = Some(obs.logged_crc);
        self.recent.push_front(obs.logged_crc);
        self.recent.truncate(self.cfg.recent_states.max(1));
        if obs.size.is_some() && self.seen.len() < MAX_SEEN {
            self.seen.insert(key);
        }
        self.observations += 1;
    }

    /// Checks the recent unexplained observations against the state `v`
    /// just logged: one hypothesis each.
    fn revisit(&mut self, cat: &Catalog, v: u32) {
        // In place: this runs for every `cert crc` line.
        let mut queue = std::mem::take(&mut self.unresolved);
        queue.retain_mut(|(o, age)| {
            let hits = chained_hits(cat, v, o.size, o.logged_crc);
            let mut uniq = hits.to_vec();
            uniq.sort_unstable();
            uniq.dedup();
            let tested = u64::from(*age + 1) * o.size.map_or(0, |n| cat.count_of_size(n) as u64);
            if uniq.len() == 1 {
                let c = Arc::clone(cat.cert(uniq[0]));
                self.identified += 1;
                self.evidence.chained += 1;
                self.revisions.push(Revision {
                    cnt: o.cnt,
                    logged_crc: o.logged_crc,
                    identification: Identification {
                        note: Some(format!(
                            "decoded later: it continues the value {v:08x} logged after it (lines out of order); {tested} hypotheses tested"
                        )),
                        cert: Some(c),
                        identified_by: Some(IdentifiedBy::ChainedCrcSearch),
                        search_depth: 0,
                        ambiguous: false,
                        candidates: Vec::new(),
                        hypotheses: tested,
                        unknown: None,
                    },
                });
                false
            } else {
                *age += 1;
                *age < REVISIT_AGE
            }
        });
        self.unresolved = queue;
    }

    /// Identifications found after the fact: an observation nothing
    /// explained when it was fed turned out to continue a value logged
    /// after it (two requests printed their `cert crc` lines in the
    /// opposite order of hashing). Each names the earlier observation by
    /// its `cnt` and logged value; the correlator replaces that request's
    /// identification. Call after [`observe`](Self::observe).
    pub fn take_revisions(&mut self) -> Vec<Revision> {
        std::mem::take(&mut self.revisions)
    }

    fn resolve(&self, id: &mut Identification, cat: &Catalog, hits: &[u32], by: IdentifiedBy) {
        // The common case, one certificate (perhaps found more than once),
        // without a list.
        if let Some(&one) = hits.first()
            && hits.iter().all(|&h| h == one)
        {
            id.cert = Some(Arc::clone(cat.cert(one)));
            id.identified_by = Some(by);
            return;
        }
        let mut uniq: Vec<u32> = hits.to_vec();
        uniq.sort_unstable();
        uniq.dedup();
        match uniq.len() {
            0 => {}
            1 => {
                id.cert = Some(Arc::clone(cat.cert(uniq[0])));
                id.identified_by = Some(by);
            }
            _ => {
                id.ambiguous = true;
                id.candidates = uniq
                    .iter()
                    .take(8)
                    .map(|&i| cat.cert(i).thumbprint_sha1.clone())
                    .collect();
                id.note = Some(format!(
                    "{} catalog certificates have the same size and CRC-32",
                    uniq.len()
                ));
            }
        }
    }

    fn resolve_search(&self, id: &mut Identification, cat: &Catalog, out: &SearchOutcome) {
        let finals: BTreeSet<u32> = out
            .solutions
            .iter()
            .flat_map(|s| s.finals.iter().copied())
            .collect();
        id.search_depth = out.depth;
        if finals.len() == 1 {
            let f = *finals.iter().next().expect("one");
            id.cert = Some(Arc::clone(cat.cert(f)));
            id.identified_by = Some(IdentifiedBy::ChainedCrcSearch);
            let paths: BTreeSet<&Vec<(u32, u32)>> = out.solutions.iter().map(|s| &s.path).collect();
            let alt = out.solutions.iter().all(|s| s.alt_state);
            let mut note = if alt {
                "decoded from an earlier logged value of the instance (lines out of order)"
                    .to_string()
            } else {
                format!(
                    "explained by {} certificate(s) hashed in between",
                    out.depth
                )
            };
            if out.depth > 0 {
                if paths.len() == 1 {
                    let names: Vec<String> = paths
                        .iter()
                        .next()
                        .expect("one")
                        .iter()
                        .map(|&(n, c)| match cat.indices(n, c) {
                            [one] => cat.cert(*one).display_name().to_string(),
                            more => format!("one of {} certificates of {n} bytes", more.len()),
                        })
                        .collect();
                    note.push_str(&format!(": {}", names.join(", ")));
                } else {
                    note.push_str(&format!(
                        " ({} different sequences explain it; this certificate is the same in all)",
                        paths.len()
                    ));
                }
            }
            note.push_str(&format!(
                "; {} hypotheses tested (chance of a coincidental match about {:.0e})",
                out.hypotheses,
                out.hypotheses as f64 / 4_294_967_296.0
            ));
            id.note = Some(note);
        } else {
            id.ambiguous = true;
            id.candidates = finals
                .iter()
                .take(8)
                .map(|&i| cat.cert(i).thumbprint_sha1.clone())
                .collect();
            id.note = Some(format!(
                "ambiguous: {} catalog certificates explain the value with {} certificate(s) hashed in between",
                finals.len(),
                out.depth
            ));
        }
    }

    fn search(
        &self,
        cat: &Catalog,
        obs: CertObservation,
        gap: u32,
        pending_certs: &[Option<u32>],
    ) -> SearchOutcome {
        let mut out = SearchOutcome::default();
        let final_count = match obs.size {
            Some(n) => cat.count_of_size(n) as u64,
            None => cat.len() as u64,
        };
        if final_count == 0 {
            return out;
        }
        let budget = self.cfg.hypothesis_budget();
        let primary = self.last.unwrap_or(0);
        let alts: Vec<u32> = if self.last.is_some() {
            let mut v: Vec<u32> = Vec::new();
            for &s in self.recent.iter().skip(1) {
                if s != primary && !v.contains(&s) {
                    v.push(s);
                }
            }
            v
        } else {
            Vec::new()
        };
        let nothing_missing = gap == 0 && pending_certs.is_empty();
        let extras_max = if nothing_missing {
            u32::from(
                self.cfg.reorder_search
                    && self.last.is_some()
                    && cat.distinct_keys() <= self.cfg.reorder_max_keys,
            )
        } else {
            gap
        } as usize;
        let n_keys = cat.distinct_keys() as u64;
        let mut dfs = Dfs {
            cat,
            targets: Targets::new(cat, obs.size, obs.logged_crc),
            path: Vec::new(),
            solutions: Vec::new(),
            alt_state: false,
        };
        // depth 0 from earlier logged values (out-of-order lines)
        if pending_certs.is_empty() && !alts.is_empty() {
            let h = alts.len() as u64 * final_count;
            out.hypotheses += h;
            dfs.alt_state = true;
            for &s in &alts {
                dfs.run(s, &[]);
            }
            dfs.alt_state = false;
            if !dfs.solutions.is_empty() {
                out.depth = 0;
                out.max_depth_tried = Some(0);
                out.solutions = dfs.solutions;
                return out;
            }
        }
        for k in 0..=self.cfg.max_depth as usize {
            let Some(extras) = k.checked_sub(pending_certs.len()) else {
                continue;
            };
            if extras > extras_max {
                break;
            }
            if k == 0 {
                // depth 0 from the last value was the caller's direct check
                out.max_depth_tried = Some(0);
                continue;
            }
            let pats = patterns(pending_certs, extras);
            let mut h: u64 = 0;
            for p in &pats {
                let mut prod = final_count;
                for s in p {
                    let c = match s {
                        Slot::Known(Some(n)) => {
                            cat.class(*n).map(|c| c.crcs.len() as u64).unwrap_or(0)
                        }
                        _ => n_keys,
                    };
                    prod = prod.saturating_mul(c);
                }
                h = h.saturating_add(prod);
            }
            if out.hypotheses.saturating_add(h) > budget {
                out.stopped = Some(format!(
                    "not searched for {k} certificate(s) in between: {h} more hypotheses would make a coincidental match too likely (p > {:e})",
                    self.cfg.max_false_match
                ));
                break;
            }
            out.hypotheses += h;
            for p in &pats {
                dfs.run(primary, p);
            }
            out.max_depth_tried = Some(k as u32);
            if !dfs.solutions.is_empty() {
                out.depth = k as u32;
                out.solutions = dfs.solutions;
                return out;
            }
        }
        out
    }
}

/// One `cert crc` value and what the catalog lookups found for it.
struct Lookup<'a> {
    obs: CertObservation,
    /// Requests missing before it (gaps, and lost `cert crc` lines).
    gap: u32,
    /// Sizes (when logged) of earlier requests whose `cert crc` line was
    /// lost.
    pending_certs: Vec<Option<u32>>,
    /// The instance's first value (no previous state).
    at_start: bool,
    /// The previous value: the CRC register's state.
    state: u32,
    /// Catalog certificates whose plain CRC-32 is the value.
    plain: Cow<'a, [u32]>,
    /// Catalog certificates that continue the previous value.
    chained0: Cow<'a, [u32]>,
}

impl Lookup<'_> {
    fn nothing_missing(&self) -> bool {
        self.gap == 0 && self.pending_certs.is_empty()
    }

    fn describe_gap(&self) -> String {
        match (self.gap, self.pending_certs.len()) {
            (0, 0) => String::new(),
            (g, 0) => format!("{g} request(s) missing before it"),
            (0, p) => format!("{p} request(s) before it lost their cert crc line"),
            (g, p) => {
                format!("{g} request(s) missing and {p} with a lost cert crc line before it")
            }
        }
    }
}

#[derive(Default)]
struct SearchOutcome {
    solutions: Vec<Solution>,
    depth: u32,
    hypotheses: u64,
    max_depth_tried: Option<u32>,
    stopped: Option<String>,
}

// ---------------------------------------------------------------------------
// warnings

fn utc(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A warning when the certificate was expired or not yet valid at `at`.
pub fn validity_warning(cert: &CertInfo, at: DateTime<Utc>) -> Option<String> {
    let t = at.timestamp();
    if t < cert.not_before_ts {
        Some(format!(
            "certificate {} was not yet valid at {} (valid from {})",
            cert.display_name(),
            utc(at),
            cert.not_before
        ))
    } else if t > cert.not_after_ts {
        Some(format!(
            "certificate {} had expired at {} (valid until {})",
            cert.display_name(),
            utc(at),
            cert.not_after
        ))
    } else {
        None
    }
}

/// A warning when the certificate is not usable for client authentication
/// (it has an EKU extension without clientAuth / anyExtendedKeyUsage).
pub fn eku_warning(cert: &CertInfo) -> Option<String> {
    cert.eku_warning
        .get_or_init(|| {
            (!cert.client_auth).then(|| {
                format!(
                    "certificate {} lacks the client-auth EKU (EKU: {})",
                    cert.display_name(),
                    if cert.ekus.is_empty() {
                        "none".to_string()
                    } else {
                        cert.ekus.join(", ")
                    }
                )
            })
        })
        .clone()
}

// ---------------------------------------------------------------------------
// per-certificate summary

/// At most this many distinct URIs are kept per certificate.
pub const MAX_SUMMARY_URIS: usize = 20;

/// One request that presented a certificate, for [`CertSummaryBuilder`].
#[derive(Debug, Clone, Copy, Default)]
pub struct CertSighting<'a> {
    /// The request's time.
    pub time: Option<EventTime>,
    /// The request's time as a clock time, when the capture has one (for
    /// validity warnings).
    pub at: Option<DateTime<Utc>>,
    pub pid: Option<u32>,
    pub uri: Option<&'a str>,
    pub outcome: Outcome,
}

/// One row of the per-certificate summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CertSummary {
    /// The certificate; `None` for an unknown-certificate group.
    #[serde(serialize_with = "ser_opt_cert")]
    pub cert: Option<Arc<CertInfo>>,
    /// Plain mode: the (size, CRC) of an unknown certificate.
    pub unknown: Option<UnknownCertKey>,
    /// Chained mode: unknown certificates of this size (not one
    /// certificate, see `note`).
    pub unknown_size: Option<u32>,
    pub requests: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub pids: Vec<u32>,
    /// The first distinct URIs (at most [`MAX_SUMMARY_URIS`]).
    pub uris: Vec<String>,
    /// More distinct URIs were seen than kept.
    pub uris_truncated: bool,
    pub outcomes: BTreeMap<String, u64>,
    pub identified_by: BTreeMap<String, u64>,
    /// Requests made while the certificate was expired / not yet valid.
    pub expired_requests: u64,
    pub not_yet_valid_requests: u64,
    pub warnings: Vec<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum SummaryKey {
    Cert(String),
    Unknown(UnknownCertKey),
    UnknownChained(Option<u32>),
}

/// Aggregates identified requests per distinct certificate. Feed requests in
/// capture order.
#[derive(Debug, Default)]
pub struct CertSummaryBuilder {
    /// The rows' text parts, filled in by [`CertSummaryBuilder::build`].
    rows: Vec<CertSummary>,
    /// Per row, what every request updates.
    tallies: Vec<Tally>,
    /// Rows of unknown-certificate groups.
    index: FxHashMap<SummaryKey, usize>,
    /// Rows of identified certificates (looked up without allocating).
    by_thumbprint: FxHashMap<String, usize>,
    /// The same rows by the address of the catalog entry that started
    /// them (a catalog holds each certificate once, and the row keeps
    /// that entry alive, so the address stays its own): no 40-byte key
    /// hashed and compared per request.
    by_entry: FxHashMap<usize, usize>,
}

/// What each request adds to its row, kept together: a row is found and
/// updated once per request, among thousands.
#[derive(Debug, Default)]
struct Tally {
    requests: u64,
    /// The times of the earliest and latest requests (by time, not by
    /// arrival: live input releases requests in completion order).
    first: Option<EventTime>,
    last: Option<EventTime>,
    outcomes: OutcomeCounts,
    identified_by: [u64; IdentifiedBy::ALL.len()],
    /// The certificate's validity (UTC seconds), for the requests made
    /// outside it; `None` for unknown-certificate groups.
    validity: Option<(i64, i64)>,
    expired: u64,
    not_yet_valid: u64,
    /// Pids, sorted (a handful: looked up in place).
    pids: Vec<u32>,
    /// The hashes of the row's URIs, in the same order (a request's URI is
    /// compared as a number first, not with up to 20 strings).
    uri_hashes: Vec<u64>,
    /// The URI list is full and known to miss some: no search needed. (The
    /// row's `uris_truncated`, kept here too: the row itself is not read
    /// per request.)
    uris_closed: bool,
}

/// Whether `a` is earlier than `b` (times of different kinds cannot be
/// compared: never earlier, so the first one seen stays).
fn before(a: &EventTime, b: &EventTime) -> bool {
    a.kind() == b.kind() && a.sort_key() < b.sort_key()
}

impl CertSummaryBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one request with its identification. `size` is the request's
    /// `cert size` (used to group unknown certificates in chained mode).
    pub fn add(&mut self, ident: &Identification, size: Option<u32>, s: &CertSighting<'_>) {
        self.add_match(&CertMatch::from(ident), size, s);
    }

    /// [`CertSummaryBuilder::add`] with the summary's part of the
    /// identification.
    pub fn add_match(&mut self, ident: &CertMatch, size: Option<u32>, s: &CertSighting<'_>) {
        let i = self.row_of(ident, size);
        self.add_to_row(i, ident, s);
    }

    /// The row of a request with this identification (added when new),
    /// for [`CertSummaryBuilder::add_to_row`].
    pub fn row(&mut self, ident: &CertMatch, size: Option<u32>) -> usize {
        self.row_of(ident, size)
    }

    /// The row of this identification, added when it is new.
    fn row_of(&mut self, ident: &CertMatch, size: Option<u32>) -> usize {
        let found = match (&ident.cert, ident.unknown) {
            // By address, else (another entry with this thumbprint, not the
            // row's own) by thumbprint.
            (Some(c), _) => self
                .by_entry
                .get(&(Arc::as_ptr(c) as usize))
                .or_else(|| self.by_thumbprint.get(c.thumbprint_sha1.as_str()))
                .copied(),
            (None, Some(k)) => self.index.get(&SummaryKey::Unknown(k)).copied(),
            (None, None) => self.index.get(&SummaryKey::UnknownChained(size)).copied(),
        };
        if let Some(i) = found {
            return i;
        }
        let key = match (&ident.cert, ident.unknown) {
            (Some(c), _) => SummaryKey::Cert(c.thumbprint_sha1.clone()),
            (None, Some(k)) => SummaryKey::Unknown(k),
            (None, None) => SummaryKey::UnknownChained(size),
        };
        let note = match &key {
            SummaryKey::UnknownChained(_) => Some(format!(
                "unknown or undecoded certificates grouped by size only: {CHAINED_UNKNOWN_EXPLANATION}"
            )),
            _ => None,
        };
        let warnings = ident
            .cert
            .as_deref()
            .and_then(eku_warning)
            .into_iter()
            .collect();
        self.rows.push(CertSummary {
            cert: ident.cert.clone(),
            unknown: ident.unknown,
            unknown_size: match key {
                SummaryKey::UnknownChained(n) => n,
                _ => None,
            },
            requests: 0,
            first_seen: None,
            last_seen: None,
            pids: Vec::new(),
            uris: Vec::new(),
            uris_truncated: false,
            outcomes: BTreeMap::new(),
            identified_by: BTreeMap::new(),
            expired_requests: 0,
            not_yet_valid_requests: 0,
            warnings,
            note,
        });
        self.tallies.push(Tally {
            validity: ident
                .cert
                .as_ref()
                .map(|c| (c.not_before_ts, c.not_after_ts)),
            ..Tally::default()
        });
        let i = self.rows.len() - 1;
        match key {
            SummaryKey::Cert(t) => {
                self.by_thumbprint.insert(t, i);
                if let Some(c) = &ident.cert {
                    self.by_entry.insert(Arc::as_ptr(c) as usize, i);
                }
            }
            other => {
                self.index.insert(other, i);
            }
        }
        i
    }

    /// Adds one request to its row, from [`CertSummaryBuilder::row`].
    pub fn add_to_row(&mut self, i: usize, ident: &CertMatch, s: &CertSighting<'_>) {
        let t = &mut self.tallies[i];
        t.requests += 1;
        if let Some(time) = s.time {
            // Shown as text at the end: this runs once per request.
            if t.first.is_none_or(|f| before(&time, &f)) {
                t.first = Some(time);
            }
            if t.last.is_none_or(|l| !before(&time, &l)) {
                t.last = Some(time);
            }
        }
        if let Some(p) = s.pid
            && let Err(at) = t.pids.binary_search(&p)
        {
            t.pids.insert(at, p);
        }
        t.outcomes.add(s.outcome);
        if let Some(by) = ident.identified_by {
            t.identified_by[by.index()] += 1;
        }
        if let (Some((not_before, not_after)), Some(at)) = (t.validity, s.at) {
            let at = at.timestamp();
            if at < not_before {
                t.not_yet_valid += 1;
            } else if at > not_after {
                t.expired += 1;
            }
        }
        if let Some(u) = s.uri
            && !t.uris_closed
        {
            use std::hash::BuildHasher;
            let h = rustc_hash::FxBuildHasher.hash_one(u);
            let uris = &mut self.rows[i].uris;
            if !t
                .uri_hashes
                .iter()
                .zip(uris.iter())
                .any(|(&k, x)| k == h && x == u)
            {
                if uris.len() < MAX_SUMMARY_URIS {
                    uris.push(u.to_string());
                    t.uri_hashes.push(h);
                } else {
                    // A full list that is marked truncated needs no search.
                    self.rows[i].uris_truncated = true;
                    t.uris_closed = true;
                }
            }
        }
    }

    /// The rows: identified certificates by request count (descending),
    /// then unknown groups.
    pub fn build(self) -> Vec<CertSummary> {
        let mut rows: Vec<CertSummary> = self
            .rows
            .into_iter()
            .zip(self.tallies)
            .map(|(mut r, t)| {
                r.requests = t.requests;
                r.pids = t.pids;
                r.first_seen = t.first.map(|t| t.to_string());
                r.last_seen = t.last.map(|t| t.to_string());
                r.outcomes = t
                    .outcomes
                    .to_map()
                    .into_iter()
                    .map(|(k, n)| (k.to_string(), n))
                    .collect();
                r.identified_by = IdentifiedBy::ALL
                    .iter()
                    .filter(|by| t.identified_by[by.index()] > 0)
                    .map(|by| (by.as_str().to_string(), t.identified_by[by.index()]))
                    .collect();
                r.expired_requests = t.expired;
                r.not_yet_valid_requests = t.not_yet_valid;
                if let Some(c) = &r.cert {
                    if r.expired_requests > 0 {
                        r.warnings.push(format!(
                            "{} request(s) made while {} was expired (valid until {})",
                            r.expired_requests,
                            c.display_name(),
                            c.not_after
                        ));
                    }
                    if r.not_yet_valid_requests > 0 {
                        r.warnings.push(format!(
                            "{} request(s) made before {} was valid (valid from {})",
                            r.not_yet_valid_requests,
                            c.display_name(),
                            c.not_before
                        ));
                    }
                }
                r
            })
            .collect();
        rows.sort_by(|a, b| {
            a.cert
                .is_none()
                .cmp(&b.cert.is_none())
                .then(b.requests.cmp(&a.requests))
        });
        rows
    }
}

#[cfg(test)]
mod tests;
