//! The local HTTP API (axum), on loopback by default.
//!
//! Reads are open: verify, status, issuers, badges, peers, health, metrics.
//! Writes (`/v1/admin/...`) need the bearer token the node writes, mode 0600,
//! into its data directory. Bodies are capped; errors are JSON with a stable
//! `error` code. Every route is registered through one table (`table`)
//! with its doc, from which `GET /v1/openapi.json` is made (`openapi`).

mod admin;
mod batch;
pub mod bodies;
mod bundle;
mod clr;
mod error;
mod front;
mod held;
mod openapi;
pub(crate) mod page;
pub mod paging;
mod pathways;
pub(crate) mod table;
mod trust;
mod vc_api;
mod vc_presentations;
mod verify_pool;
mod views;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use badgemesh_protocol::id::RecordId;

pub use batch::MAX_STREAMS as MAX_BATCH_STREAMS;
pub use bodies::VerifyQuery;
pub(crate) use bodies::{parse_did, parse_id};
pub use bundle::{ImportReport, Rejected};
pub use error::ApiError;
pub use front::FrontDoor;
pub(crate) use page::APP_CSS;
pub use verify_pool::{PoolStats, VerifyPool};
pub use views::AssertionStatus;

use crate::core::{Core, now};
use crate::issuer::LocalIssuer;
use table::{Route, Shape, Table};

/// What the handlers share.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Ledger, network, metrics.
    pub core: Core,
    /// The node's own issuer.
    pub issuer: Arc<LocalIssuer>,
    /// The earner's key, which signs the backpack's presentations.
    pub holder: Arc<crate::backpack::holder::HolderKey>,
    /// The admin bearer token.
    pub token: Arc<String>,
    /// Where the API listens (the status list's URL when no public base URL is set).
    pub api_addr: std::net::SocketAddr,
    /// What the operator gave the node to hold for other issuers (data
    /// directory).
    pub held: crate::trust::held::HeldDocuments,
    /// Whom this node believes about who issued what.
    pub trust: Arc<crate::trust::state::TrustState>,
    /// Sync rounds (started when the followed registries change).
    pub scheduler: crate::sync::Scheduler,
    /// Where verifications run (bounded, cancellable).
    pub verify_pool: VerifyPool,
    /// Which `Host`s and origins the API answers.
    pub front: Arc<FrontDoor>,
    /// Fetching issuers' documents before a verification, when allowed.
    pub online: crate::verdict::online::Online,
    /// One permit per batch verification streaming now.
    pub batches: Arc<tokio::sync::Semaphore>,
    /// The request body limit (a batch's line limit derives from it).
    pub max_body: usize,
}

/// The router, with the body limit applied.
pub fn router(state: AppState, max_body: usize) -> Router {
    let (app, _) = service(Arc::clone(&state.token), Arc::clone(&state.front), max_body);
    app.with_state(state)
}

/// Every route of the API, its layers and the OpenAPI document that
/// describes them, made from one table (see [`table`]): a route cannot be
/// served without being documented. Everything the router needs but the
/// state comes in, so a test can look at the very router a node serves.
pub(crate) fn service(
    token: Arc<String>,
    front: Arc<FrontDoor>,
    max_body: usize,
) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let served = openapi::Served::default();
    let (app, entries) = Table::new("node")
        .add(
            Route::get("/healthz", healthz, "Health: whether the store takes writes")
                .answers(200, "`{\"status\": \"ok\", \"peer_id\"}`")
                .answers(
                    503,
                    "`{\"status\": \"degraded\", \"peer_id\", \"storage\"}`: the store takes no writes",
                ),
        )
        .add(
            Route::get("/metrics", metrics, "Prometheus metrics").reply(
                200,
                "text/plain; version=0.0.4",
                Shape::Binary,
                "the metrics in Prometheus' text format",
            ),
        )
        .add(
            Route::post("/v1/verify", verify_handler, "Verify a badge")
                .tag("verify")
                .body(
                    "application/octet-stream",
                    Shape::Binary,
                    "a badge in any format the node reads: a native envelope, an OB 2.0 or 3.0 credential (JSON-LD or JWT), a baked PNG or SVG, a presentation",
                )
                .query::<VerifyQuery>()
                .answers(
                    200,
                    "the verdict: `outcome` (`valid`, `revoked`, `expired`, `invalid`, `indeterminate`), `checks`, the issuer, the badge",
                ),
        )
        .merge(vc_api::routes())
        .add(
            Route::get(
                "/v1/assertions/{id}/status",
                assertion_status,
                "The revocation status of an assertion stored on this node",
            )
            .tag("registry")
            .answers_with::<AssertionStatus>(200, "its status now"),
        )
        .merge(views::routes())
        .add(
            Route::get("/v1/peers", peers, "Connected peers").reply(
                200,
                "application/json",
                Shape::list_of::<crate::network::PeerInfo>(),
                "one entry per peer",
            ),
        )
        .add(
            Route::get("/v1/node", node_info, "This node: identity, addresses, counts, reachability")
                .answers_with::<NodeView>(200, "this node"),
        )
        .add(
            Route::get("/v1/export", bundle::export, "Export records as a bundle, a page of issuers at a time")
                .tag("registry")
                .query::<bodies::ExportQuery>()
                .reply(
                    200,
                    "application/vnd.badgemesh.bundle",
                    Shape::Binary,
                    "the bundle, streamed",
                ),
        )
        .add(
            Route::get("/v1/trust", trust::trust, "Followed registries, local listings, domain checks")
                .tag("registry")
                .answers(200, "the trust state"),
        )
        .add(
            Route::get(
                "/ob3/status/{did}/revocation",
                status_list,
                "The local issuer's Bitstring Status List credential",
            )
            .tag("vc-api")
            .reply(
                200,
                "application/vc+ld+json",
                Shape::Any,
                "the signed status list credential",
            ),
        )
        .merge(pathways::routes())
        .merge(crate::backpack::page::routes())
        .merge(admin::routes(token))
        .merge(page::routes())
        .add(served.route())
        .layer(|r| {
            r.layer(DefaultBodyLimit::max(max_body))
                // Every request ends: a client that stalls is cut off.
                .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    std::time::Duration::from_secs(30),
                ))
        })
        // Streamed both ways with bounded lines and chunks, and cut off when
        // idle rather than after a fixed time (see `batch`).
        .add(
            Route::post(
                "/v1/verify/batch",
                batch::verify_batch_route,
                "Verify many badges, one per line, answered as a stream",
            )
            .map(|m| m.layer(DefaultBodyLimit::disable()))
            .tag("verify")
            .body(
                "application/x-ndjson",
                Shape::Binary,
                "one badge per line (JSON, or base64 of binary formats), any number of lines",
            )
            .query::<VerifyQuery>()
            .reply(
                200,
                "application/x-ndjson",
                Shape::Binary,
                "one verdict per line, in the order of the lines",
            ),
        )
        // Before anything else: refuse other hosts (DNS rebinding) and
        // cross-site requests.
        .layer(|r| r.layer(axum::middleware::from_fn_with_state(front, front::check)))
        .into_parts();
    let doc = openapi::document(&entries);
    served.set(&doc);
    (app, doc)
}

/// 200 `ok`, or 503 `degraded` with the reason once the store takes no
/// writes (a supervisor that restarts unhealthy nodes then restarts it, which
/// is what recovers the store).
async fn healthz(State(s): State<AppState>) -> Response {
    let peer_id = s.core.client.peer_id().to_string();
    match s.core.ledger.halted() {
        None => {
            axum::Json(serde_json::json!({ "status": "ok", "peer_id": peer_id })).into_response()
        }
        Some(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({
                "status": "degraded",
                "peer_id": peer_id,
                "storage": reason,
            })),
        )
            .into_response(),
    }
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

/// `GET /v1/node`: what this node is and how it is doing.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct NodeView {
    /// The libp2p peer id.
    pub peer_id: String,
    /// The node's version.
    pub version: &'static str,
    /// Where it listens, each with `/p2p/PEER_ID`.
    pub listen: Vec<String>,
    /// Connected peers.
    pub peers: usize,
    /// Issuers known.
    pub issuers: usize,
    /// Records stored, by kind; absent after a storage failure.
    pub records: Option<std::collections::BTreeMap<String, u64>>,
    /// Records waiting for the ones they depend on.
    pub pending: usize,
    /// This node's own issuer's DID, if it has one.
    #[schema(value_type = Option<String>)]
    pub local_issuer: Option<badgemesh_protocol::keys::IssuerId>,
    /// How the node can be reached.
    pub reachability: Option<crate::network::Reachability>,
    /// Why the store takes no writes, if it does not.
    pub storage_error: Option<String>,
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
    // After a storage failure the store cannot be read either: the node
    // still answers, with no counts and the reason.
    let records = s.core.ledger.store().counts().ok().map(|c| {
        c.into_iter()
            .map(|(k, n)| (k.name().to_owned(), n))
            .collect()
    });
    let (issuers, pending) = s
        .core
        .ledger
        .read(|r| (r.issuers().count(), r.pending_len()));
    Ok(axum::Json(NodeView {
        peer_id: peer_id.to_string(),
        version: env!("CARGO_PKG_VERSION"),
        listen,
        peers,
        issuers,
        records,
        pending,
        local_issuer: s.issuer.id().await,
        reachability: s.core.client.reachability().await.ok(),
        storage_error: s.core.ledger.halted().map(str::to_owned),
    })
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

async fn verify_handler(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
    query: Result<Query<VerifyQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    let body = body?;
    let at = q.at()?.unwrap_or_else(now);
    let started = Instant::now();
    // Online mode fetches before the verification and outside its pool, so
    // a slow issuer site holds up only this request.
    let online = match q.online {
        Some(true) if !s.online.for_everyone && !admin::bearer_ok(&headers, &s.token) => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "fetch_not_allowed",
                "this node fetches issuers' documents only for its operator (the admin token) unless its config says `fetch = true`",
            ));
        }
        Some(online) => online,
        None => s.online.for_everyone,
    };
    let fetched = if online {
        let notes = s
            .online
            .prefetch(Arc::from(&body[..]), s.held.clone(), at)
            .await
            .map_err(|e| {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "fetch_busy", e.to_string())
            })?;
        Some(notes)
    } else {
        None
    };
    let (held, core, trust) = (s.held.clone(), s.core.clone(), s.trust.clone());
    let run = move |cancel: &std::sync::atomic::AtomicBool| {
        let opts = crate::verdict::formats::Options {
            recipient: q.recipient.as_deref(),
            max_age_secs: q.max_age,
            require_listed: q.require_listed.unwrap_or(false),
            ..crate::verdict::formats::Options::on_node(&held, &trust, cancel)
        };
        // A presentation carries several credentials: each is verified
        // here as on its own, within this one job of the pool.
        let asked = crate::verdict::presentation::Asked {
            challenge: q.challenge.as_deref(),
            domain: q.domain.as_deref(),
        };
        core.ledger
            .read(|r| crate::verdict::presentation::verify_input(&body, Some(r), at, &opts, asked))
    };
    // Every verification runs in the bounded verification pool (503
    // `verify_busy` when its queue is full), and stops if the request is
    // abandoned. Native ones take microseconds, other formats milliseconds;
    // either way clients that never pause could otherwise take every core
    // from gossip and sync, so the pool (one worker less than the cores by
    // default) is the one place verification spends CPU. It reads a
    // snapshot and holds no lock.
    let result = s.verify_pool.run(run).await?;
    s.core.metrics.verify_count.inc();
    s.core
        .metrics
        .verify_latency
        .observe(started.elapsed().as_secs_f64());
    match result {
        Ok(mut v) => {
            if let Some(notes) = fetched {
                v["fetched"] = serde_json::to_value(notes).unwrap_or_default();
            }
            Ok(axum::Json(v).into_response())
        }
        Err(e) => Err(ApiError::bad_request(format_error_code(&e), e.to_string())),
    }
}

async fn assertion_status(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id("assertion", &id)?;
    let bytes = stored_assertion(&s, &id)?;
    let status = s
        .core
        .ledger
        .read(|r| AssertionStatus::of(&bytes, r, now()));
    status.map(|st| axum::Json(st).into_response())
}

/// The local issuer's Bitstring Status List credential, for online OB 3.0
/// verifiers. Served under the profile's public base URL when it has one.
async fn status_list(
    State(s): State<AppState>,
    Path(did): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_did(&did)?;
    if s.issuer.id().await != Some(id) {
        return Err(ApiError::not_found(
            "unknown_issuer",
            format!("this node does not sign for {did}"),
        ));
    }
    let json = s
        .issuer
        .status_list(&s.core, &status_base_url(&s, &id))
        .await?;
    Ok(([(header::CONTENT_TYPE, "application/vc+ld+json")], json).into_response())
}

/// The error code a verification answers for a format error.
pub(crate) fn format_error_code(e: &crate::verdict::formats::FormatError) -> &'static str {
    use crate::verdict::formats::FormatError as F;
    match e {
        F::Unrecognised => "unrecognised_format",
        F::NoBadgeInImage => "no_badge_in_image",
        F::Unbake(_) => "bad_image",
        F::Native(_) => "not_an_assertion",
        F::Credential(_) => "bad_credential",
        F::OverBudget(_) => "over_budget",
        _ => "unverifiable",
    }
}

/// Where this node's status lists are published: the issuer profile's
/// public base URL, or the API's own address.
pub(crate) fn status_base_url(s: &AppState, id: &badgemesh_protocol::keys::IssuerId) -> String {
    s.core
        .ledger
        .read(|r| {
            r.issuer(id)
                .and_then(|st| st.profile().and_then(|p| p.public_base_url.clone()))
        })
        .unwrap_or_else(|| format!("http://{}", s.api_addr))
}

/// The envelope of an assertion stored on this node (awarded here, or
/// published to it).
pub(crate) fn stored_assertion(s: &AppState, id: &RecordId) -> Result<Vec<u8>, ApiError> {
    s.core.ledger.store().get(id)?.ok_or_else(|| {
        ApiError::not_found(
            "unknown_assertion",
            format!("no assertion {id} on this node"),
        )
    })
}
