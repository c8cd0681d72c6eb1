//! `credentialSchema` (`1EdTechJsonSchemaValidator2019`) against the pinned
//! OB 3.0 JSON Schemas: the OB 3.0 specification's own examples conform, a
//! broken field gets a field-level message, an unknown schema is reported
//! as not pinned, and none of it changes a valid verdict: it is a warning.

use badgemesh_openbadges::credential::{Outcome, VerifyOptions, verify_credential};
use badgemesh_openbadges::schema::{
    JSON_SCHEMA_VALIDATOR_2019, MAX_SCHEMA_ISSUES, SchemaResult, check_credential_schemas,
};
use serde_json::{Value, json};

use crate::fixtures::{T0, email_recipient, export, native, read};

const ACHIEVEMENT: &str =
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json";
const ENDORSEMENT: &str =
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_endorsementcredential_schema.json";

/// The examples of the OB 3.0 specification, with the schema each one is
/// checked against when the specification is built (its `data-schema`).
const SPEC_EXAMPLES: [(&str, &str); 7] = [
    ("basicOpenBadgeCredential", ACHIEVEMENT),
    ("fullOpenBadge", ACHIEVEMENT),
    ("skillAssertionCase", ACHIEVEMENT),
    ("skillAssertionCtdl", ACHIEVEMENT),
    ("achievementAlignmentCase", ACHIEVEMENT),
    ("achievementAlignmentCe", ACHIEVEMENT),
    ("endorsement", ENDORSEMENT),
];

fn example(name: &str) -> Value {
    serde_json::from_str(&read(&format!("ob3-spec-examples/{name}.json"))).expect("json")
}

fn naming(mut doc: Value, schema: &str) -> Value {
    doc["credentialSchema"] = json!([{ "id": schema, "type": JSON_SCHEMA_VALIDATOR_2019 }]);
    doc
}

#[test]
fn the_specification_examples_conform() {
    for (name, schema) in SPEC_EXAMPLES {
        let results = check_credential_schemas(&naming(example(name), schema));
        assert_eq!(
            results,
            vec![SchemaResult::Valid {
                schema: schema.into()
            }],
            "{name}"
        );
    }
}

#[test]
fn the_examples_own_entries_are_checked_or_reported_as_not_pinned() {
    // The endorsement example names the OB schema and one of its own.
    let results = check_credential_schemas(&example("endorsement"));
    assert_eq!(
        results,
        vec![
            SchemaResult::Valid {
                schema: ENDORSEMENT.into()
            },
            SchemaResult::NotPinned {
                schema: "https://state.gov/schema/endorsementcredential.json".into()
            },
        ]
    );
    assert!(results[1].warnings()[0].contains("schema not pinned"));
    // No credentialSchema, nothing to say.
    assert!(check_credential_schemas(&example("basicOpenBadgeCredential")).is_empty());
}

#[test]
fn a_broken_field_gets_a_field_level_message() {
    let mut doc = naming(example("fullOpenBadge"), ACHIEVEMENT);
    doc["credentialSubject"]["achievement"]["name"] = json!(5);
    doc["validFrom"] = json!("yesterday");
    let results = check_credential_schemas(&doc);
    let [SchemaResult::Invalid { issues, more, .. }] = results.as_slice() else {
        panic!("{results:?}");
    };
    assert_eq!(*more, 0);
    let found = |path: &str, words: &str| {
        issues
            .iter()
            .any(|i| i.path == path && i.message.contains(words))
    };
    assert!(
        found("/credentialSubject/achievement/name", "\"string\""),
        "{issues:?}"
    );
    assert!(found("/validFrom", "date-time"), "{issues:?}");
    // The value itself is not repeated in the message.
    assert!(
        issues.iter().all(|i| !i.message.contains("yesterday")),
        "{issues:?}"
    );
    let warnings = results[0].warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains(ACHIEVEMENT) && w.contains("/credentialSubject/achievement/name")),
        "{warnings:?}"
    );
}

#[test]
fn issues_are_bounded() {
    let mut doc = naming(example("fullOpenBadge"), ACHIEVEMENT);
    for key in [
        "id",
        "name",
        "description",
        "validFrom",
        "validUntil",
        "awardedDate",
    ] {
        doc[key] = json!([1, 2, 3]);
    }
    for key in ["name", "description", "id", "creditsAvailable", "humanCode"] {
        doc["credentialSubject"]["achievement"][key] = json!({"x": 1});
    }
    let results = check_credential_schemas(&doc);
    let [SchemaResult::Invalid { issues, more, .. }] = results.as_slice() else {
        panic!("{results:?}");
    };
    assert_eq!(issues.len(), MAX_SCHEMA_ISSUES);
    assert!(*more > 0, "{more}");
    assert_eq!(results[0].warnings().len(), MAX_SCHEMA_ISSUES + 1);
    // Entries beyond the limit are not looked at.
    let mut many = naming(example("basicOpenBadgeCredential"), ACHIEVEMENT);
    many["credentialSchema"] = json!(vec![
        json!({"id": ACHIEVEMENT, "type": JSON_SCHEMA_VALIDATOR_2019});
        6
    ]);
    let results = check_credential_schemas(&many);
    assert_eq!(results.len(), 5);
    assert!(
        matches!(&results[4], SchemaResult::NotChecked { reason } if reason.contains("6 entries"))
    );
}

#[test]
fn other_types_and_entries_without_id_are_not_checked() {
    let mut doc = example("basicOpenBadgeCredential");
    doc["credentialSchema"] = json!([
        {"id": ACHIEVEMENT, "type": "JsonSchema"},
        {"type": JSON_SCHEMA_VALIDATOR_2019},
    ]);
    let results = check_credential_schemas(&doc);
    assert!(
        results
            .iter()
            .all(|r| matches!(r, SchemaResult::NotChecked { .. })),
        "{results:?}"
    );
}

/// Test material of 1EdTech's own validator, with what it says of it.
#[test]
fn the_1edtech_validator_material() {
    let load = |name: &str| -> Value {
        serde_json::from_str(&read(&format!("1edtech-validator/{name}.json"))).expect("json")
    };
    assert_eq!(
        check_credential_schemas(&load("complete")),
        vec![SchemaResult::Valid {
            schema: ACHIEVEMENT.into()
        }]
    );
    assert_eq!(
        check_credential_schemas(&load("endorsement-valid")),
        vec![SchemaResult::Valid {
            schema: ENDORSEMENT.into()
        }]
    );
    let results = check_credential_schemas(&load("endorsement-err-schema-status-refresh"));
    assert!(
        matches!(&results[0], SchemaResult::Invalid { issues, .. }
            if issues.iter().any(|i| i.path.starts_with("/@context"))),
        "{results:?}"
    );
}

/// Signed here with a schema named: a conforming credential is valid with
/// no warning; one with a broken field (that the proof covers) is still
/// valid, with the field-level warning; an unknown schema is a warning too.
/// (The OB schema wants `proof` as an array and `credentialStatus` with an
/// `id`, which VC 2.0 leaves optional; the credential here has both.)
#[test]
fn schema_failures_are_warnings_on_a_valid_verdict() {
    use badgemesh_openbadges::contexts::ContextSet;
    use badgemesh_openbadges::proof::{proof_options, sign};

    let n = native(31, email_recipient());
    let did = badgemesh_protocol::keys::IssuerId::from_key(n.key.public()).to_did();
    let vm = format!("{did}#{}", did.trim_start_matches("did:key:"));
    let signed = |edit: &dyn Fn(&mut Value)| {
        let mut doc = Value::Object(export(&n));
        doc.as_object_mut().expect("object").shift_remove("proof");
        // The schema type is a term of the OB extensions context.
        doc["@context"].as_array_mut().expect("array").push(json!(
            "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
        ));
        doc["credentialSchema"] =
            json!([{ "id": ACHIEVEMENT, "type": JSON_SCHEMA_VALIDATOR_2019 }]);
        doc["credentialStatus"]["id"] = json!("https://node.academy.example/ob3/status/42");
        edit(&mut doc);
        let Value::Object(mut map) = doc else {
            unreachable!("an object")
        };
        let created = map["validFrom"].as_str().expect("validFrom").to_owned();
        sign(
            &mut map,
            proof_options(&vm, &created),
            &n.key,
            &ContextSet::pinned(),
        )
        .expect("sign");
        let proof = map.shift_remove("proof").expect("signed");
        map.insert("proof".into(), json!([proof]));
        let bytes = serde_json::to_vec(&Value::Object(map)).expect("json");
        verify_credential(&bytes, T0.plus(60), &VerifyOptions::default()).expect("checks run")
    };

    let v = signed(&|_| {});
    assert_eq!(v.outcome, Outcome::Valid, "{:?}", v.checks);
    assert_eq!(v.warnings, Vec::<String>::new());

    let v = signed(&|d| d["credentialSubject"]["creditsEarned"] = json!("many"));
    assert_eq!(v.outcome, Outcome::Valid, "{:?}", v.checks);
    assert!(
        v.warnings
            .iter()
            .any(|w| w.contains("/credentialSubject/creditsEarned") && w.contains("number")),
        "{:?}",
        v.warnings
    );

    let v = signed(&|d| {
        d["credentialSchema"] =
            json!({ "id": "https://schemas.example/mine.json", "type": JSON_SCHEMA_VALIDATOR_2019 })
    });
    assert_eq!(v.outcome, Outcome::Valid, "{:?}", v.checks);
    assert_eq!(
        v.warnings,
        vec![
            "credentialSchema https://schemas.example/mine.json: schema not pinned here, so not checked (schemas are never fetched)"
                .to_owned()
        ]
    );
}

/// A credential near the 1 MiB limit with a hundred thousand failing
/// fields is checked in bounded time, and what is reported stays bounded.
#[test]
fn large_failing_documents_stay_bounded() {
    let mut doc = naming(example("fullOpenBadge"), ACHIEVEMENT);
    doc["credentialSubject"]["achievement"]["alignment"] = json!(vec![json!({}); 100_000]);
    let text = serde_json::to_vec(&doc).expect("json");
    assert!(text.len() < 1024 * 1024, "{}", text.len());
    let started = std::time::Instant::now();
    let results = check_credential_schemas(&doc);
    let [SchemaResult::Invalid { issues, more, .. }] = results.as_slice() else {
        panic!("{results:?}");
    };
    assert_eq!(issues.len(), MAX_SCHEMA_ISSUES);
    assert!(*more >= 100_000, "{more}");
    // Generous for a debug build on a busy machine.
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}
