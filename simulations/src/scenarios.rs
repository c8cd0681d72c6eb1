//! The scenarios. Each builds a cluster, drives it, and returns result rows
//! and notes for the summary.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use badgemesh_node::node::Node;
use badgemesh_protocol::id::RecordId;
use badgemesh_protocol::keys::IssuerId;
use badgemesh_protocol::record::{BadgeClass, Criteria, IssuerProfile};
use badgemesh_protocol::time::Timestamp;
use indicatif::ProgressBar;
use rand::Rng;
use rand::rngs::StdRng;

use crate::cluster::{Cluster, NodeSettings};
use crate::measure::{Delivery, Row, Traffic, ms, traffic};

/// Parameters common to the scenarios.
#[derive(Clone, Debug)]
pub struct Params {
    /// Nodes.
    pub nodes: usize,
    /// Average degree of the random topology.
    pub degree: usize,
    /// Records to publish.
    pub records: usize,
    /// Records per second.
    pub rate: f64,
    /// Node settings.
    pub settings: NodeSettings,
    /// Where node files go.
    pub base: std::path::PathBuf,
}

/// What a scenario returns.
pub struct Outcome {
    /// CSV rows.
    pub rows: Vec<Row>,
    /// Lines for the summary.
    pub notes: Vec<String>,
    /// Latency series for the plot.
    pub series: Vec<(String, Vec<f64>)>,
    /// Further CSV files: name and contents.
    pub tables: Vec<(String, Vec<u8>)>,
}

const CONVERGE: Duration = Duration::from_secs(60);
/// How often the forged-flood scenario samples attacker scores.
const SAMPLE_EVERY: Duration = Duration::from_millis(100);

/// One attacker connection in the forged-flood scenario (`graylist.csv`).
#[derive(Clone, Debug, serde::Serialize)]
pub struct GraylistRow {
    /// The attacker's peer id.
    pub attacker: String,
    /// The honest node it was connected to.
    pub node: usize,
    /// Invalid records from it that the node validated and rejected.
    pub invalid_records: u64,
    /// From its first invalid record to its score below the graylist threshold.
    pub time_to_graylist_ms: Option<f64>,
    /// The same in gossipsub heartbeats.
    pub time_to_graylist_heartbeats: Option<f64>,
    /// Samples taken after its first invalid record.
    pub samples: u64,
    /// Share of those samples in which it was graylisted.
    pub graylisted_fraction: f64,
    /// Its score at the end of the attack.
    pub final_score: Option<f64>,
}

pub(crate) async fn init_issuer(node: &Node, name: &str) -> Result<IssuerId> {
    let profile = IssuerProfile {
        issuer: IssuerId::unset(),
        seq: 0,
        name: name.into(),
        url: None,
        email: None,
        description: None,
        image: None,
        at: Timestamp(0),
        public_base_url: None,
    };
    Ok(node.issuer().init(node.core(), profile).await?)
}

pub(crate) async fn badge(node: &Node, n: usize) -> Result<RecordId> {
    let b = BadgeClass {
        issuer: IssuerId::unset(),
        name: format!("Badge {n}"),
        description: format!("Simulation badge {n}"),
        criteria: Criteria {
            narrative: Some("Simulated.".into()),
            url: None,
        },
        image: None,
        alignments: vec![],
        tags: vec![],
        related: vec![],
        at: Timestamp(0),
    };
    Ok(node.issuer().badge(node.core(), b).await?)
}

async fn revocation(node: &Node, issuer: IssuerId, index: u32) -> Result<RecordId> {
    let seq = node.issuer().revoke(node.core(), vec![index], None).await?;
    node.core()
        .ledger
        .read(|r| {
            r.issuer(&issuer)
                .and_then(|s| s.revocation_at(seq))
                .map(|r| r.id())
        })
        .ok_or_else(|| anyhow!("revocation {seq} not stored"))
}

/// An award of badge class `badge_id` by `node`'s issuer: its envelope bytes.
pub(crate) async fn award(node: &Node, badge_id: RecordId) -> Result<Vec<u8>> {
    use badgemesh_protocol::record::{EMAIL_IDENTITY_TYPE, IdentityHash, Recipient};
    let recipient = Recipient::Hashed(IdentityHash::new(
        EMAIL_IDENTITY_TYPE,
        "ada@example.org",
        "salt",
    ));
    let award = node
        .issuer()
        .award(node.core(), badge_id, recipient, None, vec![], None)
        .await?;
    Ok(award.bytes().to_vec())
}

/// Publishes `count` records (badge classes and revocations alternating) at
/// `rate` per second from `node`; returns their ids.
pub(crate) async fn publish(
    node: &Node,
    issuer: IssuerId,
    count: usize,
    rate: f64,
    offset: usize,
    pb: &ProgressBar,
) -> Result<Vec<RecordId>> {
    let mut ids = Vec::with_capacity(count);
    let every = Duration::from_secs_f64(1.0 / rate.max(0.001));
    let mut tick = tokio::time::interval(every);
    for k in 0..count {
        tick.tick().await;
        let id = if k % 2 == 0 {
            badge(node, offset + k).await?
        } else {
            revocation(node, issuer, (offset + k) as u32).await?
        };
        ids.push(id);
        pb.inc(1);
    }
    Ok(ids)
}

/// Mesh warm-up before measuring: every node has grafted mesh peers, then five
/// more heartbeats pass (gossipsub prunes and regrafts on its heartbeat).
pub(crate) async fn settle(p: &Params, clusters: &[&Cluster]) -> Result<()> {
    for c in clusters {
        c.wait_mesh(Duration::from_secs(60)).await?;
    }
    tokio::time::sleep(Duration::from_millis(p.settings.heartbeat_ms * 5)).await;
    Ok(())
}

/// Two separate clusters of `half` and `p.nodes - half` nodes, each connected
/// and warmed up: the two sides of a partition.
async fn halves(
    p: &Params,
    name: &str,
    half: usize,
    rng: &mut StdRng,
    pb: &ProgressBar,
) -> Result<(Cluster, Cluster)> {
    let mut a = Cluster::new(p.base.join(format!("{name}-a")), p.settings.clone());
    let mut b = Cluster::new(p.base.join(format!("{name}-b")), p.settings.clone());
    a.grow(half, p.degree, rng, || pb.inc(1)).await?;
    b.grow(p.nodes - half, p.degree, rng, || pb.inc(1)).await?;
    a.wait_connected(Duration::from_secs(60)).await?;
    b.wait_connected(Duration::from_secs(60)).await?;
    settle(p, &[&a, &b]).await?;
    Ok((a, b))
}

/// `propagation`: N nodes, one issuer publishing at a steady rate.
pub async fn propagation(p: &Params, rng: &mut StdRng, pb: &ProgressBar) -> Result<Outcome> {
    Ok(propagation_with_mesh(p, rng, pb).await?.0)
}

/// [`propagation`], also returning the gossip mesh as it was at the end.
async fn propagation_with_mesh(
    p: &Params,
    rng: &mut StdRng,
    pb: &ProgressBar,
) -> Result<(Outcome, crate::measure::MeshStats)> {
    let mut c = Cluster::new(p.base.join("propagation"), p.settings.clone());
    pb.set_length((p.nodes + p.records) as u64);
    c.grow(p.nodes, p.degree, rng, || pb.inc(1)).await?;
    let connected = c.wait_connected(Duration::from_secs(60)).await?;
    settle(p, &[&c]).await?;
    let idle = idle_cores(IDLE_WINDOW).await;
    let (cpu_before, started) = (crate::measure::resources().cpu_secs, Instant::now());
    let issuer = init_issuer(c.nodes[0].node(), "Propagation Academy").await?;
    let ids = publish(c.nodes[0].node(), issuer, p.records, p.rate, 0, pb).await?;
    let everyone = c.running();
    let complete = c.wait_stored(&everyone, &ids, CONVERGE).await;
    // What carrying the records cost beyond keeping the cluster alive.
    let carried =
        crate::measure::resources().cpu_secs - cpu_before - idle * started.elapsed().as_secs_f64();
    let per_delivery_us = carried * 1e6 / (ids.len() * p.nodes).max(1) as f64;
    let d = Delivery::measure(&c, 0, &ids, &everyone);
    let mesh = crate::measure::mesh_stats(&c).await;
    let row = Row::new(
        "propagation",
        "",
        p.nodes,
        ids.len(),
        &d,
        traffic(&c),
        ms(connected),
    );
    let notes = vec![
        format!("nodes connected {:.0} ms after the last one started; all deliveries complete: {complete}", ms(connected)),
        mesh.to_string(),
        sync_note(&c),
        format!(
            "idle cost: {idle:.2} cores over {} s after warm-up, before the first record ({:.0} µs of CPU per node per second)",
            IDLE_WINDOW.as_secs(),
            idle * 1e6 / p.nodes.max(1) as f64
        ),
        format!(
            "carrying the records cost {per_delivery_us:.0} µs of CPU per record per node beyond that; \
             a record reaching every node needs {:.0} ms of CPU, {:.0} ms on this machine's {} cores at best",
            per_delivery_us * p.nodes as f64 / 1e3,
            per_delivery_us * p.nodes as f64 / 1e3 / crate::measure::cores() as f64,
            crate::measure::cores()
        ),
        "`extra` = ms from the last node's start until every node had a peer.".into(),
        "Nodes keep records in memory (`in_memory_store`): latencies exclude the disk sync a real node does per accepted record.".into(),
    ];
    let series = vec![(format!("{} nodes", p.nodes), d.latencies_ms.clone())];
    c.shutdown().await;
    Ok((
        Outcome {
            tables: Vec::new(),
            rows: vec![row],
            notes,
            series,
        },
        mesh,
    ))
}

/// How long [`idle_cores`] watches a warmed-up cluster that carries nothing.
const IDLE_WINDOW: Duration = Duration::from_secs(5);

/// Cores this process spends over `window` while the nodes only keep their
/// connections and mesh alive: what the cluster costs before any record, so
/// that a slow delivery can be told apart from a machine already busy.
async fn idle_cores(window: Duration) -> f64 {
    let before = crate::measure::resources().cpu_secs;
    let start = Instant::now();
    tokio::time::sleep(window).await;
    (crate::measure::resources().cpu_secs - before) / start.elapsed().as_secs_f64()
}

/// How much repair sync did: rounds, requests and the records they stored
/// (gossip alone would need none while no node is cut off).
fn sync_note(c: &Cluster) -> String {
    format!(
        "sync: {:.0} rounds, {:.0} requests, {:.0} records stored by sync",
        c.metric("badgemesh_sync_rounds_total"),
        c.metric("badgemesh_sync_requests_total"),
        c.metric("badgemesh_sync_records_total"),
    )
}

/// `partition`: two halves take different updates, then heal.
pub async fn partition(p: &Params, rng: &mut StdRng, pb: &ProgressBar) -> Result<Outcome> {
    let half = (p.nodes / 2).max(1);
    let per_side = (p.records / 2).max(1);
    pb.set_length((p.nodes + 2 * per_side) as u64);
    let (a, b) = halves(p, "partition", half, rng, pb).await?;
    let ia = init_issuer(a.nodes[0].node(), "Side A").await?;
    let ib = init_issuer(b.nodes[0].node(), "Side B").await?;
    let ids_a = publish(a.nodes[0].node(), ia, per_side, p.rate, 0, pb).await?;
    let ids_b = publish(b.nodes[0].node(), ib, per_side, p.rate, 0, pb).await?;
    let (ra, rb) = (a.running(), b.running());
    a.wait_stored(&ra, &ids_a, CONVERGE).await;
    b.wait_stored(&rb, &ids_b, CONVERGE).await;
    // Everything each side lacks: the other side's records (and its issuer's genesis).
    let all_a: Vec<RecordId> = a.nodes[0]
        .seen
        .lock()
        .map(|m| m.keys().copied().collect())
        .unwrap_or_default();
    let all_b: Vec<RecordId> = b.nodes[0]
        .seen
        .lock()
        .map(|m| m.keys().copied().collect())
        .unwrap_or_default();
    let size = |node: &Node, ids: &[RecordId]| -> u64 {
        node.core().ledger.read(|r| {
            ids.iter()
                .filter_map(|id| {
                    r.issuers()
                        .find_map(|s| s.records().find(|x| x.id() == *id).cloned())
                        .or_else(|| r.badge_class(id).map(|(_, x)| x.clone()))
                })
                .map(|x| x.bytes().len() as u64 + 34)
                .sum()
        })
    };
    let minimum = size(b.nodes[0].node(), &all_b) * ra.len() as u64
        + size(a.nodes[0].node(), &all_a) * rb.len() as u64;
    let sync_before =
        a.metric("badgemesh_sync_bytes_total") + b.metric("badgemesh_sync_bytes_total");
    let wire = |a: &Cluster, b: &Cluster| {
        // Each byte is counted once sent and once received: halve the sum.
        (a.metric("badgemesh_libp2p_bandwidth_bytes_total")
            + b.metric("badgemesh_libp2p_bandwidth_bytes_total"))
            / 2.0
    };
    let wire_before = wire(&a, &b);
    let healed = Instant::now();
    let bridge = a
        .addrs(0)
        .into_iter()
        .next()
        .ok_or_else(|| anyhow!("no address"))?;
    b.nodes[0].node().core().client.dial(bridge).await?;
    let ok_a = a.wait_stored(&ra, &all_b, CONVERGE).await;
    let ok_b = b.wait_stored(&rb, &all_a, CONVERGE).await;
    let converged = healed.elapsed();
    let sync_bytes = a.metric("badgemesh_sync_bytes_total")
        + b.metric("badgemesh_sync_bytes_total")
        - sync_before;
    let wire_bytes = wire(&a, &b) - wire_before;
    let mut d = Delivery::default();
    for (c, ids) in [(&a, &all_b), (&b, &all_a)] {
        for id in ids.iter() {
            for &i in &c.running() {
                d.expected += 1;
                if let Some(t) = c.seen(i, id) {
                    d.delivered += 1;
                    d.latencies_ms.push(ms(t.saturating_duration_since(healed)));
                }
            }
        }
    }
    let mut t = traffic(&a);
    t.sync_bytes = sync_bytes;
    let row = Row::new(
        "partition",
        "heal",
        p.nodes,
        all_a.len() + all_b.len(),
        &d,
        t,
        converged.as_secs_f64(),
    );
    let notes = vec![
        format!(
            "each half published {per_side} records while apart; converged {:.2} s after the halves reconnected (complete: {})",
            converged.as_secs_f64(),
            ok_a && ok_b
        ),
        format!(
            "sync bytes during the heal: {sync_bytes:.0}; minimum (each node receives each missing record and its id once): {minimum}; ratio {:.2}",
            sync_bytes / minimum.max(1) as f64
        ),
        format!(
            "all bytes on the wire during the heal (gossip, sync, identify, ping, heartbeats; libp2p bandwidth counters): {wire_bytes:.0}, {:.2} times the minimum. A node that stored records by sync nudges its peers to sync with it, so the heal spreads hop by hop by sync.",
            wire_bytes / minimum.max(1) as f64
        ),
        "Latencies in this row are from the moment of reconnection. `extra` = seconds to converge."
            .into(),
    ];
    let series = vec![("after heal".to_string(), d.latencies_ms.clone())];
    a.shutdown().await;
    b.shutdown().await;
    Ok(Outcome {
        tables: Vec::new(),
        rows: vec![row],
        notes,
        series,
    })
}

/// `late-join`: a tenth of the nodes start after the records were published.
pub async fn late_join(p: &Params, rng: &mut StdRng, pb: &ProgressBar) -> Result<Outcome> {
    let late = (p.nodes / 10).max(1);
    pb.set_length((p.nodes + p.records) as u64);
    let mut c = Cluster::new(p.base.join("late-join"), p.settings.clone());
    c.grow(p.nodes - late, p.degree, rng, || pb.inc(1)).await?;
    c.wait_connected(Duration::from_secs(60)).await?;
    settle(p, &[&c]).await?;
    let issuer = init_issuer(c.nodes[0].node(), "Late Join Academy").await?;
    let ids = publish(c.nodes[0].node(), issuer, p.records, p.rate, 0, pb).await?;
    let early = c.running();
    c.wait_stored(&early, &ids, CONVERGE).await;
    let joined = Instant::now();
    c.grow(late, p.degree, rng, || pb.inc(1)).await?;
    let newcomers: Vec<usize> = (p.nodes - late..p.nodes).collect();
    let ok = c.wait_stored(&newcomers, &ids, CONVERGE).await;
    let took = joined.elapsed();
    let mut d = Delivery::default();
    for id in &ids {
        for &i in &newcomers {
            d.expected += 1;
            if let Some(t) = c.seen(i, id) {
                d.delivered += 1;
                d.latencies_ms.push(ms(t.saturating_duration_since(joined)));
            }
        }
    }
    let row = Row::new(
        "late-join",
        "",
        p.nodes,
        ids.len(),
        &d,
        traffic(&c),
        took.as_secs_f64(),
    );
    let notes = vec![format!(
        "{late} nodes joined after {} records were published; all had everything {:.2} s after the first of them started (complete: {ok}). Latencies are from that start; `extra` = seconds.",
        ids.len(),
        took.as_secs_f64()
    )];
    let series = vec![("late joiners".to_string(), d.latencies_ms.clone())];
    c.shutdown().await;
    Ok(Outcome {
        tables: Vec::new(),
        rows: vec![row],
        notes,
        series,
    })
}

/// `churn`: while the issuer publishes, random nodes restart empty.
pub async fn churn(p: &Params, rng: &mut StdRng, pb: &ProgressBar) -> Result<Outcome> {
    pb.set_length((p.nodes + p.records) as u64);
    let mut c = Cluster::new(p.base.join("churn"), p.settings.clone());
    c.grow(p.nodes, p.degree, rng, || pb.inc(1)).await?;
    c.wait_connected(Duration::from_secs(60)).await?;
    settle(p, &[&c]).await?;
    let issuer = init_issuer(c.nodes[0].node(), "Churn Academy").await?;
    let mut ids = Vec::new();
    let mut restarts = 0;
    let batch = (p.records / 10).max(1);
    while ids.len() < p.records {
        let n = batch.min(p.records - ids.len());
        ids.extend(publish(c.nodes[0].node(), issuer, n, p.rate, ids.len(), pb).await?);
        // One in ten nodes leaves and rejoins with an empty store.
        for _ in 0..(p.nodes / 10).max(1) {
            let i = rng.random_range(1..p.nodes);
            c.restart(i).await?;
            restarts += 1;
        }
    }
    let last = Instant::now();
    let everyone = c.running();
    let ok = c.wait_stored(&everyone, &ids, CONVERGE).await;
    let took = last.elapsed();
    let mut d = Delivery::default();
    for id in &ids {
        for &i in &everyone {
            d.expected += 1;
            if c.seen(i, id).is_some() {
                d.delivered += 1;
            }
        }
    }
    let row = Row::new(
        "churn",
        "",
        p.nodes,
        ids.len(),
        &d,
        traffic(&c),
        took.as_secs_f64(),
    );
    let notes = vec![format!(
        "{restarts} restarts with empty stores during publishing; every node held every record {:.2} s after the last publish (complete: {ok}). `extra` = seconds; latency columns are not measured here.",
        took.as_secs_f64()
    )];
    c.shutdown().await;
    Ok(Outcome {
        tables: Vec::new(),
        rows: vec![row],
        notes,
        series: vec![],
    })
}

/// `forged-flood`: the same publishing with and without a tenth of the peers
/// flooding forged and malformed records.
pub async fn forged_flood(p: &Params, rng: &mut StdRng, pb: &ProgressBar) -> Result<Outcome> {
    let attackers = (p.nodes / 10).max(1);
    pb.set_length((p.nodes + 2 * p.records) as u64);
    let mut c = Cluster::new(p.base.join("forged-flood"), p.settings.clone());
    c.grow(p.nodes, p.degree, rng, || pb.inc(1)).await?;
    c.wait_connected(Duration::from_secs(60)).await?;
    settle(p, &[&c]).await?;
    let issuer = init_issuer(c.nodes[0].node(), "Flood Academy").await?;
    let everyone = c.running();
    let base_ids = publish(c.nodes[0].node(), issuer, p.records, p.rate, 0, pb).await?;
    c.wait_stored(&everyone, &base_ids, CONVERGE).await;
    let baseline = Delivery::measure(&c, 0, &base_ids, &everyone);
    let base_row = Row::new(
        "forged-flood",
        "baseline",
        p.nodes,
        base_ids.len(),
        &baseline,
        traffic(&c),
        0.0,
    );

    // Forged: a real record with a flipped signature bit; malformed: garbage.
    let mut forged = c.nodes[0].node().core().ledger.read(|r| {
        r.issuer(&issuer)
            .and_then(|s| s.records().next().map(|x| x.bytes().to_vec()))
            .unwrap_or_default()
    });
    if let Some(last) = forged.last_mut() {
        *last ^= 1;
    }
    let messages = vec![forged, b"\xd2\x84not an envelope".to_vec()];
    let mut tasks = Vec::new();
    let mut peers = Vec::new();
    let mut watched: Vec<usize> = Vec::new();
    for _ in 0..attackers {
        let mut picks: Vec<usize> = (0..3).map(|_| rng.random_range(0..p.nodes)).collect();
        picks.sort_unstable();
        picks.dedup();
        let targets: Vec<_> = picks.iter().flat_map(|&i| c.addrs(i)).collect();
        let (peer, task) = crate::attacker::spawn(
            targets,
            messages.clone(),
            crate::attacker::Pace::Flood(Duration::from_millis(10)),
        )?;
        peers.push(peer.to_string());
        tasks.push(task);
        watched.extend(picks);
    }
    watched.sort_unstable();
    watched.dedup();
    // Sample every attacked node's view of its attackers while the attack
    // lasts: is each attacker below the graylist threshold?
    let clients: Vec<(usize, badgemesh_node::network::Client)> = watched
        .iter()
        .map(|&i| (i, c.nodes[i].node().core().client.clone()))
        .collect();
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let sampler = {
        let clients = clients.clone();
        let peers = peers.clone();
        tokio::spawn(async move {
            let mut samples: HashMap<(usize, String), (u64, u64)> = HashMap::new();
            let mut tick = tokio::time::interval(SAMPLE_EVERY);
            loop {
                tokio::select! {
                    _ = &mut stopped => return samples,
                    _ = tick.tick() => {
                        for (i, client) in &clients {
                            for info in client.peers().await.unwrap_or_default() {
                                // From its first invalid record on.
                                if peers.contains(&info.peer_id) && info.invalid_records > 0 {
                                    let e = samples.entry((*i, info.peer_id)).or_default();
                                    e.0 += 1;
                                    e.1 += u64::from(info.graylisted);
                                }
                            }
                        }
                    }
                }
            }
        })
    };
    let cpu_before = crate::measure::resources().cpu_secs;
    let attack_ids = publish(c.nodes[0].node(), issuer, p.records, p.rate, p.records, pb).await?;
    c.wait_stored(&everyone, &attack_ids, CONVERGE).await;
    let cpu_attack = crate::measure::resources().cpu_secs - cpu_before;
    let attacked = Delivery::measure(&c, 0, &attack_ids, &everyone);
    let _ = stop.send(());
    let samples = sampler.await.unwrap_or_default();
    let mut scores = Vec::new();
    let mut table = Vec::new();
    for (i, client) in &clients {
        for info in client.peers().await.unwrap_or_default() {
            if !peers.contains(&info.peer_id) {
                continue;
            }
            if let Some(s) = info.score {
                scores.push(s);
            }
            let (n, below) = samples
                .get(&(*i, info.peer_id.clone()))
                .copied()
                .unwrap_or_default();
            table.push(GraylistRow {
                attacker: info.peer_id.clone(),
                node: *i,
                invalid_records: info.invalid_records,
                time_to_graylist_ms: info.time_to_graylist_ms,
                time_to_graylist_heartbeats: info
                    .time_to_graylist_ms
                    .map(|t| t / p.settings.heartbeat_ms.max(1) as f64),
                samples: n,
                graylisted_fraction: if n == 0 { 0.0 } else { below as f64 / n as f64 },
                final_score: info.score,
            });
        }
    }
    let mean_score = if scores.is_empty() {
        0.0
    } else {
        scores.iter().sum::<f64>() / scores.len() as f64
    };
    let threshold = badgemesh_node::network::GRAYLIST_THRESHOLD;
    let below = scores.iter().filter(|s| **s < threshold).count();
    for t in tasks {
        t.abort();
    }
    let attack_row = Row::new(
        "forged-flood",
        "attack",
        p.nodes,
        attack_ids.len(),
        &attacked,
        traffic(&c),
        mean_score,
    );
    let rejected = c.metric("badgemesh_gossip_messages_total{name=\"rejected\"}");
    let times: Vec<f64> = table.iter().filter_map(|r| r.time_to_graylist_ms).collect();
    let t = crate::measure::percentiles(&times);
    let graylisted = times.len();
    let fractions: Vec<f64> = table.iter().map(|r| r.graylisted_fraction).collect();
    let min_fraction = fractions.iter().copied().fold(1.0_f64, f64::min);
    let mean_fraction = fractions.iter().sum::<f64>() / fractions.len().max(1) as f64;
    let invalid: Vec<f64> = table.iter().map(|r| r.invalid_records as f64).collect();
    let notes = vec![
        format!(
            "{attackers} attackers, each dialing 3 random honest nodes and publishing a forged or malformed record every 10 ms"
        ),
        format!(
            "honest delivery under attack {:.4}; p99 {:.1} ms vs {:.1} ms without attack (ratio {:.2})",
            attacked.ratio(),
            crate::measure::percentiles(&attacked.latencies_ms).p99,
            crate::measure::percentiles(&baseline.latencies_ms).p99,
            crate::measure::percentiles(&attacked.latencies_ms).p99
                / crate::measure::percentiles(&baseline.latencies_ms)
                    .p99
                    .max(0.001)
        ),
        format!(
            "time to graylist (first invalid record received to score below {threshold}), per attacker connection: {graylisted} of {} connections graylisted; median {:.3} ms, max {:.3} ms = {:.5} heartbeats of {} ms (the first invalid record each attacker sent was validated and rejected, and that rejection alone put it below the threshold)",
            table.len(),
            t.p50,
            t.max,
            t.max / p.settings.heartbeat_ms.max(1) as f64,
            p.settings.heartbeat_ms
        ),
        format!(
            "graylisted share of samples (every {} ms, from each attacker's first invalid record to the end of the attack): mean {mean_fraction:.4}, worst connection {min_fraction:.4}; invalid records that got through to validation per connection: mean {:.1}, max {:.0} (the rest were dropped unread by gossipsub)",
            SAMPLE_EVERY.as_millis(),
            invalid.iter().sum::<f64>() / invalid.len().max(1) as f64,
            invalid.iter().copied().fold(0.0, f64::max)
        ),
        format!(
            "attacker scores at the end: {} connections, mean {mean_score:.1}, {below} below the graylist threshold ({threshold}); `extra` = mean score; per connection figures in graylist.csv",
            scores.len()
        ),
        format!(
            "CPU seconds of the whole process during the attack phase: {cpu_attack:.2}; rejected gossip messages counted: {rejected:.0}"
        ),
    ];
    let mut csv = csv::Writer::from_writer(Vec::new());
    for r in &table {
        csv.serialize(r)?;
    }
    let tables = vec![("graylist.csv".to_string(), csv.into_inner()?)];
    let series = vec![
        ("baseline".to_string(), baseline.latencies_ms),
        ("under attack".to_string(), attacked.latencies_ms),
    ];
    c.shutdown().await;
    Ok(Outcome {
        tables,
        rows: vec![base_row, attack_row],
        notes,
        series,
    })
}

/// `equivocation`: one issuer signs two different updates with the same
/// sequence number, one per half; after the halves connect, every node must
/// hold the proof.
pub async fn equivocation(p: &Params, rng: &mut StdRng, pb: &ProgressBar) -> Result<Outcome> {
    use badgemesh_protocol::testkit::Issuer as TestIssuer;
    let half = (p.nodes / 2).max(1);
    pb.set_length(p.nodes as u64);
    let (a, b) = halves(p, "equivocation", half, rng, pb).await?;
    let mut issuer = TestIssuer::new(4242, badgemesh_node::core::now());
    let genesis = issuer.genesis();
    let mut fork = issuer.clone();
    let left = issuer.revoke(&[1]);
    let right = fork.revoke(&[2]);
    for (c, update) in [(&a, &left), (&b, &right)] {
        for rec in genesis.iter().chain(std::iter::once(update)) {
            c.nodes[0].node().core().submit(rec.clone()).await?;
        }
    }
    let id = issuer.inner().id();
    let healed = Instant::now();
    let bridge = a
        .addrs(0)
        .into_iter()
        .next()
        .ok_or_else(|| anyhow!("no address"))?;
    b.nodes[0].node().core().client.dial(bridge).await?;
    let mut last = Duration::ZERO;
    let mut holding = 0;
    let mut latencies = Vec::new();
    for c in [&a, &b] {
        for i in c.running() {
            let start = Instant::now();
            loop {
                if c.nodes[i]
                    .node()
                    .core()
                    .ledger
                    .read(|r| r.issuer(&id).is_some_and(|s| s.has_equivocated()))
                {
                    holding += 1;
                    let t = healed.elapsed();
                    latencies.push(ms(t));
                    last = last.max(t);
                    break;
                }
                if start.elapsed() > CONVERGE {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
    let d = Delivery {
        latencies_ms: latencies.clone(),
        delivered: holding,
        expected: p.nodes,
    };
    let row = Row::new(
        "equivocation",
        "",
        p.nodes,
        2,
        &d,
        traffic(&a),
        last.as_secs_f64(),
    );
    let notes = vec![format!(
        "{holding} of {} nodes hold the equivocation proof; the last {:.2} s after the halves connected. `delivery` = share of nodes holding it, `extra` = seconds.",
        p.nodes,
        last.as_secs_f64()
    )];
    a.shutdown().await;
    b.shutdown().await;
    Ok(Outcome {
        tables: Vec::new(),
        rows: vec![row],
        notes,
        series: vec![("proof held".into(), latencies)],
    })
}

/// Calibrates the per-hop cost on a real propagation run, checks the model
/// against it at the same size, then extrapolates.
pub async fn model(
    p: &Params,
    model_nodes: usize,
    link_ms: f64,
    rng: &mut StdRng,
    pb: &ProgressBar,
) -> Result<Outcome> {
    let (real, mesh) = propagation_with_mesh(p, rng, pb).await?;
    let real_row = real.rows[0].clone();
    // Gossip travels over the gossipsub mesh, not over every connection: the
    // model uses the mean mesh degree the real run ended with.
    let degree = mesh.mean;
    let calib = crate::model::ModelParams {
        nodes: p.nodes,
        degree,
        link_ms: 0.05,
        jitter_ms: 0.0,
        hop_ms: 0.0,
    };
    let (_, mean_hops) = crate::model::run(calib, rng);
    let hop_ms = real_row.p50_ms / mean_hops.max(1.0);
    let check = crate::model::ModelParams { hop_ms, ..calib };
    let (arrival, _) = crate::model::run(check, rng);
    let model_p99 = crate::model::time_to_reach(&arrival, 0.99);
    let mut notes = vec![format!(
        "calibration: real run of {} nodes, p50 {:.1} ms, p99 {:.1} ms, {mesh}; model with mesh degree {degree:.2}: mean hop count {mean_hops:.2}, so {hop_ms:.2} ms per hop; the model at the same size gives 99 % reached at {model_p99:.1} ms (real p99 {:.1} ms)",
        p.nodes, real_row.p50_ms, real_row.p99_ms, real_row.p99_ms
    )];
    let mut rows = vec![real_row];
    let mut series = Vec::new();
    let mut n = 1000;
    while n <= model_nodes {
        let params = crate::model::ModelParams {
            nodes: n,
            degree,
            link_ms,
            jitter_ms: link_ms * 0.2,
            hop_ms,
        };
        let (arrival, hops) = crate::model::run(params, rng);
        let t99 = crate::model::time_to_reach(&arrival, 0.99);
        let lat: Vec<f64> = arrival.iter().copied().filter(|t| t.is_finite()).collect();
        let d = crate::measure::Delivery {
            delivered: lat.len(),
            expected: n,
            latencies_ms: lat.clone(),
        };
        rows.push(crate::measure::Row::new(
            "model",
            &format!("{} ms links", link_ms),
            n,
            1,
            &d,
            crate::measure::Traffic::default(),
            t99,
        ));
        notes.push(format!("model, {n} nodes, mesh degree {degree:.2}, {:.0} ± {:.0} ms links: 99 % reached at {t99:.0} ms, mean {hops:.2} hops", link_ms, link_ms * 0.2));
        series.push((format!("model {n}"), lat));
        n *= 10;
    }
    notes.push("`extra` = ms until 99 % of the nodes were reached (model rows).".into());
    Ok(Outcome {
        tables: Vec::new(),
        rows,
        notes,
        series,
    })
}

/// `load`: concurrent clients against one node's `POST /v1/verify` and
/// `GET /v1/assertions/{id}/status` on loopback for a fixed time. Client and
/// server share the machine's cores.
pub async fn load(p: &Params, clients: usize, secs: u64, pb: &ProgressBar) -> Result<Outcome> {
    use badgemesh_protocol::record::{EMAIL_IDENTITY_TYPE, IdentityHash, Recipient};
    let mut c = Cluster::new(p.base.join("load"), p.settings.clone());
    pb.set_length(secs);
    c.add(vec![]).await?;
    let node = c.nodes[0].node();
    init_issuer(node, "Load Academy").await?;
    let badge_id = badge(node, 0).await?;
    let recipient = Recipient::Hashed(IdentityHash::new(
        EMAIL_IDENTITY_TYPE,
        "ada@example.org",
        "salt",
    ));
    let award = node
        .issuer()
        .award(node.core(), badge_id, recipient, None, vec![], None)
        .await?;
    let base = format!("http://{}", node.api_addr());
    let bytes = award.bytes().to_vec();
    let status_path = format!("/v1/assertions/{}/status", award.id());
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut threads = Vec::new();
    for k in 0..clients.max(1) {
        let (base, bytes, status_path) = (base.clone(), bytes.clone(), status_path.clone());
        threads.push(std::thread::spawn(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into();
            let (mut verify_ms, mut status_ms, mut errors) = (Vec::new(), Vec::new(), 0u64);
            let mut n = k;
            while Instant::now() < deadline {
                let t = Instant::now();
                let ok = if n % 2 == 0 {
                    agent
                        .post(format!("{base}/v1/verify"))
                        .send(&bytes[..])
                        .is_ok_and(|r| r.status() == 200)
                } else {
                    agent
                        .get(format!("{base}{status_path}"))
                        .call()
                        .is_ok_and(|r| r.status() == 200)
                };
                let took = ms(t.elapsed());
                match (ok, n % 2 == 0) {
                    (false, _) => errors += 1,
                    (true, true) => verify_ms.push(took),
                    (true, false) => status_ms.push(took),
                }
                n += 1;
            }
            (verify_ms, status_ms, errors)
        }));
    }
    for _ in 0..secs {
        tokio::time::sleep(Duration::from_secs(1)).await;
        pb.inc(1);
    }
    let (mut verify_ms, mut status_ms, mut errors) = (Vec::new(), Vec::new(), 0);
    for t in threads {
        let (v, s, e) = t.join().map_err(|_| anyhow!("a load client panicked"))?;
        verify_ms.extend(v);
        status_ms.extend(s);
        errors += e;
    }
    let mut rows = Vec::new();
    let mut notes = vec![format!(
        "{clients} clients for {secs} s against one node on 127.0.0.1 (client and server share the {} cores); {errors} errors. `extra` = requests per second.",
        crate::measure::cores()
    )];
    for (name, lat) in [("POST /v1/verify", &verify_ms), ("GET status", &status_ms)] {
        let d = Delivery {
            latencies_ms: lat.clone(),
            delivered: lat.len(),
            expected: lat.len(),
        };
        let rps = lat.len() as f64 / secs.max(1) as f64;
        let pct = crate::measure::percentiles(lat);
        notes.push(format!(
            "{name}: {rps:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms",
            pct.p50, pct.p99
        ));
        rows.push(Row::new(
            "load",
            name,
            1,
            lat.len(),
            &d,
            Traffic::default(),
            rps,
        ));
    }
    c.shutdown().await;
    Ok(Outcome {
        tables: Vec::new(),
        rows,
        notes,
        series: vec![("verify".into(), verify_ms), ("status".into(), status_ms)],
    })
}
