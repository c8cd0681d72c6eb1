//! Documents the operator gives the node to hold, one file per URL.
//!
//! Outside documents a verifier needs offline (an OB 2.0 issuer's key, an
//! OB 3.0 issuer's status list) are named by URL. Each is kept as one file
//! in a subdirectory of the data directory, named by the SHA-256 of its URL
//! and written atomically, so adding one is all or nothing and a running
//! node sees it on its next verification. A document held under a URL that
//! it does not name itself (a status list served somewhere other than its
//! `id`) also keeps that URL beside it ([`HeldFiles::put_at`]), so listings
//! can say where it is held; the file's time says since when.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::datadir::{FileError, write_atomic};
use crate::trust::did_documents::DidDocuments;
use crate::trust::fetched::FetchedDocuments;
use crate::trust::ob2_keys::Ob2Keys;
use crate::trust::revocation_lists::RevocationLists;
use crate::trust::status_lists::StatusLists;

/// Everything the operator gave the node to hold, for verification.
#[derive(Debug, Clone)]
pub struct HeldDocuments {
    /// OB 2.0 issuer keys.
    pub ob2_keys: Ob2Keys,
    /// Other issuers' OB 3.0 status lists.
    pub status_lists: StatusLists,
    /// DID documents of issuers whose keys are not did:keys.
    pub dids: DidDocuments,
    /// Documents fetched from issuers' sites (online mode), with their time.
    pub fetched: FetchedDocuments,
    /// OB 2.0 issuers' revocation lists and OB 3.0 `1EdTechRevocationList`s.
    pub revocation_lists: RevocationLists,
}

impl HeldDocuments {
    /// The documents held in `data_dir`.
    pub fn in_data_dir(data_dir: &Path) -> HeldDocuments {
        HeldDocuments {
            ob2_keys: Ob2Keys::in_data_dir(data_dir),
            status_lists: StatusLists::in_data_dir(data_dir),
            dids: DidDocuments::in_data_dir(data_dir),
            fetched: FetchedDocuments::in_data_dir(data_dir),
            revocation_lists: RevocationLists::in_data_dir(data_dir),
        }
    }
}

/// One stored version of a held document (see [`HeldFiles::stamp`]). File
/// times tick by the kernel's coarse clock (milliseconds), so two writes of
/// the same length may share one; every write is a new file renamed into
/// place, so the inode tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    len: u64,
    modified: std::time::SystemTime,
    inode: u64,
}

/// A held document and the URL it is held under, when that was kept.
pub type UrlAndBytes = (Option<String>, Vec<u8>);

/// One kind of held document in one data directory.
#[derive(Debug, Clone)]
pub struct HeldFiles {
    dir: PathBuf,
    max_files: usize,
}

/// Why a held document could not be stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HeldError {
    /// The directory already holds the maximum number of documents.
    #[error("the node already holds {0} of these; remove some from {1}")]
    Full(usize, PathBuf),
    /// The file system refused.
    #[error(transparent)]
    File(#[from] FileError),
}

impl HeldFiles {
    /// The documents in `data_dir/subdir`, at most `max_files` of them.
    pub fn new(data_dir: &Path, subdir: &str, max_files: usize) -> HeldFiles {
        HeldFiles {
            dir: data_dir.join(subdir),
            max_files,
        }
    }

    /// Stores (or replaces) the document for `url`.
    pub fn put(&self, url: &str, bytes: &[u8]) -> Result<(), HeldError> {
        let path = self.path_of(url);
        if !path.exists() && self.files()?.len() >= self.max_files {
            return Err(HeldError::Full(self.max_files, self.dir.clone()));
        }
        std::fs::create_dir_all(&self.dir).map_err(|source| FileError {
            path: self.dir.clone(),
            source,
        })?;
        write_atomic(&path, bytes, false)?;
        Ok(())
    }

    /// The document for `url`, if held.
    pub fn get(&self, url: &str) -> Result<Option<Vec<u8>>, FileError> {
        let path = self.path_of(url);
        match std::fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(FileError { path, source }),
        }
    }

    /// [`HeldFiles::put`], and keeps `url` beside the document, for
    /// documents held under a URL they do not name themselves.
    pub fn put_at(&self, url: &str, bytes: &[u8]) -> Result<(), HeldError> {
        self.put(url, bytes)?;
        write_atomic(
            &self.path_of(url).with_extension("url"),
            url.as_bytes(),
            false,
        )?;
        Ok(())
    }

    /// What identifies the stored version of the document for `url` (its
    /// length and modification time), `None` if none is held: one `stat`,
    /// so callers can keep what they made of a document in memory and know
    /// when it changed under them (a `status-list add` by another process,
    /// a fetch).
    pub fn stamp(&self, url: &str) -> Option<FileStamp> {
        let m = std::fs::metadata(self.path_of(url)).ok()?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&m);
        #[cfg(not(unix))]
        let inode = 0;
        Some(FileStamp {
            len: m.len(),
            modified: m.modified().ok()?,
            inode,
        })
    }

    /// When the document for `url` was last stored (added or fetched): the
    /// file's time, to the second.
    pub fn stored_at(&self, url: &str) -> Option<badgemesh_protocol::time::Timestamp> {
        let t = std::fs::metadata(self.path_of(url)).ok()?.modified().ok()?;
        let secs = t.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
        Some(badgemesh_protocol::time::Timestamp(
            i64::try_from(secs).ok()?,
        ))
    }

    /// Every held document that can be read, with the URL it is held under
    /// when [`HeldFiles::put_at`] kept it.
    pub fn all_with_urls(&self) -> Result<Vec<UrlAndBytes>, FileError> {
        Ok(self
            .files()?
            .iter()
            .filter_map(|p| {
                let bytes = std::fs::read(p).ok()?;
                let url = std::fs::read_to_string(p.with_extension("url")).ok();
                Some((url, bytes))
            })
            .collect())
    }

    /// Every held document that can be read.
    pub fn all(&self) -> Result<Vec<Vec<u8>>, FileError> {
        Ok(self
            .files()?
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .collect())
    }

    fn path_of(&self, url: &str) -> PathBuf {
        self.dir.join(format!(
            "{}.json",
            hex::encode(Sha256::digest(url.as_bytes()))
        ))
    }

    fn files(&self) -> Result<Vec<PathBuf>, FileError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(FileError {
                    path: self.dir.clone(),
                    source,
                });
            }
        };
        Ok(entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect())
    }
}
