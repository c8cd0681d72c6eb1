//! Open Badges 2.0 assertions, read and checked offline.
//!
//! [`parse`] turns an OB 2.0 Assertion (JSON-LD, context
//! `https://w3id.org/openbadges/v2`) into an [`Assertion`] with its claims;
//! [`decode_jws`] opens a signed badge (a compact JWS whose payload is the
//! assertion); [`verify`] does both and checks what can be checked without a
//! network: the claims' shape, `revoked`, the dates against a caller-given
//! time, the recipient, an RS256 signature against a caller-given issuer
//! key, and a signed badge against its issuer's [`RevocationList`], which
//! the caller holds. The result is an [`Ob2Verdict`], never an error: a badge
//! that fails a check is `Invalid`, one that cannot be checked here is
//! `Indeterminate`.
//!
//! What cannot be done offline is said so: a hosted badge is only verifiable
//! by fetching its URL, and a signed badge's key and revocation list live on
//! the issuer's site. A signed badge whose issuer declares a revocation list
//! the caller does not hold is `Indeterminate`, never "not revoked". The
//! caller must make sure a key it passes belongs to the issuer (OB 2.0 step
//! 4: the key must be linked from the issuer Profile), and that a list it
//! passes is the one the issuer's Profile names.
//!
//! RS256 is verified with `ring` (`RSA_PKCS1_2048_8192_SHA256`), with the
//! PEM and SubjectPublicKeyInfo parsed by `pem-rfc7468` and `spki`. Not the
//! `rsa` crate: RUSTSEC-2023-0071 (Marvin) has no patched release; it
//! concerns private-key operations, not verification, but `cargo audit`
//! flags the crate whatever it is used for, and `ring` is already in the
//! workspace.

mod claims;
mod hosted;
mod jws;
mod recipient;
mod revocation;

pub use claims::{
    Assertion, BadgeClass, BadgeRef, HostingPolicy, IdentityObject, IssuerRef, Profile,
    Verification, VerificationKind, parse, parse_badge_class, parse_profile,
};
pub use hosted::{Documents, Fetched, Source};
pub use jws::{Jws, KeyError, RsaPublicKey, decode_jws};
pub use recipient::{RecipientMatch, recipient_matches};
pub use revocation::{
    DeclaredList, MAX_REVOCATION_LIST_BYTES, MAX_REVOKED_ASSERTIONS, RevocationCheck,
    RevocationList, RevokedAssertion, declared_revocation_list,
};

/// The time type of [`Ob2Options::now`] and the assertion dates.
pub use jiff::Timestamp;

use crate::Limits;

/// The JSON-LD context of OB 2.0.
pub const CONTEXT_V2: &str = "https://w3id.org/openbadges/v2";

/// The reason given for a hosted badge checked without fetched documents.
pub const HOSTED_REASON: &str = "a hosted OB 2.0 badge is verified against its issuer's site: verify it online once (`--online`, or `fetch = true`), then it verifies offline";

/// The reason given for a signed badge checked without a key.
pub const NO_KEY_REASON: &str = "issuer key not available locally";

/// Why an OB 2.0 assertion or JWS could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Ob2Error {
    /// The input is larger than the limit.
    #[error("input is {len} bytes, more than the limit of {max}")]
    TooLarge {
        /// Size of the input.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The input is not JSON.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// The JSON is not an object.
    #[error("{0} is not a JSON object")]
    NotAnObject(&'static str),
    /// A required property is missing.
    #[error("required property `{0}` is missing")]
    Missing(&'static str),
    /// A property has the wrong JSON type or an unusable value.
    #[error("property `{0}` has the wrong type or value")]
    Invalid(&'static str),
    /// `@context` does not name the OB 2.0 context.
    #[error("`@context` does not include https://w3id.org/openbadges/v2")]
    Context,
    /// `type` is not `Assertion`.
    #[error("`type` is not Assertion")]
    NotAnAssertion,
    /// The verification type is not hosted or signed.
    #[error("unknown verification type `{0}`")]
    UnknownVerification(String),
    /// A date is not an ISO 8601 date-time with a time zone.
    #[error("`{0}` is not an ISO 8601 date-time with a time zone")]
    Date(&'static str),
    /// The compact JWS is malformed.
    #[error("malformed JWS: {0}")]
    Jws(&'static str),
}

/// The result of [`verify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Every check that applies passed.
    Valid,
    /// A check failed: the badge must not be trusted.
    Invalid,
    /// Nothing failed, but something could not be checked offline.
    Indeterminate,
}

/// What [`verify`] found, with the claims when they could be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ob2Verdict {
    /// The overall outcome.
    pub outcome: Outcome,
    /// Why the outcome is not `Valid` (empty when it is).
    pub reasons: Vec<String>,
    /// Caveats that do not change the outcome (for instance, that the
    /// issuer declares no revocation list).
    pub notes: Vec<String>,
    /// The revocation list check of a signed badge.
    pub revocation: RevocationCheck,
    /// The claims, if the assertion could be parsed.
    pub assertion: Option<Assertion>,
    /// Whether the input was a compact JWS.
    pub signed: bool,
    /// The recipient check, if a recipient was given and the claims read.
    pub recipient: Option<RecipientMatch>,
    /// The BadgeClass, embedded or from a fetched document.
    pub badge: Option<BadgeClass>,
    /// The issuer Profile, embedded or from a fetched document.
    pub issuer: Option<Profile>,
    /// The fetched documents the verdict rests on, with their times.
    pub sources: Vec<Source>,
    /// URLs that were needed but not held: fetching them (online) lets the
    /// verification go further.
    pub missing: Vec<String>,
}

/// What [`verify`] is told by its caller. Everything is optional.
#[derive(Debug, Clone, Default)]
pub struct Ob2Options<'a> {
    /// The time to check `issuedOn` and `expires` against; dates are not
    /// checked without it.
    pub now: Option<jiff::Timestamp>,
    /// The issuer's RSA public key in PEM (`PUBLIC KEY` or `RSA PUBLIC KEY`),
    /// known by the caller to belong to the issuer.
    pub issuer_key_pem: Option<&'a str>,
    /// The expected recipient (an email address, for `type: email`).
    pub recipient: Option<&'a str>,
    /// Documents fetched from issuers' sites: with them, a hosted badge is
    /// checked against its hosted copy, BadgeClass and Profile; without
    /// them it is `Indeterminate` ([`HOSTED_REASON`]).
    pub documents: Option<Documents<'a>>,
    /// The issuer's revocation list, held by the caller: the one the
    /// embedded Profile's `revocationList` names or, when the Profile is not
    /// embedded, the one the caller knows the issuer publishes.
    pub revocation_list: Option<&'a RevocationList>,
}

/// Verifies an OB 2.0 badge given as assertion JSON or as a compact JWS.
///
/// Never fails: parse errors and failed checks are `Invalid`, things that
/// need the network or a missing key are `Indeterminate` (a hosted badge is
/// `Indeterminate` without fetched documents, with [`HOSTED_REASON`], and still returns its
/// claims).
pub fn verify(input: &str, options: &Ob2Options<'_>) -> Ob2Verdict {
    let mut v = Findings::default();
    let input = input.trim_start_matches('\u{feff}').trim();
    let max = Limits::DEFAULT.max_text;
    if input.len() > max {
        v.invalid(
            Ob2Error::TooLarge {
                len: input.len(),
                max,
            }
            .to_string(),
        );
        return v.finish(None, false, None);
    }
    let signed = crate::payload::is_compact_jws(input);
    let (assertion, jws) = if signed {
        let jws = match decode_jws(input) {
            Ok(jws) => jws,
            Err(e) => {
                v.invalid(e.to_string());
                return v.finish(None, true, None);
            }
        };
        match parse(&jws.payload) {
            Ok(a) => (a, Some(jws)),
            Err(e) => {
                v.invalid(format!("JWS payload: {e}"));
                return v.finish(None, true, None);
            }
        }
    } else {
        match parse(input) {
            Ok(a) => (a, None),
            Err(e) => {
                v.invalid(e.to_string());
                return v.finish(None, false, None);
            }
        }
    };

    let mut resolved = hosted::Resolved::default();
    let assertion = match (assertion.verification.kind, &jws, options.documents) {
        (VerificationKind::Hosted, None, Some(docs)) => {
            resolved = hosted::resolve(&assertion, docs);
            v.invalid.append(&mut resolved.invalid);
            v.indeterminate.append(&mut resolved.indeterminate);
            // The hosted copy is authoritative (dates, revocation).
            resolved.assertion.take().unwrap_or(assertion)
        }
        (_, _, Some(docs)) => {
            hosted::resolve_badge(&assertion.badge, docs, &mut resolved);
            // A signed badge's names may come from fetched documents, but
            // nothing about its validity depends on them here.
            resolved.indeterminate.clear();
            v.invalid.append(&mut resolved.invalid);
            assertion
        }
        _ => assertion,
    };
    if assertion.revoked {
        let why = assertion
            .revocation_reason
            .as_deref()
            .unwrap_or("no reason given");
        v.invalid(format!("the assertion is marked revoked ({why})"));
    }
    if let Some(now) = options.now {
        if assertion.issued_on > now {
            v.invalid(format!("issuedOn {} is in the future", assertion.issued_on));
        }
        if let Some(expires) = assertion.expires.filter(|e| *e <= now) {
            v.invalid(format!("the assertion expired at {expires}"));
        }
    }
    let recipient = options
        .recipient
        .map(|r| recipient_matches(&assertion.recipient, r));
    match &recipient {
        Some(RecipientMatch::Mismatch) => v.invalid("the recipient does not match".into()),
        Some(RecipientMatch::Unsupported(why)) => {
            v.indeterminate(format!("recipient not checked: {why}"))
        }
        Some(RecipientMatch::Match) | None => {}
    }

    match (assertion.verification.kind, &jws) {
        (VerificationKind::Hosted, None) if options.documents.is_some() => {}
        (VerificationKind::Hosted, None) => v.indeterminate(HOSTED_REASON.into()),
        (VerificationKind::Hosted, Some(_)) => {
            v.invalid("a JWS-signed assertion declares hosted verification".into());
        }
        (VerificationKind::Signed, None) => v.indeterminate(
            "a signed OB 2.0 badge given as bare JSON: its JWS is needed to check the signature"
                .into(),
        ),
        (VerificationKind::Signed, Some(jws)) => {
            // Without a key from the caller, the one the issuer's hosted
            // Profile lists, if documents were fetched.
            let fetched_key = match (options.issuer_key_pem, options.documents) {
                (None, Some(docs)) => {
                    // A badge given by IRI names its issuer in the BadgeClass
                    // fetched above.
                    let mut found = hosted::Resolved {
                        badge: resolved.badge.clone(),
                        ..hosted::Resolved::default()
                    };
                    let pem =
                        assertion.verification.creator.as_deref().and_then(|c| {
                            hosted::issuer_key(c, &assertion.badge, docs, &mut found)
                        });
                    v.invalid.append(&mut found.invalid);
                    resolved.missing.append(&mut found.missing);
                    for s in found.sources {
                        if !resolved.sources.contains(&s) {
                            resolved.sources.push(s);
                        }
                    }
                    v.indeterminate.append(&mut found.indeterminate);
                    if found.issuer.is_some() {
                        resolved.issuer = found.issuer;
                    }
                    pem
                }
                _ => None,
            };
            let key = options.issuer_key_pem.or(fetched_key.as_deref());
            check_signature(&mut v, jws, key);
        }
    }
    if signed {
        v.revocation = check_revocation(&mut v, &assertion, options, &mut resolved);
    }
    let mut verdict = v.finish(Some(assertion), signed, recipient);
    verdict.badge = resolved.badge;
    verdict.issuer = resolved.issuer;
    verdict.sources = resolved.sources;
    verdict.missing = resolved.missing;
    verdict
}

/// OB 2.0 step 7: a signed assertion must not be in its issuer's
/// `RevocationList`. Without the list, the answer is unknown unless the
/// embedded Profile declares none.
fn check_revocation(
    v: &mut Findings,
    assertion: &Assertion,
    options: &Ob2Options<'_>,
    resolved: &mut hosted::Resolved,
) -> RevocationCheck {
    let mut declared = declared_revocation_list(assertion);
    // Online documents: the hosted Profile, when fetched, says which list is
    // the issuer's now; the list itself may have been fetched too.
    if let Some(url) = resolved
        .issuer
        .as_ref()
        .and_then(|p| p.revocation_list.clone())
    {
        declared = DeclaredList::Url(url);
    } else if resolved.issuer.is_some() && matches!(declared, DeclaredList::Unknown(_)) {
        declared = DeclaredList::None;
    }
    let fetched = match (&declared, options.revocation_list, options.documents) {
        (DeclaredList::Url(url), None, Some(docs)) => hosted::revocation_list(url, docs, resolved),
        _ => None,
    };
    v.indeterminate.append(&mut resolved.indeterminate);
    let check = match (options.revocation_list.or(fetched.as_ref()), declared) {
        (Some(list), _) => match list.find(assertion) {
            Some(entry) => RevocationCheck::Revoked {
                list: list.id.clone(),
                reason: entry.reason.clone(),
            },
            None => RevocationCheck::NotRevoked {
                list: list.id.clone(),
            },
        },
        (None, DeclaredList::None) => RevocationCheck::NoListDeclared,
        (None, declared) => RevocationCheck::NotHeld(declared),
    };
    match &check {
        RevocationCheck::Revoked { .. } => v.invalid(check.detail()),
        RevocationCheck::NotHeld(_) => v.indeterminate(check.detail()),
        _ => v.notes.push(check.detail()),
    }
    check
}

fn check_signature(v: &mut Findings, jws: &Jws, key: Option<&str>) {
    if jws.alg != "RS256" {
        v.indeterminate(format!(
            "JWS algorithm `{}` is not supported offline (only RS256)",
            jws.alg
        ));
        return;
    }
    let Some(pem) = key else {
        v.indeterminate(NO_KEY_REASON.into());
        return;
    };
    match RsaPublicKey::from_pem(pem) {
        Ok(key) if jws.verify_rs256(&key) => {}
        Ok(_) => v.invalid("the RS256 signature does not verify with the issuer key".into()),
        Err(e) => v.indeterminate(format!("the issuer key could not be read: {e}")),
    }
}

/// Findings collected while verifying.
struct Findings {
    invalid: Vec<String>,
    indeterminate: Vec<String>,
    notes: Vec<String>,
    revocation: RevocationCheck,
}

impl Default for Findings {
    fn default() -> Self {
        Findings {
            invalid: Vec::new(),
            indeterminate: Vec::new(),
            notes: Vec::new(),
            revocation: RevocationCheck::NotApplicable,
        }
    }
}

impl Findings {
    fn invalid(&mut self, reason: String) {
        self.invalid.push(reason);
    }

    fn indeterminate(&mut self, reason: String) {
        self.indeterminate.push(reason);
    }

    fn finish(
        self,
        assertion: Option<Assertion>,
        signed: bool,
        recipient: Option<RecipientMatch>,
    ) -> Ob2Verdict {
        let outcome = if !self.invalid.is_empty() {
            Outcome::Invalid
        } else if !self.indeterminate.is_empty() {
            Outcome::Indeterminate
        } else {
            Outcome::Valid
        };
        let mut reasons = self.invalid;
        reasons.extend(self.indeterminate);
        Ob2Verdict {
            outcome,
            reasons,
            notes: self.notes,
            revocation: self.revocation,
            assertion,
            signed,
            recipient,
            badge: None,
            issuer: None,
            sources: Vec::new(),
            missing: Vec::new(),
        }
    }
}
