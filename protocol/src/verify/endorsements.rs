//! How the endorsements a node holds stand, for verdicts.
//!
//! An endorsement's signature and its key's validity for the endorser were
//! checked when it was applied (nothing else is held), so what is left to
//! decide at verification time is what changes with time: whether the
//! endorser revoked it (its status index in the endorser's revocation
//! registry, fail safe across equivocation as for badges), whether its
//! period holds, and whether the node's revocation data for the endorser is
//! fresh enough to say "not revoked". A revoked endorsement stays listed,
//! marked revoked: a verifier should see that the endorser withdrew its word,
//! which dropping it would make look like it never reached this node.

use serde::Serialize;

use super::{RevocationFreshness, VerdictOutcome};
use crate::id::RecordId;
use crate::keys::IssuerId;
use crate::limits::MAX_CLOCK_SKEW_SECS;
use crate::record::{Endorsement, EndorsementSubject};
use crate::state::Registry;
use crate::time::Timestamp;

/// Endorsements of one subject listed in a verdict, at most: anyone can
/// endorse anything, so a verdict lists the newest of them, and says how
/// many it left out.
pub const MAX_LISTED: usize = 16;

/// One endorsement as a verdict lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EndorsementCheck {
    /// Where it comes from: always `network` (a signed badgemesh record),
    /// beside `embedded` OB 3.0 ones.
    pub source: &'static str,
    /// The endorsement's record id.
    pub id: RecordId,
    /// `badge_class`, `issuer` or `assertion`.
    pub about: &'static str,
    /// What it endorses (a record id or a DID).
    pub endorses: String,
    /// Who endorsed.
    pub endorser: IssuerId,
    /// The name the endorser's own profile gives (a claim, not a fact).
    pub endorser_name: Option<String>,
    /// The endorsement's own name.
    pub name: Option<String>,
    /// What the endorser says.
    pub comment: String,
    /// When it was signed.
    pub endorsed_at: Timestamp,
    /// When it stops holding.
    pub valid_until: Option<Timestamp>,
    /// `valid`, `revoked`, `expired`, `not_yet_valid` or `indeterminate`.
    pub outcome: VerdictOutcome,
    /// Why, in words.
    pub detail: String,
    /// The endorser's revocation data this was decided on.
    pub revocation: Option<RevocationFreshness>,
    /// Whether the endorser has signed conflicting records.
    pub endorser_equivocated: bool,
}

/// How the endorsement `e` (with record id `id`) stands at `now`.
/// `max_age_secs` turns revocation data older than that into
/// *indeterminate*, as for badges.
pub fn check_endorsement(
    id: RecordId,
    e: &Endorsement,
    view: &Registry,
    now: Timestamp,
    max_age_secs: Option<i64>,
) -> EndorsementCheck {
    let state = view.issuer(&e.issuer);
    let f = state.map(|s| s.freshness());
    let revocation = f.map(|f| RevocationFreshness {
        seq: f.seq,
        as_of: f.as_of,
        age_secs: f.as_of.map(|t| now.since(t)),
        head_seq: f.head_seq,
    });
    let revoked = state.and_then(|s| s.revoked(e.status_index));
    let (outcome, detail) = if let Some(r) = revoked {
        (
            VerdictOutcome::Revoked,
            format!(
                "revoked by the endorser in update {} signed {}",
                r.seq, r.at
            ),
        )
    } else if e.at > now.plus(MAX_CLOCK_SKEW_SECS) {
        (
            VerdictOutcome::NotYetValid,
            format!("dated {}, in the future", e.at),
        )
    } else if let Some(until) = e.valid_until.filter(|u| now >= *u) {
        (VerdictOutcome::Expired, format!("expired {until}"))
    } else {
        match f {
            Some(f)
                if !f.is_behind()
                    && f.as_of
                        .is_some_and(|t| max_age_secs.is_none_or(|m| now.since(t) <= m)) =>
            {
                (
                    VerdictOutcome::Valid,
                    format!(
                        "signed by the endorser's key; not revoked as of update {} signed {}",
                        f.seq,
                        f.as_of.map(|t| t.to_string()).unwrap_or_default()
                    ),
                )
            }
            _ => (
                VerdictOutcome::Indeterminate,
                "signed by the endorser's key, but this node's revocation data for the endorser is missing, behind its head, or too old".to_owned(),
            ),
        }
    };
    EndorsementCheck {
        source: "network",
        id,
        about: e.subject.kind_name(),
        endorses: e.subject.target(),
        endorser: e.issuer,
        endorser_name: state.and_then(|s| s.profile()).map(|p| p.name.clone()),
        name: e.name.clone(),
        comment: e.comment.clone(),
        endorsed_at: e.at,
        valid_until: e.valid_until,
        outcome,
        detail,
        revocation,
        endorser_equivocated: state.is_some_and(|s| s.has_equivocated()),
    }
}

/// The endorsements of `subject` held in `view`: those of every issuer the
/// operator follows, then the newest others up to [`MAX_LISTED`] in all,
/// newest first; and how many were left out. The work is bounded whatever
/// the number held (the index is ordered by time): a flood of endorsements
/// of one subject costs a verdict nothing more, though it can push genuine
/// ones by unfollowed endorsers out of the list (the count says so).
pub fn endorsements_of(
    subject: &EndorsementSubject,
    view: &Registry,
    now: Timestamp,
    max_age_secs: Option<i64>,
) -> (Vec<EndorsementCheck>, usize) {
    let mut followed: Vec<&IssuerId> = view.policy().follow.iter().collect();
    followed.sort_unstable();
    let mut picked: Vec<(&Endorsement, RecordId)> = followed
        .into_iter()
        .flat_map(|f| view.endorsements_of_by(subject, f))
        .map(|(e, r)| (e, r.id()))
        .collect();
    for (e, r) in view.endorsements_of(subject) {
        if picked.len() >= MAX_LISTED {
            break;
        }
        if !picked.iter().any(|(_, id)| *id == r.id()) {
            picked.push((e, r.id()));
        }
    }
    picked.sort_by_key(|(e, id)| (std::cmp::Reverse(e.at), *id));
    let more = view.endorsement_count(subject).saturating_sub(picked.len());
    let listed = picked
        .into_iter()
        .map(|(e, id)| check_endorsement(id, e, view, now, max_age_secs))
        .collect();
    (listed, more)
}
