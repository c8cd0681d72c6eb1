//! A raw libp2p peer that floods the records topic with forged and malformed
//! messages, at a given rate, for the forged-flood scenario.

use std::time::Duration;

use badgemesh_node::network::RECORDS_TOPIC;
use badgemesh_protocol::id::RecordId;
use futures::StreamExt;
use libp2p::{Multiaddr, PeerId, gossipsub, noise, tcp, yamux};

/// Starts an attacker dialing `targets`; every `every` it publishes the next
/// message of `messages` (cycling, each made unique by a counter suffix).
pub fn spawn(
    targets: Vec<Multiaddr>,
    messages: Vec<Vec<u8>>,
    every: Duration,
) -> anyhow::Result<(PeerId, tokio::task::JoinHandle<()>)> {
    let mut swarm = libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )?
        .with_behaviour(|_| {
            let config = gossipsub::ConfigBuilder::default()
                .validation_mode(gossipsub::ValidationMode::Anonymous)
                .message_id_fn(|m| {
                    gossipsub::MessageId::from(RecordId::of(&m.data).digest().to_vec())
                })
                .heartbeat_interval(Duration::from_millis(200))
                .build()
                .map_err(|e| Box::new(std::io::Error::other(e.to_string())))?;
            gossipsub::Behaviour::<gossipsub::IdentityTransform>::new(
                gossipsub::MessageAuthenticity::Anonymous,
                config,
            )
            .map_err(|e| {
                Box::new(std::io::Error::other(e)) as Box<dyn std::error::Error + Send + Sync>
            })
        })?
        .build();
    let topic = gossipsub::IdentTopic::new(RECORDS_TOPIC);
    swarm.behaviour_mut().subscribe(&topic)?;
    for t in targets {
        swarm.dial(t)?;
    }
    let peer = *swarm.local_peer_id();
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        let mut n = 0u64;
        loop {
            tokio::select! {
                _ = swarm.select_next_some() => {}
                _ = tick.tick() => {
                    if messages.is_empty() {
                        continue;
                    }
                    let mut m = messages[(n as usize) % messages.len()].clone();
                    m.extend_from_slice(&n.to_le_bytes());
                    n += 1;
                    let _ = swarm.behaviour_mut().publish(topic.clone(), m);
                }
            }
        }
    });
    Ok((peer, task))
}
