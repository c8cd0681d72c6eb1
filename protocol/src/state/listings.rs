//! One registry's list: the chain of listing updates, the current entry per
//! subject, and the list head.
//!
//! The current entries are the fold of every accepted update in (sequence,
//! id) order, so they depend only on the set of updates held. A registry that
//! signed two updates for one sequence number has equivocated: both are kept
//! as proof, and [`ListingState::disputed`] tells verifiers not to rely on
//! either branch.

use std::sync::Arc;

use imbl::OrdMap;

use super::chain::Chain;
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
    chain: Chain,
    current: OrdMap<String, ListingState>,
    /// The (seq, id) of the last update folded into `current`.
    folded: Option<(u64, RecordId)>,
}

fn times(r: &SignedRecord) -> Option<(Timestamp, Timestamp)> {
    as_update(r).map(|u| (u.at, u.next_update))
}

impl Listings {
    /// The update with this id.
    pub(crate) fn update(&self, id: &RecordId) -> Option<&ListingUpdate> {
        self.chain.record(id).and_then(|r| as_update(r))
    }

    /// The first update held for `seq` (the one a conflict is reported against).
    pub(crate) fn at_seq(&self, seq: u64) -> Option<&Arc<SignedRecord>> {
        self.chain.at_seq(seq)
    }

    /// Adds an accepted update and brings the current entries up to date.
    pub(crate) fn insert(&mut self, rec: Arc<SignedRecord>) {
        let Some(u) = as_update(&rec) else { return };
        let key = (u.seq, rec.id());
        self.chain.push(u.seq, rec.clone());
        if self.folded.is_none_or(|f| f < key) {
            // The common case: the newest update. Fold it on top.
            fold(&mut self.current, u);
            self.folded = Some(key);
        } else {
            self.refold();
        }
    }

    /// Folds every update again in (sequence, id) order: after a fork.
    fn refold(&mut self) {
        let mut order: Vec<(u64, RecordId)> = self.chain.seq_ids().collect();
        order.sort_unstable();
        let mut current = OrdMap::new();
        for (_, id) in &order {
            if let Some(u) = self.update(id) {
                fold(&mut current, u);
            }
        }
        self.current = current;
        self.folded = order.last().copied();
    }

    /// Offers a list head; `Err(current seq)` when it is older than the one held.
    pub(crate) fn offer_head(&mut self, rec: Arc<SignedRecord>) -> Result<bool, u64> {
        self.chain.offer_head(rec, as_head)
    }

    pub(crate) fn head_record(&self) -> Option<&Arc<SignedRecord>> {
        self.chain.head_record()
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
        self.chain.max_seq()
    }

    /// Whether the registry signed two updates for one sequence number.
    pub(crate) fn disputed(&self) -> bool {
        self.chain.forked()
    }

    /// How fresh the list is: its latest update, and the head if newer.
    pub(crate) fn freshness(&self) -> Freshness {
        self.chain.freshness(times, as_head, None)
    }

    pub(crate) fn record(&self, id: &RecordId) -> Option<&Arc<SignedRecord>> {
        self.chain.record(id)
    }

    /// Every update as (sequence number, id), in sequence order.
    pub(crate) fn seq_ids(&self) -> impl Iterator<Item = (u64, RecordId)> + '_ {
        self.chain.seq_ids()
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
}

fn fold(current: &mut OrdMap<String, ListingState>, u: &ListingUpdate) {
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
