//! A held badge as the API shows it: its notes, and its verdict of now.
//!
//! The verdict comes from the same call `POST /v1/verify` makes
//! ([`verify_any`] with the node's state, held documents and trust, in the
//! verification pool), never from the notes taken when the badge was added:
//! a badge revoked, expired or de-listed since then is shown as it is now.
//! Nothing is fetched; a held badge is judged offline, as `verify` without
//! `--online` would.

use std::sync::Arc;
use std::time::Duration;

use badgemesh_protocol::time::Timestamp;
use serde_json::{Value, json};

use super::badges::{BadgeId, BadgeInfo};
use crate::api::{ApiError, AppState};
use crate::verdict::formats::{FormatError, Options, verify_any};

/// How long a view waits for room in a full verification pool before it
/// answers 503 `verify_busy` (a `/v1/verify` is refused at once; a list is
/// many verifications and should not fail at the first busy moment).
const BUSY_WAIT: Duration = Duration::from_secs(10);

/// What a held badge is judged against: the flags `verify` takes.
#[derive(Clone, Copy, Debug)]
pub struct Judged {
    /// The time to judge at (now unless asked).
    pub at: Timestamp,
    /// Revocation data older than this is treated as unknown.
    pub max_age_secs: Option<i64>,
    /// Unlisted issuers give `indeterminate`, de-listed ones `invalid`.
    pub require_listed: bool,
}

/// Verifies `bytes` as `POST /v1/verify` does (offline), in the node's
/// verification pool. The outer error is the pool's (busy, failed); the
/// inner one says the bytes are not a badge this node can read.
pub(crate) async fn verify(
    s: &AppState,
    bytes: Arc<[u8]>,
    judged: Judged,
) -> Result<Result<Value, FormatError>, ApiError> {
    let deadline = tokio::time::Instant::now() + BUSY_WAIT;
    loop {
        let (held, core, trust, bytes) = (
            s.held.clone(),
            s.core.clone(),
            s.trust.clone(),
            Arc::clone(&bytes),
        );
        let run = move |cancel: &std::sync::atomic::AtomicBool| {
            let opts = Options {
                max_age_secs: judged.max_age_secs,
                require_listed: judged.require_listed,
                ..Options::on_node(&held, &trust, cancel)
            };
            core.ledger
                .read(|r| verify_any(&bytes, Some(r), judged.at, &opts))
        };
        match s.verify_pool.run(run).await {
            Ok(v) => {
                s.core.metrics.verify_count.inc();
                return Ok(v);
            }
            Err(e) => {
                let e = ApiError::from(e);
                if e.code != "verify_busy" || tokio::time::Instant::now() >= deadline {
                    return Err(e);
                }
                // The pool frees a place within milliseconds of a job ending.
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
}

/// The outcome a verdict gives, or `unverifiable` for bytes this node no
/// longer reads as a badge (kept and shown, never dropped).
pub fn outcome(verdict: &Result<Value, FormatError>) -> &str {
    match verdict {
        Ok(v) => v["outcome"].as_str().unwrap_or("unverifiable"),
        Err(_) => "unverifiable",
    }
}

/// A held badge's entry: its id, its notes, and its verdict of now.
/// `attention` is set for anything but `valid`, so that a badge revoked or
/// expired since it was added stands out in a list; `linkedin` is the
/// "Add to profile" link when the verdict allows one.
pub fn entry(id: &BadgeId, info: &BadgeInfo, verdict: &Result<Value, FormatError>) -> Value {
    let outcome = outcome(verdict);
    let (verdict, error) = match verdict {
        Ok(v) => (v.clone(), Value::Null),
        Err(e) => (
            Value::Null,
            json!({ "code": crate::api::format_error_code(e), "message": e.to_string() }),
        ),
    };
    let name = verdict["badge"]["name"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| info.name.clone());
    json!({
        "id": id,
        "short_id": id.short(),
        "outcome": outcome,
        "attention": outcome != "valid",
        "name": name,
        "issuer": verdict["issuer"].as_str().or(info.issuer.as_deref()),
        "format": info.format,
        "carrier": info.carrier,
        "file_name": info.file_name,
        "ext": info.ext,
        "size": info.size,
        "added_at": info.added_at,
        "added_as": info.added_as,
        "linkedin": super::linkedin::for_verdict(&verdict, None),
        "verdict": verdict,
        "error": error,
    })
}

/// Notes on a badge about to be added, from its verdict and its bytes.
pub fn notes(
    bytes: &[u8],
    verdict: &Value,
    file_name: Option<String>,
    now: Timestamp,
) -> BadgeInfo {
    let text = |v: &Value| v.as_str().map(str::to_owned);
    BadgeInfo {
        seq: 0,
        added_at: now,
        file_name,
        format: text(&verdict["format"]).unwrap_or_else(|| "unknown".into()),
        carrier: text(&verdict["carrier"]),
        ext: extension(bytes, verdict).to_owned(),
        name: text(&verdict["badge"]["name"]),
        issuer: text(&verdict["issuer"]),
        added_as: text(&verdict["outcome"]).unwrap_or_else(|| "unverifiable".into()),
        size: bytes.len() as u64,
    }
}

/// The file extension a badge's bytes are exported with, from its verdict
/// (format and carrier) and its first byte: no second parse of the file on
/// the async workers.
pub fn extension(bytes: &[u8], verdict: &Value) -> &'static str {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    match (
        verdict["carrier"].as_str(),
        verdict["format"].as_str(),
        first,
    ) {
        (Some("png"), _, _) => "png",
        (Some("svg"), _, _) => "svg",
        (Some(_), _, _) => "img",
        (None, Some("native"), _) => "badge",
        (None, _, Some(b'{')) => "json",
        (None, Some("ob3"), _) => "jwt",
        (None, Some("ob2"), _) => "jws",
        _ => "bin",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_follow_the_verdict_and_the_bytes() {
        let v =
            |format: &str, carrier: Option<&str>| json!({ "format": format, "carrier": carrier });
        assert_eq!(extension(b"\xd2\x84", &v("native", None)), "badge");
        assert_eq!(extension(b" {\"a\":1}", &v("ob3", None)), "json");
        assert_eq!(extension(b"eyJ.x.y", &v("ob3", None)), "jwt");
        assert_eq!(extension(b"eyJ.x.y", &v("ob2", None)), "jws");
        assert_eq!(extension(b"{}", &v("ob2", None)), "json");
        assert_eq!(extension(b"\x89PNG", &v("ob2", Some("png"))), "png");
        assert_eq!(extension(b"<svg", &v("ob3", Some("svg"))), "svg");
        assert_eq!(extension(b"", &json!(null)), "bin");
    }
}
