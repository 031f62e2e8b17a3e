//! Renderers: one file per output format behind one trait.
//!
//! * [`table`]: human tables (comfy-table), request rows as they come, then
//!   summary tables.
//! * [`ndjson`]: one JSON object per record and line, for scripts.
//! * [`json`]: one JSON document with every record, for `jq`.
//! * [`dashboard`]: a live view redrawn in place (following on a terminal).
//! * [`rotate`]: `--output FILE`, rotated by size at line ends.
//! * [`redact`]: `--redact`, hashing query strings and subjects first.
//!
//! [`batches`] lets another thread than the writer format records, for the
//! formats that allow it.

pub mod batches;
pub mod certs_report;
pub mod dashboard;
pub mod fit;
pub mod json;
pub mod ndjson;
pub mod pager;
pub mod redact;
pub mod request_json;
pub mod rotate;
pub mod table;

use std::io;

use crate::record::Record;

/// Capacity of the buffer in front of standard output.
pub const OUTPUT_BUFFER: usize = 256 * 1024;

/// The capacity of the buffer in front of standard output for a format.
/// NDJSON gathers its records into blocks itself (and batches come
/// formatted, [`batches`]): its buffer only gathers the small writes of a
/// live stream, and passes bigger ones straight through (a write smaller
/// than the buffer is copied into it first).
pub fn output_buffer(format: Format) -> usize {
    match format {
        Format::Ndjson => 32 * 1024,
        _ => OUTPUT_BUFFER,
    }
}

/// Output formats of `read` and `demo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Tables for people (default on a terminal).
    Table,
    /// One JSON object per line (default when piped).
    Ndjson,
    /// One JSON document.
    Json,
    /// Live dashboard redrawn in place (default when following on a
    /// terminal).
    Dashboard,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour, given whether the output is a terminal.
    pub fn enabled(self, is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

/// A renderer gets every record in stream order, is told when the input
/// pauses (to flush what it holds), and finishes at the end.
pub trait Renderer {
    fn record(&mut self, record: &Record) -> io::Result<()>;
    /// The input is idle: show what is pending now.
    fn idle(&mut self) -> io::Result<()>;
    fn finish(&mut self) -> io::Result<()>;

    /// For formats whose text of a batch of records is each record's text
    /// in turn (NDJSON): the function writing that text, which any thread
    /// may run ([`batches`]); the text then goes to
    /// [`Renderer::write_formatted`] instead of each record to
    /// [`Renderer::record`].
    fn batch_format(&self) -> Option<batches::BatchFormat> {
        None
    }

    /// Writes the text of a batch made by [`Renderer::batch_format`].
    fn write_formatted(&mut self, _text: &[u8]) -> io::Result<()> {
        Err(io::Error::other(
            "this output format does not take formatted batches",
        ))
    }
}

/// Builds the renderer for a format.
pub fn renderer<'a>(
    format: Format,
    out: Box<dyn io::Write + Send + 'a>,
    opts: table::TableOptions,
) -> Box<dyn Renderer + Send + 'a> {
    match format {
        Format::Table => Box::new(table::TableRenderer::new(out, opts)),
        Format::Ndjson => Box::new(ndjson::NdjsonRenderer::new(out)),
        Format::Json => Box::new(json::JsonRenderer::new(out)),
        Format::Dashboard => Box::new(dashboard::DashboardRenderer::new(
            out,
            dashboard::DashOptions::default(),
        )),
    }
}
