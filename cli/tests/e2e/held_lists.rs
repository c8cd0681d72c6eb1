//! Status and revocation lists held with the real binary and no node:
//! DCC's published status list held under the URL its credentials point at
//! (`status-list add --url`), and a signed OB 2.0 badge checked against its
//! issuer's revocation list (`revocation-list add`), with the OB 2.0
//! specification's RevocationList.

use std::path::{Path, PathBuf};

use crate::harness::run;
use crate::interop::{key_document, signed_ob2_with};

const DCC_URL: &str = "https://digitalcredentials.github.io/vc-test-fixtures/statusLists/didkey-ed25519Signature2020/e5WK8CbZ1GjycuPombrj";

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn revocation_check(v: &serde_json::Value) -> serde_json::Value {
    v["checks"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["check"] == "revocation"))
        .cloned()
        .unwrap_or_else(|| panic!("no revocation check in {v}"))
}

#[test]
fn status_list_add_url_holds_dccs_list_where_its_credentials_point() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let dcc = repo("openbadges/tests/vectors/dcc");
    let list = dcc.join("status-list-e5WK8CbZ1GjycuPombrj.json");
    let credential = dcc.join("v1-didweb-legacy-revokedStatus-noExpiry.json");
    assert_eq!(
        run(data, &["did", "add", s(&dcc.join("did-legacy.json"))]).code,
        0
    );

    // Held under its own id, it does not answer for credentials that point
    // at the URL it is served at.
    let r = run(data, &["status-list", "add", s(&list)]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("100000 entries"), "{}", r.stderr);
    let r = run(data, &["verify", s(&credential), "--json"]);
    assert_eq!(revocation_check(&r.json())["status"], "unknown", "{r:?}");

    let r = run(data, &["status-list", "add", "--url", DCC_URL, s(&list)]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains(DCC_URL), "{}", r.stdout);
    let r = run(data, &["status-list", "list", "--json"]);
    let rows = r.json();
    let urls: Vec<&str> = rows.as_array().map_or(Vec::new(), |a| {
        a.iter().filter_map(|l| l["url"].as_str()).collect()
    });
    assert_eq!(
        urls,
        vec![
            DCC_URL,
            "https://testing.dcconsortium.org/status/e5WK8CbZ1GjycuPombrj"
        ],
        "{r:?}"
    );
    let r = run(data, &["verify", s(&credential), "--json"]);
    let c = revocation_check(&r.json());
    assert_eq!(c["status"], "fail", "{r:?}");
    assert!(
        c["detail"].as_str().is_some_and(|d| d.contains(DCC_URL)),
        "{c}"
    );
    assert_ne!(r.code, 0, "{r:?}");

    // A URL that is not one is refused, and nothing is added.
    let r = run(
        data,
        &["status-list", "add", "--url", "not a url", s(&list)],
    );
    assert_eq!(r.code, 2, "{r:?}");
}

#[test]
fn a_signed_ob2_badge_is_checked_against_its_issuers_revocation_list() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let key = dir.path().join("key.json");
    std::fs::write(
        &key,
        key_document(&repo("bake/tests/fixtures/ob2_test_rsa_public.pem")),
    )
    .expect("write");
    assert_eq!(run(&data, &["ob2-key", "add", s(&key)]).code, 0);
    let list_url = "https://example.org/revocations";
    let badge = |id: &str| {
        let path = dir.path().join(format!("{}.jws", id.replace(':', "_")));
        std::fs::write(&path, signed_ob2_with(id, Some(list_url))).expect("write");
        path
    };
    let revoked = badge("urn:uuid:e79a6c18-787e-4868-8e65-e6a4530fb418");
    let kept = badge("urn:uuid:00000000-787e-4868-8e65-e6a4530fb418");

    // The issuer declares a list this node does not hold: indeterminate,
    // never "not revoked".
    let r = run(&data, &["verify", s(&revoked), "--json"]);
    assert_eq!(
        (r.code, r.json()["outcome"].as_str()),
        (3, Some("indeterminate")),
        "{r:?}"
    );
    assert!(
        r.stdout
            .contains("the issuer's revocation list https://example.org/revocations is not held"),
        "{}",
        r.stdout
    );

    let spec_list = repo("bake/tests/fixtures/ob2_revocation_list.json");
    let r = run(
        &data,
        &["revocation-list", "add", "--url", list_url, s(&spec_list)],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let r = run(&data, &["revocation-list", "list", "--json"]);
    assert_eq!(r.json()[0]["url"], list_url, "{r:?}");
    assert_eq!(r.json()[0]["revoked"], 3, "{r:?}");

    let r = run(&data, &["verify", s(&revoked), "--json"]);
    assert_eq!(
        (r.code, r.json()["outcome"].as_str()),
        (1, Some("revoked")),
        "{r:?}"
    );
    let c = revocation_check(&r.json());
    assert!(
        c["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Honor code violation")),
        "{c}"
    );
    let r = run(&data, &["verify", s(&kept), "--json"]);
    assert_eq!(
        (r.code, r.json()["outcome"].as_str()),
        (0, Some("valid")),
        "{r:?}"
    );
    assert_eq!(revocation_check(&r.json())["status"], "pass", "{r:?}");

    // Human output names the list.
    let r = run(&data, &["verify", s(&revoked)]);
    assert!(r.stdout.contains("REVOKED"), "{}", r.stdout);
    assert!(r.stdout.contains(list_url), "{}", r.stdout);
}
