//! Verdicts: one test per outcome and per check.

use badgemesh_protocol::envelope::{Envelope, RecordKind, seal};
use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
use badgemesh_protocol::record::SignedRecord;
use badgemesh_protocol::state::Registry;
use badgemesh_protocol::testkit::Issuer;
use badgemesh_protocol::time::Timestamp;
use badgemesh_protocol::verify::{
    CheckName, CheckStatus, VerdictOutcome, VerifyError, VerifyOptions, verify,
};

const T0: Timestamp = Timestamp(1_800_000_000);

struct World {
    issuer: Issuer,
    node: Registry,
    badge: SignedRecord,
}

fn world() -> World {
    let mut issuer = Issuer::new(21, T0);
    let mut node = Registry::new();
    for r in issuer.genesis() {
        node.apply(r, T0);
    }
    let (badge, _) = issuer.badge_class("Teamwork");
    node.apply(badge.clone(), T0);
    World {
        issuer,
        node,
        badge,
    }
}

fn outcome(
    bytes: &[u8],
    node: &Registry,
    now: Timestamp,
    opts: &VerifyOptions<'_>,
) -> VerdictOutcome {
    verify(bytes, node, now, opts)
        .expect("an assertion")
        .outcome
}

#[test]
fn valid_with_every_check_passing() {
    let mut w = world();
    let award = w.issuer.award(&w.badge, "ada@example.org");
    let opts = VerifyOptions {
        recipient: Some("Ada@Example.org"),
        max_age_secs: Some(600),
    };
    let v = verify(award.bytes(), &w.node, T0.plus(60), &opts).expect("an assertion");
    assert_eq!(v.outcome, VerdictOutcome::Valid);
    assert_eq!(v.assertion, award.id());
    assert!(
        v.checks.iter().all(|c| c.status == CheckStatus::Pass),
        "{:#?}",
        v.checks
    );
    let r = v.revocation.expect("freshness reported");
    assert_eq!((r.seq, r.age_secs), (0, Some(60)));
}

#[test]
fn revoked_shows_which_update() {
    let mut w = world();
    let award = w.issuer.award(&w.badge, "ada@example.org");
    w.node.apply(w.issuer.revoke(&[0]), T0);
    let v = verify(award.bytes(), &w.node, T0, &VerifyOptions::default()).expect("assertion");
    assert_eq!(v.outcome, VerdictOutcome::Revoked);
    let c = v.check(CheckName::Revocation).expect("present");
    assert_eq!(c.status, CheckStatus::Fail);
    assert!(c.detail.contains("revoked by update 1"), "{}", c.detail);
}

#[test]
fn other_awards_are_not_revoked_with_it() {
    let mut w = world();
    let first = w.issuer.award(&w.badge, "ada@example.org");
    let second = w.issuer.award(&w.badge, "bob@example.org");
    w.node.apply(w.issuer.revoke(&[0]), T0);
    assert_eq!(
        outcome(first.bytes(), &w.node, T0, &VerifyOptions::default()),
        VerdictOutcome::Revoked
    );
    assert_eq!(
        outcome(second.bytes(), &w.node, T0, &VerifyOptions::default()),
        VerdictOutcome::Valid
    );
}

#[test]
fn expired_and_not_yet_valid() {
    let mut w = world();
    let inner = w.issuer.inner();
    let expiring = inner
        .award(
            w.badge.id(),
            recipient(),
            T0,
            Some(T0.plus(100)),
            vec![],
            None,
        )
        .expect("well-formed");
    assert_eq!(
        outcome(
            expiring.bytes(),
            &w.node,
            T0.plus(99),
            &VerifyOptions::default()
        ),
        VerdictOutcome::Valid
    );
    assert_eq!(
        outcome(
            expiring.bytes(),
            &w.node,
            T0.plus(100),
            &VerifyOptions::default()
        ),
        VerdictOutcome::Expired
    );
    let future = w
        .issuer
        .inner()
        .award(
            w.badge.id(),
            recipient(),
            T0.plus(86_400),
            None,
            vec![],
            None,
        )
        .expect("ok");
    assert_eq!(
        outcome(future.bytes(), &w.node, T0, &VerifyOptions::default()),
        VerdictOutcome::NotYetValid
    );
}

fn recipient() -> badgemesh_protocol::record::Recipient {
    badgemesh_protocol::record::Recipient::Did("did:example:earner".into())
}

#[test]
fn tampered_signature_is_invalid() {
    let mut w = world();
    let award = w.issuer.award(&w.badge, "ada@example.org");
    let mut bytes = award.bytes().to_vec();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    let v = verify(&bytes, &w.node, T0, &VerifyOptions::default()).expect("still an assertion");
    assert_eq!(v.outcome, VerdictOutcome::Invalid);
    assert_eq!(
        v.check(CheckName::Signature).map(|c| c.status),
        Some(CheckStatus::Fail)
    );
}

#[test]
fn payload_swapped_under_a_valid_signature_is_invalid() {
    let mut w = world();
    let ada = w.issuer.award(&w.badge, "ada@example.org");
    let eve = w.issuer.award(&w.badge, "eve@example.org");
    let a = Envelope::decode(ada.bytes(), MAX_ENVELOPE_BYTES).expect("decodes");
    let e = Envelope::decode(eve.bytes(), MAX_ENVELOPE_BYTES).expect("decodes");
    // Eve's payload with Ada's signature: rebuild the envelope by hand.
    let mut forged = ada.bytes().to_vec();
    let start = forged
        .windows(a.payload.len())
        .position(|w| w == a.payload)
        .expect("payload inside");
    assert_eq!(a.payload.len(), e.payload.len());
    forged[start..start + a.payload.len()].copy_from_slice(e.payload);
    assert_eq!(
        outcome(&forged, &w.node, T0, &VerifyOptions::default()),
        VerdictOutcome::Invalid
    );
}

#[test]
fn unknown_issuer_or_badge_is_indeterminate_not_invalid() {
    let mut w = world();
    let award = w.issuer.award(&w.badge, "ada@example.org");
    let empty = Registry::new();
    let v = verify(award.bytes(), &empty, T0, &VerifyOptions::default()).expect("assertion");
    assert_eq!(v.outcome, VerdictOutcome::Indeterminate);
    assert_eq!(
        v.check(CheckName::Signature).map(|c| c.status),
        Some(CheckStatus::Pass)
    );
    assert_eq!(
        v.check(CheckName::IssuerKey).map(|c| c.status),
        Some(CheckStatus::Unknown)
    );

    let (unseen_badge, _) = w.issuer.badge_class("Not gossiped yet");
    let award2 = w.issuer.award(&unseen_badge, "ada@example.org");
    let v = verify(award2.bytes(), &w.node, T0, &VerifyOptions::default()).expect("assertion");
    assert_eq!(v.outcome, VerdictOutcome::Indeterminate);
    assert_eq!(
        v.check(CheckName::BadgeClass).map(|c| c.status),
        Some(CheckStatus::Unknown)
    );
}

#[test]
fn badge_class_of_another_issuer_is_invalid() {
    let mut w = world();
    let mut other = Issuer::new(22, T0);
    for r in other.genesis() {
        w.node.apply(r, T0);
    }
    // The other issuer awards the first issuer's badge class.
    let award = other.award(&w.badge, "ada@example.org");
    let v = verify(award.bytes(), &w.node, T0, &VerifyOptions::default()).expect("assertion");
    assert_eq!(v.outcome, VerdictOutcome::Invalid);
    assert_eq!(
        v.check(CheckName::BadgeClass).map(|c| c.status),
        Some(CheckStatus::Fail)
    );
}

#[test]
fn recipient_mismatch_is_invalid() {
    let mut w = world();
    let award = w.issuer.award(&w.badge, "ada@example.org");
    let opts = VerifyOptions {
        recipient: Some("mallory@example.org"),
        max_age_secs: None,
    };
    assert_eq!(
        outcome(award.bytes(), &w.node, T0, &opts),
        VerdictOutcome::Invalid
    );
}

#[test]
fn old_or_incomplete_revocation_data_is_indeterminate() {
    let mut w = world();
    let award = w.issuer.award(&w.badge, "ada@example.org");
    let opts = VerifyOptions {
        recipient: None,
        max_age_secs: Some(3600),
    };
    assert_eq!(
        outcome(award.bytes(), &w.node, T0.plus(3600), &opts),
        VerdictOutcome::Valid
    );
    assert_eq!(
        outcome(award.bytes(), &w.node, T0.plus(3601), &opts),
        VerdictOutcome::Indeterminate
    );
    // A head that names an update this node lacks.
    let _missing = w.issuer.revoke(&[9]);
    w.issuer.now = T0.plus(10);
    w.node.apply(w.issuer.head(), T0.plus(10));
    let v = verify(
        award.bytes(),
        &w.node,
        T0.plus(10),
        &VerifyOptions::default(),
    )
    .expect("assertion");
    assert_eq!(v.outcome, VerdictOutcome::Indeterminate);
    let detail = &v.check(CheckName::Revocation).expect("present").detail;
    assert!(detail.contains("sync needed"), "{detail}");
}

#[test]
fn no_revocation_data_at_all_is_indeterminate() {
    let mut issuer = Issuer::new(23, T0);
    let mut node = Registry::new();
    node.apply(issuer.inception(), T0);
    let (badge, _) = issuer.badge_class("B");
    node.apply(badge.clone(), T0);
    let award = issuer.award(&badge, "ada@example.org");
    assert_eq!(
        outcome(award.bytes(), &node, T0, &VerifyOptions::default()),
        VerdictOutcome::Indeterminate
    );
}

#[test]
fn revoked_in_either_branch_of_an_equivocation_is_revoked() {
    let mut w = world();
    let ada = w.issuer.award(&w.badge, "ada@example.org");
    let bob = w.issuer.award(&w.badge, "bob@example.org");
    let mut fork = w.issuer.clone();
    w.node.apply(w.issuer.revoke(&[0]), T0);
    w.node.apply(fork.revoke(&[1]), T0);
    for award in [&ada, &bob] {
        let v = verify(award.bytes(), &w.node, T0, &VerifyOptions::default()).expect("assertion");
        assert_eq!(v.outcome, VerdictOutcome::Revoked);
        assert!(v.issuer_equivocated);
    }
}

#[test]
fn rotation_keeps_old_awards_valid_and_refuses_the_old_key_afterwards() {
    let mut w = world();
    let before = w.issuer.award(&w.badge, "ada@example.org");
    let mut thief = w.issuer.clone();
    w.issuer.now = T0.plus(100);
    w.node.apply(w.issuer.rotate(), T0.plus(100));
    w.node.apply(w.issuer.head(), T0.plus(100));
    let now = T0.plus(200);
    assert_eq!(
        outcome(before.bytes(), &w.node, now, &VerifyOptions::default()),
        VerdictOutcome::Valid
    );
    let after_new_key = w.issuer.award(&w.badge, "bob@example.org");
    assert_eq!(
        outcome(
            after_new_key.bytes(),
            &w.node,
            now,
            &VerifyOptions::default()
        ),
        VerdictOutcome::Valid
    );
    thief.now = T0.plus(150);
    let stolen = thief.award(&w.badge, "eve@example.org");
    let v = verify(stolen.bytes(), &w.node, now, &VerifyOptions::default()).expect("assertion");
    assert_eq!(v.outcome, VerdictOutcome::Invalid);
    assert_eq!(
        v.check(CheckName::IssuerKey).map(|c| c.status),
        Some(CheckStatus::Fail)
    );
}

#[test]
fn non_assertions_are_errors_not_verdicts() {
    let w = world();
    assert!(matches!(
        verify(w.badge.bytes(), &w.node, T0, &VerifyOptions::default()),
        Err(VerifyError::NotAnAssertion("badge_class"))
    ));
    assert!(matches!(
        verify(b"not cbor", &w.node, T0, &VerifyOptions::default()),
        Err(VerifyError::Envelope(_))
    ));
    let key = badgemesh_protocol::keys::SecretKey::from_seed(&[1; 32]).expect("strong");
    let garbage_payload = seal(RecordKind::Assertion, b"\xa0", &key);
    assert!(matches!(
        verify(&garbage_payload, &w.node, T0, &VerifyOptions::default()),
        Err(VerifyError::Record(_))
    ));
}

#[test]
fn verdict_json_has_stable_names() {
    let mut w = world();
    let award = w.issuer.award(&w.badge, "ada@example.org");
    let v = verify(award.bytes(), &w.node, T0, &VerifyOptions::default()).expect("assertion");
    let json = serde_json::to_value(&v).expect("serializes");
    assert_eq!(json["outcome"], "valid");
    assert_eq!(json["checks"][0]["check"], "signature");
    assert_eq!(json["checks"][0]["status"], "pass");
    assert_eq!(json["issued_on"], T0.to_string());
    assert!(
        json["issuer"]
            .as_str()
            .is_some_and(|s| s.starts_with("did:key:z6Mk"))
    );
}

#[test]
fn batch_verification_gives_the_same_verdicts_as_one_by_one() {
    use badgemesh_protocol::verify::verify_many;
    let mut w = world();
    let mut inputs: Vec<Vec<u8>> = (0..20)
        .map(|n| {
            w.issuer
                .award(&w.badge, &format!("p{n}@example.org"))
                .bytes()
                .to_vec()
        })
        .collect();
    w.node.apply(w.issuer.revoke(&[3]), T0);
    // One tampered signature in the middle forces the per-signature fallback.
    let last = inputs[7].len() - 1;
    inputs[7][last] ^= 1;
    inputs.push(b"garbage".to_vec());
    let refs: Vec<&[u8]> = inputs.iter().map(Vec::as_slice).collect();
    let opts = VerifyOptions::default();
    let batch = verify_many(&refs, &w.node, T0, &opts);
    for (bytes, got) in refs.iter().zip(&batch) {
        assert_eq!(got, &verify(bytes, &w.node, T0, &opts));
    }
    assert_eq!(
        batch[3].as_ref().map(|v| v.outcome).ok(),
        Some(VerdictOutcome::Revoked)
    );
    assert_eq!(
        batch[7].as_ref().map(|v| v.outcome).ok(),
        Some(VerdictOutcome::Invalid)
    );
    assert!(batch[20].is_err());
    // All genuine: the batch path alone.
    let genuine: Vec<&[u8]> = refs[..7].to_vec();
    assert!(
        verify_many(&genuine, &w.node, T0, &opts)
            .iter()
            .all(|v| v.is_ok())
    );
}
