//! ETW provider identity: GUIDs, and TraceLogging provider names hashed to
//! their GUID exactly as Windows (EventSource / TraceLoggingRegister) does.
//!
//! Portable: used by the `.etl` reader on every OS and by live ETW capture on
//! Windows.

use std::fmt;
use std::str::FromStr;

use sha1::{Digest, Sha1};

/// A GUID in its Windows memory layout (Data1..Data3 little-endian).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Guid {
    pub data1: u32,
    pub data2: u16,
    pub data3: u16,
    pub data4: [u8; 8],
}

impl Guid {
    /// Reads a GUID from its 16-byte Windows (little-endian fields) layout.
    pub fn from_le_bytes(b: [u8; 16]) -> Guid {
        Guid {
            data1: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            data2: u16::from_le_bytes([b[4], b[5]]),
            data3: u16::from_le_bytes([b[6], b[7]]),
            data4: [b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]],
        }
    }

    /// The 16-byte Windows (little-endian fields) layout.
    pub fn to_le_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[0..4].copy_from_slice(&self.data1.to_le_bytes());
        b[4..6].copy_from_slice(&self.data2.to_le_bytes());
        b[6..8].copy_from_slice(&self.data3.to_le_bytes());
        b[8..16].copy_from_slice(&self.data4);
        b
    }

    /// The big-endian (RFC 4122 text order) bytes.
    pub fn to_be_bytes(self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[0..4].copy_from_slice(&self.data1.to_be_bytes());
        b[4..6].copy_from_slice(&self.data2.to_be_bytes());
        b[6..8].copy_from_slice(&self.data3.to_be_bytes());
        b[8..16].copy_from_slice(&self.data4);
        b
    }

    pub fn is_nil(&self) -> bool {
        *self == Guid::default()
    }

    /// The GUID Windows derives from a TraceLogging / EventSource provider
    /// name: SHA-1 over the EventSource namespace bytes followed by the
    /// upper-cased name in UTF-16BE; the first 16 bytes of the hash, with the
    /// version nibble set to 5, read as a little-endian GUID.
    pub fn from_provider_name(name: &str) -> Guid {
        const NAMESPACE: [u8; 16] = [
            0x48, 0x2C, 0x2D, 0xB2, 0xC3, 0x90, 0x47, 0xC8, 0x87, 0xF8, 0x1A, 0x15, 0xBF, 0xC1,
            0x30, 0xFB,
        ];
        let mut hasher = Sha1::new();
        hasher.update(NAMESPACE);
        for unit in name.to_uppercase().encode_utf16() {
            hasher.update(unit.to_be_bytes());
        }
        let digest = hasher.finalize();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        bytes[7] = (bytes[7] & 0x0F) | 0x50;
        Guid::from_le_bytes(bytes)
    }
}

impl fmt::Display for Guid {
    /// Lowercase, hyphenated, no braces: `ce5fa4ea-ab00-5402-8b76-9f76ac858fb5`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.data4;
        write!(
            f,
            "{:08x}-{:04x}-{:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
            self.data1, self.data2, self.data3, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]
        )
    }
}

impl fmt::Debug for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Guid({self})")
    }
}

/// Text that is not a GUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a GUID: {0:?} (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, braces optional)")]
pub struct GuidParseError(pub String);

impl FromStr for Guid {
    type Err = GuidParseError;

    fn from_str(s: &str) -> Result<Guid, GuidParseError> {
        let err = || GuidParseError(s.to_string());
        let t = s.trim();
        let t = t
            .strip_prefix('{')
            .and_then(|x| x.strip_suffix('}'))
            .unwrap_or(t);
        let parts: Vec<&str> = t.split('-').collect();
        let lens = [8, 4, 4, 4, 12];
        if parts.len() != 5
            || parts
                .iter()
                .zip(lens)
                .any(|(p, l)| p.len() != l || !p.bytes().all(|c| c.is_ascii_hexdigit()))
        {
            return Err(err());
        }
        let data1 = u32::from_str_radix(parts[0], 16).map_err(|_| err())?;
        let data2 = u16::from_str_radix(parts[1], 16).map_err(|_| err())?;
        let data3 = u16::from_str_radix(parts[2], 16).map_err(|_| err())?;
        let tail = format!("{}{}", parts[3], parts[4]);
        let mut data4 = [0u8; 8];
        for (i, b) in data4.iter_mut().enumerate() {
            *b = u8::from_str_radix(&tail[2 * i..2 * i + 2], 16).map_err(|_| err())?;
        }
        Ok(Guid {
            data1,
            data2,
            data3,
            data4,
        })
    }
}

/// What the operator named with `--etw` / `--provider`: a GUID, or a
/// TraceLogging provider name (hashed to its GUID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSpec {
    pub guid: Guid,
    /// The name, when the operator gave one rather than a GUID.
    pub name: Option<String>,
}

impl FromStr for ProviderSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<ProviderSpec, String> {
        let t = s.trim();
        if t.is_empty() {
            return Err("empty provider: give a GUID or a TraceLogging provider name".into());
        }
        if let Ok(guid) = t.parse::<Guid>() {
            return Ok(ProviderSpec { guid, name: None });
        }
        if t.starts_with('{') || t.chars().any(char::is_whitespace) {
            return Err(format!(
                "{t:?} is neither a GUID nor a provider name (names have no spaces or braces)"
            ));
        }
        Ok(ProviderSpec {
            guid: Guid::from_provider_name(t),
            name: Some(t.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracelogging_name_hashing_matches_windows() {
        assert_eq!(
            Guid::from_provider_name("MyCompany.MyComponent").to_string(),
            "ce5fa4ea-ab00-5402-8b76-9f76ac858fb5"
        );
        assert_eq!(
            Guid::from_provider_name("SimpleTraceLoggingProvider").to_string(),
            "0205c616-cf97-5c11-9756-56a2cee02ca7"
        );
        // Case does not matter: Windows upper-cases the name first.
        assert_eq!(
            Guid::from_provider_name("mycompany.mycomponent"),
            Guid::from_provider_name("MyCompany.MyComponent")
        );
    }

    #[test]
    fn guid_text_round_trip() {
        let g: Guid = "{CE5FA4EA-AB00-5402-8B76-9F76AC858FB5}".parse().unwrap();
        assert_eq!(g.to_string(), "ce5fa4ea-ab00-5402-8b76-9f76ac858fb5");
        assert_eq!(Guid::from_le_bytes(g.to_le_bytes()), g);
        assert!("ce5fa4ea-ab00-5402-8b76".parse::<Guid>().is_err());
        assert!(
            "zz5fa4ea-ab00-5402-8b76-9f76ac858fb5"
                .parse::<Guid>()
                .is_err()
        );
    }

    #[test]
    fn provider_spec_accepts_guid_or_name() {
        let p: ProviderSpec = "MyCompany.MyComponent".parse().unwrap();
        assert_eq!(p.guid.to_string(), "ce5fa4ea-ab00-5402-8b76-9f76ac858fb5");
        assert_eq!(p.name.as_deref(), Some("MyCompany.MyComponent"));
        let p: ProviderSpec = "0205c616-cf97-5c11-9756-56a2cee02ca7".parse().unwrap();
        assert_eq!(p.name, None);
        assert!("".parse::<ProviderSpec>().is_err());
        assert!("has space".parse::<ProviderSpec>().is_err());
    }
}
