//! Hosted OB 2.0 badges verified online against a loopback "issuer site"
//! serving the specification's examples, then offline from what was kept:
//! allowed origins, redirects, a 404, a slow server, an oversized body, a
//! revocation by `410 Gone`, and a second verification with the site gone.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use badgemesh_tests::{Reply, TestNode, post_bytes};
use serde_json::{Value, json};

const ASSERTION: &str = include_str!("../../bake/tests/fixtures/ob2-spec/assertion.json");
const BADGE_CLASS: &str = include_str!("../../bake/tests/fixtures/ob2-spec/badgeclass.json");
const ISSUER: &str = include_str!("../../bake/tests/fixtures/ob2-spec/issuer.json");
/// Within the example's validity (it expired on 2017-06-30).
const AT: &str = "2017-01-15T00:00:00Z";

/// What the site answers for one path.
#[derive(Clone)]
enum Answer {
    Json(String),
    Status(u16),
    Redirect(String),
    Slow(Duration),
    Big(usize),
}

/// A loopback web site whose answers a test sets per path.
struct Site {
    addr: SocketAddr,
    routes: Arc<Mutex<HashMap<String, Answer>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Site {
    /// The specification's three documents, with `https://example.org`
    /// rewritten to the site's address.
    async fn example() -> Site {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let routes: Arc<Mutex<HashMap<String, Answer>>> = Arc::default();
        let r = Arc::clone(&routes);
        let app = axum::Router::new().fallback(move |uri: Uri| {
            let answer = r.lock().expect("routes").get(uri.path()).cloned();
            async move { answer_for(answer).await }
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let site = Site { addr, routes, task };
        site.serve("/beths-robotics-badge.json", ASSERTION);
        site.serve("/robotics-badge.json", BADGE_CLASS);
        site.serve("/organization.json", ISSUER);
        site
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A document of the example, moved to this site.
    fn local(&self, doc: &str) -> String {
        doc.replace("https://example.org", &self.base())
    }

    fn serve(&self, path: &str, doc: &str) {
        let text = self.local(doc);
        self.set(path, Answer::Json(text));
    }

    fn set(&self, path: &str, answer: Answer) {
        self.routes
            .lock()
            .expect("routes")
            .insert(path.into(), answer);
    }

    /// The example assertion as this site hosts it.
    fn assertion(&self) -> Vec<u8> {
        self.local(ASSERTION).into_bytes()
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer_for(answer: Option<Answer>) -> Response {
    match answer {
        None => StatusCode::NOT_FOUND.into_response(),
        Some(Answer::Json(text)) => {
            ([(header::CONTENT_TYPE, "application/ld+json")], text).into_response()
        }
        Some(Answer::Status(s)) => StatusCode::from_u16(s)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            .into_response(),
        Some(Answer::Redirect(to)) => {
            (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, to)]).into_response()
        }
        Some(Answer::Slow(d)) => {
            tokio::time::sleep(d).await;
            StatusCode::OK.into_response()
        }
        Some(Answer::Big(n)) => {
            ([(header::CONTENT_TYPE, "application/json")], vec![b' '; n]).into_response()
        }
    }
}

/// Verifies `badge` on `n`, online (with the admin token) or not.
async fn verify(n: &TestNode, badge: &[u8], online: bool) -> Reply {
    let (query, token) = if online {
        ("&online=true", Some(n.node().token().to_owned()))
    } else {
        ("", None)
    };
    post_bytes(
        n.url(&format!("/v1/verify?at={AT}{query}")),
        token,
        badge.to_vec(),
    )
    .await
}

fn statuses(v: &Value) -> Vec<(String, String)> {
    v["fetched"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["url"].as_str().unwrap_or("").to_owned(),
                f["status"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hosted_badge_verifies_online_then_offline_with_the_site_gone() {
    let site = Site::example().await;
    let mut n = TestNode::start(vec![]).await;
    let badge = site.assertion();

    // Offline (the default): hosted badges cannot be decided.
    let r = verify(&n, &badge, false).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["outcome"], "indeterminate", "{}", r.json);
    assert_eq!(
        r.json["missing"][0],
        format!("{}/beths-robotics-badge.json", site.base())
    );

    // Online without the admin token, on a node without `fetch = true`: refused.
    let r = post_bytes(
        n.url(&format!("/v1/verify?at={AT}&online=true")),
        None,
        badge.clone(),
    )
    .await;
    assert_eq!(r.status, 403, "{:?}", r.json);
    assert_eq!(r.json["error"], "fetch_not_allowed", "{}", r.json);

    // Online as the operator: assertion, BadgeClass and Profile are fetched.
    let r = verify(&n, &badge, true).await;
    assert_eq!(r.json["outcome"], "valid", "{}", r.json);
    let fetched = statuses(&r.json);
    assert_eq!(fetched.len(), 3, "{fetched:?}");
    assert!(fetched.iter().all(|(_, s)| s == "fetched"), "{fetched:?}");
    assert_eq!(r.json["badge"]["name"], "Awesome Robotics Badge");
    assert_eq!(r.json["issuer_name"], "An Example Badge Issuer");

    // The site goes away; the node, restarted, still verifies from what it kept.
    drop(site);
    n.stop().await;
    n.restart().await;
    let r = verify(&n, &badge, false).await;
    assert_eq!(r.json["outcome"], "valid", "{}", r.json);
    assert_eq!(
        r.json["sources"].as_array().map(Vec::len),
        Some(3),
        "{}",
        r.json
    );
    let site_check = r.json["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["check"] == "issuer_site")
        .cloned()
        .unwrap_or_default();
    assert!(
        site_check["detail"]
            .as_str()
            .unwrap_or("")
            .contains("as fetched on"),
        "{site_check}"
    );
    assert!(r.json.get("fetched").is_none(), "nothing fetched offline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_issuer_revokes_with_410_gone_and_the_next_online_check_sees_it() {
    let site = Site::example().await;
    let n = TestNode::start_with(vec![], |c| c.fetch = true).await;
    let badge = site.assertion();
    // `fetch = true`: every caller's verification fetches what it lacks.
    let r = post_bytes(n.url(&format!("/v1/verify?at={AT}")), None, badge.clone()).await;
    assert_eq!(r.json["outcome"], "valid", "{}", r.json);
    // Kept documents are fresh for an hour: the revocation shows when the
    // hosted copy is fetched again, forced here by removing what was kept.
    site.set("/beths-robotics-badge.json", Answer::Status(410));
    std::fs::remove_dir_all(n.dir.path().join("fetched")).expect("kept documents");
    let r = post_bytes(n.url(&format!("/v1/verify?at={AT}")), None, badge.clone()).await;
    assert_eq!(r.json["outcome"], "invalid", "{}", r.json);
    assert_eq!(statuses(&r.json)[0].1, "gone", "{}", r.json);
    let reasons = r.json["checks"].to_string();
    assert!(reasons.contains("410 Gone"), "{reasons}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_followed_and_each_hop_is_checked() {
    let site = Site::example().await;
    let n = TestNode::start(vec![]).await;
    // The assertion's id moved: its old URL redirects to the new one,
    // which serves the same assertion (id unchanged).
    site.set(
        "/beths-robotics-badge.json",
        Answer::Redirect("/badges/2016/beths-robotics-badge.json".into()),
    );
    site.serve("/badges/2016/beths-robotics-badge.json", ASSERTION);
    let r = verify(&n, &site.assertion(), true).await;
    assert_eq!(r.json["outcome"], "valid", "{}", r.json);

    // A redirect to plain http off loopback is refused, and the badge stays
    // undecided (a fetch failure says nothing about the badge).
    site.set(
        "/robotics-badge.json",
        Answer::Redirect("http://badges.example.net/robotics-badge.json".into()),
    );
    let n2 = TestNode::start(vec![]).await;
    let r = verify(&n2, &site.assertion(), true).await;
    assert_eq!(r.json["outcome"], "indeterminate", "{}", r.json);
    let failed = r.json["fetched"][1]["detail"].as_str().unwrap_or("");
    assert!(failed.contains("only https URLs"), "{}", r.json);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_404_a_slow_server_and_an_oversized_body_leave_the_badge_undecided() {
    let site = Site::example().await;
    let n = TestNode::start_with(vec![], |c| c.fetch_timeout_secs = 1).await;
    let badge = site.assertion();

    site.set("/organization.json", Answer::Status(404));
    let r = verify(&n, &badge, true).await;
    assert_eq!(r.json["outcome"], "indeterminate", "{}", r.json);
    assert!(
        r.json["fetched"][2]["detail"]
            .as_str()
            .unwrap_or("")
            .contains("HTTP 404"),
        "{}",
        r.json
    );

    site.set("/organization.json", Answer::Slow(Duration::from_secs(30)));
    let started = Instant::now();
    let r = verify(&n, &badge, true).await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(r.json["outcome"], "indeterminate", "{}", r.json);
    assert_eq!(
        statuses(&r.json).last().map(|s| s.1.as_str()),
        Some("failed"),
        "{}",
        r.json
    );

    site.set("/organization.json", Answer::Big(2 * 1024 * 1024));
    let r = verify(&n, &badge, true).await;
    assert_eq!(r.json["outcome"], "indeterminate", "{}", r.json);
    assert!(
        r.json.to_string().contains("larger than 1048576 bytes"),
        "{}",
        r.json
    );

    // Once the site answers, the same node verifies it.
    site.serve("/organization.json", ISSUER);
    let r = verify(&n, &badge, true).await;
    assert_eq!(r.json["outcome"], "valid", "{}", r.json);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assertion_hosted_where_the_issuer_does_not_allow_is_invalid() {
    let site = Site::example().await;
    let n = TestNode::start(vec![]).await;
    // The Profile says its assertions live under /issued/ only.
    let mut profile: Value = serde_json::from_str(&site.local(ISSUER)).expect("json");
    profile["verification"] = json!({ "startsWith": format!("{}/issued/", site.base()) });
    site.set("/organization.json", Answer::Json(profile.to_string()));
    let r = verify(&n, &site.assertion(), true).await;
    assert_eq!(r.json["outcome"], "invalid", "{}", r.json);
    assert!(
        r.json["checks"].to_string().contains("does not start with"),
        "{}",
        r.json
    );
}
