//! JSON events: certtrace's own event format, SilkETW and Sealighter output
//! (one value at a time; [`super::shape::JsonValues`] finds the values).
//!
//! * certtrace: `{"type":"event","time":…,"time_kind":…,"pid":…,"tid":…,
//!   "host":…,"provider":…,"activity_id":…,"message":…}` (see the README).
//! * SilkETW (`EventRecordStruct`): `ProviderGuid`, `ProviderName`,
//!   `EventName`, `TimeStamp`, `ThreadID`, `ProcessID`, `ProcessName`,
//!   properties as strings in `XmlEventData`.
//! * Sealighter: `header` (`process_id`, `thread_id`, `timestamp`,
//!   `provider_name`, `activity_id`, …), `properties`, `property_types`.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Map, Value};

use crate::input::debugview;
use crate::input::event::{EventTime, Origin, TraceEvent, trim_message_end};

/// Which collector wrote a JSON line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Certtrace,
    SilkEtw,
    Sealighter,
}

/// Why a JSON line gave no event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonProblem {
    Syntax(String),
    NotAnObject,
    /// A certtrace output record that is not an event (request, summary…).
    NotAnEvent(String),
    /// No string field to take the message from.
    NoMessage(Flavor),
}

impl std::fmt::Display for JsonProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JsonProblem::Syntax(e) => write!(f, "invalid JSON: {e}"),
            JsonProblem::NotAnObject => write!(f, "JSON value is not an object"),
            JsonProblem::NotAnEvent(t) => write!(
                f,
                "certtrace {t:?} record, not an event (read the capture, not certtrace's report)"
            ),
            JsonProblem::NoMessage(fl) => {
                write!(
                    f,
                    "{fl:?} record has no string field to take the message from"
                )
            }
        }
    }
}

/// Turns one JSON line into an event. `field` names the payload property that
/// holds the message (default: `msg`/`message`, else the first string one).
pub fn parse_line(
    line: &str,
    origin: Origin,
    field: Option<&str>,
) -> Result<TraceEvent, JsonProblem> {
    let value: Value =
        serde_json::from_str(line).map_err(|e| JsonProblem::Syntax(e.to_string()))?;
    parse_value(value, origin, field)
}

/// Turns one JSON value into an event (see [`parse_line`]).
pub fn parse_value(
    value: Value,
    origin: Origin,
    field: Option<&str>,
) -> Result<TraceEvent, JsonProblem> {
    let Value::Object(obj) = value else {
        return Err(JsonProblem::NotAnObject);
    };
    if obj.contains_key("header") && obj.get("header").is_some_and(Value::is_object) {
        return sealighter(&obj, origin, field);
    }
    if obj.contains_key("XmlEventData") || obj.contains_key("ProviderGuid") {
        return silketw(&obj, origin, field);
    }
    certtrace(&obj, origin)
}

fn certtrace(obj: &Map<String, Value>, origin: Origin) -> Result<TraceEvent, JsonProblem> {
    if let Some(t) = obj.get("type").and_then(Value::as_str)
        && t != "event"
    {
        return Err(JsonProblem::NotAnEvent(t.to_string()));
    }
    let Some(text) = obj.get("message").and_then(Value::as_str) else {
        // `demo --write`'s truth.ndjson: what happened to each request.
        if obj.contains_key("outcome") && obj.contains_key("cnt") {
            return Err(JsonProblem::NotAnEvent("truth".into()));
        }
        // `read -o json`: one document of every record.
        if obj.contains_key("schema_version") && obj.contains_key("summary") {
            return Err(JsonProblem::NotAnEvent("report".into()));
        }
        return Err(JsonProblem::NoMessage(Flavor::Certtrace));
    };
    let mut ev = TraceEvent::new(trim_message_end(text), origin);
    let kind = obj.get("time_kind").and_then(Value::as_str);
    ev.time = obj.get("time").and_then(|t| match (t, kind) {
        (Value::Number(n), _) => n.as_f64().map(EventTime::Elapsed),
        (Value::String(s), Some("elapsed")) => s.parse().ok().map(EventTime::Elapsed),
        (Value::String(s), Some("time_of_day")) | (Value::String(s), Some("local")) => {
            debugview::parse_time(s).or_else(|| parse_local(s))
        }
        (Value::String(s), _) => parse_timestamp(s),
        _ => None,
    });
    ev.pid = get_u32(obj, "pid");
    ev.tid = get_u32(obj, "tid");
    ev.set_context(
        get_string(obj, "host"),
        get_string(obj, "provider"),
        get_string(obj, "activity_id"),
    );
    Ok(ev)
}

fn silketw(
    obj: &Map<String, Value>,
    origin: Origin,
    field: Option<&str>,
) -> Result<TraceEvent, JsonProblem> {
    let props = obj.get("XmlEventData").and_then(Value::as_object);
    let text = props
        .and_then(|p| pick_message(p, field, SILK_META))
        .ok_or(JsonProblem::NoMessage(Flavor::SilkEtw))?;
    let mut ev = TraceEvent::new(trim_message_end(&text), origin);
    ev.time = obj
        .get("TimeStamp")
        .and_then(Value::as_str)
        .and_then(parse_timestamp);
    ev.pid = get_u32(obj, "ProcessID").filter(|&p| p != u32::MAX);
    ev.tid = get_u32(obj, "ThreadID").filter(|&t| t != u32::MAX);
    ev.set_context(
        get_string(obj, "MachineName").or_else(|| get_string(obj, "Host")),
        get_string(obj, "ProviderName")
            .filter(|s| !s.is_empty())
            .or_else(|| get_string(obj, "ProviderGuid")),
        get_string(obj, "ActivityID").or_else(|| get_string(obj, "ActivityId")),
    );
    Ok(ev)
}

fn sealighter(
    obj: &Map<String, Value>,
    origin: Origin,
    field: Option<&str>,
) -> Result<TraceEvent, JsonProblem> {
    let header = obj.get("header").and_then(Value::as_object);
    let text = obj
        .get("properties")
        .and_then(Value::as_object)
        .and_then(|p| pick_message(p, field, &[]))
        .ok_or(JsonProblem::NoMessage(Flavor::Sealighter))?;
    let mut ev = TraceEvent::new(trim_message_end(&text), origin);
    if let Some(h) = header {
        ev.time = h
            .get("timestamp")
            .and_then(Value::as_str)
            .and_then(parse_timestamp);
        ev.pid = get_u32(h, "process_id");
        ev.tid = get_u32(h, "thread_id");
        ev.set_context(
            get_string(h, "computer_name").or_else(|| get_string(h, "hostname")),
            get_string(h, "provider_name")
                .filter(|s| !s.is_empty())
                .or_else(|| get_string(h, "provider_id")),
            get_string(h, "activity_id"),
        );
    }
    Ok(ev)
}

/// SilkETW properties that describe the event rather than carry its payload.
const SILK_META: &[&str] = &[
    "PID",
    "TID",
    "PName",
    "ProviderName",
    "EventName",
    "MSec",
    "ProcessorNumber",
    "FormattedMessage",
];

/// The message property: the named one; else `msg`/`message`/`Message`; else
/// the first string property that carries the module's prefix; else the first
/// string property that is not metadata; else `FormattedMessage`.
fn pick_message(props: &Map<String, Value>, field: Option<&str>, meta: &[&str]) -> Option<String> {
    let as_text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        _ => None,
    };
    if let Some(f) = field {
        return props
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(f))
            .and_then(|(_, v)| as_text(v));
    }
    for key in ["msg", "message", "Message", "String", "string"] {
        if let Some(s) = props.get(key).and_then(as_text) {
            return Some(s);
        }
    }
    if let Some(s) = props
        .values()
        .filter_map(as_text)
        .find(|s| s.contains("rMsg"))
    {
        return Some(s);
    }
    props
        .iter()
        .filter(|(k, _)| !meta.contains(&k.as_str()))
        .find_map(|(_, v)| as_text(v))
        .or_else(|| props.get("FormattedMessage").and_then(as_text))
}

fn get_u32(obj: &Map<String, Value>, key: &str) -> Option<u32> {
    match obj.get(key)? {
        Value::Number(n) => n.as_u64().and_then(|v| u32::try_from(v).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn get_string(obj: &Map<String, Value>, key: &str) -> Option<String> {
    match obj.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// RFC 3339 / ISO 8601 with or without zone, `T` or space, up to 9 fraction
/// digits (SilkETW writes 7), `Z` optional; times without a zone are UTC.
pub fn parse_timestamp(s: &str) -> Option<EventTime> {
    let s = s.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(EventTime::Utc(dt.with_timezone(&Utc)));
    }
    let normalized = s.replacen(' ', "T", 1);
    if let Ok(dt) = DateTime::parse_from_rfc3339(&normalized) {
        return Some(EventTime::Utc(dt.with_timezone(&Utc)));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%#z"] {
        if let Ok(dt) = DateTime::parse_from_str(&normalized, fmt) {
            return Some(EventTime::Utc(dt.with_timezone(&Utc)));
        }
    }
    let bare = normalized.trim_end_matches('Z');
    parse_local(bare).map(|t| match t {
        EventTime::Local(dt) => EventTime::Utc(dt.and_utc()),
        other => other,
    })
}

fn parse_local(s: &str) -> Option<EventTime> {
    let n = s.replacen(' ', "T", 1);
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(&n, fmt) {
            return Some(EventTime::Local(dt));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::event::Position;

    fn origin() -> Origin {
        Origin {
            input: "t.json".into(),
            position: Position::Line(1),
        }
    }

    #[test]
    fn silketw_record() {
        let line = r#"{"ProviderGuid":"ce5fa4ea-ab00-5402-8b76-9f76ac858fb5","YaraMatch":[],"ProviderName":"MyCompany.MyComponent","EventName":"TraceMsg","Opcode":0,"OpcodeName":"Info","TimeStamp":"2026-06-23T16:23:14.1234567+00:00","ThreadID":4711,"ProcessID":5120,"ProcessName":"w3wp","PointerSize":8,"EventDataLength":120,"XmlEventData":{"FormattedMessage":"","msg":"Line: 28 rMsg1638: cnt = 1 URI: https://a/\n","PID":"5120","TID":"4711","ProviderName":"MyCompany.MyComponent","EventName":"TraceMsg","MSec":"12.5","PName":"w3wp"}}"#;
        let ev = parse_line(line, origin(), None).unwrap();
        assert_eq!(ev.text, "Line: 28 rMsg1638: cnt = 1 URI: https://a/");
        assert_eq!((ev.pid, ev.tid), (Some(5120), Some(4711)));
        assert_eq!(ev.provider(), Some("MyCompany.MyComponent"));
        assert_eq!(ev.time.unwrap().to_string(), "2026-06-23T16:23:14.123456Z");
    }

    #[test]
    fn sealighter_record() {
        let line = r#"{"header":{"activity_id":"00000000-0000-0000-0000-000000000000","event_flags":576,"event_id":0,"event_name":"","event_opcode":0,"event_version":0,"process_id":6044,"provider_name":"MyCompany.MyComponent","task_name":"","thread_id":77,"timestamp":"2026-06-23 16:23:14Z","trace_name":"certs"},"properties":{"msg":"Line: 40 rMsg1638: HR = 80070490  Cert not found\n"},"property_types":{"msg":"STRINGW"}}"#;
        let ev = parse_line(line, origin(), None).unwrap();
        assert_eq!(ev.text, "Line: 40 rMsg1638: HR = 80070490  Cert not found");
        assert_eq!((ev.pid, ev.tid), (Some(6044), Some(77)));
        assert_eq!(ev.time.unwrap().to_string(), "2026-06-23T16:23:14.000000Z");
    }

    #[test]
    fn certtrace_event_round_trip_fields() {
        let line = r#"{"type":"event","time":"0.01830000","time_kind":"elapsed","pid":5120,"tid":null,"message":"Line: 32 rMsg1638: connection is not using SSL"}"#;
        let ev = parse_line(line, origin(), None).unwrap();
        assert_eq!(ev.time, Some(EventTime::Elapsed(0.0183)));
        assert_eq!(ev.pid, Some(5120));
        assert_eq!(ev.tid, None);
    }

    #[test]
    fn named_field_and_problems() {
        let line = r#"{"header":{"process_id":1},"properties":{"Text":"a","other":"b"}}"#;
        assert_eq!(parse_line(line, origin(), Some("other")).unwrap().text, "b");
        assert!(matches!(
            parse_line("{oops", origin(), None),
            Err(JsonProblem::Syntax(_))
        ));
        assert_eq!(
            parse_line("[1]", origin(), None),
            Err(JsonProblem::NotAnObject)
        );
        assert!(matches!(
            parse_line(r#"{"type":"request"}"#, origin(), None),
            Err(JsonProblem::NotAnEvent(_))
        ));
    }
}
