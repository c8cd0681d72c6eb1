//! `badgemesh backpack export`: a collection's badges as the files they
//! were added as (a directory), or as one NDJSON file of their bytes in
//! base64, the input `badgemesh audit` and the node's `/v1/verify/batch`
//! take. Either way every badge is its original bytes, so it verifies
//! anywhere.

use std::path::Path;

use anyhow::Result;
use base64::Engine;
use serde_json::{Value, json};

use super::{BADGES, COLLECTIONS, segment};
use crate::client::NodeClient;
use crate::fail::{OK, usage};
use crate::output::{print_json, write_output};

/// A file name for an exported badge: its place, its name and its short
/// id, with only characters every file system takes.
fn export_name(n: usize, b: &Value) -> String {
    let slug: String = b["name"]
        .as_str()
        .unwrap_or("badge")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    let slug = slug.trim_matches('-');
    let slug = if slug.is_empty() { "badge" } else { slug };
    let ext: String = b["ext"]
        .as_str()
        .unwrap_or("bin")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!(
        "{:02}-{slug}-{}.{ext}",
        n + 1,
        b["short_id"].as_str().unwrap_or("")
    )
}

/// Writes the collection's badges to `out` (a directory, or an NDJSON file).
pub(super) fn export(client: &NodeClient, collection: &str, out: &Path, json: bool) -> Result<i32> {
    let c = client
        .admin_get(&format!("{COLLECTIONS}/{}", segment(collection)), &[])?
        .ok()?
        .json;
    let badges = c["badges"].as_array().cloned().unwrap_or_default();
    let as_dir = out.is_dir() || out.to_string_lossy().ends_with(['/', '\\']);
    if as_dir {
        std::fs::create_dir_all(out)
            .map_err(|e| usage(format!("cannot create {}: {e}", out.display())))?;
    }
    let mut written = Vec::new();
    let mut lines = String::new();
    for (n, b) in badges.iter().enumerate() {
        let id = b["id"].as_str().unwrap_or("");
        let bytes = client
            .admin_get(&format!("{BADGES}/{}/file", segment(id)), &[])?
            .ok()?
            .bytes;
        if as_dir {
            let path = out.join(export_name(n, b));
            write_output(&path, &bytes)?;
            written.push(json!({ "id": id, "file": path }));
        } else {
            let line = Value::from(base64::engine::general_purpose::STANDARD.encode(&bytes));
            lines.push_str(&line.to_string());
            lines.push('\n');
            written.push(json!({ "id": id, "line": n + 1 }));
        }
    }
    if !as_dir {
        write_output(out, lines.as_bytes())?;
    }
    if json {
        print_json(&json!({ "collection": collection, "out": out, "badges": written }));
    } else {
        println!(
            "wrote {} badge{} of {collection} to {}{}",
            badges.len(),
            if badges.len() == 1 { "" } else { "s" },
            out.display(),
            if as_dir {
                ""
            } else {
                " (NDJSON; verify with: badgemesh audit FILE)"
            }
        );
    }
    Ok(OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_names_are_plain_file_names() {
        let b = json!({ "name": "Über / Team*work", "short_id": "3f2a9c1b0d4e", "ext": "png" });
        assert_eq!(export_name(0, &b), "01-ber---team-work-3f2a9c1b0d4e.png");
        let odd = json!({ "name": null, "short_id": "ab", "ext": "../../x" });
        assert_eq!(export_name(9, &odd), "10-badge-ab.x");
    }
}
