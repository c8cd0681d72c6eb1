//! `badgemesh audit`: a file of badges through the node's bulk route, the
//! answers numbered across requests, and an exit status for the whole file.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;

use crate::harness::NodeProc;

#[test]
fn an_audit_answers_every_line_and_exits_by_the_worst() {
    let n = NodeProc::start(&[]);
    n.cmd(&["issuer", "init", "--name", "Audit Academy"]).ok();
    let badge = n.create_badge("Rust");
    let mut lines = Vec::new();
    for who in ["ada", "bob", "cy"] {
        let file = n.dir.join(format!("{who}.badge"));
        let file = file.to_str().expect("utf-8 path");
        n.cmd(&[
            "award",
            &badge,
            "--to",
            &format!("{who}@example.org"),
            "--out",
            file,
        ])
        .ok();
        let bytes = std::fs::read(file).expect("badge");
        lines.push(format!("\"{}\"", B64.encode(bytes)));
    }
    let bob = n.dir.join("bob.badge");
    n.cmd(&["revoke", bob.to_str().expect("utf-8 path")]).ok();
    let write = |name: &str, lines: &[String]| {
        let path = n.dir.join(name);
        std::fs::write(&path, lines.join("\n") + "\n").expect("write");
        path.to_str().expect("utf-8 path").to_owned()
    };

    // Two lines per request: the answers are numbered across the whole file.
    let mut all = lines.clone();
    all.insert(1, "\"not base64!\"".into());
    let file = write("all.ndjson", &all);
    let r = n.cmd(&["audit", &file, "--lines-per-request", "2"]);
    assert_eq!(r.code, 1, "a revoked badge and a bad line: {r:?}");
    let out: Vec<Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    assert_eq!(out.len(), 5, "{out:?}");
    let numbers: Vec<u64> = out[..4].iter().filter_map(|v| v["line"].as_u64()).collect();
    assert_eq!(numbers, vec![1, 2, 3, 4]);
    assert_eq!(out[0]["verdict"]["outcome"], "valid");
    assert_eq!(out[1]["error"]["code"], "bad_line");
    assert_eq!(out[2]["verdict"]["outcome"], "revoked");
    assert_eq!(out[3]["verdict"]["outcome"], "valid");
    assert_eq!(
        out[4]["summary"],
        serde_json::json!({"lines": 4, "valid": 2, "revoked": 1, "error": 1})
    );

    // Only valid badges: exit 0.
    let file = write("good.ndjson", &[lines[0].clone(), lines[2].clone()]);
    let r = n.cmd(&["audit", &file]);
    assert_eq!(r.code, 0, "{r:?}");
}
