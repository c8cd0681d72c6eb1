//! The issuer state machine: rules, gaps, equivocation, and order independence.

use badgemesh_protocol::envelope::RecordKind;
use badgemesh_protocol::keys::{IssuerId, SecretKey};
use badgemesh_protocol::record::{KeyEvent, Record, SignedRecord};
use badgemesh_protocol::state::{Gap, Outcome, Registry, Rejection};
use badgemesh_protocol::testkit::{Issuer, seed};
use badgemesh_protocol::time::Timestamp;
use proptest::prelude::*;

const T0: Timestamp = Timestamp(1_800_000_000);
const LATER: Timestamp = Timestamp(1_900_000_000);

fn apply_all(reg: &mut Registry, recs: &[SignedRecord]) -> Vec<Outcome> {
    recs.iter()
        .map(|r| reg.apply(r.clone(), LATER).outcome)
        .collect()
}

/// A realistic history: genesis, badge classes, revocations, a rotation, more
/// records with the new key, and a newer profile and head.
fn history(n_issuer: u64, revocations: usize, rotate_at: usize) -> Vec<SignedRecord> {
    let mut i = Issuer::new(n_issuer, T0);
    let mut out = i.genesis();
    let (b, _) = i.badge_class("Teamwork");
    out.push(b);
    for k in 0..revocations {
        i.now = i.now.plus(60);
        if k == rotate_at {
            out.push(i.rotate());
            i.now = i.now.plus(1);
        }
        out.push(i.revoke(&[k as u32 * 3, k as u32 * 3 + 1]));
    }
    i.now = i.now.plus(60);
    let (b2, _) = i.badge_class("Leadership");
    out.push(b2);
    out.push(i.profile("Example Academy (renamed)"));
    out.push(i.head());
    out
}

#[test]
fn in_order_history_is_all_accepted() {
    let recs = history(1, 5, 2);
    let mut reg = Registry::new();
    for (r, o) in recs.iter().zip(apply_all(&mut reg, &recs)) {
        assert_eq!(o, Outcome::Accepted, "{:?}", r.kind());
    }
    let id = recs[0].record().issuer();
    let s = reg.issuer(&id).expect("issuer known");
    assert_eq!(s.freshness().seq, 5);
    assert_eq!(s.revoked_count(), 10);
    assert_eq!(s.keys().len(), 2);
    assert_eq!(
        s.profile().map(|p| p.name.as_str()),
        Some("Example Academy (renamed)")
    );
    assert!(!s.has_equivocated());
    assert_eq!(reg.pending_len(), 0);
}

#[test]
fn replaying_any_record_is_a_duplicate() {
    let recs = history(1, 3, 1);
    let mut reg = Registry::new();
    apply_all(&mut reg, &recs);
    let before = reg.fingerprint();
    for r in &recs {
        let o = reg.apply(r.clone(), LATER).outcome;
        if r.kind() == RecordKind::Head && r.id() != recs[recs.len() - 1].id() {
            // The genesis head was superseded by the last one.
            assert_eq!(o, Outcome::Stale { current: 3 });
        } else {
            assert_eq!(o, Outcome::Duplicate, "{:?}", r.kind());
        }
    }
    assert_eq!(reg.fingerprint(), before);
}

#[test]
fn a_gap_is_held_then_filled() {
    let mut i = Issuer::new(2, T0);
    let genesis = i.genesis();
    let r1 = i.revoke(&[1]);
    let r2 = i.revoke(&[2]);
    let r3 = i.revoke(&[3]);
    let mut reg = Registry::new();
    apply_all(&mut reg, &genesis);
    assert_eq!(reg.apply(r1, LATER).outcome, Outcome::Accepted);
    let issuer = i.inner().id();
    assert_eq!(
        reg.apply(r3.clone(), LATER).outcome,
        Outcome::Pending(Gap::MissingRevocation { issuer, seq: 2 })
    );
    assert_eq!(reg.issuer(&issuer).map(|s| s.freshness().seq), Some(1));
    assert!(
        reg.issuer(&issuer).and_then(|s| s.revoked(3)).is_none(),
        "applied out of order"
    );
    let report = reg.apply(r2, LATER);
    assert_eq!(report.outcome, Outcome::Accepted);
    assert_eq!(report.released.len(), 1);
    assert_eq!(report.released[0].0.id(), r3.id());
    assert_eq!(report.released[0].1, Outcome::Accepted);
    assert_eq!(reg.issuer(&issuer).map(|s| s.freshness().seq), Some(3));
}

#[test]
fn records_before_their_issuer_wait_for_it() {
    let mut i = Issuer::new(3, T0);
    let genesis = i.genesis();
    let (badge, _) = i.badge_class("Early");
    let mut reg = Registry::new();
    let issuer = i.inner().id();
    assert_eq!(
        reg.apply(badge.clone(), LATER).outcome,
        Outcome::Pending(Gap::UnknownIssuer(issuer))
    );
    let report = reg.apply(genesis[0].clone(), LATER);
    assert_eq!(report.outcome, Outcome::Accepted);
    assert_eq!(report.released.len(), 1);
    assert!(reg.badge_class(&badge.id()).is_some());
}

#[test]
fn stale_profile_and_head_do_not_replace_newer_ones() {
    let mut i = Issuer::new(4, T0);
    let inception = i.inception();
    let p1 = i.profile("First");
    let h1 = i.head();
    i.now = i.now.plus(10);
    let p2 = i.profile("Second");
    let h2 = i.head();
    let mut reg = Registry::new();
    apply_all(&mut reg, &[inception, p2, h2]);
    assert_eq!(reg.apply(p1, LATER).outcome, Outcome::Stale { current: 2 });
    assert_eq!(reg.apply(h1, LATER).outcome, Outcome::Stale { current: 0 });
    let s = reg.issuer(&i.inner().id()).expect("known");
    assert_eq!(s.profile().map(|p| p.name.as_str()), Some("Second"));
    assert_eq!(s.head().map(|h| h.at), Some(i.now));
}

#[test]
fn a_thief_of_the_current_key_cannot_rotate() {
    let mut i = Issuer::new(5, T0);
    let genesis = i.genesis();
    let mut reg = Registry::new();
    apply_all(&mut reg, &genesis);
    // The thief holds the current key and signs a rotation to its own key: it
    // must be signed by the key it introduces, which the commitment rules out.
    let thief = SecretKey::from_seed(&seed("thief", 1)).expect("strong");
    let event = KeyEvent {
        issuer: i.inner().id(),
        seq: 1,
        prev: Some(genesis[0].id()),
        key: *thief.public(),
        next_key_digest: thief.public().digest(),
        at: T0.plus(5),
    };
    let forged =
        SignedRecord::sign(Record::KeyEvent(Box::new(event)), &thief).expect("well-formed");
    assert_eq!(
        reg.apply(forged, LATER).outcome,
        Outcome::Rejected(Rejection::PreRotationMismatch)
    );
    // The owner's pre-rotated key works.
    i.now = T0.plus(5);
    assert_eq!(reg.apply(i.rotate(), LATER).outcome, Outcome::Accepted);
}

#[test]
fn old_key_cannot_sign_after_rotation() {
    let mut i = Issuer::new(6, T0);
    let genesis = i.genesis();
    let mut stolen = i.clone();
    i.now = T0.plus(100);
    let rotation = i.rotate();
    let mut reg = Registry::new();
    apply_all(&mut reg, &genesis);
    reg.apply(rotation, LATER);
    stolen.now = T0.plus(200);
    let (late_badge, _) = stolen.badge_class("Signed with the old key after rotation");
    assert_eq!(
        reg.apply(late_badge, LATER).outcome,
        Outcome::Rejected(Rejection::KeyNotValidAt(T0.plus(200)))
    );
    stolen.now = T0.plus(50);
    let (early_badge, _) = stolen.badge_class("Signed with the old key before rotation");
    assert_eq!(reg.apply(early_badge, LATER).outcome, Outcome::Accepted);
}

#[test]
fn other_issuers_keys_and_unknown_keys() {
    let mut a = Issuer::new(7, T0);
    let mut b = Issuer::new(8, T0);
    let mut reg = Registry::new();
    apply_all(&mut reg, &a.genesis());
    apply_all(&mut reg, &b.genesis());
    // b's key signs a badge class that claims to be a's.
    let (mut badge_rec, _) = a.badge_class("Claimed");
    let Record::BadgeClass(mut badge) = badge_rec.record().clone() else {
        unreachable!()
    };
    badge.issuer = a.inner().id();
    badge_rec =
        SignedRecord::sign(Record::BadgeClass(badge.clone()), b.inner().current_key()).expect("ok");
    assert_eq!(
        reg.apply(badge_rec, LATER).outcome,
        Outcome::Rejected(Rejection::KeyOfOtherIssuer)
    );
    // A key nobody knows: held (it could be a rotation not seen yet), never accepted.
    let stranger = SecretKey::from_seed(&seed("stranger", 1)).expect("strong");
    let rec = SignedRecord::sign(Record::BadgeClass(badge), &stranger).expect("ok");
    assert_eq!(
        reg.apply(rec, LATER).outcome,
        Outcome::Pending(Gap::UnknownKey(a.inner().id()))
    );
    assert!(
        reg.issuer(&a.inner().id())
            .is_some_and(|s| s.badge_classes().is_empty())
    );
}

#[test]
fn records_from_the_future_are_rejected() {
    let mut i = Issuer::new(9, T0);
    let genesis = i.genesis();
    let mut reg = Registry::new();
    for r in genesis {
        assert_eq!(reg.apply(r, T0).outcome, Outcome::Accepted);
    }
    i.now = T0.plus(3600);
    let head = i.head();
    assert!(matches!(
        reg.apply(head, T0).outcome,
        Outcome::Rejected(Rejection::FromFuture { .. })
    ));
}

#[test]
fn revocation_equivocation_is_proved_and_fail_safe() {
    let mut i = Issuer::new(10, T0);
    let genesis = i.genesis();
    let r1 = i.revoke(&[1]);
    let mut fork = i.clone();
    let a = i.revoke(&[2]);
    let b = fork.revoke(&[3]);
    let mut reg = Registry::new();
    apply_all(&mut reg, &genesis);
    reg.apply(r1, LATER);
    assert_eq!(reg.apply(a.clone(), LATER).outcome, Outcome::Accepted);
    let Outcome::Equivocation(proof) = reg.apply(b.clone(), LATER).outcome else {
        panic!("conflict not detected")
    };
    assert_eq!(proof.kind, RecordKind::RevocationUpdate);
    assert_eq!(proof.seq, 2);
    let mut ids = [a.id(), b.id()];
    ids.sort();
    assert_eq!(proof.ids(), (ids[0], ids[1]));
    let s = reg.issuer(&i.inner().id()).expect("known");
    assert!(
        s.revoked(2).is_some() && s.revoked(3).is_some(),
        "revoked in either branch"
    );
    assert!(s.has_equivocated());
    // Later records cannot erase the evidence.
    reg.apply(i.revoke(&[4]), LATER);
    reg.apply(i.head(), LATER);
    assert_eq!(
        reg.issuer(&i.inner().id())
            .map(|s| s.equivocations().count()),
        Some(1)
    );
}

fn shuffled(recs: &[SignedRecord], order: &[usize]) -> Vec<SignedRecord> {
    let mut keyed: Vec<(usize, &SignedRecord)> = order.iter().copied().zip(recs).collect();
    keyed.sort_by_key(|(k, _)| *k);
    keyed.into_iter().map(|(_, r)| r.clone()).collect()
}

fn issuer_of(recs: &[SignedRecord]) -> IssuerId {
    recs[0].record().issuer()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_order_gives_the_same_state(
        revocations in 1usize..8,
        rotate_at in 0usize..8,
        order in proptest::collection::vec(any::<usize>(), 32),
    ) {
        let recs = history(11, revocations, rotate_at);
        let mut expected = Registry::new();
        apply_all(&mut expected, &recs);
        let mut reg = Registry::new();
        apply_all(&mut reg, &shuffled(&recs, &order));
        prop_assert_eq!(reg.fingerprint(), expected.fingerprint());
        prop_assert_eq!(reg.pending_len(), 0);
    }

    #[test]
    fn sequence_numbers_never_go_backwards(
        order in proptest::collection::vec(any::<usize>(), 32),
    ) {
        let recs = history(12, 6, 3);
        let issuer = issuer_of(&recs);
        let mut reg = Registry::new();
        let (mut rev, mut prof, mut keys) = (0, 0, 0);
        for r in shuffled(&recs, &order) {
            reg.apply(r, LATER);
            if let Some(s) = reg.issuer(&issuer) {
                let sum = s.summary();
                prop_assert!(sum.revocation_seq() >= rev && sum.profile_seq() >= prof && sum.key_seq() >= keys);
                (rev, prof, keys) = (sum.revocation_seq(), sum.profile_seq(), sum.key_seq());
            }
        }
    }

    #[test]
    fn equivocation_is_detected_in_any_order(
        fork_at in 1usize..5,
        order in proptest::collection::vec(any::<usize>(), 32),
    ) {
        let mut i = Issuer::new(13, T0);
        let mut recs = i.genesis();
        for k in 0..fork_at {
            recs.push(i.revoke(&[k as u32]));
        }
        let mut fork = i.clone();
        let a = i.revoke(&[100]);
        let b = fork.revoke(&[200]);
        recs.push(a.clone());
        recs.push(b.clone());
        // Each branch continues.
        recs.push(i.revoke(&[101]));
        recs.push(fork.revoke(&[201]));
        let mut reg = Registry::new();
        apply_all(&mut reg, &shuffled(&recs, &order));
        let s = reg.issuer(&i.inner().id()).expect("known");
        let mut pair = [a.id(), b.id()];
        pair.sort();
        prop_assert!(s.fingerprint().equivocations.contains(&(pair[0], pair[1])));
        for index in [100, 101, 200, 201] {
            prop_assert!(s.revoked(index).is_some(), "index {} not revoked", index);
        }
        prop_assert_eq!(reg.pending_len(), 0);
    }
}

#[test]
fn unfollowed_issuers_are_bounded_and_followed_ones_are_not() {
    use badgemesh_protocol::state::Policy;
    let mut spammer = Issuer::new(31, T0);
    let mut friend = Issuer::new(32, T0);
    let policy = Policy {
        follow: [friend.inner().id()].into_iter().collect(),
        max_records_per_issuer: 4,
        max_issuers: 1,
        ..Policy::default()
    };
    let mut reg = Registry::with_policy(policy);
    apply_all(&mut reg, &spammer.genesis()); // 2 records counted (heads are not)
    for n in 0..2 {
        let (b, _) = spammer.badge_class(&format!("Spam {n}"));
        assert_eq!(reg.apply(b, LATER).outcome, Outcome::Accepted);
    }
    let (over, _) = spammer.badge_class("One too many");
    assert_eq!(
        reg.apply(over, LATER).outcome,
        Outcome::Rejected(Rejection::OverQuota)
    );
    // A head still refreshes freshness: it replaces, it does not accumulate.
    spammer.now = T0.plus(5);
    assert_eq!(reg.apply(spammer.head(), LATER).outcome, Outcome::Accepted);
    // A second unfollowed issuer is refused; a followed one is not.
    let stranger = Issuer::new(33, T0);
    assert_eq!(
        reg.apply(stranger.inception(), LATER).outcome,
        Outcome::Rejected(Rejection::OverQuota)
    );
    apply_all(&mut reg, &friend.genesis());
    for n in 0..10 {
        let (b, _) = friend.badge_class(&format!("Friend {n}"));
        assert_eq!(reg.apply(b, LATER).outcome, Outcome::Accepted);
    }
}

#[test]
fn a_spam_issuer_cannot_exceed_its_byte_quota_nor_spammers_the_total() {
    use badgemesh_protocol::state::Policy;
    let mut friend = Issuer::new(34, T0);
    let policy = Policy {
        follow: [friend.inner().id()].into_iter().collect(),
        max_bytes_per_issuer: 8 * 1024,
        max_bytes_unfollowed: 20 * 1024,
        ..Policy::default()
    };
    let mut reg = Registry::with_policy(policy);
    let mut spammers: Vec<Issuer> = (0..4).map(|n| Issuer::new(40 + n, T0)).collect();
    for (k, spammer) in spammers.iter_mut().enumerate() {
        let (mut accepted, mut refused) = (0u64, 0);
        for r in spammer.genesis() {
            reg.apply(r, LATER);
        }
        for n in 0..200 {
            let (b, _) = spammer.badge_class(&format!("Spam {n} {}", "x".repeat(200)));
            let size = b.bytes().len() as u64;
            match reg.apply(b, LATER).outcome {
                Outcome::Accepted => accepted += size,
                Outcome::Rejected(Rejection::OverQuota) => refused += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(refused > 0, "spammer {k} was stopped");
        assert!(accepted <= 8 * 1024, "spammer {k} stored {accepted} bytes");
    }
    assert!(
        reg.unfollowed_bytes() <= 20 * 1024,
        "all spammers together: {} bytes",
        reg.unfollowed_bytes()
    );
    assert!(reg.is_over_quota(&spammers[0].inner().id()));
    // A followed issuer is not limited by bytes either.
    apply_all(&mut reg, &friend.genesis());
    for n in 0..200 {
        let (b, _) = friend.badge_class(&format!("Friend {n} {}", "x".repeat(200)));
        assert_eq!(reg.apply(b, LATER).outcome, Outcome::Accepted);
    }
    assert!(!reg.is_over_quota(&friend.inner().id()));
}

/// Records that claim issuer X but are signed by fresh keys could once fill
/// X's 256 pending slots, after which X's own out-of-order records were
/// refused (and the peers that forwarded them punished).
#[test]
fn forged_claims_cannot_take_a_genuine_issuers_pending_slots() {
    let mut x = Issuer::new(50, T0);
    let mut reg = Registry::new();
    apply_all(&mut reg, &x.genesis());
    let (template, _) = x.badge_class("Claimed");
    let Record::BadgeClass(badge) = template.record().clone() else {
        unreachable!()
    };
    for n in 0..1_000 {
        let key = SecretKey::from_seed(&seed("poison", n)).expect("strong");
        let mut claimed = badge.clone();
        claimed.name = format!("Forged {n}");
        let rec = SignedRecord::sign(Record::BadgeClass(claimed), &key).expect("ok");
        let outcome = reg.apply(rec, LATER).outcome;
        assert!(
            matches!(
                outcome,
                Outcome::Pending(_) | Outcome::Rejected(Rejection::PendingFull)
            ),
            "{outcome:?}"
        );
    }
    // X's genuine updates, out of order: each waits for its predecessor.
    x.now = x.now.plus(60);
    let updates: Vec<_> = (0..250).map(|n| x.revoke(&[n])).collect();
    for (seq, u) in updates.iter().enumerate().skip(1) {
        assert_eq!(
            reg.apply(u.clone(), LATER).outcome,
            Outcome::Pending(Gap::MissingRevocation {
                issuer: x.inner().id(),
                seq: seq as u64,
            }),
            "genuine update {} was refused",
            seq + 1
        );
    }
    // A record signed by X's pre-rotated key before the rotation arrives.
    let mut rotated = x.clone();
    let rotation = rotated.rotate();
    rotated.now = rotated.now.plus(1);
    let (after, _) = rotated.badge_class("After the rotation");
    assert_eq!(
        reg.apply(after.clone(), LATER).outcome,
        Outcome::Pending(Gap::UnknownKey(x.inner().id()))
    );
    // The first update releases the others that fit; the rotation the badge.
    let report = reg.apply(updates[0].clone(), LATER);
    assert_eq!(report.outcome, Outcome::Accepted);
    assert_eq!(report.released.len(), 249);
    assert_eq!(reg.apply(rotation, LATER).outcome, Outcome::Accepted);
    assert!(reg.knows(&after.id()));
}
