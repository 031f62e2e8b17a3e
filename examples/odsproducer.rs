//! Test producer for `certtrace live --debug-output`: sends the IIS
//! module's trace messages through `OutputDebugStringA` and
//! `OutputDebugStringW`, like `TRC_MSG` / `TRC_MSGW` do.
//!
//! ```text
//! odsproducer [--wait-listener SECS] [--global] [--raw-protocol] [--extras]
//!             [--repeat N] [--delay-ms MS]
//! ```
//!
//! Prints `pid <n>` first, then sends each message (`--repeat` times the
//! whole set, with the request counter going up). `--wait-listener` waits
//! until a DBWIN listener exists (its `DBWIN_BUFFER_READY` event can be
//! opened), so a test does not race the capture's start-up. `--extras` adds
//! a wide message with non-ASCII characters (converted to the ANSI code
//! page on the way) and a message with an embedded newline.
//!
//! `--raw-protocol` writes the DBWIN buffer itself instead of calling
//! OutputDebugString, exactly as Windows' OutputDebugStringA does (wait for
//! `DBWIN_BUFFER_READY`, write pid + text, set `DBWIN_DATA_READY`); with
//! `--global` it uses the `Global\` objects, which is what a process in
//! session 0 (an IIS worker) reaches. Wine's OutputDebugString only knows
//! the local names, so this is how the `--global` capture is tested there.
//! Used by `tests/wine/run.sh`.

/// The messages of one HTTPS request with a client certificate, one plain
/// HTTP request and one without a certificate (spec section 6), as the
/// module formats them (`\n` appended). `{n}` is the request counter.
/// The bool says whether the message goes out through the wide API.
const MESSAGES: &[(&str, bool)] = &[
    (
        "Line: 28 rMsg1638: cnt = {n} URI: https://shop.example:443/login FILE = c:\\src\\mymodule.cpp Build Tue Jun 23 16:23:14 2026\n",
        true,
    ),
    (
        "Line: 45 rMsg1638: cert size: 1042 Previously negotiated 1\n",
        false,
    ),
    ("Line: 49 rMsg1638: cert crc: 2844112431\n", false),
    (
        "Line: 28 rMsg1638: cnt = {n1} URI: http://shop.example:80/ FILE = c:\\src\\mymodule.cpp Build Tue Jun 23 16:23:14 2026\n",
        true,
    ),
    ("Line: 32 rMsg1638: connection is not using SSL\n", false),
    (
        "Line: 28 rMsg1638: cnt = {n2} URI: https://api.example:443/v1 FILE = c:\\src\\mymodule.cpp Build Tue Jun 23 16:23:14 2026\n",
        true,
    ),
    ("Line: 40 rMsg1638: HR = 80070490  Cert not found\n", false),
    (
        "rMsg1638 FAILURE at : 77 HR = 80070032      NegotiateClientCertificate",
        false,
    ),
];

/// With `--extras`: (text, wide). The first reaches the listener in the
/// ANSI code page (characters it lacks become `?`); the second is split
/// into two lines by the listener, as DebugView does.
const EXTRAS: &[(&str, bool)] = &[
    (
        "Line: 28 rMsg1638: cnt = {n3} URI: https://bücher.example:443/straße FILE = c:\\src\\mymodule.cpp Build Tue Jun 23 16:23:14 2026\n",
        true,
    ),
    (
        "Line: 99 rMsg1638: first line\nLine: 99 rMsg1638: second line\n",
        false,
    ),
];

/// Fills in the request counters: `{n}` is `first`, `{n1}` the next, ...
fn expand(template: &str, first: u32) -> String {
    template
        .replace("{n}", &first.to_string())
        .replace("{n1}", &(first + 1).to_string())
        .replace("{n2}", &(first + 2).to_string())
        .replace("{n3}", &(first + 3).to_string())
}

#[cfg(windows)]
mod win {
    use windows_sys::Win32::Foundation::{CloseHandle, HANDLE, WAIT_OBJECT_0};
    use windows_sys::Win32::System::Diagnostics::Debug::{OutputDebugStringA, OutputDebugStringW};
    use windows_sys::Win32::System::Memory::{
        FILE_MAP_WRITE, MapViewOfFile, OpenFileMappingW, UnmapViewOfFile,
    };
    use windows_sys::Win32::System::Threading::{
        EVENT_MODIFY_STATE, OpenEventW, SetEvent, WaitForSingleObject,
    };

    /// Standard access right (winnt.h); windows-sys only has it under Storage.
    const SYNCHRONIZE: u32 = 0x0010_0000;

    fn wide(s: &str) -> Vec<u16> {
        s.encode_utf16().chain([0]).collect()
    }

    fn name(base: &str, global: bool) -> Vec<u16> {
        wide(&if global {
            format!("Global\\{base}")
        } else {
            base.to_string()
        })
    }

    /// Waits until a listener's `DBWIN_BUFFER_READY` exists.
    pub fn wait_listener(secs: u64, global: bool) -> bool {
        let n = name("DBWIN_BUFFER_READY", global);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            // SAFETY: NUL-terminated name; the handle is closed at once.
            let h = unsafe { OpenEventW(SYNCHRONIZE, 0, n.as_ptr()) };
            if !h.is_null() {
                unsafe { CloseHandle(h) };
                return true;
            }
            if std::time::Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    pub fn ods(msg: &str, wide_api: bool) {
        if wide_api {
            let w = wide(msg);
            // SAFETY: NUL-terminated UTF-16 string.
            unsafe { OutputDebugStringW(w.as_ptr()) };
        } else {
            let mut a = msg.as_bytes().to_vec();
            a.push(0);
            // SAFETY: NUL-terminated byte string (ASCII).
            unsafe { OutputDebugStringA(a.as_ptr()) };
        }
    }

    /// The writer side of the DBWIN protocol, as OutputDebugStringA does it
    /// (ASCII text only: this test never sends other characters this way).
    pub struct RawWriter {
        buffer_ready: HANDLE,
        data_ready: HANDLE,
        mapping: HANDLE,
        view: *mut u8,
    }

    impl RawWriter {
        pub fn open(global: bool) -> Option<RawWriter> {
            // SAFETY: NUL-terminated names; results checked.
            unsafe {
                let mapping =
                    OpenFileMappingW(FILE_MAP_WRITE, 0, name("DBWIN_BUFFER", global).as_ptr());
                let buffer_ready =
                    OpenEventW(SYNCHRONIZE, 0, name("DBWIN_BUFFER_READY", global).as_ptr());
                let data_ready = OpenEventW(
                    EVENT_MODIFY_STATE,
                    0,
                    name("DBWIN_DATA_READY", global).as_ptr(),
                );
                if mapping.is_null() || buffer_ready.is_null() || data_ready.is_null() {
                    return None;
                }
                let view = MapViewOfFile(mapping, FILE_MAP_WRITE, 0, 0, 4096);
                if view.Value.is_null() {
                    return None;
                }
                Some(RawWriter {
                    buffer_ready,
                    data_ready,
                    mapping,
                    view: view.Value.cast(),
                })
            }
        }

        pub fn write(&self, msg: &str) -> bool {
            let text = msg.as_bytes();
            let n = text.len().min(4096 - 4 - 1);
            // SAFETY: the view is 4096 writable bytes; the listener reads it
            // only after DATA_READY is set.
            unsafe {
                if WaitForSingleObject(self.buffer_ready, 10_000) != WAIT_OBJECT_0 {
                    return false;
                }
                let pid = std::process::id().to_le_bytes();
                std::ptr::copy_nonoverlapping(pid.as_ptr(), self.view, 4);
                std::ptr::copy_nonoverlapping(text.as_ptr(), self.view.add(4), n);
                *self.view.add(4 + n) = 0;
                SetEvent(self.data_ready);
            }
            true
        }
    }

    impl Drop for RawWriter {
        fn drop(&mut self) {
            // SAFETY: owned handles and view.
            unsafe {
                UnmapViewOfFile(
                    windows_sys::Win32::System::Memory::MEMORY_MAPPED_VIEW_ADDRESS {
                        Value: self.view.cast(),
                    },
                );
                CloseHandle(self.mapping);
                CloseHandle(self.buffer_ready);
                CloseHandle(self.data_ready);
            }
        }
    }
}

#[cfg(windows)]
fn main() {
    let mut wait_listener = 0u64;
    let mut global = false;
    let mut raw = false;
    let mut extras = false;
    let mut repeat = 1u32;
    let mut delay_ms = 0u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut num = |what: &str| -> u64 {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{what} needs a number"))
        };
        match a.as_str() {
            "--wait-listener" => wait_listener = num("--wait-listener"),
            "--global" => global = true,
            "--raw-protocol" => raw = true,
            "--extras" => extras = true,
            "--repeat" => repeat = num("--repeat") as u32,
            "--delay-ms" => delay_ms = num("--delay-ms"),
            other => {
                eprintln!("odsproducer: unknown argument {other:?}");
                std::process::exit(2);
            }
        }
    }
    if global && !raw {
        eprintln!(
            "odsproducer: --global needs --raw-protocol (OutputDebugString picks its own names)"
        );
        std::process::exit(2);
    }
    println!("pid {}", std::process::id());

    if wait_listener > 0 && !win::wait_listener(wait_listener, global) {
        eprintln!("odsproducer: no DBWIN listener after {wait_listener} s");
        std::process::exit(3);
    }
    let writer = if raw {
        match win::RawWriter::open(global) {
            Some(w) => Some(w),
            None => {
                eprintln!("odsproducer: cannot open the DBWIN objects");
                std::process::exit(3);
            }
        }
    } else {
        None
    };

    let per_round = if extras { 4 } else { 3 };
    let mut sent = 0;
    for round in 0..repeat {
        let set = MESSAGES
            .iter()
            .chain(if extras { EXTRAS } else { &[] }.iter());
        for (template, wide_api) in set {
            let msg = expand(template, round * per_round + 1);
            match &writer {
                Some(w) => {
                    if !w.write(&msg) {
                        eprintln!("odsproducer: listener did not free the buffer in 10 s");
                        std::process::exit(4);
                    }
                }
                None => win::ods(&msg, *wide_api),
            }
            sent += 1;
            if delay_ms > 0 {
                std::thread::sleep(std::time::Duration::from_millis(delay_ms));
            }
        }
    }
    println!("sent {sent}");
    // Stay alive a moment so the listener can look up this process's name.
    std::thread::sleep(std::time::Duration::from_millis(300));
}

#[cfg(not(windows))]
fn main() {
    // Keep the message tables compiled (and linted) everywhere.
    for (t, _) in MESSAGES.iter().chain(EXTRAS) {
        let _ = expand(t, 1);
    }
    eprintln!("odsproducer calls OutputDebugString: build it for Windows (or run it under wine)");
    std::process::exit(2);
}
