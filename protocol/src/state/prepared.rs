//! What sync answers from, prepared once per change of an issuer.
//!
//! A peer may ask for summaries and id lists as often as its rate allows;
//! recomputing them per request made every `Summaries` page cost a sort and a
//! hash of every id of every issuer. Instead each issuer's state keeps a
//! [`Prepared`] that is built on first use and dropped when the issuer
//! changes, so a request costs lookups and slices.

use std::sync::Arc;

use super::issuer::IssuerState;
use super::summary::{IssuerSummary, SYNCED_KINDS};
use crate::envelope::RecordKind;
use crate::id::RecordId;

/// One issuer's sync summary and the sorted id lists it was computed from.
#[derive(Debug)]
pub struct Prepared {
    /// The summary sent in `Summaries` pages.
    pub summary: IssuerSummary,
    /// Sorted ids per kind of [`SYNCED_KINDS`], in that order.
    sorted: [Arc<[RecordId]>; SYNCED_KINDS.len()],
    /// Revocation updates in sequence order with their sequence numbers
    /// (what an `Ids` request with `from_seq` pages through).
    revocations_by_seq: Arc<[(u64, RecordId)]>,
}

impl Prepared {
    /// Builds it from the state (once per change).
    pub(crate) fn of(state: &IssuerState) -> Prepared {
        let sorted = SYNCED_KINDS.map(|kind| Arc::from(state.ids(kind)));
        let revocations_by_seq = state.revocations.seq_ids().collect::<Vec<_>>().into();
        Prepared {
            summary: state.compute_summary(),
            sorted,
            revocations_by_seq,
        }
    }

    /// The sorted ids of a synced kind (empty for other kinds).
    pub fn ids(&self, kind: RecordKind) -> &[RecordId] {
        SYNCED_KINDS
            .iter()
            .position(|k| *k == kind)
            .and_then(|i| self.sorted.get(i))
            .map_or(&[], |ids| ids)
    }

    /// Ids of revocation updates with a sequence number of at least `from`,
    /// in sequence order, skipping `offset` of them, at most `limit`; and
    /// whether more follow. O(log n + limit).
    pub fn revocations_from(&self, from: u64, offset: usize, limit: usize) -> (Vec<RecordId>, bool) {
        let all = &self.revocations_by_seq;
        let start = all
            .partition_point(|(seq, _)| *seq < from)
            .saturating_add(offset)
            .min(all.len());
        let end = start.saturating_add(limit).min(all.len());
        let page = all[start..end].iter().map(|(_, id)| *id).collect();
        (page, end < all.len())
    }
}
