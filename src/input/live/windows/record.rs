//! One ETW `EVENT_RECORD` turned into certtrace's pieces: the message text
//! (a string-only payload, or a TraceLogging event decoded by the project's
//! own decoder, [`crate::input::etl::tracelogging`], from its `EVENT_SCHEMA_TL`
//! item and user data: the same code and rules as the portable `.etl`
//! reader, no TDH), pid, tid, UTC time, activity id, provider. Shared by
//! the live ETW session (`super::etw`) and `.etl` files read through
//! Windows (`crate::input::etl_ferrisetw`).

use chrono::{DateTime, Utc};
use ferrisetw::EventRecord;
use ferrisetw::native::EvntraceNativeError;
use ferrisetw::trace::TraceError;
use windows_sys::Win32::System::Diagnostics::Etw::{EVENT_HEADER_EXTENDED_DATA_ITEM, EVENT_RECORD};

use crate::input::etl::tracelogging::{self, TlMessage};
use crate::input::live::payload::{
    DecodedText, EVENT_HEADER_FLAG_STRING_ONLY, activity_text, decode_utf16le_payload,
    filetime_to_utc,
};
use crate::input::live::session::{code, describe_code, win32_code};
use crate::input::provider::Guid;

/// `EVENT_HEADER_EXT_TYPE_EVENT_SCHEMA_TL`: the TraceLogging schema item.
pub(crate) const EXT_TYPE_EVENT_SCHEMA_TL: u16 = 11;
/// `EVENT_HEADER_EXT_TYPE_PROV_TRAITS`: provider traits (TraceLogging name).
pub(crate) const EXT_TYPE_PROV_TRAITS: u16 = 12;
/// `EVENT_HEADER_FLAG_32_BIT_HEADER` / `_64_BIT_HEADER`: the producer's
/// pointer size.
const FLAG_32_BIT_HEADER: u16 = 0x20;
const FLAG_64_BIT_HEADER: u16 = 0x40;

pub(crate) fn from_sys_guid(g: windows_sys::core::GUID) -> Guid {
    Guid {
        data1: g.data1,
        data2: g.data2,
        data3: g.data3,
        data4: g.data4,
    }
}

pub(crate) fn to_sys_guid(g: Guid) -> windows_sys::core::GUID {
    windows_sys::core::GUID {
        data1: g.data1,
        data2: g.data2,
        data3: g.data3,
        data4: g.data4,
    }
}

/// The Win32 code inside a ferrisetw error, when there is one.
pub(crate) fn trace_error_code(e: &TraceError) -> Option<u32> {
    match e {
        TraceError::EtwNativeError(EvntraceNativeError::IoError(io)) => {
            io.raw_os_error().map(win32_code)
        }
        TraceError::EtwNativeError(EvntraceNativeError::AlreadyExist) => {
            Some(code::ERROR_ALREADY_EXISTS)
        }
        _ => None,
    }
}

pub(crate) fn describe_trace_error(e: &TraceError) -> String {
    match (e, trace_error_code(e)) {
        (_, Some(c)) => describe_code(c),
        (TraceError::InvalidTraceName, _) => "invalid session name".into(),
        (TraceError::EtwNativeError(EvntraceNativeError::InvalidHandle), _) => {
            "Windows returned an invalid handle".into()
        }
        (other, None) => format!("{other:?}"),
    }
}

/// The windows-sys view of a ferrisetw record.
pub(crate) fn raw(record: &EventRecord) -> &EVENT_RECORD {
    // SAFETY: ferrisetw's `EventRecord` is `#[repr(transparent)]` over the
    // `windows` crate's EVENT_RECORD, which has the same C layout as
    // windows-sys' EVENT_RECORD (both generated from the Win32 metadata).
    unsafe { &*(record as *const EventRecord).cast::<EVENT_RECORD>() }
}

/// The payload bytes of an event.
pub(crate) fn user_data(raw: &EVENT_RECORD) -> &[u8] {
    if raw.UserData.is_null() || raw.UserDataLength == 0 {
        return &[];
    }
    // SAFETY: `UserData`/`UserDataLength` describe a buffer that ETW keeps
    // valid for the duration of the callback, which bounds the lifetime.
    unsafe { std::slice::from_raw_parts(raw.UserData.cast::<u8>(), raw.UserDataLength as usize) }
}

/// The data of the first extended data item of this type.
pub(crate) fn ext_item(raw: &EVENT_RECORD, ext_type: u16) -> Option<&[u8]> {
    let count = usize::from(raw.ExtendedDataCount);
    if raw.ExtendedData.is_null() || count == 0 {
        return None;
    }
    // SAFETY: ETW hands `ExtendedDataCount` items at `ExtendedData`, each
    // pointing at `DataSize` bytes, all valid for the duration of the
    // callback.
    let items: &[EVENT_HEADER_EXTENDED_DATA_ITEM] =
        unsafe { std::slice::from_raw_parts(raw.ExtendedData, count) };
    let item = items.iter().find(|i| i.ExtType == ext_type)?;
    if item.DataPtr == 0 || item.DataSize == 0 {
        return Some(&[]);
    }
    // SAFETY: as above: `DataSize` bytes at `DataPtr`, valid during the
    // callback.
    Some(unsafe {
        std::slice::from_raw_parts(item.DataPtr as *const u8, usize::from(item.DataSize))
    })
}

/// Whether the event is string-only (`EventWriteString`).
pub(crate) fn is_string_only(raw: &EVENT_RECORD) -> bool {
    raw.EventHeader.Flags & EVENT_HEADER_FLAG_STRING_ONLY != 0
}

/// The producer's pointer size (for pointer-sized fields).
fn pointer_size(raw: &EVENT_RECORD) -> usize {
    let f = raw.EventHeader.Flags;
    if f & FLAG_32_BIT_HEADER != 0 {
        4
    } else if f & FLAG_64_BIT_HEADER != 0 {
        8
    } else {
        std::mem::size_of::<usize>()
    }
}

/// The message text of an event, before the caller's policy.
pub(crate) enum RecordText {
    /// A string-only event's payload.
    StringOnly(DecodedText),
    /// A TraceLogging event, decoded, with the `--field` rules applied.
    TraceLogging(TlMessage),
    /// Neither string-only nor TraceLogging (a manifest or MOF event), or
    /// an unreadable schema: why.
    Undecodable(String),
}

/// Decodes an event's message text (see [`RecordText`]); ANSI strings that
/// are not UTF-8 are decoded with `ansi`.
pub(crate) fn record_text(
    raw: &EVENT_RECORD,
    field: Option<&str>,
    ansi: &'static encoding_rs::Encoding,
) -> RecordText {
    if is_string_only(raw) {
        return RecordText::StringOnly(decode_utf16le_payload(user_data(raw)));
    }
    let Some(schema) = ext_item(raw, EXT_TYPE_EVENT_SCHEMA_TL) else {
        return RecordText::Undecodable(
            "neither a string-only nor a TraceLogging event (manifest events are not decoded)"
                .into(),
        );
    };
    match tracelogging::message(schema, user_data(raw), pointer_size(raw), ansi, field) {
        Ok(m) => RecordText::TraceLogging(m),
        Err(why) => RecordText::Undecodable(why),
    }
}

/// Who and when: the header fields every source keeps.
pub(crate) struct RecordMeta {
    /// `None` for a zero or out-of-range timestamp.
    pub time: Option<DateTime<Utc>>,
    pub pid: u32,
    pub tid: u32,
    pub provider: Guid,
    /// Lowercase GUID text; `None` for the nil GUID.
    pub activity_id: Option<String>,
}

pub(crate) fn record_meta(raw: &EVENT_RECORD) -> RecordMeta {
    let h = &raw.EventHeader;
    RecordMeta {
        // FILETIME: ProcessTrace is not asked for raw timestamps.
        time: filetime_to_utc(h.TimeStamp),
        pid: h.ProcessId,
        tid: h.ThreadId,
        provider: from_sys_guid(h.ProviderId),
        activity_id: activity_text(from_sys_guid(h.ActivityId)),
    }
}
