//! `POST /v1/admin/clr`: a learner's verified badges as one signed CLR 2.0
//! `ClrCredential` by this node's issuer.
//!
//! The badges come in the body (base64): OB 3.0 credentials as JSON, and
//! native assertions of this node's own issuer (exported as OB 3.0 first:
//! a native record cannot sit in a JSON-LD credential, and only its issuer
//! can sign its export). Each is verified against the learner (an email or
//! DID) as `/v1/verify?recipient=` would, in one job of the verification
//! pool; every one must be valid, or nothing is signed. The pathways in
//! force between their badge classes become `isChildOf` and `precedes`
//! associations (prerequisite to goal). An incoming CLR is verified by
//! `/v1/verify` ([`crate::verdict::clr`]).

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use badgemesh_openbadges::clr::{Association, MAX_CLR_CREDENTIALS, achievement_of};
use badgemesh_protocol::id::RecordId;
use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
use badgemesh_protocol::record::{
    EMAIL_IDENTITY_TYPE, IdentityHash, Recipient, Record, SignedRecord,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

use super::{ApiError, AppState};
use crate::core::now;
use crate::verdict::formats::{Options, verify_any};

/// What to gather.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ClrBody {
    /// The learner's badges, base64.
    badges: Vec<String>,
    /// The learner: an email or a DID, which every badge must name.
    learner: String,
    /// The record's name.
    name: Option<String>,
}

/// Signs the learner record; 422 `not_valid` (with each verdict) when a
/// badge is not valid for that learner.
pub(super) async fn export(
    State(s): State<AppState>,
    body: Result<Json<ClrBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body?;
    if b.badges.is_empty() || b.badges.len() > MAX_CLR_CREDENTIALS {
        return Err(ApiError::bad_request(
            "bad_count",
            format!("give 1 to {MAX_CLR_CREDENTIALS} badges"),
        ));
    }
    let learner = b.learner.trim().to_owned();
    let subject = learner_subject(&learner)?;
    let me = s.issuer.id().await;
    let mut docs: Vec<Vec<u8>> = Vec::new();
    for (n, text) in b.badges.iter().enumerate() {
        let bytes = B64
            .decode(text.trim())
            .map_err(|e| ApiError::bad_request("bad_base64", format!("badge {n}: {e}")))?;
        match SignedRecord::decode(&bytes, MAX_ENVELOPE_BYTES) {
            Ok(rec) => {
                let Record::Assertion(a) = rec.record() else {
                    return Err(ApiError::bad_request(
                        "not_a_badge",
                        format!("badge {n} is a {} record", rec.kind().name()),
                    ));
                };
                if Some(a.issuer) != me {
                    return Err(ApiError::bad_request(
                        "foreign_native",
                        format!(
                            "badge {n} is a native assertion of another issuer: only its issuer can export it as OB 3.0 (ask for that file)"
                        ),
                    ));
                }
                docs.push(s.issuer.export_ob3(&s.core, rec.id(), false).await?);
            }
            Err(_) if serde_json::from_slice::<Map<String, Value>>(&bytes).is_ok() => {
                docs.push(bytes);
            }
            Err(_) => {
                return Err(ApiError::bad_request(
                    "not_a_credential",
                    format!(
                        "badge {n} is neither an OB 3.0 credential (JSON) nor a native assertion of this node's issuer"
                    ),
                ));
            }
        }
    }
    let verdicts = verify_all(&s, docs.clone(), learner.clone()).await?;
    let bad: Vec<&Value> = verdicts
        .iter()
        .filter(|v| v["outcome"] != "valid")
        .collect();
    if !bad.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_valid",
            format!(
                "{} of the badges are not valid for {learner}: {}",
                bad.len(),
                bad.iter()
                    .map(|v| format!(
                        "{} ({})",
                        v["assertion"].as_str().unwrap_or("?"),
                        v["outcome"].as_str().unwrap_or("?")
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    let credentials: Vec<Map<String, Value>> = docs
        .iter()
        .filter_map(|d| serde_json::from_slice(d).ok())
        .collect();
    let associations = associations(&s, &credentials, &verdicts);
    let name = b
        .name
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "Learner record".to_owned());
    let bytes = s
        .issuer
        .sign_clr(&s.core, &credentials, &associations, subject, &name)
        .await?;
    Ok((
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/vc+ld+json")],
        bytes,
    )
        .into_response())
}

/// The subject's identity: `{"id": DID}`, or for an email a hashed
/// `IdentityObject` with a fresh salt (as awards hash emails).
fn learner_subject(learner: &str) -> Result<Map<String, Value>, ApiError> {
    let mut m = Map::new();
    match super::bodies::recipient_of(learner)? {
        Recipient::Did(did) => {
            m.insert("id".into(), did.into());
        }
        Recipient::Hashed(_) => {
            let salt = hex::encode(crate::datadir::random::<16>());
            let h = IdentityHash::new(EMAIL_IDENTITY_TYPE, learner, &salt);
            m.insert(
                "identifier".into(),
                json!([{
                    "type": "IdentityObject",
                    "identityHash": h.to_ob_string(),
                    "identityType": EMAIL_IDENTITY_TYPE,
                    "hashed": true,
                    "salt": salt,
                }]),
            );
        }
    }
    Ok(m)
}

/// `isChildOf` and `precedes` from each prerequisite's achievement to its
/// goal's, for the pathways in force between the badge classes awarded.
fn associations(
    s: &AppState,
    credentials: &[Map<String, Value>],
    verdicts: &[Value],
) -> Vec<Association> {
    let mut achievement: BTreeMap<RecordId, String> = BTreeMap::new();
    for (c, v) in credentials.iter().zip(verdicts) {
        let class = v["badge_class"].as_str().and_then(|t| t.parse().ok());
        let id = achievement_of(c)
            .and_then(|a| a.get("id"))
            .and_then(Value::as_str);
        if let (Some(class), Some(id)) = (class, id) {
            achievement.entry(class).or_insert_with(|| id.to_owned());
        }
    }
    let classes: BTreeSet<RecordId> = achievement.keys().copied().collect();
    let edges = s
        .core
        .ledger
        .read(|r| badgemesh_protocol::pathway::edges_among(r, &classes));
    let mut out = Vec::new();
    for (pre, goal) in edges {
        if let (Some(source), Some(target)) = (achievement.get(&pre), achievement.get(&goal)) {
            for kind in ["isChildOf", "precedes"] {
                out.push(Association {
                    kind: kind.into(),
                    source: source.clone(),
                    target: target.clone(),
                });
            }
        }
    }
    out
}

/// Verifies each document for `learner` in one pool job.
async fn verify_all(
    s: &AppState,
    docs: Vec<Vec<u8>>,
    learner: String,
) -> Result<Vec<Value>, ApiError> {
    let (held, core, trust) = (s.held.clone(), s.core.clone(), s.trust.clone());
    let at = now();
    let run = move |cancel: &std::sync::atomic::AtomicBool| {
        let opts = Options {
            recipient: Some(&learner),
            ..Options::on_node(&held, &trust, cancel)
        };
        let out: Vec<Value> = core.ledger.read(|r| {
            docs.iter()
                .map(|d| {
                    verify_any(d, Some(r), at, &opts)
                        .unwrap_or_else(|e| json!({ "outcome": "invalid", "error": e.to_string() }))
                })
                .collect()
        });
        Ok(Value::Array(out))
    };
    let v = s
        .verify_pool
        .run(run)
        .await?
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(v.as_array().cloned().unwrap_or_default())
}
