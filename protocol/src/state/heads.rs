//! What revocation registries and registry lists share: a chain of numbered
//! updates whose freshness a re-signed head vouches for.

use std::sync::Arc;

use super::revocations::Freshness;
use crate::record::{Head, SignedRecord};
use crate::time::Timestamp;

/// Offers `rec` as the new head over `current`: `Ok(true)` if it replaces it
/// (newer by time, then sequence number, then id), `Ok(false)` if it is the
/// same record or not a head of that kind, `Err(current seq)` if older.
pub(crate) fn offer(
    current: &mut Option<Arc<SignedRecord>>,
    rec: Arc<SignedRecord>,
    as_head: fn(&SignedRecord) -> Option<&Head>,
) -> Result<bool, u64> {
    let Some(h) = as_head(&rec) else {
        return Ok(false);
    };
    if let Some(cur) = current.as_ref() {
        if cur.id() == rec.id() {
            return Ok(false);
        }
        if let Some(c) = as_head(cur)
            && (c.at, c.seq, cur.id()) >= (h.at, h.seq, rec.id())
        {
            return Err(c.seq);
        }
    }
    *current = Some(rec);
    Ok(true)
}

/// How fresh a chain is: its highest sequence number `seq`, the signing and
/// next-update times of its latest update at that number (`latest`), and a
/// head, which counts only when it does not name updates beyond `seq`.
pub(crate) fn freshness(
    seq: u64,
    latest: Option<(Timestamp, Timestamp)>,
    head: Option<&Head>,
) -> Freshness {
    let covering = head.filter(|h| h.seq <= seq);
    Freshness {
        seq,
        as_of: latest.map(|(at, _)| at).max(covering.map(|h| h.at)),
        head_seq: head.map(|h| h.seq),
        next_update: latest
            .map(|(_, next)| next)
            .max(covering.map(|h| h.next_update)),
    }
}
