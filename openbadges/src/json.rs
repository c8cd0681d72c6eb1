//! Bounded JSON parsing and the pre-pass every credential goes through.
//!
//! The pre-pass rejects the shape memo's placeholder prefix and rewrites
//! every finite number as JavaScript would print the double it parses to
//! (except inside `@json` values), so that numbers denoting one double have
//! one shape; the RDF of a number is then made from that double, and what
//! JSON-LD in safe mode refuses is refused in [`crate::rdf`].

use serde_json::{Map, Number, Value};

use crate::limits::{MAX_JSON_BYTES, MAX_JSON_DEPTH};
use crate::shapes::SLOT_PREFIX;

/// JSON that cannot be processed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum JsonError {
    /// The text is larger than [`MAX_JSON_BYTES`].
    #[error("document is larger than {MAX_JSON_BYTES} bytes")]
    TooLarge,
    /// Arrays and objects nest deeper than [`MAX_JSON_DEPTH`].
    #[error("document nests deeper than {MAX_JSON_DEPTH} levels")]
    TooDeep,
    /// The text is not JSON.
    #[error("not JSON: {0}")]
    Syntax(String),
    /// The top level is not an object.
    #[error("the document is not a JSON object")]
    NotAnObject,
    /// A key or string holds the shape memo's placeholder prefix
    /// (`urn:x-badgemesh-slot:`), which no credential has a reason to
    /// contain; refused here so that it cannot be used to force every
    /// document down the slow path or be confused with a placeholder.
    #[error("the text {0} is reserved")]
    ReservedText(&'static str),
}

/// Keys (terms) whose values are `@json` literals in the pinned contexts.
pub(crate) const JSON_LITERAL_TERMS: [&str; 3] = ["jsonSchema", "_sd", "jwk"];

/// The JSON-LD 1.1 keywords (and framing keywords).
pub(crate) const KEYWORDS: [&str; 29] = [
    "@base",
    "@container",
    "@context",
    "@default",
    "@direction",
    "@embed",
    "@explicit",
    "@graph",
    "@id",
    "@import",
    "@included",
    "@index",
    "@json",
    "@language",
    "@list",
    "@nest",
    "@none",
    "@omitDefault",
    "@prefix",
    "@preserve",
    "@propagate",
    "@protected",
    "@requireAll",
    "@reverse",
    "@set",
    "@type",
    "@value",
    "@version",
    "@vocab",
];

/// Checks size and depth, then parses `bytes` as a JSON object.
pub fn parse_bounded(bytes: &[u8]) -> Result<Map<String, Value>, JsonError> {
    if bytes.len() > MAX_JSON_BYTES {
        return Err(JsonError::TooLarge);
    }
    check_depth(bytes)?;
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(JsonError::NotAnObject),
        Err(e) => Err(JsonError::Syntax(e.to_string())),
    }
}

/// Scans the text for nesting depth without parsing it.
fn check_depth(bytes: &[u8]) -> Result<(), JsonError> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in bytes {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return Err(JsonError::TooDeep);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Checks keys and rewrites numbers in place (see the module docs).
pub fn prepass(value: &mut Value) -> Result<(), JsonError> {
    walk(value, false)
}

fn walk(value: &mut Value, in_json_literal: bool) -> Result<(), JsonError> {
    let reserved = || JsonError::ReservedText(SLOT_PREFIX);
    match value {
        Value::String(s) if s.contains(SLOT_PREFIX) => Err(reserved()),
        Value::Number(n) if !in_json_literal => {
            *n = js_number(n);
            Ok(())
        }
        Value::Array(items) => items.iter_mut().try_for_each(|v| walk(v, in_json_literal)),
        Value::Object(map) => {
            let literal_here = in_json_literal || is_json_literal(map);
            for (key, v) in map.iter_mut() {
                if key.contains(SLOT_PREFIX) {
                    return Err(reserved());
                }
                let inner = literal_here || JSON_LITERAL_TERMS.contains(&key.as_str());
                walk(v, inner)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// A value object whose value is a `@json` literal.
pub(crate) fn is_json_literal(map: &Map<String, Value>) -> bool {
    map.get("@type").and_then(Value::as_str) == Some("@json")
}

/// `@` followed by one or more ASCII letters: the reserved keyword form.
pub(crate) fn is_keyword_form(key: &str) -> bool {
    let rest = &key[1..];
    !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphabetic())
}

/// The number JavaScript would print for the double nearest `n`; beyond
/// the doubles (`1e400`) the text is kept, so that it still denotes
/// an infinity, which JSON has no other way to write.
fn js_number(n: &Number) -> Number {
    let text = n.to_string();
    let Ok(x) = text.parse::<f64>() else {
        return n.clone();
    };
    if !x.is_finite() {
        return n.clone();
    }
    let js = js_to_string(x);
    serde_json::from_str::<Number>(&js).unwrap_or_else(|_| n.clone())
}

/// ECMAScript `Number::toString(x)` for finite `x` (radix 10).
pub(crate) fn js_to_string(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    if !x.is_finite() {
        return "0".into();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    // Shortest round-trip digits and exponent, e.g. "1.2345e-7".
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i64;
    let e: i64 = exp.parse().unwrap_or(0);
    let n = e + 1; // position of the decimal point
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (a, b) = digits.split_at(n as usize);
        format!("{a}.{b}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let exp_sign = if n > 0 { "+" } else { "-" };
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        format!("{first}{frac}e{exp_sign}{}", (n - 1).abs())
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn javascript_number_formatting() {
        for (x, js) in [
            (0.0, "0"),
            (1.0, "1"),
            (2.5, "2.5"),
            (-2.5, "-2.5"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1e-7, "1e-7"),
            (1.5e-7, "1.5e-7"),
            (0.000001, "0.000001"),
            (123456789012345680000.0, "123456789012345680000"),
            (9007199254740993.0, "9007199254740992"),
            (0.1, "0.1"),
        ] {
            assert_eq!(js_to_string(x), js, "{x}");
        }
    }

    #[test]
    fn prepass_rewrites_numbers_but_not_json_literals() {
        let mut v: Value = serde_json::from_str(
            r#"{"a": 1.0, "b": 9007199254740993, "jsonSchema": {"x": 1.0}, "c": {"@value": {"y": 2.0}, "@type": "@json"}}"#,
        )
        .unwrap();
        prepass(&mut v).unwrap();
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"a":1,"b":9007199254740992,"jsonSchema":{"x":1.0},"c":{"@value":{"y":2.0},"@type":"@json"}}"#
        );
    }

    #[test]
    fn prepass_keeps_numbers_beyond_the_doubles_and_keywords() {
        let mut v: Value = serde_json::from_str(r#"{"a": 1e400, "@direction": "ltr"}"#).unwrap();
        assert_eq!(prepass(&mut v), Ok(()), "@direction is a keyword");
        let a = v["a"].to_string();
        assert!(a.parse::<f64>().is_ok_and(f64::is_infinite), "{a}");
    }

    #[test]
    fn bounds() {
        let deep = format!("{}{}", "[".repeat(40), "]".repeat(40));
        assert_eq!(parse_bounded(deep.as_bytes()), Err(JsonError::TooDeep));
        let big = vec![b' '; MAX_JSON_BYTES + 1];
        assert_eq!(parse_bounded(&big), Err(JsonError::TooLarge));
        assert_eq!(parse_bounded(b"[1]"), Err(JsonError::NotAnObject));
        assert!(matches!(parse_bounded(b"{"), Err(JsonError::Syntax(_))));
        // Brackets inside strings do not count.
        let s = format!(r#"{{"a": "{}"}}"#, "[".repeat(100));
        assert!(parse_bounded(s.as_bytes()).is_ok());
    }
}
