//! ETW real-time session through ferrisetw, with the session hygiene
//! ferrisetw leaves to its users: leftover sessions replaced, half-started
//! sessions stopped, callbacks that cannot panic across the FFI boundary,
//! flush-and-drain plus a counter query before stopping.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;

use ferrisetw::provider::Provider;
use ferrisetw::trace::{DumpFileLoggingMode, DumpFileParams, TraceTrait, UserTrace};
use ferrisetw::{EventRecord, SchemaLocator};
use windows_sys::Win32::System::Diagnostics::Etw::{
    CONTROLTRACE_HANDLE, ControlTraceW, EVENT_TRACE_CONTROL, EVENT_TRACE_CONTROL_FLUSH,
    EVENT_TRACE_CONTROL_QUERY, EVENT_TRACE_CONTROL_STOP, EVENT_TRACE_PROPERTIES,
};

use super::record::{
    RecordText, describe_trace_error, record_meta, record_text, to_ferris_guid, trace_error_code,
};
use super::{Counters, Msg, ProcessNames, wide};
use crate::event::InputName;
use crate::live::session::{code, describe_code, validate_etl_path};
use crate::live::tlg::FieldChoice;
use crate::live::{Captured, EtwSessionStats, LiveError, LiveOptions};
use crate::provider::ProviderSpec;

pub(super) struct EtwCapture {
    trace: Option<UserTrace>,
    session: String,
    stopping: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    pub replaced_leftover: bool,
}

/// What the event callback needs; shared by the callback closure.
struct CallbackCtx {
    /// `Sender` is `Sync`: callbacks on ETW's thread send directly.
    tx: Sender<Msg>,
    field: Option<String>,
    provider_label: String,
    input: InputName,
    counters: Arc<Counters>,
    names: Arc<ProcessNames>,
    warned_fallback: AtomicBool,
}

/// `ControlTraceW` by session name (query, flush, stop); returns the
/// session's counters or the Win32 error.
pub(super) fn control_session(
    name: &str,
    control: EVENT_TRACE_CONTROL,
) -> Result<EtwSessionStats, u32> {
    const NAME_UNITS: usize = 1024;
    let props_size = std::mem::size_of::<EVENT_TRACE_PROPERTIES>();
    let total = props_size + 2 * NAME_UNITS * 2;
    // u64 storage keeps EVENT_TRACE_PROPERTIES aligned.
    let mut buf = vec![0u64; total.div_ceil(8)];
    let props = buf.as_mut_ptr().cast::<EVENT_TRACE_PROPERTIES>();
    let wname = wide(name);
    // SAFETY: `buf` is zeroed, large enough for the properties followed by
    // two 1024-unit name buffers at the offsets given, and aligned; it
    // outlives the call.
    unsafe {
        (*props).Wnode.BufferSize = total as u32;
        (*props).LoggerNameOffset = props_size as u32;
        (*props).LogFileNameOffset = (props_size + NAME_UNITS * 2) as u32;
        let rc = ControlTraceW(
            CONTROLTRACE_HANDLE { Value: 0 },
            wname.as_ptr(),
            props,
            control,
        );
        if rc != 0 {
            return Err(rc);
        }
        Ok(EtwSessionStats {
            events_lost: (*props).EventsLost,
            log_buffers_lost: (*props).LogBuffersLost,
            realtime_buffers_lost: (*props).RealTimeBuffersLost,
            buffers_written: (*props).BuffersWritten,
        })
    }
}

/// Stops a session by name; "no such session" counts as stopped.
fn stop_session(name: &str) -> Result<(), u32> {
    match control_session(name, EVENT_TRACE_CONTROL_STOP) {
        Ok(_) => Ok(()),
        Err(code::ERROR_WMI_INSTANCE_NOT_FOUND) => Ok(()),
        Err(c) => Err(c),
    }
}

fn denied(session: &str, what: &str) -> LiveError {
    LiveError::EtwAccessDenied {
        session: session.to_string(),
        what: what.to_string(),
    }
}

fn on_event(record: &EventRecord, locator: &SchemaLocator, ctx: &CallbackCtx) {
    let text = match record_text(record, locator, ctx.field.as_deref()) {
        RecordText::StringOnly(d) => {
            ctx.counters
                .replaced_chars
                .fetch_add(d.replaced as u64, Ordering::Relaxed);
            d.text
        }
        RecordText::Fields(FieldChoice::Found { text, .. }) => text,
        RecordText::Fields(FieldChoice::Fallback { text, why }) => {
            ctx.counters.field_fallbacks.fetch_add(1, Ordering::Relaxed);
            if !ctx.warned_fallback.swap(true, Ordering::Relaxed) {
                send(
                    ctx,
                    Msg::Notice(format!(
                        "ETW event {} ({}): {why}; showing all its fields \
                         (use --field NAME to pick the message field)",
                        record.event_id(),
                        record.event_name()
                    )),
                );
            }
            text
        }
        RecordText::Undecodable(why) => {
            ctx.counters.undecodable.fetch_add(1, Ordering::Relaxed);
            format!("<undecodable ETW event {}: {why}>", record.event_id())
        }
    };
    let meta = record_meta(record);
    let pid = meta.pid;
    send(
        ctx,
        Msg::Event(Captured {
            time: meta.time.unwrap_or_else(chrono::Utc::now),
            pid: Some(pid),
            tid: Some(meta.tid),
            provider: Some(ctx.provider_label.clone()),
            activity_id: meta.activity_id,
            text,
            process: ctx.names.lookup(pid),
            input: ctx.input,
            split_lines: false,
        }),
    );
}

fn send(ctx: &CallbackCtx, msg: Msg) {
    // Fails only once the capture thread is gone (stopping): nothing to do.
    let _ = ctx.tx.send(msg);
}

impl EtwCapture {
    pub(super) fn start(
        opts: &LiveOptions,
        spec: &ProviderSpec,
        tx: Sender<Msg>,
        counters: Arc<Counters>,
        names: Arc<ProcessNames>,
        notify: &mut dyn FnMut(String),
    ) -> Result<EtwCapture, LiveError> {
        let session = opts.session.clone();
        let mut replaced_leftover = false;

        let etl: Option<PathBuf> = match &opts.save_etl {
            None => None,
            Some(p) => {
                let abs = std::path::absolute(p).map_err(|e| {
                    LiveError::InvalidOption(format!("--save {}: {e}", p.display()))
                })?;
                validate_etl_path(&abs.to_string_lossy())
                    .map_err(|e| LiveError::InvalidOption(format!("--save: {e}")))?;
                Some(abs)
            }
        };

        notify(format!(
            "ETW session {session:?}: provider {}{}, keywords {:#x}, level {}",
            spec.guid,
            spec.name
                .as_ref()
                .map_or(String::new(), |n| format!(" ({n})")),
            opts.keywords,
            opts.level
        ));
        let leftover_notice = |session: &str| {
            format!(
                "an ETW session named {session:?} already exists (left over from an earlier run \
                 that did not stop?); stopping it and starting a new one"
            )
        };
        match control_session(&session, EVENT_TRACE_CONTROL_QUERY) {
            Ok(_) => {
                notify(leftover_notice(&session));
                replace(&session)?;
                replaced_leftover = true;
            }
            Err(code::ERROR_WMI_INSTANCE_NOT_FOUND) => {}
            Err(code::ERROR_ACCESS_DENIED) => {
                return Err(denied(&session, "querying ETW sessions: access denied"));
            }
            // Anything else: let StartTrace report it.
            Err(_) => {}
        }

        let ctx = Arc::new(CallbackCtx {
            tx: tx.clone(),
            field: opts.field.clone(),
            provider_label: spec.name.clone().unwrap_or_else(|| spec.guid.to_string()),
            input: InputName::from(format!("etw:{}", spec.guid)),
            counters: counters.clone(),
            names,
            warned_fallback: AtomicBool::new(false),
        });

        for attempt in 0..2 {
            let cb_ctx = ctx.clone();
            let counters_cb = counters.clone();
            let provider = Provider::by_guid(to_ferris_guid(spec.guid))
                .any(opts.keywords)
                .level(opts.level)
                .add_callback(move |record: &EventRecord, locator: &SchemaLocator| {
                    // A panic escaping here would make ferrisetw exit the
                    // process and leak the session: contain it.
                    if catch_unwind(AssertUnwindSafe(|| on_event(record, locator, &cb_ctx)))
                        .is_err()
                    {
                        counters_cb.callback_panics.fetch_add(1, Ordering::Relaxed);
                    }
                })
                .build();
            let mut builder = UserTrace::new().named(session.clone()).enable(provider);
            if let Some(path) = &etl {
                builder = builder.set_etl_dump_file(DumpFileParams {
                    file_path: path.clone(),
                    file_logging_mode: DumpFileLoggingMode::EVENT_TRACE_FILE_MODE_SEQUENTIAL,
                    max_size: None,
                });
            }
            match builder.start() {
                Ok((trace, handle)) => {
                    let stopping = Arc::new(AtomicBool::new(false));
                    let stopping_t = stopping.clone();
                    let tx_t = tx.clone();
                    let session_t = session.clone();
                    let thread = std::thread::Builder::new()
                        .name("certtrace-etw".into())
                        .spawn(move || {
                            let r = UserTrace::process_from_handle(handle);
                            if !stopping_t.load(Ordering::SeqCst) {
                                let why = match r {
                                    Ok(()) => String::new(),
                                    Err(e) => format!(": {}", describe_trace_error(&e)),
                                };
                                let _ = tx_t.send(Msg::Ended(format!(
                                    "the ETW session {session_t:?} ended (stopped from \
                                     outside?){why}"
                                )));
                            }
                        })
                        .map_err(|e| LiveError::Etw {
                            session: session.clone(),
                            step: "starting the event thread".into(),
                            detail: e.to_string(),
                        });
                    let thread = match thread {
                        Ok(t) => t,
                        Err(e) => {
                            drop(trace);
                            let _ = stop_session(&session);
                            return Err(e);
                        }
                    };
                    if let Some(p) = &etl {
                        notify(format!("recording the session to {}", p.display()));
                    }
                    return Ok(EtwCapture {
                        trace: Some(trace),
                        session,
                        stopping,
                        thread: Some(thread),
                        replaced_leftover,
                    });
                }
                Err(e) => {
                    let c = trace_error_code(&e);
                    if c == Some(code::ERROR_ALREADY_EXISTS) && attempt == 0 {
                        // Appeared between the query and the start.
                        notify(leftover_notice(&session));
                        replace(&session)?;
                        replaced_leftover = true;
                        continue;
                    }
                    // StartTrace may have succeeded before EnableTraceEx2 or
                    // OpenTrace failed: never leave a half-made session.
                    if c != Some(code::ERROR_ALREADY_EXISTS) {
                        let _ = stop_session(&session);
                    }
                    return Err(match c {
                        Some(code::ERROR_ACCESS_DENIED) => {
                            denied(&session, &describe_trace_error(&e))
                        }
                        Some(code::ERROR_ALREADY_EXISTS) => LiveError::SessionInUse {
                            session: session.clone(),
                            detail: "it was started again by someone else".into(),
                        },
                        _ => LiveError::Etw {
                            session: session.clone(),
                            step: "starting the session (StartTrace, EnableTraceEx2, OpenTrace)"
                                .into(),
                            detail: describe_trace_error(&e),
                        },
                    });
                }
            }
        }
        unreachable!("the start loop returns on its second attempt")
    }

    /// Asks the session to hand its buffers to the consumer now.
    pub(super) fn flush(&mut self) {
        let _ = control_session(&self.session, EVENT_TRACE_CONTROL_FLUSH);
    }

    /// Reads the session's counters, then stops it. Returns the counters
    /// and notices for the operator.
    pub(super) fn stop(mut self) -> (Option<EtwSessionStats>, Vec<String>) {
        let mut notices = Vec::new();
        let stats = match control_session(&self.session, EVENT_TRACE_CONTROL_QUERY) {
            Ok(s) => Some(s),
            Err(c) => {
                notices.push(format!(
                    "could not read the session's lost-event counters: {}",
                    describe_code(c)
                ));
                None
            }
        };
        self.stopping.store(true, Ordering::SeqCst);
        if let Some(trace) = self.trace.take()
            && let Err(e) = trace.stop()
        {
            notices.push(format!(
                "ferrisetw could not stop the session cleanly ({}); stopping it by name",
                describe_trace_error(&e)
            ));
        }
        if let Err(c) = stop_session(&self.session) {
            notices.push(format!(
                "the ETW session {:?} could not be stopped ({}); stop it with `logman stop {} -ets`",
                self.session,
                describe_code(c),
                self.session
            ));
        }
        if let Some(t) = self.thread.take() {
            // ProcessTrace returns once the trace is closed; never let a
            // stuck ETW thread keep Ctrl-C from finishing.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
            while !t.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            if t.is_finished() {
                let _ = t.join();
            } else {
                notices.push("the ETW event thread did not end within 5 s; not waiting".into());
            }
        }
        (stats, notices)
    }
}

/// Stops a leftover session so a new one can take its name.
fn replace(session: &str) -> Result<(), LiveError> {
    match stop_session(session) {
        Ok(()) => Ok(()),
        Err(code::ERROR_ACCESS_DENIED) => Err(denied(
            session,
            "stopping the existing session of that name: access denied",
        )),
        Err(c) => Err(LiveError::SessionInUse {
            session: session.to_string(),
            detail: describe_code(c),
        }),
    }
}

impl Drop for EtwCapture {
    /// An early return (error in the capture loop) still stops the session.
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        if let Some(trace) = self.trace.take() {
            drop(trace);
            let _ = stop_session(&self.session);
        }
    }
}
