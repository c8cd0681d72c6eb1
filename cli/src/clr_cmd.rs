//! `badgemesh clr export`: a learner's badges as one CLR 2.0
//! `ClrCredential` signed by this node's issuer (`POST /v1/admin/clr`).
//! An incoming CLR is checked by `badgemesh verify`, like any badge.

use std::path::{Path, PathBuf};

use anyhow::Result;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use clap::Subcommand;
use serde_json::json;

use crate::client::NodeClient;
use crate::fail::{OK, usage};

/// Badge files larger than this are not read.
const MAX_FILE: u64 = 16 * 1024 * 1024;

/// `badgemesh clr ...`
#[derive(Debug, Subcommand)]
pub enum ClrCommand {
    /// Gather a learner's badges (OB 3.0 JSON credentials, and native awards
    /// of this node's issuer) into one signed ClrCredential. Every badge must
    /// be valid for the learner; the pathways between them become
    /// isChildOf and precedes associations.
    #[command(
        after_help = "Example:\n  badgemesh clr export --learner did:key:z6Mk... course.json capstone.badge --out record.json\n\nCheck one with: badgemesh verify record.json"
    )]
    Export {
        /// The learner (an email or a DID) every badge names.
        #[arg(long)]
        learner: String,
        /// The badge files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The record's name.
        #[arg(long)]
        name: Option<String>,
        /// Where to write it (`-` for standard output).
        #[arg(long)]
        out: PathBuf,
    },
}

/// Runs `badgemesh clr`.
pub fn run(cmd: ClrCommand, dir: &Path) -> Result<i32> {
    let ClrCommand::Export {
        learner,
        files,
        name,
        out,
    } = cmd;
    let mut badges = Vec::new();
    for f in &files {
        let size = std::fs::metadata(f)
            .map_err(|e| usage(format!("cannot read {}: {e}", f.display())))?
            .len();
        if size > MAX_FILE {
            return Err(usage(format!(
                "{} is larger than {MAX_FILE} bytes",
                f.display()
            )));
        }
        let bytes =
            std::fs::read(f).map_err(|e| usage(format!("cannot read {}: {e}", f.display())))?;
        badges.push(B64.encode(bytes));
    }
    let client = NodeClient::find(dir)?;
    let bytes = client
        .admin(
            "/v1/admin/clr",
            &json!({ "badges": badges, "learner": learner, "name": name }),
        )?
        .ok()?
        .bytes;
    crate::output::write_output(&out, &bytes)?;
    Ok(OK)
}
