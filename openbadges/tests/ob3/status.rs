//! Status list credentials: build, sign, parse, verify, look up.

use badgemesh_openbadges::contexts::ContextSet;
use badgemesh_openbadges::credential::StatusMethod;
use badgemesh_openbadges::did::DidDocument;
use badgemesh_openbadges::proof::{proof_options, sign};
use badgemesh_openbadges::status_list::{
    ListKind, StatusListError, StatusListInput, build_status_list_credential,
    parse_status_list_credential, parse_status_list_credential_with,
};
use badgemesh_protocol::keys::IssuerId;
use serde_json::{Value, json};

use crate::fixtures::{T0, bytes, key, read};

#[test]
fn status_list_round_trip() {
    let k = key(20);
    let doc = build_status_list_credential(
        &StatusListInput {
            url: "https://node.example/ob3/status/x/revocation",
            valid_from: T0,
            valid_until: Some(T0.plus(3600)),
        },
        [3u32, 42, 131_071],
        &k,
    )
    .expect("build");
    let list = parse_status_list_credential(&bytes(&doc)).expect("parse");
    assert_eq!(list.issuer, IssuerId::from_key(k.public()).to_did());
    assert_eq!(list.kind, ListKind::Bitstring);
    assert!(!list.is_short());
    assert_eq!(list.purpose, "revocation");
    assert_eq!(list.list.len(), 131_072);
    for i in [3u64, 42, 131_071] {
        assert_eq!(list.is_set(i), Some(true), "{i}");
    }
    assert_eq!(list.is_set(4), Some(false));
    assert_eq!(list.is_set(131_072), None);
    assert!(!list.is_stale(T0));
    assert!(list.is_stale(T0.plus(3601)));

    // Flipping the list breaks the proof.
    let other = build_status_list_credential(
        &StatusListInput {
            url: "https://node.example/ob3/status/x/revocation",
            valid_from: T0,
            valid_until: Some(T0.plus(3600)),
        },
        [3u32],
        &k,
    )
    .expect("build");
    let mut forged = Value::Object(doc.clone());
    forged["credentialSubject"]["encodedList"] = other["credentialSubject"]["encodedList"].clone();
    let r = parse_status_list_credential(&serde_json::to_vec(&forged).expect("json"));
    assert!(matches!(r, Err(StatusListError::BadProof(_))), "{r:?}");
}

/// DCC's published test list (vc-test-fixtures and verifier-core carry the
/// same file): 100,000 entries, fewer than the specification's 131,072, with
/// entries 2, 6 and 8 set. It is read with a warning, not refused; its `id`
/// is not the URL its credentials point at.
#[test]
fn dccs_short_list_is_read_with_a_warning() {
    let list =
        parse_status_list_credential(read("dcc/status-list-e5WK8CbZ1GjycuPombrj.json").as_bytes())
            .expect("DCC's list verifies");
    assert_eq!(
        list.issuer,
        "did:key:z6MknNQD1WHLGGraFi6zcbGevuAgkVfdyCdtZnQTGWVVvR5Q"
    );
    assert_eq!(
        list.id.as_deref(),
        Some("https://testing.dcconsortium.org/status/e5WK8CbZ1GjycuPombrj")
    );
    assert_eq!(list.purpose, "revocation");
    assert_eq!(list.list.len(), 100_000);
    assert!(list.is_short());
    let warning = list.short_warning().expect("a warning");
    assert!(warning.contains("100000 entries"), "{warning}");
    let set: Vec<u64> = (0..100_000u64)
        .filter(|i| list.is_set(*i) == Some(true))
        .collect();
    assert_eq!(set, vec![2, 6, 8]);
    assert_eq!(
        list.valid_from.map(|t| t.to_string()).as_deref(),
        Some("2025-01-09T15:20:02Z")
    );

    // DCC's tampered copy does not decode.
    let tampered = parse_status_list_credential(read("dcc/status-list-tampered.json").as_bytes());
    assert!(tampered.is_err(), "{tampered:?}");
}

/// A list whose `encodedList` was changed after signing fails its proof.
#[test]
fn a_flipped_dcc_list_fails_its_proof() {
    let mut doc: Value =
        serde_json::from_str(&read("dcc/status-list-e5WK8CbZ1GjycuPombrj.json")).expect("json");
    let other = build_status_list_credential(
        &StatusListInput {
            url: "https://example.org/l",
            valid_from: T0,
            valid_until: None,
        },
        [7u32],
        &key(3),
    )
    .expect("build");
    doc["credentialSubject"]["encodedList"] = other["credentialSubject"]["encodedList"].clone();
    let r = parse_status_list_credential(&serde_json::to_vec(&doc).expect("json"));
    assert!(matches!(r, Err(StatusListError::BadProof(_))), "{r:?}");
}

const WEB_DID: &str = "did:web:status.example";

fn web_document() -> DidDocument {
    let doc = json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": WEB_DID,
        "verificationMethod": [{"id": "#key-1", "type": "Multikey", "controller": WEB_DID,
            "publicKeyMultibase": key(30).public().to_multibase()}],
        "assertionMethod": ["#key-1"],
    });
    DidDocument::parse(doc.to_string().as_bytes()).expect("document")
}

/// A list signed by a did:web issuer verifies through the DID document the
/// verifier holds (the same lookup credentials use), and not without it.
#[test]
fn a_did_web_list_verifies_through_the_held_document() {
    let mut doc = build_status_list_credential(
        &StatusListInput {
            url: "https://status.example/lists/1",
            valid_from: T0,
            valid_until: None,
        },
        [5u32],
        &key(30),
    )
    .expect("build");
    doc.insert("issuer".into(), WEB_DID.into());
    doc["credentialSubject"]["statusPurpose"] = "suspension".into();
    sign(
        &mut doc,
        proof_options(&format!("{WEB_DID}#key-1"), "2027-01-15T08:00:00Z"),
        &key(30),
        &ContextSet::pinned(),
    )
    .expect("sign");
    let b = bytes(&doc);
    let r = parse_status_list_credential(&b);
    assert!(matches!(r, Err(StatusListError::BadProof(_))), "{r:?}");
    let held = web_document();
    let lookup = |did: &str| (did == WEB_DID).then(|| held.clone());
    let list = parse_status_list_credential_with(&b, Some(&lookup)).expect("verifies");
    assert_eq!(list.issuer, WEB_DID);
    assert_eq!(list.purpose, "suspension");
    assert_eq!(list.is_set(5), Some(true));
}

/// A list secured as a VC-JWT (as openbadgeslib publishes them): read when
/// its key is the issuer's, named by `kid` or embedded as a `jwk` that the
/// issuer's held DID document lists; refused when the jwk binds to nobody,
/// or when it was changed.
#[test]
fn a_vc_jwt_list_verifies_when_its_key_is_the_issuers() {
    use badgemesh_openbadges::jwt::sign_jwt;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64U;

    let mut doc = build_status_list_credential(
        &StatusListInput {
            url: "https://status.example/lists/jwt",
            valid_from: T0,
            valid_until: None,
        },
        [9u32],
        &key(30),
    )
    .expect("build");
    doc.shift_remove("proof");
    // Under a kid: a did:key issuer needs no document.
    let did_key = doc["issuer"].as_str().expect("issuer").to_owned();
    let token = sign_jwt(&doc, &key(30), &format!("{did_key}#{}", &did_key[8..])).expect("sign");
    let list = parse_status_list_credential(token.as_bytes()).expect("verifies");
    assert_eq!(
        (list.issuer.as_str(), list.is_set(9)),
        (did_key.as_str(), Some(true))
    );

    // An embedded jwk, issuer did:web: bound through the held document.
    doc.insert("issuer".into(), WEB_DID.into());
    let header = json!({"alg": "EdDSA", "jwk": {"kty": "OKP", "crv": "Ed25519",
        "x": B64U.encode(key(30).public().as_bytes())}});
    let mut payload = doc.clone();
    payload.insert("iss".into(), WEB_DID.into());
    let signed = |header: &Value, payload: &serde_json::Map<String, Value>, k: u64| {
        let input = format!(
            "{}.{}",
            B64U.encode(header.to_string()),
            B64U.encode(Value::Object(payload.clone()).to_string())
        );
        format!("{input}.{}", B64U.encode(key(k).sign(input.as_bytes())))
    };
    let token = signed(&header, &payload, 30);
    let held = web_document();
    let lookup = |did: &str| (did == WEB_DID).then(|| held.clone());
    let list =
        parse_status_list_credential_with(token.as_bytes(), Some(&lookup)).expect("verifies");
    assert_eq!(
        (list.issuer.as_str(), list.is_set(9)),
        (WEB_DID, Some(true))
    );
    // Without the document the jwk binds to nobody: refused.
    let r = parse_status_list_credential(token.as_bytes());
    assert!(
        matches!(&r, Err(StatusListError::BadProof(why)) if why.contains("bound to no issuer")),
        "{r:?}"
    );
    // A jwk the held document does not list (the token verifies with it):
    // refused.
    let other = json!({"alg": "EdDSA", "jwk": {"kty": "OKP", "crv": "Ed25519",
        "x": B64U.encode(key(31).public().as_bytes())}});
    let r =
        parse_status_list_credential_with(signed(&other, &payload, 31).as_bytes(), Some(&lookup));
    assert!(
        matches!(&r, Err(StatusListError::BadProof(why)) if why.contains("not one of the keys")),
        "{r:?}"
    );
    // A changed payload: refused.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    payload["credentialSubject"]["statusPurpose"] = "suspension".into();
    parts[1] = B64U.encode(Value::Object(payload).to_string());
    let r = parse_status_list_credential_with(parts.join(".").as_bytes(), Some(&lookup));
    assert!(matches!(r, Err(StatusListError::BadProof(_))), "{r:?}");
}

/// "The statusListCredential might contain multiple status purposes in a
/// single list" (the spec's validation algorithm): a list may declare an
/// array, and serves each.
#[test]
fn a_list_may_declare_several_purposes() {
    let mut doc = build_status_list_credential(
        &StatusListInput {
            url: "https://status.example/lists/2",
            valid_from: T0,
            valid_until: None,
        },
        [1u32],
        &key(32),
    )
    .expect("build");
    doc["credentialSubject"]["statusPurpose"] = json!(["revocation", "suspension"]);
    let issuer = IssuerId::from_key(key(32).public());
    sign(
        &mut doc,
        proof_options(&issuer.verification_method(), "2027-01-15T08:00:00Z"),
        &key(32),
        &ContextSet::pinned(),
    )
    .expect("sign");
    let list = parse_status_list_credential(&bytes(&doc)).expect("verifies");
    assert!(list.has_purpose("revocation") && list.has_purpose("suspension"));
    assert!(!list.has_purpose("message"));
    doc["credentialSubject"]["statusPurpose"] = json!([]);
    let r = parse_status_list_credential(&bytes(&doc));
    assert!(matches!(r, Err(StatusListError::Shape(_))), "{r:?}");
}

/// A legacy `StatusList2021Credential` (VC 1.1, the 2021 context pinned
/// from Digital Bazaar's package, `encodedList` without the multibase
/// prefix, dates in `issuanceDate`) is read like a Bitstring list.
#[test]
fn a_status_list_2021_credential_is_read() {
    let built = build_status_list_credential(
        &StatusListInput {
            url: "https://status.example/2021/1",
            valid_from: T0,
            valid_until: None,
        },
        [9u32],
        &key(31),
    )
    .expect("build");
    let encoded = built["credentialSubject"]["encodedList"]
        .as_str()
        .expect("text")
        .trim_start_matches('u')
        .to_owned();
    let issuer = IssuerId::from_key(key(31).public());
    let mut doc = json!({
        "@context": [
            "https://www.w3.org/2018/credentials/v1",
            "https://w3id.org/vc/status-list/2021/v1",
            "https://w3id.org/security/data-integrity/v2"
        ],
        "id": "https://status.example/2021/1",
        "type": ["VerifiableCredential", "StatusList2021Credential"],
        "issuer": issuer.to_did(),
        "issuanceDate": "2027-01-15T08:00:00Z",
        "credentialSubject": {
            "id": "https://status.example/2021/1#list",
            "type": "StatusList2021",
            "statusPurpose": "revocation",
            "encodedList": encoded,
        },
    });
    let map = doc.as_object_mut().expect("object");
    sign(
        map,
        proof_options(&issuer.verification_method(), "2027-01-15T08:00:00Z"),
        &key(31),
        &ContextSet::pinned(),
    )
    .expect("sign");
    let list = parse_status_list_credential(&bytes(map)).expect("verifies");
    assert_eq!(list.kind, ListKind::StatusList2021);
    assert_eq!(list.is_set(9), Some(true));
    assert_eq!(list.is_set(8), Some(false));
    assert_eq!(
        list.valid_from.map(|t| t.to_string()).as_deref(),
        Some("2027-01-15T08:00:00Z")
    );
}

/// DCC's credentials name their list by the URL it is served at, not by
/// its `id`: the VC 1.1 ones (whose status entry needs the Bitstring Status
/// List context for VC 1.1, now pinned) and the VC 2.0 ones alike. Their
/// proofs are not checked here: DCC's subjects have neither `id` nor
/// `identifier`, which this crate's shape check refuses until that becomes
/// a warning; the JSON-LD of their status entries is exercised by
/// canonicalizing them.
#[test]
fn dccs_credentials_name_their_list_by_url() {
    use badgemesh_openbadges::status_entry::status_entries;
    for (file, index, url) in [
        (
            "dcc/v1-didweb-legacy-revokedStatus-noExpiry.json",
            6,
            "https://digitalcredentials.github.io/vc-test-fixtures/statusLists/didkey-ed25519Signature2020/e5WK8CbZ1GjycuPombrj",
        ),
        (
            "dcc/v1-didweb-legacy-validStatus-noExpiry.json",
            7,
            "https://digitalcredentials.github.io/vc-test-fixtures/statusLists/didkey-ed25519Signature2020/e5WK8CbZ1GjycuPombrj",
        ),
        (
            "dcc/v2-didkey-noRegistry-revokedStatus-notExpired.json",
            8,
            "https://raw.githubusercontent.com/digitalcredentials/verifier-core/refs/heads/main/src/test-fixtures/status/e5WK8CbZ1GjycuPombrj",
        ),
    ] {
        let doc: Value = serde_json::from_str(&read(file)).expect("json");
        let entries = status_entries(doc.as_object().expect("object"));
        assert_eq!(entries.len(), 1, "{file}");
        assert_eq!(entries[0].method, StatusMethod::Bitstring);
        assert_eq!(
            (entries[0].index, entries[0].list_url.as_str()),
            (index, url)
        );
        assert_eq!(entries[0].purpose, "revocation");
        let mut unsigned = doc.clone();
        badgemesh_openbadges::json::prepass(&mut unsigned).expect("prepass");
        if let Some(o) = unsigned.as_object_mut() {
            o.remove("proof");
        }
        badgemesh_openbadges::rdf::to_rdf_full(
            unsigned.as_object().expect("object"),
            &ContextSet::pinned(),
        )
        .unwrap_or_else(|e| panic!("{file}: JSON-LD refuses it: {e}"));
    }
}
