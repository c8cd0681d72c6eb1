//! Export of a native endorsement record as a signed OB 3.0
//! `EndorsementCredential` (`eddsa-rdfc-2022`), and the link back.
//!
//! As for exported assertions ([`crate::export`]), the ids name the native
//! records, with no extension term: the credential's `id` is
//! `urn:badgemesh:endorsement:<endorsement record id>`, its subject's `id`
//! is what the native record endorses (`urn:badgemesh:badge:<id>`,
//! `urn:badgemesh:assertion:<id>`, or the endorsed issuer's did:key), the
//! issuer is the endorser's did:key, and, when the endorser's node serves
//! its status list, `credentialStatus` is a revocation
//! `BitstringStatusListEntry` with the native status index. So any OB 3.0
//! verifier checks the proof, and a badgemesh node also answers whether the
//! endorser withdrew it, offline, from the network's revocation updates
//! ([`crate::export::native_status`] reads that entry).
//!
//! The proof's verification method is the endorser's inception key, as for
//! exported assertions.

use badgemesh_protocol::id::RecordId;
use badgemesh_protocol::keys::{IssuerId, SecretKey};
use badgemesh_protocol::record::{Endorsement, EndorsementSubject, IssuerProfile};
use serde_json::{Map, Value, json};

use crate::contexts::{CREDENTIALS_V2, ContextSet, OB_V3P0_3};
use crate::export::{ASSERTION_URN, BADGE_URN, ExportError, revocation_entry};
use crate::proof::{proof_options, sign};

/// Prefix of exported endorsement credential ids.
pub const ENDORSEMENT_URN: &str = "urn:badgemesh:endorsement:";

/// The OB 3.0 subject id of what a native endorsement endorses.
pub fn subject_uri(subject: &EndorsementSubject) -> String {
    match subject {
        EndorsementSubject::BadgeClass(id) => format!("{BADGE_URN}{id}"),
        EndorsementSubject::Assertion(id) => format!("{ASSERTION_URN}{id}"),
        EndorsementSubject::Issuer(id) => id.to_did(),
    }
}

/// Signs `e` (record id `id`) as an `EndorsementCredential` by `key`, the
/// endorser's inception key. `profile` is the endorser's (its name goes in
/// the issuer object); with `status_base_url` the credential gets the
/// endorser's revocation status list entry.
pub fn export_endorsement(
    e: &Endorsement,
    id: RecordId,
    profile: &IssuerProfile,
    status_base_url: Option<&str>,
    key: &SecretKey,
) -> Result<Map<String, Value>, ExportError> {
    if profile.issuer != e.issuer {
        return Err(ExportError::IssuerMismatch);
    }
    if IssuerId::from_key(key.public()) != e.issuer {
        return Err(ExportError::NotInceptionKey);
    }
    let mut issuer = Map::new();
    issuer.insert("id".into(), e.issuer.to_did().into());
    issuer.insert("type".into(), json!(["Profile"]));
    issuer.insert("name".into(), profile.name.clone().into());
    if let Some(url) = &profile.url {
        issuer.insert("url".into(), url.clone().into());
    }
    let mut subject = Map::new();
    subject.insert("id".into(), subject_uri(&e.subject).into());
    subject.insert("type".into(), json!(["EndorsementSubject"]));
    if !e.comment.is_empty() {
        subject.insert("endorsementComment".into(), e.comment.clone().into());
    }
    let mut doc = Map::new();
    doc.insert("@context".into(), json!([CREDENTIALS_V2, OB_V3P0_3]));
    doc.insert("id".into(), format!("{ENDORSEMENT_URN}{id}").into());
    doc.insert(
        "type".into(),
        json!(["VerifiableCredential", "EndorsementCredential"]),
    );
    doc.insert(
        "name".into(),
        e.name
            .clone()
            .unwrap_or_else(|| "Endorsement".into())
            .into(),
    );
    doc.insert("issuer".into(), Value::Object(issuer));
    doc.insert("validFrom".into(), e.at.to_string().into());
    if let Some(until) = e.valid_until {
        doc.insert("validUntil".into(), until.to_string().into());
    }
    doc.insert("credentialSubject".into(), Value::Object(subject));
    if let Some(base) = status_base_url {
        doc.insert(
            "credentialStatus".into(),
            revocation_entry(base, &e.issuer, e.status_index),
        );
    }
    let options = proof_options(&e.issuer.verification_method(), &e.at.to_string());
    sign(&mut doc, options, key, &ContextSet::pinned())?;
    Ok(doc)
}

/// The endorser and native endorsement record an exported credential names
/// (`urn:badgemesh:endorsement:<id>` and a did:key issuer). Reads ids only:
/// call it on a credential whose proof verified.
pub fn endorsement_link(credential: &Map<String, Value>) -> Option<(IssuerId, RecordId)> {
    let id = credential.get("id")?.as_str()?;
    let record: RecordId = id.strip_prefix(ENDORSEMENT_URN)?.parse().ok()?;
    let issuer = match credential.get("issuer")? {
        Value::String(s) => s.as_str(),
        Value::Object(o) => o.get("id")?.as_str()?,
        _ => return None,
    };
    if issuer.contains('#') {
        return None;
    }
    Some((issuer.parse().ok()?, record))
}

#[cfg(test)]
mod tests {
    use badgemesh_protocol::time::Timestamp;

    use super::*;
    use crate::credential::{Outcome, VerifyOptions, verify_credential};
    use crate::export::native_status;

    fn key(n: u8) -> SecretKey {
        SecretKey::from_seed(&[n; 32]).expect("key")
    }

    fn fixture(subject: EndorsementSubject) -> (Endorsement, IssuerProfile, SecretKey) {
        let k = key(41);
        let issuer = IssuerId::from_key(k.public());
        let e = Endorsement {
            issuer,
            subject,
            comment: "We hire on this badge".into(),
            at: "2026-03-01T00:00:00Z".parse().expect("time"),
            valid_until: Some("2028-03-01T00:00:00Z".parse().expect("time")),
            status_index: 5,
            name: Some("Dockside endorsement".into()),
        };
        let profile = IssuerProfile {
            issuer,
            seq: 1,
            name: "Dockside Shipyards".into(),
            url: Some("https://dockside.example".into()),
            email: None,
            description: None,
            image: None,
            at: e.at,
            public_base_url: None,
        };
        (e, profile, k)
    }

    #[test]
    fn exported_endorsements_verify_and_link_back() {
        let other = IssuerId::from_key(key(42).public());
        for subject in [
            EndorsementSubject::BadgeClass(RecordId::of(b"class")),
            EndorsementSubject::Issuer(other),
            EndorsementSubject::Assertion(RecordId::of(b"award")),
        ] {
            let (e, profile, k) = fixture(subject);
            let id = RecordId::of(b"the endorsement");
            let doc = export_endorsement(&e, id, &profile, Some("https://node.example"), &k)
                .expect("export");
            let bytes = serde_json::to_vec(&doc).expect("json");
            let now: Timestamp = "2026-06-01T00:00:00Z".parse().expect("time");
            let v = verify_credential(&bytes, now, &VerifyOptions::default()).expect("checks");
            assert_eq!(v.outcome, Outcome::Valid, "{:?}", v.checks);
            assert_eq!(doc["credentialSubject"]["id"], subject_uri(&subject));
            assert_eq!(endorsement_link(&doc), Some((e.issuer, id)));
            assert_eq!(native_status(&doc), Some((e.issuer, Some(5))));
            // A changed comment breaks the proof.
            let mut tampered = doc.clone();
            tampered["credentialSubject"]["endorsementComment"] = "Altered".into();
            let bytes = serde_json::to_vec(&tampered).expect("json");
            let v = verify_credential(&bytes, now, &VerifyOptions::default()).expect("checks");
            assert_eq!(v.outcome, Outcome::Invalid);
        }
    }

    #[test]
    fn only_the_endorsers_inception_key_exports() {
        let (e, profile, _) = fixture(EndorsementSubject::BadgeClass(RecordId::of(b"c")));
        let id = RecordId::of(b"e");
        assert_eq!(
            export_endorsement(&e, id, &profile, None, &key(43)).err(),
            Some(ExportError::NotInceptionKey)
        );
    }
}
