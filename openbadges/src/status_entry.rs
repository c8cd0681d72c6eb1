//! The `credentialStatus` entries of a credential: where its status lives
//! and how to read it.
//!
//! Three methods are read: W3C `BitstringStatusListEntry`, its predecessor
//! `StatusList2021Entry` (same bits, older names), and 1EdTech's
//! `1EdTechRevocationList` (OB 3.0 up to spec 1.2: a list of revoked
//! credential ids). Entries of other types are kept as
//! [`StatusMethod::Other`], so the caller can say that a status exists which
//! it cannot check, instead of acting as if there were none; a list entry
//! that lacks what its method needs is kept as [`StatusMethod::Malformed`]
//! for the same reason (dropping it would make a badge look as if it had no
//! status at all).
//!
//! Issuing is stricter than reading: [`malformed_entry`] holds a status
//! entry to every MUST of the Bitstring Status List specification before
//! the node signs it.

use serde_json::{Map, Value};

/// Most `statusMessage` entries read from one status entry (a `statusSize`
/// of 8 bits has 256 values at most).
pub const MAX_STATUS_MESSAGES: usize = 256;
/// Largest `statusSize` accepted, in bits. The Bitstring Status List
/// specification allows any positive size but its examples stop at 8; more
/// than 8 bits per credential has no use in a status and would let one entry
/// index far beyond any honest list.
pub const MAX_STATUS_SIZE: u32 = 8;

/// The status method an entry names.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusMethod {
    /// W3C `BitstringStatusListEntry`.
    Bitstring,
    /// Legacy `StatusList2021Entry` (`https://w3id.org/vc/status-list/2021/v1`).
    StatusList2021,
    /// 1EdTech's `1EdTechRevocationList` (legacy OB 3.0, read-only here).
    OneEdTechRevocationList,
    /// Any other `type`, named so the verdict can say what it could not check.
    Other(String),
    /// A list entry without what its method needs (a purpose, an index that
    /// is a number, a list URL, a sensible `statusSize`): its type and why.
    Malformed {
        /// The entry's `type`.
        kind: String,
        /// What is wrong with it.
        problem: String,
    },
}

impl StatusMethod {
    /// The `type` name of the entry.
    pub fn name(&self) -> &str {
        match self {
            StatusMethod::Bitstring => "BitstringStatusListEntry",
            StatusMethod::StatusList2021 => "StatusList2021Entry",
            StatusMethod::OneEdTechRevocationList => "1EdTechRevocationList",
            StatusMethod::Other(t) | StatusMethod::Malformed { kind: t, .. } => t,
        }
    }
}

/// One `credentialStatus` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusEntry {
    /// Which method.
    pub method: StatusMethod,
    /// `revocation`, `suspension`, `message`, ... (`revocation` for a
    /// `1EdTechRevocationList`, which has no purpose field).
    pub purpose: String,
    /// The entry's index in the list (`statusListIndex`); 0 for methods
    /// without one.
    pub index: u64,
    /// URL of the list: `statusListCredential`, or the `id` of a
    /// `1EdTechRevocationList` entry.
    pub list_url: String,
    /// Bits per entry (`statusSize`, default 1).
    pub size: u32,
    /// `statusMessage`: the message for each status value, keyed by the
    /// value as the issuer wrote it (`0x0`, `0x1`, ...).
    pub messages: Vec<(String, String)>,
}

impl StatusEntry {
    /// The message the entry gives for status `value`, if any. Issuers write
    /// values as hex strings (`"0x1"`), sometimes without the prefix or in
    /// upper case, so values are compared as numbers.
    pub fn message_for(&self, value: u32) -> Option<&str> {
        self.messages
            .iter()
            .find(|(status, _)| parse_status_value(status) == Some(value))
            .map(|(_, m)| m.as_str())
    }
}

fn parse_status_value(s: &str) -> Option<u32> {
    let s = s.trim();
    let hex = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    u32::from_str_radix(hex, 16).ok()
}

/// The status entries of a credential (`credentialStatus`, one object or an
/// array). Entries that are not objects, or that lack what their method
/// needs, are left out; the caller bounds how many there are.
pub fn status_entries(doc: &Map<String, Value>) -> Vec<StatusEntry> {
    let entries: Vec<&Value> = match doc.get("credentialStatus") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v) => vec![v],
        None => vec![],
    };
    entries
        .into_iter()
        .filter_map(Value::as_object)
        .filter_map(entry)
        .collect()
}

fn text(e: &Map<String, Value>, key: &str) -> Option<String> {
    e.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn entry(e: &Map<String, Value>) -> Option<StatusEntry> {
    let kind = match e.get("type") {
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Array(a)) => a.iter().find_map(Value::as_str)?,
        _ => return None,
    };
    let method = match kind {
        "BitstringStatusListEntry" => StatusMethod::Bitstring,
        "StatusList2021Entry" => StatusMethod::StatusList2021,
        "1EdTechRevocationList" => StatusMethod::OneEdTechRevocationList,
        other => StatusMethod::Other(other.chars().take(128).collect()),
    };
    match method {
        StatusMethod::Bitstring | StatusMethod::StatusList2021 => Some(
            list_entry(e, method.clone()).unwrap_or_else(|problem| StatusEntry {
                method: StatusMethod::Malformed {
                    kind: method.name().to_owned(),
                    problem: problem.into(),
                },
                purpose: text(e, "statusPurpose").unwrap_or_default(),
                index: 0,
                list_url: text(e, "statusListCredential").unwrap_or_default(),
                size: 1,
                messages: Vec::new(),
            }),
        ),
        StatusMethod::OneEdTechRevocationList => Some(StatusEntry {
            method,
            purpose: "revocation".into(),
            index: 0,
            list_url: text(e, "id")?,
            size: 1,
            messages: Vec::new(),
        }),
        StatusMethod::Other(_) | StatusMethod::Malformed { .. } => Some(StatusEntry {
            method,
            purpose: text(e, "statusPurpose").unwrap_or_default(),
            index: 0,
            list_url: text(e, "id")
                .or_else(|| text(e, "statusListCredential"))
                .unwrap_or_default(),
            size: 1,
            messages: Vec::new(),
        }),
    }
}

/// A Bitstring or StatusList2021 entry as verifiers read it: leniently
/// (`statusListIndex` may be a number, as some issuers write it), or why
/// it cannot be read.
fn list_entry(e: &Map<String, Value>, method: StatusMethod) -> Result<StatusEntry, &'static str> {
    let index = match e.get("statusListIndex") {
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(Value::Number(n)) => n.as_u64(),
        _ => None,
    }
    .ok_or("statusListIndex is not a non-negative integer")?;
    let size = match e.get("statusSize") {
        None => Some(1),
        Some(Value::Number(n)) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(_) => None,
    }
    .filter(|s| (1..=MAX_STATUS_SIZE).contains(s))
    .ok_or("statusSize is not an integer from 1 to 8")?;
    let messages = match e.get("statusMessage") {
        Some(Value::Array(ms)) => ms
            .iter()
            .take(MAX_STATUS_MESSAGES)
            .filter_map(Value::as_object)
            .filter_map(|m| Some((text(m, "status")?, text(m, "message")?)))
            .collect(),
        _ => Vec::new(),
    };
    Ok(StatusEntry {
        method,
        purpose: text(e, "statusPurpose").ok_or("statusPurpose is not a string")?,
        index,
        list_url: text(e, "statusListCredential").ok_or("statusListCredential is not a URL")?,
        size,
        messages,
    })
}

/// Most objects [`malformed_entry`] looks at: a credential the node signs is
/// small, and a deeper or wider one is refused by the issue call's limits
/// before this.
const MAX_WALK: usize = 10_000;

/// The first `BitstringStatusListEntry` anywhere in `doc` (under
/// `credentialStatus` or any other property) that breaks a MUST of the
/// Bitstring Status List specification, and why: what an issuer must
/// refuse to sign (the specification's MALFORMED_VALUE_ERROR).
pub fn malformed_entry(doc: &Map<String, Value>) -> Option<String> {
    let mut stack: Vec<&Value> = doc.values().collect();
    let mut seen = 0;
    while let Some(v) = stack.pop() {
        seen += 1;
        if seen > MAX_WALK {
            return Some("the credential has too many objects to check".into());
        }
        match v {
            Value::Array(items) => stack.extend(items.iter()),
            Value::Object(o) => {
                let typed = match o.get("type") {
                    Some(Value::String(t)) => t == "BitstringStatusListEntry",
                    Some(Value::Array(ts)) => ts.iter().any(|t| t == "BitstringStatusListEntry"),
                    _ => false,
                };
                if typed && let Some(problem) = strict_problem(o) {
                    return Some(format!(
                        "a BitstringStatusListEntry is malformed: {problem}"
                    ));
                }
                stack.extend(o.values());
            }
            _ => {}
        }
    }
    None
}

/// The specification's MUSTs on one entry (section 2.1).
fn strict_problem(e: &Map<String, Value>) -> Option<&'static str> {
    if !e.get("statusPurpose").is_some_and(Value::is_string) {
        return Some("statusPurpose must be a string");
    }
    let digits = e
        .get("statusListIndex")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .filter(|s| s.len() == 1 || !s.starts_with('0'));
    if digits.is_none() {
        return Some(
            "statusListIndex must be an integer of 0 or more written in base 10 as a string",
        );
    }
    let url = e.get("statusListCredential").and_then(Value::as_str);
    if !url.is_some_and(|u| u.contains(':') && !u.chars().any(char::is_whitespace)) {
        return Some("statusListCredential must be a URL");
    }
    let size = match e.get("statusSize") {
        None => 1,
        Some(v) => match v.as_u64() {
            Some(n) if n > 0 => n,
            _ => return Some("statusSize must be an integer greater than zero"),
        },
    };
    match e.get("statusMessage") {
        None if size > 1 => Some("statusMessage must be present when statusSize is more than 1"),
        None => None,
        Some(Value::Array(ms)) => {
            let ok = ms.iter().all(|m| {
                m.get("status").is_some_and(Value::is_string)
                    && m.get("message").is_some_and(Value::is_string)
            });
            (!ok).then_some("each statusMessage must have a status and a message, both strings")
        }
        Some(_) => Some("statusMessage must be an array"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entries(status: Value) -> Vec<StatusEntry> {
        let doc = json!({ "credentialStatus": status });
        status_entries(doc.as_object().expect("object"))
    }

    /// The Bitstring Status List specification's `message` entry (its
    /// example "using more complex entries"): the spec shows three of the
    /// messages and elides the rest with `...`; the fourth is added here so
    /// the array has the four entries a 2-bit `statusSize` requires.
    #[test]
    fn the_specs_message_entry_reads_with_its_messages() {
        let e = entries(json!({
            "id": "https://example.com/credentials/status/8#492847",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "message",
            "statusListIndex": "492847",
            "statusSize": 2,
            "statusListCredential": "https://example.com/credentials/status/8",
            "statusMessage": [
                {"status":"0x0", "message":"pending_review"},
                {"status":"0x1", "message":"accepted"},
                {"status":"0x2", "message":"rejected"},
                {"status":"0x3", "message":"undefined"}
            ],
            "statusReference": "https://example.org/status-dictionary/"
        }));
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].method, StatusMethod::Bitstring);
        assert_eq!(e[0].purpose, "message");
        assert_eq!(e[0].index, 492_847);
        assert_eq!(e[0].size, 2);
        assert_eq!(e[0].message_for(2), Some("rejected"));
        assert_eq!(e[0].message_for(4), None);
    }

    #[test]
    fn legacy_and_1edtech_entries_are_read_and_unknown_ones_named() {
        let e = entries(json!([
            {"id": "https://example.com/status/1#3", "type": "StatusList2021Entry",
             "statusPurpose": "suspension", "statusListIndex": "3",
             "statusListCredential": "https://example.com/status/1"},
            {"id": "https://example.edu/revocations", "type": "1EdTechRevocationList"},
            {"id": "https://example.edu/x", "type": "RevocationList2020Status"},
            {"type": "BitstringStatusListEntry", "statusPurpose": "revocation",
             "statusListIndex": "1", "statusListCredential": "u", "statusSize": 99},
            "not an object"
        ]));
        assert_eq!(e.len(), 4, "{e:?}");
        assert_eq!(e[0].method, StatusMethod::StatusList2021);
        assert_eq!((e[0].purpose.as_str(), e[0].index), ("suspension", 3));
        assert_eq!(e[1].method, StatusMethod::OneEdTechRevocationList);
        assert_eq!(e[1].list_url, "https://example.edu/revocations");
        assert_eq!(
            e[2].method,
            StatusMethod::Other("RevocationList2020Status".into())
        );
        // A list entry that cannot be read is kept, as malformed, so the
        // credential does not look as if it had no status.
        assert!(
            matches!(&e[3].method, StatusMethod::Malformed { kind, problem }
                if kind == "BitstringStatusListEntry" && problem.contains("statusSize")),
            "{e:?}"
        );
    }

    #[test]
    fn an_issuer_refuses_entries_that_break_a_must_anywhere_in_the_credential() {
        let good = json!({"type": "BitstringStatusListEntry", "statusPurpose": "revocation",
            "statusListIndex": "94567", "statusListCredential": "https://example.com/status/3"});
        let check = |doc: Value| malformed_entry(doc.as_object().expect("object"));
        assert_eq!(check(json!({ "credentialStatus": good })), None);
        let with = |key: &str, value: Value| {
            let mut e = good.clone();
            e[key] = value;
            check(json!({ "credentialStatus": [e] }))
        };
        for (key, value) in [
            ("statusListIndex", json!(true)),
            ("statusListIndex", json!(7)),
            ("statusListIndex", json!("-1")),
            ("statusListIndex", json!("07")),
            ("statusListIndex", json!("0x1")),
            ("statusPurpose", json!(["revocation"])),
            ("statusListCredential", json!("not a url")),
            ("statusSize", json!(0)),
            ("statusSize", json!(2)),
            ("statusMessage", json!([{"status": "0x0"}])),
        ] {
            assert!(with(key, value.clone()).is_some(), "{key} = {value}");
        }
        // The W3C suite's negative fixture: an entry under another property.
        let nested = json!({"statusEntry": {"type": "BitstringStatusListEntry",
            "statusListIndex": true, "statusListCredential": "https://example.com"}});
        assert!(check(nested).is_some());
        assert_eq!(with("statusListIndex", json!("0")), None);
    }
}
