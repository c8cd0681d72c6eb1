//! A Verifiable Presentation given where a badge is expected (`POST
//! /v1/verify`, `badgemesh verify`, the page at `/`): an earner showing
//! several badges at once, signed by their own key.
//!
//! The presentation is judged by its shape and its proof
//! ([`badgemesh_openbadges::presentation`]), then by what makes it the
//! earner's and not a copy: the **holder binding** (it names a holder, the
//! proof is by the holder's key for `authentication`, and the holder is
//! the subject, `credentialSubject.id`, of every credential it carries) and
//! the **challenge and domain** the verifier gave, which the proof must
//! carry (a presentation made for another verifier, or for an earlier
//! request, is a replay). Then every credential is verified exactly as it
//! would be on its own ([`verify_any`]: proof, dates, status, trust; a
//! VC-JWT given as a string or as VC 2.0's `EnvelopedVerifiableCredential`
//! is verified as the token), so a
//! presentation is never believed more than what it presents.
//!
//! The answer has the verdict's shape (`format: "presentation"`,
//! `outcome`, `checks`) with one verdict per credential in `credentials`.
//! Anything wrong with the presentation itself makes it `invalid`;
//! otherwise its outcome is the worst of its credentials' (a revoked badge
//! makes the presentation `revoked`), and `indeterminate` when it is not
//! signed or carries nothing. A verifier that gives no challenge is told
//! that the presentation may be a replay (a warning), since only the
//! verifier knows which challenge it asked for.

use badgemesh_openbadges::presentation::{
    PresentationError, PresentationOptions, PresentationProof, verify_presentation,
};
use badgemesh_openbadges::proof::ProofError;
use badgemesh_protocol::state::Registry;
use badgemesh_protocol::time::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::formats::{FormatError, Options, verify_any};
use crate::backpack::present::unenvelope;

/// What the verifier asks of a presentation: the challenge it gave the
/// holder and its own domain. `None` checks nothing (and warns).
#[derive(Clone, Copy, Debug, Default)]
pub struct Asked<'a> {
    /// The challenge (a nonce the verifier made for this request).
    pub challenge: Option<&'a str>,
    /// The verifier's domain (who the presentation is for).
    pub domain: Option<&'a str>,
}

/// Whether `bytes` are a JSON object whose `type` names
/// `VerifiablePresentation` (the rest is read only when they are).
pub fn is_presentation(bytes: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Typed {
        #[serde(rename = "type", default)]
        kind: Value,
    }
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return false;
    }
    match serde_json::from_slice::<Typed>(bytes) {
        Ok(t) => match &t.kind {
            Value::String(s) => s == "VerifiablePresentation",
            Value::Array(ts) => ts.iter().any(|t| t == "VerifiablePresentation"),
            _ => false,
        },
        Err(_) => false,
    }
}

/// A badge, a presentation or a CLR: [`verify_presentation_verdict`] when
/// the bytes are a presentation, [`super::clr::verify_clr`] when they are a
/// `ClrCredential`, else [`verify_any`] (and `asked` is unused).
pub fn verify_input(
    bytes: &[u8],
    registry: Option<&Registry>,
    now: Timestamp,
    opts: &Options<'_>,
    asked: Asked<'_>,
) -> Result<Value, FormatError> {
    if is_presentation(bytes) {
        verify_presentation_verdict(bytes, registry, now, opts, asked)
    } else if super::clr::is_clr_bytes(bytes) {
        super::clr::verify_clr(bytes, registry, now, opts)
    } else {
        verify_any(bytes, registry, now, opts)
    }
}

fn check(name: &str, status: &str, detail: impl Into<String>) -> Value {
    json!({ "check": name, "status": status, "detail": detail.into() })
}

/// The verdict on one credential a presentation or a CLR carries: bytes that
/// are no badge at all make an `invalid` verdict of their own, so the
/// others are still judged; only cancellation stops the whole.
pub(crate) fn embedded_verdict(
    bytes: &[u8],
    registry: Option<&Registry>,
    now: Timestamp,
    opts: &Options<'_>,
) -> Result<Value, FormatError> {
    match verify_any(bytes, registry, now, opts) {
        Ok(v) => Ok(v),
        Err(FormatError::Cancelled) => Err(FormatError::Cancelled),
        Err(e) => Ok(json!({
            "format": "unknown",
            "outcome": "invalid",
            "checks": [check("structure", "fail", e.to_string())],
            "checked_at": now,
        })),
    }
}

/// The worse of `worst` and `verdict`'s outcome (an unknown one is invalid).
pub(crate) fn worse(worst: &'static str, verdict: &Value) -> &'static str {
    let outcome = match verdict["outcome"].as_str().unwrap_or("invalid") {
        "valid" => "valid",
        "indeterminate" => "indeterminate",
        "not_yet_valid" => "not_yet_valid",
        "expired" => "expired",
        "suspended" => "suspended",
        "revoked" => "revoked",
        _ => "invalid",
    };
    if severity(outcome) > severity(worst) {
        outcome
    } else {
        worst
    }
}

/// How bad an outcome is, to take the worst of several (higher is worse).
fn severity(outcome: &str) -> u8 {
    match outcome {
        "valid" => 0,
        "indeterminate" => 1,
        "not_yet_valid" => 2,
        "expired" => 3,
        "suspended" => 4,
        "revoked" => 5,
        _ => 6,
    }
}

/// The subjects' ids of a credential (JSON object or VC-JWT), in order; a
/// subject without an id is `None` (an earner named by a hashed email).
fn subjects(credential: &Value) -> Vec<Option<String>> {
    let doc = match unenvelope(credential) {
        Value::String(token) => badgemesh_openbadges::jwt::decode(&token)
            .map(|d| Value::Object(d.credential()))
            .unwrap_or_default(),
        other => other,
    };
    let all: Vec<&Value> = match &doc["credentialSubject"] {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        one => vec![one],
    };
    all.into_iter()
        .map(|s| s["id"].as_str().map(str::to_owned))
        .collect()
}

/// What the proof says it is bound to (`challenge` or `domain`), from the
/// first proof that says it.
fn bound(doc: &Value, key: &str) -> Option<String> {
    let proofs: Vec<&Value> = match &doc["proof"] {
        Value::Array(ps) => ps.iter().collect(),
        Value::Null => Vec::new(),
        one => vec![one],
    };
    proofs.iter().find_map(|p| match &p[key] {
        Value::String(s) => Some(s.clone()),
        // The data model allows a domain to be a list.
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" "),
        ),
        _ => None,
    })
}

/// Whether a proof carries `want` as its `key` (a list of domains counts
/// when it holds `want`).
fn carries(doc: &Value, key: &str, want: &str) -> bool {
    let proofs: Vec<&Value> = match &doc["proof"] {
        Value::Array(ps) => ps.iter().collect(),
        Value::Null => Vec::new(),
        one => vec![one],
    };
    !proofs.is_empty()
        && proofs.iter().all(|p| match &p[key] {
            Value::String(s) => s == want,
            Value::Array(items) => items.iter().any(|i| i == want),
            _ => false,
        })
}

/// The check of one binding the verifier may ask for (`challenge` or
/// `domain`).
fn binding_check(doc: &Value, key: &str, asked: Option<&str>, warnings: &mut Vec<String>) -> Value {
    let has = bound(doc, key);
    match (asked, has) {
        (Some(want), _) if carries(doc, key, want) => check(
            key,
            "pass",
            format!("the proof carries the {key} asked for ({want:?})"),
        ),
        (Some(want), Some(other)) => check(
            key,
            "fail",
            format!(
                "the presentation was made for {key} {other:?}, not {want:?}: a replay of a presentation made for another request or verifier"
            ),
        ),
        (Some(want), None) => check(
            key,
            "fail",
            format!(
                "the presentation carries no {key} (asked for {want:?}), so nothing shows it was made for this request"
            ),
        ),
        (None, Some(other)) => {
            warnings.push(format!(
                "the presentation is bound to {key} {other:?}; no {key} was given to check it against, so it may be a replay"
            ));
            check(
                key,
                "skipped",
                format!("bound to {other:?}; none given to check"),
            )
        }
        (None, None) => {
            warnings.push(format!(
                "no {key} was asked or given: anyone holding a copy of this presentation can show it again"
            ));
            check(key, "skipped", "none given, none carried")
        }
    }
}

/// Judges a presentation and verifies every credential it carries (see
/// the module documentation). `Err` only when the presentation cannot be
/// read at all (not JSON, over the budget) or the caller cancelled.
pub fn verify_presentation_verdict(
    bytes: &[u8],
    registry: Option<&Registry>,
    now: Timestamp,
    opts: &Options<'_>,
    asked: Asked<'_>,
) -> Result<Value, FormatError> {
    let lookup = |did: &str| opts.held.and_then(|h| h.dids.get(did));
    // The challenge and domain are checked here, each with its own
    // message; the proof is checked for itself.
    let options = PresentationOptions {
        challenge: None,
        domain: None,
        purpose: None,
        dids: Some(&lookup),
        cancel: opts.cancel,
    };
    let p = match verify_presentation(bytes, &options) {
        Ok(p) => p,
        Err(PresentationError::Proof(ProofError::Cancelled)) => return Err(FormatError::Cancelled),
        Err(PresentationError::Proof(
            e @ (ProofError::TooManyProofs { .. } | ProofError::Canon(_)),
        )) => {
            return Err(FormatError::OverBudget(e.to_string()));
        }
        Err(e) => return Err(FormatError::Credential(e.to_string())),
    };
    let doc: Value = serde_json::from_slice(bytes).unwrap_or_default();
    let mut checks = Vec::new();
    let mut warnings = Vec::new();
    let mut own_failed = false;
    if let Some(problem) = &p.problem {
        checks.push(check("structure", "fail", problem.clone()));
        return Ok(json!({
            "format": "presentation",
            "outcome": "invalid",
            "checks": checks,
            "holder": p.holder,
            "credentials": [],
            "checked_at": now,
        }));
    }
    checks.push(check(
        "structure",
        "pass",
        format!(
            "a Verifiable Presentation of {} credential{}",
            p.credentials.len(),
            if p.credentials.len() == 1 { "" } else { "s" }
        ),
    ));
    let signed = match &p.proof {
        PresentationProof::Verified {
            cryptosuite,
            verification_method,
        } => {
            checks.push(check(
                "presentation_proof",
                "pass",
                format!("signed for authentication by {verification_method} ({cryptosuite})"),
            ));
            true
        }
        PresentationProof::Unsigned => {
            checks.push(check(
                "presentation_proof",
                "unknown",
                "the presentation is not signed: nothing shows who presents these credentials",
            ));
            false
        }
        PresentationProof::Invalid(why) => {
            own_failed = true;
            checks.push(check(
                "presentation_proof",
                "fail",
                format!("the presentation's proof does not verify: {why}"),
            ));
            false
        }
        PresentationProof::Unsupported(why) => {
            checks.push(check("presentation_proof", "unknown", why.clone()));
            false
        }
    };
    for (key, want) in [("challenge", asked.challenge), ("domain", asked.domain)] {
        let c = binding_check(&doc, key, want, &mut warnings);
        own_failed |= c["status"] == "fail";
        checks.push(c);
    }
    // The holder binding: the proof is the holder's (checked above, the
    // proof's key must be controlled by the holder) and the holder is the
    // subject of every credential.
    let binding = match (&p.holder, signed) {
        (None, _) => check(
            "holder_binding",
            "fail",
            "the presentation names no holder, so it cannot show the credentials are the holder's",
        ),
        (Some(holder), _) => {
            let mut wrong = None;
            for (i, c) in p.credentials.iter().enumerate() {
                let ids = subjects(c);
                let bad = if ids.is_empty() || ids.iter().any(Option::is_none) {
                    Some(format!(
                        "credential {} names no subject id (its earner is named another way, such as a hashed email), so it cannot be shown to be the holder's",
                        i + 1
                    ))
                } else {
                    ids.iter().flatten().find(|id| *id != holder).map(|id| {
                        format!(
                            "credential {} was awarded to {id}, not to the holder {holder}: the holder is not its subject",
                            i + 1
                        )
                    })
                };
                if bad.is_some() {
                    wrong = bad;
                    break;
                }
            }
            match (wrong, signed) {
                (Some(why), _) => check("holder_binding", "fail", why),
                (None, true) => check(
                    "holder_binding",
                    "pass",
                    format!("the holder {holder} signed and is the subject of every credential"),
                ),
                (None, false) => check(
                    "holder_binding",
                    "unknown",
                    format!(
                        "the credentials name {holder}, but no verified proof shows that {holder} presents them"
                    ),
                ),
            }
        }
    };
    own_failed |= binding["status"] == "fail";
    let binding_unknown = binding["status"] == "unknown";
    checks.push(binding);
    let mut credentials = Vec::new();
    let mut worst = "valid";
    for c in &p.credentials {
        let bytes = match &unenvelope(c) {
            Value::String(jwt) => jwt.clone().into_bytes(),
            other => serde_json::to_vec(other).unwrap_or_default(),
        };
        let verdict = embedded_verdict(&bytes, registry, now, opts)?;
        worst = worse(worst, &verdict);
        credentials.push(verdict);
    }
    let valid_count = credentials
        .iter()
        .filter(|v| v["outcome"] == "valid")
        .count();
    let detail = format!(
        "{valid_count} of {} valid{}",
        credentials.len(),
        if worst == "valid" {
            String::new()
        } else {
            format!("; the worst is {}", worst.replace('_', " "))
        }
    );
    checks.push(match (credentials.len(), worst) {
        (0, _) => check(
            "credentials",
            "unknown",
            "the presentation carries no credential",
        ),
        (_, "valid") => check("credentials", "pass", detail),
        (_, "indeterminate") => check("credentials", "unknown", detail),
        _ => check("credentials", "fail", detail),
    });
    let outcome = if own_failed {
        "invalid"
    } else if worst != "valid" {
        worst
    } else if credentials.is_empty() || !signed || binding_unknown {
        "indeterminate"
    } else {
        "valid"
    };
    Ok(json!({
        "format": "presentation",
        "outcome": outcome,
        "checks": checks,
        "warnings": warnings,
        "holder": p.holder,
        "challenge": bound(&doc, "challenge"),
        "domain": bound(&doc, "domain"),
        "credentials": credentials,
        "checked_at": now,
    }))
}

#[cfg(test)]
mod tests;
