//! The web page: a verify view at `/` and a "what this node knows" view at
//! `/node`. HTML, CSS and JavaScript are built into the binary; the page makes
//! no request beyond this node's own API, so it works offline.

use super::table::{Route, Shape, Table};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

const VERIFY_HTML: &str = include_str!("../../assets/verify.html");
const NODE_HTML: &str = include_str!("../../assets/node.html");
const APP_JS: &str = include_str!("../../assets/app.js");
/// The stylesheet of every page (also written beside a static copy of a
/// public page).
pub(crate) const APP_CSS: &str = include_str!("../../assets/app.css");
const FAVICON: &[u8] = include_bytes!("../../assets/favicon.svg");
/// zxing-wasm's reader (vendored, `assets/vendor/zxing-wasm/SOURCE.md`): the
/// page reads a printed certificate's QR code itself, from a photo or the
/// camera, and sends the node only the code's text.
const ZXING_JS: &str = include_str!("../../assets/vendor/zxing-wasm/zxing-reader.js");
const ZXING_WASM: &[u8] = include_bytes!("../../assets/vendor/zxing-wasm/zxing_reader.wasm");

/// Same origin only; no inline script or style; images may be `data:` (badge
/// images are embedded as data URIs); no framing. WebAssembly may be
/// compiled (`wasm-unsafe-eval`, which allows no JavaScript `eval`) for the
/// QR reader, itself loaded only from this node.
const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

/// The page's routes, with their security headers.
pub(super) fn routes<S: Clone + Send + Sync + 'static>() -> Table<S> {
    fn page<S: Clone + Send + Sync + 'static>(
        path: &'static str,
        content_type: &'static str,
        summary: &'static str,
        handler: impl axum::handler::Handler<((),), S>,
    ) -> Route<S> {
        Route::get(path, handler, summary).reply(200, content_type, Shape::Binary, summary)
    }
    const HTML: &str = "text/html; charset=utf-8";
    const JS: &str = "text/javascript; charset=utf-8";
    Table::new("pages")
        .add(page("/", HTML, "The verification page", || async {
            asset(HTML, VERIFY_HTML)
        }))
        .add(page("/node", HTML, "The node's dashboard page", || async {
            asset(HTML, NODE_HTML)
        }))
        .add(page("/app.js", JS, "The pages' script", || async {
            asset(JS, APP_JS)
        }))
        .add(page(
            "/app.css",
            "text/css; charset=utf-8",
            "The pages' style sheet",
            || async { asset("text/css; charset=utf-8", APP_CSS) },
        ))
        .add(page(
            "/vendor/zxing-reader.js",
            JS,
            "The QR reader's script",
            || async { asset(JS, ZXING_JS) },
        ))
        .add(page(
            "/vendor/zxing_reader.wasm",
            "application/wasm",
            "The QR reader",
            || async { asset("application/wasm", ZXING_WASM) },
        ))
        .add(page(
            "/favicon.svg",
            "image/svg+xml",
            "The icon",
            || async { asset("image/svg+xml", FAVICON) },
        ))
}

fn asset(content_type: &'static str, body: impl IntoResponse) -> Response {
    with_page_headers(body.into_response(), content_type, CSP)
}

/// The headers every page and file the node serves to browsers carries: its
/// type (never sniffed), its content security policy, no referrer, and
/// revalidation on every load.
pub(crate) fn with_page_headers(
    mut res: Response,
    content_type: &'static str,
    csp: &'static str,
) -> Response {
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// One real HTTP/1.1 request against the routes; returns the raw response.
    async fn get_raw(path: &str) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server =
            tokio::spawn(async move { axum::serve(listener, routes::<()>().into_parts().0).await });
        let mut conn = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        conn.write_all(req.as_bytes()).await.expect("write");
        let mut out = Vec::new();
        conn.read_to_end(&mut out).await.expect("read");
        server.abort();
        String::from_utf8_lossy(&out).into_owned()
    }

    #[tokio::test]
    async fn pages_are_served_with_a_strict_policy() {
        for (path, kind) in [
            ("/", "text/html"),
            ("/node", "text/html"),
            ("/app.js", "text/javascript"),
            ("/app.css", "text/css"),
        ] {
            let res = get_raw(path).await.to_ascii_lowercase();
            assert!(res.starts_with("http/1.1 200"), "{path}: {res}");
            assert!(res.contains(&format!("content-type: {kind}")), "{path}");
            assert!(res.contains("x-content-type-options: nosniff"), "{path}");
            assert!(
                res.contains("content-security-policy: default-src 'self'; script-src 'self' 'wasm-unsafe-eval';"),
                "{path}"
            );
            assert!(!res.contains("unsafe-inline"), "{path}");
        }
    }

    #[test]
    fn html_has_no_inline_script_or_external_reference() {
        for html in [VERIFY_HTML, NODE_HTML] {
            assert!(html.contains(r#"<script src="/app.js" defer></script>"#));
            assert!(!html.contains("<script>"), "inline script");
            assert!(!html.contains(" style="), "inline style");
            assert!(!html.contains("http://") && !html.contains("https://"));
        }
        // The SVG namespace (for the pathway graph) is a name, never fetched.
        let js = APP_JS.replacen(r#"const SVG_NS = "http://www.w3.org/2000/svg";"#, "", 1);
        assert!(!js.contains("http://") && !js.contains("https://"));
        assert!(!APP_CSS.contains("url("), "no external CSS resources");
    }

    #[test]
    fn links_are_made_only_for_http_and_https_urls() {
        // Badge data (criteria URL, issuer URL, profile URL) is outside
        // input: one function makes every link, and it checks the scheme.
        assert_eq!(
            APP_JS.matches(r#"el("a""#).count(),
            1,
            "links only through link()"
        );
        assert_eq!(APP_JS.matches("href:").count(), 1, "one href, in link()");
        let body = APP_JS
            .split("function link(url, text) {")
            .nth(1)
            .and_then(|rest| rest.split("\n}\n").next())
            .expect("link() is defined");
        assert!(body.contains("new URL(url)"), "{body}");
        assert!(
            body.contains(r#"parsed.protocol !== "http:" && parsed.protocol !== "https:""#),
            "{body}"
        );
        assert!(body.contains(r#"el("a", { href: parsed.href"#), "{body}");
    }
}
