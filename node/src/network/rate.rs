//! Per-peer rate limits on sync requests: a token bucket per peer, so that one
//! peer cannot keep the event loop busy answering it.

use std::collections::HashMap;
use std::time::Instant;

use libp2p::PeerId;

/// Requests a peer may make per second, sustained.
pub const SYNC_RATE: f64 = 50.0;
/// Requests a peer may make in a burst.
pub const SYNC_BURST: f64 = 200.0;
/// Peers tracked at most; the quietest are forgotten beyond this.
const MAX_TRACKED: usize = 4096;

/// Token buckets keyed by peer.
#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: HashMap<PeerId, (f64, Instant)>,
}

impl RateLimiter {
    /// Whether `peer` may make one more request at `now`.
    pub fn allow(&mut self, peer: PeerId, now: Instant) -> bool {
        if self.buckets.len() >= MAX_TRACKED && !self.buckets.contains_key(&peer) {
            self.buckets
                .retain(|_, (tokens, _)| *tokens < SYNC_BURST - 1.0);
        }
        let (tokens, last) = self.buckets.entry(peer).or_insert((SYNC_BURST, now));
        let refill = now.saturating_duration_since(*last).as_secs_f64() * SYNC_RATE;
        *tokens = (*tokens + refill).min(SYNC_BURST);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
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
        let allowed = (0..1000).filter(|_| r.allow(p, t)).count();
        assert_eq!(allowed, SYNC_BURST as usize);
        assert!(!r.allow(p, t));
        assert!(
            r.allow(p, t + Duration::from_millis(40)),
            "refilled after 1/50 s"
        );
        assert!(r.allow(PeerId::random(), t), "other peers are not affected");
    }
}
