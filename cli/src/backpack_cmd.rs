//! `badgemesh backpack`: the earner's side. Keep every badge you earned,
//! whatever its format, in your node's data directory; see each one's
//! verdict of now; group them in collections; export a collection as the
//! original files.
//!
//! The node holds the backpack (in its store, behind the admin token) and
//! verifies each badge when it is added and whenever it is listed or
//! shown, as `badgemesh verify` would, without any network.

mod export;
mod present;
mod publish;

use std::path::{Path, PathBuf};

use anstyle::Style;
use anyhow::Result;
use clap::Subcommand;
use serde_json::{Value, json};

use crate::client::{Answer, NodeClient};
use crate::fail::{Failure, INDETERMINATE, NOT_VALID, OK};
use crate::output::{issuer_line, outcome_style, print_json, print_verdict};
use crate::verifying::JudgedBy;

/// Where the backpack's routes are.
const BADGES: &str = "/v1/admin/backpack/badges";
const COLLECTIONS: &str = "/v1/admin/backpack/collections";

/// `badgemesh backpack ...`
#[derive(Debug, Subcommand)]
pub enum BackpackCommand {
    /// Verify badge files and keep them: native, OB 3.0 (JSON or JWT),
    /// OB 2.0 (JSON or JWS), baked PNG or SVG. Invalid or forged files are
    /// refused; a badge that cannot be fully checked here (issuer unknown,
    /// status list not held) is kept and marked.
    #[command(
        after_help = "Examples:\n  badgemesh backpack add ada.badge\n  badgemesh backpack add *.png --json\n  curl -s https://academy.example/ada.json | badgemesh backpack add -\n\nExit status: 0 when every file was added (or was held already), 1 when one was refused as invalid, 2 when one is not a badge or cannot be read."
    )]
    Add {
        /// The badge files (- for standard input).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the badges held, each verified now.
    #[command(
        after_help = "Example:\n  badgemesh backpack list --max-age 1d\n\nEvery badge is shown, whatever its verdict: REVOKED, EXPIRED or INDETERMINATE ones are marked, never left out."
    )]
    List {
        #[command(flatten)]
        judged: JudgedBy,
        /// Print JSON (an array; `outcome` as in `verify --json`).
        #[arg(long)]
        json: bool,
    },
    /// Show one held badge, verified now, as `verify` shows it.
    #[command(
        after_help = "Example:\n  badgemesh backpack show 3f2a9c\n\nExit status: as `badgemesh verify` (0 valid, 1 not valid, 3 indeterminate)."
    )]
    Show {
        /// The badge's id, or its first characters (at least 6).
        id: String,
        #[command(flatten)]
        judged: JudgedBy,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Stop holding a badge (it leaves its collections too).
    #[command(after_help = "Example:\n  badgemesh backpack remove 3f2a9c")]
    Remove {
        /// The badge's id, or its first characters.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Group held badges in named collections.
    #[command(subcommand)]
    Collection(CollectionCommand),
    /// Print the backpack's own DID (a did:key, made on first use): give it
    /// to issuers as the recipient, so your badges name the key that signs
    /// your presentations.
    #[command(
        after_help = "Example:\n  badgemesh backpack holder\n  # then, on the issuer's side: badgemesh award BADGE --to did:key:z6Mk... --format ob3 --out ada.json"
    )]
    Holder {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Sign a Verifiable Presentation of several held badges with the
    /// backpack's key, for one verifier (--domain) and one request
    /// (--challenge), so that it cannot be shown again elsewhere.
    #[command(
        after_help = "Examples:\n  badgemesh backpack present 3f2a9c 81bd07 --challenge 8f3c1a --domain jobs.example --out for-jobs.json\n  badgemesh backpack present --collection job-2026 --challenge 8f3c1a --domain jobs.example --out for-jobs.json\n\nThe verifier gives the challenge (a fresh random value per request) and its domain, and checks\nthem with: badgemesh verify for-jobs.json --challenge 8f3c1a --domain jobs.example\n\nOnly Verifiable Credentials can be presented: Open Badges 3.0 as JSON or VC-JWT, bare or baked\nin a PNG or SVG. A native badgemesh assertion or an Open Badges 2.0 one is refused: ask the\nissuer for the OB 3.0 form. Each credential must name this backpack's DID (badgemesh backpack\nholder) as its subject, or verifiers refuse the presentation; the command warns."
    )]
    Present {
        /// Badge ids, or their first characters (at least 6).
        ids: Vec<String>,
        /// Present the badges of this collection too.
        #[arg(long)]
        collection: Option<String>,
        /// The challenge the verifier gave you.
        #[arg(long)]
        challenge: String,
        /// The verifier's domain.
        #[arg(long)]
        domain: String,
        /// Where to write the presentation (JSON).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write a static copy of a collection's page (index.html, its
    /// stylesheet and the badge files) that any web host can serve, no
    /// node needed; visitors download a badge and drop it on any badgemesh
    /// page to check it.
    #[command(
        after_help = "Examples:\n  badgemesh backpack publish job-2026 --out site/\n  badgemesh backpack publish job-2026 --out site/ --url https://ada.example/badges/\n\nEach badge is verified as the copy is made and the page says when; the files are the\nbadges as added. --url (where the directory will be served) makes each badge's LinkedIn\nlink point back to its card. Writing a copy again removes badge files of the older copy\nthat are no longer in the collection. The collection need not be public on the node."
    )]
    Publish {
        /// The collection.
        collection: String,
        /// The directory to write (created if needed).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Where the directory will be served (an http or https URL).
        #[arg(long)]
        url: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write a collection's badges as their original files (a directory),
    /// or as one NDJSON file that `badgemesh audit` verifies.
    #[command(
        after_help = "Examples:\n  badgemesh backpack export job --out job/\n  badgemesh backpack export job --out job.ndjson\n\nAn --out that is a directory (or ends with /) gets one file per badge, byte for byte as\nadded, so each verifies anywhere; anything else gets one line per badge (the base64 of\nits bytes), the input of `badgemesh audit` and of the node's /v1/verify/batch."
    )]
    Export {
        /// The collection.
        collection: String,
        /// A directory, or an NDJSON file.
        #[arg(long, value_name = "FILE|DIR")]
        out: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `badgemesh backpack collection ...`
#[derive(Debug, Subcommand)]
pub enum CollectionCommand {
    /// Create an empty, private collection.
    #[command(after_help = "Example:\n  badgemesh backpack collection create job-2026")]
    Create {
        /// Letters, digits, '-' and '_' (it will be part of a URL).
        name: String,
    },
    /// Delete a collection (its badges stay in the backpack).
    #[command(after_help = "Example:\n  badgemesh backpack collection delete job-2026")]
    Delete {
        /// The collection.
        name: String,
    },
    /// Put held badges into a collection.
    #[command(after_help = "Example:\n  badgemesh backpack collection add job-2026 3f2a9c 81bd07")]
    Add {
        /// The collection.
        name: String,
        /// Badge ids, or their first characters.
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Take a badge out of a collection (it stays in the backpack).
    #[command(after_help = "Example:\n  badgemesh backpack collection remove job-2026 81bd07")]
    Remove {
        /// The collection.
        name: String,
        /// The badge's id, or its first characters.
        id: String,
    },
    /// List the collections and their badges.
    #[command(after_help = "Example:\n  badgemesh backpack collection list --json")]
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a collection on the node's public page, /p/NAME (anyone who
    /// reaches the node's API can then read it).
    #[command(
        after_help = "Example:\n  badgemesh backpack collection publish job-2026\n  # then open http://127.0.0.1:4748/p/job-2026 (the node's API address)"
    )]
    Publish {
        /// The collection.
        name: String,
    },
    /// Take a collection off the public page (private is the default).
    #[command(after_help = "Example:\n  badgemesh backpack collection unpublish job-2026")]
    Unpublish {
        /// The collection.
        name: String,
    },
}

/// Runs a `backpack` command against the node on `dir`.
pub fn run(c: BackpackCommand, dir: &Path) -> Result<i32> {
    let client = NodeClient::find(dir)?;
    match c {
        BackpackCommand::Add { files, json } => add(&client, &files, json),
        BackpackCommand::List { judged, json } => list(&client, &judged, json),
        BackpackCommand::Show { id, judged, json } => show(&client, &id, &judged, json),
        BackpackCommand::Remove { id, json } => {
            let v = client
                .admin_delete(&format!("{BADGES}/{}", segment(&id)))?
                .ok()?
                .json;
            if json {
                print_json(&v);
            } else {
                println!("removed {}", v["removed"].as_str().unwrap_or(&id));
            }
            Ok(OK)
        }
        BackpackCommand::Collection(c) => collection(&client, c),
        BackpackCommand::Export {
            collection,
            out,
            json,
        } => export::export(&client, &collection, &out, json),
        BackpackCommand::Holder { json } => present::holder(&client, json),
        BackpackCommand::Publish {
            collection,
            out,
            url,
            json,
        } => publish::publish(&client, &collection, &out, url.as_deref(), json),
        BackpackCommand::Present {
            ids,
            collection,
            challenge,
            domain,
            out,
            json,
        } => present::present(
            &client,
            &present::Chosen {
                ids,
                collection,
                challenge,
                domain,
            },
            &out,
            json,
        ),
    }
}

/// A path segment as the URL needs it: anything but letters, digits, `-`
/// and `_` percent-encoded (the node then refuses it with its reason).
fn segment(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The outcome word, in its colour.
fn outcome_word(outcome: &str) -> String {
    let style = outcome_style(outcome);
    let word = outcome.to_uppercase().replace('_', " ");
    format!("{style}{word:<13}{style:#}")
}

/// One line for a held badge: outcome, short id, name, issuer, format.
fn badge_line(e: &Value) -> String {
    let outcome = e["outcome"].as_str().unwrap_or("unverifiable");
    let name = e["name"].as_str().unwrap_or("(badge class not known here)");
    let who = if e["verdict"].is_null() {
        e["error"]["message"].as_str().unwrap_or("").to_owned()
    } else {
        // The trust summary's first clause: the rest (what to follow) is
        // for `show`.
        let line = issuer_line(&e["verdict"]);
        match line.split_once(';') {
            Some((first, _)) => format!("{first}{}", anstyle::Reset),
            None => line,
        }
    };
    let format = e["format"].as_str().unwrap_or("");
    let kind = match (e["carrier"].as_str(), e["ext"].as_str()) {
        (Some(c), _) => format!("{format} in {c}"),
        (None, Some(x @ ("jwt" | "jws"))) => format!("{format} {x}"),
        _ => format.to_owned(),
    };
    let dim = Style::new().dimmed();
    format!(
        "{}  {}  {name}, {who}  {dim}({kind}){dim:#}",
        outcome_word(outcome),
        e["short_id"].as_str().unwrap_or("")
    )
}

fn add(client: &NodeClient, files: &[PathBuf], json: bool) -> Result<i32> {
    let mut answers = Vec::new();
    let mut code = OK;
    for path in files {
        let bytes = crate::verifying::read_input(path)?;
        let query: Vec<(&str, String)> = Some(path)
            .filter(|p| *p != Path::new("-"))
            .and_then(|p| p.file_name())
            .map(|n| ("file_name", n.to_string_lossy().into_owned()))
            .into_iter()
            .collect();
        let answer = client.post_bytes_as_admin(BADGES, &query, &bytes)?;
        if answer.status == 422 {
            // Invalid (a forged or tampered file): refused, like `verify`'s
            // exit status 1; the other files are still tried.
            anstream::eprintln!("error: {}: {}", path.display(), answer.error_message());
            code = NOT_VALID;
            continue;
        }
        let answer = refused(answer, path)?;
        let v = answer.json;
        if !json {
            let e = &v["badge"];
            anstream::println!("{}", badge_line(e));
            let outcome = e["outcome"].as_str().unwrap_or("");
            if v["added"] == false {
                println!(
                    "  held already since {}",
                    e["added_at"].as_str().unwrap_or("?")
                );
            } else if outcome != "valid" {
                println!("  added, and marked: {}", attention(&e["verdict"]));
            }
        }
        answers.push(v);
    }
    if json {
        print_json(&Value::Array(answers));
    }
    Ok(code)
}

/// Fails with the node's message, naming the file.
fn refused(answer: Answer, path: &Path) -> Result<Answer> {
    if (200..300).contains(&answer.status) {
        return Ok(answer);
    }
    let message = format!("{}: {}", path.display(), answer.error_message());
    answer.ok().map_err(|e| {
        let code = e
            .downcast_ref::<Failure>()
            .map_or(crate::fail::USAGE, |f| f.code);
        Failure { code, message }.into()
    })
}

/// Why a badge that is not valid needs attention: its failed or unknown
/// checks, in a line.
fn attention(v: &Value) -> String {
    let notes: Vec<String> = v["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["status"] == "fail" || c["status"] == "unknown")
        .map(|c| {
            format!(
                "{} ({})",
                c["check"].as_str().unwrap_or("").replace('_', " "),
                c["detail"].as_str().unwrap_or("")
            )
        })
        .collect();
    if notes.is_empty() {
        v["outcome"].as_str().unwrap_or("").replace('_', " ")
    } else {
        notes.join("; ")
    }
}

fn list(client: &NodeClient, judged: &JudgedBy, json: bool) -> Result<i32> {
    let query = judged.query()?;
    let mut all = Vec::new();
    let mut answer = client.admin_get(BADGES, &query)?.ok()?;
    loop {
        all.extend(answer.json.as_array().cloned().unwrap_or_default());
        match answer.next.take() {
            Some(next) => answer = client.admin_get(&next, &[])?.ok()?,
            None => break,
        }
    }
    if json {
        print_json(&Value::Array(all));
        return Ok(OK);
    }
    if all.is_empty() {
        println!("the backpack is empty (add a badge with: badgemesh backpack add FILE)");
        return Ok(OK);
    }
    for e in &all {
        anstream::println!("{}", badge_line(e));
    }
    let marked = all.iter().filter(|e| e["attention"] == true).count();
    println!(
        "{} badge{}, {marked} not valid now",
        all.len(),
        if all.len() == 1 { "" } else { "s" }
    );
    Ok(OK)
}

fn show(client: &NodeClient, id: &str, judged: &JudgedBy, json: bool) -> Result<i32> {
    let query = judged.query()?;
    let e = client
        .admin_get(&format!("{BADGES}/{}", segment(id)), &query)?
        .ok()?
        .json;
    if json {
        print_json(&e);
    } else {
        if e["verdict"].is_null() {
            anstream::println!("{}", badge_line(&e));
        } else {
            print_verdict(&e["verdict"]);
        }
        let dim = Style::new().dimmed();
        let line = |label: &str, value: &str| {
            anstream::println!("  {dim}{label:<10}{dim:#} {value}");
        };
        line("held as", e["id"].as_str().unwrap_or(""));
        line(
            "added",
            &format!(
                "{} from {} (then {})",
                e["added_at"].as_str().unwrap_or("?"),
                e["file_name"].as_str().unwrap_or("(no name)"),
                e["added_as"].as_str().unwrap_or("?").replace('_', " ")
            ),
        );
        let names: Vec<&str> = e["collections"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if !names.is_empty() {
            line("in", &names.join(", "));
        }
        if let Some(url) = e["linkedin"].as_str() {
            line("LinkedIn", url);
        }
    }
    Ok(match e["outcome"].as_str() {
        Some("valid") => OK,
        Some("indeterminate") => INDETERMINATE,
        _ => NOT_VALID,
    })
}

fn collection(client: &NodeClient, c: CollectionCommand) -> Result<i32> {
    let path = |name: &str| format!("{COLLECTIONS}/{}", segment(name));
    match c {
        CollectionCommand::Create { name } => {
            client.admin(COLLECTIONS, &json!({ "name": name }))?.ok()?;
            println!("created collection {name} (private)");
        }
        CollectionCommand::Delete { name } => {
            client.admin_delete(&path(&name))?.ok()?;
            println!("deleted collection {name}; its badges stay in the backpack");
        }
        CollectionCommand::Add { name, ids } => {
            for id in ids {
                let v = client
                    .admin_put(
                        &format!("{}/badges/{}", path(&name), segment(&id)),
                        &json!({}),
                    )?
                    .ok()?
                    .json;
                let full = v["id"].as_str().unwrap_or(&id);
                if v["added"] == true {
                    println!("added {full} to {name}");
                } else {
                    println!("{full} is in {name} already");
                }
            }
        }
        CollectionCommand::Remove { name, id } => {
            let v = client
                .admin_delete(&format!("{}/badges/{}", path(&name), segment(&id)))?
                .ok()?
                .json;
            let full = v["id"].as_str().unwrap_or(&id);
            if v["removed"] == true {
                println!("took {full} out of {name}");
            } else {
                println!("{full} was not in {name}");
            }
        }
        CollectionCommand::List { json } => {
            let v = client.admin_get(COLLECTIONS, &[])?.ok()?.json;
            if json {
                print_json(&v);
            } else if v.as_array().is_none_or(Vec::is_empty) {
                println!(
                    "no collections (create one with: badgemesh backpack collection create NAME)"
                );
            } else {
                for c in v.as_array().into_iter().flatten() {
                    let ids: Vec<String> = c["badges"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|id| id.as_str().map(|s| s.chars().take(12).collect()))
                        .collect();
                    println!(
                        "{}  {}  {} badge{}{}{}",
                        c["name"].as_str().unwrap_or(""),
                        if c["public"] == true {
                            "public "
                        } else {
                            "private"
                        },
                        ids.len(),
                        if ids.len() == 1 { "" } else { "s" },
                        if ids.is_empty() { "" } else { ": " },
                        ids.join(", ")
                    );
                }
            }
        }
        CollectionCommand::Publish { name } => {
            client
                .admin_put(
                    &format!("{}/public", path(&name)),
                    &json!({ "public": true }),
                )?
                .ok()?;
            println!(
                "collection {name} is public at {}/p/{}",
                client.base(),
                segment(&name)
            );
        }
        CollectionCommand::Unpublish { name } => {
            client
                .admin_put(
                    &format!("{}/public", path(&name)),
                    &json!({ "public": false }),
                )?
                .ok()?;
            println!("collection {name} is private");
        }
    }
    Ok(OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_cannot_leave_their_route() {
        assert_eq!(segment("job-2026_a"), "job-2026_a");
        assert_eq!(segment("../x"), "%2E%2E%2Fx");
        assert_eq!(segment("a?b#c d"), "a%3Fb%23c%20d");
    }
}
