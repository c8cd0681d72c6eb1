//! Endorsement records between real nodes: an employer's node endorses a
//! school's badge class, the school and one award; the endorsements reach a
//! verifier by gossip (the award's by hand, with the award), appear in its
//! verdict, and a withdrawal shows there as revoked. A raw peer's forged,
//! unknown-key and private endorsements are neither stored nor forwarded.

use std::time::Duration;

use badgemesh_protocol::id::RecordId;
use badgemesh_protocol::record::{Endorsement, EndorsementSubject, Record, SignedRecord};
use badgemesh_protocol::testkit::{Issuer, seed};
use badgemesh_simulations::attacker::{self, Pace};
use badgemesh_tests::{TestNode, get, post_bytes, wait_until};
use serde_json::{Value, json};

use crate::support::{admin, award, create_badge, init_issuer};

const LIMIT: Duration = Duration::from_secs(30);

fn holds(n: &TestNode, id: &str) -> bool {
    let id: RecordId = id.parse().expect("endorsement id");
    n.node()
        .core()
        .ledger
        .read(|r| r.endorsement(&id).is_some())
}

async fn endorse(n: &TestNode, about: &str, target: &str, comment: &str) -> Value {
    let r = admin(
        n,
        "/v1/admin/endorsements",
        json!({ "about": about, "target": target, "comment": comment }),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    r.json
}

async fn verdict(n: &TestNode, badge: &[u8]) -> Value {
    let r = post_bytes(n.url("/v1/verify"), None, badge.to_vec()).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    r.json
}

/// The endorsement listed in `v` with this id.
fn listed<'a>(v: &'a Value, id: &str) -> Option<&'a Value> {
    v["endorsements"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["id"] == id)
}

async fn import(n: &TestNode, envelope: Vec<u8>) -> Value {
    post_bytes(
        n.url("/v1/admin/records"),
        Some(n.node().token().to_owned()),
        envelope,
    )
    .await
    .json
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endorsement_reaches_a_verifier_and_its_withdrawal_shows_as_revoked() {
    use base64::Engine;
    // School - Employer - Verifier: the verifier hears the school only
    // through the employer's node.
    let school = TestNode::start(vec![]).await;
    let employer = TestNode::start(school.addrs()).await;
    let verifier = TestNode::start(employer.addrs()).await;
    let school_did = init_issuer(&school, "Harbour Welding School").await;
    // With a public base URL, its exported credentials carry its status list.
    let r = admin(
        &employer,
        "/v1/admin/issuer",
        json!({ "name": "Dockside Shipyards", "public_base_url": "https://dockside.example" }),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    let employer_did = r.json["did"].as_str().expect("did").to_owned();
    let badge = create_badge(&school, "Underwater welding").await;
    let (assertion, _, badge_bytes) = award(&school, &badge, "ada@example.org").await;
    wait_until("the badge class reaches the employer", LIMIT, || async {
        get(employer.url(&format!("/v1/badges/{badge}")))
            .await
            .status
            == 200
    })
    .await;

    let of_class = endorse(&employer, "badge_class", &badge, "We hire on this badge").await;
    let of_school = endorse(&employer, "issuer", &school_did, "Accredited partner").await;
    assert_eq!(of_class["gossiped"], true);
    // The earner shows the employer the award; the employer endorses it, and
    // the endorsement comes back to travel with the award.
    assert_eq!(
        import(&employer, badge_bytes.clone()).await["outcome"],
        "accepted"
    );
    let of_award = endorse(&employer, "assertion", &assertion, "Excellent work").await;
    assert_eq!(of_award["gossiped"], false);
    let award_endorsement = base64::engine::general_purpose::STANDARD
        .decode(of_award["endorsement"].as_str().expect("endorsement"))
        .expect("base64");
    let (class_id, school_id, award_id) = (
        of_class["id"].as_str().expect("id").to_owned(),
        of_school["id"].as_str().expect("id").to_owned(),
        of_award["id"].as_str().expect("id").to_owned(),
    );

    wait_until(
        "the public endorsements reach the verifier",
        LIMIT,
        || async { holds(&verifier, &class_id) && holds(&verifier, &school_id) },
    )
    .await;
    let v = wait_until_verdict(&verifier, &badge_bytes, |v| {
        v["outcome"] == "valid" && listed(v, &class_id).is_some() && listed(v, &school_id).is_some()
    })
    .await;
    // The award's endorsement was never gossiped.
    assert!(!holds(&verifier, &award_id));
    assert!(!holds(&school, &award_id));
    let e = listed(&v, &class_id).expect("badge class endorsement listed");
    assert_eq!(e["outcome"], "valid", "{e}");
    assert_eq!(e["about"], "badge_class");
    assert_eq!(e["endorser"], employer_did);
    assert_eq!(e["endorser_name"], "Dockside Shipyards");
    assert_eq!(e["comment"], "We hire on this badge");
    assert!(e["endorsed_at"].is_string(), "{e}");
    assert_eq!(e["endorser_trust"]["state"], "unlisted", "{e}");
    assert_eq!(
        listed(&v, &school_id).map(|e| e["about"].clone()),
        Some(json!("issuer"))
    );
    assert!(listed(&v, &award_id).is_none());

    // The earner hands the verifier the award's endorsement with the award.
    assert_eq!(
        import(&verifier, award_endorsement.clone()).await["outcome"],
        "accepted"
    );
    let v = verdict(&verifier, &badge_bytes).await;
    let e = listed(&v, &award_id).expect("award endorsement listed");
    assert_eq!(
        (e["about"].clone(), e["outcome"].clone()),
        (json!("assertion"), json!("valid"))
    );

    // The badge class's and the issuer's pages list them too.
    let page = get(verifier.url(&format!("/v1/badges/{badge}"))).await.json;
    assert_eq!(page["endorsements"][0]["id"], class_id, "{page}");
    assert_eq!(
        page["endorsements"][0]["endorser_trust"]["state"],
        "unlisted"
    );
    assert_eq!(page["endorsements_held"], 1);
    let page = get(verifier.url(&format!("/v1/issuers/{school_did}")))
        .await
        .json;
    assert_eq!(page["endorsements"][0]["id"], school_id, "{page}");
    let page = get(verifier.url(&format!("/v1/issuers/{employer_did}")))
        .await
        .json;
    assert_eq!(page["endorsements_given"], 2, "{page}");

    // A bundle of the employer carries its public endorsements, never the
    // award's.
    let bundle = get(verifier.url(&format!("/v1/export?issuer={employer_did}"))).await;
    assert_eq!(bundle.status, 200);
    let contents = badgemesh_protocol::bundle::read(&bundle.bytes).expect("bundle");
    let ids: Vec<String> = contents
        .records
        .iter()
        .filter_map(|b| {
            badgemesh_protocol::envelope::Envelope::decode(
                b,
                badgemesh_protocol::limits::MAX_ENVELOPE_BYTES,
            )
            .ok()
        })
        .map(|e| e.id().to_string())
        .collect();
    assert!(
        ids.contains(&class_id) && ids.contains(&school_id),
        "{ids:?}"
    );
    assert!(!ids.contains(&award_id));

    // Exported as an OB 3.0 EndorsementCredential, it verifies on the
    // verifier's node as a credential, its status read from the network.
    let r = admin(
        &employer,
        "/v1/admin/endorsements/ob3",
        json!({ "endorsement": class_id }),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let credential = r.bytes;
    assert_eq!(r.json["type"][1], "EndorsementCredential");
    let v = verdict(&verifier, &credential).await;
    assert_eq!(
        (v["format"].clone(), v["outcome"].clone()),
        (json!("ob3"), json!("valid")),
        "{v}"
    );
    let r = admin(
        &school,
        "/v1/admin/endorsements/ob3",
        json!({ "endorsement": class_id }),
    )
    .await;
    assert_eq!(
        (r.status, r.json["error"].clone()),
        (400, json!("export_failed")),
        "another issuer's endorsement"
    );

    // Only the endorser can withdraw it.
    let r = admin(
        &school,
        "/v1/admin/revocations",
        json!({ "endorsements": [class_id] }),
    )
    .await;
    assert_eq!(
        (r.status, r.json["error"].clone()),
        (400, json!("not_our_endorsement"))
    );
    let r = admin(
        &employer,
        "/v1/admin/revocations",
        json!({ "endorsements": [class_id], "reason": "programme closed" }),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let v = wait_until_verdict(&verifier, &badge_bytes, |v| {
        listed(v, &class_id).is_some_and(|e| e["outcome"] == "revoked")
    })
    .await;
    let e = listed(&v, &class_id).expect("still listed");
    assert!(
        e["detail"]
            .as_str()
            .unwrap_or("")
            .contains("revoked by the endorser"),
        "{e}"
    );
    let v = wait_until_verdict(&verifier, &credential, |v| v["outcome"] == "revoked").await;
    assert_eq!(v["format"], "ob3");
    let v = verdict(&verifier, &badge_bytes).await;
    // The badge itself and the other endorsements stand.
    assert_eq!(v["outcome"], "valid");
    assert_eq!(
        listed(&v, &school_id).map(|e| e["outcome"].clone()),
        Some(json!("valid"))
    );
    assert_eq!(
        listed(&v, &award_id).map(|e| e["outcome"].clone()),
        Some(json!("valid"))
    );

    // A node that joins later gets the public endorsements and the
    // withdrawal by sync alone, and never the award's endorsement.
    let late = TestNode::start(verifier.addrs()).await;
    let v = wait_until_verdict(&late, &badge_bytes, |v| {
        listed(v, &class_id).is_some_and(|e| e["outcome"] == "revoked")
            && listed(v, &school_id).is_some_and(|e| e["outcome"] == "valid")
    })
    .await;
    assert!(listed(&v, &award_id).is_none(), "{v}");
    assert!(!holds(&late, &award_id));
}

/// Polls the verdict on `badge` until `ok` holds, and returns it.
async fn wait_until_verdict(n: &TestNode, badge: &[u8], ok: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    let found = tokio::time::timeout(LIMIT, async {
        loop {
            let r = post_bytes(n.url("/v1/verify"), None, badge.to_vec()).await;
            if r.status == 200 && ok(&r.json) {
                return r.json;
            }
            last = r.json;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    found.unwrap_or_else(|_| panic!("verdict never came: last {last}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_unknown_and_private_endorsements_are_neither_stored_nor_forwarded() {
    let honest = TestNode::start(vec![]).await;
    let watcher = TestNode::start(honest.addrs()).await;
    let now = badgemesh_tests::now();
    let mut x = Issuer::new(300, now);
    for rec in x.genesis() {
        assert_eq!(
            import(&honest, rec.bytes().to_vec()).await["outcome"],
            "accepted"
        );
    }
    let badge = EndorsementSubject::BadgeClass(RecordId::of(b"some badge class"));
    // A control: genuine and public, it is stored and forwarded.
    let genuine = x.endorse(badge, "genuine");
    // Genuine but of an assertion: never carried by gossip.
    let private = x.endorse(
        EndorsementSubject::Assertion(RecordId::of(b"an award")),
        "private",
    );
    // Claims X, signed by a key X never had.
    let stranger =
        badgemesh_protocol::keys::SecretKey::from_seed(&seed("stranger", 7)).expect("key");
    let claim = Endorsement {
        issuer: x.inner().id(),
        subject: badge,
        comment: "claimed".into(),
        at: now,
        valid_until: None,
        status_index: 99,
        name: None,
    };
    let claimed = SignedRecord::sign(Record::Endorsement(claim), &stranger).expect("signed");
    // An endorser nobody knows (no key event anywhere).
    let mut y = Issuer::new(301, now);
    let unknown = y.endorse(badge, "unknown endorser");
    // X's endorsement with its signature broken.
    let next = x.endorse(badge, "tampered");
    let mut forged = next.bytes().to_vec();
    let last = forged.len() - 1;
    forged[last] ^= 0x01;

    wait_until("the watcher is connected", LIMIT, || async {
        !watcher
            .node()
            .core()
            .client
            .peers()
            .await
            .unwrap_or_default()
            .is_empty()
    })
    .await;
    // In order; the forged one last, since its rejection graylists the sender.
    let (_, task) = attacker::spawn(
        vec![honest.addrs()[0].clone()],
        vec![
            genuine.bytes().to_vec(),
            private.bytes().to_vec(),
            claimed.bytes().to_vec(),
            unknown.bytes().to_vec(),
            forged,
        ],
        Pace::Once,
    )
    .expect("attacker");
    let metrics = honest.node().core().metrics.clone();
    wait_until("every message validated", LIMIT, || {
        let m = metrics.clone();
        async move {
            m.value("badgemesh_gossip_messages_total{name=\"rejected\"}") >= 1.0
                && m.value("badgemesh_gossip_messages_total{name=\"unwanted\"}") >= 2.0
                && m.value("badgemesh_gossip_messages_total{name=\"ignored\"}") >= 1.0
        }
    })
    .await;
    wait_until("the genuine one reaches the watcher", LIMIT, || async {
        holds(&watcher, &genuine.id().to_string())
    })
    .await;
    for n in [&honest, &watcher] {
        for (what, rec) in [
            ("private", &private),
            ("claimed", &claimed),
            ("unknown", &unknown),
            ("forged", &next),
        ] {
            let id = rec.id();
            assert!(
                !n.node().core().ledger.read(|r| r.knows(&id)),
                "{what} endorsement applied"
            );
            assert!(
                n.node()
                    .core()
                    .ledger
                    .store()
                    .get(&id)
                    .expect("store")
                    .is_none(),
                "{what} endorsement stored"
            );
        }
    }
    task.abort();
}
