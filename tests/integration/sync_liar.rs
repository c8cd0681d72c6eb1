//! Sync does not trust the other side: peers that answer sync with garbage,
//! with an oversized response, with records that were not asked for, or that
//! never answer, neither stall the node's sync with an honest peer nor get
//! anything stored, and the liars are penalised.

use std::sync::atomic::Ordering;
use std::time::Duration;

use badgemesh_node::network::PeerInfo;
use badgemesh_protocol::envelope::RecordKind;
use badgemesh_protocol::testkit::Issuer;
use badgemesh_simulations::liar::{self, Lie};
use badgemesh_tests::{TestNode, post_bytes, wait_until};

const LIMIT: Duration = Duration::from_secs(30);
/// Less than the 20 s a silent peer's request takes to time out: a round
/// with the honest peer that waited behind it would not finish in time.
const HONEST_ROUND: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liars_in_sync_are_penalised_and_do_not_stall_an_honest_round() {
    let source = TestNode::start(vec![]).await;
    let mut issuer = Issuer::new(77, badgemesh_tests::now());
    let mut records = issuer.genesis();
    for k in 0..20 {
        records.push(issuer.revoke(&[k]));
    }
    for rec in &records {
        let r = post_bytes(
            source.url("/v1/admin/records"),
            Some(source.node().token().to_owned()),
            rec.bytes().to_vec(),
        )
        .await;
        assert_eq!(r.json["outcome"], "accepted");
    }
    let target = TestNode::start(vec![]).await;
    let core = target.node().core().clone();
    let addr = target.addrs()[0].clone();
    let now = badgemesh_tests::now();
    let mut liars = Vec::new();
    for lie in [Lie::Silent, Lie::Garbage, Lie::Oversized, Lie::Unasked] {
        let (peer, seen, task) = liar::spawn(vec![addr.clone()], lie, now).expect("liar");
        liars.push((lie, peer.to_string(), seen, task));
    }
    // Every liar is in a round with the target (the silent one stays there).
    for (lie, _, seen, _) in &liars {
        wait_until(&format!("a round with the {lie:?} liar"), LIMIT, || async {
            seen.load(Ordering::Relaxed) > 0
        })
        .await;
    }
    core.client
        .dial(source.addrs()[0].clone())
        .await
        .expect("dial");
    // Heads replace each other and are not "known" ids: the rest must arrive.
    let ids: Vec<_> = records
        .iter()
        .filter(|r| r.kind() != RecordKind::Head)
        .map(|r| r.id())
        .collect();
    let took = wait_until(
        "the honest round to store everything",
        HONEST_ROUND,
        || async { core.ledger.read(|r| ids.iter().all(|id| r.knows(id))) },
    )
    .await;
    println!("honest round done {took:?} after dialing, with a silent peer's round open");

    let find = |peers: Vec<PeerInfo>, id: &str| peers.into_iter().find(|p| p.peer_id == id);
    for (lie, peer, _, _) in liars.iter().filter(|l| l.0 != Lie::Silent) {
        wait_until(&format!("the {lie:?} liar penalised"), LIMIT, || async {
            find(core.client.peers().await.unwrap_or_default(), peer)
                .is_some_and(|p| p.bad_sync_responses > 0)
        })
        .await;
    }
    let peers = core.client.peers().await.expect("peers");
    let silent = find(peers, &liars[0].1).expect("the silent liar is connected");
    assert_eq!(
        silent.bad_sync_responses, 0,
        "slow is not malicious: {silent:?}"
    );
    // Nothing the liars held was stored: only the honest issuer is known.
    let known: Vec<_> = core.ledger.read(|r| r.issuers().map(|s| s.id()).collect());
    assert_eq!(known, vec![issuer.inner().id()]);
    for (_, _, _, task) in liars {
        task.abort();
    }
}

/// A peer that nudges without pause gets at most one round per
/// `NUDGE_INTERVAL` out of its nudges: before, each nudge the rate limit let
/// through started a round, and the node ran rounds with it back to back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_nudging_without_pause_gets_a_round_per_interval() {
    use std::sync::Arc;
    use std::sync::atomic::AtomicU64;

    use badgemesh_node::network::NUDGE_INTERVAL;

    let target = TestNode::start(vec![]).await;
    let addr = target.addrs()[0].clone();
    let sent = Arc::new(AtomicU64::new(0));
    let (_, seen, task) = liar::spawn_counting(
        vec![addr],
        Lie::Nudges,
        badgemesh_tests::now(),
        sent.clone(),
    )
    .expect("nudger");
    // The round on connecting fetches the nudger's two issuers whole.
    wait_until("the first round with the nudger", LIMIT, || async {
        seen.load(Ordering::Relaxed) > 0
    })
    .await;
    let (rounds, requests) = (
        target
            .node()
            .core()
            .metrics
            .value("badgemesh_sync_rounds_total"),
        seen.load(Ordering::Relaxed),
    );
    let nudges = sent.load(Ordering::Relaxed);
    let took = wait_until("1,000 more nudges answered", LIMIT, || async {
        sent.load(Ordering::Relaxed) >= nudges + 1_000
    })
    .await;
    let rounds = target
        .node()
        .core()
        .metrics
        .value("badgemesh_sync_rounds_total")
        - rounds;
    let requests = seen.load(Ordering::Relaxed) - requests;
    // Nudges start at most one round per interval (and one may be running
    // as the window opens); the periodic round (every 2 s in tests) adds
    // its own. A round with a peer holding nothing new is one request.
    let periods = took.as_secs_f64() / NUDGE_INTERVAL.as_secs_f64();
    let most = periods.ceil() + 1.0 + (took.as_secs_f64() / 2.0).ceil() + 1.0;
    println!("1,000 nudges in {took:?}: {rounds} rounds, {requests} requests to the nudger");
    assert!(
        rounds <= most,
        "{rounds} rounds in {took:?} from 1,000 nudges (at most {most})"
    );
    assert!(
        (requests as f64) <= 2.0 * most,
        "{requests} requests to the nudger in {took:?} (at most {})",
        2.0 * most
    );
    task.abort();
}
