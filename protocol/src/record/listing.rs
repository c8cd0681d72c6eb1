//! Registry listings: a trust registry's signed word on who an issuer is.
//!
//! A registry (an accreditation body, a ministry, a consortium) is an identity
//! like an issuer: its own `did:key`, key log and node. It publishes its list
//! as a chain of [`ListingUpdate`]s numbered 1, 2, 3, ... and chained by the
//! id of the previous one, exactly like revocation updates, so that "as of
//! list 17, signed two hours ago" can be said, a fork is an equivocation, and
//! a de-listing is a later signed record rather than a silent omission. A
//! re-signed [`Head`](super::Head) of kind `listing_head` says how fresh the
//! list is when nothing changed.
//!
//! The subject of a listing is an exact identifier string: a badgemesh issuer
//! DID, an OB 3.0 issuer id (`did:key`, `did:web`, an https URL) or an OB 2.0
//! issuer URL. Matching is by string equality, as DCC's registries do: an
//! identifier is not a name.

use minicbor::{Decode, Encode};

use super::check::{chained, list, long_text, opt_short_text, opt_url, short_text};
use crate::id::RecordId;
use crate::keys::IssuerId;
use crate::limits::{MAX_LIST, MAX_URL};
use crate::time::Timestamp;

/// What a registry says about one subject it vouches for (in JSON, absent
/// optional fields are null and absent domains empty).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize)]
#[cbor(map)]
pub struct Listing {
    /// The issuer identifier vouched for, exactly as badges carry it.
    #[n(0)]
    pub subject: String,
    /// The name the registry knows the organisation by.
    #[n(1)]
    pub name: String,
    /// The legal name, when it differs.
    #[n(2)]
    pub legal_name: Option<String>,
    /// Domains the registry checked belong to the organisation (host names).
    #[n(3)]
    #[serde(default)]
    pub domains: Vec<String>,
    /// ISO 3166-1 alpha-2 country code.
    #[n(4)]
    pub country: Option<String>,
    /// What the subject is recognised for, in words.
    #[n(5)]
    pub accreditation: Option<String>,
    /// A machine-readable kind of recognition, if the registry has a vocabulary.
    #[n(6)]
    pub accreditation_type: Option<String>,
    /// From when the listing holds.
    #[n(7)]
    pub valid_from: Option<Timestamp>,
    /// Until when the listing holds.
    #[n(8)]
    pub valid_until: Option<Timestamp>,
    /// When the registry saw the subject's domain linkage (DIF Well-Known DID
    /// Configuration) verify, if that is what it listed on.
    #[n(9)]
    pub domain_checked_at: Option<Timestamp>,
}

/// One change to a registry's list (in JSON: `{"change": "listed", ...}` or
/// `{"change": "delisted", "subject": ..., "reason": ...}`).
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum ListingChange {
    /// The subject is listed (or its listing replaced).
    #[n(0)]
    Listed(#[n(0)] Listing),
    /// The subject is no longer vouched for.
    #[n(1)]
    Delisted {
        /// The identifier de-listed.
        #[n(0)]
        subject: String,
        /// Why, in words.
        #[n(1)]
        reason: Option<String>,
    },
}

impl ListingChange {
    /// The identifier this change is about.
    pub fn subject(&self) -> &str {
        match self {
            ListingChange::Listed(l) => &l.subject,
            ListingChange::Delisted { subject, .. } => subject,
        }
    }
}

/// A signed batch of changes to a registry's list, chained like revocation
/// updates.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct ListingUpdate {
    /// The registry (an issuer identity).
    #[n(0)]
    pub registry: IssuerId,
    /// 1, 2, 3, ...
    #[n(1)]
    pub seq: u64,
    /// Id of update `seq - 1`; absent for the first.
    #[n(2)]
    pub prev: Option<RecordId>,
    /// When it was signed.
    #[n(3)]
    pub at: Timestamp,
    /// When the registry promises its next update or head at the latest.
    #[n(4)]
    pub next_update: Timestamp,
    /// The changes, at least one, each subject at most once.
    #[n(5)]
    pub changes: Vec<ListingChange>,
}

fn subject(s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > MAX_URL {
        return Err(format!("a subject is 1 to {MAX_URL} bytes"));
    }
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("a subject has no whitespace or control characters".into());
    }
    if !(s.starts_with("did:") || s.starts_with("https://") || s.starts_with("http://")) {
        return Err("a subject is a DID or an http(s) URL".into());
    }
    Ok(())
}

impl Listing {
    fn check_shape(&self) -> Result<(), String> {
        subject(&self.subject)?;
        short_text("name", &self.name)?;
        opt_short_text("legal_name", &self.legal_name)?;
        list("domains", &self.domains)?;
        for d in &self.domains {
            short_text("domain", d)?;
            if d.contains(['/', ' ', ':']) {
                return Err(format!("domain {d:?} is a host name, not a URL"));
            }
        }
        if let Some(c) = &self.country
            && !(c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
        {
            return Err("country is an ISO 3166-1 alpha-2 code such as \"FR\"".into());
        }
        if let Some(a) = &self.accreditation {
            long_text("accreditation", a)?;
        }
        opt_url("accreditation_type", &self.accreditation_type)?;
        if let (Some(from), Some(until)) = (self.valid_from, self.valid_until)
            && until < from
        {
            return Err("valid_until before valid_from".into());
        }
        Ok(())
    }
}

impl ListingUpdate {
    pub(crate) fn check_shape(&self) -> Result<(), String> {
        chained("listing", self.seq, self.prev)?;
        if self.changes.is_empty() || self.changes.len() > MAX_LIST {
            return Err(format!("an update makes 1 to {MAX_LIST} changes"));
        }
        let mut subjects: Vec<&str> = self.changes.iter().map(ListingChange::subject).collect();
        subjects.sort_unstable();
        if subjects.windows(2).any(|w| w[0] == w[1]) {
            return Err("a subject appears twice in one update".into());
        }
        for change in &self.changes {
            match change {
                ListingChange::Listed(l) => l.check_shape()?,
                ListingChange::Delisted { subject: s, reason } => {
                    subject(s)?;
                    opt_short_text("reason", reason)?;
                }
            }
        }
        if self.next_update < self.at {
            return Err("next update before this one".into());
        }
        Ok(())
    }
}
