//! The ETW real-time session, through windows-sys: StartTrace,
//! EnableTraceEx2, OpenTrace, ProcessTrace on its own thread, and the stop
//! in the order of [`crate::input::live::etw_session`] (stop by name, let
//! ProcessTrace deliver the last buffers, join, CloseTrace, free the
//! callback context). Also: the session's buffers sized explicitly, `--save`
//! files bounded (circular), a named mutex so a session another running
//! certtrace owns is never replaced, and a console handler that stops the
//! session when the process is about to end without unwinding.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Once};

use windows_sys::Win32::Foundation::{CloseHandle, ERROR_ALREADY_EXISTS, GetLastError, HANDLE};
use windows_sys::Win32::System::Console::SetConsoleCtrlHandler;
use windows_sys::Win32::System::Diagnostics::Etw::{
    CONTROLTRACE_HANDLE, CloseTrace, ControlTraceW, EVENT_CONTROL_CODE_ENABLE_PROVIDER,
    EVENT_RECORD, EVENT_TRACE_CONTROL, EVENT_TRACE_CONTROL_FLUSH, EVENT_TRACE_CONTROL_QUERY,
    EVENT_TRACE_CONTROL_STOP, EVENT_TRACE_FILE_MODE_CIRCULAR, EVENT_TRACE_LOGFILEW,
    EVENT_TRACE_PROPERTIES, EVENT_TRACE_REAL_TIME_MODE, EnableTraceEx2, OpenTraceW,
    PROCESS_TRACE_MODE_EVENT_RECORD, PROCESS_TRACE_MODE_REAL_TIME, PROCESSTRACE_HANDLE,
    ProcessTrace, StartTraceW, WNODE_FLAG_TRACED_GUID,
};
use windows_sys::Win32::System::Threading::CreateMutexW;

use super::record::{RecordText, record_meta, record_text, to_sys_guid};
use super::{Counters, Msg, ProcessNames, wide};
use crate::input::etl::tracelogging::{DEFAULT_ANSI, FieldChoice};
use crate::input::event::InputName;
use crate::input::live::etw_session::{
    BufferConfig, ConsoleAction, DRAIN_WAIT, RunningSession, SessionControl, StartStep,
    console_action, register_owned, stop_owned, unregister_owned,
};
use crate::input::live::session::{code, describe_code, validate_etl_path};
use crate::input::live::{Captured, EtwSessionStats, LiveError, LiveOptions};
use crate::input::provider::{Guid, ProviderSpec};

/// `EVENT_TRACE_USE_MS_FLUSH_TIMER` (Windows 8+): `FlushTimer` is in ms.
const EVENT_TRACE_USE_MS_FLUSH_TIMER: u32 = 0x10;
/// `Wnode.ClientContext` 1: QPC timestamps (converted to FILETIME by
/// ProcessTrace).
const CLOCK_QPC: u32 = 1;
/// Room for the session name and the log file name in the properties.
const NAME_UNITS: usize = 1024;

/// `EVENT_TRACE_PROPERTIES` followed by room for both names, aligned.
struct Properties(Vec<u64>);

impl Properties {
    fn new() -> Properties {
        let size = std::mem::size_of::<EVENT_TRACE_PROPERTIES>();
        let total = size + 2 * NAME_UNITS * 2;
        let mut p = Properties(vec![0u64; total.div_ceil(8)]);
        let props = p.get();
        props.Wnode.BufferSize = total as u32;
        props.LoggerNameOffset = size as u32;
        props.LogFileNameOffset = (size + NAME_UNITS * 2) as u32;
        p
    }
    fn get(&mut self) -> &mut EVENT_TRACE_PROPERTIES {
        // SAFETY: the buffer is zero-initialised, 8-byte aligned and larger
        // than EVENT_TRACE_PROPERTIES, a plain C struct.
        unsafe { &mut *self.0.as_mut_ptr().cast::<EVENT_TRACE_PROPERTIES>() }
    }
    /// Writes the log file name where `LogFileNameOffset` points.
    fn set_log_file(&mut self, path: &[u16]) {
        let at = self.get().LogFileNameOffset as usize / 2;
        let n = path.len().min(NAME_UNITS - 1);
        // SAFETY: the name area holds NAME_UNITS u16 from `at` (in u16
        // units from the start of the buffer, which is 8-byte aligned).
        let units = unsafe {
            std::slice::from_raw_parts_mut(self.0.as_mut_ptr().cast::<u16>(), self.0.len() * 4)
        };
        units[at..at + n].copy_from_slice(&path[..n]);
        units[at + n] = 0;
    }
    fn stats(&mut self) -> EtwSessionStats {
        let p = self.get();
        EtwSessionStats {
            events_lost: p.EventsLost,
            log_buffers_lost: p.LogBuffersLost,
            realtime_buffers_lost: p.RealTimeBuffersLost,
            buffers_written: p.BuffersWritten,
        }
    }
}

/// `ControlTraceW` by session name (query, flush, stop); the session's
/// counters or the Win32 error.
pub(super) fn control_session(
    name: &str,
    control: EVENT_TRACE_CONTROL,
) -> Result<EtwSessionStats, u32> {
    let mut props = Properties::new();
    let wname = wide(name);
    // SAFETY: `props` is sized and laid out as ControlTraceW expects and
    // outlives the call; `wname` is NUL-terminated.
    let rc = unsafe {
        ControlTraceW(
            CONTROLTRACE_HANDLE { Value: 0 },
            wname.as_ptr(),
            props.get(),
            control,
        )
    };
    if rc != 0 {
        return Err(rc);
    }
    Ok(props.stats())
}

/// Stops a session by name; "no such session" counts as stopped.
fn stop_session(name: &str) -> Result<(), u32> {
    match control_session(name, EVENT_TRACE_CONTROL_STOP) {
        Ok(_) | Err(code::ERROR_WMI_INSTANCE_NOT_FOUND) => Ok(()),
        Err(c) => Err(c),
    }
}

/// What the event callback needs. Owned by [`WinSession`], which the event
/// thread holds until ProcessTrace has returned.
struct CallbackCtx {
    tx: Sender<Msg>,
    provider: Guid,
    field: Option<String>,
    provider_label: String,
    input: InputName,
    counters: Arc<Counters>,
    names: Arc<ProcessNames>,
    warned_fallback: AtomicBool,
    warned_field: AtomicBool,
}

/// The session's Win32 calls ([`SessionControl`]).
struct WinSession {
    name: String,
    wname: Vec<u16>,
    keywords: u64,
    level: u8,
    buffers: BufferConfig,
    /// `--save FILE.etl`: the path and the size bound in MB.
    save: Option<(Vec<u16>, u32)>,
    session: AtomicU64,
    trace: AtomicU64,
    ctx: Box<CallbackCtx>,
}

fn is_invalid(h: PROCESSTRACE_HANDLE) -> bool {
    // INVALID_PROCESSTRACE_HANDLE: all ones, 64-bit or (WOW64) 32-bit.
    h.Value == u64::MAX || h.Value == u64::from(u32::MAX)
}

impl SessionControl for WinSession {
    fn start(&self) -> Result<(), u32> {
        let mut props = Properties::new();
        let p = props.get();
        p.Wnode.Flags = WNODE_FLAG_TRACED_GUID;
        p.Wnode.ClientContext = CLOCK_QPC;
        p.BufferSize = self.buffers.buffer_kb;
        p.MinimumBuffers = self.buffers.min_buffers;
        p.MaximumBuffers = self.buffers.max_buffers;
        p.FlushTimer = self.buffers.flush_ms;
        p.LogFileMode = EVENT_TRACE_REAL_TIME_MODE | EVENT_TRACE_USE_MS_FLUSH_TIMER;
        match &self.save {
            Some((path, max_mb)) => {
                p.LogFileMode |= EVENT_TRACE_FILE_MODE_CIRCULAR;
                p.MaximumFileSize = *max_mb;
                props.set_log_file(path);
            }
            None => p.LogFileNameOffset = 0,
        }
        let mut handle = CONTROLTRACE_HANDLE { Value: 0 };
        // SAFETY: `props` is laid out as StartTraceW expects (names after
        // the struct, offsets set) and outlives the call.
        let rc = unsafe { StartTraceW(&mut handle, self.wname.as_ptr(), props.get()) };
        if rc != 0 {
            return Err(rc);
        }
        self.session.store(handle.Value, Ordering::SeqCst);
        Ok(())
    }

    fn enable(&self) -> Result<(), u32> {
        let guid = to_sys_guid(self.ctx.provider);
        // SAFETY: a session handle from StartTraceW and a GUID that
        // outlives the call; no enable parameters.
        let rc = unsafe {
            EnableTraceEx2(
                CONTROLTRACE_HANDLE {
                    Value: self.session.load(Ordering::SeqCst),
                },
                &guid,
                EVENT_CONTROL_CODE_ENABLE_PROVIDER,
                self.level,
                self.keywords,
                0,
                0,
                std::ptr::null(),
            )
        };
        if rc == 0 { Ok(()) } else { Err(rc) }
    }

    fn open(&self) -> Result<(), u32> {
        // SAFETY: zero is a valid EVENT_TRACE_LOGFILEW.
        let mut log: EVENT_TRACE_LOGFILEW = unsafe { std::mem::zeroed() };
        log.LoggerName = self.wname.as_ptr().cast_mut();
        log.Anonymous1.ProcessTraceMode =
            PROCESS_TRACE_MODE_REAL_TIME | PROCESS_TRACE_MODE_EVENT_RECORD;
        log.Anonymous2.EventRecordCallback = Some(event_callback);
        log.Context = std::ptr::from_ref::<CallbackCtx>(&self.ctx)
            .cast_mut()
            .cast();
        // SAFETY: `log` is filled as OpenTraceW expects; the name and the
        // context live in `self`, which the event thread keeps alive while
        // ProcessTrace may call back.
        let h = unsafe { OpenTraceW(&mut log) };
        if is_invalid(h) {
            // SAFETY: plain Win32 call.
            return Err(unsafe { GetLastError() });
        }
        self.trace.store(h.Value, Ordering::SeqCst);
        Ok(())
    }

    fn process(&self) -> u32 {
        let h = PROCESSTRACE_HANDLE {
            Value: self.trace.load(Ordering::SeqCst),
        };
        // SAFETY: a handle from OpenTraceW, not closed before this returns
        // (see RunningSession::stop); no time bounds.
        unsafe { ProcessTrace(&h, 1, std::ptr::null(), std::ptr::null()) }
    }

    fn query(&self) -> Result<EtwSessionStats, u32> {
        control_session(&self.name, EVENT_TRACE_CONTROL_QUERY)
    }

    fn stop(&self) -> Result<EtwSessionStats, u32> {
        control_session(&self.name, EVENT_TRACE_CONTROL_STOP)
    }

    fn close(&self) {
        let h = self.trace.swap(0, Ordering::SeqCst);
        if h != 0 {
            // SAFETY: a handle from OpenTraceW, closed once.
            unsafe { CloseTrace(PROCESSTRACE_HANDLE { Value: h }) };
        }
    }
}

/// ProcessTrace's callback: decodes, never unwinds into ETW.
unsafe extern "system" fn event_callback(record: *mut EVENT_RECORD) {
    // SAFETY: ETW passes a record valid for the duration of the call, or
    // null; its UserContext is the `CallbackCtx` given to OpenTraceW, kept
    // alive by the event thread while ProcessTrace runs.
    let Some(raw) = (unsafe { record.as_ref() }) else {
        return;
    };
    let Some(ctx) = (unsafe { raw.UserContext.cast::<CallbackCtx>().as_ref() }) else {
        return;
    };
    if catch_unwind(AssertUnwindSafe(|| on_event(raw, ctx))).is_err() {
        ctx.counters.callback_panics.fetch_add(1, Ordering::Relaxed);
    }
}

fn on_event(raw: &EVENT_RECORD, ctx: &CallbackCtx) {
    let meta = record_meta(raw);
    // The session's own header events (EventTrace provider) are not ours.
    if meta.provider != ctx.provider {
        return;
    }
    ctx.counters.etw_events.fetch_add(1, Ordering::Relaxed);
    let id = raw.EventHeader.EventDescriptor.Id;
    let text = match record_text(raw, ctx.field.as_deref(), DEFAULT_ANSI) {
        RecordText::StringOnly(d) => {
            ctx.counters
                .replaced_chars
                .fetch_add(d.replaced as u64, Ordering::Relaxed);
            d.text
        }
        RecordText::TraceLogging(m) => {
            if let Some(p) = &m.problem {
                ctx.counters.field_problems.fetch_add(1, Ordering::Relaxed);
                if !ctx.warned_field.swap(true, Ordering::Relaxed) {
                    send(
                        ctx,
                        Msg::Notice(format!("ETW event {id}: {p}; the other fields are kept")),
                    );
                }
            }
            match m.choice {
                FieldChoice::Found { text, .. } => text,
                FieldChoice::Fallback { text, why } => {
                    ctx.counters.field_fallbacks.fetch_add(1, Ordering::Relaxed);
                    if !ctx.warned_fallback.swap(true, Ordering::Relaxed) {
                        send(
                            ctx,
                            Msg::Notice(format!(
                                "ETW event {id} ({}): {why}; showing all its fields \
                                 (use --field NAME to pick the message field)",
                                m.event_name
                            )),
                        );
                    }
                    text
                }
            }
        }
        RecordText::Undecodable(why) => {
            ctx.counters.undecodable.fetch_add(1, Ordering::Relaxed);
            format!("<undecodable ETW event {id}: {why}>")
        }
    };
    send(
        ctx,
        Msg::Event(Captured {
            time: meta.time.unwrap_or_else(chrono::Utc::now),
            pid: Some(meta.pid),
            tid: Some(meta.tid),
            provider: Some(ctx.provider_label.clone()),
            activity_id: meta.activity_id,
            text,
            process: ctx.names.lookup(meta.pid),
            input: ctx.input,
            split_lines: false,
        }),
    );
}

fn send(ctx: &CallbackCtx, msg: Msg) {
    // Fails only once the capture thread is gone (stopping): nothing to do.
    let _ = ctx.tx.send(msg);
}

/// Ctrl-C/Ctrl-Break seen so far (the console handler's count).
static INTERRUPTS: AtomicU32 = AtomicU32::new(0);

/// Runs before ctrlc's handler (handlers run newest first). The first
/// Ctrl-C is passed on (the capture drains and stops); a second one, a
/// console close, logoff or shutdown end the process right after the
/// handlers, so the sessions are stopped here. Returns FALSE: the next
/// handler still runs.
unsafe extern "system" fn console_handler(event: u32) -> windows_sys::core::BOOL {
    on_console_event(event);
    0
}

fn on_console_event(event: u32) -> ConsoleAction {
    let earlier = if event <= 1 {
        INTERRUPTS.fetch_add(1, Ordering::SeqCst)
    } else {
        INTERRUPTS.load(Ordering::SeqCst)
    };
    let action = console_action(event, earlier);
    if action == ConsoleAction::StopSessions {
        stop_owned(|name| {
            let _ = stop_session(name);
        });
    }
    action
}

fn install_console_handler() {
    static ONCE: Once = Once::new();
    // SAFETY: a handler with the PHANDLER_ROUTINE signature, never removed.
    ONCE.call_once(|| unsafe {
        SetConsoleCtrlHandler(Some(console_handler), 1);
    });
}

/// A named mutex held while this process owns the session: another
/// certtrace finds it and leaves the session alone; a session without it
/// is left over and may be replaced.
struct OwnerLock(HANDLE);

unsafe impl Send for OwnerLock {}

impl OwnerLock {
    /// `Ok(None)`: the lock could not be made (then leftovers are not
    /// replaced either); `Err`: another running certtrace owns the name.
    fn take(session: &str) -> Result<Option<OwnerLock>, LiveError> {
        let name = wide(&format!("Global\\certtrace-etw-session-{session}"));
        // SAFETY: NUL-terminated name, default security.
        let h = unsafe { CreateMutexW(std::ptr::null(), 0, name.as_ptr()) };
        // SAFETY: plain Win32 call, right after CreateMutexW.
        let err = unsafe { GetLastError() };
        if h.is_null() {
            return Ok(None);
        }
        if err == ERROR_ALREADY_EXISTS {
            // SAFETY: our handle, closed once.
            unsafe { CloseHandle(h) };
            return Err(LiveError::SessionInUse {
                session: session.to_string(),
                detail: "another running certtrace captures with it".into(),
            });
        }
        Ok(Some(OwnerLock(h)))
    }
}

impl Drop for OwnerLock {
    fn drop(&mut self) {
        // SAFETY: our handle, closed once.
        unsafe { CloseHandle(self.0) };
    }
}

pub(super) struct EtwCapture {
    running: Option<RunningSession<WinSession>>,
    session: String,
    stopping: Arc<AtomicBool>,
    _owner: Option<OwnerLock>,
    pub replaced_leftover: bool,
}

fn denied(session: &str, what: &str) -> LiveError {
    LiveError::EtwAccessDenied {
        session: session.to_string(),
        what: what.to_string(),
    }
}

/// The absolute `--save FILE.etl` path, checked.
fn save_path(opts: &LiveOptions) -> Result<Option<PathBuf>, LiveError> {
    let Some(p) = &opts.save_etl else {
        return Ok(None);
    };
    let abs = std::path::absolute(p)
        .map_err(|e| LiveError::InvalidOption(format!("--save {}: {e}", p.display())))?;
    validate_etl_path(&abs.to_string_lossy())
        .map_err(|e| LiveError::InvalidOption(format!("--save: {e}")))?;
    Ok(Some(abs))
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
        let etl = save_path(opts)?;
        notify(format!(
            "ETW session {session:?}: provider {}{}, keywords {:#x}, level {}; buffers {} KB x \
             {}..{}, flushed every {} ms",
            spec.guid,
            spec.name
                .as_ref()
                .map_or(String::new(), |n| format!(" ({n})")),
            opts.keywords,
            opts.level,
            opts.buffers.buffer_kb,
            opts.buffers.min_buffers,
            opts.buffers.max_buffers,
            opts.buffers.flush_ms,
        ));
        let owner = OwnerLock::take(&session)?;
        let mut replaced_leftover = false;
        match control_session(&session, EVENT_TRACE_CONTROL_QUERY) {
            // No other certtrace holds the name: the session is left over.
            Ok(_) if owner.is_some() => {
                notify(format!(
                    "an ETW session named {session:?} was left over by an earlier run that did \
                     not stop; stopping it and starting a new one"
                ));
                replace(&session)?;
                replaced_leftover = true;
            }
            Ok(_) => {
                return Err(LiveError::SessionInUse {
                    session: session.clone(),
                    detail: "it exists and its owner cannot be checked".into(),
                });
            }
            Err(code::ERROR_ACCESS_DENIED) => {
                return Err(denied(&session, "querying ETW sessions: access denied"));
            }
            // Not found, or anything else: let StartTrace report it.
            Err(_) => {}
        }
        install_console_handler();
        register_owned(&session);
        let stopping = Arc::new(AtomicBool::new(false));
        let ctl = Arc::new(WinSession {
            name: session.clone(),
            wname: wide(&session),
            keywords: opts.keywords,
            level: opts.level,
            buffers: opts.buffers,
            save: etl
                .as_ref()
                .map(|p| (wide(&p.to_string_lossy()), opts.save_max_mb)),
            session: AtomicU64::new(0),
            trace: AtomicU64::new(0),
            ctx: Box::new(CallbackCtx {
                tx: tx.clone(),
                provider: spec.guid,
                field: opts.field.clone(),
                provider_label: spec.name.clone().unwrap_or_else(|| spec.guid.to_string()),
                input: InputName::from(format!("etw:{}", spec.guid)),
                counters,
                names,
                warned_fallback: AtomicBool::new(false),
                warned_field: AtomicBool::new(false),
            }),
        });
        let (stopping_t, session_t) = (stopping.clone(), session.clone());
        let on_end = move |rc: u32| {
            if !stopping_t.load(Ordering::SeqCst) {
                let why = if rc == 0 {
                    String::new()
                } else {
                    format!(": {}", describe_code(rc))
                };
                let _ = tx.send(Msg::Ended(format!(
                    "the ETW session {session_t:?} ended (stopped from outside?){why}"
                )));
            }
        };
        let running = RunningSession::start(ctl, on_end).map_err(|(step, c)| {
            unregister_owned(&session);
            start_error(&session, step, c)
        })?;
        if let Some(p) = &etl {
            notify(format!(
                "recording the session to {} (circular, at most {} MB: the newest events are kept)",
                p.display(),
                opts.save_max_mb
            ));
        }
        Ok(EtwCapture {
            running: Some(running),
            session,
            stopping,
            _owner: owner,
            replaced_leftover,
        })
    }

    /// The session's counters now.
    pub(super) fn query(&self) -> Option<EtwSessionStats> {
        self.running.as_ref()?.control().query().ok()
    }

    /// Asks the session to hand its buffers to the consumer now.
    pub(super) fn flush(&self) {
        let _ = control_session(&self.session, EVENT_TRACE_CONTROL_FLUSH);
    }

    /// Stops the session (see the module doc); its final counters and
    /// notices for the operator.
    pub(super) fn stop(mut self) -> (Option<EtwSessionStats>, Vec<String>) {
        let mut notices = Vec::new();
        self.stopping.store(true, Ordering::SeqCst);
        let Some(running) = self.running.take() else {
            return (None, notices);
        };
        let out = running.stop(DRAIN_WAIT);
        unregister_owned(&self.session);
        let stats = match out.stats {
            Ok(s) => Some(s),
            Err(code::ERROR_WMI_INSTANCE_NOT_FOUND) => None,
            Err(c) => {
                notices.push(format!(
                    "the ETW session {:?} could not be stopped ({}); stop it with `logman stop \
                     {} -ets`",
                    self.session,
                    describe_code(c),
                    self.session
                ));
                None
            }
        };
        if !out.drained {
            notices.push(format!(
                "the ETW event thread did not end within {} s of the stop; the last events may \
                 be missing",
                DRAIN_WAIT.as_secs()
            ));
        }
        (stats, notices)
    }
}

impl Drop for EtwCapture {
    /// An early return or a panic still stops the session, in order.
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        if let Some(running) = self.running.take() {
            drop(running);
            unregister_owned(&self.session);
        }
    }
}

fn start_error(session: &str, step: StartStep, c: u32) -> LiveError {
    match c {
        code::ERROR_ACCESS_DENIED => denied(session, &describe_code(c)),
        code::ERROR_ALREADY_EXISTS if step == StartStep::Start => LiveError::SessionInUse {
            session: session.to_string(),
            detail: "it was started again by someone else".into(),
        },
        _ => LiveError::Etw {
            session: session.to_string(),
            step: step.describe().into(),
            detail: describe_code(c),
        },
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Under wine (`tests/wine/run.sh`) or Windows: the console handler
    /// stops owned sessions on close/logoff/shutdown and a second Ctrl-C,
    /// and passes the first Ctrl-C on.
    #[test]
    fn console_events_stop_owned_sessions() {
        let _g = crate::input::live::etw_session::OWNED_TEST_LOCK
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let name = format!("certtrace-test-console-{}", std::process::id());
        register_owned(&name);
        assert_eq!(on_console_event(0), ConsoleAction::PassOn);
        assert_eq!(on_console_event(0), ConsoleAction::StopSessions);
        // Stopped and forgotten: nothing left to stop.
        assert_eq!(stop_owned(|_| {}), 0);
        register_owned(&name);
        assert_eq!(on_console_event(2), ConsoleAction::StopSessions);
        assert_eq!(stop_owned(|_| {}), 0);
        // The handler itself, as Windows calls it.
        install_console_handler();
        register_owned(&name);
        // SAFETY: calling our own handler directly.
        assert_eq!(unsafe { console_handler(6) }, 0);
        assert_eq!(stop_owned(|_| {}), 0);
    }

    #[test]
    fn a_second_owner_of_a_session_name_is_refused() {
        let name = format!("certtrace-test-owner-{}", std::process::id());
        let first = OwnerLock::take(&name).unwrap();
        assert!(first.is_some());
        let second = OwnerLock::take(&name);
        assert!(matches!(second, Err(LiveError::SessionInUse { .. })));
        drop(first);
        assert!(OwnerLock::take(&name).unwrap().is_some());
    }
}
