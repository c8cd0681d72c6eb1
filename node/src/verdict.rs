//! Verdicts: what the node answers when asked "is this badge genuine, whose,
//! for what, still valid, as of when?", whatever the format and whoever asks
//! (the HTTP API, the CLI without a node, the web page).
//!
//! - [`formats`]: one verification entry for every badge format.
//! - [`achievement`]: what an OB 3.0 credential says about its achievement
//!   and its award (alignments, results, credits, evidence...), to show.
//! - [`endorsements`]: endorsements embedded in an OB 3.0 credential, each
//!   verified like a credential.
//! - [`online`]: fetching what a verification needs first, when allowed.
//! - [`presentation`]: a Verifiable Presentation of several credentials,
//!   with its holder binding, challenge and domain.
//! - [`VerifyResponse`]: a native verdict with the names a person reads.
//!
//! Who issued it is the [`crate::trust`] layer's answer, added to every
//! verdict as its `trust` object.

pub mod achievement;
pub mod clr;
pub mod endorsements;
pub mod formats;
pub mod online;
pub mod pathway;
pub mod presentation;

use badgemesh_protocol::record::BadgeClass;
use badgemesh_protocol::state::{IssuerState, Registry};
use badgemesh_protocol::verify::Verdict;
use serde::Serialize;

/// A verdict with the names a person needs to read it.
#[derive(Debug, Serialize)]
pub struct VerifyResponse {
    /// The verdict.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// The issuer's name, if its profile is known.
    pub issuer_name: Option<String>,
    /// The issuer's URL.
    pub issuer_url: Option<String>,
    /// The badge class, if known.
    pub badge: Option<BadgeClass>,
}

impl VerifyResponse {
    /// Adds names from `r` to `verdict`.
    pub fn new(verdict: Verdict, r: &Registry) -> Self {
        let profile = r.issuer(&verdict.issuer).and_then(IssuerState::profile);
        VerifyResponse {
            issuer_name: profile.map(|p| p.name.clone()),
            issuer_url: profile.and_then(|p| p.url.clone()),
            badge: r.badge_class(&verdict.badge_class).map(|(b, _)| b.clone()),
            verdict,
        }
    }
}
