//! The API's front door: which requests it answers at all.
//!
//! The API listens on loopback for the local user, and any web page that
//! user visits can make the browser send requests to it. Two checks stop
//! those pages:
//!
//! - **Host.** A DNS-rebinding page (`evil.example` resolving to 127.0.0.1)
//!   talks to the API as its own origin, so the browser lets it read the
//!   answers; but its requests carry `Host: evil.example`. Only the API's own
//!   address is accepted (its IP literal and port; any loopback literal and
//!   `localhost` when it listens on loopback; any IP literal when it listens
//!   on every interface, since rebinding needs a name), plus the names the
//!   operator lists in `api_hosts` (a reverse proxy's name, say).
//! - **Cross-site.** A page elsewhere can still *send* a "simple" request
//!   (`fetch(url, {mode: "no-cors", method: "POST"})`) without reading the
//!   answer, which is enough to burn CPU. Browsers mark such requests: an
//!   `Origin` that is not the API's own, or `Sec-Fetch-Site` other than
//!   `same-origin` or `none`, is refused. A top-level navigation (the user
//!   follows a link to the page) is let through: its answer goes to the user,
//!   not to the page that linked, and no `GET` here changes anything.
//!
//! Refusals are 403 with the stable codes `unknown_host` and `cross_site`.
//! Clients that are not browsers (the CLI, curl) send neither header and only
//! need the right `Host`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ApiError;

/// The hosts and origins the API answers.
#[derive(Clone, Debug)]
pub struct FrontDoor {
    addr: SocketAddr,
    /// `api_hosts`, lower case, each with an optional port.
    names: Vec<(String, Option<u16>)>,
}

impl FrontDoor {
    /// The front door of an API listening on `addr` that also answers to the
    /// `names` the operator listed (`host` or `host:port`; without a port, a
    /// name matches with no port, as behind a proxy, or with the API's).
    pub fn new(addr: SocketAddr, names: &[String]) -> Self {
        let names = names
            .iter()
            .filter_map(|n| {
                let n = n.trim().to_ascii_lowercase();
                split_host(&n).map(|(h, p)| (h.to_owned(), p))
            })
            .collect();
        FrontDoor { addr, names }
    }

    /// Whether a request with this `Host` header value is for us.
    pub fn host_allowed(&self, host: &str) -> bool {
        let host = host.trim().to_ascii_lowercase();
        let Some((name, port)) = split_host(&host) else {
            return false;
        };
        let our_port = port == Some(self.addr.port());
        let listed = self.names.iter().any(|(n, p)| {
            n == name && (p.is_some() && *p == port || p.is_none() && (port.is_none() || our_port))
        });
        if listed {
            return true;
        }
        if !our_port {
            return false;
        }
        let ours = self.addr.ip();
        let local = ours.is_loopback() || ours.is_unspecified();
        let literal = name
            .strip_prefix('[')
            .and_then(|n| n.strip_suffix(']'))
            .unwrap_or(name);
        match literal.parse::<IpAddr>() {
            Ok(ip) => ip == ours || ours.is_unspecified() || ours.is_loopback() && ip.is_loopback(),
            Err(_) => local && name == "localhost",
        }
    }

    /// `None` if the request may go on, else why not.
    pub fn refusal(&self, method: &Method, headers: &HeaderMap) -> Option<ApiError> {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        if !self.host_allowed(host) {
            return Some(ApiError::new(
                StatusCode::FORBIDDEN,
                "unknown_host",
                format!(
                    "this API answers requests for {} only (Host {host:?}); list other names in api_hosts",
                    self.addr
                ),
            ));
        }
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let navigation = text("sec-fetch-mode") == Some("navigate")
            && (method == Method::GET || method == Method::HEAD);
        let site_ok = match text("sec-fetch-site") {
            None | Some("same-origin" | "none") => true,
            Some(_) => navigation,
        };
        let origin_ok = match text("origin") {
            None => true,
            Some(origin) => same_origin(origin, host) || navigation,
        };
        (!site_ok || !origin_ok).then(|| {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "cross_site",
                "cross-site requests are refused; use the page this node serves at /",
            )
        })
    }
}

/// Whether `origin` (`scheme://host[:port]`) is the API as reached by
/// `host`: http directly, or https through a proxy.
fn same_origin(origin: &str, host: &str) -> bool {
    let origin = origin.trim().to_ascii_lowercase();
    let host = host.trim().to_ascii_lowercase();
    ["http://", "https://"]
        .iter()
        .any(|scheme| origin.strip_prefix(scheme) == Some(host.as_str()))
}

/// `name` and port of a `Host` value (`name`, `name:port`, `[v6]:port`).
fn split_host(host: &str) -> Option<(&str, Option<u16>)> {
    if host.is_empty() {
        return None;
    }
    if host.starts_with('[') {
        let end = host.find(']')?;
        let (name, rest) = host.split_at(end + 1);
        return match rest.strip_prefix(':') {
            Some(p) => Some((name, Some(p.parse().ok()?))),
            None if rest.is_empty() => Some((name, None)),
            None => None,
        };
    }
    match host.split_once(':') {
        Some((name, port)) if !name.is_empty() => Some((name, Some(port.parse().ok()?))),
        Some(_) => None,
        None => Some((host, None)),
    }
}

/// The middleware: refuses what [`FrontDoor::refusal`] refuses.
pub(crate) async fn check(
    State(front): State<Arc<FrontDoor>>,
    request: Request,
    next: Next,
) -> Response {
    match front.refusal(request.method(), request.headers()) {
        Some(refused) => refused.into_response(),
        None => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let lo = FrontDoor::new("127.0.0.1:4748".parse().expect("addr"), &[]);
        for ok in [
            "127.0.0.1:4748",
            "localhost:4748",
            "LOCALHOST:4748",
            "[::1]:4748",
            "127.0.0.2:4748",
        ] {
            assert!(lo.host_allowed(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:4748",
            "127.0.0.1:80",
            "127.0.0.1",
            "",
            ":4748",
            "localhost:x",
            "10.0.0.1:4748",
        ] {
            assert!(!lo.host_allowed(bad), "{bad}");
        }
        let all = FrontDoor::new(
            "0.0.0.0:4748".parse().expect("addr"),
            &["Badges.Example.org".into(), "other.example:8443".into()],
        );
        for ok in [
            "10.0.0.1:4748",
            "badges.example.org",
            "badges.example.org:4748",
            "other.example:8443",
            "localhost:4748",
        ] {
            assert!(all.host_allowed(ok), "{ok}");
        }
        for bad in [
            "evil.example:4748",
            "other.example",
            "badges.example.org:9",
            "10.0.0.1",
        ] {
            assert!(!all.host_allowed(bad), "{bad}");
        }
        let public = FrontDoor::new("192.0.2.7:4748".parse().expect("addr"), &[]);
        assert!(public.host_allowed("192.0.2.7:4748"));
        assert!(!public.host_allowed("localhost:4748"));
        assert!(!public.host_allowed("127.0.0.1:4748"));
    }

    #[test]
    fn origins() {
        let front = FrontDoor::new("127.0.0.1:4748".parse().expect("addr"), &[]);
        let req = |method: Method, pairs: &[(&'static str, &'static str)]| {
            let mut h = HeaderMap::new();
            h.insert(header::HOST, "127.0.0.1:4748".parse().expect("value"));
            for (k, v) in pairs {
                h.insert(*k, v.parse().expect("value"));
            }
            front.refusal(&method, &h).map(|e| e.code)
        };
        assert_eq!(req(Method::POST, &[]), None);
        assert_eq!(
            req(
                Method::POST,
                &[
                    ("origin", "http://127.0.0.1:4748"),
                    ("sec-fetch-site", "same-origin")
                ]
            ),
            None
        );
        assert_eq!(
            req(Method::POST, &[("origin", "https://evil.example")]),
            Some("cross_site")
        );
        assert_eq!(req(Method::POST, &[("origin", "null")]), Some("cross_site"));
        assert_eq!(
            req(Method::POST, &[("sec-fetch-site", "cross-site")]),
            Some("cross_site")
        );
        assert_eq!(
            req(Method::POST, &[("sec-fetch-site", "same-site")]),
            Some("cross_site")
        );
        assert_eq!(
            req(
                Method::GET,
                &[
                    ("sec-fetch-site", "cross-site"),
                    ("sec-fetch-mode", "no-cors")
                ]
            ),
            Some("cross_site")
        );
        // A link followed to the page.
        assert_eq!(
            req(
                Method::GET,
                &[
                    ("sec-fetch-site", "cross-site"),
                    ("sec-fetch-mode", "navigate")
                ]
            ),
            None
        );
        assert_eq!(
            req(
                Method::POST,
                &[
                    ("sec-fetch-site", "cross-site"),
                    ("sec-fetch-mode", "navigate")
                ]
            ),
            Some("cross_site")
        );
    }
}
