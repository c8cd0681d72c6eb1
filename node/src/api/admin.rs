//! Write routes: they need the admin bearer token, compared in constant time,
//! and they never send CORS headers (a web page cannot call them).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
use badgemesh_protocol::record::{Record, SignedRecord};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::json;
use subtle::ConstantTimeEq;

use super::bodies::{self, AwardBody, BadgeBody, EndorseBody, ExportBody, ProfileBody, RevokeBody};
use super::table::{Route, Shape, Table};
use super::{ApiError, AppState};

/// The admin routes, each behind the token.
pub(super) fn routes(token: Arc<String>) -> Table<AppState> {
    const CREATED_ID: &str = "`{\"id\"}`: the signed record's id";
    const VC: &str = "application/vc+ld+json";
    Table::new("admin")
        .add(
            Route::post("/v1/admin/issuer", init_issuer, "Create this node's issuer")
                .json::<ProfileBody>()
                .answers(201, "`{\"did\"}`: the new issuer's DID"),
        )
        .add(
            Route::post("/v1/admin/profile", profile, "Sign a new issuer profile")
                .json::<ProfileBody>()
                .answers(200, CREATED_ID),
        )
        .add(
            Route::post("/v1/admin/badges", create_badge, "Sign a badge class")
                .json::<BadgeBody>()
                .answers(201, CREATED_ID),
        )
        .add(
            Route::post("/v1/admin/awards", award, "Award a badge")
                .json::<AwardBody>()
                .answers(
                    201,
                    "`{\"id\", \"status_index\", \"assertion\"}`: the assertion, its envelope in base64",
                ),
        )
        .add(
            Route::post("/v1/admin/revocations", revoke, "Revoke assertions or endorsements")
                .json::<RevokeBody>()
                .answers(200, "`{\"seq\"}`: the revocation update's sequence number"),
        )
        .add(
            Route::post("/v1/admin/endorsements", endorse, "Sign an endorsement")
                .json::<EndorseBody>()
                .answers(
                    201,
                    "`{\"id\", \"endorser\", \"about\", \"endorses\", \"status_index\", \"gossiped\", \"endorsement\"}`",
                ),
        )
        .add(
            Route::post(
                "/v1/admin/endorsements/ob3",
                export_endorsement,
                "Export an endorsement as a signed OB 3.0 EndorsementCredential",
            )
            .body("application/json", Shape::Any, "`{\"endorsement\": ID}`")
            .reply(200, VC, Shape::Any, "the credential"),
        )
        .add(
            Route::post(
                "/v1/admin/revocations/checkpoint",
                checkpoint,
                "Sign a revocation checkpoint now",
            )
            .answers(200, "`{\"seq\", \"parts\"}`"),
        )
        .add(
            Route::post("/v1/admin/rotate", rotate, "Rotate the issuer's key to the pre-rotated one")
                .body(
                    "application/json",
                    Shape::of::<bodies::RotateBody>(),
                    "`{\"next_key\"}` (hex) when the next key was moved off this node; may be empty",
                )
                .answers(200, "`{\"key_event\"}`: the key event's id"),
        )
        .add(
            Route::post("/v1/admin/ob3", export_ob3, "Export an assertion as a signed OB 3.0 credential")
                .json::<ExportBody>()
                .reply(200, VC, Shape::Any, "the credential, JSON with a Data Integrity proof")
                .reply(200, "application/vc+jwt", Shape::Binary, "or, with `format: jwt`, a VC-JWT"),
        )
        .add(
            Route::post(
                "/v1/admin/keys/export-next",
                export_next_key,
                "Move the pre-rotated key off this node: returned once, then forgotten",
            )
            .answers(200, "`{\"next_key\"}` (hex)"),
        )
        .add(
            Route::post("/v1/admin/records", import_record, "Apply one signed record envelope")
                .body("application/octet-stream", Shape::Binary, "the envelope (CBOR)")
                .answers(200, "`{\"id\", \"outcome\", \"detail\"}`"),
        )
        .add(
            Route::post("/v1/admin/import", super::bundle::import, "Apply a bundle")
                .body(
                    "application/vnd.badgemesh.bundle",
                    Shape::Binary,
                    "a bundle (as `GET /v1/export` writes)",
                )
                .answers_with::<super::ImportReport>(200, "what happened to each record"),
        )
        .add(
            Route::post(
                "/v1/admin/trust/reload",
                super::trust::reload,
                "Reread trust.json and sync the followed registries",
            )
            .answers(200, "the trust state"),
        )
        .add(
            Route::post(
                "/v1/admin/listings",
                super::trust::publish_listings,
                "Sign changes to this identity's registry list",
            )
            .json::<super::trust::ListingsBody>()
            .answers(201, "`{\"list_seq\"}`"),
        )
        .add(
            Route::post(
                "/v1/admin/domain-linkage",
                super::trust::domain_linkage,
                "Sign a DIF domain linkage credential for an origin",
            )
            .json::<super::trust::LinkageBody>()
            .answers(200, "the DID configuration resource to serve at `/.well-known/did-configuration.json`"),
        )
        .add(
            Route::post(
                "/v1/admin/status-lists",
                super::held::add_status_list,
                "Hold another issuer's status list credential",
            )
            .query::<super::held::HeldQuery>()
            .body("application/json", Shape::Any, "the status list credential")
            .answers(201, "what was held: `url`, `id`, `kind`, `issuer`, `entries`, ..."),
        )
        .add(
            Route::post(
                "/v1/admin/revocation-lists",
                super::held::add_revocation_list,
                "Hold another issuer's revocation list (OB 2.0 or 1EdTech)",
            )
            .query::<super::held::HeldQuery>()
            .body("application/json", Shape::Any, "the revocation list")
            .answers(201, "what was held: `url`, `id`, `kind`, ..."),
        )
        .add(
            Route::get(
                "/v1/admin/backup",
                backup,
                "A consistent copy of the store, taken while the node runs",
            )
            .reply(200, "application/octet-stream", Shape::Binary, "the store file"),
        )
        .merge(super::vc_api::admin_routes())
        .merge(crate::backpack::routes::routes())
        .merge(super::pathways::admin_routes())
        .require_token(|r| r.route_layer(middleware::from_fn_with_state(token, require_token)))
}

/// Whether `headers` carry the admin token (compared in constant time).
pub(super) fn bearer_ok(headers: &axum::http::HeaderMap, token: &str) -> bool {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    !given.is_empty() && bool::from(given.as_bytes().ct_eq(token.as_bytes()))
}

async fn require_token(State(token): State<Arc<String>>, req: Request, next: Next) -> Response {
    if bearer_ok(req.headers(), &token) {
        next.run(req).await
    } else {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "admin routes need `Authorization: Bearer <token>`; the token is in the node's data directory (admin.token)",
        )
        .into_response()
    }
}

async fn init_issuer(
    State(s): State<AppState>,
    body: Result<Json<ProfileBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let did = s.issuer.init(&s.core, body.into_profile()).await?;
    Ok((StatusCode::CREATED, Json(json!({ "did": did }))).into_response())
}

async fn profile(
    State(s): State<AppState>,
    body: Result<Json<ProfileBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let id = s.issuer.profile(&s.core, body.into_profile()).await?;
    Ok(Json(json!({ "id": id })).into_response())
}

async fn create_badge(
    State(s): State<AppState>,
    body: Result<Json<BadgeBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body?;
    let badge = b.into_badge()?;
    let id = s.issuer.badge(&s.core, badge).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

async fn award(
    State(s): State<AppState>,
    body: Result<Json<AwardBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body?;
    let a = b.into_request()?;
    let rec = s
        .issuer
        .award(
            &s.core,
            a.badge,
            a.recipient,
            a.expires,
            a.evidence,
            a.narrative,
        )
        .await?;
    let status_index = match rec.record() {
        Record::Assertion(a) => a.status_index,
        _ => 0,
    };
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": rec.id(), "status_index": status_index, "assertion": B64.encode(rec.bytes()) })),
    )
        .into_response())
}

/// Signs an endorsement by this node's issuer. The answer carries the
/// signed record: an assertion's endorsement is not gossiped, so whoever
/// holds the assertion keeps it beside it.
async fn endorse(
    State(s): State<AppState>,
    body: Result<Json<EndorseBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body?;
    let e = b.into_request()?;
    let rec = s
        .issuer
        .endorse(&s.core, e.subject, e.comment, e.name, e.valid_until)
        .await?;
    let status_index = match rec.record() {
        Record::Endorsement(e) => e.status_index,
        _ => 0,
    };
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "id": rec.id(),
            "endorser": rec.record().issuer(),
            "about": e.subject.kind_name(),
            "endorses": e.subject.target(),
            "status_index": status_index,
            "gossiped": e.subject.is_public(),
            "endorsement": B64.encode(rec.bytes()),
        })),
    )
        .into_response())
}

/// Exports an endorsement of this node's issuer as a signed OB 3.0
/// `EndorsementCredential`.
async fn export_endorsement(
    State(s): State<AppState>,
    body: Result<Json<serde_json::Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body?;
    let id = b["endorsement"]
        .as_str()
        .ok_or_else(|| ApiError::bad_request("bad_json", "give {\"endorsement\": ID}"))
        .and_then(|t| super::parse_id("endorsement", t))?;
    let bytes = s.issuer.export_endorsement(&s.core, id).await?;
    Ok(([(header::CONTENT_TYPE, "application/vc+ld+json")], bytes).into_response())
}

/// Signs a revocation checkpoint now (one is signed on its own every
/// [`crate::issuer::CHECKPOINT_EVERY`] updates).
async fn checkpoint(State(s): State<AppState>) -> Result<Response, ApiError> {
    let (seq, parts) = s.issuer.checkpoint(&s.core).await?;
    Ok(Json(json!({ "seq": seq, "parts": parts })).into_response())
}

async fn revoke(
    State(s): State<AppState>,
    body: Result<Json<RevokeBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body?;
    let b = b.into_request()?;
    let me = s
        .issuer
        .id()
        .await
        .ok_or_else(|| ApiError::from(crate::issuer::IssuerOpError::NoIssuer))?;
    let mut indices = b.indices;
    for id in b.assertions {
        let bytes = super::stored_assertion(&s, &id)?;
        let rec = SignedRecord::decode(&bytes, MAX_ENVELOPE_BYTES)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        match rec.record() {
            Record::Assertion(a) if a.issuer == me => indices.push(a.status_index),
            Record::Assertion(_) => {
                return Err(ApiError::bad_request(
                    "not_our_assertion",
                    format!("{id} was issued by another issuer"),
                ));
            }
            _ => {
                return Err(ApiError::not_found(
                    "unknown_assertion",
                    format!("{id} is not an assertion"),
                ));
            }
        }
    }
    for id in b.endorsements {
        let found = s
            .core
            .ledger
            .read(|r| r.endorsement(&id).map(|(e, _)| (e.issuer, e.status_index)));
        match found {
            Some((issuer, index)) if issuer == me => indices.push(index),
            Some(_) => {
                return Err(ApiError::bad_request(
                    "not_our_endorsement",
                    format!("{id} was signed by another issuer"),
                ));
            }
            None => {
                return Err(ApiError::not_found(
                    "unknown_endorsement",
                    format!("no endorsement {id} on this node"),
                ));
            }
        }
    }
    if indices.is_empty() {
        return Err(ApiError::bad_request(
            "nothing_to_revoke",
            "give at least one assertion or endorsement id, or an index",
        ));
    }
    let seq = s.issuer.revoke(&s.core, indices, b.reason).await?;
    Ok(Json(json!({ "seq": seq })).into_response())
}

async fn rotate(State(s): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let offline = bodies::rotate(&body)?;
    let id = s.issuer.rotate(&s.core, offline).await?;
    Ok(Json(json!({ "key_event": id })).into_response())
}

/// Moves the pre-rotated key off this node: returns it (hex) and forgets it.
async fn export_next_key(State(s): State<AppState>) -> Result<Response, ApiError> {
    let seed = s.issuer.export_next_key(&s.core).await?;
    Ok(Json(json!({ "next_key": hex::encode(seed) })).into_response())
}

/// Applies one record envelope (a bundle import sends them one by one) and
/// says what happened to it.
async fn import_record(
    State(s): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body?;
    let rec = SignedRecord::decode(&body, MAX_ENVELOPE_BYTES)
        .map_err(|e| ApiError::bad_request("invalid_record", e.to_string()))?;
    let id = rec.id();
    let ingested = s.core.ingest(rec).await?;
    Ok(Json(json!({ "id": id, "outcome": ingested.outcome.name(), "detail": format!("{:?}", ingested.outcome) })).into_response())
}

/// Exports a stored assertion as a signed Open Badges 3.0 credential.
async fn export_ob3(
    State(s): State<AppState>,
    body: Result<Json<ExportBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body?;
    let id = b.assertion()?;
    let jwt = b.jwt()?;
    let bytes = s.issuer.export_ob3(&s.core, id, jwt).await?;
    let content_type = if jwt {
        "application/vc+jwt"
    } else {
        "application/vc+ld+json"
    };
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

/// `GET /v1/admin/backup`: a consistent copy of the store as of its last
/// commit, taken while the node runs (see [`crate::backup`]), streamed as
/// the body. The copy is made beside the store (same disk, so it is a fast
/// copy), unlinked as soon as it is open, and so gone when the response
/// ends, whether it was read to the end or not.
async fn backup(State(s): State<AppState>) -> Result<Response, ApiError> {
    let ledger = s.core.ledger.clone();
    let made = tokio::task::spawn_blocking(move || {
        let store = ledger.store();
        let dir = store
            .path()
            .and_then(|p| p.parent())
            .ok_or(crate::backup::BackupError::InMemory)?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dest = dir.join(format!(".backup-{nanos}.redb"));
        crate::backup::snapshot(store, &dest)?;
        // Its size as it is now: the check may have repaired (resized) it.
        let opened = std::fs::File::open(&dest)
            .and_then(|f| f.metadata().map(|m| (f, m.len())))
            .map_err(|e| crate::backup::BackupError::Copy {
                path: dest.clone(),
                source: e,
            });
        let _ = std::fs::remove_file(&dest);
        opened
    })
    .await
    .map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "backup_failed",
            e.to_string(),
        )
    })?;
    let (file, size) = made.map_err(|e| {
        tracing::warn!("backup failed: {e}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "backup_failed",
            e.to_string(),
        )
    })?;
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(
        tokio::fs::File::from_std(file),
    ));
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_LENGTH, size.to_string()),
        ],
        body,
    )
        .into_response())
}
