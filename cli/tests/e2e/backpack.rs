//! The earner's backpack through the real binary and a real node: one badge
//! of every format `verify` takes is added, listed with its verdict, shown,
//! grouped, exported byte for byte (each file verifies again, and the
//! NDJSON export passes `audit`); a forged file is refused; a badge revoked
//! after it was added is listed revoked, not dropped; the backpack outlives
//! a restart.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::Value;

use crate::harness::{NodeProc, one_line_error, poll};
use crate::interop::{key_document, signed_ob2_with};

const PNG: &[u8] = include_bytes!("../../../bake/tests/fixtures/tiny.png");
const SVG: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle cx="5" cy="5" r="4"/></svg>"#;
const HOSTED: &str = r#"{"@context":"https://w3id.org/openbadges/v2","type":"Assertion","id":"https://example.org/a/1",
    "recipient":{"type":"email","hashed":false,"identity":"ada@example.org"},
    "badge":"https://example.org/b/1","verification":{"type":"hosted"},"issuedOn":"2020-01-01T00:00:00Z"}"#;

/// The entries of `backpack list --json`, by file name.
fn listed(n: &NodeProc) -> Vec<Value> {
    n.cmd(&["backpack", "list", "--json"])
        .ok()
        .json()
        .as_array()
        .cloned()
        .expect("an array")
}

fn entry<'a>(all: &'a [Value], file: &str) -> &'a Value {
    all.iter()
        .find(|e| e["file_name"] == file)
        .unwrap_or_else(|| panic!("{file} not listed: {all:?}"))
}

#[test]
fn every_format_is_held_listed_grouped_exported_and_revoked_in_place() {
    let mut n = NodeProc::start(&[]);
    n.cmd(&["issuer", "init", "--name", "Backpack Academy"])
        .ok();
    let badge = n.create_badge("Teamwork");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| dir.path().join(name).to_str().expect("path").to_owned();
    std::fs::write(path("image.png"), PNG).expect("png");
    std::fs::write(path("image.svg"), SVG).expect("svg");
    for (file, format, image) in [
        ("ada.badge", "native", None),
        ("ada.json", "ob3", None),
        ("ada.jwt", "ob3-jwt", None),
        ("ada.png", "png", Some("image.png")),
        ("ada.svg", "svg", Some("image.svg")),
    ] {
        let mut args = vec![
            "award".to_owned(),
            badge.clone(),
            "--to".into(),
            "ada@example.org".into(),
            "--format".into(),
            format.into(),
            "--out".into(),
            path(file),
        ];
        if let Some(i) = image {
            args.extend(["--image".into(), path(i)]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        n.cmd(&args).ok();
    }
    // OB 2.0: a signed badge whose issuer key the node holds, the same
    // baked into a PNG, and a hosted one (indeterminate offline).
    let key = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../bake/tests/fixtures/ob2_test_rsa_public.pem");
    std::fs::write(path("key.json"), key_document(&key)).expect("key");
    n.cmd(&["ob2-key", "add", &path("key.json")]).ok();
    std::fs::write(
        path("ob2.jws"),
        signed_ob2_with("urn:uuid:2f1b4a8e-3c1d-4e5f-9a0b-1c2d3e4f5a6b", None),
    )
    .expect("jws");
    n.cmd(&[
        "bake",
        &path("image.png"),
        &path("ob2.jws"),
        "--out",
        &path("ob2.png"),
    ])
    .ok();
    std::fs::write(path("hosted.json"), HOSTED).expect("hosted");

    let files = [
        "ada.badge",
        "ada.json",
        "ada.jwt",
        "ada.png",
        "ada.svg",
        "ob2.jws",
        "ob2.png",
        "hosted.json",
    ];
    let all: Vec<String> = files.iter().map(|f| path(f)).collect();
    let mut args = vec!["backpack", "add", "--json"];
    args.extend(all.iter().map(String::as_str));
    let added = n.cmd(&args).ok().json();
    assert_eq!(added.as_array().map(Vec::len), Some(files.len()), "{added}");
    // The same file again is held once.
    let again = n.cmd(&["backpack", "add", &path("ada.badge")]).ok();
    assert!(again.stdout.contains("held already"), "{}", again.stdout);

    let held = listed(&n);
    assert_eq!(held.len(), files.len());
    let expect = [
        ("ada.badge", "native", None, "badge", "valid"),
        ("ada.json", "ob3", None, "json", "valid"),
        ("ada.jwt", "ob3", None, "jwt", "valid"),
        ("ada.png", "ob3", Some("png"), "png", "valid"),
        ("ada.svg", "ob3", Some("svg"), "svg", "valid"),
        ("ob2.jws", "ob2", None, "jws", "valid"),
        ("ob2.png", "ob2", Some("png"), "png", "valid"),
        ("hosted.json", "ob2", None, "json", "indeterminate"),
    ];
    for (file, format, carrier, ext, outcome) in expect {
        let e = entry(&held, file);
        assert_eq!(e["format"], format, "{file}: {e}");
        assert_eq!(e["carrier"].as_str(), carrier, "{file}");
        assert_eq!(e["ext"], ext, "{file}");
        assert_eq!(e["outcome"], outcome, "{file}: {}", e["verdict"]);
        assert_eq!(e["attention"], outcome != "valid", "{file}");
    }
    let human = n.cmd(&["backpack", "list"]).ok();
    assert!(
        human.stdout.contains("INDETERMINATE") && human.stdout.contains("8 badges, 1 not valid"),
        "{}",
        human.stdout
    );

    // What is not a badge, or is forged, is refused and not held.
    let credential = std::fs::read_to_string(path("ada.json")).expect("json");
    std::fs::write(
        path("forged.json"),
        credential.replacen("Teamwork", "Teamwonk", 1),
    )
    .expect("forged");
    let r = n.cmd(&["backpack", "add", &path("forged.json")]);
    one_line_error(&r, 1, "invalid");
    std::fs::write(path("notes.txt"), "not a badge").expect("txt");
    let r = n.cmd(&["backpack", "add", &path("notes.txt")]);
    one_line_error(&r, 2, "not a badge");
    assert_eq!(listed(&n).len(), files.len());

    // `show` exits as `verify` does.
    let id = |file: &str| {
        entry(&listed(&n), file)["short_id"]
            .as_str()
            .expect("id")
            .to_owned()
    };
    let shown = n.cmd(&["backpack", "show", &id("ada.badge")]);
    assert_eq!(shown.code, 0, "{shown:?}");
    assert!(shown.stdout.starts_with("VALID"), "{}", shown.stdout);
    assert_eq!(n.cmd(&["backpack", "show", &id("hosted.json")]).code, 3);

    // Collections.
    n.cmd(&["backpack", "collection", "create", "job"]).ok();
    let members = ["ada.badge", "ada.jwt", "ada.svg", "ob2.png", "ob2.jws"];
    let ids: Vec<String> = members.iter().map(|f| id(f)).collect();
    let mut args = vec!["backpack", "collection", "add", "job"];
    args.extend(ids.iter().map(String::as_str));
    n.cmd(&args).ok();
    n.cmd(&["backpack", "collection", "remove", "job", &id("ob2.jws")])
        .ok();
    n.cmd(&["backpack", "collection", "publish", "job"]).ok();
    let c = n
        .cmd(&["backpack", "collection", "list", "--json"])
        .ok()
        .json();
    assert_eq!(c[0]["name"], "job");
    assert_eq!(c[0]["public"], true);
    assert_eq!(c[0]["badges"].as_array().map(Vec::len), Some(4), "{c}");
    n.cmd(&["backpack", "collection", "unpublish", "job"]).ok();
    let c = n
        .cmd(&["backpack", "collection", "list", "--json"])
        .ok()
        .json();
    assert_eq!(c[0]["public"], false);

    // Export: the original bytes, each of which verifies again.
    let out = format!("{}/", path("export"));
    n.cmd(&["backpack", "export", "job", "--out", &out]).ok();
    let exported: BTreeSet<Vec<u8>> = std::fs::read_dir(path("export"))
        .expect("export dir")
        .map(|f| {
            let f = f.expect("entry").path();
            let v = n.cmd(&["verify", f.to_str().expect("path"), "--json"]);
            assert_eq!(v.code, 0, "{} does not verify: {v:?}", f.display());
            std::fs::read(f).expect("read")
        })
        .collect();
    let originals: BTreeSet<Vec<u8>> = members[..4]
        .iter()
        .map(|f| std::fs::read(path(f)).expect("read"))
        .collect();
    assert_eq!(exported, originals);
    n.cmd(&["backpack", "export", "job", "--out", &path("job.ndjson")])
        .ok();
    let audit = n.cmd(&["audit", &path("job.ndjson")]);
    assert_eq!(audit.code, 0, "{audit:?}");
    assert!(audit.stdout.contains(r#""valid":4"#), "{}", audit.stdout);

    // The issuer revokes the native badge: the next list says so and
    // keeps it.
    n.cmd(&["revoke", &path("ada.badge"), "--reason", "by mistake"])
        .ok();
    let held = poll(
        "the revocation in the backpack",
        Duration::from_secs(30),
        || {
            let held = listed(&n);
            (entry(&held, "ada.badge")["outcome"] == "revoked").then_some(held)
        },
    );
    assert_eq!(held.len(), files.len(), "nothing dropped");
    assert_eq!(entry(&held, "ada.badge")["added_as"], "valid");
    let human = n.cmd(&["backpack", "list"]).ok();
    assert!(
        human.stdout.contains("REVOKED") && human.stdout.contains("2 not valid"),
        "{}",
        human.stdout
    );
    assert_eq!(n.cmd(&["backpack", "show", &id("ada.badge")]).code, 1);

    // Remove; the rest outlives a restart.
    let hosted = id("hosted.json");
    n.cmd(&["backpack", "remove", &hosted]).ok();
    one_line_error(&n.cmd(&["backpack", "show", &hosted]), 2, "no badge");
    n.restart();
    let held = listed(&n);
    assert_eq!(held.len(), files.len() - 1);
    assert_eq!(entry(&held, "ada.badge")["outcome"], "revoked");
    let c = n
        .cmd(&["backpack", "collection", "list", "--json"])
        .ok()
        .json();
    assert_eq!(c[0]["badges"].as_array().map(Vec::len), Some(4), "{c}");
}

#[test]
fn backpack_commands_need_a_node_and_its_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let r = crate::harness::run(dir.path(), &["backpack", "list"]);
    one_line_error(&r, 2, "no node is running");

    // A node whose admin token this data directory does not have.
    let n = NodeProc::start(&[]);
    let other = tempfile::tempdir().expect("tempdir");
    std::fs::copy(n.dir.join("node.json"), other.path().join("node.json")).expect("copy");
    let r = crate::harness::run(other.path(), &["backpack", "list"]);
    one_line_error(&r, 2, "admin token");
    std::fs::write(other.path().join("admin.token"), "not-the-token").expect("token");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            other.path().join("admin.token"),
            std::fs::Permissions::from_mode(0o600),
        )
        .expect("mode");
    }
    let r = crate::harness::run(other.path(), &["backpack", "list"]);
    one_line_error(&r, 2, "Authorization");
}
