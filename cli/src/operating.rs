//! Operator commands: `badgemesh backup` and `badgemesh restore`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use badgemesh_node::datadir::{NODE_INFO_FILE, STORE_FILE};
use clap::Args;

use crate::client::NodeClient;
use crate::fail::{OK, storage, usage};

/// `badgemesh backup`
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  badgemesh backup --out /backups/badgemesh-$(date +%F).redb\n\nThe node keeps running: the copy is of the store as of its last commit (writes wait for the copy, about a second per GiB), checked by the node before it is sent, and written here under a temporary name until it is whole. The store holds the records, the backpack and the issued credentials' status; keep the data directory's keys (identity.key, issuer.key, admin.token) safe separately.\n\nExit status: 0 written; 2 no node or bad usage; 4 the copy could not be made or written."
)]
pub struct BackupArgs {
    /// Where to write the copy (a new file).
    #[arg(long)]
    out: PathBuf,
}

/// `badgemesh restore`
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  badgemesh restore /backups/badgemesh-2026-12-01.redb\n\nStop the node first. The file is checked (redb's integrity check and the schema version) before it replaces the store; the store it replaces is kept as store.redb.before-restore.\n\nExit status: 0 restored; 2 a node is running, the file is not a sound store, or bad usage; 4 the data directory could not be written."
)]
pub struct RestoreArgs {
    /// A file written by `badgemesh backup`.
    file: PathBuf,
}

/// `badgemesh backup`
pub fn backup(a: BackupArgs, dir: &Path) -> Result<i32> {
    let client = NodeClient::find(dir)?;
    if a.out.exists() {
        return Err(usage(format!(
            "{} exists; choose a new file",
            a.out.display()
        )));
    }
    let part = partial(&a.out);
    let mut file = std::fs::File::create(&part)
        .map_err(|e| storage(format!("cannot create {}: {e}", part.display())))?;
    let written = client.admin_download("/v1/admin/backup", &mut file);
    let done = written.and_then(|n| {
        file.flush()?;
        file.sync_all()
            .map_err(|e| storage(format!("writing {}: {e}", part.display())))?;
        std::fs::rename(&part, &a.out)
            .map_err(|e| storage(format!("naming {}: {e}", a.out.display())))?;
        Ok(n)
    });
    match done {
        Ok(n) => {
            println!("wrote {} ({n} bytes)", a.out.display());
            Ok(OK)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            Err(e)
        }
    }
}

/// `badgemesh restore`
pub fn restore(a: RestoreArgs, dir: &Path) -> Result<i32> {
    if node_answers(dir) {
        return Err(usage(format!(
            "a node is running on {}; stop it first",
            dir.display()
        )));
    }
    // Checked on a copy in the data directory: the check may repair what it
    // opens, and the original stays as the operator gave it.
    let store = dir.join(STORE_FILE);
    let incoming = partial(&store);
    std::fs::create_dir_all(dir)
        .map_err(|e| storage(format!("cannot create {}: {e}", dir.display())))?;
    std::fs::copy(&a.file, &incoming)
        .map_err(|e| usage(format!("cannot read {}: {e}", a.file.display())))?;
    if let Err(e) = badgemesh_node::backup::check(&incoming) {
        let _ = std::fs::remove_file(&incoming);
        return Err(usage(format!("{}: {e}", a.file.display())));
    }
    std::fs::File::open(&incoming)
        .and_then(|f| f.sync_all())
        .map_err(|e| storage(format!("writing {}: {e}", incoming.display())))?;
    if store.exists() {
        let kept = dir.join(format!("{STORE_FILE}.before-restore"));
        std::fs::rename(&store, &kept)
            .map_err(|e| storage(format!("keeping the old store: {e}")))?;
        println!("kept the previous store as {}", kept.display());
    }
    std::fs::rename(&incoming, &store)
        .with_context(|| format!("putting {} in place", store.display()))
        .map_err(|e| storage(e.to_string()))?;
    // The node's address file of a stopped node is stale.
    let _ = std::fs::remove_file(dir.join(NODE_INFO_FILE));
    println!("restored {} from {}", store.display(), a.file.display());
    Ok(OK)
}

/// `FILE.partial`: a name nobody mistakes for the finished file.
fn partial(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// True when a node on `dir` answers its API.
fn node_answers(dir: &Path) -> bool {
    NodeClient::find(dir).is_ok_and(|c| c.get("/healthz").is_ok())
}
