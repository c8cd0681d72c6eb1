//! Reaching a node through a relay, then directly: B cannot be dialled by A
//! except through relay R (A is given only B's `/p2p-circuit` address at R).
//! B reserves a relayed address at R; A connects through it; DCUtR turns the
//! relayed connection into a direct one; then B's records reach A.

use std::time::Duration;

use badgemesh_node::network::Reachability;
use badgemesh_tests::{TestNode, wait_until};
use libp2p::Multiaddr;
use libp2p::multiaddr::Protocol;

use crate::support::{create_badge, init_issuer};

const LIMIT: Duration = Duration::from_secs(30);
const QUIC: &str = "/ip4/127.0.0.1/udp/0/quic-v1";

async fn reach(n: &TestNode) -> Reachability {
    n.node()
        .core()
        .client
        .reachability()
        .await
        .expect("reachability")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_reached_only_through_a_relay_gets_a_direct_connection_and_records() {
    // R knows its address (an operator announces a public one; here a free
    // port picked first): a relay offers relaying only once it has one.
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a free port")
        .port();
    let at = format!("/ip4/127.0.0.1/udp/{port}/quic-v1");
    let r = TestNode::start_with(vec![], |c| {
        c.listen = vec![at.clone()];
        c.announce = vec![at.clone()];
        c.relay_server = true;
    })
    .await;
    let relay: Multiaddr = r.addrs().into_iter().next().expect("R's address");
    let b = TestNode::start_with(vec![], |c| {
        c.listen = vec![QUIC.into()];
        c.relays = vec![relay.to_string()];
        c.relay_server = false;
    })
    .await;
    wait_until("B's reservation at R", LIMIT, || async {
        !reach(&b).await.relayed_listen.is_empty()
    })
    .await;
    let circuit = relay
        .clone()
        .with(Protocol::P2pCircuit)
        .with(Protocol::P2p(b.node().peer_id()));
    let a = TestNode::start_with(vec![circuit], |c| {
        c.listen = vec![QUIC.into()];
        c.relay_server = false;
    })
    .await;
    let b_id = b.node().peer_id().to_string();
    wait_until("A connected to B", LIMIT, || async {
        let peers = a.node().core().client.peers().await.unwrap_or_default();
        peers.iter().any(|p| p.peer_id == b_id)
    })
    .await;
    wait_until("a hole punched between A and B", LIMIT, || async {
        reach(&a).await.hole_punches_succeeded + reach(&b).await.hole_punches_succeeded >= 1
    })
    .await;
    wait_until("A's direct connection to B", LIMIT, || async {
        let peers = a.node().core().client.peers().await.unwrap_or_default();
        peers
            .iter()
            .filter(|p| p.peer_id == b_id)
            .flat_map(|p| &p.addresses)
            .any(|addr| !addr.contains("p2p-circuit"))
    })
    .await;

    init_issuer(&b, "Behind a NAT Academy").await;
    let badge = create_badge(&b, "Relayed then direct").await;
    let id = badge.parse().expect("badge id");
    wait_until("B's badge class at A", LIMIT, || async {
        a.node()
            .core()
            .ledger
            .read(|l| l.badge_class(&id).is_some())
    })
    .await;
    let ra = reach(&a).await;
    assert!(ra.direct_connections >= 1, "{ra:?}");
    assert!(!ra.relay_server);
    assert!(reach(&r).await.relay_server);
}

/// UPnP is off unless asked for (`--upnp`, `upnp = true`): a node says so,
/// and maps nothing. (`tests/net/upnp.sh` turns it on, in a namespace
/// where its search for a gateway reaches no LAN.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upnp_is_off_by_default_and_says_so() {
    let n = TestNode::start(vec![]).await;
    let r = reach(&n).await;
    assert_eq!(r.upnp, "off");
    assert!(r.upnp_mapped.is_empty());
    let info = badgemesh_tests::get(n.url("/v1/node")).await;
    assert_eq!(info.json["reachability"]["upnp"], "off");
}

/// AutoNAT v2 confirms a dialable address: A connects to B; B's identify
/// tells A the address it saw, which identify turns into a candidate on
/// A's listen port; at the client's first probe (5 s) B, an AutoNAT server,
/// dials it back on a connection of its own, and A reports it reachable.
/// (With 2 connections per peer allowed, that dial-back was denied and the
/// address marked failed for good: see `MAX_PER_PEER`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autonat_confirms_an_address_a_peer_can_dial_back() {
    let b = TestNode::start(vec![]).await;
    let a = TestNode::start(b.addrs()).await;
    let took = wait_until("A's address confirmed by AutoNAT", LIMIT, || async {
        !reach(&a).await.external.is_empty()
    })
    .await;
    let confirmed = reach(&a).await.external;
    let listening: Vec<String> = a
        .node()
        .core()
        .client
        .listen_addrs()
        .await
        .expect("listen addresses")
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        confirmed.iter().all(|c| listening.contains(c)),
        "confirmed {confirmed:?}, listening on {listening:?}"
    );
    eprintln!("AutoNAT v2 confirmed {confirmed:?} after {took:?}");
}
