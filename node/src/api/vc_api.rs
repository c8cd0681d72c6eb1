//! The W3C VC API's credential calls, so that other people's test suites
//! and tools can drive this node: `POST /credentials/verify` (open, like
//! `/v1/verify`) and `POST /credentials/issue` (the admin token).
//!
//! Verification accepts any Verifiable Credential (VC 1.1 or 2.0, JSON with
//! a Data Integrity proof or a VC-JWT) and judges it by its proof, key
//! binding, dates and status; whether it is also an Open Badge is reported
//! (the `open_badges` check) but does not decide. The answer is the VC
//! API's `{verified, checks, warnings, errors, problemDetails}` with the
//! node's own verdict beside it: 200 when verified, 400 when the credential
//! is invalid (or the request malformed), 422 when it cannot be decided here
//! (an unknown key, an unchecked status).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use badgemesh_openbadges::credential::Profile;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{ApiError, AppState};
use crate::core::now;
use crate::verdict::formats::{FormatError, Options, verify_any};

/// `POST /credentials/verify`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifyRequest {
    verifiable_credential: Value,
    #[serde(default)]
    options: VerifyRequestOptions,
}

/// The VC API's verification options this node honours.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifyRequestOptions {
    /// The proof purpose every proof must have (default `assertionMethod`).
    expected_proof_purpose: Option<String>,
    /// A challenge the proof must carry (presentations mostly).
    challenge: Option<String>,
    /// A domain the proof must carry.
    domain: Option<String>,
}

/// `POST /credentials/issue`.
#[derive(Debug, Deserialize)]
struct IssueRequest {
    credential: Map<String, Value>,
}

/// A VC API problem detail.
fn problem(kind: &str, title: &str, detail: impl Into<String>) -> Value {
    json!({
        "type": format!("https://w3id.org/security#{kind}"),
        "title": title,
        "detail": detail.into(),
    })
}

/// The VC API's error answer for a request it cannot take.
fn bad_request(detail: impl Into<String>) -> Response {
    let p = problem("MALFORMED_VALUE_ERROR", "Malformed request", detail);
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "verified": false, "errors": [p["detail"]], "problemDetails": [p] })),
    )
        .into_response()
}

/// Proof options the request asks for that a proof does not have.
fn proof_mismatch(credential: &Value, o: &VerifyRequestOptions) -> Option<String> {
    let proofs: Vec<&Value> = match &credential["proof"] {
        Value::Array(a) => a.iter().collect(),
        Value::Null => return None,
        one => vec![one],
    };
    let want = [
        ("proofPurpose", o.expected_proof_purpose.as_deref()),
        ("challenge", o.challenge.as_deref()),
        ("domain", o.domain.as_deref()),
    ];
    for p in proofs {
        for (key, wanted) in want {
            if let Some(w) = wanted
                && p[key].as_str() != Some(w)
            {
                return Some(format!("the proof's {key} is not {w:?}"));
            }
        }
    }
    None
}

pub(super) async fn verify(State(s): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let req: VerifyRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return Ok(bad_request(format!("not a VC API verify request: {e}"))),
    };
    let bytes = match &req.verifiable_credential {
        Value::Object(_) => serde_json::to_vec(&req.verifiable_credential).unwrap_or_default(),
        Value::String(jwt) if badgemesh_openbadges::jwt::looks_like_jwt(jwt) => {
            jwt.clone().into_bytes()
        }
        _ => {
            return Ok(bad_request(
                "verifiableCredential must be a credential (a JSON object) or a VC-JWT",
            ));
        }
    };
    if let Some(why) = proof_mismatch(&req.verifiable_credential, &req.options) {
        let p = problem(
            "PROOF_VERIFICATION_ERROR",
            "Proof options do not match",
            &why,
        );
        return Ok((
            StatusCode::BAD_REQUEST,
            Json(
                json!({ "verified": false, "checks": [], "errors": [why], "problemDetails": [p] }),
            ),
        )
            .into_response());
    }
    let at = now();
    let (held, core, trust) = (s.held.clone(), s.core.clone(), s.trust.clone());
    let run = move |cancel: &std::sync::atomic::AtomicBool| {
        let opts = Options {
            held: Some(&held),
            trust: Some(&trust),
            cancel: Some(cancel),
            profile: Profile::AnyCredential,
            ..Options::default()
        };
        core.ledger.read(|r| verify_any(&bytes, Some(r), at, &opts))
    };
    let verdict = match s.verify_pool.run(run).await? {
        Ok(v) => v,
        Err(FormatError::Cancelled) => return Err(ApiError::internal("verification cancelled")),
        Err(e) => return Ok(bad_request(e.to_string())),
    };
    Ok(answer(verdict))
}

/// The VC API verification result for a node verdict.
fn answer(verdict: Value) -> Response {
    let checks = verdict["checks"].as_array().cloned().unwrap_or_default();
    // What a VC API client calls a check: the proof, the dates, the status.
    let vc_name = |c: &Value| match c["check"].as_str() {
        Some("signature") => Some("proof"),
        Some("validity_period") => Some("expiration"),
        Some("revocation") | Some("suspension") | Some("status") => Some("credentialStatus"),
        _ => None,
    };
    let passed: Vec<&str> = checks
        .iter()
        .filter(|c| c["status"] == "pass")
        .filter_map(vc_name)
        .collect();
    let failed: Vec<&Value> = checks
        .iter()
        .filter(|c| c["status"] == "fail" || c["status"] == "unknown")
        .filter(|c| vc_name(c).is_some() || c["check"] == "structure")
        .collect();
    let outcome = verdict["outcome"].as_str().unwrap_or("invalid").to_owned();
    let verified = outcome == "valid";
    let problems: Vec<Value> = failed
        .iter()
        .map(|c| {
            let kind = match c["check"].as_str() {
                Some("signature") => "PROOF_VERIFICATION_ERROR",
                Some("validity_period") => "VALIDITY_PERIOD_ERROR",
                Some("structure") => "MALFORMED_VALUE_ERROR",
                _ => "STATUS_VERIFICATION_ERROR",
            };
            problem(
                kind,
                c["check"].as_str().unwrap_or(""),
                c["detail"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let status = match outcome.as_str() {
        "valid" => StatusCode::OK,
        "indeterminate" => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::BAD_REQUEST,
    };
    let errors: Vec<Value> = problems.iter().map(|p| p["detail"].clone()).collect();
    let body = json!({
        "verified": verified,
        "checks": passed,
        "warnings": verdict["warnings"].as_array().cloned().unwrap_or_default(),
        "errors": errors,
        "problemDetails": problems,
        "verdict": verdict,
    });
    (status, Json(body)).into_response()
}

/// `POST /capability/{token}/credentials/issue`: the issue call for clients
/// that cannot send an `Authorization` header (the W3C data model test
/// suite posts with fixed headers): the admin token is in the URL, a
/// capability URL. Compared in constant time; keep such URLs out of logs.
pub(super) async fn issue_by_capability(
    State(s): State<AppState>,
    axum::extract::Path(token): axum::extract::Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    use subtle::ConstantTimeEq as _;
    if token.is_empty() || !bool::from(token.as_bytes().ct_eq(s.token.as_bytes())) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "not a capability of this node",
        ));
    }
    issue(State(s), body).await
}

pub(super) async fn issue(State(s): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let req: IssueRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return Ok(bad_request(format!("not a VC API issue request: {e}"))),
    };
    let created = now().to_string();
    match s.issuer.sign_credential(req.credential, &created).await {
        Ok(vc) => Ok((
            StatusCode::CREATED,
            Json(json!({ "verifiableCredential": vc })),
        )
            .into_response()),
        Err(crate::issuer::IssuerOpError::Export(why)) => Ok(bad_request(why)),
        Err(e) => Err(e.into()),
    }
}
