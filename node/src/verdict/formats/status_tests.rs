//! The status checks of foreign credentials and signed OB 2.0 badges,
//! against documents held in a real data directory: Bitstring and legacy
//! StatusList2021 lists (revocation, suspension, message), lists held under
//! the URL credentials point at, lists of did:web issuers, 1EdTech
//! revocation lists, DCC's published test list and credentials, and signed
//! OB 2.0 badges against the OB 2.0 specification's RevocationList.

use badgemesh_openbadges::contexts::{ContextSet, OB_EXTENSIONS, STATUS_LIST_2021_V1};
use badgemesh_openbadges::proof::{proof_options, sign};
use badgemesh_openbadges::status_list::{StatusListInput, build_status_list_credential};
use badgemesh_protocol::keys::{IssuerId, SecretKey};
use badgemesh_protocol::testkit::seed;
use badgemesh_protocol::time::Timestamp;
use serde_json::{Map, Value, json};

use super::{Options, verify_any};
use crate::trust::held::HeldDocuments;

const CREDENTIAL: &str =
    include_str!("../../../../openbadges/tests/vectors/exported-credential.json");
const LIST_URL: &str = "https://status.example/lists/7";
const T0: Timestamp = Timestamp(1_800_000_000);

fn dcc(file: &str) -> Vec<u8> {
    let path = format!(
        "{}/../openbadges/tests/vectors/dcc/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn key(n: u64) -> SecretKey {
    SecretKey::from_seed(&seed("status", n)).expect("valid seed")
}

fn did(k: &SecretKey) -> String {
    IssuerId::from_key(k.public()).to_did()
}

fn to_map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("not an object"),
    }
}

/// The exported credential, re-issued by `issuer` (a did:key of `k`, or a
/// did:web whose `#key-1` is `k`) with `status` and `contexts` added.
fn credential_by(
    k: &SecretKey,
    issuer: &str,
    vm: &str,
    status: Value,
    contexts: &[&str],
) -> Vec<u8> {
    let mut doc = to_map(serde_json::from_str(CREDENTIAL).expect("vector"));
    doc["issuer"]["id"] = issuer.into();
    doc.insert("credentialStatus".into(), status);
    if let Some(Value::Array(c)) = doc.get_mut("@context") {
        c.extend(contexts.iter().map(|u| Value::from(*u)));
    }
    sign(
        &mut doc,
        proof_options(vm, "2027-01-15T08:00:00Z"),
        k,
        &ContextSet::pinned(),
    )
    .expect("sign");
    serde_json::to_vec(&doc).expect("json")
}

fn credential(k: &SecretKey, status: Value) -> Vec<u8> {
    let issuer = IssuerId::from_key(k.public());
    credential_by(
        k,
        &issuer.to_did(),
        &issuer.verification_method(),
        status,
        &[],
    )
}

fn entry(purpose: &str, index: u32) -> Value {
    json!({
        "id": format!("{LIST_URL}#{index}"),
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": index.to_string(),
        "statusListCredential": LIST_URL,
    })
}

/// A status list signed by `k` (as `issuer`/`vm`), for `purpose`, with
/// `bits` set, whose `id` is `id`.
fn list_by(
    k: &SecretKey,
    issuer: &str,
    vm: &str,
    purpose: &str,
    bits: &[u32],
    id: &str,
) -> Vec<u8> {
    let mut doc = build_status_list_credential(
        &StatusListInput {
            url: id,
            valid_from: T0,
            valid_until: None,
        },
        bits.iter().copied(),
        k,
    )
    .expect("build");
    doc.insert("issuer".into(), issuer.into());
    doc["credentialSubject"]["statusPurpose"] = purpose.into();
    sign(
        &mut doc,
        proof_options(vm, "2027-01-15T08:00:00Z"),
        k,
        &ContextSet::pinned(),
    )
    .expect("sign");
    serde_json::to_vec(&doc).expect("json")
}

fn list(k: &SecretKey, purpose: &str, bits: &[u32]) -> Vec<u8> {
    let issuer = IssuerId::from_key(k.public());
    list_by(
        k,
        &issuer.to_did(),
        &issuer.verification_method(),
        purpose,
        bits,
        LIST_URL,
    )
}

fn verify(bytes: &[u8], held: &HeldDocuments) -> Value {
    let opts = Options {
        held: Some(held),
        ..Options::default()
    };
    verify_any(bytes, None, T0, &opts).expect("a verdict")
}

fn the_check<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["checks"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["check"] == name))
        .unwrap_or_else(|| panic!("no {name} check in {v}"))
}

fn held() -> (tempfile::TempDir, HeldDocuments) {
    let dir = tempfile::tempdir().expect("tempdir");
    let held = HeldDocuments::in_data_dir(dir.path());
    (dir, held)
}

#[test]
fn a_set_revocation_bit_is_revoked_and_a_clear_one_valid() {
    let (_d, held) = held();
    let k = key(1);
    held.status_lists
        .add(&list(&k, "revocation", &[3]))
        .expect("held");
    let v = verify(&credential(&k, entry("revocation", 3)), &held);
    assert_eq!(v["outcome"], "revoked", "{v}");
    assert_eq!(the_check(&v, "revocation")["status"], "fail");
    assert_eq!(v["status"][0]["purpose"], "revocation");
    assert_eq!(v["status"][0]["status_list"], LIST_URL);
    assert_eq!(v["status"][0]["signed_by"], did(&k));
    assert!(v["status"][0]["held_since"].is_string(), "{v}");
    assert_eq!(v["revocation"]["as_of"], "2027-01-15T08:00:00Z");

    let v = verify(&credential(&k, entry("revocation", 4)), &held);
    assert_eq!(v["outcome"], "valid", "{v}");
    let detail = the_check(&v, "revocation")["detail"]
        .as_str()
        .unwrap_or_default();
    assert!(
        detail.contains("not revoked in the status list"),
        "{detail}"
    );
    assert!(detail.contains("signed 2027-01-15T08:00:00Z"), "{detail}");
    assert!(detail.contains("held since"), "{detail}");
}

/// A set suspension bit is its own outcome: not valid now, but not revoked
/// either (the issuer may lift it).
#[test]
fn a_set_suspension_bit_is_suspended() {
    let (_d, held) = held();
    let k = key(2);
    held.status_lists
        .add(&list(&k, "suspension", &[5]))
        .expect("held");
    let v = verify(&credential(&k, entry("suspension", 5)), &held);
    assert_eq!(v["outcome"], "suspended", "{v}");
    assert_eq!(the_check(&v, "suspension")["status"], "fail");
    // A suspension entry alone says nothing about revocation.
    let v = verify(&credential(&k, entry("suspension", 6)), &held);
    assert_eq!(v["outcome"], "valid", "{v}");
    assert_eq!(the_check(&v, "suspension")["status"], "pass");
    // A revocation entry pointing at a suspension list is not answered.
    let v = verify(&credential(&k, entry("revocation", 5)), &held);
    assert_eq!(v["outcome"], "indeterminate", "{v}");
    assert!(
        the_check(&v, "revocation")["detail"]
            .as_str()
            .is_some_and(|d| d.contains("is a suspension list")),
        "{v}"
    );
}

/// The Bitstring Status List spec's `message` entry: the issuer's message
/// for the value is reported, and the outcome is left alone.
#[test]
fn a_message_entry_reports_the_message_for_its_value() {
    let (_d, held) = held();
    let k = key(3);
    // Entry 3 of a 2-bit list is bits 6 and 7: 0b10 = 0x2.
    held.status_lists
        .add(&list(&k, "message", &[6]))
        .expect("held");
    let mut e = entry("message", 3);
    e["statusSize"] = json!(2);
    e["statusMessage"] = json!([
        {"status": "0x0", "message": "pending_review"},
        {"status": "0x1", "message": "accepted"},
        {"status": "0x2", "message": "rejected"},
        {"status": "0x3", "message": "undefined"}
    ]);
    let v = verify(&credential(&k, e), &held);
    assert_eq!(v["outcome"], "valid", "{v}");
    assert_eq!(v["status"][0]["value"], 2);
    assert_eq!(v["status"][0]["message"], "rejected");
    let c = the_check(&v, "status");
    assert!(
        c["detail"]
            .as_str()
            .is_some_and(|d| d.contains("\"rejected\"")),
        "{c}"
    );
    assert_eq!(the_check(&v, "revocation")["status"], "skipped");
}

/// A list entry that cannot be read (here an index that is not a number)
/// may still be a revocation: the badge is indeterminate, not valid as if it
/// declared no status.
#[test]
fn a_malformed_list_entry_is_indeterminate_not_ignored() {
    let (_d, held) = held();
    let k = key(4);
    held.status_lists
        .add(&list(&k, "revocation", &[]))
        .expect("held");
    let mut e = entry("revocation", 3);
    e["statusListIndex"] = json!("three");
    let v = verify(&credential(&k, e), &held);
    assert_eq!(v["outcome"], "indeterminate", "{v}");
    let c = the_check(&v, "revocation");
    assert_eq!(c["status"], "unknown", "{c}");
    assert!(
        c["detail"]
            .as_str()
            .is_some_and(|d| d.contains("statusListIndex")),
        "{c}"
    );
}

/// A status method badgemesh cannot read may be a revocation: the badge
/// is indeterminate, and the verdict names the method.
#[test]
fn an_unknown_status_method_is_indeterminate() {
    let (_d, held) = held();
    let status = json!({"id": "https://status.example/rl/1#3", "type": "RevocationList2020Status",
        "revocationListIndex": "3", "revocationListCredential": "https://status.example/rl/1"});
    let k = key(9);
    let issuer = IssuerId::from_key(k.public());
    // Its terms are not in the pinned contexts: an inline context defines them.
    let mut doc = to_map(serde_json::from_str(CREDENTIAL).expect("vector"));
    doc["issuer"]["id"] = issuer.to_did().into();
    doc.insert("credentialStatus".into(), status);
    if let Some(Value::Array(c)) = doc.get_mut("@context") {
        c.push(json!({"RevocationList2020Status": "https://w3id.org/vc-revocation-list-2020#RevocationList2020Status",
            "revocationListIndex": "https://w3id.org/vc-revocation-list-2020#revocationListIndex",
            "revocationListCredential": {"@id": "https://w3id.org/vc-revocation-list-2020#revocationListCredential", "@type": "@id"}}));
    }
    sign(
        &mut doc,
        proof_options(&issuer.verification_method(), "2027-01-15T08:00:00Z"),
        &k,
        &ContextSet::pinned(),
    )
    .expect("sign");
    let v = verify(&serde_json::to_vec(&doc).expect("json"), &held);
    assert_eq!(v["outcome"], "indeterminate", "{v}");
    let c = the_check(&v, "status");
    assert!(
        c["detail"]
            .as_str()
            .is_some_and(|d| d.contains("RevocationList2020Status is not supported")),
        "{c}"
    );
}

#[test]
fn a_list_that_is_not_held_leaves_the_status_unknown() {
    let (_d, held) = held();
    let v = verify(&credential(&key(4), entry("revocation", 1)), &held);
    assert_eq!(v["outcome"], "indeterminate", "{v}");
    let c = the_check(&v, "revocation");
    assert_eq!(c["status"], "unknown");
    assert!(
        c["detail"]
            .as_str()
            .is_some_and(|d| d.contains(&format!("status-list add --url {LIST_URL}"))),
        "{c}"
    );
}

/// A list held under the URL credentials point at answers for them, though
/// its own `id` is another URL; held under its `id`, it does not.
#[test]
fn a_list_is_found_under_the_url_it_was_held_at() {
    let k = key(5);
    let issuer = IssuerId::from_key(k.public());
    let mirrored = list_by(
        &k,
        &issuer.to_did(),
        &issuer.verification_method(),
        "revocation",
        &[2],
        "https://origin.example/lists/7",
    );
    let (_d, held) = held();
    held.status_lists.add(&mirrored).expect("held under its id");
    let v = verify(&credential(&k, entry("revocation", 2)), &held);
    assert_eq!(v["outcome"], "indeterminate", "{v}");
    held.status_lists
        .add_at(Some(LIST_URL), &mirrored)
        .expect("held under the URL");
    let v = verify(&credential(&k, entry("revocation", 2)), &held);
    assert_eq!(v["outcome"], "revoked", "{v}");
    let urls: Vec<String> = held
        .status_lists
        .list()
        .expect("list")
        .into_iter()
        .map(|h| h.url)
        .collect();
    assert_eq!(
        urls,
        vec![
            "https://origin.example/lists/7".to_owned(),
            LIST_URL.to_owned()
        ]
    );
}

/// A did:web issuer's credential and list both verify through the DID
/// document the node holds; without it, the list is not even held.
#[test]
fn a_did_web_issuers_list_verifies_through_its_held_did_document() {
    let k = key(6);
    let web = "did:web:issuer.example";
    let vm = "did:web:issuer.example#key-1";
    let doc = json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": web,
        "verificationMethod": [{"id": "#key-1", "type": "Multikey", "controller": web,
            "publicKeyMultibase": k.public().to_multibase()}],
        "assertionMethod": ["#key-1"],
    });
    let (_d, held) = held();
    let l = list_by(&k, web, vm, "revocation", &[9], LIST_URL);
    assert!(held.status_lists.add(&l).is_err(), "no DID document yet");
    held.dids
        .add(doc.to_string().as_bytes())
        .expect("DID document");
    held.status_lists.add(&l).expect("held");
    let v = verify(
        &credential_by(&k, web, vm, entry("revocation", 9), &[]),
        &held,
    );
    assert_eq!(v["outcome"], "revoked", "{v}");
    assert_eq!(v["status"][0]["signed_by"], web);
}

/// Held lists are used from memory while their files are unchanged, and
/// read and verified again when the list, or the DID document that
/// verified it, changes on disk (also by another process).
#[test]
fn held_lists_come_from_memory_until_their_files_change() {
    use std::sync::Arc;
    let dir = tempfile::tempdir().expect("tempdir");
    let held = HeldDocuments::in_data_dir(dir.path());
    let other_process = HeldDocuments::in_data_dir(dir.path());
    let k = key(11);
    held.status_lists
        .add(&list(&k, "revocation", &[3]))
        .expect("held");
    let get = || {
        held.status_lists
            .get(LIST_URL)
            .expect("reads")
            .expect("held")
    };
    let (a, b) = (get(), get());
    assert!(Arc::ptr_eq(&a, &b), "the second use comes from memory");
    other_process
        .status_lists
        .add(&list(&k, "revocation", &[4]))
        .expect("replaced");
    let c = get();
    assert!(!Arc::ptr_eq(&a, &c), "a replaced list is read again");
    assert_eq!(
        (c.list.is_set(3), c.list.is_set(4)),
        (Some(false), Some(true))
    );
    std::fs::remove_dir_all(
        dir.path()
            .join(crate::trust::status_lists::STATUS_LISTS_DIR),
    )
    .expect("removed");
    assert!(held.status_lists.get(LIST_URL).expect("reads").is_none());

    // A did:web list stops verifying once its DID document names another key.
    let web = "did:web:issuer.example";
    let vm = "did:web:issuer.example#key-1";
    let doc = |k: &SecretKey| {
        json!({
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": web,
            "verificationMethod": [{"id": "#key-1", "type": "Multikey", "controller": web,
                "publicKeyMultibase": k.public().to_multibase()}],
            "assertionMethod": ["#key-1"],
        })
        .to_string()
    };
    held.dids.add(doc(&k).as_bytes()).expect("DID document");
    held.status_lists
        .add(&list_by(&k, web, vm, "revocation", &[9], LIST_URL))
        .expect("held");
    assert!(held.status_lists.get(LIST_URL).expect("verifies").is_some());
    other_process
        .dids
        .add(doc(&key(12)).as_bytes())
        .expect("rotated");
    assert!(
        held.status_lists.get(LIST_URL).is_err(),
        "verified again, against the new document"
    );
}

/// A legacy `StatusList2021Entry` is checked against a
/// `StatusList2021Credential` like a Bitstring one.
#[test]
fn a_status_list_2021_entry_is_checked() {
    let k = key(7);
    let issuer = IssuerId::from_key(k.public());
    let built = to_map(serde_json::from_slice(&list(&k, "revocation", &[4])).expect("json"));
    let encoded = built["credentialSubject"]["encodedList"]
        .as_str()
        .expect("text")
        .trim_start_matches('u')
        .to_owned();
    let mut l = to_map(json!({
        "@context": ["https://www.w3.org/2018/credentials/v1", STATUS_LIST_2021_V1,
                     "https://w3id.org/security/data-integrity/v2"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "StatusList2021Credential"],
        "issuer": issuer.to_did(),
        "issuanceDate": "2027-01-15T08:00:00Z",
        "credentialSubject": {"id": format!("{LIST_URL}#list"), "type": "StatusList2021",
                              "statusPurpose": "revocation", "encodedList": encoded},
    }));
    sign(
        &mut l,
        proof_options(&issuer.verification_method(), "2027-01-15T08:00:00Z"),
        &k,
        &ContextSet::pinned(),
    )
    .expect("sign");
    let (_d, held) = held();
    held.status_lists
        .add(&serde_json::to_vec(&l).expect("json"))
        .expect("held");
    let mut e = entry("revocation", 4);
    e["type"] = "StatusList2021Entry".into();
    let c = credential_by(
        &k,
        &issuer.to_did(),
        &issuer.verification_method(),
        e,
        &[STATUS_LIST_2021_V1],
    );
    let v = verify(&c, &held);
    assert_eq!(v["outcome"], "revoked", "{v}");
    assert_eq!(v["status"][0]["method"], "StatusList2021Entry");
}

/// OB 3.0's legacy `1EdTechRevocationList`: the credential's `id` in the
/// list held under the entry's URL revokes it, with the list's reason.
#[test]
fn a_1edtech_revocation_list_revokes_the_credentials_it_names() {
    let k = key(8);
    let issuer = IssuerId::from_key(k.public());
    let url = "https://issuer.example/revocations";
    let status = json!({"id": url, "type": "1EdTechRevocationList"});
    let c = credential_by(
        &k,
        &issuer.to_did(),
        &issuer.verification_method(),
        status,
        &[OB_EXTENSIONS],
    );
    let id: Value = serde_json::from_slice::<Value>(&c).expect("json")["id"].clone();
    let (_d, held) = held();
    let v = verify(&c, &held);
    assert_eq!(v["outcome"], "indeterminate", "{v}");
    let list = json!({"id": url, "issuer": issuer.to_did(),
        "revokedCredentials": [{"id": id, "revocationReason": "Issued in error"}]});
    held.revocation_lists
        .add_at(None, list.to_string().as_bytes())
        .expect("held");
    let v = verify(&c, &held);
    assert_eq!(v["outcome"], "revoked", "{v}");
    assert!(
        the_check(&v, "revocation")["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Issued in error")),
        "{v}"
    );
    let cleared = json!({"id": url, "revokedCredentials": [{"id": id, "revoked": false}]});
    held.revocation_lists
        .add_at(None, cleared.to_string().as_bytes())
        .expect("held");
    assert_eq!(verify(&c, &held)["outcome"], "valid");
}

const DCC_URL: &str = "https://digitalcredentials.github.io/vc-test-fixtures/statusLists/didkey-ed25519Signature2020/e5WK8CbZ1GjycuPombrj";

/// DCC's published list and did:web credentials. The list's `id` is
/// `https://testing.dcconsortium.org/...`, its credentials point at a
/// github.io URL: held with `--url`, it answers for them. It has 100,000
/// entries (a warning, not a refusal). It is signed by another DID than the
/// credentials' issuer, which the spec allows: its set bit 6 counts, but its
/// clear bit 7 is not taken as "not revoked" (Digital Bazaar's verifier
/// refuses such lists by default; DCC's accepts them). DCC's subjects have
/// no `id` or `identifier`: a warning, so the revoked one comes out
/// `revoked` end to end.
#[test]
fn dccs_list_held_under_its_url_answers_for_dccs_credentials() {
    let (_d, held) = held();
    held.dids
        .add(&dcc("did-legacy.json"))
        .expect("DCC's DID document");
    let revoked = dcc("v1-didweb-legacy-revokedStatus-noExpiry.json");
    let v = verify(&revoked, &held);
    assert_eq!(the_check(&v, "revocation")["status"], "unknown", "{v}");

    held.status_lists
        .add(&dcc("status-list-e5WK8CbZ1GjycuPombrj.json"))
        .expect("held under its id");
    let v = verify(&revoked, &held);
    assert_eq!(the_check(&v, "revocation")["status"], "unknown", "{v}");

    let h = held
        .status_lists
        .add_at(Some(DCC_URL), &dcc("status-list-e5WK8CbZ1GjycuPombrj.json"))
        .expect("held under the URL");
    assert!(h.list.is_short());
    let v = verify(&revoked, &held);
    let c = the_check(&v, "revocation");
    assert_eq!(c["status"], "fail", "{v}");
    assert!(
        c["detail"]
            .as_str()
            .is_some_and(|d| d.contains("100000 entries")),
        "{c}"
    );
    assert_eq!(v["status"][0]["index"], 6);
    assert_eq!(
        v["status"][0]["signed_by"],
        "did:key:z6MknNQD1WHLGGraFi6zcbGevuAgkVfdyCdtZnQTGWVVvR5Q"
    );
    assert_eq!(v["outcome"], "revoked", "{v}");
    assert!(
        v["warnings"]
            .to_string()
            .contains("neither an id nor an identifier"),
        "{v}"
    );

    let clear = verify(&dcc("v1-didweb-legacy-validStatus-noExpiry.json"), &held);
    let c = the_check(&clear, "revocation");
    assert_eq!(c["status"], "unknown", "{clear}");
    assert_eq!(clear["outcome"], "indeterminate", "{clear}");
    assert!(
        c["detail"]
            .as_str()
            .is_some_and(|d| d.contains("not by the credential's issuer")),
        "{c}"
    );
}

const OB2_LIST: &str = include_str!("../../../../bake/tests/fixtures/ob2_revocation_list.json");

/// A signed OB 2.0 badge (RS256, the bake tests' key) with assertion `id`;
/// `issuer` is the embedded profile (or its IRI), `badge_iri` replaces the
/// whole badge class by its IRI.
fn ob2_badge(id: &str, issuer: Value, badge_iri: bool) -> Vec<u8> {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64U;
    let badge = if badge_iri {
        json!("https://example.org/badges/5")
    } else {
        json!({"type": "BadgeClass", "id": "https://example.org/badges/5", "name": "Printmaster",
               "description": "Prints.", "image": "https://example.org/i",
               "criteria": {"narrative": "Print."}, "issuer": issuer})
    };
    let assertion = json!({
        "@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": id,
        "recipient": {"type": "email", "hashed": false, "identity": "ada@example.org"},
        "badge": badge,
        "verification": {"type": "SignedBadge", "creator": "https://example.org/keys/1"},
        "issuedOn": "2016-12-31T23:59:59Z"
    });
    let key = ring::signature::RsaKeyPair::from_pkcs8(include_bytes!(
        "../../../../bake/tests/fixtures/ob2_test_rsa_private.pk8"
    ))
    .expect("test key");
    let input = format!(
        "{}.{}",
        B64U.encode(r#"{"alg":"RS256"}"#),
        B64U.encode(assertion.to_string())
    );
    let mut sig = vec![0; key.public().modulus_len()];
    key.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        input.as_bytes(),
        &mut sig,
    )
    .expect("signs");
    format!("{input}.{}", B64U.encode(sig)).into_bytes()
}

fn profile(revocation_list: Option<&str>) -> Value {
    let mut p = json!({"type": "Profile", "id": "https://example.org/issuer", "name": "Makers",
        "url": "https://example.org", "email": "c@example.org",
        "publicKey": "https://example.org/keys/1"});
    if let Some(u) = revocation_list {
        p["revocationList"] = u.into();
    }
    p
}

fn held_with_ob2_key() -> (tempfile::TempDir, HeldDocuments) {
    let (d, held) = held();
    let pem = include_str!("../../../../bake/tests/fixtures/ob2_test_rsa_public.pem");
    let key = json!({"@context": "https://w3id.org/openbadges/v2", "type": "CryptographicKey",
        "id": "https://example.org/keys/1", "owner": "https://example.org/issuer", "publicKeyPem": pem});
    held.ob2_keys.add(key.to_string().as_bytes()).expect("key");
    (d, held)
}

const REVOKED_ID: &str = "urn:uuid:e79a6c18-787e-4868-8e65-e6a4530fb418";
const KEPT_ID: &str = "urn:uuid:00000000-787e-4868-8e65-e6a4530fb418";

/// OB 2.0 step 7 with the spec's RevocationList held under the URL the
/// issuer profile names: revoked with the reason; not held, indeterminate;
/// no list declared, valid with nothing to check.
#[test]
fn a_signed_ob2_badge_is_checked_against_the_held_revocation_list() {
    let url = "https://example.org/revocations";
    let (_d, held) = held_with_ob2_key();
    let revoked = ob2_badge(REVOKED_ID, profile(Some(url)), false);
    let v = verify(&revoked, &held);
    assert_eq!(v["outcome"], "indeterminate", "{v}");
    assert_eq!(the_check(&v, "revocation")["status"], "unknown");
    assert_eq!(
        the_check(&v, "revocation")["detail"],
        format!("the issuer's revocation list {url} is not held")
    );

    held.revocation_lists
        .add_at(Some(url), OB2_LIST.as_bytes())
        .expect("held");
    let v = verify(&revoked, &held);
    assert_eq!(v["outcome"], "revoked", "{v}");
    let c = the_check(&v, "revocation");
    assert_eq!(c["status"], "fail");
    assert!(
        c["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Honor code violation")),
        "{c}"
    );
    assert_eq!(v["revocation"]["revocation_list"], url);
    assert!(v["revocation"]["held_since"].is_string(), "{v}");
    // The reason is in the revocation check only, not repeated.
    assert_eq!(
        v["checks"].as_array().map(|cs| cs
            .iter()
            .filter(|c| c.to_string().contains("Honor code"))
            .count()),
        Some(1),
        "{v}"
    );

    let v = verify(&ob2_badge(KEPT_ID, profile(Some(url)), false), &held);
    assert_eq!(v["outcome"], "valid", "{v}");
    assert_eq!(the_check(&v, "revocation")["status"], "pass");

    let v = verify(&ob2_badge(REVOKED_ID, profile(None), false), &held);
    assert_eq!(v["outcome"], "valid", "{v}");
    let c = the_check(&v, "revocation");
    assert_eq!(c["status"], "skipped");
    assert!(
        c["detail"]
            .as_str()
            .is_some_and(|d| d.contains("declares no revocationList")),
        "{c}"
    );
}

/// A badge whose issuer profile (or whole badge class) is not embedded
/// cannot say which list its issuer declares: the list held for that
/// issuer (the profile IRI, or the trusted key's owner) answers.
#[test]
fn a_badge_without_an_embedded_profile_uses_the_list_held_for_its_issuer() {
    let (_d, held) = held_with_ob2_key();
    let by_iri = ob2_badge(REVOKED_ID, json!("https://example.org/issuer"), false);
    let by_badge_iri = ob2_badge(REVOKED_ID, Value::Null, true);
    for b in [&by_iri, &by_badge_iri] {
        let v = verify(b, &held);
        assert_eq!(v["outcome"], "indeterminate", "{v}");
        assert!(
            the_check(&v, "revocation")["detail"]
                .as_str()
                .is_some_and(|d| d.contains("not embedded")),
            "{v}"
        );
    }
    // The spec's list names its issuer https://example.org/issuer.
    held.revocation_lists
        .add_at(None, OB2_LIST.as_bytes())
        .expect("held");
    for b in [&by_iri, &by_badge_iri] {
        assert_eq!(verify(b, &held)["outcome"], "revoked");
    }
}

/// Unsigned lists have no date: one held longer than --max-age is not
/// taken as current.
#[test]
fn unsigned_lists_older_than_the_maximum_age_are_not_used() {
    let url = "https://example.org/revocations";
    let (_d, held) = held_with_ob2_key();
    held.revocation_lists
        .add_at(Some(url), OB2_LIST.as_bytes())
        .expect("held");
    let badge = ob2_badge(KEPT_ID, profile(Some(url)), false);
    // A day after the file was stored, by the wall clock that dated it.
    let stored = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let a_day_later = Timestamp(i64::try_from(stored).expect("time") + 86_400);
    let opts = Options {
        held: Some(&held),
        max_age_secs: Some(3_600),
        ..Options::default()
    };
    let v = verify_any(&badge, None, a_day_later, &opts).expect("a verdict");
    assert_eq!(v["outcome"], "indeterminate", "{v}");
    assert!(
        the_check(&v, "revocation")["detail"]
            .as_str()
            .is_some_and(|d| d.contains("more than the maximum age")),
        "{v}"
    );
    let fresh = Options {
        max_age_secs: Some(3 * 86_400),
        ..opts
    };
    let v = verify_any(&badge, None, a_day_later, &fresh).expect("a verdict");
    assert_eq!(v["outcome"], "valid", "{v}");
}
