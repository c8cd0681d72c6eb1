//! `ecdsa-sd-2023` derived proofs: a holder discloses part of a credential,
//! and the verifier checks what was disclosed (W3C vc-di-ecdsa, "Verify
//! Derived Proof (ecdsa-sd-2023)").
//!
//! The derived `proofValue` (multibase `u`, header `0xd9 0x5d 0x01`, then a
//! CBOR array) carries the issuer's base signature, a proof-scoped P-256
//! key, one signature per non-mandatory statement, the label map (canonical
//! blank node label to the issuer's HMAC'd label) and the indexes of the
//! mandatory statements. Verification canonicalizes the disclosed document
//! with RDFC-1.0, relabels its blank nodes through the label map, sorts the
//! N-Quads, and then checks
//!
//! - the base signature, by the issuer's key (the verification method),
//!   over `SHA-256(canonical proof options) || proof-scoped key (multikey
//!   bytes) || SHA-256(the mandatory N-Quads, joined)`, and
//! - each non-mandatory N-Quad's signature, by the proof-scoped key.
//!
//! Base proofs (header `0xd9 0x5d 0x00`) are for the holder to derive from,
//! not for verifiers: they are invalid here, as the spec's parsing step says.
//! Only P-256 issuer keys are accepted. The CBOR is read with minicbor,
//! bounded by [`MAX_SD_SIGNATURES`]; nothing here is hand-made cryptography.

use std::collections::{BTreeSet, HashMap};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use minicbor::Decoder;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::canon::canonicalize_relabelled;
use crate::contexts::ContextSet;
use crate::keys::VerificationKey;
use crate::limits::MAX_SD_SIGNATURES;
use crate::proof::ProofError;
use crate::rdf::to_rdf;

/// The header of a derived (disclosure) proof value.
const DERIVED_HEADER: [u8; 3] = [0xd9, 0x5d, 0x01];
/// The header of a base proof value.
const BASE_HEADER: [u8; 3] = [0xd9, 0x5d, 0x00];
/// Longest derived proof value read, in characters (a signature is about
/// 86 characters of base64url, so this is several times the signature
/// limit).
const MAX_PROOF_VALUE_CHARS: usize = 128 * 1024;

/// A derived proof value, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedProof {
    /// The issuer's signature over the proof hash, the proof-scoped key and
    /// the mandatory hash.
    pub base_signature: Vec<u8>,
    /// The proof-scoped key as multikey bytes (`0x80 0x24` and a compressed
    /// P-256 point).
    pub public_key: Vec<u8>,
    /// One signature per non-mandatory N-Quad, in order.
    pub signatures: Vec<Vec<u8>>,
    /// Canonical label (`c14n3`) to the label the issuer gave (`u...`).
    pub label_map: HashMap<String, String>,
    /// Indexes, into the sorted relabelled N-Quads, of the mandatory ones.
    pub mandatory_indexes: BTreeSet<u64>,
}

/// Reads a derived proof value (`u...`); `Err` says why it is not one.
pub fn parse_derived_proof_value(text: &str) -> Result<DerivedProof, String> {
    let b64 = text
        .strip_prefix('u')
        .ok_or("the proofValue is not multibase base64url (u...)")?;
    if b64.len() > MAX_PROOF_VALUE_CHARS {
        return Err("the proofValue is too long".into());
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(b64)
        .map_err(|_| "the proofValue is not base64url")?;
    if bytes.starts_with(&BASE_HEADER) {
        return Err(
            "this is an ecdsa-sd-2023 base proof, which only its holder may derive from; \
             a verifier checks derived proofs"
                .into(),
        );
    }
    let cbor = bytes
        .strip_prefix(&DERIVED_HEADER)
        .ok_or("the proofValue has no ecdsa-sd-2023 derived proof header")?;
    decode_components(cbor).map_err(|e| format!("the derived proof value is malformed: {e}"))
}

fn decode_components(cbor: &[u8]) -> Result<DerivedProof, String> {
    let e = |e: minicbor::decode::Error| e.to_string();
    let mut d = Decoder::new(cbor);
    if d.array().map_err(e)? != Some(5) {
        return Err("not an array of five components".into());
    }
    let base_signature = d.bytes().map_err(e)?.to_vec();
    if base_signature.len() != 64 {
        return Err("the base signature is not 64 bytes".into());
    }
    let public_key = d.bytes().map_err(e)?.to_vec();
    let count = |n: Option<u64>| -> Result<usize, String> {
        match n {
            Some(n) if n <= MAX_SD_SIGNATURES as u64 => Ok(n as usize),
            Some(n) => Err(format!(
                "{n} entries (at most {MAX_SD_SIGNATURES} are read)"
            )),
            None => Err("an indefinite-length item".into()),
        }
    };
    let n = count(d.array().map_err(e)?)?;
    let mut signatures = Vec::with_capacity(n);
    for _ in 0..n {
        let s = d.bytes().map_err(e)?;
        if s.len() != 64 {
            return Err("a signature is not 64 bytes".into());
        }
        signatures.push(s.to_vec());
    }
    let n = count(d.map().map_err(e)?)?;
    let mut label_map = HashMap::with_capacity(n);
    for _ in 0..n {
        let k = d.u64().map_err(e)?;
        let v = d.bytes().map_err(e)?;
        if v.len() != 32 {
            return Err("a label is not 32 bytes".into());
        }
        label_map.insert(
            format!("c14n{k}"),
            format!("u{}", URL_SAFE_NO_PAD.encode(v)),
        );
    }
    if label_map.values().collect::<BTreeSet<_>>().len() != label_map.len() {
        // Two blank nodes under one label would merge them into one node.
        return Err("two canonical labels map to the same label".into());
    }
    let n = count(d.array().map_err(e)?)?;
    let mut mandatory_indexes = BTreeSet::new();
    for _ in 0..n {
        mandatory_indexes.insert(d.u64().map_err(e)?);
    }
    if d.position() != cbor.len() {
        return Err("bytes after the components".into());
    }
    Ok(DerivedProof {
        base_signature,
        public_key,
        signatures,
        label_map,
        mandatory_indexes,
    })
}

/// What verification needs, computed from the document and the proof
/// (the spec's `createVerifyData`), for inspection and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyData {
    /// The parsed proof value.
    pub proof: DerivedProof,
    /// SHA-256 of the canonical proof options.
    pub proof_hash: [u8; 32],
    /// The sorted, relabelled N-Quads of the document.
    pub nquads: Vec<String>,
    /// SHA-256 of the mandatory N-Quads, joined.
    pub mandatory_hash: [u8; 32],
    /// The N-Quads not mandatory, in order: each has a signature.
    pub non_mandatory: Vec<String>,
}

/// `createVerifyData`: `Ok(Err(why))` when the proof value is malformed,
/// `Err` when the document cannot be processed at all. `canonical_proof`
/// is the proof options' canonical N-Quads (made by the caller, who has the
/// proof checker's template path).
pub fn create_verify_data(
    doc: &Map<String, Value>,
    proof: &Map<String, Value>,
    canonical_proof: &str,
    contexts: &ContextSet,
) -> Result<Result<VerifyData, String>, ProofError> {
    let Some(value) = proof.get("proofValue").and_then(Value::as_str) else {
        return Ok(Err("no proofValue".into()));
    };
    let parsed = match parse_derived_proof_value(value) {
        Ok(p) => p,
        Err(why) => return Ok(Err(why)),
    };
    let mut unsecured = doc.clone();
    unsecured.shift_remove("proof");
    let quads = to_rdf(&unsecured, contexts)?;
    let nquads = match canonicalize_relabelled(&quads, |c14n| parsed.label_map.get(c14n).cloned()) {
        Ok(n) => n,
        Err(crate::canon::CanonError::Failed(why)) if why.starts_with("no usable label") => {
            return Ok(Err(format!(
                "the label map does not cover the document: {why}"
            )));
        }
        Err(e) => return Err(e.into()),
    };
    if parsed
        .mandatory_indexes
        .iter()
        .any(|&i| i >= nquads.len() as u64)
    {
        return Ok(Err("a mandatory index is past the last statement".into()));
    }
    let mut mandatory = String::new();
    let mut non_mandatory = Vec::new();
    for (i, nq) in nquads.iter().enumerate() {
        if parsed.mandatory_indexes.contains(&(i as u64)) {
            mandatory.push_str(nq);
        } else {
            non_mandatory.push(nq.clone());
        }
    }
    Ok(Ok(VerifyData {
        proof: parsed,
        proof_hash: Sha256::digest(canonical_proof.as_bytes()).into(),
        mandatory_hash: Sha256::digest(mandatory.as_bytes()).into(),
        nquads,
        non_mandatory,
    }))
}

/// Checks verify data with the issuer's key: `Ok` if every signature
/// verifies, else why not.
pub fn verify_derived(data: &VerifyData, issuer_key: &VerificationKey) -> Result<(), String> {
    let VerificationKey::P256(_) = issuer_key else {
        return Err(format!(
            "ecdsa-sd-2023 is verified with P-256 keys, and this is a {} key",
            issuer_key.key_type()
        ));
    };
    let p = &data.proof;
    if p.signatures.len() != data.non_mandatory.len() {
        return Err(format!(
            "{} signatures for {} non-mandatory statements",
            p.signatures.len(),
            data.non_mandatory.len()
        ));
    }
    let proof_key = multibase_of(&p.public_key)
        .and_then(|mk| VerificationKey::from_multikey(&mk).ok())
        .filter(|k| matches!(k, VerificationKey::P256(_)))
        .ok_or("the proof-scoped key is not a P-256 multikey")?;
    let mut to_verify = Vec::with_capacity(32 + p.public_key.len() + 32);
    to_verify.extend_from_slice(&data.proof_hash);
    to_verify.extend_from_slice(&p.public_key);
    to_verify.extend_from_slice(&data.mandatory_hash);
    if !issuer_key.verify(&to_verify, &p.base_signature) {
        return Err("the base signature does not verify".into());
    }
    for (i, (nq, sig)) in data.non_mandatory.iter().zip(&p.signatures).enumerate() {
        if !proof_key.verify(nq.as_bytes(), sig) {
            return Err(format!(
                "the signature of disclosed statement {i} does not verify"
            ));
        }
    }
    Ok(())
}

/// The `z...` multikey text of multikey bytes.
fn multibase_of(bytes: &[u8]) -> Option<String> {
    (bytes.len() <= 64).then(|| multibase::encode(multibase::Base::Base58Btc, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Random CBOR after the derived header: an error or a parse,
        /// never a panic or an allocation the input did not pay for.
        #[test]
        fn random_proof_values_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut value = DERIVED_HEADER.to_vec();
            value.extend_from_slice(&bytes);
            let _ = parse_derived_proof_value(&format!("u{}", URL_SAFE_NO_PAD.encode(&value)));
            let _ = parse_derived_proof_value(&format!("u{}", URL_SAFE_NO_PAD.encode(&bytes)));
        }
    }

    #[test]
    fn malformed_proof_values_are_refused_without_panics() {
        for bad in ["", "z123", "u", "u!!", "uAAAA", "u2V0A", "u2V0BgA"] {
            assert!(parse_derived_proof_value(bad).is_err(), "{bad}");
        }
        let base = format!("u{}", URL_SAFE_NO_PAD.encode([0xd9, 0x5d, 0x00, 0x80]));
        assert!(parse_derived_proof_value(&base).is_err_and(|e| e.contains("base proof")),);
        // An array announcing more signatures than the limit.
        let mut cbor = vec![0xd9, 0x5d, 0x01, 0x85, 0x58, 0x40];
        cbor.extend_from_slice(&[0; 64]);
        cbor.extend_from_slice(&[0x42, 0x80, 0x24, 0x9b]);
        cbor.extend_from_slice(&u64::MAX.to_be_bytes());
        let huge = format!("u{}", URL_SAFE_NO_PAD.encode(&cbor));
        assert!(parse_derived_proof_value(&huge).is_err_and(|e| e.contains("at most")));
    }
}
