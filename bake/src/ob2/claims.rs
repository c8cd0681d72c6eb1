//! The OB 2.0 claims: Assertion, BadgeClass, Profile, IdentityObject and
//! VerificationObject, read from JSON into checked types.

use serde_json::{Map, Value};

use super::{CONTEXT_V2, Ob2Error};
use crate::Limits;

/// An OB 2.0 Assertion: who earned which badge, when, and how to check it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assertion {
    /// The assertion IRI (its hosted URL, or a `urn:uuid:` for signed badges).
    pub id: String,
    /// The deprecated `uid`, which old revocation lists name assertions by.
    pub uid: Option<String>,
    /// The recipient.
    pub recipient: IdentityObject,
    /// The badge: an IRI, or the embedded BadgeClass.
    pub badge: BadgeRef,
    /// How the assertion is verified.
    pub verification: Verification,
    /// When it was issued.
    pub issued_on: jiff::Timestamp,
    /// When it expires, if ever.
    pub expires: Option<jiff::Timestamp>,
    /// Whether the assertion itself says it is revoked.
    pub revoked: bool,
    /// Why it was revoked, if said.
    pub revocation_reason: Option<String>,
    /// The image IRI (or data URL), if any.
    pub image: Option<String>,
    /// The narrative, if any.
    pub narrative: Option<String>,
}

/// The badge an assertion is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadgeRef {
    /// A BadgeClass IRI (to be fetched; not done offline).
    Iri(String),
    /// An embedded BadgeClass.
    Embedded(Box<BadgeClass>),
}

/// An OB 2.0 BadgeClass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadgeClass {
    /// The BadgeClass IRI.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Its image IRI, if given.
    pub image: Option<String>,
    /// Its criteria IRI or narrative, if given.
    pub criteria: Option<String>,
    /// The issuer: an IRI or an embedded Profile.
    pub issuer: IssuerRef,
}

/// The issuer of a BadgeClass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuerRef {
    /// A Profile IRI.
    Iri(String),
    /// An embedded Profile.
    Embedded(Profile),
}

/// An OB 2.0 issuer Profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The Profile IRI.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its web site, if given.
    pub url: Option<String>,
    /// Its contact email, if given.
    pub email: Option<String>,
    /// The IRIs of its CryptographicKeys (`publicKey`), if any.
    pub public_keys: Vec<String>,
    /// Its revocation list IRI, if any.
    pub revocation_list: Option<String>,
    /// Where its hosted assertions may live (`verification` on the
    /// Profile): when absent, on the Profile id's own host.
    pub hosting: HostingPolicy,
}

/// An issuer's rule for where its hosted assertions may live (the
/// Profile's VerificationObject).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostingPolicy {
    /// `allowedOrigins`: host names (optionally with a port) an assertion
    /// id may be on. Empty means the Profile id's host.
    pub allowed_origins: Vec<String>,
    /// `startsWith`: URL prefixes an assertion id must begin with, if any.
    pub starts_with: Vec<String>,
}

/// An OB 2.0 IdentityObject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityObject {
    /// The identity: `sha256$hex`, `md5$hex`, or plaintext when not hashed.
    pub identity: String,
    /// The identity property, usually `email`.
    pub kind: String,
    /// Whether `identity` is a hash.
    pub hashed: bool,
    /// The salt appended before hashing, if any.
    pub salt: Option<String>,
}

/// How an assertion is verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Hosted or signed.
    pub kind: VerificationKind,
    /// For signed badges: the IRI of the signing CryptographicKey, if given.
    pub creator: Option<String>,
}

/// The OB 2.0 verification types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerificationKind {
    /// `hosted` / `HostedBadge`: the assertion lives at its `id` URL.
    Hosted,
    /// `signed` / `SignedBadge`: the assertion is the payload of a JWS.
    Signed,
}

/// Parses an OB 2.0 Assertion from JSON.
///
/// # Errors
///
/// An [`Ob2Error`] naming the first problem: not JSON, wrong context or
/// type, a missing or ill-typed required property, an unknown verification
/// type, or a date without a time zone.
pub fn parse(json: &str) -> Result<Assertion, Ob2Error> {
    let max = Limits::DEFAULT.max_text;
    if json.len() > max {
        return Err(Ob2Error::TooLarge {
            len: json.len(),
            max,
        });
    }
    let value: Value = serde_json::from_str(json).map_err(|e| Ob2Error::NotJson(e.to_string()))?;
    let obj = value
        .as_object()
        .ok_or(Ob2Error::NotAnObject("the assertion"))?;
    if !names(obj.get("@context"), CONTEXT_V2) {
        return Err(Ob2Error::Context);
    }
    if !names(obj.get("type"), "Assertion") {
        return Err(Ob2Error::NotAnAssertion);
    }
    Ok(Assertion {
        id: required_str(obj, "id")?,
        uid: optional_str(obj, "uid")?,
        recipient: identity(object(obj, "recipient")?)?,
        badge: match obj.get("badge") {
            Some(Value::String(iri)) => BadgeRef::Iri(iri.clone()),
            Some(Value::Object(class)) => BadgeRef::Embedded(Box::new(badge_class(class)?)),
            Some(_) => return Err(Ob2Error::Invalid("badge")),
            None => return Err(Ob2Error::Missing("badge")),
        },
        verification: verification(obj)?,
        issued_on: date(obj, "issuedOn")?.ok_or(Ob2Error::Missing("issuedOn"))?,
        expires: date(obj, "expires")?,
        revoked: match obj.get("revoked") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(Ob2Error::Invalid("revoked")),
        },
        revocation_reason: optional_str(obj, "revocationReason")?,
        image: iri_or_id(obj, "image")?,
        narrative: optional_str(obj, "narrative")?,
    })
}

/// A `@context` or `type` value that is `want` or an array containing it.
fn names(value: Option<&Value>, want: &str) -> bool {
    match value {
        Some(Value::String(s)) => s == want,
        Some(Value::Array(items)) => items.iter().any(|i| i.as_str() == Some(want)),
        _ => false,
    }
}

fn object<'a>(
    obj: &'a Map<String, Value>,
    key: &'static str,
) -> Result<&'a Map<String, Value>, Ob2Error> {
    match obj.get(key) {
        Some(Value::Object(o)) => Ok(o),
        Some(_) => Err(Ob2Error::Invalid(key)),
        None => Err(Ob2Error::Missing(key)),
    }
}

fn required_str(obj: &Map<String, Value>, key: &'static str) -> Result<String, Ob2Error> {
    optional_str(obj, key)?.ok_or(Ob2Error::Missing(key))
}

fn optional_str(obj: &Map<String, Value>, key: &'static str) -> Result<Option<String>, Ob2Error> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Ob2Error::Invalid(key)),
    }
}

/// An IRI, or an object whose `id` is one (Image, Criteria, CryptographicKey).
fn iri_or_id(obj: &Map<String, Value>, key: &'static str) -> Result<Option<String>, Ob2Error> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Object(o)) => optional_str(o, "id").map_err(|_| Ob2Error::Invalid(key)),
        Some(_) => Err(Ob2Error::Invalid(key)),
    }
}

fn date(obj: &Map<String, Value>, key: &'static str) -> Result<Option<jiff::Timestamp>, Ob2Error> {
    match optional_str(obj, key)? {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| Ob2Error::Date(key)),
    }
}

fn identity(obj: &Map<String, Value>) -> Result<IdentityObject, Ob2Error> {
    Ok(IdentityObject {
        identity: required_str(obj, "identity")?,
        kind: required_str(obj, "type")?,
        hashed: match obj.get("hashed") {
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(Ob2Error::Invalid("hashed")),
            None => return Err(Ob2Error::Missing("hashed")),
        },
        salt: optional_str(obj, "salt")?,
    })
}

fn verification(obj: &Map<String, Value>) -> Result<Verification, Ob2Error> {
    // `verify` is the OB 1.x name, still an alias in 2.0.
    let v = match (obj.get("verification"), obj.get("verify")) {
        (Some(Value::Object(v)), _) | (None, Some(Value::Object(v))) => v,
        (None, None) => return Err(Ob2Error::Missing("verification")),
        _ => return Err(Ob2Error::Invalid("verification")),
    };
    let kind = match required_str(v, "type")?.as_str() {
        "hosted" | "HostedBadge" => VerificationKind::Hosted,
        "signed" | "SignedBadge" => VerificationKind::Signed,
        other => {
            return Err(Ob2Error::UnknownVerification(
                other.chars().take(64).collect(),
            ));
        }
    };
    Ok(Verification {
        kind,
        creator: optional_str(v, "creator")?,
    })
}

fn badge_class(obj: &Map<String, Value>) -> Result<BadgeClass, Ob2Error> {
    Ok(BadgeClass {
        id: required_str(obj, "id")?,
        name: required_str(obj, "name")?,
        description: required_str(obj, "description")?,
        image: iri_or_id(obj, "image")?,
        criteria: match obj.get("criteria") {
            Some(Value::Object(c)) => optional_str(c, "narrative")?.or(optional_str(c, "id")?),
            _ => optional_str(obj, "criteria")?,
        },
        issuer: match obj.get("issuer") {
            Some(Value::String(iri)) => IssuerRef::Iri(iri.clone()),
            Some(Value::Object(p)) => IssuerRef::Embedded(profile(p)?),
            Some(_) => return Err(Ob2Error::Invalid("issuer")),
            None => return Err(Ob2Error::Missing("issuer")),
        },
    })
}

fn profile(obj: &Map<String, Value>) -> Result<Profile, Ob2Error> {
    let public_keys = match obj.get("publicKey") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| match i {
                Value::String(s) => Some(s.clone()),
                Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_owned),
                _ => None,
            })
            .collect(),
        Some(_) => iri_or_id(obj, "publicKey")?.into_iter().collect(),
    };
    Ok(Profile {
        id: required_str(obj, "id")?,
        name: required_str(obj, "name")?,
        url: optional_str(obj, "url")?,
        email: optional_str(obj, "email")?,
        public_keys,
        revocation_list: iri_or_id(obj, "revocationList")?,
        hosting: match obj.get("verification") {
            Some(Value::Object(v)) => HostingPolicy {
                allowed_origins: strings(v.get("allowedOrigins"), "allowedOrigins")?,
                starts_with: strings(v.get("startsWith"), "startsWith")?,
            },
            None | Some(Value::Null) => HostingPolicy::default(),
            Some(_) => return Err(Ob2Error::Invalid("verification")),
        },
    })
}

/// At most this many entries of a policy list are read.
const MAX_POLICY_ENTRIES: usize = 64;

/// A string or an array of strings (a policy list).
fn strings(value: Option<&Value>, key: &'static str) -> Result<Vec<String>, Ob2Error> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) if items.len() <= MAX_POLICY_ENTRIES => items
            .iter()
            .map(|i| i.as_str().map(str::to_owned).ok_or(Ob2Error::Invalid(key)))
            .collect(),
        Some(_) => Err(Ob2Error::Invalid(key)),
    }
}

/// Parses a BadgeClass fetched on its own (a hosted badge's `badge` IRI).
///
/// # Errors
///
/// An [`Ob2Error`] naming the first problem.
pub fn parse_badge_class(json: &str) -> Result<BadgeClass, Ob2Error> {
    let obj = document(json, &["BadgeClass"])?;
    badge_class(&obj)
}

/// Parses an issuer Profile fetched on its own (a BadgeClass's `issuer` IRI).
///
/// # Errors
///
/// An [`Ob2Error`] naming the first problem.
pub fn parse_profile(json: &str) -> Result<Profile, Ob2Error> {
    let obj = document(json, &["Issuer", "Profile"])?;
    profile(&obj)
}

/// A bounded JSON object whose `type` is one of `types` (the context is not
/// required of documents fetched on their own: issuers often omit it).
fn document(json: &str, types: &[&'static str]) -> Result<Map<String, Value>, Ob2Error> {
    let max = Limits::DEFAULT.max_text;
    if json.len() > max {
        return Err(Ob2Error::TooLarge {
            len: json.len(),
            max,
        });
    }
    let value: Value = serde_json::from_str(json).map_err(|e| Ob2Error::NotJson(e.to_string()))?;
    let Value::Object(obj) = value else {
        return Err(Ob2Error::NotAnObject(types[0]));
    };
    if !types.iter().any(|t| names(obj.get("type"), t)) {
        return Err(Ob2Error::Invalid("type"));
    }
    Ok(obj)
}
