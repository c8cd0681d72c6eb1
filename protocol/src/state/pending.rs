//! Records held until what they depend on arrives, bounded per issuer and in
//! total so that nobody can make a node hold unbounded junk.

use std::sync::Arc;

// Persistent collections: the registry is cloned per commit (see `Registry`),
// so the pool must not cost a copy of every held record each time.
use imbl::{HashMap, Vector as VecDeque};

use super::outcome::Gap;
use crate::id::RecordId;
use crate::keys::IssuerId;
use crate::limits::{MAX_PENDING_PER_ISSUER, MAX_PENDING_TOTAL};
use crate::record::SignedRecord;

#[derive(Clone, Debug, Default)]
pub(crate) struct Pending {
    by_id: HashMap<RecordId, (Arc<SignedRecord>, Gap)>,
    by_issuer: HashMap<IssuerId, Vec<RecordId>>,
    /// Arrival order for evicting the oldest; may hold ids already taken.
    order: VecDeque<RecordId>,
}

impl Pending {
    pub(crate) fn gap_of(&self, id: &RecordId) -> Option<Gap> {
        self.by_id.get(id).map(|(_, g)| *g)
    }

    /// Holds `rec`; false if its issuer already has the most records held.
    pub(crate) fn hold(&mut self, rec: Arc<SignedRecord>, gap: Gap) -> bool {
        let issuer = rec.record().issuer();
        let list = self.by_issuer.entry(issuer).or_default();
        if list.len() >= MAX_PENDING_PER_ISSUER {
            return false;
        }
        list.push(rec.id());
        self.order.push_back(rec.id());
        self.by_id.insert(rec.id(), (rec, gap));
        while self.by_id.len() > MAX_PENDING_TOTAL {
            self.evict_oldest();
        }
        if self.order.len() > 2 * MAX_PENDING_TOTAL {
            let by_id = &self.by_id;
            self.order.retain(|id| by_id.contains_key(id));
        }
        true
    }

    fn evict_oldest(&mut self) {
        while let Some(id) = self.order.pop_front() {
            if let Some((rec, _)) = self.by_id.remove(&id) {
                let issuer = rec.record().issuer();
                if let Some(list) = self.by_issuer.get_mut(&issuer) {
                    list.retain(|x| *x != id);
                    if list.is_empty() {
                        self.by_issuer.remove(&issuer);
                    }
                }
                return;
            }
        }
    }

    /// Removes and returns every record held for `issuer`, oldest first.
    pub(crate) fn take_issuer(&mut self, issuer: &IssuerId) -> Vec<Arc<SignedRecord>> {
        let Some(ids) = self.by_issuer.remove(issuer) else {
            return Vec::new();
        };
        ids.iter()
            .filter_map(|id| self.by_id.remove(id).map(|(r, _)| r))
            .collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.by_id.len()
    }

    pub(crate) fn gaps(&self) -> Vec<Gap> {
        let mut gaps: Vec<Gap> = Vec::new();
        for (_, g) in self.by_id.values() {
            if !gaps.contains(g) {
                gaps.push(*g);
            }
        }
        gaps
    }
}
