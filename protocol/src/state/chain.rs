//! What revocation registries and registry lists share: a chain of numbered
//! updates (every one held, by id and by sequence number, both sides of an
//! equivocation included) and the re-signed head that vouches for its
//! freshness.
//!
//! The collections are persistent (`imbl`), so a registry clone shares them
//! and a commit copies only what it changes.

use std::sync::Arc;

use imbl::OrdMap;

use super::revocations::Freshness;
use crate::id::RecordId;
use crate::record::{Head, SignedRecord};
use crate::time::Timestamp;

/// One chain of updates and its head. The kind-specific parts (what an update
/// means, which records are heads) come in as functions.
#[derive(Clone, Debug, Default)]
pub(crate) struct Chain {
    updates: OrdMap<RecordId, Arc<SignedRecord>>,
    by_seq: OrdMap<u64, Vec<RecordId>>,
    head: Option<Arc<SignedRecord>>,
}

impl Chain {
    /// One update by id.
    pub(crate) fn record(&self, id: &RecordId) -> Option<&Arc<SignedRecord>> {
        self.updates.get(id)
    }

    /// The first update held for `seq` (the one a conflict is reported against).
    pub(crate) fn at_seq(&self, seq: u64) -> Option<&Arc<SignedRecord>> {
        self.by_seq
            .get(&seq)
            .and_then(|ids| ids.first())
            .and_then(|id| self.updates.get(id))
    }

    /// Holds an accepted update numbered `seq`.
    pub(crate) fn push(&mut self, seq: u64, rec: Arc<SignedRecord>) {
        self.by_seq.entry(seq).or_default().push(rec.id());
        self.updates.insert(rec.id(), rec);
    }

    /// Offers `rec` as the new head: `Ok(true)` if it replaces the current
    /// one (newer by time, then sequence number, then id), `Ok(false)` if it
    /// is the same record or not a head of this chain (`as_head`),
    /// `Err(current seq)` if older.
    pub(crate) fn offer_head(
        &mut self,
        rec: Arc<SignedRecord>,
        as_head: fn(&SignedRecord) -> Option<&Head>,
    ) -> Result<bool, u64> {
        let Some(h) = as_head(&rec) else {
            return Ok(false);
        };
        if let Some(cur) = self.head.as_ref() {
            if cur.id() == rec.id() {
                return Ok(false);
            }
            if let Some(c) = as_head(cur)
                && (c.at, c.seq, cur.id()) >= (h.at, h.seq, rec.id())
            {
                return Err(c.seq);
            }
        }
        self.head = Some(rec);
        Ok(true)
    }

    pub(crate) fn head_record(&self) -> Option<&Arc<SignedRecord>> {
        self.head.as_ref()
    }

    pub(crate) fn max_seq(&self) -> u64 {
        self.by_seq.get_max().map_or(0, |(s, _)| *s)
    }

    /// Whether two updates were held for one sequence number.
    pub(crate) fn forked(&self) -> bool {
        self.by_seq.values().any(|ids| ids.len() > 1)
    }

    /// How fresh the chain is: its highest sequence number, the signing and
    /// next-update times of its latest update at that number (`times` reads
    /// them), and the head, which counts only when it names no update beyond.
    /// `floor` is a checkpoint's sequence number and signing time: it counts
    /// as an update when nothing later is held.
    pub(crate) fn freshness(
        &self,
        times: fn(&SignedRecord) -> Option<(Timestamp, Timestamp)>,
        as_head: fn(&SignedRecord) -> Option<&Head>,
        floor: Option<(u64, Timestamp)>,
    ) -> Freshness {
        let held = self.max_seq();
        let (seq, latest) = match floor {
            Some((seq, at)) if seq >= held => (seq, Some((at, at))),
            _ => (
                held,
                self.by_seq
                    .get(&held)
                    .into_iter()
                    .flatten()
                    .filter_map(|id| self.updates.get(id).and_then(|r| times(r)))
                    .max_by_key(|(at, _)| *at),
            ),
        };
        let head = self.head.as_deref().and_then(as_head);
        let covering = head.filter(|h| h.seq <= seq);
        Freshness {
            seq,
            as_of: latest.map(|(at, _)| at).max(covering.map(|h| h.at)),
            head_seq: head.map(|h| h.seq),
            next_update: latest
                .map(|(_, next)| next)
                .max(covering.map(|h| h.next_update)),
        }
    }

    /// Forgets the updates numbered up to `seq`, but those in `keep`, and
    /// returns them.
    pub(crate) fn forget_through(
        &mut self,
        seq: u64,
        keep: impl Fn(&RecordId) -> bool,
    ) -> Vec<Arc<SignedRecord>> {
        let mut gone = Vec::new();
        let numbers: Vec<u64> = self.by_seq.range(..=seq).map(|(s, _)| *s).collect();
        for n in numbers {
            let Some(ids) = self.by_seq.get_mut(&n) else {
                continue;
            };
            ids.retain(|id| {
                if keep(id) {
                    return true;
                }
                if let Some(r) = self.updates.remove(id) {
                    gone.push(r);
                }
                false
            });
            if ids.is_empty() {
                self.by_seq.remove(&n);
            }
        }
        gone
    }

    pub(crate) fn ids(&self) -> impl Iterator<Item = &RecordId> {
        self.updates.keys()
    }

    /// Ids of updates numbered `from` or more, in sequence order.
    pub(crate) fn ids_from(&self, from: u64) -> Vec<RecordId> {
        self.by_seq
            .range(from..)
            .flat_map(|(_, ids)| ids.iter().copied())
            .collect()
    }

    /// Every update's sequence number and id, in sequence order.
    pub(crate) fn seq_ids(&self) -> impl Iterator<Item = (u64, RecordId)> + '_ {
        self.by_seq
            .iter()
            .flat_map(|(seq, ids)| ids.iter().map(|id| (*seq, *id)))
    }

    pub(crate) fn records(&self) -> impl Iterator<Item = &Arc<SignedRecord>> {
        self.updates.values()
    }
}
