//! Hard limits on everything that arrives from outside.
//!
//! They live in one place so that the node, the gossip layer and the fuzz targets
//! agree on them. Records must stay well below gossipsub's `max_transmit_size`
//! (64 KiB by default; a payload near it is silently dropped, see
//! `shared/reference/libp2p-notes.md`), so a whole envelope is capped at 48 KiB.

/// Largest encoded envelope (COSE_Sign1) the protocol decodes.
pub const MAX_ENVELOPE_BYTES: usize = 48 * 1024;
/// Longest short text (names, identity types, salts, reason texts).
pub const MAX_SHORT_TEXT: usize = 256;
/// Longest long text (descriptions, narratives).
pub const MAX_LONG_TEXT: usize = 8 * 1024;
/// Longest URL or URI.
pub const MAX_URL: usize = 2 * 1024;
/// Most entries in any list inside a record (tags, alignments, evidence, related).
pub const MAX_LIST: usize = 32;
/// Most indices revoked by one revocation update.
pub const MAX_REVOKED_PER_UPDATE: usize = 4096;
/// Most reasons carried by one revocation update.
pub const MAX_REASONS_PER_UPDATE: usize = 64;
/// Largest status index: 2^24 - 1, well above the 131,072 entries of a Bitstring
/// Status List, small enough that a registry's bitset stays tiny.
pub const MAX_STATUS_INDEX: u32 = (1 << 24) - 1;
/// How far in the future (seconds) a record's own timestamp may lie before it is
/// rejected: a head dated next year would otherwise freeze every later head as stale.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;
/// Records held while they wait for a predecessor or an issuer key, per issuer,
/// when their signer is bound to the issuer they claim (its inception key, a
/// key in its log, or the key its last rotation committed to).
pub const MAX_PENDING_PER_ISSUER: usize = 256;
/// Such records held while they wait, over all issuers.
pub const MAX_PENDING_TOTAL: usize = 16 * 1024;
/// Bytes of such records held: without it 16,384 records of up to 48 KiB
/// could hold 768 MiB in memory.
pub const MAX_PENDING_BYTES: usize = 32 * 1024 * 1024;
/// Records held per claimed issuer whose signer nothing binds to that issuer
/// yet (anyone can make them: they get a pool of their own, so they never
/// take the slots of the issuer's genuine records).
pub const MAX_UNVOUCHED_PER_ISSUER: usize = 32;
/// Such unvouched records held over all issuers.
pub const MAX_UNVOUCHED_TOTAL: usize = 4 * 1024;
/// Bytes of unvouched records held.
pub const MAX_UNVOUCHED_BYTES: usize = 8 * 1024 * 1024;
/// Checkpoints (distinct headers) held per issuer besides the latest
/// complete one: an honest issuer's node has at most one being received.
/// Without a bound a free key could sign thousands of partial checkpoints,
/// and every update of that issuer would be checked against each.
pub const MAX_OPEN_CHECKPOINTS: usize = 4;
/// Checkpoint parts held per issuer, all checkpoints together (the base and
/// the open ones, at most 64 parts each).
pub const MAX_CHECKPOINT_PARTS_HELD: usize = 5 * 64;
