//! `badgemesh demo`: three nodes in one process on loopback, walking through
//! issue, award, verify elsewhere, revoke, verify again, with timings.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use badgemesh_node::config::Config;
use badgemesh_node::core::now;
use badgemesh_node::node::Node;
use badgemesh_protocol::keys::IssuerId;
use badgemesh_protocol::record::{
    BadgeClass, Criteria, EMAIL_IDENTITY_TYPE, IdentityHash, IssuerProfile, Recipient,
};
use badgemesh_protocol::time::Timestamp;
use badgemesh_protocol::verify::{VerdictOutcome, VerifyOptions, verify};

use crate::fail::OK;

fn step(n: usize, what: &str, took: Duration) {
    println!("{n}. {what:<58} {:>9.1} ms", took.as_secs_f64() * 1000.0);
}

async fn wait<F: Fn() -> bool>(what: &str, cond: F) -> Result<Duration> {
    let start = Instant::now();
    while !cond() {
        if start.elapsed() > Duration::from_secs(30) {
            return Err(anyhow!("gave up waiting for {what}"));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(start.elapsed())
}

async fn start(dir: &std::path::Path, bootstrap: Vec<String>) -> Result<Node> {
    let mut c = Config::loopback(dir.to_owned());
    c.bootstrap = bootstrap;
    Node::start(c).await.context("starting a demo node")
}

/// Runs the demo.
pub fn run() -> Result<i32> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(demo())
}

async fn demo() -> Result<i32> {
    let tmp = std::env::temp_dir().join(format!("badgemesh-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    println!(
        "Three nodes on 127.0.0.1: an issuer's, a relay, and a verifier's (issuer - relay - verifier).\n"
    );
    let t = Instant::now();
    let issuer_node = start(&tmp.join("issuer"), vec![]).await?;
    let boot = |n: &Node| {
        n.p2p_addrs()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    };
    let relay = start(&tmp.join("relay"), boot(&issuer_node)).await?;
    let verifier = start(&tmp.join("verifier"), boot(&relay)).await?;
    step(1, "started 3 nodes", t.elapsed());

    let core = issuer_node.core().clone();
    let t = Instant::now();
    let profile = IssuerProfile {
        issuer: IssuerId::unset(),
        seq: 0,
        name: "Demo Academy".into(),
        url: Some("https://academy.example".into()),
        email: None,
        description: None,
        image: None,
        at: Timestamp(0),
        public_base_url: None,
    };
    let did = issuer_node.issuer().init(&core, profile).await?;
    step(
        2,
        &format!("issuer created: {}...", &did.to_did()[..24]),
        t.elapsed(),
    );

    let t = Instant::now();
    let badge = BadgeClass {
        issuer: IssuerId::unset(),
        name: "Teamwork".into(),
        description: "Collaborates well within a group.".into(),
        criteria: Criteria {
            narrative: Some("Nominated by peers.".into()),
            url: None,
        },
        image: None,
        alignments: vec![],
        tags: vec!["demo".into()],
        related: vec![],
        at: Timestamp(0),
    };
    let badge_id = issuer_node.issuer().badge(&core, badge).await?;
    step(3, "badge class 'Teamwork' published", t.elapsed());
    let took = wait("badge class at the verifier", || {
        verifier
            .core()
            .ledger
            .read(|r| r.badge_class(&badge_id).is_some())
    })
    .await?;
    step(
        4,
        "badge class reached the verifier (2 hops, gossip + sync)",
        took,
    );

    let t = Instant::now();
    let recipient = Recipient::Hashed(IdentityHash::new(
        EMAIL_IDENTITY_TYPE,
        "ada@example.org",
        "demo-salt",
    ));
    let award = issuer_node
        .issuer()
        .award(&core, badge_id, recipient, None, vec![], None)
        .await?;
    step(
        5,
        "awarded to ada@example.org (the file goes to Ada)",
        t.elapsed(),
    );

    let opts = VerifyOptions {
        recipient: Some("ada@example.org"),
        max_age_secs: None,
    };
    let t = Instant::now();
    let verdict = verifier
        .core()
        .ledger
        .read(|r| verify(award.bytes(), r, now(), &opts))?;
    step(
        6,
        &format!("verified at the verifier: {}", verdict.outcome.name()),
        t.elapsed(),
    );

    let t = Instant::now();
    let index = match award.record() {
        badgemesh_protocol::record::Record::Assertion(a) => a.status_index,
        _ => 0,
    };
    issuer_node
        .issuer()
        .revoke(&core, vec![index], Some("demo".into()))
        .await?;
    let acked = t.elapsed();
    step(7, "revoked at the issuer's node", acked);
    let took = wait("revocation at the verifier", || {
        verifier
            .core()
            .ledger
            .read(|r| r.issuer(&did).and_then(|s| s.revoked(index)).is_some())
    })
    .await?;
    step(8, "revocation reached the verifier", took);
    let verdict = verifier
        .core()
        .ledger
        .read(|r| verify(award.bytes(), r, now(), &opts))?;
    step(
        9,
        &format!("verified again at the verifier: {}", verdict.outcome.name()),
        Duration::ZERO,
    );
    let ok = verdict.outcome == VerdictOutcome::Revoked;

    for n in [verifier, relay, issuer_node] {
        n.shutdown().await;
    }
    let _ = std::fs::remove_dir_all(&tmp);
    println!(
        "\nThe verifier never asked the issuer: it checked its own copy of the issuer's signed records."
    );
    Ok(if ok { OK } else { crate::fail::NOT_VALID })
}
