//! The bundled, pinned JSON-LD contexts, and the loader that serves them.
//!
//! Verification never fetches anything: a context URL is either one of the
//! documents below (copied verbatim from the npm packages and the 1EdTech
//! repository named in `contexts/SOURCES.md`) or an error. Tests may add
//! further documents with [`ContextSet::with_extra`].

use std::collections::{HashMap, HashSet};

use serde_json::Value;
use std::sync::{Arc, OnceLock};

use crate::shapes::ShapeCache;

/// `https://www.w3.org/ns/credentials/v2` (VC Data Model 2.0).
pub const CREDENTIALS_V2: &str = "https://www.w3.org/ns/credentials/v2";
/// `https://www.w3.org/2018/credentials/v1` (VC Data Model 1.1).
pub const CREDENTIALS_V1: &str = "https://www.w3.org/2018/credentials/v1";
/// The first Open Badges 3.0 context (3.0.0).
pub const OB_V3P0: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context.json";
/// Open Badges 3.0.1.
pub const OB_V3P0_1: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json";
/// Open Badges 3.0.2.
pub const OB_V3P0_2: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json";
/// Open Badges 3.0.3: the one this crate emits.
pub const OB_V3P0_3: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";
/// Open Badges 3.0 extensions (1EdTech validator, revocation list, refresh types).
pub const OB_EXTENSIONS: &str = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json";
/// Comprehensive Learner Record 2.0 (`ClrCredential`, `ClrSubject`,
/// `Association`), version 2.0.1: the one this crate emits.
pub const CLR_V2P0_1: &str = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json";
/// Data Integrity v2 (`DataIntegrityProof`).
pub const DATA_INTEGRITY_V2: &str = "https://w3id.org/security/data-integrity/v2";
/// Multikey v1.
pub const MULTIKEY_V1: &str = "https://w3id.org/security/multikey/v1";
/// The Ed25519Signature2020 suite context (legacy proofs met in the wild).
pub const ED25519_2020_V1: &str = "https://w3id.org/security/suites/ed25519-2020/v1";

/// `https://www.w3.org/ns/credentials/examples/v2`: the W3C's context for
/// the examples of its specifications and test suites (one `@vocab`).
pub const CREDENTIALS_EXAMPLES_V2: &str = "https://www.w3.org/ns/credentials/examples/v2";
/// `https://w3id.org/vc/status-list/2021/v1`: legacy `StatusList2021Entry`
/// and `StatusList2021Credential` (VC 1.1 era, still served by issuers).
pub const STATUS_LIST_2021_V1: &str = "https://w3id.org/vc/status-list/2021/v1";
/// `https://www.w3.org/ns/credentials/status/v1`: the Bitstring Status List
/// terms for VC 1.1 credentials (VC 2.0's own context defines them already).
pub const BITSTRING_STATUS_V1: &str = "https://www.w3.org/ns/credentials/status/v1";

/// The status list contexts, kept apart from [`PINNED`] so that status
/// methods can be added without touching the credential contexts.
const STATUS_CONTEXTS: [(&str, &str); 2] = [
    (
        STATUS_LIST_2021_V1,
        include_str!("../contexts/vc-status-list-2021-v1.jsonld"),
    ),
    (
        BITSTRING_STATUS_V1,
        include_str!("../contexts/vc-bitstring-status-list-v1.jsonld"),
    ),
];

/// The pinned documents: URL and exact text.
const PINNED: [(&str, &str); 12] = [
    (
        CREDENTIALS_V2,
        include_str!("../contexts/credentials-v2.jsonld"),
    ),
    (
        CREDENTIALS_V1,
        include_str!("../contexts/credentials-v1.jsonld"),
    ),
    (
        OB_V3P0,
        include_str!("../contexts/ob-v3p0-context-3.0.0.json"),
    ),
    (
        OB_V3P0_1,
        include_str!("../contexts/ob-v3p0-context-3.0.1.json"),
    ),
    (
        OB_V3P0_2,
        include_str!("../contexts/ob-v3p0-context-3.0.2.json"),
    ),
    (
        OB_V3P0_3,
        include_str!("../contexts/ob-v3p0-context-3.0.3.json"),
    ),
    (
        OB_EXTENSIONS,
        include_str!("../contexts/ob-v3p0-extensions.json"),
    ),
    (
        DATA_INTEGRITY_V2,
        include_str!("../contexts/data-integrity-v2.jsonld"),
    ),
    (MULTIKEY_V1, include_str!("../contexts/multikey-v1.jsonld")),
    (
        ED25519_2020_V1,
        include_str!("../contexts/ed25519-signature-2020-v1.jsonld"),
    ),
    (
        CREDENTIALS_EXAMPLES_V2,
        include_str!("../contexts/credentials-examples-v2.jsonld"),
    ),
    (
        CLR_V2P0_1,
        include_str!("../contexts/clr-v2p0-context-2.0.1.json"),
    ),
];

/// Whether `url` names an Open Badges 3.0 context, i.e. matches
/// `^https://purl.imsglobal.org/spec/ob/v3p0/context(-3\.\d\.\d)*\.json$`.
pub fn is_ob_context(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://purl.imsglobal.org/spec/ob/v3p0/context") else {
        return false;
    };
    let Some(mut rest) = rest.strip_suffix(".json") else {
        return false;
    };
    while !rest.is_empty() {
        let b = rest.as_bytes();
        let ok = b.len() >= 6
            && b[0] == b'-'
            && b[1] == b'3'
            && b[2] == b'.'
            && b[3].is_ascii_digit()
            && b[4] == b'.'
            && b[5].is_ascii_digit();
        if !ok {
            return false;
        }
        rest = &rest[6..];
    }
    true
}

/// A closed set of JSON-LD context documents, keyed by URL.
///
/// Cheap to clone (shared). [`ContextSet::pinned`] is the production set.
#[derive(Clone, Debug)]
pub struct ContextSet {
    docs: Arc<HashMap<String, Arc<str>>>,
    /// Templates are only valid for the contexts they were made with, so each
    /// set has its own.
    shapes: Arc<ShapeCache>,
}

impl ContextSet {
    /// The pinned production set (built once).
    pub fn pinned() -> ContextSet {
        static PINNED_SET: OnceLock<ContextSet> = OnceLock::new();
        PINNED_SET
            .get_or_init(|| ContextSet {
                docs: Arc::new(
                    PINNED
                        .iter()
                        .chain(STATUS_CONTEXTS.iter())
                        .map(|(url, text)| ((*url).to_owned(), Arc::from(*text)))
                        .collect(),
                ),
                shapes: Arc::default(),
            })
            .clone()
    }

    /// The exact text of a pinned production document, whatever set is in
    /// use (tests may replace documents in theirs).
    pub fn pinned_text(url: &str) -> Option<&'static str> {
        PINNED
            .iter()
            .chain(STATUS_CONTEXTS.iter())
            .find(|(u, _)| *u == url)
            .map(|(_, text)| *text)
    }

    /// This set plus one more document (for tests and vectors that use example
    /// contexts). Replaces a document with the same URL.
    pub fn with_extra(&self, url: &str, text: &str) -> ContextSet {
        let mut docs = (*self.docs).clone();
        docs.insert(url.to_owned(), Arc::from(text));
        ContextSet {
            docs: Arc::new(docs),
            shapes: Arc::default(),
        }
    }

    /// The document for `url`, if it is in the set.
    pub fn get(&self, url: &str) -> Option<&str> {
        self.docs.get(url).map(|d| &**d)
    }

    /// The memoised JSON-LD to RDF templates made with this set.
    pub(crate) fn shapes(&self) -> &ShapeCache {
        &self.shapes
    }

    /// Every key, at any depth of any document in the set, whose value
    /// passes `keep`.
    pub(crate) fn keys_where(&self, keep: impl Fn(&Value) -> bool) -> HashSet<String> {
        let mut out = HashSet::new();
        for text in self.docs.values() {
            if let Ok(v) = serde_json::from_str::<Value>(text) {
                for_each_entry(&v, false, &mut |k, v| {
                    if keep(v) {
                        out.insert(k.to_owned());
                    }
                });
            }
        }
        out
    }

    /// Whether `url` is in the set.
    pub fn contains(&self, url: &str) -> bool {
        self.docs.contains_key(url)
    }

    /// The URLs in the set, sorted.
    pub fn urls(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.docs.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }
}

/// Calls `f` with every key and value of every object in `v`, at any depth;
/// with `inline_only`, only those inside `@context` objects (a document's
/// inline contexts).
pub(crate) fn for_each_entry(v: &Value, inline_only: bool, f: &mut impl FnMut(&str, &Value)) {
    fn walk(v: &Value, report: bool, f: &mut impl FnMut(&str, &Value)) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    if report {
                        f(k, v);
                    }
                    walk(v, report || k == "@context", f);
                }
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, report, f)),
            _ => {}
        }
    }
    walk(v, !inline_only, f);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_documents_are_json_with_a_context() {
        let set = ContextSet::pinned();
        assert_eq!(set.urls().len(), PINNED.len() + STATUS_CONTEXTS.len());
        for (url, _) in PINNED.iter().chain(STATUS_CONTEXTS.iter()) {
            let text = set.get(url).expect("pinned");
            let v: serde_json::Value = serde_json::from_str(text).expect("json");
            assert!(v.get("@context").is_some(), "{url}");
        }
        assert!(set.get("https://example.com/context.json").is_none());
    }

    #[test]
    fn ob_context_pattern() {
        assert!(is_ob_context(OB_V3P0));
        assert!(is_ob_context(OB_V3P0_1));
        assert!(is_ob_context(OB_V3P0_3));
        assert!(is_ob_context(
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.1.9.json"
        ));
        assert!(!is_ob_context(OB_EXTENSIONS));
        assert!(!is_ob_context(
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.json"
        ));
        assert!(!is_ob_context(
            "http://purl.imsglobal.org/spec/ob/v3p0/context.json"
        ));
    }
}
