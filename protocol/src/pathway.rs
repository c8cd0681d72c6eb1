//! Reading pathways: which declarations count, cycles, the graph around a
//! badge class, and a holder's progress along it.
//!
//! A [`Pathway`] record counts ("is in force") when its goal is a badge
//! class this registry holds, signed by the same issuer as the pathway (only
//! a badge's own issuer says what leads to it; anyone can name any class as
//! a prerequisite), and the issuer has not withdrawn it (its status index
//! is not set in the issuer's revocation registry: a withdrawal, like a
//! revocation, is fail safe and final).
//!
//! Cycles: the issuer's node refuses to sign a pathway that would close one
//! ([`cycle_through`]), but a registry keeps whatever arrives (two issuers
//! can each declare half of a cycle before seeing the other half, and the
//! state must not depend on arrival order). So every walk here keeps a
//! visited set, reports the cycles it meets ([`graph::Graph::cycles`]) and
//! never loops; in progress a step is done only by a valid badge of it
//! (never by completing that badge's own pathway), so a cycle cannot make a
//! goal count as done.
//!
//! - [`graph`]: the badges and pathways around a goal, bounded in size.
//! - [`progress`]: which steps a holder's verified badges complete.

pub mod graph;
pub mod progress;

use std::collections::BTreeSet;

use crate::id::RecordId;
use crate::record::{Pathway, Step};
use crate::state::Registry;

/// At most this many badge classes are visited by one walk (a graph, a
/// cycle check), whatever the records hold.
pub const MAX_WALK: usize = 4096;
/// Walks go at most this many pathways deep (and so recurse at most this
/// deep).
pub const MAX_DEPTH: usize = 32;

/// Whether `pathway` counts in `registry`: its goal is a badge class of the
/// pathway's own issuer, and the issuer has not withdrawn it.
pub fn in_force(registry: &Registry, pathway: &Pathway) -> bool {
    let own_goal = registry
        .badge_class(&pathway.goal)
        .is_some_and(|(b, _)| b.issuer == pathway.issuer);
    own_goal && !withdrawn(registry, pathway)
}

/// Whether the issuer has set the pathway's status index.
pub fn withdrawn(registry: &Registry, pathway: &Pathway) -> bool {
    registry
        .issuer(&pathway.issuer)
        .is_some_and(|s| s.revoked(pathway.status_index).is_some())
}

/// The pathways in force that lead to `goal`, in id order.
pub fn pathways_to<'r>(
    registry: &'r Registry,
    goal: &RecordId,
) -> impl Iterator<Item = (RecordId, &'r Pathway)> {
    registry
        .pathways_to(goal)
        .filter(|(p, _)| in_force(registry, p))
        .map(|(p, r)| (r.id(), p))
}

/// The badge classes `badge` directly requires, through every pathway in
/// force to it.
fn requires(registry: &Registry, badge: &RecordId) -> BTreeSet<RecordId> {
    pathways_to(registry, badge)
        .flat_map(|(_, p)| p.prerequisites().copied().collect::<Vec<_>>())
        .collect()
}

/// The cycle that a pathway to `goal` through `steps` would close, as badge
/// class ids from `goal` back to `goal`, or `None`. A cycle closes when a
/// prerequisite already requires `goal`, directly or through other
/// pathways in force. Bounded by [`MAX_WALK`] visited classes and
/// [`MAX_DEPTH`] levels: past that,
/// the walk reports no cycle it has not found (the readers survive one
/// anyway).
pub fn cycle_through(
    registry: &Registry,
    goal: &RecordId,
    steps: &[Step],
) -> Option<Vec<RecordId>> {
    let mut visited = BTreeSet::new();
    for start in steps.iter().flat_map(|s| s.of.iter()) {
        let mut path = vec![*goal, *start];
        if *start == *goal {
            return Some(path);
        }
        if find(registry, start, goal, &mut visited, &mut path) {
            return Some(path);
        }
    }
    None
}

/// Depth-first search from `from` down the "requires" edges for `target`;
/// on success `path` ends with `target`.
fn find(
    registry: &Registry,
    from: &RecordId,
    target: &RecordId,
    visited: &mut BTreeSet<RecordId>,
    path: &mut Vec<RecordId>,
) -> bool {
    if path.len() > MAX_DEPTH || !visited.insert(*from) || visited.len() > MAX_WALK {
        return false;
    }
    for next in requires(registry, from) {
        path.push(next);
        if next == *target || find(registry, &next, target, visited, path) {
            return true;
        }
        path.pop();
    }
    false
}

/// The (prerequisite, goal) pairs of pathways in force whose both ends are
/// among `classes`, in order and without repeats: what a learner record
/// can say about how the badges it holds build on each other.
pub fn edges_among(registry: &Registry, classes: &BTreeSet<RecordId>) -> Vec<(RecordId, RecordId)> {
    let mut out = BTreeSet::new();
    for pre in classes {
        for (p, _) in registry.pathways_from(pre) {
            if classes.contains(&p.goal) && in_force(registry, p) {
                out.insert((*pre, p.goal));
            }
        }
    }
    out.into_iter().collect()
}
