//! What an OB 3.0 credential says about its achievement and its award,
//! beyond a name and criteria, for the verdict to show: alignments,
//! related achievements, result descriptions (rubric levels), credits,
//! tags; the earner's results, credits, activity dates, narrative and the
//! evidence. Read as plain JSON from a credential whose checks already ran;
//! every list is capped so a verdict stays small whatever the credential.

use serde_json::{Map, Value, json};

/// Items of any one list shown, at most.
const MAX_ITEMS: usize = 32;

/// A value, or the items of an array, at most [`MAX_ITEMS`].
fn items(v: &Value) -> impl Iterator<Item = &Value> {
    let all: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        one => vec![one],
    };
    all.into_iter().take(MAX_ITEMS)
}

/// Keeps the fields of `obj` named in `keys`, renamed (`(from, to)`).
fn pick(obj: &Value, keys: &[(&str, &str)]) -> Value {
    let mut m = Map::new();
    for (from, to) in keys {
        let v = &obj[*from];
        if !v.is_null() {
            m.insert((*to).to_owned(), v.clone());
        }
    }
    Value::Object(m)
}

/// The achievement's own fields, added to the verdict's `badge`.
pub fn achievement_details(achievement: &Value) -> Map<String, Value> {
    let mut m = Map::new();
    let alignments: Vec<Value> = items(&achievement["alignment"])
        .map(|a| {
            pick(
                a,
                &[
                    ("targetName", "name"),
                    ("targetUrl", "url"),
                    ("targetDescription", "description"),
                    ("targetFramework", "framework"),
                    ("targetCode", "code"),
                ],
            )
        })
        .collect();
    let related: Vec<Value> = items(&achievement["related"])
        .map(|r| {
            pick(
                r,
                &[
                    ("id", "id"),
                    ("version", "version"),
                    ("inLanguage", "language"),
                ],
            )
        })
        .collect();
    let results: Vec<Value> = items(&achievement["resultDescription"])
        .map(|d| {
            let levels: Vec<Value> = items(&d["rubricCriterionLevel"])
                .map(|l| {
                    pick(
                        l,
                        &[
                            ("id", "id"),
                            ("name", "name"),
                            ("description", "description"),
                            ("level", "level"),
                            ("points", "points"),
                        ],
                    )
                })
                .collect();
            let mut r = pick(
                d,
                &[
                    ("id", "id"),
                    ("name", "name"),
                    ("resultType", "type"),
                    ("requiredLevel", "required_level"),
                    ("requiredValue", "required_value"),
                ],
            );
            if let Value::Object(o) = &mut r
                && !levels.is_empty()
            {
                o.insert("levels".into(), Value::Array(levels));
            }
            r
        })
        .collect();
    let tags: Vec<Value> = items(&achievement["tag"]).cloned().collect();
    m.insert("alignments".into(), Value::Array(alignments));
    m.insert("related".into(), Value::Array(related));
    m.insert("result_descriptions".into(), Value::Array(results));
    m.insert("tags".into(), Value::Array(tags));
    m.insert(
        "credits_available".into(),
        achievement["creditsAvailable"].clone(),
    );
    m.insert(
        "achievement_type".into(),
        achievement["achievementType"].clone(),
    );
    m
}

/// The award itself: what this earner achieved and the evidence.
pub fn award_details(doc: &Value) -> Value {
    let subject = match &doc["credentialSubject"] {
        Value::Array(a) => a.first().unwrap_or(&Value::Null),
        s => s,
    };
    let descriptions = &subject["achievement"]["resultDescription"];
    let results: Vec<Value> = items(&subject["result"])
        .map(|r| {
            let mut out = pick(
                r,
                &[
                    ("value", "value"),
                    ("status", "status"),
                    ("achievedLevel", "achieved_level"),
                ],
            );
            // Name the description (and the level) the result refers to.
            let described = items(descriptions)
                .find(|d| d["id"].is_string() && d["id"] == r["resultDescription"]);
            if let (Value::Object(o), Some(d)) = (&mut out, described) {
                o.insert("description".into(), d["name"].clone());
                if let Some(level) = items(&d["rubricCriterionLevel"])
                    .find(|l| l["id"].is_string() && l["id"] == r["achievedLevel"])
                {
                    o.insert("level".into(), level["name"].clone());
                }
            }
            out
        })
        .collect();
    let evidence: Vec<Value> = items(&doc["evidence"])
        .map(|e| {
            pick(
                e,
                &[
                    ("id", "url"),
                    ("name", "name"),
                    ("description", "description"),
                    ("narrative", "narrative"),
                    ("genre", "genre"),
                    ("audience", "audience"),
                ],
            )
        })
        .collect();
    json!({
        "results": results,
        "credits_earned": subject["creditsEarned"],
        "activity_start": subject["activityStartDate"],
        "activity_end": subject["activityEndDate"],
        "term": subject["term"],
        "license_number": subject["licenseNumber"],
        "role": subject["role"],
        "narrative": subject["narrative"],
        "evidence": evidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The OB 3.0 specification's complete example ("fullOpenBadge").
    const FULL: &str =
        include_str!("../../../openbadges/tests/vectors/ob3-spec-examples/fullOpenBadge.json");

    #[test]
    fn the_specifications_complete_example_is_read_whole() {
        let doc: Value = serde_json::from_str(FULL).expect("json");
        let badge = achievement_details(&doc["credentialSubject"]["achievement"]);
        assert!(!badge["alignments"].as_array().expect("list").is_empty());
        assert!(badge["alignments"][0]["name"].is_string(), "{badge:?}");
        let rubric = &badge["result_descriptions"];
        assert!(rubric.as_array().is_some_and(|r| !r.is_empty()), "{rubric}");
        assert!(!badge["credits_available"].is_null());
        let award = award_details(&doc);
        assert!(
            award["results"].as_array().is_some_and(|r| !r.is_empty()),
            "{award}"
        );
        assert!(!award["credits_earned"].is_null());
        assert!(award["activity_start"].is_string() && award["activity_end"].is_string());
        assert!(
            award["evidence"].as_array().is_some_and(|e| !e.is_empty()),
            "{award}"
        );
        assert!(award["term"].is_string() && award["role"].is_string());
    }

    #[test]
    fn lists_are_capped() {
        let many: Vec<Value> = (0..100)
            .map(|i| json!({"targetName": format!("t{i}"), "targetUrl": "https://x"}))
            .collect();
        let badge = achievement_details(&json!({ "alignment": many }));
        assert_eq!(
            badge["alignments"].as_array().map(Vec::len),
            Some(MAX_ITEMS)
        );
    }
}
