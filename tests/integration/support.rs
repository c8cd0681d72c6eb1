//! Helpers shared by the integration modules: driving a node's issuer
//! through its HTTP API.

use badgemesh_tests::{Reply, TestNode, get, post_json};
use serde_json::{Value, json};

/// Creates the node's issuer; returns its DID.
pub async fn init_issuer(n: &TestNode, name: &str) -> String {
    let r = admin(
        n,
        "/v1/admin/issuer",
        json!({ "name": name, "url": "https://academy.example" }),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    r.json["did"].as_str().expect("did").to_owned()
}

/// Creates a badge class; returns its id.
pub async fn create_badge(n: &TestNode, name: &str) -> String {
    let body = json!({ "name": name, "description": format!("{name} badge"), "criteria": "Do the thing." });
    let r = admin(n, "/v1/admin/badges", body).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    r.json["id"].as_str().expect("id").to_owned()
}

/// Awards a badge; returns (assertion id, status index, envelope bytes).
pub async fn award(n: &TestNode, badge: &str, to: &str) -> (String, u64, Vec<u8>) {
    use base64::Engine;
    let r = admin(
        n,
        "/v1/admin/awards",
        json!({ "badge": badge, "recipient": to }),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(r.json["assertion"].as_str().expect("assertion"))
        .expect("base64");
    (
        r.json["id"].as_str().expect("id").to_owned(),
        r.json["status_index"].as_u64().expect("index"),
        bytes,
    )
}

/// Revokes status indices; returns the revocation sequence number.
pub async fn revoke(n: &TestNode, indices: &[u64]) -> u64 {
    let r = admin(n, "/v1/admin/revocations", json!({ "indices": indices })).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    r.json["seq"].as_u64().expect("seq")
}

/// POSTs to an admin route with the node's token.
pub async fn admin(n: &TestNode, path: &str, body: Value) -> Reply {
    post_json(n.url(path), Some(n.node().token().to_owned()), body).await
}

/// The issuer as the node's API shows it (Null if unknown).
pub async fn issuer_view(n: &TestNode, did: &str) -> Value {
    let r = get(n.url(&format!("/v1/issuers/{did}"))).await;
    if r.status == 200 { r.json } else { Value::Null }
}
