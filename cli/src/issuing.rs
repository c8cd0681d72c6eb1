//! Issuer-side commands: issuer, badge, award, revoke, key.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use badgemesh_protocol::envelope::Envelope;
use badgemesh_protocol::limits::MAX_ENVELOPE_BYTES;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};

use crate::client::NodeClient;
use crate::fail::{OK, usage};
use crate::output::print_json;

/// `badgemesh issuer ...`
#[derive(Debug, Subcommand)]
pub enum IssuerCommand {
    /// Create this node's issuer: keys (current and pre-rotated next) and profile.
    #[command(
        after_help = "Example:\n  badgemesh issuer init --name \"Example Academy\" --url https://academy.example"
    )]
    Init {
        /// Display name.
        #[arg(long)]
        name: String,
        /// Home page.
        #[arg(long)]
        url: Option<String>,
        /// Contact email.
        #[arg(long)]
        email: Option<String>,
        /// Free text.
        #[arg(long)]
        description: Option<String>,
        /// Public base URL where this node's status lists are reachable
        /// (`<URL>/ob3/status/<did>/revocation`); OB 3.0 exports then carry a
        /// BitstringStatusListEntry.
        #[arg(long, value_name = "URL")]
        public_url: Option<String>,
    },
    /// Prove this issuer controls a website: writes the DIF Well-Known DID
    /// Configuration (a Domain Linkage Credential signed by the issuer's key)
    /// to publish at `<origin>/.well-known/did-configuration.json`.
    #[command(
        name = "link-domain",
        after_help = "Example:\n  badgemesh issuer link-domain https://academy.example --out did-configuration.json\n  # then serve it as https://academy.example/.well-known/did-configuration.json"
    )]
    LinkDomain {
        /// The website's origin (https://host).
        origin: String,
        /// Where to write the file.
        #[arg(long, default_value = "did-configuration.json")]
        out: PathBuf,
        /// How many days the linkage holds.
        #[arg(long, default_value_t = 365)]
        valid_days: u32,
    },
    /// Show an issuer (this node's by default).
    #[command(after_help = "Example:\n  badgemesh issuer show did:key:z6Mk...")]
    Show {
        /// The issuer's DID.
        did: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `badgemesh badge ...`
#[derive(Debug, Subcommand)]
pub enum BadgeCommand {
    /// Publish a badge class; prints its id.
    #[command(
        after_help = "Example:\n  badgemesh badge create --name Teamwork --description \"Works well with others\" --criteria \"Nominated by peers\""
    )]
    Create {
        /// Name.
        #[arg(long)]
        name: String,
        /// Description.
        #[arg(long)]
        description: String,
        /// Criteria, in words.
        #[arg(long)]
        criteria: Option<String>,
        /// A page describing the criteria.
        #[arg(long)]
        criteria_url: Option<String>,
        /// An image file (PNG or SVG, at most 32 KiB), embedded as a data: URI.
        #[arg(long, value_name = "FILE")]
        image: Option<PathBuf>,
        /// A tag (repeatable).
        #[arg(long = "tag")]
        tags: Vec<String>,
    },
    /// List known badge classes.
    #[command(after_help = "Example:\n  badgemesh badge list --issuer did:key:z6Mk...")]
    List {
        /// Only this issuer's.
        #[arg(long)]
        issuer: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `badgemesh key ...`
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Rotate to the pre-rotated key and make a new next key.
    #[command(
        after_help = "Examples:\n  badgemesh key rotate\n  badgemesh key rotate --next-key /media/usb/next.key"
    )]
    Rotate {
        /// The next key exported with `key export-next`, when it is not on the node.
        #[arg(long, value_name = "FILE")]
        next_key: Option<PathBuf>,
    },
    /// Move the pre-rotated next key to a file (mode 0600) and remove it from
    /// the node: a thief of the node can then not rotate the issuer.
    #[command(after_help = "Example:\n  badgemesh key export-next --out /media/usb/next.key")]
    ExportNext {
        /// Where to write the key.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// Output formats of `award`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// badgemesh's signed record (CBOR).
    Native,
    /// Open Badges 3.0 credential JSON.
    Ob3,
    /// Open Badges 3.0 credential as a VC-JWT (EdDSA).
    #[value(name = "ob3-jwt")]
    Ob3Jwt,
    /// A baked PNG.
    Png,
    /// A baked SVG.
    Svg,
}

/// `badgemesh award`
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  badgemesh award bciq... --to ada@example.org --out ada.badge")]
pub struct AwardArgs {
    /// The badge class id.
    badge: String,
    /// The earner: an email address (stored salted and hashed) or a DID.
    #[arg(long)]
    to: String,
    /// A URL of evidence (repeatable).
    #[arg(long)]
    evidence: Vec<String>,
    /// Why it was awarded.
    #[arg(long)]
    narrative: Option<String>,
    /// When it expires (RFC 3339).
    #[arg(long)]
    expires: Option<String>,
    /// Where to write the badge.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The file format.
    #[arg(long, value_enum, default_value = "native")]
    format: Format,
    /// The badge image to bake the credential into (--format png or svg).
    #[arg(long, value_name = "FILE")]
    image: Option<PathBuf>,
}

/// `badgemesh revoke`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  badgemesh revoke bciq...\n  badgemesh revoke ada.badge --reason \"awarded by mistake\""
)]
pub struct RevokeArgs {
    /// The assertion id, or a badge file.
    assertion: String,
    /// Why.
    #[arg(long)]
    reason: Option<String>,
}

/// Runs an issuer command.
pub fn issuer(cmd: IssuerCommand, dir: &Path) -> Result<i32> {
    let client = NodeClient::find(dir)?;
    match cmd {
        IssuerCommand::Init {
            name,
            url,
            email,
            description,
            public_url,
        } => {
            let body = json!({
                "name": name, "url": url, "email": email,
                "description": description, "public_base_url": public_url,
            });
            let v = client.admin("/v1/admin/issuer", &body)?.ok()?.json;
            println!("{}", v["did"].as_str().unwrap_or(""));
        }
        IssuerCommand::LinkDomain {
            origin,
            out,
            valid_days,
        } => {
            let v = client
                .admin(
                    "/v1/admin/domain-linkage",
                    &json!({ "origin": origin, "valid_days": valid_days }),
                )?
                .ok()?
                .json;
            let mut text = serde_json::to_vec_pretty(&v).unwrap_or_default();
            text.push(b'\n');
            crate::output::write_output(&out, &text)?;
            println!("{}", out.display());
        }
        IssuerCommand::Show { did, json } => {
            let did = match did {
                Some(d) => d,
                None => client.get("/v1/node")?.ok()?.json["local_issuer"]
                    .as_str()
                    .map(String::from)
                    .ok_or_else(|| {
                        usage("this node has no issuer; give a DID or run `badgemesh issuer init`")
                    })?,
            };
            let v = client.get(&format!("/v1/issuers/{did}"))?.ok()?.json;
            if json {
                print_json(&v);
            } else {
                print_issuer(&v);
            }
        }
    }
    Ok(OK)
}

fn print_issuer(v: &Value) {
    let p = &v["profile"];
    println!("{}", p["name"].as_str().unwrap_or("(no profile yet)"));
    println!("  did           {}", v["did"].as_str().unwrap_or(""));
    if let Some(u) = p["url"].as_str() {
        println!("  url           {u}");
    }
    println!(
        "  keys          {}",
        v["keys"].as_array().map_or(0, Vec::len)
    );
    println!(
        "  badge classes {}",
        v["badge_classes"].as_array().map_or(0, Vec::len)
    );
    println!(
        "  revoked       {} (revocation list {})",
        v["revoked"], v["freshness"]["seq"]
    );
    if let Some(h) = v["head"].as_object() {
        println!(
            "  head          {} signed {}",
            h["seq"],
            h["at"].as_str().unwrap_or("")
        );
    }
    let eq = v["equivocations"].as_array().map_or(0, Vec::len);
    if eq > 0 {
        println!("  WARNING       this issuer signed {eq} pair(s) of conflicting records");
    }
}

/// Runs a badge command.
pub fn badge(cmd: BadgeCommand, dir: &Path) -> Result<i32> {
    let client = NodeClient::find(dir)?;
    match cmd {
        BadgeCommand::Create {
            name,
            description,
            criteria,
            criteria_url,
            image,
            tags,
        } => {
            if criteria.is_none() && criteria_url.is_none() {
                return Err(usage("give --criteria TEXT or --criteria-url URL"));
            }
            let (image, digest) = match image {
                Some(path) => {
                    let (uri, digest) = image_data_uri(&path)?;
                    (Some(uri), Some(digest))
                }
                None => (None, None),
            };
            let body = json!({
                "name": name, "description": description, "criteria": criteria,
                "criteria_url": criteria_url, "image": image, "image_digest": digest, "tags": tags,
            });
            let v = client.admin("/v1/admin/badges", &body)?.ok()?.json;
            println!("{}", v["id"].as_str().unwrap_or(""));
        }
        BadgeCommand::List { issuer, json } => {
            let mut query: Vec<(&str, String)> = vec![("limit", "1000".into())];
            query.extend(issuer.into_iter().map(|i| ("issuer", i)));
            // The node answers in pages; follow them all.
            let mut answer = client.get_query("/v1/badges", &query)?.ok()?;
            let mut all = Vec::new();
            loop {
                all.extend(answer.json.as_array().into_iter().flatten().cloned());
                let Some(next) = answer.next.take() else {
                    break;
                };
                answer = client.get(&next)?.ok()?;
            }
            let v = serde_json::Value::Array(all);
            if json {
                print_json(&v);
            } else {
                for b in v.as_array().into_iter().flatten() {
                    println!(
                        "{}  {}",
                        b["id"].as_str().unwrap_or(""),
                        b["name"].as_str().unwrap_or("")
                    );
                }
            }
        }
    }
    Ok(OK)
}

fn image_data_uri(path: &Path) -> Result<(String, String)> {
    let bytes = std::fs::read(path)
        .map_err(|e| usage(format!("cannot read image {}: {e}", path.display())))?;
    if bytes.len() > 32 * 1024 {
        return Err(usage(format!(
            "image {} is {} bytes; at most 32 KiB can be embedded",
            path.display(),
            bytes.len()
        )));
    }
    let mime = if bytes.starts_with(b"\x89PNG") {
        "image/png"
    } else if String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).contains("<svg") {
        "image/svg+xml"
    } else {
        return Err(usage(format!(
            "{} is neither a PNG nor an SVG image",
            path.display()
        )));
    };
    let digest = badgemesh_protocol::id::RecordId::of(&bytes);
    Ok((
        format!("data:{mime};base64,{}", B64.encode(&bytes)),
        hex::encode(digest.digest()),
    ))
}

/// `badgemesh award`
pub fn award(a: AwardArgs, dir: &Path) -> Result<i32> {
    let image = match (a.format, &a.image) {
        (Format::Png | Format::Svg, None) => {
            return Err(usage(
                "--format png and svg need --image FILE, the badge image to bake into",
            ));
        }
        (_, Some(path)) => Some(
            std::fs::read(path)
                .map_err(|e| usage(format!("cannot read image {}: {e}", path.display())))?,
        ),
        _ => None,
    };
    let client = NodeClient::find(dir)?;
    let body = json!({
        "badge": a.badge, "recipient": a.to, "evidence": a.evidence,
        "narrative": a.narrative, "expires": a.expires,
    });
    let v = client.admin("/v1/admin/awards", &body)?.ok()?.json;
    let id = v["id"].as_str().unwrap_or("").to_owned();
    let native = B64
        .decode(v["assertion"].as_str().unwrap_or(""))
        .context("the node sent an unreadable assertion")?;
    let bytes = match a.format {
        Format::Native => native,
        Format::Ob3 | Format::Ob3Jwt | Format::Png | Format::Svg => {
            let format = if matches!(a.format, Format::Ob3Jwt) {
                "jwt"
            } else {
                "json"
            };
            let credential = client
                .admin(
                    "/v1/admin/ob3",
                    &json!({ "assertion": id, "format": format }),
                )?
                .ok()?
                .bytes;
            let text = String::from_utf8(credential)
                .context("the node sent a credential that is not UTF-8")?;
            crate::baking::bake_into(a.format, image.as_deref(), &text)?
        }
    };
    crate::output::write_output(&a.out, &bytes)?;
    println!("{id}");
    Ok(OK)
}

/// `badgemesh revoke`
pub fn revoke(a: RevokeArgs, dir: &Path) -> Result<i32> {
    let id = if Path::new(&a.assertion).is_file() {
        let bytes = std::fs::read(&a.assertion)
            .map_err(|e| usage(format!("cannot read {}: {e}", a.assertion)))?;
        Envelope::decode(&bytes, MAX_ENVELOPE_BYTES)
            .map_err(|e| usage(format!("{} is not a badgemesh assertion: {e}", a.assertion)))?
            .id()
            .to_string()
    } else {
        a.assertion
            .parse::<badgemesh_protocol::id::RecordId>()
            .map_err(|e| {
                usage(format!(
                    "{:?} is neither a file nor an assertion id: {e}",
                    a.assertion
                ))
            })?
            .to_string()
    };
    let client = NodeClient::find(dir)?;
    let v = client
        .admin(
            "/v1/admin/revocations",
            &json!({ "assertions": [id], "reason": a.reason }),
        )?
        .ok()?
        .json;
    println!("{}", v["seq"]);
    Ok(OK)
}

/// `badgemesh key ...`
pub fn key(cmd: KeyCommand, dir: &Path) -> Result<i32> {
    let client = NodeClient::find(dir)?;
    match cmd {
        KeyCommand::Rotate { next_key } => {
            let body = match next_key {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?;
                    json!({ "next_key": text.trim() })
                }
                None => json!({}),
            };
            let v = client.admin("/v1/admin/rotate", &body)?.ok()?.json;
            println!("{}", v["key_event"].as_str().unwrap_or(""));
        }
        KeyCommand::ExportNext { out } => {
            if out.exists() {
                return Err(usage(format!(
                    "{} exists; refusing to overwrite a key file",
                    out.display()
                )));
            }
            let v = client
                .admin("/v1/admin/keys/export-next", &json!({}))?
                .ok()?
                .json;
            let key = v["next_key"].as_str().unwrap_or("");
            badgemesh_node::datadir::write_secret(&out, format!("{key}\n").as_bytes()).map_err(
                |e| {
                    usage(format!(
                        "cannot write {}: {e}; the key is NOT on the node any more: {key}",
                        out.display()
                    ))
                },
            )?;
            println!(
                "next key written to {} and removed from the node; keep it offline",
                out.display()
            );
        }
    }
    Ok(OK)
}
