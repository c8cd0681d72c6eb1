//! Bundle export (public records) and import (through the same rules as gossip).

use std::convert::Infallible;
use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use badgemesh_protocol::bundle::{self, BundleWriter};
use badgemesh_protocol::keys::IssuerId;
use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
use badgemesh_protocol::record::SignedRecord;
use badgemesh_protocol::state::{Outcome, Registry};
use badgemesh_protocol::time::Timestamp;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::bodies::ExportQuery;
use super::{ApiError, AppState, paging};
use crate::core::now;

/// The public records (key events, profile, badge classes, revocation
/// updates, head, equivocation evidence, endorsements of badge classes and
/// issuers) of one page of the chosen issuers
/// (in DID order, `?after=&limit=`; the `Link` header names the next page),
/// as a bundle. Assertions and their endorsements are private to their
/// earners and never exported.
///
/// The bundle is streamed from the last committed snapshot by a blocking
/// task, a chunk at a time through a bounded channel: no lock is held, the
/// node holds at most a few chunks of it in memory, a client that stops
/// reading stops the work, and a page bounds the work of one request.
pub(super) async fn export(
    State(s): State<AppState>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let mut wanted = q.issuers()?;
    wanted.sort_unstable();
    wanted.dedup();
    let after = q.after()?;
    let limit = q.limit();
    let snapshot = s.core.ledger.snapshot();
    let (page, next) = if wanted.is_empty() {
        paging::page(
            snapshot.issuers_after(after.as_ref()).map(|st| st.id()),
            limit,
            ToString::to_string,
        )
    } else {
        paging::page(
            wanted
                .into_iter()
                .filter(|id| after.is_none_or(|a| *id > a) && snapshot.issuer(id).is_some()),
            limit,
            ToString::to_string,
        )
    };
    let (tx, mut rx) = mpsc::channel::<Bytes>(4);
    let created_at = now();
    tokio::task::spawn_blocking(move || stream_bundle(&snapshot, &page, created_at, &tx));
    let body = Body::from_stream(futures::stream::poll_fn(move |cx| {
        rx.poll_recv(cx).map(|chunk| chunk.map(Ok::<_, Infallible>))
    }));
    let mut response = (
        [(header::CONTENT_TYPE, "application/vnd.badgemesh.bundle")],
        body,
    )
        .into_response();
    let extra = q
        .issuer
        .as_deref()
        .and_then(|_| q.issuers().ok())
        .map_or(String::new(), |ids| {
            let list: Vec<String> = ids.iter().map(ToString::to_string).collect();
            format!("issuer={}&", list.join(","))
        });
    paging::link_next(&mut response, "/v1/export", &extra, next, limit);
    Ok(response)
}

/// Bytes sent to the client at a time.
const EXPORT_CHUNK: usize = 256 * 1024;

/// Writes the bundle of `issuers`' public records into `tx`, each issuer's
/// records in apply order; stops when the receiver is gone.
fn stream_bundle(
    r: &Registry,
    issuers: &[IssuerId],
    created_at: Timestamp,
    tx: &mpsc::Sender<Bytes>,
) {
    let mut buf = Vec::with_capacity(EXPORT_CHUNK + MAX_ENVELOPE_BYTES);
    let mut writer = BundleWriter::new(created_at, &mut buf);
    for id in issuers {
        let Some(st) = r.issuer(id) else { continue };
        let badge_classes = st
            .badge_classes()
            .iter()
            .filter_map(|b| r.badge_class(b))
            .map(|(_, x)| x);
        // Public endorsements only: an assertion's travels with the assertion.
        let endorsements = r.endorsements_by(id);
        let mut recs: Vec<&Arc<SignedRecord>> = st
            .records()
            .chain(badge_classes)
            .chain(endorsements)
            .chain(r.pathways_by(id))
            .collect();
        recs.sort_by_key(|x| x.apply_order());
        for rec in recs {
            writer.record(rec.bytes(), &mut buf);
            if buf.len() >= EXPORT_CHUNK
                && tx.blocking_send(std::mem::take(&mut buf).into()).is_err()
            {
                return;
            }
        }
    }
    writer.finish(&mut buf);
    let _ = tx.blocking_send(buf.into());
}

/// One rejected record in an import.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rejected {
    /// Position in the bundle (0-based).
    pub index: usize,
    /// Its id, when the envelope decoded.
    pub id: Option<String>,
    /// Why.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
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
