//! What every run reports, and how it is written: CSV rows, a summary, a plot.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;
use badgemesh_protocol::id::RecordId;
use plotters::prelude::*;

use crate::cluster::Cluster;

/// Latency percentiles in milliseconds.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct Percentiles {
    /// Median.
    pub p50: f64,
    /// 95th.
    pub p95: f64,
    /// 99th.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

/// Percentiles of `values` (ms).
pub fn percentiles(values: &[f64]) -> Percentiles {
    if values.is_empty() {
        return Percentiles::default();
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    Percentiles {
        p50: at(0.5),
        p95: at(0.95),
        p99: at(0.99),
        max: v[v.len() - 1],
    }
}

/// Delivery of a set of records to a set of nodes, timed from when the
/// publishing node committed each record.
#[derive(Clone, Debug, Default)]
pub struct Delivery {
    /// Per (record, node) latency in ms, for delivered pairs.
    pub latencies_ms: Vec<f64>,
    /// Pairs delivered.
    pub delivered: usize,
    /// Pairs expected.
    pub expected: usize,
}

impl Delivery {
    /// Measures `ids`, published at node `origin`, at nodes `who`.
    pub fn measure(cluster: &Cluster, origin: usize, ids: &[RecordId], who: &[usize]) -> Delivery {
        let mut d = Delivery::default();
        for id in ids {
            let Some(t0) = cluster.seen(origin, id) else {
                continue;
            };
            for &i in who.iter().filter(|&&i| i != origin) {
                d.expected += 1;
                if let Some(t) = cluster.seen(i, id) {
                    d.delivered += 1;
                    d.latencies_ms
                        .push(t.saturating_duration_since(t0).as_secs_f64() * 1000.0);
                }
            }
        }
        d
    }

    /// Delivered / expected.
    pub fn ratio(&self) -> f64 {
        if self.expected == 0 {
            1.0
        } else {
            self.delivered as f64 / self.expected as f64
        }
    }
}

/// The machine's cores, as every report states them.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Process resources: CPU seconds and peak resident memory.
#[derive(Clone, Copy, Debug, Default)]
pub struct Resources {
    /// User plus system CPU seconds of the whole process.
    pub cpu_secs: f64,
    /// Peak resident set size, MiB.
    pub peak_rss_mib: f64,
}

/// Reads this process's CPU time and peak RSS from /proc (Linux).
pub fn resources() -> Resources {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields 14 and 15 (utime, stime) follow the command name in parentheses.
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let cpu_secs = (ticks(11) + ticks(12)) / 100.0;
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak_kib = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0);
    Resources {
        cpu_secs,
        peak_rss_mib: peak_kib / 1024.0,
    }
}

/// Network-wide counters read from the nodes' metrics.
#[derive(Clone, Copy, Debug, Default)]
pub struct Traffic {
    /// Gossip copies received per unique message.
    pub copies_per_unique: f64,
    /// Bytes sent plus received per node.
    pub bytes_per_node: f64,
    /// Records validated per node (gossip messages plus records fetched by sync).
    pub verifications_per_node: f64,
    /// Sync bytes over all nodes.
    pub sync_bytes: f64,
}

/// Reads traffic counters from every running node.
pub fn traffic(cluster: &Cluster) -> Traffic {
    let n = cluster.running().len().max(1) as f64;
    let unfiltered = cluster.metric("badgemesh_gossipsub_topic_msg_recv_counts_unfiltered_total");
    let unique = cluster.metric("badgemesh_gossipsub_topic_msg_recv_counts_total");
    Traffic {
        copies_per_unique: if unique > 0.0 {
            unfiltered / unique
        } else {
            0.0
        },
        bytes_per_node: cluster.metric("badgemesh_libp2p_bandwidth_bytes_total") / n,
        verifications_per_node: (cluster.metric("badgemesh_gossip_messages_total")
            + cluster.metric("badgemesh_sync_records_total"))
            / n,
        sync_bytes: cluster.metric("badgemesh_sync_bytes_total"),
    }
}

/// The gossipsub mesh as the nodes see it: how many mesh peers each running
/// node has on the records topic. Copies per message follow the mesh degree,
/// and a node with an empty mesh only hears of records by lazy gossip (IHAVE
/// at the next heartbeat) or sync, so both explain the latency tail.
#[derive(Clone, Copy, Debug, Default)]
pub struct MeshStats {
    /// Mean mesh peers per node.
    pub mean: f64,
    /// Fewest mesh peers of any node.
    pub min: f64,
    /// Most mesh peers of any node.
    pub max: f64,
    /// Nodes with no mesh peer at all.
    pub empty: usize,
    /// Connected parts of the mesh (1 when a record pushed anywhere reaches
    /// everyone without lazy gossip).
    pub components: usize,
    /// Nodes in the largest part.
    pub largest: usize,
    /// IWANT requests sent, over all nodes (lazy-gossip repairs).
    pub iwant: f64,
}

/// Reads [`MeshStats`] from every running node.
pub async fn mesh_stats(cluster: &Cluster) -> MeshStats {
    let running = cluster.running();
    let ids: std::collections::HashMap<String, usize> = running
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            (
                cluster.nodes[i].node().core().client.peer_id().to_string(),
                k,
            )
        })
        .collect();
    let mut counts = Vec::new();
    // Union-find over mesh links (either side's view counts as a link).
    let mut parent: Vec<usize> = (0..running.len()).collect();
    fn root(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for (k, &i) in running.iter().enumerate() {
        let peers = cluster.nodes[i]
            .node()
            .core()
            .client
            .peers()
            .await
            .unwrap_or_default();
        counts.push(peers.iter().filter(|p| p.mesh).count() as f64);
        for p in peers.iter().filter(|p| p.mesh) {
            if let Some(&j) = ids.get(&p.peer_id) {
                let (a, b) = (root(&mut parent, k), root(&mut parent, j));
                parent[a] = b;
            }
        }
    }
    let mut sizes: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    for k in 0..running.len() {
        *sizes.entry(root(&mut parent, k)).or_default() += 1;
    }
    let n = counts.len().max(1) as f64;
    MeshStats {
        mean: counts.iter().sum::<f64>() / n,
        min: counts.iter().copied().fold(f64::INFINITY, f64::min),
        max: counts.iter().copied().fold(0.0, f64::max),
        empty: counts.iter().filter(|c| **c < 1.0).count(),
        components: sizes.len(),
        largest: sizes.values().copied().max().unwrap_or(0),
        // A sum over no series is -0.
        iwant: cluster.metric("badgemesh_gossipsub_topic_iwant_msgs_total") + 0.0,
    }
}

impl std::fmt::Display for MeshStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "gossipsub mesh peers per node: mean {:.2}, min {:.0}, max {:.0}, {} nodes with an empty mesh; the mesh at the end has {} connected part(s), the largest of {} nodes; {:.0} IWANT requests",
            self.mean, self.min, self.max, self.empty, self.components, self.largest, self.iwant
        )
    }
}

/// One result row.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Row {
    /// Scenario name.
    pub scenario: String,
    /// Variant (e.g. baseline or attack).
    pub variant: String,
    /// Nodes.
    pub nodes: usize,
    /// Records published.
    pub records: usize,
    /// Delivery ratio.
    pub delivery: f64,
    /// Latency p50, ms.
    pub p50_ms: f64,
    /// Latency p95, ms.
    pub p95_ms: f64,
    /// Latency p99, ms.
    pub p99_ms: f64,
    /// Latency max, ms.
    pub max_ms: f64,
    /// Gossip copies per unique message.
    pub copies_per_unique: f64,
    /// Bytes per node.
    pub bytes_per_node: f64,
    /// Verifications per node.
    pub verifications_per_node: f64,
    /// Sync bytes over all nodes.
    pub sync_bytes: f64,
    /// Scenario-specific figure (see the summary).
    pub extra: f64,
    /// CPU seconds of the process so far.
    pub cpu_secs: f64,
    /// Peak RSS so far, MiB.
    pub peak_rss_mib: f64,
}

impl Row {
    /// A row from the measurements.
    pub fn new(
        scenario: &str,
        variant: &str,
        nodes: usize,
        records: usize,
        d: &Delivery,
        t: Traffic,
        extra: f64,
    ) -> Row {
        let p = percentiles(&d.latencies_ms);
        let r = resources();
        Row {
            scenario: scenario.into(),
            variant: variant.into(),
            nodes,
            records,
            delivery: d.ratio(),
            p50_ms: p.p50,
            p95_ms: p.p95,
            p99_ms: p.p99,
            max_ms: p.max,
            copies_per_unique: t.copies_per_unique,
            bytes_per_node: t.bytes_per_node,
            verifications_per_node: t.verifications_per_node,
            sync_bytes: t.sync_bytes,
            extra,
            cpu_secs: r.cpu_secs,
            peak_rss_mib: r.peak_rss_mib,
        }
    }
}

/// Writes `results.csv`.
pub fn write_csv(dir: &Path, rows: &[Row]) -> Result<()> {
    let mut w = csv::Writer::from_path(dir.join("results.csv"))?;
    for r in rows {
        w.serialize(r)?;
    }
    w.flush()?;
    Ok(())
}

/// Writes `summary.md` with the rows, the notes and the machine.
pub fn write_summary(
    dir: &Path,
    title: &str,
    command: &str,
    rows: &[Row],
    notes: &[String],
    started: Instant,
) -> Result<()> {
    let mut s = String::new();
    let _ = writeln!(s, "# {title}\n\nCommand: `{command}`\n");
    let cores = cores();
    let _ = writeln!(
        s,
        "Machine: {cores} cores, {}; wall time {:.1} s.\n",
        std::env::consts::ARCH,
        started.elapsed().as_secs_f64()
    );
    let _ = writeln!(
        s,
        "| scenario | variant | nodes | records | delivery | p50 ms | p95 ms | p99 ms | max ms | copies/unique | bytes/node | verifications/node | sync bytes | extra | CPU s | peak RSS MiB |"
    );
    let _ = writeln!(
        s,
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for r in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {:.4} | {:.1} | {:.1} | {:.1} | {:.1} | {:.2} | {:.0} | {:.1} | {:.0} | {:.3} | {:.1} | {:.0} |",
            r.scenario,
            r.variant,
            r.nodes,
            r.records,
            r.delivery,
            r.p50_ms,
            r.p95_ms,
            r.p99_ms,
            r.max_ms,
            r.copies_per_unique,
            r.bytes_per_node,
            r.verifications_per_node,
            r.sync_bytes,
            r.extra,
            r.cpu_secs,
            r.peak_rss_mib
        );
    }
    if !notes.is_empty() {
        let _ = writeln!(s);
        for n in notes {
            let _ = writeln!(s, "- {n}");
        }
    }
    std::fs::write(dir.join("summary.md"), s)?;
    Ok(())
}

/// Plots the latency CDF of each series to `latency.svg`.
pub fn plot_cdf(dir: &Path, title: &str, series: &[(String, Vec<f64>)]) -> Result<()> {
    let path = dir.join("latency.svg");
    let root = SVGBackend::new(&path, (800, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let max_x = series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .fold(1.0_f64, f64::max)
        * 1.05;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0.0..max_x, 0.0..1.0)?;
    chart
        .configure_mesh()
        .x_desc("latency from publish to stored (ms)")
        .y_desc("fraction of deliveries")
        .draw()?;
    for (k, (name, values)) in series.iter().enumerate() {
        let mut v = values.clone();
        v.sort_by(f64::total_cmp);
        let n = v.len().max(1) as f64;
        let color = Palette99::pick(k).mix(1.0);
        chart
            .draw_series(LineSeries::new(
                v.iter().enumerate().map(|(i, x)| (*x, (i + 1) as f64 / n)),
                color.stroke_width(2),
            ))?
            .label(name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// Milliseconds of a duration.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
