//! W3C Bitstring Status Lists: the bitstring, its `encodedList` text, and
//! signed `BitstringStatusListCredential`s.
//!
//! `encodedList` is multibase `u` + base64url (no padding) of the GZIP of
//! the bitstring. Index 0 is the most significant bit of byte 0. A list has
//! at least [`MIN_STATUS_LIST_ENTRIES`] entries; decoding refuses more than
//! [`MAX_STATUS_LIST_BYTES`] of output (a GZIP bomb stops there).

use std::io::{Read, Write};

use badgemesh_protocol::keys::{IssuerId, SecretKey};
use badgemesh_protocol::time::Timestamp;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde_json::{Map, Value, json};

use crate::contexts::{CREDENTIALS_V2, ContextSet};
use crate::json::{JsonError, parse_bounded, prepass};
use crate::limits::{MAX_JSON_BYTES, MAX_STATUS_LIST_BYTES, MIN_STATUS_LIST_ENTRIES};
use crate::proof::{ProofError, ProofOutcome, check_proofs, proof_options, sign};

/// A status list or its credential that cannot be used.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusListError {
    /// `encodedList` is not `u` + base64url.
    #[error("encodedList is not multibase base64url")]
    Encoding,
    /// The GZIP data does not decompress.
    #[error("encodedList is not GZIP data")]
    Gzip,
    /// It decompresses to more than [`MAX_STATUS_LIST_BYTES`].
    #[error("status list decompresses to more than {MAX_STATUS_LIST_BYTES} bytes")]
    TooLarge,
    /// Fewer than [`MIN_STATUS_LIST_ENTRIES`] entries.
    #[error("status list has fewer than {MIN_STATUS_LIST_ENTRIES} entries")]
    TooShort,
    /// Not JSON, too large or too deep.
    #[error(transparent)]
    Json(#[from] JsonError),
    /// JSON-LD processing or canonicalization failed.
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// The credential is not a `BitstringStatusListCredential` of the expected shape.
    #[error("not a BitstringStatusListCredential: {0}")]
    Shape(String),
    /// The proof does not verify with the issuer's did:key.
    #[error("status list proof: {0}")]
    BadProof(String),
}

/// A bitstring of status entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusList {
    bits: Vec<u8>,
}

impl StatusList {
    /// A list of `entries` zero bits, at least [`MIN_STATUS_LIST_ENTRIES`],
    /// rounded up to a whole byte.
    pub fn new(entries: usize) -> StatusList {
        let entries = entries.max(MIN_STATUS_LIST_ENTRIES);
        StatusList {
            bits: vec![0; entries.div_ceil(8)],
        }
    }

    /// A list with the bits of `indices` set, long enough for all of them:
    /// [`MIN_STATUS_LIST_ENTRIES`], or a multiple of it (so list sizes say
    /// little about how many credentials the issuer has).
    pub fn from_indices(indices: impl IntoIterator<Item = u32> + Clone) -> StatusList {
        let max = indices
            .clone()
            .into_iter()
            .max()
            .map_or(0, |m| m as usize + 1);
        let entries = max.div_ceil(MIN_STATUS_LIST_ENTRIES).max(1) * MIN_STATUS_LIST_ENTRIES;
        let mut list = StatusList::new(entries);
        for i in indices {
            list.set(i as usize, true);
        }
        list
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.bits.len() * 8
    }

    /// Whether the list has no entries (never, for a valid list).
    pub fn is_empty(&self) -> bool {
        self.bits.is_empty()
    }

    /// Sets or clears entry `index`; out-of-range indices are ignored.
    pub fn set(&mut self, index: usize, on: bool) {
        if let Some(byte) = self.bits.get_mut(index / 8) {
            let mask = 0x80u8 >> (index % 8);
            if on {
                *byte |= mask;
            } else {
                *byte &= !mask;
            }
        }
    }

    /// Entry `index`, or `None` if it is out of range.
    pub fn get(&self, index: usize) -> Option<bool> {
        let byte = self.bits.get(index / 8)?;
        Some(byte & (0x80u8 >> (index % 8)) != 0)
    }

    /// The `encodedList` text: `u` + base64url-no-pad(GZIP(bits)).
    pub fn encode(&self) -> String {
        let mut gz = GzEncoder::new(Vec::new(), Compression::best());
        // Writing to a Vec cannot fail.
        let _ = gz.write_all(&self.bits);
        let compressed = gz.finish().unwrap_or_default();
        format!("u{}", URL_SAFE_NO_PAD.encode(compressed))
    }

    /// Parses `encodedList` text, bounded.
    pub fn decode(text: &str) -> Result<StatusList, StatusListError> {
        if text.len() > MAX_JSON_BYTES {
            return Err(StatusListError::TooLarge);
        }
        let b64 = text.strip_prefix('u').ok_or(StatusListError::Encoding)?;
        let compressed = URL_SAFE_NO_PAD
            .decode(b64)
            .map_err(|_| StatusListError::Encoding)?;
        let mut bits = Vec::new();
        GzDecoder::new(compressed.as_slice())
            .take(MAX_STATUS_LIST_BYTES as u64 + 1)
            .read_to_end(&mut bits)
            .map_err(|_| StatusListError::Gzip)?;
        if bits.len() > MAX_STATUS_LIST_BYTES {
            return Err(StatusListError::TooLarge);
        }
        if bits.len() * 8 < MIN_STATUS_LIST_ENTRIES {
            return Err(StatusListError::TooShort);
        }
        Ok(StatusList { bits })
    }
}

/// What goes into a status list credential.
#[derive(Clone, Copy, Debug)]
pub struct StatusListInput<'a> {
    /// The URL the list is served at (its `id`).
    pub url: &'a str,
    /// When this version of the list starts to hold.
    pub valid_from: Timestamp,
    /// When verifiers should stop trusting it.
    pub valid_until: Option<Timestamp>,
}

/// Builds and signs a revocation `BitstringStatusListCredential` for the
/// issuer whose inception key is `key`, with the bits of `revoked` set.
pub fn build_status_list_credential(
    input: &StatusListInput<'_>,
    revoked: impl IntoIterator<Item = u32> + Clone,
    key: &SecretKey,
) -> Result<Map<String, Value>, StatusListError> {
    let issuer = IssuerId::from_key(key.public());
    let list = StatusList::from_indices(revoked);
    let mut doc = Map::new();
    doc.insert("@context".into(), json!([CREDENTIALS_V2]));
    doc.insert("id".into(), input.url.into());
    doc.insert(
        "type".into(),
        json!(["VerifiableCredential", "BitstringStatusListCredential"]),
    );
    doc.insert("issuer".into(), issuer.to_did().into());
    doc.insert("validFrom".into(), input.valid_from.to_string().into());
    if let Some(u) = input.valid_until {
        doc.insert("validUntil".into(), u.to_string().into());
    }
    doc.insert(
        "credentialSubject".into(),
        json!({
            "id": format!("{}#list", input.url),
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": list.encode(),
        }),
    );
    let options = proof_options(&issuer.verification_method(), &input.valid_from.to_string());
    sign(&mut doc, options, key, &ContextSet::pinned())?;
    Ok(doc)
}

/// A status list credential whose proof checked out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedStatusList {
    /// The issuer (did:key) that signed it.
    pub issuer: IssuerId,
    /// Its `id` (the URL it is served at).
    pub id: Option<String>,
    /// `statusPurpose` (`revocation`, `suspension`, ...).
    pub purpose: String,
    /// `validFrom`.
    pub valid_from: Option<Timestamp>,
    /// `validUntil`.
    pub valid_until: Option<Timestamp>,
    /// The bits.
    pub list: StatusList,
}

impl VerifiedStatusList {
    /// Whether entry `index` is set (revoked, for a revocation list); `None`
    /// if the index is outside the list.
    pub fn is_set(&self, index: u64) -> Option<bool> {
        self.list.get(usize::try_from(index).ok()?)
    }

    /// Whether the list is stale at `now` (past `validUntil`).
    pub fn is_stale(&self, now: Timestamp) -> bool {
        self.valid_until.is_some_and(|u| now > u)
    }
}

/// Parses a status list credential (JSON bytes), checks its shape and its
/// proof (a did:key controlled by its issuer), and decodes the list.
pub fn parse_status_list_credential(bytes: &[u8]) -> Result<VerifiedStatusList, StatusListError> {
    let shape = |m: &str| StatusListError::Shape(m.to_owned());
    let map = parse_bounded(bytes)?;
    let mut value = Value::Object(map);
    prepass(&mut value)?;
    let Value::Object(doc) = value else {
        return Err(shape("not an object"));
    };
    let types_ok = match doc.get("type") {
        Some(Value::Array(a)) => a
            .iter()
            .any(|t| t.as_str() == Some("BitstringStatusListCredential")),
        _ => false,
    };
    if !types_ok {
        return Err(shape("type must include BitstringStatusListCredential"));
    }
    let issuer_text = match doc.get("issuer") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(o)) => o
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| shape("issuer has no id"))?
            .to_owned(),
        _ => return Err(shape("no issuer")),
    };
    let issuer: IssuerId = issuer_text
        .parse()
        .map_err(|_| shape("issuer is not a did:key"))?;
    let subject = doc
        .get("credentialSubject")
        .and_then(Value::as_object)
        .ok_or_else(|| shape("no credentialSubject"))?;
    if subject.get("type").and_then(Value::as_str) != Some("BitstringStatusList") {
        return Err(shape("credentialSubject is not a BitstringStatusList"));
    }
    let purpose = subject
        .get("statusPurpose")
        .and_then(Value::as_str)
        .ok_or_else(|| shape("no statusPurpose"))?
        .to_owned();
    let encoded = subject
        .get("encodedList")
        .and_then(Value::as_str)
        .ok_or_else(|| shape("no encodedList"))?;
    match check_proofs(&doc, &issuer_text, &ContextSet::pinned(), None)? {
        ProofOutcome::Verified { .. } => {}
        ProofOutcome::Invalid(why) | ProofOutcome::Unsupported(why) => {
            return Err(StatusListError::BadProof(why));
        }
    }
    let date = |k: &str| {
        doc.get(k)
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
    };
    Ok(VerifiedStatusList {
        issuer,
        id: doc.get("id").and_then(Value::as_str).map(str::to_owned),
        purpose,
        valid_from: date("validFrom"),
        valid_until: date("validUntil"),
        list: StatusList::decode(encoded)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_order_and_round_trip() {
        let mut l = StatusList::new(0);
        assert_eq!(l.len(), MIN_STATUS_LIST_ENTRIES);
        l.set(0, true);
        l.set(9, true);
        assert_eq!(l.bits[0], 0x80);
        assert_eq!(l.bits[1], 0x40);
        let text = l.encode();
        assert!(text.starts_with('u'));
        let back = StatusList::decode(&text).unwrap();
        assert_eq!(back, l);
        assert_eq!(back.get(0), Some(true));
        assert_eq!(back.get(1), Some(false));
        assert_eq!(back.get(9), Some(true));
        assert_eq!(back.get(MIN_STATUS_LIST_ENTRIES), None);
    }

    #[test]
    fn sizes() {
        assert_eq!(
            StatusList::from_indices([5u32]).len(),
            MIN_STATUS_LIST_ENTRIES
        );
        assert_eq!(
            StatusList::from_indices([MIN_STATUS_LIST_ENTRIES as u32]).len(),
            2 * MIN_STATUS_LIST_ENTRIES
        );
    }

    #[test]
    fn decode_refuses_bombs_short_lists_and_garbage() {
        let big = StatusList {
            bits: vec![0; MAX_STATUS_LIST_BYTES + 1],
        };
        assert_eq!(
            StatusList::decode(&big.encode()),
            Err(StatusListError::TooLarge)
        );
        let short = StatusList { bits: vec![0; 100] };
        assert_eq!(
            StatusList::decode(&short.encode()),
            Err(StatusListError::TooShort)
        );
        assert_eq!(StatusList::decode("zabc"), Err(StatusListError::Encoding));
        assert_eq!(StatusList::decode("uAAAA"), Err(StatusListError::Gzip));
    }
}
