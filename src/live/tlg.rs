//! TraceLogging (and manifest) events: which field holds the message.
//!
//! On Windows, ferrisetw's `EventSerializer` turns an event's properties into
//! JSON, in schema order: `{"Event":{"msg":"Line: 28 ...","n":3}}`. This
//! module reads that JSON back as an ordered field list (portable, tested on
//! Linux) and applies the `--field` rules:
//!
//! - `--field NAME`: the field of that name (exact match first, then ignoring
//!   ASCII case); it must be a string.
//! - no `--field`: the first string field of the event.
//! - Neither found: the event is not dropped; its fields are rendered as
//!   `name=value` pairs and the fallback is counted.

use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

/// One property of an event, as the serializer gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub value: FieldValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    /// A string property (UTF-16 or ANSI string in the event).
    Text(String),
    /// Anything else (number, GUID, binary, array...), as compact JSON.
    Other(String),
}

impl FieldValue {
    fn render(&self) -> String {
        match self {
            FieldValue::Text(s) => s.clone(),
            FieldValue::Other(j) => j.clone(),
        }
    }
}

/// Fields in document order (serde_json's `Value` would sort them).
struct OrderedFields(Vec<Field>);

impl<'de> Deserialize<'de> for OrderedFields {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OrderedFields;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of event properties")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OrderedFields, A::Error> {
                let mut out = Vec::new();
                while let Some((name, value)) = map.next_entry::<String, serde_json::Value>()? {
                    let value = match value {
                        serde_json::Value::String(s) => FieldValue::Text(s),
                        other => FieldValue::Other(other.to_string()),
                    };
                    out.push(Field { name, value });
                }
                Ok(OrderedFields(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Deserialize)]
struct SerializedRecord {
    #[serde(rename = "Event")]
    event: Option<OrderedFields>,
}

/// Reads the ordered field list out of ferrisetw's serialized event
/// (`{"Event":{...}}`, other top-level members ignored).
pub fn fields_from_serialized(json: &str) -> Result<Vec<Field>, String> {
    let rec: SerializedRecord =
        serde_json::from_str(json).map_err(|e| format!("unreadable event properties: {e}"))?;
    Ok(rec.event.map(|f| f.0).unwrap_or_default())
}

/// The message text chosen from an event's fields.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldChoice {
    /// The field the rules picked.
    Found { name: String, text: String },
    /// No usable field: `text` renders every field as `name=value` so the
    /// event is still shown; `why` says what was missing.
    Fallback { text: String, why: String },
}

impl FieldChoice {
    pub fn text(&self) -> &str {
        match self {
            FieldChoice::Found { text, .. } | FieldChoice::Fallback { text, .. } => text,
        }
    }
}

/// Applies the `--field` rules (see the module doc).
pub fn select_field(fields: &[Field], wanted: Option<&str>) -> FieldChoice {
    let found = match wanted {
        Some(w) => fields
            .iter()
            .find(|f| f.name == w)
            .or_else(|| fields.iter().find(|f| f.name.eq_ignore_ascii_case(w))),
        None => fields
            .iter()
            .find(|f| matches!(f.value, FieldValue::Text(_))),
    };
    if let Some(Field {
        name,
        value: FieldValue::Text(t),
    }) = found
    {
        return FieldChoice::Found {
            name: name.clone(),
            text: t.clone(),
        };
    }
    let why = match (wanted, found) {
        (Some(w), Some(_)) => format!("field {w:?} is not a string"),
        (Some(w), None) => format!(
            "no field {w:?} (fields: {})",
            if fields.is_empty() {
                "none".to_string()
            } else {
                fields
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ),
        (None, _) if fields.is_empty() => "event has no fields".to_string(),
        (None, _) => "event has no string field".to_string(),
    };
    let text = fields
        .iter()
        .map(|f| format!("{}={}", f.name, f.value.render()))
        .collect::<Vec<_>>()
        .join(" ");
    FieldChoice::Fallback { text, why }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(name: &str, v: &str) -> Field {
        Field {
            name: name.into(),
            value: FieldValue::Text(v.into()),
        }
    }

    #[test]
    fn fields_keep_schema_order() {
        let f = fields_from_serialized(
            r#"{"Event":{"zeta":"first","alpha":"second","n":3,"g":{"a":1}}}"#,
        )
        .unwrap();
        let names: Vec<&str> = f.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["zeta", "alpha", "n", "g"]);
        assert_eq!(f[2].value, FieldValue::Other("3".into()));
        assert_eq!(f[3].value, FieldValue::Other(r#"{"a":1}"#.into()));
    }

    #[test]
    fn serialized_record_with_schema_and_header_members() {
        let f = fields_from_serialized(
            r#"{"Schema":{"Provider":"MyCompany.MyComponent"},"Header":{"ThreadId":4},"Event":{"msg":"hi"}}"#,
        )
        .unwrap();
        assert_eq!(f, vec![text("msg", "hi")]);
        assert_eq!(fields_from_serialized(r#"{}"#).unwrap(), vec![]);
        assert!(fields_from_serialized("not json").is_err());
    }

    #[test]
    fn default_is_first_string_field() {
        let fields = vec![
            Field {
                name: "cnt".into(),
                value: FieldValue::Other("1".into()),
            },
            text(
                "msg",
                "Line: 28 rMsg1638: cnt = 1 URI: https://shop.example:443/login\n",
            ),
            text("other", "x"),
        ];
        assert_eq!(
            select_field(&fields, None),
            FieldChoice::Found {
                name: "msg".into(),
                text: "Line: 28 rMsg1638: cnt = 1 URI: https://shop.example:443/login\n".into()
            }
        );
    }

    #[test]
    fn named_field_exact_then_case_insensitive() {
        let fields = vec![text("Msg", "upper"), text("msg", "lower"), text("b", "b")];
        assert_eq!(select_field(&fields, Some("msg")).text(), "lower");
        assert_eq!(select_field(&fields, Some("MSG")).text(), "upper");
        assert_eq!(select_field(&fields, Some("b")).text(), "b");
    }

    #[test]
    fn fallbacks_render_all_fields() {
        let fields = vec![
            Field {
                name: "n".into(),
                value: FieldValue::Other("3".into()),
            },
            text("s", "x"),
        ];
        match select_field(&fields, Some("n")) {
            FieldChoice::Fallback { text, why } => {
                assert_eq!(text, "n=3 s=x");
                assert_eq!(why, "field \"n\" is not a string");
            }
            other => panic!("{other:?}"),
        }
        match select_field(&fields, Some("missing")) {
            FieldChoice::Fallback { why, .. } => {
                assert_eq!(why, "no field \"missing\" (fields: n, s)")
            }
            other => panic!("{other:?}"),
        }
        let numbers = vec![Field {
            name: "n".into(),
            value: FieldValue::Other("3".into()),
        }];
        match select_field(&numbers, None) {
            FieldChoice::Fallback { text, why } => {
                assert_eq!(text, "n=3");
                assert_eq!(why, "event has no string field");
            }
            other => panic!("{other:?}"),
        }
        match select_field(&[], None) {
            FieldChoice::Fallback { text, why } => {
                assert_eq!(text, "");
                assert_eq!(why, "event has no fields");
            }
            other => panic!("{other:?}"),
        }
    }
}
