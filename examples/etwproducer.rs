//! Manual check of `certtrace live --etw` on real Windows: emits the IIS
//! module's messages as ETW events, the two ways a `USING_ETW` build can:
//!
//! - string-only events (`EventWriteString`, payload one UTF-16 string) from
//!   the provider `CertTrace.SampleModule.Strings` (its name-hashed GUID);
//! - TraceLogging events from the provider `CertTrace.SampleModule`: event
//!   `TraceMsg` with one string field `msg`, and event `TraceMsgLine` with a
//!   number field before the string (`line`, `msg`) to exercise the
//!   "first string field" rule and `--field msg`. The request with a client
//!   certificate carries an activity id. Then one event each of a counted
//!   UTF-16 string (`TraceMsgWide`) and of counted and NUL-terminated ANSI
//!   strings with the byte 0xE9 (`TraceMsgAnsi`, `TraceMsgAnsiZ`), shown
//!   by certtrace as `(café)`.
//!
//! ```text
//! etwproducer [--strings | --tracelogging] [--repeat N] [--delay-ms MS] [--wait-enabled SECS]
//! ```
//!
//! The TraceLogging half needs the MSVC toolchain (the `tracelogging` crate
//! links `OneCore_apiset`, which mingw lacks); a `windows-gnu` build sends
//! the string-only events only.
//!
//! In one elevated prompt:
//! `certtrace live --etw CertTrace.SampleModule` (or
//! `cargo run --example livecapture -- --etw CertTrace.SampleModule`),
//! in another: `cargo run --example etwproducer -- --wait-enabled 30`.
//! See docs/live-capture.md, "Manual check on a Windows server".

/// (text, line) of the messages, as the module formats them (`\n` kept).
const MESSAGES: &[(&str, u32)] = &[
    (
        "Line: 28 rMsg1638: cnt = {n} URI: https://shop.example:443/login FILE = c:\\src\\mymodule.cpp Build Tue Jun 23 16:23:14 2026\n",
        28,
    ),
    (
        "Line: 45 rMsg1638: cert size: 1042 Previously negotiated 1\n",
        45,
    ),
    ("Line: 49 rMsg1638: cert crc: 2844112431\n", 49),
    (
        "Line: 28 rMsg1638: cnt = {n1} URI: http://shop.example:80/ FILE = c:\\src\\mymodule.cpp Build Tue Jun 23 16:23:14 2026\n",
        28,
    ),
    ("Line: 32 rMsg1638: connection is not using SSL\n", 32),
    (
        "Line: 28 rMsg1638: cnt = {n2} URI: https://api.example:443/v1 FILE = c:\\src\\mymodule.cpp Build Tue Jun 23 16:23:14 2026\n",
        28,
    ),
    ("Line: 40 rMsg1638: HR = 80070490  Cert not found\n", 40),
];

const TLG_NAME: &str = "CertTrace.SampleModule";
const STRINGS_NAME: &str = "CertTrace.SampleModule.Strings";

fn expand(template: &str, first: u32) -> String {
    template
        .replace("{n}", &first.to_string())
        .replace("{n1}", &(first + 1).to_string())
        .replace("{n2}", &(first + 2).to_string())
}

/// The TraceLogging provider (MSVC builds) or a no-op stand-in.
#[cfg(all(windows, target_env = "msvc"))]
mod tlgpart {
    use certtrace::input::provider::Guid;
    use tracelogging as tlg;

    tlg::define_provider!(TLG_PROVIDER, "CertTrace.SampleModule");

    pub type Activity = tlg::Guid;

    pub fn register() -> bool {
        // SAFETY: an EXE; unregistered in `unregister`.
        let rc = unsafe { TLG_PROVIDER.register() };
        assert_eq!(rc, 0, "TraceLogging register failed: {rc}");
        // certtrace hashes provider names exactly as TraceLogging does.
        let (d1, d2, d3, d4) = TLG_PROVIDER.id().to_fields();
        let ours = Guid::from_provider_name(super::TLG_NAME);
        assert_eq!(
            (ours.data1, ours.data2, ours.data3, ours.data4),
            (d1, d2, d3, d4),
            "certtrace's name hashing disagrees with TraceLogging's"
        );
        println!("TraceLogging provider {} = {ours}", super::TLG_NAME);
        true
    }

    pub fn enabled() -> bool {
        TLG_PROVIDER.enabled(tlg::Level::Verbose, 0)
    }

    pub fn new_activity() -> Activity {
        tlg::Provider::create_activity_id()
    }

    pub fn send(msg: &str, line: u32, activity: Option<&Activity>) {
        match activity {
            Some(a) => tlg::write_event!(
                TLG_PROVIDER,
                "TraceMsgLine",
                level(Verbose),
                activity_id(a),
                u32("line", &line),
                str8("msg", msg),
            ),
            None => tlg::write_event!(TLG_PROVIDER, "TraceMsg", level(Verbose), str8("msg", msg)),
        };
    }

    /// The other string kinds a module may write: a counted UTF-16 string,
    /// and counted and NUL-terminated ANSI (code page 1252) strings holding
    /// a byte that is not UTF-8 (0xE9, é).
    pub fn send_string_kinds() {
        let wide: Vec<u16> = "Line: 32 rMsg1638: connection is not using SSL (str16)\n"
            .encode_utf16()
            .collect();
        tlg::write_event!(
            TLG_PROVIDER,
            "TraceMsgWide",
            level(Verbose),
            str16("msg", &wide)
        );
        tlg::write_event!(
            TLG_PROVIDER,
            "TraceMsgAnsi",
            level(Verbose),
            str8_cp1252(
                "msg",
                b"Line: 32 rMsg1638: connection is not using SSL (caf\xe9)\n"
            ),
        );
        tlg::write_event!(
            TLG_PROVIDER,
            "TraceMsgAnsiZ",
            level(Verbose),
            u32("line", &32),
            cstr8_cp1252(
                "msg",
                b"Line: 32 rMsg1638: connection is not using SSL (caf\xe9 z)\n"
            ),
        );
    }

    pub fn unregister() {
        TLG_PROVIDER.unregister();
    }
}

#[cfg(all(windows, not(target_env = "msvc")))]
mod tlgpart {
    pub struct Activity;

    pub fn register() -> bool {
        eprintln!(
            "etwproducer: TraceLogging events ({}) need an MSVC build; sending string-only events only",
            super::TLG_NAME
        );
        false
    }

    pub fn enabled() -> bool {
        false
    }

    pub fn new_activity() -> Activity {
        Activity
    }

    pub fn send(_msg: &str, _line: u32, _activity: Option<&Activity>) {}

    pub fn send_string_kinds() {}

    pub fn unregister() {}
}

#[cfg(windows)]
mod win {
    use super::tlgpart;
    use certtrace::input::provider::Guid;
    use windows_sys::Win32::System::Diagnostics::Etw::{
        EventProviderEnabled, EventRegister, EventUnregister, EventWriteString, REGHANDLE,
    };

    pub struct Providers {
        strings: Option<REGHANDLE>,
        tlg: bool,
    }

    impl Providers {
        pub fn register(strings: bool, tracelogging: bool) -> Providers {
            let mut p = Providers {
                strings: None,
                tlg: false,
            };
            if strings {
                let g = Guid::from_provider_name(super::STRINGS_NAME);
                let guid = windows_sys::core::GUID {
                    data1: g.data1,
                    data2: g.data2,
                    data3: g.data3,
                    data4: g.data4,
                };
                let mut h: REGHANDLE = 0;
                // SAFETY: valid GUID pointer and out-parameter.
                let rc = unsafe { EventRegister(&guid, None, std::ptr::null(), &mut h) };
                assert_eq!(rc, 0, "EventRegister failed: {rc}");
                println!("string-only provider {} = {g}", super::STRINGS_NAME);
                p.strings = Some(h);
            }
            if tracelogging {
                p.tlg = tlgpart::register();
            }
            p
        }

        /// Whether some session listens (verbose level, any keyword).
        pub fn enabled(&self) -> bool {
            // SAFETY: a registered handle.
            let s = self
                .strings
                .is_some_and(|h| unsafe { EventProviderEnabled(h, 5, 0) });
            s || (self.tlg && tlgpart::enabled())
        }

        pub fn send(&self, msg: &str, line: u32, activity: Option<&tlgpart::Activity>) {
            if let Some(h) = self.strings {
                let w: Vec<u16> = msg.encode_utf16().chain([0]).collect();
                // SAFETY: NUL-terminated UTF-16 string, registered handle.
                unsafe { EventWriteString(h, 5, 0, w.as_ptr()) };
            }
            if self.tlg {
                tlgpart::send(msg, line, activity);
            }
        }
    }

    impl Drop for Providers {
        fn drop(&mut self) {
            if let Some(h) = self.strings {
                // SAFETY: registered above.
                unsafe { EventUnregister(h) };
            }
            if self.tlg {
                tlgpart::unregister();
            }
        }
    }
}

#[cfg(windows)]
fn main() {
    let mut strings = true;
    let mut tracelogging = true;
    let mut repeat = 1u32;
    let mut delay_ms = 0u64;
    let mut wait_enabled = 0u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut num = |what: &str| -> u64 {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{what} needs a number"))
        };
        match a.as_str() {
            "--strings" => tracelogging = false,
            "--tracelogging" => strings = false,
            "--repeat" => repeat = num("--repeat") as u32,
            "--delay-ms" => delay_ms = num("--delay-ms"),
            "--wait-enabled" => wait_enabled = num("--wait-enabled"),
            other => {
                eprintln!("etwproducer: unknown argument {other:?}");
                std::process::exit(2);
            }
        }
    }
    let providers = win::Providers::register(strings, tracelogging);
    println!("pid {}", std::process::id());
    if wait_enabled > 0 {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(wait_enabled);
        while !providers.enabled() {
            if std::time::Instant::now() > deadline {
                eprintln!("etwproducer: no session enabled the providers in {wait_enabled} s");
                std::process::exit(3);
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
    let mut sent = 0;
    for round in 0..repeat {
        let activity = tlgpart::new_activity();
        for (i, (template, line)) in MESSAGES.iter().enumerate() {
            let msg = expand(template, round * 3 + 1);
            // The first request (cert present) carries an activity id.
            let act = (i < 3).then_some(&activity);
            providers.send(&msg, *line, act);
            sent += 1;
            if delay_ms > 0 {
                std::thread::sleep(std::time::Duration::from_millis(delay_ms));
            }
        }
    }
    if tracelogging {
        tlgpart::send_string_kinds();
    }
    println!("sent {sent} messages per provider");
}

#[cfg(not(windows))]
fn main() {
    for (t, _) in MESSAGES {
        let _ = expand(t, 1);
    }
    eprintln!(
        "etwproducer writes ETW events ({TLG_NAME}, {STRINGS_NAME}): build and run it on Windows"
    );
    std::process::exit(2);
}
