//! `credentialSchema` checks: an OB 3.0 credential may name the JSON Schema
//! it conforms to, with type `1EdTechJsonSchemaValidator2019`. The schemas
//! 1EdTech publishes for OB 3.0 are pinned in `openbadges/schemas/` (source
//! and licence in its README), like the JSON-LD contexts; any other schema
//! URL is reported as not pinned, never fetched. Validation is JSON Schema
//! draft 2019-09 (the schemas' own `$schema`) with the `jsonschema` crate,
//! built without its network and file resolvers, formats checked.
//!
//! A failure is about the credential's shape, not its authenticity, so the
//! caller reports it as a warning on an otherwise valid credential (as
//! 1EdTech's validator does for credentials that fail the canonical schema
//! but whose JSON-LD holds): see [`crate::credential::Verdict::warnings`].
//! What is reported is bounded: at most [`MAX_SCHEMA_ENTRIES`] schemas per
//! credential, [`MAX_SCHEMA_ISSUES`] field-level issues per schema, each
//! message at most [`MAX_ISSUE_CHARS`] characters, instance values masked.

use std::sync::OnceLock;

use jsonschema::Validator;
use serde_json::Value;

/// The `credentialSchema` type OB 3.0 defines for JSON Schema validation.
pub const JSON_SCHEMA_VALIDATOR_2019: &str = "1EdTechJsonSchemaValidator2019";
/// Most `credentialSchema` entries looked at; the others are reported as not
/// checked.
pub const MAX_SCHEMA_ENTRIES: usize = 4;
/// Most field-level issues reported per schema; the rest are counted.
pub const MAX_SCHEMA_ISSUES: usize = 8;
/// Longest path or message reported, in characters.
pub const MAX_ISSUE_CHARS: usize = 200;

const ACHIEVEMENT_CREDENTIAL: &str =
    include_str!("../schemas/ob_v3p0_achievementcredential_schema.json");
const ENDORSEMENT_CREDENTIAL: &str =
    include_str!("../schemas/ob_v3p0_endorsementcredential_schema.json");

/// The pinned schemas: the URLs credentials name them by (the published
/// URL, and the `$id` the files carry), and their text.
const PINNED: [(&[&str], &str); 2] = [
    (
        &[
            "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
            "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential-jsonschema1.json",
        ],
        ACHIEVEMENT_CREDENTIAL,
    ),
    (
        &[
            "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_endorsementcredential_schema.json",
            "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_endorsementcredential-jsonschema1.json",
        ],
        ENDORSEMENT_CREDENTIAL,
    ),
];

/// One field that does not conform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaIssue {
    /// Where in the credential, as a JSON Pointer (`/credentialSubject/id`;
    /// empty for the whole credential).
    pub path: String,
    /// What is wrong, with the value itself left out.
    pub message: String,
}

/// What came of one `credentialSchema` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SchemaResult {
    /// The credential conforms to the schema.
    Valid {
        /// The schema's URL as the credential gives it.
        schema: String,
    },
    /// The credential does not conform.
    Invalid {
        /// The schema's URL.
        schema: String,
        /// The first [`MAX_SCHEMA_ISSUES`] issues.
        issues: Vec<SchemaIssue>,
        /// How many more there were.
        more: usize,
    },
    /// The schema is not one of the pinned ones, so it was not checked
    /// (schemas are never fetched).
    NotPinned {
        /// The schema's URL.
        schema: String,
    },
    /// An entry this verifier does not check: another type, no `id`, or
    /// beyond [`MAX_SCHEMA_ENTRIES`].
    NotChecked {
        /// Why, in words.
        reason: String,
    },
}

impl SchemaResult {
    /// The warnings this result gives a verdict (none when valid).
    pub fn warnings(&self) -> Vec<String> {
        match self {
            SchemaResult::Valid { .. } => vec![],
            SchemaResult::Invalid {
                schema,
                issues,
                more,
            } => {
                let mut out: Vec<String> = issues
                    .iter()
                    .map(|i| {
                        let at = if i.path.is_empty() { "/" } else { &i.path };
                        format!("credentialSchema {schema}: {at}: {}", i.message)
                    })
                    .collect();
                if *more > 0 {
                    out.push(format!(
                        "credentialSchema {schema}: {more} more issues not listed"
                    ));
                }
                out
            }
            SchemaResult::NotPinned { schema } => vec![format!(
                "credentialSchema {schema}: schema not pinned here, so not checked (schemas are never fetched)"
            )],
            SchemaResult::NotChecked { reason } => vec![format!("credentialSchema: {reason}")],
        }
    }
}

/// Checks `doc` against every `credentialSchema` entry it has (none: an
/// empty list).
pub fn check_credential_schemas(doc: &Value) -> Vec<SchemaResult> {
    let entries: Vec<&Value> = match doc.get("credentialSchema") {
        None | Some(Value::Null) => return vec![],
        Some(Value::Array(a)) => a.iter().collect(),
        Some(one) => vec![one],
    };
    let mut out = Vec::new();
    for (n, entry) in entries.iter().enumerate() {
        if n == MAX_SCHEMA_ENTRIES {
            out.push(SchemaResult::NotChecked {
                reason: format!(
                    "{} entries, only the first {MAX_SCHEMA_ENTRIES} are checked",
                    entries.len()
                ),
            });
            break;
        }
        out.push(check_entry(doc, entry));
    }
    out
}

fn check_entry(doc: &Value, entry: &Value) -> SchemaResult {
    let kind = entry.get("type").and_then(Value::as_str);
    let Some(url) = entry.get("id").and_then(Value::as_str) else {
        return SchemaResult::NotChecked {
            reason: "an entry without an id".into(),
        };
    };
    let url = truncate(url);
    if kind != Some(JSON_SCHEMA_VALIDATOR_2019) {
        return SchemaResult::NotChecked {
            reason: format!(
                "{url}: type {} is not checked (only {JSON_SCHEMA_VALIDATOR_2019})",
                truncate(kind.unwrap_or("(none)"))
            ),
        };
    }
    let Some(validator) = validator(&url) else {
        return SchemaResult::NotPinned { schema: url };
    };
    let mut issues = Vec::new();
    let mut more = 0;
    for error in validator.iter_errors(doc) {
        if issues.len() < MAX_SCHEMA_ISSUES {
            issues.push(SchemaIssue {
                path: truncate(error.instance_path().as_str()),
                message: truncate(&error.masked().to_string()),
            });
        } else {
            more += 1;
        }
    }
    if issues.is_empty() {
        SchemaResult::Valid { schema: url }
    } else {
        SchemaResult::Invalid {
            schema: url,
            issues,
            more,
        }
    }
}

/// The compiled validator of a pinned schema, compiled once.
fn validator(url: &str) -> Option<&'static Validator> {
    static COMPILED: OnceLock<Vec<Option<Validator>>> = OnceLock::new();
    let compiled = COMPILED.get_or_init(|| {
        PINNED
            .iter()
            .map(|(_, text)| {
                let schema: Value = serde_json::from_str(text).ok()?;
                jsonschema::draft201909::options()
                    .should_validate_formats(true)
                    .build(&schema)
                    .ok()
            })
            .collect()
    });
    let i = PINNED.iter().position(|(urls, _)| urls.contains(&url))?;
    compiled.get(i)?.as_ref()
}

/// At most [`MAX_ISSUE_CHARS`] characters, marked when cut.
fn truncate(s: &str) -> String {
    match s.char_indices().nth(MAX_ISSUE_CHARS) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pinned_schema_compiles_offline() {
        for (urls, _) in PINNED {
            for url in urls {
                assert!(validator(url).is_some(), "{url}");
            }
        }
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        let long = "é".repeat(MAX_ISSUE_CHARS + 5);
        let cut = truncate(&long);
        assert_eq!(cut.chars().count(), MAX_ISSUE_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(truncate("short"), "short");
    }
}
