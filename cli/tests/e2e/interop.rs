//! Open Badges 3.0 and baked images through the real binary: award as OB 3.0,
//! PNG and SVG, verify on another node (revocation from the network), verify
//! with no node at all, bake and unbake.

use std::time::Duration;

use crate::harness::{NodeProc, Run, poll, run};

/// A small valid PNG, shared with the bake crate's tests.
const PNG: &[u8] = include_bytes!("../../../bake/tests/fixtures/tiny.png");

const SVG: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle cx="5" cy="5" r="4"/></svg>"#;

#[test]
fn ob3_png_and_svg_badges_verify_here_elsewhere_and_offline() {
    let a = NodeProc::start(&[]);
    let b = NodeProc::start(&a.addrs());
    a.cmd(&[
        "issuer",
        "init",
        "--name",
        "Interop Academy",
        "--public-url",
        "https://badges.example",
    ])
    .ok();
    let badge = a
        .cmd(&[
            "badge",
            "create",
            "--name",
            "Standards",
            "--description",
            "Speaks OB 3.0",
            "--criteria",
            "Pass",
        ])
        .ok()
        .line();
    let dir = a.dir.clone();
    let path = |name: &str| dir.join(name).to_str().expect("path").to_owned();
    std::fs::write(path("badge.png"), PNG).expect("png");
    std::fs::write(path("badge.svg"), SVG).expect("svg");

    let json_id = a
        .cmd(&[
            "award",
            &badge,
            "--to",
            "ada@example.org",
            "--format",
            "ob3",
            "--out",
            &path("ada.json"),
        ])
        .ok()
        .line();
    a.cmd(&[
        "award",
        &badge,
        "--to",
        "bob@example.org",
        "--format",
        "png",
        "--image",
        &path("badge.png"),
        "--out",
        &path("bob.png"),
    ])
    .ok();
    a.cmd(&[
        "award",
        &badge,
        "--to",
        "cy@example.org",
        "--format",
        "svg",
        "--image",
        &path("badge.svg"),
        "--out",
        &path("cy.svg"),
    ])
    .ok();
    let credential = std::fs::read_to_string(path("ada.json")).expect("credential");
    assert!(
        credential.contains("eddsa-rdfc-2022") && credential.contains("BitstringStatusListEntry"),
        "{credential}"
    );

    // On the other node: valid, checked against the network's revocation state.
    for (file, who) in [
        ("ada.json", "ada@example.org"),
        ("bob.png", "bob@example.org"),
        ("cy.svg", "cy@example.org"),
    ] {
        let r = poll(
            "the issuer's records at the other node",
            Duration::from_secs(30),
            || {
                let r = b.cmd(&["verify", &path(file), "--recipient", who, "--json"]);
                (r.code == 0).then_some(r)
            },
        );
        let v = r.json();
        assert_eq!(v["format"], "ob3", "{file}");
        assert_eq!(v["badge"]["name"], "Standards");
        let rev = v["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|c| c["check"] == "revocation")
            .expect("revocation check")
            .clone();
        assert_eq!(rev["status"], "pass", "{file}: {rev}");
    }
    // The baked PNG still is a PNG and unbakes to the credential.
    let unbaked = a.cmd(&["unbake", &path("bob.png")]).ok();
    assert!(unbaked.stdout.contains("OpenBadgeCredential"));

    // Revoking the native award flips the OB 3.0 verdict on the other node.
    a.cmd(&["revoke", &json_id]).ok();
    let revoked = poll(
        "the revocation at the other node",
        Duration::from_secs(30),
        || {
            let r = b.cmd(&["verify", &path("ada.json"), "--json"]);
            (r.code == 1).then_some(r)
        },
    );
    assert_eq!(revoked.json()["outcome"], "revoked");

    // With no node: the proof still verifies; revocation stays unknown.
    let nowhere = tempfile::tempdir().expect("tempdir");
    let offline = run(nowhere.path(), &["verify", &path("ada.json"), "--json"]);
    assert_eq!(
        (offline.code, offline.json()["outcome"].as_str()),
        (3, Some("indeterminate")),
        "{offline:?}"
    );
    // A tampered credential is invalid, with or without a node.
    let tampered = credential.replace("Speaks OB 3.0", "Speaks OB 4.0");
    std::fs::write(path("tampered.json"), tampered).expect("write");
    let r = run(
        nowhere.path(),
        &["verify", &path("tampered.json"), "--json"],
    );
    assert_eq!(
        (r.code, r.json()["outcome"].as_str()),
        (1, Some("invalid")),
        "{r:?}"
    );
    let r = b.cmd(&["verify", &path("tampered.json"), "--json"]);
    assert_eq!(
        (r.code, r.json()["outcome"].as_str()),
        (1, Some("invalid")),
        "{r:?}"
    );

    // bake + unbake by hand round-trips the credential.
    a.cmd(&[
        "bake",
        &path("badge.svg"),
        &path("ada.json"),
        "--out",
        &path("ada.svg"),
    ])
    .ok();
    assert_eq!(
        a.cmd(&["unbake", &path("ada.svg")]).ok().stdout.trim(),
        credential.trim()
    );

    // The status list is served and marks the revoked award.
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(a.dir.join("node.json")).expect("node.json"))
            .expect("json");
    let did = a.cmd(&["issuer", "show", "--json"]).ok().json()["did"]
        .as_str()
        .expect("did")
        .to_owned();
    let url = format!(
        "{}/ob3/status/{did}/revocation",
        info["api"].as_str().expect("api")
    );
    let mut resp = ureq::get(&url).call().expect("status list");
    let text = resp.body_mut().read_to_string().expect("body");
    let list: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(list["credentialSubject"]["type"], "BitstringStatusList");

    // Carried to a place with no node and no network, the list answers for
    // the issuer's credentials: ada's award is revoked, bob's is not.
    std::fs::write(path("list.json"), &text).expect("write");
    let r = run(nowhere.path(), &["status-list", "add", &path("list.json")]);
    assert_eq!(r.code, 0, "{r:?}");
    let r = run(nowhere.path(), &["verify", &path("ada.json"), "--json"]);
    assert_eq!(
        (r.code, r.json()["outcome"].as_str()),
        (1, Some("revoked")),
        "{r:?}"
    );
    let r = run(nowhere.path(), &["verify", &path("bob.png"), "--json"]);
    assert_eq!(
        (r.code, r.json()["outcome"].as_str()),
        (0, Some("valid")),
        "{r:?}"
    );
    // A list whose bytes were changed does not verify and is not held.
    let forged = text.replacen("revocation", "suspension", 1);
    std::fs::write(path("forged.json"), forged).expect("write");
    let r = run(
        nowhere.path(),
        &["status-list", "add", &path("forged.json")],
    );
    assert_eq!(r.code, 2, "{r:?}");
    let r = run(nowhere.path(), &["status-list", "list", "--json"]);
    assert_eq!(r.json().as_array().map(Vec::len), Some(1), "{r:?}");
}

#[test]
fn a_hosted_ob2_badge_is_indeterminate_offline_even_with_a_key() {
    // An RS256 JWS signed with the bake crate's test key (see bake/tests).
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../bake/tests/fixtures");
    let dir = tempfile::tempdir().expect("tempdir");
    let hosted = dir.path().join("hosted.json");
    std::fs::write(
        &hosted,
        r#"{"@context":"https://w3id.org/openbadges/v2","type":"Assertion","id":"https://example.org/a/1",
            "recipient":{"type":"email","hashed":false,"identity":"ada@example.org"},
            "badge":"https://example.org/b/1","verification":{"type":"hosted"},"issuedOn":"2020-01-01T00:00:00Z"}"#,
    )
    .expect("write");
    let r = run(
        dir.path(),
        &["verify", hosted.to_str().expect("path"), "--json"],
    );
    assert_eq!(
        (r.code, r.json()["outcome"].as_str()),
        (3, Some("indeterminate")),
        "{r:?}"
    );
    assert!(r.stdout.contains("hosted"), "{}", r.stdout);
    // A key file that does not parse is not a valid check.
    let key = fixtures.join("ob2_test_rsa_public.pem");
    let r = run(
        dir.path(),
        &[
            "verify",
            hosted.to_str().expect("path"),
            "--issuer-key",
            key.to_str().expect("path"),
            "--json",
        ],
    );
    assert_eq!(
        r.code, 3,
        "a hosted badge stays indeterminate even with a key: {r:?}"
    );
}

/// Signs an OB 2.0 assertion as a compact RS256 JWS with the bake crate's
/// test key.
fn signed_ob2() -> String {
    signed_ob2_with("urn:uuid:2f1b4a8e-3c1d-4e5f-9a0b-1c2d3e4f5a6b", None)
}

/// A signed OB 2.0 badge with assertion `id`, whose embedded issuer profile
/// declares `revocation_list` (or none).
pub(crate) fn signed_ob2_with(id: &str, revocation_list: Option<&str>) -> String {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64U;
    let mut assertion = serde_json::json!({
        "@context": "https://w3id.org/openbadges/v2", "type": "Assertion",
        "id": id,
        "recipient": { "type": "email", "hashed": false, "identity": "ada@example.org" },
        "badge": { "type": "BadgeClass", "id": "https://example.org/badges/5", "name": "Printmaster",
            "description": "Prints.", "image": "https://example.org/i", "criteria": { "narrative": "Print." },
            "issuer": { "type": "Profile", "id": "https://example.org/issuer", "name": "Makers",
                "url": "https://example.org", "email": "c@example.org", "publicKey": "https://example.org/keys/1" } },
        "verification": { "type": "SignedBadge", "creator": "https://example.org/keys/1" },
        "issuedOn": "2016-12-31T23:59:59Z"
    });
    if let Some(url) = revocation_list {
        assertion["badge"]["issuer"]["revocationList"] = url.into();
    }
    let key = ring::signature::RsaKeyPair::from_pkcs8(include_bytes!(
        "../../../bake/tests/fixtures/ob2_test_rsa_private.pk8"
    ))
    .expect("test key");
    let input = format!(
        "{}.{}",
        B64U.encode(r#"{"alg":"RS256"}"#),
        B64U.encode(assertion.to_string())
    );
    let mut sig = vec![0; key.public().modulus_len()];
    key.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        input.as_bytes(),
        &mut sig,
    )
    .expect("signs");
    format!("{input}.{}", B64U.encode(sig))
}

#[test]
fn a_signed_ob2_badge_verifies_with_the_issuers_key_only() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../bake/tests/fixtures");
    let dir = tempfile::tempdir().expect("tempdir");
    let jws = dir.path().join("signed.jws");
    std::fs::write(&jws, signed_ob2()).expect("write");
    let jws = jws.to_str().expect("path");
    let key = fixtures.join("ob2_test_rsa_public.pem");
    let other = fixtures.join("ob2_other_rsa_public.pem");
    let r = run(
        dir.path(),
        &[
            "verify",
            jws,
            "--issuer-key",
            key.to_str().expect("path"),
            "--recipient",
            "ada@example.org",
            "--json",
        ],
    );
    assert_eq!(
        (
            r.code,
            r.json()["outcome"].as_str(),
            r.json()["format"].as_str()
        ),
        (0, Some("valid"), Some("ob2")),
        "{r:?}"
    );
    let r = run(
        dir.path(),
        &[
            "verify",
            jws,
            "--issuer-key",
            other.to_str().expect("path"),
            "--json",
        ],
    );
    assert_eq!(
        (r.code, r.json()["outcome"].as_str()),
        (1, Some("invalid")),
        "{r:?}"
    );
    let r = run(dir.path(), &["verify", jws, "--json"]);
    assert_eq!(
        (r.code, r.json()["outcome"].as_str()),
        (3, Some("indeterminate")),
        "without the key: {r:?}"
    );
}

/// The issuer's CryptographicKey document for `pem`, at the URL the signed
/// badge names.
pub(crate) fn key_document(pem: &std::path::Path) -> String {
    serde_json::json!({
        "@context": "https://w3id.org/openbadges/v2",
        "type": "CryptographicKey",
        "id": "https://example.org/keys/1",
        "owner": "https://example.org/issuer",
        "publicKeyPem": std::fs::read_to_string(pem).expect("pem"),
    })
    .to_string()
}

#[test]
fn a_trusted_ob2_key_in_the_data_dir_verifies_signed_badges_offline() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../bake/tests/fixtures");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let jws = dir.path().join("signed.jws");
    std::fs::write(&jws, signed_ob2()).expect("write");
    let jws = jws.to_str().expect("path");
    let verify = || run(&data, &["verify", jws, "--json"]);

    let r = verify();
    assert_eq!(r.json()["outcome"].as_str(), Some("indeterminate"), "{r:?}");

    let good = dir.path().join("key.json");
    std::fs::write(
        &good,
        key_document(&fixtures.join("ob2_test_rsa_public.pem")),
    )
    .expect("write");
    let r = run(&data, &["ob2-key", "add", good.to_str().expect("path")]);
    assert_eq!(r.code, 0, "{r:?}");
    let r = run(&data, &["ob2-key", "list", "--json"]);
    assert_eq!(
        r.json()[0]["id"].as_str(),
        Some("https://example.org/keys/1"),
        "{r:?}"
    );
    let r = verify();
    assert_eq!(
        (r.code, r.json()["outcome"].as_str()),
        (0, Some("valid")),
        "{r:?}"
    );
    assert!(
        r.stdout.contains("https://example.org/keys/1"),
        "{}",
        r.stdout
    );

    // The same URL with another key replaces it: the badge no longer verifies.
    let other = dir.path().join("other.json");
    std::fs::write(
        &other,
        key_document(&fixtures.join("ob2_other_rsa_public.pem")),
    )
    .expect("write");
    assert_eq!(
        run(&data, &["ob2-key", "add", other.to_str().expect("path")]).code,
        0
    );
    let r = verify();
    assert_eq!(
        (r.code, r.json()["outcome"].as_str()),
        (1, Some("invalid")),
        "{r:?}"
    );

    // A document that is not an RSA key is refused, and nothing changes.
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        key_document(&fixtures.join("ob2_ed25519_public.pem")).replace("keys/1", "keys/2"),
    )
    .expect("write");
    let r = run(&data, &["ob2-key", "add", bad.to_str().expect("path")]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("RSA"), "{}", r.stderr);
    let r = run(&data, &["ob2-key", "list", "--json"]);
    assert_eq!(r.json().as_array().map(Vec::len), Some(1), "{r:?}");
}

#[test]
fn a_running_node_uses_the_ob2_keys_added_to_its_data_dir() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../bake/tests/fixtures");
    let node = NodeProc::start(&[]);
    let jws = node.dir.join("signed.jws");
    std::fs::write(&jws, signed_ob2()).expect("write");
    let jws = jws.to_str().expect("path");
    let r = node.cmd(&["verify", jws, "--json"]);
    assert_eq!(r.json()["outcome"].as_str(), Some("indeterminate"), "{r:?}");
    let key = node.dir.join("key.json");
    std::fs::write(
        &key,
        key_document(&fixtures.join("ob2_test_rsa_public.pem")),
    )
    .expect("write");
    node.cmd(&["ob2-key", "add", key.to_str().expect("path")])
        .ok();
    // Through the node's API (not the CLI's local check): the node reads
    // its keys on each verification, no restart needed.
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(node.dir.join("node.json")).expect("node.json"))
            .expect("json");
    let url = format!("{}/v1/verify", info["api"].as_str().expect("api"));
    let mut resp = ureq::post(&url)
        .send(signed_ob2().as_bytes())
        .expect("verify");
    let v: serde_json::Value = resp.body_mut().read_json().expect("json");
    assert_eq!(v["outcome"], "valid", "{v}");
}

#[test]
fn a_held_did_document_lets_did_web_credentials_verify_offline() {
    use badgemesh_openbadges::contexts::ContextSet;
    use badgemesh_openbadges::proof::{proof_options, sign};
    use badgemesh_protocol::keys::SecretKey;

    // A credential as badgemesh exports it, re-issued by a did:web issuer.
    let issuer = NodeProc::start(&[]);
    issuer
        .cmd(&["issuer", "init", "--name", "Web Academy"])
        .ok();
    let badge = issuer.create_badge("Web");
    let exported = issuer.dir.join("ada.json");
    let out = exported.to_str().expect("path");
    issuer
        .cmd(&[
            "award",
            &badge,
            "--to",
            "ada@example.org",
            "--format",
            "ob3",
            "--out",
            out,
        ])
        .ok();
    let mut doc: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&exported).expect("read")).expect("json");
    let did = "did:web:academy.example";
    doc["issuer"]["id"] = did.into();
    let key = SecretKey::from_seed(&[3; 32]).expect("key");
    let vm = format!("{did}#key-1");
    sign(
        &mut doc,
        proof_options(&vm, "2027-01-15T08:00:00Z"),
        &key,
        &ContextSet::pinned(),
    )
    .expect("sign");
    let dir = tempfile::tempdir().expect("tempdir");
    let credential = dir.path().join("web.json");
    std::fs::write(&credential, serde_json::to_vec(&doc).expect("json")).expect("write");
    let credential = credential.to_str().expect("path");
    let data = dir.path().join("data");

    let r = run(&data, &["verify", credential, "--json"]);
    assert_eq!(r.json()["outcome"].as_str(), Some("indeterminate"), "{r:?}");

    let did_doc = serde_json::json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [{"id": "#key-1", "type": "Multikey", "controller": did,
            "publicKeyMultibase": key.public().to_multibase()}],
        "assertionMethod": ["#key-1"],
    });
    let file = dir.path().join("did.json");
    std::fs::write(&file, did_doc.to_string()).expect("write");
    let r = run(&data, &["did", "add", file.to_str().expect("path")]);
    assert_eq!(r.code, 0, "{r:?}");
    let r = run(&data, &["verify", credential, "--json"]);
    // Valid signature; its status list is not held, so the status stays
    // unknown and the overall answer indeterminate, with the proof passing.
    let signature = r.json()["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check"] == "signature")
        .cloned()
        .expect("signature check");
    assert_eq!(signature["status"], "pass", "{r:?}");

    // A document with no assertion key is refused.
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        serde_json::json!({"id": "did:web:x.example"}).to_string(),
    )
    .expect("write");
    let r = run(&data, &["did", "add", bad.to_str().expect("path")]);
    assert_eq!(r.code, 2, "{r:?}");
    let r = run(&data, &["did", "list", "--json"]);
    assert_eq!(r.json()[0]["id"].as_str(), Some(did), "{r:?}");
}

/// A one-thread loopback web server answering the routes `site` makes from
/// its base URL (path to JSON), 404 otherwise, until the test ends.
pub(crate) fn serve(
    site: impl FnOnce(&str) -> std::collections::HashMap<String, String>,
) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let routes = site(&base);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(&stream);
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
            // The rest of the request head.
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            let reply = match routes.get(&path) {
                Some(body) => format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/ld+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                ),
                None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .into(),
            };
            let _ = (&stream).write_all(reply.as_bytes());
        }
    });
    base
}

#[test]
fn verify_online_without_a_node_fetches_a_hosted_badge_then_works_offline() {
    let spec =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../bake/tests/fixtures/ob2-spec");
    let read = |f: &str| std::fs::read_to_string(spec.join(f)).expect("fixture");
    let mut assertion = String::new();
    serve(|base| {
        let moved = |f: &str| read(f).replace("https://example.org", base);
        assertion = moved("assertion.json");
        [
            ("/beths-robotics-badge.json", moved("assertion.json")),
            ("/robotics-badge.json", moved("badgeclass.json")),
            ("/organization.json", moved("issuer.json")),
        ]
        .into_iter()
        .map(|(p, d)| (p.to_owned(), d))
        .collect()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("hosted.json");
    std::fs::write(&file, assertion).expect("write");
    let path = file.to_str().expect("path");
    let at = ["--at", "2017-01-15T00:00:00Z", "--json"];
    let offline = run(dir.path(), &[&["verify", path][..], &at].concat());
    assert_eq!(offline.code, 3, "{offline:?}");
    let online = run(
        dir.path(),
        &[&["verify", path, "--online"][..], &at].concat(),
    );
    assert_eq!(
        (online.code, online.json()["outcome"].as_str()),
        (0, Some("valid")),
        "{online:?}"
    );
    assert_eq!(online.json()["fetched"].as_array().map(Vec::len), Some(3));
    // Offline again: what was fetched is kept in the data directory.
    let again = run(dir.path(), &[&["verify", path][..], &at].concat());
    assert_eq!(again.code, 0, "{again:?}");
    assert!(again.stdout.contains("as fetched on"), "{}", again.stdout);
}

#[test]
fn verify_online_fetches_a_did_web_issuers_document() {
    use badgemesh_openbadges::contexts::ContextSet;
    use badgemesh_openbadges::proof::{proof_options, sign};
    use badgemesh_protocol::keys::SecretKey;

    let vector = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../openbadges/tests/vectors/exported-credential.json");
    let mut doc: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&std::fs::read(vector).expect("vector")).expect("json");
    let key = SecretKey::from_seed(&[5; 32]).expect("key");
    // No status list to fetch: only the DID document is wanted here.
    doc.shift_remove("credentialStatus");
    // The issuer is the loopback site's did:web (port encoded as %3A).
    serve(|base| {
        let did = format!(
            "did:web:{}",
            base.trim_start_matches("http://").replace(':', "%3A")
        );
        doc["issuer"]["id"] = did.clone().into();
        sign(
            &mut doc,
            proof_options(&format!("{did}#key-1"), "2027-01-15T08:00:00Z"),
            &key,
            &ContextSet::pinned(),
        )
        .expect("sign");
        let did_doc = serde_json::json!({
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": did,
            "verificationMethod": [{"id": "#key-1", "type": "Multikey", "controller": did,
                "publicKeyMultibase": key.public().to_multibase()}],
            "assertionMethod": ["#key-1"],
        });
        [("/.well-known/did.json".to_owned(), did_doc.to_string())]
            .into_iter()
            .collect()
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let credential = dir.path().join("web.json");
    std::fs::write(&credential, serde_json::to_vec(&doc).expect("json")).expect("write");
    let credential = credential.to_str().expect("path");
    let signature = |r: &Run| {
        r.json()["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["check"] == "signature")
            .map(|c| c["status"].as_str().unwrap_or("").to_owned())
    };
    let r = run(dir.path(), &["verify", credential, "--json"]);
    assert_ne!(signature(&r).as_deref(), Some("pass"), "{r:?}");
    let r = run(dir.path(), &["verify", credential, "--online", "--json"]);
    assert_eq!(signature(&r).as_deref(), Some("pass"), "{r:?}");
    assert_eq!(r.json()["fetched"][0]["status"], "fetched", "{r:?}");
    // Held from now on: offline, and nothing fetched again.
    let r = run(dir.path(), &["verify", credential, "--online", "--json"]);
    assert_eq!(signature(&r).as_deref(), Some("pass"), "{r:?}");
    assert_eq!(
        r.json()["fetched"].as_array().map(Vec::len),
        Some(0),
        "{r:?}"
    );
}

#[test]
fn an_ob3_jwt_award_verifies_bare_and_baked_and_follows_revocation() {
    let a = NodeProc::start(&[]);
    a.cmd(&[
        "issuer",
        "init",
        "--name",
        "JWT Academy",
        "--public-url",
        "https://badges.example",
    ])
    .ok();
    let badge = a.create_badge("Tokens");
    let dir = a.dir.clone();
    let path = |name: &str| dir.join(name).to_str().expect("path").to_owned();
    std::fs::write(path("badge.png"), PNG).expect("png");
    let id = a
        .cmd(&[
            "award",
            &badge,
            "--to",
            "ada@example.org",
            "--format",
            "ob3-jwt",
            "--out",
            &path("ada.jwt"),
        ])
        .ok()
        .line();
    let token = std::fs::read_to_string(path("ada.jwt")).expect("token");
    assert!(
        token.starts_with("eyJ") && token.split('.').count() == 3,
        "{token}"
    );

    let verdict = |file: &str| {
        let r = a.cmd(&[
            "verify",
            &path(file),
            "--recipient",
            "ada@example.org",
            "--json",
        ]);
        (r.code, r.json())
    };
    let (code, v) = verdict("ada.jwt");
    assert_eq!((code, v["outcome"].as_str()), (0, Some("valid")), "{v}");
    assert_eq!(v["format"], "ob3");
    assert_eq!(v["cryptosuite"], "VC-JWT EdDSA", "{v}");
    assert_eq!(v["badge"]["name"], "Tokens");

    // Baked into a PNG by hand: still an OB 3.0 JWT, not sent down the OB 2.0 path.
    a.cmd(&[
        "bake",
        &path("badge.png"),
        &path("ada.jwt"),
        "--out",
        &path("ada.png"),
    ])
    .ok();
    let (code, v) = verdict("ada.png");
    assert_eq!((code, v["outcome"].as_str()), (0, Some("valid")), "{v}");
    assert_eq!(v["carrier"], "png");

    // A changed payload character: invalid.
    let mut parts: Vec<String> = token.trim().split('.').map(str::to_owned).collect();
    let flipped: String = parts[1]
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i == 40 {
                if c == 'A' { 'B' } else { 'A' }
            } else {
                c
            }
        })
        .collect();
    parts[1] = flipped;
    std::fs::write(path("tampered.jwt"), parts.join(".")).expect("write");
    let (code, v) = verdict("tampered.jwt");
    assert_eq!(code, 1, "{v}");

    // Revoking the native award revokes the JWT form too.
    a.cmd(&["revoke", &id]).ok();
    let (code, v) = verdict("ada.jwt");
    assert_eq!((code, v["outcome"].as_str()), (1, Some("revoked")), "{v}");
}

#[test]
fn verify_online_fetches_the_status_list_a_credential_points_at() {
    let a = NodeProc::start(&[]);
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(a.dir.join("node.json")).expect("node.json"))
            .expect("json");
    // The issuer's node serves its own status list: the public URL is its API.
    let api = info["api"].as_str().expect("api").to_owned();
    a.cmd(&["issuer", "init", "--name", "Listed", "--public-url", &api])
        .ok();
    let badge = a.create_badge("Status");
    let dir = a.dir.clone();
    let path = |name: &str| dir.join(name).to_str().expect("path").to_owned();
    let award = |who: &str, file: &str| {
        a.cmd(&[
            "award",
            &badge,
            "--to",
            who,
            "--format",
            "ob3",
            "--out",
            &path(file),
        ])
        .ok()
        .line()
    };
    award("ada@example.org", "ada.json");
    let bob = award("bob@example.org", "bob.json");
    a.cmd(&["revoke", &bob]).ok();

    // Elsewhere, no node: offline the status is unknown; online the list is
    // fetched, its proof checked, and kept.
    let nowhere = tempfile::tempdir().expect("tempdir");
    let verify = |file: &str, online: bool| {
        let p = path(file);
        let mut args = vec!["verify", p.as_str(), "--json"];
        if online {
            args.push("--online");
        }
        let r = run(nowhere.path(), &args);
        (r.code, r.json())
    };
    let (code, v) = verify("ada.json", false);
    assert_eq!(code, 3, "{v}");
    let (code, v) = verify("ada.json", true);
    assert_eq!((code, v["outcome"].as_str()), (0, Some("valid")), "{v}");
    assert_eq!(v["fetched"][0]["status"], "fetched", "{v}");
    assert!(
        v["fetched"][0]["url"]
            .as_str()
            .unwrap_or("")
            .ends_with("/revocation"),
        "{v}"
    );
    // The held list answers for bob, offline.
    let (code, v) = verify("bob.json", false);
    assert_eq!((code, v["outcome"].as_str()), (1, Some("revoked")), "{v}");
}
