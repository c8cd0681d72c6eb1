//! JSON views of what the node knows.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use badgemesh_protocol::id::RecordId;
use badgemesh_protocol::keys::IssuerId;
use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
use badgemesh_protocol::record::{BadgeClass, EndorsementSubject, Record, SignedRecord};
use badgemesh_protocol::state::{Freshness, IssuerState, Registry, RevokedEntry};
use badgemesh_protocol::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::paging::{self, PageQuery};
use super::table::{Route, Table};
use super::{ApiError, AppState, parse_did};

/// The revocation status of a stored assertion.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AssertionStatus {
    /// The assertion.
    #[schema(value_type = String)]
    pub assertion: RecordId,
    /// Its issuer.
    #[schema(value_type = String)]
    pub issuer: IssuerId,
    /// Its status index.
    pub status_index: u32,
    /// Whether it is revoked.
    pub revoked: bool,
    /// By which update, when revoked.
    #[schema(value_type = Option<Object>)]
    pub revoked_by: Option<RevokedEntry>,
    /// How fresh this node's revocation data is.
    #[schema(value_type = Option<Object>)]
    pub freshness: Option<Freshness>,
    /// When this was computed (RFC 3339).
    #[schema(value_type = String)]
    pub checked_at: Timestamp,
}

impl AssertionStatus {
    /// The status of the assertion in `bytes`.
    pub fn of(bytes: &[u8], r: &Registry, now: Timestamp) -> Result<Self, ApiError> {
        let rec = SignedRecord::decode(bytes, MAX_ENVELOPE_BYTES)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let Record::Assertion(a) = rec.record() else {
            return Err(ApiError::not_found(
                "unknown_assertion",
                format!("{} is a {}, not an assertion", rec.id(), rec.kind().name()),
            ));
        };
        let state = r.issuer(&a.issuer);
        let revoked_by = state.and_then(|s| s.revoked(a.status_index));
        Ok(AssertionStatus {
            assertion: rec.id(),
            issuer: a.issuer,
            status_index: a.status_index,
            revoked: revoked_by.is_some(),
            revoked_by,
            freshness: state.map(IssuerState::freshness),
            checked_at: now,
        })
    }
}

fn issuer_line(s: &IssuerState) -> Value {
    let f = s.freshness();
    json!({
        "did": s.id(),
        "name": s.profile().map(|p| p.name.clone()),
        "badge_classes": s.badge_classes().len(),
        "revocation_seq": f.seq,
        "revocation_as_of": f.as_of,
        "revoked": s.revoked_count(),
        "equivocated": s.has_equivocated(),
    })
}

/// One page of known issuers, in DID order (see [`super::paging`]).
pub(super) async fn issuers(
    State(s): State<AppState>,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let after = q.after.as_deref().map(parse_did).transpose()?;
    let limit = q.limit();
    let snapshot = s.core.ledger.snapshot();
    let (list, next) = paging::page(snapshot.issuers_after(after.as_ref()), limit, |st| {
        st.id().to_string()
    });
    let list: Vec<Value> = list.into_iter().map(issuer_line).collect();
    let mut response = Json(list).into_response();
    paging::link_next(&mut response, "/v1/issuers", "", next, limit);
    Ok(response)
}

pub(super) async fn issuer(
    State(s): State<AppState>,
    Path(did): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_did(&did)?;
    let local = s.issuer.id().await == Some(id);
    s.core
        .ledger
        .read(|r| {
            let st = r.issuer(&id)?;
            let keys: Vec<Value> = st
                .keys()
                .iter()
                .map(|k| json!({ "key": k.key.to_multibase(), "valid_from": k.from, "valid_until": k.until }))
                .collect();
            let equivocations: Vec<Value> = st
                .equivocations()
                .map(|p| json!({ "kind": p.kind, "seq": p.seq, "first": p.first.id(), "second": p.second.id() }))
                .collect();
            let head = st.head().map(|h| json!({ "seq": h.seq, "at": h.at, "next_update": h.next_update }));
            Some(json!({
                "did": id,
                "local": local,
                "profile": st.profile(),
                "keys": keys,
                "freshness": st.freshness(),
                "head": head,
                "badge_classes": st.badge_classes(),
                "revoked": st.revoked_count(),
                "equivocations": equivocations,
                "endorsements": held_endorsements(&s, r, EndorsementSubject::Issuer(id)),
                "endorsements_held": r.endorsement_count(&EndorsementSubject::Issuer(id)),
                "endorsements_given": st.endorsements().len(),
            }))
        })
        .map(|v| Json(v).into_response())
        .ok_or_else(|| ApiError::not_found("unknown_issuer", format!("issuer {did} is not known to this node")))
}

/// The endorsements of `subject` this node holds, as a verdict lists them
/// (those of followed issuers, then the newest up to
/// [`badgemesh_protocol::verify::MAX_LISTED`], each with whether it stands
/// and its endorser's trust state).
fn held_endorsements(s: &AppState, r: &Registry, subject: EndorsementSubject) -> Value {
    let now = crate::core::now();
    let held = crate::verdict::endorsements::held(r, &[subject], now, None);
    let mut v = json!({ "endorsements": held.entries });
    s.trust.assess_endorsements(&mut v, r, now);
    v["endorsements"].take()
}

/// Query of `GET /v1/badges`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct BadgesQuery {
    /// Only this issuer's badge classes.
    pub issuer: Option<String>,
    /// Start after this badge class id (see [`super::paging`]).
    pub after: Option<String>,
    /// Items per page.
    pub limit: Option<usize>,
}

fn badge_json(id: RecordId, b: &BadgeClass) -> Value {
    let mut v = serde_json::to_value(b).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.insert("id".into(), json!(id));
    }
    v
}

pub(super) async fn badges(
    State(s): State<AppState>,
    Query(q): Query<BadgesQuery>,
) -> Result<Response, ApiError> {
    let filter = q.issuer.as_deref().map(parse_did).transpose()?;
    let after = q
        .after
        .as_deref()
        .map(|a| super::parse_id("badge class", a))
        .transpose()?;
    let limit = PageQuery {
        after: None,
        limit: q.limit,
    }
    .limit();
    let r = s.core.ledger.snapshot();
    let (list, next) = match filter {
        // One issuer: its ordered set of ids, from the cursor on.
        Some(issuer) => {
            let ids = r.issuer(&issuer).map(|st| {
                use std::ops::Bound;
                let start = after.as_ref().map_or(Bound::Unbounded, Bound::Excluded);
                st.badge_classes()
                    .range::<_, RecordId>((start, Bound::Unbounded))
                    .filter_map(|id| r.badge_class(id).map(|(b, _)| (*id, b)))
            });
            paging::page(ids.into_iter().flatten(), limit, |(id, _)| id.to_string())
        }
        None => paging::page(
            r.badge_classes_after(after.as_ref())
                .map(|(b, rec)| (rec.id(), b)),
            limit,
            |(id, _)| id.to_string(),
        ),
    };
    let list: Vec<Value> = list.into_iter().map(|(id, b)| badge_json(id, b)).collect();
    let extra = filter.map_or(String::new(), |i| format!("issuer={i}&"));
    let mut response = Json(list).into_response();
    paging::link_next(&mut response, "/v1/badges", &extra, next, limit);
    Ok(response)
}

pub(super) async fn badge(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = super::parse_id("badge class", &id)?;
    s.core
        .ledger
        .read(|r| {
            r.badge_class(&id).map(|(b, _)| {
                let mut v = badge_json(id, b);
                let subject = EndorsementSubject::BadgeClass(id);
                v["endorsements"] = held_endorsements(&s, r, subject);
                v["endorsements_held"] = json!(r.endorsement_count(&subject));
                v
            })
        })
        .map(|v| Json(v).into_response())
        .ok_or_else(|| {
            ApiError::not_found(
                "unknown_badge",
                format!("badge class {id} is not known to this node"),
            )
        })
}

/// The open read routes of the registry.
pub(super) fn routes() -> Table<AppState> {
    Table::new("registry")
        .add(
            Route::get("/v1/issuers", issuers, "Known issuers, a page at a time")
                .query::<PageQuery>()
                .answers(200, "issuers in DID order; a `Link: <...>; rel=\"next\"` header gives the next page"),
        )
        .add(
            Route::get("/v1/issuers/{did}", issuer, "One issuer: profile, keys, revocations")
                .answers(200, "the issuer's state as this node knows it"),
        )
        .add(
            Route::get("/v1/badges", badges, "Known badge classes, a page at a time")
                .query::<BadgesQuery>()
                .answers(200, "badge classes in id order; a `Link` header gives the next page"),
        )
        .add(
            Route::get("/v1/badges/{id}", badge, "One badge class")
                .answers(200, "the badge class with its id"),
        )
}
