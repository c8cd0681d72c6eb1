//! One issuer's revocation registry: the chain of updates and the revoked set.
//!
//! Revocation is permanent, so the revoked set is the union of the indices of
//! every accepted update. That makes the state a function of the set of updates
//! received, whatever their order, and makes equivocation fail safe: an index
//! revoked in either branch is revoked.

use std::sync::Arc;

use imbl::OrdMap;

use minicbor::{Decode, Encode};
use roaring::RoaringBitmap;

use super::chain::Chain;
use super::shared::Shared;
use crate::id::RecordId;
use crate::keys::IssuerId;
use crate::record::{Head, Record, RevocationUpdate, SignedRecord};
use crate::time::Timestamp;

/// Why and when one index was revoked.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RevokedEntry {
    /// The update that revoked it (the lowest, if several did).
    pub seq: u64,
    /// That update's id.
    pub update: RecordId,
    /// When that update was signed.
    pub at: Timestamp,
    /// The reason given, if any.
    pub reason: Option<String>,
}

/// How fresh a node's revocation data for one issuer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Freshness {
    /// The highest revocation update applied (0 if none).
    pub seq: u64,
    /// The time of the newest signed statement that covers `seq`: the latest
    /// update, or a later head that claims no more than `seq`. `None` when the
    /// issuer has signed neither.
    pub as_of: Option<Timestamp>,
    /// What the issuer's latest head claims; above `seq` means updates are missing.
    pub head_seq: Option<u64>,
    /// When the issuer promised its next update or head.
    pub next_update: Option<Timestamp>,
}

impl Freshness {
    /// Whether the issuer's head names updates this node does not have.
    pub fn is_behind(&self) -> bool {
        self.head_seq.is_some_and(|h| h > self.seq)
    }
}

fn as_update(r: &SignedRecord) -> Option<&RevocationUpdate> {
    match r.record() {
        Record::RevocationUpdate(u) => Some(u),
        _ => None,
    }
}

pub(crate) fn as_head(r: &SignedRecord) -> Option<&Head> {
    match r.record() {
        Record::Head(h) => Some(h),
        _ => None,
    }
}

/// The revocation registry of one issuer.
#[derive(Clone, Debug, Default)]
pub(crate) struct Revocations {
    chain: Chain,
    revoked: Shared<RoaringBitmap>,
    entries: OrdMap<u32, RevokedEntry>,
}

fn times(r: &SignedRecord) -> Option<(Timestamp, Timestamp)> {
    as_update(r).map(|u| (u.at, u.next_update))
}

impl Revocations {
    pub(crate) fn update(&self, id: &RecordId) -> Option<&RevocationUpdate> {
        self.chain.record(id).and_then(|r| as_update(r))
    }

    pub(crate) fn at_seq(&self, seq: u64) -> Option<&Arc<SignedRecord>> {
        self.chain.at_seq(seq)
    }

    pub(crate) fn insert(&mut self, rec: Arc<SignedRecord>) {
        let Some(u) = as_update(&rec) else { return };
        let id = rec.id();
        for &index in &u.revoked {
            self.revoked.insert(index);
            let reason = u
                .reasons
                .iter()
                .find(|r| r.index == index)
                .map(|r| r.reason.clone());
            let candidate = RevokedEntry {
                seq: u.seq,
                update: id,
                at: u.at,
                reason,
            };
            let keep = self
                .entries
                .get(&index)
                .is_some_and(|e| (e.seq, e.update) <= (candidate.seq, candidate.update));
            if !keep {
                self.entries.insert(index, candidate);
            }
        }
        self.chain.push(u.seq, rec.clone());
    }

    /// Replaces the head if `rec` is newer; returns whether it did.
    pub(crate) fn offer_head(&mut self, rec: Arc<SignedRecord>) -> Result<bool, u64> {
        self.chain.offer_head(rec, as_head)
    }

    pub(crate) fn head_record(&self) -> Option<&Arc<SignedRecord>> {
        self.chain.head_record()
    }

    pub(crate) fn is_revoked(&self, index: u32) -> Option<&RevokedEntry> {
        if self.revoked.contains(index) {
            self.entries.get(&index)
        } else {
            None
        }
    }

    pub(crate) fn max_seq(&self) -> u64 {
        self.chain.max_seq()
    }

    pub(crate) fn freshness(&self) -> Freshness {
        self.chain.freshness(times, as_head)
    }

    pub(crate) fn revoked_count(&self) -> u64 {
        self.revoked.len()
    }

    pub(crate) fn ids(&self) -> impl Iterator<Item = &RecordId> {
        self.chain.ids()
    }

    pub(crate) fn ids_from(&self, from: u64) -> Vec<RecordId> {
        self.chain.ids_from(from)
    }

    pub(crate) fn records(&self) -> impl Iterator<Item = &Arc<SignedRecord>> {
        self.chain.records()
    }

    /// One update by id.
    pub(crate) fn record(&self, id: &RecordId) -> Option<&Arc<SignedRecord>> {
        self.chain.record(id)
    }

    /// Every update's sequence number and id, in sequence order.
    pub(crate) fn seq_ids(&self) -> impl Iterator<Item = (u64, RecordId)> + '_ {
        self.chain.seq_ids()
    }

    pub(crate) fn bitmap(&self) -> &RoaringBitmap {
        &self.revoked
    }

    pub(crate) fn snapshot(&self, issuer: IssuerId) -> RevocationSnapshot {
        let mut bitmap = Vec::with_capacity(self.revoked.serialized_size());
        // Serializing into a Vec cannot fail.
        let _ = self.revoked.serialize_into(&mut bitmap);
        RevocationSnapshot {
            issuer,
            seq: self.max_seq(),
            bitmap,
        }
    }
}

/// The revoked set of one issuer as of one update: lets a node answer status
/// queries, or a newcomer start, without replaying every update.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct RevocationSnapshot {
    /// The issuer.
    #[n(0)]
    pub issuer: IssuerId,
    /// The highest update included.
    #[n(1)]
    pub seq: u64,
    /// The revoked set, in the portable roaring bitmap format.
    #[cbor(n(2), with = "minicbor::bytes")]
    pub bitmap: Vec<u8>,
}

/// A snapshot that does not decode.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("invalid revocation snapshot: {0}")]
pub struct SnapshotError(String);

impl RevocationSnapshot {
    /// Encodes the snapshot.
    pub fn to_bytes(&self) -> Vec<u8> {
        minicbor::to_vec(self).unwrap_or_default()
    }

    /// Decodes a snapshot of at most `limit` bytes and returns it with its set.
    pub fn from_bytes(bytes: &[u8], limit: usize) -> Result<(Self, RoaringBitmap), SnapshotError> {
        if bytes.len() > limit {
            return Err(SnapshotError(format!(
                "{} bytes exceeds the limit of {limit}",
                bytes.len()
            )));
        }
        let snap: RevocationSnapshot =
            minicbor::decode(bytes).map_err(|e| SnapshotError(e.to_string()))?;
        let set = RoaringBitmap::deserialize_from(snap.bitmap.as_slice())
            .map_err(|e| SnapshotError(e.to_string()))?;
        Ok((snap, set))
    }
}
