//! Verifiable Presentations (VC Data Model 2.0 §4.13): a holder's envelope
//! around credentials, signed for `authentication` with the verifier's
//! challenge and domain so that it cannot be replayed elsewhere.
//!
//! This module judges the presentation itself: its shape, its proof (by the
//! holder's key when it names a holder) and the challenge and domain the
//! verifier asked for. The credentials it carries are handed back for the
//! caller to verify one by one like any other credential (with status and
//! the node's trust), so a presentation is never more believed than what it
//! presents.

use std::sync::atomic::AtomicBool;

use serde_json::{Map, Value};

use crate::contexts::{CREDENTIALS_V1, CREDENTIALS_V2, ContextSet};
use crate::did::DidLookup;
use crate::json::{JsonError, parse_bounded, prepass};
use crate::proof::{ProofError, ProofFor, ProofOutcome, check_proofs_for};

/// Most credentials one presentation may carry: each is a full verification.
pub const MAX_PRESENTED_CREDENTIALS: usize = 16;

/// Why a presentation could not be judged at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PresentationError {
    /// Not acceptable JSON.
    #[error(transparent)]
    Json(#[from] JsonError),
    /// The proofs are over budget, or the caller cancelled.
    #[error(transparent)]
    Proof(#[from] ProofError),
}

/// What the verifier asks of the presentation's proof.
#[derive(Clone, Copy, Default)]
pub struct PresentationOptions<'a> {
    /// The challenge every proof must carry (`options.challenge`).
    pub challenge: Option<&'a str>,
    /// The domain every proof must carry (`options.domain`).
    pub domain: Option<&'a str>,
    /// The proof purpose (default `authentication`).
    pub purpose: Option<&'a str>,
    /// Where to find DID documents.
    pub dids: Option<DidLookup<'a>>,
    /// Set when nobody waits for the answer any more.
    pub cancel: Option<&'a AtomicBool>,
}

/// How the presentation's own proof fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PresentationProof {
    /// Verified, by this verification method.
    Verified {
        /// The cryptosuite.
        cryptosuite: String,
        /// The key that signed.
        verification_method: String,
    },
    /// Not signed, and the verifier asked for nothing a proof would carry.
    Unsigned,
    /// Wrong: a bad signature, purpose, key, challenge or domain.
    Invalid(String),
    /// Not checkable here (an unsupported suite or key).
    Unsupported(String),
}

/// The judgement of a presentation, before its credentials are verified.
#[derive(Debug, Clone)]
pub struct PresentationVerdict {
    /// The first rule of the data model the presentation breaks, if any.
    pub problem: Option<String>,
    /// Its proof.
    pub proof: PresentationProof,
    /// The holder's id, if it names one.
    pub holder: Option<String>,
    /// The credentials it carries (JSON objects, or VC-JWT strings), for
    /// the caller to verify.
    pub credentials: Vec<Value>,
}

impl PresentationVerdict {
    /// Whether the presentation itself stands (its credentials aside).
    pub fn holds(&self) -> bool {
        self.problem.is_none()
            && matches!(
                self.proof,
                PresentationProof::Verified { .. } | PresentationProof::Unsigned
            )
    }
}

/// Judges a presentation given as JSON bytes (bounded like credentials).
pub fn verify_presentation(
    bytes: &[u8],
    options: &PresentationOptions<'_>,
) -> Result<PresentationVerdict, PresentationError> {
    let map = parse_bounded(bytes)?;
    let mut value = Value::Object(map);
    prepass(&mut value)?;
    let Value::Object(doc) = value else {
        return Err(JsonError::NotAnObject.into());
    };
    let holder = match doc.get("holder") {
        Some(Value::String(h)) => Some(h.clone()),
        Some(Value::Object(o)) => o.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    };
    let mut verdict = PresentationVerdict {
        problem: shape_problem(&doc),
        proof: PresentationProof::Unsigned,
        holder,
        credentials: Vec::new(),
    };
    if verdict.problem.is_some() {
        verdict.proof = PresentationProof::Invalid("not a Verifiable Presentation".into());
        return Ok(verdict);
    }
    verdict.credentials = match doc.get("verifiableCredential") {
        None => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(one) => vec![one.clone()],
    };
    verdict.proof = proof(&doc, verdict.holder.as_deref(), options)?;
    Ok(verdict)
}

/// The data model's rules on a presentation's own properties.
fn shape_problem(doc: &Map<String, Value>) -> Option<String> {
    let contexts: Vec<&Value> = match doc.get("@context") {
        None => return Some("a presentation must have a @context".into()),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
    };
    match contexts.first().and_then(|c| c.as_str()) {
        Some(CREDENTIALS_V2 | CREDENTIALS_V1) => {}
        _ => {
            return Some(format!(
                "the first @context of a presentation must be {CREDENTIALS_V2}"
            ));
        }
    }
    for c in &contexts[1..] {
        let ok = match c {
            Value::String(url) => is_url(url),
            Value::Object(_) => true,
            _ => false,
        };
        if !ok {
            return Some("each further @context must be a URL or a context object".into());
        }
    }
    let typed = match doc.get("type") {
        Some(Value::String(t)) => t == "VerifiablePresentation",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "VerifiablePresentation"),
        _ => false,
    };
    if !typed {
        return Some("a presentation's type must include VerifiablePresentation".into());
    }
    if doc
        .get("id")
        .is_some_and(|id| !id.as_str().is_some_and(is_url))
    {
        return Some("a presentation's id must be a single URL".into());
    }
    match doc.get("holder") {
        None => {}
        Some(Value::String(h)) if is_url(h) => {}
        Some(Value::Object(o)) if o.get("id").and_then(Value::as_str).is_some_and(is_url) => {}
        Some(_) => {
            return Some("a presentation's holder must be a URL or an object with one".into());
        }
    }
    let items: Vec<&Value> = match doc.get("verifiableCredential") {
        None => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
    };
    if items.len() > MAX_PRESENTED_CREDENTIALS {
        return Some(format!(
            "{} credentials presented (at most {MAX_PRESENTED_CREDENTIALS} are verified)",
            items.len()
        ));
    }
    let credential = |v: &&Value| match v {
        Value::Object(_) => true,
        Value::String(s) => crate::jwt::looks_like_jwt(s),
        _ => false,
    };
    if !items.iter().all(credential) {
        return Some("each verifiableCredential must be a credential or a VC-JWT".into());
    }
    None
}

/// A URL as the data model means it: a scheme and no spaces.
fn is_url(s: &str) -> bool {
    s.split_once(':').is_some_and(|(scheme, rest)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            && !rest.is_empty()
    }) && !s.chars().any(char::is_whitespace)
}

/// The presentation's proof against the holder and the verifier's options.
fn proof(
    doc: &Map<String, Value>,
    holder: Option<&str>,
    options: &PresentationOptions<'_>,
) -> Result<PresentationProof, ProofError> {
    let proofs: Vec<&Value> = match doc.get("proof") {
        None => {
            if options.challenge.is_some() || options.domain.is_some() {
                return Ok(PresentationProof::Invalid(
                    "the presentation is not signed, so it carries no challenge or domain".into(),
                ));
            }
            return Ok(PresentationProof::Unsigned);
        }
        Some(Value::Array(ps)) => ps.iter().collect(),
        Some(one) => vec![one],
    };
    let wanted = [("challenge", options.challenge), ("domain", options.domain)];
    for p in &proofs {
        for (key, want) in wanted {
            if let Some(w) = want
                && p.get(key).and_then(Value::as_str) != Some(w)
            {
                return Ok(PresentationProof::Invalid(format!(
                    "the proof's {key} is not the one asked for"
                )));
            }
        }
    }
    let want = ProofFor {
        purpose: options.purpose.unwrap_or("authentication"),
        controller: holder,
    };
    let contexts = ContextSet::pinned();
    let outcome = match check_proofs_for(doc, want, &contexts, options.dids, options.cancel) {
        Ok((outcome, _)) => outcome,
        // JSON-LD processing refused the presentation (an unknown
        // context, an undefined term): it is not verified.
        Err(ProofError::Rdf(e)) => ProofOutcome::Invalid(e.to_string()),
        Err(e) => return Err(e),
    };
    Ok(match outcome {
        ProofOutcome::Verified {
            cryptosuite,
            verification_method,
            ..
        } => PresentationProof::Verified {
            cryptosuite,
            verification_method,
        },
        ProofOutcome::Invalid(why) => PresentationProof::Invalid(why),
        ProofOutcome::Unsupported(why) => PresentationProof::Unsupported(why),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proof::{proof_options, sign};
    use badgemesh_protocol::keys::{IssuerId, SecretKey};
    use badgemesh_protocol::testkit::seed;
    use serde_json::json;

    fn holder_key() -> (SecretKey, IssuerId) {
        let k = SecretKey::from_seed(&seed("holder", 1)).expect("key");
        let id = IssuerId::from_key(k.public());
        (k, id)
    }

    /// A presentation signed by `k` for authentication with this challenge
    /// and domain.
    fn signed(k: &SecretKey, id: &IssuerId, extra: Value) -> Vec<u8> {
        let mut doc = json!({
            "@context": [CREDENTIALS_V2],
            "type": ["VerifiablePresentation"],
            "holder": id.to_did(),
        });
        if let (Value::Object(d), Value::Object(e)) = (&mut doc, extra) {
            d.extend(e);
        }
        let Value::Object(mut doc) = doc else {
            unreachable!()
        };
        let mut options = proof_options(&id.verification_method(), "2026-12-01T00:00:00Z");
        options.insert("proofPurpose".into(), "authentication".into());
        options.insert("challenge".into(), "c-123".into());
        options.insert("domain".into(), "verifier.example".into());
        sign(&mut doc, options, k, &ContextSet::pinned()).expect("sign");
        serde_json::to_vec(&doc).expect("json")
    }

    fn asked<'a>() -> PresentationOptions<'a> {
        PresentationOptions {
            challenge: Some("c-123"),
            domain: Some("verifier.example"),
            ..PresentationOptions::default()
        }
    }

    #[test]
    fn a_holders_signed_presentation_holds_and_a_changed_one_does_not() {
        let (k, id) = holder_key();
        let bytes = signed(&k, &id, json!({}));
        let v = verify_presentation(&bytes, &asked()).expect("judged");
        assert!(v.holds(), "{v:?}");
        assert_eq!(v.holder.as_deref(), Some(id.to_did().as_str()));
        // Another challenge (a replay), or a changed holder, does not hold.
        let other = PresentationOptions {
            challenge: Some("c-999"),
            ..asked()
        };
        assert!(!verify_presentation(&bytes, &other).expect("judged").holds());
        let mut doc: Value = serde_json::from_slice(&bytes).expect("json");
        doc["holder"] = json!("did:key:z6MkpJySvETLnxhQG9DzEdmKJtysBDjuuTeDfUj1uNNCUqcj");
        let v = verify_presentation(&serde_json::to_vec(&doc).expect("json"), &asked())
            .expect("judged");
        assert!(
            matches!(&v.proof, PresentationProof::Invalid(why) if why.contains("holder")),
            "{v:?}"
        );
    }

    #[test]
    fn an_assertion_proof_does_not_authenticate() {
        let (k, id) = holder_key();
        let bytes = signed(&k, &id, json!({}));
        let v = verify_presentation(
            &bytes,
            &PresentationOptions {
                purpose: Some("assertionMethod"),
                ..asked()
            },
        )
        .expect("judged");
        assert!(!v.holds(), "{v:?}");
    }

    #[test]
    fn the_data_models_rules_on_presentations() {
        for (doc, what) in [
            (json!({"type": ["VerifiablePresentation"]}), "@context"),
            (json!({"@context": [CREDENTIALS_V2]}), "type"),
            (
                json!({"@context": [CREDENTIALS_V2], "type": ["NonconformingDocument"]}),
                "type",
            ),
            (
                json!({"@context": ["https://www.w3.org/ns/credentials/examples/v2", CREDENTIALS_V2], "type": ["VerifiablePresentation"]}),
                "first",
            ),
            (
                json!({"@context": [CREDENTIALS_V2, 123], "type": ["VerifiablePresentation"]}),
                "further",
            ),
            (
                json!({"@context": [CREDENTIALS_V2, "https ://not-a-url/contexts/v1"], "type": ["VerifiablePresentation"]}),
                "further",
            ),
            (
                json!({"@context": [CREDENTIALS_V2], "type": ["VerifiablePresentation"], "verifiableCredential": [1]}),
                "verifiableCredential",
            ),
        ] {
            let v =
                verify_presentation(doc.to_string().as_bytes(), &PresentationOptions::default())
                    .expect("judged");
            assert!(
                v.problem.as_deref().is_some_and(|p| p.contains(what)),
                "{doc}: {v:?}"
            );
            assert!(!v.holds());
        }
    }

    #[test]
    fn an_unsigned_presentation_holds_only_when_nothing_was_asked_of_a_proof() {
        let doc = json!({"@context": [CREDENTIALS_V2], "type": "VerifiablePresentation",
            "verifiableCredential": [{"@context": [CREDENTIALS_V2]}]});
        let bytes = doc.to_string().into_bytes();
        let v = verify_presentation(&bytes, &PresentationOptions::default()).expect("judged");
        assert!(v.holds(), "{v:?}");
        assert_eq!(v.credentials.len(), 1);
        let v = verify_presentation(&bytes, &asked()).expect("judged");
        assert!(!v.holds(), "{v:?}");
    }
}
