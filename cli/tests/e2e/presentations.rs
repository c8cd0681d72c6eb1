//! `backpack holder`, `backpack present` and `verify` of a presentation,
//! through the real binary and a real node that is both the issuer and
//! the earner: badges awarded to the backpack's own did:key are presented
//! together (by id, from a collection, baked in a PNG) and verify for the
//! challenge and domain given; a replay, someone else's badge and a
//! tampered file each fail with their own message; a native badge cannot
//! be presented; a presentation also verifies with no node running.

use crate::harness::{NodeProc, one_line_error, run};

const PNG: &[u8] = include_bytes!("../../../bake/tests/fixtures/tiny.png");

#[test]
fn a_presentation_of_the_earners_badges_verifies_for_its_verifier_only() {
    let mut n = NodeProc::start(&[]);
    n.cmd(&["issuer", "init", "--name", "Presenting Academy"])
        .ok();
    let badge = n.create_badge("Teamwork");
    let me = n.cmd(&["backpack", "holder"]).ok().line();
    assert!(me.starts_with("did:key:z6Mk"), "{me}");
    assert_eq!(
        n.cmd(&["backpack", "holder", "--json"]).ok().json()["did"],
        me.as_str()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| dir.path().join(name).to_str().expect("path").to_owned();
    std::fs::write(path("image.png"), PNG).expect("png");
    let other = "did:key:z6MkpJySvETLnxhQG9DzEdmKJtysBDjuuTeDfUj1uNNCUqcj";
    for (file, to, format) in [
        ("mine.json", me.as_str(), "ob3"),
        ("mine.jwt", me.as_str(), "ob3-jwt"),
        ("mine.png", me.as_str(), "png"),
        ("theirs.json", other, "ob3"),
        ("mine.badge", me.as_str(), "native"),
    ] {
        let out = path(file);
        let image = path("image.png");
        let mut args = vec![
            "award", &badge, "--to", to, "--format", format, "--out", &out,
        ];
        if format == "png" {
            args.extend(["--image", &image]);
        }
        n.cmd(&args).ok();
    }
    let mut ids = std::collections::BTreeMap::new();
    for file in [
        "mine.json",
        "mine.jwt",
        "mine.png",
        "theirs.json",
        "mine.badge",
    ] {
        let v = n
            .cmd(&["backpack", "add", &path(file), "--json"])
            .ok()
            .json();
        ids.insert(
            file,
            v[0]["badge"]["short_id"].as_str().expect("id").to_owned(),
        );
    }
    // A valid badge offers LinkedIn's form, filled in.
    let r = n.cmd(&["backpack", "show", &ids["mine.json"]]).ok();
    assert!(
        r.stdout.contains("LinkedIn   https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&name=Teamwork&organizationName=Presenting%20Academy&issueYear="),
        "{r:?}"
    );
    let vp = path("vp.json");
    let r = n
        .cmd(&[
            "backpack",
            "present",
            &ids["mine.json"],
            &ids["mine.jwt"],
            &ids["mine.png"],
            "--challenge",
            "c-51",
            "--domain",
            "jobs.example",
            "--out",
            &vp,
        ])
        .ok();
    assert!(r.stdout.contains("presentation of 3 badges"), "{r:?}");
    assert!(r.stderr.is_empty(), "no warning: {r:?}");

    let r = n
        .cmd(&[
            "verify",
            &vp,
            "--challenge",
            "c-51",
            "--domain",
            "jobs.example",
        ])
        .ok();
    assert!(
        r.line()
            .starts_with("VALID  a presentation of 3 credentials by did:key:"),
        "{r:?}"
    );
    assert!(r.stdout.contains("holder binding"), "{r:?}");
    let v = n
        .cmd(&[
            "verify",
            &vp,
            "--challenge",
            "c-51",
            "--domain",
            "jobs.example",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(v["format"], "presentation");
    assert_eq!(v["holder"], me.as_str());

    // Replayed for another request or to another verifier: exit 1.
    let r = n.cmd(&[
        "verify",
        &vp,
        "--challenge",
        "c-52",
        "--domain",
        "jobs.example",
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.line().starts_with("INVALID"), "{r:?}");
    assert!(r.stdout.contains("a replay"), "{r:?}");
    let r = n.cmd(&[
        "verify",
        &vp,
        "--challenge",
        "c-51",
        "--domain",
        "evil.example",
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout.contains("made for domain \"jobs.example\""),
        "{r:?}"
    );

    // Tampered: a credential's name changed.
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&vp).expect("vp")).expect("json");
    let named = doc["verifiableCredential"]
        .as_array()
        .and_then(|a| a.iter().position(|c| c["name"].is_string()))
        .expect("a JSON credential");
    doc["verifiableCredential"][named]["name"] = "Rocket Science".into();
    std::fs::write(path("tampered.json"), doc.to_string()).expect("write");
    let r = n.cmd(&[
        "verify",
        &path("tampered.json"),
        "--challenge",
        "c-51",
        "--domain",
        "jobs.example",
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("proof does not verify"), "{r:?}");

    // Someone else's badge: a warning when made, refused when verified.
    let r = n
        .cmd(&[
            "backpack",
            "present",
            &ids["mine.json"],
            &ids["theirs.json"],
            "--challenge",
            "c-51",
            "--domain",
            "jobs.example",
            "--out",
            &path("theirs-vp.json"),
        ])
        .ok();
    assert!(
        r.stderr.contains("warning:") && r.stderr.contains(other),
        "{r:?}"
    );
    let r = n.cmd(&[
        "verify",
        &path("theirs-vp.json"),
        "--challenge",
        "c-51",
        "--domain",
        "jobs.example",
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("not to the holder"), "{r:?}");

    // A native badge is not a Verifiable Credential.
    let r = n.cmd(&[
        "backpack",
        "present",
        &ids["mine.badge"],
        "--challenge",
        "c",
        "--domain",
        "d",
        "--out",
        &path("native-vp.json"),
    ]);
    one_line_error(&r, 2, "--format ob3");
    assert!(!std::path::Path::new(&path("native-vp.json")).exists());

    // A collection's badges.
    n.cmd(&["backpack", "collection", "create", "job"]).ok();
    n.cmd(&[
        "backpack",
        "collection",
        "add",
        "job",
        &ids["mine.json"],
        &ids["mine.jwt"],
    ])
    .ok();
    let r = n
        .cmd(&[
            "backpack",
            "present",
            "--collection",
            "job",
            "--challenge",
            "c-9",
            "--domain",
            "jobs.example",
            "--out",
            &path("job-vp.json"),
            "--json",
        ])
        .ok();
    assert_eq!(
        r.json()["badges"].as_array().map(Vec::len),
        Some(2),
        "{r:?}"
    );
    n.cmd(&[
        "verify",
        &path("job-vp.json"),
        "--challenge",
        "c-9",
        "--domain",
        "jobs.example",
    ])
    .ok();
    let r = n.cmd(&[
        "backpack",
        "present",
        "--challenge",
        "c",
        "--domain",
        "d",
        "--out",
        &vp,
    ]);
    one_line_error(&r, 2, "--collection");

    // With no node, the presentation and its self-contained credentials
    // are still checked (their revocation is then unknown).
    n.kill();
    let r = run(
        dir.path(),
        &[
            "verify",
            &vp,
            "--challenge",
            "c-51",
            "--domain",
            "jobs.example",
            "--json",
        ],
    );
    assert!(r.code == 0 || r.code == 3, "{r:?}");
    let v = r.json();
    assert_eq!(v["format"], "presentation");
    let binding = v["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["check"] == "holder_binding")
        .expect("holder binding");
    assert_eq!(binding["status"], "pass", "{v:#}");
}
