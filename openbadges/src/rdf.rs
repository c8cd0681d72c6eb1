//! JSON-LD to RDF with oxjsonld (JSON-LD 1.1), made as strict as the
//! reference processor in safe mode.
//!
//! oxjsonld drops undefined terms, invalid IRIs and bad language tags
//! silently. So the document gets a sentinel `@vocab` in front of its
//! `@context` (an undefined term then expands to the sentinel namespace, which
//! is an error), the parser runs in lenient mode, and every emitted IRI and
//! language tag is checked here. Contexts come only from a [`ContextSet`]: any
//! other URL is an error, never a fetch. Quads are returned as oxrdf 0.2 values,
//! the version rdf-canon works on.
//!
//! What the reference refuses in safe mode and oxjsonld would drop is
//! refused here too ([`RdfError`]): reserved keys, `{"@value": null}`, keys
//! an inline context maps to null. Numbers and `@direction` become RDF as
//! jsonld.js makes them, since that is what Digital Bazaar's stack signs:
//! numbers from the JavaScript double (`1.234567890123457E19`,
//! `18446744073709551616`, `-0`), a direction as an i18n datatype (see
//! [`RdfDirection`]); both come from the patch to the vendored oxjsonld
//! (`vendor/oxjsonld/PATCHED.md`). IRIs are taken as jsonld.js takes them
//! (a scheme, no white space), and the characters N-Quads cannot hold are
//! escaped as rdf-canonize escapes them before canonicalization, so that
//! RDFC-1.0 hashes the same text.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use oxjsonld::{JsonLdParser, JsonLdRdfDirection, JsonLdRemoteDocument};
use oxrdf::{GraphName, NamedOrBlankNode, Term};
use oxrdf_canon as rdf02;
use serde_json::{Map, Value, json};

use crate::contexts::{CREDENTIALS_V2, ContextSet, DATA_INTEGRITY_V2, for_each_entry};
use crate::json::{JSON_LITERAL_TERMS, KEYWORDS, is_json_literal, is_keyword_form};
use crate::limits::MAX_QUADS;

/// The private namespace undefined terms expand to.
const SENTINEL_VOCAB: &str = "urn:badgemesh:undefined-term:";

/// Why a JSON-LD document could not be turned into RDF.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum RdfError {
    /// The document has no `@context`.
    #[error("the document has no @context")]
    NoContext,
    /// A context URL that is not pinned.
    #[error("unknown JSON-LD context {0} (only pinned contexts are served)")]
    UnknownContext(String),
    /// A term that no context defines.
    #[error("undefined JSON-LD term or type: {0}")]
    UndefinedTerm(String),
    /// An IRI that is relative or contains characters the reference rejects.
    #[error("invalid IRI: {0}")]
    InvalidIri(String),
    /// A language tag that is not well-formed BCP 47.
    #[error("invalid language tag: {0}")]
    InvalidLanguage(String),
    /// The JSON-LD processor failed.
    #[error("JSON-LD processing failed: {0}")]
    JsonLd(String),
    /// The document makes more than [`MAX_QUADS`] quads.
    #[error("the document makes more than {MAX_QUADS} quads")]
    TooManyQuads,
    /// RDF 1.2 triple terms are not supported.
    #[error("unsupported RDF term")]
    UnsupportedTerm,
    /// A key that looks like a keyword but is not one (`@foo`): jsonld.js
    /// refuses it ("invalid property") where oxjsonld would ignore it.
    #[error("reserved key {0} is not a JSON-LD keyword")]
    ReservedKey(String),
    /// `"@vocab": null` would switch off the undefined-term check.
    #[error("inline \"@vocab\": null is not accepted")]
    VocabNull,
    /// `{"@value": null}`: jsonld.js refuses it in safe mode ("null @value
    /// value") where oxjsonld would drop it.
    #[error("a value object with a null @value")]
    NullValue,
}

/// How a value's base direction (`@direction`) becomes RDF: the JSON-LD 1.1
/// `rdfDirection` option. Verification uses [`RdfDirection::I18nDatatype`],
/// the default of Digital Bazaar's rdfc cryptosuites (`eddsa-rdfc-2022`,
/// `ecdsa-rdfc-2019`), which is what signers using them signed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum RdfDirection {
    /// `"v"^^<https://www.w3.org/ns/i18n#{language}_{direction}>`, the
    /// language in lower case.
    #[default]
    I18nDatatype,
    /// A blank node with `rdf:value`, `rdf:language` and `rdf:direction`,
    /// the other encoding JSON-LD 1.1 defines. jsonld.js refuses it
    /// ("Unsupported rdfDirection value"); this follows the specification.
    CompoundLiteral,
    /// A value with a direction is an error: jsonld.js's own default
    /// (`rdfDirection` unset, safe mode: "rdfDirection not set").
    Refuse,
}

/// Turns a JSON-LD document into RDF quads, strictly (see the module docs),
/// from a memoised template when a document of the same shape was seen
/// before (see [`crate::shapes`]).
///
/// `doc` must already have been through [`crate::json::prepass`].
pub fn to_rdf(
    doc: &Map<String, Value>,
    contexts: &ContextSet,
) -> Result<Vec<rdf02::Quad>, RdfError> {
    contexts
        .shapes()
        .to_rdf(doc, contexts, |d| to_rdf_full(d, contexts))
}

/// [`to_rdf`] always through the JSON-LD processor: the reference path.
pub fn to_rdf_full(
    doc: &Map<String, Value>,
    contexts: &ContextSet,
) -> Result<Vec<rdf02::Quad>, RdfError> {
    to_rdf_full_with(doc, contexts, RdfDirection::default())
}

/// [`to_rdf_full`] with another encoding of `@direction`. Never memoised:
/// the shape cache holds templates made with the default.
pub fn to_rdf_full_with(
    doc: &Map<String, Value>,
    contexts: &ContextSet,
    direction: RdfDirection,
) -> Result<Vec<rdf02::Quad>, RdfError> {
    let ctx = doc.get("@context").ok_or(RdfError::NoContext)?;
    let mut doc = Value::Object(doc.clone());
    safe_mode(&mut doc)?;
    let Value::Object(doc) = doc else {
        return Err(RdfError::NoContext);
    };
    let items = unwrap_contexts(match ctx {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    });
    let mut new_ctx = vec![json!({ "@vocab": SENTINEL_VOCAB })];
    let mut seen_v2 = false;
    for item in items {
        if let Value::String(url) = &item {
            if !contexts.contains(url) {
                return Err(RdfError::UnknownContext(url.clone()));
            }
            if url == DATA_INTEGRITY_V2 && seen_v2 {
                // oxjsonld refuses the (identical) redefinition of protected
                // terms here; the reference accepts it and the RDF is the same.
                new_ctx.push(json!({
                    "proof": {
                        "@id": "https://w3id.org/security#proof",
                        "@type": "@id",
                        "@container": "@graph"
                    }
                }));
                continue;
            }
            if url == CREDENTIALS_V2 {
                seen_v2 = true;
            }
        }
        new_ctx.push(item);
    }
    let mut rewritten = Map::with_capacity(doc.len());
    rewritten.insert("@context".into(), Value::Array(new_ctx));
    for (k, v) in doc {
        if k != "@context" {
            rewritten.insert(k, v);
        }
    }
    let bytes = serde_json::to_vec(&Value::Object(rewritten))
        .map_err(|e| RdfError::JsonLd(e.to_string()))?;

    let missing: Arc<Mutex<Option<String>>> = Arc::default();
    let loader_missing = Arc::clone(&missing);
    let loader_set = contexts.clone();
    let parser = JsonLdParser::new()
        .lenient()
        .with_ecmascript_numbers()
        .with_rdf_direction(match direction {
            RdfDirection::I18nDatatype => JsonLdRdfDirection::I18nDatatype,
            RdfDirection::CompoundLiteral => JsonLdRdfDirection::CompoundLiteral,
            RdfDirection::Refuse => JsonLdRdfDirection::Refuse,
        })
        .for_slice(&bytes)
        .with_load_document_callback(move |url, _| match loader_set.get(url) {
            Some(text) => Ok(JsonLdRemoteDocument {
                document: text.as_bytes().to_vec(),
                document_url: url.to_owned(),
            }),
            None => {
                if let Ok(mut m) = loader_missing.lock() {
                    *m = Some(url.to_owned());
                }
                Err(format!("context {url} is not pinned").into())
            }
        });
    let mut out = Vec::new();
    for quad in parser {
        let quad = match quad {
            Ok(q) => q,
            Err(e) => {
                if let Ok(m) = missing.lock()
                    && let Some(url) = m.clone()
                {
                    return Err(RdfError::UnknownContext(url));
                }
                return Err(RdfError::JsonLd(e.to_string()));
            }
        };
        if out.len() >= MAX_QUADS {
            return Err(RdfError::TooManyQuads);
        }
        out.push(convert(quad)?);
    }
    Ok(out)
}

/// An inline context written as a context document (`{"@context": ...}`)
/// stands for its `@context`, as jsonld.js reads it (it dereferences the
/// key before processing a local context); oxjsonld refuses it. The W3C
/// Data Integrity test suites' credentials are written so.
fn unwrap_contexts(items: Vec<Value>) -> Vec<Value> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::Object(mut m) if m.contains_key("@context") => {
                match m.shift_remove("@context").unwrap_or(Value::Null) {
                    Value::Array(inner) => out.extend(unwrap_contexts(inner)),
                    inner => out.extend(unwrap_contexts(vec![inner])),
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// What jsonld.js in safe mode refuses or reads differently and oxjsonld
/// would drop silently, checked on the JSON (outside `@json` literals):
/// reserved keys, `"@vocab": null` (ours: it would switch the sentinel
/// off), `{"@value": null}`, and keys that an inline context maps to null
/// (their data would be dropped, unsigned: "invalid property"). A value
/// object's `"@language": null` means no language to jsonld.js; it is
/// removed here, since oxjsonld refuses it.
fn safe_mode(doc: &mut Value) -> Result<(), RdfError> {
    let mut terms = InlineTerms::default();
    for_each_entry(doc, true, &mut |k, v| {
        let def = v.as_object();
        if k.starts_with('@') {
            return;
        }
        if v.is_null() || def.is_some_and(|d| d.get("@id") == Some(&Value::Null)) {
            terms.nulled.insert(k.to_owned());
        }
        if def.is_some_and(|d| d.get("@type").and_then(Value::as_str) == Some("@json")) {
            terms.json.insert(k.to_owned());
        }
    });
    safe_mode_walk(doc, &terms)
}

/// Terms the document's own contexts map to null or type `@json`.
#[derive(Default)]
struct InlineTerms {
    nulled: HashSet<String>,
    json: HashSet<String>,
}

fn safe_mode_walk(v: &mut Value, terms: &InlineTerms) -> Result<(), RdfError> {
    let nulled = &terms.nulled;
    match v {
        Value::Array(items) => items.iter_mut().try_for_each(|v| safe_mode_walk(v, terms)),
        Value::Object(map) => {
            if is_json_literal(map) {
                return Ok(());
            }
            if map.contains_key("@value") {
                if map.get("@value") == Some(&Value::Null) {
                    return Err(RdfError::NullValue);
                }
                if map.get("@language") == Some(&Value::Null) {
                    map.shift_remove("@language");
                }
            }
            for (key, v) in map.iter_mut() {
                if key == "@context" {
                    check_contexts(v)?;
                    continue;
                }
                if key.starts_with('@') && !KEYWORDS.contains(&key.as_str()) && is_keyword_form(key)
                {
                    return Err(RdfError::ReservedKey(key.clone()));
                }
                if nulled.contains(key) {
                    return Err(RdfError::UndefinedTerm(key.clone()));
                }
                if !JSON_LITERAL_TERMS.contains(&key.as_str()) && !terms.json.contains(key) {
                    safe_mode_walk(v, terms)?;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Inline contexts may not set `@vocab` to null.
fn check_contexts(v: &Value) -> Result<(), RdfError> {
    let mut vocab_null = false;
    for_each_entry(v, false, &mut |k, v| {
        vocab_null |= k == "@vocab" && v.is_null()
    });
    if vocab_null {
        Err(RdfError::VocabNull)
    } else {
        Ok(())
    }
}

/// An IRI as jsonld.js takes it: a scheme (`[A-Za-z][A-Za-z0-9+,.-]*`, the
/// character class jsonld.js writes as `[A-Za-z0-9+-.]`) and a colon, and
/// no JavaScript white space anywhere (its `\s`); anything else is relative
/// to it, which safe mode refuses. Characters N-Quads cannot hold as they
/// are (`<>"{}|^`, backtick, backslash, controls) are allowed and escaped in
/// the output, as rdf-canonize does ([`nquads_iri`]).
pub(crate) fn check_iri(iri: &str) -> Result<(), RdfError> {
    if let Some(term) = iri.strip_prefix(SENTINEL_VOCAB) {
        return Err(RdfError::UndefinedTerm(term.to_owned()));
    }
    let scheme_ok = iri.split_once(':').is_some_and(|(scheme, _)| {
        let mut b = scheme.bytes();
        b.next().is_some_and(|c| c.is_ascii_alphabetic())
            && b.all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b',' | b'-' | b'.'))
    });
    if scheme_ok && !iri.chars().any(is_js_space) {
        Ok(())
    } else {
        Err(RdfError::InvalidIri(iri.to_owned()))
    }
}

/// JavaScript's `\s`: white space and line terminators.
fn is_js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// The IRI as rdf-canonize writes it between `<` and `>`: U+0000 to U+0020
/// and `<>"{}|^`, backtick and backslash as `\uXXXX`. The escaped text is
/// what the quads hold from here on, so RDFC-1.0 hashes and sorts the same
/// lines as the reference.
pub(crate) fn nquads_iri(iri: &str) -> std::borrow::Cow<'_, str> {
    let escape =
        |c: char| c <= ' ' || matches!(c, '<' | '>' | '"' | '{' | '}' | '|' | '^' | '`' | '\\');
    if !iri.chars().any(escape) {
        return iri.into();
    }
    let mut out = String::with_capacity(iri.len() + 16);
    for c in iri.chars() {
        if escape(c) {
            out.push_str(&format!("\\u{:04X}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// Well-formed per the BCP 47 shape the reference accepts: `alpha{1,8}(-alnum{1,8})*`.
fn check_language(tag: &str) -> Result<String, RdfError> {
    let mut parts = tag.split('-');
    let first_ok = parts
        .next()
        .is_some_and(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    let rest_ok =
        parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    if first_ok && rest_ok {
        Ok(tag.to_ascii_lowercase())
    } else {
        Err(RdfError::InvalidLanguage(tag.to_owned()))
    }
}

fn named(n: oxrdf::NamedNode) -> Result<rdf02::NamedNode, RdfError> {
    check_iri(n.as_str())?;
    Ok(rdf02::NamedNode::new_unchecked(nquads_iri(n.as_str())))
}

fn blank(b: &oxrdf::BlankNode) -> rdf02::BlankNode {
    rdf02::BlankNode::new_unchecked(b.as_str())
}

fn convert(q: oxrdf::Quad) -> Result<rdf02::Quad, RdfError> {
    let subject: rdf02::Subject = match q.subject {
        NamedOrBlankNode::NamedNode(n) => named(n)?.into(),
        NamedOrBlankNode::BlankNode(b) => blank(&b).into(),
    };
    let predicate = named(q.predicate)?;
    #[allow(unreachable_patterns)]
    let object: rdf02::Term = match q.object {
        Term::NamedNode(n) => named(n)?.into(),
        Term::BlankNode(b) => blank(&b).into(),
        Term::Literal(l) => {
            if let Some(lang) = l.language() {
                let lang = check_language(lang)?;
                rdf02::Literal::new_language_tagged_literal_unchecked(l.value(), lang).into()
            } else {
                let dt = l.datatype();
                check_iri(dt.as_str())?;
                rdf02::Literal::new_typed_literal(
                    l.value(),
                    rdf02::NamedNode::new_unchecked(nquads_iri(dt.as_str())),
                )
                .into()
            }
        }
        _ => return Err(RdfError::UnsupportedTerm),
    };
    let graph_name = match q.graph_name {
        GraphName::DefaultGraph => rdf02::GraphName::DefaultGraph,
        GraphName::NamedNode(n) => named(n)?.into(),
        GraphName::BlankNode(b) => blank(&b).into(),
    };
    Ok(rdf02::Quad {
        subject,
        predicate,
        object,
        graph_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rdf(text: &str) -> Result<Vec<rdf02::Quad>, RdfError> {
        let mut v: Value = serde_json::from_str(text).unwrap();
        crate::json::prepass(&mut v).unwrap();
        to_rdf(v.as_object().unwrap(), &ContextSet::pinned())
    }

    #[test]
    fn undefined_terms_are_errors() {
        let e = rdf(
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x:1", "type": ["VerifiableCredential"], "favouriteColour": "blue"}"#,
        );
        assert_eq!(e, Err(RdfError::UndefinedTerm("favouriteColour".into())));
        let e = rdf(
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x:1", "type": ["VerifiableCredential", "MadeUp"]}"#,
        );
        assert_eq!(e, Err(RdfError::UndefinedTerm("MadeUp".into())));
    }

    #[test]
    fn unknown_contexts_are_errors() {
        let e = rdf(
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2", "https://evil.example/ctx.json"], "id": "urn:x:1"}"#,
        );
        assert_eq!(
            e,
            Err(RdfError::UnknownContext(
                "https://evil.example/ctx.json".into()
            ))
        );
    }

    #[test]
    fn relative_and_bad_iris_are_errors() {
        let e = rdf(
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "relative/path", "type": ["VerifiableCredential"]}"#,
        );
        assert!(matches!(e, Err(RdfError::InvalidIri(_))), "{e:?}");
        let e = rdf(
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x:a b", "type": ["VerifiableCredential"]}"#,
        );
        assert!(matches!(e, Err(RdfError::InvalidIri(_))), "{e:?}");
    }

    #[test]
    fn language_tags_are_checked_and_lowercased() {
        let q = rdf(r#"{"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x:1", "name": {"@value": "Hi", "@language": "EN-GB"}}"#).unwrap();
        assert!(
            q.iter().any(|q| q.to_string().contains("\"Hi\"@en-gb")),
            "{q:?}"
        );
        let e = rdf(
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x:1", "name": {"@value": "Hi", "@language": "not a tag"}}"#,
        );
        assert!(matches!(e, Err(RdfError::InvalidLanguage(_))), "{e:?}");
    }

    #[test]
    fn reserved_keys_and_vocab_null_are_refused() {
        let e = rdf(
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x:1", "name": {"@value": "a", "@foo": 1}}"#,
        );
        assert_eq!(e, Err(RdfError::ReservedKey("@foo".into())));
        let e = rdf(
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2", {"@vocab": null}], "id": "urn:x:1", "name": "a"}"#,
        );
        assert_eq!(e, Err(RdfError::VocabNull));
        // Inside a @json literal, anything goes.
        let q = rdf(
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2", {"j": {"@id": "urn:j", "@type": "@json"}}], "id": "urn:x:1", "j": {"@foo": null, "@vocab": null, "x": {"@value": null}}}"#,
        );
        assert_eq!(q.map(|q| q.len()), Ok(1));
    }

    #[test]
    fn terms_mapped_to_null_and_null_values_are_refused() {
        let e = rdf(
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2", {"ex": "urn:ex:", "n": {"@id": "ex:n", "@context": {"m": null}}}], "id": "urn:x:1", "n": {"m": "unsigned"}}"#,
        );
        assert_eq!(e, Err(RdfError::UndefinedTerm("m".into())));
        let e = rdf(
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2", {"n": {"@id": null}}], "id": "urn:x:1", "n": "unsigned"}"#,
        );
        assert_eq!(e, Err(RdfError::UndefinedTerm("n".into())));
        let e = rdf(
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x:1", "name": {"@value": null}}"#,
        );
        assert_eq!(e, Err(RdfError::NullValue));
    }

    #[test]
    fn data_integrity_after_credentials_v2_is_accepted() {
        let q = rdf(r#"{"@context": ["https://www.w3.org/ns/credentials/v2", "https://w3id.org/security/data-integrity/v2"], "id": "urn:x:1", "type": ["VerifiableCredential"]}"#).unwrap();
        assert_eq!(q.len(), 1);
    }
}
