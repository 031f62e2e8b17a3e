//! The pipeline driver's stop rules and time window on in-memory input:
//! `--fail-on`, `--until`, `--summary-every` snapshots and `--since`.

use std::io::Cursor;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use certtrace::app::{self, Input, PipelineOptions, RequestFilter, Status};
use certtrace::correlate::CorrelateOptions;
use certtrace::input::{ReadOptions, TextSource};
use certtrace::output::ndjson::NdjsonRenderer;
use certtrace::record::Outcome;
use certtrace::watch::{Alert, StopRules, TimeWindow};
use serde_json::Value;

fn capture() -> String {
    let mut s = String::new();
    let mut i = 0;
    let mut entry = |pid: u32, msg: &str| {
        i += 1;
        s.push_str(&format!("{i:08}\t{}.0\t[{pid}] {msg}\t\r\n", i));
    };
    for cnt in 1..=4 {
        entry(
            5,
            &format!("Line: 28 rMsg1638: cnt = {cnt} URI: http://x/{cnt}"),
        );
        entry(5, "Line: 32 rMsg1638: connection is not using SSL");
    }
    entry(5, "Line: 28 rMsg1638: cnt = 5 URI: https://x/5");
    entry(5, "Line: 40 rMsg1638: HR = 80070490  Cert not found");
    entry(5, "Line: 28 rMsg1638: cnt = 6 URI: http://x/6");
    entry(5, "Line: 32 rMsg1638: connection is not using SSL");
    s
}

fn run(popts: PipelineOptions) -> (Status, Vec<Value>) {
    let src = TextSource::new(
        Cursor::new(capture().into_bytes()),
        "c.log".into(),
        ReadOptions::default(),
    );
    let mut out = Vec::new();
    let status = {
        let mut r = NdjsonRenderer::new(&mut out);
        let mut diag = Vec::new();
        app::run(
            vec!["c.log".into()],
            vec![Input::Stream(Box::new(src))],
            &popts,
            &mut r,
            &mut diag,
            &Arc::new(AtomicBool::new(false)),
        )
        .unwrap()
    };
    let recs = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (status, recs)
}

fn opts(stop: StopRules) -> PipelineOptions {
    let mut p = PipelineOptions::new(CorrelateOptions::default(), RequestFilter::default());
    p.stop = stop;
    p
}

fn requests(recs: &[Value]) -> Vec<u64> {
    recs.iter()
        .filter(|v| v["type"] == "request")
        .map(|v| v["cnt"].as_u64().unwrap())
        .collect()
}

#[test]
fn fail_on_stops_at_the_alert_with_status_3() {
    let (status, recs) = run(opts(StopRules {
        fail_on: vec![Alert::Outcome(Outcome::CertNotFound)],
        ..Default::default()
    }));
    assert_eq!(status, Status::Alert);
    assert_eq!(status.exit_code(), 3);
    assert_eq!(requests(&recs), [1, 2, 3, 4, 5]);
    let last = recs.last().unwrap();
    assert_eq!(last["type"], "summary");
    assert_eq!(last["interrupted"], true);
    assert_eq!(recs[recs.len() - 2]["outcome"], "cert_not_found");
}

#[test]
fn until_stops_after_n_requests() {
    let (status, recs) = run(opts(StopRules {
        until_requests: Some(2),
        ..Default::default()
    }));
    assert_eq!(status, Status::Stopped);
    assert_eq!(status.exit_code(), 0);
    assert_eq!(requests(&recs), [1, 2]);
}

#[test]
fn no_alert_runs_to_the_end() {
    let (status, recs) = run(opts(StopRules {
        fail_on: vec![Alert::Gap, Alert::Recycle],
        ..Default::default()
    }));
    assert_eq!(status, Status::Ok);
    assert_eq!(requests(&recs), [1, 2, 3, 4, 5, 6]);
    assert_eq!(recs.last().unwrap()["interrupted"], false);
    assert_eq!(recs.last().unwrap()["snapshot"], false);
}

#[test]
fn time_window_and_outcome_filter_apply_together() {
    let mut p = opts(StopRules::default());
    p.filter.time = TimeWindow {
        since: Some("5".parse().unwrap()),
        until: Some("11".parse().unwrap()),
    };
    let (_, recs) = run(p.clone());
    // Requests start at entries 1, 3, 5, ...: times 1.0, 3.0, 5.0, ...
    assert_eq!(requests(&recs), [3, 4, 5, 6]);
    p.filter.outcomes = vec![Outcome::CertNotFound];
    let (_, recs) = run(p);
    assert_eq!(requests(&recs), [5]);
}

#[test]
fn live_gap_judging_reports_a_missing_counter_without_waiting_for_64_more() {
    use certtrace::correlate::{Correlator, line_origin};
    use certtrace::input::event::TraceEvent;
    use certtrace::record::Record;
    let mut c = Correlator::new(CorrelateOptions::default());
    let mut line = 0;
    let mut push = |c: &mut Correlator, msg: &str| {
        line += 1;
        let mut e = TraceEvent::new(msg, line_origin("t", line));
        e.pid = Some(9);
        c.push_event(&e);
    };
    for cnt in [1, 2, 4] {
        push(
            &mut c,
            &format!("Line: 28 rMsg1638: cnt = {cnt} URI: http://g/"),
        );
        push(&mut c, "Line: 32 rMsg1638: connection is not using SSL");
    }
    let gaps = |recs: Vec<Record>| -> Vec<(u64, u64)> {
        recs.into_iter()
            .filter_map(|r| match r {
                Record::Gap(g) => Some((g.from_cnt, g.to_cnt)),
                _ => None,
            })
            .collect()
    };
    c.judge_counters(); // sets the mark at 4
    assert!(gaps(c.take_records()).is_empty());
    // cnt 3 may still arrive out of order before the next judgement...
    push(&mut c, "Line: 28 rMsg1638: cnt = 5 URI: http://g/");
    c.judge_counters();
    assert_eq!(gaps(c.take_records()), [(3, 3)]);
    c.finish();
    assert!(gaps(c.take_records()).is_empty(), "reported once");
}
