//! `badgemesh backpack holder` and `backpack present`: the backpack's own
//! DID, and presentations of several held badges signed by its key.
//!
//! The node holds the key (`earner.key` in its data directory) and signs;
//! this side chooses the badges, passes the verifier's challenge and
//! domain, and writes the presentation where it was asked to.

use std::path::Path;

use anyhow::Result;
use serde_json::json;

use crate::client::NodeClient;
use crate::fail::OK;
use crate::output::{print_json, write_output};

/// Where the node signs presentations, and tells its holder DID.
const PRESENTATIONS: &str = "/v1/admin/backpack/presentations";
const HOLDER: &str = "/v1/admin/backpack/holder";

/// What to present, and to whom.
pub(super) struct Chosen {
    pub(super) ids: Vec<String>,
    pub(super) collection: Option<String>,
    pub(super) challenge: String,
    pub(super) domain: String,
}

/// Prints the backpack's DID.
pub(super) fn holder(client: &NodeClient, json: bool) -> Result<i32> {
    let v = client.admin_get(HOLDER, &[])?.ok()?.json;
    if json {
        print_json(&v);
    } else {
        println!("{}", v["did"].as_str().unwrap_or(""));
    }
    Ok(OK)
}

/// Asks the node to sign a presentation and writes it to `out`.
pub(super) fn present(client: &NodeClient, c: &Chosen, out: &Path, json: bool) -> Result<i32> {
    if c.ids.is_empty() && c.collection.is_none() {
        return Err(crate::fail::usage(
            "name the badges to present (their ids) or --collection NAME",
        ));
    }
    let body = json!({
        "badges": c.ids, "collection": c.collection,
        "challenge": c.challenge, "domain": c.domain,
    });
    let v = client.admin(PRESENTATIONS, &body)?.ok()?.json;
    let text = serde_json::to_string_pretty(&v["presentation"]).unwrap_or_default();
    write_output(out, format!("{text}\n").as_bytes())?;
    for w in v["warnings"].as_array().into_iter().flatten() {
        anstream::eprintln!("warning: {}", w.as_str().unwrap_or(""));
    }
    let n = v["badges"].as_array().map_or(0, Vec::len);
    if json {
        print_json(&json!({
            "out": out, "holder": v["holder"], "badges": v["badges"], "warnings": v["warnings"],
        }));
    } else {
        println!(
            "wrote a presentation of {n} badge{} by {} for {} (challenge {}) to {}",
            if n == 1 { "" } else { "s" },
            v["holder"].as_str().unwrap_or(""),
            c.domain,
            c.challenge,
            out.display()
        );
    }
    Ok(OK)
}
