//! Presentations over the real API: an earner's node makes a presentation
//! of badges an issuer's node awarded to the earner's did:key, and a third
//! node verifies it through `POST /v1/verify` (and the VC API's
//! `/presentations/verify`): valid for the challenge and domain it was made
//! for; refused, each with its own message, when replayed with another
//! challenge or domain, when its holder is not a credential's subject, and
//! when tampered with; `revoked` once the issuer revokes one of its badges.
//! The earner key survives a restart and is a private file.

use std::time::Duration;

use badgemesh_tests::{Reply, TestNode, get, post_bytes, post_json, wait_until};
use serde_json::{Value, json};

use crate::support::{admin, award, create_badge, revoke};

fn token(n: &TestNode) -> Option<String> {
    Some(n.node().token().to_owned())
}

/// The earner node's did:key (made on first use).
async fn holder(n: &TestNode) -> String {
    let url = n.url("/v1/admin/backpack/holder");
    let t = n.node().token().to_owned();
    let r = tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut resp = agent
            .get(&url)
            .header("Authorization", &format!("Bearer {t}"))
            .call()
            .expect("http");
        (
            resp.status().as_u16(),
            resp.body_mut().read_to_string().unwrap_or_default(),
        )
    })
    .await
    .expect("task");
    assert_eq!(r.0, 200, "{}", r.1);
    let v: Value = serde_json::from_str(&r.1).expect("json");
    v["did"].as_str().expect("did").to_owned()
}

/// An award of `badge` to `to` as an OB 3.0 credential (`json` or `jwt`).
async fn ob3(issuer: &TestNode, badge: &str, to: &str, format: &str) -> (u64, Vec<u8>) {
    let (assertion, index, _) = award(issuer, badge, to).await;
    let r = admin(
        issuer,
        "/v1/admin/ob3",
        json!({ "assertion": assertion, "format": format }),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    (index, r.bytes)
}

/// Holds a badge in the earner's backpack; returns its id.
async fn hold(earner: &TestNode, bytes: Vec<u8>) -> String {
    let r = post_bytes(
        earner.url("/v1/admin/backpack/badges"),
        token(earner),
        bytes,
    )
    .await;
    assert!(r.status == 201 || r.status == 200, "{:?}", r.json);
    r.json["badge"]["id"].as_str().expect("id").to_owned()
}

async fn present(earner: &TestNode, ids: &[&str], challenge: &str, domain: &str) -> Reply {
    post_json(
        earner.url("/v1/admin/backpack/presentations"),
        token(earner),
        json!({ "badges": ids, "challenge": challenge, "domain": domain }),
    )
    .await
}

async fn verify(n: &TestNode, vp: &Value, challenge: &str, domain: &str) -> Value {
    let url = n.url(&format!("/v1/verify?challenge={challenge}&domain={domain}"));
    let r = post_bytes(url, None, serde_json::to_vec(vp).expect("json")).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    r.json
}

fn check<'a>(v: &'a Value, name: &str) -> (&'a str, &'a str) {
    let c = v["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["check"] == name)
        .unwrap_or_else(|| panic!("no {name} check: {v:#}"));
    (
        c["status"].as_str().unwrap_or(""),
        c["detail"].as_str().unwrap_or(""),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_earners_presentation_verifies_once_and_only_where_it_was_meant_to() {
    let issuer = TestNode::start(vec![]).await;
    let mut earner = TestNode::start(issuer.addrs()).await;
    let verifier = TestNode::start(issuer.addrs()).await;
    // A public base URL: its OB 3.0 credentials then carry a status entry
    // (the network's revocation answers for it).
    let r = admin(
        &issuer,
        "/v1/admin/issuer",
        json!({ "name": "Presentation Academy", "public_base_url": "https://academy.example" }),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    let badge = create_badge(&issuer, "Teamwork").await;
    let me = holder(&earner).await;
    assert!(me.starts_with("did:key:z6Mk"), "{me}");
    assert_eq!(holder(&earner).await, me, "one key");

    // Two badges awarded to the earner's DID (JSON and VC-JWT), one to
    // somebody else's, one native.
    let (mine_index, mine_json) = ob3(&issuer, &badge, &me, "json").await;
    let (_, mine_jwt) = ob3(&issuer, &badge, &me, "jwt").await;
    let (_, theirs) = ob3(
        &issuer,
        &badge,
        "did:key:z6MkpJySvETLnxhQG9DzEdmKJtysBDjuuTeDfUj1uNNCUqcj",
        "json",
    )
    .await;
    let (_, _, native) = award(&issuer, &badge, &me).await;
    let subject: Value = serde_json::from_slice(&mine_json).expect("json");
    assert_eq!(subject["credentialSubject"]["id"], me.as_str());
    for n in [&earner, &verifier] {
        wait_until(
            "the issuer's records to arrive",
            Duration::from_secs(30),
            || {
                let (url, native) = (n.url("/v1/verify"), native.clone());
                async move { post_bytes(url, None, native).await.json["outcome"] == "valid" }
            },
        )
        .await;
    }
    let a = hold(&earner, mine_json).await;
    let b = hold(&earner, mine_jwt).await;
    let c = hold(&earner, theirs).await;
    let d = hold(&earner, native).await;

    let r = present(&earner, &[&a, &b], "c-7f3a", "jobs.example").await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["warnings"], json!([]));
    let vp = r.json["presentation"].clone();
    assert_eq!(vp["holder"], me.as_str());
    assert_eq!(vp["proof"]["proofPurpose"], "authentication");
    assert_eq!(vp["proof"]["cryptosuite"], "eddsa-rdfc-2022");

    let v = verify(&verifier, &vp, "c-7f3a", "jobs.example").await;
    assert_eq!(v["outcome"], "valid", "{v:#}");
    assert_eq!(check(&v, "holder_binding").0, "pass");
    assert_eq!(v["credentials"].as_array().map(Vec::len), Some(2));
    // The VC API's presentation route takes it too.
    let r = post_json(
        verifier.url("/presentations/verify"),
        None,
        json!({ "verifiablePresentation": vp, "options": { "challenge": "c-7f3a", "domain": "jobs.example" } }),
    )
    .await;
    assert_eq!(
        (r.status, &r.json["verified"]),
        (200, &json!(true)),
        "{:?}",
        r.json
    );

    // A presentation is not a badge to keep.
    let r = post_bytes(
        earner.url("/v1/admin/backpack/badges"),
        token(&earner),
        serde_json::to_vec(&vp).expect("json"),
    )
    .await;
    assert_eq!(
        (r.status, r.json["error"].as_str()),
        (400, Some("not_a_badge")),
        "{:?}",
        r.json
    );

    // Replayed with another challenge, or to another verifier.
    let v = verify(&verifier, &vp, "c-0000", "jobs.example").await;
    assert_eq!(v["outcome"], "invalid");
    let (st, why) = check(&v, "challenge");
    assert!(st == "fail" && why.contains("replay"), "{why}");
    let v = verify(&verifier, &vp, "c-7f3a", "evil.example").await;
    assert_eq!(v["outcome"], "invalid");
    let (st, why) = check(&v, "domain");
    assert!(st == "fail" && why.contains("jobs.example"), "{why}");

    // Tampered: another badge name inside it.
    let mut tampered = vp.clone();
    tampered["verifiableCredential"][0]["name"] = "Rocket Science".into();
    let v = verify(&verifier, &tampered, "c-7f3a", "jobs.example").await;
    assert_eq!(v["outcome"], "invalid", "{v:#}");
    let (st, why) = check(&v, "presentation_proof");
    assert!(st == "fail" && why.contains("does not verify"), "{why}");

    // Somebody else's badge: made, with a warning, and refused.
    let r = present(&earner, &[&a, &c], "c-7f3a", "jobs.example").await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert!(
        r.json["warnings"]
            .to_string()
            .contains("not to this backpack's key"),
        "{:?}",
        r.json
    );
    let v = verify(&verifier, &r.json["presentation"], "c-7f3a", "jobs.example").await;
    assert_eq!(v["outcome"], "invalid");
    let (st, why) = check(&v, "holder_binding");
    assert!(st == "fail" && why.contains("not to the holder"), "{why}");

    // A native badge is not a Verifiable Credential.
    let r = present(&earner, &[&a, &d], "c-7f3a", "jobs.example").await;
    assert_eq!(
        (r.status, r.json["error"].as_str()),
        (400, Some("not_a_credential")),
        "{:?}",
        r.json
    );
    assert!(
        r.json["message"]
            .as_str()
            .unwrap_or("")
            .contains("--format ob3"),
        "{:?}",
        r.json
    );

    // The issuer revokes one: the same presentation is revoked now.
    revoke(&issuer, &[mine_index]).await;
    wait_until(
        "the revocation to reach the verifier",
        Duration::from_secs(30),
        || {
            let (url, body) = (
                verifier.url("/v1/verify?challenge=c-7f3a&domain=jobs.example"),
                serde_json::to_vec(&vp).expect("json"),
            );
            async move { post_bytes(url, None, body).await.json["outcome"] == "revoked" }
        },
    )
    .await;

    // The key is the earner's file, private, and the same after a restart.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let path = earner.dir.path().join("earner.key");
        let mode = std::fs::metadata(&path)
            .expect("earner.key")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    earner.stop().await;
    earner.restart().await;
    assert_eq!(holder(&earner).await, me);
    let _ = get(earner.url("/healthz")).await;
}
