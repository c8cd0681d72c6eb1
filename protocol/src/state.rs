//! The issuer state machine: what a node believes, built only from records it
//! has checked.
//!
//! [`Registry::apply`] takes a [`SignedRecord`] and the current time and returns
//! an [`Outcome`] as a value. It enforces the key history (a record must be
//! signed by a key valid for its issuer at the record's time), pre-rotation,
//! monotonic sequence numbers, the hash chain of revocation updates, gaps (a
//! record whose predecessor or issuer is missing is held and applied when that
//! arrives, never out of order) and equivocation (two records for one issuer,
//! kind and sequence number are both kept as proof).
//!
//! The state is a function of the *set* of records applied, not of their order:
//! revoked sets are unions, key validity is recomputed from the whole key log,
//! current versions are chosen by (sequence, id). Property tests check this.
//!
//! One known order effect: a record signed by a key *after* that key was rotated
//! away is rejected when the rotation is already known, but accepted if it
//! arrives first. Key rotation protects the future, not records already accepted.

mod chain;
mod checkpoints;
mod issuer;
mod keylog;
mod listings;
mod outcome;
mod pathways;
mod pending;
mod prepared;
mod revocations;
mod shared;
mod summary;

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashSet};

use imbl::{OrdMap, OrdSet};

use std::sync::Arc;

pub use issuer::{IssuerFingerprint, IssuerState};
pub use keylog::KeyValidity;
pub use listings::ListingState;
pub use outcome::{EquivocationProof, Gap, Outcome, Rejection};
pub use prepared::Prepared;
pub use revocations::{Freshness, RevocationSnapshot, RevokedEntry, SnapshotError};
pub use summary::{IssuerSummary, KindSummary, SYNCED_KINDS};

use crate::envelope::RecordKind;
use crate::id::RecordId;
use crate::keys::{IssuerId, PublicKey};
use crate::limits::MAX_CLOCK_SKEW_SECS;
use crate::record::{
    BadgeClass, Endorsement, EndorsementSubject, KeyEvent, Record, RevocationUpdate, SignedRecord,
};
use crate::time::Timestamp;
use pending::{Pending, Voucher};
use shared::Shared;

/// What applying a record did: its own outcome, and the outcomes of held
/// records that it released.
#[derive(Clone, Debug)]
pub struct ApplyReport {
    /// The outcome of the record applied.
    pub outcome: Outcome,
    /// Records that were pending and have now been applied, with their outcomes.
    /// Store those whose outcome [`Outcome::is_stored`].
    pub released: Vec<(Arc<SignedRecord>, Outcome)>,
    /// Records the state no longer holds because a checkpoint completed by
    /// this call covers them (revocation updates, older checkpoint parts):
    /// keep them out of what is replayed at start-up.
    pub forgotten: Vec<Arc<SignedRecord>>,
}

/// Where a signing key belongs, for fast lookups during verification.
#[derive(Clone, Copy, Debug)]
pub struct KeyEntry {
    /// The issuer it signs for.
    pub issuer: IssuerId,
    /// The checked key.
    pub key: PublicKey,
}

/// What a node is willing to store for issuers it did not choose to follow.
///
/// Anyone can make an issuer key, so without a bound an unknown issuer could
/// make every node store unbounded records. Followed issuers are exempt.
/// Refusals are [`Rejection::OverQuota`]: a policy, not a verdict on validity.
/// Usage is counted as records are applied, so a check costs a few lookups,
/// never a scan of all issuers.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Issuers the operator chose; no quota applies to them.
    pub follow: HashSet<IssuerId>,
    /// Records kept per issuer that is not followed.
    pub max_records_per_issuer: usize,
    /// Envelope bytes kept per issuer that is not followed.
    pub max_bytes_per_issuer: u64,
    /// Envelope bytes kept for all issuers that are not followed together.
    pub max_bytes_unfollowed: u64,
    /// Issuers known at most (followed ones do not count against it).
    pub max_issuers: usize,
    /// Trust registries the operator follows: only their listing updates and
    /// list heads are stored and forwarded. A listing is a claim about
    /// someone else's identity; relaying those of registries nobody here
    /// believes would only lend them reach.
    pub registries: HashSet<IssuerId>,
}

impl Policy {
    /// Whether this node keeps records of `kind` from `issuer`.
    pub fn carries(&self, issuer: &IssuerId, kind: RecordKind) -> bool {
        !matches!(kind, RecordKind::ListingUpdate | RecordKind::ListingHead)
            || self.registries.contains(issuer)
    }
}

impl Policy {
    /// Records per unfollowed issuer by default: more than a busy issuer's
    /// badge classes, profiles, key events and revocation updates in years.
    pub const DEFAULT_MAX_RECORDS_PER_ISSUER: usize = 10_000;
    /// Bytes per unfollowed issuer by default (4 MiB): about 4,000 records of
    /// a typical kilobyte, so one free key costs a node at most that.
    pub const DEFAULT_MAX_BYTES_PER_ISSUER: u64 = 4 * 1024 * 1024;
    /// Bytes for all unfollowed issuers by default (256 MiB): with the
    /// in-memory indexes about twice that in RAM, which a laptop survives.
    pub const DEFAULT_MAX_BYTES_UNFOLLOWED: u64 = 256 * 1024 * 1024;
    /// Unfollowed issuers by default.
    pub const DEFAULT_MAX_ISSUERS: usize = 10_000;
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            follow: HashSet::new(),
            max_records_per_issuer: Policy::DEFAULT_MAX_RECORDS_PER_ISSUER,
            max_bytes_per_issuer: Policy::DEFAULT_MAX_BYTES_PER_ISSUER,
            max_bytes_unfollowed: Policy::DEFAULT_MAX_BYTES_UNFOLLOWED,
            max_issuers: Policy::DEFAULT_MAX_ISSUERS,
            registries: HashSet::new(),
        }
    }
}

/// Room (bytes) below which [`Registry::is_over_quota`] calls a quota full:
/// about one typical record.
pub const QUOTA_ROOM: u64 = 1024;

/// What one issuer's applied records take, for its quota.
#[derive(Clone, Copy, Debug, Default)]
struct Usage {
    records: usize,
    bytes: u64,
}

/// All issuers a node knows, their keys and badge classes, and held records.
///
/// Cloning is cheap: the collections are persistent (`imbl`) and each
/// issuer's state is shared until written, so a clone costs a few reference
/// counts and a later write copies only the paths it changes. The node relies
/// on this to publish an immutable snapshot after every commit, which readers
/// (verification, sync answers, the API) use without any lock.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    policy: Policy,
    usage: OrdMap<IssuerId, Usage>,
    /// Issuers known that are not followed.
    unfollowed_issuers: usize,
    /// Bytes of records applied for issuers that are not followed.
    unfollowed_bytes: u64,
    issuers: OrdMap<IssuerId, Shared<IssuerState>>,
    keys: OrdMap<[u8; 32], KeyEntry>,
    badge_classes: OrdMap<RecordId, Arc<SignedRecord>>,
    /// Every endorsement held (public and private), by id.
    endorsements: OrdMap<RecordId, Arc<SignedRecord>>,
    /// Endorsement ids by what they endorse, newest first, so that a verdict
    /// finds the newest of a badge class, issuer or assertion in O(log n)
    /// however many there are (anyone can endorse anything).
    endorsed: OrdMap<EndorsementSubject, OrdSet<(Reverse<Timestamp>, RecordId)>>,
    /// Endorsement ids by subject and endorser: those of the issuers the
    /// operator follows are found without a scan.
    endorsed_by: OrdMap<(EndorsementSubject, IssuerId), OrdSet<RecordId>>,
    /// Every pathway held, by id, and by goal and by prerequisite.
    pathways: pathways::PathwayIndex,
    known: OrdSet<RecordId>,
    pending: Pending,
    /// Filled by a completed checkpoint during one `apply`, taken by it.
    forgotten: Vec<Arc<SignedRecord>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Registry::default()
    }

    /// An empty registry with a storage policy.
    pub fn with_policy(policy: Policy) -> Self {
        Registry {
            policy,
            ..Registry::default()
        }
    }

    /// The storage policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Follows a trust registry from now on: its listings are kept. Listings
    /// refused before are not here; sync fetches them again.
    pub fn follow_registry(&mut self, registry: IssuerId) {
        self.policy.registries.insert(registry);
    }

    /// Stops following a registry. Its listings already held stay (the state
    /// is a function of the records held); verdicts stop believing them.
    pub fn unfollow_registry(&mut self, registry: &IssuerId) {
        self.policy.registries.remove(registry);
    }

    /// Issuers no quota applies to: those the operator follows, and the
    /// trust registries it follows (their lists grow with what they vouch
    /// for). Their bytes still count in the total, which errs on the safe
    /// side when a registry is followed later.
    fn exempt(&self, issuer: &IssuerId) -> bool {
        self.policy.follow.contains(issuer) || self.policy.registries.contains(issuer)
    }

    fn over_quota(&self, rec: &SignedRecord) -> bool {
        let issuer = rec.record().issuer();
        if self.exempt(&issuer) {
            return false;
        }
        let size = rec.bytes().len() as u64;
        if !self.issuers.contains_key(&issuer) {
            return self.unfollowed_issuers >= self.policy.max_issuers
                || self.unfollowed_bytes + size > self.policy.max_bytes_unfollowed;
        }
        if matches!(rec.kind(), RecordKind::Head | RecordKind::ListingHead) {
            // A head replaces the previous one; it does not accumulate.
            return false;
        }
        let used = self.usage.get(&issuer).copied().unwrap_or_default();
        used.records >= self.policy.max_records_per_issuer
            || used.bytes + size > self.policy.max_bytes_per_issuer
            || self.unfollowed_bytes + size > self.policy.max_bytes_unfollowed
    }

    /// Whether new records of `issuer` (other than heads) would be refused
    /// as over quota: no record slot or less than [`QUOTA_ROOM`] bytes left.
    /// Sync skips such issuers instead of fetching what it would refuse.
    pub fn is_over_quota(&self, issuer: &IssuerId) -> bool {
        if self.exempt(issuer) {
            return false;
        }
        let full = |used: u64, max: u64| used.saturating_add(QUOTA_ROOM) > max;
        let total_full = full(self.unfollowed_bytes, self.policy.max_bytes_unfollowed);
        if !self.issuers.contains_key(issuer) {
            return self.unfollowed_issuers >= self.policy.max_issuers || total_full;
        }
        let used = self.usage.get(issuer).copied().unwrap_or_default();
        used.records >= self.policy.max_records_per_issuer
            || full(used.bytes, self.policy.max_bytes_per_issuer)
            || total_full
    }

    /// Envelope bytes applied for issuers this node does not follow.
    pub fn unfollowed_bytes(&self) -> u64 {
        self.unfollowed_bytes
    }

    /// Marks a record as applied and counts it against its issuer's quota.
    fn remember(&mut self, rec: &SignedRecord) {
        if self.known.insert(rec.id()).is_none() {
            let issuer = rec.record().issuer();
            let size = rec.bytes().len() as u64;
            let used = self.usage.entry(issuer).or_default();
            used.records += 1;
            used.bytes += size;
            if !self.policy.follow.contains(&issuer) {
                self.unfollowed_bytes += size;
            }
        }
    }

    /// Uncounts a record the state forgot (a checkpoint covers it) and
    /// forgets its id, so that memory does not grow with history either: if
    /// it comes again it is checked against the checkpoint and is `Stale`.
    fn forget(&mut self, rec: &SignedRecord) {
        self.known.remove(&rec.id());
        let issuer = rec.record().issuer();
        let size = rec.bytes().len() as u64;
        if let Some(used) = self.usage.get_mut(&issuer) {
            used.records = used.records.saturating_sub(1);
            used.bytes = used.bytes.saturating_sub(size);
        }
        if !self.policy.follow.contains(&issuer) {
            self.unfollowed_bytes = self.unfollowed_bytes.saturating_sub(size);
        }
    }

    /// Whether the signer of `rec` is already bound to the issuer it claims
    /// (a key in its log, or one its rotations committed to). A record that
    /// waits without this could have been made by anyone.
    pub fn vouches_for(&self, rec: &SignedRecord) -> bool {
        self.voucher(rec) != Voucher::Unvouched
    }

    /// Which pending pool `rec` may use: only a known issuer's own keys (in
    /// its log, or committed to by a rotation) vouch for a record; anything
    /// else anyone could have made, including a new issuer's records.
    fn voucher(&self, rec: &SignedRecord) -> Voucher {
        let issuer = rec.record().issuer();
        let signer = rec.signer();
        let bound = self
            .issuers
            .get(&issuer)
            .is_some_and(|s| s.keys.validity_of(signer).is_some() || s.keys.commits_to(signer));
        match (bound, self.policy.follow.contains(&issuer)) {
            (false, _) => Voucher::Unvouched,
            (true, true) => Voucher::Followed,
            (true, false) => Voucher::Vouched,
        }
    }

    /// Applies one record at time `now` (which only bounds how far in the future
    /// a record may be dated).
    pub fn apply(&mut self, record: SignedRecord, now: Timestamp) -> ApplyReport {
        let record = Arc::new(record);
        let issuer = record.record().issuer();
        // Assertions and their endorsements are not synced: they leave the
        // summary as it is.
        let synced = match record.record() {
            Record::Assertion(_) => false,
            Record::Endorsement(e) => e.subject.is_public(),
            _ => true,
        };
        let outcome = self.apply_one(record, now);
        let mut released = Vec::new();
        if outcome.is_stored() {
            self.release(issuer, now, &mut released);
        }
        if (synced && changes_state(&outcome)) || !released.is_empty() {
            // What sync answers from (summary, sorted ids) is rebuilt on the
            // next request; issuers that did not change keep theirs.
            if let Some(s) = self.issuers.get_mut(&issuer) {
                s.changed();
            }
        }
        ApplyReport {
            outcome,
            released,
            forgotten: std::mem::take(&mut self.forgotten),
        }
    }

    /// Retries the held records of `issuer` until none makes progress.
    fn release(
        &mut self,
        issuer: IssuerId,
        now: Timestamp,
        out: &mut Vec<(Arc<SignedRecord>, Outcome)>,
    ) {
        loop {
            let waiting = self.pending.take_issuer(&issuer);
            if waiting.is_empty() {
                return;
            }
            let mut progress = false;
            for rec in waiting {
                let outcome = self.apply_one(rec.clone(), now);
                if !matches!(outcome, Outcome::Pending(_)) {
                    progress = true;
                    out.push((rec, outcome));
                }
            }
            if !progress {
                return;
            }
        }
    }

    fn apply_one(&mut self, rec: Arc<SignedRecord>, now: Timestamp) -> Outcome {
        let at = rec.record().time();
        if at > now.plus(MAX_CLOCK_SKEW_SECS) {
            return Outcome::Rejected(Rejection::FromFuture { at, now });
        }
        if self.known.contains(&rec.id()) {
            return Outcome::Duplicate;
        }
        if let Some(gap) = self.pending.gap_of(&rec.id()) {
            return Outcome::Pending(gap);
        }
        if !self.policy.carries(&rec.record().issuer(), rec.kind()) {
            return Outcome::Rejected(Rejection::NotFollowed);
        }
        if self.over_quota(&rec) {
            return Outcome::Rejected(Rejection::OverQuota);
        }
        if let Record::KeyEvent(e) = rec.record() {
            let e = e.clone();
            return self.apply_key_event(rec, &e);
        }
        let issuer = rec.record().issuer();
        let Some(state) = self.issuers.get(&issuer) else {
            return self.hold(rec, Gap::UnknownIssuer(issuer));
        };
        match state.keys.validity_of(rec.signer()) {
            Some(v) if !v.covers(at) => return Outcome::Rejected(Rejection::KeyNotValidAt(at)),
            Some(_) => {}
            None => {
                return match self.keys.get(rec.signer()) {
                    Some(owner) if owner.issuer != issuer => {
                        Outcome::Rejected(Rejection::KeyOfOtherIssuer)
                    }
                    _ => self.hold(rec, Gap::UnknownKey(issuer)),
                };
            }
        }
        match rec.record().kind() {
            RecordKind::IssuerProfile => self.apply_profile(rec),
            RecordKind::BadgeClass => {
                self.remember(&rec);
                if let Some(s) = self.issuers.get_mut(&issuer) {
                    s.badge_classes.insert(rec.id());
                }
                self.badge_classes.insert(rec.id(), rec);
                Outcome::Accepted
            }
            RecordKind::Assertion => {
                self.remember(&rec);
                if let Some(s) = self.issuers.get_mut(&issuer) {
                    s.assertions.insert(rec.id());
                }
                Outcome::Accepted
            }
            RecordKind::Endorsement => self.apply_endorsement(rec),
            RecordKind::Pathway => self.apply_pathway(rec),
            RecordKind::RevocationUpdate | RecordKind::ListingUpdate => self.apply_chained(rec),
            RecordKind::RevocationCheckpoint => self.apply_checkpoint(rec),
            RecordKind::Head | RecordKind::ListingHead => self.apply_head(rec),
            RecordKind::KeyEvent => Outcome::Duplicate,
        }
    }

    /// An endorsement: immutable, kept under its endorser (for sync and the
    /// quota) and under its subject (for verdicts). The subject need not be
    /// known here: endorsing is the endorser's statement, and requiring the
    /// subject first would make the state depend on arrival order.
    fn apply_endorsement(&mut self, rec: Arc<SignedRecord>) -> Outcome {
        let Record::Endorsement(e) = rec.record() else {
            return Outcome::Duplicate;
        };
        let (issuer, subject, at) = (e.issuer, e.subject, e.at);
        self.remember(&rec);
        if subject.is_public()
            && let Some(s) = self.issuers.get_mut(&issuer)
        {
            s.endorsements.insert(rec.id());
        }
        self.endorsed
            .entry(subject)
            .or_default()
            .insert((Reverse(at), rec.id()));
        self.endorsed_by
            .entry((subject, issuer))
            .or_default()
            .insert(rec.id());
        self.endorsements.insert(rec.id(), rec);
        Outcome::Accepted
    }

    fn hold(&mut self, rec: Arc<SignedRecord>, gap: Gap) -> Outcome {
        let voucher = self.voucher(&rec);
        if self.pending.hold(rec, gap, voucher) {
            Outcome::Pending(gap)
        } else {
            Outcome::Rejected(Rejection::PendingFull)
        }
    }

    fn apply_key_event(&mut self, rec: Arc<SignedRecord>, e: &KeyEvent) -> Outcome {
        let issuer = e.issuer;
        if let Some(owner) = self.keys.get(e.key.as_bytes())
            && owner.issuer != issuer
        {
            return Outcome::Rejected(Rejection::KeyOfOtherIssuer);
        }
        if let Some(prev_id) = e.prev {
            let Some(state) = self.issuers.get(&issuer) else {
                return self.hold(rec, Gap::UnknownIssuer(issuer));
            };
            let Some(prev) = state.keys.get(&prev_id) else {
                return self.hold(
                    rec,
                    Gap::MissingKeyEvent {
                        issuer,
                        seq: e.seq - 1,
                    },
                );
            };
            if prev.seq + 1 != e.seq {
                return Outcome::Rejected(Rejection::BrokenChain(prev_id));
            }
            if e.key.digest() != prev.next_key_digest {
                return Outcome::Rejected(Rejection::PreRotationMismatch);
            }
            if e.at < prev.at {
                return Outcome::Rejected(Rejection::TimeWentBackwards);
            }
        }
        if !self.issuers.contains_key(&issuer) && !self.policy.follow.contains(&issuer) {
            self.unfollowed_issuers += 1;
        }
        let state = self
            .issuers
            .entry(issuer)
            .or_insert_with(|| Shared::new(IssuerState::new(issuer)));
        let conflict = state.keys.at_seq(e.seq).next().cloned();
        state.keys.insert(rec.clone());
        self.keys
            .insert(*e.key.as_bytes(), KeyEntry { issuer, key: e.key });
        self.remember(&rec);
        self.record_conflict(RecordKind::KeyEvent, e.seq, rec, conflict)
    }

    fn record_conflict(
        &mut self,
        kind: RecordKind,
        seq: u64,
        rec: Arc<SignedRecord>,
        conflict: Option<Arc<SignedRecord>>,
    ) -> Outcome {
        let Some(other) = conflict else {
            return Outcome::Accepted;
        };
        let proof = EquivocationProof::new(kind, seq, rec, other);
        if let Some(s) = self.issuers.get_mut(&proof.issuer) {
            s.equivocations.insert(proof.ids(), proof.clone());
        }
        Outcome::Equivocation(proof)
    }

    fn apply_profile(&mut self, rec: Arc<SignedRecord>) -> Outcome {
        let Record::IssuerProfile(p) = rec.record() else {
            return Outcome::Duplicate;
        };
        let (issuer, seq) = (p.issuer, p.seq);
        let Some(state) = self.issuers.get_mut(&issuer) else {
            return Outcome::Duplicate;
        };
        let current = state.profile_seq();
        let slot = state.profiles.entry(seq).or_default();
        let conflict = slot.first().cloned();
        slot.push(rec.clone());
        self.remember(&rec);
        match self.record_conflict(RecordKind::IssuerProfile, seq, rec, conflict) {
            Outcome::Accepted if seq < current => Outcome::Stale { current },
            other => other,
        }
    }

    /// A revocation update or a listing update: a numbered update that names
    /// its predecessor in one chain of its issuer's.
    fn apply_chained(&mut self, rec: Arc<SignedRecord>) -> Outcome {
        let (kind, issuer, seq, prev, at) = match rec.record() {
            Record::RevocationUpdate(u) => {
                (RecordKind::RevocationUpdate, u.issuer, u.seq, u.prev, u.at)
            }
            Record::ListingUpdate(u) => {
                (RecordKind::ListingUpdate, u.registry, u.seq, u.prev, u.at)
            }
            _ => return Outcome::Duplicate,
        };
        let mut continues_base = false;
        if let Record::RevocationUpdate(u) = rec.record() {
            match self.against_checkpoints(&rec, u) {
                Checked::Decided(outcome) => return outcome,
                Checked::ContinuesBase => continues_base = true,
                Checked::Chained => {}
            }
        }
        let Some(state) = self.issuers.get(&issuer) else {
            return Outcome::Duplicate;
        };
        let revocations = kind == RecordKind::RevocationUpdate;
        if let Some(prev_id) = prev.filter(|_| !continues_base) {
            let held = if revocations {
                state.revocations.update(&prev_id).map(|p| (p.seq, p.at))
            } else {
                state.listings.update(&prev_id).map(|p| (p.seq, p.at))
            };
            let Some((prev_seq, prev_at)) = held else {
                let gap = if revocations {
                    Gap::MissingRevocation {
                        issuer,
                        seq: seq - 1,
                    }
                } else {
                    Gap::MissingListing {
                        registry: issuer,
                        seq: seq - 1,
                    }
                };
                return self.hold(rec, gap);
            };
            if prev_seq + 1 != seq {
                return Outcome::Rejected(Rejection::BrokenChain(prev_id));
            }
            if at < prev_at {
                return Outcome::Rejected(Rejection::TimeWentBackwards);
            }
        }
        let conflict = if revocations {
            state.revocations.at_seq(seq).cloned()
        } else {
            state.listings.at_seq(seq).cloned()
        };
        if let Some(s) = self.issuers.get_mut(&issuer) {
            if revocations {
                s.revocations.insert(rec.clone());
            } else {
                s.listings.insert(rec.clone());
            }
        }
        self.remember(&rec);
        self.record_conflict(kind, seq, rec, conflict)
    }

    /// What the checkpoints held say about revocation update `u`: it
    /// contradicts one (kept as proof, with its indices revoked: fail safe),
    /// the base already covers it (not kept), it continues the base (its
    /// predecessor is the update the base names, which this node need not
    /// hold), or none of these (chained as usual).
    fn against_checkpoints(&mut self, rec: &Arc<SignedRecord>, u: &RevocationUpdate) -> Checked {
        let Some(state) = self.issuers.get(&u.issuer) else {
            return Checked::Chained;
        };
        let rv = &state.revocations;
        let base = rv.base().map(|b| b.header);
        let mut conflict = rv.contradicting_update(u, rec.id());
        if conflict.is_none()
            && let Some(b) = base
            && u.seq == b.seq + 1
            && u.prev != Some(b.latest)
            && u.prev.is_some_and(|p| rv.update(&p).is_none())
        {
            // It names another update as number `b.seq` than the base does.
            conflict = u.revoked.first().and_then(|&i| rv.base_part_for(i));
        }
        if let Some(other) = conflict {
            let kind = other.kind();
            if let Some(s) = self.issuers.get_mut(&u.issuer) {
                s.revocations.insert(rec.clone());
            }
            self.remember(rec);
            return Checked::Decided(self.record_conflict(kind, u.seq, rec.clone(), Some(other)));
        }
        match base {
            Some(b) if u.seq <= b.seq => Checked::Decided(Outcome::Stale { current: b.seq }),
            Some(b) if u.seq == b.seq + 1 => Checked::ContinuesBase,
            _ => Checked::Chained,
        }
    }

    /// A checkpoint part: kept if it belongs to the latest complete
    /// checkpoint or a newer one (or contradicts what is held: then both
    /// are kept as proof). The part that completes a checkpoint newer than
    /// the base makes it the base, and the updates and parts it covers are
    /// forgotten.
    fn apply_checkpoint(&mut self, rec: Arc<SignedRecord>) -> Outcome {
        let Record::RevocationCheckpoint(c) = rec.record() else {
            return Outcome::Duplicate;
        };
        let c = c.clone();
        // The shape check decoded it already.
        let Ok(set) = c.set() else {
            return Outcome::Duplicate;
        };
        let Some(state) = self.issuers.get(&c.issuer) else {
            return Outcome::Duplicate;
        };
        let conflict = state.revocations.contradicting_checkpoint(&c, &set);
        let base = state.revocations.base_seq();
        if conflict.is_none() && c.seq < base {
            return Outcome::Stale { current: base };
        }
        if state.revocations.checkpoints_full_for(&c) {
            return Outcome::Rejected(Rejection::TooManyCheckpoints);
        }
        // What proves an equivocation is never forgotten.
        let mut keep: HashSet<RecordId> = state
            .equivocations
            .keys()
            .flat_map(|(a, b)| [*a, *b])
            .collect();
        if let Some(other) = &conflict {
            keep.extend([rec.id(), other.id()]);
        }
        let forgotten = match self.issuers.get_mut(&c.issuer) {
            Some(s) => s
                .revocations
                .insert_checkpoint(&c, set, rec.clone(), |id| keep.contains(id)),
            None => Vec::new(),
        };
        self.remember(&rec);
        for r in &forgotten {
            self.forget(r);
        }
        self.forgotten.extend(forgotten);
        self.record_conflict(RecordKind::RevocationCheckpoint, c.seq, rec, conflict)
    }

    /// A revocation head or a list head: kept if newer than the one held.
    fn apply_head(&mut self, rec: Arc<SignedRecord>) -> Outcome {
        let issuer = rec.record().issuer();
        let Some(state) = self.issuers.get_mut(&issuer) else {
            return Outcome::Duplicate;
        };
        let offered = if rec.kind() == RecordKind::ListingHead {
            state.listings.offer_head(rec)
        } else {
            state.revocations.offer_head(rec)
        };
        match offered {
            Ok(true) => Outcome::Accepted,
            Ok(false) => Outcome::Duplicate,
            Err(current) => Outcome::Stale { current },
        }
    }

    /// The state of one issuer.
    pub fn issuer(&self, id: &IssuerId) -> Option<&IssuerState> {
        self.issuers.get(id).map(|s| &**s)
    }

    /// Every issuer, in issuer order.
    pub fn issuers(&self) -> impl Iterator<Item = &IssuerState> {
        self.issuers.values().map(|s| &**s)
    }

    /// The issuers after `after` (all of them if `None`), in issuer order:
    /// a page starts in O(log n) whatever its position.
    pub fn issuers_after(&self, after: Option<&IssuerId>) -> impl Iterator<Item = &IssuerState> {
        use std::ops::Bound;
        let start: Bound<&IssuerId> = after.map_or(Bound::Unbounded, Bound::Excluded);
        self.issuers
            .range::<_, IssuerId>((start, Bound::Unbounded))
            .map(|(_, s)| &**s)
    }

    /// How many issuers are known.
    pub fn issuer_count(&self) -> usize {
        self.issuers.len()
    }

    /// Who a signing key belongs to.
    pub fn key(&self, key: &[u8; 32]) -> Option<&KeyEntry> {
        self.keys.get(key)
    }

    /// A badge class and its signed record.
    pub fn badge_class(&self, id: &RecordId) -> Option<(&BadgeClass, &Arc<SignedRecord>)> {
        self.badge_classes.get(id).and_then(|r| match r.record() {
            Record::BadgeClass(b) => Some((b, r)),
            _ => None,
        })
    }

    /// Badge classes with an id after `after` (all if `None`), in id order,
    /// with their signed records: a page starts in O(log n).
    pub fn badge_classes_after(
        &self,
        after: Option<&RecordId>,
    ) -> impl Iterator<Item = (&BadgeClass, &Arc<SignedRecord>)> {
        use std::ops::Bound;
        let start: Bound<&RecordId> = after.map_or(Bound::Unbounded, Bound::Excluded);
        self.badge_classes
            .range::<_, RecordId>((start, Bound::Unbounded))
            .filter_map(|(_, r)| match r.record() {
                Record::BadgeClass(b) => Some((b, r)),
                _ => None,
            })
    }

    /// An endorsement and its signed record (public or private).
    pub fn endorsement(&self, id: &RecordId) -> Option<(&Endorsement, &Arc<SignedRecord>)> {
        self.endorsements.get(id).and_then(|r| match r.record() {
            Record::Endorsement(e) => Some((e, r)),
            _ => None,
        })
    }

    /// The endorsements of `subject` held here, newest first (then by id).
    pub fn endorsements_of(
        &self,
        subject: &EndorsementSubject,
    ) -> impl Iterator<Item = (&Endorsement, &Arc<SignedRecord>)> {
        self.endorsed
            .get(subject)
            .into_iter()
            .flatten()
            .filter_map(|(_, id)| self.endorsement(id))
    }

    /// How many endorsements of `subject` are held.
    pub fn endorsement_count(&self, subject: &EndorsementSubject) -> usize {
        self.endorsed.get(subject).map_or(0, OrdSet::len)
    }

    /// The endorsements of `subject` by `endorser`, in id order.
    pub fn endorsements_of_by(
        &self,
        subject: &EndorsementSubject,
        endorser: &IssuerId,
    ) -> impl Iterator<Item = (&Endorsement, &Arc<SignedRecord>)> {
        self.endorsed_by
            .get(&(*subject, *endorser))
            .into_iter()
            .flatten()
            .filter_map(|id| self.endorsement(id))
    }

    /// The public endorsements `issuer` signed, in id order: what sync and
    /// bundles carry for it besides [`IssuerState::records`].
    pub fn endorsements_by(&self, issuer: &IssuerId) -> impl Iterator<Item = &Arc<SignedRecord>> {
        self.issuers
            .get(issuer)
            .into_iter()
            .flat_map(|s| s.endorsements.iter())
            .filter_map(|id| self.endorsements.get(id))
    }

    /// Whether a record id has been applied (accepted, stored as equivocation, or
    /// remembered as a superseded profile).
    pub fn knows(&self, id: &RecordId) -> bool {
        self.known.contains(id)
    }

    /// A stored record by id: key events, profiles, badge classes, revocation
    /// updates and current heads (what sync serves).
    pub fn record(
        &self,
        issuer: &IssuerId,
        kind: RecordKind,
        id: &RecordId,
    ) -> Option<Arc<SignedRecord>> {
        if kind == RecordKind::BadgeClass {
            return self.badge_classes.get(id).cloned();
        }
        if kind == RecordKind::Endorsement {
            // Only public ones: an assertion's endorsement is never served.
            return self
                .endorsement(id)
                .filter(|(e, _)| e.subject.is_public() && e.issuer == *issuer)
                .map(|(_, r)| r.clone());
        }
        if kind == RecordKind::Pathway {
            return self
                .pathway(id)
                .filter(|(p, _)| p.issuer == *issuer)
                .map(|(_, r)| r.clone());
        }
        self.issuers.get(issuer)?.record(kind, id).cloned()
    }

    /// How many records wait for something.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Bytes of the records that wait for something.
    pub fn pending_bytes(&self) -> usize {
        self.pending.bytes()
    }

    /// What the registry is waiting for, one entry per distinct gap.
    pub fn gaps(&self) -> Vec<Gap> {
        self.pending.gaps()
    }

    /// A comparable picture of every issuer's state.
    pub fn fingerprint(&self) -> BTreeMap<IssuerId, IssuerFingerprint> {
        self.issuers
            .iter()
            .map(|(id, s)| (*id, s.fingerprint()))
            .collect()
    }

    /// One summary per issuer, sorted by issuer.
    pub fn summaries(&self) -> Vec<IssuerSummary> {
        self.issuers().map(IssuerState::summary).collect()
    }
}

/// What the checkpoints held decide about a revocation update.
enum Checked {
    /// They decide its outcome.
    Decided(Outcome),
    /// It is the update after the base, which it names as predecessor.
    ContinuesBase,
    /// They have nothing to say: chain it as usual.
    Chained,
}

/// Whether applying a record with this outcome may have changed its issuer's
/// state (a stale profile is still kept as a version).
fn changes_state(outcome: &Outcome) -> bool {
    matches!(
        outcome,
        Outcome::Accepted | Outcome::Equivocation(_) | Outcome::Stale { .. }
    )
}
