//! Who issued it, and what the node holds for other issuers.
//!
//! A signature proves that a key signed; it does not say whose key it is.
//! This layer holds what binds keys to organisations and what lets other
//! issuers' badges verify offline:
//!
//! - [`registries`]: the trust registries this node follows and the issuers
//!   its operator lists locally (a registry of one). Trust anchors are local
//!   configuration, never learned from gossip.
//! - [`assess`]: the `trust` object of a verdict: listed (by whom, as of
//!   when), not listed, de-listed, stale, and likely impersonation.
//! - [`confusables`]: names that look alike (Unicode TR39 skeletons).
//! - [`linkage`]: DIF Well-Known DID Configuration: writing an issuer's
//!   Domain Linkage Credential, and checking a domain's file once.
//! - [`held`] with [`did_documents`], [`ob2_keys`] and [`status_lists`]:
//!   outside documents the operator gives the node so that other issuers'
//!   badges verify offline; [`fetched`]: those the node fetched itself when
//!   allowed online, kept with their time.

pub mod assess;
pub mod confusables;
pub mod did_documents;
pub mod fetched;
pub mod held;
pub mod linkage;
pub mod ob2_keys;
pub mod registries;
pub mod revocation_lists;
pub mod state;
pub mod status_lists;
