//! The single verification route against the same check in process, with a
//! load generator that is not the bottleneck (issue #16: "`POST /v1/verify`
//! at least 0.7 of the in-process rate per core in use, with the load
//! generator named and its own ceiling measured in the same run").
//!
//! One node (in this process) knows an issuer. For a native assertion and
//! an OB 3.0 credential of that issuer, in turn:
//! - in process: `formats::verify_any` in a loop on one thread, the whole
//!   verdict as the route builds it (held documents, trust, JSON);
//! - over HTTP: `wrk` (C, one thread, keep-alive connections) posting the
//!   same badge to `POST /v1/verify` for a few seconds, while this process's
//!   CPU time is read before and after, so "cores in use" is what the node
//!   really spent (the generator runs in its own process on the same cores);
//! - the generator's ceiling: `wrk` against `GET /healthz`.
//!
//! The ratio is the HTTP rate over (the in-process rate x the node's cores
//! in use). Needs `wrk` on the PATH (Debian: `apt-get install wrk`).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use badgemesh_node::trust::held::HeldDocuments;
use badgemesh_node::trust::state::TrustState;
use badgemesh_node::verdict::formats::{Options, verify_any};
use badgemesh_openbadges::export::{ExportInput, export_credential_json};
use badgemesh_protocol::record::Record;
use badgemesh_protocol::testkit::Issuer;
use indicatif::ProgressBar;

use crate::cluster::Cluster;
use crate::measure::{Delivery, Row, Traffic};
use crate::scenarios::{Outcome, Params};

/// How long each in-process loop runs.
const IN_PROCESS: Duration = Duration::from_secs(3);

/// One measured route.
struct Measured {
    name: &'static str,
    in_process: f64,
    http: f64,
    cores: f64,
    p99_ms: f64,
}

impl Measured {
    fn ratio(&self) -> f64 {
        self.http / (self.in_process * self.cores).max(1e-9)
    }
}

/// Runs the comparison: `connections` keep-alive connections for `seconds`
/// per HTTP run.
pub async fn route(
    p: &Params,
    connections: usize,
    seconds: u64,
    pb: &ProgressBar,
) -> Result<Outcome> {
    let wrk = which_wrk()?;
    let mut c = Cluster::new(p.base.join("route"), p.settings.clone());
    pb.set_length(5);
    c.add(vec![]).await?;
    let node = c.nodes[0].node();
    let now = badgemesh_node::core::now();
    let base = format!("http://{}", node.api_addr());
    let mut issuer = Issuer::new(7, now);
    let genesis = issuer.genesis();
    let profile = genesis
        .iter()
        .find_map(|r| match r.record() {
            Record::IssuerProfile(p) => Some(p.clone()),
            _ => None,
        })
        .ok_or_else(|| anyhow!("no profile in genesis"))?;
    let mut records = genesis;
    let (badge, badge_id) = issuer.badge_class("Routed");
    records.push(badge.clone());
    records.push(issuer.head());
    node.core().ledger.ingest_batch(records, now)?;
    let award = issuer.award(&badge, "ada@example.org");
    let (Record::BadgeClass(b), Record::Assertion(a)) = (badge.record(), award.record()) else {
        bail!("fixture records of the wrong kind");
    };
    let key = issuer.inner().current_key().clone();
    let ob3 = export_credential_json(
        &ExportInput {
            assertion: a,
            assertion_id: award.id(),
            badge: b,
            badge_id,
            profile: &profile,
            status_base_url: Some(&base),
        },
        &key,
    )?;
    // The same check the route makes: held documents and the trust state.
    let held = HeldDocuments::in_data_dir(&node.config().data_dir);
    let trust = TrustState::load(&node.config().data_dir, &node.config().registries)?;
    let opts = Options {
        held: Some(&held),
        trust: Some(&trust),
        ..Options::default()
    };
    let scripts = p.base.join("route-scripts");
    std::fs::create_dir_all(&scripts)?;

    let cpu = cpu_secs()?;
    let ceiling = run_wrk(&wrk, &format!("{base}/healthz"), None, connections, seconds)?;
    let ceiling_cores = (cpu_secs()? - cpu) / ceiling.secs;
    pb.inc(1);
    let mut measured = Vec::new();
    for (name, body) in [
        ("native assertion", award.bytes().to_vec()),
        ("OB 3.0 credential", ob3),
    ] {
        // A rate of wrong answers measures nothing: both must be valid.
        let outcome = node
            .core()
            .ledger
            .read(|r| verify_any(&body, Some(r), now, &opts).map(|v| v["outcome"].clone()));
        if outcome.as_ref().ok().and_then(|v| v.as_str()) != Some("valid") {
            bail!("the {name} does not verify as valid in process: {outcome:?}");
        }
        let in_process = node.core().ledger.read(|r| {
            let t = Instant::now();
            let mut n = 0u64;
            while t.elapsed() < IN_PROCESS {
                if verify_any(&body, Some(r), now, &opts).is_ok() {
                    n += 1;
                }
            }
            n as f64 / t.elapsed().as_secs_f64()
        });
        pb.inc(1);
        let file = scripts.join(format!("{}.body", measured.len()));
        std::fs::write(&file, &body)?;
        let cpu = cpu_secs()?;
        let run = run_wrk(
            &wrk,
            &format!("{base}/v1/verify"),
            Some(&file),
            connections,
            seconds,
        )?;
        let cores = (cpu_secs()? - cpu) / run.secs;
        if run.errors > 0 {
            bail!(
                "{} of the {name} requests were not answered 200",
                run.errors
            );
        }
        pb.inc(1);
        measured.push(Measured {
            name,
            in_process,
            http: run.rate,
            cores,
            p99_ms: run.p99_ms,
        });
    }
    let workers = node.config().verify_workers;
    c.shutdown().await;

    let mut notes = vec![format!(
        "one node in this process ({} cores on the machine, {workers} verification worker(s)); load generator: {} (1 thread, {connections} keep-alive connections, {seconds} s per run), a separate process on the same cores",
        crate::measure::cores(),
        wrk_version(&wrk)
    )];
    notes.push(format!(
        "the generator's ceiling, GET /healthz: {:.0}/s (p99 {:.2} ms), the node using {:.2} cores: {:.1} µs of the node's CPU per request is the floor of any route",
        ceiling.rate,
        ceiling.p99_ms,
        ceiling_cores,
        ceiling_cores * 1e6 / ceiling.rate.max(1e-9)
    ));
    let mut rows = Vec::new();
    for m in &measured {
        notes.push(format!(
            "{}: in process {:.0}/s on one core ({:.1} µs each); HTTP POST /v1/verify {:.0}/s (p99 {:.2} ms) with the node using {:.2} cores, so {:.0}/s per core ({:.1} µs of CPU each); ratio {:.2} (goal: at least 0.7)",
            m.name,
            m.in_process,
            1e6 / m.in_process.max(1e-9),
            m.http,
            m.p99_ms,
            m.cores,
            m.http / m.cores.max(1e-9),
            m.cores * 1e6 / m.http.max(1e-9),
            m.ratio()
        ));
        for (what, rate) in [("in process", m.in_process), ("HTTP", m.http)] {
            let d = Delivery {
                latencies_ms: Vec::new(),
                delivered: 1,
                expected: 1,
            };
            let label = format!("{}, {what}", m.name);
            rows.push(Row::new(
                "route",
                &label,
                1,
                1,
                &d,
                Traffic::default(),
                rate,
            ));
        }
    }
    Ok(Outcome {
        tables: Vec::new(),
        rows,
        notes,
        series: Vec::new(),
    })
}

/// What one `wrk` run printed.
struct WrkRun {
    rate: f64,
    p99_ms: f64,
    errors: u64,
    secs: f64,
}

fn which_wrk() -> Result<String> {
    let ok = Command::new("wrk")
        .arg("--version")
        .output()
        .is_ok_and(|o| !o.stdout.is_empty() || !o.stderr.is_empty());
    if !ok {
        bail!("the route scenario needs wrk on the PATH (Debian: apt-get install wrk)");
    }
    Ok("wrk".into())
}

fn wrk_version(wrk: &str) -> String {
    Command::new(wrk)
        .arg("--version")
        .output()
        .map(|o| {
            let text = String::from_utf8_lossy(&o.stdout).into_owned()
                + &String::from_utf8_lossy(&o.stderr);
            text.lines()
                .next()
                .unwrap_or("wrk")
                .split(" [")
                .next()
                .unwrap_or("wrk")
                .trim()
                .to_owned()
        })
        .unwrap_or_else(|_| "wrk".into())
}

/// Runs `wrk` against `url`, posting the file `body` when given.
fn run_wrk(
    wrk: &str,
    url: &str,
    body: Option<&Path>,
    connections: usize,
    seconds: u64,
) -> Result<WrkRun> {
    let mut cmd = Command::new(wrk);
    cmd.args(["-t1", &format!("-c{connections}"), &format!("-d{seconds}s")])
        .arg("--latency");
    if let Some(body) = body {
        let script = body.with_extension("lua");
        std::fs::write(
            &script,
            format!(
                "local f = io.open({:?}, \"rb\")\nwrk.method = \"POST\"\nwrk.body = f:read(\"*a\")\nf:close()\nwrk.headers[\"Content-Type\"] = \"application/octet-stream\"\n",
                body.display().to_string()
            ),
        )?;
        cmd.arg("-s").arg(&script);
    }
    cmd.arg(url);
    let t = Instant::now();
    let out = cmd.output().context("running wrk")?;
    let secs = t.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!("wrk failed: {text}{}", String::from_utf8_lossy(&out.stderr));
    }
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix))
            .map(str::trim)
    };
    let rate = field("Requests/sec:")
        .and_then(|v| v.parse::<f64>().ok())
        .ok_or_else(|| anyhow!("no rate in wrk's output: {text}"))?;
    let p99_ms = field("99%").map(parse_duration_ms).unwrap_or(f64::NAN);
    let errors = field("Non-2xx or 3xx responses:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Ok(WrkRun {
        rate,
        p99_ms,
        errors,
        secs,
    })
}

/// "1.23ms", "456.00us", "1.02s" as milliseconds.
fn parse_duration_ms(v: &str) -> f64 {
    let (num, scale) = if let Some(n) = v.strip_suffix("us") {
        (n, 1e-3)
    } else if let Some(n) = v.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1e3)
    } else {
        (v, f64::NAN)
    };
    num.trim().parse::<f64>().map_or(f64::NAN, |n| n * scale)
}

/// CPU seconds (user and system) this process has used.
fn cpu_secs() -> Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // Fields after the command name, which is in parentheses.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, r)| r)
        .ok_or_else(|| anyhow!("unreadable /proc/self/stat"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 here.
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok());
    let (Some(user), Some(system)) = (ticks(11), ticks(12)) else {
        bail!("unreadable /proc/self/stat");
    };
    // USER_HZ is 100 on Linux.
    Ok((user + system) / 100.0)
}
