//! Bounded HTTP GETs of issuers' documents, only when the operator allows
//! network access.
//!
//! Verification is offline; fetching is a separate, optional step that adds
//! held documents (hosted OB 2.0 assertions, BadgeClasses, Profiles) for it
//! to use. Everything a fetch does is bounded, because the URLs come from
//! badges anyone can write: `https` only (plain `http` only to a loopback
//! address, which tests use), at most [`MAX_REDIRECTS`] redirects, each hop
//! checked again, a body of at most [`MAX_DOCUMENT_BYTES`], and a deadline
//! per request. The client is blocking (`ureq`): the node runs fetches on
//! tokio's blocking threads, never in the verification pool, so a slow
//! server holds up only the verification that named it.

use std::time::Duration;

/// The largest document fetched; a badge document is a few KiB.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// Redirects followed, at most (each hop is checked like the first URL).
pub const MAX_REDIRECTS: usize = 3;
/// The default deadline of one request, redirects included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a URL could not be fetched.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchError {
    /// Not `https`, or `http` to a host that is not loopback.
    #[error("{0} is not fetched: only https URLs (and http to loopback) are")]
    Scheme(String),
    /// More redirects than [`MAX_REDIRECTS`], or one without a usable target.
    #[error("{0}: too many redirects, or a redirect without a usable Location")]
    Redirects(String),
    /// The server answered with an error status (other than 410, which is
    /// an answer: see [`Response::gone`]).
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The URL asked for.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The body is larger than [`MAX_DOCUMENT_BYTES`].
    #[error("{0} is larger than {MAX_DOCUMENT_BYTES} bytes")]
    TooLarge(String),
    /// The body is not UTF-8 text.
    #[error("{0} is not UTF-8 text")]
    NotText(String),
    /// Connection failure, TLS failure or the deadline passed.
    #[error("{url}: {why}")]
    Transport {
        /// The URL asked for.
        url: String,
        /// What went wrong.
        why: String,
    },
}

/// What a server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The URL asked for (not the last redirect's).
    pub url: String,
    /// The document, empty when [`Response::gone`].
    pub text: String,
    /// The server answered `410 Gone`: for a hosted OB 2.0 assertion, the
    /// issuer's way of revoking it.
    pub gone: bool,
}

/// A blocking HTTP client with the bounds above.
#[derive(Clone)]
pub struct Fetcher {
    agent: ureq::Agent,
    timeout: Duration,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Default for Fetcher {
    fn default() -> Self {
        Fetcher::new(DEFAULT_TIMEOUT)
    }
}

impl Fetcher {
    /// A client whose requests each finish within `timeout`.
    pub fn new(timeout: Duration) -> Fetcher {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            // Redirects are followed here, one hop at a time, so that each
            // target is checked like the first URL.
            .max_redirects(0)
            .http_status_as_error(false)
            .user_agent(concat!("badgemesh/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Fetcher { agent, timeout }
    }

    /// The deadline of one request.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// GETs `url` as JSON, following up to [`MAX_REDIRECTS`] redirects.
    pub fn get(&self, url: &str) -> Result<Response, FetchError> {
        let mut at = url.to_owned();
        for _ in 0..=MAX_REDIRECTS {
            allowed(&at)?;
            let mut resp = self
                .agent
                .get(&at)
                .header("Accept", "application/ld+json, application/json;q=0.9")
                .call()
                .map_err(|e| FetchError::Transport {
                    url: url.to_owned(),
                    why: e.to_string(),
                })?;
            let status = resp.status().as_u16();
            if (300..400).contains(&status) {
                let next = resp
                    .headers()
                    .get("location")
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| resolve(&at, l))
                    .ok_or_else(|| FetchError::Redirects(url.to_owned()))?;
                at = next;
                continue;
            }
            if status == 410 {
                return Ok(Response {
                    url: url.to_owned(),
                    text: String::new(),
                    gone: true,
                });
            }
            if !(200..300).contains(&status) {
                return Err(FetchError::Status {
                    url: url.to_owned(),
                    status,
                });
            }
            let bytes = resp
                .body_mut()
                .with_config()
                .limit(MAX_DOCUMENT_BYTES as u64)
                .read_to_vec()
                .map_err(|e| match e {
                    ureq::Error::BodyExceedsLimit(_) => FetchError::TooLarge(url.to_owned()),
                    e => FetchError::Transport {
                        url: url.to_owned(),
                        why: e.to_string(),
                    },
                })?;
            let text = String::from_utf8(bytes).map_err(|_| FetchError::NotText(url.to_owned()))?;
            return Ok(Response {
                url: url.to_owned(),
                text,
                gone: false,
            });
        }
        Err(FetchError::Redirects(url.to_owned()))
    }
}

/// `Ok` for an https URL or an http URL to a loopback host.
pub fn allowed(url: &str) -> Result<(), FetchError> {
    let refuse = || FetchError::Scheme(url.chars().take(200).collect());
    if let Some(rest) = url.strip_prefix("https://") {
        return if authority(rest).is_empty() {
            Err(refuse())
        } else {
            Ok(())
        };
    }
    let rest = url.strip_prefix("http://").ok_or_else(refuse)?;
    let host_port = authority(rest);
    let host = if host_port.starts_with('[') {
        host_port.split(']').next().map(|h| &h[1..]).unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback { Ok(()) } else { Err(refuse()) }
}

/// The host and port of the part of a URL after its scheme.
fn authority(rest: &str) -> &str {
    let a = rest.split(['/', '?', '#']).next().unwrap_or("");
    a.rsplit('@').next().unwrap_or("")
}

/// A redirect's `Location`, made absolute against the URL it came from.
fn resolve(base: &str, location: &str) -> Option<String> {
    if location.starts_with("https://") || location.starts_with("http://") {
        return Some(location.to_owned());
    }
    let scheme_end = base.find("://")? + 3;
    let host_end = base[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(base.len(), |i| scheme_end + i);
    if let Some(rest) = location.strip_prefix("//") {
        return Some(format!("{}{rest}", &base[..scheme_end]));
    }
    if location.starts_with('/') {
        return Some(format!("{}{location}", &base[..host_end]));
    }
    // A relative path: next to the last segment of the base's path.
    let path_end = base[host_end..]
        .find(['?', '#'])
        .map_or(base.len(), |i| host_end + i);
    let dir_end = base[host_end..path_end]
        .rfind('/')
        .map_or(host_end, |i| host_end + i);
    Some(format!("{}/{location}", &base[..dir_end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_and_loopback_http_are_fetched() {
        for ok in [
            "https://issuer.example/a.json",
            "http://127.0.0.1:8080/a.json",
            "http://localhost/a",
            "http://[::1]:9/a",
            "http://127.9.9.9/a",
        ] {
            assert_eq!(allowed(ok), Ok(()), "{ok}");
        }
        for refused in [
            "http://issuer.example/a.json",
            "http://10.0.0.1/a",
            "http://127.0.0.1.evil.example/a",
            "http://localhost@evil.example/a",
            "ftp://127.0.0.1/a",
            "file:///etc/passwd",
            "https:///a",
            "data:application/json,{}",
        ] {
            assert!(
                matches!(allowed(refused), Err(FetchError::Scheme(_))),
                "{refused}"
            );
        }
    }

    #[test]
    fn redirect_targets_are_made_absolute() {
        let base = "https://a.example/x/y.json?q=1";
        assert_eq!(
            resolve(base, "https://b.example/z").as_deref(),
            Some("https://b.example/z")
        );
        assert_eq!(
            resolve(base, "//c.example/z").as_deref(),
            Some("https://c.example/z")
        );
        assert_eq!(
            resolve(base, "/z.json").as_deref(),
            Some("https://a.example/z.json")
        );
        assert_eq!(
            resolve(base, "z.json").as_deref(),
            Some("https://a.example/x/z.json")
        );
        assert_eq!(
            resolve("https://a.example", "z").as_deref(),
            Some("https://a.example/z")
        );
    }
}
