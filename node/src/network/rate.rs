//! Rate limits on answering sync requests: a token bucket per peer, so that
//! one peer cannot keep the event loop busy answering it, and one bucket for
//! the node, because peer ids cost nothing.
//!
//! The per-peer table is bounded: beyond [`MAX_TRACKED`] peers the least
//! recently seen one is forgotten, found in O(log n) through an index by last
//! use (never a sweep of the table in the event loop). A forgotten peer comes
//! back with a full burst, so an attacker rotating peer ids could get a burst
//! per id; the node-wide bucket bounds what all of them together get answered.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use libp2p::PeerId;

/// Requests a peer may make per second, sustained.
pub const SYNC_RATE: f64 = 50.0;
/// Requests a peer may make in a burst.
pub const SYNC_BURST: f64 = 200.0;
/// Requests the node answers per second from all peers together, sustained.
/// An answer costs microseconds (prepared summaries and indexes), so this
/// keeps answering below a few percent of a core.
pub const NODE_SYNC_RATE: f64 = 500.0;
/// Requests the node answers in a burst, from all peers together.
pub const NODE_SYNC_BURST: f64 = 2000.0;
/// Peers tracked at most; the least recently seen is forgotten beyond this.
pub const MAX_TRACKED: usize = 4096;

/// A token bucket.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn full(burst: f64, now: Instant) -> Self {
        Bucket {
            tokens: burst,
            last: now,
        }
    }

    /// Refills for the time since the last call; whether a token is there.
    fn refill(&mut self, rate: f64, burst: f64, now: Instant) -> bool {
        let refill = now.saturating_duration_since(self.last).as_secs_f64() * rate;
        self.tokens = (self.tokens + refill).min(burst);
        self.last = now;
        self.tokens >= 1.0
    }
}

/// Why a request is not answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    /// This peer asks too fast.
    Peer,
    /// All peers together ask more than the node answers.
    Node,
}

/// Token buckets keyed by peer, plus the node's.
#[derive(Debug, Default)]
pub struct RateLimiter {
    /// Each peer's bucket and its key in `by_use`.
    buckets: HashMap<PeerId, (Bucket, u64)>,
    /// Peers by when they were last seen (a counter, unique per use).
    by_use: BTreeMap<u64, PeerId>,
    uses: u64,
    node: Option<Bucket>,
}

impl RateLimiter {
    /// Takes a token for one request of `peer` at `now`, from its bucket and
    /// the node's; takes none if either is empty. O(log n).
    pub fn allow(&mut self, peer: PeerId, now: Instant) -> Result<(), Limited> {
        if !self.buckets.contains_key(&peer)
            && self.buckets.len() >= MAX_TRACKED
            && let Some((_, oldest)) = self.by_use.pop_first()
        {
            self.buckets.remove(&oldest);
        }
        self.uses += 1;
        let stamp = self.uses;
        let (bucket, used) = self
            .buckets
            .entry(peer)
            .or_insert((Bucket::full(SYNC_BURST, now), stamp));
        self.by_use.remove(used);
        *used = stamp;
        self.by_use.insert(stamp, peer);
        if !bucket.refill(SYNC_RATE, SYNC_BURST, now) {
            return Err(Limited::Peer);
        }
        let node = self
            .node
            .get_or_insert_with(|| Bucket::full(NODE_SYNC_BURST, now));
        if !node.refill(NODE_SYNC_RATE, NODE_SYNC_BURST, now) {
            return Err(Limited::Node);
        }
        bucket.tokens -= 1.0;
        node.tokens -= 1.0;
        Ok(())
    }

    /// How many peers are tracked.
    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.buckets.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_is_allowed_then_the_rate() {
        let mut r = RateLimiter::default();
        let p = PeerId::random();
        let t = Instant::now();
        let allowed = (0..1000).filter(|_| r.allow(p, t).is_ok()).count();
        assert_eq!(allowed, SYNC_BURST as usize);
        assert_eq!(r.allow(p, t), Err(Limited::Peer));
        assert!(
            r.allow(p, t + Duration::from_millis(40)).is_ok(),
            "refilled after 1/50 s"
        );
        assert!(
            r.allow(PeerId::random(), t).is_ok(),
            "other peers are not affected"
        );
    }

    #[test]
    fn many_peer_ids_do_not_grow_the_table() {
        let mut r = RateLimiter::default();
        let t = Instant::now();
        for n in 0..3 * MAX_TRACKED {
            // Two requests each: a peer that has used its bucket is kept.
            let (p, at) = (PeerId::random(), t + Duration::from_millis(n as u64));
            let _ = r.allow(p, at);
            let _ = r.allow(p, at);
            assert!(r.tracked() <= MAX_TRACKED);
        }
        assert_eq!(r.tracked(), MAX_TRACKED);
        assert_eq!(r.by_use.len(), MAX_TRACKED, "the index follows the table");
    }

    #[test]
    fn the_least_recently_seen_peer_is_forgotten_first() {
        let mut r = RateLimiter::default();
        let t = Instant::now();
        let quiet = PeerId::random();
        let busy = PeerId::random();
        let _ = r.allow(quiet, t);
        while r.allow(busy, t).is_ok() {}
        for _ in 0..MAX_TRACKED - 2 {
            let _ = r.allow(PeerId::random(), t);
        }
        // The busy peer is seen again; then one more newcomer evicts the
        // quiet one, not the busy one, which stays limited.
        assert_eq!(r.allow(busy, t), Err(Limited::Peer));
        let _ = r.allow(PeerId::random(), t);
        assert!(!r.buckets.contains_key(&quiet));
        assert_eq!(r.allow(busy, t), Err(Limited::Peer));
    }

    #[test]
    fn fresh_peer_ids_share_the_node_budget() {
        let mut r = RateLimiter::default();
        let t = Instant::now();
        let answered = (0..3 * NODE_SYNC_BURST as usize)
            .filter(|_| r.allow(PeerId::random(), t).is_ok())
            .count();
        assert_eq!(answered, NODE_SYNC_BURST as usize);
        assert_eq!(r.allow(PeerId::random(), t), Err(Limited::Node));
        assert!(
            r.allow(PeerId::random(), t + Duration::from_millis(10))
                .is_ok(),
            "refilled after 1/500 s"
        );
    }
}
