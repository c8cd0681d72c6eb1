//! Backups of a running node's store, and the check a restore makes.
//!
//! A node runs for years, so its operator must be able to copy the store
//! without stopping it. redb commits with `Durability::Immediate`: after a
//! commit the file on disk is a complete database. So a backup opens a
//! write transaction, which waits for the write in progress and holds off
//! every other until it ends (gossip, sync and the API keep being served
//! from memory; their writes wait for the copy, about a second per GiB),
//! copies the file, and aborts the transaction. The copy is then opened on
//! its own, which repairs what a copy of an open database needs repairing,
//! and checked with redb's integrity check and the schema version before
//! anyone is told it is good.

use std::path::Path;

use redb::Database;

use crate::store::{SCHEMA_VERSION, Store, StoreError};

/// Why a backup or a restore check failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// The store lives in memory: nothing to copy.
    #[error("this node's store is in memory; there is no file to back up")]
    InMemory,
    /// Copying the file failed (disk full, permissions).
    #[error("copying the store to {path}: {source}")]
    Copy {
        /// Where the copy was going.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The database refused (opening, a transaction, the integrity check).
    #[error("the store: {0}")]
    Db(String),
    /// The file is not a sound badgemesh store.
    #[error("{path} is not a sound badgemesh store: {why}")]
    Unsound {
        /// The file checked.
        path: std::path::PathBuf,
        /// What is wrong with it.
        why: String,
    },
}

fn db(e: impl std::fmt::Display) -> BackupError {
    BackupError::Db(e.to_string())
}

/// Copies `store` to `dest` (a new file) as of its last commit, and checks
/// the copy. Blocks: run it off the async threads. Returns the bytes
/// copied (the check may then repair the copy, which can change its size).
///
/// # Errors
///
/// [`BackupError`]: an in-memory store, an I/O error, or a copy that does
/// not check out (it is removed).
pub fn snapshot(store: &Store, dest: &Path) -> Result<u64, BackupError> {
    let source = store.path().ok_or(BackupError::InMemory)?;
    let copied = {
        let hold = store.database().begin_write().map_err(db)?;
        let copied = std::fs::copy(source, dest).map_err(|e| BackupError::Copy {
            path: dest.to_owned(),
            source: e,
        });
        hold.abort().map_err(db)?;
        copied?
    };
    if let Err(e) = check(dest) {
        let _ = std::fs::remove_file(dest);
        return Err(e);
    }
    Ok(copied)
}

/// Checks that `path` is a sound store of this schema: it opens (repaired
/// if it was copied while open), passes redb's integrity check (every
/// page's checksum and the tree structure), and has this schema version.
///
/// # Errors
///
/// [`BackupError::Unsound`] with the reason.
pub fn check(path: &Path) -> Result<(), BackupError> {
    let unsound = |why: String| BackupError::Unsound {
        path: path.to_owned(),
        why,
    };
    let mut database = Database::open(path).map_err(|e| unsound(e.to_string()))?;
    match database.check_integrity() {
        Ok(true) => {}
        Ok(false) => return Err(unsound("it needed repairs (a damaged page)".into())),
        Err(e) => return Err(unsound(e.to_string())),
    }
    drop(database);
    match Store::open(path) {
        Ok(_) => Ok(()),
        Err(StoreError::UnknownSchema { found }) => Err(unsound(format!(
            "schema version {found}, and this version reads {SCHEMA_VERSION}"
        ))),
        Err(e) => Err(unsound(e.to_string())),
    }
}
