//! The VC API on a real node: `/credentials/issue` signs any credential with
//! the node's issuer key (admin token), `/credentials/verify` verifies any
//! Verifiable Credential and answers in the VC API's shape and status codes.

use badgemesh_tests::{TestNode, post_bytes, post_json};
use serde_json::{Value, json};

use crate::support::init_issuer;

/// A plain VC 2.0 credential that is not an Open Badge, with only terms the
/// credentials context defines (terms that would expand through its
/// issuer-dependent `@vocab` are refused by this node's safe mode).
fn credential(issuer: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:4a3c2b1d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
        "type": ["VerifiableCredential"],
        "name": "Chess Club membership",
        "description": "A member of The Chess Club",
        "issuer": issuer,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": { "id": "did:example:ada" }
    })
}

async fn verify(n: &TestNode, body: Value) -> badgemesh_tests::Reply {
    post_json(n.url("/credentials/verify"), None, body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_credential_is_issued_and_verified_in_the_vc_api_shapes() {
    let n = TestNode::start(vec![]).await;
    let did = init_issuer(&n, "Chess Club").await;
    let token = Some(n.node().token().to_owned());
    let url = n.url("/credentials/issue");

    // Issuing needs the admin token.
    let r = post_json(url.clone(), None, json!({ "credential": credential(&did) })).await;
    assert_eq!(r.status, 401, "{:?}", r.json);
    let r = post_json(
        url.clone(),
        token.clone(),
        json!({ "credential": credential(&did) }),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    let vc = r.json["verifiableCredential"].clone();
    assert_eq!(vc["proof"]["cryptosuite"], "eddsa-rdfc-2022", "{vc}");
    assert_eq!(vc["proof"]["proofPurpose"], "assertionMethod");
    // Another issuer's name is refused; no issuer gets this node's.
    let r = post_json(
        url.clone(),
        token.clone(),
        json!({ "credential": credential("did:example:someone") }),
    )
    .await;
    assert_eq!(r.status, 400, "{:?}", r.json);
    let mut unnamed = credential(&did);
    unnamed.as_object_mut().expect("object").remove("issuer");
    let r = post_json(url.clone(), token.clone(), json!({ "credential": unnamed })).await;
    assert_eq!(r.json["verifiableCredential"]["issuer"], did.as_str());

    // Verified: 200, the proof among the checks, and the Open Badges
    // profile reported without deciding.
    let r = verify(&n, json!({ "verifiableCredential": vc, "options": {} })).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["verified"], true);
    let checks: Vec<&str> = r.json["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        checks.contains(&"proof") && checks.contains(&"expiration"),
        "{checks:?}"
    );
    let ob = r.json["verdict"]["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check"] == "open_badges")
        .cloned()
        .expect("the open_badges check");
    assert_eq!(ob["status"], "skipped", "{ob}");

    // Tampered: 400, not verified, a proof problem.
    let mut forged = vc.clone();
    forged["description"] = json!("A member of The Go Club");
    let r = verify(&n, json!({ "verifiableCredential": forged })).await;
    assert_eq!(r.status, 400, "{:?}", r.json);
    assert_eq!(r.json["verified"], false);
    assert!(
        r.json["problemDetails"][0]["type"]
            .as_str()
            .unwrap_or("")
            .ends_with("PROOF_VERIFICATION_ERROR"),
        "{:?}",
        r.json
    );

    // A proof purpose other than the one asked for: 400.
    let r = verify(&n, json!({ "verifiableCredential": vc, "options": { "expectedProofPurpose": "authentication" } })).await;
    assert_eq!(r.status, 400, "{:?}", r.json);

    // Not a request at all: 400 with a problem detail, no verdict.
    let r = post_bytes(
        n.url("/credentials/verify"),
        None,
        b"{\"credential\": 1".to_vec(),
    )
    .await;
    assert_eq!(r.status, 400, "{:?}", r.json);
    assert!(
        r.json["problemDetails"][0]["detail"].as_str().is_some(),
        "{:?}",
        r.json
    );

    // A credential sent as a JSON string (not a VC-JWT): 400.
    let r = verify(&n, json!({ "verifiableCredential": vc.to_string() })).await;
    assert_eq!(r.status, 400, "{:?}", r.json);

    // The token travels in the header only: no path carries it.
    let body = json!({ "credential": credential(&did) });
    let r = post_json(
        n.url(&format!(
            "/capability/{}/credentials/issue",
            n.node().token()
        )),
        None,
        body,
    )
    .await;
    assert_eq!(r.status, 404, "{:?}", r.json);
    // Something that is not a credential is not signed.
    let r = post_json(url.clone(), token.clone(), json!({ "credential": {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"]} })).await;
    assert_eq!(r.status, 400, "{:?}", r.json);

    // A key this node cannot resolve: 422, undecided.
    let mut elsewhere = vc.clone();
    elsewhere["proof"]["verificationMethod"] = json!("did:web:issuer.example#key-1");
    elsewhere["issuer"] = json!("did:web:issuer.example");
    let r = verify(&n, json!({ "verifiableCredential": elsewhere })).await;
    assert_eq!(r.status, 422, "{:?}", r.json);
    assert_eq!(r.json["verified"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credential_issued_with_a_status_is_revoked_by_the_status_call() {
    let n = TestNode::start(vec![]).await;
    let did = init_issuer(&n, "Chess Club").await;
    let token = Some(n.node().token().to_owned());
    let with_status = json!({ "credentialStatus": { "type": "BitstringStatusListEntry" } });

    // Issued with a revocation entry in the issuer's own list; a credential
    // without an id gets one (the status call names credentials by id).
    let mut unnamed = credential(&did);
    unnamed.as_object_mut().expect("object").remove("id");
    let r = post_json(
        n.url("/credentials/issue"),
        token.clone(),
        json!({ "credential": unnamed, "options": with_status }),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    let vc = r.json["verifiableCredential"].clone();
    let id = vc["id"].as_str().expect("an id").to_owned();
    assert!(id.starts_with("urn:uuid:"), "{vc}");
    let entry = &vc["credentialStatus"];
    assert_eq!(entry["type"], "BitstringStatusListEntry", "{vc}");
    assert_eq!(entry["statusPurpose"], "revocation");
    let list = entry["statusListCredential"].as_str().expect("list URL");
    assert!(
        list.ends_with(&format!("/ob3/status/{did}/revocation")),
        "{list}"
    );
    assert_ne!(entry["id"], entry["statusListCredential"]);
    // A second credential takes the next index.
    let r = post_json(
        n.url("/credentials/issue"),
        token.clone(),
        json!({ "credential": credential(&did), "options": with_status }),
    )
    .await;
    let other = r.json["verifiableCredential"].clone();
    let index = |v: &Value| {
        v["credentialStatus"]["statusListIndex"]
            .as_str()
            .and_then(|s| s.parse::<u32>().ok())
            .expect("index")
    };
    assert_eq!(index(&other), index(&vc) + 1, "{other}");

    // Verified, its status answered by the network's revocation state.
    let r = verify(&n, json!({ "verifiableCredential": vc })).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let revocation = r.json["verdict"]["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check"] == "revocation")
        .cloned()
        .expect("a revocation check");
    assert_eq!(revocation["status"], "pass", "{revocation}");

    // The status call needs the token, knows only credentials issued here
    // with a status, and cannot undo a revocation or suspend.
    let status =
        |body: Value, token: Option<String>| post_json(n.url("/credentials/status"), token, body);
    let revoke = json!({ "credentialId": id, "credentialStatus": [{ "type": "BitstringStatusListEntry", "status": "revoked" }] });
    assert_eq!(status(revoke.clone(), None).await.status, 401);
    let r = status(
        json!({ "credentialId": "urn:uuid:00000000-0000-4000-8000-000000000000", "credentialStatus": { "type": "BitstringStatusListEntry", "statusPurpose": "revocation" } }),
        token.clone(),
    )
    .await;
    assert_eq!(r.status, 404, "{:?}", r.json);
    for refused in [
        json!({ "credentialId": id, "credentialStatus": { "type": "BitstringStatusListEntry", "statusPurpose": "suspension" } }),
        json!({ "credentialId": id, "credentialStatus": { "type": "BitstringStatusListEntry", "status": false } }),
        json!({ "credentialId": id, "credentialStatus": { "type": "StatusList2021Entry" } }),
        json!({ "credentialId": id, "credentialStatus": [] }),
    ] {
        let r = status(refused.clone(), token.clone()).await;
        assert_eq!(r.status, 400, "{refused}: {:?}", r.json);
    }
    let r = status(revoke, token.clone()).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert!(r.json["revocationSeq"].as_u64().is_some(), "{:?}", r.json);

    // Revoked now; the other credential is not.
    let r = verify(&n, json!({ "verifiableCredential": vc })).await;
    assert_eq!(r.status, 400, "{:?}", r.json);
    assert_eq!(r.json["verdict"]["outcome"], "revoked", "{:?}", r.json);
    let r = verify(&n, json!({ "verifiableCredential": other })).await;
    assert_eq!(r.status, 200, "{:?}", r.json);

    // Publishing signs the list anew: the admin token, then 204.
    let publish = n.url(&format!("/ob3/status/{did}/revocation/publish"));
    assert_eq!(
        post_json(publish.clone(), None, json!({})).await.status,
        401
    );
    let r = post_json(publish, token.clone(), json!({})).await;
    assert_eq!(r.status, 204, "{:?}", r.json);
    let r = badgemesh_tests::get(list.to_owned()).await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["credentialSubject"]["type"], "BitstringStatusList");

    // Asking for a status the node does not give, or bringing a malformed
    // entry, is refused before anything is signed.
    let r = post_json(
        n.url("/credentials/issue"),
        token.clone(),
        json!({ "credential": credential(&did), "options": { "credentialStatus": { "type": "BitstringStatusListEntry", "statusPurpose": "suspension" } } }),
    )
    .await;
    assert_eq!(r.status, 400, "{:?}", r.json);
    let mut malformed = credential(&did);
    malformed["statusEntry"] = json!({ "type": "BitstringStatusListEntry", "statusListIndex": true, "statusListCredential": "https://example.com" });
    let r = post_json(
        n.url("/credentials/issue"),
        token,
        json!({ "credential": malformed }),
    )
    .await;
    assert_eq!(r.status, 400, "{:?}", r.json);
}

/// A presentation of `vc` signed by a holder's did:key for authentication,
/// with this challenge and the domain `verifier.example`.
fn presentation(vc: &Value, challenge: &str) -> Value {
    use badgemesh_openbadges::contexts::ContextSet;
    use badgemesh_openbadges::proof::{proof_options, sign};
    use badgemesh_protocol::keys::{IssuerId, SecretKey};
    let key = SecretKey::from_seed(&badgemesh_protocol::testkit::seed("holder", 7)).expect("key");
    let holder = IssuerId::from_key(key.public());
    let Value::Object(mut doc) = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": holder.to_did(),
        "verifiableCredential": [vc],
    }) else {
        panic!("an object")
    };
    let mut options = proof_options(&holder.verification_method(), "2026-12-01T00:00:00Z");
    options.insert("proofPurpose".into(), "authentication".into());
    options.insert("challenge".into(), challenge.into());
    options.insert("domain".into(), "verifier.example".into());
    sign(&mut doc, options, &key, &ContextSet::pinned()).expect("sign");
    Value::Object(doc)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_presentation_is_verified_by_the_holders_proof_and_each_credential() {
    let n = TestNode::start(vec![]).await;
    let did = init_issuer(&n, "Chess Club").await;
    let token = Some(n.node().token().to_owned());
    let r = post_json(
        n.url("/credentials/issue"),
        token.clone(),
        json!({ "credential": credential(&did), "options": { "credentialStatus": { "type": "BitstringStatusListEntry" } } }),
    )
    .await;
    let vc = r.json["verifiableCredential"].clone();
    let verify_vp = |vp: Value, challenge: &str| {
        post_json(
            n.url("/presentations/verify"),
            None,
            json!({ "verifiablePresentation": vp, "options": { "challenge": challenge, "domain": "verifier.example" } }),
        )
    };

    // Signed by the holder for this challenge, carrying a valid credential.
    let vp = presentation(&vc, "c-1");
    let r = verify_vp(vp.clone(), "c-1").await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert_eq!(r.json["verified"], true);
    assert_eq!(r.json["presentationResult"]["proof"]["status"], "pass");
    assert_eq!(r.json["credentialResults"][0]["verified"], true);

    // Replayed to another challenge: refused, and its credentials untouched.
    let r = verify_vp(vp.clone(), "c-2").await;
    assert_eq!(r.status, 400, "{:?}", r.json);
    assert_eq!(r.json["verified"], false);
    assert!(
        r.json["credentialResults"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );

    // A credential changed inside a re-signed presentation: the
    // presentation holds, the credential does not, so neither does the whole.
    let mut forged = vc.clone();
    forged["name"] = json!("Go Club membership");
    let r = verify_vp(presentation(&forged, "c-1"), "c-1").await;
    assert_eq!(r.status, 400, "{:?}", r.json);
    assert_eq!(r.json["presentationResult"]["verified"], true);
    assert_eq!(r.json["credentialResults"][0]["verified"], false);

    // Once the credential is revoked, the presentation no longer verifies.
    let id = vc["id"].as_str().expect("id");
    let r = post_json(
        n.url("/credentials/status"),
        token,
        json!({ "credentialId": id, "credentialStatus": { "type": "BitstringStatusListEntry", "statusPurpose": "revocation" } }),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    let r = verify_vp(vp, "c-1").await;
    assert_eq!(r.status, 400, "{:?}", r.json);
    assert_eq!(
        r.json["credentialResults"][0]["verdict"]["outcome"],
        "revoked"
    );

    // Not a presentation request: 400 in the VC API's error shape.
    let r = post_bytes(n.url("/presentations/verify"), None, b"[]".to_vec()).await;
    assert_eq!(r.status, 400, "{:?}", r.json);
    assert!(
        r.json["problemDetails"][0]["detail"].is_string(),
        "{:?}",
        r.json
    );
}

/// `relatedResource` digests of a document the node holds as served (the
/// VC 2.0 base context) are checked when issuing and when verifying.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_related_resource_digest_is_checked_against_the_held_document() {
    use sha2::{Digest, Sha384};
    let n = TestNode::start(vec![]).await;
    let did = init_issuer(&n, "Chess Club").await;
    let token = Some(n.node().token().to_owned());
    let url = n.url("/credentials/issue");
    let base = badgemesh_openbadges::contexts::ContextSet::pinned_text(
        "https://www.w3.org/ns/credentials/v2",
    )
    .expect("held");
    let b64 = |d: &[u8]| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(d)
    };
    let with_digest = |sri: String| {
        let mut c = credential(&did);
        c["relatedResource"] = json!([{
            "id": "https://www.w3.org/ns/credentials/v2",
            "digestSRI": sri,
        }]);
        json!({ "credential": c })
    };

    let right = format!("sha384-{}", b64(&Sha384::digest(base.as_bytes())));
    let r = post_json(url.clone(), token.clone(), with_digest(right)).await;
    assert_eq!(r.status, 201, "{:?}", r.json);
    let signed = r.json["verifiableCredential"].clone();
    let r = verify(&n, json!({ "verifiableCredential": signed.clone() })).await;
    assert_eq!(r.status, 200, "{:?}", r.json);

    // The digest of other bytes: refused when issuing...
    let wrong = format!("sha384-{}", b64(&Sha384::digest(b"another document")));
    let r = post_json(url, token, with_digest(wrong.clone())).await;
    assert_eq!(r.status, 400, "{:?}", r.json);
    let detail = r.json["problemDetails"][0]["detail"].as_str().unwrap_or("");
    assert!(detail.contains("does not match"), "{detail}");
    // ...and an error when verifying (the digest is part of what was signed,
    // so this one fails the proof too; the structure check says why first).
    let mut tampered = signed;
    tampered["relatedResource"][0]["digestSRI"] = json!(wrong);
    let r = verify(&n, json!({ "verifiableCredential": tampered })).await;
    assert_eq!(r.status, 400, "{:?}", r.json);
    assert!(
        r.json.to_string().contains("does not match"),
        "{:?}",
        r.json
    );
}
