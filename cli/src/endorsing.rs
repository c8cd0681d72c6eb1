//! `badgemesh endorse`: this node's issuer vouches for a badge class,
//! another issuer or one assertion, and withdraws what it vouched for.
//!
//! Endorsements of badge classes and issuers are gossiped like every public
//! record. An endorsement of an assertion is not (who earned what is
//! private): the command writes it into a bundle, with the endorser's public
//! records so that it verifies on a node that never heard of the endorser,
//! for the earner to keep beside the assertion and hand to a verifier
//! (`badgemesh import FILE`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use badgemesh_protocol::bundle;
use badgemesh_protocol::envelope::Envelope;
use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use clap::{Args, Subcommand};
use serde_json::json;

use crate::client::NodeClient;
use crate::fail::{OK, usage};
use crate::output::print_json;

/// `badgemesh endorse ...`
#[derive(Debug, Subcommand)]
pub enum EndorseCommand {
    /// Endorse a badge class, by its id (any issuer's).
    #[command(
        after_help = "Example:\n  badgemesh endorse badge bciq... --comment \"We hire on this badge\" --valid-until 2028-01-01T00:00:00Z"
    )]
    Badge(EndorseArgs),
    /// Endorse another issuer, by its DID.
    #[command(
        after_help = "Example:\n  badgemesh endorse issuer did:key:z6Mk... --comment \"Accredited training partner\""
    )]
    Issuer(EndorseArgs),
    /// Endorse one assertion (by id, or a native badge file). It is not
    /// gossiped: it is written to a bundle (--out) that travels with the
    /// assertion; a verifier imports it with `badgemesh import`.
    #[command(
        after_help = "Example:\n  badgemesh endorse assertion ada.badge --comment \"Excellent work\" --out ada.endorsement.bundle"
    )]
    Assertion(EndorseArgs),
    /// Export an endorsement this node's issuer signed as a signed OB 3.0
    /// EndorsementCredential (JSON, eddsa-rdfc-2022), for any OB 3.0 tool.
    #[command(after_help = "Example:\n  badgemesh endorse export bciq... --out endorsement.json")]
    Export {
        /// The endorsement's id.
        id: String,
        /// Where to write it (`-` for standard output).
        #[arg(long)]
        out: PathBuf,
    },
    /// Withdraw an endorsement this node's issuer signed (a revocation
    /// update sets its status index, as for a revoked award).
    #[command(
        after_help = "Example:\n  badgemesh endorse revoke bciq... --reason \"programme closed\""
    )]
    Revoke {
        /// The endorsement's id.
        id: String,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
    },
}

/// What to say about the target.
#[derive(Debug, Args)]
pub struct EndorseArgs {
    /// The badge class id, the issuer's DID, or the assertion id or file.
    target: String,
    /// What you say about it (OB 3.0 `endorsementComment`).
    #[arg(long)]
    comment: String,
    /// A short name for the endorsement.
    #[arg(long)]
    name: Option<String>,
    /// When the endorsement stops holding (RFC 3339); none by default.
    #[arg(long, value_name = "RFC3339")]
    valid_until: Option<String>,
    /// Also write the endorsement, with your public records, as a bundle
    /// (for an assertion: `endorsement-<id>.bundle` when not given).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the node's answer as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `badgemesh endorse`.
pub fn endorse(cmd: EndorseCommand, dir: &Path) -> Result<i32> {
    let (about, a) = match cmd {
        EndorseCommand::Badge(a) => ("badge_class", a),
        EndorseCommand::Issuer(a) => ("issuer", a),
        EndorseCommand::Assertion(a) => ("assertion", a),
        EndorseCommand::Revoke { id, reason } => return revoke(&id, reason, dir),
        EndorseCommand::Export { id, out } => return export(&id, &out, dir),
    };
    let client = NodeClient::find(dir)?;
    let target = if about == "assertion" && Path::new(&a.target).is_file() {
        // The earner's badge file: the node must hold the assertion to
        // endorse it, so it is given to the node first (checked like any
        // record; private, it is not gossiped).
        let bytes = std::fs::read(&a.target)
            .map_err(|e| usage(format!("cannot read {}: {e}", a.target)))?;
        let id = Envelope::decode(&bytes, MAX_ENVELOPE_BYTES)
            .map_err(|e| {
                usage(format!(
                    "{} is not a native badgemesh assertion: {e}",
                    a.target
                ))
            })?
            .id()
            .to_string();
        let stored = client.admin_bytes("/v1/admin/records", &bytes)?.ok()?.json;
        if !matches!(stored["outcome"].as_str(), Some("accepted" | "duplicate")) {
            return Err(usage(format!(
                "the node does not take {}: {} ({})",
                a.target,
                stored["outcome"].as_str().unwrap_or("refused"),
                stored["detail"].as_str().unwrap_or("")
            )));
        }
        id
    } else {
        a.target.clone()
    };
    let body = json!({
        "about": about, "target": target, "comment": a.comment,
        "name": a.name, "valid_until": a.valid_until,
    });
    let v = client.admin("/v1/admin/endorsements", &body)?.ok()?.json;
    let id = v["id"].as_str().unwrap_or("").to_owned();
    let out = a.out.or_else(|| {
        (about == "assertion").then(|| PathBuf::from(format!("endorsement-{id}.bundle")))
    });
    if let Some(out) = out {
        let endorsement = B64
            .decode(v["endorsement"].as_str().unwrap_or(""))
            .context("the node sent an unreadable endorsement")?;
        let endorser = v["endorser"].as_str().unwrap_or("").to_owned();
        let answer = client
            .get_query("/v1/export", &[("issuer", endorser)])?
            .ok()?;
        let contents = bundle::read(&answer.bytes)
            .map_err(|e| usage(format!("the node sent a bad bundle: {e}")))?;
        if let Some(e) = contents.error {
            return Err(usage(format!("the node sent a bad bundle: {e}")));
        }
        let mut records: Vec<&[u8]> = contents.records.clone();
        records.push(&endorsement);
        let bytes = bundle::write(&records, contents.created_at);
        crate::output::write_output(&out, &bytes)?;
        if !a.json {
            eprintln!(
                "wrote {} (import it on the verifier's node: badgemesh import {})",
                out.display(),
                out.display()
            );
        }
    }
    if a.json {
        print_json(&v);
    } else {
        println!("{id}");
    }
    Ok(OK)
}

fn export(id: &str, out: &Path, dir: &Path) -> Result<i32> {
    let id = id
        .parse::<badgemesh_protocol::id::RecordId>()
        .map_err(|e| usage(format!("{id:?} is not an endorsement id: {e}")))?;
    let client = NodeClient::find(dir)?;
    let bytes = client
        .admin(
            "/v1/admin/endorsements/ob3",
            &json!({ "endorsement": id.to_string() }),
        )?
        .ok()?
        .bytes;
    crate::output::write_output(out, &bytes)?;
    Ok(OK)
}

fn revoke(id: &str, reason: Option<String>, dir: &Path) -> Result<i32> {
    let id = id
        .parse::<badgemesh_protocol::id::RecordId>()
        .map_err(|e| usage(format!("{id:?} is not an endorsement id: {e}")))?;
    let client = NodeClient::find(dir)?;
    let v = client
        .admin(
            "/v1/admin/revocations",
            &json!({ "endorsements": [id.to_string()], "reason": reason }),
        )?
        .ok()?
        .json;
    println!("{}", v["seq"]);
    Ok(OK)
}
