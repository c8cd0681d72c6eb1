//! Status list credentials: build, sign, parse, verify, look up.

use badgemesh_openbadges::status_list::{
    StatusListError, StatusListInput, build_status_list_credential, parse_status_list_credential,
};
use badgemesh_protocol::keys::IssuerId;
use serde_json::Value;

use crate::fixtures::{T0, bytes, key};

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
    assert_eq!(list.issuer, IssuerId::from_key(k.public()));
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
