//! certtrace: correlate the client-certificate trace messages of an IIS native
//! module into per-request answers.
//!
//! The pipeline, one folder per stage:
//! **input** (one module per source kind: DebugView and DebugView++ logs,
//! raw lines, JSON, followed files, `.etl` files, live capture; each yields
//! the normalized [`input::event::TraceEvent`]) → **parse** (the module's
//! message grammar into a typed [`parse::Message`]) → **correlate**
//! (worker-process instances, requests, counters) → **certs** (the
//! catalog, certificate identity from the logged size and CRC) →
//! **output** (report tables, dashboard, NDJSON, JSON).
//!
//! Around them: [`record`] (what the stages report), [`app`] (the threads
//! that drive the pipeline), [`cli`] and [`commands`] (the command line),
//! [`exit`] (the exit-code contract), [`watch`] (stop rules and time
//! windows), [`simulate`] and [`demo`] (a simulated server with known
//! truth).

pub mod app;
pub mod certs;
pub mod cli;
pub mod commands;
pub mod correlate;
pub mod demo;
pub mod exit;
pub mod input;
pub mod output;
pub mod parse;
pub mod record;
pub mod simulate;
pub mod watch;
