//! Starting and stopping a whole node.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use libp2p::multiaddr::Protocol;
use libp2p::{Multiaddr, PeerId, identity};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::info;

use crate::api::{AppState, router};
use crate::config::{Config, ConfigError};
use crate::core::{Core, now};
use crate::datadir::{self, FileError, NodeInfo};
use crate::issuer::{IssuerOpError, LocalIssuer};
use crate::ledger::Ledger;
use crate::metrics::Metrics;
use crate::network::{self, NetConfig, NetError};
use crate::store::StoreError;
use crate::sync::{Scheduler, gossip_worker};

/// Why a node could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A file in the data directory.
    #[error(transparent)]
    File(#[from] FileError),
    /// The store.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The issuer file.
    #[error("issuer: {0}")]
    Issuer(#[from] IssuerOpError),
    /// The network.
    #[error(transparent)]
    Net(#[from] NetError),
    /// The trust anchors (`trust.json`, `[[registries]]`).
    #[error("trust anchors: {0}")]
    Trust(String),
    /// The earner's key (`earner.key`) cannot be opened.
    #[error("backpack: {0}")]
    Holder(#[from] crate::backpack::holder::HolderError),
    /// The API address.
    #[error("cannot serve the API on {addr}: {source}")]
    Api {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

impl NodeError {
    /// Whether the node could not start because of a full disk or a
    /// read-only data directory (the command exits with its own status).
    pub fn storage_problem(&self) -> Option<datadir::StorageProblem> {
        match self {
            NodeError::File(f) => f.storage_problem(),
            NodeError::Holder(crate::backpack::holder::HolderError::File(f)) => f.storage_problem(),
            NodeError::Store(s) => s.storage_problem(),
            NodeError::Issuer(IssuerOpError::File(f)) => f.storage_problem(),
            NodeError::Issuer(IssuerOpError::Store(s)) => s.storage_problem(),
            NodeError::Issuer(IssuerOpError::Unstored { source, .. }) => source.storage_problem(),
            _ => None,
        }
    }
}

/// A running node.
#[derive(Debug)]
pub struct Node {
    core: Core,
    issuer: Arc<LocalIssuer>,
    api_addr: SocketAddr,
    verify_pool: crate::api::VerifyPool,
    listen: Vec<Multiaddr>,
    token: String,
    config: Config,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Node {
    /// Starts a node: opens the store, the network and the API, and writes
    /// `node.json` once it listens.
    pub async fn start(config: Config) -> Result<Node, NodeError> {
        let dir = config.data_dir.clone();
        datadir::ensure_dir(&dir)?;
        // Before anything is opened: a read-only or full data directory stops
        // the node here, with nothing in it changed.
        datadir::check_writable(&dir)?;
        let seed = datadir::load_or_create_secret(&dir.join(datadir::IDENTITY_FILE), || {
            datadir::random::<32>().to_vec()
        })?;
        let key = identity::Keypair::ed25519_from_bytes(seed).map_err(|e| FileError {
            path: dir.join(datadir::IDENTITY_FILE),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
        })?;
        let token = datadir::load_or_create_secret(&dir.join(datadir::TOKEN_FILE), || {
            hex::encode(datadir::random::<32>()).into_bytes()
        })?;
        let token = String::from_utf8_lossy(&token).trim().to_owned();

        let trust = Arc::new(
            crate::trust::state::TrustState::load(&config.data_dir, &config.registries)
                .map_err(|e| NodeError::Trust(e.to_string()))?,
        );
        let mut policy = config.policy()?;
        // Keep the listings of followed registries, and this node's own.
        policy.registries.extend(trust.anchors().registry_ids());
        policy.registries.extend(crate::issuer::stored_issuer_id(
            &dir.join(datadir::ISSUER_FILE),
        ));
        let ledger = {
            let path = dir.join(datadir::STORE_FILE);
            let in_memory = config.in_memory_store;
            let open = move || {
                if in_memory {
                    Ledger::in_memory(now(), policy)
                } else {
                    Ledger::open_with(&path, now(), policy)
                }
            };
            Arc::new(
                tokio::task::spawn_blocking(open)
                    .await
                    .map_err(|e| StoreError::Corrupt(e.to_string()))??,
            )
        };
        let passphrase = config.passphrase()?;
        let issuer = Arc::new(LocalIssuer::load(
            dir.join(datadir::ISSUER_FILE),
            &ledger,
            passphrase.as_deref(),
        )?);
        let holder = Arc::new(crate::backpack::holder::HolderKey::load(
            dir.join(crate::backpack::holder::EARNER_FILE),
            passphrase.as_deref(),
        )?);

        let net_config = NetConfig {
            listen: config.listen_addrs()?,
            bootstrap: config.bootstrap_addrs()?,
            mdns: config.mdns,
            discovery: config.discovery,
            target_peers: config.target_peers,
            heartbeat: config.heartbeat(),
            relay_server: config.relay_server,
            relays: config.relay_addrs()?,
            announce: config.announce_addrs()?,
            upnp: config.upnp,
        };
        let mut metrics = Metrics::default();
        let (client, event_loop, events) =
            network::new(key, net_config, ledger.clone(), metrics.registry_mut())?;
        let mut tasks = vec![tokio::spawn(event_loop.run())];
        let (stored, _) = tokio::sync::broadcast::channel(4096);
        let core = Core {
            ledger,
            client,
            metrics: Arc::new(metrics),
            stored,
        };
        let scheduler = Scheduler::default();
        let api_scheduler = scheduler.clone();
        tasks.push(tokio::spawn(gossip_worker(
            core.clone(),
            scheduler.clone(),
            events,
        )));
        tasks.push(tokio::spawn(periodic_sync(
            core.clone(),
            scheduler,
            Duration::from_secs(config.sync_interval_secs.max(1)),
        )));
        tasks.push(tokio::spawn(periodic_heads(
            core.clone(),
            issuer.clone(),
            Duration::from_secs(config.head_interval_secs.max(1)),
        )));

        let listener = tokio::net::TcpListener::bind(config.api)
            .await
            .map_err(|source| NodeError::Api {
                addr: config.api,
                source,
            })?;
        let api_addr = listener.local_addr().map_err(|source| NodeError::Api {
            addr: config.api,
            source,
        })?;
        if !api_addr.ip().is_loopback() {
            tracing::warn!(
                api = %api_addr,
                "the API listens on a non-loopback address: anyone who can reach it can read this node's records, peers and metrics and make it verify badges; only the admin routes need the token"
            );
        }
        let verify_pool = crate::api::VerifyPool::new(config.verify_workers, config.verify_queue);
        let (stop, mut stopped) = watch::channel(false);
        let app = router(
            AppState {
                core: core.clone(),
                issuer: issuer.clone(),
                holder,
                token: Arc::new(token.clone()),
                api_addr,
                held: crate::trust::held::HeldDocuments::in_data_dir(&config.data_dir),
                trust,
                scheduler: api_scheduler,
                verify_pool: verify_pool.clone(),
                front: Arc::new(crate::api::FrontDoor::new(api_addr, &config.api_hosts)),
                online: crate::verdict::online::Online::new(
                    crate::fetch::Fetcher::new(std::time::Duration::from_secs(
                        config.fetch_timeout_secs,
                    )),
                    config.fetch,
                ),
                batches: Arc::new(tokio::sync::Semaphore::new(crate::api::MAX_BATCH_STREAMS)),
                max_body: config.max_body_bytes,
            },
            config.max_body_bytes,
        );
        tasks.push(tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!("API server failed: {e}");
            }
        }));

        let listen = wait_for_listen_addrs(&core).await?;
        let peer_id = core.client.peer_id();
        let node = Node {
            core,
            issuer,
            api_addr,
            verify_pool,
            listen,
            token,
            config,
            stop,
            tasks,
        };
        NodeInfo {
            peer_id: peer_id.to_string(),
            api: format!("http://{api_addr}"),
            listen: node.p2p_addrs().iter().map(ToString::to_string).collect(),
            pid: std::process::id(),
        }
        .write(&dir)?;
        info!(%peer_id, api = %api_addr, "node started");
        Ok(node)
    }

    /// Shared handles, for embedding and tests.
    pub fn core(&self) -> &Core {
        &self.core
    }

    /// The local issuer.
    pub fn issuer(&self) -> &Arc<LocalIssuer> {
        &self.issuer
    }

    /// Where the API listens.
    pub fn api_addr(&self) -> SocketAddr {
        self.api_addr
    }

    /// The pool the API verifies in (its statistics, and a gate for tests).
    pub fn verify_pool(&self) -> &crate::api::VerifyPool {
        &self.verify_pool
    }

    /// The admin token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The peer id.
    pub fn peer_id(&self) -> PeerId {
        self.core.client.peer_id()
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Listen addresses with `/p2p/<peer id>`, ready to give to another node.
    pub fn p2p_addrs(&self) -> Vec<Multiaddr> {
        let p = self.peer_id();
        self.listen
            .iter()
            .map(|a| a.clone().with(Protocol::P2p(p)))
            .collect()
    }

    /// Stops the API and the network and waits for the tasks to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        self.core.client.shutdown().await;
        for t in &self.tasks {
            t.abort();
        }
        for t in self.tasks {
            let _ = t.await;
        }
        let _ = std::fs::remove_file(self.config.data_dir.join(datadir::NODE_INFO_FILE));
    }
}

async fn wait_for_listen_addrs(core: &Core) -> Result<Vec<Multiaddr>, NetError> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let addrs = core.client.listen_addrs().await?;
        if !addrs.is_empty() || tokio::time::Instant::now() > deadline {
            return Ok(addrs);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn periodic_sync(core: Core, scheduler: Scheduler, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tick.tick().await;
        if let Ok(peers) = core.client.peers().await {
            for p in peers {
                if let Ok(peer) = p.peer_id.parse() {
                    scheduler.start(&core, peer);
                }
            }
        }
    }
}

async fn periodic_heads(core: Core, issuer: Arc<LocalIssuer>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tick.tick().await;
        if let Err(e) = issuer.heartbeat(&core).await {
            tracing::warn!("could not re-sign the head: {e}");
        }
    }
}
