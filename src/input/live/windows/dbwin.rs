//! OutputDebugString capture over the DBWIN protocol (see
//! [`crate::input::live::dbwin`] for the buffer layout).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;

use chrono::Utc;
use windows_sys::Win32::Foundation::{
    CloseHandle, ERROR_ACCESS_DENIED, ERROR_ALREADY_EXISTS, GetLastError, HANDLE,
    INVALID_HANDLE_VALUE, SetLastError, WAIT_OBJECT_0, WAIT_TIMEOUT,
};
use windows_sys::Win32::Globalization::{CP_ACP, MultiByteToWideChar};
use windows_sys::Win32::Security::{
    InitializeSecurityDescriptor, SECURITY_ATTRIBUTES, SECURITY_DESCRIPTOR,
    SetSecurityDescriptorDacl,
};
use windows_sys::Win32::System::Memory::{
    CreateFileMappingW, FILE_MAP_READ, MEMORY_MAPPED_VIEW_ADDRESS, MapViewOfFile, PAGE_READWRITE,
    UnmapViewOfFile,
};
use windows_sys::Win32::System::SystemServices::SECURITY_DESCRIPTOR_REVISION;
use windows_sys::Win32::System::Threading::{CreateEventW, SetEvent, WaitForSingleObject};

use super::{Msg, ProcessNames, wide};
use crate::input::event::InputName;
use crate::input::live::dbwin::{
    BUFFER_NAME, BUFFER_READY_NAME, DATA_READY_NAME, DBWIN_BUFFER_SIZE, object_name,
    parse_dbwin_buffer,
};
use crate::input::live::session::describe_code;
use crate::input::live::{Captured, LiveError};

/// How long the reader waits for a message before looking at the stop flag.
const POLL_MS: u32 = 100;

/// The three DBWIN kernel objects and the mapped view; closed on drop.
struct Objects {
    buffer_ready: HANDLE,
    data_ready: HANDLE,
    mapping: HANDLE,
    view: MEMORY_MAPPED_VIEW_ADDRESS,
}

// SAFETY: the handles and the view are process-wide Win32 objects, usable
// from any thread; only the reader thread uses them after start.
unsafe impl Send for Objects {}

impl Drop for Objects {
    fn drop(&mut self) {
        // SAFETY: each member is either null or a handle/view this struct
        // created and still owns.
        unsafe {
            if !self.view.Value.is_null() {
                UnmapViewOfFile(self.view);
            }
            for h in [self.mapping, self.data_ready, self.buffer_ready] {
                if !h.is_null() {
                    CloseHandle(h);
                }
            }
        }
    }
}

fn create_error(name: &str, global: bool, err: u32) -> LiveError {
    if err == ERROR_ACCESS_DENIED && global {
        LiveError::GlobalDbwinNeedsAdmin
    } else {
        LiveError::Dbwin {
            step: format!("creating {name}"),
            detail: describe_code(err),
        }
    }
}

fn already_owned(name: &str, global: bool) -> LiveError {
    LiveError::DebuggerPresent {
        objects: name.to_string(),
        global_hint: if global {
            " --global, possibly in another session"
        } else {
            ""
        },
    }
}

fn open(global: bool) -> Result<Objects, LiveError> {
    let mut obj = Objects {
        buffer_ready: std::ptr::null_mut(),
        data_ready: std::ptr::null_mut(),
        mapping: std::ptr::null_mut(),
        view: MEMORY_MAPPED_VIEW_ADDRESS {
            Value: std::ptr::null_mut(),
        },
    };
    // A NULL DACL, as DebugView uses: the writers are other accounts (IIS
    // application pool identities) that must open these objects.
    // SAFETY: `sd` is a properly sized, writable SECURITY_DESCRIPTOR that
    // outlives every call using `sa`.
    let mut sd: SECURITY_DESCRIPTOR = unsafe { std::mem::zeroed() };
    let sd_ptr = (&mut sd as *mut SECURITY_DESCRIPTOR).cast();
    unsafe {
        if InitializeSecurityDescriptor(sd_ptr, SECURITY_DESCRIPTOR_REVISION) == 0
            || SetSecurityDescriptorDacl(sd_ptr, 1, std::ptr::null(), 0) == 0
        {
            return Err(LiveError::Dbwin {
                step: "preparing the security descriptor".into(),
                detail: describe_code(GetLastError()),
            });
        }
    }
    let sa = SECURITY_ATTRIBUTES {
        nLength: std::mem::size_of::<SECURITY_ATTRIBUTES>() as u32,
        lpSecurityDescriptor: sd_ptr,
        bInheritHandle: 0,
    };

    let event = |base: &str| -> Result<HANDLE, LiveError> {
        let name = object_name(base, global);
        let w = wide(&name);
        // SAFETY: valid attributes and NUL-terminated name; the last error
        // is read right after the call.
        unsafe {
            SetLastError(0);
            let h = CreateEventW(&sa, 0, 0, w.as_ptr());
            let err = GetLastError();
            if h.is_null() {
                return Err(create_error(&name, global, err));
            }
            if err == ERROR_ALREADY_EXISTS {
                CloseHandle(h);
                return Err(already_owned(&name, global));
            }
            Ok(h)
        }
    };
    obj.buffer_ready = event(BUFFER_READY_NAME)?;
    obj.data_ready = event(DATA_READY_NAME)?;

    let name = object_name(BUFFER_NAME, global);
    let w = wide(&name);
    // SAFETY: as above; the view is checked before use.
    unsafe {
        SetLastError(0);
        let m = CreateFileMappingW(
            INVALID_HANDLE_VALUE,
            &sa,
            PAGE_READWRITE,
            0,
            DBWIN_BUFFER_SIZE as u32,
            w.as_ptr(),
        );
        let err = GetLastError();
        if m.is_null() {
            return Err(create_error(&name, global, err));
        }
        obj.mapping = m;
        if err == ERROR_ALREADY_EXISTS {
            return Err(already_owned(&name, global));
        }
        obj.view = MapViewOfFile(m, FILE_MAP_READ, 0, 0, DBWIN_BUFFER_SIZE);
        if obj.view.Value.is_null() {
            return Err(LiveError::Dbwin {
                step: format!("mapping {name}"),
                detail: describe_code(GetLastError()),
            });
        }
    }
    Ok(obj)
}

/// Text in the ANSI code page (what OutputDebugStringA wrote, and what
/// OutputDebugStringW converted to) as a String.
fn ansi_to_string(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return String::new();
    }
    // SAFETY: lengths passed match the buffers; the first call only sizes.
    unsafe {
        let n = MultiByteToWideChar(
            CP_ACP,
            0,
            bytes.as_ptr(),
            bytes.len() as i32,
            std::ptr::null_mut(),
            0,
        );
        if n <= 0 {
            return String::from_utf8_lossy(bytes).into_owned();
        }
        let mut w = vec![0u16; n as usize];
        let n = MultiByteToWideChar(
            CP_ACP,
            0,
            bytes.as_ptr(),
            bytes.len() as i32,
            w.as_mut_ptr(),
            n,
        );
        String::from_utf16_lossy(&w[..n.max(0) as usize])
    }
}

pub(super) struct DbwinCapture {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl DbwinCapture {
    pub(super) fn start(
        global: bool,
        tx: Sender<Msg>,
        names: Arc<ProcessNames>,
    ) -> Result<DbwinCapture, LiveError> {
        let obj = open(global)?;
        let stop = Arc::new(AtomicBool::new(false));
        let stop_t = stop.clone();
        let input = InputName::from(if global { "dbwin:global" } else { "dbwin" });
        let thread = std::thread::Builder::new()
            .name("certtrace-dbwin".into())
            .spawn(move || reader(obj, stop_t, tx, names, input))
            .map_err(|e| LiveError::Dbwin {
                step: "starting the reader thread".into(),
                detail: e.to_string(),
            })?;
        Ok(DbwinCapture {
            stop,
            thread: Some(thread),
        })
    }

    pub(super) fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for DbwinCapture {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn reader(
    obj: Objects,
    stop: Arc<AtomicBool>,
    tx: Sender<Msg>,
    names: Arc<ProcessNames>,
    input: InputName,
) {
    let mut buf = [0u8; DBWIN_BUFFER_SIZE];
    // SAFETY: handles owned by `obj`, alive for the whole loop.
    unsafe { SetEvent(obj.buffer_ready) };
    while !stop.load(Ordering::SeqCst) {
        // SAFETY: as above.
        let r = unsafe { WaitForSingleObject(obj.data_ready, POLL_MS) };
        if r == WAIT_TIMEOUT {
            continue;
        }
        if r != WAIT_OBJECT_0 {
            let err = unsafe { GetLastError() };
            let _ = tx.send(Msg::Ended(format!(
                "waiting for OutputDebugString data failed: {}",
                describe_code(err)
            )));
            return;
        }
        // SAFETY: the view maps DBWIN_BUFFER_SIZE readable bytes; the writer
        // has finished writing (it set DATA_READY) and waits for
        // BUFFER_READY before writing again.
        unsafe {
            std::ptr::copy_nonoverlapping(
                obj.view.Value.cast::<u8>(),
                buf.as_mut_ptr(),
                DBWIN_BUFFER_SIZE,
            );
        }
        let time = Utc::now();
        // SAFETY: as above. The next writer may go on now.
        unsafe { SetEvent(obj.buffer_ready) };
        let Some((pid, bytes)) = parse_dbwin_buffer(&buf) else {
            continue;
        };
        let text = ansi_to_string(bytes);
        let msg = Msg::Event(Captured {
            time,
            pid: Some(pid),
            tid: None,
            provider: None,
            activity_id: None,
            text,
            process: names.lookup(pid),
            input,
            split_lines: true,
        });
        if tx.send(msg).is_err() {
            return;
        }
    }
}
