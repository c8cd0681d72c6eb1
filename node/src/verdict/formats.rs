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

use badgemesh_bake::{Extracted, Format, Limits};
use badgemesh_openbadges::credential as ob3;
use badgemesh_protocol::state::Registry;
use badgemesh_protocol::time::Timestamp;
use badgemesh_protocol::verify::{VerifyOptions, verify};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::trust::assess::TrustOptions;
use crate::trust::held::HeldDocuments;
use crate::trust::ob2_keys::{Ob2Keys, TrustedKey};
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
    /// Set when nobody waits for the answer any more (the API sets it when
    /// a request is abandoned): checked between stages and between proofs,
    /// the verification then stops with [`FormatError::Cancelled`].
    pub cancel: Option<&'a AtomicBool>,
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
    /// An image without a baked badge, or a damaged one.
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
        Err(e) => return Err(FormatError::Unbake(e.to_string())),
    };
    let mut v = verify_extracted(bytes, extracted, registry, now, opts)?;
    if let Some(trust) = opts.trust {
        let t = TrustOptions {
            max_age_secs: opts.max_age_secs,
            require_listed: opts.require_listed,
        };
        trust.assess_verdict(&mut v, registry, now, t);
    }
    Ok(v)
}

fn verify_extracted(
    bytes: &[u8],
    extracted: Extracted,
    registry: Option<&Registry>,
    now: Timestamp,
    opts: &Options<'_>,
) -> Result<Value, FormatError> {
    let (carrier, text) = match extracted {
        Extracted::Native => return native(bytes, registry, now, opts),
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
    let mut v = if looks_like_ob3(&text) {
        ob3_verdict(text.as_bytes(), registry, now, opts)?
    } else {
        ob2_verdict(&text, now, opts)
    };
    v["carrier"] = carrier;
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
    let mut v = serde_json::to_value(VerifyResponse::new(verdict, r)).unwrap_or(Value::Null);
    v["format"] = json!("native");
    v["carrier"] = Value::Null;
    v["recipient"] = native_recipient(bytes);
    Ok(v)
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

/// Whether `text` is a VC (OB 3.0) rather than an OB 2.0 assertion.
pub(crate) fn looks_like_ob3(text: &str) -> bool {
    let head: String = text.chars().take(4096).collect();
    head.contains("https://www.w3.org/ns/credentials/")
        || head.contains("https://www.w3.org/2018/credentials/v1")
}

fn ob3_verdict(
    bytes: &[u8],
    registry: Option<&Registry>,
    now: Timestamp,
    opts: &Options<'_>,
) -> Result<Value, FormatError> {
    let lookup = |did: &str| opts.held.and_then(|h| h.dids.get(did));
    let verdict = match ob3::verify_credential(
        bytes,
        now,
        &ob3::VerifyOptions {
            recipient: opts.recipient,
            dids: Some(&lookup),
            cancel: opts.cancel,
        },
    ) {
        Err(ob3::CredentialError::Proof(badgemesh_openbadges::proof::ProofError::Rdf(e))) => {
            return Ok(refused_by_json_ld(bytes, now, &e.to_string()));
        }
        other => other.map_err(credential_error)?,
    };
    cancelled(opts)?;
    let doc: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
    let mut checks: Vec<Value> = verdict
        .checks
        .iter()
        .map(|c| {
            let name = match c.name {
                ob3::CheckName::Structure => "structure",
                ob3::CheckName::Proof => "signature",
                ob3::CheckName::Validity => "validity_period",
                ob3::CheckName::Recipient => "recipient",
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
    let link = badgemesh_openbadges::export::native_link_json(bytes);
    let state = link.and_then(|(issuer, _, _)| registry.and_then(|r| r.issuer(&issuer)));
    let revocation_check = match (link, state) {
        (Some((_, Some(index), _)), Some(s)) => {
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
        }
        _ if !verdict.status.is_empty() => {
            held_status(&verdict, now, opts, &mut outcome, &mut revocation)
        }
        _ => check(
            "revocation",
            "skipped",
            "the credential declares no status list",
        ),
    };
    checks.push(revocation_check);
    let achievement = &doc["credentialSubject"]["achievement"];
    let image = achievement["image"]["id"]
        .as_str()
        .or_else(|| achievement["image"].as_str());
    Ok(json!({
        "format": "ob3",
        "outcome": outcome,
        "checks": checks,
        "assertion": verdict.credential_id,
        "issuer": verdict.issuer,
        "issuer_name": doc["issuer"]["name"],
        "issuer_url": doc["issuer"]["url"],
        "badge": {
            "name": verdict.achievement_name,
            "description": achievement["description"],
            "criteria": { "narrative": achievement["criteria"]["narrative"], "url": achievement["criteria"]["id"] },
            "image": image.map(|uri| json!({ "uri": uri })),
        },
        "issued_on": verdict.valid_from,
        "expires": verdict.valid_until,
        "checked_at": now,
        "cryptosuite": verdict.cryptosuite,
        "legacy_suite": verdict.legacy_suite,
        "revocation": revocation,
        "recipient": ob3_recipient(&doc),
    }))
}

/// The trusted key a signed OB 2.0 badge names, if the node holds it.
fn trusted_ob2_key(text: &str, keys: &Ob2Keys) -> Option<TrustedKey> {
    use badgemesh_bake::ob2;
    let jws = ob2::decode_jws(text.trim()).ok()?;
    let creator = ob2::parse(&jws.payload).ok()?.verification.creator?;
    keys.get(&creator).ok().flatten()
}

/// The revocation check of a credential that is not one of the network's
/// own, against the status list credentials the node holds. Anything short
/// of a held, current list signed by the credential's issuer leaves the
/// status unknown.
fn held_status(
    verdict: &ob3::Verdict,
    now: Timestamp,
    opts: &Options<'_>,
    outcome: &mut &'static str,
    revocation: &mut Value,
) -> Value {
    let mut unknown = |why: String| {
        if *outcome == "valid" {
            *outcome = "indeterminate";
        }
        check("revocation", "unknown", format!("status unknown: {why}"))
    };
    let entries: Vec<_> = verdict
        .status
        .iter()
        .filter(|s| s.purpose == "revocation")
        .collect();
    if entries.is_empty() {
        return unknown("only revocation status lists are checked".into());
    }
    let mut as_of = Vec::new();
    for entry in entries {
        let url = entry.list_url.as_str();
        let held = opts
            .held
            .map(|h| h.status_lists.get(url))
            .transpose()
            .map(Option::flatten);
        let list = match held {
            Ok(Some(list)) => list,
            Ok(None) => return unknown(format!("this node holds no status list for {url}")),
            Err(e) => return unknown(format!("the held status list for {url} is unusable: {e}")),
        };
        let signer = list.issuer.to_did();
        if verdict.issuer.as_deref() != Some(signer.as_str()) {
            return unknown(format!(
                "the held list for {url} is signed by {signer}, not the credential's issuer"
            ));
        }
        if list.purpose != "revocation" {
            return unknown(format!(
                "the held list for {url} is a {} list",
                list.purpose
            ));
        }
        if list.is_stale(now) {
            return unknown(format!("the held list for {url} is past its validUntil"));
        }
        let age = list.valid_from.map(|t| now.since(t));
        if let (Some(max), Some(age)) = (opts.max_age_secs, age)
            && age > max
        {
            return unknown(format!("the held list for {url} is {age} s old"));
        }
        match list.is_set(entry.index) {
            Some(true) => {
                if *outcome != "invalid" {
                    *outcome = "revoked";
                }
                *revocation =
                    json!({ "status_list": url, "as_of": list.valid_from, "age_secs": age });
                return check(
                    "revocation",
                    "fail",
                    format!("revoked in the held status list {url}"),
                );
            }
            Some(false) => {
                as_of.push(json!({ "status_list": url, "as_of": list.valid_from, "age_secs": age }))
            }
            None => return unknown(format!("index {} is outside the list {url}", entry.index)),
        }
    }
    let detail = as_of
        .iter()
        .map(|a| {
            format!(
                "{} as of {}",
                a["status_list"].as_str().unwrap_or(""),
                a["as_of"]
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    // One entry is the rule; the first stands for all in the summary.
    *revocation = as_of.first().cloned().unwrap_or(Value::Null);
    check(
        "revocation",
        "pass",
        format!("not revoked in the held status list {detail}"),
    )
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
    let v = ob2::verify(
        text,
        &ob2::Ob2Options {
            now: now_jiff,
            issuer_key_pem: opts
                .ob2_issuer_key_pem
                .or(trusted.as_ref().map(|k| k.public_key_pem.as_str())),
            recipient: opts.recipient,
            documents: opts.held.map(|_| ob2::Documents(&lookup)),
        },
    );
    let outcome = match v.outcome {
        ob2::Outcome::Valid => "valid",
        ob2::Outcome::Invalid => "invalid",
        ob2::Outcome::Indeterminate => "indeterminate",
    };
    let mut checks: Vec<Value> = v
        .reasons
        .iter()
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
    checks.extend(v.notes.iter().map(|n| check("note", "skipped", n.clone())));
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
        "revocation": Value::Null,
        "sources": sources,
        "missing": v.missing,
    })
}

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
