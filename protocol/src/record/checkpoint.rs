//! Revocation checkpoints: the issuer's signed summary of its whole revoked
//! set as of one update, so that a newcomer starts from it instead of
//! replaying every update, and every node can forget the updates it covers.
//!
//! A revoked set of up to 2^24 indices can take about 2 MiB even compressed,
//! far above what one record may carry (gossip drops large messages). So a
//! checkpoint is signed in *parts*: part `k` holds the revoked indices in
//! `[k * 2^18, (k + 1) * 2^18)` as a roaring bitmap (at most four roaring
//! containers, about 32 KiB when dense). Every part repeats the checkpoint's
//! header (sequence number, the id of the update it summarises, time, and
//! the mask of non-empty parts), so each part is an ordinary record that
//! verifies alone, and a node knows when it holds all of them.
//!
//! The id of the update a checkpoint names commits to the whole update chain
//! (every update names its predecessor's id), so when a node later sees that
//! update it checks the checkpoint's claim against it; see
//! [`crate::state`] for the checks and the equivocation proofs they give.

use minicbor::{Decode, Encode};
use roaring::RoaringBitmap;

use crate::id::RecordId;
use crate::keys::IssuerId;
use crate::limits::MAX_STATUS_INDEX;
use crate::time::Timestamp;

/// Bits of a status index below a part's number: each part covers 2^18
/// indices.
pub const CHECKPOINT_PART_SHIFT: u32 = 18;

/// How many parts cover every status index (64, one bit each of
/// [`RevocationCheckpoint::parts`]).
pub const CHECKPOINT_PARTS: u32 = (MAX_STATUS_INDEX >> CHECKPOINT_PART_SHIFT) + 1;

/// What one checkpoint says, shared by all its parts: two parts belong to
/// the same checkpoint exactly when their headers are equal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CheckpointHeader {
    /// The update it summarises.
    pub seq: u64,
    /// That update's id.
    pub latest: RecordId,
    /// When the checkpoint was signed.
    pub at: Timestamp,
    /// Which parts are non-empty.
    pub parts: u64,
}

/// One part of a signed checkpoint of an issuer's revoked set.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct RevocationCheckpoint {
    /// The issuer.
    #[n(0)]
    pub issuer: IssuerId,
    /// The revocation update summarised: the set is the union of updates
    /// 1 to `seq`.
    #[n(1)]
    pub seq: u64,
    /// Id of update `seq`, which commits to the chain before it.
    #[n(2)]
    pub latest: RecordId,
    /// When it was signed (the signing key must be valid then).
    #[n(3)]
    pub at: Timestamp,
    /// Bit `k` set when part `k` is non-empty; only those parts are signed.
    #[n(4)]
    pub parts: u64,
    /// Which part this is.
    #[n(5)]
    pub part: u8,
    /// The revoked indices of this part, in the portable roaring format.
    #[cbor(n(6), with = "minicbor::bytes")]
    pub revoked: Vec<u8>,
}

impl RevocationCheckpoint {
    /// The header every part of this checkpoint shares.
    pub const fn header(&self) -> CheckpointHeader {
        CheckpointHeader {
            seq: self.seq,
            latest: self.latest,
            at: self.at,
            parts: self.parts,
        }
    }

    /// The status indices this part may hold.
    pub fn range(part: u32) -> std::ops::Range<u32> {
        let lo = part << CHECKPOINT_PART_SHIFT;
        lo..lo + (1 << CHECKPOINT_PART_SHIFT)
    }

    /// The revoked indices of this part. Bounded: the bytes are at most an
    /// envelope's, and the decoder allocates per container as it reads.
    pub fn set(&self) -> Result<RoaringBitmap, String> {
        let set = RoaringBitmap::deserialize_from(self.revoked.as_slice())
            .map_err(|e| format!("revoked set: {e}"))?;
        if set.serialized_size() != self.revoked.len() {
            return Err("revoked set: trailing bytes".into());
        }
        Ok(set)
    }

    /// Splits `set` into the parts of one checkpoint (without signing them).
    pub fn split(
        issuer: IssuerId,
        seq: u64,
        latest: RecordId,
        at: Timestamp,
        set: &RoaringBitmap,
    ) -> Vec<RevocationCheckpoint> {
        let mut chunks: Vec<(u8, RoaringBitmap)> = Vec::new();
        for index in set.iter().filter(|&i| i <= MAX_STATUS_INDEX) {
            let part = (index >> CHECKPOINT_PART_SHIFT) as u8;
            match chunks.last_mut() {
                Some((p, s)) if *p == part => {
                    s.insert(index);
                }
                _ => chunks.push((part, RoaringBitmap::from_iter([index]))),
            }
        }
        let parts = chunks.iter().fold(0u64, |m, (p, _)| m | (1 << p));
        chunks
            .into_iter()
            .map(|(part, mut s)| {
                s.optimize();
                let mut revoked = Vec::with_capacity(s.serialized_size());
                // Serializing into a Vec cannot fail.
                let _ = s.serialize_into(&mut revoked);
                RevocationCheckpoint {
                    issuer,
                    seq,
                    latest,
                    at,
                    parts,
                    part,
                    revoked,
                }
            })
            .collect()
    }

    pub(crate) fn check_shape(&self) -> Result<(), String> {
        if self.seq == 0 {
            return Err("a checkpoint summarises update 1 or later".into());
        }
        if u32::from(self.part) >= CHECKPOINT_PARTS {
            return Err(format!("part {} of at most {CHECKPOINT_PARTS}", self.part));
        }
        if self.parts & (1 << self.part) == 0 {
            return Err("the mask of parts leaves out this part".into());
        }
        let set = self.set()?;
        let range = Self::range(u32::from(self.part));
        match (set.min(), set.max()) {
            (Some(lo), Some(hi)) if range.contains(&lo) && range.contains(&hi) => Ok(()),
            (None, _) | (_, None) => Err("an empty part is left out, not signed".into()),
            _ => Err(format!(
                "part {} holds indices outside {}..{}",
                self.part, range.start, range.end
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_of(parts: &[RevocationCheckpoint]) -> Vec<CheckpointHeader> {
        parts.iter().map(RevocationCheckpoint::header).collect()
    }

    #[test]
    fn split_tiles_the_set_into_parts_that_each_check_out() {
        let issuer = IssuerId::unset();
        let latest = RecordId::of(b"update 9");
        let set: RoaringBitmap = [0u32, 5, 1 << 18, (1 << 18) + 1, MAX_STATUS_INDEX]
            .into_iter()
            .collect();
        let parts = RevocationCheckpoint::split(issuer, 9, latest, Timestamp(1), &set);
        assert_eq!(
            parts.iter().map(|p| p.part).collect::<Vec<_>>(),
            vec![0, 1, 63]
        );
        let h = header_of(&parts);
        assert!(
            h.windows(2).all(|w| w[0] == w[1]),
            "one header for all parts"
        );
        assert_eq!(h[0].parts, 1 | 2 | (1 << 63));
        let mut union = RoaringBitmap::new();
        for p in &parts {
            p.check_shape().expect("each part is well formed");
            union |= p.set().expect("decodes");
        }
        assert_eq!(union, set);
    }

    #[test]
    fn a_part_with_indices_of_another_part_or_trailing_bytes_is_refused() {
        let issuer = IssuerId::unset();
        let set: RoaringBitmap = [3u32].into_iter().collect();
        let p = RevocationCheckpoint::split(issuer, 1, RecordId::of(b"u"), Timestamp(1), &set)
            .remove(0);
        p.check_shape().expect("well formed");
        let mut moved = p.clone();
        moved.part = 1;
        moved.parts = 2;
        assert!(moved.check_shape().unwrap_err().contains("outside"));
        let mut trailing = p.clone();
        trailing.revoked.push(0);
        assert!(trailing.check_shape().unwrap_err().contains("trailing"));
        let mut unmasked = p.clone();
        unmasked.parts = 2;
        assert!(unmasked.check_shape().is_err());
        let mut garbage = p;
        garbage.revoked = vec![0xff; 40];
        assert!(garbage.check_shape().is_err());
    }
}
