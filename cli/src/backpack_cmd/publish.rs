//! `badgemesh backpack publish`: a static copy of a collection's public
//! page, for any web host. The node renders the page as it renders
//! `/p/{collection}` (each badge verified now), with links relative to
//! the page; this side writes it beside the stylesheet and the badge files
//! exactly as they were added, so a visitor who downloads one can drop it
//! on any badgemesh verification page.
//!
//! ```text
//! DIR/index.html
//! DIR/app.css
//! DIR/badges/<short id>.<ext>
//! ```
//!
//! A copy written again over an older one removes the badge files of the
//! older one that are no longer in the collection (only files named as
//! this command names them), so a badge taken out of a collection does
//! not stay on the web host by accident.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Result;
use serde_json::json;

use super::{BADGES, COLLECTIONS, segment};
use crate::client::NodeClient;
use crate::fail::{OK, usage};
use crate::output::{print_json, write_output};

/// Whether `name` is a badge file name this command writes:
/// `<12 hexadecimal digits>.<letters and digits>`.
fn ours(name: &str) -> bool {
    name.split_once('.').is_some_and(|(id, ext)| {
        id.len() == 12
            && id.bytes().all(|b| b.is_ascii_hexdigit())
            && !ext.is_empty()
            && ext.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// A relative path the node named for a badge file, checked: `badges/`
/// and one of [`ours`], nothing that could leave `DIR`.
fn file_path(path: &str) -> Option<&str> {
    path.strip_prefix("badges/").filter(|n| ours(n))
}

/// Writes the static copy of `collection` into `out`.
pub(super) fn publish(
    client: &NodeClient,
    collection: &str,
    out: &Path,
    url: Option<&str>,
    json: bool,
) -> Result<i32> {
    let mut query = Vec::new();
    if let Some(u) = url {
        query.push(("url", u.to_owned()));
    }
    let site = client
        .admin_get(
            &format!("{COLLECTIONS}/{}/site", segment(collection)),
            &query,
        )?
        .ok()?
        .json;
    let badges_dir = out.join("badges");
    std::fs::create_dir_all(&badges_dir)
        .map_err(|e| usage(format!("cannot create {}: {e}", badges_dir.display())))?;
    let mut written = Vec::new();
    let mut kept = BTreeSet::new();
    for f in site["files"].as_array().into_iter().flatten() {
        let id = f["id"].as_str().unwrap_or("");
        let Some(name) = f["path"].as_str().and_then(file_path) else {
            return Err(usage(format!(
                "the node named an unexpected file path {}",
                f["path"]
            )));
        };
        let bytes = client
            .admin_get(&format!("{BADGES}/{}/file", segment(id)), &[])?
            .ok()?
            .bytes;
        write_output(&badges_dir.join(name), &bytes)?;
        kept.insert(name.to_owned());
        written.push(json!({ "id": id, "file": format!("badges/{name}") }));
    }
    let mut removed = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&badges_dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if ours(&name) && !kept.contains(&name) && e.path().is_file() {
                std::fs::remove_file(e.path())
                    .map_err(|err| usage(format!("cannot remove {}: {err}", e.path().display())))?;
                removed.push(format!("badges/{name}"));
            }
        }
    }
    write_output(
        &out.join("app.css"),
        site["app_css"].as_str().unwrap_or("").as_bytes(),
    )?;
    write_output(
        &out.join("index.html"),
        site["index_html"].as_str().unwrap_or("").as_bytes(),
    )?;
    let more = site["more"].as_u64().unwrap_or(0);
    if json {
        print_json(&json!({
            "collection": collection, "out": out, "badges": written,
            "removed": removed, "not_shown": more,
        }));
    } else {
        println!(
            "wrote a static copy of {collection} ({} badge{}) to {}: serve the directory from any web host",
            written.len(),
            if written.len() == 1 { "" } else { "s" },
            out.display()
        );
        if !removed.is_empty() {
            println!(
                "removed {} badge file{} of an older copy no longer in the collection",
                removed.len(),
                if removed.len() == 1 { "" } else { "s" }
            );
        }
        if more > 0 {
            println!(
                "{more} more badges are in the collection but not on the page (at most 50 are shown)"
            );
        }
    }
    Ok(OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_badge_file_names_are_written_or_removed() {
        assert!(ours("3f2a9c1b0d4e.png"));
        assert!(!ours("3f2a9c1b0d4e.png.bak"));
        assert!(!ours("index.html"));
        assert!(!ours("3f2a9c1b0d4.png"));
        assert_eq!(
            file_path("badges/3f2a9c1b0d4e.json"),
            Some("3f2a9c1b0d4e.json")
        );
        for bad in [
            "../3f2a9c1b0d4e.json",
            "badges/../x",
            "/etc/passwd",
            "badges/a/3f2a9c1b0d4e.json",
        ] {
            assert_eq!(file_path(bad), None, "{bad}");
        }
    }
}
