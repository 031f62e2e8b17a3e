//! NDJSON batches formatted by whichever thread is free (the reading thread
//! helps while it is ahead) give the same text, in the same order, as the
//! writer formatting every record itself.

use std::io::{self, Cursor, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use certtrace::app::{self, Input, PipelineOptions, RequestFilter, Status};
use certtrace::correlate::CorrelateOptions;
use certtrace::input::{ReadOptions, TextSource};
use certtrace::output::Renderer;
use certtrace::output::batches::BatchFormat;
use certtrace::output::ndjson::{self, NdjsonRenderer};
use certtrace::record::Record;
use certtrace::simulate::{SimConfig, Simulation};

/// A realistic multi-process DebugView capture of `n` requests.
fn capture(n: usize) -> Vec<u8> {
    let sim = Simulation::run(&SimConfig::realistic(
        7,
        n,
        certtrace::demo::demo_certificates(),
    ));
    let mut out = Vec::new();
    for (i, l) in sim.lines.iter().filter(|l| !l.lost).enumerate() {
        write!(
            out,
            "{:08}\t{:.8}\t[{}] {}\t\r\n",
            i + 1,
            l.time,
            l.pid,
            l.text
        )
        .unwrap();
    }
    out
}

fn run(capture: &[u8], renderer: &mut (dyn Renderer + Send)) -> Status {
    let src = TextSource::new(
        Cursor::new(capture.to_vec()),
        "c.log".into(),
        ReadOptions::default(),
    );
    let mut popts = PipelineOptions::new(CorrelateOptions::default(), RequestFilter::default());
    // Small batches: many of them, so the queues fill and the reader helps.
    popts.batch = 16;
    app::run(
        vec!["c.log".into()],
        vec![Input::Stream(Box::new(src))],
        &popts,
        renderer,
        &mut Vec::new(),
        &Arc::new(AtomicBool::new(false)),
    )
    .unwrap()
}

/// Batches formatted on the reading thread.
static ON_READER: AtomicUsize = AtomicUsize::new(0);

fn counting_format(buf: &mut Vec<u8>, records: &[Record]) -> io::Result<()> {
    if std::thread::current().name() == Some("certtrace-reader") {
        ON_READER.fetch_add(1, Ordering::SeqCst);
    }
    ndjson::write_records(buf, records)
}

/// NDJSON, each record formatted by the writer (`in_batches` false), or in
/// formatted batches with a slow output, so the reader gets ahead.
struct Ndjson<W: Write> {
    inner: NdjsonRenderer<W>,
    in_batches: bool,
}

impl<W: Write> Renderer for Ndjson<W> {
    fn record(&mut self, record: &Record) -> io::Result<()> {
        self.inner.record(record)
    }
    fn idle(&mut self) -> io::Result<()> {
        self.inner.idle()
    }
    fn finish(&mut self) -> io::Result<()> {
        self.inner.finish()
    }
    fn batch_format(&self) -> Option<BatchFormat> {
        self.in_batches.then_some(counting_format as BatchFormat)
    }
    fn write_formatted(&mut self, text: &[u8]) -> io::Result<()> {
        std::thread::sleep(std::time::Duration::from_micros(300));
        self.inner.write_formatted(text)
    }
}

#[test]
fn batches_formatted_anywhere_read_as_records_formatted_in_turn() {
    let capture = capture(3000);
    let mut want = Vec::new();
    assert_eq!(
        run(
            &capture,
            &mut Ndjson {
                inner: NdjsonRenderer::new(&mut want),
                in_batches: false,
            }
        ),
        Status::Ok
    );
    let mut got = Vec::new();
    assert_eq!(
        run(
            &capture,
            &mut Ndjson {
                inner: NdjsonRenderer::new(&mut got),
                in_batches: true,
            }
        ),
        Status::Ok
    );
    let (want, got) = (
        String::from_utf8(want).unwrap(),
        String::from_utf8(got).unwrap(),
    );
    assert!(
        want.lines()
            .filter(|l| l.contains(r#""type":"request""#))
            .count()
            > 2500
    );
    assert!(want == got, "the two outputs differ");
    assert!(
        ON_READER.load(Ordering::SeqCst) > 0,
        "the reading thread formatted no batch"
    );
}

#[test]
fn the_ndjson_renderer_formats_batches() {
    let mut out = Vec::new();
    let r = NdjsonRenderer::new(&mut out);
    assert!(r.batch_format().is_some());
}
