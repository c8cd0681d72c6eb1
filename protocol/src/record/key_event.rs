//! Key events: an issuer's key history, with pre-rotation.
//!
//! The inception event (seq 0) is signed by the inception key, whose did:key is
//! the issuer's identifier, and commits to the sha2-256 digest of the *next* key.
//! A rotation (seq n) reveals that committed key, is signed by it, chains to the
//! previous event by id, and commits to the key after it. Whoever steals the
//! current key cannot rotate the issuer away from its owner: they do not hold the
//! pre-rotated key (KERI's pre-rotation).

use minicbor::{Decode, Encode};

use crate::id::RecordId;
use crate::keys::{IssuerId, PublicKey};
use crate::time::Timestamp;

/// One event of an issuer's key log.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct KeyEvent {
    /// The issuer (its inception key).
    #[n(0)]
    pub issuer: IssuerId,
    /// 0 for inception, then 1, 2, ...
    #[n(1)]
    pub seq: u64,
    /// Id of the event at `seq - 1`; absent for inception.
    #[n(2)]
    pub prev: Option<RecordId>,
    /// The key this event makes current: the inception key, or the revealed
    /// pre-rotated key. It signs the event.
    #[n(3)]
    pub key: PublicKey,
    /// sha2-256 of the next key.
    #[cbor(n(4), with = "minicbor::bytes")]
    pub next_key_digest: [u8; 32],
    /// When the key became current.
    #[n(5)]
    pub at: Timestamp,
}

impl KeyEvent {
    /// Checks what can be checked without the rest of the log.
    pub(crate) fn check_shape(&self) -> Result<(), String> {
        match (self.seq, self.prev) {
            (0, None) if self.issuer == IssuerId::from_key(&self.key) => Ok(()),
            (0, None) => Err("inception key must be the issuer's key".into()),
            (0, Some(_)) => Err("inception must not have a predecessor".into()),
            (_, None) => Err("rotation must name its predecessor".into()),
            (_, Some(_)) => Ok(()),
        }
    }
}
