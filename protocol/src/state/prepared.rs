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
    /// Listing updates likewise (when the issuer is a trust registry).
    listings_by_seq: Arc<[(u64, RecordId)]>,
}

impl Prepared {
    /// Builds it from the state (once per change).
    pub(crate) fn of(state: &IssuerState) -> Prepared {
        let sorted = SYNCED_KINDS.map(|kind| Arc::from(state.ids(kind)));
        let revocations_by_seq = state.revocations.seq_ids().collect::<Vec<_>>().into();
        let listings_by_seq = state.listings.seq_ids().collect::<Vec<_>>().into();
        Prepared {
            summary: state.compute_summary(),
            sorted,
            revocations_by_seq,
            listings_by_seq,
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
    pub fn revocations_from(
        &self,
        from: u64,
        offset: usize,
        limit: usize,
    ) -> (Vec<RecordId>, bool) {
        page_from(&self.revocations_by_seq, from, offset, limit)
    }

    /// Ids of listing updates from sequence number `from`, like
    /// [`Prepared::revocations_from`].
    pub fn listings_from(&self, from: u64, offset: usize, limit: usize) -> (Vec<RecordId>, bool) {
        page_from(&self.listings_by_seq, from, offset, limit)
    }
}

fn page_from(
    all: &[(u64, RecordId)],
    from: u64,
    offset: usize,
    limit: usize,
) -> (Vec<RecordId>, bool) {
    let start = all
        .partition_point(|(seq, _)| *seq < from)
        .saturating_add(offset)
        .min(all.len());
    let end = start.saturating_add(limit).min(all.len());
    let page = all[start..end].iter().map(|(_, id)| *id).collect();
    (page, end < all.len())
}

#[cfg(test)]
mod tests {
    use crate::envelope::RecordKind;
    use crate::state::{Registry, SYNCED_KINDS};
    use crate::testkit::Issuer;
    use crate::time::Timestamp;

    const T0: Timestamp = Timestamp(1_800_000_000);

    /// What was prepared always equals what the state computes now.
    fn check(reg: &Registry, issuer: &mut Issuer) {
        let state = reg.issuer(&issuer.inner().id()).expect("known");
        assert_eq!(state.summary(), state.compute_summary());
        for kind in SYNCED_KINDS {
            assert_eq!(state.prepared().ids(kind), state.ids(kind).as_slice());
        }
        let (from_2, _) = state.prepared().revocations_from(2, 0, usize::MAX);
        assert_eq!(from_2, state.revocation_ids_from(2));
    }

    #[test]
    fn prepared_data_follows_every_change() {
        let mut issuer = Issuer::new(7, T0);
        let mut reg = Registry::new();
        for r in issuer.genesis() {
            reg.apply(r, T0);
            check(&reg, &mut issuer);
        }
        let mut fork = issuer.clone();
        for n in 0..5u32 {
            reg.apply(issuer.revoke(&[n]), T0);
            check(&reg, &mut issuer);
        }
        let (badge, _) = issuer.badge_class("B");
        reg.apply(badge.clone(), T0);
        check(&reg, &mut issuer);
        // An award does not drop what was prepared: assertions are not synced.
        let before =
            std::sync::Arc::clone(reg.issuer(&issuer.inner().id()).expect("known").prepared());
        reg.apply(issuer.award(&badge, "ada@example.org"), T0);
        let after = reg.issuer(&issuer.inner().id()).expect("known").prepared();
        assert!(std::sync::Arc::ptr_eq(&before, after));
        check(&reg, &mut issuer);
        reg.apply(issuer.profile("Renamed"), T0);
        check(&reg, &mut issuer);
        // An equivocation at revocation 2 changes the digest, not the height.
        let _ = fork.revoke(&[0]);
        let outcome = reg.apply(fork.revoke(&[99]), T0).outcome;
        assert!(matches!(outcome, crate::state::Outcome::Equivocation(_)));
        check(&reg, &mut issuer);
        reg.apply(issuer.rotate(), T0);
        check(&reg, &mut issuer);
        let state = reg.issuer(&issuer.inner().id()).expect("known");
        assert!(state.has_equivocated());
        assert_eq!(state.prepared().ids(RecordKind::RevocationUpdate).len(), 6);
    }

    #[test]
    fn a_clone_is_a_snapshot() {
        let mut issuer = Issuer::new(8, T0);
        let mut reg = Registry::new();
        for r in issuer.genesis() {
            reg.apply(r, T0);
        }
        let id = issuer.inner().id();
        let before = reg.issuer(&id).expect("known").summary();
        let snapshot = reg.clone();
        let update = issuer.revoke(&[4]);
        let update_id = update.id();
        reg.apply(update, T0);
        assert!(reg.knows(&update_id) && !snapshot.knows(&update_id));
        let old = snapshot.issuer(&id).expect("known");
        assert_eq!(old.summary(), before, "the snapshot's summary did not move");
        assert!(old.revoked(4).is_none());
        assert!(reg.issuer(&id).expect("known").revoked(4).is_some());
    }
}
