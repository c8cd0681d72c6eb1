//! The local HTTP API (axum), on loopback by default.
//!
//! Reads are open: verify, status, issuers, badges, peers, health, metrics.
//! Writes (`/v1/admin/...`) need the bearer token the node writes, mode 0600,
//! into its data directory. Bodies are capped; errors are JSON with a stable
//! `error` code.

mod admin;
mod bundle;
mod error;
mod page;
mod views;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use badgemesh_protocol::id::RecordId;
use badgemesh_protocol::keys::IssuerId;
use badgemesh_protocol::time::Timestamp;
use badgemesh_protocol::verify::{VerifyOptions, verify};
use serde::Deserialize;

pub use bundle::{ImportReport, Rejected};
pub use error::ApiError;
pub use views::{AssertionStatus, VerifyResponse};

use crate::core::{Core, now};
use crate::issuer::LocalIssuer;

/// What the handlers share.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Ledger, network, metrics.
    pub core: Core,
    /// The node's own issuer.
    pub issuer: Arc<LocalIssuer>,
    /// The admin bearer token.
    pub token: Arc<String>,
}

/// The router, with the body limit applied.
pub fn router(state: AppState, max_body: usize) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/v1/verify", post(verify_handler))
        .route("/v1/assertions/{id}/status", get(assertion_status))
        .route("/v1/issuers", get(views::issuers))
        .route("/v1/issuers/{did}", get(views::issuer))
        .route("/v1/badges", get(views::badges))
        .route("/v1/badges/{id}", get(views::badge))
        .route("/v1/peers", get(peers))
        .route("/v1/node", get(node_info))
        .route("/v1/export", get(bundle::export))
        .merge(admin::routes(state.clone()))
        .merge(page::routes())
        .layer(DefaultBodyLimit::max(max_body))
        // Every request ends: a client that stalls is cut off.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            std::time::Duration::from_secs(30),
        ))
        .with_state(state)
}

async fn healthz(State(s): State<AppState>) -> Response {
    axum::Json(
        serde_json::json!({ "status": "ok", "peer_id": s.core.client.peer_id().to_string() }),
    )
    .into_response()
}

async fn metrics(State(s): State<AppState>) -> Response {
    if let Ok(counts) = s.core.ledger.store().counts() {
        for (kind, n) in counts {
            let label = crate::metrics::Label {
                name: kind.name().to_owned(),
            };
            s.core
                .metrics
                .records
                .get_or_create(&label)
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
    }
    if let Ok(peers) = s.core.client.peers().await {
        s.core
            .metrics
            .peers
            .set(i64::try_from(peers.len()).unwrap_or(i64::MAX));
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.core.metrics.render(),
    )
        .into_response()
}

async fn node_info(State(s): State<AppState>) -> Result<Response, ApiError> {
    let peer_id = s.core.client.peer_id();
    let listen: Vec<String> = s
        .core
        .client
        .listen_addrs()
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .into_iter()
        .map(|a| format!("{a}/p2p/{peer_id}"))
        .collect();
    let peers = s.core.client.peers().await.map(|p| p.len()).unwrap_or(0);
    let counts: serde_json::Map<String, serde_json::Value> = s
        .core
        .ledger
        .store()
        .counts()
        .map_err(|e| ApiError::internal(e.to_string()))?
        .into_iter()
        .map(|(k, n)| (k.name().to_owned(), n.into()))
        .collect();
    let (issuers, pending) = s
        .core
        .ledger
        .read(|r| (r.issuers().count(), r.pending_len()));
    Ok(axum::Json(serde_json::json!({
        "peer_id": peer_id.to_string(),
        "version": env!("CARGO_PKG_VERSION"),
        "listen": listen,
        "peers": peers,
        "issuers": issuers,
        "records": counts,
        "pending": pending,
        "local_issuer": s.issuer.id().await,
    }))
    .into_response())
}

async fn peers(State(s): State<AppState>) -> Result<Response, ApiError> {
    let peers = s
        .core
        .client
        .peers()
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(axum::Json(peers).into_response())
}

/// Query parameters of `POST /v1/verify`.
#[derive(Debug, Deserialize)]
pub struct VerifyQuery {
    /// Email or DID to match against the recipient.
    pub recipient: Option<String>,
    /// Verify as of this time (RFC 3339) instead of now.
    pub at: Option<String>,
    /// Revocation data older than this many seconds gives `indeterminate`.
    pub max_age: Option<i64>,
}

/// The formats `POST /v1/verify` recognises by their first bytes.
fn sniff(body: &[u8]) -> &'static str {
    let trimmed = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&body[..0], |i| &body[i..]);
    if body.first() == Some(&0xd2) {
        "native"
    } else if body.starts_with(b"\x89PNG\r\n\x1a\n") {
        "png"
    } else if trimmed.starts_with(b"<") {
        "svg"
    } else if trimmed.starts_with(b"{") {
        "json"
    } else {
        "unknown"
    }
}

async fn verify_handler(
    State(s): State<AppState>,
    query: Result<Query<VerifyQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    let body = body?;
    let at = match q.at.as_deref() {
        Some(t) => t
            .parse::<Timestamp>()
            .map_err(|e| ApiError::bad_request("bad_time", e.to_string()))?,
        None => now(),
    };
    match sniff(&body) {
        "native" => {}
        "unknown" => {
            return Err(ApiError::bad_request(
                "unrecognised_format",
                "not a badge: expected a native assertion, an Open Badges 3.0 credential, or a baked PNG or SVG",
            ));
        }
        other => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "format_not_supported_yet",
                format!(
                    "{other} badges are not supported by this version yet; native assertions are"
                ),
            ));
        }
    }
    let opts = VerifyOptions {
        recipient: q.recipient.as_deref(),
        max_age_secs: q.max_age,
    };
    let started = Instant::now();
    let result = s
        .core
        .ledger
        .read(|r| verify(&body, r, at, &opts).map(|v| VerifyResponse::new(v, r)));
    s.core.metrics.verify_count.inc();
    s.core
        .metrics
        .verify_latency
        .observe(started.elapsed().as_secs_f64());
    match result {
        Ok(v) => Ok(axum::Json(v).into_response()),
        Err(e) => Err(ApiError::bad_request("not_an_assertion", e.to_string())),
    }
}

async fn assertion_status(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id: RecordId = id
        .parse()
        .map_err(|e| ApiError::bad_request("bad_id", format!("{e}")))?;
    let bytes = s
        .core
        .ledger
        .store()
        .get(&id)
        .map_err(|e| ApiError::internal(e.to_string()))?
        .ok_or_else(|| {
            ApiError::not_found(
                "unknown_assertion",
                format!("no assertion {id} on this node"),
            )
        })?;
    let status = s
        .core
        .ledger
        .read(|r| AssertionStatus::of(&bytes, r, now()));
    status.map(|st| axum::Json(st).into_response())
}

/// Parses a DID path segment.
pub(crate) fn parse_did(did: &str) -> Result<IssuerId, ApiError> {
    did.parse()
        .map_err(|e| ApiError::bad_request("bad_did", format!("{did}: {e}")))
}
