//! `badgemesh ob2-key`, `badgemesh status-list`, `badgemesh revocation-list`
//! and `badgemesh did`: outside documents the node holds to verify other
//! issuers' badges offline (OB 2.0 issuer keys, OB 3.0 status list
//! credentials, OB 2.0 and 1EdTech revocation lists, DID documents).
//!
//! They are files in the data directory, read on every verification, so one
//! added while the node runs applies at once, and no node is needed to add
//! one.

use std::path::{Path, PathBuf};

use anyhow::Result;
use badgemesh_node::trust::did_documents::DidDocuments;
use badgemesh_node::trust::ob2_keys::Ob2Keys;
use badgemesh_node::trust::revocation_lists::RevocationLists;
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
    /// point at it get a status answer offline. The list's proof must
    /// verify (for a did:web issuer, add its DID document first with
    /// `badgemesh did add`); add a newer copy to refresh it.
    #[command(
        after_help = "The file is the BitstringStatusListCredential (or legacy StatusList2021Credential)\nserved at the credential's credentialStatus.statusListCredential URL. Give that URL\nwith --url when the list's own id is a different one (DCC's lists, copies on a mirror).\n\nExample:\n  curl -o list.json https://badges.example/status/3\n  badgemesh status-list add --url https://badges.example/status/3 list.json"
    )]
    Add {
        /// The URL credentials point at (`statusListCredential`); without
        /// it, the list's `id`.
        #[arg(long)]
        url: Option<String>,
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

fn time_or(t: Option<badgemesh_protocol::time::Timestamp>, none: &str) -> String {
    t.map(|t| t.to_string()).unwrap_or_else(|| none.into())
}

/// Runs a `status-list` command against the data directory `dir`.
pub fn status_list(c: StatusListCommand, dir: &Path) -> Result<i32> {
    let lists = StatusLists::in_data_dir(dir);
    match c {
        StatusListCommand::Add { url, file } => {
            let bytes = std::fs::read(&file)
                .map_err(|e| usage(format!("cannot read {}: {e}", file.display())))?;
            let held = lists
                .add_at(url.as_deref(), &bytes)
                .map_err(|e| usage(format!("{}: {e}", file.display())))?;
            let l = &held.list;
            println!(
                "holding the {} list {} of {} under {}, valid from {}",
                l.purpose,
                l.id.as_deref().unwrap_or("(no id)"),
                l.issuer,
                held.url,
                time_or(l.valid_from, "?")
            );
            if let Some(w) = l.short_warning() {
                eprintln!("warning: {w}");
            }
        }
        StatusListCommand::List { json } => {
            let all = lists.list().map_err(|e| usage(e.to_string()))?;
            let rows: Vec<serde_json::Value> = all
                .iter()
                .map(|h| {
                    let l = &h.list;
                    serde_json::json!({
                        "url": h.url, "id": l.id, "kind": l.kind.name(), "issuer": l.issuer,
                        "purpose": l.purpose, "entries": l.list.len(),
                        "valid_from": l.valid_from, "valid_until": l.valid_until,
                        "held_since": h.held_since, "warning": l.short_warning(),
                    })
                })
                .collect();
            if json {
                print_json(&serde_json::Value::Array(rows));
            } else if rows.is_empty() {
                println!(
                    "no status lists are held (add one with: badgemesh status-list add [--url URL] FILE)"
                );
            } else {
                for h in &all {
                    println!(
                        "{}  {}  {}  signed {}  held since {}",
                        h.url,
                        h.list.purpose,
                        h.list.issuer,
                        time_or(h.list.valid_from, "?"),
                        time_or(h.held_since, "?")
                    );
                }
            }
        }
    }
    Ok(OK)
}

/// `badgemesh revocation-list ...`
#[derive(Debug, Subcommand)]
pub enum RevocationListCommand {
    /// Hold an issuer's revocation list: an OB 2.0 RevocationList (what a
    /// signed OB 2.0 badge's issuer profile names in `revocationList`) or a
    /// legacy OB 3.0 1EdTechRevocationList. Neither is signed: fetch it from
    /// the issuer's own site. Signed OB 2.0 badges whose issuer declares a
    /// list stay indeterminate until it is held.
    #[command(
        after_help = "Example:\n  curl -o revocations.json https://issuer.example/revocations.json\n  badgemesh revocation-list add revocations.json"
    )]
    Add {
        /// The URL badges name the list by; without it, the list's `id`.
        #[arg(long)]
        url: Option<String>,
        /// The revocation list JSON file.
        file: PathBuf,
    },
    /// List the held revocation lists.
    #[command(after_help = "Example:\n  badgemesh revocation-list list --json")]
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs a `revocation-list` command against the data directory `dir`.
pub fn revocation_list(c: RevocationListCommand, dir: &Path) -> Result<i32> {
    let lists = RevocationLists::in_data_dir(dir);
    match c {
        RevocationListCommand::Add { url, file } => {
            let bytes = std::fs::read(&file)
                .map_err(|e| usage(format!("cannot read {}: {e}", file.display())))?;
            let held = lists
                .add_at(url.as_deref(), &bytes)
                .map_err(|e| usage(format!("{}: {e}", file.display())))?;
            println!(
                "holding the {} of {} under {} ({} revoked)",
                held.list.kind(),
                held.list.issuer().unwrap_or("(issuer not named)"),
                held.url,
                held.list.len()
            );
        }
        RevocationListCommand::List { json } => {
            let all = lists.list().map_err(|e| usage(e.to_string()))?;
            let rows: Vec<serde_json::Value> = all
                .iter()
                .map(|h| {
                    serde_json::json!({
                        "url": h.url, "id": h.list.id(), "kind": h.list.kind(),
                        "issuer": h.list.issuer(), "revoked": h.list.len(),
                        "held_since": h.held_since,
                    })
                })
                .collect();
            if json {
                print_json(&serde_json::Value::Array(rows));
            } else if rows.is_empty() {
                println!(
                    "no revocation lists are held (add one with: badgemesh revocation-list add FILE)"
                );
            } else {
                for h in &all {
                    println!(
                        "{}  {}  {} revoked  held since {}",
                        h.url,
                        h.list.kind(),
                        h.list.len(),
                        time_or(h.held_since, "?")
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
