//! The issuer's side: making correctly chained, correctly signed records.
//!
//! [`Issuer`] holds an issuer's current and pre-rotated keys and the counters
//! that chain its records (key log head, profile version, revocation head, next
//! status index). It is pure: seeds and times come in as parameters, and the
//! node persists [`Issuer::to_bytes`] after every operation, before it
//! acknowledges it, so a crash never reuses a status index or a sequence number.

use minicbor::{Decode, Encode};

use crate::id::RecordId;
use crate::keys::{IssuerId, KeyParseError, SecretKey};
use crate::limits::MAX_STATUS_INDEX;
use crate::record::{
    Assertion, BadgeClass, Endorsement, EndorsementSubject, Evidence, Head, IssuerProfile,
    KeyEvent, ListingChange, ListingUpdate, Pathway, Recipient, Record, RecordError,
    RevocationCheckpoint, RevocationReason, RevocationUpdate, SignedRecord, Step,
};
use crate::time::Timestamp;

/// What can go wrong when issuing.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum IssueError {
    /// The record breaks a rule of its kind.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// A seed gave an unusable key.
    #[error(transparent)]
    Key(#[from] KeyParseError),
    /// The pre-rotated key is in offline storage: give it back to rotate.
    #[error(
        "the next key is not on this node (it was exported); rotate with the exported key file"
    )]
    NextKeyOffline,
    /// A key given back is not the committed next key.
    #[error("that key is not this issuer's committed next key")]
    WrongNextKey,
    /// Every status index is used.
    #[error("no status index left (all {MAX_STATUS_INDEX} used)")]
    StatusIndicesExhausted,
    /// Stored issuer secrets do not decode.
    #[error("stored issuer secrets are corrupt: {0}")]
    Corrupt(String),
}

/// Persisted form of an [`Issuer`].
#[derive(Clone, Encode, Decode)]
#[cbor(map)]
struct Stored {
    #[cbor(n(0), with = "minicbor::bytes")]
    current: [u8; 32],
    /// Absent when the pre-rotated key was moved to offline storage.
    #[cbor(n(1), with = "minicbor::bytes")]
    next: Option<[u8; 32]>,
    #[n(2)]
    key_seq: u64,
    #[n(3)]
    key_head: RecordId,
    #[n(4)]
    profile_seq: u64,
    #[n(5)]
    revocation_seq: u64,
    #[n(6)]
    revocation_head: Option<RecordId>,
    #[n(7)]
    next_status_index: u32,
    #[n(8)]
    last_revocation_at: Timestamp,
    #[cbor(n(9), with = "minicbor::bytes")]
    next_digest: Option<[u8; 32]>,
    /// Trust registries only (absent in older files).
    #[n(10)]
    listing: Option<ListingCounters>,
}

/// The chaining counters of a trust registry's list.
#[derive(Clone, Copy, Debug, Default, Encode, Decode)]
#[cbor(map)]
struct ListingCounters {
    #[n(0)]
    seq: u64,
    #[n(1)]
    head: Option<RecordId>,
    #[n(2)]
    last_at: Option<Timestamp>,
}

/// An issuer's keys and chaining counters.
#[derive(Clone)]
pub struct Issuer {
    id: IssuerId,
    current: SecretKey,
    /// The pre-rotated key; `None` once moved to offline storage.
    next: Option<SecretKey>,
    /// sha2-256 of the next key: what the latest key event committed to.
    next_digest: [u8; 32],
    key_seq: u64,
    key_head: RecordId,
    profile_seq: u64,
    revocation_seq: u64,
    revocation_head: Option<RecordId>,
    next_status_index: u32,
    last_revocation_at: Timestamp,
    listing: ListingCounters,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("id", &self.id)
            .field("key_seq", &self.key_seq)
            .finish()
    }
}

impl Issuer {
    /// Creates an issuer from two fresh seeds (current key, pre-rotated next
    /// key) and returns it with its signed inception event.
    pub fn incept(
        current: &[u8; 32],
        next: &[u8; 32],
        now: Timestamp,
    ) -> Result<(Issuer, SignedRecord), IssueError> {
        let current = SecretKey::from_seed(current)?;
        let next = SecretKey::from_seed(next)?;
        let id = IssuerId::from_key(current.public());
        let event = KeyEvent {
            issuer: id,
            seq: 0,
            prev: None,
            key: *current.public(),
            next_key_digest: next.public().digest(),
            at: now,
        };
        let rec = SignedRecord::sign(Record::KeyEvent(Box::new(event)), &current)?;
        let issuer = Issuer {
            id,
            current,
            next_digest: next.public().digest(),
            next: Some(next),
            key_seq: 0,
            key_head: rec.id(),
            profile_seq: 0,
            revocation_seq: 0,
            revocation_head: None,
            next_status_index: 0,
            last_revocation_at: Timestamp(i64::MIN),
            listing: ListingCounters::default(),
        };
        Ok((issuer, rec))
    }

    /// The issuer's identifier.
    pub const fn id(&self) -> IssuerId {
        self.id
    }

    /// The current signing key.
    pub const fn current_key(&self) -> &SecretKey {
        &self.current
    }

    /// The latest revocation sequence number.
    pub const fn revocation_seq(&self) -> u64 {
        self.revocation_seq
    }

    /// The status index the next award will get.
    pub const fn next_status_index(&self) -> u32 {
        self.next_status_index
    }

    /// Rotates to the pre-rotated key; `new_next` seeds the key after it. If
    /// the next key was moved offline, `offline_next` gives it back.
    pub fn rotate(
        &mut self,
        offline_next: Option<&[u8; 32]>,
        new_next: &[u8; 32],
        now: Timestamp,
    ) -> Result<SignedRecord, IssueError> {
        let next = match (&self.next, offline_next) {
            (_, Some(seed)) => {
                let key = SecretKey::from_seed(seed)?;
                if key.public().digest() != self.next_digest {
                    return Err(IssueError::WrongNextKey);
                }
                key
            }
            (Some(key), None) => key.clone(),
            (None, None) => return Err(IssueError::NextKeyOffline),
        };
        let new_next = SecretKey::from_seed(new_next)?;
        let event = KeyEvent {
            issuer: self.id,
            seq: self.key_seq + 1,
            prev: Some(self.key_head),
            key: *next.public(),
            next_key_digest: new_next.public().digest(),
            at: now,
        };
        let rec = SignedRecord::sign(Record::KeyEvent(Box::new(event)), &next)?;
        self.current = next;
        self.next_digest = new_next.public().digest();
        self.next = Some(new_next);
        self.key_seq += 1;
        self.key_head = rec.id();
        Ok(rec)
    }

    /// Removes the pre-rotated key from this issuer and returns its seed, for
    /// offline storage: whoever steals the node then cannot rotate the issuer.
    pub fn export_next(&mut self) -> Option<[u8; 32]> {
        self.next.take().map(|k| k.to_seed())
    }

    /// Whether the pre-rotated key is held here.
    pub fn has_next_key(&self) -> bool {
        self.next.is_some()
    }

    /// Signs a new profile version.
    pub fn profile(
        &mut self,
        mut profile: IssuerProfile,
        now: Timestamp,
    ) -> Result<SignedRecord, IssueError> {
        profile.issuer = self.id;
        profile.seq = self.profile_seq + 1;
        profile.at = now;
        let rec = SignedRecord::sign(Record::IssuerProfile(profile), &self.current)?;
        self.profile_seq += 1;
        Ok(rec)
    }

    /// Signs a badge class (issuer and time are filled in).
    pub fn badge_class(
        &self,
        mut badge: BadgeClass,
        now: Timestamp,
    ) -> Result<SignedRecord, IssueError> {
        badge.issuer = self.id;
        badge.at = now;
        Ok(SignedRecord::sign(
            Record::BadgeClass(badge),
            &self.current,
        )?)
    }

    /// Signs an award of `badge` to `recipient`, with the next status index.
    pub fn award(
        &mut self,
        badge: RecordId,
        recipient: Recipient,
        issued_on: Timestamp,
        expires: Option<Timestamp>,
        evidence: Vec<Evidence>,
        narrative: Option<String>,
    ) -> Result<SignedRecord, IssueError> {
        if self.next_status_index > MAX_STATUS_INDEX {
            return Err(IssueError::StatusIndicesExhausted);
        }
        let assertion = Assertion {
            issuer: self.id,
            badge,
            recipient,
            issued_on,
            expires,
            evidence,
            narrative,
            status_index: self.next_status_index,
        };
        let rec = SignedRecord::sign(Record::Assertion(assertion), &self.current)?;
        self.next_status_index += 1;
        Ok(rec)
    }

    /// Signs an endorsement of `subject` with the next status index, which a
    /// revocation update later sets to withdraw it. The index is taken only
    /// if the record is signed.
    pub fn endorse(
        &mut self,
        subject: EndorsementSubject,
        comment: String,
        name: Option<String>,
        valid_until: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<SignedRecord, IssueError> {
        if self.next_status_index > MAX_STATUS_INDEX {
            return Err(IssueError::StatusIndicesExhausted);
        }
        let endorsement = Endorsement {
            issuer: self.id,
            subject,
            comment,
            at: now,
            valid_until,
            status_index: self.next_status_index,
            name,
        };
        let rec = SignedRecord::sign(Record::Endorsement(endorsement), &self.current)?;
        self.next_status_index += 1;
        Ok(rec)
    }

    /// Signs a pathway to `goal` (a badge class of this issuer's) through
    /// `steps`, with the next status index, which a revocation update later
    /// sets to withdraw it. Whether it closes a cycle is the caller's check
    /// against what it holds ([`crate::pathway::cycle_through`]).
    pub fn declare_pathway(
        &mut self,
        goal: RecordId,
        steps: Vec<Step>,
        name: Option<String>,
        auto_award: bool,
        now: Timestamp,
    ) -> Result<SignedRecord, IssueError> {
        if self.next_status_index > MAX_STATUS_INDEX {
            return Err(IssueError::StatusIndicesExhausted);
        }
        let pathway = Pathway {
            issuer: self.id,
            goal,
            steps,
            at: now,
            status_index: self.next_status_index,
            name,
            auto_award,
        };
        let rec = SignedRecord::sign(Record::Pathway(pathway), &self.current)?;
        self.next_status_index += 1;
        Ok(rec)
    }

    /// Takes the next status index for a credential this issuer signs
    /// outside the native records (the VC API's issue call), so that its
    /// revocation travels in the same signed updates as every award's.
    pub fn reserve_status_index(&mut self) -> Result<u32, IssueError> {
        if self.next_status_index > MAX_STATUS_INDEX {
            return Err(IssueError::StatusIndicesExhausted);
        }
        let index = self.next_status_index;
        self.next_status_index += 1;
        Ok(index)
    }

    /// Signs the next revocation update. `next_update` is the issuer's promise of
    /// when it will sign again at the latest.
    pub fn revoke(
        &mut self,
        mut indices: Vec<u32>,
        reasons: Vec<RevocationReason>,
        now: Timestamp,
        next_update: Timestamp,
    ) -> Result<SignedRecord, IssueError> {
        indices.sort_unstable();
        indices.dedup();
        // A chained update may not be dated before its predecessor.
        let at = now.max(self.last_revocation_at);
        let update = RevocationUpdate {
            issuer: self.id,
            seq: self.revocation_seq + 1,
            prev: self.revocation_head,
            at,
            next_update: next_update.max(at),
            revoked: indices,
            reasons,
        };
        let rec = SignedRecord::sign(Record::RevocationUpdate(update), &self.current)?;
        self.revocation_seq += 1;
        self.revocation_head = Some(rec.id());
        self.last_revocation_at = at;
        Ok(rec)
    }

    /// Signs a head: "my latest revocation update is this one, as of now".
    pub fn head(&self, now: Timestamp, next_update: Timestamp) -> Result<SignedRecord, IssueError> {
        let head = Head {
            issuer: self.id,
            seq: self.revocation_seq,
            latest: self.revocation_head,
            at: now,
            next_update: next_update.max(now),
        };
        Ok(SignedRecord::sign(Record::Head(head), &self.current)?)
    }

    /// Signs a checkpoint of the revoked set as of the latest update: the
    /// parts of `revoked`, which must be the union of updates 1 to
    /// [`Issuer::revocation_seq`] (the node's state of its own issuer).
    /// Empty when nothing was revoked yet. Signing it again for the same
    /// update at the same time gives the same records (Ed25519 is
    /// deterministic).
    pub fn checkpoint(
        &self,
        revoked: &roaring::RoaringBitmap,
        now: Timestamp,
    ) -> Result<Vec<SignedRecord>, IssueError> {
        let Some(latest) = self.revocation_head else {
            return Ok(Vec::new());
        };
        let at = now.max(self.last_revocation_at);
        RevocationCheckpoint::split(self.id, self.revocation_seq, latest, at, revoked)
            .into_iter()
            .map(|c| {
                SignedRecord::sign(Record::RevocationCheckpoint(c), &self.current)
                    .map_err(IssueError::from)
            })
            .collect()
    }

    /// The latest listing sequence number (0 until this issuer lists anyone
    /// as a trust registry).
    pub const fn listing_seq(&self) -> u64 {
        self.listing.seq
    }

    /// Signs the next update of this identity's list as a trust registry.
    pub fn list(
        &mut self,
        changes: Vec<ListingChange>,
        now: Timestamp,
        next_update: Timestamp,
    ) -> Result<SignedRecord, IssueError> {
        let at = self.listing.last_at.map_or(now, |t| now.max(t));
        let update = ListingUpdate {
            registry: self.id,
            seq: self.listing.seq + 1,
            prev: self.listing.head,
            at,
            next_update: next_update.max(at),
            changes,
        };
        let rec = SignedRecord::sign(Record::ListingUpdate(update), &self.current)?;
        self.listing = ListingCounters {
            seq: self.listing.seq + 1,
            head: Some(rec.id()),
            last_at: Some(at),
        };
        Ok(rec)
    }

    /// Signs a list head: "my latest listing update is this one, as of now".
    pub fn listing_head(
        &self,
        now: Timestamp,
        next_update: Timestamp,
    ) -> Result<SignedRecord, IssueError> {
        let head = Head {
            issuer: self.id,
            seq: self.listing.seq,
            latest: self.listing.head,
            at: now,
            next_update: next_update.max(now),
        };
        Ok(SignedRecord::sign(
            Record::ListingHead(head),
            &self.current,
        )?)
    }

    /// The secrets and counters, for the node to persist (mode 0600).
    pub fn to_bytes(&self) -> Vec<u8> {
        let stored = Stored {
            current: self.current.to_seed(),
            next: self.next.as_ref().map(SecretKey::to_seed),
            key_seq: self.key_seq,
            key_head: self.key_head,
            profile_seq: self.profile_seq,
            revocation_seq: self.revocation_seq,
            revocation_head: self.revocation_head,
            next_status_index: self.next_status_index,
            last_revocation_at: self.last_revocation_at,
            next_digest: Some(self.next_digest),
            listing: (self.listing.seq > 0).then_some(self.listing),
        };
        minicbor::to_vec(stored).unwrap_or_default()
    }

    /// Restores an issuer persisted with [`Issuer::to_bytes`]. The identifier is
    /// not stored: it is given, because after rotations the current key is no
    /// longer the inception key.
    pub fn from_bytes(id: IssuerId, bytes: &[u8]) -> Result<Issuer, IssueError> {
        if bytes.len() > 4096 {
            return Err(IssueError::Corrupt("too large".into()));
        }
        let s: Stored = minicbor::decode(bytes).map_err(|e| IssueError::Corrupt(e.to_string()))?;
        let next = s.next.as_ref().map(SecretKey::from_seed).transpose()?;
        Ok(Issuer {
            id,
            current: SecretKey::from_seed(&s.current)?,
            next_digest: match (s.next_digest, &next) {
                (Some(d), _) => d,
                (None, Some(k)) => k.public().digest(),
                (None, None) => {
                    return Err(IssueError::Corrupt(
                        "neither the next key nor its digest".into(),
                    ));
                }
            },
            next,
            key_seq: s.key_seq,
            key_head: s.key_head,
            profile_seq: s.profile_seq,
            revocation_seq: s.revocation_seq,
            revocation_head: s.revocation_head,
            next_status_index: s.next_status_index,
            last_revocation_at: s.last_revocation_at,
            listing: s.listing.unwrap_or_default(),
        })
    }
}
