//! A raw libp2p peer that gossips forged and malformed records on the records
//! topic: the forged-flood scenario and the integration tests
//! (`tests/integration/forged.rs`) both use it.

use std::time::Duration;

use badgemesh_node::network::RECORDS_TOPIC;
use badgemesh_protocol::id::RecordId;
use futures::StreamExt;
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, gossipsub, noise, tcp, yamux};

/// What the attacker sends.
#[derive(Clone, Debug)]
pub enum Pace {
    /// Each message once, as given, as soon as a target's subscription arrives.
    Once,
    /// Every interval, the next message (cycling), made unique by an 8-byte
    /// counter appended to it, until the task is aborted.
    Flood(Duration),
    /// Every interval, the next message as given, each once, in order (valid
    /// records stay valid; a burst would overflow gossipsub's send queue).
    Each(Duration),
}

/// Starts an attacker dialing `targets` and sending `messages` at `pace`.
/// Returns its peer id and the task that keeps its connections (abort it to
/// stop the attack).
pub fn spawn(
    targets: Vec<Multiaddr>,
    messages: Vec<Vec<u8>>,
    pace: Pace,
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
        match pace {
            Pace::Once => {
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
            }
            Pace::Each(every) => {
                let mut tick = tokio::time::interval(every);
                let mut next = 0;
                loop {
                    tokio::select! {
                        _ = swarm.select_next_some() => {}
                        _ = tick.tick(), if next < messages.len() => {
                            // Before a target's subscription arrives there is
                            // nobody to send to; the next tick tries again.
                            if swarm
                                .behaviour_mut()
                                .publish(topic.clone(), messages[next].clone())
                                .is_ok()
                            {
                                next += 1;
                            }
                        }
                    }
                }
            }
            Pace::Flood(every) => {
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
                            // Before a target's subscription arrives there is
                            // nobody to send to; the next tick tries again.
                            let _ = swarm.behaviour_mut().publish(topic.clone(), m);
                        }
                    }
                }
            }
        }
    });
    Ok((peer, task))
}
