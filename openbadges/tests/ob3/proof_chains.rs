//! Data Integrity proof chains (`previousProof`) and any-VC verification,
//! with the W3C test suites' shared fixtures.

use badgemesh_openbadges::credential::{
    CheckName, CheckStatus, Outcome, Profile, VerifyOptions, verify_credential,
};
use badgemesh_protocol::time::Timestamp;

use crate::fixtures::read;

fn verify(name: &str) -> badgemesh_openbadges::credential::Verdict {
    let text = read(&format!("w3c-di-previous-proof/{name}-SimpleSigned2.json"));
    let now: Timestamp = "2024-06-01T00:00:00Z".parse().expect("time");
    verify_credential(
        text.as_bytes(),
        now,
        &VerifyOptions {
            profile: Profile::AnyCredential,
            ..VerifyOptions::default()
        },
    )
    .expect("checks run")
}

#[test]
fn a_proof_that_names_its_previous_proof_signs_over_it() {
    for ok in [
        "2.0-previousProofStringOk",
        "2.0-previousProofArrayOk",
        "1.1-previousProofStringOk",
    ] {
        let v = verify(ok);
        assert_eq!(v.outcome, Outcome::Valid, "{ok}: {:?}", v.checks);
        // The issuer's own proof is the chained one (the first is by
        // another key).
        let proof = v.check(CheckName::Proof).map(|c| c.detail.clone());
        assert!(
            proof
                .as_deref()
                .unwrap_or("")
                .contains("z6MkhWqdDBPojHA7cprTGTt5yHv5yUi1B8cnXn8ReLumkw6E"),
            "{ok}: {proof:?}"
        );
        // Not an Open Badge: reported, not decisive.
        assert_eq!(
            v.check(CheckName::OpenBadges).map(|c| c.status),
            Some(CheckStatus::Skip),
            "{ok}"
        );
    }
}

#[test]
fn a_broken_chain_does_not_verify() {
    for bad in [
        "2.0-previousProofStringMissingFail",
        "2.0-previousProofNotStringFail",
    ] {
        let v = verify(bad);
        assert_eq!(v.outcome, Outcome::Invalid, "{bad}: {:?}", v.checks);
    }
}

#[test]
fn the_open_badges_profile_refuses_what_any_credential_accepts() {
    let text = read("w3c-di-previous-proof/2.0-previousProofStringOk-SimpleSigned2.json");
    let now: Timestamp = "2024-06-01T00:00:00Z".parse().expect("time");
    let v = verify_credential(text.as_bytes(), now, &VerifyOptions::default()).expect("runs");
    assert_eq!(v.outcome, Outcome::Invalid);
    assert_eq!(
        v.check(CheckName::Structure).map(|c| c.status),
        Some(CheckStatus::Fail)
    );
}
