//! Every badge format a verifier may hold, verified through one call.
//!
//! Native assertions (CBOR envelopes), Open Badges 3.0 credentials (JSON with
//! an eddsa-rdfc-2022 proof), Open Badges 2.0 assertions (JSON or RS256 JWS),
//! and any of these baked into a PNG or SVG. The answer has one JSON shape
//! whatever the input (`format`, `outcome`, `checks`, issuer and badge names,
//! dates, revocation freshness), so the CLI and the web page read one thing.
//!
//! An OB 3.0 credential that badgemesh exported links back to its native
//! assertion (issuer and status index), so its revocation is checked against
//! the network's state; a foreign status list this node does not hold leaves
//! the status unknown, never "not revoked".

use badgemesh_bake::{BadgeKind, Extracted, Format, Limits};
use badgemesh_openbadges::credential as ob3;
use badgemesh_openbadges::jwt;
use badgemesh_protocol::state::Registry;
use badgemesh_protocol::time::Timestamp;
use badgemesh_protocol::verify::{VerifyOptions, verify};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::trust::assess::TrustOptions;
use crate::trust::held::HeldDocuments;
use crate::trust::ob2_keys::{Ob2Keys, TrustedKey};
use crate::trust::revocation_lists::HeldRevocationList;
use crate::trust::state::TrustState;
use crate::verdict::VerifyResponse;

/// What the caller asks for.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options<'a> {
    /// An email or DID to match against the recipient.
    pub recipient: Option<&'a str>,
    /// Revocation data older than this many seconds is treated as unknown.
    pub max_age_secs: Option<i64>,
    /// An OB 2.0 issuer's RSA public key (PEM), to check a signed (RS256) badge.
    pub ob2_issuer_key_pem: Option<&'a str>,
    /// What the node holds for other issuers: OB 2.0 keys (looked up by the
    /// badge's `verification.creator` when no key is given), OB 3.0 status
    /// lists and DID documents.
    pub held: Option<&'a HeldDocuments>,
    /// Whom this node believes about who issued what; without it the
    /// verdict carries no `trust` object.
    pub trust: Option<&'a TrustState>,
    /// Unlisted issuers give `indeterminate`, de-listed ones `invalid`.
    pub require_listed: bool,
    /// Open Badges only (the default), or any Verifiable Credential (the
    /// VC API's `/credentials/verify`).
    pub profile: ob3::Profile,
    /// Set when nobody waits for the answer any more (the API sets it when
    /// a request is abandoned): checked between stages and between proofs,
    /// the verification then stops with [`FormatError::Cancelled`].
    pub cancel: Option<&'a AtomicBool>,
}

impl<'a> Options<'a> {
    /// What a verification asked of this node starts from: the documents it
    /// holds and whom it believes, stopping once `cancel` is set; the rest
    /// as the default (set the fields a request asks for over it).
    pub fn on_node(
        held: &'a HeldDocuments,
        trust: &'a TrustState,
        cancel: &'a AtomicBool,
    ) -> Options<'a> {
        Options {
            held: Some(held),
            trust: Some(trust),
            cancel: Some(cancel),
            ..Options::default()
        }
    }
}

/// Input that is not a badge at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// Not any known badge format.
    #[error(
        "not a badge: expected a native assertion, an Open Badges 3.0 credential, an Open Badges 2.0 assertion, or a baked PNG or SVG"
    )]
    Unrecognised,
    /// An image with neither a baked badge nor a certificate's QR code (a
    /// camera frame that does not show the code yet, say).
    #[error("the image carries no badge: neither baked in nor in a certificate's QR code")]
    NoBadgeInImage,
    /// A damaged image or carrier.
    #[error("{0}")]
    Unbake(String),
    /// A native assertion that does not decode.
    #[error("{0}")]
    Native(String),
    /// JSON that is not a credential we can read.
    #[error("{0}")]
    Credential(String),
    /// The input would cost more than the verification budget allows (too
    /// many proofs or status entries, a document that would make RDFC-1.0
    /// exponential): refused before that work, with the reason.
    #[error("over the verification budget: {0}")]
    OverBudget(String),
    /// The caller cancelled the verification (see [`Options::cancel`]).
    #[error("verification cancelled")]
    Cancelled,
    /// A native assertion with no node to check it against.
    #[error(
        "native badgemesh assertions are checked against a node's records; start one with `badgemesh node run`"
    )]
    NeedsNode,
}

fn status_name(s: ob3::CheckStatus) -> &'static str {
    match s {
        ob3::CheckStatus::Pass => "pass",
        ob3::CheckStatus::Fail => "fail",
        ob3::CheckStatus::Skip => "skipped",
    }
}

fn check(name: &str, status: &str, detail: impl Into<String>) -> Value {
    json!({ "check": name, "status": status, "detail": detail.into() })
}

/// Verifies `bytes` in whatever format they are. `registry` is the node's
/// state (native assertions and revocation need it; OB 3.0 and OB 2.0 proofs
/// do not).
pub fn verify_any(
    bytes: &[u8],
    registry: Option<&Registry>,
    now: Timestamp,
    opts: &Options<'_>,
) -> Result<Value, FormatError> {
    let extracted = match badgemesh_bake::unbake(bytes, &Limits::default()) {
        Ok(x) => x,
        Err(badgemesh_bake::UnbakeError::UnknownFormat) => return Err(FormatError::Unrecognised),
        Err(badgemesh_bake::UnbakeError::NotBaked) => return Err(FormatError::NoBadgeInImage),
        Err(e) => return Err(FormatError::Unbake(e.to_string())),
    };
    let mut v = verify_extracted(bytes, extracted, registry, now, opts)?;
    assess(&mut v, registry, now, opts);
    Ok(v)
}

/// [`verify_any`] for many inputs at once (bulk audits): the same verdict
/// for each, but the signatures of the native assertions among them are
/// checked together with Ed25519 batch verification
/// ([`badgemesh_protocol::verify::verify_many`]), which costs about half
/// as much per signature. Stops with [`FormatError::Cancelled`] in place of
/// every verdict not yet made once the caller gives up.
pub fn verify_batch(
    inputs: &[&[u8]],
    registry: Option<&Registry>,
    now: Timestamp,
    opts: &Options<'_>,
) -> Vec<Result<Value, FormatError>> {
    let native: Vec<usize> = inputs
        .iter()
        .enumerate()
        .filter(|(_, b)| {
            matches!(
                badgemesh_bake::unbake(b, &Limits::default()),
                Ok(Extracted::Native)
            )
        })
        .map(|(i, _)| i)
        .collect();
    let mut out: Vec<Option<Result<Value, FormatError>>> = inputs.iter().map(|_| None).collect();
    if let Some(r) = registry.filter(|_| !native.is_empty()) {
        let o = VerifyOptions {
            recipient: opts.recipient,
            max_age_secs: opts.max_age_secs,
        };
        let batch: Vec<&[u8]> = native.iter().map(|&i| inputs[i]).collect();
        let verdicts = badgemesh_protocol::verify::verify_many(&batch, r, now, &o);
        for (&i, verdict) in native.iter().zip(verdicts) {
            let v = verdict
                .map(|v| native_value(v, inputs[i], r, now, opts.max_age_secs))
                .map_err(|e| FormatError::Native(e.to_string()));
            out[i] = Some(v.map(|mut v| {
                assess(&mut v, registry, now, opts);
                v
            }));
        }
    }
    out.into_iter()
        .zip(inputs)
        .map(|(done, bytes)| match done {
            Some(v) => v,
            None => {
                cancelled(opts)?;
                verify_any(bytes, registry, now, opts)
            }
        })
        .collect()
}

/// The trust assessment every verdict gets, when the caller has trust.
fn assess(v: &mut Value, registry: Option<&Registry>, now: Timestamp, opts: &Options<'_>) {
    if let Some(trust) = opts.trust {
        let t = TrustOptions {
            max_age_secs: opts.max_age_secs,
            require_listed: opts.require_listed,
        };
        trust.assess_verdict(v, registry, now, t);
    }
}

fn verify_extracted(
    bytes: &[u8],
    extracted: Extracted,
    registry: Option<&Registry>,
    now: Timestamp,
    opts: &Options<'_>,
) -> Result<Value, FormatError> {
    let kind = extracted.kind();
    let (carrier, text) = match extracted {
        Extracted::Native => return native(bytes, registry, now, opts),
        Extracted::Printed { from, badge } => return printed(from, &badge, registry, now, opts),
        Extracted::Json(t) | Extracted::Jws(t) => (Value::Null, t),
        Extracted::Baked { image, baked } => {
            let carrier = match image {
                Format::Png => "png",
                Format::Svg => "svg",
                _ => "image",
            };
            (json!(carrier), baked.text)
        }
        _ => return Err(FormatError::Unrecognised),
    };
    cancelled(opts)?;
    let mut v = match kind {
        BadgeKind::Ob3Json => ob3_verdict(Ob3Input::Json(text.as_bytes()), registry, now, opts)?,
        BadgeKind::Ob3Jwt => ob3_verdict(Ob3Input::Jwt(text.trim()), registry, now, opts)?,
        BadgeKind::Unknown if !jwt::looks_like_jwt(&text) => {
            // Neither generation says so: JSON that is not a badge gets the
            // OB 2.0 reader's reason; text that is not even JSON is unreadable.
            if let Err(e) = serde_json::from_str::<Value>(&text) {
                return Err(FormatError::Credential(format!("not JSON: {e}")));
            }
            ob2_verdict(&text, now, opts)
        }
        _ => ob2_verdict(&text, now, opts),
    };
    v["carrier"] = carrier;
    Ok(v)
}

/// The verdict on a printed badge (a certificate's QR code, or its compact
/// text): the badge inside is verified as if it had been given bare, and the
/// carrier says where it came from. The bake crate lets only a badge's own
/// bytes through, so this never nests.
fn printed(
    from: Format,
    badge: &[u8],
    registry: Option<&Registry>,
    now: Timestamp,
    opts: &Options<'_>,
) -> Result<Value, FormatError> {
    cancelled(opts)?;
    let inner = badgemesh_bake::unbake(badge, &Limits::default())
        .map_err(|e| FormatError::Unbake(e.to_string()))?;
    if matches!(inner, Extracted::Printed { .. } | Extracted::Baked { .. }) {
        return Err(FormatError::Unbake(
            "the QR code holds something other than a signed badge".into(),
        ));
    }
    let mut v = verify_extracted(badge, inner, registry, now, opts)?;
    v["carrier"] = json!(if from == Format::Png { "qr" } else { "compact" });
    Ok(v)
}

/// `Err(Cancelled)` once the caller gave up.
fn cancelled(opts: &Options<'_>) -> Result<(), FormatError> {
    match opts.cancel {
        Some(c) if c.load(Ordering::Relaxed) => Err(FormatError::Cancelled),
        _ => Ok(()),
    }
}

/// The verdict on a credential that was read but that JSON-LD processing
/// refuses (an unknown context, an undefined term or type): no proof over it
/// can verify, so it is invalid, as Digital Bazaar's verifier and 1EdTech's
/// validator say, not unreadable.
fn refused_by_json_ld(bytes: &[u8], now: Timestamp, why: &str) -> Value {
    let doc: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
    let issuer = doc["issuer"]["id"]
        .as_str()
        .or_else(|| doc["issuer"].as_str());
    json!({
        "format": "ob3",
        "outcome": "invalid",
        "checks": [check(
            "signature",
            "fail",
            format!("JSON-LD processing refuses the credential, so no proof over it verifies: {why}"),
        )],
        "assertion": doc["id"],
        "issuer": issuer,
        "issuer_name": doc["issuer"]["name"],
        "issuer_url": doc["issuer"]["url"],
        "badge": { "name": doc["credentialSubject"]["achievement"]["name"] },
        "issued_on": doc["validFrom"].as_str().or_else(|| doc["issuanceDate"].as_str()),
        "expires": doc["validUntil"].as_str().or_else(|| doc["expirationDate"].as_str()),
        "checked_at": now,
        "revocation": null,
        "recipient": ob3_recipient(&doc),
    })
}

/// A credential that could not be checked, sorted into a budget refusal, a
/// cancellation or a plain failure.
fn credential_error(e: ob3::CredentialError) -> FormatError {
    use badgemesh_openbadges::proof::ProofError;
    match e {
        ob3::CredentialError::Cancelled => FormatError::Cancelled,
        ob3::CredentialError::TooManyStatusEntries { .. }
        | ob3::CredentialError::Proof(ProofError::TooManyProofs { .. } | ProofError::Canon(_)) => {
            FormatError::OverBudget(e.to_string())
        }
        other => FormatError::Credential(other.to_string()),
    }
}

fn native(
    bytes: &[u8],
    registry: Option<&Registry>,
    now: Timestamp,
    opts: &Options<'_>,
) -> Result<Value, FormatError> {
    let r = registry.ok_or(FormatError::NeedsNode)?;
    let o = VerifyOptions {
        recipient: opts.recipient,
        max_age_secs: opts.max_age_secs,
    };
    let verdict = verify(bytes, r, now, &o).map_err(|e| FormatError::Native(e.to_string()))?;
    Ok(native_value(verdict, bytes, r, now, opts.max_age_secs))
}

/// The verdict JSON of a native assertion, with the endorsements this node
/// holds of its badge class, its issuer and itself (only for a badge whose
/// signature verifies under a key of its issuer: a forged one, or one this
/// node cannot attribute yet, borrows nobody's word).
fn native_value(
    verdict: badgemesh_protocol::verify::Verdict,
    bytes: &[u8],
    r: &Registry,
    now: Timestamp,
    max_age_secs: Option<i64>,
) -> Value {
    use badgemesh_protocol::record::EndorsementSubject;
    use badgemesh_protocol::verify::{CheckName, CheckStatus};
    let authentic = verdict
        .check(CheckName::Signature)
        .is_some_and(|c| c.status == CheckStatus::Pass)
        && verdict
            .check(CheckName::IssuerKey)
            .is_some_and(|c| c.status == CheckStatus::Pass);
    let subjects = [
        EndorsementSubject::BadgeClass(verdict.badge_class),
        EndorsementSubject::Issuer(verdict.issuer),
        EndorsementSubject::Assertion(verdict.assertion),
    ];
    let endorsements = if authentic {
        super::endorsements::held(r, &subjects, now, max_age_secs)
    } else {
        super::endorsements::Endorsements::default()
    };
    let mut v = serde_json::to_value(VerifyResponse::new(verdict, r)).unwrap_or(Value::Null);
    v["format"] = json!("native");
    v["carrier"] = Value::Null;
    v["recipient"] = native_recipient(bytes);
    v["endorsements"] = json!(endorsements.entries);
    if !endorsements.warnings.is_empty() {
        v["warnings"] = json!(endorsements.warnings);
    }
    v
}

/// Who a native assertion names, as much as it shows: a DID, or the kind of a
/// hashed identity (the identity itself stays private).
fn native_recipient(bytes: &[u8]) -> Value {
    use badgemesh_protocol::envelope::Envelope;
    use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
    use badgemesh_protocol::record::{Recipient, Record};
    let Ok(env) = Envelope::decode(bytes, MAX_ENVELOPE_BYTES) else {
        return Value::Null;
    };
    match Record::from_payload(env.kind, env.payload) {
        Ok(Record::Assertion(a)) => match a.recipient {
            Recipient::Did(did) => json!({ "type": "did", "id": did }),
            Recipient::Hashed(h) => {
                json!({ "type": h.identity_type, "hashed": true, "identity_hash": h.to_ob_string() })
            }
        },
        _ => Value::Null,
    }
}

/// Who an OB 3.0 credential names.
fn ob3_recipient(doc: &Value) -> Value {
    let subject = &doc["credentialSubject"];
    if let Some(id) = subject["id"].as_str() {
        return json!({ "type": "did", "id": id });
    }
    let ident = subject["identifier"].get(0).unwrap_or(&Value::Null);
    match ident["identityHash"].as_str() {
        Some(h) => {
            json!({ "type": ident["identityType"], "hashed": ident["hashed"], "identity_hash": h })
        }
        None => Value::Null,
    }
}

/// What a verifier should know that does not change the outcome: the
/// credential's own departures from the specification (and from its
/// `credentialSchema`), and status lists read with a warning.
fn ob3_warnings(verdict: &ob3::Verdict, statuses: &[Value]) -> Vec<String> {
    let mut all = verdict.warnings.clone();
    all.extend(
        statuses
            .iter()
            .filter_map(|s| s["warning"].as_str())
            .map(str::to_owned),
    );
    all
}

/// An OB 3.0 credential as JSON with an embedded proof, or as a VC-JWT.
#[derive(Clone, Copy)]
enum Ob3Input<'a> {
    Json(&'a [u8]),
    Jwt(&'a str),
}

fn ob3_verdict(
    input: Ob3Input<'_>,
    registry: Option<&Registry>,
    now: Timestamp,
    opts: &Options<'_>,
) -> Result<Value, FormatError> {
    let lookup = |did: &str| opts.held.and_then(|h| h.dids.get(did));
    let options = ob3::VerifyOptions {
        recipient: opts.recipient,
        dids: Some(&lookup),
        cancel: opts.cancel,
        profile: opts.profile,
    };
    let (verified, doc, bytes) = match input {
        Ob3Input::Json(bytes) => (
            ob3::verify_credential(bytes, now, &options),
            serde_json::from_slice(bytes).unwrap_or(Value::Null),
            bytes.to_vec(),
        ),
        Ob3Input::Jwt(token) => {
            // The credential the token carries, for what the verdict shows
            // (the checks read it from the token themselves).
            let doc = jwt::decode(token)
                .map(|d| Value::Object(d.credential()))
                .unwrap_or_default();
            let bytes = serde_json::to_vec(&doc).unwrap_or_default();
            (jwt::verify_jwt_credential(token, now, &options), doc, bytes)
        }
    };
    let verdict = match verified {
        Err(ob3::CredentialError::Proof(badgemesh_openbadges::proof::ProofError::Rdf(e))) => {
            return Ok(refused_by_json_ld(&bytes, now, &e.to_string()));
        }
        other => other.map_err(credential_error)?,
    };
    cancelled(opts)?;
    let bytes = &bytes[..];
    let mut checks: Vec<Value> = verdict
        .checks
        .iter()
        .map(|c| {
            let name = match c.name {
                ob3::CheckName::Structure => "structure",
                ob3::CheckName::Proof => "signature",
                ob3::CheckName::Validity => "validity_period",
                ob3::CheckName::Recipient => "recipient",
                ob3::CheckName::OpenBadges => "open_badges",
            };
            check(name, status_name(c.status), c.detail.clone())
        })
        .collect();
    let mut outcome = match verdict.outcome {
        ob3::Outcome::Valid => "valid",
        ob3::Outcome::Expired => "expired",
        ob3::Outcome::NotYetValid => "not_yet_valid",
        ob3::Outcome::Invalid => "invalid",
        ob3::Outcome::Indeterminate => "indeterminate",
    };
    let mut revocation = Value::Null;
    let mut statuses = Vec::new();
    let link = badgemesh_openbadges::export::native_status_json(bytes);
    let state = link.and_then(|(issuer, _)| registry.and_then(|r| r.issuer(&issuer)));
    let revocation_check = match (link, state) {
        (Some((_, Some(index))), Some(s)) => Some({
            let f = s.freshness();
            revocation = json!({ "seq": f.seq, "as_of": f.as_of, "age_secs": f.as_of.map(|t| now.since(t)), "head_seq": f.head_seq });
            if let Some(entry) = s.revoked(index) {
                if outcome != "invalid" {
                    outcome = "revoked";
                }
                check(
                    "revocation",
                    "fail",
                    format!("revoked by update {} signed {}", entry.seq, entry.at),
                )
            } else if f.is_behind()
                || f.as_of.is_none()
                || opts
                    .max_age_secs
                    .zip(f.as_of)
                    .is_some_and(|(m, t)| now.since(t) > m)
            {
                if outcome == "valid" {
                    outcome = "indeterminate";
                }
                check(
                    "revocation",
                    "unknown",
                    "this node's revocation data for the issuer is missing, behind its head, or too old",
                )
            } else {
                check(
                    "revocation",
                    "pass",
                    format!(
                        "not revoked as of update {} signed {}",
                        f.seq,
                        f.as_of.map(|t| t.to_string()).unwrap_or_default()
                    ),
                )
            }
        }),
        _ if !verdict.status.is_empty() => {
            let (status_checks, entries) =
                held_status(&verdict, now, opts, &mut outcome, &mut revocation);
            statuses = entries;
            checks.extend(status_checks);
            None
        }
        _ => Some(check(
            "revocation",
            "skipped",
            "the credential declares no status list",
        )),
    };
    checks.extend(revocation_check);
    let mut endorsements =
        super::endorsements::verify_embedded(&doc, now, &options).map_err(credential_error)?;
    let mut badge_class = Value::Null;
    if let Some(r) = registry.filter(|_| outcome != "invalid") {
        let subjects = held_subjects(&doc, verdict.issuer.as_deref(), r);
        // The native badge class it awards (what pathways count), only
        // when it is a class of the credential's own issuer.
        badge_class = subjects
            .iter()
            .find_map(|s| match s {
                badgemesh_protocol::record::EndorsementSubject::BadgeClass(id) => Some(json!(id)),
                _ => None,
            })
            .unwrap_or(Value::Null);
        let held = super::endorsements::held(r, &subjects, now, opts.max_age_secs);
        endorsements.entries.extend(held.entries);
        endorsements.warnings.extend(held.warnings);
    }
    let mut warnings = ob3_warnings(&verdict, &statuses);
    warnings.extend(endorsements.warnings.iter().cloned());
    let achievement = &doc["credentialSubject"]["achievement"];
    let image = achievement["image"]["id"]
        .as_str()
        .or_else(|| achievement["image"].as_str());
    let mut badge = json!({
        "name": verdict.achievement_name,
        "description": achievement["description"],
        "criteria": { "narrative": achievement["criteria"]["narrative"], "url": achievement["criteria"]["id"] },
        "image": image.map(|uri| json!({ "uri": uri })),
    });
    if let Value::Object(b) = &mut badge {
        b.extend(super::achievement::achievement_details(achievement));
    }
    Ok(json!({
        "format": "ob3",
        "outcome": outcome,
        "checks": checks,
        "assertion": verdict.credential_id,
        "issuer": verdict.issuer,
        "issuer_name": doc["issuer"]["name"],
        "issuer_url": doc["issuer"]["url"],
        "badge": badge,
        "badge_class": badge_class,
        "award": super::achievement::award_details(&doc),
        "issued_on": verdict.valid_from,
        "expires": verdict.valid_until,
        "checked_at": now,
        "cryptosuite": verdict.cryptosuite,
        "legacy_suite": verdict.legacy_suite,
        "revocation": revocation,
        "warnings": warnings,
        "endorsements": endorsements.entries,
        "status": statuses,
        "recipient": ob3_recipient(&doc),
    }))
}

/// What an OB 3.0 credential whose proof verified is about, in terms of the
/// endorsement records a node holds: its issuer, when that is a badgemesh
/// issuer, and its achievement when it names a badge class of that same
/// issuer (`urn:badgemesh:badge:<id>`, as `export` writes it). The issuer
/// check matters: anyone can write that URN into a credential of their own,
/// and must not borrow the endorsements of another issuer's badge class.
fn held_subjects(
    doc: &Value,
    issuer: Option<&str>,
    r: &Registry,
) -> Vec<badgemesh_protocol::record::EndorsementSubject> {
    use badgemesh_protocol::keys::IssuerId;
    use badgemesh_protocol::record::EndorsementSubject;
    let Some(issuer) = issuer.and_then(|d| d.parse::<IssuerId>().ok()) else {
        return Vec::new();
    };
    let mut out = vec![EndorsementSubject::Issuer(issuer)];
    let class = doc["credentialSubject"]["achievement"]["id"]
        .as_str()
        .and_then(|a| a.strip_prefix(badgemesh_openbadges::export::BADGE_URN))
        .and_then(|id| id.parse().ok())
        .filter(|id| r.badge_class(id).is_some_and(|(b, _)| b.issuer == issuer));
    out.extend(class.map(EndorsementSubject::BadgeClass));
    out
}

/// The trusted key a signed OB 2.0 badge names, if the node holds it.
fn trusted_ob2_key(text: &str, keys: &Ob2Keys) -> Option<TrustedKey> {
    use badgemesh_bake::ob2;
    let jws = ob2::decode_jws(text.trim()).ok()?;
    let creator = ob2::parse(&jws.payload).ok()?.verification.creator?;
    keys.get(&creator).ok().flatten()
}

/// What one `credentialStatus` entry came to.
enum EntryResult {
    /// Checked: the entry's status is clear (value 0), or a message.
    Clear(Value),
    /// Revoked (a set bit in a revocation list, or listed in a
    /// 1EdTech revocation list).
    Revoked(Value),
    /// A set bit in a suspension list.
    Suspended(Value),
    /// Could not be checked.
    Unknown(Value),
}

/// The status checks of a credential that is not one of the network's own,
/// against the status lists and revocation lists the node holds.
///
/// Each entry gives one check (`revocation`, `suspension` or `status`) and
/// one object in the verdict's `status` array (purpose, list URL, who signed
/// it and when, since when the node holds it). Anything short of a held,
/// current list answers *unknown*, and for a revocation or suspension entry
/// that makes the verdict *indeterminate*, never "not revoked"; a revoked
/// entry makes it `revoked`, a suspended one `suspended` (not valid now, but
/// reversible: its own outcome, so the page and scripts can tell the two
/// apart). A `message` entry reports the issuer's message for its value and
/// leaves the outcome alone: it says nothing about validity.
fn held_status(
    verdict: &ob3::Verdict,
    now: Timestamp,
    opts: &Options<'_>,
    outcome: &mut &'static str,
    revocation: &mut Value,
) -> (Vec<Value>, Vec<Value>) {
    let mut checks = Vec::new();
    let mut statuses = Vec::new();
    let (mut revoked, mut suspended, mut unknown) = (false, false, false);
    // Entries that say whether the badge stands: revocation and suspension,
    // and any method badgemesh cannot read (it may be either).
    let counts = |e: &ob3::StatusEntry| {
        matches!(e.purpose.as_str(), "revocation" | "suspension")
            || matches!(
                e.method,
                ob3::StatusMethod::Other(_) | ob3::StatusMethod::Malformed { .. }
            )
    };
    for entry in &verdict.status {
        let counts = counts(entry);
        let name = match entry.purpose.as_str() {
            "revocation" => "revocation",
            "suspension" => "suspension",
            _ => "status",
        };
        let (status, detail) = match status_of(entry, verdict, now, opts) {
            EntryResult::Clear(s) => ("pass", s),
            EntryResult::Revoked(s) => {
                revoked = true;
                ("fail", s)
            }
            EntryResult::Suspended(s) => {
                suspended = true;
                ("fail", s)
            }
            EntryResult::Unknown(s) => {
                unknown |= counts;
                ("unknown", s)
            }
        };
        checks.push(check(
            name,
            status,
            detail["detail"].as_str().unwrap_or_default(),
        ));
        if counts && (revocation.is_null() || status == "fail") {
            *revocation = detail.clone();
        }
        statuses.push(detail);
    }
    if revoked {
        if *outcome != "invalid" {
            *outcome = "revoked";
        }
    } else if suspended {
        if *outcome != "invalid" {
            *outcome = "suspended";
        }
    } else if unknown && *outcome == "valid" {
        *outcome = "indeterminate";
    }
    if !verdict.status.iter().any(counts) {
        checks.push(check(
            "revocation",
            "skipped",
            "the credential declares no revocation or suspension status",
        ));
    }
    (checks, statuses)
}

/// The status of one entry against what the node holds.
fn status_of(
    entry: &ob3::StatusEntry,
    verdict: &ob3::Verdict,
    now: Timestamp,
    opts: &Options<'_>,
) -> EntryResult {
    let url = entry.list_url.as_str();
    let mut info = json!({
        "method": entry.method.name(),
        "purpose": entry.purpose,
        "status_list": url,
        "index": entry.index,
    });
    let unknown = |mut info: Value, why: String| {
        info["result"] = json!("unknown");
        info["detail"] = json!(format!("status unknown: {why}"));
        EntryResult::Unknown(info)
    };
    match &entry.method {
        ob3::StatusMethod::Bitstring | ob3::StatusMethod::StatusList2021 => {}
        ob3::StatusMethod::OneEdTechRevocationList => {
            return one_ed_tech_status(entry, verdict, now, opts, info);
        }
        ob3::StatusMethod::Malformed { kind, problem } => {
            return unknown(info, format!("the {kind} cannot be read: {problem}"));
        }
        _ => {
            return unknown(
                info,
                format!("the status method {} is not supported", entry.method.name()),
            );
        }
    }
    let held = opts
        .held
        .map(|h| h.status_lists.get(url))
        .transpose()
        .map(Option::flatten);
    let held = match held {
        Ok(Some(h)) => h,
        Ok(None) => {
            return unknown(
                info,
                format!(
                    "this node holds no status list for {url} (badgemesh status-list add --url {url} FILE)"
                ),
            );
        }
        Err(e) => {
            return unknown(
                info,
                format!("the held status list for {url} is unusable: {e}"),
            );
        }
    };
    let list = &held.list;
    let age = list.valid_from.map(|t| now.since(t));
    info["signed_by"] = json!(list.issuer);
    info["as_of"] = json!(list.valid_from);
    info["age_secs"] = json!(age);
    info["held_since"] = json!(held.held_since);
    if let Some(w) = list.short_warning() {
        info["warning"] = json!(w);
    }
    let when = format!(
        "signed {} by {}, held since {}",
        list.valid_from
            .map(|t| t.to_string())
            .unwrap_or_else(|| "(no date)".into()),
        list.issuer,
        held.held_since
            .map(|t| t.to_string())
            .unwrap_or_else(|| "?".into())
    );
    if !list.has_purpose(&entry.purpose) {
        return unknown(
            info,
            format!(
                "the list held for {url} is a {} list, the entry is for {}",
                list.purpose, entry.purpose
            ),
        );
    }
    if list.is_stale(now) {
        return unknown(
            info,
            format!("the list held for {url} is past its validUntil"),
        );
    }
    if let (Some(max), Some(age)) = (opts.max_age_secs, age)
        && age > max
    {
        return unknown(info, format!("the list held for {url} is {age} s old"));
    }
    let Some(value) = list.list.value(entry.index, entry.size) else {
        return unknown(
            info,
            format!(
                "entry {} is outside the list held for {url} ({} entries)",
                entry.index,
                list.list.len()
            ),
        );
    };
    info["value"] = json!(value);
    let warning = info["warning"]
        .as_str()
        .map(|w| format!("; warning: {w}"))
        .unwrap_or_default();
    // The Bitstring Status List spec lets the list's issuer differ from the
    // credential's. A set bit counts whoever signed the list (at worst, a
    // third party makes a badge look revoked); a clear one is taken only
    // from the credential's issuer, as Digital Bazaar's verifier does by
    // default, so nobody else can vouch that a badge is not revoked.
    let own = verdict.issuer.as_deref() == Some(list.issuer.as_str());
    let message = entry.message_for(value);
    if let Some(m) = message {
        info["message"] = json!(m);
    }
    let mut done = |result: &str, detail: String| {
        info["result"] = json!(result);
        info["detail"] = json!(format!("{detail} ({when}){warning}"));
        info.clone()
    };
    match (entry.purpose.as_str(), value) {
        ("revocation", 1..) => {
            EntryResult::Revoked(done("revoked", format!("revoked in the status list {url}")))
        }
        ("suspension", 1..) => EntryResult::Suspended(done(
            "suspended",
            format!("suspended in the status list {url}"),
        )),
        ("revocation" | "suspension", 0) if !own => unknown(
            info,
            format!(
                "the list held for {url} is signed by {}, not by the credential's issuer; badgemesh takes \"not {}\" only from the issuer",
                list.issuer,
                if entry.purpose == "revocation" {
                    "revoked"
                } else {
                    "suspended"
                }
            ),
        ),
        ("revocation", _) => EntryResult::Clear(done(
            "clear",
            format!("not revoked in the status list {url}"),
        )),
        ("suspension", _) => EntryResult::Clear(done(
            "clear",
            format!("not suspended in the status list {url}"),
        )),
        (purpose, v) => EntryResult::Clear(done(
            "reported",
            match message {
                Some(m) => format!("{purpose} status {v:#x}: {m:?} in the status list {url}"),
                None => format!("{purpose} status {v:#x} in the status list {url}"),
            },
        )),
    }
}

/// A `1EdTechRevocationList` entry: the credential's `id` in the list held
/// under the entry's URL means revoked.
fn one_ed_tech_status(
    entry: &ob3::StatusEntry,
    verdict: &ob3::Verdict,
    now: Timestamp,
    opts: &Options<'_>,
    mut info: Value,
) -> EntryResult {
    use crate::trust::revocation_lists::AnyRevocationList;
    let url = entry.list_url.as_str();
    let held = opts.held.and_then(|h| h.revocation_lists.get(url));
    let Some(held) = held else {
        info["result"] = json!("unknown");
        info["detail"] = json!(format!(
            "status unknown: this node holds no revocation list for {url} (badgemesh revocation-list add --url {url} FILE)"
        ));
        return EntryResult::Unknown(info);
    };
    let age = held.held_since.map(|t| now.since(t));
    info["held_since"] = json!(held.held_since);
    info["age_secs"] = json!(age);
    // An unsigned list has no date of its own: its age is since it was held.
    if let (Some(max), Some(age)) = (opts.max_age_secs, age)
        && age > max
    {
        info["result"] = json!("unknown");
        info["detail"] = json!(format!(
            "status unknown: the revocation list held for {url} was stored {age} s ago, more than the maximum age"
        ));
        return EntryResult::Unknown(info);
    }
    let AnyRevocationList::OneEdTech(list) = &held.list else {
        info["result"] = json!("unknown");
        info["detail"] = json!(format!(
            "status unknown: the list held for {url} is an OB 2.0 RevocationList, not a 1EdTech revocation list"
        ));
        return EntryResult::Unknown(info);
    };
    let since = held
        .held_since
        .map(|t| t.to_string())
        .unwrap_or_else(|| "?".into());
    let found = verdict
        .credential_id
        .as_deref()
        .and_then(|id| list.find(id));
    match found {
        Some(r) => {
            info["result"] = json!("revoked");
            info["reason"] = json!(r.reason);
            info["detail"] = json!(format!(
                "revoked in the 1EdTech revocation list {url} ({}; held since {since})",
                r.reason.as_deref().unwrap_or("no reason given")
            ));
            EntryResult::Revoked(info)
        }
        None => {
            info["result"] = json!("clear");
            info["detail"] = json!(format!(
                "not revoked in the 1EdTech revocation list {url} (held since {since})"
            ));
            EntryResult::Clear(info)
        }
    }
}

/// The issuer's OB 2.0 revocation list, if the node holds it: the one the
/// embedded issuer Profile names, or, when the Profile is not embedded, the
/// one held for the issuer (named by the badge class, or as the owner of
/// the trusted key).
fn held_ob2_revocation_list(
    text: &str,
    held: &HeldDocuments,
    key: Option<&TrustedKey>,
) -> Option<(HeldRevocationList, badgemesh_bake::ob2::RevocationList)> {
    use badgemesh_bake::ob2::{self, DeclaredList};
    let jws = ob2::decode_jws(text.trim()).ok()?;
    let assertion = ob2::parse(&jws.payload).ok()?;
    let lists = &held.revocation_lists;
    match ob2::declared_revocation_list(&assertion) {
        DeclaredList::Url(url) => lists.ob2(&url),
        DeclaredList::None => None,
        DeclaredList::Unknown(Some(issuer)) => lists.ob2_of_issuer(&issuer),
        DeclaredList::Unknown(None) => lists.ob2_of_issuer(key?.owner.as_deref()?),
    }
}

fn ob2_verdict(text: &str, now: Timestamp, opts: &Options<'_>) -> Value {
    use badgemesh_bake::ob2;
    let now_jiff = ob2::Timestamp::from_second(now.secs()).ok();
    let trusted = match (opts.ob2_issuer_key_pem, opts.held) {
        (None, Some(held)) => trusted_ob2_key(text, &held.ob2_keys),
        _ => None,
    };
    // Documents fetched from issuers' sites (online mode) and kept.
    let lookup = |url: &str| {
        opts.held
            .and_then(|h| h.fetched.get(url))
            .and_then(|k| k.to_fetched())
    };
    let mut list = opts
        .held
        .and_then(|h| held_ob2_revocation_list(text, h, trusted.as_ref()));
    // An unsigned list has no date of its own: its age is since it was
    // held, and one older than --max-age counts as not held.
    let mut too_old = None;
    if let (Some(max), Some((h, _))) = (opts.max_age_secs, &list)
        && let Some(age) = h.held_since.map(|t| now.since(t))
        && age > max
    {
        too_old = Some(format!(
            " (the copy held for {} was stored {age} s ago, more than the maximum age)",
            h.url
        ));
        list = None;
    }
    let v = ob2::verify(
        text,
        &ob2::Ob2Options {
            now: now_jiff,
            issuer_key_pem: opts
                .ob2_issuer_key_pem
                .or(trusted.as_ref().map(|k| k.public_key_pem.as_str())),
            recipient: opts.recipient,
            documents: opts.held.map(|_| ob2::Documents(&lookup)),
            revocation_list: list.as_ref().map(|(_, l)| l),
        },
    );
    let revocation_detail = v.revocation.detail();
    let revoked_only =
        matches!(v.revocation, ob2::RevocationCheck::Revoked { .. }) && v.reasons.len() == 1;
    let outcome = match v.outcome {
        ob2::Outcome::Valid => "valid",
        ob2::Outcome::Invalid if revoked_only => "revoked",
        ob2::Outcome::Invalid => "invalid",
        ob2::Outcome::Indeterminate => "indeterminate",
    };
    let mut checks: Vec<Value> = v
        .reasons
        .iter()
        .filter(|r| **r != revocation_detail)
        .map(|r| {
            check(
                "open_badges_2",
                if outcome == "invalid" {
                    "fail"
                } else {
                    "unknown"
                },
                r.clone(),
            )
        })
        .collect();
    if let Some(k) = &trusted {
        checks.push(check(
            "issuer_key",
            "pass",
            format!(
                "the node trusts the issuer key {} (verification.creator)",
                k.id
            ),
        ));
    }
    let (revocation_status, revocation) = match &v.revocation {
        ob2::RevocationCheck::NotApplicable => ("", Value::Null),
        ob2::RevocationCheck::NoListDeclared => ("skipped", Value::Null),
        ob2::RevocationCheck::NotHeld(_) => ("unknown", Value::Null),
        ob2::RevocationCheck::NotRevoked { .. } | ob2::RevocationCheck::Revoked { .. } => {
            let held = list.as_ref().map(|(h, _)| h);
            let since = held.and_then(|h| h.held_since);
            let status = if matches!(v.revocation, ob2::RevocationCheck::Revoked { .. }) {
                "fail"
            } else {
                "pass"
            };
            (
                status,
                json!({
                    "revocation_list": held.map(|h| h.url.clone()),
                    "held_since": since,
                    "age_secs": since.map(|t| now.since(t)),
                }),
            )
        }
    };
    if !revocation_status.is_empty() {
        let since = revocation["held_since"]
            .as_str()
            .map(|t| format!(" (held since {t})"))
            .unwrap_or_default();
        checks.push(check(
            "revocation",
            revocation_status,
            format!(
                "{revocation_detail}{since}{}",
                too_old.as_deref().unwrap_or_default()
            ),
        ));
    }
    checks.extend(
        v.notes
            .iter()
            .filter(|n| **n != revocation_detail)
            .map(|n| check("note", "skipped", n.clone())),
    );
    if !v.sources.is_empty() {
        let list = v
            .sources
            .iter()
            .map(|s| format!("{} as fetched on {}", s.url, s.fetched_at))
            .collect::<Vec<_>>()
            .join(", ");
        checks.push(check(
            "issuer_site",
            if v.outcome == ob2::Outcome::Valid {
                "pass"
            } else {
                "unknown"
            },
            format!("checked against the issuer's site: {list}"),
        ));
    }
    let a = v.assertion.as_ref();
    // The resolved BadgeClass and Profile (fetched ones replace embedded
    // copies of a hosted badge, as the OB 2.0 verification rules say).
    let badge = v.badge.as_ref().or_else(|| {
        a.and_then(|a| match &a.badge {
            ob2::BadgeRef::Embedded(b) => Some(b.as_ref()),
            ob2::BadgeRef::Iri(_) => None,
        })
    });
    let issuer = v.issuer.as_ref().or_else(|| {
        badge.and_then(|b| match &b.issuer {
            ob2::IssuerRef::Embedded(p) => Some(p),
            ob2::IssuerRef::Iri(_) => None,
        })
    });
    let sources: Vec<Value> = v
        .sources
        .iter()
        .map(|s| json!({ "url": s.url, "fetched_at": s.fetched_at.to_string() }))
        .collect();
    json!({
        "format": "ob2",
        "outcome": outcome,
        "checks": checks,
        "assertion": a.map(|a| a.id.clone()),
        "issuer": issuer.map(|p| p.id.clone()),
        "issuer_name": issuer.map(|p| p.name.clone()),
        "issuer_url": issuer.and_then(|p| p.url.clone()),
        "badge": badge.map(|b| json!({ "name": b.name, "description": b.description, "criteria": { "narrative": b.criteria }, "image": b.image.as_ref().map(|u| json!({ "uri": u })) })),
        "issued_on": a.map(|a| a.issued_on.to_string()),
        "expires": a.and_then(|a| a.expires.map(|e| e.to_string())),
        "checked_at": now,
        "signed": v.signed,
        "revocation": revocation,
        "sources": sources,
        "missing": v.missing,
    })
}

#[cfg(test)]
mod status_tests;

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::sync::atomic::AtomicBool;

    use img_parts::Bytes;
    use img_parts::png::{Png, PngChunk};

    use super::*;

    const CREDENTIAL: &str =
        include_str!("../../../openbadges/tests/vectors/exported-credential.json");
    const TINY_PNG: &[u8] = include_bytes!("../../../bake/tests/fixtures/tiny.png");

    fn at() -> Timestamp {
        Timestamp(1_800_000_000)
    }

    /// A PNG carrying `text` in a compressed `openbadgecredential` iTXt.
    fn png_with_compressed_itxt(text: &[u8]) -> Vec<u8> {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        z.write_all(text).expect("compresses");
        let mut chunk = b"openbadgecredential".to_vec();
        chunk.extend_from_slice(&[0, 1, 0, 0, 0]);
        chunk.extend_from_slice(&z.finish().expect("compresses"));
        let mut png = Png::from_bytes(Bytes::from_static(TINY_PNG)).expect("fixture");
        png.chunks_mut()
            .insert(1, PngChunk::new(*b"iTXt", Bytes::from(chunk)));
        png.encoder().bytes().to_vec()
    }

    /// The attack file: a PNG of a few KB whose compressed iTXt
    /// holds about 1 MiB of JSON with 2,800 proofs naming the issuer. It cost
    /// 13 s of CPU; now it is refused before any proof is checked.
    #[test]
    fn the_thousand_proof_png_is_refused_over_budget() {
        let mut doc: Value = serde_json::from_str(CREDENTIAL).expect("vector");
        let proof = doc["proof"].clone();
        doc["proof"] = Value::Array(vec![proof; 2_800]);
        let json = serde_json::to_vec(&doc).expect("json");
        assert!(
            json.len() > 900 * 1024 && json.len() <= 1024 * 1024,
            "{}",
            json.len()
        );
        let png = png_with_compressed_itxt(&json);
        assert!(png.len() < 64 * 1024, "a small file: {} bytes", png.len());
        match verify_any(&png, None, at(), &Options::default()) {
            Err(FormatError::OverBudget(why)) => {
                assert!(why.contains("2800 proofs (at most 4"), "{why}")
            }
            other => panic!("expected an over-budget refusal, got {other:?}"),
        }
        // The genuine credential in the same carrier verifies.
        let genuine = png_with_compressed_itxt(CREDENTIAL.as_bytes());
        let v = verify_any(&genuine, None, at(), &Options::default()).expect("verifies");
        assert_eq!(v["checks"][1]["status"], "pass", "{v}");
        assert_eq!(v["carrier"], "png");
    }

    #[test]
    fn a_credential_json_ld_refuses_is_invalid_not_unreadable() {
        let base: Value = serde_json::from_str(CREDENTIAL).expect("json");
        let mut unknown_context = base.clone();
        if let Some(c) = unknown_context["@context"].as_array_mut() {
            c.push(json!("https://example.org/contexts/unknown/v1"));
        }
        let mut undefined_term = base.clone();
        undefined_term["madeUpTerm"] = json!("x");
        for doc in [unknown_context, undefined_term] {
            let bytes = serde_json::to_vec(&doc).expect("json");
            let v = verify_any(&bytes, None, at(), &Options::default()).expect("a verdict");
            assert_eq!(v["outcome"], "invalid", "{v}");
            assert_eq!(v["checks"][0]["check"], "signature");
            assert_eq!(v["checks"][0]["status"], "fail");
            assert_eq!(v["issuer"], base["issuer"]["id"]);
        }
        // Not JSON at all is still unreadable.
        assert!(
            verify_any(
                b"{\"@context\": [\"https://www.w3.org/ns/credentials/v2\"",
                None,
                at(),
                &Options::default()
            )
            .is_err()
        );
    }

    #[test]
    fn a_cancelled_verification_stops_before_the_proofs() {
        let cancel = AtomicBool::new(true);
        let opts = Options {
            cancel: Some(&cancel),
            ..Options::default()
        };
        let r = verify_any(CREDENTIAL.as_bytes(), None, at(), &opts);
        assert!(matches!(r, Err(FormatError::Cancelled)), "{r:?}");
    }
}
