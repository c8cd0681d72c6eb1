//! `badgemesh ob2-key`, `badgemesh status-list` and `badgemesh did`:
//! outside documents the node holds to verify other issuers' badges offline
//! (OB 2.0 issuer keys, OB 3.0 status list credentials, DID documents).
//!
//! They are files in the data directory, read on every verification, so one
//! added while the node runs applies at once, and no node is needed to add
//! one.

use std::path::{Path, PathBuf};

use anyhow::Result;
use badgemesh_node::trust::did_documents::DidDocuments;
use badgemesh_node::trust::ob2_keys::Ob2Keys;
use badgemesh_node::trust::status_lists::StatusLists;
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

/// `badgemesh status-list ...`
#[derive(Debug, Subcommand)]
pub enum StatusListCommand {
    /// Hold another issuer's OB 3.0 status list: their credentials that
    /// point at it get a revocation answer offline. The list's proof must
    /// verify; add a newer copy to refresh it.
    #[command(
        after_help = "The file is the BitstringStatusListCredential served at the credential's\ncredentialStatus.statusListCredential URL.\n\nExample:\n  curl -o list.json https://badges.example/ob3/status/did:key:z6Mk.../revocation\n  badgemesh status-list add list.json"
    )]
    Add {
        /// The status list credential JSON file.
        file: PathBuf,
    },
    /// List the held status lists.
    #[command(after_help = "Example:\n  badgemesh status-list list --json")]
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `status-list` command against the data directory `dir`.
pub fn status_list(c: StatusListCommand, dir: &Path) -> Result<i32> {
    let lists = StatusLists::in_data_dir(dir);
    match c {
        StatusListCommand::Add { file } => {
            let bytes = std::fs::read(&file)
                .map_err(|e| usage(format!("cannot read {}: {e}", file.display())))?;
            let list = lists
                .add(&bytes)
                .map_err(|e| usage(format!("{}: {e}", file.display())))?;
            println!(
                "holding the {} list {} of {}, valid from {}",
                list.purpose,
                list.id.as_deref().unwrap_or("?"),
                list.issuer.to_did(),
                list.valid_from
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| "?".into())
            );
        }
        StatusListCommand::List { json } => {
            let all = lists.list().map_err(|e| usage(e.to_string()))?;
            let rows: Vec<serde_json::Value> = all
                .iter()
                .map(|l| {
                    serde_json::json!({
                        "id": l.id, "issuer": l.issuer.to_did(), "purpose": l.purpose,
                        "valid_from": l.valid_from, "valid_until": l.valid_until,
                    })
                })
                .collect();
            if json {
                print_json(&serde_json::Value::Array(rows));
            } else if rows.is_empty() {
                println!("no status lists are held (add one with: badgemesh status-list add FILE)");
            } else {
                for l in &all {
                    println!(
                        "{}  {}  {}",
                        l.id.as_deref().unwrap_or("?"),
                        l.purpose,
                        l.issuer.to_did()
                    );
                }
            }
        }
    }
    Ok(OK)
}

/// `badgemesh did ...`
#[derive(Debug, Subcommand)]
pub enum DidCommand {
    /// Hold an OB 3.0 issuer's DID document (did:web and other DIDs that
    /// need the network to resolve): proofs by the keys it lists under
    /// assertionMethod then verify offline.
    #[command(
        after_help = "Example:\n  curl -o did.json https://issuer.example/.well-known/did.json\n  badgemesh did add did.json"
    )]
    Add {
        /// The DID document JSON file.
        file: PathBuf,
    },
    /// List the held DID documents.
    #[command(after_help = "Example:\n  badgemesh did list --json")]
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `did` command against the data directory `dir`.
pub fn did(c: DidCommand, dir: &Path) -> Result<i32> {
    let dids = DidDocuments::in_data_dir(dir);
    match c {
        DidCommand::Add { file } => {
            let bytes = std::fs::read(&file)
                .map_err(|e| usage(format!("cannot read {}: {e}", file.display())))?;
            let doc = dids
                .add(&bytes)
                .map_err(|e| usage(format!("{}: {e}", file.display())))?;
            let keys = doc.methods.iter().filter(|m| m.assertion).count();
            println!(
                "holding the DID document of {} ({keys} assertion key(s))",
                doc.id
            );
        }
        DidCommand::List { json } => {
            let all = dids.list().map_err(|e| usage(e.to_string()))?;
            let rows: Vec<serde_json::Value> = all
                .iter()
                .map(|d| {
                    let keys: Vec<&str> = d
                        .methods
                        .iter()
                        .filter(|m| m.assertion)
                        .map(|m| m.id.as_str())
                        .collect();
                    serde_json::json!({ "id": d.id, "assertion_methods": keys })
                })
                .collect();
            if json {
                print_json(&serde_json::Value::Array(rows));
            } else if rows.is_empty() {
                println!("no DID documents are held (add one with: badgemesh did add FILE)");
            } else {
                for r in &rows {
                    println!(
                        "{}  {}",
                        r["id"].as_str().unwrap_or(""),
                        r["assertion_methods"]
                    );
                }
            }
        }
    }
    Ok(OK)
}
