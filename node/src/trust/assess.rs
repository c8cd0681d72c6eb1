//! The `trust` object of a verdict: whose word it is that a key belongs to an
//! organisation.
//!
//! A verdict proves that a key signed. Who that key belongs to is answered
//! only by sources this node's operator chose to believe: the registries it
//! follows (each listing with the registry's list number and age, like
//! revocation) and its own local listings. The profile an issuer signs is
//! its own claim and is reported as such, never as fact. States:
//!
//! - `listed`: at least one followed registry (or a local listing) vouches
//!   for the issuer now, with data no older than `max_age`;
//! - `delisted`: a followed registry withdrew its listing, and none vouches;
//! - `stale`: a followed registry lists it, but its list is older than
//!   `max_age` (or it equivocated, so its list is disputed);
//! - `unlisted`: no followed registry vouches for it.
//!
//! Independently, an issuer that is not listed and whose claimed name or
//! home page collides (Unicode confusables, case, whitespace) with a listed
//! organisation's is flagged as a likely impersonation.
//!
//! The outcome of a correctly signed badge is not changed by any of this
//! unless the caller requires a listing (`require_listed`): then unlisted and
//! stale give `indeterminate`, de-listed gives `invalid`.

use std::collections::HashMap;

use badgemesh_protocol::keys::IssuerId;
use badgemesh_protocol::state::{ListingState, Registry};
use badgemesh_protocol::time::Timestamp;
use serde_json::{Value, json};

use super::confusables::{UNICODE_VERSION, host_of, keys};
use super::registries::Anchors;

/// What the caller asks of the trust check.
#[derive(Clone, Copy, Debug, Default)]
pub struct TrustOptions {
    /// Listings older than this many seconds are stale.
    pub max_age_secs: Option<i64>,
    /// Unlisted or stale gives `indeterminate`, de-listed `invalid`.
    pub require_listed: bool,
}

/// One organisation some followed source vouches for: what the impersonation
/// check compares claimed names and home pages with.
#[derive(Clone, Debug)]
struct Known {
    subject: String,
    name: String,
    source: String,
}

/// Names and domains of every organisation the followed sources vouch for,
/// indexed by confusable keys. Building it costs a skeleton per listing, so
/// callers keep one per [`NameIndex::stamp`].
#[derive(Clone, Debug, Default)]
pub struct NameIndex {
    stamp: Vec<(IssuerId, u64)>,
    local: usize,
    by_name: HashMap<String, Vec<Known>>,
    by_host: HashMap<String, Vec<Known>>,
}

impl NameIndex {
    /// What the index was built from: each followed registry's list sequence
    /// number and the number of local listings. A different stamp means the
    /// index must be rebuilt.
    pub fn stamp(registry: &Registry, anchors: &Anchors) -> (Vec<(IssuerId, u64)>, usize) {
        let stamp = anchors
            .registry_ids()
            .map(|id| {
                let seq = registry
                    .issuer(&id)
                    .map_or(0, |s| s.listing_freshness().seq);
                (id, seq)
            })
            .collect();
        (stamp, anchors.local.len())
    }

    /// Whether this index was built from the same data.
    pub fn is_current(&self, stamp: &(Vec<(IssuerId, u64)>, usize)) -> bool {
        self.stamp == stamp.0 && self.local == stamp.1
    }

    /// Indexes every listed organisation of the followed sources.
    pub fn build(registry: &Registry, anchors: &Anchors) -> NameIndex {
        let (stamp, local) = NameIndex::stamp(registry, anchors);
        let mut index = NameIndex {
            stamp,
            local,
            ..NameIndex::default()
        };
        for (id, followed) in &anchors.registries {
            let Some(state) = registry.issuer(id) else {
                continue;
            };
            for (subject, entry) in state.listings() {
                if let ListingState::Listed { listing, .. } = entry {
                    index.add(subject, &listing.name, &listing.domains, &followed.name);
                    if let Some(legal) = &listing.legal_name {
                        index.add(subject, legal, &[], &followed.name);
                    }
                }
            }
        }
        for l in &anchors.local {
            index.add(&l.subject, &l.name, &l.domains, "this node's own list");
        }
        index
    }

    fn add(&mut self, subject: &str, name: &str, domains: &[String], source: &str) {
        let known = Known {
            subject: subject.to_owned(),
            name: name.to_owned(),
            source: source.to_owned(),
        };
        for k in keys(name) {
            self.by_name.entry(k).or_default().push(known.clone());
        }
        for d in domains {
            if let Some(h) = host_of(d) {
                for k in keys(&h) {
                    self.by_host.entry(k).or_default().push(known.clone());
                }
            }
        }
    }

    /// A listed organisation, other than `subject`, whose name or domain the
    /// claimed name or URL could be taken for.
    fn lookalike(&self, subject: &str, name: Option<&str>, url: Option<&str>) -> Option<Value> {
        let other = |hits: Option<&Vec<Known>>| {
            hits.and_then(|v| v.iter().find(|k| k.subject != subject).cloned())
        };
        let by_name = name.and_then(|n| keys(n).iter().find_map(|k| other(self.by_name.get(k))));
        let by_host = url
            .and_then(host_of)
            .and_then(|h| keys(&h).iter().find_map(|k| other(self.by_host.get(k))));
        let (what, k) = match (by_name, by_host) {
            (Some(k), _) => ("name", k),
            (None, Some(k)) => ("domain", k),
            (None, None) => return None,
        };
        Some(json!({
            "matches": what,
            "listed_name": k.name,
            "listed_subject": k.subject,
            "listed_by": k.source,
        }))
    }
}

fn listing_json(
    followed_name: &str,
    registry: &IssuerId,
    entry: &ListingState,
    list: (u64, Option<Timestamp>),
    now: Timestamp,
    stale: bool,
    disputed: bool,
) -> (Value, &'static str) {
    let (seq, as_of) = list;
    let age = as_of.map(|t| now.since(t));
    let mut v = json!({
        "source": "registry",
        "registry": registry,
        "registry_name": followed_name,
        "list_seq": seq,
        "list_signed_at": as_of,
        "age_secs": age,
        "stale": stale,
        "disputed": disputed,
    });
    let state = match entry {
        ListingState::Listed { listing, seq, at } => {
            let state = if listing.valid_from.is_some_and(|t| now < t) {
                "not_yet_valid"
            } else if listing.valid_until.is_some_and(|t| now > t) {
                "expired"
            } else {
                "listed"
            };
            v["name"] = json!(listing.name);
            v["legal_name"] = json!(listing.legal_name);
            v["domains"] = json!(listing.domains);
            v["country"] = json!(listing.country);
            v["accreditation"] = json!(listing.accreditation);
            v["accreditation_type"] = json!(listing.accreditation_type);
            v["valid_from"] = json!(listing.valid_from);
            v["valid_until"] = json!(listing.valid_until);
            v["domain_checked_at"] = json!(listing.domain_checked_at);
            v["listed_in"] = json!({ "seq": seq, "at": at });
            state
        }
        ListingState::Delisted { reason, seq, at } => {
            v["reason"] = json!(reason);
            v["delisted_in"] = json!({ "seq": seq, "at": at });
            "delisted"
        }
    };
    v["state"] = json!(state);
    (v, state)
}

/// Domain linkage observations this node made for the subject (see
/// [`super::linkage`]), as verdict entries.
pub type DomainEvidence = Vec<Value>;

/// Who signed, and what it says of itself.
#[derive(Clone, Copy, Debug)]
pub struct Claim<'a> {
    /// The issuer identifier as the badge carries it.
    pub subject: &'a str,
    /// The name its profile gives.
    pub name: Option<&'a str>,
    /// The home page its profile gives.
    pub url: Option<&'a str>,
}

/// The trust object for the issuer of `claim`, and the `issuer_trust` check.
pub fn assess(
    claim: Claim<'_>,
    registry: Option<&Registry>,
    anchors: &Anchors,
    index: &NameIndex,
    domains: DomainEvidence,
    now: Timestamp,
    opts: TrustOptions,
) -> Assessment {
    let Claim {
        subject,
        name: claimed_name,
        url: claimed_url,
    } = claim;
    let mut sources = Vec::new();
    let mut without_data = Vec::new();
    let (mut listed, mut delisted, mut stale_listed) = (None::<Value>, false, false);
    for (id, followed) in &anchors.registries {
        let Some(state) = registry
            .and_then(|r| r.issuer(id))
            .filter(|s| s.listing_freshness().seq > 0)
        else {
            // "Not listed" and "no data" differ: say which registries had none.
            without_data.push(json!({ "registry": id, "registry_name": followed.name }));
            continue;
        };
        let Some(entry) = state.listing(subject) else {
            continue;
        };
        let f = state.listing_freshness();
        let disputed = state.listings_disputed();
        let too_old = f.is_behind()
            || f.as_of.is_none()
            || opts
                .max_age_secs
                .zip(f.as_of)
                .is_some_and(|(m, t)| now.since(t) > m);
        let (v, s) = listing_json(
            &followed.name,
            id,
            entry,
            (f.seq, f.as_of),
            now,
            too_old,
            disputed,
        );
        match s {
            "listed" if !too_old && !disputed => {
                listed.get_or_insert_with(|| v.clone());
            }
            "listed" => stale_listed = true,
            "delisted" => delisted = true,
            _ => {}
        }
        sources.push(v);
    }
    for l in anchors.local.iter().filter(|l| l.subject == subject) {
        let v = json!({
            "source": "local",
            "state": "listed",
            "name": l.name,
            "domains": l.domains,
            "registry_name": "this node's own list",
            "added_at": l.added_at,
            "note": l.source,
        });
        listed.get_or_insert_with(|| v.clone());
        sources.push(v);
    }
    let state = match (&listed, delisted, stale_listed) {
        (Some(_), _, _) => "listed",
        (None, true, _) => "delisted",
        (None, false, true) => "stale",
        (None, false, false) => "unlisted",
    };
    let impersonation = (state != "listed")
        .then(|| index.lookalike(subject, claimed_name, claimed_url))
        .flatten();
    let quoted =
        claimed_name.map_or_else(|| "no name".to_owned(), |n| format!("\u{201c}{n}\u{201d}"));
    let followed = anchors.registries.len();
    let summary = match (state, &listed, &impersonation) {
        ("listed", Some(l), _) => match l["source"].as_str() {
            Some("local") => format!(
                "{} (listed on this node's own list)",
                l["name"].as_str().unwrap_or_default()
            ),
            _ => format!(
                "{} (listed by {}, list {} signed {})",
                l["name"].as_str().unwrap_or_default(),
                l["registry_name"].as_str().unwrap_or_default(),
                l["list_seq"],
                l["list_signed_at"].as_str().unwrap_or("at an unknown time"),
            ),
        },
        (_, _, Some(i)) => format!(
            "likely impersonation: a key that calls itself {quoted} looks like {}, which {} lists under another identifier",
            i["listed_name"].as_str().unwrap_or_default(),
            i["listed_by"].as_str().unwrap_or_default(),
        ),
        ("delisted", _, _) => {
            format!("a key that calls itself {quoted}: de-listed by a registry you follow")
        }
        ("stale", _, _) => format!(
            "a key that calls itself {quoted}: listed, but the registry's list is older than allowed or disputed"
        ),
        _ if followed == 0 && anchors.local.is_empty() => format!(
            "signed by a key that calls itself {quoted}; you follow no registry, so nobody vouches for it (see `badgemesh trust follow`)"
        ),
        _ => format!(
            "signed by a key that calls itself {quoted}; no registry you follow vouches for it"
        ),
    };
    let status = match (state, &impersonation) {
        ("listed", _) => "pass",
        ("delisted", _) | (_, Some(_)) => "fail",
        _ => "unknown",
    };
    Assessment {
        trust: json!({
            "state": state,
            "name": listed.as_ref().map(|l| l["name"].clone()),
            "claimed_name": claimed_name,
            "claimed_url": claimed_url,
            "self_asserted": true,
            "sources": sources,
            "domains": domains,
            "impersonation": impersonation,
            "followed_registries": followed,
            "registries_without_data": without_data,
            "unicode_version": format!("{}.{}.{}", UNICODE_VERSION.0, UNICODE_VERSION.1, UNICODE_VERSION.2),
            "summary": summary,
        }),
        check: json!({ "check": "issuer_trust", "status": status, "detail": summary }),
        outcome_override: match state {
            _ if !opts.require_listed => None,
            "delisted" => Some("invalid"),
            "unlisted" | "stale" => Some("indeterminate"),
            _ => None,
        },
    }
}

/// The result of [`assess`].
#[derive(Clone, Debug)]
pub struct Assessment {
    /// The verdict's `trust` object.
    pub trust: Value,
    /// The `issuer_trust` check.
    pub check: Value,
    /// When a listing is required: the outcome a `valid` badge gets instead.
    pub outcome_override: Option<&'static str>,
}

impl Assessment {
    /// Adds the trust object and check to a verdict, and applies the
    /// override to an outcome that is `valid` (or, for `invalid`, also to
    /// `indeterminate`): revoked, expired and invalid badges stay so.
    pub fn apply_to(self, verdict: &mut Value) {
        if let Some(checks) = verdict["checks"].as_array_mut() {
            checks.push(self.check);
        }
        verdict["trust"] = self.trust;
        let outcome = verdict["outcome"].as_str().unwrap_or_default().to_owned();
        match self.outcome_override {
            Some("invalid") if outcome == "valid" || outcome == "indeterminate" => {
                verdict["outcome"] = json!("invalid");
            }
            Some(o) if outcome == "valid" => verdict["outcome"] = json!(o),
            _ => {}
        }
    }
}
