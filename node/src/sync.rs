//! Anti-entropy rounds with a peer, and the worker that validates gossip.
//!
//! A round asks the peer for its summaries, plans what differs
//! ([`badgemesh_protocol::sync::plan`]), lists ids page by page and fetches
//! what is missing in batches of at most `MAX_GET`, applying each batch in
//! dependency order. Rounds run when a peer connects, periodically, and when
//! gossip delivers a record whose predecessor is missing.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use badgemesh_protocol::envelope::{Envelope, RecordKind};
use badgemesh_protocol::id::RecordId;
use badgemesh_protocol::keys::IssuerId;
use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
use badgemesh_protocol::record::SignedRecord;
use badgemesh_protocol::state::{Outcome, Rejection};
use badgemesh_protocol::sync::{
    KindCode, MAX_GET, SyncRequest, SyncResponse, Want, plan, sort_for_apply,
};
use libp2p::PeerId;
use tokio::sync::mpsc;
use tracing::{debug, warn};

use crate::core::Core;
use crate::network::{NetError, NetEvent, Validation};

/// Most pages of summaries or ids followed in one round.
const MAX_PAGES: usize = 1024;

/// What one round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RoundStats {
    /// Requests sent.
    pub requests: u64,
    /// Records received.
    pub received: u64,
    /// Records stored.
    pub stored: u64,
    /// Bytes of requests sent and responses received.
    pub bytes: u64,
}

async fn ask(
    core: &Core,
    peer: PeerId,
    req: SyncRequest,
    stats: &mut RoundStats,
) -> Result<SyncResponse, NetError> {
    stats.requests += 1;
    let sent = req.to_bytes().len() as u64;
    let response = core.client.request(peer, req).await?;
    let bytes = sent + response.to_bytes().len() as u64;
    stats.bytes += bytes;
    core.metrics.sync_bytes.inc_by(bytes);
    Ok(response)
}

/// Runs one sync round with `peer`.
pub async fn round(core: &Core, peer: PeerId) -> Result<RoundStats, NetError> {
    let mut stats = RoundStats::default();
    let mut after: Option<IssuerId> = None;
    for _ in 0..MAX_PAGES {
        let SyncResponse::Summaries { summaries, more } =
            ask(core, peer, SyncRequest::Summaries { after }, &mut stats).await?
        else {
            return Err(NetError::Request("unexpected response to Summaries".into()));
        };
        for remote in &summaries {
            let local = core
                .ledger
                .read(|r| r.issuer(&remote.issuer).map(|s| s.summary()));
            let carried = core
                .ledger
                .read(|r| r.policy().registries.contains(&remote.issuer));
            for want in plan(local.as_ref(), remote) {
                // Listings of registries this node does not follow would be
                // refused: do not fetch them.
                if !carried
                    && matches!(
                        want.kind,
                        RecordKind::ListingUpdate | RecordKind::ListingHead
                    )
                {
                    continue;
                }
                fetch(core, peer, want, &mut stats).await?;
            }
        }
        after = summaries.last().map(|s| s.issuer);
        if !more || after.is_none() {
            break;
        }
    }
    core.metrics.sync_rounds.inc();
    core.metrics.sync_records.inc_by(stats.stored);
    Ok(stats)
}

async fn fetch(
    core: &Core,
    peer: PeerId,
    want: Want,
    stats: &mut RoundStats,
) -> Result<(), NetError> {
    let kind = KindCode::of(want.kind);
    let mut missing: Vec<RecordId> = Vec::new();
    let mut offset = 0u64;
    for _ in 0..MAX_PAGES {
        let req = SyncRequest::Ids {
            issuer: want.issuer,
            kind,
            from_seq: want.from_seq,
            offset,
        };
        let SyncResponse::Ids { ids, more } = ask(core, peer, req, stats).await? else {
            return Err(NetError::Request("unexpected response to Ids".into()));
        };
        offset += ids.len() as u64;
        let head_id = core
            .ledger
            .read(|r| r.issuer(&want.issuer).map(|s| s.ids(want.kind)));
        missing.extend(core.ledger.read(|r| {
            ids.into_iter()
                .filter(|id| {
                    if matches!(want.kind, RecordKind::Head | RecordKind::ListingHead) {
                        !head_id.as_ref().is_some_and(|h| h.contains(id))
                    } else {
                        !r.knows(id)
                    }
                })
                .collect::<Vec<_>>()
        }));
        if !more {
            break;
        }
    }
    for chunk in missing.chunks(MAX_GET) {
        let req = SyncRequest::Get {
            issuer: want.issuer,
            kind,
            ids: chunk.to_vec(),
        };
        let SyncResponse::Records { records } = ask(core, peer, req, stats).await? else {
            return Err(NetError::Request("unexpected response to Get".into()));
        };
        stats.received += records.len() as u64;
        let mut decoded: Vec<SignedRecord> = Vec::with_capacity(records.len());
        for bytes in &records {
            match SignedRecord::decode(bytes, MAX_ENVELOPE_BYTES) {
                Ok(r) if r.kind() == want.kind && r.record().issuer() == want.issuer => {
                    decoded.push(r)
                }
                Ok(_) => warn!(%peer, "sync peer sent a record we did not ask for"),
                Err(e) => warn!(%peer, "sync peer sent an invalid record: {e}"),
            }
        }
        sort_for_apply(&mut decoded);
        match core.ingest_batch(decoded).await {
            Ok(all) => {
                stats.stored += all.iter().map(|i| i.stored.len() as u64).sum::<u64>();
            }
            Err(e) => log_store_failure(&e),
        }
    }
    Ok(())
}

/// Runs rounds with peers: one at a time per node (so that two peers' rounds
/// never fetch the same records twice), never two queued for the same peer.
/// After a round that stored records, the node nudges its other peers to sync
/// with it, which spreads what a partition kept apart hop by hop.
#[derive(Clone, Debug)]
pub struct Scheduler {
    queued: Arc<Mutex<HashSet<PeerId>>>,
    one_at_a_time: Arc<tokio::sync::Semaphore>,
}

impl Default for Scheduler {
    fn default() -> Self {
        Scheduler {
            queued: Arc::default(),
            one_at_a_time: Arc::new(tokio::sync::Semaphore::new(1)),
        }
    }
}

impl Scheduler {
    /// Starts a round with `peer` in the background unless one is queued,
    /// or the store takes no writes (what a round fetched would be dropped).
    pub fn start(&self, core: &Core, peer: PeerId) {
        if core.ledger.halted().is_some() {
            return;
        }
        {
            let mut queued = self.queued.lock().unwrap_or_else(|e| e.into_inner());
            if !queued.insert(peer) {
                return;
            }
        }
        let (core, me) = (core.clone(), self.clone());
        tokio::spawn(async move {
            let permit = me.one_at_a_time.clone().acquire_owned().await;
            me.queued
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&peer);
            let result = round(&core, peer).await;
            drop(permit);
            match result {
                Ok(s) if s.stored > 0 => {
                    debug!(%peer, ?s, "sync round stored records; nudging peers");
                    nudge_others(&core, peer).await;
                }
                Ok(s) => debug!(%peer, ?s, "sync round done"),
                Err(e) => debug!(%peer, "sync round failed: {e}"),
            }
        });
    }
}

async fn nudge_others(core: &Core, source: PeerId) {
    let Ok(peers) = core.client.peers().await else {
        return;
    };
    for p in peers {
        if let Ok(peer) = p.peer_id.parse::<PeerId>()
            && peer != source
        {
            let client = core.client.clone();
            tokio::spawn(async move {
                let _ = client.request(peer, SyncRequest::Nudge).await;
            });
        }
    }
}

/// A halted store refuses every record with the same reason, which the
/// ledger logged once when the commit failed: the rest go to debug, or every
/// gossip message would log a warning until the restart.
fn log_store_failure(e: &crate::store::StoreError) {
    if matches!(e, crate::store::StoreError::Halted { .. }) {
        debug!("store takes no writes: {e}");
    } else {
        warn!("store failed: {e}");
    }
}

/// Validates gossip: applies each message to the ledger and tells gossipsub to
/// forward it only if it was stored. A record waiting for a predecessor makes
/// the node sync with the peer that sent it.
pub async fn gossip_worker(core: Core, scheduler: Scheduler, mut events: mpsc::Receiver<NetEvent>) {
    while let Some(event) = events.recv().await {
        match event {
            NetEvent::Connected(peer) | NetEvent::Nudged(peer) => scheduler.start(&core, peer),
            NetEvent::Gossip {
                source,
                message_id,
                data,
                received,
            } => {
                // A copy of a record we already hold costs no signature check.
                let known = Envelope::decode(&data, MAX_ENVELOPE_BYTES)
                    .map(|e| e.id())
                    .is_ok_and(|id| core.ledger.read(|r| r.knows(&id)));
                let validation = if known {
                    Validation::Ignore
                } else {
                    match SignedRecord::decode(&data, MAX_ENVELOPE_BYTES) {
                        Err(e) => {
                            debug!(%source, "invalid gossip: {e}");
                            Validation::Reject
                        }
                        Ok(rec) => match core.ingest(rec).await {
                            Ok(i) if i.outcome.is_stored() => Validation::Accept,
                            Ok(i) => match i.outcome {
                                // Over quota is this node's policy, not the sender's fault.
                                Outcome::Rejected(Rejection::OverQuota) => Validation::Ignore,
                                // So is following a registry: the sender may follow it.
                                Outcome::Rejected(Rejection::NotFollowed) => Validation::Ignore,
                                Outcome::Rejected(r) => {
                                    debug!(%source, "rejected gossip: {r}");
                                    Validation::Reject
                                }
                                Outcome::Pending(gap) => {
                                    debug!(%source, "gossip waits for {gap}; syncing");
                                    scheduler.start(&core, source);
                                    Validation::Ignore
                                }
                                _ => Validation::Ignore,
                            },
                            Err(e) => {
                                log_store_failure(&e);
                                Validation::Ignore
                            }
                        },
                    }
                };
                core.metrics.gossip(match validation {
                    Validation::Accept => "accepted",
                    Validation::Reject => "rejected",
                    Validation::Ignore => "ignored",
                });
                core.client
                    .report(message_id, source, validation, received)
                    .await;
            }
        }
    }
}
