//! API errors: JSON with a stable `error` code and a message for people.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::datadir::StorageProblem;
use crate::store::StoreError;

/// An error response.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code.
    pub code: &'static str,
    /// What went wrong and what to do.
    pub message: String,
    /// A record signed but not stored (see `IssuerOpError::Unstored`): sent
    /// as `record`, so a client knows which one the next start will store.
    pub record: Option<String>,
}

impl ApiError {
    /// A new error.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            record: None,
        }
    }

    /// 400 with `code`.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 404 with `code`.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 500.
    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

// A type of its own, not `json!`, so that the OpenAPI document's schema is
// the one the answers are serialised from.
/// The body of every error answer.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code (`bad_json`, `unknown_issuer`, ...).
    pub error: &'static str,
    /// What went wrong and what to do, for people.
    pub message: String,
    /// A record signed but not stored: the next start stores it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.code,
            message: self.message,
            record: self.record,
        };
        (self.status, Json(body)).into_response()
    }
}

/// A body that could not be read: 413 when it is too large, else 400 `code`.
fn body_rejection(status: StatusCode, text: String, code: &'static str) -> ApiError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "request body exceeds the limit",
        )
    } else {
        ApiError::bad_request(code, text)
    }
}

impl From<axum::extract::rejection::BytesRejection> for ApiError {
    fn from(r: axum::extract::rejection::BytesRejection) -> Self {
        body_rejection(r.status(), r.body_text(), "bad_body")
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(r: axum::extract::rejection::JsonRejection) -> Self {
        body_rejection(r.status(), r.body_text(), "bad_json")
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(r: axum::extract::rejection::QueryRejection) -> Self {
        ApiError::bad_request("bad_query", r.body_text())
    }
}

/// A storage problem as an answer: 507 Insufficient Storage for a full disk
/// (the request may succeed once there is space), 503 for a read-only data
/// directory or a store halted by an earlier failure (the node must be fixed
/// or restarted). `None` when `problem` is not a storage problem.
fn storage(problem: Option<StorageProblem>, message: String) -> Option<ApiError> {
    Some(match problem? {
        StorageProblem::Full => {
            ApiError::new(StatusCode::INSUFFICIENT_STORAGE, "storage_full", message)
        }
        StorageProblem::ReadOnly => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_read_only",
            message,
        ),
        _ => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "storage_failed", message),
    })
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let message = e.to_string();
        storage(e.storage_problem(), message.clone()).unwrap_or_else(|| ApiError::internal(message))
    }
}

impl From<crate::backpack::holder::HolderError> for ApiError {
    fn from(e: crate::backpack::holder::HolderError) -> Self {
        let problem = match &e {
            crate::backpack::holder::HolderError::File(f) => f.storage_problem(),
            _ => None,
        };
        storage(problem, e.to_string()).unwrap_or_else(|| ApiError::internal(e.to_string()))
    }
}

impl From<crate::issuer::IssuerOpError> for ApiError {
    fn from(e: crate::issuer::IssuerOpError) -> Self {
        use crate::issuer::IssuerOpError as E;
        match e {
            E::NoIssuer => ApiError::new(StatusCode::CONFLICT, "no_issuer", e.to_string()),
            E::Issue(
                badgemesh_protocol::issuance::IssueError::NextKeyOffline
                | badgemesh_protocol::issuance::IssueError::WrongNextKey,
            ) => ApiError::new(StatusCode::CONFLICT, "next_key", e.to_string()),
            E::AlreadyExists(_) => {
                ApiError::new(StatusCode::CONFLICT, "issuer_exists", e.to_string())
            }
            E::Issue(_) => ApiError::bad_request("invalid_record", e.to_string()),
            E::Linkage(_) => ApiError::bad_request("bad_linkage", e.to_string()),
            E::NotAccepted(_) => ApiError::bad_request("not_accepted", e.to_string()),
            E::Unknown { .. } => ApiError::not_found("unknown_record", e.to_string()),
            E::NotOurBadge(_) => ApiError::bad_request("not_our_badge", e.to_string()),
            E::Cycle(_) => ApiError::new(StatusCode::CONFLICT, "pathway_cycle", e.to_string()),
            E::Export(_) => ApiError::bad_request("export_failed", e.to_string()),
            E::Store(store) => store.into(),
            E::Unstored { id, ref source } => {
                let mut answer = storage(source.storage_problem(), e.to_string())
                    .unwrap_or_else(|| ApiError::internal(e.to_string()));
                answer.record = Some(id.to_string());
                answer
            }
            E::File(ref f) => storage(f.storage_problem(), e.to_string())
                .unwrap_or_else(|| ApiError::internal(e.to_string())),
            _ => ApiError::internal(e.to_string()),
        }
    }
}
