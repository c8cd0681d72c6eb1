//! Trust registry listings: chained like revocation updates, kept only for
//! followed registries, folded per subject, order independent, and disputed
//! when the registry equivocates.

use badgemesh_protocol::envelope::RecordKind;
use badgemesh_protocol::record::SignedRecord;
use badgemesh_protocol::state::{Gap, ListingState, Outcome, Policy, Registry, Rejection};
use badgemesh_protocol::sync::plan;
use badgemesh_protocol::testkit::Issuer;
use badgemesh_protocol::time::Timestamp;
use proptest::prelude::*;

const T0: Timestamp = Timestamp(1_800_000_000);
const LATER: Timestamp = Timestamp(1_900_000_000);
const ACADEMY: &str = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";

fn following(registry: &mut Issuer) -> Registry {
    let mut reg = Registry::with_policy(Policy::default());
    reg.follow_registry(registry.inner().id());
    reg
}

fn apply(reg: &mut Registry, recs: &[SignedRecord]) -> Vec<Outcome> {
    recs.iter()
        .map(|r| reg.apply(r.clone(), LATER).outcome)
        .collect()
}

fn state_of(reg: &Registry, registry: &mut Issuer, subject: &str) -> Option<ListingState> {
    reg.issuer(&registry.inner().id())
        .and_then(|s| s.listing(subject).cloned())
}

#[test]
fn a_listing_then_a_delisting_flips_the_subject() {
    let mut r = Issuer::new(70, T0);
    let mut recs = r.genesis();
    recs.push(r.list(ACADEMY, "Example Academy"));
    let mut reg = following(&mut r);
    assert!(
        apply(&mut reg, &recs)
            .iter()
            .all(|o| *o == Outcome::Accepted)
    );
    match state_of(&reg, &mut r, ACADEMY) {
        Some(ListingState::Listed { listing, seq, .. }) => {
            assert_eq!(listing.name, "Example Academy");
            assert_eq!(seq, 1);
        }
        other => panic!("expected listed, got {other:?}"),
    }
    r.now = r.now.plus(60);
    let delist = r.delist(ACADEMY);
    assert_eq!(apply(&mut reg, &[delist]), [Outcome::Accepted]);
    assert!(matches!(
        state_of(&reg, &mut r, ACADEMY),
        Some(ListingState::Delisted { seq: 2, .. })
    ));
    let f = reg
        .issuer(&r.inner().id())
        .map(|s| s.listing_freshness())
        .expect("registry known");
    assert_eq!((f.seq, f.as_of), (2, Some(r.now)));
}

#[test]
fn listings_of_a_registry_not_followed_are_not_kept() {
    let mut r = Issuer::new(71, T0);
    let mut recs = r.genesis();
    recs.push(r.list(ACADEMY, "Example Academy"));
    recs.push(r.listing_head());
    let mut reg = Registry::new();
    let outcomes = apply(&mut reg, &recs);
    assert!(outcomes[..3].iter().all(|o| *o == Outcome::Accepted));
    assert_eq!(
        &outcomes[3..],
        [
            Outcome::Rejected(Rejection::NotFollowed),
            Outcome::Rejected(Rejection::NotFollowed)
        ]
    );
    assert!(!reg.knows(&recs[3].id()));
    assert_eq!(state_of(&reg, &mut r, ACADEMY), None);
    // Following later: the same records are now kept.
    reg.follow_registry(r.inner().id());
    assert_eq!(
        apply(&mut reg, &recs[3..]),
        [Outcome::Accepted, Outcome::Accepted]
    );
}

#[test]
fn a_gap_is_held_and_a_replay_is_a_duplicate() {
    let mut r = Issuer::new(72, T0);
    let genesis = r.genesis();
    let first = r.list(ACADEMY, "Example Academy");
    let second = r.list("https://other.example/issuer", "Other College");
    let mut reg = following(&mut r);
    apply(&mut reg, &genesis);
    assert_eq!(
        apply(&mut reg, std::slice::from_ref(&second)),
        [Outcome::Pending(Gap::MissingListing {
            registry: r.inner().id(),
            seq: 1
        })]
    );
    let report = reg.apply(first.clone(), LATER);
    assert_eq!(report.outcome, Outcome::Accepted);
    assert_eq!(report.released.len(), 1, "the held update is released");
    assert_eq!(apply(&mut reg, &[first]), [Outcome::Duplicate]);
}

#[test]
fn an_older_list_head_is_stale() {
    let mut r = Issuer::new(73, T0);
    let mut recs = r.genesis();
    recs.push(r.list(ACADEMY, "Example Academy"));
    let old = r.listing_head();
    r.now = r.now.plus(600);
    let new = r.listing_head();
    let mut reg = following(&mut r);
    apply(&mut reg, &recs);
    assert_eq!(
        apply(&mut reg, &[new, old]),
        [Outcome::Accepted, Outcome::Stale { current: 1 }]
    );
}

#[test]
fn a_signature_by_another_key_is_rejected() {
    let mut r = Issuer::new(74, T0);
    let mut forger = Issuer::new(75, T0);
    let mut reg = following(&mut r);
    apply(&mut reg, &r.genesis());
    apply(&mut reg, &forger.genesis());
    // The forger signs an update naming the registry as its author.
    let genuine = r.list(ACADEMY, "Example Academy");
    let badgemesh_protocol::record::Record::ListingUpdate(mut u) = genuine.record().clone() else {
        panic!("a listing update")
    };
    u.changes = vec![badgemesh_protocol::record::ListingChange::Delisted {
        subject: ACADEMY.into(),
        reason: None,
    }];
    let forged = SignedRecord::sign(
        badgemesh_protocol::record::Record::ListingUpdate(u),
        forger.inner().current_key(),
    )
    .expect("well-formed");
    assert_eq!(
        apply(&mut reg, &[forged]),
        [Outcome::Rejected(Rejection::KeyOfOtherIssuer)]
    );
}

#[test]
fn an_equivocating_registry_is_disputed() {
    let mut r = Issuer::new(76, T0);
    let genesis = r.genesis();
    let mut fork = r.clone();
    let a = r.list(ACADEMY, "Example Academy");
    let b = fork.list(ACADEMY, "Academy of Examples");
    let mut reg = following(&mut r);
    apply(&mut reg, &genesis);
    assert_eq!(apply(&mut reg, &[a]), [Outcome::Accepted]);
    assert!(matches!(apply(&mut reg, &[b])[0], Outcome::Equivocation(_)));
    let s = reg.issuer(&r.inner().id()).expect("known");
    assert!(s.listings_disputed());
    assert!(s.has_equivocated());
}

#[test]
fn sync_plans_listings_and_the_list_head() {
    let mut r = Issuer::new(77, T0);
    let mut recs = r.genesis();
    recs.push(r.list(ACADEMY, "Example Academy"));
    recs.push(r.listing_head());
    let mut full = following(&mut r);
    apply(&mut full, &recs);
    let mut empty = following(&mut r);
    apply(&mut empty, &recs[..3]);
    let id = r.inner().id();
    let remote = full.issuer(&id).map(|s| s.summary()).expect("known");
    let local = empty.issuer(&id).map(|s| s.summary());
    let kinds: Vec<_> = plan(local.as_ref(), &remote)
        .into_iter()
        .map(|w| (w.kind, w.from_seq))
        .collect();
    assert!(kinds.contains(&(RecordKind::ListingUpdate, 1)), "{kinds:?}");
    assert!(kinds.contains(&(RecordKind::ListingHead, 0)), "{kinds:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Whatever order the records arrive in, the listing state is the same.
    #[test]
    fn listing_state_is_order_independent(order in Just(()).prop_perturb(|_, mut rng| {
        let mut v: Vec<usize> = (0..8).collect();
        for i in (1..v.len()).rev() {
            let j = (rng.next_u32() as usize) % (i + 1);
            v.swap(i, j);
        }
        v
    })) {
        let mut r = Issuer::new(78, T0);
        let mut recs = r.genesis();
        for (n, name) in ["A", "B", "C"].iter().enumerate() {
            r.now = r.now.plus(60);
            recs.push(r.list(&format!("https://{n}.example"), name));
        }
        r.now = r.now.plus(60);
        recs.push(r.delist("https://1.example"));
        recs.push(r.listing_head());
        let mut in_order = following(&mut r);
        apply(&mut in_order, &recs);
        let mut shuffled = following(&mut r);
        let mut reordered: Vec<SignedRecord> = order.iter().filter_map(|&i| recs.get(i).cloned()).collect();
        reordered.extend(recs.iter().skip(8).cloned());
        apply(&mut shuffled, &reordered);
        prop_assert_eq!(in_order.fingerprint(), shuffled.fingerprint());
        let id = r.inner().id();
        let entries = |reg: &Registry| {
            let mut v: Vec<(String, ListingState)> = reg.issuer(&id).map(|s| s.listings().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default();
            v.sort_by(|a, b| a.0.cmp(&b.0));
            v
        };
        prop_assert_eq!(entries(&in_order), entries(&shuffled));
    }
}

#[test]
fn a_followed_registry_is_not_held_to_the_quota_of_unfollowed_issuers() {
    let mut r = Issuer::new(79, T0);
    let mut recs = r.genesis();
    for n in 0..6 {
        r.now = r.now.plus(1);
        recs.push(r.list(&format!("https://{n}.example"), "Some College"));
    }
    let policy = Policy {
        max_records_per_issuer: 4,
        ..Policy::default()
    };
    let mut capped = Registry::with_policy(policy.clone());
    capped.follow_registry(r.inner().id());
    assert!(
        apply(&mut capped, &recs)
            .iter()
            .all(|o| *o == Outcome::Accepted)
    );
    // An issuer that is neither followed nor a followed registry is capped.
    let mut other = Issuer::new(80, T0);
    let mut spam = other.genesis();
    for n in 0..6 {
        spam.push(other.revoke(&[n]));
    }
    let outcomes = apply(&mut capped, &spam);
    assert!(
        outcomes.contains(&Outcome::Rejected(Rejection::OverQuota)),
        "{outcomes:?}"
    );
}
