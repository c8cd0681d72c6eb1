//! Exit statuses, and errors that carry one.

use std::fmt;

/// Success (and a valid badge).
pub const OK: i32 = 0;
/// The badge is revoked, expired, not yet valid or invalid.
pub const NOT_VALID: i32 = 1;
/// Bad usage, or input that could not be read or parsed, or no node.
pub const USAGE: i32 = 2;
/// Indeterminate: issuer or badge class unknown here, or revocation data too old.
pub const INDETERMINATE: i32 = 3;
/// The data directory cannot take a write: the disk is full, it is read-only,
/// or the node's store halted after such a failure. Its own status so that a
/// script or supervisor can tell "fix the machine" from "fix the input".
pub const STORAGE: i32 = 4;

/// An error with the exit status it should end the program with.
#[derive(Debug)]
pub struct Failure {
    /// The exit status.
    pub code: i32,
    /// What went wrong and what to do.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// An error that exits with [`USAGE`].
pub fn usage(message: impl Into<String>) -> anyhow::Error {
    Failure {
        code: USAGE,
        message: message.into(),
    }
    .into()
}

/// An error that exits with [`STORAGE`].
pub fn storage(message: impl Into<String>) -> anyhow::Error {
    Failure {
        code: STORAGE,
        message: message.into(),
    }
    .into()
}
