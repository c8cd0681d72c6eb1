//! `eddsa-jcs-2022` and `ecdsa-jcs-2019`: the Data Integrity suites that
//! canonicalise with JSON Canonicalization (RFC 8785) instead of RDF.
//!
//! The message is `H(JCS(proof options)) || H(JCS(document))`, with `H`
//! SHA-256 (SHA-384 for `ecdsa-jcs-2019` with a P-384 key),
//! where the proof options are the proof without `proofValue` and the
//! document is the credential without `proof`, whose `@context` becomes the
//! proof's when the proof has one (and the document's must start with it).
//! No JSON-LD processing is involved, so the cost is that of a JSON
//! serialisation; RFC 8785 comes from `serde_json_canonicalizer`, which writes
//! numbers as ECMAScript does.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The Ed25519 suite's name.
pub const EDDSA_JCS_2022: &str = "eddsa-jcs-2022";
/// The ECDSA (P-256, P-384) suite's name.
pub const ECDSA_JCS_2019: &str = "ecdsa-jcs-2019";

/// The canonical forms and the signed message of a document and its proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JcsHashData {
    /// JCS of the proof options.
    pub canonical_proof: String,
    /// JCS of the document without its proof.
    pub canonical_document: String,
    /// `SHA-256(canonical_proof) || SHA-256(canonical_document)`.
    pub message: [u8; 64],
}

/// Why the message could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JcsError {
    /// The proof's `@context` is not where the document's begins.
    #[error("the document's @context does not start with the proof's @context")]
    ContextMismatch,
    /// A number or string JCS cannot represent.
    #[error("not canonicalizable JSON: {0}")]
    Canonicalize(String),
}

/// The message a proof signs: `proof` with or without its `proofValue`
/// (which is left out), over `doc` with or without its `proof`.
pub fn hash_data(
    doc: &Map<String, Value>,
    proof: &Map<String, Value>,
) -> Result<JcsHashData, JcsError> {
    let (canonical_proof, canonical_document) = canonical_forms(doc, proof)?;
    let mut message = [0u8; 64];
    message[..32].copy_from_slice(&Sha256::digest(canonical_proof.as_bytes()));
    message[32..].copy_from_slice(&Sha256::digest(canonical_document.as_bytes()));
    Ok(JcsHashData {
        canonical_proof,
        canonical_document,
        message,
    })
}

/// The JCS texts of the proof options and of the document, in that order:
/// what every JCS suite hashes, each with its own hash function.
pub fn canonical_forms(
    doc: &Map<String, Value>,
    proof: &Map<String, Value>,
) -> Result<(String, String), JcsError> {
    let mut options = proof.clone();
    options.remove("proofValue");
    let mut document = doc.clone();
    document.remove("proof");
    if let Some(ctx) = options.get("@context") {
        let starts = match (document.get("@context"), ctx) {
            (Some(Value::Array(d)), Value::Array(p)) => d.starts_with(p),
            (Some(d), p) => d == p || d.as_array().and_then(|a| a.first()) == Some(p),
            (None, _) => false,
        };
        if !starts {
            return Err(JcsError::ContextMismatch);
        }
        document.insert("@context".into(), ctx.clone());
    }
    let jcs = |v: &Map<String, Value>| {
        serde_json_canonicalizer::to_string(v).map_err(|e| JcsError::Canonicalize(e.to_string()))
    };
    Ok((jcs(&options)?, jcs(&document)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_ecmascript_does() {
        let doc: Map<String, Value> =
            serde_json::from_str(r#"{"b": 1.0, "a": 1e21, "c": 0.000001, "d": [3, 2.50]}"#)
                .expect("json");
        let got = serde_json_canonicalizer::to_string(&doc).expect("jcs");
        assert_eq!(got, r#"{"a":1e+21,"b":1,"c":0.000001,"d":[3,2.5]}"#);
    }
}
