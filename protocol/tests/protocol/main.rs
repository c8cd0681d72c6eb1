//! Integration tests of the protocol crate: one binary, one module per subject.

mod checkpoints;
mod endorsements;
mod golden;
mod listings;
mod pathways;
mod roundtrip;
mod state;
mod verify;
