//! The Windows half of live capture: source threads feed a channel, this
//! thread runs the portable [`Pipeline`] and calls the sink.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use windows_sys::Win32::Foundation::CloseHandle;
use windows_sys::Win32::System::Threading::{
    OpenProcess, PROCESS_NAME_WIN32, PROCESS_QUERY_LIMITED_INFORMATION, QueryFullProcessImageNameW,
};

use super::dbwin::exe_name;
use super::etw_session::{LossWatch, QUIET_AFTER, quiet_notice};
use super::{Captured, LiveEnd, LiveError, LiveOptions, LiveSummary, Pipeline};
use crate::input::SourceItem;
use crate::input::event::InputName;

mod dbwin;
mod etw;
pub(crate) mod record;

/// What source threads send to the capture thread.
pub(super) enum Msg {
    Event(Captured),
    /// A source stopped on its own (session stopped from outside, wait
    /// failure...).
    Ended(String),
    Notice(String),
}

/// Counters the source threads bump.
#[derive(Default)]
pub(super) struct Counters {
    pub replaced_chars: AtomicU64,
    pub field_fallbacks: AtomicU64,
    pub undecodable: AtomicU64,
    pub field_problems: AtomicU64,
    pub callback_panics: AtomicU64,
    /// Events of the `--etw` provider received (for the quiet notice).
    pub etw_events: AtomicU64,
}

impl Counters {
    fn add_to(&self, s: &mut LiveSummary) {
        s.replaced_chars += self.replaced_chars.load(Ordering::Relaxed);
        s.field_fallbacks += self.field_fallbacks.load(Ordering::Relaxed);
        s.undecodable += self.undecodable.load(Ordering::Relaxed);
        s.field_problems += self.field_problems.load(Ordering::Relaxed);
        s.callback_panics += self.callback_panics.load(Ordering::Relaxed);
    }
}

/// Executable names by pid, looked up once per pid
/// (`QueryFullProcessImageNameW`). A pid reused by another program keeps
/// the first name for the rest of the capture.
#[derive(Default)]
pub(super) struct ProcessNames(Mutex<HashMap<u32, Option<Arc<str>>>>);

impl ProcessNames {
    pub fn lookup(&self, pid: u32) -> Option<Arc<str>> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(pid)
            .or_insert_with(|| query_image_name(pid).map(Arc::from))
            .clone()
    }
}

fn query_image_name(pid: u32) -> Option<String> {
    if pid == 0 {
        return None;
    }
    // SAFETY: plain Win32 calls; the handle is closed before returning and
    // the buffer outlives the call that fills it.
    unsafe {
        let h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
        if h.is_null() {
            return None;
        }
        let mut buf = [0u16; 1024];
        let mut len = buf.len() as u32;
        let ok = QueryFullProcessImageNameW(h, PROCESS_NAME_WIN32, buf.as_mut_ptr(), &mut len);
        CloseHandle(h);
        if ok == 0 {
            return None;
        }
        let path = String::from_utf16_lossy(&buf[..len as usize]);
        Some(exe_name(&path).to_string())
    }
}

/// NUL-terminated UTF-16 for Win32 calls.
pub(super) fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

fn drain(rx: &Receiver<Msg>, pipeline: &mut Pipeline) -> Result<(), LiveError> {
    while let Ok(m) = rx.try_recv() {
        match m {
            Msg::Event(c) => pipeline.push(c)?,
            Msg::Notice(n) => pipeline.notice(n),
            Msg::Ended(_) => {}
        }
    }
    Ok(())
}

/// How often the ETW session's lost-event counters are read.
const LOSS_QUERY_EVERY: Duration = Duration::from_secs(1);

/// The ETW side of the capture loop: lost events, the quiet notice.
struct EtwWatch {
    input: InputName,
    losses: LossWatch,
    last_query: Instant,
    started: Instant,
    warned_quiet: bool,
}

impl EtwWatch {
    fn new(opts: &LiveOptions) -> Option<EtwWatch> {
        let spec = opts.etw.as_ref()?;
        Some(EtwWatch {
            input: InputName::from(format!("etw:{}", spec.guid)),
            losses: LossWatch::default(),
            last_query: Instant::now(),
            started: Instant::now(),
            warned_quiet: false,
        })
    }

    /// Reports counters that moved.
    fn counters(&mut self, stats: Option<super::EtwSessionStats>, pipeline: &mut Pipeline) {
        if let Some(text) = stats.and_then(|s| self.losses.update(s)) {
            pipeline.events_lost(self.input, text);
        }
    }

    /// Called every loop turn (at least every 100 ms).
    fn tick(
        &mut self,
        opts: &LiveOptions,
        cap: &etw::EtwCapture,
        counters: &Counters,
        pipeline: &mut Pipeline,
    ) {
        if self.last_query.elapsed() >= LOSS_QUERY_EVERY {
            self.last_query = Instant::now();
            self.counters(cap.query(), pipeline);
        }
        if !self.warned_quiet
            && self.started.elapsed() >= QUIET_AFTER
            && counters.etw_events.load(Ordering::Relaxed) == 0
            && let Some(spec) = &opts.etw
        {
            self.warned_quiet = true;
            pipeline.notice(quiet_notice(spec, QUIET_AFTER));
        }
    }
}

pub(super) fn capture(
    opts: &LiveOptions,
    stop: Arc<AtomicBool>,
    sink: &mut dyn FnMut(SourceItem),
) -> Result<LiveSummary, LiveError> {
    let mut pipeline = Pipeline::new(opts, Utc::now(), sink)?;
    let (tx, rx) = mpsc::channel::<Msg>();
    let counters = Arc::new(Counters::default());
    let names = Arc::new(ProcessNames::default());

    // Dropping a capture stops it: an error below leaves nothing running.
    let mut etw = None;
    if let Some(spec) = &opts.etw {
        let cap = etw::EtwCapture::start(
            opts,
            spec,
            tx.clone(),
            counters.clone(),
            names.clone(),
            &mut |n| pipeline.notice(n),
        )?;
        pipeline.summary.session_replaced = cap.replaced_leftover;
        etw = Some(cap);
    }
    let mut watch = EtwWatch::new(opts);
    let mut dbwin = None;
    if opts.debug_output {
        dbwin = Some(dbwin::DbwinCapture::start(
            opts.global,
            tx.clone(),
            names.clone(),
        )?);
    }
    drop(tx);

    let mut end = LiveEnd::Stopped;
    while !stop.load(Ordering::SeqCst) {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(Msg::Event(c)) => pipeline.push(c)?,
            Ok(Msg::Notice(n)) => pipeline.notice(n),
            Ok(Msg::Ended(reason)) => {
                end = LiveEnd::SourceEnded(reason);
                break;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                end = LiveEnd::SourceEnded("every capture source ended".into());
                break;
            }
        }
        if let (Some(w), Some(cap)) = (&mut watch, &etw) {
            w.tick(opts, cap, &counters, &mut pipeline);
        }
    }

    if let Some(d) = dbwin.take() {
        d.stop();
    }
    if let Some(e) = etw.take() {
        // Hand the buffers to the consumer, then stop: ProcessTrace
        // delivers what is still queued before it returns (see etw_session).
        e.flush();
        let (stats, notices) = e.stop();
        if let Some(w) = &mut watch {
            w.counters(stats, &mut pipeline);
        }
        pipeline.summary.etw = stats.or_else(|| watch.as_ref().map(|w| w.losses.last()));
        for n in notices {
            pipeline.notice(n);
        }
    }
    drain(&rx, &mut pipeline)?;
    counters.add_to(&mut pipeline.summary);
    pipeline.summary.end = end;
    pipeline.finish()
}

/// Run under wine by `tests/wine/run.sh` (cargo runner), or on Windows. The
/// DBWIN names are machine-wide: these tests hold a lock, and must not run
/// while DebugView or another capture is listening.
#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex, mpsc};
    use std::time::{Duration, Instant};

    use windows_sys::Win32::Foundation::CloseHandle;
    use windows_sys::Win32::System::Diagnostics::Debug::OutputDebugStringA;
    use windows_sys::Win32::System::Threading::OpenEventW;

    use super::*;
    use crate::input::live::LiveOptions;

    static DBWIN: Mutex<()> = Mutex::new(());

    fn listener_ready() -> bool {
        let name = wide("DBWIN_BUFFER_READY");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            // SAFETY: NUL-terminated name; handle closed at once.
            let h = unsafe { OpenEventW(0x0010_0000, 0, name.as_ptr()) };
            if !h.is_null() {
                unsafe { CloseHandle(h) };
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    #[test]
    fn own_process_name_is_found() {
        let names = ProcessNames::default();
        let me = names.lookup(std::process::id()).expect("own name");
        assert!(me.to_ascii_lowercase().ends_with(".exe"), "{me}");
        assert_eq!(names.lookup(0), None);
    }

    #[test]
    fn a_second_listener_is_refused_without_waiting() {
        let _g = DBWIN.lock().unwrap_or_else(|p| p.into_inner());
        let (tx, _rx) = mpsc::channel();
        let first = dbwin::DbwinCapture::start(false, tx.clone(), Arc::default()).unwrap();
        let t0 = Instant::now();
        let second = dbwin::DbwinCapture::start(false, tx, Arc::default());
        assert!(
            matches!(second, Err(LiveError::DebuggerPresent { .. })),
            "{:?}",
            second.err()
        );
        assert!(t0.elapsed() < Duration::from_secs(1));
        first.stop();
    }

    #[test]
    fn capture_sees_own_output_debug_string() {
        let _g = DBWIN.lock().unwrap_or_else(|p| p.into_inner());
        let opts = LiveOptions {
            debug_output: true,
            notices_to_stderr: false,
            ..LiveOptions::default()
        };
        let stop = Arc::new(AtomicBool::new(false));
        let stop_t = stop.clone();
        let producer = std::thread::spawn(move || {
            assert!(listener_ready(), "no listener");
            for m in [
                &b"Line: 28 rMsg1638: cnt = 1 URI: https://shop.example:443/login\n\0"[..],
                &b"Line: 45 rMsg1638: cert size: 1042 Previously negotiated 1\n\0"[..],
            ] {
                // SAFETY: NUL-terminated.
                unsafe { OutputDebugStringA(m.as_ptr()) };
            }
            std::thread::sleep(Duration::from_millis(300));
            stop_t.store(true, Ordering::SeqCst);
        });
        let mut got = Vec::new();
        let summary = crate::input::live::capture(&opts, stop, &mut |i| {
            if let SourceItem::Event(e) = i {
                got.push(e)
            }
        })
        .unwrap();
        producer.join().unwrap();
        let texts: Vec<&str> = got.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Line: 28 rMsg1638: cnt = 1 URI: https://shop.example:443/login",
                "Line: 45 rMsg1638: cert size: 1042 Previously negotiated 1"
            ]
        );
        assert!(got.iter().all(|e| e.pid == Some(std::process::id())));
        assert_eq!(summary.events, 2);
        assert_eq!(summary.end, LiveEnd::Stopped);
    }
}
