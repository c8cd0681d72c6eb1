//! The W3C VC API's credential calls, so that other people's test suites
//! and tools can drive this node: `POST /credentials/verify` (open, like
//! `/v1/verify`), `POST /credentials/issue` and `POST /credentials/status`
//! (the admin token), and the status list's publish call.
//!
//! Status is the native revocation: an issued credential's
//! `BitstringStatusListEntry` takes its index from the counter native
//! awards use, a status update signs a revocation update (gossiped like
//! any other, and permanent), and the list at
//! `/ob3/status/<did>/revocation` is built from those updates. So there is
//! no suspension here: the network has no signed "unrevoke".
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

use super::table::{Route, Shape, Table};

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
pub(super) struct VerifyRequestOptions {
    /// The proof purpose every proof must have (default `assertionMethod`,
    /// `authentication` for presentations).
    pub(super) expected_proof_purpose: Option<String>,
    /// A challenge the proof must carry (presentations mostly).
    pub(super) challenge: Option<String>,
    /// A domain the proof must carry.
    pub(super) domain: Option<String>,
}

/// `POST /credentials/issue`.
#[derive(Debug, Deserialize)]
struct IssueRequest {
    credential: Map<String, Value>,
    #[serde(default)]
    options: IssueOptions,
}

/// The VC API's issue options this node honours.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IssueOptions {
    /// The kind of status to issue the credential with.
    credential_status: Option<StatusKind>,
}

/// A status method and purpose, as the issue and status calls name them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatusKind {
    #[serde(rename = "type")]
    kind: String,
    status_purpose: Option<String>,
    /// The status call's value: `true` or `"revoked"` (the default) sets it.
    status: Option<Value>,
}

impl StatusKind {
    /// Why this node cannot give or set this status, if it cannot.
    fn unsupported(&self) -> Option<String> {
        if self.kind != "BitstringStatusListEntry" {
            return Some(format!(
                "status type {:?} is not issued here (BitstringStatusListEntry is)",
                self.kind
            ));
        }
        match self.status_purpose.as_deref() {
            None | Some("revocation") => None,
            Some(other) => Some(format!(
                "status purpose {other:?} is not issued here: this node's status is the network's signed revocation, which has no suspension or messages"
            )),
        }
    }

    /// Whether a status update asks to set the status (revoke).
    fn sets(&self) -> Option<bool> {
        match &self.status {
            None => Some(true),
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::String(s)) => match s.as_str() {
                "revoked" | "true" => Some(true),
                "false" | "active" | "unrevoked" => Some(false),
                _ => None,
            },
            Some(_) => None,
        }
    }
}

/// `POST /credentials/status`: `{credentialId, credentialStatus}`, the
/// status one entry or a list of them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatusRequest {
    credential_id: String,
    credential_status: OneOrMany<StatusKind>,
    /// Why, kept in the signed revocation update.
    reason: Option<String>,
}

/// A JSON value that may be one item or an array of them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

/// A VC API problem detail.
pub(super) fn problem(kind: &str, title: &str, detail: impl Into<String>) -> Value {
    json!({
        "type": format!("https://w3id.org/security#{kind}"),
        "title": title,
        "detail": detail.into(),
    })
}

/// The VC API's error answer for a request it cannot take.
pub(super) fn bad_request(detail: impl Into<String>) -> Response {
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
        let opts = any_credential(&held, &trust, cancel);
        core.ledger.read(|r| verify_any(&bytes, Some(r), at, &opts))
    };
    let verdict = match s.verify_pool.run(run).await? {
        Ok(v) => v,
        Err(FormatError::Cancelled) => return Err(ApiError::internal("verification cancelled")),
        Err(e) => return Ok(bad_request(e.to_string())),
    };
    Ok(answer(verdict))
}

/// The options the VC API verifies credentials with: any Verifiable
/// Credential (the Open Badges profile reported, not deciding), with what
/// the node holds and whom it trusts.
pub(super) fn any_credential<'a>(
    held: &'a crate::trust::held::HeldDocuments,
    trust: &'a crate::trust::state::TrustState,
    cancel: &'a std::sync::atomic::AtomicBool,
) -> Options<'a> {
    Options {
        held: Some(held),
        trust: Some(trust),
        cancel: Some(cancel),
        profile: Profile::AnyCredential,
        ..Options::default()
    }
}

/// The VC API verification result for a node verdict.
fn answer(verdict: Value) -> Response {
    let (status, body) = vc_result(verdict);
    (status, Json(body)).into_response()
}

/// The VC API's result for one credential's node verdict, and the HTTP
/// status it calls for: 200 verified, 400 invalid, 422 undecided here.
pub(super) fn vc_result(verdict: Value) -> (StatusCode, Value) {
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
    (status, body)
}

pub(super) async fn issue(State(s): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let req: IssueRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return Ok(bad_request(format!("not a VC API issue request: {e}"))),
    };
    let list = match &req.options.credential_status {
        None => None,
        Some(kind) => {
            if let Some(why) = kind.unsupported() {
                return Ok(bad_request(why));
            }
            let Some(id) = s.issuer.id().await else {
                return Err(crate::issuer::IssuerOpError::NoIssuer.into());
            };
            Some(badgemesh_openbadges::export::status_list_url(
                &super::status_base_url(&s, &id),
                &id,
            ))
        }
    };
    let created = now().to_string();
    match s
        .issuer
        .sign_credential(&s.core, req.credential, &created, list.as_deref())
        .await
    {
        Ok(vc) => Ok((
            StatusCode::CREATED,
            Json(json!({ "verifiableCredential": vc })),
        )
            .into_response()),
        Err(crate::issuer::IssuerOpError::Export(why)) => Ok(bad_request(why)),
        Err(e) => Err(e.into()),
    }
}

/// `POST /credentials/status`: revokes a credential this node issued with a
/// status, by its id. Revocation is signed into the network and permanent,
/// so asking to clear a status is refused.
pub(super) async fn status(State(s): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let req: StatusRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return Ok(bad_request(format!("not a VC API status request: {e}"))),
    };
    let kinds = match req.credential_status {
        OneOrMany::One(k) => vec![k],
        OneOrMany::Many(ks) => ks,
    };
    if kinds.is_empty() {
        return Ok(bad_request("credentialStatus names no status to set"));
    }
    for kind in &kinds {
        if let Some(why) = kind.unsupported() {
            return Ok(bad_request(why));
        }
        match kind.sets() {
            Some(true) => {}
            Some(false) => {
                return Ok(bad_request(
                    "a revocation cannot be undone: it is a signed update the network keeps",
                ));
            }
            None => return Ok(bad_request("status must be true or \"revoked\"")),
        }
    }
    let seq = s
        .issuer
        .revoke_credential(&s.core, &req.credential_id, req.reason)
        .await?;
    Ok(Json(json!({
        "credentialId": req.credential_id,
        "revocationSeq": seq,
    }))
    .into_response())
}

/// `POST /ob3/status/{did}/revocation/publish`: signs the status list anew
/// now (it is also re-signed whenever the revocation state changes, and
/// halfway through its validity). 204.
pub(super) async fn publish(
    State(s): State<AppState>,
    axum::extract::Path(did): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    let id = super::parse_did(&did)?;
    if s.issuer.id().await != Some(id) {
        return Err(ApiError::not_found(
            "unknown_issuer",
            format!("this node does not sign for {did}"),
        ));
    }
    s.issuer.republish_status_list().await;
    s.issuer
        .status_list(&s.core, &super::status_base_url(&s, &id))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The VC API routes that are open (the ones that need the token are with
/// the admin routes).
pub(super) fn routes() -> Table<AppState> {
    const ANSWER: &str = "`{verified, checks, warnings, errors, problemDetails}` with the node's verdict beside it: 200 when verified, 400 when invalid, 422 when it cannot be decided here";
    Table::new("vc-api")
        .add(
            Route::post(
                "/credentials/verify",
                verify,
                "Verify a Verifiable Credential (W3C VC API)",
            )
            .body(
                "application/json",
                Shape::Any,
                "`{\"verifiableCredential\": ..., \"options\": {...}}`",
            )
            .answers(200, ANSWER)
            .answers(400, ANSWER)
            .answers(422, ANSWER),
        )
        .add(
            Route::post(
                "/presentations/verify",
                super::vc_presentations::verify,
                "Verify a Verifiable Presentation and every credential in it (W3C VC API)",
            )
            .body(
                "application/json",
                Shape::Any,
                "`{\"verifiablePresentation\": ..., \"options\": {\"challenge\", \"domain\"}}`",
            )
            .answers(200, ANSWER)
            .answers(400, ANSWER)
            .answers(422, ANSWER),
        )
}

/// The VC API routes behind the admin token.
pub(super) fn admin_routes() -> Table<AppState> {
    Table::new("vc-api")
        .add(
            Route::post(
                "/credentials/issue",
                issue,
                "Issue a credential (W3C VC API)",
            )
            .body(
                "application/json",
                Shape::Any,
                "`{\"credential\": ..., \"options\": {...}}`",
            )
            .answers(201, "`{\"verifiableCredential\": ...}`, signed"),
        )
        .add(
            Route::post(
                "/credentials/status",
                status,
                "Revoke an issued credential (W3C VC API)",
            )
            .body(
                "application/json",
                Shape::Any,
                "`{\"credentialId\", \"credentialStatus\": [{\"type\", \"status\"}]}`",
            )
            .answers(
                200,
                "`{\"credentialId\", \"revocationSeq\"}`: the revocation update that was signed",
            ),
        )
        .add(
            Route::post(
                "/ob3/status/{did}/revocation/publish",
                publish,
                "Sign the status list anew now",
            )
            .empty(204, "signed"),
        )
}
