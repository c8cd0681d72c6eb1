//! Unauthenticated reads cost bounded work: lists and exports come in pages
//! (`?after=&limit=`, with a `Link: <...>; rel="next"` header), and the
//! status list is signed once per revocation state, not per request.

use std::collections::BTreeSet;
use std::time::Duration;

use badgemesh_protocol::bundle;
use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
use badgemesh_protocol::record::SignedRecord;
use badgemesh_protocol::testkit::Issuer;
use badgemesh_tests::{TestNode, now, post_bytes, wait_until};
use serde_json::Value;

use crate::support::{init_issuer, revoke};

/// A GET answer with its `Link` header's next page and raw body.
struct Page {
    status: u16,
    next: Option<String>,
    body: Vec<u8>,
}

impl Page {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

async fn get_page(url: String) -> Page {
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        let mut resp = agent.get(&url).call().expect("the node answers");
        let next = resp
            .headers()
            .get("link")
            .and_then(|v| v.to_str().ok())
            .and_then(|l| l.strip_prefix('<'))
            .and_then(|l| l.split_once(">; rel=\"next\""))
            .map(|(target, _)| target.to_owned());
        let body = resp
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .expect("body");
        Page {
            status: resp.status().as_u16(),
            next,
            body,
        }
    })
    .await
    .expect("http task")
}

/// Every page of a list, following `Link` headers from `first`.
async fn all_pages(n: &TestNode, first: &str) -> Vec<Page> {
    let mut pages = vec![get_page(n.url(first)).await];
    while let Some(next) = pages.last().and_then(|p| p.next.clone()) {
        pages.push(get_page(n.url(&next)).await);
        assert!(pages.len() < 100, "pages never end");
    }
    pages
}

/// Imports `count` other issuers with two badge classes each; returns their
/// DIDs.
async fn import_issuers(n: &TestNode, count: u64) -> BTreeSet<String> {
    let mut records = Vec::new();
    let mut dids = BTreeSet::new();
    for seed in 1..=count {
        let mut issuer = Issuer::new(1000 + seed, now());
        dids.insert(issuer.inner().id().to_string());
        records.extend(issuer.genesis());
        records.push(issuer.badge_class("First").0);
        records.push(issuer.badge_class("Second").0);
    }
    let refs: Vec<&[u8]> = records.iter().map(SignedRecord::bytes).collect();
    let r = post_bytes(
        n.url("/v1/admin/import"),
        Some(n.node().token().to_owned()),
        bundle::write(&refs, now()),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["new"], records.len(), "{:?}", r.json);
    dids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issuers_badges_and_exports_come_in_pages() {
    let n = TestNode::start(vec![]).await;
    let dids = import_issuers(&n, 5).await;

    let pages = all_pages(&n, "/v1/issuers?limit=2").await;
    assert_eq!(pages.len(), 3, "5 issuers in pages of 2");
    let listed: Vec<String> = pages
        .iter()
        .flat_map(|p| {
            assert_eq!(p.status, 200);
            let items = p.json().as_array().cloned().unwrap_or_default();
            assert!(items.len() <= 2);
            items
        })
        .filter_map(|i| i["did"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        listed,
        dids.iter().cloned().collect::<Vec<_>>(),
        "each once, in order"
    );

    let pages = all_pages(&n, "/v1/badges?limit=3").await;
    assert_eq!(pages.len(), 4, "10 badge classes in pages of 3");
    let badges: BTreeSet<String> = pages
        .iter()
        .flat_map(|p| p.json().as_array().cloned().unwrap_or_default())
        .filter_map(|b| b["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(badges.len(), 10);
    let one = dids.iter().next().expect("an issuer");
    let pages = all_pages(&n, &format!("/v1/badges?issuer={one}&limit=1")).await;
    assert_eq!(
        pages.len(),
        2,
        "one issuer's two badge classes, one per page"
    );

    let pages = all_pages(&n, "/v1/export?limit=2").await;
    assert_eq!(pages.len(), 3, "an export of 5 issuers in pages of 2");
    let mut exported = BTreeSet::new();
    for p in &pages {
        let contents = bundle::read(&p.body).expect("a bundle");
        assert_eq!(contents.error, None);
        let issuers: BTreeSet<String> = contents
            .records
            .iter()
            .map(|b| {
                let r = SignedRecord::decode(b, MAX_ENVELOPE_BYTES).expect("record");
                exported.insert(r.id());
                r.record().issuer().to_string()
            })
            .collect();
        assert!(issuers.len() <= 2, "a page holds at most 2 issuers");
    }
    assert_eq!(exported.len(), 5 * 5, "every public record, once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_list_is_signed_once_per_revocation_state() {
    let n = TestNode::start(vec![]).await;
    let did = init_issuer(&n, "Status Academy").await;
    let path = format!("/ob3/status/{did}/revocation");
    let first = get_page(n.url(&path)).await;
    assert_eq!(first.status, 200);
    // A list signed per request carries the second it was signed in; wait
    // for the clock to move on, then ask again: the same signed bytes.
    let signed_in = now();
    wait_until("the clock moves on", Duration::from_secs(5), || async {
        now() > signed_in
    })
    .await;
    let again = get_page(n.url(&path)).await;
    assert_eq!(again.body, first.body, "served from the cache");
    // A revocation is a new state: a new list.
    revoke(&n, &[3]).await;
    let after = get_page(n.url(&path)).await;
    assert_ne!(after.body, first.body, "signed again after a revocation");
    assert_ne!(
        after.json()["credentialSubject"]["encodedList"],
        first.json()["credentialSubject"]["encodedList"]
    );
}
