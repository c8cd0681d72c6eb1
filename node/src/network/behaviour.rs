//! The libp2p behaviour: gossipsub for pushing records, Kademlia and mDNS for
//! finding peers, identify and ping, and request-response for sync.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use badgemesh_protocol::envelope::Envelope;
use badgemesh_protocol::id::RecordId;
use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
use libp2p::swarm::NetworkBehaviour;
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::{
    StreamProtocol, autonat, connection_limits, dcutr, gossipsub, identify, identity, kad, mdns,
    ping, relay, request_response, upnp,
};

use super::codec::{SYNC_PROTOCOL, SyncCodec};

/// The gossip topic that carries records.
pub const RECORDS_TOPIC: &str = "badgemesh/records/1";
/// Kademlia's protocol name for badgemesh's own DHT.
pub const KAD_PROTOCOL: StreamProtocol = StreamProtocol::new("/badgemesh/kad/1.0.0");
/// Gossipsub's limit. Records are capped at 48 KiB (`MAX_ENVELOPE_BYTES`), well
/// below it: a payload near this limit is dropped silently by the receiver.
pub const MAX_TRANSMIT_SIZE: usize = 64 * 1024;

/// Below this gossipsub score a peer is graylisted: everything it sends over
/// gossipsub is dropped unread (sync is separate and rate limited).
pub const GRAYLIST_THRESHOLD: f64 = -80.0;

/// Gossip mesh degree (gossipsub's D): a node forwards each record in full to
/// this many mesh peers, and lazily announces it (IHAVE, every heartbeat) to
/// some others. Every mesh link carries a record about once each way when
/// both ends forward at the same moment, so the copies a node receives per
/// record follow the mesh degree. At 100 simulated nodes (random topology of
/// degree about 6), gossipsub's default D=6 gave 4.1 copies per record and
/// p99 71 to 73 ms; D=3 gives 2.2 to 2.3 copies and p99 44 to 53 ms (issue #6
/// asks for at most 3 and under 100 ms): fewer copies to decode, hash and
/// queue outweigh the extra hop. D=3 is the smallest degree that keeps the
/// mesh well connected (a mesh of degree 2 is a ring or a line, where one lost
/// peer cuts it).
pub const MESH_N: usize = 3;
/// Below this many mesh peers a node grafts more at the next heartbeat.
pub const MESH_N_LOW: usize = 2;
/// A node accepts grafts up to this many mesh peers (and prunes back to
/// [`MESH_N`] at the heartbeat when it reaches it). Well-connected nodes must
/// accept grafts from many sparsely connected ones, or those stay out of the
/// mesh (at 6, one of 100 simulated nodes was left with a single mesh peer).
pub const MESH_N_HIGH: usize = 8;
/// Mesh peers a node keeps among those it dialed itself (an eclipse defence;
/// gossipsub needs it at most `MESH_N / 2`).
pub const MESH_OUTBOUND_MIN: usize = 1;
/// Whether a node sends records it publishes to every connected peer instead
/// of its mesh. Flood publishing makes every neighbour of the publisher a
/// source at once, so copies cross mesh links both ways: at D=3 and 100 nodes
/// (where the publisher had 15 peers) it gave 3.4 to 3.7 copies per record
/// instead of about 2.3. Its purpose, an
/// issuer whose mesh peers all drop its records, is covered by sync: every
/// node syncs with its peers periodically and when nudged, so a dropped record
/// arrives late, never not at all. Publishing still reaches at least
/// [`MESH_N`] peers while the mesh is forming.
pub const FLOOD_PUBLISH: bool = false;

/// Gossip tuning that the configuration can change.
#[derive(Clone, Copy, Debug)]
pub struct GossipTuning {
    /// Heartbeat interval.
    pub heartbeat: Duration,
    /// Whether mDNS discovery is on.
    pub mdns: bool,
    /// Whether Kademlia may look for peers and dial them.
    pub discovery: bool,
    /// Whether this node relays for others (circuit relay v2 server).
    pub relay_server: bool,
    /// Whether to ask the LAN's router for port mappings (UPnP).
    pub upnp: bool,
}

/// Reservations a relaying node holds for peers behind NAT, at most.
pub const RELAY_MAX_RESERVATIONS: usize = 64;
/// Relayed connections through this node at once, at most.
pub const RELAY_MAX_CIRCUITS: usize = 16;
/// A relayed connection lasts at most this long: long enough to punch a
/// hole (DCUtR) and sync a little, not to carry a peer's traffic for good.
pub const RELAY_MAX_CIRCUIT_DURATION: Duration = Duration::from_secs(120);
/// Bytes one relayed connection may carry, each way.
pub const RELAY_MAX_CIRCUIT_BYTES: u64 = 1 << 20;

/// Connections a node accepts, so that nobody can exhaust its sockets.
pub const MAX_ESTABLISHED: u32 = 256;
/// Connections being set up at once.
pub const MAX_PENDING: u32 = 64;
/// Connections to one peer: two peers that dial each other hold two, and
/// AutoNAT v2's server dials back on a connection of its own. With 2, that
/// dial-back was denied, the server answered "dial error", and the client
/// marked the address failed for good: no address was ever confirmed
/// (`tests/integration/relay.rs` now sees one confirmed in 5 s).
pub const MAX_PER_PEER: u32 = 3;
/// Sync requests one peer may have in flight with us.
pub const MAX_SYNC_STREAMS: usize = 16;

/// The combined behaviour.
#[derive(NetworkBehaviour)]
pub struct Behaviour {
    /// Connection caps.
    pub limits: connection_limits::Behaviour,
    /// Record gossip.
    pub gossipsub: gossipsub::Behaviour,
    /// Peer discovery.
    pub kad: kad::Behaviour<kad::store::MemoryStore>,
    /// Protocol and address exchange.
    pub identify: identify::Behaviour,
    /// Liveness.
    pub ping: ping::Behaviour,
    /// LAN discovery.
    pub mdns: Toggle<mdns::tokio::Behaviour>,
    /// Anti-entropy sync.
    pub sync: request_response::Behaviour<SyncCodec>,
    /// Relaying for peers behind NAT (circuit relay v2 server; off by
    /// configuration).
    pub relay: Toggle<relay::Behaviour>,
    /// Reaching and being reached through relays (circuit relay v2 client).
    pub relay_client: relay::client::Behaviour,
    /// Turning a relayed connection into a direct one (hole punching).
    pub dcutr: dcutr::Behaviour,
    /// Asking peers whether our addresses are reachable (AutoNAT v2).
    pub autonat: autonat::v2::client::Behaviour,
    /// Answering peers' AutoNAT v2 probes.
    pub autonat_server: autonat::v2::server::Behaviour,
    /// Port mapping on the LAN's router (UPnP IGD; off by configuration:
    /// built, it searches the LAN at once).
    pub upnp: Toggle<upnp::tokio::Behaviour>,
}

/// The message id: the content id of the record's payload, so that the same
/// record re-published by two nodes is one message. Bytes that are not an
/// envelope get the hash of the bytes (they will be rejected anyway).
fn message_id(msg: &gossipsub::Message) -> gossipsub::MessageId {
    let id = Envelope::decode(&msg.data, MAX_ENVELOPE_BYTES)
        .map(|e| e.id())
        .unwrap_or_else(|_| RecordId::of(&msg.data));
    gossipsub::MessageId::from(id.digest().to_vec())
}

fn score_params(
    topic: &gossipsub::IdentTopic,
) -> (gossipsub::PeerScoreParams, gossipsub::PeerScoreThresholds) {
    let topic_params = gossipsub::TopicScoreParams {
        topic_weight: 1.0,
        // A 1 ms quantum (the default) gives a mesh member a bonus of ~+1,800
        // within seconds, which no invalid message could outweigh.
        time_in_mesh_weight: 0.01,
        time_in_mesh_quantum: Duration::from_secs(1),
        time_in_mesh_cap: 10.0,
        first_message_deliveries_weight: 1.0,
        first_message_deliveries_decay: 0.5,
        first_message_deliveries_cap: 10.0,
        // Records are rare: do not punish mesh peers for delivering few.
        mesh_message_deliveries_weight: 0.0,
        mesh_failure_penalty_weight: 0.0,
        // Two invalid records put a sender below the graylist threshold.
        invalid_message_deliveries_weight: -100.0,
        invalid_message_deliveries_decay: 0.9,
        ..Default::default()
    };
    let mut params = gossipsub::PeerScoreParams::default();
    params.topics.insert(topic.hash(), topic_params);
    // The event loop sets the application score to minus the sender's decayed
    // penalty for invalid records (`offences.rs`), in score points.
    params.app_specific_weight = 1.0;
    // Many nodes on one host (tests, simulations, a LAN gateway) must not be
    // punished for sharing an address.
    params.ip_colocation_factor_whitelist = HashSet::from([
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
    ]);
    let thresholds = gossipsub::PeerScoreThresholds {
        gossip_threshold: -10.0,
        publish_threshold: -50.0,
        graylist_threshold: GRAYLIST_THRESHOLD,
        accept_px_threshold: 10.0,
        opportunistic_graft_threshold: 3.0,
    };
    (params, thresholds)
}

impl Behaviour {
    /// Builds the behaviour for `key`.
    pub fn new(
        key: &identity::Keypair,
        relay_client: relay::client::Behaviour,
        tuning: GossipTuning,
        registry: &mut libp2p::metrics::Registry,
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let peer_id = key.public().to_peer_id();
        let gossip_config = gossipsub::ConfigBuilder::default()
            .validation_mode(gossipsub::ValidationMode::Anonymous)
            .message_id_fn(message_id)
            .validate_messages()
            .max_transmit_size(MAX_TRANSMIT_SIZE)
            .heartbeat_interval(tuning.heartbeat)
            .heartbeat_initial_delay(Duration::from_millis(100))
            .mesh_n(MESH_N)
            .mesh_n_low(MESH_N_LOW)
            .mesh_n_high(MESH_N_HIGH)
            .mesh_outbound_min(MESH_OUTBOUND_MIN)
            .flood_publish(FLOOD_PUBLISH)
            .build()?;
        // Records carry issuer signatures; libp2p's own per-message signatures
        // would only add an Ed25519 check per received copy.
        let mut gossipsub =
            gossipsub::Behaviour::new(gossipsub::MessageAuthenticity::Anonymous, gossip_config)?
                .with_metrics(
                    registry.sub_registry_with_prefix("gossipsub"),
                    Default::default(),
                );
        let topic = gossipsub::IdentTopic::new(RECORDS_TOPIC);
        let (params, thresholds) = score_params(&topic);
        gossipsub.with_peer_score(params, thresholds)?;
        gossipsub.subscribe(&topic)?;

        let mut kad_config = kad::Config::new(KAD_PROTOCOL);
        kad_config.set_query_timeout(Duration::from_secs(30));
        // Kad is for finding peers, not for storing anyone's data: with
        // filtering on, inbound PUT_VALUE and ADD_PROVIDER requests become
        // events that the event loop drops, so no peer can put values or
        // provider records in this node's memory.
        kad_config.set_record_filtering(kad::StoreInserts::FilterBoth);
        if !tuning.discovery {
            // Without discovery kad only answers others. Left alone it puts
            // every peer it connects to in its routing table, bootstraps by
            // itself and dials the peers it finds: connections beyond the
            // configured ones, and the CPU burst that made the first seconds
            // of a 100-node simulation slow.
            kad_config
                .set_kbucket_inserts(kad::BucketInserts::Manual)
                .set_periodic_bootstrap_interval(None);
        }
        let mut kad =
            kad::Behaviour::with_config(peer_id, kad::store::MemoryStore::new(peer_id), kad_config);
        // With discovery, kad serves others: on loopback and LANs no external
        // address is ever confirmed, so left alone it would stay a client and
        // find nothing. Without discovery its routing table stays empty and
        // answering would help nobody, so it is a client: it does not offer
        // the protocol and inbound kad streams are refused.
        kad.set_mode(Some(if tuning.discovery {
            kad::Mode::Server
        } else {
            kad::Mode::Client
        }));

        let identify = identify::Behaviour::new(
            identify::Config::new("/badgemesh/id/1".into(), key.public())
                .with_agent_version(format!("badgemesh/{}", env!("CARGO_PKG_VERSION"))),
        );
        let mdns = if tuning.mdns {
            Some(mdns::tokio::Behaviour::new(
                mdns::Config::default(),
                peer_id,
            )?)
        } else {
            None
        };
        let sync = request_response::Behaviour::with_codec(
            SyncCodec,
            [(SYNC_PROTOCOL, request_response::ProtocolSupport::Full)],
            request_response::Config::default()
                .with_request_timeout(Duration::from_secs(20))
                .with_max_concurrent_streams(MAX_SYNC_STREAMS),
        );
        let limits = connection_limits::ConnectionLimits::default()
            .with_max_established(Some(MAX_ESTABLISHED))
            .with_max_pending_incoming(Some(MAX_PENDING))
            .with_max_pending_outgoing(Some(MAX_PENDING))
            .with_max_established_per_peer(Some(MAX_PER_PEER));
        // Conservative relaying: a few dozen reservations, a few circuits,
        // each short and small (the libp2p defaults' rate limits per peer
        // and per IP stay on).
        let relay = tuning.relay_server.then(|| {
            relay::Behaviour::new(
                peer_id,
                relay::Config {
                    max_reservations: RELAY_MAX_RESERVATIONS,
                    max_reservations_per_peer: 2,
                    max_circuits: RELAY_MAX_CIRCUITS,
                    max_circuits_per_peer: 2,
                    max_circuit_duration: RELAY_MAX_CIRCUIT_DURATION,
                    max_circuit_bytes: RELAY_MAX_CIRCUIT_BYTES,
                    ..relay::Config::default()
                },
            )
        });
        Ok(Behaviour {
            relay: Toggle::from(relay),
            relay_client,
            dcutr: dcutr::Behaviour::new(peer_id),
            autonat: autonat::v2::client::Behaviour::default(),
            autonat_server: autonat::v2::server::Behaviour::default(),
            upnp: Toggle::from(tuning.upnp.then(upnp::tokio::Behaviour::default)),
            limits: connection_limits::Behaviour::new(limits),
            gossipsub,
            kad,
            identify,
            ping: ping::Behaviour::new(ping::Config::new()),
            mdns: Toggle::from(mdns),
            sync,
        })
    }
}
