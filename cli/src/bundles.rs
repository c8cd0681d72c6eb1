//! `badgemesh export` and `badgemesh import`: bundles for offline carrying.

use std::path::{Path, PathBuf};

use anyhow::Result;
use badgemesh_protocol::bundle;
use badgemesh_protocol::time::Timestamp;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

use crate::client::NodeClient;
use crate::fail::{NOT_VALID, OK, usage};

/// Most records sent to the node per request on import.
const IMPORT_BATCH: usize = 256;
/// Most record bytes sent per request on import: half the node's default
/// 8 MiB body limit, so a batch of large records (256 of the 48 KiB a record
/// may have would be 12 MiB) never makes the node refuse the whole batch.
const IMPORT_BATCH_BYTES: usize = 4 * 1024 * 1024;
/// Largest bundle read.
const MAX_BUNDLE: u64 = 1 << 30;

/// `badgemesh export`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  badgemesh export --out all.bundle\n  badgemesh export --issuer did:key:z6Mk... --out academy.bundle"
)]
pub struct ExportArgs {
    /// Only these issuers (repeatable); all known issuers by default.
    #[arg(long)]
    issuer: Vec<String>,
    /// The bundle file to write.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// `badgemesh import`
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  badgemesh import academy.bundle\n\nEvery record is verified and applied through the same rules as gossip. Exit status 1 if any record was rejected or the bundle is damaged."
)]
pub struct ImportArgs {
    /// The bundle file.
    file: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

fn spinner(msg: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_message(msg.to_owned());
    pb
}

/// `badgemesh export`
pub fn export(a: ExportArgs, dir: &Path) -> Result<i32> {
    let client = NodeClient::find(dir)?;
    let pb = spinner("exporting");
    let mut query: Vec<(&str, String)> = vec![("limit", "1000".into())];
    if !a.issuer.is_empty() {
        query.push(("issuer", a.issuer.join(",")));
    }
    // The node exports a page of issuers at a time; the pages are joined
    // into one bundle.
    let mut answer = client.get_query("/v1/export", &query)?.ok()?;
    let mut records: Vec<Vec<u8>> = Vec::new();
    let mut created_at = None;
    loop {
        let contents = bundle::read(&answer.bytes)
            .map_err(|e| usage(format!("the node sent a bad bundle: {e}")))?;
        if let Some(e) = contents.error {
            return Err(usage(format!("the node sent a bad bundle: {e}")));
        }
        created_at.get_or_insert(contents.created_at);
        records.extend(contents.records.iter().map(|r| r.to_vec()));
        let Some(next) = answer.next.take() else {
            break;
        };
        answer = client.get(&next)?.ok()?;
    }
    pb.finish_and_clear();
    let refs: Vec<&[u8]> = records.iter().map(Vec::as_slice).collect();
    let bytes = bundle::write(&refs, created_at.unwrap_or(Timestamp(0)));
    crate::output::write_output(&a.out, &bytes)?;
    println!("exported {} records to {}", records.len(), a.out.display());
    Ok(OK)
}

/// The records in import batches of at most [`IMPORT_BATCH`] records and
/// [`IMPORT_BATCH_BYTES`] bytes (a record larger than that goes alone), each
/// with the index of its first record.
fn batches<'r, 'a>(records: &'r [&'a [u8]]) -> Vec<(usize, &'r [&'a [u8]])> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < records.len() {
        let mut end = start;
        let mut bytes = 0;
        while end < records.len() && end - start < IMPORT_BATCH {
            let len = records[end].len();
            if end > start && bytes + len > IMPORT_BATCH_BYTES {
                break;
            }
            bytes += len;
            end += 1;
        }
        out.push((start, &records[start..end]));
        start = end;
    }
    out
}

/// `badgemesh import`
pub fn import(a: ImportArgs, dir: &Path) -> Result<i32> {
    let meta = std::fs::metadata(&a.file)
        .map_err(|e| usage(format!("cannot read {}: {e}", a.file.display())))?;
    if meta.len() > MAX_BUNDLE {
        return Err(usage(format!("{} is larger than 1 GiB", a.file.display())));
    }
    let bytes = std::fs::read(&a.file)
        .map_err(|e| usage(format!("cannot read {}: {e}", a.file.display())))?;
    let contents = bundle::read(&bytes).map_err(|e| usage(format!("{}: {e}", a.file.display())))?;
    let client = NodeClient::find(dir)?;
    let pb = ProgressBar::new(contents.records.len() as u64);
    pb.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} records")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut totals = serde_json::Map::new();
    let mut rejected = Vec::new();
    for (first, chunk) in batches(&contents.records) {
        let batch = bundle::write(chunk, Timestamp(0));
        let report = client.admin_bytes("/v1/admin/import", &batch)?.ok()?.json;
        for key in ["new", "duplicate", "stale", "pending", "released"] {
            let sum = totals.get(key).and_then(Value::as_u64).unwrap_or(0)
                + report[key].as_u64().unwrap_or(0);
            totals.insert(key.into(), sum.into());
        }
        for r in report["rejected"].as_array().into_iter().flatten() {
            let mut r = r.clone();
            let index = r["index"].as_u64().unwrap_or(0) + first as u64;
            r["index"] = index.into();
            rejected.push(r);
        }
        pb.inc(chunk.len() as u64);
    }
    pb.finish_and_clear();
    let damage = contents.error.as_ref().map(ToString::to_string);
    totals.insert("read".into(), contents.records.len().into());
    totals.insert("rejected".into(), Value::Array(rejected.clone()));
    totals.insert(
        "error".into(),
        damage.clone().map_or(Value::Null, Value::String),
    );
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&Value::Object(totals)).unwrap_or_default()
        );
    } else {
        let n = |k: &str| totals.get(k).and_then(Value::as_u64).unwrap_or(0);
        println!(
            "read {}: {} new, {} duplicate, {} stale, {} waiting for missing records, {} rejected",
            contents.records.len(),
            n("new"),
            n("duplicate"),
            n("stale"),
            n("pending"),
            rejected.len()
        );
        for r in &rejected {
            println!(
                "  rejected record {}: {}",
                r["index"],
                r["reason"].as_str().unwrap_or("")
            );
        }
        if let Some(d) = &damage {
            println!("  the bundle is damaged: {d}; the records before that point were applied");
        }
    }
    Ok(if rejected.is_empty() && damage.is_none() {
        OK
    } else {
        NOT_VALID
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_batches_stay_under_the_body_limit() {
        let node_body_limit = 8 * 1024 * 1024;
        let big = vec![0u8; badgemesh_protocol::limits::MAX_ENVELOPE_BYTES];
        let small = vec![0u8; 300];
        let mut records: Vec<&[u8]> = vec![&big; 600];
        records.extend(std::iter::repeat_n(&small[..], 1000));
        let batches = batches(&records);
        let mut next = 0;
        for (first, chunk) in &batches {
            assert_eq!(*first, next, "batches are contiguous");
            assert!(!chunk.is_empty() && chunk.len() <= IMPORT_BATCH);
            let body = bundle::write(chunk, Timestamp(0));
            assert!(body.len() < node_body_limit, "{} bytes", body.len());
            next += chunk.len();
        }
        assert_eq!(next, records.len(), "every record is sent once");
        // Small records still go 256 at a time.
        let small_only: Vec<&[u8]> = vec![&small; 1000];
        let sizes: Vec<usize> = super::batches(&small_only)
            .iter()
            .map(|(_, c)| c.len())
            .collect();
        assert_eq!(sizes, [256, 256, 256, 232]);
    }
}
