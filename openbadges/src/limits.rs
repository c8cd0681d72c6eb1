//! Every bound this crate applies to outside input.

/// Largest credential or status list accepted as JSON text, in bytes.
pub const MAX_JSON_BYTES: usize = 1024 * 1024;
/// Deepest nesting of JSON arrays and objects accepted.
pub const MAX_JSON_DEPTH: usize = 32;
/// Largest decompressed status list bitstring, in bytes (16 MiB).
pub const MAX_STATUS_LIST_BYTES: usize = 16 * 1024 * 1024;
/// Fewest entries a Bitstring Status List may have (16 KiB of bits).
pub const MIN_STATUS_LIST_ENTRIES: usize = 131_072;
/// Most RDF quads one document may produce.
pub const MAX_QUADS: usize = 10_000;
