//! Whom this node believes: the trust registries it follows and the issuers
//! its operator lists locally.
//!
//! Trust anchors are local configuration, never learned from the network:
//! gossip carries listings, it never decides whom to believe. None is
//! followed by default. The anchors come from two places, merged: the
//! `[[registries]]` of `config.toml`, and `trust.json` in the data directory,
//! which `badgemesh trust follow|unfollow|add|remove|import-dcc` edit
//! (written atomically, so the CLI can edit it with or without a running
//! node; a running node rereads it when told to). Registries are ranked in
//! the order given: when two vouch for one issuer under different names, the
//! first one's name is shown, as DCC's verifiers do.
//!
//! A local listing is a registry of one, kept on this node: the operator's
//! own word that an identifier belongs to an organisation.

use std::path::{Path, PathBuf};

use badgemesh_protocol::keys::IssuerId;
use badgemesh_protocol::time::Timestamp;
use serde::{Deserialize, Serialize};

use crate::datadir::{FileError, write_atomic};

/// The file in the data directory.
pub const TRUST_FILE: &str = "trust.json";

/// Most anchors of each kind kept (a file, not a database).
pub const MAX_ANCHORS: usize = 10_000;

/// The largest trust file read.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// A registry this node believes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowedRegistry {
    /// The registry's identity.
    pub did: String,
    /// What the operator calls it (the registry's own profile name is a claim).
    pub name: String,
}

/// An issuer the operator vouches for on this node only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalListing {
    /// The issuer identifier, exactly as badges carry it.
    pub subject: String,
    /// The organisation's name.
    pub name: String,
    /// Its domains (host names).
    #[serde(default)]
    pub domains: Vec<String>,
    /// Where the entry came from ("added by the operator", "imported from URL").
    #[serde(default)]
    pub source: Option<String>,
    /// When it was added.
    pub added_at: Timestamp,
}

/// The anchors, as held in `trust.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustFile {
    /// Followed registries, most authoritative first.
    #[serde(default)]
    pub registries: Vec<FollowedRegistry>,
    /// Local listings.
    #[serde(default)]
    pub local: Vec<LocalListing>,
    /// Domain linkage this node checked (`badgemesh trust check-domain`).
    #[serde(default)]
    pub domains: Vec<DomainCheck>,
}

/// What this node saw when it fetched an origin's DID configuration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainCheck {
    /// The origin fetched.
    pub origin: String,
    /// The DID an entry linked.
    pub did: String,
    /// `valid`, `invalid`, `expired`, `not_yet_valid`, `wrong_origin` or `unchecked`.
    pub status: String,
    /// Why.
    pub detail: String,
    /// When this node checked.
    pub checked_at: Timestamp,
    /// When the linkage credential expires.
    #[serde(default)]
    pub expires: Option<Timestamp>,
}

/// Why the anchors could not be read or changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnchorError {
    /// The file system refused.
    #[error(transparent)]
    File(#[from] FileError),
    /// The file is not valid.
    #[error("{path} is not a valid trust file: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A registry must be a badgemesh identity (did:key).
    #[error("{0:?} is not a registry identity (a did:key): {1}")]
    NotARegistry(String, String),
    /// Too many entries.
    #[error("at most {MAX_ANCHORS} entries of each kind")]
    Full,
}

/// Followed registries and local listings, merged from config and file.
#[derive(Clone, Debug, Default)]
pub struct Anchors {
    /// Registries, in rank order, parsed.
    pub registries: Vec<(IssuerId, FollowedRegistry)>,
    /// Local listings.
    pub local: Vec<LocalListing>,
    /// Domain linkage checks.
    pub domains: Vec<DomainCheck>,
}

impl Anchors {
    /// The anchors of `data_dir` merged after those of `config` (config first).
    pub fn load(data_dir: &Path, config: &[FollowedRegistry]) -> Result<Anchors, AnchorError> {
        let file = TrustFile::read(data_dir)?;
        let mut registries: Vec<(IssuerId, FollowedRegistry)> = Vec::new();
        for r in config.iter().chain(&file.registries) {
            let id = parse_registry(&r.did)?;
            if !registries.iter().any(|(i, _)| *i == id) {
                registries.push((id, r.clone()));
            }
        }
        Ok(Anchors {
            registries,
            local: file.local,
            domains: file.domains,
        })
    }

    /// The ids of followed registries.
    pub fn registry_ids(&self) -> impl Iterator<Item = IssuerId> + '_ {
        self.registries.iter().map(|(id, _)| *id)
    }
}

/// Parses a registry's DID.
pub fn parse_registry(did: &str) -> Result<IssuerId, AnchorError> {
    did.parse::<IssuerId>()
        .map_err(|e| AnchorError::NotARegistry(did.to_owned(), e.to_string()))
}

impl TrustFile {
    /// The file's path in `data_dir`.
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(TRUST_FILE)
    }

    /// Reads `trust.json` (a missing file is an empty one).
    pub fn read(data_dir: &Path) -> Result<TrustFile, AnchorError> {
        let path = TrustFile::path(data_dir);
        let bytes = match std::fs::metadata(&path) {
            Ok(m) if m.len() > MAX_FILE_BYTES => {
                return Err(AnchorError::Invalid {
                    path,
                    message: format!("larger than {MAX_FILE_BYTES} bytes"),
                });
            }
            Ok(_) => std::fs::read(&path).map_err(|source| FileError {
                path: path.clone(),
                source,
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(TrustFile::default()),
            Err(source) => return Err(FileError { path, source }.into()),
        };
        serde_json::from_slice(&bytes).map_err(|e| AnchorError::Invalid {
            path,
            message: e.to_string(),
        })
    }

    /// Writes `trust.json` atomically.
    pub fn write(&self, data_dir: &Path) -> Result<(), AnchorError> {
        if self.registries.len() > MAX_ANCHORS || self.local.len() > MAX_ANCHORS {
            return Err(AnchorError::Full);
        }
        let text = serde_json::to_vec_pretty(self).unwrap_or_default();
        write_atomic(&TrustFile::path(data_dir), &text, false)?;
        Ok(())
    }

    /// Follows a registry (or renames one already followed).
    pub fn follow(&mut self, did: &str, name: &str) -> Result<(), AnchorError> {
        parse_registry(did)?;
        match self.registries.iter_mut().find(|r| r.did == did) {
            Some(r) => r.name = name.to_owned(),
            None => self.registries.push(FollowedRegistry {
                did: did.to_owned(),
                name: name.to_owned(),
            }),
        }
        Ok(())
    }

    /// Stops following a registry; whether it was followed.
    pub fn unfollow(&mut self, did: &str) -> bool {
        let before = self.registries.len();
        self.registries.retain(|r| r.did != did);
        before != self.registries.len()
    }

    /// Lists an issuer locally (or replaces its entry).
    pub fn add_local(&mut self, listing: LocalListing) {
        self.local.retain(|l| l.subject != listing.subject);
        self.local.push(listing);
    }

    /// Records what a domain check saw, replacing an older check of the same
    /// origin and DID.
    pub fn record_domain(&mut self, check: DomainCheck) {
        self.domains
            .retain(|d| !(d.origin == check.origin && d.did == check.did));
        self.domains.push(check);
    }

    /// Removes a local listing; whether there was one.
    pub fn remove_local(&mut self, subject: &str) -> bool {
        let before = self.local.len();
        self.local.retain(|l| l.subject != subject);
        before != self.local.len()
    }
}

/// Why a DCC issuer registry file could not be imported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// Not the `dcc-legacy` registry format.
    #[error(
        "not a DCC issuer registry (expected {{\"registry\": {{DID: {{\"name\": ...}}}}}}): {0}"
    )]
    Format(String),
}

/// The entries of a Digital Credentials Consortium `dcc-legacy` issuer
/// registry (`{"meta": ..., "registry": {DID: {name, location, url}}}`), as
/// local listings. DCC's lists are unsigned, so they can only become this
/// operator's word: the source says where they came from.
pub fn import_dcc(
    bytes: &[u8],
    source: &str,
    now: Timestamp,
) -> Result<Vec<LocalListing>, ImportError> {
    #[derive(Deserialize)]
    struct Entry {
        name: String,
        #[serde(default)]
        url: Option<String>,
    }
    #[derive(Deserialize)]
    struct File {
        registry: std::collections::BTreeMap<String, Entry>,
    }
    let file: File =
        serde_json::from_slice(bytes).map_err(|e| ImportError::Format(e.to_string()))?;
    if file.registry.len() > MAX_ANCHORS {
        return Err(ImportError::Format(format!(
            "{} entries, at most {MAX_ANCHORS}",
            file.registry.len()
        )));
    }
    Ok(file
        .registry
        .into_iter()
        .filter(|(did, e)| did.starts_with("did:") && !e.name.trim().is_empty())
        .map(|(subject, e)| LocalListing {
            subject,
            name: e.name,
            domains: e
                .url
                .as_deref()
                .and_then(super::confusables::host_of)
                .into_iter()
                .collect(),
            source: Some(format!("imported from {source}")),
            added_at: now,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `dcc-legacy` example of DCC's issuer registry (digitalcredentials/
    /// issuer-registry `registry.json` layout, as the issuer-registry-client
    /// reads it), abridged to two entries.
    const DCC_EXAMPLE: &str = r#"{
      "meta": {"created": "2020-12-02T02:32:16+0000", "updated": "2025-03-01T23:07:03+0000"},
      "registry": {
        "did:key:z6MkpLDL3RoAoMRTwTgo3rs39ZwssfaPKtGdZw7AGRN7CK4W":
          {"name": "My University", "location": "Cambridge, MA, USA", "url": "https://digitalcredentials.mit.edu"},
        "did:web:credentials.myschool.ca":
          {"name": "My School", "location": "Ancaster, ON, Canada", "url": "https://some.domain.ca"}
      }
    }"#;

    #[test]
    fn a_dcc_registry_becomes_local_listings_with_its_source() {
        let now = Timestamp(1_800_000_000);
        let got = import_dcc(
            DCC_EXAMPLE.as_bytes(),
            "https://example.org/registry.json",
            now,
        )
        .expect("imports");
        assert_eq!(got.len(), 2);
        let uni = got
            .iter()
            .find(|l| l.subject.starts_with("did:key:"))
            .expect("the did:key entry");
        assert_eq!(uni.name, "My University");
        assert_eq!(uni.domains, ["digitalcredentials.mit.edu"]);
        assert_eq!(
            uni.source.as_deref(),
            Some("imported from https://example.org/registry.json")
        );
        assert!(
            got.iter()
                .any(|l| l.subject == "did:web:credentials.myschool.ca")
        );
        assert!(
            import_dcc(b"{\"dids\": {}}", "x", now).is_err(),
            "the obsolete layout is refused"
        );
    }

    #[test]
    fn config_registries_rank_first_and_duplicates_collapse() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = "did:key:z6MkpLDL3RoAoMRTwTgo3rs39ZwssfaPKtGdZw7AGRN7CK4W";
        let b = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK";
        let mut f = TrustFile::default();
        f.follow(b, "B").expect("did");
        f.follow(a, "A (file)").expect("did");
        f.write(dir.path()).expect("written");
        let config = [FollowedRegistry {
            did: a.into(),
            name: "A (config)".into(),
        }];
        let anchors = Anchors::load(dir.path(), &config).expect("loads");
        let names: Vec<&str> = anchors
            .registries
            .iter()
            .map(|(_, r)| r.name.as_str())
            .collect();
        assert_eq!(names, ["A (config)", "B"]);
        assert!(
            f.follow("did:web:example.org", "x").is_err(),
            "a registry is a did:key identity"
        );
    }
}
