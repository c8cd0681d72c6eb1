//! Counters exported at `/metrics` in the Prometheus text format.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels naming an outcome or a record kind.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Label {
    /// The value.
    pub name: String,
}

/// The node's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Gossip messages by validation result (accepted, rejected, ignored).
    pub gossip: Family<Label, Counter>,
    /// Completed sync rounds.
    pub sync_rounds: Counter,
    /// Records applied by sync.
    pub sync_records: Counter,
    /// Bytes of sync requests sent and responses received.
    pub sync_bytes: Counter,
    /// Sync requests sent.
    pub sync_requests: Counter,
    /// Verifications served.
    pub verify_count: Counter,
    /// Verification latency in seconds.
    pub verify_latency: Histogram,
    /// Connected peers.
    pub peers: Gauge,
    /// Stored records by kind.
    pub records: Family<Label, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("badgemesh");
        let gossip = Family::<Label, Counter>::default();
        let sync_rounds = Counter::default();
        let sync_records = Counter::default();
        let sync_bytes = Counter::default();
        let sync_requests = Counter::default();
        let verify_count = Counter::default();
        let verify_latency = Histogram::new(exponential_buckets(0.000_01, 4.0, 10));
        let peers = Gauge::default();
        let records = Family::<Label, Gauge>::default();
        registry.register(
            "gossip_messages",
            "Gossip messages by validation result",
            gossip.clone(),
        );
        registry.register("sync_rounds", "Completed sync rounds", sync_rounds.clone());
        registry.register(
            "sync_records",
            "Records applied by sync",
            sync_records.clone(),
        );
        registry.register(
            "sync_bytes",
            "Bytes of sync requests sent and responses received",
            sync_bytes.clone(),
        );
        registry.register("sync_requests", "Sync requests sent", sync_requests.clone());
        registry.register("verify", "Verifications served", verify_count.clone());
        registry.register(
            "verify_seconds",
            "Verification latency",
            verify_latency.clone(),
        );
        registry.register("peers", "Connected peers", peers.clone());
        registry.register("records", "Stored records by kind", records.clone());
        Metrics {
            registry,
            gossip,
            sync_rounds,
            sync_records,
            sync_bytes,
            sync_requests,
            verify_count,
            verify_latency,
            peers,
            records,
        }
    }
}

impl Metrics {
    /// Counts a gossip message.
    pub fn gossip(&self, result: &str) {
        self.gossip
            .get_or_create(&Label {
                name: result.to_owned(),
            })
            .inc();
    }

    /// The registry, for libp2p's own gossipsub and bandwidth metrics.
    pub fn registry_mut(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// The value of a counter or gauge in the text exposition: the sum over
    /// all label sets of lines starting with `name` (which may include a label
    /// set, as in `name{label="value"}`).
    pub fn value(&self, name: &str) -> f64 {
        self.render()
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter(|l| {
                if name.contains('{') {
                    l.starts_with(name)
                } else {
                    l.split(['{', ' ']).next() == Some(name)
                }
            })
            .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
            .sum()
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
