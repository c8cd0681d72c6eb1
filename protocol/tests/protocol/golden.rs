//! Golden vectors: fixed seed keys and times give fixed payload bytes, ids and
//! signatures for every record kind. They change only with a protocol version
//! bump; to regenerate after one, run with `BADGEMESH_BLESS=1`.

use std::path::PathBuf;

use badgemesh_protocol::envelope::{Envelope, PROTOCOL_AAD};
use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
use badgemesh_protocol::record::{EndorsementSubject, RevocationReason, SignedRecord};
use badgemesh_protocol::state::Registry;
use badgemesh_protocol::testkit::Issuer;
use badgemesh_protocol::time::Timestamp;
use serde_json::{Value, json};

const T0: Timestamp = Timestamp(1_800_000_000);

fn records() -> Vec<SignedRecord> {
    let mut i = Issuer::new(1, T0);
    let mut out = i.genesis(); // key event, profile, head
    let (badge, _) = i.badge_class("Golden Teamwork");
    out.push(badge.clone());
    out.push(i.award(&badge, "ada@example.org"));
    let reasons = vec![RevocationReason {
        index: 0,
        reason: "awarded by mistake".into(),
    }];
    let revoke = i
        .inner()
        .revoke(vec![0, 7], reasons, T0.plus(60), T0.plus(3660))
        .expect("ok");
    out.push(revoke);
    i.now = T0.plus(120);
    out.push(i.rotate());
    // Added with endorsement records (#18): appended, so every earlier
    // vector stays byte for byte what it was.
    i.now = T0.plus(180);
    let school = Issuer::new(2, T0).inner().id();
    out.push(i.endorse(EndorsementSubject::Issuer(school), "Accredited partner"));
    // Added with pathway records (#18), appended likewise.
    i.now = T0.plus(240);
    out.push(i.pathway(badge.id(), &[(1, &[other_class()])]));
    out
}

/// A badge class of another issuer, a prerequisite of the golden pathway.
fn other_class() -> badgemesh_protocol::id::RecordId {
    Issuer::new(2, T0).badge_class("Golden Safety").1
}

fn vectors() -> Value {
    let entries: Vec<Value> = records()
        .iter()
        .map(|r| {
            let env = Envelope::decode(r.bytes(), MAX_ENVELOPE_BYTES).expect("decodes");
            json!({
                "kind": r.kind().name(),
                "signer": badgemesh_protocol::keys::PublicKey::from_bytes(r.signer())
                    .expect("a checked key")
                    .to_multibase(),
                "id": r.id().to_string(),
                "payload": hex::encode(env.payload),
                "signature": hex::encode(env.signature),
                "envelope": hex::encode(r.bytes()),
            })
        })
        .collect();
    json!({ "protocol": String::from_utf8_lossy(PROTOCOL_AAD), "records": entries })
}

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/records.json")
}

#[test]
fn golden_vectors_match_byte_for_byte() {
    let actual = vectors();
    if std::env::var_os("BADGEMESH_BLESS").is_some() {
        let text = serde_json::to_string_pretty(&actual).expect("json") + "\n";
        std::fs::write(path(), text).expect("write vectors");
    }
    let text = std::fs::read_to_string(path()).expect("tests/vectors/records.json exists");
    let expected: Value = serde_json::from_str(&text).expect("valid json");
    assert_eq!(
        actual, expected,
        "protocol output changed: bump the protocol version"
    );
}

#[test]
fn stored_vectors_decode_and_verify() {
    let text = std::fs::read_to_string(path()).expect("vectors exist");
    let expected: Value = serde_json::from_str(&text).expect("valid json");
    let mut reg = Registry::new();
    for v in expected["records"].as_array().expect("array") {
        let bytes = hex::decode(v["envelope"].as_str().expect("hex")).expect("hex");
        let rec =
            SignedRecord::decode(&bytes, MAX_ENVELOPE_BYTES).expect("vector decodes and verifies");
        assert_eq!(rec.id().to_string(), v["id"].as_str().expect("id"));
        assert_eq!(rec.kind().name(), v["kind"].as_str().expect("kind"));
        let outcome = reg.apply(rec, T0.plus(1000)).outcome;
        assert!(outcome.is_stored(), "{outcome:?}");
    }
}
