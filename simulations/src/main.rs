//! The simulation harness: many real badgemesh nodes in one process on
//! loopback, driven through a scenario, measured, written as CSV, an SVG plot
//! and a summary.
//!
//! `cargo run --release -p badgemesh-simulations -- SCENARIO [--nodes N] [--seed S] [--out DIR]`

use badgemesh_simulations::{cluster, measure, scenarios};

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::{Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand::rngs::StdRng;

use cluster::NodeSettings;
use scenarios::{Outcome, Params};

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Scenario {
    /// N nodes, one issuer publishing badge classes and revocations at a steady rate.
    Propagation,
    /// Two halves receive different updates, then heal.
    Partition,
    /// A tenth of the nodes join after everything was published.
    LateJoin,
    /// Nodes leave and rejoin empty while the issuer publishes.
    Churn,
    /// A tenth of the peers flood forged and malformed records.
    ForgedFlood,
    /// An issuer sends conflicting updates to two halves.
    Equivocation,
    /// A discrete-event model, calibrated on a real run, extrapolated to 100,000 nodes.
    Model,
    /// Concurrent HTTP clients against one node's verify and status routes.
    Load,
    /// What history costs: restart, memory, store and a new node's catch-up
    /// for stores of `--sizes` records (needs the `badgemesh` binary built
    /// with the same profile).
    Scale,
    /// The bulk verification route (`POST /v1/verify/batch`) against the
    /// same work in process, in the same run (`--records` assertions).
    Batch,
    /// `POST /v1/verify` for one native assertion and one OB 3.0 credential
    /// under `wrk` (`--clients` connections, `--seconds` per run) against
    /// the same check in process, per core the node used.
    Route,
    /// Every attack of issue #13 at once against a fifth of the nodes while
    /// an honest issuer publishes, against a run without them.
    Attacks,
}

/// Runs a scenario and writes results.csv, latency.svg and summary.md.
#[derive(Debug, Parser)]
#[command(name = "badgemesh-simulations", version)]
struct Args {
    /// The scenario.
    #[arg(value_enum)]
    scenario: Scenario,
    /// Nodes.
    #[arg(long, default_value_t = 30)]
    nodes: usize,
    /// Average degree of the random topology.
    #[arg(long, default_value_t = 6)]
    degree: usize,
    /// Records to publish.
    #[arg(long, default_value_t = 40)]
    records: usize,
    /// Records per second.
    #[arg(long, default_value_t = 20.0)]
    rate: f64,
    /// Random seed (topology, churn, attackers).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Gossipsub heartbeat, ms.
    #[arg(long, default_value_t = 200)]
    heartbeat_ms: u64,
    /// Seconds between periodic sync rounds.
    #[arg(long, default_value_t = 2)]
    sync_secs: u64,
    /// Model: largest network to extrapolate to.
    #[arg(long, default_value_t = 100_000)]
    model_nodes: usize,
    /// Model: mean link latency, ms.
    #[arg(long, default_value_t = 50.0)]
    link_ms: f64,
    /// Load: concurrent clients.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Load: seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Scale: store sizes in records (comma separated).
    #[arg(long, value_delimiter = ',', default_values_t = [1_000usize, 10_000, 100_000])]
    sizes: Vec<usize>,
    /// Scale: issuers in each store (one with the updates, the others small).
    #[arg(long, default_value_t = 1)]
    issuers: usize,
    /// Attacks: which (comma separated; default all).
    #[arg(long, value_enum, value_delimiter = ',')]
    attack: Vec<badgemesh_simulations::attacks::Attack>,
    /// Output directory (default simulations/out/SCENARIO).
    #[arg(long)]
    out: Option<PathBuf>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    // Each node holds a few sockets and files; lift the soft limit.
    let _ = rlimit::increase_nofile_limit(65_536);
    let name = format!("{:?}", args.scenario).to_lowercase();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("simulations/out").join(&name));
    std::fs::create_dir_all(&out)?;
    let started = Instant::now();
    let pb = ProgressBar::new(0);
    pb.set_style(
        ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb.set_message(name.clone());
    let params = Params {
        nodes: args.nodes.max(2),
        degree: args.degree.max(2),
        records: args.records.max(2),
        rate: args.rate,
        settings: NodeSettings {
            heartbeat_ms: args.heartbeat_ms,
            sync_secs: args.sync_secs,
        },
        base: std::env::temp_dir().join(format!("badgemesh-sim-{}", std::process::id())),
    };
    let mut rng = StdRng::seed_from_u64(args.seed);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let outcome: Outcome = runtime.block_on(async {
        match args.scenario {
            Scenario::Propagation => scenarios::propagation(&params, &mut rng, &pb).await,
            Scenario::Partition => scenarios::partition(&params, &mut rng, &pb).await,
            Scenario::LateJoin => scenarios::late_join(&params, &mut rng, &pb).await,
            Scenario::Churn => scenarios::churn(&params, &mut rng, &pb).await,
            Scenario::ForgedFlood => scenarios::forged_flood(&params, &mut rng, &pb).await,
            Scenario::Equivocation => scenarios::equivocation(&params, &mut rng, &pb).await,
            Scenario::Attacks => {
                use badgemesh_simulations::attacks::{Attack, attacks};
                let which = if args.attack.is_empty() {
                    Attack::ALL.to_vec()
                } else {
                    args.attack.clone()
                };
                attacks(&params, &which, &mut rng, &pb).await
            }
            Scenario::Load => scenarios::load(&params, args.clients, args.seconds, &pb).await,
            Scenario::Scale => {
                badgemesh_simulations::scale::scale(&params, &args.sizes, args.issuers, &pb).await
            }
            Scenario::Batch => {
                badgemesh_simulations::batch::batch(&params, args.records, &pb).await
            }
            Scenario::Route => {
                badgemesh_simulations::route::route(&params, args.clients, args.seconds, &pb).await
            }
            Scenario::Model => {
                scenarios::model(&params, args.model_nodes, args.link_ms, &mut rng, &pb).await
            }
        }
    })?;
    pb.finish_and_clear();
    let _ = std::fs::remove_dir_all(&params.base);
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    measure::write_csv(&out, &outcome.rows)?;
    for (file, bytes) in &outcome.tables {
        std::fs::write(out.join(file), bytes)?;
    }
    if !outcome.series.is_empty() {
        measure::plot_cdf(&out, &format!("{name}: latency CDF"), &outcome.series)?;
    }
    measure::write_summary(
        &out,
        &format!("badgemesh simulation: {name}"),
        &command,
        &outcome.rows,
        &outcome.notes,
        started,
    )?;
    println!("{}", std::fs::read_to_string(out.join("summary.md"))?);
    println!("wrote {}", out.display());
    Ok(())
}
