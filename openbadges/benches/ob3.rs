//! OB 3.0 verification throughput next to native badgemesh verification, in
//! the same run: `verify_credential` on an exported credential (JSON-LD to
//! RDF, RDFC-1.0, SHA-256, Ed25519) against `badgemesh_protocol::verify::verify`
//! on a native assertion envelope (COSE, registry lookups, Ed25519).
//!
//! Run: `cargo bench -p badgemesh-openbadges --bench ob3`. Besides
//! criterion's report, the end prints both rates and their ratio.
//!
//! Before shape memoisation (2-core machine, release): OB3 verify 2.86 ms
//! (~350/s), about Digital Bazaar's speed. With it (2026-11-28, quiet
//! machine): exported credential 8,094/s against Digital Bazaar's 299/s on
//! the same bytes (27.1x); minimal credential 13,087/s against 394/s (33.2x);
//! native verify 27,665/s in the same run.

use std::hint::black_box;
use std::time::{Duration, Instant};

use badgemesh_openbadges::canon::canonicalize;
use badgemesh_openbadges::contexts::ContextSet;
use badgemesh_openbadges::credential::{Outcome, VerifyOptions, verify_credential};
use badgemesh_openbadges::export::{ExportInput, export_credential_json};
use badgemesh_openbadges::proof::{hash_data, hash_data_full, proof_options, sign};
use badgemesh_openbadges::rdf::{to_rdf, to_rdf_full};
use badgemesh_protocol::record::{Record, SignedRecord};
use badgemesh_protocol::state::Registry;
use badgemesh_protocol::testkit::Issuer;
use badgemesh_protocol::time::Timestamp;
use badgemesh_protocol::verify::{VerdictOutcome, VerifyOptions as NativeOptions, verify};
use criterion::{Criterion, criterion_group};
use serde_json::{Map, Value, json};

const T0: Timestamp = Timestamp(1_800_000_000);

struct Fixture {
    registry: Registry,
    award: SignedRecord,
    /// As badgemesh exports it: hashed email, status entry, tags.
    credential: Vec<u8>,
    /// The least an OB 3.0 credential holds (subject DID, no status), as in
    /// the published JavaScript figure.
    minimal: Vec<u8>,
}

fn fixture() -> Fixture {
    let mut registry = Registry::new();
    let mut issuer = Issuer::new(1, T0);
    let genesis = issuer.genesis();
    let profile = genesis
        .iter()
        .find_map(|r| match r.record() {
            Record::IssuerProfile(p) => Some(p.clone()),
            _ => None,
        })
        .expect("profile");
    for r in genesis {
        registry.apply(r, T0);
    }
    let (badge, badge_id) = issuer.badge_class("Teamwork");
    registry.apply(badge.clone(), T0);
    let award = issuer.award(&badge, "ada@example.org");
    registry.apply(issuer.head(), T0);
    let (Record::BadgeClass(b), Record::Assertion(a)) = (badge.record(), award.record()) else {
        panic!("records");
    };
    let key = issuer.inner().current_key().clone();
    let credential = export_credential_json(
        &ExportInput {
            assertion: a,
            assertion_id: award.id(),
            badge: b,
            badge_id,
            profile: &profile,
            status_base_url: Some("https://node.example"),
        },
        &key,
    )
    .expect("export");
    let mut doc: Map<String, Value> = serde_json::from_slice(&credential).expect("json");
    doc.shift_remove("credentialStatus");
    doc.shift_remove("name");
    let mut achievement = doc["credentialSubject"]["achievement"].clone();
    if let Some(a) = achievement.as_object_mut() {
        a.shift_remove("tag");
    }
    doc["credentialSubject"] = json!({
        "id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
        "type": ["AchievementSubject"],
        "achievement": achievement,
    });
    let vm = profile.issuer.verification_method();
    let created = doc["validFrom"].as_str().expect("validFrom").to_owned();
    sign(
        &mut doc,
        proof_options(&vm, &created),
        &key,
        &ContextSet::pinned(),
    )
    .expect("sign");
    let minimal = serde_json::to_vec_pretty(&doc).expect("json");
    Fixture {
        registry,
        award,
        credential,
        minimal,
    }
}

fn rate(mut f: impl FnMut(), window: Duration) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < window {
        f();
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn benches(c: &mut Criterion) {
    let fx = fixture();
    let ob3 = || {
        let v = verify_credential(black_box(&fx.credential), T0, &VerifyOptions::default())
            .expect("runs");
        assert_eq!(v.outcome, Outcome::Valid);
    };
    let native = || {
        let v = verify(
            black_box(fx.award.bytes()),
            &fx.registry,
            T0,
            &NativeOptions::default(),
        )
        .expect("runs");
        assert_eq!(v.outcome, VerdictOutcome::Valid);
    };
    let mut pre: serde_json::Value = serde_json::from_slice(&fx.credential).expect("json");
    badgemesh_openbadges::json::prepass(&mut pre).expect("prepass");
    let pre = pre.as_object().expect("object").clone();
    let proof = pre["proof"].as_object().expect("proof").clone();
    let contexts = ContextSet::pinned();
    c.bench_function("ob3_verify_credential", |b| b.iter(ob3));
    c.bench_function("ob3_hash_data_template", |b| {
        b.iter(|| hash_data(black_box(&pre), &proof, &contexts).expect("hash"))
    });
    c.bench_function("ob3_hash_data_full_jsonld", |b| {
        b.iter(|| hash_data_full(black_box(&pre), &proof, &contexts).expect("hash"))
    });
    let mut unsecured = pre.clone();
    unsecured.shift_remove("proof");
    let quads = to_rdf(&unsecured, &contexts).expect("rdf");
    c.bench_function("ob3_stage_parse_prepass", |b| {
        b.iter(|| {
            let mut v: serde_json::Value =
                serde_json::from_slice(black_box(&fx.credential)).expect("json");
            badgemesh_openbadges::json::prepass(&mut v).expect("prepass");
            v
        })
    });
    c.bench_function("ob3_stage_to_rdf_memoised", |b| {
        b.iter(|| to_rdf(black_box(&unsecured), &contexts).expect("rdf"))
    });
    c.bench_function("ob3_stage_to_rdf_full", |b| {
        b.iter(|| to_rdf_full(black_box(&unsecured), &contexts).expect("rdf"))
    });
    c.bench_function("ob3_stage_canonicalize_document", |b| {
        b.iter(|| canonicalize(black_box(&quads)).expect("canon"))
    });
    c.bench_function("native_verify", |b| b.iter(native));
    let window = Duration::from_secs(3);
    let r_ob3 = rate(ob3, window);
    let r_native = rate(native, window);
    let r_template = rate(
        || {
            hash_data(&pre, &proof, &contexts).expect("hash");
        },
        window,
    );
    let r_full = rate(
        || {
            hash_data_full(&pre, &proof, &contexts).expect("hash");
        },
        window,
    );
    println!(
        "OB3 verify: {r_ob3:.0}/s; native verify: {r_native:.0}/s; OB3/native = {:.4}",
        r_ob3 / r_native
    );
    println!(
        "hashData with proof template: {r_template:.0}/s; full JSON-LD for both: {r_full:.0}/s; speed-up {:.2}x",
        r_template / r_full
    );
    let r_minimal = rate(
        || {
            let v = verify_credential(black_box(&fx.minimal), T0, &VerifyOptions::default())
                .expect("runs");
            assert_eq!(v.outcome, Outcome::Valid);
        },
        window,
    );
    for (what, ours, bytes) in [
        ("exported", r_ob3, &fx.credential),
        ("minimal", r_minimal, &fx.minimal),
    ] {
        match digital_bazaar_rate(bytes) {
            Ok(r_db) => println!(
                "{what} credential: badgemesh {ours:.0}/s, Digital Bazaar (node, one thread) {r_db:.0}/s; ratio {:.1}x",
                ours / r_db
            ),
            Err(why) => println!("Digital Bazaar baseline not measured: {why}"),
        }
    }
}

/// Digital Bazaar's verifier on the same credential, one thread
/// (`openbadges/interop/bench.js`), when node and its packages are installed
/// (`npm ci` in `openbadges/interop`, which `.ci/run` does).
fn digital_bazaar_rate(credential: &[u8]) -> Result<f64, String> {
    let interop = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("interop");
    if !interop.join("node_modules").is_dir() {
        return Err("run `npm ci` in openbadges/interop first".into());
    }
    let file =
        std::env::temp_dir().join(format!("badgemesh-ob3-bench-{}.json", std::process::id()));
    std::fs::write(&file, credential).map_err(|e| e.to_string())?;
    let out = std::process::Command::new("node")
        .arg(interop.join("bench.js"))
        .arg(&file)
        .arg("3")
        .output();
    let _ = std::fs::remove_file(&file);
    let out = out.map_err(|e| format!("node: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|e| format!("bench.js output: {e}"))
}

criterion_group!(group, benches);

fn main() {
    group();
    Criterion::default().configure_from_args().final_summary();
}
