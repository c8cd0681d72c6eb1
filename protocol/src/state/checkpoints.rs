//! The checkpoint parts a node holds for one issuer, and the latest complete
//! checkpoint (the *base*) that the update chain continues from.
//!
//! Only the base and what is newer than it are held: once a checkpoint is
//! complete, older parts and the updates it covers say nothing it does not
//! (their revoked indices are in it; any that are not were kept as an
//! equivocation proof when they met), so the node forgets them. Then memory,
//! start-up and what a newcomer fetches do not grow with the history.

use std::sync::Arc;

use imbl::OrdMap;
use roaring::RoaringBitmap;

use super::shared::Shared;
use crate::id::RecordId;
use crate::limits::{MAX_CHECKPOINT_PARTS_HELD, MAX_OPEN_CHECKPOINTS};
use crate::record::{
    CHECKPOINT_PART_SHIFT, CheckpointHeader, Record, RevocationCheckpoint, SignedRecord,
};

/// The latest complete checkpoint and the union of its parts.
#[derive(Clone, Debug)]
pub(crate) struct Base {
    pub(crate) header: CheckpointHeader,
    pub(crate) set: Shared<RoaringBitmap>,
}

pub(crate) fn as_checkpoint(r: &SignedRecord) -> Option<&RevocationCheckpoint> {
    match r.record() {
        Record::RevocationCheckpoint(c) => Some(c),
        _ => None,
    }
}

/// The part of the index space `index` falls in.
pub(crate) const fn part_of(index: u32) -> u8 {
    (index >> CHECKPOINT_PART_SHIFT) as u8
}

/// A held part's place: its checkpoint, its number, and its id (two parts
/// signed for one place are both held: they prove an equivocation, and
/// each revokes what it names).
type Slot = (CheckpointHeader, u8, RecordId);

/// The first and last slot of `header`.
fn slots_of(header: CheckpointHeader) -> std::ops::RangeInclusive<Slot> {
    (header, 0, RecordId::from_digest([0; 32]))
        ..=(header, u8::MAX, RecordId::from_digest([0xff; 32]))
}

/// Held checkpoint parts, by header and part number.
#[derive(Clone, Debug, Default)]
pub(crate) struct Checkpoints {
    parts: OrdMap<Slot, Arc<SignedRecord>>,
    base: Option<Base>,
}

impl Checkpoints {
    pub(crate) fn base(&self) -> Option<&Base> {
        self.base.as_ref()
    }

    /// The update the base summarises (0 without one).
    pub(crate) fn base_seq(&self) -> u64 {
        self.base.as_ref().map_or(0, |b| b.header.seq)
    }

    /// Every held part.
    pub(crate) fn records(&self) -> impl Iterator<Item = &Arc<SignedRecord>> {
        self.parts.values()
    }

    /// One held part by id (a few dozen at most are held).
    pub(crate) fn record(&self, id: &RecordId) -> Option<&Arc<SignedRecord>> {
        self.parts.values().find(|r| r.id() == *id)
    }

    /// A held part of the base, the one covering `part` if there is one:
    /// what a conflict with the base is proven against.
    pub(crate) fn base_part(&self, part: u8) -> Option<&Arc<SignedRecord>> {
        let header = self.base.as_ref()?.header;
        let mut all = self.parts.range(slots_of(header));
        let first = all.clone().next().map(|(_, r)| r);
        all.find(|((_, p, _), _)| *p == part)
            .map(|(_, r)| r)
            .or(first)
    }

    /// Whether another part of a checkpoint with `header` would go beyond
    /// what is held per issuer. A part that completes a checkpoint on its
    /// own is always taken: as the base it lets the others go.
    pub(crate) fn full_for(&self, c: &RevocationCheckpoint) -> bool {
        if c.parts == 1 << c.part {
            return false;
        }
        let header = c.header();
        let base = self.base.as_ref().map(|b| b.header);
        let mut open: Vec<CheckpointHeader> = self
            .parts
            .keys()
            .map(|(h, _, _)| *h)
            .filter(|h| Some(*h) != base)
            .collect();
        open.dedup();
        let new = !open.contains(&header) && Some(header) != base;
        self.parts.len() >= MAX_CHECKPOINT_PARTS_HELD || (new && open.len() >= MAX_OPEN_CHECKPOINTS)
    }

    /// Holds a part.
    pub(crate) fn insert(&mut self, c: &RevocationCheckpoint, rec: Arc<SignedRecord>) {
        self.parts.insert((c.header(), c.part, rec.id()), rec);
    }

    /// Whether every part `header` names is held.
    pub(crate) fn complete(&self, header: &CheckpointHeader) -> bool {
        let held = self
            .parts
            .range(slots_of(*header))
            .fold(0u64, |m, ((_, p, _), _)| m | (1 << p));
        held == header.parts
    }

    /// Makes the complete checkpoint `header` the base if it is newer than
    /// the current one, and forgets older parts, but those in `keep` (parts
    /// of equivocation proofs). Returns the parts forgotten, or `None` when
    /// the base did not move.
    pub(crate) fn rebase(
        &mut self,
        header: CheckpointHeader,
        keep: impl Fn(&RecordId) -> bool,
    ) -> Option<Vec<Arc<SignedRecord>>> {
        if self
            .base
            .as_ref()
            .is_some_and(|b| b.header.seq >= header.seq)
        {
            return None;
        }
        let mut set = RoaringBitmap::new();
        for (_, r) in self.parts.range(slots_of(header)) {
            if let Some(s) = as_checkpoint(r).and_then(|c| c.set().ok()) {
                set |= s;
            }
        }
        self.base = Some(Base {
            header,
            set: Shared::new(set),
        });
        let old: Vec<_> = self
            .parts
            .iter()
            .filter(|((h, _, _), r)| h.seq < header.seq && !keep(&r.id()))
            .map(|(k, r)| (*k, r.clone()))
            .collect();
        for (k, _) in &old {
            self.parts.remove(k);
        }
        Some(old.into_iter().map(|(_, r)| r).collect())
    }

    /// A held part that contradicts part `c` (with revoked set `set`): the
    /// same part of the same checkpoint with other contents, one of another
    /// checkpoint at the same update, or one whose set for the
    /// same range is not ordered with `c`'s as their updates are (a later
    /// checkpoint must keep every index an earlier one revoked).
    pub(crate) fn contradiction(
        &self,
        c: &RevocationCheckpoint,
        set: &RoaringBitmap,
    ) -> Option<&Arc<SignedRecord>> {
        let own = c.header();
        self.parts.iter().find_map(|((h, part, _), r)| {
            if *h == own {
                // The same part signed twice with other contents.
                return (*part == c.part).then_some(r);
            }
            if h.seq == own.seq {
                return Some(r);
            }
            let (older_mask, newer_mask) = if h.seq < own.seq {
                (h.parts, own.parts)
            } else {
                (own.parts, h.parts)
            };
            if older_mask & !newer_mask != 0 {
                // The newer one calls a range empty that the older filled.
                return Some(r);
            }
            if *part != c.part {
                return None;
            }
            let other = as_checkpoint(r).and_then(|o| o.set().ok())?;
            let ordered = if h.seq < own.seq {
                other.is_subset(set)
            } else {
                set.is_subset(&other)
            };
            (!ordered).then_some(r)
        })
    }

    /// A held part that contradicts update `seq` with id `id` revoking
    /// `revoked`: a checkpoint of that update naming another id, or one of
    /// it or a later update that leaves out an index it revoked.
    pub(crate) fn contradiction_with_update(
        &self,
        seq: u64,
        id: RecordId,
        revoked: &[u32],
    ) -> Option<&Arc<SignedRecord>> {
        // Each checkpoint once (its parts are adjacent in slot order), and
        // each of its parts decoded at most once: `revoked` is ascending, so
        // the indices of one part come together.
        let mut headers: Vec<(CheckpointHeader, &Arc<SignedRecord>)> = Vec::new();
        for ((h, _, _), r) in self.parts.iter() {
            if h.seq >= seq && headers.last().is_none_or(|(last, _)| last != h) {
                headers.push((*h, r));
            }
        }
        for (h, any) in headers {
            if h.seq == seq && h.latest != id {
                return Some(any);
            }
            let mut decoded: Option<(RecordId, RoaringBitmap)> = None;
            for &index in revoked {
                let part = part_of(index);
                if h.parts & (1 << part) == 0 {
                    return Some(any);
                }
                // Every part held for that place (two are an equivocation);
                // one not held yet is checked when it arrives.
                let holders = self
                    .parts
                    .range(slots_of(h))
                    .filter(|((_, p, _), _)| *p == part);
                for (_, holder) in holders {
                    if decoded.as_ref().is_none_or(|(id, _)| *id != holder.id()) {
                        let set = as_checkpoint(holder).and_then(|c| c.set().ok())?;
                        decoded = Some((holder.id(), set));
                    }
                    if decoded.as_ref().is_some_and(|(_, s)| !s.contains(index)) {
                        return Some(holder);
                    }
                }
            }
        }
        None
    }

    /// The header of a held checkpoint that revokes `index`, the base first.
    pub(crate) fn covering(&self, index: u32) -> Option<CheckpointHeader> {
        if let Some(b) = self.base.as_ref().filter(|b| b.set.contains(index)) {
            return Some(b.header);
        }
        let part = part_of(index);
        self.parts.iter().find_map(|((h, p, _), r)| {
            (*p == part && as_checkpoint(r)?.set().ok()?.contains(index)).then_some(*h)
        })
    }
}
