//! Propagation and convergence between real nodes on loopback.

use std::time::{Duration, Instant};

use badgemesh_protocol::keys::IssuerId;
use badgemesh_protocol::testkit::Issuer;
use badgemesh_tests::{TestNode, post_bytes, wait_until};

use crate::support::{award, create_badge, init_issuer, issuer_view, revoke};

const LIMIT: Duration = Duration::from_secs(30);

fn revoked(n: &TestNode, issuer: &IssuerId, index: u32) -> bool {
    n.node()
        .core()
        .ledger
        .read(|r| r.issuer(issuer).and_then(|s| s.revoked(index)).is_some())
}

fn has_badge(n: &TestNode, id: &str) -> bool {
    let id = id.parse().expect("badge id");
    n.node()
        .core()
        .ledger
        .read(|r| r.badge_class(&id).is_some())
}

async fn peer_count(n: &TestNode) -> usize {
    n.node()
        .core()
        .client
        .peers()
        .await
        .map(|p| p.len())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_reach_five_nodes_in_a_chain_and_late_joiners_sync() {
    // A - B - C - D - E: only neighbours are connected.
    let a = TestNode::start(vec![]).await;
    let b = TestNode::start(a.addrs()).await;
    let c = TestNode::start(b.addrs()).await;
    let d = TestNode::start(c.addrs()).await;
    let e = TestNode::start(d.addrs()).await;
    let nodes = [&a, &b, &c, &d, &e];
    for n in &nodes[1..] {
        wait_until("chain connected", LIMIT, || async {
            peer_count(n).await >= 1
        })
        .await;
    }
    let a_peers = a.node().core().client.peers().await.expect("peers");
    assert!(
        !a_peers
            .iter()
            .any(|p| p.peer_id == e.node().peer_id().to_string()),
        "A and E must not be neighbours"
    );

    let did = init_issuer(&a, "Chain Academy").await;
    let issuer: IssuerId = did.parse().expect("did");
    let badge = create_badge(&a, "Relay").await;
    let (_, index, _) = award(&a, &badge, "ada@example.org").await;
    for n in nodes {
        wait_until("badge class everywhere", LIMIT, || async {
            has_badge(n, &badge)
        })
        .await;
    }
    let started = Instant::now();
    revoke(&a, &[index]).await;
    for n in nodes {
        wait_until("revocation everywhere", LIMIT, || async {
            revoked(n, &issuer, index as u32)
        })
        .await;
    }
    println!(
        "revocation reached all 5 nodes {:?} after the issuer's node acknowledged it",
        started.elapsed()
    );

    // A node that joins afterwards gets everything by sync alone.
    let late = TestNode::start(e.addrs()).await;
    wait_until("late joiner converges", LIMIT, || async {
        late.node().core().ledger.read(|r| r.fingerprint())
            == a.node().core().ledger.read(|r| r.fingerprint())
    })
    .await;
    assert!(issuer_view(&late, &did).await["profile"]["name"] == "Chain Academy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_node_catches_up_on_every_missed_revocation() {
    let a = TestNode::start(vec![]).await;
    let b = TestNode::start(a.addrs()).await;
    let mut c = TestNode::start(b.addrs()).await;
    let did = init_issuer(&a, "Catch-up College").await;
    let issuer: IssuerId = did.parse().expect("did");
    let badge = create_badge(&a, "Patience").await;
    wait_until("badge reaches C", LIMIT, || async { has_badge(&c, &badge) }).await;
    c.stop().await;
    let mut indices = Vec::new();
    for who in ["ada@example.org", "bob@example.org", "cy@example.org"] {
        let (_, index, _) = award(&a, &badge, who).await;
        revoke(&a, &[index]).await;
        indices.push(index as u32);
    }
    wait_until("B has all three", LIMIT, || async {
        indices.iter().all(|i| revoked(&b, &issuer, *i))
    })
    .await;
    c.restart().await;
    let took = wait_until("C catches up", LIMIT, || async {
        indices.iter().all(|i| revoked(&c, &issuer, *i))
    })
    .await;
    println!("restarted node caught up on 3 revocations in {took:?}");
    assert_eq!(
        c.node()
            .core()
            .ledger
            .read(|r| r.issuer(&issuer).map(|s| s.freshness().seq)),
        Some(3)
    );
}

/// The issuer signs a checkpoint at update 1,000 on its own; a node that
/// missed all 1,050 updates fetches the checkpoint and the 50 after it, not
/// the history, and both nodes keep only those.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_missed_a_thousand_updates_starts_from_the_checkpoint() {
    use badgemesh_protocol::envelope::RecordKind;
    let a = TestNode::start(vec![]).await;
    let did = init_issuer(&a, "Bulk University").await;
    let issuer: IssuerId = did.parse().expect("did");
    let core = a.node().core().clone();
    for i in 0..1050u32 {
        a.node()
            .issuer()
            .revoke(&core, vec![i * 13], None)
            .await
            .expect("revoke");
    }
    assert_eq!(core.ledger.store().archived().expect("archived"), 1000);
    let started = Instant::now();
    let late = TestNode::start(a.addrs()).await;
    wait_until(
        "1,050 revocations synced",
        Duration::from_secs(120),
        || async {
            late.node()
                .core()
                .ledger
                .read(|r| r.issuer(&issuer).map(|s| s.freshness().seq))
                == Some(1050)
        },
    )
    .await;
    println!(
        "a new node caught up with 1,050 revocation updates (checkpoint at 1,000) in {:?}",
        started.elapsed()
    );
    let late_core = late.node().core();
    assert_eq!(
        late_core
            .ledger
            .read(|r| r.issuer(&issuer).map(|s| s.revoked_count())),
        Some(1050)
    );
    let counts = late_core.ledger.store().counts().expect("counts");
    assert_eq!(counts.get(&RecordKind::RevocationUpdate), Some(&50));
    assert!(counts.contains_key(&RecordKind::RevocationCheckpoint));
    assert_eq!(late_core.ledger.store().archived().expect("archived"), 0);
    let fetched = late_core.metrics.sync_records.get();
    assert!(fetched < 100, "fetched {fetched} records, not the history");
    // An index only the checkpoint tells about is revoked as of it.
    let entry = late_core
        .ledger
        .read(|r| r.issuer(&issuer).and_then(|s| s.revoked(13)));
    assert_eq!(entry.map(|e| e.seq), Some(1000));
}

/// The admin route signs a checkpoint at once, and a node that joins later
/// starts from it: it holds the checkpoint and none of the updates.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_asked_for_by_the_operator_is_what_a_newcomer_starts_from() {
    use badgemesh_protocol::envelope::RecordKind;
    let a = TestNode::start(vec![]).await;
    let none = crate::support::admin(
        &a,
        "/v1/admin/revocations/checkpoint",
        serde_json::json!({}),
    )
    .await;
    assert_eq!(none.status, 409, "no issuer yet: {:?}", none.json);
    let did = init_issuer(&a, "Checkpoint College").await;
    let issuer: IssuerId = did.parse().expect("did");
    for i in [3, 300_000, 9_000_000] {
        revoke(&a, &[i]).await;
    }
    let r = crate::support::admin(
        &a,
        "/v1/admin/revocations/checkpoint",
        serde_json::json!({}),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    // Three indices in three parts of the index space.
    assert_eq!(
        (r.json["seq"].as_u64(), r.json["parts"].as_u64()),
        (Some(3), Some(3))
    );
    let late = TestNode::start(a.addrs()).await;
    wait_until("the newcomer is at update 3", LIMIT, || async {
        late.node()
            .core()
            .ledger
            .read(|r| r.issuer(&issuer).map(|s| s.freshness().seq))
            == Some(3)
    })
    .await;
    let counts = late.node().core().ledger.store().counts().expect("counts");
    assert_eq!(counts.get(&RecordKind::RevocationCheckpoint), Some(&3));
    assert_eq!(counts.get(&RecordKind::RevocationUpdate), None);
    assert!(revoked(&late, &issuer, 9_000_000));
}

/// Issuers a node does not know come whole, 64 to a request: a new node
/// learns 300 issuers in a few requests, where an `Ids` and a `Get` for
/// each kind of each issuer took thousands (and, at the per-peer rate
/// limit, minutes for ten thousand issuers).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_node_learns_hundreds_of_issuers_in_a_few_requests() {
    let a = TestNode::start(vec![]).await;
    let now = badgemesh_tests::now();
    let mut records = Vec::new();
    for n in 0..300 {
        let mut i = Issuer::new(5_000 + n, now);
        records.extend(i.genesis());
        records.push(i.revoke(&[1, 2]));
    }
    a.node()
        .core()
        .ledger
        .ingest_batch(records, now)
        .expect("ingest");
    let late = TestNode::start(a.addrs()).await;
    let all_there = || async {
        late.node()
            .core()
            .ledger
            .read(|r| r.issuer_count() == 300 && r.issuers().all(|s| s.freshness().seq == 1))
    };
    wait_until("300 issuers synced", Duration::from_secs(60), all_there).await;
    let requests = late.node().core().metrics.sync_requests.get();
    assert!(requests < 40, "{requests} sync requests for 300 issuers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn equivocation_on_two_nodes_is_proved_everywhere_after_they_connect() {
    let x = TestNode::start(vec![]).await;
    let y = TestNode::start(vec![]).await;
    let mut issuer = Issuer::new(77, badgemesh_tests::now());
    let genesis = issuer.genesis();
    let mut fork = issuer.clone();
    let left = issuer.revoke(&[1]);
    let right = fork.revoke(&[2]);
    for (node, update) in [(&x, &left), (&y, &right)] {
        for rec in genesis.iter().chain(std::iter::once(update)) {
            let r = post_bytes(
                node.url("/v1/admin/records"),
                Some(node.node().token().to_owned()),
                rec.bytes().to_vec(),
            )
            .await;
            assert_eq!(r.json["outcome"], "accepted", "{:?}", r.json);
        }
    }
    let did = issuer.inner().id().to_did();
    assert_eq!(
        issuer_view(&x, &did).await["equivocations"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    y.node()
        .core()
        .client
        .dial(x.addrs()[0].clone())
        .await
        .expect("dial");
    for n in [&x, &y] {
        wait_until("equivocation proof reported by the API", LIMIT, || async {
            issuer_view(n, &did).await["equivocations"]
                .as_array()
                .map(Vec::len)
                == Some(1)
        })
        .await;
        let id = issuer.inner().id();
        assert!(
            revoked(n, &id, 1) && revoked(n, &id, 2),
            "revoked in either branch"
        );
    }
}
