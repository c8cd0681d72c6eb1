//! Verification throughput: full assertion verification against a populated
//! registry, next to raw `ed25519_dalek::VerifyingKey::verify_strict` over the
//! same signed bytes, in the same run. Also status lookups and record decoding.
//!
//! Run: `cargo bench -p badgemesh-protocol --bench verify`. Besides criterion's
//! report, the end prints both rates and their ratio (goal: at least 0.8).

use std::hint::black_box;
use std::time::{Duration, Instant};

use badgemesh_protocol::envelope::Envelope;
use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
use badgemesh_protocol::record::SignedRecord;
use badgemesh_protocol::state::Registry;
use badgemesh_protocol::testkit::Issuer;
use badgemesh_protocol::time::Timestamp;
use badgemesh_protocol::verify::{VerdictOutcome, VerifyOptions, verify, verify_many};
use criterion::{Criterion, criterion_group};
use ed25519_dalek::{Signature, VerifyingKey};

const T0: Timestamp = Timestamp(1_800_000_000);

struct Fixture {
    registry: Registry,
    award: SignedRecord,
    key: VerifyingKey,
    message: Vec<u8>,
    signature: Signature,
}

/// 100 issuers, 10 badge classes each, 50 revocation updates of 20 indices each.
fn fixture() -> Fixture {
    let mut registry = Registry::new();
    let mut target = None;
    for n in 0..100u64 {
        let mut issuer = Issuer::new(n, T0);
        for r in issuer.genesis() {
            registry.apply(r, T0);
        }
        let mut badges = Vec::new();
        for b in 0..10 {
            let (badge, _) = issuer.badge_class(&format!("Badge {b}"));
            registry.apply(badge.clone(), T0);
            badges.push(badge);
        }
        for u in 0..50u32 {
            let indices: Vec<u32> = (0..20).map(|k| 1000 + u * 20 + k).collect();
            registry.apply(issuer.revoke(&indices), T0);
        }
        registry.apply(issuer.head(), T0);
        if n == 42 {
            target = Some(issuer.award(&badges[3], "ada@example.org"));
        }
    }
    let award = target.expect("issuer 42 exists");
    let env = Envelope::decode(award.bytes(), MAX_ENVELOPE_BYTES).expect("decodes");
    let key = VerifyingKey::from_bytes(award.signer()).expect("a checked key");
    let message = env.signed_message();
    let signature = Signature::from_bytes(env.signature);
    Fixture {
        registry,
        award,
        key,
        message,
        signature,
    }
}

fn benches(c: &mut Criterion) {
    let f = fixture();
    let opts = VerifyOptions::default();
    let v = verify(f.award.bytes(), &f.registry, T0, &opts).expect("assertion");
    assert_eq!(v.outcome, VerdictOutcome::Valid);

    let mut g = c.benchmark_group("verification");
    g.bench_function("raw_verify_strict", |b| {
        b.iter(|| black_box(&f.key).verify_strict(black_box(&f.message), black_box(&f.signature)))
    });
    g.bench_function("full_assertion_verify", |b| {
        b.iter(|| verify(black_box(f.award.bytes()), &f.registry, T0, &opts))
    });
    g.finish();

    // Bulk audit: 256 assertions per call, batch signature verification.
    let mut issuer42 = Issuer::new(42, T0);
    let (badge, _) = issuer42.badge_class("Badge 3");
    let many: Vec<Vec<u8>> = (0..256)
        .map(|n| {
            issuer42
                .award(&badge, &format!("p{n}@example.org"))
                .bytes()
                .to_vec()
        })
        .collect();
    let refs: Vec<&[u8]> = many.iter().map(Vec::as_slice).collect();
    let mut g = c.benchmark_group("bulk_256");
    g.throughput(criterion::Throughput::Elements(256));
    g.bench_function("verify_one_by_one", |b| {
        b.iter(|| {
            refs.iter()
                .map(|r| verify(r, &f.registry, T0, &opts))
                .collect::<Vec<_>>()
        })
    });
    g.bench_function("verify_many_batched", |b| {
        b.iter(|| verify_many(black_box(&refs), &f.registry, T0, &opts))
    });
    g.finish();

    let issuer = f
        .registry
        .issuer(&f.award.record().issuer())
        .expect("known");
    c.bench_function("status_lookup", |b| {
        b.iter(|| issuer.revoked(black_box(1500)))
    });
    let record = f.award.record().clone();
    c.bench_function("record_encode", |b| {
        b.iter(|| black_box(&record).to_payload())
    });
    c.bench_function("record_decode_and_check", |b| {
        b.iter(|| SignedRecord::decode(black_box(f.award.bytes()), MAX_ENVELOPE_BYTES))
    });
}

/// Rate of `op` per second on this thread over about `secs` seconds.
fn rate(secs: f64, mut op: impl FnMut()) -> f64 {
    let deadline = Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < deadline {
        for _ in 0..100 {
            op();
        }
        n += 100;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn ratio_summary() {
    let f = fixture();
    let opts = VerifyOptions::default();
    // Interleave to share the machine's state fairly between the two.
    let (mut raw, mut full) = (0.0, 0.0);
    for _ in 0..3 {
        raw += rate(1.0, || {
            let _ = black_box(
                f.key
                    .verify_strict(black_box(&f.message), black_box(&f.signature)),
            );
        });
        full += rate(1.0, || {
            let _ = black_box(verify(black_box(f.award.bytes()), &f.registry, T0, &opts));
        });
    }
    println!(
        "\nsummary: raw verify_strict {:.0}/s, full assertion verify {:.0}/s, ratio {:.3}",
        raw / 3.0,
        full / 3.0,
        full / raw
    );
}

criterion_group!(group, benches);

fn main() {
    group();
    Criterion::default().configure_from_args().final_summary();
    if std::env::args().any(|a| a == "--bench") {
        ratio_summary();
    }
}
