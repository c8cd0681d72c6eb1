//! What a badge text is (OB 3.0 or OB 2.0, JSON or JWS), told from its
//! content, so that each goes to its own verifier.
//!
//! The carrier is a hint, not the answer: older bakers put OB 3.0 VC-JWTs
//! in the OB 2.0 `openbadges` PNG chunk, and a compact JWS looks the same
//! whether it signs an OB 2.0 assertion or an OB 3.0 credential. So a JWS's
//! payload is decoded (bounded: the text already is) and read: a `vc`
//! claim, a Verifiable Credentials `@context` or a `VerifiableCredential`
//! type make it OB 3.0; the `https://w3id.org/openbadges/v2` context or an
//! assertion's `recipient` and `badge` make it OB 2.0. Only when the content
//! says neither does the carrier decide.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::carrier::{Baked, Found};
use crate::payload::is_compact_jws;

/// What a badge text holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BadgeKind {
    /// An OB 3.0 credential as JSON (verify as a JSON credential).
    Ob3Json,
    /// An OB 3.0 credential as a VC-JWT (verify the compact JWS as one).
    Ob3Jwt,
    /// An OB 2.0 assertion as JSON (hosted, or with its signature beside).
    Ob2Json,
    /// An OB 2.0 signed assertion (compact JWS).
    Ob2Jws,
    /// The URL of a hosted assertion (pre-1.0 PNG `tEXt`).
    HostedUrl,
    /// A native badgemesh record (see [`crate::Extracted::Native`]).
    Native,
    /// None of the above.
    Unknown,
}

/// The contexts of the W3C Verifiable Credentials data models.
const VC_CONTEXTS: [&str; 2] = [
    "https://www.w3.org/ns/credentials/v2",
    "https://www.w3.org/2018/credentials/v1",
];
/// The Open Badges 2.0 context.
const OB2_CONTEXT: &str = "https://w3id.org/openbadges/v2";

/// Tells what `text` is; `carrier` (the image's carrier, if the text came
/// from one) decides only when the content does not.
pub fn badge_kind(text: &str, carrier: Option<Found>) -> BadgeKind {
    let text = text.trim_start_matches('\u{feff}').trim();
    if carrier == Some(Found::LegacyUrl) {
        return BadgeKind::HostedUrl;
    }
    if is_compact_jws(text) {
        let by_content = text
            .split('.')
            .nth(1)
            .and_then(|p| URL_SAFE_NO_PAD.decode(p.trim_end_matches('=')).ok())
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .and_then(|payload| generation(&payload, true));
        return match (by_content, carrier) {
            (Some(Generation::Ob3), _) | (None, Some(Found::Ob3)) => BadgeKind::Ob3Jwt,
            (Some(Generation::Ob2), _) | (None, Some(Found::Ob2)) => BadgeKind::Ob2Jws,
            (None, _) => BadgeKind::Unknown,
        };
    }
    if text.starts_with('{') {
        let by_content = serde_json::from_str::<Value>(text)
            .ok()
            .and_then(|doc| generation(&doc, false));
        return match (by_content, carrier) {
            (Some(Generation::Ob3), _) | (None, Some(Found::Ob3)) => BadgeKind::Ob3Json,
            (Some(Generation::Ob2), _) | (None, Some(Found::Ob2)) => BadgeKind::Ob2Json,
            (None, _) => BadgeKind::Unknown,
        };
    }
    if text.starts_with("https://") || text.starts_with("http://") {
        return BadgeKind::HostedUrl;
    }
    BadgeKind::Unknown
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Generation {
    Ob3,
    Ob2,
}

/// Which Open Badges generation a JSON document (or JWT payload, `jwt`)
/// belongs to, if it says.
fn generation(doc: &Value, jwt: bool) -> Option<Generation> {
    let doc = doc.as_object()?;
    if jwt && doc.get("vc").is_some_and(Value::is_object) {
        return Some(Generation::Ob3);
    }
    let contexts: Vec<&str> = match doc.get("@context") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if contexts.iter().any(|c| VC_CONTEXTS.contains(c)) {
        return Some(Generation::Ob3);
    }
    if contexts.contains(&OB2_CONTEXT) {
        return Some(Generation::Ob2);
    }
    let has_type = |t: &str| match doc.get("type") {
        Some(Value::String(s)) => s == t,
        Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(t)),
        _ => false,
    };
    if has_type("VerifiableCredential") {
        return Some(Generation::Ob3);
    }
    if has_type("Assertion") || (doc.contains_key("recipient") && doc.contains_key("badge")) {
        return Some(Generation::Ob2);
    }
    None
}

impl Baked {
    /// What the baked text is (see [`badge_kind`]): an OB 3.0 VC-JWT baked in
    /// an OB 2.0 carrier is [`BadgeKind::Ob3Jwt`].
    pub fn kind(&self) -> BadgeKind {
        badge_kind(&self.text, Some(self.carrier))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jws(payload: &str) -> String {
        format!(
            "eyJhbGciOiJSUzI1NiJ9.{}.c2ln",
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn content_decides_and_the_carrier_breaks_ties() {
        let vc_claim = jws(r#"{"iss":"did:x","vc":{"type":["VerifiableCredential"]}}"#);
        let vc_jose = jws(r#"{"@context":["https://www.w3.org/ns/credentials/v2"]}"#);
        let ob2 = jws(r#"{"@context":"https://w3id.org/openbadges/v2","type":"Assertion"}"#);
        let neither = jws(r#"{"a":1}"#);
        for carrier in [None, Some(Found::Ob2), Some(Found::Ob3)] {
            assert_eq!(badge_kind(&vc_claim, carrier), BadgeKind::Ob3Jwt);
            assert_eq!(badge_kind(&vc_jose, carrier), BadgeKind::Ob3Jwt);
            assert_eq!(badge_kind(&ob2, carrier), BadgeKind::Ob2Jws);
        }
        assert_eq!(badge_kind(&neither, None), BadgeKind::Unknown);
        assert_eq!(badge_kind(&neither, Some(Found::Ob2)), BadgeKind::Ob2Jws);
        assert_eq!(badge_kind(&neither, Some(Found::Ob3)), BadgeKind::Ob3Jwt);
        assert_eq!(
            badge_kind(
                r#"{"@context":["https://www.w3.org/2018/credentials/v1"]}"#,
                Some(Found::Ob2)
            ),
            BadgeKind::Ob3Json
        );
        assert_eq!(
            badge_kind(
                r#"{"@context":"https://w3id.org/openbadges/v2"}"#,
                Some(Found::Ob3)
            ),
            BadgeKind::Ob2Json
        );
        assert_eq!(
            badge_kind("https://example.org/a/1", Some(Found::LegacyUrl)),
            BadgeKind::HostedUrl
        );
        assert_eq!(badge_kind("hello", None), BadgeKind::Unknown);
        // A payload that is not base64url JSON: the carrier decides.
        assert_eq!(
            badge_kind("eyJhbGciOiJSUzI1NiJ9.!!!.c2ln", Some(Found::Ob2)),
            BadgeKind::Unknown
        );
        assert_eq!(
            badge_kind("eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln", Some(Found::Ob2)),
            BadgeKind::Ob2Jws
        );
    }
}
