//! The VC API's `POST /presentations/verify` (open, like
//! `/credentials/verify`): a holder's presentation is verified by its shape,
//! its proof (the holder's key, for `authentication`, with the challenge
//! and domain the verifier asked for), and then every credential it carries
//! exactly as `/credentials/verify` would (proof, dates, status, the node's
//! trust). It is verified only when all of that holds.
//!
//! All of it runs as one job of the verification pool, so a presentation of
//! many credentials costs one slot and is cancelled as one.
//!
//! The VC API does not require the holder to be the subject of what it
//! presents (a parent may present a child's credential), so this route
//! does not check it; `POST /v1/verify` given a presentation does (see
//! [`crate::verdict::presentation`]), as an earner's presentation of their
//! badges calls for.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use badgemesh_openbadges::presentation::{
    PresentationOptions, PresentationProof, verify_presentation,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::vc_api::{VerifyRequestOptions, any_credential, bad_request, problem, vc_result};
use super::{ApiError, AppState};
use crate::core::now;
use crate::verdict::formats::{FormatError, verify_any};

/// `POST /presentations/verify`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifyPresentationRequest {
    verifiable_presentation: Value,
    #[serde(default)]
    options: VerifyRequestOptions,
}

pub(super) async fn verify(State(s): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let req: VerifyPresentationRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return Ok(bad_request(format!(
                "not a VC API presentation verify request: {e}"
            )));
        }
    };
    if !req.verifiable_presentation.is_object() {
        return Ok(bad_request(
            "verifiablePresentation must be a presentation (a JSON object)",
        ));
    }
    let bytes = serde_json::to_vec(&req.verifiable_presentation).unwrap_or_default();
    let at = now();
    let (held, core, trust) = (s.held.clone(), s.core.clone(), s.trust.clone());
    let o = req.options;
    let run = move |cancel: &std::sync::atomic::AtomicBool| {
        let lookup = |did: &str| held.dids.get(did);
        let options = PresentationOptions {
            challenge: o.challenge.as_deref(),
            domain: o.domain.as_deref(),
            purpose: o.expected_proof_purpose.as_deref(),
            dids: Some(&lookup),
            cancel: Some(cancel),
        };
        let presentation = match verify_presentation(&bytes, &options) {
            Ok(p) => p,
            Err(badgemesh_openbadges::presentation::PresentationError::Proof(
                badgemesh_openbadges::proof::ProofError::Cancelled,
            )) => return Err(FormatError::Cancelled),
            Err(e) => return Ok(json!({ "unreadable": e.to_string() })),
        };
        // The credentials are verified only inside a presentation that holds.
        let mut credentials = Vec::new();
        if presentation.holds() {
            let opts = any_credential(&held, &trust, cancel);
            for c in &presentation.credentials {
                let bytes = match &crate::backpack::present::unenvelope(c) {
                    Value::String(jwt) => jwt.clone().into_bytes(),
                    other => serde_json::to_vec(other).unwrap_or_default(),
                };
                let verdict = match core.ledger.read(|r| verify_any(&bytes, Some(r), at, &opts)) {
                    Ok(v) => v,
                    Err(FormatError::Cancelled) => return Err(FormatError::Cancelled),
                    Err(e) => json!({
                        "outcome": "invalid",
                        "checks": [{ "check": "structure", "status": "fail", "detail": e.to_string() }],
                    }),
                };
                credentials.push(verdict);
            }
        }
        Ok(presentation_result(&presentation, credentials))
    };
    let result = match s.verify_pool.run(run).await? {
        Ok(v) => v,
        Err(FormatError::Cancelled) => return Err(ApiError::internal("verification cancelled")),
        Err(e) => return Ok(bad_request(e.to_string())),
    };
    if let Some(why) = result["unreadable"].as_str() {
        return Ok(bad_request(why.to_owned()));
    }
    let status = match result["outcome"].as_str() {
        Some("valid") => StatusCode::OK,
        Some("indeterminate") => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::BAD_REQUEST,
    };
    Ok((status, Json(result)).into_response())
}

/// The VC API's answer for a presentation and its credentials' verdicts:
/// `{verified, outcome, checks, errors, problemDetails, presentationResult,
/// credentialResults}`. Invalid anywhere makes it invalid; otherwise
/// undecided anywhere makes it indeterminate.
fn presentation_result(
    p: &badgemesh_openbadges::presentation::PresentationVerdict,
    credentials: Vec<Value>,
) -> Value {
    let mut problems = Vec::new();
    let (proof_status, proof_detail) = match &p.proof {
        PresentationProof::Verified {
            verification_method,
            cryptosuite,
        } => (
            "pass",
            format!("signed by {verification_method} ({cryptosuite})"),
        ),
        PresentationProof::Unsigned => ("skipped", "the presentation is not signed".to_owned()),
        PresentationProof::Invalid(why) => ("fail", why.clone()),
        PresentationProof::Unsupported(why) => ("unknown", why.clone()),
    };
    if let Some(why) = &p.problem {
        problems.push(problem("MALFORMED_VALUE_ERROR", "structure", why));
    } else if matches!(proof_status, "fail" | "unknown") {
        problems.push(problem(
            "PROOF_VERIFICATION_ERROR",
            "presentation proof",
            &proof_detail,
        ));
    }
    let mut outcome = if p.problem.is_some() || proof_status == "fail" {
        "invalid"
    } else if proof_status == "unknown" {
        "indeterminate"
    } else {
        "valid"
    };
    let mut results = Vec::new();
    for (i, verdict) in credentials.into_iter().enumerate() {
        let (_, mut body) = vc_result(verdict);
        let credential = body["verdict"]["outcome"]
            .as_str()
            .unwrap_or("invalid")
            .to_owned();
        match credential.as_str() {
            "valid" => {}
            "indeterminate" if outcome == "valid" => outcome = "indeterminate",
            "indeterminate" => {}
            _ => outcome = "invalid",
        }
        if let Some(ps) = body["problemDetails"].as_array_mut() {
            for pd in ps.iter_mut() {
                let detail = format!(
                    "credential {}: {}",
                    i + 1,
                    pd["detail"].as_str().unwrap_or("")
                );
                pd["detail"] = detail.into();
                problems.push(pd.clone());
            }
        }
        results.push(body);
    }
    let errors: Vec<Value> = problems.iter().map(|p| p["detail"].clone()).collect();
    let mut checks = Vec::new();
    if proof_status == "pass" {
        checks.push("proof");
    }
    json!({
        "verified": outcome == "valid",
        "outcome": outcome,
        "checks": checks,
        "errors": errors,
        "problemDetails": problems,
        "presentationResult": {
            "verified": p.holds(),
            "holder": p.holder,
            "proof": { "status": proof_status, "detail": proof_detail },
        },
        "credentialResults": results,
    })
}
