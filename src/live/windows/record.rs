//! One ferrisetw [`EventRecord`] turned into certtrace's pieces: the
//! message text (string-only payload, or the event's fields decoded by TDH
//! through ferrisetw's schema and `EventSerializer`), pid, tid, UTC time,
//! activity id, provider. Shared by the live ETW session
//! (`super::etw`) and `.etl` files read through ferrisetw's `FileTrace`
//! (`crate::sources::etl_ferrisetw`).

use chrono::{DateTime, Utc};
use ferrisetw::native::EvntraceNativeError;
use ferrisetw::trace::TraceError;
use ferrisetw::{EventRecord, EventSerializer, EventSerializerOptions, GUID, SchemaLocator};
use windows_sys::Win32::System::Diagnostics::Etw::{EVENT_HEADER_EXTENDED_DATA_ITEM, EVENT_RECORD};

use crate::live::payload::{
    DecodedText, EVENT_HEADER_FLAG_STRING_ONLY, activity_text, decode_utf16le_payload,
    filetime_to_utc,
};
use crate::live::session::{code, describe_code, win32_code};
use crate::live::tlg::{FieldChoice, fields_from_serialized, select_field};
use crate::provider::Guid;

/// `EVENT_HEADER_EXT_TYPE_EVENT_SCHEMA_TL`: the TraceLogging schema item.
pub(crate) const EXT_TYPE_EVENT_SCHEMA_TL: u16 = 11;
/// `EVENT_HEADER_EXT_TYPE_PROV_TRAITS`: provider traits (TraceLogging name).
pub(crate) const EXT_TYPE_PROV_TRAITS: u16 = 12;

pub(crate) fn to_ferris_guid(g: Guid) -> GUID {
    GUID::from_values(g.data1, g.data2, g.data3, g.data4)
}

pub(crate) fn from_ferris_guid(g: GUID) -> Guid {
    Guid {
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
fn raw(record: &EventRecord) -> &EVENT_RECORD {
    // SAFETY: ferrisetw's `EventRecord` is `#[repr(transparent)]` over the
    // `windows` crate's EVENT_RECORD, which has the same C layout as
    // windows-sys' EVENT_RECORD (both generated from the Win32 metadata).
    unsafe { &*(record as *const EventRecord).cast::<EVENT_RECORD>() }
}

/// The payload bytes of an event.
pub(crate) fn user_data(record: &EventRecord) -> &[u8] {
    let raw = raw(record);
    if raw.UserData.is_null() || raw.UserDataLength == 0 {
        return &[];
    }
    // SAFETY: `UserData`/`UserDataLength` describe a buffer that ETW keeps
    // valid for the duration of the callback, which bounds the lifetime.
    unsafe { std::slice::from_raw_parts(raw.UserData.cast::<u8>(), raw.UserDataLength as usize) }
}

/// The data of the first extended data item of this type.
pub(crate) fn ext_item(record: &EventRecord, ext_type: u16) -> Option<&[u8]> {
    let raw = raw(record);
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
pub(crate) fn is_string_only(record: &EventRecord) -> bool {
    record.event_flags() & EVENT_HEADER_FLAG_STRING_ONLY != 0
}

/// The message text of an event, before the caller's policy (live capture
/// and file reading both show fallbacks as `name=value`).
pub(crate) enum RecordText {
    /// A string-only event's payload.
    StringOnly(DecodedText),
    /// The `--field` rules applied to the event's decoded fields.
    Fields(FieldChoice),
    /// No schema, or fields that could not be read: why.
    Undecodable(String),
}

/// Decodes an event's message text (see [`RecordText`]).
pub(crate) fn record_text(
    record: &EventRecord,
    locator: &SchemaLocator,
    field: Option<&str>,
) -> RecordText {
    if is_string_only(record) {
        return RecordText::StringOnly(decode_utf16le_payload(user_data(record)));
    }
    let schema = match locator.event_schema(record) {
        Ok(s) => s,
        Err(e) => return RecordText::Undecodable(format!("no schema ({e:?})")),
    };
    let ser = EventSerializer::new(
        record,
        &schema,
        EventSerializerOptions {
            include_schema: false,
            include_header: false,
            include_extended_data: false,
            fail_unimplemented: false,
        },
    );
    match serde_json::to_string(&ser)
        .map_err(|e| e.to_string())
        .and_then(|j| fields_from_serialized(&j))
    {
        Ok(fields) => RecordText::Fields(select_field(&fields, field)),
        Err(e) => RecordText::Undecodable(e),
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

pub(crate) fn record_meta(record: &EventRecord) -> RecordMeta {
    RecordMeta {
        // FILETIME: ferrisetw does not ask ProcessTrace for raw timestamps.
        time: filetime_to_utc(record.raw_timestamp()),
        pid: record.process_id(),
        tid: record.thread_id(),
        provider: from_ferris_guid(record.provider_id()),
        activity_id: activity_text(from_ferris_guid(record.activity_id())),
    }
}
