//! The Grafana dashboard in `deploy/` asks only for what nodes export: every
//! metric its queries name is in a working node's `/metrics` (two nodes on
//! loopback, an issuer's records gossiped from one to the other), and every
//! label a legend or a `by (...)` uses is on that metric's series.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use badgemesh_tests::{TestNode, get, wait_until};
use serde_json::Value;

use crate::support::{create_badge, init_issuer};

const DASHBOARD: &str = include_str!("../../deploy/grafana-dashboard.json");

/// Series names and their label keys, from the Prometheus text format.
fn exported(text: &str, into: &mut BTreeMap<String, BTreeSet<String>>) {
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let name_end = line.find(['{', ' ']).unwrap_or(line.len());
        let labels = into.entry(line[..name_end].to_owned()).or_default();
        if let (Some(open), Some(close)) = (line.find('{'), line.find('}')) {
            for pair in line[open + 1..close].split(',') {
                if let Some((k, _)) = pair.split_once('=') {
                    labels.insert(k.trim().to_owned());
                }
            }
        }
    }
}

/// The `badgemesh_...` names in a query.
fn metrics_in(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = expr;
    while let Some(i) = rest.find("badgemesh_") {
        let tail = &rest[i..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        out.push(tail[..end].to_owned());
        rest = &tail[end..];
    }
    out
}

/// Labels a panel target groups or names by: `{{x}}` and `by (x, y)`.
fn labels_in(expr: &str, legend: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = legend;
    while let Some(i) = rest.find("{{") {
        let tail = &rest[i + 2..];
        let end = tail.find("}}").unwrap_or(tail.len());
        out.push(tail[..end].trim().to_owned());
        rest = &tail[end..];
    }
    let mut rest = expr;
    while let Some(i) = rest.find("by (") {
        let tail = &rest[i + 4..];
        let end = tail.find(')').unwrap_or(tail.len());
        out.extend(tail[..end].split(',').map(|l| l.trim().to_owned()));
        rest = &tail[end..];
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_queries_only_what_nodes_export() {
    let a = TestNode::start(vec![]).await;
    let b = TestNode::start(a.addrs()).await;
    init_issuer(&a, "Dashboard Academy").await;
    let badge = create_badge(&a, "Observed").await;
    let id = badge.parse().expect("badge id");
    wait_until("the badge class at B", Duration::from_secs(30), || async {
        b.node()
            .core()
            .ledger
            .read(|r| r.badge_class(&id).is_some())
    })
    .await;
    let mut series = BTreeMap::new();
    for n in [&a, &b] {
        let m = get(n.url("/metrics")).await;
        assert_eq!(m.status, 200);
        exported(&String::from_utf8_lossy(&m.bytes), &mut series);
    }
    let dashboard: Value = serde_json::from_str(DASHBOARD).expect("the dashboard is JSON");
    let mut checked = 0;
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().expect("expr");
            let legend = target["legendFormat"].as_str().unwrap_or("");
            let names = metrics_in(expr);
            assert!(!names.is_empty(), "{expr}");
            for name in &names {
                let labels = series.get(name).unwrap_or_else(|| {
                    panic!(
                        "panel {:?} asks for {name}, which no node exports; exported: {:?}",
                        panel["title"],
                        series.keys().collect::<Vec<_>>()
                    )
                });
                for label in labels_in(expr, legend) {
                    // Prometheus adds `instance` when it scrapes; `le` is
                    // every histogram bucket's.
                    if label == "instance" || label == "le" {
                        continue;
                    }
                    assert!(
                        labels.contains(&label),
                        "panel {:?}: {name} has no label {label:?} (it has {labels:?})",
                        panel["title"]
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "{checked} queries checked");
}
