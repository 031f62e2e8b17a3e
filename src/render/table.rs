//! Tables for people: request rows as they come (fixed column widths fitted
//! to the terminal, so chunks printed while the input streams stay aligned),
//! then per worker-process, per-HRESULT and notable-event tables and a
//! one-paragraph verdict.

use std::io::{self, Write};

use comfy_table::{
    Attribute, Cell, CellAlignment, Color, ColumnConstraint, ContentArrangement, Table, Width,
    presets,
};

use crate::event::EventTime;
use crate::record::{
    Assignment, InstanceRecord, Outcome, Record, RequestRecord, Summary, UnknownRecord,
};
use crate::render::Renderer;

#[derive(Debug, Clone)]
pub struct TableOptions {
    /// Output width in columns.
    pub width: u16,
    pub color: bool,
    /// Rows kept before a chunk is printed even if the input does not pause.
    pub chunk_rows: usize,
    /// At most this many notable events are listed.
    pub max_notable: usize,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            width: 120,
            color: false,
            chunk_rows: 500,
            max_notable: 30,
        }
    }
}

impl TableOptions {
    /// Width of the terminal on stdout, else 120.
    pub fn terminal_width() -> u16 {
        crossterm::terminal::size()
            .map(|(w, _)| w)
            .ok()
            .filter(|w| *w >= 40)
            .unwrap_or(120)
    }
}

const TIME_W: u16 = 15;
const INSTANCE_W: u16 = 9;
const CNT_W: u16 = 7;
const OUTCOME_W: u16 = 16;
const HRESULT_W: u16 = 22;
const CERT_W: u16 = 17;
const MIN_URI_W: u16 = 20;

pub struct TableRenderer<W: Write> {
    out: W,
    opts: TableOptions,
    pending: Vec<RequestRecord>,
    header_done: bool,
    instances: Vec<InstanceRecord>,
    notable: Vec<(String, String, String)>,
    notable_total: usize,
    unknown: Vec<UnknownRecord>,
    certificates: Vec<crate::certs::CertSummary>,
    summary: Option<Summary>,
    any_inferred: bool,
}

impl<W: Write> TableRenderer<W> {
    pub fn new(out: W, opts: TableOptions) -> Self {
        TableRenderer {
            out,
            opts,
            pending: Vec::new(),
            header_done: false,
            instances: Vec::new(),
            notable: Vec::new(),
            notable_total: 0,
            unknown: Vec::new(),
            certificates: Vec::new(),
            summary: None,
            any_inferred: false,
        }
    }

    fn uri_width(&self) -> u16 {
        // Seven columns, each with one space of padding on both sides.
        let fixed = TIME_W + INSTANCE_W + CNT_W + OUTCOME_W + HRESULT_W + CERT_W + 7 * 2;
        self.opts.width.saturating_sub(fixed).max(MIN_URI_W)
    }

    /// A table with this renderer's colour decision applied.
    fn table(&self) -> Table {
        let mut t = Table::new();
        if self.opts.color {
            t.enforce_styling();
        } else {
            t.force_no_tty();
        }
        t
    }

    /// A boxed summary table fitted to the output width, with a header.
    fn summary_table(&self, header: Vec<&str>) -> Table {
        let mut t = self.table();
        t.load_style(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(self.opts.width)
            .set_header(header);
        t
    }

    fn cell(&self, text: impl Into<String>, color: Option<Color>) -> Cell {
        let c = Cell::new(text.into());
        match (self.opts.color, color) {
            (true, Some(col)) => c.fg(col),
            _ => c,
        }
    }

    fn flush_rows(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let uri_w = self.uri_width();
        let mut t = self.table();
        t.load_style(presets::NOTHING)
            .set_content_arrangement(ContentArrangement::Disabled);
        if !self.header_done {
            let header = [
                "TIME", "INSTANCE", "CNT", "OUTCOME", "HRESULT", "CERT", "URI",
            ];
            t.set_header(header.iter().map(|h| {
                let c = Cell::new(*h);
                if self.opts.color {
                    c.add_attribute(Attribute::Bold)
                } else {
                    c
                }
            }));
            self.header_done = true;
        }
        for r in std::mem::take(&mut self.pending) {
            let inferred = r.assignment == Assignment::Inferred;
            self.any_inferred |= inferred;
            let cnt = if inferred {
                format!("~{}", r.cnt)
            } else {
                r.cnt.to_string()
            };
            let cert = match (&r.cert, r.cert_size, r.cert_crc) {
                (Some(c), _, _) => {
                    let cn = c.cert.display_name();
                    if r.cert_warnings.is_empty() {
                        cn.to_string()
                    } else {
                        format!("{cn} (!)")
                    }
                }
                (None, s, c) => match (s, c) {
                    (Some(s), Some(c)) => format!("{s} / {c}"),
                    (Some(s), None) => format!("{s} / ?"),
                    (None, Some(c)) => format!("? / {c}"),
                    (None, None) => String::new(),
                },
            };
            let row = vec![
                self.cell(fit(&short_time(r.time.as_ref()), TIME_W), None),
                self.cell(fit(&r.instance.to_string(), INSTANCE_W), None),
                self.cell(fit(&cnt, CNT_W), None)
                    .set_alignment(CellAlignment::Right),
                self.cell(r.outcome.as_str(), Some(outcome_color(r.outcome))),
                self.cell(
                    fit(r.hresult_name.as_deref().unwrap_or(""), HRESULT_W),
                    r.hresult.map(|_| Color::Red),
                ),
                self.cell(fit(&cert, CERT_W), None),
                self.cell(shorten_uri(&r.uri, uri_w as usize), None),
            ];
            t.add_row(row);
        }
        let widths = [
            TIME_W, INSTANCE_W, CNT_W, OUTCOME_W, HRESULT_W, CERT_W, uri_w,
        ];
        t.set_constraints(
            widths
                .iter()
                .map(|w| ColumnConstraint::Absolute(Width::Fixed(*w + 2))),
        );
        writeln!(self.out, "{t}")?;
        self.out.flush()
    }

    fn note(&mut self, kind: &str, place: String, text: String) {
        self.notable_total += 1;
        if self.notable.len() < self.opts.max_notable {
            self.notable.push((kind.to_string(), place, text));
        }
    }

    fn summary_tables(&mut self) -> io::Result<()> {
        if !self.instances.is_empty() {
            let mut t = self.summary_table(vec![
                "INSTANCE",
                "START",
                "REQUESTS",
                "CERT OK",
                "NO CERT",
                "NOT FOUND",
                "FAILED",
                "HTTP",
                "INCOMPLETE",
                "MISSING",
                "DUP CNT",
                "~",
                "CRC",
                "ENDED",
            ]);
            for i in &self.instances {
                let o = |k: &str| i.outcomes.get(k).copied().unwrap_or(0);
                let failed = o("negotiate_failed") + o("get_cert_failed");
                let start = match i.start {
                    crate::record::InstanceStart::FirstSeen => "in capture",
                    crate::record::InstanceStart::ModuleLoad => "load",
                    crate::record::InstanceStart::CounterRestart => "cnt reset",
                };
                let num = |n: u64, c: Color| {
                    let cell = Cell::new(n).set_alignment(CellAlignment::Right);
                    if self.opts.color && n > 0 {
                        cell.fg(c)
                    } else {
                        cell
                    }
                };
                t.add_row(vec![
                    Cell::new(i.instance.to_string()),
                    Cell::new(start),
                    num(i.requests, Color::Reset),
                    num(o("cert_ok"), Color::Green),
                    num(o("no_cert"), Color::Yellow),
                    num(o("cert_not_found"), Color::Red),
                    num(failed, Color::Red),
                    num(o("plain_http"), Color::Reset),
                    num(o("incomplete"), Color::Magenta),
                    num(i.missing_requests, Color::Magenta),
                    num(i.duplicate_cnts, Color::Reset),
                    num(i.inferred_requests, Color::Reset),
                    Cell::new(i.crc_mode),
                    Cell::new(if i.ended_by_recycle { "recycled" } else { "" }),
                ]);
            }
            writeln!(self.out, "\nWorker processes")?;
            writeln!(self.out, "{t}")?;
        }
        if !self.certificates.is_empty() {
            writeln!(self.out, "\nClient certificates")?;
            writeln!(
                self.out,
                "{}",
                crate::certs::report::render_summary_table(&self.certificates)
            )?;
        }
        let Some(s) = self.summary.clone() else {
            return Ok(());
        };
        if !s.hresults.is_empty() {
            let mut t = self.summary_table(vec!["HRESULT", "NAME", "COUNT", "WHAT TO CHECK"]);
            for h in &s.hresults {
                t.add_row(vec![
                    self.cell(h.hresult.clone(), Some(Color::Red)),
                    Cell::new(&h.name),
                    Cell::new(h.count).set_alignment(CellAlignment::Right),
                    Cell::new(&h.hint),
                ]);
            }
            writeln!(self.out, "\nFailures by HRESULT")?;
            writeln!(self.out, "{t}")?;
        }
        if !self.notable.is_empty() {
            let mut t = self.summary_table(vec!["EVENT", "WHERE", "WHAT"]);
            for (k, p, x) in &self.notable {
                t.add_row(vec![Cell::new(k), Cell::new(p), Cell::new(x)]);
            }
            writeln!(self.out, "\nNotable events")?;
            writeln!(self.out, "{t}")?;
            if self.notable_total > self.notable.len() {
                writeln!(
                    self.out,
                    "({} more; --format ndjson lists them all)",
                    self.notable_total - self.notable.len()
                )?;
            }
        }
        if !self.unknown.is_empty() {
            let mut t = self.summary_table(vec!["SOURCE", "PID", "KIND", "TEXT"]);
            for u in &self.unknown {
                t.add_row(vec![
                    Cell::new(u.source.to_string()),
                    Cell::new(u.pid.map(|p| p.to_string()).unwrap_or_default()),
                    Cell::new(u.kind),
                    Cell::new(&u.text),
                ]);
            }
            writeln!(self.out, "\nUnknown lines")?;
            writeln!(self.out, "{t}")?;
        }
        writeln!(self.out)?;
        writeln!(self.out, "{}", verdict(&s, self.any_inferred))?;
        if self.instances.iter().any(|i| i.pid.is_none()) {
            writeln!(
                self.out,
                "Some messages have no pid: if they come from several worker processes, their \
                 counters mix (turn on DebugView's Options > Show Process ID, or name one \
                 process with --pid)."
            )?;
        }
        Ok(())
    }
}

impl<W: Write> Renderer for TableRenderer<W> {
    fn record(&mut self, record: &Record) -> io::Result<()> {
        match record {
            Record::Request(r) => {
                self.pending.push((**r).clone());
                if self.pending.len() >= self.opts.chunk_rows {
                    self.flush_rows()?;
                }
            }
            Record::Instance(i) => self.instances.push((**i).clone()),
            Record::Gap(g) => self.note(
                "missing requests",
                g.instance.to_string(),
                if g.from_cnt == g.to_cnt {
                    format!("cnt {} never printed", g.from_cnt)
                } else {
                    format!(
                        "cnt {}..{} never printed ({} requests)",
                        g.from_cnt, g.to_cnt, g.missing
                    )
                },
            ),
            Record::Recycle(r) => self.note(
                "worker start",
                r.instance.to_string(),
                match &r.previous {
                    Some(p) => format!(
                        "replaces {p} ({})",
                        match r.reason {
                            crate::record::InstanceStart::ModuleLoad => "module loaded",
                            crate::record::InstanceStart::CounterRestart =>
                                "request counter restarted",
                            crate::record::InstanceStart::FirstSeen => "first seen",
                        }
                    ),
                    None => "module loaded (RegisterModule)".to_string(),
                },
            ),
            Record::ModuleError(m) => self.note(
                "module error",
                m.source.to_string(),
                format!(
                    "{}{}",
                    m.hresult_name
                        .as_deref()
                        .map(|n| format!("{n}: "))
                        .unwrap_or_default(),
                    m.text
                ),
            ),
            Record::Orphan(o) => self.note(
                "orphan message",
                o.source.to_string(),
                format!("no open request could take it: {}", o.text),
            ),
            Record::Unknown(u) => self.unknown.push((**u).clone()),
            Record::Certificate(c) => self.certificates.push((**c).clone()),
            Record::Problem(_) => {}
            Record::Summary(s) => self.summary = Some((**s).clone()),
        }
        Ok(())
    }

    fn idle(&mut self) -> io::Result<()> {
        self.flush_rows()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.flush_rows()?;
        self.summary_tables()?;
        self.out.flush()
    }
}

/// The closing paragraph: the answer in one glance.
pub fn verdict(s: &Summary, any_inferred: bool) -> String {
    let o = |k: &str| s.outcomes.get(k).copied().unwrap_or(0);
    let mut lines = vec![format!(
        "{} requests in {} worker-process instance{} ({} process{}, {} recycle{}): {} with a client certificate, {} without, {} failed, {} plain HTTP, {} incomplete.",
        s.requests,
        s.instances,
        plural(s.instances),
        s.processes,
        if s.processes == 1 { "" } else { "es" },
        s.recycles,
        plural(s.recycles),
        o("cert_ok"),
        o("no_cert") + o("cert_not_found"),
        o("negotiate_failed") + o("get_cert_failed"),
        o("plain_http"),
        o("incomplete"),
    )];
    if s.unreported_requests > 0 {
        lines.push(format!(
            "Stopped early: {} more request{} read but not reported (not counted above).",
            s.unreported_requests,
            plural(s.unreported_requests)
        ));
    }
    if s.missing_requests > 0 || s.orphan_messages > 0 {
        lines.push(format!(
            "Capture lost lines: {} request{} never logged their start ({} gap{}), {} orphan message{}.",
            s.missing_requests,
            plural(s.missing_requests),
            s.gaps,
            plural(s.gaps),
            s.orphan_messages,
            plural(s.orphan_messages)
        ));
    }
    if s.duplicate_cnts > 0 {
        lines.push(format!(
            "{} duplicate counter{} (the module reads its counter racily; {} skipped value{} explained by them).",
            s.duplicate_cnts,
            plural(s.duplicate_cnts),
            s.read_races,
            plural(s.read_races)
        ));
    }
    if any_inferred || s.inferred > 0 {
        lines.push(format!(
            "~ marks {} request{} whose messages were assigned by step order and timing (no thread ids in this capture).",
            s.inferred,
            plural(s.inferred)
        ));
    }
    let problems: u64 = s.input_problems.values().sum();
    if problems > 0 {
        let kinds: Vec<String> = s
            .input_problems
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        lines.push(format!(
            "Input problems: {} (see stderr).",
            kinds.join(", ")
        ));
    }
    if s.foreign_lines + s.unknown_module_messages > 0 {
        lines.push(format!(
            "Skipped {} line{} of other software and {} unknown module message{} (--show-unknown lists them).",
            s.foreign_lines,
            plural(s.foreign_lines),
            s.unknown_module_messages,
            plural(s.unknown_module_messages)
        ));
    }
    lines.join("\n")
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn outcome_color(o: Outcome) -> Color {
    match o {
        Outcome::CertOk => Color::Green,
        Outcome::PlainHttp => Color::Blue,
        Outcome::NoCert => Color::Yellow,
        Outcome::CertNotFound | Outcome::NegotiateFailed | Outcome::GetCertFailed => Color::Red,
        Outcome::Incomplete => Color::Magenta,
    }
}

/// Compact time for a table cell.
pub fn short_time(t: Option<&EventTime>) -> String {
    match t {
        None => String::new(),
        Some(EventTime::Elapsed(s)) => format!("{s:.6}"),
        Some(EventTime::TimeOfDay(t)) => t.format("%H:%M:%S%.3f").to_string(),
        Some(EventTime::Local(dt)) => dt.format("%m-%d %H:%M:%S").to_string(),
        Some(EventTime::Utc(dt)) => dt.format("%m-%d %H:%M:%SZ").to_string(),
    }
}

/// Cuts text to `width` characters, marking the cut with `…`.
pub fn fit(s: &str, width: u16) -> String {
    let w = width as usize;
    if s.chars().count() <= w {
        return s.to_string();
    }
    let mut out: String = s.chars().take(w.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Shortens a URI to `width` characters, keeping the scheme and host and the
/// end of the path (`https://shop.example/…/orders?page=2`).
pub fn shorten_uri(uri: &str, width: usize) -> String {
    let n = uri.chars().count();
    if n <= width {
        return uri.to_string();
    }
    let head_end = uri
        .find("://")
        .and_then(|i| uri[i + 3..].find('/').map(|j| i + 3 + j))
        .unwrap_or(0);
    let head: String = uri[..head_end].chars().collect();
    let head_n = head.chars().count();
    if head_n + 2 >= width {
        return fit(uri, width as u16);
    }
    let tail_n = width - head_n - 1;
    let tail: String = uri.chars().skip(n - tail_n).collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_shortening_keeps_host_and_tail() {
        assert_eq!(shorten_uri("https://a/b", 40), "https://a/b");
        let s = shorten_uri("https://shop.example:443/account/orders/12345?page=2", 36);
        assert_eq!(s.chars().count(), 36);
        assert!(s.starts_with("https://shop.example:443…"), "{s}");
        assert!(s.ends_with("?page=2"), "{s}");
        assert_eq!(
            shorten_uri("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 10)
                .chars()
                .count(),
            10
        );
        assert_eq!(
            shorten_uri("https://é.example/ü/ö/ä/ß/€/long/path", 20)
                .chars()
                .count(),
            20
        );
    }

    #[test]
    fn fit_marks_cuts() {
        assert_eq!(fit("abc", 5), "abc");
        assert_eq!(fit("abcdefgh", 5), "abcd…");
    }
}
