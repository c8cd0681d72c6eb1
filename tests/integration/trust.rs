//! Who issued it: a registry node's listings reach the verifiers that follow
//! it (gossip, sync, bundle), flip their verdicts, and leave the others
//! alone; forged, unfollowed, replayed and stale listings are not kept or
//! forwarded; a confusable name is flagged.

use std::time::Duration;

use badgemesh_node::trust::registries::TrustFile;
use badgemesh_protocol::record::{ListingChange, Record, SignedRecord};
use badgemesh_protocol::testkit::Issuer;
use badgemesh_tests::{TestNode, get, post_bytes, wait_until};
use serde_json::{Value, json};

use crate::support::{admin, award, create_badge, init_issuer};

const LIMIT: Duration = Duration::from_secs(30);

/// Makes `n` follow `registry` the way `badgemesh trust follow` does: edit
/// trust.json, then tell the node to reread it.
async fn follow(n: &TestNode, registry: &str, name: &str) {
    let mut f = TrustFile::read(n.dir.path()).expect("trust file");
    f.follow(registry, name).expect("a registry did");
    f.write(n.dir.path()).expect("written");
    let r = admin(n, "/v1/admin/trust/reload", json!({})).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
}

async fn verdict(n: &TestNode, badge: &[u8], require_listed: bool) -> Value {
    let r = post_bytes(
        n.url(&format!("/v1/verify?require_listed={require_listed}")),
        None,
        badge.to_vec(),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    r.json
}

async fn trust_state(n: &TestNode, badge: &[u8]) -> String {
    verdict(n, badge, false).await["trust"]["state"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn list(registry: &TestNode, subject: &str, name: &str) -> u64 {
    let body = json!({ "changes": [{ "change": "listed", "subject": subject, "name": name,
        "domains": ["academy.example"], "country": "FR", "accreditation": "Higher education" }] });
    let r = admin(registry, "/v1/admin/listings", body).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    r.json["list_seq"].as_u64().expect("seq")
}

async fn delist(registry: &TestNode, subject: &str) {
    let body = json!({ "changes": [{ "change": "delisted", "subject": subject, "reason": "accreditation withdrawn" }] });
    let r = admin(registry, "/v1/admin/listings", body).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
}

fn knows_listing_of(n: &TestNode, registry: &str) -> bool {
    let id = registry.parse().expect("did");
    n.node()
        .core()
        .ledger
        .read(|r| r.issuer(&id).is_some_and(|s| s.listing_freshness().seq > 0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_reaches_followers_by_gossip_sync_and_bundle_and_a_delisting_flips_them() {
    let registry = TestNode::start(vec![]).await;
    let reg_did = init_issuer(&registry, "Accreditation Board").await;
    let school = TestNode::start(registry.addrs()).await;
    let school_did = init_issuer(&school, "Example Academy").await;
    let badge = create_badge(&school, "Teamwork").await;
    let (assertion, _, bytes) = award(&school, &badge, "ada@example.org").await;
    let follower = TestNode::start(registry.addrs()).await;
    let bystander = TestNode::start(registry.addrs()).await;
    follow(&follower, &reg_did, "Board (followed)").await;
    for n in [&follower, &bystander] {
        wait_until("the school's badge class is known", LIMIT, || async {
            verdict(n, &bytes, false).await["outcome"] == "valid"
        })
        .await;
    }

    // Before any listing: valid, but only a claimed name.
    let v = verdict(&follower, &bytes, false).await;
    assert_eq!(v["trust"]["state"], "unlisted");
    assert_eq!(v["trust"]["claimed_name"], "Example Academy");
    assert!(
        v["trust"]["summary"]
            .as_str()
            .is_some_and(|s| s.contains("calls itself")),
        "{v}"
    );
    let strict = verdict(&follower, &bytes, true).await;
    assert_eq!(strict["outcome"], "indeterminate");

    // The registry lists the school: the follower flips by gossip.
    let seq = list(&registry, &school_did, "Example Academy").await;
    wait_until("the follower sees the listing", LIMIT, || async {
        trust_state(&follower, &bytes).await == "listed"
    })
    .await;
    let v = verdict(&follower, &bytes, true).await;
    assert_eq!(v["outcome"], "valid");
    let source = &v["trust"]["sources"][0];
    assert_eq!(source["registry"], reg_did.as_str());
    assert_eq!(source["registry_name"], "Board (followed)");
    assert_eq!(source["list_seq"], seq);
    assert!(source["age_secs"].as_i64().is_some_and(|a| a >= 0));
    assert!(v["checks"].as_array().is_some_and(|c| {
        c.iter()
            .any(|c| c["check"] == "issuer_trust" && c["status"] == "pass")
    }));

    // The same award as an Open Badges 3.0 credential: its issuer id is the
    // same did:key, so the same listing vouches for it.
    let r = admin(&school, "/v1/admin/ob3", json!({ "assertion": assertion })).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let ob3 = verdict(&follower, &r.bytes, true).await;
    assert_eq!(ob3["format"], "ob3");
    assert_eq!(ob3["trust"]["state"], "listed", "{ob3}");
    assert_eq!(ob3["trust"]["name"], "Example Academy");

    // A node that does not follow the registry is unaffected and keeps none of it.
    assert_eq!(trust_state(&bystander, &bytes).await, "unlisted");
    assert!(!knows_listing_of(&bystander, &reg_did));

    // A node that was not there gets the listing by sync once it follows.
    let late = TestNode::start(registry.addrs()).await;
    follow(&late, &reg_did, "Board").await;
    wait_until("the late node syncs the listing", LIMIT, || async {
        knows_listing_of(&late, &reg_did)
    })
    .await;
    wait_until("the late node knows the badge", LIMIT, || async {
        trust_state(&late, &bytes).await == "listed"
    })
    .await;

    // A node that never connects gets it from a bundle.
    let offline = TestNode::start(vec![]).await;
    follow(&offline, &reg_did, "Board").await;
    let bundle = get(registry.url("/v1/export")).await;
    assert_eq!(bundle.status, 200);
    let r = post_bytes(
        offline.url("/v1/admin/import"),
        Some(offline.node().token().to_owned()),
        bundle.bytes.clone(),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert!(
        knows_listing_of(&offline, &reg_did),
        "imported from the bundle"
    );

    // De-listing propagates and flips the verdict.
    delist(&registry, &school_did).await;
    wait_until("the follower sees the de-listing", LIMIT, || async {
        trust_state(&follower, &bytes).await == "delisted"
    })
    .await;
    assert_eq!(verdict(&follower, &bytes, false).await["outcome"], "valid");
    assert_eq!(verdict(&follower, &bytes, true).await["outcome"], "invalid");
    assert_eq!(trust_state(&bystander, &bytes).await, "unlisted");
}

/// Posts a record to a node as an import; returns the outcome it reports.
async fn offer(n: &TestNode, rec: &SignedRecord) -> String {
    let r = post_bytes(
        n.url("/v1/admin/records"),
        Some(n.node().token().to_owned()),
        rec.bytes().to_vec(),
    )
    .await;
    r.json["outcome"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_unfollowed_replayed_and_stale_listings_are_not_kept_or_forwarded() {
    let t0 = badgemesh_tests::now();
    let mut board = Issuer::new(901, t0);
    let mut rogue = Issuer::new(902, t0);
    let board_did = board.inner().id().to_did();
    let rogue_did = rogue.inner().id().to_did();
    let v = TestNode::start(vec![]).await;
    // W follows both, and hears only from V: whatever V forwards, W keeps.
    let w = TestNode::start(v.addrs()).await;
    follow(&v, &board_did, "Board").await;
    follow(&w, &board_did, "Board").await;
    follow(&w, &rogue_did, "Rogue").await;
    for rec in board.genesis().iter().chain(rogue.genesis().iter()) {
        assert_eq!(offer(&v, rec).await, "accepted");
    }
    let subject = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";

    // Signed by another key in the board's name.
    let genuine = board.list(subject, "Example Academy");
    let Record::ListingUpdate(mut u) = genuine.record().clone() else {
        panic!("a listing update")
    };
    u.changes = vec![ListingChange::Delisted {
        subject: subject.into(),
        reason: None,
    }];
    let forged = SignedRecord::sign(Record::ListingUpdate(u), rogue.inner().current_key())
        .expect("well formed");
    assert_eq!(offer(&v, &forged).await, "rejected");
    // A registry V does not follow.
    let unfollowed = rogue.list(subject, "Example Academy");
    assert_eq!(offer(&v, &unfollowed).await, "rejected");
    // The genuine one, then its replay, then an older list head.
    board.now = board.now.plus(1);
    let old_head = board.listing_head();
    board.now = board.now.plus(60);
    let new_head = board.listing_head();
    assert_eq!(offer(&v, &genuine).await, "accepted");
    assert_eq!(offer(&v, &genuine).await, "duplicate");
    assert_eq!(offer(&v, &new_head).await, "accepted");
    assert_eq!(offer(&v, &old_head).await, "stale");

    // W receives what V accepted (the barrier) and nothing else.
    let w_knows =
        |id: badgemesh_protocol::id::RecordId| w.node().core().ledger.read(|r| r.knows(&id));
    wait_until("W gets the genuine listing and head", LIMIT, || async {
        w_knows(genuine.id())
    })
    .await;
    let (board_id, newest) = (board.inner().id(), board.now);
    wait_until("W gets the newest head", LIMIT, || async {
        w.node().core().ledger.read(|r| {
            r.issuer(&board_id)
                .and_then(|s| s.listing_head().map(|h| h.at))
                == Some(newest)
        })
    })
    .await;
    assert!(!w_knows(forged.id()), "a forged listing was forwarded");
    assert!(
        !w_knows(unfollowed.id()),
        "an unfollowed registry's listing was forwarded"
    );
    assert!(!v.node().core().ledger.read(|r| r.knows(&unfollowed.id())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_impersonating_issuer_with_a_confusable_name_is_flagged() {
    let registry = TestNode::start(vec![]).await;
    let reg_did = init_issuer(&registry, "Accreditation Board").await;
    let genuine = TestNode::start(registry.addrs()).await;
    let genuine_did = init_issuer(&genuine, "Example Academy").await;
    let fake = TestNode::start(registry.addrs()).await;
    // A Cyrillic "е" and a digit one for the "l".
    let r = admin(
        &fake,
        "/v1/admin/issuer",
        json!({ "name": "Examp1e Acad\u{0435}my", "url": "https://academy-example.example" }),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    let badge = create_badge(&fake, "Teamwork").await;
    let (_, _, bytes) = award(&fake, &badge, "ada@example.org").await;
    let verifier = TestNode::start(registry.addrs()).await;
    follow(&verifier, &reg_did, "Board").await;
    list(&registry, &genuine_did, "Example Academy").await;
    wait_until(
        "the verifier has the listing and the fake's badge",
        LIMIT,
        || async {
            knows_listing_of(&verifier, &reg_did)
                && verdict(&verifier, &bytes, false).await["outcome"] == "valid"
        },
    )
    .await;
    let v = verdict(&verifier, &bytes, false).await;
    assert_eq!(v["trust"]["state"], "unlisted");
    let imp = &v["trust"]["impersonation"];
    assert_eq!(imp["listed_name"], "Example Academy", "{v}");
    assert_eq!(imp["listed_subject"], genuine_did.as_str());
    assert!(v["checks"].as_array().is_some_and(|c| {
        c.iter()
            .any(|c| c["check"] == "issuer_trust" && c["status"] == "fail")
    }));
    assert!(
        v["trust"]["summary"]
            .as_str()
            .is_some_and(|s| s.contains("impersonation"))
    );
}
