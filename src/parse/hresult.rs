//! HRESULTs the module prints: symbolic names and what an operator should check.

use std::borrow::Cow;
use std::fmt;

/// An HRESULT as the module prints it (`std::hex`, no `0x`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HResult(pub u32);

struct Known {
    code: u32,
    name: &'static str,
    hint: &'static str,
}

const KNOWN: &[Known] = &[
    Known {
        code: 0x0000_0000,
        name: "S_OK",
        hint: "success code logged with a failure message: the module got no certificate info without an error",
    },
    Known {
        code: 0x8007_0490,
        name: "ERROR_NOT_FOUND",
        hint: "no client cert: set SSL settings to Accept/Require, or the client sent none",
    },
    Known {
        code: 0x8007_0032,
        name: "ERROR_NOT_SUPPORTED",
        hint: "renegotiation refused (TLS 1.3 / HTTP/2): netsh http ... clientcertnegotiation=enable, or disable TLS 1.3/HTTP/2 on the binding",
    },
    Known {
        code: 0x8000_4005,
        name: "E_FAIL",
        hint: "generic failure: check the event log of the worker process",
    },
    Known {
        code: 0x8007_0057,
        name: "E_INVALIDARG",
        hint: "bad call (ERROR_INVALID_PARAMETER): a module bug",
    },
    Known {
        code: 0x8007_000e,
        name: "E_OUTOFMEMORY",
        hint: "memory pressure in the worker process",
    },
    Known {
        code: 0x8007_0008,
        name: "ERROR_NOT_ENOUGH_MEMORY",
        hint: "memory pressure in the worker process",
    },
    Known {
        code: 0x8007_03e5,
        name: "ERROR_IO_PENDING",
        hint: "async completion pending: the module must wait for completion",
    },
    Known {
        code: 0x8007_04cd,
        name: "ERROR_CONNECTION_INVALID",
        hint: "client went away during negotiation",
    },
    Known {
        code: 0x8007_04d4,
        name: "ERROR_CONNECTION_ABORTED",
        hint: "client went away during negotiation",
    },
    Known {
        code: 0x8007_0040,
        name: "ERROR_NETNAME_DELETED",
        hint: "client went away during negotiation",
    },
    Known {
        code: 0x8007_03e3,
        name: "ERROR_OPERATION_ABORTED",
        hint: "request aborted",
    },
    Known {
        code: 0x8007_0005,
        name: "E_ACCESSDENIED",
        hint: "access denied: check the app pool identity's rights",
    },
    Known {
        code: 0x8007_0006,
        name: "E_HANDLE",
        hint: "invalid handle: a module bug",
    },
    Known {
        code: 0x8000_4001,
        name: "E_NOTIMPL",
        hint: "not implemented by this IIS version",
    },
    Known {
        code: 0x8000_ffff,
        name: "E_UNEXPECTED",
        hint: "unexpected failure",
    },
];

impl HResult {
    /// Parses the module's hex text (`80070490`, any case, optional `0x`,
    /// fewer than 8 digits allowed). Also accepts a negative decimal `long`
    /// such as `-2147023728`, which some sibling builds print.
    pub fn parse(s: &str) -> Option<HResult> {
        let t = s.trim();
        let h = t
            .strip_prefix("0x")
            .or_else(|| t.strip_prefix("0X"))
            .unwrap_or(t);
        if !h.is_empty() && h.len() <= 8 && h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return u32::from_str_radix(h, 16).ok().map(HResult);
        }
        if let Some(neg) = t.strip_prefix('-')
            && !neg.is_empty()
            && neg.bytes().all(|b| b.is_ascii_digit())
        {
            return t.parse::<i32>().ok().map(|v| HResult(v as u32));
        }
        None
    }

    fn known(self) -> Option<&'static Known> {
        KNOWN.iter().find(|k| k.code == self.0)
    }

    /// The symbolic name; unknown codes get a facility/code breakdown such as
    /// `HRESULT(facility=7, code=1234)`, never an error.
    pub fn name(self) -> Cow<'static, str> {
        match self.known() {
            Some(k) => Cow::Borrowed(k.name),
            None => Cow::Owned(format!(
                "HRESULT(facility={}, code={})",
                self.facility(),
                self.code()
            )),
        }
    }

    /// One line telling the operator what to check.
    pub fn hint(self) -> Cow<'static, str> {
        match self.known() {
            Some(k) => Cow::Borrowed(k.hint),
            None if self.facility() == 7 => Cow::Owned(format!(
                "Win32 error {}: see `net helpmsg {}`",
                self.code(),
                self.code()
            )),
            None => Cow::Borrowed("unknown code: look it up with `certutil -error` on the server"),
        }
    }

    pub fn is_failure(self) -> bool {
        self.0 & 0x8000_0000 != 0
    }

    pub fn facility(self) -> u32 {
        (self.0 >> 16) & 0x1fff
    }

    pub fn code(self) -> u32 {
        self.0 & 0xffff
    }
}

impl fmt::Display for HResult {
    /// Eight lowercase hex digits, as JSON and tables show it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_module_forms() {
        assert_eq!(HResult::parse("80070490"), Some(HResult(0x8007_0490)));
        assert_eq!(HResult::parse("0x80070032"), Some(HResult(0x8007_0032)));
        assert_eq!(HResult::parse("0"), Some(HResult(0)));
        assert_eq!(HResult::parse("-2147023728"), Some(HResult(0x8007_0490)));
        assert_eq!(HResult::parse("800704901"), None);
        assert_eq!(HResult::parse("zz"), None);
        assert_eq!(HResult::parse(""), None);
    }

    #[test]
    fn names_and_hints() {
        let h = HResult(0x8007_0490);
        assert_eq!(h.name(), "ERROR_NOT_FOUND");
        assert!(h.hint().contains("Accept/Require"));
        assert_eq!(h.to_string(), "80070490");
        assert_eq!(HResult(0x8007_0032).name(), "ERROR_NOT_SUPPORTED");
        let unknown = HResult(0x8007_04d2);
        assert_eq!(unknown.name(), "HRESULT(facility=7, code=1234)");
        assert!(unknown.hint().contains("1234"));
        assert!(unknown.is_failure());
        assert_eq!(HResult(0x8009_0001).name(), "HRESULT(facility=9, code=1)");
    }
}
