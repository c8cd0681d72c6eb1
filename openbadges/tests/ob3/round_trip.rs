//! Export -> verify round trips, and tampering.

use badgemesh_openbadges::contexts::ContextSet;
use badgemesh_openbadges::credential::{
    CheckName, CheckStatus, CredentialError, Outcome, VerifyOptions, verify_credential,
};
use badgemesh_openbadges::export::{ExportError, ExportInput, export_credential, native_link};
use badgemesh_openbadges::proof::{ProofError, proof_options, sign};
use badgemesh_openbadges::rdf::RdfError;
use badgemesh_protocol::keys::IssuerId;
use badgemesh_protocol::record::Recipient;
use serde_json::{Value, json};

/// A named change to a credential.
type Tamper = Box<dyn Fn(&mut Value)>;

use crate::fixtures::{T0, bytes, email_recipient, export, key, native};

fn verdict(doc: &serde_json::Map<String, Value>) -> badgemesh_openbadges::credential::Verdict {
    verify_credential(&bytes(doc), T0.plus(60), &VerifyOptions::default()).expect("checks run")
}

#[test]
fn exported_credential_verifies() {
    let n = native(1, email_recipient());
    let doc = export(&n);
    let v = verdict(&doc);
    assert_eq!(v.outcome, Outcome::Valid, "{:?}", v.checks);
    assert_eq!(v.cryptosuite.as_deref(), Some("eddsa-rdfc-2022"));
    assert!(!v.legacy_suite);
    assert_eq!(v.issuer, Some(n.assertion.issuer.to_did()));
    assert_eq!(v.achievement_name.as_deref(), Some("Teamwork"));
    assert_eq!(v.status.len(), 1);
    assert_eq!(v.status[0].index, 42);
    assert_eq!(v.status[0].purpose, "revocation");
    assert_eq!(
        doc["@context"],
        json!([
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ])
    );
    assert_eq!(
        doc["proof"]["verificationMethod"],
        Value::from(n.assertion.issuer.verification_method())
    );

    // Recipient checks: the email (any case), not another one.
    let ok = verify_credential(
        &bytes(&doc),
        T0,
        &VerifyOptions {
            recipient: Some("Ada@Example.org"),
            ..Default::default()
        },
    )
    .expect("run");
    assert_eq!(ok.outcome, Outcome::Valid);
    let other = verify_credential(
        &bytes(&doc),
        T0,
        &VerifyOptions {
            recipient: Some("eve@example.org"),
            ..Default::default()
        },
    )
    .expect("run");
    assert_eq!(other.outcome, Outcome::Invalid);
    assert_eq!(
        other.check(CheckName::Recipient).map(|c| c.status),
        Some(CheckStatus::Fail)
    );

    // The proof-options template gives what full JSON-LD processing gives.
    let mut pre = Value::Object(doc.clone());
    badgemesh_openbadges::json::prepass(&mut pre).expect("prepass");
    let pre = pre.as_object().expect("object").clone();
    let proof = pre["proof"].as_object().expect("proof").clone();
    let pinned = ContextSet::pinned();
    assert_eq!(
        badgemesh_openbadges::proof::hash_data(&pre, &proof, &pinned).expect("hash"),
        badgemesh_openbadges::proof::hash_data_full(&pre, &proof, &pinned).expect("hash")
    );

    // Native link.
    assert_eq!(
        native_link(&doc),
        Some((n.assertion.issuer, Some(42), n.assertion_id))
    );
    assert_eq!(
        badgemesh_openbadges::export::native_link_json(&bytes(&doc)),
        Some((n.assertion.issuer, Some(42), n.assertion_id))
    );
}

#[test]
fn did_recipient_and_minimal_badge_verify() {
    let mut n = native(
        2,
        Recipient::Did("did:example:ebfeb1f712ebc6f1c276e12ec21".into()),
    );
    n.badge.image = None;
    n.badge.alignments.clear();
    n.badge.tags.clear();
    n.badge.criteria.url = None;
    n.assertion.evidence.clear();
    n.assertion.narrative = None;
    n.assertion.expires = None;
    n.profile.public_base_url = None;
    let doc = export(&n);
    assert!(doc.get("credentialStatus").is_none());
    let v = verdict(&doc);
    assert_eq!(v.outcome, Outcome::Valid, "{:?}", v.checks);
    let ok = verify_credential(
        &bytes(&doc),
        T0,
        &VerifyOptions {
            recipient: Some("did:example:ebfeb1f712ebc6f1c276e12ec21"),
            ..Default::default()
        },
    )
    .expect("run");
    assert_eq!(ok.outcome, Outcome::Valid);
    assert_eq!(
        native_link(&doc),
        Some((n.assertion.issuer, None, n.assertion_id))
    );
}

/// A `mailto:` subject id (openbadgeslib's) is matched by the address alone,
/// in any case, and not by another address.
#[test]
fn a_mailto_subject_matches_its_email_address() {
    let doc = export(&native(4, Recipient::Did("mailto:Ada@Example.org".into())));
    let b = bytes(&doc);
    for (who, expected) in [
        ("ada@example.org", Outcome::Valid),
        (" Ada@Example.org ", Outcome::Valid),
        ("mailto:Ada@Example.org", Outcome::Valid),
        ("bob@example.org", Outcome::Invalid),
        ("example.org", Outcome::Invalid),
    ] {
        let v = verify_credential(
            &b,
            T0,
            &VerifyOptions {
                recipient: Some(who),
                ..Default::default()
            },
        )
        .expect("run");
        assert_eq!(v.outcome, expected, "{who}: {:?}", v.checks);
    }
}

#[test]
fn dates_are_checked_against_now() {
    let n = native(3, email_recipient());
    let b = bytes(&export(&n));
    let early = verify_credential(&b, T0.plus(-1), &VerifyOptions::default()).expect("run");
    assert_eq!(early.outcome, Outcome::NotYetValid);
    let late =
        verify_credential(&b, T0.plus(366 * 86_400), &VerifyOptions::default()).expect("run");
    assert_eq!(late.outcome, Outcome::Expired);
}

#[test]
fn any_tampered_field_is_invalid() {
    let n = native(4, email_recipient());
    let doc = export(&n);
    let tampers: Vec<(&str, Tamper)> = vec![
        ("credential name", Box::new(|d| d["name"] = "Other".into())),
        (
            "issuer name",
            Box::new(|d| d["issuer"]["name"] = "Evil Corp".into()),
        ),
        (
            "validFrom",
            Box::new(|d| d["validFrom"] = "2020-01-01T00:00:00Z".into()),
        ),
        (
            "validUntil",
            Box::new(|d| d["validUntil"] = "2099-01-01T00:00:00Z".into()),
        ),
        (
            "achievement name",
            Box::new(|d| d["credentialSubject"]["achievement"]["name"] = "Genius".into()),
        ),
        (
            "achievement description",
            Box::new(|d| d["credentialSubject"]["achievement"]["description"] = "x".into()),
        ),
        (
            "criteria",
            Box::new(|d| {
                d["credentialSubject"]["achievement"]["criteria"]["narrative"] = "nothing".into()
            }),
        ),
        (
            "identity hash",
            Box::new(|d| {
                d["credentialSubject"]["identifier"][0]["identityHash"] = "sha256$00".into()
            }),
        ),
        (
            "salt",
            Box::new(|d| d["credentialSubject"]["identifier"][0]["salt"] = "salt".into()),
        ),
        (
            "status index",
            Box::new(|d| d["credentialStatus"]["statusListIndex"] = "43".into()),
        ),
        (
            "id",
            Box::new(|d| d["id"] = "urn:badgemesh:assertion:other".into()),
        ),
        (
            "tag",
            Box::new(|d| d["credentialSubject"]["achievement"]["tag"][0] = "genius".into()),
        ),
        (
            "evidence",
            Box::new(|d| d["evidence"][0]["narrative"] = "forged".into()),
        ),
        (
            "proof created",
            Box::new(|d| d["proof"]["created"] = "2030-01-01T00:00:00Z".into()),
        ),
        (
            "proof value",
            Box::new(|d| {
                let pv = d["proof"]["proofValue"].as_str().expect("pv").to_owned();
                let mut sig = multibase::decode(&pv).expect("mb").1;
                sig[10] ^= 1;
                d["proof"]["proofValue"] =
                    multibase::encode(multibase::Base::Base58Btc, sig).into();
            }),
        ),
        (
            "removed evidence",
            Box::new(|d| {
                d.as_object_mut().expect("obj").shift_remove("evidence");
            }),
        ),
    ];
    for (what, tamper) in tampers {
        let mut v = Value::Object(doc.clone());
        tamper(&mut v);
        let b = serde_json::to_vec(&v).expect("json");
        let verdict = verify_credential(&b, T0.plus(60), &VerifyOptions::default()).expect(what);
        assert_eq!(
            verdict.outcome,
            Outcome::Invalid,
            "{what}: {:?}",
            verdict.checks
        );
        assert_eq!(
            verdict.check(CheckName::Proof).map(|c| c.status),
            Some(CheckStatus::Fail),
            "{what}"
        );
    }
    // Key order and whitespace do not matter.
    let mut v = Value::Object(doc.clone());
    let subject = v["credentialSubject"].take();
    v.as_object_mut()
        .expect("obj")
        .shift_remove("credentialSubject");
    v["credentialSubject"] = subject;
    let b = serde_json::to_vec(&v).expect("json");
    assert_eq!(
        verify_credential(&b, T0.plus(60), &VerifyOptions::default())
            .expect("run")
            .outcome,
        Outcome::Valid
    );
}

#[test]
fn wrong_controller_is_invalid() {
    // Signed by another did:key than the issuer.
    let n = native(5, email_recipient());
    let mut doc = export(&n);
    let other = key(99);
    let vm = IssuerId::from_key(other.public()).verification_method();
    sign(
        &mut doc,
        proof_options(&vm, &T0.to_string()),
        &other,
        &ContextSet::pinned(),
    )
    .expect("sign");
    let v = verdict(&doc);
    assert_eq!(v.outcome, Outcome::Invalid);
    let detail = &v.check(CheckName::Proof).expect("proof").detail;
    assert!(detail.contains("not the issuer"), "{detail}");

    // The issuer id swapped for the other key's did:key (signed by it) still
    // does not link back to the native issuer of the record.
    let mut doc = export(&n);
    doc["issuer"]["id"] = IssuerId::from_key(other.public()).to_did().into();
    let v = verdict(&doc);
    assert_eq!(v.outcome, Outcome::Invalid);

    // A fragment naming another key than the did is refused.
    let mut doc = export(&n);
    let did = n.assertion.issuer.to_did();
    doc["proof"]["verificationMethod"] = format!("{did}#{}", other.public().to_multibase()).into();
    assert_eq!(verdict(&doc).outcome, Outcome::Invalid);

    // Wrong proof purpose.
    let mut doc = export(&n);
    doc["proof"]["proofPurpose"] = "authentication".into();
    assert_eq!(verdict(&doc).outcome, Outcome::Invalid);
}

#[test]
fn export_refuses_a_foreign_key() {
    let n = native(6, email_recipient());
    let r = export_credential(
        &ExportInput {
            assertion: &n.assertion,
            assertion_id: n.assertion_id,
            badge: &n.badge,
            badge_id: n.badge_id,
            profile: &n.profile,
            status_base_url: None,
        },
        &key(7),
    );
    assert_eq!(r, Err(ExportError::NotInceptionKey));
}

#[test]
fn unknown_context_and_undefined_terms_are_errors() {
    let n = native(8, email_recipient());
    let mut doc = export(&n);
    doc["@context"]
        .as_array_mut()
        .expect("ctx")
        .push("https://evil.example/context.json".into());
    let r = verify_credential(&bytes(&doc), T0, &VerifyOptions::default());
    assert_eq!(
        r.err(),
        Some(CredentialError::Proof(ProofError::Rdf(
            RdfError::UnknownContext("https://evil.example/context.json".into())
        )))
    );
    let mut doc = export(&n);
    doc.insert("favouriteColour".into(), "blue".into());
    let r = verify_credential(&bytes(&doc), T0, &VerifyOptions::default());
    assert_eq!(
        r.err(),
        Some(CredentialError::Proof(ProofError::Rdf(
            RdfError::UndefinedTerm("favouriteColour".into())
        )))
    );
}

#[test]
fn structure_problems_are_invalid() {
    let n = native(9, email_recipient());
    let base = Value::Object(export(&n));
    let cases: Vec<(&str, Tamper)> = vec![
        (
            "context order",
            Box::new(|d| {
                d["@context"] = json!([
                    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
                    "https://www.w3.org/ns/credentials/v2"
                ]);
            }),
        ),
        (
            "type",
            Box::new(|d| {
                d["type"] = json!(["VerifiableCredential"]);
            }),
        ),
        (
            "no achievement",
            Box::new(|d| {
                d["credentialSubject"]
                    .as_object_mut()
                    .expect("o")
                    .shift_remove("achievement");
            }),
        ),
        (
            "no validFrom",
            Box::new(|d| {
                d.as_object_mut().expect("o").shift_remove("validFrom");
            }),
        ),
    ];
    for (what, f) in cases {
        let mut d = base.clone();
        f(&mut d);
        let v = verify_credential(
            &serde_json::to_vec(&d).expect("json"),
            T0,
            &VerifyOptions::default(),
        )
        .expect(what);
        assert_eq!(v.outcome, Outcome::Invalid, "{what}");
        assert_eq!(
            v.check(CheckName::Structure).map(|c| c.status),
            Some(CheckStatus::Fail),
            "{what}"
        );
    }
}

/// The rule: what breaks the specification without touching the
/// proof, the key binding, the dates or the status is a warning on a valid
/// credential (real issuers leave out the subject's id and identifier).
#[test]
fn spec_violations_that_do_not_touch_authenticity_are_warnings() {
    let n = native(21, email_recipient());
    let mut doc = export(&n);
    doc.shift_remove("proof");
    let subject = doc["credentialSubject"].as_object_mut().expect("subject");
    subject.shift_remove("identifier");
    subject.shift_remove("id");
    doc["credentialSubject"]["achievement"]
        .as_object_mut()
        .expect("achievement")
        .shift_remove("criteria");
    let vm = n.assertion.issuer.verification_method();
    sign(
        &mut doc,
        proof_options(&vm, "2027-01-15T08:00:00Z"),
        &n.key,
        &ContextSet::pinned(),
    )
    .expect("sign");
    let v = verdict(&doc);
    assert_eq!(v.outcome, Outcome::Valid, "{:?}", v.checks);
    assert_eq!(v.warnings.len(), 2, "{:?}", v.warnings);
    assert!(
        v.warnings[0].contains("neither an id nor an identifier"),
        "{:?}",
        v.warnings
    );
    assert!(v.warnings[1].contains("no criteria"), "{:?}", v.warnings);
    // The same credential altered after signing is still invalid.
    doc["credentialSubject"]["achievement"]["name"] = json!("Forged");
    assert_eq!(verdict(&doc).outcome, Outcome::Invalid);
}
