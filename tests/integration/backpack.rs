//! The earner's backpack over the real API of a node on loopback: badges
//! from another node's issuer are verified when added and again on every
//! view (a revocation signed after the badge was added shows on the next
//! list, never by dropping it), forged and oversized files are refused and
//! not held, lists page, and every backpack route needs the admin token.

use std::time::Duration;

use badgemesh_tests::{Reply, TestNode, post_bytes, post_json, wait_until};
use serde_json::{Value, json};

use crate::support::{admin, award, create_badge, init_issuer, revoke};

/// A request with the node's admin token (or `token`), off the runtime.
async fn call(method: &str, url: String, token: Option<String>, body: Option<Value>) -> Reply {
    let method = method.to_owned();
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        let auth = token.map(|t| format!("Bearer {t}")).unwrap_or_default();
        let r = match (method.as_str(), body) {
            ("GET", _) => agent.get(&url).header("Authorization", &auth).call(),
            ("DELETE", _) => agent.delete(&url).header("Authorization", &auth).call(),
            (_, body) => agent
                .put(&url)
                .header("Authorization", &auth)
                .send_json(body.unwrap_or(Value::Null)),
        };
        let mut resp = r.expect("http");
        let status = resp.status().as_u16();
        let link = resp
            .headers()
            .get("link")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = resp.body_mut().read_to_vec().unwrap_or_default();
        let mut json: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if let Some(link) = link {
            // Tests read the next page's path from here.
            json = json!({ "body": json, "link": link });
        }
        Reply {
            status,
            json,
            bytes,
        }
    })
    .await
    .expect("http task")
}

fn token(n: &TestNode) -> Option<String> {
    Some(n.node().token().to_owned())
}

async fn add(n: &TestNode, bytes: Vec<u8>, name: &str) -> Reply {
    post_bytes(
        n.url(&format!("/v1/admin/backpack/badges?file_name={name}")),
        token(n),
        bytes,
    )
    .await
}

async fn list(n: &TestNode) -> Vec<Value> {
    let r = call("GET", n.url("/v1/admin/backpack/badges"), token(n), None).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    r.json.as_array().cloned().expect("a list")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_badge_revoked_after_it_was_added_is_listed_revoked() {
    let issuer = TestNode::start(vec![]).await;
    let earner = TestNode::start(issuer.addrs()).await;
    init_issuer(&issuer, "Backpack Academy").await;
    let badge = create_badge(&issuer, "Teamwork").await;
    let (assertion, index, native) = award(&issuer, &badge, "ada@example.org").await;
    let r = admin(
        &issuer,
        "/v1/admin/ob3",
        json!({ "assertion": assertion, "format": "jwt" }),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let jwt = r.bytes;

    // The earner's node learns the issuer over the network.
    wait_until(
        "the earner's node to verify the badge",
        Duration::from_secs(30),
        || {
            let (url, native) = (earner.url("/v1/verify"), native.clone());
            async move { post_bytes(url, None, native).await.json["outcome"] == "valid" }
        },
    )
    .await;
    for (bytes, name) in [(native.clone(), "ada.badge"), (jwt.clone(), "ada.jwt")] {
        let r = add(&earner, bytes, name).await;
        assert_eq!(r.status, 201, "{:?}", r.json);
        assert_eq!(r.json["added"], true);
        assert_eq!(r.json["badge"]["outcome"], "valid", "{:?}", r.json);
        assert_eq!(r.json["badge"]["file_name"], name);
    }
    // The same bytes again are held once.
    let r = add(&earner, native.clone(), "again.badge").await;
    assert_eq!((r.status, &r.json["added"]), (200, &json!(false)));
    let held = list(&earner).await;
    let seen: Vec<(&str, &str, &str)> = held
        .iter()
        .map(|e| {
            (
                e["format"].as_str().unwrap_or(""),
                e["ext"].as_str().unwrap_or(""),
                e["outcome"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![("native", "badge", "valid"), ("ob3", "jwt", "valid")]
    );

    // The issuer revokes on its own node; the earner's next list says so
    // for the native badge, with the revocation list that says it, and
    // keeps it.
    revoke(&issuer, &[index]).await;
    wait_until(
        "the revocation to show in the earner's backpack",
        Duration::from_secs(30),
        || async { list(&earner).await[0]["outcome"] == "revoked" },
    )
    .await;
    let held = list(&earner).await;
    assert_eq!(held.len(), 2, "nothing dropped");
    let revoked = &held[0];
    assert_eq!(revoked["attention"], true);
    assert_eq!(revoked["added_as"], "valid");
    assert_eq!(revoked["verdict"]["revocation"]["seq"], 1, "{revoked}");
    // `show` gives the same verdict as `/v1/verify` of the same bytes.
    let id = revoked["short_id"].as_str().expect("id");
    let shown = call(
        "GET",
        earner.url(&format!("/v1/admin/backpack/badges/{id}")),
        token(&earner),
        None,
    )
    .await;
    let verified = post_bytes(earner.url("/v1/verify"), None, native.clone()).await;
    for key in ["outcome", "checks", "revocation", "assertion", "issuer"] {
        assert_eq!(shown.json["verdict"][key], verified.json[key], "{key}");
    }
    // Its file is the bytes added.
    let file = call(
        "GET",
        earner.url(&format!("/v1/admin/backpack/badges/{id}/file")),
        token(&earner),
        None,
    )
    .await;
    assert_eq!((file.status, file.bytes), (200, native));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_oversized_and_unreadable_files_are_refused_and_not_held() {
    let n = TestNode::start(vec![]).await;
    init_issuer(&n, "Careful Academy").await;
    let badge = create_badge(&n, "Care").await;
    let (assertion, _, _) = award(&n, &badge, "ada@example.org").await;
    let r = admin(&n, "/v1/admin/ob3", json!({ "assertion": assertion })).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let text = String::from_utf8(r.bytes).expect("json");
    let forged = text.replacen("Care", "Cure", 1);
    assert_ne!(forged, text);

    let r = add(&n, forged.into_bytes(), "forged.json").await;
    assert_eq!(
        (r.status, r.json["error"].as_str()),
        (422, Some("invalid_badge"))
    );
    let message = r.json["message"].as_str().unwrap_or("");
    assert!(message.contains("signature"), "{message}");

    let r = add(&n, b"hello, backpack".to_vec(), "x.txt").await;
    assert_eq!(
        (r.status, r.json["error"].as_str()),
        (400, Some("unrecognised_format"))
    );
    let r = add(&n, Vec::new(), "empty").await;
    assert_eq!(r.status, 400, "{:?}", r.json);
    // The same cap as /v1/verify: the request body limit.
    let mut big = text.clone().into_bytes();
    big.resize(8 * 1024 * 1024 + 1, b' ');
    let r = add(&n, big, "big.json").await;
    assert_eq!(r.status, 413, "{:?}", r.json);
    assert!(list(&n).await.is_empty());

    // The node still holds what is genuine.
    let r = add(&n, text.into_bytes(), "ada.json").await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    assert_eq!(list(&n).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_page_and_collections_follow_their_badges() {
    let n = TestNode::start(vec![]).await;
    init_issuer(&n, "Paging Academy").await;
    let badge = create_badge(&n, "Pages").await;
    let mut ids = Vec::new();
    for k in 0..3 {
        let (_, _, bytes) = award(&n, &badge, &format!("p{k}@example.org")).await;
        let r = add(&n, bytes, "p.badge").await;
        assert_eq!(r.status, 201, "{:?}", r.json);
        ids.push(r.json["badge"]["id"].as_str().expect("id").to_owned());
    }
    // Two pages of two, in the order added.
    let first = call(
        "GET",
        n.url("/v1/admin/backpack/badges?limit=2"),
        token(&n),
        None,
    )
    .await;
    let link = first.json["link"].as_str().expect("a next page");
    let path = link
        .trim_start_matches('<')
        .split('>')
        .next()
        .expect("path");
    let second = call("GET", n.url(path), token(&n), None).await;
    let page = |r: &Reply| -> Vec<String> {
        let body = if r.json["body"].is_null() {
            &r.json
        } else {
            &r.json["body"]
        };
        body.as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["id"].as_str().map(str::to_owned))
            .collect()
    };
    let mut all = page(&first);
    all.extend(page(&second));
    assert_eq!(all, ids);
    // The time to judge at carries over to the next page.
    let later = call(
        "GET",
        n.url("/v1/admin/backpack/badges?limit=1&at=2100-01-01T01:00:00%2B01:00"),
        token(&n),
        None,
    )
    .await;
    assert_eq!(
        later.json["body"][0]["verdict"]["checked_at"],
        "2100-01-01T00:00:00Z"
    );
    let link = later.json["link"].as_str().expect("a next page");
    assert!(link.contains("at=2100-01-01T00:00:00Z&"), "{link}");

    let r = post_json(
        n.url("/v1/admin/backpack/collections"),
        token(&n),
        json!({ "name": "job-2026" }),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    let r = post_json(
        n.url("/v1/admin/backpack/collections"),
        token(&n),
        json!({ "name": "../etc" }),
    )
    .await;
    assert_eq!(
        (r.status, r.json["error"].as_str()),
        (400, Some("bad_name"))
    );
    for id in [&ids[2], &ids[0]] {
        let r = call(
            "PUT",
            n.url(&format!(
                "/v1/admin/backpack/collections/job-2026/badges/{id}"
            )),
            token(&n),
            Some(json!({})),
        )
        .await;
        assert_eq!(r.status, 200, "{:?}", r.json);
    }
    let r = call(
        "PUT",
        n.url("/v1/admin/backpack/collections/job-2026/public"),
        token(&n),
        Some(json!({ "public": true })),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let r = call(
        "DELETE",
        n.url(&format!("/v1/admin/backpack/badges/{}", &ids[2][..8])),
        token(&n),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let c = call(
        "GET",
        n.url("/v1/admin/backpack/collections/job-2026"),
        token(&n),
        None,
    )
    .await;
    assert_eq!(c.json["public"], true);
    let members: Vec<&str> = c.json["badges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["id"].as_str())
        .collect();
    assert_eq!(members, vec![ids[0].as_str()], "a removed badge leaves");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_backpack_route_needs_the_admin_token() {
    let n = TestNode::start(vec![]).await;
    init_issuer(&n, "Locked Academy").await;
    let badge = create_badge(&n, "Lock").await;
    let (_, _, bytes) = award(&n, &badge, "ada@example.org").await;
    let r = add(&n, bytes.clone(), "ada.badge").await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    let id = r.json["badge"]["id"].as_str().expect("id").to_owned();
    let r = post_json(
        n.url("/v1/admin/backpack/collections"),
        token(&n),
        json!({ "name": "mine" }),
    )
    .await;
    assert_eq!(r.status, 201);

    for who in [None, Some("wrong".to_owned())] {
        let base = "/v1/admin/backpack";
        let r = post_bytes(n.url(&format!("{base}/badges")), who.clone(), bytes.clone()).await;
        assert_eq!(r.status, 401, "{:?}", r.json);
        let r = post_json(
            n.url(&format!("{base}/collections")),
            who.clone(),
            json!({ "name": "theirs" }),
        )
        .await;
        assert_eq!(r.status, 401);
        let r = post_json(
            n.url(&format!("{base}/presentations")),
            who.clone(),
            json!({ "badges": [id], "challenge": "c", "domain": "d" }),
        )
        .await;
        assert_eq!(r.status, 401, "{:?}", r.json);
        for path in [
            format!("{base}/badges"),
            format!("{base}/badges/{id}"),
            format!("{base}/badges/{id}/file"),
            format!("{base}/collections"),
            format!("{base}/collections/mine"),
            format!("{base}/collections/mine/site"),
            format!("{base}/holder"),
        ] {
            let r = call("GET", n.url(&path), who.clone(), None).await;
            assert_eq!(r.status, 401, "GET {path}: {:?}", r.json);
        }
        for path in [
            format!("{base}/badges/{id}"),
            format!("{base}/collections/mine"),
            format!("{base}/collections/mine/badges/{id}"),
        ] {
            let r = call("DELETE", n.url(&path), who.clone(), None).await;
            assert_eq!(r.status, 401, "DELETE {path}");
        }
        for (path, body) in [
            (format!("{base}/collections/mine/badges/{id}"), json!({})),
            (
                format!("{base}/collections/mine/public"),
                json!({ "public": true }),
            ),
        ] {
            let r = call("PUT", n.url(&path), who.clone(), Some(body)).await;
            assert_eq!(r.status, 401, "PUT {path}");
        }
    }
    // Nothing changed (and no earner key was made).
    assert_eq!(list(&n).await.len(), 1);
    assert!(!n.dir.path().join("earner.key").exists());
    let c = call(
        "GET",
        n.url("/v1/admin/backpack/collections"),
        token(&n),
        None,
    )
    .await;
    assert_eq!(
        c.json,
        json!([{ "name": "mine", "created_at": c.json[0]["created_at"], "public": false, "badges": [] }])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_badge_is_listed_expired_and_kept() {
    let n = TestNode::start(vec![]).await;
    init_issuer(&n, "Dated Academy").await;
    let badge = create_badge(&n, "Dated").await;
    let r = admin(
        &n,
        "/v1/admin/awards",
        json!({ "badge": badge, "recipient": "ada@example.org", "expires": "2099-01-01T00:00:00Z" }),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    let bytes = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(r.json["assertion"].as_str().expect("assertion"))
            .expect("base64")
    };
    let r = add(&n, bytes, "dated.badge").await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    assert_eq!(list(&n).await[0]["outcome"], "valid");
    // Judged after its end, as `verify --at` would.
    let later = call(
        "GET",
        n.url("/v1/admin/backpack/badges?at=2100-01-01T00:00:00Z"),
        token(&n),
        None,
    )
    .await;
    let held = later.json.as_array().cloned().expect("a list");
    assert_eq!(held.len(), 1, "kept");
    assert_eq!(
        (&held[0]["outcome"], &held[0]["attention"]),
        (&json!("expired"), &json!(true)),
        "{}",
        held[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_published_collection_has_a_public_page_and_a_private_one_does_not() {
    let n = TestNode::start(vec![]).await;
    init_issuer(&n, "Open Academy").await;
    let plain = create_badge(&n, "Robotics").await;
    let sly = create_badge(&n, "<script>alert(1)</script>").await;
    let mut held = Vec::new();
    for b in [&plain, &sly] {
        let (_, index, bytes) = award(&n, b, "ada@example.org").await;
        let r = add(&n, bytes.clone(), "b.badge").await;
        assert_eq!(r.status, 201, "{:?}", r.json);
        held.push((
            r.json["badge"]["id"].as_str().expect("id").to_owned(),
            index,
            bytes,
        ));
    }
    let r = post_json(
        n.url("/v1/admin/backpack/collections"),
        token(&n),
        json!({ "name": "robots" }),
    )
    .await;
    assert_eq!(r.status, 201);
    for (id, _, _) in &held {
        let r = call(
            "PUT",
            n.url(&format!(
                "/v1/admin/backpack/collections/robots/badges/{id}"
            )),
            token(&n),
            Some(json!({})),
        )
        .await;
        assert_eq!(r.status, 200);
    }
    // Private (the default), unknown and malformed look the same: 404.
    let page = |path: &str| badgemesh_tests::get(n.url(path));
    for path in ["/p/robots", "/p/nothing", "/p/..%2Fetc"] {
        assert_eq!(page(path).await.status, 404, "{path}");
    }
    let (first, _, bytes) = &held[0];
    assert_eq!(page(&format!("/p/robots/{first}")).await.status, 404);

    let publish = |public: bool| {
        call(
            "PUT",
            n.url("/v1/admin/backpack/collections/robots/public"),
            token(&n),
            Some(json!({ "public": public })),
        )
    };
    assert_eq!(publish(true).await.status, 200);
    let r = page("/p/robots").await;
    assert_eq!(r.status, 200);
    let html = String::from_utf8(r.bytes).expect("utf-8");
    assert!(
        html.contains("<meta property=\"og:title\" content=\"robots: 2 badges\">"),
        "{html}"
    );
    assert!(html.contains("<h2>Robotics</h2>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script"), "no script of any kind: {html}");
    assert!(
        html.contains("calls itself"),
        "a claimed name is a claim: {html}"
    );
    assert_eq!(html.matches("verdict-word\">Valid<").count(), 2, "{html}");
    // Each valid badge links to LinkedIn's form, its name encoded.
    assert!(
        html.contains("https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&amp;name=Robotics&amp;organizationName="),
        "{html}"
    );
    assert!(
        html.contains("&amp;name=%3Cscript%3Ealert%281%29%3C%2Fscript%3E&amp;"),
        "{html}"
    );
    // The download is the file as added.
    let r = page(&format!("/p/robots/{first}")).await;
    assert_eq!((r.status, &r.bytes), (200, bytes));

    // Revoked since: the page says so at once.
    revoke(&n, &[held[0].1]).await;
    let html = String::from_utf8(page("/p/robots").await.bytes).expect("utf-8");
    assert!(html.contains("verdict-word\">Revoked<"), "{html}");
    assert_eq!(
        html.matches("linkedin.com/profile/add").count(),
        1,
        "not for the revoked one: {html}"
    );

    // A badge that is not in the collection is not served through it.
    let (_, _, other) = award(&n, &plain, "bob@example.org").await;
    let r = add(&n, other, "other.badge").await;
    let other_id = r.json["badge"]["id"].as_str().expect("id").to_owned();
    assert_eq!(page(&format!("/p/robots/{other_id}")).await.status, 404);

    // Pages are many verifications each: two are made at once, a third
    // request is refused at once rather than filling the verification pool.
    // (In this test, not its own: the limit is the process's.)
    let pool = n.node().verify_pool().clone();
    pool.set_gate_open(false);
    let first = tokio::spawn(badgemesh_tests::get(n.url("/p/robots")));
    let second = tokio::spawn(badgemesh_tests::get(n.url("/p/robots")));
    wait_until("two pages at the pool", Duration::from_secs(20), || {
        let p = pool.clone();
        async move { p.in_flight() == 2 }
    })
    .await;
    let third = page("/p/robots").await;
    assert_eq!(
        (third.status, third.json["error"].as_str()),
        (503, Some("page_busy"))
    );
    pool.set_gate_open(true);
    for r in [first, second] {
        assert_eq!(r.await.expect("page task").status, 200);
    }

    assert_eq!(publish(false).await.status, 200);
    assert_eq!(page("/p/robots").await.status, 404);
}
