//! Pathway routes.
//!
//! Open: `GET /v1/badges/{id}/pathway` (the graph around a badge class,
//! [`badgemesh_protocol::pathway::graph`]) and `POST
//! /v1/badges/{id}/pathway/progress` (a holder's badges, given in the body,
//! verified in one job of the verification pool, then
//! [`badgemesh_protocol::pathway::progress`]). With the admin token, the
//! progress route also reads a backpack collection (the earner's own
//! node). Admin: `POST /v1/admin/pathways` declares one for this node's
//! issuer, `POST /v1/admin/pathways/{id}/withdraw` withdraws it.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use badgemesh_protocol::id::RecordId;
use badgemesh_protocol::pathway::{graph::graph, progress::progress};
use badgemesh_protocol::record::Step;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;
use serde_json::{Value, json};

use super::table::{Route, Shape, Table};
use super::{ApiError, AppState, parse_id};
use crate::backpack::{badges, collections};
use crate::core::now;
use crate::verdict::formats::Options;
use crate::verdict::pathway::held_from;
use crate::verdict::presentation::{Asked, verify_input};

/// At most this many badges in one progress request (each is a
/// verification; a presentation counts as one input).
pub const MAX_PROGRESS_INPUTS: usize = 64;

/// The open routes.
pub(super) fn routes() -> Table<AppState> {
    Table::new("pathways")
        .add(
            Route::get(
                "/v1/badges/{id}/pathway",
                show,
                "The pathway graph around a badge class",
            )
            .answers(
                200,
                "`{\"goal\", \"badges\", \"pathways\", \"leads_to\", \"cycles\", \"truncated\"}`",
            )
            .answers(404, "the badge class is not held here"),
        )
        .add(
            Route::post(
                "/v1/badges/{id}/pathway/progress",
                progress_route,
                "A holder's progress towards a badge class",
            )
            .body(
                "application/json",
                Shape::Any,
                "`{\"badges\": [base64...], \"labels\", \"collection\" (admin token), \"recipient\", \"max_age\"}`",
            )
            .answers(
                200,
                "per pathway and step: what is done, what remains, what a complete one rests on; `notes`; `awarded` on the goal's issuer's node for an auto-award pathway",
            ),
        )
}

/// The admin routes (the caller puts them behind the token).
pub(super) fn admin_routes() -> Table<AppState> {
    Table::new("pathways")
        .add(
            Route::post(
                "/v1/admin/pathways",
                declare,
                "Declare a pathway to one of this issuer's badge classes",
            )
            .body(
                "application/json",
                Shape::Any,
                "`{\"goal\", \"steps\": [{\"need\", \"of\": [ID...]}], \"name\", \"auto_award\"}`",
            )
            .answers(
                201,
                "`{\"id\", \"goal\", \"status_index\", \"auto_award\", \"pathway\"}`",
            )
            .answers(
                409,
                "`pathway_cycle`: it would close a cycle with the pathways held here",
            ),
        )
        .add(
            Route::post(
                "/v1/admin/pathways/{id}/withdraw",
                withdraw,
                "Withdraw a pathway of this issuer",
            )
            .answers(200, "`{\"seq\", \"withdrawn\"}`"),
        )
        .add(
            Route::post(
                "/v1/admin/clr",
                super::clr::export,
                "A learner's badges as one signed CLR 2.0 ClrCredential",
            )
            .body(
                "application/json",
                Shape::Any,
                "`{\"badges\": [base64...], \"learner\": EMAIL|DID, \"name\"}`",
            )
            .reply(
                201,
                "application/vc+ld+json",
                Shape::Any,
                "the signed ClrCredential",
            )
            .answers(422, "`not_valid`: a badge is not valid for the learner"),
        )
}

/// The graph around a badge class, from what this node holds. 404 when the
/// class itself is not held.
async fn show(State(s): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = parse_id("badge class", &id)?;
    let r = s.core.ledger.snapshot();
    if r.badge_class(&id).is_none() {
        return Err(ApiError::not_found(
            "unknown_badge",
            format!("no badge class {id} on this node"),
        ));
    }
    Ok(Json(graph(&r, &id)).into_response())
}

/// A progress request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProgressBody {
    /// Badge files or presentations, base64 (any format `verify` reads).
    #[serde(default)]
    badges: Vec<String>,
    /// Labels for `badges` (file names), same order; optional.
    #[serde(default)]
    labels: Vec<String>,
    /// A backpack collection of this node (needs the admin token).
    collection: Option<String>,
    /// Revocation data older than this many seconds is treated as unknown.
    max_age: Option<i64>,
    /// The earner (an email or DID): every badge is checked against it, and
    /// on the goal's issuer's node a complete pathway declared with
    /// `auto_award` is awarded to it.
    recipient: Option<String>,
}

async fn progress_route(
    State(s): State<AppState>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
    body: Result<Json<ProgressBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let goal = parse_id("badge class", &id)?;
    let Json(b) = body?;
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    for (n, text) in b.badges.iter().enumerate() {
        let bytes = B64
            .decode(text.trim())
            .map_err(|e| ApiError::bad_request("bad_base64", format!("badge {n}: {e}")))?;
        let label = b
            .labels
            .get(n)
            .cloned()
            .unwrap_or_else(|| format!("input {n}"));
        inputs.push((label, bytes));
    }
    if let Some(name) = &b.collection {
        if !super::admin::bearer_ok(&headers, &s.token) {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a backpack collection is read only with the admin token",
            ));
        }
        inputs.extend(collection_files(&s, name).await?);
    }
    if inputs.len() > MAX_PROGRESS_INPUTS {
        return Err(ApiError::bad_request(
            "too_many_badges",
            format!("at most {MAX_PROGRESS_INPUTS} badges in one request"),
        ));
    }
    if s.core.ledger.read(|r| r.badge_class(&goal).is_none()) {
        return Err(ApiError::not_found(
            "unknown_badge",
            format!("no badge class {goal} on this node"),
        ));
    }
    let recipient = b
        .recipient
        .as_deref()
        .map(|r| super::bodies::recipient_of(r).map(|parsed| (r.trim().to_owned(), parsed)))
        .transpose()?;
    let verdicts = verify_all(
        &s,
        inputs,
        b.max_age,
        recipient.as_ref().map(|r| r.0.clone()),
    )
    .await?;
    let (p, notes) = answer(&s, &goal, &verdicts);
    let awarded = match recipient {
        Some((_, parsed)) => {
            crate::pathway_award::award_if_complete(&s.core, &s.issuer, &p, parsed).await?
        }
        None => None,
    };
    let mut out = serde_json::to_value(p).unwrap_or(Value::Null);
    out["notes"] = json!(notes);
    out["awarded"] = json!(awarded);
    out["checked_at"] = json!(now());
    Ok(Json(out).into_response())
}

/// The progress from the verdicts (label, verdict or error), and a note
/// for each input that counts for nothing.
fn answer(
    s: &AppState,
    goal: &RecordId,
    verdicts: &[(String, Value)],
) -> (badgemesh_protocol::pathway::progress::Progress, Vec<Value>) {
    let (mut held, mut notes) = (Vec::new(), Vec::new());
    for (label, v) in verdicts {
        if let Some(e) = v.get("error") {
            notes.push(json!({ "input": label, "note": e }));
            continue;
        }
        let (h, n) = held_from(v, label);
        held.extend(h);
        notes.extend(n);
    }
    let p = s.core.ledger.read(|r| progress(r, goal, &held));
    (p, notes)
}

/// Verifies every input in one job of the pool, as `POST /v1/verify` does
/// (offline, with held documents and trust), a presentation with its
/// credentials.
async fn verify_all(
    s: &AppState,
    inputs: Vec<(String, Vec<u8>)>,
    max_age: Option<i64>,
    recipient: Option<String>,
) -> Result<Vec<(String, Value)>, ApiError> {
    let (held, core, trust) = (s.held.clone(), s.core.clone(), Arc::clone(&s.trust));
    let labels: Vec<String> = inputs.iter().map(|(l, _)| l.clone()).collect();
    let at = now();
    let run = move |cancel: &std::sync::atomic::AtomicBool| {
        let opts = Options {
            recipient: recipient.as_deref(),
            max_age_secs: max_age,
            ..Options::on_node(&held, &trust, cancel)
        };
        let out: Vec<Value> = core.ledger.read(|r| {
            inputs
                .iter()
                .map(|(_, bytes)| {
                    verify_input(bytes, Some(r), at, &opts, Asked::default())
                        .unwrap_or_else(|e| json!({ "error": e.to_string() }))
                })
                .collect()
        });
        Ok(Value::Array(out))
    };
    let verdicts = s
        .verify_pool
        .run(run)
        .await?
        .map_err(|e| ApiError::internal(e.to_string()))?;
    s.core.metrics.verify_count.inc();
    Ok(labels
        .into_iter()
        .zip(verdicts.as_array().cloned().unwrap_or_default())
        .collect())
}

/// The files of a backpack collection, labelled by the names they were
/// added under.
async fn collection_files(s: &AppState, name: &str) -> Result<Vec<(String, Vec<u8>)>, ApiError> {
    let name = collections::CollectionName::new(name)
        .map_err(|e| ApiError::bad_request("bad_collection", e.to_string()))?;
    let ledger = s.core.ledger.clone();
    tokio::task::spawn_blocking(move || {
        let st = ledger.store();
        let c = collections::get(st, &name)?;
        let mut out = Vec::new();
        for id in c.badges.iter().take(MAX_PROGRESS_INPUTS + 1) {
            if let Some((info, bytes)) = badges::get(st, id)? {
                let label = info.file_name.clone().unwrap_or_else(|| id.short());
                out.push((label, bytes));
            }
        }
        Ok(out)
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
    .map_err(|e: crate::backpack::BackpackError| {
        ApiError::not_found("unknown_collection", e.to_string())
    })
}

/// A pathway to declare: the goal and its steps (`need` of `of`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeclareBody {
    goal: String,
    steps: Vec<StepBody>,
    name: Option<String>,
    /// Award the goal automatically when shown a complete pathway.
    #[serde(default)]
    auto_award: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepBody {
    /// How many of `of`; all of them when left out.
    need: Option<u16>,
    of: Vec<String>,
}

/// Declares a pathway for this node's issuer: 201 with its id, 409
/// `pathway_cycle` when it would close a cycle with the pathways held here.
async fn declare(
    State(s): State<AppState>,
    body: Result<Json<DeclareBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body?;
    let goal = parse_id("goal", b.goal.trim())?;
    let mut steps = Vec::new();
    for step in &b.steps {
        let of = step
            .of
            .iter()
            .map(|t| parse_id("badge class", t.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        let all = u16::try_from(of.len()).unwrap_or(u16::MAX);
        steps.push(Step {
            need: step.need.unwrap_or(all),
            of,
        });
    }
    let name = b.name.filter(|n| !n.trim().is_empty());
    let rec = s
        .issuer
        .declare_pathway(&s.core, goal, steps, name, b.auto_award)
        .await?;
    let status_index = match rec.record() {
        badgemesh_protocol::record::Record::Pathway(p) => p.status_index,
        _ => 0,
    };
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": rec.id(),
            "goal": goal,
            "status_index": status_index,
            "auto_award": b.auto_award,
            "pathway": B64.encode(rec.bytes()),
        })),
    )
        .into_response())
}

/// Withdraws a pathway of this node's issuer (a revocation update setting
/// its status index).
async fn withdraw(State(s): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = parse_id("pathway", &id)?;
    let me = s.issuer.id().await;
    let found = s
        .core
        .ledger
        .read(|r| r.pathway(&id).map(|(p, _)| (p.issuer, p.status_index)));
    let index = match found {
        Some((issuer, index)) if Some(issuer) == me => index,
        Some(_) => {
            return Err(ApiError::bad_request(
                "not_our_pathway",
                format!("{id} was declared by another issuer"),
            ));
        }
        None => {
            return Err(ApiError::not_found(
                "unknown_pathway",
                format!("no pathway {id} on this node"),
            ));
        }
    };
    let seq = s
        .issuer
        .revoke(&s.core, vec![index], Some("pathway withdrawn".to_owned()))
        .await?;
    Ok(Json(json!({ "seq": seq, "withdrawn": id })).into_response())
}
