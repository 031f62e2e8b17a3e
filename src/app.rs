//! The pipeline driver: sources on a reader thread, correlation and
//! rendering on the calling thread, problems on stderr, exit status.
//!
//! Memory stays bounded: the channel between the threads holds a fixed
//! number of batches, and the correlator keeps only open requests, the
//! counters of live instances and a few settling records.

use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use regex::Regex;

use crate::correlate::{CorrelateOptions, Correlator};
use crate::record::{Outcome, Record};
use crate::render::Renderer;
use crate::sources::{ItemStream, SourceItem, merge::Merge};

/// Which request records reach the output.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub outcomes: Vec<Outcome>,
    pub uri: Option<Regex>,
    /// Only the per-certificate records (`certtrace certs`).
    pub certificates_only: bool,
}

impl RequestFilter {
    pub fn keeps(&self, r: &Record) -> bool {
        if self.certificates_only {
            return matches!(r, Record::Certificate(_) | Record::Problem(_));
        }
        match r {
            Record::Request(q) => {
                (self.outcomes.is_empty() || self.outcomes.contains(&q.outcome))
                    && self.uri.as_ref().is_none_or(|re| re.is_match(&q.uri))
            }
            _ => true,
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
}

impl PipelineOptions {
    pub fn new(correlate: CorrelateOptions, filter: RequestFilter) -> Self {
        PipelineOptions {
            correlate,
            filter,
            only_pid: None,
            batch: 1024,
            max_problems_shown: 20,
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
}

impl Status {
    /// The documented exit code.
    pub fn exit_code(self) -> i32 {
        match self {
            Status::Ok | Status::OutputClosed => 0,
            Status::InputError => 1,
            Status::Interrupted => 130,
        }
    }
}

/// What the correlating thread hands to the rendering thread.
enum ToWriter {
    Records(Vec<Record>),
    /// The input paused: show what is pending.
    Idle,
}

/// Live inputs are read line by line: flush the output after each batch.
fn batch_is_small(batch: usize) -> bool {
    batch <= 16
}

/// An opened input or the reason it could not be opened.
pub enum Input {
    Stream(ItemStream),
    Unreadable { name: String, error: String },
}

/// Runs the pipeline over the inputs into a renderer.
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

    let (tx, rx) = mpsc::sync_channel::<Vec<SourceItem>>(16);
    let batch = opts.batch.max(1);
    let reader_stop = stop.clone();
    let reader = thread::Builder::new()
        .name("certtrace-reader".into())
        .spawn(move || {
            let mut merged = Merge::new(streams);
            let mut buf = Vec::with_capacity(batch);
            loop {
                if reader_stop.load(Ordering::Relaxed) {
                    break;
                }
                match merged.next() {
                    Some(item) => {
                        buf.push(item);
                        if buf.len() >= batch {
                            let full = std::mem::replace(&mut buf, Vec::with_capacity(batch));
                            if tx.send(full).is_err() {
                                return;
                            }
                        }
                    }
                    None => break,
                }
            }
            if !buf.is_empty() {
                let _ = tx.send(buf);
            }
        })?;

    let mut shown = 0usize;
    let mut hidden = 0usize;
    let mut interrupted = false;
    // Rendering runs on its own thread: serializing records costs about as
    // much as correlating them.
    let (wtx, wrx) = mpsc::sync_channel::<ToWriter>(16);
    let outcome: io::Result<()> = thread::scope(|scope| {
        let writer = thread::Builder::new()
            .name("certtrace-writer".into())
            .spawn_scoped(scope, move || -> io::Result<()> {
                for msg in wrx {
                    match msg {
                        ToWriter::Records(records) => {
                            for r in &records {
                                renderer.record(r)?;
                            }
                        }
                        ToWriter::Idle => renderer.idle()?,
                    }
                }
                renderer.finish()
            })?;
        let send = |correlator: &mut Correlator, idle: bool| -> bool {
            let records: Vec<Record> = correlator
                .drain()
                .filter(|r| opts.filter.keeps(r))
                .collect();
            if !records.is_empty() && wtx.send(ToWriter::Records(records)).is_err() {
                return false;
            }
            !idle || wtx.send(ToWriter::Idle).is_ok()
        };
        let mut writer_alive = true;
        let res: io::Result<()> = (|| {
            loop {
                if stop.load(Ordering::Relaxed) {
                    interrupted = true;
                    break;
                }
                match rx.recv_timeout(Duration::from_millis(100)) {
                    Ok(items) => {
                        for item in items {
                            match item {
                                SourceItem::Event(ev) => {
                                    if let Some(p) = opts.only_pid
                                        && ev.pid.is_some_and(|x| x != p)
                                    {
                                        continue;
                                    }
                                    correlator.push_event(&ev);
                                }
                                SourceItem::Problem(p) => {
                                    if shown < opts.max_problems_shown {
                                        writeln!(diag, "certtrace: warning: {p}")?;
                                        shown += 1;
                                    } else {
                                        hidden += 1;
                                    }
                                    correlator.push_problem(&p);
                                }
                            }
                        }
                        // Flush output whenever the input has nothing more
                        // queued, so streamed records show promptly.
                        writer_alive = send(&mut correlator, batch_is_small(batch));
                    }
                    Err(RecvTimeoutError::Timeout) => {
                        correlator.flush_settled();
                        writer_alive = send(&mut correlator, true);
                    }
                    Err(RecvTimeoutError::Disconnected) => break,
                }
                if !writer_alive {
                    break;
                }
            }
            correlator.finish();
            if interrupted {
                correlator.mark_interrupted();
            }
            send(&mut correlator, false);
            Ok(())
        })();
        drop(wtx);
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
    if hidden > 0 {
        writeln!(
            diag,
            "certtrace: {hidden} more input problem{} not shown (counted in the summary)",
            if hidden == 1 { "" } else { "s" }
        )?;
    }
    if interrupted {
        // The reader may be blocked on stdin: do not wait for it.
        return Ok(Status::Interrupted);
    }
    let _ = reader.join();
    Ok(status)
}
