//! Issuer identities and keys.
//!
//! An issuer is named by the `did:key` of its inception key (Ed25519 multikey,
//! multicodec 0xed01, base58btc), so Open Badges 3.0 tools can resolve it with no
//! network. Later keys come from pre-rotation (see [`crate::record::KeyEvent`]); the
//! identifier never changes.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use minicbor::decode::{Decoder, Error as DecodeError};
use minicbor::encode::{Encoder, Error as EncodeError, Write};
use minicbor::{Decode, Encode};
use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};

/// Multicodec prefix of an Ed25519 public key (0xed as an unsigned varint).
const ED25519_MULTICODEC: [u8; 2] = [0xed, 0x01];
const DID_KEY_PREFIX: &str = "did:key:";

/// A key or DID that could not be parsed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyParseError {
    /// The text does not start with `did:key:z`.
    #[error("not a did:key (expected did:key:z6Mk...)")]
    NotDidKey,
    /// The multibase part does not decode.
    #[error("the key part is not base58btc multibase")]
    Multibase,
    /// The multicodec is not Ed25519 or the key has the wrong length.
    #[error("not an Ed25519 multikey of 32 bytes")]
    NotEd25519,
    /// The bytes are not a point on the curve.
    #[error("not a valid Ed25519 public key")]
    InvalidPoint,
    /// The key has small order: anyone could forge signatures for it.
    #[error("weak Ed25519 key (small order)")]
    Weak,
}

/// A checked Ed25519 public key: on the curve and not of small order.
///
/// Once you hold one, it is valid; the decompressed point is kept so that
/// verifying a signature does not decompress it again.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    bytes: [u8; 32],
    key: VerifyingKey,
}

impl PublicKey {
    /// Checks 32 bytes as a public key.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, KeyParseError> {
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| KeyParseError::InvalidPoint)?;
        if key.is_weak() {
            return Err(KeyParseError::Weak);
        }
        Ok(PublicKey { bytes: *bytes, key })
    }

    /// The compressed key bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// The key for signature checks.
    pub const fn verifying_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// The commitment to this key used by pre-rotation: sha2-256 of its bytes.
    pub fn digest(&self) -> [u8; 32] {
        key_digest(&self.bytes)
    }

    /// Checks `signature` over `message` with `verify_strict` (no malleable or weak
    /// signatures).
    pub fn verify(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        self.key
            .verify_strict(message, &Signature::from_bytes(signature))
            .is_ok()
    }

    /// The multibase form `z6Mk...` used in did:key and in Multikey documents.
    pub fn to_multibase(&self) -> String {
        multikey(&self.bytes)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", multikey(&self.bytes))
    }
}

/// sha2-256 of key bytes: what a key event commits to for the next key.
pub fn key_digest(bytes: &[u8; 32]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn multikey(bytes: &[u8; 32]) -> String {
    let mut buf = [0u8; 34];
    buf[..2].copy_from_slice(&ED25519_MULTICODEC);
    buf[2..].copy_from_slice(bytes);
    multibase::encode(multibase::Base::Base58Btc, buf)
}

/// The identifier of an issuer: the bytes of its inception key, printed as a
/// `did:key`.
///
/// It is an identifier, not a checked key: records name issuers by it, and the
/// issuer state checks the key when it accepts the inception event.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IssuerId([u8; 32]);

impl IssuerId {
    /// The issuer whose inception key is `key`.
    pub const fn from_key(key: &PublicKey) -> Self {
        IssuerId(key.bytes)
    }

    /// A placeholder for drafts that [`crate::issuance::Issuer`] fills in. The
    /// all-zero key has small order, so it can never be a real issuer.
    pub const fn unset() -> Self {
        IssuerId([0; 32])
    }

    /// The raw inception key bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The `did:key:z6Mk...` text.
    pub fn to_did(&self) -> String {
        format!("{DID_KEY_PREFIX}{}", multikey(&self.0))
    }

    /// The verification method of the inception key: `did:key:z..#z..`.
    pub fn verification_method(&self) -> String {
        let mk = multikey(&self.0);
        format!("{DID_KEY_PREFIX}{mk}#{mk}")
    }
}

impl fmt::Display for IssuerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(DID_KEY_PREFIX)?;
        f.write_str(&multikey(&self.0))
    }
}

impl fmt::Debug for IssuerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IssuerId({self})")
    }
}

/// Parses the `z...` multibase part of a did:key into a checked key.
pub fn parse_multikey(mb: &str) -> Result<PublicKey, KeyParseError> {
    if !mb.starts_with('z') || mb.len() > 64 {
        return Err(KeyParseError::Multibase);
    }
    let (_, bytes) = multibase::decode(mb).map_err(|_| KeyParseError::Multibase)?;
    let key: &[u8; 32] = bytes
        .strip_prefix(&ED25519_MULTICODEC)
        .and_then(|k| k.try_into().ok())
        .ok_or(KeyParseError::NotEd25519)?;
    PublicKey::from_bytes(key)
}

impl FromStr for IssuerId {
    type Err = KeyParseError;

    /// Accepts `did:key:z6Mk...`, with or without a `#fragment`, and checks the key.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rest = s
            .strip_prefix(DID_KEY_PREFIX)
            .ok_or(KeyParseError::NotDidKey)?;
        let mb = rest.split('#').next().unwrap_or(rest);
        if !mb.starts_with('z') {
            return Err(KeyParseError::NotDidKey);
        }
        Ok(IssuerId::from_key(&parse_multikey(mb)?))
    }
}

impl Serialize for IssuerId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<C> Encode<C> for IssuerId {
    fn encode<W: Write>(&self, e: &mut Encoder<W>, _: &mut C) -> Result<(), EncodeError<W::Error>> {
        e.bytes(&self.0)?.ok()
    }
}

impl<'b, C> Decode<'b, C> for IssuerId {
    fn decode(d: &mut Decoder<'b>, _: &mut C) -> Result<Self, DecodeError> {
        let pos = d.position();
        let bytes: [u8; 32] = d
            .bytes()?
            .try_into()
            .map_err(|_| DecodeError::message("issuer id must be 32 bytes").at(pos))?;
        Ok(IssuerId(bytes))
    }
}

impl<C> Encode<C> for PublicKey {
    fn encode<W: Write>(&self, e: &mut Encoder<W>, _: &mut C) -> Result<(), EncodeError<W::Error>> {
        e.bytes(&self.bytes)?.ok()
    }
}

impl<'b, C> Decode<'b, C> for PublicKey {
    fn decode(d: &mut Decoder<'b>, _: &mut C) -> Result<Self, DecodeError> {
        let pos = d.position();
        let bytes: [u8; 32] = d
            .bytes()?
            .try_into()
            .map_err(|_| DecodeError::message("public key must be 32 bytes").at(pos))?;
        PublicKey::from_bytes(&bytes).map_err(|e| DecodeError::message(e).at(pos))
    }
}

/// An Ed25519 signing key. The protocol never makes randomness: callers pass a
/// 32-byte seed from a CSPRNG (or a fixed one in tests).
#[derive(Clone)]
pub struct SecretKey {
    key: SigningKey,
    public: PublicKey,
}

impl SecretKey {
    /// The key with this seed. Fails only if the seed yields a weak public key,
    /// which does not happen for seeds hashed as Ed25519 prescribes, but is checked.
    pub fn from_seed(seed: &[u8; 32]) -> Result<Self, KeyParseError> {
        let key = SigningKey::from_bytes(seed);
        let public = PublicKey::from_bytes(&key.verifying_key().to_bytes())?;
        Ok(SecretKey { key, public })
    }

    /// The seed, for storing the key.
    pub fn to_seed(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The public half.
    pub const fn public(&self) -> &PublicKey {
        &self.public
    }

    /// Signs `message` (deterministic, RFC 8032).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(public: {:?})", self.public)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn did_key_of_the_1edtech_test_vector() {
        // Public key of the OB 3.0 linked-data proof test vector and its multibase.
        let bytes: [u8; 32] =
            hex::decode("4bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5")
                .expect("hex")
                .try_into()
                .expect("32 bytes");
        let key = PublicKey::from_bytes(&bytes).expect("valid");
        assert_eq!(
            key.to_multibase(),
            "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
        );
        let did = IssuerId::from_key(&key).to_did();
        assert_eq!(
            did,
            "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
        );
        assert_eq!(did.parse::<IssuerId>(), Ok(IssuerId::from_key(&key)));
        let with_fragment = format!("{did}#{}", key.to_multibase());
        assert_eq!(
            with_fragment.parse::<IssuerId>(),
            Ok(IssuerId::from_key(&key))
        );
    }

    #[test]
    fn rejects_weak_and_foreign_keys() {
        // The identity point (small order) is a valid encoding but a weak key.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(PublicKey::from_bytes(&identity), Err(KeyParseError::Weak));
        let did = format!("did:key:{}", multikey(&identity));
        assert_eq!(did.parse::<IssuerId>(), Err(KeyParseError::Weak));
        // A secp256k1 multicodec (0xe7 0x01) is not Ed25519.
        let mut other = vec![0xe7, 0x01];
        other.extend_from_slice(&[2u8; 33]);
        let did = format!(
            "did:key:{}",
            multibase::encode(multibase::Base::Base58Btc, other)
        );
        assert_eq!(did.parse::<IssuerId>(), Err(KeyParseError::NotEd25519));
        assert_eq!(
            "did:web:example.com".parse::<IssuerId>(),
            Err(KeyParseError::NotDidKey)
        );
        assert_eq!(
            "did:key:ubase64".parse::<IssuerId>(),
            Err(KeyParseError::NotDidKey)
        );
    }

    proptest! {
        #[test]
        fn did_round_trip(seed in any::<[u8; 32]>()) {
            let sk = SecretKey::from_seed(&seed).expect("seeded keys are strong");
            let id = IssuerId::from_key(sk.public());
            prop_assert_eq!(id.to_did().parse::<IssuerId>(), Ok(id));
        }

        #[test]
        fn parsing_never_panics(s in "did:key:z.{0,80}") {
            let _ = s.parse::<IssuerId>();
        }

        #[test]
        fn signatures_verify_and_bind_the_message(seed in any::<[u8; 32]>(), msg in proptest::collection::vec(any::<u8>(), 0..64)) {
            let sk = SecretKey::from_seed(&seed).expect("strong");
            let sig = sk.sign(&msg);
            prop_assert!(sk.public().verify(&msg, &sig));
            let mut other = msg.clone();
            other.push(1);
            prop_assert!(!sk.public().verify(&other, &sig));
        }
    }
}
