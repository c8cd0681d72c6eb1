//! DID documents for issuers whose keys are not `did:key`s (`did:web` and
//! others), read from bytes the verifier already holds.
//!
//! Resolving `did:web` means an HTTPS fetch, which verification never does.
//! Instead the operator fetches (or carries) the issuer's DID document once
//! and the verifier looks keys up in it: a proof's `verificationMethod` must
//! be one of the document's methods with a key of a supported type (Ed25519,
//! P-256, P-384, RSA: see [`crate::keys`]) and be listed under
//! `assertionMethod`, and the document's `id` becomes the key's controller,
//! which must be the credential's issuer. A DID document is plain JSON to a
//! resolver (DID Core), so no JSON-LD processing is involved.
//!
//! `did:key`s need no document: [`resolve_did_key`] derives the key from the
//! DID itself, for Ed25519, P-256 and P-384 keys.

use serde_json::{Map, Value};

use crate::json::parse_bounded;
use crate::keys::{KeyError, VerificationKey};

/// Methods read from one document, at most.
const MAX_METHODS: usize = 64;

/// Why bytes are not a usable DID document.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum DidError {
    /// Not a bounded JSON object.
    #[error("not a JSON object: {0}")]
    Json(String),
    /// `id` is missing or not a DID.
    #[error("the document's id is not a DID")]
    NoId,
    /// `did:key` documents are derived from the key, never held.
    #[error("did:key needs no document")]
    DidKey,
    /// No verification method with a supported key is listed under
    /// `assertionMethod`.
    #[error("no supported key (Ed25519, P-256, P-384, RSA) is listed under assertionMethod")]
    NoAssertionKey,
}

/// One verification method with a supported key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Method {
    /// Its absolute id (`did:web:example.org#key-1`).
    pub id: String,
    /// The key.
    pub key: VerificationKey,
    /// Whether the document lists it under `assertionMethod`.
    pub assertion: bool,
}

/// The parts of a DID document that verification uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidDocument {
    /// The DID.
    pub id: String,
    /// Its verification methods with a supported key.
    pub methods: Vec<Method>,
}

impl DidDocument {
    /// Reads a DID document. Methods whose key is not of a supported type
    /// (a `publicKeyMultibase` Multikey or a `publicKeyJwk`, see
    /// [`VerificationKey::from_method`]) are ignored.
    pub fn parse(bytes: &[u8]) -> Result<DidDocument, DidError> {
        let doc = parse_bounded(bytes).map_err(|e| DidError::Json(e.to_string()))?;
        let id = doc
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| id.starts_with("did:") && id.len() <= 2048)
            .ok_or(DidError::NoId)?
            .to_owned();
        if id.starts_with("did:key:") {
            return Err(DidError::DidKey);
        }
        let absolute = |r: &str| {
            if r.starts_with('#') {
                format!("{id}{r}")
            } else {
                r.to_owned()
            }
        };
        let mut methods: Vec<Method> = Vec::new();
        let mut add = |m: &Map<String, Value>, assertion: bool| {
            if let (Some(mid), Some(key)) = (
                m.get("id").and_then(Value::as_str),
                VerificationKey::from_method(m).ok(),
            ) && methods.len() < MAX_METHODS
            {
                methods.push(Method {
                    id: absolute(mid),
                    key,
                    assertion,
                });
            }
        };
        let list = |k: &str| {
            doc.get(k)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        for m in list("verificationMethod") {
            if let Value::Object(m) = m {
                add(&m, false);
            }
        }
        let mut referenced = Vec::new();
        for entry in list("assertionMethod") {
            match entry {
                Value::String(r) => referenced.push(absolute(&r)),
                Value::Object(m) => add(&m, true),
                _ => {}
            }
        }
        for m in &mut methods {
            if referenced.contains(&m.id) {
                m.assertion = true;
            }
        }
        if !methods.iter().any(|m| m.assertion) {
            return Err(DidError::NoAssertionKey);
        }
        Ok(DidDocument { id, methods })
    }

    /// The key of verification method `vm` if the document lists it for
    /// assertions.
    pub fn assertion_key(&self, vm: &str) -> Option<&VerificationKey> {
        self.methods
            .iter()
            .find(|m| m.assertion && m.id == vm)
            .map(|m| &m.key)
    }
}

/// The controller and key of a `did:key` DID or DID URL
/// (`did:key:z...` or `did:key:z...#z...`; a fragment must repeat the key).
/// Ed25519, P-256 and P-384 did:keys resolve; others are
/// [`KeyError::UnsupportedMultikey`].
pub fn resolve_did_key(did_url: &str) -> Result<(String, VerificationKey), KeyError> {
    let rest = did_url
        .strip_prefix("did:key:")
        .ok_or(KeyError::Multibase)?;
    let (mb, fragment) = match rest.split_once('#') {
        Some((mb, f)) => (mb, Some(f)),
        None => (rest, None),
    };
    if fragment.is_some_and(|f| f != mb) {
        return Err(KeyError::Multibase);
    }
    let key = VerificationKey::from_multikey(mb)?;
    Ok((format!("did:key:{mb}"), key))
}

/// Looks up the DID document of a DID, for proofs whose verification method
/// is not a `did:key`.
pub type DidLookup<'a> = &'a dyn Fn(&str) -> Option<DidDocument>;

#[cfg(test)]
mod tests {
    use badgemesh_protocol::keys::{PublicKey, SecretKey};
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    fn key() -> PublicKey {
        *SecretKey::from_seed(&[7; 32]).expect("key").public()
    }

    #[test]
    fn ecdsa_methods_and_did_keys_resolve() {
        let p256 = "zDnaepBuvsQ8cpsWrVKw8fbpGpvPeNSjVPTWoq6cRqaYzBKVP";
        let doc = serde_json::json!({
            "id": "did:web:issuer.example",
            "verificationMethod": [
                {"id": "#p256", "type": "Multikey", "publicKeyMultibase": p256},
                {"id": "#k1", "type": "Multikey", "publicKeyMultibase": "zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme"},
            ],
            "assertionMethod": ["#p256", "#k1"],
        });
        let d = DidDocument::parse(doc.to_string().as_bytes()).expect("parses");
        assert_eq!(d.methods.len(), 1, "the secp256k1 method is ignored");
        assert_eq!(
            d.assertion_key("did:web:issuer.example#p256")
                .and_then(VerificationKey::to_multikey)
                .as_deref(),
            Some(p256)
        );
        let (controller, key) =
            resolve_did_key(&format!("did:key:{p256}#{p256}")).expect("resolves");
        assert_eq!(controller, format!("did:key:{p256}"));
        assert_eq!(key.key_type(), crate::keys::KeyType::P256);
        assert!(resolve_did_key(&format!("did:key:{p256}#other")).is_err());
        assert!(resolve_did_key("did:web:x").is_err());
    }

    #[test]
    fn methods_listed_for_assertion_are_found_in_every_form() {
        let mk = key().to_multibase();
        let x = URL_SAFE_NO_PAD.encode(key().as_bytes());
        let doc = serde_json::json!({
            "id": "did:web:issuer.example",
            "verificationMethod": [
                {"id": "#key-1", "type": "Multikey", "controller": "did:web:issuer.example", "publicKeyMultibase": mk},
                {"id": "did:web:issuer.example#key-2", "type": "JsonWebKey2020", "publicKeyJwk": {"kty": "OKP", "crv": "Ed25519", "x": x}},
                {"id": "#auth", "type": "Multikey", "publicKeyMultibase": mk},
            ],
            "assertionMethod": ["#key-1", "did:web:issuer.example#key-2",
                {"id": "#key-3", "type": "Multikey", "publicKeyMultibase": mk}],
            "authentication": ["#auth"],
        });
        let d = DidDocument::parse(doc.to_string().as_bytes()).expect("parses");
        for vm in ["#key-1", "#key-2", "#key-3"] {
            let vm = format!("did:web:issuer.example{vm}");
            assert_eq!(d.assertion_key(&vm), Some(&key().into()), "{vm}");
        }
        assert_eq!(d.assertion_key("did:web:issuer.example#auth"), None);
        assert_eq!(d.assertion_key("did:web:other.example#key-1"), None);
    }

    #[test]
    fn unusable_documents_are_refused() {
        let parse = |v: Value| DidDocument::parse(v.to_string().as_bytes());
        assert_eq!(
            parse(serde_json::json!({"id": "https://x"})),
            Err(DidError::NoId)
        );
        assert_eq!(
            parse(serde_json::json!({"id": "did:key:z6Mk"})),
            Err(DidError::DidKey)
        );
        assert_eq!(
            parse(
                serde_json::json!({"id": "did:web:x", "verificationMethod": [
                {"id": "#k", "type": "Multikey", "publicKeyMultibase": key().to_multibase()}]})
            ),
            Err(DidError::NoAssertionKey)
        );
        assert!(matches!(
            DidDocument::parse(b"[1, 2"),
            Err(DidError::Json(_))
        ));
    }
}
