//! Pathways: a badge class declared as the goal of others (a "stack").
//!
//! An issuer signs a `Pathway` naming one of its own badge classes (the
//! goal, the badge the pathway leads to) and the steps that lead to it:
//! each step is "`need` of these badge classes", so "all of A, B" is one
//! step with `need` = 2 and "two of C, D, E" another with `need` = 2. The
//! prerequisites may be anyone's badge classes (by content id).
//!
//! A separate record, not a field of the badge class, because a class is
//! immutable and named by its content hash: a field could only point at
//! classes that existed before it, so an issuer could never stack badges it
//! has already awarded without orphaning their earners. As a record of its
//! own a pathway can be declared over existing classes and withdrawn
//! (through the issuer's revocation registry, like an endorsement: a
//! `status_index` from the award counter), and two declarations can form a
//! cycle, which the declaring node refuses and every reader survives
//! ([`crate::pathway`]).

use minicbor::{Decode, Encode};

use super::check::short_text;
use crate::id::RecordId;
use crate::keys::IssuerId;
use crate::limits::MAX_STATUS_INDEX;
use crate::time::Timestamp;

/// At most this many steps in one pathway.
pub const MAX_STEPS: usize = 16;
/// At most this many badge classes in one step.
pub const MAX_STEP_CHOICES: usize = 32;
/// At most this many prerequisites in one pathway, all steps together.
pub const MAX_PREREQUISITES: usize = 64;

/// One step: at least `need` of the badge classes in `of`.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, serde::Serialize)]
#[cbor(map)]
pub struct Step {
    /// How many of `of` are needed (all of them when equal to its length).
    #[n(0)]
    pub need: u16,
    /// The badge classes to choose from.
    #[n(1)]
    pub of: Vec<RecordId>,
}

/// A signed pathway declaration.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct Pathway {
    /// The issuer, which must be the goal's issuer for the pathway to count.
    #[n(0)]
    pub issuer: IssuerId,
    /// The badge class the pathway leads to.
    #[n(1)]
    pub goal: RecordId,
    /// Every step must be done.
    #[n(2)]
    pub steps: Vec<Step>,
    /// When it was declared; the signing key must be valid then.
    #[n(3)]
    pub at: Timestamp,
    /// Its index in the issuer's revocation registry (withdrawal).
    #[n(4)]
    pub status_index: u32,
    /// A name for the pathway, shown in graphs.
    #[n(5)]
    pub name: Option<String>,
    /// Whether the issuer's node awards the goal on its own when it is
    /// shown verified prerequisites of one recipient (opt-in; said in the
    /// record so that earners and verifiers know it).
    #[n(6)]
    pub auto_award: bool,
}

impl Pathway {
    pub(crate) fn check_shape(&self) -> Result<(), String> {
        if let Some(name) = &self.name {
            short_text("name", name)?;
        }
        if self.status_index > MAX_STATUS_INDEX {
            return Err(format!("status index above {MAX_STATUS_INDEX}"));
        }
        if self.steps.is_empty() || self.steps.len() > MAX_STEPS {
            return Err(format!("a pathway has 1 to {MAX_STEPS} steps"));
        }
        let mut all = std::collections::BTreeSet::new();
        for step in &self.steps {
            if step.of.is_empty() || step.of.len() > MAX_STEP_CHOICES {
                return Err(format!(
                    "a step names 1 to {MAX_STEP_CHOICES} badge classes"
                ));
            }
            if step.need == 0 || usize::from(step.need) > step.of.len() {
                return Err(
                    "a step needs at least one and at most all of its badge classes".into(),
                );
            }
            for id in &step.of {
                if *id == self.goal {
                    return Err("a pathway cannot require its own goal".into());
                }
                if !all.insert(*id) {
                    return Err(format!("badge class {id} appears twice"));
                }
            }
        }
        if all.len() > MAX_PREREQUISITES {
            return Err(format!("at most {MAX_PREREQUISITES} prerequisites"));
        }
        Ok(())
    }

    /// Every prerequisite, step by step.
    pub fn prerequisites(&self) -> impl Iterator<Item = &RecordId> {
        self.steps.iter().flat_map(|s| s.of.iter())
    }
}
