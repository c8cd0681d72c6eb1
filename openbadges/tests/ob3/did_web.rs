//! Credentials from issuers whose keys are not did:keys: verified against a
//! DID document the verifier holds, never resolved over the network.

use badgemesh_openbadges::contexts::ContextSet;
use badgemesh_openbadges::credential::{CheckName, Outcome, VerifyOptions, verify_credential};
use badgemesh_openbadges::did::{DidDocument, DidLookup};
use badgemesh_openbadges::proof::{proof_options, sign};
use serde_json::{Value, json};

use crate::fixtures::{T0, bytes, email_recipient, export, key, native};

const DID: &str = "did:web:issuer.example";
const VM: &str = "did:web:issuer.example#key-1";

/// A credential exported by badgemesh, re-issued by `did:web:issuer.example`
/// and signed by key 1 as `#key-1`.
fn did_web_credential() -> Vec<u8> {
    let mut doc = export(&native(1, email_recipient()));
    doc["issuer"]["id"] = Value::from(DID);
    sign(
        &mut doc,
        proof_options(VM, "2027-01-15T08:00:00Z"),
        &key(1),
        &ContextSet::pinned(),
    )
    .expect("sign");
    bytes(&doc)
}

/// A DID document whose `#key-1` is key `list_key`, listed under `under`;
/// another key (`#other`) is always an assertion method.
fn document(list_key: u64, under: &str) -> DidDocument {
    let mut doc = json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": DID,
        "verificationMethod": [
            {"id": "#key-1", "type": "Multikey", "controller": DID,
             "publicKeyMultibase": key(list_key).public().to_multibase()},
            {"id": "#other", "type": "Multikey", "controller": DID,
             "publicKeyMultibase": key(9).public().to_multibase()},
        ],
        "assertionMethod": ["#other"],
    });
    let list = doc[under].as_array().cloned().unwrap_or_default();
    doc[under] = Value::Array([list, vec![json!("#key-1")]].concat());
    DidDocument::parse(doc.to_string().as_bytes()).expect("document")
}

fn verify(lookup: Option<DidLookup<'_>>) -> (Outcome, String) {
    let v = verify_credential(
        &did_web_credential(),
        T0,
        &VerifyOptions {
            recipient: None,
            dids: lookup,
            cancel: None,
            profile: Default::default(),
        },
    )
    .expect("runs");
    let proof = v.check(CheckName::Proof).map(|c| c.detail.clone());
    (v.outcome, proof.unwrap_or_default())
}

#[test]
fn a_held_did_document_verifies_its_assertion_keys() {
    let held = document(1, "assertionMethod");
    let lookup = |did: &str| (did == DID).then(|| held.clone());
    let (outcome, detail) = verify(Some(&lookup));
    assert_eq!(outcome, Outcome::Valid, "{detail}");
    assert!(detail.contains(VM), "{detail}");
}

#[test]
fn without_the_document_the_answer_is_indeterminate() {
    let (outcome, detail) = verify(None);
    assert_eq!(outcome, Outcome::Indeterminate, "{detail}");
    assert!(detail.contains("no DID document"), "{detail}");
    let nothing = |_: &str| None;
    assert_eq!(verify(Some(&nothing)).0, Outcome::Indeterminate);
}

#[test]
fn a_key_that_is_not_for_assertions_or_not_the_signers_is_invalid() {
    let auth_only = document(1, "authentication");
    let lookup = |_: &str| Some(auth_only.clone());
    let (outcome, detail) = verify(Some(&lookup));
    assert_eq!(outcome, Outcome::Invalid, "{detail}");
    assert!(detail.contains("assertionMethod"), "{detail}");

    let wrong_key = document(2, "assertionMethod");
    let lookup = |_: &str| Some(wrong_key.clone());
    let (outcome, detail) = verify(Some(&lookup));
    assert_eq!(outcome, Outcome::Invalid, "{detail}");
    assert!(detail.contains("signature"), "{detail}");
}

#[test]
fn a_document_for_another_did_does_not_control_the_issuer() {
    let mut other = document(1, "assertionMethod");
    other.id = "did:web:elsewhere.example".into();
    let lookup = |_: &str| Some(other.clone());
    let (outcome, detail) = verify(Some(&lookup));
    assert_eq!(outcome, Outcome::Invalid, "{detail}");
    assert!(detail.contains("not the issuer"), "{detail}");
}
