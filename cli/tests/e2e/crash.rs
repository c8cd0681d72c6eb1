//! SIGKILL right after acknowledged writes: on restart, all of them are there.

use crate::harness::NodeProc;

#[test]
fn acknowledged_writes_survive_sigkill() {
    let mut n = NodeProc::start(&[]);
    n.cmd(&["issuer", "init", "--name", "Crash Academy"]).ok();
    let badge = n.create_badge("Durable");
    let mut awards = Vec::new();
    for round in 0..3 {
        for k in 0..3 {
            let out = n.dir.join(format!("a-{round}-{k}.badge"));
            let id = n
                .cmd(&[
                    "award",
                    &badge,
                    "--to",
                    &format!("p{round}{k}@example.org"),
                    "--out",
                    out.to_str().expect("path"),
                ])
                .ok()
                .line();
            awards.push(id);
        }
        // Revoke the first award of this round, then kill at once.
        let seq = n.cmd(&["revoke", &awards[round * 3]]).ok().line();
        assert_eq!(seq, (round + 1).to_string());
        n.restart();
        for (i, id) in awards.iter().enumerate() {
            let s = n.cmd(&["status", id, "--json"]).ok().json();
            let should_be_revoked = i % 3 == 0;
            assert_eq!(
                s["revoked"], should_be_revoked,
                "award {i} after restart {round}: {s}"
            );
        }
    }
    // The issuer's counters survived too: the next revocation continues the chain.
    assert_eq!(n.cmd(&["revoke", &awards[1]]).ok().line(), "4");
}

#[test]
fn the_next_key_can_live_offline_and_come_back_to_rotate() {
    let n = NodeProc::start(&[]);
    n.cmd(&["issuer", "init", "--name", "Careful Academy"]).ok();
    let file = n.dir.join("next.key");
    let file = file.to_str().expect("path");
    n.cmd(&["key", "export-next", "--out", file]).ok();
    let stored = std::fs::read_to_string(n.dir.join("issuer.key")).expect("issuer file");
    let exported = std::fs::read_to_string(file).expect("key file");
    assert!(exported.trim().len() == 64);
    let r = n.cmd(&["key", "rotate"]);
    assert_eq!(
        r.code, 2,
        "rotating without the offline key must fail: {r:?}"
    );
    assert!(r.stderr.contains("next key"), "{}", r.stderr);
    let wrong = n.dir.join("wrong.key");
    std::fs::write(&wrong, "00".repeat(32)).expect("write");
    assert_eq!(
        n.cmd(&["key", "rotate", "--next-key", wrong.to_str().expect("path")])
            .code,
        2
    );
    let event = n.cmd(&["key", "rotate", "--next-key", file]).ok().line();
    assert!(event.starts_with('b'), "{event}");
    let keys = n.cmd(&["issuer", "show", "--json"]).ok().json()["keys"]
        .as_array()
        .map(Vec::len);
    assert_eq!(keys, Some(2));
    let _ = stored;
}
