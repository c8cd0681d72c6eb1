//! OB 3.0 credentials as VC-JWTs: the OB 3.0 specification's own JWT
//! examples (RS256, embedded jwk), tokens made here in every form and
//! algorithm, and what must fail: tampering, `none`, HMAC, claims that
//! contradict the credential, a key that is not the issuer's.

use badgemesh_openbadges::credential::{
    CheckName, CheckStatus, CredentialError, Outcome, Verdict, VerifyOptions,
};
use badgemesh_openbadges::did::DidDocument;
use badgemesh_openbadges::jwt::{looks_like_jwt, sign_jwt, verify_jwt_credential};
use badgemesh_protocol::keys::{IssuerId, SecretKey};
use badgemesh_protocol::time::Timestamp;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer as _;
use serde_json::{Map, Value, json};

use crate::fixtures::{T0, email_recipient, export, native, read};

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).expect("json"))
}

/// A token with `header` and `payload`, signed by `sign`.
fn token(header: Value, payload: &Value, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let input = format!("{}.{}", b64(&header), b64(payload));
    let sig = sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

fn verify(token: &str, now: Timestamp) -> Verdict {
    verify_jwt_credential(token, now, &VerifyOptions::default()).expect("checks run")
}

fn proof_detail(v: &Verdict) -> String {
    v.check(CheckName::Proof)
        .map(|c| c.detail.clone())
        .unwrap_or_default()
}

/// An exported credential (issuer `did:key:z6Mk...`) without its Data
/// Integrity proof, and its key.
fn credential(n: u64) -> (Map<String, Value>, SecretKey) {
    let nat = native(n, email_recipient());
    let mut doc = export(&nat);
    doc.shift_remove("proof");
    (doc, nat.key)
}

#[test]
fn the_ob3_specification_jwt_examples_verify() {
    let examples: Value =
        serde_json::from_str(&read("1edtech-ob3-jwt/examples.json")).expect("json");
    let examples = examples.as_array().expect("array");
    assert_eq!(examples.len(), 8);
    let now: Timestamp = "2024-01-01T00:00:00Z".parse().expect("date");
    for (i, e) in examples.iter().enumerate() {
        let t = e["token"].as_str().expect("token");
        assert!(looks_like_jwt(t), "{i}");
        let v = verify(t, now);
        if e["type"].to_string().contains("EndorsementCredential") {
            // The specification's endorsement: its own shape, and valid.
            assert_eq!(
                v.check(CheckName::Structure).map(|c| c.detail.as_str()),
                Some("OB 3.0 endorsement shape"),
                "example {i}"
            );
        }
        assert_eq!(
            v.check(CheckName::Proof).map(|c| c.status),
            Some(CheckStatus::Pass),
            "example {i}: {v:?}"
        );
        assert_eq!(v.cryptosuite.as_deref(), Some("VC-JWT RS256"), "{i}");
        assert!(
            proof_detail(&v).contains("binds the signature to no issuer"),
            "{i}"
        );
        assert_eq!(v.outcome, Outcome::Valid, "example {i}: {:?}", v.checks);

        // One character of the payload changed: the signature fails.
        let mut parts: Vec<String> = t.split('.').map(str::to_owned).collect();
        let mut payload: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).expect("b64")).expect("json");
        payload["name"] = Value::from("Altered");
        parts[1] = b64(&payload);
        let v = verify(&parts.join("."), now);
        assert_eq!(v.outcome, Outcome::Invalid, "example {i}");
        assert_eq!(proof_detail(&v), "JWS signature does not verify", "{i}");
    }
}

#[test]
fn what_sign_jwt_makes_verifies() {
    let (doc, key) = credential(21);
    let issuer = IssuerId::from_key(key.public());
    let t = sign_jwt(&doc, &key, &issuer.verification_method()).expect("sign");
    assert!(looks_like_jwt(&t));
    let v = verify(&t, T0.plus(60));
    assert_eq!(v.outcome, Outcome::Valid, "{:?}", v.checks);
    assert_eq!(v.cryptosuite.as_deref(), Some("VC-JWT EdDSA"));
    assert_eq!(v.proofs_checked, 1);
    assert_eq!(v.issuer.as_deref(), Some(issuer.to_did().as_str()));
    assert_eq!(v.credential_id, doc["id"].as_str().map(str::to_owned));
    // Expiry comes from the credential (and its exp claim).
    let v = verify(&t, T0.plus(400 * 86_400));
    assert_eq!(v.outcome, Outcome::Expired);
    // The recipient check is the one JSON credentials get.
    let o = VerifyOptions {
        recipient: Some("ada@example.org"),
        ..VerifyOptions::default()
    };
    let v = verify_jwt_credential(&t, T0.plus(60), &o).expect("checks");
    assert_eq!(v.outcome, Outcome::Valid);
    let o = VerifyOptions {
        recipient: Some("eve@example.org"),
        ..VerifyOptions::default()
    };
    let v = verify_jwt_credential(&t, T0.plus(60), &o).expect("checks");
    assert_eq!(v.outcome, Outcome::Invalid);
    // Signed by another key under the issuer's kid: invalid.
    let other = crate::fixtures::key(22);
    let t = sign_jwt(&doc, &other, &issuer.verification_method()).expect("sign");
    assert_eq!(verify(&t, T0.plus(60)).outcome, Outcome::Invalid);
    // Signed by another did:key that says so: its controller is not the issuer.
    let t = sign_jwt(
        &doc,
        &other,
        &IssuerId::from_key(other.public()).verification_method(),
    )
    .expect("sign");
    let v = verify(&t, T0.plus(60));
    assert_eq!(v.outcome, Outcome::Invalid);
    assert!(proof_detail(&v).contains("is not the issuer"), "{v:?}");
}

/// The VC 1.1 form: the credential in `vc`, the claims standing for its
/// properties (filled in when it leaves them out, compared when it has
/// them).
#[test]
fn vc_claim_form_claims_fill_and_must_match() {
    let (mut doc, key) = credential(23);
    doc["credentialSubject"]["id"] = Value::from("did:example:learner");
    let issuer = IssuerId::from_key(key.public());
    let kid = issuer.verification_method();
    let header = json!({"alg": "EdDSA", "kid": kid, "typ": "JWT"});
    let nbf: Timestamp = doc["validFrom"]
        .as_str()
        .expect("from")
        .parse()
        .expect("date");
    let subject = doc["credentialSubject"]["id"].clone();
    let id = doc["id"].clone();
    let claims = |vc: &Map<String, Value>| json!({"iss": issuer.to_did(), "jti": id, "sub": subject, "nbf": nbf.0, "vc": vc});
    let sign = |m: &[u8]| key.sign(m).to_vec();
    let t = token(header.clone(), &claims(&doc), sign);
    let v = verify(&t, T0.plus(60));
    assert_eq!(v.outcome, Outcome::Valid, "{:?}", v.checks);

    // Without id and validFrom in the vc: taken from jti and nbf.
    let mut bare = doc.clone();
    bare.shift_remove("id");
    bare.shift_remove("validFrom");
    let v = verify(&token(header.clone(), &claims(&bare), sign), T0.plus(60));
    assert_eq!(v.outcome, Outcome::Valid, "{:?}", v.checks);
    assert_eq!(v.credential_id, doc["id"].as_str().map(str::to_owned));
    assert_eq!(v.valid_from, Some(nbf));

    // Each claim contradicting its property: invalid, with the claim named.
    for (claim, value) in [
        (
            "iss",
            json!("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"),
        ),
        ("jti", json!("urn:uuid:other")),
        ("sub", json!("did:example:someone-else")),
        ("nbf", json!(nbf.0 + 1)),
        ("exp", json!(nbf.0 + 10)),
        ("nbf", json!("yesterday")),
    ] {
        let mut c = claims(&doc);
        c[claim] = value.clone();
        let v = verify(&token(header.clone(), &c, sign), T0.plus(60));
        assert_eq!(v.outcome, Outcome::Invalid, "{claim} {value}");
        assert!(proof_detail(&v).contains(claim), "{claim}: {v:?}");
    }
    // exp with no validUntil in the credential: it sets validUntil.
    doc.shift_remove("validUntil");
    let mut c = claims(&doc);
    c["exp"] = json!(T0.0 + 100);
    let v = verify(&token(header.clone(), &c, sign), T0.plus(200));
    assert_eq!(v.outcome, Outcome::Expired, "{:?}", v.checks);
}

#[test]
fn algorithms_and_headers_that_must_not_verify() {
    let (doc, key) = credential(24);
    let issuer = IssuerId::from_key(key.public());
    let kid = issuer.verification_method();
    let payload = Value::Object(doc.clone());
    let sign = |m: &[u8]| key.sign(m).to_vec();
    let outcome = |header: Value| {
        let v = verify(&token(header, &payload, sign), T0.plus(60));
        (v.outcome, proof_detail(&v))
    };
    // Refused before any signature is checked.
    let v = verify(&token(json!({"alg": "none"}), &payload, sign), T0.plus(60));
    assert_eq!(v.proofs_checked, 0);
    assert_eq!(
        outcome(json!({"alg": "EdDSA", "kid": kid})).0,
        Outcome::Valid
    );
    for (header, expected, why) in [
        (
            json!({"alg": "none", "kid": kid}),
            Outcome::Invalid,
            "not signed",
        ),
        (
            json!({"alg": "HS256", "kid": kid}),
            Outcome::Invalid,
            "shared-secret",
        ),
        (
            json!({"alg": "ES256", "kid": kid}),
            Outcome::Invalid,
            "needs a P-256 key",
        ),
        (
            json!({"alg": "RS256", "kid": kid}),
            Outcome::Invalid,
            "needs a RSA key",
        ),
        (json!({"kid": kid}), Outcome::Invalid, "no alg"),
        (
            json!({"alg": "EdDSA"}),
            Outcome::Invalid,
            "neither kid nor jwk",
        ),
        (
            json!({"alg": "EdDSA", "kid": kid, "crit": ["b64"], "b64": false}),
            Outcome::Invalid,
            "crit",
        ),
        (
            json!({"alg": "PS256", "kid": kid}),
            Outcome::Indeterminate,
            "not verified here",
        ),
        (
            json!({"alg": "EdDSA", "kid": kid, "typ": "dc+sd-jwt"}),
            Outcome::Indeterminate,
            "typ",
        ),
        (
            json!({"alg": "EdDSA", "kid": "https://issuer.example/keys/1"}),
            Outcome::Indeterminate,
            "network",
        ),
        (
            json!({"alg": "EdDSA", "kid": "did:web:issuer.example#key-1"}),
            Outcome::Indeterminate,
            "no DID document",
        ),
        (
            json!({"alg": "EdDSA", "kid": "did:key:z6Mk"}),
            Outcome::Invalid,
            "did:key",
        ),
        (
            json!({"alg": "EdDSA", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": "AA", "d": "AA"}}),
            Outcome::Invalid,
            "private key",
        ),
        (
            json!({"alg": "EdDSA", "jwk": {"kty": "OKP", "crv": "X25519", "x": "AA"}}),
            Outcome::Indeterminate,
            "not verified here",
        ),
    ] {
        let (got, detail) = outcome(header.clone());
        assert_eq!(got, expected, "{header}: {detail}");
        assert!(detail.contains(why), "{header}: {detail}");
    }
    // The issuer's key as an embedded jwk: bound to the issuer, as its
    // did:key.
    let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(key.public().as_bytes())});
    let (got, detail) = outcome(json!({"alg": "EdDSA", "jwk": jwk}));
    assert_eq!(got, Outcome::Valid);
    assert!(
        detail.contains("the embedded jwk, which is the issuer's did:key:"),
        "{detail}"
    );
    // Another key, carried by the token: verified, said to bind to no issuer.
    let other = SecretKey::from_seed(&[77; 32]).expect("key");
    let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(other.public().as_bytes())});
    let v = verify(
        &token(json!({"alg": "EdDSA", "jwk": jwk}), &payload, |m| {
            other.sign(m).to_vec()
        }),
        T0.plus(60),
    );
    assert_eq!(v.outcome, Outcome::Valid);
    assert!(
        proof_detail(&v).contains("binds the signature to no issuer"),
        "{}",
        proof_detail(&v)
    );
}

/// ES256 and ES384 under P-256 and P-384 did:keys, and a relative `kid`
/// resolved against the `iss` DID in a held DID document.
#[test]
fn ecdsa_did_keys_and_held_did_documents() {
    let (mut doc, _) = credential(25);
    let p256 = p256::ecdsa::SigningKey::from_slice(&[0x25; 32]).expect("key");
    let p384 = p384::ecdsa::SigningKey::from_slice(&[0x38; 48]).expect("key");
    let mk256 = badgemesh_openbadges::keys::VerificationKey::P256(*p256.verifying_key())
        .to_multikey()
        .expect("multikey");
    let mk384 = badgemesh_openbadges::keys::VerificationKey::P384(*p384.verifying_key())
        .to_multikey()
        .expect("multikey");
    let with_issuer = |doc: &mut Map<String, Value>, id: &str| {
        doc["issuer"]["id"] = Value::from(id);
    };
    let did256 = format!("did:key:{mk256}");
    with_issuer(&mut doc, &did256);
    let payload = Value::Object(doc.clone());
    let sign256 = |m: &[u8]| {
        let s: p256::ecdsa::Signature = p256.sign(m);
        s.to_bytes().to_vec()
    };
    let t = token(
        json!({"alg": "ES256", "kid": format!("{did256}#{mk256}")}),
        &payload,
        sign256,
    );
    let v = verify(&t, T0.plus(60));
    assert_eq!(v.outcome, Outcome::Valid, "{:?}", v.checks);
    assert_eq!(v.cryptosuite.as_deref(), Some("VC-JWT ES256"));
    let t = token(
        json!({"alg": "ES384", "kid": format!("{did256}#{mk256}")}),
        &payload,
        sign256,
    );
    assert_eq!(verify(&t, T0.plus(60)).outcome, Outcome::Invalid);

    let did384 = format!("did:key:{mk384}");
    with_issuer(&mut doc, &did384);
    let payload = Value::Object(doc.clone());
    let t = token(json!({"alg": "ES384", "kid": did384}), &payload, |m| {
        let s: p384::ecdsa::Signature = p384.sign(m);
        s.to_bytes().to_vec()
    });
    let v = verify(&t, T0.plus(60));
    assert_eq!(v.outcome, Outcome::Valid, "{:?}", v.checks);

    // did:web with a held document; the kid is relative to iss.
    let web = "did:web:issuer.example";
    with_issuer(&mut doc, web);
    let mut payload = Value::Object(doc.clone());
    payload["iss"] = Value::from(web);
    let held = json!({
        "id": web,
        "verificationMethod": [{"id": "#key-1", "type": "Multikey", "publicKeyMultibase": mk256}],
        "assertionMethod": ["#key-1"],
    });
    let document = DidDocument::parse(held.to_string().as_bytes()).expect("did doc");
    let lookup = |did: &str| (did == web).then(|| document.clone());
    let o = VerifyOptions {
        dids: Some(&lookup),
        ..VerifyOptions::default()
    };
    for kid in ["#key-1", "key-1", "did:web:issuer.example#key-1"] {
        let t = token(json!({"alg": "ES256", "kid": kid}), &payload, sign256);
        let v = verify_jwt_credential(&t, T0.plus(60), &o).expect("checks");
        assert_eq!(v.outcome, Outcome::Valid, "{kid}: {:?}", v.checks);
    }
    let t = token(json!({"alg": "ES256", "kid": "#key-2"}), &payload, sign256);
    let v = verify_jwt_credential(&t, T0.plus(60), &o).expect("checks");
    assert_eq!(v.outcome, Outcome::Invalid, "{:?}", v.checks);
}

#[test]
fn unreadable_tokens_are_errors_not_verdicts() {
    for bad in [
        "not a jwt",
        "eyJhbGciOiJFZERTQSJ9.bm90IGpzb24.AA",
        "eyJub3QganNvbg.e30.AA",
        "eyJhbGciOiJFZERTQSJ9.e30.A=A",
    ] {
        assert!(
            matches!(
                verify_jwt_credential(bad, T0, &VerifyOptions::default()),
                Err(CredentialError::Jwt(_))
            ),
            "{bad}"
        );
    }
}

mod mutations {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any one character of a signed token changed, removed or
        /// repeated: an error or a verdict that is not valid, never a panic.
        #[test]
        fn a_changed_token_never_verifies(index in 0usize..4096, c in "[A-Za-z0-9_.=-]", op in 0u8..3) {
            let (doc, key) = credential(26);
            let kid = IssuerId::from_key(key.public()).verification_method();
            let token = sign_jwt(&doc, &key, &kid).expect("sign");
            let i = index % token.len();
            let mut changed = token.clone();
            match op {
                0 => changed.replace_range(i..=i, &c),
                1 => { changed.remove(i); }
                _ => changed.insert_str(i, &c),
            }
            prop_assume!(changed != token);
            if let Ok(v) = verify_jwt_credential(&changed, T0.plus(60), &VerifyOptions::default()) {
                prop_assert_ne!(v.outcome, Outcome::Valid, "{}", changed);
            }
        }
    }
}
