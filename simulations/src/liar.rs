//! A raw libp2p peer that speaks the sync protocol and lies: it answers with
//! garbage, with more bytes than a response may have, with records that were
//! not asked for, or never answers. The sync-liar test
//! (`tests/integration/sync_liar.rs`) and the attack scenario use it.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use badgemesh_node::network::SYNC_PROTOCOL;
use badgemesh_protocol::envelope::RecordKind;
use badgemesh_protocol::state::Registry;
use badgemesh_protocol::sync::{
    KindCode, MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES, SyncRequest, SyncResponse, respond,
};
use badgemesh_protocol::testkit::Issuer;
use badgemesh_protocol::time::Timestamp;
use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, StreamExt};
use libp2p::request_response::{self, ProtocolSupport};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, StreamProtocol, noise, tcp, yamux};

/// How the liar answers sync requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lie {
    /// Bytes that are not a sync message.
    Garbage,
    /// More bytes than any response may have.
    Oversized,
    /// Honest summaries and ids of an issuer it holds, then, asked for
    /// records, records of another issuer (asked for whole issuers, those
    /// and one more).
    Unasked,
    /// Keeps every request open and never answers.
    Silent,
    /// Answers honestly, and asks the node to sync with it (`Nudge`) again
    /// and again, eight requests in flight at any time.
    Nudges,
}

/// Nudges a [`Lie::Nudges`] peer keeps in flight.
const NUDGES_IN_FLIGHT: usize = 8;

/// Raw bytes both ways, read with the protocol's limits (plus one byte, so
/// that an oversized response is really sent).
#[derive(Clone, Copy, Debug, Default)]
struct RawCodec;

async fn read_all<T: AsyncRead + Unpin + Send>(io: &mut T, limit: usize) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    io.take(limit as u64).read_to_end(&mut buf).await?;
    Ok(buf)
}

impl request_response::Codec for RawCodec {
    type Protocol = StreamProtocol;
    type Request = Vec<u8>;
    type Response = Vec<u8>;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_all(io, MAX_REQUEST_BYTES).await
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_all(io, MAX_RESPONSE_BYTES + 1).await
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        req: Vec<u8>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        io.write_all(&req).await?;
        io.close().await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        res: Vec<u8>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        io.write_all(&res).await?;
        io.close().await
    }
}

/// Two issuers' records: the liar lists the first and serves the second.
fn holdings(now: Timestamp) -> Registry {
    let mut reg = Registry::new();
    for n in [9_001, 9_002] {
        let mut i = Issuer::new(n, now);
        for r in i.genesis() {
            reg.apply(r, now);
        }
        for k in 0..4 {
            reg.apply(i.revoke(&[k]), now);
        }
    }
    reg
}

fn answer(lie: Lie, reg: &Registry, request: &[u8]) -> Vec<u8> {
    match lie {
        Lie::Garbage => b"\xff\xfe this is not a sync response".to_vec(),
        Lie::Oversized => vec![0x80; MAX_RESPONSE_BYTES + 1],
        Lie::Nudges => SyncRequest::from_bytes(request)
            .map(|req| respond(reg, &req).to_bytes())
            .unwrap_or_default(),
        Lie::Unasked | Lie::Silent => {
            let Ok(req) = SyncRequest::from_bytes(request) else {
                return Vec::new();
            };
            let response = match req {
                SyncRequest::Get { issuer, .. } => {
                    // Everything of the other issuer instead of what was asked.
                    let other = reg.issuers().map(|s| s.id()).find(|i| *i != issuer);
                    let kind = KindCode::of(RecordKind::RevocationUpdate);
                    let ids = other
                        .and_then(|o| reg.issuer(&o))
                        .map(|s| s.ids(RecordKind::RevocationUpdate))
                        .unwrap_or_default();
                    match other {
                        Some(o) => respond(
                            reg,
                            &SyncRequest::Get {
                                issuer: o,
                                kind,
                                ids: ids.into_iter().collect(),
                            },
                        ),
                        None => respond(reg, &req),
                    }
                }
                SyncRequest::Issuers { issuers } => {
                    // Whole issuers, and with them one nobody asked for.
                    let asked = issuers.len();
                    let mut records = match respond(reg, &SyncRequest::Issuers { issuers }) {
                        SyncResponse::IssuerRecords { records, .. } => records,
                        _ => Vec::new(),
                    };
                    let mut stranger = Issuer::new(9_003, Timestamp(0));
                    records.extend(stranger.genesis().iter().map(|r| r.bytes().to_vec()));
                    SyncResponse::IssuerRecords {
                        records,
                        complete: u32::try_from(asked).unwrap_or(0),
                    }
                }
                other => respond(reg, &other),
            };
            response.to_bytes()
        }
    }
}

/// Starts a liar dialing `targets`. Returns its peer id, the number of sync
/// requests it has received so far, and the task that keeps its connections
/// (abort it to stop).
pub fn spawn(
    targets: Vec<Multiaddr>,
    lie: Lie,
    now: Timestamp,
) -> anyhow::Result<(PeerId, Arc<AtomicU64>, tokio::task::JoinHandle<()>)> {
    spawn_counting(targets, lie, now, Arc::default())
}

/// [`spawn`], counting in `sent` the nudges a [`Lie::Nudges`] peer has had
/// answered.
pub fn spawn_counting(
    targets: Vec<Multiaddr>,
    lie: Lie,
    now: Timestamp,
    sent: Arc<AtomicU64>,
) -> anyhow::Result<(PeerId, Arc<AtomicU64>, tokio::task::JoinHandle<()>)> {
    let mut swarm = libp2p::SwarmBuilder::with_new_identity()
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )?
        .with_behaviour(|_| {
            request_response::Behaviour::<RawCodec>::new(
                [(SYNC_PROTOCOL, ProtocolSupport::Full)],
                request_response::Config::default().with_request_timeout(Duration::from_secs(3600)),
            )
        })?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(3600)))
        .build();
    for t in targets {
        swarm.dial(t)?;
    }
    let peer = *swarm.local_peer_id();
    let seen = Arc::new(AtomicU64::new(0));
    let counter = seen.clone();
    let reg = holdings(now);
    let task = tokio::spawn(async move {
        // Silent: the channels are kept, so the requests stay open.
        let mut held = Vec::new();
        let nudge = SyncRequest::Nudge.to_bytes();
        loop {
            match swarm.select_next_some().await {
                SwarmEvent::Behaviour(request_response::Event::Message {
                    message:
                        request_response::Message::Request {
                            request, channel, ..
                        },
                    ..
                }) => {
                    counter.fetch_add(1, Ordering::Relaxed);
                    if lie == Lie::Silent {
                        held.push(channel);
                    } else {
                        let bytes = answer(lie, &reg, &request);
                        let _ = swarm.behaviour_mut().send_response(channel, bytes);
                    }
                }
                SwarmEvent::ConnectionEstablished { peer_id, .. } if lie == Lie::Nudges => {
                    for _ in 0..NUDGES_IN_FLIGHT {
                        swarm.behaviour_mut().send_request(&peer_id, nudge.clone());
                    }
                }
                SwarmEvent::Behaviour(request_response::Event::Message {
                    peer,
                    message: request_response::Message::Response { .. },
                    ..
                }) if lie == Lie::Nudges => {
                    sent.fetch_add(1, Ordering::Relaxed);
                    swarm.behaviour_mut().send_request(&peer, nudge.clone());
                }
                _ => {}
            }
        }
    });
    Ok((peer, seen, task))
}
