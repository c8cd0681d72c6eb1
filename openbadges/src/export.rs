//! Export of a native badgemesh assertion as a signed OB 3.0
//! `OpenBadgeCredential`, and the link back from such a credential to the
//! native records.
//!
//! The credential's ids name the native records: `id` is
//! `urn:badgemesh:assertion:<assertion record id>`, the achievement id is
//! `urn:badgemesh:badge:<badge class record id>`, the issuer id is the
//! issuer's did:key, and `credentialStatus.statusListIndex` is the native
//! status index. So a node holding the issuer's records can check an exported
//! credential against the network's revocation state with [`native_link`],
//! without any extension term (safe mode refuses undefined terms).
//!
//! The proof's verification method is the issuer's inception key as
//! `did:key:z..#z..`, so only that key can export: after a key rotation the
//! did:key no longer names the signing key, and export fails with
//! [`ExportError::NotInceptionKey`].

use badgemesh_protocol::id::RecordId;
use badgemesh_protocol::keys::{IssuerId, SecretKey};
use badgemesh_protocol::record::{Assertion, BadgeClass, IssuerProfile, Recipient};
use serde_json::{Map, Value, json};

use crate::contexts::{CREDENTIALS_V2, ContextSet, OB_V3P0_3};
use crate::proof::{ProofError, proof_options, sign};

/// Prefix of exported credential ids.
pub const ASSERTION_URN: &str = "urn:badgemesh:assertion:";
/// Prefix of exported achievement ids.
pub const BADGE_URN: &str = "urn:badgemesh:badge:";

/// Export failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExportError {
    /// The assertion, badge class and profile are not all from one issuer.
    #[error("the assertion, badge class and profile have different issuers")]
    IssuerMismatch,
    /// The assertion is not of the given badge class.
    #[error("the assertion is not of this badge class")]
    BadgeMismatch,
    /// The key is not the issuer's inception key (the did:key).
    #[error("the signing key is not the issuer's inception key (did:key)")]
    NotInceptionKey,
    /// Signing failed (a value the JSON-LD processor refuses, e.g. a relative URL).
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// The credential could not be signed as a VC-JWT.
    #[error(transparent)]
    Jwt(#[from] crate::jwt::JwtError),
}

/// What to export.
#[derive(Clone, Copy, Debug)]
pub struct ExportInput<'a> {
    /// The native assertion.
    pub assertion: &'a Assertion,
    /// Its record id.
    pub assertion_id: RecordId,
    /// The badge class awarded.
    pub badge: &'a BadgeClass,
    /// Its record id (must be `assertion.badge`).
    pub badge_id: RecordId,
    /// The issuer's profile.
    pub profile: &'a IssuerProfile,
    /// Base URL under which status lists are served; with it the credential
    /// gets a `BitstringStatusListEntry` (see [`status_list_url`]).
    pub status_base_url: Option<&'a str>,
}

/// The `credentialStatus` of a credential the node exports: the issuer's
/// revocation status list at `base`, this credential's bit in it.
pub(crate) fn revocation_entry(base: &str, issuer: &IssuerId, index: u32) -> Value {
    json!({
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": index.to_string(),
        "statusListCredential": status_list_url(base, issuer),
    })
}

/// Where the issuer's revocation status list is served under `base`:
/// `<base>/ob3/status/<did:key>/revocation`.
pub fn status_list_url(base: &str, issuer: &IssuerId) -> String {
    format!(
        "{}/ob3/status/{}/revocation",
        base.trim_end_matches('/'),
        issuer.to_did()
    )
}

fn image(uri: &str) -> Value {
    json!({ "id": uri, "type": "Image" })
}

/// Builds and signs the credential (a JSON object) for `input` with `key`.
pub fn export_credential(
    input: &ExportInput<'_>,
    key: &SecretKey,
) -> Result<Map<String, Value>, ExportError> {
    let a = input.assertion;
    let b = input.badge;
    let p = input.profile;
    if a.issuer != b.issuer || a.issuer != p.issuer {
        return Err(ExportError::IssuerMismatch);
    }
    if a.badge != input.badge_id {
        return Err(ExportError::BadgeMismatch);
    }
    if IssuerId::from_key(key.public()) != a.issuer {
        return Err(ExportError::NotInceptionKey);
    }
    let did = a.issuer.to_did();

    let mut issuer = Map::new();
    issuer.insert("id".into(), did.clone().into());
    issuer.insert("type".into(), json!(["Profile"]));
    issuer.insert("name".into(), p.name.clone().into());
    if let Some(url) = &p.url {
        issuer.insert("url".into(), url.clone().into());
    }
    if let Some(email) = &p.email {
        issuer.insert("email".into(), email.clone().into());
    }
    if let Some(d) = &p.description {
        issuer.insert("description".into(), d.clone().into());
    }
    if let Some(i) = &p.image {
        issuer.insert("image".into(), image(i));
    }

    let mut criteria = Map::new();
    if let Some(url) = &b.criteria.url {
        criteria.insert("id".into(), url.clone().into());
    }
    if let Some(n) = &b.criteria.narrative {
        criteria.insert("narrative".into(), n.clone().into());
    }
    let mut achievement = Map::new();
    achievement.insert("id".into(), format!("{BADGE_URN}{}", input.badge_id).into());
    achievement.insert("type".into(), json!(["Achievement"]));
    achievement.insert("name".into(), b.name.clone().into());
    achievement.insert("description".into(), b.description.clone().into());
    achievement.insert("criteria".into(), Value::Object(criteria));
    if let Some(i) = &b.image {
        achievement.insert("image".into(), image(&i.uri));
    }
    if !b.tags.is_empty() {
        achievement.insert("tag".into(), json!(b.tags));
    }
    if !b.alignments.is_empty() {
        let aligns: Vec<Value> = b
            .alignments
            .iter()
            .map(|al| {
                let mut m = Map::new();
                m.insert("type".into(), json!(["Alignment"]));
                m.insert("targetName".into(), al.target_name.clone().into());
                m.insert("targetUrl".into(), al.target_url.clone().into());
                if let Some(d) = &al.target_description {
                    m.insert("targetDescription".into(), d.clone().into());
                }
                if let Some(f) = &al.target_framework {
                    m.insert("targetFramework".into(), f.clone().into());
                }
                if let Some(c) = &al.target_code {
                    m.insert("targetCode".into(), c.clone().into());
                }
                Value::Object(m)
            })
            .collect();
        achievement.insert("alignment".into(), Value::Array(aligns));
    }
    if !b.related.is_empty() {
        // The badge classes this one is related to (other versions, other
        // languages), by the ids their exports carry.
        let related: Vec<Value> = b
            .related
            .iter()
            .map(|id| json!({ "id": format!("{BADGE_URN}{id}"), "type": ["Related"] }))
            .collect();
        achievement.insert("related".into(), Value::Array(related));
    }

    let mut subject = Map::new();
    subject.insert("type".into(), json!(["AchievementSubject"]));
    match &a.recipient {
        Recipient::Did(d) => {
            subject.insert("id".into(), d.clone().into());
        }
        Recipient::Hashed(h) => {
            subject.insert(
                "identifier".into(),
                json!([{
                    "type": "IdentityObject",
                    "hashed": true,
                    "identityHash": h.to_ob_string(),
                    "identityType": h.identity_type,
                    "salt": h.salt,
                }]),
            );
        }
    }
    if let Some(n) = &a.narrative {
        subject.insert("narrative".into(), n.clone().into());
    }
    subject.insert("achievement".into(), Value::Object(achievement));

    let mut doc = Map::new();
    doc.insert("@context".into(), json!([CREDENTIALS_V2, OB_V3P0_3]));
    doc.insert(
        "id".into(),
        format!("{ASSERTION_URN}{}", input.assertion_id).into(),
    );
    doc.insert(
        "type".into(),
        json!(["VerifiableCredential", "OpenBadgeCredential"]),
    );
    doc.insert("name".into(), b.name.clone().into());
    doc.insert("issuer".into(), Value::Object(issuer));
    doc.insert("validFrom".into(), a.issued_on.to_string().into());
    if let Some(exp) = a.expires {
        doc.insert("validUntil".into(), exp.to_string().into());
    }
    doc.insert("credentialSubject".into(), Value::Object(subject));
    if !a.evidence.is_empty() {
        let ev: Vec<Value> = a
            .evidence
            .iter()
            .map(|e| {
                let mut m = Map::new();
                if let Some(u) = &e.url {
                    m.insert("id".into(), u.clone().into());
                }
                m.insert("type".into(), json!(["Evidence"]));
                if let Some(n) = &e.narrative {
                    m.insert("narrative".into(), n.clone().into());
                }
                Value::Object(m)
            })
            .collect();
        doc.insert("evidence".into(), Value::Array(ev));
    }
    if let Some(base) = input.status_base_url {
        doc.insert(
            "credentialStatus".into(),
            revocation_entry(base, &a.issuer, a.status_index),
        );
    }
    let options = proof_options(&a.issuer.verification_method(), &a.issued_on.to_string());
    sign(&mut doc, options, key, &ContextSet::pinned())?;
    Ok(doc)
}

/// [`export_credential`] as pretty JSON bytes.
pub fn export_credential_json(
    input: &ExportInput<'_>,
    key: &SecretKey,
) -> Result<Vec<u8>, ExportError> {
    let doc = export_credential(input, key)?;
    let mut out = serde_json::to_vec_pretty(&Value::Object(doc)).unwrap_or_default();
    out.push(b'\n');
    Ok(out)
}

/// The same credential as an OB 3.0 VC-JWT (the specification's other
/// proof format): the credential without its Data Integrity proof, signed
/// with EdDSA under the issuer's did:key verification method.
pub fn export_credential_jwt(
    input: &ExportInput<'_>,
    key: &SecretKey,
) -> Result<String, ExportError> {
    let mut doc = export_credential(input, key)?;
    doc.shift_remove("proof");
    let kid = input.assertion.issuer.verification_method();
    Ok(crate::jwt::sign_jwt(&doc, key, &kid)?)
}

/// The native records an exported credential names: the issuer, the status
/// index (if it has a revocation `BitstringStatusListEntry`) and the
/// assertion's record id. `None` if the credential was not exported by
/// badgemesh (its id is not `urn:badgemesh:assertion:...` or its issuer is not
/// a did:key).
///
/// This reads ids only: call it on a credential that
/// [`crate::credential::verify_credential`] found genuine, then look up the
/// assertion id and the status index in the issuer's native revocation
/// registry.
pub fn native_link(credential: &Map<String, Value>) -> Option<(IssuerId, Option<u32>, RecordId)> {
    let id = credential.get("id")?.as_str()?;
    let record: RecordId = id.strip_prefix(ASSERTION_URN)?.parse().ok()?;
    let issuer = match credential.get("issuer")? {
        Value::String(s) => s.as_str(),
        Value::Object(o) => o.get("id")?.as_str()?,
        _ => return None,
    };
    if issuer.contains('#') {
        return None;
    }
    let issuer: IssuerId = issuer.parse().ok()?;
    let index = credential
        .get("credentialStatus")
        .and_then(Value::as_object)
        .filter(|s| {
            s.get("type").and_then(Value::as_str) == Some("BitstringStatusListEntry")
                && s.get("statusPurpose").and_then(Value::as_str) == Some("revocation")
        })
        .and_then(|s| s.get("statusListIndex")?.as_str()?.parse().ok());
    Some((issuer, index, record))
}

/// [`native_link`] on credential JSON bytes (bounded like verification);
/// `None` if they are not a JSON object within the limits.
pub fn native_link_json(bytes: &[u8]) -> Option<(IssuerId, Option<u32>, RecordId)> {
    native_link(&crate::json::parse_bounded(bytes).ok()?)
}

/// The badgemesh issuer and status index whose revocation the network
/// carries, for any credential such an issuer signed: an exported
/// assertion ([`native_link`]), or a credential the VC API issued with a
/// status index from the same counter, whose only status entry is a
/// revocation `BitstringStatusListEntry` in the issuer's own list
/// (`.../ob3/status/<its did:key>/revocation`, on whatever host serves it).
/// The list and the network's revocation updates are signed by the same
/// issuer, so the updates answer for the list, offline and with their age.
///
/// Like [`native_link`], this reads ids only: call it on a credential whose
/// proof verified under that issuer.
pub fn native_status(credential: &Map<String, Value>) -> Option<(IssuerId, Option<u32>)> {
    if let Some((issuer, index, _)) = native_link(credential) {
        return Some((issuer, index));
    }
    let issuer = match credential.get("issuer")? {
        Value::String(s) => s.as_str(),
        Value::Object(o) => o.get("id")?.as_str()?,
        _ => return None,
    };
    let id: IssuerId = issuer.parse().ok().filter(|_| !issuer.contains('#'))?;
    let entry = match credential.get("credentialStatus")? {
        Value::Object(o) => o,
        Value::Array(a) if a.len() == 1 => a[0].as_object()?,
        _ => return None,
    };
    let own_list = format!("/ob3/status/{}/revocation", id.to_did());
    let ours = entry.get("type").and_then(Value::as_str) == Some("BitstringStatusListEntry")
        && entry.get("statusPurpose").and_then(Value::as_str) == Some("revocation")
        && entry
            .get("statusListCredential")
            .and_then(Value::as_str)
            .is_some_and(|u| u.ends_with(&own_list));
    if !ours {
        return None;
    }
    let index = entry.get("statusListIndex")?.as_str()?.parse().ok()?;
    Some((id, Some(index)))
}

/// [`native_status`] on credential JSON bytes (bounded like verification).
pub fn native_status_json(bytes: &[u8]) -> Option<(IssuerId, Option<u32>)> {
    native_status(&crate::json::parse_bounded(bytes).ok()?)
}
