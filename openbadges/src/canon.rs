//! RDF Dataset Canonicalization (RDFC-1.0) with rdf-canon, bounded.

use oxrdf_canon::Quad;
use rdf_canon::{CanonicalizationOptions, canonicalize_quads_with};
use sha2_canon::Sha256;

/// Bound on the hash-N-degree-quads calls, against "poison" graphs whose
/// blank-node structure would make canonicalization take exponential time.
const HNDQ_CALL_LIMIT: usize = 4_000;

/// Canonicalization failed (too complex a blank-node structure).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("RDFC-1.0 canonicalization failed: {0}")]
pub struct CanonError(String);

/// The canonical N-Quads of `quads` (RDFC-1.0, SHA-256), one line per quad.
pub fn canonicalize(quads: &[Quad]) -> Result<String, CanonError> {
    let options = CanonicalizationOptions {
        hndq_call_limit: Some(HNDQ_CALL_LIMIT),
    };
    canonicalize_quads_with::<Sha256>(quads, &options).map_err(|e| CanonError(e.to_string()))
}
