//! Assertions: the award of a badge class to one recipient.
//!
//! Assertions go to the earner and are not gossiped by default (who earned what
//! is private). The recipient is either a DID or an identity hashed with a salt
//! as Open Badges does for emails: `sha256$hex(sha256(identity || salt))`.

use minicbor::{Decode, Encode};
use sha2::{Digest, Sha256};

use super::check::{list, opt_long_text, opt_url, short_text};
use crate::id::RecordId;
use crate::keys::IssuerId;
use crate::limits::{MAX_STATUS_INDEX, MAX_URL};
use crate::time::Timestamp;

/// The Open Badges 3.0 identity type for email addresses.
pub const EMAIL_IDENTITY_TYPE: &str = "emailAddress";

/// A salted identity hash (OB IdentityObject with `hashed: true`).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct IdentityHash {
    /// OB 3.0 identifier type, `emailAddress` for emails.
    #[n(0)]
    pub identity_type: String,
    /// sha2-256 of the identity followed by the salt (UTF-8).
    #[cbor(n(1), with = "minicbor::bytes")]
    pub hash: [u8; 32],
    /// The salt.
    #[n(2)]
    pub salt: String,
}

impl IdentityHash {
    /// Hashes `identity` with `salt`. Emails are trimmed and lower-cased first,
    /// so `Ada@Example.org` and `ada@example.org` match.
    pub fn new(identity_type: &str, identity: &str, salt: &str) -> Self {
        IdentityHash {
            identity_type: identity_type.to_owned(),
            hash: salted(&normalize(identity_type, identity), salt),
            salt: salt.to_owned(),
        }
    }

    /// Whether `identity` is the hashed one.
    pub fn matches(&self, identity: &str) -> bool {
        salted(&normalize(&self.identity_type, identity), &self.salt) == self.hash
    }

    /// The Open Badges text form `sha256$<hex>`.
    pub fn to_ob_string(&self) -> String {
        format!("sha256${}", hex::encode(self.hash))
    }
}

fn normalize(identity_type: &str, identity: &str) -> String {
    if identity_type == EMAIL_IDENTITY_TYPE {
        identity.trim().to_lowercase()
    } else {
        identity.to_owned()
    }
}

fn salted(identity: &str, salt: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(identity.as_bytes());
    h.update(salt.as_bytes());
    h.finalize().into()
}

/// Who the badge was awarded to.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Recipient {
    /// A hashed identity, usually an email.
    #[n(0)]
    Hashed(#[n(0)] IdentityHash),
    /// A DID the earner controls.
    #[n(1)]
    Did(#[n(0)] String),
}

impl Recipient {
    /// Whether `identity` (an email or a DID) is this recipient.
    pub fn matches(&self, identity: &str) -> bool {
        match self {
            Recipient::Hashed(h) => h.matches(identity),
            Recipient::Did(did) => did == identity.trim(),
        }
    }
}

/// Evidence of the achievement.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, serde::Serialize)]
#[cbor(map)]
pub struct Evidence {
    /// Where the evidence is.
    #[n(0)]
    pub url: Option<String>,
    /// What it shows.
    #[n(1)]
    pub narrative: Option<String>,
}

/// An award of a badge class.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct Assertion {
    /// The issuer; must be the badge class's issuer.
    #[n(0)]
    pub issuer: IssuerId,
    /// The badge class awarded.
    #[n(1)]
    pub badge: RecordId,
    /// The earner.
    #[n(2)]
    pub recipient: Recipient,
    /// When it was issued; the signing key must be valid then.
    #[n(3)]
    pub issued_on: Timestamp,
    /// When it stops being valid.
    #[n(4)]
    pub expires: Option<Timestamp>,
    /// Evidence.
    #[n(5)]
    pub evidence: Vec<Evidence>,
    /// Why it was awarded.
    #[n(6)]
    pub narrative: Option<String>,
    /// Its bit in the issuer's revocation registry.
    #[n(7)]
    pub status_index: u32,
}

impl Assertion {
    pub(crate) fn check_shape(&self) -> Result<(), String> {
        match &self.recipient {
            Recipient::Hashed(h) => {
                short_text("identity type", &h.identity_type)?;
                short_text("salt", &h.salt)?;
            }
            Recipient::Did(did) => {
                short_text("recipient", did)?;
                if did.len() > MAX_URL || !did.starts_with("did:") {
                    return Err("recipient must be a DID".into());
                }
            }
        }
        if let Some(exp) = self.expires
            && exp <= self.issued_on
        {
            return Err("expiry must be after issuance".into());
        }
        list("evidence", &self.evidence)?;
        for e in &self.evidence {
            opt_url("evidence url", &e.url)?;
            opt_long_text("evidence narrative", &e.narrative)?;
        }
        opt_long_text("narrative", &self.narrative)?;
        if self.status_index > MAX_STATUS_INDEX {
            return Err(format!("status index above {MAX_STATUS_INDEX}"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_badges_identity_hash_vector() {
        // OB 3.0 CDM vector: sha256("a@example.comKosher").
        let h = IdentityHash::new(EMAIL_IDENTITY_TYPE, "a@example.com", "Kosher");
        assert!(h.to_ob_string().starts_with("sha256$b5809d8a"));
        assert!(h.to_ob_string().ends_with("f399"));
        assert!(h.matches(" A@Example.COM "));
        assert!(!h.matches("b@example.com"));
    }
}
