//! The HTTP API: verdicts equal the protocol's, admin needs the token, huge
//! bodies are refused and the node keeps serving.

use std::io::{Read, Write};
use std::time::Duration;

use badgemesh_protocol::verify::{VerifyOptions, verify};
use badgemesh_tests::{TestNode, get, post_bytes, post_json};
use serde_json::json;

use crate::support::{admin, award, create_badge, init_issuer, revoke};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_over_http_equals_the_protocol_verdict() {
    let n = TestNode::start(vec![]).await;
    init_issuer(&n, "API Academy").await;
    let badge = create_badge(&n, "Curl").await;
    let (id, index, bytes) = award(&n, &badge, "ada@example.org").await;
    let at = "2100-01-01T00:00:00Z";
    for expected in ["valid", "revoked"] {
        let r = post_bytes(
            n.url(&format!("/v1/verify?at={at}&recipient=ada@example.org")),
            None,
            bytes.clone(),
        )
        .await;
        assert_eq!(r.status, 200, "{:?}", r.json);
        let opts = VerifyOptions {
            recipient: Some("ada@example.org"),
            max_age_secs: None,
        };
        let local = n
            .node()
            .core()
            .ledger
            .read(|reg| verify(&bytes, reg, at.parse().expect("time"), &opts))
            .expect("verdict");
        let local = serde_json::to_value(&local).expect("json");
        for key in [
            "outcome",
            "assertion",
            "issuer",
            "badge_class",
            "revocation",
            "checked_at",
        ] {
            assert_eq!(r.json[key], local[key], "{key} differs");
        }
        // The protocol's checks, then who vouches for the issuer (nobody:
        // this node follows no registry).
        let mut checks = r.json["checks"].as_array().cloned().expect("checks");
        let trust = checks.pop().expect("issuer_trust");
        assert_eq!(serde_json::Value::Array(checks), local["checks"]);
        assert_eq!(trust["check"], "issuer_trust");
        assert_eq!(trust["status"], "unknown");
        assert_eq!(r.json["trust"]["state"], "unlisted");
        assert_eq!(r.json["outcome"], expected);
        assert_eq!(r.json["issuer_name"], "API Academy");
        assert_eq!(r.json["badge"]["name"], "Curl");
        revoke(&n, &[index]).await;
    }
    let status = get(n.url(&format!("/v1/assertions/{id}/status"))).await;
    assert_eq!(status.status, 200);
    assert_eq!(status.json["revoked"], true);
    assert_eq!(status.json["revoked_by"]["seq"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_json_errors() {
    let n = TestNode::start(vec![]).await;
    let r = post_bytes(n.url("/v1/verify"), None, b"hello".to_vec()).await;
    assert_eq!(
        (r.status, r.json["error"].as_str()),
        (400, Some("unrecognised_format"))
    );
    let r = post_bytes(n.url("/v1/verify"), None, vec![0xd2, 0x84, 0x00]).await;
    assert_eq!(
        (r.status, r.json["error"].as_str()),
        (400, Some("not_an_assertion"))
    );
    let r = post_bytes(n.url("/v1/verify"), None, br#"{"@context": []}"#.to_vec()).await;
    assert_eq!(
        (r.status, r.json["outcome"].as_str()),
        (200, Some("invalid")),
        "{:?}",
        r.json
    );
    let r = get(n.url("/v1/assertions/nonsense/status")).await;
    assert_eq!((r.status, r.json["error"].as_str()), (400, Some("bad_id")));
    let r = get(n.url("/v1/issuers/did:key:zNotAKey")).await;
    assert_eq!((r.status, r.json["error"].as_str()), (400, Some("bad_did")));
    let r = admin(
        &n,
        "/v1/admin/badges",
        json!({ "name": "x", "description": "y", "criteria": "z" }),
    )
    .await;
    assert_eq!(
        (r.status, r.json["error"].as_str()),
        (409, Some("no_issuer"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_routes_need_the_token() {
    let n = TestNode::start(vec![]).await;
    let body = json!({ "name": "Intruder" });
    let none = post_json(n.url("/v1/admin/issuer"), None, body.clone()).await;
    assert_eq!(
        (none.status, none.json["error"].as_str()),
        (401, Some("unauthorized"))
    );
    let wrong = post_json(
        n.url("/v1/admin/issuer"),
        Some("0".repeat(64)),
        body.clone(),
    )
    .await;
    assert_eq!(wrong.status, 401);
    assert!(
        n.node().issuer().id().await.is_none(),
        "nothing was created"
    );
    let right = post_json(
        n.url("/v1/admin/issuer"),
        Some(n.node().token().to_owned()),
        body,
    )
    .await;
    assert_eq!(right.status, 201);
    let token_file = n.dir.path().join("admin.token");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(token_file)
                .expect("token")
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
    }
}

/// Sends a body of `size` bytes over a raw connection while reading the
/// response concurrently; returns the status line.
fn post_huge(addr: std::net::SocketAddr, size: usize) -> String {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut writer = stream.try_clone().expect("clone");
    let head = format!(
        "POST /v1/verify HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {size}\r\nContent-Type: application/octet-stream\r\n\r\n"
    );
    let sender = std::thread::spawn(move || {
        if writer.write_all(head.as_bytes()).is_err() {
            return;
        }
        let chunk = vec![0xd2u8; 1 << 20];
        for _ in 0..size / chunk.len() {
            if writer.write_all(&chunk).is_err() {
                return; // the server stopped reading: expected
            }
        }
    });
    let mut buf = [0u8; 512];
    let n = stream.read(&mut buf).unwrap_or(0);
    let _ = sender.join();
    String::from_utf8_lossy(&buf[..n])
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mb_body_gets_413_and_the_node_keeps_serving() {
    let n = TestNode::start(vec![]).await;
    let addr = n.node().api_addr();
    let status = tokio::task::spawn_blocking(move || post_huge(addr, 100 << 20))
        .await
        .expect("task");
    assert!(status.contains(" 413 "), "status line: {status:?}");
    let health = get(n.url("/healthz")).await;
    assert_eq!(
        (health.status, health.json["status"].as_str()),
        (200, Some("ok"))
    );
}
