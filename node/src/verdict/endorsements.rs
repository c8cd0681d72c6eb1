//! Endorsements in verdicts: those embedded in an OB 3.0 credential, each
//! verified with the same steps as a credential, and those this node holds
//! as signed records ([`held`]), of the badge class, the issuer and the
//! assertion a verdict is about.
//!
//! OB 3.0 lets a credential carry third parties' `EndorsementCredential`s
//! (as JSON with their own proof, or as VC-JWTs in `endorsementJwt`) on the
//! credential itself, on its achievement and on its issuer's profile. An
//! endorsement is worth what its own signature is worth, so each is checked
//! on its own (proof, key binding, dates, shape) and listed in the verdict
//! with its endorser and result. An endorsement that fails does not change
//! the credential's outcome (the issuer's signature covers it, not vouches
//! for it), but the verdict says so. At most [`MAX_ENDORSEMENTS`] are checked:
//! each costs a canonicalization of its own.

use badgemesh_openbadges::credential as ob3;
use badgemesh_openbadges::jwt;
use badgemesh_protocol::record::EndorsementSubject;
use badgemesh_protocol::state::Registry;
use badgemesh_protocol::time::Timestamp;
use badgemesh_protocol::verify::endorsements_of;
use serde_json::{Value, json};

/// Embedded endorsements checked per credential, at most.
pub const MAX_ENDORSEMENTS: usize = 4;

/// What the endorsements of one credential came to.
#[derive(Debug, Default)]
pub struct Endorsements {
    /// One entry per endorsement checked.
    pub entries: Vec<Value>,
    /// What a verifier should know (mismatched subjects, unchecked ones).
    pub warnings: Vec<String>,
}

/// The endorsement records this node holds of `subjects` (gossiped, synced
/// or imported; each was checked against its endorser's key history when it
/// was stored), newest first, at most
/// [`MAX_LISTED`](badgemesh_protocol::verify::MAX_LISTED) per subject besides
/// those of issuers the node follows, each with
/// whether it stands now: valid, revoked by its endorser, expired, or
/// indeterminate when the endorser's revocation data is missing or too old.
/// A revoked one stays listed as revoked, so that a withdrawn endorsement
/// does not look like one that never arrived.
pub fn held(
    r: &Registry,
    subjects: &[EndorsementSubject],
    now: Timestamp,
    max_age_secs: Option<i64>,
) -> Endorsements {
    let mut out = Endorsements::default();
    for subject in subjects {
        let (list, more) = endorsements_of(subject, r, now, max_age_secs);
        if more > 0 {
            out.warnings.push(format!(
                "{} endorsements of the {} are held; {} are listed (those of issuers this node follows, then the newest)",
                more + list.len(),
                subject.kind_name().replace('_', " "),
                list.len()
            ));
        }
        out.entries.extend(
            list.iter()
                .map(|c| serde_json::to_value(c).unwrap_or(Value::Null)),
        );
    }
    out
}

/// One embedded endorsement, where it was found.
struct Found<'a> {
    /// `credential`, `achievement` or `issuer`.
    about: &'static str,
    /// The id of what it is attached to.
    expected: Option<&'a str>,
    /// The endorsement: a JSON object or a compact JWS.
    value: &'a Value,
}

/// Verifies the endorsements embedded in `doc` (a credential already read).
pub fn verify_embedded(
    doc: &Value,
    now: Timestamp,
    options: &ob3::VerifyOptions<'_>,
) -> Result<Endorsements, ob3::CredentialError> {
    let achievement = &doc["credentialSubject"]["achievement"];
    let issuer = &doc["issuer"];
    let places = [
        ("credential", doc, doc["id"].as_str()),
        ("achievement", achievement, achievement["id"].as_str()),
        ("issuer", issuer, issuer["id"].as_str()),
    ];
    let mut found = Vec::new();
    for (about, holder, expected) in places {
        for key in ["endorsement", "endorsementJwt"] {
            let items = match &holder[key] {
                Value::Array(a) => a.iter().collect(),
                Value::Null => Vec::new(),
                one => vec![one],
            };
            found.extend(items.into_iter().map(|value| Found {
                about,
                expected,
                value,
            }));
        }
    }
    let mut out = Endorsements::default();
    if found.len() > MAX_ENDORSEMENTS {
        out.warnings.push(format!(
            "{} embedded endorsements: the first {MAX_ENDORSEMENTS} are checked, the others are not",
            found.len()
        ));
    }
    for f in found.into_iter().take(MAX_ENDORSEMENTS) {
        let entry = check_one(&f, now, options)?;
        if entry["outcome"] != "valid" {
            out.warnings.push(format!(
                "an endorsement of the {} does not verify ({})",
                f.about,
                entry["detail"].as_str().unwrap_or("")
            ));
        } else if let (Some(expected), Some(endorses)) = (f.expected, entry["endorses"].as_str())
            && expected != endorses
        {
            out.warnings.push(format!(
                "an endorsement attached to the {} ({expected}) endorses {endorses}",
                f.about
            ));
        }
        out.entries.push(entry);
    }
    Ok(out)
}

fn check_one(
    f: &Found<'_>,
    now: Timestamp,
    options: &ob3::VerifyOptions<'_>,
) -> Result<Value, ob3::CredentialError> {
    let (verified, doc) = match f.value {
        Value::Object(_) => {
            let bytes = serde_json::to_vec(f.value).unwrap_or_default();
            (
                ob3::verify_credential(&bytes, now, options),
                f.value.clone(),
            )
        }
        Value::String(token) => {
            let doc = jwt::decode(token)
                .map(|d| Value::Object(d.credential()))
                .unwrap_or_default();
            (jwt::verify_jwt_credential(token, now, options), doc)
        }
        _ => {
            return Ok(json!({
                "about": f.about,
                "outcome": "invalid",
                "detail": "neither a credential nor a VC-JWT",
            }));
        }
    };
    let (outcome, detail, cryptosuite) = match verified {
        Ok(v) => {
            let outcome = match v.outcome {
                ob3::Outcome::Valid => "valid",
                ob3::Outcome::Expired => "expired",
                ob3::Outcome::NotYetValid => "not_yet_valid",
                ob3::Outcome::Invalid => "invalid",
                ob3::Outcome::Indeterminate => "indeterminate",
            };
            // The failing check says why; a valid one names its signature.
            let detail = v
                .checks
                .iter()
                .find(|c| c.status != ob3::CheckStatus::Pass)
                .or_else(|| v.check(ob3::CheckName::Proof))
                .map(|c| c.detail.clone())
                .unwrap_or_default();
            (outcome, detail, v.cryptosuite)
        }
        Err(ob3::CredentialError::Cancelled) => return Err(ob3::CredentialError::Cancelled),
        Err(e) => ("invalid", e.to_string(), None),
    };
    let issuer = &doc["issuer"];
    Ok(json!({
        "about": f.about,
        "endorser": issuer["id"].as_str().or_else(|| issuer.as_str()),
        "endorser_name": issuer["name"],
        "endorses": doc["credentialSubject"]["id"],
        "comment": doc["credentialSubject"]["endorsementComment"],
        "outcome": outcome,
        "detail": detail,
        "cryptosuite": cryptosuite,
    }))
}

#[cfg(test)]
mod tests {
    use badgemesh_openbadges::contexts::ContextSet;
    use badgemesh_openbadges::proof::{proof_options, sign};
    use badgemesh_protocol::keys::{IssuerId, SecretKey};
    use serde_json::Map;

    use super::*;
    use crate::verdict::formats::{Options, verify_any};

    const CREDENTIAL: &str =
        include_str!("../../../openbadges/tests/vectors/exported-credential.json");
    const SPEC_JWTS: &str =
        include_str!("../../../openbadges/tests/vectors/1edtech-ob3-jwt/examples.json");

    fn at() -> Timestamp {
        "2026-06-01T00:00:00Z".parse().expect("time")
    }

    /// `doc` re-signed by the did:key of seed `n` as its issuer.
    fn signed_by(mut doc: Map<String, Value>, n: u8) -> Map<String, Value> {
        let key = SecretKey::from_seed(&[n; 32]).expect("key");
        let id = IssuerId::from_key(key.public());
        doc.shift_remove("proof");
        match doc.get_mut("issuer") {
            Some(Value::Object(o)) => {
                o.insert("id".into(), id.to_did().into());
            }
            _ => {
                doc.insert("issuer".into(), id.to_did().into());
            }
        }
        sign(
            &mut doc,
            proof_options(&id.verification_method(), "2026-01-01T00:00:00Z"),
            &key,
            &ContextSet::pinned(),
        )
        .expect("sign");
        doc
    }

    /// An endorsement of `subject` by the did:key of seed `n`.
    fn endorsement(subject: &str, n: u8) -> Value {
        let doc = serde_json::json!({
            "@context": [
                "https://www.w3.org/ns/credentials/v2",
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
            ],
            "id": format!("urn:uuid:0000000{n}-1111-4111-8111-111111111111"),
            "type": ["VerifiableCredential", "EndorsementCredential"],
            "name": "Endorsement",
            "issuer": {"id": "did:example:placeholder", "type": ["Profile"], "name": "The Board"},
            "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {
                "id": subject,
                "type": ["EndorsementSubject"],
                "endorsementComment": "In good standing"
            }
        });
        let Value::Object(map) = doc else {
            unreachable!("an object")
        };
        Value::Object(signed_by(map, n))
    }

    fn vector() -> Map<String, Value> {
        match serde_json::from_str(CREDENTIAL).expect("vector") {
            Value::Object(doc) => doc,
            _ => unreachable!("an object"),
        }
    }

    #[test]
    fn embedded_endorsements_are_verified_and_listed() {
        let mut doc = vector();
        let achievement_id = doc["credentialSubject"]["achievement"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let good = endorsement(&achievement_id, 21);
        let mut forged = endorsement(&achievement_id, 22);
        forged["credentialSubject"]["endorsementComment"] = "Altered after signing".into();
        let elsewhere = endorsement("https://other.example/achievements/1", 23);
        doc["credentialSubject"]["achievement"]["endorsement"] =
            Value::Array(vec![good, forged, elsewhere]);
        let doc = signed_by(doc, 20);
        let bytes = serde_json::to_vec(&doc).expect("json");
        let v = verify_any(&bytes, None, at(), &Options::default()).expect("verdict");
        let list = v["endorsements"].as_array().expect("endorsements");
        let outcomes: Vec<&str> = list.iter().filter_map(|e| e["outcome"].as_str()).collect();
        assert_eq!(outcomes, ["valid", "invalid", "valid"], "{v}");
        assert_eq!(list[0]["about"], "achievement");
        assert_eq!(list[0]["comment"], "In good standing");
        assert_eq!(list[0]["endorser_name"], "The Board");
        assert_eq!(list[0]["cryptosuite"], "eddsa-rdfc-2022");
        // The credential itself stands; the verdict warns about the forged
        // endorsement and the one that endorses something else.
        assert_eq!(v["checks"][1]["status"], "pass", "{v}");
        let warnings = v["warnings"].to_string();
        assert!(warnings.contains("does not verify"), "{warnings}");
        assert!(
            warnings.contains("endorses https://other.example/achievements/1"),
            "{warnings}"
        );
    }

    #[test]
    fn a_vc_jwt_carries_the_specifications_endorsement_jwt() {
        // `endorsementJwt` is in the OB 3.0 data model but not in its JSON-LD
        // context, so it travels in VC-JWTs (no JSON-LD processing).
        let spec: Value = serde_json::from_str(SPEC_JWTS).expect("json");
        let spec_jwt = spec
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["type"].to_string().contains("EndorsementCredential"))
            .and_then(|e| e["token"].as_str())
            .expect("endorsement example")
            .to_owned();
        let mut doc = vector();
        doc.shift_remove("proof");
        let key = SecretKey::from_seed(&[24; 32]).expect("key");
        let id = IssuerId::from_key(key.public());
        doc["issuer"]["id"] = id.to_did().into();
        doc["credentialSubject"]["achievement"]["endorsementJwt"] =
            Value::Array(vec![spec_jwt.into()]);
        let token = jwt::sign_jwt(&doc, &key, &id.verification_method()).expect("jwt");
        let v = verify_any(token.as_bytes(), None, at(), &Options::default()).expect("verdict");
        assert_eq!(v["cryptosuite"], "VC-JWT EdDSA", "{v}");
        let e = &v["endorsements"][0];
        assert_eq!(e["outcome"], "valid", "{v}");
        assert_eq!(e["endorser"], "https://state.gov/issuers/565049");
        assert_eq!(e["cryptosuite"], "VC-JWT RS256");
        assert_eq!(e["comment"], "1EdTech University is in good standing");
    }

    /// A native verdict lists the endorsement records held of its badge
    /// class, issuer and assertion, but only when the badge is authentic:
    /// a tampered one, or one signed by a key that is not its issuer's,
    /// borrows nobody's word.
    #[test]
    fn a_native_verdict_lists_held_endorsements_only_for_an_authentic_badge() {
        use badgemesh_protocol::record::{Assertion, EndorsementSubject, Record, SignedRecord};
        use badgemesh_protocol::state::Registry;
        use badgemesh_protocol::testkit::Issuer as TestIssuer;
        let t = Timestamp(1_800_000_000);
        let mut school = TestIssuer::new(1, t);
        let mut employer = TestIssuer::new(2, t);
        let (class, class_id) = school.badge_class("Welding");
        let award = school.award(&class, "ada@example.org");
        let of_class = employer.endorse(EndorsementSubject::BadgeClass(class_id), "We hire on it");
        let of_award = employer.endorse(EndorsementSubject::Assertion(award.id()), "Well done");
        let mut reg = Registry::new();
        let all = school
            .genesis()
            .into_iter()
            .chain(employer.genesis())
            .chain([class, of_class, of_award]);
        for r in all {
            assert!(reg.apply(r, t).outcome.is_stored());
        }
        let now = t.plus(60);
        let v = verify_any(award.bytes(), Some(&reg), now, &Options::default()).expect("verdict");
        assert_eq!(v["outcome"], "valid", "{v}");
        let about: Vec<&str> = v["endorsements"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["about"].as_str())
            .collect();
        assert_eq!(about, ["badge_class", "assertion"], "{v}");
        assert_eq!(v["endorsements"][0]["comment"], "We hire on it");

        let mut tampered = award.bytes().to_vec();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        let v = verify_any(&tampered, Some(&reg), now, &Options::default()).expect("verdict");
        assert_eq!(v["outcome"], "invalid");
        assert_eq!(v["endorsements"], json!([]), "{v}");

        // The same award claimed for the school, signed by the employer's key.
        let Record::Assertion(a) = award.record() else {
            unreachable!("an assertion")
        };
        let key = badgemesh_protocol::keys::SecretKey::from_seed(
            &badgemesh_protocol::testkit::seed("current", 2),
        )
        .expect("key");
        let claimed =
            SignedRecord::sign(Record::Assertion(Assertion { ..a.clone() }), &key).expect("signed");
        let v = verify_any(claimed.bytes(), Some(&reg), now, &Options::default()).expect("verdict");
        assert_eq!(v["outcome"], "invalid");
        assert_eq!(v["endorsements"], json!([]), "{v}");
    }

    /// An OB 3.0 credential lists the endorsement records of its badgemesh
    /// issuer, and of the badge class its achievement names only when that
    /// class is its own issuer's: writing another issuer's
    /// `urn:badgemesh:badge:` into a credential borrows nothing.
    #[test]
    fn an_ob3_credential_borrows_no_other_issuers_badge_class_endorsements() {
        use badgemesh_openbadges::export::BADGE_URN;
        use badgemesh_protocol::issuance::Issuer as RealIssuer;
        use badgemesh_protocol::record::{BadgeClass, Criteria, EndorsementSubject};
        use badgemesh_protocol::state::Registry;
        use badgemesh_protocol::testkit::Issuer as TestIssuer;
        let t = Timestamp(1_767_225_600); // 2026-01-01
        let (owner, inception) = RealIssuer::incept(&[50; 32], &[51; 32], t).expect("incept");
        let class = owner
            .badge_class(
                BadgeClass {
                    issuer: owner.id(),
                    name: "Welding".into(),
                    description: "Welds".into(),
                    criteria: Criteria {
                        narrative: Some("Weld".into()),
                        url: None,
                    },
                    image: None,
                    alignments: vec![],
                    tags: vec![],
                    related: vec![],
                    at: t,
                },
                t,
            )
            .expect("class");
        let head = owner.head(t, t.plus(86_400 * 365)).expect("head");
        let mut employer = TestIssuer::new(3, t);
        let of_class =
            employer.endorse(EndorsementSubject::BadgeClass(class.id()), "We hire on it");
        let of_owner = employer.endorse(EndorsementSubject::Issuer(owner.id()), "Partner");
        let mut reg = Registry::new();
        let all = [inception, head, class.clone()]
            .into_iter()
            .chain(employer.genesis())
            .chain([of_class, of_owner]);
        for r in all {
            assert!(reg.apply(r, t).outcome.is_stored());
        }
        let about = |n: u8| {
            let mut doc = vector();
            doc["credentialSubject"]["achievement"]["id"] =
                format!("{BADGE_URN}{}", class.id()).into();
            let doc = signed_by(doc, n);
            let bytes = serde_json::to_vec(&doc).expect("json");
            // After the vector's validFrom (2027-01-15).
            let later: Timestamp = "2027-02-01T00:00:00Z".parse().expect("time");
            let v = verify_any(&bytes, Some(&reg), later, &Options::default()).expect("verdict");
            // Its own signature holds (a stranger's status is unknown here).
            assert_eq!(v["checks"][1]["status"], "pass", "{v}");
            v["endorsements"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e["about"].as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        };
        assert_eq!(about(50), ["issuer", "badge_class"]);
        assert!(about(52).is_empty());
    }

    #[test]
    fn at_most_four_endorsements_are_checked() {
        let mut doc = vector();
        let id = doc["id"].as_str().expect("id").to_owned();
        let many = (30..36).map(|n| endorsement(&id, n)).collect();
        doc.insert("endorsement".into(), Value::Array(many));
        let doc = signed_by(doc, 31);
        let bytes = serde_json::to_vec(&doc).expect("json");
        let v = verify_any(&bytes, None, at(), &Options::default()).expect("verdict");
        assert_eq!(v["endorsements"].as_array().map(Vec::len), Some(4), "{v}");
        assert!(
            v["warnings"]
                .to_string()
                .contains("6 embedded endorsements"),
            "{v}"
        );
    }
}
