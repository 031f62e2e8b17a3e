//! How right the assignment of messages without thread ids is, measured on
//! simulated captures whose truth is known: certtrace against the
//! newest-first rule (each message to the newest open request of its process
//! that can take it), per timing family. Used by the tests and by
//! `examples/inference_accuracy.rs`.

use std::collections::HashMap;

use crate::input::event::Position;
use crate::input::{ReadOptions, SourceItem, TextSource};
use crate::parse::{self, FatalKind, Message};
use crate::record::{Assignment, Record, RequestRecord};
use crate::simulate::{Simulation, TruthRequest};

use super::{CorrelateOptions, Correlator};

/// Requests of a capture put together right, by how they were marked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Score {
    /// Requests whose start line was captured.
    pub captured: usize,
    /// ... whose record has the truth's counter, URI, pid and outcome.
    pub right: usize,
    pub exact: usize,
    pub exact_right: usize,
    pub inferred: usize,
    pub inferred_right: usize,
}

impl Score {
    pub fn add(&mut self, o: &Score) {
        self.captured += o.captured;
        self.right += o.right;
        self.exact += o.exact;
        self.exact_right += o.exact_right;
        self.inferred += o.inferred;
        self.inferred_right += o.inferred_right;
    }

    /// Share of captured requests put together right.
    pub fn accuracy(&self) -> f64 {
        self.right as f64 / self.captured.max(1) as f64
    }
}

/// The outcome a perfect reader reports: `incomplete` when the request's
/// last line was lost.
pub fn expected_outcome(sim: &Simulation, t: &TruthRequest) -> &'static str {
    match t.lines.last() {
        Some(&l) if sim.lines[l].lost => "incomplete",
        _ => t.outcome,
    }
}

/// Runs a text capture (any format `read` detects) through the correlator.
pub fn correlate_text(capture: &str, opts: CorrelateOptions) -> Vec<Record> {
    let src = TextSource::new(capture.as_bytes(), "sim.log".into(), ReadOptions::default());
    let mut c = Correlator::new(opts);
    let mut out = Vec::new();
    for item in src {
        match item {
            SourceItem::Event(e) => c.push_event(&e),
            SourceItem::Problem(p) => c.push_problem(&p),
        }
        out.extend(c.take_records());
    }
    c.finish();
    out.extend(c.take_records());
    out
}

/// Lower bounds of the confidence bands [`calibration`] counts in.
pub const BANDS: [f64; 6] = [0.5, 0.7, 0.9, 0.99, 0.999, 1.0];

/// Inferred records per confidence band ([`BANDS`]): how many, how many
/// right.
pub fn calibration(sim: &Simulation, records: &[Record]) -> [(usize, usize); 6] {
    let mut bands = [(0, 0); 6];
    for_each_captured(sim, records, |t, r| {
        if let Some(r) = r
            && let Some(c) = r.confidence
        {
            let b = BANDS.iter().rposition(|&lo| c >= lo).unwrap_or(0);
            bands[b].0 += 1;
            bands[b].1 += usize::from(is_right(sim, t, r));
        }
    });
    bands
}

fn is_right(sim: &Simulation, t: &TruthRequest, r: &RequestRecord) -> bool {
    r.pid == Some(t.pid)
        && r.cnt == t.cnt
        && r.uri == t.uri
        && r.outcome.as_str() == expected_outcome(sim, t)
}

/// Request records by the line number of their first message.
pub fn by_start_line(records: &[Record]) -> HashMap<u64, &RequestRecord> {
    records
        .iter()
        .filter_map(|r| match r {
            Record::Request(q) => match q.source.position {
                Position::Line(n) => Some((n, q.as_ref())),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// Calls `f` for each request whose start line was captured, with its
/// record when it has one.
fn for_each_captured(
    sim: &Simulation,
    records: &[Record],
    mut f: impl FnMut(&TruthRequest, Option<&RequestRecord>),
) {
    let numbers = sim.log_line_numbers();
    let by_line = by_start_line(records);
    for t in &sim.requests {
        if let Some(line) = numbers[t.lines[0]] {
            f(t, by_line.get(&line).copied());
        }
    }
}

/// Scores certtrace's records of `sim`'s DebugView log (records are matched
/// to the truth by the line number of their first message).
pub fn score(sim: &Simulation, records: &[Record]) -> Score {
    let mut s = Score::default();
    for_each_captured(sim, records, |t, r| {
        s.captured += 1;
        let Some(r) = r else { return };
        let ok = is_right(sim, t, r);
        s.right += usize::from(ok);
        match r.assignment {
            Assignment::Exact => {
                s.exact += 1;
                s.exact_right += usize::from(ok);
            }
            Assignment::Inferred => {
                s.inferred += 1;
                s.inferred_right += usize::from(ok);
            }
        }
    });
    s
}

/// A request the newest-first rule holds open.
struct RuleRequest {
    start_line: usize,
    https: bool,
    /// 0 started, 1 forced, 2 size seen.
    step: u8,
    outcome: &'static str,
}

/// What the newest-first rule gets right on `sim`'s capture: every message
/// goes to the newest open request of its pid whose step can take it.
pub fn newest_first(sim: &Simulation) -> Score {
    let mut open: HashMap<u32, Vec<RuleRequest>> = HashMap::new();
    let mut got: HashMap<usize, &'static str> = HashMap::new();
    for (i, l) in sim.lines.iter().enumerate().filter(|(_, l)| !l.lost) {
        let reqs = open.entry(l.pid).or_default();
        let m = parse::parse(&l.text).message;
        // (steps that can take it, the step after, the outcome if it ends)
        let (from, to, outcome): (&[u8], u8, Option<&'static str>) = match m {
            Message::ModuleLoad => {
                reqs.clear();
                continue;
            }
            Message::RequestStart { uri, .. } => {
                got.insert(i, "incomplete");
                reqs.push(RuleRequest {
                    start_line: i,
                    https: !uri.starts_with("http:"),
                    step: 0,
                    outcome: "incomplete",
                });
                continue;
            }
            Message::NotSsl => (&[0], 0, Some("plain_http")),
            Message::ForcingCertLoad { forced: true } => (&[0], 1, None),
            Message::CertNotFound { .. } => (&[0, 1], 0, Some("cert_not_found")),
            Message::NoCertificate { .. } => (&[0, 1], 0, Some("no_cert")),
            Message::CertSize { .. } => (&[0, 1], 2, None),
            Message::CertCrc { .. } => (&[2], 0, Some("cert_ok")),
            Message::Fatal {
                kind: FatalKind::Negotiate,
                ..
            } => (&[1], 0, Some("negotiate_failed")),
            Message::Fatal {
                kind: FatalKind::GetClientCertificate,
                ..
            } => (&[0, 1], 0, Some("get_cert_failed")),
            _ => continue,
        };
        let plain = matches!(m, Message::NotSsl);
        let Some(k) = reqs
            .iter()
            .rposition(|r| from.contains(&r.step) && r.https != plain)
        else {
            continue;
        };
        match outcome {
            Some(o) => {
                let mut r = reqs.remove(k);
                r.outcome = o;
                got.insert(r.start_line, r.outcome);
            }
            None => reqs[k].step = to,
        }
    }
    let mut s = Score::default();
    for t in sim.requests.iter().filter(|t| !sim.lines[t.lines[0]].lost) {
        s.captured += 1;
        s.right += usize::from(got.get(&t.lines[0]) == Some(&expected_outcome(sim, t)));
    }
    s
}

/// certtrace's score on `sim`'s DebugView log, and its calibration.
pub fn certtrace_debugview(sim: &Simulation) -> (Score, [(usize, usize); 6]) {
    let records = correlate_text(&sim.debugview_log(), CorrelateOptions::default());
    (score(sim, &records), calibration(sim, &records))
}
