//! Documents held for other issuers, added through the admin API of a
//! running node: a status list under the URL credentials point at (DCC's
//! published list, whose `id` is another URL), and an OB 2.0 revocation list
//! (the OB 2.0 specification's example). The node uses them on its next
//! verification.

use badgemesh_node::trust::held::HeldDocuments;
use badgemesh_tests::{TestNode, post_bytes};

const DCC_URL: &str = "https://digitalcredentials.github.io/vc-test-fixtures/statusLists/didkey-ed25519Signature2020/e5WK8CbZ1GjycuPombrj";

fn file(rel: &str) -> Vec<u8> {
    let path = format!("{}/../{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `url` as a query value.
fn query(url: &str) -> String {
    url.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_posted_to_the_admin_api_answer_for_badges_at_once() {
    let n = TestNode::start(vec![]).await;
    let token = Some(n.node().token().to_owned());
    let list = file("openbadges/tests/vectors/dcc/status-list-e5WK8CbZ1GjycuPombrj.json");
    let route = n.url(&format!("/v1/admin/status-lists?url={}", query(DCC_URL)));

    let r = post_bytes(route.clone(), None, list.clone()).await;
    assert_eq!(r.status, 401, "{:?}", r.json);
    let r = post_bytes(
        route.clone(),
        token.clone(),
        b"{\"not\": \"a list\"}".to_vec(),
    )
    .await;
    assert_eq!(
        (r.status, r.json["error"].as_str()),
        (400, Some("bad_status_list")),
        "{:?}",
        r.json
    );
    let r = post_bytes(route, token.clone(), list).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    assert_eq!(r.json["url"], DCC_URL);
    assert_eq!(
        r.json["id"],
        "https://testing.dcconsortium.org/status/e5WK8CbZ1GjycuPombrj"
    );
    assert_eq!(r.json["entries"], 100_000);
    assert!(
        r.json["warning"]
            .as_str()
            .is_some_and(|w| w.contains("fewer than the 131072")),
        "{:?}",
        r.json
    );

    // DCC's did:web credential whose entry 6 is set in that list: the
    // running node answers from the list it was just given.
    HeldDocuments::in_data_dir(n.dir.path())
        .dids
        .add(&file("openbadges/tests/vectors/dcc/did-legacy.json"))
        .expect("DCC's DID document");
    let credential =
        file("openbadges/tests/vectors/dcc/v1-didweb-legacy-revokedStatus-noExpiry.json");
    let r = post_bytes(n.url("/v1/verify"), None, credential).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let revocation = r.json["checks"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["check"] == "revocation"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(revocation["status"], "fail", "{:?}", r.json);
    assert_eq!(r.json["status"][0]["status_list"], DCC_URL);

    // The OB 2.0 specification's RevocationList, under the URL an issuer
    // profile names.
    let url = "https://example.org/revocations";
    let r = post_bytes(
        n.url(&format!("/v1/admin/revocation-lists?url={}", query(url))),
        token.clone(),
        file("bake/tests/fixtures/ob2_revocation_list.json"),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    assert_eq!(
        (r.json["kind"].as_str(), r.json["revoked"].as_u64()),
        (Some("OB 2.0 RevocationList"), Some(3))
    );
    let held = HeldDocuments::in_data_dir(n.dir.path());
    assert!(held.revocation_lists.ob2(url).is_some());
    assert!(
        held.revocation_lists
            .ob2_of_issuer("https://example.org/issuer")
            .is_some()
    );
    let r = post_bytes(
        n.url("/v1/admin/revocation-lists"),
        token,
        b"{\"type\": \"RevocationList\"}".to_vec(),
    )
    .await;
    assert_eq!(
        (r.status, r.json["error"].as_str()),
        (400, Some("bad_revocation_list")),
        "{:?}",
        r.json
    );
}
