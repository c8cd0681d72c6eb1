//! Endorsement records: acceptance, forgery, revocation through the
//! endorser's registry, privacy of assertion endorsements, quota, sync, and
//! order independence.

use badgemesh_protocol::envelope::RecordKind;
use badgemesh_protocol::keys::SecretKey;
use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
use badgemesh_protocol::record::{Endorsement, EndorsementSubject, Record, SignedRecord};
use badgemesh_protocol::state::{Outcome, Policy, Registry, Rejection};
use badgemesh_protocol::sync::{SyncRequest, SyncResponse, plan, respond};
use badgemesh_protocol::testkit::{Issuer, seed};
use badgemesh_protocol::time::Timestamp;
use badgemesh_protocol::verify::{MAX_LISTED, VerdictOutcome, check_endorsement, endorsements_of};
use proptest::prelude::*;

const T0: Timestamp = Timestamp(1_800_000_000);
const LATER: Timestamp = Timestamp(1_800_000_600);

/// A school with a badge class and an award, an employer that endorses the
/// class, the school and the award, all applied to one registry.
struct World {
    school: Issuer,
    employer: Issuer,
    class: SignedRecord,
    award: SignedRecord,
    of_class: SignedRecord,
    of_school: SignedRecord,
    of_award: SignedRecord,
}

fn world() -> World {
    let mut school = Issuer::new(200, T0);
    let mut employer = Issuer::new(201, T0);
    let (class, class_id) = school.badge_class("Welding");
    let award = school.award(&class, "ada@example.org");
    let of_class = employer.endorse(
        EndorsementSubject::BadgeClass(class_id),
        "We hire on this badge",
    );
    let of_school = employer.endorse(
        EndorsementSubject::Issuer(school.inner().id()),
        "Accredited training partner",
    );
    let of_award = employer.endorse(EndorsementSubject::Assertion(award.id()), "Excellent work");
    World {
        school,
        employer,
        class,
        award,
        of_class,
        of_school,
        of_award,
    }
}

fn records(w: &mut World) -> Vec<SignedRecord> {
    let mut out = w.school.genesis();
    out.extend(w.employer.genesis());
    out.extend([
        w.class.clone(),
        w.award.clone(),
        w.of_class.clone(),
        w.of_school.clone(),
        w.of_award.clone(),
    ]);
    out
}

fn outcome_of(reg: &Registry, rec: &SignedRecord, now: Timestamp) -> VerdictOutcome {
    let Some((e, _)) = reg.endorsement(&rec.id()) else {
        panic!("endorsement {} not held", rec.id());
    };
    check_endorsement(rec.id(), e, reg, now, None).outcome
}

#[test]
fn endorsements_are_accepted_and_found_by_subject() {
    let mut w = world();
    let mut reg = Registry::new();
    for r in records(&mut w) {
        let kind = r.kind();
        assert!(reg.apply(r, LATER).outcome.is_stored(), "{kind:?}");
    }
    let class_id = w.class.id();
    let (listed, more) =
        endorsements_of(&EndorsementSubject::BadgeClass(class_id), &reg, LATER, None);
    assert_eq!(more, 0);
    assert_eq!(listed.len(), 1);
    let e = &listed[0];
    assert_eq!(e.outcome, VerdictOutcome::Valid, "{}", e.detail);
    assert_eq!(e.about, "badge_class");
    assert_eq!(e.comment, "We hire on this badge");
    assert_eq!(e.endorser, w.employer.inner().id());
    assert_eq!(e.endorser_name.as_deref(), Some("Example Academy"));
    let school = EndorsementSubject::Issuer(w.school.inner().id());
    assert_eq!(endorsements_of(&school, &reg, LATER, None).0.len(), 1);
    let award = EndorsementSubject::Assertion(w.award.id());
    assert_eq!(endorsements_of(&award, &reg, LATER, None).0.len(), 1);
}

#[test]
fn revoking_an_endorsement_marks_it_revoked() {
    let mut w = world();
    let mut reg = Registry::new();
    for r in records(&mut w) {
        reg.apply(r, LATER);
    }
    assert_eq!(outcome_of(&reg, &w.of_class, LATER), VerdictOutcome::Valid);
    let index = Issuer::status_index_of(&w.of_class);
    let update = w.employer.revoke(&[index]);
    assert_eq!(reg.apply(update, LATER).outcome, Outcome::Accepted);
    assert_eq!(
        outcome_of(&reg, &w.of_class, LATER),
        VerdictOutcome::Revoked
    );
    // The others keep their own indices, so they stand.
    assert_eq!(outcome_of(&reg, &w.of_school, LATER), VerdictOutcome::Valid);
    // Status indices come from one counter with the endorser's awards.
    assert_ne!(
        Issuer::status_index_of(&w.of_class),
        Issuer::status_index_of(&w.of_school)
    );
}

#[test]
fn period_and_freshness_decide_the_rest() {
    let mut employer = Issuer::new(210, T0);
    let mut reg = Registry::new();
    // No head yet: nothing says the endorsement is not revoked.
    reg.apply(employer.inception(), LATER);
    let subject = EndorsementSubject::BadgeClass(badgemesh_protocol::id::RecordId::of(b"x"));
    let e = employer.endorse(subject, "ok");
    assert!(reg.apply(e.clone(), LATER).outcome.is_stored());
    assert_eq!(outcome_of(&reg, &e, LATER), VerdictOutcome::Indeterminate);
    reg.apply(employer.head(), LATER);
    assert_eq!(outcome_of(&reg, &e, LATER), VerdictOutcome::Valid);
    // Too old for a verifier that asks for fresh data.
    let Some((rec, _)) = reg.endorsement(&e.id()) else {
        panic!("held")
    };
    let old = check_endorsement(e.id(), rec, &reg, LATER.plus(7200), Some(60));
    assert_eq!(old.outcome, VerdictOutcome::Indeterminate);
    // A validity period that ended.
    let until = employer
        .inner()
        .endorse(subject, "for a year".into(), None, Some(T0.plus(100)), T0)
        .expect("signed");
    reg.apply(until.clone(), LATER);
    assert_eq!(outcome_of(&reg, &until, LATER), VerdictOutcome::Expired);
}

#[test]
fn forged_endorsements_are_refused() {
    let mut w = world();
    let mut reg = Registry::new();
    for r in records(&mut w) {
        reg.apply(r, LATER);
    }
    let employer = w.employer.inner().id();
    let claim = Endorsement {
        issuer: employer,
        subject: EndorsementSubject::BadgeClass(w.class.id()),
        comment: "forged praise".into(),
        at: T0,
        valid_until: None,
        status_index: 7,
        name: None,
    };
    // Signed by the school's key, claiming the employer: a key of another issuer.
    let school_key = SecretKey::from_seed(&seed("current", 200)).expect("key");
    let by_school =
        SignedRecord::sign(Record::Endorsement(claim.clone()), &school_key).expect("well-formed");
    assert_eq!(
        reg.apply(by_school, LATER).outcome,
        Outcome::Rejected(Rejection::KeyOfOtherIssuer)
    );
    // Signed by a key nobody knows: held as unvouched, never accepted.
    let stranger = SecretKey::from_seed(&seed("stranger", 1)).expect("key");
    let by_stranger =
        SignedRecord::sign(Record::Endorsement(claim), &stranger).expect("well-formed");
    assert!(!reg.vouches_for(&by_stranger));
    assert!(matches!(
        reg.apply(by_stranger.clone(), LATER).outcome,
        Outcome::Pending(_)
    ));
    assert!(reg.endorsement(&by_stranger.id()).is_none());
    // A changed comment breaks the signature.
    let mut bytes = w.of_class.bytes().to_vec();
    let at = bytes
        .windows(5)
        .position(|x| x == b"hire ")
        .expect("comment in the payload");
    bytes[at] = b'f';
    assert!(SignedRecord::decode(&bytes, MAX_ENVELOPE_BYTES).is_err());
}

#[test]
fn an_assertion_endorsement_is_held_but_never_synced() {
    let mut w = world();
    let mut reg = Registry::new();
    for r in records(&mut w) {
        reg.apply(r, LATER);
    }
    let employer = w.employer.inner().id();
    let state = reg.issuer(&employer).expect("known");
    let public = state.ids(RecordKind::Endorsement);
    assert_eq!(public.len(), 2);
    assert!(!public.contains(&w.of_award.id()));
    assert!(
        reg.record(&employer, RecordKind::Endorsement, &w.of_award.id())
            .is_none()
    );
    assert!(
        reg.record(&employer, RecordKind::Endorsement, &w.of_class.id())
            .is_some()
    );
    // A newcomer's whole-issuer request carries the public ones only.
    let SyncResponse::IssuerRecords { records, complete } = respond(
        &reg,
        &SyncRequest::Issuers {
            issuers: vec![employer],
        },
    ) else {
        panic!("issuer records")
    };
    assert_eq!(complete, 1);
    let ids: Vec<_> = records
        .iter()
        .filter_map(|b| SignedRecord::decode(b, MAX_ENVELOPE_BYTES).ok())
        .map(|r| r.id())
        .collect();
    assert!(ids.contains(&w.of_class.id()) && ids.contains(&w.of_school.id()));
    assert!(!ids.contains(&w.of_award.id()));
}

#[test]
fn sync_plans_endorsements_that_differ() {
    let mut w = world();
    let all = records(&mut w);
    let mut full = Registry::new();
    let mut behind = Registry::new();
    for r in &all {
        full.apply(r.clone(), LATER);
        if r.kind() != RecordKind::Endorsement {
            behind.apply(r.clone(), LATER);
        }
    }
    let employer = w.employer.inner().id();
    let remote = full.issuer(&employer).expect("known").summary();
    let local = behind.issuer(&employer).expect("known").summary();
    let wants = plan(Some(&local), &remote);
    assert!(
        wants.iter().any(|w| w.kind == RecordKind::Endorsement),
        "{wants:?}"
    );
    // The private one changed no summary: applying it alone leaves equal
    // summaries for everything else.
    behind.apply(w.of_award.clone(), LATER);
    let local = behind.issuer(&employer).expect("known").summary();
    assert_eq!(
        local.kind(RecordKind::Endorsement).map(|k| k.count),
        Some(0)
    );
}

#[test]
fn endorsements_count_against_the_endorsers_quota() {
    let mut spammer = Issuer::new(220, T0);
    let mut reg = Registry::with_policy(Policy {
        max_bytes_per_issuer: 8 * 1024,
        ..Policy::default()
    });
    for r in spammer.genesis() {
        reg.apply(r, LATER);
    }
    let mut refused = 0;
    for n in 0..100u32 {
        let subject =
            EndorsementSubject::BadgeClass(badgemesh_protocol::id::RecordId::of(&n.to_le_bytes()));
        let e = spammer.endorse(subject, &"great ".repeat(40));
        match reg.apply(e, LATER).outcome {
            Outcome::Accepted => {}
            Outcome::Rejected(Rejection::OverQuota) => refused += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(refused > 50, "only {refused} refused");
    assert!(reg.is_over_quota(&spammer.inner().id()));
}

/// Forty endorsements of one badge class by free keys: a verdict lists the
/// newest sixteen (found through a time-ordered index, not a sort of all),
/// says how many it left out, and always lists the old one by an issuer the
/// operator follows.
#[test]
fn a_flood_of_endorsements_is_listed_in_bounded_work_and_followed_endorsers_stay() {
    let subject = EndorsementSubject::BadgeClass(badgemesh_protocol::id::RecordId::of(b"popular"));
    let mut friend = Issuer::new(230, T0);
    let mut reg = Registry::with_policy(Policy {
        follow: [friend.inner().id()].into_iter().collect(),
        ..Policy::default()
    });
    for r in friend.genesis() {
        reg.apply(r, LATER);
    }
    let old = friend.endorse(subject, "the friend's, oldest");
    reg.apply(old.clone(), LATER);
    for n in 0..40u64 {
        let mut spammer = Issuer::new(300 + n, T0);
        spammer.now = T0.plus(i64::try_from(n).unwrap_or(0) + 1);
        for r in spammer.genesis() {
            reg.apply(r, LATER);
        }
        let e = spammer.endorse(subject, "spam");
        assert!(reg.apply(e, LATER).outcome.is_stored());
    }
    assert_eq!(reg.endorsement_count(&subject), 41);
    let times: Vec<Timestamp> = reg.endorsements_of(&subject).map(|(e, _)| e.at).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let (listed, more) = endorsements_of(&subject, &reg, LATER, None);
    assert_eq!(listed.len(), MAX_LISTED);
    assert_eq!(more, 41 - MAX_LISTED);
    assert!(
        listed.iter().any(|e| e.id == old.id()),
        "the followed endorser is listed"
    );
    assert_eq!(
        listed
            .iter()
            .filter(|e| e.comment == "spam")
            .map(|e| e.endorsed_at)
            .max(),
        Some(T0.plus(40)),
        "the newest others fill the rest"
    );
}

fn shuffled(recs: &[SignedRecord], order: &[usize]) -> Vec<SignedRecord> {
    let mut keyed: Vec<(usize, SignedRecord)> = recs
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, r)| (order.get(i).copied().unwrap_or(i), r))
        .collect();
    keyed.sort_by_key(|(k, _)| *k);
    keyed.into_iter().map(|(_, r)| r).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// The state, and what each endorsement comes to, are the same in any
    /// arrival order (an endorsement before its endorser waits for it; one
    /// before its subject is held anyway; a revocation in any position).
    #[test]
    fn any_order_gives_the_same_endorsements(
        order in proptest::collection::vec(any::<usize>(), 16),
        revoke_class in any::<bool>(),
    ) {
        let mut w = world();
        let mut recs = records(&mut w);
        if revoke_class {
            recs.push(w.employer.revoke(&[Issuer::status_index_of(&w.of_class)]));
        }
        let mut expected = Registry::new();
        for r in &recs {
            expected.apply(r.clone(), LATER);
        }
        let mut reg = Registry::new();
        for r in shuffled(&recs, &order) {
            reg.apply(r, LATER);
        }
        prop_assert_eq!(reg.fingerprint(), expected.fingerprint());
        prop_assert_eq!(reg.pending_len(), 0);
        for e in [&w.of_class, &w.of_school, &w.of_award] {
            prop_assert_eq!(outcome_of(&reg, e, LATER), outcome_of(&expected, e, LATER));
        }
        let want = if revoke_class { VerdictOutcome::Revoked } else { VerdictOutcome::Valid };
        prop_assert_eq!(outcome_of(&reg, &w.of_class, LATER), want);
    }
}
