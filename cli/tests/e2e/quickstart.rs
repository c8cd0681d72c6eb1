//! The README's quickstart, step by step: two nodes on one machine, an issuer,
//! a badge, an award verified on the other node, a revocation that flips it.

use std::time::Duration;

use crate::harness::{NodeProc, poll};

#[test]
fn quickstart_issue_award_verify_elsewhere_revoke() {
    let a = NodeProc::start(&[]);
    let b = NodeProc::start(&a.addrs());
    let did = a
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
    assert!(did.starts_with("did:key:z6Mk"), "{did}");
    let badge = a
        .cmd(&[
            "badge",
            "create",
            "--name",
            "Teamwork",
            "--description",
            "Works well with others",
            "--criteria",
            "Nominated by peers",
        ])
        .ok()
        .line();
    let file = a.dir.join("ada.badge");
    let file = file.to_str().expect("utf-8 path");
    let assertion = a
        .cmd(&["award", &badge, "--to", "ada@example.org", "--out", file])
        .ok()
        .line();

    // The verifier's node learns the issuer and badge class over the network.
    let verdict = poll(
        "the badge to verify on the other node",
        Duration::from_secs(30),
        || {
            let r = b.cmd(&["verify", file, "--recipient", "ada@example.org", "--json"]);
            (r.code == 0).then_some(r)
        },
    );
    let v = verdict.json();
    assert_eq!(v["outcome"], "valid");
    assert_eq!(v["assertion"], assertion.as_str());
    assert_eq!(v["issuer_name"], "Example Academy");
    let human = b.cmd(&["verify", file]);
    assert_eq!(human.code, 0);
    assert!(human.stdout.starts_with("VALID"), "{}", human.stdout);
    assert!(
        human.stdout.contains("Teamwork") && human.stdout.contains("revocation list"),
        "{}",
        human.stdout
    );

    // Someone else's email does not match.
    let wrong = b.cmd(&["verify", file, "--recipient", "eve@example.org", "--json"]);
    assert_eq!(
        (wrong.code, wrong.json()["outcome"].as_str()),
        (1, Some("invalid"))
    );

    // Revoke on the issuer's node; the other node's verdict flips.
    assert_eq!(
        a.cmd(&["revoke", &assertion, "--reason", "awarded by mistake"])
            .ok()
            .line(),
        "1"
    );
    let revoked = poll(
        "the revocation to reach the other node",
        Duration::from_secs(30),
        || {
            let r = b.cmd(&["verify", file, "--json"]);
            (r.code == 1).then_some(r)
        },
    );
    assert_eq!(revoked.json()["outcome"], "revoked");
    let status = a.cmd(&["status", &assertion]).ok();
    assert!(status.stdout.starts_with("REVOKED"), "{}", status.stdout);

    let shown = b.cmd(&["issuer", "show", &did, "--json"]).ok().json();
    assert_eq!(shown["profile"]["name"], "Example Academy");
    let listed = b
        .cmd(&["badge", "list", "--issuer", &did, "--json"])
        .ok()
        .json();
    assert_eq!(listed[0]["name"], "Teamwork");
    let info = a.cmd(&["node", "info", "--json"]).ok().json();
    assert!(
        info["api"]
            .as_str()
            .is_some_and(|u| u.starts_with("http://127.0.0.1:")),
        "{info}"
    );
    assert!(
        info["records"]["revocation_update"].as_u64() == Some(1),
        "{info}"
    );
    let peers = a.cmd(&["peers", "--json"]).ok().json();
    assert_eq!(peers.as_array().map(Vec::len), Some(1));
}
