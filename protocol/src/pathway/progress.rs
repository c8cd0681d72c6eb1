//! A holder's progress towards a goal: which steps of each pathway in
//! force their verified badges complete, and what remains.
//!
//! The caller verifies the holder's badges (the node does, in its
//! verification pool) and gives each as a [`Held`]: the badge class it
//! awards and its verdict. Only a *valid* badge completes a step: a revoked,
//! expired, invalid or undecided one is shown with its standing and counts
//! for nothing, so a revoked prerequisite leaves its step open.

use std::collections::BTreeMap;

use serde::Serialize;

use super::pathways_to;
use crate::id::RecordId;
use crate::state::Registry;

/// What the verification of one held badge came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Signature, issuer, dates and status all check out.
    Valid,
    /// Expired.
    Expired,
    /// Not decidable now (the issuer or its revocation data not held).
    Indeterminate,
    /// Revoked by its issuer.
    Revoked,
    /// Failed a check (forged, tampered, wrong issuer).
    Invalid,
}

impl Standing {
    /// Reads a verdict's `outcome` (`valid`, `revoked`, ...); anything else,
    /// such as `suspended` or `not_yet_valid`, is not valid now and counts
    /// as indeterminate.
    pub fn from_outcome(outcome: &str) -> Standing {
        match outcome {
            "valid" => Standing::Valid,
            "expired" => Standing::Expired,
            "revoked" => Standing::Revoked,
            "invalid" => Standing::Invalid,
            _ => Standing::Indeterminate,
        }
    }
}

/// One of the holder's badges, verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    /// The badge class it awards.
    pub badge_class: RecordId,
    /// Something that names the credential to the holder (an assertion id,
    /// a credential id, a file name).
    pub credential: String,
    /// Its verdict.
    pub standing: Standing,
}

/// Where one prerequisite stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ItemProgress {
    /// The badge class.
    pub badge: RecordId,
    /// Its name, when held.
    pub name: Option<String>,
    /// `done` (a valid badge), or the best standing of the holder's badges
    /// of this class, or `missing`.
    pub state: &'static str,
    /// The credential that decided `state`, if any.
    pub credential: Option<String>,
    /// When it is not done and pathways lead to it too: the holder's
    /// progress along those (at most [`NESTED_LEVELS`] deep, never round a
    /// cycle). A complete one does not make this step done: the holder
    /// needs the badge itself, from its issuer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub towards: Option<Box<Progress>>,
}

/// How many levels of prerequisites' own pathways progress looks into.
pub const NESTED_LEVELS: usize = 3;

/// Where one step stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepProgress {
    /// How many are needed.
    pub need: u16,
    /// How many are done.
    pub done: usize,
    /// Whether `done >= need`.
    pub complete: bool,
    /// Each choice.
    pub items: Vec<ItemProgress>,
}

/// Where one pathway stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PathwayProgress {
    /// The pathway record's id.
    pub id: RecordId,
    /// Its name, if any.
    pub name: Option<String>,
    /// Whether every step is complete.
    pub complete: bool,
    /// Its steps.
    pub steps: Vec<StepProgress>,
    /// The credentials that complete it (valid ones only), when complete:
    /// what an award of the goal rests on.
    pub rests_on: Vec<String>,
}

/// A holder's progress towards a goal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// The goal.
    pub goal: RecordId,
    /// Its name, when held.
    pub name: Option<String>,
    /// A valid badge of the goal itself the holder already has.
    pub goal_held: Option<String>,
    /// Whether some pathway is complete.
    pub complete: bool,
    /// Each pathway in force to the goal, in id order (none: the goal has
    /// no declared pathway here).
    pub pathways: Vec<PathwayProgress>,
}

/// The progress of a holder with `held` towards `goal`.
pub fn progress(registry: &Registry, goal: &RecordId, held: &[Held]) -> Progress {
    // The best standing per class (valid first), with its credential.
    let mut best: BTreeMap<RecordId, &Held> = BTreeMap::new();
    for h in held {
        best.entry(h.badge_class)
            .and_modify(|b| {
                if h.standing < b.standing {
                    *b = h;
                }
            })
            .or_insert(h);
    }
    let mut on_path = vec![*goal];
    progress_at(registry, goal, &best, &mut on_path)
}

/// [`progress`] of `goal`; `on_path` holds the goals from the first one
/// down to this one, so no walk goes round a cycle.
fn progress_at(
    registry: &Registry,
    goal: &RecordId,
    best: &BTreeMap<RecordId, &Held>,
    on_path: &mut Vec<RecordId>,
) -> Progress {
    let name_of = |id: &RecordId| registry.badge_class(id).map(|(b, _)| b.name.clone());
    let mut pathways = Vec::new();
    for (id, p) in pathways_to(registry, goal) {
        let mut rests_on = Vec::new();
        let steps: Vec<StepProgress> = p
            .steps
            .iter()
            .map(|step| {
                let items: Vec<ItemProgress> = step
                    .of
                    .iter()
                    .map(|b| {
                        let h = best.get(b);
                        let state = match h.map(|h| h.standing) {
                            None => "missing",
                            Some(Standing::Valid) => "done",
                            Some(Standing::Expired) => "expired",
                            Some(Standing::Indeterminate) => "indeterminate",
                            Some(Standing::Revoked) => "revoked",
                            Some(Standing::Invalid) => "invalid",
                        };
                        let towards = (state != "done"
                            && on_path.len() <= NESTED_LEVELS
                            && !on_path.contains(b)
                            && pathways_to(registry, b).next().is_some())
                        .then(|| {
                            on_path.push(*b);
                            let sub = progress_at(registry, b, best, on_path);
                            on_path.pop();
                            Box::new(sub)
                        });
                        ItemProgress {
                            badge: *b,
                            name: name_of(b),
                            state,
                            credential: h.map(|h| h.credential.clone()),
                            towards,
                        }
                    })
                    .collect();
                let done: Vec<&ItemProgress> = items.iter().filter(|i| i.state == "done").collect();
                let complete = done.len() >= usize::from(step.need);
                if complete {
                    rests_on.extend(
                        done.iter()
                            .take(usize::from(step.need))
                            .filter_map(|i| i.credential.clone()),
                    );
                }
                StepProgress {
                    need: step.need,
                    done: done.len(),
                    complete,
                    items,
                }
            })
            .collect();
        let complete = steps.iter().all(|s| s.complete);
        if !complete {
            rests_on.clear();
        }
        pathways.push(PathwayProgress {
            id,
            name: p.name.clone(),
            complete,
            steps,
            rests_on,
        });
    }
    Progress {
        goal: *goal,
        name: name_of(goal),
        goal_held: best
            .get(goal)
            .filter(|h| h.standing == Standing::Valid)
            .map(|h| h.credential.clone()),
        complete: pathways.iter().any(|p| p.complete),
        pathways,
    }
}
