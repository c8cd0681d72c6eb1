//! W3C Bitstring Status Lists: the bitstring, its `encodedList` text, and
//! signed `BitstringStatusListCredential`s (and their predecessor,
//! `StatusList2021Credential`, which has the same bits).
//!
//! `encodedList` is multibase `u` + base64url (no padding) of the GZIP of
//! the bitstring; StatusList2021 lists leave out the multibase prefix. Index
//! 0 is the most significant bit of byte 0. Lists this crate makes have at
//! least [`MIN_STATUS_LIST_ENTRIES`] entries; lists it reads may be shorter
//! (DCC's have 100,000 entries), which [`VerifiedStatusList::is_short`]
//! reports as a warning rather than refusing: a short list still answers
//! for the credentials it covers, it only narrows the crowd each one hides
//! in. Decoding refuses more than [`MAX_STATUS_LIST_BYTES`] of output (a
//! GZIP bomb stops there).

use std::io::{Read, Write};

use badgemesh_protocol::keys::{IssuerId, SecretKey};
use badgemesh_protocol::time::Timestamp;
use base64::Engine;
use base64::alphabet::{STANDARD, URL_SAFE};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde_json::{Map, Value, json};

use crate::contexts::{CREDENTIALS_V2, ContextSet};
use crate::did::DidLookup;
use crate::json::{JsonError, parse_bounded, prepass};
use crate::limits::{MAX_JSON_BYTES, MAX_STATUS_LIST_BYTES, MIN_STATUS_LIST_ENTRIES};
use crate::proof::{ProofError, ProofOutcome, check_proofs, proof_options, sign};

/// Most `statusPurpose` values one list may declare.
const MAX_PURPOSES: usize = 8;

/// base64url with or without padding, as issuers write it.
const B64URL_ANY: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
/// Standard base64 with or without padding: some StatusList2021 issuers
/// (the 2021 draft said only "base64") use it.
const B64_ANY: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

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
    /// The bitstring is empty: no credential can be looked up in it.
    /// (Lists shorter than [`MIN_STATUS_LIST_ENTRIES`] are read, see
    /// [`VerifiedStatusList::is_short`].)
    #[error("status list has no entries")]
    TooShort,
    /// Not JSON, too large or too deep.
    #[error(transparent)]
    Json(#[from] JsonError),
    /// JSON-LD processing or canonicalization failed.
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// The credential is not a `BitstringStatusListCredential` (or
    /// `StatusList2021Credential`) of the expected shape.
    #[error("not a BitstringStatusListCredential: {0}")]
    Shape(String),
    /// A list given as a VC-JWT that does not read as one.
    #[error("the status list JWT: {0}")]
    Jwt(String),
    /// The proof does not verify with a key of the list's issuer.
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

    /// Parses `encodedList` text, bounded: multibase `u` + base64url, or
    /// (StatusList2021) the base64 without the prefix. A GZIP stream starts
    /// with `H4sI` in base64, which tells the two apart.
    pub fn decode(text: &str) -> Result<StatusList, StatusListError> {
        if text.len() > MAX_JSON_BYTES {
            return Err(StatusListError::TooLarge);
        }
        let b64 = match text.strip_prefix('u') {
            Some(rest) => rest,
            None if text.starts_with("H4sI") => text,
            None => return Err(StatusListError::Encoding),
        };
        let compressed = B64URL_ANY
            .decode(b64)
            .or_else(|_| B64_ANY.decode(b64))
            .map_err(|_| StatusListError::Encoding)?;
        let mut bits = Vec::new();
        GzDecoder::new(compressed.as_slice())
            .take(MAX_STATUS_LIST_BYTES as u64 + 1)
            .read_to_end(&mut bits)
            .map_err(|_| StatusListError::Gzip)?;
        if bits.len() > MAX_STATUS_LIST_BYTES {
            return Err(StatusListError::TooLarge);
        }
        if bits.is_empty() {
            return Err(StatusListError::TooShort);
        }
        Ok(StatusList { bits })
    }

    /// The `size`-bit status at entry `index` (bits `index * size` to
    /// `index * size + size - 1`, most significant first), or `None` if the
    /// entry is outside the list. `size` is 1 to 32.
    pub fn value(&self, index: u64, size: u32) -> Option<u32> {
        if size == 0 || size > 32 {
            return None;
        }
        let first = index.checked_mul(u64::from(size))?;
        let first = usize::try_from(first).ok()?;
        let mut v = 0u32;
        for bit in first..first.checked_add(size as usize)? {
            v = (v << 1) | u32::from(self.get(bit)?);
        }
        Some(v)
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

/// The kind of a status list credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ListKind {
    /// `BitstringStatusListCredential` (W3C Recommendation).
    Bitstring,
    /// `StatusList2021Credential` (its legacy predecessor).
    StatusList2021,
}

impl ListKind {
    /// The credential type name.
    pub fn name(self) -> &'static str {
        match self {
            ListKind::Bitstring => "BitstringStatusListCredential",
            ListKind::StatusList2021 => "StatusList2021Credential",
        }
    }
}

/// A status list credential whose proof checked out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedStatusList {
    /// The issuer that signed it (a DID or URL; its key was a did:key, a
    /// held DID document's, or a multikey in a URL fragment).
    pub issuer: String,
    /// Bitstring or StatusList2021.
    pub kind: ListKind,
    /// Its `id` (usually the URL it is served at, not always).
    pub id: Option<String>,
    /// `statusPurpose` (`revocation`, `suspension`, `message`, ...); the
    /// purposes joined with ", " when the list has several.
    pub purpose: String,
    /// Each `statusPurpose` of the list.
    pub purposes: Vec<String>,
    /// `validFrom` (`issuanceDate` in VC 1.1 lists): when it was signed.
    pub valid_from: Option<Timestamp>,
    /// `validUntil` (`expirationDate` in VC 1.1 lists).
    pub valid_until: Option<Timestamp>,
    /// The bits.
    pub list: StatusList,
}

impl VerifiedStatusList {
    /// Whether the list serves entries of `purpose`.
    pub fn has_purpose(&self, purpose: &str) -> bool {
        self.purposes.iter().any(|p| p == purpose)
    }

    /// Whether entry `index` is set (revoked, for a revocation list); `None`
    /// if the index is outside the list.
    pub fn is_set(&self, index: u64) -> Option<bool> {
        self.list.get(usize::try_from(index).ok()?)
    }

    /// Whether the list is stale at `now` (past `validUntil`).
    pub fn is_stale(&self, now: Timestamp) -> bool {
        self.valid_until.is_some_and(|u| now > u)
    }

    /// Whether the list has fewer entries than the specification's minimum
    /// (131,072): it is read all the same (DCC publishes 100,000-entry
    /// lists), but its credentials are easier to tell apart, so verdicts
    /// warn.
    pub fn is_short(&self) -> bool {
        self.list.len() < MIN_STATUS_LIST_ENTRIES
    }

    /// The warning for a short list, if it is one.
    pub fn short_warning(&self) -> Option<String> {
        self.is_short().then(|| {
            format!(
                "the status list has {} entries, fewer than the {MIN_STATUS_LIST_ENTRIES} the specification asks for (less privacy for its credentials)",
                self.list.len()
            )
        })
    }
}

/// Parses a status list credential (JSON bytes, or a VC-JWT whose key is
/// bound to its issuer), checks its shape and its proof (a did:key
/// controlled by its issuer), and decodes the list.
pub fn parse_status_list_credential(bytes: &[u8]) -> Result<VerifiedStatusList, StatusListError> {
    parse_status_list_credential_with(bytes, None)
}

/// [`parse_status_list_credential`], also for issuers whose keys are in DID
/// documents the caller holds (`did:web`), looked up through `dids`, as for
/// credentials.
pub fn parse_status_list_credential_with(
    bytes: &[u8],
    dids: Option<DidLookup<'_>>,
) -> Result<VerifiedStatusList, StatusListError> {
    let shape = |m: &str| StatusListError::Shape(m.to_owned());
    // A list secured as a VC-JWT (the Bitstring Status List allows any
    // securing mechanism; JWT issuers such as openbadgeslib publish
    // `revocation.jwt`): its signature is its proof.
    let token = std::str::from_utf8(bytes)
        .ok()
        .filter(|t| crate::jwt::looks_like_jwt(t));
    let (map, jwt_proof) = match token {
        Some(token) => {
            let (map, outcome) = crate::jwt::verify_jwt_document(token, dids)
                .map_err(|e| StatusListError::Jwt(e.to_string()))?;
            (map, Some(outcome))
        }
        None => (parse_bounded(bytes)?, None),
    };
    let mut value = Value::Object(map);
    prepass(&mut value)?;
    let Value::Object(doc) = value else {
        return Err(shape("not an object"));
    };
    let has_type = |t: &str| match doc.get("type") {
        Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(t)),
        Some(Value::String(s)) => s == t,
        _ => false,
    };
    let (kind, subject_type) = if has_type("BitstringStatusListCredential") {
        (ListKind::Bitstring, "BitstringStatusList")
    } else if has_type("StatusList2021Credential") {
        (ListKind::StatusList2021, "StatusList2021")
    } else {
        return Err(shape(
            "type must include BitstringStatusListCredential or StatusList2021Credential",
        ));
    };
    let issuer = match doc.get("issuer") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(o)) => o
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| shape("issuer has no id"))?
            .to_owned(),
        _ => return Err(shape("no issuer")),
    };
    let subject = doc
        .get("credentialSubject")
        .and_then(Value::as_object)
        .ok_or_else(|| shape("no credentialSubject"))?;
    if subject.get("type").and_then(Value::as_str) != Some(subject_type) {
        return Err(StatusListError::Shape(format!(
            "credentialSubject is not a {subject_type}"
        )));
    }
    // One purpose, or several: "the statusListCredential might contain
    // multiple status purposes in a single list" (Bitstring Status List,
    // validation algorithm).
    let purposes: Vec<String> = match subject.get("statusPurpose") {
        Some(Value::String(p)) => vec![p.clone()],
        Some(Value::Array(ps)) if !ps.is_empty() && ps.len() <= MAX_PURPOSES => ps
            .iter()
            .map(|p| p.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| shape("statusPurpose holds something other than text"))?,
        _ => return Err(shape("no usable statusPurpose")),
    };
    let purpose = purposes.join(", ");
    let encoded = subject
        .get("encodedList")
        .and_then(Value::as_str)
        .ok_or_else(|| shape("no encodedList"))?;
    // The cheap checks first: a list that does not decode costs no proof.
    let list = StatusList::decode(encoded)?;
    let outcome = match jwt_proof {
        Some(outcome) => outcome,
        None => check_proofs(&doc, &issuer, &ContextSet::pinned(), dids)?,
    };
    match outcome {
        ProofOutcome::Verified { .. } => {}
        ProofOutcome::Invalid(why) | ProofOutcome::Unsupported(why) => {
            return Err(StatusListError::BadProof(why));
        }
    }
    let date = |keys: [&str; 2]| {
        keys.iter().find_map(|k| {
            doc.get(*k)
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok())
        })
    };
    Ok(VerifiedStatusList {
        issuer,
        kind,
        id: doc.get("id").and_then(Value::as_str).map(str::to_owned),
        purpose,
        purposes,
        valid_from: date(["validFrom", "issuanceDate"]),
        valid_until: date(["validUntil", "expirationDate"]),
        list,
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
        assert_eq!(StatusList::decode(&short.encode()), Ok(short));
        let empty = StatusList { bits: vec![] };
        assert_eq!(
            StatusList::decode(&empty.encode()),
            Err(StatusListError::TooShort)
        );
        assert_eq!(StatusList::decode("zabc"), Err(StatusListError::Encoding));
        assert_eq!(StatusList::decode("u!!!"), Err(StatusListError::Encoding));
        assert_eq!(StatusList::decode("uAAAA"), Err(StatusListError::Gzip));
    }

    /// The Bitstring Status List specification's example list (section
    /// 2.2): the `u`-prefixed text decodes to 131,072 clear entries, and so
    /// does the same GZIP without the prefix, as StatusList2021 lists write it.
    #[test]
    fn the_specs_encoded_list_and_its_legacy_form_decode() {
        let text = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA";
        let list = StatusList::decode(text).expect("decodes");
        assert_eq!(list.len(), MIN_STATUS_LIST_ENTRIES);
        assert!((0..list.len()).all(|i| list.get(i) == Some(false)));
        assert_eq!(StatusList::decode(&text[1..]), Ok(list));
    }

    #[test]
    fn multi_bit_values_read_most_significant_first() {
        let mut l = StatusList::new(0);
        // Entry 3 of a 2-bit list is bits 6 and 7: value 0b10.
        l.set(6, true);
        assert_eq!(l.value(3, 2), Some(2));
        assert_eq!(l.value(3, 1), Some(0));
        assert_eq!(l.value(6, 1), Some(1));
        assert_eq!(l.value(u64::MAX, 2), None);
        assert_eq!(l.value((MIN_STATUS_LIST_ENTRIES / 2) as u64, 2), None);
        assert_eq!(l.value(0, 0), None);
    }
}

#[cfg(test)]
mod proptests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Any bitstring round-trips through `encodedList`, and a
        /// `size`-bit value is its bits read most significant first.
        #[test]
        fn encoding_round_trips_and_values_read_the_bits(
            bits in proptest::collection::vec(any::<u8>(), 1..512),
            index in 0u64..2048,
            size in 1u32..=8,
        ) {
            let list = StatusList { bits };
            let back = StatusList::decode(&list.encode()).expect("decodes");
            prop_assert_eq!(&back, &list);
            let first = index * u64::from(size);
            let expected = (first..first + u64::from(size))
                .map(|i| list.get(i as usize).map(u32::from))
                .try_fold(0u32, |v, b| b.map(|b| (v << 1) | b));
            prop_assert_eq!(list.value(index, size), expected);
        }

        /// Decoding outside text never panics, whatever it is.
        #[test]
        fn decoding_any_text_never_panics(text in "[uH]?[A-Za-z0-9_+/=-]{0,200}") {
            let _ = StatusList::decode(&text);
        }
    }
}
