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
//! - [`verdict`]: one verification entry for every badge format, and the
//!   verdict it answers; [`trust`]: who issued it (followed registries, local
//!   listings, domain linkage) and the documents the node holds for other
//!   issuers (DID documents, OB 2.0 keys, status lists).
//! - [`fetch`]: bounded HTTP GETs of issuers' documents, only when the
//!   operator allows network access.
//! - [`backpack`]: the earner's badges, whatever their format, verified
//!   again whenever they are looked at, and their collections.
//! - [`node`]: starts all of the above and stops them cleanly.

pub mod api;
pub mod backpack;
pub mod backup;
pub mod config;
pub mod core;
pub mod datadir;
pub mod fetch;
pub mod issuer;
pub mod ledger;
pub mod metrics;
pub mod network;
pub mod node;
pub mod pathway_award;
pub mod sealed;
pub mod store;
pub mod sync;
pub mod trust;
pub mod verdict;
