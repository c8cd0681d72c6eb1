//! What clients send: the admin JSON bodies, query strings and path
//! segments, decoded into typed requests. The routes call these functions,
//! and so does the `api_requests` fuzz target, so that the fuzzer exercises
//! exactly what a request goes through before it reaches the issuer or the
//! state machine. Every failure is a 4xx [`ApiError`]; none panics.

use axum::Json;
use badgemesh_protocol::id::RecordId;
use badgemesh_protocol::keys::IssuerId;
use badgemesh_protocol::record::{
    Alignment, BadgeClass, Criteria, EMAIL_IDENTITY_TYPE, EndorsementSubject, Evidence,
    IdentityHash, ImageRef, IssuerProfile, Recipient,
};
use badgemesh_protocol::time::Timestamp;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::ApiError;
use crate::datadir;

/// Decodes a JSON body as the routes' `Json` extractor does once it has
/// checked the content type (the extractor calls this same
/// `Json::from_bytes`), with the same error mapping.
pub fn json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    Ok(Json::<T>::from_bytes(body)?.0)
}

/// Parses a record id given by a client; `field` names it in the error.
pub fn parse_id(field: &str, text: &str) -> Result<RecordId, ApiError> {
    text.parse()
        .map_err(|e| ApiError::bad_request("bad_id", format!("{field} {text}: {e}")))
}

/// Parses a DID path segment or query value.
pub fn parse_did(did: &str) -> Result<IssuerId, ApiError> {
    did.parse()
        .map_err(|e| ApiError::bad_request("bad_did", format!("{did}: {e}")))
}

/// Parses an RFC 3339 time given by a client.
pub fn parse_time(text: &str) -> Result<Timestamp, ApiError> {
    text.parse::<Timestamp>()
        .map_err(|e| ApiError::bad_request("bad_time", e.to_string()))
}

/// Profile fields (`issuer`, `profile`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileBody {
    name: String,
    url: Option<String>,
    email: Option<String>,
    description: Option<String>,
    image: Option<String>,
    public_base_url: Option<String>,
}

impl ProfileBody {
    /// The profile to sign; issuer, sequence and time are filled in when signing.
    pub fn into_profile(self) -> IssuerProfile {
        IssuerProfile {
            issuer: IssuerId::unset(),
            seq: 0,
            name: self.name,
            url: self.url,
            email: self.email,
            description: self.description,
            image: self.image,
            at: Timestamp(0),
            public_base_url: self.public_base_url,
        }
    }
}

/// A badge class to create (`badges`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BadgeBody {
    name: String,
    description: String,
    criteria: Option<String>,
    criteria_url: Option<String>,
    image: Option<String>,
    /// Hex sha2-256 of the image bytes.
    image_digest: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    alignments: Vec<AlignmentBody>,
    #[serde(default)]
    related: Vec<String>,
}

/// An alignment.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlignmentBody {
    target_name: String,
    target_url: String,
    target_description: Option<String>,
    target_framework: Option<String>,
    target_code: Option<String>,
}

impl BadgeBody {
    /// The badge class to sign; issuer and time are filled in when signing.
    pub fn into_badge(self) -> Result<BadgeClass, ApiError> {
        let digest = self
            .image_digest
            .as_deref()
            .map(|h| {
                hex_digest(h).ok_or_else(|| {
                    ApiError::bad_request("bad_digest", "image_digest must be 64 hex digits")
                })
            })
            .transpose()?;
        let related = self
            .related
            .iter()
            .map(|r| parse_id("related", r))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(BadgeClass {
            issuer: IssuerId::unset(),
            name: self.name,
            description: self.description,
            criteria: Criteria {
                narrative: self.criteria,
                url: self.criteria_url,
            },
            image: self.image.map(|uri| ImageRef { uri, digest }),
            alignments: self
                .alignments
                .into_iter()
                .map(|a| Alignment {
                    target_name: a.target_name,
                    target_url: a.target_url,
                    target_description: a.target_description,
                    target_framework: a.target_framework,
                    target_code: a.target_code,
                })
                .collect(),
            tags: self.tags,
            related,
            at: Timestamp(0),
        })
    }
}

/// 64 hex digits as 32 bytes.
fn hex_digest(h: &str) -> Option<[u8; 32]> {
    hex::decode(h).ok()?.try_into().ok()
}

/// An award to sign (`awards`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AwardBody {
    badge: String,
    /// An email address or a DID.
    recipient: String,
    #[serde(default)]
    evidence: Vec<String>,
    narrative: Option<String>,
    /// RFC 3339.
    expires: Option<String>,
}

/// A decoded award.
#[derive(Debug)]
pub struct AwardRequest {
    /// The badge class.
    pub badge: RecordId,
    /// Who earns it (an email is hashed with a fresh salt).
    pub recipient: Recipient,
    /// Until when it is valid.
    pub expires: Option<Timestamp>,
    /// Evidence URLs.
    pub evidence: Vec<Evidence>,
    /// Free text.
    pub narrative: Option<String>,
}

impl AwardBody {
    /// Checks and types the fields.
    pub fn into_request(self) -> Result<AwardRequest, ApiError> {
        Ok(AwardRequest {
            badge: parse_id("badge", &self.badge)?,
            expires: self.expires.as_deref().map(parse_time).transpose()?,
            evidence: self
                .evidence
                .into_iter()
                .map(|url| Evidence {
                    url: Some(url),
                    narrative: None,
                })
                .collect(),
            recipient: recipient_of(&self.recipient)?,
            narrative: self.narrative,
        })
    }
}

/// Whether `text` is a DID by the DID Core syntax: `did:`, a method name
/// (lower-case letters and digits), `:`, and a method-specific id of
/// letters, digits, `.`, `-`, `_`, `:` and `%XX`, not ending in `:`. An
/// earner's presentation is bound to the subject id exactly as written, so
/// a mistyped DID is refused when awarding rather than found out when the
/// earner's presentations are refused.
fn is_did(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("did:") else {
        return false;
    };
    let Some((method, id)) = rest.split_once(':') else {
        return false;
    };
    let bytes = id.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
                if !(hex(i + 1) && hex(i + 2)) {
                    return false;
                }
                i += 3;
            }
            b if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':') => i += 1,
            _ => return false,
        }
    }
    !method.is_empty()
        && method
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && !id.is_empty()
        && !id.ends_with(':')
}

/// Turns an email or DID into a recipient; emails are hashed with a fresh salt.
pub fn recipient_of(who: &str) -> Result<Recipient, ApiError> {
    let who = who.trim();
    if who.starts_with("did:") {
        if !is_did(who) {
            return Err(ApiError::bad_request(
                "bad_recipient",
                format!("{who:?} is not a DID (did:METHOD:ID, as in did:key:z6Mk...)"),
            ));
        }
        Ok(Recipient::Did(who.to_owned()))
    } else if who.contains('@') && !who.contains(char::is_whitespace) {
        let salt = hex::encode(datadir::random::<16>());
        Ok(Recipient::Hashed(IdentityHash::new(
            EMAIL_IDENTITY_TYPE,
            who,
            &salt,
        )))
    } else {
        Err(ApiError::bad_request(
            "bad_recipient",
            format!("{who:?} is neither an email address nor a DID"),
        ))
    }
}

/// An endorsement to sign (`endorsements`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndorseBody {
    /// `badge_class` (or `badge`), `issuer` or `assertion`.
    about: String,
    /// A badge class or assertion id, or an issuer's DID.
    target: String,
    #[serde(default)]
    comment: String,
    name: Option<String>,
    /// RFC 3339.
    valid_until: Option<String>,
}

/// A decoded endorsement request.
#[derive(Debug)]
pub struct EndorseRequest {
    /// What is endorsed.
    pub subject: EndorsementSubject,
    /// What the endorser says.
    pub comment: String,
    /// A name for the endorsement.
    pub name: Option<String>,
    /// Until when it holds.
    pub valid_until: Option<Timestamp>,
}

impl EndorseBody {
    /// Checks and types the fields.
    pub fn into_request(self) -> Result<EndorseRequest, ApiError> {
        let target = self.target.trim();
        let subject = match self.about.as_str() {
            "badge_class" | "badge" => EndorsementSubject::BadgeClass(parse_id("badge", target)?),
            "assertion" => EndorsementSubject::Assertion(parse_id("assertion", target)?),
            "issuer" => EndorsementSubject::Issuer(parse_did(target)?),
            other => {
                return Err(ApiError::bad_request(
                    "bad_subject",
                    format!("{other:?}: endorse a badge_class, an issuer or an assertion"),
                ));
            }
        };
        Ok(EndorseRequest {
            subject,
            comment: self.comment,
            name: self.name.filter(|n| !n.trim().is_empty()),
            valid_until: self.valid_until.as_deref().map(parse_time).transpose()?,
        })
    }
}

/// What to revoke: assertion and endorsement ids (stored on this node)
/// and/or raw indices (`revocations`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeBody {
    #[serde(default)]
    assertions: Vec<String>,
    #[serde(default)]
    endorsements: Vec<String>,
    #[serde(default)]
    indices: Vec<u32>,
    reason: Option<String>,
}

/// A decoded revocation; the route looks the assertions up.
#[derive(Debug)]
pub struct RevokeRequest {
    /// Assertions whose status indices to revoke.
    pub assertions: Vec<RecordId>,
    /// Endorsements (signed by this node's issuer) to withdraw.
    pub endorsements: Vec<RecordId>,
    /// Status indices to revoke.
    pub indices: Vec<u32>,
    /// Why, for every index.
    pub reason: Option<String>,
}

impl RevokeBody {
    /// Checks the ids.
    pub fn into_request(self) -> Result<RevokeRequest, ApiError> {
        Ok(RevokeRequest {
            assertions: self
                .assertions
                .iter()
                .map(|a| parse_id("assertion", a))
                .collect::<Result<_, _>>()?,
            endorsements: self
                .endorsements
                .iter()
                .map(|a| parse_id("endorsement", a))
                .collect::<Result<_, _>>()?,
            indices: self.indices,
            reason: self.reason,
        })
    }
}

/// Optional body of `rotate`: the exported next key, hex.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateBody {
    next_key: Option<String>,
}

/// Decodes the body of `rotate` (empty, or JSON whatever its content type):
/// the offline next key, if given.
pub fn rotate(body: &[u8]) -> Result<Option<[u8; 32]>, ApiError> {
    let b: RotateBody = if body.is_empty() {
        RotateBody::default()
    } else {
        serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request("bad_json", e.to_string()))?
    };
    b.next_key
        .as_deref()
        .map(|k| {
            hex_digest(k)
                .ok_or_else(|| ApiError::bad_request("bad_key", "next_key must be 64 hex digits"))
        })
        .transpose()
}

/// Which assertion to export as OB 3.0 (`ob3`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportBody {
    assertion: String,
    /// `jwt`: a VC-JWT instead of JSON with a Data Integrity proof.
    #[serde(default)]
    format: Option<String>,
}

impl ExportBody {
    /// The assertion's id.
    pub fn assertion(&self) -> Result<RecordId, ApiError> {
        parse_id("assertion", &self.assertion)
    }

    /// Whether a VC-JWT is asked for (`format` is `jwt`; absent or `json`
    /// is the JSON credential).
    pub fn jwt(&self) -> Result<bool, ApiError> {
        match self.format.as_deref() {
            None | Some("json") => Ok(false),
            Some("jwt") => Ok(true),
            Some(other) => Err(ApiError::bad_request(
                "bad_format",
                format!("format must be json or jwt, not {other:?}"),
            )),
        }
    }
}

/// Query parameters of `POST /v1/verify`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct VerifyQuery {
    /// Email or DID to match against the recipient.
    pub recipient: Option<String>,
    /// Verify as of this time (RFC 3339) instead of now.
    pub at: Option<String>,
    /// Revocation data older than this many seconds gives `indeterminate`.
    pub max_age: Option<i64>,
    /// An issuer no followed registry lists gives `indeterminate`, a
    /// de-listed one `invalid`.
    pub require_listed: Option<bool>,
    /// Fetch what the verification needs from issuers' sites first (only
    /// with the admin token, unless the node has `fetch = true`).
    pub online: Option<bool>,
    /// For a presentation: the challenge its proof must carry (the one
    /// this verifier gave the holder).
    pub challenge: Option<String>,
    /// For a presentation: the domain its proof must carry (this
    /// verifier's).
    pub domain: Option<String>,
}

impl VerifyQuery {
    /// The time to verify at, if one was given.
    pub fn at(&self) -> Result<Option<Timestamp>, ApiError> {
        self.at.as_deref().map(parse_time).transpose()
    }
}

/// Query of `GET /v1/export`: issuers to include (all when empty), comma
/// separated, one page of them (see [`super::paging`]).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ExportQuery {
    /// DIDs, comma separated.
    pub issuer: Option<String>,
    /// Start after this issuer.
    pub after: Option<String>,
    /// Issuers per page.
    pub limit: Option<usize>,
}

impl ExportQuery {
    /// The issuer to start after, if any.
    pub fn after(&self) -> Result<Option<IssuerId>, ApiError> {
        self.after.as_deref().map(parse_did).transpose()
    }

    /// Issuers per page.
    pub fn limit(&self) -> usize {
        super::paging::PageQuery {
            after: None,
            limit: self.limit,
        }
        .limit()
    }

    /// The issuers asked for; empty means all.
    pub fn issuers(&self) -> Result<Vec<IssuerId>, ApiError> {
        self.issuer
            .as_deref()
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .map(parse_did)
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()
            .map(Option::unwrap_or_default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code<T: std::fmt::Debug>(r: Result<T, ApiError>) -> &'static str {
        let e = r.expect_err("refused");
        assert!(e.status.is_client_error(), "{e:?}");
        e.code
    }

    #[test]
    fn bad_bodies_are_client_errors_with_stable_codes() {
        assert_eq!(code(json::<AwardBody>(b"{")), "bad_json");
        assert_eq!(
            code(json::<AwardBody>(
                br#"{"badge":"x","recipient":"a@b","extra":1}"#
            )),
            "bad_json"
        );
        let award =
            json::<AwardBody>(br#"{"badge":"bciqnotreal","recipient":"a@b"}"#).expect("json");
        assert_eq!(code(award.into_request()), "bad_id");
        let badge = json::<BadgeBody>(br#"{"name":"n","description":"d","image_digest":"zz"}"#)
            .expect("json");
        assert_eq!(code(badge.into_badge()), "bad_digest");
        assert_eq!(code(recipient_of("not an address")), "bad_recipient");
        for bad in [
            "did:",
            "did:key",
            "did:key:",
            "did:Key:z6Mk",
            "did:key:z6 Mk",
            "did:key:a%zz",
            "did:web:x:",
        ] {
            assert_eq!(code(recipient_of(bad)), "bad_recipient", "{bad}");
        }
        for good in [
            "did:key:z6MkpJySvETLnxhQG9DzEdmKJtysBDjuuTeDfUj1uNNCUqcj",
            "did:web:example.com:users:ada",
            "did:example:ebfeb1f712ebc6f1c276e12ec21",
            "did:web:localhost%3A8443",
        ] {
            assert!(
                matches!(recipient_of(good), Ok(Recipient::Did(d)) if d == good),
                "{good}"
            );
        }
        assert_eq!(code(rotate(br#"{"next_key":"00"}"#)), "bad_key");
        assert_eq!(code(rotate(b"[]")), "bad_json");
        assert_eq!(rotate(b"").expect("empty body"), None);
        let q = ExportQuery {
            issuer: Some(" , did:key:nope".into()),
            after: Some("nope".into()),
            limit: None,
        };
        assert_eq!(code(q.issuers()), "bad_did");
        assert_eq!(code(q.after()), "bad_did");
        let q = VerifyQuery {
            recipient: None,
            at: Some("yesterday".into()),
            max_age: None,
            require_listed: None,
            online: None,
            challenge: None,
            domain: None,
        };
        assert_eq!(code(q.at()), "bad_time");
    }
}
