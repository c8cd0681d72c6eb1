//! Hosted OB 2.0 assertions, checked against documents fetched from the
//! issuer's site.
//!
//! A hosted badge is genuine when the issuer's site serves it: the assertion
//! at its own `id`, its BadgeClass at the `badge` IRI, the issuer Profile at
//! the BadgeClass's `issuer` IRI, and the assertion's `id` on a host the
//! Profile allows (`verification.allowedOrigins` and `startsWith`, by default
//! the Profile id's own host). That is the OB 2.0 verification procedure
//! (and what 1EdTech's validator does). This module does no I/O: the caller
//! fetches (see the node's online mode) and hands the documents in with the
//! time each was fetched, so the same check runs offline later on what was
//! kept, and the verdict says "as fetched on ...".
//!
//! The hosted copy is authoritative: an issuer revokes a hosted badge by
//! marking the copy it serves `revoked` or by answering `410 Gone`. A badge
//! given to the verifier (baked in an image, say) that disagrees with the
//! hosted copy about whom, what or when is invalid.

use super::RevocationList;
use super::claims::{
    Assertion, BadgeClass, BadgeRef, HostingPolicy, IssuerRef, Profile, parse, parse_badge_class,
    parse_profile,
};

/// What the caller holds for one URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The document served there.
    Document {
        /// Its text.
        text: String,
        /// When it was fetched.
        fetched_at: jiff::Timestamp,
    },
    /// The server answered `410 Gone`: for a hosted assertion, the issuer's
    /// way of revoking it.
    Gone {
        /// When that answer came.
        fetched_at: jiff::Timestamp,
    },
}

impl Fetched {
    /// When it was fetched.
    pub fn fetched_at(&self) -> jiff::Timestamp {
        match self {
            Fetched::Document { fetched_at, .. } | Fetched::Gone { fetched_at } => *fetched_at,
        }
    }
}

/// Looks up what the caller holds for a URL.
#[derive(Clone, Copy)]
pub struct Documents<'a>(pub &'a dyn Fn(&str) -> Option<Fetched>);

impl std::fmt::Debug for Documents<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Documents(..)")
    }
}

/// A document a verdict rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Its URL.
    pub url: String,
    /// When it was fetched.
    pub fetched_at: jiff::Timestamp,
}

/// What resolving a hosted badge found.
#[derive(Debug, Default)]
pub(super) struct Resolved {
    /// The hosted copy of the assertion, when it was held and read.
    pub assertion: Option<Assertion>,
    /// The BadgeClass (embedded or fetched).
    pub badge: Option<BadgeClass>,
    /// The issuer Profile (embedded or fetched).
    pub issuer: Option<Profile>,
    /// The documents used.
    pub sources: Vec<Source>,
    /// URLs that would let the check go further if fetched.
    pub missing: Vec<String>,
    /// Failures that make the badge invalid.
    pub invalid: Vec<String>,
    /// What could not be decided.
    pub indeterminate: Vec<String>,
}

impl Resolved {
    /// The document at `url`, noted as a source or as missing.
    fn text(&mut self, url: &str, docs: Documents<'_>) -> Option<Result<String, ()>> {
        match (docs.0)(url) {
            None => {
                self.missing.push(url.to_owned());
                self.indeterminate
                    .push(format!(
                    "the issuer's hosted document {url} has not been fetched (verify online once: --online)"
                ));
                None
            }
            Some(f) => {
                self.sources.push(Source {
                    url: url.to_owned(),
                    fetched_at: f.fetched_at(),
                });
                match f {
                    Fetched::Document { text, .. } => Some(Ok(text)),
                    Fetched::Gone { .. } => Some(Err(())),
                }
            }
        }
    }
}

/// Follows a hosted assertion to its hosted copy, BadgeClass and Profile,
/// and checks the issuer's hosting policy.
pub(super) fn resolve(given: &Assertion, docs: Documents<'_>) -> Resolved {
    let mut r = Resolved::default();
    let id = given.id.as_str();
    if host_of(id).is_none() {
        r.invalid.push(format!(
            "a hosted assertion's id must be the http(s) URL it is served at, not {id:?}"
        ));
        return r;
    }
    let hosted = match r.text(id, docs) {
        None => return r,
        Some(Err(())) => {
            r.invalid.push(format!(
                "revoked: the issuer no longer serves the assertion ({id} answered 410 Gone)"
            ));
            return r;
        }
        Some(Ok(text)) => match parse(&text) {
            Ok(a) => a,
            Err(e) => {
                r.invalid.push(format!(
                    "the document served at {id} is not an assertion: {e}"
                ));
                return r;
            }
        },
    };
    if hosted.id != given.id {
        r.invalid.push(format!(
            "the assertion served at {id} has another id ({})",
            hosted.id
        ));
        return r;
    }
    if let Some(field) = disagreement(given, &hosted) {
        r.invalid.push(format!(
            "the badge differs from the one the issuer hosts at its id ({field})"
        ));
    }
    resolve_badge(&hosted.badge, docs, &mut r);
    if let Some(profile) = r.issuer.clone() {
        check_hosting(id, &profile, &mut r);
    }
    r.assertion = Some(hosted);
    r
}

/// Resolves the BadgeClass and its issuer Profile, embedded or fetched.
/// Used for signed badges too, whose claims often name both by IRI.
pub(super) fn resolve_badge(badge: &BadgeRef, docs: Documents<'_>, r: &mut Resolved) {
    let class = match badge {
        BadgeRef::Embedded(b) => (**b).clone(),
        BadgeRef::Iri(iri) => match r.text(iri, docs) {
            None => return,
            Some(Err(())) => {
                r.invalid
                    .push(format!("the BadgeClass {iri} is gone (410 Gone)"));
                return;
            }
            Some(Ok(text)) => match parse_badge_class(&text) {
                Ok(b) if b.id == *iri => b,
                Ok(b) => {
                    r.invalid.push(format!(
                        "the BadgeClass served at {iri} has another id ({})",
                        b.id
                    ));
                    return;
                }
                Err(e) => {
                    r.invalid
                        .push(format!("the document at {iri} is not a BadgeClass: {e}"));
                    return;
                }
            },
        },
    };
    let profile = match &class.issuer {
        IssuerRef::Embedded(p) => Some(p.clone()),
        IssuerRef::Iri(iri) => match r.text(iri, docs) {
            None => None,
            Some(Err(())) => {
                r.invalid
                    .push(format!("the issuer Profile {iri} is gone (410 Gone)"));
                None
            }
            Some(Ok(text)) => match parse_profile(&text) {
                Ok(p) if p.id == *iri => Some(p),
                Ok(p) => {
                    r.invalid.push(format!(
                        "the Profile served at {iri} has another id ({})",
                        p.id
                    ));
                    None
                }
                Err(e) => {
                    r.invalid.push(format!(
                        "the document at {iri} is not an issuer Profile: {e}"
                    ));
                    None
                }
            },
        },
    };
    r.badge = Some(class);
    r.issuer = profile;
}

/// The PEM of a signed badge's key (`verification.creator`), when the
/// issuer's hosted Profile lists it under `publicKey` and the key document
/// names that Profile as its `owner` (OB 2.0 verification, step 4: a key
/// in an embedded Profile is not to be trusted without the hosted one).
pub(super) fn issuer_key(
    creator: &str,
    badge: &BadgeRef,
    docs: Documents<'_>,
    r: &mut Resolved,
) -> Option<String> {
    let issuer_ref = match badge {
        BadgeRef::Embedded(b) => &b.issuer,
        BadgeRef::Iri(_) => &r.badge.as_ref()?.issuer,
    };
    let issuer = match issuer_ref {
        IssuerRef::Iri(i) => i.clone(),
        IssuerRef::Embedded(p) => p.id.clone(),
    };
    if host_of(&issuer).is_none() {
        r.indeterminate.push(format!(
            "the issuer {issuer} has no hosted Profile to say which keys are its own"
        ));
        return None;
    }
    let profile = match r.text(&issuer, docs)? {
        Ok(text) => match parse_profile(&text) {
            Ok(p) if p.id == issuer => p,
            _ => {
                r.invalid.push(format!(
                    "the document at {issuer} is not the issuer's Profile"
                ));
                return None;
            }
        },
        Err(()) => {
            r.invalid
                .push(format!("the issuer Profile {issuer} is gone (410 Gone)"));
            return None;
        }
    };
    r.issuer = Some(profile.clone());
    if !profile.public_keys.iter().any(|k| k == creator) {
        r.invalid.push(format!(
            "the issuer's hosted Profile {issuer} does not list the signing key {creator}"
        ));
        return None;
    }
    let text = match r.text(creator, docs)? {
        Ok(text) => text,
        Err(()) => {
            r.invalid
                .push(format!("revoked key: {creator} answered 410 Gone"));
            return None;
        }
    };
    let key: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let field = |k: &str| key.get(k).and_then(serde_json::Value::as_str);
    if field("id") != Some(creator) {
        r.invalid.push(format!(
            "the document at {creator} is not that CryptographicKey"
        ));
        return None;
    }
    if field("owner").is_some_and(|o| o != issuer) {
        r.invalid.push(format!(
            "the key {creator} belongs to {}, not the issuer {issuer}",
            field("owner").unwrap_or_default()
        ));
        return None;
    }
    let Some(pem) = field("publicKeyPem") else {
        r.invalid
            .push(format!("the key document {creator} has no publicKeyPem"));
        return None;
    };
    Some(pem.to_owned())
}

/// The issuer's `RevocationList` at `url`, if fetched and readable (a
/// signed badge's revocation check, online); otherwise noted as missing.
pub(super) fn revocation_list(
    url: &str,
    docs: Documents<'_>,
    r: &mut Resolved,
) -> Option<RevocationList> {
    match r.text(url, docs)? {
        Ok(text) => match RevocationList::parse(text.as_bytes()) {
            Ok(list) => Some(list),
            Err(e) => {
                r.indeterminate.push(format!(
                    "the document at {url} is not a RevocationList: {e}"
                ));
                None
            }
        },
        Err(()) => {
            r.indeterminate
                .push(format!("the revocation list {url} is gone (410 Gone)"));
            None
        }
    }
}

/// The first claim on which the given badge and the hosted copy disagree.
fn disagreement(given: &Assertion, hosted: &Assertion) -> Option<&'static str> {
    let badge_id = |b: &BadgeRef| match b {
        BadgeRef::Iri(i) => i.clone(),
        BadgeRef::Embedded(c) => c.id.clone(),
    };
    if given.recipient != hosted.recipient {
        Some("recipient")
    } else if badge_id(&given.badge) != badge_id(&hosted.badge) {
        Some("badge")
    } else if given.issued_on != hosted.issued_on {
        Some("issuedOn")
    } else if given.expires != hosted.expires {
        Some("expires")
    } else {
        None
    }
}

/// The issuer's hosting policy: the assertion id on an allowed host (by
/// default the Profile id's own), and under an allowed prefix if any.
fn check_hosting(id: &str, profile: &Profile, r: &mut Resolved) {
    let HostingPolicy {
        allowed_origins,
        starts_with,
    } = &profile.hosting;
    let Some((host, authority)) = host_of(id) else {
        return;
    };
    let allowed: Vec<String> = if allowed_origins.is_empty() {
        host_of(&profile.id)
            .map(|(_, a)| vec![a.to_owned()])
            .unwrap_or_default()
    } else {
        allowed_origins
            .iter()
            .map(|o| o.to_ascii_lowercase())
            .collect()
    };
    if !allowed.iter().any(|o| *o == host || *o == authority) {
        r.invalid.push(format!(
            "the assertion is hosted on {authority}, which the issuer {} does not allow (allowed: {})",
            profile.id,
            if allowed.is_empty() {
                "none".to_owned()
            } else {
                allowed.join(", ")
            }
        ));
    }
    if !starts_with.is_empty() && !starts_with.iter().any(|p| id.starts_with(p.as_str())) {
        r.invalid.push(format!(
            "the assertion id {id} does not start with any prefix the issuer allows ({})",
            starts_with.join(", ")
        ));
    }
}

/// The lower-case host and `host[:port]` of an http(s) URL.
fn host_of(url: &str) -> Option<(String, String)> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?.to_ascii_lowercase();
    if authority.is_empty() {
        return None;
    }
    let host = if authority.starts_with('[') {
        authority.split(']').next().map(|h| format!("{h}]"))?
    } else {
        authority.split(':').next()?.to_owned()
    };
    Some((host, authority))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_read_from_http_urls_only() {
        let h = |u: &str| host_of(u).map(|(h, a)| format!("{h}|{a}"));
        assert_eq!(
            h("https://Issuer.Example/a/1").as_deref(),
            Some("issuer.example|issuer.example")
        );
        assert_eq!(
            h("http://127.0.0.1:8080/x?y#z").as_deref(),
            Some("127.0.0.1|127.0.0.1:8080")
        );
        assert_eq!(
            h("https://u:p@evil.example@issuer.example/").as_deref(),
            Some("issuer.example|issuer.example")
        );
        assert_eq!(h("https://[::1]:9/").as_deref(), Some("[::1]|[::1]:9"));
        assert_eq!(h("urn:uuid:1234"), None);
        assert_eq!(h("https:///path"), None);
    }
}
