//! OB 2.0 issuer keys the operator trusts, so that signed OB 2.0 badges
//! verify offline.
//!
//! A signed OB 2.0 assertion names its key by URL (`verification.creator`),
//! where the issuer publishes a `CryptographicKey` document. The operator
//! fetches that document once (while online, or carried on a stick) and adds
//! it; from then on the node checks those badges without the network. Each
//! key is one held file (see [`crate::trust::held`]) in [`OB2_KEYS_DIR`].

use std::path::Path;

use badgemesh_bake::ob2::RsaPublicKey;
use serde::{Deserialize, Serialize};

use crate::datadir::FileError;
use crate::trust::held::{HeldError, HeldFiles};

/// The directory, inside the data directory, that holds the keys.
pub const OB2_KEYS_DIR: &str = "ob2-keys";
/// A key document larger than this is refused (a 4096-bit RSA key in PEM
/// is about 800 bytes).
pub const MAX_KEY_DOCUMENT_BYTES: usize = 16 * 1024;
/// How many keys a node keeps.
pub const MAX_KEYS: usize = 1024;

/// A trusted OB 2.0 issuer key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedKey {
    /// The key's URL, as badges name it in `verification.creator`.
    pub id: String,
    /// The issuer profile the key belongs to, if the document says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The RSA public key.
    #[serde(rename = "publicKeyPem")]
    pub public_key_pem: String,
}

/// Why a key could not be added or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Ob2KeyError {
    /// The document is larger than [`MAX_KEY_DOCUMENT_BYTES`].
    #[error("the key document is larger than {MAX_KEY_DOCUMENT_BYTES} bytes")]
    TooLarge,
    /// Not a JSON object with `id` and `publicKeyPem` strings.
    #[error("not an OB 2.0 CryptographicKey document: {0}")]
    NotAKeyDocument(String),
    /// `id` is not an absolute http(s) or urn URL.
    #[error("the key id {0:?} is not an absolute http(s) or urn URL")]
    BadId(String),
    /// `publicKeyPem` is not an RSA public key.
    #[error("publicKeyPem is not an RSA public key: {0}")]
    BadKey(String),
    /// The key could not be stored (too many keys, or the file system).
    #[error(transparent)]
    Held(#[from] HeldError),
    /// The key directory could not be read.
    #[error(transparent)]
    File(#[from] FileError),
}

/// The trusted keys of one data directory.
#[derive(Debug, Clone)]
pub struct Ob2Keys {
    files: HeldFiles,
}

impl Ob2Keys {
    /// The keys kept in `data_dir`.
    pub fn in_data_dir(data_dir: &Path) -> Ob2Keys {
        Ob2Keys {
            files: HeldFiles::new(data_dir, OB2_KEYS_DIR, MAX_KEYS),
        }
    }

    /// Reads an OB 2.0 `CryptographicKey` document (as published at the
    /// key's URL) and checks that its key is an RSA public key.
    pub fn parse(bytes: &[u8]) -> Result<TrustedKey, Ob2KeyError> {
        if bytes.len() > MAX_KEY_DOCUMENT_BYTES {
            return Err(Ob2KeyError::TooLarge);
        }
        let key: TrustedKey = serde_json::from_slice(bytes)
            .map_err(|e| Ob2KeyError::NotAKeyDocument(e.to_string()))?;
        let scheme_ok = ["https://", "http://", "urn:"]
            .iter()
            .any(|p| key.id.starts_with(p));
        if !scheme_ok || key.id.len() > 2048 || key.id.chars().any(char::is_whitespace) {
            return Err(Ob2KeyError::BadId(key.id));
        }
        RsaPublicKey::from_pem(&key.public_key_pem)
            .map_err(|e| Ob2KeyError::BadKey(e.to_string()))?;
        Ok(key)
    }

    /// Adds (or replaces) the key in `document`.
    pub fn add(&self, document: &[u8]) -> Result<TrustedKey, Ob2KeyError> {
        let key = Self::parse(document)?;
        let json = serde_json::to_vec_pretty(&key)
            .map_err(|e| Ob2KeyError::NotAKeyDocument(e.to_string()))?;
        self.files.put(&key.id, &json)?;
        Ok(key)
    }

    /// The key with URL `id`, if the node trusts one.
    pub fn get(&self, id: &str) -> Result<Option<TrustedKey>, Ob2KeyError> {
        match self.files.get(id)? {
            Some(bytes) => Self::parse(&bytes).map(Some),
            None => Ok(None),
        }
    }

    /// Every trusted key, sorted by URL. Unreadable files are skipped: one
    /// damaged file must not hide the others.
    pub fn list(&self) -> Result<Vec<TrustedKey>, Ob2KeyError> {
        let mut keys: Vec<TrustedKey> = self
            .files
            .all()?
            .iter()
            .filter_map(|b| Self::parse(b).ok())
            .collect();
        keys.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(keys)
    }
}
