//! The public page of a collection the earner published: `/p/{collection}`.
//!
//! Read by anyone who reaches the API, so it shows only collections whose
//! `public` flag the earner set (any other name is the same 404, so private
//! collections are not revealed), at most [`MAX_SHOWN`] badges of one (each
//! verified now, in the verification pool, like `/v1/verify`), at most
//! [`MAX_RENDERING`] pages at once, and nothing else of the backpack. Each badge shows its verdict of now (the same
//! checks as the page at `/`), its name, who issued it in the words the
//! trust check allows (a claimed name is never shown as fact), criteria,
//! evidence, dates, freshness, and a link to its file as added
//! (`/p/{collection}/{id}`). Open Graph tags give link previews.
//!
//! Everything a badge says is outside input: every text goes through
//! [`escape`], links are made only for `http`/`https` URLs, images only
//! from `data:image/` URIs or the badge file itself (the page's policy
//! allows `'self'` and `data:` images and no script at all), and a file is
//! served as an attachment under a sandboxing policy, so an SVG with a
//! script runs nothing on this origin.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::badges::{self, BadgeId};
use super::collections::{self, CollectionName};
use super::views::{self, Judged};
use crate::api::table::{Route, Shape, Table};
use crate::api::{ApiError, AppState};
use crate::core::now;

/// Most badges one public page verifies and shows: the page is open to
/// anyone who reaches the API, and each badge costs a verification.
pub const MAX_SHOWN: usize = 50;

/// Public pages that may be made at once in this process; beyond that a
/// request gets 503 at once. Each page is up to [`MAX_SHOWN`]
/// verifications, so without this a few clients asking for pages again
/// and again would keep the verification pool full for everyone else.
pub const MAX_RENDERING: usize = 2;
static RENDERING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(MAX_RENDERING);

/// No script at all; styles and images from this origin, images also as
/// `data:`; no framing.
const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/// The policy a static copy states in a `<meta>` element: no script,
/// styles and images from beside it, images also as `data:` (a policy in
/// a `<meta>` cannot say `frame-ancestors`).
const STATIC_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'";
/// A badge file runs nothing if opened on this origin.
const FILE_CSP: &str = "default-src 'none'; sandbox";

/// Text made safe for HTML content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A link to `url` if it is an `http` or `https` URL, else the text alone.
fn link(url: &str, text: &str) -> String {
    let lower = url.trim().to_ascii_lowercase();
    if (lower.starts_with("https://") || lower.starts_with("http://"))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        format!(
            "<a href=\"{}\" rel=\"noopener noreferrer nofollow\">{}</a>",
            escape(url.trim()),
            escape(text)
        )
    } else {
        escape(text)
    }
}

/// The 404 for any collection that is not public, known or not.
fn not_shown() -> ApiError {
    ApiError::not_found(
        "unknown_collection",
        "no public collection by this name on this node",
    )
}

/// The collection, if it exists and is public.
async fn public_collection(
    s: &AppState,
    name: &str,
) -> Result<(collections::Collection, Vec<badges::HeldBadge>), ApiError> {
    let name = CollectionName::new(name).map_err(|_| not_shown())?;
    let ledger = s.core.ledger.clone();
    let found = tokio::task::spawn_blocking(move || {
        let c = collections::get(ledger.store(), &name)?;
        Ok::<_, super::BackpackError>((c, badges::list(ledger.store())?))
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?;
    match found {
        Ok((c, held)) if c.public => Ok((c, held)),
        Ok(_) | Err(super::BackpackError::NoCollection(_)) => Err(not_shown()),
        Err(super::BackpackError::Store(e)) => Err(e.into()),
        Err(e) => Err(ApiError::internal(e.to_string())),
    }
}

fn secure(res: Response, content_type: &'static str, csp: &'static str) -> Response {
    crate::api::page::with_page_headers(res, content_type, csp)
}

/// `GET /p/{collection}`: the page.
pub(crate) async fn show(
    State(s): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let (c, held) = public_collection(&s, &name).await?;
    let Ok(_rendering) = RENDERING.try_acquire() else {
        return Err(ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "page_busy",
            "this node is making other public pages; try again shortly",
        ));
    };
    let html = render(&s, &c, &held, Site::Node).await?.html;
    Ok(secure(
        html.into_response(),
        "text/html; charset=utf-8",
        PAGE_CSP,
    ))
}

/// Where a rendered page is served, which decides where its links point.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Site<'a> {
    /// This node's `/p/{collection}`: files at `/p/{collection}/{id}`, the
    /// node's stylesheet, the policy in the response's headers.
    Node,
    /// A static copy (`backpack publish`): every link relative to the
    /// page (`badges/<short id>.<ext>`, `app.css` beside it), the policy in
    /// a `<meta>` element since a static host sends no such header, and,
    /// when the earner says where it will be served, that address in
    /// LinkedIn's `certUrl` and the Open Graph `og:url`.
    Static {
        /// Where `index.html` will be served (an `http(s)` URL), if known.
        url: Option<&'a str>,
    },
}

impl Site<'_> {
    /// Where the page links to a held badge's file.
    fn file_url(&self, collection: &str, e: &Value) -> String {
        let id = e["id"].as_str().unwrap_or("");
        match self {
            Site::Node => format!("/p/{collection}/{id}"),
            Site::Static { .. } => static_file(e),
        }
    }
}

/// A badge file's path in a static copy: `badges/<short id>.<ext>` (both
/// made of letters and digits only, so the path is the same on every
/// system and needs no escaping).
pub(crate) fn static_file(e: &Value) -> String {
    let clean = |v: &Value| -> String {
        v.as_str()
            .unwrap_or("")
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect()
    };
    let ext = clean(&e["ext"]);
    format!(
        "badges/{}.{}",
        clean(&e["short_id"]),
        if ext.is_empty() { "bin".into() } else { ext }
    )
}

/// A rendered page and the files it links to.
#[derive(Debug)]
pub(crate) struct Rendered {
    /// The page.
    pub(crate) html: String,
    /// For each badge shown: its id and where the page expects its file.
    pub(crate) files: Vec<(BadgeId, String)>,
}

/// The page of collection `c` (its first [`MAX_SHOWN`] badges, each
/// verified now in the verification pool), with links for `site`.
pub(crate) async fn render(
    s: &AppState,
    c: &collections::Collection,
    held: &[badges::HeldBadge],
    site: Site<'_>,
) -> Result<Rendered, ApiError> {
    let judged = Judged {
        at: now(),
        max_age_secs: None,
        require_listed: false,
    };
    let mut cards = String::new();
    let mut names = Vec::new();
    let mut files = Vec::new();
    for id in c.badges.iter().take(MAX_SHOWN) {
        let Some(h) = held.iter().find(|h| h.id == *id) else {
            continue;
        };
        let id = h.id;
        let ledger = s.core.ledger.clone();
        let bytes = tokio::task::spawn_blocking(move || badges::get(ledger.store(), &id))
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let Ok(Some((info, bytes))) = bytes else {
            continue;
        };
        let verdict = views::verify(s, Arc::from(bytes), judged).await?;
        let mut entry = views::entry(&id, &info, &verdict);
        if let (Site::Static { url: Some(url) }, Ok(v)) = (site, &verdict) {
            let anchor = format!("{url}#badge-{}", id.short());
            entry["linkedin"] = super::linkedin::for_verdict(v, Some(&anchor)).into();
        }
        if let Some(n) = entry["name"].as_str() {
            names.push(n.to_owned());
        }
        files.push((id, site.file_url(&c.name, &entry)));
        cards.push_str(&card(site, &c.name, &entry));
    }
    let more = c.badges.len().saturating_sub(MAX_SHOWN);
    let html = page(site, &c.name, c.badges.len(), &names, &cards, more, judged);
    Ok(Rendered { html, files })
}

/// `GET /p/{collection}/{id}`: a badge file of a public collection, as
/// added, to download.
pub(crate) async fn file(
    State(s): State<AppState>,
    Path((name, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (c, held) = public_collection(&s, &name).await?;
    let unknown = || ApiError::not_found("unknown_badge", "no such badge in this collection");
    let id: BadgeId = id.parse().map_err(|_| unknown())?;
    if !c.badges.contains(&id) {
        return Err(unknown());
    }
    let info = held
        .iter()
        .find(|h| h.id == id)
        .map(|h| h.info.clone())
        .ok_or_else(unknown)?;
    let ledger = s.core.ledger.clone();
    let bytes = tokio::task::spawn_blocking(move || badges::get(ledger.store(), &id))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| ApiError::internal(e.to_string()))?
        .ok_or_else(unknown)?
        .1;
    let content_type = match info.ext.as_str() {
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "json" => "application/json",
        _ => "application/octet-stream",
    };
    let mut res = secure(bytes.into_response(), content_type, FILE_CSP);
    // An <img> of the page shows it; opened on its own, it is saved.
    let disposition = format!("attachment; filename=\"{}.{}\"", id.short(), info.ext);
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// The words and tone of an outcome.
fn tone(outcome: &str) -> (&'static str, &'static str) {
    match outcome {
        "valid" => ("tone-good", "Valid"),
        "indeterminate" => ("tone-unsure", "Cannot be fully checked here"),
        "revoked" => ("tone-bad", "Revoked"),
        "expired" => ("tone-bad", "Expired"),
        "suspended" => ("tone-bad", "Suspended"),
        "not_yet_valid" => ("tone-bad", "Not yet valid"),
        "invalid" => ("tone-bad", "Invalid"),
        _ => ("tone-bad", "Cannot be verified"),
    }
}

/// Who issued it, in the words the trust check allows.
fn issuer_text(v: &Value) -> String {
    if let Some(summary) = v["trust"]["summary"].as_str() {
        return summary.to_owned();
    }
    match v["issuer_name"].as_str() {
        Some(n) => format!("signed by a key that calls itself \u{201c}{n}\u{201d}"),
        None => "issuer not known here".to_owned(),
    }
}

/// One badge's card.
fn card(site: Site<'_>, collection: &str, e: &Value) -> String {
    let v = &e["verdict"];
    let outcome = e["outcome"].as_str().unwrap_or("unverifiable");
    let (class, word) = tone(outcome);
    let file_url = site.file_url(collection, e);
    let image = match v["badge"]["image"]["uri"]
        .as_str()
        .or_else(|| v["badge"]["image"].as_str())
    {
        Some(uri) if uri.starts_with("data:image/") => Some(escape(uri)),
        _ if e["carrier"].is_string() => Some(escape(&file_url)),
        _ => None,
    };
    let name = e["name"].as_str().unwrap_or("(badge class not known here)");
    let mut out = String::new();
    let _ = write!(
        out,
        "<article class=\"card\" id=\"badge-{}\">",
        escape(e["short_id"].as_str().unwrap_or(""))
    );
    let _ = write!(
        out,
        "<div class=\"verdict {class}\"><div><p class=\"verdict-word\">{}</p><p class=\"verdict-text\">{}</p>",
        escape(word),
        escape(&issuer_text(v))
    );
    // Why a badge is not valid: its failed checks (and those that could
    // not be made, besides who issued it, which the line above says).
    for c in v["checks"].as_array().into_iter().flatten() {
        let status = c["status"].as_str().unwrap_or("");
        if status == "fail" || (status == "unknown" && c["check"] != "issuer_trust") {
            let _ = write!(
                out,
                "<p class=\"verdict-text\">{}: {}</p>",
                escape(&c["check"].as_str().unwrap_or("check").replace('_', " ")),
                escape(c["detail"].as_str().unwrap_or(""))
            );
        }
    }
    if let Some(fresh) = freshness(v) {
        let _ = write!(out, "<p class=\"verdict-fresh\">{}</p>", escape(&fresh));
    }
    let _ = write!(out, "</div></div><div class=\"badge-card\">");
    if let Some(src) = image {
        let _ = write!(out, "<img src=\"{src}\" alt=\"\">");
    }
    let _ = write!(out, "<div><h2>{}</h2>", escape(name));
    if let Some(d) = v["badge"]["description"].as_str() {
        let _ = write!(out, "<p>{}</p>", escape(d));
    }
    let _ = write!(out, "<dl class=\"facts\">");
    let mut fact = |label: &str, html: String| {
        let _ = write!(out, "<dt>{}</dt><dd>{html}</dd>", escape(label));
    };
    if let Some(n) = v["badge"]["criteria"]["narrative"].as_str() {
        fact("Criteria", escape(n));
    }
    if let Some(u) = v["badge"]["criteria"]["url"].as_str() {
        fact("Criteria", link(u, u));
    }
    for ev in v["award"]["evidence"].as_array().into_iter().flatten() {
        let text = [ev["name"].as_str(), ev["narrative"].as_str()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(": ");
        let html = match ev["url"].as_str() {
            Some(u) => link(u, if text.is_empty() { u } else { &text }),
            None => escape(&text),
        };
        fact("Evidence", html);
    }
    fact(
        "Issued",
        escape(v["issued_on"].as_str().unwrap_or("not stated")),
    );
    fact("Expires", escape(v["expires"].as_str().unwrap_or("never")));
    fact(
        "Issuer",
        format!(
            "<span class=\"id\">{}</span>",
            escape(v["issuer"].as_str().unwrap_or(""))
        ),
    );
    fact(
        "Credential",
        format!(
            "<a href=\"{}\" download>Download ({})</a>",
            escape(&file_url),
            escape(e["ext"].as_str().unwrap_or("file"))
        ),
    );
    if let Some(url) = e["linkedin"].as_str() {
        fact("LinkedIn", link(url, "Add to profile"));
    }
    let _ = write!(out, "</dl></div></div></article>");
    out
}

/// "Not revoked as of revocation list N, signed T", as far as the verdict
/// says.
fn freshness(v: &Value) -> Option<String> {
    let r = &v["revocation"];
    if let Some(d) = r["detail"].as_str() {
        return Some(d.to_owned());
    }
    match (r["seq"].as_u64(), r["as_of"].as_str()) {
        (Some(seq), Some(at)) => Some(format!(
            "Revocation checked against list {seq}, signed {at}; checked {}",
            v["checked_at"].as_str().unwrap_or("now")
        )),
        _ => v["checked_at"].as_str().map(|t| format!("Checked {t}")),
    }
}

/// The whole page.
fn page(
    site: Site<'_>,
    collection: &str,
    count: usize,
    names: &[String],
    cards: &str,
    more: usize,
    judged: Judged,
) -> String {
    let title = format!(
        "{collection}: {count} badge{}",
        if count == 1 { "" } else { "s" }
    );
    let description = if names.is_empty() {
        "Open Badges, verified by badgemesh".to_owned()
    } else {
        format!("Open Badges, verified by badgemesh: {}", names.join(", "))
    };
    let description: String = description.chars().take(300).collect();
    let at = escape(&judged.at.to_string());
    let (head, lead) = match site {
        Site::Node => (
            "<link rel=\"stylesheet\" href=\"/app.css\"><link rel=\"icon\" href=\"/favicon.svg\">"
                .to_owned(),
            format!(
                "Each badge was verified when this page was made ({at}), by this node, with the \
                 same checks as its verification page. Download a credential to verify it anywhere."
            ),
        ),
        Site::Static { url } => (
            format!(
                "<meta http-equiv=\"Content-Security-Policy\" content=\"{STATIC_CSP}\">\
                 <meta name=\"referrer\" content=\"no-referrer\">{}\
                 <link rel=\"stylesheet\" href=\"app.css\">",
                url.map(|u| format!("<meta property=\"og:url\" content=\"{}\">", escape(u)))
                    .unwrap_or_default()
            ),
            format!(
                "Each badge was verified by badgemesh when this copy was made ({at}); what it \
                 says may have changed since (a badge can be revoked). Download a credential \
                 and drop it on any badgemesh verification page to check it now."
            ),
        ),
    };
    let more = if more > 0 {
        format!("<p class=\"lead\">and {more} more, not shown here</p>")
    } else {
        String::new()
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{t}</title>\
<meta property=\"og:type\" content=\"website\">\
<meta property=\"og:title\" content=\"{t}\">\
<meta property=\"og:description\" content=\"{d}\">\
<meta name=\"description\" content=\"{d}\">\
{head}</head><body><header class=\"top\"><p class=\"brand\">badgemesh</p></header>\
<main><h1>{t}</h1><p class=\"lead\">{lead}</p>{cards}{more}</main></body></html>\n",
        t = escape(&title),
        d = escape(&description),
    )
}

/// The public pages of collections made public (open, for browsers).
pub(crate) fn routes() -> Table<AppState> {
    Table::new("pages")
        .add(
            Route::get("/p/{collection}", show, "A public collection's page").reply(
                200,
                "text/html; charset=utf-8",
                Shape::Binary,
                "the page, each badge verified now",
            ),
        )
        .add(
            Route::get(
                "/p/{collection}/{id}",
                file,
                "A badge file of a public collection, as added",
            )
            .reply(
                200,
                "application/octet-stream",
                Shape::Binary,
                "the file (its type by its extension: PNG, SVG, JSON, ...)",
            ),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn outside_text_is_escaped_and_links_are_http_only() {
        assert_eq!(
            escape(r#"<script>"a"&'b'</script>"#),
            "&lt;script&gt;&quot;a&quot;&amp;&#39;b&#39;&lt;/script&gt;"
        );
        assert_eq!(link("javascript:alert(1)", "x"), "x");
        assert_eq!(link("data:text/html,<b>", "<b>"), "&lt;b&gt;");
        assert_eq!(link("https://a.example/ x", "x"), "x");
        assert_eq!(
            link("https://a.example/?q=\"><script>", "t"),
            "<a href=\"https://a.example/?q=&quot;&gt;&lt;script&gt;\" rel=\"noopener noreferrer nofollow\">t</a>"
        );
    }

    #[test]
    fn a_card_never_carries_markup_from_the_badge() {
        let evil = "<img src=x onerror=alert(1)>";
        let e = json!({
            "id": "ab", "outcome": "valid", "name": evil, "ext": "json", "carrier": null,
            "verdict": {
                "badge": { "description": evil, "criteria": { "narrative": evil, "url": "javascript:x" },
                           "image": { "uri": "https://tracker.example/pixel.png" } },
                "award": { "evidence": [{ "name": evil, "url": "https://ok.example/e" }] },
                "issuer": evil, "issued_on": evil, "issuer_name": evil,
                "trust": { "summary": evil },
            },
        });
        let html = card(Site::Node, "job", &e);
        assert!(!html.contains("<img src=x"), "{html}");
        assert!(!html.contains("href=\"javascript:"), "{html}");
        assert!(
            !html.contains("tracker.example"),
            "no outside request: {html}"
        );
        assert!(html.contains("href=\"https://ok.example/e\""), "{html}");
        assert!(html.contains("href=\"/p/job/ab\" download"), "{html}");
    }

    #[test]
    fn a_static_card_links_to_files_beside_the_page() {
        let e = json!({
            "id": "ab", "short_id": "3f2a9c1b0d4e", "outcome": "valid", "name": "T",
            "ext": "png", "carrier": "png", "verdict": {},
        });
        let html = card(Site::Static { url: None }, "job", &e);
        assert!(
            html.contains("<article class=\"card\" id=\"badge-3f2a9c1b0d4e\">"),
            "{html}"
        );
        assert!(
            html.contains("<img src=\"badges/3f2a9c1b0d4e.png\""),
            "{html}"
        );
        assert!(
            html.contains("href=\"badges/3f2a9c1b0d4e.png\" download"),
            "{html}"
        );
        assert!(!html.contains("/p/"), "{html}");
        // Names from outside cannot make a path leave the directory.
        let odd = json!({ "short_id": "../../x", "ext": "../sh" });
        assert_eq!(static_file(&odd), "badges/x.sh");
    }

    #[test]
    fn a_valid_card_links_to_linkedins_form_with_its_query_escaped() {
        let v = json!({
            "outcome": "valid", "badge": { "name": "R&D <Lab>" }, "issuer_name": "Ada & Co",
            "issued_on": "2026-02-03T00:00:00Z", "assertion": "bciqx", "trust": { "state": "unlisted" },
        });
        let e = json!({
            "id": "ab", "outcome": "valid", "name": "R&D <Lab>", "ext": "json", "carrier": null,
            "linkedin": crate::backpack::linkedin::for_verdict(&v, None), "verdict": v,
        });
        let html = card(Site::Node, "job", &e);
        assert!(
            html.contains("<a href=\"https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&amp;name=R%26D%20%3CLab%3E&amp;organizationName=Ada%20%26%20Co&amp;issueYear=2026&amp;issueMonth=2&amp;certId=bciqx\" rel=\"noopener noreferrer nofollow\">Add to profile</a>"),
            "{html}"
        );
        let revoked = json!({ "id": "ab", "outcome": "revoked", "ext": "json", "linkedin": null, "verdict": {} });
        assert!(!card(Site::Node, "job", &revoked).contains("linkedin.com"));
    }
}
