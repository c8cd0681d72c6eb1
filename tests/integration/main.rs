//! One integration-test binary: one link step for all multi-node tests.
//! Every node listens on 127.0.0.1 with ephemeral ports.

mod api;
mod backpack;
mod batch;
mod clr;
mod dashboard;
mod endorsements;
mod forged;
mod front_door;
mod gossip;
mod held;
mod hosted_ob2;
mod kad_store;
mod openapi;
mod pathways;
mod pending;
mod presentations;
mod quota;
mod reads;
mod relay;
mod snapshots;
mod support;
mod sync_liar;
mod trust;
mod vc_api;
