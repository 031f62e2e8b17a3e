//! What certtrace reports: the records every renderer shows and the JSON
//! schema scripts rely on. Field names here are the stable interface
//! (`schema_version` below); add fields, never rename or remove them.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

use crate::certs::{CertMatch, CertRecord, CertSummary};
use crate::input::event::{EventTime, Origin, TimeKind};
use crate::parse::hresult::HResult;

/// Version of the JSON records. Bumped only when a field changes meaning or
/// disappears; new fields may appear in any version.
pub const SCHEMA_VERSION: u32 = 1;

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Plain HTTP: no client certificate possible.
    PlainHttp,
    /// A client certificate was presented (size and CRC logged).
    CertOk,
    /// HTTPS, but the client sent no certificate.
    NoCert,
    /// `GetClientCertificate` returned ERROR_NOT_FOUND or no certificate info.
    CertNotFound,
    /// `NegotiateClientCertificate` failed (snippet1 builds).
    NegotiateFailed,
    /// `GetClientCertificate` failed with another error.
    GetCertFailed,
    /// The request's last message is missing from the capture (and the
    /// state of a request until its last message comes).
    #[default]
    Incomplete,
}

impl Outcome {
    pub const ALL: [Outcome; 7] = [
        Outcome::PlainHttp,
        Outcome::CertOk,
        Outcome::NoCert,
        Outcome::CertNotFound,
        Outcome::NegotiateFailed,
        Outcome::GetCertFailed,
        Outcome::Incomplete,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::PlainHttp => "plain_http",
            Outcome::CertOk => "cert_ok",
            Outcome::NoCert => "no_cert",
            Outcome::CertNotFound => "cert_not_found",
            Outcome::NegotiateFailed => "negotiate_failed",
            Outcome::GetCertFailed => "get_cert_failed",
            Outcome::Incomplete => "incomplete",
        }
    }

    /// The outcome's place in [`Outcome::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Whether an operator should look at this request.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Outcome::CertNotFound | Outcome::NegotiateFailed | Outcome::GetCertFailed
        )
    }
}

impl std::str::FromStr for Outcome {
    type Err = String;
    fn from_str(s: &str) -> Result<Outcome, String> {
        Outcome::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
                format!("unknown outcome {s:?}; one of: {}", names.join(", "))
            })
    }
}

/// Whether a request's messages could only have been its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Assignment {
    /// By thread id, or the only request that could take each message.
    Exact,
    /// A best guess among concurrent requests of the same process, or near
    /// lost lines.
    Inferred,
}

impl Assignment {
    pub fn as_str(self) -> &'static str {
        match self {
            Assignment::Exact => "exact",
            Assignment::Inferred => "inferred",
        }
    }
}

/// Why a worker-process instance was recognised as new.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InstanceStart {
    /// First messages of this pid in the capture.
    FirstSeen,
    /// The module's `RegisterModule` lines: a worker process started.
    ModuleLoad,
    /// The request counter started again: a new process with a reused pid.
    CounterRestart,
}

impl InstanceStart {
    /// How people read it: `module loaded`, `request counter restarted`.
    pub fn describe(self) -> &'static str {
        match self {
            InstanceStart::FirstSeen => "first seen in the capture",
            InstanceStart::ModuleLoad => "module loaded",
            InstanceStart::CounterRestart => "request counter restarted",
        }
    }
}

/// A worker-process instance: a pid from one start to the next.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceId {
    pub host: Option<String>,
    pub pid: Option<u32>,
    /// 1-based: the n-th instance seen with this pid.
    pub ordinal: u32,
}

impl std::fmt::Display for InstanceId {
    /// `5120#1`, `?#1` without pid, `web01/5120#2` with a host.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(h) = &self.host {
            write!(f, "{h}/")?;
        }
        match self.pid {
            Some(p) => write!(f, "{p}#{}", self.ordinal),
            None => write!(f, "?#{}", self.ordinal),
        }
    }
}

impl Serialize for InstanceId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

pub fn ser_time<S: Serializer>(t: &Option<EventTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.collect_str(t),
        None => s.serialize_none(),
    }
}

pub fn ser_hresult<S: Serializer>(h: &Option<HResult>, s: S) -> Result<S::Ok, S::Error> {
    match h {
        Some(h) => s.collect_str(h),
        None => s.serialize_none(),
    }
}

pub fn ser_origin<S: Serializer>(o: &Origin, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(o)
}

/// One request through the module.
/// Written to JSON by [`crate::output::request_json`] (one line per field).
#[derive(Debug, Clone, PartialEq)]
pub struct RequestRecord {
    pub instance: InstanceId,
    pub host: Option<String>,
    pub pid: Option<u32>,
    pub tid: Option<u32>,
    pub cnt: u64,
    pub uri: String,
    /// Time of the request's first message.
    pub time: Option<EventTime>,
    /// Which kind `time` is (`elapsed`, `time_of_day`, `local`, `utc`).
    pub time_kind: Option<TimeKind>,
    /// Time of its last message.
    pub end_time: Option<EventTime>,
    pub outcome: Outcome,
    pub hresult: Option<HResult>,
    /// Known codes' names and hints are static text (no allocation per
    /// failed request).
    pub hresult_name: Option<Cow<'static, str>>,
    pub hresult_hint: Option<Cow<'static, str>>,
    pub cert_size: Option<u32>,
    pub cert_crc: Option<u32>,
    pub previously_negotiated: Option<bool>,
    /// `fccNeg` of `No client certificate. fccNeg = <0|1>`.
    pub fcc_neg: Option<bool>,
    /// snippet1 builds: whether the module forced certificate negotiation.
    pub forced_negotiation: Option<bool>,
    pub assignment: Assignment,
    /// `inferred` records: how sure the choice among the requests seen was,
    /// 0.5-1, `1 / (1 + L2/L1)` for the likelihoods of the best assignment
    /// and of the best one that puts this request together otherwise (see
    /// docs/inference.md). Null on `exact` records.
    pub confidence: Option<f64>,
    /// Another request of this instance printed the same counter (the
    /// module's read race).
    pub duplicate_cnt: bool,
    /// Input and line of the request's first message.
    pub source: Origin,
    /// How many module messages were assigned to this request.
    pub messages: u32,
    /// The client certificate, when its (size, CRC) identified one of the
    /// catalog (`--certs`); null otherwise.
    pub cert: Option<CertRecord>,
    /// `identified`, `ambiguous` (several catalog certificates fit),
    /// `unknown` (none fits); null when no `cert crc` was logged.
    pub cert_status: Option<&'static str>,
    /// Expired / not yet valid at the request's time, no client-auth EKU.
    pub cert_warnings: Vec<String>,
    /// The decoder's answer, for the per-certificate summary (`None`
    /// when no `cert crc` was logged).
    pub identification: Option<CertMatch>,
}

impl RequestRecord {
    /// Lets go of the record's certificate (catalog entries are shared:
    /// their counts change with every holder). Called by the thread that
    /// used the record last, before it goes back to the correlating
    /// thread for reuse: that thread then has no shared count to change.
    pub fn release_certificate(&mut self) {
        self.cert = None;
        self.identification = None;
        self.cert_warnings.clear();
    }
}

/// Records going back for reuse: see [`RequestRecord::release_certificate`].
pub fn release_certificates(records: &mut [Record]) {
    for r in records {
        if let Record::Request(q) = r
            && q.cert_status.is_some()
        {
            q.release_certificate();
        }
    }
}

/// Counters that never showed up in an instance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GapRecord {
    pub instance: InstanceId,
    pub pid: Option<u32>,
    /// First and last missing counter value.
    pub from_cnt: u64,
    pub to_cnt: u64,
    /// Requests whose start line is missing from the capture.
    pub missing: u64,
    /// Values skipped by the module's counter read race (a duplicate counter
    /// nearby accounts for them): not lost requests.
    pub read_race: u64,
    #[serde(serialize_with = "ser_time")]
    pub time: Option<EventTime>,
}

/// A request message no open request could take.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrphanRecord {
    pub instance: Option<InstanceId>,
    pub pid: Option<u32>,
    pub tid: Option<u32>,
    pub message_kind: &'static str,
    pub text: String,
    #[serde(serialize_with = "ser_time")]
    pub time: Option<EventTime>,
    #[serde(serialize_with = "ser_origin")]
    pub source: Origin,
}

/// A line that is not a known module message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnknownRecord {
    /// `module` (module prefix, unknown body) or `foreign` (other software).
    pub kind: &'static str,
    pub pid: Option<u32>,
    pub tid: Option<u32>,
    pub text: String,
    #[serde(serialize_with = "ser_time")]
    pub time: Option<EventTime>,
    #[serde(serialize_with = "ser_origin")]
    pub source: Origin,
}

/// A failure the module reported outside a request (module start-up,
/// `CHK_HR_LOG`, unclassified `FATAL Error`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModuleErrorRecord {
    pub instance: Option<InstanceId>,
    pub pid: Option<u32>,
    pub text: String,
    #[serde(serialize_with = "ser_hresult")]
    pub hresult: Option<HResult>,
    pub hresult_name: Option<Cow<'static, str>>,
    pub hresult_hint: Option<Cow<'static, str>>,
    #[serde(serialize_with = "ser_time")]
    pub time: Option<EventTime>,
    #[serde(serialize_with = "ser_origin")]
    pub source: Origin,
}

/// A worker process started again during the capture: its module
/// reloaded, its request counter restarted or its pid reused. (A process's
/// first start is no recycle: its instance record tells how it started.)
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecycleRecord {
    pub instance: InstanceId,
    pub pid: Option<u32>,
    pub reason: InstanceStart,
    /// The instance it replaced on the same pid.
    pub previous: Option<InstanceId>,
    #[serde(serialize_with = "ser_time")]
    pub time: Option<EventTime>,
    #[serde(serialize_with = "ser_origin")]
    pub source: Origin,
}

/// Per worker-process instance totals, emitted when the instance ends.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceRecord {
    pub instance: InstanceId,
    pub host: Option<String>,
    pub pid: Option<u32>,
    pub start: InstanceStart,
    #[serde(serialize_with = "ser_time")]
    pub first_time: Option<EventTime>,
    #[serde(serialize_with = "ser_time")]
    pub last_time: Option<EventTime>,
    /// Module build timestamp (`Build …` suffix), when logged.
    pub build: Option<String>,
    /// Process name, when the input records it (DebugView++ logs).
    pub process: Option<String>,
    pub requests: u64,
    pub outcomes: BTreeMap<&'static str, u64>,
    pub first_cnt: Option<u64>,
    pub last_cnt: Option<u64>,
    /// Counter ranges with missing requests, and how many requests.
    pub gaps: u64,
    pub missing_requests: u64,
    pub read_races: u64,
    pub duplicate_cnts: u64,
    pub out_of_order_cnts: u64,
    pub orphan_messages: u64,
    pub inferred_requests: u64,
    pub module_errors: u64,
    /// Instances that ended because this pid was recycled/reused.
    pub ended_by_recycle: bool,
    /// How the module build logs certificate CRCs: `chained` (the shipped
    /// module), `plain` (a corrected build), `auto` (undecided).
    pub crc_mode: &'static str,
    /// Why: the evidence behind `crc_mode`.
    pub crc_mode_explanation: String,
    /// `cert crc` values decoded to a catalog certificate / seen.
    pub certs_identified: u64,
    pub certs_observed: u64,
}

/// A problem with the input (also printed on stderr).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProblemRecord {
    pub kind: &'static str,
    pub detail: String,
    #[serde(serialize_with = "ser_origin")]
    pub source: Origin,
}

/// Count, name and hint for one HRESULT.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HResultSummary {
    pub hresult: String,
    pub name: String,
    pub hint: String,
    pub count: u64,
}

/// Totals over the whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Summary {
    pub inputs: Vec<String>,
    pub events: u64,
    pub module_messages: u64,
    pub requests: u64,
    pub outcomes: BTreeMap<&'static str, u64>,
    pub exact: u64,
    pub inferred: u64,
    pub instances: u64,
    pub processes: u64,
    pub recycles: u64,
    pub gaps: u64,
    pub missing_requests: u64,
    pub read_races: u64,
    pub duplicate_cnts: u64,
    pub out_of_order_cnts: u64,
    pub orphan_messages: u64,
    pub module_errors: u64,
    pub unknown_module_messages: u64,
    pub foreign_lines: u64,
    pub input_problems: BTreeMap<&'static str, u64>,
    pub hresults: Vec<HResultSummary>,
    /// Inputs that could not be opened.
    pub unreadable_inputs: Vec<String>,
    /// True when the run stopped early (Ctrl-C, `q`, `--until`,
    /// `--duration`, `--fail-on`).
    pub interrupted: bool,
    /// Requests read after `--until`, `--duration` or `--fail-on` stopped
    /// the run: not reported, and not counted in the totals above.
    pub unreported_requests: u64,
    /// True for the periodic summaries of `--summary-every` (totals so far,
    /// the run goes on); false for the final one.
    pub snapshot: bool,
    /// Counts behind `hresults`, by code.
    #[serde(skip)]
    pub hresult_counts: BTreeMap<HResult, u64>,
    /// Counts behind `outcomes`.
    #[serde(skip)]
    pub outcome_counts: OutcomeCounts,
}

/// Requests per outcome, counted without a map lookup (once per request);
/// [`OutcomeCounts::to_map`] gives the records' `outcomes` map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutcomeCounts([u64; Outcome::ALL.len()]);

impl OutcomeCounts {
    pub fn add(&mut self, o: Outcome) {
        self.0[o.index()] += 1;
    }

    pub fn get(&self, o: Outcome) -> u64 {
        self.0[o.index()]
    }

    /// Takes `other`'s counts out of these.
    pub fn subtract(&mut self, other: &OutcomeCounts) {
        for (n, m) in self.0.iter_mut().zip(other.0) {
            *n = n.saturating_sub(m);
        }
    }

    /// Outcome name → count, for the outcomes seen.
    pub fn to_map(&self) -> BTreeMap<&'static str, u64> {
        Outcome::ALL
            .iter()
            .filter(|o| self.get(**o) > 0)
            .map(|o| (o.as_str(), self.get(*o)))
            .collect()
    }
}

/// Everything a renderer is given, in stream order (written as JSON by
/// [`crate::output::ndjson::write_record`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    // Every kind is boxed: records move through queues and threads by the
    // million (a record is two words; the commonest kind is big).
    Request(Box<RequestRecord>),
    Gap(Box<GapRecord>),
    Orphan(Box<OrphanRecord>),
    Unknown(Box<UnknownRecord>),
    ModuleError(Box<ModuleErrorRecord>),
    Recycle(Box<RecycleRecord>),
    Instance(Box<InstanceRecord>),
    /// One distinct client certificate (or group of unknown ones) seen.
    Certificate(Box<CertSummary>),
    Problem(Box<ProblemRecord>),
    Summary(Box<Summary>),
}

impl Record {
    pub fn type_name(&self) -> &'static str {
        match self {
            Record::Request(_) => "request",
            Record::Gap(_) => "gap",
            Record::Orphan(_) => "orphan",
            Record::Unknown(_) => "unknown",
            Record::ModuleError(_) => "module_error",
            Record::Recycle(_) => "recycle",
            Record::Instance(_) => "instance",
            Record::Certificate(_) => "certificate",
            Record::Problem(_) => "problem",
            Record::Summary(_) => "summary",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records move through queues by the million: every kind is boxed, so
    /// a record is a tag and a pointer whatever kinds are added.
    #[test]
    fn a_record_is_two_words() {
        assert_eq!(
            std::mem::size_of::<Record>(),
            2 * std::mem::size_of::<usize>()
        );
    }

    #[test]
    fn outcome_counts_map_like_counting_names() {
        let mut counts = OutcomeCounts::default();
        let mut names: BTreeMap<&'static str, u64> = BTreeMap::new();
        for (i, o) in Outcome::ALL.iter().enumerate() {
            assert_eq!(o.index(), i);
            for _ in 0..(i % 3) {
                counts.add(*o);
                *names.entry(o.as_str()).or_insert(0) += 1;
            }
        }
        assert_eq!(counts.to_map(), names);
        assert!(
            !counts.to_map().contains_key("plain_http"),
            "unseen outcomes left out"
        );
    }
}
