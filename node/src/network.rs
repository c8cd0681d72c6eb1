//! The network: one task owns the libp2p swarm ([`EventLoop`]); the rest of the
//! node talks to it through a cheap, cloneable [`Client`] that sends commands
//! over a bounded channel, each with a oneshot reply (the shape of
//! rust-libp2p's file-sharing example).
//!
//! Gossip messages are not validated in the loop: they go to the ingest worker
//! as [`NetEvent::Gossip`], which applies them to the ledger and reports
//! Accept / Reject / Ignore back through [`Client::report`]. Only what the
//! store accepted is forwarded. Sync requests from peers are answered in the
//! loop from the in-memory state (microseconds, no I/O).

mod behaviour;
mod codec;
mod event_loop;
mod offences;
mod rate;
mod upnp;

use std::time::{Duration, Instant};

use badgemesh_protocol::sync::{SyncRequest, SyncResponse};
use libp2p::{Multiaddr, PeerId, gossipsub, identity};
use tokio::sync::{mpsc, oneshot};

pub use behaviour::{
    FLOOD_PUBLISH, GRAYLIST_THRESHOLD, GossipTuning, KAD_PROTOCOL, MAX_TRANSMIT_SIZE, MESH_N,
    MESH_N_HIGH, MESH_N_LOW, MESH_OUTBOUND_MIN, RECORDS_TOPIC,
};
pub use codec::SYNC_PROTOCOL;
pub use event_loop::{EventLoop, NUDGE_INTERVAL};
pub use offences::{
    BAD_SYNC_PENALTY, INVALID_RECORD_PENALTY, Offence, PENALTY_HALF_LIFE, UNWANTED_PENALTY,
};

/// What the network tells the rest of the node.
#[derive(Debug)]
pub enum NetEvent {
    /// A gossip message to validate; answer with [`Client::report`].
    Gossip {
        /// Who sent it to us.
        source: PeerId,
        /// Gossipsub's id for it.
        message_id: gossipsub::MessageId,
        /// The envelope bytes.
        data: Vec<u8>,
        /// When the network task received it (to time how fast an invalid
        /// sender is graylisted); hand it back with [`Client::report`].
        received: Instant,
    },
    /// A connection to a peer was established (the first one to it).
    Connected(PeerId),
    /// A peer says it stored records we may lack.
    Nudged(PeerId),
}

/// How a gossip message fared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validation {
    /// Stored: forward it.
    Accept,
    /// Forged or malformed: drop it and lower the sender's score.
    Reject,
    /// Duplicate, stale or pending: drop it without penalty.
    Ignore,
    /// Over this node's quota, or waiting for a key nothing binds to its
    /// issuer: drop it (never forward it) and lower the sender's score a
    /// little ([`UNWANTED_PENALTY`]).
    Unwanted,
}

/// A peer as the API shows it.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PeerInfo {
    /// Its id.
    pub peer_id: String,
    /// Addresses we are connected on.
    pub addresses: Vec<String>,
    /// Its gossipsub score, if scored.
    pub score: Option<f64>,
    /// Whether it is in this node's gossip mesh for records (it gets every
    /// record in full; other peers only hear of them in lazy gossip).
    pub mesh: bool,
    /// Whether the score is below the graylist threshold (its gossip is
    /// dropped unread).
    pub graylisted: bool,
    /// Invalid records it sent that this node still remembers.
    pub invalid_records: u64,
    /// Unwanted records it sent (over this node's quota, or signed by a key
    /// nothing binds to their issuer) that this node still remembers.
    pub unwanted_records: u64,
    /// Sync responses that did not answer the request, still remembered.
    pub bad_sync_responses: u64,
    /// Milliseconds from the first invalid record it sent to its score being
    /// seen below the graylist threshold.
    pub time_to_graylist_ms: Option<f64>,
}

/// What can go wrong talking to the network.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// The event loop has stopped.
    #[error("the network task has stopped")]
    Stopped,
    /// A request failed.
    #[error("request failed: {0}")]
    Request(String),
    /// A dial failed.
    #[error("dial failed: {0}")]
    Dial(String),
    /// Building the swarm failed.
    #[error("network setup: {0}")]
    Setup(String),
}

pub(crate) enum Command {
    Publish {
        data: Vec<u8>,
        reply: oneshot::Sender<Result<(), String>>,
    },
    Report {
        message_id: gossipsub::MessageId,
        source: PeerId,
        validation: Validation,
        received: Instant,
    },
    Request {
        peer: PeerId,
        request: SyncRequest,
        reply: oneshot::Sender<Result<SyncResponse, NetError>>,
    },
    Penalise {
        peer: PeerId,
        offence: Offence,
    },
    Dial {
        addr: Multiaddr,
        reply: oneshot::Sender<Result<(), NetError>>,
    },
    Reachability {
        reply: oneshot::Sender<Reachability>,
    },
    Peers {
        reply: oneshot::Sender<Vec<PeerInfo>>,
    },
    ListenAddrs {
        reply: oneshot::Sender<Vec<Multiaddr>>,
    },
    Shutdown {
        reply: oneshot::Sender<()>,
    },
}

/// A handle to the network task.
#[derive(Clone, Debug)]
pub struct Client {
    commands: mpsc::Sender<Command>,
    peer_id: PeerId,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Command::Publish { .. } => "Publish",
            Command::Report { .. } => "Report",
            Command::Request { .. } => "Request",
            Command::Penalise { .. } => "Penalise",
            Command::Dial { .. } => "Dial",
            Command::Peers { .. } => "Peers",
            Command::Reachability { .. } => "Reachability",
            Command::ListenAddrs { .. } => "ListenAddrs",
            Command::Shutdown { .. } => "Shutdown",
        })
    }
}

/// How a node can be reached, as far as it knows.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Reachability {
    /// Addresses peers confirmed they could dial back (AutoNAT v2): the
    /// node is reachable directly there. Empty behind NAT (or until a peer
    /// that serves AutoNAT has checked).
    pub external: Vec<String>,
    /// `/p2p-circuit` addresses held through relays.
    pub relayed_listen: Vec<String>,
    /// Connections made directly.
    pub direct_connections: usize,
    /// Connections through a relay.
    pub relayed_connections: usize,
    /// Relayed connections turned direct by hole punching (DCUtR).
    pub hole_punches_succeeded: u64,
    /// Attempts that failed.
    pub hole_punches_failed: u64,
    /// Whether this node relays for others.
    pub relay_server: bool,
    /// UPnP port mapping: `off`, `searching for a gateway`, `no gateway
    /// found`, `gateway found, but it is behind another NAT`, or `mapped`.
    pub upnp: &'static str,
    /// The router's external addresses that UPnP mapped to this node (also
    /// in `external`: a forwarded port is reachable).
    pub upnp_mapped: Vec<String>,
    /// Records received (gossip messages and records in sync answers) over
    /// direct connections since start.
    pub records_direct: u64,
    /// Records received over relayed connections (expected 0: relayed
    /// connections are limited, and gossip and sync do not run on them).
    pub records_relayed: u64,
}

/// Network settings.
#[derive(Clone, Debug)]
pub struct NetConfig {
    /// Addresses to listen on.
    pub listen: Vec<Multiaddr>,
    /// Peers to dial at start and to keep redialing when disconnected.
    pub bootstrap: Vec<Multiaddr>,
    /// LAN discovery.
    pub mdns: bool,
    /// Kademlia-driven discovery: dial peers that the DHT finds. Off gives a
    /// strict topology (only bootstrap peers and those who dial us).
    pub discovery: bool,
    /// Stop dialing discovered peers above this many connections.
    pub target_peers: usize,
    /// Gossipsub heartbeat.
    pub heartbeat: Duration,
    /// Relay for peers behind NAT (circuit relay v2 server, with the
    /// conservative limits set in `network/behaviour.rs`).
    pub relay_server: bool,
    /// Relays to be reached through: the node listens on each one's
    /// `/p2p-circuit` address (a reservation), so that peers it cannot be
    /// dialled by directly reach it there and then punch a hole (DCUtR).
    pub relays: Vec<Multiaddr>,
    /// Addresses the operator says this node is reachable at.
    pub announce: Vec<Multiaddr>,
    /// Ask the LAN's router to forward the listen ports (UPnP).
    pub upnp: bool,
}

impl Client {
    /// Our peer id.
    pub fn peer_id(&self) -> PeerId {
        self.peer_id
    }

    async fn call<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, NetError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(make(tx))
            .await
            .map_err(|_| NetError::Stopped)?;
        rx.await.map_err(|_| NetError::Stopped)
    }

    /// Publishes envelope bytes on the records topic. Having no peer to send
    /// to is not an error: sync will carry the record.
    pub async fn publish(&self, data: Vec<u8>) -> Result<(), NetError> {
        self.call(|reply| Command::Publish { data, reply })
            .await?
            .map_err(NetError::Request)
    }

    /// Reports the validation result of a gossip message (`received` as
    /// given in [`NetEvent::Gossip`]).
    pub async fn report(
        &self,
        message_id: gossipsub::MessageId,
        source: PeerId,
        validation: Validation,
        received: Instant,
    ) {
        let _ = self
            .commands
            .send(Command::Report {
                message_id,
                source,
                validation,
                received,
            })
            .await;
    }

    /// Sends a sync request and waits for the response.
    pub async fn request(
        &self,
        peer: PeerId,
        request: SyncRequest,
    ) -> Result<SyncResponse, NetError> {
        self.call(|reply| Command::Request {
            peer,
            request,
            reply,
        })
        .await?
    }

    /// Counts an offence of `peer` that the network cannot see itself (a sync
    /// response that does not answer its request, a forged record in one).
    pub async fn penalise(&self, peer: PeerId, offence: Offence) {
        let _ = self
            .commands
            .send(Command::Penalise { peer, offence })
            .await;
    }

    /// Dials an address (with or without `/p2p/`).
    pub async fn dial(&self, addr: Multiaddr) -> Result<(), NetError> {
        self.call(|reply| Command::Dial { addr, reply }).await?
    }

    /// Connected peers with their scores.
    pub async fn peers(&self) -> Result<Vec<PeerInfo>, NetError> {
        self.call(|reply| Command::Peers { reply }).await
    }

    /// How this node can be reached: confirmed external addresses, relayed
    /// addresses, direct and relayed connections, hole punches.
    pub async fn reachability(&self) -> Result<Reachability, NetError> {
        self.call(|reply| Command::Reachability { reply }).await
    }

    /// The addresses we listen on.
    pub async fn listen_addrs(&self) -> Result<Vec<Multiaddr>, NetError> {
        self.call(|reply| Command::ListenAddrs { reply }).await
    }

    /// Closes connections and stops the event loop.
    pub async fn shutdown(&self) {
        let _ = self.call(|reply| Command::Shutdown { reply }).await;
    }
}

/// Builds the swarm and returns the client, the event loop to spawn, and the
/// stream of events. `ledger` answers sync requests; libp2p's gossipsub and
/// bandwidth metrics are registered in `registry`.
pub fn new(
    key: identity::Keypair,
    config: NetConfig,
    ledger: std::sync::Arc<crate::ledger::Ledger>,
    registry: &mut libp2p::metrics::Registry,
) -> Result<(Client, EventLoop, mpsc::Receiver<NetEvent>), NetError> {
    let peer_id = key.public().to_peer_id();
    let (cmd_tx, cmd_rx) = mpsc::channel(256);
    let (event_tx, event_rx) = mpsc::channel(1024);
    let event_loop = EventLoop::new(key, config, ledger, cmd_rx, event_tx, registry)?;
    Ok((
        Client {
            commands: cmd_tx,
            peer_id,
        },
        event_loop,
        event_rx,
    ))
}
