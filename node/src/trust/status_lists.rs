//! OB 3.0 status list credentials the node holds for other issuers.
//!
//! A foreign OB 3.0 credential says where its status lives
//! (`credentialStatus.statusListCredential`). The operator fetches that
//! `BitstringStatusListCredential` (or legacy `StatusList2021Credential`)
//! and adds it, under the URL credentials point at, which is often not the
//! list's own `id` (DCC serves lists whose `id` names another host). It is
//! kept only if its proof verifies (with a did:key, or a key in a DID
//! document the node holds, for `did:web` issuers), and credentials pointing
//! at that URL are then checked against it offline, with its age shown. A
//! credential whose list is not held keeps an *unknown* status, never "not
//! revoked".
//!
//! Verified lists are kept in memory ([`MAX_CACHED_BYTES`] of bits at
//! most) and used while their file, and the DID document that verified
//! them, are the versions they were verified from (one `stat` each per
//! use): a verification no longer reads and re-verifies the list, and a
//! list replaced or removed on disk is read again.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use badgemesh_openbadges::did::DidLookup;
use badgemesh_openbadges::status_list::{
    StatusListError, VerifiedStatusList, parse_status_list_credential_with,
};
use badgemesh_protocol::time::Timestamp;

use crate::datadir::FileError;
use crate::trust::did_documents::DidDocuments;
use crate::trust::held::{FileStamp, HeldError, HeldFiles};

/// The directory, inside the data directory, that holds the lists.
pub const STATUS_LISTS_DIR: &str = "status-lists";
/// How many lists a node keeps.
pub const MAX_STATUS_LISTS: usize = 4096;
/// Longest URL a list is held under.
pub const MAX_URL_BYTES: usize = 2048;
/// Bits of verified lists kept in memory; past that the memory is emptied
/// and refilled by use.
pub const MAX_CACHED_BYTES: usize = 64 << 20;

/// Why a list could not be added or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HeldListError {
    /// Not a status list credential, or its proof does not verify.
    #[error("not a verifiable status list credential: {0}")]
    Invalid(#[from] StatusListError),
    /// The list has no `id` and no URL was given, so no credential can
    /// point at it.
    #[error("the status list credential has no id; give the URL credentials point at (--url)")]
    NoId,
    /// The URL to hold the list under is not an absolute http(s) URL.
    #[error("{0:?} is not an absolute http(s) URL")]
    BadUrl(String),
    /// The list could not be stored.
    #[error(transparent)]
    Held(#[from] HeldError),
    /// The directory could not be read.
    #[error(transparent)]
    File(#[from] FileError),
}

/// A verified list and where the node holds it.
#[derive(Debug, Clone)]
pub struct HeldList {
    /// The URL credentials point at, which it is held under.
    pub url: String,
    /// When the node stored it (added or fetched).
    pub held_since: Option<Timestamp>,
    /// The list.
    pub list: VerifiedStatusList,
}

/// The status lists of one data directory.
#[derive(Debug, Clone)]
pub struct StatusLists {
    files: HeldFiles,
    dids: DidDocuments,
    /// Verified lists by the URL they are held under (shared by clones).
    cache: Arc<Mutex<Cache>>,
}

/// Verified lists and what they were verified from.
#[derive(Debug, Default)]
struct Cache {
    lists: HashMap<String, Cached>,
    bytes: usize,
}

#[derive(Debug)]
struct Cached {
    file: FileStamp,
    /// The DID document that verified the list, when its key was not a
    /// did:key: its DID and stored version.
    did: Option<(String, Option<FileStamp>)>,
    list: Arc<HeldList>,
}

/// The DID of a list's issuer when it is one whose key a held DID document
/// gives (not a did:key): read from the JSON (or the VC-JWT's credential),
/// before verification.
fn signer_did(bytes: &[u8]) -> Option<String> {
    let doc: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(doc) => doc,
        // A list secured as a VC-JWT.
        Err(_) => serde_json::Value::Object(
            badgemesh_openbadges::jwt::decode(std::str::from_utf8(bytes).ok()?.trim())
                .ok()?
                .credential(),
        ),
    };
    let issuer = match &doc["issuer"] {
        serde_json::Value::String(s) => s.as_str(),
        other => other["id"].as_str()?,
    };
    (issuer.starts_with("did:") && !issuer.starts_with("did:key:")).then(|| issuer.to_owned())
}

/// Whether `url` is a URL a list may be held under.
pub(crate) fn url_ok(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= MAX_URL_BYTES
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

impl StatusLists {
    /// The lists kept in `data_dir` (whose DID documents verify lists
    /// signed by `did:web` issuers).
    pub fn in_data_dir(data_dir: &Path) -> StatusLists {
        StatusLists {
            files: HeldFiles::new(data_dir, STATUS_LISTS_DIR, MAX_STATUS_LISTS),
            dids: DidDocuments::in_data_dir(data_dir),
            cache: Arc::default(),
        }
    }

    fn parse(&self, bytes: &[u8]) -> Result<VerifiedStatusList, StatusListError> {
        let lookup = |did: &str| self.dids.get(did);
        let lookup: DidLookup<'_> = &lookup;
        parse_status_list_credential_with(bytes, Some(lookup))
    }

    /// Verifies and stores (or replaces) a status list credential under
    /// its `id`. The bytes are kept as given, so the proof can be checked
    /// again on every use.
    pub fn add(&self, credential: &[u8]) -> Result<HeldList, HeldListError> {
        self.add_at(None, credential)
    }

    /// [`StatusLists::add`] under `url` (the URL credentials point at),
    /// or under the list's `id` without one.
    pub fn add_at(&self, url: Option<&str>, credential: &[u8]) -> Result<HeldList, HeldListError> {
        let list = self.parse(credential)?;
        let url = match url {
            Some(u) => u.to_owned(),
            None => list.id.clone().ok_or(HeldListError::NoId)?,
        };
        if !url_ok(&url) {
            return Err(HeldListError::BadUrl(url));
        }
        self.files.put_at(&url, credential)?;
        Ok(HeldList {
            held_since: self.files.stored_at(&url),
            url,
            list,
        })
    }

    /// The verified list held under `url`, if any: from memory while its
    /// file (and DID document) are unchanged, else read and verified again.
    pub fn get(&self, url: &str) -> Result<Option<Arc<HeldList>>, HeldListError> {
        let Some(file) = self.files.stamp(url) else {
            return Ok(None);
        };
        let cached = {
            let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            cache
                .lists
                .get(url)
                .filter(|c| c.file == file)
                .map(|c| (Arc::clone(&c.list), c.did.clone()))
        };
        // The DID document is looked at outside the lock (a `stat`).
        if let Some((list, did)) = cached
            && did.is_none_or(|(did, stamp)| self.dids.stamp(&did) == stamp)
        {
            return Ok(Some(list));
        }
        // Read and verify outside the lock: no verification waits for another.
        let Some(bytes) = self.files.get(url)? else {
            return Ok(None);
        };
        // The version of the DID document the verification is about to use,
        // taken before it uses it (a change meanwhile means a re-read).
        let did = signer_did(&bytes).map(|d| {
            let stamp = self.dids.stamp(&d);
            (d, stamp)
        });
        let list = self.parse(&bytes)?;
        let held = Arc::new(HeldList {
            url: url.to_owned(),
            held_since: self.files.stored_at(url),
            list,
        });
        let size = held.list.list.len() / 8;
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.bytes + size > MAX_CACHED_BYTES {
            cache.lists.clear();
            cache.bytes = 0;
        }
        if size <= MAX_CACHED_BYTES {
            let old = cache.lists.insert(
                url.to_owned(),
                Cached {
                    file,
                    did,
                    list: Arc::clone(&held),
                },
            );
            cache.bytes += size;
            if let Some(old) = old {
                cache.bytes = cache.bytes.saturating_sub(old.list.list.list.len() / 8);
            }
        }
        Ok(Some(held))
    }

    /// Every held list that still verifies, sorted by the URL it is held
    /// under.
    pub fn list(&self) -> Result<Vec<HeldList>, HeldListError> {
        let mut all: Vec<HeldList> = self
            .files
            .all_with_urls()?
            .into_iter()
            .filter_map(|(url, b)| {
                let list = self.parse(&b).ok()?;
                let url = url.or_else(|| list.id.clone())?;
                Some(HeldList {
                    held_since: self.files.stored_at(&url),
                    url,
                    list,
                })
            })
            .collect();
        all.sort_by(|a, b| a.url.cmp(&b.url));
        Ok(all)
    }
}
