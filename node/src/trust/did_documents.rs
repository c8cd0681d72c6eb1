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

    /// The document of `did`, if held and still readable.
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
