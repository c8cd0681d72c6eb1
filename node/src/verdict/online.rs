//! Online mode: before a verification runs (offline, as always), fetch the
//! issuers' documents it needs and keep them.
//!
//! Only when the operator allows it (`verify --online`, or `fetch = true`
//! in the config). The verification says what it lacks (a hosted OB 2.0
//! badge names the hosted assertion, then its BadgeClass, then the issuer
//! Profile); those URLs are fetched and kept with their time, and the loop
//! runs again until nothing new is missing. An OB 3.0 credential whose
//! issuer or proof names a `did:web` DID the node does not hold gets that
//! DID's document (kept with the held DID documents). A hosted assertion kept more
//! than [`REFETCH_AFTER_SECS`] ago is fetched again, since its hosted copy
//! is its revocation status. The work is bounded: at most
//! [`MAX_DOCUMENTS`] fetches and [`BUDGET`] of time per verification.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use badgemesh_bake::ob2;
use badgemesh_bake::{BadgeKind, Extracted, Limits};
use badgemesh_protocol::time::Timestamp;
use serde::Serialize;

use crate::fetch::Fetcher;
use crate::trust::did_documents::did_web_url;
use crate::trust::held::HeldDocuments;

/// Documents fetched for one verification, at most.
pub const MAX_DOCUMENTS: usize = 8;
/// Time spent fetching for one verification, at most (the API answers
/// within 30 s whatever happens).
pub const BUDGET: Duration = Duration::from_secs(20);
/// A kept document older than this is fetched again when online.
pub const REFETCH_AFTER_SECS: i64 = 3600;

/// What happened to one URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FetchNote {
    /// The URL.
    pub url: String,
    /// `fetched`, `gone` (410) or `failed`.
    pub status: &'static str,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Online verifications that fetch at once, at most: each may wait on slow
/// servers, and none of them may take a verification worker.
pub const MAX_CONCURRENT: usize = 4;

/// The node's online mode: who may fetch, with which client, how many at
/// once.
#[derive(Debug, Clone)]
pub struct Online {
    /// The bounded client.
    pub fetcher: Fetcher,
    /// `fetch = true`: every verification fetches what it lacks.
    pub for_everyone: bool,
    slots: Arc<tokio::sync::Semaphore>,
}

/// Every online slot is taken.
#[derive(Debug, thiserror::Error)]
#[error("{MAX_CONCURRENT} online verifications are already fetching; try again shortly")]
pub struct OnlineBusy;

impl Online {
    /// Online mode with `fetcher`, for everyone or only when asked by the
    /// operator.
    pub fn new(fetcher: Fetcher, for_everyone: bool) -> Online {
        Online {
            fetcher,
            for_everyone,
            slots: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT)),
        }
    }

    /// [`prefetch`] on a blocking thread, if a slot is free.
    pub async fn prefetch(
        &self,
        bytes: Arc<[u8]>,
        held: HeldDocuments,
        now: Timestamp,
    ) -> Result<Vec<FetchNote>, OnlineBusy> {
        let permit = Arc::clone(&self.slots)
            .try_acquire_owned()
            .map_err(|_| OnlineBusy)?;
        let fetcher = self.fetcher.clone();
        let notes = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            prefetch(&bytes, &held, &fetcher, now)
        })
        .await
        .unwrap_or_default();
        Ok(notes)
    }
}

/// Fetches and keeps what verifying `bytes` needs. Blocking: run it on a
/// blocking thread, never in the verification pool.
pub fn prefetch(
    bytes: &[u8],
    held: &HeldDocuments,
    fetcher: &Fetcher,
    now: Timestamp,
) -> Vec<FetchNote> {
    let Some(text) = badge_text(bytes) else {
        return Vec::new();
    };
    match badgemesh_bake::badge_kind(&text, None) {
        BadgeKind::Ob3Json => {
            let Ok(doc) = badgemesh_openbadges::json::parse_bounded(text.as_bytes()) else {
                return Vec::new();
            };
            let mut notes = prefetch_dids(&doc, None, held, fetcher);
            notes.extend(prefetch_status(&doc, held, fetcher, now));
            return notes;
        }
        BadgeKind::Ob3Jwt => {
            let Ok(token) = badgemesh_openbadges::jwt::decode(text.trim()) else {
                return Vec::new();
            };
            let kid = token.header.get("kid").and_then(serde_json::Value::as_str);
            let doc = token.credential();
            let mut notes = prefetch_dids(&doc, kid, held, fetcher);
            notes.extend(prefetch_status(&doc, held, fetcher, now));
            return notes;
        }
        _ => {}
    }
    let kept = &held.fetched;
    let started = Instant::now();
    let mut notes: Vec<FetchNote> = Vec::new();
    let mut tried: HashSet<String> = HashSet::new();
    let now_jiff = ob2::Timestamp::from_second(now.secs()).ok();
    loop {
        let lookup = |url: &str| {
            let k = kept.get(url)?;
            let fresh = now.since(k.fetched_at) < REFETCH_AFTER_SECS;
            (fresh || tried.contains(url))
                .then(|| k.to_fetched())
                .flatten()
        };
        let v = ob2::verify(
            &text,
            &ob2::Ob2Options {
                now: now_jiff,
                documents: Some(ob2::Documents(&lookup)),
                ..ob2::Ob2Options::default()
            },
        );
        let wanted: Vec<String> = v
            .missing
            .into_iter()
            .filter(|u| !tried.contains(u))
            .collect();
        if wanted.is_empty() {
            return notes;
        }
        for url in wanted {
            if notes.len() >= MAX_DOCUMENTS || started.elapsed() >= BUDGET {
                notes.push(FetchNote {
                    url,
                    status: "failed",
                    detail: Some(format!(
                        "not fetched: at most {MAX_DOCUMENTS} documents and {} s per verification",
                        BUDGET.as_secs()
                    )),
                });
                return notes;
            }
            tried.insert(url.clone());
            let note = match fetcher.get(&url) {
                Ok(resp) => match kept.put(&resp, now) {
                    Ok(()) => FetchNote {
                        url,
                        status: if resp.gone { "gone" } else { "fetched" },
                        detail: None,
                    },
                    Err(e) => FetchNote {
                        url,
                        status: "failed",
                        detail: Some(format!("fetched but not kept: {e}")),
                    },
                },
                Err(e) => FetchNote {
                    url,
                    status: "failed",
                    detail: Some(e.to_string()),
                },
            };
            notes.push(note);
        }
    }
}

/// The `did:web` documents an OB 3.0 credential's issuer and proofs (or a
/// VC-JWT's `kid`) name, fetched if not held.
fn prefetch_dids(
    doc: &serde_json::Map<String, serde_json::Value>,
    kid: Option<&str>,
    held: &HeldDocuments,
    fetcher: &Fetcher,
) -> Vec<FetchNote> {
    let kid = kid.map(|k| serde_json::Value::String(k.to_owned()));
    let issuer = doc.get("issuer").and_then(|i| i.get("id").or(Some(i)));
    let proofs = match doc.get("proof") {
        Some(serde_json::Value::Array(p)) => p.iter().collect(),
        Some(p) => vec![p],
        None => Vec::new(),
    };
    let methods = proofs
        .into_iter()
        .filter_map(|p| p.get("verificationMethod"))
        .take(badgemesh_openbadges::limits::MAX_PROOFS);
    let mut dids: Vec<String> = issuer
        .into_iter()
        .chain(methods)
        .chain(kid.as_ref())
        .filter_map(serde_json::Value::as_str)
        .filter(|d| d.starts_with("did:web:"))
        .map(|d| d.split('#').next().unwrap_or(d).to_owned())
        .collect();
    dids.sort();
    dids.dedup();
    let mut notes = Vec::new();
    for did in dids.into_iter().take(MAX_DOCUMENTS) {
        if held.dids.get(&did).is_some() {
            continue;
        }
        let Some(url) = did_web_url(&did) else {
            notes.push(FetchNote {
                url: did,
                status: "failed",
                detail: Some("not a resolvable did:web DID".into()),
            });
            continue;
        };
        let result = fetcher.get(&url).map_err(|e| e.to_string()).and_then(|r| {
            held.dids
                .add_for(&did, r.text.as_bytes())
                .map_err(|e| e.to_string())
        });
        notes.push(FetchNote {
            url,
            status: if result.is_ok() { "fetched" } else { "failed" },
            detail: result.err(),
        });
    }
    notes
}

/// The status lists an OB 3.0 credential's `credentialStatus` entries point
/// at, fetched when not held or held more than [`REFETCH_AFTER_SECS`] ago
/// (a status list is only as good as it is fresh). A list is kept only if
/// its proof verifies; one signed by a `did:web` issuer the node does not
/// hold gets that DID's document first.
fn prefetch_status(
    doc: &serde_json::Map<String, serde_json::Value>,
    held: &HeldDocuments,
    fetcher: &Fetcher,
    now: Timestamp,
) -> Vec<FetchNote> {
    use badgemesh_openbadges::status_entry::{StatusMethod, status_entries};
    let fresh = |since: Option<Timestamp>| since.is_some_and(|t| now.since(t) < REFETCH_AFTER_SECS);
    let mut notes = Vec::new();
    let mut seen = HashSet::new();
    let entries = status_entries(doc);
    for entry in entries
        .iter()
        .take(badgemesh_openbadges::limits::MAX_STATUS_ENTRIES)
    {
        let url = entry.list_url.clone();
        if !seen.insert(url.clone()) {
            continue;
        }
        let legacy = entry.method == StatusMethod::OneEdTechRevocationList;
        let since = if legacy {
            held.revocation_lists.get(&url).and_then(|l| l.held_since)
        } else {
            held.status_lists
                .get(&url)
                .ok()
                .flatten()
                .and_then(|l| l.held_since)
        };
        if fresh(since)
            || matches!(
                entry.method,
                StatusMethod::Other(_) | StatusMethod::Malformed { .. }
            )
        {
            continue;
        }
        let response = match fetcher.get(&url) {
            Ok(r) => r,
            Err(e) => {
                notes.push(FetchNote {
                    url,
                    status: "failed",
                    detail: Some(e.to_string()),
                });
                continue;
            }
        };
        let add = || {
            if legacy {
                held.revocation_lists
                    .add_at(Some(&url), response.text.as_bytes())
                    .map(drop)
                    .map_err(|e| e.to_string())
            } else {
                held.status_lists
                    .add_at(Some(&url), response.text.as_bytes())
                    .map(drop)
                    .map_err(|e| e.to_string())
            }
        };
        let mut result = add();
        if result.is_err() && !legacy {
            // Perhaps signed by a did:web issuer whose document is not held.
            let list: serde_json::Map<String, serde_json::Value> =
                badgemesh_openbadges::json::parse_bounded(response.text.as_bytes())
                    .unwrap_or_default();
            let fetched_did = prefetch_dids(&list, None, held, fetcher);
            let got_one = fetched_did.iter().any(|n| n.status == "fetched");
            notes.extend(fetched_did);
            if got_one {
                result = add();
            }
        }
        notes.push(FetchNote {
            url,
            status: if result.is_ok() { "fetched" } else { "failed" },
            detail: result.err(),
        });
    }
    notes
}

/// The badge text in `bytes` (JSON, a JWS, or what an image carries);
/// native badges need nothing fetched.
fn badge_text(bytes: &[u8]) -> Option<String> {
    match badgemesh_bake::unbake(bytes, &Limits::default()).ok()? {
        Extracted::Json(t) | Extracted::Jws(t) => Some(t),
        Extracted::Baked { baked, .. } => Some(baked.text),
        _ => None,
    }
}
