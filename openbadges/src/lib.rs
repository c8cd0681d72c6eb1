//! Open Badges 3.0 for badgemesh: pure, offline, byte-exact.
//!
//! - [`contexts`]: the pinned JSON-LD contexts; any other URL is an error.
//! - [`json`]: bounded JSON parsing and the safe-mode pre-pass.
//! - [`rdf`]: JSON-LD to RDF (oxjsonld) with the safe-mode checks.
//! - [`shapes`]: JSON-LD to RDF memoised by document shape (the fast path).
//! - [`canon`]: RDFC-1.0 canonicalization (rdf-canon).
//! - [`proof`]: Data Integrity proofs: `eddsa-rdfc-2022` (sign, verify),
//!   `eddsa-jcs-2022`, `ecdsa-rdfc-2019`, `ecdsa-jcs-2019` and, through [`sd`],
//!   `ecdsa-sd-2023` derived proofs (verify).
//! - [`credential`]: [`credential::verify_credential`], bytes to a [`credential::Verdict`].
//! - [`jwt`]: OB 3.0 credentials as VC-JWTs:
//!   [`jwt::verify_jwt_credential`], [`jwt::sign_jwt`], [`jwt::looks_like_jwt`].
//! - [`data_model`]: the VC Data Model's own rules (the VC API's issue and
//!   verify calls apply them).
//! - [`related_resource`]: `relatedResource` digests against the documents
//!   held byte for byte as served.
//! - [`schema`]: `credentialSchema` checks against the pinned OB 3.0 JSON Schemas.
//! - [`did`]: DID documents the verifier holds (keys that are not did:key),
//!   and did:key resolution.
//! - [`keys`]: verification keys (Ed25519, P-256, P-384, RSA) from
//!   Multikeys and JWKs.
//! - [`export`]: native assertion to a signed `OpenBadgeCredential`, and
//!   [`export::native_link`] back.
//! - [`presentation`]: Verifiable Presentations (shape, the holder's proof,
//!   challenge and domain); their credentials are verified by the caller.
//! - [`status_list`]: Bitstring Status Lists and their credentials.
//! - [`status_entry`]: a credential's `credentialStatus` entries.
//! - [`revocation_list`]: 1EdTech's legacy revocation lists (read-only).
//!
//! No I/O, no clock, no network: time comes in as a parameter and contexts
//! are compiled in.
//!
//! ```
//! use badgemesh_openbadges::credential::{verify_credential, Outcome, VerifyOptions};
//! use badgemesh_protocol::time::Timestamp;
//!
//! let bytes = br#"{"@context": ["https://www.w3.org/ns/credentials/v2"]}"#;
//! let verdict = verify_credential(bytes, Timestamp(1_800_000_000), &VerifyOptions::default())
//!     .expect("checks ran");
//! assert_eq!(verdict.outcome, Outcome::Invalid);
//! ```

pub mod canon;
pub mod clr;
pub mod contexts;
pub mod credential;
pub mod data_model;
pub mod did;
pub mod endorsement;
pub mod export;
pub mod jcs;
pub mod json;
pub mod jwt;
pub mod keys;
pub mod limits;
pub mod presentation;
pub mod proof;
pub mod rdf;
pub mod related_resource;
pub mod revocation_list;
pub mod schema;
pub mod sd;
pub mod shapes;
pub mod status_entry;
pub mod status_list;
