//! Admin routes that hold outside documents for other issuers' badges:
//! `POST /v1/admin/status-lists` (an OB 3.0 status list credential) and
//! `POST /v1/admin/revocation-lists` (an OB 2.0 `RevocationList` or a
//! 1EdTech revocation list). The body is the document as published;
//! `?url=` names the URL badges point at when it is not the document's own
//! `id`. They write the same files as `badgemesh status-list add` and
//! `badgemesh revocation-list add`, which need no running node; these routes
//! are for operators (and fetchers) that talk to a node over HTTP.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::{ApiError, AppState};
use crate::trust::held::HeldError;
use crate::trust::revocation_lists::HeldRevocationListError;
use crate::trust::status_lists::HeldListError;

/// `?url=`: where badges point.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct HeldQuery {
    /// The URL badges give for this list (by default the list's own `id`).
    url: Option<String>,
}

fn held_error(e: &HeldError) -> ApiError {
    match e {
        HeldError::Full(..) => {
            ApiError::new(StatusCode::INSUFFICIENT_STORAGE, "held_full", e.to_string())
        }
        other => ApiError::internal(other.to_string()),
    }
}

/// Holds a status list credential (its proof must verify).
pub(super) async fn add_status_list(
    State(s): State<AppState>,
    query: Result<Query<HeldQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    let body = body?;
    let lists = s.held.status_lists.clone();
    // A proof check and a file write: off the async workers.
    let held = tokio::task::spawn_blocking(move || lists.add_at(q.url.as_deref(), &body))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| match &e {
            HeldListError::Held(h) => held_error(h),
            HeldListError::File(f) => ApiError::internal(f.to_string()),
            _ => ApiError::bad_request("bad_status_list", e.to_string()),
        })?;
    let l = &held.list;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "url": held.url, "id": l.id, "kind": l.kind.name(), "issuer": l.issuer,
            "purpose": l.purpose, "entries": l.list.len(), "valid_from": l.valid_from,
            "held_since": held.held_since, "warning": l.short_warning(),
        })),
    )
        .into_response())
}

/// Holds a revocation list (OB 2.0 or 1EdTech).
pub(super) async fn add_revocation_list(
    State(s): State<AppState>,
    query: Result<Query<HeldQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    let body = body?;
    let lists = s.held.revocation_lists.clone();
    let held = tokio::task::spawn_blocking(move || lists.add_at(q.url.as_deref(), &body))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| match &e {
            HeldRevocationListError::Held(h) => held_error(h),
            HeldRevocationListError::File(f) => ApiError::internal(f.to_string()),
            _ => ApiError::bad_request("bad_revocation_list", e.to_string()),
        })?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "url": held.url, "id": held.list.id(), "kind": held.list.kind(),
            "issuer": held.list.issuer(), "revoked": held.list.len(),
            "held_since": held.held_since,
        })),
    )
        .into_response())
}
