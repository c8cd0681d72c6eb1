//! The signed envelope: a COSE_Sign1 structure (RFC 9052, tag 18, alg EdDSA).
//!
//! The payload bytes are carried verbatim and never re-encoded; the signature
//! covers the COSE `Sig_structure`
//! `["Signature1", protected, external_aad, payload]`, where the protected header
//! names the record kind (content type) and the signing key (kid), and the
//! external AAD names the protocol and its version. A signature made for one kind
//! of record, or for another protocol, can therefore never be replayed as another.
//!
//! ```text
//! COSE_Sign1 = #6.18([ protected: bstr .cbor { 1: -8, 3: content-type, 4: kid },
//!                      unprotected: {}, payload: bstr, signature: bstr .size 64 ])
//! ```

use minicbor::data::Tag;
use minicbor::{Decoder, Encoder};

use crate::id::RecordId;
use crate::keys::{PublicKey, SecretKey};
use crate::limits::MAX_ENVELOPE_BYTES;

/// Protocol name and version, bound into every signature as COSE external AAD.
/// Changing it is a protocol version bump: every golden vector changes.
pub const PROTOCOL_AAD: &[u8] = b"badgemesh/1";

const COSE_SIGN1_TAG: u64 = 18;
const HEADER_ALG: u8 = 1;
const HEADER_CONTENT_TYPE: u8 = 3;
const HEADER_KID: u8 = 4;
const ALG_EDDSA: i8 = -8;

/// The kinds of record, each with the COSE content type that names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// An issuer's key history (inception and rotations).
    KeyEvent,
    /// An issuer's public profile.
    IssuerProfile,
    /// A badge class (OB 3.0 Achievement).
    BadgeClass,
    /// An award of a badge class to a recipient.
    Assertion,
    /// A signed delta to an issuer's revocation registry.
    RevocationUpdate,
    /// The issuer's periodically re-signed revocation head.
    Head,
    /// A signed change to a trust registry's list of issuers.
    ListingUpdate,
    /// A registry's periodically re-signed list head.
    ListingHead,
    /// One part of an issuer's signed summary of its revoked set.
    RevocationCheckpoint,
    /// An endorsement of a badge class, an issuer or an assertion.
    Endorsement,
    /// A pathway: the badge classes that lead to one of the issuer's.
    Pathway,
}

impl RecordKind {
    /// Every kind, in a fixed order.
    /// New kinds go last: a kind's position is its code in the store and
    /// on the wire.
    pub const ALL: [RecordKind; 11] = [
        RecordKind::KeyEvent,
        RecordKind::IssuerProfile,
        RecordKind::BadgeClass,
        RecordKind::Assertion,
        RecordKind::RevocationUpdate,
        RecordKind::Head,
        RecordKind::ListingUpdate,
        RecordKind::ListingHead,
        RecordKind::RevocationCheckpoint,
        RecordKind::Endorsement,
        RecordKind::Pathway,
    ];

    /// The COSE content type of this kind.
    pub const fn content_type(self) -> &'static str {
        match self {
            RecordKind::KeyEvent => "application/vnd.badgemesh.key-event+cbor",
            RecordKind::IssuerProfile => "application/vnd.badgemesh.issuer-profile+cbor",
            RecordKind::BadgeClass => "application/vnd.badgemesh.badge-class+cbor",
            RecordKind::Assertion => "application/vnd.badgemesh.assertion+cbor",
            RecordKind::RevocationUpdate => "application/vnd.badgemesh.revocation-update+cbor",
            RecordKind::Head => "application/vnd.badgemesh.head+cbor",
            RecordKind::ListingUpdate => "application/vnd.badgemesh.listing-update+cbor",
            RecordKind::ListingHead => "application/vnd.badgemesh.listing-head+cbor",
            RecordKind::RevocationCheckpoint => {
                "application/vnd.badgemesh.revocation-checkpoint+cbor"
            }
            RecordKind::Endorsement => "application/vnd.badgemesh.endorsement+cbor",
            RecordKind::Pathway => "application/vnd.badgemesh.pathway+cbor",
        }
    }

    /// A short name for logs, metrics and the API.
    pub const fn name(self) -> &'static str {
        match self {
            RecordKind::KeyEvent => "key_event",
            RecordKind::IssuerProfile => "issuer_profile",
            RecordKind::BadgeClass => "badge_class",
            RecordKind::Assertion => "assertion",
            RecordKind::RevocationUpdate => "revocation_update",
            RecordKind::Head => "head",
            RecordKind::ListingUpdate => "listing_update",
            RecordKind::ListingHead => "listing_head",
            RecordKind::RevocationCheckpoint => "revocation_checkpoint",
            RecordKind::Endorsement => "endorsement",
            RecordKind::Pathway => "pathway",
        }
    }

    fn from_content_type(ct: &str) -> Option<Self> {
        RecordKind::ALL.into_iter().find(|k| k.content_type() == ct)
    }
}

/// Why bytes are not a well-formed envelope.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// Larger than [`MAX_ENVELOPE_BYTES`] or the caller's limit.
    #[error("envelope of {size} bytes exceeds the limit of {limit}")]
    TooLarge {
        /// Size of the input.
        size: usize,
        /// The limit in force.
        limit: usize,
    },
    /// Not COSE_Sign1 as badgemesh writes it.
    #[error("malformed envelope: {0}")]
    Malformed(String),
    /// The content type names no record kind.
    #[error("unknown record kind {0:?}")]
    UnknownKind(String),
    /// The kid is not a valid Ed25519 key.
    #[error("signer key: {0}")]
    BadKey(#[from] crate::keys::KeyParseError),
    /// The signature does not verify under the kid.
    #[error("signature does not verify")]
    BadSignature,
}

impl From<minicbor::decode::Error> for EnvelopeError {
    fn from(e: minicbor::decode::Error) -> Self {
        EnvelopeError::Malformed(e.to_string())
    }
}

/// A decoded, not yet verified envelope. Its fields borrow from the input bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// What the payload is.
    pub kind: RecordKind,
    /// The signer's raw public key bytes (not yet checked).
    pub kid: &'a [u8; 32],
    /// The protected header bytes, verbatim.
    pub protected: &'a [u8],
    /// The payload bytes, verbatim.
    pub payload: &'a [u8],
    /// The Ed25519 signature.
    pub signature: &'a [u8; 64],
}

impl<'a> Envelope<'a> {
    /// Decodes an envelope of at most `limit` bytes (capped at
    /// [`MAX_ENVELOPE_BYTES`]). Checks structure only, not the signature.
    pub fn decode(bytes: &'a [u8], limit: usize) -> Result<Self, EnvelopeError> {
        let limit = limit.min(MAX_ENVELOPE_BYTES);
        if bytes.len() > limit {
            return Err(EnvelopeError::TooLarge {
                size: bytes.len(),
                limit,
            });
        }
        let mut d = Decoder::new(bytes);
        if d.tag()? != Tag::new(COSE_SIGN1_TAG) {
            return Err(malformed("not a COSE_Sign1 (tag 18)"));
        }
        if d.array()? != Some(4) {
            return Err(malformed("COSE_Sign1 must be an array of 4"));
        }
        let protected = d.bytes()?;
        if d.map()? != Some(0) {
            return Err(malformed("unprotected header must be empty"));
        }
        let payload = d.bytes()?;
        let signature: &[u8; 64] = d
            .bytes()?
            .try_into()
            .map_err(|_| malformed("signature must be 64 bytes"))?;
        if d.position() != bytes.len() {
            return Err(malformed("trailing bytes after the envelope"));
        }
        let (kind, kid) = decode_protected(protected)?;
        Ok(Envelope {
            kind,
            kid,
            protected,
            payload,
            signature,
        })
    }

    /// The content id of the payload.
    pub fn id(&self) -> RecordId {
        RecordId::of(self.payload)
    }

    /// The bytes the signature covers.
    pub fn signed_message(&self) -> Vec<u8> {
        sig_structure(self.protected, self.payload)
    }

    /// Checks the signature against `key`, which the caller has matched to the kid.
    pub fn verify_with(&self, key: &PublicKey) -> bool {
        key.as_bytes() == self.kid && key.verify(&self.signed_message(), self.signature)
    }

    /// Checks the kid as a key and the signature against it.
    pub fn verify_self(&self) -> Result<PublicKey, EnvelopeError> {
        let key = PublicKey::from_bytes(self.kid)?;
        if self.verify_with(&key) {
            Ok(key)
        } else {
            Err(EnvelopeError::BadSignature)
        }
    }
}

fn malformed(what: &str) -> EnvelopeError {
    EnvelopeError::Malformed(what.to_owned())
}

fn decode_protected(bytes: &[u8]) -> Result<(RecordKind, &[u8; 32]), EnvelopeError> {
    let mut d = Decoder::new(bytes);
    if d.map()? != Some(3) {
        return Err(malformed(
            "protected header must hold exactly alg, content type and kid",
        ));
    }
    if d.u8()? != HEADER_ALG {
        return Err(malformed("protected header must start with alg"));
    }
    if d.i8()? != ALG_EDDSA {
        return Err(malformed("alg must be EdDSA (-8)"));
    }
    if d.u8()? != HEADER_CONTENT_TYPE {
        return Err(malformed("content type must follow alg"));
    }
    let ct = d.str()?;
    let kind = RecordKind::from_content_type(ct)
        .ok_or_else(|| EnvelopeError::UnknownKind(ct.chars().take(80).collect()))?;
    if d.u8()? != HEADER_KID {
        return Err(malformed("kid must follow content type"));
    }
    let kid: &[u8; 32] = d
        .bytes()?
        .try_into()
        .map_err(|_| malformed("kid must be 32 bytes"))?;
    if d.position() != bytes.len() {
        return Err(malformed("trailing bytes in protected header"));
    }
    Ok((kind, kid))
}

fn encode_protected(kind: RecordKind, kid: &[u8; 32]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(64);
    let mut e = Encoder::new(&mut buf);
    // Writing to a Vec cannot fail.
    let _ = e
        .map(3)
        .and_then(|e| e.u8(HEADER_ALG))
        .and_then(|e| e.i8(ALG_EDDSA))
        .and_then(|e| e.u8(HEADER_CONTENT_TYPE))
        .and_then(|e| e.str(kind.content_type()))
        .and_then(|e| e.u8(HEADER_KID))
        .and_then(|e| e.bytes(kid));
    buf
}

fn sig_structure(protected: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(32 + protected.len() + PROTOCOL_AAD.len() + payload.len());
    let mut e = Encoder::new(&mut buf);
    let _ = e
        .array(4)
        .and_then(|e| e.str("Signature1"))
        .and_then(|e| e.bytes(protected))
        .and_then(|e| e.bytes(PROTOCOL_AAD))
        .and_then(|e| e.bytes(payload));
    buf
}

/// Signs `payload` as a record of `kind` and returns the encoded envelope.
pub fn seal(kind: RecordKind, payload: &[u8], key: &SecretKey) -> Vec<u8> {
    let protected = encode_protected(kind, key.public().as_bytes());
    let signature = key.sign(&sig_structure(&protected, payload));
    let mut buf = Vec::with_capacity(payload.len() + protected.len() + 80);
    let mut e = Encoder::new(&mut buf);
    let _ = e
        .tag(Tag::new(COSE_SIGN1_TAG))
        .and_then(|e| e.array(4))
        .and_then(|e| e.bytes(&protected))
        .and_then(|e| e.map(0))
        .and_then(|e| e.bytes(payload))
        .and_then(|e| e.bytes(&signature));
    buf
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key() -> SecretKey {
        SecretKey::from_seed(&[7u8; 32]).expect("strong")
    }

    #[test]
    fn seal_then_decode_and_verify() {
        let bytes = seal(RecordKind::Head, b"payload", &key());
        let env = Envelope::decode(&bytes, MAX_ENVELOPE_BYTES).expect("decodes");
        assert_eq!(env.kind, RecordKind::Head);
        assert_eq!(env.payload, b"payload");
        assert_eq!(env.verify_self().expect("verifies"), *key().public());
    }

    #[test]
    fn kind_is_bound_into_the_signature() {
        let bytes = seal(RecordKind::Head, b"payload", &key());
        let env = Envelope::decode(&bytes, MAX_ENVELOPE_BYTES).expect("decodes");
        // Same payload and signature, protected header claiming another kind.
        let forged_protected =
            encode_protected(RecordKind::RevocationUpdate, key().public().as_bytes());
        let forged = Envelope {
            kind: RecordKind::RevocationUpdate,
            protected: &forged_protected,
            ..env
        };
        assert!(!forged.verify_with(key().public()));
    }

    #[test]
    fn rejects_oversized_and_trailing_bytes() {
        let mut bytes = seal(RecordKind::Head, b"payload", &key());
        assert!(matches!(
            Envelope::decode(&bytes, 10),
            Err(EnvelopeError::TooLarge { .. })
        ));
        bytes.push(0);
        assert!(matches!(
            Envelope::decode(&bytes, MAX_ENVELOPE_BYTES),
            Err(EnvelopeError::Malformed(_))
        ));
    }

    proptest! {
        #[test]
        fn any_single_bit_flip_fails(payload in proptest::collection::vec(any::<u8>(), 0..200), bit in any::<usize>()) {
            let bytes = seal(RecordKind::BadgeClass, &payload, &key());
            let mut flipped = bytes.clone();
            let bit = bit % (flipped.len() * 8);
            flipped[bit / 8] ^= 1 << (bit % 8);
            let ok = Envelope::decode(&flipped, MAX_ENVELOPE_BYTES)
                .ok()
                .and_then(|e| e.verify_self().ok().map(|_| (e.kind, e.payload.to_vec())));
            prop_assert!(ok.is_none(), "a flipped bit still verified");
        }

        #[test]
        fn decoding_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = Envelope::decode(&bytes, MAX_ENVELOPE_BYTES);
        }
    }
}
