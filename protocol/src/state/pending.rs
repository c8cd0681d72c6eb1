//! Records held until what they depend on arrives, bounded per issuer, in
//! total and in bytes, so that nobody can make a node hold unbounded junk.
//!
//! Held records are in one of three pools. A record is *vouched* when its
//! issuer is known and its signer is already bound to that issuer: a key in
//! its key log, or a key one of its rotations committed to. Anyone can sign a
//! record claiming issuer X with a fresh key (or make a new issuer), so such
//! *unvouched* records get a small pool of their own: they can never take the
//! slots of X's genuine out-of-order records (a revocation update before its
//! predecessor, records signed by X's pre-rotated key before the rotation),
//! and filling their pool evicts only their own kind. Vouched records of
//! issuers the operator follows have a pool of their own too, so a spam
//! issuer's vouched records cannot evict them either.

use std::sync::Arc;

// Persistent collections: the registry is cloned per commit (see `Registry`),
// so the pool must not cost a copy of every held record each time.
use imbl::{HashMap, Vector as VecDeque};

use super::outcome::Gap;
use crate::id::RecordId;
use crate::keys::IssuerId;
use crate::limits::{
    MAX_PENDING_BYTES, MAX_PENDING_PER_ISSUER, MAX_PENDING_TOTAL, MAX_UNVOUCHED_BYTES,
    MAX_UNVOUCHED_PER_ISSUER, MAX_UNVOUCHED_TOTAL,
};
use crate::record::SignedRecord;

/// Whether the signer of a held record is known to belong to its issuer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Voucher {
    /// The signer is bound to the claimed issuer, which the operator follows.
    Followed,
    /// The signer is bound to the claimed issuer.
    Vouched,
    /// Nothing yet binds the signer to the claimed issuer.
    Unvouched,
}

/// The bounds of one pool.
#[derive(Clone, Copy, Debug)]
struct Caps {
    per_issuer: usize,
    total: usize,
    bytes: usize,
}

/// One pool of held records.
#[derive(Clone, Debug)]
struct Pool {
    caps: Caps,
    by_id: HashMap<RecordId, (Arc<SignedRecord>, Gap)>,
    by_issuer: HashMap<IssuerId, Vec<RecordId>>,
    /// Arrival order for evicting the oldest; may hold ids already taken.
    order: VecDeque<RecordId>,
    bytes: usize,
}

impl Pool {
    fn new(caps: Caps) -> Self {
        Pool {
            caps,
            by_id: HashMap::new(),
            by_issuer: HashMap::new(),
            order: VecDeque::new(),
            bytes: 0,
        }
    }

    /// Holds `rec`; false if its issuer already has the most records held here.
    /// The oldest records (of any issuer) make room when the pool is full.
    fn hold(&mut self, rec: Arc<SignedRecord>, gap: Gap) -> bool {
        let issuer = rec.record().issuer();
        let size = rec.bytes().len();
        let list = self.by_issuer.entry(issuer).or_default();
        if list.len() >= self.caps.per_issuer || size > self.caps.bytes {
            if list.is_empty() {
                self.by_issuer.remove(&issuer);
            }
            return false;
        }
        list.push(rec.id());
        self.order.push_back(rec.id());
        self.bytes += size;
        self.by_id.insert(rec.id(), (rec, gap));
        while self.by_id.len() > self.caps.total || self.bytes > self.caps.bytes {
            if !self.evict_oldest() {
                break;
            }
        }
        if self.order.len() > 2 * self.caps.total {
            let by_id = &self.by_id;
            self.order.retain(|id| by_id.contains_key(id));
        }
        true
    }

    fn evict_oldest(&mut self) -> bool {
        while let Some(id) = self.order.pop_front() {
            if let Some((rec, _)) = self.by_id.remove(&id) {
                self.bytes -= rec.bytes().len();
                let issuer = rec.record().issuer();
                if let Some(list) = self.by_issuer.get_mut(&issuer) {
                    list.retain(|x| *x != id);
                    if list.is_empty() {
                        self.by_issuer.remove(&issuer);
                    }
                }
                return true;
            }
        }
        false
    }

    fn take_issuer(&mut self, issuer: &IssuerId, out: &mut Vec<Arc<SignedRecord>>) {
        let Some(ids) = self.by_issuer.remove(issuer) else {
            return;
        };
        for id in ids {
            if let Some((r, _)) = self.by_id.remove(&id) {
                self.bytes -= r.bytes().len();
                out.push(r);
            }
        }
    }
}

/// The pending pool: vouched and unvouched records, each bounded.
#[derive(Clone, Debug)]
pub(crate) struct Pending {
    followed: Pool,
    vouched: Pool,
    unvouched: Pool,
}

impl Default for Pending {
    fn default() -> Self {
        let vouched = Caps {
            per_issuer: MAX_PENDING_PER_ISSUER,
            total: MAX_PENDING_TOTAL,
            bytes: MAX_PENDING_BYTES,
        };
        Pending {
            followed: Pool::new(vouched),
            vouched: Pool::new(vouched),
            unvouched: Pool::new(Caps {
                per_issuer: MAX_UNVOUCHED_PER_ISSUER,
                total: MAX_UNVOUCHED_TOTAL,
                bytes: MAX_UNVOUCHED_BYTES,
            }),
        }
    }
}

impl Pending {
    pub(crate) fn gap_of(&self, id: &RecordId) -> Option<Gap> {
        self.pools().find_map(|p| p.by_id.get(id)).map(|(_, g)| *g)
    }

    /// Holds `rec` in the pool `voucher` names; false if its issuer already
    /// has the most records held there.
    pub(crate) fn hold(&mut self, rec: Arc<SignedRecord>, gap: Gap, voucher: Voucher) -> bool {
        match voucher {
            Voucher::Followed => self.followed.hold(rec, gap),
            Voucher::Vouched => self.vouched.hold(rec, gap),
            Voucher::Unvouched => self.unvouched.hold(rec, gap),
        }
    }

    fn pools(&self) -> impl Iterator<Item = &Pool> {
        [&self.followed, &self.vouched, &self.unvouched].into_iter()
    }

    /// Removes and returns every record held for `issuer`, vouched ones first,
    /// each pool oldest first.
    pub(crate) fn take_issuer(&mut self, issuer: &IssuerId) -> Vec<Arc<SignedRecord>> {
        let mut out = Vec::new();
        self.followed.take_issuer(issuer, &mut out);
        self.vouched.take_issuer(issuer, &mut out);
        self.unvouched.take_issuer(issuer, &mut out);
        out
    }

    pub(crate) fn len(&self) -> usize {
        self.pools().map(|p| p.by_id.len()).sum()
    }

    /// Bytes of envelopes held.
    pub(crate) fn bytes(&self) -> usize {
        self.pools().map(|p| p.bytes).sum()
    }

    pub(crate) fn gaps(&self) -> Vec<Gap> {
        let mut gaps: Vec<Gap> = Vec::new();
        for (_, g) in self.pools().flat_map(|p| p.by_id.values()) {
            if !gaps.contains(g) {
                gaps.push(*g);
            }
        }
        gaps
    }
}
