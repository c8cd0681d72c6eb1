//! Per-issuer summaries: what two nodes compare to find out what differs.

use minicbor::{Decode, Encode};

use crate::id::RecordId;
use crate::keys::IssuerId;
use crate::time::Timestamp;

/// A compact description of what a node holds for one issuer.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, serde::Serialize)]
#[cbor(map)]
pub struct IssuerSummary {
    /// The issuer.
    #[n(0)]
    pub issuer: IssuerId,
    /// Highest key event sequence number.
    #[n(1)]
    pub key_seq: u64,
    /// Id of that key event (the smaller one on a fork).
    #[n(2)]
    pub key_head: Option<RecordId>,
    /// Highest profile version.
    #[n(3)]
    pub profile_seq: u64,
    /// Highest revocation update applied.
    #[n(4)]
    pub revocation_seq: u64,
    /// Time of the latest head.
    #[n(5)]
    pub head_at: Option<Timestamp>,
    /// How many badge classes.
    #[n(6)]
    pub badge_class_count: u64,
    /// sha2-256 over the sorted badge class ids.
    #[cbor(n(7), with = "minicbor::bytes")]
    #[serde(skip)]
    pub badge_class_digest: [u8; 32],
    /// How many equivocation proofs.
    #[n(8)]
    pub equivocations: u64,
}
