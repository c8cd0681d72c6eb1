//! The graph around one badge class: the pathways in force that lead to it
//! (and, recursively, to its prerequisites), and those it leads to (with
//! their other prerequisites, at the goal's level).
//!
//! Bounded: at most [`MAX_GRAPH_BADGES`] badge classes and
//! [`super::MAX_DEPTH`] levels; `truncated` says when something was left
//! out. A cycle met on the way is reported once and not followed again.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{MAX_DEPTH, pathways_to};
use crate::id::RecordId;
use crate::keys::IssuerId;
use crate::record::Step;
use crate::state::Registry;

/// At most this many badge classes in one graph (what a page or a terminal
/// can show).
pub const MAX_GRAPH_BADGES: usize = 256;

/// A badge class in the graph.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BadgeNode {
    /// Its id.
    pub id: RecordId,
    /// Its name, when this registry holds the class.
    pub name: Option<String>,
    /// Its issuer, when held.
    pub issuer: Option<IssuerId>,
    /// How many pathways below the goal (0 for the goal, -1 for what the
    /// goal leads to).
    pub depth: i32,
}

/// A pathway in force in the graph.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PathwayNode {
    /// The pathway record's id.
    pub id: RecordId,
    /// The badge class it leads to.
    pub goal: RecordId,
    /// Its issuer (the goal's).
    pub issuer: IssuerId,
    /// Its name, if it has one.
    pub name: Option<String>,
    /// Its steps.
    pub steps: Vec<Step>,
    /// Whether the issuer's node awards the goal on its own.
    pub auto_award: bool,
}

/// The graph around a goal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Graph {
    /// The badge class asked about.
    pub goal: RecordId,
    /// Every badge class met, the goal first.
    pub badges: Vec<BadgeNode>,
    /// Every pathway in force met: to the goal, to its prerequisites, and
    /// from the goal to what it leads to.
    pub pathways: Vec<PathwayNode>,
    /// The badge classes the goal is a step towards.
    pub leads_to: Vec<RecordId>,
    /// Cycles met, each as badge class ids from one back to itself.
    pub cycles: Vec<Vec<RecordId>>,
    /// Whether the bounds left something out.
    pub truncated: bool,
}

/// Builds the graph around `goal` from what `registry` holds.
pub fn graph(registry: &Registry, goal: &RecordId) -> Graph {
    let mut g = Walk {
        registry,
        badges: BTreeMap::new(),
        order: Vec::new(),
        pathways: BTreeMap::new(),
        cycles: Vec::new(),
        seen_cycles: BTreeSet::new(),
        done: BTreeSet::new(),
        truncated: false,
    };
    g.badge(goal, 0);
    let mut path = vec![*goal];
    g.down(goal, &mut path);
    let mut leads_to = Vec::new();
    for (p, r) in registry.pathways_from(goal) {
        if !super::in_force(registry, p) {
            continue;
        }
        g.pathway(r.id(), p);
        if !leads_to.contains(&p.goal) {
            leads_to.push(p.goal);
            g.badge(&p.goal, -1);
        }
        // The goal's fellow prerequisites, beside it: what else that step
        // up needs.
        for pre in p.prerequisites() {
            g.badge(pre, 0);
        }
    }
    Graph {
        goal: *goal,
        badges: g
            .order
            .iter()
            .filter_map(|id| g.badges.remove(id))
            .collect(),
        pathways: g.pathways.into_values().collect(),
        leads_to,
        cycles: g.cycles,
        truncated: g.truncated,
    }
}

struct Walk<'r> {
    registry: &'r Registry,
    badges: BTreeMap<RecordId, BadgeNode>,
    order: Vec<RecordId>,
    pathways: BTreeMap<RecordId, PathwayNode>,
    cycles: Vec<Vec<RecordId>>,
    seen_cycles: BTreeSet<BTreeSet<RecordId>>,
    /// Badge classes whose pathways have been walked.
    done: BTreeSet<RecordId>,
    truncated: bool,
}

impl Walk<'_> {
    fn badge(&mut self, id: &RecordId, depth: i32) -> bool {
        if self.badges.contains_key(id) {
            return true;
        }
        if self.badges.len() >= MAX_GRAPH_BADGES {
            self.truncated = true;
            return false;
        }
        let class = self.registry.badge_class(id).map(|(b, _)| b);
        self.badges.insert(
            *id,
            BadgeNode {
                id: *id,
                name: class.map(|b| b.name.clone()),
                issuer: class.map(|b| b.issuer),
                depth,
            },
        );
        self.order.push(*id);
        true
    }

    fn pathway(&mut self, id: RecordId, p: &crate::record::Pathway) {
        self.pathways.entry(id).or_insert_with(|| PathwayNode {
            id,
            goal: p.goal,
            issuer: p.issuer,
            name: p.name.clone(),
            steps: p.steps.clone(),
            auto_award: p.auto_award,
        });
    }

    /// Walks the pathways to `badge`; `path` is the chain of goals from
    /// the graph's goal to `badge`, for finding cycles.
    fn down(&mut self, badge: &RecordId, path: &mut Vec<RecordId>) {
        if !self.done.insert(*badge) {
            return;
        }
        if path.len() > MAX_DEPTH {
            self.truncated = true;
            return;
        }
        let depth = i32::try_from(path.len()).unwrap_or(i32::MAX);
        let registry = self.registry;
        for (id, p) in pathways_to(registry, badge) {
            self.pathway(id, p);
            for pre in p.prerequisites() {
                if let Some(at) = path.iter().position(|b| b == pre) {
                    let mut cycle = path[at..].to_vec();
                    cycle.push(*pre);
                    if self.seen_cycles.insert(cycle.iter().copied().collect()) {
                        self.cycles.push(cycle);
                    }
                    continue;
                }
                if !self.badge(pre, depth) {
                    continue;
                }
                path.push(*pre);
                self.down(pre, path);
                path.pop();
            }
        }
    }
}
