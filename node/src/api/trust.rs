//! Trust routes: what this node believes (`GET /v1/trust`), telling it that
//! `trust.json` changed, publishing this identity's registry list, and
//! signing a domain linkage credential.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use badgemesh_protocol::record::ListingChange;
use serde::Deserialize;
use serde_json::json;

use super::{ApiError, AppState};
use crate::core::now;

/// The followed registries with the freshness of their lists, the local
/// listings and the domain checks.
pub(super) async fn trust(State(s): State<AppState>) -> Response {
    let anchors = s.trust.anchors();
    let t = now();
    let registries: Vec<_> = s.core.ledger.read(|r| {
        anchors
            .registries
            .iter()
            .map(|(id, f)| {
                let state = r.issuer(id);
                let fresh = state.map(|s| s.listing_freshness());
                json!({
                    "did": id,
                    "name": f.name,
                    "claimed_name": state.and_then(|s| s.profile()).map(|p| p.name.clone()),
                    "known": state.is_some(),
                    "list_seq": fresh.map(|f| f.seq),
                    "list_signed_at": fresh.and_then(|f| f.as_of),
                    "age_secs": fresh.and_then(|f| f.as_of).map(|a| t.since(a)),
                    "listed": state.map_or(0, |s| s.listings().count()),
                    "disputed": state.is_some_and(|s| s.listings_disputed()),
                })
            })
            .collect()
    });
    Json(json!({
        "registries": registries,
        "local": anchors.local,
        "domains": anchors.domains,
    }))
    .into_response()
}

/// Rereads `trust.json` (the CLI edits it), keeps the listings of the
/// registries now followed, and syncs with every peer to fetch them.
pub(super) async fn reload(State(s): State<AppState>) -> Result<Response, ApiError> {
    let anchors = s
        .trust
        .reload()
        .map_err(|e| ApiError::bad_request("bad_trust_file", e.to_string()))?;
    let own = s.issuer.id().await;
    s.core
        .ledger
        .carry_registries(anchors.registry_ids().chain(own));
    if let Ok(peers) = s.core.client.peers().await {
        for p in peers {
            if let Ok(peer) = p.peer_id.parse() {
                s.scheduler.start(&s.core, peer);
            }
        }
    }
    Ok(
        Json(json!({ "registries": anchors.registries.len(), "local": anchors.local.len() }))
            .into_response(),
    )
}

/// `POST /v1/admin/listings`: changes to this identity's registry list.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ListingsBody {
    /// Listings and de-listings, as `{"change": "listed", "subject": ..., "name": ...}`
    /// or `{"change": "delisted", "subject": ..., "reason": ...}`.
    #[schema(value_type = Vec<Object>)]
    pub changes: Vec<ListingChange>,
}

pub(super) async fn publish_listings(
    State(s): State<AppState>,
    body: Result<Json<ListingsBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let seq = s.issuer.list(&s.core, body.changes).await?;
    Ok((StatusCode::CREATED, Json(json!({ "list_seq": seq }))).into_response())
}

/// `POST /v1/admin/domain-linkage`: `{"origin": "https://academy.example", "valid_days": 365}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LinkageBody {
    /// The origin to link.
    pub origin: String,
    /// How long the credential holds.
    #[serde(default)]
    pub valid_days: Option<u32>,
}

pub(super) async fn domain_linkage(
    State(s): State<AppState>,
    body: Result<Json<LinkageBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body?;
    let days = i64::from(b.valid_days.unwrap_or(365).clamp(1, 3650));
    let jwt = s.issuer.domain_linkage(&b.origin, days * 86_400).await?;
    Ok(Json(crate::trust::linkage::resource(&[jwt])).into_response())
}
