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
#[error("{path}: {source}{}", hint(source))]
pub struct FileError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    #[source]
    pub source: std::io::Error,
}

impl FileError {
    /// Whether this is a full disk or a read-only data directory.
    pub fn storage_problem(&self) -> Option<StorageProblem> {
        StorageProblem::of(&self.source)
    }
}

/// Why the data directory cannot take a write, in the terms an operator acts
/// on. Errors carry one so that the API and the command can answer "disk
/// full" or "read-only" instead of a bare OS error, and so that scripts can
/// tell them apart (HTTP 507 or 503, exit status 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StorageProblem {
    /// No space left, a quota or a file size limit (ENOSPC, EDQUOT, EFBIG).
    Full,
    /// A read-only file system or a directory this user may not write (EROFS, EACCES, EPERM).
    ReadOnly,
    /// An earlier write failed, so the store takes no more writes until the
    /// node restarts (redb refuses every operation after an I/O error).
    Halted,
}

impl StorageProblem {
    /// The problem an I/O error stands for, if it is one of these.
    pub fn of(e: &std::io::Error) -> Option<StorageProblem> {
        use std::io::ErrorKind as K;
        match e.kind() {
            K::StorageFull | K::QuotaExceeded | K::FileTooLarge => Some(StorageProblem::Full),
            K::ReadOnlyFilesystem | K::PermissionDenied => Some(StorageProblem::ReadOnly),
            _ => None,
        }
    }

    /// What it means and what to do, for error messages.
    pub fn advice(self) -> &'static str {
        match self {
            StorageProblem::Full => {
                "the disk is full, or a quota or file size limit was reached: free space"
            }
            StorageProblem::ReadOnly => {
                "the data directory is read-only or not writable by this user: fix its permissions or mount, or choose another with --data-dir"
            }
            StorageProblem::Halted => {
                "an earlier write failed: fix its cause, then restart the node"
            }
        }
    }
}

/// " (advice)" for an I/O error that is a storage problem, else "".
fn hint(e: &std::io::Error) -> String {
    StorageProblem::of(e)
        .map(|p| format!(" ({})", p.advice()))
        .unwrap_or_default()
}

fn err(path: &Path) -> impl FnOnce(std::io::Error) -> FileError + '_ {
    move |source| FileError {
        path: path.to_owned(),
        source,
    }
}

/// Creates the data directory (mode 0700 on Unix) if it does not exist. An
/// existing directory keeps its mode: it may be shared (say `/tmp`, given as
/// `--data-dir` by root), and taking others' bits away from it would break it
/// for everyone. The secrets in it are files of mode 0600 whatever the
/// directory's mode, and [`read_secret`] refuses them if others can read
/// them.
pub fn ensure_dir(dir: &Path) -> Result<(), FileError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(err(dir))?;
    }
    #[cfg(not(unix))]
    fs::create_dir_all(dir).map_err(err(dir))?;
    Ok(())
}

/// The probe file [`check_writable`] writes and removes.
const PROBE_FILE: &str = ".write-test";

/// Fails unless a file can be created, written and removed in `dir`: a node
/// checks this before it opens anything, so that a read-only data directory
/// or a full disk stops it at once with one clear error and nothing in the
/// directory changed (the store would otherwise be opened and written first,
/// and `issuer.key` or `node.json` fail later).
pub fn check_writable(dir: &Path) -> Result<(), FileError> {
    let probe = dir.join(PROBE_FILE);
    let written = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&probe)
        .and_then(|mut f| f.write_all(b"badgemesh"));
    let removed = fs::remove_file(&probe);
    written.map_err(err(&probe))?;
    removed.map_err(err(&probe))
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
        if let Err(e) = f.write_all(bytes).and_then(|()| f.sync_all()) {
            // Leave no half-written temporary file behind (the real file is intact).
            drop(f);
            let _ = fs::remove_file(&tmp);
            return Err(err(&tmp)(e));
        }
    }
    if let Err(e) = fs::rename(&tmp, path) {
        let _ = fs::remove_file(&tmp);
        return Err(err(path)(e));
    }
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
    #[cfg(unix)]
    fn a_new_directory_is_private_and_an_existing_one_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().expect("tempdir");
        let new = tmp.path().join("new");
        ensure_dir(&new).expect("create");
        let mode = |p: &Path| fs::metadata(p).expect("meta").permissions().mode() & 0o7777;
        assert_eq!(mode(&new), 0o700);
        // A shared directory, like /tmp (sticky, everyone may write).
        let shared = tmp.path().join("shared");
        fs::create_dir(&shared).expect("mkdir");
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777)).expect("chmod");
        ensure_dir(&shared).expect("exists");
        assert_eq!(mode(&shared), 0o1777);
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o755)).expect("chmod");
        ensure_dir(&shared).expect("exists");
        assert_eq!(mode(&shared), 0o755);
    }

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
