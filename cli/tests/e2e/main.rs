//! End-to-end tests of the real `badgemesh` binary, run as separate processes
//! with temporary data directories and loopback ports.

mod audit;
mod backpack;
mod bad_input;
mod bundles;
mod certificate;
mod crash;
mod crash_loop;
mod endorse;
mod harness;
mod held_lists;
mod interop;
mod openbadgeslib;
mod operating;
mod pathway;
mod presentations;
mod publish;
mod quickstart;
mod storage;
mod trust;
