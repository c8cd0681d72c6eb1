//! Open Badges 3.0 credentials as VC-JWTs: a compact JWS whose signature is
//! the proof (OB 3.0 §8.2, the format whose minimum algorithm is RS256).
//!
//! Three payload forms exist and all are read:
//!
//! - **VC 1.1 JWT**: the credential is the `vc` claim, and the registered
//!   claims stand for its properties (`iss` = `issuer`, `sub` =
//!   `credentialSubject.id`, `nbf` = `issuanceDate`/`validFrom`, `exp` =
//!   `expirationDate`/`validUntil`, `jti` = `id`). A property the credential
//!   leaves out is taken from its claim, as VC 1.1 decoding says.
//! - **VC-JOSE** (`typ` `vc+jwt`, VC 2.0): the payload is the credential.
//! - **OB 3.0 §8.2** (`typ` `JWT` or none): the payload is the credential
//!   with the claims added beside its properties.
//!
//! In every form a claim that is present must match the property it stands
//! for, or the credential is invalid (OB 3.0 "Verify a Credential VC-JWT
//! Signature"). A claim that is absent is not required: 1EdTech's
//! validator checks none of them, and the credential's own properties are
//! checked by the shape and date checks every credential gets
//! ([`crate::credential`]).
//!
//! The key comes from `kid` (a did:key, or a DID URL resolved in a held DID
//! document; a bare `kid` such as `#key-1` is relative to the `iss` DID),
//! and its controller must be the issuer. Failing that, from an embedded
//! `jwk` header: bound to the issuer when it is one of the issuer's keys
//! (its did:key, or an assertion method of its held DID document, which is
//! how openbadgeslib issues), else bound to nobody, since whoever made the
//! token chose it. 1EdTech's validator accepts an unbound one (it verifies
//! the signature with the `jwk` and checks nothing else), and so does this
//! module for badges, saying so in the proof check's detail; documents
//! whose worth is their issuer's word (status lists,
//! [`verify_jwt_document`]) need a bound key. Algorithms: RS256, ES256,
//! ES384, EdDSA; `none` and HMAC are invalid, other algorithms unsupported
//! (indeterminate). Signatures are checked by [`crate::keys`].
//!
//! Every input is bounded ([`MAX_JWT_CHARS`], header and signature sizes,
//! and the payload goes through [`crate::json::parse_bounded`]), and no
//! input makes these functions panic.

use badgemesh_protocol::keys::SecretKey;
use badgemesh_protocol::time::Timestamp;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use crate::credential::{CredentialError, Verdict, VerifyOptions, assess};
use crate::did::{DidLookup, resolve_did_key};
use crate::json::parse_bounded;
use crate::keys::{KeyType, VerificationKey};
use crate::proof::ProofOutcome;

pub use crate::limits::MAX_JWT_CHARS;

/// Longest JOSE header accepted, decoded (an RSA `jwk` of 8192 bits is
/// about 1.5 KiB).
const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Longest signature accepted, decoded (RSA 8192 bits).
const MAX_SIGNATURE_BYTES: usize = 1024;

/// Why a text is not a JWT this module can read.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwtError {
    /// Longer than [`MAX_JWT_CHARS`].
    #[error("the JWT is longer than {MAX_JWT_CHARS} characters")]
    TooLarge,
    /// Not three base64url parts separated by dots.
    #[error("not a compact JWS (three base64url parts separated by dots)")]
    NotCompact,
    /// The header does not decode to a JSON object of a bounded size.
    #[error("the JOSE header is not a JSON object: {0}")]
    Header(String),
    /// The payload does not decode to a bounded JSON object.
    #[error("the JWT payload is not a JSON object: {0}")]
    Payload(String),
    /// The signature part is not base64url or is too long.
    #[error("the JWS signature is not base64url of a signature")]
    Signature,
    /// A credential to sign lacks what the claims need (an issuer, a
    /// `validFrom`), or an entry is not what it should be.
    #[error("cannot sign: {0}")]
    Sign(String),
}

impl From<JwtError> for CredentialError {
    fn from(e: JwtError) -> Self {
        CredentialError::Jwt(e)
    }
}

/// Which payload form a token has (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtForm {
    /// The credential is the `vc` claim (VC 1.1).
    VcClaim,
    /// The payload is the credential (VC-JOSE `vc+jwt`, or OB 3.0 §8.2).
    Credential,
}

/// A compact JWS taken apart, before any check.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedJwt {
    /// The JOSE header.
    pub header: Map<String, Value>,
    /// The payload (the JWT claims set).
    pub payload: Map<String, Value>,
    /// Where the credential is in the payload.
    pub form: JwtForm,
    signing_input: String,
    signature: Vec<u8>,
}

impl DecodedJwt {
    /// The credential the token carries: its `vc` claim (VC 1.1), or the
    /// payload itself (VC-JOSE, OB 3.0 §8.2). Empty when a `vc` claim is not
    /// an object.
    pub fn credential(&self) -> Map<String, Value> {
        match self.form {
            JwtForm::VcClaim => self
                .payload
                .get("vc")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default(),
            JwtForm::Credential => self.payload.clone(),
        }
    }
}

/// Whether `text` has the form of a compact JWS (three base64url parts, the
/// first starting with `eyJ`, the encoding of `{"`): how a caller tells a
/// VC-JWT from a JSON credential before choosing the verifier. It does not
/// decode anything.
pub fn looks_like_jwt(text: &str) -> bool {
    let text = text.trim();
    if text.len() > MAX_JWT_CHARS || !text.starts_with("eyJ") {
        return false;
    }
    let mut parts = text.split('.');
    let b64 = |p: Option<&str>| {
        p.is_some_and(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
    };
    b64(parts.next()) && b64(parts.next()) && b64(parts.next()) && parts.next().is_none()
}

/// Takes a compact JWS apart (RFC 7515 §7.1), bounded; checks nothing.
pub fn decode(token: &str) -> Result<DecodedJwt, JwtError> {
    let token = token.trim();
    if token.len() > MAX_JWT_CHARS {
        return Err(JwtError::TooLarge);
    }
    if !looks_like_jwt(token) {
        return Err(JwtError::NotCompact);
    }
    let mut parts = token.splitn(3, '.');
    let (Some(h), Some(p), Some(s)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(JwtError::NotCompact);
    };
    if h.len() > MAX_HEADER_BYTES / 3 * 4 + 4 {
        return Err(JwtError::Header("too large".into()));
    }
    if s.len() > MAX_SIGNATURE_BYTES / 3 * 4 + 4 {
        return Err(JwtError::Signature);
    }
    let header_bytes = URL_SAFE_NO_PAD
        .decode(h)
        .map_err(|e| JwtError::Header(e.to_string()))?;
    let header = parse_bounded(&header_bytes).map_err(|e| JwtError::Header(e.to_string()))?;
    let payload_bytes = URL_SAFE_NO_PAD
        .decode(p)
        .map_err(|e| JwtError::Payload(e.to_string()))?;
    let payload = parse_bounded(&payload_bytes).map_err(|e| JwtError::Payload(e.to_string()))?;
    let signature = URL_SAFE_NO_PAD.decode(s).map_err(|_| JwtError::Signature)?;
    let form = if payload.get("vc").is_some_and(Value::is_object) {
        JwtForm::VcClaim
    } else {
        JwtForm::Credential
    };
    Ok(DecodedJwt {
        header,
        payload,
        form,
        signing_input: format!("{h}.{p}"),
        signature,
    })
}

/// Verifies an OB 3.0 credential given as a VC-JWT at time `now`: the JWS
/// signature and its key's binding to the issuer, the claims against the
/// credential, then the checks every credential gets (shape, dates,
/// recipient; `credentialStatus` entries are returned for the caller, as
/// for JSON credentials). `cryptosuite` in the verdict reads `VC-JWT RS256`
/// (or `ES256`, `ES384`, `EdDSA`).
///
/// `Err` when the text is not a readable JWT (not compact, not base64url,
/// not JSON, too large), when the caller cancelled, or when the credential
/// has too many status entries; a token that reads but fails a check is
/// `Ok` with an invalid or indeterminate verdict.
pub fn verify_jwt_credential(
    token: &str,
    now: Timestamp,
    options: &VerifyOptions<'_>,
) -> Result<Verdict, CredentialError> {
    let jwt = decode(token)?;
    if options
        .cancel
        .is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
    {
        return Err(CredentialError::Cancelled);
    }
    let (credential, claim_problems) = credential_of(&jwt);
    assess(&credential, now, options, |issuer| {
        let mut checked = 0;
        let outcome = check_jws(&jwt, issuer, &claim_problems, options, false, &mut checked);
        Ok((outcome, checked))
    })
}

/// A credential other than a badge given as a VC-JWT (a status list
/// credential): the credential, with the claims folded in as for badges,
/// and the proof check of the token. Unlike a badge's, the check passes only
/// when the key is bound to the credential's issuer: named by `kid`, or an
/// embedded `jwk` that is one of the issuer's keys (its did:key, or an
/// assertion method of its DID document held in `dids`), since such a
/// document is worth only what its issuer's signature makes it.
///
/// `Err` when the text is not a readable JWT.
pub fn verify_jwt_document(
    token: &str,
    dids: Option<DidLookup<'_>>,
) -> Result<(Map<String, Value>, ProofOutcome), JwtError> {
    let jwt = decode(token)?;
    let (credential, claim_problems) = credential_of(&jwt);
    let issuer = match credential.get("issuer") {
        Some(Value::String(s)) => Some(s.as_str()),
        Some(Value::Object(o)) => o.get("id").and_then(Value::as_str),
        _ => None,
    };
    let outcome = match issuer {
        Some(issuer) => {
            let options = VerifyOptions {
                dids,
                ..VerifyOptions::default()
            };
            check_jws(&jwt, issuer, &claim_problems, &options, true, &mut 0)
        }
        None => ProofOutcome::Invalid("the credential names no issuer".into()),
    };
    Ok((credential, outcome))
}

/// The credential of a token, with the claims folded in (VC 1.1 decoding:
/// a claim sets a property the credential leaves out) and every claim that
/// contradicts its property.
fn credential_of(jwt: &DecodedJwt) -> (Map<String, Value>, Vec<String>) {
    let mut credential = match jwt.form {
        JwtForm::VcClaim => jwt
            .payload
            .get("vc")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        JwtForm::Credential => jwt.payload.clone(),
    };
    let fill = jwt.form == JwtForm::VcClaim;
    let v1 = credential
        .get("@context")
        .and_then(Value::as_array)
        .and_then(|c| c.first())
        .and_then(Value::as_str)
        == Some(crate::contexts::CREDENTIALS_V1);
    let (from_key, until_key) = if v1 {
        ("issuanceDate", "expirationDate")
    } else {
        ("validFrom", "validUntil")
    };
    let mut problems = Vec::new();
    let claim = |k: &str| jwt.payload.get(k);

    // iss: issuer (a string or an object's id).
    if let Some(iss) = claim("iss") {
        match (iss.as_str(), credential.get("issuer")) {
            (None, _) => problems.push("the iss claim is not text".to_owned()),
            (Some(iss), None) if fill => {
                credential.insert("issuer".into(), iss.into());
            }
            (Some(iss), issuer) => {
                let id = match issuer {
                    Some(Value::String(s)) => Some(s.as_str()),
                    Some(Value::Object(o)) => o.get("id").and_then(Value::as_str),
                    _ => None,
                };
                if id != Some(iss) {
                    problems.push(format!("the iss claim {iss:?} is not the issuer's id"));
                }
            }
        }
    }
    // jti: id.
    if let Some(jti) = claim("jti") {
        match (jti.as_str(), credential.get("id")) {
            (None, _) => problems.push("the jti claim is not text".to_owned()),
            (Some(jti), None) if fill => {
                credential.insert("id".into(), jti.into());
            }
            (Some(jti), id) => {
                if id.and_then(Value::as_str) != Some(jti) {
                    problems.push(format!("the jti claim {jti:?} is not the credential's id"));
                }
            }
        }
    }
    // sub: credentialSubject.id.
    if let Some(sub) = claim("sub") {
        match (sub.as_str(), credential.get_mut("credentialSubject")) {
            (None, _) => problems.push("the sub claim is not text".to_owned()),
            (Some(sub), Some(Value::Object(subject))) => match subject.get("id") {
                None if fill => {
                    subject.insert("id".into(), sub.into());
                }
                id => {
                    if id.and_then(Value::as_str) != Some(sub) {
                        problems.push(format!(
                            "the sub claim {sub:?} is not the credential subject's id"
                        ));
                    }
                }
            },
            (Some(_), _) => {
                problems.push("the sub claim names a subject the credential lacks".to_owned());
            }
        }
    }
    // nbf and exp: the dates, to the second (NumericDate has no zone and
    // usually no fraction).
    for (name, key) in [("nbf", from_key), ("exp", until_key)] {
        let Some(value) = claim(name) else { continue };
        let Some(secs) = numeric_date(value) else {
            problems.push(format!("the {name} claim is not a NumericDate"));
            continue;
        };
        match credential.get(key) {
            None if fill || name == "exp" => {
                // VC 1.1 decoding, and OB 3.0: exp "MUST be used to set" validUntil.
                credential.insert(key.into(), Timestamp(secs).to_string().into());
            }
            Some(Value::String(date)) => match date.parse::<Timestamp>() {
                Ok(t) if t.0 == secs => {}
                _ => problems.push(format!(
                    "the {name} claim ({}) is not the credential's {key} ({date})",
                    Timestamp(secs)
                )),
            },
            _ => problems.push(format!("the {name} claim has no matching {key}")),
        }
    }
    (credential, problems)
}

/// A NumericDate (RFC 7519: seconds, possibly with a fraction) within a
/// sane range, truncated to seconds.
fn numeric_date(v: &Value) -> Option<i64> {
    if let Some(i) = v.as_i64() {
        return (i.unsigned_abs() < 1 << 40).then_some(i);
    }
    let f = v.as_f64()?;
    // Within about 35,000 years of 1970: an exact truncation to i64.
    #[allow(clippy::cast_possible_truncation)]
    (f.is_finite() && f.abs() < (1u64 << 40) as f64).then(|| f.trunc() as i64)
}

/// The JWS algorithms verified, and the key type each needs.
fn algorithm_key(alg: &str) -> Option<KeyType> {
    match alg {
        "RS256" => Some(KeyType::Rsa),
        "ES256" => Some(KeyType::P256),
        "ES384" => Some(KeyType::P384),
        "EdDSA" | "Ed25519" => Some(KeyType::Ed25519),
        _ => None,
    }
}

/// Where the key came from.
struct FoundKey {
    key: VerificationKey,
    /// The key's controller, when the key came from a DID; `None` for an
    /// embedded `jwk`.
    controller: Option<String>,
    /// How the key was named, for the verdict.
    method: String,
}

/// The signature, the key and its binding, and the claims: the proof check
/// of a VC-JWT. `checked` counts the signature once it is checked.
fn check_jws(
    jwt: &DecodedJwt,
    issuer: &str,
    claim_problems: &[String],
    options: &VerifyOptions<'_>,
    require_bound: bool,
    checked: &mut usize,
) -> ProofOutcome {
    let header = &jwt.header;
    let Some(alg) = header.get("alg").and_then(Value::as_str) else {
        return ProofOutcome::Invalid("the JOSE header has no alg".into());
    };
    if alg == "none" {
        return ProofOutcome::Invalid("alg \"none\": the token is not signed".into());
    }
    if alg.starts_with("HS") {
        return ProofOutcome::Invalid(format!(
            "alg {alg:?} is a shared-secret MAC, which proves nothing about an issuer"
        ));
    }
    if header.contains_key("crit") {
        return ProofOutcome::Invalid(
            "the JOSE header names critical extensions (crit) this verifier does not implement"
                .into(),
        );
    }
    if let Some(typ) = header.get("typ") {
        let typ = typ.as_str().unwrap_or_default();
        let known = [
            "JWT",
            "jwt",
            "vc+jwt",
            "application/vc+jwt",
            "vc+ld+jwt",
            "application/vc+ld+jwt",
        ];
        if !known.contains(&typ) {
            return ProofOutcome::Unsupported(format!(
                "JOSE typ {typ:?} is not a VC-JWT type this verifier reads"
            ));
        }
    }
    let Some(wanted) = algorithm_key(alg) else {
        return ProofOutcome::Unsupported(format!(
            "JWS algorithm {alg:?} is not verified here (RS256, ES256, ES384 and EdDSA are)"
        ));
    };
    let found = match find_key(jwt, issuer, options) {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    if found.key.key_type() != wanted {
        return ProofOutcome::Invalid(format!(
            "alg {alg} needs a {wanted} key, and {} is a {} key",
            found.method,
            found.key.key_type()
        ));
    }
    *checked += 1;
    if !found
        .key
        .verify(jwt.signing_input.as_bytes(), &jwt.signature)
    {
        return ProofOutcome::Invalid("JWS signature does not verify".into());
    }
    if let Some(controller) = &found.controller
        && controller != issuer
    {
        return ProofOutcome::Invalid(format!(
            "key controller {controller} is not the issuer {issuer}"
        ));
    }
    if let Some(problem) = claim_problems.first() {
        return ProofOutcome::Invalid(problem.clone());
    }
    if require_bound && found.controller.is_none() {
        let known =
            issuer.starts_with("did:key:") || options.dids.and_then(|f| f(issuer)).is_some();
        return if known {
            ProofOutcome::Invalid(format!(
                "{} is not one of the keys of the issuer {issuer}",
                found.method
            ))
        } else {
            ProofOutcome::Unsupported(format!(
                "{} is bound to no issuer, and no DID document of the issuer {issuer} is held to bind it",
                found.method
            ))
        };
    }
    let verification_method = if found.controller.is_some() {
        found.method
    } else {
        format!(
            "{} (a key the token carries itself: it binds the signature to no issuer; \
             1EdTech's validator accepts it)",
            found.method
        )
    };
    ProofOutcome::Verified {
        cryptosuite: format!("VC-JWT {alg}"),
        legacy: false,
        verification_method,
        created: None,
    }
}

/// The key named by `kid`, else the embedded `jwk`. An outcome when there is
/// none: invalid for a malformed one, unsupported for one that cannot be
/// resolved offline.
fn find_key(
    jwt: &DecodedJwt,
    issuer: &str,
    options: &VerifyOptions<'_>,
) -> Result<FoundKey, ProofOutcome> {
    let header = &jwt.header;
    let kid = header.get("kid").and_then(Value::as_str);
    let jwk = header.get("jwk");
    let mut unresolved = None;
    if let Some(kid) = kid {
        match key_of_kid(kid, jwt, options) {
            Ok(found) => return Ok(found),
            Err(outcome @ ProofOutcome::Invalid(_)) => return Err(outcome),
            Err(outcome) => unresolved = Some(outcome),
        }
    }
    match jwk {
        Some(Value::Object(jwk)) => {
            if jwk.contains_key("d") {
                return Err(ProofOutcome::Invalid(
                    "the embedded jwk holds a private key (d)".into(),
                ));
            }
            match VerificationKey::from_jwk(jwk) {
                Ok(key) => Ok(match issuer_method_of(&key, issuer, options) {
                    Some(method) => FoundKey {
                        key,
                        controller: Some(issuer.to_owned()),
                        method: format!("the embedded jwk, which is the issuer's {method}"),
                    },
                    None => FoundKey {
                        key,
                        controller: None,
                        method: "the embedded jwk".into(),
                    },
                }),
                Err(crate::keys::KeyError::UnsupportedJwk(t)) => Err(ProofOutcome::Unsupported(
                    format!("the embedded jwk is a {t} key, which is not verified here"),
                )),
                Err(e) => Err(ProofOutcome::Invalid(format!("the embedded jwk: {e}"))),
            }
        }
        Some(_) => Err(ProofOutcome::Invalid(
            "the jwk header is not an object".into(),
        )),
        None => Err(unresolved.unwrap_or_else(|| {
            ProofOutcome::Invalid("the JOSE header has neither kid nor jwk".into())
        })),
    }
}

/// The issuer's verification method whose key is `key`: the issuer's own
/// did:key, or an assertion method of its held DID document. This binds an
/// embedded `jwk` to the issuer as a `kid` would (openbadgeslib signs with a
/// `jwk` header and publishes the same key in its did:web document).
fn issuer_method_of(
    key: &VerificationKey,
    issuer: &str,
    options: &VerifyOptions<'_>,
) -> Option<String> {
    if issuer.starts_with("did:key:") {
        let (_, own) = resolve_did_key(issuer).ok()?;
        return (own == *key).then(|| issuer.to_owned());
    }
    if !issuer.starts_with("did:") || issuer.contains('#') {
        return None;
    }
    let document = options.dids.and_then(|find| find(issuer))?;
    document
        .methods
        .iter()
        .find(|m| m.assertion && m.key == *key)
        .map(|m| m.id.clone())
}

/// The key a `kid` names: a did:key, or a DID URL in a held DID document;
/// a relative `kid` (`#key-1`, `key-1`) is taken relative to the `iss` DID.
fn key_of_kid(
    kid: &str,
    jwt: &DecodedJwt,
    options: &VerifyOptions<'_>,
) -> Result<FoundKey, ProofOutcome> {
    if kid.len() > 2048 {
        return Err(ProofOutcome::Invalid("the kid is too long".into()));
    }
    let iss = jwt.payload.get("iss").and_then(Value::as_str).or_else(|| {
        // VC-JOSE and OB 3.0 §8.2: the issuer is in the payload itself.
        let issuer = match jwt.form {
            JwtForm::VcClaim => jwt.payload.get("vc")?.get("issuer")?,
            JwtForm::Credential => jwt.payload.get("issuer")?,
        };
        issuer
            .as_str()
            .or_else(|| issuer.get("id").and_then(Value::as_str))
    });
    let absolute = if kid.starts_with("did:") || kid.contains("://") {
        kid.to_owned()
    } else if let Some(did) = iss.filter(|i| i.starts_with("did:")) {
        let did = did.split('#').next().unwrap_or(did);
        match kid.strip_prefix('#') {
            Some(fragment) => format!("{did}#{fragment}"),
            None => format!("{did}#{kid}"),
        }
    } else {
        return Err(ProofOutcome::Unsupported(format!(
            "kid {kid:?} is relative, and the issuer is not a DID to resolve it against"
        )));
    };
    if absolute.starts_with("did:key:") {
        return match resolve_did_key(&absolute) {
            Ok((controller, key)) => Ok(FoundKey {
                key,
                controller: Some(controller),
                method: absolute,
            }),
            Err(e) => Err(ProofOutcome::Invalid(format!(
                "kid {absolute} is not a usable did:key: {e}"
            ))),
        };
    }
    if absolute.starts_with("did:") {
        let did = absolute.split('#').next().unwrap_or(&absolute);
        let Some(document) = options.dids.and_then(|find| find(did)) else {
            return Err(ProofOutcome::Unsupported(format!(
                "kid {absolute} is not a did:key, and no DID document for {did} is held \
                 (it cannot be resolved offline)"
            )));
        };
        let Some(key) = document.assertion_key(&absolute) else {
            return Err(ProofOutcome::Invalid(format!(
                "the DID document of {did} lists no supported assertionMethod {absolute}"
            )));
        };
        return Ok(FoundKey {
            key: key.clone(),
            controller: Some(document.id.clone()),
            method: absolute,
        });
    }
    Err(ProofOutcome::Unsupported(format!(
        "kid {absolute} must be dereferenced over the network, which verification does not do"
    )))
}

/// Signs `credential` as an OB 3.0 VC-JWT (§8.2 form: the payload is the
/// credential with the claims `iss`, `jti`, `sub`, `nbf` and `exp` beside
/// its properties) with EdDSA, under `kid` (a DID URL such as
/// `did:key:z6Mk...#z6Mk...`). The credential must name its issuer and
/// carry `validFrom` (or `issuanceDate`); any `proof` it has is kept.
pub fn sign_jwt(
    credential: &Map<String, Value>,
    key: &SecretKey,
    kid: &str,
) -> Result<String, JwtError> {
    let mut payload = credential.clone();
    let issuer = match credential.get("issuer") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(o)) => o
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| JwtError::Sign("the issuer has no id".into()))?
            .to_owned(),
        _ => return Err(JwtError::Sign("the credential has no issuer".into())),
    };
    payload.insert("iss".into(), issuer.into());
    if let Some(id) = credential.get("id").and_then(Value::as_str) {
        payload.insert("jti".into(), id.into());
    }
    if let Some(sub) = credential
        .get("credentialSubject")
        .and_then(|s| s.get("id"))
        .and_then(Value::as_str)
    {
        payload.insert("sub".into(), sub.into());
    }
    let date = |keys: [&str; 2]| -> Result<Option<i64>, JwtError> {
        let Some((k, v)) = keys
            .iter()
            .find_map(|k| credential.get(*k).map(|v| (*k, v)))
        else {
            return Ok(None);
        };
        v.as_str()
            .and_then(|t| t.parse::<Timestamp>().ok())
            .map(|t| Some(t.0))
            .ok_or_else(|| JwtError::Sign(format!("{k} is not a date-time")))
    };
    let nbf = date(["validFrom", "issuanceDate"])?
        .ok_or_else(|| JwtError::Sign("the credential has no validFrom".into()))?;
    payload.insert("nbf".into(), nbf.into());
    if let Some(exp) = date(["validUntil", "expirationDate"])? {
        payload.insert("exp".into(), exp.into());
    }
    let mut header = Map::new();
    header.insert("alg".into(), "EdDSA".into());
    header.insert("kid".into(), kid.into());
    header.insert("typ".into(), "JWT".into());
    let encode = |m: &Map<String, Value>| {
        serde_json::to_vec(m)
            .map(|b| URL_SAFE_NO_PAD.encode(b))
            .map_err(|e| JwtError::Sign(e.to_string()))
    };
    let signing_input = format!("{}.{}", encode(&header)?, encode(&payload)?);
    let signature = key.sign(signing_input.as_bytes());
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Garbled text, random base64url parts and truncated or spliced
        /// tokens give errors or verdicts, never panics.
        #[test]
        fn garbled_tokens_never_panic(
            text in ".{0,300}",
            parts in proptest::collection::vec("[A-Za-z0-9_-]{0,80}", 0..5),
            cut in 0usize..400,
        ) {
            let now = Timestamp(1_800_000_000);
            let options = VerifyOptions::default();
            let _ = verify_jwt_credential(&text, now, &options);
            let joined = parts.join(".");
            let _ = verify_jwt_credential(&joined, now, &options);
            let _ = verify_jwt_credential(&format!("eyJ{joined}"), now, &options);
            let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"EdDSA","kid":"did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"}"#);
            let payload = URL_SAFE_NO_PAD.encode(text.as_bytes());
            let token = format!("{header}.{payload}.{}", parts.first().map_or("", String::as_str));
            let _ = verify_jwt_credential(&token, now, &options);
            let cut = cut.min(token.len());
            let _ = verify_jwt_credential(token.get(..cut).unwrap_or(""), now, &options);
        }
    }

    #[test]
    fn not_a_jwt_is_an_error() {
        let now = Timestamp(0);
        let o = VerifyOptions::default();
        for bad in [
            "",
            "a.b.c",
            "eyJ.e30",
            "eyJhbGciOiJub25lIn0.e30.",
            "{\"a\":1}",
        ] {
            assert!(
                matches!(
                    verify_jwt_credential(bad, now, &o),
                    Err(CredentialError::Jwt(_))
                ),
                "{bad:?}"
            );
        }
        let huge = format!("eyJ{}.e30.AA", "A".repeat(MAX_JWT_CHARS));
        assert!(matches!(decode(&huge), Err(JwtError::TooLarge)));
        // Header is `{"alg":"none"}`, payload `{}`: it reads, and fails.
        let none = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(b"{}"),
            "AA"
        );
        assert!(decode(&none).is_ok());
        assert!(looks_like_jwt(&none));
        assert!(!looks_like_jwt("{\"@context\": []}"));
    }
}
