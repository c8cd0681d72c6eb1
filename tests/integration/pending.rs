//! The pending pool cannot be poisoned so that honest peers are punished:
//! records claiming an issuer but signed by fresh keys do not take its
//! slots, and a full pool drops a genuine record without blaming the peer
//! that forwarded it.

use std::time::Duration;

use badgemesh_node::network::PeerInfo;
use badgemesh_protocol::keys::SecretKey;
use badgemesh_protocol::record::{Record, SignedRecord};
use badgemesh_protocol::testkit::{Issuer, seed};
use badgemesh_simulations::attacker::{self, Pace};
use badgemesh_tests::{TestNode, post_bytes, wait_until};

const LIMIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poisoned_and_full_pending_pools_punish_no_honest_peer() {
    let node = TestNode::start(vec![]).await;
    let core = node.node().core().clone();
    let mut x = Issuer::new(88, badgemesh_tests::now());
    for rec in x.genesis() {
        let r = post_bytes(
            node.url("/v1/admin/records"),
            Some(node.node().token().to_owned()),
            rec.bytes().to_vec(),
        )
        .await;
        assert_eq!(r.json["outcome"], "accepted");
    }
    // The poisoner: badge classes claiming X, each signed by a fresh key.
    let (template, _) = x.badge_class("Claimed");
    let Record::BadgeClass(badge) = template.record().clone() else {
        unreachable!()
    };
    let forged: Vec<Vec<u8>> = (0..400)
        .map(|n| {
            let key = SecretKey::from_seed(&seed("poison", n)).expect("strong");
            let mut claimed = badge.clone();
            claimed.name = format!("Forged {n}");
            let rec = SignedRecord::sign(Record::BadgeClass(claimed), &key).expect("signs");
            rec.bytes().to_vec()
        })
        .collect();
    let (poisoner, poison) = attacker::spawn(node.addrs(), forged, Pace::Once).expect("poisoner");
    let poisoner = poisoner.to_string();
    let find = |peers: Vec<PeerInfo>, id: &str| peers.into_iter().find(|p| p.peer_id == id);
    // Each claim costs the poisoner a little: a flood of them graylists it,
    // after which its gossip is dropped unread.
    wait_until("the poisoner to be graylisted", LIMIT, || async {
        find(core.client.peers().await.unwrap_or_default(), &poisoner).is_some_and(|p| p.graylisted)
    })
    .await;
    // An honest peer forwards X's genuine updates 2..=300 before update 1:
    // 256 fit X's pending slots, the rest find them full. Both are ignored,
    // never rejected.
    let ignored = "badgemesh_gossip_messages_total{name=\"ignored\"}";
    let before = core.metrics.value(ignored);
    let updates: Vec<_> = (0..300).map(|n| x.revoke(&[n])).collect();
    let genuine = updates[1..].iter().map(|r| r.bytes().to_vec()).collect();
    let (relay, relaying) = attacker::spawn(node.addrs(), genuine, Pace::Once).expect("relay");
    let relay = relay.to_string();
    let metrics = core.metrics.clone();
    wait_until("the genuine updates to be validated", LIMIT, || {
        let m = metrics.clone();
        async move { m.value(ignored) >= before + 299.0 }
    })
    .await;
    let held = core.ledger.read(|r| r.pending_len());
    println!("pending after the poison and the out-of-order updates: {held}");
    let peers = core.client.peers().await.expect("peers");
    let r = find(peers.clone(), &relay).expect("relay connected");
    assert_eq!(
        (r.invalid_records, r.unwanted_records),
        (0, 0),
        "the honest relay was blamed: {r:?}"
    );
    assert!(!r.graylisted, "the honest relay was graylisted: {r:?}");
    // The poisoner's claims cost it a little each: enough of them graylist it.
    let p = find(peers, &poisoner).expect("poisoner connected");
    assert!(p.unwanted_records > 0 && p.invalid_records == 0, "{p:?}");
    assert!(
        p.graylisted,
        "a flood of unverifiable claims graylists: {p:?}"
    );
    // The first update releases the 256 held ones: the poison took none of
    // X's slots.
    let r = post_bytes(
        node.url("/v1/admin/records"),
        Some(node.node().token().to_owned()),
        updates[0].bytes().to_vec(),
    )
    .await;
    assert_eq!(r.json["outcome"], "accepted");
    let x_id = x.inner().id();
    let seq = core
        .ledger
        .read(|r| r.issuer(&x_id).map(|s| s.summary().revocation_seq()));
    assert_eq!(seq, Some(257), "X's held updates were all released");
    poison.abort();
    relaying.abort();
}
