//! The API's front door: DNS rebinding and cross-site requests are refused,
//! verification runs in a bounded pool (503 when its queue is full), and an
//! abandoned request's work stops.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::Ordering;
use std::time::Duration;

use badgemesh_tests::{TestNode, wait_until};

/// Sends `head` (request line and headers, without the final blank line)
/// and `body` over a raw connection; returns the status and the body text.
fn raw(addr: SocketAddr, head: &str, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let head = format!(
        "{head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("write head");
    stream.write_all(body).expect("write body");
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

async fn raw_async(addr: SocketAddr, head: String, body: Vec<u8>) -> (u16, String) {
    tokio::task::spawn_blocking(move || raw(addr, &head, &body))
        .await
        .expect("http task")
}

/// A body that is not native (so it goes to the pool) and verifies quickly.
const NOT_NATIVE: &[u8] = br#"{"@context": []}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns_rebinding_hosts_are_refused() {
    let n = TestNode::start(vec![]).await;
    let addr = n.node().api_addr();
    for path in [
        "/v1/node",
        "/v1/peers",
        "/metrics",
        "/v1/export",
        "/healthz",
    ] {
        let (status, body) = raw_async(
            addr,
            format!("GET {path} HTTP/1.1\r\nHost: evil.example"),
            vec![],
        )
        .await;
        assert_eq!(status, 403, "{path}: {body}");
        assert!(body.contains("\"unknown_host\""), "{path}: {body}");
        let (status, body) = raw_async(
            addr,
            format!("GET {path} HTTP/1.1\r\nHost: evil.example:{}", addr.port()),
            vec![],
        )
        .await;
        assert_eq!(status, 403, "{path} with the port: {body}");
        // The API's own address and localhost are served.
        for host in [addr.to_string(), format!("localhost:{}", addr.port())] {
            let (status, body) =
                raw_async(addr, format!("GET {path} HTTP/1.1\r\nHost: {host}"), vec![]).await;
            assert_eq!(status, 200, "{path} for {host}: {body}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_name_is_served() {
    let n = TestNode::start_with(vec![], |c| c.api_hosts = vec!["badges.example.org".into()]).await;
    let addr = n.node().api_addr();
    let (status, body) = raw_async(
        addr,
        "GET /v1/node HTTP/1.1\r\nHost: badges.example.org".into(),
        vec![],
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cross_site_no_cors_post_is_refused_before_any_work() {
    let n = TestNode::start(vec![]).await;
    let addr = n.node().api_addr();
    // What a browser sends for fetch(url, {method: "POST", mode: "no-cors", body})
    // from another site.
    let (status, body) = raw_async(
        addr,
        format!(
            "POST /v1/verify HTTP/1.1\r\nHost: {addr}\r\nOrigin: https://evil.example\r\n\
             Sec-Fetch-Site: cross-site\r\nSec-Fetch-Mode: no-cors\r\nContent-Type: text/plain;charset=UTF-8"
        ),
        NOT_NATIVE.to_vec(),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("\"cross_site\""), "{body}");
    // An old browser without Sec-Fetch-* still sends Origin.
    let (status, _) = raw_async(
        addr,
        format!("POST /v1/verify HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://evil.example"),
        NOT_NATIVE.to_vec(),
    )
    .await;
    assert_eq!(status, 403);
    let stats = n.node().verify_pool().stats();
    assert_eq!(
        stats.completed.load(Ordering::Relaxed),
        0,
        "no work was done"
    );
    // The page's own requests (same origin) are served.
    let (status, body) = raw_async(
        addr,
        format!(
            "POST /v1/verify HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\n\
             Sec-Fetch-Site: same-origin\r\nSec-Fetch-Mode: cors"
        ),
        NOT_NATIVE.to_vec(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(stats.completed.load(Ordering::Relaxed), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_gets_503_verify_busy() {
    let n = TestNode::start_with(vec![], |c| {
        c.verify_workers = 1;
        c.verify_queue = 1;
    })
    .await;
    let addr = n.node().api_addr();
    let pool = n.node().verify_pool().clone();
    pool.set_gate_open(false);
    let post = || {
        raw_async(
            addr,
            format!("POST /v1/verify HTTP/1.1\r\nHost: {addr}"),
            NOT_NATIVE.to_vec(),
        )
    };
    // One runs (held at the gate), one waits for the worker.
    let first = tokio::spawn(post());
    wait_until(
        "the first verification at the gate",
        Duration::from_secs(20),
        || {
            let p = pool.clone();
            async move { p.waiting_at_gate() == 1 }
        },
    )
    .await;
    let second = tokio::spawn(post());
    wait_until("the second request queued", Duration::from_secs(20), || {
        let p = pool.clone();
        async move { p.in_flight() == 2 }
    })
    .await;
    let (status, body) = post().await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("\"verify_busy\""), "{body}");
    assert_eq!(pool.stats().refused.load(Ordering::Relaxed), 1);
    // Once the worker is free both are answered.
    pool.set_gate_open(true);
    for r in [first, second] {
        let (status, body) = r.await.expect("request task");
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(pool.stats().completed.load(Ordering::Relaxed), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_request_stops_its_work() {
    let n = TestNode::start(vec![]).await;
    let addr = n.node().api_addr();
    let pool = n.node().verify_pool().clone();
    pool.set_gate_open(false);
    let client = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(addr).expect("connect");
        let head = format!(
            "POST /v1/verify HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n",
            NOT_NATIVE.len()
        );
        stream.write_all(head.as_bytes()).expect("head");
        stream.write_all(NOT_NATIVE).expect("body");
        stream
    });
    let stream = client.await.expect("client task");
    wait_until(
        "the verification at the gate",
        Duration::from_secs(20),
        || {
            let p = pool.clone();
            async move { p.waiting_at_gate() == 1 }
        },
    )
    .await;
    // The client goes away before the answer.
    stream.shutdown(Shutdown::Both).expect("shutdown");
    drop(stream);
    wait_until(
        "the request counted as abandoned",
        Duration::from_secs(20),
        || {
            let p = pool.clone();
            async move { p.stats().abandoned.load(Ordering::Relaxed) == 1 }
        },
    )
    .await;
    pool.set_gate_open(true);
    wait_until("the work stopped", Duration::from_secs(20), || {
        let p = pool.clone();
        async move { p.stats().stopped.load(Ordering::Relaxed) == 1 }
    })
    .await;
    assert_eq!(pool.stats().completed.load(Ordering::Relaxed), 0);
    assert_eq!(pool.in_flight(), 0, "its permits are back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_over_budget_credential_gets_400_over_budget() {
    let n = TestNode::start(vec![]).await;
    let mut doc: serde_json::Value = serde_json::from_str(include_str!(
        "../../openbadges/tests/vectors/exported-credential.json"
    ))
    .expect("vector");
    doc["proof"] = serde_json::Value::Array(vec![doc["proof"].clone(); 2_800]);
    let body = serde_json::to_vec(&doc).expect("json");
    let r = badgemesh_tests::post_bytes(n.url("/v1/verify"), None, body).await;
    assert_eq!(r.status, 400, "{:?}", r.json);
    assert_eq!(r.json["error"], "over_budget");
    let message = r.json["message"].as_str().unwrap_or_default();
    assert!(message.contains("2800 proofs (at most 4"), "{message}");
}
