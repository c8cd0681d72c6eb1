//! Presentations made by the backpack's signing code and judged by the
//! verifier's: the holder binding, replays with another challenge or
//! domain, a holder who is not the subject, tampering, VC-JWT credentials,
//! and badges that cannot be presented.

use badgemesh_openbadges::contexts::ContextSet;
use badgemesh_openbadges::proof::{proof_options, sign};
use badgemesh_protocol::keys::{IssuerId, SecretKey};
use badgemesh_protocol::testkit::seed;
use badgemesh_protocol::time::Timestamp;
use serde_json::{Map, Value, json};

use super::{Asked, is_presentation, verify_input, verify_presentation_verdict};
use crate::backpack::present::{PresentError, credential_of, sign_presentation};
use crate::verdict::formats::Options;

const CREDENTIAL: &str =
    include_str!("../../../../openbadges/tests/vectors/exported-credential.json");
const NOW: Timestamp = Timestamp(1_900_000_000);

fn key(label: &str) -> (SecretKey, IssuerId) {
    let k = SecretKey::from_seed(&seed(label, 1)).expect("seed");
    let id = IssuerId::from_key(k.public());
    (k, id)
}

/// The exported credential, awarded to `subject` (a DID) and signed by
/// the issuer key `issuer`, without a status entry (nothing to look up).
fn credential_for(subject: &str, name: &str) -> Map<String, Value> {
    let (k, id) = key("issuer");
    let Value::Object(mut doc) = serde_json::from_str(CREDENTIAL).expect("vector") else {
        unreachable!("the vector is an object")
    };
    doc.shift_remove("credentialStatus");
    doc.shift_remove("proof");
    doc["issuer"]["id"] = id.to_did().into();
    doc["name"] = name.into();
    doc["credentialSubject"] = json!({
        "id": subject,
        "type": ["AchievementSubject"],
        "achievement": doc["credentialSubject"]["achievement"].clone(),
    });
    sign(
        &mut doc,
        proof_options(&id.verification_method(), "2027-01-15T08:00:00Z"),
        &k,
        &ContextSet::pinned(),
    )
    .expect("sign");
    doc
}

/// A presentation by the holder of `credentials`, for challenge `c-1` and
/// domain `jobs.example`.
fn presented(holder: &str, credentials: Vec<Value>) -> Vec<u8> {
    let (k, id) = key(holder);
    let vp = sign_presentation(
        credentials,
        &k,
        &id,
        "c-1",
        "jobs.example",
        "2030-03-17T17:46:40Z",
    )
    .expect("signed");
    serde_json::to_vec(&vp).expect("json")
}

fn asked<'a>(challenge: &'a str, domain: &'a str) -> Asked<'a> {
    Asked {
        challenge: Some(challenge),
        domain: Some(domain),
    }
}

fn judge(bytes: &[u8], a: Asked<'_>) -> Value {
    verify_presentation_verdict(bytes, None, NOW, &Options::default(), a).expect("judged")
}

fn status<'a>(v: &'a Value, check: &str) -> (&'a str, &'a str) {
    let c = v["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["check"] == check)
        .unwrap_or_else(|| panic!("no {check} check in {v:#}"));
    (
        c["status"].as_str().unwrap_or(""),
        c["detail"].as_str().unwrap_or(""),
    )
}

fn earner() -> String {
    key("earner").1.to_did()
}

#[test]
fn the_earners_presentation_of_their_badges_is_valid() {
    let a = credential_for(&earner(), "Teamwork");
    let b = credential_for(&earner(), "Leadership");
    let bytes = presented("earner", vec![Value::Object(a), Value::Object(b)]);
    assert!(is_presentation(&bytes));
    let v = judge(&bytes, asked("c-1", "jobs.example"));
    assert_eq!(v["outcome"], "valid", "{v:#}");
    for c in [
        "presentation_proof",
        "challenge",
        "domain",
        "holder_binding",
        "credentials",
    ] {
        assert_eq!(status(&v, c).0, "pass", "{c}: {v:#}");
    }
    assert_eq!(v["holder"], earner());
    assert_eq!(v["credentials"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["credentials"][1]["badge"]["name"], "Teamwork");
    // The same through the entry `/v1/verify` and `verify` use.
    let again = verify_input(
        &bytes,
        None,
        NOW,
        &Options::default(),
        asked("c-1", "jobs.example"),
    )
    .expect("judged");
    assert_eq!(again["outcome"], "valid");
}

#[test]
fn a_replay_with_another_challenge_or_domain_is_refused() {
    let bytes = presented(
        "earner",
        vec![Value::Object(credential_for(&earner(), "Teamwork"))],
    );
    let v = judge(&bytes, asked("c-2", "jobs.example"));
    assert_eq!(v["outcome"], "invalid", "{v:#}");
    let (st, why) = status(&v, "challenge");
    assert_eq!(st, "fail");
    assert!(
        why.contains("\"c-1\", not \"c-2\"") && why.contains("replay"),
        "{why}"
    );
    let v = judge(&bytes, asked("c-1", "other.example"));
    assert_eq!(v["outcome"], "invalid");
    let (st, why) = status(&v, "domain");
    assert_eq!(st, "fail");
    assert!(
        why.contains("jobs.example") && why.contains("replay"),
        "{why}"
    );
    // Given nothing to check against, it holds, with a warning.
    let v = judge(&bytes, Asked::default());
    assert_eq!(v["outcome"], "valid", "{v:#}");
    assert_eq!(status(&v, "challenge").0, "skipped");
    assert!(
        v["warnings"].to_string().contains("may be a replay"),
        "{v:#}"
    );
}

#[test]
fn a_holder_who_is_not_the_subject_is_refused() {
    // Someone else's badge (its proof is fine), presented by "earner".
    let theirs = credential_for(&key("someone else").1.to_did(), "Teamwork");
    let bytes = presented("earner", vec![Value::Object(theirs)]);
    let v = judge(&bytes, asked("c-1", "jobs.example"));
    assert_eq!(v["outcome"], "invalid", "{v:#}");
    let (st, why) = status(&v, "holder_binding");
    assert_eq!(st, "fail");
    assert!(why.contains("not to the holder"), "{why}");
    assert_eq!(
        v["credentials"][0]["outcome"], "valid",
        "the credential itself is fine"
    );
    // A credential that names its earner by a hashed email cannot be bound.
    let Value::Object(mut hashed) = serde_json::from_str(CREDENTIAL).expect("vector") else {
        unreachable!()
    };
    hashed.shift_remove("credentialStatus");
    let bytes = presented("earner", vec![Value::Object(hashed)]);
    let v = judge(&bytes, asked("c-1", "jobs.example"));
    let (st, why) = status(&v, "holder_binding");
    assert_eq!((st, v["outcome"].as_str()), ("fail", Some("invalid")));
    assert!(why.contains("no subject id"), "{why}");
}

#[test]
fn a_presentation_signed_by_another_key_than_the_holders_is_refused() {
    // The thief's key signs, claiming the earner as holder.
    let (thief, thief_id) = key("thief");
    let mine = credential_for(&earner(), "Teamwork");
    let mut vp = sign_presentation(
        vec![Value::Object(mine)],
        &thief,
        &thief_id,
        "c-1",
        "jobs.example",
        "2030-03-17T17:46:40Z",
    )
    .expect("signed");
    vp.insert("holder".into(), earner().into());
    let v = judge(
        &serde_json::to_vec(&vp).expect("json"),
        asked("c-1", "jobs.example"),
    );
    assert_eq!(v["outcome"], "invalid", "{v:#}");
    assert_eq!(status(&v, "presentation_proof").0, "fail");
}

#[test]
fn a_tampered_presentation_is_refused() {
    let bytes = presented(
        "earner",
        vec![Value::Object(credential_for(&earner(), "Teamwork"))],
    );
    // Another challenge written into the proof (to pass as made for c-2).
    let mut vp: Value = serde_json::from_slice(&bytes).expect("json");
    vp["proof"]["challenge"] = "c-2".into();
    let v = judge(
        &serde_json::to_vec(&vp).expect("json"),
        asked("c-2", "jobs.example"),
    );
    assert_eq!(v["outcome"], "invalid", "{v:#}");
    assert_eq!(status(&v, "presentation_proof").0, "fail");
    assert_eq!(status(&v, "challenge").0, "pass");
    // A credential changed inside it: both proofs break.
    let mut vp: Value = serde_json::from_slice(&bytes).expect("json");
    vp["verifiableCredential"][0]["name"] = "Rocket Science".into();
    let v = judge(
        &serde_json::to_vec(&vp).expect("json"),
        asked("c-1", "jobs.example"),
    );
    assert_eq!(v["outcome"], "invalid", "{v:#}");
    assert_eq!(status(&v, "presentation_proof").0, "fail");
    assert_eq!(v["credentials"][0]["outcome"], "invalid");
    // Unsigned (the proof stripped): no challenge, nothing binds it.
    let mut vp: Value = serde_json::from_slice(&bytes).expect("json");
    vp.as_object_mut().expect("object").remove("proof");
    let v = judge(
        &serde_json::to_vec(&vp).expect("json"),
        asked("c-1", "jobs.example"),
    );
    assert_eq!(v["outcome"], "invalid", "{v:#}");
    assert!(status(&v, "challenge").1.contains("carries no challenge"));
    let v = judge(&serde_json::to_vec(&vp).expect("json"), Asked::default());
    assert_eq!(v["outcome"], "indeterminate", "{v:#}");
    assert_eq!(status(&v, "holder_binding").0, "unknown");
}

#[test]
fn vc_jwt_credentials_are_presented_as_their_compact_form() {
    let (k, id) = key("issuer");
    let doc = credential_for(&earner(), "Teamwork");
    let mut bare = doc.clone();
    bare.shift_remove("proof");
    let token =
        badgemesh_openbadges::jwt::sign_jwt(&bare, &k, &id.verification_method()).expect("jwt");
    let c = credential_of(token.as_bytes(), "abc").expect("a credential");
    assert_eq!(c["type"], json!(["EnvelopedVerifiableCredential"]));
    assert_eq!(
        crate::backpack::present::unenvelope(&c),
        Value::String(token)
    );
    let bytes = presented("earner", vec![c, Value::Object(doc)]);
    let v = judge(&bytes, asked("c-1", "jobs.example"));
    assert_eq!(v["outcome"], "valid", "{v:#}");
    assert_eq!(v["credentials"][0]["outcome"], "valid");
    assert_eq!(v["credentials"][1]["outcome"], "valid");
}

#[test]
fn native_and_ob2_badges_cannot_be_presented() {
    let mut issuer = badgemesh_protocol::testkit::Issuer::new(1, NOW);
    let (badge, _) = issuer.badge_class("Teamwork");
    let award = issuer.award(&badge, "ada@example.org");
    let e = credential_of(award.bytes(), "3f2a9c").expect_err("native");
    assert!(matches!(e, PresentError::NotACredential(_)));
    let why = e.to_string();
    assert!(
        why.contains("native badgemesh assertion") && why.contains("--format ob3"),
        "{why}"
    );
    let ob2 = br#"{"@context":"https://w3id.org/openbadges/v2","type":"Assertion","id":"https://a.example/1","recipient":{"type":"email","identity":"a@b.c","hashed":false},"badge":"https://a.example/b","verification":{"type":"hosted"},"issuedOn":"2020-01-01T00:00:00Z"}"#;
    let why = credential_of(ob2, "81bd07").expect_err("ob2").to_string();
    assert!(why.contains("Open Badges 2.0"), "{why}");
}

#[test]
fn presentations_carry_one_to_sixteen_credentials_and_sane_bindings() {
    let (k, id) = key("earner");
    let one = Value::Object(credential_for(&earner(), "Teamwork"));
    let sign =
        |cs: Vec<Value>, c: &str| sign_presentation(cs, &k, &id, c, "d", "2030-01-01T00:00:00Z");
    assert!(matches!(sign(vec![], "c"), Err(PresentError::Count(_))));
    assert!(matches!(
        sign(vec![one.clone(); 17], "c"),
        Err(PresentError::Count(_))
    ));
    assert!(matches!(
        sign(vec![one.clone()], ""),
        Err(PresentError::Binding(_))
    ));
    assert!(matches!(
        sign(vec![one], "a\nb"),
        Err(PresentError::Binding(_))
    ));
}

/// A presentation made by another implementation (Digital Bazaar's
/// libraries; see the vector's SOURCE.md), whose holder is the key pair of
/// the W3C vc-di-eddsa specification's test vectors.
const DIGITAL_BAZAAR: &str = include_str!(
    "../../../../openbadges/tests/vectors/digitalbazaar-presentation/presentation.json"
);

#[test]
fn a_presentation_signed_by_digital_bazaars_libraries_verifies_here() {
    let at: Timestamp = "2026-12-01T00:05:00Z".parse().expect("time");
    let v = verify_presentation_verdict(
        DIGITAL_BAZAAR.as_bytes(),
        None,
        at,
        &Options::default(),
        asked("c-digitalbazaar", "jobs.example"),
    )
    .expect("judged");
    assert_eq!(v["outcome"], "valid", "{v:#}");
    assert_eq!(
        v["holder"], "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        "the W3C test key pair"
    );
    assert_eq!(status(&v, "holder_binding").0, "pass");
    assert_eq!(v["credentials"][0]["badge"]["name"], "Interoperability");
    let replay = verify_presentation_verdict(
        DIGITAL_BAZAAR.as_bytes(),
        None,
        at,
        &Options::default(),
        asked("c-other", "jobs.example"),
    )
    .expect("judged");
    assert_eq!(replay["outcome"], "invalid");
}

#[test]
fn enveloped_credentials_in_the_forms_the_w3c_suite_uses_are_read_as_their_token() {
    use crate::backpack::present::unenvelope;
    for prefix in [
        "data:application/vc+jwt,",
        "data:application/jwt,",
        "data:application/vc-ld+jwt;base64url,",
    ] {
        let c =
            json!({ "type": "EnvelopedVerifiableCredential", "id": format!("{prefix}eyJ.a.b") });
        assert_eq!(unenvelope(&c), json!("eyJ.a.b"), "{prefix}");
    }
    let other = json!({ "type": "EnvelopedVerifiableCredential", "id": "data:text/plain,eyJ.a.b" });
    assert_eq!(unenvelope(&other), other);
    let plain = json!({ "type": ["VerifiableCredential"], "id": "data:application/jwt,x" });
    assert_eq!(unenvelope(&plain), plain);
}
