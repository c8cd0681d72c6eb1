//! `attacks`: the attacks of issue #13 at once, against a few nodes of a
//! cluster while an honest issuer publishes, measured against the same
//! cluster without them in the same run.
//!
//! The attacks: a forged flood (forged and malformed records every 10 ms), a
//! spam issuer (a free key publishing validly signed 8 KiB badge classes past
//! the byte quota), sync liars (garbage, oversized, unasked records, silence),
//! pending poisoning (records claiming the honest issuer, signed by fresh
//! keys) and a verification load (clients posting to `/v1/verify` without
//! pause). Each phase reports gossip delivery p99 of the honest issuer's
//! records, `/healthz` latency p99 at an attacked node, and the p99 of the
//! event loops' lag (how late their 100 ms ticker fired), summed over nodes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;
use badgemesh_protocol::keys::{IssuerId, SecretKey};
use badgemesh_protocol::record::{BadgeClass, Criteria, Record, SignedRecord};
use badgemesh_protocol::testkit::{Issuer, seed};
use indicatif::ProgressBar;
use rand::rngs::StdRng;

use crate::attacker::{self, Pace};
use crate::cluster::Cluster;
use crate::liar::{self, Lie};
use crate::measure::{Delivery, Row, ms, percentiles, traffic};
use crate::scenarios::{Outcome, Params, award, badge, init_issuer, publish, settle};

const CONVERGE: Duration = Duration::from_secs(60);
/// Badge classes the spam issuer sends: about 5.6 MiB, over the default
/// 4 MiB quota per unfollowed issuer.
const SPAM_RECORDS: usize = 700;
/// Records claiming the honest issuer, each signed by a fresh key.
const POISON_RECORDS: usize = 2_000;
/// Clients posting to `/v1/verify` without pause.
const VERIFY_CLIENTS: usize = 2;
/// The longest the attacks get to be under way before the attacked phase.
const WARM_UP: Duration = Duration::from_secs(30);
/// How often `/healthz` is asked.
const PROBE_EVERY: Duration = Duration::from_millis(20);

/// One of the attacks; the scenario runs those it is given, all by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Attack {
    /// Forged and malformed records every 10 ms.
    Flood,
    /// A spam issuer past its byte quota.
    Spam,
    /// Sync liars: garbage, oversized, unasked records, silence.
    Liars,
    /// Records claiming the honest issuer, signed by fresh keys.
    Poison,
    /// Clients posting to `/v1/verify` without pause.
    Verify,
}

impl Attack {
    /// Every attack.
    pub const ALL: [Attack; 5] = [
        Attack::Flood,
        Attack::Spam,
        Attack::Liars,
        Attack::Poison,
        Attack::Verify,
    ];
}

/// What one phase measured.
struct Phase {
    delivery: Delivery,
    healthz_ms: Vec<f64>,
    lag_p99_ms: f64,
    lag_samples: f64,
}

/// The event loops' lag histogram summed over running nodes: (upper bound in
/// seconds, cumulative count) per bucket.
fn lag_buckets(c: &Cluster) -> Vec<(f64, f64)> {
    let mut sum: Vec<(f64, f64)> = Vec::new();
    for i in c.running() {
        let text = c.nodes[i].node().core().metrics.render();
        let mut k = 0;
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("badgemesh_event_loop_lag_seconds_bucket{le=\"")
            else {
                continue;
            };
            let mut parts = rest.splitn(2, "\"} ");
            let le = parts
                .next()
                .unwrap_or("")
                .parse::<f64>()
                .unwrap_or(f64::INFINITY);
            let n = parts
                .next()
                .and_then(|v| v.trim().parse::<f64>().ok())
                .unwrap_or(0.0);
            if k == sum.len() {
                sum.push((le, 0.0));
            }
            sum[k].1 += n;
            k += 1;
        }
    }
    sum
}

/// p99 (ms, the bucket's upper bound) of the lag observed between two
/// readings, and how many samples that was.
fn lag_p99(before: &[(f64, f64)], after: &[(f64, f64)]) -> (f64, f64) {
    let diff: Vec<(f64, f64)> = after
        .iter()
        .enumerate()
        .map(|(k, (le, n))| (*le, n - before.get(k).map_or(0.0, |b| b.1)))
        .collect();
    let total = diff.last().map_or(0.0, |d| d.1);
    let p99 = diff
        .iter()
        .find(|(_, n)| *n >= 0.99 * total)
        .map_or(0.0, |(le, _)| le * 1000.0);
    (p99, total)
}

/// Asks `/healthz` every [`PROBE_EVERY`] until stopped; the latencies in ms.
fn probe(url: String, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Vec<f64>> {
    std::thread::spawn(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        let mut out = Vec::new();
        while !stop.load(Ordering::Relaxed) {
            let t = Instant::now();
            if agent.get(&url).call().is_ok() {
                out.push(ms(t.elapsed()));
            }
            std::thread::sleep(PROBE_EVERY);
        }
        out
    })
}

/// Publishes `p.records` honest records while `/healthz` of `victim` is
/// probed, and measures the phase.
async fn phase(
    c: &Cluster,
    p: &Params,
    issuer: IssuerId,
    offset: usize,
    victim: usize,
    pb: &ProgressBar,
) -> Result<(Phase, bool)> {
    let stop = Arc::new(AtomicBool::new(false));
    let url = format!("http://{}/healthz", c.nodes[victim].node().api_addr());
    let prober = probe(url, stop.clone());
    let before = lag_buckets(c);
    let ids = publish(c.nodes[0].node(), issuer, p.records, p.rate, offset, pb).await?;
    let everyone = c.running();
    let complete = c.wait_stored(&everyone, &ids, CONVERGE).await;
    let (lag_p99_ms, lag_samples) = lag_p99(&before, &lag_buckets(c));
    stop.store(true, Ordering::Relaxed);
    let healthz_ms = prober.join().unwrap_or_default();
    Ok((
        Phase {
            delivery: Delivery::measure(c, 0, &ids, &everyone),
            healthz_ms,
            lag_p99_ms,
            lag_samples,
        },
        complete,
    ))
}

/// The spam issuer's records: genesis and [`SPAM_RECORDS`] 8 KiB badge classes.
fn spam(now: badgemesh_protocol::time::Timestamp) -> Vec<Vec<u8>> {
    let mut spammer = Issuer::new(13_013, now);
    let mut out: Vec<Vec<u8>> = spammer
        .genesis()
        .iter()
        .map(|r| r.bytes().to_vec())
        .collect();
    for n in 0..SPAM_RECORDS {
        let b = BadgeClass {
            issuer: spammer.inner().id(),
            name: format!("Spam {n}"),
            description: "x".repeat(8_000),
            criteria: Criteria {
                narrative: Some("None.".into()),
                url: None,
            },
            image: None,
            alignments: vec![],
            tags: vec![],
            related: vec![],
            at: now,
        };
        if let Ok(rec) = spammer.inner().badge_class(b, now) {
            out.push(rec.bytes().to_vec());
        }
    }
    out
}

/// Records claiming `issuer`'s badge class `template`, each signed by a fresh key.
fn poison(template: &BadgeClass) -> Vec<Vec<u8>> {
    (0..POISON_RECORDS as u64)
        .filter_map(|n| {
            let key = SecretKey::from_seed(&seed("attack-poison", n)).ok()?;
            let mut claimed = template.clone();
            claimed.name = format!("Forged {n}");
            SignedRecord::sign(Record::BadgeClass(claimed), &key)
                .ok()
                .map(|r| r.bytes().to_vec())
        })
        .collect()
}

/// Clients posting `award` to `/v1/verify` of `base` until stopped; returns
/// the requests answered.
fn verify_load(
    base: String,
    award: Vec<u8>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            if agent
                .post(format!("{base}/v1/verify"))
                .send(&award[..])
                .is_ok()
            {
                n += 1;
            }
        }
        n
    })
}

/// What the attacks left behind, for assertions (the smoke test).
#[derive(Clone, Copy, Debug)]
pub struct Report {
    /// Honest peers graylisted by honest nodes at the end.
    pub honest_graylisted: usize,
    /// Attacker connections with at least one offence counted.
    pub attackers_penalised: usize,
    /// The most bytes of unfollowed issuers' records one node stored (the
    /// honest issuer's records count too: nobody follows it).
    pub unfollowed_max_bytes: u64,
    /// The most bytes one node's pending pool held at the end.
    pub pending_max_bytes: usize,
}

/// Runs the scenario with the attacks in `which`.
pub async fn attacks(
    p: &Params,
    which: &[Attack],
    rng: &mut StdRng,
    pb: &ProgressBar,
) -> Result<Outcome> {
    Ok(attacks_with_report(p, which, rng, pb).await?.0)
}

/// Runs the scenario with the attacks in `which`; also returns the [`Report`].
pub async fn attacks_with_report(
    p: &Params,
    which: &[Attack],
    rng: &mut StdRng,
    pb: &ProgressBar,
) -> Result<(Outcome, Report)> {
    let victims: Vec<usize> = (1..=(p.nodes / 5).max(1)).collect();
    let victim = victims[0];
    pb.set_length((p.nodes + 2 * p.records) as u64);
    let mut c = Cluster::new(p.base.join("attacks"), p.settings.clone());
    c.grow(p.nodes, p.degree, rng, || pb.inc(1)).await?;
    c.wait_connected(CONVERGE).await?;
    settle(p, &[&c]).await?;
    let origin = c.nodes[0].node();
    let issuer = init_issuer(origin, "Attacked Academy").await?;
    let badge_id = badge(origin, 0).await?;
    let award_bytes = award(origin, badge_id).await?;

    let (baseline, base_complete) = phase(&c, p, issuer, 0, victim, pb).await?;

    // The attacks, all at once, against the victims.
    let targets: Vec<_> = victims.iter().flat_map(|&v| c.addrs(v)).collect();
    let now = badgemesh_node::core::now();
    let template = c.nodes[0]
        .node()
        .core()
        .ledger
        .read(|r| r.badge_class(&badge_id).map(|(b, _)| b.clone()));
    let mut forged = award_bytes.clone();
    if let Some(last) = forged.last_mut() {
        *last ^= 1;
    }
    let mut tasks = Vec::new();
    let mut attackers = Vec::new();
    let mut floods = Vec::new();
    if which.contains(&Attack::Flood) {
        let garbage = b"\xd2\x84not an envelope".to_vec();
        floods.push((
            vec![forged, garbage],
            Pace::Flood(Duration::from_millis(10)),
        ));
    }
    if which.contains(&Attack::Spam) {
        floods.push((spam(now), Pace::Each(Duration::from_millis(10))));
    }
    if which.contains(&Attack::Poison) {
        let claims = template.as_ref().map(poison).unwrap_or_default();
        floods.push((claims, Pace::Each(Duration::from_millis(1))));
    }
    for (messages, pace) in floods {
        let (peer, task) = attacker::spawn(targets.clone(), messages, pace)?;
        attackers.push(peer.to_string());
        tasks.push(task);
    }
    let mut liars = Vec::new();
    if which.contains(&Attack::Liars) {
        for lie in [Lie::Garbage, Lie::Oversized, Lie::Unasked, Lie::Silent] {
            let (peer, seen, task) = liar::spawn(targets.clone(), lie, now)?;
            attackers.push(peer.to_string());
            liars.push(seen);
            tasks.push(task);
        }
    }
    let stop_verify = Arc::new(AtomicBool::new(false));
    let base = format!("http://{}", c.nodes[victim].node().api_addr());
    let clients = if which.contains(&Attack::Verify) {
        VERIFY_CLIENTS
    } else {
        0
    };
    let verifiers: Vec<_> = (0..clients)
        .map(|_| verify_load(base.clone(), award_bytes.clone(), stop_verify.clone()))
        .collect();
    // Publish once every attack is under way: every liar has been asked and
    // the spam has filled its quota at the victim (or [`WARM_UP`] passed: a
    // saturated gossip queue drops messages).
    let ledger = c.nodes[victim].node().core().ledger.clone();
    let start = Instant::now();
    let full = badgemesh_protocol::state::Policy::DEFAULT_MAX_BYTES_PER_ISSUER - 64 * 1024;
    let spam_sent =
        || !which.contains(&Attack::Spam) || ledger.read(|r| r.unfollowed_bytes()) >= full;
    while start.elapsed() < WARM_UP
        && (!spam_sent() || liars.iter().any(|s| s.load(Ordering::Relaxed) == 0))
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let underway = start.elapsed();
    let (attacked, attack_complete) = phase(&c, p, issuer, p.records, victim, pb).await?;
    stop_verify.store(true, Ordering::Relaxed);
    let verified: u64 = verifiers.into_iter().map(|t| t.join().unwrap_or(0)).sum();

    // Who is graylisted where, and what the attack left behind.
    let honest: Vec<String> = c
        .running()
        .iter()
        .map(|&i| c.nodes[i].node().core().client.peer_id().to_string())
        .collect();
    let (mut honest_graylisted, mut attackers_penalised, mut attacker_links) = (0, 0, 0);
    for i in c.running() {
        for info in c.nodes[i]
            .node()
            .core()
            .client
            .peers()
            .await
            .unwrap_or_default()
        {
            if honest.contains(&info.peer_id) && info.graylisted {
                honest_graylisted += 1;
            }
            if attackers.contains(&info.peer_id) {
                attacker_links += 1;
                let offences =
                    info.invalid_records + info.unwanted_records + info.bad_sync_responses;
                if offences > 0 {
                    attackers_penalised += 1;
                }
            }
        }
    }
    let largest = |f: &dyn Fn(&badgemesh_protocol::state::Registry) -> u64| {
        c.running()
            .iter()
            .map(|&i| c.nodes[i].node().core().ledger.read(f))
            .max()
            .unwrap_or(0)
    };
    let report = Report {
        honest_graylisted,
        attackers_penalised,
        unfollowed_max_bytes: largest(&|r| r.unfollowed_bytes()),
        pending_max_bytes: largest(&|r| r.pending_bytes() as u64) as usize,
    };
    let mib = |b: f64| b / (1024.0 * 1024.0);
    let unfollowed_mib = mib(report.unfollowed_max_bytes as f64);
    let pending_max = mib(report.pending_max_bytes as f64);
    for t in tasks {
        t.abort();
    }

    let p99 = |v: &[f64]| percentiles(v).p99;
    let ratio = |a: f64, b: f64| a / b.max(0.001);
    let (d0, d1) = (
        p99(&baseline.delivery.latencies_ms),
        p99(&attacked.delivery.latencies_ms),
    );
    let (h0, h1) = (p99(&baseline.healthz_ms), p99(&attacked.healthz_ms));
    let (l0, l1) = (baseline.lag_p99_ms, attacked.lag_p99_ms);
    let rows = vec![
        Row::new(
            "attacks",
            "baseline",
            p.nodes,
            p.records,
            &baseline.delivery,
            traffic(&c),
            h0,
        ),
        Row::new(
            "attacks",
            "attack",
            p.nodes,
            p.records,
            &attacked.delivery,
            traffic(&c),
            h1,
        ),
    ];
    let notes = vec![
        format!(
            "attacks {which:?} against nodes {victims:?} of {}; the attacked phase began {:.1} s after they started",
            p.nodes,
            underway.as_secs_f64()
        ),
        format!(
            "gossip delivery of the honest issuer's records: {:.4} without attack, {:.4} under attack (all stored everywhere: {base_complete}, {attack_complete})",
            baseline.delivery.ratio(),
            attacked.delivery.ratio()
        ),
        format!(
            "gossip delivery p99: {d0:.1} ms without attack, {d1:.1} ms under attack (ratio {:.2})",
            ratio(d1, d0)
        ),
        format!(
            "/healthz p99 at node {victim}: {h0:.2} ms without attack, {h1:.2} ms under attack (ratio {:.2}; {} and {} requests)",
            ratio(h1, h0),
            baseline.healthz_ms.len(),
            attacked.healthz_ms.len()
        ),
        format!(
            "event loop lag p99 (upper bound of its histogram bucket, all nodes): {l0:.2} ms without attack, {l1:.2} ms under attack (ratio {:.2}; {:.0} and {:.0} ticks)",
            ratio(l1, l0),
            baseline.lag_samples,
            attacked.lag_samples
        ),
        format!(
            "honest peers graylisted by honest nodes: {honest_graylisted}; attacker connections penalised: {attackers_penalised} of {attacker_links}"
        ),
        format!(
            "largest store of unfollowed issuers' records on a node: {unfollowed_mib:.2} MiB (spam sent: {SPAM_RECORDS} records of 8 KiB; quota 4 MiB per issuer); largest pending pool {pending_max:.2} MiB; peak RSS of the whole process {:.0} MiB",
            crate::measure::resources().peak_rss_mib
        ),
        format!(
            "verifications answered under attack: {verified} ({VERIFY_CLIENTS} clients without pause); `extra` = /healthz p99 ms"
        ),
    ];
    let series = vec![
        ("baseline".to_string(), baseline.delivery.latencies_ms),
        ("under attack".to_string(), attacked.delivery.latencies_ms),
    ];
    c.shutdown().await;
    Ok((
        Outcome {
            tables: Vec::new(),
            rows,
            notes,
            series,
        },
        report,
    ))
}
