//! Correlation: module messages into worker-process instances and requests.
//!
//! Each pid's messages go to its current *instance* (a new one starts at the
//! module's `RegisterModule` lines or when the request counter restarts).
//! Within an instance, a request is opened by `cnt = N URI: …` and takes the
//! messages of the module's steps until its last one:
//!
//! ```text
//! start ─┬─ not using SSL ............................ plain_http
//!        └─ [forcing load ─ FATAL Negotiate .......... negotiate_failed]
//!           ├─ Cert not found ........................ cert_not_found
//!           ├─ FATAL GetClientCertificate ............ get_cert_failed
//!           ├─ No client certificate ................. no_cert
//!           └─ cert size ─ cert crc .................. cert_ok
//! ```
//!
//! With a thread id (ETW, collector JSON) a message belongs to the request
//! open on its thread. Without one (DebugView), it goes to the open request of
//! its process whose step can take it; when several can, the process's
//! messages are held in a [`window::Window`] until the assignment most
//! likely as a whole under the capture's own timing ([`timing`]) is clear,
//! and all the requests it could have gone to are marked `inferred`, with a
//! confidence. Requests near lost lines
//! (unseen counters, orphan messages) are `inferred` too; the rest are
//! `exact`. Finished requests are held for a few messages of their process
//! before they are emitted, so that a lost line noticed just after can still
//! mark them.

pub mod accuracy;
pub mod counters;
pub mod timing;
mod window;

use std::collections::VecDeque;

use std::sync::Arc;

use crate::certs::{
    Catalog, CertMatch, CertObservation, CertSighting, CertSummaryBuilder, ChainDecoder, CrcMode,
    DecoderConfig, Identification, eku_warning, validity_warning,
};
use crate::input::InputProblem;
use crate::input::event::{EventTime, Origin, TraceEvent};
use crate::parse::hresult::HResult;
use crate::parse::{self, FatalKind, Message};
use crate::record::{
    Assignment, GapRecord, HResultSummary, InstanceId, InstanceRecord, InstanceStart,
    ModuleErrorRecord, OrphanRecord, Outcome, OutcomeCounts, ProblemRecord, Record, RecycleRecord,
    RequestRecord, Summary, UnknownRecord,
};
use counters::{Counters, Gap};
use rustc_hash::FxHashMap;
use timing::Learned;
use window::{At, Decision, Pending, Window};

/// An open request is closed as `incomplete` once this many later requests
/// of its instance have started.
pub const EVICT_AFTER: u64 = 256;
/// ... or once this many requests that started after it have finished.
pub const EVICT_OVERTAKEN: u32 = 32;
/// A request overtaken by this many is presumed dead when choosing.
const STALE_OVERTAKEN: u32 = 4;
/// A counter this far below the highest one means the process restarted.
pub const RESTART_DROP: u64 = 64;
/// Finished requests wait for this many further messages of their instance.
const SETTLE_MESSAGES: u64 = 6;
/// Held messages of live input are decided at most this long after they
/// arrived (live latency).
const WINDOW_HOLD: std::time::Duration = std::time::Duration::from_millis(60);
/// A request this much likelier (ln) than any other to have printed a
/// message takes it without a window: later messages are not worth
/// waiting for (odds of e^6, 400 to 1).
const CLEAR_GAP: f64 = 6.0;
/// A window's choice this sure also teaches the timing.
const LEARN_CONFIDENCE: f64 = 0.999;
/// Rendered request records kept for reuse (see [`Correlator::recycle`]).
const SPARE_RECORDS: usize = 4096;
/// Records whose URI buffer grew past this are not kept.
const SPARE_URI_MAX: usize = 2048;

/// Options of the correlation stage.
#[derive(Debug, Clone, Default)]
pub struct CorrelateOptions {
    /// Emit `unknown` records for lines that are not module messages.
    pub show_unknown: bool,
    /// Certificates to name the requests' client certificates by
    /// (`--certs`); without it certificates stay unknown, but the CRC mode
    /// of each instance is still detected.
    pub certs: Option<Arc<Catalog>>,
    /// `--crc-mode`: how the module build logs CRCs (default: detect).
    pub crc_mode: CrcMode,
}

impl CorrelateOptions {
    fn decoder(&self) -> ChainDecoder {
        let catalog = self.certs.clone().unwrap_or_default();
        ChainDecoder::new(
            catalog,
            DecoderConfig {
                mode: self.crc_mode,
                // Records do not carry the decoder's explanations.
                notes: false,
                ..DecoderConfig::default()
            },
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Http,
    Https,
    Unknown,
}

fn scheme_of(uri: &str) -> Scheme {
    let b = uri.as_bytes();
    let starts = |p: &[u8]| b.len() >= p.len() && b[..p.len()].eq_ignore_ascii_case(p);
    if starts(b"https://") {
        Scheme::Https
    } else if starts(b"http://") {
        Scheme::Http
    } else {
        Scheme::Unknown
    }
}

/// Where an open request is in the module's steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Started,
    /// snippet1: after `forcing load of client cert`.
    Forced,
    /// After `cert size`, waiting for `cert crc`.
    SizeSeen,
}

#[derive(Debug)]
struct OpenRequest {
    /// Boxed: it moves from open to settling to the output queue.
    record: Box<RequestRecord>,
    scheme: Scheme,
    step: Step,
    /// Message sequence number when the request entered its step (FIFO).
    step_seq: u64,
    /// Capture time (seconds) when it entered its step.
    step_time: Option<f64>,
    /// Start order within the instance.
    start_index: u64,
    /// Requests started after this one that have finished already.
    overtaken: u32,
    /// Message sequence number of its start.
    start_seq: u64,
}

#[derive(Debug)]
struct Held {
    record: Box<RequestRecord>,
    release_at: u64,
    start_index: u64,
}

#[derive(Debug)]
struct Instance {
    id: InstanceId,
    start: InstanceStart,
    first_time: Option<EventTime>,
    last_time: Option<EventTime>,
    build: Option<String>,
    /// Process name, when the input records it (DebugView++ logs).
    process: Option<String>,
    open: Vec<OpenRequest>,
    held: VecDeque<Held>,
    counters: Counters,
    /// Messages seen by this instance (its clock for settling).
    messages: u64,
    starts: u64,
    requests: u64,
    outcomes: OutcomeCounts,
    gaps: u64,
    missing: u64,
    read_races: u64,
    orphans: u64,
    inferred: u64,
    module_errors: u64,
    /// Whether a `RegisterModule` line has been seen in this instance.
    loaded: bool,
    /// Decodes the instance's `cert crc` values (chained per process).
    decoder: ChainDecoder,
    /// Live input: the highest counter at the previous
    /// [`Correlator::judge_counters`].
    live_mark: Option<u64>,
    /// Messages held while several requests could take them.
    window: Option<Box<Window>>,
    /// The learned timing of its module build ([`Learned::model_of`]).
    timing: usize,
}

impl Instance {
    fn new(
        id: InstanceId,
        start: InstanceStart,
        first: &TraceEvent,
        decoder: ChainDecoder,
    ) -> Instance {
        let time = first.time;
        let expect_from = match start {
            InstanceStart::FirstSeen => None,
            _ => Some(1),
        };
        Instance {
            id,
            start,
            first_time: time,
            last_time: time,
            build: None,
            process: first.process().map(str::to_owned),
            open: Vec::new(),
            held: VecDeque::new(),
            counters: Counters::new(expect_from),
            messages: 0,
            starts: 0,
            requests: 0,
            outcomes: OutcomeCounts::default(),
            gaps: 0,
            missing: 0,
            read_races: 0,
            orphans: 0,
            inferred: 0,
            module_errors: 0,
            loaded: start == InstanceStart::ModuleLoad,
            decoder,
            live_mark: None,
            window: None,
            timing: 0,
        }
    }

    fn is_fresh(&self) -> bool {
        self.starts == 0 && self.open.is_empty() && self.held.is_empty()
    }

    /// Marks every open and held request as inferred: a line was lost
    /// around here and any of them may have taken a message not its own.
    fn taint_all(&mut self) {
        for r in &mut self.open {
            r.record.assignment = Assignment::Inferred;
        }
        for h in &mut self.held {
            h.record.assignment = Assignment::Inferred;
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ProcessKey {
    host: Option<String>,
    pid: Option<u32>,
}

#[derive(Debug)]
struct Process {
    instance: Instance,
    ordinal: u32,
    /// tid → index of the request open on that thread (by cnt/start index).
    threads: FxHashMap<u32, u64>,
    /// Room for the open requests a message may belong to (kept, so
    /// routing a message allocates nothing).
    candidates: Vec<usize>,
}

/// The worker processes seen, in order of appearance, found by key; the
/// last one looked up without a host is remembered (consecutive messages
/// of one process are the common case, and this runs once per message).
#[derive(Debug, Default)]
struct ProcessTable {
    list: Vec<Process>,
    /// Processes of a named host.
    index: FxHashMap<ProcessKey, usize>,
    /// Processes without a host (DebugView, plain text: most inputs), by
    /// pid alone: no key to build and hash per message.
    hostless: FxHashMap<Option<u32>, usize>,
    last_hostless: Option<(Option<u32>, usize)>,
}

impl ProcessTable {
    fn position(&mut self, host: Option<&str>, pid: Option<u32>) -> Option<usize> {
        let Some(host) = host else {
            if let Some((last_pid, i)) = self.last_hostless
                && last_pid == pid
            {
                return Some(i);
            }
            let i = *self.hostless.get(&pid)?;
            self.last_hostless = Some((pid, i));
            return Some(i);
        };
        let key = ProcessKey {
            host: Some(host.to_owned()),
            pid,
        };
        self.index.get(&key).copied()
    }

    fn get_mut(&mut self, host: Option<&str>, pid: Option<u32>) -> Option<&mut Process> {
        let i = self.position(host, pid)?;
        self.list.get_mut(i)
    }

    /// The process, added by `new` when it is not there yet.
    fn get_or_add(
        &mut self,
        host: Option<&str>,
        pid: Option<u32>,
        new: impl FnOnce() -> Process,
    ) -> &mut Process {
        let i = match self.position(host, pid) {
            Some(i) => i,
            None => {
                self.list.push(new());
                let i = self.list.len() - 1;
                match host {
                    Some(host) => {
                        let key = ProcessKey {
                            host: Some(host.to_owned()),
                            pid,
                        };
                        self.index.insert(key, i);
                    }
                    None => {
                        self.hostless.insert(pid, i);
                    }
                }
                i
            }
        };
        &mut self.list[i]
    }

    fn iter(&self) -> std::slice::Iter<'_, Process> {
        self.list.iter()
    }

    fn iter_mut(&mut self) -> std::slice::IterMut<'_, Process> {
        self.list.iter_mut()
    }

    /// Empties the table, handing over its processes.
    fn take_all(&mut self) -> Vec<Process> {
        self.index.clear();
        self.hostless.clear();
        self.last_hostless = None;
        std::mem::take(&mut self.list)
    }
}

/// The correlation stage: feed events in capture order with
/// [`Correlator::push_event`], take records with [`Correlator::drain`], and
/// call [`Correlator::finish`] at the end.
pub struct Correlator {
    opts: CorrelateOptions,
    processes: ProcessTable,
    out: Vec<Record>,
    summary: Summary,
    /// Global message sequence (FIFO order between open requests).
    seq: u64,
    /// Step timing learned from unambiguous requests.
    learned: Learned,
    /// Request records given back by [`Correlator::recycle`]: the boxes
    /// themselves are reused (a `Record::Request` holds one).
    #[allow(clippy::vec_box)]
    spare: Vec<Box<RequestRecord>>,
    /// Per-certificate totals of the requests emitted so far.
    certs: CertSummaryBuilder,
    /// Records at the front of `out` already added to `certs`.
    certs_noted: usize,
    /// Room for [`Correlator::note_certificates`]' rows.
    cert_rows: Vec<usize>,
}

/// Which open requests a message can go to.
#[derive(Debug, Clone, Copy)]
enum Want {
    /// Requests at `Started` with a scheme other than `https`.
    NotSsl,
    /// HTTPS requests before `cert size` (Started or Forced).
    CertStep,
    /// HTTPS requests at `Started` (snippet1 `forcing load`).
    Forcing,
    /// HTTPS requests at `Forced` (snippet1 negotiation failure).
    Negotiate,
    /// Requests at `SizeSeen`.
    Crc,
}

impl Correlator {
    pub fn new(opts: CorrelateOptions) -> Correlator {
        Correlator {
            opts,
            processes: ProcessTable::default(),
            out: Vec::new(),
            summary: Summary::default(),
            seq: 0,
            learned: Learned::default(),
            certs: CertSummaryBuilder::new(),
            spare: Vec::new(),
            certs_noted: 0,
            cert_rows: Vec::new(),
        }
    }

    /// Takes back rendered records: their request boxes are reused for
    /// new requests (no allocation per request, none freed on the
    /// rendering thread). `records` is left empty.
    pub fn recycle(&mut self, records: &mut Vec<Record>) {
        for r in records.drain(..) {
            if let Record::Request(b) = r
                && self.spare.len() < SPARE_RECORDS
                && b.uri.capacity() <= SPARE_URI_MAX
            {
                self.spare.push(b);
            }
        }
    }

    /// Records produced so far (streaming order).
    pub fn drain(&mut self) -> std::vec::Drain<'_, Record> {
        self.note_certificates();
        self.certs_noted = 0;
        self.out.drain(..)
    }

    /// The records ready to go out, as a vector (no record is moved): the
    /// correlator goes on with `spare` (cleared), a vector to reuse.
    pub fn swap_records(&mut self, mut spare: Vec<Record>) -> Vec<Record> {
        self.note_certificates();
        self.certs_noted = 0;
        spare.clear();
        std::mem::replace(&mut self.out, spare)
    }

    /// Adds the requests about to leave to the per-certificate totals.
    fn note_certificates(&mut self) {
        let from = self.certs_noted.min(self.out.len());
        self.certs_noted = self.out.len();
        // Rows first, then the counts.
        let mut rows = std::mem::take(&mut self.cert_rows);
        rows.clear();
        for (q, ident) in self.out[from..].iter().filter_map(certificate_of) {
            rows.push(self.certs.row(ident, q.cert_size));
        }
        for ((q, ident), &row) in self.out[from..]
            .iter()
            .filter_map(certificate_of)
            .zip(&rows)
        {
            let sighting = CertSighting {
                time: q.time,
                // For the validity of a certificate (none in a group of
                // unknown ones).
                at: ident
                    .cert
                    .as_ref()
                    .and(q.time)
                    .and_then(|t| t.to_utc_lossy()),
                pid: q.pid,
                uri: Some(&q.uri),
                outcome: q.outcome,
            };
            self.certs.add_to_row(row, ident, &sighting);
        }
        self.cert_rows = rows;
    }

    pub fn set_inputs(&mut self, inputs: Vec<String>) {
        self.summary.inputs = inputs;
    }

    /// An input that could not be opened.
    pub fn unreadable_input(&mut self, name: &str) {
        self.summary.unreadable_inputs.push(name.to_string());
        *self.summary.input_problems.entry("unreadable").or_insert(0) += 1;
    }

    /// A problem met while reading an input.
    pub fn push_problem(&mut self, p: &InputProblem) {
        *self
            .summary
            .input_problems
            .entry(p.kind.as_str())
            .or_insert(0) += 1;
        self.out.push(Record::Problem(Box::new(ProblemRecord {
            kind: p.kind.as_str(),
            detail: p.detail.clone(),
            source: p.origin,
        })));
    }

    /// Emits requests whose settle time has passed in every instance (call
    /// when the input is idle, so a live view is not held back).
    pub fn flush_settled(&mut self) {
        for p in self.processes.iter_mut() {
            // Held messages are decided within WINDOW_HOLD (live latency).
            while p
                .instance
                .window
                .as_ref()
                .and_then(|w| w.oldest_arrival())
                .is_some_and(|t| t.elapsed() >= WINDOW_HOLD)
            {
                let now = p.instance.last_time.map_or(f64::NAN, |t| t.sort_key());
                let lost = self.learned.lost_share(&self.summary);
                if !settle_window(p, now, Settle::One, lost, &mut self.out, &mut self.learned) {
                    break;
                }
            }
            while let Some(h) = p.instance.held.pop_front() {
                emit_request(&mut p.instance, h.record, &mut self.out, &mut self.summary);
            }
        }
    }

    pub fn push_event(&mut self, ev: &TraceEvent) {
        self.summary.events += 1;
        self.seq += 1;
        let message = match ev.preparsed.and_then(|p| p.message(&ev.text)) {
            Some(m) => m,
            None => parse::parse(&ev.text).message,
        };
        match message {
            Message::Foreign => {
                self.summary.foreign_lines += 1;
                self.unknown("foreign", ev);
            }
            Message::UnknownModule { .. } => {
                self.summary.unknown_module_messages += 1;
                self.summary.module_messages += 1;
                self.unknown("module", ev);
            }
            m => {
                self.summary.module_messages += 1;
                self.module_message(m, ev);
            }
        }
    }

    fn unknown(&mut self, kind: &'static str, ev: &TraceEvent) {
        if self.opts.show_unknown {
            self.out.push(Record::Unknown(Box::new(UnknownRecord {
                kind,
                pid: ev.pid,
                tid: ev.tid,
                text: ev.text.clone(),
                time: ev.time,
                source: ev.origin,
            })));
        }
    }

    fn process(&mut self, ev: &TraceEvent) -> &mut Process {
        process_entry(&mut self.processes, &mut self.summary, &self.opts, ev)
    }

    /// Ends the process's current instance and starts a new one.
    fn restart(&mut self, ev: &TraceEvent, reason: InstanceStart) {
        let lost = self.learned.lost_share(&self.summary);
        let Some(p) = self.processes.get_mut(ev.host(), ev.pid) else {
            return;
        };
        settle_window(
            p,
            f64::NAN,
            Settle::All,
            lost,
            &mut self.out,
            &mut self.learned,
        );
        p.ordinal += 1;
        let id = InstanceId {
            host: ev.host().map(str::to_owned),
            pid: ev.pid,
            ordinal: p.ordinal,
        };
        let mut new = Instance::new(id.clone(), reason, ev, self.opts.decoder());
        std::mem::swap(&mut p.instance, &mut new);
        p.threads.clear();
        let old = new;
        let previous = old.id.clone();
        close_instance(old, true, &mut self.out, &mut self.summary);
        self.summary.instances += 1;
        self.summary.recycles += 1;
        self.out.push(Record::Recycle(Box::new(RecycleRecord {
            instance: id,
            pid: ev.pid,
            reason,
            previous: Some(previous),
            time: ev.time,
            source: ev.origin,
        })));
    }

    fn module_message(&mut self, m: Message<'_>, ev: &TraceEvent) {
        // Lifecycle first: it may start a new instance.
        match &m {
            Message::ModuleLoad => {
                let p = self.process(ev);
                if p.instance.is_fresh() && !p.instance.loaded {
                    // The process's first start: a start, not a recycle
                    // (its instance record tells how it started).
                    p.instance.start = InstanceStart::ModuleLoad;
                    p.instance.loaded = true;
                    p.instance.counters = Counters::new(Some(1));
                } else {
                    self.restart(ev, InstanceStart::ModuleLoad);
                    self.process(ev).instance.loaded = true;
                }
                return;
            }
            Message::TraceWindowReset { build } => {
                let p = self.process(ev);
                if !p.instance.is_fresh() && !p.instance.loaded {
                    // Its RegisterModule line was lost: still a new process.
                    self.restart(ev, InstanceStart::ModuleLoad);
                }
                let p = self.process(ev);
                p.instance.loaded = true;
                if let Some(b) = build {
                    p.instance.build = Some(b.build.to_string());
                }
                return;
            }
            Message::RequestStart { cnt, .. } => {
                let cnt = *cnt;
                let p = self.process(ev);
                // Without a pid the messages of several processes may be
                // mixed: a lower counter then says nothing about a restart
                // (only the RegisterModule lines do).
                let restart = ev.pid.is_some()
                    && p.instance.counters.max().is_some_and(|max| {
                        cnt + RESTART_DROP < max || (cnt == 1 && p.instance.counters.has_seen(1))
                    });
                if restart {
                    self.restart(ev, InstanceStart::CounterRestart);
                }
            }
            _ => {}
        }
        let seq = self.seq;
        let Correlator {
            processes,
            summary,
            out,
            learned,
            opts,
            spare,
            ..
        } = self;
        let p = process_entry(processes, summary, opts, ev);
        p.instance.messages += 1;
        if ev.time.is_some() {
            p.instance.last_time = ev.time;
        }
        match m {
            Message::RequestStart { cnt, uri, build } => {
                if let Some(b) = build
                    && p.instance.build.is_none()
                {
                    p.instance.build = Some(b.build.to_string());
                }
                learned.starts += 1;
                start_request(p, cnt, uri, ev, seq, out, summary, spare);
            }
            Message::NotSsl => step(p, ev, Want::NotSsl, &m, seq, out, learned, summary),
            Message::ForcingCertLoad { .. } => {
                step(p, ev, Want::Forcing, &m, seq, out, learned, summary)
            }
            Message::CertNotFound { .. }
            | Message::NoCertificate { .. }
            | Message::CertSize { .. } => {
                step(p, ev, Want::CertStep, &m, seq, out, learned, summary)
            }
            Message::Fatal {
                kind: FatalKind::GetClientCertificate,
                ..
            } => step(p, ev, Want::CertStep, &m, seq, out, learned, summary),
            Message::Fatal {
                kind: FatalKind::Negotiate,
                ..
            } => step(p, ev, Want::Negotiate, &m, seq, out, learned, summary),
            Message::CertCrc { .. } => step(p, ev, Want::Crc, &m, seq, out, learned, summary),
            Message::Fatal { hresult, .. } | Message::CheckFailure { hresult, .. } => {
                module_error(&mut p.instance, ev, hresult, summary, out);
            }
            Message::ViewClear { .. }
            | Message::ModuleLoad
            | Message::TraceWindowReset { .. }
            | Message::UnknownModule { .. }
            | Message::Foreign => {}
        }
        release_settled(&mut p.instance, out, summary);
    }

    /// Ends the run: closes every instance (open requests become
    /// `incomplete`) and emits the summary.
    pub fn finish(&mut self) {
        let lost = self.learned.lost_share(&self.summary);
        for p in self.processes.iter_mut() {
            let now = p.instance.last_time.map_or(f64::NAN, |t| t.sort_key());
            settle_window(p, now, Settle::All, lost, &mut self.out, &mut self.learned);
        }
        let mut processes = self.processes.take_all();
        processes.sort_by(|a, b| a.instance.id.cmp(&b.instance.id));
        for p in processes {
            close_instance(p.instance, false, &mut self.out, &mut self.summary);
        }
        self.note_certificates();
        let certs = std::mem::take(&mut self.certs).build();
        self.out
            .extend(certs.into_iter().map(|c| Record::Certificate(Box::new(c))));
        self.certs_noted = self.out.len();
        let mut summary = std::mem::take(&mut self.summary);
        fill_totals(&mut summary);
        self.out.push(Record::Summary(Box::new(summary.clone())));
        self.summary = summary;
    }

    /// Marks the summary emitted by [`Correlator::finish`] as covering an
    /// interrupted run.
    pub fn mark_interrupted(&mut self) {
        self.summary.interrupted = true;
        for r in self.out.iter_mut().rev() {
            if let Record::Summary(s) = r {
                s.interrupted = true;
                break;
            }
        }
    }

    /// Live input: reports counter gaps once the values have had a call
    /// period to arrive (those below the highest counter seen at the
    /// previous call), instead of after [`counters::HORIZON`] more
    /// requests. Call about once a second.
    pub fn judge_counters(&mut self) {
        for p in self.processes.iter_mut() {
            let inst = &mut p.instance;
            if let Some(mark) = inst.live_mark {
                let mut gaps = Vec::new();
                inst.counters.judge_below(mark, &mut gaps);
                let t = inst.last_time;
                push_gaps(inst, &gaps, t, &mut self.out, &mut self.summary);
            }
            inst.live_mark = inst.counters.max();
        }
    }

    /// The totals so far without ending the run (`--summary-every`):
    /// requests still open or settling are not counted yet.
    pub fn summary_snapshot(&self) -> Summary {
        let mut s = self.summary.clone();
        s.orphan_messages += self
            .processes
            .iter()
            .map(|p| p.instance.orphans)
            .sum::<u64>();
        fill_totals(&mut s);
        s.snapshot = true;
        s
    }

    /// Records produced so far, as a vector.
    pub fn take_records(&mut self) -> Vec<Record> {
        self.swap_records(Vec::new())
    }
}

/// A request record that logged a `cert crc`, with its identification.
fn certificate_of(r: &Record) -> Option<(&RequestRecord, &CertMatch)> {
    match r {
        Record::Request(q) if q.cert_crc.is_some() => Some((q, q.identification.as_ref()?)),
        _ => None,
    }
}

/// The summary's totals kept as counts during the run: per outcome, and per
/// HRESULT (requests and module errors) most frequent first.
pub(crate) fn fill_totals(summary: &mut Summary) {
    summary.outcomes = summary.outcome_counts.to_map();
    summary.hresults = summary
        .hresult_counts
        .iter()
        .map(|(h, n)| HResultSummary {
            hresult: h.to_string(),
            name: h.name().into_owned(),
            hint: h.hint().into_owned(),
            count: *n,
        })
        .collect();
    summary
        .hresults
        .sort_by(|a, b| b.count.cmp(&a.count).then(a.hresult.cmp(&b.hresult)));
}

/// The process an event belongs to, created (with its first instance) when
/// it is new.
fn process_entry<'a>(
    processes: &'a mut ProcessTable,
    summary: &mut Summary,
    opts: &CorrelateOptions,
    ev: &TraceEvent,
) -> &'a mut Process {
    processes.get_or_add(ev.host(), ev.pid, || {
        summary.processes += 1;
        summary.instances += 1;
        Process {
            instance: Instance::new(
                InstanceId {
                    host: ev.host().map(str::to_owned),
                    pid: ev.pid,
                    ordinal: 1,
                },
                InstanceStart::FirstSeen,
                ev,
                opts.decoder(),
            ),
            ordinal: 1,
            threads: FxHashMap::default(),
            candidates: Vec::new(),
        }
    })
}

/// A failure of the module outside a request's steps.
fn module_error(
    inst: &mut Instance,
    ev: &TraceEvent,
    hresult: Option<HResult>,
    summary: &mut Summary,
    out: &mut Vec<Record>,
) {
    inst.module_errors += 1;
    summary.module_errors += 1;
    if let Some(h) = hresult {
        *summary.hresult_counts.entry(h).or_insert(0) += 1;
    }
    out.push(Record::ModuleError(Box::new(ModuleErrorRecord {
        instance: Some(inst.id.clone()),
        pid: ev.pid,
        text: ev.text.clone(),
        hresult,
        hresult_name: hresult.map(HResult::name),
        hresult_hint: hresult.map(HResult::hint),
        time: ev.time,
        source: ev.origin,
    })));
}

/// Routes a request message to the open request it belongs to.
#[allow(clippy::too_many_arguments)]
fn step(
    p: &mut Process,
    ev: &TraceEvent,
    want: Want,
    m: &Message<'_>,
    seq: u64,
    out: &mut Vec<Record>,
    learned: &mut Learned,
    summary: &Summary,
) {
    let Process {
        instance: inst,
        threads,
        candidates,
        ..
    } = p;
    // By thread: exact.
    if let Some(tid) = ev.tid {
        let idx = threads
            .get(&tid)
            .and_then(|start| inst.open.iter().position(|r| r.start_index == *start));
        match idx {
            Some(i) => {
                let done = apply(&mut inst.open[i], m, ev, seq);
                if let Message::CertCrc { crc } = m {
                    observe_crc(inst, Some(i), *crc);
                }
                if done {
                    threads.remove(&tid);
                    finish(inst, i);
                }
            }
            None => {
                if let Message::CertCrc { crc } = m {
                    observe_crc(inst, None, *crc);
                }
                orphan(inst, m, ev, out);
            }
        }
        return;
    }
    if inst.timing == 0
        && let Some(b) = inst.build.as_deref()
    {
        inst.timing = learned.model_of(b);
    }
    if inst.window.is_none() {
        candidates.clear();
        candidates.extend((0..inst.open.len()).filter(|&i| accepts(&inst.open[i], want)));
    }
    if let Some(now) = ev.time.map(|t| t.sort_key())
        && (inst.window.is_some() || candidates.len() > 1)
    {
        // Several requests could take it: decide with the messages after.
        let (next, to) = transition(m);
        let lost = learned.lost_share(summary);
        if inst.window.is_none()
            && let Some((i, gap)) = clear_winner(inst, candidates, next, now, lost, learned)
            && !crc_misfit(inst, i, m, want)
        {
            let alternatives: Vec<u64> = candidates
                .iter()
                .map(|&c| inst.open[c].start_index)
                .collect();
            let d = Chosen {
                alternatives: &alternatives,
                confidence: 1.0 / (1.0 + (-gap).exp()),
                after_loss: false,
            };
            apply_chosen(inst, i, &d, m, ev, seq, learned);
            return;
        }
        let inst = &mut p.instance;
        if inst.window.is_none() {
            inst.window = Some(open_window(inst));
        }
        let Some(window) = inst.window.as_mut() else {
            return;
        };
        let pending = Pending::new(ev.clone(), seq, want, next, to, now);
        window.push(pending, &mut learned.timing(inst.timing, lost));
        settle_window(p, now, Settle::Ready, lost, out, learned);
        return;
    }
    route_greedy(inst, candidates, ev, want, m, seq, out, learned);
}

/// Whether one of the open requests that can take a message is so much
/// likelier than the others that a window would drop them at once: its
/// index and the gap (ln) to the next likeliest. Then no window is needed.
#[allow(clippy::too_many_arguments)]
fn clear_winner(
    inst: &Instance,
    candidates: &[usize],
    next: usize,
    now: f64,
    lost: f64,
    learned: &mut Learned,
) -> Option<(usize, f64)> {
    let mut timing = learned.timing(inst.timing, lost);
    let (mut best, mut gap) = (0, f64::INFINITY);
    let mut best_score = f64::NEG_INFINITY;
    for &i in candidates.iter() {
        let r = &inst.open[i];
        let score = timing.score(from_of(r), next, now, r.step_time.unwrap_or(f64::NAN))?;
        if score > best_score {
            gap = score - best_score;
            (best, best_score) = (i, score);
        } else {
            gap = gap.min(best_score - score);
        }
    }
    (gap >= CLEAR_GAP).then_some((best, gap))
}

/// How far [`settle_window`] goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settle {
    /// Every held message that can be decided now.
    Ready,
    /// The oldest held message, whatever.
    One,
    /// Every held message (the instance ends).
    All,
}

/// Applies the held messages of a process that are decided; false when
/// nothing was.
fn settle_window(
    p: &mut Process,
    now: f64,
    how: Settle,
    lost: f64,
    out: &mut Vec<Record>,
    learned: &mut Learned,
) -> bool {
    let Process {
        instance: inst,
        candidates,
        ..
    } = p;
    let mut any = false;
    loop {
        let Some(w) = inst.window.as_mut() else {
            return any;
        };
        let force = how != Settle::Ready || w.members() > window::MAX_MEMBERS;
        let decided = w.decide(now, force, &mut learned.timing(inst.timing, lost));
        if w.is_empty() {
            inst.window = None;
        }
        let Some(d) = decided else {
            return any;
        };
        any = true;
        apply_decision(inst, candidates, d, lost, out, learned);
        if how == Settle::One {
            return true;
        }
    }
}

/// Applies a held message to the request the window chose (the greedy
/// rule decides when that request is no longer there).
fn apply_decision(
    inst: &mut Instance,
    candidates: &mut Vec<usize>,
    d: Decision,
    lost: f64,
    out: &mut Vec<Record>,
    learned: &mut Learned,
) {
    let ev = &d.pending.ev;
    let (want, seq) = (d.pending.want, d.pending.seq);
    let m = match ev.preparsed.and_then(|p| p.message(&ev.text)) {
        Some(m) => m,
        None => parse::parse(&ev.text).message,
    };
    let takes = |r: &OpenRequest| {
        if d.after_loss {
            accepts_after_loss(r, want)
        } else {
            accepts(r, want)
        }
    };
    let found = d.target.and_then(|s| {
        inst.open
            .iter()
            .position(|r| r.start_index == s && takes(r))
    });
    let Some(i) = found.filter(|&i| !crc_misfit(inst, i, &m, want)) else {
        // (Requests started after a held message cannot have printed it.)
        candidates.clear();
        candidates.extend((0..inst.open.len()).filter(|&i| {
            let r = &inst.open[i];
            accepts(r, want) && r.start_seq < seq
        }));
        route_greedy(inst, candidates, ev, want, &m, seq, out, learned);
        resync(inst, lost, learned);
        return;
    };
    let chosen = Chosen {
        alternatives: &d.alternatives,
        confidence: d.confidence,
        after_loss: d.after_loss,
    };
    apply_chosen(inst, i, &chosen, &m, ev, seq, learned);
}

/// Whether a catalog certificate that fits another open request's `cert
/// size` overrules giving this `cert crc` to request `i`.
fn crc_misfit(inst: &Instance, i: usize, m: &Message<'_>, want: Want) -> bool {
    let Message::CertCrc { crc } = *m else {
        return false;
    };
    let fits = |r: &OpenRequest| {
        r.record
            .cert_size
            .is_some_and(|size| inst.decoder.explains(size, crc))
    };
    !fits(&inst.open[i]) && inst.open.iter().any(|r| accepts(r, want) && fits(r))
}

/// A decision about a message: the requests it could have gone to (start
/// indexes), how sure the choice was, whether a line was lost.
struct Chosen<'a> {
    alternatives: &'a [u64],
    confidence: f64,
    after_loss: bool,
}

/// Applies a decided message to open request `i`, marking it and its
/// alternatives.
fn apply_chosen(
    inst: &mut Instance,
    i: usize,
    d: &Chosen<'_>,
    m: &Message<'_>,
    ev: &TraceEvent,
    seq: u64,
    learned: &mut Learned,
) {
    if d.after_loss {
        inst.taint_all();
    }
    if d.alternatives.len() > 1 {
        // Four decimals: what a reader can use.
        let c = (d.confidence * 1e4).round() / 1e4;
        let mark = |rec: &mut RequestRecord| {
            rec.assignment = Assignment::Inferred;
            rec.confidence = Some(rec.confidence.unwrap_or(1.0).min(c));
        };
        for r in inst.open.iter_mut() {
            if d.alternatives.contains(&r.start_index) {
                mark(&mut r.record);
            }
        }
        for h in inst.held.iter_mut() {
            if d.alternatives.contains(&h.start_index) {
                mark(&mut h.record);
            }
        }
    } else if inst.counters.doubtful() {
        inst.open[i].record.assignment = Assignment::Inferred;
    }
    let r = &mut inst.open[i];
    if !d.after_loss
        && (d.alternatives.len() == 1 || d.confidence >= LEARN_CONFIDENCE)
        && let (Some(t), Some(t0)) = (ev.time, r.step_time)
    {
        let (next, _) = transition(m);
        learned.learn(inst.timing, from_of(r), next, t.sort_key() - t0);
    }
    let done = apply(r, m, ev, seq);
    if let Message::CertCrc { crc } = *m {
        observe_crc(inst, Some(i), crc);
    }
    if done {
        finish(inst, i);
    }
}

/// A window whose hypotheses no longer match the open requests (one of
/// them was closed meanwhile): its held messages are held again by a new
/// window over the requests as they stand.
fn resync(inst: &mut Instance, lost: f64, learned: &mut Learned) {
    let Some(old) = inst.window.take() else {
        return;
    };
    let held = old.into_pending();
    if held.is_empty() {
        return;
    }
    let mut w = open_window(inst);
    let mut timing = learned.timing(inst.timing, lost);
    for p in held {
        w.push(p, &mut timing);
    }
    inst.window = Some(w);
}

fn open_window(inst: &Instance) -> Box<Window> {
    Box::new(Window::open(inst.open.iter().map(|r| {
        let since = r.step_time.unwrap_or(f64::NAN);
        (r.start_index, r.start_seq, r.scheme, at_of(r.step), since)
    })))
}

/// Routes a message by the requests' steps alone: the only one that can
/// take it (learning its delay), else the oldest. `candidates`: the open
/// requests that can take it.
#[allow(clippy::too_many_arguments)]
fn route_greedy(
    inst: &mut Instance,
    candidates: &mut Vec<usize>,
    ev: &TraceEvent,
    want: Want,
    m: &Message<'_>,
    seq: u64,
    out: &mut Vec<Record>,
    learned: &mut Learned,
) {
    let now = ev.time.map(|t| t.sort_key());
    let before = |r: &OpenRequest| r.start_seq < seq;
    if let (Message::CertCrc { crc }, true) = (m, candidates.len() > 1) {
        // The certificate behind the value must have the request's size:
        // keep the requests whose `cert size` a catalog certificate fits.
        let fits = |inst: &Instance, i: usize| {
            inst.open[i]
                .record
                .cert_size
                .is_some_and(|size| inst.decoder.explains(size, *crc))
        };
        if candidates.iter().any(|&i| fits(inst, i)) {
            for &i in candidates.iter() {
                inst.open[i].record.assignment = Assignment::Inferred;
            }
            candidates.retain(|&i| fits(inst, i));
        }
    }
    let (chosen, exact) = match candidates.len() {
        0 => {
            // A line of this request was lost: take the oldest request
            // that could have lost it, as a guess.
            let fallback = (0..inst.open.len())
                .filter(|&i| accepts_after_loss(&inst.open[i], want) && before(&inst.open[i]))
                .min_by_key(|&i| inst.open[i].step_seq);
            inst.taint_all();
            match fallback {
                Some(i) => (i, false),
                None => {
                    if let Message::CertCrc { crc } = m {
                        observe_crc(inst, None, *crc);
                    }
                    orphan(inst, m, ev, out);
                    return;
                }
            }
        }
        1 => {
            let r = &inst.open[candidates[0]];
            if let (Some(t), Some(t0)) = (now, r.step_time) {
                learned.learn(inst.timing, from_of(r), transition(m).0, t - t0);
            }
            // Another request that lost a line could have printed it too.
            let lost_alternative = matches!(want, Want::Crc | Want::Negotiate)
                && (0..inst.open.len())
                    .any(|i| i != candidates[0] && accepts_after_loss(&inst.open[i], want));
            (
                candidates[0],
                !inst.counters.doubtful() && !lost_alternative,
            )
        }
        _ => {
            for &i in candidates.iter() {
                inst.open[i].record.assignment = Assignment::Inferred;
            }
            (choose(&inst.open, candidates), false)
        }
    };
    let r = &mut inst.open[chosen];
    if !exact {
        r.record.assignment = Assignment::Inferred;
    }
    let done = apply(r, m, ev, seq);
    if let Message::CertCrc { crc } = m {
        observe_crc(inst, Some(chosen), *crc);
    }
    if done {
        finish(inst, chosen);
    }
}

/// Feeds a `cert crc` value to the instance's decoder (in capture order,
/// also for values no request could take: they are part of the chain) and
/// stores the answer on the request it belongs to.
fn observe_crc(inst: &mut Instance, request: Option<usize>, crc: u32) {
    let (cnt, size, start) = match request {
        Some(i) => {
            let r = &inst.open[i];
            (r.record.cnt, r.record.cert_size, r.start_index)
        }
        None => (0, None, u64::MAX),
    };
    // Requests that may have hashed a certificate before this one without
    // their value being seen: unseen counters, and older requests still
    // waiting for their `cert crc`.
    let waiting = inst
        .open
        .iter()
        .filter(|o| o.step == Step::SizeSeen && o.start_index < start)
        .count() as u32;
    let obs = CertObservation {
        cnt,
        size,
        logged_crc: crc,
        preceded_by_gap: (inst.counters.unseen_recent() + waiting).min(8),
    };
    let ident = inst.decoder.observe(obs);
    if let Some(i) = request {
        set_identification(&mut inst.open[i].record, ident);
    }
    for rev in inst.decoder.take_revisions() {
        let matches = |r: &RequestRecord| r.cnt == rev.cnt && r.cert_crc == Some(rev.logged_crc);
        if let Some(o) = inst.open.iter_mut().find(|o| matches(&o.record)) {
            set_identification(&mut o.record, rev.identification);
        } else if let Some(h) = inst.held.iter_mut().find(|h| matches(&h.record)) {
            set_identification(&mut h.record, rev.identification);
        }
    }
}

fn set_identification(rec: &mut RequestRecord, ident: Identification) {
    rec.cert = ident.record();
    rec.cert_status = Some(if ident.cert.is_some() {
        "identified"
    } else if ident.ambiguous {
        "ambiguous"
    } else {
        "unknown"
    });
    rec.identification = Some(CertMatch::from(ident));
}

fn at_of(s: Step) -> At {
    match s {
        Step::Started => At::Started,
        Step::Forced => At::Forced,
        Step::SizeSeen => At::SizeSeen,
    }
}

/// The timing class of an open request's step.
fn from_of(r: &OpenRequest) -> usize {
    window::from_class(at_of(r.step), r.scheme)
}

/// A message's kind as the timing knows it ([`timing::NEXT`]), and the step
/// it moves a request to.
fn transition(m: &Message<'_>) -> (usize, At) {
    match m {
        Message::NotSsl => (0, At::Done),
        Message::ForcingCertLoad { forced } => (1, if *forced { At::Forced } else { At::Started }),
        Message::CertNotFound { .. } => (2, At::Done),
        Message::Fatal {
            kind: FatalKind::Negotiate,
            ..
        } => (6, At::Done),
        Message::Fatal { .. } => (3, At::Done),
        Message::NoCertificate { .. } => (4, At::Done),
        Message::CertSize { .. } => (5, At::SizeSeen),
        _ => (7, At::Done),
    }
}

/// Among several open requests that could take a message (no timing to
/// tell them apart), the oldest that is not presumed dead (overtaken by
/// several later requests).
fn choose(open: &[OpenRequest], candidates: &[usize]) -> usize {
    candidates
        .iter()
        .copied()
        .min_by_key(|&i| (open[i].overtaken >= STALE_OVERTAKEN, open[i].step_seq))
        .unwrap_or(candidates[0])
}

/// Whether an open request's current step can take a message.
fn accepts(r: &OpenRequest, want: Want) -> bool {
    match want {
        Want::NotSsl => r.step == Step::Started && r.scheme != Scheme::Https,
        Want::CertStep => {
            matches!(r.step, Step::Started | Step::Forced) && r.scheme != Scheme::Http
        }
        Want::Forcing => r.step == Step::Started && r.scheme != Scheme::Http,
        Want::Negotiate => r.step == Step::Forced && r.scheme != Scheme::Http,
        Want::Crc => r.step == Step::SizeSeen,
    }
}

/// Whether a request could take the message if one of its lines was lost.
fn accepts_after_loss(r: &OpenRequest, want: Want) -> bool {
    match want {
        // `cert size` lost: the crc still says a certificate was there.
        Want::Crc => r.scheme != Scheme::Http && r.step != Step::SizeSeen,
        // `forcing load` lost before a negotiation failure.
        Want::Negotiate => r.scheme != Scheme::Http && r.step == Step::Started,
        _ => false,
    }
}

/// Applies a message to a request; true when the request is finished.
fn apply(r: &mut OpenRequest, m: &Message<'_>, ev: &TraceEvent, seq: u64) -> bool {
    let rec = &mut r.record;
    rec.messages += 1;
    if ev.time.is_some() {
        rec.end_time = ev.time;
    }
    if rec.tid.is_none() {
        rec.tid = ev.tid;
    }
    r.step_seq = seq;
    r.step_time = ev.time.map(|t| t.sort_key()).or(r.step_time);
    let set_outcome = |rec: &mut RequestRecord, o: Outcome, h: Option<HResult>| {
        rec.outcome = o;
        rec.hresult = h;
        rec.hresult_name = h.map(HResult::name);
        rec.hresult_hint = h.map(HResult::hint);
    };
    match *m {
        Message::NotSsl => {
            set_outcome(rec, Outcome::PlainHttp, None);
            true
        }
        Message::ForcingCertLoad { forced } => {
            rec.forced_negotiation = Some(forced);
            if forced {
                r.step = Step::Forced;
            }
            false
        }
        Message::CertNotFound { hresult } => {
            // snippet1 prints it only for ERROR_NOT_FOUND.
            let h = hresult.or(Some(HResult(0x8007_0490)));
            set_outcome(rec, Outcome::CertNotFound, h);
            true
        }
        Message::NoCertificate { fcc_neg } => {
            rec.fcc_neg = fcc_neg;
            set_outcome(rec, Outcome::NoCert, None);
            true
        }
        Message::CertSize {
            size,
            previously_negotiated,
        } => {
            rec.cert_size = Some(size);
            rec.previously_negotiated = Some(previously_negotiated);
            r.step = Step::SizeSeen;
            false
        }
        Message::CertCrc { crc } => {
            rec.cert_crc = Some(crc);
            set_outcome(rec, Outcome::CertOk, None);
            true
        }
        Message::Fatal { kind, hresult, .. } => {
            let o = match kind {
                FatalKind::Negotiate => Outcome::NegotiateFailed,
                _ => Outcome::GetCertFailed,
            };
            set_outcome(rec, o, hresult);
            true
        }
        _ => false,
    }
}

#[allow(clippy::too_many_arguments, clippy::vec_box)]
fn start_request(
    p: &mut Process,
    cnt: u64,
    uri: &str,
    ev: &TraceEvent,
    seq: u64,
    out: &mut Vec<Record>,
    summary: &mut Summary,
    spare: &mut Vec<Box<RequestRecord>>,
) {
    let inst = &mut p.instance;
    inst.starts += 1;
    let mut gaps = Vec::new();
    let unseen = inst.counters.unseen_recent();
    let seen = inst.counters.observe(cnt, &mut gaps);
    if ev.tid.is_none() && inst.counters.unseen_recent() > unseen {
        // A counter was skipped: its request's lines may have gone to the
        // requests open or settling now.
        inst.taint_all();
    }
    push_gaps(inst, &gaps, ev.time, out, summary);
    if seen.duplicate {
        summary.duplicate_cnts += 1;
        // The other request with this counter may still be open.
        for r in inst.open.iter_mut().filter(|r| r.record.cnt == cnt) {
            r.record.duplicate_cnt = true;
        }
    }
    if seen.out_of_order {
        summary.out_of_order_cnts += 1;
    }
    let start_index = inst.starts;
    // A thread starting a new request has finished its previous one.
    if let Some(tid) = ev.tid
        && let Some(prev) = p.threads.insert(tid, start_index)
        && let Some(i) = inst.open.iter().position(|r| r.start_index == prev)
    {
        finish(inst, i);
    }
    // Requests open far too long lost their last line.
    while let Some(i) = inst
        .open
        .iter()
        .position(|r| r.start_index + EVICT_AFTER < start_index || r.overtaken >= EVICT_OVERTAKEN)
    {
        finish(inst, i);
    }
    let mut record = match spare.pop() {
        Some(mut b) => {
            rewrite_request(&mut b, &inst.id, cnt, uri, ev, seen.duplicate);
            b
        }
        None => Box::new(new_request(inst.id.clone(), cnt, uri, ev, seen.duplicate)),
    };
    if ev.tid.is_none() && inst.counters.doubtful() {
        record.assignment = Assignment::Inferred;
    }
    let scheme = scheme_of(uri);
    let since = ev.time.map(|t| t.sort_key());
    if let Some(w) = inst.window.as_mut() {
        w.join(
            start_index,
            seq,
            scheme,
            At::Started,
            since.unwrap_or(f64::NAN),
        );
    }
    inst.open.push(OpenRequest {
        record,
        scheme,
        step: Step::Started,
        step_seq: seq,
        step_time: since,
        start_index,
        overtaken: 0,
        start_seq: seq,
    });
}

/// The record of a request whose start line is `ev`.
fn new_request(
    instance: InstanceId,
    cnt: u64,
    uri: &str,
    ev: &TraceEvent,
    duplicate_cnt: bool,
) -> RequestRecord {
    RequestRecord {
        instance,
        host: ev.host().map(str::to_owned),
        pid: ev.pid,
        tid: ev.tid,
        cnt,
        uri: uri.to_owned(),
        time: ev.time,
        time_kind: ev.time.map(|t| t.kind()),
        end_time: ev.time,
        outcome: Outcome::Incomplete,
        hresult: None,
        hresult_name: None,
        hresult_hint: None,
        cert_size: None,
        cert_crc: None,
        previously_negotiated: None,
        fcc_neg: None,
        forced_negotiation: None,
        assignment: Assignment::Exact,
        confidence: None,
        duplicate_cnt,
        source: ev.origin,
        messages: 1,
        cert: None,
        cert_status: None,
        cert_warnings: Vec::new(),
        identification: None,
    }
}

/// A recycled record rewritten in place as [`new_request`] builds one: it
/// keeps its URI's allocation, and no record is built to be copied over it
/// (measured: 3-5 % of a plain read). Every field is named, so none can be
/// forgotten; `reused_records_leave_no_trace` holds the two equal.
fn rewrite_request(
    b: &mut RequestRecord,
    id: &InstanceId,
    cnt: u64,
    uri: &str,
    ev: &TraceEvent,
    duplicate_cnt: bool,
) {
    let RequestRecord {
        instance,
        host,
        pid,
        tid,
        cnt: record_cnt,
        uri: record_uri,
        time,
        time_kind,
        end_time,
        outcome,
        hresult,
        hresult_name,
        hresult_hint,
        cert_size,
        cert_crc,
        previously_negotiated,
        fcc_neg,
        forced_negotiation,
        assignment,
        confidence,
        duplicate_cnt: duplicate,
        source,
        messages,
        cert,
        cert_status,
        cert_warnings,
        identification,
    } = b;
    instance.clone_from(id);
    *host = ev.host().map(str::to_owned);
    *pid = ev.pid;
    *tid = ev.tid;
    *record_cnt = cnt;
    record_uri.clear();
    record_uri.push_str(uri);
    *time = ev.time;
    *time_kind = ev.time.map(|t| t.kind());
    *end_time = ev.time;
    *outcome = Outcome::Incomplete;
    *hresult = None;
    *hresult_name = None;
    *hresult_hint = None;
    *cert_size = None;
    *cert_crc = None;
    *previously_negotiated = None;
    *fcc_neg = None;
    *forced_negotiation = None;
    *assignment = Assignment::Exact;
    *confidence = None;
    *duplicate = duplicate_cnt;
    *source = ev.origin;
    *messages = 1;
    *cert = None;
    *cert_status = None;
    cert_warnings.clear();
    *identification = None;
}

fn push_gaps(
    inst: &mut Instance,
    gaps: &[Gap],
    time: Option<EventTime>,
    out: &mut Vec<Record>,
    summary: &mut Summary,
) {
    for g in gaps {
        inst.read_races += g.read_race;
        summary.read_races += g.read_race;
        if g.missing == 0 {
            continue;
        }
        inst.gaps += 1;
        inst.missing += g.missing;
        summary.gaps += 1;
        summary.missing_requests += g.missing;
        out.push(Record::Gap(Box::new(GapRecord {
            instance: inst.id.clone(),
            pid: inst.id.pid,
            from_cnt: g.from,
            to_cnt: g.to,
            missing: g.missing,
            read_race: g.read_race,
            time,
        })));
    }
}

/// Moves a finished (or abandoned) request to the settle queue.
fn finish(inst: &mut Instance, i: usize) {
    let r = inst.open.remove(i);
    if r.step == Step::SizeSeen && r.record.cert_crc.is_none() {
        // It hashed a certificate, but its value was lost.
        inst.decoder.note_missing_cert(r.record.cert_size);
    }
    if r.record.outcome != Outcome::Incomplete {
        for o in inst
            .open
            .iter_mut()
            .filter(|o| o.start_index < r.start_index)
        {
            o.overtaken += 1;
        }
    }
    inst.held.push_back(Held {
        record: r.record,
        release_at: inst.messages + SETTLE_MESSAGES,
        start_index: r.start_index,
    });
}

fn release_settled(inst: &mut Instance, out: &mut Vec<Record>, summary: &mut Summary) {
    while inst
        .held
        .front()
        .is_some_and(|h| h.release_at <= inst.messages)
    {
        if let Some(h) = inst.held.pop_front() {
            emit_request(inst, h.record, out, summary);
        }
    }
}

fn emit_request(
    inst: &mut Instance,
    mut record: Box<RequestRecord>,
    out: &mut Vec<Record>,
    summary: &mut Summary,
) {
    if let Some(cert) = record.identification.as_ref().and_then(|i| i.cert.as_ref()) {
        if let Some(at) = record.time.and_then(|t| t.to_utc_lossy())
            && let Some(w) = validity_warning(cert, at)
        {
            record.cert_warnings.push(w);
        }
        if let Some(w) = eku_warning(cert) {
            record.cert_warnings.push(w);
        }
    }
    inst.requests += 1;
    summary.requests += 1;
    inst.outcomes.add(record.outcome);
    summary.outcome_counts.add(record.outcome);
    if let Some(h) = record.hresult {
        *summary.hresult_counts.entry(h).or_insert(0) += 1;
    }
    match record.assignment {
        Assignment::Exact => summary.exact += 1,
        Assignment::Inferred => {
            // No choice among the requests seen: only a lost line nearby.
            record.confidence.get_or_insert(1.0);
            summary.inferred += 1;
            inst.inferred += 1;
        }
    }
    out.push(Record::Request(record));
}

fn orphan(inst: &mut Instance, m: &Message<'_>, ev: &TraceEvent, out: &mut Vec<Record>) {
    inst.orphans += 1;
    if ev.tid.is_none() {
        // The message's request lost its start line; a message of the same
        // kind taken earlier by an open request may have been this one's.
        inst.taint_all();
    }
    out.push(Record::Orphan(Box::new(OrphanRecord {
        instance: Some(inst.id.clone()),
        pid: ev.pid,
        tid: ev.tid,
        message_kind: m.kind_name(),
        text: ev.text.clone(),
        time: ev.time,
        source: ev.origin,
    })));
}

/// Ends an instance: open requests become `incomplete`, held ones are
/// emitted, counters are judged, and its totals go out.
fn close_instance(
    mut inst: Instance,
    by_recycle: bool,
    out: &mut Vec<Record>,
    summary: &mut Summary,
) {
    while !inst.open.is_empty() {
        finish(&mut inst, 0);
    }
    while let Some(h) = inst.held.pop_front() {
        emit_request(&mut inst, h.record, out, summary);
    }
    let mut gaps = Vec::new();
    inst.counters.finish(&mut gaps);
    let t = inst.last_time;
    push_gaps(&mut inst, &gaps, t, out, summary);
    summary.orphan_messages += inst.orphans;
    out.push(Record::Instance(Box::new(InstanceRecord {
        instance: inst.id.clone(),
        host: inst.id.host.clone(),
        pid: inst.id.pid,
        start: inst.start,
        first_time: inst.first_time,
        last_time: inst.last_time,
        build: inst.build.clone(),
        process: inst.process.clone(),
        requests: inst.requests,
        outcomes: inst.outcomes.to_map(),
        first_cnt: inst.counters.first,
        last_cnt: inst.counters.max(),
        gaps: inst.gaps,
        missing_requests: inst.missing,
        read_races: inst.read_races,
        duplicate_cnts: inst.counters.duplicates,
        out_of_order_cnts: inst.counters.out_of_order,
        orphan_messages: inst.orphans,
        inferred_requests: inst.inferred,
        module_errors: inst.module_errors,
        ended_by_recycle: by_recycle,
        crc_mode: inst.decoder.effective_mode().as_str(),
        crc_mode_explanation: inst.decoder.mode_explanation(),
        certs_identified: inst.decoder.counts().1,
        certs_observed: inst.decoder.counts().0,
    })));
}

/// Convenience for tests and small inputs: correlates a list of events.
pub fn correlate_all(events: &[TraceEvent], opts: CorrelateOptions) -> Vec<Record> {
    let mut c = Correlator::new(opts);
    let mut out = Vec::new();
    for ev in events {
        c.push_event(ev);
        out.extend(c.take_records());
    }
    c.finish();
    out.extend(c.take_records());
    out
}

/// Origin helper for tests and generators.
pub fn line_origin(input: &str, line: u64) -> Origin {
    Origin {
        input: input.into(),
        position: crate::input::event::Position::Line(line),
    }
}

#[cfg(test)]
mod tests;
