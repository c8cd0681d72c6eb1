//! Pages of list views: `?after=CURSOR&limit=N`, so that an unauthenticated
//! read costs O(log n + limit) whatever the node holds.
//!
//! Lists are in a fixed order (issuers by DID, badge classes by id); `after`
//! is the last key of the previous page. The body stays a JSON array; when
//! more follow, a `Link: <...>; rel="next"` header (RFC 8288) gives the URL
//! of the next page, as GitHub's API does.

use axum::http::HeaderValue;
use axum::http::header::LINK;
use axum::response::Response;
use serde::Deserialize;

/// Items in a page when the query names no limit.
pub const DEFAULT_LIMIT: usize = 100;
/// The largest page; a larger `limit` is lowered to it.
pub const MAX_LIMIT: usize = 1000;

/// The paging part of a list query.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// Start after this key (a DID or a record id, depending on the list).
    pub after: Option<String>,
    /// Items per page: [`DEFAULT_LIMIT`] if absent, at most [`MAX_LIMIT`].
    pub limit: Option<usize>,
}

impl PageQuery {
    /// The page size to use.
    pub fn limit(&self) -> usize {
        self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
    }
}

/// Takes at most `limit` items; the second value is the cursor of the next
/// page (the key of the last item taken) if more follow.
pub fn page<T, K>(
    items: impl Iterator<Item = T>,
    limit: usize,
    key: impl Fn(&T) -> K,
) -> (Vec<T>, Option<K>) {
    let mut items = items.peekable();
    let page: Vec<T> = items.by_ref().take(limit).collect();
    let next = match (items.peek(), page.last()) {
        (Some(_), Some(last)) => Some(key(last)),
        _ => None,
    };
    (page, next)
}

/// Adds the `Link` header of the next page, if there is one. `path` is the
/// route, `extra` any other query parameters (already URL-safe).
pub fn link_next(
    response: &mut Response,
    path: &str,
    extra: &str,
    next: Option<String>,
    limit: usize,
) {
    let Some(cursor) = next else { return };
    let value = format!("<{path}?{extra}after={cursor}&limit={limit}>; rel=\"next\"");
    if let Ok(v) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(LINK, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_everything_once() {
        let all: Vec<u32> = (0..25).collect();
        let mut after = None;
        let mut seen = Vec::new();
        loop {
            let start = after.map_or(0, |a: u32| a + 1);
            let (items, next) = page(all.iter().copied().skip(start as usize), 10, |x| *x);
            seen.extend(items);
            match next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        assert_eq!(seen, all);
    }

    #[test]
    fn the_limit_is_bounded() {
        let q = |limit| PageQuery { after: None, limit }.limit();
        assert_eq!(q(None), DEFAULT_LIMIT);
        assert_eq!(q(Some(0)), 1);
        assert_eq!(q(Some(usize::MAX)), MAX_LIMIT);
    }
}
