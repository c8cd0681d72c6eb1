//! `GET /v1/openapi.json` on a running node: open, and every operation it
//! lists is routed there with its method, behind the token exactly when
//! the document says so. (That the router has no route the document lacks
//! is checked against the router itself, in `node/src/api/openapi.rs`.)

use badgemesh_tests::{TestNode, get, request};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_served_and_every_operation_in_it_is_routed() {
    let n = TestNode::start(vec![]).await;
    let r = get(n.url("/v1/openapi.json")).await;
    assert_eq!(r.status, 200, "no token needed");
    let doc = r.json;
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.contains_key("/v1/verify") && paths.contains_key("/v1/openapi.json"));
    let mut probed = 0;
    for (path, item) in paths {
        // Any value does for a path parameter: the route must match.
        let concrete: String = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "x" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        for (method, op) in item.as_object().expect("path item") {
            let m = match method.as_str() {
                "get" => "GET",
                "post" => "POST",
                "put" => "PUT",
                "delete" => "DELETE",
                other => panic!("unexpected method {other} on {path}"),
            };
            // The backup route would copy the store: only its token check runs.
            let r = request(m, n.url(&concrete)).await;
            // axum answers 405 for a path without that method, and an empty
            // 404 for no route at all; the node's own 404s carry a JSON error.
            assert_ne!(r.status, 405, "{m} {path}: method not routed");
            assert!(
                !(r.status == 404 && r.bytes.is_empty()),
                "{m} {path}: not routed"
            );
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            if secured {
                assert_eq!(r.status, 401, "{m} {path}: documented as needing the token");
                assert_eq!(r.json["error"], "unauthorized");
            } else {
                assert_ne!(
                    r.status, 401,
                    "{m} {path}: needs a token the document does not name"
                );
            }
            probed += 1;
        }
    }
    assert!(probed > 60, "only {probed} operations");
}
