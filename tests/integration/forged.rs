//! A raw libp2p peer that gossips a forged record, a replayed revocation and
//! garbage: honest nodes store and forward none of it, and score it down.

use std::time::Duration;

use badgemesh_node::network::RECORDS_TOPIC;
use badgemesh_protocol::id::RecordId;
use badgemesh_protocol::testkit::Issuer;
use badgemesh_tests::{TestNode, post_bytes, wait_until};
use futures::StreamExt;
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, gossipsub, noise, tcp, yamux};

const LIMIT: Duration = Duration::from_secs(30);

/// Runs an attacker that dials `target`, waits for its subscription, and
/// publishes `messages`. Returns its peer id; the task keeps the connection.
fn spawn_attacker(
    target: Multiaddr,
    messages: Vec<Vec<u8>>,
) -> (libp2p::PeerId, tokio::task::JoinHandle<()>) {
    let mut swarm = libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            tcp::Config::default(),
            noise::Config::new,
            yamux::Config::default,
        )
        .expect("tcp")
        .with_behaviour(|_| {
            let config = gossipsub::ConfigBuilder::default()
                .validation_mode(gossipsub::ValidationMode::Anonymous)
                .message_id_fn(|m| {
                    gossipsub::MessageId::from(RecordId::of(&m.data).digest().to_vec())
                })
                .heartbeat_interval(Duration::from_millis(200))
                .build()
                .expect("config");
            gossipsub::Behaviour::<gossipsub::IdentityTransform>::new(
                gossipsub::MessageAuthenticity::Anonymous,
                config,
            )
            .expect("gossipsub")
        })
        .expect("behaviour")
        .build();
    let topic = gossipsub::IdentTopic::new(RECORDS_TOPIC);
    swarm.behaviour_mut().subscribe(&topic).expect("subscribe");
    swarm.dial(target).expect("dial");
    let peer = *swarm.local_peer_id();
    let task = tokio::spawn(async move {
        let mut sent = false;
        loop {
            if let SwarmEvent::Behaviour(gossipsub::Event::Subscribed { .. }) =
                swarm.select_next_some().await
                && !sent
            {
                for m in &messages {
                    let _ = swarm.behaviour_mut().publish(topic.clone(), m.clone());
                }
                sent = true;
            }
        }
    });
    (peer, task)
}

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

    let (attacker, task) = spawn_attacker(
        honest.addrs()[0].clone(),
        vec![forged, replayed.bytes().to_vec(), garbage],
    );
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
    // The score drops below zero at the first rejection; wait for both the
    // forged record and the garbage to have been rejected.
    let metrics = honest.node().core().metrics.clone();
    wait_until("forged and garbage both rejected", LIMIT, || {
        let m = metrics.clone();
        async move { m.value("badgemesh_gossip_messages_total{name=\"rejected\"}") >= 2.0 }
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
