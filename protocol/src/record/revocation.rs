//! Revocation updates and heads.
//!
//! An issuer's revocation registry is a bitset over status indices (the model of
//! the W3C Bitstring Status List). Updates are signed deltas numbered 1, 2, 3, ...
//! and chained by the id of the previous one. A head, re-signed periodically even
//! when nothing changed, tells verifiers how fresh their view is.

use minicbor::{Decode, Encode};

use super::check::{chained, short_text};
use crate::id::RecordId;
use crate::keys::IssuerId;
use crate::limits::{MAX_REASONS_PER_UPDATE, MAX_REVOKED_PER_UPDATE, MAX_STATUS_INDEX};
use crate::time::Timestamp;

/// Why one index was revoked.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, serde::Serialize)]
#[cbor(map)]
pub struct RevocationReason {
    /// The status index.
    #[n(0)]
    pub index: u32,
    /// The reason, in words.
    #[n(1)]
    pub reason: String,
}

/// A signed delta to the revocation registry.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct RevocationUpdate {
    /// The issuer.
    #[n(0)]
    pub issuer: IssuerId,
    /// 1, 2, 3, ...
    #[n(1)]
    pub seq: u64,
    /// Id of update `seq - 1`; absent for the first.
    #[n(2)]
    pub prev: Option<RecordId>,
    /// When it was signed.
    #[n(3)]
    pub at: Timestamp,
    /// When the issuer promises the next update or head at the latest.
    #[n(4)]
    pub next_update: Timestamp,
    /// Indices revoked, strictly ascending, at least one.
    #[n(5)]
    pub revoked: Vec<u32>,
    /// Optional reasons, for indices in `revoked`.
    #[n(6)]
    pub reasons: Vec<RevocationReason>,
}

impl RevocationUpdate {
    pub(crate) fn check_shape(&self) -> Result<(), String> {
        chained("revocation", self.seq, self.prev)?;
        if self.revoked.is_empty() || self.revoked.len() > MAX_REVOKED_PER_UPDATE {
            return Err(format!(
                "an update revokes 1 to {MAX_REVOKED_PER_UPDATE} indices"
            ));
        }
        if !self.revoked.windows(2).all(|w| w[0] < w[1]) {
            return Err("revoked indices must be strictly ascending".into());
        }
        if self.revoked.last().is_some_and(|&i| i > MAX_STATUS_INDEX) {
            return Err(format!("status index above {MAX_STATUS_INDEX}"));
        }
        if self.reasons.len() > MAX_REASONS_PER_UPDATE {
            return Err(format!("at most {MAX_REASONS_PER_UPDATE} reasons"));
        }
        for r in &self.reasons {
            short_text("reason", &r.reason)?;
            if self.revoked.binary_search(&r.index).is_err() {
                return Err(format!(
                    "reason for index {} which this update does not revoke",
                    r.index
                ));
            }
        }
        if self.next_update < self.at {
            return Err("next update before this one".into());
        }
        Ok(())
    }
}

/// The issuer's signed statement "my latest revocation update is `seq`, as of `at`".
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct Head {
    /// The issuer.
    #[n(0)]
    pub issuer: IssuerId,
    /// Latest revocation sequence number (0 if none yet).
    #[n(1)]
    pub seq: u64,
    /// Id of that update; absent when `seq` is 0.
    #[n(2)]
    pub latest: Option<RecordId>,
    /// When the head was signed.
    #[n(3)]
    pub at: Timestamp,
    /// When the issuer promises the next head at the latest.
    #[n(4)]
    pub next_update: Timestamp,
}

impl Head {
    pub(crate) fn check_shape(&self) -> Result<(), String> {
        if (self.seq == 0) != self.latest.is_none() {
            return Err("a head names its latest update exactly when seq > 0".into());
        }
        if self.next_update < self.at {
            return Err("next update before this head".into());
        }
        Ok(())
    }
}
