//! The badgemesh node: the long-lived process that issuers and verifiers run.
//!
//! - [`store`]: the durable redb store; [`ledger`]: the protocol's state
//!   machine in memory, backed by the store.
//! - [`network`]: libp2p (gossipsub, Kademlia, mDNS, identify, ping, and the
//!   sync request-response protocol); one task owns the swarm, everyone else
//!   holds a [`network::Client`].
//! - [`sync`]: anti-entropy rounds with peers.
//! - [`api`]: the local HTTP API.
//! - [`config`] and [`datadir`]: defaults, the TOML file, environment, and the
//!   files the node keeps (identity, admin token, issuer keys, `node.json`).
//! - [`node`]: starts all of the above and stops them cleanly.

pub mod api;
pub mod config;
pub mod core;
pub mod datadir;
pub mod did_documents;
pub mod formats;
pub mod held;
pub mod issuer;
pub mod ledger;
pub mod metrics;
pub mod network;
pub mod node;
pub mod ob2_keys;
pub mod sealed;
pub mod status_lists;
pub mod store;
pub mod sync;
