//! The life of a real-time ETW session, portable and tested on every OS:
//! the order of the Win32 calls (behind [`SessionControl`], implemented with
//! windows-sys on Windows and by a recording fake in the tests), the
//! session's buffer sizes, the lost-event counters, the "nothing arrives"
//! notice and the sessions to stop on every way out.
//!
//! Stopping follows Microsoft's order for real-time consumers: stop the
//! session by name (`ControlTrace(EVENT_TRACE_CONTROL_STOP)`, which returns
//! the final counters), let `ProcessTrace` deliver the buffers still queued
//! and return, join its thread, and only then `CloseTrace` and free the
//! callback context. (ferrisetw's `UserTrace::stop` closes the trace first,
//! discarding the last buffers, and frees the context while its thread may
//! still call back.)

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::EtwSessionStats;

/// The real-time session's buffers, with logman's meaning: `--buffer-kb`
/// (`-bs`), `--min-buffers` / `--max-buffers` (`-nb MIN MAX`), and
/// `--flush-ms` (`-ft`, here in milliseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferConfig {
    /// Size of each buffer in KB (4 to 16384).
    pub buffer_kb: u32,
    /// Buffers allocated when the session starts (ETW raises it to at
    /// least two per processor).
    pub min_buffers: u32,
    /// Most buffers the session may allocate while the consumer is behind.
    pub max_buffers: u32,
    /// Buffers not yet full are delivered after this long.
    pub flush_ms: u32,
}

/// Sized for 20,000 events/s of about 300 bytes (6 MB/s) with room for
/// five seconds of consumer stall: 64 KB buffers, 64 at start (4 MB), up
/// to 512 (32 MB), flushed every second.
pub const DEFAULT_BUFFERS: BufferConfig = BufferConfig {
    buffer_kb: 64,
    min_buffers: 64,
    max_buffers: 512,
    flush_ms: 1000,
};

impl Default for BufferConfig {
    fn default() -> Self {
        DEFAULT_BUFFERS
    }
}

impl BufferConfig {
    /// Checks the limits Windows documents for `EVENT_TRACE_PROPERTIES`.
    pub fn validate(&self) -> Result<(), String> {
        if !(4..=16384).contains(&self.buffer_kb) {
            return Err(format!(
                "--buffer-kb {} is out of range (4 to 16384)",
                self.buffer_kb
            ));
        }
        if self.min_buffers == 0 || self.max_buffers < self.min_buffers {
            return Err(format!(
                "--min-buffers {} and --max-buffers {}: need 1 <= min <= max",
                self.min_buffers, self.max_buffers
            ));
        }
        if self.flush_ms == 0 {
            return Err("--flush-ms must be at least 1".into());
        }
        Ok(())
    }

    /// Events per second the buffers absorb during a consumer stall of
    /// `stall`, for events of `event_bytes`: the sizing rule the docs give.
    pub fn capacity_per_s(&self, event_bytes: u32, stall: Duration) -> u64 {
        let bytes = u64::from(self.buffer_kb) * 1024 * u64::from(self.max_buffers);
        let secs = stall.as_secs_f64().max(0.001);
        (bytes as f64 / f64::from(event_bytes.max(1)) / secs) as u64
    }
}

/// Where a session's start failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartStep {
    /// `StartTraceW`.
    Start,
    /// `EnableTraceEx2`.
    Enable,
    /// `OpenTraceW`.
    Open,
    /// Starting the thread that runs `ProcessTrace`.
    Thread,
}

impl StartStep {
    pub fn describe(self) -> &'static str {
        match self {
            StartStep::Start => "starting the session (StartTrace)",
            StartStep::Enable => "enabling the provider (EnableTraceEx2)",
            StartStep::Open => "opening the session for reading (OpenTrace)",
            StartStep::Thread => "starting the event thread",
        }
    }
}

/// The calls that run a real-time session. `process` blocks on the event
/// thread until the session stops or the trace is closed; the others are
/// made by the controlling thread.
pub trait SessionControl: Send + Sync + 'static {
    fn start(&self) -> Result<(), u32>;
    fn enable(&self) -> Result<(), u32>;
    fn open(&self) -> Result<(), u32>;
    /// `ProcessTrace`: delivers events until the session ends; its result.
    fn process(&self) -> u32;
    /// `ControlTrace(QUERY)` by name: the counters so far.
    fn query(&self) -> Result<EtwSessionStats, u32>;
    /// `ControlTrace(STOP)` by name: the final counters.
    fn stop(&self) -> Result<EtwSessionStats, u32>;
    /// `CloseTrace`.
    fn close(&self);
}

/// How a stop went.
#[derive(Debug, Clone, PartialEq)]
pub struct StopOutcome {
    /// The final counters (`Err`: the Win32 code of the failed stop).
    pub stats: Result<EtwSessionStats, u32>,
    /// Whether `ProcessTrace` returned after the stop (and its thread was
    /// joined) within the wait.
    pub drained: bool,
}

/// A started session and the thread running `ProcessTrace`. Dropping it
/// (an error, a panic unwinding) stops it in the same order as
/// [`RunningSession::stop`].
pub struct RunningSession<C: SessionControl> {
    ctl: Arc<C>,
    thread: Option<JoinHandle<()>>,
    stopped: bool,
}

/// How long a stop waits for `ProcessTrace` to deliver the last buffers.
pub const DRAIN_WAIT: Duration = Duration::from_secs(5);

impl<C: SessionControl> RunningSession<C> {
    /// Starts, enables, opens, and runs `ProcessTrace` on a thread;
    /// `on_end(code)` runs on that thread when `ProcessTrace` returns. A
    /// failure after the session started stops it: nothing half-made is left.
    pub fn start(
        ctl: Arc<C>,
        on_end: impl FnOnce(u32) + Send + 'static,
    ) -> Result<Self, (StartStep, u32)> {
        ctl.start().map_err(|c| (StartStep::Start, c))?;
        let undo = |ctl: &C, step: StartStep, code: u32| {
            let _ = ctl.stop();
            (step, code)
        };
        ctl.enable().map_err(|c| undo(&ctl, StartStep::Enable, c))?;
        ctl.open().map_err(|c| undo(&ctl, StartStep::Open, c))?;
        let ctl_t = ctl.clone();
        let thread = std::thread::Builder::new()
            .name("certtrace-etw".into())
            .spawn(move || on_end(ctl_t.process()));
        match thread {
            Ok(t) => Ok(RunningSession {
                ctl,
                thread: Some(t),
                stopped: false,
            }),
            Err(e) => {
                let r = undo(
                    &ctl,
                    StartStep::Thread,
                    e.raw_os_error().unwrap_or(0) as u32,
                );
                ctl.close();
                Err(r)
            }
        }
    }

    pub fn control(&self) -> &C {
        &self.ctl
    }

    /// Stops the session by name, waits up to `wait` for `ProcessTrace` to
    /// deliver what is left and return, joins its thread, then closes the
    /// trace. A thread still running after that keeps its own reference to
    /// the callback context (never freed under it).
    pub fn stop(mut self, wait: Duration) -> StopOutcome {
        self.stop_in_order(wait)
    }

    fn stop_in_order(&mut self, wait: Duration) -> StopOutcome {
        self.stopped = true;
        let stats = self.ctl.stop();
        let mut drained = false;
        if let Some(t) = self.thread.take() {
            let deadline = Instant::now() + wait;
            while !t.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if t.is_finished() {
                let _ = t.join();
                drained = true;
            }
        }
        // After the join: no callback can run any more (or, when the thread
        // is stuck, CloseTrace is what makes ProcessTrace return).
        self.ctl.close();
        StopOutcome { stats, drained }
    }
}

impl<C: SessionControl> Drop for RunningSession<C> {
    fn drop(&mut self) {
        if !self.stopped {
            self.stop_in_order(Duration::from_secs(2));
        }
    }
}

/// Lost-event counters seen so far; says when they move.
#[derive(Debug, Default)]
pub struct LossWatch {
    last: EtwSessionStats,
}

impl LossWatch {
    /// The new counters; `Some(text)` when events or buffers were lost
    /// since the last call.
    pub fn update(&mut self, now: EtwSessionStats) -> Option<String> {
        let d = |new: u32, old: u32| new.saturating_sub(old);
        let events = d(now.events_lost, self.last.events_lost);
        let rt = d(now.realtime_buffers_lost, self.last.realtime_buffers_lost);
        let file = d(now.log_buffers_lost, self.last.log_buffers_lost);
        self.last = now;
        if events + rt + file == 0 {
            return None;
        }
        Some(format!(
            "the ETW session lost {events} event(s), {rt} real-time buffer(s), {file} file \
             buffer(s) (totals: {}, {}, {}); raise --max-buffers or --buffer-kb",
            now.events_lost, now.realtime_buffers_lost, now.log_buffers_lost
        ))
    }

    pub fn last(&self) -> EtwSessionStats {
        self.last
    }
}

/// After this long without an event from the provider: one notice.
pub const QUIET_AFTER: Duration = Duration::from_secs(10);

/// The "nothing arrives" notice for `--etw`: what GUID was enabled, and
/// that a TraceLogging provider may have a GUID that is not its name's hash.
pub fn quiet_notice(provider: &crate::input::provider::ProviderSpec, waited: Duration) -> String {
    let by_name = match &provider.name {
        Some(n) => format!(
            " (the hash of the name {n:?}; a TRACELOGGING_DEFINE_PROVIDER may declare another \
             GUID: pass that GUID to --etw, as shown by `certtrace etl FILE` on a capture or by \
             the module's source)"
        ),
        None => String::new(),
    };
    format!(
        "no event from provider {}{by_name} in {} s; check that the module runs and logs, the \
         --keywords and --level, and the provider GUID",
        provider.guid,
        waited.as_secs()
    )
}

/// Sessions this process owns, stopped by the console handler on console
/// close, logoff, shutdown and a second Ctrl-C (the process ends right
/// after those, before any `Drop` could run).
static OWNED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Held by the tests that use the owned-session list (it is global).
#[cfg(test)]
pub(crate) static OWNED_TEST_LOCK: Mutex<()> = Mutex::new(());

pub fn register_owned(name: &str) {
    let mut v = OWNED.lock().unwrap_or_else(|p| p.into_inner());
    if !v.iter().any(|n| n == name) {
        v.push(name.to_string());
    }
}

pub fn unregister_owned(name: &str) {
    OWNED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .retain(|n| n != name);
}

/// Stops every owned session with `stop` (by name) and forgets them.
pub fn stop_owned(stop: impl Fn(&str)) -> usize {
    let names = std::mem::take(&mut *OWNED.lock().unwrap_or_else(|p| p.into_inner()));
    for n in &names {
        stop(n);
    }
    names.len()
}

/// What the console control handler does for an event (`CTRL_*_EVENT`
/// number), given how many Ctrl-C/Ctrl-Break came before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleAction {
    /// First Ctrl-C: leave it to the normal stop (drain, then stop).
    PassOn,
    /// Second Ctrl-C, close, logoff, shutdown: the process ends next, so
    /// stop the sessions now.
    StopSessions,
}

pub fn console_action(event: u32, earlier_interrupts: u32) -> ConsoleAction {
    const CTRL_C: u32 = 0;
    const CTRL_BREAK: u32 = 1;
    match event {
        CTRL_C | CTRL_BREAK if earlier_interrupts == 0 => ConsoleAction::PassOn,
        // Second interrupt, CTRL_CLOSE_EVENT (2), CTRL_LOGOFF_EVENT (5),
        // CTRL_SHUTDOWN_EVENT (6) and anything newer.
        _ => ConsoleAction::StopSessions,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Condvar;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    /// Records the calls; `process` blocks until `stop`, then delivers the
    /// events still buffered (as ProcessTrace does) and returns.
    #[derive(Default)]
    struct Fake {
        log: Mutex<Vec<&'static str>>,
        stopped: (Mutex<bool>, Condvar),
        buffered: AtomicU32,
        delivered: Arc<AtomicU32>,
        fail_at: Option<&'static str>,
        /// `process` ignores the stop (a stuck consumer) until `close`.
        stuck: bool,
    }

    impl Fake {
        fn call(&self, what: &'static str) -> Result<(), u32> {
            self.log.lock().unwrap().push(what);
            if self.fail_at == Some(what) {
                Err(5)
            } else {
                Ok(())
            }
        }
        fn log(&self) -> Vec<&'static str> {
            self.log.lock().unwrap().clone()
        }
        fn release(&self) {
            *self.stopped.0.lock().unwrap() = true;
            self.stopped.1.notify_all();
        }
    }

    impl SessionControl for Fake {
        fn start(&self) -> Result<(), u32> {
            self.call("start")
        }
        fn enable(&self) -> Result<(), u32> {
            self.call("enable")
        }
        fn open(&self) -> Result<(), u32> {
            self.call("open")
        }
        fn process(&self) -> u32 {
            let _ = self.call("process");
            let mut s = self.stopped.0.lock().unwrap();
            while !*s {
                s = self.stopped.1.wait(s).unwrap();
            }
            drop(s);
            let n = self.buffered.swap(0, Ordering::SeqCst);
            self.delivered.fetch_add(n, Ordering::SeqCst);
            let _ = self.call("process returned");
            0
        }
        fn query(&self) -> Result<EtwSessionStats, u32> {
            self.call("query").map(|_| EtwSessionStats::default())
        }
        fn stop(&self) -> Result<EtwSessionStats, u32> {
            self.call("stop")?;
            if !self.stuck {
                self.release();
            }
            Ok(EtwSessionStats {
                events_lost: 3,
                ..EtwSessionStats::default()
            })
        }
        fn close(&self) {
            let _ = self.call("close");
            self.release();
        }
    }

    fn started(fake: Fake) -> (Arc<Fake>, RunningSession<Fake>, Arc<Mutex<Option<u32>>>) {
        let fake = Arc::new(fake);
        let ended = Arc::new(Mutex::new(None));
        let e = ended.clone();
        let s = RunningSession::start(fake.clone(), move |c| *e.lock().unwrap() = Some(c))
            .unwrap_or_else(|e| panic!("{e:?}"));
        // Let the thread enter ProcessTrace.
        while !fake.log().contains(&"process") {
            std::thread::sleep(Duration::from_millis(1));
        }
        (fake, s, ended)
    }

    #[test]
    fn stop_lets_process_trace_deliver_the_last_buffers_before_closing() {
        let (fake, s, ended) = started(Fake::default());
        // Events logged after the last drain, still in the session's buffers.
        fake.buffered.store(7, Ordering::SeqCst);
        let out = s.stop(DRAIN_WAIT);
        assert_eq!(
            fake.log(),
            [
                "start",
                "enable",
                "open",
                "process",
                "stop",
                "process returned",
                "close"
            ]
        );
        assert!(out.drained);
        assert_eq!(out.stats.unwrap().events_lost, 3);
        assert_eq!(fake.delivered.load(Ordering::SeqCst), 7);
        assert_eq!(*ended.lock().unwrap(), Some(0));
    }

    #[test]
    fn a_stuck_consumer_is_closed_after_the_wait_and_its_context_kept() {
        let (fake, s, _) = started(Fake {
            stuck: true,
            ..Fake::default()
        });
        let out = s.stop(Duration::from_millis(50));
        assert!(!out.drained);
        let log = fake.log();
        assert_eq!(
            log[..6],
            ["start", "enable", "open", "process", "stop", "close"]
        );
        // CloseTrace made ProcessTrace return; the thread held its own
        // reference to the control (and the callback context) until then.
        let deadline = Instant::now() + Duration::from_secs(5);
        while !fake.log().contains(&"process returned") && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(fake.log().contains(&"process returned"));
    }

    #[test]
    fn dropping_or_panicking_stops_in_the_same_order() {
        let (fake, s, _) = started(Fake::default());
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let _s = s;
            panic!("capture loop failed");
        }));
        assert!(r.is_err());
        assert_eq!(fake.log()[4..], ["stop", "process returned", "close"]);
    }

    #[test]
    fn a_failed_start_leaves_nothing_running() {
        for (step, want) in [
            ("start", vec!["start"]),
            ("enable", vec!["start", "enable", "stop"]),
            ("open", vec!["start", "enable", "open", "stop"]),
        ] {
            let fake = Arc::new(Fake {
                fail_at: Some(step),
                ..Fake::default()
            });
            let r = RunningSession::start(fake.clone(), |_| {});
            assert!(r.is_err(), "{step}");
            assert_eq!(fake.log(), want, "{step}");
        }
    }

    #[test]
    fn owned_sessions_are_stopped_on_the_way_out() {
        let _g = OWNED_TEST_LOCK.lock().unwrap_or_else(|p| p.into_inner());
        assert_eq!(console_action(0, 0), ConsoleAction::PassOn);
        assert_eq!(console_action(1, 0), ConsoleAction::PassOn);
        assert_eq!(console_action(0, 1), ConsoleAction::StopSessions);
        for close_logoff_shutdown in [2, 5, 6] {
            assert_eq!(
                console_action(close_logoff_shutdown, 0),
                ConsoleAction::StopSessions
            );
        }
        register_owned("certtrace-test-a");
        register_owned("certtrace-test-b");
        register_owned("certtrace-test-a");
        unregister_owned("certtrace-test-b");
        let stopped = Mutex::new(Vec::new());
        stop_owned(|n| stopped.lock().unwrap().push(n.to_string()));
        let stopped = stopped.into_inner().unwrap();
        assert!(stopped.contains(&"certtrace-test-a".to_string()));
        assert!(!stopped.contains(&"certtrace-test-b".to_string()));
        assert_eq!(
            stopped.iter().filter(|n| *n == "certtrace-test-a").count(),
            1
        );
    }

    #[test]
    fn losses_are_reported_when_the_counters_move() {
        let mut w = LossWatch::default();
        assert_eq!(w.update(EtwSessionStats::default()), None);
        let s = EtwSessionStats {
            events_lost: 5,
            realtime_buffers_lost: 1,
            ..EtwSessionStats::default()
        };
        let t = w.update(s).unwrap();
        assert!(
            t.starts_with("the ETW session lost 5 event(s), 1 real-time buffer(s), 0 file"),
            "{t}"
        );
        assert_eq!(w.update(s), None);
        let t = w
            .update(EtwSessionStats {
                events_lost: 6,
                ..s
            })
            .unwrap();
        assert!(
            t.contains("lost 1 event(s)") && t.contains("totals: 6, 1, 0"),
            "{t}"
        );
    }

    #[test]
    fn default_buffers_hold_twenty_thousand_events_a_second() {
        DEFAULT_BUFFERS.validate().unwrap();
        // 300-byte events, a consumer stalled for 5 s.
        assert!(DEFAULT_BUFFERS.capacity_per_s(300, Duration::from_secs(5)) >= 20_000);
        for bad in [
            BufferConfig {
                buffer_kb: 2,
                ..DEFAULT_BUFFERS
            },
            BufferConfig {
                min_buffers: 600,
                ..DEFAULT_BUFFERS
            },
            BufferConfig {
                flush_ms: 0,
                ..DEFAULT_BUFFERS
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn quiet_notice_names_the_guid() {
        let p: crate::input::provider::ProviderSpec = "MyCompany.MyComponent".parse().unwrap();
        let t = quiet_notice(&p, QUIET_AFTER);
        assert!(t.contains("ce5fa4ea-ab00-5402-8b76-9f76ac858fb5"), "{t}");
        assert!(t.contains("pass that GUID to --etw"), "{t}");
        assert!(t.contains("in 10 s"), "{t}");
    }
}
