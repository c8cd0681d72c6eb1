//! The VC Data Model 2.0's rules on a credential's own properties, beyond
//! what JSON-LD processing checks: what an issuer must refuse to sign and a
//! verifier of arbitrary credentials (the VC API) must refuse to accept.
//!
//! Open Badges verification does not apply these (a real badge that breaks
//! one of them is still judged by its proof, with a warning where the OB
//! rules say so); the VC API's issue and verify calls do.

use serde_json::{Map, Value};

/// Properties whose objects must each say their `type` (VC 2.0 §4.5, and
/// the sections on status, terms of use, evidence, refreshing and schemas).
const TYPED: [&str; 5] = [
    "credentialStatus",
    "termsOfUse",
    "evidence",
    "refreshService",
    "credentialSchema",
];

/// The first rule of the data model that `doc` breaks, if any.
pub fn problem(doc: &Map<String, Value>) -> Option<String> {
    for key in TYPED {
        for item in items(doc.get(key)) {
            let Some(obj) = item.as_object() else {
                return Some(format!("each {key} must be an object"));
            };
            if !obj
                .get("type")
                .is_some_and(|t| t.is_string() || t.is_array())
            {
                return Some(format!("each {key} must have a type"));
            }
            if key == "credentialSchema" && !obj.get("id").is_some_and(is_url) {
                return Some("each credentialSchema must have an id that is a URL".into());
            }
            if key == "credentialStatus" && obj.get("id").is_some_and(|id| !is_url(id)) {
                return Some("a credentialStatus id must be a single URL".into());
            }
        }
    }
    if let Some(id) = doc.get("id")
        && !is_url(id)
    {
        return Some("the credential's id must be a single URL".into());
    }
    match doc.get("issuer") {
        Some(Value::Object(o)) if !o.get("id").is_some_and(is_url) => {
            return Some("the issuer's id must be a URL".into());
        }
        Some(Value::String(_)) if !doc.get("issuer").is_some_and(is_url) => {
            return Some("the issuer must be a URL".into());
        }
        _ => {}
    }
    for subject in items(doc.get("credentialSubject")) {
        if subject.as_object().is_some_and(Map::is_empty) {
            return Some("a credentialSubject must make at least one claim".into());
        }
    }
    related_resources(doc.get("relatedResource"))
}

/// `relatedResource`: objects with a unique URL `id` and a digest, which
/// must match the document when this node holds it as served.
fn related_resources(value: Option<&Value>) -> Option<String> {
    let mut ids = Vec::new();
    for item in items(value) {
        let Some(obj) = item.as_object() else {
            return Some("each relatedResource must be an object".into());
        };
        let Some(id) = obj
            .get("id")
            .filter(|id| is_url(id))
            .and_then(Value::as_str)
        else {
            return Some("each relatedResource must have an id that is a URL".into());
        };
        if ids.contains(&id) {
            return Some(format!("relatedResource {id} is listed twice"));
        }
        ids.push(id);
        let sri = obj.get("digestSRI");
        let multibase = obj.get("digestMultibase");
        if sri.is_none() && multibase.is_none() {
            return Some(format!(
                "relatedResource {id} has neither digestSRI nor digestMultibase"
            ));
        }
        if sri.is_some_and(|v| !v.is_string()) || multibase.is_some_and(|v| !v.is_string()) {
            return Some(format!("relatedResource {id}: a digest must be a string"));
        }
        if let Some(p) = crate::related_resource::digest_problem(
            id,
            sri.and_then(Value::as_str),
            multibase.and_then(Value::as_str),
        ) {
            return Some(p);
        }
    }
    None
}

/// A value, or the items of an array.
fn items(value: Option<&Value>) -> Vec<&Value> {
    match value {
        None => Vec::new(),
        Some(Value::Array(a)) => a.iter().collect(),
        Some(one) => vec![one],
    }
}

/// A string with a URL scheme and no white space (VC 2.0 identifiers are
/// URLs; JSON-LD checks them further).
fn is_url(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.split_once(':').is_some_and(|(scheme, rest)| {
            !rest.is_empty()
                && scheme
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        }) && !s.chars().any(char::is_whitespace)
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(v: Value) -> Option<String> {
        problem(v.as_object().expect("object"))
    }

    #[test]
    fn conforming_credentials_pass() {
        assert_eq!(
            check(json!({
                "id": "urn:uuid:1",
                "issuer": {"id": "did:example:1"},
                "credentialSubject": {"id": "did:example:2"},
                "credentialStatus": {"type": "BitstringStatusListEntry"},
                "credentialSchema": [{"id": "https://example.org/s", "type": "JsonSchema"}],
                "relatedResource": [{"id": "https://example.org/r", "digestSRI": "sha384-x"}],
            })),
            None
        );
    }

    #[test]
    fn each_rule_is_enforced() {
        for (bad, why) in [
            (
                json!({"evidence": {"id": "https://e"}}),
                "evidence must have a type",
            ),
            (
                json!({"credentialSchema": {"type": "JsonSchema"}}),
                "an id that is a URL",
            ),
            (json!({"issuer": {"id": null}}), "issuer's id must be a URL"),
            (json!({"issuer": "not a url"}), "issuer must be a URL"),
            (json!({"id": ["urn:a", "urn:b"]}), "single URL"),
            (json!({"credentialSubject": [{}]}), "at least one claim"),
            (
                json!({"relatedResource": ["https://r"]}),
                "must be an object",
            ),
            (
                json!({"relatedResource": [{"id": "https://r"}]}),
                "neither digestSRI",
            ),
            (
                json!({"relatedResource": [
                    {"id": "https://r", "digestSRI": "a"},
                    {"id": "https://r", "digestSRI": "a"}]}),
                "listed twice",
            ),
        ] {
            let p = check(bad.clone()).unwrap_or_default();
            assert!(p.contains(why), "{bad}: {p}");
        }
    }
}
