//! JSON-LD corner cases against jsonld.js, the reference canonicalisation.
//!
//! Each `vectors/jsonld-cases/<rdfDirection>/<case>.json` has a golden
//! answer written by `interop/canonize.js` (jsonld.js, safe mode, the same
//! pinned contexts): `<case>.nq`, its canonical N-Quads, or `<case>.refused`,
//! jsonld.js's refusal. Ours must be the same N-Quads, through the full
//! JSON-LD processor and through the shape memo, or a refusal. The goldens
//! are checked here without node; with node and `interop/node_modules`,
//! jsonld.js is run again on every case, so the goldens cannot drift from it.
//!
//! jsonld.js refuses `rdfDirection: "compound-literal"` ("Unsupported
//! rdfDirection value"); for those cases the golden is PyLD 3.3.0's
//! (Digital Bazaar's Python processor) `to_rdf`, kept beside the case as
//! `<case>.pyld.nq` and canonicalized by jsonld.js's rdf-canonize.

use std::path::{Path, PathBuf};
use std::process::Command;

use badgemesh_openbadges::canon::canonicalize;
use badgemesh_openbadges::contexts::ContextSet;
use badgemesh_openbadges::json::{parse_bounded, prepass};
use badgemesh_openbadges::rdf::{RdfDirection, to_rdf, to_rdf_full_with};
use serde_json::Value;

use crate::fixtures::vectors;

const MODES: [(&str, RdfDirection); 3] = [
    ("i18n-datatype", RdfDirection::I18nDatatype),
    ("null", RdfDirection::Refuse),
    ("compound-literal", RdfDirection::CompoundLiteral),
];

/// What one processor made of a case.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    NQuads(String),
    Refused(String),
}

impl Answer {
    fn same_kind(&self, other: &Answer) -> bool {
        match (self, other) {
            (Answer::NQuads(a), Answer::NQuads(b)) => a == b,
            (Answer::Refused(_), Answer::Refused(_)) => true,
            _ => false,
        }
    }
}

fn cases() -> Vec<(PathBuf, &'static str, RdfDirection)> {
    let mut out = Vec::new();
    for (dir, mode) in MODES {
        let root = vectors().join("jsonld-cases").join(dir);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
            .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        out.extend(files.into_iter().map(|f| (f, dir, mode)));
    }
    assert!(out.len() >= 20, "case files are missing: {}", out.len());
    out
}

fn golden(case: &Path) -> Answer {
    let nq = case.with_extension("nq");
    let refused = case.with_extension("refused");
    match (
        std::fs::read_to_string(&nq),
        std::fs::read_to_string(&refused),
    ) {
        (Ok(text), Err(_)) => Answer::NQuads(text),
        (Err(_), Ok(text)) => Answer::Refused(text.trim().to_owned()),
        _ => panic!("{}: needs exactly one of .nq and .refused", case.display()),
    }
}

/// Ours, through the full processor; the shape memo (default direction
/// only) must agree with it, on first sight and from its template.
fn ours(bytes: &[u8], mode: RdfDirection) -> Answer {
    let prepared = parse_bounded(bytes)
        .map_err(|e| e.to_string())
        .and_then(|m| {
            let mut v = Value::Object(m);
            prepass(&mut v).map_err(|e| e.to_string())?;
            match v {
                Value::Object(m) => Ok(m),
                _ => Err("not an object".to_owned()),
            }
        });
    let doc = match prepared {
        Ok(doc) => doc,
        Err(e) => return Answer::Refused(e),
    };
    let contexts = ContextSet::pinned();
    let canonical = |quads: Result<Vec<_>, _>| match quads {
        Ok(q) => match canonicalize(&q) {
            Ok(text) => Answer::NQuads(text),
            Err(e) => Answer::Refused(e.to_string()),
        },
        Err(e) => Answer::Refused(format!("{e}")),
    };
    let full = canonical(to_rdf_full_with(&doc, &contexts, mode));
    if mode == RdfDirection::I18nDatatype {
        for pass in ["first sight", "template"] {
            let memo = canonical(to_rdf(&doc, &contexts));
            assert!(
                memo.same_kind(&full),
                "shape memo ({pass}) differs from full processing: {memo:?} vs {full:?}"
            );
        }
    }
    full
}

#[test]
fn corner_cases_match_the_jsonld_js_goldens() {
    let mut failures = Vec::new();
    for (case, dir, mode) in cases() {
        let bytes = std::fs::read(&case).expect("case file");
        let want = golden(&case);
        let got = ours(&bytes, mode);
        if !got.same_kind(&want) {
            failures.push(format!(
                "{dir}/{}:\n  jsonld.js: {want:?}\n  ours:      {got:?}",
                case.file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn canonize_js() -> Option<PathBuf> {
    crate::fixtures::interop_harness().map(|dir| dir.join("canonize.js"))
}

/// The goldens are what jsonld.js says today, refusal reasons included.
#[test]
fn goldens_are_what_jsonld_js_says() {
    let Some(script) = canonize_js() else { return };
    let run = |file: &Path, dir: &str| {
        let out = Command::new("node")
            .arg(&script)
            .arg(file)
            .arg(format!("--rdf-direction={dir}"))
            .output()
            .expect("run node");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() {
            Answer::NQuads(stdout)
        } else {
            Answer::Refused(stdout.trim().to_owned())
        }
    };
    for (case, dir, _) in cases() {
        let js = run(&case, dir);
        if dir == "compound-literal" {
            assert!(
                matches!(&js, Answer::Refused(why) if why.contains("Unsupported rdfDirection")),
                "{}: jsonld.js now does compound-literal: {js:?}",
                case.display()
            );
            let pyld = case.with_extension("pyld.nq");
            assert_eq!(run(&pyld, dir), golden(&case), "{}", pyld.display());
            continue;
        }
        assert_eq!(
            js,
            golden(&case),
            "{}: jsonld.js no longer gives the golden answer",
            case.display()
        );
    }
}

/// Credentials with the corner cases in them (doubles in `xsd:float` terms,
/// rounding ties, `@direction`, brackets and characters N-Quads escapes in
/// IRIs), signed by Digital
/// Bazaar's stack, verify here; signed here, they verify there, with the
/// same proof (Ed25519 is deterministic).
#[test]
fn corner_case_credentials_cross_verify_with_digital_bazaar() {
    use badgemesh_openbadges::credential::{Outcome, VerifyOptions, verify_credential};
    use badgemesh_openbadges::proof::{proof_options, sign};
    use badgemesh_protocol::keys::IssuerId;
    use serde_json::{Map, json};

    let Some(script) = canonize_js() else { return };
    let interop = script.parent().expect("interop dir").to_path_buf();
    let node = |name: &str, input: &[u8]| {
        let tmp = std::env::temp_dir().join(format!(
            "badgemesh-jsonld-cases-{}-{name}-{}.json",
            std::process::id(),
            input.len()
        ));
        std::fs::write(&tmp, input).expect("temp file");
        let out = Command::new("node")
            .arg(interop.join(name))
            .arg(&tmp)
            .output()
            .expect("run node");
        let _ = std::fs::remove_file(&tmp);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    };
    let key = crate::fixtures::key(21);
    let did = IssuerId::from_key(key.public()).to_did();
    for case in [
        "credential-float-terms",
        "credential-float-ties",
        "direction-credential",
        "iri-brackets-credential",
        "iri-escaped-credential",
    ] {
        let path = vectors().join(format!("jsonld-cases/i18n-datatype/{case}.json"));
        let mut doc: Map<String, Value> =
            serde_json::from_slice(&std::fs::read(&path).expect("case")).expect("json");
        doc["issuer"]["id"] = json!(did);

        let input = json!({ "seedHex": hex::encode(key.to_seed()), "credential": doc });
        let (ok, signed) = node("sign.js", &serde_json::to_vec(&input).expect("json"));
        assert!(ok, "{case}: sign.js failed: {signed}");
        let v = verify_credential(
            signed.as_bytes(),
            crate::fixtures::T0.plus(60),
            &VerifyOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(v.outcome, Outcome::Valid, "{case}: {:?}", v.checks);

        let mut ours = doc.clone();
        let vm = format!("{did}#{}", did.trim_start_matches("did:key:"));
        let created = doc["validFrom"].as_str().expect("validFrom").to_owned();
        sign(
            &mut ours,
            proof_options(&vm, &created),
            &key,
            &ContextSet::pinned(),
        )
        .expect("sign");
        let ours_bytes = serde_json::to_vec(&Value::Object(ours.clone())).expect("json");
        let (ok, out) = node("verify.js", &ours_bytes);
        assert!(ok, "{case}: Digital Bazaar rejects ours: {out}");
        let theirs: Value = serde_json::from_str(&signed).expect("json");
        assert_eq!(theirs["proof"], ours["proof"], "{case}");
    }
}

/// What JSON-LD processing refuses is refused as JSON-LD (`ProofError::Rdf`,
/// which the node reports as *invalid* with the reason, exit 1), never as
/// unreadable JSON: the credential was read and fails a check.
#[test]
fn json_ld_refusals_of_a_signed_credential_are_rdf_errors() {
    use badgemesh_openbadges::credential::{CredentialError, VerifyOptions, verify_credential};
    use badgemesh_openbadges::proof::ProofError;
    use serde_json::json;

    let n = crate::fixtures::native(22, crate::fixtures::email_recipient());
    let signed = Value::Object(crate::fixtures::export(&n));
    type Edit = (&'static str, fn(&mut Value));
    let edits: [Edit; 6] = [
        ("reserved key", |d| {
            d["credentialSubject"]["@foo"] = json!(1)
        }),
        ("null @value", |d| d["name"] = json!({ "@value": null })),
        ("numeric id", |d| d["credentialSubject"]["id"] = json!(5)),
        ("null nested id", |d| {
            d["issuer"]["evidence"] = json!({"id": null})
        }),
        ("direction value", |d| {
            d["description"] = json!({"@value": "x", "@direction": "up"})
        }),
        ("term mapped to null", |d| {
            d["@context"]
                .as_array_mut()
                .expect("array")
                .push(json!({"narrative": null}));
        }),
    ];
    for (what, edit) in edits {
        let mut doc = signed.clone();
        edit(&mut doc);
        let bytes = serde_json::to_vec(&doc).expect("json");
        let r = verify_credential(
            &bytes,
            crate::fixtures::T0.plus(60),
            &VerifyOptions::default(),
        );
        assert!(
            matches!(r, Err(CredentialError::Proof(ProofError::Rdf(_)))),
            "{what}: {r:?}"
        );
    }
}

/// Thousands of doubles (random bit patterns, integers up to 2^70, ties
/// between two 16-digit decimals, short decimals), as JSON numbers and
/// typed `xsd:double`, give the literals jsonld.js gives. Seeded; the seed
/// is in the failure message.
#[test]
fn random_numbers_match_jsonld_js() {
    use serde_json::json;

    let Some(script) = canonize_js() else { return };
    let seed: u64 = 0x5eed_0fd0_b1e5;
    let mut state = seed;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut texts = Vec::new();
    for i in 0..3000u64 {
        let r = next();
        let x = match i % 4 {
            0 => f64::from_bits(r),
            1 => ((r >> 8) as f64) * 2f64.powi((r % 24) as i32 - 4),
            // m x 2^-k with 5^k x m a 17-digit number ending in 5: a tie.
            2 => ((r % 200_000) | 1) as f64 / 2f64.powi(10 + (r % 15) as i32),
            _ => (r % 100_000) as f64 / 10f64.powi((r % 12) as i32),
        };
        if x.is_finite() {
            texts.push(serde_json::to_string(&x).expect("finite"));
        }
    }
    texts.sort();
    texts.dedup();
    let list = texts.join(", ");
    let doc = format!(
        r#"{{"@context": ["https://www.w3.org/ns/credentials/v2", {}], "id": "urn:x:random", "n": [{list}], "d": [{list}]}}"#,
        json!({
            "n": "https://example.org/ns#n",
            "d": {"@id": "https://example.org/ns#d", "@type": "http://www.w3.org/2001/XMLSchema#double"}
        })
    );
    let tmp = std::env::temp_dir().join(format!(
        "badgemesh-random-numbers-{}.json",
        std::process::id()
    ));
    std::fs::write(&tmp, &doc).expect("temp file");
    let out = Command::new("node")
        .arg(&script)
        .arg(&tmp)
        .output()
        .expect("run node");
    let _ = std::fs::remove_file(&tmp);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let js = String::from_utf8_lossy(&out.stdout).into_owned();
    let Answer::NQuads(ours) = ours(doc.as_bytes(), RdfDirection::I18nDatatype) else {
        panic!("we refused the random numbers (seed {seed:#x})");
    };
    let js_lines: Vec<&str> = js.lines().collect();
    let our_lines: Vec<&str> = ours.lines().collect();
    let missing: Vec<&&str> = js_lines
        .iter()
        .filter(|l| !our_lines.contains(l))
        .take(5)
        .collect();
    let extra: Vec<&&str> = our_lines
        .iter()
        .filter(|l| !js_lines.contains(l))
        .take(5)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty() && js_lines.len() == our_lines.len(),
        "seed {seed:#x}: jsonld.js has {} lines, we {}; only in jsonld.js: {missing:?}; only ours: {extra:?}",
        js_lines.len(),
        our_lines.len()
    );
}

/// Numbers with hundreds of thousands of digits (within the 1 MiB limit)
/// are read once as doubles, as JavaScript reads them: what jsonld.js
/// prints for them, without work beyond the size of the text.
#[test]
fn numbers_with_huge_texts_are_doubles() {
    let doc = format!(
        r#"{{"@context": ["https://www.w3.org/ns/credentials/v2", {{"n": "https://example.org/ns#n"}}], "id": "urn:x:big", "n": [{}, 0.{}1, 1e{}]}}"#,
        "1".repeat(500_000),
        "3".repeat(400_000),
        "9".repeat(1_000)
    );
    // jsonld.js 9.0.0 (canonize.js) on the same document.
    let want = concat!(
        "<urn:x:big> <https://example.org/ns#n> \"3.333333333333333E-1\"^^<http://www.w3.org/2001/XMLSchema#double> .\n",
        "<urn:x:big> <https://example.org/ns#n> \"Infinity\"^^<http://www.w3.org/2001/XMLSchema#double> .\n",
    );
    let started = std::time::Instant::now();
    assert_eq!(
        ours(doc.as_bytes(), RdfDirection::I18nDatatype),
        Answer::NQuads(want.to_owned())
    );
    // Generous even for a debug build on a busy machine; quadratic work on
    // 900 KB of digits would take minutes.
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

/// A known difference, kept visible: jsonld.js removes duplicate values
/// before making RDF (`[1, 1]` is one quad) but keeps two quads when two
/// different values make the same literal (`1e-7` and `0` are both
/// `"0"^^xsd:integer`), and rdf-canonize then prints that line twice. A
/// dataset has no duplicates, so ours prints it once: a credential signed
/// with such a pair by Digital Bazaar's stack does not verify here.
#[test]
fn known_difference_duplicate_literals_from_different_values() {
    let Some(script) = canonize_js() else { return };
    let doc = r#"{"@context": ["https://www.w3.org/ns/credentials/v2", {"n": "https://example.org/ns#n"}], "id": "urn:x:dup", "n": [1e-7, 0, 1, 1]}"#;
    let tmp = std::env::temp_dir().join(format!("badgemesh-dup-{}.json", std::process::id()));
    std::fs::write(&tmp, doc).expect("temp file");
    let out = Command::new("node")
        .arg(&script)
        .arg(&tmp)
        .output()
        .expect("run node");
    let _ = std::fs::remove_file(&tmp);
    let zero = "<urn:x:dup> <https://example.org/ns#n> \"0\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n";
    let one = "<urn:x:dup> <https://example.org/ns#n> \"1\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n";
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{zero}{zero}{one}")
    );
    assert_eq!(
        ours(doc.as_bytes(), RdfDirection::I18nDatatype),
        Answer::NQuads(format!("{zero}{one}"))
    );
}
