//! Revocation checkpoints: a newcomer starts from one, every node forgets
//! what one covers, and a checkpoint that contradicts what the issuer signed
//! elsewhere is an equivocation, proven and fail safe, in either order.

use badgemesh_protocol::envelope::RecordKind;
use badgemesh_protocol::id::RecordId;
use badgemesh_protocol::record::{Record, RevocationCheckpoint, SignedRecord};
use badgemesh_protocol::state::{Outcome, Registry, Rejection};
use badgemesh_protocol::testkit::Issuer;
use badgemesh_protocol::time::Timestamp;
use proptest::prelude::*;

const T0: Timestamp = Timestamp(1_800_000_000);
const LATER: Timestamp = Timestamp(1_900_000_000);

/// Status indices spread over several checkpoint parts.
fn index(k: u64) -> u32 {
    (k as u32).wrapping_mul(262_147) % (1 << 24)
}

struct History {
    issuer: Issuer,
    genesis: Vec<SignedRecord>,
    /// Updates 1..=covered.
    covered: Vec<SignedRecord>,
    checkpoint: Vec<SignedRecord>,
    /// Updates after the checkpoint.
    tail: Vec<SignedRecord>,
    revoked: Vec<u32>,
}

fn history(n: u64, covered: u64, tail: u64) -> History {
    let mut issuer = Issuer::new(n, T0);
    let genesis = issuer.genesis();
    let mut revoked = Vec::new();
    let mut updates = Vec::new();
    for k in 0..covered {
        issuer.now = issuer.now.plus(10);
        revoked.push(index(k));
        updates.push(issuer.revoke(&[index(k)]));
    }
    issuer.now = issuer.now.plus(10);
    let checkpoint = issuer.checkpoint(&revoked);
    let mut after = Vec::new();
    for k in covered..covered + tail {
        issuer.now = issuer.now.plus(10);
        revoked.push(index(k));
        after.push(issuer.revoke(&[index(k)]));
    }
    History {
        issuer,
        genesis,
        covered: updates,
        checkpoint,
        tail: after,
        revoked,
    }
}

fn apply_all<'a>(reg: &mut Registry, recs: impl IntoIterator<Item = &'a SignedRecord>) {
    for r in recs {
        reg.apply(r.clone(), LATER);
    }
}

/// Signs a checkpoint part as the issuer, whatever it says.
fn forge(issuer: &mut Issuer, c: RevocationCheckpoint) -> SignedRecord {
    SignedRecord::sign(
        Record::RevocationCheckpoint(c),
        issuer.inner().current_key(),
    )
    .expect("well formed")
}

fn part_with(
    issuer: &mut Issuer,
    seq: u64,
    latest: RecordId,
    indices: &[u32],
) -> Vec<SignedRecord> {
    let set = indices.iter().copied().collect();
    let id = issuer.inner().id();
    let at = issuer.now;
    RevocationCheckpoint::split(id, seq, latest, at, &set)
        .into_iter()
        .map(|c| forge(issuer, c))
        .collect()
}

#[test]
fn a_newcomer_starts_from_the_checkpoint_and_the_tail() {
    let h = history(1, 40, 5);
    assert!(h.checkpoint.len() > 1, "the set spans several parts");
    let mut full = Registry::new();
    apply_all(&mut full, &h.genesis);
    apply_all(&mut full, &h.covered);
    let mut forgotten = Vec::new();
    for p in &h.checkpoint {
        let report = full.apply(p.clone(), LATER);
        assert_eq!(report.outcome, Outcome::Accepted);
        forgotten.extend(report.forgotten.iter().map(|r| r.id()));
    }
    apply_all(&mut full, &h.tail);
    // The part that completed the checkpoint forgot the 40 updates it covers.
    let covered: Vec<RecordId> = h.covered.iter().map(SignedRecord::id).collect();
    assert_eq!(forgotten, covered);
    // Their ids are forgotten too (memory does not grow with history): one
    // that comes again is checked against the checkpoint and not kept.
    assert!(!full.knows(&covered[3]));
    assert_eq!(
        full.apply(h.covered[3].clone(), LATER).outcome,
        Outcome::Stale { current: 40 }
    );

    let mut newcomer = Registry::new();
    apply_all(&mut newcomer, &h.genesis);
    apply_all(&mut newcomer, &h.checkpoint);
    for u in &h.tail {
        assert_eq!(newcomer.apply(u.clone(), LATER).outcome, Outcome::Accepted);
    }
    let id = h.genesis[0].record().issuer();
    assert_eq!(newcomer.fingerprint(), full.fingerprint());
    let s = newcomer.issuer(&id).expect("known");
    assert_eq!(s.freshness().seq, 45);
    assert_eq!(
        s.fingerprint().revocations.len(),
        5,
        "only the tail is held"
    );
    let mut expected = h.revoked.clone();
    expected.sort_unstable();
    assert_eq!(s.revoked_indices().collect::<Vec<_>>(), expected);
    // An index the checkpoint covers is revoked as of its update.
    let entry = s.revoked(index(3)).expect("revoked");
    assert_eq!((entry.seq, entry.update), (40, covered[39]));
    // A covered update that comes late adds nothing and is not kept.
    assert_eq!(
        newcomer.apply(h.covered[7].clone(), LATER).outcome,
        Outcome::Stale { current: 40 }
    );
    assert_eq!(newcomer.fingerprint(), full.fingerprint());
    assert_eq!(newcomer.pending_len(), 0);
}

#[test]
fn a_tail_that_comes_before_its_checkpoint_waits_for_it() {
    let h = history(2, 10, 3);
    let mut reg = Registry::new();
    apply_all(&mut reg, &h.genesis);
    apply_all(&mut reg, &h.tail);
    assert_eq!(reg.pending_len(), 3);
    apply_all(&mut reg, &h.checkpoint);
    assert_eq!(reg.pending_len(), 0);
    let id = h.genesis[0].record().issuer();
    assert_eq!(reg.issuer(&id).expect("known").freshness().seq, 13);
}

#[test]
fn an_incomplete_checkpoint_revokes_but_is_not_continued() {
    let h = history(3, 20, 1);
    let mut reg = Registry::new();
    apply_all(&mut reg, &h.genesis);
    apply_all(&mut reg, &h.checkpoint[..1]);
    apply_all(&mut reg, &h.tail);
    let id = h.genesis[0].record().issuer();
    let s = reg.issuer(&id).expect("known");
    // Fail safe: what a signed part revokes is revoked at once, but the
    // node does not claim to be up to date until it holds every part.
    assert!(s.revoked(index(0)).is_some());
    assert_eq!(s.freshness().seq, 0);
    assert_eq!(reg.pending_len(), 1);
}

#[test]
fn two_checkpoints_of_one_update_are_an_equivocation() {
    let mut h = history(4, 5, 0);
    let latest = h.covered[4].id();
    let mut reg = Registry::new();
    apply_all(&mut reg, &h.genesis);
    apply_all(&mut reg, &h.checkpoint);
    let mut more = h.revoked.clone();
    more.push(99);
    let other = part_with(&mut h.issuer, 5, latest, &more);
    let outcome = reg.apply(other[0].clone(), LATER).outcome;
    let Outcome::Equivocation(proof) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(proof.kind, RecordKind::RevocationCheckpoint);
    assert!(
        reg.issuer(&proof.issuer)
            .expect("known")
            .revoked(99)
            .is_some()
    );
}

#[test]
fn a_checkpoint_naming_another_update_is_an_equivocation_in_either_order() {
    let mut h = history(5, 6, 0);
    let wrong = RecordId::of(b"not update 6");
    let forged = part_with(&mut h.issuer, 6, wrong, &h.revoked.clone());
    for checkpoint_first in [false, true] {
        let mut reg = Registry::new();
        apply_all(&mut reg, &h.genesis);
        let (first, second): (Vec<_>, Vec<_>) = if checkpoint_first {
            (forged.clone(), h.covered.clone())
        } else {
            (h.covered.clone(), forged.clone())
        };
        apply_all(&mut reg, &first);
        let outcomes: Vec<Outcome> = second
            .iter()
            .map(|r| reg.apply(r.clone(), LATER).outcome)
            .collect();
        assert!(
            outcomes
                .iter()
                .any(|o| matches!(o, Outcome::Equivocation(_))),
            "checkpoint first: {checkpoint_first}: {outcomes:?}"
        );
        let id = h.genesis[0].record().issuer();
        assert!(reg.issuer(&id).expect("known").has_equivocated());
    }
}

#[test]
fn a_checkpoint_that_leaves_out_a_revocation_is_an_equivocation_and_it_stays_revoked() {
    let mut h = history(6, 8, 0);
    let latest = h.covered[7].id();
    let hidden = h.revoked[2];
    let rest: Vec<u32> = h.revoked.iter().copied().filter(|i| *i != hidden).collect();
    let forged = part_with(&mut h.issuer, 8, latest, &rest);
    for checkpoint_first in [false, true] {
        let mut reg = Registry::new();
        apply_all(&mut reg, &h.genesis);
        if checkpoint_first {
            apply_all(&mut reg, &forged);
            apply_all(&mut reg, &h.covered);
        } else {
            apply_all(&mut reg, &h.covered);
            apply_all(&mut reg, &forged);
        }
        let id = h.genesis[0].record().issuer();
        let s = reg.issuer(&id).expect("known");
        assert!(s.has_equivocated(), "checkpoint first: {checkpoint_first}");
        assert!(s.revoked(hidden).is_some(), "fail safe");
        // The update that proves it is kept, whatever the checkpoint covers.
        assert!(
            s.fingerprint().revocations.contains(&h.covered[2].id()),
            "checkpoint first: {checkpoint_first}"
        );
    }
}

#[test]
fn a_later_checkpoint_that_unrevokes_is_an_equivocation() {
    let mut h = history(7, 4, 2);
    let latest = h.tail[1].id();
    let mut reg = Registry::new();
    apply_all(&mut reg, &h.genesis);
    apply_all(&mut reg, &h.checkpoint);
    // Claims the state after update 6 without what update 1 revoked.
    let dropped = h.revoked[0];
    let rest: Vec<u32> = h
        .revoked
        .iter()
        .copied()
        .filter(|i| *i != dropped)
        .collect();
    let forged = part_with(&mut h.issuer, 6, latest, &rest);
    let outcomes: Vec<Outcome> = forged
        .iter()
        .map(|r| reg.apply(r.clone(), LATER).outcome)
        .collect();
    assert!(
        outcomes
            .iter()
            .any(|o| matches!(o, Outcome::Equivocation(_))),
        "{outcomes:?}"
    );
    let id = h.genesis[0].record().issuer();
    assert!(reg.issuer(&id).expect("known").revoked(dropped).is_some());
}

#[test]
fn an_update_after_the_checkpoint_naming_another_predecessor_is_an_equivocation() {
    let h = history(8, 3, 0);
    let mut fork = history(8, 2, 0).issuer;
    // The fork signed its own update 3, then 4 after it.
    fork.now = h.issuer.now.plus(5);
    let _other_third = fork.revoke(&[77]);
    let fourth = fork.revoke(&[78]);
    let mut reg = Registry::new();
    apply_all(&mut reg, &h.genesis);
    apply_all(&mut reg, &h.checkpoint);
    let outcome = reg.apply(fourth, LATER).outcome;
    assert!(matches!(outcome, Outcome::Equivocation(_)), "{outcome:?}");
    let id = h.genesis[0].record().issuer();
    assert!(reg.issuer(&id).expect("known").revoked(78).is_some());
}

/// A free key cannot make a node hold checkpoints without end: at most four
/// besides the latest complete one are held, and a part that completes a
/// checkpoint on its own is always taken.
#[test]
fn partial_checkpoints_held_are_bounded() {
    let mut h = history(21, 3, 0);
    let latest = h.covered[2].id();
    let mut reg = Registry::new();
    apply_all(&mut reg, &h.genesis);
    apply_all(&mut reg, &h.covered);
    let mut outcomes = Vec::new();
    for k in 0..6u64 {
        // Several parts each; only the first is sent. Each a new header
        // (its time).
        h.issuer.now = h.issuer.now.plus(1);
        let parts = part_with(&mut h.issuer, 3, latest, &[index(0), index(1), index(2)]);
        assert!(parts.len() > 1, "round {k}");
        outcomes.push(reg.apply(parts[0].clone(), LATER).outcome);
    }
    assert!(
        outcomes[..4]
            .iter()
            .all(|o| *o != Outcome::Rejected(Rejection::TooManyCheckpoints))
    );
    assert_eq!(
        outcomes[4],
        Outcome::Rejected(Rejection::TooManyCheckpoints)
    );
    assert_eq!(
        outcomes[5],
        Outcome::Rejected(Rejection::TooManyCheckpoints)
    );
    let id = h.genesis[0].record().issuer();
    assert_eq!(
        reg.issuer(&id)
            .expect("known")
            .fingerprint()
            .checkpoints
            .len(),
        4
    );
}

fn shuffled(recs: &[SignedRecord], order: &[usize]) -> Vec<SignedRecord> {
    let mut keyed: Vec<(usize, &SignedRecord)> = recs
        .iter()
        .enumerate()
        .map(|(i, r)| (order.get(i).copied().unwrap_or(i), r))
        .collect();
    keyed.sort_by_key(|(k, _)| *k);
    keyed.into_iter().map(|(_, r)| r.clone()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever the order, the same records give the same state: the same
    /// updates and parts held, the same revoked set, nothing left waiting.
    #[test]
    fn any_order_with_a_checkpoint_gives_the_same_state(
        covered in 1u64..12,
        tail in 0u64..6,
        order in proptest::collection::vec(any::<usize>(), 40),
    ) {
        let h = history(20, covered, tail);
        let all: Vec<SignedRecord> = h
            .genesis
            .iter()
            .chain(&h.covered)
            .chain(&h.checkpoint)
            .chain(&h.tail)
            .cloned()
            .collect();
        let mut expected = Registry::new();
        apply_all(&mut expected, &all);
        let mut reg = Registry::new();
        apply_all(&mut reg, &shuffled(&all, &order));
        prop_assert_eq!(reg.fingerprint(), expected.fingerprint());
        prop_assert_eq!(reg.pending_len(), 0);
        let id = h.genesis[0].record().issuer();
        let s = reg.issuer(&id).expect("known");
        prop_assert_eq!(s.freshness().seq, covered + tail);
        prop_assert_eq!(s.fingerprint().revocations.len() as u64, tail);
        prop_assert!(!s.has_equivocated());
    }
}
