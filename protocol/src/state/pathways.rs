//! The pathways a registry holds, indexed by goal and by prerequisite so
//! that drawing a graph or checking a declaration for a cycle walks only
//! the pathways it meets.
//!
//! Like endorsements, a pathway is kept whether or not its goal or
//! prerequisites are known yet (requiring them first would make the state
//! depend on arrival order), and a cycle between pathways is kept too: two
//! issuers can each declare half of one without having seen the other's
//! half, so refusing on arrival would also depend on order. Readers
//! ([`crate::pathway`]) decide what counts.

use std::sync::Arc;

use imbl::{OrdMap, OrdSet};

use super::{Outcome, Registry};
use crate::id::RecordId;
use crate::keys::IssuerId;
use crate::record::{Pathway, Record, SignedRecord};

/// Pathways by id, by goal and by prerequisite.
#[derive(Clone, Debug, Default)]
pub(super) struct PathwayIndex {
    by_id: OrdMap<RecordId, Arc<SignedRecord>>,
    /// Goal -> pathways leading to it.
    to: OrdMap<RecordId, OrdSet<RecordId>>,
    /// Prerequisite -> pathways it is a step of.
    from: OrdMap<RecordId, OrdSet<RecordId>>,
}

impl Registry {
    /// A pathway: immutable, kept under its issuer (for sync and the quota),
    /// its goal and each prerequisite.
    pub(super) fn apply_pathway(&mut self, rec: Arc<SignedRecord>) -> Outcome {
        let Record::Pathway(p) = rec.record() else {
            return Outcome::Duplicate;
        };
        let id = rec.id();
        self.remember(&rec);
        if let Some(s) = self.issuers.get_mut(&p.issuer) {
            s.pathways.insert(id);
        }
        let index = &mut self.pathways;
        index.to.entry(p.goal).or_default().insert(id);
        for pre in p.prerequisites() {
            index.from.entry(*pre).or_default().insert(id);
        }
        index.by_id.insert(id, rec);
        Outcome::Accepted
    }

    /// A pathway and its signed record.
    pub fn pathway(&self, id: &RecordId) -> Option<(&Pathway, &Arc<SignedRecord>)> {
        self.pathways.by_id.get(id).and_then(|r| match r.record() {
            Record::Pathway(p) => Some((p, r)),
            _ => None,
        })
    }

    /// The pathways declared to `goal`, by anyone, in id order (whether one
    /// counts is [`crate::pathway`]'s question).
    pub fn pathways_to(
        &self,
        goal: &RecordId,
    ) -> impl Iterator<Item = (&Pathway, &Arc<SignedRecord>)> {
        self.pathways
            .to
            .get(goal)
            .into_iter()
            .flatten()
            .filter_map(|id| self.pathway(id))
    }

    /// The pathways that have `badge` as a prerequisite, in id order.
    pub fn pathways_from(
        &self,
        badge: &RecordId,
    ) -> impl Iterator<Item = (&Pathway, &Arc<SignedRecord>)> {
        self.pathways
            .from
            .get(badge)
            .into_iter()
            .flatten()
            .filter_map(|id| self.pathway(id))
    }

    /// The pathways `issuer` declared, in id order: what sync and bundles
    /// carry for it besides [`super::IssuerState::records`].
    pub fn pathways_by(&self, issuer: &IssuerId) -> impl Iterator<Item = &Arc<SignedRecord>> {
        self.issuers
            .get(issuer)
            .into_iter()
            .flat_map(|s| s.pathways.iter())
            .filter_map(|id| self.pathways.by_id.get(id))
    }
}
