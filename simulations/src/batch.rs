//! The bulk verification route against the same work in process, measured
//! in the same run (issue #16: "an API that costs what the check costs").
//!
//! One node knows an issuer; `lines` native assertions by that issuer are
//! verified four ways, one after the other on the same machine:
//! - in process, one by one (`formats::verify_any`, one core);
//! - in process, in chunks of 256 with batched signatures
//!   (`formats::verify_batch`, one core), the work the route does per chunk
//!   minus trust assessment and JSON output;
//! - over HTTP, `POST /v1/verify/batch` with every line in one streamed
//!   request from one client (ureq), answers read as they come;
//! - the client's own ceiling: `GET /healthz` in a loop for two seconds.
//!
//! The ratio the issue asks for is the HTTP rate over the in-process batch
//! rate times the cores verification may use (the pool's workers).

use std::io::Read;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow};
use badgemesh_node::trust::held::HeldDocuments;
use badgemesh_node::verdict::formats::{Options, verify_any, verify_batch};
use badgemesh_protocol::testkit::Issuer;
use base64::Engine;
use indicatif::ProgressBar;

use crate::cluster::Cluster;
use crate::measure::{Delivery, Row, Traffic};
use crate::scenarios::{Outcome, Params};

/// Lines per in-process chunk, as the route's.
const CHUNK: usize = 256;

/// Runs the comparison with `lines` assertions.
pub async fn batch(p: &Params, lines: usize, pb: &ProgressBar) -> Result<Outcome> {
    let mut c = Cluster::new(p.base.join("batch"), p.settings.clone());
    pb.set_length(4);
    c.add(vec![]).await?;
    let node = c.nodes[0].node();
    let now = badgemesh_node::core::now();
    let mut issuer = Issuer::new(7, now);
    let mut records = issuer.genesis();
    let (badge, _) = issuer.badge_class("Audited");
    records.push(badge.clone());
    records.push(issuer.head());
    node.core().ledger.ingest_batch(records, now)?;
    let awards: Vec<Vec<u8>> = (0..lines)
        .map(|i| {
            issuer
                .award(&badge, &format!("learner{i}@example.org"))
                .bytes()
                .to_vec()
        })
        .collect();
    let inputs: Vec<&[u8]> = awards.iter().map(Vec::as_slice).collect();
    let held = HeldDocuments::in_data_dir(&node.config().data_dir);
    let opts = Options {
        held: Some(&held),
        ..Options::default()
    };

    // In process, one by one, then in chunks.
    let t = Instant::now();
    let single_valid = node.core().ledger.read(|r| {
        inputs
            .iter()
            .filter(|b| verify_any(b, Some(r), now, &opts).is_ok_and(|v| v["outcome"] == "valid"))
            .count()
    });
    let single_secs = t.elapsed().as_secs_f64();
    pb.inc(1);
    let t = Instant::now();
    let batch_valid = node.core().ledger.read(|r| {
        inputs
            .chunks(CHUNK)
            .flat_map(|chunk| verify_batch(chunk, Some(r), now, &opts))
            .filter(|v| v.as_ref().is_ok_and(|v| v["outcome"] == "valid"))
            .count()
    });
    let batch_secs = t.elapsed().as_secs_f64();
    pb.inc(1);

    // Over HTTP: one streamed request.
    let base = format!("http://{}", node.api_addr());
    let mut body = Vec::with_capacity(lines * 400);
    for a in &awards {
        body.push(b'"');
        body.extend(base64::engine::general_purpose::STANDARD.encode(a).bytes());
        body.extend(b"\"\n");
    }
    let url = format!("{base}/v1/verify/batch");
    let (http_secs, http_valid, answered) = tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let t = Instant::now();
        let mut resp = agent.post(&url).send(&body[..])?;
        let mut text = String::new();
        resp.body_mut()
            .with_config()
            .limit(u64::MAX)
            .reader()
            .read_to_string(&mut text)?;
        let secs = t.elapsed().as_secs_f64();
        let valid = text.matches("\"outcome\":\"valid\"").count();
        let answered = text.lines().count().saturating_sub(1);
        Ok::<_, anyhow::Error>((secs, valid, answered))
    })
    .await
    .map_err(|e| anyhow!("client: {e}"))??;
    pb.inc(1);

    // The client's ceiling.
    let health = format!("{base}/healthz");
    let healthz = tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut n = 0u64;
        let t = Instant::now();
        while Instant::now() < deadline {
            if agent.get(&health).call().is_ok() {
                n += 1;
            }
        }
        n as f64 / t.elapsed().as_secs_f64()
    })
    .await
    .map_err(|e| anyhow!("client: {e}"))?;
    pb.inc(1);

    let workers = node.config().verify_workers.max(1);
    let rate = |n: usize, secs: f64| n as f64 / secs.max(1e-9);
    let (single_rate, batch_rate, http_rate) = (
        rate(lines, single_secs),
        rate(lines, batch_secs),
        rate(answered, http_secs),
    );
    let ratio = http_rate / (batch_rate * workers as f64);
    let notes = vec![
        format!(
            "{lines} native assertions of one issuer, verified on one node ({} cores on this machine; the verification pool has {workers} worker(s)). Client: ureq, on the same machine.",
            crate::measure::cores()
        ),
        format!("in process, one by one (verify_any): {single_rate:.0}/s ({single_valid} valid)"),
        format!(
            "in process, chunks of {CHUNK} with batched signatures (verify_batch): {batch_rate:.0}/s ({batch_valid} valid)"
        ),
        format!(
            "HTTP POST /v1/verify/batch, one streamed request: {http_rate:.0}/s ({http_valid} valid of {answered} answered)"
        ),
        format!("the client's ceiling, GET /healthz one at a time: {healthz:.0}/s"),
        format!(
            "ratio: HTTP batch / (in-process batch x {workers} worker(s)) = {ratio:.2} (goal: at least 0.7)"
        ),
    ];
    if http_valid != lines || batch_valid != lines || single_valid != lines {
        // A rate of wrong answers measures nothing.
        return Err(anyhow!(
            "not every assertion verified: one by one {single_valid}, batch {batch_valid}, HTTP {http_valid} of {lines}"
        ));
    }
    let mut rows = Vec::new();
    for (name, r) in [
        ("in process, one by one", single_rate),
        ("in process, batched", batch_rate),
        ("HTTP batch", http_rate),
        ("GET /healthz", healthz),
    ] {
        let d = Delivery {
            latencies_ms: Vec::new(),
            delivered: lines,
            expected: lines,
        };
        rows.push(Row::new("batch", name, 1, lines, &d, Traffic::default(), r));
    }
    c.shutdown().await;
    Ok(Outcome {
        tables: Vec::new(),
        rows,
        notes,
        series: Vec::new(),
    })
}
