//! Presentations the earner signs: several held badges at once, in one W3C
//! Verifiable Presentation whose `holder` is the earner's did:key
//! ([`super::holder`]) and whose `eddsa-rdfc-2022` proof is for
//! `authentication`, with the verifier's `challenge` and `domain`, so that
//! it cannot be shown again to another verifier or for another request.
//!
//! Only Verifiable Credentials can be presented: OB 3.0 credentials, as
//! JSON (embedded as they are) or as VC-JWTs (embedded as VC 2.0's
//! `EnvelopedVerifiableCredential`, whose id is the `data:application/vc+jwt,`
//! URL of the token: a bare string is not a credential to JSON-LD, and
//! the presentation's proof would not cover it), bare or baked into a PNG or SVG
//! (the credential the image carries is presented, not the image). A
//! native badgemesh assertion is a signed CBOR record, not a credential,
//! and an OB 2.0 assertion predates Verifiable Credentials: neither is
//! presented. Their earner can ask the issuer for the OB 3.0 form (an
//! issuer's node exports its native awards as OB 3.0 credentials naming
//! the same revocation entry, `badgemesh award --format ob3`), or show the
//! file itself; a presentation of them is refused with that advice rather
//! than re-signed by the earner (the earner's key cannot speak for the
//! issuer).
//!
//! Nothing here checks that the earner is the credentials' subject: a
//! verifier does (the holder binding of
//! [`crate::verdict::presentation`]), and the command warns.

use badgemesh_bake::{BadgeKind, Extracted, Limits};
use badgemesh_openbadges::contexts::{
    CREDENTIALS_V1, CREDENTIALS_V2, ContextSet, DATA_INTEGRITY_V2,
};
use badgemesh_openbadges::presentation::MAX_PRESENTED_CREDENTIALS;
use badgemesh_openbadges::proof::{ProofError, proof_options, sign};
use badgemesh_protocol::keys::{IssuerId, SecretKey};
use serde_json::{Map, Value, json};

/// The start of an enveloped VC-JWT's id: a data URL of the token.
pub const ENVELOPED_JWT: &str = "data:application/vc+jwt,";

/// The media types of a data URL that carries a VC-JWT, as the VC 2.0 test
/// suite writes them (`vc+jwt` is VC-JOSE-COSE's; the others are older or
/// plainer forms of the same compact token).
pub const ENVELOPED_JWT_TYPES: [&str; 4] = [
    "application/vc+jwt",
    "application/jwt",
    "application/vc-ld+jwt",
    "application/vc+ld+json+jwt",
];

/// The VC-JWT an `EnvelopedVerifiableCredential` carries (a data URL of
/// one of [`ENVELOPED_JWT_TYPES`]), if `credential` is one; other values
/// come back as they are.
pub fn unenvelope(credential: &Value) -> Value {
    let enveloped = match &credential["type"] {
        Value::String(t) => t == "EnvelopedVerifiableCredential",
        Value::Array(ts) => ts.iter().any(|t| t == "EnvelopedVerifiableCredential"),
        _ => false,
    };
    let token = credential["id"]
        .as_str()
        .filter(|_| enveloped)
        .and_then(|id| id.strip_prefix("data:"))
        .and_then(|rest| rest.split_once(','))
        .filter(|(media, _)| {
            let (kind, params) = media.split_once(';').unwrap_or((media, ""));
            ENVELOPED_JWT_TYPES.contains(&kind) && matches!(params, "" | "base64url")
        })
        .map(|(_, token)| token);
    match token {
        Some(t) => Value::String(t.to_owned()),
        None => credential.clone(),
    }
}

/// Longest challenge or domain accepted (they are echoed into the proof).
pub const MAX_BINDING: usize = 256;

/// Why a presentation was not made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PresentError {
    /// A held badge is not a Verifiable Credential.
    #[error("{0}")]
    NotACredential(String),
    /// Nothing, or too much, to present.
    #[error("{0}")]
    Count(String),
    /// A challenge or domain that cannot be used.
    #[error("{0}")]
    Binding(String),
    /// The credentials cannot be signed over together (JSON-LD refused the
    /// presentation, say VC 1.1 and 2.0 credentials mixed).
    #[error("cannot sign the presentation: {0}")]
    Sign(#[from] ProofError),
}

/// The credential a held badge's bytes carry, as a presentation embeds it:
/// a JSON object, or a VC-JWT string. `label` names the badge in messages.
pub fn credential_of(bytes: &[u8], label: &str) -> Result<Value, PresentError> {
    let not = |what: &str| {
        PresentError::NotACredential(format!(
            "badge {label} is {what}, not a Verifiable Credential, so it cannot be presented; ask its issuer for the Open Badges 3.0 form (an issuer's node exports it with `badgemesh award --format ob3`), or show the file itself"
        ))
    };
    let extracted = badgemesh_bake::unbake(bytes, &Limits::default())
        .map_err(|e| PresentError::NotACredential(format!("badge {label}: {e}")))?;
    let kind = extracted.kind();
    let text = match extracted {
        Extracted::Native => return Err(not("a native badgemesh assertion")),
        Extracted::Json(t) | Extracted::Jws(t) => t,
        Extracted::Baked { baked, .. } => baked.text,
        _ => return Err(not("in a format that is not known here")),
    };
    match kind {
        BadgeKind::Ob3Json => match serde_json::from_str::<Value>(&text) {
            Ok(v @ Value::Object(_)) => Ok(v),
            _ => Err(not("JSON that does not read as a credential")),
        },
        BadgeKind::Ob3Jwt => Ok(json!({
            "@context": [CREDENTIALS_V2],
            "id": format!("{ENVELOPED_JWT}{}", text.trim()),
            "type": ["EnvelopedVerifiableCredential"],
        })),
        BadgeKind::Ob2Json | BadgeKind::Ob2Jws | BadgeKind::HostedUrl => {
            Err(not("an Open Badges 2.0 assertion"))
        }
        _ => Err(not("in a format that is not known here")),
    }
}

/// A challenge or domain as given: 1 to [`MAX_BINDING`] characters, none
/// of them control characters.
pub fn check_binding(what: &str, text: &str) -> Result<(), PresentError> {
    if text.is_empty() || text.len() > MAX_BINDING || text.chars().any(char::is_control) {
        return Err(PresentError::Binding(format!(
            "the {what} must be 1 to {MAX_BINDING} characters without control characters"
        )));
    }
    Ok(())
}

/// Signs a presentation of `credentials` by the holder `key` (whose
/// did:key is `holder`), for `authentication`, bound to `challenge` and
/// `domain`, dated `created`. VC 1.1 credentials are presented in a VC 1.1
/// presentation (with the Data Integrity context), others in a VC 2.0 one.
pub fn sign_presentation(
    credentials: Vec<Value>,
    key: &SecretKey,
    holder: &IssuerId,
    challenge: &str,
    domain: &str,
    created: &str,
) -> Result<Map<String, Value>, PresentError> {
    check_binding("challenge", challenge)?;
    check_binding("domain", domain)?;
    if credentials.is_empty() {
        return Err(PresentError::Count(
            "choose at least one badge to present".into(),
        ));
    }
    if credentials.len() > MAX_PRESENTED_CREDENTIALS {
        return Err(PresentError::Count(format!(
            "{} badges chosen; a presentation carries at most {MAX_PRESENTED_CREDENTIALS} (verifiers check each one)",
            credentials.len()
        )));
    }
    let v1 = |c: &Value| {
        let first = match &c["@context"] {
            Value::Array(items) => items.first().cloned().unwrap_or_default(),
            one => one.clone(),
        };
        first == CREDENTIALS_V1
    };
    let context = if credentials.iter().all(v1) {
        json!([CREDENTIALS_V1, DATA_INTEGRITY_V2])
    } else {
        json!([CREDENTIALS_V2])
    };
    let mut doc = Map::new();
    doc.insert("@context".into(), context);
    doc.insert("type".into(), json!(["VerifiablePresentation"]));
    doc.insert("holder".into(), holder.to_did().into());
    doc.insert("verifiableCredential".into(), Value::Array(credentials));
    let mut options = proof_options(&holder.verification_method(), created);
    options.insert("proofPurpose".into(), "authentication".into());
    options.insert("challenge".into(), challenge.into());
    options.insert("domain".into(), domain.into());
    sign(&mut doc, options, key, &ContextSet::pinned())?;
    Ok(doc)
}

/// The subject ids of a credential that are not `holder` (an empty list
/// when the holder is the subject of everything it says), for a warning
/// before a verifier refuses the presentation.
pub fn other_subjects(credential: &Value, holder: &str) -> Vec<String> {
    let doc = match unenvelope(credential) {
        Value::String(token) => badgemesh_openbadges::jwt::decode(&token)
            .map(|d| Value::Object(d.credential()))
            .unwrap_or_default(),
        other => other,
    };
    let subjects: Vec<&Value> = match &doc["credentialSubject"] {
        Value::Array(items) => items.iter().collect(),
        one => vec![one],
    };
    subjects
        .into_iter()
        .map(|s| {
            s["id"]
                .as_str()
                .unwrap_or("(no subject id: a hashed email or another identifier)")
        })
        .filter(|id| *id != holder)
        .map(str::to_owned)
        .collect()
}
