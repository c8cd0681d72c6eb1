//! What history costs (issue #16): for stores of growing size, the time a
//! node takes to restart, its resident memory, the store's size, and what
//! a new node spends catching up with the issuer, next to the size of the
//! state it ends with (the compressed revocation bitmap).
//!
//! Each size is one issuer with that many revocation updates (each revokes
//! one index drawn from ten times as many, so the bitmap is a tenth full),
//! and a checkpoint every [`CHECKPOINT_EVERY`] updates as its node signs.
//! The store is written in this process; then the real `badgemesh` binary
//! (built next to this one) runs as two child processes, so restart time
//! and memory are those of a real node, not of this harness:
//! - node A starts on the store: the time until `/healthz` answers, and its
//!   resident memory (VmRSS) once it does;
//! - node B starts empty, follows the issuer and dials A: the time until
//!   it holds every update, the sync bytes it received, and its memory.
//!
//! Writes `scale.csv` and `scale.svg` (cost against size, log-log).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use badgemesh_node::datadir::{NodeInfo, STORE_FILE};
use badgemesh_node::issuer::CHECKPOINT_EVERY;
use badgemesh_node::ledger::Ledger;
use badgemesh_protocol::state::Policy;
use badgemesh_protocol::testkit::Issuer;
use indicatif::ProgressBar;
use rand::{Rng, SeedableRng};

use crate::scenarios::{Outcome, Params};

/// Records written per store transaction while building.
const BUILD_BATCH: usize = 5_000;
/// How long a node may take to start or to catch up before the run fails.
const DEADLINE: Duration = Duration::from_secs(1_800);

/// One size's measurements.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ScaleRow {
    /// Revocation updates in the store.
    pub records: usize,
    /// Issuers in the store: the one with the updates, and others with a
    /// profile and one update each.
    pub issuers: usize,
    /// Seconds to sign and store them (this harness).
    pub build_secs: f64,
    /// The store file, bytes.
    pub store_bytes: u64,
    /// Seconds from starting node A until `/healthz` answered.
    pub restart_secs: f64,
    /// Node A's resident memory once it answered, bytes.
    pub rss_bytes: u64,
    /// `rss_bytes` per record.
    pub rss_per_record: f64,
    /// Seconds until node B held every update.
    pub catchup_secs: f64,
    /// Sync bytes node B received.
    pub catchup_sync_bytes: f64,
    /// All libp2p bytes node B moved (both ways).
    pub catchup_wire_bytes: f64,
    /// Node B's resident memory after catching up, bytes.
    pub catchup_rss_bytes: u64,
    /// The issuer's revocation bitmap, GZIP-compressed (what the state is).
    pub bitmap_gz_bytes: usize,
    /// Envelope bytes of the updates after the latest checkpoint (what a
    /// new node must fetch besides the checkpoint).
    pub tail_bytes: usize,
}

/// Runs every size in turn, each with `issuers` issuers in all.
pub async fn scale(
    p: &Params,
    sizes: &[usize],
    issuers: usize,
    pb: &ProgressBar,
) -> Result<Outcome> {
    let issuers = issuers.max(1);
    let bin = node_binary()?;
    pb.set_length(sizes.len() as u64);
    let mut rows = Vec::new();
    for &n in sizes {
        let dir = p.base.join(format!("scale-{n}"));
        let row = one_size(&bin, &dir, n, issuers).await;
        let _ = std::fs::remove_dir_all(&dir);
        rows.push(row?);
        pb.inc(1);
    }
    let mut notes = vec![format!(
        "{issuers} issuer(s): one with N revocation updates (one index each, from 10 N) and a checkpoint every {CHECKPOINT_EVERY} updates, as the issuer's node signs them, the others with a profile and one update each; child processes of `{}`; {} cores.",
        bin.display(),
        crate::measure::cores()
    )];
    for r in &rows {
        notes.push(format!(
            "N = {}: store {:.1} MB ({:.0} B/record); restart {:.2} s; RSS {:.1} MB ({:.0} B/record); catch-up {:.2} s, {:.2} MB of sync ({:.2}x the {:.1} kB compressed bitmap plus the {:.1} kB tail), new node RSS {:.1} MB",
            r.records,
            r.store_bytes as f64 / 1e6,
            r.store_bytes as f64 / r.records as f64,
            r.restart_secs,
            r.rss_bytes as f64 / 1e6,
            r.rss_per_record,
            r.catchup_secs,
            r.catchup_sync_bytes / 1e6,
            r.catchup_sync_bytes / (r.bitmap_gz_bytes + r.tail_bytes).max(1) as f64,
            r.bitmap_gz_bytes as f64 / 1e3,
            r.tail_bytes as f64 / 1e3,
            r.catchup_rss_bytes as f64 / 1e6,
        ));
    }
    // What one more record costs, between successive sizes (the process's
    // own base memory and fixed start-up cost cancel out).
    for w in rows.windows(2) {
        let dn = (w[1].records - w[0].records).max(1) as f64;
        notes.push(format!(
            "from N = {} to {}: {:.0} B of RSS, {:.1} µs of restart, {:.1} µs of catch-up and {:.0} B of sync per added record",
            w[0].records,
            w[1].records,
            (w[1].rss_bytes as f64 - w[0].rss_bytes as f64) / dn,
            (w[1].restart_secs - w[0].restart_secs) * 1e6 / dn,
            (w[1].catchup_secs - w[0].catchup_secs) * 1e6 / dn,
            (w[1].catchup_sync_bytes - w[0].catchup_sync_bytes) / dn,
        ));
    }
    let mut csv = csv::Writer::from_writer(Vec::new());
    for r in &rows {
        csv.serialize(r)?;
    }
    let csv = csv.into_inner().map_err(|e| anyhow!("csv: {e}"))?;
    Ok(Outcome {
        rows: Vec::new(),
        notes,
        series: Vec::new(),
        tables: vec![
            ("scale.csv".into(), csv),
            ("scale.svg".into(), plot(&rows)?.into_bytes()),
        ],
    })
}

/// The `badgemesh` binary built beside this one.
fn node_binary() -> Result<PathBuf> {
    let me = std::env::current_exe()?;
    let dir = me.parent().ok_or_else(|| anyhow!("no directory"))?;
    let dir = if dir.ends_with("deps") {
        dir.parent().unwrap_or(dir)
    } else {
        dir
    };
    let bin = dir.join("badgemesh");
    if !bin.exists() {
        bail!(
            "{} is missing: build it with the same profile (cargo build --release -p badgemesh)",
            bin.display()
        );
    }
    Ok(bin)
}

async fn one_size(bin: &Path, dir: &Path, n: usize, issuers: usize) -> Result<ScaleRow> {
    let (a_dir, b_dir) = (dir.join("a"), dir.join("b"));
    std::fs::create_dir_all(&a_dir)?;
    std::fs::create_dir_all(&b_dir)?;
    // Room for every issuer on both nodes (they follow only the first).
    let config = format!(
        "max_issuers = {}\n",
        issuers.max(Policy::DEFAULT_MAX_ISSUERS) + 1
    );
    for d in [&a_dir, &b_dir] {
        std::fs::write(d.join(badgemesh_node::datadir::CONFIG_FILE), &config)?;
    }
    let now = badgemesh_node::core::now();
    let t = Instant::now();
    let (did, indices, tail_bytes) = {
        let a_dir = a_dir.clone();
        tokio::task::spawn_blocking(move || build(&a_dir, n, issuers, now))
            .await
            .map_err(|e| anyhow!("build: {e}"))??
    };
    let build_secs = t.elapsed().as_secs_f64();
    let store_bytes = std::fs::metadata(a_dir.join(STORE_FILE))?.len();
    let bitmap = badgemesh_openbadges::status_list::StatusList::from_indices(indices);
    let bitmap_gz_bytes = bitmap.encode().len().saturating_sub(1) * 3 / 4;

    let t = Instant::now();
    let mut a = ChildNode::start(bin, &a_dir, &did, None)?;
    let a_info = a.wait_healthy().await?;
    let restart_secs = t.elapsed().as_secs_f64();
    let rss_bytes = rss(a.child.id())?;

    let bootstrap = a_info
        .listen
        .first()
        .cloned()
        .ok_or_else(|| anyhow!("node A listens nowhere"))?;
    let t = Instant::now();
    let mut b = ChildNode::start(bin, &b_dir, &did, Some(&bootstrap))?;
    let b_info = b.wait_healthy().await?;
    let seq_url = format!("{}/v1/issuers/{did}", b_info.api);
    let node_url = format!("{}/v1/node", b_info.api);
    let deadline = Instant::now() + DEADLINE;
    loop {
        let seq = get_json(&seq_url)
            .await
            .ok()
            .and_then(|v| v["freshness"]["seq"].as_u64());
        let known = get_json(&node_url)
            .await
            .ok()
            .and_then(|v| v["issuers"].as_u64());
        if seq == Some(n as u64) && known == Some(issuers as u64) {
            break;
        }
        if Instant::now() > deadline {
            bail!(
                "node B did not catch up with {n} updates and {issuers} issuers in time (at {seq:?}, {known:?})"
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let catchup_secs = t.elapsed().as_secs_f64();
    let metrics = get_text(&format!("{}/metrics", b_info.api)).await?;
    let catchup_rss_bytes = rss(b.child.id())?;
    a.stop();
    b.stop();
    Ok(ScaleRow {
        records: n,
        issuers,
        build_secs,
        store_bytes,
        restart_secs,
        rss_bytes,
        rss_per_record: rss_bytes as f64 / n as f64,
        catchup_secs,
        catchup_sync_bytes: metric(&metrics, "badgemesh_sync_bytes_total"),
        catchup_wire_bytes: metric(&metrics, "badgemesh_libp2p_bandwidth_bytes_total"),
        catchup_rss_bytes,
        bitmap_gz_bytes,
        tail_bytes,
    })
}

/// Writes the issuer's genesis, `n` revocation updates (with checkpoints)
/// and a head into a store in `dir`; returns the issuer's DID, the revoked
/// indices and the bytes of the updates after the last checkpoint.
fn build(
    dir: &Path,
    n: usize,
    issuers: usize,
    now: badgemesh_protocol::time::Timestamp,
) -> Result<(String, Vec<u32>, usize)> {
    let mut issuer = Issuer::new(11, now);
    let did = issuer.inner().id().to_did();
    // Followed, as the nodes will follow it: no per-issuer quota.
    let mut policy = Policy::default();
    policy.follow.insert(issuer.inner().id());
    policy.max_issuers = issuers.max(Policy::DEFAULT_MAX_ISSUERS) + 1;
    let ledger = Ledger::open_with(&dir.join(STORE_FILE), now, policy)?;
    ledger.ingest_batch(issuer.genesis(), now)?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(n as u64);
    let span = u32::try_from(n.saturating_mul(10))
        .unwrap_or(u32::MAX)
        .max(1);
    let mut indices = Vec::with_capacity(n);
    let mut done = 0;
    let mut tail_bytes = 0;
    let id = issuer.inner().id();
    while done < n {
        // Batches end where the issuer's node signs a checkpoint.
        let every = CHECKPOINT_EVERY as usize;
        let k = (n - done).min(BUILD_BATCH).min(every - done % every);
        let batch: Vec<_> = (0..k)
            .map(|_| {
                let i = rng.random_range(0..span);
                indices.push(i);
                issuer.revoke(&[i])
            })
            .collect();
        tail_bytes += batch.iter().map(|r| r.bytes().len()).sum::<usize>();
        ledger.ingest_batch(batch, now)?;
        done += k;
        if done % every == 0 {
            // As the node does: its own state's revoked set, signed.
            let parts = ledger.read(|r| {
                r.issuer(&id)
                    .map(|s| issuer.inner().checkpoint(s.revoked_set(), now))
            });
            if let Some(parts) = parts.transpose()? {
                ledger.ingest_batch(parts, now)?;
                tail_bytes = 0;
            }
        }
    }
    ledger.ingest_batch(vec![issuer.head()], now)?;
    let mut others = Vec::new();
    for k in 1..issuers {
        let mut other = Issuer::new(1_000_000 + k as u64, now);
        others.extend(other.genesis());
        others.push(other.revoke(&[0]));
        if others.len() >= BUILD_BATCH {
            ledger.ingest_batch(std::mem::take(&mut others), now)?;
        }
    }
    ledger.ingest_batch(others, now)?;
    Ok((did, indices, tail_bytes))
}

/// A `badgemesh node run` child process.
struct ChildNode {
    child: Child,
    dir: PathBuf,
}

impl ChildNode {
    fn start(bin: &Path, dir: &Path, follow: &str, bootstrap: Option<&str>) -> Result<ChildNode> {
        let _ = std::fs::remove_file(dir.join("node.json"));
        let mut cmd = Command::new(bin);
        cmd.arg("--data-dir")
            .arg(dir)
            .args(["node", "run", "--listen", "/ip4/127.0.0.1/tcp/0"])
            .args(["--api", "127.0.0.1:0", "--no-mdns"])
            .env("BADGEMESH_FOLLOW", follow)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(b) = bootstrap {
            cmd.args(["--bootstrap", b]);
        }
        let child = cmd.spawn().context("starting badgemesh node run")?;
        Ok(ChildNode {
            child,
            dir: dir.to_owned(),
        })
    }

    /// Polls (20 ms) until `node.json` is written and `/healthz` answers.
    async fn wait_healthy(&mut self) -> Result<NodeInfo> {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("the node exited: {status}");
            }
            if let Ok(Some(info)) = NodeInfo::read(&self.dir)
                && get_text(&format!("{}/healthz", info.api)).await.is_ok()
            {
                return Ok(info);
            }
            if Instant::now() > deadline {
                bail!("the node did not answer in time");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ChildNode {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A process's resident memory (VmRSS), bytes.
fn rss(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or_else(|| anyhow!("no VmRSS for {pid}"))?;
    Ok(kb * 1024)
}

async fn get_text(url: &str) -> Result<String> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut r = ureq::get(&url).call()?;
        Ok(r.body_mut().read_to_string()?)
    })
    .await
    .map_err(|e| anyhow!("client: {e}"))?
}

async fn get_json(url: &str) -> Result<serde_json::Value> {
    Ok(serde_json::from_str(&get_text(url).await?)?)
}

/// The sum of a Prometheus metric's samples.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name) && !l.starts_with('#'))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// A plotted curve: its name and what it reads from a row.
type Curve = (&'static str, fn(&ScaleRow) -> f64);

/// Cost against size, log-log: restart and catch-up seconds, and memory
/// and store bytes per record.
fn plot(rows: &[ScaleRow]) -> Result<String> {
    use plotters::prelude::*;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 500)).into_drawing_area();
        root.fill(&WHITE)?;
        let (left, right) = root.split_horizontally(450);
        let xs = |r: &ScaleRow| r.records as f64;
        let max_x = rows.iter().map(xs).fold(10.0, f64::max) * 2.0;
        let min_x = rows.iter().map(xs).fold(f64::MAX, f64::min).min(max_x) / 2.0;
        let secs: [Curve; 2] = [
            ("restart (s)", |r| r.restart_secs),
            ("catch-up (s)", |r| r.catchup_secs),
        ];
        let per_record: [Curve; 3] = [
            ("RSS per record (B)", |r| r.rss_per_record),
            ("store per record (B)", |r| {
                r.store_bytes as f64 / r.records as f64
            }),
            ("catch-up sync bytes per record (B)", |r| {
                r.catchup_sync_bytes / r.records as f64
            }),
        ];
        for (area, title, series) in [
            (&left, "seconds against records", &secs[..]),
            (&right, "bytes per record against records", &per_record[..]),
        ] {
            let max_y = rows
                .iter()
                .flat_map(|r| series.iter().map(move |(_, f)| f(r)))
                .fold(1e-3, f64::max)
                * 2.0;
            let min_y = rows
                .iter()
                .flat_map(|r| series.iter().map(move |(_, f)| f(r)))
                .filter(|v| *v > 0.0)
                .fold(max_y, f64::min)
                / 2.0;
            let mut chart = ChartBuilder::on(area)
                .caption(title, ("sans-serif", 16))
                .margin(10)
                .x_label_area_size(35)
                .y_label_area_size(55)
                .build_cartesian_2d((min_x..max_x).log_scale(), (min_y..max_y).log_scale())?;
            chart.configure_mesh().x_desc("records").draw()?;
            for (k, (name, f)) in series.iter().enumerate() {
                let color = Palette99::pick(k).mix(1.0);
                chart
                    .draw_series(LineSeries::new(
                        rows.iter().map(|r| (xs(r), f(r).max(min_y))),
                        color.stroke_width(2),
                    ))?
                    .label(*name)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()?;
        }
        root.present()?;
    }
    Ok(svg)
}
