//! Matching an OB 2.0 recipient: `sha256$` + hex(SHA-256(identity ‖ salt)),
//! with email addresses trimmed and lower-cased first.

use sha2::{Digest as _, Sha256};

use super::IdentityObject;

/// The result of [`recipient_matches`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecipientMatch {
    /// The candidate is the recipient.
    Match,
    /// The candidate is not the recipient.
    Mismatch,
    /// The identity cannot be compared here (for instance an `md5$` hash).
    Unsupported(String),
}

/// Whether `candidate` (an email address for `type: email`) is the recipient.
///
/// Emails are compared trimmed and lower-cased; other identity types are
/// compared trimmed. A hashed identity must be `sha256$` followed by 64 hex
/// digits (either case).
pub fn recipient_matches(recipient: &IdentityObject, candidate: &str) -> RecipientMatch {
    let is_email = recipient.kind.eq_ignore_ascii_case("email");
    let normalise = |s: &str| {
        if is_email {
            s.trim().to_lowercase()
        } else {
            s.trim().to_owned()
        }
    };
    let candidate = normalise(candidate);
    if !recipient.hashed {
        return if normalise(&recipient.identity) == candidate {
            RecipientMatch::Match
        } else {
            RecipientMatch::Mismatch
        };
    }
    let Some((algorithm, digest)) = recipient.identity.split_once('$') else {
        return RecipientMatch::Unsupported("a hashed identity without an algorithm prefix".into());
    };
    if !algorithm.eq_ignore_ascii_case("sha256") {
        return RecipientMatch::Unsupported(format!(
            "identity hash algorithm `{}` is not supported",
            algorithm.chars().take(16).collect::<String>()
        ));
    }
    let Ok(expected) = hex::decode(digest.trim()) else {
        return RecipientMatch::Unsupported("the identity hash is not hex".into());
    };
    let mut hasher = Sha256::new();
    hasher.update(candidate.as_bytes());
    hasher.update(recipient.salt.as_deref().unwrap_or_default().as_bytes());
    if hasher.finalize().as_slice() == expected.as_slice() {
        RecipientMatch::Match
    } else {
        RecipientMatch::Mismatch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashed(identity: &str, salt: Option<&str>) -> IdentityObject {
        IdentityObject {
            identity: identity.into(),
            kind: "email".into(),
            hashed: true,
            salt: salt.map(Into::into),
        }
    }

    #[test]
    fn spec_vectors() {
        let r = hashed(
            "sha256$7a1a1b3f7d40552e4299180e346e3add12bf9a751a43d9c4ca4518febc2c60c6",
            None,
        );
        assert_eq!(recipient_matches(&r, "mayze"), RecipientMatch::Match);
        let r = hashed(
            "sha256$B5809D8A92F8858436D7E6B87C12EBC0AE1EAC4BAECC2C0B913AEE2C922EF399",
            Some("Kosher"),
        );
        assert_eq!(
            recipient_matches(&r, "  A@Example.com "),
            RecipientMatch::Match
        );
        assert_eq!(
            recipient_matches(&r, "b@example.com"),
            RecipientMatch::Mismatch
        );
    }

    #[test]
    fn plaintext_and_unsupported() {
        let r = IdentityObject {
            identity: "Alice@Example.org".into(),
            kind: "email".into(),
            hashed: false,
            salt: None,
        };
        assert_eq!(
            recipient_matches(&r, "alice@example.org"),
            RecipientMatch::Match
        );
        let r = hashed("md5$00", None);
        assert!(matches!(
            recipient_matches(&r, "x"),
            RecipientMatch::Unsupported(_)
        ));
        let r = hashed("sha256$zz", None);
        assert!(matches!(
            recipient_matches(&r, "x"),
            RecipientMatch::Unsupported(_)
        ));
    }
}
