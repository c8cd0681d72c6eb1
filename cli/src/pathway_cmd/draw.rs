//! Text drawings of what the node answers: the graph around a badge class
//! (a tree of pathways, steps and badges) and a holder's progress.
//!
//! Pure functions over the node's JSON, so the drawing is tested without a
//! node; ids are shortened, names shown when the node holds the class.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write;

use serde_json::Value;

/// A badge class id shortened for reading (`bciq…` + its last 8).
fn short(id: &str) -> String {
    if id.len() > 16 && id.is_ascii() {
        format!("{}…{}", &id[..4], &id[id.len() - 8..])
    } else {
        id.to_owned()
    }
}

fn badge_label(badges: &HashMap<&str, &Value>, id: &str, goal_issuer: Option<&str>) -> String {
    let b = badges.get(id);
    let name = b
        .and_then(|b| b["name"].as_str())
        .unwrap_or("(badge class not held here)");
    let mut s = format!("{name} [{}]", short(id));
    if let (Some(issuer), Some(goal_issuer)) = (b.and_then(|b| b["issuer"].as_str()), goal_issuer)
        && issuer != goal_issuer
    {
        let _ = write!(s, "  from {}", short(issuer));
    }
    s
}

fn step_title(step: &Value) -> String {
    let need = step["need"].as_u64().unwrap_or(0);
    let of = step["of"].as_array().map_or(0, Vec::len);
    if need as usize == of {
        format!("all of {of}")
    } else {
        format!("{need} of {of}")
    }
}

/// Draws the graph the node answers for `GET /v1/badges/{id}/pathway`.
pub fn graph(g: &Value) -> String {
    let badges: HashMap<&str, &Value> = g["badges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["id"].as_str().map(|id| (id, b)))
        .collect();
    let goal = g["goal"].as_str().unwrap_or("");
    let goal_issuer = badges.get(goal).and_then(|b| b["issuer"].as_str());
    let mut out = String::new();
    let _ = writeln!(out, "{}", badge_label(&badges, goal, None));
    let mut seen = BTreeSet::new();
    draw_below(g, &badges, goal, goal_issuer, "", &mut seen, &mut out);
    if let Some(to) = g["leads_to"].as_array().filter(|l| !l.is_empty()) {
        let _ = writeln!(out, "leads to:");
        for id in to.iter().filter_map(Value::as_str) {
            let _ = writeln!(out, "  → {}", badge_label(&badges, id, goal_issuer));
        }
    }
    for cycle in g["cycles"].as_array().into_iter().flatten() {
        let path: Vec<String> = cycle
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|id| badge_label(&badges, id, None))
            .collect();
        let _ = writeln!(
            out,
            "cycle (declared by two pathways; not followed): {}",
            path.join(" requires ")
        );
    }
    if g["truncated"] == true {
        let _ = writeln!(out, "(more not shown: the graph is larger than one answer)");
    }
    if g["pathways"]
        .as_array()
        .is_none_or(|p| p.iter().all(|p| p["goal"] != goal))
    {
        let _ = writeln!(out, "no pathway leads to this badge on this node");
    }
    out
}

fn draw_below(
    g: &Value,
    badges: &HashMap<&str, &Value>,
    goal: &str,
    goal_issuer: Option<&str>,
    indent: &str,
    seen: &mut BTreeSet<String>,
    out: &mut String,
) {
    if !seen.insert(goal.to_owned()) {
        return;
    }
    let to: Vec<&Value> = g["pathways"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["goal"] == goal)
        .collect();
    for (pn, p) in to.iter().enumerate() {
        let last_p = pn + 1 == to.len();
        let (branch, next) = if last_p {
            ("└─", "   ")
        } else {
            ("├─", "│  ")
        };
        let name = p["name"]
            .as_str()
            .map(|n| format!(" \"{n}\""))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{indent}{branch} pathway{name} [{}]",
            short(p["id"].as_str().unwrap_or(""))
        );
        let indent_p = format!("{indent}{next}");
        let steps = p["steps"].as_array().cloned().unwrap_or_default();
        for (sn, step) in steps.iter().enumerate() {
            let last_s = sn + 1 == steps.len();
            let (branch, next) = if last_s {
                ("└─", "   ")
            } else {
                ("├─", "│  ")
            };
            let _ = writeln!(out, "{indent_p}{branch} {}:", step_title(step));
            let indent_s = format!("{indent_p}{next}");
            let of: Vec<&str> = step["of"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            for (bn, id) in of.iter().enumerate() {
                let last_b = bn + 1 == of.len();
                let (branch, next) = if last_b {
                    ("└─", "   ")
                } else {
                    ("├─", "│  ")
                };
                let _ = writeln!(
                    out,
                    "{indent_s}{branch} {}",
                    badge_label(badges, id, goal_issuer)
                );
                let indent_b = format!("{indent_s}{next}");
                draw_below(g, badges, id, goal_issuer, &indent_b, seen, out);
            }
        }
    }
}

/// The pathways of a progress answer, each line after `indent`; a
/// prerequisite not done that has pathways of its own gets their progress
/// below it, indented.
fn pathways_text(pathways: &[Value], indent: &str, out: &mut String) {
    for pw in pathways {
        let title = pw["name"]
            .as_str()
            .map(|n| format!(" \"{n}\""))
            .unwrap_or_default();
        let state = if pw["complete"] == true {
            "complete"
        } else {
            "incomplete"
        };
        let _ = writeln!(
            out,
            "{indent}  pathway{title} [{}]: {state}",
            short(pw["id"].as_str().unwrap_or(""))
        );
        for (n, step) in pw["steps"].as_array().into_iter().flatten().enumerate() {
            let _ = writeln!(
                out,
                "{indent}    step {}: {}, {} done{}",
                n + 1,
                step_title(&badge_ids(step)),
                step["done"],
                if step["complete"] == true { " ✓" } else { "" }
            );
            for item in step["items"].as_array().into_iter().flatten() {
                let mark = if item["state"] == "done" {
                    "[x]"
                } else {
                    "[ ]"
                };
                let name = item["name"]
                    .as_str()
                    .unwrap_or("(badge class not held here)");
                let cred = item["credential"]
                    .as_str()
                    .map(|c| format!("  ({c})"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "{indent}      {mark} {name} [{}]: {}{cred}",
                    short(item["badge"].as_str().unwrap_or("")),
                    item["state"].as_str().unwrap_or("?"),
                );
                let towards = &item["towards"];
                if let Some(sub) = towards["pathways"]
                    .as_array()
                    .filter(|_| towards.is_object())
                {
                    let _ = writeln!(
                        out,
                        "{indent}          its own pathways: {}",
                        if towards["complete"] == true {
                            "every step done (the badge itself is still needed from its issuer)"
                        } else {
                            "steps remain"
                        }
                    );
                    pathways_text(sub, &format!("{indent}        "), out);
                }
            }
        }
    }
}

/// Draws the answer of `POST /v1/badges/{id}/pathway/progress`.
pub fn progress(p: &Value) -> String {
    let mut out = String::new();
    let name = p["name"].as_str().unwrap_or("(badge class)");
    let goal = short(p["goal"].as_str().unwrap_or(""));
    let verdict = if p["goal_held"].is_string() {
        "already held"
    } else if p["complete"] == true {
        "every step done: the badge can be awarded"
    } else {
        "steps remain"
    };
    let _ = writeln!(out, "{name} [{goal}]: {verdict}");
    let pathways = p["pathways"].as_array().cloned().unwrap_or_default();
    if pathways.is_empty() {
        let _ = writeln!(out, "  no pathway leads to this badge on this node");
    }
    pathways_text(&pathways, "", &mut out);
    match p["awarded"]["result"].as_str() {
        Some("awarded") => {
            let _ = writeln!(
                out,
                "  awarded now by the issuer's node: {}",
                p["awarded"]["id"].as_str().unwrap_or("")
            );
        }
        Some("already_awarded") => {
            let _ = writeln!(
                out,
                "  already awarded for these badges ({})",
                p["awarded"]["key"].as_str().unwrap_or("")
            );
        }
        _ => {}
    }
    for note in p["notes"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "  note: {}: {}",
            note["input"].as_str().unwrap_or("?"),
            note["note"].as_str().unwrap_or("")
        );
    }
    out
}

/// A progress step in the graph's step shape (`need`, `of`), for its title.
fn badge_ids(step: &Value) -> Value {
    let of: Vec<Value> = step["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| i["badge"].clone())
        .collect();
    serde_json::json!({ "need": step["need"], "of": of })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const GOAL: &str = "bciqgoal0000000000000000000000000000000000000000000000goal";
    const A: &str = "bciqaaaa000000000000000000000000000000000000000000000000aaaa";
    const D: &str = "bciqdddd000000000000000000000000000000000000000000000000dddd";

    #[test]
    fn a_graph_draws_steps_badges_other_issuers_and_cycles() {
        let g = json!({
            "goal": GOAL,
            "badges": [
                { "id": GOAL, "name": "Master welder", "issuer": "did:key:z6MkSchool0000000000", "depth": 0 },
                { "id": A, "name": "Welding basics", "issuer": "did:key:z6MkSchool0000000000", "depth": 1 },
                { "id": D, "name": "Dive safety", "issuer": "did:key:z6MkPartner000000000", "depth": 1 },
            ],
            "pathways": [{
                "id": "bciqpath00000000000000000000000000000000000000000000000path",
                "goal": GOAL, "name": "Capstone track",
                "steps": [{ "need": 1, "of": [A] }, { "need": 1, "of": [A, D] }],
            }],
            "leads_to": [],
            "cycles": [[GOAL, D, GOAL]],
            "truncated": false,
        });
        let text = graph(&g);
        assert!(
            text.starts_with("Master welder [bciq…0000goal]\n"),
            "{text}"
        );
        assert!(text.contains("└─ pathway \"Capstone track\""), "{text}");
        assert!(text.contains("├─ all of 1:"), "{text}");
        assert!(text.contains("└─ 1 of 2:"), "{text}");
        assert!(
            text.contains("Dive safety [bciq…0000dddd]  from did:…00000000"),
            "{text}"
        );
        assert!(
            !text.contains("Welding basics [bciq…0000aaaa]  from"),
            "{text}"
        );
        assert!(
            text.contains("cycle (declared by two pathways; not followed): Master welder"),
            "{text}"
        );
        assert!(!text.contains("no pathway leads"), "{text}");
    }

    #[test]
    fn progress_marks_done_and_remaining_steps() {
        let sub_step = json!({ "need": 1, "done": 1, "complete": true, "items": [
            { "badge": A, "name": "Pool safety", "state": "done", "credential": "x" },
        ]});
        let towards = json!({ "goal": D, "complete": true, "pathways": [{
            "id": "bciqsub", "complete": true, "rests_on": ["x"], "steps": [sub_step],
        }]});
        let p = json!({
            "goal": GOAL, "name": "Master welder", "goal_held": null, "complete": false,
            "pathways": [{
                "id": "bciqpath", "name": null, "complete": false, "rests_on": [],
                "steps": [{ "need": 2, "done": 1, "complete": false, "items": [
                    { "badge": A, "name": "Welding basics", "state": "done", "credential": "bciqaward" },
                    { "badge": D, "name": "Dive safety", "state": "revoked", "credential": "bciqd",
                      "towards": towards },
                ]}],
            }],
            "notes": [{ "input": "cat.png", "note": "not an award of a badge class this node holds" }],
        });
        let text = progress(&p);
        assert!(
            text.starts_with("Master welder [bciq…0000goal]: steps remain"),
            "{text}"
        );
        assert!(text.contains("step 1: all of 2, 1 done\n"), "{text}");
        assert!(
            text.contains("[x] Welding basics [bciq…0000aaaa]: done  (bciqaward)"),
            "{text}"
        );
        assert!(
            text.contains("[ ] Dive safety [bciq…0000dddd]: revoked"),
            "{text}"
        );
        assert!(text.contains("note: cat.png: not an award"), "{text}");
        assert!(
            text.contains("its own pathways: every step done (the badge itself is still needed from its issuer)"),
            "{text}"
        );
        assert!(
            text.contains("\n              [x] Pool safety [bciq…0000aaaa]: done"),
            "{text}"
        );
    }
}
