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
#[derive(Debug, Deserialize)]
pub struct ListingsBody {
    /// Listings and de-listings, as `{"change": "listed", "subject": ..., "name": ...}`
    /// or `{"change": "delisted", "subject": ..., "reason": ...}`.
    pub changes: Vec<ListingChangeBody>,
}

/// One change, as JSON.
#[derive(Debug, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum ListingChangeBody {
    /// List a subject.
    Listed {
        /// The issuer identifier.
        subject: String,
        /// The organisation's name.
        name: String,
        /// Legal name.
        #[serde(default)]
        legal_name: Option<String>,
        /// Domains.
        #[serde(default)]
        domains: Vec<String>,
        /// ISO 3166-1 alpha-2.
        #[serde(default)]
        country: Option<String>,
        /// What for.
        #[serde(default)]
        accreditation: Option<String>,
        /// A kind of recognition.
        #[serde(default)]
        accreditation_type: Option<String>,
        /// RFC 3339.
        #[serde(default)]
        valid_from: Option<badgemesh_protocol::time::Timestamp>,
        /// RFC 3339.
        #[serde(default)]
        valid_until: Option<badgemesh_protocol::time::Timestamp>,
        /// When the domain linkage was seen to verify.
        #[serde(default)]
        domain_checked_at: Option<badgemesh_protocol::time::Timestamp>,
    },
    /// De-list a subject.
    Delisted {
        /// The issuer identifier.
        subject: String,
        /// Why.
        #[serde(default)]
        reason: Option<String>,
    },
}

impl From<ListingChangeBody> for ListingChange {
    fn from(b: ListingChangeBody) -> Self {
        match b {
            ListingChangeBody::Listed {
                subject,
                name,
                legal_name,
                domains,
                country,
                accreditation,
                accreditation_type,
                valid_from,
                valid_until,
                domain_checked_at,
            } => ListingChange::Listed(badgemesh_protocol::record::Listing {
                subject,
                name,
                legal_name,
                domains,
                country,
                accreditation,
                accreditation_type,
                valid_from,
                valid_until,
                domain_checked_at,
            }),
            ListingChangeBody::Delisted { subject, reason } => {
                ListingChange::Delisted { subject, reason }
            }
        }
    }
}

pub(super) async fn publish_listings(
    State(s): State<AppState>,
    body: Result<Json<ListingsBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let changes = body.changes.into_iter().map(ListingChange::from).collect();
    let seq = s.issuer.list(&s.core, changes).await?;
    Ok((StatusCode::CREATED, Json(json!({ "list_seq": seq }))).into_response())
}

/// `POST /v1/admin/domain-linkage`: `{"origin": "https://academy.example", "valid_days": 365}`.
#[derive(Debug, Deserialize)]
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
