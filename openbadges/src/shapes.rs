//! JSON-LD to RDF memoised by document shape.
//!
//! oxjsonld re-processes the pinned contexts for every document (it keeps no
//! processed-context cache): 1.6 ms of the 2.9 ms an OB 3.0 verification
//! took, against 4.5 µs for a memoised document.
//! But credentials from one issuer or tool share their *shape*: the same
//! keys, nesting, contexts and types, with different strings in them. So the
//! full processor runs once per shape, on a copy of the document whose strings
//! are replaced by placeholder IRIs (`urn:x-badgemesh-slot:N`), and the quads
//! it emits become a template. A later document of the same shape gets its
//! quads by putting its own strings where the placeholders landed.
//!
//! The processor still decides everything: which strings become literals
//! (with which datatype and language) and which become IRIs. A string's own
//! value only matters in an IRI position, where JSON-LD returns an absolute
//! IRI unchanged unless it is a term or starts with a term used as a prefix
//! (a compact IRI). So a string is put into an IRI slot only if it is a valid
//! absolute IRI, is not a term, and its scheme is not a term of any context
//! the document can see; otherwise the document takes the full path. Keys,
//! contexts, types, numbers, booleans and keyword values other than `@id` and
//! `@value` are part of the shape, never slotted. A placeholder that lands
//! anywhere but as a whole IRI or a whole literal value (inside a `@json`
//! literal, as a datatype or predicate) makes the shape "full path only".
//!
//! A property test checks that both paths give the same quads for documents
//! with hostile strings (terms, compact IRIs, blank node ids, relative and
//! malformed IRIs).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use oxrdf_canon::{GraphName, Literal, NamedNode, Subject, Term};
use serde_json::{Map, Value};

use crate::contexts::{ContextSet, for_each_entry};
use crate::rdf::{RdfError, check_iri, nquads_iri};

/// The placeholder prefix. [`crate::json::prepass`] refuses documents that
/// contain it, so it is never the document's own text and cannot be used to
/// send a document down the slow path; a document containing it anyway
/// (one that skipped the pre-pass) is never memoised.
pub(crate) const SLOT_PREFIX: &str = "urn:x-badgemesh-slot:";
/// Shapes larger than this are not memoised (they are rare and would make the
/// cache large).
const MAX_SHAPE_BYTES: usize = 16 * 1024;
/// Bytes of shape keys and templates kept (estimated); the cache is emptied
/// when it would grow past this, which bounds memory whatever documents
/// arrive.
const MAX_CACHE_BYTES: usize = 4 * 1024 * 1024;

/// Memoised JSON-LD to RDF templates for one [`ContextSet`].
#[derive(Default)]
pub struct ShapeCache {
    entries: Mutex<Entries>,
    /// Every term any pinned context defines, at any depth.
    terms: OnceLock<HashSet<String>>,
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, Arc<Entry>>,
    bytes: usize,
}

impl std::fmt::Debug for ShapeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShapeCache").finish_non_exhaustive()
    }
}

enum Entry {
    /// Documents of this shape get their quads from the template.
    Template(Template),
    /// The full processor must see every document of this shape.
    FullOnly,
}

struct Template {
    quads: Vec<TemplateQuad>,
    /// Terms the document's own inline contexts define.
    inline_terms: HashSet<String>,
    /// Which slots are IRIs (their values are checked before use).
    iri_slots: Vec<usize>,
}

struct TemplateQuad {
    subject: SlotSubject,
    predicate: NamedNode,
    object: SlotTerm,
    graph: GraphName,
}

enum SlotSubject {
    Fixed(Subject),
    Iri(usize),
}

enum SlotTerm {
    Fixed(Term),
    Iri(usize),
    Literal {
        slot: usize,
        language: Option<String>,
        datatype: NamedNode,
    },
}

impl ShapeCache {
    /// The quads of `doc`, from a template when its shape has one, else from
    /// `full` (the reference path), which also builds the template.
    pub(crate) fn to_rdf(
        &self,
        doc: &Map<String, Value>,
        contexts: &ContextSet,
        full: impl Fn(&Map<String, Value>) -> Result<Vec<oxrdf_canon::Quad>, RdfError>,
    ) -> Result<Vec<oxrdf_canon::Quad>, RdfError> {
        let Some(walk) = Walk::of(doc) else {
            return full(doc);
        };
        let cached = self
            .entries
            .lock()
            .ok()
            .and_then(|e| e.map.get(&walk.shape).cloned());
        let entry = match cached {
            Some(entry) => entry,
            None => {
                let entry = Arc::new(self.build(doc, &full));
                self.remember(walk.shape.clone(), Arc::clone(&entry));
                entry
            }
        };
        match &*entry {
            Entry::Template(t) => match self.fill(t, &walk.slots, contexts) {
                Some(quads) => quads,
                None => full(doc),
            },
            Entry::FullOnly => full(doc),
        }
    }

    fn remember(&self, shape: String, entry: Arc<Entry>) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        // The key, plus a generous estimate for each template quad.
        let cost = shape.len()
            + match &*entry {
                Entry::Template(t) => t.quads.len() * 256,
                Entry::FullOnly => 0,
            };
        if entries.bytes + cost > MAX_CACHE_BYTES {
            entries.map.clear();
            entries.bytes = 0;
        }
        entries.bytes += cost;
        entries.map.insert(shape, entry);
    }

    /// Runs the full processor on the placeholder copy of `doc` and turns its
    /// output into a template.
    fn build(
        &self,
        doc: &Map<String, Value>,
        full: &impl Fn(&Map<String, Value>) -> Result<Vec<oxrdf_canon::Quad>, RdfError>,
    ) -> Entry {
        let mut next = 0;
        let Value::Object(placeholder) = placeholders(&Value::Object(doc.clone()), &mut next)
        else {
            return Entry::FullOnly;
        };
        let Ok(quads) = full(&placeholder) else {
            // Placeholders can fail where the real strings would not (a
            // string that is a type, say): such shapes stay on the full path.
            return Entry::FullOnly;
        };
        let mut iri_slots = Vec::new();
        let mut out = Vec::with_capacity(quads.len());
        for q in quads {
            let Some(tq) = template_quad(q, &mut iri_slots) else {
                return Entry::FullOnly;
            };
            out.push(tq);
        }
        // Every placeholder must land whole in the output. One that
        // vanished was transformed by the processor (a string typed
        // `xsd:double` goes through `parseFloat`, as in jsonld.js), so its
        // value matters beyond its slot: such shapes stay on the full path.
        let mut used: HashSet<usize> = iri_slots.iter().copied().collect();
        used.extend(out.iter().filter_map(|q| match q.object {
            SlotTerm::Literal { slot, .. } => Some(slot),
            _ => None,
        }));
        if used.len() != next {
            return Entry::FullOnly;
        }
        let mut inline_terms = HashSet::new();
        for_each_entry(&Value::Object(doc.clone()), true, &mut |k, _| {
            inline_terms.insert(k.to_owned());
        });
        iri_slots.sort_unstable();
        iri_slots.dedup();
        Entry::Template(Template {
            quads: out,
            inline_terms,
            iri_slots,
        })
    }

    /// The template with `slots` put in; `None` when a value in an IRI slot
    /// could mean something else than itself (see the module docs).
    fn fill(
        &self,
        t: &Template,
        slots: &[&str],
        contexts: &ContextSet,
    ) -> Option<Result<Vec<oxrdf_canon::Quad>, RdfError>> {
        let terms = self.terms.get_or_init(|| pinned_terms(contexts));
        for &i in &t.iri_slots {
            let value = *slots.get(i)?;
            if !iri_is_itself(value, terms, &t.inline_terms) {
                return None;
            }
        }
        let iri = |i: usize| slots.get(i).map(|v| NamedNode::new_unchecked(*v));
        let mut quads = Vec::with_capacity(t.quads.len());
        for q in &t.quads {
            let subject = match &q.subject {
                SlotSubject::Fixed(s) => s.clone(),
                SlotSubject::Iri(i) => iri(*i)?.into(),
            };
            let object = match &q.object {
                SlotTerm::Fixed(o) => o.clone(),
                SlotTerm::Iri(i) => iri(*i)?.into(),
                SlotTerm::Literal {
                    slot,
                    language,
                    datatype,
                } => {
                    let value = *slots.get(*slot)?;
                    match language {
                        Some(lang) => {
                            Literal::new_language_tagged_literal_unchecked(value, lang.clone())
                        }
                        None => Literal::new_typed_literal(value, datatype.clone()),
                    }
                    .into()
                }
            };
            quads.push(oxrdf_canon::Quad {
                subject,
                predicate: q.predicate.clone(),
                object,
                graph_name: q.graph.clone(),
            });
        }
        Some(Ok(quads))
    }
}

/// Whether JSON-LD IRI expansion returns `value` unchanged in every IRI
/// position: an absolute IRI that passes the strict checks, needs no
/// escaping in N-Quads, is no term, and whose scheme is no term (else it
/// could be a compact IRI).
fn iri_is_itself(value: &str, pinned: &HashSet<String>, inline: &HashSet<String>) -> bool {
    let Some((scheme, _)) = value.split_once(':') else {
        return false;
    };
    let is_term = |t: &str| pinned.contains(t) || inline.contains(t);
    check_iri(value).is_ok()
        && matches!(nquads_iri(value), std::borrow::Cow::Borrowed(_))
        && oxiri::Iri::parse(value).is_ok()
        && !is_term(value)
        && !is_term(scheme)
}

/// The shape key of a document and the strings that fill its slots, in
/// document order. `None` when the document must not be memoised.
struct Walk<'a> {
    shape: String,
    slots: Vec<&'a str>,
}

impl<'a> Walk<'a> {
    fn of(doc: &'a Map<String, Value>) -> Option<Walk<'a>> {
        let mut w = Walk {
            shape: String::with_capacity(1024),
            slots: Vec::with_capacity(32),
        };
        w.object(doc)?;
        (w.shape.len() <= MAX_SHAPE_BYTES).then_some(w)
    }

    fn object(&mut self, map: &'a Map<String, Value>) -> Option<()> {
        self.shape.push('{');
        for (k, v) in map {
            if k.contains(SLOT_PREFIX) {
                return None;
            }
            self.string(k);
            self.shape.push(':');
            if is_slotted_key(k) {
                self.value(v)?;
            } else {
                self.verbatim(v)?;
            }
            self.shape.push(',');
        }
        self.shape.push('}');
        Some(())
    }

    fn value(&mut self, v: &'a Value) -> Option<()> {
        match v {
            Value::Object(m) => self.object(m),
            Value::Array(a) => {
                self.shape.push('[');
                for item in a {
                    self.value(item)?;
                    self.shape.push(',');
                }
                self.shape.push(']');
                Some(())
            }
            Value::String(s) => {
                if s.contains(SLOT_PREFIX) {
                    return None;
                }
                self.shape.push('$');
                self.slots.push(s);
                Some(())
            }
            other => self.verbatim(other),
        }
    }

    fn verbatim(&mut self, v: &Value) -> Option<()> {
        let text = serde_json::to_string(v).ok()?;
        if text.contains(SLOT_PREFIX) {
            return None;
        }
        self.shape.push_str(&text);
        Some(())
    }

    fn string(&mut self, s: &str) {
        // Keys are escaped so that no key can imitate the shape's syntax.
        if let Ok(text) = serde_json::to_string(s) {
            self.shape.push_str(&text);
        }
    }
}

/// Values under these keys can be slotted; all other keyword values
/// (`@context`, `@type` and its alias `type`, `@language`, ...) are part of
/// the shape because they steer processing.
fn is_slotted_key(key: &str) -> bool {
    if key == "type" {
        return false;
    }
    !key.starts_with('@')
        || matches!(
            key,
            "@id" | "@value" | "@list" | "@set" | "@graph" | "@included" | "@reverse" | "@nest"
        )
}

/// A copy of `v` with every slotted string replaced by its placeholder, in
/// the same order as [`Walk`] collects them.
fn placeholders(v: &Value, next: &mut usize) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = if is_slotted_key(k) {
                        placeholders(v, next)
                    } else {
                        v.clone()
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| placeholders(v, next)).collect()),
        Value::String(_) => {
            let s = format!("{SLOT_PREFIX}{next}");
            *next += 1;
            Value::String(s)
        }
        other => other.clone(),
    }
}

fn slot_of(text: &str) -> Option<Result<usize, ()>> {
    if let Some(n) = text.strip_prefix(SLOT_PREFIX) {
        return Some(n.parse().map_err(|_| ()));
    }
    text.contains(SLOT_PREFIX).then_some(Err(()))
}

/// One output quad as a template quad; `None` when a placeholder sits where
/// it can't be substituted.
fn template_quad(q: oxrdf_canon::Quad, iri_slots: &mut Vec<usize>) -> Option<TemplateQuad> {
    let mut iri = |n: &NamedNode| -> Option<Option<usize>> {
        match slot_of(n.as_str()) {
            None => Some(None),
            Some(Ok(i)) => {
                iri_slots.push(i);
                Some(Some(i))
            }
            Some(Err(())) => None,
        }
    };
    let subject = match q.subject {
        Subject::NamedNode(n) => match iri(&n)? {
            Some(i) => SlotSubject::Iri(i),
            None => SlotSubject::Fixed(n.into()),
        },
        Subject::BlankNode(b) => SlotSubject::Fixed(b.into()),
        #[allow(unreachable_patterns)]
        _ => return None,
    };
    if slot_of(q.predicate.as_str()).is_some() {
        return None;
    }
    let object = match q.object {
        Term::NamedNode(n) => match iri(&n)? {
            Some(i) => SlotTerm::Iri(i),
            None => SlotTerm::Fixed(n.into()),
        },
        Term::BlankNode(b) => SlotTerm::Fixed(b.into()),
        Term::Literal(l) => {
            if slot_of(l.datatype().as_str()).is_some() {
                return None;
            }
            match slot_of(l.value()) {
                None => SlotTerm::Fixed(l.into()),
                Some(Ok(slot)) => SlotTerm::Literal {
                    slot,
                    language: l.language().map(str::to_owned),
                    datatype: l.datatype().into_owned(),
                },
                Some(Err(())) => return None,
            }
        }
        #[allow(unreachable_patterns)]
        _ => return None,
    };
    let graph = match &q.graph_name {
        GraphName::NamedNode(n) if slot_of(n.as_str()).is_some() => return None,
        g => g.clone(),
    };
    Some(TemplateQuad {
        subject,
        predicate: q.predicate,
        object,
        graph,
    })
}

/// Keys of every object in every context document of the set, at any depth:
/// a superset of the terms any of them defines.
fn pinned_terms(contexts: &ContextSet) -> HashSet<String> {
    contexts.keys_where(|_| true)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::canon::canonicalize;
    use crate::rdf::{RdfError, to_rdf_full};

    /// Blank node ids differ from run to run; the canonical form is what is
    /// signed, so that is what must be equal.
    fn canonical(r: Result<Vec<oxrdf_canon::Quad>, RdfError>) -> Result<String, RdfError> {
        r.map(|q| canonicalize(&q).expect("canonicalizes"))
    }

    fn to_rdf(doc: &Map<String, Value>, contexts: &ContextSet) -> Result<String, RdfError> {
        canonical(crate::rdf::to_rdf(doc, contexts))
    }

    fn full(doc: &Map<String, Value>, contexts: &ContextSet) -> Result<String, RdfError> {
        canonical(to_rdf_full(doc, contexts))
    }

    /// Documents whose shapes the tests use, with their context sets: a
    /// badgemesh export, the 1EdTech vector and the W3C vc-di-eddsa vector
    /// (whose examples context has an `@vocab`), all without their proofs.
    fn bases() -> Vec<(Map<String, Value>, ContextSet)> {
        static W3C: OnceLock<ContextSet> = OnceLock::new();
        let w3c = W3C.get_or_init(|| {
            ContextSet::pinned().with_extra(
                "https://www.w3.org/ns/credentials/examples/v2",
                include_str!(
                    "../tests/vectors/w3c-eddsa-rdfc-2022/contexts/credentials-examples-v2.jsonld"
                ),
            )
        });
        [
            (
                include_str!("../tests/vectors/exported-credential.json"),
                ContextSet::pinned(),
            ),
            (
                include_str!("../tests/vectors/1edtech-ob3/signed.json"),
                ContextSet::pinned(),
            ),
            (
                include_str!("../tests/vectors/w3c-eddsa-rdfc-2022/unsigned.json"),
                w3c.clone(),
            ),
            // A prefix, a type term and @id/@vocab-typed terms in scope.
            (
                r#"{"@context": ["https://www.w3.org/ns/credentials/v2", {
                    "ex": "https://example.org/ns#",
                    "Thing": "ex:Thing",
                    "link": {"@id": "ex:link", "@type": "@id"},
                    "vlink": {"@id": "ex:vlink", "@type": "@vocab"}}],
                  "id": "urn:x:1", "type": ["VerifiableCredential", "Thing"],
                  "link": "urn:y:2", "vlink": ["urn:z:3", "https://example.org/4"],
                  "name": "n", "description": {"@value": "d", "@language": "en"},
                  "credentialSubject": {"id": "did:example:5", "link": "urn:y:6"}}"#,
                ContextSet::pinned(),
            ),
        ]
        .into_iter()
        .map(|(text, contexts)| {
            let mut v: Value = serde_json::from_str(text).expect("vector");
            crate::json::prepass(&mut v).expect("prepass");
            let Value::Object(mut m) = v else {
                panic!("object")
            };
            m.shift_remove("proof");
            (m, contexts)
        })
        .collect()
    }

    fn count_slots(v: &Value) -> usize {
        match v {
            Value::Object(m) => m
                .iter()
                .filter(|(k, _)| is_slotted_key(k))
                .map(|(_, v)| count_slots(v))
                .sum(),
            Value::Array(a) => a.iter().map(count_slots).sum(),
            Value::String(_) => 1,
            _ => 0,
        }
    }

    /// Replaces the `target`-th slotted string (counting from `*seen`).
    fn replace_slot(v: &mut Value, target: usize, seen: &mut usize, value: &str) {
        match v {
            Value::Object(m) => {
                for (k, v) in m.iter_mut() {
                    if is_slotted_key(k) {
                        replace_slot(v, target, seen, value);
                    }
                }
            }
            Value::Array(a) => a
                .iter_mut()
                .for_each(|v| replace_slot(v, target, seen, value)),
            Value::String(s) => {
                if *seen == target {
                    *s = value.to_owned();
                }
                *seen += 1;
            }
            _ => {}
        }
    }

    /// `doc` with slotted strings (by index, modulo their number) replaced.
    fn with_values(doc: &Map<String, Value>, values: &[(usize, String)]) -> Map<String, Value> {
        let mut v = Value::Object(doc.clone());
        let n = count_slots(&v);
        for (i, value) in values {
            replace_slot(&mut v, i % n, &mut 0, value);
        }
        let Value::Object(m) = v else {
            unreachable!("an object stays an object")
        };
        m
    }

    /// Strings that mean something else than themselves in an IRI position,
    /// or that try to break the template.
    fn hostile() -> impl Strategy<Value = String> {
        let terms: Vec<String> = {
            let mut t: Vec<String> = pinned_terms(&ContextSet::pinned()).into_iter().collect();
            t.extend(["ex", "Thing", "link", "vlink"].map(str::to_owned));
            t.sort();
            t
        };
        let term = proptest::sample::select(terms);
        prop_oneof![
            term.clone(),
            term.clone().prop_map(|t| format!("{t}:x")),
            term.prop_map(|t| format!("{t}://host/x")),
            Just("_:b0".to_owned()),
            Just("_:other".to_owned()),
            Just("relative/path".to_owned()),
            Just("#fragment".to_owned()),
            Just(String::new()),
            Just("urn:x:a b".to_owned()),
            Just("urn:%zz".to_owned()),
            Just("http://[::1".to_owned()),
            Just("http://[::1]:8080/x".to_owned()),
            Just("https://example.org/a[1]?q[]=2#f[3]".to_owned()),
            Just("urn:x:{a}|b^c`d\\e<f>\"g".to_owned()),
            Just("https://example.org/a\u{a0}b".to_owned()),
            Just("https://example.org/a/../b".to_owned()),
            Just("@id".to_owned()),
            Just("@type".to_owned()),
            Just("urn:x-badgemesh-slot:0".to_owned()),
            Just("xsd:string".to_owned()),
            Just("schema:name".to_owned()),
            Just("did:key:z6MkqgVm7nxqreLCYwCEuzSVRsCJt66foXiyfss8bewBe8A3".to_owned()),
            Just("https://example.org/credentials/1".to_owned()),
            Just("line\nbreak \"quoted\" back\\slash".to_owned()),
            Just("unicode \u{e9}\u{1F600}".to_owned()),
            "[a-z]{1,6}:[a-zA-Z0-9/#?._~-]{0,12}",
            "\\PC{0,12}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(600))]

        /// The memoised path gives exactly what the processor gives, for
        /// any strings in any slots of known shapes.
        #[test]
        fn memoised_equals_full_processing(
            base in 0usize..4,
            values in proptest::collection::vec((0usize..64, hostile()), 1..4),
        ) {
            let (base, contexts) = &bases()[base];
            let doc = with_values(base, &values);
            // Warm the template with the unchanged document first.
            prop_assert!(to_rdf(base, contexts).is_ok());
            let contexts = contexts.clone();
            prop_assert_eq!(to_rdf(&doc, &contexts), full(&doc, &contexts));
        }
    }

    #[test]
    fn known_shapes_are_memoised() {
        for (base, contexts) in bases() {
            let reference = full(&base, &contexts).expect("rdf");
            let cache = ShapeCache::default();
            let calls = std::cell::Cell::new(0);
            let counting = |d: &Map<String, Value>| {
                calls.set(calls.get() + 1);
                to_rdf_full(d, &contexts)
            };
            // First sight: the template run on placeholders.
            let memo = |d: &Map<String, Value>| canonical(cache.to_rdf(d, &contexts, counting));
            assert_eq!(memo(&base), Ok(reference.clone()));
            assert_eq!(calls.get(), 1);
            // Then no processor call, same quads, also for new values.
            assert_eq!(memo(&base), Ok(reference));
            let changed = with_values(&base, &[(0, "urn:uuid:1234".into())]);
            assert_eq!(memo(&changed), full(&changed, &contexts));
            assert_eq!(calls.get(), 1, "the template served both");
        }
    }

    #[test]
    fn values_that_are_not_themselves_take_the_full_path() {
        let (base, contexts) = &bases()[0];
        let contexts = contexts.clone();
        let cache = ShapeCache::default();
        let calls = std::cell::Cell::new(0);
        let counting = |d: &Map<String, Value>| {
            calls.set(calls.get() + 1);
            to_rdf_full(d, &contexts)
        };
        let _ = cache.to_rdf(base, &contexts, counting);
        // Slot 0 is the credential id, an IRI position.
        for value in ["_:b7", "relative", "Achievement", "xsd:string"] {
            let before = calls.get();
            let doc = with_values(base, &[(0, value.into())]);
            assert_eq!(
                canonical(cache.to_rdf(&doc, &contexts, counting)),
                full(&doc, &contexts),
                "{value}"
            );
            assert_eq!(
                calls.get(),
                before + 1,
                "{value} went through the processor"
            );
        }
    }
}
