//! Revocation lists the node holds for other issuers: OB 2.0
//! `RevocationList`s (what a signed OB 2.0 badge's issuer Profile names in
//! `revocationList`) and OB 3.0's legacy `1EdTechRevocationList`s.
//!
//! Neither kind is signed: like an OB 2.0 key, a list is trusted as the
//! operator gives it (fetched from the issuer's own site). Each is held
//! under the URL badges name it by: the Profile's `revocationList`, the
//! credential's `credentialStatus.id`, or the list's own `id` when no URL is
//! given. An OB 2.0 list that names its `issuer` is also found by that
//! issuer, for signed badges whose Profile is not embedded (they cannot say
//! which list their issuer declares). Without a held list, a signed OB 2.0
//! badge whose issuer declares one is *indeterminate*, never "not revoked".

use std::path::Path;

use badgemesh_bake::ob2::{Ob2Error, RevocationList};
use badgemesh_openbadges::revocation_list::{OneEdTechRevocationList, RevocationListError};
use badgemesh_protocol::time::Timestamp;

use crate::datadir::FileError;
use crate::trust::held::{HeldError, HeldFiles};
use crate::trust::status_lists::url_ok;

/// The directory, inside the data directory, that holds the lists.
pub const REVOCATION_LISTS_DIR: &str = "revocation-lists";
/// How many lists (and issuer pointers) a node keeps.
pub const MAX_REVOCATION_LISTS: usize = 2048;

/// The key an OB 2.0 list is also found by: its issuer.
fn issuer_key(issuer: &str) -> String {
    format!("issuer:{issuer}")
}

/// Why a list could not be added.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HeldRevocationListError {
    /// Neither an OB 2.0 `RevocationList` nor a 1EdTech revocation list.
    #[error(
        "not a revocation list: as an OB 2.0 RevocationList, {ob2}; as a 1EdTech revocation list, {one_ed_tech}"
    )]
    Invalid {
        /// Why it is not an OB 2.0 list.
        ob2: Ob2Error,
        /// Why it is not a 1EdTech list.
        one_ed_tech: RevocationListError,
    },
    /// No URL was given and the list has no `id`.
    #[error("the revocation list has no id; give the URL badges name it by (--url)")]
    NoId,
    /// The URL is not an absolute http(s) URL.
    #[error("{0:?} is not an absolute http(s) URL")]
    BadUrl(String),
    /// The list could not be stored.
    #[error(transparent)]
    Held(#[from] HeldError),
    /// The directory could not be read.
    #[error(transparent)]
    File(#[from] FileError),
}

/// A held list of either kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyRevocationList {
    /// An OB 2.0 `RevocationList`.
    Ob2(RevocationList),
    /// An OB 3.0 `1EdTechRevocationList`.
    OneEdTech(OneEdTechRevocationList),
}

impl AnyRevocationList {
    /// Reads either kind.
    pub fn parse(bytes: &[u8]) -> Result<AnyRevocationList, HeldRevocationListError> {
        match RevocationList::parse(bytes) {
            Ok(l) => Ok(AnyRevocationList::Ob2(l)),
            Err(ob2) => match OneEdTechRevocationList::parse(bytes) {
                Ok(l) => Ok(AnyRevocationList::OneEdTech(l)),
                Err(one_ed_tech) => Err(HeldRevocationListError::Invalid { ob2, one_ed_tech }),
            },
        }
    }

    /// Its `id`, if it has one.
    pub fn id(&self) -> Option<&str> {
        match self {
            AnyRevocationList::Ob2(l) => Some(&l.id),
            AnyRevocationList::OneEdTech(l) => l.id.as_deref(),
        }
    }

    /// Its `issuer`, if it names one.
    pub fn issuer(&self) -> Option<&str> {
        match self {
            AnyRevocationList::Ob2(l) => l.issuer.as_deref(),
            AnyRevocationList::OneEdTech(l) => l.issuer.as_deref(),
        }
    }

    /// How many entries it revokes.
    pub fn len(&self) -> usize {
        match self {
            AnyRevocationList::Ob2(l) => l.revoked.len(),
            AnyRevocationList::OneEdTech(l) => l.revoked.len(),
        }
    }

    /// Whether it revokes nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `OB 2.0` or `1EdTech`, for people.
    pub fn kind(&self) -> &'static str {
        match self {
            AnyRevocationList::Ob2(_) => "OB 2.0 RevocationList",
            AnyRevocationList::OneEdTech(_) => "1EdTechRevocationList",
        }
    }
}

/// A held list and where.
#[derive(Debug, Clone)]
pub struct HeldRevocationList {
    /// The URL it is held under.
    pub url: String,
    /// When the node stored it.
    pub held_since: Option<Timestamp>,
    /// The list.
    pub list: AnyRevocationList,
}

/// The revocation lists of one data directory.
#[derive(Debug, Clone)]
pub struct RevocationLists {
    files: HeldFiles,
}

impl RevocationLists {
    /// The lists kept in `data_dir`.
    pub fn in_data_dir(data_dir: &Path) -> RevocationLists {
        RevocationLists {
            files: HeldFiles::new(data_dir, REVOCATION_LISTS_DIR, MAX_REVOCATION_LISTS),
        }
    }

    /// Reads and stores (or replaces) a list under `url`, or its `id`.
    pub fn add_at(
        &self,
        url: Option<&str>,
        bytes: &[u8],
    ) -> Result<HeldRevocationList, HeldRevocationListError> {
        let list = AnyRevocationList::parse(bytes)?;
        let url = match url {
            Some(u) => u.to_owned(),
            None => list.id().ok_or(HeldRevocationListError::NoId)?.to_owned(),
        };
        if !url_ok(&url) {
            return Err(HeldRevocationListError::BadUrl(url));
        }
        self.files.put_at(&url, bytes)?;
        if let (AnyRevocationList::Ob2(_), Some(issuer)) = (&list, list.issuer()) {
            self.files.put_at(&issuer_key(issuer), url.as_bytes())?;
        }
        Ok(HeldRevocationList {
            held_since: self.files.stored_at(&url),
            url,
            list,
        })
    }

    /// The list held under `url`. A file that no longer reads is `None`:
    /// the badge's status is then unknown, as if nothing were held.
    pub fn get(&self, url: &str) -> Option<HeldRevocationList> {
        let bytes = self.files.get(url).ok().flatten()?;
        Some(HeldRevocationList {
            url: url.to_owned(),
            held_since: self.files.stored_at(url),
            list: AnyRevocationList::parse(&bytes).ok()?,
        })
    }

    /// The OB 2.0 list held under `url`.
    pub fn ob2(&self, url: &str) -> Option<(HeldRevocationList, RevocationList)> {
        let held = self.get(url)?;
        match &held.list {
            AnyRevocationList::Ob2(l) => {
                let l = l.clone();
                Some((held, l))
            }
            AnyRevocationList::OneEdTech(_) => None,
        }
    }

    /// The OB 2.0 list whose `issuer` is `issuer`, if one is held.
    pub fn ob2_of_issuer(&self, issuer: &str) -> Option<(HeldRevocationList, RevocationList)> {
        let url = self.files.get(&issuer_key(issuer)).ok().flatten()?;
        let url = String::from_utf8(url).ok()?;
        let found = self.ob2(&url)?;
        (found.1.issuer.as_deref() == Some(issuer)).then_some(found)
    }

    /// Every held list, sorted by URL.
    pub fn list(&self) -> Result<Vec<HeldRevocationList>, HeldRevocationListError> {
        let mut all: Vec<HeldRevocationList> = self
            .files
            .all_with_urls()?
            .into_iter()
            .filter_map(|(url, bytes)| {
                let list = AnyRevocationList::parse(&bytes).ok()?;
                let url = url.or_else(|| list.id().map(str::to_owned))?;
                Some(HeldRevocationList {
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
