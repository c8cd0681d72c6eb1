//! One issuer's revocation registry: the chain of updates and the revoked set.
//!
//! Revocation is permanent, so the revoked set is the union of the indices of
//! every accepted update. That makes the state a function of the set of updates
//! received, whatever their order, and makes equivocation fail safe: an index
//! revoked in either branch is revoked.

use std::sync::Arc;

use minicbor::{Decode, Encode};
use roaring::RoaringBitmap;

use super::chain::Chain;
use super::checkpoints::{Base, Checkpoints, part_of};
use super::shared::Shared;
use crate::id::RecordId;
use crate::keys::IssuerId;
use crate::record::{Head, Record, RevocationCheckpoint, RevocationUpdate, SignedRecord};
use crate::time::Timestamp;

/// Why and when one index was revoked.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RevokedEntry {
    /// The update that revoked it (the lowest, if several did); when only a
    /// checkpoint tells, the update that checkpoint summarises.
    pub seq: u64,
    /// That update's id.
    pub update: RecordId,
    /// When that update was signed; when only a checkpoint tells, when the
    /// checkpoint was signed (the index was revoked by then).
    pub at: Timestamp,
    /// The reason given, if any (checkpoints carry none).
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

/// The revocation registry of one issuer: the updates held (those after the
/// latest complete checkpoint, and any that prove an equivocation), the
/// checkpoint parts held, and the revoked set, which is the union of all of
/// them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Revocations {
    chain: Chain,
    revoked: Shared<RoaringBitmap>,
    checkpoints: Checkpoints,
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

    /// The latest complete checkpoint.
    pub(crate) fn base(&self) -> Option<&Base> {
        self.checkpoints.base()
    }

    /// The update the latest complete checkpoint summarises (0 if none).
    pub(crate) fn base_seq(&self) -> u64 {
        self.checkpoints.base_seq()
    }

    /// A held checkpoint part or update that contradicts update `rec`.
    pub(crate) fn contradicting_update(
        &self,
        u: &RevocationUpdate,
        id: RecordId,
    ) -> Option<Arc<SignedRecord>> {
        self.checkpoints
            .contradiction_with_update(u.seq, id, &u.revoked)
            .cloned()
    }

    /// A held record that contradicts checkpoint part `c` (revoking `set`):
    /// another checkpoint (see `Checkpoints::contradiction`), the update it
    /// names under another id, or an update it covers that revoked an index
    /// it leaves out.
    pub(crate) fn contradicting_checkpoint(
        &self,
        c: &RevocationCheckpoint,
        set: &RoaringBitmap,
    ) -> Option<Arc<SignedRecord>> {
        if let Some(r) = self.checkpoints.contradiction(c, set) {
            return Some(r.clone());
        }
        if let Some(r) = self.chain.at_seq(c.seq).filter(|r| r.id() != c.latest) {
            return Some(r.clone());
        }
        // An update it covers that revoked an index it leaves out. The
        // updates held are the tail after the base (at most about a
        // thousand) and proofs, so a scan is cheap, and it replaces an index
        // of every revoked index that cost each issuer more than a kilobyte.
        for (seq, id) in self.chain.seq_ids() {
            if seq > c.seq {
                break;
            }
            let Some(r) = self.chain.record(&id) else {
                continue;
            };
            let left_out = as_update(r).is_some_and(|u| {
                u.revoked.iter().any(|&i| {
                    let part = part_of(i);
                    c.parts & (1 << part) == 0 || (part == c.part && !set.contains(i))
                })
            });
            if left_out {
                return Some(r.clone());
            }
        }
        None
    }

    /// Holds checkpoint part `c`, revoking its set. When that completes a
    /// checkpoint newer than the base, it becomes the base, and the updates
    /// and parts it makes redundant are forgotten (but those in `keep`) and
    /// returned.
    pub(crate) fn insert_checkpoint(
        &mut self,
        c: &RevocationCheckpoint,
        set: RoaringBitmap,
        rec: Arc<SignedRecord>,
        keep: impl Fn(&RecordId) -> bool,
    ) -> Vec<Arc<SignedRecord>> {
        *self.revoked |= set;
        self.checkpoints.insert(c, rec);
        let header = c.header();
        if !self.checkpoints.complete(&header) {
            return Vec::new();
        }
        let Some(mut forgotten) = self.checkpoints.rebase(header, &keep) else {
            return Vec::new();
        };
        forgotten.extend(self.chain.forget_through(header.seq, &keep));
        forgotten
    }

    pub(crate) fn insert(&mut self, rec: Arc<SignedRecord>) {
        let Some(u) = as_update(&rec) else { return };
        for &index in &u.revoked {
            self.revoked.insert(index);
        }
        self.chain.push(u.seq, rec.clone());
    }

    /// The held update that revoked `index` first (the lowest sequence
    /// number, then the smaller id), with its id.
    fn first_revoking(&self, index: u32) -> Option<(&RevocationUpdate, RecordId)> {
        let mut best: Option<(u64, RecordId, &RevocationUpdate)> = None;
        for (seq, id) in self.chain.seq_ids() {
            if best.is_some_and(|(s, _, _)| seq > s) {
                break;
            }
            let Some(u) = self.chain.record(&id).and_then(|r| as_update(r)) else {
                continue;
            };
            if u.revoked.binary_search(&index).is_ok()
                && best.is_none_or(|(s, i, _)| (seq, id) < (s, i))
            {
                best = Some((seq, id, u));
            }
        }
        best.map(|(_, id, u)| (u, id))
    }

    /// Replaces the head if `rec` is newer; returns whether it did.
    pub(crate) fn offer_head(&mut self, rec: Arc<SignedRecord>) -> Result<bool, u64> {
        self.chain.offer_head(rec, as_head)
    }

    pub(crate) fn head_record(&self) -> Option<&Arc<SignedRecord>> {
        self.chain.head_record()
    }

    pub(crate) fn is_revoked(&self, index: u32) -> Option<RevokedEntry> {
        if !self.revoked.contains(index) {
            return None;
        }
        if let Some((u, id)) = self.first_revoking(index) {
            return Some(RevokedEntry {
                seq: u.seq,
                update: id,
                at: u.at,
                reason: u
                    .reasons
                    .iter()
                    .find(|r| r.index == index)
                    .map(|r| r.reason.clone()),
            });
        }
        // Revoked by an update this node no longer holds (or never did):
        // the checkpoint that summarises it tells.
        self.checkpoints.covering(index).map(|h| RevokedEntry {
            seq: h.seq,
            update: h.latest,
            at: h.at,
            reason: None,
        })
    }

    /// The highest update this node's revoked set accounts for: the latest
    /// update held or the base, whichever is later.
    pub(crate) fn max_seq(&self) -> u64 {
        self.chain.max_seq().max(self.base_seq())
    }

    pub(crate) fn freshness(&self) -> Freshness {
        let floor = self.base().map(|b| (b.header.seq, b.header.at));
        self.chain.freshness(times, as_head, floor)
    }

    /// Ids of the updates after the base: what sync compares and lists
    /// (older ones, if held, only prove an equivocation).
    pub(crate) fn tail_ids(&self) -> Vec<RecordId> {
        self.chain.ids_from(self.base_seq() + 1)
    }

    /// Whether part `c` would go beyond the checkpoints held per issuer.
    pub(crate) fn checkpoints_full_for(&self, c: &RevocationCheckpoint) -> bool {
        self.checkpoints.full_for(c)
    }

    /// Held checkpoint parts.
    pub(crate) fn checkpoint_records(&self) -> impl Iterator<Item = &Arc<SignedRecord>> {
        self.checkpoints.records()
    }

    /// One held checkpoint part by id.
    pub(crate) fn checkpoint_record(&self, id: &RecordId) -> Option<&Arc<SignedRecord>> {
        self.checkpoints.record(id)
    }

    /// A held part of the base, the one covering `index` if held: what a
    /// contradiction of the base is proven with.
    pub(crate) fn base_part_for(&self, index: u32) -> Option<Arc<SignedRecord>> {
        self.checkpoints.base_part(part_of(index)).cloned()
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
