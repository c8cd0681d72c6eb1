//! A spam issuer (a free key, validly signed records) cannot make a node
//! store more than its byte quota for an issuer it does not follow, and what
//! is over quota is not forwarded; the sender pays a little, the honest relay
//! between two nodes is not graylisted.

use std::time::Duration;

use badgemesh_node::network::PeerInfo;
use badgemesh_protocol::state::Registry;
use badgemesh_protocol::testkit::Issuer;
use badgemesh_simulations::attacker::{self, Pace};
use badgemesh_tests::{TestNode, wait_until};

const LIMIT: Duration = Duration::from_secs(30);
/// The quota of the node the spam reaches first.
const QUOTA: u64 = 16 * 1024;

fn badge_classes(reg: &Registry, issuer: &badgemesh_protocol::keys::IssuerId) -> Vec<String> {
    reg.issuer(issuer)
        .map(|s| s.badge_classes().iter().map(ToString::to_string).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spam_issuer_cannot_exceed_the_byte_quota_and_is_not_forwarded() {
    let first = TestNode::start_with(vec![], |c| c.max_bytes_per_issuer = QUOTA).await;
    // The second node would take everything: whatever it holds came from
    // the first (by gossip or sync), which must not pass on more than its
    // own quota.
    let second = TestNode::start_with(first.addrs(), |c| c.max_bytes_per_issuer = 1 << 20).await;
    let (a, b) = (first.node().core().clone(), second.node().core().clone());
    let second_id = b.client.peer_id().to_string();
    wait_until("the two nodes to form a gossip mesh", LIMIT, || async {
        a.client
            .peers()
            .await
            .unwrap_or_default()
            .iter()
            .any(|p| p.peer_id == second_id && p.mesh)
    })
    .await;

    let mut spammer = Issuer::new(666, badgemesh_tests::now());
    let mut messages: Vec<Vec<u8>> = spammer
        .genesis()
        .iter()
        .map(|r| r.bytes().to_vec())
        .collect();
    let mut total = 0;
    for n in 0..150 {
        let (rec, _) = spammer.badge_class(&format!("Spam {n} {}", "x".repeat(200)));
        total += rec.bytes().len();
        messages.push(rec.bytes().to_vec());
    }
    assert!(total as u64 > 4 * QUOTA, "the spam is well over the quota");
    let y = spammer.inner().id();
    let (attacker, task) =
        attacker::spawn(vec![first.addrs()[0].clone()], messages, Pace::Once).expect("attacker");
    let attacker = attacker.to_string();
    let find = |peers: Vec<PeerInfo>, id: &str| peers.into_iter().find(|p| p.peer_id == id);
    wait_until("the spam to be refused as over quota", LIMIT, || async {
        find(a.client.peers().await.unwrap_or_default(), &attacker)
            .is_some_and(|p| p.unwanted_records >= 20)
    })
    .await;
    // Let gossip and a sync round carry whatever the first node would pass on.
    let synced = b.metrics.value("badgemesh_sync_rounds_total");
    wait_until("a sync round of the second node", LIMIT, || {
        let m = b.metrics.clone();
        async move { m.value("badgemesh_sync_rounds_total") >= synced + 2.0 }
    })
    .await;

    let stored_first = a.ledger.read(|r| r.unfollowed_bytes());
    println!(
        "spam sent: {total} bytes; first node stored {stored_first} bytes (quota {QUOTA}), \
         second node {} bytes",
        b.ledger.read(|r| r.unfollowed_bytes())
    );
    assert!(
        stored_first <= QUOTA,
        "first node stored {stored_first} bytes"
    );
    assert!(
        stored_first > QUOTA / 2,
        "the quota was used, not refused outright"
    );
    let (at_first, at_second) = (
        a.ledger.read(|r| badge_classes(r, &y)),
        b.ledger.read(|r| badge_classes(r, &y)),
    );
    assert!(
        at_second.iter().all(|id| at_first.contains(id)),
        "the second node holds spam the first did not store"
    );
    assert!(!at_second.is_empty(), "what was stored was forwarded");
    let spam = find(a.client.peers().await.expect("peers"), &attacker).expect("attacker");
    assert!(
        spam.score.is_some_and(|s| s < 0.0),
        "the spammer paid: {spam:?}"
    );
    let relay = find(
        b.client.peers().await.expect("peers"),
        &a.client.peer_id().to_string(),
    )
    .expect("connected");
    assert!(
        !relay.graylisted,
        "the honest relay was graylisted: {relay:?}"
    );
    task.abort();
}
