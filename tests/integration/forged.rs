//! A raw libp2p peer that gossips a forged record, a replayed revocation and
//! garbage: honest nodes store and forward none of it, and score it down; a
//! peer that keeps flooding is graylisted at once and stays graylisted.

use std::time::{Duration, Instant};

use badgemesh_node::network::{GRAYLIST_THRESHOLD, PeerInfo};
use badgemesh_protocol::testkit::Issuer;
use badgemesh_simulations::attacker::{self, Pace};
use badgemesh_tests::{TestNode, post_bytes, wait_until};

const LIMIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_replayed_and_garbage_gossip_is_neither_stored_nor_forwarded() {
    let honest = TestNode::start(vec![]).await;
    let watcher = TestNode::start(honest.addrs()).await;
    let mut issuer = Issuer::new(99, badgemesh_tests::now());
    let mut records = issuer.genesis();
    records.push(issuer.revoke(&[1]));
    for rec in &records {
        let r = post_bytes(
            honest.url("/v1/admin/records"),
            Some(honest.node().token().to_owned()),
            rec.bytes().to_vec(),
        )
        .await;
        assert_eq!(r.json["outcome"], "accepted");
    }
    let replayed = records.last().expect("revocation").clone();
    let next = issuer.revoke(&[2]);
    let mut forged = next.bytes().to_vec();
    let last = forged.len() - 1;
    forged[last] ^= 0x01; // the signature no longer verifies
    let garbage = b"\xd2\x84garbage that is not an envelope".to_vec();

    let (attacker, task) = attacker::spawn(
        vec![honest.addrs()[0].clone()],
        vec![forged, replayed.bytes().to_vec(), garbage],
        Pace::Once,
    )
    .expect("attacker");
    let client = honest.node().core().client.clone();
    wait_until("the attacker's score to drop below zero", LIMIT, || async {
        client
            .peers()
            .await
            .unwrap_or_default()
            .iter()
            .any(|p| p.peer_id == attacker.to_string() && p.score.is_some_and(|s| s < 0.0))
    })
    .await;
    let score = client
        .peers()
        .await
        .expect("peers")
        .into_iter()
        .find(|p| p.peer_id == attacker.to_string())
        .and_then(|p| p.score);
    println!("attacker's score at the honest node: {score:?}");
    for n in [&honest, &watcher] {
        assert!(
            !n.node().core().ledger.read(|r| r.knows(&next.id())),
            "forged record stored"
        );
        let stored = n
            .node()
            .core()
            .ledger
            .store()
            .get(&next.id())
            .expect("store");
        assert!(stored.is_none());
    }
    // The messages go out in order and are validated in order, so the first
    // rejection is the forged record's (the replay is ignored, not rejected).
    // It graylists the attacker: the garbage after it may be dropped unread,
    // so only one rejection is certain.
    let metrics = honest.node().core().metrics.clone();
    wait_until("the forged record rejected", LIMIT, || {
        let m = metrics.clone();
        async move { m.value("badgemesh_gossip_messages_total{name=\"rejected\"}") >= 1.0 }
    })
    .await;
    // The genuine update still gets through afterwards.
    let r = post_bytes(
        honest.url("/v1/admin/records"),
        Some(honest.node().token().to_owned()),
        next.bytes().to_vec(),
    )
    .await;
    assert_eq!(r.json["outcome"], "accepted");
    task.abort();
}

/// Gossipsub's own penalty for invalid messages decays within seconds, and a
/// graylisted peer's messages are dropped unread, so without the node's
/// application score a flooding peer came back above the threshold every few
/// seconds. It must now stay below for as long as it floods.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooding_peer_is_graylisted_within_a_heartbeat_and_stays_graylisted() {
    /// Longer than gossipsub's own penalty alone keeps a peer graylisted
    /// (a few seconds per rejected record at a decay of 0.9 per second).
    const WATCH: Duration = Duration::from_secs(15);
    let honest = TestNode::start(vec![]).await;
    let heartbeat =
        Duration::from_millis(badgemesh_node::config::Config::loopback(".".into()).heartbeat_ms);
    let (attacker, task) = attacker::spawn(
        vec![honest.addrs()[0].clone()],
        vec![b"\xd2\x84garbage that is not an envelope".to_vec()],
        Pace::Flood(Duration::from_millis(10)),
    )
    .expect("attacker");
    let attacker = attacker.to_string();
    let client = honest.node().core().client.clone();
    let find = |peers: Vec<PeerInfo>| peers.into_iter().find(|p| p.peer_id == attacker);
    wait_until("the attacker to be graylisted", LIMIT, || async {
        find(client.peers().await.unwrap_or_default()).is_some_and(|p| p.graylisted)
    })
    .await;
    let info = find(client.peers().await.expect("peers")).expect("attacker connected");
    let took = info.time_to_graylist_ms.expect("time to graylist recorded");
    println!(
        "graylisted {took:.1} ms after its first invalid record ({:.2} heartbeats), score {:?}",
        took / heartbeat.as_secs_f64() / 1000.0,
        info.score
    );
    assert!(
        took < 3.0 * heartbeat.as_secs_f64() * 1000.0,
        "graylisted only after {took:.1} ms"
    );
    // It keeps flooding; sample its score for longer than gossipsub alone
    // would keep it graylisted.
    let start = Instant::now();
    let mut samples = 0;
    while start.elapsed() < WATCH {
        let p = find(client.peers().await.expect("peers"))
            .expect("the attacker stays connected (graylisted, not banned)");
        assert!(
            p.score.is_some_and(|s| s < GRAYLIST_THRESHOLD),
            "attacker back above the graylist threshold after {:?}: {:?} ({} invalid records validated)",
            start.elapsed(),
            p.score,
            p.invalid_records
        );
        samples += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!task.is_finished(), "the attacker was still running");
    let end = find(client.peers().await.expect("peers")).expect("attacker");
    println!(
        "{samples} samples over {WATCH:?}, all graylisted; {} invalid records validated, final score {:?}",
        end.invalid_records, end.score
    );
    task.abort();
}
