//! Records: the signed, content-addressed units that badgemesh carries.
//!
//! A [`SignedRecord`] can only be made by signing a [`Record`] or by decoding
//! bytes whose envelope, payload shape and signature all check out; once you hold
//! one, it is self-consistent. Whether its signer may speak for its issuer is the
//! issuer state's question ([`crate::state`]).

mod assertion;
mod badge_class;
mod check;
mod checkpoint;
mod endorsement;
mod key_event;
mod listing;
mod pathway;
mod profile;
mod revocation;

use std::sync::Arc;

use minicbor::{Decode, Encode};

pub use assertion::{Assertion, EMAIL_IDENTITY_TYPE, Evidence, IdentityHash, Recipient};
pub use badge_class::{Alignment, BadgeClass, Criteria, ImageRef};
pub use checkpoint::{
    CHECKPOINT_PART_SHIFT, CHECKPOINT_PARTS, CheckpointHeader, RevocationCheckpoint,
};
pub use endorsement::{Endorsement, EndorsementSubject};
pub use key_event::KeyEvent;
pub use listing::{Listing, ListingChange, ListingUpdate};
pub use pathway::{MAX_PREREQUISITES, MAX_STEP_CHOICES, MAX_STEPS, Pathway, Step};
pub use profile::IssuerProfile;
pub use revocation::{Head, RevocationReason, RevocationUpdate};

use crate::envelope::{Envelope, EnvelopeError, RecordKind, seal};
use crate::id::RecordId;
use crate::keys::{IssuerId, PublicKey, SecretKey};
use crate::time::Timestamp;

/// Any record, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// See [`KeyEvent`]. Boxed: the largest variant (its key keeps the
    /// decompressed point) and the rarest, so every other record held in
    /// memory need not be its size.
    KeyEvent(Box<KeyEvent>),
    /// See [`IssuerProfile`].
    IssuerProfile(IssuerProfile),
    /// See [`BadgeClass`].
    BadgeClass(BadgeClass),
    /// See [`Assertion`].
    Assertion(Assertion),
    /// See [`RevocationUpdate`].
    RevocationUpdate(RevocationUpdate),
    /// See [`Head`].
    Head(Head),
    /// See [`ListingUpdate`].
    ListingUpdate(ListingUpdate),
    /// A registry's re-signed list head: a [`Head`] over its listing updates.
    ListingHead(Head),
    /// See [`RevocationCheckpoint`].
    RevocationCheckpoint(RevocationCheckpoint),
    /// See [`Endorsement`].
    Endorsement(Endorsement),
    /// See [`Pathway`].
    Pathway(Pathway),
}

/// Signatures checked together by [`SignedRecord::decode_many`].
pub const DECODE_BATCH: usize = 64;

/// Why bytes are not a valid signed record.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordError {
    /// The envelope is malformed or its signature fails.
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// The payload is not valid CBOR for its kind.
    #[error("malformed {kind} payload: {message}")]
    Payload {
        /// The kind the envelope named.
        kind: &'static str,
        /// What the decoder said.
        message: String,
    },
    /// The payload decodes but breaks a rule of its kind.
    #[error("invalid {kind}: {message}")]
    Shape {
        /// The kind.
        kind: &'static str,
        /// Which rule.
        message: String,
    },
    /// A key event must be signed by the key it makes current.
    #[error("a key event must be signed by the key it introduces")]
    KeyEventSigner,
}

impl Record {
    /// The kind.
    pub const fn kind(&self) -> RecordKind {
        match self {
            Record::KeyEvent(_) => RecordKind::KeyEvent,
            Record::IssuerProfile(_) => RecordKind::IssuerProfile,
            Record::BadgeClass(_) => RecordKind::BadgeClass,
            Record::Assertion(_) => RecordKind::Assertion,
            Record::RevocationUpdate(_) => RecordKind::RevocationUpdate,
            Record::Head(_) => RecordKind::Head,
            Record::ListingUpdate(_) => RecordKind::ListingUpdate,
            Record::ListingHead(_) => RecordKind::ListingHead,
            Record::RevocationCheckpoint(_) => RecordKind::RevocationCheckpoint,
            Record::Endorsement(_) => RecordKind::Endorsement,
            Record::Pathway(_) => RecordKind::Pathway,
        }
    }

    /// The issuer the record speaks for.
    pub const fn issuer(&self) -> IssuerId {
        match self {
            Record::KeyEvent(r) => r.issuer,
            Record::IssuerProfile(r) => r.issuer,
            Record::BadgeClass(r) => r.issuer,
            Record::Assertion(r) => r.issuer,
            Record::RevocationUpdate(r) => r.issuer,
            Record::Head(r) | Record::ListingHead(r) => r.issuer,
            Record::ListingUpdate(r) => r.registry,
            Record::RevocationCheckpoint(r) => r.issuer,
            Record::Endorsement(r) => r.issuer,
            Record::Pathway(r) => r.issuer,
        }
    }

    /// The record's own timestamp: its signing key must be valid then.
    pub const fn time(&self) -> Timestamp {
        match self {
            Record::KeyEvent(r) => r.at,
            Record::IssuerProfile(r) => r.at,
            Record::BadgeClass(r) => r.at,
            Record::Assertion(r) => r.issued_on,
            Record::RevocationUpdate(r) => r.at,
            Record::Head(r) | Record::ListingHead(r) => r.at,
            Record::ListingUpdate(r) => r.at,
            Record::RevocationCheckpoint(r) => r.at,
            Record::Endorsement(r) => r.at,
            Record::Pathway(r) => r.at,
        }
    }

    /// The deterministic CBOR payload.
    pub fn to_payload(&self) -> Vec<u8> {
        // Encoding into a Vec cannot fail.
        let encoded = match self {
            Record::KeyEvent(r) => minicbor::to_vec(&**r),
            Record::IssuerProfile(r) => minicbor::to_vec(r),
            Record::BadgeClass(r) => minicbor::to_vec(r),
            Record::Assertion(r) => minicbor::to_vec(r),
            Record::RevocationUpdate(r) => minicbor::to_vec(r),
            Record::Head(r) | Record::ListingHead(r) => minicbor::to_vec(r),
            Record::ListingUpdate(r) => minicbor::to_vec(r),
            Record::RevocationCheckpoint(r) => minicbor::to_vec(r),
            Record::Endorsement(r) => minicbor::to_vec(r),
            Record::Pathway(r) => minicbor::to_vec(r),
        };
        encoded.unwrap_or_default()
    }

    /// Decodes a payload of `kind` and checks its shape.
    pub fn from_payload(kind: RecordKind, payload: &[u8]) -> Result<Record, RecordError> {
        let record = match kind {
            RecordKind::KeyEvent => decode_as(kind, payload).map(|e| Record::KeyEvent(Box::new(e))),
            RecordKind::IssuerProfile => decode_as(kind, payload).map(Record::IssuerProfile),
            RecordKind::BadgeClass => decode_as(kind, payload).map(Record::BadgeClass),
            RecordKind::Assertion => decode_as(kind, payload).map(Record::Assertion),
            RecordKind::RevocationUpdate => decode_as(kind, payload).map(Record::RevocationUpdate),
            RecordKind::Head => decode_as(kind, payload).map(Record::Head),
            RecordKind::ListingUpdate => decode_as(kind, payload).map(Record::ListingUpdate),
            RecordKind::ListingHead => decode_as(kind, payload).map(Record::ListingHead),
            RecordKind::RevocationCheckpoint => {
                decode_as(kind, payload).map(Record::RevocationCheckpoint)
            }
            RecordKind::Endorsement => decode_as(kind, payload).map(Record::Endorsement),
            RecordKind::Pathway => decode_as(kind, payload).map(Record::Pathway),
        }?;
        record.check_shape().map_err(|message| RecordError::Shape {
            kind: kind.name(),
            message,
        })?;
        Ok(record)
    }

    fn check_shape(&self) -> Result<(), String> {
        match self {
            Record::KeyEvent(r) => r.check_shape(),
            Record::IssuerProfile(r) => r.check_shape(),
            Record::BadgeClass(r) => r.check_shape(),
            Record::Assertion(r) => r.check_shape(),
            Record::RevocationUpdate(r) => r.check_shape(),
            Record::Head(r) | Record::ListingHead(r) => r.check_shape(),
            Record::ListingUpdate(r) => r.check_shape(),
            Record::RevocationCheckpoint(r) => r.check_shape(),
            Record::Endorsement(r) => r.check_shape(),
            Record::Pathway(r) => r.check_shape(),
        }
    }
}

fn decode_as<'b, T: Decode<'b, ()>>(kind: RecordKind, payload: &'b [u8]) -> Result<T, RecordError> {
    let mut d = minicbor::Decoder::new(payload);
    let value = T::decode(&mut d, &mut ()).map_err(|e| RecordError::Payload {
        kind: kind.name(),
        message: e.to_string(),
    })?;
    if d.position() != payload.len() {
        return Err(RecordError::Payload {
            kind: kind.name(),
            message: "trailing bytes after the payload".into(),
        });
    }
    Ok(value)
}

/// A record with its envelope bytes, content id and verified signer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedRecord {
    bytes: Arc<[u8]>,
    id: RecordId,
    /// The signer's key as its 32 bytes, checked when the record was made or
    /// decoded: a node holds many records, and a [`PublicKey`] keeps the
    /// decompressed point too (224 bytes), which only verifying needs.
    signer: [u8; 32],
    record: Record,
}

impl SignedRecord {
    /// Signs `record` with `key`. Fails if the record breaks a rule of its kind.
    pub fn sign(record: Record, key: &SecretKey) -> Result<Self, RecordError> {
        record.check_shape().map_err(|message| RecordError::Shape {
            kind: record.kind().name(),
            message,
        })?;
        if let Record::KeyEvent(e) = &record
            && e.key != *key.public()
        {
            return Err(RecordError::KeyEventSigner);
        }
        let payload = record.to_payload();
        let bytes = seal(record.kind(), &payload, key);
        Ok(SignedRecord {
            bytes: bytes.into(),
            id: RecordId::of(&payload),
            signer: *key.public().as_bytes(),
            record,
        })
    }

    /// Decodes and checks envelope bytes of at most `limit` bytes: structure,
    /// payload shape, and the signature under the envelope's kid.
    pub fn decode(bytes: &[u8], limit: usize) -> Result<Self, RecordError> {
        let env = Envelope::decode(bytes, limit)?;
        let record = Record::from_payload(env.kind, env.payload)?;
        let signer = env.verify_self()?;
        if let Record::KeyEvent(e) = &record
            && e.key != signer
        {
            return Err(RecordError::KeyEventSigner);
        }
        Ok(SignedRecord {
            bytes: bytes.into(),
            id: env.id(),
            signer: *signer.as_bytes(),
            record,
        })
    }

    /// [`SignedRecord::decode`] for many envelopes at once (a node's store at
    /// start-up): the same results, but the signatures are checked together
    /// by Ed25519 batch verification, [`DECODE_BATCH`] at a time, which costs
    /// about half as much per signature. A batch that fails is checked one
    /// by one with `verify_strict`, so only the bad records fail.
    pub fn decode_many(inputs: &[&[u8]], limit: usize) -> Vec<Result<Self, RecordError>> {
        let mut out = Vec::with_capacity(inputs.len());
        for chunk in inputs.chunks(DECODE_BATCH) {
            let decoded: Vec<Result<(Envelope<'_>, Record, PublicKey), RecordError>> = chunk
                .iter()
                .map(|bytes| {
                    let env = Envelope::decode(bytes, limit)?;
                    let record = Record::from_payload(env.kind, env.payload)?;
                    let key = PublicKey::from_bytes(env.kid).map_err(EnvelopeError::from)?;
                    Ok((env, record, key))
                })
                .collect();
            let (mut messages, mut signatures, mut keys) = (Vec::new(), Vec::new(), Vec::new());
            for (env, _, key) in decoded.iter().flatten() {
                messages.push(env.signed_message());
                signatures.push(ed25519_dalek::Signature::from_bytes(env.signature));
                keys.push(*key.verifying_key());
            }
            let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
            let all_ok =
                !refs.is_empty() && ed25519_dalek::verify_batch(&refs, &signatures, &keys).is_ok();
            for (d, bytes) in decoded.into_iter().zip(chunk) {
                out.push(d.and_then(|(env, record, key)| {
                    if !all_ok && !env.verify_with(&key) {
                        return Err(EnvelopeError::BadSignature.into());
                    }
                    // As `decode`: the signature first, then who signed.
                    if let Record::KeyEvent(e) = &record
                        && e.key != key
                    {
                        return Err(RecordError::KeyEventSigner);
                    }
                    Ok(SignedRecord {
                        bytes: (*bytes).into(),
                        id: env.id(),
                        signer: *key.as_bytes(),
                        record,
                    })
                }));
            }
        }
        out
    }

    /// A sort key that applies a batch of records without needless waiting:
    /// key events first, then by kind, then by sequence number and time.
    pub fn apply_order(&self) -> (u8, u64, i64) {
        let r = &self.record;
        let (rank, seq) = match r {
            Record::KeyEvent(e) => (0, e.seq),
            Record::IssuerProfile(p) => (1, p.seq),
            Record::BadgeClass(_) => (2, 0),
            // A checkpoint before the updates that continue it.
            Record::RevocationCheckpoint(c) => (3, c.seq),
            Record::RevocationUpdate(u) => (4, u.seq),
            Record::Head(h) => (5, h.seq),
            Record::ListingUpdate(u) => (6, u.seq),
            Record::ListingHead(h) => (7, h.seq),
            Record::Assertion(_) => (8, 0),
            // After the assertion it may endorse, and after the revocation
            // updates that may withdraw it (order does not change the state).
            Record::Endorsement(_) => (9, 0),
            // After the revocation updates that may withdraw it.
            Record::Pathway(_) => (10, 0),
        };
        (rank, seq, r.time().secs())
    }

    /// The envelope bytes, exactly as signed and carried.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The content id (of the payload).
    pub const fn id(&self) -> RecordId {
        self.id
    }

    /// The bytes of the key that signed it (a valid key: checked when the
    /// record was signed or decoded).
    pub const fn signer(&self) -> &[u8; 32] {
        &self.signer
    }

    /// The decoded record.
    pub const fn record(&self) -> &Record {
        &self.record
    }

    /// Shorthand for the record's kind.
    pub const fn kind(&self) -> RecordKind {
        self.record.kind()
    }
}

/// Encodes a value of a record field type, for tests and tools.
pub fn encode_value<T: Encode<()>>(value: &T) -> Vec<u8> {
    minicbor::to_vec(value).unwrap_or_default()
}
