//! Cross-check with Digital Bazaar's implementation (`interop/`, Node.js):
//! credentials exported here verify there, tampered ones do not, and a
//! credential signed there verifies here. Skipped (with the reason printed)
//! when `node` or `interop/node_modules` is missing; see `interop/README.md`.

use std::path::{Path, PathBuf};
use std::process::Command;

use badgemesh_openbadges::credential::{Outcome, VerifyOptions, verify_credential};
use serde_json::{Value, json};

use crate::fixtures::{T0, bytes, email_recipient, export, native};

fn interop_dir() -> Option<PathBuf> {
    crate::fixtures::interop_harness()
}

fn node(dir: &Path, script: &str, input: &[u8]) -> (bool, String) {
    let tmp = std::env::temp_dir().join(format!(
        "badgemesh-ob3-interop-{}-{script}-{}.json",
        std::process::id(),
        input.len()
    ));
    std::fs::write(&tmp, input).expect("write temp file");
    let out = Command::new("node")
        .arg(dir.join(script))
        .arg(&tmp)
        .output()
        .expect("run node");
    let _ = std::fs::remove_file(&tmp);
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn exported_credentials_verify_with_digital_bazaar() {
    let Some(dir) = interop_dir() else { return };
    let n = native(11, email_recipient());
    let doc = export(&n);
    let (ok, out) = node(&dir, "verify.js", &bytes(&doc));
    assert!(ok, "reference rejected our credential: {out}");
    assert!(out.contains("verified"), "{out}");

    let mut tampered = Value::Object(doc.clone());
    tampered["credentialSubject"]["achievement"]["name"] = "Genius".into();
    let (ok, out) = node(
        &dir,
        "verify.js",
        &serde_json::to_vec(&tampered).expect("json"),
    );
    assert!(!ok, "reference accepted a tampered credential: {out}");
}

#[test]
fn credentials_signed_by_digital_bazaar_verify_here() {
    let Some(dir) = interop_dir() else { return };
    let n = native(12, email_recipient());
    let mut doc = export(&n);
    doc.shift_remove("proof");
    let input =
        json!({ "seedHex": hex::encode(n.key.to_seed()), "credential": Value::Object(doc) });
    let (ok, out) = node(&dir, "sign.js", &serde_json::to_vec(&input).expect("json"));
    assert!(ok, "sign.js failed: {out}");
    let v = verify_credential(out.as_bytes(), T0.plus(60), &VerifyOptions::default())
        .expect("checks run");
    assert_eq!(v.outcome, Outcome::Valid, "{:?}", v.checks);
    // Same key, same proof options, deterministic Ed25519: the same proof.
    let ours = export(&n);
    let theirs: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(theirs["proof"], ours["proof"]);
}

#[test]
fn status_list_credentials_verify_with_digital_bazaar() {
    use badgemesh_openbadges::status_list::{StatusListInput, build_status_list_credential};
    let Some(dir) = interop_dir() else { return };
    let doc = build_status_list_credential(
        &StatusListInput {
            url: "https://node.example/ob3/status/x/revocation",
            valid_from: T0,
            valid_until: None,
        },
        [1u32, 2, 3],
        &crate::fixtures::key(13),
    )
    .expect("build");
    let (ok, out) = node(&dir, "verify.js", &bytes(&doc));
    assert!(ok, "reference rejected our status list: {out}");
}

/// A VC-JWT with its payload's achievement name changed (same header and
/// signature).
fn tampered_jwt(token: &str) -> String {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut payload: Value =
        serde_json::from_slice(&B64.decode(&parts[1]).expect("b64")).expect("json");
    let credential = if payload.get("vc").is_some() {
        &mut payload["vc"]
    } else {
        &mut payload
    };
    credential["credentialSubject"]["achievement"]["name"] = "Genius".into();
    parts[1] = B64.encode(serde_json::to_vec(&payload).expect("json"));
    parts.join(".")
}

/// Tokens signed by panva's `jose` (RS256, ES256, EdDSA; VC 1.1 `vc` claim
/// and VC-JOSE `vc+jwt` forms) verify here, with the key bound to the
/// issuer through its did:key or a held did:web document (the RSA key also
/// rides in the `jwk` header, which alone binds it to nobody); altered, they
/// do not.
#[test]
fn jwts_signed_by_jose_verify_here() {
    use badgemesh_openbadges::did::DidDocument;
    use badgemesh_openbadges::jwt::verify_jwt_credential;
    use badgemesh_openbadges::keys::VerificationKey;
    use badgemesh_protocol::keys::IssuerId;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    let Some(dir) = interop_dir() else { return };
    let n = native(31, email_recipient());
    let mut doc = export(&n);
    doc.shift_remove("proof");
    let ed_did = IssuerId::from_key(n.key.public()).to_did();
    let p256 = p256::ecdsa::SigningKey::from_slice(&[0x31; 32]).expect("key");
    let point = p256.verifying_key().to_sec1_point(false);
    let xy = point.as_bytes();
    let p256_did = format!(
        "did:key:{}",
        VerificationKey::P256(*p256.verifying_key())
            .to_multikey()
            .expect("multikey")
    );
    let rsa_did = "did:web:rsa.example";
    let input = json!({
        "credential": Value::Object(doc),
        "ed25519": {"did": ed_did, "jwk": {"kty": "OKP", "crv": "Ed25519",
            "d": B64.encode(n.key.to_seed()), "x": B64.encode(n.key.public().as_bytes())}},
        "p256": {"did": p256_did, "jwk": {"kty": "EC", "crv": "P-256",
            "d": B64.encode(p256.to_bytes()), "x": B64.encode(&xy[1..33]), "y": B64.encode(&xy[33..])}},
        "rsa": {"did": rsa_did},
    });
    let (ok, out) = node(
        &dir,
        "sign-jwt.js",
        &serde_json::to_vec(&input).expect("json"),
    );
    assert!(ok, "sign-jwt.js failed: {out}");
    let out: Value = serde_json::from_str(&out).expect("json");
    let held = json!({
        "id": rsa_did,
        "verificationMethod": [{"id": "#rsa-1", "type": "JsonWebKey2020", "publicKeyJwk": out["rsaJwk"]}],
        "assertionMethod": ["#rsa-1"],
    });
    let document = DidDocument::parse(held.to_string().as_bytes()).expect("did document");
    let lookup = |did: &str| (did == rsa_did).then(|| document.clone());
    let with_dids = VerifyOptions {
        dids: Some(&lookup),
        ..VerifyOptions::default()
    };
    let tokens = out["tokens"].as_array().expect("tokens");
    assert_eq!(tokens.len(), 6);
    for t in tokens {
        let (alg, form) = (
            t["alg"].as_str().expect("alg"),
            t["form"].as_str().expect("form"),
        );
        let token = t["token"].as_str().expect("token");
        let v = verify_jwt_credential(token, T0.plus(60), &with_dids).expect("checks run");
        assert_eq!(v.outcome, Outcome::Valid, "{alg} {form}: {:?}", v.checks);
        assert_eq!(
            v.cryptosuite.as_deref(),
            Some(format!("VC-JWT {alg}").as_str())
        );
        let detail = &v.checks[1].detail;
        assert!(!detail.contains("no issuer"), "{alg} {form}: {detail}");
        if alg == "RS256" {
            // Without the DID document only the embedded jwk is left.
            let v = verify_jwt_credential(token, T0.plus(60), &VerifyOptions::default())
                .expect("checks run");
            assert_eq!(v.outcome, Outcome::Valid, "{form}: {:?}", v.checks);
            assert!(
                v.checks[1]
                    .detail
                    .contains("binds the signature to no issuer")
            );
        }
        let v = verify_jwt_credential(&tampered_jwt(token), T0.plus(60), &with_dids)
            .expect("checks run");
        assert_eq!(v.outcome, Outcome::Invalid, "{alg} {form} tampered");
        let v = verify_jwt_credential(token, T0.plus(400 * 86_400), &with_dids).expect("checks");
        assert_eq!(v.outcome, Outcome::Expired, "{alg} {form}");
    }
}

/// `sign_jwt` tokens verify with `jose` (signature, dates, `iss`), and an
/// altered one does not.
#[test]
fn our_jwts_verify_with_jose() {
    use badgemesh_openbadges::jwt::sign_jwt;
    use badgemesh_protocol::keys::IssuerId;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    let Some(dir) = interop_dir() else { return };
    let n = native(32, email_recipient());
    let doc = export(&n);
    let issuer = IssuerId::from_key(n.key.public());
    let token = sign_jwt(&doc, &n.key, &issuer.verification_method()).expect("sign");
    let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": B64.encode(n.key.public().as_bytes())});
    let now = T0.plus(60).to_string();
    let input = |token: &str| {
        serde_json::to_vec(&json!({"token": token, "jwk": jwk, "now": now})).expect("json")
    };
    let (ok, out) = node(&dir, "verify-jwt.js", &input(&token));
    assert!(ok, "jose rejected our JWT: {out}");
    assert!(out.contains("verified"), "{out}");
    let (ok, out) = node(&dir, "verify-jwt.js", &input(&tampered_jwt(&token)));
    assert!(!ok, "jose accepted a tampered JWT: {out}");
}

/// OB 3.0 credentials signed with `ecdsa-rdfc-2019` by Digital Bazaar's
/// stack under fresh P-256 and P-384 did:keys verify here end to end
/// (shape, proof, dates), and fail once altered.
#[test]
fn ecdsa_credentials_signed_by_digital_bazaar_verify_here() {
    let Some(dir) = interop_dir() else { return };
    let n = native(33, email_recipient());
    let mut doc = export(&n);
    doc.shift_remove("proof");
    let input = json!({ "credential": Value::Object(doc) });
    let (ok, out) = node(
        &dir,
        "sign-ecdsa.js",
        &serde_json::to_vec(&input).expect("json"),
    );
    assert!(ok, "sign-ecdsa.js failed: {out}");
    let out: Value = serde_json::from_str(&out).expect("json");
    for curve in ["P-256", "P-384"] {
        let signed = &out[curve];
        assert_eq!(signed["proof"]["cryptosuite"], "ecdsa-rdfc-2019", "{curve}");
        let bytes = serde_json::to_vec(signed).expect("json");
        let v =
            verify_credential(&bytes, T0.plus(60), &VerifyOptions::default()).expect("checks run");
        assert_eq!(v.outcome, Outcome::Valid, "{curve}: {:?}", v.checks);
        assert_eq!(v.cryptosuite.as_deref(), Some("ecdsa-rdfc-2019"));
        let mut tampered = signed.clone();
        tampered["credentialSubject"]["achievement"]["name"] = "Genius".into();
        let bytes = serde_json::to_vec(&tampered).expect("json");
        let v =
            verify_credential(&bytes, T0.plus(60), &VerifyOptions::default()).expect("checks run");
        assert_eq!(v.outcome, Outcome::Invalid, "{curve} tampered");
    }
}

/// A native endorsement exported as an `EndorsementCredential` (#18)
/// verifies with Digital Bazaar's stack, for each kind of subject, and a
/// changed comment does not.
#[test]
fn exported_endorsement_credentials_verify_with_digital_bazaar() {
    use badgemesh_openbadges::endorsement::export_endorsement;
    use badgemesh_protocol::id::RecordId;
    use badgemesh_protocol::keys::IssuerId;
    use badgemesh_protocol::record::{Endorsement, EndorsementSubject, IssuerProfile};
    let Some(dir) = interop_dir() else { return };
    let key = crate::fixtures::key(14);
    let endorser = IssuerId::from_key(key.public());
    let other = IssuerId::from_key(crate::fixtures::key(15).public());
    for subject in [
        EndorsementSubject::BadgeClass(RecordId::of(b"a badge class")),
        EndorsementSubject::Issuer(other),
        EndorsementSubject::Assertion(RecordId::of(b"an award")),
    ] {
        let e = Endorsement {
            issuer: endorser,
            subject,
            comment: "We hire on this badge".into(),
            at: T0,
            valid_until: Some(T0.plus(365 * 86_400)),
            status_index: 3,
            name: None,
        };
        let profile = IssuerProfile {
            issuer: endorser,
            seq: 1,
            name: "Dockside Shipyards".into(),
            url: Some("https://dockside.example".into()),
            email: None,
            description: None,
            image: None,
            at: T0,
            public_base_url: None,
        };
        let doc = export_endorsement(
            &e,
            RecordId::of(b"the endorsement"),
            &profile,
            Some("https://node.example"),
            &key,
        )
        .expect("export");
        let (ok, out) = node(&dir, "verify.js", &bytes(&doc));
        assert!(
            ok,
            "reference rejected our endorsement of a {subject:?}: {out}"
        );
        let mut tampered = Value::Object(doc);
        tampered["credentialSubject"]["endorsementComment"] = "Altered".into();
        let (ok, out) = node(
            &dir,
            "verify.js",
            &serde_json::to_vec(&tampered).expect("json"),
        );
        assert!(!ok, "reference accepted a tampered endorsement: {out}");
    }
}

/// A CLR 2.0 `ClrCredential` (#18) gathering two exported OB 3.0
/// credentials of one learner, with pathway associations, signed here,
/// verifies with Digital Bazaar's stack (its own proof; the embedded
/// credentials keep theirs), and a changed association does not; so does
/// each embedded credential on its own.
#[test]
fn exported_clr_credentials_verify_with_digital_bazaar() {
    use badgemesh_openbadges::clr::{Association, CLR_URN, ClrRequest, achievement_of, export_clr};
    use badgemesh_protocol::keys::IssuerId;
    use badgemesh_protocol::record::Recipient;
    let Some(dir) = interop_dir() else { return };
    let learner = "did:key:z6MkpJySvETLnxhQG9DzEdmKJtysBDjuuTeDfUj1uNNCUqcj";
    // A course, and the capstone it leads to (another badge class).
    let course = native(21, Recipient::Did(learner.into()));
    let mut capstone = native(21, Recipient::Did(learner.into()));
    capstone.badge_id = badgemesh_protocol::id::RecordId::of(b"capstone badge class");
    capstone.assertion.badge = capstone.badge_id;
    capstone.assertion_id = badgemesh_protocol::id::RecordId::of(b"capstone award");
    capstone.badge.name = "Capstone".into();
    let creds = [export(&course), export(&capstone)];
    let ids: Vec<String> = creds
        .iter()
        .map(|c| {
            achievement_of(c)
                .and_then(|a| a["id"].as_str())
                .expect("achievement id")
                .to_owned()
        })
        .collect();
    let associations = [
        Association {
            kind: "isChildOf".into(),
            source: ids[0].clone(),
            target: ids[1].clone(),
        },
        Association {
            kind: "precedes".into(),
            source: ids[0].clone(),
            target: ids[1].clone(),
        },
    ];
    let key = crate::fixtures::key(23);
    let signer = IssuerId::from_key(key.public());
    let mut subject = serde_json::Map::new();
    subject.insert("id".into(), learner.into());
    let req = ClrRequest {
        id: format!("{CLR_URN}interop"),
        name: "Ada's learner record",
        learner: subject,
        credentials: &creds,
        associations: &associations,
        issued: T0,
    };
    let doc = export_clr(&req, &signer, "A badgemesh node", &key).expect("signed");
    let (ok, out) = node(&dir, "verify.js", &bytes(&doc));
    assert!(ok, "reference rejected our ClrCredential: {out}");
    for c in &creds {
        let (ok, out) = node(&dir, "verify.js", &bytes(c));
        assert!(ok, "reference rejected an embedded credential: {out}");
    }
    let mut tampered = Value::Object(doc);
    tampered["credentialSubject"]["association"][1]["associationType"] = "replacedBy".into();
    let (ok, out) = node(
        &dir,
        "verify.js",
        &serde_json::to_vec(&tampered).expect("json"),
    );
    assert!(!ok, "reference accepted a tampered ClrCredential: {out}");
}
