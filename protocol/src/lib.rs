//! The badgemesh protocol core: pure logic, no I/O, no async, no clock.
//!
//! - [`keys`]: issuer identities (`did:key`, Ed25519) and signing keys.
//! - [`id`]: content ids (sha2-256 multihash of a payload, multibase text).
//! - [`envelope`]: the COSE_Sign1 envelope that carries payload bytes verbatim
//!   and binds protocol, version and record kind into every signature.
//! - [`record`]: the record kinds and [`record::SignedRecord`], which can only be
//!   made by signing or by decoding bytes that check out.
//! - [`state`]: the issuer state machine, [`state::Registry::apply`].
//! - [`verify`]: the verdict on an assertion against a registry.
//! - [`pathway`]: pathways in force, their graph, cycles and a holder's progress.
//!
//! Time and randomness come in as parameters, so every function here is
//! deterministic and tested with golden vectors and property tests.
//!
//! ```
//! use badgemesh_protocol::{keys::SecretKey, time::Timestamp, testkit::Issuer};
//! use badgemesh_protocol::state::Registry;
//! use badgemesh_protocol::verify::{verify, VerdictOutcome, VerifyOptions};
//!
//! let now = Timestamp(1_800_000_000);
//! let mut issuer = Issuer::new(1, now);
//! let mut node = Registry::new();
//! for r in issuer.genesis() {
//!     node.apply(r, now);
//! }
//! let (badge, _) = issuer.badge_class("Teamwork");
//! node.apply(badge.clone(), now);
//! let award = issuer.award(&badge, "ada@example.org");
//! let verdict = verify(award.bytes(), &node, now, &VerifyOptions::default()).unwrap();
//! assert_eq!(verdict.outcome, VerdictOutcome::Valid);
//! ```

pub mod bundle;
pub mod envelope;
pub mod id;
pub mod issuance;
pub mod keys;
pub mod limits;
pub mod pathway;
pub mod record;
pub mod state;
pub mod sync;
pub mod testkit;
pub mod time;
pub mod verify;
