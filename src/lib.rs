//! certtrace: correlate the client-certificate trace messages of an IIS native
//! module into per-request answers.
//!
//! The pipeline, one module per stage:
//! **sources** (one module per input kind, each yielding a normalized
//! [`event::TraceEvent`]) → **parse** (the module's message grammar into a
//! typed [`parse::Message`]) → **correlate** (worker-process instances,
//! requests, counters) → **render** (table, JSON).

pub mod certs;
pub mod event;
pub mod provider;
