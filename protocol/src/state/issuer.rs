//! Everything a node knows about one issuer.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use imbl::{OrdMap, OrdSet};

use super::keylog::{KeyLog, KeyValidity};
use super::listings::{self, ListingState, Listings};
use super::outcome::EquivocationProof;
use super::prepared::Prepared;
use super::revocations::{Freshness, RevocationSnapshot, Revocations, RevokedEntry, as_head};
use super::summary::{IssuerSummary, KindSummary, SYNCED_KINDS};
use crate::envelope::RecordKind;
use crate::id::RecordId;
use crate::keys::IssuerId;
use crate::record::{Head, IssuerProfile, Record, SignedRecord};

/// The state of one issuer: key log, profile versions, badge classes,
/// revocation registry, head and equivocation proofs.
#[derive(Clone, Debug)]
pub struct IssuerState {
    pub(crate) id: IssuerId,
    pub(crate) keys: KeyLog,
    pub(crate) profiles: OrdMap<u64, Vec<Arc<SignedRecord>>>,
    pub(crate) badge_classes: OrdSet<RecordId>,
    pub(crate) assertions: OrdSet<RecordId>,
    /// Public endorsements this issuer signed (of badge classes and
    /// issuers); those of assertions are held by the registry only.
    pub(crate) endorsements: OrdSet<RecordId>,
    /// Pathways this issuer declared.
    pub(crate) pathways: OrdSet<RecordId>,
    pub(crate) revocations: Revocations,
    pub(crate) listings: Listings,
    pub(crate) equivocations: OrdMap<(RecordId, RecordId), EquivocationProof>,
    /// What sync answers from, built on first use and dropped by
    /// [`IssuerState::changed`]; readers of a snapshot fill it in place.
    prepared: OnceLock<Arc<Prepared>>,
}

/// A comparable picture of an issuer's state, for tests and diagnostics: equal
/// fingerprints mean equal states.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerFingerprint {
    /// Ids of accepted key events.
    pub key_events: BTreeSet<RecordId>,
    /// Ids of every profile version seen.
    pub profiles: BTreeSet<RecordId>,
    /// Id of the current profile.
    pub current_profile: Option<RecordId>,
    /// Badge classes.
    pub badge_classes: BTreeSet<RecordId>,
    /// Revocation updates held.
    pub revocations: BTreeSet<RecordId>,
    /// Revocation checkpoint parts held.
    pub checkpoints: BTreeSet<RecordId>,
    /// Revoked indices.
    pub revoked: Vec<u32>,
    /// The current head.
    pub head: Option<RecordId>,
    /// Public endorsements this issuer signed.
    pub endorsements: BTreeSet<RecordId>,
    /// Listing updates (when the issuer is a trust registry).
    pub listings: BTreeSet<RecordId>,
    /// The current list head.
    pub listing_head: Option<RecordId>,
    /// Equivocation proofs, as id pairs.
    pub equivocations: BTreeSet<(RecordId, RecordId)>,
}

impl IssuerState {
    pub(crate) fn new(id: IssuerId) -> Self {
        IssuerState {
            id,
            keys: KeyLog::default(),
            profiles: OrdMap::new(),
            badge_classes: OrdSet::new(),
            assertions: OrdSet::new(),
            endorsements: OrdSet::new(),
            pathways: OrdSet::new(),
            revocations: Revocations::default(),
            listings: Listings::default(),
            equivocations: OrdMap::new(),
            prepared: OnceLock::new(),
        }
    }

    /// Drops what was prepared for sync: the state changed.
    pub(crate) fn changed(&mut self) {
        self.prepared = OnceLock::new();
    }

    /// The summary and sorted id lists that sync answers from, built once
    /// per change of this issuer (so a `Summaries` or `Ids` request costs a
    /// lookup, not a sort).
    pub fn prepared(&self) -> &Arc<Prepared> {
        self.prepared.get_or_init(|| Arc::new(Prepared::of(self)))
    }

    /// The issuer.
    pub const fn id(&self) -> IssuerId {
        self.id
    }

    /// Every key the issuer has had, with when each was valid.
    pub fn keys(&self) -> &[KeyValidity] {
        self.keys.validity()
    }

    /// The current profile: the highest sequence number (the smaller id if the
    /// issuer equivocated on it).
    pub fn profile(&self) -> Option<&IssuerProfile> {
        self.current_profile_record()
            .and_then(|r| match r.record() {
                Record::IssuerProfile(p) => Some(p),
                _ => None,
            })
    }

    fn current_profile_record(&self) -> Option<&Arc<SignedRecord>> {
        self.profiles
            .get_max()
            .and_then(|(_, v)| v.iter().min_by_key(|r| r.id()))
    }

    pub(crate) fn profile_seq(&self) -> u64 {
        self.profiles.get_max().map_or(0, |(s, _)| *s)
    }

    /// Ids of the public endorsements this issuer signed, in id order.
    pub fn endorsements(&self) -> &OrdSet<RecordId> {
        &self.endorsements
    }

    /// Ids of the issuer's badge classes, in id order.
    pub fn badge_classes(&self) -> &OrdSet<RecordId> {
        &self.badge_classes
    }

    /// Whether `index` is revoked, and by which update (or checkpoint).
    pub fn revoked(&self, index: u32) -> Option<RevokedEntry> {
        self.revocations.is_revoked(index)
    }

    /// Every revoked status index, ascending.
    pub fn revoked_indices(&self) -> impl Iterator<Item = u32> + '_ {
        self.revocations.bitmap().iter()
    }

    /// Every revoked status index, as a set.
    pub fn revoked_set(&self) -> &roaring::RoaringBitmap {
        self.revocations.bitmap()
    }

    /// How many indices are revoked.
    pub fn revoked_count(&self) -> u64 {
        self.revocations.revoked_count()
    }

    /// How fresh the revocation data is.
    pub fn freshness(&self) -> Freshness {
        self.revocations.freshness()
    }

    /// The latest head.
    pub fn head(&self) -> Option<&Head> {
        self.revocations.head_record().and_then(|r| as_head(r))
    }

    /// The revoked set as a snapshot.
    pub fn revocation_snapshot(&self) -> RevocationSnapshot {
        self.revocations.snapshot(self.id)
    }

    /// Proofs that the issuer signed conflicting records.
    pub fn equivocations(&self) -> impl Iterator<Item = &EquivocationProof> {
        self.equivocations.values()
    }

    /// Whether the issuer has equivocated.
    pub fn has_equivocated(&self) -> bool {
        !self.equivocations.is_empty()
    }

    /// What this issuer, as a trust registry, currently says about `subject`.
    pub fn listing(&self, subject: &str) -> Option<&ListingState> {
        self.listings.entry(subject)
    }

    /// Every subject this registry has listed or de-listed, with its state.
    pub fn listings(&self) -> impl Iterator<Item = (&String, &ListingState)> {
        self.listings.entries()
    }

    /// How fresh this registry's list is (sequence number, signed at).
    pub fn listing_freshness(&self) -> Freshness {
        self.listings.freshness()
    }

    /// Whether this registry signed two different lists for one sequence
    /// number: then no entry of its list can be relied on.
    pub fn listings_disputed(&self) -> bool {
        self.listings.disputed()
    }

    /// The latest list head.
    pub fn listing_head(&self) -> Option<&Head> {
        self.listings
            .head_record()
            .and_then(|r| listings::as_head(r))
    }

    /// The current revocation update at `seq`, for sync.
    pub fn revocation_at(&self, seq: u64) -> Option<&Arc<SignedRecord>> {
        self.revocations.at_seq(seq)
    }

    /// Every record of this issuer that a node stores, except badge classes
    /// (held by the registry) and assertions: key events, the current profile,
    /// checkpoint parts, revocation updates, the head, and both sides of every
    /// equivocation.
    pub fn records(&self) -> impl Iterator<Item = &Arc<SignedRecord>> {
        self.keys
            .records()
            .chain(self.profiles.values().flatten())
            .chain(self.revocations.checkpoint_records())
            .chain(self.revocations.records())
            .chain(self.revocations.head_record())
            .chain(self.listings.records())
            .chain(self.listings.head_record())
    }

    /// One stored record of `kind` by id, found through that kind's index
    /// (what a sync `Get` asks for). Badge classes are held by the registry.
    pub fn record(&self, kind: RecordKind, id: &RecordId) -> Option<&Arc<SignedRecord>> {
        match kind {
            RecordKind::KeyEvent => self.keys.record(id),
            RecordKind::IssuerProfile => self.profiles.values().flatten().find(|r| r.id() == *id),
            RecordKind::RevocationUpdate => self.revocations.record(id),
            RecordKind::RevocationCheckpoint => self.revocations.checkpoint_record(id),
            RecordKind::Head => self.revocations.head_record().filter(|r| r.id() == *id),
            RecordKind::ListingUpdate => self.listings.record(id),
            RecordKind::ListingHead => self.listings.head_record().filter(|r| r.id() == *id),
            RecordKind::BadgeClass
            | RecordKind::Assertion
            | RecordKind::Endorsement
            | RecordKind::Pathway => None,
        }
    }

    /// The sorted ids this node holds of one synced kind: every key event,
    /// the current profile version (superseded ones are not stored), every
    /// badge class, the checkpoint parts held and the revocation updates
    /// after the latest complete checkpoint.
    pub fn ids(&self, kind: RecordKind) -> Vec<RecordId> {
        let mut ids: Vec<RecordId> = match kind {
            RecordKind::KeyEvent => self.keys.ids().collect(),
            RecordKind::IssuerProfile => self
                .profiles
                .get_max()
                .map(|(_, v)| v.iter().map(|r| r.id()).collect())
                .unwrap_or_default(),
            RecordKind::BadgeClass => self.badge_classes.iter().copied().collect(),
            RecordKind::RevocationUpdate => self.revocations.tail_ids(),
            RecordKind::RevocationCheckpoint => self
                .revocations
                .checkpoint_records()
                .map(|r| r.id())
                .collect(),
            RecordKind::Head => self
                .revocations
                .head_record()
                .map(|r| r.id())
                .into_iter()
                .collect(),
            RecordKind::ListingUpdate => self.listings.ids().copied().collect(),
            RecordKind::ListingHead => self
                .listings
                .head_record()
                .map(|r| r.id())
                .into_iter()
                .collect(),
            RecordKind::Endorsement => self.endorsements.iter().copied().collect(),
            RecordKind::Pathway => self.pathways.iter().copied().collect(),
            RecordKind::Assertion => Vec::new(),
        };
        ids.sort_unstable();
        ids
    }

    /// Ids of revocation updates with a sequence number of at least `from`,
    /// in sequence order.
    pub fn revocation_ids_from(&self, from: u64) -> Vec<RecordId> {
        self.revocations.ids_from(from)
    }

    /// Ids of listing updates with a sequence number of at least `from`, in
    /// sequence order.
    pub fn listing_ids_from(&self, from: u64) -> Vec<RecordId> {
        self.listings.ids_from(from)
    }

    /// The sync summary, as prepared (built on first use after a change).
    pub fn summary(&self) -> IssuerSummary {
        self.prepared().summary.clone()
    }

    /// Computes the sync summary from the state.
    pub(crate) fn compute_summary(&self) -> IssuerSummary {
        let kinds = SYNCED_KINDS
            .iter()
            .enumerate()
            .map(|(i, kind)| {
                let max_seq = match kind {
                    RecordKind::KeyEvent => self.keys.head().map_or(0, |(s, _)| s),
                    RecordKind::IssuerProfile => self.profile_seq(),
                    RecordKind::RevocationUpdate => self.revocations.max_seq(),
                    RecordKind::RevocationCheckpoint => self.revocations.base_seq(),
                    RecordKind::ListingUpdate => self.listings.max_seq(),
                    _ => 0,
                };
                KindSummary::of(i as u8, max_seq, &self.ids(*kind))
            })
            .collect();
        IssuerSummary {
            issuer: self.id,
            kinds,
            head_at: self.head().map(|h| h.at),
            equivocations: self.equivocations.len() as u64,
            listing_head_at: self.listing_head().map(|h| h.at),
        }
    }

    /// A comparable picture of the state.
    pub fn fingerprint(&self) -> IssuerFingerprint {
        IssuerFingerprint {
            key_events: self.keys.ids().collect(),
            profiles: self.profiles.values().flatten().map(|r| r.id()).collect(),
            current_profile: self.current_profile_record().map(|r| r.id()),
            badge_classes: self.badge_classes.iter().copied().collect(),
            revocations: self.revocations.ids().copied().collect(),
            checkpoints: self
                .revocations
                .checkpoint_records()
                .map(|r| r.id())
                .collect(),
            revoked: self.revocations.bitmap().iter().collect(),
            head: self.revocations.head_record().map(|r| r.id()),
            endorsements: self.endorsements.iter().copied().collect(),
            listings: self.listings.ids().copied().collect(),
            listing_head: self.listings.head_record().map(|r| r.id()),
            equivocations: self.equivocations.keys().copied().collect(),
        }
    }
}
