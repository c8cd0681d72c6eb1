//! The backpack's admin routes, `/v1/admin/backpack/...`: registered with
//! the other admin routes, so each needs the admin token and sends no CORS
//! headers (a backpack is its earner's, and a web page must not read it).
//!
//! - `POST badges?file_name=F` (the file's bytes): verify, then hold.
//! - `GET badges` (pages: `after`, `limit`; `at`, `max_age`,
//!   `require_listed` as `/v1/verify` takes them): each badge with its
//!   verdict of now. `GET badges/{id}`: one, with its collections.
//!   `GET badges/{id}/file`: its bytes as added. `DELETE badges/{id}`.
//! - `GET|POST collections`, `GET|DELETE collections/{name}`,
//!   `PUT|DELETE collections/{name}/badges/{id}`,
//!   `PUT collections/{name}/public` (`{"public": true}`).
//! - `GET collections/{name}/site?url=U`: a static copy of the
//!   collection's page (`backpack publish`): the page with relative links,
//!   the stylesheet, and where each badge file goes (public or not: the
//!   earner asks for it by name).
//! - `GET holder`: the earner's did:key (made on first use), the DID to
//!   give issuers as the recipient. `POST presentations`
//!   (`{"badges": [ids], "collection": name, "challenge", "domain"}`): a
//!   presentation of those badges (and the collection's), signed by it.
//!
//! A badge is named by its whole id or the start of it (see
//! [`badges::resolve`]). Bodies are capped by the router's limit, the same
//! as `/v1/verify`'s.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::badges::{self, BadgeId, Put};
use super::collections::{self, CollectionName};
use super::views::{self, Judged};
use super::{BackpackError, MAX_FILE_NAME};
use crate::api::paging::{self, PageQuery};
use crate::api::table::{Route, Shape, Table};
use crate::api::{ApiError, AppState};
use crate::core::now;
use crate::store::Store;

/// The backpack's routes (the caller puts them behind the admin token).
pub(crate) fn routes() -> Table<AppState> {
    const BADGES: &str = "/v1/admin/backpack/badges";
    const BADGE: &str = "/v1/admin/backpack/badges/{id}";
    const COLLECTION: &str = "/v1/admin/backpack/collections/{name}";
    Table::new("backpack")
        .add(
            Route::get(BADGES, list, "Held badges, a page at a time, each verified now")
                .query::<ViewQuery>()
                .answers(200, "the badges with their verdicts; a `Link` header gives the next page"),
        )
        .add(
            Route::post(BADGES, add, "Verify a badge file and hold it")
                .query::<AddQuery>()
                .body(
                    "application/octet-stream",
                    Shape::Binary,
                    "the badge file (baked PNG or SVG, JSON, JWT, native envelope)",
                )
                .answers(201, "`{\"added\": true, \"badge\"}`")
                .answers(200, "`{\"added\": false, \"badge\"}`: it was held already")
                .answers(422, "refused: not a badge, or invalid"),
        )
        .add(
            Route::get(BADGE, show, "One held badge, verified now, with its collections")
                .query::<ViewQuery>()
                .answers(200, "the badge and its verdict"),
        )
        .add(
            Route::delete(BADGE, remove, "Stop holding a badge")
                .answers(200, "`{\"removed\": ID}`"),
        )
        .add(
            Route::get(
                "/v1/admin/backpack/badges/{id}/file",
                file,
                "A held badge's bytes, exactly as added",
            )
            .reply(
                200,
                "application/octet-stream",
                Shape::Binary,
                "the file (its type by its extension)",
            ),
        )
        .add(
            Route::get(
                "/v1/admin/backpack/collections",
                list_collections,
                "Every collection with its badges' ids",
            )
            .answers(200, "the collections"),
        )
        .add(
            Route::post(
                "/v1/admin/backpack/collections",
                create_collection,
                "Create an empty, private collection",
            )
            .json::<CreateBody>()
            .answers(201, "`{\"name\", \"public\": false}`"),
        )
        .add(
            Route::get(COLLECTION, show_collection, "One collection with its badges")
                .answers(200, "the collection"),
        )
        .add(
            Route::delete(COLLECTION, delete_collection, "Delete a collection (its badges stay held)")
                .answers(200, "`{\"deleted\": NAME}`"),
        )
        .add(
            Route::put(
                "/v1/admin/backpack/collections/{name}/badges/{id}",
                add_member,
                "Put a held badge in a collection",
            )
            .answers(200, "`{\"id\", \"added\"}`"),
        )
        .add(
            Route::delete(
                "/v1/admin/backpack/collections/{name}/badges/{id}",
                remove_member,
                "Take a badge out of a collection",
            )
            .answers(200, "`{\"id\", \"removed\"}`"),
        )
        .add(
            Route::put(
                "/v1/admin/backpack/collections/{name}/public",
                set_public,
                "Make a collection public at `/p/{name}`, or private",
            )
            .json::<PublicBody>()
            .answers(200, "`{\"name\", \"public\"}`"),
        )
        .add(
            Route::get(
                "/v1/admin/backpack/collections/{name}/site",
                static_site,
                "A static copy of a collection's page, to publish elsewhere",
            )
            .query::<SiteQuery>()
            .answers(200, "`{\"index_html\", \"app_css\", \"files\": [{\"id\", \"path\"}]}`"),
        )
        .add(
            Route::get(
                "/v1/admin/backpack/holder",
                holder,
                "The earner's did:key, the recipient to give issuers",
            )
            .answers(200, "`{\"did\"}`"),
        )
        .add(
            Route::post(
                "/v1/admin/backpack/presentations",
                present,
                "A presentation of chosen badges, signed by the earner's key",
            )
            .json::<PresentBody>()
            .answers(200, "`{\"presentation\", \"holder\", \"badges\", \"warnings\"}`: the signed Verifiable Presentation"),
        )
}

/// The query of the views: when and how strictly to judge, and a page.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct ViewQuery {
    /// Judge as of this time (RFC 3339) instead of now.
    at: Option<String>,
    /// Revocation data older than this many seconds gives `indeterminate`.
    max_age: Option<i64>,
    /// An issuer no followed registry lists gives `indeterminate`.
    require_listed: Option<bool>,
    /// Start after this badge id.
    after: Option<String>,
    /// Badges per page.
    limit: Option<usize>,
}

impl ViewQuery {
    fn judged(&self) -> Result<Judged, ApiError> {
        let at = match &self.at {
            Some(t) => crate::api::bodies::parse_time(t)?,
            None => now(),
        };
        Ok(Judged {
            at,
            max_age_secs: self.max_age,
            require_listed: self.require_listed.unwrap_or(false),
        })
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct AddQuery {
    /// The file's name, kept to export it under.
    file_name: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct CreateBody {
    /// The new collection's name.
    name: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PresentBody {
    /// Held badges' ids to present.
    #[serde(default)]
    badges: Vec<String>,
    /// A collection whose badges are presented too.
    collection: Option<String>,
    /// The verifier's challenge, carried in the proof.
    challenge: String,
    /// The verifier's domain, carried in the proof.
    domain: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct SiteQuery {
    /// Where the copy will be served, for links back to it.
    url: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct PublicBody {
    /// Whether `/p/{name}` shows the collection.
    public: bool,
}

/// The answer for a backpack error.
fn api_error(e: BackpackError) -> ApiError {
    let message = e.to_string();
    match e {
        BackpackError::Store(store) => store.into(),
        BackpackError::NoBadge(_) => ApiError::not_found("unknown_badge", message),
        BackpackError::Ambiguous(_) => ApiError::bad_request("ambiguous_id", message),
        BackpackError::BadId(_) => ApiError::bad_request("bad_id", message),
        BackpackError::BadName(_) => ApiError::bad_request("bad_name", message),
        BackpackError::NoCollection(_) => ApiError::not_found("unknown_collection", message),
        BackpackError::CollectionExists(_) => {
            ApiError::new(StatusCode::CONFLICT, "collection_exists", message)
        }
        BackpackError::Full(_) => {
            ApiError::new(StatusCode::INSUFFICIENT_STORAGE, "backpack_full", message)
        }
        _ => ApiError::internal(message),
    }
}

/// Runs a storage operation off the async workers (a commit waits for the
/// disk).
async fn blocking<T, F>(s: &AppState, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Store) -> Result<T, BackpackError> + Send + 'static,
{
    let ledger = s.core.ledger.clone();
    tokio::task::spawn_blocking(move || f(ledger.store()))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(api_error)
}

/// A file name kept as a label: its last path component, no control
/// characters, at most [`MAX_FILE_NAME`] characters.
fn label(name: &str) -> Option<String> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FILE_NAME)
        .collect();
    (!clean.trim().is_empty()).then_some(clean)
}

/// The failed checks of a verdict, for the message that refuses it.
fn failed_checks(v: &Value) -> String {
    let failed: Vec<String> = v["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["status"] == "fail")
        .map(|c| {
            format!(
                "{}: {}",
                c["check"].as_str().unwrap_or("check"),
                c["detail"].as_str().unwrap_or("failed")
            )
        })
        .collect();
    if failed.is_empty() {
        "no check passed".into()
    } else {
        failed.join("; ")
    }
}

/// Verifies a badge file and holds it: refused (and not held) when it is
/// not a badge or is invalid; held, and marked, when it is anything else.
async fn add(
    State(s): State<AppState>,
    query: Result<Query<AddQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    let body = body?;
    if body.is_empty() {
        return Err(ApiError::bad_request("empty_body", "send the badge file"));
    }
    if crate::verdict::presentation::is_presentation(&body) {
        return Err(ApiError::bad_request(
            "not_a_badge",
            "not added to the backpack: this is a presentation of badges, made for one verifier; add the badges it carries one by one (or verify it with `badgemesh verify FILE --challenge C --domain D`)",
        ));
    }
    let at = now();
    let bytes: Arc<[u8]> = Arc::from(&body[..]);
    let judged = Judged {
        at,
        max_age_secs: None,
        require_listed: false,
    };
    let verdict = match views::verify(&s, Arc::clone(&bytes), judged).await? {
        Ok(v) => v,
        Err(e) => {
            return Err(ApiError::bad_request(
                crate::api::format_error_code(&e),
                format!("not added to the backpack: {e}"),
            ));
        }
    };
    if verdict["outcome"] == "invalid" {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_badge",
            format!(
                "not added to the backpack: the badge is invalid ({})",
                failed_checks(&verdict)
            ),
        ));
    }
    let info = views::notes(&bytes, &verdict, q.file_name.as_deref().and_then(label), at);
    let (id, put) = blocking(&s, move |st| badges::put(st, &bytes, info)).await?;
    let (status, added, info) = match put {
        Put::Added(info) => (StatusCode::CREATED, true, info),
        Put::Already(old) => (StatusCode::OK, false, old),
    };
    let entry = views::entry(&id, &info, &Ok(verdict));
    Ok((status, Json(json!({ "added": added, "badge": entry }))).into_response())
}

/// Every held badge, a page at a time, each verified now.
async fn list(
    State(s): State<AppState>,
    query: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    let judged = q.judged()?;
    let page_query = PageQuery {
        after: q.after.clone(),
        limit: q.limit,
    };
    let limit = page_query.limit();
    let after = match &q.after {
        Some(c) => Some(parse_cursor(c)?),
        None => None,
    };
    let all = blocking(&s, badges::list).await?;
    let rest = all
        .into_iter()
        .filter(|h| after.is_none_or(|a| h.info.seq > a));
    let (held, next) = paging::page(rest, limit, |h| h.info.seq.to_string());
    let mut out = Vec::with_capacity(held.len());
    for h in held {
        let id = h.id;
        let Some((info, bytes)) = blocking(&s, move |st| badges::get(st, &id)).await? else {
            // Removed since the list was read.
            continue;
        };
        let verdict = views::verify(&s, Arc::from(bytes), judged).await?;
        out.push(views::entry(&h.id, &info, &verdict));
    }
    let mut response = Json(Value::Array(out)).into_response();
    let extra = view_extra(&q, &judged);
    paging::link_next(
        &mut response,
        "/v1/admin/backpack/badges",
        &extra,
        next,
        limit,
    );
    Ok(response)
}

/// The judging parameters of `q` again, for the next page's link (a time
/// given is written as the node prints it, `YYYY-MM-DDTHH:MM:SSZ`, which
/// needs no escaping).
fn view_extra(q: &ViewQuery, judged: &Judged) -> String {
    let mut extra = String::new();
    if q.at.is_some() {
        extra.push_str(&format!("at={}&", judged.at));
    }
    if let Some(m) = q.max_age {
        extra.push_str(&format!("max_age={m}&"));
    }
    if q.require_listed == Some(true) {
        extra.push_str("require_listed=true&");
    }
    extra
}

/// A page cursor: the place in the order of adding of the last badge of
/// the previous page (it stays right when badges are removed meanwhile).
fn parse_cursor(text: &str) -> Result<u64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::bad_request("bad_cursor", format!("{text:?} is not a page cursor")))
}

async fn resolve(s: &AppState, text: String) -> Result<BadgeId, ApiError> {
    blocking(s, move |st| badges::resolve(st, &text)).await
}

/// One held badge, verified now, with the collections it is in.
async fn show(
    State(s): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<ViewQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    let judged = q.judged()?;
    let id = resolve(&s, id).await?;
    let (info, bytes) = blocking(&s, move |st| badges::get(st, &id))
        .await?
        .ok_or_else(|| api_error(BackpackError::NoBadge(id.to_string())))?;
    let verdict = views::verify(&s, Arc::from(bytes), judged).await?;
    let mut entry = views::entry(&id, &info, &verdict);
    let all = blocking(&s, collections::list).await?;
    entry["collections"] = all
        .iter()
        .filter(|c| c.badges.contains(&id))
        .map(|c| Value::from(c.name.as_str()))
        .collect();
    Ok(Json(entry).into_response())
}

/// A held badge's bytes, exactly as they were added.
async fn file(State(s): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = resolve(&s, id).await?;
    let (info, bytes) = blocking(&s, move |st| badges::get(st, &id))
        .await?
        .ok_or_else(|| api_error(BackpackError::NoBadge(id.to_string())))?;
    let content_type = match info.ext.as_str() {
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "json" => "application/json",
        "jwt" => "application/vc+jwt",
        "jws" => "application/jose",
        _ => "application/octet-stream",
    };
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

/// Stops holding a badge (and takes it out of its collections).
async fn remove(State(s): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = resolve(&s, id).await?;
    let removed = blocking(&s, move |st| badges::remove(st, &id)).await?;
    if !removed {
        return Err(api_error(BackpackError::NoBadge(id.to_string())));
    }
    Ok(Json(json!({ "removed": id })).into_response())
}

/// The earner's key, made on first use (a file write, off the async
/// workers).
async fn holder_key(
    s: &AppState,
) -> Result<
    (
        badgemesh_protocol::keys::SecretKey,
        badgemesh_protocol::keys::IssuerId,
    ),
    ApiError,
> {
    let holder = Arc::clone(&s.holder);
    tokio::task::spawn_blocking(move || holder.key())
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(ApiError::from)
}

/// The earner's did:key: the recipient to give issuers, so that the
/// badges name the key that signs presentations.
async fn holder(State(s): State<AppState>) -> Result<Response, ApiError> {
    let (_, id) = holder_key(&s).await?;
    Ok(Json(json!({ "did": id.to_did() })).into_response())
}

/// A presentation of the chosen badges (and a collection's), signed by
/// the earner's key for the verifier's challenge and domain. Badges that
/// are not Verifiable Credentials are refused (400 `not_a_credential`)
/// with what to do instead.
async fn present(
    State(s): State<AppState>,
    body: Result<Json<PresentBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    use super::present::{PresentError, credential_of, other_subjects, sign_presentation};
    let Json(b) = body?;
    let refused = |e: PresentError| {
        let code = match e {
            PresentError::NotACredential(_) => "not_a_credential",
            PresentError::Count(_) => "bad_count",
            PresentError::Binding(_) => "bad_binding",
            _ => "cannot_sign",
        };
        ApiError::bad_request(code, e.to_string())
    };
    super::present::check_binding("challenge", &b.challenge).map_err(refused)?;
    super::present::check_binding("domain", &b.domain).map_err(refused)?;
    if b.badges.len() > badgemesh_openbadges::presentation::MAX_PRESENTED_CREDENTIALS {
        return Err(refused(PresentError::Count(format!(
            "{} badges chosen; a presentation carries at most {}",
            b.badges.len(),
            badgemesh_openbadges::presentation::MAX_PRESENTED_CREDENTIALS
        ))));
    }
    let mut ids = Vec::new();
    for text in b.badges {
        let id = resolve(&s, text).await?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if let Some(name) = &b.collection {
        let name = collection_name(name)?;
        let c = blocking(&s, move |st| collections::get(st, &name)).await?;
        for id in c.badges {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    let mut credentials = Vec::new();
    for id in &ids {
        let id = *id;
        let (_, bytes) = blocking(&s, move |st| badges::get(st, &id))
            .await?
            .ok_or_else(|| api_error(BackpackError::NoBadge(id.to_string())))?;
        credentials.push(credential_of(&bytes, &id.short()).map_err(refused)?);
    }
    let (key, holder) = holder_key(&s).await?;
    let did = holder.to_did();
    let mut warnings = Vec::new();
    for (id, c) in ids.iter().zip(&credentials) {
        for other in other_subjects(c, &did) {
            warnings.push(format!(
                "badge {} was awarded to {other}, not to this backpack's key {did}: verifiers will refuse the presentation (its holder is not the subject); ask the issuer to award it to {did}",
                id.short()
            ));
        }
    }
    let created = now().to_string();
    // Canonicalizing every credential is CPU work: off the async workers.
    let signed = tokio::task::spawn_blocking(move || {
        sign_presentation(
            credentials,
            &key,
            &holder,
            &b.challenge,
            &b.domain,
            &created,
        )
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
    .map_err(refused)?;
    Ok(Json(json!({
        "presentation": signed,
        "holder": did,
        "badges": ids,
        "warnings": warnings,
    }))
    .into_response())
}

/// A static copy of a collection's page: `{"index_html", "app_css",
/// "files": [{"id", "path"}]}`, the page rendered as `/p/{name}` is (each
/// badge verified now) but with every link relative to it, for
/// `backpack publish` to write beside the badge files.
async fn static_site(
    State(s): State<AppState>,
    Path(name): Path<String>,
    query: Result<Query<SiteQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query?;
    if let Some(u) = &q.url {
        let lower = u.to_ascii_lowercase();
        let ok = (lower.starts_with("https://") || lower.starts_with("http://"))
            && u.len() <= 2048
            && !u.chars().any(|c| c.is_whitespace() || c.is_control());
        if !ok {
            return Err(ApiError::bad_request(
                "bad_url",
                "the address the copy will be served at must be an http(s) URL",
            ));
        }
    }
    let name = collection_name(&name)?;
    let (c, held) = blocking(&s, move |st| {
        Ok((collections::get(st, &name)?, badges::list(st)?))
    })
    .await?;
    let site = super::page::Site::Static {
        url: q.url.as_deref(),
    };
    let rendered = super::page::render(&s, &c, &held, site).await?;
    let files: Vec<Value> = rendered
        .files
        .iter()
        .map(|(id, path)| json!({ "id": id, "path": path }))
        .collect();
    Ok(Json(json!({
        "collection": c.name,
        "index_html": rendered.html,
        "app_css": crate::api::APP_CSS,
        "files": files,
        "more": c.badges.len().saturating_sub(super::page::MAX_SHOWN),
    }))
    .into_response())
}

fn collection_name(text: &str) -> Result<CollectionName, ApiError> {
    CollectionName::new(text).map_err(api_error)
}

/// Every collection with its badges' ids.
async fn list_collections(State(s): State<AppState>) -> Result<Response, ApiError> {
    let all = blocking(&s, collections::list).await?;
    Ok(Json(all).into_response())
}

/// One collection with what was noted about each of its badges (enough to
/// export it; verdicts come from the badge views).
async fn show_collection(
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let name = collection_name(&name)?;
    let (c, held) = blocking(&s, move |st| {
        Ok((collections::get(st, &name)?, badges::list(st)?))
    })
    .await?;
    let badges: Vec<Value> = c
        .badges
        .iter()
        .filter_map(|id| held.iter().find(|h| h.id == *id))
        .map(|h| {
            json!({
                "id": h.id, "short_id": h.id.short(), "name": h.info.name,
                "format": h.info.format, "carrier": h.info.carrier, "ext": h.info.ext,
                "file_name": h.info.file_name, "size": h.info.size,
            })
        })
        .collect();
    Ok(Json(json!({
        "name": c.name, "created_at": c.created_at, "public": c.public, "badges": badges,
    }))
    .into_response())
}

/// Creates an empty, private collection.
async fn create_collection(
    State(s): State<AppState>,
    body: Result<Json<CreateBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body?;
    let name = collection_name(&b.name)?;
    let shown = name.to_string();
    blocking(&s, move |st| collections::create(st, &name, now())).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "name": shown, "public": false })),
    )
        .into_response())
}

async fn delete_collection(
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let name = collection_name(&name)?;
    let shown = name.to_string();
    blocking(&s, move |st| collections::delete(st, &name)).await?;
    Ok(Json(json!({ "deleted": shown })).into_response())
}

async fn add_member(
    State(s): State<AppState>,
    Path((name, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let name = collection_name(&name)?;
    let id = resolve(&s, id).await?;
    let added = blocking(&s, move |st| collections::add(st, &name, &id)).await?;
    Ok(Json(json!({ "id": id, "added": added })).into_response())
}

async fn remove_member(
    State(s): State<AppState>,
    Path((name, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let name = collection_name(&name)?;
    let id = resolve(&s, id).await?;
    let removed = blocking(&s, move |st| collections::remove(st, &name, &id)).await?;
    Ok(Json(json!({ "id": id, "removed": removed })).into_response())
}

async fn set_public(
    State(s): State<AppState>,
    Path(name): Path<String>,
    body: Result<Json<PublicBody>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(b) = body?;
    let name = collection_name(&name)?;
    let shown = name.to_string();
    blocking(&s, move |st| collections::set_public(st, &name, b.public)).await?;
    Ok(Json(json!({ "name": shown, "public": b.public })).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_labels_not_paths() {
        assert_eq!(label("/home/ada/ada.png").as_deref(), Some("ada.png"));
        assert_eq!(label("C:\\x\\b.svg").as_deref(), Some("b.svg"));
        assert_eq!(label("a\u{7}b\nc").as_deref(), Some("abc"));
        assert_eq!(label("dir/"), None);
        assert_eq!(
            label(&"x".repeat(1000)).map(|l| l.len()),
            Some(MAX_FILE_NAME)
        );
    }

    #[test]
    fn cursors_are_places_and_garbage_is_refused() {
        assert_eq!(parse_cursor("17").ok(), Some(17));
        for bad in ["", "-1", "x", "1.5", "99999999999999999999999"] {
            assert!(parse_cursor(bad).is_err(), "{bad}");
        }
    }
}
