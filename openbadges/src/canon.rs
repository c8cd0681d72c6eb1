//! RDF Dataset Canonicalization (RDFC-1.0) with rdf-canon, bounded.
//!
//! RDFC-1.0 is cheap for blank nodes it can tell apart by their own quads
//! (their first-degree hash) and exponential for nodes it cannot: it then
//! runs hash-N-degree-quads over every permutation of each group of
//! look-alike neighbours. rdf-canon bounds the number of those calls but not
//! the permutations it tries inside one call, so before handing the quads
//! over, [`canonicalize`] works out both itself: a dataset with more than
//! [`MAX_LOOKALIKE_BLANK_NODES`] look-alike nodes, or one whose look-alike
//! node would need more than [`MAX_PERMUTATIONS_PER_CALL`] permutations in
//! one call, is refused. The call limit ([`HNDQ_CALL_LIMIT`]) then bounds
//! the calls, so the work is at most their product. Neighbours are grouped
//! by their first-degree signature alone (RDFC-1.0 also splits them by
//! predicate and position), which can only overestimate the groups.

use std::collections::HashMap;

use oxrdf_canon::{Quad, Subject, Term};
use rdf_canon::{CanonicalizationOptions, issue_quads_with, relabel_quads};
use sha2_canon::{Sha256, Sha384};

use crate::limits::{HNDQ_CALL_LIMIT, MAX_LOOKALIKE_BLANK_NODES, MAX_PERMUTATIONS_PER_CALL};

/// Canonicalization was refused or failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CanonError {
    /// Too many blank nodes look alike: canonicalizing them would cost
    /// exponential time.
    #[error(
        "RDFC-1.0 refused: {found} blank nodes look alike (at most {MAX_LOOKALIKE_BLANK_NODES} are canonicalized)"
    )]
    TooManyLookalikes {
        /// How many blank nodes share a first-degree hash with another.
        found: usize,
    },
    /// A look-alike blank node has so many look-alike neighbours that
    /// telling them apart would try too many permutations.
    #[error(
        "RDFC-1.0 refused: telling look-alike blank nodes apart would take {found} permutations in one step (at most {MAX_PERMUTATIONS_PER_CALL})"
    )]
    TooManyPermutations {
        /// The permutations the worst node would need (saturating).
        found: u64,
    },
    /// rdf-canon gave up (its hash-N-degree-quads call limit) or failed.
    #[error("RDFC-1.0 canonicalization failed: {0}")]
    Failed(String),
}

/// The canonical N-Quads of `quads` (RDFC-1.0, SHA-256), one line per quad.
///
/// rdf-canon issues the canonical blank node labels; relabelling the quads
/// and sorting their lines here, instead of through `canonicalize_quads`,
/// skips building a second indexed dataset (a third of the time for a
/// credential). Equal quads are one quad in a dataset, hence the `dedup`.
pub fn canonicalize(quads: &[Quad]) -> Result<String, CanonError> {
    canonicalize_with::<Sha256>(quads)
}

/// [`canonicalize`] with SHA-384 as RDFC-1.0's hash function, which
/// `ecdsa-rdfc-2019` uses with P-384 keys: it can issue different blank node
/// labels than SHA-256 does.
pub fn canonicalize_sha384(quads: &[Quad]) -> Result<String, CanonError> {
    canonicalize_with::<Sha384>(quads)
}

/// RDFC-1.0 (SHA-256) with every canonical blank node label (`c14n0`...)
/// replaced through `relabel`, as `ecdsa-sd-2023` does with its label map:
/// the N-Quads lines (each ending in `\n`) sorted after relabelling. A
/// canonical label `relabel` does not know, or maps to something that is not
/// a blank node label, is an error.
pub fn canonicalize_relabelled(
    quads: &[Quad],
    relabel: impl Fn(&str) -> Option<String>,
) -> Result<Vec<String>, CanonError> {
    check_budget(quads)?;
    let options = CanonicalizationOptions {
        hndq_call_limit: Some(HNDQ_CALL_LIMIT),
    };
    let canonical = issue_quads_with::<Sha256>(quads, &options)
        .map_err(|e| CanonError::Failed(e.to_string()))?;
    let mut labels = HashMap::with_capacity(canonical.len());
    for (input, c14n) in canonical {
        let new = relabel(&c14n)
            .filter(|l| oxrdf_canon::BlankNode::new(l.as_str()).is_ok())
            .ok_or_else(|| CanonError::Failed(format!("no usable label for _:{c14n}")))?;
        labels.insert(input, new);
    }
    let relabelled =
        relabel_quads(quads, &labels).map_err(|e| CanonError::Failed(e.to_string()))?;
    let mut lines: Vec<String> = relabelled.iter().map(|q| format!("{q} .\n")).collect();
    lines.sort_unstable();
    lines.dedup();
    Ok(lines)
}

fn canonicalize_with<D: sha2_canon::Digest>(quads: &[Quad]) -> Result<String, CanonError> {
    check_budget(quads)?;
    let options = CanonicalizationOptions {
        hndq_call_limit: Some(HNDQ_CALL_LIMIT),
    };
    let labels =
        issue_quads_with::<D>(quads, &options).map_err(|e| CanonError::Failed(e.to_string()))?;
    let relabelled =
        relabel_quads(quads, &labels).map_err(|e| CanonError::Failed(e.to_string()))?;
    let mut lines: Vec<String> = relabelled.iter().map(|q| format!("{q} .\n")).collect();
    lines.sort_unstable();
    lines.dedup();
    Ok(lines.concat())
}

/// Refuses what would make RDFC-1.0 exponential (see the module comment).
fn check_budget(quads: &[Quad]) -> Result<(), CanonError> {
    let b = Budget::of(quads);
    if b.lookalikes > MAX_LOOKALIKE_BLANK_NODES {
        return Err(CanonError::TooManyLookalikes {
            found: b.lookalikes,
        });
    }
    if b.worst_permutations > MAX_PERMUTATIONS_PER_CALL {
        return Err(CanonError::TooManyPermutations {
            found: b.worst_permutations,
        });
    }
    Ok(())
}

/// What canonicalizing a dataset would cost RDFC-1.0, in its own terms.
struct Budget {
    /// Blank nodes whose first-degree signature another blank node shares.
    lookalikes: usize,
    /// The most permutations one hash-N-degree-quads call on a look-alike
    /// node would try: the sum, over groups of its neighbours sharing a
    /// signature, of (group size)! (saturating).
    worst_permutations: u64,
}

impl Budget {
    /// A blank node's first-degree "signature" is the sorted set of quads
    /// that mention it, with itself written `_:a` and every other blank node
    /// `_:z` (what RDFC-1.0 hashes for its first-degree hash, unhashed).
    /// Linear in the quads, plus sorting each node's lines.
    fn of(quads: &[Quad]) -> Budget {
        let mut mentions: HashMap<&str, Vec<String>> = HashMap::new();
        let mut neighbours: HashMap<&str, Vec<&str>> = HashMap::new();
        for q in quads {
            let mut nodes: Vec<&str> = Vec::with_capacity(3);
            if let Subject::BlankNode(b) = &q.subject {
                nodes.push(b.as_str());
            }
            if let Term::BlankNode(b) = &q.object {
                nodes.push(b.as_str());
            }
            if let oxrdf_canon::GraphName::BlankNode(b) = &q.graph_name {
                nodes.push(b.as_str());
            }
            nodes.sort_unstable();
            nodes.dedup();
            for &node in &nodes {
                mentions
                    .entry(node)
                    .or_default()
                    .push(first_degree_line(q, node));
                let n = neighbours.entry(node).or_default();
                n.extend(nodes.iter().filter(|&&m| m != node));
            }
        }
        let mut signature: HashMap<&str, Vec<String>> = HashMap::with_capacity(mentions.len());
        for (node, mut lines) in mentions {
            lines.sort_unstable();
            lines.dedup();
            signature.insert(node, lines);
        }
        let mut groups: HashMap<&[String], usize> = HashMap::with_capacity(signature.len());
        for lines in signature.values() {
            *groups.entry(lines.as_slice()).or_default() += 1;
        }
        let alike = |node: &str| {
            signature
                .get(node)
                .is_some_and(|s| groups.get(s.as_slice()).copied().unwrap_or(0) > 1)
        };
        let lookalikes = signature.keys().filter(|n| alike(n)).count();
        let mut worst_permutations = 0u64;
        for (node, near) in &mut neighbours {
            if !alike(node) {
                continue;
            }
            near.sort_unstable();
            near.dedup();
            let mut by_signature: HashMap<&[String], u64> = HashMap::new();
            for m in near.iter() {
                if let Some(s) = signature.get(m) {
                    *by_signature.entry(s.as_slice()).or_default() += 1;
                }
            }
            let permutations = by_signature
                .values()
                .map(|&k| factorial(k))
                .fold(0u64, u64::saturating_add);
            worst_permutations = worst_permutations.max(permutations);
        }
        Budget {
            lookalikes,
            worst_permutations,
        }
    }
}

/// `k!`, saturating.
fn factorial(k: u64) -> u64 {
    (1..=k).fold(1u64, u64::saturating_mul)
}

/// One quad as RDFC-1.0's first-degree hash sees it from `node`.
fn first_degree_line(q: &Quad, node: &str) -> String {
    let blank = |b: &str| if b == node { "_:a" } else { "_:z" };
    let subject = match &q.subject {
        Subject::BlankNode(b) => blank(b.as_str()).to_owned(),
        other => other.to_string(),
    };
    let object = match &q.object {
        Term::BlankNode(b) => blank(b.as_str()).to_owned(),
        other => other.to_string(),
    };
    let graph = match &q.graph_name {
        oxrdf_canon::GraphName::BlankNode(b) => blank(b.as_str()).to_owned(),
        oxrdf_canon::GraphName::DefaultGraph => String::new(),
        oxrdf_canon::GraphName::NamedNode(n) => n.to_string(),
    };
    format!("{subject} {} {object} {graph}", q.predicate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxrdf_canon::{BlankNode, NamedNode};

    /// `n` blank nodes, each linked to every other by the same predicate:
    /// every node looks like every other (the classic "poison" graph).
    fn clique(n: usize) -> Vec<Quad> {
        let p = NamedNode::new_unchecked("https://example.org/knows");
        let node = |i: usize| BlankNode::new_unchecked(format!("b{i}"));
        let mut quads = Vec::new();
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    quads.push(Quad::new(
                        node(i),
                        p.clone(),
                        node(j),
                        oxrdf_canon::GraphName::DefaultGraph,
                    ));
                }
            }
        }
        quads
    }

    #[test]
    fn lookalike_blank_nodes_are_refused_before_rdf_canon_runs() {
        // Nine nodes, each with eight look-alike neighbours: 8! orders.
        assert_eq!(
            canonicalize(&clique(9)),
            Err(CanonError::TooManyPermutations { found: 40_320 })
        );
        // Eight: 7! = 5,040, the most one step may try, so it goes on to
        // rdf-canon, whose call limit then stops it.
        assert!(matches!(
            canonicalize(&clique(8)),
            Ok(_) | Err(CanonError::Failed(_))
        ));
    }

    #[test]
    #[ignore = "prints timings; run by hand"]
    fn worst_case_timings() {
        for n in 2..=8 {
            let quads = clique(n);
            let t = std::time::Instant::now();
            let r = canonicalize(&quads);
            println!("clique {n}: {:?} {:?}", t.elapsed(), r.map(|s| s.len()));
            // The same, with each node carrying many identical literals, so
            // that each hash-N-degree-quads call has many quads to hash.
            let mut heavy = clique(n);
            for i in 0..n {
                for k in 0..(crate::limits::MAX_QUADS / n - n) {
                    heavy.push(Quad::new(
                        BlankNode::new_unchecked(format!("b{i}")),
                        NamedNode::new_unchecked("https://example.org/p"),
                        oxrdf_canon::Literal::new_simple_literal(k.to_string()),
                        oxrdf_canon::GraphName::DefaultGraph,
                    ));
                }
            }
            let t = std::time::Instant::now();
            let r = canonicalize(&heavy);
            println!(
                "heavy clique {n} ({} quads): {:?} {:?}",
                heavy.len(),
                t.elapsed(),
                r.map(|s| s.len())
            );
        }
    }
}
