//! Verification of an Open Badges 3.0 credential given as JSON bytes.
//!
//! [`verify_credential`] bounds and parses the JSON, checks the OB 3.0 shape
//! (contexts, types, issuer, dates, achievement), checks the embedded
//! Data Integrity proof (the key must be controlled by the issuer)
//! and, if asked, the recipient. A credential that fails a check is
//! `Ok(verdict)` with the failed [`Check`]; `Err` means the checks could not
//! run (not JSON, too large, an unknown context, an undefined term...) or
//! would cost more than the verification budget allows (more than
//! [`crate::limits::MAX_PROOFS`] proofs or
//! [`crate::limits::MAX_STATUS_ENTRIES`] status entries, blank nodes that
//! would make RDFC-1.0 exponential): such input is refused before the
//! expensive work, with the reason.
//! The shape, date and recipient checks live in one place (`assess`,
//! crate-private) that VC-JWTs go through too ([`crate::jwt`]), with the
//! JWS in place of the Data Integrity proof.
//! A `credentialSchema` that the credential does not conform to is a
//! warning on the verdict, not a failed check ([`Verdict::warnings`]).
//! Revocation is not decided here: the verdict carries the
//! `credentialStatus` entry for the caller to look up (see
//! [`crate::status_list`] and [`crate::export::native_link`]).

use std::sync::atomic::{AtomicBool, Ordering};

use badgemesh_protocol::time::Timestamp;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::contexts::{CREDENTIALS_V1, CREDENTIALS_V2, ContextSet, is_ob_context};
use crate::did::DidLookup;
use crate::json::{JsonError, parse_bounded, prepass};
use crate::limits::MAX_STATUS_ENTRIES;
use crate::proof::{ProofError, ProofOutcome, check_proofs_counted};
use crate::schema::{SchemaResult, check_credential_schemas};

/// The credential could not be checked at all.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialError {
    /// Not acceptable JSON.
    #[error(transparent)]
    Json(#[from] JsonError),
    /// JSON-LD or canonicalization failed, or the proofs are over budget
    /// ([`ProofError::TooManyProofs`], [`crate::canon::CanonError`]).
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// Not a readable VC-JWT (see [`crate::jwt`]).
    #[error(transparent)]
    Jwt(crate::jwt::JwtError),
    /// The caller cancelled (see [`VerifyOptions::cancel`]).
    #[error("verification cancelled")]
    Cancelled,
    /// More than [`MAX_STATUS_ENTRIES`] `credentialStatus` entries: each
    /// one may cost the caller a status list to read, so none is looked at.
    #[error("{found} credentialStatus entries (at most {MAX_STATUS_ENTRIES} are checked)")]
    TooManyStatusEntries {
        /// How many entries `credentialStatus` has.
        found: usize,
    },
}

/// What the caller asks for beyond the defaults.
#[derive(Clone, Copy, Default)]
pub struct VerifyOptions<'a> {
    /// An email or DID to match against the credential subject.
    pub recipient: Option<&'a str>,
    /// Where to find DID documents for issuers whose keys are not did:keys.
    pub dids: Option<DidLookup<'a>>,
    /// Set by the caller when nobody waits for the answer any more (an
    /// abandoned HTTP request): checked between stages and between proofs,
    /// and the verification stops with [`CredentialError::Cancelled`].
    pub cancel: Option<&'a AtomicBool>,
    /// Which credentials are accepted: Open Badges only (the default), or
    /// any Verifiable Credential (the VC API).
    pub profile: Profile,
}

/// Which credentials a verification accepts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Profile {
    /// Open Badges 3.0 credentials and endorsements: anything else fails
    /// the structure check.
    #[default]
    OpenBadges,
    /// Any VC 1.1 or 2.0 credential, judged by its proof, dates and status;
    /// whether it is also a well-formed Open Badge is reported as the
    /// [`CheckName::OpenBadges`] check, which never changes the outcome.
    AnyCredential,
}

impl std::fmt::Debug for VerifyOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyOptions")
            .field("recipient", &self.recipient)
            .field("dids", &self.dids.map(|_| "lookup"))
            .field("cancel", &self.cancel)
            .field("profile", &self.profile)
            .finish()
    }
}

/// The overall answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Well-formed, proof verified with the issuer's key, within its dates
    /// (and the recipient matches, if one was given).
    Valid,
    /// Genuine but past `validUntil`.
    Expired,
    /// Genuine but before `validFrom`.
    NotYetValid,
    /// Malformed, forged, tampered with, signed by a key the issuer does not
    /// control, or for another recipient.
    Invalid,
    /// The proof cannot be checked offline (unsupported suite or key type).
    Indeterminate,
}

/// The checks, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckName {
    /// `@context`, `type`, issuer, dates, subject and achievement present.
    Structure,
    /// The embedded proof and its key's controller.
    Proof,
    /// `validFrom` / `validUntil` against now.
    Validity,
    /// The recipient given in the options.
    Recipient,
    /// Whether a credential checked under [`Profile::AnyCredential`] is
    /// also an Open Badges 3.0 credential (reported, never decisive).
    OpenBadges,
}

/// How a check came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckStatus {
    /// Passed.
    Pass,
    /// Failed.
    Fail,
    /// Not run or could not decide.
    Skip,
}

/// One check and its result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// Which check.
    pub name: CheckName,
    /// Its result.
    pub status: CheckStatus,
    /// Why, in words.
    pub detail: String,
}

pub use crate::status_entry::{StatusEntry, StatusMethod};

/// The result of [`verify_credential`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The overall answer.
    pub outcome: Outcome,
    /// Every check that ran.
    pub checks: Vec<Check>,
    /// `id` of the credential.
    pub credential_id: Option<String>,
    /// `issuer.id`.
    pub issuer: Option<String>,
    /// The achievement's name.
    pub achievement_name: Option<String>,
    /// The cryptosuite of the verified proof.
    pub cryptosuite: Option<String>,
    /// Whether that suite is deprecated (`eddsa-2022`).
    pub legacy_suite: bool,
    /// `validFrom` (or `issuanceDate` for VC 1.1).
    pub valid_from: Option<Timestamp>,
    /// `validUntil` (or `expirationDate` for VC 1.1).
    pub valid_until: Option<Timestamp>,
    /// The `credentialStatus` entries, for the caller to check.
    pub status: Vec<StatusEntry>,
    /// How many proof signatures were checked (the verification budget at
    /// work: at most [`crate::limits::MAX_PROOFS`]).
    pub proofs_checked: usize,
    /// Spec violations that do not touch authenticity, so they leave the
    /// outcome as it is: `credentialSchema` failures with their field-level
    /// messages, schemas not pinned here (see [`crate::schema`]).
    pub warnings: Vec<String>,
}

impl Verdict {
    /// The check named `name`, if it ran.
    pub fn check(&self, name: CheckName) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }
}

fn check(name: CheckName, status: CheckStatus, detail: impl Into<String>) -> Check {
    Check {
        name,
        status,
        detail: detail.into(),
    }
}

/// Verifies an OB 3.0 credential (JSON bytes) at time `now`, with the pinned
/// contexts.
pub fn verify_credential(
    bytes: &[u8],
    now: Timestamp,
    options: &VerifyOptions<'_>,
) -> Result<Verdict, CredentialError> {
    verify_credential_with(bytes, now, options, &ContextSet::pinned())
}

/// [`verify_credential`] with an explicit context set.
pub fn verify_credential_with(
    bytes: &[u8],
    now: Timestamp,
    options: &VerifyOptions<'_>,
    contexts: &ContextSet,
) -> Result<Verdict, CredentialError> {
    let map = parse_bounded(bytes)?;
    let mut value = Value::Object(map);
    prepass(&mut value)?;
    let Value::Object(doc) = value else {
        return Err(JsonError::NotAnObject.into());
    };
    assess(&doc, now, options, |issuer| {
        match check_proofs_counted(&doc, issuer, contexts, options.dids, options.cancel) {
            Err(ProofError::Cancelled) => Err(CredentialError::Cancelled),
            other => Ok(other?),
        }
    })
}

/// Why `doc` is not a Verifiable Credential by the data model's own rules
/// (context, type, issuer, dates, subject), if it is not: what an issuer
/// refuses to sign.
pub fn vc_shape_problem(doc: &Map<String, Value>) -> Option<String> {
    Shape::read(doc, Profile::AnyCredential).problem
}

/// The checks every form of credential shares (shape, proof, dates,
/// recipient), with the proof check given by the caller: Data Integrity
/// proofs for JSON credentials, the JWS for VC-JWTs ([`crate::jwt`]).
/// `proofs` gets the issuer's id and returns the outcome and how many
/// signatures it checked.
pub(crate) fn assess(
    doc: &Map<String, Value>,
    now: Timestamp,
    options: &VerifyOptions<'_>,
    proofs: impl FnOnce(&str) -> Result<(ProofOutcome, usize), CredentialError>,
) -> Result<Verdict, CredentialError> {
    if let Some(Value::Array(entries)) = doc.get("credentialStatus")
        && entries.len() > MAX_STATUS_ENTRIES
    {
        return Err(CredentialError::TooManyStatusEntries {
            found: entries.len(),
        });
    }
    let shape = Shape::read(doc, options.profile);
    let mut warnings = shape.warnings.clone();
    if doc.contains_key("credentialSchema") {
        // The schema checks read a JSON value; only credentials that name a
        // schema pay for the copy.
        let value = Value::Object(doc.clone());
        warnings.extend(
            check_credential_schemas(&value)
                .iter()
                .flat_map(SchemaResult::warnings),
        );
    }
    let mut checks = Vec::new();
    let mut verdict = Verdict {
        outcome: Outcome::Invalid,
        checks: Vec::new(),
        credential_id: str_of(doc, "id"),
        issuer: shape.issuer.clone(),
        achievement_name: shape.achievement_name.clone(),
        cryptosuite: None,
        legacy_suite: false,
        valid_from: shape.valid_from,
        valid_until: shape.valid_until,
        status: crate::status_entry::status_entries(doc),
        proofs_checked: 0,
        warnings,
    };
    if let Some(problem) = &shape.problem {
        checks.push(check(CheckName::Structure, CheckStatus::Fail, problem));
        verdict.checks = checks;
        return Ok(verdict);
    }
    let kind = if options.profile == Profile::AnyCredential {
        "Verifiable Credential shape"
    } else if has_type(doc.get("type"), &["EndorsementCredential"]) {
        "OB 3.0 endorsement shape"
    } else {
        "OB 3.0 credential shape"
    };
    checks.push(check(CheckName::Structure, CheckStatus::Pass, kind));
    if options.profile == Profile::AnyCredential {
        checks.push(match &shape.ob_problem {
            None => check(
                CheckName::OpenBadges,
                CheckStatus::Pass,
                "an Open Badges 3.0 credential",
            ),
            Some(p) => check(
                CheckName::OpenBadges,
                CheckStatus::Skip,
                format!("not an Open Badges 3.0 credential: {p}"),
            ),
        });
    }
    let issuer = shape.issuer.clone().unwrap_or_default();
    if options.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
        return Err(CredentialError::Cancelled);
    }
    let (proof_outcome, proofs_checked) = proofs(&issuer)?;
    verdict.proofs_checked = proofs_checked;
    let mut outcome = match proof_outcome {
        ProofOutcome::Verified {
            cryptosuite,
            legacy,
            verification_method,
            ..
        } => {
            let note = if legacy { " (legacy suite)" } else { "" };
            checks.push(check(
                CheckName::Proof,
                CheckStatus::Pass,
                format!("{cryptosuite}{note} signature by {verification_method}"),
            ));
            verdict.cryptosuite = Some(cryptosuite);
            verdict.legacy_suite = legacy;
            Outcome::Valid
        }
        ProofOutcome::Invalid(why) => {
            checks.push(check(CheckName::Proof, CheckStatus::Fail, why));
            Outcome::Invalid
        }
        ProofOutcome::Unsupported(why) => {
            checks.push(check(CheckName::Proof, CheckStatus::Skip, why));
            Outcome::Indeterminate
        }
    };
    // Dates.
    let mut dates = check(
        CheckName::Validity,
        CheckStatus::Pass,
        "within validity period",
    );
    let mut date_outcome = None;
    if let Some(from) = shape.valid_from
        && now < from
    {
        dates = check(
            CheckName::Validity,
            CheckStatus::Fail,
            format!("not valid before {from}"),
        );
        date_outcome = Some(Outcome::NotYetValid);
    }
    if let Some(until) = shape.valid_until
        && now > until
    {
        dates = check(
            CheckName::Validity,
            CheckStatus::Fail,
            format!("expired at {until}"),
        );
        date_outcome = Some(Outcome::Expired);
    }
    checks.push(dates);
    if outcome == Outcome::Valid
        && let Some(d) = date_outcome
    {
        outcome = d;
    }
    // Recipient.
    if let Some(who) = options.recipient {
        let subject = doc.get("credentialSubject");
        if subject.is_some_and(|s| recipient_matches(s, who)) {
            checks.push(check(
                CheckName::Recipient,
                CheckStatus::Pass,
                "recipient matches",
            ));
        } else {
            checks.push(check(
                CheckName::Recipient,
                CheckStatus::Fail,
                "credential subject is not the given recipient",
            ));
            if outcome != Outcome::Indeterminate {
                outcome = Outcome::Invalid;
            }
        }
    }
    if outcome == Outcome::Indeterminate
        && checks
            .iter()
            .any(|c| c.status == CheckStatus::Fail && c.name != CheckName::Validity)
    {
        outcome = Outcome::Invalid;
    }
    verdict.outcome = outcome;
    verdict.checks = checks;
    Ok(verdict)
}

fn str_of(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn has_type(v: Option<&Value>, wanted: &[&str]) -> bool {
    match v {
        Some(Value::String(s)) => wanted.contains(&s.as_str()),
        Some(Value::Array(a)) => a
            .iter()
            .any(|t| t.as_str().is_some_and(|t| wanted.contains(&t))),
        _ => false,
    }
}

/// The fields verification needs, the first shape problem found, and the
/// specification's rules broken in ways that do not touch authenticity.
///
/// A problem (no VC or OB context, no issuer, unreadable dates, no subject)
/// fails the structure check: the proof, the key binding or the dates
/// cannot be judged without those. What real issuers get wrong without
/// putting authenticity at stake (an `AchievementSubject` with neither `id`
/// nor `identifier`, an achievement missing its `id`, `type`, `description`
/// or `criteria`) is a warning, and the credential can still be valid: DCC's
/// verifier does not check these fields at all, and 1EdTech's validator
/// reports schema findings as warnings.
struct Shape {
    issuer: Option<String>,
    achievement_name: Option<String>,
    valid_from: Option<Timestamp>,
    valid_until: Option<Timestamp>,
    problem: Option<String>,
    /// Under [`Profile::AnyCredential`]: why it is not an Open Badge.
    ob_problem: Option<String>,
    warnings: Vec<String>,
}

impl Shape {
    fn read(doc: &Map<String, Value>, profile: Profile) -> Shape {
        let mut s = Shape {
            issuer: None,
            achievement_name: None,
            valid_from: None,
            valid_until: None,
            problem: None,
            ob_problem: None,
            warnings: Vec::new(),
        };
        match profile {
            Profile::OpenBadges => {
                if let Err(p) = s.fill(doc) {
                    s.problem = Some(p);
                }
            }
            Profile::AnyCredential => {
                if let Err(p) = s.fill_vc(doc) {
                    s.problem = Some(p);
                    return s;
                }
                if let Some(p) = crate::data_model::problem(doc) {
                    s.problem = Some(p);
                    return s;
                }
                // The Open Badges rules on top, reported but not decisive.
                let mut ob = Shape::read(doc, Profile::OpenBadges);
                s.ob_problem = ob.problem.take();
                s.achievement_name = ob.achievement_name;
                if s.ob_problem.is_none() {
                    s.warnings = ob.warnings;
                }
            }
        }
        s
    }

    /// The VC data model's own rules (1.1 or 2.0): what a proof, dates and
    /// status can be judged on.
    fn fill_vc(&mut self, doc: &Map<String, Value>) -> Result<(), String> {
        let ctx = doc
            .get("@context")
            .and_then(Value::as_array)
            .ok_or("@context must be an array")?;
        let v1 = match ctx.first().and_then(Value::as_str) {
            Some(CREDENTIALS_V2) => false,
            Some(CREDENTIALS_V1) => true,
            _ => return Err("@context[0] must be the VC context".into()),
        };
        if !has_type(doc.get("type"), &["VerifiableCredential"]) {
            return Err("type must include VerifiableCredential".into());
        }
        self.issuer = Some(match doc.get("issuer") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Object(o)) => str_of(o, "id").ok_or("issuer has no id")?,
            _ => return Err("no issuer".into()),
        });
        let (from_key, until_key) = if v1 {
            ("issuanceDate", "expirationDate")
        } else {
            ("validFrom", "validUntil")
        };
        let date = |key: &str| -> Result<Option<Timestamp>, String> {
            match doc.get(key) {
                None => Ok(None),
                Some(Value::String(t)) => t
                    .parse()
                    .map(Some)
                    .map_err(|_| format!("{key} is not a date-time")),
                Some(_) => Err(format!("{key} is not a date-time")),
            }
        };
        self.valid_from = date(from_key)?;
        if v1 && self.valid_from.is_none() {
            return Err("no issuanceDate".into());
        }
        self.valid_until = date(until_key)?;
        match doc.get("credentialSubject") {
            Some(Value::Object(_)) => Ok(()),
            Some(Value::Array(a)) if !a.is_empty() && a.iter().all(Value::is_object) => Ok(()),
            _ => Err("credentialSubject must be an object or an array of objects".into()),
        }
    }

    fn fill(&mut self, doc: &Map<String, Value>) -> Result<(), String> {
        let ctx = doc
            .get("@context")
            .and_then(Value::as_array)
            .ok_or("@context must be an array")?;
        let first = ctx.first().and_then(Value::as_str);
        let v1 = match first {
            Some(CREDENTIALS_V2) => false,
            Some(CREDENTIALS_V1) => true,
            _ => return Err("@context[0] must be the VC context".into()),
        };
        if !ctx
            .get(1)
            .and_then(Value::as_str)
            .is_some_and(is_ob_context)
        {
            return Err("@context[1] must be an Open Badges 3.0 context".into());
        }
        if !has_type(doc.get("type"), &["VerifiableCredential"]) {
            return Err("type must include VerifiableCredential".into());
        }
        let endorsement = has_type(doc.get("type"), &["EndorsementCredential"]);
        if !endorsement
            && !has_type(
                doc.get("type"),
                &["OpenBadgeCredential", "AchievementCredential"],
            )
        {
            return Err("type must include OpenBadgeCredential or EndorsementCredential".into());
        }
        let issuer = match doc.get("issuer") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Object(o)) => str_of(o, "id").ok_or("issuer has no id")?,
            _ => return Err("no issuer".into()),
        };
        self.issuer = Some(issuer);
        let (from_key, until_key) = if v1 {
            ("issuanceDate", "expirationDate")
        } else {
            ("validFrom", "validUntil")
        };
        let from = doc
            .get(from_key)
            .and_then(Value::as_str)
            .ok_or(format!("no {from_key}"))?;
        self.valid_from = Some(
            from.parse()
                .map_err(|_| format!("{from_key} is not a date-time"))?,
        );
        if let Some(until) = doc.get(until_key) {
            let until = until.as_str().ok_or(format!("{until_key} is not text"))?;
            self.valid_until = Some(
                until
                    .parse()
                    .map_err(|_| format!("{until_key} is not a date-time"))?,
            );
        }
        let subject = doc
            .get("credentialSubject")
            .and_then(Value::as_object)
            .ok_or("credentialSubject must be an object")?;
        if endorsement {
            // An endorsement is a claim about something: what it endorses is
            // its meaning, as the subject is the earner of a badge.
            if subject.get("id").and_then(Value::as_str).is_none() {
                return Err(
                    "an EndorsementCredential's subject must name what it endorses (id)".into(),
                );
            }
            if !has_type(subject.get("type"), &["EndorsementSubject"]) {
                self.warnings.push(
                    "the endorsement's subject type does not include EndorsementSubject (OB 3.0 requires it)"
                        .into(),
                );
            }
            return Ok(());
        }
        let mut warn = |w: &str| self.warnings.push(format!("{w} (OB 3.0 requires it)"));
        if !subject.contains_key("id") && !subject.contains_key("identifier") {
            warn(
                "credentialSubject has neither an id nor an identifier: nobody is named as the earner",
            );
        }
        let ach = subject
            .get("achievement")
            .and_then(Value::as_object)
            .ok_or("credentialSubject has no achievement")?;
        if ach.get("id").and_then(Value::as_str).is_none() {
            warn("the achievement has no id");
        }
        if !has_type(ach.get("type"), &["Achievement"]) {
            warn("the achievement's type does not include Achievement");
        }
        let name = ach.get("name").and_then(Value::as_str);
        if name.is_none() {
            warn("the achievement has no name");
        }
        if ach.get("description").and_then(Value::as_str).is_none() {
            warn("the achievement has no description");
        }
        if !ach.get("criteria").is_some_and(Value::is_object) {
            warn("the achievement has no criteria");
        }
        self.achievement_name = name.map(str::to_owned);
        Ok(())
    }
}

/// Whether the credential subject is `who` (a DID or an email): by `id`, or
/// by an `identifier` that is hashed (`sha256$hex` with `salt`) or plain.
fn recipient_matches(subject: &Value, who: &str) -> bool {
    let Some(subject) = subject.as_object() else {
        return false;
    };
    let who = who.trim();
    if let Some(id) = subject.get("id").and_then(Value::as_str) {
        if id == who {
            return true;
        }
        // A `mailto:` URI names an email address (RFC 6068): the address
        // given alone matches it, without regard to case as for hashed
        // emails (openbadgeslib issues `mailto:` subjects).
        let address = id
            .get(..7)
            .filter(|scheme| scheme.eq_ignore_ascii_case("mailto:"))
            .and_then(|_| id.get(7..));
        if let Some(address) = address
            && !who.contains(':')
            && address.eq_ignore_ascii_case(who)
        {
            return true;
        }
    }
    let ids: Vec<&Value> = match subject.get("identifier") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v) => vec![v],
        None => vec![],
    };
    ids.into_iter().filter_map(Value::as_object).any(|id| {
        let Some(hash) = id.get("identityHash").and_then(Value::as_str) else {
            return false;
        };
        if id.get("hashed").and_then(Value::as_bool) == Some(true) {
            let salt = id.get("salt").and_then(Value::as_str).unwrap_or("");
            let Some(hex_hash) = hash.strip_prefix("sha256$") else {
                return false;
            };
            let is_email = id.get("identityType").and_then(Value::as_str) == Some("emailAddress");
            let mut candidates = vec![who.to_owned()];
            if is_email {
                candidates.push(who.to_lowercase());
            }
            candidates.iter().any(|c| {
                let mut h = Sha256::new();
                h.update(c.as_bytes());
                h.update(salt.as_bytes());
                hex::encode(h.finalize()).eq_ignore_ascii_case(hex_hash)
            })
        } else {
            hash == who
        }
    })
}
