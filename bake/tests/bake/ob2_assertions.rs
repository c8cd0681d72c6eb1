//! OB 2.0 assertions: claims, hosted and signed verification, recipients.

use std::sync::LazyLock;

use badgemesh_bake::ob2::{
    self, BadgeRef, DeclaredList, IssuerRef, Ob2Error, Ob2Options, Outcome, RecipientMatch,
    RevocationCheck, RevocationList, VerificationKind,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::OB2_JSON;

const PRIVATE_PK8: &[u8] = include_bytes!("../fixtures/ob2_test_rsa_private.pk8");
pub(crate) const PUBLIC_PEM: &str = include_str!("../fixtures/ob2_test_rsa_public.pem");
const PUBLIC_PKCS1_PEM: &str = include_str!("../fixtures/ob2_test_rsa_public_pkcs1.pem");
pub(crate) const OTHER_PEM: &str = include_str!("../fixtures/ob2_other_rsa_public.pem");
const ED25519_PEM: &str = include_str!("../fixtures/ob2_ed25519_public.pem");
/// The OB 2.0 specification's RevocationList example, verbatim
/// (`ob_v2p0/examples/index.md#RevocationList`).
const SPEC_REVOCATION_LIST: &str = include_str!("../fixtures/ob2_revocation_list.json");

/// The issuer's revocation list, as a caller that holds it passes it.
static HELD_LIST: LazyLock<RevocationList> = LazyLock::new(|| {
    RevocationList::parse(SPEC_REVOCATION_LIST.as_bytes()).expect("the spec's example")
});

/// A signed assertion with an embedded BadgeClass and issuer Profile.
fn signed_assertion() -> serde_json::Value {
    serde_json::json!({
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": "urn:uuid:2f1b4a8e-3c1d-4e5f-9a0b-1c2d3e4f5a6b",
        "recipient": {
            "type": "email",
            "hashed": true,
            "salt": "deadsea",
            "identity": "sha256$c934fdacc6242be0277a284970416aa9bfa583241fb85094bc96c504ee0abd4e"
        },
        "badge": {
            "type": "BadgeClass",
            "id": "https://example.org/badges/5",
            "name": "3-D Printmaster",
            "description": "Prints in three dimensions.",
            "image": "https://example.org/badges/5/image",
            "criteria": { "narrative": "Print something." },
            "issuer": {
                "type": "Profile",
                "id": "https://example.org/issuer",
                "name": "Example Maker Society",
                "url": "https://example.org",
                "email": "contact@example.org",
                "publicKey": "https://example.org/keys/1",
                "revocationList": "https://example.org/revocations"
            }
        },
        "verification": { "type": "SignedBadge", "creator": "https://example.org/keys/1" },
        "issuedOn": "2016-12-31T23:59:59Z",
        "expires": "2030-12-31T23:59:59+02:00"
    })
}

/// Signs `payload` as a compact JWS with the test key.
fn sign(header: &str, payload: &str) -> String {
    let key = ring::signature::RsaKeyPair::from_pkcs8(PRIVATE_PK8).expect("test key");
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let mut signature = vec![0; key.public().modulus_len()];
    key.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        input.as_bytes(),
        &mut signature,
    )
    .expect("signs");
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// [`signed_jws`] with its BadgeClass given by IRI, as openbadgeslib signs.
pub(crate) fn signed_jws_badge_by_iri() -> String {
    let mut assertion = signed_assertion();
    assertion["badge"] = "https://example.org/badges/5".into();
    sign(r#"{"alg":"RS256"}"#, &assertion.to_string())
}

pub(crate) fn signed_jws() -> String {
    sign(r#"{"alg":"RS256"}"#, &signed_assertion().to_string())
}

fn at(ts: &str) -> jiff::Timestamp {
    ts.parse().expect("timestamp")
}

/// The issuer's key, and its revocation list held.
fn with_key(pem: &str) -> Ob2Options<'_> {
    Ob2Options {
        issuer_key_pem: Some(pem),
        revocation_list: Some(&HELD_LIST),
        ..Ob2Options::default()
    }
}

#[test]
fn hosted_badge_is_indeterminate_with_its_claims() {
    let verdict = ob2::verify(OB2_JSON, &Ob2Options::default());
    assert_eq!(verdict.outcome, Outcome::Indeterminate);
    assert_eq!(verdict.reasons, vec![ob2::HOSTED_REASON.to_owned()]);
    assert!(!verdict.signed);
    let a = verdict.assertion.expect("claims");
    assert_eq!(a.id, "https://example.org/assertions/1?a=1&b=2");
    assert_eq!(
        a.badge,
        BadgeRef::Iri("https://example.org/badges/5".into())
    );
    assert_eq!(a.verification.kind, VerificationKind::Hosted);
    assert_eq!(a.issued_on, at("2016-12-31T23:59:59Z"));
    assert!(a.recipient.hashed);
}

#[test]
fn recipient_is_matched_trimmed_and_lower_cased() {
    let options = Ob2Options {
        recipient: Some("  Alice@Example.ORG "),
        ..Ob2Options::default()
    };
    let verdict = ob2::verify(OB2_JSON, &options);
    assert_eq!(verdict.recipient, Some(RecipientMatch::Match));
    assert_eq!(verdict.outcome, Outcome::Indeterminate);
    let options = Ob2Options {
        recipient: Some("mallory@example.org"),
        ..Ob2Options::default()
    };
    let verdict = ob2::verify(OB2_JSON, &options);
    assert_eq!(verdict.recipient, Some(RecipientMatch::Mismatch));
    assert_eq!(verdict.outcome, Outcome::Invalid);
    assert!(
        verdict
            .reasons
            .contains(&"the recipient does not match".to_owned())
    );
}

#[test]
fn signed_badge_with_the_issuer_key_is_valid() {
    for pem in [PUBLIC_PEM, PUBLIC_PKCS1_PEM] {
        let verdict = ob2::verify(&signed_jws(), &with_key(pem));
        assert_eq!(verdict.outcome, Outcome::Valid, "{:?}", verdict.reasons);
        assert!(verdict.reasons.is_empty());
        assert!(verdict.signed);
        assert!(
            verdict
                .notes
                .iter()
                .any(|n| n.contains("not revoked in the issuer's revocation list"))
        );
        assert_eq!(
            verdict.revocation,
            RevocationCheck::NotRevoked {
                list: "https://example.org/revocationList.json".into()
            }
        );
        let a = verdict.assertion.expect("claims");
        let BadgeRef::Embedded(class) = a.badge else {
            panic!("embedded badge class expected")
        };
        let IssuerRef::Embedded(profile) = class.issuer else {
            panic!("embedded issuer expected")
        };
        assert_eq!(
            profile.public_keys,
            vec!["https://example.org/keys/1".to_owned()]
        );
        assert_eq!(
            profile.revocation_list.as_deref(),
            Some("https://example.org/revocations")
        );
        assert_eq!(
            a.verification.creator.as_deref(),
            Some("https://example.org/keys/1")
        );
    }
}

#[test]
fn signed_badge_without_a_key_is_indeterminate() {
    let verdict = ob2::verify(&signed_jws(), &Ob2Options::default());
    assert_eq!(verdict.outcome, Outcome::Indeterminate);
    assert_eq!(verdict.reasons[0], ob2::NO_KEY_REASON);
    assert!(verdict.assertion.is_some());
}

#[test]
fn wrong_key_or_tampered_payload_is_invalid() {
    let verdict = ob2::verify(&signed_jws(), &with_key(OTHER_PEM));
    assert_eq!(verdict.outcome, Outcome::Invalid);

    let jws = signed_jws();
    let mut parts: Vec<&str> = jws.split('.').collect();
    let mut tampered = signed_assertion();
    tampered["recipient"]["salt"] = "other".into();
    let payload = URL_SAFE_NO_PAD.encode(tampered.to_string());
    parts[1] = &payload;
    let verdict = ob2::verify(&parts.join("."), &with_key(PUBLIC_PEM));
    assert_eq!(verdict.outcome, Outcome::Invalid);
    assert_eq!(
        verdict.reasons,
        vec!["the RS256 signature does not verify with the issuer key".to_owned()]
    );
}

#[test]
fn unusable_keys_and_algorithms_are_indeterminate() {
    for pem in [
        ED25519_PEM,
        "not a key",
        "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n",
    ] {
        let verdict = ob2::verify(&signed_jws(), &with_key(pem));
        assert_eq!(verdict.outcome, Outcome::Indeterminate, "{pem}");
        assert!(verdict.reasons[0].starts_with("the issuer key could not be read"));
    }
    let hs = sign(r#"{"alg":"HS256"}"#, &signed_assertion().to_string());
    let verdict = ob2::verify(&hs, &with_key(PUBLIC_PEM));
    assert_eq!(verdict.outcome, Outcome::Indeterminate);
}

#[test]
fn dates_and_revocation_are_checked() {
    let options = Ob2Options {
        now: Some(at("2031-01-01T00:00:00Z")),
        ..with_key(PUBLIC_PEM)
    };
    let verdict = ob2::verify(&signed_jws(), &options);
    assert_eq!(verdict.outcome, Outcome::Invalid);
    assert!(verdict.reasons[0].contains("expired"));

    let options = Ob2Options {
        now: Some(at("2016-01-01T00:00:00Z")),
        ..with_key(PUBLIC_PEM)
    };
    let verdict = ob2::verify(&signed_jws(), &options);
    assert_eq!(verdict.outcome, Outcome::Invalid);
    assert!(verdict.reasons[0].contains("in the future"));

    let options = Ob2Options {
        now: Some(at("2020-01-01T00:00:00Z")),
        ..with_key(PUBLIC_PEM)
    };
    assert_eq!(ob2::verify(&signed_jws(), &options).outcome, Outcome::Valid);

    let mut revoked = signed_assertion();
    revoked["revoked"] = true.into();
    revoked["revocationReason"] = "Cheated".into();
    let jws = sign(r#"{"alg":"RS256"}"#, &revoked.to_string());
    let verdict = ob2::verify(&jws, &options);
    assert_eq!(verdict.outcome, Outcome::Invalid);
    assert!(verdict.reasons[0].contains("Cheated"));
}

/// OB 2.0 step 7 with the specification's RevocationList: an assertion it
/// names by `id` (as a string or an object) or by legacy `uid` is invalid,
/// with the list's reason.
#[test]
fn a_signed_badge_in_its_issuers_revocation_list_is_invalid_with_the_reason() {
    for (field, value, reason) in [
        (
            "id",
            "urn:uuid:e79a6c18-787e-4868-8e65-e6a4530fb418",
            Some("Honor code violation"),
        ),
        ("id", "urn:uuid:3c574c87-b96f-4f06-8eb5-68a29335b60e", None),
        ("uid", "abc123", Some("Issued in error.")),
    ] {
        let mut a = signed_assertion();
        a[field] = value.into();
        let jws = sign(r#"{"alg":"RS256"}"#, &a.to_string());
        let verdict = ob2::verify(&jws, &with_key(PUBLIC_PEM));
        assert_eq!(verdict.outcome, Outcome::Invalid, "{value}");
        assert_eq!(
            verdict.revocation,
            RevocationCheck::Revoked {
                list: "https://example.org/revocationList.json".into(),
                reason: reason.map(str::to_owned),
            }
        );
        assert!(
            verdict.reasons[0].contains(reason.unwrap_or("no reason given")),
            "{:?}",
            verdict.reasons
        );
    }
}

/// Unchecked status is never "not revoked": without the list the issuer
/// declares, a signed badge is indeterminate and the reason names the list;
/// a profile that declares none leaves nothing to check.
#[test]
fn a_signed_badge_whose_list_is_not_held_is_indeterminate() {
    let no_list = Ob2Options {
        issuer_key_pem: Some(PUBLIC_PEM),
        ..Ob2Options::default()
    };
    let verdict = ob2::verify(&signed_jws(), &no_list);
    assert_eq!(verdict.outcome, Outcome::Indeterminate);
    assert_eq!(
        verdict.reasons,
        vec!["the issuer's revocation list https://example.org/revocations is not held".to_owned()]
    );
    assert_eq!(
        verdict.revocation,
        RevocationCheck::NotHeld(DeclaredList::Url("https://example.org/revocations".into()))
    );

    let mut undeclared = signed_assertion();
    undeclared["badge"]["issuer"]
        .as_object_mut()
        .expect("profile")
        .remove("revocationList");
    let jws = sign(r#"{"alg":"RS256"}"#, &undeclared.to_string());
    let verdict = ob2::verify(&jws, &no_list);
    assert_eq!(verdict.outcome, Outcome::Valid, "{:?}", verdict.reasons);
    assert_eq!(verdict.revocation, RevocationCheck::NoListDeclared);
    assert!(
        verdict
            .notes
            .iter()
            .any(|n| n.contains("declares no revocationList"))
    );

    let mut by_iri = signed_assertion();
    by_iri["badge"]["issuer"] = "https://example.org/issuer".into();
    let jws = sign(r#"{"alg":"RS256"}"#, &by_iri.to_string());
    let verdict = ob2::verify(&jws, &no_list);
    assert_eq!(verdict.outcome, Outcome::Indeterminate);
    assert!(verdict.reasons[0].contains("https://example.org/issuer is not embedded"));
    // With the issuer's list held, the same badge is checked.
    assert_eq!(
        ob2::verify(&jws, &with_key(PUBLIC_PEM)).outcome,
        Outcome::Valid
    );
}

#[test]
fn inconsistent_verification_types() {
    // A signed assertion as bare JSON cannot be checked.
    let verdict = ob2::verify(&signed_assertion().to_string(), &with_key(PUBLIC_PEM));
    assert_eq!(verdict.outcome, Outcome::Indeterminate);
    // A JWS wrapping an assertion that says it is hosted is inconsistent.
    let jws = sign(r#"{"alg":"RS256"}"#, OB2_JSON);
    assert_eq!(
        ob2::verify(&jws, &with_key(PUBLIC_PEM)).outcome,
        Outcome::Invalid
    );
}

/// A change to an assertion's JSON.
type Mutation = Box<dyn Fn(&mut serde_json::Value)>;

#[test]
fn parse_errors_name_the_problem() {
    let mut v: serde_json::Value = serde_json::from_str(OB2_JSON).expect("json");
    let cases: Vec<(Mutation, Ob2Error)> = vec![
        (
            Box::new(|v| v["@context"] = "https://w3id.org/openbadges/v1".into()),
            Ob2Error::Context,
        ),
        (
            Box::new(|v| v["type"] = "BadgeClass".into()),
            Ob2Error::NotAnAssertion,
        ),
        (
            Box::new(|v| {
                v.as_object_mut().expect("object").remove("recipient");
            }),
            Ob2Error::Missing("recipient"),
        ),
        (
            Box::new(|v| v["badge"] = 5.into()),
            Ob2Error::Invalid("badge"),
        ),
        (
            Box::new(|v| v["issuedOn"] = "2016-12-31".into()),
            Ob2Error::Date("issuedOn"),
        ),
        (
            Box::new(|v| v["verification"]["type"] = "magic".into()),
            Ob2Error::UnknownVerification("magic".into()),
        ),
        (
            Box::new(|v| v["revoked"] = "yes".into()),
            Ob2Error::Invalid("revoked"),
        ),
    ];
    for (mutate, expected) in cases {
        let mut case = v.clone();
        mutate(&mut case);
        assert_eq!(ob2::parse(&case.to_string()), Err(expected));
    }
    // Arrays of context and type, and the `verify` alias, are accepted.
    v["@context"] = serde_json::json!(["https://w3id.org/openbadges/v2", {"x": "y"}]);
    v["type"] = serde_json::json!(["Assertion", "Extension"]);
    let verification = v["verification"].take();
    v.as_object_mut().expect("object").remove("verification");
    v["verify"] = verification;
    assert!(ob2::parse(&v.to_string()).is_ok());

    assert!(matches!(ob2::parse("not json"), Err(Ob2Error::NotJson(_))));
    assert_eq!(
        ob2::parse("[]"),
        Err(Ob2Error::NotAnObject("the assertion"))
    );
    assert_eq!(
        ob2::verify("garbage", &Ob2Options::default()).outcome,
        Outcome::Invalid
    );
}

#[test]
fn jws_decoding_is_bounded_and_strict() {
    let jws = ob2::decode_jws(&signed_jws()).expect("decodes");
    assert_eq!(jws.alg, "RS256");
    assert!(jws.payload.contains("SignedBadge"));
    for bad in [
        "a.b",
        "a.b.c.d",
        "!!!.e30.c2ln",
        "e30.e30.c2ln",
        "eyJhbGciOjF9.e30.c2ln",
        "eyJhbGciOiJSUzI1NiJ9.__8.c2ln",
    ] {
        assert!(
            matches!(ob2::decode_jws(bad), Err(Ob2Error::Jws(_))),
            "{bad}"
        );
    }
    let huge_header = format!("eyJ{}.e30.c2ln", "A".repeat(10_000));
    assert_eq!(
        ob2::decode_jws(&huge_header),
        Err(Ob2Error::Jws("header is too large"))
    );
}
