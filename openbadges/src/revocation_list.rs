//! 1EdTech's legacy revocation list (`1EdTechRevocationList`, VCRL 1.0),
//! read-only.
//!
//! OB 3.0 up to spec 1.2 let a credential say
//! `"credentialStatus": {"id": "<list URL>", "type": "1EdTechRevocationList"}`;
//! the document at that URL lists revoked credentials in
//! `revokedCredentials`, each an object whose `id` is a credential's `id`,
//! revoked unless it says `"revoked": false`, with an optional
//! `revocationReason` (as 1EdTech's validator reads it, `RevocationListProbe`).
//! Spec 1.3 deprecates the method for Bitstring Status Lists; badgemesh
//! reads such lists and never writes one. The list carries no proof: like an
//! OB 2.0 key, it is trusted as the operator gives it.

use serde_json::Value;

use crate::json::{JsonError, parse_bounded};

/// Most entries read from one list; a longer list is refused, since a
/// partial list could leave a revoked credential out.
pub const MAX_REVOKED_CREDENTIALS: usize = 100_000;

/// Why bytes are not a usable revocation list.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevocationListError {
    /// Not bounded JSON.
    #[error(transparent)]
    Json(#[from] JsonError),
    /// No `revokedCredentials` array.
    #[error("not a 1EdTech revocation list: no revokedCredentials array")]
    Shape,
    /// More than [`MAX_REVOKED_CREDENTIALS`] entries.
    #[error("the revocation list has {0} entries (at most {MAX_REVOKED_CREDENTIALS} are read)")]
    TooManyEntries(usize),
}

/// One revoked credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevokedCredential {
    /// The credential's `id`.
    pub id: String,
    /// Why, if the list says.
    pub reason: Option<String>,
}

/// A 1EdTech revocation list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OneEdTechRevocationList {
    /// Its `id`, if it has one.
    pub id: Option<String>,
    /// Its `issuer` (a string or an object's `id`), if given.
    pub issuer: Option<String>,
    /// The revoked credentials (entries with `"revoked": false` are left out).
    pub revoked: Vec<RevokedCredential>,
}

impl OneEdTechRevocationList {
    /// Reads a list from JSON bytes, bounded.
    pub fn parse(bytes: &[u8]) -> Result<OneEdTechRevocationList, RevocationListError> {
        let doc = parse_bounded(bytes)?;
        let entries = doc
            .get("revokedCredentials")
            .and_then(Value::as_array)
            .ok_or(RevocationListError::Shape)?;
        if entries.len() > MAX_REVOKED_CREDENTIALS {
            return Err(RevocationListError::TooManyEntries(entries.len()));
        }
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        let revoked = entries
            .iter()
            .filter_map(|e| match e {
                Value::String(id) => Some(RevokedCredential {
                    id: id.clone(),
                    reason: None,
                }),
                Value::Object(o) if o.get("revoked") != Some(&Value::Bool(false)) => {
                    Some(RevokedCredential {
                        id: text(o.get("id"))?,
                        reason: text(o.get("revocationReason")),
                    })
                }
                _ => None,
            })
            .collect();
        let issuer = match doc.get("issuer") {
            Some(Value::Object(o)) => text(o.get("id")),
            other => text(other),
        };
        Ok(OneEdTechRevocationList {
            id: text(doc.get("id")),
            issuer,
            revoked,
        })
    }

    /// The entry revoking the credential `credential_id`, if there is one.
    pub fn find(&self, credential_id: &str) -> Option<&RevokedCredential> {
        self.revoked.iter().find(|r| r.id == credential_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_revoked_unless_they_say_otherwise() {
        let list = OneEdTechRevocationList::parse(
            br#"{"id": "https://example.edu/revocations", "issuer": {"id": "https://example.edu/issuers/565049"},
                "revokedCredentials": [
                  {"id": "urn:uuid:1", "revocationReason": "Issued in error"},
                  {"id": "urn:uuid:2", "revoked": true},
                  {"id": "urn:uuid:3", "revoked": false},
                  "urn:uuid:4", 7, {"revoked": true}
                ]}"#,
        )
        .expect("a list");
        assert_eq!(
            list.issuer.as_deref(),
            Some("https://example.edu/issuers/565049")
        );
        assert_eq!(
            list.find("urn:uuid:1").and_then(|r| r.reason.as_deref()),
            Some("Issued in error")
        );
        assert!(list.find("urn:uuid:2").is_some());
        assert!(list.find("urn:uuid:3").is_none());
        assert!(list.find("urn:uuid:4").is_some());
        assert_eq!(list.revoked.len(), 3);
    }

    #[test]
    fn other_documents_and_oversized_lists_are_refused() {
        assert_eq!(
            OneEdTechRevocationList::parse(br#"{"revokedAssertions": []}"#),
            Err(RevocationListError::Shape)
        );
        assert!(OneEdTechRevocationList::parse(b"[").is_err());
        let big = format!(
            r#"{{"revokedCredentials": [{}]}}"#,
            vec!["1"; MAX_REVOKED_CREDENTIALS + 1].join(",")
        );
        assert_eq!(
            OneEdTechRevocationList::parse(big.as_bytes()),
            Err(RevocationListError::TooManyEntries(
                MAX_REVOKED_CREDENTIALS + 1
            ))
        );
    }
}
