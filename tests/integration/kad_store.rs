//! No peer can store data on a node through Kademlia: a raw kad peer puts a
//! value and a provider record, then asks the node for them and gets nothing,
//! with discovery off (kad is a client and refuses inbound streams) and on
//! (kad serves lookups but drops inbound puts).

use std::time::Duration;

use badgemesh_node::config::Config;
use badgemesh_node::network::KAD_PROTOCOL;
use badgemesh_node::node::Node;
use futures::StreamExt;
use libp2p::kad::{self, GetProvidersOk, GetRecordOk, QueryResult, Quorum, Record, RecordKey};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, Swarm, noise, tcp, yamux};

const LIMIT: Duration = Duration::from_secs(30);

fn kad_peer() -> Swarm<kad::Behaviour<kad::store::MemoryStore>> {
    let mut swarm = libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .expect("tcp")
        .with_behaviour(|key| {
            let id = key.public().to_peer_id();
            kad::Behaviour::with_config(
                id,
                kad::store::MemoryStore::new(id),
                kad::Config::new(KAD_PROTOCOL),
            )
        })
        .expect("behaviour")
        .build();
    swarm.behaviour_mut().set_mode(Some(kad::Mode::Server));
    swarm
}

/// Drives the swarm until the query's last result; returns every step's
/// result.
async fn finish(
    swarm: &mut Swarm<kad::Behaviour<kad::store::MemoryStore>>,
    query: kad::QueryId,
) -> Vec<QueryResult> {
    let mut results = Vec::new();
    let run = async {
        loop {
            if let SwarmEvent::Behaviour(kad::Event::OutboundQueryProgressed {
                id,
                result,
                step,
                ..
            }) = swarm.select_next_some().await
                && id == query
            {
                results.push(result);
                if step.last {
                    return;
                }
            }
        }
    };
    tokio::time::timeout(LIMIT, run).await.expect("query ends");
    results
}

async fn attempt_store(node_peer: PeerId, node_addr: Multiaddr) {
    let mut swarm = kad_peer();
    swarm.behaviour_mut().add_address(&node_peer, node_addr);
    let key = RecordKey::new(&b"attacker-value".to_vec());
    let record = Record::new(key.clone(), vec![0x42; 1024]);
    let put = swarm
        .behaviour_mut()
        .put_record(record, Quorum::One)
        .expect("put starts");
    finish(&mut swarm, put).await;
    let provide = swarm
        .behaviour_mut()
        .start_providing(key.clone())
        .expect("provide starts");
    finish(&mut swarm, provide).await;
    // Forget our own copies, so that anything found comes from the node.
    swarm.behaviour_mut().remove_record(&key);
    swarm.behaviour_mut().stop_providing(&key);

    let get = swarm.behaviour_mut().get_record(key.clone());
    for result in finish(&mut swarm, get).await {
        if let QueryResult::GetRecord(Ok(GetRecordOk::FoundRecord(found))) = result {
            panic!("the node stored a peer's value: {:?}", found.peer);
        }
    }
    let get = swarm.behaviour_mut().get_providers(key);
    for result in finish(&mut swarm, get).await {
        if let QueryResult::GetProviders(Ok(GetProvidersOk::FoundProviders { providers, .. })) =
            result
        {
            assert!(
                providers.is_empty(),
                "the node stored a peer's provider record"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_peer_can_store_values_or_providers_through_kad() {
    for discovery in [false, true] {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config::loopback(dir.path().to_path_buf());
        config.discovery = discovery;
        let node = Node::start(config).await.expect("node starts");
        let addr = node
            .p2p_addrs()
            .into_iter()
            .next()
            .expect("a listen address");
        attempt_store(node.peer_id(), addr).await;
        node.shutdown().await;
    }
}
