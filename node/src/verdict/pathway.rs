//! What a verdict says for pathways: which badge class a verified badge
//! awards, and whether it counts.
//!
//! A native assertion names its badge class; an OB 3.0 credential counts
//! when its achievement is `urn:badgemesh:badge:<id>` of a class of its own
//! issuer (the verdict's `badge_class`, set by `formats`); any other badge
//! awards no class the network declares pathways over, and is reported as
//! such. A presentation's credentials count one by one, and only when the
//! presentation's own checks (proof, holder binding, challenge) did not
//! fail: someone else's badges passed off as the holder's count for nothing.
//! A CLR's credentials count likewise, only when its own proof, shape and
//! associations check out.

use badgemesh_protocol::id::RecordId;
use badgemesh_protocol::pathway::progress::{Held, Standing};
use serde_json::{Value, json};

/// The held badges a verdict (of a badge or a presentation) gives, and a
/// note for each badge that gives none. `label` names the input (a file
/// name, a backpack id) when the badge has no id of its own.
pub fn held_from(verdict: &Value, label: &str) -> (Vec<Held>, Vec<Value>) {
    let (mut held, mut notes) = (Vec::new(), Vec::new());
    if verdict["format"] == "presentation" || verdict["format"] == "clr" {
        let own_failed = verdict["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["check"] != "credentials" && c["status"] == "fail");
        for (n, c) in verdict["credentials"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            let label = format!("{label}#{n}");
            match one(c, &label) {
                Ok(mut h) => {
                    if own_failed {
                        h.standing = Standing::Invalid;
                    }
                    held.push(h);
                }
                Err(note) => notes.push(note),
            }
        }
        if own_failed {
            notes.push(json!({
                "input": label,
                "note": "the presentation's or record's own checks fail: its credentials count for nothing",
            }));
        }
    } else {
        match one(verdict, label) {
            Ok(h) => held.push(h),
            Err(note) => notes.push(note),
        }
    }
    (held, notes)
}

fn one(verdict: &Value, label: &str) -> Result<Held, Value> {
    let credential = verdict["assertion"]
        .as_str()
        .map_or_else(|| label.to_owned(), str::to_owned);
    let class = verdict["badge_class"]
        .as_str()
        .and_then(|t| t.parse::<RecordId>().ok());
    let Some(badge_class) = class else {
        return Err(json!({
            "input": label,
            "credential": credential,
            "outcome": verdict["outcome"],
            "note": "not an award of a badge class this node holds: it completes no step",
        }));
    };
    Ok(Held {
        badge_class,
        credential,
        standing: Standing::from_outcome(verdict["outcome"].as_str().unwrap_or("invalid")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_presentation_whose_own_proof_fails_gives_only_invalid_badges() {
        let class = RecordId::of(b"a badge class");
        let v = json!({
            "format": "presentation",
            "checks": [
                { "check": "proof", "status": "fail" },
                { "check": "credentials", "status": "pass" },
            ],
            "credentials": [
                { "outcome": "valid", "badge_class": class.to_string(), "assertion": "urn:x:1" },
                { "outcome": "valid", "assertion": "urn:x:2" },
            ],
        });
        let (held, notes) = held_from(&v, "vp.json");
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].standing, Standing::Invalid);
        assert_eq!(held[0].credential, "urn:x:1");
        assert_eq!(notes.len(), 2, "{notes:?}");
    }
}
