//! Time as the protocol sees it: whole seconds since the Unix epoch, UTC.
//!
//! The protocol never reads a clock: every function that needs "now" takes it as
//! a parameter, which keeps verification deterministic and testable.

use std::fmt;
use std::str::FromStr;

use minicbor::{Decode, Encode};
use serde::{Serialize, Serializer};

/// A point in time, in whole seconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Encode, Decode)]
#[cbor(transparent)]
pub struct Timestamp(#[n(0)] pub i64);

/// A timestamp that is not RFC 3339 text with an offset, or out of range.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("not an RFC 3339 timestamp: {0}")]
pub struct TimestampParseError(String);

impl Timestamp {
    /// Seconds since the epoch.
    pub const fn secs(self) -> i64 {
        self.0
    }

    /// Seconds from `earlier` to `self`; negative when `earlier` is later.
    pub const fn since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// This time plus `secs` seconds, saturating.
    pub const fn plus(self, secs: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(secs))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match jiff::Timestamp::from_second(self.0) {
            Ok(t) => write!(f, "{t}"),
            Err(_) => write!(f, "@{}", self.0),
        }
    }
}

impl FromStr for Timestamp {
    type Err = TimestampParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t: jiff::Timestamp = s.parse().map_err(|_| TimestampParseError(s.to_owned()))?;
        Ok(Timestamp(t.as_second()))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        let t: Timestamp = "2026-11-28T02:43:40Z".parse().expect("valid");
        assert_eq!(t.to_string(), "2026-11-28T02:43:40Z");
        let with_offset: Timestamp = "2026-11-28T03:43:40+01:00".parse().expect("valid");
        assert_eq!(with_offset, t);
        assert!("yesterday".parse::<Timestamp>().is_err());
    }
}
