//! OB 3.0 status list credentials the node holds for other issuers.
//!
//! A foreign OB 3.0 credential says where its revocation bit lives
//! (`credentialStatus.statusListCredential`). The operator fetches that
//! `BitstringStatusListCredential` (online, or carried) and adds it; it is
//! kept only if its proof verifies, and credentials pointing at it are then
//! checked against it offline, with its age shown. A credential whose list
//! is not held keeps an *unknown* status, never "not revoked".

use std::path::Path;

use badgemesh_openbadges::status_list::{
    StatusListError, VerifiedStatusList, parse_status_list_credential,
};

use crate::datadir::FileError;
use crate::trust::held::{HeldError, HeldFiles};

/// The directory, inside the data directory, that holds the lists.
pub const STATUS_LISTS_DIR: &str = "status-lists";
/// How many lists a node keeps.
pub const MAX_STATUS_LISTS: usize = 4096;

/// Why a list could not be added or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HeldListError {
    /// Not a status list credential, or its proof does not verify.
    #[error("not a verifiable BitstringStatusListCredential: {0}")]
    Invalid(#[from] StatusListError),
    /// The list has no `id`, so no credential can point at it.
    #[error("the status list credential has no id (the URL credentials point at)")]
    NoId,
    /// The list could not be stored.
    #[error(transparent)]
    Held(#[from] HeldError),
    /// The directory could not be read.
    #[error(transparent)]
    File(#[from] FileError),
}

/// The status lists of one data directory.
#[derive(Debug, Clone)]
pub struct StatusLists {
    files: HeldFiles,
}

impl StatusLists {
    /// The lists kept in `data_dir`.
    pub fn in_data_dir(data_dir: &Path) -> StatusLists {
        StatusLists {
            files: HeldFiles::new(data_dir, STATUS_LISTS_DIR, MAX_STATUS_LISTS),
        }
    }

    /// Verifies and stores (or replaces) a status list credential. The bytes
    /// are kept as given, so the proof can be checked again on every use.
    pub fn add(&self, credential: &[u8]) -> Result<VerifiedStatusList, HeldListError> {
        let list = parse_status_list_credential(credential)?;
        let id = list.id.clone().ok_or(HeldListError::NoId)?;
        self.files.put(&id, credential)?;
        Ok(list)
    }

    /// The verified list served at `url`, if held.
    pub fn get(&self, url: &str) -> Result<Option<VerifiedStatusList>, HeldListError> {
        match self.files.get(url)? {
            Some(bytes) => Ok(Some(parse_status_list_credential(&bytes)?)),
            None => Ok(None),
        }
    }

    /// Every held list that still verifies, sorted by URL.
    pub fn list(&self) -> Result<Vec<VerifiedStatusList>, HeldListError> {
        let mut all: Vec<VerifiedStatusList> = self
            .files
            .all()?
            .iter()
            .filter_map(|b| parse_status_list_credential(b).ok())
            .collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(all)
    }
}
