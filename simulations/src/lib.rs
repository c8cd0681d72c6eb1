//! Simulations of many badgemesh nodes: the harness behind the
//! `badgemesh-simulations` command. Each scenario starts real nodes (the real
//! node code, in one process, over loopback TCP), drives them, and measures
//! delivery, latency, gossip copies, bytes, verifications, CPU and memory.
//! [`model`] extrapolates past one machine with a discrete-event model.

pub mod attacker;
pub mod attacks;
pub mod batch;
pub mod cluster;
pub mod liar;
pub mod measure;
pub mod model;
pub mod route;
pub mod scale;
pub mod scenarios;
