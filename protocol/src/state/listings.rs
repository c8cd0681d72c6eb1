//! One registry's list: the chain of listing updates, the current entry per
//! subject, and the list head.
//!
//! The current entries are the fold of every accepted update in (sequence,
//! id) order, so they depend only on the set of updates held. A registry that
//! signed two updates for one sequence number has equivocated: both are kept
//! as proof, and [`ListingState::disputed`] tells verifiers not to rely on
//! either branch.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::revocations::Freshness;
use crate::id::RecordId;
use crate::record::{Head, Listing, ListingChange, ListingUpdate, Record, SignedRecord};
use crate::time::Timestamp;

/// What a registry currently says about one subject.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ListingState {
    /// Vouched for.
    Listed {
        /// The listing.
        #[serde(flatten)]
        listing: Listing,
        /// The update that made it.
        seq: u64,
        /// When that update was signed.
        at: Timestamp,
    },
    /// Once vouched for, then withdrawn.
    Delisted {
        /// Why, if the registry said.
        reason: Option<String>,
        /// The update that withdrew it.
        seq: u64,
        /// When that update was signed.
        at: Timestamp,
    },
}

fn as_update(r: &SignedRecord) -> Option<&ListingUpdate> {
    match r.record() {
        Record::ListingUpdate(u) => Some(u),
        _ => None,
    }
}

pub(crate) fn as_head(r: &SignedRecord) -> Option<&Head> {
    match r.record() {
        Record::ListingHead(h) => Some(h),
        _ => None,
    }
}

/// A registry's listing updates, current entries and list head.
#[derive(Clone, Debug, Default)]
pub(crate) struct Listings {
    updates: HashMap<RecordId, Arc<SignedRecord>>,
    by_seq: BTreeMap<u64, Vec<RecordId>>,
    current: HashMap<String, ListingState>,
    /// The (seq, id) of the last update folded into `current`.
    folded: Option<(u64, RecordId)>,
    head: Option<Arc<SignedRecord>>,
}

impl Listings {
    /// The update with this id.
    pub(crate) fn update(&self, id: &RecordId) -> Option<&ListingUpdate> {
        self.updates.get(id).and_then(|r| as_update(r))
    }

    /// The first update held for `seq` (the one a conflict is reported against).
    pub(crate) fn at_seq(&self, seq: u64) -> Option<&Arc<SignedRecord>> {
        self.by_seq
            .get(&seq)
            .and_then(|ids| ids.first())
            .and_then(|id| self.updates.get(id))
    }

    /// Adds an accepted update and brings the current entries up to date.
    pub(crate) fn insert(&mut self, rec: Arc<SignedRecord>) {
        let Some(u) = as_update(&rec) else { return };
        let key = (u.seq, rec.id());
        self.by_seq.entry(u.seq).or_default().push(rec.id());
        self.updates.insert(rec.id(), rec.clone());
        if self.folded.is_none_or(|f| f < key) {
            // The common case: the newest update. Fold it on top.
            fold(&mut self.current, u);
            self.folded = Some(key);
        } else {
            self.refold();
        }
    }

    fn refold(&mut self) {
        self.current.clear();
        self.folded = None;
        for (seq, ids) in &self.by_seq {
            let mut ids = ids.clone();
            ids.sort_unstable();
            for id in ids {
                if let Some(u) = self.update(&id) {
                    let u = u.clone();
                    fold(&mut self.current, &u);
                }
                self.folded = Some((*seq, id));
            }
        }
    }

    /// Offers a list head; `Err(current seq)` when it is older than the one held.
    pub(crate) fn offer_head(&mut self, rec: Arc<SignedRecord>) -> Result<bool, u64> {
        super::heads::offer(&mut self.head, rec, as_head)
    }

    pub(crate) fn head_record(&self) -> Option<&Arc<SignedRecord>> {
        self.head.as_ref()
    }

    /// What the registry currently says about `subject`.
    pub(crate) fn entry(&self, subject: &str) -> Option<&ListingState> {
        self.current.get(subject)
    }

    /// Every current entry.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&String, &ListingState)> {
        self.current.iter()
    }

    pub(crate) fn max_seq(&self) -> u64 {
        self.by_seq.last_key_value().map_or(0, |(s, _)| *s)
    }

    /// Whether the registry signed two updates for one sequence number.
    pub(crate) fn disputed(&self) -> bool {
        self.by_seq.values().any(|ids| ids.len() > 1)
    }

    /// How fresh the list is: its latest update, and the head if newer.
    pub(crate) fn freshness(&self) -> Freshness {
        let seq = self.max_seq();
        let latest = self
            .by_seq
            .get(&seq)
            .into_iter()
            .flatten()
            .filter_map(|id| self.update(id))
            .max_by_key(|u| u.at)
            .map(|u| (u.at, u.next_update));
        super::heads::freshness(seq, latest, self.head.as_deref().and_then(as_head))
    }

    pub(crate) fn record(&self, id: &RecordId) -> Option<&Arc<SignedRecord>> {
        self.updates.get(id)
    }

    /// Every update as (sequence number, id), in sequence order.
    pub(crate) fn seq_ids(&self) -> impl Iterator<Item = (u64, RecordId)> + '_ {
        self.by_seq
            .iter()
            .flat_map(|(seq, ids)| ids.iter().map(move |id| (*seq, *id)))
    }

    pub(crate) fn ids(&self) -> impl Iterator<Item = &RecordId> {
        self.updates.keys()
    }

    pub(crate) fn ids_from(&self, from: u64) -> Vec<RecordId> {
        self.by_seq
            .range(from..)
            .flat_map(|(_, ids)| ids.iter().copied())
            .collect()
    }

    pub(crate) fn records(&self) -> impl Iterator<Item = &Arc<SignedRecord>> {
        self.updates.values()
    }
}

fn fold(current: &mut HashMap<String, ListingState>, u: &ListingUpdate) {
    for change in &u.changes {
        let state = match change {
            ListingChange::Listed(l) => ListingState::Listed {
                listing: l.clone(),
                seq: u.seq,
                at: u.at,
            },
            ListingChange::Delisted { reason, .. } => ListingState::Delisted {
                reason: reason.clone(),
                seq: u.seq,
                at: u.at,
            },
        };
        current.insert(change.subject().to_owned(), state);
    }
}
