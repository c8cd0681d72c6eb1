//! An issuer's key log and the validity interval of each key.
//!
//! A key is valid from the time of the event that made it current until the
//! time of the first event that rotated it away. The log is kept as a set of
//! accepted events (a fork, two events with one sequence number, is possible
//! only for whoever holds the pre-rotated key, and is kept as equivocation), and
//! intervals are recomputed from the whole set, so arrival order does not matter.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::id::RecordId;
use crate::keys::PublicKey;
use crate::record::{KeyEvent, Record, SignedRecord};
use crate::time::Timestamp;

/// When one key may sign for its issuer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyValidity {
    /// The key.
    pub key: PublicKey,
    /// Valid from (inclusive).
    pub from: Timestamp,
    /// Valid until (exclusive); `None` while it is current.
    pub until: Option<Timestamp>,
}

impl KeyValidity {
    /// Whether the key may sign a record dated `at`.
    pub fn covers(&self, at: Timestamp) -> bool {
        self.from <= at && self.until.is_none_or(|u| at < u)
    }
}

/// The accepted key events of one issuer.
#[derive(Clone, Debug, Default)]
pub(crate) struct KeyLog {
    // Plain maps, not persistent ones: a key log holds a few events (one per
    // rotation), so copying it when its issuer's state is copied on write
    // costs less than the fixed size of persistent nodes for every issuer.
    events: BTreeMap<RecordId, Arc<SignedRecord>>,
    by_seq: BTreeMap<u64, Vec<RecordId>>,
    validity: Vec<KeyValidity>,
}

pub(crate) fn as_key_event(r: &SignedRecord) -> Option<&KeyEvent> {
    match r.record() {
        Record::KeyEvent(e) => Some(e),
        _ => None,
    }
}

impl KeyLog {
    pub(crate) fn get(&self, id: &RecordId) -> Option<&KeyEvent> {
        self.events.get(id).and_then(|r| as_key_event(r))
    }

    pub(crate) fn at_seq(&self, seq: u64) -> impl Iterator<Item = &Arc<SignedRecord>> {
        self.by_seq
            .get(&seq)
            .into_iter()
            .flatten()
            .filter_map(|id| self.events.get(id))
    }

    pub(crate) fn insert(&mut self, rec: Arc<SignedRecord>) {
        let Some(e) = as_key_event(&rec) else { return };
        self.by_seq.entry(e.seq).or_default().push(rec.id());
        self.events.insert(rec.id(), rec);
        self.recompute();
    }

    fn recompute(&mut self) {
        let mut from: BTreeMap<[u8; 32], (PublicKey, Timestamp, Option<Timestamp>)> =
            BTreeMap::new();
        for e in self.events.values().filter_map(|r| as_key_event(r)) {
            let entry = from.entry(*e.key.as_bytes()).or_insert((e.key, e.at, None));
            entry.1 = entry.1.min(e.at);
        }
        for e in self.events.values().filter_map(|r| as_key_event(r)) {
            // This event ends the validity of its predecessor's key.
            if let Some(prev) = e.prev.and_then(|p| self.get(&p))
                && let Some(entry) = from.get_mut(prev.key.as_bytes())
                && prev.key != e.key
            {
                entry.2 = Some(entry.2.map_or(e.at, |u| u.min(e.at)));
            }
        }
        self.validity = from
            .into_values()
            .map(|(key, from, until)| KeyValidity { key, from, until })
            .collect();
    }

    /// Whether some accepted event committed to `key` as the next key: the
    /// records it signs before its rotation arrives are the issuer's own.
    pub(crate) fn commits_to(&self, key: &[u8; 32]) -> bool {
        let digest = crate::keys::key_digest(key);
        self.events
            .values()
            .filter_map(|r| as_key_event(r))
            .any(|e| e.next_key_digest == digest)
    }

    pub(crate) fn validity(&self) -> &[KeyValidity] {
        &self.validity
    }

    pub(crate) fn validity_of(&self, key: &[u8; 32]) -> Option<&KeyValidity> {
        self.validity.iter().find(|v| v.key.as_bytes() == key)
    }

    /// The highest sequence number and the ids at it.
    pub(crate) fn head(&self) -> Option<(u64, &[RecordId])> {
        self.by_seq
            .last_key_value()
            .map(|(s, ids)| (*s, ids.as_slice()))
    }

    pub(crate) fn ids(&self) -> impl Iterator<Item = &RecordId> {
        self.events.keys()
    }

    pub(crate) fn records(&self) -> impl Iterator<Item = &Arc<SignedRecord>> {
        self.events.values()
    }

    /// One key event's signed record by id.
    pub(crate) fn record(&self, id: &RecordId) -> Option<&Arc<SignedRecord>> {
        self.events.get(id)
    }
}
