//! The node's trust anchors in memory, and the step that adds the `trust`
//! object to every verdict.
//!
//! The anchors are read from `config.toml` and `trust.json` at start and
//! again when the CLI changes them ([`TrustState::reload`]); verifications
//! take the current [`Anchors`] as an `Arc`, so no lock is held while a
//! verdict is assessed. The impersonation index is rebuilt only when a
//! followed registry's list or the local list changed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use badgemesh_protocol::state::Registry;
use badgemesh_protocol::time::Timestamp;
use serde_json::{Value, json};

use super::assess::{Assessment, Claim, NameIndex, TrustOptions, assess};
use super::registries::{AnchorError, Anchors, FollowedRegistry};

/// What this node believes about who issued what.
#[derive(Debug)]
pub struct TrustState {
    data_dir: PathBuf,
    config: Vec<FollowedRegistry>,
    anchors: RwLock<Arc<Anchors>>,
    index: Mutex<Arc<NameIndex>>,
}

impl TrustState {
    /// Loads the anchors of `data_dir` and `config`.
    pub fn load(data_dir: &Path, config: &[FollowedRegistry]) -> Result<TrustState, AnchorError> {
        let anchors = Anchors::load(data_dir, config)?;
        Ok(TrustState {
            data_dir: data_dir.to_owned(),
            config: config.to_vec(),
            anchors: RwLock::new(Arc::new(anchors)),
            index: Mutex::new(Arc::new(NameIndex::default())),
        })
    }

    /// Rereads `trust.json`; returns the new anchors.
    pub fn reload(&self) -> Result<Arc<Anchors>, AnchorError> {
        let fresh = Arc::new(Anchors::load(&self.data_dir, &self.config)?);
        *self.anchors.write().unwrap_or_else(|e| e.into_inner()) = fresh.clone();
        Ok(fresh)
    }

    /// The current anchors.
    pub fn anchors(&self) -> Arc<Anchors> {
        self.anchors
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn index(&self, registry: &Registry, anchors: &Anchors) -> Arc<NameIndex> {
        let stamp = NameIndex::stamp(registry, anchors);
        let mut cached = self.index.lock().unwrap_or_else(|e| e.into_inner());
        if !cached.is_current(&stamp) {
            *cached = Arc::new(NameIndex::build(registry, anchors));
        }
        cached.clone()
    }

    /// Adds the `trust` object and the `issuer_trust` check to `verdict`
    /// (whose `issuer`, `issuer_name` and `issuer_url` say who signed and
    /// what it claims), and applies `require_listed`.
    pub fn assess_verdict(
        &self,
        verdict: &mut Value,
        registry: Option<&Registry>,
        now: Timestamp,
        opts: TrustOptions,
    ) {
        let Some(subject) = verdict["issuer"].as_str().map(str::to_owned) else {
            verdict["trust"] =
                json!({ "state": "unlisted", "summary": "the issuer is not named", "sources": [] });
            return;
        };
        let anchors = self.anchors();
        let empty = Registry::new();
        let reg = registry.unwrap_or(&empty);
        let index = self.index(reg, &anchors);
        let domains = anchors
            .domains
            .iter()
            .filter(|d| d.did == subject && d.status == "valid")
            .map(|d| {
                json!({
                    "origin": d.origin,
                    "checked_at": d.checked_at,
                    "checked_by": "this node",
                    "expires": d.expires,
                    "expired": d.expires.is_some_and(|e| now > e),
                })
            })
            .collect();
        let claim = Claim {
            subject: &subject,
            name: verdict["issuer_name"].as_str(),
            url: verdict["issuer_url"].as_str(),
        };
        let a: Assessment = assess(claim, registry, &anchors, &index, domains, now, opts);
        a.apply_to(verdict);
        self.assess_endorsers(verdict, registry, &anchors, &index, now, opts);
    }

    /// Adds `endorser_trust` to each entry of `value["endorsements"]` (a
    /// badge class's or an issuer's view, outside any verdict).
    pub fn assess_endorsements(&self, value: &mut Value, registry: &Registry, now: Timestamp) {
        let anchors = self.anchors();
        let index = self.index(registry, &anchors);
        let opts = TrustOptions::default();
        self.assess_endorsers(value, Some(registry), &anchors, &index, now, opts);
    }

    /// Adds `endorser_trust` to each endorsement the verdict lists: who
    /// stands behind an endorsement is the same question as who issued a
    /// badge, answered from the same registries and local list. A listing
    /// is never required of an endorser (`require_listed` is about the
    /// badge's issuer), and an endorser's trust never changes the badge's
    /// outcome: the page and the CLI show it beside the endorsement.
    fn assess_endorsers(
        &self,
        verdict: &mut Value,
        registry: Option<&Registry>,
        anchors: &Anchors,
        index: &NameIndex,
        now: Timestamp,
        opts: TrustOptions,
    ) {
        let Some(list) = verdict["endorsements"].as_array_mut() else {
            return;
        };
        let opts = TrustOptions {
            require_listed: false,
            ..opts
        };
        for e in list {
            let Some(endorser) = e["endorser"].as_str().map(str::to_owned) else {
                continue;
            };
            let name = e["endorser_name"].as_str().map(str::to_owned);
            let claim = Claim {
                subject: &endorser,
                name: name.as_deref(),
                url: None,
            };
            let a = assess(claim, registry, anchors, index, Vec::new(), now, opts);
            e["endorser_trust"] = json!({
                "state": a.trust["state"],
                "name": a.trust["name"],
                "summary": a.trust["summary"],
            });
        }
    }
}
