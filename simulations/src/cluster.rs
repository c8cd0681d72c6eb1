//! Many real nodes in one process, on loopback TCP, in a random connected
//! topology fixed by a seed, each watched for the moment it stores a record.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use badgemesh_node::config::Config;
use badgemesh_node::node::Node;
use badgemesh_protocol::id::RecordId;
use libp2p::Multiaddr;
use rand::rngs::StdRng;
use rand::seq::index::sample;

/// When each record was first stored by one node.
pub type Seen = Arc<Mutex<HashMap<RecordId, Instant>>>;

/// Settings shared by every node of a run.
#[derive(Clone, Debug)]
pub struct NodeSettings {
    /// Gossipsub heartbeat, ms.
    pub heartbeat_ms: u64,
    /// Seconds between periodic sync rounds.
    pub sync_secs: u64,
}

/// One simulated node.
pub struct SimNode {
    /// The node, while running.
    pub node: Option<Node>,
    /// Its first-seen times.
    pub seen: Seen,
    dir: PathBuf,
    /// The peers it was started with (a real node keeps its configured
    /// bootstrap peers across restarts).
    bootstrap: Vec<Multiaddr>,
}

impl SimNode {
    /// The running node.
    pub fn node(&self) -> &Node {
        self.node.as_ref().expect("node running")
    }
}

/// A set of nodes.
pub struct Cluster {
    /// The nodes, in start order.
    pub nodes: Vec<SimNode>,
    base: PathBuf,
    settings: NodeSettings,
}

fn watch(node: &Node) -> Seen {
    let seen: Seen = Arc::default();
    let mut rx = node.core().stored.subscribe();
    let map = seen.clone();
    tokio::spawn(async move {
        while let Ok(id) = rx.recv().await {
            map.lock()
                .expect("seen lock")
                .entry(id)
                .or_insert_with(Instant::now);
        }
    });
    seen
}

impl Cluster {
    /// An empty cluster whose nodes keep their small files under `base`.
    pub fn new(base: PathBuf, settings: NodeSettings) -> Cluster {
        Cluster {
            nodes: Vec::new(),
            base,
            settings,
        }
    }

    /// Starts `n` nodes; each dials `degree / 2` (at least one) random earlier
    /// nodes, which gives a connected graph of average degree about `degree`.
    pub async fn grow(
        &mut self,
        n: usize,
        degree: usize,
        rng: &mut StdRng,
        mut progress: impl FnMut(),
    ) -> Result<()> {
        let first = self.nodes.len();
        for i in first..first + n {
            let bootstrap = if i == 0 {
                vec![]
            } else {
                let k = (degree / 2).max(1).min(i);
                sample(rng, i, k)
                    .into_iter()
                    .flat_map(|j| self.addrs(j))
                    .collect()
            };
            self.add(bootstrap).await?;
            progress();
        }
        Ok(())
    }

    /// Starts one node dialing `bootstrap`; returns its index.
    pub async fn add(&mut self, bootstrap: Vec<Multiaddr>) -> Result<usize> {
        let i = self.nodes.len();
        let dir = self.base.join(format!("node-{i}"));
        let node = self.start(dir.clone(), bootstrap.clone(), None).await?;
        let seen = watch(&node);
        self.nodes.push(SimNode {
            node: Some(node),
            seen,
            dir,
            bootstrap,
        });
        Ok(i)
    }

    async fn start(
        &self,
        dir: PathBuf,
        bootstrap: Vec<Multiaddr>,
        listen: Option<Vec<String>>,
    ) -> Result<Node> {
        let mut c = Config::loopback(dir);
        if let Some(listen) = listen {
            c.listen = listen;
        }
        c.in_memory_store = true;
        c.heartbeat_ms = self.settings.heartbeat_ms;
        c.sync_interval_secs = self.settings.sync_secs;
        c.head_interval_secs = 3600;
        c.bootstrap = bootstrap.iter().map(ToString::to_string).collect();
        Node::start(c).await.context("starting a simulated node")
    }

    /// Stops node `i` (its in-memory state is lost, as on a fresh disk).
    pub async fn stop(&mut self, i: usize) {
        if let Some(n) = self.nodes[i].node.take() {
            n.shutdown().await;
        }
    }

    /// Restarts node `i` with an empty state on the address it had and with
    /// the bootstrap peers it was started with, as a real node keeps its port
    /// and its configuration.
    pub async fn restart(&mut self, i: usize) -> Result<()> {
        let bootstrap = self.nodes[i].bootstrap.clone();
        let listen: Vec<String> = self.nodes[i]
            .node
            .as_ref()
            .map(|n| {
                n.p2p_addrs()
                    .iter()
                    .map(|a| {
                        a.iter()
                            .filter(|p| !matches!(p, libp2p::multiaddr::Protocol::P2p(_)))
                            .collect::<Multiaddr>()
                            .to_string()
                    })
                    .collect()
            })
            .unwrap_or_default();
        self.stop(i).await;
        let listen = (!listen.is_empty()).then_some(listen);
        let node = self
            .start(self.nodes[i].dir.clone(), bootstrap, listen)
            .await?;
        self.nodes[i].seen = watch(&node);
        self.nodes[i].node = Some(node);
        Ok(())
    }

    /// Dialable addresses of node `i`.
    pub fn addrs(&self, i: usize) -> Vec<Multiaddr> {
        self.nodes[i]
            .node
            .as_ref()
            .map(Node::p2p_addrs)
            .unwrap_or_default()
    }

    /// Indices of running nodes.
    pub fn running(&self) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|i| self.nodes[*i].node.is_some())
            .collect()
    }

    /// Waits until every running node has at least one peer.
    pub async fn wait_connected(&self, limit: Duration) -> Result<Duration> {
        let start = Instant::now();
        loop {
            let mut all = true;
            for i in self.running() {
                if self.nodes[i]
                    .node()
                    .core()
                    .client
                    .peers()
                    .await
                    .map(|p| p.is_empty())
                    .unwrap_or(true)
                {
                    all = false;
                    break;
                }
            }
            if all {
                return Ok(start.elapsed());
            }
            if start.elapsed() > limit {
                return Err(anyhow!("nodes still without peers after {limit:?}"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until the gossip mesh is formed: every running node has a mesh
    /// peer and the mesh is one connected whole, so a record pushed anywhere
    /// reaches everyone without waiting for lazy gossip. (A node may stay
    /// below gossipsub's `MESH_N_LOW` for a prune backoff, a minute, when the
    /// peers it has were full; as a leaf it still gets every record.)
    pub async fn wait_mesh(&self, limit: Duration) -> Result<Duration> {
        let start = Instant::now();
        loop {
            let mesh = crate::measure::mesh_stats(self).await;
            if mesh.empty == 0 && mesh.components == 1 {
                return Ok(start.elapsed());
            }
            if start.elapsed() > limit {
                return Err(anyhow!("gossip mesh not formed after {limit:?}: {mesh}"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// When node `i` first stored `id`. The watcher subscribes to a node's
    /// stored records only once the node has started, and a restarted node can
    /// sync records before that: a record the ledger holds but the watcher
    /// missed counts as stored now (an upper bound of its arrival).
    pub fn seen(&self, i: usize, id: &RecordId) -> Option<Instant> {
        let mut seen = self.nodes[i].seen.lock().expect("seen lock");
        if let Some(t) = seen.get(id) {
            return Some(*t);
        }
        let held = self.nodes[i]
            .node
            .as_ref()
            .is_some_and(|n| n.core().ledger.read(|r| r.knows(id)));
        held.then(|| *seen.entry(*id).or_insert_with(Instant::now))
    }

    /// Waits until every node in `who` stored every id, or `limit` passes.
    /// Returns whether they all did.
    pub async fn wait_stored(&self, who: &[usize], ids: &[RecordId], limit: Duration) -> bool {
        let start = Instant::now();
        loop {
            if who
                .iter()
                .all(|&i| ids.iter().all(|id| self.seen(i, id).is_some()))
            {
                return true;
            }
            if start.elapsed() > limit {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Sum of a metric over running nodes.
    pub fn metric(&self, name: &str) -> f64 {
        self.running()
            .iter()
            .map(|&i| self.nodes[i].node().core().metrics.value(name))
            .sum()
    }

    /// Stops every node and removes their files.
    pub async fn shutdown(mut self) {
        for i in 0..self.nodes.len() {
            self.stop(i).await;
        }
        let _ = std::fs::remove_dir_all(&self.base);
    }
}
