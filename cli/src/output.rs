//! Human output: aligned, concise, colour only on a terminal (anstream strips
//! styles when the output is not one).

use anstyle::{AnsiColor, Style};
use serde_json::Value;

/// Style of an outcome word.
pub fn outcome_style(outcome: &str) -> Style {
    let colour = match outcome {
        "valid" => AnsiColor::Green,
        "indeterminate" => AnsiColor::Yellow,
        _ => AnsiColor::Red,
    };
    Style::new().bold().fg_color(Some(colour.into()))
}

/// Prints a verdict for people.
/// What an OB 3.0 verdict says about the achievement and the award beyond
/// name and criteria (alignments, results, credits, activity, evidence,
/// related badges, tags), one labelled line each.
fn data_model_lines(v: &Value) -> Vec<(&'static str, String)> {
    let s = |x: &Value| match x {
        Value::String(t) => t.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    let list = |x: &Value| x.as_array().cloned().unwrap_or_default();
    let mut out = Vec::new();
    for a in list(&v["badge"]["alignments"]) {
        // OB 3.0 verdicts name the fields plainly, native badge classes target_*.
        let f = |k: &str| {
            let plain = s(&a[k]);
            if plain.is_empty() {
                s(&a[format!("target_{k}")])
            } else {
                plain
            }
        };
        let framework = [f("framework"), f("code")].join(" ");
        out.push((
            "aligned",
            format!("{} ({}) {}", f("name"), framework.trim(), f("url")),
        ));
    }
    for r in list(&v["award"]["results"]) {
        let value = [s(&r["level"]), s(&r["value"]), s(&r["status"])]
            .into_iter()
            .find(|x| !x.is_empty())
            .unwrap_or_default();
        out.push(("result", format!("{}: {value}", s(&r["description"]))));
    }
    let (earned, available) = (
        s(&v["award"]["credits_earned"]),
        s(&v["badge"]["credits_available"]),
    );
    if !earned.is_empty() || !available.is_empty() {
        out.push(("credits", format!("{earned} earned of {available}")));
    }
    let (start, end) = (
        s(&v["award"]["activity_start"]),
        s(&v["award"]["activity_end"]),
    );
    if !start.is_empty() || !end.is_empty() {
        out.push(("activity", format!("{start} to {end}")));
    }
    for e in list(&v["award"]["evidence"]) {
        let mut text = [s(&e["name"]), s(&e["narrative"])]
            .into_iter()
            .filter(|x| !x.is_empty())
            .collect::<Vec<_>>()
            .join(": ");
        if !s(&e["url"]).is_empty() {
            text = format!("{text} ({})", s(&e["url"]));
        }
        out.push(("evidence", text));
    }
    for r in list(&v["badge"]["related"]) {
        // Native badge classes list related ids as strings.
        let id = if r.is_string() { s(&r) } else { s(&r["id"]) };
        out.push(("related", id));
    }
    let tags: Vec<String> = list(&v["badge"]["tags"]).iter().map(s).collect();
    if !tags.is_empty() {
        out.push(("tags", tags.join(", ")));
    }
    out
}

pub fn print_verdict(v: &Value) {
    if v["format"] == "presentation" || v["format"] == "clr" {
        print_presentation(v);
        return;
    }
    let outcome = v["outcome"].as_str().unwrap_or("unknown");
    let style = outcome_style(outcome);
    let badge = v["badge"]["name"]
        .as_str()
        .unwrap_or("(badge class not known here)");
    anstream::println!(
        "{style}{}{style:#}  {badge}, {}",
        outcome.to_uppercase().replace('_', " "),
        issuer_line(v)
    );
    print_checks(v, "");
    let width = 14;
    for e in v["endorsements"].as_array().into_iter().flatten() {
        let outcome = e["outcome"].as_str().unwrap_or("");
        let ok = outcome == "valid";
        let (mark, colour) = match outcome {
            "valid" => ("ok", AnsiColor::Green),
            "revoked" => ("REV", AnsiColor::Red),
            "expired" | "indeterminate" | "not_yet_valid" => ("??", AnsiColor::Yellow),
            _ => ("FAIL", AnsiColor::Red),
        };
        let s = Style::new().fg_color(Some(colour.into()));
        let by = match (e["endorser_name"].as_str(), e["endorser"].as_str()) {
            (Some(name), Some(id)) => format!("a key that calls itself \"{name}\" ({id})"),
            (None, Some(id)) => id.to_owned(),
            _ => "an unnamed endorser".to_owned(),
        };
        // Whom the endorser is to this node's trust registries, when known.
        let trust = e["endorser_trust"]["state"]
            .as_str()
            .map(|t| format!(" [{t}]"))
            .unwrap_or_default();
        let when = e["endorsed_at"]
            .as_str()
            .map(|t| format!(" on {t}"))
            .unwrap_or_default();
        let text = if ok {
            e["comment"].as_str().unwrap_or("").to_owned()
        } else {
            format!(
                "{} ({})",
                e["comment"].as_str().unwrap_or(""),
                e["detail"].as_str().unwrap_or(outcome)
            )
        };
        anstream::println!(
            "  {s}{mark:>4}{s:#}  {:<width$} of the {}, by {by}{trust}{when}: {text}",
            "endorsement",
            e["about"].as_str().unwrap_or("").replace('_', " "),
        );
    }
    for f in v["fetched"].as_array().into_iter().flatten() {
        let status = f["status"].as_str().unwrap_or("");
        let (mark, colour) = match status {
            "failed" => ("??", AnsiColor::Yellow),
            _ => ("ok", AnsiColor::Green),
        };
        let s = Style::new().fg_color(Some(colour.into()));
        anstream::println!(
            "  {s}{mark:>4}{s:#}  {:<width$} {} {}",
            "fetch",
            f["url"].as_str().unwrap_or(""),
            f["detail"].as_str().unwrap_or(status)
        );
    }
    let dim = Style::new().dimmed();
    let line = |label: &str, value: &str| anstream::println!("  {dim}{label:<10}{dim:#} {value}");
    if let Some(d) = v["badge"]["description"].as_str() {
        line("badge", d);
    }
    if let Some(n) = v["badge"]["criteria"]["narrative"].as_str() {
        line("criteria", n);
    }
    if let Some(u) = v["badge"]["criteria"]["url"].as_str() {
        line("criteria", u);
    }
    for (label, text) in data_model_lines(v) {
        line(label, &text);
    }
    line("issuer", v["issuer"].as_str().unwrap_or(""));
    for s in v["trust"]["sources"].as_array().into_iter().flatten() {
        let when = match (s["list_signed_at"].as_str(), s["age_secs"].as_i64()) {
            (Some(t), Some(age)) => format!(", list {} signed {t} ({})", s["list_seq"], ago(age)),
            _ => String::new(),
        };
        line(
            "vouched",
            &format!(
                "{}: {} as {}{when}",
                s["registry_name"].as_str().unwrap_or(""),
                s["state"].as_str().unwrap_or("").replace('_', " "),
                s["name"].as_str().unwrap_or("(no name)"),
            ),
        );
    }
    for d in v["trust"]["domains"].as_array().into_iter().flatten() {
        line(
            "domain",
            &format!(
                "{} linked, checked {} by {}",
                d["origin"].as_str().unwrap_or(""),
                d["checked_at"].as_str().unwrap_or(""),
                d["checked_by"].as_str().unwrap_or("")
            ),
        );
    }
    line("issued", v["issued_on"].as_str().unwrap_or(""));
    line("expires", v["expires"].as_str().unwrap_or("never"));
    if let Some(d) = v["revocation"]["detail"].as_str() {
        line("status", d);
    } else if let Some(u) = v["revocation"]["revocation_list"].as_str() {
        let since = v["revocation"]["held_since"].as_str().unwrap_or("?");
        line(
            "status",
            &format!("revocation list {u}, held since {since}"),
        );
    } else if let Some(r) = v["revocation"].as_object() {
        let fresh = match (
            r.get("as_of").and_then(Value::as_str),
            r.get("age_secs").and_then(Value::as_i64),
        ) {
            (Some(t), Some(age)) => {
                format!("revocation list {} signed {t} ({})", r["seq"], ago(age))
            }
            _ => "no signed revocation data for this issuer yet".into(),
        };
        line("freshness", &fresh);
    }
    line("assertion", v["assertion"].as_str().unwrap_or(""));
}

/// The checks of a verdict, one a line, marked by their status.
fn print_checks(v: &Value, indent: &str) {
    let width = 14;
    for c in v["checks"].as_array().into_iter().flatten() {
        let (mark, colour) = match c["status"].as_str() {
            Some("pass") => ("ok", AnsiColor::Green),
            Some("fail") => ("FAIL", AnsiColor::Red),
            Some("unknown") => ("??", AnsiColor::Yellow),
            _ => ("-", AnsiColor::BrightBlack),
        };
        let s = Style::new().fg_color(Some(colour.into()));
        let name = c["check"].as_str().unwrap_or("").replace('_', " ");
        anstream::println!(
            "{indent}  {s}{mark:>4}{s:#}  {name:<width$} {}",
            c["detail"].as_str().unwrap_or("")
        );
    }
    for w in v["warnings"].as_array().into_iter().flatten() {
        let s = Style::new().fg_color(Some(AnsiColor::Yellow.into()));
        anstream::println!(
            "{indent}  {s}{:>4}{s:#}  {:<width$} {}",
            "!",
            "warning",
            w.as_str().unwrap_or("")
        );
    }
}

/// A presentation's (or CLR's) verdict: its own checks (proof, challenge,
/// domain, holder binding; for a CLR its shape and associations), then each
/// credential's outcome and checks.
fn print_presentation(v: &Value) {
    let outcome = v["outcome"].as_str().unwrap_or("unknown");
    let style = outcome_style(outcome);
    let n = v["credentials"].as_array().map_or(0, Vec::len);
    if v["format"] == "clr" {
        // A CLR 2.0 learner record: its issuer signs for the learner.
        anstream::println!(
            "{style}{}{style:#}  a learner record (CLR 2.0) of {n} credential{}, signed by {}",
            outcome.to_uppercase().replace('_', " "),
            if n == 1 { "" } else { "s" },
            v["issuer"].as_str().unwrap_or("an unnamed issuer")
        );
    } else {
        anstream::println!(
            "{style}{}{style:#}  a presentation of {n} credential{} by {}",
            outcome.to_uppercase().replace('_', " "),
            if n == 1 { "" } else { "s" },
            v["holder"].as_str().unwrap_or("no named holder")
        );
    }
    print_checks(v, "");
    for (i, c) in v["credentials"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let o = c["outcome"].as_str().unwrap_or("unknown");
        let s = outcome_style(o);
        anstream::println!(
            "  credential {}: {s}{}{s:#}  {}, {}",
            i + 1,
            o.to_uppercase().replace('_', " "),
            c["badge"]["name"].as_str().unwrap_or("(no name)"),
            issuer_line(c)
        );
        if o != "valid" {
            print_checks(c, "    ");
        }
    }
}

/// How an issuer line should look: how far the trust check vouches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// A registry the node follows lists the issuer.
    Listed,
    /// A warning: impersonation or a de-listing.
    Alarm,
    /// Neither vouched for nor refuted.
    Unvouched,
}

/// Who issued it, in the words the trust check allows: a listed name is
/// stated with whose word it is; anything else is a claim, in quotes.
pub fn issuer_words(v: &Value) -> (Tone, String) {
    let t = &v["trust"];
    match (t["state"].as_str(), t["summary"].as_str()) {
        (Some("listed"), Some(s)) => (Tone::Listed, format!("issued by {s}")),
        (_, Some(s)) if !t["impersonation"].is_null() => (Tone::Alarm, s.to_uppercase()),
        (Some("delisted"), Some(s)) => (Tone::Alarm, s.to_owned()),
        (_, Some(s)) => (Tone::Unvouched, s.to_owned()),
        (_, None) => (
            Tone::Unvouched,
            match v["issuer_name"].as_str() {
                Some(n) => format!("signed by a key that calls itself \u{201c}{n}\u{201d}"),
                None => "issuer not known here".into(),
            },
        ),
    }
}

/// [`issuer_words`] in colour: green when listed, red for a warning,
/// amber for a claim nobody vouches for.
pub fn issuer_line(v: &Value) -> String {
    let (tone, words) = issuer_words(v);
    let style = match tone {
        Tone::Listed => Style::new().fg_color(Some(AnsiColor::Green.into())),
        Tone::Alarm => Style::new().fg_color(Some(AnsiColor::Red.into())).bold(),
        Tone::Unvouched if v["trust"]["summary"].is_null() => Style::new(),
        Tone::Unvouched => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
    };
    format!("{style}{words}{style:#}")
}

/// "3 minutes ago" style.
pub fn ago(secs: i64) -> String {
    if secs < 0 {
        return "in the future".into();
    }
    let d = std::time::Duration::from_secs(secs.unsigned_abs());
    format!("{} ago", humantime::format_duration(d))
}

/// Prints JSON, pretty.
pub fn print_json(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

/// Writes a file the user asked for (`--out`): a full disk exits with
/// [`crate::fail::STORAGE`], like every other storage failure; anything else
/// (a path that cannot be written) is a usage error.
pub fn write_output(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).map_err(|e| {
        let message = format!("cannot write {}: {e}", path.display());
        match badgemesh_node::datadir::StorageProblem::of(&e) {
            Some(badgemesh_node::datadir::StorageProblem::Full) => crate::fail::storage(message),
            _ => crate::fail::usage(message),
        }
    })
}
