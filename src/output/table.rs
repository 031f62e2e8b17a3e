//! The report for people. It leads with the answer: the verdict, failures
//! by HRESULT with their hints, worker processes, client certificates with
//! their warnings, notable events; the request-by-request table follows
//! when asked (`--requests`) or when there are few requests, in start-time
//! order. Following a capture (`stream`), request rows print as they come
//! instead, and the report closes the output. Every table fits the width
//! ([`crate::output::fit`]); a legend under a table says what its marks mean.

use std::io::{self, Write};

use comfy_table::{Attribute, Cell, CellAlignment, Color, ColumnConstraint, Table, Width};

use crate::input::event::EventTime;
use crate::output::Renderer;
use crate::output::fit::{self, Col, Fitted, PADDING, text_width, wrap_text};
use crate::record::{
    Assignment, InstanceRecord, Outcome, Record, RequestRecord, Summary, UnknownRecord,
};

#[derive(Debug, Clone)]
pub struct TableOptions {
    /// Output width in columns.
    pub width: u16,
    pub color: bool,
    /// Rows kept before a chunk is printed even if the input does not pause
    /// (`stream`).
    pub chunk_rows: usize,
    /// At most this many notable events are listed.
    pub max_notable: usize,
    /// `--requests`: list every request.
    pub list_requests: bool,
    /// Requests are listed anyway when there are at most this many.
    pub few_requests: u64,
    /// Print request rows as they come (following a capture), the report
    /// at the end.
    pub stream: bool,
}

impl Default for TableOptions {
    fn default() -> Self {
        TableOptions {
            width: DEFAULT_WIDTH,
            color: false,
            chunk_rows: 500,
            max_notable: 30,
            list_requests: false,
            few_requests: 40,
            stream: false,
        }
    }
}

/// Width when neither the terminal nor `COLUMNS` tells.
pub const DEFAULT_WIDTH: u16 = 100;

impl TableOptions {
    /// Width of the terminal on stdout, else `COLUMNS`, else 100.
    pub fn terminal_width() -> u16 {
        crossterm::terminal::size()
            .map(|(w, _)| w)
            .ok()
            .filter(|w| *w >= 40)
            .unwrap_or_else(Self::columns_width)
    }

    /// `COLUMNS`, else 100 (output that is not a terminal).
    pub fn columns_width() -> u16 {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<u16>().ok())
            .filter(|w| *w >= 40)
            .unwrap_or(DEFAULT_WIDTH)
    }
}

/// One request of the request table, as shown.
#[derive(Debug, Clone)]
struct RequestRow {
    /// Start time's kind and seconds: rows are listed in start-time order.
    order: Option<(u8, f64)>,
    time: String,
    instance: String,
    cnt: String,
    outcome: Outcome,
    hresult: String,
    hresult_name: String,
    cert: String,
    /// The certificate has a warning (expired, no client-auth EKU).
    cert_flagged: bool,
    uri: String,
}

impl RequestRow {
    /// `now`: UTC seconds, to flag certificates expired by now.
    fn of(r: &RequestRecord, now: i64) -> Self {
        let cnt = if r.assignment == Assignment::Inferred {
            format!("~{}", r.cnt)
        } else {
            r.cnt.to_string()
        };
        let cert = match (&r.cert, r.cert_size, r.cert_crc) {
            (Some(c), _, _) => c.cert.display_name().to_string(),
            (None, Some(s), Some(c)) => format!("{s} / {c}"),
            (None, Some(s), None) => format!("{s} / ?"),
            (None, None, Some(c)) => format!("? / {c}"),
            (None, None, None) => String::new(),
        };
        RequestRow {
            order: r.time.as_ref().map(|t| (t.kind() as u8, t.sort_key())),
            time: short_time(r.time.as_ref()),
            instance: r.instance.to_string(),
            cnt,
            outcome: r.outcome,
            hresult: r.hresult.map(|h| h.to_string()).unwrap_or_default(),
            hresult_name: r.hresult_name.as_deref().unwrap_or("").to_string(),
            cert,
            cert_flagged: r
                .cert
                .as_ref()
                .is_some_and(|c| !r.cert_warnings.is_empty() || c.cert.not_after_ts < now),
            uri: r.uri.clone(),
        }
    }

    fn cert_text(&self) -> String {
        if self.cert_flagged {
            format!("{} (!)", self.cert)
        } else {
            self.cert.clone()
        }
    }
}

/// Columns of the request table, by priority (highest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReqCol {
    Outcome,
    Uri,
    Instance,
    Cnt,
    Cert,
    Hresult,
    Time,
}

const REQ_ORDER: [ReqCol; 7] = [
    ReqCol::Time,
    ReqCol::Instance,
    ReqCol::Cnt,
    ReqCol::Outcome,
    ReqCol::Hresult,
    ReqCol::Cert,
    ReqCol::Uri,
];
const REQ_PRIORITY: [ReqCol; 7] = [
    ReqCol::Outcome,
    ReqCol::Uri,
    ReqCol::Instance,
    ReqCol::Cnt,
    ReqCol::Cert,
    ReqCol::Hresult,
    ReqCol::Time,
];

impl ReqCol {
    fn header(self) -> &'static str {
        match self {
            ReqCol::Time => "TIME",
            ReqCol::Instance => "INSTANCE",
            ReqCol::Cnt => "CNT",
            ReqCol::Outcome => "OUTCOME",
            ReqCol::Hresult => "HRESULT",
            ReqCol::Cert => "CERT",
            ReqCol::Uri => "URI",
        }
    }
}

/// The request table's columns and widths (text only, padding apart).
#[derive(Debug, Clone)]
struct RequestLayout {
    cols: Vec<(ReqCol, u16)>,
    /// HRESULT names rather than codes.
    names: bool,
    hidden: Vec<&'static str>,
    /// URIs without scheme and default port.
    compact: bool,
    /// Every column shown, none cut.
    complete: bool,
}

/// Narrowest URI and certificate columns before columns are left out.
const MIN_URI_W: u16 = 20;
const MIN_CERT_W: u16 = 12;

impl RequestLayout {
    /// Lays the table out for `width`: whole columns as wide as their
    /// content (at least `nominal` when rows stream, whose content is not
    /// known yet), shown by priority; the certificate and URI columns share
    /// what is left. HRESULT names when they leave the URI its room, else
    /// codes.
    fn new(rows: &[RequestRow], width: u16, nominal: bool) -> Self {
        // The first that shows everything whole: HRESULT names and URIs as
        // they are; codes; URIs without scheme and default port.
        let tries = [(true, false), (false, false), (false, true)];
        let mut last = None;
        for (names, compact) in tries {
            let l = Self::try_layout(rows, width, nominal, names, compact);
            if l.complete {
                return l;
            }
            last = Some(l);
        }
        last.expect("three layouts were tried")
    }

    /// One layout: HRESULT `names` or codes, URIs `compact` or whole.
    fn try_layout(
        rows: &[RequestRow],
        width: u16,
        nominal: bool,
        names: bool,
        compact: bool,
    ) -> Self {
        let widest = |f: &dyn Fn(&RequestRow) -> u16| rows.iter().map(f).max().unwrap_or(0);
        let any_hresult = nominal || rows.iter().any(|r| !r.hresult.is_empty());
        let any_cert = nominal || rows.iter().any(|r| !r.cert.is_empty());
        let floor = |n: u16| if nominal { n } else { 0 };
        let uri_most = if compact {
            widest(&|r| compact_uri(&r.uri, usize::MAX, false).chars().count() as u16)
        } else {
            widest(&|r| text_width(&r.uri))
        };
        let need = |c: ReqCol| -> Option<(u16, u16)> {
            let h = text_width(c.header());
            let whole = |w: u16| Some((w.max(h), w.max(h)));
            match c {
                ReqCol::Time => whole(widest(&|r| text_width(&r.time)).max(floor(12))),
                ReqCol::Instance => whole(widest(&|r| text_width(&r.instance))),
                ReqCol::Cnt => whole(widest(&|r| text_width(&r.cnt)).max(floor(6))),
                ReqCol::Outcome => {
                    whole(widest(&|r| text_width(r.outcome.as_str())).max(floor(16)))
                }
                ReqCol::Hresult if !any_hresult => None,
                ReqCol::Hresult if names => {
                    whole(widest(&|r| text_width(&r.hresult_name)).max(floor(22)))
                }
                ReqCol::Hresult => whole(8),
                ReqCol::Cert if !any_cert => None,
                ReqCol::Cert => {
                    let most = widest(&|r| text_width(&r.cert_text())).max(floor(26));
                    Some((most.min(MIN_CERT_W).max(h), most.max(h)))
                }
                ReqCol::Uri => {
                    let most = uri_most.max(floor(60));
                    Some((most.min(MIN_URI_W).max(h), most.max(h)))
                }
            }
        };
        let mut chosen: Vec<(ReqCol, u16, u16)> = Vec::new();
        let mut hidden = Vec::new();
        let mut used = 0u16;
        for c in REQ_PRIORITY {
            let Some((min, most)) = need(c) else { continue };
            if used + min + PADDING <= width {
                used += min + PADDING;
                chosen.push((c, min, most));
            } else {
                hidden.push(c.header());
            }
        }
        // What is left goes to the certificate and URI columns, in
        // proportion to what they could still use.
        let left = width.saturating_sub(used);
        let wants: u32 = chosen.iter().map(|c| u32::from(c.2 - c.1)).sum();
        let give = u32::from(left).min(wants);
        for c in chosen.iter_mut() {
            c.1 += (u32::from(c.2 - c.1) * give)
                .checked_div(wants)
                .unwrap_or(0) as u16;
        }
        let complete = hidden.is_empty() && chosen.iter().all(|c| c.1 >= c.2);
        let cols = REQ_ORDER
            .iter()
            .filter_map(|o| chosen.iter().find(|c| c.0 == *o).map(|c| (c.0, c.1)))
            .collect();
        RequestLayout {
            cols,
            names,
            hidden,
            compact,
            complete,
        }
    }

    /// The rows as a table, with the header when `header`.
    fn table(&self, rows: &[RequestRow], header: bool, color: bool) -> String {
        let mut t = Table::new();
        if color {
            t.enforce_styling();
        } else {
            t.force_no_tty();
        }
        t.load_style(fit::STYLE)
            .set_content_arrangement(comfy_table::ContentArrangement::Disabled);
        if header {
            t.set_header(self.cols.iter().map(|(c, _)| {
                let cell = Cell::new(c.header());
                if color {
                    cell.add_attribute(Attribute::Bold)
                } else {
                    cell
                }
            }));
        }
        let paint = |cell: Cell, fg: Option<Color>| match (color, fg) {
            (true, Some(fg)) => cell.fg(fg),
            _ => cell,
        };
        for r in rows {
            t.add_row(self.cols.iter().map(|&(c, w)| match c {
                ReqCol::Time => Cell::new(fit(&r.time, w)),
                ReqCol::Instance => Cell::new(fit(&r.instance, w)),
                ReqCol::Cnt => Cell::new(fit(&r.cnt, w)).set_alignment(CellAlignment::Right),
                ReqCol::Outcome => paint(
                    Cell::new(r.outcome.as_str()),
                    Some(outcome_color(r.outcome)),
                ),
                ReqCol::Hresult => paint(
                    Cell::new(fit(
                        if self.names {
                            &r.hresult_name
                        } else {
                            &r.hresult
                        },
                        w,
                    )),
                    Some(Color::Red),
                ),
                ReqCol::Cert => {
                    let text = if r.cert_flagged {
                        format!("{} (!)", fit(&r.cert, w.saturating_sub(4)))
                    } else {
                        fit(&r.cert, w)
                    };
                    paint(Cell::new(text), r.cert_flagged.then_some(Color::Yellow))
                }
                ReqCol::Uri => Cell::new(compact_uri(&r.uri, usize::from(w), !self.compact)),
            }));
        }
        t.set_constraints(
            self.cols
                .iter()
                .map(|(_, w)| ColumnConstraint::Absolute(Width::Fixed(w + PADDING))),
        );
        let mut text = t.trim_fmt();
        text.push('\n');
        text
    }

    /// Every URI is shown as it is.
    fn whole_uris(&self, rows: &[RequestRow]) -> bool {
        let w = self
            .cols
            .iter()
            .find(|c| c.0 == ReqCol::Uri)
            .map_or(0, |c| usize::from(c.1));
        !self.compact && rows.iter().all(|r| r.uri.chars().count() <= w)
    }

    /// What the table's marks and shortenings mean.
    fn legend(&self, rows: &[RequestRow]) -> Vec<String> {
        let shows = |c: ReqCol| self.cols.iter().any(|x| x.0 == c);
        let mut lines = Vec::new();
        if shows(ReqCol::Cnt) && rows.iter().any(|r| r.cnt.starts_with('~')) {
            lines.push(
                "~12: request 12's messages were assigned by step order and timing \
                 (no thread ids in this capture)."
                    .to_string(),
            );
        }
        if shows(ReqCol::Cert) && rows.iter().any(|r| r.cert_flagged) {
            lines.push(
                "(!): the certificate has a warning (expired, no client-auth EKU): see Client \
                 certificates."
                    .to_string(),
            );
        }
        if shows(ReqCol::Cert) && rows.iter().any(|r| r.cert.contains(" / ")) {
            lines.push(
                "1042 / 2844112431: cert size / cert crc of a certificate not named (--certs \
                 names it)."
                    .to_string(),
            );
        }
        if shows(ReqCol::Uri) && !self.whole_uris(rows) {
            lines.push(
                "URI: shortened to fit (scheme and default port left out, … marks a cut)."
                    .to_string(),
            );
        }
        if shows(ReqCol::Hresult) && !self.names && rows.iter().any(|r| !r.hresult.is_empty()) {
            lines.push("HRESULT: Failures by HRESULT names each code.".to_string());
        }
        if !self.hidden.is_empty() {
            lines.push(hidden_note(&self.hidden));
        }
        lines
    }
}

/// Says which columns a narrow output left out.
fn hidden_note(hidden: &[&str]) -> String {
    format!(
        "Not shown at this width: {} (a wider terminal, or --format json).",
        hidden.join(", ")
    )
}

/// Sorts rows by start time (kind first: times of different kinds do not
/// compare); rows without a time keep their place at the end.
fn sort_by_start(rows: &mut [RequestRow]) {
    rows.sort_by(|a, b| match (a.order, b.order) {
        (Some(x), Some(y)) => x.0.cmp(&y.0).then(x.1.total_cmp(&y.1)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
}

pub struct TableRenderer<W: Write> {
    out: W,
    opts: TableOptions,
    pending: Vec<RequestRow>,
    /// Requests seen (listed or not).
    requests_seen: u64,
    /// Streaming: the layout of the first chunk, kept for the others.
    stream_layout: Option<RequestLayout>,
    instances: Vec<InstanceRecord>,
    notable: Vec<(String, String, String)>,
    notable_total: usize,
    unknown: Vec<UnknownRecord>,
    certificates: Vec<crate::certs::CertSummary>,
    summary: Option<Summary>,
    any_inferred: bool,
    /// Something was written (a later section starts with a blank line).
    wrote_any: bool,
    /// UTC seconds when the report began: certificates expired by then
    /// are flagged.
    now: i64,
}

impl<W: Write> TableRenderer<W> {
    pub fn new(out: W, opts: TableOptions) -> Self {
        TableRenderer {
            out,
            opts,
            pending: Vec::new(),
            requests_seen: 0,
            stream_layout: None,
            instances: Vec::new(),
            notable: Vec::new(),
            notable_total: 0,
            unknown: Vec::new(),
            certificates: Vec::new(),
            summary: None,
            any_inferred: false,
            now: chrono::Utc::now().timestamp(),
            wrote_any: false,
        }
    }

    /// Keeps a request for the request table (or a streamed chunk).
    fn request(&mut self, r: &RequestRecord) -> io::Result<()> {
        self.requests_seen += 1;
        self.any_inferred |= r.assignment == Assignment::Inferred;
        if self.opts.stream {
            self.pending.push(RequestRow::of(r, self.now));
            if self.pending.len() >= self.opts.chunk_rows {
                self.flush_rows()?;
            }
        } else if self.opts.list_requests || self.requests_seen <= self.opts.few_requests {
            self.pending.push(RequestRow::of(r, self.now));
        } else {
            // Too many to list unasked: the report says how to list them.
            self.pending = Vec::new();
        }
        Ok(())
    }

    /// Streaming: prints the rows gathered so far, laid out as the first
    /// chunk was.
    fn flush_rows(&mut self) -> io::Result<()> {
        if !self.opts.stream || self.pending.is_empty() {
            return Ok(());
        }
        let first = self.stream_layout.is_none();
        let layout = self
            .stream_layout
            .get_or_insert_with(|| RequestLayout::new(&self.pending, self.opts.width, true))
            .clone();
        let text = layout.table(&self.pending, first, self.opts.color);
        self.pending.clear();
        self.wrote_any = true;
        self.out.write_all(text.as_bytes())?;
        self.out.flush()
    }

    fn note(&mut self, kind: &str, place: String, text: String) {
        self.notable_total += 1;
        if self.notable.len() < self.opts.max_notable {
            self.notable.push((kind.to_string(), place, text));
        }
    }

    /// A section: title, table, then its legend lines (wrapped).
    fn section(&mut self, title: &str, table: &Fitted, legend: &[String]) -> io::Result<()> {
        let r = table.render(self.opts.width, self.opts.color);
        self.title(title)?;
        writeln!(self.out, "{}", r.text)?;
        // A mark's explanation goes with its column.
        let mut legend: Vec<String> = legend
            .iter()
            .filter(|l| !r.hidden.iter().any(|h| l.starts_with(&format!("{h}:"))))
            .cloned()
            .collect();
        if !r.hidden.is_empty() {
            legend.push(hidden_note(&r.hidden));
        }
        self.legend(&legend)
    }

    /// A section's title, after a blank line when something came before.
    fn title(&mut self, title: &str) -> io::Result<()> {
        if self.wrote_any {
            writeln!(self.out)?;
        }
        self.wrote_any = true;
        writeln!(self.out, "{title}")
    }

    fn legend(&mut self, lines: &[String]) -> io::Result<()> {
        for l in lines {
            writeln!(self.out, "{}", wrap_text(l, self.opts.width))?;
        }
        Ok(())
    }

    /// A count cell, coloured when not zero.
    fn count(&self, n: u64, c: Color) -> (String, Option<Color>) {
        (n.to_string(), (self.opts.color && n > 0).then_some(c))
    }

    fn instances_section(&mut self) -> io::Result<()> {
        if self.instances.is_empty() {
            return Ok(());
        }
        let mut t = Fitted::new(vec![
            Col::whole("INSTANCE", 20),
            Col::whole("START", 11),
            Col::count("REQUESTS", 19),
            Col::count("CERT OK", 18),
            Col::count("NO CERT", 16),
            Col::count("NOT FOUND", 15),
            Col::count("FAILED", 17),
            Col::count("HTTP", 14),
            Col::count("INCOMPLETE", 13).blank_dropped(),
            Col::count("MISSING", 12).blank_dropped(),
            Col::count("~", 9).blank_dropped(),
            Col::count("DUP CNT", 8).blank_dropped(),
            Col::whole("CRC", 7),
            Col::whole("ENDED", 10).blank_dropped(),
        ]);
        for i in &self.instances {
            let o = |k: &str| i.outcomes.get(k).copied().unwrap_or(0);
            let failed = o("negotiate_failed") + o("get_cert_failed");
            let start = match i.start {
                crate::record::InstanceStart::FirstSeen => "in capture",
                crate::record::InstanceStart::ModuleLoad => "load",
                crate::record::InstanceStart::CounterRestart => "cnt reset",
            };
            t.row(vec![
                (i.instance.to_string(), None),
                (start.to_string(), None),
                (i.requests.to_string(), None),
                self.count(o("cert_ok"), Color::Green),
                self.count(o("no_cert"), Color::Yellow),
                self.count(o("cert_not_found"), Color::Red),
                self.count(failed, Color::Red),
                (o("plain_http").to_string(), None),
                self.count(o("incomplete"), Color::Magenta),
                self.count(i.missing_requests, Color::Magenta),
                (i.inferred_requests.to_string(), None),
                (i.duplicate_cnts.to_string(), None),
                (i.crc_mode.to_string(), None),
                (
                    if i.ended_by_recycle { "recycled" } else { "" }.to_string(),
                    None,
                ),
            ]);
        }
        let mut legend = Vec::new();
        let starts: Vec<&str> = [
            (
                crate::record::InstanceStart::ModuleLoad,
                "load = module loaded",
            ),
            (
                crate::record::InstanceStart::FirstSeen,
                "in capture = running before the capture",
            ),
            (
                crate::record::InstanceStart::CounterRestart,
                "cnt reset = request counter restarted",
            ),
        ]
        .into_iter()
        .filter(|(k, _)| self.instances.iter().any(|i| i.start == *k))
        .map(|(_, text)| text)
        .collect();
        legend.push(format!("START: {}.", starts.join("; ")));
        legend.push(
            "CRC: chained = the shipped module build, plain = a corrected build, auto = not \
             known yet."
                .to_string(),
        );
        if self.instances.iter().any(|i| i.inferred_requests > 0) {
            legend
                .push("~: requests assigned by step order and timing (no thread ids).".to_string());
        }
        if self.instances.iter().any(|i| i.missing_requests > 0) {
            legend.push("MISSING: counters never printed (lost lines).".to_string());
        }
        if self.instances.iter().any(|i| i.duplicate_cnts > 0) {
            legend.push("DUP CNT: counters printed twice (the module's read race).".to_string());
        }
        self.section("Worker processes", &t, &legend)
    }

    fn hresults_section(&mut self, s: &Summary) -> io::Result<()> {
        if s.hresults.is_empty() {
            return Ok(());
        }
        let mut t = Fitted::new(vec![
            Col::whole("HRESULT", 10),
            Col::whole("NAME", 8),
            Col::count("COUNT", 9),
            Col::wrap("WHAT TO CHECK", 7, 24),
        ]);
        for h in &s.hresults {
            t.row(vec![
                (h.hresult.clone(), Some(Color::Red)),
                (h.name.clone(), None),
                (h.count.to_string(), None),
                (h.hint.clone(), None),
            ]);
        }
        self.section("Failures by HRESULT", &t, &[])
    }

    fn notable_section(&mut self) -> io::Result<()> {
        if self.notable.is_empty() {
            return Ok(());
        }
        let mut t = Fitted::new(vec![
            Col::whole("EVENT", 9),
            Col::wrap("WHERE", 7, 12),
            Col::wrap("WHAT", 8, 24),
        ]);
        for (k, p, x) in &self.notable {
            t.row(vec![
                (k.clone(), None),
                (p.clone(), None),
                (x.clone(), None),
            ]);
        }
        let mut legend = Vec::new();
        if self.notable_total > self.notable.len() {
            legend.push(format!(
                "({} more; --format ndjson lists them all)",
                self.notable_total - self.notable.len()
            ));
        }
        self.section("Notable events", &t, &legend)
    }

    fn unknown_section(&mut self) -> io::Result<()> {
        if self.unknown.is_empty() {
            return Ok(());
        }
        let mut t = Fitted::new(vec![
            Col::wrap("SOURCE", 8, 12),
            Col::whole("PID", 6),
            Col::whole("KIND", 7),
            Col::wrap("TEXT", 9, 24),
        ]);
        for u in &self.unknown {
            t.row(vec![
                (u.source.to_string(), None),
                (u.pid.map(|p| p.to_string()).unwrap_or_default(), None),
                (u.kind.to_string(), None),
                (u.text.clone(), None),
            ]);
        }
        self.section("Unknown lines", &t, &[])
    }

    /// The request table, or how to see it.
    fn requests_section(&mut self) -> io::Result<()> {
        if self.opts.stream {
            self.flush_rows()?;
            let hidden = self.stream_layout.as_ref().map(|l| l.hidden.clone());
            if let Some(hidden) = hidden.filter(|h| !h.is_empty()) {
                self.legend(&[format!("Requests: {}", hidden_note(&hidden))])?;
            }
            return Ok(());
        }
        let listed = self.opts.list_requests || self.requests_seen <= self.opts.few_requests;
        if !listed {
            writeln!(
                self.out,
                "\n{}",
                wrap_text(
                    &format!(
                        "{} requests not listed: --requests lists them in start-time order \
                         (--format ndjson for scripts).",
                        self.requests_seen
                    ),
                    self.opts.width
                )
            )?;
            return Ok(());
        }
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut rows = std::mem::take(&mut self.pending);
        sort_by_start(&mut rows);
        let layout = RequestLayout::new(&rows, self.opts.width, false);
        self.title("Requests, in start-time order")?;
        self.out
            .write_all(layout.table(&rows, true, self.opts.color).as_bytes())?;
        let legend = layout.legend(&rows);
        self.legend(&legend)
    }

    fn report(&mut self) -> io::Result<()> {
        let summary = self.summary.clone();
        if let Some(s) = &summary {
            let mut v = verdict(s, self.any_inferred);
            if self.instances.iter().any(|i| i.pid.is_none()) {
                v.push_str(
                    "\nSome messages have no pid: if they come from several worker processes, \
                     their counters mix (turn on DebugView's Options > Show Process ID, or name \
                     one process with --pid).",
                );
            }
            if let Some(line) = crate::output::certs_report::warnings_line(&self.certificates) {
                v.push('\n');
                v.push_str(&line);
            }
            writeln!(self.out, "{}", wrap_text(&v, self.opts.width))?;
            self.wrote_any = true;
            self.hresults_section(s)?;
        }
        self.instances_section()?;
        if !self.certificates.is_empty() {
            self.title("Client certificates")?;
            let text = crate::output::certs_report::render_summary_table(
                &self.certificates,
                self.opts.width,
                self.opts.color,
            );
            self.out.write_all(text.as_bytes())?;
        }
        self.notable_section()?;
        self.unknown_section()?;
        if summary.is_some() {
            self.requests_section()?;
        }
        Ok(())
    }
}

impl<W: Write> Renderer for TableRenderer<W> {
    fn record(&mut self, record: &Record) -> io::Result<()> {
        match record {
            Record::Request(r) => self.request(r)?,
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
        self.report()?;
        self.out.flush()
    }
}

/// The closing paragraph: the answer in one glance.
pub fn verdict(s: &Summary, any_inferred: bool) -> String {
    let o = |k: &str| s.outcomes.get(k).copied().unwrap_or(0);
    let mut lines = vec![format!(
        "{} request{} in {} worker-process instance{} ({} process{}, {} recycle{}): {} with a client certificate, {} without, {} failed, {} plain HTTP, {} incomplete.",
        s.requests,
        plural(s.requests),
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

/// A URI in `width` characters for the request table, keeping the path,
/// which tells requests apart: whole if it fits; else without the scheme
/// and default port (`api.example/orders`); else with the host's first
/// label (`api…/orders`); else the end of the path (`…/12345?page=2`).
///
/// `whole`: try the URI as it is first (else every URI of a column is
/// shown alike, without scheme and default port).
pub fn compact_uri(uri: &str, width: usize, whole: bool) -> String {
    if whole && uri.chars().count() <= width {
        return uri.to_string();
    }
    let rest = uri.split_once("://").map_or(uri, |(_, r)| r);
    let (host, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    let host = host
        .strip_suffix(":443")
        .or_else(|| host.strip_suffix(":80"))
        .unwrap_or(host);
    let path_n = path.chars().count();
    if host.chars().count() + path_n <= width {
        return format!("{host}{path}");
    }
    let label = host.split('.').next().unwrap_or(host);
    if !path.is_empty() && label.chars().count() + 1 + path_n <= width {
        return format!("{label}…{path}");
    }
    let tail = if path.is_empty() { rest } else { path };
    let n = tail.chars().count();
    let keep = width.saturating_sub(1);
    let cut: String = tail.chars().skip(n.saturating_sub(keep)).collect();
    format!("…{cut}")
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

    /// The demo capture (600 requests, the demo certificates) as records.
    fn demo_records(requests: usize) -> Vec<Record> {
        use crate::correlate::CorrelateOptions;
        let (_, sim) = crate::demo::simulation(2026, requests);
        let log = sim.debugview_log();
        let opts = CorrelateOptions {
            certs: Some(std::sync::Arc::new(crate::certs::demo_catalog())),
            ..Default::default()
        };
        crate::correlate::accuracy::correlate_text(&log, opts)
    }

    fn report_of(records: &[Record], opts: TableOptions) -> String {
        let mut buf = Vec::new();
        let mut t = TableRenderer::new(&mut buf, opts);
        for r in records {
            t.record(r).unwrap();
        }
        t.finish().unwrap();
        drop(t);
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn report_leads_with_the_verdict_and_fits_the_width() {
        let records = demo_records(600);
        for width in [80u16, 100, 120, 160] {
            for list_requests in [false, true] {
                let text = report_of(
                    &records,
                    TableOptions {
                        width,
                        list_requests,
                        ..TableOptions::default()
                    },
                );
                let lines: Vec<&str> = text.lines().collect();
                assert!(
                    lines[0].contains("requests in 5 worker-process"),
                    "{}",
                    lines[0]
                );
                // The certificates to look at are named on the first screen.
                let first_screen = lines[..24].join(" ");
                assert!(
                    first_screen.contains("Certificates to look at:")
                        && first_screen.contains("frank@contoso.example (expired"),
                    "{first_screen}"
                );
                let too_wide: Vec<&&str> = lines
                    .iter()
                    .filter(|l| l.chars().count() > usize::from(width))
                    .collect();
                assert!(too_wide.is_empty(), "{width}: {too_wide:#?}");
                // The expired demo certificate is flagged in its row.
                let frank = lines
                    .iter()
                    .find(|l| l.contains("frank@contoso.example") && !l.starts_with("warning"))
                    .unwrap_or_else(|| panic!("{text}"));
                assert!(frank.contains("expired"), "{frank}");
                assert!(text.contains("Failures by HRESULT"));
                // No legend for a column not shown.
                if width == 80 {
                    assert!(text.contains("Not shown at this width: URIS"), "{text}");
                    assert!(!text.contains("URIS: distinct"), "{text}");
                }
                // Headers break between words only.
                assert!(!text.contains("INS\n") && text.contains(" INSTANCE "));
                let listed = text.contains("Requests, in start-time order");
                assert_eq!(listed, list_requests, "{width}");
                if !list_requests {
                    assert!(text.contains("--requests lists them"), "{text}");
                }
            }
        }
    }

    #[test]
    fn few_requests_are_listed_in_start_time_order() {
        let records = demo_records(30);
        let text = report_of(&records, TableOptions::default());
        let at = text
            .find("Requests, in start-time order")
            .unwrap_or_else(|| panic!("{text}"));
        let times: Vec<f64> = text[at..]
            .lines()
            .skip(3)
            .map_while(|l| l.split_whitespace().next()?.parse::<f64>().ok())
            .collect();
        let shown = records
            .iter()
            .filter(|r| matches!(r, Record::Request(_)))
            .count();
        assert_eq!(times.len(), shown, "{text}");
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
        // Completion order differs from start order in this capture, so
        // the sort did something.
        let arrival: Vec<f64> = records
            .iter()
            .filter_map(|r| match r {
                Record::Request(q) => q.time.as_ref().map(|t| t.sort_key()),
                _ => None,
            })
            .collect();
        assert!(arrival.windows(2).any(|w| w[0] > w[1]));
    }

    #[test]
    fn streamed_rows_come_first_then_the_report() {
        let records = demo_records(30);
        let text = report_of(
            &records,
            TableOptions {
                stream: true,
                chunk_rows: 7,
                width: 80,
                ..TableOptions::default()
            },
        );
        let first = text.lines().next().unwrap();
        assert!(first.contains("OUTCOME"), "{first}");
        assert_eq!(text.matches(" OUTCOME ").count(), 1, "one header:\n{text}");
        assert!(text.contains("requests in"));
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
    }

    #[test]
    fn compact_uri_keeps_the_path() {
        let u = "https://api.contoso.example:443/account/orders";
        assert_eq!(compact_uri(u, 60, true), u);
        assert_eq!(
            compact_uri(u, 60, false),
            "api.contoso.example/account/orders"
        );
        assert_eq!(
            compact_uri(u, 40, true),
            "api.contoso.example/account/orders"
        );
        assert_eq!(compact_uri(u, 20, true), "api…/account/orders");
        assert_eq!(compact_uri(u, 10, true), "…nt/orders");
        assert_eq!(compact_uri("http://h.example:80/", 12, true), "h.example/");
        for w in [1usize, 5, 12, 19, 33] {
            assert!(compact_uri(u, w, true).chars().count() <= w.max(1), "{w}");
        }
    }

    #[test]
    fn fit_marks_cuts() {
        assert_eq!(fit("abc", 5), "abc");
        assert_eq!(fit("abcdefgh", 5), "abcd…");
    }
}
