//! Pathways between real nodes: a school declares a capstone that needs two
//! of its courses and one course of a partner (another issuer, on another
//! node); the declaration reaches a verifier's node, which reports an
//! earner's progress with none, some and all of the prerequisites, with a
//! revoked one, from a backpack collection and from a presentation (whose
//! badges count only while its holder's proof holds). A cycle is refused
//! when declared, also one that crosses issuers, and a withdrawn pathway
//! leaves the graph; an opt-in pathway awards its goal once.

use std::time::Duration;

use badgemesh_tests::{Reply, TestNode, get, post_bytes, post_json, wait_until};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use crate::support::{admin, award, create_badge, init_issuer, revoke};

const LIMIT: Duration = Duration::from_secs(30);

async fn declare(n: &TestNode, goal: &str, steps: Value) -> Reply {
    admin(
        n,
        "/v1/admin/pathways",
        json!({ "goal": goal, "steps": steps, "name": "Capstone track" }),
    )
    .await
}

async fn graph(n: &TestNode, badge: &str) -> Value {
    get(n.url(&format!("/v1/badges/{badge}/pathway")))
        .await
        .json
}

async fn progress(n: &TestNode, goal: &str, badges: &[&Vec<u8>]) -> Value {
    let body = json!({ "badges": badges.iter().map(|b| B64.encode(b)).collect::<Vec<_>>() });
    let r = post_json(
        n.url(&format!("/v1/badges/{goal}/pathway/progress")),
        None,
        body,
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    r.json
}

/// The state of prerequisite `badge` in a progress answer.
fn state_of<'a>(p: &'a Value, badge: &str) -> &'a str {
    p["pathways"][0]["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["items"].as_array().into_iter().flatten())
        .find(|i| i["badge"] == badge)
        .and_then(|i| i["state"].as_str())
        .unwrap_or("absent")
}

async fn wait_for_badge(n: &TestNode, badge: &str) {
    wait_until("a badge class arrives", LIMIT, || async {
        get(n.url(&format!("/v1/badges/{badge}"))).await.status == 200
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_counts_valid_prerequisites_of_any_issuer_and_no_revoked_one() {
    // School - Partner - Verifier, in a line.
    let school = TestNode::start(vec![]).await;
    let partner = TestNode::start(school.addrs()).await;
    let verifier = TestNode::start(partner.addrs()).await;
    init_issuer(&school, "Harbour Welding School").await;
    init_issuer(&partner, "Dockside Safety Institute").await;
    let a = create_badge(&school, "Welding basics").await;
    let b = create_badge(&school, "Welding underwater").await;
    let capstone = create_badge(&school, "Master welder").await;
    let d = create_badge(&partner, "Dive safety").await;
    wait_for_badge(&school, &d).await;

    let r = declare(
        &school,
        &capstone,
        json!([{ "of": [a, b] }, { "need": 1, "of": [d] }]),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    let pathway = r.json["id"].as_str().expect("id").to_owned();

    wait_until("the pathway reaches the verifier", LIMIT, || async {
        graph(&verifier, &capstone).await["pathways"][0]["id"] == pathway.as_str()
    })
    .await;
    let g = graph(&verifier, &capstone).await;
    assert_eq!(g["badges"][0]["id"], capstone.as_str());
    assert_eq!(g["badges"][0]["name"], "Master welder");
    assert_eq!(g["badges"].as_array().map(Vec::len), Some(4), "{g}");
    assert_eq!(g["cycles"], json!([]));
    // From a prerequisite, the graph says what it leads to.
    let from_d = graph(&verifier, &d).await;
    assert_eq!(from_d["leads_to"], json!([capstone]));

    let (_, _, award_a) = award(&school, &a, "ada@example.org").await;
    let (_, index_b, award_b) = award(&school, &b, "ada@example.org").await;
    let (award_d_id, _, award_d) = award(&partner, &d, "ada@example.org").await;

    // None.
    let p = progress(&verifier, &capstone, &[]).await;
    assert_eq!(p["complete"], false, "{p}");
    for badge in [&a, &b, &d] {
        assert_eq!(state_of(&p, badge), "missing", "{p}");
    }
    // Some: A only.
    let p = progress(&verifier, &capstone, &[&award_a]).await;
    assert_eq!(p["complete"], false, "{p}");
    assert_eq!(state_of(&p, &a), "done");
    assert_eq!(state_of(&p, &b), "missing");
    assert_eq!(p["pathways"][0]["steps"][0]["done"], 1);
    // All, the partner's among them.
    let all = [&award_a, &award_b, &award_d];
    let p = progress(&verifier, &capstone, &all).await;
    assert_eq!(p["complete"], true, "{p}");
    assert_eq!(state_of(&p, &d), "done");
    let rests_on = p["pathways"][0]["rests_on"].as_array().expect("rests_on");
    assert_eq!(rests_on.len(), 3);
    assert!(rests_on.contains(&json!(award_d_id)));

    // The school revokes B: once the verifier holds the revocation, B no
    // longer counts and the capstone is out of reach again.
    revoke(&school, &[index_b]).await;
    wait_until("the revocation reaches the verifier", LIMIT, || async {
        state_of(&progress(&verifier, &capstone, &all).await, &b) == "revoked"
    })
    .await;
    let p = progress(&verifier, &capstone, &all).await;
    assert_eq!(p["complete"], false, "{p}");
    assert_eq!(p["pathways"][0]["steps"][0]["done"], 1);
    assert!(
        p["pathways"][0]["rests_on"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );

    // The earner's own node reads a backpack collection (with its token).
    for (bytes, name) in [(&award_a, "a.badge"), (&award_d, "d.badge")] {
        let r = post_bytes(
            verifier.url(&format!("/v1/admin/backpack/badges?file_name={name}")),
            Some(verifier.node().token().to_owned()),
            bytes.clone(),
        )
        .await;
        assert_eq!(r.status, 201, "{:?}", r.json);
        let id = r.json["badge"]["id"].as_str().expect("id").to_owned();
        if name == "a.badge" {
            let r = admin(
                &verifier,
                "/v1/admin/backpack/collections",
                json!({ "name": "cv" }),
            )
            .await;
            assert_eq!(r.status, 201, "{:?}", r.json);
        }
        put_member(&verifier, "cv", &id).await;
    }
    let url = verifier.url(&format!("/v1/badges/{capstone}/pathway/progress"));
    let r = post_json(url.clone(), None, json!({ "collection": "cv" })).await;
    assert_eq!(r.status, 401, "a collection needs the token: {:?}", r.json);
    let r = admin(
        &verifier,
        &format!("/v1/badges/{capstone}/pathway/progress"),
        json!({ "collection": "cv" }),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(state_of(&r.json, &a), "done", "{}", r.json);
    assert_eq!(state_of(&r.json, &d), "done");
    assert_eq!(state_of(&r.json, &b), "missing");

    // Withdrawn: the pathway leaves the verifier's graph.
    let r = admin(
        &school,
        &format!("/v1/admin/pathways/{pathway}/withdraw"),
        json!({}),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    wait_until("the withdrawal reaches the verifier", LIMIT, || async {
        graph(&verifier, &capstone).await["pathways"] == json!([])
    })
    .await;
}

async fn put_member(n: &TestNode, collection: &str, id: &str) {
    let url = n.url(&format!(
        "/v1/admin/backpack/collections/{collection}/badges/{id}"
    ));
    let token = n.node().token().to_owned();
    let status = tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        agent
            .put(&url)
            .header("Authorization", &format!("Bearer {token}"))
            .send_json(json!({}))
            .map(|r| r.status().as_u16())
    })
    .await
    .expect("task")
    .expect("http");
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cycle_is_refused_when_declared_also_across_issuers() {
    let school = TestNode::start(vec![]).await;
    let partner = TestNode::start(school.addrs()).await;
    init_issuer(&school, "Harbour Welding School").await;
    init_issuer(&partner, "Dockside Safety Institute").await;
    let a = create_badge(&school, "Welding basics").await;
    let capstone = create_badge(&school, "Master welder").await;
    let d = create_badge(&partner, "Dive safety").await;
    wait_for_badge(&school, &d).await;

    let r = declare(&school, &capstone, json!([{ "of": [a, d] }])).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    // On the same node: A requiring the capstone closes A -> capstone -> A.
    let r = declare(&school, &a, json!([{ "of": [capstone] }])).await;
    assert_eq!(
        (r.status, r.json["error"].as_str()),
        (409, Some("pathway_cycle")),
        "{:?}",
        r.json
    );
    // Nothing was signed: the school still holds one pathway to anything.
    assert!(
        graph(&school, &a).await["pathways"]
            .as_array()
            .is_some_and(|p| p.len() == 1)
    );
    // Across issuers: once the partner's node holds the school's pathway,
    // the partner cannot make its course require the capstone.
    wait_until("the pathway reaches the partner", LIMIT, || async {
        graph(&partner, &d).await["leads_to"] == json!([capstone])
    })
    .await;
    let r = declare(&partner, &d, json!([{ "of": [capstone] }])).await;
    assert_eq!(r.status, 409, "{:?}", r.json);
    assert!(
        r.json["message"]
            .as_str()
            .is_some_and(|m| m.contains(&capstone)),
        "{:?}",
        r.json
    );
    // Only a badge's own issuer declares what leads to it.
    let r = declare(&partner, &capstone, json!([{ "of": [d] }])).await;
    assert_eq!(
        (r.status, r.json["error"].as_str()),
        (400, Some("not_our_badge"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auto_award_pathway_awards_its_goal_once_and_names_what_it_rests_on() {
    use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
    use badgemesh_protocol::record::{Record, SignedRecord};
    let school = TestNode::start(vec![]).await;
    init_issuer(&school, "Harbour Welding School").await;
    let a = create_badge(&school, "Welding basics").await;
    let b = create_badge(&school, "Welding underwater").await;
    let capstone = create_badge(&school, "Master welder").await;
    let manual = create_badge(&school, "Inspector").await;
    let r = admin(
        &school,
        "/v1/admin/pathways",
        json!({ "goal": capstone, "steps": [{ "of": [a, b] }], "auto_award": true }),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    let pathway = r.json["id"].as_str().expect("id").to_owned();
    // Without the opt-in, nothing is awarded.
    let r = declare(&school, &manual, json!([{ "of": [a, b] }])).await;
    assert_eq!(r.status, 201, "{:?}", r.json);

    let (award_a, _, bytes_a) = award(&school, &a, "ada@example.org").await;
    let (award_b, _, bytes_b) = award(&school, &b, "ada@example.org").await;
    let (_, _, grace_b) = award(&school, &b, "grace@example.org").await;
    let ask = |goal: &str, files: &[&Vec<u8>], who: &str| {
        let body = json!({
            "badges": files.iter().map(|b| B64.encode(b)).collect::<Vec<_>>(),
            "recipient": who,
        });
        post_json(
            school.url(&format!("/v1/badges/{goal}/pathway/progress")),
            None,
            body,
        )
    };

    // Another earner's badge does not complete Ada's pathway.
    let r = ask(&capstone, &[&bytes_a, &grace_b], "ada@example.org").await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["complete"], false, "{}", r.json);
    assert_eq!(state_of(&r.json, &b), "invalid");
    assert_eq!(r.json["awarded"], Value::Null);

    let r = ask(&capstone, &[&bytes_a, &bytes_b], "ada@example.org").await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["complete"], true, "{}", r.json);
    let awarded = &r.json["awarded"];
    assert_eq!(awarded["result"], "awarded", "{awarded}");
    assert_eq!(awarded["pathway"], pathway.as_str());
    let key = awarded["key"].as_str().expect("award key").to_owned();
    let bytes = B64
        .decode(awarded["assertion"].as_str().expect("assertion"))
        .expect("base64");
    let rec = SignedRecord::decode(&bytes, MAX_ENVELOPE_BYTES).expect("a signed assertion");
    let Record::Assertion(assertion) = rec.record() else {
        panic!("not an assertion");
    };
    assert_eq!(assertion.badge.to_string(), capstone);
    let urls: Vec<&str> = assertion
        .evidence
        .iter()
        .filter_map(|e| e.url.as_deref())
        .collect();
    assert!(
        urls.contains(&format!("urn:badgemesh:assertion:{award_a}").as_str()),
        "{urls:?}"
    );
    assert!(
        urls.contains(&format!("urn:badgemesh:assertion:{award_b}").as_str()),
        "{urls:?}"
    );
    assert!(assertion.recipient.matches("ada@example.org"));
    // It verifies, and with it the goal is held.
    let v = post_bytes(school.url("/v1/verify"), None, bytes.clone()).await;
    assert_eq!(v.json["outcome"], "valid", "{:?}", v.json);
    let r = ask(&capstone, &[&bytes_a, &bytes_b, &bytes], "ada@example.org").await;
    assert!(r.json["goal_held"].is_string(), "{}", r.json);
    assert_eq!(r.json["awarded"], Value::Null);
    // The same badges again: no second award.
    let r = ask(&capstone, &[&bytes_b, &bytes_a], "ada@example.org").await;
    assert_eq!(r.json["awarded"]["result"], "already_awarded", "{}", r.json);
    // A pathway without the opt-in awards nothing.
    let r = ask(&manual, &[&bytes_a, &bytes_b], "ada@example.org").await;
    assert_eq!(r.json["complete"], true, "{}", r.json);
    assert_eq!(r.json["awarded"], Value::Null);
    // The VC API revokes the award by its key.
    let r = admin(
        &school,
        "/credentials/status",
        json!({
            "credentialId": key,
            "credentialStatus": { "type": "BitstringStatusListEntry", "status": "revoked" },
        }),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let v = post_bytes(school.url("/v1/verify"), None, bytes.clone()).await;
    assert_eq!(v.json["outcome"], "revoked", "{:?}", v.json);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_presentation_of_ob3_badges_shows_progress_and_only_its_holder_s_badges_count() {
    // The earner's node holds its badges (OB 3.0 exports of the school's
    // awards to its backpack's did:key) and presents them; the school's
    // node reads the presentation's credentials as pathway steps.
    let school = TestNode::start(vec![]).await;
    let earner = TestNode::start(school.addrs()).await;
    init_issuer(&school, "Harbour Welding School").await;
    let a = create_badge(&school, "Welding basics").await;
    let b = create_badge(&school, "Welding underwater").await;
    let capstone = create_badge(&school, "Master welder").await;
    let r = declare(&school, &capstone, json!([{ "of": [a, b] }])).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    let token = Some(earner.node().token().to_owned());
    let holder = get_with(earner.url("/v1/admin/backpack/holder"), token.clone()).await;
    let did = holder["did"].as_str().expect("holder did").to_owned();

    let mut ids = Vec::new();
    for badge in [&a, &b] {
        let (assertion, _, _) = award(&school, badge, &did).await;
        let r = admin(&school, "/v1/admin/ob3", json!({ "assertion": assertion })).await;
        assert_eq!(r.status, 200, "{:?}", r.json);
        let r = post_bytes(
            earner.url("/v1/admin/backpack/badges?file_name=course.json"),
            token.clone(),
            r.bytes,
        )
        .await;
        assert_eq!(r.status, 201, "{:?}", r.json);
        ids.push(r.json["badge"]["id"].as_str().expect("id").to_owned());
    }
    let r = admin(
        &earner,
        "/v1/admin/backpack/presentations",
        json!({ "badges": ids, "challenge": "c-1", "domain": "school.example" }),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let presentation = serde_json::to_vec(&r.json["presentation"]).expect("json");

    let p = progress(&school, &capstone, &[&presentation]).await;
    assert_eq!(p["complete"], true, "{p}");
    assert_eq!(state_of(&p, &a), "done");
    assert_eq!(state_of(&p, &b), "done");

    // The same presentation claimed by another holder: its proof no longer
    // verifies nor binds the badges, and none of them count.
    let mut forged: Value = serde_json::from_slice(&presentation).expect("json");
    forged["holder"] = json!("did:key:z6MkpJySvETLnxhQG9DzEdmKJtysBDjuuTeDfUj1uNNCUqcj");
    let forged = serde_json::to_vec(&forged).expect("json");
    let p = progress(&school, &capstone, &[&forged]).await;
    assert_eq!(p["complete"], false, "{p}");
    assert_eq!(state_of(&p, &a), "invalid", "{p}");
    assert!(
        p["notes"]
            .as_array()
            .is_some_and(|n| n.iter().any(|n| n["note"]
                .as_str()
                .is_some_and(|t| t.contains("count for nothing")))),
        "{p}"
    );
}

async fn get_with(url: String, token: Option<String>) -> Value {
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let auth = token.map(|t| format!("Bearer {t}")).unwrap_or_default();
        let mut r = agent
            .get(&url)
            .header("Authorization", &auth)
            .call()
            .expect("http");
        serde_json::from_slice(&r.body_mut().read_to_vec().unwrap_or_default())
            .unwrap_or(Value::Null)
    })
    .await
    .expect("task")
}
