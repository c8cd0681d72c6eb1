//! `badgemesh ob2-key`: the OB 2.0 issuer keys this node trusts.
//!
//! Keys are files in the data directory, read on every verification, so a
//! key added while the node runs applies at once, and no node is needed to
//! add one.

use std::path::{Path, PathBuf};

use anyhow::Result;
use badgemesh_node::ob2_keys::Ob2Keys;
use clap::Subcommand;

use crate::fail::{OK, usage};
use crate::output::print_json;

/// `badgemesh ob2-key ...`
#[derive(Debug, Subcommand)]
pub enum Ob2KeyCommand {
    /// Trust an OB 2.0 issuer's key: signed (RS256) OB 2.0 badges that name
    /// it in `verification.creator` then verify offline.
    #[command(
        after_help = "The file is the issuer's CryptographicKey document, as published at the key's URL:\n  {\"id\": \"https://issuer.example/keys/1\", \"owner\": \"https://issuer.example/profile\",\n   \"publicKeyPem\": \"-----BEGIN PUBLIC KEY-----\\n...\"}\n\nExample:\n  badgemesh ob2-key add issuer-key.json"
    )]
    Add {
        /// The CryptographicKey JSON file.
        file: PathBuf,
    },
    /// List the trusted OB 2.0 keys.
    #[command(after_help = "Example:\n  badgemesh ob2-key list --json")]
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs an `ob2-key` command against the data directory `dir`.
pub fn ob2_key(c: Ob2KeyCommand, dir: &Path) -> Result<i32> {
    let keys = Ob2Keys::in_data_dir(dir);
    match c {
        Ob2KeyCommand::Add { file } => {
            let bytes = std::fs::read(&file)
                .map_err(|e| usage(format!("cannot read {}: {e}", file.display())))?;
            let key = keys
                .add(&bytes)
                .map_err(|e| usage(format!("{}: {e}", file.display())))?;
            println!("trusted OB 2.0 key {}", key.id);
        }
        Ob2KeyCommand::List { json } => {
            let all = keys.list().map_err(|e| usage(e.to_string()))?;
            if json {
                print_json(&serde_json::to_value(&all).unwrap_or_default());
            } else if all.is_empty() {
                println!("no OB 2.0 keys are trusted (add one with: badgemesh ob2-key add FILE)");
            } else {
                for k in all {
                    println!("{}  owner {}", k.id, k.owner.as_deref().unwrap_or("-"));
                }
            }
        }
    }
    Ok(OK)
}
