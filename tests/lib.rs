//! Shared helpers for the integration tests: nodes on loopback with temporary
//! data directories, polling with a deadline, and a small HTTP client.

use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use badgemesh_node::config::Config;
use badgemesh_node::node::Node;
use badgemesh_protocol::time::Timestamp;
use libp2p::Multiaddr;
use serde_json::Value;

/// A node on loopback with its own temporary data directory.
pub struct TestNode {
    /// The running node (None while stopped).
    pub node: Option<Node>,
    /// Its data directory (kept across restarts).
    pub dir: tempfile::TempDir,
    /// Where it bootstraps.
    pub bootstrap: Vec<Multiaddr>,
}

impl TestNode {
    /// Starts a node that dials `bootstrap`.
    pub async fn start(bootstrap: Vec<Multiaddr>) -> TestNode {
        TestNode::start_with(bootstrap, |_| {}).await
    }

    /// Starts a node that dials `bootstrap`, with its test configuration
    /// changed by `tweak` (quotas, for instance). A restart uses the plain
    /// test configuration.
    pub async fn start_with(
        bootstrap: Vec<Multiaddr>,
        tweak: impl FnOnce(&mut Config),
    ) -> TestNode {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut c = config(dir.path().to_path_buf(), &bootstrap);
        tweak(&mut c);
        let node = Node::start(c).await.expect("node starts");
        TestNode {
            node: Some(node),
            dir,
            bootstrap,
        }
    }

    /// The running node.
    pub fn node(&self) -> &Node {
        self.node.as_ref().expect("node is running")
    }

    /// Its dialable addresses.
    pub fn addrs(&self) -> Vec<Multiaddr> {
        self.node().p2p_addrs()
    }

    /// Base URL of its API.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.node().api_addr())
    }

    /// Stops it, keeping the data directory.
    pub async fn stop(&mut self) {
        if let Some(n) = self.node.take() {
            n.shutdown().await;
        }
    }

    /// Starts it again on the same data directory.
    pub async fn restart(&mut self) {
        let n = Node::start(config(self.dir.path().to_path_buf(), &self.bootstrap))
            .await
            .expect("node restarts");
        self.node = Some(n);
    }
}

fn config(dir: PathBuf, bootstrap: &[Multiaddr]) -> Config {
    let mut c = Config::loopback(dir);
    c.bootstrap = bootstrap.iter().map(ToString::to_string).collect();
    c.sync_interval_secs = 2;
    c
}

/// Polls `cond` until it holds or `limit` passes; returns the time it took.
pub async fn wait_until<F, Fut>(what: &str, limit: Duration, mut cond: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if cond().await {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The wall clock as the protocol's time.
pub fn now() -> Timestamp {
    badgemesh_node::core::now()
}

/// An HTTP response: status and parsed JSON body (Null if none).
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Body as JSON.
    pub json: Value,
    /// The body as sent.
    pub bytes: Vec<u8>,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn reply(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    match r {
        Ok(mut resp) => {
            let status = resp.status().as_u16();
            let bytes = resp
                .body_mut()
                .with_config()
                .limit(64 << 20)
                .read_to_vec()
                .unwrap_or_default();
            Reply {
                status,
                json: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                bytes,
            }
        }
        Err(e) => Reply {
            status: 0,
            json: Value::String(e.to_string()),
            bytes: Vec::new(),
        },
    }
}

/// GET `url`.
pub async fn get(url: String) -> Reply {
    tokio::task::spawn_blocking(move || reply(agent().get(&url).call()))
        .await
        .expect("http task")
}

/// POST JSON with an optional bearer token.
pub async fn post_json(url: String, token: Option<String>, body: Value) -> Reply {
    tokio::task::spawn_blocking(move || {
        let mut req = agent().post(&url);
        if let Some(t) = token {
            req = req.header("Authorization", &format!("Bearer {t}"));
        }
        reply(req.send_json(&body))
    })
    .await
    .expect("http task")
}

/// `method` (GET, POST, PUT, DELETE) with no body and no token.
pub async fn request(method: &'static str, url: String) -> Reply {
    tokio::task::spawn_blocking(move || {
        let a = agent();
        reply(match method {
            "GET" => a.get(&url).call(),
            "DELETE" => a.delete(&url).call(),
            "PUT" => a.put(&url).send_empty(),
            _ => a.post(&url).send_empty(),
        })
    })
    .await
    .expect("http task")
}

/// POST raw bytes with an optional bearer token.
pub async fn post_bytes(url: String, token: Option<String>, body: Vec<u8>) -> Reply {
    tokio::task::spawn_blocking(move || {
        let mut req = agent().post(&url);
        if let Some(t) = token {
            req = req.header("Authorization", &format!("Bearer {t}"));
        }
        reply(req.send(&body[..]))
    })
    .await
    .expect("http task")
}
