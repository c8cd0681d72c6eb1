//! `POST /v1/verify/batch` on a real node: NDJSON in, one answer per line in
//! order, the same verdicts as `/v1/verify`, bad lines answered without
//! ending the stream, and a summary.

use badgemesh_tests::{TestNode, post_bytes};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use crate::support::{admin, award, create_badge, init_issuer, revoke};

fn lines(reply: &badgemesh_tests::Reply) -> Vec<Value> {
    std::str::from_utf8(&reply.bytes)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each answer is one JSON line"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_answers_every_line_in_order_with_the_verdict_of_v1_verify() {
    let n = TestNode::start(vec![]).await;
    init_issuer(&n, "Batch Academy").await;
    let badge = create_badge(&n, "Rust").await;
    let mut natives = Vec::new();
    for i in 0..300 {
        natives.push(award(&n, &badge, &format!("learner{i}@example.org")).await);
    }
    revoke(&n, &[natives[1].1]).await;
    let mut forged = natives[2].2.clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    let r = admin(&n, "/v1/admin/ob3", json!({ "assertion": natives[3].0 })).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let ob3 = String::from_utf8(r.bytes.clone()).expect("utf-8");
    let ob3_line = serde_json::to_string(&serde_json::from_str::<Value>(&ob3).expect("json"))
        .expect("one line");

    // 300 native awards (more than one chunk), one revoked and one forged,
    // an OB 3.0 credential as a JSON object, a blank line, and two lines
    // that are no badge.
    let mut body = String::new();
    body.push_str(&format!("\"{}\"\n", B64.encode(&natives[0].2)));
    body.push_str(&format!("\"{}\"\n", B64.encode(&natives[1].2)));
    body.push_str(&format!("\"{}\"\n", B64.encode(&forged)));
    body.push_str(&ob3_line);
    body.push_str("\n\n\"not base64!\"\n[1]\n");
    for (_, _, bytes) in &natives[4..] {
        body.push_str(&format!("\"{}\"\n", B64.encode(bytes)));
    }
    let r = post_bytes(n.url("/v1/verify/batch"), None, body.into_bytes()).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let out = lines(&r);
    let answers = &out[..out.len() - 1];
    assert_eq!(answers.len(), 302, "every non-blank line answered");
    for (i, a) in answers.iter().enumerate() {
        assert_eq!(a["line"], i + 1, "in order: {a}");
    }
    let outcome = |i: usize| answers[i]["verdict"]["outcome"].as_str().unwrap_or("");
    assert_eq!(outcome(0), "valid", "{}", answers[0]);
    assert_eq!(outcome(1), "revoked", "{}", answers[1]);
    assert_eq!(outcome(2), "invalid", "{}", answers[2]);
    assert_eq!(outcome(3), "valid", "{}", answers[3]);
    assert_eq!(answers[3]["verdict"]["format"], "ob3");
    assert_eq!(answers[4]["error"]["code"], "bad_line", "{}", answers[4]);
    assert_eq!(answers[5]["error"]["code"], "bad_line", "{}", answers[5]);
    assert!((6..302).all(|i| outcome(i) == "valid"));
    assert_eq!(
        out.last().expect("summary")["summary"],
        json!({ "lines": 302, "valid": 298, "revoked": 1, "invalid": 1, "error": 2 })
    );

    // The same verdict as /v1/verify gives, batch-verified signatures or not
    // (but for the data's age, which a second boundary may move).
    let single = post_bytes(n.url("/v1/verify"), None, forged.clone()).await;
    assert_eq!(
        without_ages(&single.json["checks"]),
        without_ages(&answers[2]["verdict"]["checks"])
    );
    let single = post_bytes(n.url("/v1/verify"), None, natives[1].2.clone()).await;
    assert_eq!(
        without_ages(&single.json["checks"]),
        without_ages(&answers[1]["verdict"]["checks"])
    );
}

/// Checks with the "(N s ago)" that ends some details cut off.
fn without_ages(checks: &Value) -> Value {
    let mut checks = checks.clone();
    for c in checks.as_array_mut().into_iter().flatten() {
        if let Some(d) = c["detail"].as_str().filter(|d| d.ends_with(" ago)"))
            && let Some(cut) = d.rfind(" (")
        {
            c["detail"] = d[..cut].into();
        }
    }
    checks
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_longer_than_the_request_limit_ends_the_stream() {
    let n = TestNode::start_with(vec![], |c| c.max_body_bytes = 4096).await;
    let mut body = b"{\"a\": 1}\n".to_vec();
    body.extend(std::iter::repeat_n(b'x', 8000));
    body.push(b'\n');
    let r = post_bytes(n.url("/v1/verify/batch"), None, body).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let out = lines(&r);
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0]["error"]["code"], "line_too_long", "{out:?}");
    // The body limit of /v1/verify does not apply to the batch as a whole.
    let line = format!("\"{}\"\n", B64.encode([0u8; 16]));
    let body = line.repeat(400).into_bytes();
    assert!(body.len() > 4096);
    let r = post_bytes(n.url("/v1/verify/batch"), None, body).await;
    let out = lines(&r);
    assert_eq!(
        out.last().expect("summary")["summary"]["lines"],
        400,
        "{out:?}"
    );
}
