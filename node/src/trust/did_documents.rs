//! DID documents the node holds for OB 3.0 issuers whose keys are not
//! `did:key`s (for example `did:web`, which only resolves over HTTPS).
//!
//! The operator fetches the issuer's DID document once (or carries it) and
//! adds it; proofs by the keys it lists under `assertionMethod` then verify
//! offline, with the document's `id` as the keys' controller.

use std::path::Path;

use badgemesh_openbadges::did::{DidDocument, DidError};

use crate::datadir::FileError;
use crate::trust::held::{HeldError, HeldFiles};

/// The directory, inside the data directory, that holds the documents.
pub const DID_DOCUMENTS_DIR: &str = "did-documents";
/// How many documents a node keeps.
pub const MAX_DID_DOCUMENTS: usize = 4096;

/// Why a document could not be added or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HeldDidError {
    /// Not a usable DID document.
    #[error("not a usable DID document: {0}")]
    Invalid(#[from] DidError),
    /// The document could not be stored.
    #[error(transparent)]
    Held(#[from] HeldError),
    /// The directory could not be read.
    #[error(transparent)]
    File(#[from] FileError),
    /// A fetched document is another DID's.
    #[error("the document fetched for {asked} is the document of {found}")]
    OtherDid {
        /// The DID resolved.
        asked: String,
        /// The document's `id`.
        found: String,
    },
}

/// Where a `did:web` DID's document is served (the did:web method: the
/// method-specific id is a host, `%3A` encoding a port, then optional path
/// segments after `:`; `/.well-known/did.json` without a path, `/did.json`
/// after one). `https`, except for a loopback host, which tests serve over
/// plain `http`.
pub fn did_web_url(did: &str) -> Option<String> {
    let id = did.strip_prefix("did:web:")?;
    let id = id.split(['#', '?']).next()?;
    let mut parts = id.split(':');
    let host = parts.next()?.replace("%3A", ":").replace("%3a", ":");
    let host_only = host.split(':').next().unwrap_or("");
    let valid = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~%".contains(c))
    };
    if !valid(host_only)
        || host
            .split(':')
            .nth(1)
            .is_some_and(|p| p.parse::<u16>().is_err())
    {
        return None;
    }
    let path: Vec<&str> = parts.collect();
    if path.iter().any(|p| !valid(p) || *p == "." || *p == "..") {
        return None;
    }
    let loopback = host_only == "localhost"
        || host_only
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let scheme = if loopback { "http" } else { "https" };
    Some(if path.is_empty() {
        format!("{scheme}://{host}/.well-known/did.json")
    } else {
        format!("{scheme}://{host}/{}/did.json", path.join("/"))
    })
}

#[cfg(test)]
mod tests {
    use super::did_web_url;

    #[test]
    fn did_web_urls_follow_the_method() {
        // The did:web method specification's examples.
        assert_eq!(
            did_web_url("did:web:w3c-ccg.github.io").as_deref(),
            Some("https://w3c-ccg.github.io/.well-known/did.json")
        );
        assert_eq!(
            did_web_url("did:web:w3c-ccg.github.io:user:alice").as_deref(),
            Some("https://w3c-ccg.github.io/user/alice/did.json")
        );
        assert_eq!(
            did_web_url("did:web:example.com%3A3000:user:alice").as_deref(),
            Some("https://example.com:3000/user/alice/did.json")
        );
        assert_eq!(
            did_web_url("did:web:127.0.0.1%3A8080#key-1").as_deref(),
            Some("http://127.0.0.1:8080/.well-known/did.json")
        );
        for bad in [
            "did:key:z6Mk",
            "did:web:",
            "did:web:exa mple.com",
            "did:web:example.com:..:etc",
            "did:web:example.com%3Ahttp",
            "did:web:evil.example/x",
            "did:web:a@b",
        ] {
            assert_eq!(did_web_url(bad), None, "{bad}");
        }
    }
}

/// The DID documents of one data directory.
#[derive(Debug, Clone)]
pub struct DidDocuments {
    files: HeldFiles,
}

impl DidDocuments {
    /// The documents kept in `data_dir`.
    pub fn in_data_dir(data_dir: &Path) -> DidDocuments {
        DidDocuments {
            files: HeldFiles::new(data_dir, DID_DOCUMENTS_DIR, MAX_DID_DOCUMENTS),
        }
    }

    /// Checks and stores (or replaces) a DID document, as given.
    pub fn add(&self, document: &[u8]) -> Result<DidDocument, HeldDidError> {
        let doc = DidDocument::parse(document)?;
        self.files.put(&doc.id, document)?;
        Ok(doc)
    }

    /// Stores a document fetched for `did`, if it is that DID's document.
    pub fn add_for(&self, did: &str, document: &[u8]) -> Result<DidDocument, HeldDidError> {
        let doc = DidDocument::parse(document)?;
        if doc.id != did {
            return Err(HeldDidError::OtherDid {
                asked: did.to_owned(),
                found: doc.id,
            });
        }
        self.files.put(&doc.id, document)?;
        Ok(doc)
    }

    /// The document of `did`, if held and still readable.
    /// The stored version of the document for `did`, if one is held.
    pub fn stamp(&self, did: &str) -> Option<crate::trust::held::FileStamp> {
        self.files.stamp(did)
    }

    /// The held document for `did`, if any.
    pub fn get(&self, did: &str) -> Option<DidDocument> {
        let bytes = self.files.get(did).ok().flatten()?;
        DidDocument::parse(&bytes).ok()
    }

    /// Every held document, sorted by DID.
    pub fn list(&self) -> Result<Vec<DidDocument>, HeldDidError> {
        let mut all: Vec<DidDocument> = self
            .files
            .all()?
            .iter()
            .filter_map(|b| DidDocument::parse(b).ok())
            .collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(all)
    }
}
