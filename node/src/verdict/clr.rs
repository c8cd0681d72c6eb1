//! The verdict on an incoming CLR 2.0 `ClrCredential`: its own proof
//! (checked as any Verifiable Credential), its shape
//! ([`badgemesh_openbadges::clr::check_clr`]), every embedded credential
//! through [`verify_any`](super::formats::verify_any) (the same verdict `/v1/verify` gives, with the
//! node's revocation state, held documents and trust), and each association
//! against the achievements present.
//!
//! The worst result wins, as for a presentation: a CLR whose own proof
//! fails, whose shape is wrong, which carries a credential of another
//! subject than its learner, or which has an association between
//! achievements it does not hold is invalid; otherwise its outcome is the
//! worst of its credentials' (one revoked credential makes the record
//! `revoked`: a transcript is only as good as each line of it).

use badgemesh_openbadges::clr::{check_clr, is_clr};
use badgemesh_openbadges::credential::{self as ob3, Profile};
use badgemesh_protocol::state::Registry;
use badgemesh_protocol::time::Timestamp;
use serde_json::{Value, json};

use super::formats::{FormatError, Options};
use super::presentation::{embedded_verdict, worse};

/// Whether `bytes` are a JSON object typed `ClrCredential` (read only when
/// they start like an object).
pub fn is_clr_bytes(bytes: &[u8]) -> bool {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    first == Some(&b'{') && serde_json::from_slice::<Value>(bytes).is_ok_and(|doc| is_clr(&doc))
}

fn check(name: &str, status: &str, detail: impl Into<String>) -> Value {
    json!({ "check": name, "status": status, "detail": detail.into() })
}

/// 1-based positions, as a reader counts them.
fn positions(list: &[usize]) -> String {
    list.iter()
        .map(|n| (n + 1).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The verdict on a `ClrCredential` (`format: "clr"`).
pub fn verify_clr(
    bytes: &[u8],
    registry: Option<&Registry>,
    now: Timestamp,
    opts: &Options<'_>,
) -> Result<Value, FormatError> {
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|e| FormatError::Credential(e.to_string()))?;
    let lookup = |did: &str| opts.held.and_then(|h| h.dids.get(did));
    let options = ob3::VerifyOptions {
        recipient: None,
        dids: Some(&lookup),
        cancel: opts.cancel,
        profile: Profile::AnyCredential,
    };
    let own = ob3::verify_credential(bytes, now, &options)
        .map_err(|e| FormatError::Credential(e.to_string()))?;
    let mut checks = Vec::new();
    let own_ok = own.outcome == ob3::Outcome::Valid;
    let proof_detail = own
        .checks
        .iter()
        .find(|c| c.name == ob3::CheckName::Proof)
        .map_or_else(|| format!("{:?}", own.outcome), |c| c.detail.clone());
    checks.push(check(
        "signature",
        if own_ok { "pass" } else { "fail" },
        if own_ok {
            format!("the record's own proof verifies ({proof_detail})")
        } else {
            format!("the record's own proof or dates fail: {proof_detail}")
        },
    ));
    let shape = check_clr(&doc);
    checks.push(if shape.problems.is_empty() {
        check(
            "structure",
            "pass",
            format!(
                "a ClrSubject with {} credentials and {} achievements",
                shape.credential_count,
                shape.achievements.len()
            ),
        )
    } else {
        check("structure", "fail", shape.problems.join("; "))
    });
    let mut credentials = Vec::new();
    let mut worst = "valid";
    for c in &shape.credentials {
        let bytes = serde_json::to_vec(c).unwrap_or_default();
        let verdict = embedded_verdict(&bytes, registry, now, opts)?;
        worst = worse(worst, &verdict);
        credentials.push(verdict);
    }
    let valid = credentials
        .iter()
        .filter(|v| v["outcome"] == "valid")
        .count();
    checks.push(match worst {
        "valid" if !credentials.is_empty() => check(
            "credentials",
            "pass",
            format!("all {valid} embedded credentials are valid"),
        ),
        "indeterminate" => check(
            "credentials",
            "unknown",
            format!(
                "{valid} of {} valid; the others cannot be decided here",
                credentials.len()
            ),
        ),
        _ => check(
            "credentials",
            "fail",
            format!(
                "{valid} of {} valid; the worst is {}",
                credentials.len(),
                worst.replace('_', " ")
            ),
        ),
    });
    let learner_check = if !shape.other_subjects.is_empty() {
        check(
            "learner",
            "fail",
            format!(
                "credentials {} name another subject than the learner {}",
                positions(&shape.other_subjects),
                shape.learner.as_deref().unwrap_or("")
            ),
        )
    } else if shape.learner.is_none() {
        check(
            "learner",
            "unknown",
            "the record names its learner by no id (an identifier only): its credentials are not compared with it",
        )
    } else if !shape.unbound.is_empty() {
        check(
            "learner",
            "unknown",
            format!(
                "credentials {} name their subject by no id, so nothing here binds them to the learner",
                positions(&shape.unbound)
            ),
        )
    } else {
        check(
            "learner",
            "pass",
            format!(
                "every credential is about the learner {}",
                shape.learner.as_deref().unwrap_or("")
            ),
        )
    };
    let someone_else = !shape.other_subjects.is_empty();
    checks.push(learner_check);
    let dangling: Vec<&Value> = shape
        .associations
        .iter()
        .filter(|a| !a["problem"].is_null())
        .collect();
    checks.push(if dangling.is_empty() {
        check(
            "associations",
            "pass",
            format!(
                "{} associations, each between achievements of this record",
                shape.associations.len()
            ),
        )
    } else {
        check(
            "associations",
            "fail",
            dangling
                .iter()
                .map(|a| {
                    format!(
                        "{} from {} to {}: {}",
                        a["association_type"].as_str().unwrap_or(""),
                        a["source"].as_str().unwrap_or(""),
                        a["target"].as_str().unwrap_or(""),
                        a["problem"].as_str().unwrap_or("")
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        )
    });
    let outcome = if !own_ok || !shape.problems.is_empty() || !dangling.is_empty() || someone_else {
        if own.outcome == ob3::Outcome::Expired
            && shape.problems.is_empty()
            && dangling.is_empty()
            && !someone_else
        {
            "expired"
        } else {
            "invalid"
        }
    } else if credentials.is_empty() {
        "indeterminate"
    } else {
        worst
    };
    Ok(json!({
        "format": "clr",
        "outcome": outcome,
        "checks": checks,
        "assertion": own.credential_id,
        "issuer": own.issuer,
        "issuer_name": doc["issuer"]["name"],
        "name": doc["name"],
        "learner": doc["credentialSubject"]["id"],
        "issued_on": own.valid_from,
        "expires": own.valid_until,
        "cryptosuite": own.cryptosuite,
        "achievements": shape.achievements,
        "associations": shape.associations,
        "credentials": credentials,
        "checked_at": now,
        "warnings": own.warnings,
    }))
}
