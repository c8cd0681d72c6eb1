//! The earner's own key: an Ed25519 `did:key` that signs the presentations
//! the backpack makes ("these badges are mine, shown to you, now").
//!
//! It is made on first use and kept in the data directory as
//! `earner.key`, with the care the issuer key gets: mode 0600 through a
//! temporary file, fsync and rename (refused at load when others can read
//! it), sealed under the node's passphrase when one is set (Argon2id and
//! XChaCha20-Poly1305, [`crate::sealed`]), and never logged ([`SecretKey`]
//! prints no secret). It is a key of its own, not the issuer key: an
//! earner's node may issue nothing, and an issuer's node that also keeps
//! its operator's badges must not sign presentations with the key its
//! badges trust.
//!
//! The key is not rotated: a presentation is checked against the did:key
//! it names, and the earner's credentials name that did:key as their
//! subject, so a new key means asking issuers for new credentials.

use std::path::PathBuf;

use badgemesh_protocol::keys::{IssuerId, SecretKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};

use crate::datadir::{self, FileError};
use crate::sealed::{SealInfo, Sealer};

/// The earner key's file in the data directory.
pub const EARNER_FILE: &str = "earner.key";

/// Why the earner key cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HolderError {
    /// The file could not be read or written (or is readable by others).
    #[error(transparent)]
    File(#[from] FileError),
    /// The file is sealed and no passphrase was given.
    #[error(
        "the earner key is encrypted: set BADGEMESH_PASSPHRASE or `passphrase_file` in config.toml"
    )]
    Locked,
    /// The file does not decode, or does not open under the passphrase.
    #[error("{path}: {why}")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
}

/// `earner.key`: the did (so a reader can tell whose key it is without
/// the passphrase) and the 32-byte seed, base64, encrypted when `sealed`
/// is present.
#[derive(Serialize, Deserialize)]
struct EarnerFile {
    did: String,
    seed: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sealed: Option<SealInfo>,
}

/// The earner's key, loaded or made on first use.
pub struct HolderKey {
    path: PathBuf,
    sealer: Option<Sealer>,
    key: std::sync::Mutex<Option<SecretKey>>,
}

impl std::fmt::Debug for HolderKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HolderKey(..)")
    }
}

impl HolderKey {
    /// The earner key at `path`: read (and opened with `passphrase` if it
    /// is sealed) when the file exists, else made at first use and sealed
    /// under `passphrase` if one is set. The passphrase itself is not kept,
    /// only the sealing key derived from it. A plain file is sealed now
    /// when a passphrase is given. Blocking: it may derive a key and write
    /// a file.
    pub fn load(path: PathBuf, passphrase: Option<&str>) -> Result<HolderKey, HolderError> {
        let damaged = |why: String| HolderError::Damaged {
            path: path.clone(),
            why,
        };
        let (key, sealer) = match datadir::read_secret(&path)? {
            None => (
                None,
                passphrase
                    .map(Sealer::new)
                    .transpose()
                    .map_err(|e| damaged(e.to_string()))?,
            ),
            Some(bytes) => {
                let (key, sealer, plain) = open(&bytes, passphrase).map_err(|e| match e {
                    Opened::Locked => HolderError::Locked,
                    Opened::Bad(why) => damaged(why),
                })?;
                (Some((key, plain)), sealer)
            }
        };
        let me = HolderKey {
            path,
            sealer,
            key: std::sync::Mutex::new(None),
        };
        if let Some((key, plain)) = key {
            if plain && me.sealer.is_some() {
                datadir::write_secret(&me.path, &me.file_bytes(&key))?;
            }
            *me.key.lock().unwrap_or_else(|e| e.into_inner()) = Some(key);
        }
        Ok(me)
    }

    /// The key and its did:key, made and written on first use (blocking:
    /// the first call writes and fsyncs a file).
    pub fn key(&self) -> Result<(SecretKey, IssuerId), HolderError> {
        let mut held = self.key.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(k) = held.as_ref() {
            return Ok((k.clone(), IssuerId::from_key(k.public())));
        }
        let key = SecretKey::from_seed(&datadir::random()).map_err(|e| self.damaged(e))?;
        datadir::write_secret(&self.path, &self.file_bytes(&key))?;
        let id = IssuerId::from_key(key.public());
        *held = Some(key.clone());
        Ok((key, id))
    }

    fn damaged(&self, why: impl std::fmt::Display) -> HolderError {
        HolderError::Damaged {
            path: self.path.clone(),
            why: why.to_string(),
        }
    }

    fn file_bytes(&self, key: &SecretKey) -> Vec<u8> {
        let seed = key.to_seed();
        let (seed, sealed) = match &self.sealer {
            Some(s) => {
                let (info, ct) = s.seal(&seed);
                (B64.encode(ct), Some(info))
            }
            None => (B64.encode(seed), None),
        };
        let file = EarnerFile {
            did: IssuerId::from_key(key.public()).to_did(),
            seed,
            sealed,
        };
        serde_json::to_vec(&file).unwrap_or_default()
    }
}

/// Why a file's key could not be opened.
enum Opened {
    Locked,
    Bad(String),
}

/// The key in an `earner.key` file's bytes, the sealer that opened it (to
/// seal it again on a rewrite) and whether it was plain.
fn open(
    bytes: &[u8],
    passphrase: Option<&str>,
) -> Result<(SecretKey, Option<Sealer>, bool), Opened> {
    let bad = |e: &dyn std::fmt::Display| Opened::Bad(e.to_string());
    let file: EarnerFile = serde_json::from_slice(bytes).map_err(|e| bad(&e))?;
    let stored = B64.decode(&file.seed).map_err(|e| bad(&e))?;
    let (seed, sealer) = match (&file.sealed, passphrase) {
        (Some(info), Some(pass)) => {
            let sealer = Sealer::for_info(pass, info).map_err(|e| bad(&e))?;
            (
                sealer.open(info, &stored).map_err(|e| bad(&e))?,
                Some(sealer),
            )
        }
        (Some(_), None) => return Err(Opened::Locked),
        (None, pass) => (
            stored,
            pass.map(Sealer::new).transpose().map_err(|e| bad(&e))?,
        ),
    };
    let seed: [u8; 32] = seed
        .try_into()
        .map_err(|_| bad(&"the seed is not 32 bytes"))?;
    let key = SecretKey::from_seed(&seed).map_err(|e| bad(&e))?;
    if IssuerId::from_key(key.public()).to_did() != file.did {
        return Err(bad(&"the seed is not the key of the did the file names"));
    }
    Ok((key, sealer, file.sealed.is_none()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_made_once_kept_private_and_the_same_after_a_restart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(EARNER_FILE);
        let h = HolderKey::load(path.clone(), None).expect("new");
        assert!(!path.exists(), "nothing is written before first use");
        let (_, id) = h.key().expect("made");
        assert_eq!(h.key().expect("again").1, id);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = HolderKey::load(path.clone(), None).expect("load");
        assert_eq!(again.key().expect("read").1, id);
        assert_eq!(format!("{h:?}"), "HolderKey(..)");
    }

    #[test]
    fn with_a_passphrase_the_seed_is_sealed_and_needs_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(EARNER_FILE);
        // A plain key first, then the node gets a passphrase: sealed then.
        let (key, id) = HolderKey::load(path.clone(), None)
            .expect("new")
            .key()
            .expect("made");
        let sealed = HolderKey::load(path.clone(), Some("pass phrase")).expect("seal");
        assert_eq!(sealed.key().expect("open").1, id);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains("argon2id"), "{text}");
        assert!(!text.contains(&B64.encode(key.to_seed())), "{text}");
        assert!(matches!(
            HolderKey::load(path.clone(), None),
            Err(HolderError::Locked)
        ));
        assert!(matches!(
            HolderKey::load(path.clone(), Some("wrong")),
            Err(HolderError::Damaged { .. })
        ));
        let right = HolderKey::load(path, Some("pass phrase")).expect("open");
        assert_eq!(right.key().expect("key").1, id);
    }
}
