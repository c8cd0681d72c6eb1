//! Bundle export (public records) and import (through the same rules as gossip).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use badgemesh_protocol::bundle;
use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
use badgemesh_protocol::record::SignedRecord;
use badgemesh_protocol::state::Outcome;
use serde::{Deserialize, Serialize};

use super::bodies::ExportQuery;
use super::{ApiError, AppState};
use crate::core::now;

/// Every public record (key events, profile, badge classes, revocation
/// updates, head, equivocation evidence) of the chosen issuers, as a bundle.
/// Assertions are private to their earners and never exported.
pub(super) async fn export(
    State(s): State<AppState>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let wanted = q.issuers()?;
    let bytes = s.core.ledger.read(|r| {
        let mut recs: Vec<SignedRecord> = Vec::new();
        for st in r
            .issuers()
            .filter(|st| wanted.is_empty() || wanted.contains(&st.id()))
        {
            recs.extend(st.records().map(|x| (**x).clone()));
            recs.extend(
                st.badge_classes()
                    .iter()
                    .filter_map(|id| r.badge_class(id))
                    .map(|(_, x)| (**x).clone()),
            );
        }
        badgemesh_protocol::sync::sort_for_apply(&mut recs);
        let refs: Vec<&[u8]> = recs.iter().map(SignedRecord::bytes).collect();
        bundle::write(&refs, now())
    });
    Ok((
        [(header::CONTENT_TYPE, "application/vnd.badgemesh.bundle")],
        bytes,
    )
        .into_response())
}

/// One rejected record in an import.
#[derive(Debug, Serialize, Deserialize)]
pub struct Rejected {
    /// Position in the bundle (0-based).
    pub index: usize,
    /// Its id, when the envelope decoded.
    pub id: Option<String>,
    /// Why.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ImportReport {
    /// Records read from the bundle.
    pub read: usize,
    /// Stored (new, or equivocation evidence).
    pub new: usize,
    /// Already known.
    pub duplicate: usize,
    /// Superseded by newer ones.
    pub stale: usize,
    /// Waiting for records not in the bundle nor on this node.
    pub pending: usize,
    /// Held records that this import completed.
    pub released: usize,
    /// Invalid records, each with the reason.
    pub rejected: Vec<Rejected>,
    /// Where the bundle itself broke, if it did.
    pub error: Option<String>,
}

/// Applies a bundle (or a slice of one) and reports what happened per record.
pub(super) async fn import(
    State(s): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body?;
    let contents =
        bundle::read(&body).map_err(|e| ApiError::bad_request("bad_bundle", e.to_string()))?;
    let mut report = ImportReport {
        read: contents.records.len(),
        error: contents.error.map(|e| e.to_string()),
        ..Default::default()
    };
    let mut valid = Vec::new();
    for (index, bytes) in contents.records.iter().enumerate() {
        match SignedRecord::decode(bytes, MAX_ENVELOPE_BYTES) {
            Ok(r) => valid.push((index, r)),
            Err(e) => report.rejected.push(Rejected {
                index,
                id: None,
                reason: e.to_string(),
            }),
        }
    }
    valid.sort_by_key(|(_, r)| r.apply_order());
    let (indices, records): (Vec<usize>, Vec<SignedRecord>) = valid.into_iter().unzip();
    let ids: Vec<String> = records.iter().map(|r| r.id().to_string()).collect();
    let results = s.core.ingest_batch(records).await?;
    for ((index, id), result) in indices.into_iter().zip(ids).zip(results) {
        report.released += result
            .stored
            .len()
            .saturating_sub(usize::from(result.outcome.is_stored()));
        match result.outcome {
            o if o.is_stored() => report.new += 1,
            Outcome::Duplicate => report.duplicate += 1,
            Outcome::Stale { .. } => report.stale += 1,
            Outcome::Pending(_) => report.pending += 1,
            Outcome::Rejected(reason) => report.rejected.push(Rejected {
                index,
                id: Some(id),
                reason: reason.to_string(),
            }),
            _ => {}
        }
    }
    report.rejected.sort_by_key(|r| r.index);
    Ok(Json(report).into_response())
}
