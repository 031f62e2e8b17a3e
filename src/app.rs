//! The pipeline driver: sources on a reader thread, correlation (and the
//! `--fail-on` / `--until` watch) on the calling thread, rendering on a
//! writer thread; problems on stderr; the exit status.
//!
//! Memory stays bounded: the channel between the threads holds a fixed
//! number of batches, and the correlator keeps only open requests, the
//! counters of live instances and a few settling records.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use regex::Regex;

use crate::correlate::{CorrelateOptions, Correlator};
use crate::input::{ItemStream, SourceItem, handoff, merge::Merge};
use crate::output::Renderer;
use crate::output::batches::{Batch, SharedFormatting};
use crate::parse::hresult::HResult;
use crate::record::{
    Assignment, Outcome, OutcomeCounts, Record, RequestRecord, Summary, release_certificates,
};
use crate::watch::{StopRules, TimeWindow};

/// Which request records reach the output.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub outcomes: Vec<Outcome>,
    pub uri: Option<Regex>,
    /// Only the per-certificate records (`certtrace certs`).
    pub certificates_only: bool,
    /// `--since` / `--until-time`: records outside are not shown (records
    /// without a comparable time are).
    pub time: TimeWindow,
}

impl RequestFilter {
    pub fn keeps(&self, r: &Record) -> bool {
        if self.certificates_only {
            return matches!(r, Record::Certificate(_) | Record::Problem(_));
        }
        self.keeps_request(r)
    }

    /// The outcome and URI filters (not `certificates_only`).
    fn keeps_request(&self, r: &Record) -> bool {
        match r {
            Record::Request(q) => {
                (self.outcomes.is_empty() || self.outcomes.contains(&q.outcome))
                    && self.uri.as_ref().is_none_or(|re| re.is_match(&q.uri))
            }
            _ => true,
        }
    }

    /// `certtrace certs` lists certificates, not requests, but `--fail-on`
    /// watches the requests its filters keep.
    fn watches_unshown(&self, r: &Record) -> bool {
        self.certificates_only
            && matches!(r, Record::Request(_))
            && self.keeps_request(r)
            && crate::watch::record_time(r)
                .filter(|_| !self.time.is_empty())
                .is_none_or(|t| self.time.admits(t) != Some(false))
    }

    /// [`RequestFilter::keeps`] with the time window; `None` when the window
    /// cannot be compared with the record's kind of time (kept).
    pub fn keeps_in_time(&self, r: &Record) -> Option<bool> {
        if !self.keeps(r) {
            return Some(false);
        }
        match crate::watch::record_time(r) {
            Some(t) if !self.time.is_empty() => self.time.admits(t),
            _ => Some(true),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct PipelineOptions {
    pub correlate: CorrelateOptions,
    pub filter: RequestFilter,
    /// Only events of this pid are correlated (`--pid`).
    pub only_pid: Option<u32>,
    /// Items per batch handed from the reader thread (1 for live input, so
    /// every line is handled as soon as it is read).
    pub batch: usize,
    /// At most this many input problems are printed on stderr (all are
    /// counted in the summary).
    pub max_problems_shown: usize,
    /// Live input (following files, a pipe): finished requests are released
    /// after [`LIVE_IDLE`] without input or [`LIVE_HOLD`] at most, instead of
    /// waiting for later messages of their process.
    pub live: bool,
    /// `--fail-on`, `--until`, `--duration`, `--summary-every`.
    pub stop: StopRules,
}

/// Live input: finished requests go out after this long without input...
pub const LIVE_IDLE: Duration = Duration::from_millis(10);
/// ... or after this long at most while input keeps coming.
pub const LIVE_HOLD: Duration = Duration::from_millis(20);
/// Live input: counter gaps are judged this often (a counter missing for
/// one to two periods while higher ones came is reported).
pub const LIVE_JUDGE: Duration = Duration::from_secs(1);

impl PipelineOptions {
    pub fn new(correlate: CorrelateOptions, filter: RequestFilter) -> Self {
        PipelineOptions {
            correlate,
            filter,
            only_pid: None,
            batch: 1024,
            max_problems_shown: 20,
            live: false,
            stop: StopRules::default(),
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// An input could not be opened or read (the rest was processed).
    InputError,
    /// The output went away (closed pipe): stop quietly.
    OutputClosed,
    /// Ctrl-C.
    Interrupted,
    /// `--fail-on`: a watched record occurred.
    Alert,
    /// `--until` requests reported or `--duration` elapsed.
    Stopped,
}

impl Status {
    /// How the process exits after this run.
    pub fn exit(self) -> crate::exit::Exit {
        use crate::exit::Exit;
        match self {
            Status::Ok | Status::OutputClosed | Status::Stopped => Exit::Done,
            Status::InputError => Exit::Unreadable,
            Status::Alert => Exit::Alert,
            Status::Interrupted => Exit::Interrupted,
        }
    }

    /// The exit code ([`Status::exit`]).
    pub fn exit_code(self) -> i32 {
        self.exit().code().into()
    }
}

/// What the correlating thread hands to the rendering thread.
enum ToWriter {
    Records(Vec<Record>),
    /// Records any thread may format, and where their text is made.
    Batch(Arc<SharedFormatting>, Arc<Batch>),
    /// The input paused: show what is pending.
    Idle,
}

/// An opened input or the reason it could not be opened.
pub enum Input {
    Stream(ItemStream),
    Unreadable { name: String, error: String },
}

/// Runs the pipeline over the inputs into a renderer: a reader thread
/// ([`spawn_reader`]), the correlating loop on this thread
/// ([`Correlating::run`]) and a writer thread ([`write_records`]).
pub fn run(
    names: Vec<String>,
    inputs: Vec<Input>,
    opts: &PipelineOptions,
    renderer: &mut (dyn Renderer + Send),
    diag: &mut dyn Write,
    stop: &Arc<AtomicBool>,
) -> io::Result<Status> {
    let mut correlator = Correlator::new(opts.correlate.clone());
    correlator.set_inputs(names);
    let mut status = Status::Ok;
    let mut streams = Vec::new();
    for input in inputs {
        match input {
            Input::Stream(s) => streams.push(s),
            Input::Unreadable { name, error } => {
                writeln!(diag, "certtrace: {name}: {error}")?;
                correlator.unreadable_input(&name);
                status = Status::InputError;
            }
        }
    }
    // Reading a file is usually ahead of correlating and writing: rather
    // than wait, the reading thread formats records the writer has not
    // reached yet. (Not for live input: each record is written as it
    // comes.)
    let shared = renderer
        .batch_format()
        .filter(|_| !opts.live)
        .map(|format| Arc::new(SharedFormatting::new(format)));
    let (rx, back_tx, reader) = spawn_reader(streams, opts, shared.clone(), stop.clone())?;
    let mut pipe = Correlating {
        opts,
        correlator,
        watch: Watch::new(&opts.stop),
        pid_filter: PidFilter::new(opts.only_pid),
        diag,
        shown: 0,
        hidden: 0,
        interrupted: false,
    };
    let live = opts.live;
    let outcome: io::Result<()> = thread::scope(|scope| {
        let (wtx, wrx) = mpsc::sync_channel::<ToWriter>(4);
        // Rendered records go back for reuse.
        let (rtx, rrx) = mpsc::sync_channel::<Vec<Record>>(8);
        let writer = thread::Builder::new()
            .name("certtrace-writer".into())
            .spawn_scoped(scope, move || write_records(renderer, wrx, rtx, live))?;
        let mut out = WriterQueue {
            wtx,
            rrx,
            shared,
            spare: Vec::new(),
            alive: true,
        };
        let res = pipe.run(&rx, &back_tx, &mut out, stop);
        drop(out);
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("output thread failed")));
        res.and(written)
    });
    if let Err(e) = outcome {
        // Let the reader thread end: it may be blocked sending.
        stop.store(true, Ordering::Relaxed);
        drop(rx);
        if e.kind() == io::ErrorKind::BrokenPipe {
            return Ok(Status::OutputClosed);
        }
        return Err(e);
    }
    let hidden = pipe.hidden;
    if hidden > 0 {
        writeln!(
            pipe.diag,
            "certtrace: {hidden} more input problem{} not shown (counted in the summary)",
            if hidden == 1 { "" } else { "s" }
        )?;
    }
    if pipe.interrupted {
        // The reader may be blocked on stdin: do not wait for it.
        return Ok(Status::Interrupted);
    }
    if let Some(st) = pipe.watch.ended {
        stop.store(true, Ordering::Relaxed);
        return Ok(st);
    }
    let _ = reader.join();
    Ok(status)
}

type Items = Vec<SourceItem>;

/// The reading thread: merges the inputs and hands their items on in
/// batches ([`handoff`]); batches come back for reuse on the second
/// channel.
fn spawn_reader(
    streams: Vec<ItemStream>,
    opts: &PipelineOptions,
    shared: Option<Arc<SharedFormatting>>,
    stop: Arc<AtomicBool>,
) -> io::Result<(
    mpsc::Receiver<Items>,
    mpsc::SyncSender<Items>,
    thread::JoinHandle<()>,
)> {
    let (tx, rx) = mpsc::sync_channel::<Items>(4);
    let (back_tx, back_rx) = mpsc::sync_channel::<Items>(8);
    let batch = opts.batch.max(1);
    let help = shared.map(|shared| -> Box<dyn handoff::Help> { Box::new(ReaderHelp(shared)) });
    let live = opts.live;
    let reader = thread::Builder::new()
        .name("certtrace-reader".into())
        .spawn(move || {
            if !live {
                yield_cores_to_correlation();
            }
            let mut merged = Merge::new(streams);
            handoff::begin(batch, tx, back_rx, help);
            while !stop.load(Ordering::Relaxed) {
                let Some(item) = merged.next() else { break };
                if !handoff::push(item) {
                    return;
                }
            }
            handoff::end();
        })?;
    Ok((rx, back_tx, reader))
}

/// The writing thread: renders what the correlating thread hands over,
/// and hands record vectors back for reuse.
fn write_records(
    renderer: &mut (dyn Renderer + Send),
    wrx: mpsc::Receiver<ToWriter>,
    rtx: mpsc::SyncSender<Vec<Record>>,
    live: bool,
) -> io::Result<()> {
    if !live {
        yield_cores_to_correlation();
    }
    for msg in wrx {
        match msg {
            ToWriter::Records(mut records) => {
                for r in &records {
                    renderer.record(r)?;
                }
                release_certificates(&mut records);
                let _ = rtx.try_send(records);
            }
            ToWriter::Batch(shared, batch) => {
                let (mut records, text) = shared.text_of(&batch);
                let text = text?;
                renderer.write_formatted(text.as_slice())?;
                shared.give_back(text);
                release_certificates(&mut records);
                let _ = rtx.try_send(records);
            }
            ToWriter::Idle => renderer.idle()?,
        }
    }
    renderer.finish()
}

/// The correlating thread's side of the queue to the writer.
struct WriterQueue {
    wtx: mpsc::SyncSender<ToWriter>,
    /// Record vectors the writer is done with.
    rrx: mpsc::Receiver<Vec<Record>>,
    shared: Option<Arc<SharedFormatting>>,
    /// Emptied record vectors, to fill again.
    spare: Vec<Vec<Record>>,
    /// False once the writer is gone (output closed).
    alive: bool,
}

impl WriterQueue {
    /// Hands records to the writer, then (with `idle`) tells it to show
    /// what it holds.
    fn send(&mut self, mut records: Vec<Record>, idle: bool) {
        if !self.alive {
            return;
        }
        let mut sent = true;
        if let Some(shared) = &self.shared {
            // A batch's text is made whole before it is written: big
            // batches (the final certificate summary has a record per
            // certificate) go in parts, so memory holds a part's text.
            let mut parts = Vec::new();
            while records.len() > FORMATTED_BATCH_RECORDS {
                let at = (records.len() - 1) / FORMATTED_BATCH_RECORDS * FORMATTED_BATCH_RECORDS;
                parts.push(records.split_off(at));
            }
            parts.push(records);
            for part in parts.into_iter().rev().filter(|p| !p.is_empty()) {
                let msg = ToWriter::Batch(shared.clone(), shared.submit(part));
                sent = sent && self.wtx.send(msg).is_ok();
            }
        } else if !records.is_empty() {
            sent = self.wtx.send(ToWriter::Records(records)).is_ok();
        }
        self.alive = sent && (!idle || self.wtx.send(ToWriter::Idle).is_ok());
    }

    /// The reading thread may be waiting for room in its queue.
    fn room_made(&self) {
        if let Some(shared) = &self.shared {
            shared.announce();
        }
    }

    /// Records the writer is done with go back to the correlator, their
    /// vectors to the spares.
    fn take_back(&mut self, correlator: &mut Correlator) {
        while let Ok(mut done) = self.rrx.try_recv() {
            correlator.recycle(&mut done);
            if self.spare.len() < 4 {
                self.spare.push(done);
            }
        }
    }

    /// A vector for the next records: sized for a batch's records when the
    /// writer has none to give back yet (growing it moves every record).
    fn spare(&mut self) -> Vec<Record> {
        self.spare
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(BATCH_RECORDS))
    }
}

/// The correlating loop's state.
struct Correlating<'a> {
    opts: &'a PipelineOptions,
    correlator: Correlator,
    watch: Watch<'a>,
    pid_filter: PidFilter,
    diag: &'a mut dyn Write,
    /// Input problems printed, and counted but not printed.
    shown: usize,
    hidden: usize,
    interrupted: bool,
}

/// When the correlating loop last did its periodic work.
struct Timers {
    started: Instant,
    release: Instant,
    summary: Instant,
    judge: Instant,
}

impl Correlating<'_> {
    /// Correlates batches until the input ends, a rule ends the run, the
    /// output closes or `stop` is set; then the final records.
    fn run(
        &mut self,
        rx: &mpsc::Receiver<Items>,
        back_tx: &mpsc::SyncSender<Items>,
        out: &mut WriterQueue,
        stop: &AtomicBool,
    ) -> io::Result<()> {
        let now = Instant::now();
        let mut timers = Timers {
            started: now,
            release: now,
            summary: now,
            judge: now,
        };
        // A batch taken from the reader ahead of time (to see whether more
        // input is queued).
        let mut pending: Option<Items> = None;
        loop {
            if stop.load(Ordering::Relaxed) {
                self.interrupted = true;
                break;
            }
            if self.watch.ended.is_some() || !out.alive {
                break;
            }
            let Some(wait) = self.periodic(&mut timers, out) else {
                break;
            };
            let next = match pending.take() {
                Some(items) => Ok(items),
                None => rx.recv_timeout(wait).inspect(|_| out.room_made()),
            };
            match next {
                Ok(items) => {
                    self.correlate(&items)?;
                    // Back to the reader (dropped if it is not keeping up).
                    let _ = back_tx.try_send(items);
                    if self.opts.live && timers.release.elapsed() >= LIVE_HOLD {
                        self.correlator.flush_settled();
                        timers.release = Instant::now();
                    }
                    out.take_back(&mut self.correlator);
                    let records = self.select(out.spare())?;
                    // Live input (line by line): flush when nothing more is
                    // queued, so streamed records show promptly but a fast
                    // pipe is not written record by record. And on an alert.
                    pending = rx.try_recv().ok();
                    if pending.is_some() {
                        out.room_made();
                    }
                    let flush = (self.opts.live && pending.is_none()) || self.watch.ended.is_some();
                    out.send(records, flush);
                }
                Err(RecvTimeoutError::Timeout) => {
                    self.correlator.flush_settled();
                    timers.release = Instant::now();
                    let records = self.select(Vec::new())?;
                    out.send(records, true);
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        self.finish(out)
    }

    /// `--duration`, `--summary-every` and live counter judging; how long
    /// to wait for input, `None` when `--duration` has run out.
    fn periodic(&mut self, timers: &mut Timers, out: &mut WriterQueue) -> Option<Duration> {
        let mut wait = if self.opts.live {
            LIVE_IDLE
        } else {
            Duration::from_millis(100)
        };
        if let Some(d) = self.opts.stop.duration {
            let left = d.saturating_sub(timers.started.elapsed());
            if left.is_zero() {
                self.watch.ended = Some(Status::Stopped);
                return None;
            }
            wait = wait.min(left);
        }
        if let Some(every) = self.opts.stop.summary_every
            && timers.summary.elapsed() >= every
        {
            timers.summary = Instant::now();
            let snapshot = Record::Summary(Box::new(self.correlator.summary_snapshot()));
            out.send(vec![snapshot], true);
        }
        if self.opts.live && timers.judge.elapsed() >= LIVE_JUDGE {
            timers.judge = Instant::now();
            self.correlator.judge_counters();
        }
        Some(wait)
    }

    /// One batch of events and problems into the correlator.
    fn correlate(&mut self, items: &[SourceItem]) -> io::Result<()> {
        for item in items {
            match item {
                SourceItem::Event(ev) => {
                    if self.pid_filter.keeps(ev) {
                        self.correlator.push_event(ev);
                    }
                }
                SourceItem::Problem(p) => {
                    if self.shown < self.opts.max_problems_shown || p.kind.of_whole_input() {
                        writeln!(self.diag, "certtrace: warning: {p}")?;
                        self.shown += 1;
                    } else {
                        self.hidden += 1;
                    }
                    self.correlator.push_problem(p);
                }
            }
        }
        Ok(())
    }

    fn select(&mut self, spare: Vec<Record>) -> io::Result<Vec<Record>> {
        self.watch
            .select(&mut self.correlator, &self.opts.filter, self.diag, spare)
    }

    /// The end of the input (or of the run): what is still open, and the
    /// summary.
    fn finish(&mut self, out: &mut WriterQueue) -> io::Result<()> {
        if let Some(p) = self.pid_filter.nothing_kept() {
            writeln!(self.diag, "certtrace: warning: {p}")?;
            self.correlator.push_problem(&p);
        }
        self.correlator.finish();
        if self.interrupted || self.watch.ended.is_some() {
            self.correlator.mark_interrupted();
        }
        let records = self.select(Vec::new())?;
        out.send(records, false);
        Ok(())
    }
}

/// How far below the correlating thread the reading and writing threads
/// run (nice values: each step is about 1.25x less CPU when contended).
/// Measured: 15 steps once made `read` over the 250 MB capture faster
/// (medians 0.43-0.44 s against 0.46-0.49 s) but naming certificates
/// slower with the output to a file (1.44-1.49 s against 1.35-1.40 s);
/// with the correlating thread's work cut since, 15 measures alike for
/// both, so 10 stays. Beyond the process's own threads (without
/// autogroups) it also yields to other programs, which suits a tool run
/// next to a busy server.
#[cfg(target_os = "linux")]
const HELPER_NICE: i32 = 10;

/// Lowers the calling thread's scheduling priority below the correlating
/// thread's, for a run over saved input. The pipeline's three threads
/// share the cores (often two); correlating, the one serial stage, should
/// not wait for a core while reading or writing, which have slack (and
/// help each other), hold it. Measured on a 2-core machine: median 0.50 ->
/// 0.44 s on the 250 MB capture (10 steps). Linux only (a thread's own
/// nice value, relative to the process's, which is unchanged; within the
/// process's autogroup where the kernel has them). Elsewhere nothing
/// changes.
fn yield_cores_to_correlation() {
    #[cfg(target_os = "linux")]
    // SAFETY: plain system calls on this thread's own id; no memory is
    // shared with them.
    unsafe {
        let tid = libc::gettid() as libc::id_t;
        // -1 is a valid priority as well as the error value: errno tells.
        *libc::__errno_location() = 0;
        let now = libc::getpriority(libc::PRIO_PROCESS, tid);
        if now != -1 || *libc::__errno_location() == 0 {
            // A hint: when it is refused, the run is only slower.
            libc::setpriority(libc::PRIO_PROCESS, tid, (now + HELPER_NICE).min(19));
        }
    }
}

/// The reading thread's work while the pipeline is behind: formatting
/// record batches.
struct ReaderHelp(Arc<SharedFormatting>);

impl handoff::Help for ReaderHelp {
    fn news(&self) -> u64 {
        self.0.news()
    }
    fn help(&mut self) -> bool {
        self.0.help()
    }
    fn wait(&self, seen: u64) {
        self.0.wait_for_news(seen)
    }
}

/// Records formatted as one text at most (about 300 requests come of a
/// batch of events).
const FORMATTED_BATCH_RECORDS: usize = 512;

/// Room for the records of one batch of events, in a new record vector.
const BATCH_RECORDS: usize = 1024;

/// Emits records through the filter and watches them for `--fail-on` and
/// `--until`.
struct Watch<'a> {
    rules: &'a StopRules,
    requests: u64,
    /// Set when a rule ended the run.
    ended: Option<Status>,
    time_warned: bool,
    /// Requests correlated after a rule ended the run.
    unreported: Unreported,
}

/// Requests read after `--until`, `--duration` or `--fail-on` ended the
/// run (read ahead, or finished at the end): not reported, so taken out of
/// the final summary's totals, which then count what was shown.
#[derive(Default)]
struct Unreported {
    requests: u64,
    outcomes: OutcomeCounts,
    exact: u64,
    inferred: u64,
    hresults: std::collections::BTreeMap<HResult, u64>,
}

impl Unreported {
    fn add(&mut self, q: &RequestRecord) {
        self.requests += 1;
        self.outcomes.add(q.outcome);
        match q.assignment {
            Assignment::Exact => self.exact += 1,
            Assignment::Inferred => self.inferred += 1,
        }
        if let Some(h) = q.hresult {
            *self.hresults.entry(h).or_insert(0) += 1;
        }
    }

    /// The final summary without these requests, saying how many there were.
    fn discount(&self, s: &mut Summary) {
        if self.requests == 0 || s.snapshot {
            return;
        }
        s.requests = s.requests.saturating_sub(self.requests);
        s.exact = s.exact.saturating_sub(self.exact);
        s.inferred = s.inferred.saturating_sub(self.inferred);
        s.outcome_counts.subtract(&self.outcomes);
        for (h, n) in &self.hresults {
            if let Some(c) = s.hresult_counts.get_mut(h) {
                *c = c.saturating_sub(*n);
            }
        }
        s.hresult_counts.retain(|_, c| *c > 0);
        crate::correlate::fill_totals(s);
        s.unreported_requests = self.requests;
    }
}

impl<'a> Watch<'a> {
    fn new(rules: &'a StopRules) -> Self {
        Watch {
            rules,
            requests: 0,
            ended: None,
            time_warned: false,
            unreported: Unreported::default(),
        }
    }

    /// Takes the correlator's records through the filter and watches them
    /// for `--fail-on` and `--until`; returns what is to be rendered, in
    /// `spare` (a vector to reuse). Once a rule has ended the run, only the
    /// (final) summary still goes out.
    fn select(
        &mut self,
        correlator: &mut Correlator,
        filter: &RequestFilter,
        diag: &mut dyn Write,
        spare: Vec<Record>,
    ) -> io::Result<Vec<Record>> {
        // In place: records stay where the correlator put them.
        let mut records = correlator.swap_records(spare);
        let mut failed = Ok(());
        records.retain_mut(|r| {
            if self.ended.is_some() {
                return match r {
                    Record::Summary(s) => {
                        s.interrupted = true;
                        self.unreported.discount(s);
                        true
                    }
                    Record::Request(q) => {
                        self.unreported.add(q);
                        false
                    }
                    // `certs`: the certificates of what was read.
                    Record::Certificate(_) => filter.certificates_only,
                    _ => false,
                };
            }
            let keep = match filter.keeps_in_time(r) {
                Some(k) => k,
                None => {
                    if !self.time_warned {
                        self.time_warned = true;
                        let kind = crate::watch::record_time(r)
                            .map(|t| t.kind().as_str())
                            .unwrap_or("unknown");
                        if let Err(e) = writeln!(
                            diag,
                            "certtrace: warning: --since/--until-time cannot be compared with \
                             this capture's {kind} times; such records are all shown"
                        ) {
                            failed = Err(e);
                        }
                    }
                    true
                }
            };
            if !keep {
                if self.rules.alert(r) && filter.watches_unshown(r) {
                    self.ended = Some(Status::Alert);
                }
                return false;
            }
            if matches!(r, Record::Request(_)) {
                self.requests += 1;
                if self
                    .rules
                    .until_requests
                    .is_some_and(|n| self.requests >= n)
                {
                    self.ended = Some(Status::Stopped);
                }
            }
            if self.rules.alert(r) {
                self.ended = Some(Status::Alert);
            }
            true
        });
        failed.map(|()| records)
    }
}

/// `--pid`: events of other pids are left out; when every event was, that
/// is said (else the run would end in 0 requests without a word).
struct PidFilter {
    pid: Option<u32>,
    kept: u64,
    left_out: u64,
    /// Some of the pids left out, and where the first one was.
    pids: std::collections::BTreeSet<u32>,
    first: Option<crate::input::event::Origin>,
}

impl PidFilter {
    fn new(pid: Option<u32>) -> Self {
        PidFilter {
            pid,
            kept: 0,
            left_out: 0,
            pids: Default::default(),
            first: None,
        }
    }

    #[inline]
    fn keeps(&mut self, ev: &crate::input::event::TraceEvent) -> bool {
        let Some(want) = self.pid else {
            return true;
        };
        match ev.pid {
            Some(p) if p != want => {
                self.left_out += 1;
                if self.pids.len() < 8 {
                    self.pids.insert(p);
                }
                self.first.get_or_insert(ev.origin);
                false
            }
            _ => {
                self.kept += 1;
                true
            }
        }
    }

    /// The problem to report when `--pid` left out every event.
    fn nothing_kept(&self) -> Option<crate::input::InputProblem> {
        let (Some(want), Some(origin)) = (self.pid, self.first) else {
            return None;
        };
        if self.kept > 0 {
            return None;
        }
        let pids: Vec<String> = self.pids.iter().map(u32::to_string).collect();
        Some(crate::input::InputProblem {
            origin,
            kind: crate::input::ProblemKind::NoModuleMessages,
            detail: format!(
                "--pid {want}: all {} events are of other pids ({}{}); drop --pid or name one \
                 of those",
                self.left_out,
                pids.join(", "),
                if self.pids.len() >= 8 { ", ..." } else { "" }
            ),
        })
    }
}
