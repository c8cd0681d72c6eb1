//! Domain linkage: DIF Well-Known DID Configuration v1.0.
//!
//! An issuer proves that whoever controls its website also controls its key
//! by publishing `https://<origin>/.well-known/did-configuration.json`, whose
//! `linked_dids` hold Domain Linkage Credentials (DLCs) signed by the DID.
//! badgemesh writes the compact JWT form (JOSE only, no JSON-LD proof suite)
//! and checks it once, online, when told to; what it saw is then kept with
//! its time (`trust.json`), so verdicts can say "domain academy.example
//! linked, checked 2026-11-30 by this node" offline. A JSON-LD form entry
//! (with an `Ed25519Signature2018` proof) is reported as not checked.
//!
//! Each DLC is judged on its own, as the specification says: the header has
//! exactly `alg` and `kid`; the payload's `iss`, `sub`, `vc.issuer` and
//! `vc.credentialSubject.id` are one DID; `vc.credentialSubject.origin` is
//! the origin the file was fetched from; the signature verifies under that
//! DID's key (a `did:key` resolves offline); and `nbf`/`exp` and the
//! credential's dates hold now.

use badgemesh_protocol::keys::{IssuerId, SecretKey};
use badgemesh_protocol::time::Timestamp;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{Value, json};

/// The context of the resource and its credentials.
pub const DID_CONFIGURATION_CONTEXT: &str =
    "https://identity.foundation/.well-known/did-configuration/v1";
/// The VC 1.1 context the specification's credentials use.
pub const VC_V1_CONTEXT: &str = "https://www.w3.org/2018/credentials/v1";
/// The path of the resource under an origin.
pub const WELL_KNOWN_PATH: &str = "/.well-known/did-configuration.json";
/// The largest resource read (IOTA's implementation uses the same cap).
pub const MAX_RESOURCE_BYTES: usize = 1024 * 1024;
/// The most entries looked at in one resource.
pub const MAX_LINKED_DIDS: usize = 64;

/// Why a linkage could not be made or checked at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkageError {
    /// Not an origin (`https://host[:port]`).
    #[error("{0:?} is not an origin such as https://academy.example: {1}")]
    Origin(String, &'static str),
    /// The resource is not a DID Configuration.
    #[error("not a DID configuration resource: {0}")]
    Resource(String),
    /// Signing failed.
    #[error("could not sign the domain linkage credential: {0}")]
    Sign(String),
}

/// Normalises an origin to `scheme://host[:port]` (lower-case host, no path).
/// `https` is the default scheme, as in the specification's JWT example.
/// Plain `http` is accepted only for loopback hosts (tests, local setups).
pub fn origin_of(input: &str) -> Result<String, LinkageError> {
    let bad = |why| LinkageError::Origin(input.to_owned(), why);
    let (scheme, rest) = match input.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => ("https".to_owned(), input),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') || authority.contains(char::is_whitespace) {
        return Err(bad("no host"));
    }
    let authority = authority.to_ascii_lowercase();
    let host = authority
        .rsplit_once(':')
        .map_or(authority.as_str(), |(h, _)| h);
    let loopback = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
    match scheme.as_str() {
        "https" => {}
        "http" if loopback => {}
        "http" => return Err(bad("only https origins (http only on loopback)")),
        _ => return Err(bad("the scheme must be https")),
    }
    let authority = authority
        .strip_suffix(":443")
        .filter(|_| scheme == "https")
        .unwrap_or(&authority);
    Ok(format!("{scheme}://{authority}"))
}

/// A Domain Linkage Credential in JWT form: `did` (a `did:key` whose key is
/// `key`) says it controls `origin`, from `now` for `valid_secs`.
pub fn sign_dlc(
    key: &SecretKey,
    did: &IssuerId,
    origin: &str,
    now: Timestamp,
    valid_secs: i64,
) -> Result<String, LinkageError> {
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    let origin = origin_of(origin)?;
    let did_s = did.to_did();
    if IssuerId::from_key(key.public()) != *did {
        return Err(LinkageError::Sign(
            "a did:key names its inception key: after a key rotation the DID can no longer sign"
                .into(),
        ));
    }
    let exp = now.plus(valid_secs);
    let vc = json!({
        "@context": [VC_V1_CONTEXT, DID_CONFIGURATION_CONTEXT],
        "issuer": did_s,
        "issuanceDate": now,
        "expirationDate": exp,
        "type": ["VerifiableCredential", "DomainLinkageCredential"],
        "credentialSubject": { "id": did_s, "origin": origin },
    });
    let claims =
        json!({ "iss": did_s, "sub": did_s, "nbf": now.secs(), "exp": exp.secs(), "vc": vc });
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = None;
    header.kid = Some(did.verification_method());
    let signing = ed25519_dalek::SigningKey::from_bytes(&key.to_seed());
    let der = signing
        .to_pkcs8_der()
        .map_err(|e| LinkageError::Sign(e.to_string()))?;
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(der.as_bytes()))
        .map_err(|e| LinkageError::Sign(e.to_string()))
}

/// The `did-configuration.json` resource holding `dlcs`.
pub fn resource(dlcs: &[String]) -> Value {
    json!({ "@context": DID_CONFIGURATION_CONTEXT, "linked_dids": dlcs })
}

/// What one entry of `linked_dids` shows.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LinkedDid {
    /// The DID the entry links (when it could be read).
    pub did: Option<String>,
    /// `valid`, `invalid`, `expired`, `not_yet_valid`, `wrong_origin` or
    /// `unchecked` (a form or DID method this node does not check).
    pub status: &'static str,
    /// Why, in words.
    pub detail: String,
    /// The credential's expiry, if read.
    pub expires: Option<Timestamp>,
}

/// Checks every entry of a resource fetched from `origin` at `now`.
pub fn check(bytes: &[u8], origin: &str, now: Timestamp) -> Result<Vec<LinkedDid>, LinkageError> {
    let origin = origin_of(origin)?;
    if bytes.len() > MAX_RESOURCE_BYTES {
        return Err(LinkageError::Resource(format!(
            "larger than {MAX_RESOURCE_BYTES} bytes"
        )));
    }
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|e| LinkageError::Resource(e.to_string()))?;
    let obj = doc
        .as_object()
        .ok_or_else(|| LinkageError::Resource("not a JSON object".into()))?;
    if obj.keys().any(|k| k != "@context" && k != "linked_dids") || !obj.contains_key("@context") {
        return Err(LinkageError::Resource(
            "it must have exactly \"@context\" and \"linked_dids\"".into(),
        ));
    }
    let entries = obj["linked_dids"]
        .as_array()
        .ok_or_else(|| LinkageError::Resource("\"linked_dids\" is not an array".into()))?;
    Ok(entries
        .iter()
        .take(MAX_LINKED_DIDS)
        .map(|e| match e {
            Value::String(jwt) => check_jwt(jwt, &origin, now),
            Value::Object(o) => LinkedDid {
                did: o
                    .get("credentialSubject")
                    .and_then(|s| s["id"].as_str())
                    .map(str::to_owned),
                status: "unchecked",
                detail: "JSON-LD form (Ed25519Signature2018 proofs) is not checked; publish the JWT form".into(),
                expires: None,
            },
            _ => LinkedDid {
                did: None,
                status: "invalid",
                detail: "an entry is neither a JWT nor a credential object".into(),
                expires: None,
            },
        })
        .collect())
}

fn check_jwt(jwt: &str, origin: &str, now: Timestamp) -> LinkedDid {
    let mut out = LinkedDid {
        did: None,
        status: "invalid",
        detail: String::new(),
        expires: None,
    };
    match check_jwt_inner(jwt, origin, now, &mut out) {
        Ok(()) => {
            out.status = "valid";
            out.detail = format!("linked to {origin}");
        }
        Err((status, detail)) => {
            out.status = status;
            out.detail = detail;
        }
    }
    out
}

type Failure = (&'static str, String);

fn invalid(why: impl Into<String>) -> Failure {
    ("invalid", why.into())
}

fn check_jwt_inner(
    jwt: &str,
    origin: &str,
    now: Timestamp,
    out: &mut LinkedDid,
) -> Result<(), Failure> {
    let header_b64 = jwt.split('.').next().unwrap_or_default();
    let header: serde_json::Map<String, Value> = B64URL
        .decode(header_b64)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| invalid("the JWT header is not base64url JSON"))?;
    if header.len() != 2 || !header.contains_key("alg") || !header.contains_key("kid") {
        return Err(invalid(
            "the JWT header must have exactly \"alg\" and \"kid\"",
        ));
    }
    if header["alg"] != "EdDSA" {
        return Err((
            "unchecked",
            format!("algorithm {} is not checked (EdDSA is)", header["alg"]),
        ));
    }
    let kid = header["kid"].as_str().unwrap_or_default();
    let did = kid.split('#').next().unwrap_or_default();
    out.did = Some(did.to_owned());
    let Ok(issuer) = did.parse::<IssuerId>() else {
        return Err((
            "unchecked",
            format!("{did:?} is not a did:key; other DID methods need their DID document"),
        ));
    };
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.required_spec_claims.clear();
    let key = DecodingKey::from_ed_components(&B64URL.encode(issuer.as_bytes()))
        .map_err(|e| invalid(e.to_string()))?;
    let claims = jsonwebtoken::decode::<Value>(jwt, &key, &validation)
        .map_err(|e| invalid(format!("the signature does not verify under {did}: {e}")))?
        .claims;
    let expected: std::collections::BTreeSet<&str> =
        ["iss", "sub", "nbf", "exp", "vc"].into_iter().collect();
    let got: std::collections::BTreeSet<&str> = claims
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    if got != expected {
        return Err(invalid(
            "the payload must have exactly iss, sub, nbf, exp and vc",
        ));
    }
    let vc = &claims["vc"];
    let subject = &vc["credentialSubject"];
    for (what, v) in [
        ("iss", &claims["iss"]),
        ("sub", &claims["sub"]),
        ("vc.issuer", &vc["issuer"]),
        ("vc.credentialSubject.id", &subject["id"]),
    ] {
        if v.as_str() != Some(did) {
            return Err(invalid(format!("{what} is not {did}")));
        }
    }
    if vc.get("id").is_some() {
        return Err(invalid("a domain linkage credential has no id"));
    }
    let types = vc["type"].as_array().cloned().unwrap_or_default();
    if !types.iter().any(|t| t == "DomainLinkageCredential") {
        return Err(invalid("not a DomainLinkageCredential"));
    }
    let claimed = subject["origin"].as_str().unwrap_or_default();
    match origin_of(claimed) {
        Ok(o) if o == origin => {}
        _ => {
            return Err((
                "wrong_origin",
                format!("the credential links {claimed:?}, but the file was fetched from {origin}"),
            ));
        }
    }
    let (Some(nbf), Some(exp)) = (claims["nbf"].as_i64(), claims["exp"].as_i64()) else {
        return Err(invalid("nbf and exp must be numbers"));
    };
    let date = |k: &str| vc[k].as_str().and_then(|s| s.parse::<Timestamp>().ok());
    let (Some(issued), Some(expires)) = (date("issuanceDate"), date("expirationDate")) else {
        return Err(invalid("issuanceDate and expirationDate are required"));
    };
    out.expires = Some(expires);
    if now < Timestamp(nbf) || now < issued {
        return Err(("not_yet_valid", format!("valid from {issued}")));
    }
    if now > Timestamp(exp) || now > expires {
        return Err(("expired", format!("expired {expires}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use badgemesh_protocol::testkit::seed;

    const NOW: Timestamp = Timestamp(1_800_000_000);

    fn key(n: u64) -> (SecretKey, IssuerId) {
        let k = SecretKey::from_seed(&seed("dlc", n)).expect("key");
        let id = IssuerId::from_key(k.public());
        (k, id)
    }

    fn file(jwt: &str) -> Vec<u8> {
        serde_json::to_vec(&resource(&[jwt.to_owned()])).expect("json")
    }

    #[test]
    fn what_we_sign_we_accept() {
        let (k, id) = key(1);
        let jwt = sign_dlc(&k, &id, "https://Academy.example/", NOW, 86_400).expect("signed");
        let got = check(&file(&jwt), "https://academy.example", NOW.plus(60)).expect("checked");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].status, "valid", "{}", got[0].detail);
        assert_eq!(got[0].did.as_deref(), Some(id.to_did().as_str()));
    }

    #[test]
    fn the_resource_has_the_specified_structure() {
        let (k, id) = key(2);
        let jwt = sign_dlc(&k, &id, "academy.example", NOW, 60).expect("signed");
        let mut parts = jwt.split('.');
        let header: Value =
            serde_json::from_slice(&B64URL.decode(parts.next().expect("h")).expect("b64"))
                .expect("json");
        assert_eq!(
            header,
            json!({ "alg": "EdDSA", "kid": id.verification_method() })
        );
        let payload: Value =
            serde_json::from_slice(&B64URL.decode(parts.next().expect("p")).expect("b64"))
                .expect("json");
        assert_eq!(payload["iss"], payload["sub"]);
        assert_eq!(
            payload["vc"]["credentialSubject"]["origin"],
            "https://academy.example"
        );
        assert_eq!(payload["vc"]["type"][1], "DomainLinkageCredential");
        let r = resource(&[jwt]);
        assert_eq!(r["@context"], DID_CONFIGURATION_CONTEXT);
        assert_eq!(r.as_object().map(|o| o.len()), Some(2));
    }

    #[test]
    fn wrong_origin_expired_and_wrong_key_are_told_apart() {
        let (k, id) = key(3);
        let (other, _) = key(4);
        let jwt = sign_dlc(&k, &id, "https://academy.example", NOW, 60).expect("signed");
        let at = |origin, t| check(&file(&jwt), origin, t).expect("checked")[0].status;
        assert_eq!(at("https://evil.example", NOW), "wrong_origin");
        assert_eq!(at("https://academy.example", NOW.plus(61)), "expired");
        assert_eq!(
            at("https://academy.example", NOW.plus(-10)),
            "not_yet_valid"
        );
        // Signed by another key, but claiming `id`: the signature fails.
        let forged = sign_dlc(&other, &id, "https://academy.example", NOW, 60);
        assert!(
            forged.is_err(),
            "our signer refuses a key that is not the DID's"
        );
        let (_, other_id) = key(4);
        let theirs =
            sign_dlc(&other, &other_id, "https://academy.example", NOW, 60).expect("signed");
        let mut pieces: Vec<&str> = jwt.split('.').collect();
        let their_sig = theirs.rsplit('.').next().expect("sig");
        pieces[2] = their_sig;
        let spliced = pieces.join(".");
        assert_eq!(
            check(&file(&spliced), "https://academy.example", NOW).expect("checked")[0].status,
            "invalid"
        );
    }

    #[test]
    fn origins_are_normalised_and_http_is_loopback_only() {
        assert_eq!(
            origin_of("academy.example").as_deref(),
            Ok("https://academy.example")
        );
        assert_eq!(
            origin_of("https://academy.example:443/x").as_deref(),
            Ok("https://academy.example")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080/").as_deref(),
            Ok("http://127.0.0.1:8080")
        );
        assert!(origin_of("http://academy.example").is_err());
        assert!(origin_of("ftp://academy.example").is_err());
    }

    #[test]
    fn malformed_resources_are_refused() {
        for bad in [
            &b"[]"[..],
            b"{\"linked_dids\": []}",
            b"{\"@context\": 1, \"linked_dids\": 2}",
            b"not json",
        ] {
            assert!(check(bad, "https://a.example", NOW).is_err());
        }
        let extra = br#"{"@context": "x", "linked_dids": [], "more": 1}"#;
        assert!(check(extra, "https://a.example", NOW).is_err());
    }
}
