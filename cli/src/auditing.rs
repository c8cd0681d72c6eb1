//! `badgemesh audit`: many badges at once, through the node's bulk route
//! (`POST /v1/verify/batch`), for auditors with a file of badges.
//!
//! The input is NDJSON as the route takes it (a credential per line, or a
//! JSON string with a JWT or the base64 of a native assertion or baked
//! image); the output is the route's answers, one line per input line
//! numbered across the whole file, then a summary line. The file is sent in
//! requests of `--lines-per-request` lines, each read whole before the next
//! is sent: most of the node's answers then wait for this client, and a
//! request stays well under the answers the node keeps unread.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use serde_json::{Value, json};

use crate::client::NodeClient;
use crate::fail::{INDETERMINATE, NOT_VALID, OK, usage};
use crate::verifying::JudgedBy;

/// Longest input line read (a baked image in base64 is far shorter).
const MAX_LINE: usize = 64 << 20;

/// `badgemesh audit`
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  badgemesh audit badges.ndjson > verdicts.ndjson\n\nExit status: 0 when every line is valid, 1 when any is not (or cannot be read), 3 when the rest are valid but some are indeterminate."
)]
pub struct AuditArgs {
    /// The NDJSON file, or - for standard input.
    file: PathBuf,
    #[command(flatten)]
    judged: JudgedBy,
    /// Lines sent per request.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    lines_per_request: u64,
}

/// Runs the audit; prints the answers and returns the exit status.
pub fn audit(a: AuditArgs, dir: &Path) -> Result<i32> {
    let query = a.judged.query()?;
    let client = NodeClient::find(dir)?;
    let mut input: Box<dyn BufRead> = if a.file.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let f = std::fs::File::open(&a.file)
            .map_err(|e| usage(format!("cannot read {}: {e}", a.file.display())))?;
        Box::new(std::io::BufReader::new(f))
    };
    let out = std::io::stdout();
    let mut out = out.lock();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut offset = 0u64;
    loop {
        let (body, lines) = read_lines(&mut input, a.lines_per_request)?;
        if lines == 0 {
            break;
        }
        let answer = client.post_bytes("/v1/verify/batch", &query, &body)?.ok()?;
        let text = String::from_utf8_lossy(&answer.bytes);
        let mut answered = 0u64;
        for line in text.lines() {
            let mut v: Value = serde_json::from_str(line)
                .map_err(|e| usage(format!("the node answered a line that is not JSON: {e}")))?;
            if v.get("summary").is_some() {
                continue;
            }
            if v.get("line").is_none() {
                // The stream ended early: say why and stop.
                writeln!(out, "{v}")?;
                return Err(usage(format!(
                    "the node ended the batch: {}",
                    v["error"]["message"].as_str().unwrap_or("no reason given")
                )));
            }
            answered += 1;
            v["line"] = json!(v["line"].as_u64().unwrap_or(0) + offset);
            let outcome = v["verdict"]["outcome"].as_str().unwrap_or("error");
            *counts.entry(outcome.to_owned()).or_default() += 1;
            writeln!(out, "{v}")?;
        }
        offset += answered;
    }
    let mut summary = serde_json::Map::new();
    summary.insert("lines".into(), offset.into());
    for (k, n) in &counts {
        summary.insert(k.clone(), (*n).into());
    }
    writeln!(out, "{}", json!({ "summary": summary }))?;
    let not_valid = counts.keys().any(|k| k != "valid" && k != "indeterminate");
    Ok(if not_valid {
        NOT_VALID
    } else if counts.contains_key("indeterminate") {
        INDETERMINATE
    } else {
        OK
    })
}

/// Up to `max` non-blank lines, as one request body; and how many.
fn read_lines(input: &mut Box<dyn BufRead>, max: u64) -> Result<(Vec<u8>, u64)> {
    let mut body = Vec::new();
    let mut lines = 0;
    let mut line = Vec::new();
    while lines < max {
        line.clear();
        let mut limited =
            <&mut Box<dyn BufRead> as std::io::Read>::take(&mut *input, MAX_LINE as u64 + 1);
        let n = limited.read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        if line.len() > MAX_LINE {
            return Err(usage(format!(
                "a line is longer than {} MiB",
                MAX_LINE >> 20
            )));
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        body.extend_from_slice(&line);
        if !line.ends_with(b"\n") {
            body.push(b'\n');
        }
        lines += 1;
    }
    Ok((body, lines))
}
