//! Per-issuer summaries: what two nodes compare to find out what differs.
//!
//! For each replicated kind a summary gives the count, the highest sequence
//! number and a digest of the sorted ids. Equal digests mean equal sets; a
//! different digest at an equal sequence number is how a fork (equivocation)
//! held by another node is found by sync alone, without gossip.

use minicbor::{Decode, Encode};
use sha2::{Digest, Sha256};

use crate::envelope::RecordKind;
use crate::id::RecordId;
use crate::keys::IssuerId;
use crate::time::Timestamp;

/// The kinds replicated by sync, in the order they should be fetched.
/// Assertions are private to their earner and heads are compared by time.
/// A checkpoint comes before the updates that continue it. New kinds go
/// last: a kind's position is its index in summaries.
pub const SYNCED_KINDS: [RecordKind; 8] = [
    RecordKind::KeyEvent,
    RecordKind::IssuerProfile,
    RecordKind::BadgeClass,
    RecordKind::RevocationCheckpoint,
    RecordKind::RevocationUpdate,
    RecordKind::ListingUpdate,
    RecordKind::Endorsement,
    RecordKind::Pathway,
];

/// The set of ids of one kind that a node holds for one issuer.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, serde::Serialize)]
#[cbor(map)]
pub struct KindSummary {
    /// Index of the kind in [`SYNCED_KINDS`].
    #[n(0)]
    pub kind: u8,
    /// How many ids.
    #[n(1)]
    pub count: u64,
    /// Highest sequence number (0 for unsequenced kinds).
    #[n(2)]
    pub max_seq: u64,
    /// sha2-256 over the sorted id digests.
    #[cbor(n(3), with = "minicbor::bytes")]
    #[serde(skip)]
    pub digest: [u8; 32],
}

impl KindSummary {
    /// Summarises a sorted list of ids.
    pub fn of(kind: u8, max_seq: u64, sorted_ids: &[RecordId]) -> Self {
        let mut h = Sha256::new();
        for id in sorted_ids {
            h.update(id.digest());
        }
        KindSummary {
            kind,
            count: sorted_ids.len() as u64,
            max_seq,
            digest: h.finalize().into(),
        }
    }
}

/// A compact description of what a node holds for one issuer.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, serde::Serialize)]
#[cbor(map)]
pub struct IssuerSummary {
    /// The issuer.
    #[n(0)]
    pub issuer: IssuerId,
    /// One entry per kind of [`SYNCED_KINDS`], in that order.
    #[n(1)]
    pub kinds: Vec<KindSummary>,
    /// Time of the latest head.
    #[n(2)]
    pub head_at: Option<Timestamp>,
    /// How many equivocation proofs.
    #[n(3)]
    pub equivocations: u64,
    /// Time of the latest list head, when the issuer is a trust registry.
    #[n(4)]
    pub listing_head_at: Option<Timestamp>,
}

impl IssuerSummary {
    /// The entry for `kind`, if it is synced.
    pub fn kind(&self, kind: RecordKind) -> Option<&KindSummary> {
        let index = SYNCED_KINDS.iter().position(|k| *k == kind)?;
        self.kinds.iter().find(|k| usize::from(k.kind) == index)
    }

    /// The update the latest complete checkpoint summarises (0 if none).
    pub fn checkpoint_seq(&self) -> u64 {
        self.kind(RecordKind::RevocationCheckpoint)
            .map_or(0, |k| k.max_seq)
    }

    /// Highest revocation update accounted for (held, or summarised by a
    /// checkpoint).
    pub fn revocation_seq(&self) -> u64 {
        self.kind(RecordKind::RevocationUpdate)
            .map_or(0, |k| k.max_seq)
    }

    /// Highest listing update (trust registries).
    pub fn listing_seq(&self) -> u64 {
        self.kind(RecordKind::ListingUpdate)
            .map_or(0, |k| k.max_seq)
    }

    /// Highest key event.
    pub fn key_seq(&self) -> u64 {
        self.kind(RecordKind::KeyEvent).map_or(0, |k| k.max_seq)
    }

    /// Highest profile version.
    pub fn profile_seq(&self) -> u64 {
        self.kind(RecordKind::IssuerProfile)
            .map_or(0, |k| k.max_seq)
    }

    /// The kinds whose id sets differ from `other`'s (same issuer assumed).
    pub fn differing_kinds(&self, other: &IssuerSummary) -> Vec<RecordKind> {
        SYNCED_KINDS
            .into_iter()
            .filter(|k| self.kind(*k).map(|s| s.digest) != other.kind(*k).map(|s| s.digest))
            .collect()
    }
}
