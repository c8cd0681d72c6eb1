//! The earner's backpack: the badges a person holds, whatever their format,
//! kept on their own node and checked again every time they look.
//!
//! An earner adds a badge file (native, OB 3.0 JSON or VC-JWT, OB 2.0 JSON
//! or JWS, baked PNG or SVG). It is verified first, through the same entry
//! as `POST /v1/verify` ([`crate::verdict::formats::verify_any`], in the
//! same verification pool): what is not a badge, or is invalid (a forged
//! signature, a tampered document), is refused; anything else is kept,
//! including a badge that is only *indeterminate* here (its issuer unknown,
//! its status list not held), which is marked so. The original bytes are
//! kept, never a re-encoding, so an exported badge verifies anywhere.
//! Listing or showing verifies every badge again, with the verdict and
//! freshness `verify` gives now: a badge revoked or expired after it was
//! added is shown as such, never dropped.
//!
//! - [`badges`]: the held badges (their bytes and what was noted when they
//!   were added), two redb tables in the node's store file.
//! - [`collections`]: named, ordered sets of held badges, private unless
//!   the earner publishes one (for the public page of the next step).
//! - [`views`]: a held badge with its verdict of now, as the API answers it.
//! - [`holder`]: the earner's own key (a did:key in `earner.key`), made on
//!   first use, which signs presentations.
//! - [`linkedin`]: LinkedIn's "Add to profile" link for a valid badge.
//! - [`present`]: presentations of several held badges, signed by that key
//!   for a verifier's challenge and domain.
//! - `page`: the public page of a collection the earner published,
//!   `/p/{collection}` (the only part of the backpack read without the
//!   token).
//! - `routes`: the admin routes (`/v1/admin/backpack/...`), behind the
//!   admin token like every other route that changes the node.
//!
//! The backpack lives in `store.redb` beside the records because the node
//! owns that file (redb locks it) and a backpack must work with no network
//! beyond the local node. Its tables are its own: the protocol's state never
//! reads them, and a store without them (an older node) is an empty
//! backpack.

pub mod badges;
pub mod collections;
pub mod holder;
pub mod linkedin;
pub(crate) mod page;
pub mod present;
pub(crate) mod routes;
pub mod views;

use crate::store::StoreError;

/// Most badges one backpack holds: every `list` verifies each of them.
pub const MAX_BADGES: usize = 1_000;
/// Most bytes all held badges take together (each is also capped by the
/// API's request body limit, the same as `/v1/verify`'s).
pub const MAX_BYTES: u64 = 256 << 20;
/// Most collections.
pub const MAX_COLLECTIONS: usize = 100;
/// Longest collection name, in bytes (it becomes a URL path segment).
pub const MAX_NAME: usize = 64;
/// Longest file name kept with a badge (a label only, never a path).
pub const MAX_FILE_NAME: usize = 128;

/// What can go wrong with the backpack's storage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackpackError {
    /// The store could not be read or written (a full disk is told apart,
    /// see [`StoreError::storage_problem`]).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No held badge has this id, or no single one starts with it.
    #[error("no badge {0} in the backpack")]
    NoBadge(String),
    /// More than one held badge starts with this id.
    #[error("{0} names more than one badge in the backpack; give more of the id")]
    Ambiguous(String),
    /// An id that is not (the start of) a backpack id.
    #[error("{0:?} is not a backpack id (hexadecimal, at least 6 characters)")]
    BadId(String),
    /// A collection name that does not fit in a URL path segment.
    #[error(
        "{0:?} is not a collection name: 1 to 64 letters, digits, '-' or '_', starting with a letter or digit"
    )]
    BadName(String),
    /// No collection by this name.
    #[error("no collection {0:?} in the backpack")]
    NoCollection(String),
    /// A collection by this name exists already.
    #[error("a collection {0:?} exists already")]
    CollectionExists(String),
    /// The backpack holds as much as it may.
    #[error("the backpack is full: {0}")]
    Full(String),
    /// A stored entry does not decode: the file is damaged.
    #[error("backpack entry {0} is damaged")]
    Corrupt(String),
}

/// A redb error as the store's error, so storage problems (a full disk, a
/// read-only directory) keep their meaning.
pub(crate) fn db<E: Into<redb::Error>>(e: E) -> BackpackError {
    BackpackError::Store(StoreError::Db(e.into()))
}
