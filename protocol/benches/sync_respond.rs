//! What answering sync costs a node that knows many issuers: one `Summaries`
//! page, one `Ids` page and one `Get` of 128 ids, against a registry of
//! 5,000 issuers (one of them with 2,000 revocation updates). Also what a
//! writer pays to publish a new state: clone the registry and apply one
//! record (the ledger's snapshot per commit).
//!
//! Run: `cargo bench -p badgemesh-protocol --bench sync_respond` (it also
//! prints how much memory the fixture's registry takes).

use std::hint::black_box;

use badgemesh_protocol::envelope::RecordKind;
use badgemesh_protocol::state::Registry;
use badgemesh_protocol::sync::{KindCode, SyncRequest, respond};
use badgemesh_protocol::testkit::Issuer;
use badgemesh_protocol::time::Timestamp;
use criterion::{Criterion, criterion_group, criterion_main};

const T0: Timestamp = Timestamp(1_800_000_000);
const ISSUERS: u64 = 5_000;
const BIG_UPDATES: u32 = 2_000;

struct Fixture {
    registry: Registry,
    big: Issuer,
}

fn fixture() -> Fixture {
    let mut registry = Registry::new();
    for n in 1..ISSUERS {
        let mut issuer = Issuer::new(n, T0);
        for r in issuer.genesis() {
            registry.apply(r, T0);
        }
        let (badge, _) = issuer.badge_class("Badge");
        registry.apply(badge, T0);
        for u in 0..3u32 {
            registry.apply(issuer.revoke(&[u]), T0);
        }
    }
    let mut big = Issuer::new(ISSUERS, T0);
    for r in big.genesis() {
        registry.apply(r, T0);
    }
    for u in 0..BIG_UPDATES {
        registry.apply(big.revoke(&[u]), T0);
    }
    Fixture { registry, big }
}

/// Resident memory of this process in bytes (Linux), to report what the
/// registry of the fixture holds.
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

fn bench(c: &mut Criterion) {
    let before = rss();
    let mut f = fixture();
    eprintln!(
        "registry of {ISSUERS} issuers: about {} MiB resident",
        rss().saturating_sub(before) >> 20
    );
    let issuer = f.big.inner().id();
    let reg = &f.registry;
    let kind = KindCode::of(RecordKind::RevocationUpdate);
    let all_ids = match respond(
        reg,
        &SyncRequest::Ids {
            issuer,
            kind,
            from_seq: 0,
            offset: 0,
        },
    ) {
        badgemesh_protocol::sync::SyncResponse::Ids { ids, .. } => ids,
        _ => Vec::new(),
    };
    let get = SyncRequest::Get {
        issuer,
        kind,
        ids: all_ids.iter().take(128).copied().collect(),
    };
    let mut g = c.benchmark_group("sync_respond");
    g.bench_function("summaries_first_page", |b| {
        b.iter(|| black_box(respond(reg, &SyncRequest::Summaries { after: None })))
    });
    g.bench_function("ids_page_of_2000_updates", |b| {
        b.iter(|| {
            black_box(respond(
                reg,
                &SyncRequest::Ids {
                    issuer,
                    kind,
                    from_seq: 0,
                    offset: 1024,
                },
            ))
        })
    });
    g.bench_function("get_128_updates", |b| {
        b.iter(|| black_box(respond(reg, &get)))
    });
    let next = f.big.revoke(&[BIG_UPDATES + 1]);
    g.bench_function("publish_clone_and_apply_one", |b| {
        b.iter(|| {
            let mut copy = reg.clone();
            black_box(copy.apply(next.clone(), T0));
            copy
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
