//! Store apply throughput: records applied by the state machine and committed
//! to redb, one transaction per batch, in memory and on disk (with the disk
//! sync every acknowledged write needs).
//!
//! And start-up: a store of 20,000 revocation updates reopened, next to
//! decoding its records one by one (the start-up of before) and in batches
//! on one thread, in the same run.
//!
//! Run: `cargo bench -p badgemesh-node --bench store`.

use badgemesh_node::ledger::Ledger;
use badgemesh_protocol::record::SignedRecord;
use badgemesh_protocol::testkit::Issuer;
use badgemesh_protocol::time::Timestamp;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

const T0: Timestamp = Timestamp(1_800_000_000);

fn records(n: u32) -> Vec<SignedRecord> {
    let mut issuer = Issuer::new(1, T0);
    let mut out = issuer.genesis();
    for i in 0..n {
        out.push(issuer.revoke(&[i]));
    }
    out
}

fn benches(c: &mut Criterion) {
    let recs = records(256);
    let mut g = c.benchmark_group("store_apply");
    g.throughput(Throughput::Elements(recs.len() as u64));
    g.sample_size(10);
    g.bench_function("in_memory_one_batch", |b| {
        b.iter_batched(
            || {
                (
                    Ledger::in_memory(T0, Default::default()).expect("ledger"),
                    recs.clone(),
                )
            },
            |(ledger, recs)| ledger.ingest_batch(recs, T0).expect("ingest"),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("on_disk_one_batch", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("tempdir");
                let ledger = Ledger::open(&dir.path().join("store.redb"), T0).expect("ledger");
                (dir, ledger, recs.clone())
            },
            |(_dir, ledger, recs)| ledger.ingest_batch(recs, T0).expect("ingest"),
            BatchSize::PerIteration,
        )
    });
    g.bench_function("on_disk_one_transaction_per_record", |b| {
        b.iter_batched(
            || {
                let dir = tempfile::tempdir().expect("tempdir");
                let ledger = Ledger::open(&dir.path().join("store.redb"), T0).expect("ledger");
                (dir, ledger, recs.clone())
            },
            |(_dir, ledger, recs)| {
                for r in recs {
                    ledger.ingest(r, T0).expect("ingest");
                }
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn startup(c: &mut Criterion) {
    use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
    let recs = records(20_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store.redb");
    {
        let ledger = Ledger::open(&path, T0).expect("ledger");
        ledger.ingest_batch(recs.clone(), T0).expect("ingest");
    }
    let bytes: Vec<Vec<u8>> = recs.iter().map(|r| r.bytes().to_vec()).collect();
    let refs: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
    let mut g = c.benchmark_group("startup_20000_records");
    g.throughput(Throughput::Elements(recs.len() as u64));
    g.sample_size(10);
    g.bench_function("decode_each", |b| {
        b.iter(|| {
            refs.iter()
                .map(|r| SignedRecord::decode(r, MAX_ENVELOPE_BYTES).is_ok())
                .filter(|ok| *ok)
                .count()
        })
    });
    g.bench_function("decode_many_one_thread", |b| {
        b.iter(|| {
            SignedRecord::decode_many(&refs, MAX_ENVELOPE_BYTES)
                .iter()
                .filter(|r| r.is_ok())
                .count()
        })
    });
    g.bench_function("ledger_open", |b| {
        b.iter(|| Ledger::open(&path, T0).expect("reopen"))
    });
    g.finish();
}

criterion_group!(group, benches, startup);
criterion_main!(group);
