//! Shared fixtures: a native issuer, badge class and assertion, exported.

use std::path::PathBuf;

use badgemesh_openbadges::export::{ExportInput, export_credential};
use badgemesh_protocol::id::RecordId;
use badgemesh_protocol::keys::{IssuerId, SecretKey};
use badgemesh_protocol::record::{
    Alignment, Assertion, BadgeClass, Criteria, EMAIL_IDENTITY_TYPE, Evidence, IdentityHash,
    ImageRef, IssuerProfile, Recipient,
};
use badgemesh_protocol::testkit::seed;
use badgemesh_protocol::time::Timestamp;
use serde_json::{Map, Value};

pub const T0: Timestamp = Timestamp(1_800_000_000);

/// `interop/` with its `node_modules` and `node` on the PATH, or `None`
/// with the reason printed: a developer without Node.js still runs the rest.
/// CI sets `BADGEMESH_REQUIRE_INTEROP`, and then a missing harness fails
/// the test instead of passing it unseen.
pub fn interop_harness() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("interop");
    let missing = if !dir.join("node_modules").is_dir() {
        format!(
            "{} missing (run `npm ci` there, see interop/README.md)",
            dir.join("node_modules").display()
        )
    } else {
        match std::process::Command::new("node").arg("--version").output() {
            Ok(o) if o.status.success() => return Some(dir),
            _ => "`node` is not on PATH".to_owned(),
        }
    };
    assert!(
        std::env::var_os("BADGEMESH_REQUIRE_INTEROP").is_none(),
        "BADGEMESH_REQUIRE_INTEROP is set but {missing}"
    );
    eprintln!("skipped: {missing}");
    None
}

pub fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

pub fn read(rel: &str) -> String {
    std::fs::read_to_string(vectors().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

pub fn key(n: u64) -> SecretKey {
    SecretKey::from_seed(&seed("ob3", n)).expect("valid seed")
}

pub struct Native {
    pub key: SecretKey,
    pub assertion: Assertion,
    pub badge: BadgeClass,
    pub badge_id: RecordId,
    pub profile: IssuerProfile,
    pub assertion_id: RecordId,
}

pub fn native(n: u64, recipient: Recipient) -> Native {
    let key = key(n);
    let issuer = IssuerId::from_key(key.public());
    let badge = BadgeClass {
        issuer,
        name: "Teamwork".into(),
        description: "Awarded for working well with others.".into(),
        criteria: Criteria {
            narrative: Some("Nominated by peers.".into()),
            url: Some("https://academy.example/criteria/teamwork".into()),
        },
        image: Some(ImageRef {
            uri: "https://academy.example/teamwork.png".into(),
            digest: None,
        }),
        alignments: vec![Alignment {
            target_name: "Collaboration".into(),
            target_url: "https://framework.example/collab".into(),
            target_description: Some("Works in teams.".into()),
            target_framework: Some("Skills".into()),
            target_code: Some("C1".into()),
        }],
        tags: vec!["teamwork".into(), "soft-skills".into()],
        related: vec![],
        at: T0,
    };
    let badge_id = RecordId::of(b"badge class payload");
    let profile = IssuerProfile {
        issuer,
        seq: 1,
        name: "Example Academy".into(),
        url: Some("https://academy.example".into()),
        email: Some("badges@academy.example".into()),
        description: None,
        image: None,
        at: T0,
        public_base_url: Some("https://node.academy.example".into()),
    };
    let assertion = Assertion {
        issuer,
        badge: badge_id,
        recipient,
        issued_on: T0,
        expires: Some(T0.plus(365 * 86_400)),
        evidence: vec![Evidence {
            url: Some("https://academy.example/evidence/1".into()),
            narrative: Some("Led the group project.".into()),
        }],
        narrative: Some("Great teamwork.".into()),
        status_index: 42,
    };
    Native {
        key,
        assertion,
        badge,
        badge_id,
        profile,
        assertion_id: RecordId::of(b"assertion payload"),
    }
}

pub fn email_recipient() -> Recipient {
    Recipient::Hashed(IdentityHash::new(
        EMAIL_IDENTITY_TYPE,
        "ada@example.org",
        "pepper",
    ))
}

pub fn export(n: &Native) -> Map<String, Value> {
    export_credential(
        &ExportInput {
            assertion: &n.assertion,
            assertion_id: n.assertion_id,
            badge: &n.badge,
            badge_id: n.badge_id,
            profile: &n.profile,
            status_base_url: n.profile.public_base_url.as_deref(),
        },
        &n.key,
    )
    .expect("export")
}

pub fn bytes(doc: &Map<String, Value>) -> Vec<u8> {
    serde_json::to_vec_pretty(&Value::Object(doc.clone())).expect("json")
}
