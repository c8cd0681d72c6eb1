//! Talking to the node that runs on a data directory, through its API.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use badgemesh_node::datadir::{NodeInfo, TOKEN_FILE, read_secret};
use serde_json::Value;

use crate::fail::{storage, usage};

/// A node's API.
pub struct NodeClient {
    base: String,
    data_dir: PathBuf,
    agent: ureq::Agent,
}

/// An answer from the API.
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The body as JSON (Null if not JSON).
    pub json: Value,
    /// The raw body.
    pub bytes: Vec<u8>,
    /// The path of the next page of a paged list (its `Link: <...>;
    /// rel="next"` header), if more follow.
    pub next: Option<String>,
}

impl Answer {
    /// The API's error message, or the status.
    pub fn error_message(&self) -> String {
        match self.json["message"].as_str() {
            Some(m) => m.to_owned(),
            None => format!("the node answered HTTP {}", self.status),
        }
    }

    /// Fails unless the status is 2xx; a storage problem on the node (its
    /// `error` code starts with `storage_`) exits with [`crate::fail::STORAGE`].
    pub fn ok(self) -> Result<Answer> {
        if (200..300).contains(&self.status) {
            Ok(self)
        } else if self.json["error"]
            .as_str()
            .is_some_and(|c| c.starts_with("storage_"))
        {
            Err(storage(self.error_message()))
        } else {
            Err(usage(self.error_message()))
        }
    }
}

impl NodeClient {
    /// Finds the node running on `data_dir` from its `node.json`.
    pub fn find(data_dir: &Path) -> Result<NodeClient> {
        let info = NodeInfo::read(data_dir)
            .map_err(|e| usage(format!("cannot read the node's address: {e}")))?
            .ok_or_else(|| {
                usage(format!(
                    "no node is running on {} (no node.json); start one with `badgemesh node run`",
                    data_dir.display()
                ))
            })?;
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();
        Ok(NodeClient {
            base: info.api,
            data_dir: data_dir.to_owned(),
            agent,
        })
    }

    /// Base URL of the node's API.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn token(&self) -> Result<String> {
        let path = self.data_dir.join(TOKEN_FILE);
        let bytes = read_secret(&path)
            .map_err(|e| usage(format!("cannot read the admin token: {e}")))?
            .ok_or_else(|| {
                usage(format!(
                    "no admin token at {}; is this the node's data directory?",
                    path.display()
                ))
            })?;
        Ok(String::from_utf8_lossy(&bytes).trim().to_owned())
    }

    fn answer(
        &self,
        r: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Answer> {
        let mut resp = r.map_err(|e| {
            usage(format!(
                "the node at {} is not reachable ({e}); is it running? start it with `badgemesh node run`",
                self.base
            ))
        })?;
        let status = resp.status().as_u16();
        let next = resp
            .headers()
            .get("link")
            .and_then(|v| v.to_str().ok())
            .and_then(next_link);
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_vec()
            .context("reading the node's answer")?;
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Answer {
            status,
            json,
            bytes,
            next,
        })
    }

    /// GET a path.
    pub fn get(&self, path: &str) -> Result<Answer> {
        self.get_query(path, &[])
    }

    /// GET a path with query parameters (encoded by the HTTP client).
    pub fn get_query(&self, path: &str, query: &[(&str, String)]) -> Result<Answer> {
        let req = self
            .agent
            .get(format!("{}{path}", self.base))
            .query_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        self.answer(req.call())
    }

    /// POST raw bytes to an open route, with query parameters.
    pub fn post_bytes(&self, path: &str, query: &[(&str, String)], body: &[u8]) -> Result<Answer> {
        let req = self
            .agent
            .post(format!("{}{path}", self.base))
            .query_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        self.answer(req.send(body))
    }

    /// POST JSON to an admin route.
    pub fn admin(&self, path: &str, body: &Value) -> Result<Answer> {
        let token = self.token()?;
        self.answer(
            self.agent
                .post(format!("{}{path}", self.base))
                .header("Authorization", &format!("Bearer {token}"))
                .send_json(body),
        )
    }

    /// POST raw bytes with a query and the admin token (an open route asked
    /// for what only the operator may ask, such as an online verification).
    pub fn post_bytes_as_admin(
        &self,
        path: &str,
        query: &[(&str, String)],
        body: &[u8],
    ) -> Result<Answer> {
        let token = self.token()?;
        self.answer(
            self.agent
                .post(format!("{}{path}", self.base))
                .query_pairs(query.iter().map(|(k, v)| (*k, v.as_str())))
                .header("Authorization", &format!("Bearer {token}"))
                .send(body),
        )
    }

    /// GET an admin route (the backpack: an earner's badges are not for
    /// every local process to read), with query parameters.
    pub fn admin_get(&self, path: &str, query: &[(&str, String)]) -> Result<Answer> {
        let token = self.token()?;
        self.answer(
            self.agent
                .get(format!("{}{path}", self.base))
                .query_pairs(query.iter().map(|(k, v)| (*k, v.as_str())))
                .header("Authorization", &format!("Bearer {token}"))
                .call(),
        )
    }

    /// GET on an admin route whose answer is a file: streamed into `out`
    /// (no size limit and no overall timeout: a store may be gigabytes).
    /// Returns the bytes written; an error answer is an error.
    pub fn admin_download(&self, path: &str, out: &mut impl std::io::Write) -> Result<u64> {
        let token = self.token()?;
        let r = self
            .agent
            .get(format!("{}{path}", self.base))
            .config()
            .timeout_global(None)
            .build()
            .header("Authorization", &format!("Bearer {token}"))
            .call();
        let mut resp = match r {
            Ok(resp) if resp.status().as_u16() == 200 => resp,
            other => {
                self.answer(other)?.ok()?;
                return Err(usage(format!("the node did not send {path}")));
            }
        };
        let mut body = resp.body_mut().with_config().limit(u64::MAX).reader();
        std::io::copy(&mut body, out).context("receiving the node's answer")
    }

    /// DELETE on an admin route.
    pub fn admin_delete(&self, path: &str) -> Result<Answer> {
        let token = self.token()?;
        self.answer(
            self.agent
                .delete(format!("{}{path}", self.base))
                .header("Authorization", &format!("Bearer {token}"))
                .call(),
        )
    }

    /// PUT JSON to an admin route.
    pub fn admin_put(&self, path: &str, body: &Value) -> Result<Answer> {
        let token = self.token()?;
        self.answer(
            self.agent
                .put(format!("{}{path}", self.base))
                .header("Authorization", &format!("Bearer {token}"))
                .send_json(body),
        )
    }

    /// POST raw bytes to an admin route.
    pub fn admin_bytes(&self, path: &str, body: &[u8]) -> Result<Answer> {
        let token = self.token()?;
        self.answer(
            self.agent
                .post(format!("{}{path}", self.base))
                .header("Authorization", &format!("Bearer {token}"))
                .send(body),
        )
    }
}

/// The target of the `rel="next"` entry of a `Link` header (RFC 8288), when
/// it is a path on the same node.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|entry| {
        let (target, params) = entry.trim().split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let next = params
            .split(';')
            .any(|p| p.trim().eq_ignore_ascii_case("rel=\"next\""));
        (next && target.starts_with('/')).then(|| target.to_owned())
    })
}

#[cfg(test)]
mod link_tests {
    use super::next_link;

    #[test]
    fn the_next_page_is_found() {
        assert_eq!(
            next_link("</v1/badges?after=x&limit=2>; rel=\"next\"").as_deref(),
            Some("/v1/badges?after=x&limit=2")
        );
        assert_eq!(next_link("</a>; rel=\"prev\""), None);
        assert_eq!(next_link("<https://evil.example/>; rel=\"next\""), None);
    }
}
