//! CLR 2.0 between real nodes: a school's node gathers a learner's awards
//! (a course and the capstone it leads to) into a signed `ClrCredential`
//! with the pathway's associations; a verifier's node checks it (its own
//! proof, every credential, the associations), sees a later revocation of
//! one credential, refuses a tampered record, and counts the record's
//! credentials as pathway steps. A badge of another learner is refused.

use std::time::Duration;

use badgemesh_tests::{TestNode, get, post_bytes, post_json, wait_until};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use crate::support::{admin, award, create_badge, revoke};

const LIMIT: Duration = Duration::from_secs(30);
const ADA: &str = "did:key:z6MkpJySvETLnxhQG9DzEdmKJtysBDjuuTeDfUj1uNNCUqcj";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_learner_record_is_signed_with_pathway_associations_and_verified_elsewhere() {
    let school = TestNode::start(vec![]).await;
    let verifier = TestNode::start(school.addrs()).await;
    // With a public base URL, its exported credentials carry its status
    // list entry, which every badgemesh node answers from the network.
    let r = admin(
        &school,
        "/v1/admin/issuer",
        json!({ "name": "Harbour Welding School", "public_base_url": "https://school.example" }),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    let course = create_badge(&school, "Welding basics").await;
    let capstone = create_badge(&school, "Master welder").await;
    let r = admin(
        &school,
        "/v1/admin/pathways",
        json!({ "goal": capstone, "steps": [{ "of": [course] }] }),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    let (_, course_index, course_award) = award(&school, &course, ADA).await;
    let (_, _, capstone_award) = award(&school, &capstone, ADA).await;
    let (_, _, someone_else) = award(&school, &course, "grace@example.org").await;

    let export = |badges: Vec<&Vec<u8>>, learner: &str| {
        admin(
            &school,
            "/v1/admin/clr",
            json!({
                "badges": badges.iter().map(|b| B64.encode(b)).collect::<Vec<_>>(),
                "learner": learner,
                "name": "Ada's welding record",
            }),
        )
    };
    // Another learner's badge: nothing is signed.
    let r = export(vec![&course_award, &someone_else], ADA).await;
    assert_eq!(
        (r.status, r.json["error"].as_str()),
        (422, Some("not_valid")),
        "{:?}",
        r.json
    );

    let r = export(vec![&course_award, &capstone_award], ADA).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    let clr = r.json;
    assert_eq!(
        clr["type"],
        json!(["VerifiableCredential", "ClrCredential"])
    );
    assert_eq!(clr["credentialSubject"]["id"], ADA);
    let embedded = clr["credentialSubject"]["verifiableCredential"]
        .as_array()
        .expect("credentials");
    assert_eq!(embedded.len(), 2);
    let course_urn = format!("urn:badgemesh:badge:{course}");
    let capstone_urn = format!("urn:badgemesh:badge:{capstone}");
    let kinds: Vec<(&str, &str, &str)> = clr["credentialSubject"]["association"]
        .as_array()
        .expect("associations")
        .iter()
        .map(|a| {
            (
                a["associationType"].as_str().unwrap_or(""),
                a["sourceId"].as_str().unwrap_or(""),
                a["targetId"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("isChildOf", course_urn.as_str(), capstone_urn.as_str()),
            ("precedes", course_urn.as_str(), capstone_urn.as_str()),
        ]
    );
    let clr_bytes = serde_json::to_vec(&clr).expect("json");

    // The verifier's node checks the record once it holds the school.
    wait_until("the school's records reach the verifier", LIMIT, || async {
        get(verifier.url(&format!("/v1/badges/{capstone}")))
            .await
            .status
            == 200
    })
    .await;
    let verdict = |bytes: Vec<u8>| post_bytes(verifier.url("/v1/verify"), None, bytes);
    let v = verdict(clr_bytes.clone()).await.json;
    assert_eq!(v["format"], "clr", "{v}");
    assert_eq!(v["outcome"], "valid", "{v}");
    let check = |v: &Value, name: &str| {
        v["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["check"] == name)
            .map(|c| c["status"].as_str().unwrap_or("").to_owned())
            .unwrap_or_default()
    };
    for name in [
        "signature",
        "structure",
        "learner",
        "credentials",
        "associations",
    ] {
        assert_eq!(check(&v, name), "pass", "{name}: {v}");
    }
    assert_eq!(v["credentials"].as_array().map(Vec::len), Some(2));

    // The record's credentials are pathway steps.
    let p = post_json(
        verifier.url(&format!("/v1/badges/{capstone}/pathway/progress")),
        None,
        json!({ "badges": [B64.encode(&clr_bytes)] }),
    )
    .await
    .json;
    assert_eq!(p["complete"], true, "{p}");
    assert!(p["goal_held"].is_string(), "{p}");

    // Tampered: an association redirected breaks the record's own proof.
    let mut tampered = clr.clone();
    tampered["credentialSubject"]["association"][1]["associationType"] = "replacedBy".into();
    let v = verdict(serde_json::to_vec(&tampered).expect("json"))
        .await
        .json;
    assert_eq!(v["outcome"], "invalid", "{v}");
    assert_eq!(check(&v, "signature"), "fail", "{v}");

    // The school revokes the course award: the record is revoked with it.
    revoke(&school, &[course_index]).await;
    wait_until("the revocation reaches the verifier", LIMIT, || async {
        verdict(clr_bytes.clone()).await.json["outcome"] == "revoked"
    })
    .await;
    let v = verdict(clr_bytes.clone()).await.json;
    assert_eq!(check(&v, "credentials"), "fail", "{v}");
    assert_eq!(check(&v, "signature"), "pass", "{v}");
}
