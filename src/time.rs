//! The time type used across airlock, and conversions at the edges.
//!
//! Owns: `Timestamp` (re-exported from jiff) and helpers to parse RFC 3339 and convert from
//! certificate times. Must not read the system clock: only `clock` does that.

pub use jiff::Timestamp;

/// Parses an RFC 3339 instant ("2026-08-21T00:00:00Z", fractions allowed).
pub fn parse_rfc3339(s: &str) -> Result<Timestamp, String> {
    s.parse::<Timestamp>()
        .map_err(|e| format!("'{s}' is not an RFC 3339 time: {e}"))
}

/// Converts whole seconds since the Unix epoch, failing outside jiff's range.
pub fn from_unix_seconds(secs: i64) -> Result<Timestamp, String> {
    Timestamp::from_second(secs).map_err(|e| format!("{secs} is not a valid Unix time: {e}"))
}

/// Converts an x509-parser time.
pub fn from_asn1(t: &x509_parser::time::ASN1Time) -> Result<Timestamp, String> {
    from_unix_seconds(t.timestamp())
}

/// A closed validity window `[start, end]`; `end: None` means open-ended.
///
/// Sigstore trusted roots use closed intervals: the conformance cases
/// `trust-root-*-validity-end-inclusive` pin that `end` itself is inside the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Window {
    pub start: Timestamp,
    pub end: Option<Timestamp>,
}

impl std::fmt::Display for Window {
    /// `[start, end]`, or `[start, open]` for an open-ended window.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.end {
            Some(end) => write!(f, "[{}, {}]", self.start, end),
            None => write!(f, "[{}, open]", self.start),
        }
    }
}

impl Window {
    /// Whether `t` lies inside the closed window.
    pub fn contains(&self, t: Timestamp) -> bool {
        t >= self.start && self.end.is_none_or(|end| t <= end)
    }
}
