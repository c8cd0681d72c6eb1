//! `badgemesh certificate`: a printable certificate of a valid badge, whose
//! QR code carries the whole signed badge (see `badgemesh-paper`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use badgemesh_bake::{Extracted, Limits, to_compact, unbake};
use badgemesh_paper::{Certificate, Paper};
use clap::{Args, ValueEnum};
use serde_json::Value;

use crate::client::NodeClient;
use crate::fail::{NOT_VALID, OK, usage};
use crate::output::issuer_words;
use crate::verifying::read_input;

/// `badgemesh certificate`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  badgemesh certificate ada.badge --name \"Ada Lovelace\" --out ada.pdf\n  badgemesh certificate credential.json --paper letter --out ada.png\n  badgemesh verify ada.png        # reads the QR code back, offline\n\nThe QR code holds the signed badge itself (BM1: + Base45 + zlib), not a link:\na phone or a desk scanner verifies it with no network. Only a badge the node\nfinds valid is printed.\n\nExit status:\n  0  written\n  1  the badge is not valid (revoked, expired, invalid...) or too large for a QR code\n  2  the input could not be read, no node for a native badge, or bad usage"
)]
pub struct CertificateArgs {
    /// The badge file (native, OB 3.0 JSON or VC-JWT, signed OB 2.0, or a
    /// baked image), or - for standard input.
    file: PathBuf,
    /// Where to write it: `.pdf` or `.png`.
    #[arg(long)]
    out: PathBuf,
    /// The paper size.
    #[arg(long, value_enum, default_value = "a4")]
    paper: PaperArg,
    /// The earner's name as it should be printed (badges usually name their
    /// recipient only by a hashed email or a DID).
    #[arg(long)]
    name: Option<String>,
    /// Resolution of a PNG (72 to 600).
    #[arg(long, default_value_t = 150)]
    dpi: u32,
}

/// Paper sizes on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum PaperArg {
    /// ISO A4.
    A4,
    /// US Letter.
    Letter,
}

/// `badgemesh certificate`
pub fn certificate(a: CertificateArgs, dir: &Path) -> Result<i32> {
    let input = read_input(&a.file)?;
    let pdf = match a.out.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("pdf") => true,
        Some(e) if e.eq_ignore_ascii_case("png") => false,
        _ => return Err(usage("--out must end in .pdf or .png")),
    };
    let badge = printable(&input)?;
    // The node judges the very bytes that will be printed, in their printed
    // form: what it finds valid is what a scanner will find.
    let client = NodeClient::find(dir)?;
    let answer = client.post_bytes("/v1/verify", &[], to_compact(&badge).as_bytes())?;
    if answer.status != 200 {
        return Err(usage(format!(
            "{}: {}",
            a.file.display(),
            answer.error_message()
        )));
    }
    let v = answer.json;
    let outcome = v["outcome"].as_str().unwrap_or("unknown");
    if outcome != "valid" {
        let failed: Vec<&str> = v["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["status"] != "pass" && c["status"] != "skipped")
            .filter_map(|c| c["detail"].as_str())
            .collect();
        eprintln!(
            "error: not printing a certificate of a badge that is {}{}{}",
            outcome.replace('_', " "),
            if failed.is_empty() { "" } else { ": " },
            failed.join("; ")
        );
        return Ok(NOT_VALID);
    }
    let text = |k: &Value| k.as_str().filter(|s| !s.is_empty()).map(str::to_owned);
    let c = Certificate {
        badge_name: text(&v["badge"]["name"]).unwrap_or_else(|| "Badge".into()),
        issuer: issuer_words(&v).1,
        recipient: a.name.clone(),
        issued_on: text(&v["issued_on"]),
        expires: text(&v["expires"]),
        description: text(&v["badge"]["description"])
            .or_else(|| text(&v["badge"]["criteria"]["narrative"])),
        id: text(&v["assertion"]).unwrap_or_default(),
        badge,
    };
    let paper = match a.paper {
        PaperArg::A4 => Paper::A4,
        PaperArg::Letter => Paper::Letter,
    };
    let made = if pdf {
        badgemesh_paper::pdf(&c, paper)
    } else {
        badgemesh_paper::png(&c, paper, a.dpi)
    };
    let bytes = match made {
        Ok(b) => b,
        Err(e @ badgemesh_paper::PaperError::TooLarge { .. }) => {
            eprintln!("error: {e}");
            return Ok(NOT_VALID);
        }
        Err(e) => return Err(e.into()),
    };
    std::fs::write(&a.out, &bytes).with_context(|| format!("writing {}", a.out.display()))?;
    println!(
        "wrote {} ({:?}, {} bytes): {} by {}",
        a.out.display(),
        a.paper,
        bytes.len(),
        c.badge_name,
        c.issuer
    );
    Ok(OK)
}

/// The bytes a QR code should carry: the signed badge itself, out of any
/// image, and JSON without its whitespace (its proof is over the data, not
/// the bytes). A hosted OB 2.0 badge is only a link, so it has nothing to
/// carry.
fn printable(input: &[u8]) -> Result<Vec<u8>> {
    let unreadable = |e: badgemesh_bake::UnbakeError| usage(format!("not a badge: {e}"));
    let text = match unbake(input, &Limits::default()).map_err(unreadable)? {
        Extracted::Native => return Ok(input.to_vec()),
        Extracted::Printed { badge, .. } => return Ok(badge),
        Extracted::Json(t) | Extracted::Jws(t) => t,
        Extracted::Baked { baked, .. } => baked.text,
        _ => return Err(usage("not a badge this version can print")),
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(doc) if doc.get("proof").is_some() || doc.get("signature").is_some() => {
            Ok(doc.to_string().into_bytes())
        }
        Ok(_) => Err(usage(
            "this badge carries no signature of its own (a hosted Open Badges 2.0 badge is verified at its issuer's site), so a certificate's code could not prove it",
        )),
        // A compact JWS (VC-JWT or signed OB 2.0).
        Err(_) => Ok(text.trim().as_bytes().to_vec()),
    }
}
