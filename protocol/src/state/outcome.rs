//! What applying a record did, as values.

use std::sync::Arc;

use crate::envelope::RecordKind;
use crate::id::RecordId;
use crate::keys::IssuerId;
use crate::record::SignedRecord;
use crate::time::Timestamp;

/// The result of applying one record to the state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// New and valid: store it and forward it.
    Accepted,
    /// Already known.
    Duplicate,
    /// Valid, but older than what is current (a profile or head superseded).
    Stale {
        /// The current sequence number (profiles) or head sequence (heads).
        current: u64,
    },
    /// Valid, but a different record already holds the same issuer, kind and
    /// sequence number. Both are kept as proof; store and forward it.
    Equivocation(EquivocationProof),
    /// Cannot be judged yet: something it depends on is missing. It is held,
    /// and applied when that arrives.
    Pending(Gap),
    /// Invalid: never store or forward it.
    Rejected(Rejection),
}

impl Outcome {
    /// Whether the record belongs in the store (and may be forwarded).
    pub const fn is_stored(&self) -> bool {
        matches!(self, Outcome::Accepted | Outcome::Equivocation(_))
    }

    /// A short name for logs and metrics.
    pub const fn name(&self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Duplicate => "duplicate",
            Outcome::Stale { .. } => "stale",
            Outcome::Equivocation(_) => "equivocation",
            Outcome::Pending(_) => "pending",
            Outcome::Rejected(_) => "rejected",
        }
    }
}

/// What a pending record waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Gap {
    /// No inception event of this issuer is known.
    #[error("issuer {0} is not known yet")]
    UnknownIssuer(IssuerId),
    /// The signing key is not (yet) in the issuer's key log.
    #[error("signing key not (yet) in the key log of {0}")]
    UnknownKey(IssuerId),
    /// The key event before this one is missing.
    #[error("key event {seq} of {issuer} is missing")]
    MissingKeyEvent {
        /// The issuer.
        issuer: IssuerId,
        /// The missing sequence number.
        seq: u64,
    },
    /// The revocation update before this one is missing.
    #[error("revocation update {seq} of {issuer} is missing")]
    MissingRevocation {
        /// The issuer.
        issuer: IssuerId,
        /// The missing sequence number.
        seq: u64,
    },
    /// A registry's listing update that this one chains to is missing.
    #[error("listing update {seq} of registry {registry} is missing")]
    MissingListing {
        /// The registry.
        registry: IssuerId,
        /// The missing sequence number.
        seq: u64,
    },
}

/// Why a record was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// Its own timestamp is too far in the future.
    #[error("dated {at}, more than the allowed skew after now ({now})")]
    FromFuture {
        /// The record's time.
        at: Timestamp,
        /// The caller's now.
        now: Timestamp,
    },
    /// The signing key belongs to the issuer but was not valid at the record's time.
    #[error("signing key was not valid for the issuer at {0}")]
    KeyNotValidAt(Timestamp),
    /// The signing key belongs to a different issuer.
    #[error("signing key belongs to another issuer")]
    KeyOfOtherIssuer,
    /// A rotation reveals a key that the previous event did not commit to.
    #[error("rotated key does not match the pre-rotation commitment")]
    PreRotationMismatch,
    /// The predecessor named by the record has another sequence number.
    #[error("predecessor {0} has the wrong sequence number")]
    BrokenChain(RecordId),
    /// A chained record is dated before its predecessor.
    #[error("dated before its predecessor")]
    TimeWentBackwards,
    /// Too many records already wait; this one was dropped.
    #[error("too many pending records")]
    PendingFull,
    /// The node's storage policy refuses more records from this issuer (or
    /// more issuers). Not a sign of forgery: follow the issuer to lift it.
    #[error("over this node's quota for issuers it does not follow")]
    OverQuota,
    /// A checkpoint part beyond what is held per issuer
    /// ([`crate::limits::MAX_OPEN_CHECKPOINTS`],
    /// [`crate::limits::MAX_CHECKPOINT_PARTS_HELD`]): a bound, like the
    /// quota, not a verdict on validity.
    #[error("too many checkpoints of this issuer held")]
    TooManyCheckpoints,
    /// A listing of a trust registry this node does not follow: not kept,
    /// not forwarded (a policy, like the quota; not a verdict on validity).
    #[error("a listing of a registry this node does not follow")]
    NotFollowed,
}

/// Two different, validly signed records of one issuer for the same kind and
/// sequence number: the issuer (or a thief of its key) showed two views.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EquivocationProof {
    /// The issuer.
    pub issuer: IssuerId,
    /// Kind of both records.
    pub kind: RecordKind,
    /// Their common sequence number.
    pub seq: u64,
    /// The record with the smaller id.
    pub first: Arc<SignedRecord>,
    /// The record with the larger id.
    pub second: Arc<SignedRecord>,
}

impl EquivocationProof {
    pub(crate) fn new(
        kind: RecordKind,
        seq: u64,
        a: Arc<SignedRecord>,
        b: Arc<SignedRecord>,
    ) -> Self {
        let (first, second) = if a.id() < b.id() { (a, b) } else { (b, a) };
        EquivocationProof {
            issuer: first.record().issuer(),
            kind,
            seq,
            first,
            second,
        }
    }

    /// The pair of ids, smaller first: what identifies the proof.
    pub fn ids(&self) -> (RecordId, RecordId) {
        (self.first.id(), self.second.id())
    }
}
