//! certtrace: correlate the client-certificate trace messages of an IIS native
//! module into per-request answers.
//!
//! The pipeline, one module per stage:
//! **sources** (one module per input kind, each yielding a normalized
//! [`event::TraceEvent`]) → **parse** (the module's message grammar into a
//! typed [`parse::Message`]) → **correlate** (worker-process instances,
//! requests, counters) → **render** (table, JSON).

pub mod app;
pub mod certs;
pub mod cli;
pub mod commands;
pub mod correlate;
pub mod demo;
pub mod etl;
pub mod event;
pub mod exit;
pub mod hresult;
pub mod live;
pub mod pager;
pub mod parse;
pub mod provider;
pub mod record;
pub mod render;
pub mod simulate;
pub mod sources;
pub mod watch;
