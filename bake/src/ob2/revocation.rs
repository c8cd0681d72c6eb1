//! OB 2.0 revocation lists: the `RevocationList` an issuer Profile names in
//! `revocationList`, and the revocation check of a signed assertion.
//!
//! A signed badge carries no revocation flag the issuer can change later;
//! the issuer publishes a `RevocationList` whose `revokedAssertions` name
//! revoked assertions by `id` (a string, or an object with `id` and usually
//! `revocationReason`) or, for legacy badges, by `uid`. Verification step 7
//! of OB 2.0: the assertion must not be in it. The list is not signed: the
//! caller holds it as the operator gave it (like the issuer's key), and
//! says so with [`super::Ob2Options::revocation_list`].

use serde_json::Value;

use super::{Assertion, BadgeRef, CONTEXT_V2, IssuerRef, Ob2Error};

/// Largest revocation list read, in bytes.
pub const MAX_REVOCATION_LIST_BYTES: usize = 1024 * 1024;
/// Most `revokedAssertions` entries read; a longer list is refused whole,
/// since reading part of it could miss a revoked assertion.
pub const MAX_REVOKED_ASSERTIONS: usize = 100_000;

/// One revoked assertion, as the list names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedAssertion {
    /// The assertion's `id`, if the entry names one.
    pub id: Option<String>,
    /// The legacy `uid`, if the entry names one.
    pub uid: Option<String>,
    /// `revocationReason`, if given.
    pub reason: Option<String>,
}

/// An OB 2.0 `RevocationList`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationList {
    /// Its `id` (the URL the issuer Profile names).
    pub id: String,
    /// Its `issuer` (the Profile IRI), if given.
    pub issuer: Option<String>,
    /// The revoked assertions.
    pub revoked: Vec<RevokedAssertion>,
}

impl RevocationList {
    /// Reads a `RevocationList` document (JSON), bounded.
    ///
    /// # Errors
    ///
    /// [`Ob2Error`]: too large, not JSON, not a `RevocationList` (context,
    /// type, `id`, `revokedAssertions`), or more than
    /// [`MAX_REVOKED_ASSERTIONS`] entries ([`Ob2Error::Invalid`]).
    pub fn parse(json: &[u8]) -> Result<RevocationList, Ob2Error> {
        if json.len() > MAX_REVOCATION_LIST_BYTES {
            return Err(Ob2Error::TooLarge {
                len: json.len(),
                max: MAX_REVOCATION_LIST_BYTES,
            });
        }
        let value: Value =
            serde_json::from_slice(json).map_err(|e| Ob2Error::NotJson(e.to_string()))?;
        let obj = value
            .as_object()
            .ok_or(Ob2Error::NotAnObject("the revocation list"))?;
        let names = |key: &str, want: &str| match obj.get(key) {
            Some(Value::String(s)) => s == want,
            Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(want)),
            _ => false,
        };
        if !names("@context", CONTEXT_V2) {
            return Err(Ob2Error::Context);
        }
        if !names("type", "RevocationList") {
            return Err(Ob2Error::Invalid("type"));
        }
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        let id = text(obj.get("id")).ok_or(Ob2Error::Missing("id"))?;
        let entries = match obj.get("revokedAssertions") {
            None | Some(Value::Null) => &Vec::new(),
            Some(Value::Array(a)) if a.len() <= MAX_REVOKED_ASSERTIONS => a,
            Some(_) => return Err(Ob2Error::Invalid("revokedAssertions")),
        };
        let revoked = entries
            .iter()
            .filter_map(|e| match e {
                Value::String(id) => Some(RevokedAssertion {
                    id: Some(id.clone()),
                    uid: None,
                    reason: None,
                }),
                Value::Object(o) => {
                    let entry = RevokedAssertion {
                        id: text(o.get("id")),
                        uid: text(o.get("uid")),
                        reason: text(o.get("revocationReason")),
                    };
                    (entry.id.is_some() || entry.uid.is_some()).then_some(entry)
                }
                _ => None,
            })
            .collect();
        let issuer = match obj.get("issuer") {
            Some(Value::Object(o)) => text(o.get("id")),
            other => text(other),
        };
        Ok(RevocationList {
            id,
            issuer,
            revoked,
        })
    }

    /// The entry revoking `assertion` (by `id`, or by its legacy `uid`).
    pub fn find(&self, assertion: &Assertion) -> Option<&RevokedAssertion> {
        self.revoked.iter().find(|r| {
            r.id.as_deref() == Some(assertion.id.as_str())
                || (r.uid.is_some() && r.uid == assertion.uid)
        })
    }
}

/// What a signed assertion says about its issuer's revocation list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeclaredList {
    /// The embedded issuer Profile names this list.
    Url(String),
    /// The embedded issuer Profile declares no `revocationList`: there is
    /// nothing to check.
    None,
    /// The issuer Profile is not embedded (its IRI, when the BadgeClass is
    /// embedded): whether it declares a list cannot be read from the badge.
    Unknown(Option<String>),
}

/// The revocation list `assertion`'s issuer declares, as far as the badge
/// shows. For a signed badge the embedded Profile is the issuer's claim at
/// the time of issue, covered by the signature.
pub fn declared_revocation_list(assertion: &Assertion) -> DeclaredList {
    match &assertion.badge {
        BadgeRef::Embedded(class) => match &class.issuer {
            IssuerRef::Embedded(p) => match &p.revocation_list {
                Some(url) => DeclaredList::Url(url.clone()),
                None => DeclaredList::None,
            },
            IssuerRef::Iri(iri) => DeclaredList::Unknown(Some(iri.clone())),
        },
        BadgeRef::Iri(_) => DeclaredList::Unknown(None),
    }
}

/// How the revocation check of an assertion came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevocationCheck {
    /// Not a signed badge: hosted badges are revoked at their URL.
    NotApplicable,
    /// The issuer's Profile declares no revocation list.
    NoListDeclared,
    /// The issuer declares a list (or may: its Profile is not embedded) and
    /// the caller holds none: the status is unknown.
    NotHeld(DeclaredList),
    /// Not in the list with this `id`.
    NotRevoked {
        /// The list's `id`.
        list: String,
    },
    /// Revoked in the list with this `id`.
    Revoked {
        /// The list's `id`.
        list: String,
        /// `revocationReason`, if given.
        reason: Option<String>,
    },
}

impl RevocationCheck {
    /// The check in words, as [`super::verify`] reports it (a reason for
    /// `Revoked` and `NotHeld`, a note otherwise).
    pub fn detail(&self) -> String {
        match self {
            RevocationCheck::NotApplicable => {
                "hosted badges are revoked at their URL, which is not fetched".into()
            }
            RevocationCheck::NoListDeclared => {
                "the issuer's profile declares no revocationList: there is nothing to check".into()
            }
            RevocationCheck::NotHeld(DeclaredList::Url(url)) => {
                format!("the issuer's revocation list {url} is not held")
            }
            RevocationCheck::NotHeld(DeclaredList::Unknown(Some(iri))) => format!(
                "the issuer profile {iri} is not embedded in the badge and no revocation list of it is held, so its revocation status is unknown"
            ),
            RevocationCheck::NotHeld(_) => "the badge class and issuer profile are not embedded in the badge and no revocation list of the issuer is held, so its revocation status is unknown".into(),
            RevocationCheck::NotRevoked { list } => {
                format!("not revoked in the issuer's revocation list {list}")
            }
            RevocationCheck::Revoked { list, reason } => format!(
                "revoked in the issuer's revocation list {list} ({})",
                reason.as_deref().unwrap_or("no reason given")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The OB 2.0 specification's RevocationList example
    /// (`ob_v2p0/examples/index.md#RevocationList`), verbatim.
    const SPEC_EXAMPLE: &str = include_str!("../../tests/fixtures/ob2_revocation_list.json");

    #[test]
    fn the_specs_example_reads_with_ids_objects_and_uids() {
        let list = RevocationList::parse(SPEC_EXAMPLE.as_bytes()).expect("the spec's example");
        assert_eq!(list.id, "https://example.org/revocationList.json");
        assert_eq!(list.issuer.as_deref(), Some("https://example.org/issuer"));
        assert_eq!(list.revoked.len(), 3);
        assert_eq!(
            list.revoked[1].reason.as_deref(),
            Some("Honor code violation")
        );
        assert_eq!(list.revoked[2].uid.as_deref(), Some("abc123"));
        assert_eq!(list.revoked[2].id, None);
    }

    #[test]
    fn other_documents_and_oversized_lists_are_refused() {
        let not_a_list = SPEC_EXAMPLE.replace("\"RevocationList\"", "\"Issuer\"");
        assert_eq!(
            RevocationList::parse(not_a_list.as_bytes()),
            Err(Ob2Error::Invalid("type"))
        );
        let v3 = SPEC_EXAMPLE.replace("https://w3id.org/openbadges/v2", "https://example.org/v3");
        assert_eq!(RevocationList::parse(v3.as_bytes()), Err(Ob2Error::Context));
        let too_many = format!(
            r#"{{"@context": "https://w3id.org/openbadges/v2", "type": "RevocationList", "id": "https://x.example/l", "revokedAssertions": [{}]}}"#,
            vec!["\"a\""; MAX_REVOKED_ASSERTIONS + 1].join(",")
        );
        assert_eq!(
            RevocationList::parse(too_many.as_bytes()),
            Err(Ob2Error::Invalid("revokedAssertions"))
        );
        let huge = vec![b' '; MAX_REVOCATION_LIST_BYTES + 1];
        assert!(matches!(
            RevocationList::parse(&huge),
            Err(Ob2Error::TooLarge { .. })
        ));
        assert!(RevocationList::parse(b"\xff").is_err());
    }
}

#[cfg(test)]
mod proptests {
    use proptest::prelude::*;

    use super::*;
    use crate::ob2::parse;

    fn assertion(id: &str) -> Assertion {
        let json = serde_json::json!({
            "@context": CONTEXT_V2, "type": "Assertion", "id": id,
            "recipient": {"type": "email", "hashed": false, "identity": "a@example.org"},
            "badge": "https://example.org/b", "verification": {"type": "SignedBadge"},
            "issuedOn": "2020-01-01T00:00:00Z"
        });
        parse(&json.to_string()).expect("assertion")
    }

    proptest! {
        /// Every id a list names, as a string or an object, is found, and
        /// an id it does not name is not.
        #[test]
        fn listed_ids_are_found_and_others_not(
            ids in proptest::collection::btree_set("urn:uuid:[a-f0-9]{8}", 1..20),
            as_objects in any::<bool>(),
        ) {
            let entries: Vec<serde_json::Value> = ids
                .iter()
                .map(|id| if as_objects {
                    serde_json::json!({"id": id, "revocationReason": "r"})
                } else {
                    serde_json::json!(id)
                })
                .collect();
            let doc = serde_json::json!({"@context": CONTEXT_V2, "type": "RevocationList",
                "id": "https://x.example/l", "revokedAssertions": entries});
            let list = RevocationList::parse(doc.to_string().as_bytes()).expect("a list");
            for id in &ids {
                prop_assert!(list.find(&assertion(id)).is_some(), "{}", id);
            }
            prop_assert!(list.find(&assertion("urn:uuid:not-listed")).is_none());
        }

        /// Parsing outside bytes never panics.
        #[test]
        fn parsing_any_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = RevocationList::parse(&bytes);
        }
    }
}
