//! Write routes: they need the admin bearer token, compared in constant time,
//! and they never send CORS headers (a web page cannot call them).

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use badgemesh_protocol::keys::IssuerId;
use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
use badgemesh_protocol::record::{
    Alignment, BadgeClass, Criteria, EMAIL_IDENTITY_TYPE, Evidence, IdentityHash, ImageRef,
    IssuerProfile, Recipient, Record, SignedRecord,
};
use badgemesh_protocol::time::Timestamp;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;

use super::{ApiError, AppState};
use crate::datadir;

pub(super) fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/v1/admin/issuer", post(init_issuer))
        .route("/v1/admin/profile", post(profile))
        .route("/v1/admin/badges", post(create_badge))
        .route("/v1/admin/awards", post(award))
        .route("/v1/admin/revocations", post(revoke))
        .route("/v1/admin/rotate", post(rotate))
        .route("/v1/admin/ob3", post(export_ob3))
        .route("/v1/admin/keys/export-next", post(export_next_key))
        .route("/v1/admin/records", post(import_record))
        .route("/v1/admin/import", post(super::bundle::import))
        .route_layer(middleware::from_fn_with_state(state, require_token))
}

async fn require_token(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if bool::from(given.as_bytes().ct_eq(s.token.as_bytes())) && !given.is_empty() {
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

/// Profile fields.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileBody {
    name: String,
    url: Option<String>,
    email: Option<String>,
    description: Option<String>,
    image: Option<String>,
    public_base_url: Option<String>,
}

impl ProfileBody {
    fn into_profile(self) -> IssuerProfile {
        IssuerProfile {
            // Issuer, sequence and time are filled in when signing.
            issuer: placeholder_issuer(),
            seq: 0,
            name: self.name,
            url: self.url,
            email: self.email,
            description: self.description,
            image: self.image,
            at: Timestamp(0),
            public_base_url: self.public_base_url,
        }
    }
}

fn placeholder_issuer() -> IssuerId {
    IssuerId::unset()
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

/// A badge class to create.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BadgeBody {
    name: String,
    description: String,
    criteria: Option<String>,
    criteria_url: Option<String>,
    image: Option<String>,
    /// Hex sha2-256 of the image bytes.
    image_digest: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    alignments: Vec<AlignmentBody>,
    #[serde(default)]
    related: Vec<String>,
}

/// An alignment.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlignmentBody {
    target_name: String,
    target_url: String,
    target_description: Option<String>,
    target_framework: Option<String>,
    target_code: Option<String>,
}

async fn create_badge(
    State(s): State<AppState>,
    body: Result<Json<BadgeBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body?;
    let digest = b
        .image_digest
        .as_deref()
        .map(|h| {
            hex_digest(h).ok_or_else(|| {
                ApiError::bad_request("bad_digest", "image_digest must be 64 hex digits")
            })
        })
        .transpose()?;
    let related = b
        .related
        .iter()
        .map(|r| super::parse_id("related", r))
        .collect::<Result<Vec<_>, _>>()?;
    let badge = BadgeClass {
        issuer: placeholder_issuer(),
        name: b.name,
        description: b.description,
        criteria: Criteria {
            narrative: b.criteria,
            url: b.criteria_url,
        },
        image: b.image.map(|uri| ImageRef { uri, digest }),
        alignments: b
            .alignments
            .into_iter()
            .map(|a| Alignment {
                target_name: a.target_name,
                target_url: a.target_url,
                target_description: a.target_description,
                target_framework: a.target_framework,
                target_code: a.target_code,
            })
            .collect(),
        tags: b.tags,
        related,
        at: Timestamp(0),
    };
    let id = s.issuer.badge(&s.core, badge).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

fn hex_digest(h: &str) -> Option<[u8; 32]> {
    hex::decode(h).ok()?.try_into().ok()
}

/// An award to sign.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwardBody {
    badge: String,
    /// An email address or a DID.
    recipient: String,
    #[serde(default)]
    evidence: Vec<String>,
    narrative: Option<String>,
    /// RFC 3339.
    expires: Option<String>,
}

/// Turns an email or DID into a recipient; emails are hashed with a fresh salt.
pub fn recipient_of(who: &str) -> Result<Recipient, ApiError> {
    let who = who.trim();
    if who.starts_with("did:") {
        Ok(Recipient::Did(who.to_owned()))
    } else if who.contains('@') && !who.contains(char::is_whitespace) {
        let salt = hex::encode(datadir::random::<16>());
        Ok(Recipient::Hashed(IdentityHash::new(
            EMAIL_IDENTITY_TYPE,
            who,
            &salt,
        )))
    } else {
        Err(ApiError::bad_request(
            "bad_recipient",
            format!("{who:?} is neither an email address nor a DID"),
        ))
    }
}

async fn award(
    State(s): State<AppState>,
    body: Result<Json<AwardBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body?;
    let badge = super::parse_id("badge", &b.badge)?;
    let expires = b
        .expires
        .as_deref()
        .map(|t| {
            t.parse::<Timestamp>()
                .map_err(|e| ApiError::bad_request("bad_time", e.to_string()))
        })
        .transpose()?;
    let evidence = b
        .evidence
        .into_iter()
        .map(|url| Evidence {
            url: Some(url),
            narrative: None,
        })
        .collect();
    let rec = s
        .issuer
        .award(
            &s.core,
            badge,
            recipient_of(&b.recipient)?,
            expires,
            evidence,
            b.narrative,
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

/// What to revoke: assertion ids (stored on this node) and/or raw indices.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeBody {
    #[serde(default)]
    assertions: Vec<String>,
    #[serde(default)]
    indices: Vec<u32>,
    reason: Option<String>,
}

async fn revoke(
    State(s): State<AppState>,
    body: Result<Json<RevokeBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body?;
    let me = s
        .issuer
        .id()
        .await
        .ok_or_else(|| ApiError::from(crate::issuer::IssuerOpError::NoIssuer))?;
    let mut indices = b.indices;
    for text in &b.assertions {
        let id = super::parse_id("assertion", text)?;
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
    if indices.is_empty() {
        return Err(ApiError::bad_request(
            "nothing_to_revoke",
            "give at least one assertion id or index",
        ));
    }
    let seq = s.issuer.revoke(&s.core, indices, b.reason).await?;
    Ok(Json(json!({ "seq": seq })).into_response())
}

/// Optional body of `rotate`: the exported next key, hex.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotateBody {
    next_key: Option<String>,
}

async fn rotate(State(s): State<AppState>, body: Bytes) -> Result<Response, ApiError> {
    let b: RotateBody = if body.is_empty() {
        RotateBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request("bad_json", e.to_string()))?
    };
    let offline = b
        .next_key
        .as_deref()
        .map(hex_digest)
        .map(|k| {
            k.ok_or_else(|| ApiError::bad_request("bad_key", "next_key must be 64 hex digits"))
        })
        .transpose()?;
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

/// Which assertion to export.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportBody {
    assertion: String,
}

/// Exports a stored assertion as a signed Open Badges 3.0 credential.
async fn export_ob3(
    State(s): State<AppState>,
    body: Result<Json<ExportBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body?;
    let id = super::parse_id("assertion", &b.assertion)?;
    let json = s.issuer.export_ob3(&s.core, id).await?;
    Ok(([(header::CONTENT_TYPE, "application/vc+ld+json")], json).into_response())
}
