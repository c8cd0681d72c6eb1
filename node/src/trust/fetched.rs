//! Documents fetched from issuers' sites, kept with the time they were
//! fetched.
//!
//! Verifying a hosted OB 2.0 badge needs the issuer's site (the hosted
//! assertion, its BadgeClass, the issuer Profile). When the operator allows
//! network access the node fetches them (see [`crate::fetch`]) and keeps
//! each here, one held file per URL, so that the next verification of the
//! same issuer's badges works offline and says "as fetched on ...". A
//! `410 Gone` answer is kept too: it is how an issuer revokes a hosted
//! badge.

use std::path::Path;

use badgemesh_bake::ob2::Fetched;
use badgemesh_protocol::time::Timestamp;
use serde::{Deserialize, Serialize};

use crate::fetch::{MAX_DOCUMENT_BYTES, Response};
use crate::trust::held::{HeldError, HeldFiles};

/// The directory, inside the data directory, that holds them.
pub const FETCHED_DIR: &str = "fetched";
/// How many documents a node keeps.
pub const MAX_FETCHED: usize = 16_384;

/// One kept document, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kept {
    /// The URL it was fetched from.
    pub url: String,
    /// When.
    pub fetched_at: Timestamp,
    /// The server answered `410 Gone`.
    #[serde(default)]
    pub gone: bool,
    /// The document (empty when gone).
    #[serde(default)]
    pub text: String,
}

impl Kept {
    /// As the OB 2.0 checks take it.
    pub fn to_fetched(&self) -> Option<Fetched> {
        let fetched_at =
            badgemesh_bake::ob2::Timestamp::from_second(self.fetched_at.secs()).ok()?;
        Some(if self.gone {
            Fetched::Gone { fetched_at }
        } else {
            Fetched::Document {
                text: self.text.clone(),
                fetched_at,
            }
        })
    }
}

/// The fetched documents of one data directory.
#[derive(Debug, Clone)]
pub struct FetchedDocuments {
    files: HeldFiles,
}

impl FetchedDocuments {
    /// The documents kept in `data_dir`.
    pub fn in_data_dir(data_dir: &Path) -> FetchedDocuments {
        FetchedDocuments {
            files: HeldFiles::new(data_dir, FETCHED_DIR, MAX_FETCHED),
        }
    }

    /// Keeps what a server answered, replacing an older copy.
    pub fn put(&self, response: &Response, at: Timestamp) -> Result<(), HeldError> {
        let kept = Kept {
            url: response.url.clone(),
            fetched_at: at,
            gone: response.gone,
            text: response.text.clone(),
        };
        // Serialising a struct of strings and numbers cannot fail.
        let bytes = serde_json::to_vec(&kept).unwrap_or_default();
        self.files.put(&response.url, &bytes)
    }

    /// The kept copy of `url`, if any (an unreadable file counts as none:
    /// it is fetched again when allowed).
    pub fn get(&self, url: &str) -> Option<Kept> {
        let bytes = self.files.get(url).ok()??;
        if bytes.len() > 2 * MAX_DOCUMENT_BYTES + 4096 {
            return None;
        }
        let kept: Kept = serde_json::from_slice(&bytes).ok()?;
        (kept.url == url).then_some(kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_and_gone_answers_are_kept_with_their_time() {
        let dir = tempfile::tempdir().expect("tempdir");
        let docs = FetchedDocuments::in_data_dir(dir.path());
        assert_eq!(docs.get("https://a.example/1"), None);
        let doc = Response {
            url: "https://a.example/1".into(),
            text: "{\"a\": 1}".into(),
            gone: false,
        };
        docs.put(&doc, Timestamp(1_700_000_000)).expect("kept");
        let kept = docs.get("https://a.example/1").expect("held");
        assert_eq!(kept.text, "{\"a\": 1}");
        assert_eq!(kept.fetched_at, Timestamp(1_700_000_000));
        let gone = Response {
            url: "https://a.example/1".into(),
            text: String::new(),
            gone: true,
        };
        docs.put(&gone, Timestamp(1_700_000_100)).expect("kept");
        let kept = docs.get("https://a.example/1").expect("held");
        assert!(kept.gone);
        assert!(matches!(kept.to_fetched(), Some(Fetched::Gone { .. })));
        assert_eq!(docs.get("https://a.example/2"), None);
    }
}
