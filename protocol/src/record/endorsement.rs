//! Endorsements: one identity vouching for a badge class, another issuer, or
//! a single assertion (OB 3.0 `EndorsementCredential`).
//!
//! The endorser is the record's issuer: its key log decides whether the
//! signer may speak for it, its quota bounds what it can make a node store,
//! and it can endorse only in its own name. An endorsement is immutable and
//! named by its content id, like a badge class; it is withdrawn through the
//! endorser's revocation registry: it carries a `status_index` from the same
//! counter as the endorser's awards, and a revocation update setting that
//! index revokes it, with the same freshness ("not revoked as of update N
//! signed at T"), checkpoints and fail-safe union as a revoked badge.
//!
//! An endorsement of an assertion is private like the assertion (it names
//! who earned what): it is not gossiped or synced, and travels with the
//! assertion, in a bundle the earner keeps beside it.

use minicbor::{Decode, Encode};

use super::check::{long_text, short_text};
use crate::id::RecordId;
use crate::keys::IssuerId;
use crate::limits::MAX_STATUS_INDEX;
use crate::time::Timestamp;

/// What is endorsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Encode, Decode)]
pub enum EndorsementSubject {
    /// A badge class, by its content id.
    #[n(0)]
    BadgeClass(#[n(0)] RecordId),
    /// An issuer (or registry), by its identifier.
    #[n(1)]
    Issuer(#[n(0)] IssuerId),
    /// One assertion, by its content id.
    #[n(2)]
    Assertion(#[n(0)] RecordId),
}

impl EndorsementSubject {
    /// `badge_class`, `issuer` or `assertion`, for the API and verdicts.
    pub const fn kind_name(&self) -> &'static str {
        match self {
            EndorsementSubject::BadgeClass(_) => "badge_class",
            EndorsementSubject::Issuer(_) => "issuer",
            EndorsementSubject::Assertion(_) => "assertion",
        }
    }

    /// The subject's identifier as text (a record id or a DID).
    pub fn target(&self) -> String {
        match self {
            EndorsementSubject::BadgeClass(id) | EndorsementSubject::Assertion(id) => {
                id.to_string()
            }
            EndorsementSubject::Issuer(id) => id.to_did(),
        }
    }

    /// Whether endorsements of this subject are public (gossiped, synced,
    /// bundled with the endorser's records). Only assertion endorsements are
    /// not: who earned what is private.
    pub const fn is_public(&self) -> bool {
        !matches!(self, EndorsementSubject::Assertion(_))
    }
}

/// A signed endorsement.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct Endorsement {
    /// The endorser.
    #[n(0)]
    pub issuer: IssuerId,
    /// What it endorses.
    #[n(1)]
    pub subject: EndorsementSubject,
    /// What the endorser says (OB 3.0 `endorsementComment`); may be empty.
    #[n(2)]
    pub comment: String,
    /// When it was signed; the endorsement holds from then on and the
    /// signing key must be valid then.
    #[n(3)]
    pub at: Timestamp,
    /// When it stops holding, if ever.
    #[n(4)]
    pub valid_until: Option<Timestamp>,
    /// Its index in the endorser's revocation registry.
    #[n(5)]
    pub status_index: u32,
    /// The endorser's name for it, shown in lists (OB 3.0 `name`).
    #[n(6)]
    pub name: Option<String>,
}

impl Endorsement {
    pub(crate) fn check_shape(&self) -> Result<(), String> {
        long_text("comment", &self.comment)?;
        if let Some(name) = &self.name {
            short_text("name", name)?;
        }
        if self.status_index > MAX_STATUS_INDEX {
            return Err(format!("status index above {MAX_STATUS_INDEX}"));
        }
        if self.valid_until.is_some_and(|u| u <= self.at) {
            return Err("valid until is not after the time it was signed".into());
        }
        if self.subject == EndorsementSubject::Issuer(self.issuer) {
            return Err("an issuer cannot endorse itself".into());
        }
        Ok(())
    }

    /// Whether it holds at `now` by its own dates (revocation aside).
    pub fn in_period(&self, now: Timestamp) -> bool {
        self.at <= now.plus(crate::limits::MAX_CLOCK_SKEW_SECS)
            && self.valid_until.is_none_or(|u| now < u)
    }
}
