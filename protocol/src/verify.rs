//! Verification of an assertion against what a node knows.
//!
//! [`verify`] answers "is this badge genuine, whose, for what, still valid, as
//! of when?" with one entry per check. A failed check is a value in the
//! [`Verdict`], not an `Err`: `Err` means the input is not an assertion at all.
//! "Issuer not known yet" is indeterminate ("ask again after sync"), never
//! invalid ("forged").

mod endorsements;

use std::borrow::Cow;

use serde::Serialize;

use crate::envelope::{Envelope, EnvelopeError, RecordKind};
use crate::id::RecordId;
use crate::keys::{IssuerId, PublicKey};
use crate::limits::{MAX_CLOCK_SKEW_SECS, MAX_ENVELOPE_BYTES};
use crate::record::{Assertion, Record, RecordError};
use crate::state::{Freshness, Registry};
use crate::time::Timestamp;

pub use endorsements::{EndorsementCheck, MAX_LISTED, check_endorsement, endorsements_of};

/// What the verifier asks for beyond the defaults.
#[derive(Clone, Copy, Debug, Default)]
pub struct VerifyOptions<'a> {
    /// An email or DID to match against the recipient.
    pub recipient: Option<&'a str>,
    /// Revocation data older than this many seconds makes the verdict
    /// indeterminate.
    pub max_age_secs: Option<i64>,
}

/// The overall answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictOutcome {
    /// Genuine, not revoked as of fresh enough data, within its validity period.
    Valid,
    /// Genuine and revoked by its issuer.
    Revoked,
    /// Genuine and past its expiry.
    Expired,
    /// Genuine but dated in the future.
    NotYetValid,
    /// Forged, tampered, signed by a key that may not sign it, or for someone else.
    Invalid,
    /// Cannot be decided with what this node knows: issuer or badge class not
    /// seen yet, or revocation data missing or too old.
    Indeterminate,
}

impl VerdictOutcome {
    /// The lower-case name used in JSON and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            VerdictOutcome::Valid => "valid",
            VerdictOutcome::Revoked => "revoked",
            VerdictOutcome::Expired => "expired",
            VerdictOutcome::NotYetValid => "not_yet_valid",
            VerdictOutcome::Invalid => "invalid",
            VerdictOutcome::Indeterminate => "indeterminate",
        }
    }
}

/// Which check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckName {
    /// The Ed25519 signature over the envelope.
    Signature,
    /// The signing key belongs to the issuer and was valid at issuance.
    IssuerKey,
    /// The badge class is known and has the same issuer.
    BadgeClass,
    /// Not revoked, as of which signed revocation data.
    Revocation,
    /// Issued-on and expiry against now.
    ValidityPeriod,
    /// The recipient matches the identity the verifier gave.
    Recipient,
}

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// Passed.
    Pass,
    /// Failed.
    Fail,
    /// Could not be decided with what this node knows.
    Unknown,
    /// Not asked for.
    Skipped,
}

/// One check and its result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Which check.
    pub check: CheckName,
    /// Its result.
    pub status: CheckStatus,
    /// What it found, in words.
    pub detail: Cow<'static, str>,
}

/// The revocation data a verdict was decided on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RevocationFreshness {
    /// Highest revocation update applied.
    pub seq: u64,
    /// Time of the newest signed statement covering it.
    pub as_of: Option<Timestamp>,
    /// Seconds between `as_of` and the verification time.
    pub age_secs: Option<i64>,
    /// What the issuer's latest head claims.
    pub head_seq: Option<u64>,
}

/// The result of verifying one assertion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The overall answer.
    pub outcome: VerdictOutcome,
    /// The assertion's id.
    pub assertion: RecordId,
    /// Its issuer.
    pub issuer: IssuerId,
    /// The badge class awarded.
    pub badge_class: RecordId,
    /// Its status index.
    pub status_index: u32,
    /// When it was issued.
    pub issued_on: Timestamp,
    /// When it expires.
    pub expires: Option<Timestamp>,
    /// The verification time.
    pub checked_at: Timestamp,
    /// Every check, in a fixed order.
    pub checks: Vec<Check>,
    /// The revocation data used, when the issuer is known.
    pub revocation: Option<RevocationFreshness>,
    /// Whether the issuer has signed conflicting records.
    pub issuer_equivocated: bool,
}

impl Verdict {
    /// The entry for one check.
    pub fn check(&self, name: CheckName) -> Option<&Check> {
        self.checks.iter().find(|c| c.check == name)
    }
}

/// Input that is not an assertion at all.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// Not a badgemesh envelope.
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// An envelope of another kind.
    #[error("expected an assertion, got a {0}")]
    NotAnAssertion(&'static str),
    /// The payload is malformed.
    #[error(transparent)]
    Record(#[from] RecordError),
}

fn check(check: CheckName, status: CheckStatus, detail: impl Into<Cow<'static, str>>) -> Check {
    Check {
        check,
        status,
        detail: detail.into(),
    }
}

/// Verifies an assertion envelope against `view` at time `now`.
pub fn verify(
    bytes: &[u8],
    view: &Registry,
    now: Timestamp,
    options: &VerifyOptions<'_>,
) -> Result<Verdict, VerifyError> {
    let env = Envelope::decode(bytes, MAX_ENVELOPE_BYTES)?;
    if env.kind != RecordKind::Assertion {
        return Err(VerifyError::NotAnAssertion(env.kind.name()));
    }
    let Record::Assertion(a) = Record::from_payload(env.kind, env.payload)? else {
        return Err(VerifyError::NotAnAssertion(env.kind.name()));
    };
    Ok(verify_decoded(&env, &a, view, now, options, None))
}

/// Verifies many assertions at once (bulk audits). Signatures under keys the
/// registry knows are checked together with Ed25519 batch verification; if the
/// batch fails, each is checked on its own with `verify_strict`, so the
/// verdicts are exactly those of [`verify`]. (Batch verification skips the
/// weak-key check; keys in the registry were checked when their key event was
/// accepted.)
pub fn verify_many(
    inputs: &[&[u8]],
    view: &Registry,
    now: Timestamp,
    options: &VerifyOptions<'_>,
) -> Vec<Result<Verdict, VerifyError>> {
    let decoded: Vec<Result<(Envelope<'_>, Assertion), VerifyError>> = inputs
        .iter()
        .map(|bytes| {
            let env = Envelope::decode(bytes, MAX_ENVELOPE_BYTES)?;
            if env.kind != RecordKind::Assertion {
                return Err(VerifyError::NotAnAssertion(env.kind.name()));
            }
            match Record::from_payload(env.kind, env.payload)? {
                Record::Assertion(a) => Ok((env, a)),
                _ => Err(VerifyError::NotAnAssertion(env.kind.name())),
            }
        })
        .collect();
    let mut batched = vec![false; decoded.len()];
    let (mut messages, mut signatures, mut keys) = (Vec::new(), Vec::new(), Vec::new());
    for (i, d) in decoded.iter().enumerate() {
        if let Ok((env, a)) = d
            && let Some(entry) = view.key(env.kid).filter(|e| e.issuer == a.issuer)
        {
            batched[i] = true;
            messages.push(env.signed_message());
            signatures.push(ed25519_dalek::Signature::from_bytes(env.signature));
            keys.push(*entry.key.verifying_key());
        }
    }
    let refs: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
    let batch_ok =
        !refs.is_empty() && ed25519_dalek::verify_batch(&refs, &signatures, &keys).is_ok();
    decoded
        .into_iter()
        .zip(batched)
        .map(|(d, in_batch)| {
            d.map(|(env, a)| {
                let known = (in_batch && batch_ok).then_some(true);
                verify_decoded(&env, &a, view, now, options, known)
            })
        })
        .collect()
}

fn verify_decoded(
    env: &Envelope<'_>,
    a: &Assertion,
    view: &Registry,
    now: Timestamp,
    options: &VerifyOptions<'_>,
    signature_known_ok: Option<bool>,
) -> Verdict {
    let mut checks = Vec::with_capacity(6);
    let mut authentic_unknown = false;
    let mut invalid = false;
    let state = view.issuer(&a.issuer);

    // Signature: with the cached key when the node knows it, else parse the kid.
    let known_key = view
        .key(env.kid)
        .filter(|e| e.issuer == a.issuer)
        .map(|e| e.key);
    let key = known_key.or_else(|| PublicKey::from_bytes(env.kid).ok());
    let signature_ok =
        signature_known_ok.unwrap_or_else(|| key.is_some_and(|k| env.verify_with(&k)));
    checks.push(if signature_ok {
        check(
            CheckName::Signature,
            CheckStatus::Pass,
            "Ed25519 signature verifies",
        )
    } else {
        invalid = true;
        check(
            CheckName::Signature,
            CheckStatus::Fail,
            "signature does not verify: forged or tampered",
        )
    });

    // Issuer key.
    checks.push(match (state, key) {
        (None, _) => {
            authentic_unknown = true;
            check(
                CheckName::IssuerKey,
                CheckStatus::Unknown,
                "issuer not known to this node yet",
            )
        }
        (Some(_), None) => {
            invalid = true;
            check(
                CheckName::IssuerKey,
                CheckStatus::Fail,
                "signing key is not a valid Ed25519 key",
            )
        }
        (Some(s), Some(k)) => match s.keys().iter().find(|v| v.key == k) {
            Some(v) if v.covers(a.issued_on) => check(
                CheckName::IssuerKey,
                CheckStatus::Pass,
                "signing key belongs to the issuer and was valid at issuance",
            ),
            Some(_) => {
                invalid = true;
                check(
                    CheckName::IssuerKey,
                    CheckStatus::Fail,
                    "signing key was not valid for the issuer at issuance",
                )
            }
            None => {
                invalid = true;
                check(
                    CheckName::IssuerKey,
                    CheckStatus::Fail,
                    "signing key is not a key of the issuer",
                )
            }
        },
    });

    // Badge class.
    checks.push(match view.badge_class(&a.badge) {
        None => {
            authentic_unknown = true;
            check(
                CheckName::BadgeClass,
                CheckStatus::Unknown,
                "badge class not known to this node yet",
            )
        }
        Some((b, _)) if b.issuer != a.issuer => {
            invalid = true;
            check(
                CheckName::BadgeClass,
                CheckStatus::Fail,
                "badge class belongs to another issuer",
            )
        }
        Some(_) => check(
            CheckName::BadgeClass,
            CheckStatus::Pass,
            "badge class known, same issuer",
        ),
    });

    // Revocation.
    let mut revoked = false;
    let mut stale = false;
    let mut revocation = None;
    checks.push(match state {
        None => check(
            CheckName::Revocation,
            CheckStatus::Unknown,
            "no revocation data: issuer not known",
        ),
        Some(s) => {
            let f = s.freshness();
            let fresh = freshness(&f, now);
            revocation = Some(fresh);
            if let Some(entry) = s.revoked(a.status_index) {
                revoked = true;
                let reason = entry
                    .reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default();
                check(
                    CheckName::Revocation,
                    CheckStatus::Fail,
                    format!(
                        "revoked by update {} signed {}{reason}",
                        entry.seq, entry.at
                    ),
                )
            } else {
                match revocation_freshness(&f, &fresh, options.max_age_secs) {
                    Ok(detail) => check(CheckName::Revocation, CheckStatus::Pass, detail),
                    Err(detail) => {
                        stale = true;
                        check(CheckName::Revocation, CheckStatus::Unknown, detail)
                    }
                }
            }
        }
    });

    // Validity period.
    let expired = a.expires.is_some_and(|e| now >= e);
    let not_yet = a.issued_on > now.plus(MAX_CLOCK_SKEW_SECS);
    checks.push(if expired {
        check(
            CheckName::ValidityPeriod,
            CheckStatus::Fail,
            format!("expired at {}", a.expires.unwrap_or(now)),
        )
    } else if not_yet {
        check(
            CheckName::ValidityPeriod,
            CheckStatus::Fail,
            format!("not valid before {}", a.issued_on),
        )
    } else {
        check(
            CheckName::ValidityPeriod,
            CheckStatus::Pass,
            "within its validity period",
        )
    });

    // Recipient.
    checks.push(match options.recipient {
        None => check(
            CheckName::Recipient,
            CheckStatus::Skipped,
            "no recipient given to match",
        ),
        Some(who) if a.recipient.matches(who) => {
            check(CheckName::Recipient, CheckStatus::Pass, "recipient matches")
        }
        Some(_) => {
            invalid = true;
            check(
                CheckName::Recipient,
                CheckStatus::Fail,
                "awarded to someone else",
            )
        }
    });

    let outcome = if invalid {
        VerdictOutcome::Invalid
    } else if authentic_unknown {
        VerdictOutcome::Indeterminate
    } else if revoked {
        VerdictOutcome::Revoked
    } else if expired {
        VerdictOutcome::Expired
    } else if not_yet {
        VerdictOutcome::NotYetValid
    } else if stale {
        VerdictOutcome::Indeterminate
    } else {
        VerdictOutcome::Valid
    };
    Verdict {
        outcome,
        assertion: env.id(),
        issuer: a.issuer,
        badge_class: a.badge,
        status_index: a.status_index,
        issued_on: a.issued_on,
        expires: a.expires,
        checked_at: now,
        checks,
        revocation,
        issuer_equivocated: state.is_some_and(|s| s.has_equivocated()),
    }
}

fn freshness(f: &Freshness, now: Timestamp) -> RevocationFreshness {
    RevocationFreshness {
        seq: f.seq,
        as_of: f.as_of,
        age_secs: f.as_of.map(|t| now.since(t)),
        head_seq: f.head_seq,
    }
}

fn revocation_freshness(
    f: &Freshness,
    fresh: &RevocationFreshness,
    max_age: Option<i64>,
) -> Result<String, String> {
    if f.is_behind() {
        return Err(format!(
            "the issuer's head names update {} but this node has only {}: sync needed",
            f.head_seq.unwrap_or(0),
            f.seq
        ));
    }
    let (Some(as_of), Some(age)) = (fresh.as_of, fresh.age_secs) else {
        return Err("the issuer has signed no revocation head or update yet".into());
    };
    if let Some(max) = max_age
        && age > max
    {
        return Err(format!(
            "revocation data as of {as_of} is {age} s old, more than the {max} s allowed"
        ));
    }
    Ok(format!(
        "not revoked as of update {} signed {as_of} ({age} s ago)",
        f.seq
    ))
}
