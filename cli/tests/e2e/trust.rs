//! Who issued it, through the binary: following a registry, `verify
//! --require-listed` exit codes, and domain linkage written by `issuer
//! link-domain` and checked by `trust check-domain` against a loopback HTTP
//! server (valid, wrong key, wrong origin, expired).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use badgemesh_node::trust::linkage;
use badgemesh_protocol::keys::{IssuerId, SecretKey};
use badgemesh_protocol::testkit::seed;
use serde_json::Value;

use crate::harness::{NodeProc, poll};

const LIMIT: Duration = Duration::from_secs(30);

/// Serves whatever `body` holds at every path, until the test ends.
fn serve(body: Arc<Mutex<Vec<u8>>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let b = body.lock().map(|b| b.clone()).unwrap_or_default();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                b.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&b);
        }
    });
    format!("http://127.0.0.1:{}", addr.port())
}

#[test]
fn require_listed_follows_the_registry_and_the_line_says_whose_word() {
    let registry = NodeProc::start(&[]);
    let reg_did = registry
        .cmd(&["issuer", "init", "--name", "Accreditation Board"])
        .ok()
        .line();
    let school = NodeProc::start(&registry.addrs());
    let school_did = school
        .cmd(&[
            "issuer",
            "init",
            "--name",
            "Example Academy",
            "--url",
            "https://academy.example",
        ])
        .ok()
        .line();
    let badge = school.create_badge("Teamwork");
    let file = school.dir.join("ada.badge");
    let file = file.to_str().expect("utf-8");
    school
        .cmd(&["award", &badge, "--to", "ada@example.org", "--out", file])
        .ok();
    let verifier = NodeProc::start(&registry.addrs());
    verifier
        .cmd(&["trust", "follow", &reg_did, "--name", "The Board"])
        .ok();
    let listed = verifier.cmd(&["trust", "list", "--json"]).ok().json();
    assert_eq!(listed["registries"][0]["did"], reg_did.as_str());

    // Unlisted: valid, but exit 3 when a listing is required; the line quotes the claim.
    let plain = poll("the badge to verify", LIMIT, || {
        let r = verifier.cmd(&["verify", file]);
        (r.code == 0).then_some(r)
    });
    assert!(
        plain
            .stdout
            .contains("calls itself \u{201c}Example Academy\u{201d}"),
        "{}",
        plain.stdout
    );
    assert_eq!(verifier.cmd(&["verify", file, "--require-listed"]).code, 3);

    // Listed by the followed registry: exit 0, and the line says by whom.
    registry
        .cmd(&[
            "registry",
            "list",
            &school_did,
            "--name",
            "Example Academy",
            "--country",
            "FR",
        ])
        .ok();
    let v = poll("the listing to reach the verifier", LIMIT, || {
        let r = verifier.cmd(&["verify", file, "--require-listed", "--json"]);
        (r.code == 0).then_some(r)
    })
    .json();
    assert_eq!(v["trust"]["state"], "listed");
    let human = verifier.cmd(&["verify", file]).ok();
    assert!(
        human.stdout.contains("listed by The Board"),
        "{}",
        human.stdout
    );

    // De-listed: exit 1 when a listing is required.
    registry
        .cmd(&["registry", "delist", &school_did, "--reason", "closed"])
        .ok();
    let v: Value = poll("the de-listing to reach the verifier", LIMIT, || {
        let r = verifier.cmd(&["verify", file, "--require-listed", "--json"]);
        (r.code == 1).then_some(r)
    })
    .json();
    assert_eq!(v["outcome"], "invalid");
    assert_eq!(v["trust"]["state"], "delisted");
}

#[test]
fn domain_linkage_written_by_link_domain_is_checked_with_its_results() {
    let school = NodeProc::start(&[]);
    let did = school
        .cmd(&["issuer", "init", "--name", "Example Academy"])
        .ok()
        .line();
    let body = Arc::new(Mutex::new(Vec::new()));
    let origin = serve(body.clone());
    let other_origin = serve(body.clone());
    let out = school.dir.join("did-configuration.json");
    school
        .cmd(&[
            "issuer",
            "link-domain",
            &origin,
            "--out",
            out.to_str().expect("utf-8"),
        ])
        .ok();
    let written = std::fs::read(&out).expect("written");
    let doc: Value = serde_json::from_slice(&written).expect("json");
    assert_eq!(doc["@context"], linkage::DID_CONFIGURATION_CONTEXT);
    assert!(
        doc["linked_dids"][0]
            .as_str()
            .is_some_and(|j| j.split('.').count() == 3)
    );
    *body.lock().expect("lock") = written.clone();

    let check = |origin: &str| {
        let r = school.cmd(&["trust", "check-domain", origin, "--json"]);
        let status = r.json()["linked_dids"][0]["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        (r.code, status)
    };
    assert_eq!(check(&origin), (0, "valid".into()));
    assert_eq!(check(&other_origin), (1, "wrong_origin".into()));

    // The check is remembered, and verdicts carry it.
    let list = school.cmd(&["trust", "list", "--json"]).ok().json();
    assert!(
        list["domains"].as_array().is_some_and(|d| d
            .iter()
            .any(|d| d["did"] == did.as_str() && d["status"] == "valid")),
        "{list}"
    );
    let badge = school.create_badge("Linked");
    let file = school.dir.join("b.badge");
    let file = file.to_str().expect("utf-8");
    school
        .cmd(&["award", &badge, "--to", "b@example.org", "--out", file])
        .ok();
    let v = school.cmd(&["verify", file, "--json"]).ok().json();
    assert_eq!(v["trust"]["domains"][0]["origin"], origin.as_str(), "{v}");

    // Signed by another key in this DID's name: invalid.
    let jwt = doc["linked_dids"][0].as_str().expect("jwt").to_owned();
    let other = SecretKey::from_seed(&seed("e2e-linkage", 1)).expect("key");
    let other_id = IssuerId::from_key(other.public());
    let theirs = linkage::sign_dlc(
        &other,
        &other_id,
        &origin,
        badgemesh_node::core::now(),
        3600,
    )
    .expect("signed");
    let mut parts: Vec<&str> = jwt.split('.').collect();
    parts[2] = theirs.rsplit('.').next().expect("signature");
    let spliced = serde_json::to_vec(&linkage::resource(&[parts.join(".")])).expect("json");
    *body.lock().expect("lock") = spliced;
    assert_eq!(check(&origin), (1, "invalid".into()));

    // Expired yesterday.
    let old = linkage::sign_dlc(
        &other,
        &other_id,
        &origin,
        badgemesh_node::core::now().plus(-2 * 86_400),
        86_400,
    )
    .expect("signed");
    *body.lock().expect("lock") = serde_json::to_vec(&linkage::resource(&[old])).expect("json");
    assert_eq!(check(&origin), (1, "expired".into()));
}

#[test]
fn one_edtech_credential_verifies_offline_and_a_local_listing_vouches_for_its_url_issuer() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let credential = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../openbadges/tests/vectors/1edtech-ob3/signed.json");
    let credential = credential.to_str().expect("utf-8");
    // No node runs: OB 3.0 verifies from the file alone. The key is the
    // multikey in the issuer URL's fragment, as in 1EdTech's example.
    let v = crate::harness::run(dir, &["verify", credential, "--json"])
        .ok()
        .json();
    assert_eq!(v["outcome"], "valid", "{v}");
    assert_eq!(v["trust"]["state"], "unlisted");
    let strict = crate::harness::run(dir, &["verify", credential, "--require-listed"]);
    assert_eq!(strict.code, 3);
    crate::harness::run(
        dir,
        &[
            "trust",
            "add",
            "https://example.edu/issuers/565049",
            "--name",
            "Example University",
        ],
    )
    .ok();
    let v = crate::harness::run(dir, &["verify", credential, "--require-listed", "--json"])
        .ok()
        .json();
    assert_eq!(v["trust"]["state"], "listed");
    assert_eq!(v["trust"]["sources"][0]["source"], "local");
}
