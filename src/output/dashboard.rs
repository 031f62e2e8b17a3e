//! The live dashboard: a full-screen view redrawn in place at a steady rate
//! while following captures (crossterm, alternate screen, raw mode).
//!
//! The view is computed by [`DashState::frame`] as plain lines for a given
//! width and height, so it is tested without a terminal; the renderer only
//! positions those lines on the screen, reads keys and follows resizes.
//! `q`, Esc or Ctrl-C leave the alternate screen and print the final
//! summary (the table renderer's) on the normal screen.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::style::{Color, ResetColor, SetForegroundColor};
use crossterm::{cursor, execute, queue, terminal};

use crate::output::Renderer;
use crate::output::table::{self, TableOptions, fit, short_time, shorten_uri};
use crate::record::{InstanceRecord, Outcome, Record, RequestRecord, Summary};

/// Rates are computed over this window.
const RATE_WINDOW: f64 = 10.0;
const KEEP_LATEST: usize = 500;
const KEEP_FAILURES: usize = 200;
const KEEP_EVENTS: usize = 200;
const KEEP_CERTS: usize = 1000;

/// How the dashboard runs.
#[derive(Debug, Clone)]
pub struct DashOptions {
    /// Input names for the title line.
    pub inputs: Vec<String>,
    pub color: bool,
    /// Redraw period.
    pub frame: Duration,
    /// Take over the terminal (raw mode, alternate screen, keys). Off for
    /// tests and when the output is not a terminal.
    pub terminal: bool,
    /// Set on `q` / Ctrl-C: stops the pipeline.
    pub stop: Option<Arc<AtomicBool>>,
    /// Set on `q` (not Ctrl-C): the user ended the run (exit 0).
    pub quit: Option<Arc<AtomicBool>>,
}

impl Default for DashOptions {
    fn default() -> Self {
        DashOptions {
            inputs: Vec::new(),
            color: false,
            frame: Duration::from_millis(200),
            terminal: false,
            stop: None,
            quit: None,
        }
    }
}

/// Which requests the lists show (keys `o`, `i`, `c`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeFilter {
    Failures,
    Only(Outcome),
}

impl OutcomeFilter {
    fn keeps(self, o: Outcome) -> bool {
        match self {
            OutcomeFilter::Failures => o.is_failure(),
            OutcomeFilter::Only(x) => x == o,
        }
    }
    fn name(self) -> &'static str {
        match self {
            OutcomeFilter::Failures => "failures",
            OutcomeFilter::Only(o) => o.as_str(),
        }
    }
}

/// Width of a rate bucket, seconds.
const BUCKET: f64 = 0.5;

/// Requests that arrived in one [`BUCKET`].
#[derive(Debug, Clone, Default)]
struct Bucket {
    index: i64,
    total: usize,
    by_outcome: [usize; Outcome::ALL.len()],
    by_instance: BTreeMap<String, usize>,
}

fn outcome_index(o: Outcome) -> usize {
    Outcome::ALL.iter().position(|x| *x == o).unwrap_or(0)
}

/// A notable event (gap, recycle, module error, input problem).
#[derive(Debug, Clone)]
struct Note {
    at: f64,
    kind: &'static str,
    text: String,
}

#[derive(Debug, Clone, Default)]
struct CertSeen {
    count: u64,
    last_instance: String,
    last_time: String,
}

/// Everything the dashboard shows, built from the records.
#[derive(Debug, Clone, Default)]
pub struct DashState {
    pub inputs: Vec<String>,
    requests: u64,
    outcomes: BTreeMap<Outcome, u64>,
    /// Requests by arrival time (dashboard clock), in buckets of
    /// [`BUCKET`] seconds over the rate window.
    recent: VecDeque<Bucket>,
    per_instance: BTreeMap<String, u64>,
    latest: VecDeque<RequestRecord>,
    failures: VecDeque<RequestRecord>,
    notes: VecDeque<Note>,
    /// By certificate: its name when identified (`--certs`), else its size
    /// (a chained CRC differs for every request, so it cannot group).
    certs: BTreeMap<String, CertSeen>,
    pids: BTreeSet<u32>,
    gaps: u64,
    missing: u64,
    recycles: u64,
    problems: u64,
    /// Live ETW capture: times the session's lost-event counters moved.
    etw_losses: u64,
    module_errors: u64,
    pub paused: bool,
    /// Requests that arrived while paused.
    pub new_while_paused: u64,
    pub pid_filter: Option<u32>,
    pub outcome_filter: Option<OutcomeFilter>,
    pub instances: Vec<InstanceRecord>,
    pub summary: Option<Summary>,
}

/// Colour hint of a frame line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Title,
    Section,
    Good,
    Warn,
    Bad,
    Dim,
}

/// One line of a frame: text no wider than the frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameLine {
    pub text: String,
    pub tone: Tone,
}

fn line(text: impl AsRef<str>, width: u16, tone: Tone) -> FrameLine {
    FrameLine {
        text: fit(text.as_ref(), width),
        tone,
    }
}

fn rate(n: usize, span: f64) -> String {
    format!("{:.1}/s", n as f64 / span.max(1.0))
}

impl DashState {
    pub fn new(inputs: Vec<String>) -> DashState {
        DashState {
            inputs,
            ..DashState::default()
        }
    }

    /// Takes one record, arriving at `now` seconds on the dashboard clock.
    pub fn record(&mut self, r: &Record, now: f64) {
        match r {
            Record::Request(q) => {
                self.requests += 1;
                if self.paused {
                    self.new_while_paused += 1;
                }
                *self.outcomes.entry(q.outcome).or_insert(0) += 1;
                let inst = q.instance.to_string();
                let index = (now / BUCKET).floor() as i64;
                if self.recent.back().is_none_or(|b| b.index != index) {
                    self.recent.push_back(Bucket {
                        index,
                        ..Bucket::default()
                    });
                }
                if let Some(b) = self.recent.back_mut() {
                    b.total += 1;
                    b.by_outcome[outcome_index(q.outcome)] += 1;
                    *b.by_instance.entry(inst.clone()).or_insert(0) += 1;
                }
                *self.per_instance.entry(inst).or_insert(0) += 1;
                if let Some(p) = q.pid {
                    self.pids.insert(p);
                }
                let label = match (&q.cert, q.cert_size) {
                    (Some(c), _) => Some(c.cert.display_name().to_string()),
                    (None, Some(size)) => Some(format!("unidentified, {size} bytes")),
                    (None, None) => None,
                };
                if let Some(label) = label
                    && (self.certs.len() < KEEP_CERTS || self.certs.contains_key(&label))
                {
                    let c = self.certs.entry(label).or_default();
                    c.count += 1;
                    c.last_instance = q.instance.to_string();
                    c.last_time = short_time(q.time.as_ref());
                }
                if q.outcome.is_failure() {
                    push_capped(&mut self.failures, (**q).clone(), KEEP_FAILURES);
                }
                push_capped(&mut self.latest, (**q).clone(), KEEP_LATEST);
            }
            Record::Gap(g) => {
                self.gaps += 1;
                self.missing += g.missing;
                let text = if g.from_cnt == g.to_cnt {
                    format!("{} cnt {} never printed", g.instance, g.from_cnt)
                } else {
                    format!(
                        "{} cnt {}..{} never printed ({} requests)",
                        g.instance, g.from_cnt, g.to_cnt, g.missing
                    )
                };
                self.note(now, "gap", text);
            }
            Record::Recycle(r) => {
                self.recycles += 1;
                let text = match &r.previous {
                    Some(p) => format!("{} replaces {p} ({})", r.instance, r.reason.describe()),
                    None => format!("{} module loaded", r.instance),
                };
                self.note(now, "recycle", text.to_lowercase());
            }
            Record::ModuleError(m) => {
                self.module_errors += 1;
                let name = m.hresult_name.as_deref().unwrap_or("");
                self.note(now, "module error", format!("{name} {}", m.text));
            }
            Record::Problem(p) => {
                self.problems += 1;
                let kind = if p.kind == "events_lost" {
                    self.etw_losses += 1;
                    "etw lost"
                } else {
                    "input"
                };
                self.note(now, kind, format!("{}: {}", p.source, p.detail));
            }
            Record::Instance(i) => self.instances.push((**i).clone()),
            Record::Summary(s) => {
                if !s.snapshot {
                    self.summary = Some((**s).clone());
                }
            }
            Record::Orphan(_) | Record::Unknown(_) | Record::Certificate(_) => {}
        }
    }

    fn note(&mut self, at: f64, kind: &'static str, text: String) {
        push_capped(&mut self.notes, Note { at, kind, text }, KEEP_EVENTS);
    }

    /// Drops arrivals older than the rate window.
    fn expire(&mut self, now: f64) {
        while self
            .recent
            .front()
            .is_some_and(|b| (b.index as f64 + 1.0) * BUCKET <= now - RATE_WINDOW)
        {
            self.recent.pop_front();
        }
    }

    fn shows(&self, q: &RequestRecord) -> bool {
        self.pid_filter.is_none_or(|p| q.pid == Some(p))
            && self.outcome_filter.is_none_or(|f| f.keeps(q.outcome))
    }

    /// Key `o`: all → failures → each outcome → all.
    pub fn cycle_outcome(&mut self) {
        self.outcome_filter = match self.outcome_filter {
            None => Some(OutcomeFilter::Failures),
            Some(OutcomeFilter::Failures) => Some(OutcomeFilter::Only(Outcome::ALL[0])),
            Some(OutcomeFilter::Only(o)) => {
                let i = Outcome::ALL.iter().position(|x| *x == o).unwrap_or(0);
                Outcome::ALL.get(i + 1).map(|o| OutcomeFilter::Only(*o))
            }
        };
    }

    /// Key `i`: all → each pid seen → all.
    pub fn cycle_pid(&mut self) {
        self.pid_filter = match self.pid_filter {
            None => self.pids.iter().next().copied(),
            Some(p) => self.pids.range(p + 1..).next().copied(),
        };
    }

    /// The screen for a terminal of `width` × `height`, at `now` seconds on
    /// the dashboard clock (`started` is when the dashboard started): the
    /// header lines, the latest requests and the sections that fit, the
    /// key help.
    pub fn frame(&mut self, width: u16, height: u16, now: f64, started: f64) -> Vec<FrameLine> {
        self.expire(now);
        let w = width.max(20);
        let span = (now - started).clamp(0.0, RATE_WINDOW);
        let top = vec![
            line(self.title(now, started), w, Tone::Title),
            self.stats_line(w, span),
            self.outcomes_line(w, span),
            line(self.instances_text(span), w, Tone::Plain),
        ];
        let footer = line(
            "q quit · p pause · i pid filter · o outcome filter · c clear filters",
            w,
            Tone::Dim,
        );
        let body = (height as usize).saturating_sub(top.len() + 1);
        // Optional sections, dropped when the screen is short; the
        // latest-requests table needs 4 lines at least.
        let mut left = body.saturating_sub(4);
        let mut shown_sections = Vec::new();
        for (title, lines) in self.sections(w, now) {
            let need = 1 + lines.len();
            let need = if left >= need {
                need
            } else if left >= 2 {
                left
            } else {
                0
            };
            if need == 0 {
                continue;
            }
            left -= need;
            let mut v = vec![section(&title, w)];
            v.extend(lines.into_iter().take(need - 1));
            shown_sections.push(v);
        }
        let table_rows = body.saturating_sub(shown_sections.iter().map(Vec::len).sum::<usize>());
        let mut out = top;
        if table_rows >= 2 {
            let end = out.len() + table_rows;
            out.push(section("latest requests", w));
            out.extend(self.table(w, table_rows - 1));
            while out.len() < end {
                out.push(line("", w, Tone::Plain));
            }
        }
        for s in shown_sections {
            out.extend(s);
        }
        out.truncate((height as usize).saturating_sub(1));
        while out.len() + 1 < height as usize {
            out.push(line("", w, Tone::Plain));
        }
        out.push(footer);
        out
    }

    /// `certtrace live · INPUT · up HH:MM:SS`, and the view's state.
    fn title(&self, now: f64, started: f64) -> String {
        let up = (now - started).max(0.0) as u64;
        let inputs = match self.inputs.len() {
            0 => String::new(),
            1 => self.inputs[0].clone(),
            n => format!("{} +{} more", self.inputs[0], n - 1),
        };
        let mut title = format!(
            "certtrace live · {inputs} · up {:02}:{:02}:{:02}",
            up / 3600,
            up / 60 % 60,
            up % 60
        );
        if self.paused {
            title.push_str(&format!(" · PAUSED ({} new)", self.new_while_paused));
        }
        if let Some(p) = self.pid_filter {
            title.push_str(&format!(" · pid={p}"));
        }
        if let Some(f) = self.outcome_filter {
            title.push_str(&format!(" · outcome={}", f.name()));
        }
        title
    }

    /// Totals and the request rate.
    fn stats_line(&self, w: u16, span: f64) -> FrameLine {
        let mut stats = format!(
            "requests {} · {} · instances {} · recycles {} · gaps {} ({} missing) · module errors {} · problems {}",
            self.requests,
            rate(self.recent.iter().map(|b| b.total).sum(), span),
            self.per_instance.len(),
            self.recycles,
            self.gaps,
            self.missing,
            self.module_errors,
            self.problems
        );
        if self.etw_losses > 0 {
            stats.push_str(&format!(" · ETW events lost ({} reports)", self.etw_losses));
        }
        let tone = if self.gaps + self.module_errors + self.problems > 0 {
            Tone::Warn
        } else {
            Tone::Plain
        };
        line(stats, w, tone)
    }

    /// Requests and rates per outcome.
    fn outcomes_line(&self, w: u16, span: f64) -> FrameLine {
        let mut parts = Vec::new();
        for o in Outcome::ALL {
            let n = self.outcomes.get(&o).copied().unwrap_or(0);
            if n == 0 {
                continue;
            }
            let r = self
                .recent
                .iter()
                .map(|b| b.by_outcome[outcome_index(o)])
                .sum();
            parts.push(format!("{} {n} ({})", o.as_str(), rate(r, span)));
        }
        let outcomes = if parts.is_empty() {
            "outcomes: none yet".to_string()
        } else {
            format!("outcomes: {}", parts.join(" · "))
        };
        let tone = if self.outcomes.keys().any(|o| o.is_failure()) {
            Tone::Bad
        } else {
            Tone::Good
        };
        line(outcomes, w, tone)
    }

    /// Rate and requests per worker-process instance, busiest first.
    fn instances_text(&self, span: f64) -> String {
        let mut per: BTreeMap<&str, usize> = BTreeMap::new();
        for b in &self.recent {
            for (i, n) in &b.by_instance {
                *per.entry(i.as_str()).or_insert(0) += n;
            }
        }
        let mut insts: Vec<(&String, &u64)> = self.per_instance.iter().collect();
        insts.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let inst_text: Vec<String> = insts
            .iter()
            .map(|(i, n)| {
                format!(
                    "{i} {} ({n})",
                    rate(per.get(i.as_str()).copied().unwrap_or(0), span)
                )
            })
            .collect();
        if inst_text.is_empty() {
            "per instance: none yet".to_string()
        } else {
            format!("per instance: {}", inst_text.join(" · "))
        }
    }

    /// The optional sections (title, lines): recent failures, notable
    /// events, certificates seen.
    fn sections(&self, w: u16, now: f64) -> [(String, Vec<FrameLine>); 3] {
        let none = || vec![line("  none", w, Tone::Dim)];
        let failures: Vec<FrameLine> = self
            .failures
            .iter()
            .rev()
            .filter(|q| self.shows(q))
            .take(4)
            .map(|q| line(failure_text(q), w, Tone::Bad))
            .collect();
        let notes: Vec<FrameLine> = self
            .notes
            .iter()
            .rev()
            .take(4)
            .map(|n| {
                let ago = (now - n.at).max(0.0);
                line(
                    format!("{:>5.0}s ago  {:<12} {}", ago, n.kind, n.text),
                    w,
                    Tone::Warn,
                )
            })
            .collect();
        let mut certs: Vec<(&String, &CertSeen)> = self.certs.iter().collect();
        certs.sort_by(|a, b| {
            b.1.count
                .cmp(&a.1.count)
                .then(b.1.last_time.cmp(&a.1.last_time))
        });
        let certs: Vec<FrameLine> = certs
            .iter()
            .take(3)
            .map(|(label, c)| {
                line(
                    format!(
                        "  {label} · seen {}× · last {} {}",
                        c.count, c.last_instance, c.last_time
                    ),
                    w,
                    Tone::Plain,
                )
            })
            .collect();
        let or_none = |v: Vec<FrameLine>| if v.is_empty() { none() } else { v };
        [
            (
                format!("recent failures ({})", self.failures.len()),
                or_none(failures),
            ),
            (
                format!(
                    "gaps, recycles, errors, input problems ({})",
                    self.notes.len()
                ),
                or_none(notes),
            ),
            (
                format!("certificates seen ({})", self.certs.len()),
                or_none(certs),
            ),
        ]
    }

    /// The latest requests, newest last, as a header and `rows - 1` rows.
    fn table(&self, w: u16, rows: usize) -> Vec<FrameLine> {
        let full = w >= 100;
        let mid = w >= 64;
        let head = |time: &str, inst: &str, cnt: &str, outcome: &str, detail: &str| {
            let mut s = String::new();
            if mid {
                s.push_str(&format!("{:<14} ", fit(time, 14)));
            }
            s.push_str(&format!("{:<9} {:>6} {:<16} ", fit(inst, 9), cnt, outcome));
            if full {
                s.push_str(&format!("{:<24} ", fit(detail, 24)));
            }
            s
        };
        let h = head("time", "instance", "cnt", "outcome", "cert / hresult");
        let uri_w = (w as usize).saturating_sub(h.chars().count()).max(8);
        let mut v = vec![line(format!("{h}uri"), w, Tone::Dim)];
        let shown: Vec<&RequestRecord> = self.latest.iter().filter(|q| self.shows(q)).collect();
        let n = rows.saturating_sub(1);
        for q in shown.iter().skip(shown.len().saturating_sub(n)) {
            let detail = match (q.cert_size, q.cert_crc, &q.hresult_name) {
                (Some(s), Some(c), _) => format!("{s} B crc {c}"),
                (Some(s), None, _) => format!("{s} B"),
                (_, _, Some(name)) => name.to_string(),
                _ => String::new(),
            };
            let mark = if q.assignment == crate::record::Assignment::Inferred {
                "~"
            } else {
                ""
            };
            let text = format!(
                "{}{}",
                head(
                    &short_time(q.time.as_ref()),
                    &q.instance.to_string(),
                    &format!("{mark}{}", q.cnt),
                    q.outcome.as_str(),
                    &detail
                ),
                shorten_uri(&q.uri, uri_w)
            );
            let tone = match q.outcome {
                Outcome::CertOk => Tone::Good,
                o if o.is_failure() => Tone::Bad,
                Outcome::Incomplete | Outcome::NoCert => Tone::Warn,
                _ => Tone::Plain,
            };
            v.push(line(text, w, tone));
        }
        if shown.is_empty() {
            v.push(line("  waiting for requests…", w, Tone::Dim));
        }
        v
    }
}

fn section(title: &str, w: u16) -> FrameLine {
    let head = format!("── {title} ");
    let n = (w as usize).saturating_sub(head.chars().count());
    line(format!("{head}{}", "─".repeat(n)), w, Tone::Section)
}

fn push_capped<T>(q: &mut VecDeque<T>, x: T, cap: usize) {
    if q.len() >= cap {
        q.pop_front();
    }
    q.push_back(x);
}

/// One failed request in the recent-failures section.
fn failure_text(q: &RequestRecord) -> String {
    let hr = match (&q.hresult, &q.hresult_name) {
        (Some(h), Some(n)) => format!("{h} {n}"),
        (Some(h), None) => h.to_string(),
        _ => String::new(),
    };
    format!(
        "{} {} cnt {} {} {} — {} · {}",
        short_time(q.time.as_ref()),
        q.instance,
        q.cnt,
        q.outcome.as_str(),
        hr,
        q.hresult_hint.as_deref().unwrap_or(""),
        q.uri
    )
}

/// Renders a frame as plain text (tests, `--format dashboard` snapshots).
pub fn frame_text(lines: &[FrameLine]) -> String {
    let mut s = String::new();
    for l in lines {
        s.push_str(l.text.trim_end());
        s.push('\n');
    }
    s
}

/// The dashboard as a [`Renderer`].
pub struct DashboardRenderer<W: Write> {
    out: W,
    opts: DashOptions,
    state: DashState,
    /// What is drawn while paused.
    frozen: Option<DashState>,
    started: Instant,
    last_draw: Option<Instant>,
    last_keys: Instant,
    size: (u16, u16),
    active: bool,
}

impl<W: Write> DashboardRenderer<W> {
    pub fn new(out: W, opts: DashOptions) -> Self {
        let mut r = DashboardRenderer {
            out,
            state: DashState::new(opts.inputs.clone()),
            opts,
            frozen: None,
            started: Instant::now(),
            last_draw: None,
            last_keys: Instant::now(),
            size: (80, 24),
            active: false,
        };
        if r.opts.terminal {
            r.size = terminal::size().unwrap_or((80, 24));
            if terminal::enable_raw_mode().is_ok() {
                r.active = true;
                let _ = execute!(r.out, terminal::EnterAlternateScreen, cursor::Hide);
            }
        }
        r
    }

    fn now(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    fn restore(&mut self) -> io::Result<()> {
        if self.active {
            self.active = false;
            execute!(
                self.out,
                ResetColor,
                cursor::Show,
                terminal::LeaveAlternateScreen
            )?;
            terminal::disable_raw_mode()?;
        }
        Ok(())
    }

    fn quit(&mut self) {
        if let Some(s) = &self.opts.stop {
            s.store(true, Ordering::SeqCst);
        }
        if let Some(q) = &self.opts.quit {
            q.store(true, Ordering::SeqCst);
        }
    }

    fn keys(&mut self) -> io::Result<()> {
        let mut redraw = false;
        // Not a zero timeout: crossterm's /dev/tty event source (the
        // `use-dev-tty` feature, chosen because its mio source can drop a
        // key that arrives together with a resize) polls only for a
        // non-zero timeout.
        while event::poll(Duration::from_millis(1))? {
            match event::read()? {
                Event::Key(k) if k.kind != KeyEventKind::Release => {
                    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
                    match k.code {
                        // Ctrl-C ends as elsewhere (exit 130); `q` is a
                        // normal end (exit 0).
                        KeyCode::Char('c') if ctrl => {
                            if let Some(s) = &self.opts.stop {
                                s.store(true, Ordering::SeqCst);
                            }
                        }
                        KeyCode::Char('q') | KeyCode::Esc => self.quit(),
                        KeyCode::Char('p') | KeyCode::Char(' ') => {
                            self.state.paused = !self.state.paused;
                            self.state.new_while_paused = 0;
                            self.frozen = if self.state.paused {
                                Some(self.state.clone())
                            } else {
                                None
                            };
                        }
                        KeyCode::Char('i') => self.state.cycle_pid(),
                        KeyCode::Char('o') => self.state.cycle_outcome(),
                        KeyCode::Char('c') => {
                            self.state.pid_filter = None;
                            self.state.outcome_filter = None;
                        }
                        _ => {}
                    }
                    if let Some(f) = &mut self.frozen {
                        f.paused = self.state.paused;
                        f.pid_filter = self.state.pid_filter;
                        f.outcome_filter = self.state.outcome_filter;
                    }
                    redraw = true;
                }
                Event::Resize(w, h) => {
                    self.size = (w, h);
                    queue!(self.out, terminal::Clear(terminal::ClearType::All))?;
                    redraw = true;
                }
                _ => {}
            }
        }
        if redraw {
            self.draw()?;
        }
        Ok(())
    }

    fn draw(&mut self) -> io::Result<()> {
        self.last_draw = Some(Instant::now());
        if let Ok(size) = terminal::size()
            && size != self.size
        {
            self.size = size;
            queue!(self.out, terminal::Clear(terminal::ClearType::All))?;
        }
        let (w, h) = self.size;
        let now = self.now();
        let lines = match &mut self.frozen {
            Some(f) => {
                f.new_while_paused = self.state.new_while_paused;
                f.frame(w, h, now, 0.0)
            }
            None => self.state.frame(w, h, now, 0.0),
        };
        queue!(self.out, cursor::MoveTo(0, 0))?;
        for (y, l) in lines.iter().enumerate() {
            queue!(self.out, cursor::MoveTo(0, y as u16))?;
            if self.opts.color {
                let c = match l.tone {
                    Tone::Plain => None,
                    Tone::Title => Some(Color::Cyan),
                    Tone::Section => Some(Color::Blue),
                    Tone::Good => Some(Color::Green),
                    Tone::Warn => Some(Color::Yellow),
                    Tone::Bad => Some(Color::Red),
                    Tone::Dim => Some(Color::DarkGrey),
                };
                if let Some(c) = c {
                    queue!(self.out, SetForegroundColor(c))?;
                }
            }
            self.out.write_all(l.text.as_bytes())?;
            if self.opts.color {
                queue!(self.out, ResetColor)?;
            }
            queue!(self.out, terminal::Clear(terminal::ClearType::UntilNewLine))?;
        }
        self.out.flush()
    }
}

impl<W: Write> Renderer for DashboardRenderer<W> {
    fn record(&mut self, record: &Record) -> io::Result<()> {
        let now = self.now();
        self.state.record(record, now);
        Ok(())
    }

    fn idle(&mut self) -> io::Result<()> {
        if !self.active {
            return Ok(());
        }
        if self.last_keys.elapsed() >= Duration::from_millis(15) {
            self.last_keys = Instant::now();
            self.keys()?;
        }
        if self
            .last_draw
            .is_none_or(|t| t.elapsed() >= self.opts.frame)
        {
            self.draw()?;
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.restore()?;
        // The final summary on the normal screen, as the table shows it.
        let width = if self.opts.terminal {
            TableOptions::terminal_width()
        } else {
            120
        };
        let mut t = table::TableRenderer::new(
            &mut self.out,
            TableOptions {
                width,
                color: self.opts.color,
                ..TableOptions::default()
            },
        );
        for i in &self.state.instances {
            t.record(&Record::Instance(Box::new(i.clone())))?;
        }
        if let Some(s) = &self.state.summary {
            t.record(&Record::Summary(Box::new(s.clone())))?;
        }
        t.finish()?;
        self.out.flush()
    }
}

impl<W: Write> Drop for DashboardRenderer<W> {
    fn drop(&mut self) {
        let _ = self.restore();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::correlate::{CorrelateOptions, correlate_all};
    use crate::input::event::{EventTime, TraceEvent};

    fn records() -> Vec<Record> {
        let lines = [
            (
                5120,
                "Line: 28 rMsg1638: cnt = 1 URI: https://shop.example:443/login",
            ),
            (
                5120,
                "Line: 45 rMsg1638: cert size: 1042 Previously negotiated 1",
            ),
            (5120, "Line: 49 rMsg1638: cert crc: 2844112431"),
            (
                5120,
                "Line: 28 rMsg1638: cnt = 2 URI: http://shop.example:80/",
            ),
            (5120, "Line: 32 rMsg1638: connection is not using SSL"),
            (
                6044,
                "Line: 28 rMsg1638: cnt = 7 URI: https://api.example:443/v1",
            ),
            (6044, "Line: 40 rMsg1638: HR = 80070490  Cert not found"),
            (
                6044,
                "Line: 28 rMsg1638: cnt = 9 URI: https://api.example:443/v2",
            ),
            (6044, "Line: 40 rMsg1638: No client certificate. fccNeg = 1"),
        ];
        let evs: Vec<TraceEvent> = lines
            .iter()
            .enumerate()
            .map(|(i, (pid, text))| {
                let mut e =
                    TraceEvent::new(*text, crate::correlate::line_origin("t", i as u64 + 1));
                e.pid = Some(*pid);
                e.time = Some(EventTime::Elapsed(i as f64 * 0.01));
                e
            })
            .collect();
        correlate_all(&evs, CorrelateOptions::default())
    }

    fn state() -> DashState {
        let mut s = DashState::new(vec!["capture.log".into()]);
        for r in records() {
            s.record(&r, 1.0);
        }
        s
    }

    #[test]
    fn frame_shows_rates_failures_gaps_and_certs() {
        let mut s = state();
        let f = s.frame(120, 30, 2.0, 0.0);
        assert_eq!(f.len(), 30);
        assert!(f.iter().all(|l| l.text.chars().count() <= 120));
        let text = frame_text(&f);
        assert!(text.contains("requests 4 · 2.0/s"), "{text}");
        assert!(text.contains("cert_ok 1 (0.5/s)"), "{text}");
        assert!(text.contains("5120#1 1.0/s (2)"), "{text}");
        assert!(
            text.contains("cert_not_found 80070490 ERROR_NOT_FOUND"),
            "{text}"
        );
        assert!(text.contains("6044#1 cnt 8 never printed"), "{text}");
        assert!(
            text.contains("unidentified, 1042 bytes · seen 1×"),
            "{text}"
        );
        assert!(text.contains("https://api.example:443/v2"), "{text}");
        assert!(text.ends_with("c clear filters\n"), "{text}");
    }

    #[test]
    fn frame_fits_small_and_narrow_screens() {
        let mut s = state();
        for (w, h) in [(40, 10), (60, 8), (200, 50), (20, 3)] {
            let f = s.frame(w, h, 2.0, 0.0);
            assert_eq!(f.len(), h as usize, "{w}x{h}");
            assert!(
                f.iter()
                    .all(|l| l.text.chars().count() <= w.max(20) as usize),
                "{w}x{h}"
            );
        }
        let text = frame_text(&s.frame(40, 12, 2.0, 0.0));
        assert!(text.contains("latest requests"), "{text}");
        assert!(!text.contains("certificates seen"), "{text}");
    }

    #[test]
    fn filters_by_pid_and_outcome() {
        let mut s = state();
        s.cycle_pid();
        assert_eq!(s.pid_filter, Some(5120));
        let text = frame_text(&s.frame(120, 30, 2.0, 0.0));
        assert!(text.contains("pid=5120"));
        assert!(!text.contains("api.example:443/v2"), "{text}");
        s.cycle_pid();
        assert_eq!(s.pid_filter, Some(6044));
        s.cycle_pid();
        assert_eq!(s.pid_filter, None);
        s.cycle_outcome();
        let text = frame_text(&s.frame(120, 30, 2.0, 0.0));
        assert!(text.contains("outcome=failures"));
        assert!(!text.contains("shop.example:443/login"), "{text}");
        assert!(text.contains("api.example:443/v1"), "{text}");
    }

    #[test]
    fn etw_losses_are_shown() {
        let mut s = state();
        let lost = Record::Problem(Box::new(crate::record::ProblemRecord {
            kind: "events_lost",
            detail: "the ETW session lost 12 event(s)".into(),
            source: crate::input::event::Origin {
                input: "etw:x".into(),
                position: crate::input::event::Position::Sequence(3),
            },
        }));
        s.record(&lost, 1.0);
        let text = frame_text(&s.frame(160, 30, 2.0, 0.0));
        assert!(text.contains("ETW events lost (1 reports)"), "{text}");
        assert!(text.contains("the ETW session lost 12 event(s)"), "{text}");
    }

    #[test]
    fn rates_expire() {
        let mut s = state();
        let text = frame_text(&s.frame(120, 30, 30.0, 0.0));
        assert!(text.contains("requests 4 · 0.0/s"), "{text}");
    }

    #[test]
    fn renderer_without_terminal_prints_the_summary_at_the_end() {
        let mut out = Vec::new();
        {
            let mut r = DashboardRenderer::new(&mut out, DashOptions::default());
            for rec in records() {
                r.record(&rec).unwrap();
            }
            r.idle().unwrap();
            r.finish().unwrap();
        }
        let s = String::from_utf8(out).unwrap();
        assert!(
            s.contains("4 requests in 2 worker-process instances"),
            "{s}"
        );
    }
}
