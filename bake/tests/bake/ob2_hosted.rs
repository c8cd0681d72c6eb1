//! Hosted OB 2.0 badges checked against documents "fetched" from the
//! issuer's site, with the specification's own examples.

use std::collections::HashMap;

use badgemesh_bake::ob2::{self, Documents, Fetched, Ob2Options, Outcome};
use serde_json::{Value, json};

const ASSERTION: &str = include_str!("../fixtures/ob2-spec/assertion.json");
const BADGE_CLASS: &str = include_str!("../fixtures/ob2-spec/badgeclass.json");
const ISSUER: &str = include_str!("../fixtures/ob2-spec/issuer.json");

const ASSERTION_URL: &str = "https://example.org/beths-robotics-badge.json";
const BADGE_URL: &str = "https://example.org/robotics-badge.json";
const ISSUER_URL: &str = "https://example.org/organization.json";

fn at(ts: &str) -> jiff::Timestamp {
    ts.parse().expect("timestamp")
}

/// The issuer's site as a map from URL to what it serves.
struct Site(HashMap<String, Fetched>);

impl Site {
    /// The three documents of the specification's example.
    fn example() -> Site {
        let mut s = Site(HashMap::new());
        s.serve(ASSERTION_URL, ASSERTION);
        s.serve(BADGE_URL, BADGE_CLASS);
        s.serve(ISSUER_URL, ISSUER);
        s
    }

    fn serve(&mut self, url: &str, text: &str) {
        self.0.insert(
            url.into(),
            Fetched::Document {
                text: text.into(),
                fetched_at: at("2017-01-10T12:00:00Z"),
            },
        );
    }

    fn edit(&mut self, url: &str, f: impl FnOnce(&mut Value)) {
        let Some(Fetched::Document { text, .. }) = self.0.get(url) else {
            panic!("{url} is not served");
        };
        let mut v: Value = serde_json::from_str(text).expect("json");
        f(&mut v);
        self.serve(url, &v.to_string());
    }

    fn verify(&self, given: &str) -> ob2::Ob2Verdict {
        let lookup = |url: &str| self.0.get(url).cloned();
        ob2::verify(
            given,
            &Ob2Options {
                now: Some(at("2017-01-15T00:00:00Z")),
                documents: Some(Documents(&lookup)),
                ..Ob2Options::default()
            },
        )
    }
}

#[test]
fn the_specification_example_verifies_against_its_hosted_documents() {
    let v = Site::example().verify(ASSERTION);
    assert_eq!(v.outcome, Outcome::Valid, "{:?}", v.reasons);
    assert_eq!(
        v.badge.as_ref().map(|b| b.name.as_str()),
        Some("Awesome Robotics Badge")
    );
    assert_eq!(
        v.issuer.as_ref().map(|p| p.name.as_str()),
        Some("An Example Badge Issuer")
    );
    let urls: Vec<&str> = v.sources.iter().map(|s| s.url.as_str()).collect();
    assert_eq!(urls, [ASSERTION_URL, BADGE_URL, ISSUER_URL]);
    assert!(v.missing.is_empty());
}

#[test]
fn without_documents_it_stays_indeterminate_and_names_what_to_fetch() {
    let v = Site(HashMap::new()).verify(ASSERTION);
    assert_eq!(v.outcome, Outcome::Indeterminate);
    assert_eq!(v.missing, [ASSERTION_URL]);
    let mut site = Site(HashMap::new());
    site.serve(ASSERTION_URL, ASSERTION);
    let v = site.verify(ASSERTION);
    assert_eq!(v.outcome, Outcome::Indeterminate);
    assert_eq!(v.missing, [BADGE_URL]);
    site.serve(BADGE_URL, BADGE_CLASS);
    assert_eq!(site.verify(ASSERTION).missing, [ISSUER_URL]);
    // Without any lookup at all: the offline reason.
    let v = ob2::verify(ASSERTION, &Ob2Options::default());
    assert_eq!(v.reasons, [ob2::HOSTED_REASON]);
}

#[test]
fn the_issuer_revokes_by_marking_the_hosted_copy_or_answering_gone() {
    let mut site = Site::example();
    site.edit(ASSERTION_URL, |a| {
        a["revoked"] = json!(true);
        a["revocationReason"] = json!("Awarded in error");
    });
    let v = site.verify(ASSERTION);
    assert_eq!(v.outcome, Outcome::Invalid);
    assert!(
        v.reasons.iter().any(|r| r.contains("Awarded in error")),
        "{:?}",
        v.reasons
    );
    let mut site = Site::example();
    site.0.insert(
        ASSERTION_URL.into(),
        Fetched::Gone {
            fetched_at: at("2017-01-10T12:00:00Z"),
        },
    );
    let v = site.verify(ASSERTION);
    assert_eq!(v.outcome, Outcome::Invalid);
    assert!(v.reasons[0].contains("410 Gone"), "{:?}", v.reasons);
}

#[test]
fn a_badge_that_differs_from_the_hosted_copy_is_invalid() {
    let mut given: Value = serde_json::from_str(ASSERTION).expect("json");
    given["recipient"]["identity"] =
        json!("sha256$0000000000000000000000000000000000000000000000000000000000000000");
    let v = Site::example().verify(&given.to_string());
    assert_eq!(v.outcome, Outcome::Invalid);
    assert!(v.reasons[0].contains("(recipient)"), "{:?}", v.reasons);
    let mut given: Value = serde_json::from_str(ASSERTION).expect("json");
    given["expires"] = json!("2030-01-01T00:00:00Z");
    let v = Site::example().verify(&given.to_string());
    assert!(v.reasons[0].contains("(expires)"), "{:?}", v.reasons);
}

#[test]
fn the_hosting_policy_decides_where_assertions_may_live() {
    // An assertion served on another host than the issuer's: refused by the
    // default policy, accepted when the Profile allows that host.
    let elsewhere = "https://badges.example.net/beths-robotics-badge.json";
    let moved = |site: &mut Site| {
        let mut a: Value = serde_json::from_str(ASSERTION).expect("json");
        a["id"] = json!(elsewhere);
        let text = a.to_string();
        site.serve(elsewhere, &text);
        text
    };
    let mut site = Site::example();
    let given = moved(&mut site);
    let v = site.verify(&given);
    assert_eq!(v.outcome, Outcome::Invalid);
    assert!(
        v.reasons[0].contains("badges.example.net, which the issuer"),
        "{:?}",
        v.reasons
    );
    site.edit(ISSUER_URL, |p| {
        p["verification"] = json!({"allowedOrigins": ["badges.example.net"]});
    });
    assert_eq!(site.verify(&given).outcome, Outcome::Valid);
    site.edit(ISSUER_URL, |p| {
        p["verification"] = json!({
            "allowedOrigins": "badges.example.net",
            "startsWith": ["https://badges.example.net/issued/"],
        });
    });
    let v = site.verify(&given);
    assert_eq!(v.outcome, Outcome::Invalid);
    assert!(
        v.reasons[0].contains("does not start with"),
        "{:?}",
        v.reasons
    );
}

#[test]
fn documents_must_be_what_their_urls_say() {
    let mut site = Site::example();
    site.edit(BADGE_URL, |b| {
        b["id"] = json!("https://example.org/other.json")
    });
    let v = site.verify(ASSERTION);
    assert_eq!(v.outcome, Outcome::Invalid);
    assert!(v.reasons[0].contains("has another id"), "{:?}", v.reasons);
    let mut site = Site::example();
    site.serve(ISSUER_URL, "<html>not found</html>");
    let v = site.verify(ASSERTION);
    assert_eq!(v.outcome, Outcome::Invalid);
    assert!(
        v.reasons[0].contains("not an issuer Profile"),
        "{:?}",
        v.reasons
    );
    // An assertion whose id is not an http(s) URL cannot be hosted.
    let mut given: Value = serde_json::from_str(ASSERTION).expect("json");
    given["id"] = json!("urn:uuid:a953081a-4bbd-4927-9653-7219bca00e3b");
    let v = Site::example().verify(&given.to_string());
    assert_eq!(v.outcome, Outcome::Invalid);
}

#[test]
fn the_hosted_copy_decides_the_dates() {
    // The specification's example expired on 2017-06-30.
    let site = Site::example();
    let lookup = |url: &str| site.0.get(url).cloned();
    let v = ob2::verify(
        ASSERTION,
        &Ob2Options {
            now: Some(at("2018-01-01T00:00:00Z")),
            documents: Some(Documents(&lookup)),
            ..Ob2Options::default()
        },
    );
    assert_eq!(v.outcome, Outcome::Invalid);
    assert!(v.reasons[0].contains("expired"), "{:?}", v.reasons);
}

/// The issuer site of the signed test badge: its hosted Profile listing
/// the key, and the key document.
fn signing_site(key_pem: &str, listed: bool, owner: &str) -> Site {
    let mut s = Site(HashMap::new());
    let keys = if listed {
        json!(["https://example.org/keys/1"])
    } else {
        json!([])
    };
    s.serve(
        "https://example.org/issuer",
        &json!({
            "@context": "https://w3id.org/openbadges/v2",
            "type": "Issuer",
            "id": "https://example.org/issuer",
            "name": "Example Maker Society",
            "publicKey": keys,
        })
        .to_string(),
    );
    s.serve(
        "https://example.org/keys/1",
        &json!({
            "@context": "https://w3id.org/openbadges/v2",
            "type": "CryptographicKey",
            "id": "https://example.org/keys/1",
            "owner": owner,
            "publicKeyPem": key_pem,
        })
        .to_string(),
    );
    s.serve(
        "https://example.org/revocations",
        &json!({
            "@context": "https://w3id.org/openbadges/v2",
            "type": "RevocationList",
            "id": "https://example.org/revocations",
            "issuer": "https://example.org/issuer",
            "revokedAssertions": [],
        })
        .to_string(),
    );
    s
}

#[test]
fn a_signed_badge_verifies_with_the_key_its_hosted_profile_lists() {
    use crate::ob2_assertions::{OTHER_PEM, PUBLIC_PEM, signed_jws};
    let jws = signed_jws();
    let v = signing_site(PUBLIC_PEM, true, "https://example.org/issuer").verify(&jws);
    assert_eq!(v.outcome, Outcome::Valid, "{:?}", v.reasons);
    let urls: Vec<&str> = v.sources.iter().map(|s| s.url.as_str()).collect();
    assert_eq!(
        urls,
        [
            "https://example.org/issuer",
            "https://example.org/keys/1",
            "https://example.org/revocations"
        ]
    );

    // The issuer's revocation list, fetched, revokes it.
    let mut site = signing_site(PUBLIC_PEM, true, "https://example.org/issuer");
    site.edit("https://example.org/revocations", |l| {
        l["revokedAssertions"] = json!([{
            "id": "urn:uuid:2f1b4a8e-3c1d-4e5f-9a0b-1c2d3e4f5a6b",
            "revocationReason": "Issued in error",
        }]);
    });
    let v = site.verify(&jws);
    assert_eq!(v.outcome, Outcome::Invalid);
    assert!(v.reasons[0].contains("Issued in error"), "{:?}", v.reasons);
    // Not fetched yet: named as missing.
    let mut site = signing_site(PUBLIC_PEM, true, "https://example.org/issuer");
    site.0.remove("https://example.org/revocations");
    let v = site.verify(&jws);
    assert_eq!(v.outcome, Outcome::Indeterminate);
    assert_eq!(v.missing, ["https://example.org/revocations"]);

    // Not listed by the hosted Profile, another owner, another key: refused.
    let v = signing_site(PUBLIC_PEM, false, "https://example.org/issuer").verify(&jws);
    assert_eq!(v.outcome, Outcome::Invalid);
    assert!(
        v.reasons[0].contains("does not list the signing key"),
        "{:?}",
        v.reasons
    );
    let v = signing_site(PUBLIC_PEM, true, "https://evil.example/issuer").verify(&jws);
    assert_eq!(v.outcome, Outcome::Invalid);
    assert!(v.reasons[0].contains("belongs to"), "{:?}", v.reasons);
    let v = signing_site(OTHER_PEM, true, "https://example.org/issuer").verify(&jws);
    assert_eq!(v.outcome, Outcome::Invalid);

    // Nothing fetched yet: undecided, naming the Profile and the list its
    // embedded Profile declares.
    let v = Site(HashMap::new()).verify(&jws);
    assert_eq!(v.outcome, Outcome::Indeterminate);
    assert_eq!(
        v.missing,
        [
            "https://example.org/issuer",
            "https://example.org/revocations"
        ]
    );
}

/// A signed badge whose BadgeClass is an IRI (openbadgeslib's): the issuer
/// is the one the fetched BadgeClass names, and its hosted Profile's key
/// verifies the badge.
#[test]
fn a_signed_badge_with_its_badge_class_by_iri_finds_the_issuers_key() {
    use crate::ob2_assertions::{PUBLIC_PEM, signed_jws_badge_by_iri};
    let jws = signed_jws_badge_by_iri();
    let mut site = signing_site(PUBLIC_PEM, true, "https://example.org/issuer");
    site.edit("https://example.org/issuer", |p| {
        p["revocationList"] = "https://example.org/revocations".into();
    });
    // The BadgeClass not fetched yet: undecided, naming it.
    let v = site.verify(&jws);
    assert_eq!(v.outcome, Outcome::Indeterminate, "{:?}", v.reasons);
    assert!(
        v.missing
            .iter()
            .any(|u| u == "https://example.org/badges/5"),
        "{:?}",
        v.missing
    );
    site.serve(
        "https://example.org/badges/5",
        &json!({
            "@context": "https://w3id.org/openbadges/v2",
            "type": "BadgeClass",
            "id": "https://example.org/badges/5",
            "name": "3-D Printmaster",
            "description": "Prints in three dimensions.",
            "image": "https://example.org/badges/5/image",
            "criteria": "https://example.org/badges/5/criteria",
            "issuer": "https://example.org/issuer",
        })
        .to_string(),
    );
    let v = site.verify(&jws);
    assert_eq!(v.outcome, Outcome::Valid, "{:?}", v.reasons);
    assert!(
        v.sources
            .iter()
            .any(|s| s.url == "https://example.org/keys/1"),
        "{:?}",
        v.sources
    );
}
