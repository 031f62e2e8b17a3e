//! TraceLogging (self-describing) events: the event-schema extended data item
//! (`EVENT_HEADER_EXT_TYPE_EVENT_SCHEMA_TL`) and the provider traits item
//! (`EVENT_HEADER_EXT_TYPE_PROV_TRAITS`), and the decoding of the user data
//! they describe.
//!
//! Metadata layout (`TraceLoggingProvider.h`): `u16` size, tag bytes (bit 7
//! chains), NUL-terminated UTF-8 event name, then per field: NUL-terminated
//! UTF-8 name, `InType` byte (bit 7: an `OutType` byte follows; bits 5-6:
//! 0x20 constant count (a `u16` follows in the metadata), 0x40 variable
//! count (a `u16` precedes the values in the data), 0x60 custom (a `u16`
//! size and schema bytes follow; the data holds a `u16` size then bytes)),
//! `OutType` (bit 7: field tag bytes follow, bit 7 chains). A struct
//! (`InType` 24) has its field count in the `OutType`; its fields follow.
//!
//! One decoder for every path: the portable `.etl` reader, `.etl` files read
//! through Windows (`--etl-backend ferrisetw`) and live ETW capture all
//! hand it the event's schema item and user data (never TDH).

use std::fmt::{self, Write as _};

use chrono::{DateTime, NaiveDate, Utc};
use encoding_rs::Encoding;

use super::reader::{filetime_to_utc, guid_at, u16_at, u32_at, u64_at};
use crate::input::provider::Guid;

/// Deepest struct nesting decoded; deeper metadata is treated as corrupt.
const MAX_DEPTH: usize = 16;
/// Most array elements decoded per field (the data bounds them anyway).
const MAX_ELEMENTS: usize = 65_535;
/// Most values decoded per event.
const MAX_VALUES: usize = 1 << 20;

const IN_UNICODESTRING: u8 = 1;
const IN_ANSISTRING: u8 = 2;
const IN_STRUCT: u8 = 24;
const OUT_STRING: u8 = 2;
const OUT_BOOLEAN: u8 = 3;
const OUT_UTF8: u8 = 35;

/// One field's metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldMeta {
    pub name: String,
    /// `InType` with its flag bits (0x20/0x40/0x60 count kinds) but without
    /// the chain bit.
    pub in_type: u8,
    pub out_type: u8,
    /// Element count of a constant-count array.
    pub ccount: u16,
}

impl FieldMeta {
    fn base_type(&self) -> u8 {
        self.in_type & 0x1F
    }
    fn count_kind(&self) -> u8 {
        self.in_type & 0x60
    }
}

/// The decoded event schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub event_name: String,
    /// Fields in metadata order (struct members follow their struct).
    pub fields: Vec<FieldMeta>,
}

fn cstr(b: &[u8], at: &mut usize) -> Result<String, String> {
    let rest = b.get(*at..).ok_or("metadata ends before a name")?;
    let n = memchr::memchr(0, rest).ok_or("name without terminating NUL")?;
    let s = String::from_utf8_lossy(&rest[..n]).into_owned();
    *at += n + 1;
    Ok(s)
}

fn skip_chain(b: &[u8], at: &mut usize) -> Result<(), String> {
    for _ in 0..4 {
        let t = *b.get(*at).ok_or("metadata ends in tags")?;
        *at += 1;
        if t & 0x80 == 0 {
            return Ok(());
        }
    }
    Ok(())
}

impl Schema {
    /// Parses the data of an `EVENT_SCHEMA_TL` extended item.
    pub fn parse(b: &[u8]) -> Result<Schema, String> {
        let size = u16_at(b, 0).ok_or("event metadata shorter than 2 bytes")? as usize;
        if size < 3 || size > b.len() {
            return Err(format!(
                "event metadata size {size}, item holds {} bytes",
                b.len()
            ));
        }
        let b = &b[..size];
        let mut at = 2;
        skip_chain(b, &mut at)?;
        let event_name = cstr(b, &mut at)?;
        let mut fields = Vec::new();
        while at < b.len() {
            let name = cstr(b, &mut at)?;
            let raw_in = *b.get(at).ok_or("field without InType")?;
            at += 1;
            let mut out_type = 0;
            if raw_in & 0x80 != 0 {
                let o = *b.get(at).ok_or("field without OutType")?;
                at += 1;
                out_type = o & 0x7F;
                if o & 0x80 != 0 {
                    skip_chain(b, &mut at)?;
                }
            }
            let in_type = raw_in & 0x7F;
            let mut ccount = 0;
            match in_type & 0x60 {
                0x20 => {
                    ccount = u16_at(b, at).ok_or("constant count missing")?;
                    at += 2;
                }
                0x60 => {
                    let n = u16_at(b, at).ok_or("custom schema size missing")? as usize;
                    at += 2 + n;
                    if at > b.len() {
                        return Err("custom schema runs past the metadata".into());
                    }
                }
                _ => {}
            }
            fields.push(FieldMeta {
                name,
                in_type,
                out_type,
                ccount,
            });
        }
        Ok(Schema { event_name, fields })
    }

    /// Decodes the user data into named values. ANSI strings that are not
    /// valid UTF-8 are decoded with `ansi` (the code page). A field that
    /// cannot be decoded ends the decoding (the fields after it cannot be
    /// located): the fields before it are kept and the problem is said.
    pub fn decode(&self, data: &[u8], pointer_size: usize, ansi: &'static Encoding) -> Decoded {
        let mut d = Decoder {
            meta: &self.fields,
            data,
            at: 0,
            pointer_size,
            budget: MAX_VALUES,
            ansi,
        };
        let mut fields = Vec::new();
        let mut idx = 0;
        while idx < self.fields.len() {
            match d.field(idx, 0) {
                Ok((v, next)) => {
                    fields.push((self.fields[idx].name.clone(), v));
                    idx = next;
                }
                Err(why) => {
                    let left = self.fields[idx..].iter().filter(|f| !f.name.is_empty());
                    let names: Vec<&str> = left.map(|f| f.name.as_str()).collect();
                    let problem = format!(
                        "field {:?}: {why}; not decoded: {}",
                        self.fields[idx].name,
                        names.join(", ")
                    );
                    return Decoded {
                        fields,
                        problem: Some(problem),
                    };
                }
            }
        }
        Decoded {
            fields,
            problem: None,
        }
    }
}

/// The fields of one event: those decoded, and why the rest were not.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub fields: Vec<(String, Value)>,
    /// `Some` when a field could not be decoded (the fields from it on are
    /// missing from `fields`).
    pub problem: Option<String>,
}

/// The code page ANSI strings are decoded with unless told otherwise.
pub const DEFAULT_ANSI: &Encoding = encoding_rs::WINDOWS_1252;

/// The provider name from a `PROV_TRAITS` extended item.
pub fn provider_name(traits: &[u8]) -> Option<String> {
    let size = u16_at(traits, 0)? as usize;
    let b = traits.get(2..size.min(traits.len()))?;
    let n = memchr::memchr(0, b)?;
    Some(String::from_utf8_lossy(&b[..n]).into_owned())
}

/// A decoded field value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    I64(i64),
    U64(u64),
    Hex(u64),
    F64(f64),
    Bool(bool),
    Guid(Guid),
    Time(Option<DateTime<Utc>>),
    Binary(Vec<u8>),
    Sid(String),
    Array(Vec<Value>),
    Struct(Vec<(String, Value)>),
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => f.write_str(s),
            Value::I64(v) => write!(f, "{v}"),
            Value::U64(v) => write!(f, "{v}"),
            Value::Hex(v) => write!(f, "{v:#x}"),
            Value::F64(v) => write!(f, "{v}"),
            Value::Bool(v) => write!(f, "{v}"),
            Value::Guid(g) => write!(f, "{g}"),
            Value::Time(Some(t)) => f.write_str(&super::rfc3339(*t)),
            Value::Time(None) => f.write_str("(invalid time)"),
            Value::Binary(b) => {
                let mut s = String::with_capacity(2 + 2 * b.len());
                s.push_str("0x");
                for x in b {
                    let _ = write!(s, "{x:02x}");
                }
                f.write_str(&s)
            }
            Value::Sid(s) => f.write_str(s),
            Value::Array(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Value::Struct(fields) => {
                f.write_str("{")?;
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// Finds a field: by dotted path (`a.b`), else by leaf name anywhere
/// (depth first), exact match first, then ASCII case-insensitive.
pub fn find_field<'v>(fields: &'v [(String, Value)], name: &str) -> Option<&'v Value> {
    fn by_path<'v>(fields: &'v [(String, Value)], path: &[&str], ci: bool) -> Option<&'v Value> {
        let (first, rest) = path.split_first()?;
        let eq = |k: &str| {
            if ci {
                k.eq_ignore_ascii_case(first)
            } else {
                k == *first
            }
        };
        let (_, v) = fields.iter().find(|(k, _)| eq(k))?;
        if rest.is_empty() {
            return Some(v);
        }
        match v {
            Value::Struct(inner) => by_path(inner, rest, ci),
            _ => None,
        }
    }
    fn leaf<'v>(fields: &'v [(String, Value)], name: &str, ci: bool) -> Option<&'v Value> {
        for (k, v) in fields {
            if (ci && k.eq_ignore_ascii_case(name)) || (!ci && k == name) {
                return Some(v);
            }
            if let Value::Struct(inner) = v
                && let Some(found) = leaf(inner, name, ci)
            {
                return Some(found);
            }
        }
        None
    }
    let path: Vec<&str> = name.split('.').collect();
    for ci in [false, true] {
        if let Some(v) = by_path(fields, &path, ci).or_else(|| leaf(fields, name, ci)) {
            return Some(v);
        }
    }
    None
}

/// The first string value, depth first.
pub fn first_string(fields: &[(String, Value)]) -> Option<&str> {
    for (_, v) in fields {
        match v {
            Value::Str(s) => return Some(s),
            Value::Struct(inner) => {
                if let Some(s) = first_string(inner) {
                    return Some(s);
                }
            }
            _ => {}
        }
    }
    None
}

/// The message text chosen from an event's fields.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldChoice {
    /// The field the rules picked, as text.
    Found { name: String, text: String },
    /// No such field: `text` renders every field as `name=value` so the
    /// event is still shown (and counted); `why` says what was missing.
    Fallback { text: String, why: String },
}

impl FieldChoice {
    pub fn text(&self) -> &str {
        match self {
            FieldChoice::Found { text, .. } | FieldChoice::Fallback { text, .. } => text,
        }
    }
}

/// The `--field` rules, the same for `.etl` files and live capture:
/// `--field NAME` takes that field ([`find_field`]: dotted path or leaf
/// name, exact case first; a non-string value is rendered as text); without
/// it, the first string field. Neither: every field as `name=value`.
pub fn select_field(fields: &[(String, Value)], wanted: Option<&str>) -> FieldChoice {
    let found = match wanted {
        Some(w) => find_field(fields, w).map(|v| (w, v.to_string())),
        None => first_string(fields).map(|s| ("", s.to_string())),
    };
    if let Some((name, text)) = found {
        return FieldChoice::Found {
            name: name.to_string(),
            text,
        };
    }
    let why = match wanted {
        Some(w) if fields.is_empty() => format!("no field {w:?} (the event has no fields)"),
        Some(w) => format!(
            "no field {w:?} (fields: {})",
            fields
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None if fields.is_empty() => "the event has no fields".to_string(),
        None => "the event has no string field".to_string(),
    };
    FieldChoice::Fallback {
        text: fields_text(fields),
        why,
    }
}

/// Fields as `name=value name=value ...`.
pub fn fields_text(fields: &[(String, Value)]) -> String {
    let mut t = String::new();
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            t.push(' ');
        }
        let _ = write!(t, "{k}={v}");
    }
    t
}

/// One TraceLogging event's message: what every reader of events needs.
#[derive(Debug, Clone, PartialEq)]
pub struct TlMessage {
    pub event_name: String,
    pub choice: FieldChoice,
    /// A field that could not be decoded (the fields before it are kept).
    pub problem: Option<String>,
}

/// Decodes an event from its `EVENT_SCHEMA_TL` item and user data and
/// applies the `--field` rules. `Err` only when the schema itself is
/// unreadable.
pub fn message(
    schema_item: &[u8],
    user_data: &[u8],
    pointer_size: usize,
    ansi: &'static Encoding,
    wanted: Option<&str>,
) -> Result<TlMessage, String> {
    let schema = Schema::parse(schema_item).map_err(|w| format!("TraceLogging schema: {w}"))?;
    let decoded = schema.decode(user_data, pointer_size, ansi);
    Ok(TlMessage {
        choice: select_field(&decoded.fields, wanted),
        problem: decoded
            .problem
            .map(|p| format!("TraceLogging event {:?}: {p}", schema.event_name)),
        event_name: schema.event_name,
    })
}

struct Decoder<'a> {
    meta: &'a [FieldMeta],
    data: &'a [u8],
    at: usize,
    pointer_size: usize,
    /// Values left to decode: bounds the work on hostile metadata (arrays
    /// of empty structs).
    budget: usize,
    ansi: &'static Encoding,
}

/// 8-bit text: UTF-8 when marked so (invalid bytes become U+FFFD); else
/// UTF-8 when it is valid UTF-8 (producers often write UTF-8 in ANSI
/// fields), else the code page. Never fails.
fn ansi_text(b: &[u8], utf8: bool, ansi: &'static Encoding) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) if utf8 => String::from_utf8_lossy(b).into_owned(),
        Err(_) => ansi.decode_without_bom_handling(b).0.into_owned(),
    }
}

impl<'a> Decoder<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.data.len());
        match end {
            Some(e) => {
                let s = &self.data[self.at..e];
                self.at = e;
                Ok(s)
            }
            None => Err(format!(
                "{what}: needs {n} bytes at data byte {}, {} left",
                self.at,
                self.data.len().saturating_sub(self.at)
            )),
        }
    }

    fn u16(&mut self, what: &str) -> Result<u16, String> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    /// Index just past the field at `idx` and its struct members.
    fn span(&self, idx: usize, depth: usize) -> Result<usize, String> {
        if depth > MAX_DEPTH {
            return Err("structs nested too deeply".into());
        }
        let f = self
            .meta
            .get(idx)
            .ok_or("struct has fewer fields than it declares")?;
        let mut next = idx + 1;
        if f.base_type() == IN_STRUCT {
            for _ in 0..(f.out_type & 0x7F) {
                next = self.span(next, depth + 1)?;
            }
        }
        Ok(next)
    }

    /// Decodes the field at `idx`; returns the value and the next index.
    fn field(&mut self, idx: usize, depth: usize) -> Result<(Value, usize), String> {
        let f = &self.meta[idx];
        let next = self.span(idx, depth)?;
        let v = match f.count_kind() {
            0x60 => {
                let n = self.u16(&f.name)? as usize;
                Value::Binary(self.take(n, &f.name)?.to_vec())
            }
            0x20 | 0x40 => {
                let n = if f.count_kind() == 0x20 {
                    f.ccount as usize
                } else {
                    self.u16(&f.name)? as usize
                };
                let n = n.min(MAX_ELEMENTS);
                let base = f.base_type();
                // Arrays of 8/16-bit characters are strings.
                if f.out_type == OUT_STRING && (base == 4 || base == 3) {
                    Value::Str(ansi_text(self.take(n, &f.name)?, false, self.ansi))
                } else if f.out_type == OUT_STRING && (base == 6 || base == 5) {
                    let b = self.take(n.saturating_mul(2), &f.name)?;
                    Value::Str(utf16(b))
                } else {
                    let mut items = Vec::new();
                    for _ in 0..n {
                        if self.at >= self.data.len() && f.base_type() != IN_STRUCT {
                            return Err(format!("{}: array runs past the data", f.name));
                        }
                        items.push(self.one(idx, depth)?);
                    }
                    Value::Array(items)
                }
            }
            _ => self.one(idx, depth)?,
        };
        Ok((v, next))
    }

    /// One element of the field at `idx`.
    fn one(&mut self, idx: usize, depth: usize) -> Result<Value, String> {
        let f = &self.meta[idx];
        self.budget = self
            .budget
            .checked_sub(1)
            .ok_or("too many values in one event")?;
        match f.base_type() {
            IN_UNICODESTRING | IN_ANSISTRING | 22 | 23 => self.string(idx),
            3..=10 | 13 | 20 | 21 => self.number(idx),
            IN_STRUCT => {
                let f = &self.meta[idx];
                let mut members = Vec::new();
                let mut i = idx + 1;
                for _ in 0..(f.out_type & 0x7F) {
                    let (v, next) = self.field(i, depth + 1)?;
                    members.push((self.meta[i].name.clone(), v));
                    i = next;
                }
                Ok(Value::Struct(members))
            }
            _ => self.other(idx),
        }
    }

    /// A string: NUL-terminated or counted, UTF-16 or ANSI (by the code page).
    fn string(&mut self, idx: usize) -> Result<Value, String> {
        let f = &self.meta[idx];
        let name = f.name.as_str();
        let out = f.out_type;
        Ok(match f.base_type() {
            IN_UNICODESTRING => {
                let rest = &self.data[self.at.min(self.data.len())..];
                let mut n = 0;
                while let Some(u) = u16_at(rest, n) {
                    n += 2;
                    if u == 0 {
                        break;
                    }
                }
                let b = self.take(n, name)?;
                let b = b.strip_suffix(&[0, 0]).unwrap_or(b);
                Value::Str(utf16(b))
            }
            IN_ANSISTRING => {
                let rest = &self.data[self.at.min(self.data.len())..];
                let n = memchr::memchr(0, rest).map(|i| i + 1).unwrap_or(rest.len());
                let b = self.take(n, name)?;
                let b = b.strip_suffix(&[0]).unwrap_or(b);
                Value::Str(ansi_text(b, out == OUT_UTF8, self.ansi))
            }
            22 => {
                let n = self.u16(name)? as usize;
                Value::Str(utf16(self.take(n, name)?))
            }
            23 => {
                let n = self.u16(name)? as usize;
                Value::Str(ansi_text(self.take(n, name)?, out == OUT_UTF8, self.ansi))
            }
            t => return Err(format!("{name}: not a string InType {t}")),
        })
    }

    /// An integer, a Boolean or a hex value (a char when its OutType says so).
    fn number(&mut self, idx: usize) -> Result<Value, String> {
        let f = &self.meta[idx];
        let name = f.name.as_str();
        let out = f.out_type;
        Ok(match f.base_type() {
            3 => {
                let v = self.take(1, name)?[0] as i8;
                if out == OUT_STRING {
                    Value::Str(ansi_text(&[v as u8], false, self.ansi))
                } else {
                    Value::I64(v as i64)
                }
            }
            4 => {
                let v = self.take(1, name)?[0];
                match out {
                    OUT_STRING => Value::Str(ansi_text(&[v], false, self.ansi)),
                    OUT_BOOLEAN => Value::Bool(v != 0),
                    4 => Value::Hex(v as u64),
                    _ => Value::U64(v as u64),
                }
            }
            5 => Value::I64(i16::from_le_bytes(self.take(2, name)?.try_into().expect("2")) as i64),
            6 => {
                let v = self.u16(name)?;
                match out {
                    OUT_STRING => {
                        Value::Str(char::from_u32(v as u32).unwrap_or('\u{FFFD}').to_string())
                    }
                    4 => Value::Hex(v as u64),
                    _ => Value::U64(v as u64),
                }
            }
            7 => Value::I64(i32::from_le_bytes(self.take(4, name)?.try_into().expect("4")) as i64),
            8 => {
                let v = u32_at(self.take(4, name)?, 0).expect("4") as u64;
                match out {
                    OUT_BOOLEAN => Value::Bool(v != 0),
                    4 | 13 | 14 | 15 => Value::Hex(v),
                    _ => Value::U64(v),
                }
            }
            9 => Value::I64(i64::from_le_bytes(
                self.take(8, name)?.try_into().expect("8"),
            )),
            10 => {
                let v = u64_at(self.take(8, name)?, 0).expect("8");
                if out == 4 {
                    Value::Hex(v)
                } else {
                    Value::U64(v)
                }
            }
            13 => Value::Bool(u32_at(self.take(4, name)?, 0).expect("4") != 0),
            20 => Value::Hex(u32_at(self.take(4, name)?, 0).expect("4") as u64),
            21 => Value::Hex(u64_at(self.take(8, name)?, 0).expect("8")),
            t => return Err(format!("{name}: not a number InType {t}")),
        })
    }

    /// Floats, binary, GUIDs, pointers, times, SIDs.
    fn other(&mut self, idx: usize) -> Result<Value, String> {
        let f = &self.meta[idx];
        let name = f.name.as_str();
        Ok(match f.base_type() {
            11 => Value::F64(f32::from_le_bytes(self.take(4, name)?.try_into().expect("4")) as f64),
            12 => Value::F64(f64::from_le_bytes(
                self.take(8, name)?.try_into().expect("8"),
            )),
            14 | 25 => {
                let n = self.u16(name)? as usize;
                Value::Binary(self.take(n, name)?.to_vec())
            }
            15 => Value::Guid(guid_at(self.take(16, name)?, 0).expect("16")),
            16 => {
                let b = self.take(self.pointer_size, name)?;
                Value::Hex(if b.len() == 8 {
                    u64_at(b, 0).expect("8")
                } else {
                    u32_at(b, 0).expect("4") as u64
                })
            }
            17 => {
                let v = u64_at(self.take(8, name)?, 0).expect("8");
                Value::Time(i64::try_from(v).ok().and_then(filetime_to_utc))
            }
            18 => {
                let b = self.take(16, name)?;
                let w = |i: usize| u16_at(b, 2 * i).expect("16") as u32;
                let t = NaiveDate::from_ymd_opt(w(0) as i32, w(1), w(3))
                    .and_then(|d| d.and_hms_milli_opt(w(4), w(5), w(6), w(7)))
                    .map(|dt| dt.and_utc());
                Value::Time(t)
            }
            19 => {
                let head = self
                    .data
                    .get(self.at..self.at + 8)
                    .ok_or(format!("{name}: SID cut off"))?;
                let subs = head[1] as usize;
                let b = self.take(8 + 4 * subs, name)?;
                let auth = b[2..8].iter().fold(0u64, |a, &x| (a << 8) | x as u64);
                let mut s = format!("S-{}-{}", b[0], auth);
                for i in 0..subs {
                    let _ = write!(s, "-{}", u32_at(b, 8 + 4 * i).expect("sid"));
                }
                Value::Sid(s)
            }
            t => return Err(format!("{name}: unsupported InType {t}")),
        })
    }
}

fn utf16(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

/// Encodes a schema for the tests' writer: `(name, in_type, out_type)`.
pub fn encode_schema(event_name: &str, fields: &[(&str, u8, Option<u8>)]) -> Vec<u8> {
    let mut b = vec![0, 0, 0];
    b.extend_from_slice(event_name.as_bytes());
    b.push(0);
    for (name, in_type, out) in fields {
        b.extend_from_slice(name.as_bytes());
        b.push(0);
        match out {
            Some(o) => {
                b.push(in_type | 0x80);
                b.push(*o);
            }
            None => b.push(*in_type),
        }
    }
    let n = b.len() as u16;
    b[..2].copy_from_slice(&n.to_le_bytes());
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn struct_and_strings() {
        // The schema of perfview's SelfDescribingSingleEvent fixture.
        let meta = [
            0x17, 0x00, 0x00, b'T', b'e', b's', b't', b'E', b'v', b'e', b'n', b't', 0, b'a', 0,
            0x98, 0x02, b'b', 0, 0x01, b'c', 0, 0x01,
        ];
        let s = Schema::parse(&meta).unwrap();
        assert_eq!(s.event_name, "TestEvent");
        assert_eq!(s.fields.len(), 3);
        let mut data = Vec::new();
        for t in ["Hello", "World!"] {
            for u in t.encode_utf16().chain([0]) {
                data.extend_from_slice(&u.to_le_bytes());
            }
        }
        let v = s.decode(&data, 8, DEFAULT_ANSI).fields;
        assert_eq!(first_string(&v), Some("Hello"));
        assert_eq!(find_field(&v, "c").and_then(Value::as_str), Some("World!"));
        assert_eq!(
            find_field(&v, "a.c").and_then(Value::as_str),
            Some("World!")
        );
        assert_eq!(find_field(&v, "A.B").and_then(Value::as_str), Some("Hello"));
        assert_eq!(v[0].1.to_string(), "{b: Hello, c: World!}");
        // Truncated data is an error, never a panic.
        for cut in 0..data.len() {
            let _ = s.decode(&data[..cut], 8, DEFAULT_ANSI);
        }
    }

    #[test]
    fn arrays_counted_and_scalars() {
        let meta = encode_schema(
            "E",
            &[
                ("n", 7 | 0x40, None),
                ("s", 23, Some(OUT_UTF8)),
                ("g", 15, None),
                ("ok", 13, None),
                ("f", 12, None),
                ("ft", 17, None),
            ],
        );
        let s = Schema::parse(&meta).unwrap();
        let mut d = Vec::new();
        d.extend_from_slice(&2u16.to_le_bytes());
        d.extend_from_slice(&(-5i32).to_le_bytes());
        d.extend_from_slice(&7i32.to_le_bytes());
        d.extend_from_slice(&4u16.to_le_bytes());
        d.extend_from_slice("héy".as_bytes());
        d.extend_from_slice(&[1; 16]);
        d.extend_from_slice(&1u32.to_le_bytes());
        d.extend_from_slice(&1.5f64.to_le_bytes());
        d.extend_from_slice(&116_444_736_000_000_000u64.to_le_bytes());
        let v = s.decode(&d, 8, DEFAULT_ANSI).fields;
        assert_eq!(v[0].1, Value::Array(vec![Value::I64(-5), Value::I64(7)]));
        assert_eq!(first_string(&v), Some("héy"));
        assert_eq!(v[3].1, Value::Bool(true));
        assert_eq!(v[4].1, Value::F64(1.5));
        assert_eq!(v[5].1.to_string(), "1970-01-01T00:00:00.0000000Z");
    }

    #[test]
    fn more_types() {
        let mut meta = encode_schema(
            "Many",
            &[
                ("w", 22, None),         // counted UTF-16
                ("a", 2, None),          // ANSI, not UTF-8: Latin-1
                ("st", 18, None),        // SYSTEMTIME
                ("bin", 25, None),       // counted binary
                ("sid", 19, None),       // SID
                ("hx", 20, None),        // HEXINT32
                ("p", 16, None),         // pointer
                ("arr", 4 | 0x20, None), // constant-count array of UINT8
            ],
        );
        // The constant count (3) follows the InType in the metadata.
        meta.extend_from_slice(&3u16.to_le_bytes());
        // A variable-count array of a 1-field struct.
        meta.extend_from_slice(b"rows\0");
        meta.push(IN_STRUCT | 0x40 | 0x80);
        meta.push(1);
        meta.extend_from_slice(b"x\0");
        meta.push(6);
        let n = meta.len() as u16;
        meta[..2].copy_from_slice(&n.to_le_bytes());
        let s = Schema::parse(&meta).unwrap();
        assert_eq!(s.fields.len(), 10);
        let mut d = Vec::new();
        let w: Vec<u8> = "wide".encode_utf16().flat_map(u16::to_le_bytes).collect();
        d.extend_from_slice(&(w.len() as u16).to_le_bytes());
        d.extend_from_slice(&w);
        d.extend_from_slice(b"caf\xe9\0");
        for v in [2026u16, 6, 2, 23, 16, 23, 14, 5] {
            d.extend_from_slice(&v.to_le_bytes());
        }
        d.extend_from_slice(&2u16.to_le_bytes());
        d.extend_from_slice(&[0xAB, 0xCD]);
        d.extend_from_slice(&[1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 32, 2, 0, 0]);
        d.extend_from_slice(&0x8007_0005u32.to_le_bytes());
        d.extend_from_slice(&0x1234u32.to_le_bytes());
        d.extend_from_slice(&[7, 8, 9]);
        d.extend_from_slice(&2u16.to_le_bytes());
        d.extend_from_slice(&10u16.to_le_bytes());
        d.extend_from_slice(&11u16.to_le_bytes());
        let v = s.decode(&d, 4, DEFAULT_ANSI).fields;
        let text: Vec<String> = v.iter().map(|(_, v)| v.to_string()).collect();
        assert_eq!(
            text,
            [
                "wide",
                "café",
                "2026-06-23T16:23:14.0050000Z",
                "0xabcd",
                "S-1-5-32-544",
                "0x80070005",
                "0x1234",
                "[7, 8, 9]",
                "[{x: 10}, {x: 11}]",
            ]
        );
        // Fields inside arrays are not addressable by name.
        assert_eq!(find_field(&v, "x"), None);
        for cut in 0..d.len() {
            assert!(
                s.decode(&d[..cut], 4, DEFAULT_ANSI).problem.is_some(),
                "cut {cut}"
            );
        }
    }

    #[test]
    fn hostile_metadata_is_bounded() {
        // A 65535-element array of 127-field structs of empty structs: the
        // value budget stops it.
        let mut meta = vec![0, 0, 0, b'E', 0];
        meta.extend_from_slice(b"a\0");
        meta.push(IN_STRUCT | 0x20 | 0x80);
        meta.push(127);
        meta.extend_from_slice(&0xFFFFu16.to_le_bytes());
        for _ in 0..127 {
            meta.extend_from_slice(b"s\0");
            meta.push(IN_STRUCT | 0x20 | 0x80);
            meta.push(0);
            meta.extend_from_slice(&0xFFFFu16.to_le_bytes());
        }
        let n = meta.len() as u16;
        meta[..2].copy_from_slice(&n.to_le_bytes());
        let s = Schema::parse(&meta).unwrap();
        assert!(s.decode(&[], 8, DEFAULT_ANSI).problem.is_some());
        // Unknown InType, truncated metadata.
        assert!(
            Schema::parse(&encode_schema("E", &[("f", 31, None)]))
                .unwrap()
                .decode(&[1], 8, DEFAULT_ANSI)
                .problem
                .is_some()
        );
        let m = encode_schema("E", &[("f", 1, None)]);
        for cut in 0..m.len() {
            let _ = Schema::parse(&m[..cut]);
        }
    }

    fn utf16z(t: &str) -> Vec<u8> {
        t.encode_utf16()
            .chain([0])
            .flat_map(u16::to_le_bytes)
            .collect()
    }

    fn counted(b: &[u8]) -> Vec<u8> {
        let mut d = (b.len() as u16).to_le_bytes().to_vec();
        d.extend_from_slice(b);
        d
    }

    fn texts(meta: &[u8], data: &[u8], ansi: &'static Encoding) -> Vec<String> {
        let d = Schema::parse(meta).unwrap().decode(data, 8, ansi);
        assert_eq!(d.problem, None);
        d.fields.iter().map(|(_, v)| v.to_string()).collect()
    }

    #[test]
    fn strings_of_every_width_counted_and_nul_terminated() {
        let msg = "Line: 28 rMsg1638: cnt = 1 URI: https://shop.example:443/login";
        let meta = encode_schema(
            "Msg",
            &[
                ("w", IN_UNICODESTRING, None), // UTF-16, NUL-terminated
                ("a", IN_ANSISTRING, None),    // ANSI, NUL-terminated
                ("u", IN_ANSISTRING, Some(OUT_UTF8)),
                ("cw", 22, None),                    // counted UTF-16
                ("ca", 23, None),                    // counted ANSI
                ("cu", 23, Some(OUT_UTF8)),          // counted UTF-8 (str8)
                ("c8", 4 | 0x40, Some(OUT_STRING)),  // char8 array
                ("c16", 6 | 0x40, Some(OUT_STRING)), // char16 array
            ],
        );
        let mut d = utf16z(msg);
        d.extend_from_slice(msg.as_bytes());
        d.push(0);
        d.extend_from_slice("héllo\0".as_bytes());
        let w: Vec<u8> = msg.encode_utf16().flat_map(u16::to_le_bytes).collect();
        d.extend_from_slice(&counted(&w));
        d.extend_from_slice(&counted(msg.as_bytes()));
        d.extend_from_slice(&counted("Grüße".as_bytes()));
        d.extend_from_slice(&counted(b"abc"));
        d.extend_from_slice(&3u16.to_le_bytes());
        d.extend(b"xyz".iter().flat_map(|&c| (c as u16).to_le_bytes()));
        assert_eq!(
            texts(&meta, &d, DEFAULT_ANSI),
            [msg, msg, "héllo", msg, msg, "Grüße", "abc", "xyz"]
        );
        // The counted-string event's message is its first string field.
        let m = message(&meta, &d, 8, DEFAULT_ANSI, Some("cw")).unwrap();
        assert_eq!(m.choice.text(), msg);
        assert_eq!(m.problem, None);
    }

    #[test]
    fn ansi_bytes_use_the_code_page_and_never_fail() {
        let meta = encode_schema(
            "Ansi",
            &[("a", IN_ANSISTRING, None), ("ca", 23, None), ("n", 8, None)],
        );
        // windows-1252: 0x80 is the euro sign, 0xE9 é (not Latin-1's C1).
        let mut d = b"\x80 caf\xe9\0".to_vec();
        d.extend_from_slice(&counted(b"\x93ok\x94"));
        d.extend_from_slice(&7u32.to_le_bytes());
        assert_eq!(
            texts(&meta, &d, DEFAULT_ANSI),
            ["€ café", "\u{201c}ok\u{201d}", "7"]
        );
        // windows-1251 and GBK when the code page says so.
        let mut d = b"\xcf\xf0\xe8\xe2\xe5\xf2\0".to_vec();
        d.extend_from_slice(&counted(b"\xd6\xd0\xce\xc4"));
        d.extend_from_slice(&7u32.to_le_bytes());
        assert_eq!(texts(&meta, &d, encoding_rs::WINDOWS_1251)[0], "Привет");
        assert_eq!(texts(&meta, &d, encoding_rs::GBK)[1], "中文");
        // Invalid UTF-8 in a UTF-8 field: U+FFFD, the event kept.
        let meta = encode_schema("U", &[("u", 23, Some(OUT_UTF8)), ("n", 8, None)]);
        let mut d = counted(b"ok\xff");
        d.extend_from_slice(&9u32.to_le_bytes());
        assert_eq!(texts(&meta, &d, DEFAULT_ANSI), ["ok\u{fffd}", "9"]);
    }

    #[test]
    fn integer_arrays_after_odd_lengths() {
        // An odd-length string puts the array off alignment: ETW packs
        // fields without padding.
        let meta = encode_schema(
            "Arr",
            &[
                ("s", IN_ANSISTRING, None),
                ("n", 7 | 0x40, None),
                ("u", 10 | 0x40, None),
                ("msg", 22, None),
            ],
        );
        let mut d = b"ab\0".to_vec();
        d.extend_from_slice(&3u16.to_le_bytes());
        for v in [-1i32, 2, 300_000] {
            d.extend_from_slice(&v.to_le_bytes());
        }
        d.extend_from_slice(&1u16.to_le_bytes());
        d.extend_from_slice(&u64::MAX.to_le_bytes());
        let w: Vec<u8> = "after".encode_utf16().flat_map(u16::to_le_bytes).collect();
        d.extend_from_slice(&counted(&w));
        assert_eq!(
            texts(&meta, &d, DEFAULT_ANSI),
            ["ab", "[-1, 2, 300000]", "[18446744073709551615]", "after"]
        );
    }

    #[test]
    fn same_name_events_with_different_fields() {
        // Two events named "Msg" with other fields: each decoded by its own
        // schema (nothing cached by name).
        let a = encode_schema("Msg", &[("msg", 22, None)]);
        let b = encode_schema("Msg", &[("n", 8, None), ("msg", IN_ANSISTRING, None)]);
        let w: Vec<u8> = "from a".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let da = counted(&w);
        let mut db = 5u32.to_le_bytes().to_vec();
        db.extend_from_slice(b"from b\0");
        for _ in 0..2 {
            let ma = message(&a, &da, 8, DEFAULT_ANSI, Some("msg")).unwrap();
            let mb = message(&b, &db, 8, DEFAULT_ANSI, Some("msg")).unwrap();
            assert_eq!((ma.choice.text(), mb.choice.text()), ("from a", "from b"));
        }
        // Metadata of 256 and 512 bytes (a size byte of zero) keeps its name.
        for size in [256usize, 512] {
            let name = "N".repeat(size - 3 - 1 - 3);
            let meta = encode_schema(&name, &[("s", IN_ANSISTRING, None)]);
            assert_eq!(meta.len(), size);
            let m = message(&meta, b"x\0", 8, DEFAULT_ANSI, None).unwrap();
            assert_eq!(m.event_name, name);
            assert_eq!(m.choice.text(), "x");
        }
    }

    #[test]
    fn an_undecodable_field_is_reported_and_the_others_kept() {
        let meta = encode_schema(
            "E",
            &[
                ("msg", IN_ANSISTRING, None),
                ("odd", 31, None),
                ("after", 8, None),
            ],
        );
        let d = b"Line: 28 rMsg1638: x\0\x01\x02\x03\x04\x05".to_vec();
        let m = message(&meta, &d, 8, DEFAULT_ANSI, None).unwrap();
        assert_eq!(m.choice.text(), "Line: 28 rMsg1638: x");
        let p = m.problem.unwrap();
        assert!(
            p.contains("\"odd\"") && p.contains("unsupported InType 31"),
            "{p}"
        );
        assert!(p.ends_with("not decoded: odd, after"), "{p}");
        // Data cut inside the second field: the first is kept.
        let meta = encode_schema("E", &[("n", 8, None), ("msg", 22, None)]);
        let m = message(&meta, &[1, 0, 0, 0, 10, 0, b'a'], 8, DEFAULT_ANSI, None).unwrap();
        assert_eq!(
            m.choice,
            FieldChoice::Fallback {
                text: "n=1".into(),
                why: "the event has no string field".into()
            }
        );
        assert!(m.problem.is_some());
        // An unreadable schema is the only error.
        assert!(message(&[5, 0], &[], 8, DEFAULT_ANSI, None).is_err());
    }

    #[test]
    fn field_rules() {
        let f = vec![
            ("n".to_string(), Value::U64(3)),
            ("Msg".to_string(), Value::Str("hi".into())),
        ];
        assert_eq!(select_field(&f, None).text(), "hi");
        assert_eq!(select_field(&f, Some("msg")).text(), "hi");
        assert_eq!(select_field(&f, Some("n")).text(), "3");
        match select_field(&f, Some("x")) {
            FieldChoice::Fallback { text, why } => {
                assert_eq!(text, "n=3 Msg=hi");
                assert_eq!(why, "no field \"x\" (fields: n, Msg)");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            select_field(&[], None),
            FieldChoice::Fallback {
                text: String::new(),
                why: "the event has no fields".into()
            }
        );
    }
}
