//! Anti-entropy rounds with a peer, and the worker that validates gossip.
//!
//! A round asks the peer for its summaries, plans what differs
//! ([`badgemesh_protocol::sync::plan`]), lists ids page by page and fetches
//! what is missing from each page in batches of at most `MAX_GET`, applying
//! each batch in dependency order. Rounds run when a peer connects,
//! periodically, and when gossip delivers a record whose predecessor is
//! missing.
//!
//! The peer is not trusted: every response is checked against its request
//! ([`check_response`]), pages and rounds are bounded (`MAX_SUMMARY_PAGES`,
//! `MAX_ID_PAGES`, [`ROUND_DEADLINE`]), issuers over this node's quota are
//! not fetched, and a response that breaks the protocol or carries a forged
//! record costs the peer ([`Offence::BadSync`], [`Offence::InvalidRecord`])
//! and ends the round. Rounds with different peers run side by side (at most
//! [`MAX_CONCURRENT_ROUNDS`]), so a slow or silent peer holds up only its own.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use badgemesh_protocol::envelope::{Envelope, RecordKind};
use badgemesh_protocol::keys::IssuerId;
use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
use badgemesh_protocol::record::{Record, SignedRecord};
use badgemesh_protocol::state::{Outcome, Rejection};
use badgemesh_protocol::sync::{
    KindCode, MAX_GET, MAX_ISSUERS, SyncRequest, SyncResponse, Want, check_response, plan,
    sort_for_apply,
};
use libp2p::PeerId;
use tokio::sync::mpsc;
use tracing::{debug, warn};

use crate::core::Core;
use crate::network::{NetError, NetEvent, Offence, Validation};

/// Most pages of summaries followed in one round (131,072 issuers).
const MAX_SUMMARY_PAGES: usize = 256;
/// Most pages of ids followed for one issuer and kind (a million ids); each
/// page's missing records are fetched before the next page is asked for, so
/// memory holds one page.
const MAX_ID_PAGES: usize = 1024;
/// The longest a round may take: a peer that answers slowly, or pages
/// without end, loses its round, not the node's sync.
pub const ROUND_DEADLINE: Duration = Duration::from_secs(120);
/// Rounds running at once, each with a different peer.
pub const MAX_CONCURRENT_ROUNDS: usize = 4;

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

/// Sends `req` and checks that the response answers it. A response that
/// breaks the protocol costs the peer and ends the round; an error response
/// (rate limited, busy) ends it without blame.
async fn ask(
    core: &Core,
    peer: PeerId,
    req: SyncRequest,
    stats: &mut RoundStats,
) -> Result<SyncResponse, NetError> {
    stats.requests += 1;
    core.metrics.sync_requests.inc();
    let sent = req.to_bytes().len() as u64;
    let response = core.client.request(peer, req.clone()).await?;
    let bytes = sent + response.to_bytes().len() as u64;
    stats.bytes += bytes;
    core.metrics.sync_bytes.inc_by(bytes);
    if let Err(v) = check_response(&req, &response) {
        warn!(%peer, "sync peer broke the protocol: {v}");
        core.client.penalise(peer, Offence::BadSync).await;
        return Err(NetError::Request(format!("peer broke sync: {v}")));
    }
    if let SyncResponse::Error { message } = response {
        return Err(NetError::Request(format!("peer refused: {message}")));
    }
    Ok(response)
}

/// Runs one sync round with `peer` (without a deadline: see [`Scheduler`]).
pub async fn round(core: &Core, peer: PeerId) -> Result<RoundStats, NetError> {
    let mut stats = RoundStats::default();
    let mut after: Option<IssuerId> = None;
    for _ in 0..MAX_SUMMARY_PAGES {
        let SyncResponse::Summaries { summaries, more } =
            ask(core, peer, SyncRequest::Summaries { after }, &mut stats).await?
        else {
            return Err(NetError::Request("unexpected response to Summaries".into()));
        };
        // Issuers this node does not know come whole, many per request.
        let unknown: Vec<IssuerId> = core.ledger.read(|r| {
            summaries
                .iter()
                .map(|s| s.issuer)
                .filter(|i| r.issuer(i).is_none() && !r.is_over_quota(i))
                .collect()
        });
        let whole = fetch_issuers(core, peer, &unknown, &mut stats).await?;
        for remote in summaries.iter().filter(|s| !whole.contains(&s.issuer)) {
            let (local, over_quota, carried) = core.ledger.read(|r| {
                (
                    r.issuer(&remote.issuer).map(|s| s.summary()),
                    r.is_over_quota(&remote.issuer),
                    r.policy().registries.contains(&remote.issuer),
                )
            });
            for want in plan(local.as_ref(), remote) {
                // Heads replace each other and are exempt from quotas.
                let refused_by_quota =
                    over_quota && !matches!(want.kind, RecordKind::Head | RecordKind::ListingHead);
                // Listings of registries this node does not follow would be
                // refused: do not fetch them.
                let not_followed = !carried
                    && matches!(
                        want.kind,
                        RecordKind::ListingUpdate | RecordKind::ListingHead
                    );
                if refused_by_quota || not_followed {
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
    let mut offset = 0u64;
    for _ in 0..MAX_ID_PAGES {
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
        let missing: Vec<_> = core.ledger.read(|r| {
            let heads = r.issuer(&want.issuer).map(|s| s.ids(want.kind));
            ids.iter()
                .filter(|id| {
                    if matches!(want.kind, RecordKind::Head | RecordKind::ListingHead) {
                        !heads.as_ref().is_some_and(|h| h.contains(id))
                    } else {
                        !r.knows(id)
                    }
                })
                .copied()
                .collect()
        });
        for chunk in missing.chunks(MAX_GET) {
            if want.kind != RecordKind::Head && core.ledger.read(|r| r.is_over_quota(&want.issuer))
            {
                return Ok(());
            }
            get(core, peer, want, chunk.to_vec(), stats).await?;
        }
        if !more || ids.is_empty() {
            break;
        }
    }
    Ok(())
}

/// Fetches issuers this node does not know, whole, [`MAX_ISSUERS`] per
/// request, and applies them; returns those that came whole (the others
/// are synced kind by kind: one alone too large for a response).
async fn fetch_issuers(
    core: &Core,
    peer: PeerId,
    issuers: &[IssuerId],
    stats: &mut RoundStats,
) -> Result<HashSet<IssuerId>, NetError> {
    let mut whole = HashSet::new();
    let mut left = issuers;
    while !left.is_empty() {
        let asked = &left[..left.len().min(MAX_ISSUERS)];
        let req = SyncRequest::Issuers {
            issuers: asked.to_vec(),
        };
        let SyncResponse::IssuerRecords { records, complete } = ask(core, peer, req, stats).await?
        else {
            return Err(NetError::Request("unexpected response to Issuers".into()));
        };
        let complete = usize::try_from(complete).unwrap_or(0).min(asked.len());
        stats.received += records.len() as u64;
        let wanted: HashSet<IssuerId> = asked.iter().copied().collect();
        let decoded = tokio::task::spawn_blocking(move || {
            // Signatures checked in batches, as at start-up.
            let refs: Vec<&[u8]> = records.iter().map(Vec::as_slice).collect();
            SignedRecord::decode_many(&refs, MAX_ENVELOPE_BYTES)
                .into_iter()
                .map(|r| {
                    let r =
                        r.map_err(|e| (Offence::InvalidRecord, format!("an invalid record: {e}")))?;
                    if wanted.contains(&r.record().issuer()) {
                        Ok(r)
                    } else {
                        Err((
                            Offence::BadSync,
                            "a record of an issuer not asked for".into(),
                        ))
                    }
                })
                .collect::<Result<Vec<_>, (Offence, String)>>()
        })
        .await
        .map_err(|e| NetError::Request(format!("decoding task failed: {e}")))?;
        let mut decoded = match decoded {
            Ok(d) => d,
            Err((offence, why)) => return Err(blame(core, peer, offence, &why).await),
        };
        sort_for_apply(&mut decoded);
        apply_fetched(core, peer, decoded, stats).await?;
        whole.extend(asked[..complete].iter().copied());
        // The first issuer alone did not fit: it goes kind by kind.
        left = &left[complete.max(1)..];
    }
    Ok(whole)
}

/// Applies fetched records in one commit; a record no honest node stores
/// costs the peer and ends the round.
async fn apply_fetched(
    core: &Core,
    peer: PeerId,
    records: Vec<SignedRecord>,
    stats: &mut RoundStats,
) -> Result<(), NetError> {
    match core.ingest_batch(records).await {
        Ok(all) => {
            stats.stored += all.iter().map(|i| i.stored.len() as u64).sum::<u64>();
            if let Some(r) = all.iter().find_map(|i| match &i.outcome {
                Outcome::Rejected(r) if forged(r) => Some(r),
                _ => None,
            }) {
                let why = format!("a record no honest node stores: {r}");
                return Err(blame(core, peer, Offence::InvalidRecord, &why).await);
            }
        }
        Err(e) => log_store_failure(&e),
    }
    Ok(())
}

/// Fetches and applies one batch. The ids were checked against the request;
/// here each record must also verify and belong to the issuer and kind asked.
async fn get(
    core: &Core,
    peer: PeerId,
    want: Want,
    ids: Vec<badgemesh_protocol::id::RecordId>,
    stats: &mut RoundStats,
) -> Result<(), NetError> {
    let req = SyncRequest::Get {
        issuer: want.issuer,
        kind: KindCode::of(want.kind),
        ids,
    };
    let SyncResponse::Records { records } = ask(core, peer, req, stats).await? else {
        return Err(NetError::Request("unexpected response to Get".into()));
    };
    stats.received += records.len() as u64;
    let mut decoded: Vec<SignedRecord> = Vec::with_capacity(records.len());
    for bytes in &records {
        match SignedRecord::decode(bytes, MAX_ENVELOPE_BYTES) {
            Ok(r) if r.kind() == want.kind && r.record().issuer() == want.issuer => decoded.push(r),
            Ok(_) => {
                return Err(blame(core, peer, Offence::BadSync, "a record not asked for").await);
            }
            Err(e) => {
                let why = format!("an invalid record: {e}");
                return Err(blame(core, peer, Offence::InvalidRecord, &why).await);
            }
        }
    }
    sort_for_apply(&mut decoded);
    apply_fetched(core, peer, decoded, stats).await
}

/// Whether a rejection means the record could never have been accepted by
/// an honest node. Others (a key rotated away in between, clock skew, full
/// pools, quotas) can differ between honest nodes and cost nothing in sync,
/// or an honest peer would be punished again every round.
fn forged(r: &Rejection) -> bool {
    matches!(
        r,
        Rejection::KeyOfOtherIssuer
            | Rejection::PreRotationMismatch
            | Rejection::BrokenChain(_)
            | Rejection::TimeWentBackwards
    )
}

async fn blame(core: &Core, peer: PeerId, offence: Offence, what: &str) -> NetError {
    warn!(%peer, "sync peer sent {what}");
    core.client.penalise(peer, offence).await;
    NetError::Request(format!("peer sent {what}"))
}

/// Runs rounds with peers: at most [`MAX_CONCURRENT_ROUNDS`] at once, one at a
/// time per peer, each within [`ROUND_DEADLINE`]; a round asked for while one
/// with the same peer runs follows it. After a round that stored records, the
/// node nudges its other peers to sync with it, which spreads what a
/// partition kept apart hop by hop. Two rounds with different peers may fetch
/// the same record; the second copy is a duplicate, dropped before any
/// signature check.
#[derive(Clone, Debug)]
pub struct Scheduler {
    /// Peers with a round queued or running; `true`: run another after it.
    active: Arc<Mutex<HashMap<PeerId, bool>>>,
    rounds: Arc<tokio::sync::Semaphore>,
}

impl Default for Scheduler {
    fn default() -> Self {
        Scheduler {
            active: Arc::default(),
            rounds: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_ROUNDS)),
        }
    }
}

impl Scheduler {
    /// Starts a round with `peer` in the background (after the running one
    /// with it, if any), unless the store takes no writes (what a round
    /// fetched would be dropped).
    pub fn start(&self, core: &Core, peer: PeerId) {
        if core.ledger.halted().is_some() {
            return;
        }
        {
            let mut active = self.active.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(again) = active.get_mut(&peer) {
                *again = true;
                return;
            }
            active.insert(peer, false);
        }
        let (core, me) = (core.clone(), self.clone());
        tokio::spawn(async move {
            loop {
                let permit = me.rounds.clone().acquire_owned().await;
                let result = tokio::time::timeout(ROUND_DEADLINE, round(&core, peer))
                    .await
                    .unwrap_or_else(|_| Err(NetError::Request("round deadline passed".into())));
                drop(permit);
                match result {
                    Ok(s) if s.stored > 0 => {
                        debug!(%peer, ?s, "sync round stored records; nudging peers");
                        nudge_others(&core, peer).await;
                    }
                    Ok(s) => debug!(%peer, ?s, "sync round done"),
                    Err(e) => debug!(%peer, "sync round failed: {e}"),
                }
                let mut active = me.active.lock().unwrap_or_else(|e| e.into_inner());
                match active.get_mut(&peer) {
                    Some(again) if *again && core.ledger.halted().is_none() => *again = false,
                    _ => {
                        active.remove(&peer);
                        return;
                    }
                }
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
                        // An assertion's endorsement travels with the
                        // assertion, never by gossip (who earned what is
                        // private): not stored, not forwarded. No penalty:
                        // the sender may be an older or differently built
                        // node.
                        Ok(rec) if is_private(&rec) => {
                            debug!(%source, "gossip of an assertion's endorsement dropped");
                            Validation::Ignore
                        }
                        Ok(rec) => {
                            let vouched = core.ledger.read(|r| r.vouches_for(&rec));
                            match core.ingest(rec).await {
                                Ok(i) => {
                                    if let Outcome::Pending(gap) = &i.outcome {
                                        debug!(%source, "gossip waits for {gap}; syncing");
                                        scheduler.start(&core, source);
                                    }
                                    if let Outcome::Rejected(r) = &i.outcome {
                                        debug!(%source, "refused gossip: {r}");
                                    }
                                    validation_of(&i.outcome, vouched)
                                }
                                Err(e) => {
                                    log_store_failure(&e);
                                    Validation::Ignore
                                }
                            }
                        }
                    }
                };
                core.metrics.gossip(match validation {
                    Validation::Accept => "accepted",
                    Validation::Reject => "rejected",
                    Validation::Ignore => "ignored",
                    Validation::Unwanted => "unwanted",
                });
                core.client
                    .report(message_id, source, validation, received)
                    .await;
            }
        }
    }
}

/// Whether `rec` is private to an earner: an endorsement of an assertion.
fn is_private(rec: &SignedRecord) -> bool {
    matches!(rec.record(), Record::Endorsement(e) if !e.subject.is_public())
}

/// What gossipsub is told about a record this node applied (`vouched`:
/// whether its signer was bound to its issuer before it was applied). Only
/// what was stored is forwarded. A record over quota, or one that waits for
/// a key nothing binds to its issuer (anyone can make those), is dropped and
/// costs its sender a little. A full pending pool is this node's state, not
/// the sender's fault: an honest peer forwarding a genuine out-of-order
/// record is never rejected for it.
pub fn validation_of(outcome: &Outcome, vouched: bool) -> Validation {
    match outcome {
        o if o.is_stored() => Validation::Accept,
        Outcome::Rejected(Rejection::OverQuota | Rejection::TooManyCheckpoints) => {
            Validation::Unwanted
        }
        // Following a registry is this node's choice: its sender may follow
        // it, so relaying its listings costs nothing.
        Outcome::Rejected(Rejection::NotFollowed) => Validation::Ignore,
        Outcome::Pending(_) | Outcome::Rejected(Rejection::PendingFull) if !vouched => {
            Validation::Unwanted
        }
        Outcome::Rejected(Rejection::PendingFull) => Validation::Ignore,
        Outcome::Rejected(_) => Validation::Reject,
        _ => Validation::Ignore,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_pending_pool_never_rejects_and_over_quota_is_unwanted() {
        let full = Outcome::Rejected(Rejection::PendingFull);
        assert_eq!(validation_of(&full, true), Validation::Ignore);
        assert_eq!(validation_of(&full, false), Validation::Unwanted);
        let over = Outcome::Rejected(Rejection::OverQuota);
        assert_eq!(validation_of(&over, true), Validation::Unwanted);
        let waits = Outcome::Pending(badgemesh_protocol::state::Gap::UnknownKey(
            badgemesh_protocol::keys::IssuerId::unset(),
        ));
        assert_eq!(validation_of(&waits, true), Validation::Ignore);
        assert_eq!(validation_of(&waits, false), Validation::Unwanted);
        let unfollowed = Outcome::Rejected(Rejection::NotFollowed);
        assert_eq!(validation_of(&unfollowed, false), Validation::Ignore);
        let forged = Outcome::Rejected(Rejection::KeyOfOtherIssuer);
        assert_eq!(validation_of(&forged, true), Validation::Reject);
        assert_eq!(validation_of(&Outcome::Accepted, false), Validation::Accept);
        assert_eq!(validation_of(&Outcome::Duplicate, true), Validation::Ignore);
    }
}
