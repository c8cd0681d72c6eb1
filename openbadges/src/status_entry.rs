//! The `credentialStatus` entries of a credential: where its status lives
//! and how to read it.
//!
//! Three methods are read: W3C `BitstringStatusListEntry`, its predecessor
//! `StatusList2021Entry` (same bits, older names), and 1EdTech's
//! `1EdTechRevocationList` (OB 3.0 up to spec 1.2: a list of revoked
//! credential ids). Entries of other types are kept as
//! [`StatusMethod::Other`], so the caller can say that a status exists which
//! it cannot check, instead of acting as if there were none.

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
}

impl StatusMethod {
    /// The `type` name of the entry.
    pub fn name(&self) -> &str {
        match self {
            StatusMethod::Bitstring => "BitstringStatusListEntry",
            StatusMethod::StatusList2021 => "StatusList2021Entry",
            StatusMethod::OneEdTechRevocationList => "1EdTechRevocationList",
            StatusMethod::Other(t) => t,
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
        StatusMethod::Bitstring | StatusMethod::StatusList2021 => {
            // `statusListIndex` is a string of digits; some issuers write a
            // number, which is read too.
            let index = match e.get("statusListIndex")? {
                Value::String(s) => s.trim().parse().ok()?,
                Value::Number(n) => n.as_u64()?,
                _ => return None,
            };
            let size = match e.get("statusSize") {
                None => 1,
                Some(Value::Number(n)) => u32::try_from(n.as_u64()?).ok()?,
                Some(Value::String(s)) => s.trim().parse().ok()?,
                Some(_) => return None,
            };
            if size == 0 || size > MAX_STATUS_SIZE {
                return None;
            }
            let messages = match e.get("statusMessage") {
                Some(Value::Array(ms)) => ms
                    .iter()
                    .take(MAX_STATUS_MESSAGES)
                    .filter_map(Value::as_object)
                    .filter_map(|m| Some((text(m, "status")?, text(m, "message")?)))
                    .collect(),
                _ => Vec::new(),
            };
            Some(StatusEntry {
                method,
                purpose: text(e, "statusPurpose")?,
                index,
                list_url: text(e, "statusListCredential")?,
                size,
                messages,
            })
        }
        StatusMethod::OneEdTechRevocationList => Some(StatusEntry {
            method,
            purpose: "revocation".into(),
            index: 0,
            list_url: text(e, "id")?,
            size: 1,
            messages: Vec::new(),
        }),
        StatusMethod::Other(_) => Some(StatusEntry {
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
        assert_eq!(e.len(), 3, "{e:?}");
        assert_eq!(e[0].method, StatusMethod::StatusList2021);
        assert_eq!((e[0].purpose.as_str(), e[0].index), ("suspension", 3));
        assert_eq!(e[1].method, StatusMethod::OneEdTechRevocationList);
        assert_eq!(e[1].list_url, "https://example.edu/revocations");
        assert_eq!(
            e[2].method,
            StatusMethod::Other("RevocationList2020Status".into())
        );
    }
}
