//! Operating a node: a backup taken while the node runs and writes, put
//! back with `restore` once it is stopped; what `restore` refuses; logs as
//! JSON lines, and a lone node saying how to join a network.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::harness::{NodeProc, bin, one_line_error, poll};

fn badge_classes(n: &NodeProc) -> u64 {
    let v: Value = n.cmd(&["node", "info", "--json"]).ok().json();
    v["records"]["badge_class"].as_u64().unwrap_or(0)
}

#[test]
fn a_backup_taken_while_running_restores_and_the_rest_comes_back_from_peers() {
    // B is a peer; A is the issuer, backed up while it runs.
    let b = NodeProc::start(&[]);
    let mut a = NodeProc::start(&b.addrs());
    a.cmd(&["issuer", "init", "--name", "Backup Academy"]).ok();
    let badge = a.create_badge("Kept");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| dir.path().join(name).to_str().expect("path").to_owned();
    a.cmd(&[
        "award",
        &badge,
        "--to",
        "ada@example.org",
        "--out",
        &path("ada.badge"),
    ])
    .ok();
    let made = a.cmd(&["backup", "--out", &path("store.backup")]).ok();
    assert!(made.stdout.contains("wrote"), "{made:?}");
    assert!(!dir.path().join("store.backup.partial").exists());
    let again = a.cmd(&["backup", "--out", &path("store.backup")]);
    one_line_error(&again, 2, "exists");
    // After the backup: two more badge classes, which B receives.
    a.create_badge("After the backup");
    a.create_badge("Last before the restore");
    poll(
        "B to hold three badge classes",
        Duration::from_secs(30),
        || (badge_classes(&b) == 3).then_some(()),
    );

    let running = a.cmd(&["restore", &path("store.backup")]);
    one_line_error(&running, 2, "stop it first");
    assert_eq!(a.cmd(&["node", "health"]).ok().line(), "ok");
    a.kill();
    assert_eq!(a.cmd(&["node", "health"]).code, 2, "no node answers");
    std::fs::write(path("junk.redb"), b"not a database at all").expect("write");
    let junk = a.cmd(&["restore", &path("junk.redb")]);
    one_line_error(&junk, 2, "not a sound badgemesh store");
    a.cmd(&["restore", &path("store.backup")]).ok();
    assert!(a.dir.join("store.redb.before-restore").exists());

    // The store is as it was at the backup; the issuer's counters live in
    // issuer.key, which re-applies the last record it signed, and sync with
    // B brings back the one in between.
    a.restart();
    let v: Value = a.cmd(&["verify", &path("ada.badge"), "--json"]).ok().json();
    assert_eq!(v["outcome"], "valid", "{v}");
    poll(
        "A to hold its three badge classes again",
        Duration::from_secs(60),
        || (badge_classes(&a) == 3).then_some(()),
    );
    // It goes on from there without reusing a sequence number: B accepts
    // the next record as the next, not as an equivocation.
    a.create_badge("After the restore");
    poll(
        "B to hold four badge classes",
        Duration::from_secs(30),
        || (badge_classes(&b) == 4).then_some(()),
    );
    let v: Value = b.cmd(&["verify", &path("ada.badge"), "--json"]).ok().json();
    assert_eq!(v["outcome"], "valid", "{v}");
    assert_eq!(v["issuer_equivocated"], false, "{v}");
}

#[test]
fn logs_can_be_json_lines_and_a_lone_node_says_how_to_join() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("log");
    let mut child = Command::new(bin())
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "node",
            "run",
            "--listen",
            "/ip4/127.0.0.1/tcp/0",
            "--api",
            "127.0.0.1:0",
            "--no-mdns",
            "--log-format",
            "json",
        ])
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("spawn");
    let lines = poll(
        "the node's start in its log",
        Duration::from_secs(30),
        || {
            let text = std::fs::read_to_string(&log).ok()?;
            text.contains("node started").then_some(text)
        },
    );
    let _ = child.kill();
    let _ = child.wait();
    let mut hint = 0;
    for line in lines.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        assert!(
            v["timestamp"].is_string() && v["level"].is_string(),
            "{line}"
        );
        if v["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("no bootstrap peers configured"))
        {
            assert_eq!(v["level"], "INFO");
            assert!(v["message"].as_str().unwrap_or("").contains("--bootstrap"));
            hint += 1;
        }
    }
    assert_eq!(hint, 1, "said once: {lines}");
}

#[test]
fn a_store_written_by_schema_1_opens_and_answers_as_it_did() {
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-schema-1");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(fixtures.join("store.redb"), dir.path().join("store.redb")).expect("copy");
    let n = NodeProc::start_in(dir.path());
    let v: Value = n.cmd(&["node", "info", "--json"]).ok().json();
    let records = &v["records"];
    for (kind, count) in [
        ("key_event", 1),
        ("issuer_profile", 1),
        ("badge_class", 1),
        ("assertion", 2),
        ("revocation_update", 1),
        ("head", 1),
    ] {
        assert_eq!(records[kind], count, "{kind}: {v}");
    }
    // Judged as of a moment when its revocation data was fresh, so the
    // verdicts do not age.
    let at = "2026-12-01T23:30:00Z";
    let ada = fixtures.join("ada.badge");
    let v: Value = n
        .cmd(&["verify", ada.to_str().expect("path"), "--at", at, "--json"])
        .ok()
        .json();
    assert_eq!(v["outcome"], "valid", "{v}");
    assert_eq!(v["badge"]["name"], "Kept Across Versions");
    let bob = fixtures.join("bob.badge");
    let r = n.cmd(&["verify", bob.to_str().expect("path"), "--at", at, "--json"]);
    assert_eq!(r.json()["outcome"], "revoked", "{r:?}");
}
