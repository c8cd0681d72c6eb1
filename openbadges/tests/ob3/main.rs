//! Integration tests of badgemesh-openbadges: golden vectors (1EdTech OB 3.0,
//! W3C vc-di-eddsa), export/verify round trips, status lists, and the
//! cross-check with Digital Bazaar's JavaScript implementation.

mod budget;
mod did_web;
mod ecdsa;
mod fixtures;
mod golden;
mod interop;
mod jsonld_cases;
mod jwt;
mod proof_chains;
mod round_trip;
mod schema;
mod status;
