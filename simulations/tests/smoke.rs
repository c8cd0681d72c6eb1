//! Every scenario at a small size: proves the harness works (CI runs these;
//! the full-size figures come from the release command in the README).

use badgemesh_simulations::cluster::NodeSettings;
use badgemesh_simulations::scenarios::{self, Params};
use indicatif::ProgressBar;
use rand::SeedableRng;
use rand::rngs::StdRng;

fn params(name: &str) -> Params {
    Params {
        nodes: 6,
        degree: 4,
        records: 6,
        rate: 50.0,
        settings: NodeSettings {
            heartbeat_ms: 100,
            sync_secs: 1,
        },
        base: std::env::temp_dir().join(format!("badgemesh-smoke-{name}-{}", std::process::id())),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_runs_and_delivers_everything() {
    let pb = ProgressBar::hidden();
    let mut rng = StdRng::seed_from_u64(1);
    let p = params("prop");
    let o = scenarios::propagation(&p, &mut rng, &pb)
        .await
        .expect("propagation");
    assert_eq!(o.rows[0].delivery, 1.0, "propagation delivery");
    let o = scenarios::partition(&params("part"), &mut rng, &pb)
        .await
        .expect("partition");
    assert_eq!(o.rows[0].delivery, 1.0, "partition heal delivery");
    let o = scenarios::late_join(&params("late"), &mut rng, &pb)
        .await
        .expect("late join");
    assert_eq!(o.rows[0].delivery, 1.0, "late joiners converge");
    let o = scenarios::churn(&params("churn"), &mut rng, &pb)
        .await
        .expect("churn");
    assert_eq!(o.rows[0].delivery, 1.0, "churned nodes converge");
    let o = scenarios::forged_flood(&params("flood"), &mut rng, &pb)
        .await
        .expect("forged flood");
    assert_eq!(o.rows[1].delivery, 1.0, "honest delivery under attack");
    assert!(
        o.rows[1].extra < 0.0,
        "attackers' mean score is negative: {}",
        o.rows[1].extra
    );
    let o = scenarios::equivocation(&params("eq"), &mut rng, &pb)
        .await
        .expect("equivocation");
    assert_eq!(o.rows[0].delivery, 1.0, "every node holds the proof");
    let o = scenarios::load(&params("load"), 2, 1, &pb)
        .await
        .expect("load");
    assert!(o.rows.iter().all(|r| r.records > 0), "both routes answered");
    // Every assertion valid whichever way it is verified (an error otherwise).
    let o = badgemesh_simulations::batch::batch(&params("batch"), 300, &pb)
        .await
        .expect("batch");
    assert!(o.rows.iter().all(|r| r.extra > 0.0), "every way has a rate");
    // Real child nodes restart on a store and a new one catches up (the
    // `badgemesh` binary is built for the CLI's tests in the same profile).
    let o = badgemesh_simulations::scale::scale(&params("scale"), &[200, 1_200], 3, &pb)
        .await
        .expect("scale");
    assert_eq!(o.tables.len(), 2, "scale.csv and scale.svg");
    let csv = String::from_utf8(o.tables[0].1.clone()).expect("utf-8");
    assert_eq!(csv.lines().count(), 3, "a header and two sizes: {csv}");
    // The single route under wrk against the same check in process (both
    // badges must verify as valid, or it fails).
    let o = badgemesh_simulations::route::route(&params("route"), 2, 1, &pb)
        .await
        .expect("route");
    assert!(o.rows.iter().all(|r| r.extra > 0.0), "every way has a rate");
    let o = scenarios::model(&params("model"), 10_000, 50.0, &mut rng, &pb)
        .await
        .expect("model");
    assert!(
        o.rows.iter().skip(1).all(|r| r.delivery == 1.0),
        "the model reaches every node"
    );
}

/// The attack harness at a small size: the honest issuer's records reach
/// every node under attack, no honest peer is graylisted, attackers are
/// penalised and the spam stays within its quota. (Latency ratios are
/// reported, not asserted: they are measurements, not pass/fail.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_attack_harness_runs_and_loses_nothing() {
    let pb = ProgressBar::hidden();
    let mut rng = StdRng::seed_from_u64(1);
    let (o, report) = badgemesh_simulations::attacks::attacks_with_report(
        &params("attacks"),
        &badgemesh_simulations::attacks::Attack::ALL,
        &mut rng,
        &pb,
    )
    .await
    .expect("attacks");
    for note in &o.notes {
        println!("{note}");
    }
    assert_eq!(o.rows[0].delivery, 1.0, "baseline delivery");
    assert_eq!(o.rows[1].delivery, 1.0, "delivery under attack");
    assert_eq!(report.honest_graylisted, 0, "{report:?}");
    assert!(report.attackers_penalised > 0, "{report:?}");
    let quota = badgemesh_protocol::state::Policy::DEFAULT_MAX_BYTES_PER_ISSUER;
    // The spam issuer's quota plus the honest issuer's few records.
    assert!(
        report.unfollowed_max_bytes <= quota + 256 * 1024,
        "{report:?}"
    );
}
