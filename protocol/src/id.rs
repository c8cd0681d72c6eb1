//! Content identifiers: the sha2-256 multihash of a record's signed payload.
//!
//! Same payload bytes, same id, on every node. Ids are printed in one text form
//! everywhere: multibase base32 (lower case, prefix `b`), as CIDv1 does, so they
//! survive case-insensitive file systems and URLs.

use std::fmt;
use std::str::FromStr;

use minicbor::decode::{Decoder, Error as DecodeError};
use minicbor::encode::{Encoder, Error as EncodeError, Write};
use minicbor::{Decode, Encode};
use multihash::Multihash;
use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};

/// Multicodec code of sha2-256.
const SHA2_256: u64 = 0x12;
/// A sha2-256 multihash: code 0x12, length 0x20, then the digest.
const MULTIHASH_PREFIX: [u8; 2] = [0x12, 0x20];

/// The id of a record: sha2-256 over its payload bytes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordId([u8; 32]);

/// Text or bytes that are not a sha2-256 multihash in multibase.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdParseError {
    /// The text is not multibase.
    #[error("not multibase text")]
    Multibase,
    /// The bytes are not a sha2-256 multihash of 32 bytes.
    #[error("not a sha2-256 multihash")]
    Multihash,
}

impl RecordId {
    /// The id of a payload.
    pub fn of(payload: &[u8]) -> Self {
        RecordId(Sha256::digest(payload).into())
    }

    /// Wraps a digest that is already known to be sha2-256.
    pub const fn from_digest(digest: [u8; 32]) -> Self {
        RecordId(digest)
    }

    /// The 32 digest bytes.
    pub const fn digest(&self) -> &[u8; 32] {
        &self.0
    }

    /// The multihash form (34 bytes).
    pub fn to_multihash_bytes(&self) -> [u8; 34] {
        let mut out = [0u8; 34];
        out[..2].copy_from_slice(&MULTIHASH_PREFIX);
        out[2..].copy_from_slice(&self.0);
        out
    }

    /// Parses the multihash form.
    pub fn from_multihash_bytes(bytes: &[u8]) -> Result<Self, IdParseError> {
        let mh = Multihash::<32>::from_bytes(bytes).map_err(|_| IdParseError::Multihash)?;
        if mh.code() != SHA2_256 || mh.size() != 32 || mh.encoded_len() != bytes.len() {
            return Err(IdParseError::Multihash);
        }
        let digest: [u8; 32] = mh
            .digest()
            .try_into()
            .map_err(|_| IdParseError::Multihash)?;
        Ok(RecordId(digest))
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&multibase::encode(
            multibase::Base::Base32Lower,
            self.to_multihash_bytes(),
        ))
    }
}

impl fmt::Debug for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordId({self})")
    }
}

impl FromStr for RecordId {
    type Err = IdParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Ids are short; refuse long text before decoding it.
        if s.len() > 128 {
            return Err(IdParseError::Multibase);
        }
        let (_, bytes) = multibase::decode(s).map_err(|_| IdParseError::Multibase)?;
        RecordId::from_multihash_bytes(&bytes)
    }
}

impl Serialize for RecordId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<C> Encode<C> for RecordId {
    fn encode<W: Write>(&self, e: &mut Encoder<W>, _: &mut C) -> Result<(), EncodeError<W::Error>> {
        e.bytes(&self.to_multihash_bytes())?.ok()
    }
}

impl<'b, C> Decode<'b, C> for RecordId {
    fn decode(d: &mut Decoder<'b>, _: &mut C) -> Result<Self, DecodeError> {
        let pos = d.position();
        let bytes = d.bytes()?;
        RecordId::from_multihash_bytes(bytes)
            .map_err(|_| DecodeError::message("not a sha2-256 multihash").at(pos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_id_of_empty_payload() {
        let id = RecordId::of(b"");
        assert_eq!(
            hex::encode(id.digest()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(id.to_string().starts_with("bciq"));
    }

    #[test]
    fn rejects_other_hashes_and_garbage() {
        assert_eq!("".parse::<RecordId>(), Err(IdParseError::Multibase));
        assert_eq!("bxyz".parse::<RecordId>(), Err(IdParseError::Multibase));
        // identity multihash (code 0x00) of 32 bytes
        let mut identity = vec![0x00, 0x20];
        identity.extend_from_slice(&[7u8; 32]);
        let text = multibase::encode(multibase::Base::Base32Lower, &identity);
        assert_eq!(text.parse::<RecordId>(), Err(IdParseError::Multihash));
        // trailing byte after a valid multihash
        let mut long = RecordId::of(b"x").to_multihash_bytes().to_vec();
        long.push(0);
        assert_eq!(
            RecordId::from_multihash_bytes(&long),
            Err(IdParseError::Multihash)
        );
    }

    proptest! {
        #[test]
        fn text_round_trip(digest in any::<[u8; 32]>()) {
            let id = RecordId::from_digest(digest);
            prop_assert_eq!(id.to_string().parse::<RecordId>(), Ok(id));
        }

        #[test]
        fn cbor_round_trip(digest in any::<[u8; 32]>()) {
            let id = RecordId::from_digest(digest);
            let bytes = minicbor::to_vec(id).expect("encode");
            prop_assert_eq!(minicbor::decode::<RecordId>(&bytes).expect("decode"), id);
        }

        #[test]
        fn parsing_text_never_panics(s in ".{0,200}") {
            let _ = s.parse::<RecordId>();
        }
    }
}
