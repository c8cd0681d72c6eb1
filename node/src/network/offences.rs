//! Memory of peers that sent invalid records, records over this node's quota
//! or bad sync responses, fed into gossipsub as the application-specific
//! score (P5).
//!
//! Gossipsub's own penalty for invalid messages (P4) graylists a sender at the
//! first rejected record, but it decays within seconds and, once a peer is
//! graylisted, gossipsub drops its messages before anyone looks at them, so
//! the penalty cannot grow while the peer keeps flooding. The score then
//! oscillates around the graylist threshold and a flooding peer is let back in
//! every few seconds. This table remembers offences much longer (a half-life
//! of minutes), so a flooding peer stays graylisted while it floods: once its
//! penalty has decayed to the threshold, the next record it sends is looked at,
//! found invalid, and puts it back below for several more minutes.
//!
//! The price is that one honest mistake also costs minutes: an honest peer can
//! forward a record this node rejects (a record signed by a key this node
//! already knows was rotated away). Graylisting only drops that peer's gossip
//! to us for that time; sync with it and gossip from the rest of the mesh go
//! on, so no record is lost. Peers are not disconnected or banned: a peer id
//! is free to make, so a ban would stop nothing a graylist does not, and it
//! would cut an honest peer's sync too.
//!
//! A record over this node's quota is not invalid: an honest peer whose own
//! quota (or follow list) is larger forwards it in good faith. Nor is a
//! record signed by a key nothing here binds to its issuer yet (an honest
//! peer may know a rotation this node has not seen). Such *unwanted* records
//! cost a small penalty ([`UNWANTED_PENALTY`]): one, or a few, leave an
//! honest relay well above the graylist threshold, while a flood of a few
//! dozen within a half-life puts its sender below it, after which its gossip
//! is dropped unread instead of costing a signature check each. A sync response
//! that does not answer the request (garbage, oversized, more than asked,
//! records not asked for, forged records) costs as much as an invalid record:
//! an honest node never sends one.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use libp2p::PeerId;

/// Application score each invalid record costs: one alone is below the
/// graylist threshold (-80), so the sender stays graylisted after gossipsub's
/// own penalty has decayed.
pub const INVALID_RECORD_PENALTY: f64 = 100.0;
/// Application score each unwanted record (over quota, or waiting for a key
/// nothing binds to its issuer) costs: an honest relay of one is far from the
/// graylist threshold (-80); about 45 within a half-life (gossipsub's
/// first-delivery bonus is at most +10) graylist the sender.
pub const UNWANTED_PENALTY: f64 = 2.0;
/// Application score a sync response that does not answer its request costs.
pub const BAD_SYNC_PENALTY: f64 = 100.0;

/// What a peer did wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Offence {
    /// Gossiped a forged or malformed record.
    InvalidRecord,
    /// Gossiped a record over this node's quota, or one that waits for a key
    /// nothing binds to its issuer.
    Unwanted,
    /// Answered a sync request with garbage, too much, or what was not asked.
    BadSync,
}

impl Offence {
    /// Its cost in application score points.
    pub const fn penalty(self) -> f64 {
        match self {
            Offence::InvalidRecord => INVALID_RECORD_PENALTY,
            Offence::Unwanted => UNWANTED_PENALTY,
            Offence::BadSync => BAD_SYNC_PENALTY,
        }
    }
}

/// Half-life of the penalty. A peer at -100 (one invalid record) climbs back to
/// -80 after 0.32 half-lives (96 s); a flooder let in at -80 sends one more
/// invalid record (-180) and waits 1.17 half-lives (5.8 minutes) for the next.
pub const PENALTY_HALF_LIFE: Duration = Duration::from_secs(300);
/// Penalties below this are forgotten.
const FORGET_BELOW: f64 = 1.0;
/// Offenders remembered at most; beyond, the least penalised is forgotten
/// (peer ids are free, so the table must not grow without bound).
pub const MAX_OFFENDERS: usize = 4096;

/// What is known about one offender.
#[derive(Clone, Copy, Debug)]
pub struct Offender {
    /// Current penalty (positive; the application score is its negative),
    /// as of `updated`.
    penalty: f64,
    updated: Instant,
    /// Invalid records counted from this peer.
    pub invalid: u64,
    /// Unwanted records (over quota, unverifiable) counted from this peer.
    pub unwanted: u64,
    /// Bad sync responses counted from this peer.
    pub bad_sync: u64,
    /// When the first offence of this peer was received.
    pub first_invalid: Instant,
    /// When its gossipsub score was first seen below the graylist threshold
    /// after that.
    pub graylisted_at: Option<Instant>,
}

impl Offender {
    /// The penalty at `now`, decayed.
    pub fn penalty(&self, now: Instant) -> f64 {
        let age = now.saturating_duration_since(self.updated).as_secs_f64();
        self.penalty * 0.5_f64.powf(age / PENALTY_HALF_LIFE.as_secs_f64())
    }

    /// Time from the first invalid record to the graylist, if reached.
    pub fn time_to_graylist(&self) -> Option<Duration> {
        self.graylisted_at
            .map(|t| t.saturating_duration_since(self.first_invalid))
    }
}

/// The table of offenders.
#[derive(Debug, Default)]
pub struct Offences {
    peers: HashMap<PeerId, Offender>,
}

impl Offences {
    /// Counts an invalid record from `peer`, received at `received`; returns
    /// the application score to give it.
    #[cfg(test)]
    pub fn invalid(&mut self, peer: PeerId, received: Instant, now: Instant) -> f64 {
        self.add(peer, Offence::InvalidRecord, received, now)
    }

    /// Counts `offence` by `peer`, received at `received`; returns the
    /// application score to give it.
    pub fn add(&mut self, peer: PeerId, offence: Offence, received: Instant, now: Instant) -> f64 {
        if !self.peers.contains_key(&peer) && self.peers.len() >= MAX_OFFENDERS {
            self.evict(now);
        }
        let o = self.peers.entry(peer).or_insert(Offender {
            penalty: 0.0,
            updated: now,
            invalid: 0,
            unwanted: 0,
            bad_sync: 0,
            first_invalid: received,
            graylisted_at: None,
        });
        o.penalty = o.penalty(now) + offence.penalty();
        o.updated = now;
        match offence {
            Offence::InvalidRecord => o.invalid += 1,
            Offence::Unwanted => o.unwanted += 1,
            Offence::BadSync => o.bad_sync += 1,
        }
        o.first_invalid = o.first_invalid.min(received);
        -o.penalty
    }

    /// Notes that `peer`'s gossipsub score was seen below the graylist
    /// threshold at `now` (only the first time counts).
    pub fn graylisted(&mut self, peer: &PeerId, now: Instant) {
        if let Some(o) = self.peers.get_mut(peer) {
            o.graylisted_at.get_or_insert(now);
        }
    }

    /// Decays every penalty to `now`: returns the application scores to set,
    /// with 0 for offenders now forgotten.
    pub fn decay(&mut self, now: Instant) -> Vec<(PeerId, f64)> {
        let mut scores = Vec::with_capacity(self.peers.len());
        self.peers.retain(|peer, o| {
            let p = o.penalty(now);
            if p < FORGET_BELOW {
                scores.push((*peer, 0.0));
                false
            } else {
                scores.push((*peer, -p));
                true
            }
        });
        scores
    }

    /// What is known about `peer`.
    pub fn get(&self, peer: &PeerId) -> Option<&Offender> {
        self.peers.get(peer)
    }

    /// Whether nobody is remembered.
    pub fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }

    fn evict(&mut self, now: Instant) {
        if let Some(least) = self
            .peers
            .iter()
            .min_by(|a, b| a.1.penalty(now).total_cmp(&b.1.penalty(now)))
            .map(|(p, _)| *p)
        {
            self.peers.remove(&least);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GRAYLIST: f64 = -80.0;

    #[test]
    fn one_invalid_record_graylists_for_minutes_then_is_forgiven() {
        let mut o = Offences::default();
        let t0 = Instant::now();
        let peer = PeerId::random();
        let one = o.invalid(peer, t0, t0);
        assert!(one < GRAYLIST, "one invalid record graylists: {one}");
        let later = o.decay(t0 + Duration::from_secs(90));
        assert!(later[0].1 < GRAYLIST, "still graylisted after 90 s");
        let much_later = o.decay(t0 + Duration::from_secs(100));
        assert!(much_later[0].1 > GRAYLIST, "forgiven after 100 s");
        // The next invalid record puts it back below for longer.
        let t1 = t0 + Duration::from_secs(100);
        o.invalid(peer, t1, t1);
        let s = o.decay(t1 + Duration::from_secs(340));
        assert!(s[0].1 < GRAYLIST, "graylisted 340 s after the second");
        assert_eq!(o.get(&peer).map(|x| x.invalid), Some(2));
    }

    #[test]
    fn penalties_halve_per_half_life_and_are_forgotten() {
        let mut o = Offences::default();
        let t0 = Instant::now();
        let peer = PeerId::random();
        o.invalid(peer, t0, t0);
        let s = o.decay(t0 + PENALTY_HALF_LIFE);
        assert!((s[0].1 + INVALID_RECORD_PENALTY / 2.0).abs() < 1e-9);
        let s = o.decay(t0 + PENALTY_HALF_LIFE * 10);
        assert_eq!(s, vec![(peer, 0.0)]);
        assert!(o.is_empty());
    }

    #[test]
    fn time_to_graylist_counts_from_the_first_invalid_record() {
        let mut o = Offences::default();
        let t0 = Instant::now();
        let peer = PeerId::random();
        o.invalid(
            peer,
            t0 + Duration::from_millis(5),
            t0 + Duration::from_millis(9),
        );
        o.invalid(peer, t0, t0 + Duration::from_millis(10));
        o.graylisted(&peer, t0 + Duration::from_millis(12));
        o.graylisted(&peer, t0 + Duration::from_millis(500));
        assert_eq!(
            o.get(&peer).and_then(Offender::time_to_graylist),
            Some(Duration::from_millis(12))
        );
    }

    #[test]
    fn one_unwanted_record_leaves_a_relay_ungraylisted_a_flood_does_not() {
        /// The most gossipsub's first-delivery bonus adds (cap 10, weight 1).
        const BONUS: f64 = 10.0;
        let mut o = Offences::default();
        let t0 = Instant::now();
        let (relay, flooder) = (PeerId::random(), PeerId::random());
        let relayed = o.add(relay, Offence::Unwanted, t0, t0);
        assert!(relayed > GRAYLIST / 10.0, "one costs little: {relayed}");
        let mut score = 0.0;
        for n in 0..100u64 {
            let t = t0 + Duration::from_millis(10 * n);
            score = o.add(flooder, Offence::Unwanted, t, t);
        }
        assert!(
            score + BONUS < GRAYLIST,
            "a flood of 100 graylists: {score}"
        );
        assert_eq!(o.get(&flooder).map(|x| x.unwanted), Some(100));
        assert_eq!(o.get(&flooder).map(|x| x.invalid), Some(0));
    }

    #[test]
    fn the_table_is_bounded() {
        let mut o = Offences::default();
        let t0 = Instant::now();
        let bad = PeerId::random();
        o.invalid(bad, t0, t0);
        o.invalid(bad, t0, t0);
        for _ in 0..MAX_OFFENDERS + 10 {
            o.invalid(PeerId::random(), t0, t0);
        }
        assert_eq!(o.peers.len(), MAX_OFFENDERS);
        assert!(o.get(&bad).is_some(), "the worst offender is kept");
    }
}
