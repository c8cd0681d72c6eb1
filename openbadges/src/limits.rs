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
/// Most entries a credential's `proof` may have. Each proof that names the
/// issuer costs a signature check and, unless its options have the common
/// fixed shape, a JSON-LD and RDFC-1.0 run of its own; a credential with more
/// is refused before any of that work (issuers sign once, rarely twice).
pub const MAX_PROOFS: usize = 4;
/// Most `credentialStatus` entries a credential may have; each one may make
/// the caller read and inflate a status list. More are refused.
pub const MAX_STATUS_ENTRIES: usize = 4;
/// Most blank nodes in one document whose first-degree hash is not unique
/// (nodes that look alike to RDFC-1.0, counted over all such groups): each
/// costs at least one hash-N-degree-quads call. Honest credentials have a
/// few (the OB 3.0 specification's complete example has 12: the same
/// alignment repeated in results and result descriptions, and alike images
/// and identifiers); beyond this many the document is refused.
pub const MAX_LOOKALIKE_BLANK_NODES: usize = 64;
/// Most permutations one hash-N-degree-quads call may have to try: for a
/// look-alike blank node, the sum over groups of its neighbours that look
/// alike of (group size)!. This is what makes RDFC-1.0 exponential, and
/// rdf-canon's call limit does not count it; 5,040 is 7!, a node with seven
/// identical neighbours (eight identical alignments on one achievement).
pub const MAX_PERMUTATIONS_PER_CALL: u64 = 5_040;
/// Most hash-N-degree-quads calls one canonicalisation may make (rdf-canon's
/// default is 4,000; a credential without look-alike blank nodes makes none).
pub const HNDQ_CALL_LIMIT: usize = 256;
/// Longest VC-JWT (compact JWS) accepted, in characters: a credential of
/// [`MAX_JSON_BYTES`] in base64url, plus room for a header and a signature.
pub const MAX_JWT_CHARS: usize = MAX_JSON_BYTES / 3 * 4 + 32 * 1024;
/// Most signatures (disclosed statements) an `ecdsa-sd-2023` derived proof
/// may carry, and most entries of its label map and mandatory indexes; each
/// signature is an ECDSA verification. More is refused before any.
pub const MAX_SD_SIGNATURES: usize = 512;
