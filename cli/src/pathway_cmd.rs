//! `badgemesh pathway`: declare what leads to one of this node's badge
//! classes, draw the graph around any badge class, and tell a holder which
//! steps their badges complete.
//!
//! The node does the work (`/v1/admin/pathways`, `/v1/badges/{id}/pathway`
//! and `.../progress`); this command reads files and draws the answers
//! ([`draw`]).

mod draw;

use std::path::{Path, PathBuf};

use anyhow::Result;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use clap::Subcommand;
use serde_json::{Value, json};

use crate::client::NodeClient;
use crate::fail::{NOT_VALID, OK, usage};
use crate::output::print_json;

/// Badge files larger than this are not read (a badge image is well under).
const MAX_FILE: u64 = 16 * 1024 * 1024;

/// `badgemesh pathway ...`
#[derive(Debug, Subcommand)]
pub enum PathwayCommand {
    /// Declare a pathway to one of this node's badge classes: every
    /// `--all` group and every `--some N:...` group must be done. A pathway
    /// that would close a cycle is refused.
    #[command(
        after_help = "Example:\n  badgemesh pathway declare bciqCAPSTONE --all bciqA,bciqB --some 1:bciqC,bciqD --name \"Capstone track\""
    )]
    Declare {
        /// The badge class it leads to (this node's issuer's).
        goal: String,
        /// Badge class ids, comma-separated, all needed (repeatable).
        #[arg(long, value_name = "ID,ID,...")]
        all: Vec<String>,
        /// `N:ID,ID,...`: N of these badge classes (repeatable).
        #[arg(long, value_name = "N:ID,ID,...")]
        some: Vec<String>,
        /// A name for the pathway.
        #[arg(long)]
        name: Option<String>,
        /// Let this node award the goal on its own when shown verified
        /// prerequisites of one recipient that complete the pathway
        /// (`pathway progress --recipient`); said in the signed record.
        #[arg(long)]
        auto_award: bool,
        /// Print the node's answer as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Draw the graph around a badge class: the pathways that lead to it
    /// (and to its prerequisites) and what it leads to.
    #[command(after_help = "Example:\n  badgemesh pathway show bciq...")]
    Show {
        /// The badge class id.
        badge: String,
        /// Print the node's answer as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Say which steps towards a badge a holder's badges complete: badge
    /// files or presentations, and/or a backpack collection of this node.
    /// Only valid badges count (a revoked one does not). Exits 0 when a
    /// pathway is complete, 1 when steps remain.
    #[command(
        after_help = "Example:\n  badgemesh pathway progress bciq... ada-a.badge ada-b.png\n  badgemesh pathway progress bciq... --collection cv"
    )]
    Progress {
        /// The badge class to reach.
        badge: String,
        /// Badge files (any format `verify` reads) or presentations.
        files: Vec<PathBuf>,
        /// A backpack collection on this node.
        #[arg(long)]
        collection: Option<String>,
        /// Revocation data older than this many seconds counts as unknown.
        #[arg(long, value_name = "SECONDS")]
        max_age: Option<i64>,
        /// The earner (email or DID): only badges awarded to them count,
        /// and on the goal's issuer's node an `--auto-award` pathway that
        /// is complete is awarded to them (the award is written to --out).
        #[arg(long)]
        recipient: Option<String>,
        /// Where to write an automatic award.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print the node's answer as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Withdraw a pathway this node's issuer declared.
    #[command(after_help = "Example:\n  badgemesh pathway withdraw bciq...")]
    Withdraw {
        /// The pathway's id.
        id: String,
    },
}

/// Runs `badgemesh pathway`.
pub fn run(cmd: PathwayCommand, dir: &Path) -> Result<i32> {
    match cmd {
        PathwayCommand::Declare {
            goal,
            all,
            some,
            name,
            auto_award,
            json,
        } => declare(&goal, &all, &some, (name, auto_award), json, dir),
        PathwayCommand::Show { badge, json } => {
            let client = NodeClient::find(dir)?;
            let v = client
                .get(&format!("/v1/badges/{badge}/pathway"))?
                .ok()?
                .json;
            if json {
                print_json(&v);
            } else {
                print!("{}", draw::graph(&v));
            }
            Ok(OK)
        }
        PathwayCommand::Progress {
            badge,
            files,
            collection,
            max_age,
            recipient,
            out,
            json,
        } => progress(
            &badge,
            &files,
            Asked {
                collection,
                max_age,
                recipient,
                out,
            },
            json,
            dir,
        ),
        PathwayCommand::Withdraw { id } => {
            let client = NodeClient::find(dir)?;
            let v = client
                .admin(&format!("/v1/admin/pathways/{id}/withdraw"), &json!({}))?
                .ok()?
                .json;
            println!("{}", v["seq"]);
            Ok(OK)
        }
    }
}

fn ids(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn declare(
    goal: &str,
    all: &[String],
    some: &[String],
    (name, auto_award): (Option<String>, bool),
    json_out: bool,
    dir: &Path,
) -> Result<i32> {
    let mut steps: Vec<Value> = all.iter().map(|g| json!({ "of": ids(g) })).collect();
    for g in some {
        let (n, list) = g
            .split_once(':')
            .ok_or_else(|| usage(format!("--some {g:?}: write N:ID,ID,...")))?;
        let need: u16 = n
            .trim()
            .parse()
            .map_err(|_| usage(format!("--some {g:?}: {n:?} is not a number")))?;
        steps.push(json!({ "need": need, "of": ids(list) }));
    }
    if steps.is_empty() {
        return Err(usage("give at least one --all or --some group"));
    }
    let client = NodeClient::find(dir)?;
    let v = client
        .admin(
            "/v1/admin/pathways",
            &json!({ "goal": goal, "steps": steps, "name": name, "auto_award": auto_award }),
        )?
        .ok()?
        .json;
    if json_out {
        print_json(&v);
    } else {
        println!("{}", v["id"].as_str().unwrap_or(""));
    }
    Ok(OK)
}

/// What `progress` asks besides the files.
struct Asked {
    collection: Option<String>,
    max_age: Option<i64>,
    recipient: Option<String>,
    out: Option<PathBuf>,
}

fn progress(
    badge: &str,
    files: &[PathBuf],
    asked: Asked,
    json_out: bool,
    dir: &Path,
) -> Result<i32> {
    let Asked {
        collection,
        max_age,
        recipient,
        out,
    } = asked;
    if files.is_empty() && collection.is_none() {
        return Err(usage("give badge files, --collection NAME, or both"));
    }
    let (mut badges, mut labels) = (Vec::new(), Vec::new());
    for f in files {
        let size = std::fs::metadata(f)
            .map_err(|e| usage(format!("cannot read {}: {e}", f.display())))?
            .len();
        if size > MAX_FILE {
            return Err(usage(format!(
                "{} is {size} bytes; badge files are at most {MAX_FILE}",
                f.display()
            )));
        }
        let bytes =
            std::fs::read(f).map_err(|e| usage(format!("cannot read {}: {e}", f.display())))?;
        badges.push(B64.encode(bytes));
        labels.push(f.file_name().map_or_else(
            || f.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ));
    }
    let client = NodeClient::find(dir)?;
    // With the token: a collection is the operator's; files need none, but
    // the CLI is the operator anyway.
    let v = client
        .admin(
            &format!("/v1/badges/{badge}/pathway/progress"),
            &json!({
                "badges": badges, "labels": labels, "collection": collection,
                "max_age": max_age, "recipient": recipient,
            }),
        )?
        .ok()?
        .json;
    if json_out {
        print_json(&v);
    } else {
        print!("{}", draw::progress(&v));
    }
    if v["awarded"]["result"] == "awarded" {
        let bytes = B64
            .decode(v["awarded"]["assertion"].as_str().unwrap_or(""))
            .map_err(|e| usage(format!("the node sent an unreadable award: {e}")))?;
        let id = v["awarded"]["id"].as_str().unwrap_or("award");
        let out = out.unwrap_or_else(|| PathBuf::from(format!("{id}.badge")));
        crate::output::write_output(&out, &bytes)?;
        if !json_out {
            eprintln!("awarded: wrote {}", out.display());
        }
    }
    Ok(if v["complete"] == true || v["goal_held"].is_string() {
        OK
    } else {
        NOT_VALID
    })
}
