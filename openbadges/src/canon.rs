//! RDF Dataset Canonicalization (RDFC-1.0) with rdf-canon, bounded.

use oxrdf_canon::Quad;
use rdf_canon::{CanonicalizationOptions, issue_quads_with, relabel_quads};
use sha2_canon::Sha256;

/// Bound on the hash-N-degree-quads calls, against "poison" graphs whose
/// blank-node structure would make canonicalization take exponential time.
const HNDQ_CALL_LIMIT: usize = 4_000;

/// Canonicalization failed (too complex a blank-node structure).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("RDFC-1.0 canonicalization failed: {0}")]
pub struct CanonError(String);

/// The canonical N-Quads of `quads` (RDFC-1.0, SHA-256), one line per quad.
///
/// rdf-canon issues the canonical blank node labels; relabelling the quads
/// and sorting their lines here, instead of through `canonicalize_quads`,
/// skips building a second indexed dataset (a third of the time for a
/// credential). Equal quads are one quad in a dataset, hence the `dedup`.
pub fn canonicalize(quads: &[Quad]) -> Result<String, CanonError> {
    let options = CanonicalizationOptions {
        hndq_call_limit: Some(HNDQ_CALL_LIMIT),
    };
    let labels =
        issue_quads_with::<Sha256>(quads, &options).map_err(|e| CanonError(e.to_string()))?;
    let relabelled = relabel_quads(quads, &labels).map_err(|e| CanonError(e.to_string()))?;
    let mut lines: Vec<String> = relabelled.iter().map(|q| format!("{q} .\n")).collect();
    lines.sort_unstable();
    lines.dedup();
    Ok(lines.concat())
}
