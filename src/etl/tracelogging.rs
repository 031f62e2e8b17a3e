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

use std::fmt::{self, Write as _};

use chrono::{DateTime, NaiveDate, Utc};

use super::reader::{filetime_to_utc, guid_at, u16_at, u32_at, u64_at};
use crate::provider::Guid;

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

    /// Decodes the user data into named values.
    pub fn decode(&self, data: &[u8], pointer_size: usize) -> Result<Vec<(String, Value)>, String> {
        let mut d = Decoder {
            meta: &self.fields,
            data,
            at: 0,
            pointer_size,
            budget: MAX_VALUES,
        };
        let mut out = Vec::new();
        let mut idx = 0;
        while idx < self.fields.len() {
            let (v, next) = d.field(idx, 0)?;
            out.push((self.fields[idx].name.clone(), v));
            idx = next;
        }
        Ok(out)
    }
}

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

struct Decoder<'a> {
    meta: &'a [FieldMeta],
    data: &'a [u8],
    at: usize,
    pointer_size: usize,
    /// Values left to decode: bounds the work on hostile metadata (arrays
    /// of empty structs).
    budget: usize,
}

fn latin1_or_utf8(b: &[u8], utf8: bool) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) if utf8 => String::from_utf8_lossy(b).into_owned(),
        Err(_) => b.iter().map(|&c| c as char).collect(),
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
                    Value::Str(latin1_or_utf8(self.take(n, &f.name)?, false))
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
        let name = f.name.as_str();
        let out = f.out_type;
        self.budget = self
            .budget
            .checked_sub(1)
            .ok_or("too many values in one event")?;
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
                Value::Str(latin1_or_utf8(b, out == OUT_UTF8))
            }
            3 => {
                let v = self.take(1, name)?[0] as i8;
                if out == OUT_STRING {
                    Value::Str((v as u8 as char).to_string())
                } else {
                    Value::I64(v as i64)
                }
            }
            4 => {
                let v = self.take(1, name)?[0];
                match out {
                    OUT_STRING => Value::Str((v as char).to_string()),
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
            11 => Value::F64(f32::from_le_bytes(self.take(4, name)?.try_into().expect("4")) as f64),
            12 => Value::F64(f64::from_le_bytes(
                self.take(8, name)?.try_into().expect("8"),
            )),
            13 => Value::Bool(u32_at(self.take(4, name)?, 0).expect("4") != 0),
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
            20 => Value::Hex(u32_at(self.take(4, name)?, 0).expect("4") as u64),
            21 => Value::Hex(u64_at(self.take(8, name)?, 0).expect("8")),
            22 => {
                let n = self.u16(name)? as usize;
                Value::Str(utf16(self.take(n, name)?))
            }
            23 => {
                let n = self.u16(name)? as usize;
                Value::Str(latin1_or_utf8(self.take(n, name)?, out == OUT_UTF8))
            }
            IN_STRUCT => {
                let mut members = Vec::new();
                let mut i = idx + 1;
                for _ in 0..(f.out_type & 0x7F) {
                    let (v, next) = self.field(i, depth + 1)?;
                    members.push((self.meta[i].name.clone(), v));
                    i = next;
                }
                Value::Struct(members)
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
        let v = s.decode(&data, 8).unwrap();
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
            let _ = s.decode(&data[..cut], 8);
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
        let v = s.decode(&d, 8).unwrap();
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
        let v = s.decode(&d, 4).unwrap();
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
            assert!(s.decode(&d[..cut], 4).is_err(), "cut {cut}");
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
        assert!(s.decode(&[], 8).is_err());
        // Unknown InType, truncated metadata.
        assert!(
            Schema::parse(&encode_schema("E", &[("f", 31, None)]))
                .unwrap()
                .decode(&[1], 8)
                .is_err()
        );
        let m = encode_schema("E", &[("f", 1, None)]);
        for cut in 0..m.len() {
            let _ = Schema::parse(&m[..cut]);
        }
    }
}
