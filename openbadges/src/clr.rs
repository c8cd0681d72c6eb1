//! Comprehensive Learner Record 2.0: a `ClrCredential` that gathers one
//! learner's verified credentials, their achievements and the associations
//! between them (such as a pathway's `isChildOf` and `precedes`), signed
//! `eddsa-rdfc-2022`; and the structural check of an incoming one.
//!
//! The CLR 2.0 context is pinned like the others
//! ([`crate::contexts::CLR_V2P0_1`], `contexts/SOURCES.md`). Emitted
//! documents list it after the OB 3.0 context, whose terms its
//! `Association` definitions lean on.
//!
//! Checking an incoming CLR is in two parts: [`crate::credential`] verifies
//! the CLR's own proof (as any credential), and [`check_clr`] reads its
//! shape (the embedded credentials, at most [`MAX_CLR_CREDENTIALS`]; the
//! achievements present, its own and those of the embedded credentials;
//! each association's type and whether both ends name an achievement
//! present; whether each credential's subject is the learner). Verifying
//! each embedded credential is the caller's job (the node runs its usual
//! verification on each).

use std::collections::BTreeSet;

use badgemesh_protocol::keys::{IssuerId, SecretKey};
use badgemesh_protocol::time::Timestamp;
use serde_json::{Map, Value, json};

use crate::contexts::{CLR_V2P0_1, CREDENTIALS_V2, ContextSet, OB_V3P0_3};
use crate::proof::{ProofError, proof_options, sign};

/// At most this many credentials in one CLR (each is verified on its own).
pub const MAX_CLR_CREDENTIALS: usize = 32;
/// At most this many associations in one CLR.
pub const MAX_ASSOCIATIONS: usize = 256;
/// Prefix of the ids of the CLRs this crate signs.
pub const CLR_URN: &str = "urn:badgemesh:clr:";

/// The association types of CLR 2.0 (`AssociationType`).
pub const ASSOCIATION_TYPES: [&str; 8] = [
    "exactMatchOf",
    "isChildOf",
    "isParentOf",
    "isPartOf",
    "isPeerOf",
    "isRelatedTo",
    "precedes",
    "replacedBy",
];

/// One association between two achievements, by their ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Association {
    /// One of [`ASSOCIATION_TYPES`].
    pub kind: String,
    /// The achievement the association is about.
    pub source: String,
    /// The achievement it relates it to.
    pub target: String,
}

/// Why a CLR could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClrError {
    /// No credential, or more than [`MAX_CLR_CREDENTIALS`].
    #[error("a CLR holds 1 to {MAX_CLR_CREDENTIALS} credentials, not {0}")]
    Count(usize),
    /// A credential names no achievement with an id.
    #[error("credential {0} names no achievement with an id")]
    NoAchievement(String),
    /// An association of an unknown type, or naming an absent achievement.
    #[error("association {kind} from {source_id} to {target_id}: {why}")]
    Association {
        /// Its type.
        kind: String,
        /// Its source.
        source_id: String,
        /// Its target.
        target_id: String,
        /// What is wrong.
        why: &'static str,
    },
    /// Signing failed.
    #[error(transparent)]
    Proof(#[from] ProofError),
}

/// What to gather.
#[derive(Clone, Debug)]
pub struct ClrRequest<'a> {
    /// The CLR's own id (a URL or URN).
    pub id: String,
    /// Its name.
    pub name: &'a str,
    /// The learner: the `ClrSubject`'s identity fields (`id`, or an
    /// `identifier` list of `IdentityObject`s).
    pub learner: Map<String, Value>,
    /// The learner's credentials, signed, as verified.
    pub credentials: &'a [Map<String, Value>],
    /// Associations between their achievements.
    pub associations: &'a [Association],
    /// When it is issued (and signed).
    pub issued: Timestamp,
}

/// The achievement of an OB 3.0 credential (its subject's, with an id).
pub fn achievement_of(credential: &Map<String, Value>) -> Option<&Map<String, Value>> {
    let subject = credential.get("credentialSubject")?;
    let subject = match subject {
        Value::Array(a) => a.first()?,
        other => other,
    };
    let a = subject.get("achievement")?.as_object()?;
    a.get("id")?.as_str()?;
    Some(a)
}

/// Signs a `ClrCredential` of `req` as `issuer` (named `issuer_name`) with
/// `key`, its inception key. Every association must join two achievements
/// of the credentials given.
pub fn export_clr(
    req: &ClrRequest<'_>,
    issuer: &IssuerId,
    issuer_name: &str,
    key: &SecretKey,
) -> Result<Map<String, Value>, ClrError> {
    let n = req.credentials.len();
    if n == 0 || n > MAX_CLR_CREDENTIALS {
        return Err(ClrError::Count(n));
    }
    let mut achievements: Vec<Value> = Vec::new();
    let mut ids = BTreeSet::new();
    for c in req.credentials {
        let a = achievement_of(c).ok_or_else(|| {
            ClrError::NoAchievement(
                c.get("id")
                    .and_then(Value::as_str)
                    .unwrap_or("(no id)")
                    .to_owned(),
            )
        })?;
        let id = a.get("id").and_then(Value::as_str).unwrap_or_default();
        if ids.insert(id.to_owned()) {
            achievements.push(Value::Object(a.clone()));
        }
    }
    if req.associations.len() > MAX_ASSOCIATIONS {
        return Err(ClrError::Association {
            kind: String::new(),
            source_id: String::new(),
            target_id: String::new(),
            why: "too many associations",
        });
    }
    let mut associations = Vec::new();
    for a in req.associations {
        if let Some(why) = association_problem(&a.kind, &a.source, &a.target, &ids) {
            return Err(ClrError::Association {
                kind: a.kind.clone(),
                source_id: a.source.clone(),
                target_id: a.target.clone(),
                why,
            });
        }
        associations.push(json!({
            "type": "Association",
            "associationType": a.kind,
            "sourceId": a.source,
            "targetId": a.target,
        }));
    }
    let mut subject = req.learner.clone();
    subject.insert("type".into(), json!(["ClrSubject"]));
    subject.insert(
        "verifiableCredential".into(),
        Value::Array(req.credentials.iter().cloned().map(Value::Object).collect()),
    );
    subject.insert("achievement".into(), Value::Array(achievements));
    if !associations.is_empty() {
        subject.insert("association".into(), Value::Array(associations));
    }
    let mut doc = Map::new();
    doc.insert(
        "@context".into(),
        json!([CREDENTIALS_V2, OB_V3P0_3, CLR_V2P0_1]),
    );
    doc.insert("id".into(), req.id.clone().into());
    doc.insert(
        "type".into(),
        json!(["VerifiableCredential", "ClrCredential"]),
    );
    doc.insert("name".into(), req.name.into());
    doc.insert(
        "issuer".into(),
        json!({ "id": issuer.to_did(), "type": ["Profile"], "name": issuer_name }),
    );
    doc.insert("validFrom".into(), req.issued.to_string().into());
    doc.insert("credentialSubject".into(), Value::Object(subject));
    let options = proof_options(&issuer.verification_method(), &req.issued.to_string());
    sign(&mut doc, options, key, &ContextSet::pinned())?;
    Ok(doc)
}

fn association_problem(
    kind: &str,
    source: &str,
    target: &str,
    present: &BTreeSet<String>,
) -> Option<&'static str> {
    if !ASSOCIATION_TYPES.contains(&kind) {
        Some("not a CLR 2.0 association type")
    } else if !present.contains(source) {
        Some("its source is not an achievement of this CLR")
    } else if !present.contains(target) {
        Some("its target is not an achievement of this CLR")
    } else if source == target {
        Some("it joins an achievement to itself")
    } else {
        None
    }
}

/// What an incoming CLR holds, read without verifying anything.
#[derive(Clone, Debug, Default)]
pub struct ClrShape {
    /// The embedded credentials, as given (up to [`MAX_CLR_CREDENTIALS`]).
    pub credentials: Vec<Value>,
    /// How many credentials it embeds in all.
    pub credential_count: usize,
    /// The ids of the achievements present (its own list and the embedded
    /// credentials').
    pub achievements: Vec<String>,
    /// Each association, with `problem` when it is not sound.
    pub associations: Vec<Value>,
    /// Shape problems (not a ClrSubject, too many credentials...).
    pub problems: Vec<String>,
    /// The learner's `id`, when the ClrSubject has one.
    pub learner: Option<String>,
    /// Embedded credentials (by position) whose subject `id` is another
    /// than the learner's: someone else's achievements.
    pub other_subjects: Vec<usize>,
    /// Embedded credentials whose subject has no `id` to compare (a hashed
    /// email in `identifier`): bound to the learner by nothing here.
    pub unbound: Vec<usize>,
}

/// Whether `doc` says it is a `ClrCredential`.
pub fn is_clr(doc: &Value) -> bool {
    match &doc["type"] {
        Value::String(t) => t == "ClrCredential",
        Value::Array(ts) => ts.iter().any(|t| t == "ClrCredential"),
        _ => false,
    }
}

/// Reads an incoming CLR's subject: embedded credentials (bounded),
/// achievements present, and each association against them.
pub fn check_clr(doc: &Value) -> ClrShape {
    let mut shape = ClrShape::default();
    let subject = match &doc["credentialSubject"] {
        Value::Array(a) => a.first().cloned().unwrap_or(Value::Null),
        other => other.clone(),
    };
    let typed = match &subject["type"] {
        Value::String(t) => t == "ClrSubject",
        Value::Array(ts) => ts.iter().any(|t| t == "ClrSubject"),
        _ => false,
    };
    if !typed {
        shape
            .problems
            .push("the credential subject is not a ClrSubject".into());
    }
    let creds = subject["verifiableCredential"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    shape.credential_count = creds.len();
    if creds.is_empty() {
        shape.problems.push("it embeds no credential".into());
    }
    if creds.len() > MAX_CLR_CREDENTIALS {
        shape.problems.push(format!(
            "it embeds {} credentials; at most {MAX_CLR_CREDENTIALS} are checked",
            creds.len()
        ));
    }
    shape.credentials = creds.into_iter().take(MAX_CLR_CREDENTIALS).collect();
    shape.learner = subject["id"].as_str().map(str::to_owned);
    for (n, c) in shape.credentials.iter().enumerate() {
        let their = match &c["credentialSubject"] {
            Value::Array(a) => a.first().and_then(|s| s["id"].as_str()),
            other => other["id"].as_str(),
        };
        match (their, shape.learner.as_deref()) {
            (Some(t), Some(l)) if t != l => shape.other_subjects.push(n),
            (Some(_), Some(_)) => {}
            _ => shape.unbound.push(n),
        }
    }
    let mut present = BTreeSet::new();
    for a in subject["achievement"].as_array().into_iter().flatten() {
        if let Some(id) = a["id"].as_str() {
            present.insert(id.to_owned());
        }
    }
    for c in &shape.credentials {
        if let Some(id) = c
            .as_object()
            .and_then(achievement_of)
            .and_then(|a| a.get("id"))
            .and_then(Value::as_str)
        {
            present.insert(id.to_owned());
        }
    }
    let associations = subject["association"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if associations.len() > MAX_ASSOCIATIONS {
        shape.problems.push(format!(
            "it has {} associations; at most {MAX_ASSOCIATIONS} are checked",
            associations.len()
        ));
    }
    for a in associations.iter().take(MAX_ASSOCIATIONS) {
        let kind = a["associationType"].as_str().unwrap_or("");
        let source = a["sourceId"].as_str().unwrap_or("");
        let target = a["targetId"].as_str().unwrap_or("");
        let problem = association_problem(kind, source, target, &present);
        shape.associations.push(json!({
            "association_type": kind,
            "source": source,
            "target": target,
            "problem": problem,
        }));
    }
    shape.achievements = present.into_iter().collect();
    shape
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::{Outcome, Profile, VerifyOptions, verify_credential};

    fn key(n: u8) -> SecretKey {
        SecretKey::from_seed(&[n; 32]).expect("key")
    }

    /// An unsigned-looking OB 3.0 credential with an achievement (its proof
    /// is not checked here).
    fn credential(n: u32) -> Map<String, Value> {
        let v = json!({
            "@context": [CREDENTIALS_V2, OB_V3P0_3],
            "id": format!("urn:uuid:00000000-0000-4000-8000-00000000000{n}"),
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": { "id": "did:example:school", "type": ["Profile"], "name": "School" },
            "validFrom": "2026-01-01T00:00:00Z",
            "name": format!("Course {n}"),
            "credentialSubject": {
                "id": "did:example:ada",
                "type": ["AchievementSubject"],
                "achievement": {
                    "id": format!("urn:example:course:{n}"),
                    "type": ["Achievement"],
                    "name": format!("Course {n}"),
                    "description": "A course.",
                    "criteria": { "narrative": "Pass." },
                },
            },
        });
        v.as_object().cloned().unwrap_or_default()
    }

    fn request<'a>(creds: &'a [Map<String, Value>], assoc: &'a [Association]) -> ClrRequest<'a> {
        let mut learner = Map::new();
        learner.insert("id".into(), "did:example:ada".into());
        ClrRequest {
            id: format!("{CLR_URN}test"),
            name: "Ada's record",
            learner,
            credentials: creds,
            associations: assoc,
            issued: "2026-06-01T00:00:00Z".parse().expect("time"),
        }
    }

    #[test]
    fn a_signed_clr_verifies_and_its_associations_check_out() {
        let k = key(51);
        let issuer = IssuerId::from_key(k.public());
        let creds = [credential(1), credential(2)];
        let assoc = [Association {
            kind: "isChildOf".into(),
            source: "urn:example:course:1".into(),
            target: "urn:example:course:2".into(),
        }];
        let doc = export_clr(&request(&creds, &assoc), &issuer, "Node", &k).expect("signed");
        let bytes = serde_json::to_vec(&doc).expect("json");
        let now: Timestamp = "2026-07-01T00:00:00Z".parse().expect("time");
        let opts = VerifyOptions {
            profile: Profile::AnyCredential,
            ..VerifyOptions::default()
        };
        let v = verify_credential(&bytes, now, &opts).expect("checks");
        assert_eq!(v.outcome, Outcome::Valid, "{:?}", v.checks);
        let shape = check_clr(&Value::Object(doc.clone()));
        assert!(shape.problems.is_empty(), "{:?}", shape.problems);
        assert_eq!(shape.credential_count, 2);
        assert_eq!(shape.achievements.len(), 2);
        assert_eq!(shape.associations[0]["problem"], Value::Null);
        assert_eq!(shape.learner.as_deref(), Some("did:example:ada"));
        assert!(shape.other_subjects.is_empty() && shape.unbound.is_empty());
        // Someone else's credential is told apart.
        let mut mixed = doc.clone();
        mixed["credentialSubject"]["verifiableCredential"][1]["credentialSubject"]["id"] =
            "did:example:grace".into();
        assert_eq!(check_clr(&Value::Object(mixed)).other_subjects, vec![1]);
        // A changed association breaks the proof.
        let mut tampered = doc.clone();
        tampered["credentialSubject"]["association"][0]["associationType"] = "precedes".into();
        let bytes = serde_json::to_vec(&tampered).expect("json");
        let v = verify_credential(&bytes, now, &opts).expect("checks");
        assert_eq!(v.outcome, Outcome::Invalid);
    }

    #[test]
    fn associations_must_join_achievements_present() {
        let k = key(52);
        let issuer = IssuerId::from_key(k.public());
        let creds = [credential(1)];
        let dangling = [Association {
            kind: "precedes".into(),
            source: "urn:example:course:1".into(),
            target: "urn:example:course:9".into(),
        }];
        assert!(matches!(
            export_clr(&request(&creds, &dangling), &issuer, "Node", &k),
            Err(ClrError::Association { .. })
        ));
        let doc = json!({
            "type": ["VerifiableCredential", "ClrCredential"],
            "credentialSubject": {
                "type": "ClrSubject",
                "verifiableCredential": [credential(1)],
                "achievement": [{ "id": "urn:example:extra" }],
                "association": [
                    { "associationType": "isParentOf", "sourceId": "urn:example:extra", "targetId": "urn:example:course:1" },
                    { "associationType": "precedes", "sourceId": "urn:example:course:1", "targetId": "urn:example:gone" },
                    { "associationType": "likes", "sourceId": "urn:example:course:1", "targetId": "urn:example:extra" },
                ],
            },
        });
        assert!(is_clr(&doc));
        let shape = check_clr(&doc);
        assert_eq!(shape.associations[0]["problem"], Value::Null);
        assert_eq!(
            shape.associations[1]["problem"],
            "its target is not an achievement of this CLR"
        );
        assert_eq!(
            shape.associations[2]["problem"],
            "not a CLR 2.0 association type"
        );
    }
}
