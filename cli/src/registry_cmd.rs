//! `badgemesh trust ...` (whom this node believes) and `badgemesh registry
//! ...` (publishing this identity's own list as a trust registry).
//!
//! Trust anchors live in `trust.json` in the data directory: these commands
//! edit it directly, with or without a running node, then tell a running
//! node to reread it (it then keeps and fetches the listings of the
//! registries it now follows). Publishing a list needs the node: listings
//! are records, signed by the node's identity and gossiped.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use badgemesh_node::trust::linkage;
use badgemesh_node::trust::registries::{DomainCheck, LocalListing, TrustFile, import_dcc};
use clap::Subcommand;
use serde_json::{Value, json};

use crate::client::NodeClient;
use crate::fail::{NOT_VALID, OK, usage};
use crate::output::{ago, print_json};

/// `badgemesh trust ...`
#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// Believe a trust registry's listings (ranked after those already followed).
    #[command(
        after_help = "Example:\n  badgemesh trust follow did:key:z6Mk... --name \"Ministry of Education\"\n\nNo registry is followed by default. A listing says whose key an issuer's is;\nwithout one, verdicts show the issuer's name only as its own claim."
    )]
    Follow {
        /// The registry's DID (a badgemesh identity).
        did: String,
        /// What you call it.
        #[arg(long)]
        name: String,
    },
    /// Stop believing a registry.
    #[command(after_help = "Example:\n  badgemesh trust unfollow did:key:z6Mk...")]
    Unfollow {
        /// The registry's DID.
        did: String,
    },
    /// List followed registries (with how fresh their lists are), local
    /// listings and domain checks.
    #[command(after_help = "Example:\n  badgemesh trust list --json")]
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Vouch for an issuer on this node only (a registry of one).
    #[command(
        after_help = "Example:\n  badgemesh trust add did:key:z6Mk... --name \"Example Academy\" --domain academy.example"
    )]
    Add {
        /// The issuer identifier, exactly as its badges carry it (did:key,
        /// did:web, or an https URL for OB 2.0/3.0 issuers).
        subject: String,
        /// The organisation's name.
        #[arg(long)]
        name: String,
        /// Its domains (repeat).
        #[arg(long = "domain")]
        domains: Vec<String>,
    },
    /// Remove a local listing.
    #[command(after_help = "Example:\n  badgemesh trust remove did:key:z6Mk...")]
    Remove {
        /// The issuer identifier.
        subject: String,
    },
    /// Import a Digital Credentials Consortium issuer registry file
    /// (`dcc-legacy` JSON) as local listings. DCC's lists are unsigned, so
    /// they become your word, with their source noted.
    #[command(
        name = "import-dcc",
        after_help = "Example:\n  badgemesh trust import-dcc registry.json --source https://digitalcredentials.github.io/community-registry/registry.json"
    )]
    ImportDcc {
        /// The registry JSON file.
        file: PathBuf,
        /// Where it came from (shown with every entry).
        #[arg(long)]
        source: Option<String>,
    },
    /// Fetch an origin's /.well-known/did-configuration.json once (online),
    /// verify its domain linkage credentials, and remember what was seen.
    #[command(
        name = "check-domain",
        after_help = "Example:\n  badgemesh trust check-domain https://academy.example\n\nExit status: 0 when at least one DID is validly linked, 1 when none is, 2 when the file cannot be fetched or read."
    )]
    CheckDomain {
        /// The origin (https; http only for loopback).
        origin: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `badgemesh registry ...`
#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// As a trust registry, vouch for an issuer: a signed listing, gossiped.
    #[command(
        after_help = "Example:\n  badgemesh registry list did:key:z6Mk... --name \"Example Academy\" --domain academy.example --country FR --accreditation \"Higher education\""
    )]
    List {
        /// The issuer identifier, exactly as its badges carry it.
        subject: String,
        /// The organisation's name.
        #[arg(long)]
        name: String,
        /// Its legal name.
        #[arg(long)]
        legal_name: Option<String>,
        /// Its domains (repeat).
        #[arg(long = "domain")]
        domains: Vec<String>,
        /// ISO 3166-1 alpha-2 country code.
        #[arg(long)]
        country: Option<String>,
        /// What it is recognised for.
        #[arg(long)]
        accreditation: Option<String>,
        /// A kind of recognition (a URL or code of your vocabulary).
        #[arg(long)]
        accreditation_type: Option<String>,
        /// Valid until (RFC 3339).
        #[arg(long)]
        valid_until: Option<String>,
        /// When you saw its domain linkage verify (RFC 3339; see `trust check-domain`).
        #[arg(long)]
        domain_checked_at: Option<String>,
    },
    /// Withdraw a listing (a later signed record: it is never silently dropped).
    #[command(
        after_help = "Example:\n  badgemesh registry delist did:key:z6Mk... --reason \"accreditation withdrawn\""
    )]
    Delist {
        /// The issuer identifier.
        subject: String,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
    },
}

/// Tells a running node that `trust.json` changed; fine when none runs.
fn reload(dir: &Path) -> Result<()> {
    if let Ok(client) = NodeClient::find(dir) {
        client.admin("/v1/admin/trust/reload", &json!({}))?.ok()?;
    }
    Ok(())
}

fn edit(dir: &Path, f: impl FnOnce(&mut TrustFile) -> Result<()>) -> Result<()> {
    let mut file = TrustFile::read(dir).map_err(|e| usage(e.to_string()))?;
    f(&mut file)?;
    std::fs::create_dir_all(dir).map_err(|e| usage(format!("{}: {e}", dir.display())))?;
    file.write(dir).map_err(|e| usage(e.to_string()))?;
    reload(dir)
}

/// `badgemesh trust ...`
pub fn trust(cmd: TrustCommand, dir: &Path) -> Result<i32> {
    let now = badgemesh_node::core::now();
    match cmd {
        TrustCommand::Follow { did, name } => {
            edit(dir, |f| {
                f.follow(&did, &name).map_err(|e| usage(e.to_string()))
            })?;
            println!("following {name} ({did})");
        }
        TrustCommand::Unfollow { did } => {
            let mut was = false;
            edit(dir, |f| {
                was = f.unfollow(&did);
                Ok(())
            })?;
            if !was {
                return Err(usage(format!(
                    "{did} is not followed in {}",
                    TrustFile::path(dir).display()
                )));
            }
            println!("no longer following {did}");
        }
        TrustCommand::Add {
            subject,
            name,
            domains,
        } => {
            edit(dir, |f| {
                f.add_local(LocalListing {
                    subject: subject.clone(),
                    name: name.clone(),
                    domains,
                    source: Some("added by this node's operator".into()),
                    added_at: now,
                });
                Ok(())
            })?;
            println!("listed {subject} as {name} on this node");
        }
        TrustCommand::Remove { subject } => {
            let mut was = false;
            edit(dir, |f| {
                was = f.remove_local(&subject);
                Ok(())
            })?;
            if !was {
                return Err(usage(format!("{subject} is not on this node's list")));
            }
            println!("removed {subject} from this node's list");
        }
        TrustCommand::ImportDcc { file, source } => {
            let bytes = std::fs::read(&file)
                .map_err(|e| usage(format!("cannot read {}: {e}", file.display())))?;
            let source = source.unwrap_or_else(|| file.display().to_string());
            let entries = import_dcc(&bytes, &source, now).map_err(|e| usage(e.to_string()))?;
            let n = entries.len();
            edit(dir, |f| {
                entries.into_iter().for_each(|l| f.add_local(l));
                Ok(())
            })?;
            println!("imported {n} issuers from {source} as local listings");
        }
        TrustCommand::List { json } => return list(dir, json),
        TrustCommand::CheckDomain { origin, json } => return check_domain(dir, &origin, json),
    }
    Ok(OK)
}

fn list(dir: &Path, json_out: bool) -> Result<i32> {
    let v = match NodeClient::find(dir) {
        Ok(client) => client.get("/v1/trust")?.ok()?.json,
        Err(_) => {
            let f = TrustFile::read(dir).map_err(|e| usage(e.to_string()))?;
            json!({ "registries": f.registries, "local": f.local, "domains": f.domains })
        }
    };
    if json_out {
        print_json(&v);
        return Ok(OK);
    }
    let regs = v["registries"].as_array().cloned().unwrap_or_default();
    if regs.is_empty() {
        println!("no registry followed (badgemesh trust follow DID --name NAME)");
    }
    for r in regs {
        let fresh = match (r["list_seq"].as_u64(), r["age_secs"].as_i64()) {
            (Some(seq), Some(age)) if seq > 0 => format!("list {seq} signed {}", ago(age)),
            (_, _) if r.get("known").is_some() => "no list received yet".into(),
            _ => "(node not running: freshness unknown)".into(),
        };
        println!(
            "registry  {}  {}  {fresh}",
            r["name"].as_str().unwrap_or(""),
            r["did"].as_str().unwrap_or("")
        );
    }
    for l in v["local"].as_array().into_iter().flatten() {
        println!(
            "local     {}  {}",
            l["name"].as_str().unwrap_or(""),
            l["subject"].as_str().unwrap_or("")
        );
    }
    for d in v["domains"].as_array().into_iter().flatten() {
        println!(
            "domain    {}  {}  {} (checked {})",
            d["origin"].as_str().unwrap_or(""),
            d["did"].as_str().unwrap_or(""),
            d["status"].as_str().unwrap_or(""),
            d["checked_at"].as_str().unwrap_or("")
        );
    }
    Ok(OK)
}

fn check_domain(dir: &Path, origin: &str, json_out: bool) -> Result<i32> {
    let origin = linkage::origin_of(origin).map_err(|e| usage(e.to_string()))?;
    let url = format!("{origin}{}", linkage::WELL_KNOWN_PATH);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(15)))
        .max_redirects(0)
        .build()
        .into();
    let mut resp = agent
        .get(&url)
        .call()
        .map_err(|e| usage(format!("cannot fetch {url}: {e}")))?;
    let bytes = resp
        .body_mut()
        .with_config()
        .limit(linkage::MAX_RESOURCE_BYTES as u64)
        .read_to_vec()
        .map_err(|e| usage(format!("cannot read {url}: {e}")))?;
    let now = badgemesh_node::core::now();
    let results = linkage::check(&bytes, &origin, now).map_err(|e| usage(format!("{url}: {e}")))?;
    edit(dir, |f| {
        for r in &results {
            if let Some(did) = &r.did {
                f.record_domain(DomainCheck {
                    origin: origin.clone(),
                    did: did.clone(),
                    status: r.status.to_owned(),
                    detail: r.detail.clone(),
                    checked_at: now,
                    expires: r.expires,
                });
            }
        }
        Ok(())
    })?;
    if json_out {
        print_json(&json!({ "origin": origin, "checked_at": now, "linked_dids": results }));
    } else {
        if results.is_empty() {
            println!("{origin}: the file links no DID");
        }
        for r in &results {
            println!(
                "{:<13} {}  {}",
                r.status,
                r.did.as_deref().unwrap_or("(unreadable)"),
                r.detail
            );
        }
    }
    Ok(if results.iter().any(|r| r.status == "valid") {
        OK
    } else {
        NOT_VALID
    })
}

/// `badgemesh registry ...`
pub fn registry(cmd: RegistryCommand, dir: &Path) -> Result<i32> {
    let client = NodeClient::find(dir)?;
    let change: Value = match cmd {
        RegistryCommand::List {
            subject,
            name,
            legal_name,
            domains,
            country,
            accreditation,
            accreditation_type,
            valid_until,
            domain_checked_at,
        } => json!({
            "change": "listed", "subject": subject, "name": name, "legal_name": legal_name,
            "domains": domains, "country": country, "accreditation": accreditation,
            "accreditation_type": accreditation_type, "valid_until": valid_until,
            "domain_checked_at": domain_checked_at,
        }),
        RegistryCommand::Delist { subject, reason } => {
            json!({ "change": "delisted", "subject": subject, "reason": reason })
        }
    };
    let v = client
        .admin("/v1/admin/listings", &json!({ "changes": [change] }))?
        .ok()?
        .json;
    println!("list {}", v["list_seq"]);
    Ok(OK)
}
