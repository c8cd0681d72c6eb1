//! The task that owns the swarm.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use badgemesh_protocol::sync::{SyncResponse, respond};
use futures::StreamExt;
use libp2p::core::ConnectedPoint;
use libp2p::multiaddr::Protocol;
use libp2p::request_response::{self, OutboundRequestId};
use libp2p::swarm::{ConnectionId, SwarmEvent};
use libp2p::{
    Multiaddr, PeerId, Swarm, autonat, dcutr, gossipsub, identify, identity, kad, mdns, noise,
    relay, tcp, yamux,
};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, warn};

use super::behaviour::{
    Behaviour, BehaviourEvent, GRAYLIST_THRESHOLD, GossipTuning, KAD_PROTOCOL, RECORDS_TOPIC,
};
use super::offences::{Offence, Offences};
use super::rate::RateLimiter;
use super::{Command, NetConfig, NetError, NetEvent, PeerInfo, Reachability, Validation};
use crate::ledger::Ledger;

/// Owns the swarm; run it with [`EventLoop::run`].
pub struct EventLoop {
    swarm: Swarm<Behaviour>,
    config: NetConfig,
    ledger: Arc<Ledger>,
    commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<NetEvent>,
    pending_requests: HashMap<OutboundRequestId, oneshot::Sender<Result<SyncResponse, NetError>>>,
    /// Bootstrap addresses and the peer each turned out to be.
    bootstrap: Vec<(Multiaddr, Option<PeerId>)>,
    /// Each connected peer's connections and their addresses.
    connected: HashMap<PeerId, Vec<(ConnectionId, Multiaddr)>>,
    /// What this node knows of its own reachability.
    reach: Reach,
    /// Relays this node listens through (has asked for a reservation at),
    /// each with its listener: a refused reservation closes the listener
    /// before it has any address, so only its id says which relay it was.
    relay_listening: HashMap<PeerId, libp2p::core::transport::ListenerId>,
    topic: gossipsub::IdentTopic,
    sync_rate: RateLimiter,
    /// When each connected peer's nudges may next start a round here, and
    /// when a round its nudges put off will start.
    nudged: HashMap<PeerId, Nudged>,
    /// Senders of invalid records: their application score.
    offences: Offences,
    /// How late the loop's lag ticker fires: how long the loop was busy.
    lag: Histogram,
}

/// One peer's nudges (see [`EventLoop::on_nudge`]).
#[derive(Clone, Copy, Debug)]
struct Nudged {
    /// A nudge from now on starts a round at once.
    next: Instant,
    /// When the round a nudge put off starts.
    put_off: Option<Instant>,
}

/// What the loop has learnt of this node's reachability.
#[derive(Debug, Default)]
struct Reach {
    /// Addresses a peer confirmed it could dial back (AutoNAT).
    external: Vec<Multiaddr>,
    hole_punches_succeeded: u64,
    hole_punches_failed: u64,
    /// Port mappings on the LAN's router.
    upnp: super::upnp::Mappings,
    /// Records received over direct connections and over relayed ones.
    records_direct: u64,
    records_relayed: u64,
}

/// Whether `addr` goes through a relay.
fn is_relayed(addr: &Multiaddr) -> bool {
    addr.iter().any(|p| p == Protocol::P2pCircuit)
}

/// How often the loop measures its own lag: a tick that fires late means the
/// loop was busy (or blocked) for that long.
const LAG_TICK: Duration = Duration::from_millis(100);

/// The shortest time between two rounds that one peer's nudges start here.
/// A nudge says "I stored something you may lack"; a round fetches all of
/// it, so a second nudge soon after adds little, and a partition's records
/// still spread one hop per interval at most.
pub const NUDGE_INTERVAL: Duration = Duration::from_secs(1);

impl std::fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLoop")
            .field("peer_id", self.swarm.local_peer_id())
            .finish()
    }
}

fn peer_of(addr: &Multiaddr) -> Option<PeerId> {
    addr.iter().find_map(|p| match p {
        Protocol::P2p(id) => Some(id),
        _ => None,
    })
}

fn without_peer(addr: &Multiaddr) -> Multiaddr {
    addr.iter()
        .filter(|p| !matches!(p, Protocol::P2p(_)))
        .collect()
}

impl EventLoop {
    pub(crate) fn new(
        key: identity::Keypair,
        config: NetConfig,
        ledger: Arc<Ledger>,
        commands: mpsc::Receiver<Command>,
        events: mpsc::Sender<NetEvent>,
        registry: &mut libp2p::metrics::Registry,
    ) -> Result<Self, NetError> {
        let setup = |e: &dyn std::fmt::Display| NetError::Setup(e.to_string());
        let tuning = GossipTuning {
            heartbeat: config.heartbeat,
            mdns: config.mdns,
            discovery: config.discovery,
            relay_server: config.relay_server,
            upnp: config.upnp,
        };
        let mut swarm = libp2p::SwarmBuilder::with_existing_identity(key)
            .with_tokio()
            .with_tcp(
                tcp::Config::default().nodelay(true),
                noise::Config::new,
                yamux::Config::default,
            )
            .map_err(|e| setup(&e))?
            .with_quic()
            .with_dns()
            .map_err(|e| setup(&e))?
            .with_relay_client(noise::Config::new, yamux::Config::default)
            .map_err(|e| setup(&e))?
            .with_bandwidth_metrics(registry)
            .with_behaviour(|key, relay_client| Behaviour::new(key, relay_client, tuning, registry))
            .map_err(|e| setup(&e))?
            .with_swarm_config(|c| {
                c.with_idle_connection_timeout(Duration::from_secs(60))
                    .with_dial_concurrency_factor(1.try_into().unwrap_or(std::num::NonZeroU8::MIN))
            })
            .build();
        // 50 µs to about 15 s, 25 % apart, so a p99 read from the buckets is
        // within a quarter of the truth.
        let lag = Histogram::new(exponential_buckets(0.000_05, 1.25, 57));
        registry.register(
            "event_loop_lag_seconds",
            "How late the network event loop's 100 ms ticker fires",
            lag.clone(),
        );
        for addr in &config.listen {
            swarm
                .listen_on(addr.clone())
                .map_err(|e| NetError::Setup(format!("listen on {addr}: {e}")))?;
        }
        let bootstrap: Vec<_> = config
            .bootstrap
            .iter()
            .map(|a| (a.clone(), peer_of(a)))
            .collect();
        if bootstrap.is_empty() {
            // Said once, as information: a first node of a network, or one
            // that waits to be dialled, is not an error.
            let lan = if config.mdns {
                "only nodes on this LAN (mDNS) or nodes that dial this one will be found"
            } else {
                "LAN discovery is off, so only nodes that dial this one will be found"
            };
            info!(
                "no bootstrap peers configured: {lan}; to join a network, add one with --bootstrap or `bootstrap` in config.toml (/ip4/.../tcp/4747/p2p/..., /dns4/NAME/tcp/4747, or /dnsaddr/NAME)"
            );
        }
        let upnp = super::upnp::Mappings::new(config.upnp);
        Ok(EventLoop {
            swarm,
            config,
            ledger,
            commands,
            events,
            pending_requests: HashMap::new(),
            bootstrap,
            connected: HashMap::new(),
            reach: Reach {
                upnp,
                ..Reach::default()
            },
            relay_listening: HashMap::new(),
            topic: gossipsub::IdentTopic::new(RECORDS_TOPIC),
            sync_rate: RateLimiter::default(),
            nudged: HashMap::new(),
            offences: Offences::default(),
            lag,
        })
    }

    /// Runs until shut down or every client is dropped.
    pub async fn run(mut self) {
        for addr in self.config.announce.clone() {
            self.swarm.add_external_address(addr);
        }
        self.dial_relays();
        self.redial_bootstrap();
        let mut maintenance = tokio::time::interval(Duration::from_secs(5));
        let mut kad_bootstrap = tokio::time::interval(Duration::from_secs(60));
        // Gossipsub decays its own counters every second; the offence penalties
        // are pushed into it at the same pace.
        let mut decay = tokio::time::interval(Duration::from_secs(1));
        let mut lag = tokio::time::interval(LAG_TICK);
        lag.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                command = self.commands.recv() => match command {
                    Some(Command::Shutdown { reply }) => {
                        self.close();
                        let _ = reply.send(());
                        return;
                    }
                    Some(c) => self.on_command(c),
                    None => {
                        self.close();
                        return;
                    }
                },
                _ = maintenance.tick() => {
                    self.redial_bootstrap();
                    self.dial_relays();
                    self.listen_through_connected_relays();
                }
                _ = decay.tick() => self.decay_offences(),
                due = lag.tick() => {
                    let late = tokio::time::Instant::now().saturating_duration_since(due);
                    self.lag.observe(late.as_secs_f64());
                }
                _ = kad_bootstrap.tick() => {
                    if self.config.discovery {
                        let _ = self.swarm.behaviour_mut().kad.bootstrap();
                    }
                }
            }
        }
    }

    fn close(&mut self) {
        let peers: Vec<PeerId> = self.swarm.connected_peers().copied().collect();
        for p in peers {
            let _ = self.swarm.disconnect_peer_id(p);
        }
    }

    /// Bootstrap peers are redialed when disconnected: libp2p does not reconnect
    /// by itself, and a graceful close looks the same as a crash.
    /// Dials the configured relays that are not connected. A reservation
    /// is asked for once a connection to the relay is up
    /// ([`Self::listen_through`]): asking before, while another dial to the
    /// same relay is under way (a bootstrap dial, say), loses the request.
    fn dial_relays(&mut self) {
        for relay in self.config.relays.clone() {
            if peer_of(&relay).is_some_and(|p| self.connected.contains_key(&p)) {
                continue;
            }
            if let Err(e) = self.swarm.dial(relay.clone()) {
                debug!(%relay, "relay dial failed: {e}");
            }
        }
    }

    /// Listens through `peer` if it is a configured relay not listened
    /// through yet: the relay client asks it for a reservation on the
    /// connection just made, and peers then reach this node at
    /// `RELAY/p2p-circuit/p2p/US` (and punch a hole to it from there).
    fn listen_through(&mut self, peer: PeerId) {
        if self.relay_listening.contains_key(&peer) {
            return;
        }
        let Some(relay) = self
            .config
            .relays
            .iter()
            .find(|r| peer_of(r) == Some(peer))
            .cloned()
        else {
            return;
        };
        let circuit = relay.with(Protocol::P2pCircuit);
        match self.swarm.listen_on(circuit.clone()) {
            Ok(listener) => {
                info!(%circuit, "asking the relay for a reservation");
                self.relay_listening.insert(peer, listener);
            }
            Err(e) => warn!(%circuit, "cannot listen through the relay: {e}"),
        }
    }

    /// Asks again, on the maintenance tick, at the connected relays whose
    /// reservation ended or was refused. A relay serves reservations only
    /// once it knows an address of its own (announced, or confirmed by
    /// AutoNAT some seconds after it starts), so one asked too early
    /// refuses, and the connection it was asked on stays up.
    fn listen_through_connected_relays(&mut self) {
        let relays: Vec<PeerId> = self
            .config
            .relays
            .iter()
            .filter_map(peer_of)
            .filter(|p| self.connected.contains_key(p) && !self.relay_listening.contains_key(p))
            .collect();
        for relay in relays {
            self.listen_through(relay);
        }
    }

    fn redial_bootstrap(&mut self) {
        for (addr, peer) in self.bootstrap.clone() {
            if peer.is_some_and(|p| self.connected.contains_key(&p)) {
                continue;
            }
            if let Err(e) = self.swarm.dial(addr.clone()) {
                debug!(%addr, "bootstrap dial failed: {e}");
            }
        }
    }

    /// Counts `offence` of `peer` (received at `received`) in its
    /// application score, and notes when its score first falls below the
    /// graylist threshold.
    fn offence(&mut self, peer: PeerId, offence: Offence, received: Instant) {
        let now = Instant::now();
        let score = self.offences.add(peer, offence, received, now);
        let gossip = &mut self.swarm.behaviour_mut().gossipsub;
        gossip.set_application_score(&peer, score);
        if gossip
            .peer_score(&peer)
            .is_some_and(|s| s < GRAYLIST_THRESHOLD)
        {
            self.offences.graylisted(&peer, now);
        }
    }

    fn decay_offences(&mut self) {
        if self.offences.is_empty() {
            return;
        }
        let now = Instant::now();
        for (peer, score) in self.offences.decay(now) {
            self.swarm
                .behaviour_mut()
                .gossipsub
                .set_application_score(&peer, score);
        }
    }

    fn wants_more_peers(&self) -> bool {
        self.connected.len() < self.config.target_peers
    }

    fn dial_discovered(&mut self, peer: PeerId, addr: Multiaddr) {
        if peer == *self.swarm.local_peer_id()
            || self.connected.contains_key(&peer)
            || !self.wants_more_peers()
        {
            return;
        }
        let addr = without_peer(&addr).with(Protocol::P2p(peer));
        if let Err(e) = self.swarm.dial(addr) {
            debug!(%peer, "dial failed: {e}");
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Publish { data, reply } => {
                let result = match self
                    .swarm
                    .behaviour_mut()
                    .gossipsub
                    .publish(self.topic.clone(), data)
                {
                    Ok(_) | Err(gossipsub::PublishError::Duplicate) => Ok(()),
                    // Nobody to send to right now: sync carries the record later.
                    Err(gossipsub::PublishError::NoPeersSubscribedToTopic) => Ok(()),
                    Err(e) => Err(e.to_string()),
                };
                let _ = reply.send(result);
            }
            Command::Report {
                message_id,
                source,
                validation,
                received,
            } => {
                let acceptance = match validation {
                    Validation::Accept => gossipsub::MessageAcceptance::Accept,
                    Validation::Reject => gossipsub::MessageAcceptance::Reject,
                    Validation::Ignore | Validation::Unwanted => {
                        gossipsub::MessageAcceptance::Ignore
                    }
                };
                self.swarm
                    .behaviour_mut()
                    .gossipsub
                    .report_message_validation_result(&message_id, &source, acceptance);
                match validation {
                    Validation::Reject => self.offence(source, Offence::InvalidRecord, received),
                    Validation::Unwanted => self.offence(source, Offence::Unwanted, received),
                    Validation::Accept | Validation::Ignore => {}
                }
            }
            Command::Penalise { peer, offence } => self.offence(peer, offence, Instant::now()),
            Command::Request {
                peer,
                request,
                reply,
            } => {
                let id = self.swarm.behaviour_mut().sync.send_request(&peer, request);
                self.pending_requests.insert(id, reply);
            }
            Command::Dial { addr, reply } => {
                let result = self
                    .swarm
                    .dial(addr.clone())
                    .map_err(|e| NetError::Dial(format!("{addr}: {e}")));
                if result.is_ok() && !self.bootstrap.iter().any(|(a, _)| *a == addr) {
                    self.bootstrap.push((addr.clone(), peer_of(&addr)));
                }
                let _ = reply.send(result);
            }
            Command::Peers { reply } => {
                let gossip = &self.swarm.behaviour().gossipsub;
                let topic = self.topic.hash();
                let mesh: std::collections::HashSet<&PeerId> = gossip.mesh_peers(&topic).collect();
                let mut peers: Vec<PeerInfo> = self
                    .connected
                    .iter()
                    .map(|(p, addrs)| {
                        let score = gossip.peer_score(p);
                        let offender = self.offences.get(p);
                        PeerInfo {
                            peer_id: p.to_string(),
                            addresses: addrs.iter().map(|(_, a)| a.to_string()).collect(),
                            score,
                            mesh: mesh.contains(p),
                            graylisted: score.is_some_and(|s| s < GRAYLIST_THRESHOLD),
                            invalid_records: offender.map_or(0, |o| o.invalid),
                            unwanted_records: offender.map_or(0, |o| o.unwanted),
                            bad_sync_responses: offender.map_or(0, |o| o.bad_sync),
                            time_to_graylist_ms: offender
                                .and_then(|o| o.time_to_graylist())
                                .map(|d| d.as_secs_f64() * 1000.0),
                        }
                    })
                    .collect();
                peers.sort_by(|a, b| a.peer_id.cmp(&b.peer_id));
                let _ = reply.send(peers);
            }
            Command::ListenAddrs { reply } => {
                let _ = reply.send(self.swarm.listeners().cloned().collect());
            }
            Command::Reachability { reply } => {
                let relayed = is_relayed;
                let conns = self.connected.values().flatten();
                let (relayed_conns, direct_conns) =
                    conns.fold(
                        (0, 0),
                        |(r, d), (_, a)| if relayed(a) { (r + 1, d) } else { (r, d + 1) },
                    );
                let _ = reply.send(Reachability {
                    external: self
                        .reach
                        .external
                        .iter()
                        .map(ToString::to_string)
                        .collect(),
                    relayed_listen: self
                        .swarm
                        .listeners()
                        .filter(|a| relayed(a))
                        .map(ToString::to_string)
                        .collect(),
                    direct_connections: direct_conns,
                    relayed_connections: relayed_conns,
                    hole_punches_succeeded: self.reach.hole_punches_succeeded,
                    hole_punches_failed: self.reach.hole_punches_failed,
                    relay_server: self.config.relay_server,
                    upnp: self.reach.upnp.status.describe(),
                    records_direct: self.reach.records_direct,
                    records_relayed: self.reach.records_relayed,
                    upnp_mapped: self
                        .reach
                        .upnp
                        .mapped
                        .iter()
                        .map(ToString::to_string)
                        .collect(),
                });
            }
            Command::Shutdown { .. } => {}
        }
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::Behaviour(BehaviourEvent::Gossipsub(gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            })) => {
                // Gossipsub tells the peer, not the connection: a peer with
                // a direct connection is sent on it (gossipsub does not run
                // over relayed, limited connections), so count it direct.
                let direct = self
                    .connected
                    .get(&propagation_source)
                    .is_some_and(|c| c.iter().any(|(_, a)| !is_relayed(a)));
                self.count_records(1, direct);
                let event = NetEvent::Gossip {
                    source: propagation_source,
                    message_id: message_id.clone(),
                    data: message.data,
                    received: Instant::now(),
                };
                if self.events.try_send(event).is_err() {
                    // The ingest worker is saturated: drop without penalty
                    // rather than stall the loop.
                    self.swarm
                        .behaviour_mut()
                        .gossipsub
                        .report_message_validation_result(
                            &message_id,
                            &propagation_source,
                            gossipsub::MessageAcceptance::Ignore,
                        );
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Sync(event)) => self.on_sync_event(event),
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) if self.config.discovery && info.protocols.contains(&KAD_PROTOCOL) => {
                for addr in info.listen_addrs {
                    self.swarm.behaviour_mut().kad.add_address(&peer_id, addr);
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Mdns(mdns::Event::Discovered(list))) => {
                for (peer, addr) in list {
                    if self.config.discovery {
                        self.swarm
                            .behaviour_mut()
                            .kad
                            .add_address(&peer, addr.clone());
                    }
                    self.dial_discovered(peer, addr);
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Kad(kad::Event::RoutingUpdated {
                peer,
                addresses,
                ..
            })) if self.config.discovery => {
                self.dial_discovered(peer, addresses.first().clone());
            }
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                endpoint,
                num_established,
                ..
            } => {
                let addr = match &endpoint {
                    ConnectedPoint::Dialer { address, .. } => address.clone(),
                    ConnectedPoint::Listener { send_back_addr, .. } => send_back_addr.clone(),
                };
                if let ConnectedPoint::Dialer { address, .. } = &endpoint {
                    let plain = without_peer(address);
                    for (a, p) in &mut self.bootstrap {
                        if p.is_none() && without_peer(a) == plain {
                            *p = Some(peer_id);
                        }
                    }
                }
                self.connected
                    .entry(peer_id)
                    .or_default()
                    .push((connection_id, addr));
                if !endpoint.is_relayed() {
                    self.listen_through(peer_id);
                }
                if num_established.get() == 1 {
                    info!(%peer_id, "connected");
                    let _ = self.events.try_send(NetEvent::Connected(peer_id));
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                connection_id,
                num_established,
                ..
            } => {
                if num_established == 0 {
                    info!(%peer_id, "disconnected");
                    self.connected.remove(&peer_id);
                    self.nudged.remove(&peer_id);
                    self.relay_listening.remove(&peer_id);
                } else if let Some(conns) = self.connected.get_mut(&peer_id) {
                    conns.retain(|(id, _)| *id != connection_id);
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::RelayClient(
                relay::client::Event::ReservationReqAccepted {
                    relay_peer_id,
                    renewal: false,
                    ..
                },
            )) => info!(relay = %relay_peer_id, "reachable through the relay"),
            SwarmEvent::Behaviour(BehaviourEvent::Dcutr(dcutr::Event {
                remote_peer_id,
                result,
            })) => match result {
                Ok(_) => {
                    self.reach.hole_punches_succeeded += 1;
                    info!(peer = %remote_peer_id, "direct connection by hole punching");
                }
                Err(e) => {
                    self.reach.hole_punches_failed += 1;
                    debug!(peer = %remote_peer_id, "hole punching failed: {e}");
                }
            },
            SwarmEvent::Behaviour(BehaviourEvent::Autonat(autonat::v2::client::Event {
                tested_addr,
                result,
                ..
            })) => match result {
                Ok(()) => debug!(%tested_addr, "reachable, a peer dialled it back"),
                // Once per candidate (a failed one is not tried again): an
                // operator learns why the node is not reachable directly.
                Err(e) => info!(%tested_addr, "autonat: not reachable from outside: {e}"),
            },
            SwarmEvent::Behaviour(BehaviourEvent::Upnp(e)) => self.reach.upnp.on_event(e),
            SwarmEvent::ExternalAddrConfirmed { address } => {
                info!(%address, "reachable from outside");
                if !self.reach.external.contains(&address) {
                    self.reach.external.push(address);
                }
            }
            SwarmEvent::ListenerClosed {
                listener_id,
                reason,
                ..
            } => {
                // A relayed listener ends with its relay connection or
                // reservation, or at once when the relay refuses: ask
                // again on the next connection or maintenance tick.
                let ended: Vec<PeerId> = self
                    .relay_listening
                    .iter()
                    .filter(|(_, l)| **l == listener_id)
                    .map(|(p, _)| *p)
                    .collect();
                for relay in ended {
                    self.relay_listening.remove(&relay);
                    match &reason {
                        Ok(()) => info!(%relay, "the reservation at the relay ended"),
                        Err(e) => {
                            info!(%relay, "no reservation at the relay ({e}); asking again shortly")
                        }
                    }
                }
            }
            SwarmEvent::ExternalAddrExpired { address } => {
                self.reach.external.retain(|a| *a != address);
            }
            SwarmEvent::NewListenAddr { address, .. } => info!(%address, "listening"),
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                debug!(?peer_id, "outgoing connection failed: {error}");
            }
            _ => {}
        }
    }

    /// Counts records received, by the kind of connection they came on
    /// (the NAT test reports the share).
    fn count_records(&mut self, n: u64, direct: bool) {
        if direct {
            self.reach.records_direct += n;
        } else {
            self.reach.records_relayed += n;
        }
    }

    /// A peer asks this node to sync with it. A nudge costs its sender one
    /// small request and the receiver a whole round, so one peer's nudges
    /// start at most one round per [`NUDGE_INTERVAL`]: without this, a peer
    /// nudging as fast as the rate limit allows kept the node in
    /// back-to-back rounds with it. A nudge too soon after the last is put
    /// off, not dropped (the peer stored something since that round began):
    /// one round starts when the interval ends, and covers every nudge
    /// before it.
    fn on_nudge(&mut self, peer: PeerId, now: Instant) {
        let state = self.nudged.entry(peer).or_insert(Nudged {
            next: now,
            put_off: None,
        });
        if state.put_off.is_some_and(|at| at > now) {
            return;
        }
        if now >= state.next {
            state.next = now + NUDGE_INTERVAL;
            let _ = self.events.try_send(NetEvent::Nudged(peer));
            return;
        }
        let at = state.next;
        state.put_off = Some(at);
        state.next = at + NUDGE_INTERVAL;
        debug!(%peer, "nudge put off until the interval ends");
        let events = self.events.clone();
        tokio::spawn(async move {
            tokio::time::sleep_until(at.into()).await;
            let _ = events.try_send(NetEvent::Nudged(peer));
        });
    }

    fn on_sync_event(
        &mut self,
        event: request_response::Event<badgemesh_protocol::sync::SyncRequest, SyncResponse>,
    ) {
        match event {
            request_response::Event::Message {
                message,
                peer,
                connection_id,
            } => match message {
                request_response::Message::Request {
                    request, channel, ..
                } => {
                    let now = Instant::now();
                    // Answered from the last committed snapshot: no lock is
                    // held, and each answer is bounded work (see `respond`).
                    let response = match self.sync_rate.allow(peer, now) {
                        Ok(()) => {
                            if request == badgemesh_protocol::sync::SyncRequest::Nudge {
                                self.on_nudge(peer, now);
                            }
                            respond(&self.ledger.snapshot(), &request)
                        }
                        Err(limit) => {
                            debug!(%peer, ?limit, "sync request rate limited");
                            SyncResponse::Error {
                                message: "rate limited: slow down".into(),
                            }
                        }
                    };
                    if self
                        .swarm
                        .behaviour_mut()
                        .sync
                        .send_response(channel, response)
                        .is_err()
                    {
                        debug!(%peer, "sync response not sent: peer gone");
                    }
                }
                request_response::Message::Response {
                    request_id,
                    response,
                } => {
                    if let SyncResponse::Records { records }
                    | SyncResponse::IssuerRecords { records, .. } = &response
                    {
                        let direct = self.connected.get(&peer).is_some_and(|c| {
                            c.iter()
                                .any(|(id, a)| *id == connection_id && !is_relayed(a))
                        });
                        self.count_records(records.len() as u64, direct);
                    }
                    if let Some(reply) = self.pending_requests.remove(&request_id) {
                        let _ = reply.send(Ok(response));
                    }
                }
            },
            request_response::Event::OutboundFailure {
                request_id,
                error,
                peer,
                ..
            } => {
                debug!(%peer, "sync request failed: {error}");
                // The codec refuses a response that is too large or does
                // not decode: the peer answered with something no honest
                // node sends. (Timeouts and closed connections cost nothing:
                // slow is not malicious.)
                if let request_response::OutboundFailure::Io(e) = &error
                    && e.kind() == std::io::ErrorKind::InvalidData
                {
                    self.offence(peer, Offence::BadSync, Instant::now());
                }
                if let Some(reply) = self.pending_requests.remove(&request_id) {
                    let _ = reply.send(Err(NetError::Request(error.to_string())));
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                warn!(%peer, "inbound sync request failed: {error}");
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }
}
