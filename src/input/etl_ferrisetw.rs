//! `.etl` files through Windows' own ETW consumer API: ferrisetw's
//! `FileTrace` (`OpenTraceW` + `ProcessTrace` on the file), for
//! `certtrace read --etl-backend ferrisetw` on Windows. The portable reader
//! ([`crate::input::etl`]) stays the default everywhere.
//!
//! Events are converted by the code the live ETW session uses
//! ([`crate::input::live::etw_record`]: string-only payloads, TraceLogging events
//! decoded by the portable reader's own decoder, never TDH), with the
//! portable reader's rules on top so both backends yield the same events:
//! only string-only and TraceLogging events; `--provider` matches the GUID
//! or the TraceLogging provider name; the provider shown is the
//! TraceLogging name when the event carries it, else the GUID; events
//! without the `--field` field (default: the first string field) give all
//! their fields as `name=value`; a field that cannot be decoded is an input
//! problem (the event keeps the fields before it). What differs: the place
//! of an event is its sequence number in the file (`trace.etl#17`, counting
//! every record ProcessTrace delivers) rather than its byte offset, and
//! corrupt buffers are handled (silently) by Windows.
//!
//! `ProcessTrace` runs on a thread of its own and calls back for every
//! record; the callback converts it and sends it through a bounded channel,
//! so memory stays bounded however large the file (ProcessTrace waits
//! while the reader is behind). The callback never unwinds into ETW: a
//! panic while converting becomes an input problem for that event.

use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};

use ferrisetw::trace::{FileTrace, TraceTrait};
use ferrisetw::{EventRecord, SchemaLocator};
use windows_sys::Win32::System::Diagnostics::Etw::EVENT_RECORD;

use super::{InputProblem, ItemStream, ProblemKind, SourceItem};
use crate::input::etl::EtlOptions;
use crate::input::etl::tracelogging::DEFAULT_ANSI;
use crate::input::event::{EventTime, InputName, Origin, Position, TraceEvent, trim_message_end};
use crate::input::live::etw_record::{
    EXT_TYPE_EVENT_SCHEMA_TL, EXT_TYPE_PROV_TRAITS, RecordText, describe_trace_error, ext_item,
    is_string_only, raw, record_meta, record_text,
};

/// Items in flight between ProcessTrace's thread and the reader.
const CHANNEL_ITEMS: usize = 1024;

/// Opens `path` with ferrisetw and streams its events. An error opening the
/// trace (`OpenTraceW`) is returned here; a failure while processing ends
/// the stream with an input problem.
pub fn open(path: &Path, input: InputName, opts: EtlOptions) -> io::Result<ItemStream> {
    let path = std::path::absolute(path)?;
    let (tx, rx) = mpsc::sync_channel::<SourceItem>(CHANNEL_ITEMS);
    let (setup_tx, setup_rx) = mpsc::channel::<io::Result<()>>();
    let cancel = Arc::new(AtomicBool::new(false));
    let callback = make_callback(tx.clone(), input, opts, cancel.clone());
    std::thread::Builder::new()
        .name("certtrace-etl-ferrisetw".into())
        .spawn(move || process(path, callback, tx, input, setup_tx))?;
    match setup_rx.recv() {
        Ok(Ok(())) => Ok(Box::new(FileItems { rx, cancel })),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(io::Error::other(
            "the ferrisetw thread ended before opening the file",
        )),
    }
}

/// The ETW callback: converts, never unwinds, stops sending once the reader
/// is gone.
fn make_callback(
    tx: SyncSender<SourceItem>,
    input: InputName,
    opts: EtlOptions,
    cancel: Arc<AtomicBool>,
) -> impl FnMut(&EventRecord, &SchemaLocator) + Send + Sync + 'static {
    let mut seq = 0u64;
    // The schema locator is not used: ferrisetw's TDH schemas are not.
    move |record: &EventRecord, _: &SchemaLocator| {
        seq += 1;
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        let converted = catch_unwind(AssertUnwindSafe(|| convert(raw(record), &opts, input, seq)));
        let items = converted.unwrap_or_else(|_| {
            vec![SourceItem::Problem(InputProblem {
                origin: Origin {
                    input,
                    position: Position::Sequence(seq),
                },
                kind: ProblemKind::Corrupt,
                detail: "internal error (panic) while converting this event; skipped".into(),
            })]
        });
        for item in items {
            // Blocks while the reader is behind (bounded memory); fails
            // only once the reader is gone.
            if tx.send(item).is_err() {
                cancel.store(true, Ordering::Relaxed);
                return;
            }
        }
    }
}

/// Runs on its own thread: opens the trace, reports the outcome to
/// [`open`], processes the whole file, then reports a processing failure.
fn process(
    path: PathBuf,
    callback: impl FnMut(&EventRecord, &SchemaLocator) + Send + Sync + 'static,
    tx: SyncSender<SourceItem>,
    input: InputName,
    setup: mpsc::Sender<io::Result<()>>,
) {
    let (trace, handle) = match FileTrace::new(path, callback).start() {
        Ok(t) => t,
        Err(e) => {
            let _ = setup.send(Err(io::Error::other(format!(
                "Windows could not open it as an ETW log (OpenTraceW, --etl-backend ferrisetw): {}",
                describe_trace_error(&e)
            ))));
            return;
        }
    };
    let _ = setup.send(Ok(()));
    let result = FileTrace::process_from_handle(handle);
    let handled = trace.events_handled() as u64;
    // Closes the trace and drops the callback (and its sender).
    drop(trace);
    if let Err(e) = result {
        let _ = tx.send(SourceItem::Problem(InputProblem {
            origin: Origin {
                input,
                position: Position::Sequence(handled + 1),
            },
            kind: ProblemKind::Unreadable,
            detail: format!(
                "Windows stopped processing the file (ProcessTrace): {}; rest of input skipped",
                describe_trace_error(&e)
            ),
        }));
    }
}

/// One record to source items, with the portable reader's rules (see the
/// module doc): none for records that carry no message, else the event and
/// maybe a problem with one of its fields.
fn convert(
    record: &EVENT_RECORD,
    opts: &EtlOptions,
    input: InputName,
    seq: u64,
) -> Vec<SourceItem> {
    let meta = record_meta(record);
    let traits_name = ext_item(record, EXT_TYPE_PROV_TRAITS)
        .and_then(crate::input::etl::tracelogging::provider_name);
    if let Some(spec) = &opts.provider {
        let by_name = matches!((&spec.name, &traits_name),
            (Some(want), Some(have)) if want.eq_ignore_ascii_case(have));
        if meta.provider != spec.guid && !by_name {
            return Vec::new();
        }
    }
    if !is_string_only(record) && ext_item(record, EXT_TYPE_EVENT_SCHEMA_TL).is_none() {
        return Vec::new();
    }
    let origin = Origin {
        input,
        position: Position::Sequence(seq),
    };
    let problem = |why: String| {
        SourceItem::Problem(InputProblem {
            origin,
            kind: ProblemKind::Corrupt,
            detail: format!(
                "event cannot be decoded: ETW event {}: {why}",
                record.EventHeader.EventDescriptor.Id
            ),
        })
    };
    let ansi = opts.ansi.unwrap_or(DEFAULT_ANSI);
    let (text, field_problem) = match record_text(record, opts.field.as_deref(), ansi) {
        RecordText::StringOnly(d) => (d.text, None),
        // As the portable reader and live capture: without the field, every
        // field as `name=value`, so the event is kept and counted.
        RecordText::TraceLogging(m) => (m.choice.text().to_string(), m.problem.map(problem)),
        RecordText::Undecodable(why) => return vec![problem(why)],
    };
    let mut ev = TraceEvent {
        time: meta.time.map(EventTime::Utc),
        pid: Some(meta.pid),
        tid: Some(meta.tid),
        text: trim_message_end(&text).to_string(),
        origin,
        context: None,
        preparsed: None,
    };
    ev.set_context(
        None,
        Some(traits_name.unwrap_or_else(|| meta.provider.to_string())),
        meta.activity_id,
    );
    std::iter::once(SourceItem::Event(ev))
        .chain(field_problem)
        .collect()
}

/// The reader's end of the channel. Dropping it early (the pipeline
/// stopped) makes the callback skip the rest of the file without work.
struct FileItems {
    rx: Receiver<SourceItem>,
    cancel: Arc<AtomicBool>,
}

impl Iterator for FileItems {
    type Item = SourceItem;

    fn next(&mut self) -> Option<SourceItem> {
        self.rx.recv().ok()
    }
}

impl Drop for FileItems {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// Hand-made records through the conversion (no ETW session needed, so
/// these run under wine as well: `tests/wine/run.sh` or
/// `CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER=wine cargo test --target
/// x86_64-pc-windows-gnu --lib etl_ferrisetw`).
#[cfg(test)]
mod tests {
    use windows_sys::Win32::System::Diagnostics::Etw::{
        EVENT_HEADER_EXTENDED_DATA_ITEM, EVENT_RECORD,
    };

    use super::*;
    use crate::input::live::payload::EVENT_HEADER_FLAG_STRING_ONLY;
    use crate::input::provider::{Guid, ProviderSpec};

    const PROVIDER: &str = "ce5fa4ea-ab00-5402-8b76-9f76ac858fb5";

    fn sys_guid(g: Guid) -> windows_sys::core::GUID {
        windows_sys::core::GUID {
            data1: g.data1,
            data2: g.data2,
            data3: g.data3,
            data4: g.data4,
        }
    }

    /// Provider traits as Windows stores them: u16 total size, UTF-8
    /// name, NUL.
    fn traits(name: &str) -> Vec<u8> {
        let size = (2 + name.len() + 1) as u16;
        let mut t = size.to_le_bytes().to_vec();
        t.extend(name.as_bytes());
        t.push(0);
        t
    }

    fn utf16z(s: &str) -> Vec<u8> {
        s.encode_utf16()
            .chain([0])
            .flat_map(u16::to_le_bytes)
            .collect()
    }

    /// Converts one record built from the arguments: string-only, or
    /// TraceLogging when `schema` is given.
    fn convert_record(
        provider: Guid,
        payload: &[u8],
        schema: Option<&[u8]>,
        traits_name: Option<&str>,
        opts: &EtlOptions,
    ) -> Vec<SourceItem> {
        let traits_data = traits_name.map(traits);
        // SAFETY: plain C structs; all-zero is a valid value.
        let mut raw: EVENT_RECORD = unsafe { std::mem::zeroed() };
        if schema.is_none() {
            raw.EventHeader.Flags = EVENT_HEADER_FLAG_STRING_ONLY;
        }
        raw.EventHeader.ProviderId = sys_guid(provider);
        raw.EventHeader.ProcessId = 5120;
        raw.EventHeader.ThreadId = 77;
        // 2026-06-23T16:23:14.1234567Z as FILETIME.
        raw.EventHeader.TimeStamp = 134_267_053_941_234_567;
        raw.UserData = payload.as_ptr() as *mut _;
        raw.UserDataLength = payload.len() as u16;
        let mut items = Vec::new();
        for (ext_type, data) in [
            (EXT_TYPE_PROV_TRAITS, traits_data.as_deref()),
            (EXT_TYPE_EVENT_SCHEMA_TL, schema),
        ] {
            let Some(data) = data else { continue };
            // SAFETY: as above.
            let mut item: EVENT_HEADER_EXTENDED_DATA_ITEM = unsafe { std::mem::zeroed() };
            item.ExtType = ext_type;
            item.DataSize = data.len() as u16;
            item.DataPtr = data.as_ptr() as u64;
            items.push(item);
        }
        raw.ExtendedDataCount = items.len() as u16;
        raw.ExtendedData = if items.is_empty() {
            std::ptr::null_mut()
        } else {
            items.as_mut_ptr()
        };
        // `payload`, `traits_data`, `schema` and `items` outlive the call.
        convert(&raw, opts, InputName::from("t.etl"), 3)
    }

    fn convert_string_only(
        provider: Guid,
        text: &str,
        traits_name: Option<&str>,
        opts: &EtlOptions,
    ) -> Option<SourceItem> {
        let mut items = convert_record(provider, &utf16z(text), None, traits_name, opts);
        assert!(items.len() <= 1);
        items.pop()
    }

    #[test]
    fn tracelogging_events_use_the_shared_decoder() {
        use crate::input::etl::tracelogging::encode_schema;
        let g: Guid = PROVIDER.parse().unwrap();
        let line = "Line: 28 rMsg1638: cnt = 1 URI: https://shop.example:443/login";
        let w: Vec<u8> = line.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut counted = (w.len() as u16).to_le_bytes().to_vec();
        counted.extend_from_slice(&w);
        // TraceLoggingCountedWideString: TDH in ferrisetw gave `null`.
        let schema = encode_schema("Trace", &[("msg", 22, None)]);
        let opts = EtlOptions::default();
        let items = convert_record(
            g,
            &counted,
            Some(&schema),
            Some("MyCompany.MyComponent"),
            &opts,
        );
        assert_eq!(items.len(), 1);
        let e = event(items.into_iter().next());
        assert_eq!(e.text, line);
        assert_eq!(e.provider(), Some("MyCompany.MyComponent"));
        // An ANSI byte that is not UTF-8 and an unknown field: the event is
        // kept with its message, the field reported.
        let schema = encode_schema("Trace", &[("msg", 2, None), ("odd", 31, None)]);
        let items = convert_record(g, b"caf\xe9 \x80\0\x01", Some(&schema), None, &opts);
        assert_eq!(items.len(), 2);
        let mut items = items.into_iter();
        assert_eq!(event(items.next()).text, "café €");
        match items.next() {
            Some(SourceItem::Problem(p)) => {
                assert!(p.detail.contains("InType 31"), "{}", p.detail);
                assert_eq!(p.origin.to_string(), "t.etl#3");
            }
            other => panic!("{other:?}"),
        }
    }

    fn event(item: Option<SourceItem>) -> TraceEvent {
        match item {
            Some(SourceItem::Event(e)) => e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn string_only_event_is_converted_like_the_portable_reader() {
        let g: Guid = PROVIDER.parse().unwrap();
        let e = event(convert_string_only(
            g,
            "Line: 32 rMsg1638: connection is not using SSL\n",
            None,
            &EtlOptions::default(),
        ));
        assert_eq!(e.text, "Line: 32 rMsg1638: connection is not using SSL");
        assert_eq!((e.pid, e.tid), (Some(5120), Some(77)));
        assert_eq!(e.provider(), Some(PROVIDER));
        assert_eq!(e.activity_id(), None);
        assert_eq!(e.time.unwrap().to_string(), "2026-06-23T16:23:14.123456Z");
        assert_eq!(e.origin.to_string(), "t.etl#3");
    }

    #[test]
    fn provider_filter_by_guid_or_tracelogging_name() {
        let g: Guid = PROVIDER.parse().unwrap();
        let other: Guid = "11111111-2222-3333-4444-555555555555".parse().unwrap();
        let by_guid = EtlOptions {
            provider: Some(PROVIDER.parse::<ProviderSpec>().unwrap()),
            field: None,
            ansi: None,
        };
        assert!(convert_string_only(g, "a", None, &by_guid).is_some());
        assert!(convert_string_only(other, "a", None, &by_guid).is_none());
        // A TraceLogging name matches the provider traits' name.
        let by_name = EtlOptions {
            provider: Some("MyCompany.MyComponent".parse::<ProviderSpec>().unwrap()),
            field: None,
            ansi: None,
        };
        let e = event(convert_string_only(
            other,
            "a",
            Some("MyCompany.MyComponent"),
            &by_name,
        ));
        assert_eq!(e.provider(), Some("MyCompany.MyComponent"));
        assert!(convert_string_only(other, "a", Some("Other"), &by_name).is_none());
    }
}
