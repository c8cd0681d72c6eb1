//! Open Badges 3.0 and baked images through the real binary: award as OB 3.0,
//! PNG and SVG, verify on another node (revocation from the network), verify
//! with no node at all, bake and unbake.

use std::time::Duration;

use crate::harness::{NodeProc, poll, run};

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
    let list: serde_json::Value = resp.body_mut().read_json().expect("json");
    assert_eq!(list["credentialSubject"]["type"], "BitstringStatusList");
}
