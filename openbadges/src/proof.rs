//! Data Integrity proofs: `eddsa-rdfc-2022` (signed and verified),
//! `eddsa-jcs-2022`, `ecdsa-rdfc-2019` and `ecdsa-jcs-2019` (verified).
//!
//! The signed message is `hashData = H(canonProofOptions) ||
//! H(canonDocument)`: the proof options are the proof without
//! `proofValue`, given the document's `@context`; the document is the
//! credential without `proof`; both are canonicalized with RDFC-1.0 (or
//! JCS for the `-jcs-` suites, see [`crate::jcs`]). `H` is SHA-256, except
//! SHA-384 for ECDSA with a P-384 key (W3C vc-di-ecdsa). The signature is
//! Ed25519 (checked with `verify_strict`) or ECDSA over `hashData` as IEEE
//! P1363 `r || s`, and `proofValue` is its multibase base58btc (`z...`)
//! text. The legacy suite name `eddsa-2022` (same algorithm) is verified too
//! and reported as legacy. `ecdsa-sd-2023` derived proofs (selective
//! disclosure, P-256) are verified by [`crate::sd`]; each canonicalizes the
//! disclosed document on its own, since its blank node labels are the
//! issuer's.

use std::sync::atomic::{AtomicBool, Ordering};

use badgemesh_protocol::keys::{PublicKey, SecretKey};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256, Sha384};

use crate::canon::{CanonError, canonicalize, canonicalize_sha384};
use crate::contexts::ContextSet;
use crate::did::{DidLookup, resolve_did_key};
use crate::jcs::{ECDSA_JCS_2019, EDDSA_JCS_2022};
use crate::keys::VerificationKey;
use crate::limits::MAX_PROOFS;
use crate::rdf::{RdfError, to_rdf, to_rdf_full};

/// The only cryptosuite this crate signs with.
pub const EDDSA_RDFC_2022: &str = "eddsa-rdfc-2022";
/// The pre-standard name of the same algorithm.
pub const EDDSA_2022: &str = "eddsa-2022";
/// The older Ed25519 suite (its own proof type and context).
pub const ED25519_SIGNATURE_2020: &str = "Ed25519Signature2020";
/// ECDSA with RDFC-1.0: P-256 with SHA-256, P-384 with SHA-384.
pub const ECDSA_RDFC_2019: &str = "ecdsa-rdfc-2019";
/// ECDSA selective disclosure: derived proofs are verified (see
/// [`crate::sd`]), base proofs are not for verifiers.
pub const ECDSA_SD_2023: &str = "ecdsa-sd-2023";
/// Longest `proofValue` text read (a P-384 signature is about 132
/// characters of base58btc).
const MAX_PROOF_VALUE_CHARS: usize = 200;
/// A proof could not be computed or checked at all.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProofError {
    /// JSON-LD processing failed (unknown context, undefined term...).
    #[error(transparent)]
    Rdf(#[from] RdfError),
    /// RDFC-1.0 failed or was refused.
    #[error(transparent)]
    Canon(#[from] CanonError),
    /// The caller cancelled between proofs.
    #[error("verification cancelled")]
    Cancelled,
    /// More than [`MAX_PROOFS`] proofs: refused before any is checked, since
    /// each may cost a canonicalization of its own.
    #[error("{found} proofs (at most {MAX_PROOFS} are checked)")]
    TooManyProofs {
        /// How many entries `proof` has.
        found: usize,
    },
}

/// The two canonical forms and the message they make, for inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashData {
    /// Canonical N-Quads of the proof options.
    pub canonical_proof: String,
    /// Canonical N-Quads of the document without its proof.
    pub canonical_document: String,
    /// `SHA-256(canonical_proof) || SHA-256(canonical_document)`.
    pub message: [u8; 64],
}

/// Computes the eddsa-rdfc-2022 message for `doc` (its `proof` member is
/// ignored) and `proof` (its `proofValue` member is ignored). Fixed-shape
/// proof options skip JSON-LD processing (see [`proof_template`]).
pub fn hash_data(
    doc: &Map<String, Value>,
    proof: &Map<String, Value>,
    contexts: &ContextSet,
) -> Result<HashData, ProofError> {
    hash_data_inner(doc, proof, contexts, true)
}

/// [`hash_data`] always through full JSON-LD processing (the reference path,
/// for tests and benchmarks).
pub fn hash_data_full(
    doc: &Map<String, Value>,
    proof: &Map<String, Value>,
    contexts: &ContextSet,
) -> Result<HashData, ProofError> {
    hash_data_inner(doc, proof, contexts, false)
}

fn hash_data_inner(
    doc: &Map<String, Value>,
    proof: &Map<String, Value>,
    contexts: &ContextSet,
    template: bool,
) -> Result<HashData, ProofError> {
    let canonical_proof = canonical_proof(doc, proof, contexts, template)?;
    let canonical_document = canonical_document(doc, contexts, template)?;
    let mut message = [0u8; 64];
    message[..32].copy_from_slice(&Sha256::digest(canonical_proof.as_bytes()));
    message[32..].copy_from_slice(&Sha256::digest(canonical_document.as_bytes()));
    Ok(HashData {
        canonical_proof,
        canonical_document,
        message,
    })
}

/// The canonical N-Quads of `doc` without its `proof`: the half of the
/// message every proof of one document shares.
fn canonical_document(
    doc: &Map<String, Value>,
    contexts: &ContextSet,
    template: bool,
) -> Result<String, ProofError> {
    let mut unsecured = doc.clone();
    unsecured.shift_remove("proof");
    let rdf = if template { to_rdf } else { to_rdf_full };
    Ok(canonicalize(&rdf(&unsecured, contexts)?)?)
}

/// The proof options: `proof` without `proofValue`, under `doc`'s
/// `@context`.
fn proof_config(doc: &Map<String, Value>, proof: &Map<String, Value>) -> Map<String, Value> {
    let mut options = Map::with_capacity(proof.len() + 1);
    if let Some(ctx) = doc.get("@context") {
        options.insert("@context".into(), ctx.clone());
    }
    for (k, v) in proof {
        if k != "proofValue" && k != "@context" {
            options.insert(k.clone(), v.clone());
        }
    }
    options
}

/// The canonical N-Quads of `proof`'s options (without `proofValue`, under
/// `doc`'s `@context`).
fn canonical_proof(
    doc: &Map<String, Value>,
    proof: &Map<String, Value>,
    contexts: &ContextSet,
    template: bool,
) -> Result<String, ProofError> {
    let options = proof_config(doc, proof);
    if template && let Some(t) = proof_template(&options, contexts) {
        return Ok(t);
    }
    let rdf = if template { to_rdf } else { to_rdf_full };
    Ok(canonicalize(&rdf(&options, contexts)?)?)
}

/// [`canonical_proof`] canonicalized with SHA-384 (P-384 `ecdsa-rdfc-2019`).
/// Fixed-shape options have one blank node, labelled `_:c14n0` whatever the
/// hash, so the template still applies.
fn canonical_proof_sha384(
    doc: &Map<String, Value>,
    proof: &Map<String, Value>,
    contexts: &ContextSet,
) -> Result<String, ProofError> {
    let options = proof_config(doc, proof);
    if let Some(t) = proof_template(&options, contexts) {
        return Ok(t);
    }
    Ok(canonicalize_sha384(&to_rdf(&options, contexts)?)?)
}

/// The canonical N-Quads of the proof options and of the document (in that
/// order) as `ecdsa-rdfc-2019` with a P-384 key makes them: RDFC-1.0 with
/// SHA-384. (With SHA-256, [`hash_data`] gives them.)
pub fn canonical_forms_sha384(
    doc: &Map<String, Value>,
    proof: &Map<String, Value>,
    contexts: &ContextSet,
) -> Result<(String, String), ProofError> {
    let mut unsecured = doc.clone();
    unsecured.shift_remove("proof");
    Ok((
        canonical_proof_sha384(doc, proof, contexts)?,
        canonicalize_sha384(&to_rdf(&unsecured, contexts)?)?,
    ))
}

/// The SHA-256 of a document's canonical form, computed on first use and
/// shared by all its proofs (a document with several proofs is
/// canonicalized once, not once per proof).
struct DocumentDigest<'a> {
    doc: &'a Map<String, Value>,
    /// A proof chain's document: `proof` holds the previous proofs, which
    /// the signature covers, so it is canonicalized with them.
    chained: bool,
    digest: Option<[u8; 32]>,
    /// The SHA-384 digest of the canonical form made with SHA-384
    /// (`ecdsa-rdfc-2019` with P-384), once a proof needed it.
    digest384: Option<[u8; 48]>,
}

impl<'a> DocumentDigest<'a> {
    fn new(doc: &'a Map<String, Value>) -> Self {
        DocumentDigest {
            doc,
            chained: false,
            digest: None,
            digest384: None,
        }
    }

    /// The digest of `doc` as it is, its `proof` (the previous proofs of a
    /// chain) included.
    fn chained(doc: &'a Map<String, Value>) -> Self {
        DocumentDigest {
            chained: true,
            ..DocumentDigest::new(doc)
        }
    }

    fn get(&mut self, contexts: &ContextSet) -> Result<[u8; 32], ProofError> {
        if let Some(d) = self.digest {
            return Ok(d);
        }
        let canonical = if self.chained {
            canonicalize(&to_rdf_full(self.doc, contexts)?)?
        } else {
            canonical_document(self.doc, contexts, true)?
        };
        let d: [u8; 32] = Sha256::digest(canonical.as_bytes()).into();
        self.digest = Some(d);
        Ok(d)
    }

    /// The SHA-384 of the document canonicalized with SHA-384.
    fn get384(&mut self, contexts: &ContextSet) -> Result<[u8; 48], ProofError> {
        if let Some(d) = self.digest384 {
            return Ok(d);
        }
        let mut unsecured = self.doc.clone();
        if !self.chained {
            unsecured.shift_remove("proof");
        }
        let canonical = canonicalize_sha384(&to_rdf(&unsecured, contexts)?)?;
        let d: [u8; 48] = Sha384::digest(canonical.as_bytes()).into();
        self.digest384 = Some(d);
        Ok(d)
    }
}

/// The canonical N-Quads of fixed-shape proof options, without JSON-LD
/// processing: `{type: DataIntegrityProof, created, verificationMethod,
/// cryptosuite, proofPurpose: assertionMethod}` under a `@context` that starts
/// with credentials v2 and holds only pinned contexts that cannot change these
/// terms (credentials v2 protects them). `None` for anything else, which then
/// takes the full path; tests check both paths agree.
pub fn proof_template(options: &Map<String, Value>, contexts: &ContextSet) -> Option<String> {
    use crate::contexts::{
        CREDENTIALS_V2, DATA_INTEGRITY_V2, MULTIKEY_V1, OB_EXTENSIONS, is_ob_context,
    };
    if options.len() != 6 {
        return None;
    }
    let ctx = options.get("@context")?.as_array()?;
    if ctx.first()?.as_str()? != CREDENTIALS_V2 {
        return None;
    }
    for c in ctx {
        let url = c.as_str()?;
        let known = url == CREDENTIALS_V2
            || url == DATA_INTEGRITY_V2
            || url == MULTIKEY_V1
            || url == OB_EXTENSIONS
            || is_ob_context(url);
        if !known || !contexts.contains(url) {
            return None;
        }
    }
    let text = |k: &str| options.get(k).and_then(Value::as_str);
    if text("type")? != "DataIntegrityProof" || text("proofPurpose")? != "assertionMethod" {
        return None;
    }
    let suite = text("cryptosuite")?;
    if suite != EDDSA_RDFC_2022 && suite != EDDSA_2022 && suite != ECDSA_RDFC_2019 {
        return None;
    }
    let created = text("created")?;
    if created.is_empty()
        || created.len() > 64
        || !created
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'-' | b'+' | b'.'))
    {
        return None;
    }
    let vm = text("verificationMethod")?;
    // Only did:key methods, whose characters need no escaping in N-Quads.
    if !vm.starts_with("did:key:z")
        || vm.len() > 200
        || !vm
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'#'))
    {
        return None;
    }
    Some(format!(
        "_:c14n0 <http://purl.org/dc/terms/created> \"{created}\"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n\
         _:c14n0 <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/security#DataIntegrityProof> .\n\
         _:c14n0 <https://w3id.org/security#cryptosuite> \"{suite}\"^^<https://w3id.org/security#cryptosuiteString> .\n\
         _:c14n0 <https://w3id.org/security#proofPurpose> <https://w3id.org/security#assertionMethod> .\n\
         _:c14n0 <https://w3id.org/security#verificationMethod> <{vm}> .\n"
    ))
}

/// The proof options to sign with: a `DataIntegrityProof` with
/// `eddsa-rdfc-2022` for `assertionMethod`.
pub fn proof_options(verification_method: &str, created: &str) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("type".into(), "DataIntegrityProof".into());
    p.insert("created".into(), created.into());
    p.insert("verificationMethod".into(), verification_method.into());
    p.insert("cryptosuite".into(), EDDSA_RDFC_2022.into());
    p.insert("proofPurpose".into(), "assertionMethod".into());
    p
}

/// Signs `doc` with `key` and stores the proof (with `proofValue`) as its
/// `proof` member, replacing any proof it had.
pub fn sign(
    doc: &mut Map<String, Value>,
    mut proof: Map<String, Value>,
    key: &SecretKey,
    contexts: &ContextSet,
) -> Result<(), ProofError> {
    doc.shift_remove("proof");
    let hd = hash_data(doc, &proof, contexts)?;
    let sig = key.sign(&hd.message);
    proof.insert(
        "proofValue".into(),
        multibase::encode(multibase::Base::Base58Btc, sig).into(),
    );
    doc.insert("proof".into(), Value::Object(proof));
    Ok(())
}

/// Decodes a `z...` proofValue into a 64-byte signature.
pub fn decode_proof_value(text: &str) -> Option<[u8; 64]> {
    if !text.starts_with('z') || text.len() > 100 {
        return None;
    }
    let (_, bytes) = multibase::decode(text).ok()?;
    bytes.try_into().ok()
}

/// Decodes a `z...` proofValue of any length (ECDSA signatures are 64 or 96
/// bytes), bounded.
fn decode_proof_bytes(text: &str) -> Option<Vec<u8>> {
    if !text.starts_with('z') || text.len() > MAX_PROOF_VALUE_CHARS {
        return None;
    }
    multibase::decode(text).ok().map(|(_, bytes)| bytes)
}

/// Checks one proof over `doc` with a known key (no key discovery).
pub fn verify_with_key(
    doc: &Map<String, Value>,
    proof: &Map<String, Value>,
    key: &PublicKey,
    contexts: &ContextSet,
) -> Result<bool, ProofError> {
    let Some(sig) = proof
        .get("proofValue")
        .and_then(Value::as_str)
        .and_then(decode_proof_value)
    else {
        return Ok(false);
    };
    verify_signature(&mut DocumentDigest::new(doc), proof, key, &sig, contexts)
}

/// The signature check proper, with the document's digest shared between
/// proofs.
fn verify_signature(
    document: &mut DocumentDigest<'_>,
    proof: &Map<String, Value>,
    key: &PublicKey,
    sig: &[u8; 64],
    contexts: &ContextSet,
) -> Result<bool, ProofError> {
    let canonical_proof = canonical_proof(document.doc, proof, contexts, true)?;
    let mut message = [0u8; 64];
    message[..32].copy_from_slice(&Sha256::digest(canonical_proof.as_bytes()));
    message[32..].copy_from_slice(&document.get(contexts)?);
    Ok(key.verify(&message, sig))
}

/// How one embedded proof fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofOutcome {
    /// The signature checks and its key is controlled by the issuer.
    Verified {
        /// The cryptosuite name.
        cryptosuite: String,
        /// Whether the suite is a deprecated one (`eddsa-2022`).
        legacy: bool,
        /// The verification method used.
        verification_method: String,
        /// The proof's `created` text, if any.
        created: Option<String>,
    },
    /// The proof is wrong: bad signature, wrong purpose, or a key the issuer
    /// does not control.
    Invalid(String),
    /// The proof could not be checked offline (unsupported suite or a key
    /// that is not a did:key).
    Unsupported(String),
}

/// Why a verification method can never resolve, if it cannot: no scheme
/// (`z6Mk...`), a scheme with nothing after it (`xxx:`), or the reserved
/// example DID method (`did:example:`), as 1EdTech's validator and Digital
/// Bazaar's verifier treat them: the proof is invalid, not undecided.
fn malformed_method(vm: &str) -> Option<&'static str> {
    let Some((scheme, rest)) = vm.split_once(':') else {
        return Some("not a URL or DID (it has no scheme)");
    };
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok || rest.is_empty() || vm.chars().any(char::is_whitespace) {
        return Some("not a URL or DID");
    }
    if vm.starts_with("did:example:") {
        return Some("in the did:example method, which names no real key");
    }
    if scheme == "did"
        && rest
            .split_once(':')
            .is_none_or(|(m, id)| m.is_empty() || id.is_empty())
    {
        return Some("not a DID (did:METHOD:ID)");
    }
    None
}

/// The key an `https` verification method carries in its fragment, as
/// 1EdTech's examples do (`https://example.edu/issuers/565049#z6Mk...`): the
/// multikey (Ed25519, P-256 or P-384), controlled by the URL without its
/// fragment. The key is taken at its word for the signature; whether that
/// URL belongs to whom it names is the issuer-trust question, not this one.
fn url_key_of(vm: &str) -> Option<(String, VerificationKey)> {
    let (url, fragment) = vm.split_once('#')?;
    if !(url.starts_with("https://") || url.starts_with("http://")) || !fragment.starts_with('z') {
        return None;
    }
    let key = VerificationKey::from_multikey(fragment).ok()?;
    Some((url.to_owned(), key))
}

/// Checks every proof of `doc` against `issuer_id` (the credential's issuer):
/// returns the first verified proof, or else the most telling failure.
/// Verification methods that are not `did:key`s are looked up in the DID
/// documents `dids` finds (none without it). More than [`MAX_PROOFS`] proofs
/// is [`ProofError::TooManyProofs`], before any is looked at.
pub fn check_proofs(
    doc: &Map<String, Value>,
    issuer_id: &str,
    contexts: &ContextSet,
    dids: Option<DidLookup<'_>>,
) -> Result<ProofOutcome, ProofError> {
    check_proofs_counted(doc, issuer_id, contexts, dids, None).map(|(outcome, _)| outcome)
}

/// [`check_proofs`], also returning how many signatures it checked (each
/// one a canonicalization of the proof options; the document's own is
/// computed once for all of them). When `cancel` is set, it stops before the
/// next proof with [`ProofError::Cancelled`].
pub fn check_proofs_counted(
    doc: &Map<String, Value>,
    issuer_id: &str,
    contexts: &ContextSet,
    dids: Option<DidLookup<'_>>,
    cancel: Option<&AtomicBool>,
) -> Result<(ProofOutcome, usize), ProofError> {
    let want = ProofFor {
        purpose: "assertionMethod",
        controller: Some(issuer_id),
    };
    check_proofs_for(doc, want, contexts, dids, cancel)
}

/// What a proof must be for: its `proofPurpose`, and who must control its
/// key. A credential's proofs are for `assertionMethod` by its issuer; a
/// presentation's for `authentication` by its holder.
#[derive(Clone, Copy, Debug)]
pub struct ProofFor<'a> {
    /// The `proofPurpose` every proof must have.
    pub purpose: &'a str,
    /// The key's controller; `None` takes anyone's key (a presentation
    /// that names no holder).
    pub controller: Option<&'a str>,
}

/// [`check_proofs_counted`] for proofs of any purpose and controller. A DID
/// document's keys are read for `assertionMethod` only, so other purposes
/// are checked with did:keys and keys in URL fragments; a DID document's key
/// leaves the proof unsupported.
pub fn check_proofs_for(
    doc: &Map<String, Value>,
    want: ProofFor<'_>,
    contexts: &ContextSet,
    dids: Option<DidLookup<'_>>,
    cancel: Option<&AtomicBool>,
) -> Result<(ProofOutcome, usize), ProofError> {
    let no_proof = || Ok((ProofOutcome::Invalid("no proof".into()), 0));
    let proofs: Vec<&Map<String, Value>> = match doc.get("proof") {
        Some(Value::Object(p)) => vec![p],
        Some(Value::Array(ps)) if ps.len() > MAX_PROOFS => {
            return Err(ProofError::TooManyProofs { found: ps.len() });
        }
        Some(Value::Array(ps)) => ps.iter().filter_map(Value::as_object).collect(),
        _ => return no_proof(),
    };
    if proofs.is_empty() {
        return no_proof();
    }
    let mut document = DocumentDigest::new(doc);
    let mut checked = 0;
    let mut worst: Option<ProofOutcome> = None;
    for proof in &proofs {
        if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(ProofError::Cancelled);
        }
        let outcome = match chained_document(doc, proof, &proofs) {
            Chain::None => check_one(&mut document, proof, want, contexts, dids, &mut checked)?,
            Chain::Broken(why) => ProofOutcome::Invalid(why),
            Chain::Document(chained) => check_one(
                &mut DocumentDigest::chained(&chained),
                proof,
                want,
                contexts,
                dids,
                &mut checked,
            )?,
        };
        match outcome {
            ProofOutcome::Verified { .. } => return Ok((outcome, checked)),
            ProofOutcome::Invalid(_) => worst = Some(outcome),
            ProofOutcome::Unsupported(_) => {
                if worst.is_none() {
                    worst = Some(outcome);
                }
            }
        }
    }
    let outcome = worst.unwrap_or_else(|| ProofOutcome::Invalid("no proof".into()));
    Ok((outcome, checked))
}

/// What a proof's `previousProof` makes of the document it signs.
enum Chain {
    /// Not part of a chain: the document without its proofs.
    None,
    /// The document with `proof` set to the previous proofs (Data
    /// Integrity, "verify proof sets and chains").
    Document(Map<String, Value>),
    /// `previousProof` is malformed or names a proof that is not there.
    Broken(String),
}

fn chained_document(
    doc: &Map<String, Value>,
    proof: &Map<String, Value>,
    all: &[&Map<String, Value>],
) -> Chain {
    let ids: Vec<&str> = match proof.get("previousProof") {
        None => return Chain::None,
        Some(Value::String(id)) => vec![id.as_str()],
        Some(Value::Array(ids)) if ids.iter().all(Value::is_string) => {
            ids.iter().filter_map(Value::as_str).collect()
        }
        Some(_) => {
            return Chain::Broken("previousProof must be a string or a list of strings".into());
        }
    };
    let mut previous = Vec::with_capacity(ids.len());
    for id in ids {
        match all
            .iter()
            .find(|p| p.get("id").and_then(Value::as_str) == Some(id))
        {
            Some(p) => previous.push(Value::Object((*p).clone())),
            None => return Chain::Broken(format!("previousProof {id} is not among the proofs")),
        }
    }
    let mut chained = doc.clone();
    let proofs = if previous.len() == 1 {
        previous.remove(0)
    } else {
        Value::Array(previous)
    };
    chained.insert("proof".into(), proofs);
    Chain::Document(chained)
}

fn check_one(
    document: &mut DocumentDigest<'_>,
    proof: &Map<String, Value>,
    want: ProofFor<'_>,
    contexts: &ContextSet,
    dids: Option<DidLookup<'_>>,
    checked: &mut usize,
) -> Result<ProofOutcome, ProofError> {
    let ptype = proof.get("type").and_then(Value::as_str).unwrap_or("");
    let suite = proof
        .get("cryptosuite")
        .and_then(Value::as_str)
        .unwrap_or("");
    // Ed25519Signature2020 hashes and signs exactly as eddsa-rdfc-2022 does
    // (RDFC-1.0 of the proof options and of the document, SHA-256 each,
    // Ed25519); only the proof's type names it instead of a cryptosuite.
    let (suite, legacy) = match (ptype, suite) {
        ("DataIntegrityProof", EDDSA_RDFC_2022) => (EDDSA_RDFC_2022, false),
        ("DataIntegrityProof", EDDSA_JCS_2022) => (EDDSA_JCS_2022, false),
        ("DataIntegrityProof", EDDSA_2022) => (EDDSA_2022, true),
        (ED25519_SIGNATURE_2020, "") => (ED25519_SIGNATURE_2020, true),
        ("DataIntegrityProof", ECDSA_RDFC_2019) => (ECDSA_RDFC_2019, false),
        ("DataIntegrityProof", ECDSA_JCS_2019) => (ECDSA_JCS_2019, false),
        ("DataIntegrityProof", ECDSA_SD_2023) => (ECDSA_SD_2023, false),
        _ => {
            return Ok(ProofOutcome::Unsupported(format!(
                "unsupported proof type {ptype:?} / cryptosuite {suite:?}"
            )));
        }
    };
    if proof.get("proofPurpose").and_then(Value::as_str) != Some(want.purpose) {
        return Ok(ProofOutcome::Invalid(format!(
            "proofPurpose is not {}",
            want.purpose
        )));
    }
    let Some(vm) = proof.get("verificationMethod").and_then(Value::as_str) else {
        return Ok(ProofOutcome::Invalid("no verificationMethod".into()));
    };
    let (controller, key) = if vm.starts_with("did:key:") {
        match resolve_did_key(vm) {
            Ok(resolved) => resolved,
            Err(e) => {
                return Ok(ProofOutcome::Invalid(format!(
                    "verification method {vm} is not a usable did:key: {e}"
                )));
            }
        }
    } else if let Some(form) = malformed_method(vm) {
        return Ok(ProofOutcome::Invalid(format!(
            "verification method {vm:?} is {form}"
        )));
    } else if let Some((controller, key)) = url_key_of(vm) {
        (controller, key)
    } else if !vm.starts_with("did:") {
        return Ok(ProofOutcome::Unsupported(format!(
            "verification method {vm} names no key in its fragment, and fetching it is not done offline"
        )));
    } else {
        let did = vm.split('#').next().unwrap_or(vm);
        let Some(document) = dids.and_then(|find| find(did)) else {
            return Ok(ProofOutcome::Unsupported(format!(
                "verification method {vm} is not a did:key, and no DID document for {did} is held \
                 (it cannot be resolved offline)"
            )));
        };
        if want.purpose != "assertionMethod" {
            return Ok(ProofOutcome::Unsupported(format!(
                "the {} keys of DID documents are not read (only did:keys sign for it here)",
                want.purpose
            )));
        }
        let Some(key) = document.assertion_key(vm) else {
            return Ok(ProofOutcome::Invalid(format!(
                "the DID document of {did} lists no supported assertionMethod {vm}"
            )));
        };
        (document.id.clone(), key.clone())
    };
    if let Some(wanted) = want.controller
        && controller != wanted
    {
        let whom = if want.purpose == "assertionMethod" {
            "the issuer"
        } else {
            "the holder"
        };
        return Ok(ProofOutcome::Invalid(format!(
            "key controller {controller} is not {whom} {wanted}"
        )));
    }
    let proof_value = proof.get("proofValue").and_then(Value::as_str);
    let bad_signature = || Ok(ProofOutcome::Invalid("signature does not verify".into()));
    let verified = match (&key, suite) {
        // Ed25519: the fast path, a fixed 64-byte signature and `verify_strict`.
        (VerificationKey::Ed25519(key), _) if !suite.starts_with("ecdsa-") => {
            let Some(sig) = proof_value.and_then(decode_proof_value) else {
                return bad_signature();
            };
            *checked += 1;
            if suite == EDDSA_JCS_2022 {
                match crate::jcs::hash_data(document.doc, proof) {
                    Ok(hd) => key.verify(&hd.message, &sig),
                    Err(e) => return Ok(ProofOutcome::Invalid(e.to_string())),
                }
            } else {
                verify_signature(document, proof, key, &sig, contexts)?
            }
        }
        (VerificationKey::P384(_), ECDSA_SD_2023) => {
            return Ok(ProofOutcome::Unsupported(
                "ecdsa-sd-2023 is verified with P-256 keys only".into(),
            ));
        }
        (VerificationKey::P256(_), ECDSA_SD_2023) => {
            *checked += 1;
            let canonical_proof = canonical_proof(document.doc, proof, contexts, true)?;
            let data = match crate::sd::create_verify_data(
                document.doc,
                proof,
                &canonical_proof,
                contexts,
            )? {
                Ok(data) => data,
                Err(why) => return Ok(ProofOutcome::Invalid(why)),
            };
            if let Err(why) = crate::sd::verify_derived(&data, &key) {
                return Ok(ProofOutcome::Invalid(why));
            }
            true
        }
        (VerificationKey::P256(_) | VerificationKey::P384(_), ECDSA_RDFC_2019 | ECDSA_JCS_2019) => {
            let Some(sig) = proof_value.and_then(decode_proof_bytes) else {
                return bad_signature();
            };
            *checked += 1;
            let p384 = matches!(key, VerificationKey::P384(_));
            let message = if suite == ECDSA_JCS_2019 {
                match crate::jcs::canonical_forms(document.doc, proof) {
                    Ok((p, d)) => concat_hashes(p384, &p, &d),
                    Err(e) => return Ok(ProofOutcome::Invalid(e.to_string())),
                }
            } else if p384 {
                // RDFC-1.0 itself runs with SHA-384 for P-384 (vc-di-ecdsa).
                let canonical_proof = canonical_proof_sha384(document.doc, proof, contexts)?;
                let mut m = Sha384::digest(canonical_proof.as_bytes()).to_vec();
                m.extend_from_slice(&document.get384(contexts)?);
                m
            } else {
                let canonical_proof = canonical_proof(document.doc, proof, contexts, true)?;
                let mut m = Sha256::digest(canonical_proof.as_bytes()).to_vec();
                m.extend_from_slice(&document.get(contexts)?);
                m
            };
            key.verify(&message, &sig)
        }
        _ => {
            return Ok(ProofOutcome::Invalid(format!(
                "a {} key cannot make a {suite} proof",
                key.key_type()
            )));
        }
    };
    if !verified {
        return Ok(ProofOutcome::Invalid("signature does not verify".into()));
    }
    Ok(ProofOutcome::Verified {
        cryptosuite: suite.to_owned(),
        legacy,
        verification_method: vm.to_owned(),
        created: proof
            .get("created")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

/// `H(proof) || H(document)`, with SHA-384 or SHA-256.
fn concat_hashes(sha384: bool, proof: &str, document: &str) -> Vec<u8> {
    if sha384 {
        let mut m = Sha384::digest(proof.as_bytes()).to_vec();
        m.extend_from_slice(&Sha384::digest(document.as_bytes()));
        m
    } else {
        let mut m = Sha256::digest(proof.as_bytes()).to_vec();
        m.extend_from_slice(&Sha256::digest(document.as_bytes()));
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contexts::{DATA_INTEGRITY_V2, MULTIKEY_V1, OB_EXTENSIONS, OB_V3P0_2, OB_V3P0_3};

    #[test]
    fn proof_template_matches_full_processing() {
        let contexts = ContextSet::pinned();
        let vm = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
        let ctxs: [&[&str]; 5] = [
            &[crate::contexts::CREDENTIALS_V2],
            &[crate::contexts::CREDENTIALS_V2, OB_V3P0_3],
            &[crate::contexts::CREDENTIALS_V2, OB_V3P0_2, OB_EXTENSIONS],
            &[crate::contexts::CREDENTIALS_V2, DATA_INTEGRITY_V2],
            &[crate::contexts::CREDENTIALS_V2, OB_V3P0_3, MULTIKEY_V1],
        ];
        for ctx in ctxs {
            for suite in [EDDSA_RDFC_2022, EDDSA_2022, ECDSA_RDFC_2019] {
                for created in [
                    "2010-01-01T19:23:24Z",
                    "2026-11-28T02:43:40.123+01:00",
                    "yesterday",
                ] {
                    let mut o = proof_options(vm, created);
                    o.insert("cryptosuite".into(), suite.into());
                    o.insert("@context".into(), serde_json::json!(ctx));
                    let t = proof_template(&o, &contexts).expect("template applies");
                    let full = canonicalize(&to_rdf(&o, &contexts).expect("rdf")).expect("canon");
                    assert_eq!(t, full, "{ctx:?} {suite} {created}");
                }
            }
        }
        // The document half still runs full processing on the same @context,
        // so a context list the processor refuses (credentials v2 with the
        // VC 1.1-era OB 3.0.0 context redefines protected terms) still fails.
        let doc = serde_json::json!({"@context": [crate::contexts::CREDENTIALS_V2, crate::contexts::OB_V3P0], "id": "urn:x:1"});
        let r = hash_data(
            doc.as_object().expect("object"),
            &proof_options(vm, "2010-01-01T00:00:00Z"),
            &contexts,
        );
        assert!(r.is_err(), "{r:?}");
        // Other shapes take the full path.
        let mut o = proof_options(vm, "2010-01-01T00:00:00Z");
        o.insert(
            "@context".into(),
            serde_json::json!([crate::contexts::CREDENTIALS_V1]),
        );
        assert!(proof_template(&o, &contexts).is_none());
        let mut o = proof_options("https://example.edu/issuers/1#key", "2010-01-01T00:00:00Z");
        o.insert(
            "@context".into(),
            serde_json::json!([crate::contexts::CREDENTIALS_V2]),
        );
        assert!(proof_template(&o, &contexts).is_none());
        let mut o = proof_options(vm, "2010-01-01T00:00:00Z");
        o.insert(
            "@context".into(),
            serde_json::json!([crate::contexts::CREDENTIALS_V2]),
        );
        o.insert("domain".into(), "example.com".into());
        assert!(proof_template(&o, &contexts).is_none());
    }
}
