//! The anti-entropy sync protocol: messages, the responder, and the plan of
//! what to fetch. Pure; the node carries the messages over libp2p
//! request-response.
//!
//! A round: ask a peer for its per-issuer summaries; for each issuer whose
//! summary differs from ours, ask for the ids of each differing kind (for
//! revocation updates, only from our highest sequence number on, unless the
//! digests still differ at equal sequence, which means a fork); fetch the ids
//! we lack in bounded batches and apply them in [`SignedRecord::apply_order`].
//! A node that was offline, or new, converges by sync alone.

mod check;

pub use check::{Violation, check_response};

use minicbor::{Decode, Encode};

use crate::envelope::RecordKind;
use crate::id::RecordId;
use crate::keys::IssuerId;
use std::sync::Arc;

use crate::record::SignedRecord;
use crate::state::{IssuerSummary, Registry};

/// Largest encoded request.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// Largest encoded response.
pub const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;
/// Most summaries in one response.
pub const MAX_SUMMARIES: usize = 512;
/// Most ids in one response.
pub const MAX_IDS: usize = 1024;
/// Most ids asked for in one `Get`.
pub const MAX_GET: usize = 128;
/// Most issuers asked for in one `Issuers` request.
pub const MAX_ISSUERS: usize = 64;

/// A sync request.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum SyncRequest {
    /// Summaries of issuers after `after` in issuer order.
    #[n(0)]
    Summaries {
        /// Resume after this issuer.
        #[n(0)]
        after: Option<IssuerId>,
    },
    /// Ids of one kind of one issuer.
    #[n(1)]
    Ids {
        /// The issuer.
        #[n(0)]
        issuer: IssuerId,
        /// The kind.
        #[n(1)]
        kind: KindCode,
        /// For revocation and listing updates: only sequence numbers from this one.
        #[n(2)]
        from_seq: u64,
        /// Skip this many (paging).
        #[n(3)]
        offset: u64,
    },
    /// Records by id.
    #[n(2)]
    Get {
        /// The issuer they belong to.
        #[n(0)]
        issuer: IssuerId,
        /// The kind.
        #[n(1)]
        kind: KindCode,
        /// At most [`MAX_GET`] ids.
        #[n(2)]
        ids: Vec<RecordId>,
    },
    /// "I stored records you may lack: sync with me." The receiver answers
    /// with an empty page and schedules a round with the sender; this spreads
    /// what a partition kept apart hop by hop, by sync, without gossip floods.
    #[n(3)]
    Nudge,
    /// Every record held of issuers the asker does not know at all, whole
    /// issuers at a time: what a new node needs, in one request per
    /// [`MAX_ISSUERS`] issuers instead of an `Ids` and a `Get` for each kind
    /// of each issuer (with thousands of issuers, the per-peer request rate
    /// made that take minutes).
    #[n(4)]
    Issuers {
        /// At most [`MAX_ISSUERS`] issuers.
        #[n(0)]
        issuers: Vec<IssuerId>,
    },
}

/// A sync response.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum SyncResponse {
    /// A page of summaries.
    #[n(0)]
    Summaries {
        /// The summaries.
        #[n(0)]
        summaries: Vec<IssuerSummary>,
        /// Whether more follow.
        #[n(1)]
        more: bool,
    },
    /// A page of ids.
    #[n(1)]
    Ids {
        /// The ids.
        #[n(0)]
        ids: Vec<RecordId>,
        /// Whether more follow.
        #[n(1)]
        more: bool,
    },
    /// Envelope bytes of the records found (missing ones are left out).
    #[n(2)]
    Records {
        /// The envelopes.
        #[cbor(n(0), with = "envelopes")]
        records: Vec<Vec<u8>>,
    },
    /// Records of the issuers asked, in request order, each issuer's in
    /// apply order, as many whole issuers as fit in a response.
    #[n(4)]
    IssuerRecords {
        /// The envelopes.
        #[cbor(n(0), with = "envelopes")]
        records: Vec<Vec<u8>>,
        /// How many of the issuers asked, from the first, are whole in
        /// `records` (an issuer this node does not know counts, with no
        /// records). When the first alone does not fit, this is 0 and
        /// `records` holds as much of it as fits: sync it kind by kind.
        #[n(1)]
        complete: u32,
    },
    /// The request could not be served.
    #[n(3)]
    Error {
        /// Why.
        #[n(0)]
        message: String,
    },
}

/// A record kind on the wire: its index in [`RecordKind::ALL`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
#[cbor(transparent)]
pub struct KindCode(#[n(0)] pub u8);

impl KindCode {
    /// The code of `kind`.
    pub fn of(kind: RecordKind) -> Self {
        KindCode(RecordKind::ALL.iter().position(|k| *k == kind).unwrap_or(0) as u8)
    }

    /// The kind, if the code names one.
    pub fn kind(self) -> Option<RecordKind> {
        RecordKind::ALL.get(usize::from(self.0)).copied()
    }
}

mod envelopes {
    use minicbor::decode::{Decoder, Error as DecodeError};
    use minicbor::encode::{Encoder, Error as EncodeError, Write};

    pub fn encode<C, W: Write>(
        v: &[Vec<u8>],
        e: &mut Encoder<W>,
        _: &mut C,
    ) -> Result<(), EncodeError<W::Error>> {
        e.array(v.len() as u64)?;
        for b in v {
            e.bytes(b)?;
        }
        Ok(())
    }

    pub fn decode<C>(d: &mut Decoder<'_>, _: &mut C) -> Result<Vec<Vec<u8>>, DecodeError> {
        let mut out = Vec::new();
        for b in d.array_iter::<&minicbor::bytes::ByteSlice>()? {
            out.push(b?.to_vec());
        }
        Ok(out)
    }
}

/// A sync message that does not decode.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("bad sync message: {0}")]
pub struct SyncDecodeError(String);

fn decode_bounded<T: for<'b> Decode<'b, ()>>(
    bytes: &[u8],
    limit: usize,
) -> Result<T, SyncDecodeError> {
    if bytes.len() > limit {
        return Err(SyncDecodeError(format!(
            "{} bytes exceeds the limit of {limit}",
            bytes.len()
        )));
    }
    minicbor::decode(bytes).map_err(|e| SyncDecodeError(e.to_string()))
}

impl SyncRequest {
    /// Encodes the request.
    pub fn to_bytes(&self) -> Vec<u8> {
        minicbor::to_vec(self).unwrap_or_default()
    }

    /// Decodes a request of at most [`MAX_REQUEST_BYTES`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SyncDecodeError> {
        decode_bounded(bytes, MAX_REQUEST_BYTES)
    }
}

impl SyncResponse {
    /// Encodes the response.
    pub fn to_bytes(&self) -> Vec<u8> {
        minicbor::to_vec(self).unwrap_or_default()
    }

    /// Decodes a response of at most [`MAX_RESPONSE_BYTES`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SyncDecodeError> {
        decode_bounded(bytes, MAX_RESPONSE_BYTES)
    }
}

/// Answers a request from what `registry` holds.
///
/// Anyone connected may ask, so every answer costs bounded work whatever the
/// registry's size: a `Summaries` page starts in O(log n) in the ordered
/// issuer map and takes each issuer's prepared summary; `Ids` is a slice of a
/// prepared sorted list; `Get` finds each id through its kind's index.
/// Prepared data is rebuilt once per change of an issuer, not per request.
pub fn respond(registry: &Registry, request: &SyncRequest) -> SyncResponse {
    match request {
        SyncRequest::Summaries { after } => {
            let mut issuers = registry.issuers_after(after.as_ref());
            let page: Vec<_> = issuers
                .by_ref()
                .take(MAX_SUMMARIES)
                .map(|s| s.prepared().summary.clone())
                .collect();
            let more = issuers.next().is_some();
            SyncResponse::Summaries {
                summaries: page,
                more,
            }
        }
        SyncRequest::Ids {
            issuer,
            kind,
            from_seq,
            offset,
        } => {
            let (Some(state), Some(kind)) = (registry.issuer(issuer), kind.kind()) else {
                return SyncResponse::Ids {
                    ids: vec![],
                    more: false,
                };
            };
            let offset = usize::try_from(*offset).unwrap_or(usize::MAX);
            let prepared = state.prepared();
            let (ids, more) = if kind == RecordKind::RevocationUpdate {
                prepared.revocations_from(*from_seq, offset, MAX_IDS)
            } else if kind == RecordKind::ListingUpdate {
                prepared.listings_from(*from_seq, offset, MAX_IDS)
            } else if matches!(kind, RecordKind::Head | RecordKind::ListingHead) {
                // Not a synced kind: at most one id, not worth preparing.
                let ids = state.ids(kind);
                (ids.into_iter().skip(offset).take(MAX_IDS).collect(), false)
            } else {
                let all = prepared.ids(kind);
                let page = all.get(offset..).unwrap_or(&[]);
                let page = page.get(..MAX_IDS).unwrap_or(page);
                (page.to_vec(), offset.saturating_add(page.len()) < all.len())
            };
            SyncResponse::Ids { ids, more }
        }
        SyncRequest::Nudge => SyncResponse::Ids {
            ids: vec![],
            more: false,
        },
        SyncRequest::Issuers { issuers } => respond_issuers(registry, issuers),
        SyncRequest::Get { issuer, kind, ids } => {
            let Some(kind) = kind.kind() else {
                return SyncResponse::Error {
                    message: "unknown kind".into(),
                };
            };
            if ids.len() > MAX_GET {
                return SyncResponse::Error {
                    message: format!("at most {MAX_GET} ids per request"),
                };
            }
            let mut size = 0;
            let mut records = Vec::new();
            for id in ids {
                if let Some(r) = registry.record(issuer, kind, id) {
                    size += r.bytes().len() + 8;
                    if size > MAX_RESPONSE_BYTES - 1024 {
                        break;
                    }
                    records.push(r.bytes().to_vec());
                }
            }
            SyncResponse::Records { records }
        }
    }
}

/// Whole issuers, as many as fit in a response. The work is bounded by the
/// response: records are counted as they are added, and the answer stops at
/// the first issuer that does not fit.
fn respond_issuers(registry: &Registry, issuers: &[IssuerId]) -> SyncResponse {
    if issuers.len() > MAX_ISSUERS {
        return SyncResponse::Error {
            message: format!("at most {MAX_ISSUERS} issuers per request"),
        };
    }
    let limit = MAX_RESPONSE_BYTES - 1024;
    let mut records = Vec::new();
    let mut size = 0;
    let mut complete = 0u32;
    for id in issuers {
        let Some(state) = registry.issuer(id) else {
            complete += 1;
            continue;
        };
        let badges = state
            .badge_classes()
            .iter()
            .filter_map(|b| registry.record(id, RecordKind::BadgeClass, b));
        let mut mine: Vec<Arc<SignedRecord>> = Vec::new();
        let mut fits = true;
        let endorsements = registry.endorsements_by(id).cloned();
        let pathways = registry.pathways_by(id).cloned();
        for r in state
            .records()
            .cloned()
            .chain(badges)
            .chain(endorsements)
            .chain(pathways)
        {
            size += r.bytes().len() + 8;
            if size > limit {
                fits = false;
                break;
            }
            mine.push(r);
        }
        if !fits {
            if complete == 0 {
                records.extend(mine.iter().map(|r| r.bytes().to_vec()));
            }
            break;
        }
        records.extend(mine.iter().map(|r| r.bytes().to_vec()));
        complete += 1;
    }
    SyncResponse::IssuerRecords { records, complete }
}

/// One step of a sync plan: list the ids of `kind` from `from_seq` and fetch
/// those missing here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Want {
    /// The issuer.
    pub issuer: IssuerId,
    /// The kind.
    pub kind: RecordKind,
    /// For revocation and listing updates, where to start listing.
    pub from_seq: u64,
}

/// What to fetch for one issuer, given our summary (if we know the issuer)
/// and the peer's. Key events come first, so the rest can be checked.
pub fn plan(local: Option<&IssuerSummary>, remote: &IssuerSummary) -> Vec<Want> {
    let issuer = remote.issuer;
    let mut wants: Vec<Want> = match local {
        None => crate::state::SYNCED_KINDS
            .iter()
            .filter(|k| remote.kind(**k).is_some_and(|s| s.count > 0))
            .map(|&kind| Want {
                issuer,
                kind,
                from_seq: 0,
            })
            .collect(),
        Some(local) => remote
            .differing_kinds(local)
            .into_iter()
            .filter(|k| remote.kind(*k).is_some_and(|s| s.count > 0))
            .map(|kind| {
                // Revocation updates: when the peer is simply ahead, list only
                // the new ones (after its checkpoint, fetched just before);
                // at equal height a different digest is a fork, so list
                // everything after the later checkpoint (summaries compare
                // only what follows it).
                let checkpoint = local.checkpoint_seq().max(remote.checkpoint_seq());
                let from_seq = match kind {
                    RecordKind::RevocationUpdate
                        if remote.revocation_seq() > local.revocation_seq() =>
                    {
                        local.revocation_seq().max(remote.checkpoint_seq()) + 1
                    }
                    RecordKind::RevocationUpdate => checkpoint + 1,
                    RecordKind::ListingUpdate if remote.listing_seq() > local.listing_seq() => {
                        local.listing_seq() + 1
                    }
                    _ => 0,
                };
                Want {
                    issuer,
                    kind,
                    from_seq,
                }
            })
            .collect(),
    };
    if remote.head_at.is_some() && remote.head_at > local.and_then(|l| l.head_at) {
        wants.push(Want {
            issuer,
            kind: RecordKind::Head,
            from_seq: 0,
        });
    }
    if remote.listing_head_at.is_some()
        && remote.listing_head_at > local.and_then(|l| l.listing_head_at)
    {
        wants.push(Want {
            issuer,
            kind: RecordKind::ListingHead,
            from_seq: 0,
        });
    }
    wants
}

/// Sorts fetched records so that applying them in order never waits needlessly.
pub fn sort_for_apply(records: &mut [SignedRecord]) {
    records.sort_by_key(SignedRecord::apply_order);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Registry;
    use crate::testkit::Issuer;
    use crate::time::Timestamp;

    const T0: Timestamp = Timestamp(1_800_000_000);

    /// Runs sync from `from` into `into` with the pure functions, no network.
    fn sync_into(into: &mut Registry, from: &Registry) -> usize {
        let mut applied = 0;
        let SyncResponse::Summaries { summaries, .. } =
            respond(from, &SyncRequest::Summaries { after: None })
        else {
            panic!("summaries")
        };
        for remote in summaries {
            let local = into.issuer(&remote.issuer).map(|s| s.summary());
            for want in plan(local.as_ref(), &remote) {
                let req = SyncRequest::Ids {
                    issuer: want.issuer,
                    kind: KindCode::of(want.kind),
                    from_seq: want.from_seq,
                    offset: 0,
                };
                let SyncResponse::Ids { ids, .. } = respond(
                    from,
                    &SyncRequest::from_bytes(&req.to_bytes()).expect("decodes"),
                ) else {
                    panic!("ids")
                };
                let missing: Vec<_> = ids.into_iter().filter(|id| !into.knows(id)).collect();
                for chunk in missing.chunks(MAX_GET) {
                    let req = SyncRequest::Get {
                        issuer: want.issuer,
                        kind: KindCode::of(want.kind),
                        ids: chunk.to_vec(),
                    };
                    let resp =
                        SyncResponse::from_bytes(&respond(from, &req).to_bytes()).expect("decodes");
                    let SyncResponse::Records { records } = resp else {
                        panic!("records")
                    };
                    let mut recs: Vec<_> = records
                        .iter()
                        .map(|b| {
                            SignedRecord::decode(b, crate::limits::MAX_ENVELOPE_BYTES)
                                .expect("valid")
                        })
                        .collect();
                    sort_for_apply(&mut recs);
                    for r in recs {
                        if into.apply(r, T0).outcome.is_stored() {
                            applied += 1;
                        }
                    }
                }
            }
        }
        applied
    }

    #[test]
    fn a_new_node_converges_by_sync_alone() {
        let mut issuer = Issuer::new(1, T0);
        let mut source = Registry::new();
        for r in issuer.genesis() {
            source.apply(r, T0);
        }
        for n in 0..300u32 {
            source.apply(issuer.revoke(&[n]), T0);
        }
        let (b, _) = issuer.badge_class("B");
        source.apply(b, T0);
        source.apply(issuer.head(), T0);
        let mut fresh = Registry::new();
        sync_into(&mut fresh, &source);
        assert_eq!(fresh.fingerprint(), source.fingerprint());
        assert_eq!(
            sync_into(&mut fresh, &source),
            0,
            "a second round fetches nothing"
        );
    }

    #[test]
    fn a_new_node_fetches_the_checkpoint_and_the_tail_not_the_history() {
        let mut issuer = Issuer::new(2, T0);
        let mut source = Registry::new();
        for r in issuer.genesis() {
            source.apply(r, T0);
        }
        let revoked: Vec<u32> = (0..500u32).map(|n| n * 7919).collect();
        for &n in &revoked[..480] {
            source.apply(issuer.revoke(&[n]), T0);
        }
        let parts = issuer.checkpoint(&revoked[..480]);
        for p in &parts {
            source.apply(p.clone(), T0);
        }
        for &n in &revoked[480..] {
            source.apply(issuer.revoke(&[n]), T0);
        }
        // A node that had the whole history before the checkpoint.
        let mut old = Registry::new();
        let mut copy = Issuer::new(2, T0);
        for r in copy.genesis() {
            old.apply(r, T0);
        }
        for &n in &revoked[..300] {
            old.apply(copy.revoke(&[n]), T0);
        }

        let mut fresh = Registry::new();
        let fetched = sync_into(&mut fresh, &source);
        // Inception, profile, head, the parts and 20 updates; nothing of
        // the 480.
        assert_eq!(fetched, 3 + parts.len() + 20);
        assert_eq!(fresh.fingerprint(), source.fingerprint());
        let id = issuer.inner().id();
        let s = fresh.issuer(&id).expect("known");
        assert_eq!(s.revoked_indices().count(), 500);
        assert_eq!(s.freshness().seq, 500);

        // The node with history takes the checkpoint, forgets what it
        // covers, and then agrees with the others; later rounds are empty.
        sync_into(&mut old, &source);
        assert_eq!(old.fingerprint(), source.fingerprint());
        assert_eq!(sync_into(&mut old, &source), 0);
        assert_eq!(sync_into(&mut fresh, &old), 0);
    }

    #[test]
    fn issuers_come_whole_many_per_request_and_a_large_one_alone_in_part() {
        // Followed, so that no quota keeps it small.
        let mut big = Issuer::new(7777, T0);
        let mut policy = crate::state::Policy::default();
        policy.follow.insert(big.inner().id());
        let mut source = Registry::with_policy(policy);
        let mut ids = Vec::new();
        for n in 0..MAX_ISSUERS as u64 {
            let mut i = Issuer::new(300 + n, T0);
            for r in i.genesis() {
                source.apply(r, T0);
            }
            source.apply(i.revoke(&[1, 2]), T0);
            let (b, _) = i.badge_class("Whole");
            source.apply(b, T0);
            ids.push(i.inner().id());
        }
        let mut unknown = Issuer::new(999, T0);
        ids.push(unknown.inner().id());
        let req = SyncRequest::Issuers {
            issuers: ids.clone(),
        };
        let SyncResponse::Error { .. } = respond(&source, &req) else {
            panic!("more than MAX_ISSUERS is refused")
        };
        // The unknown issuer first: it counts as whole, with nothing.
        ids.rotate_right(1);
        ids.truncate(MAX_ISSUERS);
        let req = SyncRequest::Issuers {
            issuers: ids.clone(),
        };
        let resp = respond(&source, &req);
        check::check_response(&req, &resp).expect("an honest answer");
        let SyncResponse::IssuerRecords { records, complete } = resp else {
            panic!("records")
        };
        assert_eq!(complete as usize, MAX_ISSUERS);
        // Genesis (3), an update and a badge class for each known issuer.
        assert_eq!(records.len(), 5 * (MAX_ISSUERS - 1));
        let mut fresh = Registry::new();
        let mut recs: Vec<_> = records
            .iter()
            .map(|b| SignedRecord::decode(b, crate::limits::MAX_ENVELOPE_BYTES).expect("valid"))
            .collect();
        sort_for_apply(&mut recs);
        for r in recs {
            assert!(fresh.apply(r, T0).outcome.is_stored());
        }
        let (got, want) = (fresh.fingerprint(), source.fingerprint());
        assert_eq!(got.len(), MAX_ISSUERS - 1);
        let differ = got.iter().filter(|(id, f)| want.get(id) != Some(f)).count();
        assert_eq!(differ, 0, "issuers whose state differs from the source's");

        // An issuer too large for one response comes in part, and no other.
        for r in big.genesis() {
            source.apply(r, T0);
        }
        // About 5 MB of updates, more than a response holds.
        for n in 0..20_000 {
            source.apply(big.revoke(&[n]), T0);
        }
        let req = SyncRequest::Issuers {
            issuers: vec![big.inner().id(), ids[1]],
        };
        let resp = respond(&source, &req);
        check::check_response(&req, &resp).expect("an honest answer");
        let SyncResponse::IssuerRecords { records, complete } = resp else {
            panic!("records")
        };
        assert_eq!(complete, 0);
        assert!(!records.is_empty() && records.len() < 20_000);
        let _ = unknown.head();
    }

    #[test]
    fn summary_pages_cover_every_issuer_once_and_get_finds_by_id() {
        let mut reg = Registry::new();
        let mut issuers: Vec<Issuer> = (0..MAX_SUMMARIES as u64 + 40)
            .map(|n| Issuer::new(100 + n, T0))
            .collect();
        for i in &mut issuers {
            for r in i.genesis() {
                reg.apply(r, T0);
            }
        }
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let SyncResponse::Summaries { summaries, more } =
                respond(&reg, &SyncRequest::Summaries { after })
            else {
                panic!("summaries")
            };
            assert!(summaries.len() <= MAX_SUMMARIES);
            after = summaries.last().map(|s| s.issuer);
            seen.extend(summaries);
            if !more {
                break;
            }
        }
        assert_eq!(seen, reg.summaries(), "every issuer once, in order");

        let issuer = &mut issuers[3];
        let mut ids = Vec::new();
        for n in 0..10u32 {
            let u = issuer.revoke(&[n]);
            ids.push(u.id());
            reg.apply(u, T0);
        }
        let id = issuer.inner().id();
        let kind = KindCode::of(RecordKind::RevocationUpdate);
        ids.push(crate::id::RecordId::of(b"not a record"));
        let SyncResponse::Records { records } = respond(
            &reg,
            &SyncRequest::Get {
                issuer: id,
                kind,
                ids: ids.clone(),
            },
        ) else {
            panic!("records")
        };
        let found: Vec<_> = records
            .iter()
            .map(|b| {
                SignedRecord::decode(b, crate::limits::MAX_ENVELOPE_BYTES)
                    .expect("valid")
                    .id()
            })
            .collect();
        assert_eq!(
            found,
            ids[..10],
            "in the order asked, the unknown one left out"
        );
        let SyncResponse::Ids { ids: listed, more } = respond(
            &reg,
            &SyncRequest::Ids {
                issuer: id,
                kind,
                from_seq: 4,
                offset: 2,
            },
        ) else {
            panic!("ids")
        };
        assert!(!more);
        assert_eq!(listed, ids[5..10], "from sequence 4, skipping 2");
    }

    #[test]
    fn sync_finds_a_fork_at_equal_height() {
        let mut issuer = Issuer::new(2, T0);
        let mut a = Registry::new();
        for r in issuer.genesis() {
            a.apply(r, T0);
        }
        let mut b = a.clone();
        let mut fork = issuer.clone();
        a.apply(issuer.revoke(&[1]), T0);
        b.apply(fork.revoke(&[2]), T0);
        sync_into(&mut a, &b);
        let s = a.issuer(&issuer.inner().id()).expect("known");
        assert!(s.has_equivocated());
        assert!(s.revoked(1).is_some() && s.revoked(2).is_some());
    }
}
