//! Verifier-side commands: verify, status, peers.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;

use crate::client::NodeClient;
use crate::fail::{INDETERMINATE, NOT_VALID, OK, usage};
use crate::output::{print_json, print_verdict};

/// Largest badge file read.
const MAX_INPUT: u64 = 64 << 20;

/// `badgemesh verify`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  badgemesh verify ada.badge\n  badgemesh verify ada.badge --recipient ada@example.org --max-age 1h --json\n  cat ada.badge | badgemesh verify -\n  badgemesh verify ada-presentation.json --challenge 8f3c1a --domain jobs.example\n\nA Verifiable Presentation (several badges signed by their earner) is verified as a whole: its\nproof, that its holder is the subject of every credential, the challenge and domain you give,\nand then every credential as on its own; its outcome is the worst of them.\n\nExit status:\n  0  valid\n  1  revoked, suspended, expired, not yet valid, or invalid (also: de-listed, with --require-listed)\n  2  the input could not be read or parsed, no node, or bad usage\n  3  indeterminate: issuer or badge class unknown here, revocation data (or the status or revocation list) not held or older than --max-age, or (with --require-listed) no registry you follow vouches for the issuer"
)]
pub struct VerifyArgs {
    /// The badge file, or - for standard input.
    file: PathBuf,
    /// An email address or DID to match against the recipient.
    #[arg(long)]
    recipient: Option<String>,
    #[command(flatten)]
    judged: JudgedBy,
    /// An Open Badges 2.0 issuer's RSA public key (PEM): checks a signed
    /// (RS256) OB 2.0 badge here, without a node.
    #[arg(long, value_name = "FILE")]
    issuer_key: Option<PathBuf>,
    /// Fetch what the badge needs from its issuer's site first (a hosted
    /// OB 2.0 badge's assertion, BadgeClass and Profile) and keep it, so
    /// later verifications work offline. Only https (and http to loopback).
    #[arg(long)]
    online: bool,
    /// For a presentation: the challenge you gave the earner, which its
    /// proof must carry (another one means a replay).
    #[arg(long)]
    challenge: Option<String>,
    /// For a presentation: your domain, which its proof must carry.
    #[arg(long)]
    domain: Option<String>,
    /// Print the verdict as JSON (stable; `outcome` is one of valid, revoked,
    /// suspended, expired, not_yet_valid, invalid, indeterminate).
    #[arg(long)]
    json: bool,
}

/// What a verdict is judged against: when, how fresh the revocation data
/// must be, and whether a registry must vouch (`verify` and `audit`).
#[derive(Debug, Args)]
pub struct JudgedBy {
    /// Verify as of this time (RFC 3339) instead of now.
    #[arg(long)]
    at: Option<String>,
    /// Treat revocation data older than this as unknown (e.g. 10m, 1h, 2d).
    #[arg(long, value_name = "DURATION")]
    max_age: Option<humantime::Duration>,
    /// Require that a registry you follow (or your own list) vouches for the
    /// issuer: unlisted gives indeterminate (exit 3), de-listed invalid (exit 1).
    #[arg(long)]
    require_listed: bool,
}

impl JudgedBy {
    /// The query parameters the node's verify routes take for these flags;
    /// a usage error when `--at` is not a time.
    pub fn query(&self) -> Result<Vec<(&'static str, String)>> {
        let mut query = Vec::new();
        if let Some(at) = &self.at {
            at.parse::<badgemesh_protocol::time::Timestamp>()
                .map_err(|e| usage(e.to_string()))?;
            query.push(("at", at.clone()));
        }
        if let Some(m) = self.max_age {
            query.push(("max_age", m.as_secs().to_string()));
        }
        if self.require_listed {
            query.push(("require_listed", "true".into()));
        }
        Ok(query)
    }
}

/// `--json` alone.
#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `badgemesh status`
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  badgemesh status bciq...")]
pub struct StatusArgs {
    /// The assertion id.
    id: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// A badge file (or standard input for `-`), at most [`MAX_INPUT`] bytes.
pub(crate) fn read_input(path: &Path) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    let res = if path == Path::new("-") {
        std::io::stdin().take(MAX_INPUT + 1).read_to_end(&mut buf)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_INPUT + 1).read_to_end(&mut buf))
    };
    res.map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?;
    if buf.len() as u64 > MAX_INPUT {
        return Err(usage(format!(
            "{} is larger than {} MiB",
            path.display(),
            MAX_INPUT >> 20
        )));
    }
    if buf.is_empty() {
        return Err(usage(format!("{} is empty", path.display())));
    }
    Ok(buf)
}

/// `badgemesh verify`
pub fn verify(a: VerifyArgs, dir: &Path) -> Result<i32> {
    let input = read_input(&a.file)?;
    let judged = a.judged.query()?;
    let pem = match &a.issuer_key {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?,
        ),
        None => None,
    };
    // With an OB 2.0 issuer key the check is local: the node has no use for it.
    let found = if pem.is_some() {
        Err(usage("checked locally with the given issuer key"))
    } else {
        NodeClient::find(dir)
    };
    let v =
        match found {
            Ok(client) => {
                let mut query = judged;
                if let Some(r) = &a.recipient {
                    query.push(("recipient", r.clone()));
                }
                if let Some(c) = &a.challenge {
                    query.push(("challenge", c.clone()));
                }
                if let Some(d) = &a.domain {
                    query.push(("domain", d.clone()));
                }
                let answer = if a.online {
                    query.push(("online", "true".into()));
                    client.post_bytes_as_admin("/v1/verify", &query, &input)?
                } else {
                    client.post_bytes("/v1/verify", &query, &input)?
                };
                if answer.status != 200 {
                    return Err(usage(format!(
                        "{}: {}",
                        a.file.display(),
                        answer.error_message()
                    )));
                }
                answer.json
            }
            // Self-contained credentials (OB 3.0, OB 2.0, baked images) verify
            // without a node; revocation then stays unknown.
            Err(no_node) if input.first() != Some(&0xd2) => {
                let now =
                    match &a.judged.at {
                        Some(at) => at.parse().map_err(
                            |e: badgemesh_protocol::time::TimestampParseError| usage(e.to_string()),
                        )?,
                        None => badgemesh_node::core::now(),
                    };
                // Without a node no registry's list is at hand; local
                // listings and domain checks in trust.json still count.
                let trust = badgemesh_node::trust::state::TrustState::load(dir, &[]).ok();
                let held = badgemesh_node::trust::held::HeldDocuments::in_data_dir(dir);
                let fetched = a.online.then(|| {
                    badgemesh_node::verdict::online::prefetch(
                        &input,
                        &held,
                        &badgemesh_node::fetch::Fetcher::default(),
                        now,
                    )
                });
                let opts = badgemesh_node::verdict::formats::Options {
                    recipient: a.recipient.as_deref(),
                    max_age_secs: a
                        .judged
                        .max_age
                        .map(|m| i64::try_from(m.as_secs()).unwrap_or(i64::MAX)),
                    ob2_issuer_key_pem: pem.as_deref(),
                    held: Some(&held),
                    trust: trust.as_ref(),
                    require_listed: a.judged.require_listed,
                    cancel: None,
                    profile: Default::default(),
                };
                let asked = badgemesh_node::verdict::presentation::Asked {
                    challenge: a.challenge.as_deref(),
                    domain: a.domain.as_deref(),
                };
                let mut v = badgemesh_node::verdict::presentation::verify_input(
                    &input, None, now, &opts, asked,
                )
                .map_err(|e| {
                    if matches!(
                        e,
                        badgemesh_node::verdict::formats::FormatError::Unrecognised
                    ) {
                        no_node
                    } else {
                        usage(format!("{}: {e}", a.file.display()))
                    }
                })?;
                if let Some(notes) = fetched {
                    v["fetched"] = serde_json::to_value(notes).unwrap_or_default();
                }
                v
            }
            Err(e) => return Err(e),
        };
    if a.json {
        print_json(&v);
    } else {
        print_verdict(&v);
    }
    Ok(match v["outcome"].as_str() {
        Some("valid") => OK,
        Some("indeterminate") => INDETERMINATE,
        _ => NOT_VALID,
    })
}

/// `badgemesh status`
pub fn status(a: StatusArgs, dir: &Path) -> Result<i32> {
    let client = NodeClient::find(dir)?;
    let v = client
        .get(&format!("/v1/assertions/{}/status", a.id))?
        .ok()?
        .json;
    if a.json {
        print_json(&v);
        return Ok(OK);
    }
    let f = &v["freshness"];
    let as_of = f["as_of"].as_str().unwrap_or("never");
    if v["revoked"] == true {
        let by = &v["revoked_by"];
        let reason = by["reason"]
            .as_str()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        println!(
            "REVOKED by revocation list {} signed {}{reason}",
            by["seq"],
            by["at"].as_str().unwrap_or("")
        );
    } else {
        println!(
            "not revoked as of revocation list {} signed {as_of}",
            f["seq"]
        );
    }
    println!("  assertion    {}", v["assertion"].as_str().unwrap_or(""));
    println!("  issuer       {}", v["issuer"].as_str().unwrap_or(""));
    println!("  status index {}", v["status_index"]);
    Ok(OK)
}

/// `badgemesh peers`
pub fn peers(a: JsonFlag, dir: &Path) -> Result<i32> {
    let client = NodeClient::find(dir)?;
    let v = client.get("/v1/peers")?.ok()?.json;
    if a.json {
        print_json(&v);
        return Ok(OK);
    }
    let list = v.as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        println!("no peers connected");
    }
    for p in list {
        let score = p["score"]
            .as_f64()
            .map(|s| format!("score {s:.1}"))
            .unwrap_or_default();
        let addr = p["addresses"][0].as_str().unwrap_or("");
        println!("{}  {addr}  {score}", p["peer_id"].as_str().unwrap_or(""));
    }
    Ok(OK)
}
