//! The files a node keeps in its data directory, and how they are written.
//!
//! Secrets (the libp2p identity, the admin token, the issuer's keys) are
//! written with mode 0600 through a temporary file, fsync and rename, so a
//! crash leaves either the old or the new file, never half of one.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The store file.
pub const STORE_FILE: &str = "store.redb";
/// The libp2p identity (32-byte Ed25519 seed).
pub const IDENTITY_FILE: &str = "identity.key";
/// The admin bearer token.
pub const TOKEN_FILE: &str = "admin.token";
/// The local issuer's keys and counters.
pub const ISSUER_FILE: &str = "issuer.key";
/// Where a running node says how to reach it.
pub const NODE_INFO_FILE: &str = "node.json";
/// The optional configuration file.
pub const CONFIG_FILE: &str = "config.toml";

/// An I/O problem with a named file.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct FileError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    #[source]
    pub source: std::io::Error,
}

fn err(path: &Path) -> impl FnOnce(std::io::Error) -> FileError + '_ {
    move |source| FileError {
        path: path.to_owned(),
        source,
    }
}

/// Creates the data directory (mode 0700 on Unix).
pub fn ensure_dir(dir: &Path) -> Result<(), FileError> {
    fs::create_dir_all(dir).map_err(err(dir))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(err(dir))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically, readable only by the owner.
pub fn write_secret(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    write_atomic(path, bytes, true)
}

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8], secret: bool) -> Result<(), FileError> {
    let tmp = path.with_extension("tmp");
    {
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(if secret { 0o600 } else { 0o644 });
        }
        let mut f = opts.open(&tmp).map_err(err(&tmp))?;
        f.write_all(bytes).map_err(err(&tmp))?;
        f.sync_all().map_err(err(&tmp))?;
    }
    fs::rename(&tmp, path).map_err(err(path))?;
    if let Some(dir) = path.parent()
        && let Ok(d) = fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Reads a secret file, refusing one that others can read.
pub fn read_secret(path: &Path) -> Result<Option<Vec<u8>>, FileError> {
    match fs::read(path) {
        Ok(bytes) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = fs::metadata(path).map_err(err(path))?.permissions().mode();
                if mode & 0o077 != 0 {
                    return Err(FileError {
                        path: path.to_owned(),
                        source: std::io::Error::new(
                            std::io::ErrorKind::PermissionDenied,
                            format!(
                                "readable by others (mode {:o}); run: chmod 600 {}",
                                mode & 0o777,
                                path.display()
                            ),
                        ),
                    });
                }
            }
            Ok(Some(bytes))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(err(path)(e)),
    }
}

/// Random bytes from the operating system.
pub fn random<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // The OS generator failing is not recoverable: no key can be made safely.
    if let Err(e) = getrandom::fill(&mut buf) {
        panic!("the operating system's random number generator failed: {e}");
    }
    buf
}

/// Loads the secret in `path`, creating it with `make` on first start.
pub fn load_or_create_secret(
    path: &Path,
    make: impl FnOnce() -> Vec<u8>,
) -> Result<Vec<u8>, FileError> {
    if let Some(bytes) = read_secret(path)? {
        return Ok(bytes);
    }
    let bytes = make();
    write_secret(path, &bytes)?;
    Ok(bytes)
}

/// What a running node writes so that the CLI and scripts can find it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct NodeInfo {
    /// The node's libp2p peer id.
    pub peer_id: String,
    /// Base URL of the HTTP API.
    pub api: String,
    /// libp2p listen addresses, with `/p2p/<peer id>`.
    pub listen: Vec<String>,
    /// The process id.
    pub pid: u32,
}

impl NodeInfo {
    /// Reads `node.json` from a data directory.
    pub fn read(data_dir: &Path) -> Result<Option<NodeInfo>, FileError> {
        let path = data_dir.join(NODE_INFO_FILE);
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| FileError {
                    path,
                    source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(err(&path)(e)),
        }
    }

    /// Writes `node.json`.
    pub fn write(&self, data_dir: &Path) -> Result<(), FileError> {
        let text = serde_json::to_vec_pretty(self).unwrap_or_default();
        write_atomic(&data_dir.join(NODE_INFO_FILE), &text, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn secrets_are_private_and_others_readable_ones_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.key");
        let first = load_or_create_secret(&path, || vec![1, 2, 3]).expect("create");
        let again = load_or_create_secret(&path, || vec![9]).expect("load");
        assert_eq!(first, again);
        let mode = fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        let e = read_secret(&path).expect_err("refused");
        assert!(e.to_string().contains("chmod 600"), "{e}");
    }
}
