//! Deterministic fixtures for tests, benchmarks, fuzzing and simulations.
//!
//! Keys come from a fixed seed, so the same calls give the same bytes on every
//! machine. Never use these keys for real badges: the seeds are public.

use sha2::{Digest, Sha256};

use crate::id::RecordId;
use crate::issuance::Issuer as RealIssuer;
use crate::record::{
    BadgeClass, Criteria, EMAIL_IDENTITY_TYPE, EndorsementSubject, IdentityHash, IssuerProfile,
    Listing, ListingChange, Recipient, SignedRecord,
};
use crate::time::Timestamp;

/// A 32-byte seed derived from a label and a number.
pub fn seed(label: &str, n: u64) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"badgemesh testkit seed\0");
    h.update(label.as_bytes());
    h.update(n.to_le_bytes());
    h.finalize().into()
}

/// A test issuer with deterministic keys and a manual clock.
#[derive(Clone, Debug)]
pub struct Issuer {
    inner: RealIssuer,
    seed: u64,
    rotations: u64,
    inception: SignedRecord,
    /// The issuer's clock; records are dated with it.
    pub now: Timestamp,
}

impl Issuer {
    /// Issuer number `seed`, incepted at `now`.
    pub fn new(seed_n: u64, now: Timestamp) -> Self {
        let (inner, inception) =
            RealIssuer::incept(&seed("current", seed_n), &seed("next", seed_n), now)
                .unwrap_or_else(|e| panic!("fixed seeds give valid keys: {e}"));
        Issuer {
            inner,
            seed: seed_n,
            rotations: 0,
            inception,
            now,
        }
    }

    /// The real issuer inside.
    pub fn inner(&mut self) -> &mut RealIssuer {
        &mut self.inner
    }

    /// The inception event.
    pub fn inception(&self) -> SignedRecord {
        self.inception.clone()
    }

    /// Inception, a first profile and a head at sequence 0.
    pub fn genesis(&mut self) -> Vec<SignedRecord> {
        let profile = self.profile("Example Academy");
        vec![self.inception(), profile, self.head()]
    }

    /// A new profile version.
    pub fn profile(&mut self, name: &str) -> SignedRecord {
        let p = IssuerProfile {
            issuer: self.inner.id(),
            seq: 0,
            name: name.to_owned(),
            url: Some("https://academy.example".into()),
            email: Some("badges@academy.example".into()),
            description: None,
            image: None,
            at: self.now,
            public_base_url: None,
        };
        expect(self.inner.profile(p, self.now))
    }

    /// A badge class and its id.
    pub fn badge_class(&mut self, name: &str) -> (SignedRecord, RecordId) {
        let b = BadgeClass {
            issuer: self.inner.id(),
            name: name.to_owned(),
            description: format!("Awarded for {name}."),
            criteria: Criteria {
                narrative: Some("Complete the course.".into()),
                url: None,
            },
            image: None,
            alignments: vec![],
            tags: vec!["test".into()],
            related: vec![],
            at: self.now,
        };
        let rec = expect(self.inner.badge_class(b, self.now));
        let id = rec.id();
        (rec, id)
    }

    /// An award of `badge` to `email`.
    pub fn award(&mut self, badge: &SignedRecord, email: &str) -> SignedRecord {
        let recipient = Recipient::Hashed(IdentityHash::new(EMAIL_IDENTITY_TYPE, email, "salt"));
        expect(
            self.inner
                .award(badge.id(), recipient, self.now, None, vec![], None),
        )
    }

    /// An endorsement of `subject` with `comment`, valid from now on.
    pub fn endorse(&mut self, subject: EndorsementSubject, comment: &str) -> SignedRecord {
        expect(
            self.inner
                .endorse(subject, comment.to_owned(), None, None, self.now),
        )
    }

    /// A pathway to `goal` through `steps` (each `(need, of)`).
    pub fn pathway(&mut self, goal: RecordId, steps: &[(u16, &[RecordId])]) -> SignedRecord {
        let steps = steps
            .iter()
            .map(|(need, of)| crate::record::Step {
                need: *need,
                of: of.to_vec(),
            })
            .collect();
        expect(
            self.inner
                .declare_pathway(goal, steps, None, false, self.now),
        )
    }

    /// The status index an endorsement or assertion record carries.
    pub fn status_index_of(rec: &SignedRecord) -> u32 {
        match rec.record() {
            crate::record::Record::Endorsement(e) => e.status_index,
            crate::record::Record::Assertion(a) => a.status_index,
            crate::record::Record::Pathway(p) => p.status_index,
            _ => panic!("{} carries no status index", rec.kind().name()),
        }
    }

    /// A revocation update revoking `indices`.
    pub fn revoke(&mut self, indices: &[u32]) -> SignedRecord {
        let next = self.now.plus(3600);
        expect(self.inner.revoke(indices.to_vec(), vec![], self.now, next))
    }

    /// The parts of a checkpoint as of the latest update, which revoked
    /// `revoked` in all (the caller knows what it revoked).
    pub fn checkpoint(&mut self, revoked: &[u32]) -> Vec<SignedRecord> {
        let set: roaring::RoaringBitmap = revoked.iter().copied().collect();
        expect(self.inner.checkpoint(&set, self.now))
    }

    /// A head as of now.
    pub fn head(&mut self) -> SignedRecord {
        expect(self.inner.head(self.now, self.now.plus(3600)))
    }

    /// As a trust registry: lists `subject` under `name`.
    pub fn list(&mut self, subject: &str, name: &str) -> SignedRecord {
        let listing = Listing {
            subject: subject.to_owned(),
            name: name.to_owned(),
            legal_name: None,
            domains: vec!["academy.example".into()],
            country: Some("FR".into()),
            accreditation: Some("Higher education".into()),
            accreditation_type: None,
            valid_from: None,
            valid_until: None,
            domain_checked_at: None,
        };
        self.change(ListingChange::Listed(listing))
    }

    /// As a trust registry: de-lists `subject`.
    pub fn delist(&mut self, subject: &str) -> SignedRecord {
        self.change(ListingChange::Delisted {
            subject: subject.to_owned(),
            reason: Some("accreditation withdrawn".into()),
        })
    }

    fn change(&mut self, change: ListingChange) -> SignedRecord {
        let next = self.now.plus(3600);
        expect(self.inner.list(vec![change], self.now, next))
    }

    /// As a trust registry: a list head as of now.
    pub fn listing_head(&mut self) -> SignedRecord {
        expect(self.inner.listing_head(self.now, self.now.plus(3600)))
    }

    /// A key rotation.
    pub fn rotate(&mut self) -> SignedRecord {
        self.rotations += 1;
        let next = seed(&format!("next-{}", self.rotations), self.seed);
        expect(self.inner.rotate(None, &next, self.now))
    }
}

fn expect<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("testkit records are well-formed: {e}"))
}
